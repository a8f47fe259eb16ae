import { getBytes, hexlify, sha256, toUtf8Bytes, toUtf8String } from "ethers";
import { base64url, calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { JoseAlgorithm, type KeyAlgorithmName, type KeyPurposeName } from "./constants";
import type { Hex } from "./eip712";
import { CrossproofError } from "./errors";

/**
 * Members' public keys — report keys (they sign verification reports as JWS) and encryption keys (evidence packages
 * are wrapped for them as JWE) — as JWKs, and their key ids.
 *
 * A key's id is its RFC 7638 JWK thumbprint (SHA-256 over the JSON of its required members, in lexicographic order,
 * without whitespace): the `kid` a JOSE verifier sees in a JWS header, base64url-encoded, and the `bytes32` key id
 * the Consortium stores it under (for the member that registered it). The contract takes the key as exactly that
 * thumbprint input and checks `keyId == sha256(jwk)`, so the emitted JWK commits to the key id by construction.
 *
 * Supported keys: EC P-256 (ES256 report keys, ECDH-ES encryption keys), OKP Ed25519 (EdDSA report keys), OKP X25519
 * (ECDH-ES encryption keys). Ethereum's secp256k1 is not among them: `jose` does not support it.
 */

/** An EC P-256 public key. */
export interface EcP256PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
}
/** An OKP public key: Ed25519 (signatures) or X25519 (key agreement). */
export interface OkpPublicJwk {
  kty: "OKP";
  crv: "Ed25519" | "X25519";
  x: string;
}
/** A member public key, reduced to its required members (the RFC 7638 thumbprint input). */
export type MemberPublicJwk = EcP256PublicJwk | OkpPublicJwk;

/** Why a JWK was refused (`details.reason` of the `INVALID_ARGUMENT` error). */
export type PublicJwkRefusal =
  "PRIVATE_KEY_MATERIAL" | "UNSUPPORTED_KEY_TYPE" | "MALFORMED_JWK" | "NOT_ON_CURVE" | "ALGORITHM_MISMATCH";

const refuse = (reason: PublicJwkRefusal, message: string, cause?: unknown): CrossproofError =>
  new CrossproofError("INVALID_ARGUMENT", message, { details: { reason }, cause });

/** JWK members that carry private or secret key material (RFC 7518 §6, RFC 8037 §2, the AKP draft). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"] as const;

/** Refuses a JWK that carries private or secret key material: only public keys are registered or published. */
export function refusePrivateKeyMaterial(jwk: unknown): void {
  if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) {
    throw refuse("MALFORMED_JWK", "a JWK must be a JSON object");
  }
  const found = PRIVATE_MEMBERS.filter((m) => Object.prototype.hasOwnProperty.call(jwk, m));
  if (found.length > 0) {
    throw refuse(
      "PRIVATE_KEY_MATERIAL",
      `the JWK carries private key material (${found.join(", ")}): pass the public key only`,
    );
  }
}

/** A 32-byte coordinate as base64url without padding, in its one canonical spelling (43 characters). */
function coordinate(jwk: Record<string, unknown>, name: "x" | "y"): string {
  const v = jwk[name];
  if (typeof v !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(v)) {
    throw refuse("MALFORMED_JWK", `the JWK's "${name}" is not 32 bytes in base64url`);
  }
  const bytes = base64url.decode(v);
  if (bytes.length !== 32 || base64url.encode(bytes) !== v) {
    throw refuse("MALFORMED_JWK", `the JWK's "${name}" is not canonical base64url of 32 bytes`);
  }
  return v;
}

/**
 * Checks the shape of a member public key and reduces it to its required members: EC P-256, OKP Ed25519 or OKP
 * X25519, public members only, coordinates 32 bytes in canonical base64url. Other members (`kid`, `use`, `alg`,
 * `key_ops`, ...) are allowed and dropped. Does not check that the point is on the curve: see
 * {@link validateMemberPublicJwk}.
 * @throws `CrossproofError("INVALID_ARGUMENT")` with `details.reason` a {@link PublicJwkRefusal}.
 */
export function toMemberPublicJwk(jwk: unknown): MemberPublicJwk {
  refusePrivateKeyMaterial(jwk);
  const j = jwk as Record<string, unknown>;
  if (j.kty === "EC" && j.crv === "P-256")
    return { kty: "EC", crv: "P-256", x: coordinate(j, "x"), y: coordinate(j, "y") };
  if (j.kty === "OKP" && (j.crv === "Ed25519" || j.crv === "X25519"))
    return { kty: "OKP", crv: j.crv, x: coordinate(j, "x") };
  throw refuse(
    "UNSUPPORTED_KEY_TYPE",
    `unsupported key ${String(j.kty)}/${String(j.crv)}: member keys are EC P-256, OKP Ed25519 or OKP X25519`,
  );
}

/**
 * As {@link toMemberPublicJwk}, and the key imports as a public key of its curve (a P-256 point off the curve is
 * refused with reason `NOT_ON_CURVE`).
 */
export async function validateMemberPublicJwk(jwk: unknown): Promise<MemberPublicJwk> {
  const key = toMemberPublicJwk(jwk);
  const alg = key.crv === "Ed25519" ? "EdDSA" : key.crv === "X25519" ? "ECDH-ES" : "ES256";
  try {
    await importJWK(key, alg);
  } catch (cause) {
    throw refuse("NOT_ON_CURVE", `the ${key.crv} public key does not import: not a point of the curve`, cause);
  }
  return key;
}

/**
 * The RFC 7638 thumbprint input of a member key: the JSON of its required members in lexicographic order, without
 * whitespace. This is also the `jwk` the Consortium takes and emits.
 */
