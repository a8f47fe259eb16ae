import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import {
  DataCodeHasher,
  decodeBase32,
  decodeIsccHeader,
  encodeBase32,
  encodeIsccHeader,
  isccAudioCode,
  isccCode,
  isccDataCode,
  isccInstanceCode,
  isccMetaCode,
  isccVideoCode,
  isCrossproofError,
  xxh32,
} from "../../sdk/src";

/** ISCC's conformance vectors, copied from iscc-core (see test/vectors/iscc/PROVENANCE.md). */
type Vector = { inputs: unknown[]; outputs: Record<string, unknown> };
const vectors = JSON.parse(
  readFileSync(path.resolve(__dirname, "..", "vectors", "iscc", "data.json"), "utf8"),
) as Record<string, Record<string, Vector>>;

function stream(input: unknown): Uint8Array {
  const s = input as string;
  expect(s.startsWith("stream:")).to.equal(true);
  return Uint8Array.from(Buffer.from(s.slice("stream:".length), "hex"));
}

describe("ISCC (ISO 24138) against iscc-core's conformance vectors", function () {
  it("the vectors are the committed copy of iscc-core 1.3.0's data.json", function () {
    expect((vectors._metadata as unknown as { generator: string }).generator).to.equal("iscc-core 1.3.0");
  });

  for (const [name, v] of Object.entries(vectors.gen_meta_code_v0!)) {
    it(`Meta-Code ${name}`, function () {
      const [title, description, meta, bits] = v.inputs as [
        string,
        string,
        Record<string, unknown> | string | null,
        number,
      ];
      expect(isccMetaCode(title, description, meta, bits)).to.deep.equal(v.outputs);
    });
  }
  for (const [name, v] of Object.entries(vectors.gen_audio_code_v0!)) {
    it(`Audio-Code ${name}`, function () {
      const [cv, bits] = v.inputs as [number[], number];
      expect(isccAudioCode(cv, bits)).to.equal(v.outputs.iscc);
    });
  }
  for (const [name, v] of Object.entries(vectors.gen_video_code_v0!)) {
    it(`Video-Code ${name}`, function () {
      const [sigs, bits] = v.inputs as [number[][], number];
      expect(isccVideoCode(sigs, bits)).to.equal(v.outputs.iscc);
    });
  }
  for (const [name, v] of Object.entries(vectors.gen_data_code_v0!)) {
    it(`Data-Code ${name}`, function () {
      expect(isccDataCode(stream(v.inputs[0]), v.inputs[1] as number)).to.equal(v.outputs.iscc);
    });
  }
  for (const [name, v] of Object.entries(vectors.gen_instance_code_v0!)) {
    it(`Instance-Code ${name}`, function () {
      expect(isccInstanceCode(stream(v.inputs[0]), v.inputs[1] as number)).to.deep.equal(v.outputs);
    });
  }
  for (const [name, v] of Object.entries(vectors.gen_iscc_code_v0!)) {
    it(`ISCC-CODE ${name}`, function () {
      expect(isccCode(v.inputs[0] as string[])).to.equal(v.outputs.iscc);
    });
  }
});

describe("ISCC building blocks", function () {
  it("iscc.ts is pure: it bundles for a browser and reaches only errors.ts and fingerprint.ts of the SDK", async function () {
    this.timeout(60_000);
    const result = await build({
      entryPoints: [path.resolve(__dirname, "..", "..", "sdk", "src", "iscc.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const reached = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("sdk/src/"));
    expect(reached.sort()).to.deep.equal(["sdk/src/errors.ts", "sdk/src/fingerprint.ts", "sdk/src/iscc.ts"]);
  });

  it("base32 is RFC 4648's (test vectors of RFC 4648 §10, without padding)", function () {
    const cases: [string, string][] = [
      ["", ""],
      ["f", "MY"],
      ["fo", "MZXQ"],
      ["foo", "MZXW6"],
      ["foob", "MZXW6YQ"],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"],
    ];
    for (const [text, code] of cases) {
      expect(encodeBase32(new TextEncoder().encode(text))).to.equal(code);
      expect(Buffer.from(decodeBase32(code)).toString()).to.equal(text);
    }
    expect(() => decodeBase32("MZ1")).to.throw(/not a base32 character/);
  });

  it("xxHash32 matches the reference's published values", function () {
    // From the xxHash repository's sanity checks (seed 0): "" → 0x02CC5D05, "a" → 0x550D7456, "abc" → 0x32D153FF.
    expect(xxh32(new Uint8Array(0))).to.equal(0x02cc5d05);
    expect(xxh32(new TextEncoder().encode("a"))).to.equal(0x550d7456);
    expect(xxh32(new TextEncoder().encode("abc"))).to.equal(0x32d153ff);
    expect(xxh32(new TextEncoder().encode("Nobody inspects the spammish repetition"))).to.equal(0xe2293b2f);
  });

  it("headers round-trip through every variable-length nibble size", function () {
    for (const [mt, st, vs, ln] of [
      [0, 0, 0, 1],
      [5, 7, 1, 7],
      [2, 70, 500, 4000],
    ] as const) {
      const h = decodeIsccHeader(encodeIsccHeader(mt, st, vs, ln));
      expect([h.mainType, h.subType, h.version, h.length]).to.deep.equal([mt, st, vs, ln]);
    }
  });

  it("the Data-Code does not depend on how the bytes are pushed", function () {
    let x = 7;
    const data = Uint8Array.from({ length: 50_000 }, () => {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      return (x >>> 16) & 255;
    });
    const whole = isccDataCode(data, 256);
    const h = new DataCodeHasher();
    for (let at = 0; at < data.length; at += 777) h.push(data.subarray(at, at + 777));
    expect(h.code(256)).to.equal(whole);
    // One changed byte keeps most chunks, so the Data-Code stays close (it is a similarity hash).
    const edited = Uint8Array.from(data);
    edited[25_000] ^= 0xff;
    const a = decodeIsccHeader(decodeBase32(whole.slice(5))).body;
    const b = decodeIsccHeader(decodeBase32(isccDataCode(edited, 256).slice(5))).body;
    let diff = 0;
    for (let i = 0; i < a.length; i++) for (let bit = 0; bit < 8; bit++) diff += ((a[i]! ^ b[i]!) >> bit) & 1;
    expect(diff).to.be.within(1, 40);
  });

  it("refuses bad input with INVALID_ARGUMENT", function () {
    const attempts: [() => unknown, RegExp][] = [
      [() => isccMetaCode("   \n "), /non-empty name/],
      [() => isccMetaCode("x", "", null, 100), /invalid length 100/],
      [() => isccVideoCode([]), /at least one frame signature/],
      [() => isccVideoCode([[1, 2, 3]]), /need \d+ values/],
      [() => isccCode(["GAAXL2XYM5BQIAZ3"]), /at least two units/],
      [() => isccCode(["AAAZXZ6OU74YAZIM", "GAAXL2XYM5BQIAZ3"]), /Data-Code and an Instance-Code/],
      [() => isccCode(["GAAXL2XYM5BQIAZ3", "IAA26E2JXH27TI"]), /shorter than 64 bits/],
    ];
    for (const [attempt, message] of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(isCrossproofError(caught, "INVALID_ARGUMENT")).to.equal(true);
      expect((caught as Error).message).to.match(message);
    }
  });
});
