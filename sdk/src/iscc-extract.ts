/**
 * ISCC inputs from a media file (Node only), the way the reference SDK iscc-sdk (https://github.com/iscc/iscc-sdk,
 * Apache-2.0; `iscc_sdk/video.py`, `mp7.py`, `main.py`) gets them:
 *
 * - MPEG-7 frame signatures: `ffmpeg -i <file> -vf fps=fps=5,signature=format=binary:filename=<f> -f null -`
 *   (iscc-sdk's `video_mp7sig_extract`, 5 frames per second by default), decoded by {@link decodeMpeg7Signature};
 *   the Video-Code is {@link isccVideoCode} of every frame's 380 values (iscc-sdk's `code_video`);
 * - the ISCC-CODE of a file ({@link isccOfMediaFile}): as iscc-sdk's `code_iscc`, one Content-Code chosen by the
 *   file's kind — a video file's Video-Code only (its sound does not enter), an audio file's Audio-Code — then the
 *   Data- and Instance-Code of its bytes, read once as a stream.
 *
 * ffmpeg is spawned directly (no shell; the file is one argv entry). The signature filter writes to a file name, so
 * ffmpeg runs in a fresh private temporary folder and writes a fixed relative name there: no path is ever put into
 * the filter graph, so nothing needs escaping. Failures are {@link CrossproofError}s with the extractor's codes and
 * `details.reason`: `FFMPEG_MISSING` (ffmpeg-missing), `MEDIA_UNDECODABLE` (undecodable), `FILE_READ_ERROR`
 * (not-found, aborted).
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CrossproofError } from "./errors";
import { extractFingerprint, type FingerprintFailure } from "./fingerprint-extract";
import {
  DataCodeHasher,
  InstanceCodeHasher,
  decodeMpeg7Signature,
  isccAudioCode,
  isccCode,
  isccVideoCode,
  type Mpeg7Signature,
} from "./iscc";

/** iscc-sdk's default `video_fps`: frames per second the MPEG-7 signature is computed at. */
export const ISCC_VIDEO_FPS = 5;

export interface VideoSignatureOptions {
  /**
   * Frames per second the signature is computed at (default 5, as iscc-sdk); `0` keeps every decoded frame (iscc-sdk:
   * "ignored when 0"). Another rate gives another Video-Code.
   */
  framesPerSecond?: number;
  /** The ffmpeg binary (default `ffmpeg` on PATH). */
  ffmpegPath?: string;
  signal?: AbortSignal;
}

const FAILURE_CODES = {
  "ffmpeg-missing": "FFMPEG_MISSING",
  undecodable: "MEDIA_UNDECODABLE",
  "not-found": "FILE_READ_ERROR",
  aborted: "FILE_READ_ERROR",
} as const satisfies Record<FingerprintFailure, string>;

function failure(reason: FingerprintFailure, message: string, cause?: unknown): CrossproofError {
  return new CrossproofError(FAILURE_CODES[reason], message, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

async function ensureFile(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw failure("not-found", `${file} is not a file`);
  } catch (err) {
    if (err instanceof CrossproofError) throw err;
    throw failure("not-found", `cannot read ${file}: ${(err as Error).message}`, err);
  }
}

/**
 * Runs a tool to completion and returns its standard output (at most `maxStdout` bytes kept; the last 4,000
 * characters of its log are kept for the error message).
 */
function run(
  tool: string,
  args: string[],
  file: string,
  options: { cwd?: string; signal?: AbortSignal | undefined; maxStdout?: number },
): Promise<string> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(failure("aborted", `ISCC of ${file} aborted`));
      return;
    }
    const child = spawn(tool, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(signal ? { signal } : {}),
    });
    let out = "";
    let log = "";
    let settled = false;
    const settle = (err?: CrossproofError): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(out);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (out.length + chunk.length > (options.maxStdout ?? 1 << 20)) {
        child.kill("SIGKILL");
        settle(failure("undecodable", `${tool} wrote more than expected about ${file}`));
      } else out += chunk;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      log = (log + chunk).slice(-4000);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") {
        settle(
          failure(
            "ffmpeg-missing",
            `${tool} is not installed or not on PATH (Debian: apt-get install --no-install-recommends ffmpeg)`,
            err,
          ),
        );
      } else if (err.name === "AbortError") settle(failure("aborted", `ISCC of ${file} aborted`, err));
      else settle(failure("undecodable", `${tool} failed on ${file}: ${err.message}`, err));
    });
    child.on("close", (code, sig) => {
      if (code === 0) settle();
      else if (signal?.aborted) settle(failure("aborted", `ISCC of ${file} aborted`));
      else {
        const why = log.trim().split("\n").slice(-3).join(" / ") || `exit ${code ?? sig}`;
        settle(failure("undecodable", `${tool} cannot decode ${file}: ${why}`));
      }
    });
  });
}

