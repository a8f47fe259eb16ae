/**
 * The CLI's exit codes, one per class of error, and the one table that puts every SDK error code and every gateway
 * problem type into a class. docs/CLI.md prints the same table; a new SDK error code fails to compile here until it
 * is given a class.
 */
import { type CrossproofError, isCrossproofError, type CrossproofErrorCode } from "../index";

/** Exit code of each outcome. 0 is success; the others are stable (scripts `case` on them). */
export const ExitCode = {
  OK: 0,
  /** `verify`: the overall indication is not TOTAL-PASSED; `report verify`: the report does not verify. */
  VERIFICATION_FAILED: 1,
  /** A flag, argument or command the CLI does not know, or a required one missing. */
  USAGE: 2,
  /** An input that is not valid: a file that cannot be read, a bad hash, id, date or manifest. */
  INPUT: 3,
  /** Keystore password wrong or missing; a key that is not a member's; sign-in refused; not allowed. */
  AUTH: 4,
  /** The record, package, request, licence or file asked for does not exist. */
  NOT_FOUND: 5,
  /** The chain node, the gateway or the content store cannot be reached or failed. */
  NETWORK: 6,
  /** The contract (or the gateway on its behalf) refused the request: a rule of the consortium. */
  REFUSED: 7,
  /** The configuration or the deployment record is missing, not valid, or for another chain. */
  CONFIG: 8,
  /** A bug in the CLI or the SDK (run again with --debug and report it). */
  INTERNAL: 70,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;
export type ExitClass = keyof typeof ExitCode;

/** What each SDK error code means for the person at the terminal. */
export const SDK_CODE_CLASSES: Readonly<Record<CrossproofErrorCode, ExitClass>> = {
  INVALID_ARGUMENT: "INPUT",
  INVALID_MANIFEST: "INPUT",
  MANIFEST_HASH_MISMATCH: "VERIFICATION_FAILED",
  FILE_HASH_MISMATCH: "VERIFICATION_FAILED",
  FILE_READ_ERROR: "INPUT",
  ENCRYPTION_ERROR: "INPUT",
  DECRYPTION_FAILED: "AUTH",
  NOT_A_RECIPIENT: "AUTH",
  ALREADY_A_RECIPIENT: "REFUSED",
  RECIPIENT_KEY_UNKNOWN: "NOT_FOUND",
  RECIPIENT_KEY_INVALID: "INPUT",
  NO_ENCRYPTION_KEY: "NOT_FOUND",
  CONTENT_NOT_FOUND: "NOT_FOUND",
  CONTENT_STORE_ERROR: "NETWORK",
  CID_MISMATCH: "VERIFICATION_FAILED",
  SIGNATURE_INVALID: "VERIFICATION_FAILED",
  MERKLE_PROOF_INVALID: "VERIFICATION_FAILED",
  MERKLE_LEAF_NOT_FOUND: "NOT_FOUND",
  CHAIN_ERROR: "NETWORK",
  GATEWAY_ERROR: "NETWORK",
  GATEWAY_UNREACHABLE: "NETWORK",
  CHAIN_UNREACHABLE: "NETWORK",
  CONTRACT_REVERTED: "REFUSED",
  DEPLOYMENT_NOT_FOUND: "CONFIG",
  DEPLOYMENT_INVALID: "CONFIG",
  DEPLOYMENT_MISMATCH: "CONFIG",
  CONFIG_INVALID: "CONFIG",
  REPORT_MALFORMED: "INPUT",
  REPORT_SIGNATURE_INVALID: "VERIFICATION_FAILED",
  REPORT_KEY_UNKNOWN: "VERIFICATION_FAILED",
  REPORT_KEY_NOT_VALID_AT_SIGNING: "VERIFICATION_FAILED",
  REPORT_ISSUER_NOT_ACTIVE: "VERIFICATION_FAILED",
  REPORT_ISSUER_MISMATCH: "VERIFICATION_FAILED",
  WEBHOOK_MALFORMED: "VERIFICATION_FAILED",
  WEBHOOK_SIGNATURE_INVALID: "VERIFICATION_FAILED",
  WEBHOOK_STALE: "VERIFICATION_FAILED",
  FFMPEG_MISSING: "CONFIG",
  MEDIA_UNDECODABLE: "INPUT",
  FINGERPRINT_INVALID: "INPUT",
  FINGERPRINT_DIGEST_MISMATCH: "VERIFICATION_FAILED",
  FINGERPRINT_INDEX_INVALID: "INPUT",
};

/**
 * The gateway's problem types (`urn:crossproof:problem:<slug>`, server/src/problems.ts) that carry no SDK code, by
 * slug. A problem with an SDK `code` is classed by that code; one with neither, by its HTTP status.
 */
export const PROBLEM_TYPE_CLASSES: Readonly<Record<string, ExitClass>> = {
  "invalid-request": "INPUT",
  "invalid-argument": "INPUT",
  "invalid-manifest": "INPUT",
  "hash-mismatch": "VERIFICATION_FAILED",
  "signature-invalid": "VERIFICATION_FAILED",
  "contract-refused": "REFUSED",
  "not-a-recipient": "AUTH",
  "decryption-failed": "AUTH",
  "content-not-found": "NOT_FOUND",
  "content-store-unavailable": "NETWORK",
  "chain-unavailable": "NETWORK",
  "report-invalid": "VERIFICATION_FAILED",
  "deployment-invalid": "NETWORK",
  unauthenticated: "AUTH",
  forbidden: "AUTH",
  "not-found": "NOT_FOUND",
  "method-not-allowed": "INTERNAL",
  conflict: "REFUSED",
  "payload-too-large": "INPUT",
  "unsupported-media-type": "INTERNAL",
  "too-many-requests": "NETWORK",
  "not-ready": "NETWORK",
  internal: "NETWORK",
  "fingerprint-invalid": "INPUT",
  "media-undecodable": "INPUT",
  "fingerprinting-unavailable": "NETWORK",
};

/** An HTTP status's class, for a problem whose type this CLI does not know. */
export function statusClass(status: number): ExitClass {
  if (status === 401 || status === 403) return "AUTH";
  if (status === 404 || status === 410) return "NOT_FOUND";
  if (status === 409 || status === 422) return "REFUSED";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "INPUT";
  return "NETWORK";
}

/** A hint on what to do next, per class. */
const HINTS: Readonly<Record<ExitClass, string>> = {
  OK: "",
  VERIFICATION_FAILED: "",
  USAGE: "see `crossproof <command> --help`",
  INPUT: "check the value and try again",
  AUTH: "check the key file, its password (CROSSPROOF_KEYSTORE_PASSWORD) and that its key is a member's",
  NOT_FOUND: "check the id, hash or CID",
  NETWORK: "check that the node / gateway is running and the URL is right (--rpc, --gateway), then try again",
  REFUSED: "the consortium's rules refuse this: see the reason above",
  CONFIG: "check --config, --rpc and --deployment (see `crossproof config`)",
  INTERNAL: "run again with --debug and report the stack trace",
  INTERRUPTED: "",
};

/** An error the CLI reports itself, with its class (and the SDK error under it, if any). */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly exitClass: ExitClass,
    message: string,
    readonly hint?: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
  }

  /** What a script may need besides the message (e.g. `submission`: the outbox id of a write still pending). */
  readonly details: Record<string, unknown> | undefined;
}

