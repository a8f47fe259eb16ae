/**
 * RFC 9457 problem details: every error the gateway answers is one of these, with a stable `type` URI
 * (`urn:crossproof:problem:<slug>`), the HTTP status, a title per type, and a detail for this occurrence. SDK errors
 * map by their code, one status each; contract refusals carry the custom error's name and arguments.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import { CrossproofError, type CrossproofErrorCode } from "../../sdk/src";

/** The media type of a problem document. */
export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Every problem the gateway answers: its HTTP status and title. The slug is the stable part of the type URI. */
export const ProblemTypes = {
  "invalid-request": { status: 400, title: "The request is not valid" },
  "invalid-argument": { status: 400, title: "An argument is not valid" },
  "invalid-manifest": { status: 400, title: "The evidence manifest is not valid" },
  "hash-mismatch": { status: 422, title: "Content does not match its hash" },
  "signature-invalid": { status: 422, title: "The signature is not valid" },
  "contract-refused": { status: 422, title: "The contract refuses this request" },
  "not-a-recipient": { status: 403, title: "The package is not addressed to this member" },
  "decryption-failed": { status: 422, title: "The package could not be decrypted" },
  "content-not-found": { status: 404, title: "No such content" },
  "content-store-unavailable": { status: 503, title: "The content store is unavailable" },
  "chain-unavailable": { status: 503, title: "The chain node is unavailable" },
  "report-invalid": { status: 422, title: "The verification report is not valid" },
  "deployment-invalid": { status: 500, title: "The gateway's deployment record is not valid" },
  unauthenticated: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "too-many-requests": { status: 429, title: "Too many requests" },
  "not-ready": { status: 503, title: "The gateway is not ready" },
  internal: { status: 500, title: "Internal error" },
  "fingerprint-invalid": { status: 422, title: "The fingerprint is not valid" },
  "media-undecodable": { status: 422, title: "The media file cannot be decoded" },
  "fingerprinting-unavailable": { status: 503, title: "This gateway cannot decode media (no ffmpeg)" },
} as const satisfies Record<string, { status: number; title: string }>;
export type ProblemType = keyof typeof ProblemTypes;

export const problemTypeUri = (slug: ProblemType): string => `urn:crossproof:problem:${slug}`;

/** The problem every SDK error code maps to (one HTTP status per code). */
export const SdkCodeProblem: Record<CrossproofErrorCode, ProblemType> = {
  INVALID_ARGUMENT: "invalid-argument",
  INVALID_MANIFEST: "invalid-manifest",
  MANIFEST_HASH_MISMATCH: "hash-mismatch",
  FILE_HASH_MISMATCH: "hash-mismatch",
  FILE_READ_ERROR: "invalid-request",
  ENCRYPTION_ERROR: "internal",
  DECRYPTION_FAILED: "decryption-failed",
  NOT_A_RECIPIENT: "not-a-recipient",
  CONTENT_NOT_FOUND: "content-not-found",
  CONTENT_STORE_ERROR: "content-store-unavailable",
  CID_MISMATCH: "hash-mismatch",
  SIGNATURE_INVALID: "signature-invalid",
  MERKLE_PROOF_INVALID: "invalid-argument",
  MERKLE_LEAF_NOT_FOUND: "invalid-argument",
  CHAIN_ERROR: "chain-unavailable",
  CHAIN_UNREACHABLE: "chain-unavailable",
  GATEWAY_ERROR: "internal",
  GATEWAY_UNREACHABLE: "internal",
  CONTRACT_REVERTED: "contract-refused",
  DEPLOYMENT_NOT_FOUND: "deployment-invalid",
  DEPLOYMENT_INVALID: "deployment-invalid",
  DEPLOYMENT_MISMATCH: "deployment-invalid",
  CONFIG_INVALID: "internal",
  REPORT_MALFORMED: "report-invalid",
  REPORT_SIGNATURE_INVALID: "report-invalid",
  REPORT_KEY_UNKNOWN: "report-invalid",
  REPORT_KEY_NOT_VALID_AT_SIGNING: "report-invalid",
  REPORT_ISSUER_NOT_ACTIVE: "report-invalid",
  REPORT_ISSUER_MISMATCH: "report-invalid",
  ALREADY_A_RECIPIENT: "conflict",
  RECIPIENT_KEY_UNKNOWN: "invalid-argument",
  RECIPIENT_KEY_INVALID: "invalid-argument",
  NO_ENCRYPTION_KEY: "conflict",
  WEBHOOK_MALFORMED: "invalid-argument",
  WEBHOOK_SIGNATURE_INVALID: "signature-invalid",
  WEBHOOK_STALE: "invalid-argument",
  FFMPEG_MISSING: "fingerprinting-unavailable",
  MEDIA_UNDECODABLE: "media-undecodable",
  FINGERPRINT_INVALID: "fingerprint-invalid",
  FINGERPRINT_DIGEST_MISMATCH: "hash-mismatch",
  FINGERPRINT_INDEX_INVALID: "internal",
};

