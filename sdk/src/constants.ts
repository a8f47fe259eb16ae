import { CrossproofError } from "./errors";

/** Member role flags, as in `contracts/base/Common.sol`. */
export const Role = {
  AGENCY: 1 << 0,
  COURT: 1 << 1,
  PLATFORM: 1 << 2,
  REGISTRY: 1 << 3,
  OPERATOR: 1 << 4,
  GOVERNOR: 1 << 5,
} as const;
export type RoleName = keyof typeof Role;

/**
 * Minimum-assurance flags of a recognition agreement, as in `contracts/base/Common.sol`. COMPLETE_CUSTODY and
 * TIMELY_ANCHOR are evaluated on chain when a member endorses a record; BATCH_PROOF_ALLOWED by the verifier.
 */
export const Assurance = {
  /** Custody recorded (starting with the collection) and no transfer waiting for its receipt. */
  COMPLETE_CUSTODY: 1 << 0,
  /** A record proven only by inclusion in a Merkle batch is acceptable. */
  BATCH_PROOF_ALLOWED: 1 << 1,
  /** Anchored within the agreement's anchor window after the claimed collection time. */
  TIMELY_ANCHOR: 1 << 2,
} as const;
export type AssuranceName = keyof typeof Assurance;

/** Member status, as in `IConsortium.MemberStatus`. */
export const MemberStatus = { None: 0, Active: 1, Suspended: 2, Removed: 3 } as const;

/** Governance proposal kinds, as in `IConsortiumGovernance.ProposalKind`. */
export const ProposalKind = {
  AdmitMember: 0,
  SuspendMember: 1,
  ReinstateMember: 2,
  RemoveMember: 3,
  SetRoles: 4,
  AddKey: 5,
  RevokeKey: 6,
  SetGovernanceParameters: 7,
  SetParameter: 8,
  ResolveWorkDispute: 9,
  RevokePublicKey: 10,
  DefineAssistanceProfile: 11,
} as const;
export type ProposalKindName = keyof typeof ProposalKind;

/** ORs role names into the on-chain bitmask. */
export function roleMask(names: readonly RoleName[]): number {
  return names.reduce((mask, n) => mask | Role[n], 0);
}

/**
 * The role names of an on-chain bitmask, in `Role` order; bits outside the defined roles are ignored.
 * @example roleNames(0x21) // ["AGENCY", "GOVERNOR"]
 */
export function roleNames(mask: number | bigint): RoleName[] {
  const m = BigInt(mask);
  return (Object.keys(Role) as RoleName[]).filter((n) => (m & BigInt(Role[n])) !== 0n);
}

/** ORs assurance names into the on-chain bitmask. */
export function assuranceMask(names: readonly AssuranceName[]): number {
  return names.reduce((mask, n) => mask | Assurance[n], 0);
}

/** `validUntil` of an open-ended key (signing or public key): type(uint48).max. */
export const OPEN_ENDED = 2 ** 48 - 1;

/** What a member's public key is for, as in `IConsortium.KeyPurpose`. */
export const KeyPurpose = {
  None: 0,
  /** Signs the member's verification reports (JWS). */
  Report: 1,
  /** Receives evidence packages (JWE, ECDH-ES key agreement). */
  Encryption: 2,
} as const;
export type KeyPurposeName = Exclude<keyof typeof KeyPurpose, "None">;

/**
 * The algorithm of a member's public key, as in `IConsortium.KeyAlgorithm`: ES256 (P-256) and EdDSA (Ed25519) for
 * report keys, EcdhEs (P-256 or X25519) for encryption keys.
 */
export const KeyAlgorithm = { None: 0, ES256: 1, EdDSA: 2, EcdhEs: 3 } as const;
export type KeyAlgorithmName = Exclude<keyof typeof KeyAlgorithm, "None">;

/** The JOSE `alg` (RFC 7518, RFC 8037) of each key algorithm. */
export const JoseAlgorithm = { ES256: "ES256", EdDSA: "EdDSA", EcdhEs: "ECDH-ES" } as const satisfies Record<
  KeyAlgorithmName,
  string
>;

/** Rights a licence can grant (bitmask), as in `ILicenseRegistry`. */
export const Right = {
  REPRODUCE: 1 << 0,
  DISTRIBUTE: 1 << 1,
  /** Making available / communication to the public (on-demand streaming, downloads). */
  MAKE_AVAILABLE: 1 << 2,
  PERFORM: 1 << 3,
  /** Broadcasting and live-streaming. */
  BROADCAST: 1 << 4,
  /** Adaptation, derivative works. */
  ADAPT: 1 << 5,
} as const;
export type RightName = keyof typeof Right;

/** Grant types, as in `ILicenseRegistry.GrantType`. */
export const GrantType = { NonExclusive: 0, Sole: 1, Exclusive: 2 } as const;
export type GrantTypeName = keyof typeof GrantType;

/** Authorisation results, as in `ILicenseRegistry.Reason`. */
export const AuthorizationReason = [
  "OK",
  "UNKNOWN_LICENCE",
  "REVOKED",
  "EXPIRED",
  "NOT_YET_VALID",
  "RIGHT_NOT_GRANTED",
  "TERRITORY_NOT_GRANTED",
  "CHAIN_TOO_DEEP",
  "TITLE_VOIDED",
] as const;
export type AuthorizationReasonName = (typeof AuthorizationReason)[number];

/** ORs right names into the on-chain bitmask. */
export function rightsMask(names: readonly RightName[]): number {
  return names.reduce((m, n) => m | Right[n], 0);
}