/** The class, one-line message and hint for any error. */
export function classify(err: unknown): {
  exitClass: ExitClass;
  code: string | undefined;
  message: string;
  hint: string;
} {
  if (err instanceof CliError) {
    return { exitClass: err.exitClass, code: undefined, message: err.message, hint: err.hint ?? HINTS[err.exitClass] };
  }
  if (isCrossproofError(err)) return classifySdk(err);
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === "ECONNREFUSED" || e?.code === "ENOTFOUND" || e?.code === "ECONNRESET") {
    return { exitClass: "NETWORK", code: String(e.code), message: String(e.message), hint: HINTS.NETWORK };
  }
  if (e?.code === "ENOENT" || e?.code === "EACCES" || e?.code === "EISDIR") {
    return { exitClass: "INPUT", code: String(e.code), message: String(e.message), hint: HINTS.INPUT };
  }
  return {
    exitClass: "INTERNAL",
    code: undefined,
    message: err instanceof Error ? err.message : String(err),
    hint: HINTS.INTERNAL,
  };
}

function classifySdk(err: CrossproofError): {
  exitClass: ExitClass;
  code: string;
  message: string;
  hint: string;
} {
  const problem = (err.details as { problem?: { type?: unknown; status?: unknown; code?: unknown } } | undefined)
    ?.problem;
  let exitClass = SDK_CODE_CLASSES[err.code] ?? "INTERNAL";
  let code: string = err.code;
  if (err.code === "GATEWAY_ERROR" && problem !== undefined) {
    const slug = typeof problem.type === "string" ? problem.type.replace(/^urn:crossproof:problem:/, "") : "";
    exitClass =
      PROBLEM_TYPE_CLASSES[slug] ?? (typeof problem.status === "number" ? statusClass(problem.status) : "NETWORK");
    code = typeof problem.code === "string" ? problem.code : slug || err.code;
  }
  const reason = (err.details as { error?: unknown } | undefined)?.error;
  const message =
    typeof reason === "string" && !err.message.includes(reason) ? `${err.message} (${reason})` : err.message;
  return { exitClass, code, message, hint: HINTS[exitClass] };
}
