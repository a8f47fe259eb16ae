/**
 * The audit log: which person (a member's own key or a staff login under it, or an account) verified, opened,
 * downloaded or changed what, and when. Append-only — no code path updates or deletes a row, and SQLite triggers
 * refuse both — and hash-chained per member: each row's hash covers the previous row of the same member, so a member
 * can check the entries it reads (`GET /v1/audit`) on its own, and {@link verifyAuditChain} finds a row altered or
 * removed in the database file.
 */
import { createHash } from "node:crypto";
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import type { Request } from "express";
import { ZeroHash } from "ethers";
import { z } from "zod";
import type { Principal } from "./auth/principal";
import type { Statement, Transaction } from "better-sqlite3";
import { migrate, type Db } from "./db";
import type { GatewayContext, GatewayModule } from "./gateway";

extendZodWithOpenApi(z);

/** What the log records. Modules add their actions here (one spelling for each). */
export const AuditActions = [
  "signed-in",
  "staff-added",
  "staff-removed",
  "verified",
  "opened",
  "downloaded",
  // Retention (server/src/retention.ts): a purge is the gateway's own action (no person, no address).
  "legal-hold-placed",
  "legal-hold-released",
  "purged",
  "submitted",
  "uploaded",
  "authorized",
] as const;
export type AuditAction = (typeof AuditActions)[number];

/** One row of the audit log. */
export interface AuditEntry {
  /** Position in the whole log (1, 2, …; a member's own entries skip the other members' numbers). */
  seq: number;
  /** When, ISO 8601 UTC with milliseconds (the gateway's clock). */
  at: string;
  /** The hash chain the row is on: `member:<id>` for a member's entries, `others` for accounts and anonymous. */
  chain: string;
  /** The member acting (decimal), or null for an account or anonymous caller. */
  memberId: string | null;
  /** The person: the staff login's name as the member's administrator gave it; null for a member's own key. */
  person: string | null;
  /** The key that signed in (member key, staff key or account), or null for an anonymous caller. */
  address: string | null;
  action: AuditAction;
  /** What was acted on: record id, CID, report id, staff address…; null when nothing in particular. */
  subject: string | null;
  /** The request's id (`x-request-id`), to find it in the gateway's logs. */
  requestId: string | null;
  /** The hash of the previous row on the same chain; the zero hash for the first. */
  prevHash: string;
  /** SHA-256 of this row's fields and `prevHash` (see {@link auditEntryHash}). */
  hash: string;
}

