import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { calculateJwkThumbprint, exportJWK, generalDecrypt, generateKeyPair, importJWK, type GeneralJWE } from "jose";
import {
  EmbeddedContentStore,
  EvidenceCategory,
  buildManifest,
  computeDirectoryCid,
  decryptStream,
  encryptStream,
  generateRecipientKey,
  isCrossproofError,
  manifestHash,
  openPackage,
  readPackageHeader,
  rewrapPackage,
  sealPackage,
  sha256Hex,
  type CrossproofError,
  type CrossproofErrorCode,
  type EvidenceManifest,
  type PackageFileSource,
  type RecipientPrivateKey,
  type RecipientPublicKey,
} from "../../sdk/src";
import { collect, deterministicStream } from "../helpers/streams";

async function expectCode(promise: Promise<unknown>, code: CrossproofErrorCode): Promise<void> {
  await promise.then(
    () => expect.fail(`expected ${code}`),
    (err: unknown) => expect(isCrossproofError(err, code), `expected ${code}, got ${String(err)}`).to.equal(true),
  );
}

const acquisition = {
  tool: { name: "crossproof-capture", version: "1.0.0" },
  method: "screen-recording" as const,
  collector: { name: "Officer A" },
  collectedAt: "2026-11-28T10:15:00+01:00",
  source: { url: "https://streams.example/live/123" },
  jurisdiction: { collecting: "FR" },
};

/** age v1 layout: text header ending in "--- <mac>\n", a 16-byte nonce, then 64 KiB + 16-byte chunks. */
function payloadStart(ciphertext: Buffer): number {
  const mac = ciphertext.indexOf("\n--- ");
  return ciphertext.indexOf("\n", mac + 1) + 1 + 16;
}
const CHUNK = 64 * 1024 + 16;

