/**
 * `npm run bench`: every benchmark, each figure against its baseline from the same run (docs/BENCHMARKS.md).
 *
 *   npm run bench                      full mode: the README's figures (tens of minutes; run it under `nice -n 10`)
 *   npm run bench -- --quick           quick mode: small sizes, a smoke run for CI (a few minutes)
 *   npm run bench -- --only gas,sdk    some pieces only; the other pieces' rows are kept from the last results file
 *   npm run bench -- --render          only rewrites bench/results.md and the README's table from bench/results.json
 *
 * Each piece runs as its own process (the gas piece under Hardhat with hardhat.bench.config.ts), in the mode given
 * by BENCH_QUICK, and appends its rows to BENCH_RESULTS_FILE. Full mode writes bench/results.json,
 * bench/results.md and the README's table between its markers; quick mode writes bench/results.quick.json and
 * bench/results.quick.md (git-ignored) and leaves the README alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import {
  describeMachine,
  formatAs,
  formatMarkdown,
  parseRows,
  quickMode,
  replaceBetweenMarkers,
  resultsTable,
  type BenchResults,
  type BenchRun,
} from "./lib/bench-results";

const root = path.resolve(__dirname, "..");

interface Piece {
  name: string;
  command: string[];
  /** Environment for this piece in quick mode (the piece's own sizes). */
  quickEnv?: Record<string, string>;
}

const tsNode = (script: string) => ["npx", "ts-node", "--transpile-only", script];

const PIECES: Piece[] = [
  { name: "gas", command: ["npx", "hardhat", "--config", "hardhat.bench.config.ts", "run", "scripts/bench-gas.ts"] },
  { name: "sdk", command: tsNode("scripts/bench-sdk.ts") },
  { name: "gateway", command: tsNode("scripts/bench-gateway.ts") },
  { name: "throughput", command: tsNode("scripts/bench-throughput.ts") },
  {
    name: "relayer",
    command: tsNode("scripts/bench-relayer.ts"),
    quickEnv: { BENCH_ANCHORS: "100", BENCH_ROUNDS: "1", BENCH_LATENCY: "10" },
  },
  // These two print their own tables only (no rows in bench/results.json).
  {
    name: "start",
    command: tsNode("scripts/bench-start.ts"),
    quickEnv: { BENCH_START_ROUNDS: "1", BENCH_START_ANCHORS: "" },
  },
  {
    name: "authorizations",
    command: tsNode("scripts/bench-authorizations.ts"),
    quickEnv: { BENCH_SINGLE: "30", BENCH_BATCHES: "2", BENCH_SIZES: "100" },
  },
];

function parseOnly(argv: readonly string[]): string[] | undefined {
  const i = argv.indexOf("--only");
  if (i < 0) return undefined;
  const names = (argv[i + 1] ?? "").split(",").filter((n) => n !== "");
  const unknown = names.filter((n) => !PIECES.some((p) => p.name === n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes pieces among ${PIECES.map((p) => p.name).join(", ")} (got ${argv[i + 1] ?? ""})`);
  }
  return names;
}

/** Writes the Markdown table, and with `readme` the README's table between its markers. */
async function render(results: BenchResults, mdFile: string, readme: boolean): Promise<void> {
  const table = await formatMarkdown(resultsTable(results), mdFile);
  writeFileSync(mdFile, table);
  if (readme) {
    const readmeFile = path.join(root, "README.md");
    const text = replaceBetweenMarkers(readFileSync(readmeFile, "utf8"), table);
    writeFileSync(readmeFile, await formatMarkdown(text, readmeFile));
  }
}

async function main(): Promise<void> {
  const quick = quickMode();
  const only = parseOnly(process.argv);
  const mode = quick ? "quick" : "full";
  const outDir = path.join(root, "bench");
  const jsonFile = path.join(outDir, quick ? "results.quick.json" : "results.json");
  const mdFile = path.join(outDir, quick ? "results.quick.md" : "results.md");
  if (process.argv.includes("--render")) {
    await render(JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResults, mdFile, !quick);
    return;
  }
  const pieces = PIECES.filter((p) => only === undefined || only.includes(p.name));
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0]!;
  const work = mkdtempSync(path.join(tmpdir(), "crossproof-bench-"));
  const rowsFile = path.join(work, "rows.jsonl");
  const failures: BenchResults["failures"] = [];
  try {
    // The contracts and their typechain factories, which every piece deploys from.
    const compiled = spawnSync("npx", ["hardhat", "compile", "--quiet"], { cwd: root, stdio: "inherit" });
    if (compiled.status !== 0) throw new Error("the contracts do not compile");
    for (const piece of pieces) {
      console.log(`\n## bench: ${piece.name} (${mode} mode)\n`);
      const t0 = Date.now();
      const run = spawnSync(piece.command[0]!, piece.command.slice(1), {
        cwd: root,
        stdio: "inherit",
        env: {
          ...process.env,
          ...(quick ? { BENCH_QUICK: "1", ...piece.quickEnv } : { BENCH_QUICK: "0" }),
          BENCH_RESULTS_FILE: rowsFile,
        },
      });
      const secs = ((Date.now() - t0) / 1000).toFixed(0);
      if (run.status !== 0) {
        failures.push({ piece: piece.name, error: `exit ${run.status ?? run.signal} after ${secs} s` });
        console.error(`bench: ${piece.name} failed after ${secs} s`);
      } else {
        console.log(`\nbench: ${piece.name} done in ${secs} s`);
      }
    }
    let rows = existsSync(rowsFile) ? parseRows(readFileSync(rowsFile, "utf8")) : [];
    const machine = describeMachine(loadAtStart);
    const finishedAt = new Date().toISOString();
    let runs: BenchRun[] = [{ pieces: pieces.map((p) => p.name), startedAt, finishedAt, load: machine.load }];
    if (only !== undefined && existsSync(jsonFile)) {
      // Keep the other pieces' rows (their groups are the pieces' names), runs and failures from the last file.
      const last = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchResults;
      rows = [...last.results.filter((r) => !only.includes(r.group)), ...rows];
      const lastRuns = last.runs ?? [
        {
          pieces: [...new Set(last.results.map((r) => r.group))],
          startedAt: last.startedAt,
          finishedAt: last.finishedAt,
          load: last.machine.load,
        },
      ];
      const kept = lastRuns
        .map((r) => ({ ...r, pieces: r.pieces.filter((p) => !only.includes(p)) }))
        .filter((r) => r.pieces.length > 0);
      runs = [...kept, ...runs];
      failures.unshift(...last.failures.filter((f) => !only.includes(f.piece)));
    }
    const results: BenchResults = {
      format: "crossproof.bench/1",
      mode,
      startedAt: runs[0]!.startedAt,
      finishedAt,
      machine,
      runs,
      failures,
      results: rows,
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(jsonFile, await formatAs(JSON.stringify(results, null, 2), jsonFile));
    await render(results, mdFile, !quick);
    console.log(
      `\nbench: ${rows.length} figures in ${path.relative(root, jsonFile)} and ${path.relative(root, mdFile)}`,
    );
    if (failures.length > 0) {
      console.error(`bench: failed pieces: ${failures.map((f) => f.piece).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
