import { AbiCoder, ZeroAddress, id as keccakUtf8 } from "ethers";
import {
  addressArg,
  bytes32Arg,
  flagsArg,
  jurisdictionArg,
  memberIdArg,
  optionalUnixSecondsArg,
  uintArg,
} from "./arguments";
import {
  assistanceProfile,
  isValidAssistanceProfile,
  type AssistanceProfileInput,
  type AssistanceProfileStruct,
} from "./assistance-rules";
import { ProposalKind, Role, type RoleName } from "./constants";
import { CrossproofError } from "./errors";
import { toKeyId } from "./member-keys";

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
