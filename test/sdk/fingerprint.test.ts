import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import {
  canonicalJson,
  decodeFingerprint,
  encodeFingerprint,
  extractFingerprint,
  fingerprintDigest,
  frameHashes,
  frameViewHashes,
  hammingDistance64,
  hashFromHex,
  hashToHex,
  isCrossproofError,
  validateFingerprint,
  type Fingerprint,
} from "../../sdk/src";

/** The frames of the known answers, built the same way in `ref.py` below. */
function frame(kind: "noise" | "gradient" | "disc", seed: number): number[] {
  const p: number[] = [];
  let x = seed;
  for (let i = 0; i < 1024; i++) {
    const r = Math.floor(i / 32);
    const c = i % 32;
    if (kind === "noise") {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      p.push((x >>> 16) & 255);
    } else if (kind === "gradient") p.push((c * 7 + r * 3 + seed) % 256);
    else p.push((c - 10 - seed) ** 2 + (r - 14) ** 2 < 64 ? 230 : 20);
  }
  return p;
}

function flip(p: number[]): number[] {
  return p.map((_, i) => p[Math.floor(i / 32) * 32 + (31 - (i % 32))]!);
}

/**
 * Known answers from an independent implementation: the algorithm of the `imagehash` Python library's `phash`
 * (hash_size 8, highfreq_factor 4) applied to the 32×32 grey frame, with numpy 2.4 and scipy 1.17:
 *
 *   d = scipy.fftpack.dct(scipy.fftpack.dct(p, axis=0), axis=1)[:8, :8]
 *   bits = (d > numpy.median(d)).flatten()            # row-major, first bit most significant
 *   hash = "%016x" % int("".join("1" if b else "0" for b in bits), 2); mirrored = the same on p[:, ::-1]
 *
 * (PIL's resize is left out: the input already is 32×32 grey.) The frame generators are the ones above.
 */
const KNOWN: [kind: "noise" | "gradient" | "disc", seed: number, hash: string, mirrored: string][] = [
  ["noise", 1, "f741abf0c045e399", "a214fea19512b6ee"],
  ["noise", 42, "ec9da8b74e90a89a", "b9c8a9e21b85b8cb"],
  ["noise", 2026, "dc3ed43701ef2a24", "896b816250ba7ff1"],
  ["gradient", 0, "94294a5569baeb56", "c17c1f003c7f7e03"],
  ["gradient", 100, "cb9933863cc33cc6", "9ecc669369926993"],
  ["disc", 0, "c4c43f3fc838c7c4", "95916a6a9d6d9391"],
  ["disc", 9, "9c9c636b94649b9a", "c9c13636c131cfcd"],
];

/**
 * Known answers for the partial views (extractor version 2), from numpy/scipy as above, with the views built
 * independently in Python:
 *
 *   def mask(p, a, b): q = p.copy(); rows = [r for r in range(32) if r < a or r >= b]
 *                      q[a:b, :] = numpy.floor(p[rows, :].mean() + 0.5); return q      # JavaScript's Math.round
 *   def zoom(p, side=28): s = (32 - side) / 2 + (numpy.arange(32) + 0.5) * side / 32 - 0.5
 *       out[y, x] = numpy.floor(bilinear(p at (s[x], s[y])) + 0.5), indices clamped to 0–31
 *   maskTop = mask(p, 0, 10), maskBottom = mask(p, 22, 32), zoom = zoom(p); each hashed with phash and on p[:, ::-1]
 *
 * Frames whose coefficients tie at the median (the zoomed `disc` 9 and `gradient` 100: several coefficients exactly
 * 0, the median 0) are left out: floating-point noise orders such ties differently in any two DCT implementations.
 */
const KNOWN_VIEWS: [
  kind: "noise" | "gradient" | "disc",
  seed: number,
  maskTop: [string, string],
  maskBottom: [string, string],
  zoom: [string, string],
][] = [
  [
    "noise",
    1,
    ["f600abb4c857f299", "a214fee39d0aa7c8"],
    ["d141a3f04547f39d", "861efea71016a6ea"],
    ["d5c82af5c867f013", "84957fa09d36a556"],
  ],
  [
    "noise",
    42,
    ["ce91e8b74e10e89e", "9b40bde21a45b9cb"],
    ["9cb8b03e46e0b8be", "c9e8e46a0295edea"],
    ["dd99383746f2c892", "88e86d6213a7bdc3"],
  ],
  [
    "gradient",
    7,
    ["94ad4a548db6aa7a", "c1f81f01d0c3fc2f"],
    ["952b6a56156b5a96", "c07f3f03403c4fc7"],
    ["942b5a15eaae5555", "c17e0f40ffff0801"],
  ],
  [
    "disc",
    0,
    ["c0d83f27c858c7ec", "958d6a72950d92f5"],
    ["c4443f3fc8b8c7c4", "95116a6a9ded9391"],
    ["c0c43737f93bc4c8", "95956262ac6e959d"],
  ],
  [
    "disc",
    3,
    ["cbd1342ccb53cc8d", "9e8661799e0699da"],
    ["cb493434c3b1cdcd", "9e1e616196e69a9a"],
    ["c9c93e3ef030cdc1", "9c9c6b6ba5659894"],
  ],
];

