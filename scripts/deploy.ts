/**
 * Deploys (or finds) the crossproof contracts on any EVM JSON-RPC chain.
 *
 *   CROSSPROOF_DEPLOYER_KEY=0x… npm run deploy -- --rpc https://besu.example:8545 \
 *     --config config/my-consortium.json --out deployments/my-consortium.json
 *
 * The deployer key is read from the environment, never from the command line. The deployer founds the
 * consortium from the configuration file and keeps no power afterwards.
 */
import { parseArgs } from "node:util";
import { JsonRpcProvider, Wallet } from "ethers";
import { loadConsortiumConfig } from "../sdk/src";
import { deployCrossproof } from "./lib/deploy";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpc: { type: "string" },
      config: { type: "string", default: "config/demo-consortium.json" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || values.rpc === undefined) {
    console.log(
      "usage: CROSSPROOF_DEPLOYER_KEY=0x… npm run deploy -- --rpc URL [--config FILE] [--out deployments/NAME.json]",
    );
    process.exit(values.help ? 0 : 2);
  }
  const key = process.env.CROSSPROOF_DEPLOYER_KEY;
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    console.error("CROSSPROOF_DEPLOYER_KEY must hold the deployer's private key (0x + 64 hex digits)");
    process.exit(2);
  }
  const provider = new JsonRpcProvider(values.rpc);
  const chainId = (await provider.getNetwork()).chainId;
  const out = values.out ?? `deployments/${chainId}.json`;
  const config = loadConsortiumConfig(values.config);
  const result = await deployCrossproof({
    signer: new Wallet(key, provider),
    config,
    deploymentFile: out,
    log: (l) => console.log(l),
  });
  console.log(`deployment recorded in ${out} (chain ${chainId}); deployed: ${result.deployed.join(", ") || "none"}`);
  provider.destroy();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
