import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EmbeddedContentStore,
  IMPORT_CHUNK_SIZE,
  coalesceChunks,
  computeCid,
  computeDirectoryCid,
  isCrossproofError,
  type DirectoryEntry,
} from "../../sdk/src";
import { collect, deterministicStream } from "../helpers/streams";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("content store", function () {
  this.timeout(300_000);

  describe("CIDs are the ones Kubo gives", function () {
    // Expected values from Kubo's own tests: test/sharness/t0114-gateway-subdomains (ipfs add --cid-version 1)
    // and test/cli/cid_profiles_test.go (IPIP-499 profile unixfs-v1-2025, the import recipe used here).
    it("single-block files (raw leaf)", async function () {
      expect(await computeCid(utf8("hello\n"))).to.equal("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
      expect(await computeCid(utf8("hello world"))).to.equal(
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
      );
      expect(await computeCid(deterministicStream(1_048_576, "chunk-v1-seed"))).to.equal(
        "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta",
      );
    });

    it("multi-block files (balanced DAG, 1 MiB chunks, 1024 links)", async function () {
      expect(await computeCid(deterministicStream(1_048_577, "chunk-v1-seed"))).to.equal(
        "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64",
      );
      // 1 GiB + 1 byte, streamed: two levels of DAG nodes.
      expect(await computeCid(deterministicStream(1024 * 1_048_576 + 1, "v1-2025-seed"))).to.equal(
        "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe",
      );
    });

    it("the same CIDs whatever pieces a stream comes in (regrouped into 1 MiB blocks for the importer)", async function () {
      const bytes = await collect(deterministicStream(1_048_577, "chunk-v1-seed"));
      const pieces = async function* (sizes: number[]) {
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = sizes[i % sizes.length]!;
          yield bytes.subarray(at, at + n);
          at += n;
        }
      };
      const all = async (source: AsyncIterable<Uint8Array>) => {
        const out: Uint8Array[] = [];
        for await (const b of source) out.push(b);
        return out;
      };
      // 64 KiB + 16: the pieces of an age stream.
      for (const sizes of [[65_552], [1], [1_048_575, 2], [3_000_000], [100, 1_048_576]]) {
        expect(await computeCid(pieces(sizes)), `pieces of ${sizes}`).to.equal(
          "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64",
        );
      }
      const blocks = await all(coalesceChunks(pieces([65_552])));
      expect(blocks.map((b) => b.byteLength)).to.deep.equal([IMPORT_CHUNK_SIZE, 1]);
      expect(Buffer.concat(blocks).equals(bytes)).to.equal(true);
      // Whole blocks pass through uncopied.
      const whole = bytes.subarray(0, IMPORT_CHUNK_SIZE);
      const [passed] = await all(coalesceChunks([whole]));
      expect(passed!.buffer).to.equal(whole.buffer);
      expect([passed!.byteOffset, passed!.byteLength]).to.deep.equal([whole.byteOffset, IMPORT_CHUNK_SIZE]);
      expect(await all(coalesceChunks([]))).to.deep.equal([]);
    });

    it("directories (dag-pb, CIDv1)", async function () {
      // The t0114 "testdirlisting" tree.
      const entries: DirectoryEntry[] = [
        { path: "api/file.txt", content: utf8("I am a txt file\n") },
        { path: "hello", content: utf8("hello\n") },
        { path: "ipfs/file.txt", content: utf8("I am a txt file\n") },
        { path: "ipfs/ipns/bar", content: utf8("text-file-content\n") },
      ];
      expect(await computeDirectoryCid(entries)).to.equal(
        "bafybeiht6dtwk3les7vqm6ibpvz6qpohidvlshsfyr7l5mpysdw2vmbbhe",
      );
    });
  });

  describe("EmbeddedContentStore", function () {
    let dir: string;
    let store: EmbeddedContentStore;
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-store-"));
      store = await EmbeddedContentStore.open(dir);
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("stores and returns files and directory entries by CID, with the computed CIDs", async function () {
      const cid = await store.put(deterministicStream(3 * 1_048_576 + 5, "embedded"));
      expect(cid).to.equal(await computeCid(deterministicStream(3 * 1_048_576 + 5, "embedded")));
      expect(await store.has(cid)).to.equal(true);
      const back = await collect(store.get(cid));
      expect(back.equals(await collect(deterministicStream(3 * 1_048_576 + 5, "embedded")))).to.equal(true);

      const entries = [
        { path: "envelope.json", content: utf8('{"a":1}') },
        { path: "files/0", content: utf8("zero") },
      ];
      const root = await store.putDirectory(entries);
      expect(root).to.equal(await computeDirectoryCid(entries));
      expect(Buffer.from(await store.getBytes(`${root}/files/0`)).toString()).to.equal("zero");
      expect(Buffer.from(await store.getBytes(`/ipfs/${root}/envelope.json`)).toString()).to.equal('{"a":1}');
    });

    it("says clearly what is missing or malformed", async function () {
      const absent = await computeCid(utf8("never stored"));
      expect(await store.has(absent)).to.equal(false);
      await collect(store.get(absent)).then(
        () => expect.fail("read an absent CID"),
        (err: unknown) => expect(isCrossproofError(err, "CONTENT_NOT_FOUND"), String(err)).to.equal(true),
      );
      await collect(store.get("not-a-cid")).then(
        () => expect.fail("read a malformed CID"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true),
      );
      await store.putDirectory([{ path: "../escape", content: utf8("x") }]).then(
        () => expect.fail("stored a path outside the directory"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true),
      );
      const root = await store.putDirectory([{ path: "a/b", content: utf8("x") }]);
      await store.getBytes(`${root}/a`).then(
        () => expect.fail("read a directory as a file"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true),
      );
      await store.getBytes(`${root}/a/b`, 0).then(
        () => expect.fail("read past maxBytes"),
        (err: unknown) => expect(isCrossproofError(err, "CONTENT_STORE_ERROR")).to.equal(true),
      );
    });

    it("links content it holds into a new directory: the CID importing the whole tree gives, nothing re-imported", async function () {
      const big = await collect(deterministicStream(2 * 1_048_576 + 7, "linked"));
      const entries = [
        { path: "envelope.jwe.json", content: utf8('{"v":1}') },
        { path: "files/0", content: big },
        { path: "files/1", content: utf8("one") },
      ];
      const root = await store.putDirectory(entries);
      const files = await store.resolve(`${root}/files`);
      expect(await store.resolve(root)).to.equal(root);
      expect(await store.resolve(`/ipfs/${root}/files/1`)).to.equal(await computeCid(utf8("one")));
      // The same tree, linked: the same root.
      const envelope = await store.resolve(`${root}/envelope.jwe.json`);
      expect(
        await store.linkDirectory([
          { name: "files", cid: files },
          { name: "envelope.jwe.json", cid: envelope },
        ]),
      ).to.equal(root);
      // Another envelope beside the same files: the root that importing everything again gives.
      const next = await store.linkDirectory([
        { name: "envelope.jwe.json", cid: await store.put(utf8('{"v":2}')) },
        { name: "files", cid: files },
      ]);
      expect(next).to.equal(
        await computeDirectoryCid([{ path: "envelope.jwe.json", content: utf8('{"v":2}') }, ...entries.slice(1)]),
      );
      expect(await store.resolve(`${next}/files`)).to.equal(files);
      expect((await collect(store.get(`${next}/files/0`))).equals(big)).to.equal(true);

      const refused = async (p: Promise<unknown>, code: "INVALID_ARGUMENT" | "CONTENT_NOT_FOUND") =>
        p.then(
          () => expect.fail(`expected ${code}`),
          (err: unknown) => expect(isCrossproofError(err, code), String(err)).to.equal(true),
        );
      await refused(store.linkDirectory([]), "INVALID_ARGUMENT");
      await refused(store.linkDirectory([{ name: "a/b", cid: files }]), "INVALID_ARGUMENT");
      await refused(
        store.linkDirectory([
          { name: "a", cid: files },
          { name: "a", cid: envelope },
        ]),
        "INVALID_ARGUMENT",
      );
      await refused(store.linkDirectory([{ name: "a", cid: await computeCid(utf8("absent")) }]), "CONTENT_NOT_FOUND");
      await refused(store.resolve(`${root}/nothing`), "CONTENT_NOT_FOUND");
    });

    it("names every block of a DAG (shared blocks once), and removes only the blocks it is given", async function () {
      const big = await collect(deterministicStream(2 * 1_048_576 + 11, "blocks"));
      const root = await store.putDirectory([
        { path: "envelope.jwe.json", content: utf8('{"v":"a"}') },
        { path: "files/0", content: big },
        { path: "files/1", content: utf8("same") },
        { path: "files/2", content: utf8("same") },
      ]);
      const files = await store.resolve(`${root}/files`);
      const file0 = await store.resolve(`${root}/files/0`);
      const envelope = await store.resolve(`${root}/envelope.jwe.json`);
      const blocks = await store.blocksOf(root);
      // root, envelope, files/, files/0 (a node and 3 raw leaves), "same" once.
      expect(blocks).to.have.length(8);
      expect(blocks[0]).to.equal(root);
      expect(blocks).to.include.members([files, file0, envelope, await computeCid(utf8("same"))]);
      expect(await store.blocksOf(await computeCid(utf8("same")))).to.deep.equal([await computeCid(utf8("same"))]);

      // A second root beside the same files (a re-wrapped package): its own blocks are its root and its envelope.
      const other = await store.linkDirectory([
        { name: "envelope.jwe.json", cid: await store.put(utf8('{"v":"b"}')) },
        { name: "files", cid: files },
      ]);
      const otherBlocks = await store.blocksOf(other);
      const own = blocks.filter((b) => !otherBlocks.includes(b));
      expect(own).to.deep.equal([root, envelope]);
      expect(await store.deleteBlocks(own)).to.deep.equal({ removed: 2, retained: [] });
      expect(await store.has(root)).to.equal(false);
      expect((await collect(store.get(`${other}/files/0`))).equals(big)).to.equal(true);
      await store.blocksOf(root).then(
        () => expect.fail("walked a removed root"),
        (err: unknown) => expect(isCrossproofError(err, "CONTENT_NOT_FOUND"), String(err)).to.equal(true),
      );
      // Absent blocks count as removed; a malformed CID is refused before anything is removed.
      expect(await store.deleteBlocks([root])).to.deep.equal({ removed: 1, retained: [] });
      await store.deleteBlocks([other, "not-a-cid"]).then(
        () => expect.fail("accepted a malformed CID"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true),
      );
      expect(await store.has(other)).to.equal(true);
    });
  });
});
