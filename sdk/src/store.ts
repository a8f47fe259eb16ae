import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { FsBlockstore } from "blockstore-fs";
import { BlackHoleBlockstore } from "blockstore-core/black-hole";
import { importer, type ImportCandidate, type ImporterOptions } from "ipfs-unixfs-importer";
import { exporter } from "ipfs-unixfs-exporter";
import { UnixFS } from "ipfs-unixfs";
import { create as createKuboClient, type KuboRPCClient } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { CrossproofError } from "./errors";
import { loadDagPb, loadFsBlockstore } from "./esm";

/** Bytes to store: a buffer, or a stream of chunks (consumed once, in constant memory). */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** One file of a directory to store, at a relative path such as `files/0`. */
export interface DirectoryEntry {
  path: string;
  content: ByteSource;
}

/** An entry of a directory stored with {@link ContentStore.linkDirectory}: a name, and content already in the store. */
export interface DirectoryLink {
  /** One path segment (`envelope.jwe.json`, `files`). */
  name: string;
  /** A file or a directory the store holds. */
  cid: string;
}

/**
 * A content-addressed store: `put` returns the CID, `get` streams the bytes back. Two implementations give the
 * same CIDs for the same bytes: {@link EmbeddedContentStore} (on disk) and {@link KuboContentStore} (a Kubo node).
 */
export interface ContentStore {
  readonly kind: "embedded" | "kubo";
  /** Stores one file; returns its CID (CIDv1, base32). */
  put(content: ByteSource): Promise<string>;
  /** Stores files under one directory; returns the directory's CID. */
  putDirectory(entries: readonly DirectoryEntry[]): Promise<string>;
  /** Streams a file by CID, or by `CID/path/inside/a/directory`. */
  get(cidPath: string): AsyncIterable<Uint8Array>;
  /** Reads a (small) file into memory, refusing more than `maxBytes`. */
  getBytes(cidPath: string, maxBytes?: number): Promise<Uint8Array>;
  /** Whether the store holds the root block of `cid`. */
  has(cid: string): Promise<boolean>;
  /** The CID of the file or directory at `CID/path/inside/a/directory` (a bare CID: itself, as CIDv1). */
  resolve(cidPath: string): Promise<string>;
  /**
   * Stores a directory (one level) whose entries are content the store already holds, linked by CID: nothing is
   * re-imported or re-sent, only the directory's own node is written. The node is the one {@link putDirectory}
   * builds (UnixFS directory, dag-pb, CIDv1, links sorted by name, each with its DAG's total size), so the CID is
   * the one importing the whole tree again would give. Used to re-wrap a package's envelope without touching its
   * files.
   */
  linkDirectory(links: readonly DirectoryLink[]): Promise<string>;
  /**
   * Every block of the DAG under `cid` (a file or a directory), each once, the root first, as CIDv1 strings: the
   * dag-pb nodes are read and their links followed; raw leaves are named without being read (a missing leaf is not
   * noticed; a missing node is `CONTENT_NOT_FOUND`). A package re-wrapped for a new recipient shares its `files`
   * blocks with the package it came from: the blocks of both roots say which are shared.
   */
  blocksOf(cid: string): Promise<string[]>;
  /**
   * Removes blocks, named by CID (stores key blocks by their multihash: the CID's codec does not matter). Only blocks:
   * whatever still links to them is not looked at, so the caller decides what no kept DAG needs (see the gateway's
   * retention). Blocks already absent count as removed. Kubo first unpins the CIDs named that are pinned roots, and
   * refuses a block still pinned under another root: it is `retained`, with Kubo's reason.
   */
  deleteBlocks(cids: readonly string[]): Promise<DeletedBlocks>;
  close(): Promise<void>;
}

/** What {@link ContentStore.deleteBlocks} did. */
export interface DeletedBlocks {
  /** Blocks removed (or already absent). */
  removed: number;
  /** Blocks the store kept, with its reason (Kubo: pinned under a root nobody asked to remove). */
  retained: { cid: string; reason: string }[];
}

/**
 * The import recipe: IPIP-499 profile `unixfs-v1-2025` — CIDv1, raw leaves, SHA-256, 1 MiB chunks, balanced DAG
 * of at most 1024 links, HAMT directories above 256 KiB. A Kubo node yields the same CIDs once its import
 * profile is set (`ipfs config profile apply unixfs-v1-2025`), and {@link KuboContentStore} passes the same
 * parameters with every `add`.
 */
