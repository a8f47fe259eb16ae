import type { HardhatUserConfig } from "hardhat/config";
import config, { HARDFORK, SOLC_VERSION } from "./hardhat.config";

/**
 * The gas benchmark's Hardhat configuration (`npm run bench:gas`): the project's configuration (the compile override
 * that maps each solc version to its npm package included), plus the Ethereum Attestation Service's contracts from
 * `@ethereum-attestation-service/eas-contracts`, compiled from their sources with the solc they pin (0.8.29) into a
 * separate cache. `npx hardhat compile`, the tests and typechain never see them: crossproof's own contracts are
 * deployed from the typechain factories the main compile wrote.
 *
 * EAS is compiled as its repository compiles it (optimizer on, 1,000,000 runs, no via-IR), for the same EVM version
 * as crossproof (cancun), so that both run on one chain with the same gas schedule.
 */
const bench: HardhatUserConfig = {
  ...config,
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: HARDFORK, viaIR: true },
      },
      {
        version: "0.8.29",
        settings: { optimizer: { enabled: true, runs: 1_000_000 }, evmVersion: HARDFORK },
      },
    ],
  },
  networks: {
    ...config.networks,
    hardhat: {
      hardfork: HARDFORK,
      // A 10,000-attestation multiAttest needs 1.76 billion gas in one transaction.
      blockGasLimit: 4_000_000_000,
      allowUnlimitedContractSize: false,
    },
  },
  paths: {
    sources: "./bench/contracts",
    tests: "./test",
    cache: "./cache/bench",
    artifacts: "./cache/bench/artifacts",
  },
  typechain: { outDir: "cache/bench/typechain", dontOverrideCompile: true },
};

export default bench;
