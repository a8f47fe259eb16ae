/**
 * Relayer benchmark (`npm run bench:relayer`): anchors per second submitted from the SDK through a Relayer with
 * many in flight, every one mined, against raw pre-signed sends in the same run; and the confirmation latency of one
 * anchor at a time. Each throughput run gets a fresh embedded chain (Anvil, as `startAnvil` starts it) with
 * crossproof deployed, because Anvil's cost per block grows with the chain's state: runs on equal chains compare.
 *
 *   BENCH_ANCHORS  anchors per throughput run (default 1000)
 *   BENCH_ROUNDS   rounds of the three throughput runs (default 3)
 *   BENCH_LATENCY  single anchors per latency run (default 100)
 *
 * Throughput, per run, from the first send to the last transaction mined (and, for the relayer, every `wait()`
 * resolved with its record id):
 * - relayer: `evidence.anchorEvidence(signed, relayer)` for every pre-signed anchor request at once, then `wait()`
 *   for all: the SDK path (calldata encoding, transaction signing, sending, receipts, record ids);
 * - raw, one call per transaction: transactions signed beforehand, sent 64 at a time, one
 *   `eth_sendRawTransaction` per HTTP request (the bare baseline);
 * - raw, batches of 100: the same transactions in JSON-RPC batches of 100, 4 requests in flight (how the relayer
 *   sends).
 * Anchor requests (EIP-712, by a member key) are signed before the clock starts in every run: members sign their
 * requests; the relayer's job is to get them mined.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, SigningKey, Wallet, ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import {
  EvidenceCategory,
  EvidenceClient,
  HttpJsonRpcLink,
  Relayer,
  createProvider,
  encodeCall,
  loadConsortiumConfig,
  signRelayedTransaction,
  type AnchorEvidenceRequest,
  type CrossproofProvider,
  type SignedRequest,
} from "../sdk/src";
import { ANVIL_MNEMONIC, freePort, startAnvil, type RunningAnvil } from "./lib/anvil";
import { deployCrossproof } from "./lib/deploy";
import { record } from "./lib/bench-results";

const N = Number(process.env.BENCH_ANCHORS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY ?? 100);
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

const anvilKey = (i: number) =>
  new Wallet(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey);

/** CPU milliseconds a process used so far (Linux /proc; undefined elsewhere). */
function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface Chain {
  anvil: RunningAnvil;
  provider: CrossproofProvider;
  evidence: EvidenceClient;
  registry: string;
  dir: string;
  close(): Promise<void>;
}

let seq = 0;

