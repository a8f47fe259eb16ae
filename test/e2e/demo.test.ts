import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConsortiumConfig } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import {
  type RunningAnvil,
  devAccount,
  devAccountFor,
  freePort,
  localProvider,
  startAnvil,
} from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { runDemo } from "../../scripts/lib/demo";

describe("demo scenario (npm run demo) on a real Anvil process", function () {
  this.timeout(240_000);
  let anvil: RunningAnvil;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-demo-"));
    anvil = await startAnvil({ port: await freePort() });
  });
  after(async () => {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the whole story twice on the demo consortium", async function () {
    const provider = localProvider(anvil.url);
    const config = loadConsortiumConfig("config/demo-consortium.json");
    const { record } = await deployCrossproof({
      signer: devAccount(0, provider),
      config,
      deploymentFile: path.join(dir, "deployment.json"),
    });
    // What npm start does on the demo consortium: conclude the configured recognition agreements.
    const agreements = await concludeConfiguredAgreements({
      provider,
      relayer: devAccount(0, provider),
      record,
      config,
      keyFor: (a) => devAccountFor(a, provider),
    });
    const lines: string[] = [];
    const first = await runDemo({
      provider,
      deployment: record,
      workDir: path.join(dir, "demo"),
      log: (l) => lines.push(l),
    });
    const text = lines.join("\n");
    expect(text).to.match(/custody: 5 events, COMPLETE, intact true/);
    // The endorsement cites the recognition agreement FR → DE (the first one the configuration declares).
    expect(first.agreementId).to.equal(agreements[0]);
    expect(text).to.contain(
      `DE court recognized the FR evidence under recognition agreement #${agreements[0]} (FR → DE`,
    );
    expect(lines.join("\n")).to.match(/Authorised: .* held BROADCAST for FR/);
    expect(lines.join("\n")).to.match(/Not authorised at .*covers AT, BE, .*, not US\./);
    expect(lines.join("\n")).to.match(/answered: Fulfilled \(on time\)/);
    // A second run (as a user would do) creates new records rather than colliding with the first.
    const second = await runDemo({ provider, deployment: record, workDir: path.join(dir, "demo") });
    expect(second.recordId).not.to.equal(first.recordId);
    provider.destroy();
  });
});
