import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FingerprintIndex,
  fingerprintIndexFromBytes,
  hashToHex,
  isCrossproofError,
  loadFingerprintIndex,
  saveFingerprintIndex,
  type Fingerprint,
} from "../../sdk/src";

/** A deterministic 32-bit generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function fingerprint(next: () => number, frames: number, items: number): Fingerprint {
  const hashes = Array.from({ length: frames }, () => hashToHex((BigInt(next()) << 32n) | BigInt(next())));
  return {
    format: "crossproof-fingerprint",
    version: 1,
    extractor: {
      name: "synthetic",
      version: "1",
      decoder: "none",
      parameters: {
        framesPerSecond: 2,
        frameSize: 32,
        frameHash: "dct-phash-64",
        sceneThreshold: 0.3,
        chromaprintAlgorithm: 1,
      },
    },
    durationMs: frames * 500,
    video: frames
      ? { timesMs: hashes.map((_, i) => i * 500), hashes, mirrored: hashes.map(() => "0".repeat(16)) }
      : null,
    sceneCutsMs: [],
    audio: items ? { chromaprint: Array.from({ length: items }, () => next()), itemMs: 123.80952380952381 } : null,
  };
}

/** An excerpt of a fingerprint: frames [from, to) and the audio items over the same time. */
function excerpt(fp: Fingerprint, from: number, to: number): Fingerprint {
  const v = fp.video!;
  const a = fp.audio!;
  const i0 = Math.round((from * 500) / a.itemMs);
  const i1 = Math.round((to * 500) / a.itemMs);
  return {
    ...fp,
    video: {
      timesMs: v.timesMs.slice(from, to).map((t) => t - from * 500),
      hashes: v.hashes.slice(from, to),
      mirrored: v.mirrored.slice(from, to),
    },
    audio: { chromaprint: a.chromaprint.slice(i0, i1), itemMs: a.itemMs },
  };
}

function reason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(isCrossproofError(err, "FINGERPRINT_INDEX_INVALID"), String(err)).to.equal(true);
    return (err as { details: { reason: string } }).details.reason;
  }
  expect.fail("no error");
}

describe("fingerprint index on disk (fingerprint-store)", function () {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-fpstore-"));
  const file = path.join(dir, "index.cpfpidx");
  const next = rng(16);
  const index = new FingerprintIndex({ radius: 9 });
  const works = Array.from({ length: 20 }, (_, w) => fingerprint(next, w === 3 ? 0 : 200, w === 5 ? 0 : 800));
  works.forEach((fp, w) => index.add(`work-${w}`, fp));
  let bytes = new Uint8Array(0);

  before(async function () {
    await saveFingerprintIndex(index, file);
    bytes = readFileSync(file);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round trip: the loaded index holds the same works and answers the same matches", async function () {
    const loaded = await loadFingerprintIndex(file);
    expect(loaded.size).to.equal(index.size);
    expect(loaded.radius).to.equal(9);
    expect(loaded.columns().works).to.deep.equal(index.columns().works);
    for (const clip of [excerpt(works[7]!, 40, 80), excerpt(works[12]!, 150, 200)]) {
      const before = index.match(clip);
      expect(before.length).to.be.greaterThan(0);
      expect(loaded.match(clip)).to.deep.equal(before);
    }
    // A sound-only work (no frames) and a picture-only work survive too.
    expect(loaded.columns().works[3]).to.include({ frames: 0, audioItems: 800 });
    expect(loaded.columns().works[5]).to.include({ frames: 200, audioItems: 0 });
    // Saved again, the same bytes.
    await saveFingerprintIndex(loaded, `${file}.2`);
    expect(Buffer.compare(readFileSync(`${file}.2`), Buffer.from(bytes))).to.equal(0);
  });

  it("a flipped bit in the hashes, the header or the digest fails the checksum", function () {
    for (const at of [bytes.length - 5_000, 40, bytes.length - 1]) {
      const bad = Uint8Array.from(bytes);
      bad[at]! ^= 0x10;
      expect(
        reason(() => fingerprintIndexFromBytes(bad)),
        `byte ${at}`,
      ).to.be.oneOf(["checksum", "header"]);
    }
    const data = Uint8Array.from(bytes);
    data[bytes.length - 5_000]! ^= 0x01;
    expect(reason(() => fingerprintIndexFromBytes(data))).to.equal("checksum");
  });

  it("a truncated or extended file, another file, a future version: each its own reason", function () {
    expect(reason(() => fingerprintIndexFromBytes(bytes.subarray(0, bytes.length - 4)))).to.equal("truncated");
    expect(reason(() => fingerprintIndexFromBytes(bytes.subarray(0, 20)))).to.equal("truncated");
    expect(reason(() => fingerprintIndexFromBytes(Buffer.concat([bytes, Buffer.alloc(4)])))).to.equal("truncated");
    expect(reason(() => fingerprintIndexFromBytes(Buffer.from('{"format":"crossproof-fingerprint"}')))).to.equal(
      "not-an-index",
    );
    const future = Buffer.from(bytes);
    future.writeUInt32LE(2, 8);
    expect(reason(() => fingerprintIndexFromBytes(future))).to.equal("version");
  });

  it("a missing file is a FILE_READ_ERROR (rebuild from the chain), not a corrupt index", async function () {
    let caught: unknown;
    try {
      await loadFingerprintIndex(path.join(dir, "absent"));
    } catch (err) {
      caught = err;
    }
    expect(isCrossproofError(caught, "FILE_READ_ERROR")).to.equal(true);
  });

  it("a well-sealed file whose header lies about its content is refused as content", function () {
    // Re-seal a file whose works list claims more frames than it has: the digest passes, the content check does not.
    const b = Buffer.from(bytes);
    const headerLength = b.readUInt32LE(12);
    const header = b.subarray(16, 16 + headerLength).toString("utf8");
    const lied = header.replace('"frames":200', '"frames":201').replace(/ {1}$/, "");
    expect(lied).to.not.equal(header);
    const body = Buffer.concat([
      b.subarray(0, 16),
      Buffer.from(lied.padEnd(headerLength, " ")),
      b.subarray(16 + headerLength, b.length - 32),
    ]);
    const sealed = Buffer.concat([body, createHash("sha256").update(body).digest()]);
    expect(reason(() => fingerprintIndexFromBytes(sealed))).to.equal("content");
  });
});
