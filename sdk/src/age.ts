import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { Decrypter, Encrypter, type Recipient } from "age-encryption";
import { CrossproofError } from "./errors";

/**
 * age v1 file encryption (C2SP age.md) with the payload on Node's native ChaCha20-Poly1305.
 *
 * A file is `header ‖ nonce ‖ payload`:
 * - the header (version line, one stanza per recipient wrapping a random 16-byte file key, and an HMAC over it) is
 *   written and read by `age-encryption` (typage), so every recipient and identity type it knows (X25519, the
 *   post-quantum hybrids) works here, with its header parsing;
 * - the 16-byte nonce is random; the payload key is HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload");
 * - the payload is STREAM: the plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under the nonce
 *   `11-byte big-endian chunk counter ‖ last-chunk flag (0x01 on the last chunk, else 0x00)`. Only the last chunk
 *   may be short; it is empty only when the whole plaintext is, and it may be full. So a changed, dropped, reordered,
 *   repeated or appended chunk, and a stream cut anywhere, fail authentication.
 *
 * The payload goes through OpenSSL (`chacha20-poly1305`) one chunk at a time: constant memory, and about ten times
 * the speed of the pure-JavaScript cipher `age-encryption` uses. The output is byte-compatible with the `age` tool
 * and `age-encryption` both ways (the tests check both, and known answers from each).
 */

/** Plaintext bytes per STREAM chunk. */
export const AGE_CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
/** Ciphertext bytes per full STREAM chunk. */
const SEALED_CHUNK_SIZE = AGE_CHUNK_SIZE + TAG_SIZE;
const NONCE_SIZE = 16;
const FILE_KEY_SIZE = 16;
const AEAD = "chacha20-poly1305";
const VERSION_LINE = Buffer.from("age-encryption.org/v1\n");
const MAC_LINE_START = Buffer.from("\n---");
/** Headers longer than this are refused (a header holds one short stanza per recipient). */
const MAX_HEADER_SIZE = 1024 * 1024;
/** Chunk counters stay below 2^48 (16 EiB of plaintext); the nonce has room for 2^88. */
const MAX_CHUNKS = 2 ** 48;

/** The header of a new age file and the file key it wraps. */
export interface AgeHeader {
  /** The encoded header, ending with its MAC line. */
  header: Uint8Array;
  /** The 16-byte file key; wipe it once the payload key is derived. */
  fileKey: Uint8Array;
}

/**
 * Writes the header of a new age file for `recipients` (`age1…` strings or `age-encryption` recipients), with a
 * fresh random file key. `age-encryption` builds the stanzas and the MAC; the file key is taken from it through its
 * documented custom-recipient interface (a recipient that receives the key and adds no stanza).
 */
export async function createAgeHeader(recipients: readonly (string | Recipient)[]): Promise<AgeHeader> {
  if (recipients.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "an age file needs a recipient");
  let fileKey: Uint8Array | undefined;
  const keyTap: Recipient = {
    wrapFileKey(key) {
      fileKey = Uint8Array.from(key);
      return [];
    },
  };
  let empty: Uint8Array;
  try {
    const encrypter = new Encrypter();
    for (const r of recipients) encrypter.addRecipient(r);
    encrypter.addRecipient(keyTap);
    // The header, a nonce and the sealed empty last chunk: only the header is kept.
    empty = await encrypter.encrypt(new Uint8Array(0));
  } catch (cause) {
    throw new CrossproofError("ENCRYPTION_ERROR", `cannot write the age header: ${String(cause)}`, { cause });
  }
  const header = empty.subarray(0, empty.length - NONCE_SIZE - TAG_SIZE);
  if (fileKey?.length !== FILE_KEY_SIZE || header[header.length - 1] !== 0x0a) {
    throw new CrossproofError("ENCRYPTION_ERROR", "age-encryption produced an unexpected header");
  }
  return { header: Uint8Array.from(header), fileKey };
}

/** The STREAM key of a file: HKDF-SHA-256 of the file key, salted with the payload nonce, info "payload". */
export function agePayloadKey(fileKey: Uint8Array, nonce: Uint8Array): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync("sha256", fileKey, nonce, "payload", 32)));
}

