/**
 * Upload authorisation over HTTP: a PLATFORM member asks, for one upload or a batch, "may this account's upload of this
 * work go online in this territory, for this right, at this time?". The index finds the candidate licences (the
 * work's, naming the licensee the account is linked to); the SDK (`LicenceClient.authorizeUploads`) judges them on
 * chain at one block — the index never decides. The answers come back signed by the member's report key as a
 * `crossproof.authorization-answer/1` JWS, which a dispute over the platform's decision can cite by its digest.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "../zod";
import {
  AUTHORIZATION_ANSWER_FORMAT,
  AuthorizationReason,
  Right,
  UploadAnswers,
  authorizationAnswerDigest,
  checkFingerprintDigest,
  CLIP_FRAMES_PER_SECOND,
  extractFingerprint,
  fingerprintDigest,
  signAuthorizationAnswer,
  toWireAuthorization,
  validateFingerprint,
  type AuthorizationAnswerDocument,
  type Fingerprint,
  type RightName,
  type SignedClip,
} from "../../../sdk/src";
import { alertWorkMatches } from "../alerts";
import { recordAudit } from "../audit";
import { WorkFingerprints, type WorkClipMatch } from "../fingerprints";
import type { GatewayContext, GatewayModule } from "../gateway";
import type { HostedMember } from "../keystore";
import { Problem } from "../problems";
import { receiveMultipart } from "./multipart";
import { signAsMember } from "./verification";

/** The most items one request may ask about. */
export const MAX_AUTHORIZATION_ITEMS = 1000;

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex (0x + 64 hex digits)");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const AuthorizationQuery = z
  .object({
    workId: bytes32.openapi({ description: "The work id (the SHA-256 content hash it was registered with)" }),
    accountHash: bytes32.openapi({
      description: "The uploader's account on the asking platform, hashed (the SDK's uploaderAccountHash)",
    }),
    territory: z
      .string()
      .regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code")
      .openapi({ description: "Where it would go online" }),
    right: z.enum(Object.keys(Right) as [RightName, ...RightName[]]).openapi({ description: "The right exercised" }),
    at: z
      .union([z.number().int().nonnegative(), z.string().datetime({ offset: true })])
      .optional()
      .openapi({ description: "When (unix seconds or ISO 8601); default: the time of the block the chain is read at" }),
  })
  .strict()
  .openapi("AuthorizationQuery");

/** A clip asked about by its fingerprint, computed at the platform's edge (the clip itself need not leave it). */
const FingerprintQuery = AuthorizationQuery.omit({ workId: true })
  .extend({
    fingerprint: z.record(z.unknown()).openapi({
      description:
        "The clip's fingerprint file (crossproof-fingerprint version 1, as the SDK's extractFingerprint writes it)",
    }),
    fingerprintDigest: bytes32.optional().openapi({
      description:
        "Its digest (the SDK's fingerprintDigest), checked when given: a fingerprint altered on the way fails",
    }),
  })
  .strict()
  .openapi("FingerprintAuthorizationQuery");

const AuthorizationRequest = z
  .union([
    AuthorizationQuery,
    z
      .object({ items: z.array(AuthorizationQuery).min(1).max(MAX_AUTHORIZATION_ITEMS) })
      .strict()
      .openapi({ description: `A batch of up to ${MAX_AUTHORIZATION_ITEMS} queries, answered in order` }),
    FingerprintQuery,
  ])
  .openapi("AuthorizationRequest");

/** The multipart form of a clip question: the clip itself, decoded by the gateway with ffmpeg. */
const ClipUpload = z
  .object({
    clip: z.string().openapi({ format: "binary", description: "The clip (any container and codec ffmpeg decodes)" }),
    accountHash: bytes32,
    territory: z.string().regex(/^[A-Z]{2}$/),
    right: z.enum(Object.keys(Right) as [RightName, ...RightName[]]),
    at: z.string().optional().openapi({ description: "Unix seconds or ISO 8601" }),
  })
  .openapi("ClipAuthorizationUpload");

const ClipMatch = z.object({
  workId: bytes32,
  workFingerprint: bytes32.openapi({ description: "Digest of the work's fingerprint file matched against" }),
  mirrored: z.boolean(),
  speed: z.number().openapi({ description: "Work time = offset + speed × clip time" }),
  clipStartMs: z.number(),
  clipEndMs: z.number(),
  workStartMs: z.number(),
  workEndMs: z.number(),
  matchedFrames: z.number().int(),
  alignedFrames: z.number().int(),
  videoScore: z.number().nullable(),
  audioScore: z.number().nullable(),
  score: z.number().openapi({ description: "Fused score: mean of the available scores" }),
});