export function jwkThumbprintInput(jwk: MemberPublicJwk): string {
  const k = toMemberPublicJwk(jwk);
  return k.kty === "EC"
    ? JSON.stringify({ crv: k.crv, kty: k.kty, x: k.x, y: k.y })
    : JSON.stringify({ crv: k.crv, kty: k.kty, x: k.x });
}

/** The `jwk` bytes of `AddOwnPublicKey`: the UTF-8 RFC 7638 thumbprint input. */
export function encodePublicJwk(jwk: MemberPublicJwk): Hex {
  return hexlify(toUtf8Bytes(jwkThumbprintInput(jwk))) as Hex;
}

/**
 * Reads the `jwk` bytes of a `PublicKeyAdded` event back: a member public key, spelled exactly as its thumbprint
 * input (anything else is refused with reason `MALFORMED_JWK`).
 */
export function decodePublicJwk(bytes: string | Uint8Array): MemberPublicJwk {
  let parsed: unknown;
  let text: string;
  try {
    text = toUtf8String(typeof bytes === "string" ? getBytes(bytes) : bytes);
    parsed = JSON.parse(text);
  } catch (cause) {
    throw refuse("MALFORMED_JWK", "the public key is not UTF-8 JSON", cause);
  }
  const key = toMemberPublicJwk(parsed);
  if (jwkThumbprintInput(key) !== text) {
    throw refuse("MALFORMED_JWK", "the public key is not spelled as its RFC 7638 thumbprint input");
  }
  return key;
}

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of any public JWK `jose` knows (EC, OKP, RSA, ...), computed by
 * `jose`: the `kid` of a member key. A JWK with private members is refused.
 * @example
 * const kid = await jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
 * // "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
 */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  refusePrivateKeyMaterial(jwk);
  try {
    return await calculateJwkThumbprint(jwk, "sha256");
  } catch (cause) {
    throw refuse("MALFORMED_JWK", "cannot compute the JWK thumbprint", cause);
  }
}

/** The Consortium's key id of a member key: sha256 of its thumbprint input, as `bytes32` (no `jose` needed). */
export function publicKeyIdOf(jwk: MemberPublicJwk): Hex {
  return sha256(toUtf8Bytes(jwkThumbprintInput(jwk))) as Hex;
}

/** The `bytes32` key id of a base64url `kid` (a SHA-256 thumbprint). */
export function kidToKeyId(kid: string): Hex {
  const bytes = /^[A-Za-z0-9_-]{43}$/.test(kid) ? base64url.decode(kid) : new Uint8Array();
  if (bytes.length !== 32 || base64url.encode(bytes) !== kid) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a SHA-256 JWK thumbprint: "${kid}"`);
  }
  return hexlify(bytes) as Hex;
}

/** The base64url `kid` of a `bytes32` key id. */
export function keyIdToKid(keyId: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(keyId)) throw new CrossproofError("INVALID_ARGUMENT", `not a key id: ${keyId}`);
  return base64url.encode(getBytes(keyId));
}

/** A `kid` or a `bytes32` key id, as a `bytes32` key id. */
export function toKeyId(kidOrKeyId: string): Hex {
  return /^0x[0-9a-fA-F]{64}$/.test(kidOrKeyId) ? (kidOrKeyId.toLowerCase() as Hex) : kidToKeyId(kidOrKeyId);
}

/** The key algorithms each purpose allows, and the curves each algorithm takes (the Consortium's rule). */
const ALGORITHMS: Record<KeyPurposeName, readonly KeyAlgorithmName[]> = {
  Report: ["ES256", "EdDSA"],
  Encryption: ["EcdhEs"],
};
const CURVES: Record<KeyAlgorithmName, readonly MemberPublicJwk["crv"][]> = {
  ES256: ["P-256"],
  EdDSA: ["Ed25519"],
  EcdhEs: ["P-256", "X25519"],
};

/**
 * The algorithm of a member key for a purpose: `algorithm` if given and allowed, else the one its curve implies
 * (report: P-256 → ES256, Ed25519 → EdDSA; encryption: P-256 or X25519 → EcdhEs).
 * @throws `CrossproofError("INVALID_ARGUMENT")` with reason `ALGORITHM_MISMATCH` for a combination the Consortium
 * refuses (an X25519 report key, an Ed25519 encryption key, ES256 with an Ed25519 key, ...).
 */
export function keyAlgorithmFor(
  purpose: KeyPurposeName,
  jwk: MemberPublicJwk,
  algorithm?: KeyAlgorithmName,
): KeyAlgorithmName {
  const candidates = ALGORITHMS[purpose]?.filter((a) => CURVES[a].includes(jwk.crv)) ?? [];
  const chosen = algorithm === undefined ? candidates[0] : candidates.find((a) => a === algorithm);
  if (chosen === undefined) {
    throw refuse(
      "ALGORITHM_MISMATCH",
      `a ${jwk.crv} key cannot be a ${purpose} key${algorithm === undefined ? "" : ` with ${algorithm}`}`,
    );
  }
  return chosen;
}

/**
 * The JWK a JOSE library uses for a registered member key: its required members plus `kid` (the thumbprint), `use`
 * ("sig" for report keys, "enc" for encryption keys) and, for report keys, `alg` (pinning the JWS algorithm).
 * Encryption keys carry no `alg`: every ECDH-ES variant (ECDH-ES+A256KW, ...) uses the same key.
 */
export function memberJwk(jwk: MemberPublicJwk, purpose: KeyPurposeName, algorithm: KeyAlgorithmName): JWK {
  const kid = keyIdToKid(publicKeyIdOf(jwk));
  const base = { ...toMemberPublicJwk(jwk), kid };
  return purpose === "Report" ? { ...base, use: "sig", alg: JoseAlgorithm[algorithm] } : { ...base, use: "enc" };
}
