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
import { besuProfileFromEnv, startRpcGuard, type RpcGuard } from "./rpc-guard";

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

/**
 * Under the Besu parity profile (`CROSSPROOF_BESU_PROFILE`, `npm run test:besu-profile`), Anvil runs as the example
 * genesis and everything but the harness goes through an RPC guard: `anvil.url` (the gateway's and the SDK's URL)
 * is the guarded port, `provider` (the test's own calls: time travel, snapshots) the harness port, and the contracts
 * are deployed and the agreements concluded through the guarded port, as on Besu.
 */
export async function startTestChain(): Promise<TestChain> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-gateway-"));
  const profile = besuProfileFromEnv();
  const started = await startAnvil({
    port: await freePort(),
    ...(profile === undefined ? {} : { chainId: profile.chainId, extraArgs: profile.anvilArgs }),
  });
  let guard: RpcGuard | undefined;
  if (profile !== undefined) guard = await startRpcGuard(started.url, { chainId: BigInt(profile.chainId) });
  const anvil: RunningAnvil = guard === undefined ? started : { ...started, url: guard.url };
  const provider = localProvider(guard?.harnessUrl ?? anvil.url);
  const guarded = guard === undefined ? provider : localProvider(guard.url);
  const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
  const deploymentFile = path.join(dataDir, "deployment.json");
  const { record } = await deployCrossproof({ signer: devAccount(0, guarded), config, deploymentFile });
  await concludeConfiguredAgreements({
    provider: guarded,
    relayer: devAccount(0, guarded),
    record,
    config,
    keyFor: (a) => devAccountFor(a, guarded),
  });
  if (guarded !== provider) guarded.destroy();
  return {
    anvil,
    provider,
    dataDir,
    deploymentFile,
    record,
    account: (i) => devAccount(i, provider),
    async stop() {
      provider.destroy();
      await guard?.close();
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
      // Under the profile, anything the guard refused is a call a Besu node would have refused: the suite fails.
      if (guard !== undefined && guard.refusals.length > 0) {
        throw new Error(`the Besu RPC guard refused: ${JSON.stringify(guard.refusals)}`);
      }
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
