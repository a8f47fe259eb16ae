import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { EvidenceCategory, EvidenceClient, computeCid, connect, type Crossproof } from "../../sdk/src";
import { runDemo, type DemoResult } from "../../scripts/lib/demo";
import { openDatabase } from "../../server/src/db";
import type { RunningGateway } from "../../server/src/gateway";
import { Indexer, indexerModule, type RpcCall } from "../../server/src/indexer";
import { startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const quiet = pino({ level: "silent" });

describe("gateway: the chain index (real chain, the demo's writes)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let demo: DemoResult;
  let work: string;
  let cp: Crossproof;
  let evidence: EvidenceClient;

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-gw-index-"));
    demo = await runDemo({ provider: chain.provider, deployment: chain.record, workDir: path.join(work, "demo") });
    gw = await startTestGateway(chain, [indexerModule], { indexerPollMs: "0" });
    cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.record });
    evidence = await EvidenceClient.connect(chain.record.contracts.EvidenceRegistry.address, chain.provider);
  });
  after(async () => {
    cp?.close();
    await gw?.close();
    await chain?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** The FR agency anchors a new record (and records its collection); returns the record id. */
  async function anchorNew(note: string): Promise<string> {
    const signed = await evidence.signAnchorEvidence(chain.account(1), {
      contentHash: `0x${randomBytes(32).toString("hex")}`,
      packageCid: await computeCid(new TextEncoder().encode(`package ${note}`)),
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      caseRef: `0x${"42".repeat(32)}`,
      collectedAt: (await evidence.chainTime()) - 60,
    });
    const { recordId } = await (await evidence.anchorEvidence(signed, chain.account(0))).wait();
    const collected = await evidence.signCustody(chain.account(1), { recordId, eventType: "Collected" });
    await (await evidence.submit(collected, chain.account(0))).wait();
    return recordId;
  }

  /** A second indexer over its own database (a fresh rebuild), to compare with the gateway's. */
  async function freshIndex(o: { pageSize?: number; rpc?: RpcCall } = {}) {
    const indexer = new Indexer({ db: openDatabase(":memory:"), cp, log: quiet, ...o });
    await indexer.syncOnce();
    return indexer;
  }

  const indexer = () => gw.ctx.indexer!;

  it("is not ready until it has caught up; then holds the demo's records, custody, licences and requests", async function () {
    const before = await fetch(`${gw.url}/readyz`);
    expect(before.status).to.equal(503);
    expect(((await before.json()) as { detail: string }).detail).to.match(/chain index is at block \d+ of -1/);

    const status = await indexer().syncOnce();
    expect(status.caughtUp).to.equal(true);
    expect(status.indexedBlock).to.equal(await chain.provider.getBlockNumber());
    expect(await (await fetch(`${gw.url}/readyz`)).json()).to.deep.equal({ status: "ready" });

    const registry = chain.record.contracts.EvidenceRegistry.address.toLowerCase();
    expect(indexer().anchors({ contentHash: demo.contentHash })).to.deep.equal([
      {
        recordId: demo.recordId.toLowerCase(),
        status: "Active",
        contentHash: demo.contentHash.toLowerCase(),
        memberId: 1,
        registry,
        blockNumber: indexer().anchors({ recordId: demo.recordId })[0]!.blockNumber,
        transactionHash: indexer().anchors({ recordId: demo.recordId })[0]!.transactionHash,
      },
    ]);
    const record = await cp.evidence.getEvidence(demo.recordId);
    expect(
      indexer()
        .anchors({ caseRef: record!.caseRef })
        .map((a) => a.recordId),
    ).to.deep.equal([demo.recordId.toLowerCase()]);
    expect(indexer().anchors({ recordId: demo.recordId })[0]!.transactionHash).to.equal(
      record!.transactionHash.toLowerCase(),
    );

    const dump = indexer().dump();
    expect(dump.idx_custody.map((c) => [c.sequence, c.event_type, c.actor, c.counterparty])).to.deep.equal([
      [0, "Collected", 1, 0],
      [1, "Sealed", 1, 0],
      [2, "Transferred", 1, 2],
      [3, "Received", 2, 1],
      [4, "Accessed", 2, 0],
    ]);
    expect(
      indexer()
        .endorsements(demo.recordId, registry)
        .map((e) => [e.memberId, e.verdict, e.agreementId]),
    ).to.deep.equal([[2, "Recognized", Number(demo.agreementId)]]);
    const leaf = await cp.licenses.getLicence(demo.licenceId);
    expect(indexer().licences({ workId: leaf!.workId })).to.deep.equal([
      leaf!.parentId.toLowerCase(),
      demo.licenceId.toLowerCase(),
    ]);
    expect(indexer().licences({ party: chain.account(3).address })).to.deep.equal([demo.licenceId.toLowerCase()]);
    expect(indexer().works({ holder: chain.account(6).address })).to.deep.equal([leaf!.workId.toLowerCase()]);
    expect(indexer().assistanceRequests(3, "addressee")).to.deep.equal([demo.assistanceRequestId.toLowerCase()]);
    expect(indexer().assistanceRequests(3, "requester")).to.deep.equal([]);
    expect(indexer().assistanceRequests(1, "any", { answered: true })).to.deep.equal([
      demo.assistanceRequestId.toLowerCase(),
    ]);
    expect(
      indexer()
        .assistanceEvents(demo.assistanceRequestId)
        .map((e) => [e.event, e.state, e.late]),
    ).to.deep.equal([
      ["Acknowledged", "Acknowledged", false],
      ["Answered", "Fulfilled", false],
    ]);
    expect(
      dump.idx_member_events.filter((m) => m.event === "Admitted").map((m) => [m.member_id, m.jurisdiction]),
    ).to.deep.equal([
      [1, "FR"],
      [2, "DE"],
      [3, "US"],
      [4, "ES"],
      [5, "NL"],
      // The demo story's cast (npm run demo).
      [6, "CN"],
      [7, "SG"],
      [8, "SG"],
      [9, "FR"],
    ]);
    expect(indexer().signingKeys(1)).to.deep.equal([chain.account(1).address.toLowerCase()]);
    const concluded = dump.idx_agreement_events.filter((e) => e.event === "Concluded").map((e) => e.agreement_id);
    expect(concluded).to.include(Number(demo.agreementId));
  });

  it("resumes from the block it stored after a restart, and reads only the blocks after it", async function () {
    const file = gw.ctx.config.database;
    const stopped = indexer().status().indexedBlock;
    await gw.close();
    const recordId = await anchorNew("after the restart");
    const calls: unknown[][] = [];
    const spy: RpcCall = (method, params) => {
      if (method === "eth_getLogs") calls.push(params);
      return cp.provider.send(method, params) as Promise<unknown>;
    };
    const db = openDatabase(file);
    try {
      const restarted = new Indexer({ db, cp, log: quiet, rpc: spy });
      expect(restarted.status().indexedBlock).to.equal(stopped);
      const status = await restarted.syncOnce();
      expect(calls).to.have.length(1);
      expect(Number((calls[0]![0] as { fromBlock: string }).fromBlock)).to.equal(stopped + 1);
      expect(status.indexedBlock).to.equal(await chain.provider.getBlockNumber());
      expect(restarted.anchors({ recordId }).map((a) => a.recordId)).to.deep.equal([recordId.toLowerCase()]);
    } finally {
      db.close();
    }
    gw = await startTestGateway(chain, [indexerModule], { indexerPollMs: "0" });
    expect(indexer().status().indexedBlock).to.equal(await chain.provider.getBlockNumber());
  });

  it("detects a rolled-back chain, deletes what the chain no longer has and indexes the new blocks: equal to a rebuild", async function () {
    await indexer().syncOnce();
    const earlier = await anchorNew("anchored before the snapshot");
    await indexer().syncOnce();
    const snapshot = (await chain.provider.send("evm_snapshot", [])) as string;
    const gone = await anchorNew("rolled back");
    const goneToo = await anchorNew("rolled back too");
    const retraction = await evidence.signRetractEvidence(chain.account(1), {
      recordId: earlier,
      reasonHash: `0x${"99".repeat(32)}`,
    });
    await (await evidence.submit(retraction, chain.account(0))).wait();
    await indexer().syncOnce();
    expect(indexer().anchors({ recordId: gone })).to.have.length(1);
    expect(indexer().anchors({ recordId: earlier })[0]!.status).to.equal("Retracted");

    expect(await chain.provider.send("evm_revert", [snapshot])).to.equal(true);
    const kept = await anchorNew("on the new chain");
    const status = await indexer().syncOnce();
    expect(status.rollbacks).to.equal(1);
    expect(status.caughtUp).to.equal(true);
    expect(status.indexedBlock).to.equal(await chain.provider.getBlockNumber());
    expect(indexer().anchors({ recordId: gone })).to.deep.equal([]);
    expect(indexer().anchors({ recordId: goneToo })).to.deep.equal([]);
    expect(indexer().anchors({ recordId: kept })).to.have.length(1);
    // The retraction was rolled back with its block: the status follows the rows.
    expect(indexer().anchors({ recordId: earlier })[0]!.status).to.equal("Active");
    const custodyOfGone = indexer()
      .dump()
      .idx_custody.filter((c) => c.record_id === gone.toLowerCase());
    expect(custodyOfGone).to.deep.equal([]);

    // Same number of blocks on the new chain, other hashes: a reorganisation is detected the same way.
    const again = (await chain.provider.send("evm_snapshot", [])) as string;
    await anchorNew("first version of the block");
    await indexer().syncOnce();
    await chain.provider.send("evm_revert", [again]);
    const replacement = await anchorNew("second version of the block");
    expect((await indexer().syncOnce()).rollbacks).to.equal(2);
    expect(indexer().anchors({ recordId: replacement })).to.have.length(1);

    expect(indexer().dump()).to.deep.equal((await freshIndex()).dump());
  });

  it("rebuilt from scratch equals the live index (also in small pages)", async function () {
    await indexer().syncOnce();
    const live = indexer().dump();
    expect(live.idx_anchors.length).to.be.greaterThan(1);
    expect((await freshIndex({ pageSize: 7 })).dump()).to.deep.equal(live);
    const rebuilt = await indexer().rebuild();
    expect(rebuilt.caughtUp).to.equal(true);
    expect(indexer().dump()).to.deep.equal(live);
  });

  it("polls by itself: ready once caught up, follows new writes, stops at close", async function () {
    const polling = await startTestGateway(chain, [indexerModule], {
      indexerPollMs: "20",
      database: path.join(work, "polling.db"),
    });
    try {
      const waitFor = async (done: () => Promise<boolean>) => {
        for (let i = 0; i < 3000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
        expect(await done()).to.equal(true);
      };
      await waitFor(async () => (await fetch(`${polling.url}/readyz`)).status === 200);
      const recordId = await anchorNew("seen by polling");
      await waitFor(async () => polling.ctx.indexer!.anchors({ recordId }).length === 1);
      const metrics = await (await fetch(`${polling.url}/metrics`)).text();
      expect(metrics).to.match(/crossproof_gateway_indexed_block \d+/);
    } finally {
      await polling.close();
    }
  });

  it("halves the page while the node refuses the range, down to what it accepts", async function () {
    const ranges: number[] = [];
    const limited: RpcCall = async (method, params) => {
      if (method === "eth_getLogs") {
        const { fromBlock, toBlock } = params[0] as { fromBlock: string; toBlock: string };
        const span = Number(toBlock) - Number(fromBlock) + 1;
        ranges.push(span);
        // What ethers throws for a JSON-RPC error answer (here Besu's / Infura's "range too large").
        if (span > 10) {
          throw Object.assign(new Error("could not coalesce error"), {
            code: "UNKNOWN_ERROR",
            error: { code: -32005, message: "query exceeds max block range 10" },
          });
        }
      }
      return cp.provider.send(method, params) as Promise<unknown>;
    };
    await indexer().syncOnce();
    const limitedIndex = await freshIndex({ rpc: limited });
    expect(limitedIndex.dump()).to.deep.equal(indexer().dump());
    expect(ranges[0]).to.be.greaterThan(10);
    expect(ranges.filter((r) => r <= 10).length).to.be.greaterThan(0);
    expect(Math.max(...ranges.slice(ranges.findIndex((r) => r <= 10)))).to.be.at.most(20);

    // A transport failure is not a refusal: the poll fails (and readiness with it) instead of shrinking pages.
    const down: RpcCall = async (method, params) => {
      if (method === "eth_getLogs") throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      return cp.provider.send(method, params) as Promise<unknown>;
    };
    const failing = new Indexer({ db: openDatabase(":memory:"), cp, log: quiet, rpc: down });
    let thrown: unknown;
    await failing.syncOnce().catch((err: unknown) => (thrown = err));
    expect((thrown as Error).message).to.contain("ECONNREFUSED");
    expect(failing.status()).to.include({ caughtUp: false, lastError: "connect ECONNREFUSED 127.0.0.1:1" });
  });
});
