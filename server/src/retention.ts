/**
 * Retention and legal holds. The gateway keeps a package (a root CID in the content store) for a member as long as
 * one of its retentions runs — an assistance request's (read from the chain, so an extension there is honoured), a
 * date, or the member policy (`CROSSPROOF_RETENTION_DAYS`) — and purges it on schedule once they have all ended,
 * unless a legal hold applies. Time is chain time. Nothing on chain changes: the chain holds hashes and CIDs, never
 * the content.
 *
 * A purge removes only the blocks that no package still kept needs: a package re-wrapped for a new recipient links
 * the very `files` blocks of the package it came from, so the blocks of every kept root are indexed when it is kept
 * (`retention_blocks`) and a purge deletes the blocks of its expired roots minus the blocks of every other root.
 * Every purge writes a row of the purge log (append-only: SQLite triggers refuse UPDATE and DELETE) and an audit entry
 * on the member's chain; a package found expired but held is logged once per hold.
 *
 * Concurrency: in one process, keeping, placing a hold and purging run one at a time. Across processes sharing the
 * database, a purge first claims its packages in one transaction (a hold placed then answers 409), and a purge and a
 * backup exclude each other through a lease row (see {@link acquireMaintenanceLease}).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { CID } from "multiformats/cid";
import { readPackageHeader } from "../../sdk/src";
import type { Principal } from "./auth/principal";
import { AuditLog, recordAudit } from "./audit";
import { migrate, type Db } from "./db";
import type { GatewayContext, GatewayModule } from "./gateway";
import { Problem } from "./problems";
import { z } from "./zod";

/** What the retention functions use of the gateway. */
export type RetentionContext = Pick<GatewayContext, "db" | "store" | "cp" | "config" | "log">;

/** On what a retention rests. */
export type RetentionBasis = "assistance-request" | "date" | "member-policy";

const APPEND_ONLY = "the purge log is append-only";
const HOLD_HISTORY = "legal holds are kept: only an active hold may be released, once";

/** The retention tables, brought up to date once per database. */
const ready = new WeakSet<Db>();
export function retentionTables(db: Db): void {
  if (ready.has(db)) return;
  migrate(db, "retention", [
    `CREATE TABLE retention_packages (
       id INTEGER PRIMARY KEY,
       cid TEXT NOT NULL,                     -- the root, CIDv1
       member_id TEXT NOT NULL,               -- the member keeping it (decimal)
       basis TEXT NOT NULL CHECK (basis IN ('assistance-request', 'date', 'member-policy')),
       request_id TEXT NOT NULL DEFAULT '',   -- the assistance request (0x…), or ''
       retain_until INTEGER NOT NULL,         -- unix seconds, chain time (a request's: as last read from the chain)
       reason TEXT,                           -- why it is kept, in the keeping module's words
       content_hash TEXT,                     -- the package hash its header states, when it is a package
       kept_at INTEGER NOT NULL,              -- chain time
       purging TEXT,                          -- the purge run that claimed it
       UNIQUE (cid, member_id, request_id)
     );
     CREATE INDEX retention_packages_by_member ON retention_packages (member_id, cid);
     CREATE INDEX retention_packages_by_hash ON retention_packages (content_hash);
     -- Every block of a kept root, by its key: the raw-codec CIDv1 of its multihash (stores key blocks by multihash).
     CREATE TABLE retention_blocks (
       root TEXT NOT NULL,
       block TEXT NOT NULL,
       PRIMARY KEY (root, block)
     ) WITHOUT ROWID;
     CREATE INDEX retention_blocks_by_block ON retention_blocks (block);
     CREATE TABLE legal_holds (
       id INTEGER PRIMARY KEY,
       member_id TEXT NOT NULL,
       cid TEXT,                              -- a package root…
       record_id TEXT,                        -- …or a record: every package of its content hash
       content_hash TEXT,
       reason TEXT NOT NULL,
       placed_at INTEGER NOT NULL,
       placed_by_address TEXT NOT NULL,
       placed_by_person TEXT,
       released_at INTEGER,
       released_by_address TEXT,
       released_by_person TEXT,
       CHECK ((cid IS NULL) <> (record_id IS NULL))
     );
     CREATE INDEX legal_holds_by_member ON legal_holds (member_id, released_at);
     CREATE TRIGGER legal_holds_no_delete BEFORE DELETE ON legal_holds
       BEGIN SELECT RAISE(ABORT, '${HOLD_HISTORY}'); END;
     CREATE TRIGGER legal_holds_release_once BEFORE UPDATE ON legal_holds
       WHEN OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
         OR NEW.id IS NOT OLD.id OR NEW.member_id IS NOT OLD.member_id OR NEW.cid IS NOT OLD.cid
         OR NEW.record_id IS NOT OLD.record_id OR NEW.content_hash IS NOT OLD.content_hash
         OR NEW.reason IS NOT OLD.reason OR NEW.placed_at IS NOT OLD.placed_at
         OR NEW.placed_by_address IS NOT OLD.placed_by_address OR NEW.placed_by_person IS NOT OLD.placed_by_person
       BEGIN SELECT RAISE(ABORT, '${HOLD_HISTORY}'); END;
     CREATE TABLE retention_purges (
       seq INTEGER PRIMARY KEY,
       run_id TEXT NOT NULL,
       at INTEGER NOT NULL,                   -- chain time of the run
       member_id TEXT NOT NULL,
       cid TEXT NOT NULL,
       content_hash TEXT,
       outcome TEXT NOT NULL CHECK (outcome IN ('purged', 'held')),
       retain_until INTEGER NOT NULL,         -- when the last of its retentions ended
       why TEXT NOT NULL,                     -- JSON: the retentions that ended
       hold_id INTEGER,                       -- 'held': the hold that stopped it
       blocks_removed INTEGER NOT NULL,       -- blocks only this package used, removed
       blocks_shared INTEGER NOT NULL,        -- its blocks that packages still kept use, left
       blocks_retained INTEGER NOT NULL       -- blocks the store refused to remove (Kubo: pinned elsewhere)
     );
     CREATE INDEX retention_purges_by_member ON retention_purges (member_id, seq);
     CREATE TRIGGER retention_purges_no_update BEFORE UPDATE ON retention_purges
       BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END;
     CREATE TRIGGER retention_purges_no_delete BEFORE DELETE ON retention_purges
       BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY}'); END;
     CREATE TABLE maintenance_leases (
       kind TEXT PRIMARY KEY CHECK (kind IN ('purge', 'backup')),
       holder TEXT NOT NULL,
       host TEXT NOT NULL,
       pid INTEGER NOT NULL,
       until_ms INTEGER NOT NULL              -- the gateway's clock
     );`,
    // The gateway's own rows about a purged package, removed with it (its retention rows, its block index).
    `ALTER TABLE retention_purges ADD COLUMN package_rows_removed INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE retention_purges ADD COLUMN block_index_rows_removed INTEGER NOT NULL DEFAULT 0;`,
  ]);
  ready.add(db);
}

