/**
 * SDK benchmark (`npm run bench:sdk`): each SDK path against a bare baseline doing the same work with the same
 * primitive, measured in the same run, interleaved (baseline, subject, subject, baseline, …) and repeated; the ratio
 * is the median of the per-round ratios, which a busy machine disturbs much less than either throughput.
 *
 *   BENCH_MIB      bytes per run of the streaming rows, in MiB (default 1024; quick mode 64)
 *   BENCH_ROUNDS   rounds per row (default 3; quick mode 1)
 *   BENCH_RECORDS  records per Merkle batch (default 10000; quick mode 2000)
 *   BENCH_PEAK_MIB size of the package whose peak memory is measured, in MiB (default 4096; quick mode 256)
 *
 * Run by `npm run bench`, each row also goes to bench/results.json (scripts/lib/bench-results.ts).
 *
 * Data is random bytes in memory (a 64 MiB pool, reused) or a real file written first and read once before timing
 * (page cache warm), so the rows measure the SDK and the primitive, not the generator or the disk.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, read, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { importer } from "ipfs-unixfs-importer";
import { BlackHoleBlockstore } from "blockstore-core/black-hole";
import createKeccak from "keccak";
import {
  EvidenceBatch,
  coalesceChunks,
  computeCid,
  decryptStream,
  encryptStream,
  sha256OfFile,
  sha256OfStream,
} from "../sdk/src";
import { agePayloadKey, createAgeHeader, sealAgePayload } from "../sdk/src/age";
import { quickMode, ratioOf, record } from "./lib/bench-results";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const QUICK = quickMode();
const SIZE = Number(process.env.BENCH_MIB ?? (QUICK ? 64 : 1024)) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const RECORDS = Number(process.env.BENCH_RECORDS ?? (QUICK ? 2000 : 10_000));
const PEAK = Number(process.env.BENCH_PEAK_MIB ?? (QUICK ? 256 : 4096)) * MiB;

// ------------------------------------------------------------------------------------------------------------------
// Measurement
// ------------------------------------------------------------------------------------------------------------------

const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
/** Memory sampling, every 8th call (the sampler itself costs a few microseconds). */
let sampler: (() => void) | undefined;
let calls = 0;
const sample = () => {
  if (sampler !== undefined && (calls++ & 7) === 0) sampler();
};

