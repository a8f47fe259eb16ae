import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import {
  GeneralEncrypt,
  decodeProtectedHeader,
  exportJWK,
  generalDecrypt,
  generateKeyPair,
  importJWK,
  type GeneralJWE,
  type JWK,
} from "jose";
import { z } from "zod";
import type { Hex } from "./eip712";
import { decryptAge, encryptAge } from "./age";
import { CrossproofError } from "./errors";
import { readFileChunks } from "./hash";
import {
  manifestHash,
  parseManifest,
  type EvidenceManifest,
  type EvidenceManifestInput,
  type PackageFileSource,
} from "./manifest";
import type { ContentStore } from "./store";

/**
 * Evidence packages, encrypted for their recipients before they are stored.
 *
 * Layout (a UnixFS directory; its CID is what goes on chain):
 * - `envelope.jwe.json`: a JWE (General JSON serialisation, `ECDH-ES+A256KW` per recipient, `A256GCM`) whose
 *   plaintext holds the manifest and the package's file key; its protected header carries the package hash, so
 *   anyone can match a stored package to its anchor without decrypting it.
 * - `files/<i>`: each evidence file, encrypted as an age v1 stream (ChaCha20-Poly1305 in 64 KiB chunks; a
 *   changed, dropped, reordered or truncated chunk fails authentication) to a fresh X25519 identity generated
 *   for this package. That identity is the file key wrapped in the JWE.
 *
 * Files of any size go through in constant memory. Adding a recipient later re-wraps the small envelope only.
 * A recipient who holds the file key can also decrypt the files with the standard `age` tool.
 */
export const PACKAGE_FORMAT = "crossproof-package/1";
const ENVELOPE_PATH = "envelope.jwe.json";
const KEY_ALG = "ECDH-ES+A256KW";
const CONTENT_ENC = "A256GCM";
const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

/** A recipient's public key (JWK: OKP X25519 or EC P-256) and its key id. */
export interface RecipientPublicKey {
  kid: string;
  jwk: JWK;
}
/** A recipient's private key (JWK) and its key id. Keep it in an HSM or a key vault in production. */
export interface RecipientPrivateKey {
  kid: string;
  jwk: JWK;
}

/**
 * Generates a recipient key pair for package encryption.
 * @example
 * const { publicKey, privateKey } = await generateRecipientKey("de-court-2026");
 */
export async function generateRecipientKey(
  kid: string,
  curve: "X25519" | "P-256" = "X25519",
): Promise<{ publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey }> {
  const pair = await generateKeyPair(KEY_ALG, { crv: curve, extractable: true });
  return {
    publicKey: { kid, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: KEY_ALG, use: "enc" } },
    privateKey: { kid, jwk: { ...(await exportJWK(pair.privateKey)), kid, alg: KEY_ALG, use: "enc" } },
  };
}

const envelopePayloadSchema = z
  .object({
    format: z.literal(PACKAGE_FORMAT),
    manifest: z.unknown(),
    fileKey: z.string().startsWith("AGE-SECRET-KEY-1"),
    files: z.array(z.object({ path: z.string(), object: z.string().regex(/^files\/\d+$/) }).strict()),
  })
  .strict();

// ------------------------------------------------------------------------------------------------------------------
// Streams
// ------------------------------------------------------------------------------------------------------------------

/**
 * Encrypts a stream as age v1 to one age recipient (`age1…`), in constant memory, with the payload on Node's native
 * ChaCha20-Poly1305 (see `./age`). Lower level than {@link sealPackage}; exposed for tools and tests. The output
 * comes in pieces (each 64 KiB chunk's ciphertext, then its tag): gather them before writing them one by one.
 */
export function encryptStream(source: AsyncIterable<Uint8Array>, ageRecipient: string): AsyncIterable<Uint8Array> {
  return encryptAge(source, [ageRecipient]);
}

