/**
 * `npm start`: the embedded crossproof stack on one machine.
 *
 * Starts a local chain (Anvil, from the npm package) whose state persists under the data folder, deploys the
 * crossproof contracts once (a restart reuses the recorded deployment), founds the demo consortium from its
 * configuration file, prints what runs where, and stops cleanly on Ctrl-C with the state saved.
 *
 * The chain state is saved by the launcher (`scripts/lib/anvil.ts`, `scripts/lib/chain-state.ts`): atomically, every
 * 5 s after new blocks and on Ctrl-C, keeping the previous save as the last good copy, which is loaded when the chain
 * refuses the latest one.
 *
 * Environment:
 *   CROSSPROOF_DATA_DIR            data folder (default .crossproof)
 *   CROSSPROOF_CHAIN_PORT          chain JSON-RPC port on 127.0.0.1 (default 8545)
 *   CROSSPROOF_CONSORTIUM_CONFIG   founding configuration (default config/demo-consortium.json)
 *   CROSSPROOF_STATE_INTERVAL      least seconds between two periodic saves of the chain state (default 5)
 */
import path from "node:path";
import { Wallet } from "ethers";
import {
  Assurance,
  ConsortiumClient,
  fromJurisdiction,
  loadConsortiumConfig,
  Role,
  type ConsortiumConfig,
  type DeploymentRecord,
} from "../sdk/src";
import { concludeConfiguredAgreements, listAgreements } from "./lib/agreements";
import {
  ANVIL_DEPLOYER_KEY,
  CHAIN_HARDFORK,
  DEFAULT_STATE_INTERVAL_SECONDS,
  IDLE_BLOCK_SECONDS,
  anvilHolding,
  devAccountFor,
  localChainId,
  localProvider,
  rpcAnswers,
  startAnvil,
  type RunningAnvil,
} from "./lib/anvil";
import { describeSavedState } from "./lib/chain-state";
import { configHash, deployCrossproof } from "./lib/deploy";
import { DEMO_KEYSTORE_PASSWORD, GATEWAY_RELAYER_ACCOUNT, startDemoGateway } from "./lib/demo-gateway";
import type { RunningGateway } from "../server/src/gateway";

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CROSSPROOF_DATA_DIR ?? ".crossproof");
  const port = Number(process.env.CROSSPROOF_CHAIN_PORT ?? 8545);
  const configPath = process.env.CROSSPROOF_CONSORTIUM_CONFIG ?? "config/demo-consortium.json";
  const config = loadConsortiumConfig(configPath);
  const stateFile = path.join(dataDir, "chain", "state.json");
  const deploymentFile = path.join(dataDir, "deployment.json");

  if (await rpcAnswers(`http://127.0.0.1:${port}`)) {
    const pid = anvilHolding(stateFile);
    throw new Error(
      `something already answers JSON-RPC on port ${port}; stop it or set CROSSPROOF_CHAIN_PORT` +
        (pid === undefined ? "" : ` (the chain of an earlier npm start, pid ${pid}, is still running: kill ${pid})`),
    );
  }
  console.log(`starting the chain (Anvil, hardfork ${CHAIN_HARDFORK}) with its state in ${stateFile}`);
  const chainId = localChainId(dataDir, configHash(config));
  const stateInterval = Number(process.env.CROSSPROOF_STATE_INTERVAL ?? DEFAULT_STATE_INTERVAL_SECONDS);
  const anvil = await startAnvil({ port, stateFile, stateInterval, chainId, log: (l) => console.log(l) });
  console.log(
    anvil.loadedFrom === undefined
      ? "  a new chain"
      : `  loaded ${anvil.loadedFrom} (${describeSavedState(anvil.loadedFrom)})`,
  );
  let stopping = false;
  let gateway: RunningGateway | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: saving the chain state and stopping (the gateway first)`);
    await gateway?.close();
    await anvil.stop();
    console.log(`stopped; state saved in ${stateFile}`);
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal));
  anvil.process.once("close", (code, signal) => {
    if (!stopping) {
      console.error(`the chain exited unexpectedly (${signal ?? `code ${code}`}); its last words:`);
      for (const line of anvil.lastOutput()) console.error(`  ${line}`);
      console.error(`the last save is kept in ${stateFile}`);
      process.exit(1);
    }
  });

  try {
    const record = await deployAndDescribe(anvil, config, deploymentFile, stateFile, stateInterval);
    await anvil.saveState(); // the deployment is on disk before anyone relies on it
    const provider = localProvider(anvil.url);
    gateway = await startDemoGateway({
      provider,
      record,
      rpcUrl: anvil.url,
      dataDir,
      log: (l) => console.log(`  ${l}`),
    });
    provider.destroy();
    await anvil.saveState();
    await untilReady(gateway.url);
    describeGateway(gateway, record);
  } catch (err) {
    // Keep what the chain did before the failure: save, then stop it.
    if (!stopping) {
      stopping = true;
      await gateway?.close();
      await anvil.stop();
    }
    throw err;
  }
  console.log("press Ctrl-C to stop (the chain state is saved)");
}

/** Deploys (or reuses) the contracts, concludes the configured agreements, and prints what runs where. */
async function deployAndDescribe(
  anvil: RunningAnvil,
  config: ConsortiumConfig,
  deploymentFile: string,
  stateFile: string,
  stateInterval: number,
): Promise<DeploymentRecord> {
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
  console.log(
    `  mining                 each transaction as it arrives, and a block every ${IDLE_BLOCK_SECONDS} s ` +
      "(chain time stays current)",
  );
  console.log(
    `  chain state            ${stateFile}  (saved every ${stateInterval} s after new blocks, and on Ctrl-C)`,
  );
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
  return record;
}

/** Waits until the gateway says it is ready (the chain answers, its index caught up), at most a minute. */
async function untilReady(url: string): Promise<void> {
  const until = Date.now() + 60_000;
  let last = "";
  while (Date.now() < until) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
      last = ((await res.json()) as { detail?: string }).detail ?? `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the gateway at ${url} did not get ready within a minute: ${last}`);
}

/** Where the gateway is and how the demo members use it. */
function describeGateway(gateway: RunningGateway, record: DeploymentRecord): void {
  const { config, members } = gateway.ctx;
  console.log(`  gateway                ${gateway.url}`);
  console.log(`    OpenAPI              ${gateway.url}/openapi.json`);
  console.log(`    report keys (JWKS)   ${gateway.url}/.well-known/jwks.json`);
  console.log(`    database             ${config.database}`);
  console.log(
    `    content store        ${config.contentStore.kind === "kubo" ? config.contentStore.url : config.contentStore.dir}`,
  );
  console.log(
    `    keystore             ${config.keystoreDir}` +
      (process.env.CROSSPROOF_KEYSTORE_PASSWORD === undefined ? `  (demo password "${DEMO_KEYSTORE_PASSWORD}")` : ""),
  );
  console.log(`    relayer              Anvil dev account ${GATEWAY_RELAYER_ACCOUNT}`);
  console.log(
    `    hosted members       ${[...members.keys()].map(String).join(", ")} of chain ${record.chainId}; demo credentials ` +
      "(Anvil's public test keys: sign in with Sign-In with Ethereum, POST /v1/auth/nonce then /v1/auth/siwe):",
  );
  for (const [id, m] of members) {
    const key = m.signers[0];
    if (key !== undefined) console.log(`      member ${id}  ${key.address}  private key ${key.privateKey}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
