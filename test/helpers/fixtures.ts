import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { createHash } from "node:crypto";
import type { TypedDataDomain } from "ethers";
import {
  AssistanceClient,
  consortiumConstructorArgs,
  contractDomain,
  parseConsortiumConfig,
  type ConsortiumConfig,
  type Hex,
} from "../../sdk/src";
import type {
  AssistanceDesk,
  Consortium,
  ConsortiumGovernance,
  EvidenceRegistry,
  LicenseRegistry,
  RecognitionAgreements,
} from "../../sdk/src/typechain";

export const WEEK = 7 * 24 * 3600;

export interface ConsortiumFixture {
  consortium: Consortium;
  governance: ConsortiumGovernance;
  agreements: RecognitionAgreements;
  /** The consortium id (salt of every EIP-712 domain). */
  consortiumId: Hex;
  deployer: HardhatEthersSigner;
  /** FR agency + governor, member 1 */
  frAgency: HardhatEthersSigner;
  /** DE court + governor, member 2 */
  deCourt: HardhatEthersSigner;
  /** NL operator + governor, member 3 */
  nlOperator: HardhatEthersSigner;
  /** US platform, member 4 */
  usPlatform: HardhatEthersSigner;
  /** ES registry, member 5 */
  esRegistry: HardhatEthersSigner;
  /** Keys that belong to nobody yet. */
  spare: HardhatEthersSigner[];
  config: ConsortiumConfig;
}

/** Five founders in five jurisdictions, three of them governors, quorum 2/3, one-week votes. */
export async function consortiumFixture(): Promise<ConsortiumFixture> {
  const [deployer, frAgency, deCourt, nlOperator, usPlatform, esRegistry, ...spare] = await ethers.getSigners();
  const config = parseConsortiumConfig({
    name: "test consortium",
    quorum: { numerator: 2, denominator: 3 },
    votingPeriodSeconds: WEEK,
    founders: [
      { name: "FR agency", jurisdiction: "FR", roles: ["AGENCY", "GOVERNOR"], key: frAgency!.address },
      { name: "DE court", jurisdiction: "DE", roles: ["COURT", "GOVERNOR"], key: deCourt!.address },
      { name: "NL operator", jurisdiction: "NL", roles: ["OPERATOR", "GOVERNOR"], key: nlOperator!.address },
      { name: "US platform", jurisdiction: "US", roles: ["PLATFORM"], key: usPlatform!.address },
      { name: "ES registry", jurisdiction: "ES", roles: ["REGISTRY"], key: esRegistry!.address },
    ],
  });
  const deployed = await deployConsortium(deployer!, config);
  return {
    ...deployed,
    deployer: deployer!,
    frAgency: frAgency!,
    deCourt: deCourt!,
    nlOperator: nlOperator!,
    usPlatform: usPlatform!,
    esRegistry: esRegistry!,
    spare,
    config,
  };
}

/** A consortium id for tests: fixed per configuration name, so fixtures are deterministic. */
export function testConsortiumId(config: ConsortiumConfig): Hex {
  return ethers.id(`crossproof test consortium: ${config.name}`) as Hex;
}

/** Deploys the three consortium contracts and links them, as `scripts/lib/deploy.ts` does. */
export async function deployConsortium(
  deployer: HardhatEthersSigner,
  config: ConsortiumConfig,
  consortiumId: Hex = testConsortiumId(config),
): Promise<{
  consortium: Consortium;
  governance: ConsortiumGovernance;
  agreements: RecognitionAgreements;
  consortiumId: Hex;
}> {
  const args = consortiumConstructorArgs(config);
  const consortium = (await ethers.deployContract(
    "Consortium",
    [consortiumId, args.founders],
    deployer,
  )) as unknown as Consortium;
  const address = await consortium.getAddress();
  const governance = (await ethers.deployContract(
    "ConsortiumGovernance",
    [address, args.quorumNumerator, args.quorumDenominator, args.votingPeriod],
    deployer,
  )) as unknown as ConsortiumGovernance;
  const agreements = (await ethers.deployContract(
    "RecognitionAgreements",
    [address],
    deployer,
  )) as unknown as RecognitionAgreements;
  await (await consortium.connect(deployer).link(await governance.getAddress(), await agreements.getAddress())).wait();
  return { consortium, governance, agreements, consortiumId };
}

export interface EvidenceFixture extends ConsortiumFixture {
  registry: EvidenceRegistry;
  domain: TypedDataDomain;
}

/** The consortium fixture plus an EvidenceRegistry bound to it. */
export async function evidenceFixture(): Promise<EvidenceFixture> {
  const base = await consortiumFixture();
  const registry = (await ethers.deployContract("EvidenceRegistry", [
    await base.consortium.getAddress(),
  ])) as unknown as EvidenceRegistry;
  const { chainId } = await ethers.provider.getNetwork();
  return {
    ...base,
    registry,
    domain: contractDomain("EvidenceRegistry", chainId, await registry.getAddress(), base.consortiumId),
  };
}

/** A real CIDv1 (raw, sha256) of `seed`, in the binary form the contracts store. */
export function cidOf(seed: string): Hex {
  const digest = createHash("sha256").update(seed).digest();
  return `0x01551220${digest.toString("hex")}` as Hex;
}

/** A distinct bytes32 for `seed`. */
export function hashOf(seed: string): Hex {
  return ethers.id(seed) as Hex;
}

export interface LicenceFixture extends ConsortiumFixture {
  licences: LicenseRegistry;
  domain: TypedDataDomain;
  holder: HardhatEthersSigner;
  label: HardhatEthersSigner;
  distributor: HardhatEthersSigner;
  platform: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
}

/** The consortium fixture plus a LicenseRegistry; rights holder and licensees are plain accounts, not members. */
export async function licenceFixture(): Promise<LicenceFixture> {
  const base = await consortiumFixture();
  const licences = (await ethers.deployContract("LicenseRegistry", [
    await base.consortium.getAddress(),
  ])) as unknown as LicenseRegistry;
  const { chainId } = await ethers.provider.getNetwork();
  const [holder, label, distributor, platform, outsider] = base.spare;
  return {
    ...base,
    licences,
    domain: contractDomain("LicenseRegistry", chainId, await licences.getAddress(), base.consortiumId),
    holder: holder!,
    label: label!,
    distributor: distributor!,
    platform: platform!,
    outsider: outsider!,
  };
}

export interface AssistanceFixture extends ConsortiumFixture {
  desk: AssistanceDesk;
  client: AssistanceClient;
}

/** Deploys an AssistanceDesk for `consortium`, with the AssistanceOrders library it links. */
export async function deployAssistanceDesk(consortium: string): Promise<AssistanceDesk> {
  const library = await ethers.deployContract("AssistanceOrders");
  return (await ethers.deployContract("AssistanceDesk", [consortium], {
    libraries: { AssistanceOrders: await library.getAddress() },
  })) as unknown as AssistanceDesk;
}

/** The consortium fixture plus an AssistanceDesk and an SDK client for it. */
export async function assistanceFixture(): Promise<AssistanceFixture> {
  const base = await consortiumFixture();
  const desk = await deployAssistanceDesk(await base.consortium.getAddress());
  const client = await AssistanceClient.connect(await desk.getAddress(), base.deployer);
  return { ...base, desk, client };
}
