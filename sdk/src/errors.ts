/**
 * Every error the SDK throws is a {@link CrossproofError} with a `code` that callers can `switch` on.
 * The gateway maps each code to one HTTP status and an RFC 9457 problem document.
 */
export const CrossproofErrorCodes = [
  "INVALID_ARGUMENT",
  "INVALID_MANIFEST",
  "MANIFEST_HASH_MISMATCH",
  "FILE_HASH_MISMATCH",
  "FILE_READ_ERROR",
  "ENCRYPTION_ERROR",
  "DECRYPTION_FAILED",
  "NOT_A_RECIPIENT",
  // Sharing a package (package.ts rewrapPackage, share.ts sharePackage).
  "ALREADY_A_RECIPIENT",
  "RECIPIENT_KEY_UNKNOWN",
  "RECIPIENT_KEY_INVALID",
  "NO_ENCRYPTION_KEY",
  "CONTENT_NOT_FOUND",
  "CONTENT_STORE_ERROR",
  "CID_MISMATCH",
  "SIGNATURE_INVALID",
  "MERKLE_PROOF_INVALID",
  "MERKLE_LEAF_NOT_FOUND",
  "CHAIN_ERROR",
  "GATEWAY_ERROR",
  "GATEWAY_UNREACHABLE",
  /** The JSON-RPC node does not answer (connection refused, unknown host): the message names the URL. */
  "CHAIN_UNREACHABLE",
  "CONTRACT_REVERTED",
  "DEPLOYMENT_NOT_FOUND",
  "DEPLOYMENT_INVALID",
  "DEPLOYMENT_MISMATCH",
  "CONFIG_INVALID",
  // Signed verification reports (verify-report.ts).
  "REPORT_MALFORMED",
  "REPORT_SIGNATURE_INVALID",
  "REPORT_KEY_UNKNOWN",
  "REPORT_KEY_NOT_VALID_AT_SIGNING",
  "REPORT_ISSUER_NOT_ACTIVE",
  "REPORT_ISSUER_MISMATCH",
  // Signed webhooks of the gateway's alerts (alerts.ts verifyWebhook).
  "WEBHOOK_MALFORMED",
  "WEBHOOK_SIGNATURE_INVALID",
  "WEBHOOK_STALE",
  // Fingerprints of works and clips (fingerprint.ts, fingerprint-extract.ts, fingerprint-client.ts).
  /** ffmpeg or ffprobe is not installed (or not at the path given): the message names the apt package. */
  "FFMPEG_MISSING",
  /** The media file has no decodable video or audio stream (ffmpeg's last error lines in the message). */
  "MEDIA_UNDECODABLE",
  /** A fingerprint file that is not one: not JSON, wrong format or version, bad fields. */
  "FINGERPRINT_INVALID",
  /** A fingerprint file whose digest is not the one expected (the work record's, or the one asked for). */
  "FINGERPRINT_DIGEST_MISMATCH",
  /** A saved fingerprint match index fails its checks (fingerprint-store.ts): `details.reason` says which. */
  "FINGERPRINT_INDEX_INVALID",
] as const;
export type CrossproofErrorCode = (typeof CrossproofErrorCodes)[number];

export class CrossproofError extends Error {
  override readonly name = "CrossproofError";
  readonly code: CrossproofErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: CrossproofErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a {@link CrossproofError}, optionally with the given code. */
export function isCrossproofError(err: unknown, code?: CrossproofErrorCode): err is CrossproofError {
  return err instanceof CrossproofError && (code === undefined || err.code === code);
}
