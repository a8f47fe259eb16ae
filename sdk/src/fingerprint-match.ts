/**
 * Locating a clip inside registered works (issue 16), the pure core: an in-memory index of the works' 64-bit frame
 * hashes searched by multi-index hashing, votes on (work, orientation, time offset), then verification of the best
 * candidates along their alignment (frame Hamming distance, Chromaprint bit-error rate) into aligned time ranges.
 *
 * Multi-index hashing (Norouzi et al.): each hash is cut into four 16-bit parts, each part keyed in its own table.
 * Two hashes within Hamming distance r agree within ⌊r/4⌋ bits on at least one part (pigeonhole), so probing every
 * part's neighbours up to that radius finds all of them while touching only the few frames sharing a part.
 *
 * Not yet here (see docs/FINGERPRINTS.md): speed changes (only speed 1 is voted on), an audio-only key index for
 * clips without video, persistence, and the measured behaviour at millions of frames.
 */
import { CrossproofError } from "./errors";
import { hashFromHex, type Fingerprint } from "./fingerprint";

const PARTS = 4;

/** Popcount of a 32-bit value. */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** All 16-bit values within `radius` bits of `v` (v itself first). */
function neighbours16(v: number, radius: number): number[] {
  const out = [v];
  const rec = (value: number, start: number, left: number): void => {
    for (let bit = start; bit < 16; bit++) {
      const next = value ^ (1 << bit);
      out.push(next);
      if (left > 1) rec(next, bit + 1, left - 1);
    }
  };
  if (radius > 0) rec(v, 0, radius);
  return out;
}

export interface IndexOptions {
  /** Largest Hamming distance at which two frame hashes count as the same picture (default 10, at most 15). */
  radius?: number;
}

export interface MatchOptions {
  /** Candidates verified along their alignment (default 5). */
  candidates?: number;
  /** Least fused score (0–1) a match must reach (default 0.5). */
  minScore?: number;
  /** Least number of clip frames agreeing with a candidate alignment (default 3). */
  minFrames?: number;
}

/** Where a clip sits inside a work. Times in ms; work time = clip time + `offsetMs` (speed 1). */
export interface ClipMatch {
  workId: string;
  /** The clip is the work flipped horizontally. */
  mirrored: boolean;
  offsetMs: number;
  speed: number;
  clipStartMs: number;
  clipEndMs: number;
  workStartMs: number;
  workEndMs: number;
  /** Clip frames whose hash lies within the radius of the aligned work frame, of those aligned. */
  matchedFrames: number;
  alignedFrames: number;
  /** 1 − mean Hamming distance / 32 along the alignment, floored at 0 (unrelated frames average 32 of 64 bits). */
  videoScore: number;
  /** 1 − 2 × Chromaprint bit-error rate along the alignment, floored at 0; null when either side has no audio. */
  audioScore: number | null;
  /** Mean of the available scores. */
  score: number;
}

interface Work {
  id: string;
  fp: Fingerprint;
  hi: Uint32Array;
  lo: Uint32Array;
  times: number[];
  frameMs: number;
}

/** An in-memory frame-hash index over registered works' fingerprints. */
export class FingerprintIndex {
  readonly radius: number;
  private readonly works: Work[] = [];
  private readonly ids = new Set<string>();
  /** tables[p]: 16-bit part value → packed (work index, frame index) entries. */
  private readonly tables: Map<number, number[]>[] = Array.from({ length: PARTS }, () => new Map());
  private frames = 0;

  constructor(options: IndexOptions = {}) {
    this.radius = options.radius ?? 10;
    if (!Number.isInteger(this.radius) || this.radius < 0 || this.radius > 15) {
      throw new CrossproofError("INVALID_ARGUMENT", "radius must be an integer 0–15");
    }
  }

  /** Number of frame hashes indexed. */
  get size(): number {
    return this.frames;
  }

