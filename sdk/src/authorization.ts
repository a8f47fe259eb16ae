/**
 * Upload authorisation — "may this upload go online here?" — as a platform asks it: a work, one of its own users'
 * accounts (hashed, linked on chain to a licensee), a territory, a right and a time. Pure: the answer kinds, the rule
 * that picks the closest chain among several failing ones, and the signed answer document (a compact JWS by the
 * platform member's report key, like verification reports) with its verification. The verdict itself is always the
 * LicenseRegistry's (`verifyAuthorization`); `LicenceClient.authorizeUploads` asks the chain, the gateway's index only
 * finds the candidate licences.
 */
import { sha256 } from "ethers";
import { z } from "zod";
import { AuthorizationReason, Right, type AuthorizationReasonName, type RightName } from "./constants";
import type { Hex } from "./eip712";
import { CrossproofError, type CrossproofErrorCode } from "./errors";
import { signMemberJws, verifyMemberJws, type SignReportParameters, type VerifyReportOptions } from "./verify-report";

/** What an upload query comes to. */
export const UploadAnswers = ["ALLOWED", "NOT_LICENSED", "UNKNOWN_WORK", "UNKNOWN_ACCOUNT"] as const;
export type UploadAnswerName = (typeof UploadAnswers)[number];

/**
 * Why an upload is or is not authorised: the contract's reason for the chosen chain, or `NO_LICENCE` when no licence
 * of the work names the account's licensee (there is no chain to judge).
 */
export type UploadReasonName = AuthorizationReasonName | "NO_LICENCE";

/**
 * How close a failing chain came, best first: a licence that has not started yet or misses only a territory or a
 * right is closer to authorising the upload than one that ended, was revoked, or never had a valid title. Among
 * several failing candidates the closest is answered, so the platform (and the licensee) sees what would fix it.
 */
export const CLOSENESS: readonly AuthorizationReasonName[] = [
  "OK",
  "NOT_YET_VALID",
  "TERRITORY_NOT_GRANTED",
  "RIGHT_NOT_GRANTED",
  "EXPIRED",
  "REVOKED",
  "TITLE_VOIDED",
  "CHAIN_TOO_DEEP",
  "UNKNOWN_LICENCE",
];

/**
 * The candidate to answer with: the first whose reason ranks best in {@link CLOSENESS} (ties go to the one listed
 * first; the gateway lists the newest grant first). Undefined for no candidates.
 */
export function closestCandidate<T extends { reason: AuthorizationReasonName }>(
  candidates: readonly T[],
): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    if (best === undefined || CLOSENESS.indexOf(c.reason) < CLOSENESS.indexOf(best.reason)) best = c;
  }
  return best;
}

/** One question a platform asks. */
export interface UploadQuery {
  /** The work id (its content hash). */
  workId: Hex;
  /** The platform member the account is on (the asking platform itself, through the gateway). */
  platform: bigint;
  /** The account's hash (`uploaderAccountHash`). */
  accountHash: Hex;
  right: RightName;
  /** ISO 3166-1 alpha-2 code. */
  territory: string;
  /** Unix seconds. */
  atTime: number;
}

/** One link of the answered chain, judged at the asked time, in words. */
export interface UploadChainLink {
  licenceId: Hex;
  licensor: string;
  licensee: string;
  valid: boolean;
  reason: AuthorizationReasonName;
  explanation: string;
}

/** The answer to one {@link UploadQuery}. */
export interface UploadAuthorization {
  query: UploadQuery;
  answer: UploadAnswerName;
  /** OK for ALLOWED; the chosen chain's reason (or NO_LICENCE) for NOT_LICENSED; absent for the UNKNOWN_* answers. */
  reason?: UploadReasonName;
  /** The licensee the account is linked to (absent for UNKNOWN_ACCOUNT and UNKNOWN_WORK). */
  licensee?: string;
  /** The chosen chain's licence (the licensee's own). */
  licenceId?: Hex;
  /** The failing licence closest to the rights holder (NOT_LICENSED with a chain). */
  failedAt?: Hex;
  /** From the rights holder's grant down to {@link licenceId}. */
  chain: UploadChainLink[];
  /** How many licences of the work name the licensee (all were judged on chain). */
  candidates: number;
  /** The answer in a sentence. */
  summary: string;
}

