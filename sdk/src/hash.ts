import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";

/** A SHA-256 digest (lower-case hex, no prefix) and the number of bytes hashed. */
export interface HashResult {
  sha256: string;
  size: number;
}

export interface HashOptions {
  /** Called after each chunk with the bytes hashed so far. */
  onProgress?: (bytesDone: number) => void;
  signal?: AbortSignal;
}

/**
 * SHA-256 of a stream of any length in constant memory (one chunk at a time).
 * @example
 * const { sha256, size } = await sha256OfStream(fs.createReadStream("capture.mp4"));
 */
export async function sha256OfStream(
  source: AsyncIterable<Uint8Array>,
  options: HashOptions = {},
): Promise<HashResult> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.byteLength;
    options.onProgress?.(size);
  }
  return { sha256: hash.digest("hex"), size };
}

/** Bytes per read of {@link readFileChunks} (and so of {@link sha256OfFile}). */
export const FILE_READ_SIZE = 1024 * 1024;

export interface ReadFileChunksOptions {
  /** Bytes per read (default {@link FILE_READ_SIZE}). */
  chunkSize?: number;
  signal?: AbortSignal;
}

/**
 * Streams a file in reads of `chunkSize` bytes into two buffers allocated once: while the caller works on one
 * chunk, the next is read into the other. Nothing is allocated per read, so the speed does not depend on the
 * garbage collector's state, and reading overlaps the caller's work.
 *
 * **A chunk is valid only until the next one is requested**: its buffer is then read into again. Hash it, encrypt
 * it, copy it; do not keep it (a content-store importer keeps its blocks: give it a copy). File errors surface as
 * `FILE_READ_ERROR`.
 * @example
 * for await (const chunk of readFileChunks("capture.mp4")) hash.update(chunk);
 */
export async function* readFileChunks(path: string, options: ReadFileChunksOptions = {}): AsyncGenerator<Uint8Array> {
  const chunkSize = options.chunkSize ?? FILE_READ_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a read size: ${chunkSize}`);
  }
  const fail = (cause: unknown) =>
    new CrossproofError("FILE_READ_ERROR", `cannot read ${path}: ${String(cause)}`, { cause });
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (cause) {
    throw fail(cause);
  }
  const buffers = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)] as const;
  let next = 0;
  let position = 0;
  const readInto = (buffer: Buffer, at: number) => file.read(buffer, 0, chunkSize, at).then((r) => r.bytesRead);
  let reading: Promise<number> | undefined = readInto(buffers[0], 0);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      let n: number;
      try {
        n = await reading;
      } catch (cause) {
        reading = undefined;
        throw fail(cause);
      }
      if (n === 0) {
        reading = undefined;
        return;
      }
      const chunk = buffers[next].subarray(0, n);
      position += n;
      next ^= 1;
      // Read ahead into the other buffer, which the caller gave back by asking for this chunk.
      reading = readInto(buffers[next], position);
      yield chunk;
    }
  } finally {
    // Let a read still in flight land before the file is closed.
    await reading?.catch(() => undefined);
    await file.close().catch(() => undefined);
  }
}

/**
 * SHA-256 of a file of any size, read with {@link readFileChunks} (1 MiB reads into two reused buffers; a 4 GiB
 * video is never held in memory).
 * @example
 * const { sha256 } = await sha256OfFile("capture.mp4", { onProgress: (n) => bar.update(n) });
 */
export async function sha256OfFile(path: string, options: HashOptions = {}): Promise<HashResult> {
  const reads: ReadFileChunksOptions = options.signal === undefined ? {} : { signal: options.signal };
  return sha256OfStream(readFileChunks(path, reads), options);
}

/** SHA-256 of bytes in memory, lower-case hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A hex digest as the contracts take it (`bytes32`, 0x-prefixed). */
export function toBytes32(hexDigest: string): Hex {
  const h = hexDigest.toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{64}$/.test(h)) throw new CrossproofError("INVALID_ARGUMENT", `not a 32-byte digest: ${hexDigest}`);
  return `0x${h}`;
}
