/**
 * A {@link FingerprintIndex} on disk (Node only), so a gateway restart does not fetch and parse every work's
 * fingerprint file again: the index's columns (frame hashes, frame times, Chromaprint values) as little-endian
 * 32-bit arrays behind a versioned header, sealed by a SHA-256 of everything before it.
 *
 * ```
 * 0   "CPFPIDX\0"                      magic, 8 bytes
 * 8   u32 LE  file format version       (FINGERPRINT_INDEX_FILE_VERSION)
 * 12  u32 LE  header length H           (a multiple of 8)
 * 16  header: UTF-8 JSON, space-padded  {format, version, radius, frameHash, frames, audioItems, works: [...]}
 * …   hi[frames] lo[frames] timesMs[frames] audio[audioItems]   u32 LE each
 * end SHA-256 of all the bytes before it (32 bytes)
 * ```
 *
 * File version 2 (written since the gateway keeps its index on disk) adds `fingerprints` to the header: null, or per
 * work (in the order of `works`) the digest of the fingerprint file it was indexed from, so a loader can tell whether
 * the file holds exactly the works and files it expects. Version 1 files (no such field) are still read.
 *
 * File version 3 (extractor version 2's partial frame views) appends after `audio` the views' columns, in
 * `FRAME_VIEWS` order, each as hi[frames] lo[frames]. Versions 1 and 2 (no views) load with whole frames only.
 *
 * Loading checks the magic, the version, the header, every length and the digest before building anything; a file
 * that fails is a `FINGERPRINT_INDEX_INVALID` error whose `details.reason` is `not-an-index`, `version`,
 * `truncated`, `checksum`, `header` or `content`. The part tables are rebuilt on load (linear; see the benchmark in
 * docs/FINGERPRINTS.md) rather than stored: they are 4× the size of the hashes and cheap to recompute.
 */
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { CrossproofError } from "./errors";
import { FRAME_VIEWS } from "./fingerprint";
import { FingerprintIndex, type IndexColumns } from "./fingerprint-match";

/** The file version written; versions 1 to 3 are read (see {@link FINGERPRINT_INDEX_FILE_VERSIONS_READ}). */
export const FINGERPRINT_INDEX_FILE_VERSION = 3;
/** The file versions this SDK reads. */
export const FINGERPRINT_INDEX_FILE_VERSIONS_READ: readonly number[] = [1, 2, 3];
const MAGIC = Buffer.from("CPFPIDX\0", "latin1");
const FORMAT = "crossproof-fingerprint-index";

export type FingerprintIndexFailure = "not-an-index" | "version" | "truncated" | "checksum" | "header" | "content";

