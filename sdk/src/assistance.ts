import {
  AbiCoder,
  keccak256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { AssistanceDesk__factory, type AssistanceDesk } from "./typechain";
import {
  bytes32Arg,
  bytes32ListArg,
  flagsArg,
  jurisdictionArg,
  memberIdArg,
  optionalBytes32Arg,
  secondsArg,
  unixSecondsArg,
} from "./arguments";
import { cidToBytes } from "./cid";
import { ContractClient, resolveContract, type RequestRoutes } from "./contract-client";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { fromJurisdiction } from "./jurisdiction";
import { AssistanceStates, EmergencyReason, type AssistanceStateName, type EmergencyReasonName } from "./constants";

// The assistance enums live in the base module (the contract-error decoder names their values too).
export { AssistanceStates, EmergencyReason, type AssistanceStateName, type EmergencyReasonName };

/** What is asked, as in `IAssistanceDesk.Kind`. */
export const AssistanceKind = { Preserve: 0, Produce: 1, Takedown: 2 } as const;
export type AssistanceKindName = keyof typeof AssistanceKind;

/** The emergency reasons in plain words. */
export const EmergencyReasonText: Readonly<Record<EmergencyReasonName, string>> = {
  None: "not an emergency",
  ImminentThreatToLife: "an imminent threat to the life of a person",
  ImminentThreatToPhysicalIntegrityOrSafety: "an imminent threat to the physical integrity or safety of a person",
  CriticalInfrastructure:
    "an imminent threat to a critical infrastructure whose disruption or destruction would put the life, physical " +
    "integrity or safety of a person under imminent threat",
};

const stateCode = (s: AssistanceStateName) => AssistanceStates.indexOf(s);

/** Data categories asked for (bitmask). */
export const DataCategory = { SUBSCRIBER: 1, TRAFFIC: 2, CONTENT: 4, DISSEMINATION_RECORDS: 8 } as const;
export type DataCategoryName = keyof typeof DataCategory;

/** Refusal grounds codes. */
export const RefusalGrounds = {
  NO_LEGAL_BASIS: 1,
  DATA_NOT_HELD: 2,
  DISPROPORTIONATE: 3,
  FUNDAMENTAL_RIGHTS: 4,
  NOT_COMPETENT: 5,
  CONFLICTING_OBLIGATION: 6,
  OTHER: 255,
} as const;
export type RefusalGroundsName = keyof typeof RefusalGrounds;

/** The consortium defaults when governance set nothing (seconds), as in `AssistanceDesk.DEFAULT_*`. */
export const AssistanceDefaults = {
  responseWindow: 72 * 3600,
  emergencyResponseWindow: 8 * 3600,
  retentionPeriod: 90 * 24 * 3600,
  /** The longest retention from issue that extensions may reach. */
  maxRetentionPeriod: 365 * 24 * 3600,
} as const;

/** Names of the governance parameters the desk reads (see `encodeProposal({ kind: "SetParameter" })`). */
export const AssistanceParameters = {
  responseWindow: "crossproof.assistance.responseWindow",
  emergencyResponseWindow: "crossproof.assistance.emergencyResponseWindow",
  retentionPeriod: "crossproof.assistance.retentionPeriod",
  maxRetentionPeriod: "crossproof.assistance.maxRetentionPeriod",
} as const;
export type AssistanceParameterName = keyof typeof AssistanceParameters;

/** The code of an enum value by its name; `CrossproofError("INVALID_ARGUMENT")` for a name off the list. */
function codeOf<N extends string>(values: Readonly<Record<N, number>>, name: string, what: string): number {
  if (!Object.prototype.hasOwnProperty.call(values, name)) {
    throw new CrossproofError("INVALID_ARGUMENT", `unknown ${what} "${name}"`, {
      details: { known: Object.keys(values) },
    });
  }
  return values[name as N];
}

/** The name of an enum code read from the chain; `CrossproofError("CHAIN_ERROR")` for a code off the list. */
function nameOf<N extends string>(values: Readonly<Record<N, number>>, code: number | bigint, what: string): N {
  const name = (Object.keys(values) as N[]).find((k) => values[k] === Number(code));
  if (name === undefined) throw new CrossproofError("CHAIN_ERROR", `unknown ${what} code ${code}`);
  return name;
}

/** EIP-712 types of the AssistanceDesk requests. */
export const AssistanceDeskTypes = {
  IssueAssistance: [
    { name: "addressee", type: "uint64" },
    { name: "kind", type: "uint8" },
    { name: "emergencyReason", type: "uint8" },
    { name: "justificationHash", type: "bytes32" },
    { name: "caseRef", type: "bytes32" },
    { name: "evidenceIds", type: "bytes32[]" },
    { name: "contentRefsHash", type: "bytes32" },
    { name: "dataCategories", type: "uint8" },
    { name: "firstUpload", type: "bytes2" },
    { name: "primaryDissemination", type: "bytes2" },
    { name: "legalBasisHash", type: "bytes32" },
    { name: "salt", type: "bytes32" },
    { name: "deadline", type: "uint48" },
  ],
  AcknowledgeAssistance: [
    { name: "requestId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  RespondAssistance: [
    { name: "requestId", type: "bytes32" },
    { name: "outcome", type: "uint8" },
    { name: "responseHash", type: "bytes32" },
    { name: "responseCid", type: "bytes" },
    { name: "refusalGrounds", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  WithdrawAssistance: [
    { name: "requestId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  ExtendRetention: [
    { name: "requestId", type: "bytes32" },
    { name: "retentionUntil", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

export interface IssueAssistanceRequest {
  addressee: bigint | number;
  kind: number;
  /** An `EmergencyReason` code (0 = not an emergency). */
  emergencyReason: number;
  justificationHash: Hex;
  caseRef: Hex;
  evidenceIds: Hex[];
  contentRefsHash: Hex;
  dataCategories: number;
  firstUpload: Hex;
  primaryDissemination: Hex;
  legalBasisHash: Hex;
  salt: Hex;
  deadline: number;
}
export interface AcknowledgeAssistanceRequest {
  requestId: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface RespondAssistanceRequest {
  requestId: Hex;
  outcome: number;
  responseHash: Hex;
  responseCid: Hex;
  refusalGrounds: number;
  nonce: bigint | number;
  deadline: number;
}
export interface WithdrawAssistanceRequest {
  requestId: Hex;
  reasonHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface ExtendRetentionRequest {
  requestId: Hex;
  retentionUntil: number;
  nonce: bigint | number;
  deadline: number;
}
export interface AssistanceDeskRequests {
  IssueAssistance: IssueAssistanceRequest;
  AcknowledgeAssistance: AcknowledgeAssistanceRequest;
  RespondAssistance: RespondAssistanceRequest;
  WithdrawAssistance: WithdrawAssistanceRequest;
  ExtendRetention: ExtendRetentionRequest;
}

/** What a mined request issue comes to. */
export interface IssuedAssistance {
  /** The new request's id: {@link assistanceRequestId}(requester, addressee, salt). */
  requestId: Hex;
  requester: bigint;
  addressee: bigint;
  kind: AssistanceKindName;
  emergencyReason: EmergencyReasonName;
  /** The last second an answer is on time (unix seconds), set by the desk. */
  deadline: number;
  /** Until when the addressee keeps the data (unix seconds). */
  retentionUntil: number;
  /** The recognition agreement whose windows applied (0 = governance defaults). */
  agreementId: number;
}

/** What a mined acknowledgement, answer or withdrawal comes to: the request's new state. */
export interface AssistanceStateChange {
  requestId: Hex;
  state: AssistanceStateName;
  /** After the deadline (acknowledgements and answers). */
  late: boolean;
}

/** What a mined retention extension comes to. */
export interface ExtendedRetention {
  requestId: Hex;
  retentionUntil: number;
}

/** What each AssistanceDesk request's `wait()` resolves to. */
export interface AssistanceDeskResults {
  IssueAssistance: IssuedAssistance;
  AcknowledgeAssistance: AssistanceStateChange;
  RespondAssistance: AssistanceStateChange;
  WithdrawAssistance: AssistanceStateChange;
  ExtendRetention: ExtendedRetention;
}

const lower = (h: unknown) => String(h).toLowerCase() as Hex;

/** Where each AssistanceDesk request goes and how its result is read. */
function deskRoutes(desk: AssistanceDesk): RequestRoutes<AssistanceDeskResults> {
  return {
    IssueAssistance: {
      contract: desk,
      method: "issue",
      action: "issuing an assistance request",
      result: (events) => {
        const a = events.argsOf("AssistanceRequested");
        return {
          requestId: lower(a.requestId),
          requester: a.requester as bigint,
          addressee: a.addressee as bigint,
          kind: nameOf(AssistanceKind, a.kind as bigint, "assistance kind"),
          emergencyReason: nameOf(EmergencyReason, a.emergencyReason as bigint, "emergency reason"),
          deadline: Number(a.deadline),
          retentionUntil: Number(a.retentionUntil),
          agreementId: Number(a.agreementId),
        };
      },
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
      result: (events) => {
        const a = events.argsOf("AssistanceAnswered");
        return {
          requestId: lower(a.requestId),
          state: AssistanceStates[Number(a.outcome)] ?? "None",
          late: a.late as boolean,
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

/** Signs an AssistanceDesk request with the acting member's key. */
export function signAssistanceRequest<K extends keyof AssistanceDeskRequests>(
  signer: Signer,
  domain: TypedDataDomain,
  primaryType: K,
  request: AssistanceDeskRequests[K],
): Promise<SignedRequest<AssistanceDeskRequests[K], K>> {
  return signTypedRequest(signer, domain, AssistanceDeskTypes, primaryType, request);
}

/** Mirror of `AssistanceDesk.requestIdOf`. */
export function assistanceRequestId(requester: bigint | number, addressee: bigint | number, salt: string): Hex {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(["uint64", "uint64", "bytes32"], [requester, addressee, salt]),
  ) as Hex;
}

/** What a request issued now between two jurisdictions gets (seconds), as `AssistanceDesk.termsBetween` says. */
export interface AssistanceTerms {
  /** The recognition agreement whose windows apply (0 = governance defaults only). */
  agreementId: number;
  responseWindow: number;
  emergencyResponseWindow: number;
  /** Retention from issue (already capped by `maxRetentionPeriod`). */
  retentionPeriod: number;
  /** The longest retention from issue that extensions may reach. */
  maxRetentionPeriod: number;
}

/** The terms when there is no agreement and governance set nothing. */
export const DefaultAssistanceTerms: AssistanceTerms = { agreementId: 0, ...AssistanceDefaults };

/**
 * Mirror of `AssistanceDesk._terms`: combines what `RecognitionAgreements.assistanceTerms` found between the two
 * jurisdictions (agreement 0 = none) with the governance parameters (by the names in {@link AssistanceParameters};
 * unset, 0 or beyond uint32 = the default). A zero window in the agreement means the governance value. The agreement
 * itself is chosen on chain only — this does not choose it.
 */
export function applicableAssistanceTerms(
  agreement: {
    agreementId: bigint | number;
    responseWindow: bigint | number;
    emergencyResponseWindow: bigint | number;
  },
  parameters: Partial<Record<AssistanceParameterName, bigint | number>> = {},
): AssistanceTerms {
  const param = (name: AssistanceParameterName) => {
    const v = BigInt(parameters[name] ?? 0);
    return v === 0n || v > 0xffffffffn ? AssistanceDefaults[name] : Number(v);
  };
  const maxRetentionPeriod = param("maxRetentionPeriod");
  return {
    agreementId: Number(agreement.agreementId),
    responseWindow: Number(agreement.responseWindow) || param("responseWindow"),
    emergencyResponseWindow: Number(agreement.emergencyResponseWindow) || param("emergencyResponseWindow"),
    retentionPeriod: Math.min(param("retentionPeriod"), maxRetentionPeriod),
    maxRetentionPeriod,
  };
}

/**
 * The deadline, retention end and the latest retention end extensions may reach, of a request issued at `issuedAt`
 * (unix seconds) under `terms`, as the desk computes them. The deadline is the last second an answer is on time; the
 * emergency window applies for any reason but `None`.
 */
export function computeAssistanceDeadlines(
  issuedAt: number,
  emergencyReason: EmergencyReasonName,
  terms: Omit<AssistanceTerms, "agreementId"> = AssistanceDefaults,
): { deadline: number; retentionUntil: number; maxRetentionUntil: number } {
  const emergency = codeOf(EmergencyReason, emergencyReason, "emergency reason") !== EmergencyReason.None;
  return {
    deadline: issuedAt + (emergency ? terms.emergencyResponseWindow : terms.responseWindow),
    retentionUntil: issuedAt + Math.min(terms.retentionPeriod, terms.maxRetentionPeriod),
    maxRetentionUntil: issuedAt + terms.maxRetentionPeriod,
  };
}

/** Mirror of `AssistanceDesk.stateAt`: an open request past its deadline reads Overdue. */
export function assistanceStateAt(
  request: { state: AssistanceStateName; deadline: number },
  atTime: number,
): AssistanceStateName {
  const open = request.state === "Issued" || request.state === "Acknowledged";
  return open && atTime > request.deadline ? "Overdue" : request.state;
}

/** A request read back from the chain, in the domain's words. */
export interface AssistanceRequestView {
  requestId: Hex;
  requester: bigint;
  addressee: bigint;
  kind: AssistanceKindName;
  /** `None`, or the reason the emergency window applied (in plain words: {@link EmergencyReasonText}). */
  emergencyReason: EmergencyReasonName;
  /** Stored state. */
  state: AssistanceStateName;
  /** State now, by chain time (Overdue derived). */
  stateNow: AssistanceStateName;
  dataCategories: DataCategoryName[];
  firstUpload: string;
  primaryDissemination: string;
  issuedAt: number;
  deadline: number;
  retentionUntil: number;
  acknowledgedAt: number;
  respondedAt: number;
  late: boolean;
  refusalGrounds: RefusalGroundsName | undefined;
  /** The recognition agreement whose windows applied, found by the desk (0 = governance defaults). */
  agreementId: number;
  referencesHash: Hex;
  responseHash: Hex;
  /** Seconds left to answer (negative when overdue; undefined once closed). */
  secondsLeft: number | undefined;
}

const ZERO32 = `0x${"00".repeat(32)}` as Hex;
/** Absent, empty or all zeros. */
const isZeroHash = (h: string | undefined) => !h || /^0x0{64}$/.test(h);

/**
 * Talks to an AssistanceDesk: signs every transition for the acting member, submits through any relayer, reads
 * requests with their derived state, and lists a member's open, overdue and due-soon requests. Arguments are checked
 * before any network call (`INVALID_ARGUMENT`).
 * @example
 * const desk = await AssistanceClient.connect(address, provider);
 * const signed = await desk.signIssue(agencyKey, { addressee: 3, kind: "Preserve", caseRef, firstUpload: "US",
 *   primaryDissemination: "FR", legalBasisHash });
 * const { requestId, deadline } = await (await desk.submit(signed, relayer)).wait();
 */
export class AssistanceClient extends ContractClient<AssistanceDeskRequests, AssistanceDeskResults> {
  private constructor(
    readonly desk: AssistanceDesk,
    domain: TypedDataDomain,
    provider: Provider,
  ) {
    super(domain, provider, deskRoutes(desk));
  }

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<AssistanceClient> {
    const { provider, domain } = await resolveContract("AssistanceDesk", address, runner);
    return new AssistanceClient(AssistanceDesk__factory.connect(address, runner), domain, provider);
  }

  async signIssue(
    signer: Signer,
    p: {
      addressee: bigint | number;
      kind: AssistanceKindName;
      /** Absent = not an emergency. An emergency states its reason and the hash of its justification. */
      emergency?: { reason: Exclude<EmergencyReasonName, "None">; justificationHash: string };
      caseRef: string;
      evidenceIds?: readonly string[];
      contentRefsHash?: string;
      dataCategories?: readonly DataCategoryName[];
      firstUpload: string;
      primaryDissemination: string;
      legalBasisHash: string;
      salt?: string;
      validFor?: number;
    },
  ): Promise<SignedRequest<IssueAssistanceRequest, "IssueAssistance">> {
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
    const request = {
      addressee: memberIdArg("addressee", p.addressee, { nonZero: true }),
      kind: codeOf(AssistanceKind, p.kind, "assistance kind"),
      emergencyReason,
      justificationHash: optionalBytes32Arg("emergency.justificationHash", p.emergency?.justificationHash),
      caseRef: bytes32Arg("caseRef", p.caseRef),
      evidenceIds: bytes32ListArg("evidenceIds", p.evidenceIds ?? []),
      contentRefsHash: optionalBytes32Arg("contentRefsHash", p.contentRefsHash),
      dataCategories: flagsArg("dataCategories", p.dataCategories ?? [], DataCategory),
      firstUpload: jurisdictionArg("firstUpload", p.firstUpload),
      primaryDissemination: jurisdictionArg("primaryDissemination", p.primaryDissemination),
      legalBasisHash: bytes32Arg("legalBasisHash", p.legalBasisHash),
      salt:
        p.salt === undefined
          ? (keccak256(crypto.getRandomValues(new Uint8Array(32))) as Hex)
          : bytes32Arg("salt", p.salt),
    };
    return signAssistanceRequest(signer, this.domain, "IssueAssistance", {
      ...request,
      deadline: await this.deadline(p.validFor),
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

  /**
   * Signs an answer: Fulfilled or PartiallyFulfilled with the response package's hash and CID, or Refused with its
   * grounds and nothing else (a refusal carries no response hash).
   */
  async signRespond(
    signer: Signer,
    p: { requestId: string; validFor?: number } & (
      | { outcome: "Fulfilled" | "PartiallyFulfilled"; responseHash: string; responseCid: string }
      | { outcome: "Refused"; refusalGrounds: RefusalGroundsName }
    ),
  ): Promise<SignedRequest<RespondAssistanceRequest, "RespondAssistance">> {
    const requestId = bytes32Arg("requestId", p.requestId, { nonZero: true });
    let answer: { responseHash: Hex; responseCid: Hex; refusalGrounds: number };
    if (p.outcome === "Refused") {
      const extra = p as { responseHash?: unknown; responseCid?: unknown };
      if (extra.responseHash !== undefined || extra.responseCid !== undefined) {
        throw new CrossproofError("INVALID_ARGUMENT", "a refusal carries no response hash or CID");
      }
      answer = {
        responseHash: ZERO32,
        responseCid: "0x",
        refusalGrounds: codeOf(RefusalGrounds, p.refusalGrounds, "refusal grounds"),
      };
    } else if (p.outcome === "Fulfilled" || p.outcome === "PartiallyFulfilled") {
      if (isZeroHash(p.responseHash) || !p.responseCid || (p as { refusalGrounds?: unknown }).refusalGrounds) {
        throw new CrossproofError(
          "INVALID_ARGUMENT",
          "an answer carries the response package's hash and CID, and no refusal grounds",
        );
      }
      answer = {
        responseHash: bytes32Arg("responseHash", p.responseHash),
        responseCid: cidToBytes(p.responseCid),
        refusalGrounds: 0,
      };
    } else {
      throw new CrossproofError(
        "INVALID_ARGUMENT",
        `unknown outcome "${String((p as { outcome: unknown }).outcome)}": Fulfilled, PartiallyFulfilled or Refused`,
      );
    }
    return signAssistanceRequest(signer, this.domain, "RespondAssistance", {
      requestId,
      outcome: stateCode(p.outcome),
      ...answer,
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

  /** A request with its state now (Overdue derived by chain time) and the time left to answer. */
  async getRequest(requestId: string): Promise<AssistanceRequestView | undefined> {
    const id = bytes32Arg("requestId", requestId);
    const q = await this.read("reading the assistance request", () => this.desk.getRequest(id));
    if (Number(q.state) === 0) return undefined;
    const now = await this.chainTime();
    const state = AssistanceStates[Number(q.state)]!;
    const deadline = Number(q.deadline);
    const stateNow = assistanceStateAt({ state, deadline }, now);
    const grounds = Number(q.refusalGrounds);
    return {
      requestId: id,
      requester: q.requester,
      addressee: q.addressee,
      kind: nameOf(AssistanceKind, q.kind, "assistance kind"),
      emergencyReason: nameOf(EmergencyReason, q.emergencyReason, "emergency reason"),
      state,
      stateNow,
      dataCategories: (Object.keys(DataCategory) as DataCategoryName[]).filter(
        (c) => (Number(q.dataCategories) & DataCategory[c]) !== 0,
      ),
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
      secondsLeft: state === "Issued" || state === "Acknowledged" ? deadline - now : undefined,
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
}