/**
 * Decrypts an age v1 stream with an age identity (`AGE-SECRET-KEY-1…`), in constant memory. A modified,
 * truncated, extended or reordered stream fails with `DECRYPTION_FAILED` before the damaged chunk is released.
 */
export function decryptStream(source: AsyncIterable<Uint8Array>, ageIdentity: string): AsyncIterable<Uint8Array> {
  return decryptAge(source, [ageIdentity]);
}

/** Passes chunks through while hashing them; at the end, checks size and SHA-256 against what the manifest says. */
async function* verifiedPlaintext(
  source: AsyncIterable<Uint8Array>,
  expected: { path: string; size: number; sha256: string },
  onBytes?: (n: number) => void,
): AsyncIterable<Uint8Array> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.byteLength;
    onBytes?.(chunk.byteLength);
    yield chunk;
  }
  const sha256 = hash.digest("hex");
  if (size !== expected.size || sha256 !== expected.sha256) {
    throw new CrossproofError(
      "FILE_HASH_MISMATCH",
      `${expected.path} changed after it was hashed: ${size} bytes sha256 ${sha256}, manifest says ${expected.size} bytes sha256 ${expected.sha256}`,
      { details: { path: expected.path, size, sha256 } },
    );
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Sealing
// ------------------------------------------------------------------------------------------------------------------

export interface SealPackageParameters {
  /** The package manifest (validated here); its hash becomes the package hash. */
  manifest: EvidenceManifestInput;
  /** Where each manifest file is on disk (matched by `path`). */
  files: readonly PackageFileSource[];
  /** Who may open the package. */
  recipients: readonly RecipientPublicKey[];
  store: ContentStore;
  /** Plaintext bytes encrypted so far. */
  onProgress?: (bytesDone: number) => void;
}

export interface SealedPackage {
  /** CID of the encrypted package (a UnixFS directory): anchor this as `packageCid`. */
  cid: string;
  /** SHA-256 of the canonical manifest: anchor this as `contentHash`. */
  contentHash: Hex;
  manifest: EvidenceManifest;
  recipients: string[];
}

/**
 * Encrypts an evidence package for its recipients and stores it. Each file is re-hashed while it is encrypted: a
 * file changed since the manifest was built fails with `FILE_HASH_MISMATCH` and nothing is returned.
 * @example
 * const sealed = await sealPackage({ manifest, files, recipients: [frAgencyKey, deCourtKey], store });
 * // anchor sealed.contentHash and cidToBytes(sealed.cid)
 */
export async function sealPackage(p: SealPackageParameters): Promise<SealedPackage> {
  const manifest = parseManifest(p.manifest);
  if (p.recipients.length === 0)
    throw new CrossproofError("INVALID_ARGUMENT", "a package needs at least one recipient");
  if (new Set(p.recipients.map((r) => r.kid)).size !== p.recipients.length) {
    throw new CrossproofError("INVALID_ARGUMENT", "recipient key ids must be distinct");
  }
  const sources = new Map(p.files.map((f) => [f.path.normalize("NFC"), f.source]));
  for (const f of manifest.files) {
    if (!sources.has(f.path)) throw new CrossproofError("INVALID_ARGUMENT", `no source given for ${f.path}`);
  }
  if (sources.size !== manifest.files.length) {
    throw new CrossproofError("INVALID_ARGUMENT", "files were given that the manifest does not list");
  }
  const contentHash = await manifestHash(manifest);
  const fileKey = await generateX25519Identity();
  const fileRecipient = await identityToRecipient(fileKey);
  const objects = manifest.files.map((f, i) => ({ path: f.path, object: `files/${i}` }));
  const payload = new TextEncoder().encode(
    JSON.stringify({ format: PACKAGE_FORMAT, manifest, fileKey, files: objects }),
  );

  let envelope: GeneralJWE;
  try {
    const jwe = new GeneralEncrypt(payload).setProtectedHeader({
      enc: CONTENT_ENC,
      cty: "application/vnd.crossproof.package+json",
      "crossproof.format": PACKAGE_FORMAT,
      "crossproof.contentHash": contentHash,
    });
    for (const r of p.recipients) {
      jwe.addRecipient(await importJWK({ ...r.jwk, alg: KEY_ALG }, KEY_ALG)).setUnprotectedHeader({
        alg: KEY_ALG,
        kid: r.kid,
      });
    }
    envelope = await jwe.encrypt();
  } catch (cause) {
    throw new CrossproofError("ENCRYPTION_ERROR", `cannot wrap the package key: ${String(cause)}`, { cause });
  }

  let done = 0;
  const onBytes = (n: number) => {
    done += n;
    p.onProgress?.(done);
  };
  const entries = [
    { path: ENVELOPE_PATH, content: new TextEncoder().encode(JSON.stringify(envelope)) },
    ...manifest.files.map((f, i) => ({
      path: objects[i]!.object,
      // Read into reused buffers (the encryptor keeps nothing of a chunk); the store regroups the ciphertext
      // into 1 MiB blocks before its importer.
      content: encryptStream(verifiedPlaintext(readFileChunks(sources.get(f.path)!), f, onBytes), fileRecipient),
    })),
  ];
  const cid = await p.store.putDirectory(entries).catch((err: unknown) => {
    throw unwrapStoreError(err);
  });
  return { cid, contentHash, manifest, recipients: p.recipients.map((r) => r.kid) };
}

/** A hash mismatch raised inside a store import surfaces as itself, not as a store failure. */
function unwrapStoreError(err: unknown): unknown {
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    if (e instanceof CrossproofError && e.code !== "CONTENT_STORE_ERROR") return e;
  }
  return err;
}

