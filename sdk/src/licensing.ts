import {
  AbiCoder,
  keccak256,
  type ContractRunner,
  type Provider,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { LicenseRegistry__factory, type LicenseRegistry } from "../../typechain-types";
import { cidToBytes } from "./cid";
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
] as const;
export type AuthorizationReasonName = (typeof AuthorizationReason)[number];

/** The longest licensing chain the registry accepts (the rights holder's grant counts as 1). */
export const MAX_CHAIN_DEPTH = 8;

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
  start: number;
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
export interface LicenseRegistryRequests {
  RegisterWork: RegisterWorkRequest;
  AssignWork: AssignWorkRequest;
  GrantLicence: GrantLicenceRequest;
  RevokeLicence: RevokeLicenceRequest;
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
  end: number;
  worldwide: boolean;
  territories: string[];
  depth: number;
  revokedAt: number;
  agreementHash: Hex;
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

function explainLink(l: LicenceView, reason: AuthorizationReasonName, right: RightName, territory: string, t: number) {
  const who = `licence ${short(l.licenceId)} (from ${l.licensor} to ${l.licensee})`;
  switch (reason) {
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
      start: Date | number;
      end: Date | number;
      /** ISO codes or groups (`EU`); `["WORLDWIDE"]` or omitted with `worldwide: true` for the world. */
      territories?: readonly string[];
      worldwide?: boolean;
      agreementHash?: string;
      salt?: string;
      validFor?: number;
    },
  ) {
    const worldwide = p.worldwide ?? false;
    return signLicenceRequest(signer, this.domain, "GrantLicence", {
      workId: p.workId as Hex,
      parentId: (p.parentId ?? `0x${"00".repeat(32)}`) as Hex,
      licensor: p.licensor ?? (await signer.getAddress()),
      licensee: p.licensee,
      rights: rightsMask(p.rights),
      grantType: GrantType[p.grantType ?? "NonExclusive"],
      sublicensable: p.sublicensable ?? false,
      start: toUnixSeconds(p.start),
      end: toUnixSeconds(p.end),
      worldwide,
      territories: worldwide ? [] : expandTerritories(p.territories ?? []).map(toJurisdiction),
      agreementHash: (p.agreementHash ?? `0x${"00".repeat(32)}`) as Hex,
      salt: (p.salt ?? keccak256(crypto.getRandomValues(new Uint8Array(32)))) as Hex,
      deadline: await deadlineFrom(this.provider, p.validFor),
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
        default:
          throw new CrossproofError("INVALID_ARGUMENT", `unknown request ${signed.primaryType}`);
      }
    });
  }

  /** A licence with its grant event's fields (territory codes, agreement hash). */
  async getLicence(id: string): Promise<LicenceView | undefined> {
    const l = await this.registry.getLicence(id);
    if (l.licensor === "0x0000000000000000000000000000000000000000") return undefined;
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
      end: Number(l.end),
      worldwide: l.worldwide,
      territories: ev === undefined ? [] : [...new Set(ev.territories.map((t: string) => fromJurisdiction(t)))].sort(),
      depth: Number(l.depth),
      revokedAt: Number(l.revokedAt),
      agreementHash: (ev?.agreementHash ?? `0x${"00".repeat(32)}`) as Hex,
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
    const chain: ExplainedLink[] = [];
    for (const link of links) {
      const licence = (await this.getLicence(link.licenceId))!;
      const r = AuthorizationReason[Number(link.reason)]!;
      chain.push({ licence, valid: link.valid, reason: r, explanation: explainLink(licence, r, right, territory, t) });
    }
    const workId = chain[0]?.licence.workId;
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
