/**
 * Fingerprint files in the content store (issue 16): a work's fingerprint is stored content-addressed as its
 * canonical bytes (`encodeFingerprint`), and the work record on chain carries its digest (`fingerprintDigest`) with the
 * CID (`LicenceClient.signSetFingerprint`). Whoever fetches it back by CID checks it against that digest, so a store
 * (or a rights holder) cannot pass off another file.
 */
import { CrossproofError } from "./errors";
import { decodeFingerprint, encodeFingerprint, fingerprintDigest, type Fingerprint } from "./fingerprint";
import type { ContentStore } from "./store";

/** The largest fingerprint file read back by default (64 MiB: about a hundred hours of media at 2 frames a second). */
export const MAX_FINGERPRINT_BYTES = 64 * 1024 * 1024;

/** Where a fingerprint file was stored, and what the work record carries about it. */
export interface StoredFingerprint {
  /** The CID of the canonical bytes in the content store. */
  cid: string;
  /** SHA-256 of the canonical bytes, 0x-prefixed (`fingerprintDigest`): the work record's `fingerprintHash`. */
  digest: `0x${string}`;
  /** Size of the stored file in bytes. */
  size: number;
}

/**
 * Stores a fingerprint's canonical bytes in a content store.
 * @example
 * const stored = await storeFingerprint(store, await extractFingerprint("work.mp4"));
 * // stored.digest → the work's fingerprintHash; stored.cid → where gateways fetch the file
 */
export async function storeFingerprint(store: ContentStore, fp: Fingerprint): Promise<StoredFingerprint> {
  const bytes = encodeFingerprint(fp);
  const cid = await store.put(bytes);
  return { cid, digest: fingerprintDigest(fp), size: bytes.length };
}

/**
 * Throws `FINGERPRINT_DIGEST_MISMATCH` unless the fingerprint's digest is `expected` (case-insensitive 0x-hex);
 * `where` names what it was checked against, for the message.
 */
export function checkFingerprintDigest(fp: Fingerprint, expected: string, where = "the expected digest"): void {
  const actual = fingerprintDigest(fp);
  if (actual !== expected.toLowerCase()) {
    throw new CrossproofError(
      "FINGERPRINT_DIGEST_MISMATCH",
      `the fingerprint's digest ${actual} is not ${where} (${expected.toLowerCase()})`,
      { details: { expected: expected.toLowerCase(), actual } },
    );
  }
}

/**
 * Fetches a fingerprint file by CID, validates it (`FINGERPRINT_INVALID`) and, when `digest` is given (the work
 * record's), checks it (`FINGERPRINT_DIGEST_MISMATCH`). Store failures are the store's own errors
 * (`CONTENT_NOT_FOUND`, `CONTENT_STORE_ERROR`).
 */
export async function loadFingerprint(
  store: ContentStore,
  cid: string,
  options: { digest?: string; maxBytes?: number } = {},
): Promise<{ fingerprint: Fingerprint; bytes: Uint8Array }> {
  const bytes = await store.getBytes(cid, options.maxBytes ?? MAX_FINGERPRINT_BYTES);
  const fingerprint = decodeFingerprint(bytes);
  if (options.digest !== undefined)
    checkFingerprintDigest(fingerprint, options.digest, `the digest on record for ${cid}`);
  return { fingerprint, bytes };
}
