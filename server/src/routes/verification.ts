/**
 * Verification over HTTP: a member sends what it has (a package CID addressed to it, a content hash, or a manifest
 * with its files as multipart) and gets the SDK's report signed by its own report key; anyone re-verifies a report
 * handed in; the hosted members' report keys are published as a JWKS. Every rule and signature is the SDK's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "../zod";
import {
  CrossproofError,
  OPEN_ENDED,
  Right,
  TimePolicies,
  readPackageHeader,
  signReport,
  verifyReport,
  type RightName,
  type SignReportParameters,
  type VerifyEvidenceParameters,
} from "../../../sdk/src";
import type { Request } from "express";
import { recordAudit } from "../audit";
import type { Principal } from "../auth/principal";
import type { GatewayContext, GatewayModule } from "../gateway";
import type { HostedMember } from "../keystore";
import { Problem } from "../problems";
import { receiveMultipart } from "./multipart";

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex (0x + 64 hex digits)");

/** The options every verification takes, whatever the evidence. */
const VerificationOptions = z
  .object({
    anchoredBy: z.coerce.number().int().positive().optional().openapi({ description: "The anchoring member" }),
    batch: z
      .object({ batchId: bytes32, proof: z.array(bytes32).max(64) })
      .strict()
      .optional()
      .openapi({ description: "A Merkle batch the content hash is in, and its inclusion proof" }),
    timePolicy: z.enum(TimePolicies).optional().openapi({
      description:
        "When the recognition agreement must have been in force (default at-anchoring, the rule endorse applies)",
    }),
    confirmations: z.coerce.number().int().min(1).max(1000).optional(),
    license: z
      .object({
        licenseId: bytes32,
        right: z.enum(Object.keys(Right) as [RightName, ...RightName[]]),
        territory: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code"),
        at: z.coerce
          .number()
          .int()
          .min(0)
          .max(2 ** 48 - 1)
          .openapi({ description: "Unix seconds" }),
      })
      .strict()
      .optional()
      .openapi({
        description:
          "A licence question answered in the report's LICENSE_AUTHORIZATION check: did this licence's chain " +
          "authorise the right in the territory at that time (the chain's verifyAuthorization, in words)",
      }),
  })
  .strict();

const VerificationRequest = VerificationOptions.extend({
  evidence: z.union([
    z.object({ contentHash: bytes32 }).strict().openapi({ description: "Only a content hash: at best INDETERMINATE" }),
    z
      .object({ packageCid: z.string().min(1).max(256) })
      .strict()
      .openapi({ description: "A package in the content store, addressed to the calling member" }),
  ]),
})
  .strict()
  .openapi("VerificationRequest");

const ReportSchema = z
  .object({ format: z.string(), indication: z.enum(["TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE"]) })
  .passthrough()
  .openapi("VerificationReport", {
    description:
      "The SDK's report (crossproof.verification-report/1); JSON Schema: docs/schemas/verification-report.schema.json",
  });

const SignedReport = z
  .object({
    report: ReportSchema,
    jws: z.string().openapi({ description: "The report as a compact JWS signed by the member's report key" }),
    kid: z.string(),
  })
  .openapi("SignedVerificationReport");

/** The hosted member a principal acts for, with a report key: 403 otherwise. */
function hostedMember(ctx: GatewayContext, principal: Principal | undefined): HostedMember {
  if (principal?.kind !== "member") throw new Problem("forbidden", "only members verify through the gateway");
  const member = ctx.members.get(principal.memberId);
  if (member === undefined || member.reportKeys.length === 0) {
    throw new Problem("forbidden", `this gateway holds no report key of member ${principal.memberId}`);
  }
  return member;
}

/**
 * Signs a document with the member's newest report key that the chain says is valid at `at` (default now), trying
 * older ones when it is not; `sign` is the document's signer (`signReport`, `signAuthorizationAnswer`…). The signing
 * time (`iat`) is chain time, the clock key validity is recorded in: a gateway whose clock lags the chain must not
 * sign with a key the chain already revoked.
 */