  /** Indexes a work's fingerprint under `workId` (once per id). */
  add(workId: string, fp: Fingerprint): void {
    if (this.ids.has(workId)) throw new CrossproofError("INVALID_ARGUMENT", `work ${workId} is already indexed`);
    if (fp.video === null) throw new CrossproofError("INVALID_ARGUMENT", `work ${workId} has no video fingerprint`);
    const w = toWork(workId, fp);
    if (this.works.length >= 2 ** 21) {
      throw new CrossproofError("INVALID_ARGUMENT", "index capacity exceeded");
    }
    const wi = this.works.length;
    this.works.push(w);
    this.ids.add(workId);
    for (let f = 0; f < w.hi.length; f++) {
      const packed = wi * 2 ** 31 + f;
      for (let p = 0; p < PARTS; p++) {
        const key = part(w.hi[f]!, w.lo[f]!, p);
        const list = this.tables[p]!.get(key);
        if (list) list.push(packed);
        else this.tables[p]!.set(key, [packed]);
      }
    }
    this.frames += w.hi.length;
  }

  /** Work frames within the radius of a hash, as packed (work, frame) entries with their distance. */
  private near(hi: number, lo: number): Map<number, number> {
    const found = new Map<number, number>();
    const subRadius = Math.floor(this.radius / PARTS);
    for (let p = 0; p < PARTS; p++) {
      for (const key of neighbours16(part(hi, lo, p), subRadius)) {
        for (const packed of this.tables[p]!.get(key) ?? []) {
          if (found.has(packed)) continue;
          const w = this.works[Math.floor(packed / 2 ** 31)]!;
          const f = packed % 2 ** 31;
          const d = popcount32(w.hi[f]! ^ hi) + popcount32(w.lo[f]! ^ lo);
          if (d <= this.radius) found.set(packed, d);
        }
      }
    }
    return found;
  }

