import { expect } from "chai";
import { createHash } from "node:crypto";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  EvidenceBatch,
  batchIdOf,
  batchLeaf,
  isCrossproofError,
  signEvidenceRequest,
  verifyBatchInclusion,
  type EvidenceBatchDump,
  type Hex,
} from "../../sdk/src";
import { cidOf, evidenceFixture } from "../helpers/fixtures";

/** `n` distinct pseudo-random record hashes. */
function recordHashes(n: number, seed: string): Hex[] {
  return Array.from({ length: n }, (_, i) => `0x${createHash("sha256").update(`${seed} ${i}`).digest("hex")}` as Hex);
}

/** The independent implementation: OpenZeppelin's StandardMerkleTree over ["bytes32"]. */
const openZeppelin = (hashes: readonly string[]) =>
  StandardMerkleTree.of(
    hashes.map((h): [string] => [h]),
    ["bytes32"],
  );

function expectInvalid(f: () => unknown, code = "INVALID_ARGUMENT"): void {
  try {
    f();
  } catch (err) {
    expect(isCrossproofError(err), String(err)).to.equal(true);
    expect((err as { code: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("Merkle batches (native keccak, OpenZeppelin's standard tree)", function () {
  this.timeout(300_000);

  describe("the same tree as @openzeppelin/merkle-tree", function () {
    const sizes = [...Array.from({ length: 33 }, (_, i) => i + 1), 63, 64, 65, 100, 255, 256, 257, 1000, 4097];
    it(`roots, dumps and every proof, for ${sizes.length} sizes from 1 to 4,097 records`, async function () {
      for (const n of sizes) {
        const hashes = recordHashes(n, `sizes ${n}`);
        const batch = EvidenceBatch.build(hashes);
        const oz = openZeppelin(hashes);
        expect(batch.root, `root of ${n}`).to.equal(oz.root);
        expect(batch.count).to.equal(n);
        expect(batch.dump(), `dump of ${n}`).to.deep.equal(oz.dump());
        hashes.forEach((h, i) => {
          const proof = batch.proof(h);
          expect(proof, `proof ${i} of ${n}`).to.deep.equal(oz.getProof(i));
          expect(verifyBatchInclusion(batch.root, h, proof)).to.equal(true);
        });
      }
    });

    it("record hashes in any case give the lower-case tree", async function () {
      const hashes = recordHashes(9, "case");
      const upper = hashes.map((h) => `0x${h.slice(2).toUpperCase()}`);
      const batch = EvidenceBatch.build(upper);
      expect(batch.dump()).to.deep.equal(openZeppelin(hashes).dump());
      expect(batch.proof(upper[4]!)).to.deep.equal(batch.proof(hashes[4]!));
    });

    it("refuses empty batches, malformed and duplicate record hashes", async function () {
      const hashes = recordHashes(5, "refuse");
      expectInvalid(() => EvidenceBatch.build([]));
      expectInvalid(() => EvidenceBatch.build([...hashes, "0x1234"]));
      expectInvalid(() => EvidenceBatch.build([...hashes, `0x${"zz".repeat(32)}`]));
      expectInvalid(() => EvidenceBatch.build([...hashes, hashes[0]!.slice(2)]));
      expectInvalid(() => EvidenceBatch.build([...hashes, `0x${hashes[2]!.slice(2).toUpperCase()}`]));
      expectInvalid(() => EvidenceBatch.build(hashes).proof(recordHashes(1, "outsider")[0]!), "MERKLE_LEAF_NOT_FOUND");
    });
  });

  describe("verifyBatchInclusion, as MerkleProof.verify", function () {
    const hashes = recordHashes(37, "verify");
    const batch = EvidenceBatch.build(hashes);
    const oz = openZeppelin(hashes);

    it("agrees with StandardMerkleTree.verify on good and bad proofs", async function () {
      const outsider = recordHashes(1, "not in the batch")[0]!;
      const proof = batch.proof(hashes[5]!);
      const cases: [string, string, string[]][] = [
        [batch.root, hashes[5]!, proof],
        [batch.root, hashes[6]!, proof],
        [batch.root, outsider, proof],
        [batch.root, hashes[5]!, proof.slice(0, -1)],
        [batch.root, hashes[5]!, [...proof, proof[0]!]],
        [batch.root, hashes[5]!, [proof[1]!, proof[0]!, ...proof.slice(2)]],
        [batch.root, hashes[5]!, [`0x${"00".repeat(32)}`, ...proof.slice(1)]],
        [recordHashes(1, "another root")[0]!, hashes[5]!, proof],
        [batch.root, hashes[5]!, []],
      ];
      for (const [root, leaf, p] of cases) {
        expect(verifyBatchInclusion(root, leaf, p)).to.equal(StandardMerkleTree.verify(root, ["bytes32"], [leaf], p));
      }
      expect(verifyBatchInclusion(batch.root, hashes[5]!, proof)).to.equal(true);
      // A single-record batch: the root is the leaf, the proof is empty.
      const single = EvidenceBatch.build([outsider]);
      expect(single.root).to.equal(batchLeaf(outsider));
      expect(single.proof(outsider)).to.deep.equal([]);
      expect(verifyBatchInclusion(single.root, outsider, [])).to.equal(true);
    });

    it("is false, not an exception, for malformed input", async function () {
      const proof = batch.proof(hashes[0]!);
      expect(verifyBatchInclusion("0x12", hashes[0]!, proof)).to.equal(false);
      expect(verifyBatchInclusion(batch.root, "not hex", proof)).to.equal(false);
      expect(verifyBatchInclusion(batch.root, hashes[0]!, [...proof.slice(1), "0x00"])).to.equal(false);
      expect(verifyBatchInclusion(batch.root, hashes[0]!, [proof[0]!.slice(0, 65)])).to.equal(false);
      expect(oz.verify([hashes[0]!], proof)).to.equal(true);
    });
  });

  describe("dumps", function () {
    const hashes = recordHashes(21, "dumps");

    it("round-trip through JSON and through OpenZeppelin's load, both ways", async function () {
      const batch = EvidenceBatch.build(hashes);
      const json = JSON.parse(JSON.stringify(batch.dump())) as EvidenceBatchDump;
      const restored = EvidenceBatch.load(json);
      expect(restored.root).to.equal(batch.root);
      expect(restored.count).to.equal(21);
      expect(restored.proof(hashes[7]!)).to.deep.equal(batch.proof(hashes[7]!));
      expect(StandardMerkleTree.load(json).root).to.equal(batch.root);
      expect(EvidenceBatch.load(openZeppelin(hashes).dump()).dump()).to.deep.equal(batch.dump());
    });

    it("refuses dumps whose tree, values or encoding do not hold together", async function () {
      const good = EvidenceBatch.build(hashes).dump();
      const edit = (f: (d: EvidenceBatchDump) => void) => {
        const d = JSON.parse(JSON.stringify(good)) as EvidenceBatchDump;
        f(d);
        return d;
      };
      const bad: EvidenceBatchDump[] = [
        edit((d) => (d.format = "simple-v1" as "standard-v1")),
        edit((d) => (d.tree[3] = `0x${"11".repeat(32)}`)),
        edit((d) => (d.tree[0] = `0x${"11".repeat(32)}`)),
        edit((d) => (d.tree[d.tree.length - 1] = `0x${"11".repeat(32)}`)),
        edit((d) => d.tree.pop()),
        edit((d) => (d.tree[2] = "0x1234")),
        edit((d) => (d.values[4]!.value = [recordHashes(1, "forged")[0]!])),
        edit(
          (d) => ([d.values[0]!.treeIndex, d.values[1]!.treeIndex] = [d.values[1]!.treeIndex, d.values[0]!.treeIndex]),
        ),
        edit((d) => (d.values[0]!.treeIndex = 0)),
      ];
      for (const d of bad) {
        expectInvalid(() => EvidenceBatch.load(d));
        expect(() => StandardMerkleTree.load(d)).to.throw();
      }
      // OpenZeppelin loads this one (a uint256 encodes to the same 32 bytes); a batch is bytes32 records only.
      expectInvalid(() => EvidenceBatch.load(edit((d) => (d.leafEncoding = ["uint256"]))));
    });
  });

  describe("on chain: EvidenceRegistry.verifyInclusion accepts every proof", function () {
    it("for batches of 1, 2, 3, 5, 8, 13 and 100 records", async function () {
      const f = await loadFixture(evidenceFixture);
      for (const n of [1, 2, 3, 5, 8, 13, 100]) {
        const hashes = recordHashes(n, `on chain ${n}`);
        const batch = EvidenceBatch.build(hashes);
        const now = await time.latest();
        const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorBatch", {
          root: batch.root,
          count: batch.count,
          manifestCid: cidOf(`batch ${n}`),
          category: 4,
          deadline: now + 3600,
        });
        await (await f.registry.connect(f.deployer).anchorBatch(signed.request, signed.signature)).wait();
        const batchId = batchIdOf(4n, batch.root);
        for (const h of hashes) {
          expect(await f.registry.verifyInclusion(batchId, h, batch.proof(h)), `record of ${n}`).to.equal(true);
        }
        const outsider = recordHashes(1, `outsider ${n}`)[0]!;
        expect(await f.registry.batchLeaf(outsider)).to.equal(batchLeaf(outsider));
        expect(await f.registry.verifyInclusion(batchId, outsider, batch.proof(hashes[0]!))).to.equal(false);
      }
    });
  });
});
