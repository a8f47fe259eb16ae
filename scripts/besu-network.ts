/**
 * A Hyperledger Besu QBFT network for crossproof: what the generator writes (`npm run besu:generate`) and what the
 * genesis lint checks (`npm run lint:genesis`). See docs/BESU.md.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet, getAddress, toQuantity } from "ethers";
import { QBFT_MIX_HASH, decodeQbftExtraData, qbftGenesisExtraData, qbftQuorum } from "../sdk/src";

/** Besu's code size limit as on Ethereum (EIP-170); every crossproof contract stays under it. */
export const CONTRACT_SIZE_LIMIT = 24_576;
/** The block gas limit, as on the local chain (scripts/lib/anvil.ts CHAIN_BLOCK_GAS_LIMIT). */
export const BLOCK_GAS_LIMIT = 30_000_000;
export const BLOCK_PERIOD_SECONDS = 2;
export const REQUEST_TIMEOUT_SECONDS = 4;
/** Besu's default `--rpc-max-logs-range`: eth_getLogs spans at most this many blocks. */
export const MAX_LOGS_RANGE = 5_000;
/** Blocks of world state a Bonsai node keeps (`--bonsai-historical-block-limit` default). */
export const STATE_HISTORY_BLOCKS = 512;
/** Default chain id of a generated network (an operator passes their own). */
export const DEFAULT_CHAIN_ID = 4_270_713;
export const DEFAULT_COUNTRIES = ["FR", "DE", "US", "ES", "IT", "NL", "PL", "BE"];
export const P2P_PORT = 30303;
export const RPC_PORT = 8545;

/** The EVM versions solc knows, oldest first, with the genesis key that activates each on Besu. */
const FORKS: { evm: string; key: string }[] = [
  { evm: "homestead", key: "homesteadBlock" },
  { evm: "tangerineWhistle", key: "eip150Block" },
  { evm: "spuriousDragon", key: "eip158Block" },
  { evm: "byzantium", key: "byzantiumBlock" },
  { evm: "constantinople", key: "constantinopleBlock" },
  { evm: "petersburg", key: "petersburgBlock" },
  { evm: "istanbul", key: "istanbulBlock" },
  { evm: "berlin", key: "berlinBlock" },
  { evm: "london", key: "londonBlock" },
  { evm: "paris", key: "londonBlock" }, // no proof-of-work to leave on QBFT: paris' opcodes (PREVRANDAO) come with london
  { evm: "shanghai", key: "shanghaiTime" },
  { evm: "cancun", key: "cancunTime" },
  { evm: "prague", key: "pragueTime" },
  { evm: "osaka", key: "osakaTime" },
];

export interface NetworkNode {
  /** e.g. "fr-1". */
  name: string;
  country: string;
  address: string;
  /** Uncompressed public key without the 04 prefix (what an enode URL carries). */
  publicKey: string;
  host: string;
  enode: string;
  /** The node a verifier's gateway reads (DEBUG API on): the first of each country. */
  verifierFacing: boolean;
}

export interface NetworkManifest {
  chainId: number;
  countries: string[];
  validatorsPerCountry: number;
  validators: NetworkNode[];
  /** Accounts allowed to send transactions: the deployer and each country's gateway relayer. */
  accounts: { name: string; country: string | undefined; address: string }[];
}

export interface GenerateNetworkParameters {
  out: string;
  countries: string[];
  validatorsPerCountry: number;
  chainId?: number;
  /** Host (IP address) of each node by name; default 10.<country>.0.<n> placeholders. */
  hosts?: Record<string, string>;
  /** Keys to use instead of new random ones (tests), by node or account name. */
  keys?: Record<string, string>;
}

