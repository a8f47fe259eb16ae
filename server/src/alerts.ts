/**
 * Alerts: subscriptions of members and signed-in accounts, alerts derived from the chain, and their delivery by
 * signed webhook and by Server-Sent Events (see docs/ALERTS.md).
 *
 * - **Derived from the chain.** Alerts come from the chain index's rows (the chain's events), block by block behind a
 *   cursor stored with them, and from chain time (the latest block's timestamp) for due-soon, overdue and expiring —
 *   never from the gateway's clock. Every alert has a key (its idempotency key is its hash): an alert is stored once,
 *   so time-based alerts fire once per subscription, and a re-indexed block (a rollback) raises nothing twice.
 * - **Least disclosure.** Who an alert is for is computed from the chain facts (the addressee of a request, the
 *   anchoring member of a record, the licensees below a revoked licence, the holder of a work): a subscription only
 *   chooses kinds and may narrow to its own works or requests, never widen to another's.
 * - **Feed.** Each alert a subscription gets is a row of its feed, numbered in one increasing sequence (the SSE event
 *   id): the stream resumes after `Last-Event-ID` from the database, so a reconnecting client misses nothing.
 * - **Webhooks.** A subscription with a webhook URL gets a delivery row with each feed row, in the same transaction.
 *   The worker POSTs the alert signed by the hosting member's report key (detached JWS), retries with exponential
 *   back-off, logs every attempt, and after the last attempt leaves it in the dead letters until redriven. A delivery
 *   is marked done only after the receiver answered 2xx: a gateway killed mid-delivery sends it again after restart
 *   (at least once; the receiver drops repeats by idempotency key).
 */
import { createHash, randomUUID } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { EventEmitter } from "node:events";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import type { Logger } from "pino";
import {
  ACCOUNT_ALERT_KINDS,
  ALERT_FORMAT,
  ALERT_JWS_TYPE,
  IDEMPOTENCY_HEADER,
  OPEN_ENDED,
  WEBHOOK_SIGNATURE_HEADER,
  detachJws,
  signMemberJws,
  type AlertEvent,
  type AlertKind,
  type AuthorizationAnswerDocument,
  type GatewayAlertSubscription,
} from "../../sdk/src";
import { migrate, type Db } from "./db";
import type { GatewayContext } from "./gateway";
import type { HostedMember } from "./keystore";
import { Problem } from "./problems";
import { signAsMember } from "./routes/verification";
import type { Principal } from "./auth/principal";

/** The alerts module's tables. Append-only list: never edit a released step. */
const MIGRATIONS = [
  `CREATE TABLE alert_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE alert_subscriptions (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     kinds TEXT NOT NULL,
     webhook_url TEXT,
     due_soon_seconds INTEGER NOT NULL,
     expiring_seconds INTEGER NOT NULL,
     work_ids TEXT,
     request_ids TEXT,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     removed_at INTEGER,
     from_block INTEGER NOT NULL
   );
   CREATE INDEX alert_subscriptions_by_owner ON alert_subscriptions (owner);
   CREATE TABLE alert_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL UNIQUE,
     event_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     data TEXT NOT NULL,
     occurred_at INTEGER NOT NULL,
     block INTEGER,
     tx TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE alert_feed (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     subscription_id TEXT NOT NULL REFERENCES alert_subscriptions (id),
     event INTEGER NOT NULL REFERENCES alert_events (id),
     UNIQUE (subscription_id, event)
   );
   CREATE TABLE alert_deliveries (
     feed_id INTEGER PRIMARY KEY REFERENCES alert_feed (id),
     subscription_id TEXT NOT NULL REFERENCES alert_subscriptions (id),
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     delivered_at INTEGER
   );
   CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
   CREATE INDEX alert_deliveries_by_subscription ON alert_deliveries (subscription_id, status);
   CREATE TABLE alert_attempts (
     feed_id INTEGER NOT NULL REFERENCES alert_feed (id),
     attempt INTEGER NOT NULL,
     at INTEGER NOT NULL,
     status INTEGER,
     error TEXT,
     PRIMARY KEY (feed_id, attempt)
   );`,
];

/** The most subscriptions one member or account may hold. */
export const MAX_SUBSCRIPTIONS_PER_OWNER = 20;
/** Blocks derived in one transaction. */
const DERIVE_PAGE = 5000;
/** How far derivation goes back when the chain no longer has its last block. */
const REWIND_BLOCKS = 1000;
/** Webhooks sent at once by one gateway. */
const DELIVERY_CONCURRENCY = 8;

/** A subscription as stored and answered (the SDK's shape of it). */
export type Subscription = GatewayAlertSubscription;

interface SubscriptionRow {
  id: string;
  owner: string;
  kinds: string;
  webhook_url: string | null;
  due_soon_seconds: number;
  expiring_seconds: number;
  work_ids: string | null;
  request_ids: string | null;
  created_at: number;
  from_block: number;
}

const subscriptionOf = (r: SubscriptionRow): Subscription => ({
  id: r.id,
  owner: r.owner,
  kinds: JSON.parse(r.kinds) as AlertKind[],
  webhookUrl: r.webhook_url,
  dueSoonSeconds: r.due_soon_seconds,
  expiringSeconds: r.expiring_seconds,
  workIds: r.work_ids === null ? null : (JSON.parse(r.work_ids) as string[]),
  requestIds: r.request_ids === null ? null : (JSON.parse(r.request_ids) as string[]),
  createdAt: new Date(r.created_at).toISOString(),
});

/** The owner key of a principal: a member (whatever key or staff login it signed in with) or an account. */
export const ownerOf = (p: Principal): string =>
  p.kind === "member" ? `member:${p.memberId}` : `account:${p.address.toLowerCase()}`;

/** A delivery as the delivery log answers it. */
export interface Delivery {
  id: number;
  eventId: string;
  kind: AlertKind;
  status: "pending" | "delivered" | "dead";
  attempts: { attempt: number; at: string; status: number | null; error: string | null }[];
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
}

