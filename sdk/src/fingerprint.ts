/**
 * Perceptual fingerprints of a work (issue 16), the pure half: no file, process or network access, so a browser, a
 * platform's edge or a court's page can hash frames, compare hashes and check a fingerprint file's digest.
 *
 * - A frame hash is the 64-bit DCT perceptual hash of a 32×32 grey frame: the 8×8 lowest frequencies of its 2-D
 *   DCT-II, one bit per coefficient set when it exceeds their median (row-major, first coefficient in the most
 *   significant bit). This is the algorithm of the `imagehash` Python library's `phash` on a 32×32 grey input.
 * - The mirrored hash is the hash of the horizontally flipped frame, computed from the same coefficients (a flip
 *   negates every odd horizontal frequency), so a mirrored clip matches through it without a second transform.
 * - A fingerprint file is a versioned, canonical JSON document (RFC 8785, JCS) holding the frame
 *   hashes, scene cuts and raw Chromaprint values with the extractor's name, version and parameters; its digest is
 *   the SHA-256 of those canonical bytes. `fingerprint-extract.ts` produces it from a media file with ffmpeg.
 */
import { sha256 } from "ethers";
import { CrossproofError } from "./errors";

/** Frames are scaled to this many pixels on each side before hashing. */
export const FINGERPRINT_FRAME_SIZE = 32;
/** Frames hashed per second of a registered work: the index holds these. */
export const WORK_FRAMES_PER_SECOND = 2;
/**
 * Frames hashed per second of a clip to be matched. Denser than the works' so that every work frame inside the clip
 * has a clip frame within 50 ms of it, whatever the phase at which the clip was cut (at 2 and 2, a clip cut between
 * two work frames is compared a quarter of a second away, and moving pictures change by many bits in that time).
 */
export const CLIP_FRAMES_PER_SECOND = 10;
/** The hash keeps the `HASH_SIDE × HASH_SIDE` lowest DCT frequencies. */
const HASH_SIDE = 8;
const N = FINGERPRINT_FRAME_SIZE;

/** `COS[k * N + n] = cos(π k (2n + 1) / 2N)` for the lowest `HASH_SIDE` frequencies k. */
const COS = (() => {
  const table = new Float64Array(HASH_SIDE * N);
  for (let k = 0; k < HASH_SIDE; k++) {
    for (let n = 0; n < N; n++) table[k * N + n] = Math.cos((Math.PI * k * (2 * n + 1)) / (2 * N));
  }
  return table;
})();

function checkFrame(pixels: ArrayLike<number>): void {
  if (pixels.length !== N * N) {
    throw new CrossproofError("INVALID_ARGUMENT", `a frame has ${N * N} grey pixels (${N}×${N}), got ${pixels.length}`);
  }
}

/**
 * The 8×8 lowest-frequency coefficients of the 2-D DCT-II of a 32×32 grey frame (row-major: vertical frequency u,
 * then horizontal frequency v). Unnormalised; only their order matters to the hash.
 */
export function lowFrequencyDct(pixels: ArrayLike<number>): Float64Array {
  checkFrame(pixels);
  // Rows first: rows[y * 8 + v] = Σx p[y][x]·cos(π v (2x+1) / 64), then columns.
  const rows = new Float64Array(N * HASH_SIDE);
  for (let y = 0; y < N; y++) {
    for (let v = 0; v < HASH_SIDE; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += pixels[y * N + x]! * COS[v * N + x]!;
      rows[y * HASH_SIDE + v] = s;
    }
  }
  const out = new Float64Array(HASH_SIDE * HASH_SIDE);
  for (let u = 0; u < HASH_SIDE; u++) {
    for (let v = 0; v < HASH_SIDE; v++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += COS[u * N + y]! * rows[y * HASH_SIDE + v]!;
      out[u * HASH_SIDE + v] = s;
    }
  }
  return out;
}

/** One bit per coefficient above the coefficients' median (the mean of the middle two, as numpy computes it). */
function bitsAboveMedian(coefficients: Float64Array): bigint {
  const sorted = Float64Array.from(coefficients).sort();
  const half = sorted.length / 2;
  const median = (sorted[half - 1]! + sorted[half]!) / 2;
  let hash = 0n;
  for (const c of coefficients) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash;
}

/** A frame's 64-bit perceptual hash and the hash of the same frame flipped horizontally. */
export interface FrameHashes {
  hash: bigint;
  mirrored: bigint;
}

