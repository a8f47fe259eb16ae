/**
 * The licensing domain's pure core: the LicenseRegistry's enums, EIP-712 request types and licence id, territory
 * groups, the shapes of works, licences, holdings and disputes, and the authorisation verdict in plain words
 * (`describeAuthorization`). No network access: `licensing-client.ts` talks to the contract.
 */
import {
  AbiCoder,
  computeHmac,
  keccak256,
  sha256,
  toUtf8Bytes,
  type BytesLike,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { signTypedRequest, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { encodeJurisdiction, fromJurisdiction } from "./jurisdiction";
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
  SetResidence: [
    { name: "workId", type: "bytes32" },
    { name: "holder", type: "address" },
    { name: "residence", type: "bytes2" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  SetFingerprint: [
    { name: "workId", type: "bytes32" },
    { name: "holder", type: "address" },
    { name: "fingerprintHash", type: "bytes32" },
    { name: "fingerprintCid", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  LinkAccount: [
    { name: "licensee", type: "address" },
    { name: "platform", type: "uint64" },
    { name: "accountHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
  UnlinkAccount: [
    { name: "platform", type: "uint64" },
    { name: "accountHash", type: "bytes32" },
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
/** Signed by the work's current rights holder: the country it resides in (`0x0000` withdraws the statement). */
export interface SetResidenceRequest {
  workId: Hex;
  holder: string;
  residence: Hex;
  nonce: bigint | number;
  deadline: number;
}
/**
 * Signed by the work's current rights holder: the work's fingerprint file from now on (its digest and binary CID;
 * digest 0 and an empty CID withdraw it).
 */
export interface SetFingerprintRequest {
  workId: Hex;
  holder: string;
  fingerprintHash: Hex;
  fingerprintCid: Hex;
  nonce: bigint | number;
  deadline: number;
}
/**
 * "Account `accountHash` on platform member `platform` is mine": signed by the licensee, confirmed by a key of the
 * platform member signing the same request ({@link SignedAccountLink}).
 */
export interface LinkAccountRequest {
  licensee: string;
  platform: bigint;
  accountHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
/** Signed by the linked licensee, or by a key of the platform member. */
export interface UnlinkAccountRequest {
  platform: bigint;
  accountHash: Hex;
  nonce: bigint | number;
  deadline: number;
}
export interface LicenseRegistryRequests {
  RegisterWork: RegisterWorkRequest;
  AssignWork: AssignWorkRequest;
  GrantLicence: GrantLicenceRequest;
  RevokeLicence: RevokeLicenceRequest;
  SetResidence: SetResidenceRequest;
  LinkAccount: LinkAccountRequest;
  SetFingerprint: SetFingerprintRequest;
  UnlinkAccount: UnlinkAccountRequest;
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

/** An account link signed by the licensee and confirmed by the platform member's key. */
export interface SignedAccountLink extends SignedRequest<LinkAccountRequest, "LinkAccount"> {
  /** The platform member key's signature of the same request. */
  platformSignature: Hex;
}

/** A work as registered, with the holder's stated residence. */
export interface WorkView {
  workId: Hex;
  rightsHolder: string;
  registeredAt: number;
  originJurisdiction: string;
  /** ISO code the current holder stated as its residence; undefined when not stated. */
  holderResidence: string | undefined;
}

/** An uploader account's link as the chain holds it now. */
export interface AccountLinkView {
  platform: bigint;
  accountHash: Hex;
  /** The licensee; undefined when the account is not linked. */
  licensee: string | undefined;
  linkedAt: number;
}

/** The prefix of the hashed account id: the hash of nothing else can collide with it. */
const ACCOUNT_HASH_PREFIX = "crossproof.uploader-account/1\0";

/**
 * The hash under which a platform's account id goes on chain (never the id in clear): SHA-256 of
 * `crossproof.uploader-account/1` ‖ 0x00 ‖ the NFC-normalised account id in UTF-8; with a `pepper` (a secret the
 * platform keeps), HMAC-SHA256 keyed by it instead, so that nobody can test a public handle against the chain. The
 * platform computes it; the licensee only needs the result to sign its link.
 * @example
 * const accountHash = uploaderAccountHash("user-8841", { pepper: platformSecret });
 */
export function uploaderAccountHash(accountId: string, o: { pepper?: BytesLike } = {}): Hex {
  if (typeof accountId !== "string" || accountId.length === 0 || accountId.length > 1024) {
    throw new CrossproofError("INVALID_ARGUMENT", "an account id is a non-empty string of at most 1024 characters", {
      details: { argument: "accountId" },
    });
  }
  const data = toUtf8Bytes(ACCOUNT_HASH_PREFIX + accountId.normalize("NFC"));
  return (o.pepper === undefined ? sha256(data) : computeHmac("sha256", o.pepper, data)) as Hex;
}

/** The ISO codes of a territory set as the contract stores it (three words; code XY is bit (X-'A')*26 + (Y-'A')). */
export function territoryCodes(words: readonly (bigint | number)[]): string[] {
  const out: string[] = [];
  for (let idx = 0; idx < 676; idx++) {
    if ((BigInt(words[idx >> 8] ?? 0) >> BigInt(idx & 0xff)) & 1n) {
      out.push(String.fromCharCode(65 + Math.floor(idx / 26), 65 + (idx % 26)));
    }
  }
  return out;
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

/** What a mined residence statement comes to. */
export interface ResidenceSet {
  workId: Hex;
  holder: string;
  /** The ISO code, or undefined when the statement was withdrawn. */
  residence: string | undefined;
}
/** What a mined fingerprint statement comes to. */
export interface FingerprintSet {
  workId: Hex;
  holder: string;
  /** The fingerprint file's digest, or undefined when the fingerprint was withdrawn. */
  fingerprintHash: Hex | undefined;
  /** The fingerprint file's CID (text form), or undefined when withdrawn. */
  fingerprintCid: string | undefined;
}
/** What a mined account link comes to. */
export interface LinkedAccount {
  platform: bigint;
  accountHash: Hex;
  licensee: string;
  /** The platform member's key that confirmed it. */
  confirmedBy: string;
}
/** What a mined unlink comes to. */
export interface UnlinkedAccount {
  platform: bigint;
  accountHash: Hex;
  licensee: string;
  /** The licensee or the platform member's key. */
  unlinkedBy: string;
}

/** What each LicenseRegistry request's `wait()` resolves to. */
export interface LicenseRegistryResults {
  RegisterWork: RegisteredWork;
  AssignWork: AssignedWork;
  GrantLicence: GrantedLicence;
  RevokeLicence: RevokedLicence;
  SetResidence: ResidenceSet;
  LinkAccount: LinkedAccount;
  SetFingerprint: FingerprintSet;
  UnlinkAccount: UnlinkedAccount;
  FileWorkDispute: FiledDispute;
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

/** What {@link describeAuthorization} puts into words: the contract's verdict and the chain it walked. */
export interface DescribeAuthorizationParameters {
  licenceId: Hex;
  right: RightName;
  territory: string;
  atTime: number;
  /** `verifyAuthorization`'s reason. */
  reason: AuthorizationReasonName;
  /** `verifyAuthorization`'s failing licence (zero hash when none). */
  failedAt: string;
  /** `chainAt`'s links, from the rights holder's grant down, with each licence read. */
  links: readonly { licence: LicenceView; valid: boolean; reason: AuthorizationReasonName }[];
  /** The work's holdings (needed only to name a forced assignment that voided a title). */
  holdings: readonly HoldingView[];
  rightsHolderAtTime: string | undefined;
}

/**
 * The contract's authorisation verdict in plain words — pure: the rule was evaluated once, on chain
 * (`LicenseRegistry.verifyAuthorization`); this only explains it. {@link LicenceClient.explainAuthorization} reads the
 * chain and calls it.
 */
export function describeAuthorization(p: DescribeAuthorizationParameters): AuthorizationExplanation {
  const { right, territory, atTime: t, reason } = p;
  const chain: ExplainedLink[] = p.links.map((link) => ({
    ...link,
    explanation: explainLink(link.licence, link.reason, right, territory, t, p.holdings),
  }));
  const leaf = chain.at(-1)?.licence;
  const failing = chain.find((c) => c.licence.licenceId === p.failedAt.toLowerCase());
  const summary =
    reason === "OK"
      ? `Authorised: ${leaf!.licensee} held ${right} for ${territory} at ${iso(t)} through a chain of ` +
        `${chain.length} licence(s) from the rights holder ${chain[0]!.licence.licensor}.`
      : reason === "UNKNOWN_LICENCE"
        ? `Not authorised: licence ${p.licenceId} is not registered.`
        : `Not authorised at ${iso(t)}: ${failing?.explanation ?? reason}.`;
  return {
    authorized: reason === "OK",
    reason,
    failedAt: reason === "OK" ? undefined : (p.failedAt.toLowerCase() as Hex),
    right,
    territory,
    atTime: t,
    workId: chain[0]?.licence.workId,
    rightsHolderAtTime: p.rightsHolderAtTime,
    chain,
    summary,
  };
}
