/**
 * Signed verification reports: a report (full or reduced) as a compact JWS signed by its issuing member's report
 * key — ES256 (P-256) or EdDSA (Ed25519), `kid` = the key's RFC 7638 thumbprint, registered in the Consortium for
 * the Report purpose — and the verification of such a JWS, offline with any JWKS or online against the chain.
 *
 * Part of the pure core: no Node-only API (no `node:` import, no `Buffer`, no file system), so that it can be
 * bundled for browsers. The chain is reached only through the {@link ReportKeyDirectory} passed in (a
 * `ConsortiumClient` is one); a test walks this module's imports to keep it so.
 */
import { sha256 } from "ethers";
import {
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type KeyObject,
} from "jose";
import type { ConsortiumClient } from "./consortium-client";
import { MemberStatus } from "./constants";
import type { Hex } from "./eip712";
import { CrossproofError, type CrossproofErrorCode } from "./errors";
import { anyReportSchema, type AnyVerificationReport } from "./report";

/** The JWS `typ` of a signed report (RFC 7515 §4.1.9, `application/` omitted). */
export const REPORT_JWS_TYPE = "vnd.crossproof.verification-report+jws";
/** The protected-header parameter naming the issuing member (a decimal member id). */
export const ISSUER_HEADER = "crossproof.issuer";

const ALGORITHMS = ["ES256", "EdDSA"] as const;
export type ReportAlgorithm = (typeof ALGORITHMS)[number];

/**
 * Where report keys are looked up online: the Consortium's registered public keys and their validity at a time.
 * `ConsortiumClient` is one.
 */
export type ReportKeyDirectory = Pick<ConsortiumClient, "registeredPublicKeys" | "isValidPublicKey"> & {
  consortium: Pick<ConsortiumClient["consortium"], "statusAt">;
};

/** Parameters of {@link signReport}. */
export interface SignReportParameters {
  /** The report key: a private JWK (EC P-256 or OKP Ed25519)… */
  privateJwk?: JWK;
  /** …or a private CryptoKey (ECDSA P-256 or Ed25519), possibly not extractable. */
  privateKey?: CryptoKey;
  /** The key's RFC 7638 thumbprint. Required with a CryptoKey; with a JWK it is computed (and checked if given). */
  kid?: string;
  /** The issuing member: written into the report (`issuer.memberId`) and into the protected header. */
  issuerMemberId: bigint | number;
  /**
   * Checks that `kid` is a report key of the issuer, valid — and the member active — at the signing time
   * (`isValidPublicKey`); a gateway always passes it. Without it the report is signed unchecked (offline tools).
   */
  consortium?: ReportKeyDirectory;
  /** The signing time (default: now). It goes into the protected header as `iat`. */
  at?: Date | number;
}

/** A report whose signature and key were verified. */
export interface VerifiedReport {
  report: AnyVerificationReport;
  /** The issuing member, as the protected header and the report both state it. */
  issuerMemberId: bigint;
  kid: string;
  alg: ReportAlgorithm;
  /** The signing time (`iat`), unix seconds. */
  signedAt: number;
  /** How the key was established: a key set given by the caller, or the chain. */
  checkedAgainst: "key-set" | "chain";
}

/** Options of {@link verifyReport}: a key set (offline), or the Consortium (online). */
export type VerifyReportOptions =
  | {
      /** Report keys trusted for the issuer, e.g. `ConsortiumClient.reportKeySet([issuer])` fetched earlier. */
      keySet: JSONWebKeySet;
      /** The member the key set belongs to: a report naming another issuer is refused. */
      issuerMemberId?: bigint | number;
    }
  | { consortium: ReportKeyDirectory; fromBlock?: number };

const fail = (code: CrossproofErrorCode, message: string, cause?: unknown, details?: Record<string, unknown>) =>
  new CrossproofError(code, message, { ...(cause === undefined ? {} : { cause }), ...(details ? { details } : {}) });

const seconds = (t: Date | number) => (t instanceof Date ? Math.floor(t.getTime() / 1000) : Math.floor(t));

