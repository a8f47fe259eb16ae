import type { ContractRunner, Provider, Signer, TypedDataDomain, TypedDataField } from "ethers";
import {
  ConsortiumGovernance__factory,
  Consortium__factory,
  RecognitionAgreements__factory,
  type Consortium,
  type ConsortiumGovernance,
  type RecognitionAgreements,
} from "../../typechain-types";
import { assuranceMask, Assurance, type AssuranceName } from "./constants";
import { deadlineFrom, resolveContract, submitRequest, toUnixSeconds, type SubmittedRequest } from "./contract-client";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeProposal, type ProposalParameters } from "./governance";
import { toJurisdiction } from "./jurisdiction";

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
export type ProposeRequest = Auth & { kind: number; payload: string };
export type VoteRequest = Auth & { proposalId: bigint | number; support: boolean };
export type ProposeAgreementRequest = Auth & { terms: AgreementTermsStruct };
export type ApproveAgreementRequest = Auth & { agreementId: bigint | number };
export type SetAgreementSuspendedRequest = Auth & { agreementId: bigint | number; suspended: boolean };

/** A member's key addition: signed by one of its keys and by the new key. */
export interface SignedAddOwnKey extends SignedRequest<AddOwnKeyRequest> {
  keySignature: Hex;
}

const secs = (d: Date | number | undefined) => (d === undefined ? 0 : toUnixSeconds(d));

/** Maps agreement terms in the domain's words to the contract's struct. */
export function agreementTerms(t: AgreementTermsInput): AgreementTermsStruct {
  const bad = t.categories.find((c) => !Number.isInteger(c) || c < 0 || c > 63);
  if (bad !== undefined) throw new CrossproofError("INVALID_ARGUMENT", `evidence category out of 0-63: ${bad}`);
  const minAssurance = assuranceMask(t.minAssurance ?? []);
  const timely = (minAssurance & Assurance.TIMELY_ANCHOR) !== 0;
  if (timely !== (t.anchorWindow !== undefined && t.anchorWindow > 0)) {
    throw new CrossproofError("INVALID_ARGUMENT", "anchorWindow goes with the TIMELY_ANCHOR flag, and only with it");
  }
  return {
    from: toJurisdiction(t.from),
    to: toJurisdiction(t.to),
    categories: t.categories.reduce((m, c) => m | (1n << BigInt(c)), 0n),
    minAssurance,
    anchorWindow: t.anchorWindow ?? 0,
    effectiveFrom: secs(t.effectiveFrom),
    expiresAt: secs(t.expiresAt),
    responseWindow: t.responseWindow ?? 0,
    emergencyResponseWindow: t.emergencyResponseWindow ?? 0,
    textHash: t.textHash as Hex,
  };
}

type Domains = { consortium: TypedDataDomain; governance: TypedDataDomain; agreements: TypedDataDomain };

/**
 * Signs the consortium's member requests — governance proposals and votes, recognition agreements, a member's own
 * key management — for any member key, and submits them through any relayer. The consortium is three contracts
 * (members and keys, governance, agreements); this client finds the other two from the Consortium's address.
 * @example
 * const c = await ConsortiumClient.connect(consortiumAddress, provider);
 * const signed = await c.signPropose(governorKey, { kind: "SuspendMember", memberId: 4 });
 * await (await c.submit(signed, relayer)).wait();
 */
