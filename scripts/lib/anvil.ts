import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { createHash } from "node:crypto";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Provider, type Wallet } from "ethers";
import {
  chainStateFiles,
  describeSavedState,
  dumpChainState,
  refusedStatePath,
  removeInterruptedSave,
  savedStateCandidates,
  writeStateAtomically,
} from "./chain-state";

/** Anvil's well-known development mnemonic: its keys are public, never use them outside a local chain. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
/** Account 0 of {@link ANVIL_MNEMONIC}: the local deployer. */
export const ANVIL_DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** The hardfork the reference consortium chain (Hyperledger Besu, QBFT) runs; hardhat.config.ts uses the same. */
export const CHAIN_HARDFORK = "cancun";

/**
 * How the embedded chain mines: each transaction as it arrives (automine), in blocks of at most
 * {@link CHAIN_BLOCK_GAS_LIMIT} gas, plus a block every {@link IDLE_BLOCK_SECONDS} s (`--mixed-mining --block-time`;
 * empty when idle), so chain time — the clock signed-request deadlines are computed from — never lags the wall clock
 * by more. Anvil 1.7.1's automine has two ways to stall a burst, both worked around here:
 *
 * - It selects at most `--max-transactions` (default 1,000) ready transactions, and while it has more ready than
 *   that it keeps selecting without ever letting the block it is mining finish: no block is mined any more and
 *   Anvil's memory grows by tens of MB a second (changed upstream after 1.7.1, in nightlies only). Hence
 *   {@link AUTOMINE_SELECTION_LIMIT}.
 * - It mines once per batch of arrivals; when that block is full, what did not fit stays in the pool until the next
 *   transaction arrives (foundry-rs/foundry#10122; easy with one sender's transactions arriving out of nonce order,
 *   or any burst over one block). The launcher checks the pool every {@link STUCK_CHECK_INTERVAL_MS} ms and mines
 *   blocks (`evm_mine`) until the pool is drained when ready transactions waited a whole check without a block.
 *
 * An idle chain thus grows by one empty block a minute (about 1.5 kB of saved state): a short `--block-time` as the
 * safety net (0.5 s) would add some 260 MB of empty blocks to the saved state per idle day.
 */
export const IDLE_BLOCK_SECONDS = 60;
/** See {@link IDLE_BLOCK_SECONDS}. */
export const STUCK_CHECK_INTERVAL_MS = 250;
/** Anvil's `--max-transactions`: far above any burst, so that the automine never livelocks (see above). */
export const AUTOMINE_SELECTION_LIMIT = 100_000;
/** Anvil's default block gas limit, as on the reference consortium chain. */
export const CHAIN_BLOCK_GAS_LIMIT = 30_000_000;
/**
 * Past states kept (in memory only, never on disk and never in the saved state): reads at the last 64 blocks work;
 * nothing in crossproof reads older state — the contracts answer past-time questions themselves (`statusAt`,
 * `isValidSigner(member, key, t)`, `agreementInForce`, `standingRecognition`, `stateAt`) and events carry the rest.
 */
export const STATE_HISTORY_BLOCKS = 64;

/** Least seconds between two periodic saves of the chain state (see {@link AnvilOptions.stateInterval}). */
export const DEFAULT_STATE_INTERVAL_SECONDS = 5;

export interface AnvilOptions {
  /** Port to listen on (127.0.0.1 only). */
  port: number;
  chainId?: number;
  /**
   * File the chain state is loaded from and saved to (by this launcher, atomically, keeping the previous save as
   * the last good copy; see `chain-state.ts`); absent = in memory only.
   */
  stateFile?: string;
  /**
   * Least seconds between two periodic saves; default {@link DEFAULT_STATE_INTERVAL_SECONDS}. A save happens only
   * when a block was mined since the last one, and a slow save spaces the next ones out (saving takes at most a tenth
   * of the time). Stopping always saves.
   */
  stateInterval?: number;
  /**
   * Mine a block every {@link IDLE_BLOCK_SECONDS} s besides the automine (default true). With it, Anvil 1.7.1 mines
   * every arriving transaction even after `evm_setAutomine(false)`; a test that must hold transactions in the pool
   * sets this to false.
   */
  idleBlocks?: boolean;
  /** More Anvil flags (the Besu parity profile's fee and size settings; test/helpers/rpc-guard.ts). */
  extraArgs?: readonly string[];
  /** Called with each line Anvil prints. */
  onOutput?: (line: string) => void;
  /** Called with what the launcher has to say: which saved state was loaded, a refused state, a failed save. */
  log?: (line: string) => void;
}