/** Validates a report against its schema; `REPORT_MALFORMED` listing the problems otherwise. */
export function parseReport(value: unknown): AnyVerificationReport {
  const r = anyReportSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw fail("REPORT_MALFORMED", `not a verification report: ${problems.slice(0, 5).join("; ")}`, r.error, {
      issues: problems,
    });
  }
  return r.data as AnyVerificationReport;
}

/**
 * Why a report key does not count at `at`, or undefined when it does: the Consortium's `isValidPublicKey`, and
 * when it says no, whether the key is registered for the issuer at all and whether the issuer was active then.
 */
async function keyRefusal(
  directory: ReportKeyDirectory,
  memberId: bigint,
  kid: string,
  at: number,
  o: { fromBlock?: number } = {},
): Promise<CrossproofError | undefined> {
  if (await directory.isValidPublicKey(memberId, kid, "Report", { at })) return undefined;
  const registered = (await directory.registeredPublicKeys(memberId, o)).some(
    (k) => k.kid === kid && k.purpose === "Report",
  );
  const details = { memberId: memberId.toString(), kid, at };
  if (!registered) {
    return fail("REPORT_KEY_UNKNOWN", `${kid} is not a report key of member ${memberId}`, undefined, details);
  }
  if (Number(await directory.consortium.statusAt(memberId, at)) !== MemberStatus.Active) {
    return fail(
      "REPORT_ISSUER_NOT_ACTIVE",
      `member ${memberId} was not active at ${new Date(at * 1000).toISOString()}, when the report was signed`,
      undefined,
      details,
    );
  }
  return fail(
    "REPORT_KEY_NOT_VALID_AT_SIGNING",
    `report key ${kid} of member ${memberId} was not valid at ${new Date(at * 1000).toISOString()} (revoked, ` +
      "expired or not yet valid)",
    undefined,
    details,
  );
}

/** The JWS algorithm of a report key: ES256 for P-256, EdDSA for Ed25519 (a JWK's `crv`, a CryptoKey's algorithm). */
function algorithmOf(curveOrAlgorithm: string | undefined): ReportAlgorithm {
  if (curveOrAlgorithm === "P-256") return "ES256";
  if (curveOrAlgorithm === "Ed25519") return "EdDSA";
  throw fail("INVALID_ARGUMENT", "a report key is EC P-256 (ES256) or Ed25519 (EdDSA)");
}

/**
 * Signs a report (full or reduced) as a compact JWS with the issuing member's report key. The protected header
 * carries `alg`, `kid` (the key's RFC 7638 thumbprint), `typ` ({@link REPORT_JWS_TYPE}), `iat` (the signing time)
 * and the issuer ({@link ISSUER_HEADER}); the payload is the report with `issuer.memberId` set to the same member.
 *
 * With `consortium`, the key must be registered for the issuer (purpose Report) and valid, the issuer active, at
 * the signing time — the same check {@link verifyReport} makes online — or nothing is signed:
 * `REPORT_KEY_UNKNOWN`, `REPORT_KEY_NOT_VALID_AT_SIGNING`, `REPORT_ISSUER_NOT_ACTIVE`.
 * @example
 * const jws = await signReport(report, { privateJwk, issuerMemberId: 2, consortium });
 */
export async function signReport(report: AnyVerificationReport, o: SignReportParameters): Promise<string> {
  const parsed = parseReport(report);
  const issuer = BigInt(o.issuerMemberId);
  if (parsed.issuer.memberId !== undefined && parsed.issuer.memberId !== issuer.toString()) {
    throw fail("INVALID_ARGUMENT", `the report was issued by member ${parsed.issuer.memberId}, not ${issuer}`);
  }
  const payload = { ...parsed, issuer: { ...parsed.issuer, memberId: issuer.toString() } };
  return signMemberJws(payload, REPORT_JWS_TYPE, o);
}

/**
 * A private JWK imported for signing, with its algorithm and thumbprint, kept per JWK object: a gateway signs every
 * report with the same few keys, and importing one (and hashing it for its kid) per signature is work done again.
 * The entry holds the JWK's members as imported; a JWK object changed since is imported again.
 */
