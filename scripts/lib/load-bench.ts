/**
 * The gateway under sustained load (`npm run bench:load`, scripts/bench-load.ts): signed anchor submissions and
 * verifications at the same time, through real HTTP, against `npm run gateway` as a child process on the embedded
 * chain (Anvil as `npm start` runs it: a block per arriving transaction). Bounded: a fixed number of pre-signed
 * submissions and a fixed duration of verifications.
 *
 * What it measures and checks:
 * - every answer: 0 transport errors, 0 timeouts, 0 unexpected statuses (each submission 202, each verification 200);
 * - 0 lost: every submission answered 202 is confirmed afterwards (its outbox row, and its anchor event on chain
 *   exactly once; the relayer's nonce count equals the number of confirmed rows);
 * - latency (p50, p99, max) and throughput of each kind of request (autocannon), and how long the outbox took to
 *   confirm them all;
 * - the gateway process's resident memory (VmRSS) before the load, at its end, after the outbox drained, and its
 *   peak; its CPU time and Anvil's;
 * - what bounds these figures: the cost of one signature recovery and of one SQLite commit (synchronous FULL, as the
 *   outbox commits), measured on this machine, and the CPU share of the gateway and of the chain.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import autocannon from "autocannon";
import { Wallet, id as keccakText } from "ethers";
import {
  ConsortiumClient,
  connect,
  computeCid,
  generateReportKey,
  loadConsortiumConfig,
  parseWireRequest,
  recordIdOf,
  recoverRequestSigners,
  toWireRequest,
  type Crossproof,
  type RoleName,
} from "../../sdk/src";
import { Sessions } from "../../server/src/auth/principal";
import { addKeys } from "../../server/src/keystore";
import { concludeConfiguredAgreements } from "./agreements";
import { devAccount, devAccountFor, freePort, localProvider, startAnvil } from "./anvil";
import { deployCrossproof } from "./deploy";
import { runDemo } from "./demo";

const root = path.resolve(__dirname, "..", "..");

export interface LoadBenchOptions {
  /** Signed anchor submissions sent (each once). */
  submissions: number;
  /** Concurrent connections sending submissions. */
  submissionConnections: number;
  /** Least seconds of verifications (they run while the submissions are sent, and at least this long). */
  verificationSeconds: number;
  /** Concurrent connections sending verifications. */
  verificationConnections: number;
  /** Called with progress lines. */
  log?: (line: string) => void;
}

export interface LatencySummary {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  unexpectedStatus: number;
}

export interface LoadBenchResult {
  format: "crossproof.load-bench/1";
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[]; node: string };
  options: Omit<LoadBenchOptions, "log">;
  submissions: LatencySummary & {
    accepted: number;
    confirmed: number;
    failed: number;
    lost: number;
    anchoredOnChain: number;
    duplicatesOnChain: number;
    relayerTransactions: number;
    /** Seconds from the first submission to the last confirmation. */
    drainSeconds: number;
    confirmedPerSecond: number;
    blocks: number;
  };
  /** `aloneMs`: the median latency of one verification at a time, before the load. */
  verifications: LatencySummary & { aloneMs: number };
  /** RSS of the gateway process; `rssEachQuarterMiB`: at the start and after each quarter of the submissions. */
  memory: {
    rssStartMiB: number;
    rssEndOfLoadMiB: number;
    rssAfterDrainMiB: number;
    rssPeakMiB: number;
    rssEachQuarterMiB: number[];
    /** The V8 heap in use: before the load, its peak, and the least over 8 s idle after the drain. */
    heapUsedStartMiB: number;
    heapUsedPeakMiB: number;
    heapUsedIdleAfterMiB: number;
  };
  cpu: { gatewaySeconds: number; gatewayShareOfOneCore: number; chainSeconds: number; chainShareOfOneCore: number };
  limits: {
    signatureRecoveryMs: number;
    sqliteCommitMs: number;
    notes: string[];
  };
}

