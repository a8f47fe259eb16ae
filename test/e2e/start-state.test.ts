import { expect } from "chai";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EvidenceClient, EvidenceStatus } from "../../sdk/src";
import { runAnchorBurst } from "../../scripts/lib/anchor-burst";
import { anvilPidFile, freePort, localProvider } from "../../scripts/lib/anvil";
import type { DeploymentRecord } from "../../scripts/lib/deploy";

/** A running `npm start` (its script, spawned in its own process group as a terminal runs it). */
interface StartRun {
  /** Resolves when it printed "press Ctrl-C to stop"; rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code and everything it printed. */
  exited: Promise<{ code: number | null; output: string }>;
  output(): string;
  /** Ctrl-C in the terminal: SIGINT to the whole foreground process group. */
  ctrlC(): void;
}

function runStart(env: NodeJS.ProcessEnv): StartRun {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/start.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    child.once("exit", (code) => reject(new Error(`npm start exited before it was ready (code ${code}):\n${output}`)));
  });
  ready.catch(() => {}); // a run expected to fail is awaited through `exited`
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.includes("press Ctrl-C to stop")) onReady();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once("exit", (code) => resolve({ code, output })),
  );
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 150_000);
  void exited.then(() => clearTimeout(timer));
  return { ready, exited, output: () => output, ctrlC: () => process.kill(-child.pid!, "SIGINT") };
}

/** Kills an Anvil a failed test left running (it runs in its own process group, out of reach of the run's kill). */
function killLeftoverAnvil(dataDir: string): void {
  const pidFile = anvilPidFile(path.join(dataDir, "chain", "state.json"));
  if (!existsSync(pidFile)) return;
  try {
    process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGKILL");
  } catch {
    // already gone
  }
}

async function stopWithCtrlC(run: StartRun): Promise<string> {
  run.ctrlC();
  const { code, output } = await run.exited;
  expect(code, output).to.equal(0);
  expect(output).to.contain("SIGINT: saving the chain state and stopping");
  return output;
}

/** Connects to the chain `npm start` runs, as a partner's SDK would. */
async function connect(dataDir: string, port: number) {
  const provider = localProvider(`http://127.0.0.1:${port}`);
  const record = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
  const client = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);
  return { provider, record, client };
}

/** Anchors `count` records of member 1 (the FR agency) through relayers 0, 6-9, nonces shuffled; waits for all. */
async function anchor(dataDir: string, port: number, count: number, seed: string) {
  const record = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
  const run = await runAnchorBurst({ url: `http://127.0.0.1:${port}`, record, count, seed });
  return run.recordIds;
}

/** The status of each record, read from the chain (batched by the provider). */
async function statuses(dataDir: string, port: number, recordIds: string[]): Promise<number[]> {
  const { provider, client } = await connect(dataDir, port);
  try {
    const out: number[] = [];
    for (let i = 0; i < recordIds.length; i += 250) {
      const chunk = recordIds.slice(i, i + 250);
      const records = await Promise.all(chunk.map((id) => client.registry.getEvidence(id)));
      out.push(...records.map((r) => Number(r.status)));
    }
    return out;
  } finally {
    provider.destroy();
  }
}

