/**
 * Fingerprint extraction from a media file (Node only): spawns Debian's `ffmpeg`/`ffprobe` directly (no shell, the
 * path is one argv entry) and streams their output, so memory stays bounded by the fingerprint itself (8 bytes per
 * hashed frame, 4 per Chromaprint value) whatever the file's size.
 *
 * - frames: `fps=<r>,scale=32:32:flags=area,format=gray` → raw 1,024-byte frames on stdout → {@link frameHashes};
 * - scene cuts: the same decode, `select='gt(scene,<t>)',showinfo` on a second branch, times read from the log;
 * - audio: ffmpeg's `chromaprint` muxer with `-fp_format raw` → unsigned 32-bit little-endian values on stdout.
 *
 * Failures are {@link CrossproofError}s with `details.reason` one of {@link FingerprintFailure}: code `FFMPEG_MISSING`
 * (ffmpeg-missing), `MEDIA_UNDECODABLE` (undecodable) or `FILE_READ_ERROR` (not-found, aborted), so a caller can tell
 * a missing tool from a bad file.
 */
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import {
  CrossproofError,
  FINGERPRINT_FORMAT,
  FINGERPRINT_FORMAT_VERSION,
  FINGERPRINT_FRAME_SIZE,
  FRAME_VIEWS,
  WORK_FRAMES_PER_SECOND,
  frameViewHashes,
  type FrameView,
  frameHashes,
  hashToHex,
  validateFingerprint,
  type Fingerprint,
  type FingerprintExtractor,
} from "./index";

export const FINGERPRINT_EXTRACTOR_NAME = "crossproof-ffmpeg";
/**
 * Bump whenever the same input could give a different fingerprint (filters, parameters, parsing). Version 2 adds the
 * frames' partial views (`video.views`); version-1 files (without them) are still read and matched on whole frames.
 */
export const FINGERPRINT_EXTRACTOR_VERSION = "2";
/** Chromaprint's step between raw values: 1,365 samples (a third of a 4,096-sample frame) at 11,025 Hz. */
export const CHROMAPRINT_ITEM_MS = (1365 / 11025) * 1000;

/** Why an extraction failed: `ffmpeg-missing` (not installed / not on PATH), `not-found`, `undecodable`, `aborted`. */
export type FingerprintFailure = "ffmpeg-missing" | "not-found" | "undecodable" | "aborted";

export interface ExtractOptions {
  /**
   * Frames hashed per second: default {@link WORK_FRAMES_PER_SECOND} (2), what a registered work is indexed at; a
   * clip to be matched is better fingerprinted at {@link CLIP_FRAMES_PER_SECOND} (10, see the matcher).
   */
  framesPerSecond?: number;
  /** Scene-change score threshold, 0–1 (default 0.3). */
  sceneThreshold?: number;
  /** The ffmpeg binary (default `ffmpeg` on PATH); ffprobe is looked up next to it. */
  ffmpegPath?: string;
  ffprobePath?: string;
  signal?: AbortSignal;
}

/** The error code of each failure: a missing tool and a bad file have their own, the rest are read errors. */
const FAILURE_CODES = {
  "ffmpeg-missing": "FFMPEG_MISSING",
  undecodable: "MEDIA_UNDECODABLE",
  "not-found": "FILE_READ_ERROR",
  aborted: "FILE_READ_ERROR",
} as const satisfies Record<FingerprintFailure, string>;

/** Why a tool could not run on a file (not installed, aborted, another spawn error), as a typed error. */
export function spawnFailure(err: NodeJS.ErrnoException, tool: string, file: string, what: string): CrossproofError {
  if (err.code === "ENOENT") {
    return mediaFailure(
      "ffmpeg-missing",
      `${tool} is not installed or not on PATH (Debian: apt-get install --no-install-recommends ffmpeg)`,
      err,
    );
  }
  if (err.name === "AbortError") return mediaFailure("aborted", `${what} of ${file} aborted`, err);
  return mediaFailure("undecodable", `${tool} failed on ${file}: ${err.message}`, err);
}

