import {
  AbiCoder,
  ZeroAddress,
  keccak256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
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
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeJurisdiction, fromJurisdiction, toJurisdiction } from "./jurisdiction";
import {
  AuthorizationReason,
  GrantType,
  Right,
  rightNames,
  rightsMask,
  type AuthorizationReasonName,
  type GrantTypeName,
  type RightName,
} from "./constants";

// The licence enums live in the base module (the contract-error decoder names their values too).
export {
  AuthorizationReason,
  GrantType,
  Right,
  rightNames,
  rightsMask,
  type AuthorizationReasonName,
  type GrantTypeName,
  type RightName,
};

/** Where a work dispute stands, as in `ILicenseRegistry.DisputeStatus`. */
export const DisputeStatus = ["None", "Open", "Dismissed", "Upheld"] as const;
export type DisputeStatusName = (typeof DisputeStatus)[number];

/** The longest licensing chain the registry accepts (the rights holder's grant counts as 1). */
export const MAX_CHAIN_DEPTH = 8;

/** The most live exclusive and sole licences one parent (one work, for root licences) may have at once. */
export const MAX_RESTRICTIVE_SIBLINGS = 64;

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

/** Territory groups the SDK expands into ISO codes (membership as of 2026). */
// prettier-ignore
export const TerritoryGroups: Record<string, readonly string[]> = {
  EU: [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
  ],
  EEA: [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
  ],
};

/** Expands group names (`EU`, `EEA`) and checks ISO codes; returns sorted distinct codes. */
export function expandTerritories(codes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const c of codes) {
    const group = TerritoryGroups[c];
    if (group !== undefined) group.forEach((g) => out.add(g));
    else out.add(fromJurisdiction(encodeJurisdiction(c, "territories")));
  }
  return [...out].sort();
}