describe("evidence packages (encryption for recipients)", function () {
  this.timeout(600_000);
  let dir: string;
  let store: EmbeddedContentStore;
  let de: { publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey };
  let fr: { publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey };
  let outsider: { publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey };
  let files: PackageFileSource[];
  let manifest: EvidenceManifest;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-package-"));
    store = await EmbeddedContentStore.open(path.join(dir, "store"));
    de = await generateRecipientKey("de-court", "X25519");
    fr = await generateRecipientKey("fr-agency", "P-256");
    outsider = await generateRecipientKey("outsider");
    writeFileSync(path.join(dir, "capture.mp4"), await collect(deterministicStream(5 * 1024 * 1024 + 3, "capture")));
    writeFileSync(path.join(dir, "notes.txt"), "seal no. 4711, hash verified on site\n");
    files = [
      { path: "capture.mp4", source: path.join(dir, "capture.mp4") },
      { path: "docs/notes.txt", source: path.join(dir, "notes.txt") },
    ];
    manifest = await buildManifest({ files, category: EvidenceCategory.VIDEO_CAPTURE, acquisition });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("seals for several recipients; each opens it with its own key and gets the same verified files", async function () {
    const sealed = await sealPackage({ manifest, files, recipients: [de.publicKey, fr.publicKey], store });
    expect(sealed.contentHash).to.equal(await manifestHash(manifest));
    expect(await readPackageHeader(store, sealed.cid)).to.deep.equal({
      format: "crossproof-package/1",
      contentHash: sealed.contentHash,
      recipients: ["de-court", "fr-agency"],
    });
    for (const who of [de, fr]) {
      const out = path.join(dir, `out-${who.privateKey.kid}`);
      const opened = await openPackage({
        cid: sealed.cid,
        store,
        recipientKey: who.privateKey,
        outputDir: out,
        expectedContentHash: sealed.contentHash,
      });
      expect(opened.manifest).to.deep.equal(manifest);
      expect(readFileSync(path.join(out, "capture.mp4")).equals(readFileSync(files[0]!.source))).to.equal(true);
      expect(readFileSync(path.join(out, "docs/notes.txt"), "utf8")).to.equal("seal no. 4711, hash verified on site\n");
      expect(opened.files.map((f) => sha256Hex(readFileSync(f.outputPath)))).to.deep.equal(
        manifest.files.map((f) => f.sha256),
      );
    }
    // Nothing in the store is plaintext.
    const stored = await collect(store.get(`${sealed.cid}/files/1`));
    expect(stored.includes(Buffer.from("seal no. 4711"))).to.equal(false);
  });

  it("refuses keys that are not recipients, impostor keys and a package that is not the anchored one", async function () {
    const sealed = await sealPackage({ manifest, files, recipients: [de.publicKey], store });
    const out = path.join(dir, "refused");
    await expectCode(
      openPackage({ cid: sealed.cid, store, recipientKey: outsider.privateKey, outputDir: out }),
      "NOT_A_RECIPIENT",
    );
    // Another key presented under the recipient's key id.
    await expectCode(
      openPackage({
        cid: sealed.cid,
        store,
        recipientKey: { ...outsider.privateKey, kid: "de-court" },
        outputDir: out,
      }),
      "DECRYPTION_FAILED",
    );
    await expectCode(
      openPackage({
        cid: sealed.cid,
        store,
        recipientKey: de.privateKey,
        outputDir: out,
        expectedContentHash: `0x${"00".repeat(32)}`,
      }),
      "MANIFEST_HASH_MISMATCH",
    );
  });

  it("refuses to seal a file that changed after the manifest was built, and loses nothing", async function () {
    const changing = path.join(dir, "changing.txt");
    writeFileSync(changing, "original");
    const m = await buildManifest({ files: [{ path: "c.txt", source: changing }], category: 1, acquisition });
    writeFileSync(changing, "tampered");
    await expectCode(
      sealPackage({ manifest: m, files: [{ path: "c.txt", source: changing }], recipients: [de.publicKey], store }),
      "FILE_HASH_MISMATCH",
    );
    await expectCode(sealPackage({ manifest, files, recipients: [], store }), "INVALID_ARGUMENT");
    await expectCode(
      sealPackage({ manifest, files: files.slice(1), recipients: [de.publicKey], store }),
      "INVALID_ARGUMENT",
    );
  });

  it("detects a tampered envelope and tampered file streams in a stored package", async function () {
    const sealed = await sealPackage({ manifest, files, recipients: [de.publicKey], store });
    const envelope = JSON.parse((await collect(store.get(`${sealed.cid}/envelope.jwe.json`))).toString("utf8"));
    const file0 = await collect(store.get(`${sealed.cid}/files/0`));
    const file1 = await collect(store.get(`${sealed.cid}/files/1`));
    const rebuild = (env: unknown, f0: Uint8Array) =>
      store.putDirectory([
        { path: "envelope.jwe.json", content: new TextEncoder().encode(JSON.stringify(env)) },
        { path: "files/0", content: f0 },
        { path: "files/1", content: file1 },
      ]);
    const out = path.join(dir, "tampered");

    const badEnvelope = { ...envelope, ciphertext: "A" + envelope.ciphertext.slice(1) };
    await expectCode(
      openPackage({ cid: await rebuild(badEnvelope, file0), store, recipientKey: de.privateKey, outputDir: out }),
      "DECRYPTION_FAILED",
    );
    const flipped = Buffer.from(file0);
    flipped[payloadStart(flipped) + 3 * CHUNK + 100]! ^= 1;
    await expectCode(
      openPackage({ cid: await rebuild(envelope, flipped), store, recipientKey: de.privateKey, outputDir: out }),
      "DECRYPTION_FAILED",
    );
    // The damaged file never appears under its name.
    expect(() => readFileSync(path.join(out, "capture.mp4"))).to.throw(/ENOENT/);
  });

  describe("sharing: re-wrapping the envelope for a new recipient", function () {
    let nl: { publicKey: RecipientPublicKey; privateKey: RecipientPrivateKey };
    before(async () => {
      nl = await generateRecipientKey("nl-operator", "P-256");
    });
    const opens = async (cid: string, key: RecipientPrivateKey) => {
      const out = path.join(dir, `open-${key.kid}-${cid.slice(-8)}`);
      const opened = await openPackage({ cid, store, recipientKey: key, outputDir: out });
      expect(opened.manifest).to.deep.equal(manifest);
      expect(readFileSync(path.join(out, "capture.mp4")).equals(readFileSync(files[0]!.source))).to.equal(true);
    };

    it("adds a recipient: new CID, same package hash, the very same file blocks; old and new recipients open it", async function () {
      const sealed = await sealPackage({ manifest, files, recipients: [fr.publicKey, de.publicKey], store });
      const shared = await rewrapPackage({
        cid: sealed.cid,
        store,
        holderKey: fr.privateKey,
        recipients: [nl.publicKey],
        currentRecipients: [de.publicKey],
        expectedContentHash: sealed.contentHash,
      });
      expect(shared.cid).to.not.equal(sealed.cid);
      expect(shared).to.deep.include({
        contentHash: sealed.contentHash,
        recipients: ["fr-agency", "de-court", "nl-operator"],
        added: ["nl-operator"],
      });
      expect(await readPackageHeader(store, shared.cid)).to.deep.equal({
        format: "crossproof-package/1",
        contentHash: sealed.contentHash,
        recipients: ["fr-agency", "de-court", "nl-operator"],
      });
      // The files are linked, not re-encrypted: the same blocks under both packages.
      expect(await store.resolve(`${shared.cid}/files`)).to.equal(await store.resolve(`${sealed.cid}/files`));
      for (const object of ["files/0", "files/1"]) {
        expect(await store.resolve(`${shared.cid}/${object}`)).to.equal(await store.resolve(`${sealed.cid}/${object}`));
      }
      expect(shared.files.map((f) => [f.path, f.object])).to.deep.equal([
        ["capture.mp4", "files/0"],
        ["docs/notes.txt", "files/1"],
      ]);
      // The directory is the one importing the new envelope and the same encrypted files would give.
      expect(shared.cid).to.equal(
        await computeDirectoryCid([
          { path: "envelope.jwe.json", content: await collect(store.get(`${shared.cid}/envelope.jwe.json`)) },
          { path: "files/0", content: await collect(store.get(`${sealed.cid}/files/0`)) },
          { path: "files/1", content: await collect(store.get(`${sealed.cid}/files/1`)) },
        ]),
      );
      for (const key of [nl.privateKey, fr.privateKey, de.privateKey]) await opens(shared.cid, key);
      // The new recipient can share on in turn, looking the current keys up by id.
      const known = new Map([fr.publicKey, de.publicKey].map((k) => [k.kid, k]));
      const onward = await rewrapPackage({
        cid: shared.cid,
        store,
        holderKey: nl.privateKey,
        recipients: [outsider.publicKey],
        currentRecipients: async (kid) => known.get(kid),
      });
      expect(onward.recipients).to.deep.equal(["fr-agency", "de-court", "nl-operator", "outsider"]);
      await opens(onward.cid, outsider.privateKey);
    });

    it("never drops a current recipient silently: its public key is needed, unless replace is asked", async function () {
      const sealed = await sealPackage({ manifest, files, recipients: [fr.publicKey, de.publicKey], store });
      const refused = await rewrapPackage({
        cid: sealed.cid,
        store,
        holderKey: fr.privateKey,
        recipients: [nl.publicKey],
      })
        .then(() => expect.fail("dropped de-court"))
        .catch((err: unknown) => err as CrossproofError);
      expect(refused.code).to.equal("RECIPIENT_KEY_UNKNOWN");
      expect(refused.details).to.deep.equal({ kids: ["de-court"] });
      await expectCode(
        rewrapPackage({
          cid: sealed.cid,
          store,
          holderKey: fr.privateKey,
          recipients: [nl.publicKey],
          currentRecipients: async () => undefined,
        }),
        "RECIPIENT_KEY_UNKNOWN",
      );
      const replaced = await rewrapPackage({
        cid: sealed.cid,
        store,
        holderKey: fr.privateKey,
        recipients: [nl.publicKey],
        replace: true,
      });
      expect(replaced.recipients).to.deep.equal(["nl-operator"]);
      await opens(replaced.cid, nl.privateKey);
      await expectCode(
        openPackage({ cid: replaced.cid, store, recipientKey: de.privateKey, outputDir: path.join(dir, "x") }),
        "NOT_A_RECIPIENT",
      );
    });

    it("refuses a holder that is not a recipient, an impostor key, another package, and keys that cannot receive it", async function () {
      const sealed = await sealPackage({ manifest, files, recipients: [de.publicKey], store });
      const base = { cid: sealed.cid, store, holderKey: de.privateKey, recipients: [nl.publicKey] };
      await expectCode(rewrapPackage({ ...base, holderKey: outsider.privateKey }), "NOT_A_RECIPIENT");
      await expectCode(
        rewrapPackage({ ...base, holderKey: { ...outsider.privateKey, kid: "de-court" } }),
        "DECRYPTION_FAILED",
      );
      await expectCode(
        rewrapPackage({ ...base, expectedContentHash: `0x${"00".repeat(32)}` }),
        "MANIFEST_HASH_MISMATCH",
      );
      await expectCode(rewrapPackage({ ...base, recipients: [de.publicKey] }), "ALREADY_A_RECIPIENT");
      await expectCode(rewrapPackage({ ...base, recipients: [] }), "INVALID_ARGUMENT");
      await expectCode(rewrapPackage({ ...base, recipients: [nl.publicKey, nl.publicKey] }), "INVALID_ARGUMENT");

      // A thumbprint key id binds its key: another key under it is refused (as is a resolver that swaps one).
      const { publicKey } = await generateKeyPair("ECDH-ES+A256KW", { crv: "X25519", extractable: true });
      const jwk = await exportJWK(publicKey);
      const kid = await calculateJwkThumbprint(jwk);
      const other = (await generateRecipientKey("other")).publicKey.jwk;
      const { privateKey: ed } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const edJwk = await exportJWK(ed);
      const reasons: [string, RecipientPublicKey][] = [
        ["PRIVATE_KEY_MATERIAL", { kid: "nl-private", jwk: nl.privateKey.jwk }],
        ["UNSUPPORTED_KEY_TYPE", { kid: "ed", jwk: { kty: edJwk.kty, crv: edJwk.crv, x: edJwk.x } }],
        ["UNSUPPORTED_KEY_TYPE", { kid: "rsa", jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }],
        ["MALFORMED_JWK", { kid: "short", jwk: { kty: "OKP", crv: "X25519", x: "AAAA" } }],
        ["KID_MISMATCH", { kid, jwk: { kty: other.kty, crv: other.crv, x: other.x } }],
        ["KID_MISMATCH", { kid: "nl-operator", jwk: { ...nl.publicKey.jwk, kid: "someone-else" } }],
      ];
      for (const [reason, key] of reasons) {
        const err = await rewrapPackage({ ...base, recipients: [key] }).then(
          () => expect.fail(`accepted ${key.kid}`),
          (e: unknown) => e as CrossproofError,
        );
        expect([err.code, err.details?.reason], key.kid).to.deep.equal(["RECIPIENT_KEY_INVALID", reason]);
      }
      // Under its own thumbprint the key is accepted.
      const ok = await rewrapPackage({ ...base, recipients: [{ kid, jwk }] });
      expect(ok.added).to.deep.equal([kid]);
      const swapped = await rewrapPackage({
        cid: ok.cid,
        store,
        holderKey: de.privateKey,
        recipients: [nl.publicKey],
        currentRecipients: () => ({ kid, jwk: { kty: other.kty, crv: other.crv, x: other.x } }),
      }).then(
        () => expect.fail("accepted a swapped key"),
        (e: unknown) => e as CrossproofError,
      );
      expect([swapped.code, swapped.details?.reason]).to.deep.equal(["RECIPIENT_KEY_INVALID", "KID_MISMATCH"]);
    });
  });

  describe("the package format", function () {
    // A package sealed by the SDK before the native STREAM (age-encryption's cipher), committed byte for byte:
    // test/sdk/vectors/package-v1 holds its three objects (the envelope under a name prettier leaves alone).
    const vectors = path.join(__dirname, "vectors", "package-v1");
    const legacyKey: RecipientPrivateKey = {
      kid: "legacy-court",
      jwk: {
        crv: "X25519",
        d: "wOweF-eoiQ3o-gf29YClOLpwvgv18MP_TtaCFO-Xx3M",
        x: "jRx79uYzuQGhvyeP9B_BjeMjfGylakB2Yg48mCHSjw0",
        kty: "OKP",
        kid: "legacy-court",
        alg: "ECDH-ES+A256KW",
        use: "enc",
      },
    };

    it("a package sealed before still opens", async function () {
      const cid = await store.putDirectory([
        { path: "envelope.jwe.json", content: readFileSync(path.join(vectors, "envelope.jwe")) },
        { path: "files/0", content: readFileSync(path.join(vectors, "files", "0")) },
        { path: "files/1", content: readFileSync(path.join(vectors, "files", "1")) },
      ]);
      expect(cid).to.equal("bafybeicatyhbmpexbecfyszh5dqzerjm53y7dkmmwpklesnsbnx57suowq");
      const out = path.join(dir, "legacy");
      const opened = await openPackage({
        cid,
        store,
        recipientKey: legacyKey,
        outputDir: out,
        expectedContentHash: "0x72f21cc1d7d21e68488702beed72e263c69a7b104851daee1e5823bdf3b2aaa3",
      });
      expect(opened.manifest.files.map((f) => [f.path, f.size])).to.deep.equal([
        ["capture.mp4", 65_537],
        ["docs/notes.txt", 32],
      ]);
      expect(
        readFileSync(path.join(out, "capture.mp4")).equals(await collect(deterministicStream(65_537, "sealed-before"))),
      ).to.equal(true);
      expect(readFileSync(path.join(out, "docs/notes.txt"), "utf8")).to.equal("sealed before the native STREAM\n");
    });

    it("files sealed now are age files that age-encryption opens with the envelope's file key", async function () {
      const sealed = await sealPackage({ manifest, files, recipients: [de.publicKey], store });
      const envelope = JSON.parse(
        (await collect(store.get(`${sealed.cid}/envelope.jwe.json`))).toString("utf8"),
      ) as GeneralJWE;
      const { plaintext } = await generalDecrypt(envelope, await importJWK(de.privateKey.jwk, "ECDH-ES+A256KW"));
      const payload = JSON.parse(Buffer.from(plaintext).toString("utf8")) as {
        fileKey: string;
        files: { path: string; object: string }[];
      };
      for (const f of payload.files) {
        const d = new Decrypter();
        d.addIdentity(payload.fileKey);
        const plain = Buffer.from(await d.decrypt(await collect(store.get(`${sealed.cid}/${f.object}`))));
        expect(sha256Hex(plain)).to.equal(manifest.files.find((m) => m.path === f.path)!.sha256);
      }
    });
  });

  describe("age streams", function () {
    let identity: string;
    let recipient: string;
    let plain: Buffer;
    let cipher: Buffer;
    before(async () => {
      identity = await generateX25519Identity();
      recipient = await identityToRecipient(identity);
      plain = await collect(deterministicStream(10 * 64 * 1024 + 123, "chunks"));
      cipher = await collect(
        encryptStream(
          (async function* () {
            yield plain;
          })(),
          recipient,
        ),
      );
    });
    const decrypt = (c: Buffer) =>
      collect(
        decryptStream(
          (async function* () {
            yield c;
          })(),
          identity,
        ),
      );

    it("round-trips", async function () {
      expect((await decrypt(cipher)).equals(plain)).to.equal(true);
    });

    it("detects a flipped bit, a truncation at or inside a chunk, and reordered chunks", async function () {
      const start = payloadStart(cipher);
      const flipped = Buffer.from(cipher);
      flipped[start + 2 * CHUNK + 7]! ^= 0x80;
      await expectCode(decrypt(flipped), "DECRYPTION_FAILED");
      await expectCode(decrypt(cipher.subarray(0, cipher.length - 50)), "DECRYPTION_FAILED");
      await expectCode(decrypt(cipher.subarray(0, start + 5 * CHUNK)), "DECRYPTION_FAILED");
      const reordered = Buffer.concat([
        cipher.subarray(0, start + CHUNK),
        cipher.subarray(start + 2 * CHUNK, start + 3 * CHUNK),
        cipher.subarray(start + CHUNK, start + 2 * CHUNK),
        cipher.subarray(start + 3 * CHUNK),
      ]);
      expect(reordered.length).to.equal(cipher.length);
      await expectCode(decrypt(reordered), "DECRYPTION_FAILED");
      const other = await generateX25519Identity();
      await expectCode(
        collect(
          decryptStream(
            (async function* () {
              yield cipher;
            })(),
            other,
          ),
        ),
        "DECRYPTION_FAILED",
      );
    });
  });
});