/** A media extraction failure as a typed error (`details.reason`); shared with `iscc-extract.ts`. */
export function mediaFailure(reason: FingerprintFailure, message: string, cause?: unknown): CrossproofError {
  return new CrossproofError(FAILURE_CODES[reason], message, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Keeps the last `limit` characters of a stream of text (ffmpeg's stderr), for error messages. */
class Tail {
  private text = "";
  constructor(private readonly limit = 4000) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

interface RunHandlers {
  onStdout?: (chunk: Buffer) => void;
  /** Called with each complete stderr line. */
  onStderrLine?: (line: string) => void;
}

/** Runs a tool to completion, streaming its outputs to the handlers; rejects with a typed failure. */
function run(tool: string, args: string[], file: string, handlers: RunHandlers, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(mediaFailure("aborted", `fingerprint of ${file} aborted`));
      return;
    }
    const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"], ...(signal ? { signal } : {}) });
    const tail = new Tail();
    let partial = "";
    let settled = false;
    const settle = (err?: CrossproofError): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    child.stdout.on("data", (chunk: Buffer) => {
      try {
        handlers.onStdout?.(chunk);
      } catch (err) {
        child.kill("SIGKILL");
        settle(err instanceof CrossproofError ? err : mediaFailure("undecodable", String(err), err));
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      tail.push(chunk);
      if (!handlers.onStderrLine) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      if (partial.length > 65536) partial = partial.slice(-65536);
      for (const line of lines) handlers.onStderrLine(line);
    });
    child.on("error", (err: NodeJS.ErrnoException) => settle(spawnFailure(err, tool, file, "fingerprint")));
    child.on("close", (code, sig) => {
      if (partial && handlers.onStderrLine) handlers.onStderrLine(partial);
      if (code === 0) settle();
      else if (signal?.aborted) settle(mediaFailure("aborted", `fingerprint of ${file} aborted`));
      else {
        const why = tail.toString().split("\n").slice(-3).join(" / ") || `exit ${code ?? sig}`;
        settle(mediaFailure("undecodable", `${tool} cannot decode ${file}: ${why}`));
      }
    });
  });
}

/** The first line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.9-0+deb12u1`. */
export async function ffmpegVersion(ffmpegPath = "ffmpeg", signal?: AbortSignal): Promise<string> {
  let out = "";
  await run(ffmpegPath, ["-hide_banner", "-version"], "-version", { onStdout: (c) => (out += c.toString()) }, signal);
  const first = out.split("\n")[0]?.trim() ?? "";
  const m = /^ffmpeg version (\S+)/.exec(first);
  return m ? `ffmpeg ${m[1]}` : first || "ffmpeg (unknown version)";
}

interface Probe {
  durationMs: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

async function probe(ffprobe: string, file: string, signal?: AbortSignal): Promise<Probe> {
  let out = "";
  const args = ["-v", "error", "-print_format", "json", "-show_entries", "format=duration:stream=codec_type", file];
  await run(ffprobe, args, file, { onStdout: (c) => (out += c.toString()) }, signal);
  let doc: { streams?: { codec_type?: string }[]; format?: { duration?: string } };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch (err) {
    throw mediaFailure("undecodable", `ffprobe gave no readable answer for ${file}`, err);
  }
  const types = (doc.streams ?? []).map((s) => s.codec_type);
  const seconds = Number(doc.format?.duration ?? 0);
  return {
    durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 0,
    hasVideo: types.includes("video"),
    hasAudio: types.includes("audio"),
  };
}

function ffprobeNextTo(ffmpeg: string): string {
  return ffmpeg === "ffmpeg" ? "ffprobe" : ffmpeg.replace(/ffmpeg([^/\\]*)$/, "ffprobe$1");
}

/**
 * Fingerprints a media file: frame hashes (and mirrored hashes) at `framesPerSecond`, scene cuts and raw
 * Chromaprint values. A file with neither a decodable video nor audio stream is `undecodable`.
 */
export async function extractFingerprint(file: string, options: ExtractOptions = {}): Promise<Fingerprint> {
  const fps = options.framesPerSecond ?? WORK_FRAMES_PER_SECOND;
  const sceneThreshold = options.sceneThreshold ?? 0.3;
  if (!(fps > 0 && fps <= 30)) throw new CrossproofError("INVALID_ARGUMENT", "framesPerSecond must be in (0, 30]");
  if (!(sceneThreshold > 0 && sceneThreshold < 1)) {
    throw new CrossproofError("INVALID_ARGUMENT", "sceneThreshold must be in (0, 1)");
  }
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const ffprobe = options.ffprobePath ?? ffprobeNextTo(ffmpeg);
  const { signal } = options;
  try {
    if (!(await stat(file)).isFile()) throw mediaFailure("not-found", `${file} is not a file`);
  } catch (err) {
    if (err instanceof CrossproofError) throw err;
    throw mediaFailure("not-found", `cannot read ${file}: ${(err as Error).message}`, err);
  }
  const decoder = await ffmpegVersion(ffmpeg, signal);
  const info = await probe(ffprobe, file, signal);
  if (!info.hasVideo && !info.hasAudio) throw mediaFailure("undecodable", `${file} has no video or audio stream`);

  const extractor: FingerprintExtractor = {
    name: FINGERPRINT_EXTRACTOR_NAME,
    version: FINGERPRINT_EXTRACTOR_VERSION,
    decoder,
    parameters: {
      framesPerSecond: fps,
      frameSize: FINGERPRINT_FRAME_SIZE,
      frameHash: "dct-phash-64",
      sceneThreshold,
      chromaprintAlgorithm: 1,
    },
  };
  const video = info.hasVideo ? await extractVideo(ffmpeg, file, fps, sceneThreshold, signal) : null;
  const audio = info.hasAudio ? await extractAudio(ffmpeg, file, signal) : null;
  return validateFingerprint({
    format: FINGERPRINT_FORMAT,
    version: FINGERPRINT_FORMAT_VERSION,
    extractor,
    durationMs: info.durationMs,
    video: video && { timesMs: video.timesMs, hashes: video.hashes, mirrored: video.mirrored, views: video.views },
    sceneCutsMs: video?.sceneCutsMs ?? [],
    audio,
  });
}

async function extractVideo(
  ffmpeg: string,
  file: string,
  fps: number,
  sceneThreshold: number,
  signal?: AbortSignal,
): Promise<{
  timesMs: number[];
  hashes: string[];
  mirrored: string[];
  views: Record<FrameView, { hashes: string[]; mirrored: string[] }>;
  sceneCutsMs: number[];
}> {
  const frameBytes = FINGERPRINT_FRAME_SIZE * FINGERPRINT_FRAME_SIZE;
  const graph =
    `[0:v:0]setpts=PTS-STARTPTS,split=2[a][b];` +
    `[a]fps=${fps},scale=${FINGERPRINT_FRAME_SIZE}:${FINGERPRINT_FRAME_SIZE}:flags=area,format=gray[v];` +
    `[b]scale=160:-2:flags=area,select='gt(scene\\,${sceneThreshold})',showinfo,nullsink`;
  const args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i", file];
  args.push("-filter_complex", graph, "-map", "[v]", "-an", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1");
  const hashes: string[] = [];
  const mirrored: string[] = [];
  const views: Record<FrameView, { hashes: string[]; mirrored: string[] }> = {
    maskTop: { hashes: [], mirrored: [] },
    maskBottom: { hashes: [], mirrored: [] },
    zoom: { hashes: [], mirrored: [] },
  };
  const timesMs: number[] = [];
  const sceneCutsMs: number[] = [];
  const pending = Buffer.alloc(frameBytes);
  let filled = 0;
  await run(
    ffmpeg,
    args,
    file,
    {
      onStdout: (chunk) => {
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - at);
          chunk.copy(pending, filled, at, at + n);
          filled += n;
          at += n;
          if (filled === frameBytes) {
            const h = frameHashes(pending);
            timesMs.push(Math.round((hashes.length * 1000) / fps));
            hashes.push(hashToHex(h.hash));
            mirrored.push(hashToHex(h.mirrored));
            const v = frameViewHashes(pending);
            for (const name of FRAME_VIEWS) {
              views[name].hashes.push(hashToHex(v[name].hash));
              views[name].mirrored.push(hashToHex(v[name].mirrored));
            }
            filled = 0;
          }
        }
      },
      onStderrLine: (line) => {
        if (!line.includes("showinfo")) return;
        const m = /pts_time:\s*(-?[0-9.]+)/.exec(line);
        if (m) sceneCutsMs.push(Math.max(0, Math.round(Number(m[1]) * 1000)));
      },
    },
    signal,
  );
  sceneCutsMs.sort((x, y) => x - y);
  return { timesMs, hashes, mirrored, views, sceneCutsMs };
}

async function extractAudio(
  ffmpeg: string,
  file: string,
  signal?: AbortSignal,
): Promise<{ chromaprint: number[]; itemMs: number }> {
  const args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-i", file, "-map", "0:a:0", "-vn"];
  args.push("-f", "chromaprint", "-fp_format", "raw", "-algorithm", "1", "pipe:1");
  const values: number[] = [];
  let carry = Buffer.alloc(0);
  await run(
    ffmpeg,
    args,
    file,
    {
      onStdout: (chunk) => {
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const whole = buf.length - (buf.length % 4);
        for (let i = 0; i < whole; i += 4) values.push(buf.readUInt32LE(i));
        carry = Buffer.from(buf.subarray(whole));
      },
    },
    signal,
  );
  return { chromaprint: values, itemMs: CHROMAPRINT_ITEM_MS };
}
