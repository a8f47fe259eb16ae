/**
 * Locating a clip inside registered works (issue 16), the pure core: an in-memory index of the works' 64-bit frame
 * hashes searched by multi-index hashing, votes on (work, orientation, time offset), then verification of the best
 * candidates along their alignment (frame Hamming distance, Chromaprint bit-error rate) into aligned time ranges.
 *
 * Multi-index hashing (Norouzi et al.): each hash is cut into four 16-bit parts, each part keyed in its own table.
 * Two hashes within Hamming distance r agree within ⌊r/4⌋ bits on at least one part (pigeonhole), so probing every
 * part's neighbours up to that radius finds all of them while touching only the few frames sharing a part.
 *
 * Speed changes are voted on over a grid of speeds (0.8–1.25 by default). A clip without video is matched through a
 * key index over the top 20 bits of the works' Chromaprint values. Not yet here (see docs/FINGERPRINTS.md):
 * persistence, and the measured behaviour at millions of frames.
 */
import { CrossproofError } from "./errors";
import { hashFromHex, type Fingerprint } from "./fingerprint";

const PARTS = 4;
/** Bits of a Chromaprint value used as its audio index key. */
const AUDIO_KEY_BITS = 20;
/** Audio keys shared by more items than this are not looked up (silence and steady tones repeat one value). */
const AUDIO_STOP_KEY = 4096;

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
  /** Most candidate alignments verified (default 50; those with at least half the best vote count). */
  candidates?: number;
  /** Least fused score (0–1) a match must reach (default 0.5). */
  minScore?: number;
  /** Least number of clip frames agreeing with a candidate alignment (default 3). */
  minFrames?: number;
  /**
   * Playback speeds voted on (work time = offset + speed × clip time). Default {@link DEFAULT_SPEEDS}, 0.8–1.25;
   * pass `[1]` to look for unaltered speed only (fewer false votes, faster).
   */
  speeds?: readonly number[];
}

/** Speeds voted on by default: 0.8 to 1.25 in steps of 0.05 (a clip sped up or slowed down by up to a quarter). */
export const DEFAULT_SPEEDS: readonly number[] = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25];

/** Where a clip sits inside a work. Times in ms; work time = `offsetMs` + `speed` × clip time. */
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
  /**
   * 1 − mean Hamming distance / 32 along the alignment, floored at 0 (unrelated frames average 32 of 64 bits); null
   * for an audio-only match (a clip without video).
   */
  videoScore: number | null;
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

/**
 * An in-memory frame-hash index over registered works' fingerprints. `add` only records the work; the tables are
 * (re)built on the next `match`, in linear time, as compact typed arrays: per 16-bit part an offsets array of 65,537
 * entries and one 32-bit frame number per indexed frame (counting sort), so 10 million frames take about 160 MB of
 * tables plus 16 bytes a frame of hashes and frame numbers.
 */
