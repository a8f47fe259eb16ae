import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { StandardMerkleTreeData } from "@openzeppelin/merkle-tree/dist/standard";
import { AbiCoder, concat, keccak256 } from "ethers";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";

const LEAF_ENCODING = ["bytes32"];
const BYTES32 = /^0x[0-9a-f]{64}$/;

/** Mirror of `EvidenceRegistry.batchLeaf`: the OpenZeppelin standard leaf of a `bytes32` record hash. */
export function batchLeaf(recordHash: string): Hex {
  return keccak256(concat([keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32"], [recordHash]))])) as Hex;
}

/**
 * A Merkle batch over record hashes (OpenZeppelin standard Merkle tree, leaves `["bytes32"]`), as
 * `EvidenceRegistry.anchorBatch` anchors it and `verifyInclusion` checks it.
 * @example
 * const batch = EvidenceBatch.build(recordHashes);
 * // anchor batch.root with batch.count; later:
 * const proof = batch.proof(recordHashes[7]);
 */
export class EvidenceBatch {
  private readonly index = new Map<string, number>();

  private constructor(private readonly tree: StandardMerkleTree<[string]>) {
    for (const [i, [hash]] of tree.entries()) this.index.set(hash.toLowerCase(), i);
  }

  /** Builds the batch; record hashes must be distinct `bytes32` hex strings. */
  static build(recordHashes: readonly string[]): EvidenceBatch {
    if (recordHashes.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "a batch needs at least one record");
    const seen = new Set<string>();
    for (const h of recordHashes) {
      const lower = h.toLowerCase();
      if (!BYTES32.test(lower)) throw new CrossproofError("INVALID_ARGUMENT", `not a bytes32 record hash: ${h}`);
      if (seen.has(lower)) throw new CrossproofError("INVALID_ARGUMENT", `duplicate record hash in batch: ${h}`);
      seen.add(lower);
    }
    return new EvidenceBatch(
      StandardMerkleTree.of(
        recordHashes.map((h) => [h.toLowerCase()] as [string]),
        LEAF_ENCODING,
      ),
    );
  }

  /** Restores a batch from {@link EvidenceBatch.dump} (the batch manifest kept with the records). */
  static load(dump: StandardMerkleTreeData<[string]>): EvidenceBatch {
    try {
      if (dump.leafEncoding.join() !== LEAF_ENCODING.join()) throw new Error("leaf encoding is not bytes32");
      return new EvidenceBatch(StandardMerkleTree.load(dump));
    } catch (cause) {
      throw new CrossproofError("INVALID_ARGUMENT", "not a batch dump", { cause });
    }
  }

  get root(): Hex {
    return this.tree.root as Hex;
  }

  get count(): number {
    return this.index.size;
  }

  /** The inclusion proof of a record hash in this batch. */
  proof(recordHash: string): Hex[] {
    const i = this.index.get(recordHash.toLowerCase());
    if (i === undefined) {
      throw new CrossproofError("MERKLE_LEAF_NOT_FOUND", `record ${recordHash} is not in batch ${this.root}`);
    }
    return this.tree.getProof(i) as Hex[];
  }

  /** The tree in OpenZeppelin's JSON dump format. */
  dump(): StandardMerkleTreeData<[string]> {
    return this.tree.dump();
  }
}

/** Verifies offline that `recordHash` is under `root`, as `EvidenceRegistry.verifyInclusion` does on chain. */
export function verifyBatchInclusion(root: string, recordHash: string, proof: readonly string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, LEAF_ENCODING, [recordHash.toLowerCase()], [...proof]);
  } catch {
    return false;
  }
}