export class ConsortiumClient {
  private constructor(
    readonly consortium: Consortium,
    readonly governance: ConsortiumGovernance,
    readonly agreements: RecognitionAgreements,
    readonly domains: Domains,
    private readonly provider: Provider,
  ) {}

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<ConsortiumClient> {
    const { provider, domain } = await resolveContract("Consortium", address, runner);
    const consortium = Consortium__factory.connect(address, runner);
    const [governanceAddress, agreementsAddress] = await Promise.all([
      consortium.governance(),
      consortium.agreements(),
    ]);
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

  private async auth(
    contract: { nonces(owner: string): Promise<bigint> },
    signer: Signer,
    validFor?: number,
    nonce?: bigint,
  ): Promise<Auth> {
    return {
      nonce: nonce ?? (await contract.nonces(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, validFor),
    };
  }

  async signPropose(signer: Signer, proposal: ProposalParameters, o: { validFor?: number; nonce?: bigint } = {}) {
    const p = encodeProposal(proposal);
    const auth = await this.auth(this.governance, signer, o.validFor, o.nonce);
    return signTypedRequest<ProposeRequest>(signer, this.domains.governance, GovernanceTypes, "Propose", {
      ...p,
      ...auth,
    });
  }

  async signVote(signer: Signer, proposalId: bigint | number, support: boolean, o: { validFor?: number } = {}) {
    const auth = await this.auth(this.governance, signer, o.validFor);
    return signTypedRequest<VoteRequest>(signer, this.domains.governance, GovernanceTypes, "Vote", {
      proposalId,
      support,
      ...auth,
    });
  }

  async signRevokeOwnKey(signer: Signer, memberId: bigint | number, key: string, o: { validFor?: number } = {}) {
    const auth = await this.auth(this.consortium, signer, o.validFor);
    return signTypedRequest<RevokeOwnKeyRequest>(signer, this.domains.consortium, ConsortiumTypes, "RevokeOwnKey", {
      memberId,
      key,
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
    const auth = await this.auth(this.consortium, signer, o.validFor);
    const request: AddOwnKeyRequest = {
      memberId,
      key: await newKey.getAddress(),
      validFrom: secs(o.validFrom),
      validUntil: secs(o.validUntil),
      ...auth,
    };
    const signed = await signTypedRequest(signer, this.domains.consortium, ConsortiumTypes, "AddOwnKey", request);
    const proof = await signTypedRequest(newKey, this.domains.consortium, ConsortiumTypes, "AddOwnKey", request);
    return { ...signed, keySignature: proof.signature };
  }

  async signProposeAgreement(
    signer: Signer,
    terms: AgreementTermsInput | AgreementTermsStruct,
    o: { validFor?: number } = {},
  ) {
    const struct =
      typeof terms.categories === "bigint"
        ? (terms as AgreementTermsStruct)
        : agreementTerms(terms as AgreementTermsInput);
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest<ProposeAgreementRequest>(
      signer,
      this.domains.agreements,
      AgreementTypes,
      "ProposeAgreement",
      { terms: struct, ...auth },
    );
  }

  async signApproveAgreement(signer: Signer, agreementId: bigint | number, o: { validFor?: number } = {}) {
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest<ApproveAgreementRequest>(
      signer,
      this.domains.agreements,
      AgreementTypes,
      "ApproveAgreement",
      { agreementId, ...auth },
    );
  }

  async signSetAgreementSuspended(
    signer: Signer,
    agreementId: bigint | number,
    suspended: boolean,
    o: { validFor?: number } = {},
  ) {
    const auth = await this.auth(this.agreements, signer, o.validFor);
    return signTypedRequest<SetAgreementSuspendedRequest>(
      signer,
      this.domains.agreements,
      AgreementTypes,
      "SetAgreementSuspended",
      { agreementId, suspended, ...auth },
    );
  }

  /** Submits a signed request through `relayer`; refusals become `CONTRACT_REVERTED` with the custom error. */
  async submit(signed: SignedRequest<unknown>, relayer: Signer): Promise<SubmittedRequest> {
    // The request was built by one of the sign* methods above for its primary type.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const r = signed.request as any;
    const sig = signed.signature;
    const consortium = this.consortium.connect(relayer);
    const governance = this.governance.connect(relayer);
    const agreements = this.agreements.connect(relayer);
    const iface =
      signed.primaryType in GovernanceTypes
        ? this.governance.interface
        : signed.primaryType in AgreementTypes
          ? this.agreements.interface
          : this.consortium.interface;
    return submitRequest(signed.primaryType, iface, () => {
      switch (signed.primaryType) {
        case "Propose":
          return governance.propose(r, sig);
        case "Vote":
          return governance.vote(r, sig);
        case "RevokeOwnKey":
          return consortium.revokeOwnKey(r, sig);
        case "AddOwnKey":
          return consortium.addOwnKey(r, sig, (signed as SignedAddOwnKey).keySignature);
        case "ProposeAgreement":
          return agreements.proposeAgreement(r, sig);
        case "ApproveAgreement":
          return agreements.approveAgreement(r, sig);
        case "SetAgreementSuspended":
          return agreements.setAgreementSuspended(r, sig);
        default:
          throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
      }
    });
  }
}
