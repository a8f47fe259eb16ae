/**
 * The assistance domain's pure core: the AssistanceDesk's enums, EIP-712 request types and request id, the shapes of
 * its requests and views, and its rules, offline: deadline profiles, the terms a request gets, its
 * deadlines and review window, the time rule of signed answers, the derived state, and compliance figures from a
 * desk's history. Each function mirrors one place of the contracts (`AssistanceOrders`, `AssistanceDesk`,
 * `RecognitionAgreements`) and is tested equal to it; the contracts decide, these only let a client compute and
 * explain ahead of (or after) the chain.
 */
import { AbiCoder, id as keccakUtf8, keccak256, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import {
  codeOf,
  nameOf,
  namesOfMask,
  AssistanceStates,
  EmergencyReason,
  ImpossibilityReason,
  IssuingAuthorityType,
  ReviewGround,
  type AssistanceStateName,
  type EmergencyReasonName,
  type ImpossibilityReasonName,
  type IssuingAuthorityTypeName,
  type ReviewGroundName,
} from "./constants";
import { bytes32Arg, enumArg, flagsArg, invalidArgument, secondsArg } from "./arguments";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { reportTime } from "./report";

/** What is asked, as in `IAssistanceDesk.Kind`. */
export const AssistanceKind = { Preserve: 0, Produce: 1, Takedown: 2 } as const;
export type AssistanceKindName = keyof typeof AssistanceKind;

/**
 * Data categories asked for (bitmask). IDENTIFICATION is data requested for the sole purpose of identifying the user
 * (Regulation (EU) 2023/1543, Art. 3(10): e.g. IP addresses), asked for by orders only (`signIssueOrder`).
 */
export const DataCategory = {
  SUBSCRIBER: 1,
  TRAFFIC: 2,
  CONTENT: 4,
  DISSEMINATION_RECORDS: 8,
  IDENTIFICATION: 16,
} as const;
export type DataCategoryName = keyof typeof DataCategory;

/** Order flags, as in `IAssistanceDesk.AssistanceOrder.flags`. */
export const OrderFlag = {
  /** The user is not to be informed (Art. 13(2)): the addressee keeps the order confidential. */
  CONFIDENTIAL: 1,
  /** The offence is in the issuing State and the person resides there: no notification (Art. 8(2)). */
  DOMESTIC: 2,
} as const;
export type OrderFlagName = keyof typeof OrderFlag;

/** The consortium defaults when governance set nothing, as in `AssistanceDesk.DEFAULT_*`. */
export const AssistanceDefaults = {
  /** Seconds. */
  responseWindow: 72 * 3600,
  emergencyResponseWindow: 8 * 3600,
  retentionPeriod: 90 * 24 * 3600,
  /** The longest retention from issue that extensions may reach (seconds). */
  maxRetentionPeriod: 365 * 24 * 3600,
  /** The longest delay between a signed time and the block that records it (seconds). */
  maxRelayDelay: 600,
  /** The deadline profile when no agreement names one: the seed policy. */
  defaultProfile: 1,
} as const;

/** Names of the governance parameters the desk reads (see `encodeProposal({ kind: "SetParameter" })`). */
export const AssistanceParameters = {
  responseWindow: "crossproof.assistance.responseWindow",
  emergencyResponseWindow: "crossproof.assistance.emergencyResponseWindow",
  retentionPeriod: "crossproof.assistance.retentionPeriod",
  maxRetentionPeriod: "crossproof.assistance.maxRetentionPeriod",
  maxRelayDelay: "crossproof.assistance.maxRelayDelay",
  defaultProfile: "crossproof.assistance.defaultProfile",
} as const;
export type AssistanceParameterName = keyof typeof AssistanceParameters;

/** A mask of `1 << code` bits from enum names (kinds, authority types, reasons). */
function bitsOf<N extends string>(values: Readonly<Record<N, number>>, names: readonly string[], what: string): number {
  if (!Array.isArray(names)) invalidArgument(what, names, `a list of ${Object.keys(values).join(", ")}`);
  return names.reduce((m, n) => m | (1 << codeOf(values, n, what)), 0);
}

/** The enum names whose `1 << code` bit is set in `mask`. */
function namesOfBits<N extends string>(values: Readonly<Record<N, number>>, mask: number | bigint): N[] {
  const m = Number(mask);
  return (Object.keys(values) as N[]).filter((k) => ((m >> values[k]) & 1) === 1);
}

// ---- Deadline profiles ---------------------------------------------------------------------------------------------

/** A deadline profile as `RecognitionAgreements` stores it (`IRecognitionAgreements.AssistanceProfile`). */
export interface AssistanceProfileStruct {
  /** Seconds (0 = the governance parameter). */
  responseWindow: number;
  emergencyResponseWindow: number;
  retentionPeriod: number;
  /** Seconds beyond `retentionPeriod` extensions may reach (0 = up to the consortium's maximum). */
  retentionExtension: number;
  /** The enforcing authority's review window, from issue (0 = no notification). */
  reviewWindow: number;
  emergencyReviewWindow: number;
  /** Kinds (bit `1 << Kind`) whose orders for `sensitiveCategories` are sensitive. */
  sensitiveKinds: number;
  /** Data category bits. */
  sensitiveCategories: number;
  /** Issuing authority types (bit `1 << type`) whose orders need a validating authority. */
  validationRequired: number;
  /** The same, for sensitive orders. */
  sensitiveValidationRequired: number;
  clarificationPausesDeadline: boolean;
  /** keccak256 of the text the profile implements. */
  textHash: Hex;
}

/** A deadline profile in the domain's words (see {@link assistanceProfile}). */
export interface AssistanceProfileInput {
  /** Seconds; absent = the governance parameter (default 72 hours). */
  responseWindow?: number;
  /** Seconds; absent = the governance parameter (default 8 hours). */
  emergencyResponseWindow?: number;
  /** Seconds; absent = the governance parameter (default 90 days). */
  retentionPeriod?: number;
  /** Seconds beyond the retention period extensions may reach; absent = up to the consortium's maximum. */
  retentionExtension?: number;
  /** The enforcing authority's review windows (both or neither); absent = no notification. */
  reviewWindow?: number;
  emergencyReviewWindow?: number;
  /** Kinds and data categories that make an order sensitive (notified, validated more strictly). */
  sensitiveKinds?: readonly AssistanceKindName[];
  sensitiveCategories?: readonly DataCategoryName[];
  /** Issuing authority types whose orders need a validating authority (any order / sensitive orders). */
  validationRequired?: readonly IssuingAuthorityTypeName[];
  sensitiveValidationRequired?: readonly IssuingAuthorityTypeName[];
  /** A request for clarification stops the addressee's clock until the requester answers (default true). */
  clarificationPausesDeadline?: boolean;
  /** The text the profile implements (hashed with keccak256 of its NFC UTF-8), or its hash. */
  text: string;
}

/** The profiles every consortium has, by id (`RecognitionAgreements.SEED_PROFILE`, `EU_EVIDENCE_PROFILE`). */
export const AssistanceProfileId = { SeedPolicy: 1, EuEvidence: 2 } as const;
export type BuiltInProfileName = keyof typeof AssistanceProfileId;

const DAY = 24 * 3600;
const AUTHORITY_TYPES = 0x3e;

/** The built-in profiles, as `RecognitionAgreements`' constructor defines them (see docs/ASSISTANCE.md). */
export const BuiltInAssistanceProfiles: Readonly<Record<BuiltInProfileName, AssistanceProfileStruct>> = {
  SeedPolicy: {
    responseWindow: 0,
    emergencyResponseWindow: 0,
    retentionPeriod: 0,
    retentionExtension: 0,
    reviewWindow: 0,
    emergencyReviewWindow: 0,
    sensitiveKinds: 0,
    sensitiveCategories: 0,
    validationRequired: 0,
    sensitiveValidationRequired: 0,
    clarificationPausesDeadline: true,
    textHash: keccakUtf8("crossproof seed policy: 72 hours, 8 hours in emergencies, 90 days retention") as Hex,
  },
  EuEvidence: {
    responseWindow: 10 * DAY,
    emergencyResponseWindow: 8 * 3600,
    retentionPeriod: 60 * DAY,
    retentionExtension: 30 * DAY,
    reviewWindow: 10 * DAY,
    emergencyReviewWindow: 96 * 3600,
    sensitiveKinds: 1 << AssistanceKind.Produce,
    sensitiveCategories: DataCategory.TRAFFIC | DataCategory.CONTENT,
    validationRequired: 1 << IssuingAuthorityType.OtherCompetentAuthority,
    sensitiveValidationRequired:
      (1 << IssuingAuthorityType.PublicProsecutor) | (1 << IssuingAuthorityType.OtherCompetentAuthority),
    clarificationPausesDeadline: true,
    textHash: keccakUtf8("Regulation (EU) 2023/1543") as Hex,
  },
};

/** Mirror of `RecognitionAgreements.isValidAssistanceProfile`. */
export function isValidAssistanceProfile(p: AssistanceProfileStruct): boolean {
  if (
    /^0x0{64}$/.test(p.textHash) ||
    (p.sensitiveKinds & ~0x07) !== 0 ||
    (p.sensitiveCategories & ~0x1f) !== 0 ||
    ((p.validationRequired | p.sensitiveValidationRequired) & ~AUTHORITY_TYPES) !== 0 ||
    (p.reviewWindow === 0) !== (p.emergencyReviewWindow === 0)
  ) {
    return false;
  }
  return (
    p.reviewWindow === 0 ||
    (p.sensitiveKinds !== 0 && p.sensitiveCategories !== 0 && p.responseWindow >= p.reviewWindow)
  );
}

/**
 * A deadline profile from the domain's words, checked by the contract's rule (`INVALID_ARGUMENT` otherwise), for a
 * `DefineAssistanceProfile` proposal.
 * @example
 * assistanceProfile({ text: "Second Additional Protocol, Art. 7 (subscriber information)", responseWindow: 30 * 86400 })
 */
export function assistanceProfile(p: AssistanceProfileInput): AssistanceProfileStruct {
  if (typeof p?.text !== "string" || p.text === "") invalidArgument("text", p?.text, "the text the profile implements");
  const window = (name: keyof AssistanceProfileInput) => secondsArg(name, p[name], { allowZero: true }) ?? 0;
  const struct: AssistanceProfileStruct = {
    responseWindow: window("responseWindow"),
    emergencyResponseWindow: window("emergencyResponseWindow"),
    retentionPeriod: window("retentionPeriod"),
    retentionExtension: window("retentionExtension"),
    reviewWindow: window("reviewWindow"),
    emergencyReviewWindow: window("emergencyReviewWindow"),
    sensitiveKinds: bitsOf(AssistanceKind, p.sensitiveKinds ?? [], "sensitiveKinds"),
    sensitiveCategories: flagsArg("sensitiveCategories", p.sensitiveCategories ?? [], DataCategory),
    validationRequired: bitsOf(IssuingAuthorityType, p.validationRequired ?? [], "validationRequired"),
    sensitiveValidationRequired: bitsOf(
      IssuingAuthorityType,
      p.sensitiveValidationRequired ?? [],
      "sensitiveValidationRequired",
    ),
    clarificationPausesDeadline: p.clarificationPausesDeadline ?? true,
    textHash: /^0x[0-9a-fA-F]{64}$/.test(p.text)
      ? bytes32Arg("text", p.text, { nonZero: true })
      : (keccakUtf8(p.text.normalize("NFC")) as Hex),
  };
  if ((struct.validationRequired | struct.sensitiveValidationRequired) & 1) {
    invalidArgument("validationRequired", p.validationRequired, "issuing authority types other than None");
  }
  if (!isValidAssistanceProfile(struct)) {
    throw new CrossproofError(
      "INVALID_ARGUMENT",
      "a profile with review windows has both, sensitive kinds and categories, and a response window at least as " +
        "long as the review window; one without has neither",
    );
  }
  return struct;
}

/** A profile in the domain's words, from its struct. */
export function describeAssistanceProfile(p: AssistanceProfileStruct) {
  return {
    ...p,
    sensitiveKinds: namesOfBits(AssistanceKind, p.sensitiveKinds),
    sensitiveCategories: namesOfMask(DataCategory, p.sensitiveCategories),
    validationRequired: namesOfBits(IssuingAuthorityType, p.validationRequired) as IssuingAuthorityTypeName[],
    sensitiveValidationRequired: namesOfBits(
      IssuingAuthorityType,
      p.sensitiveValidationRequired,
    ) as IssuingAuthorityTypeName[],
  };
}

// ---- Terms ---------------------------------------------------------------------------------------------------------

/** What a request issued now between two jurisdictions gets, as `AssistanceDesk.termsBetween` says (seconds). */
export interface AssistanceTerms {
  /** The recognition agreement whose terms apply (0 = none). */
  agreementId: number;
  responseWindow: number;
  emergencyResponseWindow: number;
  /** Retention from issue (already capped by `maxRetentionPeriod`). */
  retentionPeriod: number;
  /** The longest retention from issue that extensions may reach. */
  maxRetentionPeriod: number;
}

/** The full terms with the profile, as `AssistanceDesk.profileTermsBetween` says (seconds, masks). */
export interface AssistanceProfileTerms extends AssistanceTerms {
  profileId: number;
  reviewWindow: number;
  emergencyReviewWindow: number;
  sensitiveKinds: number;
  sensitiveCategories: number;
  validationRequired: number;
  sensitiveValidationRequired: number;
  clarificationPausesDeadline: boolean;
  /** The profile's extension beyond the retention period (0 = up to the consortium's maximum). */
  retentionExtension: number;
}

/** What `RecognitionAgreements.assistanceTermsOf` finds between two jurisdictions. */
export interface AgreementAssistanceTerms {
  agreementId: bigint | number;
  responseWindow: bigint | number;
  emergencyResponseWindow: bigint | number;
  /** The agreement's retention period (0 = the profile's). */
  retentionPeriod?: bigint | number;
  /** The profile that applies (the agreement's, else the default). */
  profileId?: bigint | number;
  profile?: AssistanceProfileStruct;
}

/** Governance parameter values by name (unset, 0 or beyond uint32 = the default). */
export type AssistanceParameterValues = Partial<Record<AssistanceParameterName, bigint | number>>;

/** A governance parameter as the desk reads it: 0 or beyond uint32 means the default. */
export function assistanceParameter(parameters: AssistanceParameterValues, name: AssistanceParameterName): number {
  const v = BigInt(parameters[name] ?? 0);
  return v === 0n || v > 0xffffffffn ? AssistanceDefaults[name] : Number(v);
}

/**
 * Mirror of `AssistanceOrders.terms`: each window and period is the agreement's when not zero, else the profile's
 * when not zero, else the governance parameter (or its default); retention is capped by the consortium's maximum,
 * and extensions by the profile's extension. The agreement and its profile are chosen on chain only — this does not
 * choose them.
 */
export function resolveAssistanceTerms(
  agreement: AgreementAssistanceTerms,
  parameters: AssistanceParameterValues = {},
): AssistanceProfileTerms {
  const profile = agreement.profile ?? BuiltInAssistanceProfiles.SeedPolicy;
  const first = (a: bigint | number | undefined, p: number, name: AssistanceParameterName) =>
    Number(a ?? 0) || p || assistanceParameter(parameters, name);
  const maxRetention = assistanceParameter(parameters, "maxRetentionPeriod");
  const retentionPeriod = Math.min(
    first(agreement.retentionPeriod, profile.retentionPeriod, "retentionPeriod"),
    maxRetention,
  );
  const profileMax = profile.retentionExtension === 0 ? maxRetention : retentionPeriod + profile.retentionExtension;
  return {
    agreementId: Number(agreement.agreementId),
    profileId: Number(agreement.profileId ?? AssistanceProfileId.SeedPolicy),
    responseWindow: first(agreement.responseWindow, profile.responseWindow, "responseWindow"),
    emergencyResponseWindow: first(
      agreement.emergencyResponseWindow,
      profile.emergencyResponseWindow,
      "emergencyResponseWindow",
    ),
    retentionPeriod,
    maxRetentionPeriod: Math.min(profileMax, maxRetention),
    reviewWindow: profile.reviewWindow,
    emergencyReviewWindow: profile.emergencyReviewWindow,
    sensitiveKinds: profile.sensitiveKinds,
    sensitiveCategories: profile.sensitiveCategories,
    validationRequired: profile.validationRequired,
    sensitiveValidationRequired: profile.sensitiveValidationRequired,
    clarificationPausesDeadline: profile.clarificationPausesDeadline,
    retentionExtension: profile.retentionExtension,
  };
}

/**
 * Mirror of the desk's terms for a request without a profile of its own in the agreement: what
 * `RecognitionAgreements.assistanceTerms` found (agreement 0 = none) under `profile` (default: the seed policy) and
 * the governance parameters. A zero window in the agreement means the profile's, then the governance value.
 */
export function applicableAssistanceTerms(
  agreement: {
    agreementId: bigint | number;
    responseWindow: bigint | number;
    emergencyResponseWindow: bigint | number;
  },
  parameters: AssistanceParameterValues = {},
  profile: AssistanceProfileStruct = BuiltInAssistanceProfiles.SeedPolicy,
): AssistanceTerms {
  const t = resolveAssistanceTerms({ ...agreement, profile }, parameters);
  return {
    agreementId: t.agreementId,
    responseWindow: t.responseWindow,
    emergencyResponseWindow: t.emergencyResponseWindow,
    retentionPeriod: t.retentionPeriod,
    maxRetentionPeriod: t.maxRetentionPeriod,
  };
}

/** The terms when there is no agreement and governance set nothing. */
export const DefaultAssistanceTerms: AssistanceTerms = {
  agreementId: 0,
  responseWindow: AssistanceDefaults.responseWindow,
  emergencyResponseWindow: AssistanceDefaults.emergencyResponseWindow,
  retentionPeriod: AssistanceDefaults.retentionPeriod,
  maxRetentionPeriod: AssistanceDefaults.maxRetentionPeriod,
};

// ---- Deadlines -----------------------------------------------------------------------------------------------------

/**
 * The deadline, retention end and the latest retention end extensions may reach (as governance sets the maximum
 * now), of a request issued at `issuedAt` (unix seconds) under `terms`, as the desk computes them. The deadline is
 * the last second an answer is on time; the emergency window applies for any reason but `None`.
 */
export function computeAssistanceDeadlines(
  issuedAt: number,
  emergencyReason: EmergencyReasonName,
  terms: Omit<AssistanceTerms, "agreementId"> = DefaultAssistanceTerms,
): { deadline: number; retentionUntil: number; maxRetentionUntil: number } {
  const emergency = codeOf(EmergencyReason, emergencyReason, "emergency reason") !== EmergencyReason.None;
  return {
    deadline: issuedAt + (emergency ? terms.emergencyResponseWindow : terms.responseWindow),
    retentionUntil: issuedAt + Math.min(terms.retentionPeriod, terms.maxRetentionPeriod),
    maxRetentionUntil: issuedAt + terms.maxRetentionPeriod,
  };
}

/** An order's kind and data, as the profile's rules read them. */
export interface OrderShape {
  kind: AssistanceKindName;
  dataCategories: readonly DataCategoryName[];
  /** Absent or `None` = not an emergency. */
  emergencyReason?: EmergencyReasonName;
  /** Offence and person in the issuing State (Art. 8(2)): no notification. */
  domestic?: boolean;
}

/**
 * Whether an order is sensitive under a profile (Regulation (EU) 2023/1543, Art. 4(2) and 8(1): a production order
 * for traffic data not sought only to identify the user, or for content data — as the profile names kinds and
 * categories).
 */
export function isSensitiveOrder(
  terms: Pick<AssistanceProfileTerms, "sensitiveKinds" | "sensitiveCategories">,
  o: Pick<OrderShape, "kind" | "dataCategories">,
): boolean {
  const kind = codeOf(AssistanceKind, o.kind, "assistance kind");
  const categories = flagsArg("dataCategories", o.dataCategories, DataCategory);
  return ((terms.sensitiveKinds >> kind) & 1) === 1 && (categories & terms.sensitiveCategories) !== 0;
}

/** Mirror of `AssistanceOrders.issueOrder`'s notification rule: a review window, a sensitive order, not domestic. */
export function orderNeedsNotification(terms: AssistanceProfileTerms, o: OrderShape): boolean {
  return terms.reviewWindow !== 0 && isSensitiveOrder(terms, o) && !o.domestic;
}

/**
 * Mirror of the validation rule: whether an order by `issuer` needs a validating authority under `terms`, and the
 * types that may validate it (those that could issue it alone).
 */
export function validationRule(
  terms: Pick<
    AssistanceProfileTerms,
    "sensitiveKinds" | "sensitiveCategories" | "validationRequired" | "sensitiveValidationRequired"
  >,
  issuer: IssuingAuthorityTypeName,
  o: Pick<OrderShape, "kind" | "dataCategories">,
): { required: boolean; validators: IssuingAuthorityTypeName[] } {
  const needs = terms.validationRequired | (isSensitiveOrder(terms, o) ? terms.sensitiveValidationRequired : 0);
  const code = codeOf(IssuingAuthorityType, issuer, "issuing authority type");
  return {
    required: ((needs >> code) & 1) === 1,
    validators: (Object.keys(IssuingAuthorityType) as (keyof typeof IssuingAuthorityType)[]).filter(
      (t) => t !== "None" && ((needs >> IssuingAuthorityType[t]) & 1) === 0,
    ) as IssuingAuthorityTypeName[],
  };
}

/**
 * The deadlines of an order issued at `issuedAt` under `terms`, as the desk sets them: the answer deadline, the
 * retention end, the latest retention end extensions may reach, and — when the enforcing authority is notified —
 * the last second of its review (0 otherwise). Under a running review, data may not be produced (outside
 * emergencies) before `reviewUntil`: see {@link mayProduceAt}.
 */
export function computeOrderDeadlines(
  issuedAt: number,
  o: OrderShape,
  terms: AssistanceProfileTerms,
): {
  deadline: number;
  retentionUntil: number;
  maxRetentionUntil: number;
  notified: boolean;
  reviewUntil: number;
} {
  const reason = o.emergencyReason ?? "None";
  const base = computeAssistanceDeadlines(issuedAt, reason, terms);
  const emergency = reason !== "None";
  const notified = orderNeedsNotification(terms, o);
  return {
    ...base,
    notified,
    reviewUntil: notified ? issuedAt + (emergency ? terms.emergencyReviewWindow : terms.reviewWindow) : 0,
  };
}

/**
 * Mirror of the review block in `AssistanceOrders.recordAnswer`: whether data (Fulfilled, PartiallyFulfilled) may
 * be recorded at block time `at` — not under a running review (unless confirmed) outside emergencies.
 */
export function mayProduceAt(
  order: { reviewUntil: number; reviewed: boolean; emergency: boolean },
  at: number,
): boolean {
  return order.reviewUntil === 0 || order.reviewed || order.emergency || at >= order.reviewUntil;
}

// ---- The time rule of signed steps ----------------------------------------------------------------------------------

/**
 * Mirror of `AssistanceDesk._checkSignedTime`: a signed time is accepted from `maxRelayDelay` seconds before the
 * block time to the block time itself; it is then the time lateness is judged on.
 */
export function acceptsSignedTime(
  signedAt: number,
  blockTime: number,
  maxRelayDelay: number = AssistanceDefaults.maxRelayDelay,
): boolean {
  return signedAt <= blockTime && blockTime - signedAt <= maxRelayDelay;
}

/** Late: signed (or, for `respond`, recorded) after the last second of the deadline. */
export function isLate(at: number, deadline: number): boolean {
  return at > deadline;
}

/**
 * Mirror of `AssistanceOrders.provideClarification`: the deadline after the requester answered at `resumedAt` a
 * request for clarification signed at `pausedSince` — moved by the time it stood still when the profile stops the
 * clock.
 */
export function deadlineAfterClarification(
  deadline: number,
  pausedSince: number,
  resumedAt: number,
  clarificationPauses: boolean,
): number {
  return clarificationPauses ? deadline + (resumedAt - pausedSince) : deadline;
}

/**
 * Mirror of `AssistanceDesk.stateAt`: a request whose clock runs — it owes an answer (Issued, Acknowledged, or
 * PartiallyFulfilled with something owed), or awaits clarification under a profile that does not stop the clock —
 * reads Overdue past its deadline.
 */
export function assistanceStateAt(
  request: {
    state: AssistanceStateName;
    deadline: number;
    /** Data categories still owed (a bitmask or names); absent = nothing. */
    owedCategories?: number | readonly DataCategoryName[];
    /** The request's profile stops the clock for clarification (absent = true, as every built-in profile). */
    clarificationPauses?: boolean;
  },
  atTime: number,
): AssistanceStateName {
  const owed =
    request.owedCategories === undefined
      ? 0
      : typeof request.owedCategories === "number"
        ? request.owedCategories
        : flagsArg("owedCategories", request.owedCategories, DataCategory);
  const counting =
    request.state === "Issued" ||
    request.state === "Acknowledged" ||
    (request.state === "PartiallyFulfilled" && owed !== 0) ||
    (request.state === "AwaitingClarification" && request.clarificationPauses === false);
  return counting && atTime > request.deadline ? "Overdue" : request.state;
}

// ---- Closed lists in words ------------------------------------------------------------------------------------------

/** The Art. 12(1) grounds in plain words (Regulation (EU) 2023/1543). */
export const ReviewGroundText: Readonly<Record<ReviewGroundName, string>> = {
  None: "the enforcing authority raises no ground for refusal",
  ImmunityOrPrivilege:
    "the data are protected by immunities or privileges under the enforcing State's law, or by its rules on " +
    "criminal liability relating to freedom of the press or of expression (Art. 12(1)(a))",
  ManifestBreachOfFundamentalRight:
    "execution would entail a manifest breach of a relevant fundamental right (Art. 12(1)(b))",
  NeBisInIdem: "execution would be contrary to the principle of ne bis in idem (Art. 12(1)(c))",
  DualCriminality: "the conduct is not an offence under the enforcing State's law (Art. 12(1)(d))",
};

/** The Annex III reasons in plain words (Regulation (EU) 2023/1543, Annex III, Section D). */
export const ImpossibilityReasonText: Readonly<Record<ImpossibilityReasonName, string>> = {
  Incomplete: "the order is incomplete",
  ManifestErrors: "the order contains manifest errors",
  InsufficientInformation: "the order does not contain sufficient information to execute it",
  DataNotStored: "the order does not concern data stored by or on behalf of the service provider when received",
  DeFactoImpossibility: "de facto impossibility due to circumstances not attributable to the addressee",
  IssuingAuthorityNotCompetent: "the order was not issued or validated by an issuing authority as specified in Art. 4",
  OffenceNotCovered: "the order was issued for an offence not provided for in Art. 5(4)",
  ServiceNotCovered: "the service is not covered by the Regulation",
  ImmunityOrPrivilege:
    "the data are protected by immunities or privileges, or by rules on freedom of the press or of expression",
  ThirdCountryLawConflict: "compliance would conflict with the applicable law of a third country (Art. 17)",
};

/** The bitmask of Annex III reasons, from names. */
export function impossibilityMask(reasons: readonly ImpossibilityReasonName[]): number {
  if (!Array.isArray(reasons) || reasons.length === 0) {
    invalidArgument("reasons", reasons, "a non-empty list of Annex III reasons");
  }
  return reasons.reduce((m, r, i) => {
    const code = enumArg(`reasons[${i}]`, r, ImpossibilityReason);
    if (code === 0) invalidArgument(`reasons[${i}]`, r, "a reason other than None");
    return m | (1 << code);
  }, 0);
}

/** The Annex III reason names of a bitmask. */
export function impossibilityReasons(mask: number | bigint): ImpossibilityReasonName[] {
  return namesOfBits(ImpossibilityReason, mask).filter((r): r is ImpossibilityReasonName => r !== "None");
}

// ---- Compliance figures --------------------------------------------------------------------------------------------

/**
 * One request to a member, as its history on chain tells it (see `AssistanceClient.assistanceHistory`): what fell
 * due when, and what came of it.
 */
export interface AssistanceHistoryEntry {
  requestId: Hex;
  requester: bigint;
  addressee: bigint;
  /** The non-member the addressee (an operator) answers for; absent = the addressee itself. */
  onBehalfOf?: Hex;
  kind: AssistanceKindName;
  emergency: boolean;
  issuedAt: number;
  /** The deadline as it stands (moved by clarification). */
  deadline: number;
  /** The first answer or impossibility report, with its lateness as the desk judged it. */
  firstAnswer?: {
    outcome: "Fulfilled" | "PartiallyFulfilled" | "Refused" | "ExecutionImpossible";
    late: boolean;
    /** Refused: the refusal grounds code. */
    refusalGrounds?: number;
    /** ExecutionImpossible: the Annex III reasons. */
    reasons?: ImpossibilityReasonName[];
  };
  /** A partial answer left something owed that was never answered. */
  stillOwed: boolean;
  /** The ground the enforcing authority raised, if it ended the request. */
  refusedByEnforcingAuthority?: ReviewGroundName;
  /** The requester withdrew it before an answer. */
  withdrawn: boolean;
  /** Its state at `asOf`, as `stateAt` says. */
  state: AssistanceStateName;
}

/**
 * A member's compliance as addressee, for the requests that fell due (their deadline, as it stands) in a period:
 * answered on time, late, overdue (still owing, past the deadline), with refusals and impossibility by ground, and
 * the enforcing authorities' refusals. For a penalty regime to build on; counted from the chain's events and views
 * by the rules of the desk (lateness is the desk's `late` flag, overdue is `stateAt`).
 */
export interface AssistanceComplianceFigures {
  memberId: bigint;
  /** The period [from, to) in unix seconds, and the time the figures were read at. */
  from: number;
  to: number;
  asOf: number;
  /** Requests whose deadline falls in the period. */
  due: number;
  /** First answered (or reported impossible) by the deadline, judged on the signed time where there is one. */
  answeredOnTime: number;
  answeredLate: number;
  /** Still owing an answer past the deadline at `asOf`. */
  overdue: number;
  /** Partly answered, with what is still owed past the deadline. */
  stillOwed: number;
  /** Deadline in the period but not passed yet at `asOf`, or waiting for the requester's clarification. */
  pending: number;
  /** Withdrawn by the requester before an answer. */
  withdrawn: number;
  /** Ended by the enforcing authority's refusal, by Art. 12 ground. */
  refusedByEnforcingAuthority: Partial<Record<ReviewGroundName, number>>;
  /** Refused by the addressee, by refusal grounds code. */
  refused: Record<number, number>;
  /** Reported impossible, by Annex III reason (a report may give several). */
  impossible: Partial<Record<ImpossibilityReasonName, number>>;
}

/**
 * Compliance figures of `memberId` as addressee for the requests of `history` whose deadline falls in
 * [`from`, `to`), as of `asOf` (see {@link AssistanceComplianceFigures}). Pure: `history` comes from
 * `AssistanceClient.assistanceHistory` (events and `stateAt`), or from an indexer that keeps the same events.
 */
export function computeComplianceFigures(
  history: readonly AssistanceHistoryEntry[],
  p: { memberId: bigint | number; from: number; to: number; asOf: number; onBehalfOf?: string },
): AssistanceComplianceFigures {
  const memberId = BigInt(p.memberId);
  const figures: AssistanceComplianceFigures = {
    memberId,
    from: p.from,
    to: p.to,
    asOf: p.asOf,
    due: 0,
    answeredOnTime: 0,
    answeredLate: 0,
    overdue: 0,
    stillOwed: 0,
    pending: 0,
    withdrawn: 0,
    refusedByEnforcingAuthority: {},
    refused: {},
    impossible: {},
  };
  const onBehalfOf = p.onBehalfOf?.toLowerCase();
  for (const e of history) {
    if (e.addressee !== memberId || e.deadline < p.from || e.deadline >= p.to) continue;
    if (onBehalfOf !== undefined && e.onBehalfOf?.toLowerCase() !== onBehalfOf) continue;
    figures.due++;
    if (e.firstAnswer !== undefined) {
      if (e.firstAnswer.late) figures.answeredLate++;
      else figures.answeredOnTime++;
      if (e.firstAnswer.outcome === "Refused" && e.firstAnswer.refusalGrounds !== undefined) {
        const g = e.firstAnswer.refusalGrounds;
        figures.refused[g] = (figures.refused[g] ?? 0) + 1;
      }
      for (const r of e.firstAnswer.reasons ?? []) figures.impossible[r] = (figures.impossible[r] ?? 0) + 1;
      if (e.stillOwed && e.state === "Overdue") figures.stillOwed++;
    } else if (e.refusedByEnforcingAuthority !== undefined) {
      const g = e.refusedByEnforcingAuthority;
      figures.refusedByEnforcingAuthority[g] = (figures.refusedByEnforcingAuthority[g] ?? 0) + 1;
    } else if (e.withdrawn) {
      figures.withdrawn++;
    } else if (e.state === "Overdue") {
      figures.overdue++;
    } else {
      figures.pending++;
    }
  }
  return figures;
}

/** The state names, by code (`IAssistanceDesk.State`). */
export const stateName = (code: number | bigint): AssistanceStateName => {
  const name = AssistanceStates[Number(code)];
  if (name === undefined) throw new CrossproofError("CHAIN_ERROR", `unknown assistance state code ${code}`);
  return name;
};

/** The name of an Art. 12 ground code. */
export const reviewGroundName = (code: number | bigint): ReviewGroundName =>
  nameOf(ReviewGround, code, "review ground");

// The assistance enums live in the base module (the contract-error decoder names their values too).
export {
  AssistanceStates,
  EmergencyReason,
  ImpossibilityReason,
  IssuingAuthorityType,
  ReviewGround,
  type AssistanceStateName,
  type EmergencyReasonName,
  type IssuingAuthorityTypeName,
  type ReviewGroundName,
};

/** The emergency reasons in plain words. */
export const EmergencyReasonText: Readonly<Record<EmergencyReasonName, string>> = {
  None: "not an emergency",
  ImminentThreatToLife: "an imminent threat to the life of a person",
  ImminentThreatToPhysicalIntegrityOrSafety: "an imminent threat to the physical integrity or safety of a person",
  CriticalInfrastructure:
    "an imminent threat to a critical infrastructure whose disruption or destruction would put the life, physical " +
    "integrity or safety of a person under imminent threat",
};

/** Refusal grounds codes of an addressee's refusal (the seed policy's list; the contract takes any non-zero code). */
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

const ISSUE_FIELDS = [
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
] as const;

/** EIP-712 types of the AssistanceDesk requests (AssistanceOrder is the struct an order request nests). */
export const AssistanceDeskTypes = {
  IssueAssistance: ISSUE_FIELDS,
  IssueAssistanceOrder: [...ISSUE_FIELDS, { name: "order", type: "AssistanceOrder" }],
  AssistanceOrder: [
    { name: "issuingAuthorityType", type: "uint8" },
    { name: "issuingAuthorityHash", type: "bytes32" },
    { name: "validatingAuthorityType", type: "uint8" },
    { name: "validatingAuthorityHash", type: "bytes32" },
    { name: "enforcingAuthority", type: "uint64" },
    { name: "offenceHash", type: "bytes32" },
    { name: "offenceCategory", type: "uint8" },
    { name: "dataFrom", type: "uint48" },
    { name: "dataUntil", type: "uint48" },
    { name: "targets", type: "bytes32[]" },
    { name: "flags", type: "uint8" },
    { name: "language", type: "bytes2" },
    { name: "orderHash", type: "bytes32" },
    { name: "orderCid", type: "bytes" },
    { name: "onBehalfOf", type: "bytes32" },
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
  AnswerAssistance: [
    { name: "requestId", type: "bytes32" },
    { name: "outcome", type: "uint8" },
    { name: "responseHash", type: "bytes32" },
    { name: "responseCid", type: "bytes" },
    { name: "refusalGrounds", type: "uint8" },
    { name: "owedCategories", type: "uint8" },
    { name: "owedHash", type: "bytes32" },
    { name: "signedAt", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  RequestClarification: [
    { name: "requestId", type: "bytes32" },
    { name: "reason", type: "uint8" },
    { name: "questionHash", type: "bytes32" },
    { name: "signedAt", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  ProvideClarification: [
    { name: "requestId", type: "bytes32" },
    { name: "answerHash", type: "bytes32" },
    { name: "answerCid", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  ReportImpossibility: [
    { name: "requestId", type: "bytes32" },
    { name: "reasons", type: "uint16" },
    { name: "detailsHash", type: "bytes32" },
    { name: "signedAt", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  ReviewAssistance: [
    { name: "requestId", type: "bytes32" },
    { name: "ground", type: "uint8" },
    { name: "reasonsHash", type: "bytes32" },
    { name: "signedAt", type: "uint48" },
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
/** The fields of an order, as the contract takes them (`IAssistanceDesk.AssistanceOrder`). */
export interface AssistanceOrderStruct {
  issuingAuthorityType: number;
  issuingAuthorityHash: Hex;
  validatingAuthorityType: number;
  validatingAuthorityHash: Hex;
  enforcingAuthority: bigint | number;
  offenceHash: Hex;
  offenceCategory: number;
  dataFrom: number;
  dataUntil: number;
  targets: Hex[];
  flags: number;
  /** ISO 639-1 code as `bytes2` ("0x656e" for "en"). */
  language: Hex;
  orderHash: Hex;
  orderCid: Hex;
  onBehalfOf: Hex;
}
export interface IssueAssistanceOrderRequest extends IssueAssistanceRequest {
  order: AssistanceOrderStruct;
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
export interface AnswerAssistanceRequest extends RespondAssistanceRequest {
  owedCategories: number;
  owedHash: Hex;
  signedAt: number;
}
export interface RequestClarificationRequest {
  requestId: Hex;
  /** `ImpossibilityReason` code: Incomplete, ManifestErrors or InsufficientInformation. */
  reason: number;
  questionHash: Hex;
  signedAt: number;
  nonce: bigint | number;
  deadline: number;
}
export interface ProvideClarificationRequest {
  requestId: Hex;
  answerHash: Hex;
  answerCid: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface ReportImpossibilityRequest {
  requestId: Hex;
  /** Bitmask of `ImpossibilityReason`s (bit `1 << reason`). */
  reasons: number;
  detailsHash: Hex;
  signedAt: number;
  nonce: bigint | number;
  deadline: number;
}
export interface ReviewAssistanceRequest {
  requestId: Hex;
  /** `ReviewGround` code (0 = none raised). */
  ground: number;
  reasonsHash: Hex;
  signedAt: number;
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
  IssueAssistanceOrder: IssueAssistanceOrderRequest;
  AcknowledgeAssistance: AcknowledgeAssistanceRequest;
  RespondAssistance: RespondAssistanceRequest;
  AnswerAssistance: AnswerAssistanceRequest;
  RequestClarification: RequestClarificationRequest;
  ProvideClarification: ProvideClarificationRequest;
  ReportImpossibility: ReportImpossibilityRequest;
  ReviewAssistance: ReviewAssistanceRequest;
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
  /** The recognition agreement whose terms applied (0 = none). */
  agreementId: number;
  /** The deadline profile the request was issued under. */
  profileId: number;
  /** An order's notification: the enforcing authority and the last second of its review (absent: not notified). */
  notification?: { enforcingAuthority: bigint; reviewUntil: number };
  /** The non-member an operator answers for (orders only). */
  onBehalfOf?: Hex;
}

/** What a mined acknowledgement, answer or withdrawal comes to: the request's new state. */
export interface AssistanceStateChange {
  requestId: Hex;
  state: AssistanceStateName;
  /** After the deadline (acknowledgements and answers). */
  late: boolean;
}

/** What a mined signed-time answer comes to. */
export interface RecordedAnswer extends AssistanceStateChange {
  /** The time the addressee signed, lateness was judged on. */
  signedAt: number;
  /** The block time it was recorded at. */
  recordedAt: number;
  /** After a partial answer: the data categories still owed. */
  owedCategories: DataCategoryName[];
}

/** What a mined request for clarification, or its answer, comes to. */
export interface ClarificationStep {
  requestId: Hex;
  state: AssistanceStateName;
  /** The deadline as it stands (moved by the pause when the profile stops the clock). */
  deadline?: number;
}

/** What a mined impossibility report comes to. */
export interface ReportedImpossibility extends AssistanceStateChange {
  reasons: ImpossibilityReasonName[];
  signedAt: number;
}

/** What a mined review comes to. */
export interface RecordedReview {
  requestId: Hex;
  ground: ReviewGroundName;
  /** The ground ended the request (it still owed an answer); otherwise it objects to the use of produced data. */
  refused: boolean;
}

/** What a mined retention extension comes to. */
export interface ExtendedRetention {
  requestId: Hex;
  retentionUntil: number;
}

/** What each AssistanceDesk request's `wait()` resolves to. */
export interface AssistanceDeskResults {
  IssueAssistance: IssuedAssistance;
  IssueAssistanceOrder: IssuedAssistance;
  AcknowledgeAssistance: AssistanceStateChange;
  RespondAssistance: AssistanceStateChange;
  AnswerAssistance: RecordedAnswer;
  RequestClarification: ClarificationStep;
  ProvideClarification: ClarificationStep;
  ReportImpossibility: ReportedImpossibility;
  ReviewAssistance: RecordedReview;
  WithdrawAssistance: AssistanceStateChange;
  ExtendRetention: ExtendedRetention;
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
  /** The last second an answer is on time (moved by clarification under a profile that stops the clock). */
  deadline: number;
  retentionUntil: number;
  acknowledgedAt: number;
  /** Block time of the latest answer or report. */
  respondedAt: number;
  late: boolean;
  refusalGrounds: RefusalGroundsName | undefined;
  /** The recognition agreement whose terms applied (0 = none). */
  agreementId: number;
  referencesHash: Hex;
  responseHash: Hex;
  /** Seconds left to answer (negative when overdue; undefined when the clock does not run). */
  secondsLeft: number | undefined;
  /** The profile, order and steps (`getOrder`). */
  order: AssistanceOrderView;
}

/**
 * What the desk keeps of a request besides the request itself (`IAssistanceDesk.OrderRecord`), in words: what later
 * steps check and a commitment to the order. Signed times and Annex III reasons are in the events.
 */
export interface AssistanceOrderView {
  profileId: number;
  /** The notified enforcing authority and the last second of its review (absent: not notified). */
  notification?: {
    enforcingAuthority: bigint;
    reviewUntil: number;
    reviewed: boolean;
    /** The ground it raised (`None`: it confirmed it raises none); absent until it reviewed. */
    ground?: ReviewGroundName;
  };
  /** Signed time of a pending request for clarification. */
  pausedSince?: number;
  clarificationPauses: boolean;
  /** The latest retention end the profile allows (absent: only the consortium's maximum). */
  maxRetentionUntil?: number;
  confidential: boolean;
  domestic: boolean;
  /** After a partial answer: what is still owed. */
  owedCategories: DataCategoryName[];
  /** The non-member the addressee (an operator) answers for. */
  onBehalfOf?: Hex;
  /** EIP-712 struct hash of the order fields (absent: issued without them). */
  orderDigest?: Hex;
}

/** The order fields of {@link AssistanceClient.signIssueOrder}, in the domain's words. */
export interface AssistanceOrderInput {
  /** The issuing authority: its type (Art. 4) and the hash of its identification. */
  issuingAuthority: { type: IssuingAuthorityTypeName; hash: string };
  /** The validating authority, where the profile needs one. */
  validatingAuthority?: { type: IssuingAuthorityTypeName; hash: string };
  /** The member to notify as the enforcing State's authority, where the profile requires it. */
  enforcingAuthority?: bigint | number;
  /** Hash of the offence's description and the statutory provision, and its category code (0 = none). */
  offence: { hash: string; category?: number };
  /** The period of the data sought (Dates or unix seconds; both included; it has ended). */
  dataPeriod: { from: Date | number; until: Date | number };
  /** Hashes of the target identifiers. */
  targets: readonly string[];
  /** The user is not to be informed (Art. 13(2)). */
  confidential?: boolean;
  /** The offence is in the issuing State and the person resides there: no notification (Art. 8(2)). */
  domestic?: boolean;
  /** ISO 639-1 code of the order's language ("en", "de"). */
  language: string;
  /** The order document package: SHA-256 and CID of the encrypted package. */
  orderDocument: { hash: string; cid: string };
  /** A non-member the addressee (an OPERATOR member) receives and answers for: hash of its identification. */
  onBehalfOf?: string;
}

/** Parameters common to every issue. */
export interface IssueAssistanceParameters {
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
}

/**
 * A request as JSON, in the words the gateway (`GET /v1/assistance`) and the CLI (`assist list --json`) both give:
 * times as ISO dates (null when not yet), ids as decimal strings, the caller's role in it.
 */
export function assistanceRequestJson(v: AssistanceRequestView, memberId: bigint) {
  const iso = (t: number | bigint) => reportTime(Number(t));
  const isoOrNull = (t: number | bigint) => (Number(t) === 0 ? null : reportTime(Number(t)));
  const hashOrNull = (h: string) => (/^0x0{64}$/.test(h) ? null : h.toLowerCase());
  return {
    requestId: v.requestId,
    role: v.requester === memberId ? ("requester" as const) : ("addressee" as const),
    requester: v.requester.toString(),
    addressee: v.addressee.toString(),
    kind: v.kind,
    emergencyReason: v.emergencyReason,
    state: v.state,
    stateNow: v.stateNow,
    dataCategories: v.dataCategories,
    firstUpload: v.firstUpload,
    primaryDissemination: v.primaryDissemination,
    issuedAt: iso(v.issuedAt),
    deadline: iso(v.deadline),
    retentionUntil: iso(v.retentionUntil),
    acknowledgedAt: isoOrNull(v.acknowledgedAt),
    respondedAt: isoOrNull(v.respondedAt),
    late: v.late,
    refusalGrounds: v.refusalGrounds ?? null,
    agreementId: v.agreementId,
    referencesHash: v.referencesHash,
    responseHash: hashOrNull(v.responseHash),
    secondsLeft: v.secondsLeft ?? null,
  };
}