function tomlList(items: readonly string[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
}

/** The genesis file of a crossproof QBFT network. */
export function besuGenesis(chainId: number, validators: readonly string[]): Record<string, unknown> {
  return {
    config: {
      chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      zeroBaseFee: true,
      contractSizeLimit: CONTRACT_SIZE_LIMIT,
      qbft: {
        blockperiodseconds: BLOCK_PERIOD_SECONDS,
        epochlength: 30_000,
        requesttimeoutseconds: REQUEST_TIMEOUT_SECONDS,
      },
    },
    nonce: "0x0",
    timestamp: "0x0",
    gasLimit: toQuantity(BLOCK_GAS_LIMIT),
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    extraData: qbftGenesisExtraData(validators),
    alloc: {},
  };
}

/** Writes keys, genesis, allowlists and node configurations of a new network into `out`; returns its manifest. */
export function generateNetwork(p: GenerateNetworkParameters): NetworkManifest {
  if (p.countries.length < 1) throw new Error("at least one country");
  if (!Number.isInteger(p.validatorsPerCountry) || p.validatorsPerCountry < 1) {
    throw new Error("--validators-per-country must be a positive integer");
  }
  for (const c of p.countries) if (!/^[A-Z]{2}$/.test(c)) throw new Error(`${c} is not an ISO 3166-1 alpha-2 code`);
  if (new Set(p.countries).size !== p.countries.length) throw new Error("a country is listed twice");
  const chainId = p.chainId ?? DEFAULT_CHAIN_ID;
  const keyFor = (name: string) => p.keys?.[name] ?? Wallet.createRandom().privateKey;

  const validators: NetworkNode[] = [];
  p.countries.forEach((country, ci) => {
    for (let n = 1; n <= p.validatorsPerCountry; ++n) {
      const name = `${country.toLowerCase()}-${n}`;
      const wallet = new Wallet(keyFor(name));
      const host = p.hosts?.[name] ?? `10.${10 + ci}.0.${10 + n}`;
      const publicKey = wallet.signingKey.publicKey.slice(4);
      validators.push({
        name,
        country,
        address: wallet.address,
        publicKey,
        host,
        enode: `enode://${publicKey}@${host}:${P2P_PORT}`,
        verifierFacing: n === 1,
      });
      writeSecret(path.join(p.out, "nodes", name, "key"), wallet.privateKey.slice(2));
    }
  });
  const accounts = ["deployer", ...p.countries.map((c) => `relayer-${c.toLowerCase()}`)].map((name) => {
    const wallet = new Wallet(keyFor(name));
    writeSecret(path.join(p.out, "accounts", `${name}.key`), wallet.privateKey);
    const country = name.startsWith("relayer-") ? name.slice(8).toUpperCase() : undefined;
    return { name, country, address: wallet.address };
  });
  const manifest: NetworkManifest = {
    chainId,
    countries: p.countries,
    validatorsPerCountry: p.validatorsPerCountry,
    validators,
    accounts,
  };

  mkdirSync(p.out, { recursive: true });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(p.out, file)), { recursive: true });
    writeFileSync(path.join(p.out, file), text);
  };
  write(
    "genesis.json",
    JSON.stringify(
      besuGenesis(
        chainId,
        validators.map((v) => v.address),
      ),
      null,
      2,
    ) + "\n",
  );
  write("network.json", JSON.stringify(manifest, null, 2) + "\n");
  write("permissions_config.toml", permissionsConfig(manifest));
  for (const node of validators) write(path.join("nodes", node.name, "config.toml"), nodeConfig(node, manifest));
  return manifest;
}

