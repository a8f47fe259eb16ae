import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FingerprintIndex,
  extractFingerprint,
  hammingDistance64,
  hashToHex,
  isCrossproofError,
  type Fingerprint,
} from "../../sdk/src";

/** A deterministic 64-bit generator (splitmix64). */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** Synthetic mirrored hashes default to the plain ones with every other bit flipped: far from any indexed hash. */
function syntheticFingerprint(
  hashes: bigint[],
  mirrored: bigint[] = hashes.map((h) => h ^ 0x5555555555555555n),
  framesPerSecond = 2,
): Fingerprint {
  return {
    format: "crossproof-fingerprint",
    version: 1,
    extractor: {
      name: "synthetic",
      version: "1",
      decoder: "none",
      parameters: {
        framesPerSecond,
        frameSize: 32,
        frameHash: "dct-phash-64",
        sceneThreshold: 0.3,
        chromaprintAlgorithm: 1,
      },
    },
    durationMs: Math.round((hashes.length * 1000) / framesPerSecond),
    video: {
      timesMs: hashes.map((_, i) => Math.round((i * 1000) / framesPerSecond)),
      hashes: hashes.map(hashToHex),
      mirrored: mirrored.map(hashToHex),
    },
    sceneCutsMs: [],
    audio: null,
  };
}

/** Flips `bits` distinct random bits of `h`. */
function perturb(h: bigint, bits: number, next: () => bigint): bigint {
  const chosen = new Set<number>();
  while (chosen.size < bits) chosen.add(Number(next() % 64n));
  let out = h;
  for (const b of chosen) out ^= 1n << BigInt(b);
  return out;
}