// ---- The signed answer ---------------------------------------------------------------------------------------------

/** The format of the signed answer document. */
export const AUTHORIZATION_ANSWER_FORMAT = "crossproof.authorization-answer/1";
/** The JWS `typ` of a signed answer (RFC 7515 §4.1.9, `application/` omitted). */
export const AUTHORIZATION_JWS_TYPE = "vnd.crossproof.authorization-answer+jws";
/** The protected-header parameter naming the issuing member, as in verification reports. */

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const reasons = [...AuthorizationReason, "NO_LICENCE"] as [string, ...string[]];

const answerSchema = z
  .object({
    query: z
      .object({
        workId: hex32,
        platform: z.string().regex(/^[1-9][0-9]*$/),
        accountHash: hex32,
        right: z.enum(Object.keys(Right) as [RightName, ...RightName[]]),
        territory: z.string().regex(/^[A-Z]{2}$/),
        atTime: z.number().int().nonnegative(),
      })
      .strict(),
    answer: z.enum(UploadAnswers),
    reason: z.enum(reasons).optional(),
    licensee: address.optional(),
    licenceId: hex32.optional(),
    failedAt: hex32.optional(),
    chain: z.array(
      z
        .object({
          licenceId: hex32,
          licensor: address,
          licensee: address,
          valid: z.boolean(),
          reason: z.enum(AuthorizationReason),
          explanation: z.string(),
        })
        .strict(),
    ),
    candidates: z.number().int().nonnegative(),
    summary: z.string(),
  })
  .strict();

/** Where a clip sits in a registered work, as signed (see `ClipMatch` in fingerprint-match.ts). Times in ms. */
const clipMatchSchema = z
  .object({
    workId: hex32,
    /** Digest of the work's fingerprint file the clip was matched against (the one on record at the block read). */
    workFingerprint: hex32,
    mirrored: z.boolean(),
    speed: z.number().positive(),
    clipStartMs: z.number().nonnegative(),
    clipEndMs: z.number().nonnegative(),
    workStartMs: z.number(),
    workEndMs: z.number(),
    matchedFrames: z.number().int().nonnegative(),
    alignedFrames: z.number().int().nonnegative(),
    videoScore: z.number().min(0).max(1).nullable(),
    audioScore: z.number().min(0).max(1).nullable(),
    score: z.number().min(0).max(1),
  })
  .strict();

/**
 * A clip asked about instead of a work id: its fingerprint's digest, where it came from (decoded by the gateway from
 * an upload, or computed at the platform's edge), and the works it matched, best first. The answers then hold one
 * licence answer per matched work.
 */
const clipSchema = z
  .object({
    source: z.enum(["upload", "fingerprint"]),
    fingerprintDigest: hex32,
    durationMs: z.number().int().nonnegative(),
    /** Works whose fingerprints the gateway's index held when it matched. */
    indexedWorks: z.number().int().nonnegative(),
    matches: z.array(clipMatchSchema),
  })
  .strict();

/** A match of a clip as it goes into the signed answer. */
export type SignedClipMatch = z.infer<typeof clipMatchSchema>;
/** The clip part of a signed answer. */
export type SignedClip = z.infer<typeof clipSchema>;

/** The signed document (the JWS payload). */
export const authorizationAnswerSchema = z
  .object({
    format: z.literal(AUTHORIZATION_ANSWER_FORMAT),
    issuer: z.object({ memberId: z.string().regex(/^[1-9][0-9]*$/) }).strict(),
    /** Where and when the chain was asked: every static call ran at this block. */
    chain: z
      .object({
        chainId: z.string().regex(/^[1-9][0-9]*$/),
        licenseRegistry: address,
        blockNumber: z.number().int().nonnegative(),
        blockHash: hex32,
        /** The block's timestamp (unix seconds). */
        blockTime: z.number().int().nonnegative(),
      })
      .strict(),
    answers: z.array(answerSchema),
    /** Present when a clip was asked about (issue 16). */
    clip: clipSchema.optional(),
  })
  .strict();

/** A signed answer document: one or many answers, all read from the chain at one block. */
export type AuthorizationAnswerDocument = Omit<z.infer<typeof authorizationAnswerSchema>, "answers"> & {
  answers: WireUploadAuthorization[];
};