/** The per-chunk nonce: 11-byte big-endian counter, then the last-chunk flag. */
function chunkNonce(nonce: Buffer, counter: number, last: boolean): Buffer {
  if (counter >= MAX_CHUNKS) throw new CrossproofError("ENCRYPTION_ERROR", "age stream too long");
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Seals a plaintext stream as an age STREAM payload (no header, no nonce) under `key`, in constant memory.
 *
 * Chunks are sealed straight from the input where they lie whole; only a chunk that straddles two inputs, or the
 * chunk that may turn out to be the last, is copied (into one reused 64 KiB buffer). Input chunks are not retained
 * after the next one is requested, so a source may reuse its buffers. Each sealed chunk comes out as two pieces,
 * its ciphertext and its 16-byte tag (no copy); gather them before small writes.
 */
export async function* sealAgePayload(source: AsyncIterable<Uint8Array>, key: KeyObject): AsyncGenerator<Uint8Array> {
  const nonce = Buffer.alloc(12);
  const held = Buffer.allocUnsafe(AGE_CHUNK_SIZE);
  let heldSize = 0;
  let counter = 0;
  const seal = (plaintext: Uint8Array, last: boolean): [Buffer, Buffer] => {
    const cipher = createCipheriv(AEAD, key, chunkNonce(nonce, counter++, last), { authTagLength: TAG_SIZE });
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    return [ciphertext, cipher.getAuthTag()];
  };
  for await (const input of source) {
    if (input.byteLength === 0) continue;
    let rest = input;
    // More plaintext follows, so the held chunk, once full, is not the last one.
    if (heldSize === AGE_CHUNK_SIZE) {
      yield* seal(held, false);
      heldSize = 0;
    }
    if (heldSize > 0) {
      const n = Math.min(AGE_CHUNK_SIZE - heldSize, rest.byteLength);
      held.set(rest.subarray(0, n), heldSize);
      heldSize += n;
      rest = rest.subarray(n);
      if (rest.byteLength === 0) continue;
      yield* seal(held, false);
      heldSize = 0;
    }
    while (rest.byteLength > AGE_CHUNK_SIZE) {
      yield* seal(rest.subarray(0, AGE_CHUNK_SIZE), false);
      rest = rest.subarray(AGE_CHUNK_SIZE);
    }
    held.set(rest, 0);
    heldSize = rest.byteLength;
  }
  yield* seal(held.subarray(0, heldSize), true);
}

/**
 * Opens an age STREAM payload (what follows the header and nonce) under `key`, in constant memory. Each chunk is
 * authenticated before its plaintext is released; a damaged, reordered, truncated or extended payload fails with
 * `DECRYPTION_FAILED` at the first chunk that does not authenticate.
 */
export async function* openAgePayload(source: AsyncIterable<Uint8Array>, key: KeyObject): AsyncGenerator<Uint8Array> {
  const nonce = Buffer.alloc(12);
  const held = Buffer.allocUnsafe(SEALED_CHUNK_SIZE);
  let heldSize = 0;
  let counter = 0;
  const open = (sealed: Uint8Array, last: boolean): Buffer => {
    const at = counter;
    const decipher = createDecipheriv(AEAD, key, chunkNonce(nonce, counter++, last), { authTagLength: TAG_SIZE });
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_SIZE));
    const plaintext = decipher.update(sealed.subarray(0, sealed.byteLength - TAG_SIZE));
    try {
      decipher.final();
    } catch (cause) {
      throw new CrossproofError(
        "DECRYPTION_FAILED",
        `age payload chunk ${at}${last ? " (last)" : ""} failed authentication: the file was changed, reordered or cut`,
        { cause, details: { chunk: at } },
      );
    }
    return plaintext;
  };
  for await (const input of source) {
    if (input.byteLength === 0) continue;
    let rest = input;
    if (heldSize === SEALED_CHUNK_SIZE) {
      yield open(held, false);
      heldSize = 0;
    }
    if (heldSize > 0) {
      const n = Math.min(SEALED_CHUNK_SIZE - heldSize, rest.byteLength);
      held.set(rest.subarray(0, n), heldSize);
      heldSize += n;
      rest = rest.subarray(n);
      if (rest.byteLength === 0) continue;
      yield open(held, false);
      heldSize = 0;
    }
    while (rest.byteLength > SEALED_CHUNK_SIZE) {
      yield open(rest.subarray(0, SEALED_CHUNK_SIZE), false);
      rest = rest.subarray(SEALED_CHUNK_SIZE);
    }
    held.set(rest, 0);
    heldSize = rest.byteLength;
  }
  if (heldSize < TAG_SIZE) {
    throw new CrossproofError(
      "DECRYPTION_FAILED",
      counter === 0 && heldSize === 0
        ? "age payload is missing"
        : `age payload ends with a ${heldSize}-byte chunk: the file was cut or extended`,
    );
  }
  if (heldSize === TAG_SIZE && counter > 0) {
    // An empty last chunk is valid only as the only chunk (an empty file).
    throw new CrossproofError("DECRYPTION_FAILED", "age payload ends with an empty chunk after full ones");
  }
  yield open(held.subarray(0, heldSize), true);
}

