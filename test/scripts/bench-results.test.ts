import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  README_BEGIN,
  README_END,
  formatAs,
  formatMarkdown,
  formatNumber,
  parseRows,
  quickMode,
  ratioOf,
  record,
  replaceBetweenMarkers,
  resultsTable,
  type BenchRow,
  type Machine,
} from "../../scripts/lib/bench-results";

const machine: Machine = { cpu: "Test CPU", cores: 2, memoryGiB: 8, node: "v20.19.0", os: "Linux", load: [1, 2] };

const gasRow: BenchRow = {
  group: "gas",
  metric: "`anchorEvidence`, signed and relayed",
  value: 93_291,
  unit: "gas",
  baseline: { name: "EAS `attestByDelegation`", value: 411_172 },
  ratio: ratioOf(93_291, 411_172, "gas"),
  limit: "storage writes | one signature check",
  target: "≤ 100,000 gas",
  met: true,
};
const rateRow: BenchRow = {
  group: "gateway",
  metric: "is this hash anchored, req/s",
  value: 1_200,
  unit: "req/s",
  baseline: { name: "bare Express 5, a constant", value: 4_000 },
  ratio: ratioOf(1_200, 4_000, "req/s"),
  limit: "CPU",
  target: "ratio ≥ 0.5",
  met: false,
};

describe("benchmarks: the results writer and the README table", () => {
  it("orients ratios so that ≥ 1 reads 'no worse than the baseline', for costs and rates alike", () => {
    expect(ratioOf(100, 400, "gas")).to.equal(4);
    expect(ratioOf(100, 400, "ms")).to.equal(4);
    expect(ratioOf(100, 400, "req/s")).to.equal(0.25);
    expect(ratioOf(900, 1000, "MiB/s")).to.equal(0.9);
    expect(ratioOf(0, 1000, "MiB/s")).to.be.NaN;
  });

  it("appends rows to the run's file and reads them back; refuses a baseline without its ratio", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-test-"));
    try {
      const file = path.join(dir, "rows.jsonl");
      record(gasRow, file);
      record(rateRow, file);
      expect(parseRows(readFileSync(file, "utf8"))).to.deep.equal([gasRow, rateRow]);
      expect(() => record({ ...gasRow, ratio: null }, file)).to.throw(/needs its ratio/);
      expect(() => record({ ...gasRow, value: Number.NaN }, file)).to.throw(/not a number/);
      expect(() => parseRows('{"x":1}\n')).to.throw(/line 1 is not a benchmark row/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes quick mode from --quick or BENCH_QUICK=1 only", () => {
    expect(quickMode(["node", "bench", "--quick"], {})).to.equal(true);
    expect(quickMode(["node", "bench"], { BENCH_QUICK: "1" })).to.equal(true);
    expect(quickMode(["node", "bench"], { BENCH_QUICK: "0" })).to.equal(false);
  });

  it("formats numbers for the table", () => {
    expect(formatNumber(93_291)).to.equal("93,291");
    expect(formatNumber(669.04)).to.equal("669");
    expect(formatNumber(12.345)).to.equal("12.3");
    expect(formatNumber(1.2345)).to.equal("1.23");
    expect(formatNumber(0.01234)).to.equal("0.012");
    expect(formatNumber(Number.NaN)).to.equal("n/a");
  });

  it("writes one table per group with the baseline, the ratio, the target's verdict and the limit", async () => {
    const md = await formatMarkdown(
      resultsTable({
        mode: "full",
        machine,
        runs: [
          {
            pieces: ["gas"],
            startedAt: "2026-11-29T18:30:23.000Z",
            finishedAt: "2026-11-29T18:35:00.000Z",
            load: [18.3, 19],
          },
          {
            pieces: ["gateway"],
            startedAt: "2026-11-29T19:10:00.000Z",
            finishedAt: "2026-11-29T19:15:00.000Z",
            load: [2, 3],
          },
        ],
        failures: [{ piece: "sdk", error: "exit 1" }],
        results: [rateRow, gasRow],
      }),
    );
    // Gas comes first whatever the rows' order; pipes inside cells are escaped.
    expect(md.indexOf("Gas (one Hardhat chain")).to.be.lessThan(md.indexOf("Gateway against bare Express"));
    expect(md).to.match(
      /\| `anchorEvidence`, signed and relayed +\| +93,291 gas \| EAS `attestByDelegation`: 411,172 gas +\| +4\.41 \| ≤ 100,000 gas: met +\| storage writes \\\| one signature check \|/,
    );
    expect(md).to.match(/\| +0\.30 \| ratio ≥ 0\.5: \*\*missed\*\* \|/);
    expect(md).to.contain("Not measured in this run: sdk failed (exit 1).");
    expect(md).to.contain("2 × Test CPU");
    // Each run the rows come from, with its time and load (rows kept by --only come from an earlier run).
    expect(md).to.contain("gas on 2026-11-29 18:30 UTC (load average 18.3 at the start, 19.0 at the end)");
    expect(md).to.contain("gateway on 2026-11-29 19:10 UTC (load average 2.0 at the start, 3.0 at the end)");
    // Already formatted as prettier --check wants it.
    expect(await formatMarkdown(md)).to.equal(md);
  });

  it("writes results.json as prettier formats JSON (so that the repository's format check passes)", async () => {
    const json = await formatAs(JSON.stringify({ load: [1, 2], rows: [] }, null, 2), "bench/results.json");
    // Prettier keeps the objects broken as written and joins short arrays (what JSON.stringify alone does not).
    expect(json).to.equal('{\n  "load": [1, 2],\n  "rows": []\n}\n');
  });

  it("replaces only the text between the README's markers, and refuses a README without them", () => {
    const readme = `# title\n\nbefore\n\n${README_BEGIN}\n\nold table\n\n${README_END}\n\nafter\n`;
    const out = replaceBetweenMarkers(readme, "| new |\n");
    expect(out).to.equal(`# title\n\nbefore\n\n${README_BEGIN}\n\n| new |\n\n${README_END}\n\nafter\n`);
    expect(replaceBetweenMarkers(out, "| new |")).to.equal(out);
    expect(() => replaceBetweenMarkers("# no markers\n", "x")).to.throw(/no .* section/);
  });
});
