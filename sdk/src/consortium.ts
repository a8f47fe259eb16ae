/**
 * The consortium domain's pure core: the EIP-712 request types of the Consortium (members' own keys), the
 * ConsortiumGovernance (proposals, votes) and the RecognitionAgreements, the shapes of their requests, results and
 * views, recognition agreement terms, and governance proposals encoded exactly as the contracts decode them. No
 * network access: `consortium-client.ts` talks to the contracts.
 */
import { AbiCoder, ZeroAddress, id as keccakUtf8, type TypedDataField } from "ethers";
import {
  addressArg,
  bytes32Arg,
  flagsArg,
  jurisdictionArg,
  memberIdArg,
  optionalUnixSecondsArg,
  uintArg,
  invalidArgument,
  secondsArg,
} from "./arguments";
import {
  assistanceProfile,
  isValidAssistanceProfile,
  type AssistanceProfileInput,
  type AssistanceProfileStruct,
} from "./assistance";
import {
  ProposalKind,
  Role,
  type RoleName,
  Assurance,
  type AssuranceName,
  type KeyAlgorithmName,
  type KeyPurposeName,
  type ProposalKindName,
} from "./constants";
import { CrossproofError } from "./errors";
import { toKeyId } from "./member-keys";
import { type JWK } from "jose";
import { type Hex, type SignedRequest } from "./eip712";

const coder = AbiCoder.defaultAbiCoder();

/** A governance proposal, ready for `ConsortiumGovernance.propose({ kind, payload, … })`. */
export interface EncodedProposal {
  kind: number;
  payload: string;
}

/** The arguments of each proposal kind, in the domain's words. */
export type ProposalParameters =
  | { kind: "AdmitMember"; jurisdiction: string; roles: readonly RoleName[]; name: string; key: string }
  | { kind: "SuspendMember" | "ReinstateMember" | "RemoveMember"; memberId: bigint | number }
  | { kind: "SetRoles"; memberId: bigint | number; roles: readonly RoleName[] }
  | {
      kind: "AddKey";
      memberId: bigint | number;
      key: string;
      /** A Date or unix seconds; 0 or absent = from execution */
      validFrom?: Date | number;
      /** A Date or unix seconds; 0 or absent = open-ended */
      validUntil?: Date | number;
    }
  | { kind: "RevokeKey"; memberId: bigint | number; key: string }
  | { kind: "SetGovernanceParameters"; quorumNumerator: number; quorumDenominator: number; votingPeriod: number }
  | {
      kind: "SetParameter";
      /** A parameter name such as `crossproof.assistance.responseWindow` (see {@link parameterKey}). */
      name: string;
      value: bigint | number;
    }
  | {
      kind: "ResolveWorkDispute";
      /** The LicenseRegistry the dispute was filed with. */
      licenseRegistry: string;
      disputeId: bigint | number;
      /** The holder the work is assigned to by force; absent or the zero address dismisses the dispute. */
      newHolder?: string;
      /** Hash of the written decision. */
      decisionHash: string;
    }
  | {
      kind: "RevokePublicKey";
      memberId: bigint | number;
      /** The key id (`bytes32`, the RFC 7638 thumbprint) or its base64url `kid`. */
      keyId: string;
    }
  | {
      kind: "DefineAssistanceProfile";
      /** A deadline profile in the domain's words, or as the contract takes it (see `assistanceProfile`). */
      profile: AssistanceProfileInput | AssistanceProfileStruct;
    };

/** The ABI type of `IRecognitionAgreements.AssistanceProfile` (static: its payload is 12 words). */
const PROFILE_TUPLE = "tuple(uint32,uint32,uint32,uint32,uint32,uint32,uint8,uint8,uint8,uint8,bool,bytes32)";

/** The on-chain key of a named parameter: keccak256 of its name. */
export function parameterKey(name: string): string {
  return keccakUtf8(name);
}

/** keccak256 of a member's official name, as stored on chain (the name stays off chain). */
export function memberNameHash(name: string): string {
  return keccakUtf8(name.normalize("NFC"));
}

