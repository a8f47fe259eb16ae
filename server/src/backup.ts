/**
 * Backup and restore of a gateway's data: the SQLite database (its online backup API, safe while the gateway runs),
 * the embedded content store's folder, the hosted members' key files (still encrypted), the deployment record, and a
 * manifest with the SHA-256 of every file. A restore verifies every hash first, refuses while a gateway runs on the
 * data, and never overwrites without `force` (then the data it replaces is moved aside, not deleted).
 *
 * A backup and a purge exclude each other (a lease row in the database): a purge never removes blocks a backup's
 * database copy still lists as kept. With Kubo, the blocks are on the node and are backed up with Kubo's own tools
 * (docs/GATEWAY.md); the manifest lists the roots the database keeps, and a restore says which the node lacks.
 *
 * Sessions are not backed up (the session secret stays behind): after a restore, everyone signs in again.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { KuboContentStore } from "../../sdk/src";
import { verifyAuditChain } from "./audit";
import type { GatewayConfig } from "./config";
import type { GatewayModule } from "./gateway";
import { acquireMaintenanceLease, releaseMaintenanceLease } from "./retention";

export const BACKUP_FORMAT = "crossproof.gateway-backup/1";
export const MANIFEST_FILE = "manifest.json";

/** What a backup holds, file by file (paths relative to the backup folder, `/`-separated). */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** When the backup was made (the gateway's clock). */
  createdAt: string;
  /** The deployment the data belongs to. */
  chainId: number | null;
  consortiumId: string | null;
  /** Embedded: the blocks are under `content/`. Kubo: the node at `url`, which must hold `roots`. */
  contentStore: { kind: "embedded" } | { kind: "kubo"; url: string; roots: string[] };
  files: { path: string; size: number; sha256: string }[];
}

/** Why a backup or a restore refuses, one code per reason. */
export type BackupErrorCode =
  | "NO_DATABASE"
  | "TARGET_NOT_EMPTY"
  | "BUSY"
  | "MANIFEST_INVALID"
  | "MANIFEST_DIGEST_MISMATCH"
  | "FILE_MISSING"
  | "FILE_UNLISTED"
  | "FILE_HASH_MISMATCH"
  | "DATABASE_DAMAGED"
  | "STORE_MISMATCH"
  | "GATEWAY_RUNNING"
  | "DATA_EXISTS";

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "BackupError";
  }
}

const DB_FILE = "gateway.db";
const DEPLOYMENT_FILE = "deployment.json";
const KEYS_DIR = "keys";
const CONTENT_DIR = "content";
const KEY_FILE = /^member-[1-9][0-9]*\.jwe$/;

/** Copies a file, hashing what it writes: size and SHA-256 (hex). */
async function copyHashed(from: string, to: string, mode?: number): Promise<{ size: number; sha256: string }> {
  mkdirSync(path.dirname(to), { recursive: true });
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(
    createReadStream(from),
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.byteLength;
        done(null, chunk);
      },
    }),
    createWriteStream(to, { flags: "wx", ...(mode === undefined ? {} : { mode }) }),
  );
  return { size, sha256: hash.digest("hex") };
}

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { size, sha256: hash.digest("hex") };
}

