import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  MPEG7_FRAME_SIGNATURE_SIZE,
  decodeBase32,
  decodeIsccHeader,
  decodeMpeg7Signature,
  extractMpeg7Signature,
  extractVideoSignatures,
  isCrossproofError,
  isccAudioCode,
  isccClean,
  isccCode,
  isccNameFromFile,
  isccOfMediaFile,
  isccVideoCode,
} from "../../sdk/src";

/** Writes bit fields most significant bit first, as ffmpeg's `put_bits` does. */
class BitWriter {
  private bits: number[] = [];
  put(width: number, value: number): this {
    for (let i = width - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => (out[i >> 3]! |= b << (7 - (i & 7))));
    return out;
  }
}

/**
 * An MPEG-7 signature laid out field by field as ffmpeg's `binary_export` (libavfilter/vf_signature.c) writes it:
 * one spatial region, `segments` coarse signatures, then the frames with their 76 bytes of five ternary values each.
 */
function signature(frames: { time: number; confidence: number; bytes: number[] }[], unit: number, segments = 1) {
  const w = new BitWriter();
  w.put(32, 1).put(1, 1).put(32, 0).put(16, 175).put(16, 143).put(32, 0); // region, whole picture (129 bits)
  w.put(32, frames.length)
    .put(16, unit)
    .put(1, 1)
    .put(32, 0)
    .put(32, frames.at(-1)?.time ?? 0);
  w.put(32, segments);
  for (let s = 0; s < segments; s++) {
    w.put(32, 0).put(32, 89).put(1, 1).put(32, 0).put(32, 89);
    for (let i = 0; i < 5; i++) w.put(243, 0);
  }
  w.put(1, 0); // CompressionFlag
  for (const f of frames) {
    w.put(1, 1).put(32, f.time).put(8, f.confidence);
    for (let i = 0; i < 5; i++) w.put(8, 0xa5); // words, skipped
    for (let i = 0; i < 76; i++) w.put(8, f.bytes[i % f.bytes.length]!);
  }
  return w.bytes();
}

/** Differing bits between the bodies of two ISCC units of the same type. */
function bitsApart(a: string, b: string): number {
  const x = decodeIsccHeader(decodeBase32(isccClean(a))).body;
  const y = decodeIsccHeader(decodeBase32(isccClean(b))).body;
  let n = 0;
  for (let i = 0; i < x.length; i++) for (let v = x[i]! ^ y[i]!; v; v &= v - 1) n++;
  return n;
}