// ---------------------------------------------------------------------------------------------------------------
// Small pieces

/** One at a time per database, in this process: keeping, holds and purges. */
const queues = new WeakMap<Db, Promise<unknown>>();
function serialized<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(db) ?? Promise.resolve()).then(fn);
  queues.set(
    db,
    run.catch(() => undefined),
  );
  return run;
}

const RAW_CODE = 0x55;

/** A root as stored: CIDv1 (base32); `invalid-argument` for what is not a CID. */
export function rootCid(cid: string): string {
  try {
    return CID.parse(cid.replace(/^\/ipfs\//, ""))
      .toV1()
      .toString();
  } catch (cause) {
    throw new Problem("invalid-argument", `not a CID: ${cid}`, {}, { cause });
  }
}

/** A block's key: its multihash as a raw-codec CIDv1 (a store keys blocks by multihash, whatever the codec). */
const blockKey = (cid: string): string => CID.createV1(RAW_CODE, CID.parse(cid).multihash).toString();

const isoOf = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Leases: a purge and a backup exclude each other, across processes

export type MaintenanceKind = "purge" | "backup";

interface LeaseRow {
  kind: MaintenanceKind;
  holder: string;
  host: string;
  pid: number;
  until_ms: number;
}

/**
 * Takes the lease of `kind` if neither a purge nor a backup holds one (a lease past its time, or of a process of this
 * host that is gone, is dropped first). Returns the holder id to release it with, or the lease in the way.
 */
export function acquireMaintenanceLease(
  db: Db,
  kind: MaintenanceKind,
  o: { seconds: number },
): { holder: string } | { busy: { kind: MaintenanceKind; host: string; pid: number; until: string } } {
  retentionTables(db);
  return db
    .transaction(() => {
      const now = Date.now();
      for (const l of db.prepare("SELECT * FROM maintenance_leases").all() as LeaseRow[]) {
        if (l.until_ms <= now || (l.host === hostname() && !isProcessAlive(l.pid))) {
          db.prepare("DELETE FROM maintenance_leases WHERE kind = ? AND holder = ?").run(l.kind, l.holder);
        }
      }
      const busy = db.prepare("SELECT * FROM maintenance_leases LIMIT 1").get() as LeaseRow | undefined;
      if (busy !== undefined) {
        return {
          busy: { kind: busy.kind, host: busy.host, pid: busy.pid, until: new Date(busy.until_ms).toISOString() },
        };
      }
      const holder = randomUUID();
      db.prepare("INSERT INTO maintenance_leases (kind, holder, host, pid, until_ms) VALUES (?, ?, ?, ?, ?)").run(
        kind,
        holder,
        hostname(),
        process.pid,
        now + o.seconds * 1000,
      );
      return { holder };
    })
    .immediate();
}

export function releaseMaintenanceLease(db: Db, holder: string): void {
  db.prepare("DELETE FROM maintenance_leases WHERE holder = ?").run(holder);
}

// ---------------------------------------------------------------------------------------------------------------
// Keeping packages

export interface KeepPackageParameters {
  /** The package's root CID (already in the content store). */
  cid: string;
  /** The member keeping it. */
  memberId: bigint | number;
  /**
   * Kept until this time (unix seconds or a Date, chain time). Absent, and no `assistanceRequestId`: the member
   * policy, `CROSSPROOF_RETENTION_DAYS` from now.
   */
  until?: number | Date;
  /**
   * Kept for an assistance request: its retention on chain (`retentionUntil`), read again at each purge, so an
   * extension there is honoured. The member must be its requester or its addressee.
   */
  assistanceRequestId?: string;
  /** Why it is kept, in the calling module's words (e.g. "evidence package submitted"). */
  reason?: string;
}

/** A package kept, with every retention it rests on. */
export interface KeptPackage {
  cid: string;
  memberId: string;
  contentHash: string | null;
  /** The latest end of its retentions (ISO 8601, chain time). */
  retainUntil: string;
  retentions: {
    basis: RetentionBasis;
    requestId: string | null;
    retainUntil: string;
    reason: string | null;
    keptAt: string;
  }[];
  /** All its retentions have ended (by chain time now): the next purge removes it unless a hold applies. */
  expired: boolean;
  /** The active legal holds that apply to it. */
  holds: number[];
  /** A purge claimed it and is removing it now. */
  purging: boolean;
}

interface PackageRow {
  id: number;
  cid: string;
  member_id: string;
  basis: RetentionBasis;
  request_id: string;
  retain_until: number;
  reason: string | null;
  content_hash: string | null;
  kept_at: number;
  purging: string | null;
}

/**
 * Keeps a package for a member (other modules call it after storing a package: submissions, uploads, assistance
 * responses). Keeping the same package again adds a retention (another request) or moves a date later, never
 * earlier. The package's blocks are indexed now (a missing node is `content-not-found`), so that a purge knows
 * which blocks other packages share.
 * @example
 * await keepPackage(ctx, { cid: sealed.cid, memberId: 3n, assistanceRequestId, reason: "assistance response" });
 */
export async function keepPackage(ctx: RetentionContext, p: KeepPackageParameters): Promise<KeptPackage> {
  retentionTables(ctx.db);
  const cid = rootCid(p.cid);
  const memberId = BigInt(p.memberId);
  if (memberId <= 0n) throw new Problem("invalid-argument", "memberId must be a member id");
  if (p.until !== undefined && p.assistanceRequestId !== undefined) {
    throw new Problem("invalid-argument", "a package is kept until a date or for an assistance request, not both");
  }
  return serialized(ctx.db, async () => {
    const now = await ctx.cp.chainTime();
    let basis: RetentionBasis;
    let retainUntil: number;
    let requestId = "";
    if (p.assistanceRequestId !== undefined) {
      const request = await ctx.cp.assistance.getRequest(p.assistanceRequestId);
      if (request === undefined) {
        throw new Problem("invalid-argument", `no assistance request ${p.assistanceRequestId} on chain`);
      }
      if (request.requester !== memberId && request.addressee !== memberId) {
        throw new Problem(
          "invalid-argument",
          `member ${memberId} is neither the requester nor the addressee of assistance request ${request.requestId}`,
        );
      }
      basis = "assistance-request";
      retainUntil = request.retentionUntil;
      requestId = request.requestId;
    } else if (p.until !== undefined) {
      basis = "date";
      retainUntil = p.until instanceof Date ? Math.floor(p.until.getTime() / 1000) : p.until;
      if (!Number.isSafeInteger(retainUntil) || retainUntil <= now) {
        throw new Problem("invalid-argument", `until must be after chain time now (${isoOf(now)})`);
      }
    } else {
      basis = "member-policy";
      retainUntil = now + ctx.config.retentionDays * 86_400;
    }
    const indexed = ctx.db.prepare("SELECT 1 FROM retention_blocks WHERE root = ? LIMIT 1").get(cid) !== undefined;
    const blocks = indexed ? [] : (await ctx.store.blocksOf(cid)).map(blockKey);
    let contentHash: string | null = null;
    try {
      contentHash = (await readPackageHeader(ctx.store, cid)).contentHash;
    } catch {
      // Not a package (a plain file or directory): kept all the same, held by its CID only.
    }
    ctx.db
      .transaction(() => {
        const claimed = ctx.db
          .prepare("SELECT purging FROM retention_packages WHERE cid = ? AND member_id = ? AND purging IS NOT NULL")
          .get(cid, memberId.toString()) as { purging: string } | undefined;
        if (claimed !== undefined) {
          throw new Problem("conflict", `package ${cid} is being purged now: store it again once the purge is done`);
        }
        const insertBlock = ctx.db.prepare("INSERT OR IGNORE INTO retention_blocks (root, block) VALUES (?, ?)");
        for (const b of blocks) insertBlock.run(cid, b);
        ctx.db
          .prepare(
            `INSERT INTO retention_packages (cid, member_id, basis, request_id, retain_until, reason, content_hash, kept_at)
             VALUES (@cid, @memberId, @basis, @requestId, @retainUntil, @reason, @contentHash, @now)
             ON CONFLICT (cid, member_id, request_id) DO UPDATE SET
               basis = CASE WHEN excluded.retain_until > retain_until THEN excluded.basis ELSE basis END,
               reason = CASE WHEN excluded.retain_until > retain_until THEN excluded.reason ELSE reason END,
               retain_until = MAX(retain_until, excluded.retain_until),
               content_hash = COALESCE(content_hash, excluded.content_hash)`,
          )
          .run({
            cid,
            memberId: memberId.toString(),
            basis,
            requestId,
            retainUntil,
            reason: p.reason ?? null,
            contentHash,
            now,
          });
      })
      .immediate();
    ctx.log.info({ cid, memberId: memberId.toString(), basis, retainUntil: isoOf(retainUntil) }, "package kept");
    return keptPackagesOf(ctx.db, memberId, now, cid)[0]!;
  });
}

/** The active holds of a member that apply to a package (by its CID, or by its content hash through a record). */
function holdsOn(db: Db, memberId: string, cid: string, contentHash: string | null): number[] {
  return (
    db
      .prepare(
        `SELECT id FROM legal_holds WHERE member_id = ? AND released_at IS NULL
           AND (cid = ? OR (content_hash IS NOT NULL AND content_hash = ?)) ORDER BY id`,
      )
      .all(memberId, cid, contentHash) as { id: number }[]
  ).map((r) => r.id);
}

/** A member's kept packages (or one), grouped by root, as of chain time `now`. */
function keptPackagesOf(db: Db, memberId: bigint, now: number, cid?: string): KeptPackage[] {
  const rows = db
    .prepare(
      `SELECT * FROM retention_packages WHERE member_id = ? ${cid === undefined ? "" : "AND cid = ?"} ORDER BY cid, id`,
    )
    .all(...(cid === undefined ? [memberId.toString()] : [memberId.toString(), cid])) as PackageRow[];
  const byCid = new Map<string, PackageRow[]>();
  for (const r of rows) byCid.set(r.cid, [...(byCid.get(r.cid) ?? []), r]);
  return [...byCid.entries()].map(([root, group]) => {
    const until = Math.max(...group.map((r) => r.retain_until));
    const contentHash = group.find((r) => r.content_hash !== null)?.content_hash ?? null;
    return {
      cid: root,
      memberId: memberId.toString(),
      contentHash,
      retainUntil: isoOf(until),
      retentions: group.map((r) => ({
        basis: r.basis,
        requestId: r.request_id === "" ? null : r.request_id,
        retainUntil: isoOf(r.retain_until),
        reason: r.reason,
        keptAt: isoOf(r.kept_at),
      })),
      expired: until <= now,
      holds: holdsOn(db, memberId.toString(), root, contentHash),
      purging: group.some((r) => r.purging !== null),
    };
  });
}

/**
 * Reads again from the chain the retention of the assistance requests among `rows` (an extension only moves it
 * later); a request the chain does not know is left as it was, and said in the log.
 */
async function refreshRequestRetention(ctx: RetentionContext, requestIds: readonly string[]): Promise<void> {
  for (const id of new Set(requestIds)) {
    const request = await ctx.cp.assistance.getRequest(id);
    if (request === undefined) {
      ctx.log.warn({ requestId: id }, "a kept package names an assistance request the chain does not know");
      continue;
    }
    ctx.db
      .prepare("UPDATE retention_packages SET retain_until = ? WHERE request_id = ? AND purging IS NULL")
      .run(request.retentionUntil, id);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Purging

/** One row of the purge log. */
export interface PurgeLogEntry {
  seq: number;
  runId: string;
  /** When (ISO 8601, chain time). */
  at: string;
  memberId: string;
  cid: string;
  contentHash: string | null;
  /** `purged`, or `held`: found past its retention but under a legal hold (logged once per hold). */
  outcome: "purged" | "held";
  /** When the last of its retentions ended. */
  retainUntil: string;
  /** The retentions that ended. */
  why: { basis: RetentionBasis; requestId: string | null; retainUntil: string; reason: string | null }[];
  holdId: number | null;
  blocksRemoved: number;
  blocksShared: number;
  blocksRetained: number;
  /**
   * The gateway's index rows that only served this package, removed with it: its retention rows
   * (`retention_packages`: the member's retentions, the content hash read from its header) and its block index
   * (`retention_blocks`, the root's blocks; only when no other member keeps the same root). Chain-derived rows (the
   * `idx_*` tables: anchors, custody, endorsements…) are never removed: the chain is their source. Zero for `held`.
   */
  indexRowsRemoved: { retentionPackages: number; retentionBlocks: number };
}

interface PurgeRow {
  seq: number;
  run_id: string;
  at: number;
  member_id: string;
  cid: string;
  content_hash: string | null;
  outcome: "purged" | "held";
  retain_until: number;
  why: string;
  hold_id: number | null;
  blocks_removed: number;
  blocks_shared: number;
  blocks_retained: number;
  package_rows_removed: number;
  block_index_rows_removed: number;
}

const toPurgeEntry = (r: PurgeRow): PurgeLogEntry => ({
  seq: r.seq,
  runId: r.run_id,
  at: isoOf(r.at),
  memberId: r.member_id,
  cid: r.cid,
  contentHash: r.content_hash,
  outcome: r.outcome,
  retainUntil: isoOf(r.retain_until),
  why: JSON.parse(r.why) as PurgeLogEntry["why"],
  holdId: r.hold_id,
  blocksRemoved: r.blocks_removed,
  blocksShared: r.blocks_shared,
  blocksRetained: r.blocks_retained,
  indexRowsRemoved: { retentionPackages: r.package_rows_removed, retentionBlocks: r.block_index_rows_removed },
});

/** What one run did. */
export interface PurgeRun {
  runId: string;
  /** Chain time of the run (ISO 8601). */
  at: string;
  /** Why nothing was done (a backup or another purge holds the lease). */
  skipped?: string;
  purged: PurgeLogEntry[];
  /** Packages past their retention under a legal hold, newly logged in this run. */
  held: PurgeLogEntry[];
}

/** Listeners told of each purged package (e.g. an index dropping what it keeps off chain about it). */
const purgeListeners = new WeakMap<Db, ((entry: PurgeLogEntry) => void | Promise<void>)[]>();

/** Calls `listener` after each purge, with its log entry. */
export function onPackagePurged(
  ctx: Pick<GatewayContext, "db">,
  listener: (entry: PurgeLogEntry) => void | Promise<void>,
): void {
  purgeListeners.set(ctx.db, [...(purgeListeners.get(ctx.db) ?? []), listener]);
}

/** How long a purge may hold its lease (a process that dies sooner frees it at once on the same host). */
const PURGE_LEASE_SECONDS = 6 * 3600;

/**
 * One purge: packages whose retentions have all ended by chain time, and that no active legal hold of their member
 * applies to, are removed — their rows, and the blocks no other kept package needs — each with a purge log row and
 * an audit entry. The steps:
 *
 * 1. take the purge lease (skip the run while a backup runs);
 * 2. read again from the chain the retention of the assistance requests whose cached end has passed;
 * 3. in one transaction, claim the expired packages that no hold applies to (and log, once per hold, those held),
 *    together with any a run that died left claimed;
 * 4. for each claimed package, delete its blocks minus the blocks of every root not claimed (computed just before
 *    deleting, so a package kept meanwhile protects its blocks), and minus those an earlier package of the run took;
 * 5. in one transaction, delete the claimed rows, the block index of roots nobody keeps any more, write the log
 *    rows and the audit entries.
 *
 * A run that dies between 4 and 5 leaves its packages claimed: the next run finishes them (deleting blocks twice is
 * harmless) and logs them.
 */
export function runPurge(ctx: RetentionContext): Promise<PurgeRun> {
  retentionTables(ctx.db);
  return serialized(ctx.db, () => purge(ctx));
}

async function purge(ctx: RetentionContext): Promise<PurgeRun> {
  const { db } = ctx;
  const runId = randomUUID();
  const now = await ctx.cp.chainTime();
  const run: PurgeRun = { runId, at: isoOf(now), purged: [], held: [] };
  const lease = acquireMaintenanceLease(db, "purge", { seconds: PURGE_LEASE_SECONDS });
  if ("busy" in lease) {
    run.skipped = `a ${lease.busy.kind} is running (process ${lease.busy.pid} on ${lease.busy.host})`;
    ctx.log.info({ runId, skipped: run.skipped }, "purge skipped");
    return run;
  }
  try {
    const stale = db
      .prepare(
        `SELECT DISTINCT request_id FROM retention_packages
         WHERE request_id <> '' AND purging IS NULL AND retain_until <= ?`,
      )
      .all(now) as { request_id: string }[];
    await refreshRequestRetention(
      ctx,
      stale.map((r) => r.request_id),
    );

    // 3. Claim.
    const claimed = db
      .transaction(() => {
        db.prepare("UPDATE retention_packages SET purging = ? WHERE purging IS NOT NULL").run(runId);
        // A retention has ended at its end, as the AssistanceDesk has it (`block.timestamp >= retentionUntil`).
        const expired = db
          .prepare(
            `SELECT cid, member_id, MAX(retain_until) AS until, MAX(content_hash) AS content_hash
             FROM retention_packages WHERE purging IS NULL
             GROUP BY cid, member_id HAVING MAX(retain_until) <= ? ORDER BY cid, member_id`,
          )
          .all(now) as { cid: string; member_id: string; until: number; content_hash: string | null }[];
        for (const e of expired) {
          const holds = holdsOn(db, e.member_id, e.cid, e.content_hash);
          if (holds.length === 0) {
            db.prepare("UPDATE retention_packages SET purging = ? WHERE cid = ? AND member_id = ?").run(
              runId,
              e.cid,
              e.member_id,
            );
            continue;
          }
          const logged = db
            .prepare(
              "SELECT 1 FROM retention_purges WHERE member_id = ? AND cid = ? AND outcome = 'held' AND hold_id = ?",
            )
            .get(e.member_id, e.cid, holds[0]);
          if (logged === undefined) {
            const seq = insertLogRow(db, {
              runId,
              at: now,
              memberId: e.member_id,
              cid: e.cid,
              outcome: "held",
              holdId: holds[0]!,
              blocks: { removed: 0, shared: 0, retained: 0 },
            });
            run.held.push(purgeEntry(db, seq));
          }
        }
        return db
          .prepare(`SELECT DISTINCT cid, member_id FROM retention_packages WHERE purging = ? ORDER BY cid, member_id`)
          .all(runId) as { cid: string; member_id: string }[];
      })
      .immediate();

    // 4. Delete the blocks only the claimed packages need.
    const taken = new Set<string>();
    const counts = new Map<string, { removed: number; shared: number; retained: number }>();
    for (const c of claimed) {
      const all = (
        db.prepare("SELECT block FROM retention_blocks WHERE root = ?").all(c.cid) as { block: string }[]
      ).map((r) => r.block);
      const needed = new Set(
        (
          db
            .prepare(
              `SELECT DISTINCT b.block FROM retention_blocks b
               JOIN retention_packages p ON p.cid = b.root AND p.purging IS NULL
               WHERE b.block IN (SELECT block FROM retention_blocks WHERE root = ?)`,
            )
            .all(c.cid) as { block: string }[]
        ).map((r) => r.block),
      );
      const own = all.filter((b) => !needed.has(b) && !taken.has(b));
      own.forEach((b) => taken.add(b));
      const deleted = own.length === 0 ? { removed: 0, retained: [] } : await ctx.store.deleteBlocks(own);
      if (deleted.retained.length > 0) {
        ctx.log.warn({ runId, cid: c.cid, retained: deleted.retained }, "the content store kept some blocks");
      }
      counts.set(`${c.member_id} ${c.cid}`, {
        removed: deleted.removed,
        shared: needed.size,
        retained: deleted.retained.length,
      });
    }

    // 5. Record.
    const entries = db
      .transaction(() => {
        const seqs: number[] = [];
        for (const c of claimed) {
          // Its index rows go in the same transaction as its log row, which counts them.
          const packageRows = (
            db
              .prepare("SELECT COUNT(*) AS n FROM retention_packages WHERE cid = ? AND member_id = ? AND purging = ?")
              .get(c.cid, c.member_id, runId) as { n: number }
          ).n;
          const keptByOthers =
            db
              .prepare("SELECT 1 FROM retention_packages WHERE cid = ? AND (member_id <> ? OR purging IS NOT ?)")
              .get(c.cid, c.member_id, runId) !== undefined;
          const blockRows = keptByOthers
            ? 0
            : (db.prepare("SELECT COUNT(*) AS n FROM retention_blocks WHERE root = ?").get(c.cid) as { n: number }).n;
          const seq = insertLogRow(db, {
            runId,
            at: now,
            memberId: c.member_id,
            cid: c.cid,
            outcome: "purged",
            holdId: null,
            blocks: counts.get(`${c.member_id} ${c.cid}`)!,
            index: { packages: packageRows, blocks: blockRows },
          });
          seqs.push(seq);
          db.prepare("DELETE FROM retention_packages WHERE cid = ? AND member_id = ? AND purging = ?").run(
            c.cid,
            c.member_id,
            runId,
          );
          if (!keptByOthers) db.prepare("DELETE FROM retention_blocks WHERE root = ?").run(c.cid);
          AuditLog.for(db).append({
            memberId: BigInt(c.member_id),
            person: null,
            address: null,
            action: "purged",
            subject: c.cid,
            requestId: `purge:${runId}`,
          });
        }
        return seqs.map((seq) => purgeEntry(db, seq));
      })
      .immediate();
    run.purged = entries;
    for (const e of entries) {
      ctx.log.info(
        {
          runId,
          cid: e.cid,
          memberId: e.memberId,
          blocksRemoved: e.blocksRemoved,
          indexRowsRemoved: e.indexRowsRemoved,
        },
        "package purged, with its index rows (retention rows, block index); chain-derived index rows kept",
      );
      for (const listener of purgeListeners.get(db) ?? []) {
        try {
          await listener(e);
        } catch (err) {
          ctx.log.error({ err, runId, cid: e.cid }, "a purge listener failed");
        }
      }
    }
    return run;
  } finally {
    releaseMaintenanceLease(db, lease.holder);
  }
}

/** Writes a log row for a claimed (or held) package, its retentions as they stand; returns its seq. */
function insertLogRow(
  db: Db,
  r: {
    runId: string;
    at: number;
    memberId: string;
    cid: string;
    outcome: "purged" | "held";
    holdId: number | null;
    blocks: { removed: number; shared: number; retained: number };
    /** Index rows removed with it (purged packages). */
    index?: { packages: number; blocks: number };
  },
): number {
  const rows = db
    .prepare("SELECT * FROM retention_packages WHERE cid = ? AND member_id = ? ORDER BY id")
    .all(r.cid, r.memberId) as PackageRow[];
  const why = rows.map((p) => ({
    basis: p.basis,
    requestId: p.request_id === "" ? null : p.request_id,
    retainUntil: isoOf(p.retain_until),
    reason: p.reason,
  }));
  const info = db
    .prepare(
      `INSERT INTO retention_purges (run_id, at, member_id, cid, content_hash, outcome, retain_until, why, hold_id,
         blocks_removed, blocks_shared, blocks_retained, package_rows_removed, block_index_rows_removed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      r.runId,
      r.at,
      r.memberId,
      r.cid,
      rows.find((p) => p.content_hash !== null)?.content_hash ?? null,
      r.outcome,
      Math.max(...rows.map((p) => p.retain_until)),
      JSON.stringify(why),
      r.holdId,
      r.blocks.removed,
      r.blocks.shared,
      r.blocks.retained,
      r.index?.packages ?? 0,
      r.index?.blocks ?? 0,
    );
  return Number(info.lastInsertRowid);
}

function purgeEntry(db: Db, seq: number): PurgeLogEntry {
  return toPurgeEntry(db.prepare("SELECT * FROM retention_purges WHERE seq = ?").get(seq) as PurgeRow);
}

/** A member's purge log, oldest first, `limit` rows after `after`. */
export function purgeLogOf(db: Db, memberId: bigint, o: { after?: number; limit: number }): PurgeLogEntry[] {
  retentionTables(db);
  return (
    db
      .prepare("SELECT * FROM retention_purges WHERE member_id = ? AND seq > ? ORDER BY seq LIMIT ?")
      .all(memberId.toString(), o.after ?? 0, o.limit) as PurgeRow[]
  ).map(toPurgeEntry);
}

// ---------------------------------------------------------------------------------------------------------------
// Legal holds

/** A legal hold, active or released. */
export interface LegalHold {
  id: number;
  memberId: string;
  /** What it holds: a package root, or a record (every package of the record's content hash). */
  cid: string | null;
  recordId: string | null;
  contentHash: string | null;
  reason: string;
  placedAt: string;
  placedBy: { address: string; person: string | null };
  releasedAt: string | null;
  releasedBy: { address: string; person: string | null } | null;
  active: boolean;
}

interface HoldRow {
  id: number;
  member_id: string;
  cid: string | null;
  record_id: string | null;
  content_hash: string | null;
  reason: string;
  placed_at: number;
  placed_by_address: string;
  placed_by_person: string | null;
  released_at: number | null;
  released_by_address: string | null;
  released_by_person: string | null;
}

const toHold = (r: HoldRow): LegalHold => ({
  id: r.id,
  memberId: r.member_id,
  cid: r.cid,
  recordId: r.record_id,
  contentHash: r.content_hash,
  reason: r.reason,
  placedAt: isoOf(r.placed_at),
  placedBy: { address: r.placed_by_address, person: r.placed_by_person },
  releasedAt: r.released_at === null ? null : isoOf(r.released_at),
  releasedBy:
    r.released_at === null ? null : { address: r.released_by_address ?? "", person: r.released_by_person ?? null },
  active: r.released_at === null,
});

type MemberPrincipal = Extract<Principal, { kind: "member" }>;

/** Who acts, as a hold records it. */
const actorOf = (p: MemberPrincipal) => ({ address: p.address, person: p.staff ?? null });

/**
 * Places a legal hold for the principal's member on a package root or a record (resolved on chain to its content
 * hash: the hold applies to every package of the member with that hash, re-wrapped copies included). A package a
 * purge is removing right now cannot be held (409).
 */
export async function placeLegalHold(
  ctx: RetentionContext,
  principal: MemberPrincipal,
  target: { cid: string } | { recordId: string },
  reason: string,
): Promise<{ hold: LegalHold; packages: string[] }> {
  retentionTables(ctx.db);
  const cid = "cid" in target ? rootCid(target.cid) : null;
  return serialized(ctx.db, async () => {
    let recordId: string | null = null;
    let contentHash: string | null = null;
    if ("recordId" in target) {
      const record = await ctx.cp.evidence.getEvidence(target.recordId);
      if (record === undefined) throw new Problem("not-found", `no evidence record ${target.recordId} on chain`);
      recordId = target.recordId.toLowerCase();
      contentHash = record.contentHash.toLowerCase();
    }
    const now = await ctx.cp.chainTime();
    const memberId = principal.memberId.toString();
    const id = ctx.db
      .transaction(() => {
        const purging = ctx.db
          .prepare(
            `SELECT DISTINCT cid FROM retention_packages WHERE member_id = ? AND purging IS NOT NULL
               AND (cid = ? OR (content_hash IS NOT NULL AND content_hash = ?))`,
          )
          .all(memberId, cid, contentHash) as { cid: string }[];
        if (purging.length > 0) {
          throw new Problem(
            "conflict",
            `being purged now, past its retention: ${purging.map((p) => p.cid).join(", ")}`,
          );
        }
        const actor = actorOf(principal);
        return Number(
          ctx.db
            .prepare(
              `INSERT INTO legal_holds (member_id, cid, record_id, content_hash, reason, placed_at, placed_by_address,
                 placed_by_person) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(memberId, cid, recordId, contentHash, reason, now, actor.address, actor.person).lastInsertRowid,
        );
      })
      .immediate();
    const hold = toHold(ctx.db.prepare("SELECT * FROM legal_holds WHERE id = ?").get(id) as HoldRow);
    return { hold, packages: packagesUnder(ctx.db, hold) };
  });
}

