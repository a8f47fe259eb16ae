/**
 * The benchmarks' results: each piece (`scripts/bench-*.ts`) records rows — a figure, its baseline measured in the
 * same run, their ratio, and what limits the figure — and `scripts/bench.ts` gathers them into `bench/results.json`
 * and the Markdown table the README quotes between {@link README_BEGIN} and {@link README_END}.
 *
 * A piece run by `npm run bench` appends its rows, one JSON object a line, to the file named by `BENCH_RESULTS_FILE`;
 * run alone it only prints its own tables.
 */
import { appendFileSync } from "node:fs";
import os from "node:os";

/** One measured figure. */
export interface BenchRow {
  /** The section it belongs to: gas, sdk, gateway, throughput… */
  group: string;
  /** What was measured, in words (the table's first column). */
  metric: string;
  value: number;
  /** gas, gas/item, MiB/s, req/s, ms, records/s, MiB… */
  unit: string;
  /** The bare baseline measured in the same run, in the same unit; null for absolute figures. */
  baseline: { name: string; value: number } | null;
  /**
   * value ÷ baseline, oriented so that ≥ 1 means "as good as the baseline or better" for rates and "as cheap or
   * cheaper" for costs: {@link ratioOf} does it. Null without a baseline.
   */
  ratio: number | null;
  /** What limits the figure (CPU, the chain's block time, SQLite, signature checks…). */
  limit: string;
  /** A target the figure is held to, if any, e.g. "ratio ≥ 0.5" or "≤ 100,000 gas". */
  target?: string;
  /** Whether the target is met (only with a target). */
  met?: boolean;
}

/** Whether a unit is a cost (lower is better: gas, time, memory) or a rate (higher is better). */
export function lowerIsBetter(unit: string): boolean {
  return /^(gas|gas\/item|gas\/record|ms|µs|s|MiB|GiB|bytes)$/.test(unit) || unit.startsWith("ms");
}

/** The ratio of a row: subject/baseline for rates, baseline/subject for costs (so ≥ 1 always reads "no worse"). */
export function ratioOf(value: number, baseline: number, unit: string): number {
  if (!(value > 0) || !(baseline > 0)) return Number.NaN;
  return lowerIsBetter(unit) ? baseline / value : value / baseline;
}

/** The mode every piece runs in: quick (CI smoke, small sizes) with `--quick` or `BENCH_QUICK=1`, full otherwise. */
export function quickMode(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes("--quick") || env.BENCH_QUICK === "1";
}

/** Records a row: appended to `BENCH_RESULTS_FILE` when `npm run bench` runs the piece; returned either way. */
export function record(row: BenchRow, file: string | undefined = process.env.BENCH_RESULTS_FILE): BenchRow {
  if (row.baseline !== null && row.ratio === null) throw new Error(`${row.metric}: a baseline needs its ratio`);
  if (!Number.isFinite(row.value)) throw new Error(`${row.metric}: not a number (${row.value})`);
  if (file !== undefined && file !== "") appendFileSync(file, `${JSON.stringify(row)}\n`);
  return row;
}

/** Parses the rows a run appended (one JSON object a line); a malformed line is an error naming it. */
export function parseRows(text: string): BenchRow[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      const r = JSON.parse(l) as BenchRow;
      if (typeof r.group !== "string" || typeof r.metric !== "string" || typeof r.value !== "number") {
        throw new Error(`results line ${i + 1} is not a benchmark row`);
      }
      return r;
    });
}

/** The machine a run was measured on: what makes its absolute figures comparable (or not). */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** The 1-minute load average at the start and at the end of the run. */
  load: [number, number];
}

export function describeMachine(loadAtStart: number): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load: [loadAtStart, os.loadavg()[0]!],
  };
}

/** One run of some pieces (`--only` keeps the other pieces' rows, and their runs, from the last results file). */
export interface BenchRun {
  pieces: string[];
  startedAt: string;
  finishedAt: string;
  /** The 1-minute load average at the start and at the end of the run. */
  load: [number, number];
}