describe("ISCC: MPEG-7 video signatures, decoded", function () {
  it("reads the header, skips the coarse segments and unpacks each byte into five ternary values", function () {
    // 0 → 0,0,0,0,0; 242 = 2·81+2·27+2·9+2·3+2 → 2,2,2,2,2; 5 = 1·3+2 → 0,0,0,1,2; 255 → 0,0,1,1,0 (255 = 3·81+…).
    const data = signature(
      [
        { time: 0, confidence: 200, bytes: [0, 242, 5, 255] },
        { time: 3, confidence: 7, bytes: [1] },
      ],
      5,
      2,
    );
    const sig = decodeMpeg7Signature(data);
    expect(sig.mediaTimeUnit).to.equal(5);
    expect(sig.segments).to.equal(2);
    expect(sig.frames).to.have.length(2);
    const [a, b] = sig.frames;
    expect(a!.vector).to.have.length(MPEG7_FRAME_SIGNATURE_SIZE);
    expect([...a!.vector.subarray(0, 20)]).to.deep.equal([0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 0, 0, 0, 1, 2, 0, 0, 1, 1, 0]);
    expect(a!.confidence).to.equal(200);
    expect([b!.mediaTime, b!.elapsedSeconds, b!.confidence]).to.deep.equal([3, 0.6, 7]);
    expect([...b!.vector.subarray(0, 10)]).to.deep.equal([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it("rejects a truncated signature, and a frame count larger than the data, before allocating", function () {
    const data = signature([{ time: 0, confidence: 1, bytes: [7] }], 5);
    const cut = (n: number) => () => decodeMpeg7Signature(data.subarray(0, n));
    expect(cut(data.length - 1)).to.throw(/truncated MPEG-7 video signature/);
    expect(cut(10)).to.throw(/truncated/);
    const lying = Uint8Array.from(data);
    lying[16] = 0xff; // NumOfFrames (bits 129–160) now announces billions of frames
    expect(() => decodeMpeg7Signature(lying)).to.throw(/truncated MPEG-7 video signature \(\d+ frames/);
    expect(decodeMpeg7Signature(data).frames).to.have.length(1);
  });

  it("the Video-Code takes the decoded frames as they are (typed arrays), distinct frames once", function () {
    const frames = decodeMpeg7Signature(
      signature(
        [0, 1, 2].map((t) => ({ time: t, confidence: 1, bytes: [t * 40, 242 - t * 30, 17 + t] })),
        5,
      ),
    ).frames.map((f) => f.vector);
    const plain = frames.map((v) => [...v]);
    expect(isccVideoCode(frames)).to.equal(isccVideoCode(plain));
    expect(isccVideoCode([...frames, frames[0]!])).to.equal(isccVideoCode(frames));
  });

  it("names a file as iscc-sdk's text_name_from_uri does", function () {
    expect(isccNameFromFile("/media/Spiral_Sessions-2019.final.mp4")).to.equal("Spiral Sessions 2019.final");
  });
});

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;
const VECTORS = path.resolve(__dirname, "..", "vectors", "iscc");
const SAMPLE = path.join(VECTORS, "demo.mp4");

describe("ISCC: a media file's Video-Code and ISCC-CODE are iscc-sdk's (samples from iscc-samples)", function () {
  this.timeout(120_000);
  let dir = "";
  const gen = (name: string, args: string[]): string => {
    const out = path.join(dir, name);
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
    return out;
  };

  before(function () {
    if (!hasFfmpeg) {
      console.log("    (ffmpeg is not installed: apt-get install --no-install-recommends ffmpeg; skipping)");
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-iscc-"));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the MPEG-7 signature and its frames are the ones iscc-sdk's tests expect", async function () {
    const raw = await extractMpeg7Signature(SAMPLE);
    expect(Buffer.from(raw.subarray(-32)).toString("hex")).to.equal(
      "9ef43526febb8d3e674975584ad6812ccc144cba28b3e134cd173888449cf51e",
    );
    const { frames, mediaTimeUnit } = decodeMpeg7Signature(raw);
    expect(mediaTimeUnit).to.equal(5);
    expect(frames).to.have.length(300); // 5 a second over 60 s
    expect([...frames[0]!.vector.subarray(0, 20)]).to.deep.equal([
      0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,
    ]);
    expect(frames.at(-1)!.elapsedSeconds).to.equal(59.8);
    expect(isccVideoCode(frames.map((f) => f.vector))).to.equal("ISCC:EMAV4DUD6QORW4X4");
  });

  it("the ISCC-CODE is code_iscc's: Meta (title tag) + Video + Data + Instance; the audio does not enter", async function () {
    const r = await isccOfMediaFile(SAMPLE);
    expect(r.iscc).to.equal("ISCC:KMCV6UK6BSXJ3I4GLYHIH5A5DNZPYBWQO33FNHPQFOOUCLLW3HKRNUA");
    expect(r.mode).to.equal("video");
    expect(r.units.slice(0, 2)).to.deep.equal(["ISCC:AAAV6UK6BSXJ3I4G", "ISCC:EMAV4DUD6QORW4X4"]);
    expect(r.meta).to.deep.include({
      name: "Kali by Anokato - Spiral Sessions 2019",
      metahash: "1e2096c0a53475a186ce37622aba7ba70651fc62cc8150f59eee6d17dc16d9bfbf25",
    });
    expect(r.datahash).to.equal("1e209d412d76d9d516d07bb60f1ab3c1a5c1b176ed4f1cec94c96222a5d013ec3e38");
    expect(r.filesize).to.equal(2161914);
    expect(r.videoFrames).to.equal(300);
    // Without the Meta-Code: the content alone.
    const bare = await isccOfMediaFile(SAMPLE, { meta: false });
    expect(bare.units).to.deep.equal(r.units.slice(1));
    expect(bare.iscc).to.equal(isccCode(r.units.slice(1)));
    expect(bare.meta).to.equal(undefined);
    // A given title replaces the tag.
    const titled = await isccOfMediaFile(SAMPLE, { meta: { name: "Another title" } });
    expect(titled.units[0]).to.not.equal(r.units[0]);
    expect(titled.units.slice(1)).to.deep.equal(r.units.slice(1));
  });

  it("an audio file's ISCC-CODE is code_iscc's too; a cover picture does not make an MP3 a video", async function () {
    const mp3 = await isccOfMediaFile(path.join(VECTORS, "demo.mp3"));
    expect(mp3.iscc).to.equal("ISCC:KIC2JKSX7OH5PBIENISKEJTS4TRKHYJBCZDNLQXYILWJHQAP3N3KPTQ");
    expect(mp3.units.slice(0, 2)).to.deep.equal(["ISCC:AAA2JKSX7OH5PBIE", "ISCC:EIAWUJFCEZZOJYVD"]);
    expect(mp3).to.deep.include({
      mode: "audio",
      datahash: "1e20ec93c00fdb76a7cec587e4a2bddfa8d0a0bac8110d0c7130c351ea07c366d626",
      filesize: 225707,
    });
    expect(mp3.meta?.name).to.equal("Belly Button");
    const covered = await isccOfMediaFile(path.join(VECTORS, "withcover.mp3"));
    expect(covered.mode).to.equal("audio");
    expect(covered.units.slice(0, 2)).to.deep.equal(["ISCC:AAA2JKSX7OH5PBIE", "ISCC:EIAWUJFCEZZOJYVD"]);
  });

  it("a re-encoded copy keeps its Video-Code within a few bits; another video is far", async function () {
    const copy = gen("copy.mkv", ["-i", SAMPLE, "-vf", "scale=320:240", "-c:v", "mpeg4", "-q:v", "8", "-an"]);
    const other = gen("other.mp4", [
      ...["-f", "lavfi", "-i", "mandelbrot=size=176x144:rate=24,trim=duration=20"],
      ...["-c:v", "libx264", "-preset", "ultrafast"],
    ]);
    const code = async (f: string) => isccVideoCode((await extractVideoSignatures(f)).frames.map((x) => x.vector));
    const [a, b, c] = [await code(SAMPLE), await code(copy), await code(other)];
    expect(await code(SAMPLE)).to.equal(a); // deterministic
    expect(bitsApart(a, b)).to.be.at.most(6);
    expect(bitsApart(a, c)).to.be.at.least(16);
  });

  it("an audio-only file gets an Audio-Code; a file name ffmpeg's filter syntax would misread is harmless", async function () {
    const song = gen("a song.m4a", [
      ...["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(300+100*floor(mod(t*3\\,4)))*t):s=22050:d=6"],
      ...["-c:a", "aac", "-metadata", "title=A Song"],
    ]);
    const r = await isccOfMediaFile(song, { chromaprint: [1, 2, 3] });
    expect(r.mode).to.equal("audio");
    expect(r.units[1]).to.equal(isccAudioCode([1, 2, 3]));
    expect(r.meta?.name).to.equal("A Song");
    const extracted = await isccOfMediaFile(song);
    expect(extracted.units[1]).to.match(/^ISCC:EI/);
    expect(extracted.units[1]).to.not.equal(r.units[1]);
    await expectFailure(extractVideoSignatures(song), "undecodable");
    // The path never enters the filter graph: a name with graph syntax in it is read as any other file.
    const tricky = path.join(dir, "x,signature=format=xml:filename=owned.xml;[in]'q'.mp4");
    copyFileSync(SAMPLE, tricky);
    const sig = await extractMpeg7Signature(tricky);
    expect(Buffer.from(sig.subarray(-32)).toString("hex")).to.equal(
      "9ef43526febb8d3e674975584ad6812ccc144cba28b3e134cd173888449cf51e",
    );
    expect((await isccOfMediaFile(tricky)).units.slice(0, 2)).to.deep.equal([
      "ISCC:AAAV6UK6BSXJ3I4G",
      "ISCC:EMAV4DUD6QORW4X4",
    ]);
  });

  it("fails with the extractor's typed reasons: missing file, undecodable bytes, missing ffmpeg, aborted", async function () {
    const temporary = () => readdirSync(tmpdir()).filter((f) => f.startsWith("crossproof-mp7-")).length;
    const before = temporary();
    await expectFailure(extractVideoSignatures(path.join(dir, "none.mp4")), "not-found");
    const junk = path.join(dir, "junk.mp4");
    writeFileSync(junk, Buffer.from("this is not a video file, only text pretending to be one".repeat(50)));
    await expectFailure(extractVideoSignatures(junk), "undecodable");
    await expectFailure(isccOfMediaFile(junk), "undecodable");
    await expectFailure(
      extractVideoSignatures(SAMPLE, { ffmpegPath: path.join(dir, "no-such-ffmpeg") }),
      "ffmpeg-missing",
    );
    await expectFailure(extractVideoSignatures(SAMPLE, { signal: AbortSignal.abort() }), "aborted");
    await expectFailure(extractVideoSignatures(SAMPLE, { framesPerSecond: -1 }), null);
    expect(temporary(), "no temporary folder is left behind").to.equal(before);
  });
});

const CODES = {
  "not-found": "FILE_READ_ERROR",
  aborted: "FILE_READ_ERROR",
  undecodable: "MEDIA_UNDECODABLE",
  "ffmpeg-missing": "FFMPEG_MISSING",
} as const;

/** Awaits a failure with `details.reason` (and its code); `null`: an INVALID_ARGUMENT. */
async function expectFailure(p: Promise<unknown>, reason: keyof typeof CODES | null): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (reason === null) {
      expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true);
      return;
    }
    expect((err as { details?: { reason?: string } }).details?.reason, String(err)).to.equal(reason);
    expect(isCrossproofError(err, CODES[reason]), String(err)).to.equal(true);
    return;
  }
  throw new Error(`expected a failure (${reason ?? "INVALID_ARGUMENT"})`);
}