  /** The works a clip comes from, best first, with the aligned time ranges and scores. */
  match(clip: Fingerprint, options: MatchOptions = {}): ClipMatch[] {
    if (clip.video === null) throw new CrossproofError("INVALID_ARGUMENT", "the clip has no video fingerprint");
    const candidates = options.candidates ?? 5;
    const minScore = options.minScore ?? 0.5;
    const minFrames = options.minFrames ?? 3;
    const c = toWork("clip", clip);
    const mirroredHashes = clip.video.mirrored.map(hashFromHex);
    // Votes: key "work|mirrored|offset bin" → number of clip frames voting for it.
    const votes = new Map<string, { wi: number; mirrored: boolean; offsets: number[] }>();
    for (let i = 0; i < c.hi.length; i++) {
      const m = mirroredHashes[i]!;
      const probes: [number, number, boolean][] = [
        [c.hi[i]!, c.lo[i]!, false],
        [Number(m >> 32n), Number(m & 0xffffffffn), true],
      ];
      const seen = new Set<string>();
      for (const [hi, lo, mirrored] of probes) {
        for (const packed of this.near(hi, lo).keys()) {
          const wi = Math.floor(packed / 2 ** 31);
          const w = this.works[wi]!;
          const offset = w.times[packed % 2 ** 31]! - c.times[i]!;
          const bin = Math.round(offset / Math.max(w.frameMs, c.frameMs));
          const key = `${wi}|${mirrored ? 1 : 0}|${bin}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const v = votes.get(key);
          if (v) v.offsets.push(offset);
          else votes.set(key, { wi, mirrored, offsets: [offset] });
        }
      }
    }
    const ranked = [...votes.values()]
      .filter((v) => v.offsets.length >= minFrames)
      .sort((a, b) => b.offsets.length - a.offsets.length)
      .slice(0, candidates);
    const results: ClipMatch[] = [];
    for (const v of ranked) {
      const offsets = [...v.offsets].sort((a, b) => a - b);
      const offset = offsets[Math.floor(offsets.length / 2)]!;
      const m = this.verify(c, mirroredHashes, v.wi, v.mirrored, offset);
      if (m.matchedFrames >= minFrames && m.score >= minScore) results.push(m);
    }
    // One answer per (work, orientation, overlapping range): keep the best.
    results.sort((a, b) => b.score - a.score || b.matchedFrames - a.matchedFrames);
    const kept: ClipMatch[] = [];
    for (const r of results) {
      const dup = kept.some(
        (k) => k.workId === r.workId && k.mirrored === r.mirrored && Math.abs(k.offsetMs - r.offsetMs) < 2000,
      );
      if (!dup) kept.push(r);
    }
    return kept;
  }

  private verify(c: Work, mirroredHashes: bigint[], wi: number, mirrored: boolean, offset: number): ClipMatch {
    const w = this.works[wi]!;
    let aligned = 0;
    let matched = 0;
    let distanceSum = 0;
    let first = -1;
    let last = -1;
    for (let i = 0; i < c.hi.length; i++) {
      const t = c.times[i]! + offset;
      const f = nearestIndex(w.times, t);
      if (f < 0 || Math.abs(w.times[f]! - t) > w.frameMs) continue;
      const m = mirroredHashes[i]!;
      const hi = mirrored ? Number(m >> 32n) : c.hi[i]!;
      const lo = mirrored ? Number(m & 0xffffffffn) : c.lo[i]!;
      const d = popcount32(w.hi[f]! ^ hi) + popcount32(w.lo[f]! ^ lo);
      aligned++;
      distanceSum += d;
      if (d <= this.radius) {
        matched++;
        if (first < 0) first = i;
        last = i;
      }
    }
    const videoScore = aligned ? Math.max(0, 1 - distanceSum / aligned / 32) : 0;
    const audioScore = alignAudio(c.fp, w.fp, offset);
    const scores = audioScore === null ? [videoScore] : [videoScore, audioScore];
    const clipStartMs = first < 0 ? 0 : c.times[first]!;
    const clipEndMs = last < 0 ? 0 : c.times[last]! + c.frameMs;
    return {
      workId: w.id,
      mirrored,
      offsetMs: offset,
      speed: 1,
      clipStartMs,
      clipEndMs,
      workStartMs: clipStartMs + offset,
      workEndMs: clipEndMs + offset,
      matchedFrames: matched,
      alignedFrames: aligned,
      videoScore,
      audioScore,
      score: scores.reduce((a, b) => a + b, 0) / scores.length,
    };
  }
}

function part(hi: number, lo: number, p: number): number {
  return p < 2 ? (hi >>> (16 * (1 - p))) & 0xffff : (lo >>> (16 * (3 - p))) & 0xffff;
}

function toWork(id: string, fp: Fingerprint): Work {
  const v = fp.video!;
  const hi = new Uint32Array(v.hashes.length);
  const lo = new Uint32Array(v.hashes.length);
  v.hashes.forEach((h, i) => {
    hi[i] = parseInt(h.slice(0, 8), 16);
    lo[i] = parseInt(h.slice(8), 16);
  });
  return { id, fp, hi, lo, times: v.timesMs, frameMs: 1000 / fp.extractor.parameters.framesPerSecond };
}

/** Index of the element of an ascending array closest to `t`, or −1 when empty. */
function nearestIndex(sorted: number[], t: number): number {
  if (sorted.length === 0) return -1;
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(sorted[lo - 1]! - t) <= Math.abs(sorted[lo]! - t)) return lo - 1;
  return lo;
}

/**
 * Chromaprint agreement at the video offset, refined by a few items either way (the audio and frame clocks differ
 * slightly after a cut): the best 1 − 2 × bit-error rate over at least 8 overlapping values, or null.
 */
function alignAudio(clip: Fingerprint, work: Fingerprint, offsetMs: number): number | null {
  if (!clip.audio || !work.audio) return null;
  const a = clip.audio.chromaprint;
  const b = work.audio.chromaprint;
  const base = Math.round(offsetMs / work.audio.itemMs);
  let best: number | null = null;
  for (let shift = base - 4; shift <= base + 4; shift++) {
    let errors = 0;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      const j = i + shift;
      if (j < 0 || j >= b.length) continue;
      errors += popcount32((a[i]! ^ b[j]!) >>> 0);
      n++;
    }
    if (n < 8) continue;
    const score = Math.max(0, 1 - (2 * errors) / (32 * n));
    if (best === null || score > best) best = score;
  }
  return best;
}