describe("fingerprints: the frames' partial views", function () {
  for (const [kind, seed, maskTop, maskBottom, zoom] of KNOWN_VIEWS) {
    it(`match numpy/scipy on ${kind} frame ${seed}: top band masked, bottom band masked, centre zoomed`, function () {
      const v = frameViewHashes(frame(kind, seed));
      const hex = (h: { hash: bigint; mirrored: bigint }): [string, string] => [
        hashToHex(h.hash),
        hashToHex(h.mirrored),
      ];
      expect([hex(v.maskTop), hex(v.maskBottom), hex(v.zoom)]).to.deep.equal([maskTop, maskBottom, zoom]);
    });
  }

  it("a caption over the bottom band changes the whole frame's hash a lot and the bottom-masked view's not at all", function () {
    const p = frame("noise", 5);
    const captioned = p.map((v, i) => (Math.floor(i / 32) >= 24 && i % 32 >= 2 && i % 32 < 26 ? 0 : v));
    expect(hammingDistance64(frameHashes(p).hash, frameHashes(captioned).hash)).to.be.at.least(8);
    expect(frameViewHashes(captioned).maskBottom.hash).to.equal(frameViewHashes(p).maskBottom.hash);
  });
});

describe("fingerprints: the DCT frame hash", function () {
  for (const [kind, seed, hash, mirrored] of KNOWN) {
    it(`matches imagehash's phash algorithm on ${kind} frame ${seed} (and its mirror image)`, function () {
      const h = frameHashes(frame(kind, seed));
      expect(hashToHex(h.hash)).to.equal(hash);
      expect(hashToHex(h.mirrored)).to.equal(mirrored);
    });
  }

  it("the mirrored hash computed from the coefficients is the hash of the flipped frame", function () {
    for (let seed = 1; seed <= 40; seed++) {
      const p = frame("noise", seed * 7919);
      const h = frameHashes(p);
      const f = frameHashes(flip(p));
      expect(f.hash).to.equal(h.mirrored);
      expect(f.mirrored).to.equal(h.hash);
    }
  });

  it("a slightly brightened and noisy frame stays near, another frame is far", function () {
    const p = frame("disc", 3);
    let x = 5;
    const q = p.map((v) => {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      return Math.min(255, v + 10 + ((x >>> 16) % 9) - 4);
    });
    expect(hammingDistance64(frameHashes(p).hash, frameHashes(q).hash)).to.be.at.most(4);
    expect(hammingDistance64(frameHashes(p).hash, frameHashes(frame("noise", 3)).hash)).to.be.at.least(16);
  });

  it("Hamming distance and hex forms", function () {
    expect(hammingDistance64(0n, 0n)).to.equal(0);
    expect(hammingDistance64(0n, (1n << 64n) - 1n)).to.equal(64);
    expect(hammingDistance64(0b1011n, 0b0110n)).to.equal(3);
    expect(hashToHex(1n)).to.equal("0000000000000001");
    expect(hashFromHex("ffffffffffffffff")).to.equal((1n << 64n) - 1n);
    expect(() => hashFromHex("FFFF")).to.throw(/64-bit hex/);
    expect(() => frameHashes([1, 2, 3])).to.throw(/1024 grey pixels/);
  });
});

function sampleFingerprint(): Fingerprint {
  return {
    format: "crossproof-fingerprint",
    version: 1,
    extractor: {
      name: "crossproof-ffmpeg",
      version: "1",
      decoder: "ffmpeg 5.1.9-0+deb12u1",
      parameters: {
        framesPerSecond: 2,
        frameSize: 32,
        frameHash: "dct-phash-64",
        sceneThreshold: 0.3,
        chromaprintAlgorithm: 1,
      },
    },
    durationMs: 1500,
    video: {
      timesMs: [0, 500, 1000],
      hashes: ["f741abf0c045e399", "ec9da8b74e90a89a", "dc3ed43701ef2a24"],
      mirrored: ["a214fea19512b6ee", "b9c8a9e21b85b8cb", "896b816250ba7ff1"],
    },
    sceneCutsMs: [1000],
    audio: { chromaprint: [0, 4294967295, 558758263], itemMs: (1365 / 11025) * 1000 },
  };
}

