import {
  AbiCoder,
  ZeroAddress,
  keccak256,
  type ContractRunner,
  type LogDescription,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { LicenseRegistry__factory, type LicenseRegistry } from "./typechain";
import { cidToBytes } from "./cid";
import {
  DEFAULT_REQUEST_VALIDITY,
  chainTimeOf,
  deadlineFrom,
  resolveContract,
  submitRequest,
  toUnixSeconds,
  type SubmittedRequest,
} from "./contract-client";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { fromJurisdiction, toJurisdiction } from "./jurisdiction";

/** Rights a licence can grant (bitmask), as in `ILicenseRegistry`. */
export const Right = {
  REPRODUCE: 1 << 0,
  DISTRIBUTE: 1 << 1,
  /** Making available / communication to the public (on-demand streaming, downloads). */
  MAKE_AVAILABLE: 1 << 2,
  PERFORM: 1 << 3,
  /** Broadcasting and live-streaming. */
  BROADCAST: 1 << 4,
  /** Adaptation, derivative works. */
  ADAPT: 1 << 5,
} as const;
export type RightName = keyof typeof Right;

/** Grant types, as in `ILicenseRegistry.GrantType`. */
export const GrantType = { NonExclusive: 0, Sole: 1, Exclusive: 2 } as const;
export type GrantTypeName = keyof typeof GrantType;

/** Authorisation results, as in `ILicenseRegistry.Reason`. */
export const AuthorizationReason = [
  "OK",
  "UNKNOWN_LICENCE",
  "REVOKED",
  "EXPIRED",
  "NOT_YET_VALID",
  "RIGHT_NOT_GRANTED",
  "TERRITORY_NOT_GRANTED",
  "CHAIN_TOO_DEEP",
  "TITLE_VOIDED",
] as const;
export type AuthorizationReasonName = (typeof AuthorizationReason)[number];

/** Where a work dispute stands, as in `ILicenseRegistry.DisputeStatus`. */
export const DisputeStatus = ["None", "Open", "Dismissed", "Upheld"] as const;
export type DisputeStatusName = (typeof DisputeStatus)[number];

/** The longest licensing chain the registry accepts (the rights holder's grant counts as 1). */
export const MAX_CHAIN_DEPTH = 8;

/** The most live exclusive and sole licences one parent (one work, for root licences) may have at once. */
export const MAX_RESTRICTIVE_SIBLINGS = 64;

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

/** ORs right names into the on-chain bitmask. */
export function rightsMask(names: readonly RightName[]): number {
  return names.reduce((m, n) => m | Right[n], 0);
}

/** The right names in a bitmask. */
export function rightNames(mask: number): RightName[] {
  return (Object.keys(Right) as RightName[]).filter((n) => (mask & Right[n]) !== 0);
}

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
    else out.add(fromJurisdiction(toJurisdiction(c)));
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
): Promise<SignedRequest<LicenseRegistryRequests[K]>> {
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

/** The id of the dispute filed, from the events of a submitted `FileWorkDispute` request. */
export function filedDisputeId(events: readonly LogDescription[]): bigint | undefined {
  const ev = events.find((e) => e.name === "WorkDisputeFiled");
  return ev === undefined ? undefined : (ev.args[0] as bigint);
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
 * verification results in plain words (for the CLI, the gateway and court reports).
 */
export class LicenceClient {
  private constructor(
    readonly registry: LicenseRegistry,
    readonly domain: TypedDataDomain,
    private readonly provider: Provider,
  ) {}

  static async connect(
    address: string,
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<LicenceClient> {
    const { provider, domain } = await resolveContract("LicenseRegistry", address, runner);
    return new LicenceClient(LicenseRegistry__factory.connect(address, runner), domain, provider);
  }

  chainTime(): Promise<number> {
    return chainTimeOf(this.provider);
  }

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
  ) {
    return signLicenceRequest(signer, this.domain, "RegisterWork", {
      contentHash: p.contentHash as Hex,
      fingerprintHash: (p.fingerprintHash ?? `0x${"00".repeat(32)}`) as Hex,
      rightsHolder: p.rightsHolder,
      originJurisdiction: toJurisdiction(p.originJurisdiction),
      metadataCid: cidToBytes(p.metadataCid),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /** Builds an assignment; both the current holder and the new one sign the same request. */
  async prepareAssignment(p: { workId: string; from: string; to: string; agreementHash: string; validFor?: number }) {
    return {
      workId: p.workId as Hex,
      from: p.from,
      to: p.to,
      agreementHash: p.agreementHash as Hex,
      nonce: await this.registry.nonces(p.from),
      deadline: await deadlineFrom(this.provider, p.validFor),
    } satisfies AssignWorkRequest;
  }

  /**
   * Signs a grant. `start` omitted (or 0) means "from the grant's block"; a start at or before the chain's current
   * time must be signed `backdated: true` — root licences only — and is then stored and shown as back-dated.
   * @example
   * const signed = await client.signGrant(holder, { workId, licensee, rights: ["BROADCAST"], territories: ["EU"],
   *   end: new Date("2027-01-01") });
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
  ) {
    const worldwide = p.worldwide ?? false;
    const parentId = (p.parentId ?? ZERO_HASH) as Hex;
    const start = p.start === undefined ? 0 : toUnixSeconds(p.start);
    const backdated = p.backdated ?? false;
    const now = await chainTimeOf(this.provider);
    if (backdated && parentId !== ZERO_HASH) {
      throw new CrossproofError("INVALID_ARGUMENT", "only root licences may be back-dated, never sublicences");
    }
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
      workId: p.workId as Hex,
      parentId,
      licensor: p.licensor ?? (await signer.getAddress()),
      licensee: p.licensee,
      rights: rightsMask(p.rights),
      grantType: GrantType[p.grantType ?? "NonExclusive"],
      sublicensable: p.sublicensable ?? false,
      start,
      backdated,
      end: toUnixSeconds(p.end),
      worldwide,
      territories: worldwide ? [] : expandTerritories(p.territories ?? []).map(toJurisdiction),
      agreementHash: (p.agreementHash ?? ZERO_HASH) as Hex,
      salt: (p.salt ?? keccak256(crypto.getRandomValues(new Uint8Array(32)))) as Hex,
      deadline: now + (p.validFor ?? DEFAULT_REQUEST_VALIDITY),
    });
  }

  async signRevoke(signer: Signer, p: { licenceId: string; reasonHash: string; licensor?: string; validFor?: number }) {
    const licensor = p.licensor ?? (await signer.getAddress());
    return signLicenceRequest(signer, this.domain, "RevokeLicence", {
      licenceId: p.licenceId as Hex,
      reasonHash: p.reasonHash as Hex,
      nonce: await this.registry.nonces(licensor),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /**
   * A REGISTRY member's key signs a dispute over who holds a work; governance resolves it (a `ResolveWorkDispute`
   * proposal, see `encodeProposal`). The dispute id is in the submitted request's events ({@link filedDisputeId}).
   * @example
   * const signed = await client.signFileDispute(registryKey, { workId, claimant, evidenceHash });
   * const { events } = await (await client.submit(signed, relayer)).wait();
   * const disputeId = filedDisputeId(events);
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
  ) {
    const fromHolding = p.fromHolding ?? 0;
    if (!Number.isInteger(fromHolding) || fromHolding < 0 || fromHolding > 0xffffffff) {
      throw new CrossproofError("INVALID_ARGUMENT", `fromHolding must be a holding index, not ${fromHolding}`);
    }
    if (p.claimant === ZeroAddress) throw new CrossproofError("INVALID_ARGUMENT", "a dispute needs a claimant");
    return signLicenceRequest(signer, this.domain, "FileWorkDispute", {
      workId: p.workId as Hex,
      claimant: p.claimant,
      fromHolding,
      evidenceHash: p.evidenceHash as Hex,
      nonce: await this.registry.nonces(await signer.getAddress()),
      deadline: await deadlineFrom(this.provider, p.validFor),
    });
  }

  /** Submits a signed request (two signatures for an assignment: holder's, then new holder's). */
  async submit(signed: SignedRequest<unknown>, relayer: Signer, secondSignature?: string): Promise<SubmittedRequest> {
    const r = this.registry.connect(relayer);
    return submitRequest(signed.primaryType, this.registry.interface, () => {
      switch (signed.primaryType) {
        case "RegisterWork":
          return r.registerWork(signed.request as RegisterWorkRequest, signed.signature);
        case "AssignWork":
          if (secondSignature === undefined) {
            throw new CrossproofError("INVALID_ARGUMENT", "an assignment needs the new holder's signature too");
          }
          return r.assignWork(signed.request as AssignWorkRequest, signed.signature, secondSignature);
        case "GrantLicence":
          return r.grantLicence(signed.request as GrantLicenceRequest, signed.signature);
        case "RevokeLicence":
          return r.revokeLicence(signed.request as RevokeLicenceRequest, signed.signature);
        case "FileWorkDispute":
          return r.fileDispute(signed.request as FileWorkDisputeRequest, signed.signature);
        default:
          throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
      }
    });
  }

  /** A licence with its grant event's fields (territory codes, agreement hash). */
  async getLicence(id: string): Promise<LicenceView | undefined> {
    const l = await this.registry.getLicence(id);
    if (l.licensor === ZeroAddress) return undefined;
    const logs = await this.registry.queryFilter(this.registry.filters.LicenceGranted(id));
    const ev = logs[0]?.args;
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
      territories: ev === undefined ? [] : [...new Set(ev.territories.map((t: string) => fromJurisdiction(t)))].sort(),
      depth: Number(l.depth),
      revokedAt: Number(l.revokedAt),
      grantedUnderHolding: Number(l.grantedUnderHolding),
      agreementHash: (ev?.agreementHash ?? ZERO_HASH) as Hex,
    };
  }

  /** The work's holder history, oldest first, with forced assignments and voided holdings marked. */
  async getHolders(workId: string): Promise<HoldingView[]> {
    const holdings = await this.registry.holdersOf(workId);
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
    const d = await this.registry.getDispute(disputeId);
    const status = DisputeStatus[Number(d.status)]!;
    if (status === "None") return undefined;
    return {
      disputeId: BigInt(disputeId),
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
    id: string,
    right: RightName,
    territory: string,
    atTime: Date | number,
  ): Promise<AuthorizationExplanation> {
    const t = toUnixSeconds(atTime);
    const code = toJurisdiction(territory);
    const [reasonCode, failedAt] = await this.registry.verifyAuthorization(id, Right[right], code, t);
    const links = await this.registry.chainAt(id, Right[right], code, t);
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
    const holder = workId === undefined ? undefined : await this.registry.rightsHolderAt(workId, t);
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
