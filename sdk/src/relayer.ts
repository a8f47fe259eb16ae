import {
  AbstractSigner,
  BaseWallet,
  SigningKey,
  Transaction,
  TransactionReceipt,
  TransactionResponse,
  computeAddress,
  getAddress,
  getBigInt,
  keccak256,
  makeError,
  resolveAddress,
  toQuantity,
  type BlockTag,
  type JsonRpcApiProvider,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Provider,
  type TransactionRequest,
  type TransactionResponseParams,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { plainMessage } from "./contract-errors";
import { CrossproofError } from "./errors";
import { jsonRpcLinkOf, type JsonRpcLink } from "./json-rpc";
import { createProvider } from "./provider";

/** What a relayer sends: a call to a contract. */
export interface RelayRequest {
  to: string;
  /** Calldata (`0x` for none). */
  data: string;
  value?: bigint;
  /** Gas limit; absent = the relayer's own (see {@link RelayerOptions.gasMargin}). */
  gasLimit?: bigint;
}

/** A transaction the relayer sent and watches until it is mined. */
export interface RelayedTransaction {
  /**
   * Hash of the transaction now carrying the request. It changes only when the relayer had to send the request again
   * (another transaction took its nonce, it ran out of gas, or it was stuck under too low a fee); `hashes` lists
   * every one.
   */
  readonly hash: string;
  readonly hashes: readonly string[];
  readonly nonce: number;
  readonly gasLimit: bigint;
  /**
   * Resolves to the receipt once mined (and `confirmations` blocks deep, default 1). A transaction that reverted
   * rejects with an ethers `CALL_EXCEPTION` whose `data` is the revert data found by replaying it (so
   * `toCrossproofError` names the contract's custom error); `timeout` (ms) rejects with `CHAIN_ERROR`, the
   * transaction itself staying on its way.
   */
  wait(confirmations?: number, timeout?: number): Promise<TransactionReceipt>;
}

/** Fee fields of every transaction of a relayer. */
export type RelayerFees = { gasPrice: bigint } | { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

export interface RelayerOptions {
  /**
   * Gas limit = this times the estimate (default 2). Each kind of call (contract and function) is estimated once,
   * again when its calldata grows, and its limit rises with the gas its transactions use; a transaction that still
   * runs out of gas is estimated on its own and sent again, once.
   */
  gasMargin?: number;
  /** Milliseconds between block polls while transactions are pending (default 20). */
  pollingInterval?: number;
  /** Milliseconds the fee data is used before it is read again, in the background (default 2,000). */
  feeMaxAge?: number;
  /** Fixed fees (a consortium chain with a fixed or zero gas price): never read from the chain. */
  fees?: RelayerFees;
  /**
   * Milliseconds without a receipt after which a transaction is looked for (default 10,000): broadcast again if the
   * node dropped it, sent again under a new nonce if another transaction took its nonce, a gap below it filled, its
   * fees raised if it is next in line and still not mined.
   */
  stallTimeout?: number;
  /**
   * Most HTTP requests carrying transactions in flight at once, each a JSON-RPC batch of up to 100
   * `eth_sendRawTransaction` calls (default 4); the others wait their turn, in nonce order.
   */
  sendConcurrency?: number;
}

/** What a relayer did, for monitoring and tests. */
export interface RelayerStats {
  /** Transactions the node accepted (a request sent again counts again). */
  sent: number;
  /** Receipts found (reverted ones included). */
  mined: number;
  /** Mined and reverted. */
  reverted: number;
  /** `eth_estimateGas` calls. */
  estimates: number;
  /** Pending-nonce reads after the first (on "nonce too low" and the like). */
  resyncs: number;
  /** Requests sent again: under a new nonce, with more gas or with higher fees. */
  resent: number;
  /** No-op transactions that filled a nonce a failed send left behind. */
  fillers: number;
  /** Fee data reads. */
  feeReads: number;
}

const DEFAULTS = {
  gasMargin: 2,
  pollingInterval: 20,
  feeMaxAge: 2_000,
  stallTimeout: 10_000,
  sendConcurrency: 4,
};

/** Attempts at sending one transaction (nonce, fee and transient failures are retried). */
const MAX_SEND_ATTEMPTS = 6;
/** Fee raises of one stuck transaction, at most. */
const MAX_FEE_BUMPS = 3;
/** Most calls in one JSON-RPC batch. */
const BATCH = 100;
/** How long a settled transaction can still be found by hash ({@link relayedTransaction}). */
const REGISTRY_TTL = 60_000;

// ---- Send errors ------------------------------------------------------------------------------------------------

/** What a refused `eth_sendRawTransaction` means for the relayer. */
export type SendFailure = "known" | "nonce" | "fee" | "transient" | "fatal";

/** Every message in an ethers / JSON-RPC error and its causes, lower case. */
function errorMessages(err: unknown): string {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0 && out.length < 16) {
    const e = stack.pop();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const r = e as Record<string, unknown>;
    for (const k of ["shortMessage", "message"]) if (typeof r[k] === "string") out.push(r[k] as string);
    stack.push(r.error, r.cause, (r.info as Record<string, unknown> | undefined)?.error);
  }
  return out.join(" | ").toLowerCase();
}

/**
 * What a refused `eth_sendRawTransaction` means (Anvil, Geth, Besu and Nethermind wordings): the node already holds
 * it (`known`); another transaction holds its nonce (`nonce`); its fee is too low (`fee`); try again (`transient`:
 * network, full pool, nonce too far ahead); or it never will be accepted (`fatal`: no funds, gas limit…).
 */
export function classifySendError(err: unknown): SendFailure {
  const code = (err as { code?: unknown } | null)?.code;
  const m = errorMessages(err);
  if (/already known|already imported|known transaction|alreadyknown|already in (the )?pool/.test(m)) return "known";
  if (
    code === "NONCE_EXPIRED" ||
    code === "REPLACEMENT_UNDERPRICED" ||
    /nonce too low|nonce has already been used|replacement (transaction|fee)|oldnonce|nonce_too_low|known nonce/.test(m)
  ) {
    return "nonce";
  }
  if (
    /base fee|fee cap|feecap|feetoolow|underpriced|gas price (is )?(too )?low|below (configured )?minimum|max fee per gas/.test(
      m,
    )
  ) {
    return "fee";
  }
  if (
    code === "TIMEOUT" ||
    code === "NETWORK_ERROR" ||
    code === "CHAIN_UNREACHABLE" ||
    code === "SERVER_ERROR" ||
    /nonce too high|too distant|future|pool is full|txpool is full|econnreset|econnrefused|socket hang up|timeout/.test(
      m,
    )
  ) {
    return "transient";
  }
  return "fatal";
}

// ---- Fee bumps ----------------------------------------------------------------------------------------------

/**
 * The fees of a replacement for a transaction that the node holds but does not mine: each field the fee asked now,
 * or the old one raised by more than 1/8 (nodes replace a pending transaction only for at least 10 % more on every
 * fee field), whichever is higher. The transaction keeps its kind (legacy `gasPrice` or EIP-1559).
 */
export function bumpedFees(old: RelayerFees, now: RelayerFees): RelayerFees {
  const raise = (was: bigint, cur: bigint) => (cur > was + was / 8n ? cur : was + was / 8n + 1n);
  return "gasPrice" in old
    ? { gasPrice: raise(old.gasPrice, "gasPrice" in now ? now.gasPrice : now.maxFeePerGas) }
    : {
        maxFeePerGas: raise(old.maxFeePerGas, "maxFeePerGas" in now ? now.maxFeePerGas : now.gasPrice),
        maxPriorityFeePerGas: raise(
          old.maxPriorityFeePerGas,
          "maxPriorityFeePerGas" in now ? now.maxPriorityFeePerGas : 0n,
        ),
      };
}

// ---- Transactions, serialized directly ----------------------------------------------------------------------
// (ethers' Transaction re-serializes and re-hashes on every getter: three serializations per signed transaction.)

function rlpLength(n: number, offset: number): Buffer {
  if (n < 56) return Buffer.from([offset + n]);
  const hex = n.toString(16);
  const len = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
  return Buffer.concat([Buffer.from([offset + 55 + len.length]), len]);
}

/** RLP of a byte string. */
function rlpItem(b: Buffer): Buffer {
  return b.length === 1 && b[0]! < 0x80 ? b : Buffer.concat([rlpLength(b.length, 0x80), b]);
}

/** RLP of a list of encoded items. */
function rlpList(items: Buffer[]): Buffer {
  const body = Buffer.concat(items);
  return Buffer.concat([rlpLength(body.length, 0xc0), body]);
}

/** A non-negative integer as RLP wants it: big-endian, no leading zero byte, 0 = empty. */
function uint(n: bigint | number): Buffer {
  if (n === 0 || n === 0n) return Buffer.alloc(0);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

const bytesOf = (hex: string) => Buffer.from(hex.slice(2), "hex");

/** The fields of a relayed transaction. */
export interface RelayedTransactionFields {
  chainId: bigint;
  nonce: number;
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint;
  fees: RelayerFees;
}

/**
 * Signs and serializes a call: EIP-1559 (type 2, empty access list) for `maxFeePerGas` fees, legacy with EIP-155
 * replay protection for a `gasPrice`. Byte for byte what ethers' `Transaction` produces (tested).
 */
export function signRelayedTransaction(key: SigningKey, t: RelayedTransactionFields): { raw: string; hash: string } {
  const call = [uint(t.gasLimit), bytesOf(t.to), uint(t.value), bytesOf(t.data)].map(rlpItem);
  let raw: Buffer;
  if ("gasPrice" in t.fees) {
    const head = [uint(t.nonce), uint(t.fees.gasPrice)].map(rlpItem);
    const sig = key.sign(keccak256(rlpList([...head, ...call, ...[uint(t.chainId), uint(0), uint(0)].map(rlpItem)])));
    const v = t.chainId * 2n + 35n + BigInt(sig.yParity);
    raw = rlpList([...head, ...call, ...[uint(v), uint(BigInt(sig.r)), uint(BigInt(sig.s))].map(rlpItem)]);
  } else {
    const fees = [uint(t.fees.maxPriorityFeePerGas), uint(t.fees.maxFeePerGas)];
    const fields = [...[uint(t.chainId), uint(t.nonce), ...fees].map(rlpItem), ...call, rlpList([])];
    const type = Buffer.from([2]);
    const sig = key.sign(keccak256(Buffer.concat([type, rlpList(fields)])));
    const signature = [uint(sig.yParity), uint(BigInt(sig.r)), uint(BigInt(sig.s))].map(rlpItem);
    raw = Buffer.concat([type, rlpList([...fields, ...signature])]);
  }
  return { raw: `0x${raw.toString("hex")}`, hash: keccak256(raw) };
}

// ---- Receipts as the node sends them ----------------------------------------------------------------------------

/** A log as the node sends it (JSON-RPC). */
interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

/** A receipt as the node sends it (`eth_getTransactionReceipt`, `eth_getBlockReceipts`). */
export interface RawReceipt {
  transactionHash: string;
  transactionIndex: string;
  blockHash: string;
  blockNumber: string;
  from: string;
  to: string | null;
  contractAddress?: string | null;
  logs: RawLog[];
  logsBloom: string;
  status?: string;
  root?: string | null;
  gasUsed: string;
  cumulativeGasUsed: string;
  effectiveGasPrice?: string;
  gasPrice?: string;
  blobGasUsed?: string | null;
  blobGasPrice?: string | null;
  type?: string;
}

/**
 * An ethers `TransactionReceipt` from a receipt as the node sends it: what ethers' own formatter does, without a
 * second request (addresses checksummed by `checksummed`).
 */
export function receiptFromJson(
  r: RawReceipt,
  provider: Provider,
  checksummed: (address: string) => string = getAddress,
): TransactionReceipt {
  const n = (h: string | null | undefined) => (h == null ? 0n : BigInt(h));
  const blockNumber = Number(r.blockNumber);
  return new TransactionReceipt(
    {
      to: r.to == null ? null : checksummed(r.to),
      from: checksummed(r.from),
      contractAddress: r.contractAddress == null ? null : checksummed(r.contractAddress),
      hash: r.transactionHash,
      index: Number(r.transactionIndex),
      blockHash: r.blockHash,
      blockNumber,
      logsBloom: r.logsBloom,
      logs: r.logs.map((l) => ({
        transactionHash: l.transactionHash,
        blockHash: l.blockHash,
        blockNumber,
        removed: l.removed ?? false,
        address: checksummed(l.address),
        data: l.data,
        topics: l.topics,
        index: Number(l.logIndex),
        transactionIndex: Number(l.transactionIndex),
      })),
      gasUsed: n(r.gasUsed),
      blobGasUsed: r.blobGasUsed == null ? null : n(r.blobGasUsed),
      cumulativeGasUsed: n(r.cumulativeGasUsed),
      gasPrice: n(r.effectiveGasPrice ?? r.gasPrice),
      blobGasPrice: r.blobGasPrice == null ? null : n(r.blobGasPrice),
      type: Number(r.type ?? 0),
      status: r.status == null ? null : Number(r.status),
      root: r.root ?? null,
    },
    provider,
  );
}

// ---- Relayed transactions -----------------------------------------------------------------------------------------

/** Every relayed transaction by each of its hashes, while pending and for a while after. */
const relayedByHash = new Map<string, Relayed>();

/**
 * The relayed transaction with this hash, if a {@link Relayer} of this process sent it (pending, or settled less
 * than a minute ago). `submitRequest` waits through it, whichever way the transaction was sent.
 */
export function relayedTransaction(hash: string): RelayedTransaction | undefined {
  return relayedByHash.get(hash.toLowerCase());
}

/** One request on its way (or one filler). */
class Relayed implements RelayedTransaction {
  nonce = -1;
  hash = "";
  raw = "";
  fees: RelayerFees | undefined;
  readonly hashes: string[] = [];
  /** Hashes that may still be mined: the current one, and a replaced one while its replacement is not. */
  live: string[] = [];
  lastActivity = Date.now();
  /** Being handed to the node (not stalled). */
  sending = false;
  /** Already sent again after running out of gas. */
  resent = false;
  feeBumps = 0;
  settled = false;
  readonly done: Promise<TransactionReceipt>;
  #resolve!: (r: TransactionReceipt) => void;
  #reject!: (e: unknown) => void;

  constructor(
    readonly relayer: Relayer,
    readonly to: string,
    readonly data: string,
    readonly value: bigint,
    public gasLimit: bigint,
    readonly filler = false,
  ) {
    this.done = new Promise<TransactionReceipt>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody may wait (fire and forget): a revert must not become an unhandled rejection.
    this.done.catch(() => {});
  }

  get kind(): string {
    return `${this.to}:${this.data.slice(0, 10)}`;
  }

  resolve(r: TransactionReceipt): void {
    if (this.#settle()) this.#resolve(r);
  }

  reject(e: unknown): void {
    if (this.#settle()) this.#reject(e);
  }

  #settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    const hashes = [...this.hashes];
    setTimeout(() => {
      for (const h of hashes) if (relayedByHash.get(h) === this) relayedByHash.delete(h);
    }, REGISTRY_TTL).unref();
    return true;
  }

  async wait(confirmations = 1, timeout?: number): Promise<TransactionReceipt> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut =
      timeout === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(new CrossproofError("CHAIN_ERROR", `transaction ${this.hash} not mined within ${timeout} ms`)),
              timeout,
            );
          });
    const within = <T>(p: Promise<T>) => (timedOut === undefined ? p : Promise.race([p, timedOut]));
    try {
      const receipt = await within(this.done);
      if (confirmations > 1) await within(this.relayer.waitForBlock(receipt.blockNumber + confirmations - 1));
      return receipt;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

/** The TransactionResponse a Relayer returns from `sendTransaction`: its `wait` is the relayer's. */
class RelayedTransactionResponse extends TransactionResponse {
  readonly #relayed: Relayed;
  constructor(params: TransactionResponseParams, provider: Provider, relayed: Relayed) {
    super(params, provider);
    this.#relayed = relayed;
  }
  override wait(confirmations?: number, timeout?: number): Promise<TransactionReceipt> {
    return this.#relayed.wait(confirmations, timeout);
  }
}

type Prepare = "nonce" | "sign" | "replace" | undefined;

/**
 * Submits transactions for one key over one JSON-RPC endpoint at the chain's speed: the SDK clients and scripts
 * relay through it (the gateway's outbox, which must survive its own crashes, signs with
 * {@link signRelayedTransaction} and keeps its nonces in its database). Like ethers' `NonceManager` it is a
 * `Signer`, so whatever takes a Signer (a client's `submit`, `contract.connect(relayer)`) takes a Relayer; but it
 * makes no call per transaction besides handing it to the node:
 *
 * - **Nonces** are read once, then assigned locally in call order, so any number of concurrent sends is safe. A
 *   send refused because another transaction holds its nonce ("nonce too low", "replacement underpriced") reads
 *   the pending nonce again and goes out under a new one. A send that fails for good gives its nonce back — or, when
 *   later nonces are already out, fills it with a no-op — so it never blocks the others.
 * - **Chain id** is read once; **fees** are cached and read again in the background every `feeMaxAge` ms, and at
 *   once when a send is refused for its fee.
 * - **Gas limits** come from one `eth_estimateGas` per kind of call (contract and function), times `gasMargin`
 *   (see {@link RelayerOptions.gasMargin}). The first call of each kind is thus checked before it is sent; any
 *   other call the contract refuses is mined, reverts, and is replayed (`eth_call` on its block's state) so that
 *   its `wait()` rejects with the revert data, from which `toCrossproofError` names the custom error.
 * - **Sending**: transactions are signed locally and those signed in the same turn of the event loop go to the node
 *   together, in JSON-RPC batches of up to 100 `eth_sendRawTransaction` calls, when the turn ends — no timer.
 * - **Receipts** are found by one poller per relayer every `pollingInterval` ms while anything is pending:
 *   `eth_blockNumber`, then the receipts of the new blocks (`eth_getBlockReceipts`), or of each pending
 *   transaction when that is fewer, in one JSON-RPC batch.
 * - **Stalls** (no receipt for `stallTimeout` ms) are looked into: dropped transactions are broadcast again, gaps
 *   below them filled, a replaced one sent again under a new nonce, a stuck one re-priced.
 *
 * One Relayer per key and process: two relayers (or any other sender) using the same key take each other's nonces,
 * which works (the one refused reads the nonce again) but costs a round trip each time.
 * @example
 * const relayer = new Relayer(relayerKey, createProvider(url));
 * const { recordId } = await (await evidence.anchorEvidence(signed, relayer)).wait();
 */
export class Relayer extends AbstractSigner<JsonRpcApiProvider> {
  readonly address: string;
  readonly #key: SigningKey;
  readonly #given: RelayerOptions;
  readonly #options: typeof DEFAULTS & { fees: RelayerFees | undefined };
  readonly #ownsProvider: boolean;
  readonly #link: JsonRpcLink;
  readonly #stats: RelayerStats = {
    sent: 0,
    mined: 0,
    reverted: 0,
    estimates: 0,
    resyncs: 0,
    resent: 0,
    fillers: 0,
    feeReads: 0,
  };
  #ready: Promise<void> | undefined;
  #chainId = 0n;
  #nextNonce = 0;
  #resyncing: Promise<void> | undefined;
  #fees: (RelayerFees & { at: number }) | undefined;
  #feeReading: Promise<void> | undefined;
  #blockGasLimit: bigint | undefined;
  /** Gas limit and longest calldata estimated, per kind of call (contract and function selector). */
  readonly #gas = new Map<string, { limit: bigint; dataLength: number }>();
  readonly #estimating = new Map<string, Promise<void>>();
  readonly #pending = new Set<Relayed>();
  readonly #byHash = new Map<string, Relayed>();
  readonly #outbox: { raw: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushScheduled = false;
  #sendsInFlight = 0;
  #head = 0;
  #lastScanned = 0;
  #polling = false;
  #blockReceipts = true;
  #closed = false;
  #rpcId = 1;
  readonly #addresses = new Map<string, string>();

  /**
   * @param key the relaying account's private key (or a SigningKey, or an ethers Wallet)
   * @param provider a JSON-RPC provider (best made by `createProvider`), or the node's URL
   */
  constructor(
    key: string | SigningKey | BaseWallet,
    provider: JsonRpcApiProvider | string,
    options: RelayerOptions = {},
  ) {
    const owned = typeof provider === "string";
    super(owned ? createProvider(provider) : provider);
    this.#ownsProvider = owned;
    this.#link = jsonRpcLinkOf(this.provider);
    this.#given = options;
    this.#key = key instanceof BaseWallet ? key.signingKey : typeof key === "string" ? new SigningKey(key) : key;
    this.address = computeAddress(this.#key.publicKey);
    this.#options = {
      gasMargin: options.gasMargin ?? DEFAULTS.gasMargin,
      pollingInterval: options.pollingInterval ?? DEFAULTS.pollingInterval,
      feeMaxAge: options.feeMaxAge ?? DEFAULTS.feeMaxAge,
      stallTimeout: options.stallTimeout ?? DEFAULTS.stallTimeout,
      sendConcurrency: Math.max(1, options.sendConcurrency ?? DEFAULTS.sendConcurrency),
      fees: options.fees,
    };
    if (!(this.#options.gasMargin >= 1)) throw new CrossproofError("INVALID_ARGUMENT", "gasMargin must be at least 1");
  }

  /** Counters of what this relayer did so far (a copy). */
  get stats(): RelayerStats {
    return { ...this.#stats };
  }

  /** Requests sent and not yet mined. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  // ---- Signer ------------------------------------------------------------------------------------------------

  override async getAddress(): Promise<string> {
    return this.address;
  }

  /** A new relayer for the same key on another provider (the two then share the key's nonces: use one). */
  override connect(provider: Provider | null): Relayer {
    if (provider === null || typeof (provider as JsonRpcApiProvider)._send !== "function") {
      throw new CrossproofError("INVALID_ARGUMENT", "a Relayer needs a JSON-RPC provider");
    }
    return new Relayer(this.#key, provider as JsonRpcApiProvider, this.#given);
  }

  /** For "pending": the next nonce this relayer will assign; otherwise the chain's count. */
  override async getNonce(blockTag?: BlockTag): Promise<number> {
    if (blockTag !== "pending") return super.getNonce(blockTag);
    await this.#init();
    return this.#nextNonce;
  }

  override async signTransaction(tx: TransactionRequest): Promise<string> {
    const t = Transaction.from(await this.populateTransaction(tx));
    t.signature = this.#key.sign(t.unsignedHash);
    return t.serialized;
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return new BaseWallet(this.#key).signMessage(message);
  }

  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return new BaseWallet(this.#key).signTypedData(domain, types, value);
  }

  /**
   * Relays a transaction (`to`, `data`, `value` and optionally `gasLimit` are taken from `tx`; nonce and fees are
   * the relayer's). Its `wait()` is the relayer's ({@link RelayedTransaction.wait}).
   */
  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    if (tx.nonce != null) throw new CrossproofError("INVALID_ARGUMENT", "a Relayer assigns nonces itself");
    if (tx.gasPrice != null || tx.maxFeePerGas != null || tx.maxPriorityFeePerGas != null) {
      throw new CrossproofError("INVALID_ARGUMENT", "a Relayer sets the fees itself (see RelayerOptions.fees)");
    }
    if (tx.to == null) throw new CrossproofError("INVALID_ARGUMENT", "a Relayer sends calls to contracts only");
    if (tx.from != null && getAddress(await resolveAddress(tx.from, this.provider)) !== this.address) {
      throw new CrossproofError("INVALID_ARGUMENT", `a Relayer sends from ${this.address} only`);
    }
    const relayed = (await this.relay({
      to: await resolveAddress(tx.to, this.provider),
      data: tx.data ?? "0x",
      ...(tx.value == null ? {} : { value: getBigInt(tx.value) }),
      ...(tx.gasLimit == null ? {} : { gasLimit: getBigInt(tx.gasLimit) }),
    })) as Relayed;
    const t = Transaction.from(relayed.raw);
    return new RelayedTransactionResponse(
      {
        blockNumber: null,
        blockHash: null,
        hash: t.hash!,
        index: 0,
        type: t.type ?? 2,
        to: t.to,
        from: this.address,
        nonce: t.nonce,
        gasLimit: t.gasLimit,
        gasPrice: t.gasPrice ?? t.maxFeePerGas ?? 0n,
        maxPriorityFeePerGas: t.maxPriorityFeePerGas,
        maxFeePerGas: t.maxFeePerGas,
        data: t.data,
        value: t.value,
        chainId: t.chainId,
        signature: t.signature!,
        accessList: t.accessList,
        authorizationList: null,
      },
      this.provider,
      relayed,
    );
  }

  // ---- Relaying ----------------------------------------------------------------------------------------------

  /**
   * Signs and sends a call; resolves once the node holds it. A call refused by `eth_estimateGas` (the first of its
   * kind) rejects here with the revert data, before any nonce is taken; a refusal by the node that retrying does
   * not cure rejects with `CHAIN_ERROR`.
   * @example
   * const sent = await relayer.relay({ to: registry, data: iface.encodeFunctionData("anchorEvidence", [r, sig]) });
   * const receipt = await sent.wait();
   */
  async relay(request: RelayRequest): Promise<RelayedTransaction> {
    if (this.#closed) throw new CrossproofError("CHAIN_ERROR", "the relayer is closed");
    const to = this.#checksummed(request.to);
    const data = request.data.toLowerCase();
    const value = request.value ?? 0n;
    await this.#init();
    const gasLimit = request.gasLimit ?? (await this.#gasLimitFor(to, data, value));
    const entry = new Relayed(this, to, data, value, gasLimit);
    await this.#broadcast(entry, "nonce");
    this.#startPolling();
    return entry;
  }

  /** Resolves once the chain's head reaches block `n`. */
  async waitForBlock(n: number): Promise<void> {
    while (this.#head < n) {
      this.#head = Math.max(this.#head, Number(await this.#send<string>("eth_blockNumber", [])));
      if (this.#head < n) await sleep(this.#options.pollingInterval);
    }
  }

  /**
   * Stops: pending waits reject with `CHAIN_ERROR` (their transactions stay on their way), the relayer's
   * connections close, and a provider it made from a URL is destroyed.
   */
  close(): void {
    this.#closed = true;
    for (const e of [...this.#pending]) {
      this.#untrack(e);
      e.reject(new CrossproofError("CHAIN_ERROR", `the relayer was closed before ${e.hash} was mined`));
    }
    this.#link.close();
    if (this.#ownsProvider) this.provider.destroy();
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      const { chainId } = await this.provider.getNetwork();
      const [count, head] = await Promise.all([
        this.#send<string>("eth_getTransactionCount", [this.address, "pending"]),
        this.#send<string>("eth_blockNumber", []),
      ]);
      this.#chainId = chainId;
      this.#nextNonce = Math.max(this.#nextNonce, Number(count));
      // Every transaction is filed before it is sent: none can be in a block up to this one.
      this.#head = this.#lastScanned = Number(head);
      if (this.#options.fees === undefined) await this.#readFees();
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  /** `getAddress`, remembered (a checksum is a keccak256, and a relayer talks to a handful of contracts). */
  #checksummed(address: string): string {
    let a = this.#addresses.get(address);
    if (a === undefined) {
      a = getAddress(address);
      if (this.#addresses.size < 1024) this.#addresses.set(address, a);
    }
    return a;
  }

  // ---- Fees and gas ------------------------------------------------------------------------------------------

  async #currentFees(): Promise<RelayerFees> {
    if (this.#options.fees !== undefined) return this.#options.fees;
    if (this.#fees === undefined) await this.#readFees();
    else if (Date.now() - this.#fees.at > this.#options.feeMaxAge) this.#readFees().catch(() => {});
    return this.#fees!;
  }

  #readFees(): Promise<void> {
    this.#feeReading ??= (async () => {
      try {
        this.#stats.feeReads++;
        const block = await this.#send<{ baseFeePerGas?: string | null; gasLimit: string } | null>(
          "eth_getBlockByNumber",
          ["latest", false],
        );
        if (block === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
        this.#blockGasLimit = BigInt(block.gasLimit);
        if (block.baseFeePerGas == null) {
          this.#fees = { gasPrice: BigInt(await this.#send<string>("eth_gasPrice", [])), at: Date.now() };
          return;
        }
        const baseFee = BigInt(block.baseFeePerGas);
        let tip: bigint;
        try {
          tip = BigInt(await this.#send<string>("eth_maxPriorityFeePerGas", []));
        } catch {
          const price = BigInt(await this.#send<string>("eth_gasPrice", []));
          tip = price > baseFee ? price - baseFee : 0n;
        }
        // Twice the base fee: room for six full blocks in a row before the next reading.
        this.#fees = { maxFeePerGas: 2n * baseFee + tip, maxPriorityFeePerGas: tip, at: Date.now() };
      } finally {
        this.#feeReading = undefined;
      }
    })();
    return this.#feeReading;
  }

  #limitFrom(gas: bigint): bigint {
    const limit = (gas * BigInt(Math.round(this.#options.gasMargin * 1000)) + 999n) / 1000n;
    return this.#blockGasLimit !== undefined && limit > this.#blockGasLimit ? this.#blockGasLimit : limit;
  }

  async #estimate(to: string, data: string, value: bigint): Promise<bigint> {
    this.#stats.estimates++;
    return BigInt(
      await this.#send<string>("eth_estimateGas", [{ from: this.address, to, data, value: toQuantity(value) }]),
    );
  }

  /** The gas limit of a call: its kind's, or one estimate for its kind (concurrent callers share it). */
  async #gasLimitFor(to: string, data: string, value: bigint): Promise<bigint> {
    const kind = `${to}:${data.slice(0, 10)}`;
    for (;;) {
      const profile = this.#gas.get(kind);
      if (profile !== undefined && data.length <= profile.dataLength) return profile.limit;
      const other = this.#estimating.get(kind);
      if (other !== undefined) {
        await other;
        continue;
      }
      const estimate = this.#estimate(to, data, value);
      this.#estimating.set(
        kind,
        estimate.then(
          () => undefined,
          () => undefined,
        ),
      );
      try {
        const limit = this.#limitFrom(await estimate);
        this.#learn(kind, limit, data.length);
        return limit;
      } finally {
        this.#estimating.delete(kind);
      }
    }
  }

  /** Raises a kind's limit (never lowers it) and remembers the longest calldata estimated. */
  #learn(kind: string, limit: bigint, dataLength: number): void {
    const p = this.#gas.get(kind);
    this.#gas.set(kind, {
      limit: p === undefined || limit > p.limit ? limit : p.limit,
      dataLength: Math.max(p?.dataLength ?? 0, dataLength),
    });
  }

  // ---- Sending -----------------------------------------------------------------------------------------------

  #track(entry: Relayed, hash: string): void {
    this.#pending.add(entry);
    this.#byHash.set(hash, entry);
    relayedByHash.set(hash, entry);
  }

  #untrack(entry: Relayed): void {
    this.#pending.delete(entry);
    for (const h of entry.live) if (this.#byHash.get(h) === entry) this.#byHash.delete(h);
    entry.live = [];
  }

  /**
   * Signs `entry` at its nonce with `fees` and files it under its new hash, before it is sent (so no receipt can
   * come before the poller knows the hash). A replacement (same nonce, higher fees) keeps the replaced hash live:
   * either may be mined.
   */
  #sign(entry: Relayed, fees: RelayerFees, replacing: boolean): void {
    const { raw, hash } = signRelayedTransaction(this.#key, {
      chainId: this.#chainId,
      nonce: entry.nonce,
      to: entry.to,
      data: entry.data,
      value: entry.value,
      gasLimit: entry.gasLimit,
      fees,
    });
    if (!replacing) this.#untrack(entry);
    entry.fees = fees;
    entry.raw = raw;
    entry.hash = hash;
    entry.hashes.push(hash);
    entry.live.push(hash);
    this.#track(entry, hash);
  }

  /**
   * Sends `entry` until the node holds it. `prepare` says what it needs first: a (new) nonce and a signature, a
   * new signature (fees changed), a replacement at the same nonce with `fees`, or nothing (the same bytes again).
   */
  async #broadcast(entry: Relayed, prepare: Prepare, fees?: RelayerFees): Promise<void> {
    entry.sending = true;
    try {
      await this.#sendUntilHeld(entry, prepare, fees);
    } finally {
      entry.sending = false;
      entry.lastActivity = Date.now();
    }
  }

  async #sendUntilHeld(entry: Relayed, prepare: Prepare, replacementFees?: RelayerFees): Promise<void> {
    const replaced = prepare === "replace" ? { hash: entry.hash, raw: entry.raw, fees: entry.fees } : undefined;
    for (let attempt = 1; ; attempt++) {
      if (prepare !== undefined) {
        const fees = prepare === "replace" ? replacementFees! : await this.#currentFees();
        if (prepare === "nonce") entry.nonce = this.#nextNonce++;
        this.#sign(entry, fees, prepare === "replace");
        prepare = undefined;
      }
      let error: unknown;
      try {
        await this.#sendRaw(entry.raw);
        this.#stats.sent++;
        return;
      } catch (err) {
        error = err;
      }
      const failure = classifySendError(error);
      if (failure === "known") return;
      if (replaced !== undefined && (failure !== "transient" || attempt >= MAX_SEND_ATTEMPTS)) {
        // The replacement was refused; the replaced transaction is still there: keep waiting for it.
        if (this.#byHash.get(entry.hash) === entry) this.#byHash.delete(entry.hash);
        entry.live = entry.live.filter((h) => h !== entry.hash);
        Object.assign(entry, replaced);
        return;
      }
      if (failure === "nonce" && (await this.#anyKnown(entry))) return;
      if (failure === "fatal" || attempt >= MAX_SEND_ATTEMPTS) {
        this.#untrack(entry);
        if (failure !== "nonce") this.#release(entry);
        const failed = new CrossproofError("CHAIN_ERROR", `relaying failed: ${plainMessage(error)}`, {
          cause: error,
          details: { failure, nonce: entry.nonce },
        });
        entry.reject(failed);
        throw failed;
      }
      if (failure === "nonce") {
        if (entry.filler) {
          // Another transaction filled the gap: nothing left to do.
          this.#untrack(entry);
          entry.reject(new CrossproofError("CHAIN_ERROR", "the nonce was filled by another transaction"));
          return;
        }
        // Another transaction holds this nonce: take a fresh one.
        await this.#resync();
        prepare = "nonce";
      } else if (failure === "fee") {
        if (this.#options.fees === undefined) await this.#readFees();
        prepare = "sign";
      } else {
        await sleep(50 * 2 ** attempt);
      }
    }
  }

  /** Whether the node knows any transaction that may still carry `entry`. */
  async #anyKnown(entry: Relayed): Promise<boolean> {
    try {
      const found = await this.#sendBatch<unknown>(
        "eth_getTransactionByHash",
        entry.live.map((h) => [h]),
      );
      return found.some((t) => t !== null);
    } catch {
      return false;
    }
  }

  /** Reads the pending nonce again; never moves the next nonce back. */
  #resync(): Promise<void> {
    this.#resyncing ??= (async () => {
      try {
        this.#stats.resyncs++;
        const count = Number(await this.#send<string>("eth_getTransactionCount", [this.address, "pending"]));
        if (count > this.#nextNonce) this.#nextNonce = count;
      } finally {
        this.#resyncing = undefined;
      }
    })();
    return this.#resyncing;
  }

  /** The nonce of a transaction that will never be sent: given back if it was the last one, else filled. */
  #release(entry: Relayed): void {
    if (entry.nonce === this.#nextNonce - 1) this.#nextNonce--;
    else if (!entry.filler) this.#fill(entry.nonce);
  }

  /** Fills nonce `n` with a no-op (nothing sent to itself), so that the transactions after it can be mined. */
  #fill(n: number): void {
    const filler = new Relayed(this, this.address, "0x", 0n, 21_000n, true);
    filler.nonce = n;
    this.#stats.fillers++;
    this.#broadcast(filler, "sign").then(
      () => this.#startPolling(),
      () => {
        // Nothing more to do now: a stalled transaction behind the gap fills it again (see #checkStalled).
      },
    );
  }

  /**
   * Hands a signed transaction to the node. Transactions signed in the same turn of the event loop go together, up
   * to {@link BATCH} per JSON-RPC batch, when the turn ends (at once when a batch is full): no timer, no waiting. A
   * burst of requests thus reaches the node at once and is mined in few blocks, which matters on a chain whose cost
   * per block grows with its state (Anvil's).
   */
  #sendRaw(raw: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#outbox.push({ raw, resolve, reject });
      if (this.#outbox.length >= BATCH) this.#flush();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    while (this.#outbox.length > 0 && this.#sendsInFlight < this.#options.sendConcurrency) {
      const batch = this.#outbox.splice(0, BATCH);
      this.#sendsInFlight++;
      void this.#sendRaws(batch).finally(() => {
        this.#sendsInFlight--;
        this.#flush();
      });
    }
  }

  async #sendRaws(batch: { raw: string; resolve: () => void; reject: (e: unknown) => void }[]): Promise<void> {
    const payloads: JsonRpcPayload[] = batch.map((b) => ({
      method: "eth_sendRawTransaction",
      params: [b.raw],
      id: this.#rpcId++,
      jsonrpc: "2.0",
    }));
    let results: (JsonRpcResult | JsonRpcError)[];
    try {
      results = await this.#link.exchange(payloads);
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    const byId = new Map(results.map((r) => [r.id, r]));
    batch.forEach((b, i) => {
      const r = byId.get(payloads[i]!.id);
      if (r === undefined) b.reject(new CrossproofError("CHAIN_ERROR", "no answer to eth_sendRawTransaction"));
      else if ("error" in r) b.reject(this.provider.getRpcError(payloads[i]!, r));
      else b.resolve();
    });
  }

  /**
   * One JSON-RPC call on the relayer's own link to the node (see `jsonRpcLinkOf`): the provider's `send` would
   * queue it behind a timer, and its transport encodes and decodes bodies in JavaScript.
   */
  async #send<T = unknown>(method: string, params: unknown[]): Promise<T> {
    const payload: JsonRpcPayload = { method, params, id: this.#rpcId++, jsonrpc: "2.0" };
    const [result] = (await this.#link.exchange([payload])) as (JsonRpcResult | JsonRpcError | undefined)[];
    if (result === undefined) throw new CrossproofError("CHAIN_ERROR", `no answer to ${method}`);
    if ("error" in result) throw this.provider.getRpcError(payload, result);
    return result.result as T;
  }

  /** One method with each of `params`, in JSON-RPC batches (one HTTP request per {@link BATCH}); an error throws. */
  async #sendBatch<T>(method: string, params: unknown[][]): Promise<T[]> {
    if (params.length === 1) return [await this.#send<T>(method, params[0]!)];
    const out: T[] = [];
    for (let i = 0; i < params.length; i += BATCH) {
      const payloads: JsonRpcPayload[] = params
        .slice(i, i + BATCH)
        .map((p) => ({ method, params: p, id: this.#rpcId++, jsonrpc: "2.0" }));
      const byId = new Map((await this.#link.exchange(payloads)).map((r) => [r.id, r]));
      for (const payload of payloads) {
        const r = byId.get(payload.id);
        if (r === undefined) throw new CrossproofError("CHAIN_ERROR", `no answer to ${method} in a batch`);
        if ("error" in r) throw this.provider.getRpcError(payload, r);
        out.push(r.result as T);
      }
    }
    return out;
  }

  // ---- Receipts ----------------------------------------------------------------------------------------------

  #startPolling(): void {
    if (this.#polling || this.#pending.size === 0 || this.#closed) return;
    this.#polling = true;
    void (async () => {
      try {
        while (this.#pending.size > 0 && !this.#closed) {
          try {
            await this.#tick();
          } catch {
            // A failed poll (the node restarting…) is tried again at the next tick.
          }
          if (this.#pending.size === 0) break;
          await sleep(this.#options.pollingInterval);
        }
      } finally {
        this.#polling = false;
        this.#startPolling();
      }
    })();
  }

  async #tick(): Promise<void> {
    const head = Number(await this.#send<string>("eth_blockNumber", []));
    if (head > this.#head) this.#head = head;
    if (head > this.#lastScanned) {
      const live = [...this.#byHash.keys()];
      // Fewer calls wins: the receipts of each new block, or of each pending transaction.
      if (this.#blockReceipts && live.length > head - this.#lastScanned) await this.#scanBlocks(head);
      else await this.#checkHashes(live);
      this.#lastScanned = head;
    }
    const now = Date.now();
    for (const e of this.#pending) {
      if (!e.sending && now - e.lastActivity > this.#options.stallTimeout) {
        e.lastActivity = now;
        this.#checkStalled(e).catch(() => {});
      }
    }
  }

  async #scanBlocks(head: number): Promise<void> {
    const blocks = Array.from({ length: head - this.#lastScanned }, (_, i) => [toQuantity(this.#lastScanned + 1 + i)]);
    let receipts: (RawReceipt[] | null)[];
    try {
      receipts = await this.#sendBatch<RawReceipt[] | null>("eth_getBlockReceipts", blocks);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (
        code !== "UNSUPPORTED_OPERATION" &&
        !/method not found|does not exist|not supported/.test(errorMessages(err))
      ) {
        throw err;
      }
      this.#blockReceipts = false;
      return this.#checkHashes([...this.#byHash.keys()]);
    }
    for (const block of receipts) for (const r of block ?? []) this.#settle(r);
  }

  async #checkHashes(hashes: string[]): Promise<void> {
    const receipts = await this.#sendBatch<RawReceipt | null>(
      "eth_getTransactionReceipt",
      hashes.map((h) => [h]),
    );
    for (const r of receipts) if (r !== null) this.#settle(r);
  }

  #settle(raw: RawReceipt): void {
    const entry = this.#byHash.get(raw.transactionHash.toLowerCase());
    if (entry === undefined) return;
    this.#untrack(entry);
    const receipt = this.#receipt(raw);
    this.#stats.mined++;
    if (receipt.status === 1) {
      if (!entry.filler) this.#learn(entry.kind, this.#limitFrom(receipt.gasUsed), 0);
      entry.resolve(receipt);
    } else {
      this.#stats.reverted++;
      void this.#failed(entry, receipt);
    }
  }

  /** An ethers receipt from the node's JSON, with address checksums remembered. */
  #receipt(r: RawReceipt): TransactionReceipt {
    return receiptFromJson(r, this.provider, (a) => this.#checksummed(a));
  }

  /**
   * A mined transaction reverted: replay it on its block's state for the revert data. If the replay does not
   * revert, its gas limit was too low (or the state moved under it): estimate it alone and send it again, once.
   */
  async #failed(entry: Relayed, receipt: TransactionReceipt): Promise<void> {
    try {
      const data = await this.#replay(entry, receipt.blockNumber);
      if (data === undefined && !entry.resent && !entry.filler) {
        entry.resent = true;
        // A refusal now rejects here, with its revert data.
        entry.gasLimit = this.#limitFrom(await this.#estimate(entry.to, entry.data, entry.value));
        this.#learn(entry.kind, entry.gasLimit, entry.data.length);
        this.#stats.resent++;
        await this.#broadcast(entry, "nonce");
        this.#startPolling();
        return;
      }
      entry.reject(
        makeError(
          data === undefined
            ? `transaction reverted on chain (gas used ${receipt.gasUsed} of ${entry.gasLimit}) and not when replayed`
            : "transaction execution reverted",
          "CALL_EXCEPTION",
          {
            action: "sendTransaction",
            data: data ?? null,
            reason: null,
            invocation: null,
            revert: null,
            transaction: { from: this.address, to: entry.to, data: entry.data },
            receipt,
          },
        ),
      );
    } catch (err) {
      entry.reject(err);
    }
  }

  /** The revert data of `entry` replayed on the state after block `blockNumber`, or undefined if it succeeds. */
  async #replay(entry: Relayed, blockNumber: number): Promise<string | undefined> {
    try {
      await this.#send("eth_call", [
        { from: this.address, to: entry.to, data: entry.data, value: toQuantity(entry.value) },
        toQuantity(blockNumber),
      ]);
      return undefined;
    } catch (err) {
      const data = (err as { data?: unknown }).data;
      return typeof data === "string" && data.length >= 10 ? data : undefined;
    }
  }

  /**
   * A transaction without a receipt for `stallTimeout` ms. Still in the node's pool: fill any gap below it, or, if
   * it is next in line, raise its fees. Gone: if another transaction took its nonce, send it again under a new one;
   * if not, broadcast it again.
   */
  async #checkStalled(entry: Relayed): Promise<void> {
    const hash = entry.hash;
    const still = () => entry.hash === hash && this.#pending.has(entry) && !entry.sending;
    await this.#checkHashes([...entry.live]);
    if (!still()) return;
    const known = await this.#anyKnown(entry);
    const mined = Number(await this.#send<string>("eth_getTransactionCount", [this.address, "latest"]));
    if (!still()) return;
    if (known) {
      if (mined < entry.nonce) this.#fillGaps(mined, entry.nonce);
      else if (mined === entry.nonce) await this.#bumpFees(entry);
      return;
    }
    if (mined > entry.nonce) {
      await this.#checkHashes([...entry.live]);
      if (!still()) return;
      if (entry.filler) {
        this.#untrack(entry);
        entry.reject(new CrossproofError("CHAIN_ERROR", "the nonce was filled by another transaction"));
        return;
      }
      this.#stats.resent++;
      await this.#resync();
      await this.#broadcast(entry, "nonce");
      return;
    }
    await this.#broadcast(entry, undefined);
  }

  /** Replaces a transaction that is next in line but not mined with one paying fees at least 1/8 higher. */
  async #bumpFees(entry: Relayed): Promise<void> {
    if (this.#options.fees !== undefined || entry.fees === undefined || entry.feeBumps >= MAX_FEE_BUMPS) return;
    await this.#readFees();
    const fees = bumpedFees(entry.fees, this.#fees!);
    entry.feeBumps++;
    this.#stats.resent++;
    await this.#broadcast(entry, "replace", fees);
  }

  /** Fills every nonce in [from, to) that no pending transaction of this relayer holds. */
  #fillGaps(from: number, to: number): void {
    const held = new Set([...this.#pending].map((e) => e.nonce));
    for (let n = from; n < to; n++) if (!held.has(n)) this.#fill(n);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
