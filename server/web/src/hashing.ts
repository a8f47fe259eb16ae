/**
 * SHA-256 of files in the browser. Files up to {@link WEB_CRYPTO_LIMIT} are read whole and hashed by Web Crypto
 * (fast, native); larger ones are streamed through `@noble/hashes` chunk by chunk, so a file larger than memory is
 * hashed in constant memory. Nothing is sent anywhere.
 */
import { sha256 } from "@noble/hashes/sha256";

/** Files up to this size are hashed by Web Crypto in one piece. */
export const WEB_CRYPTO_LIMIT = 64 * 1024 * 1024;

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 of bytes (Web Crypto), lower-case hex. */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const buffer = bytes instanceof Uint8Array ? (bytes.slice().buffer as ArrayBuffer) : bytes;
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", buffer)));
}

/** SHA-256 of a file, lower-case hex; `onProgress` gets the bytes read so far. */
export async function sha256OfFile(
  file: Blob,
  onProgress: (bytesDone: number) => void = () => {},
  signal?: AbortSignal,
): Promise<string> {
  if (file.size <= WEB_CRYPTO_LIMIT) {
    const digest = await sha256Hex(await file.arrayBuffer());
    onProgress(file.size);
    return digest;
  }
  const hash = sha256.create();
  const reader = file.stream().getReader();
  let done = 0;
  for (;;) {
    if (signal?.aborted === true) {
      await reader.cancel();
      throw new DOMException("hashing cancelled", "AbortError");
    }
    const chunk = await reader.read();
    if (chunk.done) break;
    hash.update(chunk.value);
    done += chunk.value.byteLength;
    onProgress(done);
  }
  return toHex(hash.digest());
}