describe("npm start keeps the chain state: thousands of transactions, Ctrl-C, restart (real Anvil process)", function () {
  this.timeout(300_000);
  let dataDir: string;
  let port: number;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-start-state-"));
    port = await freePort();
  });
  afterEach(() => {
    killLeftoverAnvil(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds every one of 3,000 anchors, and their events, after Ctrl-C and a restart", async function () {
    const env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_CHAIN_PORT: String(port),
      CROSSPROOF_GATEWAY_PORT: String(await freePort()),
    };
    const stateFile = path.join(dataDir, "chain", "state.json");

    const first = runStart(env);
    await first.ready;
    const recordIds = await anchor(dataDir, port, 3000, "three thousand");
    // A second npm start on the same data folder (another port) must not write the same files.
    const intruder = await runStart({
      ...env,
      CROSSPROOF_CHAIN_PORT: String(await freePort()),
      CROSSPROOF_GATEWAY_PORT: String(await freePort()),
    }).exited;
    expect(intruder.code).to.equal(1);
    expect(intruder.output).to.match(/another Anvil \(pid \d+\) runs on the chain state/);
    await stopWithCtrlC(first);
    expect(existsSync(anvilPidFile(stateFile)), "Anvil stopped with npm start").to.be.false;
    expect(existsSync(`${stateFile}.tmp`)).to.be.false;
    // Current state plus blocks and receipts, no historical states: about 11 kB per anchor (measured), where
    // --preserve-historical-states made 551 MB of 1,000 anchors.
    expect(statSync(stateFile).size).to.be.below(64e6);

    const second = runStart(env);
    await second.ready;
    expect(second.output()).to.contain("crossproof is ready (existing deployment reused)");
    expect(second.output()).to.contain(`loaded ${stateFile}`);
    const found = await statuses(dataDir, port, recordIds);
    expect(found.filter((s) => s !== EvidenceStatus.Active).length, "records not found active").to.equal(0);
    const { provider, record, client } = await connect(dataDir, port);
    try {
      const events = await client.registry.queryFilter(
        client.registry.filters.EvidenceAnchored(),
        record.contracts.EvidenceRegistry!.blockNumber,
      );
      const anchored = new Set(events.map((e) => e.args.recordId));
      expect(recordIds.filter((id) => !anchored.has(id))).to.deep.equal([]);
    } finally {
      provider.destroy();
    }
    await stopWithCtrlC(second);
  });

  it("reports a corrupt save with the chain's own message and loads the last good copy", async function () {
    // No periodic saves: the test decides when the saves happen (on each Ctrl-C).
    const env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_CHAIN_PORT: String(port),
      CROSSPROOF_GATEWAY_PORT: String(await freePort()),
      CROSSPROOF_STATE_INTERVAL: "3600",
    };
    const chainDir = path.join(dataDir, "chain");
    const stateFile = path.join(chainDir, "state.json");
    const previousFile = path.join(chainDir, "state.prev.json");

    const first = runStart(env);
    await first.ready;
    const [recordA] = await anchor(dataDir, port, 1, "A");
    await stopWithCtrlC(first); // state.json: the deployment and A

    const second = runStart(env);
    await second.ready;
    const [recordB] = await anchor(dataDir, port, 1, "B");
    await stopWithCtrlC(second); // state.json: A and B; state.prev.json: A

    // A save cut off half way (what a kill during Anvil's own dump used to leave), and an interrupted save.
    truncateSync(stateFile, Math.floor(statSync(stateFile).size / 2));
    writeFileSync(`${stateFile}.tmp`, "{ interrupted");
    const third = runStart(env);
    await third.ready;
    const out = third.output();
    expect(out).to.contain(`removed ${stateFile}.tmp, a save interrupted before it was complete`);
    expect(out).to.contain(`the chain refused its saved state ${stateFile}:`);
    expect(out).to.match(/--load-state <PATH>': failed to parse json file: .*EOF while parsing/);
    expect(out).to.match(/kept aside as .*state\.refused-[0-9TZ-]+\.json/);
    expect(out).to.contain(`using the last good copy ${previousFile}`);
    expect(out).to.contain("crossproof is ready (existing deployment reused)");
    // The last good copy has A; B was only in the refused save.
    expect(await statuses(dataDir, port, [recordA!, recordB!])).to.deep.equal([EvidenceStatus.Active, 0]);
    expect(readdirSync(chainDir).filter((f) => f.startsWith("state.refused-"))).to.have.length(1);
    await stopWithCtrlC(third);
    expect(existsSync(stateFile), "a current save is written again after the fallback").to.be.true;

    // Nothing loadable at all: no silent new chain, but Anvil's messages and the way out.
    writeFileSync(stateFile, "{");
    writeFileSync(previousFile, "");
    const fourth = runStart(env);
    const { code, output } = await fourth.exited;
    expect(code).to.equal(1);
    expect(output).to.contain(`the chain refused every saved state in ${chainDir}:`);
    expect(output).to.match(
      /state\.json: error: invalid value .* for '--load-state <PATH>': failed to parse json file/,
    );
    expect(output).to.match(/state\.prev\.json: error: invalid value .* for '--load-state <PATH>'/);
    expect(output).to.contain("To start a new, empty chain instead, move these files aside");
    expect(existsSync(stateFile) && existsSync(previousFile), "refused files are left in place").to.be.true;
  });
});