export class FingerprintIndex {
  readonly radius: number;
  private readonly works: Work[] = [];
  private readonly ids = new Set<string>();
  private frames = 0;
  private audioItems = 0;
  private built = -1;
  /** Audio key index: top {@link AUDIO_KEY_BITS} bits of each Chromaprint value → global audio item numbers. */
  private aOffsets = new Uint32Array(0);
  private aEntries = new Uint32Array(0);
  private aWork = new Uint32Array(0);
  private aItem = new Uint32Array(0);
  private gHi = new Uint32Array(0);
  private gLo = new Uint32Array(0);
  private gWork = new Uint32Array(0);
  private gFrame = new Uint32Array(0);
  private offsets: Uint32Array[] = [];
  private entries: Uint32Array[] = [];
  /** Per frame, the number of the last lookup that saw it (dedupes a frame found through several parts). */
  private stamp = new Uint32Array(0);
  private lookups = 0;

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
    if (fp.video === null && fp.audio === null) {
      throw new CrossproofError("INVALID_ARGUMENT", `work ${workId} has neither video nor audio fingerprint`);
    }
    const w = toWork(workId, fp);
    if (this.frames + w.hi.length >= 2 ** 32 - 1) throw new CrossproofError("INVALID_ARGUMENT", "index is full");
    this.works.push(w);
    this.ids.add(workId);
    this.frames += w.hi.length;
    this.audioItems += fp.audio?.chromaprint.length ?? 0;
  }

  /** Builds the part tables when works were added since the last build. */
  private build(): void {
    if (this.built === this.frames + this.audioItems) return;
    this.buildAudio();
    const n = this.frames;
    this.gHi = new Uint32Array(n);
    this.gLo = new Uint32Array(n);
    this.gWork = new Uint32Array(n);
    this.gFrame = new Uint32Array(n);
    let g = 0;
    this.works.forEach((w, wi) => {
      this.gHi.set(w.hi, g);
      this.gLo.set(w.lo, g);
      this.gWork.fill(wi, g, g + w.hi.length);
      for (let f = 0; f < w.hi.length; f++) this.gFrame[g + f] = f;
      g += w.hi.length;
    });
    this.offsets = [];
    this.entries = [];
    for (let p = 0; p < PARTS; p++) {
      const offsets = new Uint32Array(65537);
      for (let i = 0; i < n; i++) offsets[part(this.gHi[i]!, this.gLo[i]!, p) + 1]!++;
      for (let k = 1; k <= 65536; k++) offsets[k]! += offsets[k - 1]!;
      const cursor = offsets.slice(0, 65536);
      const entries = new Uint32Array(n);
      for (let i = 0; i < n; i++) entries[cursor[part(this.gHi[i]!, this.gLo[i]!, p)]!++] = i;
      this.offsets.push(offsets);
      this.entries.push(entries);
    }
    this.stamp = new Uint32Array(n);
    this.lookups = 0;
    this.built = n + this.audioItems;
  }

  private buildAudio(): void {
    const n = this.audioItems;
    this.aWork = new Uint32Array(n);
    this.aItem = new Uint32Array(n);
    const keys = new Uint32Array(n);
    let g = 0;
    this.works.forEach((w, wi) => {
      for (const [i, value] of (w.fp.audio?.chromaprint ?? []).entries()) {
        this.aWork[g] = wi;
        this.aItem[g] = i;
        keys[g++] = value >>> (32 - AUDIO_KEY_BITS);
      }
    });
    this.aOffsets = new Uint32Array(2 ** AUDIO_KEY_BITS + 1);
    for (let i = 0; i < n; i++) this.aOffsets[keys[i]! + 1]!++;
    for (let k = 1; k < this.aOffsets.length; k++) this.aOffsets[k]! += this.aOffsets[k - 1]!;
    const cursor = this.aOffsets.slice(0, 2 ** AUDIO_KEY_BITS);
    this.aEntries = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.aEntries[cursor[keys[i]!]!++] = i;
  }

  /**
   * Audio-only matching, for a clip without video: each Chromaprint value's top bits are looked up (keys shared by
   * more than {@link AUDIO_STOP_KEY} items — silence, steady tones — are skipped), votes on (work, item offset),
   * then the bit-error rate along each strong alignment. Speed 1 only.
   */
  private matchAudio(clip: Fingerprint, minScore: number, minItems: number, candidates: number): ClipMatch[] {
    const a = clip.audio!.chromaprint;
    const votes = new Map<string, { wi: number; offset: number; count: number }>();
    for (let i = 0; i < a.length; i++) {
      const key = a[i]! >>> (32 - AUDIO_KEY_BITS);
      const start = this.aOffsets[key]!;
      const end = this.aOffsets[key + 1]!;
      if (end - start > AUDIO_STOP_KEY) continue;
      for (let e = start; e < end; e++) {
        const g = this.aEntries[e]!;
        const wi = this.aWork[g]!;
        const offset = this.aItem[g]! - i;
        const k = `${wi}|${offset}`;
        const v = votes.get(k);
        if (v) v.count++;
        else votes.set(k, { wi, offset, count: 1 });
      }
    }
    const best = maxOf(votes.values(), (v) => v.count);
    const ranked = [...votes.values()]
      .filter((v) => v.count >= Math.max(minItems, best / 2))
      .sort((x, y) => y.count - x.count)
      .slice(0, candidates);
    const results: ClipMatch[] = [];
    for (const v of ranked) {
      const w = this.works[v.wi]!;
      const itemMs = w.fp.audio!.itemMs;
      const offsetMs = Math.round(v.offset * itemMs);
      const audioScore = alignAudio(clip, w.fp, offsetMs, 1) ?? 0;
      if (audioScore < minScore) continue;
      const clipStartMs = Math.max(0, -offsetMs);
      const clipEndMs = Math.round(Math.min(a.length, w.fp.audio!.chromaprint.length - v.offset) * itemMs);
      results.push({
        workId: w.id,
        mirrored: false,
        offsetMs,
        speed: 1,
        clipStartMs,
        clipEndMs,
        workStartMs: clipStartMs + offsetMs,
        workEndMs: clipEndMs + offsetMs,
        matchedFrames: 0,
        alignedFrames: 0,
        videoScore: null,
        audioScore,
        score: audioScore,
      });
    }
    return mergeOverlapping(results);
  }

  /** Appends to `out` the indexed frames (global numbers) within the radius of a hash. */
  private near(hi: number, lo: number, out: number[]): void {
    if (++this.lookups === 2 ** 32) {
      this.stamp.fill(0);
      this.lookups = 1;
    }
    const mark = this.lookups;
    const subRadius = Math.floor(this.radius / PARTS);
    for (let p = 0; p < PARTS; p++) {
      const offsets = this.offsets[p]!;
      const entries = this.entries[p]!;
      for (const key of neighbours16(part(hi, lo, p), subRadius)) {
        for (let e = offsets[key]!, end = offsets[key + 1]!; e < end; e++) {
          const g = entries[e]!;
          if (this.stamp[g] === mark) continue;
          this.stamp[g] = mark;
          if (popcount32(this.gHi[g]! ^ hi) + popcount32(this.gLo[g]! ^ lo) <= this.radius) out.push(g);
        }
      }
    }
  }

  /** Every indexed frame within the radius of a 64-bit hash: work, frame number, time and distance. */
  lookup(hash: bigint): { workId: string; frame: number; timeMs: number; distance: number }[] {
    this.build();
    const hi = Number(BigInt.asUintN(64, hash) >> 32n);
    const lo = Number(hash & 0xffffffffn);
    const found: number[] = [];
    this.near(hi, lo, found);
    return found.map((g) => {
      const w = this.works[this.gWork[g]!]!;
      const frame = this.gFrame[g]!;
      const distance = popcount32(this.gHi[g]! ^ hi) + popcount32(this.gLo[g]! ^ lo);
      return { workId: w.id, frame, timeMs: w.times[frame]!, distance };
    });
  }

  /** The works a clip comes from, best first, with the aligned time ranges and scores. */
  match(clip: Fingerprint, options: MatchOptions = {}): ClipMatch[] {
    if (clip.video === null && clip.audio === null) {
      throw new CrossproofError("INVALID_ARGUMENT", "the clip has neither video nor audio fingerprint");
    }
    const candidates = options.candidates ?? 50;
    const speeds = options.speeds ?? DEFAULT_SPEEDS;
    if (speeds.length === 0 || !speeds.every((v) => v >= 0.5 && v <= 2)) {
      throw new CrossproofError("INVALID_ARGUMENT", "speeds must be between 0.5 and 2");
    }
    const minScore = options.minScore ?? 0.5;
    const minFrames = options.minFrames ?? 3;
    this.build();
    if (clip.video === null) return this.matchAudio(clip, minScore, minFrames, candidates);
    const c = toWork("clip", clip);
    const mirroredHashes = clip.video.mirrored.map(hashFromHex);
    // Votes: key "work|mirrored|speed|offset bin" → the offsets of the clip frames voting for it.
    const votes = new Map<string, { wi: number; mirrored: boolean; speed: number; offsets: number[] }>();
    for (let i = 0; i < c.hi.length; i++) {
      const m = mirroredHashes[i]!;
      const probes: [number, number, boolean][] = [
        [c.hi[i]!, c.lo[i]!, false],
        [Number(m >> 32n), Number(m & 0xffffffffn), true],
      ];
      const seen = new Set<string>();
      for (const [hi, lo, mirrored] of probes) {
        const found: number[] = [];
        this.near(hi, lo, found);
        for (const g of found) {
          const wi = this.gWork[g]!;
          const w = this.works[wi]!;
          const binMs = Math.max(w.frameMs, c.frameMs);
          for (const speed of speeds) {
            const offset = w.times[this.gFrame[g]!]! - speed * c.times[i]!;
            const key = `${wi}|${mirrored ? 1 : 0}|${speed}|${Math.round(offset / binMs)}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const v = votes.get(key);
            if (v) v.offsets.push(offset);
            else votes.set(key, { wi, mirrored, speed, offsets: [offset] });
          }
        }
      }
    }
    // Smooth footage votes for many neighbouring (speed, offset) bins almost equally, so every bin with at least
    // half the best vote count is verified (up to `candidates`), ties going to the speed nearest 1.
    const best = maxOf(votes.values(), (v) => v.offsets.length);
    const ranked = [...votes.values()]
      .filter((v) => v.offsets.length >= Math.max(minFrames, best / 2))
      .sort((a, b) => b.offsets.length - a.offsets.length || Math.abs(a.speed - 1) - Math.abs(b.speed - 1))
      .slice(0, candidates);
    const results: ClipMatch[] = [];
    for (const v of ranked) {
      const offsets = [...v.offsets].sort((a, b) => a - b);
      const offset = offsets[Math.floor(offsets.length / 2)]!;
      const m = this.verify(c, mirroredHashes, v.wi, v.mirrored, offset, v.speed);
      if (m.matchedFrames >= minFrames && m.score >= minScore) results.push(m);
    }
    return mergeOverlapping(results);
  }

  private verify(
    c: Work,
    mirroredHashes: bigint[],
    wi: number,
    mirrored: boolean,
    offset: number,
    speed: number,
  ): ClipMatch {
    const w = this.works[wi]!;
    let aligned = 0;
    let matched = 0;
    let distanceSum = 0;
    let first = -1;
    let last = -1;
    for (let i = 0; i < c.hi.length; i++) {
      const t = speed * c.times[i]! + offset;
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
    const audioScore = alignAudio(c.fp, w.fp, offset, speed);
    const scores = audioScore === null ? [videoScore] : [videoScore, audioScore];
    const clipStartMs = first < 0 ? 0 : c.times[first]!;
    const clipEndMs = last < 0 ? 0 : c.times[last]! + c.frameMs;
    return {
      workId: w.id,
      mirrored,
      offsetMs: offset,
      speed,
      clipStartMs,
      clipEndMs,
      workStartMs: Math.round(speed * clipStartMs + offset),
      workEndMs: Math.round(speed * clipEndMs + offset),
      matchedFrames: matched,
      alignedFrames: aligned,
      videoScore,
      audioScore,
      score: scores.reduce((a, b) => a + b, 0) / scores.length,
    };
  }
}

/** The largest `f(x)` over an iterable (0 when empty), without spreading a large array into arguments. */
function maxOf<T>(items: Iterable<T>, f: (x: T) => number): number {
  let best = 0;
  for (const x of items) best = Math.max(best, f(x));
  return best;
}

/** One answer per (work, orientation, overlapping work range): the best scoring. */
function mergeOverlapping(results: ClipMatch[]): ClipMatch[] {
  results.sort((a, b) => b.score - a.score || b.matchedFrames - a.matchedFrames);
  const kept: ClipMatch[] = [];
  for (const r of results) {
    const dup = kept.some(
      (k) =>
        k.workId === r.workId &&
        k.mirrored === r.mirrored &&
        k.workStartMs < r.workEndMs &&
        r.workStartMs < k.workEndMs,
    );
    if (!dup) kept.push(r);
  }
  return kept;
}

function part(hi: number, lo: number, p: number): number {
  return p < 2 ? (hi >>> (16 * (1 - p))) & 0xffff : (lo >>> (16 * (3 - p))) & 0xffff;
}

function toWork(id: string, fp: Fingerprint): Work {
  const hashes = fp.video?.hashes ?? [];
  const hi = new Uint32Array(hashes.length);
  const lo = new Uint32Array(hashes.length);
  hashes.forEach((h, i) => {
    hi[i] = parseInt(h.slice(0, 8), 16);
    lo[i] = parseInt(h.slice(8), 16);
  });
  return { id, fp, hi, lo, times: fp.video?.timesMs ?? [], frameMs: 1000 / fp.extractor.parameters.framesPerSecond };
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
function alignAudio(clip: Fingerprint, work: Fingerprint, offsetMs: number, speed: number): number | null {
  if (!clip.audio || !work.audio) return null;
  const a = clip.audio.chromaprint;
  const b = work.audio.chromaprint;
  const base = Math.round(offsetMs / work.audio.itemMs);
  let best: number | null = null;
  for (let shift = base - 4; shift <= base + 4; shift++) {
    let errors = 0;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      const j = Math.round(i * speed) + shift;
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