describe("fingerprint matching: multi-index hashing and voting (synthetic hashes)", function () {
  it("finds a noisy excerpt at the right offset, as a brute-force scan would, and nothing for unrelated hashes", function () {
    const next = rng(2026n);
    const index = new FingerprintIndex({ radius: 10 });
    const works: bigint[][] = [];
    for (let w = 0; w < 50; w++) {
      const hashes = Array.from({ length: 240 }, () => next());
      works.push(hashes);
      index.add(`work-${w}`, syntheticFingerprint(hashes));
    }
    expect(index.size).to.equal(50 * 240);
    // Clip: frames 100–139 of work 17, each with up to 8 flipped bits.
    const clip = works[17]!.slice(100, 140).map((h, i) => perturb(h, i % 9, next));
    const found = index.match(syntheticFingerprint(clip));
    expect(found.length).to.equal(1);
    const m = found[0]!;
    expect(m.workId).to.equal("work-17");
    expect(m.mirrored).to.equal(false);
    expect(m.offsetMs).to.equal(100 * 500);
    expect([m.workStartMs, m.workEndMs]).to.deep.equal([50_000, 70_000]);
    expect(m.matchedFrames).to.equal(40);
    // Brute force agrees: every clip frame is within the radius of its source frame.
    for (let i = 0; i < clip.length; i++) expect(hammingDistance64(clip[i]!, works[17]![100 + i]!)).to.be.at.most(10);
    // Unrelated random hashes: no match (random pairs sit ~32 bits apart).
    expect(index.match(syntheticFingerprint(Array.from({ length: 40 }, () => next())))).to.deep.equal([]);
  });

  it("lookup finds exactly the frames a brute-force scan finds, over 200,000 indexed frames", function () {
    this.timeout(60_000);
    const next = rng(99n);
    const index = new FingerprintIndex({ radius: 11 });
    const all: bigint[] = [];
    for (let w = 0; w < 400; w++) {
      const hashes = Array.from({ length: 500 }, () => next());
      all.push(...hashes);
      index.add(`w${w}`, syntheticFingerprint(hashes));
    }
    // Plant near-duplicates so some queries have several answers at various distances.
    const planted = Array.from({ length: 200 }, (_, i) => perturb(all[i * 7]!, i % 14, next));
    index.add("planted", syntheticFingerprint(planted));
    all.push(...planted);
    const hi = Uint32Array.from(all, (h) => Number(h >> 32n));
    const lo = Uint32Array.from(all, (h) => Number(h & 0xffffffffn));
    const pop = (x: number): number => {
      let c = 0;
      for (let v = x >>> 0; v; v &= v - 1) c++;
      return c;
    };
    let answers = 0;
    for (let q = 0; q < 40; q++) {
      const query = perturb(all[q * 7]!, q % 13, next);
      const qh = Number(query >> 32n);
      const ql = Number(query & 0xffffffffn);
      const brute: number[] = [];
      for (let g = 0; g < all.length; g++) if (pop(hi[g]! ^ qh) + pop(lo[g]! ^ ql) <= 11) brute.push(g);
      const got = index
        .lookup(query)
        .map((r) => (r.workId === "planted" ? 200_000 : Number(r.workId.slice(1)) * 500) + r.frame)
        .sort((a, b) => a - b);
      expect(got, `query ${q}`).to.deep.equal(brute);
      answers += got.length;
    }
    expect(answers).to.be.greaterThan(40);
  });

  it("a clip played 1.2× faster is found with its speed and offset", function () {
    const next = rng(12n);
    const index = new FingerprintIndex();
    const hashes = Array.from({ length: 300 }, () => next());
    index.add("w", syntheticFingerprint(hashes));
    index.add("other", syntheticFingerprint(Array.from({ length: 300 }, () => next())));
    // Clip frame k (at k × 500 ms) shows the work at 20 s + 1.2 × k × 500 ms.
    const clip = Array.from({ length: 40 }, (_, k) =>
      perturb(hashes[Math.round((20_000 + 600 * k) / 500)]!, k % 5, next),
    );
    const found = index.match(syntheticFingerprint(clip));
    expect(found.map((m) => [m.workId, m.speed])).to.deep.equal([["w", 1.2]]);
    expect(Math.abs(found[0]!.offsetMs - 20_000)).to.be.at.most(250);
    expect(found[0]!.workEndMs - found[0]!.workStartMs).to.be.within(23_500, 24_500);
    // Speed 1 only: the same clip is not recognised (its frames drift off the work's after a few seconds).
    const unit = index.match(syntheticFingerprint(clip), { speeds: [1] });
    expect(unit.every((m) => m.matchedFrames < 10)).to.equal(true);
  });

  it("a clip assembled from two distant parts of one work is one answer with both segments, in clip order", function () {
    const next = rng(31n);
    const index = new FingerprintIndex();
    const hashes = Array.from({ length: 400 }, () => next());
    index.add("w", syntheticFingerprint(hashes));
    index.add("other", syntheticFingerprint(Array.from({ length: 400 }, () => next())));
    // 20 frames from 150 s into the work, then 20 frames from 30 s in (each with a few flipped bits).
    const clip = [...hashes.slice(300, 320), ...hashes.slice(60, 80)].map((h, i) => perturb(h, i % 4, next));
    const found = index.match(syntheticFingerprint(clip));
    expect(found.map((m) => m.workId)).to.deep.equal(["w"]);
    const ranges = found[0]!.segments.map((s) => [s.clipStartMs, s.clipEndMs, s.workStartMs, s.workEndMs]);
    expect(ranges).to.deep.equal([
      [0, 10_000, 150_000, 160_000],
      [10_000, 20_000, 30_000, 40_000],
    ]);
    expect(found[0]!.segments.every((s) => s.tracks.join() === "video" && s.speed === 1)).to.equal(true);
  });

  it("a mirrored clip is found through its mirrored hashes", function () {
    const next = rng(7n);
    const index = new FingerprintIndex();
    const hashes = Array.from({ length: 100 }, () => next());
    index.add("w", syntheticFingerprint(hashes));
    // The clip's plain hashes are unrelated; its mirrored hashes are the work's.
    const clip = syntheticFingerprint(
      Array.from({ length: 30 }, () => next()),
      hashes.slice(20, 50),
    );
    const [m] = index.match(clip);
    expect(m?.workId).to.equal("w");
    expect(m?.mirrored).to.equal(true);
    expect(m?.offsetMs).to.equal(20 * 500);
  });

  it("a clip hashed at 10 frames a second, cut between two work frames, is compared with the work frame by frame", function () {
    const next = rng(1010n);
    const index = new FingerprintIndex({ radius: 10 });
    // The work at 2 frames a second; between its frames the pictures move on (unrelated hashes stand for that).
    const work = Array.from({ length: 120 }, () => next());
    index.add("work", syntheticFingerprint(work));
    index.add("other", syntheticFingerprint(Array.from({ length: 120 }, () => next())));
    // The clip starts 20.3 s into the work: at 10 frames a second, its frame k shows work time 20.3 + 0.1 k s; frames
    // at whole half-seconds of work time are the work's frames (with a few bits of re-encoding noise), the others new.
    const clip = Array.from({ length: 80 }, (_, k) => {
      const workMs = 20_300 + 100 * k;
      return workMs % 500 === 0 ? perturb(work[workMs / 500]!, k % 4, next) : next();
    });
    const found = index.match(syntheticFingerprint(clip, undefined, 10));
    expect(found.map((m) => m.workId)).to.deep.equal(["work"]);
    const m = found[0]!;
    expect(m.offsetMs).to.equal(20_300);
    expect(m.speed).to.equal(1);
    // One comparison per work frame inside the clip (20.5 … 28.0 s), each with the clip frame showing it.
    expect(m.alignedFrames).to.equal(16);
    expect(m.matchedFrames).to.equal(16);
    expect(m.videoScore).to.be.above(0.9);
    expect(m.workStartMs).to.be.within(20_300, 20_500);
    expect(m.workEndMs).to.be.within(28_000, 28_400);
    // The same clip hashed at 2 frames a second shows none of the work's frames: nothing to find.
    const sparse = clip.filter((_, k) => k % 5 === 0);
    expect(index.match(syntheticFingerprint(sparse))).to.deep.equal([]);
  });

  it("featureless frames (a flat picture: every AC coefficient equal, no bit above the median) neither vote nor match", function () {
    const next = rng(77n);
    const index = new FingerprintIndex({ radius: 10 });
    // A work that fades to black for 10 s, then shows pictures.
    const work = [...Array.from({ length: 20 }, () => 0n), ...Array.from({ length: 40 }, () => next())];
    index.add("fades-to-black", syntheticFingerprint(work, work));
    // An unrelated clip that is black too: identical hashes, but nothing in common.
    const black = Array.from({ length: 16 }, () => 0n);
    expect(index.match(syntheticFingerprint(black, black))).to.deep.equal([]);
    // A clip from the black part into the pictures: matched on the pictures only.
    const clip = work.slice(14, 34);
    const [m] = index.match(
      syntheticFingerprint(
        clip,
        clip.map((h) => h ^ 0x5555555555555555n),
      ),
    );
    expect(m?.workId).to.equal("fades-to-black");
    expect(m?.alignedFrames).to.equal(14);
    expect(m?.matchedFrames).to.equal(14);
  });

  it("an index without some works keeps the others whole, their frames' partial views included", function () {
    const next = rng(505n);
    const index = new FingerprintIndex({ radius: 10 });
    for (const id of ["a", "b", "c"]) {
      const fp = syntheticFingerprint(Array.from({ length: 30 }, () => next()));
      const view = (): { hashes: string[]; mirrored: string[] } => ({
        hashes: fp.video!.hashes.map(() => hashToHex(next())),
        mirrored: fp.video!.hashes.map(() => hashToHex(next())),
      });
      fp.video!.views = { maskTop: view(), maskBottom: view(), zoom: view() };
      index.add(id, fp);
    }
    const before = index.columns();
    const after = index.without(new Set(["b"])).columns();
    expect(after.works.map((w) => w.id)).to.deep.equal(["a", "c"]);
    const keep = (x: Uint32Array): number[] => [...x.subarray(0, 30), ...x.subarray(60, 90)];
    expect(after.views!.map((v) => [...v.hi, ...v.lo])).to.deep.equal(
      before.views!.map((v) => [...keep(v.hi), ...keep(v.lo)]),
    );
    expect([...after.hi]).to.deep.equal(keep(before.hi));
  });

  it("rejects a work indexed twice, a clip without video and a radius out of range", function () {
    const index = new FingerprintIndex();
    const fp = syntheticFingerprint([1n, 2n, 3n]);
    index.add("a", fp);
    for (const attempt of [
      () => index.add("a", fp),
      () => index.match({ ...fp, video: null }),
      () => new FingerprintIndex({ radius: 16 }),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(isCrossproofError(caught, "INVALID_ARGUMENT")).to.equal(true);
    }
  });
});

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;

describe("fingerprint matching: clips cut from generated works (ffmpeg)", function () {
  this.timeout(180_000);
  let dir = "";
  const index = new FingerprintIndex();
  const clips: Record<string, Fingerprint> = {};
  const gen = (name: string, args: string[]): string => {
    const out = path.join(dir, name);
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
    return out;
  };
  const x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];
  const works: Record<string, [string, string]> = {
    mandelbrot: [
      "mandelbrot=size=320x240:rate=10,trim=duration=20",
      "aevalsrc=0.4*sin(2*PI*(220+110*floor(mod(t*2\\,4)))*t):s=22050:d=20",
    ],
    life: [
      "life=size=320x240:rate=10:seed=99:mold=10,trim=duration=20",
      "aevalsrc=0.5*sin(2*PI*(600+150*floor(mod(t*3\\,5)))*t):s=22050:d=20",
    ],
    cellauto: [
      "cellauto=size=320x240:rate=10:seed=5:rule=30,trim=duration=20",
      // Notes from a hash of the note number, so the melody never repeats (a periodic one matches at every period).
      "aevalsrc=0.4*sin(2*PI*(200+400*mod(abs(sin(floor(t*4)*12.9898)*43758.5453)\\,1))*t):s=22050:d=20",
    ],
  };

  before(async function () {
    if (!hasFfmpeg) {
      console.log("    (ffmpeg is not installed: apt-get install --no-install-recommends ffmpeg; skipping)");
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-fpm-"));
    for (const [name, [video, audio]] of Object.entries(works)) {
      const file = gen(`${name}.mp4`, ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, ...x264, "-shortest"]);
      index.add(name, await extractFingerprint(file));
    }
    const m = path.join(dir, "mandelbrot.mp4");
    const l = path.join(dir, "life.mp4");
    // Edits: a trim re-encoded smaller, a mirrored trim, and an unregistered work (life from another seed).
    gen("trim.mkv", [
      "-ss",
      "6",
      "-t",
      "8",
      "-i",
      m,
      "-vf",
      "scale=240:180",
      "-c:v",
      "mpeg4",
      "-q:v",
      "8",
      "-c:a",
      "libvorbis",
    ]);
    gen("mirror.mp4", ["-ss", "4", "-t", "8", "-i", l, "-vf", "hflip", ...x264]);
    // 12 s of the work from 4 s played 1.2× faster (picture and tempo; pitch kept): 10 s long.
    gen("faster.mp4", [
      ...["-ss", "4", "-t", "12", "-i", m],
      ...["-filter_complex", "[0:v]setpts=PTS/1.2[v];[0:a]atempo=1.2[a]", "-map", "[v]", "-map", "[a]", ...x264],
    ]);
    // The mandelbrot work's pictures (2–10 s) with another melody, and the cellauto work's sound (2–10 s) over other
    // pictures
    gen("other-sound.mp4", [
      ...["-ss", "2", "-t", "8", "-i", m],
      ...[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.4*sin(2*PI*(300+200*mod(abs(sin(floor(t*3)*7.77)*43758.5453)\\,1))*t):s=22050:d=8",
      ],
      ...["-map", "0:v", "-map", "1:a", "-t", "8", ...x264],
    ]);
    // (cellauto's melody: mandelbrot's repeats every 2 s, so its sound alone matches at every period.)
    gen("other-pictures.mp4", [
      ...["-ss", "2", "-t", "8", "-i", path.join(dir, "cellauto.mp4")],
      ...["-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=777:mold=10,trim=duration=8"],
      ...["-map", "1:v", "-map", "0:a", "-t", "8", ...x264],
    ]);
    // Two distant parts of the cellauto work back to back: 1–6 s then 13–18 s.
    gen("two-parts.mp4", [
      ...["-i", path.join(dir, "cellauto.mp4")],
      ...[
        "-filter_complex",
        "[0:v]trim=1:6,setpts=PTS-STARTPTS[a];[0:v]trim=13:18,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[v]",
      ],
      ...["-map", "[v]", "-an", "-c:v", "libx264", "-preset", "ultrafast"],
    ]);
    // The cellauto work's sound from 3 s, 12 s of it played 1.15× faster (tempo only), alone.
    gen("audio-faster.ogg", [
      "-ss",
      "3",
      "-t",
      "12",
      "-i",
      path.join(dir, "cellauto.mp4"),
      "-vn",
      "-af",
      "atempo=1.15",
      "-c:a",
      "libvorbis",
    ]);
    gen("unregistered.mp4", [
      ...["-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=4242:mold=10,trim=duration=8"],
      ...["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*880*t):s=22050:d=8", ...x264, "-shortest"],
    ]);
    // Audio only: 8 s of the cellauto work's sound from 5 s, and the unregistered clip's sound.
    gen("audio-only.ogg", ["-ss", "5", "-t", "8", "-i", path.join(dir, "cellauto.mp4"), "-vn", "-c:a", "libvorbis"]);
    gen("unregistered-audio.ogg", ["-i", path.join(dir, "unregistered.mp4"), "-vn", "-c:a", "libvorbis"]);
    for (const name of [
      "trim.mkv",
      "mirror.mp4",
      "faster.mp4",
      "unregistered.mp4",
      "audio-only.ogg",
      "unregistered-audio.ogg",
      "other-sound.mp4",
      "other-pictures.mp4",
      "two-parts.mp4",
      "audio-faster.ogg",
    ]) {
      clips[name] = await extractFingerprint(path.join(dir, name));
    }
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a trimmed, re-encoded clip is located in its work with both video and audio agreeing", function () {
    const [m, ...rest] = index.match(clips["trim.mkv"]!);
    expect(m?.workId).to.equal("mandelbrot");
    expect(m?.mirrored).to.equal(false);
    expect(Math.abs(m!.offsetMs - 6000)).to.be.at.most(500);
    expect(m!.workStartMs).to.be.within(5500, 6500);
    expect(m!.workEndMs).to.be.within(13_500, 14_500);
    expect(m!.videoScore).to.be.above(0.8);
    expect(m!.audioScore).to.be.above(0.8);
    expect(rest.filter((r) => r.workId !== "mandelbrot")).to.deep.equal([]);
  });

  it("a mirrored trim is located through the mirrored hashes", function () {
    const [m] = index.match(clips["mirror.mp4"]!);
    expect(m?.workId).to.equal("life");
    expect(m?.mirrored).to.equal(true);
    expect(Math.abs(m!.offsetMs - 4000)).to.be.at.most(500);
  });

  it("a clip played 1.2× faster is located with its speed", function () {
    const found = index.match(clips["faster.mp4"]!);
    const [m] = found;
    expect(m?.workId).to.equal("mandelbrot");
    expect(m!.speed).to.be.within(1.1, 1.3);
    expect(Math.abs(m!.offsetMs - 4000)).to.be.at.most(1000);
  });

  it("an audio-only clip is located through the Chromaprint key index", function () {
    expect(clips["audio-only.ogg"]!.video).to.equal(null);
    const found = index.match(clips["audio-only.ogg"]!);
    expect(found.map((m) => m.workId)).to.deep.equal(["cellauto"]);
    expect(Math.abs(found[0]!.offsetMs - 5000)).to.be.at.most(250);
    expect(found[0]!.videoScore).to.equal(null);
    expect(found[0]!.audioScore).to.be.above(0.7);
  });

  it("the work's pictures with other sound match by the picture only, its sound over other pictures by the sound only", function () {
    const pictures = index.match(clips["other-sound.mp4"]!);
    expect(pictures.map((m) => [m.workId, m.tracks])).to.deep.equal([["mandelbrot", ["video"]]]);
    expect(pictures[0]!.workStartMs).to.be.within(1500, 2500);
    expect(pictures[0]!.audioScore).to.be.below(0.5);
    const sound = index.match(clips["other-pictures.mp4"]!);
    expect(sound.map((m) => [m.workId, m.tracks])).to.deep.equal([["cellauto", ["audio"]]]);
    expect(Math.abs(sound[0]!.offsetMs - 2000)).to.be.at.most(500);
    expect(sound[0]!.videoScore).to.be.below(0.5);
  });

  it("two distant parts of a work back to back are two segments of one answer", function () {
    const found = index.match(clips["two-parts.mp4"]!);
    expect(found.map((m) => m.workId)).to.deep.equal(["cellauto"]);
    const segs = found[0]!.segments;
    expect(segs.length).to.equal(2);
    expect(segs[0]!.workStartMs).to.be.within(500, 1500);
    expect(segs[0]!.clipEndMs).to.be.within(4500, 5500);
    expect(segs[1]!.workStartMs).to.be.within(12_500, 13_500);
    expect(segs[1]!.workEndMs).to.be.within(17_500, 18_500);
  });

  it("a sound-only clip played 1.15× faster is located with its speed", function () {
    const found = index.match(clips["audio-faster.ogg"]!);
    expect(found.map((m) => m.workId)).to.deep.equal(["cellauto"]);
    expect(found[0]!.speed).to.be.within(1.1, 1.2);
    expect(Math.abs(found[0]!.offsetMs - 3000)).to.be.at.most(500);
    expect(found[0]!.tracks).to.deep.equal(["audio"]);
  });

  it("an unregistered work matches nothing, by video or by audio alone", function () {
    expect(index.match(clips["unregistered.mp4"]!)).to.deep.equal([]);
    expect(index.match(clips["unregistered-audio.ogg"]!)).to.deep.equal([]);
  });
});
