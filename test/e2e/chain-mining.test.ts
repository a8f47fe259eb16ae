import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EvidenceClient, EvidenceStatus, loadConsortiumConfig } from "../../sdk/src";
import { signAnchorBurst, sendRawTransactions, shuffled, waitForReceipts } from "../../scripts/lib/anchor-burst";
import {
  STUCK_CHECK_INTERVAL_MS,
  type RunningAnvil,
  devAccount,
  freePort,
  localProvider,
  rpcCall,
  startAnvil,
} from "../../scripts/lib/anvil";
import { deployCrossproof, type DeploymentRecord } from "../../scripts/lib/deploy";

/**
 * Anvil 1.7.1's automine stalls on bursts (see IDLE_BLOCK_SECONDS in scripts/lib/anvil.ts): more than 1,000 ready
 * transactions at once livelock it, and what does not fit in a full block waits for the next arrival. These bursts
 * would leave transactions pending for ever on a bare Anvil; here every one must be mined with nothing sent after,
 * with npm start's mining (automine and a block a minute) and with the automine alone (`idleBlocks: false`).
 */
for (const idleBlocks of [true, false]) {
  const mode = idleBlocks ? "automine and a block a minute (npm start)" : "automine only";
  describe(`embedded chain mining, ${mode}: bursts larger than a block (real Anvil process)`, function () {
    this.timeout(240_000);
    let anvil: RunningAnvil;
    let provider: ReturnType<typeof localProvider>;
    let dir: string;
    let record: DeploymentRecord;
    let client: EvidenceClient;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-mining-"));
      anvil = await startAnvil({ port: await freePort(), idleBlocks });
      provider = localProvider(anvil.url);
      ({ record } = await deployCrossproof({
        signer: devAccount(0, provider),
        config: loadConsortiumConfig("config/demo-consortium.json"),
        deploymentFile: path.join(dir, "deployment.json"),
      }));
      client = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);
    });
    after(async () => {
      provider.destroy();
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function burst(count: number, relayerIndexes: number[], seed: string) {
      const relayers = await Promise.all(
        relayerIndexes.map(async (i) => {
          const key = devAccount(i, provider);
          return { key: key.signingKey, nonce: await provider.getTransactionCount(key.address, "pending") };
        }),
      );
      return signAnchorBurst({
        registry: record.contracts.EvidenceRegistry!.address,
        domain: client.domain,
        chainId: BigInt(record.chainId),
        memberId: 1n, // FR agency (demo configuration, account 1)
        memberKey: devAccount(1, provider).signingKey,
        relayers,
        count,
        seed,
        chainTime: await client.chainTime(),
      });
    }

    async function expectAllMined(hashes: string[], recordIds: string[]) {
      const receipts = await waitForReceipts(anvil.url, hashes, 120_000);
      expect(receipts.filter((r) => r.status !== 1)).to.deep.equal([]);
      expect(await rpcCall(anvil.url, "txpool_status")).to.deep.equal({ pending: "0x0", queued: "0x0" });
      for (const id of [recordIds[0]!, recordIds[recordIds.length - 1]!]) {
        expect(Number((await client.registry.getEvidence(id)).status)).to.equal(EvidenceStatus.Active);
      }
      return new Set(receipts.map((r) => r.blockNumber));
    }

    it("mines 1,500 anchors of one relayer sent in reverse nonce order (all ready at once, 5 blocks' worth)", async function () {
      const b = await burst(1500, [6], "reverse");
      // Nothing is ready until nonce n arrives, last; then 1,500 transactions of 150,000 gas each are.
      await sendRawTransactions(anvil.url, [...b.transactions].reverse(), { concurrency: 1 });
      const blocks = await expectAllMined(b.hashes, b.recordIds);
      expect(blocks.size).to.be.at.least(4); // about 320 anchors (93,000 gas each) fill a 30M-gas block
    });

    it("mines 1,200 anchors of four relayers arriving shuffled", async function () {
      const b = await burst(1200, [6, 7, 8, 9], "shuffled");
      await sendRawTransactions(anvil.url, shuffled(b.transactions, 9), { concurrency: 8 });
      await expectAllMined(b.hashes, b.recordIds);
    });

    if (!idleBlocks) {
      it("leaves the pool alone while the automine is switched off (a test holding a transaction)", async function () {
        const b = await burst(1, [6], "held");
        await rpcCall(anvil.url, "evm_setAutomine", [false]);
        try {
          await sendRawTransactions(anvil.url, b.transactions);
          // Several of the launcher's checks pass: the transaction stays where the test put it.
          await new Promise((r) => setTimeout(r, 4 * STUCK_CHECK_INTERVAL_MS + 500));
          expect(await rpcCall(anvil.url, "txpool_status")).to.deep.equal({ pending: "0x1", queued: "0x0" });
        } finally {
          await rpcCall(anvil.url, "evm_setAutomine", [true]);
        }
        await rpcCall(anvil.url, "evm_mine");
        await expectAllMined(b.hashes, b.recordIds);
      });
    }
  });
}
