/**
 * The embedded chain's saved state: one JSON file (Anvil's `--load-state` format) written atomically by the launcher,
 * plus the previous good copy.
 *
 * Anvil is never asked to write its state itself (no `--state`, `--dump-state`, `--state-interval`): the launcher
 * asks it over JSON-RPC (`anvil_dumpState`, a gzip of the JSON), writes `state.json.tmp`, flushes it to disk, keeps
 * the current file as `state.prev.json` and renames the new one into place. A stop, a crash or a full disk can
 * therefore only ever lose the file being written, never the last complete one.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";

/** The files of one saved chain state. */
export interface ChainStateFiles {
  /** The latest complete save: what the chain is loaded from. */
  current: string;
  /** The save before it: the last good copy, used when the current file is refused. */
  previous: string;
  /** Where a save is written before it is renamed into place (a leftover is an interrupted save). */
  temporary: string;
}

/** The files kept for the state file `stateFile` (e.g. `.crossproof/chain/state.json`). */
export function chainStateFiles(stateFile: string): ChainStateFiles {
  const dir = path.dirname(stateFile);
  const ext = path.extname(stateFile);
  const base = path.basename(stateFile, ext);
  return {
    current: stateFile,
    previous: path.join(dir, `${base}.prev${ext}`),
    temporary: `${stateFile}.tmp`,
  };
}

/** Where a file the chain refused to load is kept, out of the way of the next saves. */
export function refusedStatePath(file: string, at: Date = new Date()): string {
  const ext = path.extname(file);
  const stamp = at.toISOString().replace(/[:.]/g, "-");
  return path.join(path.dirname(file), `${path.basename(file, ext)}.refused-${stamp}${ext}`);
}

/** The saved states to try, best first: the current save, then the last good copy. Only files that exist. */
export function savedStateCandidates(files: ChainStateFiles): string[] {
  return [files.current, files.previous].filter((f) => existsSync(f));
}

/**
 * Writes `content` as the new current state: to the temporary file first, flushed to disk, then the current file
 * becomes the previous one and the temporary file the current one (two renames in one folder). Whenever the process
 * stops, `current` or `previous` is a complete save.
 */
export function writeStateAtomically(files: ChainStateFiles, content: Buffer): void {
  const fd = openSync(files.temporary, "w");
  try {
    let written = 0;
    while (written < content.length) written += writeSync(fd, content, written, content.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(files.current)) renameSync(files.current, files.previous);
  renameSync(files.temporary, files.current);
  syncDirectory(path.dirname(files.current));
}

/** Flushes a folder's entries (the renames) to disk, where the platform allows it. */
function syncDirectory(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a save that was interrupted before it was renamed into place. */
export function removeInterruptedSave(files: ChainStateFiles): boolean {
  if (!existsSync(files.temporary)) return false;
  rmSync(files.temporary, { force: true });
  return true;
}

/** Size and time of a saved state, for messages. */
export function describeSavedState(file: string): string {
  const s = statSync(file);
  return `${(s.size / 1e6).toFixed(1)} MB, saved ${s.mtime.toISOString()}`;
}

/**
 * Anvil's state as JSON (what `--load-state` reads): `anvil_dumpState` answers with the `0x`-hex of a gzip of it.
 * Only the current state, blocks and transactions (with receipts and logs): no historical states.
 */
export async function dumpChainState(url: string, timeoutMs = 120_000): Promise<Buffer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "anvil_dumpState", params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: string; error?: { message?: string } };
  if (typeof body.result !== "string" || !body.result.startsWith("0x")) {
    throw new Error(`anvil_dumpState failed: ${body.error?.message ?? JSON.stringify(body).slice(0, 200)}`);
  }
  // gunzip checks the gzip trailer (CRC-32 and length): a damaged answer is refused here, never written.
  return gunzipSync(Buffer.from(body.result.slice(2), "hex"));
}