// ------------------------------------------------------------------------------------------------------------------
// Opening
// ------------------------------------------------------------------------------------------------------------------

/** What the envelope says publicly (no key needed). */
export interface PackageHeader {
  format: string;
  contentHash: Hex;
  recipients: string[];
}

/** Reads the public part of a stored package: its format, package hash and recipient key ids. */
export async function readPackageHeader(store: ContentStore, cid: string): Promise<PackageHeader> {
  return headerOf(await readEnvelope(store, cid));
}

async function readEnvelope(store: ContentStore, cid: string): Promise<GeneralJWE> {
  const bytes = await store.getBytes(`${cid}/${ENVELOPE_PATH}`, MAX_ENVELOPE_BYTES);
  try {
    const jwe = JSON.parse(Buffer.from(bytes).toString("utf8")) as GeneralJWE;
    if (typeof jwe.protected !== "string" || !Array.isArray(jwe.recipients)) throw new Error("not a General JWE");
    return jwe;
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `package ${cid} has no readable envelope`, { cause });
  }
}

function headerOf(jwe: GeneralJWE): PackageHeader {
  const h = decodeProtectedHeader(jwe) as Record<string, unknown>;
  const contentHash = h["crossproof.contentHash"];
  if (h["crossproof.format"] !== PACKAGE_FORMAT || typeof contentHash !== "string") {
    throw new CrossproofError("DECRYPTION_FAILED", `not a ${PACKAGE_FORMAT} envelope`);
  }
  return {
    format: PACKAGE_FORMAT,
    contentHash: contentHash as Hex,
    recipients: jwe.recipients.map((r) => String(r.header?.kid ?? "")),
  };
}

export interface OpenPackageParameters {
  cid: string;
  store: ContentStore;
  recipientKey: RecipientPrivateKey;
  /** Folder the files are written to (created if needed). */
  outputDir: string;
  /** The package hash anchored on chain; the package must match it. */
  expectedContentHash?: string;
  onProgress?: (bytesDone: number) => void;
}

