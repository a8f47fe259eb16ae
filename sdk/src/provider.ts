import {
  FetchRequest,
  JsonRpcProvider,
  toQuantity,
  type JsonRpcPayload,
  type JsonRpcResult,
  type PerformActionRequest,
  type Provider,
} from "ethers";
import { unreachableError } from "./contract-errors";
import { CrossproofError } from "./errors";

/** A block as the chain clock reads it. */
export interface ClockReading {
  number: number;
  /** The block's timestamp (unix seconds). */
  timestamp: number;
}

export interface ChainClockOptions {
  /** Milliseconds a reading is used before the latest block is read again (default 5,000). */
  maxAge?: number;
  /** The local clock in milliseconds (default `Date.now`); tests give their own. */
  localTime?: () => number;
}

/**
 * The chain's time without a block read per request: the latest block's timestamp plus the local time elapsed
 * since that block was first seen, read again every `maxAge` milliseconds. Used for the deadlines of signed
 * requests, which only need to be "so long from now, by the chain's clock".
 *
 * The estimate is never ahead of the chain (the latest block was mined before it was seen). On a chain that has
 * mined nothing for a while it is behind by at most the time between the last block and the first reading of it.
 */
export class ChainClock {
  readonly #read: () => Promise<ClockReading>;
  readonly #maxAge: number;
  readonly #localTime: () => number;
  /** The latest block seen, and the local time it was first seen at. */
  #block: (ClockReading & { seenAt: number }) | undefined;
  #readAt = 0;
  #reading: Promise<void> | undefined;

  constructor(read: () => Promise<ClockReading>, options: ChainClockOptions = {}) {
    this.#read = read;
    this.#maxAge = options.maxAge ?? 5_000;
    this.#localTime = options.localTime ?? Date.now;
  }