/** The 64-bit DCT perceptual hash of a 32×32 grey frame (values 0–255, row-major), and of its mirror image. */
export function frameHashes(pixels: ArrayLike<number>): FrameHashes {
  const dct = lowFrequencyDct(pixels);
  const flipped = dct.map((c, i) => ((i % HASH_SIDE) % 2 === 1 ? -c : c));
  return { hash: bitsAboveMedian(dct), mirrored: bitsAboveMedian(flipped) };
}

/**
 * Partial views of a frame, hashed besides the whole frame (extractor version 2): the frame with its top or its bottom
 * band of {@link VIEW_BAND_ROWS} rows (31 %) filled with the mean grey of the rest, and its centre
 * {@link VIEW_ZOOM_SIDE}×{@link VIEW_ZOOM_SIDE} pixels (2 pixels, 6.25 %, cropped off each side)
 * scaled back to 32×32. A caption or a ticker over the bottom of a clip, a logo or a banner over its top, change the
 * whole frame's hash by many bits (its lowest frequencies span the frame) but not the hash of the view that masks
 * that band on both sides; a clip cropped by about an eighth and scaled back shows what the work's zoomed view shows.
 * The matcher compares a clip and a work view for view (and the clip's whole frame with the work's zoomed view) and
 * keeps the view that agrees best along an alignment — one choice per alignment, not per frame.
 */
export const FRAME_VIEWS = ["maskTop", "maskBottom", "zoom"] as const;
export type FrameView = (typeof FRAME_VIEWS)[number];
export const VIEW_BAND_ROWS = 10;
export const VIEW_ZOOM_SIDE = 28;

/** The {@link FRAME_VIEWS} of a 32×32 grey frame, each hashed with its mirror image like {@link frameHashes}. */
export function frameViewHashes(pixels: ArrayLike<number>): Record<FrameView, FrameHashes> {
  return {
    maskTop: frameHashes(maskRows(pixels, 0, VIEW_BAND_ROWS)),
    maskBottom: frameHashes(maskRows(pixels, N - VIEW_BAND_ROWS, N)),
    zoom: frameHashes(zoomCentre(pixels, VIEW_ZOOM_SIDE)),
  };
}

/** Rows [from, to) replaced by the mean of the other rows, rounded. */
function maskRows(pixels: ArrayLike<number>, from: number, to: number): Float64Array {
  const out = Float64Array.from({ length: N * N }, (_, i) => pixels[i]!);
  let sum = 0;
  for (let i = 0; i < N * N; i++) if (Math.floor(i / N) < from || Math.floor(i / N) >= to) sum += out[i]!;
  const mean = Math.round(sum / (N * N - (to - from) * N));
  out.fill(mean, from * N, to * N);
  return out;
}

/** The centre `side`×`side` pixels scaled to N×N, bilinear (pixel centres aligned, edges clamped), rounded. */
function zoomCentre(pixels: ArrayLike<number>, side: number): Float64Array {
  const out = new Float64Array(N * N);
  const off = (N - side) / 2;
  const at = (x: number, y: number): number =>
    pixels[Math.min(N - 1, Math.max(0, y)) * N + Math.min(N - 1, Math.max(0, x))]!;
  for (let y = 0; y < N; y++) {
    const sy = off + ((y + 0.5) * side) / N - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < N; x++) {
      const sx = off + ((x + 0.5) * side) / N - 0.5;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      // Rounded to whole grey levels, as a resampled 8-bit picture would be.
      out[y * N + x] = Math.round(
        (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
          fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)),
      );
    }
  }
  return out;
}

/** The 64-bit DCT perceptual hash of a 32×32 grey frame. */
export function frameHash(pixels: ArrayLike<number>): bigint {
  return frameHashes(pixels).hash;
}

/** Number of differing bits between two 64-bit hashes. */
export function hammingDistance64(a: bigint, b: bigint): number {
  let x = BigInt.asUintN(64, a ^ b);
  let count = 0;
  while (x !== 0n) {
    x &= x - 1n;
    count++;
  }
  return count;
}

/** A 64-bit hash as 16 lower-case hex digits. */
export function hashToHex(hash: bigint): string {
  return BigInt.asUintN(64, hash).toString(16).padStart(16, "0");
}

