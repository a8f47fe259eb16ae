import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EvidenceCategory,
  KuboContentStore,
  buildManifest,
  computeCid,
  computeDirectoryCid,
  generateRecipientKey,
  isCrossproofError,
  openPackage,
  sealPackage,
} from "../../sdk/src";
import { KuboRpcDouble } from "../helpers/kubo-rpc-double";
import { collect, deterministicStream } from "../helpers/streams";

describe("KuboContentStore (over Kubo's RPC wire format)", function () {
  this.timeout(120_000);
  let dir: string;
  let double: KuboRpcDouble;
  let store: KuboContentStore;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-kubo-"));
    const started = await KuboRpcDouble.start(path.join(dir, "node"));
    double = started.double;
    store = new KuboContentStore(started.url);
  });
  after(async () => {
    await double.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds with the unixfs-v1-2025 parameters and pins, returning the CIDs the embedded store computes", async function () {
    const data = await collect(deterministicStream(2 * 1_048_576 + 9, "kubo"));
    const cid = await store.put(data);
    expect(cid).to.equal(await computeCid(data));
    expect(double.addCalls.at(-1)!.get("pin")).to.equal("true");
    expect((await collect(store.get(cid))).equals(data)).to.equal(true);
    expect(await store.has(cid)).to.equal(true);
    expect(await store.has(await computeCid(new TextEncoder().encode("absent")))).to.equal(false);

    const entries = [
      { path: "envelope.jwe.json", content: new TextEncoder().encode("{}") },
      { path: "files/0", content: new TextEncoder().encode("zero") },
    ];
    const root = await store.putDirectory(entries);
    expect(root).to.equal(await computeDirectoryCid(entries));
    expect(Buffer.from(await store.getBytes(`${root}/files/0`)).toString()).to.equal("zero");
  });

  it("links content the node holds into a new directory with block/put (pinned): the CID importing it all gives", async function () {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const big = await collect(deterministicStream(1_048_576 + 3, "kubo-linked"));
    const entries = [
      { path: "envelope.jwe.json", content: utf8('{"v":1}') },
      { path: "files/0", content: big },
    ];
    const root = await store.putDirectory(entries);
    const files = await store.resolve(`${root}/files`);
    expect(await store.resolve(`/ipfs/${root}/files/0`)).to.equal(await computeCid(big));
    const adds = double.addCalls.length;
    const next = await store.linkDirectory([
      { name: "envelope.jwe.json", cid: await store.put(utf8('{"v":2}')) },
      { name: "files", cid: files },
    ]);
    expect(next).to.equal(
      await computeDirectoryCid([{ path: "envelope.jwe.json", content: utf8('{"v":2}') }, entries[1]!]),
    );
    // One add (the new envelope); the files were never sent again.
    expect(double.addCalls.length).to.equal(adds + 1);
    expect(double.blockPutCalls.at(-1)!.get("pin")).to.equal("true");
    expect((await collect(store.get(`${next}/files/0`))).equals(big)).to.equal(true);
  });

  it("walks a DAG with block/get, and removes blocks by unpinning their roots and block/rm; a block still pinned elsewhere is retained", async function () {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const big = await collect(deterministicStream(1_048_576 + 5, "kubo-purge"));
    const root = await store.putDirectory([
      { path: "envelope.jwe.json", content: utf8('{"v":"a"}') },
      { path: "files/0", content: big },
    ]);
    const files = await store.resolve(`${root}/files`);
    const envelope = await store.put(utf8('{"v":"b"}'));
    const other = await store.linkDirectory([
      { name: "envelope.jwe.json", cid: envelope },
      { name: "files", cid: files },
    ]);
    const blocks = await store.blocksOf(root);
    expect(blocks).to.have.length(6); // root, envelope, files/, files/0 and its 2 leaves
    const otherBlocks = await store.blocksOf(other);
    expect(otherBlocks).to.include.members([other, envelope, files]);
    // The other package's own blocks: its root and its envelope, both pinned (block/put, add), unpinned then removed.
    const own = otherBlocks.filter((b) => !blocks.includes(b));
    expect(double.pins.has(other) && double.pins.has(envelope)).to.equal(true);
    expect(await store.deleteBlocks(own)).to.deep.equal({ removed: 2, retained: [] });
    expect(double.pins.has(other) || double.pins.has(envelope)).to.equal(false);
    expect(await store.has(other)).to.equal(false);
    expect((await collect(store.get(`${root}/files/0`))).equals(big)).to.equal(true);
    // Asked to remove a block under a root still pinned: Kubo refuses, the block stays.
    const kept = await store.deleteBlocks([files]);
    expect(kept.removed).to.equal(0);
    expect(kept.retained).to.deep.equal([{ cid: files, reason: `pinned via ${root}` }]);
    expect(await store.has(files)).to.equal(true);
  });

  it("reports missing content as CONTENT_NOT_FOUND", async function () {
    const absent = await computeCid(new TextEncoder().encode("never added"));
    await collect(store.get(absent)).then(
      () => expect.fail("read absent content"),
      (err: unknown) => expect(isCrossproofError(err, "CONTENT_NOT_FOUND"), String(err)).to.equal(true),
    );
  });

  it("seals and opens an evidence package through the node", async function () {
    writeFileSync(path.join(dir, "clip.mp4"), await collect(deterministicStream(1_500_000, "clip")));
    const files = [{ path: "clip.mp4", source: path.join(dir, "clip.mp4") }];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.VIDEO_CAPTURE,
      acquisition: {
        tool: { name: "t", version: "1" },
        method: "download",
        collector: { name: "c" },
        collectedAt: "2026-11-28T10:00:00Z",
        source: { platform: "p" },
        jurisdiction: { collecting: "FR" },
      },
    });
    const key = await generateRecipientKey("court");
    const sealed = await sealPackage({ manifest, files, recipients: [key.publicKey], store });
    const out = path.join(dir, "out");
    await openPackage({ cid: sealed.cid, store, recipientKey: key.privateKey, outputDir: out });
    expect(readFileSync(path.join(out, "clip.mp4")).equals(readFileSync(files[0]!.source))).to.equal(true);
  });
});
