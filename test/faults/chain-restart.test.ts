import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { pino } from "pino";
import { connect, loadConsortiumConfig, recordIdOf, type Crossproof, type VerificationReport } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import {
  devAccount,
  devAccountFor,
  freePort,
  localProvider,
  startAnvil,
  type RunningAnvil,
} from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { openDatabase } from "../../server/src/db";
import type { RunningGateway } from "../../server/src/gateway";
import { Indexer } from "../../server/src/indexer";
import { gatewayModules } from "../../server/src/modules";
import { demoWithCourtKeys, startTestGateway, type TestChain } from "../helpers/gateway";
import { memberTokens, signedAnchor, until } from "../helpers/faults";

const root = path.resolve(__dirname, "..", "..");

interface SubmissionDoc {
  id: string;
  status: "pending" | "confirmed" | "failed";
  transaction?: { hash: string; nonce: number; blockNumber?: number };
  result?: Record<string, string>;
}

/**
 * Fault: the chain node is an Anvil process that saves its state to a file (as `npm start` runs it). It is stopped
 * and started again from its saved state, then stopped and started from an earlier save (a node restored from an
 * older backup: the blocks after it are gone). The gateway runs throughout with every module.
 */
describe("fault: the chain restarted from its saved state, and rolled back to an earlier one (real Anvil process)", function () {
  this.timeout(300_000);
  let dataDir: string;
  let stateFile: string;
  let port: number;
  let anvil: RunningAnvil;
  let chain: TestChain;
  let gw: RunningGateway;
  let cp: Crossproof;
  let tokens: string[];

  const startChain = async () => {
    anvil = await startAnvil({ port, stateFile, stateInterval: 3600 });
    return anvil;
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-chain-restart-"));
    stateFile = path.join(dataDir, "chain", "state.json");
    port = await freePort();
    await startChain();
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
    chain = {
      get anvil() {
        return anvil;
      },
      provider,
      dataDir,
      deploymentFile,
      record,
      account: (i) => devAccount(i, provider),
      stop: async () => {
        provider.destroy();
        await anvil.stop();
      },
    };
    const setup = await demoWithCourtKeys(chain);
    gw = await startTestGateway(chain, gatewayModules, {
      keystoreDir: setup.keystoreDir,
      keystorePassword: setup.keystorePassword,
      contentStore: setup.demo.storeDir,
      rateLimit: "100000",
      indexerPollMs: "100",
    });
    cp = await connect({ rpcUrl: anvil.url, deployment: deploymentFile });
    tokens = await memberTokens(gw.ctx.sessions);
  });
  after(async () => {
    cp?.close();
    await gw?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async <T>(p: string, token = tokens[1]!) => {
    const res = await fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const ready = async () => (await fetch(`${gw.url}/readyz`)).status === 200;
  const indexer = () => gw.ctx.indexer!;

  /** Submits anchors by member 1 through the gateway; resolves once each is confirmed. */
  async function anchorThroughGateway(n: number) {
    const anchors = await Promise.all(Array.from({ length: n }, () => signedAnchor(cp, 0)));
    const ids: string[] = [];
    for (const a of anchors) {
      const res = await fetch(`${gw.url}/v1/submissions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens[0]}` },
        body: JSON.stringify(a.wire),
      });
      expect(res.status).to.equal(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await confirmed(id);
    return anchors.map((a, i) => ({ ...a, id: ids[i]!, recordId: recordIdOf(a.memberId, a.contentHash) }));
  }
  const confirmed = (id: string) =>
    until(`submission ${id} confirmed`, async () => {
      const { body } = await get<SubmissionDoc>(`/v1/submissions/${id}`, tokens[0]);
      return body.status === "confirmed" ? body : undefined;
    });
  /** The index caught up with the chain's head. */
  const caughtUp = () =>
    until("the index to catch up", async () => {
      const head = await chain.provider.getBlockNumber();
      const s = indexer().status();
      return s.caughtUp && s.indexedBlock === head && (await ready()) ? s : undefined;
    });
  /** Every block the index cites is the chain's: each anchor's transaction is in that block; equal to a rebuild. */
  async function indexCitesOnlyChainBlocks() {
    const rows = indexer().dump().idx_anchors as { block: number; tx: string; record_id: string }[];
    for (const r of rows) {
      expect((await chain.provider.getTransactionReceipt(r.tx))?.blockNumber, r.record_id).to.equal(r.block);
    }
    const fresh = new Indexer({ db: openDatabase(":memory:"), cp, log: pino({ level: "silent" }) });
    await fresh.syncOnce();
    expect(indexer().dump().idx_anchors).to.deep.equal(fresh.dump().idx_anchors);
  }
  /** A signed report on a content hash, by the DE court; every block it cites is the chain's. */
  async function reportCitesOnlyChainBlocks(contentHash: string): Promise<VerificationReport> {
    const res = await fetch(`${gw.url}/v1/verifications`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens[1]}` },
      body: JSON.stringify({ evidence: { contentHash }, anchoredBy: 1 }),
    });
    const answer = (await res.json()) as { report: VerificationReport };
    expect(res.status, JSON.stringify(answer)).to.equal(200);
    const cited = JSON.stringify(answer.report).match(/"blockNumber":\d+,"blockHash":"0x[0-9a-f]{64}"/g) ?? [];
    for (const c of cited) {
      const { blockNumber, blockHash } = JSON.parse(`{${c}}`) as { blockNumber: number; blockHash: string };
      expect((await chain.provider.getBlock(blockNumber))?.hash, c).to.equal(blockHash);
    }
    return answer.report;
  }

  it("restarted from its saved state: the same blocks, nothing rewound, the gateway carries on", async function () {
    const first = await anchorThroughGateway(2);
    await caughtUp();
    const before = indexer().status();
    const headHash = (await chain.provider.getBlock("latest"))!.hash;

    await anvil.stop(); // saves the state
    await until("/readyz to fail", async () => ((await ready()) ? undefined : true));
    await startChain();
    expect(anvil.loadedFrom).to.equal(stateFile);
    expect((await chain.provider.getBlock(before.indexedBlock))!.hash).to.equal(headHash);
    await caughtUp();
    const after = indexer().status();
    expect(after.rollbacks).to.equal(before.rollbacks);
    expect(after.indexedBlock).to.be.at.least(before.indexedBlock);

    const next = await anchorThroughGateway(1);
    await caughtUp();
    for (const a of [...first, ...next]) {
      const { body } = await get<{ records: { recordId: string }[] }>(`/v1/evidence?contentHash=${a.contentHash}`);
      expect(body.records.map((r) => r.recordId)).to.deep.equal([a.recordId]);
    }
    await indexCitesOnlyChainBlocks();
  });

  it("rolled back to an earlier save: the index rewinds, the lost anchors land again once, reports cite live blocks", async function () {
    await anvil.saveState();
    const earlier = path.join(dataDir, "earlier-state.json");
    copyFileSync(stateFile, earlier);
    const kept = await anchorThroughGateway(1);
    await anvil.saveState();
    const lost = await anchorThroughGateway(3);
    await caughtUp();
    const lostBlocks = await Promise.all(lost.map(async (a) => (await confirmed(a.id)).transaction!.blockNumber!));
    const rollbacksBefore = indexer().status().rollbacks;
    const lostBlock = (await chain.provider.getBlock(Math.min(...lostBlocks)))!;

    // The node is restored from the earlier save: `kept` and `lost` are no longer on chain.
    await anvil.stop();
    copyFileSync(earlier, stateFile);
    await startChain();
    // (The gateway may have sent again already: the block at that height, if any, is another block.)
    expect((await chain.provider.getBlock(lostBlock.number))?.hash).to.not.equal(lostBlock.hash);

    // The gateway notices: the index rewinds, and the outbox sends what it had confirmed in the lost blocks again.
    for (const a of [...kept, ...lost]) {
      await until(`${a.recordId} on chain again`, async () =>
        (await cp.evidence.getEvidence(a.recordId)) === undefined ? undefined : true,
      );
    }
    await caughtUp();
    expect(indexer().status().rollbacks).to.be.above(rollbacksBefore);
    for (const a of [...kept, ...lost]) {
      const s = await confirmed(a.id);
      expect((await chain.provider.getTransactionReceipt(s.transaction!.hash))?.blockNumber).to.equal(
        s.transaction!.blockNumber,
      );
      const { body } = await get<{ records: { recordId: string }[] }>(`/v1/evidence?contentHash=${a.contentHash}`);
      expect(body.records.map((r) => r.recordId)).to.deep.equal([a.recordId]);
    }
    // Each once on the restored chain.
    const events = await cp.evidence.registry.queryFilter(cp.evidence.registry.filters.EvidenceAnchored(), 0);
    for (const a of [...kept, ...lost]) {
      expect(
        events.filter((e) => e.args.recordId === a.recordId),
        a.recordId,
      ).to.have.length(1);
    }
    await indexCitesOnlyChainBlocks();
    for (const a of [...kept, ...lost]) await reportCitesOnlyChainBlocks(a.contentHash);
  });
});
