/**
 * QBFT finality, offline: Hyperledger Besu's QBFT `extraData` codec, its two header hashes, and a check that a block
 * carries commit seals from a quorum of its validators.
 *
 * Follows Besu's own source (hyperledger/besu, `QbftExtraDataCodec`, `BftBlockHashing`, `BftCommitSealsValidationRule`,
 * `BftHelpers.calculateRequiredValidatorQuorum`):
 *
 * - `extraData` = RLP([vanity (32 bytes), [validator addresses], vote, round, [commit seals]]), where vote is the
 *   empty list or [address, 0xff (add) | empty (drop)], round an RLP scalar (0 encodes as the empty string), and
 *   each seal 65 bytes `r ‖ s ‖ recovery id (0|1)`.
 * - The block hash (what `eth_getBlockByNumber` answers as `hash`) is keccak256 of the RLP header whose extraData has
 *   round 0 and no seals; the commit-seal digest each validator signs is keccak256 of the RLP header whose extraData
 *   keeps the round and has no seals. A seal made at another round recovers to another address.
 * - A block is final when the seals recover to at least ⌈2N/3⌉ distinct addresses, all among the N validators that
 *   were in force for it (those of the parent block's extraData, in Besu's block-header validator mode); Besu refuses
 *   a header with a duplicated seal outright, and so does {@link verifyQbftCommitSeals}.
 *
 * Pure: no network. Read the header and its parent with `eth_getBlockByHash` and pass them in.
 */
import {
  SigningKey,
  Signature,
  computeAddress,
  concat,
  dataLength,
  decodeRlp,
  encodeRlp,
  getAddress,
  getBytes,
  hexlify,
  isHexString,
  keccak256,
  toBeArray,
  zeroPadValue,
  type RlpStructuredData,
} from "ethers";
// errors.ts, not the barrel: this module stays pure (no chain or network module reached), like the domain modules.
import { CrossproofError } from "./errors";

/** A block header as JSON-RPC `eth_getBlockByNumber` / `eth_getBlockByHash` answers it (hex strings). */
export interface QbftBlockHeader {
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  number: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  /** London and later. */
  baseFeePerGas?: string | null;
  /** Shanghai and later. */
  withdrawalsRoot?: string | null;
  /** Cancun and later (with `excessBlobGas` and `parentBeaconBlockRoot`). */
  blobGasUsed?: string | null;
  excessBlobGas?: string | null;
  parentBeaconBlockRoot?: string | null;
  /** Prague and later. */
  requestsHash?: string | null;
  /** The block hash the node reported; checked when present. */
  hash?: string | null;
}

/** A validator vote carried in a block (Besu's block-header validator mode; `qbft_proposeValidatorVote`). */
export interface QbftVote {
  recipient: string;
  /** true: add the recipient to the validators; false: drop it. */
  add: boolean;
}

/** Decoded QBFT `extraData`. */
export interface QbftExtraData {
  /** 32 bytes, hex. */
  vanity: string;
  /** Checksummed addresses, in the order the block lists them. */
  validators: string[];
  vote: QbftVote | undefined;
  round: number;
  /** Commit seals, 65 bytes each, hex. */
  seals: string[];
}

/** Which parts of the extraData an encoding keeps (Besu's `EncodingType`). */
export type QbftExtraDataEncoding = "all" | "withoutCommitSeals" | "withoutCommitSealsAndRound";

const VANITY_BYTES = 32;
const SEAL_BYTES = 65;
const ADD_VOTE = "0xff";
/** The BFT mix hash Besu requires in a QBFT genesis ("ctical byzantine fault tolerance"). */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

function malformed(message: string): CrossproofError {
  return new CrossproofError("INVALID_ARGUMENT", `QBFT extraData: ${message}`);
}

function scalar(n: bigint | number): string {
  return hexlify(toBeArray(n));
}

/** Decodes a QBFT `extraData` field; throws `INVALID_ARGUMENT` when it is not one. */
export function decodeQbftExtraData(extraData: string): QbftExtraData {
  if (!isHexString(extraData) || dataLength(extraData) === 0) throw malformed("not a non-empty hex string");
  let root: RlpStructuredData;
  try {
    root = decodeRlp(extraData);
  } catch (err) {
    throw new CrossproofError("INVALID_ARGUMENT", "QBFT extraData: not RLP", { cause: err });
  }
  if (!Array.isArray(root) || root.length !== 5) throw malformed("not an RLP list of 5 items");
  const [vanity, validators, vote, round, seals] = root;
  if (typeof vanity !== "string") throw malformed("the vanity is not a byte string");
  if (!Array.isArray(validators) || validators.some((v) => typeof v !== "string" || dataLength(v) !== 20)) {
    throw malformed("the validators are not a list of 20-byte addresses");
  }
  let decodedVote: QbftVote | undefined;
  if (!Array.isArray(vote)) throw malformed("the vote is not a list");
  if (vote.length > 0) {
    const [recipient, kind] = vote;
    if (vote.length !== 2 || typeof recipient !== "string" || dataLength(recipient) !== 20) {
      throw malformed("the vote is not [address, type]");
    }
    if (kind !== ADD_VOTE && kind !== "0x") throw malformed("the vote type is neither 0xff (add) nor empty (drop)");
    decodedVote = { recipient: getAddress(recipient), add: kind === ADD_VOTE };
  }
  if (typeof round !== "string" || dataLength(round) > 4 || round.startsWith("0x00")) {
    throw malformed("the round is not a 4-byte RLP scalar");
  }
  if (!Array.isArray(seals) || seals.some((s) => typeof s !== "string" || dataLength(s) !== SEAL_BYTES)) {
    throw malformed("the commit seals are not a list of 65-byte signatures");
  }
  return {
    vanity,
    validators: (validators as string[]).map((v) => getAddress(v)),
    vote: decodedVote,
    round: round === "0x" ? 0 : Number(BigInt(round)),
    seals: seals as string[],
  };
}

