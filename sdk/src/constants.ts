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
} as const;
export type ProposalKindName = keyof typeof ProposalKind;

/** ORs role names into the on-chain bitmask. */
export function roleMask(names: readonly RoleName[]): number {
  return names.reduce((mask, n) => mask | Role[n], 0);
}

/** ORs assurance names into the on-chain bitmask. */
export function assuranceMask(names: readonly AssuranceName[]): number {
  return names.reduce((mask, n) => mask | Assurance[n], 0);
}