/** 16 hex digits back to a 64-bit hash. */
export function hashFromHex(hex: string): bigint {
  if (!/^[0-9a-f]{16}$/.test(hex)) throw new CrossproofError("INVALID_ARGUMENT", `not a 64-bit hex hash: ${hex}`);
  return BigInt(`0x${hex}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The fingerprint file.

export const FINGERPRINT_FORMAT = "crossproof-fingerprint";
export const FINGERPRINT_FORMAT_VERSION = 1;

/** What produced a fingerprint and with which settings: two fingerprints compare only when these agree. */
export interface FingerprintExtractor {
  /** e.g. `crossproof-ffmpeg`. */
  name: string;
  /** The extractor's own version: bumped whenever its output for the same input can change. */
  version: string;
  /** The decoder's version string (e.g. `ffmpeg 5.1.9-0+deb12u1`), for the record. */
  decoder: string;
  parameters: {
    /** Frames hashed per second of media. */
    framesPerSecond: number;
    /** Side of the grey frame hashed (32). */
    frameSize: number;
    /** Frame hash algorithm: `dct-phash-64`. */
    frameHash: string;
    /** ffmpeg scene-change score above which a frame starts a new scene (0–1). */
    sceneThreshold: number;
    /** Chromaprint algorithm number (ffmpeg's `-algorithm`, default 1 = CHROMAPRINT_ALGORITHM_TEST2). */
    chromaprintAlgorithm: number;
  };
}

/** A work's or a clip's fingerprint. Times are in milliseconds from the start of the media. */
export interface Fingerprint {
  format: typeof FINGERPRINT_FORMAT;
  version: typeof FINGERPRINT_FORMAT_VERSION;
  extractor: FingerprintExtractor;
  /** Duration of the media as the container reports it, in ms (0 when unknown). */
  durationMs: number;
  /** Frame hashes, columnar: `timesMs[i]` is the presentation time of the frame hashed as `hashes[i]`. */
  video: {
    timesMs: number[];
    hashes: string[];
    mirrored: string[];
    /** The partial views' hashes, one per time (extractor version 2; absent from version-1 files). */
    views?: Record<FrameView, { hashes: string[]; mirrored: string[] }>;
  } | null;
  /** Presentation times (ms) of frames that start a new scene. */
  sceneCutsMs: number[];
  /** Raw Chromaprint values (unsigned 32-bit) and the time step between consecutive values in ms. */
  audio: { chromaprint: number[]; itemMs: number } | null;
}

function invalid(message: string): CrossproofError {
  return new CrossproofError("FINGERPRINT_INVALID", `fingerprint: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function checkKeys(where: string, value: Record<string, unknown>, keys: string[], optional: string[] = []): void {
  const extra = Object.keys(value).filter((k) => !keys.includes(k) && !optional.includes(k));
  if (extra.length > 0) throw invalid(`${where} has unknown field(s) ${extra.join(", ")}`);
  const missing = keys.filter((k) => !(k in value));
  if (missing.length > 0) throw invalid(`${where} lacks ${missing.join(", ")}`);
}

function checkIncreasing(where: string, times: unknown): asserts times is number[] {
  if (!Array.isArray(times) || !times.every(isNonNegInt)) throw invalid(`${where} must be non-negative integers`);
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < times[i - 1]!) throw invalid(`${where} must not decrease (index ${i})`);
  }
}

/**
 * Checks a parsed document is a well-formed fingerprint (exact fields, types, lengths, ranges) and returns it typed;
 * `FINGERPRINT_INVALID` otherwise.
 */
