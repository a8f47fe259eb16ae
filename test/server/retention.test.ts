import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet, id as hashOf } from "ethers";
import {
  EvidenceCategory,
  buildManifest,
  generateRecipientKey,
  openPackage,
  rewrapPackage,
  sealPackage,
  type RecipientPrivateKey,
} from "../../sdk/src";
import { auditModule, type AuditEntry } from "../../server/src/audit";
import { authModule } from "../../server/src/auth/siwe";
import type { RunningGateway } from "../../server/src/gateway";
import { Problem } from "../../server/src/problems";
import {
  acquireMaintenanceLease,
  keepPackage,
  onPackagePurged,
  releaseMaintenanceLease,
  retentionModule,
  runPurge,
  type KeptPackage,
  type LegalHold,
  type PurgeLogEntry,
} from "../../server/src/retention";
import { collect, deterministicStream } from "../helpers/streams";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const DAY = 86_400;

describe("gateway retention: kept packages, legal holds, purges (real chain)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let work: string;
  const fr = new Wallet(devKey(1)); // member 1: FR AGENCY + GOVERNOR
  const us = new Wallet(devKey(3)); // member 3: US PLATFORM
  const staffKey = Wallet.createRandom();
  let frAdmin: string;
  let frStaff: string;
  let usAdmin: string;

  const told: PurgeLogEntry[] = [];

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-retention-"));
    gw = await startTestGateway(chain, [authModule, auditModule, retentionModule], {
      purgeIntervalSeconds: "0",
      retentionDays: "30",
    });
    const issue = async (memberId: bigint, roles: string[], jurisdiction: string, address: string, staff?: string) =>
      (
        await gw.ctx.sessions.issue({
          kind: "member",
          memberId,
          roles: roles as never,
          jurisdiction,
          address,
          ...(staff === undefined ? {} : { staff }),
        })
      ).token;
    frAdmin = await issue(1n, ["AGENCY", "GOVERNOR"], "FR", fr.address);
    usAdmin = await issue(3n, ["PLATFORM"], "US", us.address);
    const added = await call("POST", "/v1/members/me/staff", frAdmin, {
      name: "investigator 7",
      address: staffKey.address,
      roles: ["AGENCY"],
    });
    expect(added.status).to.equal(201);
    frStaff = await issue(1n, ["AGENCY"], "FR", staffKey.address, "investigator 7");
    onPackagePurged(gw.ctx, (e) => {
      told.push(e);
    });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function call(method: string, p: string, token: string | null, body?: unknown) {
    return fetch(`${gw.url}${p}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function json<T>(res: Promise<Response>, status: number): Promise<T> {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).to.equal(status);
    return JSON.parse(text) as T;
  }

  const chainNow = () => gw.ctx.cp.chainTime();
  async function advance(seconds: number): Promise<void> {
    await chain.provider.send("evm_increaseTime", [seconds]);
    await chain.provider.send("evm_mine", []);
  }
  const iso = (s: number) => new Date(s * 1000).toISOString();

  let sealed = 0;
  /** Seals a package of one file (`size` bytes, several blocks when over 1 MiB) in the gateway's store. */
  async function seal(size: number) {
    const file = path.join(work, `evidence-${++sealed}.bin`);
    writeFileSync(file, await collect(deterministicStream(size, `retention ${sealed}`)));
    const files = [{ path: "capture.bin", source: file }];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      acquisition: {
        tool: { name: "t", version: "1" },
        method: "download",
        collector: { name: "c" },
        collectedAt: "2026-01-01T00:00:00Z",
        source: { url: "https://example.org/page" },
        jurisdiction: { collecting: "FR" },
      },
    });
    const key = await generateRecipientKey(`holder ${sealed}`);
    const p = await sealPackage({ manifest, files, recipients: [key.publicKey], store: gw.ctx.store });
    return { ...p, key: key.privateKey, file };
  }
  async function rewrap(cid: string, holderKey: RecipientPrivateKey) {
    const key = await generateRecipientKey(`recipient of ${cid.slice(-6)}`);
    const r = await rewrapPackage({
      cid,
      store: gw.ctx.store,
      holderKey,
      recipients: [key.publicKey],
      replace: true,
    });
    return { ...r, key: key.privateKey };
  }
  const retention = async (token: string) =>
    (await json<{ at: string; packages: KeptPackage[] }>(call("GET", "/v1/retention", token), 200)).packages;
  const purges = async (token: string) =>
    (await json<{ entries: PurgeLogEntry[] }>(call("GET", "/v1/purges", token), 200)).entries;
  const audit = async (token: string) =>
    (await json<{ entries: AuditEntry[] }>(call("GET", "/v1/audit?limit=1000", token), 200)).entries;

  it("two packages share their file blocks: the one whose retention ends goes with only its own blocks, the other still opens", async function () {
    const original = await seal(2 * 1_048_576 + 500);
    const shared = await rewrap(original.cid, original.key);
    expect(shared.cid).to.not.equal(original.cid);
    const now = await chainNow();
    await keepPackage(gw.ctx, { cid: original.cid, memberId: 1, until: now + 600, reason: "evidence package" });
    const kept = await keepPackage(gw.ctx, { cid: shared.cid, memberId: 1, reason: "shared with the court" });
    // No date, no request: the member policy (CROSSPROOF_RETENTION_DAYS=30) from chain time now.
    expect(kept.retentions).to.have.length(1);
    expect(kept.retentions[0]).to.include({ basis: "member-policy", reason: "shared with the court" });
    expect(Date.parse(kept.retainUntil) - Date.parse(kept.retentions[0]!.keptAt)).to.equal(30 * DAY * 1000);
    expect(kept).to.include({ contentHash: original.contentHash, expired: false, purging: false });

    const blocksOriginal = await gw.ctx.store.blocksOf(original.cid);
    const blocksShared = await gw.ctx.store.blocksOf(shared.cid);
    const own = blocksOriginal.filter((b) => !blocksShared.includes(b));
    expect(own).to.have.length(2); // its root and its envelope; files/ and the file's blocks are shared

    // Before its retention ends, nothing goes.
    expect((await runPurge(gw.ctx)).purged.map((e) => e.cid)).to.not.include(original.cid);
    await advance(601);
    const run = await runPurge(gw.ctx);
    const entry = run.purged.find((e) => e.cid === original.cid)!;
    expect(entry).to.deep.include({
      memberId: "1",
      outcome: "purged",
      contentHash: original.contentHash,
      retainUntil: iso(now + 600),
      holdId: null,
      blocksRemoved: 2,
      blocksShared: blocksOriginal.length - 2,
      blocksRetained: 0,
    });
    expect(entry.why).to.deep.equal([
      { basis: "date", requestId: null, retainUntil: iso(now + 600), reason: "evidence package" },
    ]);
    expect(run.purged.map((e) => e.cid)).to.not.include(shared.cid);
    // Modules that keep something off chain about a package (the index) are told.
    expect(told).to.deep.include(entry);
    for (const b of own) expect(await gw.ctx.store.has(b), b).to.equal(false);
    for (const b of blocksShared) expect(await gw.ctx.store.has(b), b).to.equal(true);
    // The package that shared the blocks still opens, byte for byte.
    const opened = await openPackage({
      cid: shared.cid,
      store: gw.ctx.store,
      recipientKey: shared.key,
      outputDir: path.join(work, "opened"),
    });
    expect(opened.contentHash).to.equal(original.contentHash);
    expect((await collect(gw.ctx.store.get(`${shared.cid}/files/0`))).length).to.be.greaterThan(2 * 1_048_576);

    // The member sees it: no longer kept, in the purge log, in its audit log as the gateway's own action.
    const packages = await retention(frAdmin);
    expect(packages.map((p) => p.cid))
      .to.include(shared.cid)
      .and.not.include(original.cid);
    expect((await purges(frStaff)).find((e) => e.cid === original.cid)).to.deep.equal(entry);
    const purgedAudit = (await audit(frAdmin)).find((e) => e.action === "purged" && e.subject === original.cid)!;
    expect(purgedAudit).to.include({ memberId: "1", person: null, address: null, requestId: `purge:${run.runId}` });
    // Another member sees none of it.
    expect(await retention(usAdmin)).to.deep.equal([]);
    expect(await purges(usAdmin)).to.deep.equal([]);
  });

  it("a legal hold stops the purge; released, the package goes at the next run; both are logged", async function () {
    const p = await seal(1000);
    const now = await chainNow();
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 1, until: now + 300 });
    // A staff login may place a hold (it only keeps data longer).
    const placed = await json<{ hold: LegalHold; packages: string[] }>(
      call("POST", "/v1/legal-holds", frStaff, { cid: p.cid, reason: "court order 2026/17" }),
      201,
    );
    expect(placed.packages).to.deep.equal([p.cid]);
    expect(placed.hold).to.deep.include({
      memberId: "1",
      cid: p.cid,
      recordId: null,
      reason: "court order 2026/17",
      placedBy: { address: staffKey.address, person: "investigator 7" },
      releasedAt: null,
      releasedBy: null,
      active: true,
    });
    const holdId = placed.hold.id;

    await advance(301);
    const held = await runPurge(gw.ctx);
    expect(held.purged.map((e) => e.cid)).to.not.include(p.cid);
    expect(held.held.map((e) => [e.cid, e.outcome, e.holdId])).to.deep.equal([[p.cid, "held", holdId]]);
    expect(await gw.ctx.store.has(p.cid)).to.equal(true);
    // Logged once per hold, not at every run.
    expect((await runPurge(gw.ctx)).held).to.deep.equal([]);
    const kept = (await retention(frStaff)).find((k) => k.cid === p.cid)!;
    expect(kept).to.include({ expired: true, purging: false });
    expect(kept.holds).to.deep.equal([holdId]);

    // Only the member's administrator releases a hold; once.
    expect((await call("DELETE", `/v1/legal-holds/${holdId}`, frStaff)).status).to.equal(403);
    expect((await call("DELETE", `/v1/legal-holds/${holdId}`, usAdmin)).status).to.equal(404);
    const released = await json<LegalHold>(call("DELETE", `/v1/legal-holds/${holdId}`, frAdmin), 200);
    expect(released).to.deep.include({ active: false, releasedBy: { address: fr.address, person: null } });
    expect(released.releasedAt).to.be.a("string");
    expect((await call("DELETE", `/v1/legal-holds/${holdId}`, frAdmin)).status).to.equal(409);

    const run = await runPurge(gw.ctx);
    expect(run.purged.map((e) => e.cid)).to.deep.equal([p.cid]);
    expect(await gw.ctx.store.has(p.cid)).to.equal(false);

    // The log shows the hold stopping it, then the purge; the holds' history keeps the released hold.
    const log = (await purges(frAdmin)).filter((e) => e.cid === p.cid);
    expect(log.map((e) => [e.outcome, e.holdId])).to.deep.equal([
      ["held", holdId],
      ["purged", null],
    ]);
    const history = await json<{ holds: LegalHold[] }>(call("GET", "/v1/legal-holds", frStaff), 200);
    expect(history.holds.find((h) => h.id === holdId)).to.deep.equal(released);
    const active = await json<{ holds: LegalHold[] }>(call("GET", "/v1/legal-holds?active=true", frStaff), 200);
    expect(active.holds.map((h) => h.id)).to.not.include(holdId);
    const trail = (await audit(frAdmin))
      .filter((e) => e.subject === `legal-hold:${holdId}:${p.cid}` || e.subject === p.cid)
      .map((e) => [e.action, e.person]);
    expect(trail).to.deep.equal([
      ["legal-hold-placed", "investigator 7"],
      ["legal-hold-released", null],
      ["purged", null],
    ]);
  });

  it("the same package kept by two members: when one's retention ends, its row goes and every block stays", async function () {
    const p = await seal(1_048_576 + 10);
    const blocks = await gw.ctx.store.blocksOf(p.cid);
    const now = await chainNow();
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 1, until: now + 50 });
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 3, until: now + 10 * DAY });
    await advance(51);
    const entry = (await runPurge(gw.ctx)).purged.find((e) => e.cid === p.cid)!;
    expect(entry).to.include({ memberId: "1", blocksRemoved: 0, blocksShared: blocks.length });
    for (const b of blocks) expect(await gw.ctx.store.has(b), b).to.equal(true);
    expect((await retention(frAdmin)).map((k) => k.cid)).to.not.include(p.cid);
    expect((await retention(usAdmin)).map((k) => k.cid)).to.deep.equal([p.cid]);
  });

  it("a hold on a record holds every package of its content hash (re-wrapped copies too), found on chain", async function () {
    const p = await seal(2000);
    const copy = await rewrap(p.cid, p.key);
    const evidence = gw.ctx.cp.evidence;
    const anchored = await (
      await evidence.submit(
        await evidence.signAnchorEvidence(fr, {
          contentHash: p.contentHash,
          packageCid: p.cid,
          category: EvidenceCategory.WEB_PAGE_CAPTURE,
          caseRef: hashOf("case FR-2026-0099"),
          collectedAt: (await chainNow()) - 60,
        }),
        chain.account(8),
      )
    ).wait();
    const now = await chainNow();
    await keepPackage(gw.ctx, { cid: p.cid, memberId: 1, until: now + 100 });
    await keepPackage(gw.ctx, { cid: copy.cid, memberId: 1, until: now + 100 });
    const placed = await json<{ hold: LegalHold; packages: string[] }>(
      call("POST", "/v1/legal-holds", frAdmin, { recordId: anchored.recordId, reason: "litigation hold" }),
      201,
    );
    expect(placed.hold).to.include({ cid: null, recordId: anchored.recordId, contentHash: p.contentHash });
    expect(placed.packages).to.have.members([p.cid, copy.cid]);

    await advance(101);
    const run = await runPurge(gw.ctx);
    expect(run.purged.map((e) => e.cid).filter((c) => c === p.cid || c === copy.cid)).to.deep.equal([]);
    expect(run.held.map((e) => e.cid)).to.have.members([p.cid, copy.cid]);

    // What is not a record on chain, or not a target at all, is refused.
    const unknown = await call("POST", "/v1/legal-holds", frAdmin, { recordId: hashOf("no such record"), reason: "x" });
    expect(unknown.status).to.equal(404);
    expect((await call("POST", "/v1/legal-holds", frAdmin, { reason: "nothing named" })).status).to.equal(400);
    const both = await call("POST", "/v1/legal-holds", frAdmin, {
      cid: p.cid,
      recordId: anchored.recordId,
      reason: "both",
    });
    expect(both.status).to.equal(400);
    expect((await call("POST", "/v1/legal-holds", frAdmin, { cid: "not-a-cid", reason: "x" })).status).to.equal(400);
    // An account (not a member) has no holds to place.
    const account = (await gw.ctx.sessions.issue({ kind: "account", address: chain.account(7).address })).token;
    expect((await call("POST", "/v1/legal-holds", account, { cid: p.cid, reason: "x" })).status).to.equal(403);
    expect((await call("GET", "/v1/purges", account)).status).to.equal(403);
  });

  it("an assistance request's retention is read from the chain at purge time: an extension there is honoured", async function () {
    const desk = gw.ctx.cp.assistance;
    const issued = await (
      await desk.submit(
        await desk.signIssue(fr, {
          addressee: 3,
          kind: "Preserve",
          caseRef: hashOf("case FR-2026-0100"),
          firstUpload: "US",
          primaryDissemination: "FR",
          legalBasisHash: hashOf("art. 7 cooperation agreement"),
        }),
        chain.account(8),
      )
    ).wait();
    const response = await seal(1500);
    const kept = await keepPackage(gw.ctx, {
      cid: response.cid,
      memberId: 3,
      assistanceRequestId: issued.requestId,
      reason: "preserved for the request",
    });
    expect(kept.retentions).to.deep.equal([
      {
        basis: "assistance-request",
        requestId: issued.requestId,
        retainUntil: iso(issued.retentionUntil),
        reason: "preserved for the request",
        keptAt: kept.retentions[0]!.keptAt,
      },
    ]);
    // Only a party to the request keeps data for it; a date and a request are not both given.
    await keepPackage(gw.ctx, { cid: response.cid, memberId: 2, assistanceRequestId: issued.requestId }).then(
      () => expect.fail("kept for a request by a member that is no party to it"),
      (err: unknown) => expect(err).to.be.instanceOf(Problem).and.include({ type: "invalid-argument" }),
    );
    await keepPackage(gw.ctx, {
      cid: response.cid,
      memberId: 3,
      assistanceRequestId: issued.requestId,
      until: 2_000_000_000,
    }).then(
      () => expect.fail("kept for a request and until a date"),
      (err: unknown) => expect(err).to.be.instanceOf(Problem).and.include({ type: "invalid-argument" }),
    );

    // The requester extends the retention on chain; the gateway is not told.
    const request = (await desk.getRequest(issued.requestId))!;
    const extended = request.issuedAt + 200 * DAY;
    await (
      await desk.submit(
        await desk.signExtendRetention(fr, { requestId: issued.requestId, retentionUntil: extended }),
        chain.account(8),
      )
    ).wait();

    await advance(issued.retentionUntil - (await chainNow()) + 10);
    const early = await runPurge(gw.ctx);
    expect(early.purged.map((e) => e.cid)).to.not.include(response.cid);
    expect(await gw.ctx.store.has(response.cid)).to.equal(true);
    const shown = (await retention(usAdmin)).find((k) => k.cid === response.cid)!;
    expect(shown).to.include({ retainUntil: iso(extended), expired: false });

    await advance(extended - (await chainNow()) + 10);
    const run = await runPurge(gw.ctx);
    const entry = run.purged.find((e) => e.cid === response.cid)!;
    expect(entry).to.deep.include({ memberId: "3", retainUntil: iso(extended) });
    expect(entry.why).to.deep.equal([
      {
        basis: "assistance-request",
        requestId: issued.requestId,
        retainUntil: iso(extended),
        reason: "preserved for the request",
      },
    ]);
    expect(await gw.ctx.store.has(response.cid)).to.equal(false);
    // Nothing on chain changed: the request still states its retention.
    expect((await desk.getRequest(issued.requestId))!.retentionUntil).to.equal(extended);
    // The packages held by the record hold in the test before are still there, logged held once.
    expect(run.held).to.deep.equal([]);
  });

  it("the purge log and the holds' history cannot be altered (SQLite triggers)", function () {
    const db = gw.ctx.db;
    expect(() => db.prepare("UPDATE retention_purges SET blocks_removed = 0").run()).to.throw(/append-only/);
    expect(() => db.prepare("DELETE FROM retention_purges").run()).to.throw(/append-only/);
    expect(() => db.prepare("DELETE FROM legal_holds").run()).to.throw(/legal holds are kept/);
    expect(() => db.prepare("UPDATE legal_holds SET reason = 'changed'").run()).to.throw(/legal holds are kept/);
    const released = db.prepare("SELECT id FROM legal_holds WHERE released_at IS NOT NULL").get() as { id: number };
    expect(() =>
      db.prepare("UPDATE legal_holds SET released_at = released_at + 1 WHERE id = ?").run(released.id),
    ).to.throw(/legal holds are kept/);
  });

  it("skips a run while a backup holds the maintenance lease", async function () {
    const lease = acquireMaintenanceLease(gw.ctx.db, "backup", { seconds: 60 });
    if (!("holder" in lease)) expect.fail("the lease was busy");
    try {
      const run = await runPurge(gw.ctx);
      expect(run.skipped).to.match(/a backup is running/);
      expect(run.purged).to.deep.equal([]);
    } finally {
      releaseMaintenanceLease(gw.ctx.db, lease.holder);
    }
    expect((await runPurge(gw.ctx)).skipped).to.equal(undefined);
  });

  it("is in the OpenAPI document", async function () {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).to.include.members([
      "/v1/legal-holds",
      "/v1/legal-holds/{id}",
      "/v1/retention",
      "/v1/purges",
    ]);
  });
});