/** A problem to answer: thrown by routes and middleware, rendered by {@link problemHandler}. */
export class Problem extends Error {
  readonly status: number;
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(detail, options);
    this.status = ProblemTypes[type].status;
  }

  /** The RFC 9457 document. */
  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: problemTypeUri(this.type),
      title: ProblemTypes[this.type].title,
      status: this.status,
      detail: this.detail,
      ...(instance === undefined ? {} : { instance }),
      ...this.extensions,
    };
  }
}

/** Any error as a Problem: SDK errors by code, zod errors as invalid requests, body-parser errors by their status. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof CrossproofError) {
    const type = SdkCodeProblem[err.code] ?? "internal";
    const extensions: Record<string, unknown> = { code: err.code };
    if (err.code === "CONTRACT_REVERTED" && err.details !== undefined) {
      extensions.error = err.details.error;
      extensions.args = err.details.args;
      if (err.details.argsInWords !== undefined) extensions.argsInWords = err.details.argsInWords;
    }
    return new Problem(type, err.message, extensions, { cause: err });
  }
  if (err instanceof ZodError) {
    return new Problem(
      "invalid-request",
      err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      { issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
      { cause: err },
    );
  }
  const e = err as { status?: number; type?: string; message?: string } | undefined;
  if (e?.type === "entity.too.large") return new Problem("payload-too-large", e.message ?? "body too large");
  if (e?.type === "entity.parse.failed") return new Problem("invalid-request", `the body is not valid JSON`);
  if (e?.status === 415) return new Problem("unsupported-media-type", e.message ?? "unsupported media type");
  // Other client errors raised by Express and body-parser before a route runs (a path parameter that is not valid
  // percent-encoding, a body whose content encoding does not decode, an unknown charset): the client's fault, a 4xx.
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    const type: ProblemType = e.status === 413 ? "payload-too-large" : "invalid-request";
    return new Problem(type, clientErrorDetail(e), {}, { cause: err });
  }
  return new Problem("internal", "internal error", {}, { cause: err });
}

/** What a client error raised below the routes says: its own message when it is meant for the client, else a generic one. */
function clientErrorDetail(e: { message?: string; expose?: boolean; type?: string }): string {
  if (e instanceof URIError) return "a path parameter is not valid percent-encoding";
  if (e.expose === true && typeof e.message === "string" && e.message.length <= 200) return e.message;
  return e.type === undefined ? "the request is not valid" : `the request is not valid (${e.type})`;
}

/** Seconds a client is told to wait (`Retry-After`) before it tries again after a 503 problem. */
export const RETRY_AFTER_SECONDS = 5;

/** Renders errors as problem documents; logs the unexpected ones (5xx) with their stack. */
export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const problem = toProblem(err);
  if (problem.status >= 500 && problem.type !== "chain-unavailable" && problem.type !== "not-ready") {
    req.log?.error({ err }, "request failed");
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // An unavailable chain node or content store is the gateway's passing trouble: the client may try again.
  if (problem.status === 503) res.setHeader("retry-after", String(RETRY_AFTER_SECONDS));
  res
    .status(problem.status)
    .type(PROBLEM_MEDIA_TYPE)
    .send(JSON.stringify(problem.toJSON(req.originalUrl)));
};

/** The answer for a route that does not exist. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new Problem("not-found", `no route ${req.method} ${req.path}`));
};
