import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Transaction } from "ethers";
import { CHAIN_BLOCK_GAS_LIMIT, freePort } from "../../scripts/lib/anvil";
import { CONTRACT_SIZE_LIMIT, MAX_LOGS_RANGE, STATE_HISTORY_BLOCKS } from "../../scripts/besu-network";

/**
 * The Besu parity profile (docs/BESU.md, "Proven compatible without Besu"): Anvil configured as the consortium's
 * genesis, behind a JSON-RPC guard that refuses what a Besu QBFT node of that network refuses, with Besu's error
 * codes and messages (hyperledger/besu `RpcErrorType`, `EthGetLogs`, `FilterParameter.validateBlockRange`,
 * `BlockParameter`):
 *
 * - development methods (`anvil_*`, `evm_*`, `hardhat_*`), node-side signing (`eth_sendTransaction`, `eth_sign*`,
 *   `personal_*`) and APIs the nodes do not enable (`txpool_*`, `admin_*`…): -32601 Method not found;
 * - `finalized` / `safe` block tags (no such blocks on QBFT): -39001 Unknown block; block numbers that are not hex
 *   quantities: -32602;
 * - `eth_getLogs` over more than {@link MAX_LOGS_RANGE} blocks: -32005; `toBlock` past the head: -32602;
 * - state reads (`eth_call`, `eth_getBalance`…) older than {@link STATE_HISTORY_BLOCKS} blocks: -32000 World state
 *   unavailable (Bonsai);
 * - transactions that would cost anything (every account holds 0 on the consortium chain: the genesis allocates
 *   nothing) or carry value: -32004 Upfront cost exceeds account balance; another chain id: -32000; optionally a
 *   sender outside the accounts allowlist: -32007.
 *
 * It answers `eth_maxPriorityFeePerGas` with 0, as Besu does on this network (the median tip of recent blocks, all
 * zero, or `--min-priority-fee` 0 when there are none); Anvil answers 1 gwei whatever it is configured with.
 *
 * Two ports: `url` for the code under test (the gateway, the SDK, the deploy scripts) is guarded; `harnessUrl` lets
 * the test harness's own calls through unchanged (snapshots, time travel). The local chain's launcher talks to Anvil
 * directly and never passes the guard.
 */
export interface RpcGuard {
  /** Guarded: what production code paths talk to. */
  url: string;
  /** Unguarded: the test harness's own calls. */
  harnessUrl: string;
  /** Every refusal so far, in order (a test asserts what was refused; a profile run lists them). */
  refusals: RpcRefusal[];
  close(): Promise<void>;
}

export interface RpcRefusal {
  method: string;
  code: number;
  message: string;
}

export interface RpcGuardOptions {
  /** The chain id transactions must carry. */
  chainId: bigint;
  /** When given, only these senders may send transactions (Besu's accounts allowlist). */
  allowedSenders?: readonly string[];
}