/** EIP-712 types of the LicenseRegistry requests. */
export const LicenseRegistryTypes = {
  RegisterWork: [
    { name: "contentHash", type: "bytes32" },
    { name: "fingerprintHash", type: "bytes32" },
    { name: "rightsHolder", type: "address" },
    { name: "originJurisdiction", type: "bytes2" },
    { name: "metadataCid", type: "bytes" },
    { name: "deadline", type: "uint48" },
  ],
  AssignWork: [
    { name: "workId", type: "bytes32" },
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "agreementHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  GrantLicence: [
    { name: "workId", type: "bytes32" },
    { name: "parentId", type: "bytes32" },
    { name: "licensor", type: "address" },
    { name: "licensee", type: "address" },
    { name: "rights", type: "uint16" },
    { name: "grantType", type: "uint8" },
    { name: "sublicensable", type: "bool" },
    { name: "start", type: "uint48" },
    { name: "backdated", type: "bool" },
    { name: "end", type: "uint48" },
    { name: "worldwide", type: "bool" },
    { name: "territories", type: "bytes2[]" },
    { name: "agreementHash", type: "bytes32" },
    { name: "salt", type: "bytes32" },
    { name: "deadline", type: "uint48" },
  ],
  RevokeLicence: [
    { name: "licenceId", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  FileWorkDispute: [
    { name: "workId", type: "bytes32" },
    { name: "claimant", type: "address" },
    { name: "fromHolding", type: "uint32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

export interface RegisterWorkRequest {
  contentHash: Hex;
  fingerprintHash: Hex;
  rightsHolder: string;
  originJurisdiction: Hex;
  metadataCid: Hex;
  deadline: number;
}
export interface AssignWorkRequest {
  workId: Hex;
  from: string;
  to: string;
  agreementHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface GrantLicenceRequest {
  workId: Hex;
  parentId: Hex;
  licensor: string;
  licensee: string;
  rights: number;
  grantType: number;
  sublicensable: boolean;
  /** Unix seconds; 0 = from the grant's block. */
  start: number;
  /** The licensor states that `start` lies before the grant's block (root licences only). */
  backdated: boolean;
  end: number;
  worldwide: boolean;
  territories: Hex[];
  agreementHash: Hex;
  salt: Hex;
  deadline: number;
}
export interface RevokeLicenceRequest {
  licenceId: Hex;
  reasonHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
/** Signed by a key of a REGISTRY member. */
export interface FileWorkDisputeRequest {
  workId: Hex;
  claimant: string;
  /** Index in the work's holder history of the first contested holding (0 = the registration itself). */
  fromHolding: number;
  evidenceHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface LicenseRegistryRequests {
  RegisterWork: RegisterWorkRequest;
  AssignWork: AssignWorkRequest;
  GrantLicence: GrantLicenceRequest;
  RevokeLicence: RevokeLicenceRequest;
  FileWorkDispute: FileWorkDisputeRequest;
}

/** Signs a LicenseRegistry request with any ethers `Signer` (the account itself, or a contract wallet's owner key). */
export function signLicenceRequest<K extends keyof LicenseRegistryRequests>(
  signer: Signer,
  domain: TypedDataDomain,
  primaryType: K,
  request: LicenseRegistryRequests[K],
): Promise<SignedRequest<LicenseRegistryRequests[K], K>> {
  return signTypedRequest(signer, domain, LicenseRegistryTypes, primaryType, request);
}

/** Mirror of `LicenseRegistry.licenceIdOf`. */
export function licenceId(workId: string, parentId: string, licensor: string, licensee: string, salt: string): Hex {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "address", "address", "bytes32"],
      [workId, parentId, licensor, licensee, salt],
    ),
  ) as Hex;
}

/** A licence read back from the chain, in the domain's words. */
export interface LicenceView {
  licenceId: Hex;
  workId: Hex;
  parentId: Hex;
  licensor: string;
  licensee: string;
  rights: RightName[];
  grantType: GrantTypeName;
  sublicensable: boolean;
  start: number;
  /** The licensor signed a start before the grant's block. */
  backdated: boolean;
  end: number;
  worldwide: boolean;
  territories: string[];
  depth: number;
  revokedAt: number;
  /** Root licences: index in the work's holder history of the holding it was granted under. */
  grantedUnderHolding: number;
  agreementHash: Hex;
}

/** One entry of a work's holder history. */
export interface HoldingView {
  /** Index in the history (what a dispute's `fromHolding` names). */
  index: number;
  holder: string;
  since: number;
  /** Assigned by force, by governance resolving a dispute. */
  forced: boolean;
  /** Voided by a forced assignment: the root licences granted under it authorise nothing. */
  voided: boolean;
}

/** A dispute over who holds a work. */
export interface DisputeView {
  disputeId: bigint;
  workId: Hex;
  claimant: string;
  filedAt: number;
  status: DisputeStatusName;
  fromHolding: number;
  /** Member id of the REGISTRY member that filed it. */
  filedBy: bigint;
  resolvedAt: number;
}

/** A work assignment signed by its current holder and by the new holder. */
export interface SignedAssignment extends SignedRequest<AssignWorkRequest, "AssignWork"> {
  /** The new holder's signature of the same request. */
  newHolderSignature: Hex;
}

/** What a mined work registration comes to. */
export interface RegisteredWork {
  workId: Hex;
  rightsHolder: string;
  /** The REGISTRY member that registered it on the holder's behalf (0: the holder itself). */
  registrarMemberId: bigint;
}
/** What a mined assignment comes to. */
export interface AssignedWork {
  workId: Hex;
  from: string;
  to: string;
}
/** What a mined grant comes to. */
export interface GrantedLicence {
  /** The new licence's id: {@link licenceId}(workId, parentId, licensor, licensee, salt). */
  licenceId: Hex;
  workId: Hex;
  /** The parent licence (zero hash for a root licence). */
  parentId: Hex;
  licensor: string;
  licensee: string;
}
/** What a mined revocation comes to. */
export interface RevokedLicence {
  licenceId: Hex;
  licensor: string;
  /** Unix seconds: the licence and every licence below it fail from then on. */
  revokedAt: number;
}
/** What a mined dispute filing comes to. */
export interface FiledDispute {
  /** The new dispute's id (what a `ResolveWorkDispute` proposal names). */
  disputeId: bigint;
  workId: Hex;
  claimant: string;
}

/** What each LicenseRegistry request's `wait()` resolves to. */
export interface LicenseRegistryResults {
  RegisterWork: RegisteredWork;
  AssignWork: AssignedWork;
  GrantLicence: GrantedLicence;
  RevokeLicence: RevokedLicence;
  FileWorkDispute: FiledDispute;
}

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

/** One link of a chain, judged at a time, with a plain-words reason. */
export interface ExplainedLink {
  licence: LicenceView;
  valid: boolean;
  reason: AuthorizationReasonName;
  explanation: string;
}

/** The answer to "was this licensee authorised to do R with W in T at t?", for people. */
export interface AuthorizationExplanation {
  authorized: boolean;
  reason: AuthorizationReasonName;
  failedAt: Hex | undefined;
  right: RightName;
  territory: string;
  atTime: number;
  workId: Hex | undefined;
  rightsHolderAtTime: string | undefined;
  /** From the rights holder's grant down to the asked licence. */
  chain: ExplainedLink[];
  /** A paragraph a court or a platform can read. */
  summary: string;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
const short = (h: string) => `${h.slice(0, 10)}…`;

function explainLink(
  l: LicenceView,
  reason: AuthorizationReasonName,
  right: RightName,
  territory: string,
  t: number,
  holdings: readonly HoldingView[],
) {
  const who = `licence ${short(l.licenceId)} (from ${l.licensor} to ${l.licensee})`;
  switch (reason) {
    case "TITLE_VOIDED": {
      const forced = holdings.find((h) => h.forced && h.index > l.grantedUnderHolding);
      const by =
        forced === undefined
          ? "by a forced assignment"
          : `when the consortium's governance assigned the work by force to ${forced.holder} at ${iso(forced.since)}`;
      return (
        `${who} was granted under ${l.licensor}'s holding of the work, which was voided ${by}; ` +
        `a licence from a void title authorises nothing, at any time`
      );
    }
    case "OK":
      return `${who} covered ${right} in ${territory} at ${iso(t)}`;
    case "REVOKED":
      return `${who} was revoked at ${iso(l.revokedAt)}; it and every licence below it fail from that moment`;
    case "EXPIRED":
      return `${who} ended at ${iso(l.end)}`;
    case "NOT_YET_VALID":
      return `${who} only starts at ${iso(l.start)}`;
    case "RIGHT_NOT_GRANTED":
      return `${who} grants ${l.rights.join(", ") || "no rights"}, not ${right}`;
    case "TERRITORY_NOT_GRANTED":
      return `${who} covers ${l.worldwide ? "the world" : l.territories.join(", ")}, not ${territory}`;
    case "CHAIN_TOO_DEEP":
      return `${who} sits deeper than ${MAX_CHAIN_DEPTH} licences below the rights holder`;
    case "UNKNOWN_LICENCE":
      return `${who} is not registered`;
  }
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
    if (backdated && parentId !== ZERO_HASH) {
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
        agreementHash: (ev?.agreementHash ?? ZERO_HASH) as Hex,
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
    const reason = AuthorizationReason[Number(reasonCode)]!;
    const licences: LicenceView[] = [];
    for (const link of links) licences.push((await this.getLicence(link.licenceId))!);
    const workId = licences[0]?.workId;
    const voided = links.some((l) => AuthorizationReason[Number(l.reason)] === "TITLE_VOIDED");
    const holdings = voided && workId !== undefined ? await this.getHolders(workId) : [];
    const chain: ExplainedLink[] = links.map((link, i) => {
      const licence = licences[i]!;
      const r = AuthorizationReason[Number(link.reason)]!;
      return {
        licence,
        valid: link.valid,
        reason: r,
        explanation: explainLink(licence, r, right, territory, t, holdings),
      };
    });
    const holder =
      workId === undefined
        ? undefined
        : await this.read("reading the rights holder", () => this.registry.rightsHolderAt(workId, t));
    const leaf = chain.at(-1)?.licence;
    const failing = chain.find((c) => c.licence.licenceId === failedAt.toLowerCase());
    const summary =
      reason === "OK"
        ? `Authorised: ${leaf!.licensee} held ${right} for ${territory} at ${iso(t)} through a chain of ` +
          `${chain.length} licence(s) from the rights holder ${chain[0]!.licence.licensor}.`
        : reason === "UNKNOWN_LICENCE"
          ? `Not authorised: licence ${id} is not registered.`
          : `Not authorised at ${iso(t)}: ${failing?.explanation ?? reason}.`;
    return {
      authorized: reason === "OK",
      reason,
      failedAt: reason === "OK" ? undefined : (failedAt.toLowerCase() as Hex),
      right,
      territory,
      atTime: t,
      workId,
      rightsHolderAtTime: holder,
      chain,
      summary,
    };
  }
}
