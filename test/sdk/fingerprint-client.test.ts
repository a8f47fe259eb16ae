import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EmbeddedContentStore,
  canonicalJson,
  checkFingerprintDigest,
  computeCid,
  encodeFingerprint,
  fingerprintDigest,
  isCrossproofError,
  loadFingerprint,
  storeFingerprint,
  type Fingerprint,
} from "../../sdk/src";

/** A small well-formed fingerprint (values as the extractor writes them). */
const sample = (): Fingerprint => ({
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
  durationMs: 1000,
  video: {
    timesMs: [0, 500],
    hashes: ["f741abf0c045e399", "ec9da8b74e90a89a"],
    mirrored: ["a214fea19512b6ee", "b9c8a9e21b85b8cb"],
  },
  sceneCutsMs: [],
  audio: { chromaprint: [558758263, 4294967295], itemMs: (1365 / 11025) * 1000 },
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(isCrossproofError(err), String(err)).to.equal(true);
    return (err as { code: string }).code;
  }
  return expect.fail("accepted");
}

describe("fingerprint files in a content store", function () {
  let dir: string;
  let store: EmbeddedContentStore;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-fpstore-"));
    store = await EmbeddedContentStore.open(dir);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the canonical bytes: the CID is theirs, the digest the work record's", async function () {
    const fp = sample();
    const stored = await storeFingerprint(store, fp);
    expect(stored.cid).to.equal(await computeCid(encodeFingerprint(fp)));
    expect(stored.digest).to.equal(fingerprintDigest(fp));
    expect(stored.size).to.equal(encodeFingerprint(fp).length);
    const { fingerprint } = await loadFingerprint(store, stored.cid, {
      digest: stored.digest.toUpperCase().replace("0X", "0x"),
    });
    expect(fingerprint).to.deep.equal(fp);
  });

  it("attack: a file that is not the one whose digest is on record, or not a fingerprint at all", async function () {
    const fp = sample();
    const other = { ...sample(), durationMs: 2000 };
    const stored = await storeFingerprint(store, other);
    expect(await codeOf(loadFingerprint(store, stored.cid, { digest: fingerprintDigest(fp) }))).to.equal(
      "FINGERPRINT_DIGEST_MISMATCH",
    );
    expect(await codeOf(() => checkFingerprintDigest(other, fingerprintDigest(fp)))).to.equal(
      "FINGERPRINT_DIGEST_MISMATCH",
    );
    const notJson = await store.put(new TextEncoder().encode("not a fingerprint"));
    expect(await codeOf(loadFingerprint(store, notJson))).to.equal("FINGERPRINT_INVALID");
    const wrongVersion = await store.put(new TextEncoder().encode(canonicalJson({ ...fp, version: 2 })));
    expect(await codeOf(loadFingerprint(store, wrongVersion))).to.equal("FINGERPRINT_INVALID");
    const tooBig = await store.put(encodeFingerprint(fp));
    expect(await codeOf(loadFingerprint(store, tooBig, { maxBytes: 16 }))).to.equal("CONTENT_STORE_ERROR");
  });
});
