import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet, id as keccakText } from "ethers";
import {
  EvidenceCategory,
  buildManifest,
  generateRecipientKey,
  recordIdOf,
  sealPackage,
  type Hex,
} from "../../sdk/src";
import { auditModule } from "../../server/src/audit";
import { authModule } from "../../server/src/auth/siwe";
import type { RunningGateway } from "../../server/src/gateway";
import { INDEX_TABLES, indexerModule } from "../../server/src/indexer";
import { keepPackage, retentionModule, runPurge, type LegalHold, type PurgeLogEntry } from "../../server/src/retention";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const DAY = 86_400;

/**
 * What a purge at retention end removes from the gateway's database besides the package's blocks: the rows that only
 * served that package (its retention rows, its block index), counted in the purge log; and what it keeps: every
 * chain-derived index row (the anchor and custody of the package's record), the purge log, the audit log.
 */
describe("gateway retention: index rows purged with their package, chain facts kept (real chain)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let work: string;
  let frAdmin: string;
  const fr = new Wallet(devKey(1)); // member 1: FR AGENCY + GOVERNOR
  let sealed = 0;

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-retention-index-"));
    gw = await startTestGateway(chain, [authModule, auditModule, indexerModule, retentionModule], {
      purgeIntervalSeconds: "0",
      retentionDays: "30",
      indexerPollMs: "0",
    });
    frAdmin = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 1n,
        roles: ["AGENCY", "GOVERNOR"],
        jurisdiction: "FR",
        address: fr.address,
      })
    ).token;
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function call<T>(method: string, p: string, status: number, body?: unknown): Promise<T> {
    const res = await fetch(`${gw.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${frAdmin}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    expect(res.status, text).to.equal(status);
    return JSON.parse(text) as T;
  }
  async function advance(seconds: number): Promise<void> {
    await chain.provider.send("evm_increaseTime", [seconds]);
    await chain.provider.send("evm_mine", []);
  }

  /** A package (one file of 1.5 MiB: several blocks) sealed into the gateway's store. */
  async function seal() {
    const file = path.join(work, `evidence-${++sealed}.bin`);
    writeFileSync(file, Buffer.alloc(1_500_000, sealed));
    const files = [{ path: "capture.bin", source: file }];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      acquisition: {
        tool: { name: "t", version: "1" },
        method: "download",
        collector: { name: "c" },
        collectedAt: "2026-01-01T00:00:00Z",
        source: { url: `https://example.org/page/${sealed}` },
        jurisdiction: { collecting: "FR" },
      },
    });
    const key = await generateRecipientKey(`holder ${sealed}`);
    return sealPackage({ manifest, files, recipients: [key.publicKey], store: gw.ctx.store });
  }

  /** Anchors the package's content hash for the FR agency, records its collection, and indexes the chain. */
  async function anchorAndIndex(p: { cid: string; contentHash: string }): Promise<Hex> {
    const cp = gw.ctx.cp;
    const relayer = chain.account(8);
    const signed = await cp.evidence.signAnchorEvidence(fr, {
      contentHash: p.contentHash,
      packageCid: p.cid,
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      caseRef: keccakText(`case ${p.cid}`),
      collectedAt: (await cp.chainTime()) - 600,
    });
    await (await cp.evidence.submit(signed, relayer)).wait();
    const recordId = recordIdOf(1n, p.contentHash) as Hex;
    await (
      await cp.evidence.submit(await cp.evidence.signCustody(fr, { recordId, eventType: "Collected" }), relayer)
    ).wait();
    await gw.ctx.indexer!.syncOnce();
    return recordId;
  }

  /** Every chain-derived index row, table by table. */
  const chainIndex = () =>
    Object.fromEntries(
      INDEX_TABLES.map((t) => [t, gw.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY block, log_index`).all()]),
    );
  const count = (sql: string, ...args: unknown[]) => (gw.ctx.db.prepare(sql).get(...args) as { n: number }).n;
  const packageRows = (cid: string) => count("SELECT COUNT(*) AS n FROM retention_packages WHERE cid = ?", cid);
  const blockRows = (cid: string) => count("SELECT COUNT(*) AS n FROM retention_blocks WHERE root = ?", cid);

  it("a legal hold keeps the package and its index rows; released, the purge removes them, logs them, and keeps the chain facts", async function () {
    const p = await seal();
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 1, until: (await gw.ctx.cp.chainTime()) + DAY, reason: "case" });
    const recordId = await anchorAndIndex(p);
    const blocks = blockRows(p.cid);
    expect(blocks).to.be.greaterThan(2);
    expect(packageRows(p.cid)).to.equal(1);
    expect(count("SELECT COUNT(*) AS n FROM idx_anchors WHERE content_hash = ?", p.contentHash)).to.equal(1);
    expect(count("SELECT COUNT(*) AS n FROM idx_custody WHERE record_id = ?", recordId)).to.equal(1);
    const indexed = chainIndex();

    // Held (by its record): past its retention, nothing goes.
    const { hold } = await call<{ hold: LegalHold }>("POST", "/v1/legal-holds", 201, {
      recordId,
      reason: "appeal pending",
    });
    await advance(2 * DAY);
    const held = await runPurge(gw.ctx);
    expect(held.purged).to.deep.equal([]);
    expect(held.held.map((e) => [e.cid, e.holdId, e.indexRowsRemoved])).to.deep.equal([
      [p.cid, hold.id, { retentionPackages: 0, retentionBlocks: 0 }],
    ]);
    expect([packageRows(p.cid), blockRows(p.cid), await gw.ctx.store.has(p.cid)]).to.deep.equal([1, blocks, true]);
    expect(chainIndex()).to.deep.equal(indexed);

    // Released: the next run removes the package, its retention row and its block index, and counts them.
    await call("DELETE", `/v1/legal-holds/${hold.id}`, 200);
    const run = await runPurge(gw.ctx);
    expect(run.purged.map((e) => [e.cid, e.indexRowsRemoved])).to.deep.equal([
      [p.cid, { retentionPackages: 1, retentionBlocks: blocks }],
    ]);
    expect([packageRows(p.cid), blockRows(p.cid), await gw.ctx.store.has(p.cid)]).to.deep.equal([0, 0, false]);
    const { entries } = await call<{ entries: PurgeLogEntry[] }>("GET", "/v1/purges", 200);
    expect(entries.filter((e) => e.cid === p.cid).map((e) => [e.outcome, e.indexRowsRemoved])).to.deep.equal([
      ["held", { retentionPackages: 0, retentionBlocks: 0 }],
      ["purged", { retentionPackages: 1, retentionBlocks: blocks }],
    ]);

    // The chain facts stay, as they were, and indexing again changes nothing: the chain is their source.
    expect(chainIndex()).to.deep.equal(indexed);
    await gw.ctx.indexer!.syncOnce();
    expect(chainIndex()).to.deep.equal(indexed);
    expect(count("SELECT COUNT(*) AS n FROM idx_anchors WHERE record_id = ?", recordId)).to.equal(1);
  });

  it("a root another member still keeps loses only the purged member's retention row, not its block index", async function () {
    const p = await seal();
    const now = await gw.ctx.cp.chainTime();
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 1, until: now + DAY });
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 3, until: now + 10 * DAY });
    const blocks = blockRows(p.cid);
    await advance(2 * DAY);
    const run = await runPurge(gw.ctx);
    expect(run.purged.map((e) => [e.cid, e.memberId, e.indexRowsRemoved, e.blocksRemoved])).to.deep.equal([
      [p.cid, "1", { retentionPackages: 1, retentionBlocks: 0 }, 0],
    ]);
    expect([packageRows(p.cid), blockRows(p.cid), await gw.ctx.store.has(p.cid)]).to.deep.equal([1, blocks, true]);
  });
});
