import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { createHash } from "node:crypto";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Provider, type Wallet } from "ethers";

/** Anvil's well-known development mnemonic: its keys are public, never use them outside a local chain. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";
/** Account 0 of {@link ANVIL_MNEMONIC}: the local deployer. */
export const ANVIL_DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** The hardfork the reference consortium chain (Hyperledger Besu, QBFT) runs; hardhat.config.ts uses the same. */
export const CHAIN_HARDFORK = "cancun";

export interface AnvilOptions {
  /** Port to listen on (127.0.0.1 only). */
  port: number;
  chainId?: number;
  /** File the chain state is loaded from and saved to; absent = in memory only. */
  stateFile?: string;
  /** Seconds between periodic state dumps (so a crash loses little); default 5. */
  stateInterval?: number;
  /** Called with each line Anvil prints. */
  onOutput?: (line: string) => void;
}

export interface RunningAnvil {
  url: string;
  process: ChildProcess;
  /** Stops Anvil (it saves its state first) and waits for it to exit. */
  stop(): Promise<void>;
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

/** Starts Anvil from the npm package, on the consortium's hardfork, and waits until it answers. */
export async function startAnvil(opts: AnvilOptions): Promise<RunningAnvil> {
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
  ];
  if (opts.stateFile !== undefined) {
    mkdirSync(path.dirname(opts.stateFile), { recursive: true });
    args.push("--state", opts.stateFile, "--state-interval", String(opts.stateInterval ?? 5));
    args.push("--preserve-historical-states");
  }
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") opts.onOutput?.(line);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitForRpc(url, 30_000, () => !exited);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    process: child,
    async stop() {
      if (exited) return;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
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

/** The development account whose address is `address`, among the ten Anvil creates. */
export function devAccountFor(address: string, provider: Provider): Wallet | undefined {
  for (let i = 0; i < 10; ++i) {
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