/** Encodes QBFT `extraData` as Besu does, keeping all of it or leaving out the seals (and the round). */
export function encodeQbftExtraData(data: QbftExtraData, encoding: QbftExtraDataEncoding = "all"): string {
  if (dataLength(data.vanity) !== VANITY_BYTES) {
    throw new CrossproofError("INVALID_ARGUMENT", `QBFT extraData: the vanity must be ${VANITY_BYTES} bytes`);
  }
  if (!Number.isSafeInteger(data.round) || data.round < 0 || data.round > 0x7fffffff) {
    throw new CrossproofError("INVALID_ARGUMENT", "QBFT extraData: the round must be a non-negative 32-bit integer");
  }
  const vote = data.vote === undefined ? [] : [getAddress(data.vote.recipient), data.vote.add ? ADD_VOTE : "0x"];
  const round = encoding === "withoutCommitSealsAndRound" ? 0 : data.round;
  const seals = encoding === "all" ? data.seals : [];
  return encodeRlp([data.vanity, data.validators.map((v) => getAddress(v).toLowerCase()), vote, scalar(round), seals]);
}

/** The `extraData` of a QBFT genesis block: zero vanity, the validators, no vote, round 0, no seals. */
export function qbftGenesisExtraData(validators: readonly string[]): string {
  return encodeQbftExtraData({
    vanity: zeroPadValue("0x", VANITY_BYTES),
    validators: [...validators],
    vote: undefined,
    round: 0,
    seals: [],
  });
}

/**
 * The RLP of a block header in Besu's (and Ethereum's) field order, the optional fields of later forks written
 * while present, with `extraData` replaced when given.
 */
export function blockHeaderRlp(header: QbftBlockHeader, extraData: string = header.extraData): string {
  const fields: string[] = [
    header.parentHash,
    header.sha3Uncles,
    header.miner,
    header.stateRoot,
    header.transactionsRoot,
    header.receiptsRoot,
    header.logsBloom,
    scalar(BigInt(header.difficulty)),
    scalar(BigInt(header.number)),
    scalar(BigInt(header.gasLimit)),
    scalar(BigInt(header.gasUsed)),
    scalar(BigInt(header.timestamp)),
    extraData,
    header.mixHash,
    zeroPadValue(header.nonce, 8),
  ];
  const present = (v: string | null | undefined): v is string => v !== undefined && v !== null;
  // Each fork's fields follow the previous fork's; Besu stops at the first one absent.
  if (present(header.baseFeePerGas)) {
    fields.push(scalar(BigInt(header.baseFeePerGas)));
    if (present(header.withdrawalsRoot)) {
      fields.push(header.withdrawalsRoot);
      if (present(header.blobGasUsed) && present(header.excessBlobGas)) {
        fields.push(scalar(BigInt(header.blobGasUsed)), scalar(BigInt(header.excessBlobGas)));
        if (present(header.parentBeaconBlockRoot)) {
          fields.push(header.parentBeaconBlockRoot);
          if (present(header.requestsHash)) fields.push(header.requestsHash);
        }
      }
    }
  }
  return encodeRlp(fields);
}

/** The genesis block keeps its extraData as it is in both hashes (Besu's `BftBlockHashing.serializeHeader`). */
function hashWith(header: QbftBlockHeader, encoding: QbftExtraDataEncoding): string {
  if (BigInt(header.number) === 0n) return keccak256(blockHeaderRlp(header));
  return keccak256(blockHeaderRlp(header, encodeQbftExtraData(decodeQbftExtraData(header.extraData), encoding)));
}

/** A QBFT block's hash, as the chain knows it: no seals, round 0 (Besu's `calculateHashOfBftBlockOnchain`). */
export function qbftBlockHash(header: QbftBlockHeader): string {
  return hashWith(header, "withoutCommitSealsAndRound");
}

