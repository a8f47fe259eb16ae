import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, Wallet, type JsonRpcProvider } from "ethers";
import {
  ConsortiumClient,
  generateReportKey,
  loadConsortiumConfig,
  type DeploymentRecord,
  type ReportKeyPair,
} from "../../sdk/src";
import { runDemo, type DemoResult } from "../../scripts/lib/demo";
import { addKeys } from "../../server/src/keystore";
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

/** The demo's story on a test chain, and the DE court's keys (a report key registered on chain) in a keystore. */
export interface DemoWithCourtKeys {
  demo: DemoResult;
  /** A temporary folder for the test's files (removed by `chain.stop()`: it is inside the chain's data folder). */
  work: string;
  keystoreDir: string;
  keystorePassword: string;
  reportKey: ReportKeyPair;
}

/**
 * Runs the demo on `chain`, then registers a report key for the DE court (member 2) and puts it, with the court's
 * package key, in a keystore the gateway can load.
 */
export async function demoWithCourtKeys(chain: TestChain): Promise<DemoWithCourtKeys> {
  const work = mkdtempSync(path.join(chain.dataDir, "work-"));
  const demo = await runDemo({ provider: chain.provider, deployment: chain.record, workDir: path.join(work, "demo") });
  const consortium = await ConsortiumClient.connect(chain.record.contracts.Consortium.address, chain.provider);
  const reportKey = await generateReportKey();
  await (
    await consortium.submit(
      await consortium.signAddOwnPublicKey(new Wallet(devKey(2)), 2, { purpose: "Report", jwk: reportKey.publicJwk }),
      chain.account(8),
    )
  ).wait();
  const keystoreDir = path.join(work, "keys");
  const keystorePassword = "correct horse battery staple";
  await addKeys(keystoreDir, keystorePassword, {
    memberId: 2,
    reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
    packageKeys: [demo.courtRecipientKey],
  });
  return { demo, work, keystoreDir, keystorePassword, reportKey };
}