export function validateFingerprint(doc: unknown): Fingerprint {
  if (!isObject(doc)) throw invalid("not a JSON object");
  if (doc.format !== FINGERPRINT_FORMAT) throw invalid(`format must be "${FINGERPRINT_FORMAT}"`);
  if (doc.version !== FINGERPRINT_FORMAT_VERSION) {
    throw invalid(`unsupported version ${String(doc.version)} (this SDK reads ${FINGERPRINT_FORMAT_VERSION})`);
  }
  checkKeys("the document", doc, ["format", "version", "extractor", "durationMs", "video", "sceneCutsMs", "audio"]);
  const ex = doc.extractor;
  if (!isObject(ex)) throw invalid("extractor must be an object");
  checkKeys("extractor", ex, ["name", "version", "decoder", "parameters"]);
  for (const k of ["name", "version", "decoder"] as const) {
    if (typeof ex[k] !== "string" || ex[k] === "") throw invalid(`extractor.${k} must be a non-empty string`);
  }
  const p = ex.parameters;
  if (!isObject(p)) throw invalid("extractor.parameters must be an object");
  checkKeys("extractor.parameters", p, [
    "framesPerSecond",
    "frameSize",
    "frameHash",
    "sceneThreshold",
    "chromaprintAlgorithm",
  ]);
  if (typeof p.framesPerSecond !== "number" || !(p.framesPerSecond > 0 && p.framesPerSecond <= 30)) {
    throw invalid("extractor.parameters.framesPerSecond must be in (0, 30]");
  }
  if (p.frameSize !== FINGERPRINT_FRAME_SIZE) throw invalid(`frameSize must be ${FINGERPRINT_FRAME_SIZE}`);
  if (p.frameHash !== "dct-phash-64") throw invalid(`unknown frameHash ${String(p.frameHash)}`);
  if (typeof p.sceneThreshold !== "number" || !(p.sceneThreshold > 0 && p.sceneThreshold < 1)) {
    throw invalid("extractor.parameters.sceneThreshold must be in (0, 1)");
  }
  if (!isNonNegInt(p.chromaprintAlgorithm) || p.chromaprintAlgorithm > 4) {
    throw invalid("extractor.parameters.chromaprintAlgorithm must be 0–4");
  }
  if (!isNonNegInt(doc.durationMs)) throw invalid("durationMs must be a non-negative integer");
  checkIncreasing("sceneCutsMs", doc.sceneCutsMs);
  if (doc.video !== null) {
    const v = doc.video;
    if (!isObject(v)) throw invalid("video must be an object or null");
    checkKeys("video", v, ["timesMs", "hashes", "mirrored"], ["views"]);
    checkIncreasing("video.timesMs", v.timesMs);
    const checkHashes = (where: string, list: unknown): void => {
      if (!Array.isArray(list) || list.length !== (v.timesMs as number[]).length) {
        throw invalid(`${where} must have one entry per time`);
      }
      if (!list.every((h) => typeof h === "string" && /^[0-9a-f]{16}$/.test(h))) {
        throw invalid(`${where} must hold 16-digit lower-case hex hashes`);
      }
    };
    for (const k of ["hashes", "mirrored"] as const) checkHashes(`video.${k}`, v[k]);
    if (v.views !== undefined) {
      const views = v.views;
      if (!isObject(views)) throw invalid("video.views must be an object");
      checkKeys("video.views", views, [...FRAME_VIEWS]);
      for (const name of FRAME_VIEWS) {
        const view = views[name];
        if (!isObject(view)) throw invalid(`video.views.${name} must be an object`);
        checkKeys(`video.views.${name}`, view, ["hashes", "mirrored"]);
        for (const k of ["hashes", "mirrored"] as const) checkHashes(`video.views.${name}.${k}`, view[k]);
      }
    }
  }
  if (doc.audio !== null) {
    const a = doc.audio;
    if (!isObject(a)) throw invalid("audio must be an object or null");
    checkKeys("audio", a, ["chromaprint", "itemMs"]);
    if (!Array.isArray(a.chromaprint) || !a.chromaprint.every((x) => isNonNegInt(x) && x <= 0xffffffff)) {
      throw invalid("audio.chromaprint must hold unsigned 32-bit integers");
    }
    if (typeof a.itemMs !== "number" || !(a.itemMs > 0)) throw invalid("audio.itemMs must be positive");
  }
  return doc as unknown as Fingerprint;
}

/**
 * RFC 8785 (JCS) serialisation of plain JSON data: object keys sorted by UTF-16 code units, no whitespace, numbers
 * and strings as ECMAScript's JSON.stringify writes them (which is what JCS specifies for finite numbers and for
 * strings). Synchronous, so the pure module needs no ESM-only package; the tests check it against `canonicalize`.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid("numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  throw invalid(`cannot serialise a ${typeof value}`);
}

/** The canonical bytes of a fingerprint (RFC 8785 JSON, UTF-8): what is stored and digested. */
export function encodeFingerprint(fp: Fingerprint): Uint8Array {
  return new TextEncoder().encode(canonicalJson(validateFingerprint(fp)));
}

/** Parses and validates a stored fingerprint file. Non-canonical input is accepted; its digest is of the canonical form. */
export function decodeFingerprint(bytes: Uint8Array | string): Fingerprint {
  let doc: unknown;
  try {
    const text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    doc = JSON.parse(text);
  } catch (err) {
    throw new CrossproofError("FINGERPRINT_INVALID", "fingerprint: not JSON", { cause: err });
  }
  return validateFingerprint(doc);
}

/** SHA-256 of the fingerprint's canonical bytes, 0x-prefixed: the digest a work record carries. */
export function fingerprintDigest(fp: Fingerprint): `0x${string}` {
  return sha256(encodeFingerprint(fp)) as `0x${string}`;
}
