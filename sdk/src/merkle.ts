import type { StandardMerkleTreeData } from "@openzeppelin/merkle-tree/dist/standard";
import { AbiCoder, concat, keccak256 } from "ethers";
import createKeccak from "keccak";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";

/**
 * Merkle batches: OpenZeppelin's standard Merkle tree (`@openzeppelin/merkle-tree`, `StandardMerkleTree` with leaf
 * encoding `["bytes32"]`), built on raw bytes with the native `keccak` binding. Same leaves
 * (`keccak256(keccak256(abi.encode(bytes32)))`), same sorting (leaves ascending, each pair hashed in ascending
 * order), same node order, proofs and JSON dump as OpenZeppelin's library, which the tests compare against for many
 * sizes; about ten times faster, because no value goes through a hex string or an ABI coder on the way.
 */

const LEAF_ENCODING = ["bytes32"];
const BYTES32 = /^0x[0-9a-f]{64}$/;
const HEX32 = /^(0x)?[0-9a-fA-F]{64}$/;

// ------------------------------------------------------------------------------------------------------------------
// keccak256 on bytes
// ------------------------------------------------------------------------------------------------------------------

/** The native Keccak sponge behind the `keccak` package's hash objects. */
interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

/** keccak256 of `data`, 32 bytes. */
type Keccak256 = (data: Buffer) => Buffer;

const viaPublicApi: Keccak256 = (data) => createKeccak("keccak256").update(data).digest();

/**
 * The package's public API wraps every hash in a `stream.Transform`, whose construction costs more than hashing 64
 * bytes; the native sponge under it is reused here instead, once it has given the public API's answers on known
 * inputs. Should the package change inside, the public API is used (same results, slower).
 */
function fastestKeccak256(): Keccak256 {
  try {
    const Sponge = (createKeccak("keccak256") as unknown as { _state?: { constructor: new () => KeccakSponge } })._state
      ?.constructor;
    if (Sponge === undefined) return viaPublicApi;
    const sponge = new Sponge();
    const hash: Keccak256 = (data) => {
      sponge.initialize(1088, 512);
      sponge.absorb(data);
      sponge.absorbLastFewBits(0x01);
      return sponge.squeeze(32);
    };
    const probes = [Buffer.alloc(0), Buffer.alloc(32, 0xab), Buffer.alloc(64, 0xcd), Buffer.alloc(200, 0xef)];
    return probes.every((p) => hash(p).equals(viaPublicApi(p))) ? hash : viaPublicApi;
  } catch {
    return viaPublicApi;
  }
}

const keccak: Keccak256 = fastestKeccak256();

/** The standard leaf of a `bytes32` value: keccak256(keccak256(abi.encode(value))), abi.encode being the identity. */
const leafOf = (value: Buffer): Buffer => keccak(keccak(value));

/** Compares the 32-byte nodes at offsets `a` and `b` of `nodes` (negative when `a` comes first). */
const compareNodes = (nodes: Buffer, a: number, b: number): number => nodes.compare(nodes, b, b + 32, a, a + 32);

/** The standard node hash of the nodes at offsets `a` and `b`: keccak256 of the two, smaller first. */
function hashPair(nodes: Buffer, a: number, b: number, scratch: Buffer): Buffer {
  const [lo, hi] = compareNodes(nodes, a, b) <= 0 ? [a, b] : [b, a];
  nodes.copy(scratch, 0, lo, lo + 32);
  nodes.copy(scratch, 32, hi, hi + 32);
  return keccak(scratch);
}

