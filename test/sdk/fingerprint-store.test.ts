import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FINGERPRINT_INDEX_FILE_VERSION,
  FingerprintIndex,
  fingerprintDigest,
  fingerprintIndexFileFromBytes,
  fingerprintIndexFromBytes,
  hashToHex,
  isCrossproofError,
  loadFingerprintIndex,
  loadFingerprintIndexFile,
  saveFingerprintIndex,
  type Fingerprint,
} from "../../sdk/src";

/**
 * A version 1 file, as the SDK wrote it before version 2 (commit 0ca7970, `fingerprintIndexChunks`): radius 9;
 * work-a 4 frames (0x8c3e3e1e0f1b1762, 0x123456789abcdef0, 0xdeadbeeffeedface, 0x0f0f0f0ff0f0f0f0 at 0–1500 ms,
 * 500 ms apart) and 6 Chromaprint values; work-b none and 3 values (10, 20, 30); work-c 3 frames (1·2^32+4, 2·2^32+5,
 * 3·2^32+6 at 0, 1000, 2000 ms) and no sound.
 */
const VERSION_1_FILE =
  "Q1BGUElEWAABAAAAgAEAAHsiZm9ybWF0IjoiY3Jvc3Nwcm9vZi1maW5nZXJwcmludC1pbmRleCIsInZlcnNpb24iOjEsInJhZGl1cyI6OSwiZnJh" +
  "bWVIYXNoIjoiZGN0LXBoYXNoLTY0IiwiZnJhbWVzIjo3LCJhdWRpb0l0ZW1zIjo5LCJ3b3JrcyI6W3siaWQiOiJ3b3JrLWEiLCJmcmFtZXMiOjQs" +
  "ImZyYW1lTXMiOjUwMCwiYXVkaW9JdGVtcyI6NiwiaXRlbU1zIjoxMjMuODA5NTIzODA5NTIzODF9LHsiaWQiOiJ3b3JrLWIiLCJmcmFtZXMiOjAs" +
  "ImZyYW1lTXMiOjUwMCwiYXVkaW9JdGVtcyI6MywiaXRlbU1zIjoxMjMuODA5NTIzODA5NTIzODF9LHsiaWQiOiJ3b3JrLWMiLCJmcmFtZXMiOjMs" +
  "ImZyYW1lTXMiOjEwMDAsImF1ZGlvSXRlbXMiOjAsIml0ZW1NcyI6MTIzLjgwOTUyMzgwOTUyMzgxfV19ICAgIB4+Pox4VjQS776t3g8PDw8BAAAA" +
  "AgAAAAMAAABiFxsP8N68ms767f7w8PDwBAAAAAUAAAAGAAAAAAAAAPQBAADoAwAA3AUAAAAAAADoAwAA0AcAAHf5TSEBAAAAAgAAAP////9NAAAA" +
  "TeZAuwoAAAAUAAAAHgAAAJZ54/hEwylxRUfz9xSUs3ZJ410fcSpXBIe+PJ9h8lIR";