/** An {@link UploadAuthorization} as JSON (the platform id as a decimal string). */
export type WireUploadAuthorization = Omit<UploadAuthorization, "query"> & {
  query: Omit<UploadQuery, "platform"> & { platform: string };
};

/** An answer as it goes into the signed document. */
export function toWireAuthorization(a: UploadAuthorization): WireUploadAuthorization {
  return { ...a, query: { ...a.query, platform: a.query.platform.toString() } };
}

const fail = (code: CrossproofErrorCode, message: string) => new CrossproofError(code, message);

/**
 * Parameters of {@link signAuthorizationAnswer}: the platform member's report key and the checks of `signReport`
 * (with `consortium`, a gateway always passes it, the key must be a report key of the issuer valid — and the issuer
 * active — at the signing time `at`).
 */
export type SignAuthorizationAnswerParameters = SignReportParameters;

/**
 * Signs an answer document as a compact JWS with the issuing member's report key, by the rule every member-signed
 * document follows (`signMemberJws`): header `alg`, `kid` (RFC 7638 thumbprint), `typ` {@link AUTHORIZATION_JWS_TYPE},
 * `iat`, `crossproof.issuer`.
 */
export async function signAuthorizationAnswer(
  document: AuthorizationAnswerDocument,
  o: SignAuthorizationAnswerParameters,
): Promise<string> {
  const parsed = authorizationAnswerSchema.safeParse(document);
  if (!parsed.success) {
    throw fail("INVALID_ARGUMENT", `not an authorization answer document: ${parsed.error.issues[0]!.message}`);
  }
  const issuer = BigInt(o.issuerMemberId);
  if (document.issuer.memberId !== issuer.toString()) {
    throw fail("INVALID_ARGUMENT", `the document names member ${document.issuer.memberId} as issuer, not ${issuer}`);
  }
  return signMemberJws(document, AUTHORIZATION_JWS_TYPE, o);
}

/** A signed answer whose signature and key were checked. */
export interface VerifiedAuthorizationAnswer {
  document: AuthorizationAnswerDocument;
  issuerMemberId: bigint;
  kid: string;
  /** The signing time (`iat`), unix seconds. */
  signedAt: number;
  /** SHA-256 of the JWS's bytes: what a dispute cites ({@link authorizationAnswerDigest}). */
  digest: Hex;
}

/**
 * Verifies a signed answer by the rule of every member-signed document (`verifyMemberJws`, as `verifyReport`): the
 * header (typ, alg, kid, iat, issuer), the signature with the issuer's report keys — from a key set (offline) or from
 * the chain (`consortium`: registered for the issuer as report keys, valid and the issuer active at the signing
 * time) — then the document's schema. Codes: `REPORT_MALFORMED`, `REPORT_KEY_UNKNOWN`, `REPORT_SIGNATURE_INVALID`,
 * `REPORT_KEY_NOT_VALID_AT_SIGNING`, `REPORT_ISSUER_NOT_ACTIVE`, `REPORT_ISSUER_MISMATCH`.
 * @example
 * const { document, digest } = await verifyAuthorizationAnswer(jws, { consortium: cp.consortium });
 */
export async function verifyAuthorizationAnswer(
  jws: string,
  o: VerifyReportOptions,
): Promise<VerifiedAuthorizationAnswer> {
  const { value, header } = await verifyMemberJws(jws, AUTHORIZATION_JWS_TYPE, "authorization answer", o);
  const parsed = authorizationAnswerSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw fail("REPORT_MALFORMED", `not an authorization answer: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  if (parsed.data.issuer.memberId !== header.issuer.toString()) {
    throw fail(
      "REPORT_ISSUER_MISMATCH",
      `the answer names member ${parsed.data.issuer.memberId}, its header ${header.issuer}`,
    );
  }
  return {
    document: value as AuthorizationAnswerDocument,
    issuerMemberId: header.issuer,
    kid: header.kid,
    signedAt: header.iat,
    digest: authorizationAnswerDigest(jws),
  };
}

/**
 * What a dispute over a platform's decision cites: SHA-256 of the signed answer's compact JWS bytes (the same rule as
 * a verification report's digest).
 */
export function authorizationAnswerDigest(jws: string): Hex {
  return sha256(new TextEncoder().encode(jws)) as Hex;
}
