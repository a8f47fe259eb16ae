/**
 * Talks to the Consortium, its governance and its recognition agreements. The types and rules are `./consortium`.
 */
import { sha256, type ContractRunner, type Provider, type Signer, type TypedDataDomain } from "ethers";
import {
  addressArg,
  enumArg,
  invalidArgument,
  memberIdArg,
  optionalUnixSecondsArg,
  secondsArg,
  uintArg,
  unixSecondsArg,
} from "./arguments";
import { type JSONWebKeySet, type JWK } from "jose";
import {
  ConsortiumGovernance__factory,
  Consortium__factory,
  RecognitionAgreements__factory,
  type Consortium,
  type ConsortiumGovernance,
  type RecognitionAgreements,
} from "./typechain";
import {
  nameOf,
  KeyAlgorithm,
  KeyPurpose,
  ProposalKind,
  type KeyPurposeName,
  type ProposalKindName,
} from "./constants";
import { AssistanceProfileId, type BuiltInProfileName } from "./assistance";
import { ContractClient, resolveContract, preparedContract, type RequestRoutes } from "./contract-client";
import { toCrossproofError } from "./contract-errors";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
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
import {
  type AddOwnKeyRequest,
  type AddOwnPublicKeyParameters,
  type AddOwnPublicKeyRequest,
  type AgreementTermsInput,
  type AgreementTermsStruct,
  AgreementTypes,
  type ApproveAgreementRequest,
  type ConsortiumRequests,
  type ConsortiumResults,
  ConsortiumTypes,
  GovernanceTypes,
  type MemberPublicKey,
  type ProposalParameters,
  type ProposeAgreementRequest,
  type ProposeAgreementWithAssistanceRequest,
  type ProposeRequest,
  type RevokeOwnKeyRequest,
  type RevokeOwnPublicKeyRequest,
  type SetAgreementSuspendedRequest,
  type SignedAddOwnKey,
  type VoteRequest,
  agreementTerms,
  encodeProposal,
  type NonceAndDeadline,
} from "./consortium";

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
    const consortium = preparedContract(Consortium__factory.connect(address, runner));
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
      preparedContract(ConsortiumGovernance__factory.connect(governanceAddress, runner)),
      preparedContract(RecognitionAgreements__factory.connect(agreementsAddress, runner)),
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
  ): Promise<NonceAndDeadline> {
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
