import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Consortium__factory } from "../../sdk/src/typechain";
import { freePort, localChainId, localProvider } from "../../scripts/lib/anvil";
import type { DeploymentRecord } from "../../scripts/lib/deploy";

interface Run {
  output: string;
  exitCode: number | null;
}

/** Runs `npm start`'s script until it says it is ready, calls `whileUp`, then presses Ctrl-C. */
function startOnce(env: NodeJS.ProcessEnv, whileUp: () => Promise<void>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/start.ts"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm start did not get ready:\n${output}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!ready && output.includes("press Ctrl-C to stop")) {
        ready = true;
        whileUp()
          .then(() => child.kill("SIGINT"))
          .catch((err: unknown) => {
            child.kill("SIGKILL");
            reject(err);
          });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`npm start exited before it was ready (code ${code}):\n${output}`));
      else resolve({ output, exitCode: code });
    });
  });
}

describe("npm start (embedded chain, real Anvil process)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let port = 0;
  let gatewayPort = 0;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-start-"));
    port = await freePort();
    gatewayPort = await freePort();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("deploys once, keeps the chain state across a restart and reuses the deployment", async function () {
    const env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_CHAIN_PORT: String(port),
      CROSSPROOF_GATEWAY_PORT: String(gatewayPort),
      CROSSPROOF_LOG_LEVEL: "warn",
    };
    const url = `http://127.0.0.1:${port}`;
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    /** What the gateway answers while npm start runs: readiness, the hosted members' report keys, its routes. */
    const probeGateway = async () => {
      const ready = (await (await fetch(`${gateway}/readyz`)).json()) as { status: string };
      const jwks = (await (await fetch(`${gateway}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; crossproof_member: string }[];
      };
      const doc = (await (await fetch(`${gateway}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      return { ready: ready.status, jwks, paths: Object.keys(doc.paths) };
    };
    let firstGateway: Awaited<ReturnType<typeof probeGateway>> | undefined;
    const first = await startOnce(env, async () => {
      firstGateway = await probeGateway();
    });
    expect(first.exitCode).to.equal(0);
    expect(first.output).to.contain("crossproof is ready (deployed now)");
    // The gateway runs, hosting the nine demo members, each with a report key registered on chain.
    expect(first.output).to.contain(`gateway                ${gateway}`);
    expect(firstGateway!.ready).to.equal("ready");
    expect(firstGateway!.jwks.keys.map((k) => k.crossproof_member).sort()).to.deep.equal([
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
    ]);
    expect(firstGateway!.paths).to.include.members(["/v1/auth/siwe", "/v1/verifications", "/v1/reports/verify"]);
    expect(first.output.match(/report key .* registered/g)).to.have.length(9);
    const record1 = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
    // A chain id of its own (derived from the data folder and configuration), kept across restarts.
    expect(record1.chainId).to.be.within(1_000_000, 2_000_999_999);
    expect(record1.consortiumId).to.match(/^0x[0-9a-f]{64}$/);
    // The demo configuration's recognition agreements are concluded and listed.
    expect(first.output).to.contain("recognition agreements (12)");
    expect(first.output).to.match(
      /#1 +FR → DE +categories 1,2,3,4,5,6,7,8,9 +assurance COMPLETE_CUSTODY\+TIMELY_ANCHOR/,
    );
    // The demo story's jurisdictions (CN, SG, FR) recognise each other's evidence; assistance within 72 h.
    expect(first.output).to.match(/#9 +CN → FR +categories 1,2,3,4,5,6,7,8,9 .*assistance 72 h \/ emergency 8 h/);
    expect(first.output).to.match(/member 6 +CN +AGENCY\+GOVERNOR/);
    expect(first.output).to.match(/member 9 +FR +COURT /);

    let membersAfterRestart = 0n;
    let admittedEvents = 0;
    let secondGateway: Awaited<ReturnType<typeof probeGateway>> | undefined;
    const second = await startOnce(env, async () => {
      secondGateway = await probeGateway();
      const provider = localProvider(url);
      const consortium = Consortium__factory.connect(record1.contracts.Consortium!.address, provider);
      membersAfterRestart = await consortium.memberCount();
      // The event history survives the restart too: the gateway's index can be rebuilt from it.
      admittedEvents = (await consortium.queryFilter(consortium.filters.MemberAdmitted(), 0)).length;
      provider.destroy();
    });
    expect(second.exitCode).to.equal(0);
    expect(second.output).to.contain("crossproof is ready (existing deployment reused)");
    expect(second.output).to.match(new RegExp(`Consortium +${record1.contracts.Consortium!.address}`));
    expect(second.output).to.match(new RegExp(`EvidenceRegistry +${record1.contracts.EvidenceRegistry!.address}`));
    const record2 = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
    expect(record2.contracts).to.deep.equal(record1.contracts);
    expect(record2.chainId).to.equal(record1.chainId);
    expect(record2.consortiumId).to.equal(record1.consortiumId);
    expect(second.output).to.not.contain("concluded");
    // The keystore and the chain kept the keys: nothing registered again, the same report keys published.
    expect(second.output).to.not.contain("registered");
    expect(secondGateway!.jwks.keys.map((k) => k.kid).sort()).to.deep.equal(
      firstGateway!.jwks.keys.map((k) => k.kid).sort(),
    );
    expect(second.output).to.contain("recognition agreements (12)");
    expect(membersAfterRestart).to.equal(9n);
    expect(admittedEvents).to.equal(9);
  });

  it("gives another data folder another chain id", async function () {
    const other = mkdtempSync(path.join(tmpdir(), "crossproof-start-"));
    try {
      const record = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
      expect(localChainId(other, record.consortiumConfigHash)).to.not.equal(record.chainId);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
