/**
 * Gateway benchmark (`npm run bench:gateway`): the gateway's answers under load (autocannon on loopback), each
 * against a bare Express 5 endpoint measured in the same run, alternating baseline and subject:
 *
 * (a) "is this hash anchored": `GET /v1/public/evidence/:contentHash` for a hash never anchored (the index lookup
 *     every probe takes) against a bare endpoint returning a constant (target ≥ 0.5); and, informational, the
 *     public probe for a hash its anchoring member disclosed publicly (index, then the record, its custody and a
 *     verification read from the chain) and the member's `GET /v1/evidence?contentHash` for an anchored hash (index
 *     + the record read from the chain), each against a bare endpoint making the same chain reads;
 * (b) a full signed verification report for a known hash (`POST /v1/verifications`, the demo's evidence, the DE
 *     court's report key) against a bare endpoint that makes the same chain reads with raw JSON-RPC and signs the
 *     same report bytes with jose (ES256);
 * (c) an authorisation query (`GET /v1/licences/:id/authorization`, the demo's licence) against a bare endpoint
 *     making the same chain reads with raw JSON-RPC.
 *
 * "The same chain reads": a first gateway, on its own data folder, talks to the chain through a recording proxy; one
 * request of each kind warms it, the next one's JSON-RPC requests (batches kept as batches, in order) are recorded,
 * and the bare endpoints replay exactly those, one after the other, against the chain. The gateway measured talks to
 * the chain directly. Gateway and bare endpoints run in one child process (same event loop, same Node flags); the
 * load generator runs in this process. The gateway runs as deployed: every middleware, the request log at `info`
 * (one line per request) written to the child's stdout, which is /dev/null (or BENCH_GATEWAY_LOG, a file).
 *
 *   BENCH_QUICK=1         2 s per run, 1 round (CI smoke); full mode: 5 s per run, 3 rounds
 *   BENCH_CONNECTIONS     concurrent connections (default 10)
 *   BENCH_GATEWAY_ONLY    some queries only, e.g. publicProbe,verify (profiling)
 *   BENCH_PROFILE         a folder: the server process writes a V8 CPU profile there
 *   BENCH_GATEWAY_LOG     a file for the gateway's log lines (default /dev/null)
 *   BENCH_GATEWAY_LOG_LEVEL  the gateway's log level (default info, as deployed; silent to see what the lines cost)
 */
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { CompactSign, importJWK, type JWK } from "jose";
import { HDNodeWallet, Mnemonic, Wallet, hexlify, id as keccakText, randomBytes } from "ethers";
import {
  ConsortiumClient,
  EvidenceCategory,
  EvidenceClient,
  ISSUER_HEADER,
  REPORT_JWS_TYPE,
  computeCid,
  createProvider,
  generateReportKey,
  loadConsortiumConfig,
} from "../sdk/src";
import { loadGatewayConfig } from "../server/src/config";
import { startGateway, type GatewayModule, type RunningGateway } from "../server/src/gateway";
import { auditModule } from "../server/src/audit";
import { indexerModule } from "../server/src/indexer";
import { addKeys } from "../server/src/keystore";
import { readsModule } from "../server/src/routes/reads";
import { verificationModule } from "../server/src/routes/verification";
import { concludeConfiguredAgreements } from "./lib/agreements";
import { ANVIL_MNEMONIC, devAccount, devAccountFor, freePort, startAnvil } from "./lib/anvil";
import { deployCrossproof } from "./lib/deploy";
import { runDemo } from "./lib/demo";
import { quickMode, ratioOf, record } from "./lib/bench-results";

const QUICK = quickMode();
const SECONDS = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PASSWORD = "benchmark keystore password";
const MODULES: GatewayModule[] = [auditModule, indexerModule, readsModule, verificationModule];

const anvilKey = (i: number) =>
  new Wallet(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey);

/** What the parent hands the child: the chain, the deployment, the keys, the demo's identifiers. */
interface Setup {
  rpcUrl: string;
  deploymentFile: string;
  keystoreDir: string;
  storeDir: string;
  dataDir: string;
  contentHash: string;
  /** A content hash the FR agency anchored and disclosed publicly (the public probe's "yes"). */
  publicHash: string;
  licenceId: string;
  reportJwk: JWK;
  reportKid: string;
}

