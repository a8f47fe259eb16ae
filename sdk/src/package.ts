import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import {
  GeneralEncrypt,
  calculateJwkThumbprint,
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
import { toMemberPublicJwk, type PublicJwkRefusal } from "./member-keys";
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
 * Files of any size go through in constant memory. Adding a recipient later re-wraps the small envelope only
 * ({@link rewrapPackage}): the new package links the same `files/…` blocks, so its CID changes and its package hash
 * does not.
 * A recipient who holds the file key can also decrypt the files with the standard `age` tool.
 */
export const PACKAGE_FORMAT = "crossproof-package/1";
/** The envelope's name in a package directory (the files are `files/0`, `files/1`, …). */
export const PACKAGE_ENVELOPE_PATH = "envelope.jwe.json";
const ENVELOPE_PATH = PACKAGE_ENVELOPE_PATH;
const KEY_ALG = "ECDH-ES+A256KW";
const CONTENT_ENC = "A256GCM";
/** The largest envelope read (it holds the manifest and one wrapped key per recipient). */
export const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

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
 * Generates a recipient key pair for package encryption. Its `kid` is the public key's RFC 7638 thumbprint — the id
 * the Consortium registers it under, so that a package sealed for a registered key names it — unless a label is
 * given (keys that are never registered).
 * @example
 * const { publicKey, privateKey } = await generateRecipientKey();
 */
export async function generateRecipientKey(
  label?: string,
  curve: "X25519" | "P-256" = "X25519",
): Promise<{ publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey }> {
  const pair = await generateKeyPair(KEY_ALG, { crv: curve, extractable: true });
  const kid = label ?? (await calculateJwkThumbprint(await exportJWK(pair.publicKey), "sha256"));
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

  const envelope = await wrapEnvelope(payload, contentHash, p.recipients);

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

/**
 * The envelope: the payload encrypted once (`A256GCM`), its key wrapped for each recipient (`ECDH-ES+A256KW`, the
 * recipient's `kid` in its unprotected header); the protected header carries the package hash.
 */
async function wrapEnvelope(
  payload: Uint8Array,
  contentHash: Hex,
  recipients: readonly RecipientPublicKey[],
): Promise<GeneralJWE> {
  try {
    const jwe = new GeneralEncrypt(payload).setProtectedHeader({
      enc: CONTENT_ENC,
      cty: "application/vnd.crossproof.package+json",
      "crossproof.format": PACKAGE_FORMAT,
      "crossproof.contentHash": contentHash,
    });
    for (const r of recipients) {
      jwe.addRecipient(await importJWK({ ...r.jwk, alg: KEY_ALG }, KEY_ALG)).setUnprotectedHeader({
        alg: KEY_ALG,
        kid: r.kid,
      });
    }
    return await jwe.encrypt();
  } catch (cause) {
    throw new CrossproofError("ENCRYPTION_ERROR", `cannot wrap the package key: ${String(cause)}`, { cause });
  }
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

/**
 * The public part of a package's envelope given as bytes (`envelope.jwe.json`, before it is stored): what
 * {@link readPackageHeader} reads from a store. `DECRYPTION_FAILED` when the bytes are no crossproof envelope.
 */
export function packageHeaderOf(envelope: Uint8Array): PackageHeader {
  return headerOf(parseEnvelope(envelope, "the envelope"));
}

async function readEnvelope(store: ContentStore, cid: string): Promise<GeneralJWE> {
  return parseEnvelope(await store.getBytes(`${cid}/${ENVELOPE_PATH}`, MAX_ENVELOPE_BYTES), `package ${cid}`);
}

function parseEnvelope(bytes: Uint8Array, what: string): GeneralJWE {
  try {
    const jwe = JSON.parse(Buffer.from(bytes).toString("utf8")) as GeneralJWE;
    if (typeof jwe.protected !== "string" || !Array.isArray(jwe.recipients)) throw new Error("not a General JWE");
    return jwe;
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `${what} has no readable envelope`, { cause });
  }
}

function headerOf(jwe: GeneralJWE): PackageHeader {
  let h: Record<string, unknown>;
  try {
    h = decodeProtectedHeader(jwe) as Record<string, unknown>;
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `the envelope's protected header is not readable`, { cause });
  }
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

/** The envelope's plaintext. */
type EnvelopePayload = z.infer<typeof envelopePayloadSchema>;

/** Refuses a package that is not the anchored one (its envelope states another package hash). */
function checkExpectedHash(cid: string, header: PackageHeader, expected: string | undefined): void {
  if (expected !== undefined && header.contentHash.toLowerCase() !== expected.toLowerCase()) {
    throw new CrossproofError(
      "MANIFEST_HASH_MISMATCH",
      `package ${cid} holds ${header.contentHash}, not the anchored ${expected}`,
    );
  }
}

/**
 * Decrypts the envelope with a recipient's key and checks its manifest against the package hash the envelope
 * states: `NOT_A_RECIPIENT`, `DECRYPTION_FAILED` (the message names the envelope), `MANIFEST_HASH_MISMATCH`.
 */
async function decryptEnvelope(
  cid: string,
  jwe: GeneralJWE,
  header: PackageHeader,
  recipientKey: RecipientPrivateKey,
): Promise<{ plaintext: Uint8Array; payload: EnvelopePayload; manifest: EvidenceManifest }> {
  if (!header.recipients.includes(recipientKey.kid)) {
    throw new CrossproofError("NOT_A_RECIPIENT", `key ${recipientKey.kid} is not a recipient of package ${cid}`, {
      details: { recipients: header.recipients },
    });
  }
  const mine: GeneralJWE = { ...jwe, recipients: jwe.recipients.filter((r) => r.header?.kid === recipientKey.kid) };
  let plaintext: Uint8Array;
  try {
    const key = await importJWK({ ...recipientKey.jwk, alg: KEY_ALG }, KEY_ALG);
    plaintext = (await generalDecrypt(mine, key, { keyManagementAlgorithms: [KEY_ALG] })).plaintext;
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `cannot decrypt the envelope of ${cid}: ${String(cause)}`, {
      cause,
    });
  }
  let payload: EnvelopePayload;
  try {
    payload = envelopePayloadSchema.parse(JSON.parse(Buffer.from(plaintext).toString("utf8")));
  } catch (cause) {
    throw new CrossproofError("DECRYPTION_FAILED", `the envelope of ${cid} is malformed`, { cause });
  }
  const manifest = parseManifest(payload.manifest);
  const actualHash = await manifestHash(manifest);
  if (actualHash !== header.contentHash.toLowerCase()) {
    throw new CrossproofError("MANIFEST_HASH_MISMATCH", `the manifest of ${cid} hashes to ${actualHash}`);
  }
  return { plaintext, payload, manifest };
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
  checkExpectedHash(p.cid, header, p.expectedContentHash);
  const { payload, manifest } = await decryptEnvelope(p.cid, jwe, header, p.recipientKey);

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

// ------------------------------------------------------------------------------------------------------------------
// Sharing: re-wrapping the envelope for more recipients
// ------------------------------------------------------------------------------------------------------------------

/** Why a recipient key was refused (`details.reason` of `RECIPIENT_KEY_INVALID`). */
export type RecipientKeyRefusal = PublicJwkRefusal | "KID_MISMATCH";

/** A lookup of a current recipient's public key by its key id (undefined: not known). */
export type RecipientKeyResolver = (
  kid: string,
) => Promise<RecipientPublicKey | undefined> | RecipientPublicKey | undefined;

const THUMBPRINT_KID = /^[A-Za-z0-9_-]{43}$/;

const refuseKey = (kid: string, reason: RecipientKeyRefusal, message: string, cause?: unknown) =>
  new CrossproofError("RECIPIENT_KEY_INVALID", `recipient key ${kid}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { kid, reason },
  });

/**
 * Checks a recipient's public key: an ECDH-ES key (OKP X25519 or EC P-256), public members only, a point of its
 * curve, and its key id consistent with it — the JWK's own `kid` if it has one, and, for a key id shaped like an
 * RFC 7638 thumbprint (as the Consortium's are), the JWK's thumbprint. A key registered under a thumbprint can
 * therefore not be swapped for another one under the same id. Returns the key reduced to its public members.
 */
export async function checkRecipientPublicKey(r: RecipientPublicKey): Promise<RecipientPublicKey> {
  const kid = typeof r.kid === "string" ? r.kid : "";
  if (kid === "") throw refuseKey(String(r.kid), "MALFORMED_JWK", "the key id is empty");
  let jwk;
  try {
    jwk = toMemberPublicJwk(r.jwk);
  } catch (err) {
    const reason = ((err as CrossproofError).details?.reason as PublicJwkRefusal | undefined) ?? "MALFORMED_JWK";
    throw refuseKey(kid, reason, (err as Error).message, err);
  }
  if (jwk.crv === "Ed25519") {
    throw refuseKey(kid, "UNSUPPORTED_KEY_TYPE", "an Ed25519 key signs; packages are wrapped for X25519 or P-256 keys");
  }
  if (r.jwk.kid !== undefined && r.jwk.kid !== kid) {
    throw refuseKey(kid, "KID_MISMATCH", `the JWK names itself ${r.jwk.kid}`);
  }
  try {
    await importJWK({ ...jwk, alg: KEY_ALG }, KEY_ALG);
  } catch (cause) {
    throw refuseKey(kid, "NOT_ON_CURVE", `the ${jwk.crv} public key does not import`, cause);
  }
  if (THUMBPRINT_KID.test(kid) && (await calculateJwkThumbprint(jwk, "sha256")) !== kid) {
    throw refuseKey(kid, "KID_MISMATCH", "the key id is not the JWK's RFC 7638 thumbprint");
  }
  return { kid, jwk: { ...jwk, kid } };
}

/** The public half of a recipient's private JWK (its required public members). */
function publicHalf(key: RecipientPrivateKey): RecipientPublicKey {
  const { kty, crv, x, y } = key.jwk;
  return { kid: key.kid, jwk: { kty, crv, x, ...(y === undefined ? {} : { y }) } };
}

export interface RewrapPackageParameters {
  /** The package to share. */
  cid: string;
  store: ContentStore;
  /** The private key of one of the package's recipients (the holder): it opens the envelope, and only the envelope. */
  holderKey: RecipientPrivateKey;
  /** The recipient(s) to add (with `replace`: the new envelope's only recipients). */
  recipients: readonly RecipientPublicKey[];
  /**
   * The public keys of the package's current recipients, found by key id: a list, or a lookup (`sharePackage`
   * looks them up among the members' registered encryption keys). The holder's own is derived from `holderKey`.
   * Every current recipient must be found (`RECIPIENT_KEY_UNKNOWN` otherwise), unless `replace` is set.
   */
  currentRecipients?: readonly RecipientPublicKey[] | RecipientKeyResolver;
  /**
   * The new envelope is for `recipients` only: the current recipients are not carried over. Not a revocation —
   * the file key is unchanged, and the previous package still opens with their keys.
   */
  replace?: boolean;
  /** The package hash anchored on chain; the package must match it. */
  expectedContentHash?: string;
}

export interface RewrappedPackage {
  /** The new package's CID (a new envelope beside the same `files/…`): record it in a RecipientAdded event. */
  cid: string;
  /** The package hash: unchanged. */
  contentHash: Hex;
  /** The new envelope's recipients (key ids): those carried over, then those added. */
  recipients: string[];
  /** The key ids added. */
  added: string[];
  /** The `files` directory, linked as it was: the same CID in the old and the new package. */
  filesCid: string;
  /** Each encrypted file's CID, unchanged. */
  files: { path: string; object: string; cid: string }[];
}

/**
 * Shares a package with more recipients without touching its files: decrypts only the envelope, with a current
 * recipient's key, and wraps the same plaintext (manifest and file key) again for the current recipients plus the
 * new ones. The new package is the new envelope beside the very `files` directory of the old one — linked by CID,
 * not re-encrypted or re-sent — so its package hash is unchanged and its CID is new. Record it on chain with a
 * RecipientAdded custody event (`EvidenceClient.signAddRecipient`), or let {@link sharePackage} do it all.
 *
 * Never drops a current recipient silently: each one's public key must be given or found, unless `replace`.
 *
 * Errors: `NOT_A_RECIPIENT` (the holder's key is not among the recipients), `DECRYPTION_FAILED` (the envelope does
 * not decrypt with it), `MANIFEST_HASH_MISMATCH` (the manifest does not hash to the package hash, or the package is
 * not the one expected), `RECIPIENT_KEY_UNKNOWN` (a current recipient's public key was not given; `details.kids`),
 * `RECIPIENT_KEY_INVALID` (a key that cannot receive a package; `details.reason` a {@link RecipientKeyRefusal}),
 * `ALREADY_A_RECIPIENT` (a key added is a current recipient), `INVALID_ARGUMENT`, `CONTENT_NOT_FOUND`.
 * @example
 * const shared = await rewrapPackage({ cid, store, holderKey: frAgencyKey, recipients: [deCourtKey],
 *   currentRecipients: [nlOperatorKey] });
 * await evidence.signAddRecipient(frSigner, { recordId, recipient: 2, packageCid: shared.cid });
 */
export async function rewrapPackage(p: RewrapPackageParameters): Promise<RewrappedPackage> {
  if (p.recipients.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "no recipient to add");
  const jwe = await readEnvelope(p.store, p.cid);
  const header = headerOf(jwe);
  checkExpectedHash(p.cid, header, p.expectedContentHash);
  if (!header.recipients.includes(p.holderKey.kid)) {
    throw new CrossproofError("NOT_A_RECIPIENT", `key ${p.holderKey.kid} is not a recipient of package ${p.cid}`, {
      details: { recipients: header.recipients },
    });
  }
  const added = await Promise.all(p.recipients.map(checkRecipientPublicKey));
  if (new Set(added.map((r) => r.kid)).size !== added.length) {
    throw new CrossproofError("INVALID_ARGUMENT", "recipient key ids must be distinct");
  }
  const replace = p.replace === true;
  const already = replace ? [] : added.filter((r) => header.recipients.includes(r.kid)).map((r) => r.kid);
  if (already.length > 0) {
    throw new CrossproofError("ALREADY_A_RECIPIENT", `already a recipient of package ${p.cid}: ${already.join(", ")}`, {
      details: { kids: already },
    });
  }
  const { plaintext, payload } = await decryptEnvelope(p.cid, jwe, header, p.holderKey);
  const current = replace ? [] : await currentRecipientKeys(header.recipients, p);

  const envelope = await wrapEnvelope(plaintext, header.contentHash, [...current, ...added]);
  const rewrapped = headerOf(envelope);
  if (rewrapped.contentHash !== header.contentHash) {
    throw new CrossproofError("ENCRYPTION_ERROR", "the new envelope does not state the package hash");
  }
  const files = await Promise.all(
    payload.files.map(async (f) => ({ ...f, cid: await p.store.resolve(`${p.cid}/${f.object}`) })),
  );
  const filesCid = await p.store.resolve(`${p.cid}/files`);
  const envelopeCid = await p.store.put(new TextEncoder().encode(JSON.stringify(envelope)));
  const cid = await p.store.linkDirectory([
    { name: ENVELOPE_PATH, cid: envelopeCid },
    { name: "files", cid: filesCid },
  ]);
  return {
    cid,
    contentHash: header.contentHash,
    recipients: rewrapped.recipients,
    added: added.map((r) => r.kid),
    filesCid,
    files: files.map((f) => ({ path: f.path, object: f.object, cid: f.cid })),
  };
}

/** The public keys of the envelope's recipients, in its order: the holder's from its key, the others given. */
async function currentRecipientKeys(
  kids: readonly string[],
  p: RewrapPackageParameters,
): Promise<RecipientPublicKey[]> {
  const given = p.currentRecipients;
  const lookup: RecipientKeyResolver =
    given === undefined
      ? () => undefined
      : typeof given === "function"
        ? given
        : (kid) => given.find((r) => r.kid === kid);
  const found: (RecipientPublicKey | undefined)[] = [];
  for (const kid of kids) {
    const key = kid === p.holderKey.kid ? publicHalf(p.holderKey) : await lookup(kid);
    found.push(key === undefined ? undefined : await checkRecipientPublicKey({ ...key, kid }));
  }
  const missing = kids.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new CrossproofError(
      "RECIPIENT_KEY_UNKNOWN",
      `no public key for ${missing.length === 1 ? "the current recipient" : "the current recipients"} ` +
        `${missing.join(", ")}: give it, or pass replace to leave ${missing.length === 1 ? "it" : "them"} out`,
      { details: { kids: missing } },
    );
  }
  return found as RecipientPublicKey[];
}
