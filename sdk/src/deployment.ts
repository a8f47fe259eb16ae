/**
 * The deployment record: where a consortium's contracts live on one chain, which versions it has used, and the
 * consortium id every signed request is bound to. Written by the deployer (`npm run deploy`, `npm start`), read by
 * everyone who connects ({@link connect}) — a partner agency receives this file from the consortium, not from the
 * chain.
 *
 * Format 3 lists, besides the current contracts, every contract the consortium used before (`previous`): records
 * anchored under an earlier EvidenceRegistry keep verifying, because the verifier reads each record where it was
 * anchored. Format 2 files (one address per contract) are still read, as format 3 with no previous contracts.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DOMAIN_VERSION, type ContractName } from "./eip712";
import { CrossproofError } from "./errors";

/** The crossproof contracts, in the order they are deployed (each depends on the ones before it). */
export const DEPLOYED_CONTRACTS = [
  "Consortium",
  "ConsortiumGovernance",
  "RecognitionAgreements",
  "EvidenceRegistry",
  "LicenseRegistry",
  "AssistanceDesk",
] as const satisfies readonly ContractName[];
export type DeployedContractName = (typeof DEPLOYED_CONTRACTS)[number];

/** The contract versions (EIP-712 domain `version`) this SDK reads and writes. */
export const SUPPORTED_CONTRACT_VERSIONS: readonly string[] = [DOMAIN_VERSION];

/** The deployment-file format this SDK writes. */
export const DEPLOYMENT_FORMAT = 3;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x and 40 hex digits)");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex");

const deployedContract = z
  .object({
    address,
    transactionHash: bytes32,
    blockNumber: z.number().int().nonnegative(),
    /** The contract's EIP-712 domain version (its ABI and rules): "2" for every contract of this SDK. */
    version: z.string().min(1).default(DOMAIN_VERSION),
  })
  .strict();

/** One deployed contract. */
export type DeployedContract = z.infer<typeof deployedContract>;

const retiredContract = deployedContract
  .extend({
    name: z.enum(DEPLOYED_CONTRACTS),
    /** When the contract was replaced (ISO 8601): records written before stay where they are. */
    retiredAt: z.string().datetime(),
  })
  .strict();

/** A contract the consortium used before the current one of the same name. */
export type RetiredContract = z.infer<typeof retiredContract>;

const contractsSchema = z
  .object(
    Object.fromEntries(DEPLOYED_CONTRACTS.map((name) => [name, deployedContract])) as Record<
      DeployedContractName,
      typeof deployedContract
    >,
  )
  .strict();

const common = {
  chainId: z.number().int().positive(),
  deployer: address,
  consortiumId: bytes32,
  consortiumConfigHash: bytes32,
  consortiumName: z.string(),
  updatedAt: z.string().datetime(),
};

const recordV3 = z
  .object({
    version: z.literal(3),
    ...common,
    contracts: contractsSchema,
    previous: z.array(retiredContract).default([]),
  })
  .strict();

const recordV2 = z
  .object({ version: z.literal(2), ...common, contracts: contractsSchema })
  .strict()
  .transform((r) => ({ ...r, version: 3 as const, previous: [] as RetiredContract[] }));

/** A deployment record (format 3; format 2 files are read as format 3 with no previous contracts). */
export type DeploymentRecord = z.infer<typeof recordV3>;

/** The same record while it is being written: contracts are added one by one as they are deployed. */
export type PartialDeploymentRecord = Omit<DeploymentRecord, "contracts"> & {
  contracts: Partial<Record<DeployedContractName, DeployedContract>>;
};

/**
 * Reads a deployment record from its JSON value, checking every field (addresses, hashes, contract names) and the
 * contract versions this SDK supports. Errors: `DEPLOYMENT_INVALID`, naming the field.
 */
export function parseDeployment(value: unknown, source = "the deployment record"): DeploymentRecord {
  const version = (value as { version?: unknown } | null)?.version;
  const schema = version === 2 ? recordV2 : recordV3;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    const hint = version !== 2 && version !== 3 ? ` (format ${String(version)}; this SDK reads formats 2 and 3)` : "";
    throw new CrossproofError("DEPLOYMENT_INVALID", `${source} is not valid${where}: ${issue.message}${hint}`, {
      details: { issues: parsed.error.issues },
    });
  }
  const record = parsed.data;
  for (const c of [...DEPLOYED_CONTRACTS.map((name) => ({ name, ...record.contracts[name] })), ...record.previous]) {
    if (!SUPPORTED_CONTRACT_VERSIONS.includes(c.version)) {
      throw new CrossproofError(
        "DEPLOYMENT_INVALID",
        `${source}: ${c.name} at ${c.address} is version ${c.version}; this SDK reads versions ` +
          `${SUPPORTED_CONTRACT_VERSIONS.join(", ")} (upgrade @crossproof/sdk)`,
        { details: { contract: c.name, address: c.address, version: c.version } },
      );
    }
  }
  return record;
}

/**
 * Reads a deployment file (JSON). Errors: `DEPLOYMENT_NOT_FOUND` (no such file), `DEPLOYMENT_INVALID` (not JSON,
 * or not a deployment record).
 * @example
 * const deployment = readDeploymentFile(".crossproof/deployment.json");
 * console.log(deployment.contracts.EvidenceRegistry.address);
 */
export function readDeploymentFile(file: string): DeploymentRecord {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new CrossproofError("DEPLOYMENT_NOT_FOUND", `no deployment file at ${file} (run \`npm run deploy\`?)`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CrossproofError("DEPLOYMENT_INVALID", `${file} is not JSON`, { cause });
  }
  return parseDeployment(json, file);
}

/**
 * Every address a contract of this name has had in the consortium, the current one first, then the earlier ones
 * from the newest: where a record written under an earlier version is read.
 */
export function contractHistory(
  record: DeploymentRecord,
  name: DeployedContractName,
): (DeployedContract & { retiredAt?: string })[] {
  const previous = record.previous
    .filter((c) => c.name === name)
    .sort((a, b) => b.blockNumber - a.blockNumber)
    .map(({ name: _name, ...c }) => c);
  return [record.contracts[name], ...previous];
}
