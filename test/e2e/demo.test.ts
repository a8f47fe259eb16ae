import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, loadConsortiumConfig, verifyReport } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import { devAccount, devAccountFor, freePort, localProvider, startAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { keptOutcome, runCrossBorderDemo, type CrossBorderDemoOutcome } from "../../scripts/lib/demo-story";
import { TimeTravelRefusedError, advanceLocalChainTime } from "../../scripts/lib/time-travel";

interface Run {
  output: string;
  exitCode: number | null;
}

const node = (script: string) => [process.execPath, ["-r", "ts-node/register/transpile-only", script]] as const;

/** Runs `npm run demo`'s script to its end. */
function runDemoScript(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = node("scripts/demo.ts");
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`npm run demo did not finish:\n${output}`));
    }, 400_000);
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ output, exitCode: code });
    });
  });
}

/** Runs `npm start`'s script until it is ready, calls `whileUp`, then presses Ctrl-C. */
function whileStarted<T>(env: NodeJS.ProcessEnv, whileUp: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = node("scripts/start.ts");
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let ready = false;
    let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), 400_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!ready && output.includes("press Ctrl-C to stop")) {
        ready = true;
        whileUp()
          .then((value) => (result = { ok: true, value }))
          .catch((error: unknown) => (result = { ok: false, error }))
          .finally(() => child.kill("SIGINT"));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (result === undefined)
        reject(new Error(`npm start ended (code ${code}) before the test was done:\n${output}`));
      else if (!result.ok) reject(result.error as Error);
      else if (code !== 0) reject(new Error(`npm start exited with code ${code}:\n${output}`));
      else resolve(result.value);
    });
  });
}

/** The error a promise is rejected with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** Every file under `dir` whose bytes contain `marker`. */
function filesContaining(dir: string, marker: string): string[] {
  const found: string[] = [];
  const needle = Buffer.from(marker);
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(needle)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** The id the demo configuration's agreement `from → to` gets on a new chain (concluded in the file's order). */
function configuredAgreementId(from: string, to: string): string {
  const config = loadConsortiumConfig("config/demo-consortium.json");
  const index = config.recognitionAgreements.findIndex((a) => a.from === from && a.to === to);
  expect(index, `${from} → ${to} in the demo configuration`).to.be.at.least(0);
  return String(index + 1);
}

/** The story's domain outcomes, the same on every run. */
function expectTheStory(o: CrossBorderDemoOutcome): void {
  expect(o.members).to.deep.equal({ cnAgency: 6, sgAgency: 7, sgPlatform: 8, frCourt: 9 });
  expect(o.custody).to.deep.equal({ events: ["Collected", "Sealed", "Transferred", "Received"], status: "COMPLETE" });
  // The 72-hour deadline comes from the CN–SG agreement (the most recently concluded one, SG → CN).
  expect(o.preservation.answered).to.deep.include({ state: "Fulfilled", late: false });
  expect(String(o.preservation.answered.agreementId)).to.equal(configuredAgreementId("SG", "CN"));
  expect(o.preservation.unanswered.stateNow).to.equal("Overdue");
  expect(o.preservation.unanswered).to.not.have.property("timeTravelRefused");
  expect(Date.parse(o.preservation.unanswered.deadline) - Date.parse(o.preservation.answered.deadline)).to.be.within(
    0,
    60_000,
  );
  expect(o.preservation.compliance).to.deep.equal({ due: 2, answeredOnTime: 1, overdue: 1 });
  expect(o.licensing.chain).to.have.length(3);
  expect(o.licensing.authorized).to.deep.include({ territory: "SG", authorized: true, reason: "OK" });
  expect(o.licensing.refused).to.deep.include({ territory: "FR", authorized: false, reason: "TERRITORY_NOT_GRANTED" });
  expect(o.licensing.refused.summary).to.match(/covers SG, not FR/);
  expect(o.court).to.deep.include({ indication: "TOTAL-PASSED", reportIssuer: "9", reportVerified: true });
  expect(o.court.endorsement).to.deep.equal({
    verdict: "Recognized",
    agreementId: configuredAgreementId("CN", "FR"),
    agreement: "CN → FR",
  });
  expect(o.tampered).to.deep.include({
    indication: "TOTAL-FAILED",
    check: "FILE_HASHES",
    subCode: "FILE_HASH_MISMATCH",
  });
  expect(o.sharedCid).to.not.equal(o.packageCid);
}

