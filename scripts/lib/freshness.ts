/**
 * Whether the compiled contracts (artifacts/ and sdk/src/typechain/) are current, decided without loading Hardhat:
 * from Hardhat's own record of the last compilation (`cache/solidity-files-cache.json`, which lists every source it
 * compiled — ours and the OpenZeppelin files they import — with the MD5 of its content and the artifacts it produced).
 *
 * Current means: every `.sol` under `contracts/` was compiled, no compiled source changed or disappeared, every
 * artifact is there, the compiler is still the pinned `solc` package's, `hardhat.config.ts` is older than that
 * compilation, and the typechain bindings exist. Anything else: compile (Hardhat then decides what to rebuild).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export interface Freshness {
  current: boolean;
  /** Why not (the first reason found). */
  reason?: string;
  /** Nothing compiled is usable at all (no bindings): typechain must be generated from scratch. */
  bindingsMissing?: boolean;
}

interface CacheEntry {
  contentHash: string;
  sourceName: string;
  solcConfig: { version: string };
  artifacts: string[];
}

function solFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? solFiles(p) : e.name.endsWith(".sol") ? [p] : [];
  });
}

/** Hardhat's content hash of a source: MD5 of its text. */
function contentHash(file: string): string {
  return createHash("md5")
    .update(Buffer.from(readFileSync(file, "utf8")))
    .digest("hex");
}

/** Whether `root`'s compiled contracts are current (see the module comment). */
export function compiledContractsFreshness(root: string): Freshness {
  const stale = (reason: string): Freshness => ({ current: false, reason });
  const cacheFile = path.join(root, "cache", "solidity-files-cache.json");
  if (!existsSync(path.join(root, "sdk", "src", "typechain", "index.ts"))) {
    return { current: false, reason: "no typechain bindings", bindingsMissing: true };
  }
  if (!existsSync(cacheFile)) return stale("never compiled");
  let files: Record<string, CacheEntry>;
  try {
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as {
      _format?: string;
      files?: Record<string, CacheEntry>;
    };
    if (cache._format !== "hh-sol-cache-2" || cache.files === undefined) return stale("unknown compilation cache");
    files = cache.files;
  } catch {
    return stale("unreadable compilation cache");
  }
  const compiledAt = statSync(cacheFile).mtimeMs;
  if (statSync(path.join(root, "hardhat.config.ts")).mtimeMs > compiledAt) return stale("hardhat.config.ts changed");
  for (const source of solFiles(path.join(root, "contracts"))) {
    if (files[source] === undefined) return stale(`${path.relative(root, source)} not compiled yet`);
  }
  const solcVersion = (JSON.parse(readFileSync(require.resolve("solc/package.json"), "utf8")) as { version: string })
    .version;
  for (const [file, entry] of Object.entries(files)) {
    if (!existsSync(file)) return stale(`${entry.sourceName} removed`);
    if (contentHash(file) !== entry.contentHash) return stale(`${entry.sourceName} changed`);
    if (entry.solcConfig.version !== solcVersion)
      return stale(`compiler ${solcVersion} instead of ${entry.solcConfig.version}`);
    for (const name of entry.artifacts) {
      if (!existsSync(path.join(root, "artifacts", entry.sourceName, `${name}.json`))) {
        return stale(`artifact ${entry.sourceName}:${name} missing`);
      }
    }
  }
  return { current: true };
}
