import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { Wallet, keccak256, toBeHex, zeroPadValue, type JsonRpcProvider } from "ethers";
import {
  type CrossproofError,
  blockHeaderRlp,
  decodeQbftExtraData,
  encodeQbftExtraData,
  qbftBlockHash,
  qbftCommitSealDigest,
  qbftGenesisExtraData,
  qbftQuorum,
  signQbftCommitSeal,
  verifyQbftCommitSeals,
  type QbftBlockHeader,
  type QbftExtraData,
} from "../../sdk/src";
import { devAccount, freePort, localProvider, startAnvil, type RunningAnvil } from "../../scripts/lib/anvil";

interface Vector {
  source: string;
  extraData: string;
  decoded: Omit<QbftExtraData, "vote"> & { vote: QbftExtraData["vote"] | null };
}
const besuVectors = (
  JSON.parse(readFileSync(path.join(__dirname, "vectors", "besu-qbft-extradata.json"), "utf8")) as {
    vectors: Vector[];
  }
).vectors;

/** Eight validators (two per country in the four-country example), deterministic test keys. */
const keys = Array.from({ length: 8 }, (_, i) => keccak256(Buffer.from(`crossproof qbft test validator ${i}`)));
const validators = keys.map((k) => new Wallet(k).address);
const stranger = keccak256(Buffer.from("not a validator"));

/** A Cancun header as Besu's JSON-RPC answers for a QBFT block at `round`, sealed by `sealers` (indices or keys). */
function sealedHeader(round: number, sealers: readonly (number | string)[], signRound = round): QbftBlockHeader {
  const unsealed: QbftBlockHeader = {
    parentHash: keccak256(Buffer.from("parent")),
    sha3Uncles: "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
    miner: validators[3]!,
    stateRoot: keccak256(Buffer.from("state")),
    transactionsRoot: keccak256(Buffer.from("txs")),
    receiptsRoot: keccak256(Buffer.from("receipts")),
    logsBloom: zeroPadValue("0x", 256),
    difficulty: "0x1",
    number: "0x4d2",
    gasLimit: toBeHex(30_000_000),
    gasUsed: toBeHex(123_456),
    timestamp: toBeHex(1_767_225_600),
    extraData: encodeQbftExtraData({
      vanity: zeroPadValue("0x", 32),
      validators,
      vote: undefined,
      round: signRound,
      seals: [],
    }),
    mixHash: "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
    nonce: "0x0000000000000000",
    baseFeePerGas: "0x0",
    withdrawalsRoot: "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    blobGasUsed: "0x0",
    excessBlobGas: "0x0",
    parentBeaconBlockRoot: zeroPadValue("0x", 32),
  };
  const seals = sealers.map((s) => signQbftCommitSeal(unsealed, typeof s === "number" ? keys[s]! : s));
  const extra = decodeQbftExtraData(unsealed.extraData);
  const header = { ...unsealed, extraData: encodeQbftExtraData({ ...extra, round, seals }) };
  return { ...header, hash: qbftBlockHash(header) };
}

