import {
  ZeroHash,
  keccak256,
  concat,
  toUtf8Bytes,
  type ContractRunner,
  type ContractTransactionReceipt,
  type LogDescription,
  type Provider,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import { Consortium__factory, EvidenceRegistry__factory, type EvidenceRegistry } from "./typechain";
import { cidFromBytes, cidToBytes } from "./cid";
import { toCrossproofError } from "./contract-errors";
import {
  DEFAULT_REQUEST_VALIDITY,
  chainTimeOf,
  deadlineFrom,
  resolveContract,
  sendCall,
  submitRequest,
  toUnixSeconds,
  type SubmittedRequest,
} from "./contract-client";
import { verifyCustodyChain, type CustodyEvent, type CustodyVerification } from "./custody";
import {
  CustodyEventType,
  EvidenceStatus,
  Verdict,
  batchIdOf,
  recordFieldsHash,
  recordIdOf,
  signEvidenceRequest,
  type AnchorBatchRequest,
  type AnchorEvidenceRequest,
  type CustodyEventTypeName,
  type EndorseRequest,
  type EvidenceRegistryRequests,
  type Hex,
  type RecordCustodyRequest,
  type RetractBatchRequest,
  type RetractEvidenceRequest,
  type SignedRequest,
} from "./eip712";
import { CrossproofError } from "./errors";
import { NO_JURISDICTION, fromJurisdiction, toOptionalJurisdiction } from "./jurisdiction";
import { sha256Hex } from "./hash";
import type { EvidenceBatch } from "./merkle";
import { openPackage, type OpenedPackage, type RecipientPrivateKey } from "./package";
import type { Relayer } from "./relayer";
import type { ContentStore } from "./store";

const ZERO = ZeroHash as Hex;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * The hash of a case reference as it goes on chain. Case numbers are short and guessable, so they are hashed with
 * a secret salt the agency keeps (32 random bytes, shared with the court that needs to match it): the chain
 * then links records of one case without revealing which case.
 */
export function caseReferenceHash(reference: string, salt: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(salt)) throw new CrossproofError("INVALID_ARGUMENT", "the salt must be 32 bytes hex");
  return keccak256(concat([salt, toUtf8Bytes(reference.normalize("NFC"))])) as Hex;
}

/**
 * The details hash of a RecipientAdded custody event: keccak256 of the binary CID of the package re-wrapped for the
 * new recipient (the manifest, hence the content hash, is unchanged; only the envelope and its CID are new).
 */
export function recipientDetailsHash(packageCid: string): Hex {
  return keccak256(cidToBytes(packageCid)) as Hex;
}

type StatusName = keyof typeof EvidenceStatus;
const statusName = (s: bigint | number): StatusName =>
  (Object.keys(EvidenceStatus) as StatusName[]).find((k) => EvidenceStatus[k] === Number(s)) ?? "None";

/** A `bytes2` jurisdiction fact read from the chain: its code, or undefined for 0x0000 (not stated). */
const optionalJurisdiction = (hex: string): string | undefined =>
  hex.toLowerCase() === NO_JURISDICTION ? undefined : fromJurisdiction(hex);

/** An evidence record: what the contract stores, plus the anchoring event's fields (checked against the commitment). */
export interface EvidenceRecord {
  /** `recordIdOf(memberId, contentHash)`. */
  recordId: Hex;
  contentHash: Hex;
  status: StatusName;
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
  status: StatusName;
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

/** What a mined anchor comes to. */
export interface AnchoredEvidence {
  recordId: Hex;
  contentHash: Hex;
  memberId: bigint;
  receipt: ContractTransactionReceipt;
  events: LogDescription[];
}

/** What a mined batch anchor comes to. */
export interface AnchoredBatch {
  batchId: Hex;
  root: Hex;
  memberId: bigint;
  receipt: ContractTransactionReceipt;
  events: LogDescription[];
}

/** A submitted anchor whose `wait()` resolves to the new id. */
export interface SubmittedAnchor<T> {
  readonly hash: string;
  wait(confirmations?: number): Promise<T>;
}

const METHODS: Record<keyof EvidenceRegistryRequests, keyof EvidenceRegistry> = {
  AnchorEvidence: "anchorEvidence",
  AnchorBatch: "anchorBatch",
  RecordCustody: "recordCustody",
  Endorse: "endorse",
  RetractEvidence: "retractEvidence",
  RetractBatch: "retractBatch",
};

function invalid(message: string): never {
  throw new CrossproofError("INVALID_ARGUMENT", message);
}

function bytes32(name: string, value: unknown, nonZero = false): Hex {
  if (typeof value !== "string" || !BYTES32.test(value)) invalid(`${name} must be 32 bytes hex, got ${String(value)}`);
  const v = value.toLowerCase() as Hex;
  if (nonZero && v === ZERO) invalid(`${name} must not be zero`);
  return v;
}

function category(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 63) {
    invalid(`the evidence category must be an integer 0-63, got ${String(value)}`);
  }
  return value;
}

