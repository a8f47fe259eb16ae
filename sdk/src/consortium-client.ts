import {
  sha256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import {
  addressArg,
  bytes32Arg,
  enumArg,
  flagsArg,
  invalidArgument,
  jurisdictionArg,
  memberIdArg,
  optionalUnixSecondsArg,
  secondsArg,
  uintArg,
  unixSecondsArg,
} from "./arguments";
import type { JSONWebKeySet, JWK } from "jose";
import {
  ConsortiumGovernance__factory,
  Consortium__factory,
  RecognitionAgreements__factory,
  type Consortium,
  type ConsortiumGovernance,
  type RecognitionAgreements,
} from "./typechain";
import {
  Assurance,
  KeyAlgorithm,
  KeyPurpose,
  ProposalKind,
  type AssuranceName,
  type KeyAlgorithmName,
  type KeyPurposeName,
  type ProposalKindName,
} from "./constants";
import { AssistanceProfileId, type BuiltInProfileName } from "./assistance-rules";
import { ContractClient, resolveContract, type RequestRoutes } from "./contract-client";
import { toCrossproofError } from "./contract-errors";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeProposal, type ProposalParameters } from "./governance";
import { fromJurisdiction } from "./jurisdiction";
import {
  decodePublicJwk,
  encodePublicJwk,
  keyAlgorithmFor,
  keyIdToKid,
  memberJwk,
  toKeyId,
  validateMemberPublicJwk,
  type MemberPublicJwk,
} from "./member-keys";

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

