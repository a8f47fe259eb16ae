import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FILE_READ_SIZE, isCrossproofError, readFileChunks, sha256OfFile } from "../../sdk/src";
import { collect, deterministicStream } from "../helpers/streams";

const MiB = 1024 * 1024;
const openFiles = () => (existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : 0);

describe("file hashing (reads into reused buffers)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-hash-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 5 * MiB + 3]) {
    it(`hashes a ${size}-byte file, with progress`, async function () {
      const bytes = await collect(deterministicStream(size, `file ${size}`));
      const file = path.join(dir, `f${size}`);
      writeFileSync(file, bytes);
      const progress: number[] = [];
      const r = await sha256OfFile(file, { onProgress: (n) => progress.push(n) });
      expect(r).to.deep.equal({ sha256: createHash("sha256").update(bytes).digest("hex"), size });
      expect(progress.at(-1) ?? 0).to.equal(size);
      expect(progress.length).to.equal(Math.ceil(size / FILE_READ_SIZE));
    });
  }

  it("reads into two buffers, taking turns, and gives the whole file in order", async function () {
    const bytes = await collect(deterministicStream(4 * 1000 + 7, "turns"));
    const file = path.join(dir, "turns");
    writeFileSync(file, bytes);
    const seen: { buffer: ArrayBufferLike; copy: Buffer }[] = [];
    for await (const c of readFileChunks(file, { chunkSize: 1000 })) {
      seen.push({ buffer: c.buffer, copy: Buffer.from(c) });
    }
    expect(Buffer.concat(seen.map((s) => s.copy)).equals(bytes)).to.equal(true);
    expect(seen.map((s) => s.copy.length)).to.deep.equal([1000, 1000, 1000, 1000, 7]);
    const buffers = new Set(seen.map((s) => s.buffer));
    expect(buffers.size).to.equal(2);
    expect(seen[0]!.buffer).to.equal(seen[2]!.buffer);
    expect(seen[1]!.buffer).to.equal(seen[3]!.buffer);
  });

  it("closes the file when the reader stops early, fails or is aborted", async function () {
    const file = path.join(dir, "early");
    writeFileSync(file, await collect(deterministicStream(3 * MiB, "early")));
    const before = openFiles();
    for await (const c of readFileChunks(file)) {
      void c;
      break;
    }
    const controller = new AbortController();
    await sha256OfFile(file, { signal: controller.signal, onProgress: () => controller.abort() }).then(
      () => expect.fail("not aborted"),
      (err: unknown) => expect((err as Error).name).to.equal("AbortError"),
    );
    await sha256OfFile(path.join(dir, "absent")).then(
      () => expect.fail("read an absent file"),
      (err: unknown) => expect(isCrossproofError(err, "FILE_READ_ERROR"), String(err)).to.equal(true),
    );
    await sha256OfFile(dir).then(
      () => expect.fail("read a directory"),
      (err: unknown) => expect(isCrossproofError(err, "FILE_READ_ERROR"), String(err)).to.equal(true),
    );
    expect(openFiles()).to.equal(before);
  });
});