/** The roots a hold applies to now. */
function packagesUnder(db: Db, hold: LegalHold): string[] {
  return (
    db
      .prepare(
        `SELECT DISTINCT cid FROM retention_packages WHERE member_id = ?
           AND (cid = ? OR (content_hash IS NOT NULL AND content_hash = ?)) ORDER BY cid`,
      )
      .all(hold.memberId, hold.cid, hold.contentHash) as { cid: string }[]
  ).map((r) => r.cid);
}

/** Releases an active hold of the principal's member: kept in the history; what it held is purged at the next run. */
export async function releaseLegalHold(
  ctx: RetentionContext,
  principal: MemberPrincipal,
  id: number,
): Promise<LegalHold> {
  retentionTables(ctx.db);
  const now = await ctx.cp.chainTime();
  const row = ctx.db
    .prepare("SELECT * FROM legal_holds WHERE id = ? AND member_id = ?")
    .get(id, principal.memberId.toString()) as HoldRow | undefined;
  if (row === undefined) throw new Problem("not-found", `member ${principal.memberId} has no legal hold ${id}`);
  if (row.released_at !== null)
    throw new Problem("conflict", `legal hold ${id} was released at ${isoOf(row.released_at)}`);
  const actor = actorOf(principal);
  ctx.db
    .prepare(
      "UPDATE legal_holds SET released_at = ?, released_by_address = ?, released_by_person = ? WHERE id = ? AND released_at IS NULL",
    )
    .run(now, actor.address, actor.person, id);
  return toHold(ctx.db.prepare("SELECT * FROM legal_holds WHERE id = ?").get(id) as HoldRow);
}