/** One HTTP request of a pair: the gateway's and the bare endpoint's. */
interface Target {
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers: Record<string, string>;
}
interface Pair {
  key: string;
  gateway: Target;
  bare: Target;
}

// ------------------------------------------------------------------------------------------------------------------
// The child: the gateway and the bare endpoints
// ------------------------------------------------------------------------------------------------------------------

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });

/** A JSON-RPC pass-through to the chain that keeps the bodies it forwards while `recording`. */
async function recordingProxy(rpcUrl: string) {
  const state = { recording: false, bodies: [] as string[] };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (state.recording) state.bodies.push(body);
      const r = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(await r.text());
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, server };
}

async function gatewayOn(setup: Setup, rpcUrl: string, dataDir: string): Promise<RunningGateway> {
  const gw = await startGateway(
    loadGatewayConfig(
      {},
      {
        port: "0",
        rpcUrl,
        dataDir,
        deploymentFile: setup.deploymentFile,
        keystoreDir: setup.keystoreDir,
        keystorePassword: PASSWORD,
        contentStore: setup.storeDir,
        indexerPollMs: "0",
        // The benchmark measures answers, not the per-client request limit.
        rateLimit: "100000000",
        // As an operator runs it: one line per request (to /dev/null or BENCH_GATEWAY_LOG: see the fork).
        logLevel: process.env.BENCH_GATEWAY_LOG_LEVEL ?? "info",
      },
    ),
    MODULES,
  );
  await gw.ctx.indexer!.syncOnce();
  return gw;
}

async function courtToken(gw: RunningGateway): Promise<string> {
  return (
    await gw.ctx.sessions.issue({
      kind: "member",
      memberId: 2n,
      roles: ["COURT", "GOVERNOR"],
      jurisdiction: "DE",
      address: anvilKey(2).address,
    })
  ).token;
}

/** The gateway requests measured (with a token of `gw`). */
function gatewayTargets(setup: Setup, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  const never = `0x${"ab".repeat(32)}`;
  return {
    publicProbe: { method: "GET", path: `/v1/public/evidence/${never}`, headers: {} },
    publicAnchored: { method: "GET", path: `/v1/public/evidence/${setup.publicHash}`, headers: {} },
    anchored: { method: "GET", path: `/v1/evidence?contentHash=${setup.contentHash}`, headers: auth },
    verify: {
      method: "POST",
      path: "/v1/verifications",
      body: JSON.stringify({ evidence: { contentHash: setup.contentHash }, anchoredBy: 1 }),
      headers: { ...auth, "content-type": "application/json" },
    },
    authorization: {
      method: "GET",
      path: `/v1/licences/${setup.licenceId}/authorization?right=MAKE_AVAILABLE&territory=DE`,
      headers: auth,
    },
  } satisfies Record<string, Target>;
}

