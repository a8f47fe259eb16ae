/**
 * Alerts: what a gateway tells a member or an account as it happens (an assistance request received, due soon,
 * overdue, answered or in clarification; a challenge or endorsement of its evidence; a custody transfer awaiting its
 * receipt; a licence in its chain revoked or expiring; its key about to expire; a fingerprint match on its works),
 * and the check of a webhook's signature.
 *
 * A webhook's body is one {@link AlertEvent} as JSON. The gateway signs the body's exact bytes as a JWS with a hosted
 * member's report key (the key its `/.well-known/jwks.json` publishes and the Consortium registers), sent detached
 * (RFC 7515 Appendix F: `header..signature`) in the {@link WEBHOOK_SIGNATURE_HEADER} header; the
 * {@link IDEMPOTENCY_HEADER} header carries the event's id. {@link verifyWebhook} checks both in one call.
 *
 * Part of the pure core: no Node-only API, no network (the chain is reached only through the key directory passed in).
 */
import { base64url } from "jose";
import { CrossproofError, type CrossproofErrorCode } from "./errors";
import { verifyMemberJws, type ReportKeyDirectory } from "./verify-report";
import type { JSONWebKeySet } from "jose";

/** The JWS `typ` of a signed alert. */
export const ALERT_JWS_TYPE = "vnd.crossproof.alert+jws";
/** The format of an alert event (its `format` field). */
export const ALERT_FORMAT = "crossproof.alert/1";
/** The header carrying the detached JWS over the body. */
export const WEBHOOK_SIGNATURE_HEADER = "crossproof-signature";
/** The header carrying the event's id: the same for every attempt at delivering it. */
export const IDEMPOTENCY_HEADER = "idempotency-key";

/** What an alert is about. Members may subscribe to every kind; accounts (not members) to the licence and work kinds. */
export const AlertKinds = [
  /** An assistance request addressed to me was issued. */
  "assistance.received",
  /** An assistance request I must answer is due within the subscription's threshold (chain time). */
  "assistance.due-soon",
  /** An assistance request I issued or must answer is past its deadline, unanswered (chain time). */
  "assistance.overdue",
  /** An assistance request I issued was answered. */
  "assistance.answered",
  /** The addressee of a request I am party to asked for clarification. */
  "assistance.clarification",
  /** A member of another jurisdiction recognised my evidence. */
  "evidence.endorsed",
  /** A member of another jurisdiction challenged my evidence. */
  "evidence.challenged",
  /** Evidence was transferred to me: the transfer awaits my receipt. */
  "custody.transfer-pending",
  /** A licence in my chain (mine, or one above it) was revoked. */
  "licence.revoked",
  /** A licence I hold ends within the subscription's threshold (chain time). */
  "licence.expiring",
  /** One of my signing keys ends within the subscription's threshold (chain time). */
  "key.expiring",
  /** A platform's upload question matched one of my works. */
  "work.matched",
] as const;
export type AlertKind = (typeof AlertKinds)[number];

/** The kinds an account that is not a member may subscribe to (it has no requests, evidence or keys on chain). */
export const ACCOUNT_ALERT_KINDS: readonly AlertKind[] = ["licence.revoked", "licence.expiring", "work.matched"];

/** One alert, as a webhook's body and an SSE message's data. */
export interface AlertEvent {
  format: typeof ALERT_FORMAT;
  /** The event's id, also the {@link IDEMPOTENCY_HEADER}: a receiver that saw it already drops it. */
  id: string;
  kind: AlertKind;
  /** The subscription it was delivered for. */
  subscriptionId: string;
  /** Who it is for: `member:<id>` or `account:<address>` (the subscription's owner). */
  recipient: string;
  /** The position in the subscription's feed (the SSE event id): increases with every alert of the subscription. */
  sequence: number;
  /** Chain time of what happened (ISO 8601): the block's time, or for time-based alerts the chain time they fired at. */
  occurredAt: string;
  /** The chain event it comes from, when it comes from one. */
  chain: { blockNumber: number; transactionHash: string } | null;
  /** The facts, by kind (ids, member ids, times); only what the recipient is party to. */
  data: Record<string, unknown>;
}

/** Parameters of {@link verifyWebhook}. */
export interface VerifyWebhookParameters {
  /** The request body, exactly as received (bytes or the string they decode to). */
  body: Uint8Array | string;
  /** The request's headers (a `Headers`, or Node's `req.headers`); or give `signature` instead. */
  headers?: Headers | Record<string, string | string[] | undefined>;
  /** The detached JWS (the {@link WEBHOOK_SIGNATURE_HEADER} header's value). */
  signature?: string;
  /**
   * The signer's keys: the gateway's published key set (`/.well-known/jwks.json`) with `keySet`, or the chain
   * (`consortium`, a `ConsortiumClient`): then the key must be a report key of the signing member, valid at signing.
   */
  keySet?: JSONWebKeySet;
  consortium?: ReportKeyDirectory;
  /** Only this member may have signed (e.g. the gateway's hosting member). */
  issuerMemberId?: bigint | number;
  /** Refuse a signature older than this many seconds (its `iat`, chain time at signing) against `now`. */
  maxAgeSeconds?: number;
  /** Unix seconds to judge `maxAgeSeconds` against (default: now). */
  now?: number;
}

/** A webhook whose signature was checked. */
export interface VerifiedWebhook {
  event: AlertEvent;
  /** The member whose report key signed it. */
  issuerMemberId: bigint;
  kid: string;
  /** The signing time (`iat`), unix seconds. */
  signedAt: number;
}

