import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from "age-encryption";
import { isCrossproofError } from "../../sdk/src";
import { agePayloadKey, createAgeHeader, decryptAge, encryptAge } from "../../sdk/src/age";
import { collect, deterministicStream } from "../helpers/streams";

const KiB = 1024;
const CHUNK = 64 * KiB;
const SEALED = CHUNK + 16;
const VECTORS = path.join(__dirname, "vectors", "age");
/** A test identity, used for the committed vectors only (made with `age-keygen`). */
const VECTOR_IDENTITY = "AGE-SECRET-KEY-17VALM64A55D0L32SS476KECWQKATUU2K0V5M3Q34ND7JPQLHGWQQATJHSP";
const VECTOR_RECIPIENT = "age1jcz4k8sdyrlg2fmsd7u6df5m825j90qh3c885tfem3yw6m6s4f7qtrth4h";

/** `bytes` in pieces of the given sizes, cycled (exercises every way a chunk can straddle two inputs). */
async function* inPieces(bytes: Uint8Array, sizes: readonly number[] = [bytes.byteLength || 1]) {
  for (let at = 0, i = 0; at < bytes.byteLength; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const ours = {
  encrypt: (plain: Uint8Array, recipient: string, sizes?: number[]) =>
    collect(encryptAge(inPieces(plain, sizes), [recipient])),
  decrypt: (file: Uint8Array, identity: string, sizes?: number[]) =>
    collect(decryptAge(inPieces(file, sizes), [identity])),
};
const theirs = {
  async encrypt(plain: Uint8Array, recipient: string): Promise<Buffer> {
    const e = new Encrypter();
    e.addRecipient(recipient);
    return Buffer.from(await e.encrypt(plain));
  },
  async decrypt(file: Uint8Array, identity: string): Promise<Buffer> {
    const d = new Decrypter();
    d.addIdentity(identity);
    return Buffer.from(await d.decrypt(file));
  },
};

async function expectDecryptionFailed(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => expect.fail("decrypted a damaged file"),
    (err: unknown) =>
      expect(isCrossproofError(err, "DECRYPTION_FAILED"), `expected DECRYPTION_FAILED, got ${String(err)}`).to.equal(
        true,
      ),
  );
}
async function expectRejectedByTheirs(file: Uint8Array, identity: string): Promise<void> {
  await theirs.decrypt(file, identity).then(
    () => expect.fail("age-encryption decrypted a damaged file"),
    () => undefined,
  );
}

/** Where the payload starts: after the MAC line and the 16-byte nonce. */
function payloadStart(file: Buffer): number {
  return file.indexOf("\n", file.indexOf("\n---") + 1) + 1 + 16;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("age v1 on native ChaCha20-Poly1305", function () {
  this.timeout(300_000);
  let identity: string;
  let recipient: string;
  before(async () => {
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
  });

  describe("interoperates with age-encryption (typage) both ways", function () {
    const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * 1024 * KiB + 5];
    for (const size of sizes) {
      it(`${size} bytes`, async function () {
        const plain = await collect(deterministicStream(size, `interop ${size}`));
        const mine = await ours.encrypt(plain, recipient);
        const typage = await theirs.encrypt(plain, recipient);
        // Same layout: header, nonce, full chunks, and a last chunk that is empty only for an empty file.
        expect(mine.length).to.equal(typage.length);
        expect(mine.length - payloadStart(mine)).to.equal(size + 16 * Math.max(1, Math.ceil(size / CHUNK)));
        expect((await theirs.decrypt(mine, identity)).equals(plain)).to.equal(true);
        expect((await ours.decrypt(typage, identity)).equals(plain)).to.equal(true);
        expect((await ours.decrypt(mine, identity)).equals(plain)).to.equal(true);
      });
    }

    it("whatever the input's pieces, on either side", async function () {
      const plain = await collect(deterministicStream(5 * CHUNK + 77, "pieces"));
      const typage = await theirs.encrypt(plain, recipient);
      const pieceSizes = [[1], [7, 65_535], [CHUNK], [CHUNK + 1], [SEALED], [SEALED - 1, 3], [100_000, 1, 300_000]];
      for (const p of pieceSizes) {
        const mine = await ours.encrypt(plain, recipient, p);
        expect((await theirs.decrypt(mine, identity)).equals(plain), `encrypting in pieces of ${p}`).to.equal(true);
        expect((await ours.decrypt(typage, identity, p)).equals(plain), `decrypting in pieces of ${p}`).to.equal(true);
      }
    });

    it("several recipients; any one of several identities", async function () {
      const other = await generateX25519Identity();
      const plain = Buffer.from("two recipients\n");
      const file = await collect(encryptAge(inPieces(plain), [recipient, await identityToRecipient(other)]));
      expect((await theirs.decrypt(file, other)).equals(plain)).to.equal(true);
      expect((await collect(decryptAge(inPieces(file), [await generateX25519Identity(), identity]))).equals(plain)).to
        .be.true;
      await expectDecryptionFailed(ours.decrypt(file, await generateX25519Identity()));
    });
  });

  describe("known answers from other implementations", function () {
    // Committed files: go-age-* made by the age tool 1.1.1 (`age -r age1jcz4… -o …`), typage-* by age-encryption
    // 0.3.1; plaintexts are deterministicStream(size, "age-vector") or the text below.
    const vectors = [
      { file: "go-age-1.1.1-empty.age", size: 0, seed: "age-vector" },
      { file: "go-age-1.1.1-64KiB.age", size: CHUNK, seed: "age-vector" },
      { file: "typage-0.3.1-128KiB+100.age", size: 2 * CHUNK + 100, seed: "age-vector" },
    ];
    for (const v of vectors) {
      it(`decrypts ${v.file}`, async function () {
        const plain = await ours.decrypt(readFileSync(path.join(VECTORS, v.file)), VECTOR_IDENTITY);
        expect(sha256(plain)).to.equal(sha256(await collect(deterministicStream(v.size, v.seed))));
      });
    }
    it("decrypts typage-0.3.1-hello.age", async function () {
      const plain = await ours.decrypt(readFileSync(path.join(VECTORS, "typage-0.3.1-hello.age")), VECTOR_IDENTITY);
      expect(plain.toString()).to.equal("hello, crossproof\n");
    });
    it("the vectors' recipient is the identity's", async function () {
      expect(await identityToRecipient(VECTOR_IDENTITY)).to.equal(VECTOR_RECIPIENT);
      // A full 64 KiB last chunk, as the age tool writes it: one chunk, no empty chunk after it.
      const goFull = readFileSync(path.join(VECTORS, "go-age-1.1.1-64KiB.age"));
      expect(goFull.length - payloadStart(goFull)).to.equal(SEALED);
    });
  });

  describe("detects damage (and age-encryption agrees it is damage)", function () {
    let plain: Buffer;
    let file: Buffer;
    let start: number;
    before(async () => {
      plain = await collect(deterministicStream(10 * CHUNK + 123, "damage"));
      file = await ours.encrypt(plain, recipient);
      start = payloadStart(file);
    });
    const rejected = async (damaged: Buffer) => {
      await expectDecryptionFailed(ours.decrypt(damaged, identity));
      await expectDecryptionFailed(ours.decrypt(damaged, identity, [SEALED]));
      await expectRejectedByTheirs(damaged, identity);
    };
    const chunk = (i: number) => file.subarray(start + i * SEALED, start + (i + 1) * SEALED);

    it("a flipped bit in the header, the nonce, any chunk or any tag", async function () {
      const positions = [
        10, // version line
        file.indexOf("\n---") - 5, // stanza body
        file.indexOf("\n---") + 8, // MAC
        start - 3, // nonce
        start + 7, // first chunk
        start + 3 * SEALED + 100, // a middle chunk
        start + SEALED - 1, // the first chunk's tag
        file.length - 20, // the last chunk
        file.length - 1, // the last tag
      ];
      for (const at of positions) {
        const flipped = Buffer.from(file);
        flipped[at]! ^= 0x01;
        await rejected(flipped);
      }
    });

    it("a truncation at a chunk boundary, inside a chunk, inside the header or before the nonce", async function () {
      for (const end of [start + 5 * SEALED, start + 10 * SEALED, file.length - 1, file.length - 16, start + 50]) {
        await rejected(file.subarray(0, end));
      }
      for (const end of [start, start - 8, 40])
        await expectDecryptionFailed(ours.decrypt(file.subarray(0, end), identity));
      await expectDecryptionFailed(ours.decrypt(Buffer.alloc(0), identity));
    });

    it("reordered, dropped and repeated chunks", async function () {
      const head = file.subarray(0, start);
      const tail = file.subarray(start + 4 * SEALED);
      await rejected(Buffer.concat([head, chunk(0), chunk(2), chunk(1), chunk(3), tail]));
      await rejected(Buffer.concat([head, chunk(0), chunk(1), chunk(3), tail]));
      await rejected(Buffer.concat([head, chunk(0), chunk(1), chunk(1), chunk(2), chunk(3), tail]));
    });

    it("appended data: bytes, a copy of a chunk, another file's chunk", async function () {
      await rejected(Buffer.concat([file, Buffer.from([0])]));
      await rejected(Buffer.concat([file, randomBytes(SEALED)]));
      await rejected(Buffer.concat([file, chunk(0)]));
      const full = await ours.encrypt(plain.subarray(0, 2 * CHUNK), recipient);
      await rejected(Buffer.concat([full, full.subarray(payloadStart(full))]));
    });

    it("an empty last chunk after full ones (valid only for an empty file)", async function () {
      // Hand-made with the file's real keys, so each chunk authenticates: only the layout is wrong.
      const { header, fileKey } = await createAgeHeader([recipient]);
      const nonce = randomBytes(16);
      const key = agePayloadKey(fileKey, nonce);
      const seal = (p: Uint8Array, counter: number, last: boolean) => {
        const n = Buffer.alloc(12);
        n.writeUIntBE(counter, 5, 6);
        n[11] = last ? 1 : 0;
        const c = createCipheriv("chacha20-poly1305", key, n, { authTagLength: 16 });
        return Buffer.concat([c.update(p), c.final(), c.getAuthTag()]);
      };
      const full = plain.subarray(0, CHUNK);
      const good = Buffer.concat([header, nonce, seal(full, 0, true)]);
      expect((await ours.decrypt(good, identity)).equals(full)).to.equal(true);
      expect((await theirs.decrypt(good, identity)).equals(full)).to.equal(true);
      await rejected(Buffer.concat([header, nonce, seal(full, 0, false), seal(new Uint8Array(0), 1, true)]));
      // And a short chunk that is not flagged last, at the end.
      await rejected(Buffer.concat([header, nonce, seal(full, 0, false), seal(full.subarray(0, 10), 1, false)]));
    });

    it("releases nothing of a damaged chunk", async function () {
      const flipped = Buffer.from(file);
      flipped[start + 3 * SEALED + 9]! ^= 0x80;
      const released: Buffer[] = [];
      await expectDecryptionFailed(
        (async () => {
          for await (const p of decryptAge(inPieces(flipped, [100_000]), [identity])) released.push(Buffer.from(p));
        })(),
      );
      expect(Buffer.concat(released).equals(plain.subarray(0, 3 * CHUNK))).to.equal(true);
    });

    it("refuses armored files, other formats and unknown identities", async function () {
      await expectDecryptionFailed(ours.decrypt(Buffer.from(armor.encode(file.subarray(0, 500))), identity));
      await expectDecryptionFailed(ours.decrypt(Buffer.from("age-encryption.org/v2\n-> X25519 abc\n"), identity));
      // A header that never ends is refused after 1 MiB, not buffered for ever.
      const endless = Buffer.concat([Buffer.from("age-encryption.org/v1\n"), Buffer.alloc(2 * 1024 * KiB, 0x41)]);
      await expectDecryptionFailed(ours.decrypt(endless, identity, [64 * KiB]));
      await expectDecryptionFailed(ours.decrypt(file, await generateX25519Identity()));
    });
  });

  describe("the age tool (skipped when `age` is not installed)", function () {
    const hasAge = spawnSync("age", ["--version"]).status === 0;
    let dir: string;
    before(function () {
      if (!hasAge) this.skip();
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-age-cli-"));
      writeFileSync(path.join(dir, "identity.txt"), `${VECTOR_IDENTITY}\n`);
    });
    after(() => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });
    const age = (args: string[], input: Uint8Array) => {
      const r = spawnSync("age", args, { input, maxBuffer: 64 * 1024 * KiB });
      return { ok: r.status === 0, out: r.stdout, err: r.stderr.toString() };
    };

    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * 1024 * KiB + 5]) {
      it(`${size} bytes, both ways`, async function () {
        const plain = await collect(deterministicStream(size, `cli ${size}`));
        const mine = await ours.encrypt(plain, VECTOR_RECIPIENT, [100_000]);
        const decrypted = age(["-d", "-i", path.join(dir, "identity.txt")], mine);
        expect(decrypted.ok, decrypted.err).to.equal(true);
        expect(decrypted.out.equals(plain)).to.equal(true);
        const encrypted = age(["-r", VECTOR_RECIPIENT], plain);
        expect(encrypted.ok, encrypted.err).to.equal(true);
        expect((await ours.decrypt(encrypted.out, VECTOR_IDENTITY)).equals(plain)).to.equal(true);
      });
    }

    it("the age tool refuses what we refuse", async function () {
      const plain = await collect(deterministicStream(3 * CHUNK + 5, "cli damage"));
      const mine = await ours.encrypt(plain, VECTOR_RECIPIENT);
      const flipped = Buffer.from(mine);
      flipped[payloadStart(mine) + SEALED + 3]! ^= 1;
      const start = payloadStart(mine);
      for (const damaged of [flipped, mine.subarray(0, start + 2 * SEALED), Buffer.concat([mine, Buffer.from([0])])]) {
        expect(age(["-d", "-i", path.join(dir, "identity.txt")], damaged).ok).to.equal(false);
        await expectDecryptionFailed(ours.decrypt(damaged, VECTOR_IDENTITY));
      }
    });
  });
});
