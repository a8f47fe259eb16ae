import {
  ZeroHash,
  keccak256,
  concat,
  toUtf8Bytes,
  type ContractRunner,
  type ContractTransactionReceipt,
  type Provider,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import { EvidenceRegistry__factory, type EvidenceRegistry } from "../../typechain-types";
import { cidFromBytes, cidToBytes } from "./cid";
import { toCrossproofError } from "./contract-errors";
import {
  DEFAULT_REQUEST_VALIDITY,
  chainTimeOf,
  deadlineFrom,
  resolveContract,
  submitRequest,
  toUnixSeconds,
  type SubmittedRequest,
} from "./contract-client";
import { verifyCustodyChain, type CustodyEvent, type CustodyVerification } from "./custody";
import {
  CustodyEventType,
  EvidenceStatus,
  recordFieldsHash,
  signEvidenceRequest,
  type AnchorBatchRequest,
  type AnchorEvidenceRequest,
  type CustodyEventTypeName,
  type EvidenceRegistryRequests,
  type Hex,
  type RecordCustodyRequest,
  type SignedRequest,
} from "./eip712";
import { CrossproofError } from "./errors";
import { fromJurisdiction, toJurisdiction } from "./jurisdiction";
import { sha256Hex } from "./hash";
import type { EvidenceBatch } from "./merkle";
import { openPackage, type OpenedPackage, type RecipientPrivateKey } from "./package";
import type { ContentStore } from "./store";

const ZERO = ZeroHash as Hex;

/**
 * The hash of a case reference as it goes on chain. Case numbers are short and guessable, so they are hashed with
 * a secret salt the agency keeps (32 random bytes, shared with the court that needs to match it): the chain
 * then links records of one case without revealing which case.
 */
export function caseReferenceHash(reference: string, salt: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(salt)) throw new CrossproofError("INVALID_ARGUMENT", "the salt must be 32 bytes hex");
  return keccak256(concat([salt, toUtf8Bytes(reference.normalize("NFC"))])) as Hex;
}

type StatusName = keyof typeof EvidenceStatus;
const statusName = (s: bigint | number): StatusName =>
  (Object.keys(EvidenceStatus) as StatusName[]).find((k) => EvidenceStatus[k] === Number(s)) ?? "None";

/** An evidence record: what the contract stores, plus the anchoring event's fields (checked against the commitment). */
export interface EvidenceRecord {
  contentHash: Hex;
  status: StatusName;
  memberId: bigint;
  anchoredAt: number;
  collectedAt: number;
  category: number;
  jurisdiction: string;
  signer: string;
  packageCid: string;
  caseRef: Hex;
  supersedes: Hex;
  supersededBy: Hex;
  transactionHash: string;
  blockNumber: number;
  /** The event's signer, CID and case reference match the commitment stored on chain. */
  fieldsMatchCommitment: boolean;
}

export interface AnchorEvidenceParameters {
  contentHash: string;
  /** CID of the encrypted package (string form). */
  packageCid: string;
  category: number;
  /** ISO 3166-1 alpha-2 code of the collecting jurisdiction. */
  jurisdiction: string;
  /** See {@link caseReferenceHash}. */
  caseRef: string;
  /** When the evidence was collected: a Date or unix seconds. */
  collectedAt: Date | number;
  supersedes?: string;
  /** Seconds the signature stays valid (default one hour, by chain time). */
  validFor?: number;
}

const METHODS: Record<keyof EvidenceRegistryRequests, keyof EvidenceRegistry> = {
  AnchorEvidence: "anchorEvidence",
  AnchorBatch: "anchorBatch",
  RecordCustody: "recordCustody",
  Endorse: "endorse",
  Retract: "retract",
};

