/**
 * ISCC — International Standard Content Code (ISO 24138:2024), the parts a work's identifier needs, ported from the
 * reference implementation `iscc-core` (https://github.com/iscc/iscc-core, Apache-2.0; tables below copied from it)
 * and checked against its conformance vectors (`test/vectors/iscc/`):
 *
 * - the header (MainType, SubType, Version, Length as variable-length nibbles) and RFC 4648 base32 without padding;
 * - Meta-Code v0 (name, description or metadata → 3-gram BLAKE3 SimHash), with its `metahash`;
 * - Content-Code Audio v0 (SimHash over Chromaprint's signed 32-bit values) and Video v0 (winner-takes-all hash of
 *   summed MPEG-7 frame signatures — ffmpeg's `signature` filter computes them, `iscc-extract.ts` runs it, and
 *   {@link decodeMpeg7Signature} reads its binary output);
 * - Data-Code v0 (content-defined chunks → xxHash32 → 64-permutation MinHash) and Instance-Code v0 (BLAKE3);
 * - the composite ISCC-CODE of those units.
 *
 * An ISCC identifies and clusters near-identical *whole* works; it does not locate a clip inside a work — that is
 * what the frame and audio fingerprints (`fingerprint.ts`) are for. Pure: no Node built-ins, bundles for a browser.
 */
import { blake3 } from "@noble/hashes/blake3";
import { CrossproofError } from "./errors";
import { canonicalJson } from "./fingerprint";

/** MainTypes (ISO 24138 §5.1). */
export const IsccMainType = {
  META: 0,
  SEMANTIC: 1,
  CONTENT: 2,
  DATA: 3,
  INSTANCE: 4,
  ISCC: 5,
  ID: 6,
  FLAKE: 7,
} as const;
/** SubTypes of Content-Codes. */
export const IsccContentType = { TEXT: 0, IMAGE: 1, AUDIO: 2, VIDEO: 3, MIXED: 4 } as const;
/** SubTypes of the composite ISCC-CODE (Content SubTypes 0–4, then these). */
const ST_ISCC = { SUM: 5, NONE: 6, WIDE: 7 } as const;