/** Every regular file under `dir` (relative `/`-separated paths), skipping dot files (a block being written). */
function filesUnder(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...filesUnder(path.join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  /** SHA-256 (hex) of manifest.json: keep it apart from the backup, and give it to the restore. */
  manifestSha256: string;
  bytes: number;
}

/**
 * Backs the gateway's data up into `to` (a new or empty folder), while the gateway runs or not: waits up to
 * `waitSeconds` (default 600) for a purge in progress to finish, and keeps purges off until done.
 * @example
 * const { manifestSha256 } = await backupGateway(loadGatewayConfig(), { to: "/backups/2026-05-01" });
 */
export async function backupGateway(
  config: GatewayConfig,
  o: { to: string; waitSeconds?: number },
): Promise<BackupResult> {
  const to = path.resolve(o.to);
  if (existsSync(to) && readdirSync(to).length > 0) {
    throw new BackupError("TARGET_NOT_EMPTY", `${to} is not empty: back up into a new folder`);
  }
  if (!existsSync(config.database)) {
    throw new BackupError("NO_DATABASE", `no gateway database at ${config.database}`);
  }
  mkdirSync(to, { recursive: true, mode: 0o700 });
  const db = new Database(config.database, { fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  try {
    const deadline = Date.now() + (o.waitSeconds ?? 600) * 1000;
    let lease = acquireMaintenanceLease(db, "backup", { seconds: 24 * 3600 });
    while ("busy" in lease) {
      if (lease.busy.kind === "backup" || Date.now() > deadline) {
        throw new BackupError(
          "BUSY",
          `a ${lease.busy.kind} is running (process ${lease.busy.pid} on ${lease.busy.host}): try again later`,
          lease.busy,
        );
      }
      await sleep(250);
      lease = acquireMaintenanceLease(db, "backup", { seconds: 24 * 3600 });
    }
    const files: BackupManifest["files"] = [];
    let roots: string[] = [];
    try {
      await db.backup(path.join(to, DB_FILE));
      chmodSync(path.join(to, DB_FILE), 0o600);
      // A rollback-journal copy: opening it (even read-only) leaves no -wal or -shm file beside it.
      const copy = new Database(path.join(to, DB_FILE));
      copy.pragma("journal_mode = DELETE");
      copy.close();
      files.push({ path: DB_FILE, ...(await hashFile(path.join(to, DB_FILE))) });
      if (config.contentStore.kind === "embedded") {
        for (const rel of filesUnder(config.contentStore.dir)) {
          try {
            const copied = await copyHashed(
              path.join(config.contentStore.dir, rel),
              path.join(to, CONTENT_DIR, rel),
              0o600,
            );
            files.push({ path: `${CONTENT_DIR}/${rel}`, ...copied });
          } catch (err) {
            // Gone since listed: not a block (no block is removed while the backup holds the lease).
            if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
          }
        }
      } else {
        const copy = new Database(path.join(to, DB_FILE), { readonly: true });
        try {
          const has = copy
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retention_packages'")
            .get();
          roots =
            has === undefined
              ? []
              : (
                  copy.prepare("SELECT DISTINCT cid FROM retention_packages ORDER BY cid").all() as { cid: string }[]
                ).map((r) => r.cid);
        } finally {
          copy.close();
        }
      }
    } finally {
      releaseMaintenanceLease(db, lease.holder);
    }
    for (const f of existsSync(config.keystoreDir)
      ? readdirSync(config.keystoreDir).filter((n) => KEY_FILE.test(n))
      : []) {
      const copied = await copyHashed(path.join(config.keystoreDir, f), path.join(to, KEYS_DIR, f), 0o600);
      files.push({ path: `${KEYS_DIR}/${f}`, ...copied });
    }
    let chainId: number | null = null;
    let consortiumId: string | null = null;
    if (existsSync(config.deploymentFile)) {
      files.push({
        path: DEPLOYMENT_FILE,
        ...(await copyHashed(config.deploymentFile, path.join(to, DEPLOYMENT_FILE))),
      });
      const record = JSON.parse(readFileSync(config.deploymentFile, "utf8")) as {
        chainId?: number;
        consortiumId?: string;
      };
      chainId = record.chainId ?? null;
      consortiumId = record.consortiumId ?? null;
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      chainId,
      consortiumId,
      contentStore:
        config.contentStore.kind === "embedded"
          ? { kind: "embedded" }
          : { kind: "kubo", url: config.contentStore.url, roots },
      files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    };
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(path.join(to, MANIFEST_FILE), text, { mode: 0o600, flag: "wx" });
    return {
      dir: to,
      manifest,
      manifestSha256: createHash("sha256").update(text, "utf8").digest("hex"),
      bytes: files.reduce((n, f) => n + f.size, 0),
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running gateways

/** Where running gateways mark the data they serve: beside the database. */
const runningDir = (config: Pick<GatewayConfig, "database">) => path.join(path.dirname(config.database), "running");

interface RunningMark {
  pid: number;
  host: string;
  url: string;
  startedAt: string;
}

const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The gateways running on this data: a mark (`running/<id>.json` beside the database) of a live process on this
 * host, or of another host whose URL answers `/healthz`; and anything answering `/healthz` at the configured
 * address. Marks of processes gone are removed.
 */
export async function runningGateways(config: GatewayConfig): Promise<{ url: string; pid?: number; host?: string }[]> {
  const found: { url: string; pid?: number; host?: string }[] = [];
  const dir = runningDir(config);
  for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".json")) : []) {
    let mark: RunningMark;
    try {
      mark = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as RunningMark;
    } catch {
      continue;
    }
    const live = mark.host === hostname() ? isProcessAlive(mark.pid) : await answers(mark.url);
    if (live) found.push({ url: mark.url, pid: mark.pid, host: mark.host });
    else rmSync(path.join(dir, f), { force: true });
  }
  const configured =
    config.publicUrl !== "" ? config.publicUrl : config.port === 0 ? "" : `http://${config.host}:${config.port}`;
  if (configured !== "" && !found.some((g) => g.url === configured) && (await answers(configured))) {
    found.push({ url: configured });
  }
  return found;
}

/**
 * Marks the data folder as served while the gateway runs (removed at close), so that a restore refuses to replace
 * it. A gateway killed without closing leaves a mark of a dead process, which the restore ignores.
 */
export const runningMarkModule: GatewayModule = (ctx) => {
  const dir = runningDir(ctx.config);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${randomUUID()}.json`);
  const mark: RunningMark = {
    pid: process.pid,
    host: hostname(),
    url: ctx.config.publicUrl,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify(mark), { mode: 0o600 });
  ctx.onClose(() => rmSync(file, { force: true }));
};

// ---------------------------------------------------------------------------------------------------------------
// Restore

function readManifest(from: string, expectSha256: string | undefined): BackupManifest {
  const file = path.join(from, MANIFEST_FILE);
  if (!existsSync(file)) throw new BackupError("MANIFEST_INVALID", `${from} has no ${MANIFEST_FILE}: not a backup`);
  const text = readFileSync(file);
  if (expectSha256 !== undefined) {
    const actual = createHash("sha256").update(text).digest("hex");
    if (actual !== expectSha256.toLowerCase()) {
      throw new BackupError("MANIFEST_DIGEST_MISMATCH", `${MANIFEST_FILE} hashes to ${actual}, not ${expectSha256}`);
    }
  }
  let m: BackupManifest;
  try {
    m = JSON.parse(text.toString("utf8")) as BackupManifest;
  } catch {
    throw new BackupError("MANIFEST_INVALID", `${MANIFEST_FILE} is not JSON`);
  }
  const allowed = (p: string) =>
    (p === DB_FILE ||
      p === DEPLOYMENT_FILE ||
      (p.startsWith(`${KEYS_DIR}/`) && KEY_FILE.test(p.slice(KEYS_DIR.length + 1))) ||
      p.startsWith(`${CONTENT_DIR}/`)) &&
    !p.split("/").some((s) => s === "" || s === "." || s === "..");
  if (
    m.format !== BACKUP_FORMAT ||
    !Array.isArray(m.files) ||
    !m.files.every(
      (f) =>
        typeof f.path === "string" &&
        allowed(f.path) &&
        Number.isSafeInteger(f.size) &&
        typeof f.sha256 === "string" &&
        /^[0-9a-f]{64}$/.test(f.sha256),
    ) ||
    !m.files.some((f) => f.path === DB_FILE) ||
    (m.contentStore?.kind !== "embedded" && m.contentStore?.kind !== "kubo")
  ) {
    throw new BackupError("MANIFEST_INVALID", `${MANIFEST_FILE} is not a ${BACKUP_FORMAT} manifest`);
  }
  return m;
}

/** Checks every file against the manifest, and that nothing else is in the folder. */
async function verifyBackup(from: string, m: BackupManifest): Promise<void> {
  const listed = new Set(m.files.map((f) => f.path));
  for (const rel of filesUnder(from)) {
    if (rel !== MANIFEST_FILE && !listed.has(rel)) {
      throw new BackupError("FILE_UNLISTED", `${rel} is in the backup but not in its manifest`, { path: rel });
    }
  }
  for (const f of m.files) {
    const file = path.join(from, ...f.path.split("/"));
    if (!existsSync(file))
      throw new BackupError("FILE_MISSING", `${f.path} is missing from the backup`, { path: f.path });
    const actual = await hashFile(file);
    if (actual.sha256 !== f.sha256 || actual.size !== f.size) {
      throw new BackupError("FILE_HASH_MISMATCH", `${f.path} does not match its hash in the manifest`, {
        path: f.path,
        expected: f.sha256,
        actual: actual.sha256,
      });
    }
  }
  const db = new Database(path.join(from, DB_FILE), { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new BackupError("DATABASE_DAMAGED", `the database copy is damaged: ${String(check)}`);
    const hasAudit = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
    if (hasAudit !== undefined) {
      const audit = verifyAuditChain(db);
      if (!audit.valid) {
        throw new BackupError("DATABASE_DAMAGED", `the audit log in the backup does not verify: ${audit.detail}`, {
          code: audit.code,
          seq: audit.seq,
        });
      }
    }
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where each part went. */
  restored: string[];
  /** The data that was there, moved aside (with `force`). */
  movedAside: string[];
  /** Kubo: roots the database keeps that the node does not hold. */
  missingRoots: string[];
}

/**
 * Restores a backup into the places the configuration names: verifies the manifest (against `expectSha256`, the
 * digest the backup printed, when given) and every file's hash, the database's integrity and its audit log; refuses
 * while a gateway runs on the data; refuses to replace existing data unless `force`, which moves it aside
 * (`<name>.before-restore-<time>`). Nothing is written before every check passed.
 */
export async function restoreGateway(
  config: GatewayConfig,
  o: { from: string; force?: boolean; expectSha256?: string },
): Promise<RestoreResult> {
  const from = path.resolve(o.from);
  const manifest = readManifest(from, o.expectSha256);
  await verifyBackup(from, manifest);
  if (manifest.contentStore.kind !== config.contentStore.kind) {
    throw new BackupError(
      "STORE_MISMATCH",
      `the backup is of a ${manifest.contentStore.kind} content store, this gateway uses ${config.contentStore.kind}`,
    );
  }
  const running = await runningGateways(config);
  if (running.length > 0) {
    throw new BackupError(
      "GATEWAY_RUNNING",
      `a gateway is running on this data (${running.map((g) => g.url || `process ${g.pid}`).join(", ")}): stop it first`,
      { running },
    );
  }
  const has = (p: string) => manifest.files.some((f) => f.path === p || f.path.startsWith(`${p}/`));
  const targets: { part: string; target: string; extra?: string[] }[] = [
    { part: DB_FILE, target: config.database, extra: [`${config.database}-wal`, `${config.database}-shm`] },
  ];
  if (has(DEPLOYMENT_FILE)) targets.push({ part: DEPLOYMENT_FILE, target: config.deploymentFile });
  targets.push({ part: KEYS_DIR, target: config.keystoreDir });
  if (config.contentStore.kind === "embedded") targets.push({ part: CONTENT_DIR, target: config.contentStore.dir });
  const occupied = targets
    .flatMap((t) => [t.target, ...(t.extra ?? [])])
    .filter((p) => existsSync(p) && !isEmptyDir(p));
  if (occupied.length > 0 && o.force !== true) {
    throw new BackupError(
      "DATA_EXISTS",
      `there is data already: ${occupied.join(", ")} (pass force to move it aside)`,
      {
        occupied,
      },
    );
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const movedAside: string[] = [];
  for (const p of targets.flatMap((t) => [t.target, ...(t.extra ?? [])])) {
    if (!existsSync(p)) continue;
    if (isEmptyDir(p)) {
      rmSync(p, { recursive: true });
      continue;
    }
    renameSync(p, `${p}.before-restore-${stamp}`);
    movedAside.push(`${p}.before-restore-${stamp}`);
  }
  const restored: string[] = [];
  for (const t of targets) {
    const parts = manifest.files.filter((f) => f.path === t.part || f.path.startsWith(`${t.part}/`));
    if (parts.length === 0) continue;
    const staging = `${t.target}.restoring`;
    rmSync(staging, { recursive: true, force: true });
    const single = parts.length === 1 && parts[0]!.path === t.part;
    if (!single) mkdirSync(staging, { recursive: true, mode: 0o700 });
    for (const f of parts) {
      const rel = f.path.slice(t.part.length + 1);
      const dest = single ? staging : path.join(staging, ...rel.split("/"));
      await copyHashed(path.join(from, ...f.path.split("/")), dest, t.part === DEPLOYMENT_FILE ? 0o644 : 0o600);
    }
    mkdirSync(path.dirname(t.target), { recursive: true });
    renameSync(staging, t.target);
    restored.push(t.target);
  }
  const missingRoots: string[] = [];
  if (manifest.contentStore.kind === "kubo" && config.contentStore.kind === "kubo") {
    const store = new KuboContentStore(config.contentStore.url);
    for (const root of manifest.contentStore.roots) if (!(await store.has(root))) missingRoots.push(root);
    await store.close();
  }
  return { manifest, restored, movedAside, missingRoots };
}

function isEmptyDir(p: string): boolean {
  try {
    return statSync(p).isDirectory() && readdirSync(p).length === 0;
  } catch {
    return false;
  }
}
