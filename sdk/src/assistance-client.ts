/**
 * Talks to an AssistanceDesk: signs, submits and reads assistance requests and orders. The types and rules are
 * `./assistance`.
 */
import { keccak256, type ContractRunner, type Provider, type Signer, type TypedDataDomain } from "ethers";
import {
  AssistanceDesk__factory,
  Consortium__factory,
  RecognitionAgreements__factory,
  type AssistanceDesk,
  type RecognitionAgreements,
} from "./typechain";
import {
  bytes32Arg,
  bytes32ListArg,
  enumArg,
  flagsArg,
  invalidArgument,
  jurisdictionArg,
  memberIdArg,
  optionalBytes32Arg,
  secondsArg,
  unixSecondsArg,
} from "./arguments";
import { cidToBytes } from "./cid";
import { ContractClient, resolveContract, preparedContract, type RequestRoutes } from "./contract-client";
import { type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { fromJurisdiction } from "./jurisdiction";
import {
  codeOf,
  nameOf,
  namesOfMask,
  AssistanceStates,
  type AssistanceStateName,
  EmergencyReason,
  ImpossibilityReason,
  IssuingAuthorityType,
  ReviewGround,
  type ImpossibilityReasonName,
  type IssuingAuthorityTypeName,
  type ReviewGroundName,
} from "./constants";
import {
  type AcknowledgeAssistanceRequest,
  type AnswerAssistanceRequest,
  type AssistanceComplianceFigures,
  type AssistanceDeskRequests,
  type AssistanceDeskResults,
  type AssistanceHistoryEntry,
  AssistanceKind,
  type AssistanceOrderInput,
  type AssistanceOrderStruct,
  type AssistanceOrderView,
  type AssistanceProfileStruct,
  type AssistanceProfileTerms,
  type AssistanceRequestView,
  type AssistanceTerms,
  DataCategory,
  type DataCategoryName,
  type ExtendRetentionRequest,
  type IssueAssistanceOrderRequest,
  type IssueAssistanceParameters,
  type IssueAssistanceRequest,
  type IssuedAssistance,
  OrderFlag,
  type ProvideClarificationRequest,
  RefusalGrounds,
  type RefusalGroundsName,
  type ReportImpossibilityRequest,
  type RequestClarificationRequest,
  type RespondAssistanceRequest,
  type ReviewAssistanceRequest,
  type WithdrawAssistanceRequest,
  assistanceStateAt,
  computeComplianceFigures,
  impossibilityMask,
  impossibilityReasons,
  reviewGroundName,
  signAssistanceRequest,
  stateName,
} from "./assistance";

const stateCode = (s: AssistanceStateName) => AssistanceStates.indexOf(s);

const lower = (h: unknown) => String(h).toLowerCase() as Hex;
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
/** Absent or all zeros. */
const isZeroHash = (h: string | undefined) => !h || /^0x0{64}$/.test(h);

/** The request an issue (or order) result describes, from the events of its transaction. */
function issuedFrom(events: Parameters<RequestRoutes<AssistanceDeskResults>["IssueAssistance"]["result"]>[0]) {
  const a = events.argsOf("AssistanceRequested");
  const profile = events.argsOf("AssistanceProfileApplied");
  const issued: IssuedAssistance = {
    requestId: lower(a.requestId),
    requester: a.requester as bigint,
    addressee: a.addressee as bigint,
    kind: nameOf(AssistanceKind, a.kind as bigint, "assistance kind"),
    emergencyReason: nameOf(EmergencyReason, a.emergencyReason as bigint, "emergency reason"),
    deadline: Number(a.deadline),
    retentionUntil: Number(a.retentionUntil),
    agreementId: Number(a.agreementId),
    profileId: Number(profile.profileId),
  };
  const order = events.find("AssistanceOrderIssued");
  if (order !== undefined) {
    const o = events.args(order);
    if (Number(o.reviewUntil) !== 0) {
      issued.notification = { enforcingAuthority: o.enforcingAuthority as bigint, reviewUntil: Number(o.reviewUntil) };
    }
    if (!isZeroHash(o.onBehalfOf as string)) issued.onBehalfOf = lower(o.onBehalfOf);
  }
  return issued;
}

/** Where each AssistanceDesk request goes and how its result is read. */
function deskRoutes(desk: AssistanceDesk): RequestRoutes<AssistanceDeskResults> {
  const answered = (events: Parameters<RequestRoutes<AssistanceDeskResults>["RespondAssistance"]["result"]>[0]) => {
    const a = events.argsOf("AssistanceAnswered");
    return { requestId: lower(a.requestId), state: stateName(a.outcome as bigint), late: a.late as boolean };
  };
  return {
    IssueAssistance: {
      contract: desk,
      method: "issue",
      action: "issuing an assistance request",
      result: issuedFrom,
    },
    IssueAssistanceOrder: {
      contract: desk,
      method: "issueOrder",
      action: "issuing an assistance order",
      // Signed as one struct (the order nested); the contract takes the request and the order apart.
      args: (signed) => {
        const { order, ...request } = signed.request as IssueAssistanceOrderRequest;
        return [request, order, signed.signature];
      },
      result: issuedFrom,
    },
    AcknowledgeAssistance: {
      contract: desk,
      method: "acknowledge",
      action: "acknowledging an assistance request",
      result: (events) => {
        const a = events.argsOf("AssistanceAcknowledged");
        return { requestId: lower(a.requestId), state: "Acknowledged", late: a.late as boolean };
      },
    },
    RespondAssistance: {
      contract: desk,
      method: "respond",
      action: "answering an assistance request",
      result: answered,
    },
    AnswerAssistance: {
      contract: desk,
      method: "answer",
      action: "answering an assistance request",
      result: (events) => {
        const at = events.argsOf("AssistanceAnsweredAt");
        return {
          ...answered(events),
          signedAt: Number(at.signedAt),
          recordedAt: Number(at.recordedAt),
          owedCategories: namesOfMask(DataCategory, at.owedCategories as bigint),
        };
      },
    },
    RequestClarification: {
      contract: desk,
      method: "requestClarification",
      action: "asking for clarification",
      result: (events) => {
        const a = events.argsOf("ClarificationRequested");
        return { requestId: lower(a.requestId), state: "AwaitingClarification" };
      },
    },
    ProvideClarification: {
      contract: desk,
      method: "provideClarification",
      action: "answering a request for clarification",
      result: (events) => {
        const a = events.argsOf("ClarificationProvided");
        return { requestId: lower(a.requestId), state: "Acknowledged", deadline: Number(a.deadline) };
      },
    },
    ReportImpossibility: {
      contract: desk,
      method: "reportImpossibility",
      action: "reporting that a request cannot be executed",
      result: (events) => {
        const a = events.argsOf("ImpossibilityReported");
        return {
          requestId: lower(a.requestId),
          state: "ExecutionImpossible",
          late: a.late as boolean,
          reasons: impossibilityReasons(a.reasons as bigint),
          signedAt: Number(a.signedAt),
        };
      },
    },
    ReviewAssistance: {
      contract: desk,
      method: "review",
      action: "reviewing a notified order",
      result: (events) => {
        const a = events.argsOf("AssistanceReviewed");
        return {
          requestId: lower(a.requestId),
          ground: reviewGroundName(a.ground as bigint),
          refused: a.refused as boolean,
        };
      },
    },
    WithdrawAssistance: {
      contract: desk,
      method: "withdraw",
      action: "withdrawing an assistance request",
      result: (events) => {
        const a = events.argsOf("AssistanceWithdrawn");
        return { requestId: lower(a.requestId), state: "Withdrawn", late: false };
      },
    },
    ExtendRetention: {
      contract: desk,
      method: "extendRetention",
      action: "extending the retention",
      result: (events) => {
        const a = events.argsOf("RetentionExtended");
        return { requestId: lower(a.requestId), retentionUntil: Number(a.retentionUntil) };
      },
    },
  };
}

/** An ISO 639-1 code (two lower-case letters) as `bytes2`. */
function languageArg(value: unknown): Hex {
  if (typeof value !== "string" || !/^[a-z]{2}$/.test(value)) {
    invalidArgument("order.language", value, 'an ISO 639-1 code, two lower-case letters ("en")');
  }
  return `0x${Buffer.from(value, "latin1").toString("hex")}` as Hex;
}

/** An authority's type and hash, or zeros when absent. */
function authorityArg(name: string, a: { type: IssuingAuthorityTypeName; hash: string } | undefined) {
  if (a === undefined) return { type: 0, hash: ZERO32 };
  const type = enumArg(`${name}.type`, a?.type, IssuingAuthorityType);
  if (type === 0) invalidArgument(`${name}.type`, a.type, "an issuing authority type other than None");
  return { type, hash: bytes32Arg(`${name}.hash`, a.hash, { nonZero: true }) };
}

/**
 * Talks to an AssistanceDesk: signs every transition for the acting member, submits through any relayer, reads
 * requests with their derived state, lists a member's open, overdue and due-soon requests, and counts a member's
 * compliance. Arguments are checked before any network call (`INVALID_ARGUMENT`).
 * @example
 * const desk = await AssistanceClient.connect(address, provider);
 * const signed = await desk.signIssue(agencyKey, { addressee: 3, kind: "Preserve", caseRef, firstUpload: "US",
 *   primaryDissemination: "FR", legalBasisHash });
 * const { requestId, deadline } = await (await desk.submit(signed, relayer)).wait();
 */
export class AssistanceClient extends ContractClient<AssistanceDeskRequests, AssistanceDeskResults> {
  #agreements: Promise<RecognitionAgreements> | undefined;

  private constructor(
    readonly desk: AssistanceDesk,
    domain: TypedDataDomain,
    provider: Provider,
    private readonly runner: ContractRunner,
  ) {
    super(domain, provider, deskRoutes(desk));
  }

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<AssistanceClient> {
    const { provider, domain } = await resolveContract("AssistanceDesk", address, runner);
    return new AssistanceClient(
      preparedContract(AssistanceDesk__factory.connect(address, runner)),
      domain,
      provider,
      runner,
    );
  }

  /** The consortium's RecognitionAgreements (where deadline profiles live), found through the desk. */
  agreements(): Promise<RecognitionAgreements> {
    this.#agreements ??= this.read("finding the RecognitionAgreements", async () => {
      const consortium = Consortium__factory.connect(await this.desk.consortium(), this.runner);
      return RecognitionAgreements__factory.connect(await consortium.agreements(), this.runner);
    });
    return this.#agreements;
  }

  /** The fields every issue shares, checked (`orders`: the identification category is allowed). */
  #issueFields(p: IssueAssistanceParameters, orders: boolean) {
    const emergencyReason =
      p.emergency === undefined
        ? EmergencyReason.None
        : codeOf(EmergencyReason, p.emergency.reason, "emergency reason");
    if (
      p.emergency !== undefined &&
      (emergencyReason === EmergencyReason.None || isZeroHash(p.emergency.justificationHash))
    ) {
      throw new CrossproofError(
        "INVALID_ARGUMENT",
        "an emergency states one of the emergency reasons and a justification hash",
      );
    }
    const dataCategories = flagsArg("dataCategories", p.dataCategories ?? [], DataCategory);
    if (!orders && (dataCategories & DataCategory.IDENTIFICATION) !== 0) {
      invalidArgument(
        "dataCategories",
        p.dataCategories,
        "categories without IDENTIFICATION",
        "only orders ask for it",
      );
    }
    return {
      addressee: memberIdArg("addressee", p.addressee, { nonZero: true }),
      kind: codeOf(AssistanceKind, p.kind, "assistance kind"),
      emergencyReason,
      justificationHash: optionalBytes32Arg("emergency.justificationHash", p.emergency?.justificationHash),
      caseRef: bytes32Arg("caseRef", p.caseRef),
      evidenceIds: bytes32ListArg("evidenceIds", p.evidenceIds ?? []),
      contentRefsHash: optionalBytes32Arg("contentRefsHash", p.contentRefsHash),
      dataCategories,
      firstUpload: jurisdictionArg("firstUpload", p.firstUpload),
      primaryDissemination: jurisdictionArg("primaryDissemination", p.primaryDissemination),
      legalBasisHash: bytes32Arg("legalBasisHash", p.legalBasisHash),
      salt:
        p.salt === undefined
          ? (keccak256(crypto.getRandomValues(new Uint8Array(32))) as Hex)
          : bytes32Arg("salt", p.salt),
    };
  }

  async signIssue(
    signer: Signer,
    p: IssueAssistanceParameters,
  ): Promise<SignedRequest<IssueAssistanceRequest, "IssueAssistance">> {
    const request = this.#issueFields(p, false);
    return signAssistanceRequest(signer, this.domain, "IssueAssistance", {
      ...request,
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * Signs an order: a request with the fields of an order under Regulation (EU) 2023/1543 or the Second Protocol
   * (issuing and validating authority, offence, period of data, targets, confidentiality, language, the order
   * document). The desk checks it against the profile that applies (validation, notification) and refuses it with
   * `AssistanceInvalidOrder` naming the rule; here its form is checked.
   * @example
   * const signed = await desk.signIssueOrder(prosecutor, { addressee: 4, kind: "Produce", caseRef, firstUpload: "US",
   *   primaryDissemination: "FR", legalBasisHash, dataCategories: ["TRAFFIC"], order: { issuingAuthority: { type:
   *   "PublicProsecutor", hash }, validatingAuthority: { type: "Judge", hash }, enforcingAuthority: 7, offence: { hash },
   *   dataPeriod: { from, until }, targets: [accountHash], language: "fr", orderDocument: { hash, cid } } });
   */
  async signIssueOrder(
    signer: Signer,
    p: IssueAssistanceParameters & { order: AssistanceOrderInput },
  ): Promise<SignedRequest<IssueAssistanceOrderRequest, "IssueAssistanceOrder">> {
    const request = this.#issueFields(p, true);
    const o = p.order;
    if (o === null || typeof o !== "object") invalidArgument("order", o, "the order's fields");
    const issuer = authorityArg("order.issuingAuthority", o.issuingAuthority);
    if (o.issuingAuthority === undefined) invalidArgument("order.issuingAuthority", undefined, "the issuing authority");
    const validator = authorityArg("order.validatingAuthority", o.validatingAuthority);
    const dataFrom = unixSecondsArg("order.dataPeriod.from", o.dataPeriod?.from);
    const dataUntil = unixSecondsArg("order.dataPeriod.until", o.dataPeriod?.until);
    if (dataUntil === 0 || dataFrom > dataUntil) {
      invalidArgument("order.dataPeriod", o.dataPeriod, "a period whose end is not before its start");
    }
    const targets = bytes32ListArg("order.targets", o.targets);
    if (targets.length === 0) invalidArgument("order.targets", o.targets, "at least one target identifier hash");
    const category = o.offence?.category ?? 0;
    if (!Number.isInteger(category) || category < 0 || category > 255) {
      invalidArgument("order.offence.category", category, "a category code 0 to 255");
    }
    const order: AssistanceOrderStruct = {
      issuingAuthorityType: issuer.type,
      issuingAuthorityHash: issuer.hash,
      validatingAuthorityType: validator.type,
      validatingAuthorityHash: validator.hash,
      enforcingAuthority:
        o.enforcingAuthority === undefined ? 0n : memberIdArg("order.enforcingAuthority", o.enforcingAuthority),
      offenceHash: bytes32Arg("order.offence.hash", o.offence?.hash, { nonZero: true }),
      offenceCategory: category,
      dataFrom,
      dataUntil,
      targets,
      flags: (o.confidential ? OrderFlag.CONFIDENTIAL : 0) | (o.domestic ? OrderFlag.DOMESTIC : 0),
      language: languageArg(o.language),
      orderHash: bytes32Arg("order.orderDocument.hash", o.orderDocument?.hash, { nonZero: true }),
      orderCid: cidToBytes(o.orderDocument?.cid as string),
      onBehalfOf: o.onBehalfOf === undefined ? ZERO32 : bytes32Arg("order.onBehalfOf", o.onBehalfOf, { nonZero: true }),
    };
    return signAssistanceRequest(signer, this.domain, "IssueAssistanceOrder", {
      ...request,
      deadline: await this.deadline(p.validFor),
      order,
    });
  }

  async signAcknowledge(
    signer: Signer,
    p: { requestId: string; validFor?: number },
  ): Promise<SignedRequest<AcknowledgeAssistanceRequest, "AcknowledgeAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    return signAssistanceRequest(signer, this.domain, "AcknowledgeAssistance", {
      requestId,
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** The answer fields of an outcome, checked. */
  #answerFields(p: {
    outcome: string;
    responseHash?: string;
    responseCid?: string;
    refusalGrounds?: RefusalGroundsName;
  }): { outcome: number; responseHash: Hex; responseCid: Hex; refusalGrounds: number } {
    if (p.outcome === "Refused") {
      if (p.responseHash !== undefined || p.responseCid !== undefined) {
        throw new CrossproofError("INVALID_ARGUMENT", "a refusal carries no response hash or CID");
      }
      return {
        outcome: stateCode("Refused"),
        responseHash: ZERO32,
        responseCid: "0x",
        refusalGrounds: codeOf(RefusalGrounds, p.refusalGrounds as string, "refusal grounds"),
      };
    }
    if (p.outcome === "Fulfilled" || p.outcome === "PartiallyFulfilled") {
      if (isZeroHash(p.responseHash) || !p.responseCid || p.refusalGrounds) {
        throw new CrossproofError(
          "INVALID_ARGUMENT",
          "an answer carries the response package's hash and CID, and no refusal grounds",
        );
      }
      return {
        outcome: stateCode(p.outcome),
        responseHash: bytes32Arg("responseHash", p.responseHash),
        responseCid: cidToBytes(p.responseCid),
        refusalGrounds: 0,
      };
    }
    throw new CrossproofError(
      "INVALID_ARGUMENT",
      `unknown outcome "${String(p.outcome)}": Fulfilled, PartiallyFulfilled or Refused`,
    );
  }

  /**
   * Signs an answer judged on the block time (the first answer type; {@link signAnswer} states the signed time):
   * Fulfilled or PartiallyFulfilled with the response package's hash and CID, or Refused with its grounds and nothing
   * else (a refusal carries no response hash).
   */
  async signRespond(
    signer: Signer,
    p: { requestId: string; validFor?: number } & (
      | { outcome: "Fulfilled" | "PartiallyFulfilled"; responseHash: string; responseCid: string }
      | { outcome: "Refused"; refusalGrounds: RefusalGroundsName }
    ),
  ): Promise<SignedRequest<RespondAssistanceRequest, "RespondAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    const answer = this.#answerFields(p as Parameters<AssistanceClient["signAnswer"]>[1]);
    return signAssistanceRequest(signer, this.domain, "RespondAssistance", {
      requestId,
      ...answer,
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * Signs an answer stating when it was signed (default: chain time now): the desk judges lateness on that time,
   * provided the request is recorded within the maximum relay delay (default 10 minutes) — so a slow relayer never
   * makes the addressee late. A partial answer may state what is still owed (`owed`); further answers may follow.
   * @example
   * const signed = await desk.signAnswer(platformKey, { requestId, outcome: "PartiallyFulfilled", responseHash, responseCid,
   *   owed: { categories: ["TRAFFIC"], hash: owedNoteHash } });
   */
  async signAnswer(
    signer: Signer,
    p: { requestId: string; validFor?: number; signedAt?: Date | number } & (
      | {
          outcome: "Fulfilled" | "PartiallyFulfilled";
          responseHash: string;
          responseCid: string;
          /** PartiallyFulfilled: the data categories still owed and the hash of what else is. */
          owed?: { categories: readonly DataCategoryName[]; hash: string };
        }
      | { outcome: "Refused"; refusalGrounds: RefusalGroundsName }
    ),
  ): Promise<SignedRequest<AnswerAssistanceRequest, "AnswerAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    const answer = this.#answerFields(p);
    const owed = (p as { owed?: { categories: readonly DataCategoryName[]; hash: string } }).owed;
    if (owed !== undefined && p.outcome !== "PartiallyFulfilled") {
      invalidArgument("owed", owed, "absent", "only a partial answer states what is still owed");
    }
    const owedCategories = owed === undefined ? 0 : flagsArg("owed.categories", owed.categories, DataCategory);
    if (owed !== undefined && owedCategories === 0) {
      invalidArgument("owed.categories", owed.categories, "at least one data category still owed");
    }
    return signAssistanceRequest(signer, this.domain, "AnswerAssistance", {
      requestId,
      ...answer,
      owedCategories,
      owedHash: owed === undefined ? ZERO32 : bytes32Arg("owed.hash", owed.hash, { nonZero: true }),
      signedAt: await this.#signedAt(p.signedAt),
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** The signed time of a step: given, or chain time now. */
  async #signedAt(given: Date | number | undefined): Promise<number> {
    return given === undefined ? this.chainTime() : unixSecondsArg("signedAt", given);
  }

  /**
   * The addressee asks for clarification: the order is incomplete, has manifest errors or lacks information (Annex
   * III); under a profile that says so, its clock stops until the requester answers.
   */
  async signRequestClarification(
    signer: Signer,
    p: {
      requestId: string;
      reason: "Incomplete" | "ManifestErrors" | "InsufficientInformation";
      questionHash: string;
      signedAt?: Date | number;
      validFor?: number;
    },
  ): Promise<SignedRequest<RequestClarificationRequest, "RequestClarification">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    if (!["Incomplete", "ManifestErrors", "InsufficientInformation"].includes(p.reason)) {
      invalidArgument("reason", p.reason, "Incomplete, ManifestErrors or InsufficientInformation");
    }
    return signAssistanceRequest(signer, this.domain, "RequestClarification", {
      requestId,
      reason: ImpossibilityReason[p.reason],
      questionHash: bytes32Arg("questionHash", p.questionHash, { nonZero: true }),
      signedAt: await this.#signedAt(p.signedAt),
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** The requester answers a request for clarification (the clarification or a corrected order, hash and CID). */
  async signProvideClarification(
    signer: Signer,
    p: { requestId: string; answerHash: string; answerCid?: string; validFor?: number },
  ): Promise<SignedRequest<ProvideClarificationRequest, "ProvideClarification">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    return signAssistanceRequest(signer, this.domain, "ProvideClarification", {
      requestId,
      answerHash: bytes32Arg("answerHash", p.answerHash, { nonZero: true }),
      answerCid: p.answerCid === undefined ? "0x" : cidToBytes(p.answerCid),
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** The addressee reports it cannot execute the request, with the Annex III reasons and the hash of its account. */
  async signReportImpossibility(
    signer: Signer,
    p: {
      requestId: string;
      reasons: readonly ImpossibilityReasonName[];
      detailsHash: string;
      signedAt?: Date | number;
      validFor?: number;
    },
  ): Promise<SignedRequest<ReportImpossibilityRequest, "ReportImpossibility">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    return signAssistanceRequest(signer, this.domain, "ReportImpossibility", {
      requestId,
      reasons: impossibilityMask(p.reasons),
      detailsHash: bytes32Arg("detailsHash", p.detailsHash),
      signedAt: await this.#signedAt(p.signedAt),
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * The notified enforcing authority confirms it raises no ground (`None`), or raises an Art. 12(1) ground, within
   * its review window.
   */
  async signReview(
    signer: Signer,
    p: {
      requestId: string;
      ground: ReviewGroundName;
      reasonsHash?: string;
      signedAt?: Date | number;
      validFor?: number;
    },
  ): Promise<SignedRequest<ReviewAssistanceRequest, "ReviewAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    const ground = enumArg("ground", p.ground, ReviewGround);
    if (ground !== 0 && isZeroHash(p.reasonsHash)) {
      invalidArgument("reasonsHash", p.reasonsHash, "the hash of the reasons", "a ground for refusal states them");
    }
    return signAssistanceRequest(signer, this.domain, "ReviewAssistance", {
      requestId,
      ground,
      reasonsHash: optionalBytes32Arg("reasonsHash", p.reasonsHash),
      signedAt: await this.#signedAt(p.signedAt),
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  async signWithdraw(
    signer: Signer,
    p: { requestId: string; reasonHash: string; validFor?: number },
  ): Promise<SignedRequest<WithdrawAssistanceRequest, "WithdrawAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    const reasonHash = bytes32Arg("reasonHash", p.reasonHash);
    return signAssistanceRequest(signer, this.domain, "WithdrawAssistance", {
      requestId,
      reasonHash,
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  async signExtendRetention(
    signer: Signer,
    p: { requestId: string; retentionUntil: Date | number; validFor?: number },
  ): Promise<SignedRequest<ExtendRetentionRequest, "ExtendRetention">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    const retentionUntil = unixSecondsArg("retentionUntil", p.retentionUntil);
    return signAssistanceRequest(signer, this.domain, "ExtendRetention", {
      requestId,
      retentionUntil,
      nonce: await this.nonceOf(this.desk, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** What the desk keeps of a request besides the request (profile, order, steps), in words. */
  async getOrder(requestId: string): Promise<AssistanceOrderView> {
    const id = bytes32Arg("requestId", requestId);
    const o = await this.read("reading the assistance order", () => this.desk.getOrder(id));
    const view: AssistanceOrderView = {
      profileId: Number(o.profileId),
      clarificationPauses: !o.clockRunsWhileClarifying,
      confidential: (Number(o.flags) & OrderFlag.CONFIDENTIAL) !== 0,
      domestic: (Number(o.flags) & OrderFlag.DOMESTIC) !== 0,
      owedCategories: namesOfMask(DataCategory, o.owedCategories),
    };
    if (o.enforcingAuthority !== 0n) {
      view.notification = {
        enforcingAuthority: o.enforcingAuthority,
        reviewUntil: Number(o.reviewUntil),
        reviewed: o.reviewed,
        ...(o.reviewed ? { ground: reviewGroundName(o.reviewGround) } : {}),
      };
    }
    if (Number(o.pausedSince) !== 0) view.pausedSince = Number(o.pausedSince);
    if (Number(o.maxRetentionUntil) !== 0) view.maxRetentionUntil = Number(o.maxRetentionUntil);
    if (!isZeroHash(o.onBehalfOf)) view.onBehalfOf = lower(o.onBehalfOf);
    if (!isZeroHash(o.orderDigest)) view.orderDigest = lower(o.orderDigest);
    return view;
  }

  /** A request with its state now (Overdue derived by chain time), the time left to answer, and its order record. */
  async getRequest(requestId: string): Promise<AssistanceRequestView | undefined> {
    const id = bytes32Arg("requestId", requestId);
    const q = await this.read("reading the assistance request", () => this.desk.getRequest(id));
    if (Number(q.state) === 0) return undefined;
    const [now, order] = await Promise.all([this.chainTime(), this.getOrder(id)]);
    const state = stateName(q.state);
    const deadline = Number(q.deadline);
    const clock = {
      state,
      deadline,
      owedCategories: order.owedCategories,
      clarificationPauses: order.clarificationPauses,
    };
    const stateNow = assistanceStateAt(clock, now);
    const running = assistanceStateAt(clock, deadline + 1) === "Overdue";
    const grounds = Number(q.refusalGrounds);
    return {
      requestId: id,
      requester: q.requester,
      addressee: q.addressee,
      kind: nameOf(AssistanceKind, q.kind, "assistance kind"),
      emergencyReason: nameOf(EmergencyReason, q.emergencyReason, "emergency reason"),
      state,
      stateNow,
      dataCategories: namesOfMask(DataCategory, q.dataCategories),
      firstUpload: fromJurisdiction(q.firstUpload),
      primaryDissemination: fromJurisdiction(q.primaryDissemination),
      issuedAt: Number(q.issuedAt),
      deadline,
      retentionUntil: Number(q.retentionUntil),
      acknowledgedAt: Number(q.acknowledgedAt),
      respondedAt: Number(q.respondedAt),
      late: q.late,
      refusalGrounds: grounds === 0 ? undefined : nameOf(RefusalGrounds, grounds, "refusal grounds"),
      agreementId: Number(q.agreementId),
      referencesHash: q.referencesHash as Hex,
      responseHash: q.responseHash as Hex,
      secondsLeft: running ? deadline - now : undefined,
      order,
    };
  }

  /**
   * The terms a request issued now from `requesterJurisdiction` to `addresseeJurisdiction` gets (the desk's own
   * `termsBetween`: the agreement it would apply, windows and retention).
   */
  async termsBetween(requesterJurisdiction: string, addresseeJurisdiction: string): Promise<AssistanceTerms> {
    const from = jurisdictionArg("requesterJurisdiction", requesterJurisdiction);
    const to = jurisdictionArg("addresseeJurisdiction", addresseeJurisdiction);
    const t = await this.read("reading the assistance terms", () => this.desk.termsBetween(from, to));
    return {
      agreementId: Number(t.agreementId),
      responseWindow: Number(t.responseWindow),
      emergencyResponseWindow: Number(t.emergencyResponseWindow),
      retentionPeriod: Number(t.retentionPeriod),
      maxRetentionPeriod: Number(t.maxRetentionPeriod),
    };
  }

  /**
   * The full terms, with the deadline profile (review windows, sensitive kinds and categories, validation, the
   * clarification rule), a request issued now from `requesterJurisdiction` to `addresseeJurisdiction` gets.
   */
  async profileTermsBetween(
    requesterJurisdiction: string,
    addresseeJurisdiction: string,
  ): Promise<Omit<AssistanceProfileTerms, "retentionExtension">> {
    const from = jurisdictionArg("requesterJurisdiction", requesterJurisdiction);
    const to = jurisdictionArg("addresseeJurisdiction", addresseeJurisdiction);
    const t = await this.read("reading the assistance terms", () => this.desk.profileTermsBetween(from, to));
    return {
      agreementId: Number(t.agreementId),
      profileId: Number(t.profileId),
      responseWindow: Number(t.responseWindow),
      emergencyResponseWindow: Number(t.emergencyResponseWindow),
      retentionPeriod: Number(t.retentionPeriod),
      maxRetentionPeriod: Number(t.maxRetentionPeriod),
      reviewWindow: Number(t.reviewWindow),
      emergencyReviewWindow: Number(t.emergencyReviewWindow),
      sensitiveKinds: Number(t.sensitiveKinds),
      sensitiveCategories: Number(t.sensitiveCategories),
      validationRequired: Number(t.validationRequired),
      sensitiveValidationRequired: Number(t.sensitiveValidationRequired),
      clarificationPausesDeadline: t.clarificationPausesDeadline,
    };
  }

  /** A deadline profile (undefined for an id no profile has). */
  async assistanceProfile(profileId: number): Promise<AssistanceProfileStruct | undefined> {
    const agreements = await this.agreements();
    const p = await this.read("reading the deadline profile", () => agreements.assistanceProfile(profileId));
    if (isZeroHash(p.textHash)) return undefined;
    return {
      responseWindow: Number(p.responseWindow),
      emergencyResponseWindow: Number(p.emergencyResponseWindow),
      retentionPeriod: Number(p.retentionPeriod),
      retentionExtension: Number(p.retentionExtension),
      reviewWindow: Number(p.reviewWindow),
      emergencyReviewWindow: Number(p.emergencyReviewWindow),
      sensitiveKinds: Number(p.sensitiveKinds),
      sensitiveCategories: Number(p.sensitiveCategories),
      validationRequired: Number(p.validationRequired),
      sensitiveValidationRequired: Number(p.sensitiveValidationRequired),
      clarificationPausesDeadline: p.clarificationPausesDeadline,
      textHash: lower(p.textHash),
    };
  }

  /** The request `addressee` answered with the response package `responseHash`, if any. */
  async requestAnsweredWith(addressee: bigint | number, responseHash: string): Promise<Hex | undefined> {
    const member = memberIdArg("addressee", addressee);
    const hash = bytes32Arg("responseHash", responseHash);
    const id = (await this.read("reading the answers", () => this.desk.requestAnsweredWith(member, hash))) as Hex;
    return isZeroHash(id) ? undefined : (id.toLowerCase() as Hex);
  }

  /**
   * A member's open requests (as addressee by default): all of them, or those overdue, or those due within
   * `dueWithin` seconds; pages through the member's whole list.
   */
  async openRequests(
    memberId: bigint | number,
    p: {
      asAddressee?: boolean;
      filter?: "open" | "overdue" | "dueSoon";
      dueWithin?: number;
      atTime?: Date | number;
    } = {},
  ): Promise<Hex[]> {
    const member = memberIdArg("memberId", memberId);
    const asAddressee = p.asAddressee ?? true;
    const filter = codeOf({ open: 0, overdue: 1, dueSoon: 2 }, p.filter ?? "open", "filter");
    const dueWithin = secondsArg("dueWithin", p.dueWithin) ?? 0;
    const at = p.atTime === undefined ? await this.chainTime() : unixSecondsArg("atTime", p.atTime);
    return this.read("listing open requests", async () => {
      const total = Number(await this.desk.requestCount(member, asAddressee));
      const out: Hex[] = [];
      const page = 200;
      for (let offset = 0; offset < total; offset += page) {
        const ids = await this.desk.openRequests(member, asAddressee, filter, at, dueWithin, offset, page);
        out.push(...(ids as Hex[]));
      }
      return out;
    });
  }

  /**
   * Every request addressed to `memberId`, as the chain's events tell it (issue, answers, reports, clarification,
   * review, withdrawal), with its state as of `asOf` (default: chain time now) from the desk's `stateAt` — the
   * history {@link computeComplianceFigures} counts. Reads the events from `fromBlock` (default 0).
   */
  async assistanceHistory(
    memberId: bigint | number,
    o: { fromBlock?: number; asOf?: Date | number } = {},
  ): Promise<{ asOf: number; history: AssistanceHistoryEntry[] }> {
    const member = memberIdArg("memberId", memberId);
    const from = o.fromBlock ?? 0;
    const asOf = o.asOf === undefined ? await this.chainTime() : unixSecondsArg("asOf", o.asOf);
    const d = this.desk;
    return this.read("reading the assistance history", async () => {
      const [issued, answers, reports, orders, clarified, reviews, withdrawals] = await Promise.all([
        d.queryFilter(d.filters.AssistanceRequested(undefined, undefined, member), from),
        d.queryFilter(d.filters.AssistanceAnswered(undefined, member), from),
        d.queryFilter(d.filters.ImpossibilityReported(undefined, member), from),
        d.queryFilter(d.filters.AssistanceOrderIssued(), from),
        d.queryFilter(d.filters.ClarificationProvided(), from),
        d.queryFilter(d.filters.AssistanceReviewed(), from),
        d.queryFilter(d.filters.AssistanceWithdrawn(), from),
      ]);
      const entries = new Map<string, AssistanceHistoryEntry>();
      for (const e of issued) {
        const a = e.args;
        const block = await e.getBlock();
        entries.set(a.requestId.toLowerCase(), {
          requestId: lower(a.requestId),
          requester: a.requester,
          addressee: a.addressee,
          kind: nameOf(AssistanceKind, a.kind, "assistance kind"),
          emergency: Number(a.emergencyReason) !== 0,
          issuedAt: block.timestamp,
          deadline: Number(a.deadline),
          stillOwed: false,
          withdrawn: false,
          state: "Issued",
        });
      }
      const of = (id: string) => entries.get(id.toLowerCase());
      for (const e of orders) {
        const x = of(e.args.requestId);
        if (x !== undefined && !isZeroHash(e.args.onBehalfOf)) x.onBehalfOf = lower(e.args.onBehalfOf);
      }
      for (const e of clarified) {
        const x = of(e.args.requestId);
        if (x !== undefined) x.deadline = Number(e.args.deadline);
      }
      // Events in chain order: the first answer or report is the one judged; later ones settle what was owed.
      const steps = [...answers, ...reports].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const e of steps) {
        const x = of(e.args.requestId);
        if (x === undefined) continue;
        if (e.fragment.name === "ImpossibilityReported") {
          const a = e.args as unknown as { late: boolean; reasons: bigint };
          x.firstAnswer ??= { outcome: "ExecutionImpossible", late: a.late, reasons: impossibilityReasons(a.reasons) };
          x.stillOwed = false;
        } else {
          const a = e.args as unknown as { outcome: bigint; late: boolean; refusalGrounds: bigint };
          const outcome = stateName(a.outcome) as "Fulfilled" | "PartiallyFulfilled" | "Refused";
          x.firstAnswer ??= {
            outcome,
            late: a.late,
            ...(outcome === "Refused" ? { refusalGrounds: Number(a.refusalGrounds) } : {}),
          };
          x.stillOwed = outcome === "PartiallyFulfilled";
        }
      }
      for (const e of reviews) {
        const x = of(e.args.requestId);
        if (x !== undefined && e.args.refused) x.refusedByEnforcingAuthority = reviewGroundName(e.args.ground);
      }
      for (const e of withdrawals) {
        const x = of(e.args.requestId);
        if (x !== undefined && x.firstAnswer === undefined) x.withdrawn = true;
      }
      // The state as of asOf is the desk's (Overdue derived there); a partial answer owes nothing more unless the
      // desk says so.
      for (const x of entries.values()) {
        x.state = stateName(await d.stateAt(x.requestId, asOf));
        if (x.stillOwed && x.state !== "Overdue" && x.state !== "PartiallyFulfilled") x.stillOwed = false;
        if (x.stillOwed && x.state === "PartiallyFulfilled") {
          x.stillOwed = Number((await d.getOrder(x.requestId)).owedCategories) !== 0;
        }
      }
      return { asOf, history: [...entries.values()] };
    });
  }

  /**
   * The compliance figures of `memberId` as addressee, for the requests whose deadline (as it stands) falls in
   * [`from`, `to`): answered on time, late, overdue, still owed, refused and reported impossible by ground, refused
   * by the enforcing authority by ground (see {@link AssistanceComplianceFigures}). Counted from the desk's events
   * and `stateAt` (its `late` flags and its Overdue rule), as of `asOf` (default: chain time now). The function the
   * gateway's compliance route calls.
   * @example
   * const march = await desk.complianceFigures(4, { from: Date.UTC(2026, 2, 1) / 1000, to: Date.UTC(2026, 3, 1) / 1000 });
   */
  async complianceFigures(
    memberId: bigint | number,
    p: { from: Date | number; to: Date | number; asOf?: Date | number; fromBlock?: number; onBehalfOf?: string },
  ): Promise<AssistanceComplianceFigures> {
    const from = unixSecondsArg("from", p.from);
    const to = unixSecondsArg("to", p.to);
    if (to <= from) invalidArgument("to", p.to, "a time after `from`");
    const { asOf, history } = await this.assistanceHistory(memberId, {
      ...(p.fromBlock === undefined ? {} : { fromBlock: p.fromBlock }),
      ...(p.asOf === undefined ? {} : { asOf: p.asOf }),
    });
    return computeComplianceFigures(history, {
      memberId: memberIdArg("memberId", memberId),
      from,
      to,
      asOf,
      ...(p.onBehalfOf === undefined ? {} : { onBehalfOf: bytes32Arg("onBehalfOf", p.onBehalfOf) }),
    });
  }
}
