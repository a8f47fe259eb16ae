/**
 * A client of a crossproof gateway over HTTP: sign in with Sign-In with Ethereum (EIP-4361) using a member's (or an
 * account's) key, then verify evidence and get signed reports, re-verify reports, read the published report keys.
 * The gateway's RFC 9457 problems become `CrossproofError`s: with the SDK's own code when the problem carries one,
 * `GATEWAY_ERROR` otherwise (the problem document in `details.problem`).
 */
import { createWriteStream, mkdtempSync, openAsBlob, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Signer } from "ethers";
import type { JSONWebKeySet } from "jose";
import { SiweMessage } from "siwe";
import { CrossproofError, CrossproofErrorCodes, type CrossproofErrorCode } from "./errors";
import type { RightName } from "./constants";
import type { TimePolicy, VerificationReport } from "./report";
import {
  verifyAuthorizationAnswer,
  type AuthorizationAnswerDocument,
  type VerifiedAuthorizationAnswer,
} from "./authorization";
import type { ReportKeyDirectory } from "./verify-report";
import type { ContentStore } from "./store";
import { fingerprintDigest, type Fingerprint } from "./fingerprint";
import type { SignedRequest } from "./eip712";
import { toWireRequest } from "./wire";
import { cidToBytes } from "./cid";
import type { AlertEvent, AlertKind } from "./alerts";

/** An RFC 9457 problem document as the gateway answers it. */
export interface GatewayProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  [extension: string]: unknown;
}

/** Who a session belongs to, as the gateway states it. */
export type GatewayPrincipal =
  | { kind: "member"; memberId: string; roles: string[]; jurisdiction: string; address: string; staff?: string }
  | { kind: "account"; address: string };

/** Options of a verification through the gateway (the same as the SDK's `verifyEvidence`). */
export interface GatewayVerificationOptions {
  anchoredBy?: bigint | number;
  batch?: { batchId: string; proof: readonly string[] };
  timePolicy?: TimePolicy;
  confirmations?: number;
  /** A licence question, answered in the report's LICENSE_AUTHORIZATION check. */
  license?: { licenseId: string; right: RightName; territory: string; at: Date | number };
}

/** A report signed by the member's report key. */
export interface GatewaySignedReport {
  report: VerificationReport;
  jws: string;
  kid: string;
}

/** One upload question a PLATFORM member asks about an account on its own platform. */
export interface GatewayUploadQuery {
  /** The work id (its content hash). */
  workId: string;
  /** The account, hashed (`uploaderAccountHash`). */
  accountHash: string;
  /** ISO 3166-1 alpha-2 code. */
  territory: string;
  right: RightName;
  /** Default: the time of the block the gateway reads the chain at. */
  at?: Date | number;
}

/** The gateway's signed answers, as checked by {@link GatewayClient.authorizeUploads}. */
export interface GatewayAuthorizationAnswers extends Omit<VerifiedAuthorizationAnswer, "issuerMemberId" | "signedAt"> {
  /** The compact JWS (keep it: a dispute over the decision cites its digest). */
  jws: string;
  /** How the signature was checked: against the chain's report keys, or the gateway's published key set. */
  checkedAgainst: "chain" | "gateway-jwks";
}

/** Where a signed request handed to the gateway (`POST /v1/submissions`) is. */
export interface GatewaySubmission {
  id: string;
  status: "pending" | "confirmed" | "failed";
  /** The outbox state (accepted, sent, confirmed, failed…). */
  state?: string;
  contract?: string;
  primaryType?: string;
  digest?: string;
  signer?: string;
  dependsOn?: string[];
  waitingFor?: string[];
  acceptedAt?: string;
  sentAt?: string;
  settledAt?: string;
  transaction?: { hash: string; nonce: number; blockNumber?: number };
  /** The domain result (recordId, licenceId…), once confirmed. */
  result?: Record<string, unknown>;
  /** Why it failed: the SDK's code, the contract's custom error and its arguments in words. */
  error?: {
    code: string;
    message: string;
    error?: string;
    args?: unknown[];
    argsInWords?: Record<string, string>;
    dependency?: { id: string; primaryType: string; error: Record<string, unknown> };
  };
}

