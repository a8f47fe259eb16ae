/**
 * The gateway's index of works' fingerprints (issue 16): which works a clip comes from.
 *
 * - Source: the chain. Each work's current fingerprint is its latest `WorkFingerprintSet` event (digest + CID), as
 *   the chain index holds it (`Indexer.workFingerprints`); the file is fetched from the content store by CID and
 *   kept only if its digest is the one on chain — a file that does not match its record (a holder or a store passing
 *   off another file) is refused and the refusal recorded.
 * - Persistence: fetched files are kept in the gateway's SQLite (`fp_files`), so a restart rebuilds the in-memory
 *   `FingerprintIndex` from the database without fetching anything again; refusals are kept too (`fp_failures`:
 *   a file that did not match is not fetched again, a store that failed is asked again after a pause).
 * - Up to date: {@link WorkFingerprints.refresh} runs after every indexer poll that reached the head (and before
 *   every clip question, which first brings the index to the head); the in-memory index is rebuilt when the set of
 *   (work, digest) changed — a new work, a replaced or withdrawn fingerprint, a rolled-back block.
 *
 * The index only finds candidates: every licence answer is still read from the chain.
 */
import type { Logger } from "pino";
import {
  CrossproofError,
  FingerprintIndex,
  decodeFingerprint,
  fingerprintDigest,
  isCrossproofError,
  loadFingerprint,
  type ClipMatch,
  type ContentStore,
  type Fingerprint,
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

interface Entry {
  workId: string;
  digest: string;
  cid: string;
  fp: Fingerprint;
}

export class WorkFingerprints {
  readonly #db: Db;
  readonly #store: ContentStore;
  readonly #indexer: Indexer;
  readonly #log: Logger;
  #index = new FingerprintIndex();
  /** What the in-memory index holds: work id → entry. */
  #entries = new Map<string, Entry>();
  /** Parsed files by CID (a rebuild after a change reuses them). */
  readonly #parsed = new Map<string, { fp: Fingerprint; digest: string }>();
  #running: Promise<void> | undefined;

  constructor(p: { db: Db; store: ContentStore; indexer: Indexer; log: Logger }) {
    this.#db = p.db;
    this.#store = p.store;
    this.#indexer = p.indexer;
    this.#log = p.log;
    migrate(this.#db, "fingerprints", MIGRATIONS);
  }

  /** Number of works in the in-memory index. */
  get works(): number {
    return this.#entries.size;
  }

  /** Brings the in-memory index to the chain index's current fingerprints. Concurrent calls share one run. */
  refresh(): Promise<void> {
    this.#running ??= this.#refresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
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
      frames: indexed ? (entry.fp.video?.hashes.length ?? 0) : 0,
      audioItems: indexed ? (entry.fp.audio?.chromaprint.length ?? 0) : 0,
      ...(recorded === undefined ? {} : { failure: (({ at: _at, ...f }) => f)(recorded) }),
    };
  }

  async #refresh(): Promise<void> {
    const wanted = new Map<string, Entry>();
    for (const w of this.#indexer.workFingerprints()) {
      const have = this.#entries.get(w.workId);
      if (have !== undefined && have.digest === w.digest && have.cid === w.cid) {
        wanted.set(w.workId, have);
        continue;
      }
      const fp = await this.#file(w.workId, w.cid, w.digest);
      if (fp !== undefined) wanted.set(w.workId, { workId: w.workId, digest: w.digest, cid: w.cid, fp });
    }
    const same =
      wanted.size === this.#entries.size && [...wanted].every(([id, e]) => this.#entries.get(id)?.digest === e.digest);
    if (same) return;
    const index = new FingerprintIndex();
    for (const e of wanted.values()) {
      try {
        index.add(e.workId, e.fp);
      } catch (err) {
        this.#recordFailure(e.workId, e.cid, e.digest, err, true);
        wanted.delete(e.workId);
      }
    }
    this.#index = index;
    this.#entries = wanted;
    this.#log.info({ works: wanted.size, frames: index.size }, "fingerprint index rebuilt");
  }

  /** The file of a work's fingerprint, checked against the digest on chain; undefined when it cannot be used. */
  async #file(workId: string, cid: string, digest: string): Promise<Fingerprint | undefined> {
    const failure = this.#failure(workId, cid, digest);
    if (failure?.permanent) return undefined;
    let parsed = this.#parsed.get(cid);
    if (parsed === undefined) {
      const row = this.#db.prepare("SELECT bytes FROM fp_files WHERE cid = ?").get(cid) as
        { bytes: Buffer } | undefined;
      if (row !== undefined) {
        try {
          const fp = decodeFingerprint(new Uint8Array(row.bytes));
          parsed = { fp, digest: fingerprintDigest(fp) };
        } catch (err) {
          // Only a damaged database gets here (files are validated before they are kept): fetch it again next time.
          this.#db.prepare("DELETE FROM fp_files WHERE cid = ?").run(cid);
          this.#recordFailure(workId, cid, digest, err, false);
          return undefined;
        }
      } else {
        if (failure !== undefined && Date.now() - failure.at < RETRY_AFTER_MS) {
          return undefined;
        }
        try {
          const { fingerprint, bytes } = await loadFingerprint(this.#store, cid);
          parsed = { fp: fingerprint, digest: fingerprintDigest(fingerprint) };
          this.#db
            .prepare("INSERT OR REPLACE INTO fp_files (cid, digest, bytes, fetched_at) VALUES (?, ?, ?, ?)")
            .run(cid, parsed.digest, Buffer.from(bytes), Date.now());
        } catch (err) {
          // A file that is not a fingerprint never becomes one; a store that failed may answer later.
          this.#recordFailure(workId, cid, digest, err, isCrossproofError(err, "FINGERPRINT_INVALID"));
          return undefined;
        }
      }
      this.#parsed.set(cid, parsed);
    }
    if (parsed.digest !== digest) {
      const err = new CrossproofError(
        "FINGERPRINT_DIGEST_MISMATCH",
        `the file at ${cid} has digest ${parsed.digest}, not the ${digest} on record for work ${workId}`,
      );
      if (failure === undefined) this.#recordFailure(workId, cid, digest, err, true);
      return undefined;
    }
    if (failure !== undefined) {
      this.#db.prepare("DELETE FROM fp_failures WHERE work_id = ? AND cid = ? AND digest = ?").run(workId, cid, digest);
    }
    return parsed.fp;
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