/**
 * The raw MPEG-7 Video Signature of a file's video, as ffmpeg's `signature` filter writes it in binary form — the
 * same bytes as iscc-sdk's `video_mp7sig_extract` (same filter graph: `fps=fps=<r>,signature=format=binary`).
 *
 * @example
 * const sig = await extractMpeg7Signature("film.mp4");
 * const frames = decodeMpeg7Signature(sig).frames;
 */
export async function extractMpeg7Signature(file: string, options: VideoSignatureOptions = {}): Promise<Uint8Array> {
  const fps = options.framesPerSecond ?? ISCC_VIDEO_FPS;
  if (!(Number.isFinite(fps) && fps >= 0 && fps <= 120)) {
    throw new CrossproofError("INVALID_ARGUMENT", "framesPerSecond must be 0 (every frame) or in (0, 120]");
  }
  await ensureFile(file);
  const dir = await mkdtemp(path.join(tmpdir(), "crossproof-mp7-"));
  try {
    const filter = `${fps > 0 ? `fps=fps=${fps},` : ""}signature=format=binary:filename=signature.bin`;
    // Only the video is decoded (-an -sn -dn); the stream is ffmpeg's default choice, as in iscc-sdk.
    const args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-i", path.resolve(file)];
    args.push("-an", "-sn", "-dn", "-vf", filter, "-f", "null", "-");
    await run(options.ffmpegPath ?? "ffmpeg", args, file, { cwd: dir, signal: options.signal });
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(dir, "signature.bin"));
    } catch (err) {
      throw failure("undecodable", `ffmpeg computed no video signature for ${file} (no video frames?)`, err);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A file's MPEG-7 frame signatures (380 ternary values per frame, 5 frames per second by default), the input of the
 * ISCC Video-Code — iscc-sdk's `video_features_extract`. A file whose video gives no frame is `undecodable`.
 *
 * @example
 * const { frames } = await extractVideoSignatures("film.mp4");
 * const videoCode = isccVideoCode(frames.map((f) => f.vector)); // "ISCC:EMA…"
 */
export async function extractVideoSignatures(
  file: string,
  options: VideoSignatureOptions = {},
): Promise<Mpeg7Signature> {
  const raw = await extractMpeg7Signature(file, options);
  let signature: Mpeg7Signature;
  try {
    signature = decodeMpeg7Signature(raw);
  } catch (err) {
    throw failure("undecodable", `ffmpeg's video signature of ${file} cannot be read: ${(err as Error).message}`, err);
  }
  if (signature.frames.length === 0) throw failure("undecodable", `${file} has no video frames`);
  return signature;
}

/** Which Content-Code a file gets: `video` if it has a video stream that is not a cover picture, else `audio`. */
export type IsccMediaMode = "video" | "audio";

async function mediaMode(ffprobe: string, file: string, signal?: AbortSignal): Promise<IsccMediaMode | null> {
  const args = ["-v", "error", "-print_format", "json", "-show_entries", "stream=codec_type:stream_disposition"];
  const out = await run(ffprobe, [...args, file], file, { signal });
  let doc: { streams?: { codec_type?: string; disposition?: { attached_pic?: number } }[] };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch (err) {
    throw failure("undecodable", `ffprobe gave no readable answer for ${file}`, err);
  }
  const streams = doc.streams ?? [];
  if (streams.some((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1)) return "video";
  return streams.some((s) => s.codec_type === "audio") ? "audio" : null;
}

export interface MediaIsccOptions extends VideoSignatureOptions {
  /** The ffprobe binary (default: next to `ffmpegPath`, else `ffprobe` on PATH). */
  ffprobePath?: string;
  /**
   * The file's raw Chromaprint values if already known (`extractFingerprint(file).audio.chromaprint`), used for an
   * audio file's Audio-Code; without them an audio file is fingerprinted here.
   */
  chromaprint?: readonly number[];
}

export interface MediaIscc {
  /** The ISCC-CODE. */
  iscc: string;
  /** Its units, as composed: the Content-Code (if any), then the Data-Code and the Instance-Code. */
  units: string[];
  /** Which Content-Code the file got (`null`: neither video nor audio — Data- and Instance-Code only). */
  mode: IsccMediaMode | null;
  /** Frames the Video-Code was computed from (video files). */
  videoFrames?: number;
  /** The BLAKE3 multihash of the file's bytes (the Instance-Code's `datahash`) and its size. */
  datahash: string;
  filesize: number;
}

/**
 * The ISCC-CODE of a media file, composed as iscc-sdk's `code_iscc` composes it, without the Meta-Code: a video
 * file's Video-Code (its audio does not enter the code) or an audio file's Audio-Code, then the Data- and
 * Instance-Code of its bytes. A file is `video` if it has a video stream other than an attached cover picture
 * (iscc-sdk decides by the media type it guesses from the first bytes; the two agree for ordinary files).
 *
 * @example
 * const { iscc, units } = await isccOfMediaFile("film.mp4"); // iscc "ISCC:KMD…", units [Video, Data, Instance]
 */
export async function isccOfMediaFile(file: string, options: MediaIsccOptions = {}): Promise<MediaIscc> {
  await ensureFile(file);
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const ffprobe =
    options.ffprobePath ?? (ffmpeg === "ffmpeg" ? "ffprobe" : ffmpeg.replace(/ffmpeg([^/\\]*)$/, "ffprobe$1"));
  const { signal } = options;
  const mode = await mediaMode(ffprobe, file, signal);
  let content: string | undefined;
  let videoFrames: number | undefined;
  if (mode === "video") {
    const { frames } = await extractVideoSignatures(file, options);
    content = isccVideoCode(frames.map((f) => f.vector));
    videoFrames = frames.length;
  } else if (mode === "audio") {
    let values = options.chromaprint;
    if (values === undefined) {
      const fp = await extractFingerprint(file, {
        ffmpegPath: ffmpeg,
        ffprobePath: ffprobe,
        ...(signal ? { signal } : {}),
      });
      values = fp.audio?.chromaprint ?? [];
    }
    content = isccAudioCode(values);
  }
  const data = new DataCodeHasher();
  const instance = new InstanceCodeHasher();
  try {
    for await (const chunk of createReadStream(file, signal ? { signal } : {})) {
      data.push(chunk as Buffer);
      instance.push(chunk as Buffer);
    }
  } catch (err) {
    if ((err as Error).name === "AbortError") throw failure("aborted", `ISCC of ${file} aborted`, err);
    throw failure("not-found", `cannot read ${file}: ${(err as Error).message}`, err);
  }
  const inst = instance.result();
  const units = [...(content === undefined ? [] : [content]), data.code(), inst.iscc];
  return {
    iscc: isccCode(units),
    units,
    mode,
    ...(videoFrames === undefined ? {} : { videoFrames }),
    datahash: inst.datahash,
    filesize: inst.filesize,
  };
}