describe("fingerprints: the pure module", function () {
  it("fingerprint.ts bundles for a browser and reaches no Node built-in, process or network module", async function () {
    this.timeout(60_000);
    const result = await build({
      entryPoints: [path.resolve(__dirname, "..", "..", "sdk", "src", "fingerprint.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const reached = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("sdk/src/"));
    expect(reached.sort()).to.deep.equal(["sdk/src/errors.ts", "sdk/src/fingerprint.ts"]);
  });
});

describe("fingerprints: the file format", function () {
  it("is RFC 8785 JSON (checked against the canonicalize package) and round-trips with a stable digest", async function () {
    const { default: canonicalize } = (await import("canonicalize")) as { default: (v: unknown) => string };
    const fp = sampleFingerprint();
    const bytes = encodeFingerprint(fp);
    expect(new TextDecoder().decode(bytes)).to.equal(canonicalize(fp));
    expect(canonicalJson({ b: [1.5, "é\n"], a: { "€": 1, z: null, A: true } })).to.equal(
      canonicalize({ b: [1.5, "é\n"], a: { "€": 1, z: null, A: true } }),
    );
    const back = decodeFingerprint(bytes);
    expect(back).to.deep.equal(fp);
    // Key order and whitespace of the input do not change the digest; any content change does.
    const reordered = JSON.stringify({ ...fp, audio: fp.audio, format: fp.format }, null, 2);
    expect(fingerprintDigest(decodeFingerprint(reordered))).to.equal(fingerprintDigest(fp));
    expect(fingerprintDigest(fp)).to.match(/^0x[0-9a-f]{64}$/);
    const tampered = sampleFingerprint();
    tampered.video!.hashes[1] = "ec9da8b74e90a89b";
    expect(fingerprintDigest(tampered)).to.not.equal(fingerprintDigest(fp));
  });

  it("rejects malformed files with FINGERPRINT_INVALID and a precise message", function () {
    const cases: [string, (d: Record<string, unknown> & Fingerprint) => void, RegExp][] = [
      ["a future version", (d) => ((d as { version: number }).version = 2), /unsupported version 2/],
      ["an unknown field", (d) => (d.extra = 1), /unknown field\(s\) extra/],
      ["an upper-case hash", (d) => (d.video!.hashes[0] = "F741ABF0C045E399"), /16-digit lower-case hex/],
      ["a missing mirrored hash", (d) => d.video!.mirrored.pop(), /one entry per time/],
      ["decreasing times", (d) => (d.video!.timesMs = [0, 1000, 500]), /must not decrease/],
      ["a 33-bit audio value", (d) => (d.audio!.chromaprint[0] = 2 ** 32), /unsigned 32-bit/],
      ["another frame size", (d) => (d.extractor.parameters.frameSize = 16), /frameSize must be 32/],
      ["no extractor version", (d) => (d.extractor.version = ""), /extractor.version/],
    ];
    for (const [what, mutate, message] of cases) {
      const doc = sampleFingerprint() as Record<string, unknown> & Fingerprint;
      mutate(doc);
      let caught: unknown;
      try {
        validateFingerprint(JSON.parse(JSON.stringify(doc)));
      } catch (err) {
        caught = err;
      }
      expect(isCrossproofError(caught, "FINGERPRINT_INVALID"), what).to.equal(true);
      expect((caught as Error).message, what).to.match(message);
    }
    expect(() => decodeFingerprint("{not json")).to.throw(/not JSON/);
  });
});

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;

/** Mean Hamming distance between aligned frame hashes of two fingerprints (`mirror`: b's mirrored hashes). */
function meanDistance(a: Fingerprint, b: Fingerprint, mirror = false): number {
  const n = Math.min(a.video!.hashes.length, b.video!.hashes.length);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const hb = mirror ? b.video!.mirrored[i]! : b.video!.hashes[i]!;
    sum += hammingDistance64(hashFromHex(a.video!.hashes[i]!), hashFromHex(hb));
  }
  return sum / n;
}

/** Chromaprint bit-error rate between aligned raw values, as Chromaprint's matcher scores an alignment. */
function audioBitErrorRate(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let errors = 0;
  for (let i = 0; i < n; i++) errors += hammingDistance64(BigInt(a[i]! >>> 0), BigInt(b[i]! >>> 0));
  return errors / (32 * n);
}

describe("fingerprints: extraction with ffmpeg from generated media", function () {
  this.timeout(120_000);
  let dir = "";
  const fps: Record<string, Fingerprint> = {};
  const gen = (name: string, args: string[]): string => {
    const out = path.join(dir, name);
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
    return out;
  };
  const notes = "0.4*sin(2*PI*(220+110*floor(mod(t*2\\,4)))*t)+0.3*sin(2*PI*(330+55*floor(mod(t*3\\,5)))*t)";

  before(async function () {
    if (!hasFfmpeg) {
      console.log("    (ffmpeg is not installed: apt-get install --no-install-recommends ffmpeg; skipping)");
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-fp-"));
    // Work A: a mandelbrot zoom over a melody; B: Conway's life from a fixed seed over other notes.
    const a = gen("a.mp4", [
      ...["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10,trim=duration=12"],
      ...["-f", "lavfi", "-i", `aevalsrc=${notes}:s=22050:d=12`],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-c:a", "aac", "-shortest"],
    ]);
    gen("b.mp4", [
      ...["-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=1234:mold=10,trim=duration=12"],
      ...["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(500+200*floor(mod(t*5\\,3)))*t):s=22050:d=12"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"],
    ]);
    // A re-encoded heavily at another size and codec, and A mirrored.
    gen("a-reencoded.mkv", ["-i", a, "-vf", "scale=200:150", "-c:v", "mpeg4", "-q:v", "12", "-c:a", "libvorbis"]);
    gen("a-mirrored.mp4", ["-i", a, "-vf", "hflip", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy"]);
    // Two scenes: testsrc2 for 4 s then cellauto, to see a scene cut at 4 s.
    gen("cut.mp4", [
      ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=4"],
      ...["-f", "lavfi", "-i", "cellauto=size=320x240:rate=10:seed=7:rule=110,trim=duration=4"],
      ...["-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast"],
    ]);
    for (const name of ["a.mp4", "b.mp4", "a-reencoded.mkv", "a-mirrored.mp4", "cut.mp4"]) {
      fps[name] = await extractFingerprint(path.join(dir, name));
    }
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("hashes 2 frames a second, reads Chromaprint values and records the extractor", function () {
    const a = fps["a.mp4"]!;
    expect(a.video!.hashes.length).to.be.within(23, 25);
    expect(a.video!.timesMs.slice(0, 3)).to.deep.equal([0, 500, 1000]);
    expect(a.durationMs).to.be.within(11_900, 12_100);
    // Chromaprint gives one value per 1365/11025 s (97 in 12 s), less the ~2 s its filters and classifiers span.
    expect(a.audio!.chromaprint.length).to.be.within(70, 97);
    expect(a.extractor.decoder).to.match(/^ffmpeg /);
    expect(decodeFingerprint(encodeFingerprint(a))).to.deep.equal(a);
    expect(fps["cut.mp4"]!.audio).to.equal(null);
  });

  it("the same work re-encoded gives near-identical hashes; other content gives distant ones", function () {
    const a = fps["a.mp4"]!;
    const same = meanDistance(a, fps["a-reencoded.mkv"]!);
    const other = meanDistance(a, fps["b.mp4"]!);
    expect(same).to.be.below(6);
    expect(other).to.be.above(20);
    expect(audioBitErrorRate(a.audio!.chromaprint, fps["a-reencoded.mkv"]!.audio!.chromaprint)).to.be.below(0.15);
    expect(audioBitErrorRate(a.audio!.chromaprint, fps["b.mp4"]!.audio!.chromaprint)).to.be.above(0.3);
  });

  it("a mirrored clip matches through the mirrored hash, not the plain one", function () {
    const a = fps["a.mp4"]!;
    const m = fps["a-mirrored.mp4"]!;
    expect(meanDistance(a, m, true)).to.be.below(6);
    expect(meanDistance(a, m)).to.be.above(meanDistance(a, m, true) + 10);
  });

  it("finds the scene cut between two generated scenes", function () {
    const cuts = fps["cut.mp4"]!.sceneCutsMs;
    expect(cuts.some((t) => Math.abs(t - 4000) <= 100)).to.equal(true, `cuts: ${cuts.join(", ")}`);
    expect(cuts.filter((t) => t < 3500)).to.deep.equal([]);
  });

  it("fails with typed reasons: missing file, undecodable bytes, missing ffmpeg", async function () {
    const codes = {
      "not-found": "FILE_READ_ERROR",
      undecodable: "MEDIA_UNDECODABLE",
      "ffmpeg-missing": "FFMPEG_MISSING",
    } as const;
    const reasonOf = async (p: Promise<unknown>): Promise<unknown> => {
      try {
        await p;
      } catch (err) {
        const reason = (err as { details: { reason: keyof typeof codes } }).details.reason;
        expect(isCrossproofError(err, codes[reason]), String(err)).to.equal(true);
        return reason;
      }
      throw new Error("expected a failure");
    };
    expect(await reasonOf(extractFingerprint(path.join(dir, "none.mp4")))).to.equal("not-found");
    const junk = path.join(dir, "junk.mp4");
    writeFileSync(junk, Buffer.from("this is not a video file, only text pretending to be one".repeat(50)));
    expect(await reasonOf(extractFingerprint(junk))).to.equal("undecodable");
    const missing = extractFingerprint(path.join(dir, "a.mp4"), { ffmpegPath: path.join(dir, "no-such-ffmpeg") });
    expect(await reasonOf(missing)).to.equal("ffmpeg-missing");
  });
});