describe("QBFT finality: Besu's extraData codec and commit seals, offline", function () {
  it("is pure: bundles for a browser without any chain, network or storage module of the SDK, and is a sub-path export", async function () {
    const sdk = path.resolve(__dirname, "..", "..", "sdk");
    const result = await build({
      entryPoints: [path.join(sdk, "src", "qbft.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const reached = Object.keys(result.metafile.inputs).filter((f) => f.startsWith("sdk/src/"));
    expect(reached.sort()).to.deep.equal(["sdk/src/errors.ts", "sdk/src/qbft.ts"]);
    const pkg = JSON.parse(readFileSync(path.join(sdk, "package.json"), "utf8")) as {
      exports: Record<string, { default: string }>;
    };
    expect(pkg.exports["./qbft"]?.default).to.equal("./dist/qbft.js");
  });

  describe("extraData, against Besu's own test vectors", function () {
    for (const v of besuVectors) {
      it(`decodes and re-encodes ${v.source.split(" ")[0]!.split("/").pop()}`, function () {
        const decoded = decodeQbftExtraData(v.extraData);
        expect(decoded.vanity).to.equal(v.decoded.vanity);
        expect(decoded.validators.map((a) => a.toLowerCase())).to.deep.equal(v.decoded.validators);
        expect(
          decoded.vote === undefined ? null : { ...decoded.vote, recipient: decoded.vote.recipient.toLowerCase() },
        ).to.deep.equal(v.decoded.vote);
        expect(decoded.round).to.equal(v.decoded.round);
        expect(decoded.seals).to.deep.equal(v.decoded.seals);
        expect(encodeQbftExtraData(decoded)).to.equal(v.extraData);
      });
    }

    it("writes a genesis extraData as Besu's genesis files do (zero vanity, validators, no vote, round 0, no seals)", function () {
      const oneValidator = besuVectors.find((v) => v.decoded.validators.length === 1)!;
      expect(qbftGenesisExtraData(oneValidator.decoded.validators)).to.equal(oneValidator.extraData);
      expect(decodeQbftExtraData(qbftGenesisExtraData(validators)).validators).to.deep.equal(validators);
    });

    it("a drop vote is the empty byte string, an add vote 0xff", function () {
      const base = decodeQbftExtraData(qbftGenesisExtraData(validators));
      const drop = encodeQbftExtraData({ ...base, vote: { recipient: validators[0]!, add: false } });
      expect(decodeQbftExtraData(drop).vote).to.deep.equal({ recipient: validators[0], add: false });
      expect(drop.endsWith("80" + "80c0")).to.equal(true); // [address, ""], round 0, no seals
    });

    it("refuses what is not QBFT extraData", function () {
      const refused = (hex: string) => {
        try {
          decodeQbftExtraData(hex);
        } catch (err) {
          return (err as CrossproofError).code;
        }
        return "accepted";
      };
      expect(refused("0x")).to.equal("INVALID_ARGUMENT");
      expect(refused("0x1234")).to.equal("INVALID_ARGUMENT");
      // An IBFT 2.0 / Clique-style vanity-prefixed extraData (Besu's qbft-migration.json starts so) is not RLP of 5.
      expect(refused("0x" + "00".repeat(32) + "c0")).to.equal("INVALID_ARGUMENT");
      // A non-minimal round (0x00 prefix) is refused as Besu's strict RLP reader does.
      expect(refused("0xe6a0" + "00".repeat(32) + "c0c08100c0")).to.equal("INVALID_ARGUMENT");
    });
  });

  describe("header hashing", function () {
    let anvil: RunningAnvil;
    let provider: JsonRpcProvider;
    before(async function () {
      anvil = await startAnvil({ port: await freePort(), idleBlocks: false });
      provider = localProvider(anvil.url);
    });
    after(async function () {
      provider.destroy();
      await anvil.stop();
    });

    it("serializes a Cancun header as an independent client does: keccak of the RLP is Anvil's block hash", async function () {
      const sender = devAccount(1, provider);
      await (await sender.sendTransaction({ to: devAccount(2, provider).address, value: 1n })).wait();
      const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as QbftBlockHeader;
      expect(block.parentBeaconBlockRoot).to.be.a("string");
      expect(keccak256(blockHeaderRlp(block))).to.equal(block.hash);
    });

    it("the block hash leaves out the seals and the round; the seal digest keeps the round", function () {
      const a = sealedHeader(0, [0, 1]);
      const b = sealedHeader(3, [2, 3, 4, 5, 6, 7]);
      expect(qbftBlockHash(a)).to.equal(qbftBlockHash(b));
      expect(qbftCommitSealDigest(a)).to.not.equal(qbftCommitSealDigest(b));
      expect(qbftCommitSealDigest(sealedHeader(3, []))).to.equal(qbftCommitSealDigest(b));
    });
  });

  describe("commit seals", function () {
    it("needs ⌈2N/3⌉ seals (Besu's calculateRequiredValidatorQuorum)", function () {
      expect([1, 2, 3, 4, 5, 6, 7, 8, 10].map(qbftQuorum)).to.deep.equal([1, 2, 2, 3, 4, 4, 5, 6, 7]);
    });

    it("accepts a block sealed by a quorum of distinct validators, in any order", function () {
      const verdict = verifyQbftCommitSeals({ header: sealedHeader(2, [7, 0, 5, 2, 3, 1]), validators });
      expect(verdict).to.include({ final: true, code: "FINAL", quorum: 6, round: 2, blockNumber: 1234 });
      expect(verdict.committers).to.deep.equal([7, 0, 5, 2, 3, 1].map((i) => validators[i]));
      expect(verifyQbftCommitSeals({ header: sealedHeader(0, [0, 1, 2, 3, 4, 5, 6, 7]), validators }).final).to.equal(
        true,
      );
    });

    it("rejects a block one seal short of the quorum", function () {
      const verdict = verifyQbftCommitSeals({ header: sealedHeader(2, [0, 1, 2, 3, 4]), validators });
      expect(verdict).to.include({ final: false, code: "TOO_FEW_SEALS", quorum: 6 });
      expect(verdict.committers).to.have.length(5);
    });

    it("attack: a validator's seal repeated to make up the quorum", function () {
      const verdict = verifyQbftCommitSeals({ header: sealedHeader(2, [0, 1, 2, 3, 4, 4]), validators });
      expect(verdict).to.include({ final: false, code: "DUPLICATE_SEAL", offender: validators[4] });
    });

    it("attack: a seal by a key outside the validator set", function () {
      const verdict = verifyQbftCommitSeals({ header: sealedHeader(2, [0, 1, 2, 3, 4, stranger]), validators });
      expect(verdict).to.include({ final: false, code: "NOT_A_VALIDATOR", offender: new Wallet(stranger).address });
    });

    it("attack: seals made at round 1 presented in a header claiming round 2", function () {
      const verdict = verifyQbftCommitSeals({ header: sealedHeader(2, [0, 1, 2, 3, 4, 5], 1), validators });
      expect(verdict).to.include({ final: false, code: "NOT_A_VALIDATOR" });
      expect(verdict.offender).to.not.be.oneOf(validators);
      // The same seals in the header of the round they were made for do make it final.
      expect(verifyQbftCommitSeals({ header: sealedHeader(1, [0, 1, 2, 3, 4, 5]), validators }).final).to.equal(true);
    });

    it("attack: a sealed header with a field changed after sealing", function () {
      const header = sealedHeader(2, [0, 1, 2, 3, 4, 5]);
      const tampered = { ...header, stateRoot: keccak256(Buffer.from("another state")) };
      expect(verifyQbftCommitSeals({ header: tampered, validators }).code).to.equal("HASH_MISMATCH");
      const { hash: _dropped, ...withoutHash } = tampered;
      expect(verifyQbftCommitSeals({ header: withoutHash, validators }).code).to.equal("NOT_A_VALIDATOR");
    });

    it("attack: a seal that is no signature", function () {
      const header = sealedHeader(2, [0, 1, 2, 3, 4, 5]);
      const extra = decodeQbftExtraData(header.extraData);
      const broken = { ...extra, seals: [...extra.seals.slice(0, 5), "0x" + "00".repeat(64) + "07"] };
      const verdict = verifyQbftCommitSeals({
        header: { ...header, extraData: encodeQbftExtraData(broken) },
        validators,
      });
      expect(verdict).to.include({ final: false, code: "SEAL_MALFORMED" });
    });

    it("judges against the validators given, not those the header lists", function () {
      const header = sealedHeader(2, [0, 1, 2, 3, 4, 5]);
      // Four of the eight (one country each) is not the set the block names; 4 of them sealed but 0, 1 … are foreign.
      expect(verifyQbftCommitSeals({ header, validators: validators.slice(4) }).code).to.equal("NOT_A_VALIDATOR");
      expect(verifyQbftCommitSeals({ header, validators: validators.slice(0, 6) }).final).to.equal(true);
    });
  });
});