export interface RunningAnvil {
  url: string;
  process: ChildProcess;
  /** The last lines Anvil printed (to explain an unexpected exit). */
  lastOutput(): string[];
  /** The saved state the chain was loaded from; undefined for a new chain. */
  loadedFrom: string | undefined;
  /** Saves the state now if a block was mined since the last save; true when a file was written. */
  saveState(): Promise<boolean>;
  /** Saves the state (when there is a state file), then stops Anvil and waits for it to exit. */
  stop(): Promise<void>;
}

/** Why the chain did not start. */
export type ChainStartErrorCode = "STATE_REFUSED" | "STATE_IN_USE" | "CHAIN_EXITED" | "NO_ANSWER";

export class ChainStartError extends Error {
  override readonly name = "ChainStartError";
  constructor(
    readonly code: ChainStartErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Path of the Anvil binary shipped by the `@foundry-rs/anvil` npm package for this platform. */
export function anvilBinary(): string {
  const platforms: Record<string, Record<string, string>> = {
    linux: { x64: "linux-amd64", arm64: "linux-arm64" },
    darwin: { x64: "darwin-amd64", arm64: "darwin-arm64" },
    win32: { x64: "win32-amd64" },
  };
  const suffix = platforms[process.platform]?.[process.arch];
  if (suffix === undefined) throw new Error(`Anvil has no binary for ${process.platform}/${process.arch}`);
  const pkg = require.resolve(`@foundry-rs/anvil-${suffix}/package.json`);
  const bin = path.join(path.dirname(pkg), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(bin)) throw new Error(`Anvil binary missing at ${bin}: run npm install`);
  return bin;
}

/** Waits until a JSON-RPC endpoint answers `eth_chainId`. */
export async function waitForRpc(
  url: string,
  timeoutMs = 30_000,
  isAlive: () => boolean = () => true,
): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && isAlive()) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const body = (await res.json()) as { result?: string };
      if (body.result !== undefined) return BigInt(body.result);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no JSON-RPC answer at ${url}: ${String(lastError ?? "process exited")}`);
}

/** True when something already answers JSON-RPC at `url`. */
export async function rpcAnswers(url: string): Promise<boolean> {
  try {
    await waitForRpc(url, 500);
    return true;
  } catch {
    return false;
  }
}

/** One JSON-RPC call; throws the node's error message. */
export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [result] = await rpcBatch<[T]>(url, [[method, params]]);
  return result;
}

/** Several JSON-RPC calls in one HTTP request; results in order; throws the first error. */
export async function rpcBatch<T extends unknown[]>(url: string, calls: [string, unknown[]][]): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: "2.0", id, method, params }))),
  });
  const answers = (await res.json()) as { id: number; result?: unknown; error?: { message?: string } }[];
  return calls.map((call, id) => {
    const a = answers.find((x) => x.id === id);
    if (a === undefined || a.error !== undefined) {
      throw new Error(`${call[0]}: ${a?.error?.message ?? "no answer"}`);
    }
    return a.result;
  }) as T;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The file holding the process id of the Anvil that keeps `stateFile` (while it runs). */
export function anvilPidFile(stateFile: string): string {
  return path.join(path.dirname(stateFile), "anvil.pid");
}

/** The pid of a live Anvil recorded for `stateFile`, if any (a stale pid file names a dead or other process). */
export function anvilHolding(stateFile: string): number | undefined {
  const file = anvilPidFile(stateFile);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // Where the platform says what a process runs, make sure the pid was not reused by something else.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, "utf8").includes("anvil")) return undefined;
  return pid;
}

interface Launched {
  child: ChildProcess;
  recent: () => string[];
  exited: () => boolean;
  exit: Promise<void>;
}

/** Spawns Anvil and waits until it answers; if it exits first, throws with the last lines it printed. */
async function launch(args: string[], opts: AnvilOptions, url: string, timeoutMs: number): Promise<Launched> {
  // With a state file Anvil runs in its own process group: a Ctrl-C in the terminal reaches the launcher only, which
  // saves the state before it stops Anvil (Anvil itself would exit at once, before the last save).
  const child = spawn(anvilBinary(), args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.stateFile !== undefined && process.platform !== "win32",
  });
  let exited = false;
  // "close": the process exited and its output was read to the end (its last words included).
  const exit = new Promise<void>((resolve) => child.once("close", () => ((exited = true), resolve())));
  // The last lines of each stream: Anvil logs every call on stdout, its errors on stderr.
  const tails = { stdout: [] as string[], stderr: [] as string[] };
  const recent = () => (tails.stderr.length > 0 ? tails.stderr : tails.stdout);
  const lines = (stream: NodeJS.ReadableStream | null, tail: string[]) => {
    let partial = "";
    const emit = (line: string) => {
      if (line.trim() === "") return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      opts.onOutput?.(line);
    };
    stream?.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop()!;
      parts.forEach(emit);
    });
    stream?.on("end", () => emit(partial));
  };
  lines(child.stdout, tails.stdout);
  lines(child.stderr, tails.stderr);
  try {
    await waitForRpc(url, timeoutMs, () => !exited);
  } catch (err) {
    if (!exited) {
      child.kill("SIGKILL");
      throw new ChainStartError("NO_ANSWER", `${(err as Error).message}\n${recent().join("\n")}`);
    }
    await exit;
    throw new ChainStartError("CHAIN_EXITED", recent().join("\n") || `Anvil exited (code ${child.exitCode})`);
  }
  return { child, recent, exited: () => exited, exit };
}

/** Anvil's message when it refuses a `--load-state` file (it checks the file before it starts). */
function refusalOf(err: unknown): string | undefined {
  if (!(err instanceof ChainStartError) || err.code !== "CHAIN_EXITED") return undefined;
  const line = err.message.split("\n").find((l) => l.includes("--load-state"));
  return line?.trim();
}

/**
 * Starts Anvil from the npm package, on the consortium's hardfork, and waits until it answers.
 *
 * With a `stateFile`: loads the last save (or, when Anvil refuses it, the last good copy, saying why with Anvil's
 * own message), saves periodically and on {@link RunningAnvil.stop}; see `chain-state.ts`.
 */
export async function startAnvil(opts: AnvilOptions): Promise<RunningAnvil> {
  const log = opts.log ?? (() => {});
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(opts.port),
    "--chain-id",
    String(opts.chainId ?? 31337),
    "--hardfork",
    CHAIN_HARDFORK,
    "--mnemonic",
    ANVIL_MNEMONIC,
    "--accounts",
    "10",
    "--gas-limit",
    String(CHAIN_BLOCK_GAS_LIMIT),
    "--max-transactions",
    String(AUTOMINE_SELECTION_LIMIT),
    ...(opts.idleBlocks === false ? [] : ["--mixed-mining", "--block-time", String(IDLE_BLOCK_SECONDS)]),
    "--prune-history",
    String(STATE_HISTORY_BLOCKS),
    ...(opts.extraArgs ?? []),
  ];
  const url = `http://127.0.0.1:${opts.port}`;
  const files = opts.stateFile === undefined ? undefined : chainStateFiles(opts.stateFile);
  let launched: Launched | undefined;
  let loadedFrom: string | undefined;
  if (files === undefined) {
    launched = await launch(args, opts, url, 30_000);
  } else {
    mkdirSync(path.dirname(files.current), { recursive: true });
    const holder = anvilHolding(files.current);
    if (holder !== undefined) {
      throw new ChainStartError(
        "STATE_IN_USE",
        `another Anvil (pid ${holder}) runs on the chain state ${files.current}, perhaps left by an npm start that ` +
          `was killed: stop it (kill ${holder}; what it did since its last save is lost) or use another data folder`,
      );
    }
    if (removeInterruptedSave(files)) log(`removed ${files.temporary}, a save interrupted before it was complete`);
    const refusals: { file: string; message: string }[] = [];
    for (const candidate of savedStateCandidates(files)) {
      try {
        launched = await launch([...args, "--load-state", candidate], opts, url, 120_000);
        loadedFrom = candidate;
        break;
      } catch (err) {
        const message = refusalOf(err);
        if (message === undefined) throw err;
        refusals.push({ file: candidate, message });
      }
    }
    if (launched === undefined && refusals.length > 0) {
      throw new ChainStartError(
        "STATE_REFUSED",
        `the chain refused every saved state in ${path.dirname(files.current)}:\n` +
          refusals.map((r) => `  ${path.basename(r.file)}: ${r.message}\n`).join("") +
          "To start a new, empty chain instead, move these files aside (the contracts are then deployed anew, " +
          `with a new consortium id): mkdir -p ${path.dirname(files.current)}/refused && ` +
          `mv ${refusals.map((r) => r.file).join(" ")} ${path.dirname(files.current)}/refused/`,
      );
    }
    for (const r of refusals) {
      const keptAs = refusedStatePath(r.file);
      renameSync(r.file, keptAs);
      log(`the chain refused its saved state ${r.file}:`);
      log(`  ${r.message}`);
      log(`  kept aside as ${keptAs}`);
    }
    if (loadedFrom !== undefined && refusals.length > 0) {
      log(`using the last good copy ${loadedFrom} (${describeSavedState(loadedFrom)}) instead`);
    }
    launched ??= await launch(args, opts, url, 30_000);
  }
  const { child, recent, exited, exit } = launched;
  // If this process ends without stop() (an uncaught error), do not leave a detached Anvil behind.
  const killOnExit = () => {
    if (!exited()) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);