function bad(message: string): CrossproofError {
  return new CrossproofError("INVALID_ARGUMENT", `ISCC: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Base32 and the header.

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, upper case, without padding (as ISCC writes codes). */
export function encodeBase32(data: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(buffer << (5 - bits)) & 31];
  return out;
}

/** Base32 back to bytes (case-insensitive, padding optional); trailing bits that do not fill a byte are dropped. */
export function decodeBase32(code: string): Uint8Array {
  const clean = code.toUpperCase().replace(/=+$/, "");
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw bad(`"${ch}" is not a base32 character`);
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** Bits of a variable-length nibble: 0xxx, 10xxxxxx, 110xxxxxxxxx, 1110xxxxxxxxxxxx. */
function varnibble(n: number): string {
  const bin = (v: number, width: number): string => v.toString(2).padStart(width, "0");
  if (n >= 0 && n < 8) return bin(n, 4);
  if (n < 72) return "10" + bin(n - 8, 6);
  if (n < 584) return "110" + bin(n - 72, 9);
  if (n < 4680) return "1110" + bin(n - 584, 12);
  throw bad(`header value ${n} out of range 0–4679`);
}

/** The header bytes for a MainType, SubType, Version and encoded Length, zero-padded to a whole byte. */
export function encodeIsccHeader(mainType: number, subType: number, version: number, length: number): Uint8Array {
  let bits = [mainType, subType, version, length].map(varnibble).join("");
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, "0");
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

export interface IsccHeader {
  mainType: number;
  subType: number;
  version: number;
  /** The encoded length field (see {@link isccBitLength}). */
  length: number;
  body: Uint8Array;
}

/** Splits raw ISCC bytes into header fields and body. */
export function decodeIsccHeader(data: Uint8Array): IsccHeader {
  let bits = Array.from(data, (b) => b.toString(2).padStart(8, "0")).join("");
  const values: number[] = [];
  for (let k = 0; k < 4; k++) {
    if (bits.length < 4) throw bad("header too short");
    let width: number;
    let prefix: number;
    let offset: number;
    if (bits[0] === "0") [width, prefix, offset] = [4, 1, 0];
    else if (bits.startsWith("10")) [width, prefix, offset] = [8, 2, 8];
    else if (bits.startsWith("110")) [width, prefix, offset] = [12, 3, 72];
    else if (bits.startsWith("1110")) [width, prefix, offset] = [16, 4, 584];
    else throw bad("invalid header nibble prefix");
    if (bits.length < width) throw bad("header too short");
    values.push(parseInt(bits.slice(prefix, width), 2) + offset);
    bits = bits.slice(width);
  }
  if (bits.length % 8 && bits.startsWith("0000")) bits = bits.slice(4);
  const body = new Uint8Array(Math.floor(bits.length / 8));
  for (let i = 0; i < body.length; i++) body[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return { mainType: values[0]!, subType: values[1]!, version: values[2]!, length: values[3]!, body };
}

const UNIT_TYPES = [
  IsccMainType.META,
  IsccMainType.SEMANTIC,
  IsccMainType.CONTENT,
  IsccMainType.DATA,
  IsccMainType.INSTANCE,
] as number[];

/** Encodes one ISCC-UNIT (no `ISCC:` prefix): header + the first `bits / 8` bytes of the digest, in base32. */
export function encodeIsccUnit(
  mainType: number,
  subType: number,
  version: number,
  bits: number,
  digest: Uint8Array,
): string {
  if (!UNIT_TYPES.includes(mainType) && mainType !== IsccMainType.FLAKE)
    throw bad(`MainType ${mainType} is not a unit`);
  if (!(bits >= 32 && bits % 32 === 0 && bits <= 256)) throw bad(`invalid length ${bits} (a multiple of 32, 32–256)`);
  if (digest.length < bits / 8) throw bad(`a ${bits}-bit unit needs ${bits / 8} digest bytes, got ${digest.length}`);
  const header = encodeIsccHeader(mainType, subType, version, bits / 32 - 1);
  const out = new Uint8Array(header.length + bits / 8);
  out.set(header);
  out.set(digest.subarray(0, bits / 8), header.length);
  return encodeBase32(out);
}

/** The code without an `ISCC:` prefix or dashes, upper case. */
export function isccClean(code: string): string {
  const c = code
    .trim()
    .replace(/^ISCC:/i, "")
    .replace(/-/g, "");
  if (!/^[A-Z2-7]+$/i.test(c)) throw bad(`not a base32 ISCC: ${code}`);
  return c.toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------------
// Hash primitives.

/** SimHash of equal-length digests: bit i set when at least half of the digests have it (MSB first). */
function simhash(digests: Uint8Array[]): Uint8Array {
  const n = digests[0]!.length;
  const counts = new Array<number>(n * 8).fill(0);
  for (const d of digests) {
    for (let i = 0; i < n * 8; i++) counts[i]! += (d[i >> 3]! >> (7 - (i & 7))) & 1;
  }
  const out = new Uint8Array(n);
  const min = digests.length / 2;
  for (let i = 0; i < n * 8; i++) if (counts[i]! >= min) out[i >> 3]! |= 1 << (7 - (i & 7));
  return out;
}

/** Windows of `width` elements advancing by one; a shorter input gives itself as the only window. */
function slidingWindow<T>(seq: readonly T[], width: number): T[][] {
  const count = Math.max(seq.length - width + 1, 1);
  return Array.from({ length: count }, (_, i) => seq.slice(i, i + width));
}

const utf8 = new TextEncoder();
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** `1e20` + BLAKE3-256, as hex: the multihash ISCC uses for `metahash` and `datahash`. */
export function multihashBlake3(data: Uint8Array): string {
  return "1e20" + hex(blake3(data));
}

// ---------------------------------------------------------------------------------------------------------------
// Text normalisation (Meta-Code).

const NEWLINES = new Set(["\n", "\v", "\f", "\r", "\u0085", "\u2028", "\u2029"]);
const isWhite = (ch: string): boolean => /^\s$/u.test(ch);

/** NFKC, control characters removed (newlines kept), at most one empty line in a row, trimmed. */
export function textClean(text: string): string {
  const kept = Array.from(text.normalize("NFKC"))
    .filter((ch) => !/^\p{C}$/u.test(ch) || NEWLINES.has(ch))
    .join("");
  const lines = kept.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/);
  const result: string[] = [];
  let empty = 0;
  for (const line of lines) {
    if (line.trim() === "") {
      if (empty < 1) {
        result.push("");
        empty++;
      }
    } else {
      result.push(line);
      empty = 0;
    }
  }
  return result.join("\n").trim();
}

/** One line: whitespace runs collapsed to one space. */
export function textRemoveNewlines(text: string): string {
  return text.split(/\s+/u).filter(Boolean).join(" ");
}

/** Cut to at most `nbytes` UTF-8 bytes without splitting a character, trimmed. */
export function textTrim(text: string, nbytes: number): string {
  const bytes = utf8.encode(text);
  let end = Math.min(nbytes, bytes.length);
  // Step back to a character boundary: never end before a continuation byte (10xxxxxx).
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end)).trim();
}

/** NFD, lower case, whitespace, control, mark and punctuation characters removed, NFKC. */
export function textCollapse(text: string): string {
  return Array.from(text.normalize("NFD").toLowerCase())
    .filter((ch) => !isWhite(ch) && !/^[\p{C}\p{M}\p{P}]$/u.test(ch))
    .join("")
    .normalize("NFKC");
}

// ---------------------------------------------------------------------------------------------------------------
// Meta-Code.

const META_TRIM_NAME = 128;
const META_TRIM_DESCRIPTION = 4096;
const META_TRIM_META = 128_000;

function softHashMeta(name: string, extra: string | Uint8Array): Uint8Array {
  const grams = (text: string): Uint8Array[] =>
    slidingWindow(Array.from(textCollapse(text)), 3).map((g) => blake3(utf8.encode(g.join(""))));
  const nameHash = simhash(grams(name));
  if (extra === "" || extra.length === 0) return nameHash;
  const extraHash =
    typeof extra === "string"
      ? simhash(grams(extra))
      : simhash(slidingWindow(Array.from(extra), 4).map((g) => blake3(Uint8Array.from(g))));
  // Interleave the first 16 bytes of each in 4-byte chunks.
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) {
    out.set(nameHash.subarray(i * 4, i * 4 + 4), i * 8);
    out.set(extraHash.subarray(i * 4, i * 4 + 4), i * 8 + 4);
  }
  return out;
}

function base64Encode(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The payload of a `data:` URL (base64 or percent-encoded). */
function dataUrlPayload(url: string): Uint8Array {
  const m = /^data:([^,]*),(.*)$/s.exec(url);
  if (!m) throw bad("meta must be a data: URL or an object");
  if (/;base64$/i.test(m[1]!)) {
    let bin: string;
    try {
      bin = atob(m[2]!);
    } catch {
      throw bad("meta data: URL has invalid base64");
    }
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  return utf8.encode(decodeURIComponent(m[2]!));
}

export interface MetaCode {
  iscc: string;
  name: string;
  description?: string;
  /** The metadata as a data: URL, when metadata was given. */
  meta?: string;
  metahash: string;
}

/**
 * Meta-Code v0 of a work from its name, optional description and optional metadata (a JSON object, canonicalised
 * with RFC 8785, or a data: URL). `bits`: 64–256 in steps of 32.
 */
export function isccMetaCode(
  name: string,
  description = "",
  meta: Record<string, unknown> | string | null = null,
  bits = 64,
): MetaCode {
  const cleanName = textTrim(textRemoveNewlines(textClean(name)), META_TRIM_NAME);
  if (!cleanName) throw bad("Meta-Code needs a non-empty name (after normalisation)");
  const cleanDescription = textTrim(textClean(description), META_TRIM_DESCRIPTION);
  let digest: Uint8Array;
  let metahash: string;
  let metaUrl: string | undefined;
  if (meta !== null && meta !== "") {
    let payload: Uint8Array;
    if (typeof meta === "string") {
      payload = dataUrlPayload(meta);
      metaUrl = meta;
    } else {
      payload = utf8.encode(canonicalJson(meta));
      const type = "@context" in meta ? "application/ld+json" : "application/json";
      metaUrl = `data:${type};base64,${base64Encode(payload)}`;
    }
    if (payload.length > META_TRIM_META) throw bad(`meta payload exceeds ${META_TRIM_META} bytes`);
    digest = softHashMeta(cleanName, payload);
    metahash = multihashBlake3(payload);
  } else {
    digest = softHashMeta(cleanName, cleanDescription);
    metahash = multihashBlake3(utf8.encode(`${cleanName} ${cleanDescription}`.trim()));
  }
  const result: MetaCode = {
    iscc: "ISCC:" + encodeIsccUnit(IsccMainType.META, 0, 0, bits, digest),
    name: cleanName,
    metahash,
  };
  if (cleanDescription) result.description = cleanDescription;
  if (metaUrl !== undefined) result.meta = metaUrl;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Content-Codes: audio and video.

/** `seq` cut into `n` contiguous parts, the first `len % n` one longer (more_itertools.divide). */
function divide<T>(n: number, seq: readonly T[]): T[][] {
  const q = Math.floor(seq.length / n);
  const r = seq.length % n;
  const parts: T[][] = [];
  let stop = 0;
  for (let i = 1; i <= n; i++) {
    const start = stop;
    stop += i <= r ? q + 1 : q;
    parts.push(seq.slice(start, stop));
  }
  return parts;
}

function int32Bytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v | 0);
  return out;
}

/**
 * Content-Code Audio v0 from raw Chromaprint values (signed or unsigned 32-bit; both read as signed, as iscc-core
 * takes them): SimHash of all values, of each quarter, then of each third of the sorted values.
 */
export function isccAudioCode(chromaprint: readonly number[], bits = 64): string {
  const validBits = bits >= 32 && bits <= 256 && bits % 32 === 0;
  if (!validBits) throw bad(`invalid length ${bits}`);
  let digest: Uint8Array;
  if (chromaprint.length === 0) digest = new Uint8Array(32);
  else {
    const parts: Uint8Array[] = [simhash(chromaprint.map(int32Bytes))];
    const part = (features: number[]): Uint8Array =>
      features.length ? simhash(features.map(int32Bytes)) : new Uint8Array(4);
    for (const bucket of divide(4, chromaprint)) parts.push(part(bucket));
    const sorted = chromaprint.map((v) => v | 0).sort((a, b) => a - b);
    for (const bucket of divide(3, sorted)) parts.push(part(bucket));
    digest = new Uint8Array(32);
    parts.forEach((p, i) => digest.set(p, i * 4));
  }
  return "ISCC:" + encodeIsccUnit(IsccMainType.CONTENT, IsccContentType.AUDIO, 0, bits, digest);
}

/**
 * Content-Code Video v0 from MPEG-7 frame signatures (380 values each, as ffmpeg's `signature` filter computes
 * them): distinct signatures are summed per column, then a winner-takes-all hash over fixed index pairs.
 */
export function isccVideoCode(frameSignatures: readonly ArrayLike<number>[], bits = 64): string {
  if (frameSignatures.length === 0) throw bad("a Video-Code needs at least one frame signature");
  const distinct = new Map<string, ArrayLike<number>>();
  for (const sig of frameSignatures) distinct.set(Array.prototype.join.call(sig, ","), sig);
  const width = Math.min(...[...distinct.values()].map((s) => s.length));
  const sum = new Array<number>(width).fill(0);
  for (const sig of distinct.values()) for (let i = 0; i < width; i++) sum[i]! += sig[i]!;
  const digest = new Uint8Array(32);
  for (let i = 0; i < Math.min(bits, WTA_PERMUTATIONS.length); i++) {
    const [a, b] = WTA_PERMUTATIONS[i]!;
    if (a >= width || b >= width) throw bad(`frame signatures need ${Math.max(a, b) + 1} values`);
    if (sum[b]! > sum[a]!) digest[i >> 3]! |= 1 << (7 - (i & 7));
  }
  return "ISCC:" + encodeIsccUnit(IsccMainType.CONTENT, IsccContentType.VIDEO, 0, bits, digest);
}

/** Values in an MPEG-7 frame signature (ISO/IEC 15938-3 Video Signature): 380 ternary elements, 0–2. */
export const MPEG7_FRAME_SIGNATURE_SIZE = 380;

/** One frame of an MPEG-7 Video Signature, as ffmpeg's `signature` filter writes it. */
export interface Mpeg7Frame {
  /** The 380 ternary values (0, 1 or 2) — the input of {@link isccVideoCode}. */
  vector: Uint8Array;
  /** The frame's media time in the stream's time base (`MediaTimeOfFrame`). */
  mediaTime: number;
  /** `mediaTime / mediaTimeUnit`: seconds since the start of the (resampled) video. */
  elapsedSeconds: number;
  /** `FrameConfidence`, 0–255. */
  confidence: number;
}

/** An MPEG-7 Video Signature in ffmpeg's binary form (`signature=format=binary`), decoded. */
export interface Mpeg7Signature {
  /** `MediaTimeUnit`: media-time ticks per second (ffmpeg writes its time base's den/num, cut to 16 bits). */
  mediaTimeUnit: number;
  /** The coarse segment signatures are skipped (the Video-Code does not use them); their count is kept. */
  segments: number;
  frames: Mpeg7Frame[];
}

/** Reads big-endian bit fields, first bit most significant, as ffmpeg's `put_bits` wrote them. */
class BitReader {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}
  skip(bits: number): void {
    this.need(bits);
    this.pos += bits;
  }
  read(bits: number): number {
    this.need(bits);
    let v = 0;
    for (let i = 0; i < bits; i++, this.pos++) {
      v = v * 2 + ((this.data[this.pos >>> 3]! >>> (7 - (this.pos & 7))) & 1);
    }
    return v;
  }
  private need(bits: number): void {
    if (this.pos + bits > this.data.length * 8) throw bad("truncated MPEG-7 video signature");
  }
}

/**
 * Decodes ffmpeg's binary MPEG-7 Video Signature into its frame signatures — a port of iscc-sdk's
 * `read_mp7_signature` (iscc_sdk/mp7.py): skip the spatial-region header (129 bits), read NumOfFrames (32) and
 * MediaTimeUnit (16), skip the region's media times (1 + 32 + 32), read NumOfSegments (32) and skip the coarse
 * signatures (4 × 32 + 1 + 5 × 243 bits each) and the compression flag (1); then per frame: flag (1), media time
 * (32), confidence (8), words (5 × 8), and 76 bytes each holding five ternary values, most significant first.
 */
export function decodeMpeg7Signature(data: Uint8Array): Mpeg7Signature {
  const r = new BitReader(data);
  r.skip(129);
  const count = r.read(32);
  const mediaTimeUnit = r.read(16);
  r.skip(1 + 32 + 32);
  const segments = r.read(32);
  const frameBits = 1 + 32 + 8 + 40 + (MPEG7_FRAME_SIGNATURE_SIZE / 5) * 8;
  // Checked before skipping or allocating, so a corrupt count cannot make us loop or allocate without bound.
  if (segments * (4 * 32 + 1 + 5 * 243) + 1 + count * frameBits > data.length * 8 - 129 - 32 - 16 - 65 - 32) {
    throw bad(`truncated MPEG-7 video signature (${count} frames, ${segments} segments announced)`);
  }
  r.skip(segments * (4 * 32 + 1 + 5 * 243));
  r.skip(1);
  const frames: Mpeg7Frame[] = [];
  for (let f = 0; f < count; f++) {
    r.skip(1);
    const mediaTime = r.read(32);
    const confidence = r.read(8);
    r.skip(40);
    const vector = new Uint8Array(MPEG7_FRAME_SIGNATURE_SIZE);
    for (let i = 0; i < MPEG7_FRAME_SIGNATURE_SIZE; i += 5) {
      let byte = r.read(8);
      for (let k = 4; k >= 0; k--) {
        vector[i + k] = byte % 3;
        byte = Math.floor(byte / 3);
      }
    }
    frames.push({
      vector,
      mediaTime,
      elapsedSeconds: mediaTimeUnit === 0 ? 0 : mediaTime / mediaTimeUnit,
      confidence,
    });
  }
  return { mediaTimeUnit, segments, frames };
}

// ---------------------------------------------------------------------------------------------------------------
// Data-Code and Instance-Code.

/** xxHash32 with seed 0. */
export function xxh32(data: Uint8Array, seed = 0): number {
  const P1 = 0x9e3779b1;
  const P2 = 0x85ebca77;
  const P3 = 0xc2b2ae3d;
  const P4 = 0x27d4eb2f;
  const P5 = 0x165667b1;
  const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
  const read32 = (i: number): number => data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
  const round = (acc: number, input: number): number => Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);
  const len = data.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    while (i <= len - 16) {
      v1 = round(v1, read32(i));
      v2 = round(v2, read32(i + 4));
      v3 = round(v3, read32(i + 8));
      v4 = round(v4, read32(i + 12));
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else h = (seed + P5) | 0;
  h = (h + len) | 0;
  while (i <= len - 4) {
    h = Math.imul(rotl((h + Math.imul(read32(i), P3)) | 0, 17), P4);
    i += 4;
  }
  while (i < len) {
    h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) | 0, 11), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const CDC_AVG = 1024;
const CDC_MIN = CDC_AVG / 4;
const CDC_MAX = CDC_AVG * 8;
const CDC_CENTER = CDC_AVG - (CDC_MIN + Math.ceil(CDC_MIN / 2));
const CDC_MASK_S = 2 ** 11 - 1;
const CDC_MASK_L = 2 ** 9 - 1;

/** The cut point of the next content-defined chunk of `buf` (FastCDC with iscc-core's gear table). */
function cdcOffset(buf: Uint8Array): number {
  let pattern = 0;
  const size = buf.length;
  let i = Math.min(CDC_MIN, size);
  let barrier = Math.min(CDC_CENTER, size);
  for (; i < barrier; i++) {
    pattern = Math.floor(pattern / 2) + CDC_GEAR[buf[i]!]!;
    if ((pattern & CDC_MASK_S) === 0) return i + 1;
  }
  barrier = Math.min(CDC_MAX, size);
  for (; i < barrier; i++) {
    pattern = Math.floor(pattern / 2) + CDC_GEAR[buf[i]!]!;
    if ((pattern & CDC_MASK_L) === 0) return i + 1;
  }
  return i;
}

const MAXI64 = (1n << 64n) - 1n;
const MPRIME = (1n << 61n) - 1n;
const MAXH = (1n << 32n) - 1n;

/** 64-permutation MinHash of 32-bit features, compressed to the 4 lowest bits of each (256 bits). */
function minhash256(features: readonly number[]): Uint8Array {
  const mins = MPA.map((a, k) => {
    const b = MPB[k]!;
    let min = MAXH + 1n;
    for (const f of features) {
      const v = (((a * BigInt(f) + b) & MAXI64) % MPRIME) & MAXH;
      if (v < min) min = v;
    }
    return min;
  });
  const out = new Uint8Array(32);
  let bit = 0;
  for (let pos = 0n; pos < 4n; pos++) {
    for (const m of mins) {
      if ((m >> pos) & 1n) out[bit >> 3]! |= 1 << (7 - (bit & 7));
      bit++;
    }
  }
  return out;
}

/** Incremental Data-Code v0: push the bytes in pieces of any size, then {@link DataCodeHasher.code}. */
export class DataCodeHasher {
  private readonly features: number[] = [];
  private tail = new Uint8Array(0);

  push(data: Uint8Array): void {
    let buf = this.tail.length ? concat(this.tail, data) : data;
    // Cut chunks while more than a maximum chunk remains, so a cut never depends on where a push ended.
    while (buf.length > CDC_MAX) {
      const cut = cdcOffset(buf);
      this.features.push(xxh32(buf.subarray(0, cut)));
      buf = buf.subarray(cut);
    }
    this.tail = Uint8Array.from(buf);
  }

  /** The 256-bit Data-Hash. */
  digest(): Uint8Array {
    const features = [...this.features];
    let buf = this.tail;
    while (buf.length > 0) {
      const cut = cdcOffset(buf);
      features.push(xxh32(buf.subarray(0, cut)));
      buf = buf.subarray(cut);
    }
    if (features.length === 0) features.push(xxh32(new Uint8Array(0)));
    return minhash256(features);
  }

  code(bits = 64): string {
    return "ISCC:" + encodeIsccUnit(IsccMainType.DATA, 0, 0, bits, this.digest());
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Data-Code v0 of bytes in memory. */
export function isccDataCode(data: Uint8Array, bits = 64): string {
  const h = new DataCodeHasher();
  h.push(data);
  return h.code(bits);
}

/** Incremental Instance-Code v0 (BLAKE3 of the bytes). */
export class InstanceCodeHasher {
  private readonly hasher = blake3.create({});
  private size = 0;

  push(data: Uint8Array): void {
    this.size += data.length;
    this.hasher.update(data);
  }

  result(bits = 64): { iscc: string; datahash: string; filesize: number } {
    const digest = this.hasher.digest();
    return {
      iscc: "ISCC:" + encodeIsccUnit(IsccMainType.INSTANCE, 0, 0, bits, digest),
      datahash: "1e20" + hex(digest),
      filesize: this.size,
    };
  }
}

/** Instance-Code v0 of bytes in memory, with the BLAKE3 multihash and the size. */
export function isccInstanceCode(data: Uint8Array, bits = 64): { iscc: string; datahash: string; filesize: number } {
  const h = new InstanceCodeHasher();
  h.push(data);
  return h.result(bits);
}

// ---------------------------------------------------------------------------------------------------------------
// The composite ISCC-CODE.

/** Unit combinations before Data + Instance, indexed by the ISCC-CODE's length field. */
const UNIT_SETS = ["", "2", "1", "1,2", "0", "0,2", "0,1", "0,1,2"];

/**
 * ISCC-CODE v0 from ISCC-UNITs (any order, with or without `ISCC:`): at least a Data-Code and an Instance-Code,
 * optionally a Meta-, Semantic- and Content-Code; each contributes its first 64 bits (128 for a `wide` Data +
 * Instance pair).
 */
export function isccCode(codes: readonly string[], wide = false): string {
  if (codes.length < 2) throw bad("an ISCC-CODE needs at least two units");
  const decoded = codes
    .map((c) => {
      const clean = isccClean(c);
      if (clean.length < 16) throw bad(`unit shorter than 64 bits: ${c}`);
      return decodeIsccHeader(decodeBase32(clean));
    })
    .sort((a, b) => a.mainType - b.mainType);
  const types = decoded.map((d) => d.mainType);
  if (types.slice(-2).join(",") !== `${IsccMainType.DATA},${IsccMainType.INSTANCE}`) {
    throw bad("an ISCC-CODE needs a Data-Code and an Instance-Code");
  }
  for (const d of decoded) if (!UNIT_TYPES.includes(d.mainType)) throw bad(`MainType ${d.mainType} is not a unit`);
  const isWide = wide && decoded.length === 2 && decoded.every((d) => (d.length + 1) * 32 >= 128);
  let subType: number;
  if (isWide) subType = ST_ISCC.WIDE;
  else {
    const subs = new Set(
      decoded
        .filter((d) => d.mainType === IsccMainType.SEMANTIC || d.mainType === IsccMainType.CONTENT)
        .map((d) => d.subType),
    );
    if (subs.size > 1) throw bad("Semantic-Code and Content-Code must have the same SubType");
    subType = subs.size === 1 ? [...subs][0]! : decoded.length === 2 ? ST_ISCC.SUM : ST_ISCC.NONE;
  }
  const unitIndex = UNIT_SETS.indexOf(types.slice(0, -2).join(","));
  if (unitIndex < 0) throw bad(`invalid unit combination ${types.join(", ")}`);
  const take = isWide ? 16 : 8;
  const header = encodeIsccHeader(IsccMainType.ISCC, subType, 0, unitIndex);
  const body = decoded.map((d) => d.body.subarray(0, take));
  return "ISCC:" + encodeBase32(body.reduce((acc, b) => concat(acc, b), header));
}

// ---- Tables copied from iscc-core (iscc_core/options.py cdc_gear, minhash.py MPA/MPB, wtahash.py), see the header.
/** Gear table of the content-defined chunker (`cdc_gear`). */
const CDC_GEAR: readonly number[] = [
  1553318008, 574654857, 759734804, 310648967, 1393527547, 1195718329, 694400241, 1154184075, 1319583805, 1298164590,
  122602963, 989043992, 1918895050, 933636724, 1369634190, 1963341198, 1565176104, 1296753019, 1105746212, 1191982839,
  1195494369, 29065008, 1635524067, 722221599, 1355059059, 564669751, 1620421856, 1100048288, 1018120624, 1087284781,
  1723604070, 1415454125, 737834957, 1854265892, 1605418437, 1697446953, 973791659, 674750707, 1669838606, 320299026,
  1130545851, 1725494449, 939321396, 748475270, 554975894, 1651665064, 1695413559, 671470969, 992078781, 1935142196,
  1062778243, 1901125066, 1935811166, 1644847216, 744420649, 2068980838, 1988851904, 1263854878, 1979320293, 111370182,
  817303588, 478553825, 694867320, 685227566, 345022554, 2095989693, 1770739427, 165413158, 1322704750, 46251975,
  710520147, 700507188, 2104251000, 1350123687, 1593227923, 1756802846, 1179873910, 1629210470, 358373501, 807118919,
  751426983, 172199468, 174707988, 1951167187, 1328704411, 2129871494, 1242495143, 1793093310, 1721521010, 306195915,
  1609230749, 1992815783, 1790818204, 234528824, 551692332, 1930351755, 110996527, 378457918, 638641695, 743517326,
  368806918, 1583529078, 1767199029, 182158924, 1114175764, 882553770, 552467890, 1366456705, 934589400, 1574008098,
  1798094820, 1548210079, 821697741, 601807702, 332526858, 1693310695, 136360183, 1189114632, 506273277, 397438002,
  620771032, 676183860, 1747529440, 909035644, 142389739, 1991534368, 272707803, 1905681287, 1210958911, 596176677,
  1380009185, 1153270606, 1150188963, 1067903737, 1020928348, 978324723, 962376754, 1368724127, 1133797255, 1367747748,
  1458212849, 537933020, 1295159285, 2104731913, 1647629177, 1691336604, 922114202, 170715530, 1608833393, 62657989,
  1140989235, 381784875, 928003604, 449509021, 1057208185, 1239816707, 525522922, 476962140, 102897870, 132620570,
  419788154, 2095057491, 1240747817, 1271689397, 973007445, 1380110056, 1021668229, 12064370, 1186917580, 1017163094,
  597085928, 2018803520, 1795688603, 1722115921, 2015264326, 506263638, 1002517905, 1229603330, 1376031959, 763839898,
  1970623926, 1109937345, 524780807, 1976131071, 905940439, 1313298413, 772929676, 1578848328, 1108240025, 577439381,
  1293318580, 1512203375, 371003697, 308046041, 320070446, 1252546340, 568098497, 1341794814, 1922466690, 480833267,
  1060838440, 969079660, 1836468543, 2049091118, 2023431210, 383830867, 2112679659, 231203270, 1551220541, 1377927987,
  275637462, 2110145570, 1700335604, 738389040, 1688841319, 1506456297, 1243730675, 258043479, 599084776, 41093802,
  792486733, 1897397356, 28077829, 1520357900, 361516586, 1119263216, 209458355, 45979201, 363681532, 477245280,
  2107748241, 601938891, 244572459, 1689418013, 1141711990, 1485744349, 1181066840, 1950794776, 410494836, 1445347454,
  2137242950, 852679640, 1014566730, 1999335993, 1871390758, 1736439305, 231222289, 603972436, 783045542, 370384393,
  184356284, 709706295, 1453549767, 591603172, 768512391, 854125182,
];
/** MinHash permutation parameters a (`MPA`). */
const MPA: readonly bigint[] = [
  853146490016488653n,
  1849332765672628665n,
  1131688930666554379n,
  1936485333668353377n,
  890837126813020267n,
  1988249303247129861n,
  1408894512544874755n,
  2140251716176616185n,
  1755124413189049421n,
  1355916793659431597n,
  546586563822844083n,
  497603761441203021n,
  2000709902557454173n,
  1057597903350092207n,
  1576204252850880253n,
  2078784234495706739n,
  1022616668454863635n,
  2150082342606334489n,
  712341150087765807n,
  1511757510246096559n,
  1525853819909660573n,
  1263771796138990131n,
  1215963627200985263n,
  590069150281426443n,
  130824646248385081n,
  962725325544728503n,
  1702561325943522847n,
  296074222435072629n,
  490211158716051523n,
  1255327197241792767n,
  699458998727907367n,
  32930168991409845n,
  1985097843455124585n,
  362027841570125531n,
  1903252144040897835n,
  900391845076405289n,
  547470123601853551n,
  1689373724032359119n,
  845594231933442371n,
  400331968021206285n,
  174967108345233429n,
  876513700861085019n,
  505848386844809885n,
  1920468508342256199n,
  1292611725303815789n,
  963317239501343903n,
  1730880032297268007n,
  284614929850059717n,
  1185026248283273081n,
  2167288823816985197n,
  1214905315086686483n,
  1555253098157439857n,
  1048013650291539723n,
  1238618594841147605n,
  1213502582686547311n,
  286300733803129311n,
  1250358511639043529n,
  407534797452854371n,
  960869149538623787n,
  1722699901467253087n,
  1325704236119824319n,
  196979859428570839n,
  1669408735473259699n,
  781336617016068757n,
];
/** MinHash permutation parameters b (`MPB`). */
const MPB: readonly bigint[] = [
  1089606993368836715n,
  726972438868274737n,
  66204585613901025n,
  1078410179646709132n,
  1343470117098523467n,
  698653121981343911n,
  1248486536592473639n,
  1447963007834012793n,
  1034598851883537815n,
  1474008409379745934n,
  793773480906057541n,
  980501101461882479n,
  963941556313537655n,
  233651787311327325n,
  243905121737149907n,
  570269452476776142n,
  297633284648631084n,
  1516796967247398557n,
  1494795672066692649n,
  1728741177365151059n,
  1029197538967983408n,
  1660732464170610344n,
  1399769594446678069n,
  506465470557005705n,
  1279720146829545181n,
  860096419955634036n,
  411519685280832908n,
  69539191273403207n,
  1960489729088056217n,
  605092075716397684n,
  1017496016211653149n,
  1304834535101321372n,
  949013511180032347n,
  1142776242221098779n,
  576980004709031232n,
  1071272177143100544n,
  1494527341093835499n,
  1073290814142727850n,
  1285904200674942617n,
  1277176606329477335n,
  343788427301735585n,
  2100915269685487331n,
  1227711252031557450n,
  18593166391963377n,
  2101884148332688233n,
  191808277534686888n,
  2170124912729392024n,
  918430470748151293n,
  1831024560113812361n,
  1951365515851067694n,
  744352348473654499n,
  1921518311887826722n,
  2020165648600700886n,
  1764930142256726985n,
  1903893374912839788n,
  1449378957774802122n,
  1435825328374066345n,
  833197549717762813n,
  2238991044337210799n,
  748955638857938366n,
  1834583747494146901n,
  222012292803592982n,
  901238460725547841n,
  1501611130776083278n,
];
/** Index pairs of the winner-takes-all video hash (`WTA_VIDEO_ID_PERMUTATIONS`). */
const WTA_PERMUTATIONS: readonly (readonly [number, number])[] = [
  [292, 16],
  [219, 247],
  [295, 7],
  [105, 236],
  [251, 142],
  [334, 82],
  [17, 266],
  [250, 167],
  [38, 127],
  [184, 22],
  [215, 71],
  [308, 181],
  [195, 215],
  [145, 345],
  [134, 233],
  [89, 351],
  [155, 338],
  [185, 68],
  [233, 122],
  [225, 314],
  [192, 22],
  [298, 2],
  [120, 68],
  [99, 155],
  [274, 187],
  [122, 160],
  [341, 281],
  [230, 223],
  [240, 33],
  [334, 299],
  [166, 256],
  [80, 114],
  [211, 122],
  [18, 16],
  [254, 154],
  [310, 336],
  [36, 273],
  [41, 76],
  [196, 290],
  [191, 307],
  [76, 57],
  [49, 226],
  [85, 97],
  [178, 221],
  [212, 228],
  [125, 348],
  [140, 73],
  [316, 267],
  [91, 61],
  [136, 233],
  [154, 84],
  [338, 332],
  [89, 90],
  [245, 177],
  [167, 222],
  [114, 2],
  [278, 364],
  [22, 169],
  [163, 124],
  [40, 134],
  [229, 207],
  [298, 81],
  [199, 253],
  [344, 123],
  [376, 268],
  [139, 266],
  [247, 308],
  [255, 32],
  [85, 250],
  [345, 236],
  [205, 69],
  [215, 277],
  [299, 178],
  [275, 198],
  [250, 359],
  [84, 286],
  [225, 50],
  [212, 18],
  [1, 224],
  [274, 33],
  [25, 179],
  [47, 77],
  [55, 311],
  [232, 248],
  [71, 234],
  [223, 256],
  [228, 175],
  [371, 132],
  [357, 234],
  [216, 168],
  [332, 266],
  [267, 78],
  [378, 121],
  [165, 316],
  [16, 351],
  [100, 329],
  [301, 294],
  [321, 245],
  [12, 59],
  [151, 222],
  [126, 367],
  [148, 45],
  [23, 305],
  [281, 54],
  [146, 83],
  [343, 244],
  [72, 184],
  [304, 205],
  [98, 179],
  [93, 40],
  [302, 99],
  [218, 106],
  [49, 350],
  [157, 237],
  [355, 267],
  [369, 216],
  [229, 340],
  [284, 106],
  [136, 305],
  [186, 59],
  [3, 107],
  [217, 312],
  [209, 195],
  [333, 102],
  [35, 216],
  [45, 28],
  [178, 130],
  [184, 233],
  [217, 99],
  [321, 144],
  [238, 355],
  [150, 259],
  [255, 259],
  [134, 207],
  [226, 327],
  [174, 178],
  [371, 141],
  [247, 228],
  [244, 300],
  [245, 42],
  [353, 276],
  [368, 187],
  [369, 207],
  [86, 308],
  [212, 368],
  [288, 33],
  [304, 375],
  [156, 8],
  [302, 167],
  [333, 164],
  [37, 379],
  [203, 312],
  [191, 144],
  [310, 95],
  [123, 86],
  [157, 48],
  [284, 27],
  [112, 291],
  [37, 215],
  [98, 291],
  [292, 224],
  [303, 8],
  [200, 103],
  [173, 294],
  [97, 267],
  [288, 167],
  [24, 336],
  [354, 296],
  [25, 18],
  [289, 187],
  [203, 166],
  [307, 326],
  [87, 80],
  [60, 310],
  [176, 84],
  [15, 370],
  [274, 261],
  [178, 45],
  [203, 224],
  [295, 178],
  [30, 74],
  [227, 361],
  [241, 312],
  [231, 369],
  [226, 309],
  [89, 181],
  [216, 175],
  [286, 262],
  [234, 198],
  [99, 49],
  [221, 328],
  [78, 21],
  [95, 327],
  [324, 97],
  [291, 219],
  [184, 286],
  [192, 25],
  [309, 26],
  [84, 159],
  [114, 25],
  [296, 90],
  [51, 325],
  [289, 184],
  [95, 154],
  [21, 202],
  [306, 219],
  [39, 176],
  [99, 251],
  [83, 86],
  [207, 239],
  [168, 19],
  [88, 90],
  [297, 361],
  [215, 78],
  [262, 328],
  [356, 200],
  [48, 203],
  [60, 120],
  [54, 216],
  [369, 327],
  [159, 370],
  [148, 273],
  [332, 50],
  [176, 267],
  [317, 243],
  [311, 125],
  [272, 148],
  [6, 340],
  [80, 346],
  [197, 355],
  [117, 49],
  [261, 326],
  [242, 51],
  [295, 204],
  [298, 111],
  [147, 181],
  [35, 96],
  [318, 285],
  [271, 13],
  [38, 204],
  [16, 8],
  [334, 220],
  [173, 91],
  [372, 24],
  [183, 166],
  [320, 243],
  [87, 9],
  [105, 65],
  [148, 103],
  [197, 314],
  [279, 299],
  [304, 214],
  [282, 15],
  [64, 2],
  [63, 14],
  [28, 351],
];
