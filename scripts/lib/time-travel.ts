/**
 * Moving a chain's clock forward, for the demo's overdue assistance request: on a local development chain only.
 *
 * Chain time is what every deadline, validity window and retention in crossproof is judged on, for every member of the
 * consortium: moving it on a shared network would make every open request of every member late. So this refuses
 * anything but a development node (Anvil, Hardhat) listening on this machine's loopback interface, before it sends
 * anything that changes the chain.
 */
import { rpcCall } from "./anvil";

/** Why time was not moved. */
export class TimeTravelRefusedError extends Error {
  override readonly name = "TimeTravelRefusedError";
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const DEVELOPMENT_NODES = /^(anvil|hardhatnetwork)\//i;

/** Sends one JSON-RPC call to the node (default: straight to its URL). */
export type RpcSend = (method: string, params: unknown[]) => Promise<unknown>;

/**
 * Checks that `rpcUrl` is a development chain on this machine: a loopback address and a node that says it is Anvil or
 * Hardhat (`web3_clientVersion`). Throws {@link TimeTravelRefusedError} otherwise; returns the node's version.
 */
export async function assertLocalDevelopmentChain(
  rpcUrl: string,
  send: RpcSend = (method, params) => rpcCall(rpcUrl, method, params),
): Promise<string> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new TimeTravelRefusedError(`not a JSON-RPC URL: ${rpcUrl}`);
  }
  if (!LOOPBACK.has(url.hostname)) {
    throw new TimeTravelRefusedError(
      `refusing to move the clock of the chain at ${rpcUrl}: only a development chain on this machine (127.0.0.1) ` +
        "may be time-travelled, never a shared network",
    );
  }
  const version = await send("web3_clientVersion", []);
  if (typeof version !== "string" || !DEVELOPMENT_NODES.test(version)) {
    throw new TimeTravelRefusedError(
      `refusing to move the clock of the chain at ${rpcUrl}: it is ${String(version)}, not a development node ` +
        "(Anvil or Hardhat)",
    );
  }
  return version;
}

/**
 * Moves the clock of a local development chain forward by `seconds` (`evm_increaseTime`) and mines a block
 * (`evm_mine`), after {@link assertLocalDevelopmentChain}. Returns the new block's time (unix seconds). Give `send`
 * through the provider the caller reads chain time with (`provider.send`): the SDK's provider then reads its chain
 * clock again rather than answering from the reading it had.
 */
export async function advanceLocalChainTime(
  rpcUrl: string,
  seconds: number,
  send: RpcSend = (method, params) => rpcCall(rpcUrl, method, params),
): Promise<number> {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
  }
  await assertLocalDevelopmentChain(rpcUrl, send);
  await send("evm_increaseTime", [seconds]);
  await send("evm_mine", []);
  const block = (await send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return Number(BigInt(block.timestamp));
}