export interface BenchResults {
  format: "crossproof.bench/1";
  mode: "quick" | "full";
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  /** The runs the rows come from, oldest first. */
  runs: BenchRun[];
  /** Pieces that failed, with their error (their rows are missing). */
  failures: { piece: string; error: string }[];
  results: BenchRow[];
}

/** A number for a table: thousands separated, 3 significant digits below 100, none after the point above. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const abs = Math.abs(x);
  if (abs >= 100 || Number.isInteger(x)) return Math.round(x).toLocaleString("en-US");
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Titles of the groups, in the order the table shows them (others follow in the order met). */
export const GROUP_TITLES: Record<string, string> = {
  gas: "Gas (one Hardhat chain, cancun) against the Ethereum Attestation Service",
  sdk: "SDK against the machine (same bytes, same chunking, same run)",
  gateway: "Gateway against bare Express 5 (autocannon on loopback, same run)",
  throughput: "Throughput to the chain (embedded Anvil, automine)",
  relayer: "The SDK's relayer against raw sends (embedded Anvil, a fresh chain per run)",
};

/**
 * The Markdown the README quotes: per group a heading line and a table (metric, value, baseline, ratio, target, what
 * limits it). Prettier's Markdown formatting is applied by the caller ({@link formatMarkdown}).
 */
export function resultsTable(
  results: Pick<BenchResults, "mode" | "machine" | "runs" | "failures" | "results">,
): string {
  const groups = [...new Set([...Object.keys(GROUP_TITLES), ...results.results.map((r) => r.group)])].filter((g) =>
    results.results.some((r) => r.group === g),
  );
  const m = results.machine;
  const runs = results.runs.map(
    (r) =>
      `${r.pieces.join(", ")} on ${r.startedAt.slice(0, 16).replace("T", " ")} UTC (load average ` +
      `${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end)`,
  );
  const out: string[] = [
    `Measured by \`npm run bench${results.mode === "quick" ? " -- --quick" : ""}\` (${results.mode} mode) on ${m.cores} × ${m.cpu}, ` +
      `${m.memoryGiB} GiB, Node ${m.node}, ${m.os}: ${runs.join("; ")}. Ratio: the figure against its baseline ` +
      "from the same run, ≥ 1 means as good as the baseline or better (for costs, baseline ÷ figure).",
  ];
  for (const g of groups) {
    out.push("", `**${GROUP_TITLES[g] ?? g}**`, "");
    out.push("| metric | value | baseline (same run) | ratio | target | limited by |");
    out.push("| --- | ---: | --- | ---: | --- | --- |");
    for (const r of results.results.filter((x) => x.group === g)) {
      const baseline =
        r.baseline === null ? "—" : `${cell(r.baseline.name)}: ${formatNumber(r.baseline.value)} ${r.unit}`;
      const ratio = r.ratio === null ? "—" : r.ratio.toFixed(2);
      const target = r.target === undefined ? "" : `${cell(r.target)}: ${r.met === true ? "met" : "**missed**"}`;
      out.push(
        `| ${cell(r.metric)} | ${formatNumber(r.value)} ${r.unit} | ${baseline} | ${ratio} | ${target} | ${cell(r.limit)} |`,
      );
    }
  }
  for (const f of results.failures) out.push("", `Not measured in this run: ${f.piece} failed (${cell(f.error)}).`);
  return `${out.join("\n")}\n`;
}

/** Markdown formatted as the repository's `prettier --check` wants it. */
export async function formatMarkdown(markdown: string, filepath = "README.md"): Promise<string> {
  return formatAs(markdown, filepath, "markdown");
}

/** Text formatted as the repository's `prettier --check` wants it, with the parser `prettier` infers for the file. */
export async function formatAs(text: string, filepath: string, parser?: string): Promise<string> {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath, ...(parser === undefined ? {} : { parser }) });
}

export const README_BEGIN = "<!-- bench:begin (written by npm run bench; edit scripts/lib/bench-results.ts) -->";
export const README_END = "<!-- bench:end -->";

/** The README with the text between the markers replaced by `table`; an error when the markers are missing. */
export function replaceBetweenMarkers(readme: string, table: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`the README has no ${README_BEGIN} … ${README_END} section`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n\n${table.trim()}\n\n${readme.slice(end)}`;
}