const SignedClipSchema = z
  .object({
    source: z.enum(["upload", "fingerprint"]),
    fingerprintDigest: bytes32,
    durationMs: z.number().int(),
    indexedWorks: z.number().int(),
    matches: z.array(ClipMatch),
  })
  .openapi("ClipMatches");

const ChainLink = z.object({
  licenceId: bytes32,
  licensor: address,
  licensee: address,
  valid: z.boolean(),
  reason: z.enum(AuthorizationReason),
  explanation: z.string(),
});

const AuthorizationAnswer = z
  .object({
    query: z.object({
      workId: bytes32,
      platform: z.string(),
      accountHash: bytes32,
      right: z.string(),
      territory: z.string(),
      atTime: z.number().int(),
    }),
    answer: z.enum(UploadAnswers),
    reason: z
      .enum([...AuthorizationReason, "NO_LICENCE"])
      .optional()
      .openapi({
        description: "OK for ALLOWED; for NOT_LICENSED the closest chain's reason, or NO_LICENCE",
      }),
    licensee: address.optional(),
    licenceId: bytes32.optional(),
    failedAt: bytes32.optional(),
    chain: z.array(ChainLink),
    candidates: z.number().int(),
    summary: z.string(),
  })
  .openapi("AuthorizationAnswer");

const SignedAuthorizationAnswers = z
  .object({
    format: z.literal(AUTHORIZATION_ANSWER_FORMAT),
    issuer: z.object({ memberId: z.string() }),
    chain: z.object({
      chainId: z.string(),
      licenseRegistry: address,
      blockNumber: z.number().int(),
      blockHash: bytes32,
      blockTime: z.number().int(),
    }),
    answers: z.array(AuthorizationAnswer),
    clip: SignedClipSchema.optional().openapi({
      description: "For a clip: the works it matched and where (best first); the answers then hold one per work",
    }),
    jws: z.string().openapi({ description: "The document above as a compact JWS signed by the member's report key" }),
    kid: z.string(),
    digest: bytes32.openapi({ description: "SHA-256 of the JWS: what a dispute over the decision cites" }),
  })
  .openapi("SignedAuthorizationAnswers");

/** The hosted PLATFORM member a principal acts for, with a report key: 403 otherwise. */
function platformMember(ctx: GatewayContext, memberId: bigint): HostedMember {
  const member = ctx.members.get(memberId);
  if (member === undefined || member.reportKeys.length === 0) {
    throw new Problem("forbidden", `this gateway holds no report key of member ${memberId} to sign the answers with`);
  }
  return member;
}

type ClipQuestion = Omit<z.infer<typeof FingerprintQuery>, "fingerprint" | "fingerprintDigest">;

const toSeconds = (at: number | string | undefined, blockTime: number): number =>
  at === undefined ? blockTime : typeof at === "number" ? at : Math.floor(Date.parse(at) / 1000);

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/** A match as it goes into the signed answer (times to the ms, scores to 4 places). */
function signedMatch(m: WorkClipMatch): SignedClip["matches"][number] {
  const score = (x: number | null) => (x === null ? null : round(Math.min(1, Math.max(0, x)), 4));
  return {
    workId: m.workId,
    workFingerprint: m.workFingerprint,
    mirrored: m.mirrored,
    speed: round(m.speed, 4),
    clipStartMs: Math.max(0, Math.round(m.clipStartMs)),
    clipEndMs: Math.max(0, Math.round(m.clipEndMs)),
    workStartMs: Math.round(m.workStartMs),
    workEndMs: Math.round(m.workEndMs),
    matchedFrames: m.matchedFrames,
    alignedFrames: m.alignedFrames,
    videoScore: score(m.videoScore),
    audioScore: score(m.audioScore),
    score: score(m.score)!,
  };
}