interface Call {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** The APIs a crossproof node enables (deploy/besu: ETH, NET, WEB3, QBFT, PERM, and DEBUG on the verifier's). */
const ENABLED_NAMESPACES = /^(eth|net|web3|qbft|perm|debug)_/;
/** Methods of the enabled namespaces that Besu does not have: it signs nothing. */
const NOT_IN_BESU = new Set([
  "eth_sendTransaction",
  "eth_sign",
  "eth_signTransaction",
  "eth_signTypedData",
  "eth_signTypedData_v3",
  "eth_signTypedData_v4",
]);
/** Where each method takes a block parameter, and whether it reads state at that block. */
const BLOCK_PARAMS: Record<string, { index: number; state: boolean }> = {
  eth_getBalance: { index: 1, state: true },
  eth_getCode: { index: 1, state: true },
  eth_getStorageAt: { index: 2, state: true },
  eth_getTransactionCount: { index: 1, state: true },
  eth_call: { index: 1, state: true },
  eth_estimateGas: { index: 1, state: true },
  eth_getProof: { index: 2, state: true },
  eth_getBlockByNumber: { index: 0, state: false },
  eth_getBlockTransactionCountByNumber: { index: 0, state: false },
  eth_getTransactionByBlockNumberAndIndex: { index: 0, state: false },
  eth_getBlockReceipts: { index: 0, state: false },
  eth_feeHistory: { index: 1, state: false },
  debug_traceCall: { index: 1, state: true },
};

class Refusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const HEX_QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;

/** A block parameter as Besu reads it: a tag, a hex quantity, or an EIP-1898 object. */
function blockNumberOf(param: unknown, head: () => Promise<number>): Promise<number | undefined> {
  if (param === undefined || param === null || param === "latest" || param === "pending") return head();
  if (param === "earliest") return Promise.resolve(0);
  if (param === "finalized" || param === "safe") {
    throw new Refusal(-39001, `Unknown block: QBFT has no "${param}" block (use "latest" or a block number)`);
  }
  if (typeof param === "object") return Promise.resolve(undefined); // { blockHash } / { blockNumber }: as given
  if (typeof param !== "string" || !HEX_QUANTITY.test(param)) {
    throw new Refusal(-32602, `Invalid block number params: ${JSON.stringify(param)} is not a hex quantity`);
  }
  return Promise.resolve(Number(BigInt(param)));
}

async function post(target: string, body: unknown): Promise<unknown> {
  const res = await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return res.json();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const port = await freePort();
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

function urlOf(server: Server): string {
  const a = server.address();
  return `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
}

/** Starts a guard in front of the JSON-RPC node at `target`. */
export async function startRpcGuard(target: string, options: RpcGuardOptions): Promise<RpcGuard> {
  const refusals: RpcRefusal[] = [];
  const allowed = options.allowedSenders?.map((a) => a.toLowerCase());

  const check = async (call: Call): Promise<unknown> => {
    const method = typeof call.method === "string" ? call.method : "";
    const params = Array.isArray(call.params) ? (call.params as unknown[]) : [];
    if (!ENABLED_NAMESPACES.test(method) || NOT_IN_BESU.has(method)) {
      throw new Refusal(-32601, `Method not found: ${method} (not served by the consortium's Besu nodes)`);
    }
    let headRead: Promise<number> | undefined;
    const head = () =>
      (headRead ??= post(target, { jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }).then((r) =>
        Number((r as { result: string }).result),
      ));
    if (method === "eth_maxPriorityFeePerGas") return "0x0";
    const at = BLOCK_PARAMS[method];
    if (at !== undefined) {
      const n = await blockNumberOf(params[at.index], head);
      if (at.state && n !== undefined && n < (await head()) - STATE_HISTORY_BLOCKS) {
        throw new Refusal(-32000, `World state unavailable: block ${n} is more than ${STATE_HISTORY_BLOCKS} old`);
      }
    }
    if (method === "eth_getLogs" || method === "eth_newFilter") {
      const f = (params[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown };
      if (f.blockHash === undefined) {
        const from = (await blockNumberOf(f.fromBlock, head))!;
        const to = (await blockNumberOf(f.toBlock, head))!;
        const latest = await head();
        if (from > to) throw new Refusal(-32602, `Invalid params: fromBlock (${from}) is greater than toBlock (${to})`);
        if (to > latest) {
          throw new Refusal(-32602, `Invalid params: toBlock (${to}) is greater than latest block (${latest})`);
        }
        if (to - from > MAX_LOGS_RANGE) {
          throw new Refusal(-32005, "Requested range exceeds maximum RPC range limit");
        }
      }
    }
    if (method === "eth_sendRawTransaction") {
      let tx: Transaction;
      try {
        tx = Transaction.from(String(params[0]));
      } catch {
        throw new Refusal(-32602, "Invalid params: not a signed transaction");
      }
      if (tx.chainId !== options.chainId) {
        throw new Refusal(-32000, `Invalid chain id: ${tx.chainId} (the network's is ${options.chainId})`);
      }
      const fee = tx.type === 2 ? (tx.maxFeePerGas ?? 0n) + (tx.maxPriorityFeePerGas ?? 0n) : (tx.gasPrice ?? 0n);
      if (fee !== 0n || tx.value !== 0n) {
        throw new Refusal(
          -32004,
          "Upfront cost exceeds account balance: accounts hold no ether on the consortium chain (gas price " +
            `${tx.type === 2 ? `${tx.maxFeePerGas}/${tx.maxPriorityFeePerGas}` : tx.gasPrice}, value ${tx.value})`,
        );
      }
      if (tx.to === null && (tx.data.length - 2) / 2 > 2 * CONTRACT_SIZE_LIMIT) {
        throw new Refusal(-32000, "Transaction init code exceeds the limit (EIP-3860)");
      }
      if (allowed !== undefined && !allowed.includes(tx.from!.toLowerCase())) {
        throw new Refusal(-32007, `Sender account not authorized to send transactions: ${tx.from}`);
      }
    }
    return undefined;
  };

  const answer = async (call: Call): Promise<unknown> => {
    try {
      const own = await check(call);
      if (own !== undefined) return { jsonrpc: "2.0", id: call.id ?? null, result: own };
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      refusals.push({ method: String(call.method), code: err.code, message: err.message });
      return { jsonrpc: "2.0", id: call.id ?? null, error: { code: err.code, message: err.message } };
    }
    return post(target, call);
  };

  const handler =
    (guarded: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      void (async () => {
        const text = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        let out: unknown;
        if (body === undefined) {
          out = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } };
        } else if (!guarded) {
          out = await post(target, body);
        } else {
          out = Array.isArray(body) ? await Promise.all((body as Call[]).map(answer)) : await answer(body as Call);
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      })().catch((err: unknown) => {
        res.writeHead(502, { "content-type": "text/plain" }).end(String(err));
      });
    };

  const strict = await listen(handler(true));
  const harness = await listen(handler(false));
  return {
    url: urlOf(strict),
    harnessUrl: urlOf(harness),
    refusals,
    async close() {
      for (const s of [strict, harness]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

/** The parity profile's chain settings, read from the example genesis (same chain id, gas limit, size limit). */
export interface BesuProfile {
  chainId: number;
  gasLimit: number;
  /** Anvil's flags for it (besides the hardfork, cancun, that the launcher always sets). */
  anvilArgs: string[];
}

/** The profile when `CROSSPROOF_BESU_PROFILE` is set (`npm run test:besu-profile`), else undefined. */
export function besuProfileFromEnv(): BesuProfile | undefined {
  const v = process.env.CROSSPROOF_BESU_PROFILE;
  if (v === undefined || v === "" || v === "0") return undefined;
  return besuProfile(
    v === "1" ? path.resolve(__dirname, "..", "..", "deploy", "besu", "example", "genesis.json") : path.resolve(v),
  );
}

/** Anvil as the genesis at `genesisFile`: cancun, base fee 0, gas price 0, the size limit on, chain id, gas limit. */
export function besuProfile(genesisFile: string): BesuProfile {
  const g = JSON.parse(readFileSync(genesisFile, "utf8")) as {
    config: { chainId: number; contractSizeLimit: number; zeroBaseFee: boolean; cancunTime: number };
    gasLimit: string;
  };
  if (g.config.zeroBaseFee !== true || g.config.cancunTime !== 0) {
    throw new Error(`${genesisFile}: the profile needs zeroBaseFee and cancunTime 0 (npm run lint:genesis)`);
  }
  const gasLimit = Number(BigInt(g.gasLimit));
  if (gasLimit !== CHAIN_BLOCK_GAS_LIMIT) {
    throw new Error(`${genesisFile}: gas limit ${gasLimit}, but the local chain runs ${CHAIN_BLOCK_GAS_LIMIT}`);
  }
  return {
    chainId: g.config.chainId,
    gasLimit,
    anvilArgs: [
      "--base-fee",
      "0",
      "--gas-price",
      "0",
      "--disable-min-priority-fee",
      "--code-size-limit",
      String(g.config.contractSizeLimit),
    ],
  };
}