export const IMPORT_PROFILE = "unixfs-v1-2025" as const;
const IMPORT_OPTIONS: ImporterOptions = { profile: IMPORT_PROFILE, cidVersion: 1, rawLeaves: true };
const KUBO_ADD_OPTIONS = { cidVersion: 1, rawLeaves: true, chunker: "size-1048576", hashAlg: "sha2-256" } as const;
/** The profile's chunk size: the importer cuts files into blocks of this many bytes. */
export const IMPORT_CHUNK_SIZE = 1024 * 1024;

/**
 * Regroups a stream into pieces of exactly `size` bytes (the last one shorter), as the importer's chunker will cut
 * it anyway: the CIDs do not change, and the importer handles one piece per block instead of many small ones (an
 * age stream comes in 64 KiB pieces, which cost the importer several times the CPU). Pieces that are already whole
 * blocks pass through uncopied; the others are copied once into a fresh buffer per block, which the importer keeps.
 */
export async function* coalesceChunks(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  size = IMPORT_CHUNK_SIZE,
): AsyncGenerator<Uint8Array> {
  let block: Buffer | undefined;
  let filled = 0;
  for await (const piece of source) {
    let rest = piece;
    while (rest.byteLength > 0) {
      if (filled === 0 && rest.byteLength >= size) {
        yield rest.subarray(0, size);
        rest = rest.subarray(size);
        continue;
      }
      block ??= Buffer.allocUnsafe(size);
      const n = Math.min(size - filled, rest.byteLength);
      block.set(rest.subarray(0, n), filled);
      filled += n;
      rest = rest.subarray(n);
      if (filled === size) {
        yield block;
        block = undefined;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block!.subarray(0, filled);
}

/** What the importer is given for `content`: bytes as they are, streams in whole blocks. */
function importContent(content: ByteSource): ByteSource {
  return content instanceof Uint8Array ? content : coalesceChunks(content);
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

function checkRelativePath(p: string): void {
  if (p === "" || p.startsWith("/") || p.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a relative path inside a directory: ${JSON.stringify(p)}`);
  }
}

function parseCidPath(cidPath: string): { cid: CID; rest: string } {
  const stripped = cidPath.replace(/^\/ipfs\//, "");
  const [head, ...rest] = stripped.split("/");
  try {
    return { cid: CID.parse(head!), rest: rest.join("/") };
  } catch (cause) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a CID: ${head}`, { cause });
  }
}

async function collect(source: AsyncIterable<Uint8Array>, maxBytes: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of source) {
    total += c.byteLength;
    if (total > maxBytes) throw new CrossproofError("CONTENT_STORE_ERROR", `${what} is larger than ${maxBytes} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

async function lastCid(source: AsyncIterable<{ cid: CID; path?: string }>, rootPath?: string): Promise<string> {
  let root: CID | undefined;
  for await (const entry of source) {
    if (rootPath === undefined || entry.path === rootPath) root = entry.cid;
  }
  if (root === undefined) throw new CrossproofError("CONTENT_STORE_ERROR", "the importer produced no root");
  return root.toString();
}

/** The CID that {@link ContentStore.put} would return for `content`, without storing anything. */
export async function computeCid(content: ByteSource): Promise<string> {
  return lastCid(importer([{ content: importContent(content) }], new BlackHoleBlockstore(), IMPORT_OPTIONS));
}

/** The CID that {@link ContentStore.putDirectory} would return, without storing anything. */
export async function computeDirectoryCid(entries: readonly DirectoryEntry[]): Promise<string> {
  return lastCid(importDirectory(entries, new BlackHoleBlockstore()), "");
}

function importDirectory(entries: readonly DirectoryEntry[], blockstore: Parameters<typeof importer>[1]) {
  entries.forEach((e) => checkRelativePath(e.path));
  const candidates: ImportCandidate[] = entries.map((e) => ({ path: e.path, content: importContent(e.content) }));
  return importer(candidates, blockstore, {
    ...IMPORT_OPTIONS,
    wrapWithDirectory: true,
  });
}

/** The importer's limit of a basic (unsharded) directory node: above it, the importer builds a HAMT. */
const SHARD_SPLIT_THRESHOLD_BYTES = 256 * 1024;
const RAW_CODE = 0x55;

function linkCid(link: DirectoryLink): CID {
  if (link.name === "" || link.name.includes("/") || link.name === "." || link.name === "..") {
    throw new CrossproofError("INVALID_ARGUMENT", `not a name inside a directory: ${JSON.stringify(link.name)}`);
  }
  return parseCidPath(link.cid).cid;
}

/**
 * The dag-pb node of a directory linking content already stored, as the importer builds it (`dir-flat`): UnixFS
 * `directory` data without mode or mtime, links sorted by name (`prepare`), each link's `Tsize` the total size of
 * the DAG below it (a raw block: its length; a dag-pb node: its length plus its links' `Tsize`).
 */
async function directoryNode(
  links: readonly DirectoryLink[],
  blockOf: (cid: CID) => Promise<Uint8Array>,
): Promise<{ cid: CID; bytes: Uint8Array }> {
  if (links.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "a directory needs at least one entry");
  if (new Set(links.map((l) => l.name)).size !== links.length) {
    throw new CrossproofError("INVALID_ARGUMENT", "directory entry names must be distinct");
  }
  const dagPb = await loadDagPb();
  const pbLinks = await Promise.all(
    links.map(async (l) => {
      const hash = linkCid(l);
      const block = await blockOf(hash);
      let tsize: number;
      if (hash.code === RAW_CODE) tsize = block.byteLength;
      else if (hash.code === dagPb.code) {
        tsize = dagPb.decode(block).Links.reduce((sum, x) => sum + (x.Tsize ?? 0), block.byteLength);
      } else {
        throw new CrossproofError("INVALID_ARGUMENT", `${l.cid} is neither a UnixFS file nor a directory`);
      }
      return { Name: l.name, Hash: hash, Tsize: tsize };
    }),
  );
  const bytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: "directory" }).marshal(), Links: pbLinks }));
  if (bytes.byteLength > SHARD_SPLIT_THRESHOLD_BYTES) {
    throw new CrossproofError(
      "INVALID_ARGUMENT",
      "too many entries for a basic directory node (the importer would shard it)",
    );
  }
  return { cid: CID.createV1(dagPb.code, await sha256.digest(bytes)), bytes };
}

const IDENTITY_MULTIHASH = 0x00;
const keyOfBlock = (cid: CID) => Buffer.from(cid.multihash.bytes).toString("base64");

/**
 * The blocks of the DAG under `root`, each once (by multihash), the root first (see {@link ContentStore.blocksOf}).
 * Identity CIDs hold their bytes in the CID: no block.
 */
async function walkBlocks(root: CID, nodeOf: (cid: CID) => Promise<Uint8Array>): Promise<string[]> {
  const dagPb = await loadDagPb();
  const seen = new Set<string>();
  const out: string[] = [];
  const pending: CID[] = [root];
  for (let cid = pending.pop(); cid !== undefined; cid = pending.pop()) {
    if (cid.multihash.code === IDENTITY_MULTIHASH) continue;
    const key = keyOfBlock(cid);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(cid.toV1().toString());
    if (cid.code === RAW_CODE) continue;
    if (cid.code !== dagPb.code) {
      throw new CrossproofError("INVALID_ARGUMENT", `${cid} is neither a UnixFS file nor a directory block`);
    }
    const links = dagPb.decode(await nodeOf(cid)).Links;
    for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]!.Hash);
  }
  return out;
}

/** The distinct CIDs named, parsed; `INVALID_ARGUMENT` for one that is not a CID. */
function blockCids(cids: readonly string[]): CID[] {
  const byKey = new Map<string, CID>();
  for (const c of cids) {
    const cid = parseCidPath(c).cid;
    if (cid.multihash.code !== IDENTITY_MULTIHASH) byKey.set(keyOfBlock(cid), cid);
  }
  return [...byKey.values()];
}

/**
 * The embedded store: UnixFS blocks in a folder on disk (one file per block), imported with the same recipe as
 * Kubo so that the CIDs agree. For one machine; production uses {@link KuboContentStore}.
 * @example
 * const store = await EmbeddedContentStore.open(".crossproof/content");
 * const cid = await store.put(fs.createReadStream("capture.mp4"));
 */
export class EmbeddedContentStore implements ContentStore {
  readonly kind = "embedded" as const;

  /**
   * Blocks written by imports still running, by multihash: the import that created each (it was not in the store
   * before). A block another import also writes is dropped from here: it is no longer one import's to undo.
   */
  private readonly created = new Map<string, symbol>();

  private constructor(private readonly blockstore: FsBlockstore) {}

  static async open(directory: string): Promise<EmbeddedContentStore> {
    const dir = path.resolve(directory);
    try {
      mkdirSync(dir, { recursive: true });
      const { FsBlockstore } = await loadFsBlockstore();
      const blockstore = new FsBlockstore(dir);
      await blockstore.open();
      return new EmbeddedContentStore(blockstore);
    } catch (cause) {
      throw new CrossproofError("CONTENT_STORE_ERROR", `cannot open the content store at ${dir}`, { cause });
    }
  }

  /** All or nothing: an import that fails (the disk full, the source unreadable) leaves none of the blocks it created. */
  async put(content: ByteSource): Promise<string> {
    return this.wrap("put", () =>
      this.importing((blocks) => lastCid(importer([{ content: importContent(content) }], blocks, IMPORT_OPTIONS))),
    );
  }

  /** All or nothing, as {@link put}. */
  async putDirectory(entries: readonly DirectoryEntry[]): Promise<string> {
    return this.wrap("putDirectory", () => this.importing((blocks) => lastCid(importDirectory(entries, blocks), "")));
  }

  /**
   * Runs an import through a blockstore that notes each block it creates (one not in the store before, and not
   * written meanwhile by another import), and on failure deletes those blocks and the temporary file of a write cut
   * short (blockstore-fs writes `.<block>.tmp` and renames it), so that a failed import leaves the store as it was.
   * Blocks that were there before, or that another import also wrote (it may have succeeded), are left alone.
   */
  private async importing(run: (blocks: Parameters<typeof importer>[1]) => Promise<string>): Promise<string> {
    const mine = Symbol("import");
    const created: CID[] = [];
    const writing = new Set<CID>();
    const blocks = {
      put: async (cid: CID, bytes: Uint8Array, options?: { signal?: AbortSignal }) => {
        const key = keyOfBlock(cid);
        const owner = this.created.get(key);
        if (owner !== undefined && owner !== mine) {
          this.created.delete(key);
        } else if (owner === undefined) {
          const existed = await this.blockstore.has(cid);
          const now = this.created.get(key);
          if (now !== undefined && now !== mine) this.created.delete(key);
          else if (now === undefined && !existed) {
            this.created.set(key, mine);
            created.push(cid);
          }
        }
        writing.add(cid);
        await this.blockstore.put(cid, bytes, options);
        writing.delete(cid);
        return cid;
      },
    };
    try {
      return await run(blocks);
    } catch (err) {
      for (const cid of created) {
        if (this.created.get(keyOfBlock(cid)) !== mine) continue;
        await this.blockstore.delete(cid).catch(() => {});
      }
      // Where blockstore-fs puts a block (its sharding is private in its types, a plain field at run time).
      const sharding = (
        this.blockstore as unknown as { shardingStrategy: { encode(c: CID): { dir: string; file: string } } }
      ).shardingStrategy;
      for (const cid of writing) {
        const { dir, file } = sharding.encode(cid);
        rmSync(path.join(this.blockstore.path, dir, `.${file}.tmp`), { force: true });
      }
      throw err;
    } finally {
      for (const cid of created) {
        const key = keyOfBlock(cid);
        if (this.created.get(key) === mine) this.created.delete(key);
      }
    }
  }

  async *get(cidPath: string): AsyncIterable<Uint8Array> {
    parseCidPath(cidPath);
    let entry;
    try {
      entry = await exporter(cidPath.replace(/^\/ipfs\//, ""), this.blockstore);
    } catch (cause) {
      throw notFoundOr(cause, cidPath);
    }
    if (entry.type !== "file" && entry.type !== "raw" && entry.type !== "identity") {
      throw new CrossproofError("INVALID_ARGUMENT", `${cidPath} is a ${entry.type}, not a file`);
    }
    try {
      yield* entry.content();
    } catch (cause) {
      throw notFoundOr(cause, cidPath);
    }
  }

  async getBytes(cidPath: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array> {
    return collect(this.get(cidPath), maxBytes, cidPath);
  }

  async has(cid: string): Promise<boolean> {
    return this.blockstore.has(parseCidPath(cid).cid);
  }

  async resolve(cidPath: string): Promise<string> {
    parseCidPath(cidPath);
    try {
      return (await exporter(cidPath.replace(/^\/ipfs\//, ""), this.blockstore)).cid.toV1().toString();
    } catch (cause) {
      throw notFoundOr(cause, cidPath);
    }
  }

  async linkDirectory(links: readonly DirectoryLink[]): Promise<string> {
    const node = await directoryNode(links, (cid) => this.block(cid));
    return this.wrap("linkDirectory", async () => {
      await this.blockstore.put(node.cid, node.bytes);
      return node.cid.toString();
    });
  }

  async blocksOf(cid: string): Promise<string[]> {
    return walkBlocks(parseCidPath(cid).cid, (c) => this.block(c));
  }

  /** Unlinks each block's file (blockstore-fs names the file by the multihash). */
  async deleteBlocks(cids: readonly string[]): Promise<DeletedBlocks> {
    const list = blockCids(cids);
    return this.wrap("deleteBlocks", async () => {
      for (const cid of list) await this.blockstore.delete(cid);
      return { removed: list.length, retained: [] };
    });
  }

  async close(): Promise<void> {
    await this.blockstore.close();
  }

  private async block(cid: CID): Promise<Uint8Array> {
    try {
      return await collect(this.blockstore.get(cid), Number.MAX_SAFE_INTEGER, cid.toString());
    } catch (cause) {
      throw notFoundOr(cause, cid.toString());
    }
  }

  private async wrap<T>(op: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      if (cause instanceof CrossproofError) throw cause;
      throw new CrossproofError("CONTENT_STORE_ERROR", `content store ${op} failed: ${String(cause)}`, { cause });
    }
  }
}

function notFoundOr(cause: unknown, cidPath: string): CrossproofError {
  if (cause instanceof CrossproofError) return cause;
  const name = (cause as { name?: string; code?: string } | null)?.name ?? "";
  const code = (cause as { code?: string } | null)?.code ?? "";
  if (
    /NotFound/i.test(name) ||
    /NOT_FOUND|ERR_NOT_FOUND|ENOENT/.test(code) ||
    /not found|no link/i.test(String(cause))
  ) {
    return new CrossproofError("CONTENT_NOT_FOUND", `not in the content store: ${cidPath}`, { cause });
  }
  return new CrossproofError("CONTENT_STORE_ERROR", `cannot read ${cidPath}: ${String(cause)}`, { cause });
}

/**
 * A Kubo (go-ipfs) node over its RPC API (`kubo-rpc-client`), for production: content is pinned on the node and
 * replicated as the operator configures (IPFS Cluster, several nodes). Set the node's import profile to
 * `unixfs-v1-2025` so that every tool that adds content there agrees on CIDs; this store passes the profile's
 * parameters explicitly anyway.
 * @example
 * const store = new KuboContentStore("http://127.0.0.1:5001");
 */
export class KuboContentStore implements ContentStore {
  readonly kind = "kubo" as const;
  private readonly client: KuboRPCClient;

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    this.client = createKuboClient({ url, timeout: options.timeoutMs ?? 120_000 });
  }

  async put(content: ByteSource): Promise<string> {
    try {
      const r = await this.client.add(importContent(content) as Parameters<KuboRPCClient["add"]>[0], {
        ...KUBO_ADD_OPTIONS,
        pin: true,
      });
      return r.cid.toV1().toString();
    } catch (cause) {
      throw new CrossproofError("CONTENT_STORE_ERROR", `Kubo add failed: ${String(cause)}`, { cause });
    }
  }

  async putDirectory(entries: readonly DirectoryEntry[]): Promise<string> {
    entries.forEach((e) => checkRelativePath(e.path));
    try {
      let root: CID | undefined;
      for await (const r of this.client.addAll(
        entries.map((e) => ({
          path: e.path,
          content: importContent(e.content) as Parameters<KuboRPCClient["add"]>[0],
        })) as Parameters<KuboRPCClient["addAll"]>[0],
        { ...KUBO_ADD_OPTIONS, pin: true, wrapWithDirectory: true },
      )) {
        if (r.path === "") root = r.cid;
      }
      if (root === undefined) throw new Error("Kubo returned no directory");
      return root.toV1().toString();
    } catch (cause) {
      throw new CrossproofError("CONTENT_STORE_ERROR", `Kubo add failed: ${String(cause)}`, { cause });
    }
  }

  async *get(cidPath: string): AsyncIterable<Uint8Array> {
    parseCidPath(cidPath);
    try {
      yield* this.client.cat(cidPath);
    } catch (cause) {
      throw notFoundOr(cause, cidPath);
    }
  }

  async getBytes(cidPath: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array> {
    return collect(this.get(cidPath), maxBytes, cidPath);
  }

  async has(cid: string): Promise<boolean> {
    try {
      await this.client.block.stat(parseCidPath(cid).cid, { offline: true, timeout: 10_000 } as never);
      return true;
    } catch {
      return false;
    }
  }

  async resolve(cidPath: string): Promise<string> {
    parseCidPath(cidPath);
    let resolved: string;
    try {
      resolved = await this.client.resolve(`/ipfs/${cidPath.replace(/^\/ipfs\//, "")}`);
    } catch (cause) {
      throw notFoundOr(cause, cidPath);
    }
    return parseCidPath(resolved).cid.toV1().toString();
  }

  /** Writes the directory's node with `block/put` (dag-pb, pinned); the linked content stays as it is on the node. */
  async linkDirectory(links: readonly DirectoryLink[]): Promise<string> {
    const node = await directoryNode(links, (cid) => this.block(cid));
    let stored: CID;
    try {
      // `format` is the client's (and Kubo's legacy) name for the codec; Kubo then answers with a CIDv0.
      stored = await this.client.block.put(node.bytes, { format: "dag-pb", mhtype: "sha2-256", pin: true });
    } catch (cause) {
      throw new CrossproofError("CONTENT_STORE_ERROR", `Kubo block put failed: ${String(cause)}`, { cause });
    }
    if (!stored.toV1().equals(node.cid)) {
      throw new CrossproofError("CID_MISMATCH", `Kubo stored the directory as ${stored}, expected ${node.cid}`);
    }
    return node.cid.toString();
  }

  /** Walks the DAG with `block/get` (dag-pb nodes only; the raw leaves are not fetched). */
  async blocksOf(cid: string): Promise<string[]> {
    return walkBlocks(parseCidPath(cid).cid, (c) => this.block(c));
  }

  /**
   * `pin/rm` for every recursive or direct pin among the CIDs named (a package's root, a re-wrapped envelope added on
   * its own), then `block/rm --force` for them all. Kubo refuses to remove a block that is still pinned (directly, or
   * under a root not named): it is reported `retained` with Kubo's reason. The space is freed at once, not at the
   * node's next `repo gc`. Copies elsewhere (other nodes, an IPFS Cluster's replicas) are not touched.
   */
  async deleteBlocks(cids: readonly string[]): Promise<DeletedBlocks> {
    const list = blockCids(cids);
    const named = new Set(list.map(keyOfBlock));
    try {
      for (const type of ["recursive", "direct"] as const) {
        const pinned = [];
        for await (const pin of this.client.pin.ls({ type })) if (named.has(keyOfBlock(pin.cid))) pinned.push(pin.cid);
        for (const cid of pinned) await this.client.pin.rm(cid, { recursive: type === "recursive" });
      }
      const result: DeletedBlocks = { removed: 0, retained: [] };
      if (list.length === 0) return result;
      for await (const r of this.client.block.rm(list, { force: true })) {
        if (r.error === undefined) result.removed++;
        else result.retained.push({ cid: r.cid.toV1().toString(), reason: r.error.message });
      }
      return result;
    } catch (cause) {
      throw new CrossproofError("CONTENT_STORE_ERROR", `Kubo could not remove blocks: ${String(cause)}`, { cause });
    }
  }

  async close(): Promise<void> {}

  private async block(cid: CID): Promise<Uint8Array> {
    try {
      return await this.client.block.get(cid);
    } catch (cause) {
      throw notFoundOr(cause, cid.toString());
    }
  }
}