/**
 * Talks to an EvidenceRegistry: builds and signs requests for any member key (EIP-712), submits them through any
 * relayer, and reads records, batches and chains of custody back.
 * @example
 * const client = await EvidenceClient.connect(address, provider);
 * const signed = await client.signAnchorEvidence(agencyKey, { contentHash, packageCid, category, jurisdiction: "FR",
 *   caseRef, collectedAt: new Date() });
 * const { events } = await (await client.submit(signed, relayer)).wait();
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

  async signAnchorEvidence(signer: Signer, p: AnchorEvidenceParameters): Promise<SignedRequest<AnchorEvidenceRequest>> {
    return signEvidenceRequest(signer, this.domain, "AnchorEvidence", {
      contentHash: p.contentHash.toLowerCase() as Hex,
      packageCid: cidToBytes(p.packageCid),
      category: p.category,
      jurisdiction: toJurisdiction(p.jurisdiction),
      caseRef: p.caseRef as Hex,
      collectedAt: toUnixSeconds(p.collectedAt),
      supersedes: (p.supersedes ?? ZERO) as Hex,
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  async signAnchorBatch(
    signer: Signer,
    p: { batch: EvidenceBatch; manifestCid: string; category: number; jurisdiction: string; validFor?: number },
  ): Promise<SignedRequest<AnchorBatchRequest>> {
    return signEvidenceRequest(signer, this.domain, "AnchorBatch", {
      root: p.batch.root,
      count: p.batch.count,
      manifestCid: cidToBytes(p.manifestCid),
      category: p.category,
      jurisdiction: toJurisdiction(p.jurisdiction),
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
      evidenceId: string;
      eventType: CustodyEventTypeName;
      counterparty?: bigint | number;
      occurredAt?: Date | number;
      detailsHash?: string;
      nonce?: bigint;
      validFor?: number;
    },
  ): Promise<SignedRequest<RecordCustodyRequest>> {
    const now = await this.chainTime();
    return signEvidenceRequest(signer, this.domain, "RecordCustody", {
      evidenceId: p.evidenceId as Hex,
      eventType: CustodyEventType[p.eventType],
      counterparty: p.counterparty ?? 0,
      occurredAt: p.occurredAt === undefined ? now : toUnixSeconds(p.occurredAt),
      detailsHash: (p.detailsHash ?? ZERO) as Hex,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: now + (p.validFor ?? DEFAULT_REQUEST_VALIDITY),
    });
  }

  async signEndorsement(
    signer: Signer,
    p: {
      evidenceId: string;
      verdict: "Recognised" | "Challenged";
      reportHash: string;
      nonce?: bigint;
      validFor?: number;
    },
  ) {
    return signEvidenceRequest(signer, this.domain, "Endorse", {
      evidenceId: p.evidenceId as Hex,
      verdict: p.verdict === "Recognised" ? 1 : 2,
      reportHash: p.reportHash as Hex,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  async signRetraction(signer: Signer, p: { id: string; reasonHash: string; nonce?: bigint; validFor?: number }) {
    return signEvidenceRequest(signer, this.domain, "Retract", {
      id: p.id as Hex,
      reasonHash: p.reasonHash as Hex,
      nonce: p.nonce ?? (await this.nonce(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /**
   * Submits a signed request through `relayer` (any account with gas; on a zero-gas consortium chain, any key).
   * A refusal by the contract becomes `CONTRACT_REVERTED` naming the custom error.
   */
  async submit<K extends keyof EvidenceRegistryRequests>(
    signed: SignedRequest<EvidenceRegistryRequests[K]>,
    relayer: Signer,
  ): Promise<SubmittedRequest> {
    const method = METHODS[signed.primaryType as K];
    if (method === undefined) throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
    const registry = this.registry.connect(relayer) as unknown as Record<
      string,
      (
        r: unknown,
        sig: string,
      ) => Promise<{ hash: string; wait(c?: number): Promise<ContractTransactionReceipt | null> }>
    >;
    return submitRequest(signed.primaryType, this.registry.interface, () =>
      registry[method as string]!(signed.request, signed.signature),
    );
  }

  /** The record of `contentHash` with its anchoring event, or undefined when it was never anchored. */
  async getEvidence(contentHash: string): Promise<EvidenceRecord | undefined> {
    try {
      const e = await this.registry.getEvidence(contentHash);
      if (Number(e.status) === EvidenceStatus.None) return undefined;
      const logs = await this.registry.queryFilter(this.registry.filters.EvidenceAnchored(contentHash));
      const log = logs[0];
      if (log === undefined) {
        throw new CrossproofError("CHAIN_ERROR", `record ${contentHash} exists but its event is not available`);
      }
      const a = log.args;
      return {
        contentHash: contentHash.toLowerCase() as Hex,
        status: statusName(e.status),
        memberId: e.memberId,
        anchoredAt: Number(e.anchoredAt),
        collectedAt: Number(e.collectedAt),
        category: Number(e.category),
        jurisdiction: fromJurisdiction(e.jurisdiction),
        signer: a.signer,
        packageCid: cidFromBytes(a.packageCid),
        caseRef: a.caseRef as Hex,
        supersedes: a.supersedes as Hex,
        supersededBy: (await this.registry.supersededBy(contentHash)) as Hex,
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
        fieldsMatchCommitment: e.fieldsHash === recordFieldsHash(a.signer, a.packageCid, a.caseRef),
      };
    } catch (err) {
      throw toCrossproofError(err, [this.registry.interface], "reading the record");
    }
  }

  /** The chain of custody of a record, from its events, verified against the head stored on chain. */
  async custodyChain(evidenceId: string): Promise<{ events: CustodyEvent[]; verification: CustodyVerification }> {
    const e = await this.registry.getEvidence(evidenceId);
    if (Number(e.status) === EvidenceStatus.None)
      throw new CrossproofError("INVALID_ARGUMENT", `unknown record ${evidenceId}`);
    const state = await this.registry.custodyOf(evidenceId);
    const logs = await this.registry.queryFilter(this.registry.filters.CustodyRecorded(evidenceId));
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
    return { events, verification: verifyCustodyChain(evidenceId, e.memberId, events, state.head) };
  }

  /**
   * What a recipient (a foreign court, say) does on receiving evidence, in one call: reads the anchored record,
   * opens the package it points to with its own key — refusing a package whose manifest is not the anchored one and
   * any file that does not match it — and records the access on chain as an `Accessed` custody event whose details
   * hash is the SHA-256 of the opened files' list.
   */
  async openAndRecordAccess(p: {
    evidenceId: string;
    store: ContentStore;
    recipientKey: RecipientPrivateKey;
    outputDir: string;
    /** The recipient member's signing key. */
    signer: Signer;
    relayer: Signer;
  }): Promise<{ record: EvidenceRecord; opened: OpenedPackage; accessTransaction: string }> {
    const record = await this.getEvidence(p.evidenceId);
    if (record === undefined) throw new CrossproofError("INVALID_ARGUMENT", `no evidence record ${p.evidenceId}`);
    const opened = await openPackage({
      cid: record.packageCid,
      store: p.store,
      recipientKey: p.recipientKey,
      outputDir: p.outputDir,
      expectedContentHash: record.contentHash,
    });
    const details = `0x${sha256Hex(JSON.stringify(opened.files.map((f) => [f.path, f.size, f.sha256])))}`;
    const signed = await this.signCustody(p.signer, {
      evidenceId: record.contentHash,
      eventType: "Accessed",
      detailsHash: details,
    });
    const { receipt } = await (await this.submit(signed, p.relayer)).wait();
    return { record, opened, accessTransaction: receipt.hash };
  }

  /** Whether a record hash is under an active batch root, checked by the contract. */
  async verifyInclusion(root: string, recordHash: string, proof: readonly string[]): Promise<boolean> {
    return this.registry.verifyInclusion(root, recordHash, [...proof]);
  }
}
