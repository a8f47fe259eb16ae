import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CrossproofError,
  EvidenceCategory,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_V1,
  buildManifest,
  canonicalManifest,
  certificateChainHash,
  instantOf,
  isCrossproofError,
  manifestHash,
  normalizeText,
  parseManifest,
  prepareManifest,
  sha256Hex,
  unicodeTextIssues,
  type AcquisitionRecord,
  type EvidenceManifestInput,
  type ManifestIssue,
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

/** A format 1 manifest, as the SDK wrote them before format 2. */
function v1Sample(): EvidenceManifestInput {
  return { ...sample(), format: MANIFEST_FORMAT_V1 };
}

/** A forensic image with every format 2 field. */
function fullV2(): EvidenceManifestInput & { acquisition: AcquisitionRecord } {
  return {
    format: MANIFEST_FORMAT,
    category: EvidenceCategory.FORENSIC_IMAGE,
    files: [
      { path: "image/disk0.E01", size: 64_424_509_440, sha256: sha256Hex("e01"), mediaType: "application/x-ewf" },
      { path: "notes/photo-1.jpg", size: 2_311_042, sha256: sha256Hex("photo"), mediaType: "image/jpeg" },
    ],
    acquisition: {
      tool: {
        name: "FTK Imager",
        version: "4.7.1.2",
        validation: {
          reference: "Lab validation report VAL-2026-014 (NIST CFTT test plan, disk imaging)",
          date: "2026-03-02",
          documentSha256: sha256Hex("validation report"),
        },
      },
      method: "forensic-image",
      methodDescription: "Live image of the running laptop's internal SSD through a hardware write blocker",
      methodJustification: "Full-disk encryption unlocked only while running: a dead-box image would be unreadable",
      collector: { name: "Inspectrice Hélène Durand", organisation: "Agence FR", memberId: 1 },
      witnesses: [{ name: "Brigadier Paul Lefèvre", organisation: "Agence FR", role: "second officer" }],
      startedAt: "2026-11-28T09:02:11+01:00",
      collectedAt: "2026-11-28T09:02:11+01:00",
      endedAt: "2026-11-28T11:47:53.250+01:00",
      timeZone: "Europe/Paris",
      source: { location: "Office 3, 12 rue de l'Exemple, Lyon" },
      devices: [
        {
          kind: "computer",
          make: "Lenovo",
          model: "ThinkPad T14 Gen 4",
          serialNumber: "PF-4XK2Q9",
          identifiers: [{ scheme: "exhibit", value: "FR-2026-0042/EX-1" }],
          capacityBytes: 512_110_190_592,
          state: {
            power: "on",
            description: "Screen unlocked, Wi-Fi connected; disconnected from the network at 09:01",
          },
          verification: {
            performed: true,
            hashes: [
              {
                algorithm: "md5",
                source: "9e107d9d372bb6826bd81d3542a419d6",
                copy: "9e107d9d372bb6826bd81d3542a419d6",
              },
              { algorithm: "sha-256", source: sha256Hex("disk"), copy: sha256Hex("disk") },
            ],
            copyFile: "image/disk0.E01",
          },
        },
        {
          kind: "removable-medium",
          description: "Unlabelled 32 GB USB stick found in the laptop",
          state: { power: "off" },
          verification: { performed: false, reason: "The stick's controller failed during the read" },
        },
      ],
      webCapture: {
        userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        resolvedAddresses: ["192.0.2.10", "2001:db8::10"],
        dnsAnswers: [
          { name: "streams.example", type: "A", value: "192.0.2.10", ttl: 300 },
          { name: "streams.example", type: "AAAA", value: "2001:db8::10", ttl: 300 },
        ],
        resolver: "192.0.2.53 (agency resolver)",
        tls: {
          certificateChainSha256: sha256Hex("chain"),
          protocol: "TLSv1.3",
          cipherSuite: "TLS_AES_128_GCM_SHA256",
          serverName: "streams.example",
        },
        egressAddress: "198.51.100.7",
        httpStatus: 200,
      },
      legalAuthority: {
        reference: "Ordonnance du juge d'instruction n° 2026/118",
        issuedBy: "Tribunal judiciaire de Lyon",
        issuedOn: "2026-11-27",
        jurisdiction: "FR",
        documentSha256: sha256Hex("order"),
      },
      deviations: [
        {
          description: "The laptop was disconnected from Wi-Fi before imaging, changing its network state",
          justification: "To stop remote wiping",
          responsible: "Inspectrice Hélène Durand",
          at: "2026-11-28T09:01:00+01:00",
        },
      ],
      jurisdiction: { collecting: "FR" },
      notes: "Photographs of the scene in notes/.",
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

  it("hashes exactly what it is given: parsing changes nothing", async function () {
    for (const m of [sample(), fullV2(), v1Sample()]) {
      expect(parseManifest(m)).to.deep.equal(m);
      expect(await manifestHash(m)).to.equal(`0x${sha256Hex(Buffer.from(await canonicalManifest(m), "utf8"))}`);
    }
    // A different character is a different hash.
    const other = sample();
    other.acquisition.collector.name = "Inspectrice Helene Durand";
    expect(await manifestHash(other)).not.to.equal(await manifestHash(sample()));
  });

  it("refuses text that is not NFC when hashing, naming where, instead of changing it", async function () {
    const nfd = sample();
    nfd.acquisition.collector.name = "Inspectrice Hélène Durand".normalize("NFD");
    nfd.files[0]!.path = "capture/vidéo.mp4".normalize("NFD");
    for (const f of [manifestHash, canonicalManifest]) {
      const err = await f(nfd).then(
        () => expect.fail("hashed a manifest that is not NFC"),
        (e: unknown) => e,
      );
      expect(isCrossproofError(err, "INVALID_MANIFEST")).to.equal(true);
      const issues = (err as CrossproofError).details!.issues as ManifestIssue[];
      expect(issues.filter((i) => i.code === "not_nfc").map((i) => i.path)).to.deep.equal([
        "files.0.path",
        "acquisition.collector.name",
      ]);
    }
    expect(unicodeTextIssues({ ["cle\u0301"]: "x" })).to.deep.equal([
      {
        path: "clé".normalize("NFD"),
        code: "not_nfc",
        message: "the key is not in Unicode NFC (normalise text where it is entered, e.g. with normalizeText)",
      },
    ]);
    // Lone surrogates are not Unicode text (RFC 8785 takes I-JSON): refused too.
    const lone = sample();
    lone.acquisition.notes = "broken \ud800 text";
    expect(() => parseManifest(lone))
      .to.throw(CrossproofError)
      .with.property("details")
      .that.deep.equals({
        issues: [
          {
            path: "acquisition.notes",
            code: "not_well_formed",
            message: "text is not well-formed Unicode (lone surrogate)",
          },
        ],
      });
  });

  it("normalises text to NFC where it is entered: prepareManifest, buildManifest, normalizeText", async function () {
    const nfd = sample();
    nfd.acquisition.collector.name = "Inspectrice Hélène Durand".normalize("NFD");
    nfd.files[0]!.path = "capture/vidéo.mp4".normalize("NFD");
    const nfc = sample();
    nfc.files[0]!.path = "capture/vidéo.mp4".normalize("NFC");
    expect(prepareManifest(nfd)).to.deep.equal(nfc);
    expect(await manifestHash(prepareManifest(nfd))).to.equal(await manifestHash(nfc));
    expect(normalizeText({ ["cle\u0301"]: ["e\u0301"], n: 1 })).to.deep.equal({ clé: ["é"], n: 1 });

    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-manifest-"));
    try {
      writeFileSync(path.join(dir, "v.mp4"), "video bytes");
      const m = await buildManifest({
        files: [{ path: "vidéo.mp4".normalize("NFD"), source: path.join(dir, "v.mp4") }],
        category: EvidenceCategory.VIDEO_CAPTURE,
        acquisition: nfd.acquisition,
      });
      expect(m.format).to.equal(MANIFEST_FORMAT);
      expect(m.files[0]!.path).to.equal("vidéo.mp4".normalize("NFC"));
      expect(m.acquisition.collector.name).to.equal("Inspectrice Hélène Durand".normalize("NFC"));
      expect(unicodeTextIssues(m)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

/** The paths of the issues an invalid manifest is refused with. */
function refusedPaths(value: unknown): string[] {
  try {
    parseManifest(value);
  } catch (err) {
    expect(isCrossproofError(err, "INVALID_MANIFEST")).to.equal(true);
    return ((err as CrossproofError).details!.issues as ManifestIssue[]).map((i) => i.path);
  }
  return expect.fail("accepted an invalid manifest");
}

describe("evidence manifest format 2 (ISO/IEC 27037 acquisition record)", function () {
  it("accepts the complete acquisition record", async function () {
    const m = fullV2();
    expect(parseManifest(m)).to.deep.equal(m);
    expect(await manifestHash(m)).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("keeps format 1 manifests valid and hashed as before, without format 2 fields", async function () {
    const v1 = v1Sample();
    expect(parseManifest(v1)).to.deep.equal(v1);
    expect(await manifestHash(v1)).not.to.equal(await manifestHash(sample()));
    // Format 1 knows none of the new fields, and keeps its old rules (method `other` without a description).
    expect(refusedPaths({ ...v1, acquisition: { ...v1.acquisition, witnesses: [{ name: "W" }] } })).to.deep.equal([
      "acquisition",
    ]);
    const other = v1Sample();
    other.acquisition.method = "other";
    expect(parseManifest(other)).to.deep.equal(other);
  });

  it("requires each method's essentials", function () {
    const image = fullV2();
    delete image.acquisition.devices;
    expect(refusedPaths(image)).to.deep.equal(["acquisition.devices"]);

    const unverified = fullV2();
    delete unverified.acquisition.devices![1]!.verification;
    expect(refusedPaths(unverified)).to.deep.equal(["acquisition.devices.1.verification"]);

    const live = fullV2();
    delete live.acquisition.methodJustification;
    expect(refusedPaths(live)).to.deep.equal(["acquisition.methodJustification"]);

    const seizure = sample();
    seizure.acquisition.method = "seizure";
    expect(refusedPaths(seizure)).to.deep.equal(["acquisition.devices"]);

    const archive = sample();
    archive.acquisition.method = "web-archive";
    archive.acquisition.source = { platform: "Streamly" };
    expect(refusedPaths(archive)).to.deep.equal(["acquisition.source.url"]);

    const other = sample();
    other.acquisition.method = "other";
    expect(refusedPaths(other)).to.deep.equal(["acquisition.methodDescription", "acquisition.methodJustification"]);
  });

  it("checks the acquisition period, the verification and the device identification", function () {
    const halfPeriod = fullV2();
    delete halfPeriod.acquisition.endedAt;
    expect(refusedPaths(halfPeriod)).to.deep.equal(["acquisition.endedAt"]);

    const backwards = fullV2();
    backwards.acquisition.endedAt = "2026-11-28T08:00:00Z"; // 09:00 in Paris, before the start at 09:02
    expect(refusedPaths(backwards)).to.deep.equal(["acquisition.endedAt"]);

    const outside = fullV2();
    outside.acquisition.collectedAt = "2026-11-28T12:00:00+01:00";
    expect(refusedPaths(outside)).to.deep.equal(["acquisition.collectedAt"]);

    const mismatch = fullV2();
    const verification = mismatch.acquisition.devices![0]!.verification as { hashes: { copy: string }[] };
    verification.hashes[1]!.copy = sha256Hex("another disk");
    delete mismatch.acquisition.deviations;
    expect(refusedPaths(mismatch)).to.deep.equal(["acquisition.deviations"]);

    const shortDigest = fullV2();
    (shortDigest.acquisition.devices![0]!.verification as { hashes: { source: string }[] }).hashes[0]!.source = "9e10";
    expect(refusedPaths(shortDigest)).to.deep.equal(["acquisition.devices.0.verification.hashes.0.source"]);

    const strayCopy = fullV2();
    (strayCopy.acquisition.devices![0]!.verification as { copyFile: string }).copyFile = "image/disk1.E01";
    expect(refusedPaths(strayCopy)).to.deep.equal(["acquisition.devices.0.verification.copyFile"]);

    const anonymous = fullV2();
    delete anonymous.acquisition.devices![1]!.description;
    expect(refusedPaths(anonymous)).to.deep.equal(["acquisition.devices.1"]);
  });

  it("checks the web-capture context", function () {
    const m = fullV2();
    const web = m.acquisition.webCapture!;
    web.resolvedAddresses = ["192.0.2.300", "2001:DB8::10"];
    web.dnsAnswers![0]!.name = "Streams.Example";
    web.tls!.certificateChainSha256 = "00";
    delete (web as { userAgent?: string }).userAgent;
    expect(refusedPaths(m)).to.deep.equal([
      "acquisition.webCapture.userAgent",
      "acquisition.webCapture.resolvedAddresses.0",
      "acquisition.webCapture.resolvedAddresses.1",
      "acquisition.webCapture.dnsAnswers.0.name",
      "acquisition.webCapture.tls.certificateChainSha256",
    ]);
  });

  it("refuses date-times that do not exist", function () {
    expect(instantOf("2026-11-28T10:15:00.000000001+01:00")).to.equal(1_795_857_300_000_000_001n);
    expect(instantOf("2026-11-28T09:15:00Z")).to.equal(1_795_857_300_000_000_000n);
    for (const bad of [
      "2026-02-30T10:00:00Z",
      "2026-11-28T24:00:00Z",
      "2026-11-28T10:00:60Z",
      "2026-11-28T10:00:00+24:00",
    ]) {
      expect(instantOf(bad) === undefined, bad).to.equal(true);
      const m = sample();
      m.acquisition.collectedAt = bad;
      expect(refusedPaths(m), bad).to.deep.equal(["acquisition.collectedAt"]);
    }
    expect(instantOf("2028-02-29T00:00:00Z")).to.equal(1_835_395_200_000_000_000n);
    const m = fullV2();
    m.acquisition.legalAuthority!.issuedOn = "2026-02-29";
    expect(refusedPaths(m)).to.deep.equal(["acquisition.legalAuthority.issuedOn"]);
  });

  it("hashes a TLS certificate chain as its DER certificates concatenated, leaf first", function () {
    const leaf = Buffer.from("3003020101", "hex");
    const ca = Buffer.from("3003020102", "hex");
    expect(certificateChainHash([leaf, ca])).to.equal(sha256Hex(Buffer.concat([leaf, ca])));
    expect(certificateChainHash([ca, leaf])).not.to.equal(certificateChainHash([leaf, ca]));
    expect(() => certificateChainHash([])).to.throw(CrossproofError);
  });
});