const importedKeys = new WeakMap<
  JWK,
  { members: string; alg: ReportAlgorithm; kid: string; key: CryptoKey | KeyObject | Uint8Array }
>();

async function importedReportKey(jwk: JWK) {
  const members = JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.d]);
  const kept = importedKeys.get(jwk);
  if (kept !== undefined && kept.members === members) return kept;
  const alg = algorithmOf(jwk.crv);
  const entry = { members, alg, kid: await calculateJwkThumbprint(jwk, "sha256"), key: await importJWK(jwk, alg) };
  importedKeys.set(jwk, entry);
  return entry;
}

/**
 * Signs any crossproof document a member vouches for (a verification report, an authorisation answer…) as a
 * compact JWS with the member's report key: header `alg`, `kid`, `typ` (the document's kind), `iat`, and
 * {@link ISSUER_HEADER}. One signing rule for every signed document: the key checks of {@link signReport}.
 */
export async function signMemberJws(payload: unknown, typ: string, o: SignReportParameters): Promise<string> {
  const issuer = BigInt(o.issuerMemberId);
  if ((o.privateJwk === undefined) === (o.privateKey === undefined)) {
    throw fail("INVALID_ARGUMENT", "give the report key as privateJwk or as privateKey, not both");
  }
  let key: CryptoKey | KeyObject | Uint8Array;
  let kid: string;
  let alg: ReportAlgorithm;
  if (o.privateJwk !== undefined) {
    if (typeof o.privateJwk.d !== "string") throw fail("INVALID_ARGUMENT", "privateJwk is not a private key");
    ({ alg, kid, key } = await importedReportKey(o.privateJwk));
  } else {
    const k = o.privateKey!;
    const a = k.algorithm as { name: string; namedCurve?: string };
    alg = algorithmOf(a.name === "ECDSA" ? a.namedCurve : a.name);
    if (o.kid === undefined) throw fail("INVALID_ARGUMENT", "a CryptoKey needs its kid (RFC 7638 thumbprint)");
    kid = k.extractable ? await calculateJwkThumbprint(await exportJWK(k), "sha256") : o.kid;
    key = k;
  }
  if (o.kid !== undefined && o.kid !== kid) {
    throw fail("INVALID_ARGUMENT", `kid ${o.kid} is not the key's thumbprint (${kid})`);
  }
  const at = seconds(o.at ?? new Date());
  if (o.consortium !== undefined) {
    const refusal = await keyRefusal(o.consortium, issuer, kid, at);
    if (refusal !== undefined) throw refusal;
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, kid, typ, iat: at, [ISSUER_HEADER]: issuer.toString() })
    .sign(key);
}

/** A new report key pair: its public JWK (to register in the Consortium), private JWK and kid. */
export interface ReportKeyPair {
  publicJwk: JWK;
  privateJwk: JWK;
  /** The RFC 7638 thumbprint of the public key: the `kid` of the reports it signs. */
  kid: string;
}

/**
 * Generates a report key (ES256 on P-256 by default, or EdDSA on Ed25519). Register its public JWK for the member
 * (`ConsortiumClient.signAddOwnPublicKey` with purpose `Report`) before signing reports with it; keep the private JWK
 * in a key vault.
 * @example
 * const key = await generateReportKey();
 * await (await consortium.submit(await consortium.signAddOwnPublicKey(memberKey, 2,
 *   { purpose: "Report", jwk: key.publicJwk }), relayer)).wait();
 */
export async function generateReportKey(alg: ReportAlgorithm = "ES256"): Promise<ReportKeyPair> {
  if (!ALGORITHMS.includes(alg)) throw fail("INVALID_ARGUMENT", `report keys are ${ALGORITHMS.join(" or ")}`);
  const { publicKey, privateKey } = await generateKeyPair(
    alg,
    alg === "EdDSA" ? { extractable: true, crv: "Ed25519" } : { extractable: true },
  );
  const publicJwk = await exportJWK(publicKey);
  return { publicJwk, privateJwk: await exportJWK(privateKey), kid: await calculateJwkThumbprint(publicJwk, "sha256") };
}