/** A submission confirmed on chain: its transaction, block and domain result. */
export interface ConfirmedSubmission extends GatewaySubmission {
  status: "confirmed";
  transaction: { hash: string; nonce: number; blockNumber?: number };
  result: Record<string, unknown>;
}

/** A subscription to the gateway's alerts (docs/ALERTS.md). */
export interface GatewayAlertSubscription {
  id: string;
  /** `member:<id>` or `account:<address>`. */
  owner: string;
  kinds: AlertKind[];
  webhookUrl: string | null;
  dueSoonSeconds: number;
  expiringSeconds: number;
  workIds: string[] | null;
  requestIds: string[] | null;
  createdAt: string;
}

/** What to subscribe to: kinds, and optionally a webhook, thresholds, and a narrowing to own works or requests. */
export interface NewAlertSubscription {
  kinds: readonly AlertKind[];
  /** Where the gateway POSTs each alert, signed (check it with `verifyWebhook`). None: read the stream or the feed. */
  webhookUrl?: string;
  /** `assistance.due-soon` fires this long before the deadline, in chain time (default one day). */
  dueSoonSeconds?: number;
  /** `licence.expiring` and `key.expiring` fire this long before the end, in chain time (default 30 days). */
  expiringSeconds?: number;
  workIds?: readonly string[];
  requestIds?: readonly string[];
}

/** One webhook delivery in the log: every attempt, its status. `dead` ones are the dead letters. */
export interface GatewayAlertDelivery {
  id: number;
  eventId: string;
  kind: AlertKind;
  status: "pending" | "delivered" | "dead";
  attempts: { attempt: number; at: string; status: number | null; error: string | null }[];
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
}

const SDK_CODES = new Set<string>(CrossproofErrorCodes);

/**
 * @example
 * const gw = await GatewayClient.signIn("http://127.0.0.1:8080", courtKey);
 * const { report, jws } = await gw.verify({ packageCid }, { anchoredBy: 1 });
 */
export class GatewayClient {
  readonly baseUrl: string;
  #token: string | undefined;
  #expiresAt: number | undefined;

  constructor(baseUrl: string, o: { token?: string } = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch (cause) {
      throw new CrossproofError("INVALID_ARGUMENT", `not a gateway URL: ${baseUrl}`, { cause });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new CrossproofError("INVALID_ARGUMENT", `a gateway URL is http(s), got ${baseUrl}`);
    }
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.#token = o.token;
  }

  /**
   * Signs in with Sign-In with Ethereum: asks the gateway for a nonce and the values its message must carry, signs
   * the message with `signer` (a key the Consortium lists for a member, a staff key, or any account), and keeps the
   * session token it answers.
   */
  static async signIn(baseUrl: string, signer: Signer): Promise<GatewayClient> {
    const client = new GatewayClient(baseUrl);
    await client.signIn(signer);
    return client;
  }

