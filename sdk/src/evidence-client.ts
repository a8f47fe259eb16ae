/**
 * Talks to an EvidenceRegistry: signs, submits and reads anchors, batches, custody and endorsements. The types, ids
 * and rules are `./evidence`.
 */
import { type ContractRunner, type Provider, type Signer, type TypedDataDomain } from "ethers";
import { Consortium__factory, EvidenceRegistry__factory, type EvidenceRegistry } from "./typechain";
import {
  addressArg,
  bytes32Arg,
  bytes32ListArg,
  enumArg,
  invalidArgument,
  memberIdArg,
  optionalBytes32Arg,
  optionalJurisdictionArg,
  unixSecondsArg,
  uintArg,
} from "./arguments";
import { cidFromBytes, cidToBytes } from "./cid";
import {
  ContractClient,
  resolveContract,
  preparedContract,
  type ReceiptEvents,
  type RequestRoutes,
  type Submitted,
} from "./contract-client";
import { nameOf } from "./constants";
import { CrossproofError } from "./errors";
import { NO_JURISDICTION, fromJurisdiction } from "./jurisdiction";
import { sha256Hex } from "./hash";
import { type EvidenceBatch } from "./merkle";
import { openPackage, type OpenedPackage, type RecipientPrivateKey } from "./package";
import { type Relayer } from "./relayer";
import { type ContentStore } from "./store";
import { type Hex, type SignedRequest } from "./eip712";
import {
  type AnchorBatchRequest,
  type AnchorEvidenceParameters,
  type AnchorEvidenceRequest,
  type AnchoredBatch,
  type AnchoredEvidence,
  type CustodyEvent,
  CustodyEventType,
  type CustodyEventTypeName,
  type CustodyVerification,
  type EndorseRequest,
  type EvidenceBatchRecord,
  type EvidenceRecord,
  type EvidenceRegistryRequests,
  type EvidenceRegistryResults,
  EvidenceStatus,
  type RecordCustodyRequest,
  type RecordedCustody,
  type RetractBatchRequest,
  type RetractEvidenceRequest,
  Verdict,
  type VerdictName,
  batchIdOf,
  recipientDetailsHash,
  recordFieldsHash,
  recordIdOf,
  signEvidenceRequest,
  verifyCustodyChain,
  type EvidenceStatusName,
} from "./evidence";

const statusName = (s: bigint | number): EvidenceStatusName => nameOf(EvidenceStatus, s, "evidence status");

/** A `bytes2` jurisdiction fact read from the chain: its code, or undefined for 0x0000 (not stated). */
const optionalJurisdiction = (hex: string): string | undefined =>
  hex.toLowerCase() === NO_JURISDICTION ? undefined : fromJurisdiction(hex);

/** Topic `i` of a log as a lower-case bytes32, or as a number. */
const topic = (events: ReceiptEvents, name: string) => {
  const log = events.get(name);
  return {
    hex: (i: number) => log.topics[i]!.toLowerCase() as Hex,
    int: (i: number) => BigInt(log.topics[i]!),
  };
};

const CUSTODY_NAMES = Object.keys(CustodyEventType) as CustodyEventTypeName[];
const VERDICT_NAMES = Object.keys(Verdict) as VerdictName[];

