/**
 * The evidence domain's pure core: the EvidenceRegistry's EIP-712 request types and their signing, its enums, the
 * id functions (`recordIdOf`, `batchIdOf`) and commitments (`custodyEventHash`, `recordFieldsHash`, case reference
 * and recipient details hashes) mirrored byte for byte from the contract, the custody chain's rule
 * (`verifyCustodyChain`), and the shapes of records, requests and results. No network access:
 * `evidence-client.ts` talks to the contract; Merkle batches are `merkle.ts`.
 */
import { recoverTypedRequestSigner, signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import {
  AbiCoder,
  concat,
  keccak256,
  toUtf8Bytes,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { bytes32Arg } from "./arguments";
import { cidToBytes } from "./cid";

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
export type EvidenceStatusName = keyof typeof EvidenceStatus;

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

/** A custody event as emitted by `EvidenceRegistry.CustodyRecorded`. */
export interface CustodyEvent {
  sequence: number;
  eventType: number;
  actor: bigint;
  counterparty: bigint;
  occurredAt: number;
  detailsHash: string;
  signer: string;
  previous: string;
  eventHash: string;
  transactionHash?: string;
  blockNumber?: number;
}

/**
 * What a chain of custody amounts to:
 * - `NO_CUSTODY_RECORDED`: no custody event at all (the record is anchored, nothing more) — never complete;
 * - `BROKEN`: an event is missing, altered, mislinked, not the head on chain, or breaks a custody rule;
 * - `TRANSFER_PENDING`: intact, but a transfer waits for its receiver's acknowledgement;
 * - `COMPLETE`: intact, starting with the collection (or acquisition), every transfer acknowledged.
 */
export type CustodyStatus = "NO_CUSTODY_RECORDED" | "BROKEN" | "TRANSFER_PENDING" | "COMPLETE";

/** The result of checking a chain of custody. */
export interface CustodyVerification {
  status: CustodyStatus;
  /** Every event links to the one before, its hash is right, sequences have no gap, and the head matches. */
  intact: boolean;
  /** Custody is recorded (at least one event). */
  recorded: boolean;
  /** Status `COMPLETE`: recorded, intact, follows the custody rules, no transfer waiting for its receipt. */
  complete: boolean;
  /** Member holding the evidence after the last event. */
  custodian: bigint;
  /** Member a transfer is waiting on (0 = none). */
  pendingRecipient: bigint;
  /** Members that received the package: the anchoring member, receivers of transfers and added recipients. */
  recipients: bigint[];
  /** What is wrong or missing, in plain words (empty when complete). */
  problems: string[];
}

/** Optional facts the chain is checked against. */
export interface VerifyCustodyChainOptions {
  /** The record's claimed collection time: no custody event may predate it. */
  collectedAt?: number;
}

const typeName = (t: number) =>
  (Object.entries(CustodyEventType).find(([, v]) => v === t)?.[0] ?? `type ${t}`) as string;

/**
 * Verifies a chain of custody from its events, offline, by the EvidenceRegistry's rules: recomputes every event hash
 * from its fields, checks each links to the previous one (the first to the record id), that sequences run 0, 1, 2, …
 * and that the last hash equals the `head` stored on chain; then replays the events — the first must be Collected
 * or Acquired by the anchoring member, Accessed must come from a member that received the package, and only the
 * custodian's events move the clock (an access recorded late never makes a later custodian event look early) — to
 * find who holds the evidence and whether a transfer is unacknowledged.
 *
 * A record without any custody event is reported as `NO_CUSTODY_RECORDED`, never as complete.
 * @example
 * const v = verifyCustodyChain(recordId, 1n, events, custody.head, { collectedAt });
 * if (v.status !== "COMPLETE") console.log(v.problems);
 */
export function verifyCustodyChain(
  recordId: string,
  anchoringMember: bigint,
  events: readonly CustodyEvent[],
  head: string,
  options: VerifyCustodyChainOptions = {},
): CustodyVerification {
  const integrity: string[] = [];
  const rules: string[] = [];
  let previous = recordId.toLowerCase();
  let custodian = anchoringMember;
  let pending = 0n;
  let startedAt = 0;
  let clock = 0;
  const recipients = new Set<bigint>([anchoringMember]);
  const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
  sorted.forEach((e, i) => {
    if (e.sequence !== i) integrity.push(`event ${i} is missing (found sequence ${e.sequence})`);
    if (e.previous.toLowerCase() !== previous) integrity.push(`event ${e.sequence} does not link to the event before`);
    const expected = custodyEventHash({
      previous: e.previous,
      recordId,
      sequence: e.sequence,
      eventType: e.eventType,
      actor: e.actor,
      counterparty: e.counterparty,
      occurredAt: e.occurredAt,
      detailsHash: e.detailsHash,
    });
    if (expected !== e.eventHash.toLowerCase())
      integrity.push(`event ${e.sequence} does not hash to its recorded hash`);
    previous = e.eventHash.toLowerCase();

    const n = `event ${e.sequence} (${typeName(e.eventType)})`;
    if (options.collectedAt !== undefined && e.occurredAt < options.collectedAt) {
      rules.push(`${n} predates the collection of the evidence`);
    }
    if (i === 0) {
      if (e.eventType !== CustodyEventType.Collected && e.eventType !== CustodyEventType.Acquired) {
        rules.push(`custody does not start with Collected or Acquired (${n})`);
      }
      if (e.actor !== anchoringMember) rules.push(`${n} is not by the anchoring member ${anchoringMember}`);
      startedAt = e.occurredAt;
      clock = e.occurredAt;
      return;
    }
    switch (e.eventType) {
      case CustodyEventType.Accessed:
      case CustodyEventType.RecipientAdded:
        // Sharing events: after the start of the chain; they never move the custody clock.
        if (e.occurredAt < startedAt) rules.push(`${n} predates the start of the chain of custody`);
        if (e.eventType === CustodyEventType.Accessed) {
          if (!recipients.has(e.actor)) rules.push(`${n}: member ${e.actor} never received the package`);
        } else {
          if (e.actor !== anchoringMember && e.actor !== custodian) {
            rules.push(`${n}: member ${e.actor} is neither the anchoring member nor the custodian`);
          }
          recipients.add(e.counterparty);
        }
        return;
      default:
        break;
    }
    if (e.occurredAt < clock) rules.push(`${n} is earlier than the custody event before it`);
    clock = e.occurredAt;
    if (e.eventType === CustodyEventType.Received) {
      if (pending === 0n || e.actor !== pending) rules.push(`${n}: no transfer to member ${e.actor} was pending`);
      custodian = e.actor;
      pending = 0n;
      recipients.add(e.actor);
      return;
    }
    if (e.actor !== custodian) rules.push(`${n}: member ${e.actor} is not the custodian`);
    if (e.eventType === CustodyEventType.TransferCanceled) pending = 0n;
    if (e.eventType === CustodyEventType.Transferred || e.eventType === CustodyEventType.Returned) {
      pending = e.counterparty;
    }
  });
  if (previous !== head.toLowerCase()) integrity.push("the last event is not the head recorded on chain");
  const intact = integrity.length === 0;
  const recorded = sorted.length > 0;
  const problems = [...integrity, ...rules];
  let status: CustodyStatus;
  if (problems.length > 0) status = "BROKEN";
  else if (!recorded) status = "NO_CUSTODY_RECORDED";
  else if (pending !== 0n) status = "TRANSFER_PENDING";
  else status = "COMPLETE";
  if (!recorded) problems.push("no custody is recorded (no Collected or Acquired event)");
  if (pending !== 0n) {
    const last = sorted.filter((e) => e.counterparty === pending).at(-1);
    problems.push(
      `transfer to member ${pending} (${last === undefined ? "?" : typeName(last.eventType)}) is not acknowledged`,
    );
  }
  return {
    status,
    intact,
    recorded,
    complete: status === "COMPLETE",
    custodian,
    pendingRecipient: pending,
    recipients: [...recipients],
    problems,
  };
}

/**
 * The hash of a case reference as it goes on chain. Case numbers are short and guessable, so they are hashed with
 * a secret salt the agency keeps (32 random bytes, shared with the court that needs to match it): the chain
 * then links records of one case without revealing which case.
 */
export function caseReferenceHash(reference: string, salt: string): Hex {
  bytes32Arg("the case reference salt", salt);
  return keccak256(concat([salt, toUtf8Bytes(reference.normalize("NFC"))])) as Hex;
}

/**
 * The details hash of a RecipientAdded custody event: keccak256 of the binary CID of the package re-wrapped for the
 * new recipient (the manifest, hence the content hash, is unchanged; only the envelope and its CID are new).
 */
export function recipientDetailsHash(packageCid: string): Hex {
  return keccak256(cidToBytes(packageCid)) as Hex;
}

/** An evidence record: what the contract stores, plus the anchoring event's fields (checked against the commitment). */
export interface EvidenceRecord {
  /** `recordIdOf(memberId, contentHash)`. */
  recordId: Hex;
  contentHash: Hex;
  status: EvidenceStatusName;
  /** The anchoring member. */
  memberId: bigint;
  anchoredAt: number;
  collectedAt: number;
  category: number;
  /** The collecting jurisdiction: always the anchoring member's own. */
  jurisdiction: string;
  /** Where the content was first uploaded (undefined = not stated). */
  firstUpload: string | undefined;
  /** Where it was mainly disseminated (undefined = not stated). */
  primaryDissemination: string | undefined;
  signer: string;
  packageCid: string;
  caseRef: Hex;
  /** Record id this one replaced (zero hash = none). */
  supersedes: Hex;
  /** Record id that replaced this one (zero hash = none). */
  supersededBy: Hex;
  transactionHash: string;
  blockNumber: number;
  /** The event's signer, CID and case reference match the commitment stored on chain. */
  fieldsMatchCommitment: boolean;
}

/** A Merkle batch: what the contract stores, plus the anchoring event's root and manifest CID. */
export interface EvidenceBatchRecord {
  batchId: Hex;
  root: Hex;
  status: EvidenceStatusName;
  memberId: bigint;
  anchoredAt: number;
  count: number;
  category: number;
  /** The anchoring member's jurisdiction. */
  jurisdiction: string;
  signer: string;
  manifestCid: string;
  transactionHash: string;
  blockNumber: number;
}

export interface AnchorEvidenceParameters {
  /** SHA-256 of the canonical package manifest (`bytes32` hex). */
  contentHash: string;
  /** CID of the encrypted package (string form). */
  packageCid: string;
  /** Evidence category, 0-63. */
  category: number;
  /** Where the content was first uploaded (ISO 3166-1 alpha-2; absent = not stated). */
  firstUpload?: string;
  /** Where it was mainly disseminated (ISO 3166-1 alpha-2; absent = not stated). */
  primaryDissemination?: string;
  /** See {@link caseReferenceHash}. */
  caseRef: string;
  /** When the evidence was collected: a Date or unix seconds. */
  collectedAt: Date | number;
  /** Record id of the signer's member's earlier record that this one replaces. */
  supersedes?: string;
  /** Seconds the signature stays valid (default one hour, by chain time). */
  validFor?: number;
}

/** What a mined anchor comes to (`wait()` of {@link EvidenceClient.anchorEvidence}). */
export interface AnchoredEvidence {
  /** The new record's id: {@link recordIdOf}(memberId, contentHash). */
  recordId: Hex;
  contentHash: Hex;
  /** The anchoring member. */
  memberId: bigint;
}

/** What a mined batch anchor comes to. */
export interface AnchoredBatch {
  /** The new batch's id: {@link batchIdOf}(memberId, root). */
  batchId: Hex;
  root: Hex;
  memberId: bigint;
}

/** What a mined custody event comes to. */
export interface RecordedCustody {
  recordId: Hex;
  /** Its position in the record's chain of custody (0 = the first event). */
  sequence: number;
  eventType: CustodyEventTypeName;
  /** The member that recorded it. */
  actor: bigint;
  /** Unix seconds. */
  occurredAt: number;
  /** The hash that chains it to the previous event (the record's custody head after it). */
  eventHash: Hex;
}

/** What a mined endorsement comes to. */
export interface RecordedEndorsement {
  recordId: Hex;
  /** The endorsing member. */
  memberId: bigint;
  verdict: Exclude<VerdictName, "None">;
  /** The recognition agreement a recognition was made under (0 for a challenge). */
  agreementId: bigint;
  reportHash: Hex;
}

/** What a mined retraction comes to. */
export interface RetractedEvidence {
  recordId: Hex;
  memberId: bigint;
}
export interface RetractedBatch {
  batchId: Hex;
  memberId: bigint;
}

/** What each EvidenceRegistry request's `wait()` resolves to. */
export interface EvidenceRegistryResults {
  AnchorEvidence: AnchoredEvidence;
  AnchorBatch: AnchoredBatch;
  RecordCustody: RecordedCustody;
  Endorse: RecordedEndorsement;
  RetractEvidence: RetractedEvidence;
  RetractBatch: RetractedBatch;
}