/** One alert about to be stored: its key, kind, who it is for, and what it says. */
interface Candidate {
  key: string;
  kind: AlertKind;
  /** Owner keys it is for (`member:<id>`, `account:<address>`). */
  audience: string[];
  data: Record<string, unknown>;
  occurredAt: number;
  block?: number;
  logIndex?: number;
  tx?: string;
  /** Only for this subscription (time-based alerts, whose threshold is the subscription's). */
  subscriptionId?: string;
  /** For the subscription's narrowing filters. */
  workId?: string;
  requestId?: string;
}

/** Addresses that are not on the public internet: refused as webhook targets unless private webhooks are allowed. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 127],
  ["::ffff:0:0", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}
const isPrivateAddress = (address: string) => PRIVATE.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/**
 * Checks a webhook URL when a subscription is made: http(s), no credentials; with private webhooks not allowed,
 * https only and not a literal private address or `localhost` (names are checked again at each connection, against
 * the address they resolve to, so DNS cannot smuggle one in).
 */
export function checkWebhookUrl(value: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Problem("invalid-request", `the webhook URL is not a URL: ${value}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Problem("invalid-request", "a webhook URL is https:// (or http:// where private webhooks are allowed)");
  }
  if (url.username !== "" || url.password !== "") {
    throw new Problem("invalid-request", "a webhook URL carries no credentials (the webhook is signed instead)");
  }
  if (!allowPrivate) {
    if (url.protocol !== "https:") throw new Problem("invalid-request", "a webhook URL must be https://");
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (host === "localhost" || host.endsWith(".localhost") || (isIP(host) !== 0 && isPrivateAddress(host))) {
      throw new Problem("forbidden", `webhooks to ${host} (loopback or private) are not allowed by this gateway`);
    }
  }
  url.hash = "";
  return url.toString();
}

/** A DNS lookup for webhook connections that refuses private addresses (unless allowed). */
export function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, []);
      const list = addresses;
      const refused = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused !== undefined) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to ${refused.address}, a private address`), {
            code: "EPRIVATE",
          }),
          [],
        );
      }
      if ((options as { all?: boolean }).all === true) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** POSTs a body; resolves to the HTTP status, rejects on a transport failure or the timeout. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; allowPrivate: boolean },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      u,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: guardedLookup(o.allowPrivate) as never,
        timeout: o.timeoutMs,
      },
      (res) => {
        // The answer's body means nothing here: read and drop at most what it sends.
        res.on("data", () => undefined);
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export interface AlertsParameters {
  ctx: GatewayContext;
  log: Logger;
}

/** The alerts of one gateway: its subscriptions, the derivation from the chain, the feeds and the webhooks. */
export class Alerts {
  readonly #ctx: GatewayContext;
  readonly #db: Db;
  readonly #log: Logger;
  /** Emits `feed` when feed rows were added (the SSE streams of this process wake up). */
  readonly events = new EventEmitter();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #round: Promise<void> | undefined;
  #inflight = new Set<Promise<void>>();
  /** Requests seen closed on chain (no time-based alert can fire for them any more). */
  readonly #closedRequests = new Set<string>();
  /** Licence ends read from the chain (a licence's end never changes). */
  readonly #licenceEnds = new Map<string, number>();

  constructor(p: AlertsParameters) {
    this.#ctx = p.ctx;
    this.#db = p.ctx.db;
    this.#log = p.log;
    this.events.setMaxListeners(0);
    migrate(this.#db, "alerts", MIGRATIONS);
  }

  // --------------------------------------------------------------------------------------------------------------
  // Subscriptions
  // --------------------------------------------------------------------------------------------------------------

  /** The member whose report key signs webhooks (config, else the lowest hosted member id with a report key). */
  signer(): HostedMember | undefined {
    const configured = this.#ctx.config.alertsSigner;
    if (configured !== "") {
      const m = this.#ctx.members.get(BigInt(configured));
      return m !== undefined && m.reportKeys.length > 0 ? m : undefined;
    }
    return [...this.#ctx.members.values()]
      .filter((m) => m.reportKeys.length > 0)
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))[0];
  }

  /**
   * Makes a subscription for a principal, after checking that it may see what it asks for: accounts only the licence
   * and work kinds; the works named must be the owner's (it holds or held them), the requests its own (it issued or
   * received them).
   */
  subscribe(
    principal: Principal,
    s: {
      kinds: AlertKind[];
      webhookUrl?: string | undefined;
      dueSoonSeconds: number;
      expiringSeconds: number;
      workIds?: string[] | undefined;
      requestIds?: string[] | undefined;
    },
    /** The chain's head now: alerts from chain events come for later blocks only. */
    fromBlock: number,
  ): Subscription {
    const owner = ownerOf(principal);
    if (principal.kind === "account") {
      const refused = s.kinds.filter((k) => !ACCOUNT_ALERT_KINDS.includes(k));
      if (refused.length > 0) {
        throw new Problem(
          "forbidden",
          `an account that is not a member may subscribe only to ${ACCOUNT_ALERT_KINDS.join(", ")} (not ${refused.join(", ")})`,
        );
      }
      if (s.requestIds !== undefined) throw new Problem("forbidden", "an account has no assistance requests");
    }
    const index = this.#index();
    if (s.workIds !== undefined) {
      const addresses = this.#addressesOf(owner);
      const foreign = s.workIds.filter(
        (w) =>
          !addresses.some((a) =>
            index.db
              .prepare(
                `SELECT 1 FROM idx_works WHERE work_id = ? AND rights_holder = ? UNION
                 SELECT 1 FROM idx_work_holders WHERE work_id = ? AND to_holder = ?`,
              )
              .get(w, a, w, a),
          ),
      );
      if (foreign.length > 0) {
        throw new Problem("forbidden", `not your works (you never held them): ${foreign.join(", ")}`, {
          workIds: foreign,
        });
      }
    }
    if (s.requestIds !== undefined && principal.kind === "member") {
      const member = Number(principal.memberId);
      const foreign = s.requestIds.filter(
        (r) =>
          index.db
            .prepare("SELECT 1 FROM idx_assistance WHERE request_id = ? AND (requester = ? OR addressee = ?)")
            .get(r, member, member) === undefined,
      );
      if (foreign.length > 0) {
        throw new Problem("forbidden", `not your assistance requests: ${foreign.join(", ")}`, { requestIds: foreign });
      }
    }
    let webhookUrl: string | null = null;
    if (s.webhookUrl !== undefined) {
      webhookUrl = checkWebhookUrl(s.webhookUrl, this.#ctx.config.alertsPrivateWebhooks);
      if (this.signer() === undefined) {
        throw new Problem(
          "conflict",
          "this gateway holds no report key to sign webhooks with (CROSSPROOF_ALERTS_SIGNER): use the stream",
        );
      }
    }
    const count = (
      this.#db
        .prepare("SELECT COUNT(*) AS n FROM alert_subscriptions WHERE owner = ? AND removed_at IS NULL")
        .get(owner) as { n: number }
    ).n;
    if (count >= MAX_SUBSCRIPTIONS_PER_OWNER) {
      throw new Problem("conflict", `at most ${MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions each: remove one first`);
    }
    const id = randomUUID();
    this.#db
      .prepare(
        `INSERT INTO alert_subscriptions (id, owner, kinds, webhook_url, due_soon_seconds, expiring_seconds, work_ids,
           request_ids, created_at, created_by, from_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        owner,
        JSON.stringify([...new Set(s.kinds)]),
        webhookUrl,
        s.dueSoonSeconds,
        s.expiringSeconds,
        s.workIds === undefined ? null : JSON.stringify(s.workIds.map((w) => w.toLowerCase())),
        s.requestIds === undefined ? null : JSON.stringify(s.requestIds.map((r) => r.toLowerCase())),
        Date.now(),
        principal.kind === "member" ? (principal.staff ?? principal.address) : principal.address,
        fromBlock,
      );
    return this.get(principal, id);
  }

  /** The principal's live subscriptions. */
  list(principal: Principal): Subscription[] {
    return (
      this.#db
        .prepare("SELECT * FROM alert_subscriptions WHERE owner = ? AND removed_at IS NULL ORDER BY created_at, id")
        .all(ownerOf(principal)) as SubscriptionRow[]
    ).map(subscriptionOf);
  }

  /** One of the principal's subscriptions: 404 for one it does not own (no telling whose it is). */
  get(principal: Principal, id: string): Subscription {
    const row = this.#db
      .prepare("SELECT * FROM alert_subscriptions WHERE id = ? AND owner = ? AND removed_at IS NULL")
      .get(id, ownerOf(principal)) as SubscriptionRow | undefined;
    if (row === undefined) throw new Problem("not-found", `you have no subscription ${id}`);
    return subscriptionOf(row);
  }

  /** Removes a subscription: no alert is added to it any more, its pending webhooks are dropped. */
  unsubscribe(principal: Principal, id: string): void {
    this.get(principal, id);
    this.#db.transaction(() => {
      this.#db.prepare("UPDATE alert_subscriptions SET removed_at = ? WHERE id = ?").run(Date.now(), id);
      this.#db
        .prepare(
          "UPDATE alert_deliveries SET status = 'dead', last_error = 'subscription removed' WHERE subscription_id = ? AND status = 'pending'",
        )
        .run(id);
    })();
    this.events.emit("feed");
  }

  /** The delivery log of a subscription's webhooks (newest first), by status. */
  deliveries(principal: Principal, id: string, o: { status?: Delivery["status"]; limit: number }): Delivery[] {
    this.get(principal, id);
    const rows = this.#db
      .prepare(
        `SELECT d.feed_id, d.status, d.next_attempt_at, d.delivered_at, d.last_error, e.event_id, e.kind
         FROM alert_deliveries d JOIN alert_feed f ON f.id = d.feed_id JOIN alert_events e ON e.id = f.event
         WHERE d.subscription_id = ? AND (? IS NULL OR d.status = ?) ORDER BY d.feed_id DESC LIMIT ?`,
      )
      .all(id, o.status ?? null, o.status ?? null, o.limit) as {
      feed_id: number;
      status: Delivery["status"];
      next_attempt_at: number;
      delivered_at: number | null;
      last_error: string | null;
      event_id: string;
      kind: AlertKind;
    }[];
    const attempts = this.#db.prepare(
      "SELECT attempt, at, status, error FROM alert_attempts WHERE feed_id = ? ORDER BY attempt",
    );
    return rows.map((r) => ({
      id: r.feed_id,
      eventId: r.event_id,
      kind: r.kind,
      status: r.status,
      attempts: (
        attempts.all(r.feed_id) as { attempt: number; at: number; status: number | null; error: string | null }[]
      ).map((a) => ({ attempt: a.attempt, at: new Date(a.at).toISOString(), status: a.status, error: a.error })),
      nextAttemptAt: r.status === "pending" ? new Date(r.next_attempt_at).toISOString() : null,
      deliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at).toISOString(),
      lastError: r.last_error,
    }));
  }

  /** How many webhook deliveries there are in each status (metrics). */
  deliveryCounts(): Record<Delivery["status"], number> {
    const counts = { pending: 0, delivered: 0, dead: 0 };
    for (const r of this.#db.prepare("SELECT status, COUNT(*) AS n FROM alert_deliveries GROUP BY status").all() as {
      status: Delivery["status"];
      n: number;
    }[]) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  /** Puts dead deliveries back in the queue (all of the subscription's, or those named); returns how many. */
  redrive(principal: Principal, id: string, deliveryIds?: number[]): number {
    this.get(principal, id);
    const now = Date.now();
    const run = (feedId: number | null) =>
      this.#db
        .prepare(
          `UPDATE alert_deliveries SET status = 'pending', next_attempt_at = ?, attempts = 0
           WHERE subscription_id = ? AND status = 'dead' AND (? IS NULL OR feed_id = ?)`,
        )
        .run(now, id, feedId, feedId).changes;
    const n = this.#db.transaction(() =>
      deliveryIds === undefined ? run(null) : deliveryIds.reduce((sum, d) => sum + run(d), 0),
    )();
    if (n > 0) this.#kick();
    return n;
  }

  /** The feed of a subscription after `after` (the last SSE event id seen), oldest first. */
  feed(subscriptionId: string, after: number, limit = 500): { id: number; event: AlertEvent }[] {
    const rows = this.#db
      .prepare(
        `SELECT f.id, f.subscription_id, s.owner, e.event_id, e.kind, e.data, e.occurred_at, e.block, e.tx
         FROM alert_feed f JOIN alert_events e ON e.id = f.event JOIN alert_subscriptions s ON s.id = f.subscription_id
         WHERE f.subscription_id = ? AND f.id > ? ORDER BY f.id LIMIT ?`,
      )
      .all(subscriptionId, after, limit) as FeedRow[];
    return rows.map((r) => ({ id: r.id, event: eventOf(r) }));
  }

  // --------------------------------------------------------------------------------------------------------------
  // Derivation
  // --------------------------------------------------------------------------------------------------------------

  /**
   * One round: alerts from the blocks indexed since the last round (behind the configured confirmations), then the
   * time-based alerts at chain time. Concurrent calls share one round.
   */
  processOnce(): Promise<void> {
    this.#round ??= this.#checkCursor()
      .then(() => this.#withBlockTimes(() => this.#process()))
      .then(() => this.#flush())
      .finally(() => {
        this.#round = undefined;
      });
    return this.#round;
  }

  /**
   * A rolled-back chain (a restored backup, `evm_revert`): when the chain no longer has the block the cursor was set
   * at, derivation goes back {@link REWIND_BLOCKS} blocks, so that what the index reads again is derived again (keys
   * make repeats no-ops). Alerts already sent for blocks the chain dropped are not withdrawn.
   */
  async #checkCursor(): Promise<void> {
    const cursor = this.#state("cursor");
    const hash = this.#state("cursor-hash");
    if (cursor === undefined) return;
    const block = await this.#ctx.cp.provider.getBlock(Number(cursor));
    if (hash === undefined || block?.hash?.toLowerCase() === hash) return;
    const back = Math.max(0, Number(cursor) - REWIND_BLOCKS);
    this.#log.warn({ cursor: Number(cursor), back }, "the chain no longer has the alerts' last block: deriving again");
    const again = await this.#ctx.cp.provider.getBlock(back);
    this.#db.transaction(() => {
      this.#setState("cursor", String(back));
      this.#setState("cursor-hash", again?.hash?.toLowerCase() ?? "");
    })();
  }

  /** Records where derivation reached, with that block's hash (to notice a rolled-back chain). */
  #setCursor(block: number, hash: string | undefined): void {
    this.#setState("cursor", String(block));
    if (hash !== undefined) this.#setState("cursor-hash", hash);
  }

  async #process(): Promise<void> {
    const index = this.#index();
    const indexed = index.status().indexedBlock;
    const target = indexed - (this.#ctx.config.confirmations - 1);
    const stored = this.#state("cursor");
    // A rolled-back index: what is indexed again is derived again (keys make repeats no-ops).
    let cursor = stored === undefined ? target : Math.min(Number(stored), target);
    if (stored === undefined) this.#setCursor(cursor, this.#blockHashes.get(cursor));
    while (cursor < target) {
      const to = Math.min(cursor + DERIVE_PAGE, target);
      const candidates = this.#fromBlocks(cursor, to);
      this.#db.transaction(() => {
        for (const c of candidates) this.#store(c);
        this.#setCursor(to, this.#blockHashes.get(to));
      })();
      cursor = to;
    }
    const latest = await this.#ctx.cp.provider.getBlock("latest");
    if (latest === null) throw new Error("the chain has no latest block");
    const timed = await this.#timeBased(latest.timestamp);
    if (timed.length > 0) this.#db.transaction(() => timed.forEach((c) => this.#store(c)))();
  }

  /** Owner keys of an address: the account, and the member it is a signing key of (if any). */
  #ownersOfAddress(address: string): string[] {
    const a = address.toLowerCase();
    const members = this.#db
      .prepare("SELECT DISTINCT member_id FROM idx_key_events WHERE key = ? AND event = 'Added'")
      .all(a) as { member_id: number }[];
    return [`account:${a}`, ...members.map((m) => `member:${m.member_id}`)];
  }

  /** The addresses an owner acts with: an account's own; a member's signing keys (every one it was given). */
  #addressesOf(owner: string): string[] {
    const [kind, id] = owner.split(":") as [string, string];
    if (kind === "account") return [id];
    return this.#index().signingKeys(Number(id));
  }

  /** Alerts of the index rows in blocks (from, to]. */
  #fromBlocks(from: number, to: number): Candidate[] {
    const db = this.#db;
    const out: Candidate[] = [];
    const range = [from, to] as const;
    // Assistance requests received.
    for (const r of db
      .prepare(
        `SELECT request_id, requester, addressee, kind, deadline, block, log_index, tx FROM idx_assistance
         WHERE block > ? AND block <= ? ORDER BY block, log_index`,
      )
      .all(...range) as {
      request_id: string;
      requester: number;
      addressee: number;
      kind: string;
      deadline: number;
      block: number;
      log_index: number;
      tx: string;
    }[]) {
      out.push({
        key: `assistance.received:${r.tx}:${r.log_index}`,
        kind: "assistance.received",
        audience: [`member:${r.addressee}`],
        data: {
          requestId: r.request_id,
          requester: String(r.requester),
          addressee: String(r.addressee),
          requestKind: r.kind,
          deadline: iso(r.deadline),
        },
        occurredAt: 0,
        block: r.block,
        logIndex: r.log_index,
        tx: r.tx,
        requestId: r.request_id,
      });
    }
    // Answered, clarification asked.
    for (const r of db
      .prepare(
        `SELECT e.request_id, e.event, e.state, e.late, e.block, e.log_index, e.tx, a.requester, a.addressee
         FROM idx_assistance_events e JOIN idx_assistance a ON a.request_id = e.request_id AND a.contract = e.contract
         WHERE e.block > ? AND e.block <= ? AND e.event IN ('Answered', 'ClarificationRequested')
         ORDER BY e.block, e.log_index`,
      )
      .all(...range) as {
      request_id: string;
      event: string;
      state: string | null;
      late: number | null;
      block: number;
      log_index: number;
      tx: string;
      requester: number;
      addressee: number;
    }[]) {
      const answered = r.event === "Answered";
      out.push({
        key: `${answered ? "assistance.answered" : "assistance.clarification"}:${r.tx}:${r.log_index}`,
        kind: answered ? "assistance.answered" : "assistance.clarification",
        audience: answered ? [`member:${r.requester}`] : [`member:${r.requester}`, `member:${r.addressee}`],
        data: {
          requestId: r.request_id,
          requester: String(r.requester),
          addressee: String(r.addressee),
          ...(answered ? { outcome: r.state, late: r.late === 1 } : {}),
        },
        occurredAt: 0,
        block: r.block,
        logIndex: r.log_index,
        tx: r.tx,
        requestId: r.request_id,
      });
    }
    // Endorsements and challenges: for the record's anchoring member.
    for (const r of db
      .prepare(
        `SELECT e.record_id, e.member_id, e.agreement_id, e.verdict, e.report_hash, e.block, e.log_index, e.tx,
           a.member_id AS anchored_by
         FROM idx_endorsements e JOIN idx_anchors a ON a.record_id = e.record_id AND a.contract = e.contract
         WHERE e.block > ? AND e.block <= ? ORDER BY e.block, e.log_index`,
      )
      .all(...range) as {
      record_id: string;
      member_id: number;
      agreement_id: number;
      verdict: string;
      report_hash: string;
      block: number;
      log_index: number;
      tx: string;
      anchored_by: number;
    }[]) {
      const kind: AlertKind = /challeng/i.test(r.verdict) ? "evidence.challenged" : "evidence.endorsed";
      out.push({
        key: `${kind}:${r.tx}:${r.log_index}`,
        kind,
        audience: [`member:${r.anchored_by}`],
        data: {
          recordId: r.record_id,
          by: String(r.member_id),
          verdict: r.verdict,
          agreementId: String(r.agreement_id),
          reportHash: r.report_hash,
        },
        occurredAt: 0,
        block: r.block,
        logIndex: r.log_index,
        tx: r.tx,
      });
    }
    // Transfers: for the member they were transferred to (awaiting its receipt).
    for (const r of db
      .prepare(
        `SELECT record_id, sequence, actor, counterparty, block, log_index, tx FROM idx_custody
         WHERE block > ? AND block <= ? AND event_type = 'Transferred' AND counterparty <> 0
         ORDER BY block, log_index`,
      )
      .all(...range) as {
      record_id: string;
      sequence: number;
      actor: number;
      counterparty: number;
      block: number;
      log_index: number;
      tx: string;
    }[]) {
      out.push({
        key: `custody.transfer-pending:${r.tx}:${r.log_index}`,
        kind: "custody.transfer-pending",
        audience: [`member:${r.counterparty}`],
        data: { recordId: r.record_id, from: String(r.actor), to: String(r.counterparty), sequence: r.sequence },
        occurredAt: 0,
        block: r.block,
        logIndex: r.log_index,
        tx: r.tx,
      });
    }
    // Revocations: for the licensees of the licence and of every licence below it.
    for (const r of db
      .prepare(
        `SELECT licence_id, revoked_at, block, log_index, tx, contract FROM idx_licence_revocations
         WHERE block > ? AND block <= ? ORDER BY block, log_index`,
      )
      .all(...range) as {
      licence_id: string;
      revoked_at: number;
      block: number;
      log_index: number;
      tx: string;
      contract: string;
    }[]) {
      const below = db
        .prepare(
          `WITH RECURSIVE chain(id) AS (SELECT ? UNION SELECT l.licence_id FROM idx_licences l JOIN chain c
             ON l.parent_id = c.id AND l.contract = ?)
           SELECT l.licence_id, l.work_id, l.licensee FROM idx_licences l JOIN chain c ON l.licence_id = c.id
           WHERE l.contract = ?`,
        )
        .all(r.licence_id, r.contract, r.contract) as { licence_id: string; work_id: string; licensee: string }[];
      const workId = below[0]?.work_id;
      out.push({
        key: `licence.revoked:${r.tx}:${r.log_index}`,
        kind: "licence.revoked",
        audience: [...new Set(below.flatMap((l) => this.#ownersOfAddress(l.licensee)))],
        data: { licenceId: r.licence_id, workId: workId ?? null, revokedAt: iso(r.revoked_at) },
        occurredAt: 0,
        block: r.block,
        logIndex: r.log_index,
        tx: r.tx,
        ...(workId === undefined ? {} : { workId }),
      });
    }
    // In the chain's order, so that a feed reads as the chain does.
    return out.sort((a, b) => a.block! - b.block! || a.logIndex! - b.logIndex!);
  }

  /** Time-based alerts of every live subscription asking for them, at chain time `now`. */
  async #timeBased(now: number): Promise<Candidate[]> {
    const subs = (
      this.#db.prepare("SELECT * FROM alert_subscriptions WHERE removed_at IS NULL").all() as SubscriptionRow[]
    ).map(subscriptionOf);
    const out: Candidate[] = [];
    const fired = this.#db.prepare("SELECT 1 FROM alert_events WHERE key = ?");
    for (const s of subs) {
      const [kind, id] = s.owner.split(":") as [string, string];
      const wants = (k: AlertKind) => s.kinds.includes(k);
      if (kind === "member" && (wants("assistance.due-soon") || wants("assistance.overdue"))) {
        const member = Number(id);
        const open = this.#db
          .prepare(
            `SELECT request_id, requester, addressee, deadline FROM idx_assistance a WHERE (requester = ? OR addressee = ?)
             AND deadline <= ? AND NOT EXISTS (SELECT 1 FROM idx_assistance_events e WHERE e.request_id = a.request_id
               AND e.contract = a.contract AND e.event IN ('Answered', 'Withdrawn'))
             ORDER BY block, log_index`,
          )
          .all(member, member, now + s.dueSoonSeconds) as {
          request_id: string;
          requester: number;
          addressee: number;
          deadline: number;
        }[];
        for (const r of open) {
          if (this.#closedRequests.has(r.request_id)) continue;
          if (s.requestIds !== null && !s.requestIds.includes(r.request_id)) continue;
          const dueKey = `assistance.due-soon:${r.request_id}:${s.id}`;
          const overdueKey = `assistance.overdue:${r.request_id}:${s.id}`;
          const wantDue = wants("assistance.due-soon") && r.addressee === member && fired.get(dueKey) === undefined;
          const wantOverdue = wants("assistance.overdue") && fired.get(overdueKey) === undefined;
          if (!wantDue && !wantOverdue) continue;
          // The index found it; the chain says its state and deadline now (a clarification may have moved it).
          const view = await this.#ctx.cp.assistance.getRequest(r.request_id);
          if (view === undefined) continue;
          const running = view.state === "Issued" || view.state === "Acknowledged";
          if (!running && view.stateNow !== "Overdue") {
            if (!["PartiallyFulfilled", "AwaitingClarification"].includes(view.state)) {
              this.#closedRequests.add(r.request_id);
            }
            continue;
          }
          const base = {
            requestId: r.request_id,
            requester: String(r.requester),
            addressee: String(r.addressee),
            deadline: iso(view.deadline),
          };
          if (wantOverdue && now > view.deadline && view.stateNow === "Overdue") {
            out.push({
              key: overdueKey,
              kind: "assistance.overdue",
              audience: [s.owner],
              data: { ...base, state: view.state },
              occurredAt: now,
              subscriptionId: s.id,
              requestId: r.request_id,
            });
          } else if (wantDue && running && now <= view.deadline && view.deadline - now <= s.dueSoonSeconds) {
            out.push({
              key: dueKey,
              kind: "assistance.due-soon",
              audience: [s.owner],
              data: { ...base, secondsLeft: view.deadline - now, threshold: s.dueSoonSeconds },
              occurredAt: now,
              subscriptionId: s.id,
              requestId: r.request_id,
            });
          }
        }
      }
      if (kind === "member" && wants("key.expiring")) {
        const keys = this.#db
          .prepare(
            `SELECT k.key, k.valid_until FROM idx_key_events k WHERE k.member_id = ? AND k.event = 'Added'
             AND k.valid_until <> ? AND k.valid_until > ? AND k.valid_until - ? <= ?
             AND NOT EXISTS (SELECT 1 FROM idx_key_events r WHERE r.member_id = k.member_id AND r.key = k.key
               AND r.event = 'Revoked' AND (r.block > k.block OR (r.block = k.block AND r.log_index > k.log_index)))`,
          )
          .all(Number(id), OPEN_ENDED, now, s.expiringSeconds, now) as { key: string; valid_until: number }[];
        for (const k of keys) {
          const key = `key.expiring:${k.key}:${k.valid_until}:${s.id}`;
          if (fired.get(key) !== undefined) continue;
          out.push({
            key,
            kind: "key.expiring",
            audience: [s.owner],
            data: { memberId: id, key: k.key, validUntil: iso(k.valid_until), secondsLeft: k.valid_until - now },
            occurredAt: now,
            subscriptionId: s.id,
          });
        }
      }
      if (wants("licence.expiring")) {
        const addresses = this.#addressesOf(s.owner);
        if (addresses.length === 0) continue;
        const licences = this.#db
          .prepare(
            `SELECT l.licence_id, l.work_id FROM idx_licences l WHERE l.licensee IN (${addresses.map(() => "?").join(", ")})
             AND NOT EXISTS (SELECT 1 FROM idx_licence_revocations r WHERE r.licence_id = l.licence_id
               AND r.contract = l.contract)`,
          )
          .all(...addresses) as { licence_id: string; work_id: string }[];
        for (const l of licences) {
          if (s.workIds !== null && !s.workIds.includes(l.work_id)) continue;
          let end = this.#licenceEnds.get(l.licence_id);
          if (end === undefined) {
            // The index found it; its term is read from the chain.
            end = (await this.#ctx.cp.licenses.getLicence(l.licence_id))?.end ?? OPEN_ENDED;
            this.#licenceEnds.set(l.licence_id, end);
          }
          if (end === OPEN_ENDED || end <= now || end - now > s.expiringSeconds) continue;
          const key = `licence.expiring:${l.licence_id}:${s.id}`;
          if (fired.get(key) !== undefined) continue;
          out.push({
            key,
            kind: "licence.expiring",
            audience: [s.owner],
            data: { licenceId: l.licence_id, workId: l.work_id, end: iso(end), secondsLeft: end - now },
            occurredAt: now,
            subscriptionId: s.id,
            workId: l.work_id,
          });
        }
      }
    }
    return out;
  }

  /**
   * Stores an alert once (by key) and adds it to the feed of every live subscription it is for (owner in its
   * audience, kind asked, filters passed), with a webhook delivery where the subscription has a webhook. Nothing is
   * stored for an alert no subscription wants. Call inside a transaction.
   */
  #store(c: Candidate): void {
    if (this.#db.prepare("SELECT 1 FROM alert_events WHERE key = ?").get(c.key) !== undefined) return;
    const subs = (
      this.#db
        .prepare(
          `SELECT * FROM alert_subscriptions WHERE removed_at IS NULL AND owner IN (${c.audience.map(() => "?").join(", ")})`,
        )
        .all(...c.audience) as SubscriptionRow[]
    )
      // A subscription hears of chain events after it was made, not of history (nor history derived again).
      .filter((r) => c.block === undefined || c.block > r.from_block)
      .map(subscriptionOf)
      .filter(
        (s) =>
          s.kinds.includes(c.kind) &&
          (c.subscriptionId === undefined || c.subscriptionId === s.id) &&
          (s.workIds === null || (c.workId !== undefined && s.workIds.includes(c.workId))) &&
          (s.requestIds === null || (c.requestId !== undefined && s.requestIds.includes(c.requestId))),
      );
    if (c.audience.length === 0 || subs.length === 0) return;
    const occurredAt = c.occurredAt !== 0 ? c.occurredAt : this.#blockTime(c.block!);
    const eventId = createHash("sha256").update(c.key).digest("hex");
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO alert_events (key, event_id, kind, data, occurred_at, block, tx, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.key, eventId, c.kind, JSON.stringify(c.data), occurredAt, c.block ?? null, c.tx ?? null, Date.now());
    const feed = this.#db.prepare("INSERT INTO alert_feed (subscription_id, event) VALUES (?, ?)");
    const delivery = this.#db.prepare(
      "INSERT INTO alert_deliveries (feed_id, subscription_id, status, next_attempt_at) VALUES (?, ?, 'pending', ?)",
    );
    for (const s of subs) {
      const f = feed.run(s.id, lastInsertRowid);
      if (s.webhookUrl !== null) delivery.run(f.lastInsertRowid, s.id, Date.now());
    }
    this.#pendingEmit = true;
  }

  #pendingEmit = false;
  /** Block times the derivation needs (chain time of a block), read once each from the chain by the round. */
  readonly #blockTimes = new Map<number, number>();
  /** Hashes of the blocks a round may set the cursor at (read by the round, before its transactions). */
  readonly #blockHashes = new Map<number, string>();

  #blockTime(block: number): number {
    const t = this.#blockTimes.get(block);
    if (t === undefined) throw new Error(`block ${block}'s time was not read`);
    return t;
  }

  /**
   * Alerts raised outside the index (a platform's upload question matched works): stored now, for the holders of
   * the works. `blockTime` is the chain time the question was answered at.
   */
  workMatched(matches: { workId: string; data: Record<string, unknown>; key: string }[], blockTime: number): void {
    const holders = this.#db.prepare(
      `SELECT holder FROM (SELECT rights_holder AS holder, block, log_index FROM idx_works WHERE work_id = ?
         UNION ALL SELECT to_holder AS holder, block, log_index FROM idx_work_holders WHERE work_id = ?)
       ORDER BY block DESC, log_index DESC LIMIT 1`,
    );
    this.#db.transaction(() => {
      for (const m of matches) {
        const holder = (holders.get(m.workId, m.workId) as { holder: string } | undefined)?.holder;
        if (holder === undefined) continue;
        this.#store({
          key: m.key,
          kind: "work.matched",
          audience: this.#ownersOfAddress(holder),
          data: { workId: m.workId, ...m.data },
          occurredAt: blockTime,
          workId: m.workId,
        });
      }
    })();
    this.#flush();
  }

  #flush(): void {
    if (this.#pendingEmit) {
      this.#pendingEmit = false;
      this.events.emit("feed");
      this.#kick();
    }
  }

  // --------------------------------------------------------------------------------------------------------------
  // Webhooks
  // --------------------------------------------------------------------------------------------------------------

  /** Sends every delivery due now (at most {@link DELIVERY_CONCURRENCY} at once); resolves when they are answered. */
  async deliverDue(): Promise<void> {
    const due = this.#db
      .prepare(
        `SELECT d.feed_id FROM alert_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ?
         ORDER BY d.next_attempt_at, d.feed_id LIMIT 200`,
      )
      .all(Date.now()) as { feed_id: number }[];
    const queue = due.map((d) => d.feed_id).filter((id) => !this.#sending.has(id));
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.#attempt(id);
    };
    await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, queue.length) }, worker));
  }

  readonly #sending = new Set<number>();

  async #attempt(feedId: number): Promise<void> {
    const row = this.#db
      .prepare(
        `SELECT f.id, f.subscription_id, s.owner, s.webhook_url, e.event_id, e.kind, e.data, e.occurred_at, e.block,
           e.tx, d.attempts, d.status
         FROM alert_deliveries d JOIN alert_feed f ON f.id = d.feed_id JOIN alert_events e ON e.id = f.event
         JOIN alert_subscriptions s ON s.id = f.subscription_id WHERE d.feed_id = ?`,
      )
      .get(feedId) as (FeedRow & { webhook_url: string | null; attempts: number; status: string }) | undefined;
    if (row === undefined || row.status !== "pending" || row.webhook_url === null) return;
    this.#sending.add(feedId);
    const attempt = row.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const event = eventOf(row);
      const body = JSON.stringify(event);
      const signer = this.signer();
      if (signer === undefined) throw new Error("this gateway holds no report key to sign webhooks with");
      const { jws } = await signAsMember(this.#ctx, signer, (o) => signMemberJws(event, ALERT_JWS_TYPE, o));
      status = await post(
        row.webhook_url,
        body,
        {
          "content-type": "application/json",
          "user-agent": "crossproof-gateway",
          [WEBHOOK_SIGNATURE_HEADER]: detachJws(jws),
          [IDEMPOTENCY_HEADER]: event.id,
          "crossproof-delivery-attempt": String(attempt),
        },
        { timeoutMs: this.#ctx.config.alertsWebhookTimeoutMs, allowPrivate: this.#ctx.config.alertsPrivateWebhooks },
      );
      if (status < 200 || status > 299) error = `the receiver answered ${status}`;
    } catch (err) {
      error = (err as Error).message;
    } finally {
      this.#sending.delete(feedId);
    }
    const now = Date.now();
    const c = this.#ctx.config;
    this.#db.transaction(() => {
      this.#db
        .prepare("INSERT OR REPLACE INTO alert_attempts (feed_id, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)")
        .run(feedId, attempt, now, status, error);
      if (error === null) {
        this.#db
          .prepare(
            "UPDATE alert_deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, last_status = ?, last_error = NULL WHERE feed_id = ?",
          )
          .run(attempt, now, status, feedId);
      } else if (attempt >= c.alertsMaxAttempts) {
        this.#db
          .prepare(
            "UPDATE alert_deliveries SET status = 'dead', attempts = ?, last_status = ?, last_error = ? WHERE feed_id = ?",
          )
          .run(attempt, status, error, feedId);
      } else {
        const wait =
          Math.min(c.alertsRetryMaxMs, c.alertsRetryBaseMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        this.#db
          .prepare(
            "UPDATE alert_deliveries SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE feed_id = ?",
          )
          .run(attempt, now + Math.round(wait), status, error, feedId);
      }
    })();
    if (error !== null) this.#log.info({ feedId, attempt, error }, "webhook not delivered");
  }

  // --------------------------------------------------------------------------------------------------------------
  // Worker
  // --------------------------------------------------------------------------------------------------------------

  /** One round of the worker: derive, then deliver what is due. */
  async tick(): Promise<void> {
    try {
      await this.processOnce();
    } catch (err) {
      this.#log.warn({ err }, "deriving alerts failed; retrying at the next round");
    }
    await this.deliverDue();
  }

  /** Reads the times of the blocks a round will need (the derivation itself is synchronous, in transactions). */
  async #withBlockTimes(round: () => Promise<void>): Promise<void> {
    const index = this.#index();
    const stored = this.#state("cursor");
    const target = index.status().indexedBlock - (this.#ctx.config.confirmations - 1);
    if (stored !== undefined && Number(stored) < target) {
      const blocks = new Set<number>();
      for (const t of [
        "idx_assistance",
        "idx_assistance_events",
        "idx_endorsements",
        "idx_custody",
        "idx_licence_revocations",
      ]) {
        for (const r of this.#db
          .prepare(`SELECT DISTINCT block FROM ${t} WHERE block > ? AND block <= ?`)
          .all(Number(stored), target) as { block: number }[]) {
          blocks.add(r.block);
        }
      }
      for (const b of blocks) {
        if (this.#blockTimes.has(b)) continue;
        const block = await this.#ctx.cp.provider.getBlock(b);
        if (block === null) throw new Error(`the chain has no block ${b}`);
        this.#blockTimes.set(b, block.timestamp);
      }
    }
    // The blocks the cursor may be set at (each page's end, as #process pages): their hashes.
    this.#blockHashes.clear();
    const from = stored === undefined ? target : Math.min(Number(stored), target);
    const ends = stored === undefined ? [target] : [];
    for (let b = from; b < target; b = Math.min(b + DERIVE_PAGE, target)) ends.push(Math.min(b + DERIVE_PAGE, target));
    for (const b of ends) {
      const block = await this.#ctx.cp.provider.getBlock(b);
      if (block?.hash !== null && block?.hash !== undefined) this.#blockHashes.set(b, block.hash.toLowerCase());
    }
    await round();
    if (this.#blockTimes.size > 10_000) this.#blockTimes.clear();
  }

  /** Runs {@link tick} every `intervalMs` (and at once when a delivery is queued). */
  start(intervalMs: number): void {
    this.#stopped = false;
    this.#interval = intervalMs;
    this.#schedule(0);
  }

  #interval = 0;

  #schedule(ms: number): void {
    if (this.#stopped || this.#interval === 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const run = this.tick().finally(() => {
        this.#inflight.delete(run);
        this.#schedule(this.#interval);
      });
      this.#inflight.add(run);
    }, ms);
    this.#timer.unref();
  }

  /** Something to deliver now: the worker runs soon (a polling worker) rather than at its next round. */
  #kick(): void {
    if (this.#inflight.size === 0) this.#schedule(0);
  }

  /** Stops the worker and waits for a round under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.all([...this.#inflight].map((p) => p.catch(() => undefined)));
    this.events.emit("close");
  }

  // --------------------------------------------------------------------------------------------------------------

  #index() {
    const index = this.#ctx.indexer;
    if (index === undefined) throw new Error("the alerts module needs the indexer module (register it first)");
    return index;
  }

  #state(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM alert_state WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  #setState(key: string, value: string): void {
    this.#db
      .prepare(
        "INSERT INTO alert_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** Derivation starts at the chain's head when alerts are first enabled (no history is replayed as news). */
  async initCursor(): Promise<void> {
    if (this.#state("cursor") === undefined) {
      const head = await this.#ctx.cp.provider.getBlock("latest");
      if (head === null) throw new Error("the chain has no latest block");
      this.#setCursor(head.number, head.hash?.toLowerCase());
    }
  }
}

