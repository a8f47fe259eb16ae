import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/**
 * The Solidity compiler comes from the pinned npm `solc` package (solc-js), never from a download.
 * This is Hardhat's documented recipe for a custom compiler; see
 * https://hardhat.org/hardhat-runner/docs/other-guides/using-custom-solc
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const SOLC_VERSION: string = require("solc/package.json").version;

/**
 * Each compiler version the project uses, and the npm package that holds its soljson: ours, and 0.8.29 (an npm alias
 * of `solc`) for the Ethereum Attestation Service's sources, which pin it and which only the gas benchmark compiles
 * (hardhat.bench.config.ts).
 */
const SOLC_PACKAGES: Record<string, string> = { [SOLC_VERSION]: "solc", "0.8.29": "solc-0.8.29" };

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  const pkg = SOLC_PACKAGES[args.solcVersion];
  if (pkg !== undefined) {
    return {
      compilerPath: path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "soljson.js"),
      isSolcJs: true,
      version: args.solcVersion,
      longVersion: args.solcVersion,
    };
  }
  return runSuper();
});

/** The EVM version that the reference consortium chain (Hyperledger Besu, QBFT) runs. */
export const HARDFORK = "cancun";

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: HARDFORK,
      viaIR: true,
    },
  },
  networks: {
    hardhat: {
      hardfork: HARDFORK,
    },
    localhost: {
      url: process.env.CROSSPROOF_RPC_URL ?? "http://127.0.0.1:8545",
    },
  },
  paths: {
    sources: "./contracts",
    tests: "./test",
    cache: "./cache",
    artifacts: "./artifacts",
  },
  typechain: {
    outDir: "sdk/src/typechain",
    target: "ethers-v6",
  },
  mocha: {
    timeout: 120_000,
    // `npm test` runs the test files in parallel (`hardhat test --parallel`): two workers keep two cores busy, as many
    // tests wait on the chain, gateway and browser processes they start. CROSSPROOF_TEST_JOBS sets another number.
    jobs: Number(process.env.CROSSPROOF_TEST_JOBS ?? 2),
  },
  gasReporter: {
    enabled: false,
  },
};

export default config;
