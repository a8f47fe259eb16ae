import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

/**
 * Writes `package.json` and `package-lock.json` for a project in `dir` that depends on one packed tarball, with the
 * tarball's dependency tree taken from this repository's lock file: `npm ci --offline` then installs it from the npm
 * cache that this repository's own install filled (no registry metadata needed, only the tarballs it cached).
 */
export function writeOfflineProject(p: {
  dir: string;
  tarball: string;
  rootLock: string;
  name: string;
  /** Packages of the tarball's tree the project also depends on directly (e.g. ethers), at their locked version. */
  alsoDependOn?: readonly string[];
  /** The npm registry's URL, ending in `/` (`npm config get registry`). */
  registry: string;
}): void {
  const lock = JSON.parse(readFileSync(p.rootLock, "utf8")) as { packages: Record<string, LockEntry> };
  const pkgJson = JSON.parse(readFileSync(path.join(path.dirname(p.rootLock), "sdk", "package.json"), "utf8")) as {
    name: string;
    version: string;
    license?: string;
    engines?: Record<string, string>;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const packages: Record<string, LockEntry> = {};
  // Resolves a dependency the way Node does: the nearest node_modules up from the package that requires it.
  const resolve = (from: string, dep: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = `${base === "" ? "" : `${base}/`}node_modules/${dep}`;
      if (lock.packages[candidate] !== undefined) return candidate;
      if (base === "") return undefined;
      const i = base.lastIndexOf("/node_modules/");
      base = i < 0 ? "" : base.slice(0, i);
    }
  };
  const visit = (from: string, deps: Record<string, string> | undefined, optional: boolean) => {
    for (const dep of Object.keys(deps ?? {})) {
      const at = resolve(from, dep);
      if (at === undefined) {
        if (optional) continue;
        throw new Error(`${dep} (needed by ${from || "the SDK"}) is not in the lock file`);
      }
      if (packages[at] !== undefined) continue;
      const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[at]!;
      // This repository's lock file records no download addresses (npm omits them for the default registry): name
      // the tarball, so that `npm ci --offline` finds it in the cache by its integrity, without registry metadata.
      if (entry.resolved === undefined && entry.version !== undefined) {
        const name = at.slice(at.lastIndexOf("node_modules/") + "node_modules/".length);
        entry.resolved = `${p.registry}${name}/-/${name.split("/").pop()!}-${entry.version}.tgz`;
      }
      packages[at] = entry;
      visit(at, entry.dependencies, false);
      visit(at, entry.optionalDependencies, true);
      const peerMeta = entry.peerDependenciesMeta ?? {};
      visit(
        at,
        Object.fromEntries(
          Object.entries(entry.peerDependencies ?? {}).filter(([d]) => peerMeta[d]?.optional !== true),
        ),
        false,
      );
    }
  };
  visit("", pkgJson.dependencies, false);
  visit("", pkgJson.optionalDependencies, true);
  const tarball = path.basename(p.tarball);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(p.tarball)).digest("base64")}`;
  const dependency: Record<string, string> = { [pkgJson.name]: `file:${tarball}` };
  for (const name of p.alsoDependOn ?? []) {
    const entry = packages[`node_modules/${name}`];
    if (entry?.version === undefined) throw new Error(`${name} is not in the SDK's dependency tree`);
    dependency[name] = entry.version;
  }
  packages[`node_modules/${pkgJson.name}`] = {
    version: pkgJson.version,
    resolved: `file:${tarball}`,
    integrity,
    ...(pkgJson.license === undefined ? {} : { license: pkgJson.license }),
    ...(pkgJson.dependencies === undefined ? {} : { dependencies: pkgJson.dependencies }),
    ...(pkgJson.optionalDependencies === undefined ? {} : { optionalDependencies: pkgJson.optionalDependencies }),
    ...(pkgJson.engines === undefined ? {} : { engines: pkgJson.engines }),
  };
  writeFileSync(
    path.join(p.dir, "package.json"),
    JSON.stringify(
      {
        name: p.name,
        version: "1.0.0",
        private: true,
        dependencies: dependency,
        // The SDK's native helpers (Keccak, secp256k1) ship prebuilt binaries; their install scripts only find them.
        allowScripts: { keccak: true, secp256k1: true },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    path.join(p.dir, "package-lock.json"),
    JSON.stringify(
      {
        name: p.name,
        version: "1.0.0",
        lockfileVersion: 3,
        requires: true,
        packages: { "": { name: p.name, version: "1.0.0", dependencies: dependency }, ...packages },
      },
      null,
      2,
    ),
  );
}
