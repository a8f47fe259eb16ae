/**
 * SDK benchmark (`npm run bench:sdk`): throughput and memory of the streaming paths on this machine.
 * Streams are generated on the fly (deterministic ChaCha20 keystream); nothing is written to disk but a sparse file.
 *
 *   BENCH_GIB   size of the hashing / CID runs in GiB (default 2)
 *   BENCH_ENC_MIB size of the encryption run in MiB (default 512)
 */
import { createCipheriv, createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { computeCid, decryptStream, encryptStream, sha256OfFile, sha256OfStream } from "../sdk/src";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MiB = 1024 * 1024;

async function* generated(size: number, seed: string): AsyncGenerator<Uint8Array> {
  const cipher = createCipheriv("chacha20", createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield cipher.update(left >= MiB ? zeros : zeros.subarray(0, left));
}

/** Runs `f` with the memory peak above a clean baseline sampled while chunks flow. */
async function measure(
  label: string,
  bytes: number,
  f: (watch: <T>(s: AsyncIterable<T>) => AsyncIterable<T>, sample: () => void) => Promise<unknown>,
) {
  gc();
  const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const base = held();
  let peak = base;
  const watch = async function* <T>(s: AsyncIterable<T>) {
    for await (const c of s) {
      peak = Math.max(peak, held());
      yield c;
    }
  };
  const sample = () => {
    peak = Math.max(peak, held());
  };
  const t = process.hrtime.bigint();
  await f(watch, sample);
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(
    `| ${label} | ${(bytes / MiB).toFixed(0)} MiB | ${(bytes / MiB / secs).toFixed(0)} MiB/s | ${((peak - base) / MiB).toFixed(1)} MiB |`,
  );
}

async function main(): Promise<void> {
  const size = Number(process.env.BENCH_GIB ?? 2) * 1024 * MiB;
  const encSize = Number(process.env.BENCH_ENC_MIB ?? 512) * MiB;
  console.log("| operation | bytes | throughput | memory growth (peak) |\n| --- | ---: | ---: | ---: |");
  await measure("generate the test stream (baseline)", size, async (w) => {
    for await (const c of w(generated(size, "b"))) void c;
  });
  await measure("sha256OfStream", size, (w) => sha256OfStream(w(generated(size, "b"))));
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-"));
  try {
    const file = path.join(dir, "sparse.bin");
    const fd = openSync(file, "w");
    ftruncateSync(fd, size);
    closeSync(fd);
    await measure("sha256OfFile (sparse file)", size, (_w, sample) => sha256OfFile(file, { onProgress: sample }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await measure("computeCid (unixfs-v1-2025)", size, (w) => computeCid(w(generated(size, "b"))));
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  await measure("age encrypt", encSize, (w) => sha256OfStream(w(encryptStream(generated(encSize, "e"), recipient))));
  await measure("age encrypt + decrypt", encSize, (w) =>
    sha256OfStream(w(decryptStream(encryptStream(generated(encSize, "e"), recipient), identity))),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
