/**
 * The gateway's index of works' fingerprints (issue 16): which works a clip comes from.
 *
 * - Source: the chain. Each work's current fingerprint is its latest `WorkFingerprintSet` event (digest + CID), as
 *   the chain index holds it (`Indexer.workFingerprints`); the file is fetched from the content store by CID and
 *   kept only if its digest is the one on chain — a file that does not match its record (a holder or a store passing
 *   off another file) is refused and the refusal recorded.
 * - Persistence: fetched files are kept in the gateway's SQLite (`fp_files`), so nothing is fetched twice; refusals
 *   are kept too (`fp_failures`: a file that did not match is not fetched again, a store that failed is asked again
 *   after a pause). The in-memory `FingerprintIndex` itself is saved beside the database (`indexFile`, written
 *   atomically, changes coalesced) with the digest of every work's file; at start it is loaded instead of parsing
 *   every file again — only when the works and digests it records are exactly those the database gives (the chain
 *   index's current records whose files are kept with that digest). Any difference, a damaged or truncated file, a
 *   missing one, another file version or matcher radius: rebuilt from the database's files and saved again, with
 *   the reason logged and counted (`crossproof_gateway_fingerprint_index_starts_total{source,reason}`).
 * - Up to date: {@link WorkFingerprints.refresh} runs after every indexer poll that reached the head (and before
 *   every clip question, which first brings the index to the head). When the set of (work, digest) changed: new
 *   works are appended to the index (their files parsed); a replaced or withdrawn fingerprint, a rolled-back block
 *   make a new index from the current one's columns without the works that left (no file parsed again). Either
 *   way the matcher rebuilds its lookup tables (linear in the indexed frames) before the next match.
 *
 * The index only finds candidates: every licence answer is still read from the chain.
 */
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import {
  CrossproofError,
  FingerprintIndex,
  decodeFingerprint,
  fingerprintDigest,
  isCrossproofError,
  loadFingerprint,
  FINGERPRINT_INDEX_FILE_VERSION,
  loadFingerprintIndexFile,
  saveFingerprintIndex,
  type ClipMatch,
  type ContentStore,
  type Fingerprint,
  type LoadedFingerprintIndex,
  type MatchOptions,
} from "../../sdk/src";
import { migrate, type Db } from "./db";
import type { Indexer } from "./indexer";

const MIGRATIONS = [
  `
  CREATE TABLE fp_files (cid TEXT PRIMARY KEY, digest TEXT NOT NULL, bytes BLOB NOT NULL, fetched_at INTEGER NOT NULL);
  CREATE TABLE fp_failures (work_id TEXT NOT NULL, cid TEXT NOT NULL, digest TEXT NOT NULL, code TEXT NOT NULL,
    message TEXT NOT NULL, permanent INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (work_id, cid, digest));
  `,
];

/** A store failure (not found, unavailable) is retried after this long; a file that does not match, never. */
const RETRY_AFTER_MS = 60_000;
/** Changes to the index within this long are written to its file together. */
const SAVE_DELAY_MS = 2_000;

/** A match with the digest of the work's fingerprint file it was made against. */
export interface WorkClipMatch extends ClipMatch {
  workFingerprint: string;
}

/** Why a work's fingerprint is not in the index. */
export interface FingerprintFailure {
  workId: string;
  cid: string;
  digest: string;
  /** The SDK's error code: FINGERPRINT_DIGEST_MISMATCH, FINGERPRINT_INVALID, CONTENT_NOT_FOUND, … */
  code: string;
  message: string;
  /** Not retried (the file itself is wrong). */
  permanent: boolean;
}

/** A work's fingerprint as the index knows it. */
export interface WorkFingerprintState {
  workId: string;
  digest: string;
  cid: string;
  /** In the in-memory index (matched against). */
  indexed: boolean;
  frames: number;
  audioItems: number;
  failure?: FingerprintFailure;
}

/** A work in the in-memory index. */
interface Entry {
  workId: string;
  digest: string;
  cid: string;
  frames: number;
  audioItems: number;
}

/**
 * Where the index came from at start: its file (`reason` "matches-database"), or the database's files, and why:
 * `missing` or `unreadable` file, the SDK's `FINGERPRINT_INDEX_INVALID` reason (`not-an-index`, `version`,
 * `truncated`, `checksum`, `header`, `content`), `no-digests` (a file that does not say which files it holds),
 * `older-file` (an older file version: it may lack columns the current one holds, such as the frames' views),
 * `radius` (made with other matcher settings), `stale` (other works or digests than the database's), `no-file`
 * (none configured).
 */