const fail = (
  code: CrossproofErrorCode,
  message: string,
  o: { cause?: unknown; details?: Record<string, unknown> } = {},
) => new CrossproofError(code, message, o);

function header(headers: VerifyWebhookParameters["headers"], name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const h = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : h[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Whether a value has an alert event's shape. */
function isAlertEvent(v: unknown): v is AlertEvent {
  const e = v as Partial<AlertEvent> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    e.format === ALERT_FORMAT &&
    typeof e.id === "string" &&
    (AlertKinds as readonly string[]).includes(e.kind as string) &&
    typeof e.subscriptionId === "string" &&
    typeof e.recipient === "string" &&
    typeof e.sequence === "number" &&
    typeof e.occurredAt === "string" &&
    (e.chain === null || typeof e.chain === "object") &&
    typeof e.data === "object" &&
    e.data !== null
  );
}

/**
 * Checks a webhook in one call: the detached JWS in its {@link WEBHOOK_SIGNATURE_HEADER} header over the exact body,
 * by a member's report key (from the key set given, or registered on chain and valid at signing), the body an
 * {@link AlertEvent}, and the {@link IDEMPOTENCY_HEADER} header (when headers are given) the event's id. Refuses with
 * `WEBHOOK_MALFORMED` (no signature, not a JWS, not an alert, idempotency key mismatch), `WEBHOOK_SIGNATURE_INVALID`
 * (altered body, forged signature, unknown or revoked key, another issuer than `issuerMemberId`; `details.reason` is
 * the report check's code) or `WEBHOOK_STALE` (older than `maxAgeSeconds`).
 * @example
 * const { event } = await verifyWebhook({ body: rawBody, headers: req.headers, keySet: await gateway.jwks() });
 * if (!seen.has(event.id)) handle(event);
 */
export async function verifyWebhook(p: VerifyWebhookParameters): Promise<VerifiedWebhook> {
  const signature = p.signature ?? header(p.headers, WEBHOOK_SIGNATURE_HEADER);
  if (signature === undefined || signature === "") {
    throw fail("WEBHOOK_MALFORMED", `the webhook carries no signature (header ${WEBHOOK_SIGNATURE_HEADER})`);
  }
  const parts = signature.trim().split(".");
  if (parts.length !== 3 || parts[1] !== "" || parts[0] === "" || parts[2] === "") {
    throw fail("WEBHOOK_MALFORMED", "the webhook signature is not a detached compact JWS (header..signature)");
  }
  if ((p.keySet === undefined) === (p.consortium === undefined)) {
    throw fail("INVALID_ARGUMENT", "give the signer's keys as keySet or consortium, one of them");
  }
  const bytes = typeof p.body === "string" ? new TextEncoder().encode(p.body) : p.body;
  const jws = `${parts[0]}.${base64url.encode(bytes)}.${parts[2]}`;
  let checked: Awaited<ReturnType<typeof verifyMemberJws>>;
  try {
    checked = await verifyMemberJws(
      jws,
      ALERT_JWS_TYPE,
      "alert",
      p.keySet !== undefined
        ? { keySet: p.keySet, ...(p.issuerMemberId === undefined ? {} : { issuerMemberId: p.issuerMemberId }) }
        : { consortium: p.consortium! },
    );
  } catch (err) {
    const code = err instanceof CrossproofError ? err.code : undefined;
    if (code === "REPORT_MALFORMED") {
      throw fail("WEBHOOK_MALFORMED", `the webhook is not a signed alert: ${(err as Error).message}`, { cause: err });
    }
    throw fail("WEBHOOK_SIGNATURE_INVALID", `the webhook's signature is refused: ${(err as Error).message}`, {
      cause: err,
      details: { reason: code ?? "UNKNOWN" },
    });
  }
  if (p.issuerMemberId !== undefined && checked.header.issuer !== BigInt(p.issuerMemberId)) {
    throw fail(
      "WEBHOOK_SIGNATURE_INVALID",
      `the webhook was signed by member ${checked.header.issuer}, not ${p.issuerMemberId}`,
      { details: { reason: "REPORT_ISSUER_MISMATCH" } },
    );
  }
  if (!isAlertEvent(checked.value)) throw fail("WEBHOOK_MALFORMED", "the webhook's body is not a crossproof alert");
  const event = checked.value;
  const idempotencyKey = header(p.headers, IDEMPOTENCY_HEADER);
  if (idempotencyKey !== undefined && idempotencyKey !== event.id) {
    throw fail("WEBHOOK_MALFORMED", `the ${IDEMPOTENCY_HEADER} header is not the signed event's id`);
  }
  if (p.maxAgeSeconds !== undefined) {
    const now = p.now ?? Math.floor(Date.now() / 1000);
    if (now - checked.header.iat > p.maxAgeSeconds) {
      throw fail(
        "WEBHOOK_STALE",
        `the webhook was signed ${now - checked.header.iat} s ago (at most ${p.maxAgeSeconds})`,
        {
          details: { signedAt: checked.header.iat },
        },
      );
    }
  }
  return { event, issuerMemberId: checked.header.issuer, kid: checked.header.kid, signedAt: checked.header.iat };
}

/**
 * The detached form of a compact JWS (`header..signature`), as the {@link WEBHOOK_SIGNATURE_HEADER} carries it. The
 * gateway signs the body with `signMemberJws(event, ALERT_JWS_TYPE, …)`: the JWS payload is `JSON.stringify(event)`,
 * which is the body it sends.
 */
export function detachJws(jws: string): string {
  const parts = jws.split(".");
  if (parts.length !== 3) throw fail("INVALID_ARGUMENT", "not a compact JWS");
  return `${parts[0]}..${parts[2]}`;
}