function memberIdArg(name: string, value: unknown): bigint {
  if ((typeof value !== "number" && typeof value !== "bigint") || BigInt(value) < 0n || BigInt(value) >= 1n << 64n) {
    invalid(`${name} must be a member id (uint64), got ${String(value)}`);
  }
  return BigInt(value);
}

function seconds(name: string, value: Date | number): number {
  const s = toUnixSeconds(value);
  if (!Number.isSafeInteger(s) || s < 0 || s >= 2 ** 48) invalid(`${name} is not a valid time: ${String(value)}`);
  return s;
}

/**
 * Talks to an EvidenceRegistry: builds and signs requests for any member key (EIP-712), submits them through any
 * relayer, and reads records, batches and chains of custody back. Records are per member: the record id is
 * {@link recordIdOf}(memberId, contentHash), and every anchor of one content hash is found from the events.
 * Arguments are checked before any network call (`INVALID_ARGUMENT`, `INVALID_JURISDICTION`).
 * @example
 * const client = await EvidenceClient.connect(address, provider);
 * const signed = await client.signAnchorEvidence(agencyKey, { contentHash, packageCid, category,
 *   firstUpload: "US", caseRef, collectedAt: new Date() });
 * const { recordId } = await (await client.anchorEvidence(signed, relayer)).wait();
 */
export class EvidenceClient {
  private constructor(
    readonly registry: EvidenceRegistry,
    readonly domain: TypedDataDomain,
    private readonly provider: Provider,
  ) {}

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<EvidenceClient> {
    const { provider, domain } = await resolveContract("EvidenceRegistry", address, runner);
    return new EvidenceClient(EvidenceRegistry__factory.connect(address, runner), domain, provider);
  }

  /** Chain time (latest block), the clock deadlines are checked against. */
  chainTime(): Promise<number> {
    return chainTimeOf(this.provider);
  }

  async nonce(key: string): Promise<bigint> {
    return this.registry.nonces(key);
  }

  /** The record id of `contentHash` anchored by `memberId` (offline; same as the contract's `recordIdOf`). */
  recordIdOf(memberId: bigint | number, contentHash: string): Hex {
    return recordIdOf(memberIdArg("memberId", memberId), bytes32("contentHash", contentHash));
  }

  /** The batch id of `root` anchored by `memberId` (offline; same as the contract's `batchIdOf`). */
  batchIdOf(memberId: bigint | number, root: string): Hex {
    return batchIdOf(memberIdArg("memberId", memberId), bytes32("root", root));
  }