/** An audit entry as the API answers it. */
export const AuditEntrySchema = z
  .object({
    seq: z.number().int().positive(),
    at: z.string(),
    chain: z.string(),
    memberId: z.string().nullable(),
    person: z.string().nullable(),
    address: z.string().nullable(),
    action: z.enum(AuditActions),
    subject: z.string().nullable(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEntry");

/** The chain an entry of this member (or of no member) is on. */
export const auditChainOf = (memberId: bigint | string | null): string =>
  memberId === null ? "others" : `member:${memberId}`;

/**
 * The hash of an entry: SHA-256 (0x-hex) of the JSON array of its fields in a fixed order, the previous hash last.
 * Anyone can recompute it from an entry as the API answers it.
 */
export function auditEntryHash(e: Omit<AuditEntry, "hash">): string {
  const fields = [
    "crossproof.audit/1",
    e.seq,
    e.at,
    e.chain,
    e.memberId,
    e.person,
    e.address,
    e.action,
    e.subject,
    e.requestId,
    e.prevHash,
  ];
  return `0x${createHash("sha256").update(JSON.stringify(fields), "utf8").digest("hex")}`;
}

/** Why a chain does not verify, one code per check. */
export type AuditChainFailure =
  /** A row's hash is not the hash of its fields: the row was altered. */
  | "HASH_MISMATCH"
  /** A row does not name the previous row's hash of its chain: a row before it was removed or altered. */
  | "CHAIN_BROKEN"
  /** Rows are not in increasing `seq` order. */
  | "OUT_OF_ORDER";

export type AuditChainVerdict =
  | { valid: true; entries: number; heads: Record<string, string> }
  | { valid: false; entries: number; seq: number; code: AuditChainFailure; detail: string };

/**
 * Checks entries in `seq` order: each hash recomputes, each names its chain's previous hash (the zero hash first, or
 * `heads[chain]` when the entries continue from a head known before). Pure: a member runs it on the entries it read.
 */
export function verifyAuditEntries(
  entries: Iterable<AuditEntry>,
  o: { heads?: Readonly<Record<string, string>> } = {},
): AuditChainVerdict {
  const heads: Record<string, string> = { ...o.heads };
  let n = 0;
  let last = 0;
  for (const e of entries) {
    n++;
    const fail = (code: AuditChainFailure, detail: string): AuditChainVerdict => ({
      valid: false,
      entries: n,
      seq: e.seq,
      code,
      detail,
    });
    if (e.seq <= last) return fail("OUT_OF_ORDER", `entry ${e.seq} comes after entry ${last}`);
    last = e.seq;
    const { hash, ...fields } = e;
    if (auditEntryHash(fields) !== hash) return fail("HASH_MISMATCH", `entry ${e.seq} does not hash to its hash`);
    const expected = heads[e.chain] ?? ZeroHash;
    if (e.prevHash !== expected) {
      return fail(
        "CHAIN_BROKEN",
        `entry ${e.seq} names ${e.prevHash} as the previous hash of ${e.chain}, not ${expected}`,
      );
    }
    heads[e.chain] = hash;
  }
  return { valid: true, entries: n, heads };
}

/** Checks the whole log in the database (see {@link verifyAuditEntries}). */
export function verifyAuditChain(db: Db): AuditChainVerdict {
  return verifyAuditEntries(AuditLog.for(db).all());
}

interface Row {
  seq: number;
  at: string;
  chain: string;
  member_id: string | null;
  person: string | null;
  address: string | null;
  action: AuditAction;
  subject: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: Row): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  chain: r.chain,
  memberId: r.member_id,
  person: r.person,
  address: r.address,
  action: r.action,
  subject: r.subject,
  requestId: r.request_id,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const APPEND_ONLY = "the audit log is append-only";

/** What an entry says; the log adds the time, its place and the hashes. */
export interface AuditRecord {
  memberId: bigint | null;
  person: string | null;
  address: string | null;
  action: AuditAction;
  subject: string | null;
  requestId: string | null;
}

/** The audit log of one database: appends and reads, nothing else. */
export class AuditLog {
  static readonly #logs = new WeakMap<Db, AuditLog>();
  /** The append's statements and transaction, prepared once per database (not per entry). */
  readonly #lastSeq: Statement<[], { seq: number | null }>;
  readonly #headOf: Statement<[string], { hash: string }>;
  readonly #insert: Statement<[AuditEntry]>;
  readonly #append: Transaction<(r: AuditRecord, at: Date) => AuditEntry>;

  /** The log of a database, its tables brought up to date on first use. */
  static for(db: Db): AuditLog {
    let log = AuditLog.#logs.get(db);
    if (log === undefined) {
      log = new AuditLog(db);
      AuditLog.#logs.set(db, log);
    }
    return log;
  }

  private constructor(private readonly db: Db) {
    migrate(db, "audit", [
      `CREATE TABLE audit_log (
         seq INTEGER PRIMARY KEY,
         at TEXT NOT NULL,
         chain TEXT NOT NULL,
         member_id TEXT,
         person TEXT,
         address TEXT,
         action TEXT NOT NULL,
         subject TEXT,
         request_id TEXT,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL UNIQUE
       );
       CREATE INDEX audit_log_by_chain ON audit_log (chain, seq);
       CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END;
       CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END;`,
    ]);
    this.#lastSeq = db.prepare("SELECT MAX(seq) AS seq FROM audit_log");
    this.#headOf = db.prepare("SELECT hash FROM audit_log WHERE chain = ? ORDER BY seq DESC LIMIT 1");
    this.#insert = db.prepare(
      `INSERT INTO audit_log (seq, at, chain, member_id, person, address, action, subject, request_id, prev_hash, hash)
       VALUES (@seq, @at, @chain, @memberId, @person, @address, @action, @subject, @requestId, @prevHash, @hash)`,
    );
    this.#append = db.transaction((r: AuditRecord, at: Date): AuditEntry => {
      const chain = auditChainOf(r.memberId);
      const last = this.#lastSeq.get()!;
      const prev = this.#headOf.get(chain);
      const fields: Omit<AuditEntry, "hash"> = {
        seq: (last.seq ?? 0) + 1,
        at: at.toISOString(),
        chain,
        memberId: r.memberId === null ? null : r.memberId.toString(),
        person: r.person,
        address: r.address,
        action: r.action,
        subject: r.subject,
        requestId: r.requestId,
        prevHash: prev?.hash ?? ZeroHash,
      };
      const entry: AuditEntry = { ...fields, hash: auditEntryHash(fields) };
      this.#insert.run(entry);
      return entry;
    });
  }

  /**
   * Appends an entry after the last one of its chain. An IMMEDIATE transaction: two gateway processes on one database
   * file append one after the other.
   */
  append(r: AuditRecord, at: Date = new Date()): AuditEntry {
    // Committed (the database's synchronous setting) before it returns: the caller answers only after.
    return this.#append.immediate(r, at);
  }

  /** A member's entries after `after` (a `seq`), oldest first. */
  entriesOf(memberId: bigint, o: { after?: number; limit: number }): AuditEntry[] {
    return (
      this.db
        .prepare("SELECT * FROM audit_log WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?")
        .all(auditChainOf(memberId), o.after ?? 0, o.limit) as Row[]
    ).map(toEntry);
  }

  /** The hash of a member's last entry (the zero hash before the first). */
  headOf(memberId: bigint): string {
    return this.#headOf.get(auditChainOf(memberId))?.hash ?? ZeroHash;
  }

  /** Every entry, oldest first (streamed). */
  *all(): Generator<AuditEntry> {
    for (const r of this.db.prepare("SELECT * FROM audit_log ORDER BY seq").iterate() as Iterable<Row>) {
      yield toEntry(r);
    }
  }
}

