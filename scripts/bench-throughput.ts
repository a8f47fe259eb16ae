/**
 * Throughput to the chain (`npm run bench:throughput`), on an embedded Anvil (automine) with crossproof deployed and
 * a gateway in this process (submissions module: the outbox and its relayer), each figure against a bare baseline on
 * the same chain in the same run:
 *
 * - signed anchors per second through the gateway: N `anchorEvidence` requests signed by a member key beforehand,
 *   posted to `POST /v1/submissions` (32 in flight), from the first post until the outbox has every one confirmed;
 *   against the same number of anchors pre-signed into raw transactions and sent straight to the node
 *   (`eth_sendRawTransaction`, JSON-RPC batches of 50, 8 in flight) until mined;
 * - records per second in one `anchorBatch` of 1,000 and of 10,000 records through the gateway, from the records'
 *   hashes (Merkle tree built, request signed, posted) until confirmed; against the same batch's raw transaction
 *   sent straight to the node until mined;
 * - the time to verify one record of a 10,000-record batch (`verifyEvidence` with its proof, the SDK's full report)
 *   against the bare on-chain inclusion check (`verifyInclusion` by one raw `eth_call`).
 *
 *   BENCH_QUICK=1   200 single anchors, batches of 1,000, 5 verifications; full: 1,000, 1,000 and 10,000, 30
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, SigningKey, Transaction, Wallet, ZeroHash, id } from "ethers";
import {
  EvidenceBatch,
  EvidenceClient,
  connect,
  createProvider,
  loadConsortiumConfig,
  toWireRequest,
  type Hex,
} from "../sdk/src";
import { loadGatewayConfig } from "../server/src/config";
import { startGateway, type RunningGateway } from "../server/src/gateway";
import { submissionsModule } from "../server/src/routes/submissions";
import { ANVIL_MNEMONIC, devAccount, freePort, rpcBatch, startAnvil } from "./lib/anvil";
import { sendRawTransactions, signAnchorBurst } from "./lib/anchor-burst";
import { deployCrossproof } from "./lib/deploy";
import { quickMode, ratioOf, record } from "./lib/bench-results";

const QUICK = quickMode();
const SINGLE = QUICK ? 200 : 1000;
const BATCHES = QUICK ? [1000] : [1000, 10_000];
const VERIFICATIONS = QUICK ? 5 : 30;
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

const anvilKey = (i: number) =>
  new Wallet(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Until the outbox has `n` more confirmed submissions than `before` (a failure is an error). */
