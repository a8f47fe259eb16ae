/**
 * Upload authorisation over HTTP: a PLATFORM member asks, for one upload or a batch, "may this account's upload of this
 * work go online in this territory, for this right, at this time?". The index finds the candidate licences (the
 * work's, naming the licensee the account is linked to); the SDK (`LicenceClient.authorizeUploads`) judges them on
 * chain at one block — the index never decides. The answers come back signed by the member's report key as a
 * `crossproof.authorization-answer/1` JWS, which a dispute over the platform's decision can cite by its digest.
 */
import { z } from "../zod";
import {
  AUTHORIZATION_ANSWER_FORMAT,
  AuthorizationReason,
  Right,
  UploadAnswers,
  authorizationAnswerDigest,
  signAuthorizationAnswer,
  toWireAuthorization,
  type AuthorizationAnswerDocument,
  type RightName,
} from "../../../sdk/src";
import { alertWorkMatches } from "../alerts";
import { recordAudit } from "../audit";
import type { GatewayContext, GatewayModule } from "../gateway";
import type { HostedMember } from "../keystore";
import { Problem } from "../problems";
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

const AuthorizationRequest = z
  .union([
    AuthorizationQuery,
    z
      .object({ items: z.array(AuthorizationQuery).min(1).max(MAX_AUTHORIZATION_ITEMS) })
      .strict()
      .openapi({ description: `A batch of up to ${MAX_AUTHORIZATION_ITEMS} queries, answered in order` }),
  ])
  .openapi("AuthorizationRequest");

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

export const authorizationsModule: GatewayModule = (ctx) => {
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
      "verdicts.",
    tags: ["licensing"],
    auth: { anyRole: ["PLATFORM"] },
    body: AuthorizationRequest,
    responses: { 200: { description: "The answers, in order, signed", schema: SignedAuthorizationAnswers } },
    handler: async ({ body, principal, req }) => {
      if (principal?.kind !== "member") throw new Problem("forbidden", "only members ask");
      const member = platformMember(ctx, principal.memberId);
      const indexer = ctx.indexer;
      if (indexer === undefined) throw new Error("the authorizations module needs the indexer module");
      // The candidates must be complete up to the block the chain is read at: catch up, then read at that block.
      const status = await indexer.syncOnce();
      const block = await ctx.cp.provider.getBlock(status.indexedBlock);
      if (block === null || block.hash === null) throw new Error(`the chain has no block ${status.indexedBlock}`);
      const items = "items" in body ? body.items : [body];
      const answers = await ctx.cp.licenses.authorizeUploads(
        items.map((q) => ({
          workId: q.workId,
          platform: principal.memberId,
          accountHash: q.accountHash,
          right: q.right,
          territory: q.territory,
          atTime:
            q.at === undefined
              ? block.timestamp
              : typeof q.at === "number"
                ? q.at
                : Math.floor(Date.parse(q.at) / 1000),
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
      };
      const { jws, kid } = await signAsMember(ctx, member, (o) => signAuthorizationAnswer(document, o));
      const digest = authorizationAnswerDigest(jws);
      recordAudit(ctx, req, "authorized", `${answers.length} upload question(s), answer ${digest}`);
      alertWorkMatches(ctx, document, digest);
      return { status: 200, body: { ...document, jws, kid, digest } };
    },
  });
};
