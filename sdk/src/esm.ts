/**
 * ESM-only dependencies whose package `exports` offer no condition that `require()` can load (Node 20 `require(esm)`
 * follows "require"/"module-sync"/"default", and these packages declare only "import", or point "module-sync" at a
 * file they do not ship). They are loaded once with a real dynamic `import()`.
 */
import type * as DagPbModule from "@ipld/dag-pb";
import type * as FsBlockstoreModule from "blockstore-fs";

type Canonicalize = (value: unknown) => string | undefined;

let canonicalizeModule: Promise<Canonicalize> | undefined;
let fsBlockstoreModule: Promise<typeof FsBlockstoreModule> | undefined;
let dagPbModule: Promise<typeof DagPbModule> | undefined;

/** RFC 8785 JSON Canonicalization Scheme (the `canonicalize` package, by one of the RFC's authors). */
export function loadCanonicalize(): Promise<Canonicalize> {
  canonicalizeModule ??= import("canonicalize").then((m) => m.default as unknown as Canonicalize);
  return canonicalizeModule;
}

/** `blockstore-fs`: one file per block on disk. */
export function loadFsBlockstore(): Promise<typeof FsBlockstoreModule> {
  fsBlockstoreModule ??= import("blockstore-fs");
  return fsBlockstoreModule;
}

/** `@ipld/dag-pb`: the codec of UnixFS directory and file nodes (declares only an "import" condition). */
export function loadDagPb(): Promise<typeof DagPbModule> {
  dagPbModule ??= import("@ipld/dag-pb");
  return dagPbModule;
}