/** Mirror of `EvidenceRegistry.batchLeaf`: the OpenZeppelin standard leaf of a `bytes32` record hash. */
export function batchLeaf(recordHash: string): Hex {
  return keccak256(concat([keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32"], [recordHash]))])) as Hex;
}

// ------------------------------------------------------------------------------------------------------------------
// Batches
// ------------------------------------------------------------------------------------------------------------------

/** A batch in OpenZeppelin's `StandardMerkleTree` JSON dump format (`format: "standard-v1"`). */
export type EvidenceBatchDump = StandardMerkleTreeData<[string]>;

/**
 * A Merkle batch over record hashes (OpenZeppelin standard Merkle tree, leaves `["bytes32"]`), as
 * `EvidenceRegistry.anchorBatch` anchors it and `verifyInclusion` checks it.
 *
 * The tree is kept as OpenZeppelin lays it out: node `i` has children `2i+1` and `2i+2`, the root is node 0, and
 * the sorted leaves fill the last `n` places in reverse order.
 * @example
 * const batch = EvidenceBatch.build(recordHashes);
 * // anchor batch.root with batch.count; later:
 * const proof = batch.proof(recordHashes[7]);
 */
export class EvidenceBatch {
  private index: Map<string, number> | undefined;

  private constructor(
    /** The tree's nodes, 32 bytes each, in OpenZeppelin's order. */
    private readonly nodes: Buffer,
    /** Record hashes (lower case) in the order given. */
    private readonly values: readonly string[],
    /** Where each record's leaf is in the tree. */
    private readonly treeIndex: Uint32Array,
  ) {}

  /** Builds the batch; record hashes must be distinct `bytes32` hex strings. */
  static build(recordHashes: readonly string[]): EvidenceBatch {
    const n = recordHashes.length;
    if (n === 0) throw new CrossproofError("INVALID_ARGUMENT", "a batch needs at least one record");
    const values = recordHashes.map((h) => {
      const lower = h.toLowerCase();
      if (!BYTES32.test(lower)) throw new CrossproofError("INVALID_ARGUMENT", `not a bytes32 record hash: ${h}`);
      return lower;
    });
    const leaves = Buffer.allocUnsafe(32 * n);
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      leafOf(Buffer.from(values[i]!.slice(2), "hex")).copy(leaves, 32 * i);
      keys[i] = leaves.readUIntBE(32 * i, 6);
    }
    // Leaves ascending (by their first 48 bits, then by all 256).
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => keys[a]! - keys[b]! || compareNodes(leaves, 32 * a, 32 * b));
    const size = 2 * n - 1;
    const nodes = Buffer.allocUnsafe(32 * size);
    const treeIndex = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const v = order[k]!;
      if (k > 0 && compareNodes(leaves, 32 * order[k - 1]!, 32 * v) === 0) {
        throw new CrossproofError("INVALID_ARGUMENT", `duplicate record hash in batch: ${recordHashes[v]}`);
      }
      treeIndex[v] = size - 1 - k;
      leaves.copy(nodes, 32 * (size - 1 - k), 32 * v, 32 * v + 32);
    }
    const scratch = Buffer.allocUnsafe(64);
    for (let i = size - 1 - n; i >= 0; i--) {
      hashPair(nodes, 32 * (2 * i + 1), 32 * (2 * i + 2), scratch).copy(nodes, 32 * i);
    }
    return new EvidenceBatch(nodes, values, treeIndex);
  }

  /**
   * Restores a batch from {@link EvidenceBatch.dump} or OpenZeppelin's `StandardMerkleTree.dump()` (the batch
   * manifest kept with the records), checking every node and leaf as OpenZeppelin's `load` does.
   */
  static load(dump: EvidenceBatchDump): EvidenceBatch {
    try {
      if (dump.format !== "standard-v1") throw new Error(`unknown format ${String(dump.format)}`);
      if (!Array.isArray(dump.leafEncoding) || dump.leafEncoding.join() !== LEAF_ENCODING.join()) {
        throw new Error("leaf encoding is not bytes32");
      }
      const tree = dump.tree;
      if (!Array.isArray(tree) || tree.length % 2 !== 1) throw new Error("a tree has an odd number of nodes");
      const nodes = Buffer.allocUnsafe(32 * tree.length);
      tree.forEach((node, i) => {
        if (typeof node !== "string" || !HEX32.test(node)) throw new Error(`node ${i} is not 32 bytes`);
        nodes.write(node.replace(/^0x/, ""), 32 * i, "hex");
      });
      const scratch = Buffer.allocUnsafe(64);
      for (let i = 0; 2 * i + 2 < tree.length; i++) {
        if (!hashPair(nodes, 32 * (2 * i + 1), 32 * (2 * i + 2), scratch).equals(nodes.subarray(32 * i, 32 * i + 32))) {
          throw new Error(`node ${i} is not the hash of its children`);
        }
      }
      const firstLeaf = (tree.length - 1) / 2;
      const values = dump.values.map(({ value, treeIndex }, i) => {
        const h = Array.isArray(value) && value.length === 1 ? value[0] : undefined;
        if (typeof h !== "string" || !BYTES32.test(h.toLowerCase())) throw new Error(`value ${i} is not bytes32`);
        if (!Number.isInteger(treeIndex) || treeIndex < firstLeaf || treeIndex >= tree.length) {
          throw new Error(`value ${i} is not at a leaf`);
        }
        if (!leafOf(Buffer.from(h.slice(2), "hex")).equals(nodes.subarray(32 * treeIndex, 32 * treeIndex + 32))) {
          throw new Error(`value ${i} does not match its leaf`);
        }
        return h.toLowerCase();
      });
      return new EvidenceBatch(
        nodes,
        values,
        Uint32Array.from(dump.values, (v) => v.treeIndex),
      );
    } catch (cause) {
      throw new CrossproofError("INVALID_ARGUMENT", `not a batch dump: ${String(cause)}`, { cause });
    }
  }

  get root(): Hex {
    return this.node(0);
  }

  /** The number of records. */
  get count(): number {
    return this.values.length;
  }

  /** The inclusion proof of a record hash in this batch (sibling nodes from the leaf up). */
  proof(recordHash: string): Hex[] {
    this.index ??= new Map(this.values.map((v, i) => [v, i]));
    const i = this.index.get(recordHash.toLowerCase());
    if (i === undefined) {
      throw new CrossproofError("MERKLE_LEAF_NOT_FOUND", `record ${recordHash} is not in batch ${this.root}`);
    }
    const proof: Hex[] = [];
    for (let t = this.treeIndex[i]!; t > 0; t = (t - 1) >> 1) proof.push(this.node(t % 2 === 1 ? t + 1 : t - 1));
    return proof;
  }

  /** The tree in OpenZeppelin's JSON dump format (what `StandardMerkleTree.dump()` gives for the same records). */
  dump(): EvidenceBatchDump {
    return {
      format: "standard-v1",
      leafEncoding: [...LEAF_ENCODING],
      tree: Array.from({ length: this.nodes.byteLength / 32 }, (_, i) => this.node(i)),
      values: this.values.map((value, i) => ({ value: [value], treeIndex: this.treeIndex[i]! })),
    };
  }

  private node(i: number): Hex {
    return `0x${this.nodes.toString("hex", 32 * i, 32 * i + 32)}`;
  }
}

/** Verifies offline that `recordHash` is under `root`, as `EvidenceRegistry.verifyInclusion` does on chain. */
export function verifyBatchInclusion(root: string, recordHash: string, proof: readonly string[]): boolean {
  if (![root, recordHash, ...proof].every((h) => typeof h === "string" && HEX32.test(h))) return false;
  const bytes = (h: string) => Buffer.from(h.replace(/^0x/, ""), "hex");
  const pair = Buffer.allocUnsafe(64);
  let node = leafOf(bytes(recordHash));
  for (const sibling of proof) {
    const s = bytes(sibling);
    const [lo, hi] = Buffer.compare(node, s) <= 0 ? [node, s] : [s, node];
    lo.copy(pair, 0);
    hi.copy(pair, 32);
    node = keccak(pair);
  }
  return node.equals(bytes(root));
}