/** Runs `f` once; returns seconds and the memory peak above a clean baseline while it ran. */
async function once(f: () => Promise<unknown> | unknown): Promise<{ secs: number; growth: number }> {
  gc();
  const base = held();
  let peak = base;
  sampler = () => {
    peak = Math.max(peak, held());
  };
  const t = process.hrtime.bigint();
  await f();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  sampler = undefined;
  return { secs, growth: peak - base };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

/** One table row: the subject against its baseline, `ROUNDS` interleaved rounds, after one warm-up of each. */
async function row(
  label: string,
  units: { amount: number; unit: "MiB" | "records" },
  baseline: () => Promise<unknown> | unknown,
  subject: () => Promise<unknown> | unknown,
  baselineLabel: string,
  result?: { limit: string; target?: number },
): Promise<number> {
  await baseline();
  await subject();
  const rates: { b: number; s: number; growth: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const first = r % 2 === 0;
    const a = await once(first ? baseline : subject);
    const b = await once(first ? subject : baseline);
    const [bb, ss] = first ? [a, b] : [b, a];
    rates.push({ b: units.amount / bb.secs, s: units.amount / ss.secs, growth: ss.growth });
  }
  const ratios = rates.map((r) => r.s / r.b);
  const ratio = median(ratios);
  const growth = units.unit === "MiB" ? `${(Math.max(...rates.map((r) => r.growth)) / MiB).toFixed(1)} MiB` : "";
  console.log(
    `| ${label} | ${fmt(median(rates.map((r) => r.s)))} ${units.unit}/s | ${baselineLabel}: ${fmt(median(rates.map((r) => r.b)))} ${units.unit}/s | ` +
      `**${ratio.toFixed(2)}** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${growth} |`,
  );
  if (result !== undefined) {
    const unit = `${units.unit}/s`;
    const value = median(rates.map((r) => r.s));
    const base = median(rates.map((r) => r.b));
    record({
      group: "sdk",
      metric: `${label}${ROUNDS > 1 ? `; median of ${ROUNDS} rounds, ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : ""}`,
      value,
      unit,
      baseline: { name: baselineLabel, value: base },
      // The median of the per-round ratios (steadier than the ratio of the medians on a busy machine).
      ratio: Number.isFinite(ratio) ? ratio : ratioOf(value, base, unit),
      limit: result.limit,
      ...(result.target === undefined ? {} : { target: `ratio ≥ ${result.target}`, met: ratio >= result.target }),
    });
  }
  return ratio;
}

// ------------------------------------------------------------------------------------------------------------------
// Data
// ------------------------------------------------------------------------------------------------------------------

const pool = randomBytes(64 * MiB);
/** `size` bytes from the pool in pieces of `piece` bytes. */
function* fromPool(size: number, piece = MiB): Generator<Buffer> {
  for (let done = 0; done < size; done += piece) {
    const at = done % (pool.length - piece);
    yield pool.subarray(at, at + Math.min(piece, size - done));
  }
}
async function* streamFromPool(size: number, piece = MiB): AsyncGenerator<Buffer> {
  for (const p of fromPool(size, piece)) {
    sample();
    yield p;
  }
}
async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of source) n += c.byteLength;
  return n;
}

function writeFile(file: string, size: number): void {
  const fd = openSync(file, "w");
  for (const p of fromPool(size, 16 * MiB)) writeSync(fd, p);
  closeSync(fd);
}

// ------------------------------------------------------------------------------------------------------------------
// Bare baselines
// ------------------------------------------------------------------------------------------------------------------

/** A fs.read loop into one reused 1 MiB buffer feeding createHash("sha256"). */
async function bareFileHash(file: string): Promise<string> {
  const fd = openSync(file, "r");
  const buffer = Buffer.allocUnsafe(MiB);
  const hash = createHash("sha256");
  const readAt = (position: number) =>
    new Promise<number>((resolve, reject) =>
      read(fd, buffer, 0, MiB, position, (err, n) => (err ? reject(err) : resolve(n))),
    );
  for (let position = 0, n = await readAt(0); n > 0; position += n, n = await readAt(position)) {
    hash.update(buffer.subarray(0, n));
  }
  closeSync(fd);
  return hash.digest("hex");
}

/** createReadStream with 1 MiB reads (what sha256OfFile did before): a new buffer per read. */
async function readStreamFileHash(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const c of createReadStream(file, { highWaterMark: MiB })) {
    sample();
    hash.update(c as Buffer);
  }
  return hash.digest("hex");
}

/** createHash over the same pieces, no SDK. */
function bareHash(size: number): string {
  const hash = createHash("sha256");
  for (const p of fromPool(size)) hash.update(p);
  return hash.digest("hex");
}

/** Native ChaCha20-Poly1305 per 64 KiB chunk over the same bytes: the cipher work of age's STREAM, nothing else. */
function bareSeal(size: number, key: KeyObject): number {
  const nonce = Buffer.alloc(12);
  let counter = 0;
  let sink = 0;
  for (const p of fromPool(size)) {
    for (let at = 0; at < p.length; at += CHUNK) {
      nonce.writeUIntBE(counter++, 5, 6);
      const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      sink ^= c.update(p.subarray(at, at + CHUNK))[0]!;
      c.final();
      sink ^= c.getAuthTag()[0]!;
    }
  }
  return sink;
}

/** Native ChaCha20-Poly1305 opening of the given sealed chunks (the payload of an age file), nothing else. */
function bareOpen(sealedChunks: readonly Buffer[], key: KeyObject): number {
  const nonce = Buffer.alloc(12);
  let sink = 0;
  sealedChunks.forEach((chunk, i) => {
    nonce.writeUIntBE(i, 5, 6);
    nonce[11] = i === sealedChunks.length - 1 ? 1 : 0;
    const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    d.setAuthTag(chunk.subarray(chunk.length - 16));
    sink ^= d.update(chunk.subarray(0, chunk.length - 16))[0] ?? 0;
    d.final();
  });
  return sink;
}

/** The importer as the store runs it, fed the pieces as they are (no regrouping). */
async function importerCid(source: AsyncIterable<Uint8Array>): Promise<string> {
  let last = "";
  for await (const e of importer([{ content: source }], new BlackHoleBlockstore(), {
    profile: "unixfs-v1-2025",
    cidVersion: 1,
    rawLeaves: true,
  })) {
    last = e.cid.toString();
  }
  return last;
}

/** The native keccak sponge, as sdk/src/merkle.ts reaches it, for a hash-only baseline. */
function nativeKeccak(): (data: Buffer) => Buffer {
  const Sponge = (createKeccak("keccak256") as unknown as { _state: { constructor: new () => KeccakSponge } })._state
    .constructor;
  const sponge = new Sponge();
  return (data) => {
    sponge.initialize(1088, 512);
    sponge.absorb(data);
    sponge.absorbLastFewBits(0x01);
    return sponge.squeeze(32);
  };
}
interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

// ------------------------------------------------------------------------------------------------------------------
// Rows
// ------------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const sizeMiB = SIZE / MiB;
  console.log(
    `SDK paths against bare baselines; ${sizeMiB} MiB per streaming run, ${ROUNDS} interleaved rounds, Node ${process.version}\n`,
  );
  console.log(
    "| operation | throughput | bare baseline | ratio (min–max) | memory growth |\n| --- | ---: | ---: | ---: | ---: |",
  );

  // File hashing, in a fresh process state and with a large live JavaScript heap.
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-"));
  try {
    const file = path.join(dir, "evidence.bin");
    writeFile(file, SIZE);
    await bareFileHash(file); // page cache warm
    const expected = await bareFileHash(file);
    if ((await sha256OfFile(file)).sha256 !== expected) throw new Error("sha256OfFile disagrees with the bare loop");
    const fileRows = async (state: string) => {
      await row(
        `SHA-256 of a file, \`sha256OfFile\` (${sizeMiB} MiB, ${state})`,
        { amount: sizeMiB, unit: "MiB" },
        () => bareFileHash(file),
        () => sha256OfFile(file, { onProgress: sample }),
        "bare node:crypto SHA-256, fs.read loop",
        { limit: "CPU: SHA-256 (page cache warm, no disk)", target: 0.9 },
      );
      await row(
        `SHA-256 of a file, createReadStream as before (${sizeMiB} MiB, ${state})`,
        { amount: sizeMiB, unit: "MiB" },
        () => bareFileHash(file),
        () => readStreamFileHash(file),
        "fs.read loop",
      );
    };
    await fileRows("fresh process");
    const liveHeap = Array.from({ length: 3_000_000 }, (_, i) => ({ i, s: `record ${i}`, a: [i] }));
    await fileRows("300 MB of live JS objects");
    void liveHeap.length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  gc();

  await row(
    `SHA-256 of a stream, \`sha256OfStream\` (${sizeMiB} MiB)`,
    { amount: sizeMiB, unit: "MiB" },
    () => bareHash(SIZE),
    () => sha256OfStream(streamFromPool(SIZE)),
    "createHash loop",
    { limit: "CPU: SHA-256" },
  );
  await row(
    `CID of a stream, \`computeCid\` unixfs-v1-2025 (${sizeMiB} MiB)`,
    { amount: sizeMiB, unit: "MiB" },
    () => bareHash(SIZE),
    () => computeCid(streamFromPool(SIZE)),
    "bare SHA-256 of the same bytes",
    { limit: "CPU: SHA-256 of each 1 MiB block, plus the UnixFS DAG nodes" },
  );

  // age encryption and decryption.
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const key = createSecretKey(randomBytes(32));
  await row(
    `age encryption, \`encryptStream\` (${sizeMiB} MiB)`,
    { amount: sizeMiB, unit: "MiB" },
    () => bareSeal(SIZE, key),
    () => drain(encryptStream(streamFromPool(SIZE), recipient)),
    "native ChaCha20-Poly1305, same 64 KiB chunks",
    { limit: "CPU: ChaCha20-Poly1305 (OpenSSL), one cipher object per chunk" },
  );
  const typageSize = Math.min(SIZE, 128 * MiB);
  await row(
    `age encryption, age-encryption 0.3.1 (pure JS, as before; ${typageSize / MiB} MiB)`,
    { amount: typageSize / MiB, unit: "MiB" },
    () => bareSeal(typageSize, key),
    async () => {
      const e = new Encrypter();
      e.addRecipient(recipient);
      return drain(await e.encrypt(ReadableStream.from(streamFromPool(typageSize))));
    },
    "ChaCha20-Poly1305 per 64 KiB",
  );
  {
    // An age file in memory, in the 1 MiB pieces a store returns, and its payload's chunks for the baseline.
    const decSize = Math.min(SIZE, 512 * MiB);
    const { header, fileKey } = await createAgeHeader([recipient]);
    const nonce = randomBytes(16);
    const payloadKey = agePayloadKey(fileKey, nonce);
    const payload: Buffer[] = [];
    for await (const p of sealAgePayload(streamFromPool(decSize), payloadKey)) payload.push(Buffer.from(p));
    const sealedChunks: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 2) sealedChunks.push(Buffer.concat([payload[i]!, payload[i + 1]!]));
    const file: Uint8Array[] = [];
    for await (const b of coalesceChunks([header, nonce, ...payload])) file.push(b);
    payload.length = 0;
    const fromStore = async function* () {
      for (const b of file) {
        sample();
        yield b;
      }
    };
    await row(
      `age decryption, \`decryptStream\` (${decSize / MiB} MiB)`,
      { amount: decSize / MiB, unit: "MiB" },
      () => bareOpen(sealedChunks, payloadKey),
      () => drain(decryptStream(fromStore(), identity)),
      "native ChaCha20-Poly1305, same 64 KiB chunks",
      { limit: "CPU: ChaCha20-Poly1305 (OpenSSL), one decipher object per chunk; re-chunking the store's blocks" },
    );
  }

  // What sealing feeds the content store: the age ciphertext, cut into 1 MiB blocks and hashed by the importer.
  const sealSize = Math.min(SIZE, 512 * MiB);
  const cipherAndHashOf = (size: number) => {
    bareSeal(size, key);
    return bareHash(size);
  };
  const cipherAndHash = () => cipherAndHashOf(sealSize);
  await row(
    `age ciphertext into the store, \`encryptStream\` → \`computeCid\` (regrouped to 1 MiB; ${sealSize / MiB} MiB)`,
    { amount: sealSize / MiB, unit: "MiB" },
    cipherAndHash,
    () => computeCid(encryptStream(streamFromPool(sealSize), recipient)),
    "native ChaCha20-Poly1305 + SHA-256",
    { limit: "CPU: the cipher and the blocks' SHA-256" },
  );
  await row(
    `age ciphertext into the store, importer fed the 64 KiB pieces (as before; ${sealSize / MiB} MiB)`,
    { amount: sealSize / MiB, unit: "MiB" },
    cipherAndHash,
    () => importerCid(encryptStream(streamFromPool(sealSize), recipient)),
    "ChaCha20-Poly1305 + SHA-256",
  );
  gc();

  // Peak memory of a multi-GiB package: encrypted and cut into the store's blocks, streamed end to end.
  {
    const peak = await once(() => computeCid(encryptStream(streamFromPool(PEAK), recipient)));
    const bare = await once(() => cipherAndHashOf(PEAK));
    const peakMiB = peak.growth / MiB;
    console.log(
      `\npeak memory above the baseline, a ${PEAK / MiB} MiB package encrypted into blocks: ${peakMiB.toFixed(1)} MiB ` +
        `(bare cipher + hash: ${(bare.growth / MiB).toFixed(1)} MiB; ${(PEAK / MiB / peak.secs).toFixed(0)} MiB/s)`,
    );
    record({
      group: "sdk",
      metric: `peak memory growth, a ${(PEAK / 2 ** 30).toFixed(PEAK < 2 ** 30 ? 2 : 0)} GiB package encrypted into content-store blocks (\`encryptStream\` → \`computeCid\`)`,
      value: peakMiB,
      unit: "MiB",
      baseline: null,
      ratio: null,
      limit: "streaming: a few 1 MiB blocks and 64 KiB chunks in flight, whatever the size",
      target: "≤ 128 MiB",
      met: peakMiB <= 128,
    });
  }
  gc();

  // Merkle batches.
  const records = Array.from({ length: RECORDS }, (_, i) => `0x${createHash("sha256").update(`r${i}`).digest("hex")}`);
  if (
    EvidenceBatch.build(records).root !==
    StandardMerkleTree.of(
      records.map((r) => [r]),
      ["bytes32"],
    ).root
  ) {
    throw new Error("EvidenceBatch and StandardMerkleTree disagree");
  }
  const keccak = nativeKeccak();
  const inputs = [randomBytes(32), randomBytes(64)];
  await row(
    `Merkle batch, \`EvidenceBatch.build\` (${fmt(RECORDS)} records)`,
    { amount: RECORDS, unit: "records" },
    () => {
      // The hashing alone: 2 per leaf, 1 per inner node.
      for (let i = 0; i < RECORDS; i++) keccak(keccak(inputs[0]!));
      for (let i = 0; i < RECORDS - 1; i++) keccak(inputs[1]!);
    },
    () => EvidenceBatch.build(records),
    "3n−1 native keccak256",
    { limit: "CPU: keccak256 (native binding), sorting the leaves" },
  );
  await row(
    `Merkle batch, @openzeppelin/merkle-tree StandardMerkleTree.of (as before; ${fmt(RECORDS)} records)`,
    { amount: RECORDS, unit: "records" },
    () => EvidenceBatch.build(records),
    () =>
      StandardMerkleTree.of(
        records.map((r) => [r]),
        ["bytes32"],
      ),
    "`EvidenceBatch.build`",
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