  const keeper = startMiningKeeper(url, opts.idleBlocks !== false);
  let stopping = false;

  // A save is written only when the latest block changed (what is on disk is the loaded state until then). Saves
  // are serialised: the final one waits for a periodic one in flight.
  const latestBlockHash = async () =>
    (await rpcCall<{ hash: string }>(url, "eth_getBlockByNumber", ["latest", false])).hash;
  let lastSavedBlock = "";
  try {
    if (files !== undefined && child.pid !== undefined) writeFileSync(anvilPidFile(files.current), `${child.pid}\n`);
    if (loadedFrom !== undefined) await carryClockOn(url);
    // After falling back to the last good copy, the next save writes a current file again even without a new block.
    if (files !== undefined && loadedFrom === files.current) lastSavedBlock = await latestBlockHash();
  } catch (err) {
    await keeper.stop();
    child.kill("SIGKILL");
    process.off("exit", killOnExit);
    throw err;
  }
  let saving: Promise<boolean> = Promise.resolve(false);
  const saveState = (): Promise<boolean> => {
    if (files === undefined) return Promise.resolve(false);
    saving = saving
      .catch(() => false)
      .then(async () => {
        const latest = await latestBlockHash();
        if (latest === lastSavedBlock) return false;
        writeStateAtomically(files, await dumpChainState(url));
        lastSavedBlock = latest;
        return true;
      });
    return saving;
  };
  let saveTimer: NodeJS.Timeout | undefined;
  const intervalMs = (opts.stateInterval ?? DEFAULT_STATE_INTERVAL_SECONDS) * 1000;
  const scheduleSave = (delayMs: number) => {
    saveTimer = setTimeout(async () => {
      const started = performance.now();
      try {
        await saveState();
      } catch (err) {
        if (!stopping) log(`saving the chain state failed (the last save is kept): ${(err as Error).message}`);
      }
      if (!stopping) scheduleSave(Math.max(intervalMs, 10 * (performance.now() - started)));
    }, delayMs);
    saveTimer.unref();
  };
  if (files !== undefined) scheduleSave(intervalMs);

