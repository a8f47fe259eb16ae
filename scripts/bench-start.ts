/**
 * `npm run bench:start`: how long `npm start` takes to be ready, and to stop, as a
 * user sees it (Linux: it reads /proc).
 *
 * Runs the real `npm start` (npm, the compile check, the chain, the deployment) in a fresh data folder, then again on
 * the same folder (restart: saved state loaded, deployment reused). Measures from spawning to "press Ctrl-C to stop",
 * then from Ctrl-C (SIGINT to the whole process group, as a terminal sends it) until every process of the run — the
 * chain included — has exited. Each round uses a new folder; the median of the rounds is printed. The tree must be
 * compiled already (run it once before timing).
 *
 * Then, for each N of BENCH_START_ANCHORS: N anchors sent at once through the running chain (the rate they are mined
 * at, periodic saves included), Ctrl-C (the final save), the size of the saved state, and the restart that loads it.
 *
 * Environment:
 *   BENCH_START_ROUNDS    rounds (default 3)
 *   BENCH_START_COMMAND   command to time (default "npm start")
 *   BENCH_START_ANCHORS   comma-separated N (default "1000,3000"; empty: skip)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runAnchorBurst } from "./lib/anchor-burst";
import { freePort } from "./lib/anvil";
import type { DeploymentRecord } from "./lib/deploy";

interface Timing {
  readyMs: number;
  stopMs: number;
}

/** The processes of process group `pgid` that have not exited (zombies count as exited). */
function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...: comm may contain spaces, so parse after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function timeOnce(
  command: string,
  dataDir: string,
  port: number,
  whileUp: () => Promise<void> = async () => {},
): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_CHAIN_PORT: String(port),
      CROSSPROOF_GATEWAY_PORT: String(port + 1),
    };
    const started = performance.now();
    const child = spawn(command, { shell: true, detached: true, env, stdio: "pipe" });
    const pgid = child.pid!;
    let output = "";
    let readyMs = -1;
    const timer = setTimeout(() => {
      process.kill(-pgid, "SIGKILL");
      reject(new Error(`not ready after 180 s:\n${output}`));
    }, 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (readyMs >= 0 || !output.includes("press Ctrl-C to stop")) return;
      readyMs = performance.now() - started;
      clearTimeout(timer);
      // The chain may run in its own process group (it does once the launcher saves the state itself).
      const pidFile = path.join(dataDir, "chain", "anvil.pid");
      const chainPid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : undefined;
      whileUp().then(
        () => {
          const stopAt = performance.now();
          process.kill(-pgid, "SIGINT");
          const poll = setInterval(() => {
            if (liveGroupMembers(pgid).length > 0 || (chainPid !== undefined && alive(chainPid))) return;
            clearInterval(poll);
            resolve({ readyMs, stopMs: performance.now() - stopAt });
          }, 20);
        },
        (err: unknown) => {
          process.kill(-pgid, "SIGKILL");
          if (chainPid !== undefined) process.kill(chainPid, "SIGKILL");
          reject(err);
        },
      );
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      if (readyMs < 0) {
        clearTimeout(timer);
        reject(new Error(`exited (code ${code}) before it was ready:\n${output}`));
      }
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_START_ROUNDS ?? 3);
  const command = process.env.BENCH_START_COMMAND ?? "npm start";
  const fresh: Timing[] = [];
  const restart: Timing[] = [];
  for (let i = 0; i < rounds; ++i) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-start-"));
    try {
      const port = await freePort();
      fresh.push(await timeOnce(command, dataDir, port));
      restart.push(await timeOnce(command, dataDir, port));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log(`\`${command}\` on a compiled tree, median of ${rounds} rounds`);
  console.log("| run                                        | to ready | Ctrl-C to exit |");
  console.log("| ------------------------------------------ | -------: | -------------: |");
  const row = (name: string, ts: Timing[]) =>
    console.log(
      `| ${name.padEnd(42)} | ${seconds(median(ts.map((t) => t.readyMs))).padStart(8)} | ` +
        `${seconds(median(ts.map((t) => t.stopMs))).padStart(14)} |`,
    );
  row("first start (deploy, found, agreements)", fresh);
  row("restart (state loaded, deployment reused)", restart);

  // A used chain: N anchors through the running npm start, then Ctrl-C (the final save) and a restart (loading it).
  const counts = (process.env.BENCH_START_ANCHORS ?? "1000,3000").split(",").filter((c) => c !== "");
  if (counts.length === 0) return;
  console.log("");
  console.log("after N anchors sent at once through `npm start`'s chain (5 relayers, nonces shuffled), one run each");
  console.log("| N anchors | mined at | state.json | Ctrl-C to exit (final save) | restart to ready |");
  console.log("| --------: | -------: | ---------: | --------------------------: | ---------------: |");
  for (const n of counts.map(Number)) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-start-"));
    try {
      const port = await freePort();
      let rate = 0;
      const used = await timeOnce(command, dataDir, port, async () => {
        const record = JSON.parse(readFileSync(path.join(dataDir, "deployment.json"), "utf8")) as DeploymentRecord;
        const run = await runAnchorBurst({ url: `http://127.0.0.1:${port}`, record, count: n, seed: `bench ${n}` });
        rate = n / (run.mineMs / 1000);
      });
      const size = statSync(path.join(dataDir, "chain", "state.json")).size;
      const again = await timeOnce(command, dataDir, port);
      console.log(
        `| ${n.toLocaleString("en").padStart(9)} | ${`${Math.round(rate)}/s`.padStart(8)} | ` +
          `${`${(size / 1e6).toFixed(1)} MB`.padStart(10)} | ${seconds(used.stopMs).padStart(27)} | ` +
          `${seconds(again.readyMs).padStart(16)} |`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