function writeSecret(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The allowlists every node holds, identical everywhere (one file, copied to each node). */
export function permissionsConfig(m: NetworkManifest): string {
  return [
    "# crossproof network allowlists: the same file on every node (docs/BESU.md, 'Allowlists').",
    "# Nodes: every validator (and any read-only node a member adds). Accounts: who may send transactions at all:",
    "# the deployer and each member gateway's relayer. Membership itself is governed on chain by the Consortium",
    "# contract; an account here can still do nothing a member's EIP-712 signature does not authorise.",
    `nodes-allowlist=${tomlList(m.validators.map((v) => v.enode))}`,
    `accounts-allowlist=${tomlList(m.accounts.map((a) => a.address))}`,
    "",
  ].join("\n");
}

/** One validator's Besu configuration (paths relative to the network folder, where Besu is started). */
export function nodeConfig(node: NetworkNode, m: NetworkManifest): string {
  const apis = ["ETH", "NET", "WEB3", "QBFT", "PERM", ...(node.verifierFacing ? ["DEBUG"] : [])];
  return [
    `# Besu validator ${node.name} (${node.country}), ${node.address}`,
    `# Start from the network folder: besu --config-file=nodes/${node.name}/config.toml`,
    'profile="ENTERPRISE"',
    'genesis-file="genesis.json"',
    `data-path="data/${node.name}"`,
    `node-private-key-file="nodes/${node.name}/key"`,
    "",
    "# Zero gas price: the chain has no fee market (zeroBaseFee in the genesis); accounts hold no ether.",
    "min-gas-price=0",
    "",
    "# Peer-to-peer: every validator knows every other one; only allowlisted nodes may connect.",
    `p2p-host="${node.host}"`,
    `p2p-port=${P2P_PORT}`,
    `bootnodes=${tomlList(m.validators.filter((v) => v.name !== node.name).map((v) => v.enode))}`,
    "permissions-nodes-config-file-enabled=true",
    'permissions-nodes-config-file="permissions_config.toml"',
    "permissions-accounts-config-file-enabled=true",
    'permissions-accounts-config-file="permissions_config.toml"',
    "",
    "# JSON-RPC for this country's gateway only, on the same host (PERM: the operator updates the allowlists).",
    "rpc-http-enabled=true",
    'rpc-http-host="127.0.0.1"',
    `rpc-http-port=${RPC_PORT}`,
    `rpc-http-api=${tomlList(apis)}`,
    'host-allowlist=["localhost","127.0.0.1"]',
    `rpc-max-logs-range=${MAX_LOGS_RANGE}`,
    "revert-reason-enabled=true",
    "",
    `# Bonsai keeps the world state of the last ${STATE_HISTORY_BLOCKS} blocks; crossproof reads no older state.`,
    'data-storage-format="BONSAI"',
    "metrics-enabled=true",
    'metrics-host="127.0.0.1"',
    "",
  ].join("\n");
}

/** One genesis lint finding. */
export interface GenesisCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/** What the compiled contracts need: their EVM version (from solc's metadata) and deployed sizes. */
export interface CompiledContracts {
  evmVersions: Set<string>;
  sizes: { name: string; bytes: number }[];
}

/** Reads the EVM version from each contract's solc metadata and its deployed size, from Hardhat's artifacts. */
export function readCompiledContracts(artifactsDir: string): CompiledContracts {
  const evmVersions = new Set<string>();
  const sizes: { name: string; bytes: number }[] = [];
  const contractsDir = path.join(artifactsDir, "contracts");
  if (!existsSync(contractsDir)) throw new Error(`no artifacts in ${artifactsDir}: run npm run compile`);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  const buildInfos = new Map<string, { output: { contracts: Record<string, Record<string, unknown>> } }>();
  for (const file of walk(contractsDir).filter((f) => f.endsWith(".dbg.json"))) {
    const rel = path.relative(contractsDir, file);
    if (rel.startsWith(`test${path.sep}`)) continue; // test-only contracts never reach a consortium chain
    const dbg = JSON.parse(readFileSync(file, "utf8")) as { buildInfo: string };
    const infoFile = path.resolve(path.dirname(file), dbg.buildInfo);
    if (!buildInfos.has(infoFile)) buildInfos.set(infoFile, JSON.parse(readFileSync(infoFile, "utf8")));
    const source = `contracts/${path.dirname(rel).split(path.sep).join("/")}`;
    const name = path.basename(file, ".dbg.json");
    const out = buildInfos.get(infoFile)!.output.contracts[source]?.[name] as
      { metadata: string; evm: { deployedBytecode: { object: string } } } | undefined;
    if (out === undefined) throw new Error(`${source}:${name} is not in its build info ${infoFile}`);
    evmVersions.add((JSON.parse(out.metadata) as { settings: { evmVersion: string } }).settings.evmVersion);
    sizes.push({ name: `${source}:${name}`, bytes: out.evm.deployedBytecode.object.length / 2 });
  }
  return { evmVersions, sizes };
}

/** Checks a genesis against what crossproof needs; with the network manifest, also its validators and tolerance. */
export function lintGenesis(
  genesis: Record<string, unknown>,
  compiled: CompiledContracts,
  manifest?: NetworkManifest,
): GenesisCheck[] {
  const checks: GenesisCheck[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  const config = (genesis.config ?? {}) as Record<string, unknown>;

  const chainId = config.chainId;
  add(
    "chain id",
    Number.isSafeInteger(chainId) && (chainId as number) > 0 && ![1, 31337].includes(chainId as number),
    `chainId ${String(chainId)} (a positive integer, not mainnet's 1 nor the local chain's 31337)`,
  );

  // Milestones: every fork up to the compiled EVM version active from the genesis.
  for (const evm of [...compiled.evmVersions].sort()) {
    const index = FORKS.findIndex((f) => f.evm === evm);
    if (index < 0) {
      add(`milestones ≥ ${evm}`, false, `unknown EVM version ${evm} in the artifacts' metadata`);
      continue;
    }
    const missing = FORKS.slice(0, index + 1)
      .map((f) => f.key)
      .filter((key) => key !== "homesteadBlock" || config[key] !== undefined) // Besu starts at homestead rules anyway
      .filter((key) => config[key] !== 0);
    add(
      `milestones ≥ ${evm}`,
      missing.length === 0,
      missing.length === 0
        ? `the contracts are compiled for ${evm}; every fork up to it is active from the genesis`
        : `the contracts are compiled for ${evm} but ${[...new Set(missing)].join(", ")} ${missing.length === 1 ? "is" : "are"} not 0`,
    );
  }

  add("zero base fee", config.zeroBaseFee === true, `zeroBaseFee is ${String(config.zeroBaseFee)} (must be true)`);
  const sizeLimit = config.contractSizeLimit;
  const largest = compiled.sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: "(none)", bytes: 0 });
  add(
    "contract size limit",
    sizeLimit === CONTRACT_SIZE_LIMIT && largest.bytes <= CONTRACT_SIZE_LIMIT,
    `contractSizeLimit ${String(sizeLimit)} (must be ${CONTRACT_SIZE_LIMIT}); largest contract ${largest.name} ` +
      `${largest.bytes} bytes`,
  );
  const gasLimit = typeof genesis.gasLimit === "string" ? Number(BigInt(genesis.gasLimit)) : NaN;
  add(
    "gas limit",
    gasLimit >= 10_000_000 && gasLimit <= 100_000_000,
    `gasLimit ${String(genesis.gasLimit)} (${gasLimit}): between 10,000,000 (a contract deployment fits) and ` +
      "100,000,000 (a full block still executes well within the block period)",
  );
  const qbft = config.qbft as Record<string, unknown> | undefined;
  add(
    "QBFT timing",
    qbft !== undefined &&
      qbft.blockperiodseconds === BLOCK_PERIOD_SECONDS &&
      qbft.requesttimeoutseconds === REQUEST_TIMEOUT_SECONDS,
    qbft === undefined
      ? "no qbft section"
      : `block period ${String(qbft.blockperiodseconds)} s (want ${BLOCK_PERIOD_SECONDS}), request timeout ` +
          `${String(qbft.requesttimeoutseconds)} s (want ${REQUEST_TIMEOUT_SECONDS})`,
  );
  add(
    "BFT header constants",
    genesis.mixHash === QBFT_MIX_HASH && genesis.difficulty === "0x1",
    `mixHash ${String(genesis.mixHash)}, difficulty ${String(genesis.difficulty)}`,
  );

  let validators: string[] = [];
  try {
    const extra = decodeQbftExtraData(String(genesis.extraData));
    validators = extra.validators;
    const ok = validators.length > 0 && new Set(validators).size === validators.length && extra.seals.length === 0;
    add(
      "extraData",
      ok,
      `QBFT extraData with ${validators.length} distinct validators, round ${extra.round}, ${extra.seals.length} seals`,
    );
  } catch (err) {
    add("extraData", false, (err as Error).message);
  }
  if (manifest !== undefined) {
    const listed = manifest.validators.map((v) => getAddress(v.address));
    add(
      "extraData validators",
      JSON.stringify(validators) === JSON.stringify(listed),
      `extraData lists ${validators.length} validators; network.json lists ${listed.length}` +
        (JSON.stringify(validators) === JSON.stringify(listed) ? ", the same in the same order" : ": they differ"),
    );
    add("chain id matches", manifest.chainId === chainId, `network.json chainId ${manifest.chainId}`);
    const perCountry = new Map<string, number>();
    for (const v of manifest.validators) perCountry.set(v.country, (perCountry.get(v.country) ?? 0) + 1);
    const n = listed.length;
    const tolerated = n - qbftQuorum(n);
    const biggest = Math.max(...perCountry.values());
    add(
      "one country down",
      tolerated >= biggest,
      `${n} validators, quorum ${qbftQuorum(n)}: ${tolerated} may be down; the largest country runs ${biggest}`,
    );
  }
  return checks;
}