export interface FingerprintIndexStart {
  source: "file" | "database";
  reason: string;
}

export interface WorkFingerprintsParameters {
  db: Db;
  store: ContentStore;
  indexer: Indexer;
  log: Logger;
  /** Where the index is saved (the gateway: beside its database); absent, it is rebuilt at every start. */
  indexFile?: string;
  /** Changes within this long are saved together (default 2 s). */
  saveDelayMs?: number;
  /** Where its metrics go (the gateway's registry). */
  metrics?: Registry;
}

export class WorkFingerprints {
  readonly #db: Db;
  readonly #store: ContentStore;
  readonly #indexer: Indexer;
  readonly #log: Logger;
  readonly #indexFile: string | undefined;
  readonly #saveDelayMs: number;
  /** The matcher radius the gateway indexes with (the SDK default): a file made with another is rebuilt. */
  readonly #radius = new FingerprintIndex().columns().radius;
  #index = new FingerprintIndex();
  /** What the in-memory index holds: work id → entry. */
  #entries = new Map<string, Entry>();
  #start: FingerprintIndexStart | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #closing = false;
  /** Changed since the file was last written. */
  #dirty = false;
  #saveTimer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  readonly #metrics:
    | {
        starts: Counter<"source" | "reason">;
        updates: Counter<"how">;
        saves: Counter<"result">;
      }
    | undefined;