  /** Signs in (again) with `signer`; see {@link GatewayClient.signIn}. */
  async signIn(signer: Signer): Promise<GatewayPrincipal> {
    const n = await this.#call<{
      nonce: string;
      domain: string;
      uri: string;
      chainId: number;
      version: "1";
      statement: string;
    }>("POST", "/v1/auth/nonce", undefined, false);
    const message = new SiweMessage({
      domain: n.domain,
      address: await signer.getAddress(),
      statement: n.statement,
      uri: n.uri,
      version: n.version,
      chainId: n.chainId,
      nonce: n.nonce,
      issuedAt: new Date().toISOString(),
    }).prepareMessage();
    const session = await this.#call<{ token: string; expiresAt: number | string; principal: GatewayPrincipal }>(
      "POST",
      "/v1/auth/siwe",
      { message, signature: await signer.signMessage(message) },
      false,
    );
    this.#token = session.token;
    this.#expiresAt = typeof session.expiresAt === "number" ? session.expiresAt : Date.parse(session.expiresAt) / 1000;
    return session.principal;
  }

  /** The session token (to hand to another process), if signed in. */
  get token(): string | undefined {
    return this.#token;
  }

  /** When the session token expires (unix seconds), if known. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  /** Who the gateway says this session is. */
  session(): Promise<GatewayPrincipal> {
    return this.#call<{ principal: GatewayPrincipal }>("GET", "/v1/auth/session").then((r) => r.principal);
  }

  /** Verifies by content hash or by the CID of a package addressed to this member; the report signed. */
  verify(
    evidence: { contentHash: string } | { packageCid: string },
    options: GatewayVerificationOptions = {},
  ): Promise<GatewaySignedReport> {
    return this.#call("POST", "/v1/verifications", { evidence, ...wireOptions(options) });
  }

  /**
   * Verifies a manifest and some or all of its files, uploaded (multipart). A single loose file is verified through
   * the manifest that lists it: give the manifest with it.
   */
  async verifyUpload(
    p: { manifest: string | Uint8Array | object; files?: readonly { path: string; source: string }[] },
    options: GatewayVerificationOptions = {},
  ): Promise<GatewaySignedReport> {
    const form = new FormData();
    form.append("options", JSON.stringify(wireOptions(options)));
    const manifest =
      typeof p.manifest === "string"
        ? p.manifest
        : p.manifest instanceof Uint8Array
          ? new TextDecoder().decode(p.manifest)
          : JSON.stringify(p.manifest);
    form.append("manifest", new Blob([manifest], { type: "application/json" }), "manifest.json");
    for (const f of p.files ?? []) {
      let bytes: Buffer;
      try {
        bytes = await readFile(f.source);
      } catch (cause) {
        throw new CrossproofError("FILE_READ_ERROR", `cannot read ${f.source}`, { cause });
      }
      form.append("file", new Blob([new Uint8Array(bytes)]), f.path ?? path.basename(f.source));
    }
    return this.#call("POST", "/v1/verifications/upload", form);
  }

  /** Has the gateway re-verify a signed report against the chain. */
  verifyReport(
    jws: string,
  ): Promise<{ valid: true; issuerMemberId: string; kid: string; signedAt: string; report: VerificationReport }> {
    return this.#call("POST", "/v1/reports/verify", { jws }, false);
  }

  /**
   * A PLATFORM member asks whether uploads may go online (one query, or up to 1,000 in one call) and gets the
   * answers signed by its report key. The JWS is verified before anything is returned — against the chain's report
   * keys with `consortium` (a `ConsortiumClient`), else against the gateway's published key set — and the answers
   * returned are the signed ones.
   * @example
   * const { document, digest } = await gw.authorizeUploads(
   *   [{ workId, accountHash, territory: "FR", right: "MAKE_AVAILABLE" }], { consortium: cp.consortium });
   * if (document.answers[0].answer !== "ALLOWED") console.log(document.answers[0].summary);
   */
  async authorizeUploads(
    queries: GatewayUploadQuery | readonly GatewayUploadQuery[],
    o: { consortium?: ReportKeyDirectory } = {},
  ): Promise<GatewayAuthorizationAnswers> {
    const wire = (q: GatewayUploadQuery) => ({
      workId: q.workId,
      accountHash: q.accountHash,
      territory: q.territory,
      right: q.right,
      ...(q.at === undefined ? {} : { at: q.at instanceof Date ? Math.floor(q.at.getTime() / 1000) : q.at }),
    });
    const body = Array.isArray(queries)
      ? { items: (queries as readonly GatewayUploadQuery[]).map(wire) }
      : wire(queries as GatewayUploadQuery);
    return this.#askAuthorizations(body, o);
  }

  /**
   * A PLATFORM member asks about a clip instead of a work id: the gateway matches it against the registered works'
   * fingerprints and answers, signed, the works found and where (`document.clip.matches`: clip start/end ↔ work
   * start/end, speed, scores), with one licence answer per work found (`document.answers`, empty when nothing
   * matched). Give the clip's `fingerprint` computed here (`extractFingerprint`; the clip never leaves the platform,
   * its digest is sent along and checked), or the clip's `file` to upload (decoded by the gateway). The JWS is
   * verified as in {@link authorizeUploads}.
   * @example
   * const fp = await extractFingerprint("upload.mp4", { framesPerSecond: CLIP_FRAMES_PER_SECOND });
   * const { document } = await gw.authorizeClip({ fingerprint: fp }, { accountHash, territory: "FR", right: "MAKE_AVAILABLE" });
   * for (const m of document.clip!.matches) console.log(m.workId, m.workStartMs, m.workEndMs, m.score);
   */
  async authorizeClip(
    clip: { fingerprint: Fingerprint } | { file: string },
    question: Omit<GatewayUploadQuery, "workId">,
    o: { consortium?: ReportKeyDirectory } = {},
  ): Promise<GatewayAuthorizationAnswers> {
    const at = question.at instanceof Date ? Math.floor(question.at.getTime() / 1000) : question.at;
    let body: unknown;
    if ("fingerprint" in clip) {
      body = {
        accountHash: question.accountHash,
        territory: question.territory,
        right: question.right,
        ...(at === undefined ? {} : { at }),
        fingerprint: clip.fingerprint,
        fingerprintDigest: fingerprintDigest(clip.fingerprint),
      };
    } else {
      const form = new FormData();
      form.append("accountHash", question.accountHash);
      form.append("territory", question.territory);
      form.append("right", question.right);
      if (at !== undefined) form.append("at", String(at));
      let blob: Blob;
      try {
        blob = await openAsBlob(clip.file);
      } catch (cause) {
        throw new CrossproofError("FILE_READ_ERROR", `cannot read ${clip.file}`, { cause });
      }
      form.append("clip", blob, path.basename(clip.file));
      body = form;
    }
    return this.#askAuthorizations(body, o);
  }

  /** Posts upload questions (by work id or clip) and verifies the signed answer: against the chain, or the JWKS. */
  async #askAuthorizations(
    body: unknown,
    o: { consortium?: ReportKeyDirectory },
  ): Promise<GatewayAuthorizationAnswers> {
    const answered = await this.#call<AuthorizationAnswerDocument & { jws: string }>(
      "POST",
      "/v1/authorizations",
      body,
    );
    const verified =
      o.consortium !== undefined
        ? await verifyAuthorizationAnswer(answered.jws, { consortium: o.consortium })
        : await verifyAuthorizationAnswer(answered.jws, { keySet: await this.jwks() });
    return {
      document: verified.document,
      kid: verified.kid,
      digest: verified.digest,
      jws: answered.jws,
      checkedAgainst: o.consortium !== undefined ? "chain" : "gateway-jwks",
    };
  }

  /** The report keys of the members the gateway serves, current and past. */
  jwks(): Promise<JSONWebKeySet> {
    return this.#call("GET", "/.well-known/jwks.json", undefined, false);
  }

  /**
   * Hands a request signed offline (by the member's key, with the SDK's `sign…` helpers) to the gateway, which
   * checks it and relays it (`POST /v1/submissions`); resolves to the tracking id. The same signed request handed
   * again answers its first submission. Follow it with {@link waitForSubmission}.
   */
  submit(signed: SignedRequest<unknown, string>): Promise<{ id: string; status: GatewaySubmission["status"] }> {
    return this.#call("POST", "/v1/submissions", toWireRequest(signed));
  }

  /** Where a submission is (`GET /v1/submissions/{id}`): pending, confirmed or failed. */
  submission(id: string): Promise<GatewaySubmission> {
    return this.#call("GET", `/v1/submissions/${encodeURIComponent(id)}`);
  }

  /**
   * Polls a submission until it settles. Resolves to it confirmed (transaction, block, domain result); throws a
   * `CrossproofError` when it failed — the SDK's code the gateway gives (`CONTRACT_REVERTED`, `DEPENDENCY_FAILED`
   * maps to `CHAIN_ERROR`…), the contract's custom error in `details.error` and its arguments in words in
   * `details.argsInWords` — and `GATEWAY_ERROR` with `details.pending: true` when it is still pending after
   * `timeoutMs` (default 120 s): it may still be confirmed later.
   */
  async waitForSubmission(id: string, o: { timeoutMs?: number; pollMs?: number } = {}): Promise<ConfirmedSubmission> {
    const until = Date.now() + (o.timeoutMs ?? 120_000);
    for (;;) {
      const s = await this.submission(id);
      if (s.status === "confirmed") {
        return { ...s, status: "confirmed", transaction: s.transaction!, result: s.result ?? {} };
      }
      if (s.status === "failed") {
        const code =
          s.error !== undefined && SDK_CODES.has(s.error.code) ? (s.error.code as CrossproofErrorCode) : "CHAIN_ERROR";
        throw new CrossproofError(code, s.error?.message ?? `submission ${id} failed`, {
          details: {
            submission: id,
            ...(s.primaryType === undefined ? {} : { primaryType: s.primaryType }),
            ...(s.error?.error === undefined ? {} : { error: s.error.error }),
            ...(s.error?.argsInWords === undefined ? {} : { argsInWords: s.error.argsInWords }),
            ...(s.error?.dependency === undefined ? {} : { dependency: s.error.dependency }),
          },
        });
      }
      if (Date.now() > until) {
        throw new CrossproofError(
          "GATEWAY_ERROR",
          `submission ${id} is still pending after ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s`,
          { details: { submission: id, pending: true, statusUrl: `${this.baseUrl}/v1/submissions/${id}` } },
        );
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    }
  }

  /**
   * Stores a package (sealed or re-wrapped by this member, held in `store`) at the gateway (`POST /v1/packages`):
   * its envelope and every file, streamed through temporary files. The gateway recomputes the CID; a different one
   * is refused (`CID_MISMATCH`).
   */
  async uploadPackage(
    store: Pick<ContentStore, "get" | "resolve">,
    cid: string,
  ): Promise<{ cid: string; bytes?: number; [k: string]: unknown }> {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-upload-"));
    try {
      const form = new FormData();
      form.append("cid", cid);
      const parts = ["envelope.jwe.json"];
      for (let i = 0; ; i++) {
        const p = `files/${i}`;
        try {
          await store.resolve(`${cid}/${p}`);
        } catch {
          break;
        }
        parts.push(p);
      }
      for (const [i, p] of parts.entries()) {
        const file = path.join(dir, String(i));
        await pipeline(Readable.from(store.get(`${cid}/${p}`)), createWriteStream(file));
        form.append("file", await openAsBlob(file), p);
      }
      const stored = await this.#call<{ cid: string; bytes?: number }>("POST", "/v1/packages", form);
      if (stored.cid !== cid) {
        throw new CrossproofError("CID_MISMATCH", `the gateway stored ${stored.cid}, not ${cid}`, {
          details: { expected: cid, actual: stored.cid },
        });
      }
      return stored;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Subscribes to alerts (`POST /v1/alerts/subscriptions`). */
  subscribeAlerts(s: NewAlertSubscription): Promise<GatewayAlertSubscription> {
    return this.#call("POST", "/v1/alerts/subscriptions", s);
  }

  /** The session's subscriptions. */
  async alertSubscriptions(): Promise<GatewayAlertSubscription[]> {
    return (await this.#call<{ subscriptions: GatewayAlertSubscription[] }>("GET", "/v1/alerts/subscriptions"))
      .subscriptions;
  }

  /** Removes a subscription. */
  async unsubscribeAlerts(subscriptionId: string): Promise<void> {
    await this.#call("DELETE", `/v1/alerts/subscriptions/${encodeURIComponent(subscriptionId)}`);
  }

  /** A subscription's alerts after `after` (a sequence; default from the start), oldest first. */
  async alertEvents(subscriptionId: string, o: { after?: number; limit?: number } = {}): Promise<AlertEvent[]> {
    const q = new URLSearchParams();
    if (o.after !== undefined) q.set("after", String(o.after));
    if (o.limit !== undefined) q.set("limit", String(o.limit));
    const route = `/v1/alerts/subscriptions/${encodeURIComponent(subscriptionId)}/events?${q.toString()}`;
    return (await this.#call<{ events: AlertEvent[] }>("GET", route)).events;
  }

  /** The webhook delivery log of a subscription (newest first); `status: "dead"` lists the dead letters. */
  async alertDeliveries(
    subscriptionId: string,
    o: { status?: GatewayAlertDelivery["status"]; limit?: number } = {},
  ): Promise<GatewayAlertDelivery[]> {
    const q = new URLSearchParams();
    if (o.status !== undefined) q.set("status", o.status);
    if (o.limit !== undefined) q.set("limit", String(o.limit));
    const route = `/v1/alerts/subscriptions/${encodeURIComponent(subscriptionId)}/deliveries?${q.toString()}`;
    return (await this.#call<{ deliveries: GatewayAlertDelivery[] }>("GET", route)).deliveries;
  }

  /** Sends dead letters again (all of the subscription's, or those named); resolves to how many. */
  async redriveAlerts(subscriptionId: string, deliveryIds?: readonly number[]): Promise<number> {
    const route = `/v1/alerts/subscriptions/${encodeURIComponent(subscriptionId)}/redrive`;
    return (
      await this.#call<{ redriven: number }>(
        "POST",
        route,
        deliveryIds === undefined ? {} : { deliveryIds: [...deliveryIds] },
      )
    ).redriven;
  }

  /**
   * A subscription's alerts as they happen (Server-Sent Events): first those after `lastEventId`, then each new one.
   * When the connection ends (the gateway restarts, the network drops, the session's time is up) it reconnects with
   * `Last-Event-ID` — nothing is missed — unless `reconnect` is false or `signal` aborted. A refusal (401, 404) throws.
   * @example
   * for await (const { event } of gw.alertStream(subscription.id, { signal })) console.log(event.kind, event.data);
   */
  async *alertStream(
    subscriptionId: string,
    o: { lastEventId?: number; signal?: AbortSignal; reconnect?: boolean; retryMs?: number } = {},
  ): AsyncGenerator<{ id: number; event: AlertEvent }> {
    let last = o.lastEventId;
    let retry = o.retryMs ?? 2000;
    const route = `/v1/alerts/subscriptions/${encodeURIComponent(subscriptionId)}/stream`;
    for (;;) {
      if (this.#token === undefined) {
        throw new CrossproofError("INVALID_ARGUMENT", `${route} needs a session: sign in first (GatewayClient.signIn)`);
      }
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${route}`, {
          headers: {
            accept: "text/event-stream",
            authorization: `Bearer ${this.#token}`,
            ...(last === undefined ? {} : { "last-event-id": String(last) }),
          },
          ...(o.signal === undefined ? {} : { signal: o.signal }),
        });
      } catch (cause) {
        if (o.signal?.aborted === true) return;
        if (o.reconnect === false) {
          throw new CrossproofError("GATEWAY_UNREACHABLE", `cannot reach the gateway at ${this.baseUrl}`, { cause });
        }
        await pause(retry, o.signal);
        continue;
      }
      if (!res.ok || res.body === null) {
        const problem = (await res.json().catch(() => undefined)) as GatewayProblem | undefined;
        throw new CrossproofError("GATEWAY_ERROR", `GET ${route}: ${problem?.detail ?? `HTTP ${res.status}`}`, {
          details: { ...(problem ?? {}), status: res.status, problem },
        });
      }
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = parseSseBlock(block);
            if (fields.retry !== undefined) retry = fields.retry;
            if (fields.data === undefined || fields.id === undefined) continue;
            last = fields.id;
            yield { id: fields.id, event: JSON.parse(fields.data) as AlertEvent };
          }
        }
      } catch (err) {
        if (o.signal?.aborted === true) return;
        if (o.reconnect === false) throw err;
      }
      if (o.signal?.aborted === true || o.reconnect === false) return;
      await pause(retry, o.signal);
    }
  }

  /**
   * Fetches a package addressed to this member (`GET /v1/packages/{cid}`, then its envelope and files: ciphertext)
   * into `store`, and checks that the store computes the same CID — so a gateway cannot hand over other bytes.
   * Resolves to what the gateway says of it (package hash, recipients' key ids, number of files). A package not
   * addressed to the member (none of its registered encryption keys among the recipients) is `GATEWAY_ERROR` with the
   * 404 problem, as an unknown one.
   * @example
   * await gateway.downloadPackage(record.packageCid, await EmbeddedContentStore.open("./content"));
   */
  async downloadPackage(
    cid: string,
    store: Pick<ContentStore, "putDirectory">,
  ): Promise<{ cid: string; contentHash: string; recipients: string[]; files: number }> {
    const route = `/v1/packages/${encodeURIComponent(cid)}`;
    const info = await this.#call<{ cid: string; contentHash: string; recipients: string[]; files: number }>(
      "GET",
      route,
    );
    if (!Number.isSafeInteger(info.files) || info.files < 1) {
      throw new CrossproofError("GATEWAY_ERROR", `GET ${route}: the gateway says the package has ${info.files} files`);
    }
    const parts = ["envelope.jwe.json", ...Array.from({ length: info.files }, (_, i) => `files/${i}`)];
    const stored = await store.putDirectory(
      parts.map((p) => ({
        path: p,
        content: this.#bytes(`${route}/${p === "envelope.jwe.json" ? "envelope" : p}`),
      })),
    );
    if (cidToBytes(stored) !== cidToBytes(cid)) {
      throw new CrossproofError("CID_MISMATCH", `the gateway's copy of ${cid} has the CID ${stored}`, {
        details: { expected: cid, actual: stored },
      });
    }
    return info;
  }

  /** A signed-in GET of bytes, streamed (a problem answer becomes the same error as in {@link request}). */
  async *#bytes(route: string): AsyncIterable<Uint8Array> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${route}`, {
        headers: { accept: "application/octet-stream", authorization: `Bearer ${this.#token ?? ""}` },
      });
    } catch (cause) {
      throw new CrossproofError("GATEWAY_UNREACHABLE", `cannot reach the gateway at ${this.baseUrl}`, { cause });
    }
    if (!res.ok || res.body === null) {
      let problem: GatewayProblem | undefined;
      try {
        problem = (await res.json()) as GatewayProblem;
      } catch {
        problem = undefined;
      }
      throw new CrossproofError("GATEWAY_ERROR", `GET ${route}: ${problem?.detail ?? `HTTP ${res.status}`}`, {
        details: { ...(problem ?? {}), status: res.status, problem },
      });
    }
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  }

  /**
   * Any other gateway route, as JSON (or multipart when `body` is a `FormData`): signed in unless `auth` is false.
   * Problems become `CrossproofError`s as every method here makes them.
   */
  request<T>(method: string, route: string, body?: unknown, o: { auth?: boolean } = {}): Promise<T> {
    return this.#call(method, route, body, o.auth ?? true);
  }

  async #call<T>(method: string, route: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (auth) {
      if (this.#token === undefined) {
        throw new CrossproofError("INVALID_ARGUMENT", `${route} needs a session: sign in first (GatewayClient.signIn)`);
      }
      headers.authorization = `Bearer ${this.#token}`;
    }
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${route}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
    } catch (cause) {
      throw new CrossproofError(
        "GATEWAY_UNREACHABLE",
        `cannot reach the gateway at ${this.baseUrl}: is it running, and is the URL right?`,
        { cause },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch (cause) {
      throw new CrossproofError(
        "GATEWAY_ERROR",
        `${method} ${route}: the gateway answered ${res.status} with no JSON`,
        {
          cause,
          details: { status: res.status },
        },
      );
    }
    if (!res.ok) {
      const problem = json as GatewayProblem | undefined;
      const code =
        problem?.code !== undefined && SDK_CODES.has(problem.code)
          ? (problem.code as CrossproofErrorCode)
          : "GATEWAY_ERROR";
      // The problem's extensions (the contract's error, its arguments in words…) also at the top of the details.
      throw new CrossproofError(code, `${method} ${route}: ${problem?.detail ?? `HTTP ${res.status}`}`, {
        details: { ...(problem ?? {}), status: res.status, problem },
      });
    }
    return json as T;
  }
}

