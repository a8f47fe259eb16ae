/**
 * Load benchmark (`npm run bench:load`): signed anchor submissions and verifications at the same time against
 * `npm run gateway` on the embedded chain (see scripts/lib/load-bench.ts for what is measured and checked). Writes
 * bench/load-results.json and fails (exit 1) if any request errored or any accepted submission was not confirmed
 * exactly once.
 *
 *   BENCH_SUBMISSIONS              signed anchors submitted, each once (default 1000)
 *   BENCH_SUBMISSION_CONNECTIONS   concurrent connections sending them (default 16)
 *   BENCH_VERIFICATION_SECONDS     least seconds of verifications, sent while the submissions are (default 10)
 *   BENCH_VERIFICATION_CONNECTIONS concurrent connections sending them (default 8)
 *   BENCH_OUT                      where to write the results (default bench/load-results.json)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import { runLoadBench } from "./lib/load-bench";

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};

async function main(): Promise<void> {
  const out = path.resolve(process.env.BENCH_OUT ?? path.join(__dirname, "..", "bench", "load-results.json"));
  const result = await runLoadBench({
    submissions: num("BENCH_SUBMISSIONS", 1000),
    submissionConnections: num("BENCH_SUBMISSION_CONNECTIONS", 16),
    verificationSeconds: num("BENCH_VERIFICATION_SECONDS", 10),
    verificationConnections: num("BENCH_VERIFICATION_CONNECTIONS", 8),
    log: (line) => console.log(`  ${line}`),
  });
  mkdirSync(path.dirname(out), { recursive: true });
  // Written as the repository's formatter writes JSON, so that `npm run format:check` passes on a fresh result.
  const config = (await resolveConfig(out)) ?? {};
  writeFileSync(out, await format(JSON.stringify(result, null, 2), { ...config, parser: "json" }));
  const s = result.submissions;
  const v = result.verifications;
  const m = result.memory;
  console.log(`
Gateway under load — ${result.machine.cpus} × ${result.machine.cpuModel}, load average at start ${result.machine.loadAverageAtStart.join(" ")}
  submissions   ${s.requests} sent, ${s.accepted} accepted (202), ${s.confirmed} confirmed, ${s.lost} lost, ${s.duplicatesOnChain} duplicated on chain
                ${s.perSecond}/s accepted; p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms; errors ${s.errors}, timeouts ${s.timeouts}, other statuses ${s.unexpectedStatus}
                all confirmed ${s.drainSeconds} s after the first (${s.confirmedPerSecond}/s, ${s.blocks} blocks, ${s.relayerTransactions} relayer transactions)
  verifications ${v.requests} answered, ${v.perSecond}/s; p50 ${v.p50Ms} ms, p99 ${v.p99Ms} ms, max ${v.maxMs} ms; errors ${v.errors}, timeouts ${v.timeouts}, other statuses ${v.unexpectedStatus}
  memory (RSS)  ${m.rssStartMiB} MiB at the start, ${m.rssEndOfLoadMiB} MiB at the end of the load, ${m.rssAfterDrainMiB} MiB drained, peak ${m.rssPeakMiB} MiB; at each quarter ${m.rssEachQuarterMiB.join(" ")} MiB
                V8 heap in use ${m.heapUsedStartMiB} MiB at the start, peak ${m.heapUsedPeakMiB} MiB, ${m.heapUsedIdleAfterMiB} MiB idle after
  cpu           gateway ${result.cpu.gatewaySeconds} s (${result.cpu.gatewayShareOfOneCore} of a core), chain ${result.cpu.chainSeconds} s (${result.cpu.chainShareOfOneCore} of a core)
  limits        signature recovery ${result.limits.signatureRecoveryMs} ms, SQLite commit (synchronous FULL) ${result.limits.sqliteCommitMs} ms
  written to ${path.relative(process.cwd(), out)}`);
  const broken =
    s.errors +
    s.timeouts +
    s.unexpectedStatus +
    s.lost +
    s.duplicatesOnChain +
    v.errors +
    v.timeouts +
    v.unexpectedStatus;
  if (broken > 0 || s.anchoredOnChain !== s.accepted || s.relayerTransactions !== s.confirmed) {
    console.error("FAILED: errors, lost or duplicated submissions (see above)");
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