  /**
   * Signs an anchor. The collecting jurisdiction is not a parameter: the contract records the signing member's own.
   */
  async signAnchorEvidence(signer: Signer, p: AnchorEvidenceParameters): Promise<SignedRequest<AnchorEvidenceRequest>> {
    if ("jurisdiction" in p) {
      invalid("the collecting jurisdiction is the signing member's own; give firstUpload / primaryDissemination only");
    }
    const request: Omit<AnchorEvidenceRequest, "deadline"> = {
      contentHash: bytes32("contentHash", p.contentHash, true),
      packageCid: cidToBytes(p.packageCid),
      category: category(p.category),
      firstUpload: toOptionalJurisdiction(p.firstUpload) as Hex,
      primaryDissemination: toOptionalJurisdiction(p.primaryDissemination) as Hex,
      caseRef: bytes32("caseRef", p.caseRef),
      collectedAt: seconds("collectedAt", p.collectedAt),
      supersedes: p.supersedes === undefined ? ZERO : bytes32("supersedes", p.supersedes),
    };
    return signEvidenceRequest(signer, this.domain, "AnchorEvidence", {
      ...request,
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  async signAnchorBatch(
    signer: Signer,
    p: { batch: EvidenceBatch; manifestCid: string; category: number; validFor?: number },
  ): Promise<SignedRequest<AnchorBatchRequest>> {
    const request = {
      root: p.batch.root,
      count: p.batch.count,
      manifestCid: cidToBytes(p.manifestCid),
      category: category(p.category),
    };
    return signEvidenceRequest(signer, this.domain, "AnchorBatch", {
      ...request,
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /**
   * Signs a custody event. The nonce is read from the chain: sign and submit one request per key at a time (or
   * pass `nonce` to queue several).
   */
  async signCustody(
    signer: Signer,
    p: {
      recordId: string;
      eventType: CustodyEventTypeName;
      counterparty?: bigint | number;
      occurredAt?: Date | number;
      detailsHash?: string;
      nonce?: bigint;
      validFor?: number;
    },
  ): Promise<SignedRequest<RecordCustodyRequest>> {
    const recordId = bytes32("recordId", p.recordId, true);
    const eventType = CustodyEventType[p.eventType];
    if (eventType === undefined) invalid(`unknown custody event type ${String(p.eventType)}`);
    const counterparty = memberIdArg("counterparty", p.counterparty ?? 0);
    const occurredAt = p.occurredAt === undefined ? undefined : seconds("occurredAt", p.occurredAt);
    const detailsHash = p.detailsHash === undefined ? ZERO : bytes32("detailsHash", p.detailsHash);
    const now = await this.chainTime();
    return signEvidenceRequest(signer, this.domain, "RecordCustody", {
      recordId,
      eventType,
      counterparty,
      occurredAt: occurredAt ?? now,
      detailsHash,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: now + (p.validFor ?? DEFAULT_REQUEST_VALIDITY),
    });
  }

  /**
   * Signs a RecipientAdded custody event (by the anchoring member or the custodian): `recipient` received the
   * package re-wrapped for it at `packageCid`, and may then record its Accessed.
   */
  async signAddRecipient(
    signer: Signer,
    p: {
      recordId: string;
      recipient: bigint | number;
      packageCid: string;
      occurredAt?: Date | number;
      nonce?: bigint;
      validFor?: number;
    },
  ): Promise<SignedRequest<RecordCustodyRequest>> {
    if (memberIdArg("recipient", p.recipient) === 0n) invalid("the recipient must be a member id");
    return this.signCustody(signer, {
      recordId: p.recordId,
      eventType: "RecipientAdded",
      counterparty: p.recipient,
      detailsHash: recipientDetailsHash(p.packageCid),
      ...(p.occurredAt === undefined ? {} : { occurredAt: p.occurredAt }),
      ...(p.nonce === undefined ? {} : { nonce: p.nonce }),
      ...(p.validFor === undefined ? {} : { validFor: p.validFor }),
    });
  }

  /**
   * Signs an endorsement of a foreign record. `Recognized` is accepted on chain only under a recognition agreement
   * from the record's jurisdiction to the signer's that was in force at the anchoring and is not suspended now, with
   * its minimum assurance met; `Challenged` needs no agreement.
   */
  async signEndorsement(
    signer: Signer,
    p: {
      recordId: string;
      verdict: "Recognized" | "Challenged";
      reportHash: string;
      nonce?: bigint;
      validFor?: number;
    },
  ): Promise<SignedRequest<EndorseRequest>> {
    const recordId = bytes32("recordId", p.recordId, true);
    if (p.verdict !== "Recognized" && p.verdict !== "Challenged") {
      invalid(`the verdict is Recognized or Challenged, not ${String(p.verdict)}`);
    }
    const reportHash = bytes32("reportHash", p.reportHash);
    return signEvidenceRequest(signer, this.domain, "Endorse", {
      recordId,
      verdict: Verdict[p.verdict],
      reportHash,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /** Signs the retraction of one of the signer's member's records. */
  async signRetractEvidence(
    signer: Signer,
    p: { recordId: string; reasonHash: string; nonce?: bigint; validFor?: number },
  ): Promise<SignedRequest<RetractEvidenceRequest>> {
    const recordId = bytes32("recordId", p.recordId, true);
    const reasonHash = bytes32("reasonHash", p.reasonHash);
    return signEvidenceRequest(signer, this.domain, "RetractEvidence", {
      recordId,
      reasonHash,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /** Signs the retraction of one of the signer's member's batches. */
  async signRetractBatch(
    signer: Signer,
    p: { batchId: string; reasonHash: string; nonce?: bigint; validFor?: number },
  ): Promise<SignedRequest<RetractBatchRequest>> {
    const batchId = bytes32("batchId", p.batchId, true);
    const reasonHash = bytes32("reasonHash", p.reasonHash);
    return signEvidenceRequest(signer, this.domain, "RetractBatch", {
      batchId,
      reasonHash,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /**
   * Submits a signed request through `relayer`: a {@link Relayer} (many requests in flight, no per-request gas
   * estimate or fee query) or any Signer with gas (on a zero-gas consortium chain, any key). A refusal by the
   * contract becomes `CONTRACT_REVERTED` naming the custom error — from `submit` when the request is checked before
   * sending (any Signer; a Relayer's first request of each kind), else from `wait()` once it reverted on chain.
   */
  async submit<K extends keyof EvidenceRegistryRequests>(
    signed: SignedRequest<EvidenceRegistryRequests[K]>,
    relayer: Signer | Relayer,
  ): Promise<SubmittedRequest> {
    const method = METHODS[signed.primaryType as K];
    if (method === undefined) throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
    return submitRequest(signed.primaryType, this.registry.interface, () =>
      sendCall(this.registry, method as string, [signed.request, signed.signature], relayer),
    );
  }

  /**
   * Submits a signed anchor; `wait()` resolves to the new record id (decoded from the EvidenceAnchored event).
   * @example
   * const { recordId } = await (await client.anchorEvidence(signed, relayer)).wait();
   */
  anchorEvidence(
    signed: SignedRequest<AnchorEvidenceRequest>,
    relayer: Signer | Relayer,
  ): Promise<SubmittedAnchor<AnchoredEvidence>> {
    return this.submitAnchor(signed, relayer, "EvidenceAnchored", (id, contentHash) => ({ recordId: id, contentHash }));
  }

  /** Submits a signed batch anchor; `wait()` resolves to the new batch id. */
  anchorBatch(
    signed: SignedRequest<AnchorBatchRequest>,
    relayer: Signer | Relayer,
  ): Promise<SubmittedAnchor<AnchoredBatch>> {
    return this.submitAnchor(signed, relayer, "BatchAnchored", (id, root) => ({ batchId: id, root }));
  }

  /**
   * Submits an anchor whose event's indexed arguments are (id, hash, memberId) — read from its topics, undecoded —
   * and resolves `wait()` to them.
   */
  private async submitAnchor<K extends "AnchorEvidence" | "AnchorBatch", T extends object>(
    signed: SignedRequest<EvidenceRegistryRequests[K]>,
    relayer: Signer | Relayer,
    eventName: "EvidenceAnchored" | "BatchAnchored",
    ids: (id: Hex, hash: Hex) => T,
  ): Promise<SubmittedAnchor<T & { memberId: bigint; receipt: ContractTransactionReceipt; events: LogDescription[] }>> {
    const sent = await this.submit(signed as SignedRequest<EvidenceRegistryRequests[K]> & { primaryType: K }, relayer);
    return {
      get hash() {
        return sent.hash;
      },
      async wait(confirmations?: number) {
        const outcome = await sent.wait(confirmations);
        const log = outcome.logOf(eventName);
        if (log === undefined) {
          throw new CrossproofError("CHAIN_ERROR", `no ${eventName} event in ${outcome.receipt.hash}`);
        }
        return {
          ...ids(log.topics[1]!.toLowerCase() as Hex, log.topics[2]!.toLowerCase() as Hex),
          memberId: BigInt(log.topics[3]!),
          receipt: outcome.receipt,
          get events() {
            return outcome.events;
          },
        };
      },
    };
  }

  /** The record `recordId` with its anchoring event, or undefined when it was never anchored. */
  async getEvidence(recordId: string): Promise<EvidenceRecord | undefined> {
    const id = bytes32("recordId", recordId);
    try {
      const e = await this.registry.getEvidence(id);
      if (Number(e.status) === EvidenceStatus.None) return undefined;
      const logs = await this.registry.queryFilter(this.registry.filters.EvidenceAnchored(id));
      const log = logs[0];
      if (log === undefined) {
        throw new CrossproofError("CHAIN_ERROR", `record ${id} exists but its event is not available`);
      }
      const a = log.args;
      return {
        recordId: id,
        contentHash: a.contentHash.toLowerCase() as Hex,
        status: statusName(e.status),
        memberId: e.memberId,
        anchoredAt: Number(e.anchoredAt),
        collectedAt: Number(e.collectedAt),
        category: Number(e.category),
        jurisdiction: fromJurisdiction(e.jurisdiction),
        firstUpload: optionalJurisdiction(e.firstUpload),
        primaryDissemination: optionalJurisdiction(e.primaryDissemination),
        signer: a.signer,
        packageCid: cidFromBytes(a.packageCid),
        caseRef: a.caseRef as Hex,
        supersedes: a.supersedes as Hex,
        supersededBy: (await this.registry.supersededBy(id)) as Hex,
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
        fieldsMatchCommitment: e.fieldsHash === recordFieldsHash(a.signer, a.packageCid, a.caseRef),
      };
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "reading the record");
    }
  }

  /** The record of `contentHash` anchored by `memberId`, or undefined. */
  getEvidenceOf(memberId: bigint | number, contentHash: string): Promise<EvidenceRecord | undefined> {
    return this.getEvidence(this.recordIdOf(memberId, contentHash));
  }

  /**
   * Every member's record of `contentHash`, in anchoring order, found from the EvidenceAnchored events (the
   * contract keeps no list).
   */
  async recordsOf(contentHash: string): Promise<EvidenceRecord[]> {
    const hash = bytes32("contentHash", contentHash, true);
    let ids: string[];
    try {
      const logs = await this.registry.queryFilter(this.registry.filters.EvidenceAnchored(undefined, hash));
      ids = logs.map((l) => l.args.recordId);
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "listing the records of a content hash");
    }
    const records = await Promise.all([...new Set(ids)].map((id) => this.getEvidence(id)));
    return records.filter((r): r is EvidenceRecord => r !== undefined);
  }

  /** The batch `batchId` with its anchoring event, or undefined when it was never anchored. */
  async getBatch(batchId: string): Promise<EvidenceBatchRecord | undefined> {
    const id = bytes32("batchId", batchId);
    try {
      const b = await this.registry.getBatch(id);
      if (Number(b.status) === EvidenceStatus.None) return undefined;
      const log = (await this.registry.queryFilter(this.registry.filters.BatchAnchored(id)))[0];
      if (log === undefined)
        throw new CrossproofError("CHAIN_ERROR", `batch ${id} exists but its event is not available`);
      return {
        batchId: id,
        root: log.args.root.toLowerCase() as Hex,
        status: statusName(b.status),
        memberId: b.memberId,
        anchoredAt: Number(b.anchoredAt),
        count: Number(b.count),
        category: Number(b.category),
        jurisdiction: fromJurisdiction(b.jurisdiction),
        signer: log.args.signer,
        manifestCid: cidFromBytes(log.args.manifestCid),
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
      };
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "reading the batch");
    }
  }

  /**
   * The chain of custody of a record, from its events, verified against the head stored on chain and the record's
   * collection time. A record without custody events comes back as `NO_CUSTODY_RECORDED`, never complete.
   */
  async custodyChain(recordId: string): Promise<{ events: CustodyEvent[]; verification: CustodyVerification }> {
    const id = bytes32("recordId", recordId, true);
    try {
      const e = await this.registry.getEvidence(id);
      if (Number(e.status) === EvidenceStatus.None)
        throw new CrossproofError("INVALID_ARGUMENT", `unknown record ${id}`);
      const state = await this.registry.custodyOf(id);
      const logs = await this.registry.queryFilter(this.registry.filters.CustodyRecorded(id));
      const events: CustodyEvent[] = logs.map((l) => ({
        sequence: Number(l.args.sequence),
        eventType: Number(l.args.eventType),
        actor: l.args.actor,
        counterparty: l.args.counterparty,
        occurredAt: Number(l.args.occurredAt),
        detailsHash: l.args.detailsHash,
        signer: l.args.signer,
        previous: l.args.previous,
        eventHash: l.args.eventHash,
        transactionHash: l.transactionHash,
        blockNumber: l.blockNumber,
      }));
      return {
        events,
        verification: verifyCustodyChain(id, e.memberId, events, state.head, { collectedAt: Number(e.collectedAt) }),
      };
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "reading the chain of custody");
    }
  }

  /** Whether `memberId` received the record's package (anchoring member, receiver, added recipient). */
  async isRecipient(recordId: string, memberId: bigint | number): Promise<boolean> {
    const id = bytes32("recordId", recordId);
    const member = memberIdArg("memberId", memberId);
    try {
      return await this.registry.isRecipient(id, member);
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "reading the recipients");
    }
  }

  /**
   * What a recipient (a foreign court, say) does on receiving evidence, in one call: reads the anchored record,
   * checks that its member may record an access (anchoring member, receiver of a transfer or added recipient —
   * `NOT_A_RECIPIENT` otherwise, before anything is decrypted), opens the package with its own key — the anchored
   * one, or `packageCid` when it was re-wrapped for it — refusing a package whose manifest is not the anchored one
   * and any file that does not match it, and records the access on chain as an `Accessed` custody event whose
   * details hash is the SHA-256 of the opened files' list.
   */
  async openAndRecordAccess(p: {
    recordId: string;
    store: ContentStore;
    recipientKey: RecipientPrivateKey;
    outputDir: string;
    /** The recipient member's signing key. */
    signer: Signer;
    relayer: Signer | Relayer;
    /** The package re-wrapped for this recipient (default: the anchored package). */
    packageCid?: string;
  }): Promise<{ record: EvidenceRecord; opened: OpenedPackage; accessTransaction: string }> {
    const record = await this.getEvidence(p.recordId);
    if (record === undefined) throw new CrossproofError("INVALID_ARGUMENT", `no evidence record ${p.recordId}`);
    const key = await p.signer.getAddress();
    let memberId: bigint;
    try {
      const consortium = Consortium__factory.connect(await this.registry.consortium(), this.provider);
      memberId = (await consortium.signerInfo(key)).memberId;
    } catch (err) {
      throw toCrossproofError(err, [], "looking up the signer");
    }
    if (memberId === 0n || !(await this.isRecipient(record.recordId, memberId))) {
      throw new CrossproofError(
        "NOT_A_RECIPIENT",
        `member ${memberId} (key ${key}) has not received record ${record.recordId}: no transfer it acknowledged, ` +
          "and it was not added as a recipient",
      );
    }
    const opened = await openPackage({
      cid: p.packageCid ?? record.packageCid,
      store: p.store,
      recipientKey: p.recipientKey,
      outputDir: p.outputDir,
      expectedContentHash: record.contentHash,
    });
    const details = `0x${sha256Hex(JSON.stringify(opened.files.map((f) => [f.path, f.size, f.sha256])))}`;
    const signed = await this.signCustody(p.signer, {
      recordId: record.recordId,
      eventType: "Accessed",
      detailsHash: details,
    });
    const { receipt } = await (await this.submit(signed, p.relayer)).wait();
    return { record, opened, accessTransaction: receipt.hash };
  }

  /** Whether a record hash is under an active batch, checked by the contract. */
  async verifyInclusion(batchId: string, recordHash: string, proof: readonly string[]): Promise<boolean> {
    const id = bytes32("batchId", batchId);
    const hash = bytes32("recordHash", recordHash);
    try {
      return await this.registry.verifyInclusion(id, hash, [...proof]);
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "verifying inclusion");
    }
  }
}
