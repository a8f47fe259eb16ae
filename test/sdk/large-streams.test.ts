import { expect } from "chai";
import { closeSync, openSync, ftruncateSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { decryptStream, encryptStream, sha256OfFile, sha256OfStream } from "../../sdk/src";
import { deterministicStream } from "../helpers/streams";

const GiB = 1024 * 1024 * 1024;
/** Memory this process holds for JavaScript objects and buffers. */
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Tracks the peak of {@link held} above a clean baseline while a stream flows through. */
function watch() {
  gc();
  const baseline = held();
  let peak = baseline;
  return {
    sample: () => {
      peak = Math.max(peak, held());
    },
    growth: () => peak - baseline,
    async *through(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
      for await (const c of source) {
        peak = Math.max(peak, held());
        yield c;
      }
    },
  };
}

// Multi-GiB streams, generated on the fly and never written whole to disk or memory. The limits below are
// generous bounds on constant-memory processing (a buffered implementation would hold gigabytes).
const LIMIT = 128 * 1024 * 1024;

describe("multi-GiB streams in constant memory", function () {
  this.timeout(900_000);

  it("hashes a 4 GiB file with progress, holding a few MiB", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-4g-"));
    const file = path.join(dir, "zeros.bin");
    const fd = openSync(file, "w");
    ftruncateSync(fd, 4 * GiB); // sparse: 4 GiB of zeros, no disk used
    closeSync(fd);
    try {
      const w = watch();
      let last = 0;
      const r = await sha256OfFile(file, {
        onProgress: (n) => {
          last = n;
          w.sample();
        },
      });
      expect(r.size).to.equal(4 * GiB);
      expect(last).to.equal(4 * GiB);
      // `sha256sum` of 4 GiB of zeros.
      expect(r.sha256).to.equal("8479e43911dc45e89f934fe48d01297e16f51d17aa561d4d1c216b1ae0fcddca");
      expect(w.growth()).to.be.lessThan(LIMIT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("encrypts and decrypts a 2 GiB stream end to end, holding a few MiB", async function () {
    const size = 2 * GiB + 1;
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const expected = await sha256OfStream(deterministicStream(size, "2g"));
    const w = watch();
    const roundTrip = decryptStream(
      w.through(encryptStream(w.through(deterministicStream(size, "2g")), recipient)),
      identity,
    );
    const actual = await sha256OfStream(w.through(roundTrip));
    expect(actual).to.deep.equal(expected);
    expect(w.growth()).to.be.lessThan(LIMIT);
  });
});