/** One Server-Sent Events message's fields (comments and unknown fields dropped). */
function parseSseBlock(block: string): { id?: number; data?: string; retry?: number } {
  const out: { id?: number; data?: string; retry?: number } = {};
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id" && /^[0-9]+$/.test(value)) out.id = Number(value);
    else if (field === "data") out.data = out.data === undefined ? value : `${out.data}\n${value}`;
    else if (field === "retry" && /^[0-9]+$/.test(value)) out.retry = Number(value);
  }
  return out;
}

/** Waits `ms` (or until `signal` aborts). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function wireOptions(o: GatewayVerificationOptions): Record<string, unknown> {
  return {
    ...(o.anchoredBy === undefined ? {} : { anchoredBy: Number(o.anchoredBy) }),
    ...(o.batch === undefined ? {} : { batch: { batchId: o.batch.batchId, proof: [...o.batch.proof] } }),
    ...(o.timePolicy === undefined ? {} : { timePolicy: o.timePolicy }),
    ...(o.confirmations === undefined ? {} : { confirmations: o.confirmations }),
    ...(o.license === undefined
      ? {}
      : {
          license: {
            licenseId: o.license.licenseId,
            right: o.license.right,
            territory: o.license.territory,
            at: o.license.at instanceof Date ? Math.floor(o.license.at.getTime() / 1000) : o.license.at,
          },
        }),
  };
}