async function send(base: string, t: Target): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${t.path}`, {
    method: t.method,
    headers: t.headers,
    ...(t.body === undefined ? {} : { body: t.body }),
  });
  return { status: res.status, text: await res.text() };
}

async function child(): Promise<void> {
  const setup = await new Promise<Setup>((resolve) => process.once("message", (m) => resolve(m as Setup)));

  // 1. The capture: a gateway through the recording proxy, one warm request, then one recorded.
  const proxy = await recordingProxy(setup.rpcUrl);
  const capture = await gatewayOn(setup, proxy.url, path.join(setup.dataDir, "capture"));
  const captured: Record<string, { bodies: string[]; response: string }> = {};
  try {
    const targets = gatewayTargets(setup, await courtToken(capture));
    for (const [key, t] of Object.entries(targets)) {
      for (let i = 0; i < 2; i++) await send(capture.url, t);
      proxy.state.bodies = [];
      proxy.state.recording = true;
      const r = await send(capture.url, t);
      proxy.state.recording = false;
      if (r.status !== 200) throw new Error(`${key}: HTTP ${r.status}: ${r.text}`);
      if (key === "publicAnchored" && !r.text.includes('"anchored":true')) {
        throw new Error(`the publicly disclosed record is not answered as anchored: ${r.text}`);
      }
      captured[key] = { bodies: proxy.state.bodies, response: r.text };
    }
  } finally {
    await capture.close();
    proxy.server.close();
  }

  // 2. The gateway measured, straight to the chain.
  const gw = await gatewayOn(setup, setup.rpcUrl, path.join(setup.dataDir, "gateway"));
  const targets = gatewayTargets(setup, await courtToken(gw));

  // 3. The bare endpoints: Express 5, raw JSON-RPC over fetch (keep-alive), jose.
  const key = await importJWK(setup.reportJwk, "ES256");
  const replay = async (bodies: readonly string[]) => {
    for (const body of bodies) {
      const r = await fetch(setup.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      const answer = (await r.json()) as { error?: unknown } | { error?: unknown }[];
      if ((Array.isArray(answer) ? answer : [answer]).some((a) => a.error !== undefined)) {
        throw new Error(`the chain refused a replayed read: ${JSON.stringify(answer)}`);
      }
    }
  };
  const verifyAnswer = JSON.parse(captured.verify!.response) as { report: unknown; kid: string };
  const reportBytes = new TextEncoder().encode(JSON.stringify(verifyAnswer.report));
  const app = express();
  app.disable("x-powered-by");
  app.get("/constant", (_req, res) => {
    res.json({ anchored: false });
  });
  app.get("/anchored", async (_req, res) => {
    await replay(captured.anchored!.bodies);
    res.type("application/json").send(captured.anchored!.response);
  });
  app.get("/public-anchored", async (_req, res) => {
    await replay(captured.publicAnchored!.bodies);
    res.type("application/json").send(captured.publicAnchored!.response);
  });
  app.post("/verify", express.json(), async (_req, res) => {
    await replay(captured.verify!.bodies);
    const jws = await new CompactSign(reportBytes)
      .setProtectedHeader({
        alg: "ES256",
        kid: setup.reportKid,
        typ: REPORT_JWS_TYPE,
        iat: Math.floor(Date.now() / 1000),
        [ISSUER_HEADER]: "2",
      })
      .sign(key);
    res.json({ report: verifyAnswer.report, jws, kid: setup.reportKid });
  });
  app.get("/authorization", async (_req, res) => {
    await replay(captured.authorization!.bodies);
    res.type("application/json").send(captured.authorization!.response);
  });
  const bare: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const pairs: Pair[] = [
    { key: "publicProbe", gateway: targets.publicProbe, bare: { method: "GET", path: "/constant", headers: {} } },
    {
      key: "publicAnchored",
      gateway: targets.publicAnchored,
      bare: { method: "GET", path: "/public-anchored", headers: {} },
    },
    { key: "anchored", gateway: targets.anchored, bare: { method: "GET", path: "/anchored", headers: {} } },
    {
      key: "verify",
      gateway: targets.verify,
      bare: { ...targets.verify, path: "/verify" },
    },
    {
      key: "authorization",
      gateway: targets.authorization,
      bare: { method: "GET", path: "/authorization", headers: {} },
    },
  ];
  const reads = Object.fromEntries(
    Object.entries(captured).map(([k, c]) => [
      k,
      c.bodies.reduce((n, b) => n + (b.trimStart().startsWith("[") ? (JSON.parse(b) as unknown[]).length : 1), 0),
    ]),
  );
  process.send!({
    gatewayUrl: gw.url,
    bareUrl,
    pairs,
    reads,
    requests: Object.fromEntries(Object.entries(captured).map(([k, c]) => [k, c.bodies.length])),
  });
  await new Promise((resolve) => process.once("message", resolve));
  bare.close();
  bare.closeAllConnections();
  await gw.close();
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------------------------
// The parent: the chain, the load
// ------------------------------------------------------------------------------------------------------------------

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (o: object) => Promise<AutocannonResult>;

async function load(base: string, t: Target, seconds: number): Promise<AutocannonResult> {
  const r = await autocannon({
    url: `${base}${t.path}`,
    method: t.method,
    headers: t.headers,
    ...(t.body === undefined ? {} : { body: t.body }),
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(`${t.method} ${t.path}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** What each pair measures; `target`: held to ratio ≥ 0.5 (the issue's targets), else informational. */
const LABELS: Record<string, { metric: string; baseline: string; limit: string; target: boolean }> = {
  publicProbe: {
    metric: "(a) is this hash anchored, public probe (`GET /v1/public/evidence/:hash`, not anchored)",
    baseline: "bare Express 5, a constant",
    limit:
      "CPU: the middleware every route has (request log at info, helmet, rate limit, zod) and one SQLite index query",
    target: true,
  },
  publicAnchored: {
    metric: "(a) is this hash anchored, public probe (`GET /v1/public/evidence/:hash`, anchored, disclosed publicly)",
    baseline: "bare Express 5, the same chain reads (raw JSON-RPC)",
    limit: "the chain reads after the SQLite index query: the record, its custody, a verification in its jurisdiction",
    target: false,
  },
  anchored: {
    metric: "(a) is this hash anchored, member query (`GET /v1/evidence?contentHash`, anchored)",
    baseline: "bare Express 5, the same chain reads (raw JSON-RPC)",
    limit: "the chain reads of the record after the SQLite index query; the session check",
    target: false,
  },
  verify: {
    metric: "(b) signed verification report, known hash (`POST /v1/verifications`)",
    baseline: "bare Express 5, the same chain reads (raw JSON-RPC) + jose ES256",
    limit: "the chain reads (sequential eth_calls) and the report's schema validation and signing",
    target: true,
  },
  authorization: {
    metric: "(c) authorisation query (`GET /v1/licences/:id/authorization`)",
    baseline: "bare Express 5, the same chain reads (raw JSON-RPC)",
    limit: "the chain reads (verifyAuthorization, the licence chain explained)",
    target: true,
  },
};

async function parent(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-gateway-"));
  const anvil = await startAnvil({ port: await freePort() });
  const provider = createProvider(anvil.url);
  let server: ChildProcess | undefined;
  try {
    const config = loadConsortiumConfig("config/demo-consortium.json");
    const deploymentFile = path.join(dir, "deployment.json");
    const { record: deployment } = await deployCrossproof({ signer: devAccount(0, provider), config, deploymentFile });
    await concludeConfiguredAgreements({
      provider,
      relayer: devAccount(0, provider),
      record: deployment,
      config,
      keyFor: (a) => devAccountFor(a, provider),
    });
    const demo = await runDemo({ provider, deployment, workDir: path.join(dir, "demo") });
    // A record the FR agency anchored and then disclosed publicly (a Disclosed custody event, no counterparty).
    const evidence = await EvidenceClient.connect(deployment.contracts.EvidenceRegistry.address, provider);
    const publicHash = hexlify(randomBytes(32));
    const signedAnchor = await evidence.signAnchorEvidence(anvilKey(1), {
      contentHash: publicHash,
      packageCid: await computeCid(new TextEncoder().encode("package cited in a public takedown notice")),
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      caseRef: keccakText("case cited publicly"),
      collectedAt: (await evidence.chainTime()) - 60,
    });
    const { recordId } = await (await evidence.anchorEvidence(signedAnchor, devAccount(8, provider))).wait();
    for (const eventType of ["Collected", "Disclosed"] as const) {
      await (
        await evidence.submit(
          await evidence.signCustody(anvilKey(1), { recordId, eventType, counterparty: 0 }),
          devAccount(8, provider),
        )
      ).wait();
    }
    const consortium = await ConsortiumClient.connect(deployment.contracts.Consortium.address, provider);
    const reportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(anvilKey(2), 2, { purpose: "Report", jwk: reportKey.publicJwk }),
        devAccount(8, provider),
      )
    ).wait();
    const keystoreDir = path.join(dir, "keys");
    await addKeys(keystoreDir, PASSWORD, {
      memberId: 2,
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [demo.courtRecipientKey],
    });
    const setup: Setup = {
      rpcUrl: anvil.url,
      deploymentFile,
      keystoreDir,
      storeDir: demo.storeDir,
      dataDir: dir,
      contentHash: demo.contentHash,
      publicHash,
      licenceId: demo.licenceId,
      reportJwk: reportKey.privateJwk,
      reportKid: reportKey.kid,
    };
    // BENCH_PROFILE=<folder>: the server process writes a V8 CPU profile there (node --cpu-prof).
    const profile = process.env.BENCH_PROFILE;
    // The gateway's log lines go to /dev/null, or to a file (BENCH_GATEWAY_LOG), as an operator's would to a file.
    const logFd = openSync(process.env.BENCH_GATEWAY_LOG ?? "/dev/null", "a");
    server = fork(__filename, ["--serve"], {
      stdio: ["ignore", logFd, "inherit", "ipc"],
      execArgv: [
        "-r",
        "ts-node/register/transpile-only",
        ...(profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profile}`]),
      ],
    });
    const ready = new Promise<{
      gatewayUrl: string;
      bareUrl: string;
      pairs: Pair[];
      reads: Record<string, number>;
      requests: Record<string, number>;
    }>((resolve, reject) => {
      server!.once("message", (m) => resolve(m as never));
      server!.once("exit", (code) => reject(new Error(`the server process exited (${code})`)));
    });
    server.send(setup);
    const { gatewayUrl, bareUrl, pairs, reads, requests } = await ready;
    console.log(
      `${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} round(s), baseline and gateway alternating\n`,
    );
    console.log("| query | chain reads | gateway req/s | bare req/s | ratio | gateway p50/p99 ms | bare p50/p99 ms |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    // BENCH_GATEWAY_ONLY=verify,authorization: some queries only (profiling).
    const only = process.env.BENCH_GATEWAY_ONLY?.split(",");
    for (const pair of pairs.filter((p) => only === undefined || only.includes(p.key))) {
      // Warm both (JIT, connections, the gateway's caches of chain constants).
      await load(bareUrl, pair.bare, 1);
      await load(gatewayUrl, pair.gateway, 1);
      const rounds: { g: AutocannonResult; b: AutocannonResult }[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const first = r % 2 === 0;
        const x = await load(first ? bareUrl : gatewayUrl, first ? pair.bare : pair.gateway, SECONDS);
        const y = await load(first ? gatewayUrl : bareUrl, first ? pair.gateway : pair.bare, SECONDS);
        rounds.push(first ? { b: x, g: y } : { g: x, b: y });
      }
      const pick = (f: (r: AutocannonResult) => number, unit: string) => ({
        g: median(rounds.map((r) => f(r.g))),
        b: median(rounds.map((r) => f(r.b))),
        ratio: median(rounds.map((r) => ratioOf(f(r.g), f(r.b), unit))),
      });
      const req = pick((r) => r.requests.average, "req/s");
      const p50 = pick((r) => r.latency.p50, "ms");
      const p99 = pick((r) => r.latency.p99, "ms");
      const label = LABELS[pair.key]!;
      const readsNote = `${reads[pair.key]} JSON-RPC calls in ${requests[pair.key]} HTTP requests`;
      console.log(
        `| ${pair.key} | ${readsNote} | ${req.g.toFixed(0)} | ${req.b.toFixed(0)} | ${req.ratio.toFixed(2)} | ` +
          `${p50.g}/${p99.g} | ${p50.b}/${p99.b} |`,
      );
      const limit = `${label.limit}; ${readsNote}`;
      record({
        group: "gateway",
        metric: `${label.metric}: throughput`,
        value: req.g,
        unit: "req/s",
        baseline: { name: label.baseline, value: req.b },
        ratio: req.ratio,
        limit,
        ...(label.target ? { target: "ratio ≥ 0.5", met: req.ratio >= 0.5 } : {}),
      });
      for (const [name, q] of [
        ["p50", p50],
        ["p99", p99],
      ] as const) {
        record({
          group: "gateway",
          metric: `${label.metric}: ${name} latency`,
          value: q.g,
          unit: "ms",
          baseline: { name: label.baseline, value: q.b },
          ratio: q.ratio,
          limit: `${CONNECTIONS} connections`,
        });
      }
    }
    server.send("stop");
    await new Promise((resolve) => server!.once("exit", resolve));
    server = undefined;
    closeSync(logFd);
  } finally {
    server?.kill();
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

(process.argv.includes("--serve") ? child() : parent()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
