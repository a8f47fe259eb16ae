/**
 * Locating a clip inside registered works (issue 16), the pure core: an index of the works' 64-bit frame hashes
 * searched by multi-index hashing and a key index over their Chromaprint values; votes on (work, orientation, speed,
 * time offset) from both; verification of the best candidates along their alignment (frame Hamming distance,
 * Chromaprint bit-error rate) into aligned time segments, each saying which tracks (picture, sound) matched.
 *
 * Multi-index hashing (Norouzi et al.): each hash is cut into three parts (22, 21, 21 bits), each keyed in its own
 * table. Two hashes within Hamming distance r agree within ⌊r/3⌋ bits on at least one part (pigeonhole), so probing
 * every part's neighbours up to that radius finds all of them while touching only the frames sharing a part. Long
 * parts keep buckets small at scale (10 million frames: ~3 frames per 22-bit key). The tables keep a copy of each
 * hash in bucket order, so a probe reads memory sequentially. `lookup` probes exhaustively; `match` probes each part
 * within `probeRadius` bits (default 2), which finds every frame within 8 bits and most within 9–10, and needs only a
 * few frames of a clip to hit: the alignment's verification then reads every frame.
 *
 * Persistence (`columns`/`fromColumns`) is the pure half; `fingerprint-store.ts` writes and checks the file.
 */
import { CrossproofError } from "./errors";
import { FRAME_VIEWS, type Fingerprint } from "./fingerprint";

/** Each 64-bit hash is cut into three parts of 22, 21 and 21 bits, each keying its own table. */
const PARTS = 3;
const PART_BITS = [22, 21, 21] as const;
/** Bits of a Chromaprint value used as its audio index key. */
const AUDIO_KEY_BITS = 20;
/** Audio keys shared by more items than this are not looked up (silence and steady tones repeat one value). */
const AUDIO_STOP_KEY = 4096;
/** Chromaprint items per window when finding where along an alignment the sound agrees (≈ 2 s). */
const AUDIO_WINDOW = 16;
/** Mean bit errors per item (of 32) at or under which a window counts as agreeing (bit-error rate 0.35). */
const AUDIO_WINDOW_ERRORS = 0.35 * 32;
/** Chromaprint items past an item's start that its window still covers (see {@link audioRun}). */
const AUDIO_WINDOW_REACH = 19;
/** Unmatched frames tolerated inside a run of matched ones. */
const VIDEO_GAP = 2;
/** Bits beyond the radius at which a frame still extends a run (the segment's score decides, not each frame). */
const RUN_SLACK = 4;
/** Aligned frames over which the picture's mean distance alone can confirm it (when the sound found the alignment). */
const VIDEO_MIN_ALIGNED = 8;
/** Distinct Chromaprint values a clip's sound needs along a segment to count as evidence (silence has one). */
const AUDIO_MIN_DISTINCT = 8;

/** Popcount of a 32-bit value. */
/**
 * A frame hash with fewer bits set than this is a featureless frame (black, a flat colour): the hash sets the
 * coefficients above their median, which is 32 of 64 bits for any frame with structure; only ties — every AC
 * coefficient equal, as in a flat frame — set fewer. Two flat frames have equal hashes whatever they show, so such
 * frames neither vote nor count along an alignment (the way real footage's black frames and fades must not).
 */
const FEATURELESS_BITS = 16;

function featureless(hi: number, lo: number): boolean {
  return popcount32(hi) + popcount32(lo) < FEATURELESS_BITS;
}

/** Mean Hamming distance at or below which an alignment's pictures are worth verifying in full (see `match`). */
const PROMISING_BITS = 20;

