import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
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

/**
 * SHA-256 of a file of any size, streamed in 1 MiB reads (a 4 GiB video is never held in memory).
 * @example
 * const { sha256 } = await sha256OfFile("capture.mp4", { onProgress: (n) => bar.update(n) });
 */
export async function sha256OfFile(path: string, options: HashOptions = {}): Promise<HashResult> {
  try {
    return await sha256OfStream(createReadStream(path, { highWaterMark: 1 << 20 }), options);
  } catch (cause) {
    if (cause instanceof CrossproofError || (cause as Error).name === "AbortError") throw cause;
    throw new CrossproofError("FILE_READ_ERROR", `cannot read ${path}: ${String(cause)}`, { cause });
  }
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
