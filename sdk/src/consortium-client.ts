import type { ContractRunner, Provider, Signer, TypedDataDomain, TypedDataField } from "ethers";
import { Consortium__factory, type Consortium } from "../../typechain-types";
import { assuranceMask, type AssuranceName } from "./constants";
import { deadlineFrom, resolveContract, submitRequest, toUnixSeconds, type SubmittedRequest } from "./contract-client";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeProposal, type ProposalParameters } from "./governance";
import { toJurisdiction } from "./jurisdiction";

/** EIP-712 types of the Consortium's signed requests (domain "crossproof Consortium", version "1"). */
export const ConsortiumTypes = {
  RevokeOwnKey: [
    { name: "memberId", type: "uint64" },
    { name: "key", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
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
export type ProposeRequest = Auth & { kind: number; payload: string };
export type VoteRequest = Auth & { proposalId: bigint | number; support: boolean };
export type ProposeAgreementRequest = Auth & { terms: AgreementTermsStruct };
export type ApproveAgreementRequest = Auth & { agreementId: bigint | number };
export type SetAgreementSuspendedRequest = Auth & { agreementId: bigint | number; suspended: boolean };

const secs = (d: Date | number | undefined) => (d === undefined ? 0 : toUnixSeconds(d));

/** Maps agreement terms in the domain's words to the contract's struct. */
export function agreementTerms(t: AgreementTermsInput): AgreementTermsStruct {
  const bad = t.categories.find((c) => !Number.isInteger(c) || c < 0 || c > 63);
  if (bad !== undefined) throw new CrossproofError("INVALID_ARGUMENT", `evidence category out of 0-63: ${bad}`);
  return {
    from: toJurisdiction(t.from),
    to: toJurisdiction(t.to),
    categories: t.categories.reduce((m, c) => m | (1n << BigInt(c)), 0n),
    minAssurance: assuranceMask(t.minAssurance ?? []),
    effectiveFrom: secs(t.effectiveFrom),
    expiresAt: secs(t.expiresAt),
    responseWindow: t.responseWindow ?? 0,
    emergencyResponseWindow: t.emergencyResponseWindow ?? 0,
    textHash: t.textHash as Hex,
  };
}

/**
 * Signs the Consortium's member requests — governance proposals and votes, recognition agreements, revoking one's
 * own key — for any member key, and submits them through any relayer.
 * @example
 * const c = await ConsortiumClient.connect(address, provider);
 * const signed = await c.signPropose(governorKey, { kind: "SuspendMember", memberId: 4 });
 * await (await c.submit(signed, relayer)).wait();
 */
export class ConsortiumClient {
  private constructor(
    readonly consortium: Consortium,
    readonly domain: TypedDataDomain,
    private readonly provider: Provider,
  ) {}

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<ConsortiumClient> {
    const { provider, domain } = await resolveContract("Consortium", address, runner);
    return new ConsortiumClient(Consortium__factory.connect(address, runner), domain, provider);
  }

  private async auth(signer: Signer, validFor?: number, nonce?: bigint): Promise<Auth> {
    return {
      nonce: nonce ?? (await this.consortium.nonces(await signer.getAddress())),
      deadline: await deadlineFrom(this.provider, validFor),
    };
  }

  private sign<T>(signer: Signer, primaryType: keyof typeof ConsortiumTypes, value: T): Promise<SignedRequest<T>> {
    return signTypedRequest(signer, this.domain, ConsortiumTypes, primaryType, value);
  }

  async signPropose(signer: Signer, proposal: ProposalParameters, o: { validFor?: number; nonce?: bigint } = {}) {
    const p = encodeProposal(proposal);
    return this.sign<ProposeRequest>(signer, "Propose", { ...p, ...(await this.auth(signer, o.validFor, o.nonce)) });
  }

  async signVote(signer: Signer, proposalId: bigint | number, support: boolean, o: { validFor?: number } = {}) {
    return this.sign<VoteRequest>(signer, "Vote", { proposalId, support, ...(await this.auth(signer, o.validFor)) });
  }

  async signRevokeOwnKey(signer: Signer, memberId: bigint | number, key: string, o: { validFor?: number } = {}) {
    return this.sign<RevokeOwnKeyRequest>(signer, "RevokeOwnKey", {
      memberId,
      key,
      ...(await this.auth(signer, o.validFor)),
    });
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
    return this.sign<ProposeAgreementRequest>(signer, "ProposeAgreement", {
      terms: struct,
      ...(await this.auth(signer, o.validFor)),
    });
  }

  async signApproveAgreement(signer: Signer, agreementId: bigint | number, o: { validFor?: number } = {}) {
    return this.sign<ApproveAgreementRequest>(signer, "ApproveAgreement", {
      agreementId,
      ...(await this.auth(signer, o.validFor)),
    });
  }

  async signSetAgreementSuspended(
    signer: Signer,
    agreementId: bigint | number,
    suspended: boolean,
    o: { validFor?: number } = {},
  ) {
    return this.sign<SetAgreementSuspendedRequest>(signer, "SetAgreementSuspended", {
      agreementId,
      suspended,
      ...(await this.auth(signer, o.validFor)),
    });
  }

  /** Submits a signed request through `relayer`; refusals become `CONTRACT_REVERTED` with the custom error. */
  async submit(signed: SignedRequest<unknown>, relayer: Signer): Promise<SubmittedRequest> {
    const c = this.consortium.connect(relayer);
    const r = signed.request as Auth & Record<string, unknown>;
    const auth = { nonce: r.nonce, deadline: r.deadline, signature: signed.signature };
    return submitRequest(signed.primaryType, this.consortium.interface, () => {
      switch (signed.primaryType) {
        case "Propose":
          return c.propose(r.kind as number, r.payload as string, auth);
        case "Vote":
          return c.vote(r.proposalId as bigint, r.support as boolean, auth);
        case "RevokeOwnKey":
          return c.revokeOwnKey(r.memberId as bigint, r.key as string, auth);
        case "ProposeAgreement":
          return c.proposeAgreement(r.terms as AgreementTermsStruct, auth);
        case "ApproveAgreement":
          return c.approveAgreement(r.agreementId as bigint, auth);
        case "SetAgreementSuspended":
          return c.setAgreementSuspended(r.agreementId as bigint, r.suspended as boolean, auth);
        default:
          throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
      }
    });
  }
}
