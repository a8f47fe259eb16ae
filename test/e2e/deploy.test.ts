import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ANVIL_DEPLOYER_KEY, type RunningAnvil, freePort, localProvider, startAnvil } from "../../scripts/lib/anvil";
import type { DeploymentRecord } from "../../scripts/lib/deploy";
import { Consortium__factory } from "../../sdk/src/typechain";

/** Runs `npm run deploy`'s script as an operator would, against a JSON-RPC URL. */
function deploy(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/deploy.ts", ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("scripts/deploy.ts against a JSON-RPC chain (real Anvil process)", function () {
  this.timeout(240_000);
  let anvil: RunningAnvil;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-deploy-"));
    anvil = await startAnvil({ port: await freePort(), chainId: 1337 });
  });
  after(async () => {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deploys every contract once, records them, and reuses them on the next run", async function () {
    const out = path.join(dir, "deployment.json");
    const args = ["--rpc", anvil.url, "--config", "config/demo-consortium.json", "--out", out];
    const first = deploy(args, { CROSSPROOF_DEPLOYER_KEY: ANVIL_DEPLOYER_KEY });
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain(
      "deployed: Consortium, ConsortiumGovernance, RecognitionAgreements, EvidenceRegistry, LicenseRegistry, AssistanceDesk",
    );
    const record = JSON.parse(readFileSync(out, "utf8")) as DeploymentRecord;
    expect(record.chainId).to.equal(1337);
    const provider = localProvider(anvil.url);
    for (const c of Object.values(record.contracts)) expect(await provider.getCode(c.address)).not.to.equal("0x");
    // Linked once; the deployer cannot link again.
    const consortium = Consortium__factory.connect(record.contracts.Consortium!.address, provider);
    expect(await consortium.governance()).to.equal(record.contracts.ConsortiumGovernance!.address);
    expect(await consortium.agreements()).to.equal(record.contracts.RecognitionAgreements!.address);
    expect(await consortium.consortiumId()).to.equal(record.consortiumId);
    provider.destroy();

    const second = deploy(args, { CROSSPROOF_DEPLOYER_KEY: ANVIL_DEPLOYER_KEY });
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.contain("deployed: none");
    expect((JSON.parse(readFileSync(out, "utf8")) as DeploymentRecord).contracts).to.deep.equal(record.contracts);
  });

  it("refuses to run without a deployer key or with an invalid configuration, sending nothing", function () {
    const noKey = deploy(["--rpc", anvil.url], { CROSSPROOF_DEPLOYER_KEY: "" });
    expect(noKey.status).to.equal(2);
    expect(noKey.stderr).to.contain("CROSSPROOF_DEPLOYER_KEY");
    const badConfig = deploy(["--rpc", anvil.url, "--config", "package.json", "--out", path.join(dir, "x.json")], {
      CROSSPROOF_DEPLOYER_KEY: ANVIL_DEPLOYER_KEY,
    });
    expect(badConfig.status).to.equal(1);
    expect(badConfig.stderr).to.contain("invalid consortium configuration");
  });
});