/**
 * ABI-encodes a governance proposal; every argument is checked first (`INVALID_ARGUMENT` naming it: a member id, an
 * address, a jurisdiction, a time in seconds rather than milliseconds…).
 * @example
 * const p = encodeProposal({ kind: "SuspendMember", memberId: 3 });
 * const signed = await client.signPropose(governorKey, { kind: "SuspendMember", memberId: 3 });
 */
export function encodeProposal(p: ProposalParameters): EncodedProposal {
  const member = (p: { memberId: bigint | number }) => memberIdArg("memberId", p.memberId, { nonZero: true });
  try {
    switch (p.kind) {
      case "AdmitMember":
        return {
          kind: ProposalKind.AdmitMember,
          payload: coder.encode(
            ["bytes2", "uint8", "bytes32", "address"],
            [
              jurisdictionArg("jurisdiction", p.jurisdiction),
              flagsArg("roles", p.roles, Role),
              memberNameHash(p.name),
              addressArg("key", p.key, { nonZero: true }),
            ],
          ),
        };
      case "SuspendMember":
      case "ReinstateMember":
      case "RemoveMember":
        return { kind: ProposalKind[p.kind], payload: coder.encode(["uint64"], [member(p)]) };
      case "SetRoles":
        return {
          kind: ProposalKind.SetRoles,
          payload: coder.encode(["uint64", "uint8"], [member(p), flagsArg("roles", p.roles, Role)]),
        };
      case "AddKey":
        return {
          kind: ProposalKind.AddKey,
          payload: coder.encode(
            ["uint64", "address", "uint48", "uint48"],
            [
              member(p),
              addressArg("key", p.key, { nonZero: true }),
              optionalUnixSecondsArg("validFrom", p.validFrom),
              optionalUnixSecondsArg("validUntil", p.validUntil, { openEnded: true }),
            ],
          ),
        };
      case "RevokeKey":
        return {
          kind: ProposalKind.RevokeKey,
          payload: coder.encode(["uint64", "address"], [member(p), addressArg("key", p.key, { nonZero: true })]),
        };
      case "SetGovernanceParameters":
        return {
          kind: ProposalKind.SetGovernanceParameters,
          payload: coder.encode(
            ["uint16", "uint16", "uint32"],
            [
              uintArg("quorumNumerator", p.quorumNumerator, 16),
              uintArg("quorumDenominator", p.quorumDenominator, 16),
              uintArg("votingPeriod", p.votingPeriod, 32, "a number of seconds"),
            ],
          ),
        };
      case "SetParameter":
        return {
          kind: ProposalKind.SetParameter,
          payload: coder.encode(["bytes32", "uint256"], [parameterKey(p.name), uintArg("value", p.value, 256)]),
        };
      case "DefineAssistanceProfile": {
        const given = p.profile as Partial<AssistanceProfileStruct> & Partial<AssistanceProfileInput>;
        const profile =
          typeof given?.textHash === "string"
            ? (given as AssistanceProfileStruct)
            : assistanceProfile(p.profile as AssistanceProfileInput);
        if (!isValidAssistanceProfile(profile)) {
          throw new CrossproofError("INVALID_ARGUMENT", "the profile breaks a rule of isValidAssistanceProfile");
        }
        return {
          kind: ProposalKind.DefineAssistanceProfile,
          payload: coder.encode(
            [PROFILE_TUPLE],
            [
              [
                profile.responseWindow,
                profile.emergencyResponseWindow,
                profile.retentionPeriod,
                profile.retentionExtension,
                profile.reviewWindow,
                profile.emergencyReviewWindow,
                profile.sensitiveKinds,
                profile.sensitiveCategories,
                profile.validationRequired,
                profile.sensitiveValidationRequired,
                profile.clarificationPausesDeadline,
                profile.textHash,
              ],
            ],
          ),
        };
      }
      case "RevokePublicKey":
        return {
          kind: ProposalKind.RevokePublicKey,
          payload: coder.encode(["uint64", "bytes32"], [member(p), toKeyId(p.keyId)]),
        };
      case "ResolveWorkDispute":
        return {
          kind: ProposalKind.ResolveWorkDispute,
          payload: coder.encode(
            ["address", "uint256", "address", "bytes32"],
            [
              addressArg("licenseRegistry", p.licenseRegistry, { nonZero: true }),
              uintArg("disputeId", p.disputeId, 256, "a dispute id (a whole number)"),
              p.newHolder === undefined ? ZeroAddress : addressArg("newHolder", p.newHolder),
              bytes32Arg("decisionHash", p.decisionHash),
            ],
          ),
        };
      default:
        throw new CrossproofError(
          "INVALID_ARGUMENT",
          `unknown proposal kind ${JSON.stringify((p as { kind: unknown }).kind)}`,
          { details: { argument: "kind", value: (p as { kind: unknown }).kind, known: Object.keys(ProposalKind) } },
        );
    }
  } catch (cause) {
    if (cause instanceof CrossproofError) throw cause;
    throw new CrossproofError("INVALID_ARGUMENT", `cannot encode ${p.kind} proposal: ${String(cause)}`, { cause });
  }
}