interface Auth {
  nonce: bigint | number;
  deadline: number;
}
export type RevokeOwnKeyRequest = Auth & { memberId: bigint | number; key: string };
export type AddOwnKeyRequest = Auth & {
  memberId: bigint | number;
  key: string;
  validFrom: number;
  validUntil: number;
};
export type AddOwnPublicKeyRequest = Auth & {
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
export type RevokeOwnPublicKeyRequest = Auth & { memberId: bigint | number; keyId: Hex };
export type ProposeRequest = Auth & { kind: number; payload: string };
export type VoteRequest = Auth & { proposalId: bigint | number; support: boolean };
export type ProposeAgreementRequest = Auth & { terms: AgreementTermsStruct };
/** An agreement's assistance terms beyond its windows (`IRecognitionAgreements.AgreementAssistance`). */
export interface AgreementAssistanceStruct {
  /** Deadline profile (0 = the consortium's default profile). */
  profileId: number;
  /** Retention from issue in seconds (0 = the profile's). */
  retentionPeriod: number;
}
export type ProposeAgreementWithAssistanceRequest = Auth & {
  terms: AgreementTermsStruct;
  assistance: AgreementAssistanceStruct;
};
export type ApproveAgreementRequest = Auth & { agreementId: bigint | number };
export type SetAgreementSuspendedRequest = Auth & { agreementId: bigint | number; suspended: boolean };

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

const PROPOSAL_KINDS = Object.keys(ProposalKind) as ProposalKindName[];

/** Where each consortium request goes (one of three contracts) and how its result is read. */
function consortiumRoutes(
  consortium: Consortium,
  governance: ConsortiumGovernance,
  agreements: RecognitionAgreements,
): RequestRoutes<ConsortiumResults> {
  return {
    RevokeOwnKey: {
      contract: consortium,
      method: "revokeOwnKey",
      action: "revoking a signing key",
      result: (events) => {
        const a = events.argsOf("KeyRevoked");
        return { memberId: a.memberId as bigint, key: a.key as string, revokedAt: Number(a.revokedAt) };
      },
    },
    AddOwnKey: {
      contract: consortium,
      method: "addOwnKey",
      action: "adding a signing key",
      cosignatures: [{ name: "keySignature", description: "the new key's signature (see signAddOwnKey)" }] satisfies {
        name: keyof SignedAddOwnKey;
        description: string;
      }[],
      result: (events) => {
        const a = events.argsOf("KeyAdded");
        return {
          memberId: a.memberId as bigint,
          key: a.key as string,
          validFrom: Number(a.validFrom),
          validUntil: Number(a.validUntil),
        };
      },
    },
    AddOwnPublicKey: {
      contract: consortium,
      method: "addOwnPublicKey",
      action: "registering a public key",
      result: (events) => {
        const a = events.argsOf("PublicKeyAdded");
        const keyId = (a.keyId as string).toLowerCase() as Hex;
        return {
          memberId: a.memberId as bigint,
          keyId,
          kid: keyIdToKid(keyId),
          purpose: nameOf(KeyPurpose, a.purpose as bigint, "key purpose") as KeyPurposeName,
          validFrom: Number(a.validFrom),
          validUntil: Number(a.validUntil),
        };
      },
    },
    RevokeOwnPublicKey: {
      contract: consortium,
      method: "revokeOwnPublicKey",
      action: "revoking a public key",
      result: (events) => {
        const a = events.argsOf("PublicKeyRevoked");
        return {
          memberId: a.memberId as bigint,
          keyId: (a.keyId as string).toLowerCase() as Hex,
          revokedAt: Number(a.revokedAt),
        };
      },
    },
    Propose: {
      contract: governance,
      method: "propose",
      action: "making a proposal",
      result: (events) => {
        const a = events.argsOf("ProposalCreated");
        return {
          proposalId: a.proposalId as bigint,
          kind: PROPOSAL_KINDS[Number(a.kind)]!,
          expiresAt: Number(a.expiresAt),
          executed: events.find("ProposalExecuted") !== undefined,
        };
      },
    },
    Vote: {
      contract: governance,
      method: "vote",
      action: "voting",
      result: (events) => {
        const a = events.argsOf("VoteCast");
        return {
          proposalId: a.proposalId as bigint,
          support: a.support as boolean,
          executed: events.find("ProposalExecuted") !== undefined,
        };
      },
    },
    ProposeAgreement: {
      contract: agreements,
      method: "proposeAgreement",
      action: "proposing a recognition agreement",
      result: (events) => {
        const a = events.argsOf("AgreementProposed");
        return {
          agreementId: a.agreementId as bigint,
          from: fromJurisdiction(a.from as string),
          to: fromJurisdiction(a.to as string),
        };
      },
    },
    ProposeAgreementWithAssistance: {
      contract: agreements,
      method: "proposeAgreementWithAssistance",
      action: "proposing a recognition agreement",
      result: (events) => {
        const a = events.argsOf("AgreementProposed");
        return {
          agreementId: a.agreementId as bigint,
          from: fromJurisdiction(a.from as string),
          to: fromJurisdiction(a.to as string),
        };
      },
    },
    ApproveAgreement: {
      contract: agreements,
      method: "approveAgreement",
      action: "approving a recognition agreement",
      result: (events) => {
        const a = events.argsOf("AgreementApproved");
        return { agreementId: a.agreementId as bigint, concluded: events.find("AgreementConcluded") !== undefined };
      },
    },
    SetAgreementSuspended: {
      contract: agreements,
      method: "setAgreementSuspended",
      action: "suspending or resuming a recognition agreement",
      result: (events) => {
        const a = events.argsOf("AgreementSuspensionChanged");
        return { agreementId: a.agreementId as bigint, suspended: a.suspended as boolean };
      },
    },
  };
}

/** The name of an enum code read from the chain; `CrossproofError("CHAIN_ERROR")` for a code off the list. */
function nameOf<N extends string>(values: Readonly<Record<N, number>>, code: number | bigint, what: string): N {
  const name = (Object.keys(values) as N[]).find((k) => values[k] === Number(code));
  if (name === undefined) throw new CrossproofError("CHAIN_ERROR", `unknown ${what} code ${code}`);
  return name;
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

type Domains = { consortium: TypedDataDomain; governance: TypedDataDomain; agreements: TypedDataDomain };

/**
 * Signs the consortium's member requests — governance proposals and votes, recognition agreements, a member's own
 * key management — for any member key, and submits them through any relayer. The consortium is three contracts
 * (members and keys, governance, agreements); this client finds the other two from the Consortium's address.
 * Arguments are checked before any network call (`INVALID_ARGUMENT`).
 * @example
 * const c = await ConsortiumClient.connect(consortiumAddress, provider);
 * const signed = await c.signPropose(governorKey, { kind: "SuspendMember", memberId: 4 });
 * const { proposalId, executed } = await (await c.submit(signed, relayer)).wait();
 */
export class ConsortiumClient extends ContractClient<ConsortiumRequests, ConsortiumResults> {
  private constructor(
    readonly consortium: Consortium,
    readonly governance: ConsortiumGovernance,
    readonly agreements: RecognitionAgreements,
    /** The EIP-712 domain of each of the three contracts (`domain` is the Consortium's). */
    readonly domains: Domains,
    provider: Provider,
  ) {
    super(domains.consortium, provider, consortiumRoutes(consortium, governance, agreements));
  }

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<ConsortiumClient> {
    const { provider, domain } = await resolveContract("Consortium", address, runner);
    const consortium = Consortium__factory.connect(address, runner);
    let governanceAddress: string, agreementsAddress: string;
    try {
      [governanceAddress, agreementsAddress] = await Promise.all([consortium.governance(), consortium.agreements()]);
    } catch (err) {
      throw toCrossproofError(err, [consortium.interface], "connecting to the Consortium");
    }
    const [g, a] = await Promise.all([
      resolveContract("ConsortiumGovernance", governanceAddress, runner),
      resolveContract("RecognitionAgreements", agreementsAddress, runner),
    ]);
    return new ConsortiumClient(
      consortium,
      ConsortiumGovernance__factory.connect(governanceAddress, runner),
      RecognitionAgreements__factory.connect(agreementsAddress, runner),
      { consortium: domain, governance: g.domain, agreements: a.domain },
      provider,
    );
  }

  /** The nonce and deadline of a request to `contract` signed by `signer`. */
  private async auth(
    contract: { nonces(owner: string): Promise<bigint> },
    signer: Signer,
    validFor?: number,
    nonce?: bigint,
  ): Promise<Auth> {
    const deadline = await this.deadline(validFor);
    return { nonce: await this.nonceOf(contract, signer, nonce), deadline };
  }

  /**
   * Signs a governance proposal (its payload is checked word by word first, see {@link encodeProposal}).
   * `wait()` of the submitted request resolves to `{ proposalId, kind, expiresAt, executed }`.
   */
  async signPropose(
    signer: Signer,
    proposal: ProposalParameters,
    o: { validFor?: number; nonce?: bigint } = {},
  ): Promise<SignedRequest<ProposeRequest, "Propose">> {
    const p = encodeProposal(proposal);
    const auth = await this.auth(this.governance, signer, o.validFor, o.nonce);
    return signTypedRequest(signer, this.domains.governance, GovernanceTypes, "Propose", { ...p, ...auth });
  }

  /** Signs a vote; `wait()` of the submitted request says whether it executed the proposal. */
  async signVote(
    signer: Signer,
    proposalId: bigint | number,
    support: boolean,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<VoteRequest, "Vote">> {
    const id = uintArg("proposalId", proposalId, 256, "a proposal id (a whole number)");
    if (typeof support !== "boolean") invalidArgument("support", support, "true (yes) or false (no)");
    const auth = await this.auth(this.governance, signer, o.validFor);
    return signTypedRequest(signer, this.domains.governance, GovernanceTypes, "Vote", {
      proposalId: id,
      support,
      ...auth,
    });
  }

  /** A member revokes one of its signing keys at once (also while suspended, also its last one). */
  async signRevokeOwnKey(
    signer: Signer,
    memberId: bigint | number,
    key: string,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<RevokeOwnKeyRequest, "RevokeOwnKey">> {
    const member = memberIdArg("memberId", memberId, { nonZero: true });
    const address = addressArg("key", key, { nonZero: true });
    const auth = await this.auth(this.consortium, signer, o.validFor);
    return signTypedRequest(signer, this.domains.consortium, ConsortiumTypes, "RevokeOwnKey", {
      memberId: member,
      key: address,
      ...auth,
    });
  }

  /**
   * A member adds a key: `signer` is one of its valid keys, `newKey` signs the same request to prove possession.
   * `validFrom` absent = from the block that adds it; `validUntil` absent = open-ended.
   */
  async signAddOwnKey(
    signer: Signer,
    newKey: Signer,
    memberId: bigint | number,
    o: { validFrom?: Date | number; validUntil?: Date | number; validFor?: number } = {},
  ): Promise<SignedAddOwnKey> {
    const member = memberIdArg("memberId", memberId, { nonZero: true });
    const validFrom = optionalUnixSecondsArg("validFrom", o.validFrom);
    const validUntil = optionalUnixSecondsArg("validUntil", o.validUntil, { openEnded: true });
    const auth = await this.auth(this.consortium, signer, o.validFor);
    const request: AddOwnKeyRequest = {
      memberId: member,
      key: await newKey.getAddress(),
      validFrom,
      validUntil,
      ...auth,
    };
    const signed = await signTypedRequest(signer, this.domains.consortium, ConsortiumTypes, "AddOwnKey", request);
    const proof = await signTypedRequest(newKey, this.domains.consortium, ConsortiumTypes, "AddOwnKey", request);
    return { ...signed, keySignature: proof.signature };
  }

  /**
   * A member registers a public key of its own — a report key (ES256 or EdDSA) or an encryption key (ECDH-ES on
   * P-256 or X25519) — signed by one of its valid signing keys. The JWK is checked here first (public, supported
   * curve, on the curve, algorithm fit for the purpose), so a bad key fails before any gas is spent.
   * @example
   * const { publicKey } = await generateKeyPair("ES256", { extractable: true });
   * const signed = await c.signAddOwnPublicKey(memberKey, 4, { purpose: "Report", jwk: await exportJWK(publicKey) });
   * const { kid } = await (await c.submit(signed, relayer)).wait();
   */
  async signAddOwnPublicKey(
    signer: Signer,
    memberId: bigint | number,
    p: AddOwnPublicKeyParameters,
  ): Promise<SignedRequest<AddOwnPublicKeyRequest, "AddOwnPublicKey">> {
    const member = memberIdArg("memberId", memberId, { nonZero: true });
    const purpose = enumArg("purpose", p.purpose, { Report: KeyPurpose.Report, Encryption: KeyPurpose.Encryption });
    const validFrom = optionalUnixSecondsArg("validFrom", p.validFrom);
    const validUntil = optionalUnixSecondsArg("validUntil", p.validUntil, { openEnded: true });
    const jwk = await validateMemberPublicJwk(p.jwk);
    const algorithm = keyAlgorithmFor(p.purpose, jwk, p.algorithm);
    const auth = await this.auth(this.consortium, signer, p.validFor);
    return signTypedRequest(signer, this.domains.consortium, ConsortiumTypes, "AddOwnPublicKey", {
      memberId: member,
      purpose,
      algorithm: KeyAlgorithm[algorithm],
      jwk: encodePublicJwk(jwk),
      validFrom,
      validUntil,
      ...auth,
    });
  }

  /** A member revokes one of its public keys at once (also while suspended); `key` is its `kid` or `bytes32` id. */
  async signRevokeOwnPublicKey(
    signer: Signer,
    memberId: bigint | number,
    key: string,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<RevokeOwnPublicKeyRequest, "RevokeOwnPublicKey">> {
    const member = memberIdArg("memberId", memberId, { nonZero: true });
    const keyId = toKeyId(key);
    const auth = await this.auth(this.consortium, signer, o.validFor);
    return signTypedRequest(signer, this.domains.consortium, ConsortiumTypes, "RevokeOwnPublicKey", {
      memberId: member,
      keyId,
      ...auth,
    });
  }

  /**
   * Whether `key` (a `kid` or a `bytes32` key id) is a `purpose` key of `memberId` valid at `at` (default: now,
   * chain time) with its member active then — the check a gateway makes before signing a report with its report
   * key, and a verifier's online check of a report's `kid` against the issuer the report names.
   */
  async isValidPublicKey(
    memberId: bigint | number,
    key: string,
    purpose: KeyPurposeName,
    o: { at?: Date | number } = {},
  ): Promise<boolean> {
    const member = memberIdArg("memberId", memberId);
    const keyId = toKeyId(key);
    const purposeCode = enumArg("purpose", purpose, { Report: KeyPurpose.Report, Encryption: KeyPurpose.Encryption });
    const at = o.at === undefined ? await this.chainTime() : unixSecondsArg("at", o.at);
    return this.read("reading the public key", () => this.consortium.isValidPublicKey(member, keyId, purposeCode, at));
  }

  /**
   * Every public key a member ever registered (every member's when `memberId` is absent), from the
   * `PublicKeyAdded` events, with its current record (window, revocation). Each event's JWK is checked against its
   * commitment: `sha256(jwk)` must be the key id (`CHAIN_ERROR` otherwise: the node returned inconsistent data).
   * A key whose JWK no JOSE library could use (off the curve, not canonical) is left out.
   */
  async registeredPublicKeys(memberId?: bigint | number, o: { fromBlock?: number } = {}): Promise<MemberPublicKey[]> {
    const member = memberId === undefined ? undefined : memberIdArg("memberId", memberId);
    const events = await this.read("reading the PublicKeyAdded events", () =>
      this.consortium.queryFilter(this.consortium.filters.PublicKeyAdded(member), o.fromBlock ?? 0, "latest"),
    );
    const keys: MemberPublicKey[] = [];
    for (const e of events) {
      const { memberId: owner, keyId, purpose: purposeCode, algorithm: algorithmCode, jwk: bytes } = e.args;
      if (sha256(bytes) !== keyId) {
        throw new CrossproofError(
          "CHAIN_ERROR",
          `PublicKeyAdded of key ${keyId}: the JWK does not hash to the key id`,
          {
            details: { memberId: owner.toString(), keyId, transactionHash: e.transactionHash },
          },
        );
      }
      const purpose = nameOf(KeyPurpose, purposeCode, "key purpose");
      const algorithm = nameOf(KeyAlgorithm, algorithmCode, "key algorithm");
      if (purpose === "None" || algorithm === "None") throw new CrossproofError("CHAIN_ERROR", "key without purpose");
      let jwk: MemberPublicJwk;
      try {
        jwk = await validateMemberPublicJwk(decodePublicJwk(bytes));
        keyAlgorithmFor(purpose, jwk, algorithm);
      } catch {
        continue;
      }
      const record = await this.read("reading the public key", () => this.consortium.publicKeyOf(owner, keyId));
      keys.push({
        memberId: owner,
        keyId: keyId as Hex,
        kid: keyIdToKid(keyId),
        purpose,
        algorithm,
        validFrom: Number(record.validFrom),
        validUntil: Number(record.validUntil),
        jwk: memberJwk(jwk, purpose, algorithm),
      });
    }
    return keys;
  }

  /**
   * A member's live public keys for `purpose` (not revoked, not pruned after expiry; possibly not yet valid), with
   * their JWKs read back from the events and checked against their key ids. Encryption keys are
   * `{ kid, jwk }` recipients for evidence packages.
   */
  async publicKeysOf(
    memberId: bigint | number,
    purpose: KeyPurposeName,
    o: { fromBlock?: number } = {},
  ): Promise<MemberPublicKey[]> {
    const member = memberIdArg("memberId", memberId);
    const purposeCode = enumArg("purpose", purpose, { Report: KeyPurpose.Report, Encryption: KeyPurpose.Encryption });
    const [live, registered] = await Promise.all([
      this.read("reading the public keys", () => this.consortium.publicKeysOf(member, purposeCode)),
      this.registeredPublicKeys(member, o),
    ]);
    const byId = new Map(registered.map((k) => [k.keyId.toLowerCase(), k]));
    return [...live].flatMap((id) => byId.get(id.toLowerCase()) ?? []);
  }

  /**
   * The JWKS of the report keys valid at `at` (default: now, chain time) — of the given members, or of every
   * member — for `jose.createLocalJWKSet`: each key with its `kid` (RFC 7638 thumbprint), `use: "sig"` and `alg`.
   * Valid means what `isValidPublicKey` says: within its window and its member active at that time.
   *
   * A key id means something only with its member: verify a report with the key set of the member the report names
   * as its issuer (`reportKeySet([issuer])`), never infer the issuer from the key that matched. (Two members may
   * register the same public key; its entry appears once, since the key material, hence the signature check, is the
   * same.)
   * @example
   * const jwks = await c.reportKeySet([issuerMemberId], { at: signedAt });
   * const { payload } = await compactVerify(reportJws, createLocalJWKSet(jwks));
   */
  async reportKeySet(
    memberIds?: readonly (bigint | number)[],
    o: { at?: Date | number; fromBlock?: number } = {},
  ): Promise<JSONWebKeySet> {
    const members =
      memberIds === undefined ? undefined : new Set(memberIds.map((m, i) => memberIdArg(`memberIds[${i}]`, m)));
    const at = o.at === undefined ? await this.chainTime() : unixSecondsArg("at", o.at);
    const registered =
      members !== undefined && members.size === 1
        ? await this.registeredPublicKeys([...members][0]!, o)
        : await this.registeredPublicKeys(undefined, o);
    const keys: JWK[] = [];
    const seen = new Set<string>();
    for (const k of registered) {
      if (k.purpose !== "Report" || seen.has(k.kid)) continue;
      if (members !== undefined && !members.has(k.memberId)) continue;
      const valid = await this.read("reading the public key", () =>
        this.consortium.isValidPublicKey(k.memberId, k.keyId, KeyPurpose.Report, at),
      );
      if (!valid) continue;
      seen.add(k.kid);
      keys.push(k.jwk);
    }
    return { keys };
  }

  /**
   * A GOVERNOR of one side proposes a recognition agreement (that is its side's approval); `wait()` of the submitted
   * request resolves to `{ agreementId, from, to }`.
   */
  async signProposeAgreement(
    signer: Signer,
    terms: AgreementTermsInput | AgreementTermsStruct,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<ProposeAgreementRequest, "ProposeAgreement">> {
    const struct =
      typeof terms?.categories === "bigint"
        ? (terms as AgreementTermsStruct)
        : agreementTerms(terms as AgreementTermsInput);
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest(signer, this.domains.agreements, AgreementTypes, "ProposeAgreement", {
      terms: struct,
      ...auth,
    });
  }

  /**
   * As {@link signProposeAgreement}, with assistance terms: the deadline profile that applies to assistance requests
   * between the two jurisdictions (an id, or a built-in profile's name; absent = the consortium's default) and,
   * if not the profile's, the retention period in seconds.
   * @example
   * const signed = await c.signProposeAgreementWithAssistance(frGovernor, terms, { profile: "EuEvidence" });
   */
  async signProposeAgreementWithAssistance(
    signer: Signer,
    terms: AgreementTermsInput | AgreementTermsStruct,
    assistance: { profile?: number | BuiltInProfileName; retentionPeriod?: number },
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<ProposeAgreementWithAssistanceRequest, "ProposeAgreementWithAssistance">> {
    const struct =
      typeof terms?.categories === "bigint"
        ? (terms as AgreementTermsStruct)
        : agreementTerms(terms as AgreementTermsInput);
    const profile = assistance?.profile;
    const profileId =
      profile === undefined
        ? 0
        : typeof profile === "string"
          ? enumArg("assistance.profile", profile, AssistanceProfileId)
          : Number(uintArg("assistance.profile", profile, 32, "a profile id"));
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest(signer, this.domains.agreements, AgreementTypes, "ProposeAgreementWithAssistance", {
      terms: struct,
      assistance: {
        profileId,
        retentionPeriod:
          secondsArg("assistance.retentionPeriod", assistance?.retentionPeriod, { allowZero: true }) ?? 0,
      },
      ...auth,
    });
  }

  /** A GOVERNOR of the other side approves; `wait()` says whether that concluded the agreement. */
  async signApproveAgreement(
    signer: Signer,
    agreementId: bigint | number,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<ApproveAgreementRequest, "ApproveAgreement">> {
    const id = uintArg("agreementId", agreementId, 256, "an agreement id (a whole number)");
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest(signer, this.domains.agreements, AgreementTypes, "ApproveAgreement", {
      agreementId: id,
      ...auth,
    });
  }

  /** Either side suspends an agreement; only the side that suspended resumes it. */
  async signSetAgreementSuspended(
    signer: Signer,
    agreementId: bigint | number,
    suspended: boolean,
    o: { validFor?: number } = {},
  ): Promise<SignedRequest<SetAgreementSuspendedRequest, "SetAgreementSuspended">> {
    const id = uintArg("agreementId", agreementId, 256, "an agreement id (a whole number)");
    if (typeof suspended !== "boolean") invalidArgument("suspended", suspended, "true (suspend) or false (resume)");
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest(signer, this.domains.agreements, AgreementTypes, "SetAgreementSuspended", {
      agreementId: id,
      suspended,
      ...auth,
    });
  }
}
