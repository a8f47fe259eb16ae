import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EvidenceCategory,
  MANIFEST_FORMAT,
  buildManifest,
  canonicalManifest,
  isCrossproofError,
  manifestHash,
  parseManifest,
  sha256Hex,
  type EvidenceManifestInput,
} from "../../sdk/src";

function sample(): EvidenceManifestInput {
  return {
    format: MANIFEST_FORMAT,
    category: EvidenceCategory.VIDEO_CAPTURE,
    files: [
      { path: "capture/stream.mp4", size: 11, sha256: sha256Hex("video bytes"), mediaType: "video/mp4" },
      { path: "capture/page.html", size: 4, sha256: sha256Hex("html"), mediaType: "text/html" },
    ],
    acquisition: {
      tool: { name: "crossproof-capture", version: "1.4.2" },
      method: "screen-recording",
      collector: { name: "Inspectrice Hélène Durand", organisation: "Agence FR", memberId: 1 },
      collectedAt: "2026-11-28T10:15:00+01:00",
      timeZone: "Europe/Paris",
      source: { url: "https://streams.example/live/123", platform: "Streamly", account: "uploader-77" },
      jurisdiction: { collecting: "FR", firstUpload: "US", primaryDissemination: "DE" },
    },
  };
}

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reverseKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

describe("evidence manifest", function () {
  it("canonicalises per RFC 8785: sorted keys, no white space, UTF-8 text", async function () {
    const c = await canonicalManifest(sample());
    expect(c.startsWith('{"acquisition":{"collectedAt":"2026-11-28T10:15:00+01:00","collector":{')).to.equal(true);
    expect(c).to.contain('"name":"Inspectrice Hélène Durand"');
    expect(c).not.to.match(/\s"|":\s/);
    // Key order in the input changes nothing.
    expect(await canonicalManifest(reverseKeys(sample()) as EvidenceManifestInput)).to.equal(c);
    expect(await manifestHash(reverseKeys(sample()) as EvidenceManifestInput)).to.equal(await manifestHash(sample()));
    expect(await manifestHash(sample())).to.equal(`0x${sha256Hex(Buffer.from(c, "utf8"))}`);
  });

  it("hashes the same text the same whatever its Unicode normalisation", async function () {
    const nfd = sample();
    nfd.acquisition.collector.name = "Inspectrice Hélène Durand".normalize("NFD");
    nfd.files[0]!.path = "capture/vidéo.mp4".normalize("NFD");
    const nfc = sample();
    nfc.files[0]!.path = "capture/vidéo.mp4".normalize("NFC");
    expect(nfd.acquisition.collector.name).not.to.equal(nfc.acquisition.collector.name);
    expect(await manifestHash(nfd)).to.equal(await manifestHash(nfc));
    // A different character is a different hash.
    const other = sample();
    other.acquisition.collector.name = "Inspectrice Helene Durand";
    expect(await manifestHash(other)).not.to.equal(await manifestHash(sample()));
  });

  it("rejects malformed manifests with every problem listed", function () {
    const bad = sample() as Record<string, unknown> & EvidenceManifestInput;
    bad.files = [
      { path: "../etc/passwd", size: -1, sha256: "XYZ", mediaType: "video" },
      { path: "a", size: 1, sha256: sha256Hex("a"), mediaType: "text/plain" },
      { path: "a", size: 1, sha256: sha256Hex("a"), mediaType: "text/plain" },
    ];
    bad.acquisition = { ...bad.acquisition, collectedAt: "2026-11-28 10:15", timeZone: "Mars/Olympus" };
    bad.acquisition.jurisdiction = { collecting: "fr" };
    (bad as Record<string, unknown>).extra = true;
    try {
      parseManifest(bad);
      expect.fail("accepted a malformed manifest");
    } catch (err) {
      expect(isCrossproofError(err, "INVALID_MANIFEST")).to.equal(true);
      const message = (err as Error).message;
      for (const part of [
        "files.0.path",
        "files.0.size",
        "files.0.sha256",
        "files.0.mediaType",
        "files: file paths must be distinct",
        "acquisition.collectedAt",
        "acquisition.timeZone",
        "acquisition.jurisdiction.collecting",
        "Unrecognized key(s) in object: 'extra'",
      ]) {
        expect(message).to.contain(part);
      }
    }
    expect(() => parseManifest({ ...sample(), format: "other/1" })).to.throw(/format/);
    expect(() => parseManifest({ ...sample(), files: [] })).to.throw(/files/);
    const noSource = sample();
    noSource.acquisition.source = {};
    expect(() => parseManifest(noSource)).to.throw(/acquisition.source/);
  });

  it("builds a manifest from files on disk, with progress", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-manifest-"));
    try {
      writeFileSync(path.join(dir, "a.mp4"), "video bytes");
      writeFileSync(path.join(dir, "b.bin"), Buffer.alloc(3_000_000, 1));
      const progress: number[] = [];
      const m = await buildManifest({
        files: [
          { path: "a.mp4", source: path.join(dir, "a.mp4") },
          { path: "raw/b.bin", source: path.join(dir, "b.bin") },
        ],
        category: EvidenceCategory.VIDEO_CAPTURE,
        acquisition: sample().acquisition,
        onProgress: (n) => progress.push(n),
      });
      expect(m.files).to.deep.equal([
        { path: "a.mp4", size: 11, sha256: sha256Hex("video bytes"), mediaType: "video/mp4" },
        {
          path: "raw/b.bin",
          size: 3_000_000,
          sha256: sha256Hex(Buffer.alloc(3_000_000, 1)),
          mediaType: "application/octet-stream",
        },
      ]);
      expect(progress.at(-1)).to.equal(3_000_011);
      expect(progress.length).to.be.greaterThan(2);
      await buildManifest({
        files: [{ path: "missing", source: path.join(dir, "missing") }],
        category: 1,
        acquisition: sample().acquisition,
      }).then(
        () => expect.fail("hashed a missing file"),
        (err: unknown) => expect(isCrossproofError(err, "FILE_READ_ERROR")).to.equal(true),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