describe("npm run demo: the cross-border story through npm start's gateway (real Anvil, real gateway)", function () {
  this.timeout(900_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let first: CrossBorderDemoOutcome;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-demo-"));
    env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_CHAIN_PORT: String(await freePort()),
      CROSSPROOF_GATEWAY_PORT: String(await freePort()),
      CROSSPROOF_LOG_LEVEL: "warn",
    };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("with nothing running, starts npm start's stack, tells the story, and stops the stack", async function () {
    const run = await runDemoScript(env);
    expect(run.exitCode, run.output).to.equal(0);
    expect(run.output).to.contain("no crossproof stack answers");
    expect(run.output).to.contain("the stack this demo started is stopped");
    const runId = /Summary of run (\S+)/.exec(run.output)?.[1];
    expect(runId, run.output).to.be.a("string");
    first = keptOutcome(dataDir, runId!)!;
    expectTheStory(first);
    // Each step in plain words.
    expect(run.output).to.contain(
      `the court recorded "Recognized" citing recognition agreement #${first.court.endorsement.agreementId} (CN → FR`,
    );
    expect(run.output).to.match(/the second is Overdue/);
    expect(run.output).to.match(/FR: TERRITORY_NOT_GRANTED: Not authorised .* covers SG, not FR\./);
    expect(run.output).to.match(/TOTAL-FAILED: FILE_HASHES FILE_HASH_MISMATCH/);
    // No plaintext of the capture anywhere in the data folder; only the reports and the outcome are kept.
    expect(filesContaining(dataDir, `crossproof demo capture ${first.run}`)).to.deep.equal([]);
    expect(readdirSync(path.join(dataDir, "demo", first.run)).sort()).to.deep.equal([
      "court-report.jws",
      "outcome.json",
      "tampered-copy-report.jws",
    ]);
  });

  it("tells it again on a running stack: a new case and record, chain time carried on across the restart", async function () {
    const lines: string[] = [];
    const { second, verified } = await whileStarted(env, async () => {
      const second = await runCrossBorderDemo({
        gatewayUrl: `http://127.0.0.1:${env.CROSSPROOF_GATEWAY_PORT}`,
        rpcUrl: `http://127.0.0.1:${env.CROSSPROOF_CHAIN_PORT}`,
        dataDir,
        log: (l) => lines.push(l),
      });
      // The kept report checks against the chain with the SDK alone (the court's report key, valid when it signed).
      const cp = await connect({
        rpcUrl: `http://127.0.0.1:${env.CROSSPROOF_CHAIN_PORT}`,
        deployment: path.join(dataDir, "deployment.json"),
      });
      try {
        const jws = readFileSync(path.join(dataDir, "demo", first.run, "court-report.jws"), "utf8").trim();
        return { second, verified: await verifyReport(jws, { consortium: cp.consortium }) };
      } finally {
        cp.close();
      }
    });
    expectTheStory(second);
    expect(second.run).to.not.equal(first.run);
    expect(second.caseReference).to.not.equal(first.caseReference);
    expect(second.recordId).to.not.equal(first.recordId);
    expect(second.contentHash).to.not.equal(first.contentHash);
    // The first run moved the clock 72 hours on; the restarted chain went on from there, never back.
    expect(Date.parse(second.preservation.answered.deadline)).to.be.greaterThan(
      Date.parse(first.preservation.unanswered.deadline) + 72 * 3600 * 1000,
    );
    expect(verified).to.deep.include({ issuerMemberId: 9n, checkedAgainst: "chain" });
    expect(lines.join("\n")).to.contain(`Summary of run ${second.run}`);
    expect(filesContaining(dataDir, `crossproof demo capture ${second.run}`)).to.deep.equal([]);
  });

  it("on a chain founded with an earlier demo configuration: the agreements it cannot conclude are skipped, and the demo says how to start afresh", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-demo-old-"));
    const anvil = await startAnvil({ port: await freePort() });
    const provider = localProvider(anvil.url);
    try {
      const current = loadConsortiumConfig("config/demo-consortium.json");
      const earlier = {
        ...current,
        founders: current.founders.slice(0, 5),
        recognitionAgreements: current.recognitionAgreements.filter((a) =>
          [a.from, a.to].every((j) => ["FR", "DE", "ES"].includes(j)),
        ),
      };
      const { record } = await deployCrossproof({
        signer: devAccount(0, provider),
        config: earlier,
        deploymentFile: path.join(dir, "deployment.json"),
      });
      const lines: string[] = [];
      const concluded = await concludeConfiguredAgreements({
        provider,
        relayer: devAccount(0, provider),
        record,
        config: current,
        keyFor: (a) => devAccountFor(a, provider),
        log: (l) => lines.push(l),
      });
      expect(concluded).to.have.length(earlier.recognitionAgreements.length);
      const skipped = lines.filter((l) => l.includes("skipped"));
      expect(skipped).to.have.length(current.recognitionAgreements.length - earlier.recognitionAgreements.length);
      expect(skipped[0]).to.match(/recognition agreement CN → SG skipped: .* no governor of CN and SG/);
      const refused = await rejection(
        runCrossBorderDemo({ gatewayUrl: "http://127.0.0.1:1", rpcUrl: anvil.url, dataDir: dir }),
      );
      expect(refused.message).to.match(/no AGENCY in CN .*founded with an earlier config\/demo-consortium\.json/);
    } finally {
      provider.destroy();
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("time travel", function () {
    let server: Server;
    let url: string;
    const asked: string[] = [];
    before(async () => {
      // A JSON-RPC node on this machine that is not a development chain (as a local Besu would answer).
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString("utf8")));
        req.on("end", () => {
          const calls = JSON.parse(body) as { id: number; method: string }[];
          asked.push(...calls.map((c) => c.method));
          res.setHeader("content-type", "application/json");
          res.end(
            JSON.stringify(
              calls.map((c) => ({ jsonrpc: "2.0", id: c.id, result: "besu/v24.12.0/linux-x86_64/openjdk-java-21" })),
            ),
          );
        });
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      url = `http://127.0.0.1:${port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("refuses any chain but a development node on this machine, before sending anything that moves time", async function () {
      const remote = await rejection(advanceLocalChainTime("http://10.20.30.40:8545", 3600));
      expect(remote).to.be.instanceOf(TimeTravelRefusedError);
      expect(remote.message).to.match(/only a development chain on this machine/);
      const besu = await rejection(advanceLocalChainTime(url, 3600));
      expect(besu).to.be.instanceOf(TimeTravelRefusedError);
      expect(besu.message).to.match(/besu.*not a development node/);
      expect(asked).to.deep.equal(["web3_clientVersion"]);
    });
  });
});