export async function signAsMember(
  ctx: GatewayContext,
  member: HostedMember,
  sign: (o: SignReportParameters) => Promise<string>,
  at?: number,
): Promise<{ jws: string; kid: string }> {
  const when = at ?? (await ctx.cp.chainTime());
  let lastRefusal: unknown;
  for (const key of [...member.reportKeys].reverse()) {
    try {
      const jws = await sign({
        privateJwk: key.jwk,
        issuerMemberId: member.memberId,
        consortium: ctx.cp.consortium,
        at: when,
      });
      return { jws, kid: key.kid };
    } catch (err) {
      if (!(err instanceof CrossproofError) || !err.code.startsWith("REPORT_")) throw err;
      lastRefusal = err;
    }
  }
  throw new Problem(
    "forbidden",
    `none of member ${member.memberId}'s report keys held here is valid on chain now (register one)`,
    {},
    { cause: lastRefusal },
  );
}

async function verifyAndSign(
  ctx: GatewayContext,
  req: Request,
  member: HostedMember,
  options: z.infer<typeof VerificationOptions>,
  evidence: VerifyEvidenceParameters["evidence"],
) {
  const report = await ctx.cp.verify({
    evidence,
    verifier: { memberId: member.memberId },
    ...(options.anchoredBy === undefined ? {} : { anchoredBy: options.anchoredBy }),
    ...(options.batch === undefined ? {} : { batch: options.batch }),
    ...(options.timePolicy === undefined ? {} : { timePolicy: options.timePolicy }),
    ...(options.license === undefined ? {} : { license: options.license }),
    confirmations: options.confirmations ?? ctx.config.confirmations,
  });
  const { jws, kid } = await signAsMember(ctx, member, (o) => signReport(report, o));
  // Which person verified what: the content hash and the report's id (its digest identifies the signed report).
  recordAudit(ctx, req, "verified", `${report.subject.contentHash ?? "unknown"} report ${report.reportId}`);
  return { status: 200, body: { report, jws, kid } };
}

/** Seconds the published key set is reused (and may be cached by clients): a rotation shows within this time. */
const JWKS_MAX_AGE_SECONDS = 60;