  let stopped: Promise<void> | undefined;
  return {
    url,
    process: child,
    lastOutput: () => [...recent()],
    loadedFrom,
    saveState,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearTimeout(saveTimer);
        await keeper.stop();
        if (files !== undefined && !exited()) {
          try {
            await saveState();
          } catch (err) {
            log(`the final save failed (the last save is kept): ${(err as Error).message}`);
          }
        }
        if (!exited()) {
          // Anvil saves nothing itself: once the final save is written, it may be stopped, or killed if it hangs.
          child.kill("SIGINT");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exit;
          clearTimeout(timer);
        }
        process.off("exit", killOnExit);
        if (files !== undefined) rmSync(anvilPidFile(files.current), { force: true });
      })();
      return stopped;
    },
  };
}

/**
 * Drains the pool when ready transactions waited a whole check without a block (see {@link IDLE_BLOCK_SECONDS}):
 * mines blocks one by one while each takes some of them. Ready transactions a block does not take (none are known)
 * are tried again only once the pool changes or a minute has passed, so they cannot make it mine empty blocks.
 */
function startMiningKeeper(url: string, mixedMining: boolean): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let previous: { block: number; pending: number } | undefined;
  let futile: { pending: number; until: number } | undefined;
  const status = async () => {
    const [pool, block, automine] = await rpcBatch<[{ pending: string }, string, boolean]>(url, [
      ["txpool_status", []],
      ["eth_blockNumber", []],
      ["anvil_getAutomine", []],
    ]);
    // Only the automine is rescued. Under mixed mining Anvil reports its automine as off and mines each arrival
    // anyway; without it, a chain whose automine was switched off (evm_setAutomine(false)) mines only when asked.
    return { block: Number(block), pending: mixedMining || automine ? Number(pool.pending) : 0 };
  };
  const check = async () => {
    try {
      let now = await status();
      const waited = previous !== undefined && previous.pending > 0 && now.block === previous.block;
      const hopeless = futile !== undefined && futile.pending === now.pending && Date.now() < futile.until;
      if (waited && now.pending > 0 && !hopeless) {
        futile = undefined;
        while (now.pending > 0 && !stopped) {
          await rpcCall(url, "evm_mine");
          const after = await status();
          if (after.pending >= now.pending) {
            futile = { pending: after.pending, until: Date.now() + IDLE_BLOCK_SECONDS * 1000 };
            now = after;
            break;
          }
          now = after;
        }
      }
      previous = now;
    } catch {
      previous = undefined; // the chain is starting or stopping; try again at the next check
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = check().then(() => {
        if (!stopped) schedule();
      });
    }, STUCK_CHECK_INTERVAL_MS);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Anvil keeps no clock offset in its saved state: a chain whose clock was moved forward (`evm_increaseTime`, as
 * `npm run demo` does to let an assistance request go overdue) would, once loaded again, mine its next block at the
 * wall clock's time, earlier than its last block — chain time would run backwards. So a loaded chain whose last block
 * is ahead of the wall clock goes on from that block's time (`evm_setTime`).
 */
