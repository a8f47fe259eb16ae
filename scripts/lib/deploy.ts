import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { keccak256, type BaseContract, type ContractTransactionResponse, type Signer } from "ethers";
import { consortiumConstructorArgs, type ConsortiumConfig } from "../../sdk/src";
import {
  DEPLOYMENT_FORMAT,
  parseDeployment,
  type DeployedContract,
  type DeployedContractName,
  type DeploymentRecord,
  type PartialDeploymentRecord,
} from "../../sdk/src/deployment";
import { DOMAIN_VERSION } from "../../sdk/src/eip712";
import {
  AssistanceDesk__factory,
  AssistanceOrders__factory,
  ConsortiumGovernance__factory,
  Consortium__factory,
  EvidenceRegistry__factory,
  LicenseRegistry__factory,
  RecognitionAgreements__factory,
} from "../../sdk/src/typechain";

export type { DeployedContract, DeploymentRecord } from "../../sdk/src/deployment";

export interface DeployParameters {
  signer: Signer;
  config: ConsortiumConfig;
  /** Where the deployment is recorded; read first, so a second run reuses what exists. */
  deploymentFile: string;
  log?: (line: string) => void;
}

export interface DeployResult {
  record: DeploymentRecord;
  deployed: string[];
  reused: string[];
}

interface StepContext {
  signer: Signer;
  config: ConsortiumConfig;
  consortiumId: string;
  /** Contracts deployed or reused so far, by name. */
  contracts: Partial<Record<DeployedContractName, DeployedContract>>;
  /** Transaction overrides (the nonce, tracked here rather than asked of a possibly caching provider). */
  overrides: { nonce: number };
  /**
   * The nonces of a step that sends more than one transaction (a library, then the contract that links it), in
   * order from the one in `overrides`.
   */
  nextNonce: () => number;
}

interface Step {
  name: DeployedContractName;
  deploy: (ctx: StepContext) => Promise<BaseContract>;
}

/** The contracts, in dependency order. */
const STEPS: Step[] = [
  {
    name: "Consortium",
    deploy: ({ signer, config, consortiumId, overrides }) =>
      new Consortium__factory(signer).deploy(consortiumId, consortiumConstructorArgs(config).founders, overrides),
  },
  {
    name: "ConsortiumGovernance",
    deploy: ({ signer, config, contracts, overrides }) => {
      const args = consortiumConstructorArgs(config);
      return new ConsortiumGovernance__factory(signer).deploy(
        contracts.Consortium!.address,
        args.quorumNumerator,
        args.quorumDenominator,
        args.votingPeriod,
        overrides,
      );
    },
  },
  {
    name: "RecognitionAgreements",
    deploy: ({ signer, contracts, overrides }) =>
      new RecognitionAgreements__factory(signer).deploy(contracts.Consortium!.address, overrides),
  },
  {
    name: "EvidenceRegistry",
    deploy: ({ signer, contracts, overrides }) =>
      new EvidenceRegistry__factory(signer).deploy(contracts.Consortium!.address, overrides),
  },
  {
    name: "LicenseRegistry",
    deploy: ({ signer, contracts, overrides }) =>
      new LicenseRegistry__factory(signer).deploy(contracts.Consortium!.address, overrides),
  },
  {
    name: "AssistanceDesk",
    // The desk links the AssistanceOrders library (issuing, answers and steps; split for the EIP-170 size limit).
    deploy: async ({ signer, contracts, nextNonce }) => {
      const library = await new AssistanceOrders__factory(signer).deploy({ nonce: nextNonce() });
      const links = { "contracts/AssistanceOrders.sol:AssistanceOrders": await library.getAddress() };
      return new AssistanceDesk__factory(links, signer).deploy(contracts.Consortium!.address, { nonce: nextNonce() });
    },
  },
];

/** SHA-256 of the founding configuration, keys sorted, so the record says which configuration founded the chain. */
export function configHash(config: ConsortiumConfig): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return (
    "0x" +
    createHash("sha256")
      .update(JSON.stringify(sort(config)))
      .digest("hex")
  );
}

/**
 * A fresh consortium id: keccak256 of the founding configuration's hash and 32 random bytes, so that two
 * deployments of the same configuration (production and a staging copy) still differ.
 */
export function newConsortiumId(config: ConsortiumConfig): string {
  return keccak256(Buffer.concat([Buffer.from(configHash(config).slice(2), "hex"), randomBytes(32)]));
}