async function outboxSettled(gw: RunningGateway, before: number, n: number): Promise<void> {
  const count = gw.ctx.db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state");
  for (;;) {
    const rows = count.all() as { state: string; n: number }[];
    const failed = rows.find((r) => r.state === "failed")?.n ?? 0;
    if (failed > 0) throw new Error(`${failed} submissions failed`);
    if ((rows.find((r) => r.state === "confirmed")?.n ?? 0) >= before + n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
const confirmedCount = (gw: RunningGateway) =>
  (gw.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'confirmed'").get() as { n: number }).n;

async function until(f: () => Promise<boolean>): Promise<void> {
  while (!(await f())) await new Promise((r) => setTimeout(r, 5));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-throughput-"));
  const anvil = await startAnvil({ port: await freePort() });
  const provider = createProvider(anvil.url);
  let gw: RunningGateway | undefined;
  try {
    const deploymentFile = path.join(dir, "deployment.json");
    const { record: deployment } = await deployCrossproof({
      signer: devAccount(0, provider),
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile,
    });
    const registry = deployment.contracts.EvidenceRegistry.address;
    const evidence = await EvidenceClient.connect(registry, provider);
    const { chainId } = await provider.getNetwork();
    gw = await startGateway(
      loadGatewayConfig(
        {},
        {
          port: "0",
          rpcUrl: anvil.url,
          dataDir: path.join(dir, "gateway"),
          deploymentFile,
          relayerKey: anvilKey(9).privateKey,
          rateLimit: "100000000",
          logLevel: "silent",
        },
      ),
      [submissionsModule],
    );
    const frAgency = anvilKey(1); // member 1, AGENCY
    const usPlatform = anvilKey(3); // member 3, PLATFORM
    const token = async (memberId: bigint, key: Wallet, roles: string[], jurisdiction: string) =>
      (
        await gw!.ctx.sessions.issue({
          kind: "member",
          memberId,
          roles: roles as never,
          jurisdiction,
          address: key.address,
        })
      ).token;
    const frToken = await token(1n, frAgency, ["AGENCY", "GOVERNOR"], "FR");
    const usToken = await token(3n, usPlatform, ["PLATFORM"], "US");
    const post = async (body: unknown, bearer: string) => {
      const res = await fetch(`${gw!.url}/v1/submissions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      });
      if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const chainTime = async () => evidence.chainTime();
    const minedNonce = (address: string) =>
      provider.send("eth_getTransactionCount", [address, "latest"]).then((n) => Number(n as string));

    // ---- Single anchors: the gateway against raw transactions.
    const signedSingles: unknown[] = [];
    for (let i = 0; i < SINGLE; i++) {
      signedSingles.push(
        toWireRequest(
          await evidence.signAnchorEvidence(frAgency, {
            contentHash: id(`throughput gateway ${i}`),
            packageCid: CID,
            category: 1,
            caseRef: ZeroHash,
            collectedAt: (await chainTime()) - 60,
          }),
        ),
      );
    }
    const rawKey = new SigningKey(anvilKey(8).privateKey);
    const rawAddress = new Wallet(rawKey).address;
    const burst = await signAnchorBurst({
      registry,
      domain: evidence.domain,
      chainId,
      memberId: 1n,
      memberKey: new SigningKey(frAgency.privateKey),
      relayers: [{ key: rawKey, nonce: await minedNonce(rawAddress) }],
      count: SINGLE,
      seed: "throughput raw",
      chainTime: await chainTime(),
    });
    const raw0 = await minedNonce(rawAddress);
    let t0 = performance.now();
    await sendRawTransactions(anvil.url, burst.transactions, { batchSize: 50, concurrency: 8 });
    await until(async () => (await minedNonce(rawAddress)) >= raw0 + SINGLE);
    const rawPerSecond = SINGLE / ((performance.now() - t0) / 1000);

    const before = confirmedCount(gw);
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < signedSingles.length) await post(signedSingles[next++], frToken);
      }),
    );
    const postedMs = performance.now() - t0;
    await outboxSettled(gw, before, SINGLE);
    const gatewayPerSecond = SINGLE / ((performance.now() - t0) / 1000);
    console.log(
      `single anchors (${SINGLE}): gateway ${gatewayPerSecond.toFixed(0)}/s (all accepted after ${postedMs.toFixed(0)} ms), ` +
        `raw transactions ${rawPerSecond.toFixed(0)}/s`,
    );
    record({
      group: "throughput",
      metric: `signed anchors through the gateway (\`POST /v1/submissions\`, ${SINGLE.toLocaleString("en-US")}, 32 in flight, until confirmed)`,
      value: gatewayPerSecond,
      unit: "anchors/s",
      baseline: { name: "the same anchors as raw transactions sent to the node", value: rawPerSecond },
      ratio: ratioOf(gatewayPerSecond, rawPerSecond, "anchors/s"),
      limit:
        "the outbox: each request checked (signature, a static call) and written to SQLite (synchronous FULL) " +
        "before 202, then sent by one relayer key; the node's block building",
    });

    // ---- Batches: from the records' hashes to the batch confirmed, against its raw transaction.
    const batchRoots: { batch: EvidenceBatch; records: Hex[] }[] = [];
    for (const n of BATCHES) {
      const hashes = (seed: string) => Array.from({ length: n }, (_, i) => id(`${seed} ${n} ${i}`) as Hex);
      // Raw: the batch built and signed, its transaction signed, before the clock starts.
      const rawBatch = EvidenceBatch.build(hashes("raw batch"));
      const signedRaw = await evidence.signAnchorBatch(usPlatform, {
        batch: rawBatch,
        manifestCid: CID,
        category: 4,
      });
      const nonce = await minedNonce(rawAddress);
      const tx = Transaction.from({
        type: 2,
        chainId,
        nonce,
        to: registry,
        data: evidence.registry.interface.encodeFunctionData("anchorBatch", [signedRaw.request, signedRaw.signature]),
        gasLimit: 200_000,
        maxFeePerGas: 100_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      });
      tx.signature = rawKey.sign(tx.unsignedHash);
      t0 = performance.now();
      await rpcBatch(anvil.url, [["eth_sendRawTransaction", [tx.serialized]]]);
      await until(async () => (await minedNonce(rawAddress)) > nonce);
      const rawRecords = n / ((performance.now() - t0) / 1000);

      const records = hashes("gateway batch");
      const before = confirmedCount(gw);
      t0 = performance.now();
      const batch = EvidenceBatch.build(records);
      const signed = await evidence.signAnchorBatch(usPlatform, { batch, manifestCid: CID, category: 4 });
      await post(toWireRequest(signed), usToken);
      await outboxSettled(gw, before, 1);
      const gatewayRecords = n / ((performance.now() - t0) / 1000);
      const receipt = (await provider.send("eth_getTransactionReceipt", [tx.hash])) as { status?: string } | null;
      if (receipt?.status !== "0x1") throw new Error("the raw batch reverted");
      batchRoots.push({ batch, records });
      console.log(
        `one batch of ${n}: gateway ${gatewayRecords.toFixed(0)} records/s, raw transaction ${rawRecords.toFixed(0)} records/s`,
      );
      record({
        group: "throughput",
        metric: `records anchored in one \`anchorBatch\` of ${n.toLocaleString("en-US")} through the gateway (tree built, signed, posted, confirmed)`,
        value: gatewayRecords,
        unit: "records/s",
        baseline: { name: "the same batch pre-built and pre-signed, its raw transaction sent", value: rawRecords },
        ratio: ratioOf(gatewayRecords, rawRecords, "records/s"),
        limit: "building the Merkle tree (keccak256, 3n−1 hashes), then one transaction: the node's block",
      });
    }

    // ---- Verifying one record of the largest batch.
    const { batch, records } = batchRoots[batchRoots.length - 1]!;
    const size = records.length;
    const leaf = records[Math.floor(size / 2)]!;
    const proof = batch.proof(leaf);
    const found = evidence.batchIdOf(3, batch.root);
    const cp = await connect({ rpcUrl: anvil.url, deployment: deploymentFile });
    try {
      const call = evidence.registry.interface.encodeFunctionData("verifyInclusion", [found, leaf, proof]);
      const sdkMs: number[] = [];
      const bareMs: number[] = [];
      const verifyOnce = async () => {
        const t = performance.now();
        const report = await cp.verify({
          evidence: { contentHash: leaf },
          batch: { batchId: found, proof },
          verifier: { memberId: 2 },
        });
        const anchored = report.anchors.length > 0;
        if (!anchored) throw new Error("the SDK found no anchor for the batch record");
        return performance.now() - t;
      };
      const bareOnce = async () => {
        const t = performance.now();
        const [r] = await rpcBatch(anvil.url, [["eth_call", [{ to: registry, data: call }, "latest"]]]);
        if (BigInt(r as string) !== 1n) throw new Error("verifyInclusion said no");
        return performance.now() - t;
      };
      await verifyOnce();
      await bareOnce();
      for (let i = 0; i < VERIFICATIONS; i++) {
        sdkMs.push(await verifyOnce());
        bareMs.push(await bareOnce());
      }
      const sdk = median(sdkMs);
      const bare = median(bareMs);
      console.log(
        `verify one record of a ${size}-record batch: SDK report ${sdk.toFixed(1)} ms, bare eth_call ${bare.toFixed(2)} ms`,
      );
      record({
        group: "throughput",
        metric: `time to verify one record in a batch of ${size.toLocaleString("en-US")} (\`verifyEvidence\` with its ${proof.length}-hash proof, full report; median of ${VERIFICATIONS})`,
        value: sdk,
        unit: "ms",
        baseline: { name: "`verifyInclusion` by one raw eth_call", value: bare },
        ratio: ratioOf(sdk, bare, "ms"),
        limit:
          "the report's chain reads (the batch, the member, its keys and status, agreements), sequential eth_calls; " +
          "the proof itself is log2(n) keccak256",
      });
    } finally {
      cp.close();
    }
  } finally {
    await gw?.close();
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