/** Resident memory of a process in MiB (Linux /proc), or NaN elsewhere. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU seconds a process used so far (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The gateway's V8 heap in use in MiB, from its Prometheus metrics (NaN when it does not answer). */
async function heapUsedMiB(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const m = /^crossproof_gateway_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return m === null ? NaN : Number(m[1]) / 2 ** 20;
  } catch {
    return NaN;
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The figures of one autocannon run; the answers counted by status as they came (`statuses`). */
function summary(r: autocannon.Result, statuses: Map<number, number>, expectedStatus: number, seconds: number) {
  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    requests: answered,
    perSecond: round(answered / seconds),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    unexpectedStatus: answered - (statuses.get(expectedStatus) ?? 0),
  } satisfies LatencySummary;
}

const count = (m: Map<number, number>, status: number) => m.set(status, (m.get(status) ?? 0) + 1);

/** Milliseconds per `f()` over `n` runs. */
function timePer(n: number, f: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f(i);
  return (performance.now() - t0) / n;
}

export async function runLoadBench(o: LoadBenchOptions): Promise<LoadBenchResult> {
  const log = o.log ?? (() => {});
  const loadAverageAtStart = os.loadavg().map((x) => round(x, 2));
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-load-"));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    // The embedded chain, the demo consortium, the demo's evidence, a report key for the DE court (member 2).
    const anvil = await startAnvil({ port: await freePort() });
    cleanups.push(() => anvil.stop());
    const provider = localProvider(anvil.url);
    cleanups.push(() => provider.destroy());
    const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
    const deploymentFile = path.join(dir, "deployment.json");
    const { record } = await deployCrossproof({ signer: devAccount(0, provider), config, deploymentFile });
    await concludeConfiguredAgreements({
      provider,
      relayer: devAccount(0, provider),
      record,
      config,
      keyFor: (a) => devAccountFor(a, provider),
    });
    const demo = await runDemo({ provider, deployment: record, workDir: path.join(dir, "demo") });
    const consortium = await ConsortiumClient.connect(record.contracts.Consortium.address, provider);
    const reportKey = await generateReportKey();
    const court = devAccount(2, provider);
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(court, 2, { purpose: "Report", jwk: reportKey.publicJwk }),
        devAccount(8, provider),
      )
    ).wait();
    const keystoreDir = path.join(dir, "keys");
    const keystorePassword = randomBytes(16).toString("hex");
    await addKeys(keystoreDir, keystorePassword, {
      memberId: 2,
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
    });
    log("chain ready: the demo consortium deployed, the demo run, a report key for the DE court registered");

    // The gateway, as `npm run gateway` runs it, with a session secret this process holds.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const secret = randomBytes(32);
    mkdirSync(path.join(dir, "gateway"), { recursive: true });
    writeFileSync(path.join(dir, "gateway", "session.key"), secret.toString("base64url"), { mode: 0o600 });
    const relayerKey = devAccount(9, provider).privateKey;
    let output = "";
    const child: ChildProcess = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "server/src/main.ts"],
      {
        cwd: root,
        env: {
          ...process.env,
          CROSSPROOF_GATEWAY_PORT: String(port),
          CROSSPROOF_GATEWAY_URL: url,
          CROSSPROOF_RPC_URL: anvil.url,
          CROSSPROOF_DATA_DIR: dir,
          CROSSPROOF_DEPLOYMENT: deploymentFile,
          CROSSPROOF_RELAYER_KEY: relayerKey,
          CROSSPROOF_KEYSTORE: keystoreDir,
          CROSSPROOF_KEYSTORE_PASSWORD: keystorePassword,
          CROSSPROOF_LOG_LEVEL: "warn",
          // The bench measures capacity: the per-member rate limit would measure the limit.
          CROSSPROOF_RATE_LIMIT: "100000000",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exit;
    });
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${output}`);
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() - started > 180_000) throw new Error(`the gateway did not get ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const pid = child.pid!;
    log(`gateway ready at ${url} (pid ${pid})`);

    // Tokens of the three anchoring members and the court; the submissions, signed before the clock starts.
    const sessions = new Sessions(secret, url, 3600);
    const members = [
      { memberId: 1n, index: 1, roles: ["AGENCY", "GOVERNOR"], jurisdiction: "FR" },
      { memberId: 2n, index: 2, roles: ["COURT", "GOVERNOR"], jurisdiction: "DE" },
      { memberId: 3n, index: 3, roles: ["PLATFORM"], jurisdiction: "US" },
    ] as const;
    const wallets = members.map((m) => new Wallet(devAccount(m.index, provider).privateKey));
    const tokens: string[] = [];
    for (const [i, m] of members.entries()) {
      const { token } = await sessions.issue({
        kind: "member",
        memberId: m.memberId,
        roles: [...m.roles] as RoleName[],
        jurisdiction: m.jurisdiction,
        address: wallets[i]!.address,
      });
      tokens.push(token);
    }
    const cp: Crossproof = await connect({ rpcUrl: anvil.url, deployment: deploymentFile });
    cleanups.push(() => cp.close());
    const now = await cp.chainTime();
    const packageCid = await computeCid(Buffer.from("bench load package"));
    const anchors: { body: string; token: string; recordId: string }[] = [];
    for (let i = 0; i < o.submissions; i++) {
      const by = i % 3;
      const contentHash = keccakText(`bench load ${i} ${randomBytes(8).toString("hex")}`);
      const signed = await cp.evidence.signAnchorEvidence(wallets[by]!, {
        contentHash,
        packageCid,
        category: 3,
        firstUpload: "US",
        caseRef: keccakText(`bench case ${i % 50}`),
        collectedAt: now - 3600,
        validFor: 24 * 3600,
      });
      anchors.push({
        body: JSON.stringify(toWireRequest(signed)),
        token: tokens[by]!,
        recordId: recordIdOf(members[by]!.memberId, contentHash),
      });
    }
    log(`${anchors.length} anchor requests signed`);

    // The limits, measured on this machine: one signature recovery (intake step 3), one SQLite commit (synchronous
    // FULL, one per accepted submission and per state change of the outbox).
    const wire = anchors.slice(0, 200).map((a) => JSON.parse(a.body) as unknown);
    const signatureRecoveryMs = timePer(wire.length, (i) => recoverRequestSigners(parseWireRequest(wire[i])));
    const probe = new Database(path.join(dir, "commit-probe.db"));
    probe.pragma("journal_mode = WAL");
    probe.pragma("synchronous = FULL");
    probe.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    const insert = probe.prepare("INSERT INTO t (v) VALUES (?)");
    const sqliteCommitMs = timePer(500, (i) => insert.run(`row ${i} ${"x".repeat(1500)}`));
    probe.close();

    // Warm up (connections, JIT, caches), then the memory at the start.
    await autocannon({
      url: `${url}/v1/verifications`,
      method: "POST",
      connections: 2,
      amount: 20,
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens[1]}` },
      body: JSON.stringify({ evidence: { contentHash: demo.contentHash }, anchoredBy: 1 }),
    });
    // One verification and one submission at a time, before the load: the latency without queueing.
    const verificationBody = JSON.stringify({ evidence: { contentHash: demo.contentHash }, anchoredBy: 1 });
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${url}/v1/verifications`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens[1]}` },
        body: verificationBody,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`a verification answered ${res.status}`);
      idle.push(performance.now() - t);
    }
    const idleVerificationMs = round(idle.sort((a, b) => a - b)[2]!);
    log(`one verification alone: ${idleVerificationMs} ms (median of 5)`);
    const rssStart = rssMiB(pid);
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 250);
    cleanups.push(() => clearInterval(sampler));
    // The V8 heap in use (the gateway's own /metrics), every second: what the program holds, unlike RSS, which keeps
    // what the heap once grew to.
    const heapStart = await heapUsedMiB(url);
    const heapSamples: number[] = [];
    const heapSampler = setInterval(
      () => void heapUsedMiB(url).then((h) => Number.isFinite(h) && heapSamples.push(h)),
      1000,
    );
    cleanups.push(() => clearInterval(heapSampler));
    const cpu0 = { gateway: cpuSeconds(pid), chain: cpuSeconds(anvil.process.pid!) };
    const block0 = await provider.getBlockNumber();
    const relayer = devAccount(9, provider).address;
    const nonce0 = await provider.getTransactionCount(relayer, "latest");

    // The load: submissions (each pre-signed request once) and verifications, at the same time.
    const accepted: string[] = [];
    const rssByQuarter: number[] = [];
    const submissionStatuses = new Map<number, number>();
    const verificationStatuses = new Map<number, number>();
    let next = 0;
    const t0 = performance.now();
    let submissionsSeconds = 0;
    const submitting = autocannon({
      url: `${url}/v1/submissions`,
      connections: Math.min(o.submissionConnections, anchors.length),
      amount: anchors.length,
      timeout: 60,
      requests: [
        {
          method: "POST",
          path: "/v1/submissions",
          setupRequest: (req) => {
            const a = anchors[next++ % anchors.length]!;
            return {
              ...req,
              headers: { "content-type": "application/json", authorization: `Bearer ${a.token}` },
              body: a.body,
            };
          },
          onResponse: (status, body) => {
            count(submissionStatuses, status);
            if (status === 202) accepted.push((JSON.parse(body) as { id: string }).id);
            if (accepted.length % Math.max(1, Math.floor(anchors.length / 4)) === 0) rssByQuarter.push(rssMiB(pid));
          },
        },
      ],
    }).then((r) => {
      submissionsSeconds = (performance.now() - t0) / 1000;
      return r;
    });
    // Verifications for as long as the submissions are sent, and at least `verificationSeconds`.
    // The run is a thenable with stop() (autocannon returns its instance, a thenable, when given no callback).
    const verifying = autocannon({
      url: `${url}/v1/verifications`,
      method: "POST",
      connections: o.verificationConnections,
      duration: 3600,
      timeout: 60,
      requests: [
        {
          method: "POST",
          path: "/v1/verifications",
          headers: { "content-type": "application/json", authorization: `Bearer ${tokens[1]}` },
          body: JSON.stringify({ evidence: { contentHash: demo.contentHash }, anchoredBy: 1 }),
          onResponse: (status) => void count(verificationStatuses, status),
        },
      ],
    }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
    const minimum = new Promise((r) => setTimeout(r, o.verificationSeconds * 1000));
    void Promise.all([submitting, minimum]).then(() => verifying.stop());
    const [subs, verifs] = await Promise.all([submitting, verifying]);
    const loadSeconds = (performance.now() - t0) / 1000;
    const rssEndOfLoad = rssMiB(pid);
    log(
      `load done in ${round(loadSeconds)} s: ${subs.requests.total} submissions, ${verifs.requests.total} verifications`,
    );

    // Drained: every accepted submission settled (read from the gateway's database, as its worker wrote it).
    const db = new Database(path.join(dir, "gateway", "gateway.db"), { readonly: true });
    cleanups.push(() => {
      db.close();
    });
    const counts = () =>
      Object.fromEntries(
        (
          db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all() as { state: string; n: number }[]
        ).map((r) => [r.state, r.n]),
      ) as Record<string, number>;
    const drainDeadline = Date.now() + 600_000;
    while ((counts().accepted ?? 0) + (counts().sent ?? 0) > 0) {
      if (Date.now() > drainDeadline) throw new Error(`the outbox did not drain: ${JSON.stringify(counts())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    clearInterval(heapSampler);
    // After the drain, idle: the least heap in use over a few seconds (between collections).
    const idleHeap: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      idleHeap.push(await heapUsedMiB(url));
    }
    const rssAfterDrain = rssMiB(pid);
    const cpu1 = { gateway: cpuSeconds(pid), chain: cpuSeconds(anvil.process.pid!) };
    const final = counts();
    const acceptedSet = new Set(accepted);
    const rows = db.prepare("SELECT id, state FROM outbox").all() as { id: string; state: string }[];
    const confirmed = rows.filter((r) => acceptedSet.has(r.id) && r.state === "confirmed").length;

    // On chain: each accepted anchor once; the relayer's transactions, one per confirmed row.
    const events = await cp.evidence.registry.queryFilter(cp.evidence.registry.filters.EvidenceAnchored(), block0 + 1);
    const onChain = new Map<string, number>();
    for (const e of events) onChain.set(e.args.recordId, (onChain.get(e.args.recordId) ?? 0) + 1);
    const expected = anchors.map((a) => a.recordId);
    const anchoredOnChain = expected.filter((r) => onChain.get(r) === 1).length;
    const duplicatesOnChain = expected.filter((r) => (onChain.get(r) ?? 0) > 1).length;
    const relayerTransactions = (await provider.getTransactionCount(relayer, "latest")) - nonce0;
    const blocks = (await provider.getBlockNumber()) - block0;

    const gatewaySeconds = cpu1.gateway - cpu0.gateway;
    const chainSeconds = cpu1.chain - cpu0.chain;
    const result: LoadBenchResult = {
      format: "crossproof.load-bench/1",
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
        memoryGiB: round(os.totalmem() / 2 ** 30),
        loadAverageAtStart,
        node: process.version,
      },
      options: {
        submissions: o.submissions,
        submissionConnections: o.submissionConnections,
        verificationSeconds: o.verificationSeconds,
        verificationConnections: o.verificationConnections,
      },
      submissions: {
        ...summary(subs, submissionStatuses, 202, submissionsSeconds),
        accepted: accepted.length,
        confirmed,
        failed: final.failed ?? 0,
        lost: accepted.length - confirmed,
        anchoredOnChain,
        duplicatesOnChain,
        relayerTransactions,
        drainSeconds: round(drainSeconds),
        confirmedPerSecond: round(confirmed / drainSeconds),
        blocks,
      },
      verifications: { ...summary(verifs, verificationStatuses, 200, loadSeconds), aloneMs: idleVerificationMs },
      memory: {
        rssStartMiB: round(rssStart),
        rssEndOfLoadMiB: round(rssEndOfLoad),
        rssAfterDrainMiB: round(rssAfterDrain),
        rssPeakMiB: round(rssPeak),
        rssEachQuarterMiB: [rssStart, ...rssByQuarter].map((x) => round(x)),
        heapUsedStartMiB: round(heapStart),
        heapUsedPeakMiB: round(Math.max(heapStart, ...heapSamples)),
        heapUsedIdleAfterMiB: round(Math.min(...idleHeap)),
      },
      cpu: {
        gatewaySeconds: round(gatewaySeconds, 2),
        gatewayShareOfOneCore: round(gatewaySeconds / drainSeconds, 2),
        chainSeconds: round(chainSeconds, 2),
        chainShareOfOneCore: round(chainSeconds / drainSeconds, 2),
      },
      limits: {
        signatureRecoveryMs: round(signatureRecoveryMs, 3),
        sqliteCommitMs: round(sqliteCommitMs, 3),
        notes: [
          "The gateway is one Node.js process: its request handling, the outbox worker and the indexer share one " +
            "core (gatewayShareOfOneCore near 1 means it is CPU-bound).",
          "Each verification runs the SDK's verifier against the chain (several eth_calls) and signs a JWS; each " +
            "request also re-checks the member's token on chain (the auth module).",
          "Each submission: an EIP-712 signature recovery (signatureRecoveryMs), a static call of the contract on " +
            "the node, and one SQLite commit with synchronous FULL (sqliteCommitMs: an fsync) before the 202.",
          "Anvil mines a block per arriving transaction (automine): confirmations follow the chain's block rate; " +
            "the outbox sends up to 100 transactions per JSON-RPC batch.",
          "Load generator, gateway and chain share this machine's cores.",
        ],
      },
    };
    return result;
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // Best effort: the temporary folder goes last.
      }
    }
  }
}