interface ReportHeader {
  alg: ReportAlgorithm;
  kid: string;
  iat: number;
  issuer: bigint;
}

function readHeader(jws: string, typ: string, what: string): ReportHeader {
  let h: Record<string, unknown>;
  try {
    if (typeof jws !== "string" || jws.split(".").length !== 3) throw new Error("not a compact JWS");
    h = decodeProtectedHeader(jws) as Record<string, unknown>;
  } catch (cause) {
    throw fail("REPORT_MALFORMED", "not a compact JWS with a readable protected header", cause);
  }
  const issuer = h[ISSUER_HEADER];
  if (
    !ALGORITHMS.includes(h.alg as ReportAlgorithm) ||
    typeof h.kid !== "string" ||
    h.typ !== typ ||
    typeof h.iat !== "number" ||
    !Number.isSafeInteger(h.iat) ||
    typeof issuer !== "string" ||
    !/^[1-9][0-9]*$/.test(issuer)
  ) {
    throw fail(
      "REPORT_MALFORMED",
      `the protected header is not a crossproof ${what}'s (alg ES256 or EdDSA, kid, typ ${typ}, iat, ` +
        `${ISSUER_HEADER})`,
      undefined,
      { header: h },
    );
  }
  return { alg: h.alg as ReportAlgorithm, kid: h.kid, iat: h.iat, issuer: BigInt(issuer) };
}

/** Verifies the JWS signature with a key set; the jose failure becomes a named refusal. */
async function verifySignature(
  jws: string,
  keySet: JSONWebKeySet,
  header: ReportHeader,
  what: string,
): Promise<Uint8Array> {
  const verify = async (key: Parameters<typeof compactVerify>[1]) =>
    (await compactVerify(jws, key, { algorithms: [...ALGORITHMS] })).payload;
  try {
    try {
      return await verify(createLocalJWKSet(keySet));
    } catch (err) {
      // Several keys with this kid (createLocalJWKSet yields them): any one that verifies will do.
      if ((err as { code?: string }).code !== "ERR_JWKS_MULTIPLE_MATCHING_KEYS") throw err;
      let last: unknown = err;
      for await (const key of err as AsyncIterable<CryptoKey>) {
        try {
          return await verify(key);
        } catch (e) {
          last = e;
        }
      }
      throw last;
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_JWKS_NO_MATCHING_KEY") {
      throw fail("REPORT_KEY_UNKNOWN", `no key ${header.kid} for ${header.alg} in the key set`, err, {
        kid: header.kid,
      });
    }
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
      throw fail("REPORT_SIGNATURE_INVALID", `the ${what}'s signature does not verify with key ${header.kid}`, err, {
        kid: header.kid,
      });
    }
    throw fail("REPORT_MALFORMED", `the ${what} JWS cannot be verified: ${String(err)}`, err);
  }
}

/**
 * Verifies a signed report and returns it, or refuses it with a named reason:
 * - `REPORT_MALFORMED`: not a compact JWS, a header that is not a crossproof report's, a payload that is not a
 *   report (JSON Schema), or a payload whose issuer is not the header's;
 * - `REPORT_KEY_UNKNOWN`: no key with the report's `kid` (in the key set; online: registered for the issuer as a
 *   report key);
 * - `REPORT_SIGNATURE_INVALID`: the signature does not verify (an altered report, a forged one, another key);
 * - online only, after the signature: `REPORT_ISSUER_NOT_ACTIVE` (the issuer was suspended or removed at the
 *   signing time) and `REPORT_KEY_NOT_VALID_AT_SIGNING` (the key was revoked, expired or not yet valid then);
 * - offline, `REPORT_ISSUER_MISMATCH` when the report names another issuer than the key set's.
 *
 * Offline (`{ keySet }`) any JWKS works — one published by the issuer, or `ConsortiumClient.reportKeySet([issuer],
 * { at })` fetched earlier; the caller vouches that it holds the issuer's keys. Online (`{ consortium }`) the key
 * is looked up among the issuer's registered report keys and must have been valid, the issuer active, at the
 * signing time (`isValidPublicKey`). The signing time is the signer's statement (`iat`): a key thief could sign
 * with a date before the revocation — endorse with the report's hash ({@link reportDigest}) to fix the time on chain.
 * @example
 * const { report, issuerMemberId } = await verifyReport(jws, { consortium });
 * const offline = await verifyReport(jws, { keySet: await consortium.reportKeySet([2n]), issuerMemberId: 2n });
 */
