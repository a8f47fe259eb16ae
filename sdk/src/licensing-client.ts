/**
 * Talks to a LicenseRegistry: signs, submits and reads works, licences and disputes, and explains authorisations.
 * The types and rules are `./licensing`.
 */
import {
  ZeroAddress,
  ZeroHash,
  keccak256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import { LicenseRegistry__factory, type LicenseRegistry } from "./typechain";
import {
  addressArg,
  bytes32Arg,
  enumArg,
  flagsArg,
  invalidArgument,
  jurisdictionArg,
  memberIdArg,
  optionalBytes32Arg,
  optionalJurisdictionArg,
  optionalUnixSecondsArg,
  uintArg,
  unixSecondsArg,
} from "./arguments";
import { cidFromBytes, cidToBytes } from "./cid";
import { ContractClient, resolveContract, preparedContract, type RequestRoutes } from "./contract-client";
import { type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { fingerprintDigest, type Fingerprint } from "./fingerprint";
import { fromJurisdiction, toJurisdiction } from "./jurisdiction";
import {
  AuthorizationReason,
  GrantType,
  Right,
  rightNames,
  type AuthorizationReasonName,
  type GrantTypeName,
  type RightName,
} from "./constants";
import { closestCandidate, type UploadAuthorization, type UploadQuery } from "./authorization";
import {
  type AccountLinkView,
  type AssignWorkRequest,
  type AuthorizationExplanation,
  DisputeStatus,
  type DisputeView,
  type FileWorkDisputeRequest,
  type GrantLicenceRequest,
  type HoldingView,
  type LicenceView,
  type LicenseRegistryRequests,
  type LinkAccountRequest,
  type LicenseRegistryResults,
  type RegisterWorkRequest,
  type RevokeLicenceRequest,
  type SetResidenceRequest,
  type SetFingerprintRequest,
  type SignedAccountLink,
  type SignedAssignment,
  type UnlinkAccountRequest,
  type WorkView,
  describeAuthorization,
  territoryCodes,
  expandTerritories,
  signLicenceRequest,
} from "./licensing";

const lower = (h: unknown) => String(h).toLowerCase() as Hex;
const short = (h: string) => `${h.slice(0, 10)}…`;
/** Upload questions answered at once by {@link LicenceClient.authorizeUploads} (each makes a few node calls). */
const UPLOAD_WAVE = 128;

/** Where each LicenseRegistry request goes and how its result is read. */
function licenceRoutes(registry: LicenseRegistry): RequestRoutes<LicenseRegistryResults> {
  return {
    RegisterWork: {
      contract: registry,
      method: "registerWork",
      action: "registering a work",
      result: (events) => {
        const a = events.argsOf("WorkRegistered");
        return {
          workId: lower(a.workId),
          rightsHolder: a.rightsHolder as string,
          registrarMemberId: a.registrarMemberId as bigint,
        };
      },
    },
    AssignWork: {
      contract: registry,
      method: "assignWork",
      action: "assigning a work",
      cosignatures: [
        { name: "newHolderSignature", description: "the new holder's signature (see signAssignment)" },
      ] satisfies { name: keyof SignedAssignment; description: string }[],
      result: (events) => {
        const a = events.argsOf("WorkAssigned");
        return { workId: lower(a.workId), from: a.from as string, to: a.to as string };
      },
    },
    GrantLicence: {
      contract: registry,
      method: "grantLicence",
      action: "granting a licence",
      result: (events) => {
        const a = events.argsOf("LicenceGranted");
        return {
          licenceId: lower(a.licenceId),
          workId: lower(a.workId),
          parentId: lower(a.parentId),
          licensor: a.licensor as string,
          licensee: a.licensee as string,
        };
      },
    },
    RevokeLicence: {
      contract: registry,
      method: "revokeLicence",
      action: "revoking a licence",
      result: (events) => {
        const a = events.argsOf("LicenceRevoked");
        return { licenceId: lower(a.licenceId), licensor: a.licensor as string, revokedAt: Number(a.revokedAt) };
      },
    },
    SetResidence: {
      contract: registry,
      method: "setResidence",
      action: "stating the rights holder's residence",
      result: (events) => {
        const a = events.argsOf("WorkResidenceSet");
        return {
          workId: lower(a.workId),
          holder: a.holder as string,
          residence: /^0x0{4}$/.test(String(a.residence)) ? undefined : fromJurisdiction(String(a.residence)),
        };
      },
    },
    SetFingerprint: {
      contract: registry,
      method: "setFingerprint",
      action: "setting a work's fingerprint",
      result: (events) => {
        const a = events.argsOf("WorkFingerprintSet");
        const hash = lower(a.fingerprintHash);
        return {
          workId: lower(a.workId),
          holder: a.holder as string,
          fingerprintHash: hash === ZeroHash ? undefined : hash,
          fingerprintCid: hash === ZeroHash ? undefined : cidFromBytes(String(a.fingerprintCid)),
        };
      },
    },
    LinkAccount: {
      contract: registry,
      method: "linkAccount",
      action: "linking an uploader account",
      cosignatures: [
        { name: "platformSignature", description: "the platform member's confirmation (see confirmAccountLink)" },
      ] satisfies { name: keyof SignedAccountLink; description: string }[],
      result: (events) => {
        const a = events.argsOf("AccountLinked");
        return {
          platform: a.platform as bigint,
          accountHash: lower(a.accountHash),
          licensee: a.licensee as string,
          confirmedBy: a.confirmedBy as string,
        };
      },
    },
    UnlinkAccount: {
      contract: registry,
      method: "unlinkAccount",
      action: "unlinking an uploader account",
      result: (events) => {
        const a = events.argsOf("AccountUnlinked");
        return {
          platform: a.platform as bigint,
          accountHash: lower(a.accountHash),
          licensee: a.licensee as string,
          unlinkedBy: a.unlinkedBy as string,
        };
      },
    },
    FileWorkDispute: {
      contract: registry,
      method: "fileDispute",
      action: "filing a work dispute",
      result: (events) => {
        const a = events.argsOf("WorkDisputeFiled");
        return { disputeId: a.disputeId as bigint, workId: lower(a.workId), claimant: a.claimant as string };
      },
    },
  };
}

/**
 * Talks to a LicenseRegistry: signs every licence action, submits through any relayer, reads chains and explains
 * verification results in plain words (for the CLI, the gateway and court reports). Arguments are checked before
 * any network call (`INVALID_ARGUMENT`).
 * @example
 * const licences = await LicenceClient.connect(address, provider);
 * const { workId } = await (await licences.submit(await licences.signRegisterWork(holder, work), relayer)).wait();
 */
export class LicenceClient extends ContractClient<LicenseRegistryRequests, LicenseRegistryResults> {
  private constructor(
    readonly registry: LicenseRegistry,
    domain: TypedDataDomain,
    provider: Provider,
  ) {
    super(domain, provider, licenceRoutes(registry));
  }

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<LicenceClient> {
    const { provider, domain } = await resolveContract("LicenseRegistry", address, runner);
    return new LicenceClient(preparedContract(LicenseRegistry__factory.connect(address, runner)), domain, provider);
  }

  /**
   * Signs a work registration (by the rights holder, or by a REGISTRY member's key on its behalf). With a
   * `fingerprint`, the record carries its digest; its CID reaches the chain with {@link signSetFingerprint}, signed
   * by the holder (gateways index a work's fingerprint from that event).
   */
  async signRegisterWork(
    signer: Signer,
    p: {
      contentHash: string;
      rightsHolder: string;
      originJurisdiction: string;
      metadataCid: string;
      /** The digest of the work's fingerprint file (`fingerprintDigest`), or give `fingerprint` itself. */
      fingerprintHash?: string;
      fingerprint?: Fingerprint;
      validFor?: number;
    },
  ): Promise<SignedRequest<RegisterWorkRequest, "RegisterWork">> {
    if (p.fingerprint !== undefined && p.fingerprintHash !== undefined) {
      invalidArgument("fingerprintHash", p.fingerprintHash, "omitted when fingerprint is given");
    }
    const request = {
      contentHash: bytes32Arg("contentHash", p.contentHash, { nonZero: true }),
      fingerprintHash:
        p.fingerprint === undefined
          ? optionalBytes32Arg("fingerprintHash", p.fingerprintHash)
          : fingerprintDigest(p.fingerprint),
      rightsHolder: addressArg("rightsHolder", p.rightsHolder, { nonZero: true }),
      originJurisdiction: jurisdictionArg("originJurisdiction", p.originJurisdiction),
      metadataCid: cidToBytes(p.metadataCid),
    };
    return signLicenceRequest(signer, this.domain, "RegisterWork", {
      ...request,
      deadline: await this.deadline(p.validFor),
    });
  }

  /** Builds an assignment; both the current holder and the new one sign the same request ({@link signAssignment}). */
  async prepareAssignment(p: {
    workId: string;
    from: string;
    to: string;
    agreementHash: string;
    validFor?: number;
  }): Promise<AssignWorkRequest> {
    const request = {
      workId: bytes32Arg("workId", p.workId, { nonZero: true }),
      from: addressArg("from", p.from, { nonZero: true }),
      to: addressArg("to", p.to, { nonZero: true }),
      agreementHash: bytes32Arg("agreementHash", p.agreementHash),
    };
    return {
      ...request,
      nonce: await this.nonceOf(this.registry, request.from),
      deadline: await this.deadline(p.validFor),
    };
  }

  /**
   * An assignment signed by the current holder and by the new holder, ready to submit.
   * @example
   * const signed = await licences.signAssignment(holder, newHolder, { workId, agreementHash });
   * const { to } = await (await licences.submit(signed, relayer)).wait();
   */
  async signAssignment(
    holder: Signer,
    newHolder: Signer,
    p: { workId: string; agreementHash: string; validFor?: number },
  ): Promise<SignedAssignment> {
    const request = await this.prepareAssignment({
      ...p,
      from: await holder.getAddress(),
      to: await newHolder.getAddress(),
    });
    const signed = await signLicenceRequest(holder, this.domain, "AssignWork", request);
    const second = await signLicenceRequest(newHolder, this.domain, "AssignWork", request);
    return { ...signed, newHolderSignature: second.signature };
  }

  /**
   * Signs a grant. `start` omitted (or 0) means "from the grant's block"; a start at or before the chain's current
   * time must be signed `backdated: true` — root licences only — and is then stored and shown as back-dated.
   * @example
   * const signed = await client.signGrant(holder, { workId, licensee, rights: ["BROADCAST"], territories: ["EU"],
   *   end: new Date("2027-01-01") });
   * const { licenceId } = await (await client.submit(signed, relayer)).wait();
   */
  async signGrant(
    signer: Signer,
    p: {
      workId: string;
      parentId?: string;
      licensor?: string;
      licensee: string;
      rights: readonly RightName[];
      grantType?: GrantTypeName;
      sublicensable?: boolean;
      /** Omitted or 0: from the grant's block. */
      start?: Date | number;
      /** The start lies in the past and the licensor says so (root licences only). */
      backdated?: boolean;
      end: Date | number;
      /** ISO codes or groups (`EU`); omitted with `worldwide: true` for the world. */
      territories?: readonly string[];
      worldwide?: boolean;
      agreementHash?: string;
      salt?: string;
      validFor?: number;
    },
  ): Promise<SignedRequest<GrantLicenceRequest, "GrantLicence">> {
    const worldwide = p.worldwide ?? false;
    const workId = bytes32Arg("workId", p.workId, { nonZero: true });
    const parentId = optionalBytes32Arg("parentId", p.parentId);
    const licensor = p.licensor === undefined ? undefined : addressArg("licensor", p.licensor, { nonZero: true });
    const licensee = addressArg("licensee", p.licensee, { nonZero: true });
    const rights = flagsArg("rights", p.rights, Right);
    const grantType = enumArg("grantType", p.grantType ?? "NonExclusive", GrantType);
    const start = optionalUnixSecondsArg("start", p.start);
    const end = unixSecondsArg("end", p.end);
    if (!Array.isArray(p.territories ?? [])) invalidArgument("territories", p.territories, "a list of ISO codes");
    const territories = worldwide ? [] : expandTerritories(p.territories ?? []).map((c) => toJurisdiction(c));
    const agreementHash = optionalBytes32Arg("agreementHash", p.agreementHash);
    const salt =
      p.salt === undefined
        ? (keccak256(crypto.getRandomValues(new Uint8Array(32))) as Hex)
        : bytes32Arg("salt", p.salt);
    const backdated = p.backdated ?? false;
    if (backdated && parentId !== (ZeroHash as Hex)) {
      throw new CrossproofError("INVALID_ARGUMENT", "only root licences may be back-dated, never sublicences");
    }
    const now = await this.chainTime();
    if (backdated && (start === 0 || start > now)) {
      throw new CrossproofError(
        "INVALID_ARGUMENT",
        `a back-dated licence needs a start in the past (chain time ${now})`,
      );
    }
    if (!backdated && start !== 0 && start <= now) {
      throw new CrossproofError(
        "INVALID_ARGUMENT",
        `start ${start} is not after the chain's current time ${now}: omit it (from the grant's block), ` +
          "or sign backdated: true (root licences only)",
      );
    }
    return signLicenceRequest(signer, this.domain, "GrantLicence", {
      workId,
      parentId,
      licensor: licensor ?? (await signer.getAddress()),
      licensee,
      rights,
      grantType,
      sublicensable: p.sublicensable ?? false,
      start,
      backdated,
      end,
      worldwide,
      territories,
      agreementHash,
      salt,
      deadline: await this.deadline(p.validFor),
    });
  }

  /** Signs the revocation of a licence by its licensor. */
  async signRevoke(
    signer: Signer,
    p: { licenceId: string; reasonHash: string; licensor?: string; validFor?: number },
  ): Promise<SignedRequest<RevokeLicenceRequest, "RevokeLicence">> {
    const licenceId = bytes32Arg("licenceId", p.licenceId, { nonZero: true });
    const reasonHash = bytes32Arg("reasonHash", p.reasonHash);
    const licensor =
      p.licensor === undefined ? await signer.getAddress() : addressArg("licensor", p.licensor, { nonZero: true });
    return signLicenceRequest(signer, this.domain, "RevokeLicence", {
      licenceId,
      reasonHash,
      nonce: await this.nonceOf(this.registry, licensor),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * A REGISTRY member's key signs a dispute over who holds a work; governance resolves it (a `ResolveWorkDispute`
   * proposal, see `encodeProposal`). The dispute id is what the submitted request's `wait()` resolves to.
   * @example
   * const signed = await client.signFileDispute(registryKey, { workId, claimant, evidenceHash });
   * const { disputeId } = await (await client.submit(signed, relayer)).wait();
   */
  async signFileDispute(
    signer: Signer,
    p: {
      workId: string;
      claimant: string;
      /** Index in the holder history of the first contested holding; 0 (the default) contests the registration. */
      fromHolding?: number;
      evidenceHash: string;
      validFor?: number;
    },
  ): Promise<SignedRequest<FileWorkDisputeRequest, "FileWorkDispute">> {
    const request = {
      workId: bytes32Arg("workId", p.workId, { nonZero: true }),
      claimant: addressArg("claimant", p.claimant, { nonZero: true }),
      fromHolding: Number(uintArg("fromHolding", p.fromHolding ?? 0, 32, "a holding index (0 = the registration)")),
      evidenceHash: bytes32Arg("evidenceHash", p.evidenceHash),
    };
    return signLicenceRequest(signer, this.domain, "FileWorkDispute", {
      ...request,
      nonce: await this.nonceOf(this.registry, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * The current rights holder states the country it resides in (omitted or undefined: withdraws the statement).
   * With the primary-dissemination place it is the joint jurisdiction of a licensing dispute.
   */
  async signSetResidence(
    signer: Signer,
    p: { workId: string; residence?: string; holder?: string; validFor?: number },
  ): Promise<SignedRequest<SetResidenceRequest, "SetResidence">> {
    const workId = bytes32Arg("workId", p.workId, { nonZero: true });
    const residence = optionalJurisdictionArg("residence", p.residence);
    const holder =
      p.holder === undefined ? await signer.getAddress() : addressArg("holder", p.holder, { nonZero: true });
    return signLicenceRequest(signer, this.domain, "SetResidence", {
      workId,
      holder,
      residence,
      nonce: await this.nonceOf(this.registry, holder),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * The current rights holder sets or replaces the work's fingerprint file: its digest (the SDK's
   * `fingerprintDigest`) and its CID in the content store (see `storeFingerprint`), so that gateways can index it
   * and match edited clips against the work. Both omitted: withdraws the work's fingerprint.
   * @example
   * const { cid, digest } = await storeFingerprint(store, await extractFingerprint("work.mp4"));
   * const signed = await licences.signSetFingerprint(holder, { workId, fingerprintHash: digest, fingerprintCid: cid });
   * await (await licences.submit(signed, relayer)).wait();
   */
  async signSetFingerprint(
    signer: Signer,
    p: { workId: string; fingerprintHash?: string; fingerprintCid?: string; holder?: string; validFor?: number },
  ): Promise<SignedRequest<SetFingerprintRequest, "SetFingerprint">> {
    const workId = bytes32Arg("workId", p.workId, { nonZero: true });
    if ((p.fingerprintHash === undefined) !== (p.fingerprintCid === undefined)) {
      invalidArgument(
        "fingerprintCid",
        p.fingerprintCid,
        "given exactly when fingerprintHash is",
        "a fingerprint's digest and CID go together (both, or neither to withdraw it)",
      );
    }
    const fingerprintHash =
      p.fingerprintHash === undefined
        ? (ZeroHash as Hex)
        : bytes32Arg("fingerprintHash", p.fingerprintHash, { nonZero: true });
    const fingerprintCid = p.fingerprintCid === undefined ? ("0x" as Hex) : cidToBytes(p.fingerprintCid);
    const holder =
      p.holder === undefined ? await signer.getAddress() : addressArg("holder", p.holder, { nonZero: true });
    return signLicenceRequest(signer, this.domain, "SetFingerprint", {
      workId,
      holder,
      fingerprintHash,
      fingerprintCid,
      nonce: await this.nonceOf(this.registry, holder),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * The licensee's half of an account link: "account `accountHash` on platform member `platform` is mine". The
   * platform confirms it with {@link confirmAccountLink} (after checking that its signed-in user asked for it); the
   * result is submitted like any request.
   * @example
   * const asked = await licences.signLinkAccount(licensee, { platform: 4, accountHash });
   * const link = await licences.confirmAccountLink(platformKey, asked); // on the platform's side
   * await (await licences.submit(link, relayer)).wait();
   */
  async signLinkAccount(
    licensee: Signer,
    p: { platform: bigint | number; accountHash: string; validFor?: number },
  ): Promise<SignedRequest<LinkAccountRequest, "LinkAccount">> {
    const platform = memberIdArg("platform", p.platform, { nonZero: true });
    const accountHash = bytes32Arg("accountHash", p.accountHash, { nonZero: true });
    const address = await licensee.getAddress();
    return signLicenceRequest(licensee, this.domain, "LinkAccount", {
      licensee: address,
      platform,
      accountHash,
      nonce: await this.nonceOf(this.registry, address),
      deadline: await this.deadline(p.validFor),
    });
  }

  /**
   * The platform member's key confirms a licensee's link request (the same request, signed again). Refuses a request
   * signed by anyone but its licensee, or for another platform than `platformMemberId` when given.
   */
  async confirmAccountLink(
    platformKey: Signer,
    asked: SignedRequest<LinkAccountRequest, "LinkAccount">,
    o: { platformMemberId?: bigint | number } = {},
  ): Promise<SignedAccountLink> {
    if (asked.signer.toLowerCase() !== asked.request.licensee.toLowerCase()) {
      throw new CrossproofError("INVALID_ARGUMENT", "the link request is not signed by the licensee it names");
    }
    if (o.platformMemberId !== undefined && BigInt(o.platformMemberId) !== BigInt(asked.request.platform)) {
      throw new CrossproofError(
        "INVALID_ARGUMENT",
        `the link request names platform ${asked.request.platform}, not ${o.platformMemberId}`,
      );
    }
    const confirmed = await signLicenceRequest(platformKey, this.domain, "LinkAccount", asked.request);
    return { ...asked, platformSignature: confirmed.signature };
  }

  /** Ends an account link: signed by the linked licensee or by a key of the platform member. */
  async signUnlinkAccount(
    signer: Signer,
    p: { platform: bigint | number; accountHash: string; validFor?: number },
  ): Promise<SignedRequest<UnlinkAccountRequest, "UnlinkAccount">> {
    return signLicenceRequest(signer, this.domain, "UnlinkAccount", {
      platform: memberIdArg("platform", p.platform, { nonZero: true }),
      accountHash: bytes32Arg("accountHash", p.accountHash, { nonZero: true }),
      nonce: await this.nonceOf(this.registry, signer),
      deadline: await this.deadline(p.validFor),
    });
  }

  /** A registered work with its holder's stated residence, or undefined. */
  async getWork(workId: string): Promise<WorkView | undefined> {
    const id = bytes32Arg("workId", workId);
    const w = await this.read("reading the work", () => this.registry.getWork(id));
    if (Number(w.registeredAt) === 0) return undefined;
    return {
      workId: id,
      rightsHolder: w.rightsHolder,
      registeredAt: Number(w.registeredAt),
      originJurisdiction: fromJurisdiction(w.originJurisdiction),
      holderResidence: /^0x0{4}$/.test(w.holderResidence) ? undefined : fromJurisdiction(w.holderResidence),
    };
  }

  /** Who an uploader account on a platform is linked to now. */
  async getAccountLink(platform: bigint | number, accountHash: string): Promise<AccountLinkView> {
    const p = memberIdArg("platform", platform, { nonZero: true });
    const h = bytes32Arg("accountHash", accountHash);
    const link = await this.read("reading the account link", () => this.registry.accountLink(p, h));
    return {
      platform: p,
      accountHash: h,
      licensee: link.licensee === ZeroAddress ? undefined : link.licensee,
      linkedAt: Number(link.linkedAt),
    };
  }

  /**
   * Answers upload questions ("may this account's upload of this work go online in this territory, for this right,
   * at this time?") from the chain. `candidatesOf(workId, licensee)` lists the licences worth judging — those of the
   * work naming the licensee (the gateway's index; any list will do, each is checked on chain to be the work's and
   * the licensee's) — newest first. Every read runs at one block (`blockTag`, default the latest): the work
   * (UNKNOWN_WORK), the account's link now (UNKNOWN_ACCOUNT), `verifyAuthorization` for every candidate (ALLOWED
   * with the first OK chain, else NOT_LICENSED with the closest one, see `CLOSENESS`, or reason NO_LICENCE), and
   * `chainAt` for the answered chain, explained by {@link describeAuthorization}. Reads are shared across the items.
   * @example
   * const [a] = await licences.authorizeUploads([{ workId, platform: 4n, accountHash, right: "MAKE_AVAILABLE",
   *   territory: "FR", atTime: now }], (w, l) => index.licences(w, l));
   */
  async authorizeUploads(
    queries: readonly {
      workId: string;
      platform: bigint | number;
      accountHash: string;
      right: RightName;
      territory: string;
      atTime: Date | number;
    }[],
    candidatesOf: (workId: Hex, licensee: string) => readonly string[] | Promise<readonly string[]>,
    o: { blockTag?: number } = {},
  ): Promise<UploadAuthorization[]> {
    const items = queries.map((q, i) => ({
      workId: bytes32Arg(`queries[${i}].workId`, q.workId, { nonZero: true }),
      platform: memberIdArg(`queries[${i}].platform`, q.platform, { nonZero: true }),
      accountHash: bytes32Arg(`queries[${i}].accountHash`, q.accountHash, { nonZero: true }).toLowerCase() as Hex,
      rightBit: enumArg(`queries[${i}].right`, q.right, Right),
      right: q.right,
      territoryCode: jurisdictionArg(`queries[${i}].territory`, q.territory),
      territory: q.territory,
      atTime: unixSecondsArg(`queries[${i}].atTime`, q.atTime),
    }));
    const overrides = {
      blockTag: o.blockTag ?? (await this.read("reading the block", () => this.provider.getBlockNumber())),
    };
    const memo = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      let p = memo.get(key) as Promise<T> | undefined;
      if (p === undefined) {
        p = this.read("answering an upload question", load);
        memo.set(key, p);
      }
      return p;
    };
    const work = (id: Hex) => once(`w${id}`, () => this.registry.getWork(id, overrides));
    const link = (platform: bigint, h: Hex) =>
      once(`a${platform}:${h}`, () => this.registry.accountLink(platform, h, overrides));
    const licence = (id: string) => once(`l${id}`, () => this.registry.getLicence(id, overrides));
    const holders = (id: Hex) => once(`h${id}`, () => this.getHolders(id));
    const view = async (id: string): Promise<LicenceView> => {
      const l = await licence(id);
      return {
        licenceId: id.toLowerCase() as Hex,
        workId: l.workId as Hex,
        parentId: l.parentId as Hex,
        licensor: l.licensor,
        licensee: l.licensee,
        rights: rightNames(Number(l.rights)),
        grantType: (Object.keys(GrantType) as GrantTypeName[])[Number(l.grantType)]!,
        sublicensable: l.sublicensable,
        start: Number(l.start),
        backdated: l.backdated,
        end: Number(l.end),
        worldwide: l.worldwide,
        territories: l.worldwide ? [] : territoryCodes(l.territories),
        depth: Number(l.depth),
        revokedAt: Number(l.revokedAt),
        grantedUnderHolding: Number(l.grantedUnderHolding),
        // Not read here (it is in the grant's event); no answer shows it.
        agreementHash: ZeroHash as Hex,
      };
    };

    const answer = async (q: (typeof items)[number]): Promise<UploadAuthorization> => {
      const query: UploadQuery = {
        workId: q.workId.toLowerCase() as Hex,
        platform: q.platform,
        accountHash: q.accountHash,
        right: q.right,
        territory: fromJurisdiction(q.territoryCode),
        atTime: q.atTime,
      };
      const [w, l] = await Promise.all([work(q.workId), link(q.platform, q.accountHash)]);
      if (Number(w.registeredAt) === 0) {
        return {
          query,
          answer: "UNKNOWN_WORK",
          chain: [],
          candidates: 0,
          summary: `Work ${q.workId} is not registered.`,
        };
      }
      if (l.licensee === ZeroAddress) {
        return {
          query,
          answer: "UNKNOWN_ACCOUNT",
          chain: [],
          candidates: 0,
          summary: `Account ${short(q.accountHash)} is linked to no licensee on platform ${q.platform}.`,
        };
      }
      const licensee = l.licensee;
      const listed = [...new Set((await candidatesOf(query.workId, licensee)).map((c) => c.toLowerCase()))];
      const judged = (
        await Promise.all(
          listed.map(async (id) => {
            const lic = await licence(id);
            if (lic.workId.toLowerCase() !== query.workId || lic.licensee.toLowerCase() !== licensee.toLowerCase()) {
              return undefined;
            }
            const [reason, failedAt] = await once(`v${id}:${q.rightBit}:${q.territoryCode}:${q.atTime}`, () =>
              this.registry.verifyAuthorization(id, q.rightBit, q.territoryCode, q.atTime, overrides),
            );
            return { id: id as Hex, reason: AuthorizationReason[Number(reason)]!, failedAt: failedAt as Hex };
          }),
        )
      ).filter((c) => c !== undefined);
      const best = closestCandidate(judged);
      if (best === undefined) {
        return {
          query,
          answer: "NOT_LICENSED",
          reason: "NO_LICENCE",
          licensee,
          chain: [],
          candidates: 0,
          summary:
            `Not authorised: no licence of work ${short(q.workId)} names ${licensee}, the licensee account ` +
            `${short(q.accountHash)} is linked to.`,
        };
      }
      const links = await once(`c${best.id}:${q.rightBit}:${q.territoryCode}:${q.atTime}`, () =>
        this.registry.chainAt(best.id, q.rightBit, q.territoryCode, q.atTime, overrides),
      );
      const reasonOf = (r: bigint) => AuthorizationReason[Number(r)] as AuthorizationReasonName;
      const voided = links.some((x) => reasonOf(x.reason) === "TITLE_VOIDED");
      const explained = describeAuthorization({
        licenceId: best.id,
        right: q.right,
        territory: query.territory,
        atTime: q.atTime,
        reason: best.reason,
        failedAt: best.failedAt,
        links: await Promise.all(
          links.map(async (x) => ({ licence: await view(x.licenceId), valid: x.valid, reason: reasonOf(x.reason) })),
        ),
        holdings: voided ? await holders(query.workId) : [],
        rightsHolderAtTime: undefined,
      });
      return {
        query,
        answer: best.reason === "OK" ? "ALLOWED" : "NOT_LICENSED",
        reason: best.reason,
        licensee,
        licenceId: best.id,
        ...(best.reason === "OK" ? {} : { failedAt: best.failedAt.toLowerCase() as Hex }),
        chain: explained.chain.map((c) => ({
          licenceId: c.licence.licenceId,
          licensor: c.licence.licensor,
          licensee: c.licence.licensee,
          valid: c.valid,
          reason: c.reason,
          explanation: c.explanation,
        })),
        candidates: judged.length,
        summary: explained.summary,
      };
    };
    // Items in waves, so that a batch of a thousand does not open thousands of node requests at once.
    const out: UploadAuthorization[] = [];
    for (let i = 0; i < items.length; i += UPLOAD_WAVE) {
      out.push(...(await Promise.all(items.slice(i, i + UPLOAD_WAVE).map(answer))));
    }
    return out;
  }

  /** A licence with its grant event's fields (territory codes, agreement hash), or undefined. */
  async getLicence(licenceId: string): Promise<LicenceView | undefined> {
    const id = bytes32Arg("licenceId", licenceId);
    return this.read("reading the licence", async () => {
      const l = await this.registry.getLicence(id);
      if (l.licensor === ZeroAddress) return undefined;
      const logs = await this.registry.queryFilter(this.registry.filters.LicenceGranted(id));
      const ev = logs[0]?.args;
      return {
        licenceId: id,
        workId: l.workId as Hex,
        parentId: l.parentId as Hex,
        licensor: l.licensor,
        licensee: l.licensee,
        rights: rightNames(Number(l.rights)),
        grantType: (Object.keys(GrantType) as GrantTypeName[])[Number(l.grantType)]!,
        sublicensable: l.sublicensable,
        start: Number(l.start),
        backdated: l.backdated,
        end: Number(l.end),
        worldwide: l.worldwide,
        territories:
          ev === undefined ? [] : [...new Set(ev.territories.map((t: string) => fromJurisdiction(t)))].sort(),
        depth: Number(l.depth),
        revokedAt: Number(l.revokedAt),
        grantedUnderHolding: Number(l.grantedUnderHolding),
        agreementHash: (ev?.agreementHash ?? (ZeroHash as Hex)) as Hex,
      };
    });
  }

  /** The work's holder history, oldest first, with forced assignments and voided holdings marked. */
  async getHolders(workId: string): Promise<HoldingView[]> {
    const id = bytes32Arg("workId", workId);
    const holdings = await this.read("reading the holders", () => this.registry.holdersOf(id));
    return holdings.map((h, index) => ({
      index,
      holder: h.holder,
      since: Number(h.since),
      forced: h.forced,
      voided: h.voided,
    }));
  }

  /** A dispute over a work, or undefined if there is none with that id. */
  async getDispute(disputeId: bigint | number): Promise<DisputeView | undefined> {
    const id = uintArg("disputeId", disputeId, 256, "a dispute id (a whole number)");
    const d = await this.read("reading the dispute", () => this.registry.getDispute(id));
    const status = DisputeStatus[Number(d.status)]!;
    if (status === "None") return undefined;
    return {
      disputeId: id,
      workId: d.workId as Hex,
      claimant: d.claimant,
      filedAt: Number(d.filedAt),
      status,
      fromHolding: Number(d.fromHolding),
      filedBy: d.filedBy,
      resolvedAt: Number(d.resolvedAt),
    };
  }

  /**
   * Verifies on chain whether `licenceId` authorised `right` in `territory` at `atTime`, and explains every link of
   * the chain in plain words.
   */
  async explainAuthorization(
    licenceId: string,
    right: RightName,
    territory: string,
    atTime: Date | number,
  ): Promise<AuthorizationExplanation> {
    const id = bytes32Arg("licenceId", licenceId);
    const rightBit = enumArg("right", right, Right);
    const code = jurisdictionArg("territory", territory);
    const t = unixSecondsArg("atTime", atTime);
    const [[reasonCode, failedAt], links] = await this.read("verifying the authorization", () =>
      Promise.all([
        this.registry.verifyAuthorization(id, rightBit, code, t),
        this.registry.chainAt(id, rightBit, code, t),
      ]),
    );
    const licences: LicenceView[] = [];
    for (const link of links) licences.push((await this.getLicence(link.licenceId))!);
    const workId = licences[0]?.workId;
    const voided = links.some((l) => AuthorizationReason[Number(l.reason)] === "TITLE_VOIDED");
    const holdings = voided && workId !== undefined ? await this.getHolders(workId) : [];
    const holder =
      workId === undefined
        ? undefined
        : await this.read("reading the rights holder", () => this.registry.rightsHolderAt(workId, t));
    return describeAuthorization({
      licenceId: id,
      right,
      territory,
      atTime: t,
      reason: AuthorizationReason[Number(reasonCode)]!,
      failedAt,
      links: links.map((link, i) => ({
        licence: licences[i]!,
        valid: link.valid,
        reason: AuthorizationReason[Number(link.reason)]!,
      })),
      holdings,
      rightsHolderAtTime: holder,
    });
  }
}