function invalid(reason: FingerprintIndexFailure, message: string, cause?: unknown): CrossproofError {
  return new CrossproofError("FINGERPRINT_INDEX_INVALID", `fingerprint index: ${message}`, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

interface Header {
  format: string;
  version: number;
  radius: number;
  frameHash: string;
  frames: number;
  audioItems: number;
  works: IndexColumns["works"];
  /** Version 2: null, or the digest of each work's fingerprint file, in the order of `works`. */
  fingerprints?: string[] | null;
}

const DIGEST = /^0x[0-9a-f]{64}$/;

export interface SaveFingerprintIndexOptions {
  /**
   * By work id, the digest (`fingerprintDigest`, lower-case `0x` hex) of the fingerprint file each work was indexed
   * from: recorded in the header, read back by {@link loadFingerprintIndexFile}. Every work of the index, no other.
   */
  fingerprints?: ReadonlyMap<string, string>;
}

/** An index file read back: the index, and what its header records. */
export interface LoadedFingerprintIndex {
  index: FingerprintIndex;
  /** The digests saved with {@link SaveFingerprintIndexOptions.fingerprints}, by work id; null when none were. */
  fingerprints: Map<string, string> | null;
  /** The file's format version (1, 2 or 3). */
  fileVersion: number;
}

/** The file's bytes as chunks (views on the index's arrays, no copy of the columns). */
export function fingerprintIndexChunks(
  index: FingerprintIndex,
  options: SaveFingerprintIndexOptions = {},
): Uint8Array[] {
  if (!littleEndian()) throw new CrossproofError("INVALID_ARGUMENT", "the index file is little-endian only");
  const c = index.columns();
  const digests = options.fingerprints;
  if (digests !== undefined) {
    const ids = new Set(c.works.map((w) => w.id));
    for (const [id, d] of digests) {
      if (!ids.has(id)) throw new CrossproofError("INVALID_ARGUMENT", `fingerprints: work ${id} is not in the index`);
      if (!DIGEST.test(d)) throw new CrossproofError("INVALID_ARGUMENT", `fingerprints: ${d} is not a digest`);
    }
    const missing = c.works.find((w) => !digests.has(w.id));
    if (missing !== undefined) {
      throw new CrossproofError("INVALID_ARGUMENT", `fingerprints: no digest for work ${missing.id}`);
    }
  }
  const header: Header = {
    format: FORMAT,
    version: FINGERPRINT_INDEX_FILE_VERSION,
    radius: c.radius,
    frameHash: "dct-phash-64",
    frames: c.hi.length,
    audioItems: c.audio.length,
    works: c.works,
    fingerprints: digests === undefined ? null : c.works.map((w) => digests.get(w.id)!),
  };
  let json = Buffer.from(JSON.stringify(header), "utf8");
  if (json.length % 8 !== 0) json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)]);
  const fixed = Buffer.alloc(16);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(FINGERPRINT_INDEX_FILE_VERSION, 8);
  fixed.writeUInt32LE(json.length, 12);
  const bytes = (a: Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const views =
    c.views ?? FRAME_VIEWS.map(() => ({ hi: new Uint32Array(c.hi.length), lo: new Uint32Array(c.hi.length) }));
  const chunks = [
    fixed,
    json,
    bytes(c.hi),
    bytes(c.lo),
    bytes(c.timesMs),
    bytes(c.audio),
    ...views.flatMap((v) => [bytes(v.hi), bytes(v.lo)]),
  ];
  const digest = createHash("sha256");
  for (const chunk of chunks) digest.update(chunk);
  chunks.push(digest.digest());
  return chunks;
}