/** The right names in a bitmask. */
export function rightNames(mask: number): RightName[] {
  return (Object.keys(Right) as RightName[]).filter((n) => (mask & Right[n]) !== 0);
}

/**
 * Why a request is an emergency, as in `IAssistanceDesk.EmergencyReason`: the grounds of an "emergency situation" in
 * Regulation (EU) 2023/1543 (e-Evidence), Art. 3(18). Only these open the emergency window.
 */
export const EmergencyReason = {
  None: 0,
  ImminentThreatToLife: 1,
  ImminentThreatToPhysicalIntegrityOrSafety: 2,
  CriticalInfrastructure: 3,
} as const;
export type EmergencyReasonName = keyof typeof EmergencyReason;

/** Request states, as in `IAssistanceDesk.State` (Overdue is only ever derived from time). */
export const AssistanceStates = [
  "None",
  "Issued",
  "Acknowledged",
  "Overdue",
  "Fulfilled",
  "PartiallyFulfilled",
  "Refused",
  "Withdrawn",
  /** The addressee asked for clarification; the requester is to answer. */
  "AwaitingClarification",
  /** The addressee reported it cannot execute the request (Annex III reasons). */
  "ExecutionImpossible",
  /** The notified enforcing authority raised a ground for refusal (Art. 12) in time. */
  "RefusedByEnforcingAuthority",
] as const;
export type AssistanceStateName = (typeof AssistanceStates)[number];

/**
 * Who issued an order, as in `IAssistanceDesk.IssuingAuthorityType`: Regulation (EU) 2023/1543, Art. 4 (a judge, a
 * court, an investigating judge, a public prosecutor, or another competent authority whose order is validated).
 */
export const IssuingAuthorityType = {
  None: 0,
  Judge: 1,
  Court: 2,
  InvestigatingJudge: 3,
  PublicProsecutor: 4,
  OtherCompetentAuthority: 5,
} as const;
export type IssuingAuthorityTypeName = Exclude<keyof typeof IssuingAuthorityType, "None">;

/**
 * The grounds for refusal a notified enforcing authority may raise, as in `IAssistanceDesk.ReviewGround`:
 * Regulation (EU) 2023/1543, Art. 12(1)(a) to (d), the closed list; `None` confirms it raises none.
 */
export const ReviewGround = {
  None: 0,
  /** (a) immunities or privileges, or press and expression freedom rules, of the enforcing State. */
  ImmunityOrPrivilege: 1,
  /** (b) exceptionally, a manifest breach of a relevant fundamental right (Art. 6 TEU, Charter). */
  ManifestBreachOfFundamentalRight: 2,
  /** (c) ne bis in idem. */
  NeBisInIdem: 3,
  /** (d) not an offence in the enforcing State (unless an Annex IV category punishable by 3 years or more). */
  DualCriminality: 4,
} as const;
export type ReviewGroundName = keyof typeof ReviewGround;

/**
 * Why an addressee cannot execute a request, as in `IAssistanceDesk.ImpossibilityReason`: Regulation (EU)
 * 2023/1543, Annex III, Section D, point 1, in its order. The first three are also the reasons to ask for
 * clarification.
 */
export const ImpossibilityReason = {
  None: 0,
  Incomplete: 1,
  ManifestErrors: 2,
  InsufficientInformation: 3,
  DataNotStored: 4,
  DeFactoImpossibility: 5,
  IssuingAuthorityNotCompetent: 6,
  OffenceNotCovered: 7,
  ServiceNotCovered: 8,
  ImmunityOrPrivilege: 9,
  ThirdCountryLawConflict: 10,
} as const;
export type ImpossibilityReasonName = Exclude<keyof typeof ImpossibilityReason, "None">;

/** Which rule of `issueOrder` an order breaks, as in `IAssistanceDesk.OrderDefect`. */
export const OrderDefect = {
  None: 0,
  IssuingAuthority: 1,
  ValidatingAuthority: 2,
  Offence: 3,
  DataPeriod: 4,
  Targets: 5,
  Flags: 6,
  Language: 7,
  OrderDocument: 8,
  EnforcingAuthority: 9,
} as const;

// ---- Enum codes and names: the one way every module decodes them ------------------------------------------------

/** The code of an enum value by its name; `CrossproofError("INVALID_ARGUMENT")` for a name off the list. */
export function codeOf<N extends string>(values: Readonly<Record<N, number>>, name: string, what: string): number {
  if (!Object.prototype.hasOwnProperty.call(values, name)) {
    throw new CrossproofError("INVALID_ARGUMENT", `unknown ${what} "${name}"`, {
      details: { known: Object.keys(values) },
    });
  }
  return values[name as N];
}

/** The name of an enum code read from the chain; `CrossproofError("CHAIN_ERROR")` for a code off the list. */
export function nameOf<N extends string>(values: Readonly<Record<N, number>>, code: number | bigint, what: string): N {
  const name = (Object.keys(values) as N[]).find((k) => values[k] === Number(code));
  if (name === undefined) throw new CrossproofError("CHAIN_ERROR", `unknown ${what} code ${code}`);
  return name;
}

/** The names of the bits set in `mask`, in table order. */
export function namesOfMask<N extends string>(values: Readonly<Record<N, number>>, mask: number | bigint): N[] {
  const m = Number(mask);
  return (Object.keys(values) as N[]).filter((k) => values[k] !== 0 && (m & values[k]) !== 0);
}
