import type { Interface } from "ethers";
import { CrossproofError } from "./errors";

/** Finds revert data in an ethers error (call exceptions nest it in several places). */
function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    for (const k of ["error", "info", "cause", "data"]) stack.push((e as Record<string, unknown>)[k]);
  }
  return undefined;
}

/**
 * Turns a contract revert into a `CONTRACT_REVERTED` error naming the custom error and its arguments
 * (`details.error`, `details.args`), so that callers and the gateway can switch on it; other failures become
 * `CHAIN_ERROR`.
 */
export function toCrossproofError(err: unknown, interfaces: readonly Interface[], action: string): CrossproofError {
  if (err instanceof CrossproofError) return err;
  const data = revertData(err);
  if (data !== undefined) {
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed !== null) {
          const args = parsed.args.toArray().map((a: unknown) => (typeof a === "bigint" ? a.toString() : a));
          return new CrossproofError("CONTRACT_REVERTED", `${action} refused: ${parsed.name}(${args.join(", ")})`, {
            cause: err,
            details: { error: parsed.name, args },
          });
        }
      } catch {
        // not this interface's error
      }
    }
    return new CrossproofError("CONTRACT_REVERTED", `${action} reverted (${data.slice(0, 10)})`, {
      cause: err,
      details: { error: "unknown", data },
    });
  }
  return new CrossproofError("CHAIN_ERROR", `${action} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