/** Where each EvidenceRegistry request goes and how its result is read (anchors from the topics, undecoded). */
function evidenceRoutes(registry: EvidenceRegistry): RequestRoutes<EvidenceRegistryResults> {
  return {
    AnchorEvidence: {
      contract: registry,
      method: "anchorEvidence",
      action: "anchoring evidence",
      result: (events) => {
        const t = topic(events, "EvidenceAnchored");
        return { recordId: t.hex(1), contentHash: t.hex(2), memberId: t.int(3) };
      },
    },
    AnchorBatch: {
      contract: registry,
      method: "anchorBatch",
      action: "anchoring a batch",
      result: (events) => {
        const t = topic(events, "BatchAnchored");
        return { batchId: t.hex(1), root: t.hex(2), memberId: t.int(3) };
      },
    },
    RecordCustody: {
      contract: registry,
      method: "recordCustody",
      action: "recording custody",
      result: (events) => {
        const a = events.argsOf("CustodyRecorded");
        return {
          recordId: (a.recordId as string).toLowerCase() as Hex,
          sequence: Number(a.sequence),
          eventType: CUSTODY_NAMES[Number(a.eventType)]!,
          actor: a.actor as bigint,
          occurredAt: Number(a.occurredAt),
          eventHash: a.eventHash as Hex,
        };
      },
    },
    Endorse: {
      contract: registry,
      method: "endorse",
      action: "endorsing evidence",
      result: (events) => {
        const a = events.argsOf("EvidenceEndorsed");
        return {
          recordId: (a.recordId as string).toLowerCase() as Hex,
          memberId: a.memberId as bigint,
          verdict: VERDICT_NAMES[Number(a.verdict)] as Exclude<VerdictName, "None">,
          agreementId: a.agreementId as bigint,
          reportHash: a.reportHash as Hex,
        };
      },
    },
    RetractEvidence: {
      contract: registry,
      method: "retractEvidence",
      action: "retracting evidence",
      result: (events) => {
        const t = topic(events, "EvidenceRetracted");
        return { recordId: t.hex(1), memberId: t.int(2) };
      },
    },
    RetractBatch: {
      contract: registry,
      method: "retractBatch",
      action: "retracting a batch",
      result: (events) => {
        const t = topic(events, "BatchRetracted");
        return { batchId: t.hex(1), memberId: t.int(2) };
      },
    },
  };
}

function category(value: unknown): number {
  return Number(uintArg("category", value, 6, "an evidence category, 0-63"));
}

/**
 * Talks to an EvidenceRegistry: builds and signs requests for any member key (EIP-712), submits them through any
 * relayer, and reads records, batches and chains of custody back. Records are per member: the record id is
 * {@link recordIdOf}(memberId, contentHash), and every anchor of one content hash is found from the events.
 * Arguments are checked before any network call (`INVALID_ARGUMENT`).
 * @example
 * const client = await EvidenceClient.connect(address, provider);
 * const signed = await client.signAnchorEvidence(agencyKey, { contentHash, packageCid, category,
 *   firstUpload: "US", caseRef, collectedAt: new Date() });
 * const { recordId } = await (await client.anchorEvidence(signed, relayer)).wait();
 */
export class EvidenceClient extends ContractClient<EvidenceRegistryRequests, EvidenceRegistryResults> {
  private constructor(
    readonly registry: EvidenceRegistry,
    domain: TypedDataDomain,
    provider: Provider,
  ) {
    super(domain, provider, evidenceRoutes(registry));
  }

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<EvidenceClient> {
    const { provider, domain } = await resolveContract("EvidenceRegistry", address, runner);
    return new EvidenceClient(preparedContract(EvidenceRegistry__factory.connect(address, runner)), domain, provider);
  }

  /** The next nonce of a signing key (custody, endorsements, retractions). */
  nonce(key: string): Promise<bigint> {
    return this.nonceOf(this.registry, addressArg("key", key));
  }

  /** The record id of `contentHash` anchored by `memberId` (offline; same as the contract's `recordIdOf`). */
  recordIdOf(memberId: bigint | number, contentHash: string): Hex {
    return recordIdOf(memberIdArg("memberId", memberId), bytes32Arg("contentHash", contentHash));
  }

  /** The batch id of `root` anchored by `memberId` (offline; same as the contract's `batchIdOf`). */
  batchIdOf(memberId: bigint | number, root: string): Hex {
    return batchIdOf(memberIdArg("memberId", memberId), bytes32Arg("root", root));
  }

  /**
   * Signs an anchor. The collecting jurisdiction is not a parameter: the contract records the signing member's own.
   */
  async signAnchorEvidence(
    signer: Signer,
    p: AnchorEvidenceParameters,
  ): Promise<SignedRequest<AnchorEvidenceRequest, "AnchorEvidence">> {
    if ("jurisdiction" in p) {
      invalidArgument(
        "jurisdiction",
        (p as { jurisdiction: unknown }).jurisdiction,
        "absent",
        "the collecting jurisdiction is the signing member's own; give firstUpload / primaryDissemination only",
      );
    }
    const request: Omit<AnchorEvidenceRequest, "deadline"> = {
      contentHash: bytes32Arg("contentHash", p.contentHash, { nonZero: true }),
      packageCid: cidToBytes(p.packageCid),
      category: category(p.category),
      firstUpload: optionalJurisdictionArg("firstUpload", p.firstUpload) as Hex,
      primaryDissemination: optionalJurisdictionArg("primaryDissemination", p.primaryDissemination) as Hex,
      caseRef: bytes32Arg("caseRef", p.caseRef),
      collectedAt: unixSecondsArg("collectedAt", p.collectedAt),
      supersedes: optionalBytes32Arg("supersedes", p.supersedes),
    };
    return signEvidenceRequest(signer, this.domain, "AnchorEvidence", {
      ...request,
      deadline: await this.deadline(p.validFor),
    });
  }