  constructor(p: WorkFingerprintsParameters) {
    this.#db = p.db;
    this.#store = p.store;
    this.#indexer = p.indexer;
    this.#log = p.log;
    this.#indexFile = p.indexFile;
    this.#saveDelayMs = p.saveDelayMs ?? SAVE_DELAY_MS;
    migrate(this.#db, "fingerprints", MIGRATIONS);
    if (p.metrics !== undefined) {
      const registers = [p.metrics];
      const works: Gauge = new Gauge({
        name: "crossproof_gateway_fingerprint_index_works",
        help: "Works in the fingerprint index",
        registers,
        collect: () => works.set(this.#entries.size),
      });
      const frames: Gauge = new Gauge({
        name: "crossproof_gateway_fingerprint_index_frames",
        help: "Frame hashes in the fingerprint index",
        registers,
        collect: () => frames.set(this.#index.size),
      });
      this.#metrics = {
        starts: new Counter({
          name: "crossproof_gateway_fingerprint_index_starts_total",
          help: "How the fingerprint index was made at start: loaded from its file, or rebuilt from the database (why)",
          labelNames: ["source", "reason"] as const,
          registers,
        }),
        updates: new Counter({
          name: "crossproof_gateway_fingerprint_index_updates_total",
          help: "Changes to the fingerprint index: works appended, or the index remade from its columns",
          labelNames: ["how"] as const,
          registers,
        }),
        saves: new Counter({
          name: "crossproof_gateway_fingerprint_index_saves_total",
          help: "Writes of the fingerprint index file",
          labelNames: ["result"] as const,
          registers,
        }),
      };
    }
  }

  /** Number of works in the in-memory index. */
  get works(): number {
    return this.#entries.size;
  }

  /** Where the index came from at start (undefined before the first refresh ended). */
  get start(): FingerprintIndexStart | undefined {
    return this.#start;
  }

  /**
   * Brings the in-memory index to the chain index's current fingerprints (the first run loads or rebuilds it).
   * A call while a run is under way gets a run that starts after it (the chain index may have moved since).
   */
  refresh(): Promise<void> {
    if (this.#closing) return Promise.resolve();
    if (this.#running === undefined) {
      this.#running = this.#refresh().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.refresh();
      });
    return this.#queued;
  }

  /** Stops refreshing and writes the index file if it changed since it was last written. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#queued?.catch(() => undefined);
    await this.#running?.catch(() => undefined);
    clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    await this.#saving;
    if (this.#dirty) await this.#save();
  }

  /** The works a clip comes from, best first, each with the digest of the work's fingerprint it was matched against. */
  match(clip: Fingerprint, options: MatchOptions = {}): WorkClipMatch[] {
    if (this.#entries.size === 0) return [];
    return this.#index
      .match(clip, options)
      .map((m) => ({ ...m, workFingerprint: this.#entries.get(m.workId)!.digest }));
  }

  /** Where one work's fingerprint stands (undefined: the chain names none). */
  state(workId: string): WorkFingerprintState | undefined {
    const id = workId.toLowerCase();
    const current = this.#indexer.workFingerprints().find((w) => w.workId === id);
    if (current === undefined) return undefined;
    const entry = this.#entries.get(id);
    const indexed = entry !== undefined && entry.digest === current.digest && entry.cid === current.cid;
    const recorded = this.#failure(id, current.cid, current.digest);
    return {
      workId: id,
      digest: current.digest,
      cid: current.cid,
      indexed,
      frames: indexed ? entry.frames : 0,
      audioItems: indexed ? entry.audioItems : 0,
      ...(recorded === undefined ? {} : { failure: (({ at: _at, ...f }) => f)(recorded) }),
    };
  }

  async #refresh(): Promise<void> {
    if (this.#start === undefined) await this.#open();
    // The files of works not in the index (or whose record changed), fetched when the database lacks them.
    const fetched = new Map<string, Fingerprint>();
    const wanted = new Map<string, { workId: string; digest: string; cid: string }>();
    for (const w of this.#indexer.workFingerprints()) {
      const have = this.#entries.get(w.workId);
      if ((have?.digest === w.digest && have.cid === w.cid) || (await this.#available(w, fetched))) {
        wanted.set(w.workId, { workId: w.workId, digest: w.digest, cid: w.cid });
      }
    }
    if (this.#closing) return;
    // From here on, synchronous: the index and its entries change together.
    const removed = [...this.#entries.values()].filter((e) => wanted.get(e.workId)?.digest !== e.digest);
    const added = [...wanted.values()].filter((w) => this.#entries.get(w.workId)?.digest !== w.digest);
    for (const w of wanted.values()) {
      const e = this.#entries.get(w.workId);
      if (e !== undefined && e.digest === w.digest) e.cid = w.cid; // the same file, stored at another CID
    }
    if (removed.length === 0 && added.length === 0) return;
    let how: "appended" | "rebuilt";
    if (removed.length === 0) {
      how = "appended";
    } else {
      how = "rebuilt";
      const gone = new Set(removed.map((e) => e.workId));
      const kept = new Map([...this.#entries].filter(([id]) => !gone.has(id)));
      this.#index = this.#index.without(gone);
      this.#entries = kept;
    }
    for (const w of added) {
      const fp = fetched.get(w.cid) ?? this.#parse(w.workId, w.cid, w.digest);
      if (fp === undefined) continue;
      try {
        this.#index.add(w.workId, fp);
      } catch (err) {
        this.#recordFailure(w.workId, w.cid, w.digest, err, true);
        continue;
      }
      this.#entries.set(w.workId, {
        ...w,
        frames: fp.video?.hashes.length ?? 0,
        audioItems: fp.audio?.chromaprint.length ?? 0,
      });
    }
    this.#metrics?.updates.inc({ how });
    this.#log.info(
      { works: this.#entries.size, frames: this.#index.size, added: added.length, removed: removed.length, how },
      how === "appended" ? "fingerprint index: works appended" : "fingerprint index remade from its columns",
    );
    this.#changed();
  }

  /**
   * The first run: the index from its file when that file provably holds what the database gives, else from the
   * database's files (and saved again).
   */
  async #open(): Promise<void> {
    // The database's state when the gateway starts (this part runs before the first poll of the chain can change
    // it): what the file was saved with. Changes since are applied afterwards like any other change.
    const expected = this.#databaseWorks();
    let loaded: LoadedFingerprintIndex | undefined;
    let reason = "no-file";
    if (this.#indexFile !== undefined) {
      try {
        loaded = await loadFingerprintIndexFile(this.#indexFile);
      } catch (err) {
        if (isCrossproofError(err, "FINGERPRINT_INDEX_INVALID")) {
          reason = String((err.details as { reason?: unknown } | undefined)?.reason ?? "invalid");
        } else {
          const code = (err as { cause?: { code?: unknown } }).cause?.code;
          reason = code === "ENOENT" ? "missing" : "unreadable";
        }
        if (reason !== "missing") this.#log.warn({ err, file: this.#indexFile }, "fingerprint index file refused");
      }
    }
    let detail: Record<string, unknown> = {};
    if (loaded !== undefined) {
      const stale = loaded.fingerprints === null ? undefined : difference(loaded.fingerprints, expected);
      if (loaded.fingerprints === null) reason = "no-digests";
      else if (loaded.fileVersion < FINGERPRINT_INDEX_FILE_VERSION) reason = "older-file";
      else if (loaded.index.columns().radius !== this.#radius) reason = "radius";
      else if (stale !== undefined) {
        reason = "stale";
        detail = stale;
      } else {
        this.#index = loaded.index;
        this.#entries = new Map(
          loaded.index.columns().works.map((w) => {
            const e = expected.get(w.id)!;
            return [w.id, { workId: w.id, digest: e.digest, cid: e.cid, frames: w.frames, audioItems: w.audioItems }];
          }),
        );
        this.#start = { source: "file", reason: "matches-database" };
        this.#metrics?.starts.inc({ ...this.#start });
        this.#log.info(
          { works: this.#entries.size, frames: this.#index.size, file: this.#indexFile },
          "fingerprint index loaded from its file (the works and digests the database gives)",
        );
        return;
      }
    }
    const index = new FingerprintIndex();
    const entries = new Map<string, Entry>();
    for (const w of expected.values()) {
      const fp = this.#parse(w.workId, w.cid, w.digest);
      if (fp === undefined) continue;
      try {
        index.add(w.workId, fp);
      } catch (err) {
        this.#recordFailure(w.workId, w.cid, w.digest, err, true);
        continue;
      }
      entries.set(w.workId, {
        ...w,
        frames: fp.video?.hashes.length ?? 0,
        audioItems: fp.audio?.chromaprint.length ?? 0,
      });
    }
    this.#index = index;
    this.#entries = entries;
    this.#start = { source: "database", reason };
    this.#metrics?.starts.inc({ ...this.#start });
    const quiet = reason === "missing" || reason === "no-file";
    this.#log[quiet ? "info" : "warn"](
      { works: entries.size, frames: index.size, reason, ...detail, file: this.#indexFile },
      `fingerprint index rebuilt from the database's files (${reason})`,
    );
    this.#changed();
  }

  /**
   * The works the database can index without fetching: each work's current record in the chain index whose file is
   * kept with that digest and was not refused for good.
   */
  #databaseWorks(): Map<string, { workId: string; digest: string; cid: string }> {
    const file = this.#db.prepare("SELECT digest FROM fp_files WHERE cid = ?");
    const works = new Map<string, { workId: string; digest: string; cid: string }>();
    for (const w of this.#indexer.workFingerprints()) {
      const row = file.get(w.cid) as { digest: string } | undefined;
      if (row?.digest !== w.digest || this.#failure(w.workId, w.cid, w.digest)?.permanent === true) continue;
      works.set(w.workId, { workId: w.workId, digest: w.digest, cid: w.cid });
    }
    return works;
  }

  /** The index changed: its file is written after the save delay (one write for the changes within it). */
  #changed(): void {
    if (this.#indexFile === undefined) return;
    this.#dirty = true;
    if (this.#saveTimer !== undefined || this.#saving !== undefined || this.#closing) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      void this.#save();
    }, this.#saveDelayMs);
    this.#saveTimer.unref();
  }

  /** Writes the index and the digests of its works' files (a snapshot: both are taken before the first await). */
  #save(): Promise<void> {
    const file = this.#indexFile;
    if (file === undefined) return Promise.resolve();
    this.#dirty = false;
    const index = this.#index;
    const fingerprints = new Map([...this.#entries].map(([id, e]) => [id, e.digest]));
    const started = Date.now();
    this.#saving = saveFingerprintIndex(index, file, { fingerprints }).then(
      () => {
        this.#saving = undefined;
        this.#metrics?.saves.inc({ result: "saved" });
        this.#log.info(
          { works: fingerprints.size, frames: index.size, ms: Date.now() - started, file },
          "fingerprint index saved",
        );
        // Changes made while it was written: their own write, after the delay.
        if (this.#dirty) this.#changed();
      },
      (err: unknown) => {
        // Kept dirty: the next change, or closing, tries again; a file that is not written is rebuilt at start.
        this.#saving = undefined;
        this.#dirty = true;
        this.#metrics?.saves.inc({ result: "failed" });
        this.#log.warn({ err, file }, "fingerprint index not saved");
      },
    );
    return this.#saving;
  }

  /**
   * Whether a work's current record can be indexed: its file (kept in the database, or fetched now into `fetched`
   * and kept) has the digest on chain. A refusal is recorded.
   */
  async #available(
    w: { workId: string; digest: string; cid: string },
    fetched: Map<string, Fingerprint>,
  ): Promise<boolean> {
    const { workId, cid, digest } = w;
    const failure = this.#failure(workId, cid, digest);
    if (failure?.permanent) return false;
    const row = this.#db.prepare("SELECT digest FROM fp_files WHERE cid = ?").get(cid) as
      { digest: string } | undefined;
    let fileDigest = row?.digest;
    if (fileDigest === undefined) {
      if (failure !== undefined && Date.now() - failure.at < RETRY_AFTER_MS) return false;
      try {
        const { fingerprint, bytes } = await loadFingerprint(this.#store, cid);
        fileDigest = fingerprintDigest(fingerprint);
        this.#db
          .prepare("INSERT OR REPLACE INTO fp_files (cid, digest, bytes, fetched_at) VALUES (?, ?, ?, ?)")
          .run(cid, fileDigest, Buffer.from(bytes), Date.now());
        fetched.set(cid, fingerprint);
      } catch (err) {
        // A file that is not a fingerprint never becomes one; a store that failed may answer later.
        this.#recordFailure(workId, cid, digest, err, isCrossproofError(err, "FINGERPRINT_INVALID"));
        return false;
      }
    }
    if (fileDigest !== digest) {
      const err = new CrossproofError(
        "FINGERPRINT_DIGEST_MISMATCH",
        `the file at ${cid} has digest ${fileDigest}, not the ${digest} on record for work ${workId}`,
      );
      if (failure === undefined) this.#recordFailure(workId, cid, digest, err, true);
      return false;
    }
    if (failure !== undefined) {
      this.#db.prepare("DELETE FROM fp_failures WHERE work_id = ? AND cid = ? AND digest = ?").run(workId, cid, digest);
    }
    return true;
  }

  /** A kept file, parsed and checked against its digest; undefined (and fetched again next time) when damaged. */
  #parse(workId: string, cid: string, digest: string): Fingerprint | undefined {
    const row = this.#db.prepare("SELECT bytes FROM fp_files WHERE cid = ?").get(cid) as { bytes: Buffer } | undefined;
    try {
      if (row === undefined) throw new CrossproofError("CONTENT_NOT_FOUND", `the database no longer keeps ${cid}`);
      const fp = decodeFingerprint(new Uint8Array(row.bytes));
      if (fingerprintDigest(fp) !== digest) {
        throw new CrossproofError("FINGERPRINT_DIGEST_MISMATCH", `the file kept for ${cid} is not the one fetched`);
      }
      return fp;
    } catch (err) {
      // Only a damaged database gets here (files are checked before they are kept): fetch it again next time.
      this.#db.prepare("DELETE FROM fp_files WHERE cid = ?").run(cid);
      this.#recordFailure(workId, cid, digest, err, false);
      return undefined;
    }
  }

  #recordFailure(workId: string, cid: string, digest: string, err: unknown, permanent: boolean): void {
    const code = isCrossproofError(err) ? err.code : "INTERNAL";
    const message = err instanceof Error ? err.message : String(err);
    this.#log.warn({ workId, cid, digest, code }, `work fingerprint not indexed: ${message}`);
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO fp_failures (work_id, cid, digest, code, message, permanent, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(workId, cid, digest, code, message, permanent ? 1 : 0, Date.now());
  }

  /** The recorded failure of a work's file, with when it was recorded (milliseconds). */
  #failure(workId: string, cid: string, digest: string): (FingerprintFailure & { at: number }) | undefined {
    const row = this.#db
      .prepare("SELECT code, message, permanent, at FROM fp_failures WHERE work_id = ? AND cid = ? AND digest = ?")
      .get(workId, cid, digest) as { code: string; message: string; permanent: number; at: number } | undefined;
    return row === undefined
      ? undefined
      : { workId, cid, digest, code: row.code, message: row.message, permanent: row.permanent === 1, at: row.at };
  }
}

/** How a file's works and digests differ from the database's (undefined: not at all). */
function difference(
  file: ReadonlyMap<string, string>,
  database: ReadonlyMap<string, { digest: string }>,
): { onlyInFile: number; onlyInDatabase: number; otherDigest: number; example: string } | undefined {
  let onlyInFile = 0;
  let onlyInDatabase = 0;
  let otherDigest = 0;
  let example = "";
  for (const [id, digest] of file) {
    const d = database.get(id)?.digest;
    if (d === undefined) onlyInFile++;
    else if (d !== digest) otherDigest++;
    else continue;
    example ||= id;
  }
  for (const id of database.keys()) {
    if (!file.has(id)) {
      onlyInDatabase++;
      example ||= id;
    }
  }
  return onlyInFile + onlyInDatabase + otherDigest === 0
    ? undefined
    : { onlyInFile, onlyInDatabase, otherDigest, example };
}
