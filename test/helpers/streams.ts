import { createCipheriv, createHash } from "node:crypto";

/**
 * Deterministic pseudo-random bytes, as Kubo's test helpers make them (IPIP-499 fixtures): the ChaCha20
 * keystream under key sha256(seed) and a zero nonce, streamed in chunks so that gigabytes never sit in memory.
 */
export async function* deterministicStream(size: number, seed: string, chunk = 1 << 20): AsyncGenerator<Uint8Array> {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  let remaining = size;
  while (remaining > 0) {
    const n = Math.min(remaining, chunk);
    yield cipher.update(n === chunk ? zeros : zeros.subarray(0, n));
    remaining -= n;
  }
}

/** Collects a (small) stream. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}