/**
 * Encrypts a stream as an age v1 file to `recipients` (`age1…`), in constant memory. The output comes in pieces
 * (the header with the nonce, then each chunk's ciphertext and tag); their concatenation is the file.
 * @example
 * await pipeline(Readable.from(encryptAge(createReadStream("capture.mp4"), [recipient])), createWriteStream("capture.mp4.age"));
 */
export async function* encryptAge(
  source: AsyncIterable<Uint8Array>,
  recipients: readonly (string | Recipient)[],
): AsyncGenerator<Uint8Array> {
  const { header, fileKey } = await createAgeHeader(recipients);
  const nonce = randomBytes(NONCE_SIZE);
  const key = agePayloadKey(fileKey, nonce);
  fileKey.fill(0);
  yield Buffer.concat([header, nonce]);
  yield* sealAgePayload(source, key);
}

/**
 * Decrypts an age v1 file (binary, not armored) with the first of `identities` (`AGE-SECRET-KEY-1…`) that opens
 * its header, in constant memory. Fails with `DECRYPTION_FAILED` when no identity matches, the header is malformed
 * or its MAC is wrong, or the payload does not authenticate (nothing of a damaged chunk is released).
 */
export async function* decryptAge(
  source: AsyncIterable<Uint8Array>,
  identities: readonly string[],
): AsyncGenerator<Uint8Array> {
  const input = source[Symbol.asyncIterator]();
  try {
    const { header, nonce, rest } = await readHeader(input);
    const fileKey = await unwrapFileKey(header, identities);
    const key = agePayloadKey(fileKey, nonce);
    fileKey.fill(0);
    yield* openAgePayload(continueWith(rest, input), key);
  } finally {
    await input.return?.();
  }
}

async function unwrapFileKey(header: Uint8Array, identities: readonly string[]): Promise<Uint8Array> {
  try {
    const decrypter = new Decrypter();
    for (const identity of identities) decrypter.addIdentity(identity);
    return await decrypter.decryptHeader(header);
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `cannot open the age header: ${String(cause)}`, { cause });
  }
}

/** Reads the header (up to and including the MAC line) and the payload nonce; returns what is left of the input. */
async function readHeader(
  input: AsyncIterator<Uint8Array>,
): Promise<{ header: Uint8Array; nonce: Uint8Array; rest: Uint8Array }> {
  // Input is copied (the source may reuse its buffers) into a buffer that doubles when full.
  let buffer = Buffer.allocUnsafe(4096);
  let size = 0;
  let headerEnd = -1;
  let searchFrom = 0;
  for (;;) {
    const buffered = buffer.subarray(0, size);
    if (headerEnd < 0 && size >= VERSION_LINE.byteLength) {
      if (!buffered.subarray(0, VERSION_LINE.byteLength).equals(VERSION_LINE)) {
        throw new CrossproofError("DECRYPTION_FAILED", "not an age v1 file (armored files must be dearmored first)");
      }
      // The MAC line is the first line that starts with "---" (stanza lines start with "->", bodies are base64).
      const mac = buffered.indexOf(MAC_LINE_START, searchFrom);
      const end = mac < 0 ? -1 : buffered.indexOf(0x0a, mac + 1);
      if (end >= 0) headerEnd = end + 1;
      else searchFrom = mac >= 0 ? mac : Math.max(0, size - MAC_LINE_START.byteLength);
    }
    if (headerEnd >= 0 && size >= headerEnd + NONCE_SIZE) {
      return {
        header: buffered.subarray(0, headerEnd),
        nonce: buffered.subarray(headerEnd, headerEnd + NONCE_SIZE),
        rest: buffered.subarray(headerEnd + NONCE_SIZE),
      };
    }
    if (headerEnd < 0 && size > MAX_HEADER_SIZE) {
      throw new CrossproofError("DECRYPTION_FAILED", `age header longer than ${MAX_HEADER_SIZE} bytes`);
    }
    const next = await input.next();
    if (next.done === true) throw new CrossproofError("DECRYPTION_FAILED", "age file cut before its payload");
    if (size + next.value.byteLength > buffer.byteLength) {
      const grown = Buffer.allocUnsafe(Math.max(2 * buffer.byteLength, size + next.value.byteLength));
      buffer.copy(grown, 0, 0, size);
      buffer = grown;
    }
    buffer.set(next.value, size);
    size += next.value.byteLength;
  }
}

/** `first`, then the rest of `input` (which the caller closes). */
async function* continueWith(first: Uint8Array, input: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first.byteLength > 0) yield first;
  for (let next = await input.next(); next.done !== true; next = await input.next()) yield next.value;
}
