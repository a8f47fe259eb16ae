import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConsortiumConfig } from "../../sdk/src";
import { type RunningAnvil, freePort, localProvider, startAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { devAccount, runDemo } from "../../scripts/lib/demo";

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
    const { record } = await deployCrossproof({
      signer: devAccount(0, provider),
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile: path.join(dir, "deployment.json"),
    });
    const lines: string[] = [];
    const first = await runDemo({
      provider,
      deployment: record,
      workDir: path.join(dir, "demo"),
      log: (l) => lines.push(l),
    });
    expect(lines.join("\n")).to.match(/custody: 5 events, intact true, complete true/);
    expect(lines.join("\n")).to.match(/Authorised: .* held BROADCAST for FR/);
    expect(lines.join("\n")).to.match(/Not authorised at .*covers AT, BE, .*, not US\./);
    expect(lines.join("\n")).to.match(/answered: Fulfilled \(on time\)/);
    // A second run (as a user would do) creates new records rather than colliding with the first.
    const second = await runDemo({ provider, deployment: record, workDir: path.join(dir, "demo") });
    expect(second.evidenceId).not.to.equal(first.evidenceId);
    provider.destroy();
  });
});