export async function verifyReport(jws: string, o: VerifyReportOptions): Promise<VerifiedReport> {
  const { value, header, checkedAgainst } = await verifyMemberJws(jws, REPORT_JWS_TYPE, "report", o);
  const report = parseReport(value);
  if (report.issuer.memberId !== header.issuer.toString()) {
    throw fail(
      "REPORT_MALFORMED",
      `the report names member ${report.issuer.memberId ?? "(none)"}, its protected header member ${header.issuer}`,
    );
  }
  return {
    report,
    issuerMemberId: header.issuer,
    kid: header.kid,
    alg: header.alg,
    signedAt: header.iat,
    checkedAgainst,
  };
}

/** A member-signed JWS whose header, signature and key were checked; its payload parsed as JSON, not yet validated. */
export interface VerifiedMemberJws {
  value: unknown;
  header: { alg: ReportAlgorithm; kid: string; iat: number; issuer: bigint };
  checkedAgainst: "key-set" | "chain";
}

/**
 * Verifies any member-signed JWS of type `typ` ({@link signMemberJws}) with the refusals of {@link verifyReport}
 * (`REPORT_MALFORMED`, `REPORT_KEY_UNKNOWN`, `REPORT_SIGNATURE_INVALID`, online `REPORT_ISSUER_NOT_ACTIVE` and
 * `REPORT_KEY_NOT_VALID_AT_SIGNING`, offline `REPORT_ISSUER_MISMATCH`) and returns its JSON payload for the caller
 * to validate as its document kind (`what` names it in messages).
 */
export async function verifyMemberJws(
  jws: string,
  typ: string,
  what: string,
  o: VerifyReportOptions,
): Promise<VerifiedMemberJws> {
  const header = readHeader(jws, typ, what);
  let payload: Uint8Array;
  let checkedAgainst: VerifiedMemberJws["checkedAgainst"];
  if ("keySet" in o) {
    if (o.issuerMemberId !== undefined && BigInt(o.issuerMemberId) !== header.issuer) {
      throw fail(
        "REPORT_ISSUER_MISMATCH",
        `the ${what} names member ${header.issuer} as its issuer; the key set is member ${o.issuerMemberId}'s`,
      );
    }
    payload = await verifySignature(jws, o.keySet, header, what);
    checkedAgainst = "key-set";
  } else {
    const fromBlock = o.fromBlock === undefined ? {} : { fromBlock: o.fromBlock };
    const keys = (await o.consortium.registeredPublicKeys(header.issuer, fromBlock)).filter(
      (k) => k.kid === header.kid && k.purpose === "Report",
    );
    if (keys.length === 0) {
      throw fail("REPORT_KEY_UNKNOWN", `${header.kid} is not a report key of member ${header.issuer}`, undefined, {
        memberId: header.issuer.toString(),
        kid: header.kid,
      });
    }
    payload = await verifySignature(jws, { keys: keys.map((k) => k.jwk) }, header, what);
    const refusal = await keyRefusal(o.consortium, header.issuer, header.kid, header.iat, fromBlock);
    if (refusal !== undefined) throw refusal;
    checkedAgainst = "chain";
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (cause) {
    throw fail("REPORT_MALFORMED", `the ${what} payload is not UTF-8 JSON`, cause);
  }
  return { value, header, checkedAgainst };
}

/**
 * The hash a member records when it endorses evidence on the strength of a signed report
 * (`EvidenceClient.signEndorsement({ reportHash })`): SHA-256 of the compact JWS's bytes.
 */
export function reportDigest(jws: string): Hex {
  return sha256(new TextEncoder().encode(jws)) as Hex;
}