export const verificationModule: GatewayModule = (ctx) => {
  let jwks: { at: number; keys: object[] } | undefined;
  ctx.api.route({
    method: "post",
    path: "/v1/verifications",
    summary: "Verify evidence by content hash or package CID; get the signed report",
    description:
      "Answers 200 with the report for every verdict: a FAILED check is a result, not an HTTP error. A package CID must " +
      "be addressed to the calling member (opened with its package key held by this gateway). A single loose file " +
      "finds no record (the chain holds manifest hashes): send the manifest with it to /v1/verifications/upload.",
    tags: ["verification"],
    auth: "member",
    body: VerificationRequest,
    responses: { 200: { description: "The report, signed", schema: SignedReport } },
    handler: async ({ body, principal, req }) => {
      const member = hostedMember(ctx, principal);
      if ("contentHash" in body.evidence) {
        return verifyAndSign(ctx, req, member, body, { contentHash: body.evidence.contentHash });
      }
      const cid = body.evidence.packageCid;
      const header = await readPackageHeader(ctx.store, cid);
      const key = member.packageKeys.find((k) => header.recipients.includes(k.kid));
      if (key === undefined) {
        throw new Problem("not-a-recipient", `package ${cid} is not addressed to member ${member.memberId}`, {
          recipients: header.recipients,
        });
      }
      const outputDir = mkdtempSync(path.join(tmpdir(), "crossproof-verify-"));
      recordAudit(ctx, req, "opened", cid);
      try {
        return await verifyAndSign(ctx, req, member, body, {
          package: { cid, store: ctx.store },
          recipientKey: key,
          outputDir,
        });
      } finally {
        rmSync(outputDir, { recursive: true, force: true });
      }
    },
  });

  ctx.api.route({
    method: "post",
    path: "/v1/verifications/upload",
    summary: "Verify a manifest and some or all of its files (multipart); get the signed report",
    description:
      "multipart/form-data: a part `options` (JSON, the same options as /v1/verifications), a part `manifest` (the " +
      "manifest's JSON bytes), and one part per evidence file whose filename is its path in the manifest. Files are " +
      "streamed to temporary storage (size-limited, hashed by the SDK against the manifest) and deleted after.",
    tags: ["verification"],
    auth: "member",
    bodyDoc: {
      contentType: "multipart/form-data",
      description: "options (JSON), manifest (JSON), files",
      schema: z.object({
        options: z.string().optional(),
        manifest: z.string(),
        files: z.array(z.string().openapi({ format: "binary" })).optional(),
      }),
    },
    responses: { 200: { description: "The report, signed", schema: SignedReport } },
    handler: async ({ req, principal }) => {
      const member = hostedMember(ctx, principal);
      const dir = mkdtempSync(path.join(tmpdir(), "crossproof-upload-"));
      try {
        const upload = await receiveMultipart(req, dir, { maxBytes: ctx.config.uploadLimit, preservePath: true });
        const manifest = upload.fields.get("manifest") ?? upload.files.find((f) => f.field === "manifest")?.bytes;
        if (manifest === undefined) throw new Problem("invalid-request", "the upload has no `manifest` part");
        const options = VerificationOptions.parse(JSON.parse(upload.fields.get("options") ?? "{}"));
        const files = upload.files
          .filter((f) => f.field !== "manifest")
          .map((f) => ({ source: f.source, path: f.filename }));
        return await verifyAndSign(ctx, req, member, options, { manifest, files });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });

  ctx.api.route({
    method: "post",
    path: "/v1/reports/verify",
    summary: "Re-verify a signed report someone hands in (against the chain)",
    tags: ["verification"],
    auth: "public",
    body: z.object({ jws: z.string().min(10).max(5_000_000) }).strict(),
    responses: {
      200: {
        description: "The report's signature and key are valid",
        schema: z.object({
          valid: z.literal(true),
          issuerMemberId: z.string(),
          kid: z.string(),
          signedAt: z.string(),
          report: ReportSchema,
        }),
      },
      422: { description: "The report is forged, altered, or signed with a key not valid at signing" },
    },
    handler: async ({ body }) => {
      const v = await verifyReport(body.jws, { consortium: ctx.cp.consortium });
      return {
        status: 200,
        body: {
          valid: true,
          issuerMemberId: v.issuerMemberId.toString(),
          kid: v.kid,
          signedAt: new Date(v.signedAt * 1000).toISOString(),
          report: v.report,
        },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "The report keys of the members this gateway serves, current and past, with their validity",
    tags: ["verification"],
    auth: "public",
    responses: {
      200: {
        description: "A JWK Set; each key has crossproof_member, valid_from and valid_until (ISO 8601)",
        schema: z.object({ keys: z.array(z.object({ kid: z.string() }).passthrough()) }),
      },
    },
    handler: async ({ res }) => {
      // One scan of the key events for every hosted member, answered for as long as clients may cache it.
      if (jwks === undefined || Date.now() - jwks.at > JWKS_MAX_AGE_SECONDS * 1000) {
        const keys = (await ctx.cp.consortium.registeredPublicKeys())
          .filter((k) => k.purpose === "Report" && ctx.members.has(k.memberId))
          .map((k) => ({
            ...k.jwk,
            crossproof_member: k.memberId.toString(),
            valid_from: new Date(k.validFrom * 1000).toISOString(),
            ...(k.validUntil === OPEN_ENDED ? {} : { valid_until: new Date(k.validUntil * 1000).toISOString() }),
          }));
        jwks = { at: Date.now(), keys };
      }
      const keys = jwks.keys;
      res.setHeader("cache-control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return { status: 200, body: { keys } };
    },
  });
};
