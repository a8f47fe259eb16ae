import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConsortiumConfig } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import { devAccount, devAccountFor, freePort, localProvider, startAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import type { TestChain } from "./gateway";

const root = path.resolve(__dirname, "..", "..");

/**
 * The demo consortium on an Anvil that mines only what it is asked to (no idle blocks: `startTestChain`'s mines every
 * arrival even with the automine off), so that a test can hold transactions in the pool (`evm_setAutomine(false)`)
 * to put two in one block, roll the chain back (`evm_snapshot` / `evm_revert`) or raise the base fee under a pending
 * transaction.
 */
export async function startHoldingChain(): Promise<TestChain> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-holding-chain-"));
  const anvil = await startAnvil({ port: await freePort(), idleBlocks: false });
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
