/**
 * Bursts of evidence anchors, for the embedded chain's tests and benchmarks: thousands of `anchorEvidence` requests
 * signed by a member key, wrapped in raw transactions signed by relayers ahead of time, then sent over JSON-RPC at
 * once and in any order — as a busy gateway relaying for many members would.
 *
 * Signing is the slow part on a small machine, so requests are signed with the SDK's EIP-712 type table and a bare
 * signing key (no signer recovery per request); {@link signAnchorBurst} checks its first signature against the SDK's
 * `signEvidenceRequest` so both sign the same digest.
 */
import {
  Interface,
  type SigningKey,
  Transaction,
  TypedDataEncoder,
  Wallet,
  ZeroHash,
  keccak256,
  toUtf8Bytes,
  type TypedDataDomain,
} from "ethers";
import {
  EvidenceClient,
  EvidenceRegistryTypes,
  cidToBytes,
  recordIdOf,
  signEvidenceRequest,
  type Hex,
} from "../../sdk/src";
import { EvidenceRegistry__factory } from "../../sdk/src/typechain";
import { devAccount, localProvider, rpcBatch } from "./anvil";
import type { DeploymentRecord } from "./deploy";

/** A relayer account and the next nonce it may use. */
export interface BurstRelayer {
  key: SigningKey;
  nonce: number;
}

export interface AnchorBurstParameters {
  /** The EvidenceRegistry's address. */
  registry: string;
  /** Its EIP-712 domain (`EvidenceClient.domain`). */
  domain: TypedDataDomain;
  chainId: bigint;
  /** The anchoring member's id and one of its valid signing keys (AGENCY role). */
  memberId: bigint;
  memberKey: SigningKey;
  /** Relayers, used in turn; their nonces are advanced. */
  relayers: BurstRelayer[];
  count: number;
  /** Makes the content hashes of this burst differ from other bursts'. */
  seed: string;
  /** Chain time (unix seconds) the requests are signed against: collected a minute before, valid an hour after. */
  chainTime: number;
  /** Gas limit of each transaction; default 150,000 (an anchor uses about 93,000), so 200 fill a 30M-gas block. */
  gasLimit?: number;
  /** Fee cap of each transaction; default 100 gwei (far above the local chain's base fee). */
  maxFeePerGas?: bigint;
}

export interface AnchorBurst {
  /** Content hash and record id of each anchor, in signing order. */
  contentHashes: Hex[];
  recordIds: Hex[];
  /** Signed raw transactions and their hashes, in signing order. */
  transactions: string[];
  hashes: string[];
}

const PACKAGE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