async function freshChain(): Promise<Chain> {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-relayer-"));
  const anvil = await startAnvil({ port: await freePort() });
  const provider = createProvider(anvil.url);
  const { record } = await deployCrossproof({
    signer: anvilKey(0).connect(provider),
    config: loadConsortiumConfig("config/demo-consortium.json"),
    deploymentFile: path.join(dir, "deployment.json"),
  });
  const registry = record.contracts.EvidenceRegistry!.address;
  const evidence = await EvidenceClient.connect(registry, provider);
  return {
    anvil,
    provider,
    evidence,
    registry,
    dir,
    async close() {
      provider.destroy();
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function signAnchors(chain: Chain, n: number): Promise<SignedRequest<AnchorEvidenceRequest, "AnchorEvidence">[]> {
  const member = anvilKey(1);
  const out: SignedRequest<AnchorEvidenceRequest, "AnchorEvidence">[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await chain.evidence.signAnchorEvidence(member, {
        contentHash: keccak256(toUtf8Bytes(`bench anchor ${++seq}`)),
        packageCid: CID,
        category: EvidenceCategory.LIVE_STREAM_RECORDING,
        caseRef: ZeroHash,
        collectedAt: 1_700_000_000,
      }),
    );
  }
  return out;
}

interface RunResult {
  perSecond: number;
  nodeCpuPerAnchor: number | undefined;
  anvilCpuPerAnchor: number | undefined;
  blocks: number;
}

async function measure(chain: Chain, run: () => Promise<void>): Promise<RunResult> {
  const blocks0 = Number(await chain.provider.send("eth_blockNumber", []));
  const anvil0 = cpuMs(chain.anvil.process.pid!);
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const node = process.cpuUsage(node0);
  const anvil1 = cpuMs(chain.anvil.process.pid!);
  const blocks = Number(await chain.provider.send("eth_blockNumber", [])) - blocks0;
  return {
    perSecond: (N / ms) * 1000,
    nodeCpuPerAnchor: (node.user + node.system) / 1000 / N,
    anvilCpuPerAnchor: anvil0 === undefined || anvil1 === undefined ? undefined : (anvil1 - anvil0) / N,
    blocks,
  };
}

/** The relayer: every pre-signed anchor submitted at once through the EvidenceClient, all waited for. */
async function relayerRun(chain: Chain): Promise<RunResult> {
  const relayer = new Relayer(anvilKey(9).privateKey, chain.provider);
  // One anchor first: the relayer's one gas estimate for anchors and its first nonce read are not the subject.
  const [warm] = await signAnchors(chain, 1);
  await (await chain.evidence.anchorEvidence(warm!, relayer)).wait();
  const signed = await signAnchors(chain, N);
  try {
    return await measure(chain, async () => {
      const anchored = await Promise.all(
        signed.map(async (s) => (await chain.evidence.anchorEvidence(s, relayer)).wait()),
      );
      if (anchored.some((a) => a.receipt.status !== 1)) throw new Error("an anchor reverted");
    });
  } finally {
    relayer.close();
  }
}

/** Raw pre-signed transactions: sent one per request (`batch` 1, 64 in flight) or in JSON-RPC batches. */
async function rawRun(chain: Chain, batch: number): Promise<RunResult> {
  const key = new SigningKey(anvilKey(8).privateKey);
  const from = new Wallet(key).address;
  const link = new HttpJsonRpcLink(chain.anvil.url, {}, 64);
  const call = async (method: string, params: unknown[]) => {
    const [r] = await link.exchange([{ method, params, id: 1, jsonrpc: "2.0" }]);
    if (r === undefined || "error" in r) throw new Error(`${method}: ${JSON.stringify(r)}`);
    return r.result as string;
  };
  const signed = await signAnchors(chain, N);
  const nonce0 = Number(await call("eth_getTransactionCount", [from, "pending"]));
  const block = (await call("eth_getBlockByNumber", ["latest", false])) as unknown as { baseFeePerGas: string };
  const fees = {
    maxFeePerGas: 2n * BigInt(block.baseFeePerGas) + 1_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  };
  const { chainId } = await chain.provider.getNetwork();
  const iface = chain.evidence.registry.interface;
  const raws = signed.map(
    (s, i) =>
      signRelayedTransaction(key, {
        chainId,
        nonce: nonce0 + i,
        to: chain.registry,
        data: encodeCall(iface, "anchorEvidence", [s.request, s.signature]),
        value: 0n,
        gasLimit: 200_000n,
        fees,
      }).raw,
  );
  try {
    const result = await measure(chain, async () => {
      const groups: string[][] = [];
      for (let i = 0; i < raws.length; i += batch) groups.push(raws.slice(i, i + batch));
      let next = 0;
      const inFlight = batch === 1 ? 64 : 4;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < groups.length) {
            const group = groups[next++]!;
            const answers = await link.exchange(
              group.map((raw, i) => ({ method: "eth_sendRawTransaction", params: [raw], id: i, jsonrpc: "2.0" })),
            );
            const refused = answers.find((a) => "error" in a);
            if (refused !== undefined) throw new Error(`refused: ${JSON.stringify(refused)}`);
          }
        }),
      );
      // Mined: the account's mined nonce reaches the last one.
      while (Number(await call("eth_getTransactionCount", [from, "latest"])) < nonce0 + N) {
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    // Every one succeeded (checked after the clock stopped).
    const head = Number(await call("eth_blockNumber", []));
    let ok = 0;
    for (let b = head - result.blocks + 1; b <= head; b++) {
      const [r] = await link.exchange([
        { method: "eth_getBlockReceipts", params: [`0x${b.toString(16)}`], id: 1, jsonrpc: "2.0" },
      ]);
      for (const receipt of (r as { result: { status: string; from: string }[] }).result) {
        if (receipt.from.toLowerCase() === from.toLowerCase() && receipt.status === "0x1") ok++;
      }
    }
    if (ok !== N) throw new Error(`raw run: ${ok} of ${N} anchors succeeded`);
    return result;
  } finally {
    link.close();
  }
}

/** One anchor at a time, pre-signed: milliseconds from `anchorEvidence` to `wait()` resolved with the record id. */
async function latencyRun(chain: Chain, samples: number): Promise<number[]> {
  const relayer = new Relayer(anvilKey(9).privateKey, chain.provider);
  const signed = await signAnchors(chain, samples + 1);
  await (await chain.evidence.anchorEvidence(signed[0]!, relayer)).wait();
  const out: number[] = [];
  try {
    for (const s of signed.slice(1)) {
      const t0 = performance.now();
      await (await chain.evidence.anchorEvidence(s, relayer)).wait();
      out.push(performance.now() - t0);
    }
  } finally {
    relayer.close();
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const fmt = (x: number | undefined, digits = 0) => (x === undefined ? "n/a" : x.toFixed(digits));

async function main(): Promise<void> {
  console.log(`## Relayer throughput: ${N} anchors per run, ${ROUNDS} rounds, a fresh chain per run\n`);
  console.log("| round | run | anchors/s | blocks | Node CPU ms/anchor | Anvil CPU ms/anchor |");
  console.log("| ---: | --- | ---: | ---: | ---: | ---: |");
  const runs: Record<string, RunResult[]> = {
    relayer: [],
    "raw, one call per transaction": [],
    "raw, batches of 100": [],
  };
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order: [string, (c: Chain) => Promise<RunResult>][] = [
      ["raw, one call per transaction", (c) => rawRun(c, 1)],
      ["relayer", relayerRun],
      ["raw, batches of 100", (c) => rawRun(c, 100)],
    ];
    const inRound: Record<string, number> = {};
    for (const [name, run] of order) {
      const chain = await freshChain();
      try {
        const r = await run(chain);
        runs[name]!.push(r);
        inRound[name] = r.perSecond;
        console.log(
          `| ${round} | ${name} | ${fmt(r.perSecond)} | ${r.blocks} | ${fmt(r.nodeCpuPerAnchor, 2)} | ${fmt(r.anvilCpuPerAnchor, 2)} |`,
        );
      } finally {
        await chain.close();
      }
    }
    ratios.push(inRound.relayer! / inRound["raw, one call per transaction"]!);
  }
  console.log("\n| run | median anchors/s |\n| --- | ---: |");
  for (const [name, rs] of Object.entries(runs))
    console.log(`| ${name} | ${fmt(median(rs.map((r) => r.perSecond)))} |`);
  console.log(`\nrelayer / raw (one call per transaction), median of the rounds: ${median(ratios).toFixed(2)}`);
  record({
    group: "relayer",
    metric: `anchors relayed by the SDK's \`Relayer\` (\`EvidenceClient.anchorEvidence\`, ${N.toLocaleString("en-US")} at once, every one mined); median of ${ROUNDS} rounds`,
    value: median(runs.relayer!.map((r) => r.perSecond)),
    unit: "anchors/s",
    baseline: {
      name: "raw pre-signed transactions, one eth_sendRawTransaction per call",
      value: median(runs["raw, one call per transaction"]!.map((r) => r.perSecond)),
    },
    ratio: median(ratios),
    limit: "the node's block building (Anvil, automine) and the relayer's transaction signing",
  });

  console.log(`\n## Confirmation latency of one anchor at a time (${LATENCY_SAMPLES} anchors)\n`);
  console.log("| mining | block time | median ms | p95 ms | max ms | target (block time + 50 ms) |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const chain = await freshChain();
  try {
    const auto = await latencyRun(chain, LATENCY_SAMPLES);
    console.log(
      `| automine (as startAnvil) | 0 ms | ${fmt(median(auto), 1)} | ${fmt(quantile(auto, 0.95), 1)} | ${fmt(Math.max(...auto), 1)} | 50 ms |`,
    );
    // Interval mining, 1 s blocks: the latency a chain with a block time sees.
    await chain.provider.send("evm_setAutomine", [false]);
    await chain.provider.send("evm_setIntervalMining", [1]);
    const interval = await latencyRun(chain, Math.max(5, Math.floor(LATENCY_SAMPLES / 10)));
    console.log(
      `| interval | 1,000 ms | ${fmt(median(interval), 1)} | ${fmt(quantile(interval, 0.95), 1)} | ${fmt(Math.max(...interval), 1)} | 1,050 ms |`,
    );
  } finally {
    await chain.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
