/**
 * `npm start`: the embedded crossproof stack on one machine.
 *
 * Starts a local chain (Anvil, from the npm package) whose state persists under the data folder, deploys the
 * crossproof contracts once (a restart reuses the recorded deployment), founds the demo consortium from its
 * configuration file, prints what runs where, and stops cleanly on Ctrl-C with the state kept.
 *
 * Environment:
 *   CROSSPROOF_DATA_DIR            data folder (default .crossproof)
 *   CROSSPROOF_CHAIN_PORT          chain JSON-RPC port on 127.0.0.1 (default 8545)
 *   CROSSPROOF_CONSORTIUM_CONFIG   founding configuration (default config/demo-consortium.json)
 */
import path from "node:path";
import { Wallet } from "ethers";
import { Assurance, ConsortiumClient, fromJurisdiction, loadConsortiumConfig, Role } from "../sdk/src";
import { concludeConfiguredAgreements, listAgreements } from "./lib/agreements";
import {
  ANVIL_DEPLOYER_KEY,
  CHAIN_HARDFORK,
  devAccountFor,
  localChainId,
  localProvider,
  rpcAnswers,
  startAnvil,
} from "./lib/anvil";
import { configHash, deployCrossproof } from "./lib/deploy";

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CROSSPROOF_DATA_DIR ?? ".crossproof");
  const port = Number(process.env.CROSSPROOF_CHAIN_PORT ?? 8545);
  const configPath = process.env.CROSSPROOF_CONSORTIUM_CONFIG ?? "config/demo-consortium.json";
  const config = loadConsortiumConfig(configPath);
  const stateFile = path.join(dataDir, "chain", "state.json");
  const deploymentFile = path.join(dataDir, "deployment.json");

  if (await rpcAnswers(`http://127.0.0.1:${port}`)) {
    throw new Error(`something already answers JSON-RPC on port ${port}; stop it or set CROSSPROOF_CHAIN_PORT`);
  }
  console.log(`starting the chain (Anvil, hardfork ${CHAIN_HARDFORK}) with its state in ${stateFile}`);
  const chainId = localChainId(dataDir, configHash(config));
  const anvil = await startAnvil({ port, stateFile, chainId });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: saving the chain state and stopping`);
    await anvil.stop();
    console.log(`stopped; state kept in ${dataDir}`);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  anvil.process.once("exit", (code) => {
    if (!stopping) {
      console.error(`the chain exited unexpectedly (code ${code})`);
      process.exit(1);
    }
  });

  const provider = localProvider(anvil.url);
  const signer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
  const { record, deployed } = await deployCrossproof({
    signer,
    config,
    deploymentFile,
    log: (l) => console.log(`  ${l}`),
  });

  await concludeConfiguredAgreements({
    provider,
    relayer: signer,
    record,
    config,
    keyFor: (address) => devAccountFor(address, provider),
    log: (l) => console.log(`  ${l}`),
  });

  const client = await ConsortiumClient.connect(record.contracts.Consortium!.address, provider);
  const consortium = client.consortium;
  const count = Number(await consortium.memberCount());
  const roleNames = (mask: bigint) =>
    Object.entries(Role)
      .filter(([, bit]) => (mask & BigInt(bit)) !== 0n)
      .map(([n]) => n)
      .join("+");
  const statusNames = ["none", "active", "suspended", "removed"];
  console.log("");
  console.log(`crossproof is ready (${deployed.length > 0 ? "deployed now" : "existing deployment reused"})`);
  console.log(`  chain                  ${anvil.url}  (chain id ${record.chainId}, Anvil)`);
  for (const [name, c] of Object.entries(record.contracts)) {
    console.log(`  ${name.padEnd(22)} ${c.address}`);
  }
  console.log(`  deployment             ${deploymentFile}`);
  console.log(`  consortium             ${record.consortiumName}`);
  console.log(`  consortium id          ${record.consortiumId}  (the salt of every EIP-712 domain)`);
  for (let id = 1; id <= count; ++id) {
    const m = await consortium.getMember(id);
    const keys = await consortium.keysOf(id);
    console.log(
      `    member ${id}  ${fromJurisdiction(m.jurisdiction)}  ${roleNames(m.roles).padEnd(18)} ` +
        `${statusNames[Number(m.status)]}  key ${keys[keys.length - 1]}`,
    );
  }
  const jurisdictions: string[] = [];
  for (let id = 1; id <= count; ++id)
    jurisdictions.push(fromJurisdiction((await consortium.getMember(id)).jurisdiction));
  const agreements = await listAgreements(client, jurisdictions);
  const flags = (mask: number) =>
    Object.entries(Assurance)
      .filter(([, bit]) => (mask & bit) !== 0)
      .map(([n]) => n)
      .join("+") || "none";
  const hours = (s: number) => (s === 0 ? "default" : `${s / 3600} h`);
  console.log(`  recognition agreements (${agreements.length})`);
  for (const a of agreements) {
    console.log(
      `    #${a.id}  ${a.from} → ${a.to}  categories ${a.categories.join(",")}  assurance ${flags(a.minAssurance)}` +
        `${a.anchorWindow > 0 ? ` (anchor within ${hours(a.anchorWindow)})` : ""}` +
        `  assistance ${hours(a.responseWindow)} / emergency ${hours(a.emergencyResponseWindow)}` +
        `${a.suspended ? "  SUSPENDED" : ""}`,
    );
  }
  console.log("press Ctrl-C to stop (the chain state is kept)");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