/** The digest each validator signs as its commit seal: no seals, the round kept (`calculateDataHashForCommittedSeal`). */
export function qbftCommitSealDigest(header: QbftBlockHeader): string {
  return hashWith(header, "withoutCommitSeals");
}

/** Least distinct commit seals a block needs among `validatorCount` validators: ⌈2N/3⌉. */
export function qbftQuorum(validatorCount: number): number {
  return Math.ceil((2 * validatorCount) / 3);
}

/** Signs a commit seal for `header` with a validator's key (for tests and tools; validators do this in Besu). */
export function signQbftCommitSeal(header: QbftBlockHeader, privateKey: string): string {
  const sig = new SigningKey(privateKey).sign(qbftCommitSealDigest(header));
  return concat([sig.r, sig.s, sig.yParity === 0 ? "0x00" : "0x01"]);
}

/** The address that made a commit seal over `digest`; undefined when the seal is not a valid signature. */
export function recoverQbftSealer(digest: string, seal: string): string | undefined {
  const bytes = getBytes(seal);
  if (bytes.length !== SEAL_BYTES || bytes[64]! > 1) return undefined;
  try {
    const signature = Signature.from({
      r: hexlify(bytes.subarray(0, 32)),
      s: hexlify(bytes.subarray(32, 64)),
      yParity: bytes[64] as 0 | 1,
    });
    return computeAddress(SigningKey.recoverPublicKey(digest, signature));
  } catch {
    return undefined;
  }
}

/** Why a block's commit seals do or do not make it final. */
export type QbftSealVerdictCode =
  | "FINAL"
  /** The header does not hash to the `hash` it came with. */
  | "HASH_MISMATCH"
  /** A seal is not a signature at all (wrong length, bad recovery id, off the curve). */
  | "SEAL_MALFORMED"
  /** Two seals recover to the same validator. */
  | "DUPLICATE_SEAL"
  /** A seal recovers to an address outside the validators (a stranger, or a seal made for another round or header). */
  | "NOT_A_VALIDATOR"
  /** Fewer distinct validator seals than the quorum. */
  | "TOO_FEW_SEALS";

export interface QbftSealVerdict {
  final: boolean;
  code: QbftSealVerdictCode;
  /** The block number and the hash computed from the header. */
  blockNumber: number;
  blockHash: string;
  round: number;
  /** ⌈2N/3⌉ of the validators given. */
  quorum: number;
  /** The distinct validators whose seals verified. */
  committers: string[];
  /** The first offending seal's recovered address (for DUPLICATE_SEAL and NOT_A_VALIDATOR). */
  offender?: string;
}

export interface VerifyQbftCommitSealsParameters {
  header: QbftBlockHeader;
  /**
   * The validators in force for the block: those of its parent's extraData (`decodeQbftExtraData(parent.extraData)
   * .validators`) in Besu's block-header validator mode, or a list the caller trusts (the genesis, a published set).
   */
  validators: readonly string[];
}

/**
 * Checks a QBFT block's commit seals offline: the header hashes to its `hash`, every seal recovers to a distinct
 * validator, and there are at least ⌈2N/3⌉ of them. Returns a verdict with a reason code; throws only when the
 * header's extraData is not QBFT's.
 *
 * @example
 * const parent = await provider.send("eth_getBlockByHash", [header.parentHash, false]);
 * const verdict = verifyQbftCommitSeals({ header, validators: decodeQbftExtraData(parent.extraData).validators });
 * if (!verdict.final) throw new Error(`block ${verdict.blockNumber} not final: ${verdict.code}`);
 */
export function verifyQbftCommitSeals({ header, validators }: VerifyQbftCommitSealsParameters): QbftSealVerdict {
  const extra = decodeQbftExtraData(header.extraData);
  const allowed = new Set(validators.map((v) => getAddress(v)));
  const base = {
    blockNumber: Number(BigInt(header.number)),
    blockHash: qbftBlockHash(header),
    round: extra.round,
    quorum: qbftQuorum(allowed.size),
  };
  const verdict = (code: QbftSealVerdictCode, committers: string[], offender?: string): QbftSealVerdict => ({
    ...base,
    final: code === "FINAL",
    code,
    committers,
    ...(offender === undefined ? {} : { offender }),
  });
  if (header.hash !== undefined && header.hash !== null && header.hash.toLowerCase() !== base.blockHash) {
    return verdict("HASH_MISMATCH", []);
  }
  const digest = qbftCommitSealDigest(header);
  const committers: string[] = [];
  for (const seal of extra.seals) {
    const sealer = recoverQbftSealer(digest, seal);
    if (sealer === undefined) return verdict("SEAL_MALFORMED", committers);
    if (committers.includes(sealer)) return verdict("DUPLICATE_SEAL", committers, sealer);
    if (!allowed.has(sealer)) return verdict("NOT_A_VALIDATOR", committers, sealer);
    committers.push(sealer);
  }
  return verdict(committers.length >= base.quorum ? "FINAL" : "TOO_FEW_SEALS", committers);
}
