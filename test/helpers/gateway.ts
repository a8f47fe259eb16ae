import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, type JsonRpcProvider, type Wallet } from "ethers";
import { loadConsortiumConfig, type DeploymentRecord } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import {
  ANVIL_MNEMONIC,
  devAccount,
  devAccountFor,
  freePort,
  localProvider,
  startAnvil,
  type RunningAnvil,
} from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { loadGatewayConfig, type ConfigKey, type GatewayConfig } from "../../server/src/config";
import { startGateway, type GatewayModule, type RunningGateway } from "../../server/src/gateway";

const root = path.resolve(__dirname, "..", "..");

/** A dev account's private key (Anvil's mnemonic). */
export function devKey(index: number): string {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${index}`).privateKey;
}

/** A real chain (Anvil) with the demo consortium deployed and its agreements concluded, in a temporary data folder. */
export interface TestChain {
  anvil: RunningAnvil;
  provider: JsonRpcProvider;
  dataDir: string;
  deploymentFile: string;
  record: DeploymentRecord;
  account(index: number): Wallet;
  stop(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-gateway-"));
  const anvil = await startAnvil({ port: await freePort() });
  const provider = localProvider(anvil.url);
  const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
  const deploymentFile = path.join(dataDir, "deployment.json");
  const { record } = await deployCrossproof({ signer: devAccount(0, provider), config, deploymentFile });
  await concludeConfiguredAgreements({
    provider,
    relayer: devAccount(0, provider),
    record,
    config,
    keyFor: (a) => devAccountFor(a, provider),
  });
  return {
    anvil,
    provider,
    dataDir,
    deploymentFile,
    record,
    account: (i) => devAccount(i, provider),
    async stop() {
      provider.destroy();
      await anvil.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The gateway's configuration for a test chain: any free port, quiet logs, relayed by dev account 9. */
export function testGatewayConfig(chain: TestChain, overrides: Partial<Record<ConfigKey, string>> = {}): GatewayConfig {
  return loadGatewayConfig(
    {},
    {
      port: "0",
      rpcUrl: chain.anvil.url,
      dataDir: chain.dataDir,
      relayerKey: devKey(9),
      logLevel: "silent",
      ...overrides,
    },
  );
}

export function startTestGateway(
  chain: TestChain,
  modules: readonly GatewayModule[],
  overrides: Partial<Record<ConfigKey, string>> = {},
): Promise<RunningGateway> {
  return startGateway(testGatewayConfig(chain, overrides), modules);
}