/** EIP-712 types of the Consortium's own requests (members managing their keys). */
export const ConsortiumTypes = {
  RevokeOwnKey: [
    { name: "memberId", type: "uint64" },
    { name: "key", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  AddOwnKey: [
    { name: "memberId", type: "uint64" },
    { name: "key", type: "address" },
    { name: "validFrom", type: "uint48" },
    { name: "validUntil", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  AddOwnPublicKey: [
    { name: "memberId", type: "uint64" },
    { name: "purpose", type: "uint8" },
    { name: "algorithm", type: "uint8" },
    { name: "jwk", type: "bytes" },
    { name: "validFrom", type: "uint48" },
    { name: "validUntil", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  RevokeOwnPublicKey: [
    { name: "memberId", type: "uint64" },
    { name: "keyId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** EIP-712 types of the ConsortiumGovernance's requests. */
export const GovernanceTypes = {
  Propose: [
    { name: "kind", type: "uint8" },
    { name: "payload", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  Vote: [
    { name: "proposalId", type: "uint256" },
    { name: "support", type: "bool" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** EIP-712 types of the RecognitionAgreements' requests. */
export const AgreementTypes = {
  ProposeAgreement: [
    { name: "terms", type: "AgreementTerms" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  AgreementTerms: [
    { name: "from", type: "bytes2" },
    { name: "to", type: "bytes2" },
    { name: "categories", type: "uint64" },
    { name: "minAssurance", type: "uint8" },
    { name: "anchorWindow", type: "uint32" },
    { name: "effectiveFrom", type: "uint48" },
    { name: "expiresAt", type: "uint48" },
    { name: "responseWindow", type: "uint32" },
    { name: "emergencyResponseWindow", type: "uint32" },
    { name: "textHash", type: "bytes32" },
  ],
  ProposeAgreementWithAssistance: [
    { name: "terms", type: "AgreementTerms" },
    { name: "assistance", type: "AgreementAssistance" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  AgreementAssistance: [
    { name: "profileId", type: "uint32" },
    { name: "retentionPeriod", type: "uint32" },
  ],
  ApproveAgreement: [
    { name: "agreementId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  SetAgreementSuspended: [
    { name: "agreementId", type: "uint256" },
    { name: "suspended", type: "bool" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** Recognition agreement terms, as the contract takes them. */
export interface AgreementTermsStruct {
  from: Hex;
  to: Hex;
  categories: bigint;
  minAssurance: number;
  anchorWindow: number;
  effectiveFrom: number;
  expiresAt: number;
  responseWindow: number;
  emergencyResponseWindow: number;
  textHash: Hex;
}

/** Agreement terms in the domain's words. */
export interface AgreementTermsInput {
  /** Collecting jurisdiction (ISO 3166-1 alpha-2). */
  from: string;
  /** Recognising jurisdiction. */
  to: string;
  /** Evidence category indexes (0-63) covered. */
  categories: readonly number[];
  minAssurance?: readonly AssuranceName[];
  /** With TIMELY_ANCHOR: the most seconds between the claimed collection and the anchoring. */
  anchorWindow?: number;
  effectiveFrom?: Date | number;
  /** Absent = no expiry. */
  expiresAt?: Date | number;
  /** Assistance response windows in seconds (absent = consortium defaults). */
  responseWindow?: number;
  emergencyResponseWindow?: number;
  /** keccak256 or SHA-256 of the signed agreement text. */
  textHash: string;
}

/** The replay guard every signed consortium request carries. */
export interface NonceAndDeadline {
  nonce: bigint | number;
  deadline: number;
}
export type RevokeOwnKeyRequest = NonceAndDeadline & { memberId: bigint | number; key: string };
export type AddOwnKeyRequest = NonceAndDeadline & {
  memberId: bigint | number;
  key: string;
  validFrom: number;
  validUntil: number;
};
export type AddOwnPublicKeyRequest = NonceAndDeadline & {
  memberId: bigint | number;
  /** `KeyPurpose` code. */
  purpose: number;
  /** `KeyAlgorithm` code. */
  algorithm: number;
  /** The key's RFC 7638 thumbprint input, UTF-8 ({@link encodePublicJwk}). */
  jwk: Hex;
  validFrom: number;
  validUntil: number;
};
export type RevokeOwnPublicKeyRequest = NonceAndDeadline & { memberId: bigint | number; keyId: Hex };
export type ProposeRequest = NonceAndDeadline & { kind: number; payload: string };
export type VoteRequest = NonceAndDeadline & { proposalId: bigint | number; support: boolean };
export type ProposeAgreementRequest = NonceAndDeadline & { terms: AgreementTermsStruct };
/** An agreement's assistance terms beyond its windows (`IRecognitionAgreements.AgreementAssistance`). */
export interface AgreementAssistanceStruct {
  /** Deadline profile (0 = the consortium's default profile). */
  profileId: number;
  /** Retention from issue in seconds (0 = the profile's). */
  retentionPeriod: number;
}
export type ProposeAgreementWithAssistanceRequest = NonceAndDeadline & {
  terms: AgreementTermsStruct;
  assistance: AgreementAssistanceStruct;
};
export type ApproveAgreementRequest = NonceAndDeadline & { agreementId: bigint | number };
export type SetAgreementSuspendedRequest = NonceAndDeadline & { agreementId: bigint | number; suspended: boolean };

/** A member's key addition: signed by one of its keys and by the new key. */
export interface SignedAddOwnKey extends SignedRequest<AddOwnKeyRequest, "AddOwnKey"> {
  keySignature: Hex;
}

/** The Consortium's, the governance's and the agreements' requests, by primary type. */
export interface ConsortiumRequests {
  RevokeOwnKey: RevokeOwnKeyRequest;
  AddOwnKey: AddOwnKeyRequest;
  AddOwnPublicKey: AddOwnPublicKeyRequest;
  RevokeOwnPublicKey: RevokeOwnPublicKeyRequest;
  Propose: ProposeRequest;
  Vote: VoteRequest;
  ProposeAgreement: ProposeAgreementRequest;
  ProposeAgreementWithAssistance: ProposeAgreementWithAssistanceRequest;
  ApproveAgreement: ApproveAgreementRequest;
  SetAgreementSuspended: SetAgreementSuspendedRequest;
}

/** What a mined proposal comes to. */
export interface MadeProposal {
  proposalId: bigint;
  kind: ProposalKindName;
  /** Unix seconds: the end of the voting period. */
  expiresAt: number;
  /** The proposer's own vote reached the quorum: the proposal already took effect. */
  executed: boolean;
}
/** What a mined vote comes to. */
export interface CastVote {
  proposalId: bigint;
  support: boolean;
  /** This vote reached the quorum: the proposal took effect. */
  executed: boolean;
}
/** What a mined key addition comes to. */
export interface AddedKey {
  memberId: bigint;
  key: string;
  validFrom: number;
  /** `OPEN_ENDED` for an open-ended key. */
  validUntil: number;
}
/** What a mined key revocation comes to. */
export interface RevokedKey {
  memberId: bigint;
  key: string;
  revokedAt: number;
}
/** What a mined public key registration comes to. */
export interface AddedPublicKey {
  memberId: bigint;
  /** The `bytes32` key id (RFC 7638 thumbprint). */
  keyId: Hex;
  /** The same, base64url: the `kid` of JWS and JWE headers. */
  kid: string;
  purpose: KeyPurposeName;
  validFrom: number;
  validUntil: number;
}
/** What a mined public key revocation comes to. */
export interface RevokedPublicKey {
  memberId: bigint;
  keyId: Hex;
  revokedAt: number;
}
/** What a mined agreement proposal comes to. */
export interface ProposedAgreement {
  agreementId: bigint;
  /** Collecting jurisdiction. */
  from: string;
  /** Recognising jurisdiction. */
  to: string;
}
/** What a mined agreement approval comes to. */
export interface ApprovedAgreement {
  agreementId: bigint;
  /** Both sides approved: the agreement is concluded. */
  concluded: boolean;
}
/** What a mined suspension or resumption comes to. */
export interface AgreementSuspension {
  agreementId: bigint;
  suspended: boolean;
}

/** What each consortium request's `wait()` resolves to. */
export interface ConsortiumResults {
  RevokeOwnKey: RevokedKey;
  AddOwnKey: AddedKey;
  AddOwnPublicKey: AddedPublicKey;
  RevokeOwnPublicKey: RevokedPublicKey;
  Propose: MadeProposal;
  Vote: CastVote;
  ProposeAgreement: ProposedAgreement;
  ProposeAgreementWithAssistance: ProposedAgreement;
  ApproveAgreement: ApprovedAgreement;
  SetAgreementSuspended: AgreementSuspension;
}

/** A member's public key as registered in the Consortium, with its JWK read back from the `PublicKeyAdded` event. */
export interface MemberPublicKey {
  memberId: bigint;
  /** The `bytes32` key id: the RFC 7638 thumbprint. */
  keyId: Hex;
  /** The same thumbprint, base64url: the `kid` in a JWS or JWE header. */
  kid: string;
  purpose: KeyPurposeName;
  algorithm: KeyAlgorithmName;
  /** Unix seconds. */
  validFrom: number;
  /** Unix seconds; `OPEN_ENDED` for an open-ended key; the revocation time for a revoked key. */
  validUntil: number;
  /** The key for a JOSE library: required members, `kid`, `use` and (report keys) `alg`. */
  jwk: JWK;
}

/** Parameters of {@link ConsortiumClient.signAddOwnPublicKey}. */
export interface AddOwnPublicKeyParameters {
  purpose: KeyPurposeName;
  /** The public JWK (EC P-256, OKP Ed25519 or OKP X25519); extra members are dropped, private ones refused. */
  jwk: JWK;
  /** Absent = the one the curve implies (report: ES256 or EdDSA; encryption: EcdhEs). */
  algorithm?: KeyAlgorithmName;
  /** Absent = from the block that adds it. */
  validFrom?: Date | number;
  /** Absent = open-ended. */
  validUntil?: Date | number;
  validFor?: number;
}

/** Maps agreement terms in the domain's words to the contract's struct (`INVALID_ARGUMENT` for a bad field). */
export function agreementTerms(t: AgreementTermsInput): AgreementTermsStruct {
  if (!Array.isArray(t.categories)) invalidArgument("categories", t.categories, "a list of evidence categories 0-63");
  const categories = t.categories.map((c, i) =>
    Number(uintArg(`categories[${i}]`, c, 6, "an evidence category, 0-63")),
  );
  const minAssurance = flagsArg("minAssurance", t.minAssurance ?? [], Assurance);
  const timely = (minAssurance & Assurance.TIMELY_ANCHOR) !== 0;
  if (timely !== (t.anchorWindow !== undefined && t.anchorWindow > 0)) {
    throw new CrossproofError("INVALID_ARGUMENT", "anchorWindow goes with the TIMELY_ANCHOR flag, and only with it");
  }
  return {
    from: jurisdictionArg("from", t.from),
    to: jurisdictionArg("to", t.to),
    categories: categories.reduce((m, c) => m | (1n << BigInt(c)), 0n),
    minAssurance,
    anchorWindow: secondsArg("anchorWindow", t.anchorWindow, { allowZero: true }) ?? 0,
    effectiveFrom: optionalUnixSecondsArg("effectiveFrom", t.effectiveFrom),
    expiresAt: optionalUnixSecondsArg("expiresAt", t.expiresAt),
    responseWindow: secondsArg("responseWindow", t.responseWindow, { allowZero: true }) ?? 0,
    emergencyResponseWindow: secondsArg("emergencyResponseWindow", t.emergencyResponseWindow, { allowZero: true }) ?? 0,
    textHash: bytes32Arg("textHash", t.textHash),
  };
}