/** The deployment file's record (format 2 files are read as format 3), or undefined when there is no file. */
export function readDeployment(file: string): DeploymentRecord | undefined {
  if (!existsSync(file)) return undefined;
  return parseDeployment(JSON.parse(readFileSync(file, "utf8")), file);
}

function writeDeployment(file: string, record: PartialDeploymentRecord): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + "\n");
  renameSync(tmp, file);
}

/**
 * Deploys every crossproof contract that is not already deployed on the signer's chain, and records them in the
 * deployment file. Idempotent: a contract recorded for this chain whose code is still there is reused.
 */
export async function deployCrossproof(p: DeployParameters): Promise<DeployResult> {
  const log = p.log ?? (() => {});
  const provider = p.signer.provider;
  if (provider === null) throw new Error("the deployer signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const deployer = await p.signer.getAddress();
  const hash = configHash(p.config);
  const previous = readDeployment(p.deploymentFile);
  const record: PartialDeploymentRecord =
    previous !== undefined && previous.chainId === chainId
      ? previous
      : {
          version: DEPLOYMENT_FORMAT,
          chainId,
          deployer,
          consortiumId: newConsortiumId(p.config),
          consortiumConfigHash: hash,
          consortiumName: p.config.name,
          contracts: {},
          previous: [],
          updatedAt: new Date().toISOString(),
        };
  const deployed: string[] = [];
  const reused: string[] = [];
  let nonce: number | undefined;
  for (const step of STEPS) {
    const existing = record.contracts[step.name];
    // Every contract depends on the ones before it: once one is new, the rest are deployed anew too.
    if (deployed.length === 0 && existing !== undefined && (await provider.getCode(existing.address)) !== "0x") {
      reused.push(step.name);
      log(`${step.name}: reusing ${existing.address}`);
      continue;
    }
    nonce ??= await provider.getTransactionCount(deployer, "pending");
    if (step.name === "Consortium") {
      // A new Consortium is a new consortium (a new id): nothing of the old one is its history.
      record.previous = [];
    } else if (existing !== undefined && (await provider.getCode(existing.address)) !== "0x") {
      // A contract replaced under the same Consortium is kept in the record: what it holds stays readable there.
      record.previous.push({ name: step.name, ...existing, retiredAt: new Date().toISOString() });
    }
    if (step.name === "Consortium") record.consortiumId = newConsortiumId(p.config);
    let stepNonce = nonce;
    const contract = await step.deploy({
      signer: p.signer,
      config: p.config,
      consortiumId: record.consortiumId,
      contracts: record.contracts,
      overrides: { nonce: stepNonce },
      nextNonce: () => stepNonce++,
    });
    nonce = Math.max(nonce + 1, stepNonce);
    if (step.name === "Consortium") {
      record.consortiumConfigHash = hash;
      record.consortiumName = p.config.name;
      record.deployer = deployer;
    }
    const tx = contract.deploymentTransaction() as ContractTransactionResponse;
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`${step.name}: deployment failed`);
    record.contracts[step.name] = {
      address: await contract.getAddress(),
      transactionHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      version: DOMAIN_VERSION,
    };
    record.updatedAt = new Date().toISOString();
    writeDeployment(p.deploymentFile, record);
    deployed.push(step.name);
    log(`${step.name}: deployed at ${record.contracts[step.name]!.address} (gas ${receipt.gasUsed})`);
  }
  // Link governance and agreements to the Consortium, once (the deployer's last power, given up by using it).
  const consortium = Consortium__factory.connect(record.contracts.Consortium!.address, p.signer);
  if ((await consortium.governance()) === "0x0000000000000000000000000000000000000000") {
    nonce ??= await provider.getTransactionCount(deployer, "pending");
    const tx = await consortium.link(
      record.contracts.ConsortiumGovernance!.address,
      record.contracts.RecognitionAgreements!.address,
      { nonce: nonce++ },
    );
    await tx.wait();
    log("Consortium: governance and agreements linked");
  }
  if (record.consortiumConfigHash !== hash) {
    log(
      "warning: the Consortium on this chain was founded with another configuration; " +
        "membership changes now go through governance proposals",
    );
  }
  writeDeployment(p.deploymentFile, record);
  return { record: parseDeployment(record, p.deploymentFile), deployed, reused };
}
