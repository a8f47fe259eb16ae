/**
 * The gateway's SQLite database (better-sqlite3): the submission outbox, the chain index, sessions and the audit
 * log. WAL journal, synchronous FULL (an answered `202` survives a power cut), foreign keys on. Each module owns its
 * tables and brings them up to date with {@link migrate} when it starts.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Opens (creating if needed) the database file; `:memory:` for a throw-away one. */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
  return db;
}

/**
 * Brings one module's tables to the latest version: runs the steps after the recorded version, each in a
 * transaction with the version update. Steps are append-only: never edit a released step, add one.
 */
export function migrate(db: Db, module: string, steps: readonly string[]): void {
  const row = db.prepare("SELECT version FROM schema_versions WHERE module = ?").get(module) as
    { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > steps.length) {
    throw new Error(
      `the database's ${module} tables are version ${current}, newer than this gateway (${steps.length})`,
    );
  }
  for (let v = current; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]!);
      db.prepare(
        "INSERT INTO schema_versions (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version",
      ).run(module, v + 1);
    })();
  }
}