/** Writes the index to `path` atomically (a temporary file in the same folder, synced, then renamed). */
export async function saveFingerprintIndex(
  index: FingerprintIndex,
  path: string,
  options: SaveFingerprintIndexOptions = {},
): Promise<void> {
  const chunks = fingerprintIndexChunks(index, options);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  const file = await open(tmp, "w");
  try {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length;) {
        const { bytesWritten } = await file.write(chunk, at, Math.min(chunk.length - at, 64 << 20));
        at += bytesWritten;
      }
    }
    await file.sync();
    await file.close();
    await rename(tmp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw new CrossproofError("FILE_READ_ERROR", `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  // The rename itself survives a crash once the folder is synced (not every platform lets a folder be opened).
  try {
    const folder = await open(dirname(path), "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // best effort
  }
}

/** Parses and checks an index file's bytes, then builds the index (tables included). */
export function fingerprintIndexFromBytes(buf: Uint8Array): FingerprintIndex {
  return fingerprintIndexFileFromBytes(buf).index;
}

/** {@link fingerprintIndexFromBytes}, with what the header records (the works' fingerprint digests). */
export function fingerprintIndexFileFromBytes(buf: Uint8Array): LoadedFingerprintIndex {
  if (!littleEndian()) throw new CrossproofError("INVALID_ARGUMENT", "the index file is little-endian only");
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 16 || !b.subarray(0, 8).equals(MAGIC)) throw invalid("not-an-index", "not a fingerprint index file");
  const version = b.readUInt32LE(8);
  if (!FINGERPRINT_INDEX_FILE_VERSIONS_READ.includes(version)) {
    throw invalid(
      "version",
      `file version ${version}; this SDK reads ${FINGERPRINT_INDEX_FILE_VERSIONS_READ.join(", ")}`,
    );
  }
  const headerLength = b.readUInt32LE(12);
  if (headerLength % 8 !== 0 || 16 + headerLength + 32 > b.length) throw invalid("truncated", "header cut short");
  const digest = createHash("sha256")
    .update(b.subarray(0, b.length - 32))
    .digest();
  // A length error says more than a digest error, so lengths are checked first when the header parses.
  let header: Header;
  try {
    header = JSON.parse(b.subarray(16, 16 + headerLength).toString("utf8")) as Header;
  } catch (err) {
    throw invalid(digest.equals(b.subarray(b.length - 32)) ? "header" : "checksum", "unreadable header", err);
  }
  const okHeader =
    typeof header === "object" &&
    header !== null &&
    header.format === FORMAT &&
    header.version === version &&
    header.frameHash === "dct-phash-64" &&
    Number.isSafeInteger(header.frames) &&
    header.frames >= 0 &&
    Number.isSafeInteger(header.audioItems) &&
    header.audioItems >= 0 &&
    Array.isArray(header.works) &&
    header.works.every(
      (w) =>
        typeof w === "object" &&
        w !== null &&
        typeof w.id === "string" &&
        typeof w.frameMs === "number" &&
        typeof w.itemMs === "number",
    ) &&
    (version === 1
      ? header.fingerprints === undefined
      : header.fingerprints === null ||
        (Array.isArray(header.fingerprints) &&
          header.fingerprints.length === header.works.length &&
          header.fingerprints.every((d) => typeof d === "string" && DIGEST.test(d))));
  if (!okHeader) {
    throw invalid(digest.equals(b.subarray(b.length - 32)) ? "header" : "checksum", "header fields are wrong");
  }
  const viewColumns = version >= 3 ? 2 * FRAME_VIEWS.length : 0;
  const expected = 16 + headerLength + 4 * ((3 + viewColumns) * header.frames + header.audioItems) + 32;
  if (b.length !== expected) throw invalid("truncated", `${b.length} bytes where the header implies ${expected}`);
  if (!digest.equals(b.subarray(b.length - 32))) throw invalid("checksum", "SHA-256 does not match the content");
  // Typed arrays need 4-byte alignment: copy when the buffer's offset does not give it.
  const aligned = b.byteOffset % 4 === 0 ? b : Buffer.from(b);
  const at = (start: number, n: number): Uint32Array => new Uint32Array(aligned.buffer, aligned.byteOffset + start, n);
  let offset = 16 + headerLength;
  const hi = at(offset, header.frames);
  offset += 4 * header.frames;
  const lo = at(offset, header.frames);
  offset += 4 * header.frames;
  const timesMs = at(offset, header.frames);
  offset += 4 * header.frames;
  const audio = at(offset, header.audioItems);
  offset += 4 * header.audioItems;
  const views =
    version >= 3
      ? FRAME_VIEWS.map((_, k) => ({
          hi: at(offset + 8 * k * header.frames, header.frames),
          lo: at(offset + (8 * k + 4) * header.frames, header.frames),
        }))
      : undefined;
  let index: FingerprintIndex;
  try {
    index = FingerprintIndex.fromColumns({
      radius: header.radius,
      works: header.works,
      hi,
      lo,
      timesMs,
      audio,
      ...(views ? { views } : {}),
    });
  } catch (err) {
    throw invalid("content", err instanceof Error ? err.message : String(err), err);
  }
  const digests = header.fingerprints ?? null;
  return {
    index,
    fingerprints: digests === null ? null : new Map(header.works.map((w, i) => [w.id, digests[i]!])),
    fileVersion: version,
  };
}

/**
 * Loads an index saved by {@link saveFingerprintIndex}. A missing or unreadable file is `FILE_READ_ERROR` (reason
 * `not-found`: rebuild from the works on chain); a damaged or foreign one is `FINGERPRINT_INDEX_INVALID`.
 */
export async function loadFingerprintIndex(path: string): Promise<FingerprintIndex> {
  return (await loadFingerprintIndexFile(path)).index;
}

/** {@link loadFingerprintIndex}, with what the header records (the works' fingerprint digests, the file version). */
export async function loadFingerprintIndexFile(path: string): Promise<LoadedFingerprintIndex> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new CrossproofError("FILE_READ_ERROR", `cannot read ${path}: ${(err as Error).message}`, {
      details: { reason: "not-found" },
      cause: err,
    });
  }
  return fingerprintIndexFileFromBytes(buf);
}