interface FeedRow {
  id: number;
  subscription_id: string;
  owner: string;
  event_id: string;
  kind: AlertKind;
  data: string;
  occurred_at: number;
  block: number | null;
  tx: string | null;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function eventOf(r: FeedRow): AlertEvent {
  return {
    format: ALERT_FORMAT,
    id: r.event_id,
    kind: r.kind,
    subscriptionId: r.subscription_id,
    recipient: r.owner,
    sequence: r.id,
    occurredAt: iso(r.occurred_at),
    chain: r.block === null || r.tx === null ? null : { blockNumber: r.block, transactionHash: r.tx },
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

/** The alerts of a gateway (when the alerts module is registered). */
const running = new WeakMap<GatewayContext, Alerts>();

export function alertsOf(ctx: GatewayContext): Alerts | undefined {
  return running.get(ctx);
}

export function registerAlerts(ctx: GatewayContext, alerts: Alerts): void {
  running.set(ctx, alerts);
}

/**
 * Raises `work.matched` for the works a platform's signed authorisation answer matched (every answer but
 * UNKNOWN_WORK), for their holders' subscriptions. One call from the authorisations route; a no-op without the alerts
 * module. The answer's digest makes each alert's key.
 */
export function alertWorkMatches(ctx: GatewayContext, document: AuthorizationAnswerDocument, digest: string): void {
  const alerts = alertsOf(ctx);
  if (alerts === undefined) return;
  const matches = document.answers.flatMap((a, i) =>
    a.answer === "UNKNOWN_WORK"
      ? []
      : [
          {
            workId: a.query.workId.toLowerCase(),
            key: `work.matched:${digest}:${i}`,
            data: {
              platform: String(a.query.platform),
              answer: a.answer,
              right: a.query.right,
              territory: a.query.territory,
              atTime: iso(Number(a.query.atTime)),
              answerDigest: digest,
            },
          },
        ],
  );
  if (matches.length > 0) {
    try {
      alerts.workMatched(matches, document.chain.blockTime);
    } catch (err) {
      // An alert must never fail the question it comes from.
      ctx.log.error({ err }, "work.matched alerts not stored");
    }
  }
}