async function carryClockOn(url: string): Promise<void> {
  const latest = await rpcCall<{ timestamp: string }>(url, "eth_getBlockByNumber", ["latest", false]);
  const last = Number(BigInt(latest.timestamp));
  if (last >= Math.floor(Date.now() / 1000)) await rpcCall(url, "evm_setTime", [last + 1]);
}

/** A provider for a local chain that polls fast. */
export function localProvider(url: string): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 100;
  return provider;
}

/** Anvil development account `index` (demo keys only: they are public). */
export function devAccount(index: number, provider: Provider): Wallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${index}`);
  return w.connect(provider) as unknown as Wallet;
}

/**
 * How many accounts of {@link ANVIL_MNEMONIC} the demo may use as keys. Anvil funds the first ten; the others (the
 * demo consortium's members 6 to 9, the demo's rights holders) need no funds: their requests are relayed.
 */
export const DEV_ACCOUNT_COUNT = 20;

/** The development account whose address is `address`, among the first {@link DEV_ACCOUNT_COUNT}. */
export function devAccountFor(address: string, provider: Provider): Wallet | undefined {
  for (let i = 0; i < DEV_ACCOUNT_COUNT; ++i) {
    const w = devAccount(i, provider);
    if (w.address.toLowerCase() === address.toLowerCase()) return w;
  }
  return undefined;
}

/**
 * The chain id of a local chain kept in `dataDir`: derived once from the folder's absolute path and the founding
 * configuration's hash, then kept in `chain/chain-id`, so two local chains (two data folders, two configurations)
 * never share a chain id — and never accept each other's signed requests.
 */
export function localChainId(dataDir: string, configHash: string): number {
  const file = path.join(dataDir, "chain", "chain-id");
  if (existsSync(file)) {
    const kept = Number(readFileSync(file, "utf8").trim());
    if (Number.isSafeInteger(kept) && kept > 0) return kept;
  }
  const digest = createHash("sha256")
    .update(`${path.resolve(dataDir)}\n${configHash}`)
    .digest();
  // 1,000,000 … 2,000,999,999: clear of the public networks' small ids and of Anvil's and Hardhat's 31337.
  const id = 1_000_000 + (digest.readUInt32BE(0) % 2_000_000_000);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${id}\n`);
  return id;
}