export const authorizationsModule: GatewayModule = (ctx) => {
  const fingerprints =
    ctx.indexer === undefined
      ? undefined
      : new WorkFingerprints({
          db: ctx.db,
          store: ctx.store,
          indexer: ctx.indexer,
          log: ctx.log.child({ component: "fingerprints" }),
          // Beside the database it was made from (a database in memory: no file, rebuilt at every start).
          ...(ctx.config.database === ":memory:"
            ? {}
            : { indexFile: path.join(path.dirname(ctx.config.database), "fingerprints.cpfpidx") }),
          metrics: ctx.metrics.registry,
        });
  if (fingerprints !== undefined && ctx.indexer !== undefined) {
    const log = ctx.log.child({ component: "fingerprints" });
    const refresh = () =>
      fingerprints.refresh().catch((err: unknown) => log.warn({ err }, "fingerprint index refresh failed"));
    ctx.indexer.onSynced = refresh;
    // At start: the index from its file when it holds what the database gives, else from the database's files.
    void refresh();
    ctx.onClose(() => fingerprints.close());
  }

  /** Reads the chain at the indexed block, judges the questions, signs the document. */
  async function answer(
    member: HostedMember,
    platform: bigint,
    questions: { workId: string; accountHash: string; territory: string; right: RightName; at?: number | string }[],
    clip?: (indexedWorks: number) => SignedClip,
  ) {
    const indexer = ctx.indexer;
    if (indexer === undefined) throw new Error("the authorizations module needs the indexer module");
    // The candidates must be complete up to the block the chain is read at: catch up, then read at that block.
    const status = await indexer.syncOnce();
    const block = await ctx.cp.provider.getBlock(status.indexedBlock);
    if (block === null || block.hash === null) throw new Error(`the chain has no block ${status.indexedBlock}`);
    const signedClip = clip?.(fingerprints?.works ?? 0);
    const items =
      signedClip === undefined
        ? questions
        : [...new Set(signedClip.matches.map((m) => m.workId))].map((workId) => ({ ...questions[0]!, workId }));
    const answers =
      items.length === 0
        ? []
        : await ctx.cp.licenses.authorizeUploads(
            items.map((q) => ({
              workId: q.workId,
              platform,
              accountHash: q.accountHash,
              right: q.right,
              territory: q.territory,
              atTime: toSeconds(q.at, block.timestamp),
            })),
            (workId, licensee) => indexer.licencesOf(workId, licensee),
            { blockTag: block.number },
          );
    const document: AuthorizationAnswerDocument = {
      format: AUTHORIZATION_ANSWER_FORMAT,
      issuer: { memberId: member.memberId.toString() },
      chain: {
        chainId: ctx.cp.deployment.chainId.toString(),
        licenseRegistry: ctx.cp.deployment.contracts.LicenseRegistry.address,
        blockNumber: block.number,
        blockHash: block.hash.toLowerCase(),
        blockTime: block.timestamp,
      },
      answers: answers.map(toWireAuthorization),
      ...(signedClip === undefined ? {} : { clip: signedClip }),
    };
    const { jws, kid } = await signAsMember(ctx, member, (o) => signAuthorizationAnswer(document, o));
    return { document, jws, kid, digest: authorizationAnswerDigest(jws), count: answers.length };
  }

  /** A clip's question: match it against the works' fingerprints at the indexed block, then judge each work found. */
  async function answerClip(
    member: HostedMember,
    platform: bigint,
    clip: Fingerprint,
    source: SignedClip["source"],
    q: ClipQuestion,
  ) {
    if (fingerprints === undefined) throw new Error("the authorizations module needs the indexer module");
    const digest = fingerprintDigest(clip);
    return answer(member, platform, [{ ...q, workId: "" }], (indexedWorks) => ({
      source,
      fingerprintDigest: digest,
      durationMs: clip.durationMs,
      indexedWorks,
      matches: fingerprints.match(clip).map(signedMatch),
    }));
  }

  ctx.api.route({
    method: "post",
    path: "/v1/authorizations",
    summary: "May these uploads go online? Answers from the chain, signed by the platform's report key",
    description:
      "For PLATFORM members, about accounts on their own platform. One query or a batch ({ items: [...] }, at most " +
      `${MAX_AUTHORIZATION_ITEMS}). Each answer is ALLOWED (the chain, reason OK), NOT_LICENSED (the closest chain and ` +
      "its reason in words, or NO_LICENCE), UNKNOWN_WORK or UNKNOWN_ACCOUNT (the account is linked to no licensee). " +
      "The gateway's index finds the licences of the work naming the account's licensee; each is judged by the " +
      "LicenseRegistry's verifyAuthorization, every read at the block named in the answer. Answered 200 whatever the " +
      "verdicts.\n\nInstead of a work id, a clip: its fingerprint computed at the platform's edge (JSON, " +
      "`fingerprint`), or the clip itself (multipart/form-data, part `clip`, decoded by the gateway with ffmpeg). The " +
      "clip is matched against the fingerprints of the registered works (the latest WorkFingerprintSet of each work, " +
      "the file checked against its digest on chain); the signed answer's `clip` lists the works found and where " +
      "(clip start/end ↔ work start/end, speed, video, audio and fused scores), and `answers` one licence answer per " +
      "work found (none when nothing matched). Problems: fingerprint-invalid (422), media-undecodable (422), " +
      "hash-mismatch (422, fingerprintDigest is not the fingerprint's), fingerprinting-unavailable (503, no ffmpeg).",
    tags: ["licensing"],
    auth: { anyRole: ["PLATFORM"] },
    body: AuthorizationRequest,
    bodyDoc: {
      contentType: "multipart/form-data",
      schema: ClipUpload,
      description: "A query by work id, a batch, or a clip's fingerprint (JSON); or the clip itself (multipart)",
    },
    responses: { 200: { description: "The answers, in order, signed", schema: SignedAuthorizationAnswers } },
    handler: async ({ body, principal, req }) => {
      if (principal?.kind !== "member") throw new Problem("forbidden", "only members ask");
      const member = platformMember(ctx, principal.memberId);
      let result: Awaited<ReturnType<typeof answer>>;
      if (body === undefined) {
        // multipart/form-data: the clip itself.
        const dir = mkdtempSync(path.join(tmpdir(), "crossproof-clip-"));
        try {
          const upload = await receiveMultipart(req, dir, { maxBytes: ctx.config.uploadLimit });
          const file = upload.files.find((f) => f.field === "clip");
          if (file === undefined || upload.files.length !== 1) {
            throw new Problem("invalid-request", "send exactly one file part, named `clip`");
          }
          const at = upload.fields.get("at");
          const q = ClipUpload.omit({ clip: true }).strict().parse(Object.fromEntries(upload.fields));
          // Fingerprinted as a clip: densely (CLIP_FRAMES_PER_SECOND), see docs/FINGERPRINTS.md › Matching.
          const clip = await extractFingerprint(file.source, { framesPerSecond: CLIP_FRAMES_PER_SECOND });
          result = await answerClip(member, principal.memberId, clip, "upload", {
            accountHash: q.accountHash,
            territory: q.territory,
            right: q.right,
            ...(at === undefined
              ? {}
              : { at: /^[0-9]+$/.test(at) ? Number(at) : z.string().datetime({ offset: true }).parse(at) }),
          });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } else if ("fingerprint" in body) {
        const { fingerprint, fingerprintDigest: expected, ...q } = body;
        const clip = validateFingerprint(fingerprint);
        if (expected !== undefined) checkFingerprintDigest(clip, expected, "the fingerprintDigest sent with it");
        result = await answerClip(member, principal.memberId, clip, "fingerprint", q);
      } else {
        result = await answer(member, principal.memberId, "items" in body ? body.items : [body]);
      }
      const { document, jws, kid, digest, count } = result;
      recordAudit(
        ctx,
        req,
        "authorized",
        document.clip === undefined
          ? `${count} upload question(s), answer ${digest}`
          : `clip ${document.clip.fingerprintDigest} (${document.clip.matches.length} match(es)), answer ${digest}`,
      );
      alertWorkMatches(ctx, document, digest);
      return { status: 200, body: { ...document, jws, kid, digest } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/works/:workId/fingerprint",
    summary: "Where a work's fingerprint stands in this gateway's index",
    description:
      "The work's current fingerprint on chain (digest and CID of its latest WorkFingerprintSet), whether this " +
      "gateway indexed it (and how many frame hashes and audio values), or why not: the file at the CID does not " +
      "match the digest (FINGERPRINT_DIGEST_MISMATCH), is not a fingerprint (FINGERPRINT_INVALID), or could not be " +
      "fetched yet (CONTENT_NOT_FOUND, CONTENT_STORE_ERROR; retried).",
    tags: ["licensing"],
    auth: "member",
    params: z.object({ workId: bytes32 }),
    responses: {
      200: {
        description: "The work's fingerprint state",
        schema: z
          .object({
            workId: bytes32,
            digest: bytes32,
            cid: z.string(),
            indexed: z.boolean(),
            frames: z.number().int(),
            audioItems: z.number().int(),
            failure: z
              .object({ code: z.string(), message: z.string(), permanent: z.boolean() })
              .passthrough()
              .optional(),
          })
          .openapi("WorkFingerprintState"),
      },
      404: { description: "The chain names no fingerprint for this work" },
    },
    handler: async ({ params }) => {
      if (fingerprints === undefined || ctx.indexer === undefined) {
        throw new Error("the authorizations module needs the indexer module");
      }
      await ctx.indexer.syncOnce();
      const state = fingerprints.state(params.workId);
      if (state === undefined) throw new Problem("not-found", `no fingerprint is on record for work ${params.workId}`);
      return { status: 200, body: state };
    },
  });
};