function meanDistance(p: Pairs): number {
  return p.dist.length === 0 ? Infinity : p.dist.reduce((a, b) => a + b, 0) / p.dist.length;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const MASKS = new Map<number, Uint32Array>();

/** Every `bits`-bit mask of at most `radius` set bits (0 first): XOR-ed with a key, its neighbours. Cached. */
function masks(bits: number, radius: number): Uint32Array {
  const id = bits * 64 + radius;
  let out = MASKS.get(id);
  if (!out) {
    const list = [0];
    const rec = (value: number, start: number, left: number): void => {
      for (let bit = start; bit < bits; bit++) {
        const next = value | (1 << bit);
        list.push(next);
        if (left > 1) rec(next, bit + 1, left - 1);
      }
    };
    if (radius > 0) rec(0, 0, radius);
    out = Uint32Array.from(list);
    MASKS.set(id, out);
  }
  return out;
}

export interface IndexOptions {
  /** Largest Hamming distance at which two frame hashes count as the same picture (default 10, at most 15). */
  radius?: number;
}

export interface MatchOptions {
  /** Most candidate alignments verified (default 100), by vote count. */
  candidates?: number;
  /** Least video score (0–1) for the picture to count as matching (default 0.5). */
  minScore?: number;
  /** Least audio score (0–1) for the sound to count as matching (default 0.5). */
  minAudioScore?: number;
  /** Least number of clip frames within the radius of their aligned work frames for the picture to match (default 4). */
  minFrames?: number;
  /**
   * Least number of aligned Chromaprint items (≈ 124 ms each) for the sound to match (default 16, ≈ 2 s; a clip loses
   * its first ≈ 2.5 s to Chromaprint's window, so a 5-s clip has about 19).
   */
  minAudioItems?: number;
  /**
   * Playback speeds voted on (work time = offset + speed × clip time). Default {@link DEFAULT_SPEEDS}, 0.8–1.25;
   * pass `[1]` to look for unaltered speed only (fewer false votes, faster).
   */
  speeds?: readonly number[];
  /**
   * Bits per part probed around each clip hash (0–4, default 2; at most ⌊radius/3⌋ + 1): 2 finds every frame within
   * 8 bits, 3 every frame within 11 (all within the default radius) for ~7× the bucket reads.
   */
  probeRadius?: number;
  /** Most clip frames probed for candidates, evenly spaced (default 48); verification reads every frame. */
  probeFrames?: number;
  /** Look for candidates through the sound too (default true when the clip has audio). */
  audioCandidates?: boolean;
}

/** Speeds voted on by default: 0.8 to 1.25 in steps of 0.05 (a clip sped up or slowed down by up to a quarter). */
export const DEFAULT_SPEEDS: readonly number[] = [0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25];

/** Which of a clip's tracks agree with a work along a segment. */
export type MatchTrack = "video" | "audio";

/** One aligned part of a clip inside a work. Times in ms; work time = `offsetMs` + `speed` × clip time. */
export interface ClipSegment {
  /** The clip is the work flipped horizontally (false for a sound-only segment). */
  mirrored: boolean;
  offsetMs: number;
  speed: number;
  clipStartMs: number;
  clipEndMs: number;
  workStartMs: number;
  workEndMs: number;
  /** Clip frames within the radius of their aligned work frame, of those aligned, inside the segment. */
  matchedFrames: number;
  alignedFrames: number;
  /**
   * 1 − mean Hamming distance / 32 over the segment's aligned frames, floored at 0 (unrelated frames average 32 of
   * 64 bits); null when the clip or the work has no video.
   */
  videoScore: number | null;
  /** 1 − 2 × Chromaprint bit-error rate over the segment, floored at 0; null when either side has no audio. */
  audioScore: number | null;
  /** Mean of the available scores (a clip whose sound was replaced scores about half its video score). */
  score: number;
  /**
   * The tracks that match on their own: `video` when at least `minFrames` frames lie within the radius and the video
   * score reaches `minScore`; `audio` when at least `minAudioItems` varied items align with an audio score of at
   * least `minAudioScore`. `["audio"]` alone means the work's sound is used over other pictures.
   */
  tracks: MatchTrack[];
}

/**
 * Where a clip sits inside one work: the best segment's fields at the top level, and every disjoint segment of the
 * same work (a clip assembled from distant parts of it) in `segments`, in clip order.
 */
export interface ClipMatch extends ClipSegment {
  workId: string;
  segments: ClipSegment[];
}

/** A work as the index holds it: frame and audio ranges in the global columns. */
interface WorkEntry {
  id: string;
  frameStart: number;
  frames: number;
  frameMs: number;
  audioStart: number;
  audioItems: number;
  itemMs: number;
}

/** A work's fingerprint as columns: what {@link FingerprintIndex.addColumns} takes (no hex parsing). */
export interface WorkColumns {
  /** High and low 32 bits of each frame hash, and its time in ms (non-decreasing). */
  hi: Uint32Array;
  lo: Uint32Array;
  timesMs: Uint32Array;
  /** Time between hashed frames (1000 / frames per second). */
  frameMs: number;
  /** Raw Chromaprint values, or null. */
  audio: Uint32Array | null;
  itemMs: number;
  /** The frames' partial views, in {@link FRAME_VIEWS} order (absent: the work is matched on whole frames only). */
  views?: { hi: Uint32Array; lo: Uint32Array }[];
}

/** Everything an index holds, as flat typed arrays: what `fingerprint-store.ts` writes to disk. */
export interface IndexColumns {
  radius: number;
  works: { id: string; frames: number; frameMs: number; audioItems: number; itemMs: number }[];
  hi: Uint32Array;
  lo: Uint32Array;
  timesMs: Uint32Array;
  audio: Uint32Array;
  /** The partial views' hashes, in {@link FRAME_VIEWS} order, parallel to `hi`/`lo` (absent: none stored). */
  views?: { hi: Uint32Array; lo: Uint32Array }[];
}

/** A growable Uint32Array. */
class U32 {
  data = new Uint32Array(1024);
  length = 0;
  append(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      let cap = this.data.length;
      while (cap < this.length + values.length) cap *= 2;
      const next = new Uint32Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Frames compared along an alignment, in clip time order. */
interface Pairs {
  times: number[];
  /** Hamming distance of each pair. */
  dist: number[];
  /** Clip time one pair stands for. */
  stepMs: number;
}

/** A clip as the matcher reads it. */
interface Clip {
  /** The media's duration (0 when unknown). */
  durationMs: number;
  hi: Uint32Array;
  lo: Uint32Array;
  mhi: Uint32Array;
  mlo: Uint32Array;
  times: number[];
  /** The same times, typed (for the nearest-frame search). */
  timesArray: Uint32Array;
  frameMs: number;
  audio: Uint32Array | null;
  itemMs: number;
  /** The partial views, in {@link FRAME_VIEWS} order, or null (a version-1 fingerprint). */
  views: { hi: Uint32Array; lo: Uint32Array; mhi: Uint32Array; mlo: Uint32Array }[] | null;
}

interface Candidate {
  wi: number;
  /** null: audio-led, both orientations are verified. */
  mirrored: boolean | null;
  speed: number;
  offsets: number[];
}

/**
 * A frame-hash and audio-key index over registered works' fingerprints. `add` only records the work; the tables are
 * (re)built on the next `match` or `lookup`, in linear time, as compact typed arrays: per part an offsets array of
 * 2^bits + 1 entries (32 MB for the three), and per indexed frame its number and a copy of its hash in bucket order
 * (12 bytes a part), so 10 million frames take about 390 MB of tables plus 12 bytes a frame of hashes and times.
 */
export class FingerprintIndex {
  readonly radius: number;
  private readonly works: WorkEntry[] = [];
  private readonly ids = new Set<string>();
  private readonly hi = new U32();
  private readonly lo = new U32();
  private readonly times = new U32();
  private readonly audio = new U32();
  /** The frames' partial views ({@link FRAME_VIEWS}), parallel to `hi`/`lo`. */
  private readonly views = FRAME_VIEWS.map(() => ({ hi: new U32(), lo: new U32() }));
  /** First global frame number of each work, ascending (for finding a frame's work by binary search). */
  private frameStarts = new Uint32Array(0);
  private audioStarts = new Uint32Array(0);
  private built = -1;
  /** The longest frame interval of any indexed work (500 ms at 2 frames a second). */
  private widestFrameMs = 0;
  private offsets: Uint32Array[] = [];
  private entries: Uint32Array[] = [];
  private entryHi: Uint32Array[] = [];
  private entryLo: Uint32Array[] = [];
  private aOffsets = new Uint32Array(0);
  private aEntries = new Uint32Array(0);

  constructor(options: IndexOptions = {}) {
    this.radius = options.radius ?? 10;
    if (!Number.isInteger(this.radius) || this.radius < 0 || this.radius > 15) {
      throw new CrossproofError("INVALID_ARGUMENT", "radius must be an integer 0–15");
    }
  }

  /** Number of frame hashes indexed. */
  get size(): number {
    return this.hi.length;
  }

  /** Number of works indexed. */
  get workCount(): number {
    return this.works.length;
  }

  /** Indexes a work's fingerprint under `workId` (once per id). */
  add(workId: string, fp: Fingerprint): void {
    if (fp.video === null && fp.audio === null) {
      throw new CrossproofError("INVALID_ARGUMENT", `work ${workId} has neither video nor audio fingerprint`);
    }
    const c = clipOf(fp);
    this.addColumns(workId, {
      hi: c.hi,
      lo: c.lo,
      timesMs: Uint32Array.from(c.times),
      frameMs: c.frameMs,
      audio: c.audio,
      itemMs: c.itemMs,
      ...(c.views ? { views: c.views.map(({ hi, lo }) => ({ hi, lo })) } : {}),
    });
  }

  /** Indexes a work given as columns (a decoded fingerprint file, or synthetic hashes for a measurement). */
  addColumns(workId: string, w: WorkColumns): void {
    if (this.ids.has(workId)) throw new CrossproofError("INVALID_ARGUMENT", `work ${workId} is already indexed`);
    if (w.hi.length !== w.lo.length || w.hi.length !== w.timesMs.length) {
      throw new CrossproofError("INVALID_ARGUMENT", `work ${workId}: one hash and one time per frame`);
    }
    if (
      w.views !== undefined &&
      (w.views.length !== FRAME_VIEWS.length ||
        !w.views.every((v) => v.hi.length === w.hi.length && v.lo.length === w.hi.length))
    ) {
      throw new CrossproofError("INVALID_ARGUMENT", `work ${workId}: one hash per frame for each of the views`);
    }
    if (!(w.frameMs > 0) || !(w.itemMs > 0)) {
      throw new CrossproofError("INVALID_ARGUMENT", `work ${workId}: frameMs and itemMs must be positive`);
    }
    for (let i = 1; i < w.timesMs.length; i++) {
      if (w.timesMs[i]! < w.timesMs[i - 1]!) {
        throw new CrossproofError("INVALID_ARGUMENT", `work ${workId}: frame times must not decrease`);
      }
    }
    const audioItems = w.audio?.length ?? 0;
    if (
      this.size + w.hi.length >= 2 ** 32 - 1 ||
      this.audio.length + audioItems >= 2 ** 32 - 1 ||
      this.works.length >= 2 ** 22
    ) {
      throw new CrossproofError("INVALID_ARGUMENT", "index is full");
    }
    this.works.push({
      id: workId,
      frameStart: this.size,
      frames: w.hi.length,
      frameMs: w.frameMs,
      audioStart: this.audio.length,
      audioItems,
      itemMs: w.itemMs,
    });
    this.ids.add(workId);
    this.hi.append(w.hi);
    this.lo.append(w.lo);
    this.times.append(w.timesMs);
    // A work without views (extractor version 1) gets flat ones: featureless, they never match.
    const none = new Uint32Array(w.hi.length);
    this.views.forEach((v, k) => {
      v.hi.append(w.views?.[k]?.hi ?? none);
      v.lo.append(w.views?.[k]?.lo ?? none);
    });
    if (w.audio) this.audio.append(w.audio);
  }

  /** The index's content as flat columns (views, not copies: do not modify). */
  columns(): IndexColumns {
    return {
      radius: this.radius,
      works: this.works.map((w) => ({
        id: w.id,
        frames: w.frames,
        frameMs: w.frameMs,
        audioItems: w.audioItems,
        itemMs: w.itemMs,
      })),
      hi: this.hi.view(),
      lo: this.lo.view(),
      timesMs: this.times.view(),
      audio: this.audio.view(),
      views: this.views.map((v) => ({ hi: v.hi.view(), lo: v.lo.view() })),
    };
  }

  /** Rebuilds an index from {@link columns} (checked: counts, times); the tables are built at once. */
  static fromColumns(c: IndexColumns): FingerprintIndex {
    const index = FingerprintIndex.copyColumns(c, () => true);
    index.build();
    return index;
  }

  /**
   * A new index holding this one's works except `workIds`, from its columns (no fingerprint parsed; views kept); its
   * tables are built on its first match.
   */
  without(workIds: ReadonlySet<string>): FingerprintIndex {
    return FingerprintIndex.copyColumns(this.columns(), (id) => !workIds.has(id));
  }

  /** The works of `c` that `keep` accepts, added to a new index (counts and column lengths checked). */
  private static copyColumns(c: IndexColumns, keep: (workId: string) => boolean): FingerprintIndex {
    const index = new FingerprintIndex({ radius: c.radius });
    let f = 0;
    let a = 0;
    for (const w of c.works) {
      if (!Number.isSafeInteger(w.frames) || !Number.isSafeInteger(w.audioItems) || w.frames < 0 || w.audioItems < 0) {
        throw new CrossproofError("INVALID_ARGUMENT", `work ${w.id}: bad counts`);
      }
      if (f + w.frames > c.hi.length || a + w.audioItems > c.audio.length) {
        throw new CrossproofError("INVALID_ARGUMENT", `work ${w.id}: counts exceed the columns`);
      }
      if (keep(w.id)) {
        const frames = (x: Uint32Array): Uint32Array => x.subarray(f, f + w.frames);
        index.addColumns(w.id, {
          hi: frames(c.hi),
          lo: frames(c.lo),
          timesMs: frames(c.timesMs),
          frameMs: w.frameMs,
          audio: w.audioItems > 0 ? c.audio.subarray(a, a + w.audioItems) : null,
          itemMs: w.itemMs,
          ...(c.views ? { views: c.views.map((v) => ({ hi: frames(v.hi), lo: frames(v.lo) })) } : {}),
        });
      }
      f += w.frames;
      a += w.audioItems;
    }
    if (
      c.views &&
      (c.views.length !== FRAME_VIEWS.length || !c.views.every((v) => v.hi.length === f && v.lo.length === f))
    ) {
      throw new CrossproofError("INVALID_ARGUMENT", "the views' columns do not hold one hash per frame");
    }
    if (f !== c.hi.length || f !== c.lo.length || f !== c.timesMs.length || a !== c.audio.length) {
      throw new CrossproofError("INVALID_ARGUMENT", "the columns hold more than the works list");
    }
    return index;
  }

  /** Builds the part tables when works were added since the last build. */
  build(): void {
    if (this.built === this.works.length) return;
    this.frameStarts = Uint32Array.from(this.works, (w) => w.frameStart);
    this.audioStarts = Uint32Array.from(this.works, (w) => w.audioStart);
    this.widestFrameMs = this.works.reduce((m, w) => (w.frames > 0 ? Math.max(m, w.frameMs) : m), 0);
    this.buildAudio();
    const hi = this.hi.view();
    const lo = this.lo.view();
    const n = hi.length;
    this.offsets = [];
    this.entries = [];
    this.entryHi = [];
    this.entryLo = [];
    const keys = new Uint32Array(n);
    for (let p = 0; p < PARTS; p++) {
      const buckets = 2 ** PART_BITS[p]!;
      for (let i = 0; i < n; i++) keys[i] = part(hi[i]!, lo[i]!, p);
      const offsets = new Uint32Array(buckets + 1);
      for (let i = 0; i < n; i++) offsets[keys[i]! + 1]!++;
      for (let k = 1; k <= buckets; k++) offsets[k]! += offsets[k - 1]!;
      const cursor = offsets.slice(0, buckets);
      const entries = new Uint32Array(n);
      const eHi = new Uint32Array(n);
      const eLo = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const at = cursor[keys[i]!]!++;
        entries[at] = i;
        eHi[at] = hi[i]!;
        eLo[at] = lo[i]!;
      }
      this.offsets.push(offsets);
      this.entries.push(entries);
      this.entryHi.push(eHi);
      this.entryLo.push(eLo);
    }
    this.built = this.works.length;
  }

  private buildAudio(): void {
    const values = this.audio.view();
    const n = values.length;
    this.aOffsets = new Uint32Array(2 ** AUDIO_KEY_BITS + 1);
    for (let i = 0; i < n; i++) this.aOffsets[(values[i]! >>> (32 - AUDIO_KEY_BITS)) + 1]!++;
    for (let k = 1; k < this.aOffsets.length; k++) this.aOffsets[k]! += this.aOffsets[k - 1]!;
    const cursor = this.aOffsets.slice(0, 2 ** AUDIO_KEY_BITS);
    this.aEntries = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.aEntries[cursor[values[i]! >>> (32 - AUDIO_KEY_BITS)]!++] = i;
  }

  /** Appends to `out` the indexed frames (global numbers) within the radius of a hash, probing `sub` bits per part. */
  private near(hi: number, lo: number, sub: number, out: number[]): void {
    const start = out.length;
    for (let p = 0; p < PARTS; p++) {
      const offsets = this.offsets[p]!;
      const entries = this.entries[p]!;
      const eHi = this.entryHi[p]!;
      const eLo = this.entryLo[p]!;
      const around = masks(PART_BITS[p]!, sub);
      const centre = part(hi, lo, p);
      for (let m = 0; m < around.length; m++) {
        const key = centre ^ around[m]!;
        for (let e = offsets[key]!, end = offsets[key + 1]!; e < end; e++) {
          if (popcount32(eHi[e]! ^ hi) + popcount32(eLo[e]! ^ lo) <= this.radius) {
            const g = entries[e]!;
            // A frame close enough is usually found through several parts: keep it once.
            let dup = false;
            for (let k = start; k < out.length && !dup; k++) dup = out[k] === g;
            if (!dup) out.push(g);
          }
        }
      }
    }
  }

  private workOfFrame(g: number): number {
    return upperBound(this.frameStarts, g) - 1;
  }

  private workOfItem(g: number): number {
    return upperBound(this.audioStarts, g) - 1;
  }

  /** Every indexed frame within the radius of a 64-bit hash: work, frame number, time and distance. */
  lookup(hash: bigint): { workId: string; frame: number; timeMs: number; distance: number }[] {
    this.build();
    const hi = Number(BigInt.asUintN(64, hash) >> 32n);
    const lo = Number(hash & 0xffffffffn);
    const found: number[] = [];
    this.near(hi, lo, Math.floor(this.radius / PARTS), found);
    const gHi = this.hi.view();
    const gLo = this.lo.view();
    return found.map((g) => {
      const w = this.works[this.workOfFrame(g)]!;
      const distance = popcount32(gHi[g]! ^ hi) + popcount32(gLo[g]! ^ lo);
      return { workId: w.id, frame: g - w.frameStart, timeMs: this.times.data[g]!, distance };
    });
  }

  /**
   * The works a clip comes from, best first: per work its aligned segments and which tracks match along each.
   *
   * Candidates come from the picture (frame hashes and their mirror images, voting on work, orientation, speed and
   * offset) and from the sound (Chromaprint keys, voting on work, speed and offset), so a clip whose sound was
   * replaced is found by its picture and a work's sound over other pictures is found by its sound; each segment's
   * `tracks` says which. Pitch-shifted sound is not recognised (its Chromaprint values change); its picture is.
   */
  match(clipFp: Fingerprint, options: MatchOptions = {}): ClipMatch[] {
    if (clipFp.video === null && clipFp.audio === null) {
      throw new CrossproofError("INVALID_ARGUMENT", "the clip has neither video nor audio fingerprint");
    }
    const o = resolveOptions(options, this.radius);
    this.build();
    const clip = clipOf(clipFp);
    const ranked = [...this.videoCandidates(clip, o), ...this.audioCandidates(clip, o)].sort(
      (a, b) => b.offsets.length - a.offsets.length || Math.abs(a.speed - 1) - Math.abs(b.speed - 1),
    );
    // One alignment votes into neighbouring offset bins, and the sound and the picture vote for the same one:
    // verify each (work, speed, offset within a second) once, the orientation from the picture when it voted.
    const chosen: { c: Candidate; offset: number }[] = [];
    for (const c of ranked) {
      if (chosen.length >= o.candidates) break;
      const sorted = [...c.offsets].sort((a, b) => a - b);
      const offset = sorted[Math.floor(sorted.length / 2)]!;
      const dup = chosen.some(
        (k) =>
          k.c.wi === c.wi &&
          k.c.speed === c.speed &&
          (k.c.mirrored === c.mirrored || c.mirrored === null) &&
          Math.abs(k.offset - offset) <= 1000,
      );
      if (!dup) chosen.push({ c, offset });
    }
    const segments: { wi: number; s: ClipSegment }[] = [];
    for (const { c, offset } of chosen) {
      const orientations = c.mirrored === null ? [false, true] : [c.mirrored];
      let best: ClipSegment[] = [];
      // The vote gives the offset to within a bin; a clip denser than the work is aligned to its nearest frame.
      const w = this.works[c.wi]!;
      const fine = clip.frameMs * c.speed < w.frameMs ? clip.frameMs * c.speed : 0;
      const reach = fine > 0 ? Math.ceil(w.frameMs / 2 / fine) : 0;
      const views = clip.hi.length === 0 ? [] : clip.views ? [0, 1, 2, 3] : [0, 3];
      // A cheap look first: do the pictures agree at all (mean distance ≤ PROMISING_BITS in some view and
      // orientation at the voted offset)? Unrelated pictures sit ~32 bits apart on average; those candidates are
      // verified once, for their sound, without the refinement and the views.
      const promising = orientations.some((m) =>
        views.some((v) => meanDistance(this.pairFrames(clip, w, m, offset, c.speed, v)) <= PROMISING_BITS),
      );
      if (!promising) {
        for (const mirrored of orientations) {
          const found = this.verify(clip, c.wi, mirrored, offset, c.speed, o);
          if (rank(found) > rank(best)) best = found;
        }
        for (const s of best) segments.push({ wi: c.wi, s });
        continue;
      }
      let at: { mirrored: boolean; offset: number } | null = null;
      for (const mirrored of orientations) {
        for (let k = -reach; k <= reach; k++) {
          const found = this.verify(clip, c.wi, mirrored, offset + k * fine, c.speed, o);
          if (rank(found) > rank(best)) {
            best = found;
            at = { mirrored, offset: offset + k * fine };
          }
        }
      }
      // Along the alignment found, the partial views (an overlay masked, a crop undone): the best one view counts.
      // Where the whole frames agreed nowhere (an overlay can move every frame beyond the radius), every alignment
      // tried above is tried with the views.
      if (clip.hi.length > 0) {
        const tried = at
          ? [at]
          : orientations.flatMap((mirrored) =>
              Array.from({ length: 2 * reach + 1 }, (_, k) => ({ mirrored, offset: offset + (k - reach) * fine })),
            );
        for (const t of tried) {
          for (const v of views.slice(1)) {
            const found = this.verify(clip, c.wi, t.mirrored, t.offset, c.speed, o, v);
            if (rank(found) > rank(best)) best = found;
          }
        }
      }
      for (const s of best) segments.push({ wi: c.wi, s });
    }
    return this.group(segments);
  }

  /** Video votes: key "work|mirrored|speed|offset bin" → offsets of the clip frames voting for it. */
  private videoCandidates(clip: Clip, o: Required<MatchOptions>): Candidate[] {
    const n = clip.hi.length;
    if (n === 0 || this.size === 0) return [];
    const votes = new Map<number, Candidate>();
    // Probes go in runs of consecutive clip frames spanning one work frame interval: a clip hashed more densely than
    // the works has, in each such run, the frame nearest a work frame's time (evenly spaced single probes could keep
    // missing that phase — a step of 5/3 frames at 10 against 2 frames a second never lands on it).
    const run = Math.min(8, Math.max(1, Math.round(this.widestFrameMs / clip.frameMs)));
    const step = Math.max(run, (n * run) / o.probeFrames);
    const probes: number[] = [];
    for (let x = 0; x < n; x += step)
      for (let j = 0; j < run && Math.floor(x) + j < n; j++) probes.push(Math.floor(x) + j);
    const found: number[] = [];
    const times = this.times.data;
    for (const i of probes) {
      if (featureless(clip.hi[i]!, clip.lo[i]!)) continue;
      const seen = new Set<number>();
      for (const mirrored of [false, true]) {
        found.length = 0;
        this.near(mirrored ? clip.mhi[i]! : clip.hi[i]!, mirrored ? clip.mlo[i]! : clip.lo[i]!, o.probeRadius, found);
        for (const g of found) {
          const wi = this.workOfFrame(g);
          const binMs = Math.max(this.works[wi]!.frameMs, clip.frameMs);
          for (let si = 0; si < o.speeds.length; si++) {
            const speed = o.speeds[si]!;
            const offset = times[g]! - speed * clip.times[i]!;
            const key = voteKey(wi, si, mirrored ? 1 : 0, Math.round(offset / binMs));
            if (seen.has(key)) continue;
            seen.add(key);
            const v = votes.get(key);
            if (v) v.offsets.push(offset);
            else votes.set(key, { wi, mirrored, speed, offsets: [offset] });
          }
        }
      }
    }
    return [...votes.values()].filter((v) => v.offsets.length >= 2);
  }

  /** Audio votes: each clip value's key looked up, votes on (work, speed, offset in items, binned by 2). */
  private audioCandidates(clip: Clip, o: Required<MatchOptions>): Candidate[] {
    const a = clip.audio;
    if (!a || !o.audioCandidates || this.audio.length === 0) return [];
    const votes = new Map<number, Candidate>();
    const step = Math.max(1, a.length / 256);
    for (let x = 0; x < a.length; x += step) {
      const i = Math.floor(x);
      const key = a[i]! >>> (32 - AUDIO_KEY_BITS);
      const start = this.aOffsets[key]!;
      const end = this.aOffsets[key + 1]!;
      if (end - start > AUDIO_STOP_KEY) continue;
      const seen = new Set<number>();
      for (let e = start; e < end; e++) {
        const g = this.aEntries[e]!;
        const wi = this.workOfItem(g);
        const w = this.works[wi]!;
        const j = g - w.audioStart;
        for (let si = 0; si < o.speeds.length; si++) {
          const speed = o.speeds[si]!;
          const offset = j - speed * i;
          const k = voteKey(wi, si, 0, Math.round(offset / 2));
          if (seen.has(k)) continue;
          seen.add(k);
          const v = votes.get(k);
          if (v) v.offsets.push(offset * w.itemMs);
          else votes.set(k, { wi, mirrored: null, speed, offsets: [offset * w.itemMs] });
        }
      }
    }
    return [...votes.values()].filter((v) => v.offsets.length >= 3);
  }

  /** The segments along one alignment where the picture or the sound agrees, with their scores and tracks. */
  private verify(
    clip: Clip,
    wi: number,
    mirrored: boolean,
    offset: number,
    speed: number,
    o: Required<MatchOptions>,
    view = 0,
  ): ClipSegment[] {
    const w = this.works[wi]!;
    const pairs = this.pairFrames(clip, w, mirrored, offset, speed, view);
    const audio = this.alignAudio(clip, w, offset, speed);
    // Runs of agreement in clip time, from the picture and from the sound, merged where they overlap.
    const runs: [number, number][] = [];
    // A pair stands for the clip time up to the next pair; the last one not beyond the clip's last frame.
    const clipEnd = clip.times.length > 0 ? clip.times[clip.times.length - 1]! + clip.frameMs : 0;
    const endOf = (k: number): number => Math.min(pairs.times[k]! + pairs.stepMs, Math.max(clipEnd, pairs.times[k]!));
    let first = -1;
    let last = -1;
    for (let k = 0; k <= pairs.dist.length; k++) {
      const ok = k < pairs.dist.length && pairs.dist[k]! <= this.radius + RUN_SLACK;
      if (ok && first >= 0 && k - last <= VIDEO_GAP + 1) last = k;
      else if (ok) {
        if (first >= 0) runs.push([pairs.times[first]!, endOf(last)]);
        first = last = k;
      }
    }
    if (first >= 0) runs.push([pairs.times[first]!, endOf(last)]);
    if (audio) {
      const { errors, from } = audio;
      let sum = 0;
      let runStart = -1;
      let runEnd = -1;
      for (let i = 0; i + AUDIO_WINDOW <= errors.length; i++) {
        if (i === 0) for (let k = 0; k < AUDIO_WINDOW; k++) sum += errors[k]!;
        else sum += errors[i + AUDIO_WINDOW - 1]! - errors[i - 1]!;
        if (sum / AUDIO_WINDOW <= AUDIO_WINDOW_ERRORS) {
          if (runStart >= 0 && i <= runEnd) runEnd = i + AUDIO_WINDOW;
          else {
            if (runStart >= 0) runs.push(audioRun(clip, from + runStart, from + runEnd));
            runStart = i;
            runEnd = i + AUDIO_WINDOW;
          }
        }
      }
      if (runStart >= 0) runs.push(audioRun(clip, from + runStart, from + runEnd));
    }
    runs.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const r of runs) {
      const prev = merged[merged.length - 1];
      if (prev && r[0] <= prev[1] + 1000) prev[1] = Math.max(prev[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    const out: ClipSegment[] = [];
    for (const [s, e] of merged) {
      let aligned = 0;
      let matched = 0;
      let distanceSum = 0;
      for (let k = 0; k < pairs.dist.length; k++) {
        if (pairs.times[k]! < s || pairs.times[k]! >= e) continue;
        aligned++;
        distanceSum += pairs.dist[k]!;
        if (pairs.dist[k]! <= this.radius) matched++;
      }
      const videoScore = clip.hi.length > 0 && w.frames > 0 ? Math.max(0, 1 - distanceSum / (aligned || 1) / 32) : null;
      let audioScore: number | null = null;
      let audioOk = false;
      if (audio) {
        let errors = 0;
        let n = 0;
        const distinct = new Set<number>();
        for (let k = 0; k < audio.errors.length; k++) {
          const t = (audio.from + k) * clip.itemMs;
          if (t < s || t >= e) continue;
          errors += audio.errors[k]!;
          n++;
          if (distinct.size < AUDIO_MIN_DISTINCT) distinct.add(clip.audio![audio.from + k]!);
        }
        if (n >= 8) {
          audioScore = Math.max(0, 1 - (2 * errors) / (32 * n));
          audioOk = n >= o.minAudioItems && audioScore >= o.minAudioScore && distinct.size >= AUDIO_MIN_DISTINCT;
        }
      }
      const tracks: MatchTrack[] = [];
      if (videoScore !== null && videoScore >= o.minScore && (matched >= o.minFrames || aligned >= VIDEO_MIN_ALIGNED)) {
        tracks.push("video");
      }
      if (audioOk) tracks.push("audio");
      if (tracks.length === 0) continue;
      const scores = [videoScore, audioScore].filter((x): x is number => x !== null);
      out.push({
        mirrored: tracks.includes("video") ? mirrored : false,
        offsetMs: Math.round(offset),
        speed,
        clipStartMs: Math.round(s),
        clipEndMs: Math.round(e),
        workStartMs: Math.round(speed * s + offset),
        workEndMs: Math.round(speed * e + offset),
        matchedFrames: matched,
        alignedFrames: aligned,
        videoScore,
        audioScore,
        score: scores.reduce((x, y) => x + y, 0) / scores.length,
        tracks,
      });
    }
    return out;
  }

  /**
   * The frames compared along an alignment (work time = offset + speed × clip time): each frame of the sparser side
   * with the nearest frame of the denser side. A clip fingerprinted more densely than the works (a clip at 10 frames a
   * second against works at 2, {@link CLIP_FRAMES_PER_SECOND}) then meets every work frame within half its own frame
   * interval, whatever the phase at which it was cut; with both at the same rate a work frame can lie a quarter of a
   * second from the clip frame it is compared with, and moving pictures differ by many bits over that time.
   * Returns the pairs in clip time order: their clip times, Hamming distances and the clip time one pair stands for.
   */
  private pairFrames(clip: Clip, w: WorkEntry, mirrored: boolean, offset: number, speed: number, view: number): Pairs {
    const times: number[] = [];
    const dist: number[] = [];
    const n = clip.hi.length;
    if (w.frames === 0 || n === 0) return { times, dist, stepMs: clip.frameMs };
    const wTimes = this.times.data.subarray(w.frameStart, w.frameStart + w.frames);
    // View 0: whole frames; 1, 2: the clip's masked view against the work's same view; 3: the clip's whole frame
    // against the work's zoomed view (a clip cropped and scaled back).
    const workView = view === 0 ? null : this.views[view === 3 ? 2 : view - 1]!;
    const clipView = view === 1 || view === 2 ? clip.views![view - 1]! : clip;
    const gHi = workView ? workView.hi.data : this.hi.data;
    const gLo = workView ? workView.lo.data : this.lo.data;
    const cHi = mirrored ? clipView.mhi : clipView.hi;
    const cLo = mirrored ? clipView.mlo : clipView.lo;
    const pair = (i: number, f: number): void => {
      if (featureless(cHi[i]!, cLo[i]!) || featureless(gHi[w.frameStart + f]!, gLo[w.frameStart + f]!)) return;
      times.push(clip.times[i]!);
      dist.push(popcount32(gHi[w.frameStart + f]! ^ cHi[i]!) + popcount32(gLo[w.frameStart + f]! ^ cLo[i]!));
    };
    const workStepInClip = w.frameMs / speed;
    if (clip.frameMs < workStepInClip) {
      // The clip is denser: every work frame inside the clip's span, against the nearest clip frame.
      const clipTimes = clip.timesArray;
      const from = Math.max(0, upperBound(wTimes, offset + speed * (clip.times[0]! - clip.frameMs / 2)) - 1);
      for (let f = from; f < w.frames; f++) {
        const t = (wTimes[f]! - offset) / speed;
        if (t > clip.times[n - 1]! + clip.frameMs / 2) break;
        if (t < clip.times[0]! - clip.frameMs / 2) continue;
        pair(nearestIndex(clipTimes, t), f);
      }
      return { times, dist, stepMs: workStepInClip };
    }
    for (let i = 0; i < n; i++) {
      const t = speed * clip.times[i]! + offset;
      const f = nearestIndex(wTimes, t);
      if (f < 0 || Math.abs(wTimes[f]! - t) > w.frameMs) continue;
      pair(i, f);
    }
    return { times, dist, stepMs: clip.frameMs };
  }

  /**
   * Bit errors per clip Chromaprint item along the alignment, at the best of a few item shifts around the offset
   * (the audio and frame clocks differ slightly after a cut), the way Chromaprint's matcher scores an alignment.
   * `from` is the first clip item aligned; null without audio on either side or with fewer than 8 items aligned.
   */
  private alignAudio(
    clip: Clip,
    w: WorkEntry,
    offsetMs: number,
    speed: number,
  ): { errors: Uint8Array; from: number } | null {
    const a = clip.audio;
    if (!a || w.audioItems === 0) return null;
    const b = this.audio.data.subarray(w.audioStart, w.audioStart + w.audioItems);
    const ratio = (speed * clip.itemMs) / w.itemMs;
    const base = Math.round(offsetMs / w.itemMs);
    let best: { shift: number; errors: number; n: number } | null = null;
    for (let shift = base - 4; shift <= base + 4; shift++) {
      let errors = 0;
      let n = 0;
      for (let i = 0; i < a.length; i++) {
        const j = Math.round(i * ratio) + shift;
        if (j < 0 || j >= b.length) continue;
        errors += popcount32((a[i]! ^ b[j]!) >>> 0);
        n++;
      }
      if (n < 8) continue;
      if (best === null || errors / n < best.errors / best.n) best = { shift, errors, n };
    }
    if (!best) return null;
    let from = -1;
    const errors: number[] = [];
    for (let i = 0; i < a.length; i++) {
      const j = Math.round(i * ratio) + best.shift;
      if (j < 0 || j >= b.length) continue;
      if (from < 0) from = i;
      errors.push(popcount32((a[i]! ^ b[j]!) >>> 0));
    }
    return { errors: Uint8Array.from(errors), from };
  }

  /** Segments grouped per work: overlapping ones (in clip time) of one work keep the best; works best first. */
  private group(found: { wi: number; s: ClipSegment }[]): ClipMatch[] {
    found.sort((x, y) => rankOne(y.s) - rankOne(x.s) || Math.abs(x.s.speed - 1) - Math.abs(y.s.speed - 1));
    const perWork = new Map<number, ClipSegment[]>();
    for (const { wi, s } of found) {
      const kept = perWork.get(wi) ?? [];
      const overlaps = kept.some((k) => {
        const inter = Math.min(k.clipEndMs, s.clipEndMs) - Math.max(k.clipStartMs, s.clipStartMs);
        return inter > 0.5 * Math.min(k.clipEndMs - k.clipStartMs, s.clipEndMs - s.clipStartMs);
      });
      if (!overlaps) kept.push(s);
      perWork.set(wi, kept);
    }
    const out: ClipMatch[] = [];
    for (const [wi, segments] of perWork) {
      const best = segments[0]!;
      segments.sort((x, y) => x.clipStartMs - y.clipStartMs);
      out.push({ workId: this.works[wi]!.id, ...best, segments });
    }
    return out.sort((x, y) => rankOne(y) - rankOne(x));
  }
}

/**
 * Clip time covered by Chromaprint items [first, end): item k summarises the sound from k items on through its
 * window (16 chroma frames of 4,096 samples at 11,025 Hz, ≈ 19 items), so the last items reach ≈ 2.35 s further;
 * clamped to the clip's duration when known.
 */
function audioRun(clip: Clip, first: number, end: number): [number, number] {
  const reach = (end + AUDIO_WINDOW_REACH) * clip.itemMs;
  return [first * clip.itemMs, clip.durationMs > 0 ? Math.min(reach, clip.durationMs) : reach];
}

/**
 * Orders segments: more matching tracks first, then the evidence — score × clip time covered (a few frames that
 * happen to line up at a wrong speed score high over a short run; the right alignment covers the clip).
 */
function rankOne(s: ClipSegment): number {
  return s.tracks.length * 1e9 + s.score * (s.clipEndMs - s.clipStartMs + 1);
}

function rank(list: ClipSegment[]): number {
  return list.reduce((m, s) => Math.max(m, rankOne(s)), -1);
}

function resolveOptions(options: MatchOptions, radius: number): Required<MatchOptions> {
  const speeds = options.speeds ?? DEFAULT_SPEEDS;
  if (speeds.length === 0 || speeds.length > 32 || !speeds.every((v) => v >= 0.5 && v <= 2)) {
    throw new CrossproofError("INVALID_ARGUMENT", "speeds: 1 to 32 values between 0.5 and 2");
  }
  const probeRadius = options.probeRadius ?? Math.min(2, Math.floor(radius / PARTS));
  if (!Number.isInteger(probeRadius) || probeRadius < 0 || probeRadius > Math.min(4, Math.floor(radius / PARTS) + 1)) {
    throw new CrossproofError("INVALID_ARGUMENT", "probeRadius must be an integer 0–4, at most ⌊radius/3⌋ + 1");
  }
  const probeFrames = options.probeFrames ?? 48;
  if (!Number.isInteger(probeFrames) || probeFrames < 1) {
    throw new CrossproofError("INVALID_ARGUMENT", "probeFrames must be a positive integer");
  }
  return {
    candidates: options.candidates ?? 100,
    minScore: options.minScore ?? 0.5,
    minAudioScore: options.minAudioScore ?? 0.5,
    minFrames: options.minFrames ?? 4,
    minAudioItems: options.minAudioItems ?? 16,
    speeds,
    probeRadius,
    probeFrames,
    audioCandidates: options.audioCandidates ?? true,
  };
}

/** A vote's bin as one safe integer: work (< 2^22), speed index (< 32), orientation, offset bin (|bin| < 2^22). */
function voteKey(wi: number, si: number, mirrored: number, bin: number): number {
  return ((wi * 32 + si) * 2 + mirrored) * 2 ** 23 + (bin + 2 ** 22);
}

/** Part `p` of a hash: bits 63–42, 41–21 or 20–0. */
function part(hi: number, lo: number, p: number): number {
  if (p === 0) return hi >>> 10;
  if (p === 1) return ((hi & 0x3ff) << 11) | (lo >>> 21);
  return lo & 0x1fffff;
}

function splitHex(hashes: string[]): [Uint32Array, Uint32Array] {
  const hi = new Uint32Array(hashes.length);
  const lo = new Uint32Array(hashes.length);
  hashes.forEach((h, i) => {
    if (!/^[0-9a-f]{16}$/.test(h)) throw new CrossproofError("INVALID_ARGUMENT", `not a 64-bit hex hash: ${h}`);
    hi[i] = parseInt(h.slice(0, 8), 16);
    lo[i] = parseInt(h.slice(8), 16);
  });
  return [hi, lo];
}

function clipOf(fp: Fingerprint): Clip {
  const [hi, lo] = splitHex(fp.video?.hashes ?? []);
  const [mhi, mlo] = splitHex(fp.video?.mirrored ?? []);
  return {
    durationMs: fp.durationMs,
    hi,
    lo,
    mhi,
    mlo,
    times: fp.video?.timesMs ?? [],
    timesArray: Uint32Array.from(fp.video?.timesMs ?? []),
    frameMs: 1000 / fp.extractor.parameters.framesPerSecond,
    audio: fp.audio ? Uint32Array.from(fp.audio.chromaprint) : null,
    itemMs: fp.audio?.itemMs ?? 1,
    views: fp.video?.views
      ? FRAME_VIEWS.map((name) => {
          const [hi, lo] = splitHex(fp.video!.views![name].hashes);
          const [mhi, mlo] = splitHex(fp.video!.views![name].mirrored);
          return { hi, lo, mhi, mlo };
        })
      : null,
  };
}

/** Number of elements of an ascending array ≤ x. */
function upperBound(sorted: Uint32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the element of an ascending array closest to `t`, or −1 when empty. */
function nearestIndex(sorted: Uint32Array, t: number): number {
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