/** Signs `count` anchors of the member and their relaying transactions. */
export async function signAnchorBurst(p: AnchorBurstParameters): Promise<AnchorBurst> {
  const types = { AnchorEvidence: [...EvidenceRegistryTypes.AnchorEvidence] };
  const encoder = TypedDataEncoder.from(types);
  const domainSeparator = TypedDataEncoder.hashDomain(p.domain);
  const registry = new Interface(EvidenceRegistry__factory.abi);
  const caseRef = keccak256(toUtf8Bytes(`burst case ${p.seed}`)) as Hex;
  const burst: AnchorBurst = { contentHashes: [], recordIds: [], transactions: [], hashes: [] };
  for (let i = 0; i < p.count; ++i) {
    const contentHash = keccak256(toUtf8Bytes(`${p.seed}/${i}`)) as Hex;
    const request = {
      contentHash,
      packageCid: cidToBytes(PACKAGE_CID),
      category: 1,
      firstUpload: "0x0000" as Hex,
      primaryDissemination: "0x0000" as Hex,
      caseRef,
      collectedAt: p.chainTime - 60,
      supersedes: ZeroHash as Hex,
      deadline: p.chainTime + 3600,
    };
    const digest = keccak256(`0x1901${domainSeparator.slice(2)}${encoder.hash(request).slice(2)}`);
    const signature = p.memberKey.sign(digest).serialized;
    if (i === 0) {
      const bySdk = await signEvidenceRequest(new Wallet(p.memberKey), p.domain, "AnchorEvidence", request);
      if (bySdk.signature !== signature) throw new Error("the burst signs another digest than the SDK");
    }
    const relayer = p.relayers[i % p.relayers.length]!;
    const tx = Transaction.from({
      type: 2,
      chainId: p.chainId,
      nonce: relayer.nonce++,
      to: p.registry,
      data: registry.encodeFunctionData("anchorEvidence", [request, signature]),
      gasLimit: p.gasLimit ?? 150_000,
      maxFeePerGas: p.maxFeePerGas ?? 100_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    tx.signature = relayer.key.sign(tx.unsignedHash);
    burst.contentHashes.push(contentHash);
    burst.recordIds.push(recordIdOf(p.memberId, contentHash));
    burst.transactions.push(tx.serialized);
    burst.hashes.push(tx.hash!);
  }
  return burst;
}

/**
 * Sends raw transactions over JSON-RPC, `batchSize` per HTTP request and `concurrency` requests in flight, in the
 * order given (shuffle it to have nonces arrive out of order). Throws the first refusal.
 */
export async function sendRawTransactions(
  url: string,
  transactions: string[],
  opts: { concurrency?: number; batchSize?: number } = {},
): Promise<void> {
  const batchSize = opts.batchSize ?? 50;
  let next = 0;
  const worker = async () => {
    while (next < transactions.length) {
      const batch = transactions.slice(next, next + batchSize);
      next += batchSize;
      await rpcBatch(
        url,
        batch.map((raw) => ["eth_sendRawTransaction", [raw]]),
      );
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
}

/** A mined transaction's receipt, as far as these tests need it. */
export interface BurstReceipt {
  transactionHash: string;
  blockNumber: number;
  status: number;
}

/**
 * Waits until every transaction has a receipt (polling in batches), or throws after `timeoutMs` naming how many are
 * still pending: a burst that stalls fails here rather than hanging.
 */
export async function waitForReceipts(url: string, hashes: string[], timeoutMs: number): Promise<BurstReceipt[]> {
  const receipts = new Map<string, BurstReceipt>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = hashes.filter((h) => !receipts.has(h));
    for (let i = 0; i < missing.length; i += 200) {
      const chunk = missing.slice(i, i + 200);
      const answers = await rpcBatch<({ blockNumber: string; status: string } | null)[]>(
        url,
        chunk.map((h) => ["eth_getTransactionReceipt", [h]]),
      );
      answers.forEach((r, k) => {
        if (r !== null) {
          receipts.set(chunk[k]!, {
            transactionHash: chunk[k]!,
            blockNumber: Number(r.blockNumber),
            status: Number(r.status),
          });
        }
      });
    }
    if (receipts.size === hashes.length) return hashes.map((h) => receipts.get(h)!);
    if (Date.now() > deadline) {
      throw new Error(`${hashes.length - receipts.size} of ${hashes.length} transactions still not mined`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The order of `items` shuffled by a seeded generator (deterministic, so a failure can be replayed). */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; --i) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What {@link runAnchorBurst} did. */
export interface AnchorBurstRun {
  recordIds: Hex[];
  receipts: BurstReceipt[];
  /** Time to sign the requests and transactions. */
  signMs: number;
  /** Time from the first transaction sent to the last one mined. */
  mineMs: number;
}

/**
 * Anchors `count` records of a demo member on a chain `npm start` (or the deployer) set up: signs them, sends them
 * through the relayers (nonces shuffled across them) and waits until every one is mined successfully.
 */
export async function runAnchorBurst(p: {
  url: string;
  record: DeploymentRecord;
  count: number;
  seed: string;
  /** Development accounts relaying (default 0, 6, 7, 8, 9: not founders' keys). */
  relayers?: number[];
  /** Development account of the anchoring member's key, and the member's id (default 1 and 1: the FR agency). */
  memberAccount?: number;
  memberId?: bigint;
  timeoutMs?: number;
}): Promise<AnchorBurstRun> {
  const provider = localProvider(p.url);
  try {
    const client = await EvidenceClient.connect(p.record.contracts.EvidenceRegistry!.address, provider);
    const relayers = await Promise.all(
      (p.relayers ?? [0, 6, 7, 8, 9]).map(async (i) => {
        const key = devAccount(i, provider);
        return { key: key.signingKey, nonce: await provider.getTransactionCount(key.address, "pending") };
      }),
    );
    const signStart = performance.now();
    const burst = await signAnchorBurst({
      registry: p.record.contracts.EvidenceRegistry!.address,
      domain: client.domain,
      chainId: BigInt(p.record.chainId),
      memberId: p.memberId ?? 1n,
      memberKey: devAccount(p.memberAccount ?? 1, provider).signingKey,
      relayers,
      count: p.count,
      seed: p.seed,
      chainTime: await client.chainTime(),
    });
    const sendStart = performance.now();
    await sendRawTransactions(p.url, shuffled(burst.transactions, 7), { concurrency: 8, batchSize: 50 });
    const receipts = await waitForReceipts(p.url, burst.hashes, p.timeoutMs ?? 180_000);
    const failed = receipts.filter((r) => r.status !== 1);
    if (failed.length > 0) throw new Error(`${failed.length} anchors reverted, e.g. ${failed[0]!.transactionHash}`);
    return {
      recordIds: burst.recordIds,
      receipts,
      signMs: sendStart - signStart,
      mineMs: performance.now() - sendStart,
    };
  } finally {
    provider.destroy();
  }
}
