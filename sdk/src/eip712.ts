import { AbiCoder, keccak256, verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { CrossproofError } from "./errors";

/** A hex string (`0x…`). */
export type Hex = `0x${string}`;

/**
 * EIP-712 types of every EvidenceRegistry request, exactly as the contract hashes them. (Each contract has its own
 * table and its own domain: name, version, chain id, contract address, consortium id as salt.) The collecting
 * jurisdiction is not a field: it is always the signing member's own.
 */
export const EvidenceRegistryTypes = {
  AnchorEvidence: [
    { name: "contentHash", type: "bytes32" },
    { name: "packageCid", type: "bytes" },
    { name: "category", type: "uint8" },
    { name: "firstUpload", type: "bytes2" },
    { name: "primaryDissemination", type: "bytes2" },
    { name: "caseRef", type: "bytes32" },
    { name: "collectedAt", type: "uint48" },
    { name: "supersedes", type: "bytes32" },
    { name: "deadline", type: "uint48" },
  ],
  AnchorBatch: [
    { name: "root", type: "bytes32" },
    { name: "count", type: "uint32" },
    { name: "manifestCid", type: "bytes" },
    { name: "category", type: "uint8" },
    { name: "deadline", type: "uint48" },
  ],
  RecordCustody: [
    { name: "recordId", type: "bytes32" },
    { name: "eventType", type: "uint8" },
    { name: "counterparty", type: "uint64" },
    { name: "occurredAt", type: "uint48" },
    { name: "detailsHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  Endorse: [
    { name: "recordId", type: "bytes32" },
    { name: "verdict", type: "uint8" },
    { name: "reportHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  RetractEvidence: [
    { name: "recordId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  RetractBatch: [
    { name: "batchId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** The EIP-712 domain names of the crossproof contracts. */
export const DomainName = {
  Consortium: "crossproof Consortium",
  ConsortiumGovernance: "crossproof ConsortiumGovernance",
  RecognitionAgreements: "crossproof RecognitionAgreements",
  EvidenceRegistry: "crossproof EvidenceRegistry",
  LicenseRegistry: "crossproof LicenseRegistry",
  AssistanceDesk: "crossproof AssistanceDesk",
} as const;
export type ContractName = keyof typeof DomainName;

/** The version of every crossproof EIP-712 domain. */
export const DOMAIN_VERSION = "2";

/**
 * A contract's EIP-712 domain: name, version, chain id, contract address, and the consortium id as the salt (so a
 * request signed for one deployment never replays on another with the same chain id and addresses).
 */
export function contractDomain(
  contract: ContractName,
  chainId: bigint | number,
  verifyingContract: string,
  consortiumId: string,
): TypedDataDomain {
  return { name: DomainName[contract], version: DOMAIN_VERSION, chainId, verifyingContract, salt: consortiumId };
}

/** EvidenceRegistry request bodies, field for field as the contract takes them. */
export interface AnchorEvidenceRequest {
  /** SHA-256 of the canonical package manifest. */
  contentHash: Hex;
  /** Binary CID of the encrypted package. */
  packageCid: Hex;
  category: number;
  /** `bytes2` ISO 3166-1 alpha-2 code, or "0x0000" (not stated). */
  firstUpload: Hex;
  /** `bytes2` ISO 3166-1 alpha-2 code, or "0x0000" (not stated). */
  primaryDissemination: Hex;
  caseRef: Hex;
  collectedAt: number;
  /** Record id of the same member's earlier record this one replaces (zero hash = none). */
  supersedes: Hex;
  deadline: number;
}
export interface AnchorBatchRequest {
  root: Hex;
  count: number;
  manifestCid: Hex;
  category: number;
  deadline: number;
}
export interface RecordCustodyRequest {
  recordId: Hex;
  eventType: number;
  counterparty: bigint | number;
  occurredAt: number;
  detailsHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface EndorseRequest {
  recordId: Hex;
  verdict: number;
  reportHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface RetractEvidenceRequest {
  recordId: Hex;
  reasonHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface RetractBatchRequest {
  batchId: Hex;
  reasonHash: Hex;
  nonce: bigint | number;
  deadline: number;
}

/** Maps each EvidenceRegistry primary type to its request body. */
export interface EvidenceRegistryRequests {
  AnchorEvidence: AnchorEvidenceRequest;
  AnchorBatch: AnchorBatchRequest;
  RecordCustody: RecordCustodyRequest;
  Endorse: EndorseRequest;
  RetractEvidence: RetractEvidenceRequest;
  RetractBatch: RetractBatchRequest;
}

/** A request and its signature, ready for any relayer; `P` is its EIP-712 primary type ("AnchorEvidence"). */
export interface SignedRequest<T, P extends string = string> {
  primaryType: P;
  domain: TypedDataDomain;
  request: T;
  signature: Hex;
  /** The key that signed (as recovered locally). */
  signer: string;
}

/**
 * The type table a primary type needs: itself and every struct type it references, recursively (what
 * `signTypedData` and `TypedDataEncoder` take). `INVALID_ARGUMENT` for a primary type the table does not have.
 */
export function typesFor(
  table: Record<string, readonly TypedDataField[]>,
  primaryType: string,
): Record<string, TypedDataField[]> {
  if (table[primaryType] === undefined) {
    throw new CrossproofError("INVALID_ARGUMENT", `unknown request type ${primaryType}`);
  }
  const out: Record<string, TypedDataField[]> = {};
  const visit = (name: string) => {
    const fields = table[name];
    if (fields === undefined || out[name] !== undefined) return;
    out[name] = [...fields];
    for (const f of fields) visit(f.type.replace(/\[\d*\]$/, ""));
  };
  visit(primaryType);
  return out;
}

/**
 * Signs any request of a crossproof contract with any ethers `Signer` (a wallet, a hardware key, a KMS adapter),
 * given that contract's type table.
 */
export async function signTypedRequest<T, P extends string = string>(
  signer: Signer,
  domain: TypedDataDomain,
  table: Record<string, readonly TypedDataField[]>,
  primaryType: P,
  request: T,
): Promise<SignedRequest<T, P>> {
  const types = typesFor(table, primaryType);
  const value = request as unknown as Record<string, unknown>;
  const signature = (await signer.signTypedData(domain, types, value)) as Hex;
  return { primaryType, domain, request, signature, signer: verifyTypedData(domain, types, value, signature) };
}

/** Recovers, offline, the key that signed a request of a crossproof contract. */
export function recoverTypedRequestSigner(
  domain: TypedDataDomain,
  table: Record<string, readonly TypedDataField[]>,
  primaryType: string,
  request: unknown,
  signature: string,
): string {
  try {
    return verifyTypedData(domain, typesFor(table, primaryType), request as Record<string, unknown>, signature);
  } catch (cause) {
    throw new CrossproofError("SIGNATURE_INVALID", `cannot recover the signer of ${primaryType}`, { cause });
  }
}

/**
 * Signs an EvidenceRegistry request with any ethers `Signer`.
 * @example
 * const signed = await signEvidenceRequest(wallet, domain, "AnchorEvidence", request);
 * await registry.anchorEvidence(signed.request, signed.signature);
 */
export function signEvidenceRequest<K extends keyof EvidenceRegistryRequests>(
  signer: Signer,
  domain: TypedDataDomain,
  primaryType: K,
  request: EvidenceRegistryRequests[K],
): Promise<SignedRequest<EvidenceRegistryRequests[K], K>> {
  return signTypedRequest(signer, domain, EvidenceRegistryTypes, primaryType, request);
}

/** Recovers the key that signed an EvidenceRegistry request, offline. */
export function recoverEvidenceRequestSigner<K extends keyof EvidenceRegistryRequests>(
  domain: TypedDataDomain,
  primaryType: K,
  request: EvidenceRegistryRequests[K],
  signature: string,
): string {
  return recoverTypedRequestSigner(domain, EvidenceRegistryTypes, primaryType, request, signature);
}

const coder = AbiCoder.defaultAbiCoder();

/** Custody event types, as in `IEvidenceRegistry.CustodyEventType`. */
export const CustodyEventType = {
  Collected: 0,
  Acquired: 1,
  HashVerified: 2,
  Sealed: 3,
  Transferred: 4,
  Received: 5,
  Accessed: 6,
  Analyzed: 7,
  Disclosed: 8,
  Returned: 9,
  TransferCanceled: 10,
  RecipientAdded: 11,
} as const;
export type CustodyEventTypeName = keyof typeof CustodyEventType;

/** Endorsement verdicts, as in `IEvidenceRegistry.Verdict`. */
export const Verdict = { None: 0, Recognized: 1, Challenged: 2 } as const;
export type VerdictName = keyof typeof Verdict;

/** Evidence status, as in `IEvidenceRegistry.EvidenceStatus`. */
export const EvidenceStatus = { None: 0, Active: 1, Retracted: 2, Superseded: 3 } as const;

/**
 * Mirror of `EvidenceRegistry.recordIdOf`: records are per member, so the id is keccak256(abi.encode(memberId,
 * contentHash)) and two members anchoring the same content get two records.
 * @example recordIdOf(1n, sealed.contentHash)
 */
export function recordIdOf(memberId: bigint | number, contentHash: string): Hex {
  return keccak256(coder.encode(["uint64", "bytes32"], [memberId, contentHash])) as Hex;
}

/** Mirror of `EvidenceRegistry.batchIdOf`: keccak256(abi.encode(memberId, root)), its own id space. */
export function batchIdOf(memberId: bigint | number, root: string): Hex {
  return keccak256(coder.encode(["uint64", "bytes32"], [memberId, root])) as Hex;
}

/** Mirror of `EvidenceRegistry.custodyEventHash`: each custody event chains to the previous one. */
export function custodyEventHash(e: {
  previous: string;
  recordId: string;
  sequence: number;
  eventType: number;
  actor: bigint | number;
  counterparty: bigint | number;
  occurredAt: number;
  detailsHash: string;
}): Hex {
  return keccak256(
    coder.encode(
      ["bytes32", "bytes32", "uint32", "uint8", "uint64", "uint64", "uint48", "bytes32"],
      [e.previous, e.recordId, e.sequence, e.eventType, e.actor, e.counterparty, e.occurredAt, e.detailsHash],
    ),
  ) as Hex;
}

/** Mirror of the EvidenceRegistry commitment to a record's event-only fields. */
export function recordFieldsHash(signer: string, packageCid: string, caseRef: string): Hex {
  return keccak256(coder.encode(["address", "bytes32", "bytes32"], [signer, keccak256(packageCid), caseRef])) as Hex;
}