/** A file's header re-written by `edit`, padded to the same length, and sealed again. */
function resealed(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Buffer {
  const b = Buffer.from(bytes);
  const headerLength = b.readUInt32LE(12);
  const header = JSON.parse(b.subarray(16, 16 + headerLength).toString("utf8")) as Record<string, unknown>;
  edit(header);
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const fixed = Buffer.from(b.subarray(0, 16));
  fixed.writeUInt32LE(json.length, 12);
  const body = Buffer.concat([fixed, json, b.subarray(16 + headerLength, b.length - 32)]);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

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
    future.writeUInt32LE(FINGERPRINT_INDEX_FILE_VERSION + 1, 8);
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

  it("the file (version 3) records each work's fingerprint digest and the frames' views; saved again, the same bytes", async function () {
    const digests = new Map(works.map((fp, w) => [`work-${w}`, fingerprintDigest(fp)]));
    await saveFingerprintIndex(index, `${file}.v2`, { fingerprints: digests });
    const loaded = await loadFingerprintIndexFile(`${file}.v2`);
    expect(loaded.fileVersion).to.equal(3);
    // The frames' partial views (extractor version 2) are kept: a work with views, saved and loaded.
    const withViews = fingerprint(next, 30, 0);
    const view = (): { hashes: string[]; mirrored: string[] } => ({
      hashes: withViews.video!.hashes.map(() => hashToHex((BigInt(next()) << 32n) | BigInt(next()))),
      mirrored: withViews.video!.hashes.map(() => hashToHex((BigInt(next()) << 32n) | BigInt(next()))),
    });
    withViews.video!.views = { maskTop: view(), maskBottom: view(), zoom: view() };
    const small = new FingerprintIndex({ radius: 9 });
    small.add("with-views", withViews);
    await saveFingerprintIndex(small, `${file}.views`);
    const reloaded = (await loadFingerprintIndexFile(`${file}.views`)).index.columns();
    expect(reloaded.views!.map((v) => [...v.hi, ...v.lo])).to.deep.equal(
      small.columns().views!.map((v) => [...v.hi, ...v.lo]),
    );
    expect(reloaded.views![2]!.hi[7]).to.equal(parseInt(withViews.video!.views.zoom.hashes[7]!.slice(0, 8), 16));
    expect([...loaded.fingerprints!]).to.deep.equal([...digests]);
    expect(loaded.index.columns().works).to.deep.equal(index.columns().works);
    const clip = excerpt(works[7]!, 40, 80);
    expect(loaded.index.match(clip)).to.deep.equal(index.match(clip));
    await saveFingerprintIndex(loaded.index, `${file}.v2.2`, { fingerprints: loaded.fingerprints! });
    expect(Buffer.compare(readFileSync(`${file}.v2.2`), readFileSync(`${file}.v2`))).to.equal(0);
    // Saved without digests: none recorded.
    expect((await loadFingerprintIndexFile(file)).fingerprints).to.equal(null);
    // An empty index with its (empty) list of digests is not one without.
    await saveFingerprintIndex(new FingerprintIndex(), `${file}.empty`, { fingerprints: new Map() });
    const empty = await loadFingerprintIndexFile(`${file}.empty`);
    expect(empty.fingerprints).to.deep.equal(new Map());
    expect(empty.index.workCount).to.equal(0);
  });

  it("the digests must name every work of the index, no other, as lower-case 0x hex", async function () {
    const digests = new Map(works.map((fp, w) => [`work-${w}`, fingerprintDigest(fp)]));
    const refused = async (m: Map<string, string>): Promise<string> => {
      try {
        await saveFingerprintIndex(index, `${file}.bad`, { fingerprints: m });
      } catch (err) {
        expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true);
        return (err as Error).message;
      }
      return expect.fail("saved");
    };
    const less = new Map(digests);
    less.delete("work-4");
    expect(await refused(less)).to.match(/no digest for work work-4/);
    expect(await refused(new Map([...digests, ["work-99", fingerprintDigest(works[0]!)]]))).to.match(/work-99/);
    expect(await refused(new Map([...digests, ["work-2", "0xABC"]]))).to.match(/not a digest/);
  });

  it("a sealed version 2 header whose digests do not fit its works is refused as header", async function () {
    const digests = new Map(works.map((fp, w) => [`work-${w}`, fingerprintDigest(fp)]));
    await saveFingerprintIndex(index, `${file}.v2h`, { fingerprints: digests });
    const v2 = readFileSync(`${file}.v2h`);
    expect(fingerprintIndexFileFromBytes(resealed(v2, () => undefined)).fingerprints!.size).to.equal(20);
    const oneShort = resealed(v2, (h) => (h.fingerprints as string[]).pop());
    expect(reason(() => fingerprintIndexFromBytes(oneShort))).to.equal("header");
    const upper = resealed(v2, (h) => {
      const d = h.fingerprints as string[];
      d[0] = d[0]!.toUpperCase().replace("0X", "0x");
    });
    expect(reason(() => fingerprintIndexFromBytes(upper))).to.equal("header");
    // A version 1 file cannot carry them.
    const v1 = Buffer.from(VERSION_1_FILE, "base64");
    expect(reason(() => fingerprintIndexFromBytes(resealed(v1, (h) => (h.fingerprints = null))))).to.equal("header");
  });

  it("a version 1 file written by the previous SDK still loads: same works, columns, no digests", function () {
    const loaded = fingerprintIndexFileFromBytes(Buffer.from(VERSION_1_FILE, "base64"));
    expect(loaded.fileVersion).to.equal(1);
    expect(loaded.fingerprints).to.equal(null);
    const c = loaded.index.columns();
    expect(c.radius).to.equal(9);
    expect(c.works.map((w) => [w.id, w.frames, w.frameMs, w.audioItems])).to.deep.equal([
      ["work-a", 4, 500, 6],
      ["work-b", 0, 500, 3],
      ["work-c", 3, 1000, 0],
    ]);
    expect([...c.hi]).to.deep.equal([0x8c3e3e1e, 0x12345678, 0xdeadbeef, 0x0f0f0f0f, 1, 2, 3]);
    expect([...c.lo]).to.deep.equal([0x0f1b1762, 0x9abcdef0, 0xfeedface, 0xf0f0f0f0, 4, 5, 6]);
    expect([...c.timesMs]).to.deep.equal([0, 500, 1000, 1500, 0, 1000, 2000]);
    expect([...c.audio]).to.deep.equal([558758263, 1, 2, 4294967295, 77, 3141592653, 10, 20, 30]);
  });
});
