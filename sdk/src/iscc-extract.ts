/**
 * ISCC inputs from a media file (Node only), the way the reference SDK iscc-sdk (https://github.com/iscc/iscc-sdk,
 * Apache-2.0; `iscc_sdk/video.py`, `mp7.py`, `main.py`) gets them:
 *
 * - MPEG-7 frame signatures: `ffmpeg -i <file> -vf fps=fps=5,signature=format=binary:filename=<f> -f null -`
 *   (iscc-sdk's `video_mp7sig_extract`, 5 frames per second by default), decoded by {@link decodeMpeg7Signature};
 *   the Video-Code is {@link isccVideoCode} of every frame's 380 values (iscc-sdk's `code_video`);
 * - the ISCC-CODE of a file ({@link isccOfMediaFile}): as iscc-sdk's `code_iscc`, a Meta-Code from the embedded
 *   title (else the file name), one Content-Code chosen by the file's kind — a video file's Video-Code only (its
 *   sound does not enter), an audio file's Audio-Code — then the Data- and Instance-Code of its bytes, read once.
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
import { extractFingerprint, mediaFailure, spawnFailure } from "./fingerprint-extract";
import {
  DataCodeHasher,
  InstanceCodeHasher,
  decodeMpeg7Signature,
  isccAudioCode,
  isccCode,
  isccMetaCode,
  isccVideoCode,
  textClean,
  textRemoveNewlines,
  textTrim,
  type MetaCode,
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

async function ensureFile(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw mediaFailure("not-found", `${file} is not a file`);
  } catch (err) {
    if (err instanceof CrossproofError) throw err;
    throw mediaFailure("not-found", `cannot read ${file}: ${(err as Error).message}`, err);
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
      reject(mediaFailure("aborted", `ISCC of ${file} aborted`));
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
        settle(mediaFailure("undecodable", `${tool} wrote more than expected about ${file}`));
      } else out += chunk;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      log = (log + chunk).slice(-4000);
    });
    child.on("error", (err: NodeJS.ErrnoException) => settle(spawnFailure(err, tool, file, "ISCC")));
    child.on("close", (code, sig) => {
      if (code === 0) settle();
      else if (signal?.aborted) settle(mediaFailure("aborted", `ISCC of ${file} aborted`));
      else {
        const why = log.trim().split("\n").slice(-3).join(" / ") || `exit ${code ?? sig}`;
        settle(mediaFailure("undecodable", `${tool} cannot decode ${file}: ${why}`));
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
      throw mediaFailure("undecodable", `ffmpeg computed no video signature for ${file} (no video frames?)`, err);
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
    throw mediaFailure(
      "undecodable",
      `ffmpeg's video signature of ${file} cannot be read: ${(err as Error).message}`,
      err,
    );
  }
  if (signature.frames.length === 0) throw mediaFailure("undecodable", `${file} has no video frames`);
  return signature;
}

/** Which Content-Code a file gets: `video` if it has a video stream that is not a cover picture, else `audio`. */
export type IsccMediaMode = "video" | "audio";

/**
 * Embedded tags (lower-cased names) → Meta-Code fields, first match wins: iscc-sdk's `VIDEO_META_MAP` (ffmpeg's
 * metadata) for video files; for audio files the name, description and meta entries of its `AUDIO_META_MAP` (which
 * iscc-sdk reads with TagLib; ffprobe gives the same tags for common formats).
 */
const META_TAGS: Record<IsccMediaMode, Record<"name" | "description" | "meta", readonly string[]>> = {
  video: {
    name: ["iscc_name", "title", "track", "show", "album"],
    description: ["iscc_description", "description", "synopsis", "comment"],
    meta: ["iscc_meta"],
  },
  audio: { name: ["iscc:name", "title"], description: ["iscc:description"], meta: ["iscc:meta"] },
};

interface Probed {
  mode: IsccMediaMode | null;
  tags: Record<string, string>;
}

async function probeMedia(ffprobe: string, file: string, signal?: AbortSignal): Promise<Probed> {
  const entries = "stream=codec_type:stream_disposition=attached_pic:format_tags";
  // An absolute path: a name such as `-version` or `concat:…` is read as a file, not as an option or a protocol.
  const args = ["-v", "error", "-print_format", "json", "-show_entries", entries, path.resolve(file)];
  const out = await run(ffprobe, args, file, { signal });
  let doc: {
    streams?: { codec_type?: string; disposition?: { attached_pic?: number } }[];
    format?: { tags?: Record<string, unknown> };
  };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch (err) {
    throw mediaFailure("undecodable", `ffprobe gave no readable answer for ${file}`, err);
  }
  const streams = doc.streams ?? [];
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.format?.tags ?? {})) if (typeof v === "string") tags[k.toLowerCase()] = v;
  let mode: IsccMediaMode | null = null;
  if (streams.some((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1)) mode = "video";
  else if (streams.some((s) => s.codec_type === "audio")) mode = "audio";
  return { mode, tags };
}