/**
 * Records what the caller of `req` did: the principal of the request (or the one given, for a sign-in), the action
 * and its subject, with the request's id.
 * @example
 * recordAudit(ctx, req, "downloaded", cid);
 */
export function recordAudit(
  ctx: Pick<GatewayContext, "db">,
  req: Request,
  action: AuditAction,
  subject: string | null,
  principal: Principal | undefined = req.res?.locals.principal as Principal | undefined,
): AuditEntry {
  const id = (req as { id?: unknown }).id;
  return AuditLog.for(ctx.db).append({
    memberId: principal?.kind === "member" ? principal.memberId : null,
    person: principal?.kind === "member" ? (principal.staff ?? null) : null,
    address: principal?.address ?? null,
    action,
    subject,
    requestId: typeof id === "string" || typeof id === "number" ? String(id) : null,
  });
}

/** `GET /v1/audit`: a member's administrator reads the member's entries. */
export const auditModule: GatewayModule = (ctx) => {
  const log = AuditLog.for(ctx.db);
  ctx.api.route({
    method: "get",
    path: "/v1/audit",
    summary: "The member's audit log",
    description:
      "Who of the member (its own keys, its staff logins) did what, oldest first, `limit` entries after `after`. " +
      "Each entry's hash covers the previous entry of the member (`prevHash`, the zero hash for the first): recompute " +
      "them to check the log, and keep `head` to notice entries removed later. For the member's administrator only.",
    tags: ["audit"],
    auth: "member-admin",
    query: z.object({
      after: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    responses: {
      200: {
        description: "The entries",
        schema: z.object({
          entries: z.array(AuditEntrySchema),
          head: z.string().openapi({ description: "The hash of the member's last entry now." }),
          next: z.number().int().optional().openapi({ description: "`after` for the next page, if there is one." }),
        }),
      },
    },
    handler: async ({ query, principal }) => {
      const memberId = (principal as Extract<Principal, { kind: "member" }>).memberId;
      const entries = log.entriesOf(memberId, { after: query.after, limit: query.limit });
      const next = entries.length === query.limit ? entries.at(-1)!.seq : undefined;
      return {
        status: 200,
        body: { entries, head: log.headOf(memberId), ...(next === undefined ? {} : { next }) },
      };
    },
  });
};