  /** The chain's time now (unix seconds), reading the latest block only when the last reading is too old. */
  async now(): Promise<number> {
    if (this.#block === undefined || this.#localTime() - this.#readAt > this.#maxAge) await this.refresh();
    return this.#estimate();
  }

  /** Reads the latest block now (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.#reading ??= (async () => {
      try {
        const block = await this.#read();
        const at = this.#localTime();
        // The same block seen again keeps the time it was first seen: the estimate keeps running.
        if (this.#block === undefined || this.#block.number !== block.number) this.#block = { ...block, seenAt: at };
        this.#readAt = at;
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  /** Forgets the reading (the chain's time was changed by a development call: `evm_increaseTime`, a snapshot…). */
  invalidate(): void {
    this.#block = undefined;
    this.#readAt = 0;
  }

  #estimate(): number {
    const b = this.#block!;
    return b.timestamp + Math.floor((this.#localTime() - b.seenAt) / 1000);
  }
}

/**
 * The most blocks one `eth_getLogs` spans: Hyperledger Besu refuses more (`--rpc-max-logs-range`, default 5,000;
 * docs/BESU.md), and a `toBlock` past its head.
 */
export const MAX_LOGS_RANGE = 5_000;

/** Development calls that change the chain's time or history (Anvil, Hardhat): the chain clock reads again after. */
const TIME_CHANGING = /^(evm_|anvil_|hardhat_)/;

export interface CreateProviderOptions {
  /** The chain id, when known: saves the one `eth_chainId` call. */
  chainId?: bigint | number;
  /** Milliseconds between polls for ethers' own transaction waits and event subscriptions (default 50). */
  pollingInterval?: number;
  /** Milliseconds a chain-clock reading is used (default 5,000); see {@link ChainClock}. */
  clockMaxAge?: number;
  /** HTTP headers sent with every call (e.g. a gateway session's `authorization` for its read-only JSON-RPC). */
  headers?: Readonly<Record<string, string>>;
}

/** The node's URL as ethers fetches it: a plain URL, or a request carrying the given headers. */
function withHeaders(url: string, headers: Readonly<Record<string, string>> | undefined): string | FetchRequest {
  if (headers === undefined) return url;
  const request = new FetchRequest(url);
  for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
  return request;
}

/**
 * The JSON-RPC provider the SDK configures for itself (see {@link createProvider}): one request per HTTP call with
 * no batching delay, no response cache (a cached block or nonce is a stale one), the network detected once, fast
 * polling, and a {@link ChainClock} for request deadlines.
 *
 * A node that does not answer fails the first call at once with `CHAIN_UNREACHABLE` naming the URL (ethers' own
 * provider would log "failed to detect network… retry in 1s" every second and keep the process alive for ever).
 */
export class CrossproofProvider extends JsonRpcProvider {
  readonly clock: ChainClock;
  readonly #url: string;
  /** The network is known (given, or detected once): ethers' start-up loop cannot spin. */
  #networkKnown: boolean;
  #detecting: Promise<void> | undefined;

  constructor(url: string, options: CreateProviderOptions = {}) {
    super(withHeaders(url, options.headers), options.chainId === undefined ? undefined : BigInt(options.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
      pollingInterval: options.pollingInterval ?? 50,
    });
    this.#url = url;
    this.#networkKnown = options.chainId !== undefined;
    this.clock = new ChainClock(
      async () => {
        const block = (await this.send("eth_getBlockByNumber", ["latest", false])) as {
          number: string;
          timestamp: string;
        } | null;
        if (block === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
        return { number: Number(block.number), timestamp: Number(block.timestamp) };
      },
      options.clockMaxAge === undefined ? {} : { maxAge: options.clockMaxAge },
    );
  }

  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    // ethers starts its network detection on the first send and, when the node does not answer, retries it every
    // second for ever; detecting it here first turns that into one failed call.
    if (!this.#networkKnown) {
      this.#detecting ??= this._detectNetwork().then(
        () => {
          this.#networkKnown = true;
        },
        (err: unknown) => {
          this.#detecting = undefined;
          throw err;
        },
      );
      await this.#detecting;
    }
    return super.send(method, params);
  }

  /**
   * Log queries (every `queryFilter` of the SDK's clients) are paged: windows of at most {@link MAX_LOGS_RANGE}
   * blocks, `toBlock` clamped to the head, hex block numbers — what a Besu node accepts. A query by block hash, or
   * with a tag other than latest/pending/earliest, goes to the node as it is.
   */
  override async _perform(req: PerformActionRequest): Promise<unknown> {
    if (req.method !== "getLogs" || "blockHash" in req.filter) return super._perform(req);
    const { fromBlock, toBlock } = req.filter as { fromBlock?: string; toBlock?: string };
    const known = (tag: string | undefined) =>
      tag === undefined || /^(latest|pending|earliest|0x[0-9a-f]+)$/i.test(tag);
    if (!known(fromBlock) || !known(toBlock)) return super._perform(req);
    const head = Number(await this.send("eth_blockNumber", []));
    const numberOf = (tag: string | undefined) =>
      tag === undefined || tag === "latest" || tag === "pending" ? head : tag === "earliest" ? 0 : Number(BigInt(tag));
    const from = numberOf(fromBlock);
    const to = Math.min(numberOf(toBlock), head);
    const logs: unknown[] = [];
    for (let start = from; start <= to; start += MAX_LOGS_RANGE) {
      const end = Math.min(start + MAX_LOGS_RANGE - 1, to);
      const filter = { ...req.filter, fromBlock: toQuantity(start), toBlock: toQuantity(end) };
      logs.push(...((await super._perform({ ...req, filter })) as unknown[]));
    }
    return logs;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    let result: JsonRpcResult[];
    try {
      result = await super._send(payload);
    } catch (err) {
      throw unreachableError(err, this.#url) ?? err;
    }
    const methods = Array.isArray(payload) ? payload.map((p) => p.method) : [payload.method];
    if (methods.some((m) => TIME_CHANGING.test(m))) this.clock.invalidate();
    return result;
  }
}

/**
 * A provider for a crossproof chain, configured as the SDK needs it. A plain `JsonRpcProvider` batches requests
 * after a 10 ms stall, caches identical requests for 250 ms (a nonce or the latest block read twice comes back
 * stale) and polls every 4 s; this one does none of that.
 * @example
 * const provider = createProvider("http://127.0.0.1:8545");
 * const relayer = new Relayer(relayerKey, provider);
 */
export function createProvider(url: string, options: CreateProviderOptions = {}): CrossproofProvider {
  return new CrossproofProvider(url, options);
}

/** The chain clock of a provider made by {@link createProvider}; undefined for any other provider. */
export function chainClockOf(provider: Provider): ChainClock | undefined {
  return provider instanceof CrossproofProvider ? provider.clock : undefined;
}