  async signAnchorBatch(
    signer: Signer,
    p: { batch: EvidenceBatch; manifestCid: string; category: number; validFor?: number },
  ): Promise<SignedRequest<AnchorBatchRequest, "AnchorBatch">> {
    const request = {
      root: bytes32Arg("batch.root", p.batch?.root, { nonZero: true }),
      count: Number(uintArg("batch.count", p.batch.count, 32, "the number of records in the batch")),
      manifestCid: cidToBytes(p.manifestCid),
      category: category(p.category),
    };
    return signEvidenceRequest(signer, this.domain, "AnchorBatch", {
      ...request,
      deadline: await this.deadline(p.validFor),
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
  ): Promise<SignedRequest<RecordCustodyRequest, "RecordCustody">> {
    const recordId = bytes32Arg("recordId", p.recordId, { nonZero: true });
    const eventType = enumArg("eventType", p.eventType, CustodyEventType);
    const counterparty = memberIdArg("counterparty", p.counterparty ?? 0);
    const occurredAt = p.occurredAt === undefined ? undefined : unixSecondsArg("occurredAt", p.occurredAt);
    const detailsHash = optionalBytes32Arg("detailsHash", p.detailsHash);
    const deadline = await this.deadline(p.validFor);
    return signEvidenceRequest(signer, this.domain, "RecordCustody", {
      recordId,
      eventType,
      counterparty,
      occurredAt: occurredAt ?? (await this.chainTime()),
      detailsHash,
      nonce: await this.nonceOf(this.registry, signer, p.nonce),
      deadline,
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
  ): Promise<SignedRequest<RecordCustodyRequest, "RecordCustody">> {
    memberIdArg("recipient", p.recipient, { nonZero: true });
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
  ): Promise<SignedRequest<EndorseRequest, "Endorse">> {
    const recordId = bytes32Arg("recordId", p.recordId, { nonZero: true });
    const verdict = enumArg("verdict", p.verdict, { Recognized: Verdict.Recognized, Challenged: Verdict.Challenged });
    const reportHash = bytes32Arg("reportHash", p.reportHash);
    return signEvidenceRequest(signer, this.domain, "Endorse", {
      recordId,
      verdict,
      reportHash,
      nonce: await this.nonceOf(this.registry, signer, p.nonce),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** Signs the retraction of one of the signer's member's records. */
  async signRetractEvidence(
    signer: Signer,
    p: { recordId: string; reasonHash: string; nonce?: bigint; validFor?: number },
  ): Promise<SignedRequest<RetractEvidenceRequest, "RetractEvidence">> {
    const recordId = bytes32Arg("recordId", p.recordId, { nonZero: true });
    const reasonHash = bytes32Arg("reasonHash", p.reasonHash);
    return signEvidenceRequest(signer, this.domain, "RetractEvidence", {
      recordId,
      reasonHash,
      nonce: await this.nonceOf(this.registry, signer, p.nonce),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** Signs the retraction of one of the signer's member's batches. */
  async signRetractBatch(
    signer: Signer,
    p: { batchId: string; reasonHash: string; nonce?: bigint; validFor?: number },
  ): Promise<SignedRequest<RetractBatchRequest, "RetractBatch">> {
    const batchId = bytes32Arg("batchId", p.batchId, { nonZero: true });
    const reasonHash = bytes32Arg("reasonHash", p.reasonHash);
    return signEvidenceRequest(signer, this.domain, "RetractBatch", {
      batchId,
      reasonHash,
      nonce: await this.nonceOf(this.registry, signer, p.nonce),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * Submits a signed anchor; `wait()` resolves to the new record id (decoded from the EvidenceAnchored event).
   * @example
   * const { recordId } = await (await client.anchorEvidence(signed, relayer)).wait();
   */
  anchorEvidence(
    signed: SignedRequest<AnchorEvidenceRequest, "AnchorEvidence">,
    relayer: Signer | Relayer,
  ): Promise<Submitted<AnchoredEvidence>> {
    return this.submit(signed, relayer);
  }

  /** Submits a signed batch anchor; `wait()` resolves to the new batch id. */
  anchorBatch(
    signed: SignedRequest<AnchorBatchRequest, "AnchorBatch">,
    relayer: Signer | Relayer,
  ): Promise<Submitted<AnchoredBatch>> {
    return this.submit(signed, relayer);
  }

  /** The record `recordId` with its anchoring event, or undefined when it was never anchored. */
  async getEvidence(recordId: string): Promise<EvidenceRecord | undefined> {
    const id = bytes32Arg("recordId", recordId);
    return this.read("reading the record", async () => {
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
    });
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
    const hash = bytes32Arg("contentHash", contentHash, { nonZero: true });
    const ids = await this.read("listing the records of a content hash", async () => {
      const logs = await this.registry.queryFilter(this.registry.filters.EvidenceAnchored(undefined, hash));
      return logs.map((l) => l.args.recordId);
    });
    const records = await Promise.all([...new Set(ids)].map((id) => this.getEvidence(id)));
    return records.filter((r): r is EvidenceRecord => r !== undefined);
  }

  /** The batch `batchId` with its anchoring event, or undefined when it was never anchored. */
  async getBatch(batchId: string): Promise<EvidenceBatchRecord | undefined> {
    const id = bytes32Arg("batchId", batchId);
    return this.read("reading the batch", async () => {
      const b = await this.registry.getBatch(id);
      if (Number(b.status) === EvidenceStatus.None) return undefined;
      const log = (await this.registry.queryFilter(this.registry.filters.BatchAnchored(id)))[0];
      if (log === undefined) {
        throw new CrossproofError("CHAIN_ERROR", `batch ${id} exists but its event is not available`);
      }
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
    });
  }

  /**
   * The chain of custody of a record, from its events, verified against the head stored on chain and the record's
   * collection time. A record without custody events comes back as `NO_CUSTODY_RECORDED`, never complete.
   */
  async custodyChain(recordId: string): Promise<{ events: CustodyEvent[]; verification: CustodyVerification }> {
    const id = bytes32Arg("recordId", recordId, { nonZero: true });
    return this.read("reading the chain of custody", async () => {
      const e = await this.registry.getEvidence(id);
      if (Number(e.status) === EvidenceStatus.None) {
        throw new CrossproofError("INVALID_ARGUMENT", `unknown record ${id}`, {
          details: { argument: "recordId", value: id },
        });
      }
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
    });
  }

  /** Whether `memberId` received the record's package (anchoring member, receiver, added recipient). */
  async isRecipient(recordId: string, memberId: bigint | number): Promise<boolean> {
    const id = bytes32Arg("recordId", recordId);
    const member = memberIdArg("memberId", memberId);
    return this.read("reading the recipients", () => this.registry.isRecipient(id, member));
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
  }): Promise<{ record: EvidenceRecord; opened: OpenedPackage; access: RecordedCustody; accessTransaction: string }> {
    const record = await this.getEvidence(p.recordId);
    if (record === undefined) {
      throw new CrossproofError("INVALID_ARGUMENT", `no evidence record ${p.recordId}`, {
        details: { argument: "recordId", value: p.recordId },
      });
    }
    const key = await p.signer.getAddress();
    const memberId = await this.read("looking up the signer", async () => {
      const consortium = Consortium__factory.connect(await this.registry.consortium(), this.provider);
      return (await consortium.signerInfo(key)).memberId;
    });
    if (memberId === 0n || !(await this.isRecipient(record.recordId, memberId))) {
      throw new CrossproofError(
        "NOT_A_RECIPIENT",
        `member #${memberId} (key ${key}) has not received record ${record.recordId}: no transfer it acknowledged, ` +
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
    const { receipt, ...access } = await (await this.submit(signed, p.relayer)).wait();
    return { record, opened, access, accessTransaction: receipt.hash };
  }

  /** Whether a record hash is under an active batch, checked by the contract. */
  async verifyInclusion(batchId: string, recordHash: string, proof: readonly string[]): Promise<boolean> {
    const id = bytes32Arg("batchId", batchId);
    const hash = bytes32Arg("recordHash", recordHash);
    const path = bytes32ListArg("proof", proof);
    return this.read("verifying inclusion", () => this.registry.verifyInclusion(id, hash, path));
  }
}