export function legalHoldsOf(db: Db, memberId: bigint, o: { active?: boolean } = {}): LegalHold[] {
  retentionTables(db);
  const where = o.active === undefined ? "" : o.active ? "AND released_at IS NULL" : "AND released_at IS NOT NULL";
  return (
    db
      .prepare(`SELECT * FROM legal_holds WHERE member_id = ? ${where} ORDER BY id`)
      .all(memberId.toString()) as HoldRow[]
  ).map(toHold);
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

const Iso = z.string().openapi({ description: "ISO 8601, chain time" });
const Basis = z.enum(["assistance-request", "date", "member-policy"]);

const KeptPackageSchema = z
  .object({
    cid: z.string(),
    memberId: z.string(),
    contentHash: z.string().nullable(),
    retainUntil: Iso,
    retentions: z.array(
      z.object({
        basis: Basis,
        requestId: z.string().nullable(),
        retainUntil: Iso,
        reason: z.string().nullable(),
        keptAt: Iso,
      }),
    ),
    expired: z.boolean(),
    holds: z.array(z.number().int()),
    purging: z.boolean(),
  })
  .openapi("KeptPackage");

const Actor = z.object({ address: z.string(), person: z.string().nullable() });
const LegalHoldSchema = z
  .object({
    id: z.number().int(),
    memberId: z.string(),
    cid: z.string().nullable(),
    recordId: z.string().nullable(),
    contentHash: z.string().nullable(),
    reason: z.string(),
    placedAt: Iso,
    placedBy: Actor,
    releasedAt: Iso.nullable(),
    releasedBy: Actor.nullable(),
    active: z.boolean(),
  })
  .openapi("LegalHold");

const PurgeLogEntrySchema = z
  .object({
    seq: z.number().int(),
    runId: z.string(),
    at: Iso,
    memberId: z.string(),
    cid: z.string(),
    contentHash: z.string().nullable(),
    outcome: z.enum(["purged", "held"]),
    retainUntil: Iso,
    why: z.array(
      z.object({ basis: Basis, requestId: z.string().nullable(), retainUntil: Iso, reason: z.string().nullable() }),
    ),
    holdId: z.number().int().nullable(),
    blocksRemoved: z.number().int(),
    blocksShared: z.number().int(),
    blocksRetained: z.number().int(),
    indexRowsRemoved: z.object({ retentionPackages: z.number().int(), retentionBlocks: z.number().int() }).openapi({
      description:
        "The gateway's rows that only served this package, removed with it: its retention rows and its block " +
        "index (chain-derived index rows are kept)",
    }),
  })
  .openapi("PurgeLogEntry");

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex (0x + 64 hex digits)");

const memberOf = (principal: Principal | undefined) => principal as MemberPrincipal;

/**
 * Legal holds, the member's kept packages and its purge log; the scheduled purge (`CROSSPROOF_PURGE_INTERVAL`).
 * Placing a hold needs any login of the member (it only keeps data longer); releasing one needs the member's
 * administrator (it lets data be deleted).
 */
export const retentionModule: GatewayModule = (ctx) => {
  retentionTables(ctx.db);

  ctx.api.route({
    method: "post",
    path: "/v1/legal-holds",
    summary: "Place a legal hold on a package or a record",
    description:
      "Stops the purge of a package (`cid`) or of every package of a record (`recordId`: its content hash, read on " +
      "chain, so re-wrapped copies are held too) that the member keeps, past its retention or not, until the hold is " +
      "released. Any login of the member may place one. 409 when a purge is removing the package right now.",
    tags: ["retention"],
    auth: "member",
    body: z
      .object({
        cid: z.string().min(1).max(256).optional(),
        recordId: bytes32.optional(),
        reason: z.string().trim().min(1).max(2000),
      })
      .strict()
      .refine((b) => (b.cid === undefined) !== (b.recordId === undefined), "give either cid or recordId")
      .openapi("LegalHoldRequest"),
    responses: {
      201: {
        description: "The hold, and the packages it applies to now",
        schema: z.object({ hold: LegalHoldSchema, packages: z.array(z.string()) }),
      },
      404: { description: "No such record on chain" },
      409: { description: "The package is being purged now" },
    },
    handler: async ({ body, principal, req }) => {
      const target = body.cid !== undefined ? { cid: body.cid } : { recordId: body.recordId! };
      const placed = await placeLegalHold(ctx, memberOf(principal), target, body.reason);
      recordAudit(
        ctx,
        req,
        "legal-hold-placed",
        `legal-hold:${placed.hold.id}:${placed.hold.cid ?? placed.hold.recordId}`,
      );
      return { status: 201, body: placed };
    },
  });

  ctx.api.route({
    method: "delete",
    path: "/v1/legal-holds/:id",
    summary: "Release a legal hold",
    description:
      "The hold stays in the history, released; what it held is purged at the next run if its retention has ended. " +
      "For the member's administrator only.",
    tags: ["retention"],
    auth: "member-admin",
    params: z.object({ id: z.coerce.number().int().positive() }),
    responses: {
      200: { description: "The hold, released", schema: LegalHoldSchema },
      404: { description: "The member has no such hold" },
      409: { description: "Already released" },
    },
    handler: async ({ params, principal, req }) => {
      const hold = await releaseLegalHold(ctx, memberOf(principal), params.id);
      recordAudit(ctx, req, "legal-hold-released", `legal-hold:${hold.id}:${hold.cid ?? hold.recordId}`);
      return { status: 200, body: hold };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/legal-holds",
    summary: "The member's legal holds, released ones included",
    tags: ["retention"],
    auth: "member",
    query: z.object({ active: z.enum(["true", "false"]).optional() }),
    responses: {
      200: { description: "The holds, oldest first", schema: z.object({ holds: z.array(LegalHoldSchema) }) },
    },
    handler: async ({ query, principal }) => {
      const active = query.active === undefined ? {} : { active: query.active === "true" };
      return { status: 200, body: { holds: legalHoldsOf(ctx.db, memberOf(principal).memberId, active) } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/retention",
    summary: "The packages the gateway keeps for the member, with their retention and holds",
    description:
      "Each package with every retention it rests on (an assistance request's, read again from the chain now; a " +
      "date; the member policy), the latest end, whether it has ended by chain time, and the holds that apply.",
    tags: ["retention"],
    auth: "member",
    responses: {
      200: {
        description: "The packages",
        schema: z.object({ at: Iso, packages: z.array(KeptPackageSchema) }),
      },
    },
    handler: async ({ principal }) => {
      const memberId = memberOf(principal).memberId;
      const requests = ctx.db
        .prepare("SELECT DISTINCT request_id FROM retention_packages WHERE member_id = ? AND request_id <> ''")
        .all(memberId.toString()) as { request_id: string }[];
      await refreshRequestRetention(
        ctx,
        requests.map((r) => r.request_id),
      );
      const now = await ctx.cp.chainTime();
      return { status: 200, body: { at: isoOf(now), packages: keptPackagesOf(ctx.db, memberId, now) } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/purges",
    summary: "The member's purge log",
    description:
      "Append-only: each package purged (what, why, when, how many blocks were removed and how many other packages " +
      "still use), and each package found past its retention under a legal hold (once per hold). Oldest first.",
    tags: ["retention"],
    auth: "member",
    query: z.object({
      after: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    responses: {
      200: {
        description: "The log rows",
        schema: z.object({
          entries: z.array(PurgeLogEntrySchema),
          next: z.number().int().optional().openapi({ description: "`after` for the next page, if there is one." }),
        }),
      },
    },
    handler: async ({ query, principal }) => {
      const entries = purgeLogOf(ctx.db, memberOf(principal).memberId, query);
      const next = entries.length === query.limit ? entries.at(-1)!.seq : undefined;
      return { status: 200, body: { entries, ...(next === undefined ? {} : { next }) } };
    },
  });

  if (ctx.config.purgeIntervalSeconds > 0) {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = runPurge(ctx).catch((err: unknown) => ctx.log.error({ err }, "purge failed"));
    }, ctx.config.purgeIntervalSeconds * 1000);
    timer.unref();
    ctx.onClose(async () => {
      clearInterval(timer);
      await running;
    });
  }
};
