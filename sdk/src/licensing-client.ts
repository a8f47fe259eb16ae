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
  optionalBytes32Arg,
  optionalUnixSecondsArg,
  uintArg,
  unixSecondsArg,
} from "./arguments";
import { cidToBytes } from "./cid";
import { ContractClient, resolveContract, type RequestRoutes } from "./contract-client";
import { type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { fromJurisdiction, toJurisdiction } from "./jurisdiction";
import { AuthorizationReason, GrantType, Right, rightNames, type GrantTypeName, type RightName } from "./constants";
import {
  type AssignWorkRequest,
  type AuthorizationExplanation,
  DisputeStatus,
  type DisputeView,
  type FileWorkDisputeRequest,
  type GrantLicenceRequest,
  type HoldingView,
  type LicenceView,
  type LicenseRegistryRequests,
  type LicenseRegistryResults,
  type RegisterWorkRequest,
  type RevokeLicenceRequest,
  type SignedAssignment,
  describeAuthorization,
  expandTerritories,
  signLicenceRequest,
} from "./licensing";

const lower = (h: unknown) => String(h).toLowerCase() as Hex;

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
    return new LicenceClient(LicenseRegistry__factory.connect(address, runner), domain, provider);
  }

  /** Signs a work registration (by the rights holder, or by a REGISTRY member's key on its behalf). */
  async signRegisterWork(
    signer: Signer,
    p: {
      contentHash: string;
      rightsHolder: string;
      originJurisdiction: string;
      metadataCid: string;
      fingerprintHash?: string;
      validFor?: number;
    },
  ): Promise<SignedRequest<RegisterWorkRequest, "RegisterWork">> {
    const request = {
      contentHash: bytes32Arg("contentHash", p.contentHash, { nonZero: true }),
      fingerprintHash: optionalBytes32Arg("fingerprintHash", p.fingerprintHash),
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