export interface OpenedPackage {
  contentHash: Hex;
  manifest: EvidenceManifest;
  files: { path: string; size: number; sha256: string; outputPath: string }[];
}

/**
 * Decrypts a package with a recipient's private key and writes its files, each verified against the manifest
 * (size and SHA-256) before it appears under its name. Record the access on chain afterwards (an Accessed
 * custody event).
 *
 * Errors: `NOT_A_RECIPIENT` (the key is not among the recipients), `DECRYPTION_FAILED` (envelope or a file
 * stream tampered with or truncated), `MANIFEST_HASH_MISMATCH` (the package is not the anchored one),
 * `FILE_HASH_MISMATCH`.
 */
export async function openPackage(p: OpenPackageParameters): Promise<OpenedPackage> {
  const jwe = await readEnvelope(p.store, p.cid);
  const header = headerOf(jwe);
  if (p.expectedContentHash !== undefined && header.contentHash.toLowerCase() !== p.expectedContentHash.toLowerCase()) {
    throw new CrossproofError(
      "MANIFEST_HASH_MISMATCH",
      `package ${p.cid} holds ${header.contentHash}, not the anchored ${p.expectedContentHash}`,
    );
  }
  if (!header.recipients.includes(p.recipientKey.kid)) {
    throw new CrossproofError("NOT_A_RECIPIENT", `key ${p.recipientKey.kid} is not a recipient of package ${p.cid}`, {
      details: { recipients: header.recipients },
    });
  }
  const mine: GeneralJWE = { ...jwe, recipients: jwe.recipients.filter((r) => r.header?.kid === p.recipientKey.kid) };
  let plaintext: Uint8Array;
  try {
    const key = await importJWK({ ...p.recipientKey.jwk, alg: KEY_ALG }, KEY_ALG);
    plaintext = (await generalDecrypt(mine, key, { keyManagementAlgorithms: [KEY_ALG] })).plaintext;
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `cannot decrypt the envelope of ${p.cid}: ${String(cause)}`, {
      cause,
    });
  }
  let payload: z.infer<typeof envelopePayloadSchema>;
  try {
    payload = envelopePayloadSchema.parse(JSON.parse(Buffer.from(plaintext).toString("utf8")));
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `the envelope of ${p.cid} is malformed`, { cause });
  }
  const manifest = parseManifest(payload.manifest);
  const actualHash = await manifestHash(manifest);
  if (actualHash !== header.contentHash.toLowerCase()) {
    throw new CrossproofError("MANIFEST_HASH_MISMATCH", `the manifest of ${p.cid} hashes to ${actualHash}`);
  }

  const outRoot = path.resolve(p.outputDir);
  mkdirSync(outRoot, { recursive: true });
  let done = 0;
  const files: OpenedPackage["files"] = [];
  for (const f of manifest.files) {
    const object = payload.files.find((o) => o.path === f.path)?.object;
    if (object === undefined) throw new CrossproofError("DECRYPTION_FAILED", `no object for ${f.path} in ${p.cid}`);
    const outputPath = path.resolve(outRoot, f.path);
    if (!outputPath.startsWith(outRoot + path.sep)) {
      throw new CrossproofError("INVALID_MANIFEST", `file path escapes the output folder: ${f.path}`);
    }
    mkdirSync(path.dirname(outputPath), { recursive: true });
    const partial = `${outputPath}.partial`;
    try {
      await pipeline(
        Readable.from(
          verifiedPlaintext(decryptStream(p.store.get(`${p.cid}/${object}`), payload.fileKey), f, (n) => {
            done += n;
            p.onProgress?.(done);
          }),
        ),
        createWriteStream(partial),
      );
    } catch (err) {
      rmSync(partial, { force: true });
      throw unwrapStoreError(err);
    }
    renameSync(partial, outputPath);
    files.push({ path: f.path, size: f.size, sha256: f.sha256, outputPath });
  }
  return { contentHash: header.contentHash, manifest, files };
}
