import {
  sha256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
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
  assuranceMask,
  Assurance,
  KeyAlgorithm,
  KeyPurpose,
  type AssuranceName,
  type KeyAlgorithmName,
  type KeyPurposeName,
} from "./constants";
import {
  chainTimeOf,
  deadlineFrom,
  resolveContract,
  submitRequest,
  toUnixSeconds,
  type SubmittedRequest,
} from "./contract-client";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeProposal, type ProposalParameters } from "./governance";
import { toJurisdiction } from "./jurisdiction";
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
export type ApproveAgreementRequest = Auth & { agreementId: bigint | number };
export type SetAgreementSuspendedRequest = Auth & { agreementId: bigint | number; suspended: boolean };

/** A member's key addition: signed by one of its keys and by the new key. */
export interface SignedAddOwnKey extends SignedRequest<AddOwnKeyRequest> {
  keySignature: Hex;
}

const secs = (d: Date | number | undefined) => (d === undefined ? 0 : toUnixSeconds(d));

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

  /**
   * A member registers a public key of its own — a report key (ES256 or EdDSA) or an encryption key (ECDH-ES on
   * P-256 or X25519) — signed by one of its valid signing keys. The JWK is checked here first (public, supported
   * curve, on the curve, algorithm fit for the purpose), so a bad key fails before any gas is spent.
   * @example
   * const { publicKey } = await generateKeyPair("ES256", { extractable: true });
   * const signed = await c.signAddOwnPublicKey(memberKey, 4, { purpose: "Report", jwk: await exportJWK(publicKey) });
   * await (await c.submit(signed, relayer)).wait();
   */
  async signAddOwnPublicKey(signer: Signer, memberId: bigint | number, p: AddOwnPublicKeyParameters) {
    const jwk = await validateMemberPublicJwk(p.jwk);
    const algorithm = keyAlgorithmFor(p.purpose, jwk, p.algorithm);
    const auth = await this.auth(this.consortium, signer, p.validFor);
    return signTypedRequest<AddOwnPublicKeyRequest>(
      signer,
      this.domains.consortium,
      ConsortiumTypes,
      "AddOwnPublicKey",
      {
        memberId,
        purpose: KeyPurpose[p.purpose],
        algorithm: KeyAlgorithm[algorithm],
        jwk: encodePublicJwk(jwk),
        validFrom: secs(p.validFrom),
        validUntil: secs(p.validUntil),
        ...auth,
      },
    );
  }

  /** A member revokes one of its public keys at once (also while suspended); `key` is its `kid` or `bytes32` id. */
  async signRevokeOwnPublicKey(signer: Signer, memberId: bigint | number, key: string, o: { validFor?: number } = {}) {
    const auth = await this.auth(this.consortium, signer, o.validFor);
    return signTypedRequest<RevokeOwnPublicKeyRequest>(
      signer,
      this.domains.consortium,
      ConsortiumTypes,
      "RevokeOwnPublicKey",
      { memberId, keyId: toKeyId(key), ...auth },
    );
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
    const at = o.at === undefined ? await chainTimeOf(this.provider) : toUnixSeconds(o.at);
    return this.consortium.isValidPublicKey(memberId, toKeyId(key), KeyPurpose[purpose], at);
  }

  /**
   * Every public key a member ever registered (every member's when `memberId` is absent), from the
   * `PublicKeyAdded` events, with its current record (window, revocation). Each event's JWK is checked against its
   * commitment: `sha256(jwk)` must be the key id (`CHAIN_ERROR` otherwise: the node returned inconsistent data).
   * A key whose JWK no JOSE library could use (off the curve, not canonical) is left out.
   */
  async registeredPublicKeys(memberId?: bigint | number, o: { fromBlock?: number } = {}): Promise<MemberPublicKey[]> {
    let events;
    try {
      events = await this.consortium.queryFilter(
        this.consortium.filters.PublicKeyAdded(memberId),
        o.fromBlock ?? 0,
        "latest",
      );
    } catch (err) {
      throw new CrossproofError("CHAIN_ERROR", "cannot read the PublicKeyAdded events", { cause: err });
    }
    const keys: MemberPublicKey[] = [];
    for (const e of events) {
      const { memberId: member, keyId, purpose: purposeCode, algorithm: algorithmCode, jwk: bytes } = e.args;
      if (sha256(bytes) !== keyId) {
        throw new CrossproofError(
          "CHAIN_ERROR",
          `PublicKeyAdded of key ${keyId}: the JWK does not hash to the key id`,
          {
            details: { memberId: member.toString(), keyId, transactionHash: e.transactionHash },
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
      const record = await this.consortium.publicKeyOf(member, keyId);
      keys.push({
        memberId: member,
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
    const [live, registered] = await Promise.all([
      this.consortium.publicKeysOf(memberId, KeyPurpose[purpose]),
      this.registeredPublicKeys(memberId, o),
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
    const at = o.at === undefined ? await chainTimeOf(this.provider) : toUnixSeconds(o.at);
    const members = memberIds === undefined ? undefined : new Set(memberIds.map((m) => BigInt(m)));
    const registered =
      members !== undefined && members.size === 1
        ? await this.registeredPublicKeys([...members][0]!, o)
        : await this.registeredPublicKeys(undefined, o);
    const keys: JWK[] = [];
    const seen = new Set<string>();
    for (const k of registered) {
      if (k.purpose !== "Report" || seen.has(k.kid)) continue;
      if (members !== undefined && !members.has(k.memberId)) continue;
      if (!(await this.consortium.isValidPublicKey(k.memberId, k.keyId, KeyPurpose.Report, at))) continue;
      seen.add(k.kid);
      keys.push(k.jwk);
    }
    return { keys };
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
        case "AddOwnPublicKey":
          return consortium.addOwnPublicKey(r, sig);
        case "RevokeOwnPublicKey":
          return consortium.revokeOwnPublicKey(r, sig);
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