/** iscc-sdk's `text_name_from_uri`: the file name without its extension, `-` and `_` read as spaces. */
export function isccNameFromFile(file: string): string {
  return path.parse(path.basename(file)).name.replace(/[-_]/g, " ");
}

/** The Meta-Code of a media file: given name/description, else its embedded tags, else its file name for a name. */
function metaCodeOf(file: string, probed: Probed, given: IsccMetaInput): MetaCode | undefined {
  if (probed.mode === null) return undefined; // iscc-sdk makes no Meta-Code for a file it has no mode for
  const pick = (field: "name" | "description" | "meta"): string | undefined => {
    for (const tag of META_TAGS[probed.mode!][field]) if (probed.tags[tag]) return probed.tags[tag];
    return undefined;
  };
  let name = given.name ?? pick("name") ?? "";
  if (!textTrim(textRemoveNewlines(textClean(name)), 128)) name = isccNameFromFile(file);
  if (!textTrim(textRemoveNewlines(textClean(name)), 128)) return undefined;
  const description = given.description ?? pick("description") ?? "";
  // Only a data: URL is metadata iscc-core accepts; another value of the tag, or one it refuses, is left out.
  const meta = pick("meta");
  if (meta?.startsWith("data:")) {
    try {
      return isccMetaCode(name, description, meta);
    } catch (err) {
      if (!(err instanceof CrossproofError)) throw err;
    }
  }
  return isccMetaCode(name, description);
}

/** What the Meta-Code is made from, when not from the file's tags. */
export interface IsccMetaInput {
  /** The work's title (default: the embedded title tag, else the file name, as iscc-sdk). */
  name?: string;
  /** Its description (default: the embedded description or comment tag). */
  description?: string;
}

export interface MediaIsccOptions extends VideoSignatureOptions {
  /** The ffprobe binary (default: next to `ffmpegPath`, else `ffprobe` on PATH). */
  ffprobePath?: string;
  /**
   * The file's raw Chromaprint values if already known (`extractFingerprint(file).audio.chromaprint`), used for an
   * audio file's Audio-Code; without them an audio file is fingerprinted here.
   */
  chromaprint?: readonly number[];
  /**
   * The Meta-Code (iscc-sdk's default): from these values, else the embedded tags, else the file name; `false`
   * leaves it out (the ISCC-CODE then depends on the content alone, not on a title or a file's name).
   */
  meta?: IsccMetaInput | false;
}

export interface MediaIscc {
  /** The ISCC-CODE. */
  iscc: string;
  /** Its units, as composed: the Meta-Code, the Content-Code (each if any), then the Data- and Instance-Code. */
  units: string[];
  /** The Meta-Code's inputs (its `name`, `description`, `metahash`), when there is one. */
  meta?: MetaCode;
  /** Which Content-Code the file got (`null`: neither video nor audio — Data- and Instance-Code only). */
  mode: IsccMediaMode | null;
  /** Frames the Video-Code was computed from (video files). */
  videoFrames?: number;
  /** The BLAKE3 multihash of the file's bytes (the Instance-Code's `datahash`) and its size. */
  datahash: string;
  filesize: number;
}

/**
 * The ISCC-CODE of a media file, composed as iscc-sdk's `code_iscc` composes it: the Meta-Code (title and
 * description from the embedded tags, else the file name; `meta: false` leaves it out), a video file's Video-Code
 * (its audio does not enter the code) or an audio file's Audio-Code, then the Data- and Instance-Code of its bytes. A file is `video` if it has a video stream other than an attached cover picture
 * (iscc-sdk decides by the media type it guesses from the first bytes; the two agree for ordinary files).
 *
 * @example
 * const { iscc, units } = await isccOfMediaFile("film.mp4"); // "ISCC:KMC…", units [Meta, Video, Data, Instance]
 */
export async function isccOfMediaFile(file: string, options: MediaIsccOptions = {}): Promise<MediaIscc> {
  await ensureFile(file);
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const ffprobe =
    options.ffprobePath ?? (ffmpeg === "ffmpeg" ? "ffprobe" : ffmpeg.replace(/ffmpeg([^/\\]*)$/, "ffprobe$1"));
  const { signal } = options;
  const probed = await probeMedia(ffprobe, file, signal);
  const { mode } = probed;
  const meta = options.meta === false ? undefined : metaCodeOf(file, probed, options.meta ?? {});
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
    if ((err as Error).name === "AbortError") throw mediaFailure("aborted", `ISCC of ${file} aborted`, err);
    throw mediaFailure("not-found", `cannot read ${file}: ${(err as Error).message}`, err);
  }
  const inst = instance.result();
  const units = [meta?.iscc, content, data.code(), inst.iscc].filter((u): u is string => u !== undefined);
  return {
    iscc: isccCode(units),
    units,
    ...(meta === undefined ? {} : { meta }),
    mode,
    ...(videoFrames === undefined ? {} : { videoFrames }),
    datahash: inst.datahash,
    filesize: inst.filesize,
  };
}
