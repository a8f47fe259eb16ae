import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet, id as keccakText } from "ethers";
import {
  AssistanceClient,
  EvidenceBatch,
  EvidenceCategory,
  EvidenceClient,
  computeCid,
  expandTerritories,
} from "../../sdk/src";
import type { Principal } from "../../server/src/auth/principal";
import { runDemo, type DemoResult } from "../../scripts/lib/demo";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { readsModule } from "../../server/src/routes/reads";
import { startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

type Json = Record<string, unknown>;

describe("gateway: reads and least disclosure (real chain, the demo's writes)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let demo: DemoResult;
  let work: string;
  let evidence: EvidenceClient;
  let assistance: AssistanceClient;
  const tokens: Record<"fr" | "de" | "us" | "holder" | "label" | "stranger", string> = {} as never;
  /** FR's record it disclosed publicly, and records disclosed in ways that do not make them public. */
  let publicRecord: { recordId: string; contentHash: string };
  let custodianDisclosed: { recordId: string; contentHash: string };
  let disclosedToMember: { recordId: string; contentHash: string };
  let batchId: string;
  let overdue: string;
  let dueSoon: string;
  let deRequest: string;

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-gw-reads-"));
    demo = await runDemo({ provider: chain.provider, deployment: chain.record, workDir: path.join(work, "demo") });
    const c = chain.record.contracts;
    evidence = await EvidenceClient.connect(c.EvidenceRegistry.address, chain.provider);
    assistance = await AssistanceClient.connect(c.AssistanceDesk.address, chain.provider);
    const relayer = chain.account(0);
    const fr = chain.account(1);
    const de = chain.account(2);

    const anchor = async (note: string) => {
      const contentHash = `0x${randomBytes(32).toString("hex")}`;
      const signed = await evidence.signAnchorEvidence(fr, {
        contentHash,
        packageCid: await computeCid(new TextEncoder().encode(`package ${note}`)),
        category: EvidenceCategory.LIVE_STREAM_RECORDING,
        firstUpload: "US",
        primaryDissemination: "FR",
        caseRef: keccakText(`case ${note}`),
        collectedAt: (await evidence.chainTime()) - 60,
      });
      const { recordId } = await (await evidence.anchorEvidence(signed, relayer)).wait();
      return { recordId, contentHash };
    };
    const custody = async (
      who: Wallet,
      recordId: string,
      eventType: "Collected" | "Transferred" | "Received" | "Disclosed",
      counterparty = 0,
    ) =>
      (await evidence.submit(await evidence.signCustody(who, { recordId, eventType, counterparty }), relayer)).wait();

    // Disclosed publicly by its anchoring member (a takedown notice cites it).
    publicRecord = await anchor("cited in a public takedown notice");
    await custody(fr, publicRecord.recordId, "Collected");
    await custody(fr, publicRecord.recordId, "Disclosed");
    // Disclosed publicly, but by a later custodian: not the anchoring member's decision, so not public.
    custodianDisclosed = await anchor("disclosed by the court");
    await custody(fr, custodianDisclosed.recordId, "Collected");
    await custody(fr, custodianDisclosed.recordId, "Transferred", 2);
    await custody(de, custodianDisclosed.recordId, "Received", 1);
    await custody(de, custodianDisclosed.recordId, "Disclosed");
    // Disclosed to one member only: not public.
    disclosedToMember = await anchor("disclosed to the platform");
    await custody(fr, disclosedToMember.recordId, "Collected");
    await custody(fr, disclosedToMember.recordId, "Disclosed", 3);

    const batch = EvidenceBatch.build([1, 2, 3].map(() => `0x${randomBytes(32).toString("hex")}`));
    const signedBatch = await evidence.signAnchorBatch(fr, {
      batch,
      manifestCid: await computeCid(new TextEncoder().encode("batch manifest")),
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
    });
    batchId = (await (await evidence.anchorBatch(signedBatch, relayer)).wait()).batchId;

    // Assistance: FR asks the platform twice, three days apart (the first is overdue then); DE asks it once.
    const issue = async (by: Wallet) => {
      const signed = await assistance.signIssue(by, {
        addressee: 3,
        kind: "Preserve",
        caseRef: keccakText("case FR-2026-0043"),
        firstUpload: "US",
        primaryDissemination: "FR",
        legalBasisHash: keccakText("legal basis"),
      });
      const { requestId } = await (await assistance.submit(signed, relayer)).wait();
      return requestId.toLowerCase();
    };
    overdue = await issue(fr);
    await chain.provider.send("evm_increaseTime", [73 * 3600]);
    await chain.provider.send("evm_mine", []);
    dueSoon = await issue(fr);
    deRequest = await issue(de);

    gw = await startTestGateway(chain, [indexerModule, readsModule], { indexerPollMs: "0" });
    await gw.ctx.indexer!.syncOnce();
    const issue_ = async (p: Principal) => (await gw.ctx.sessions.issue(p)).token;
    tokens.fr = await issue_({
      kind: "member",
      memberId: 1n,
      roles: ["AGENCY", "GOVERNOR"],
      jurisdiction: "FR",
      address: fr.address,
    });
    tokens.de = await issue_({
      kind: "member",
      memberId: 2n,
      roles: ["COURT", "GOVERNOR"],
      jurisdiction: "DE",
      address: de.address,
    });
    tokens.us = await issue_({
      kind: "member",
      memberId: 3n,
      roles: ["PLATFORM"],
      jurisdiction: "US",
      address: chain.account(3).address,
    });
    tokens.holder = await issue_({ kind: "account", address: chain.account(6).address });
    tokens.label = await issue_({ kind: "account", address: chain.account(7).address });
    tokens.stranger = await issue_({ kind: "account", address: Wallet.createRandom().address });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const get = async (p: string, token?: keyof typeof tokens) => {
    const res = await fetch(
      `${gw.url}${p}`,
      token === undefined ? {} : { headers: { authorization: `Bearer ${tokens[token]}` } },
    );
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const problemType = (b: Json) => String(b.type).replace("urn:crossproof:problem:", "");

  it("evidence by record id and by content hash: members only, read from the chain", async function () {
    expect((await get(`/v1/evidence/${demo.recordId}`)).status).to.equal(401);
    const account = await get(`/v1/evidence/${demo.recordId}`, "holder");
    expect([account.status, problemType(account.body)]).to.deep.equal([403, "forbidden"]);

    const { status, body } = await get(`/v1/evidence/${demo.recordId}`, "de");
    expect(status).to.equal(200);
    const onChain = (await evidence.getEvidence(demo.recordId))!;
    expect(body).to.deep.equal({
      recordId: demo.recordId.toLowerCase(),
      contentHash: demo.contentHash.toLowerCase(),
      status: "Active",
      memberId: "1",
      jurisdiction: "FR",
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      anchoredAt: new Date(onChain.anchoredAt * 1000).toISOString().replace(".000Z", "Z"),
      collectedAt: new Date(onChain.collectedAt * 1000).toISOString().replace(".000Z", "Z"),
      firstUpload: "US",
      primaryDissemination: "FR",
      signer: chain.account(1).address,
      packageCid: demo.packageCid,
      caseRef: onChain.caseRef.toLowerCase(),
      supersedes: null,
      supersededBy: null,
      fieldsMatchCommitment: true,
      registry: chain.record.contracts.EvidenceRegistry.address.toLowerCase(),
      transactionHash: onChain.transactionHash.toLowerCase(),
      blockNumber: onChain.blockNumber,
    });

    const unknown = await get(`/v1/evidence/0x${"ab".repeat(32)}`, "de");
    expect([unknown.status, problemType(unknown.body)]).to.deep.equal([404, "not-found"]);
    expect((await get(`/v1/evidence/not-a-hash`, "de")).status).to.equal(400);

    const byHash = await get(`/v1/evidence?contentHash=${demo.contentHash}`, "us");
    expect((byHash.body.records as Json[]).map((r) => [r.recordId, r.memberId])).to.deep.equal([
      [demo.recordId.toLowerCase(), "1"],
    ]);
    const byCase = await get(`/v1/evidence?caseRef=${onChain.caseRef}`, "us");
    expect((byCase.body.records as Json[]).map((r) => r.recordId)).to.deep.equal([demo.recordId.toLowerCase()]);
    const byMember = await get(`/v1/evidence?memberId=1&limit=2`, "us");
    expect((byMember.body.records as Json[]).map((r) => r.recordId)).to.deep.equal([
      demo.recordId.toLowerCase(),
      publicRecord.recordId.toLowerCase(),
    ]);
    expect((await get(`/v1/evidence`, "us")).status).to.equal(400);
  });

  it("custody history, endorsements and batches", async function () {
    const custody = await get(`/v1/evidence/${demo.recordId}/custody`, "de");
    expect(custody.status).to.equal(200);
    const events = custody.body.events as Json[];
    expect(events.map((e) => [e.sequence, e.eventType, e.actor, e.counterparty])).to.deep.equal([
      [0, "Collected", "1", null],
      [1, "Sealed", "1", null],
      [2, "Transferred", "1", "2"],
      [3, "Received", "2", "1"],
      [4, "Accessed", "2", null],
    ]);
    expect(custody.body.verification).to.deep.equal({
      status: "COMPLETE",
      intact: true,
      complete: true,
      custodian: "2",
      pendingRecipient: null,
      recipients: ["1", "2"],
      problems: [],
    });
    expect((await get(`/v1/evidence/${demo.recordId}/custody`)).status).to.equal(401);

    const endorsements = await get(`/v1/evidence/${demo.recordId}/endorsements`, "us");
    expect(endorsements.status).to.equal(200);
    const current = endorsements.body.current as Json[];
    expect(current.map((e) => [e.memberId, e.verdict, e.agreementId])).to.deep.equal([
      ["2", "Recognized", demo.agreementId.toString()],
    ]);
    expect((endorsements.body.history as Json[]).map((e) => [e.memberId, e.verdict])).to.deep.equal([
      ["2", "Recognized"],
    ]);

    const batch = await get(`/v1/batches/${batchId}`, "de");
    expect(batch.status).to.equal(200);
    expect(batch.body).to.include({
      batchId: batchId.toLowerCase(),
      memberId: "1",
      count: 3,
      status: "Active",
      jurisdiction: "FR",
    });
    const batches = await get(`/v1/batches?memberId=1`, "de");
    expect((batches.body.batches as Json[]).map((b) => b.batchId)).to.deep.equal([batchId.toLowerCase()]);
    expect((await get(`/v1/batches?memberId=2`, "de")).body).to.deep.equal({ batches: [] });
    expect((await get(`/v1/batches/${batchId}`, "label")).status).to.equal(403);
  });

  it("licences and works: members see all, accounts what names them, others 404 as for an unknown licence", async function () {
    for (const who of ["us", "holder", "label"] as const) {
      const res = await get(`/v1/licences/${demo.licenceId}`, who);
      expect(res.status, who).to.equal(200);
      const chainOfLicences = res.body.chain as Json[];
      expect(chainOfLicences.map((l) => [l.licensor, l.licensee, l.rights, l.territories, l.depth])).to.deep.equal([
        [
          chain.account(6).address,
          chain.account(7).address,
          ["MAKE_AVAILABLE", "BROADCAST"],
          expandTerritories(["EU"]),
          1,
        ],
        [chain.account(7).address, chain.account(3).address, ["BROADCAST"], ["DE", "FR"], 2],
      ]);
      expect(res.body.licence).to.deep.equal(chainOfLicences[1]);
    }
    const stranger = await get(`/v1/licences/${demo.licenceId}`, "stranger");
    const unknown = await get(`/v1/licences/0x${"cd".repeat(32)}`, "stranger");
    expect([stranger.status, problemType(stranger.body)]).to.deep.equal([404, "not-found"]);
    expect([unknown.status, problemType(unknown.body)]).to.deep.equal([404, "not-found"]);
    expect((await get(`/v1/licences/${demo.licenceId}`)).status).to.equal(401);

    const ok = await get(`/v1/licences/${demo.licenceId}/authorization?right=BROADCAST&territory=FR`, "us");
    expect(ok.status).to.equal(200);
    expect(ok.body).to.include({ authorized: true, reason: "OK", failedAt: null, right: "BROADCAST", territory: "FR" });
    expect((ok.body.chain as Json[]).map((l) => [l.valid, l.reason])).to.deep.equal([
      [true, "OK"],
      [true, "OK"],
    ]);
    // The US is in neither licence: the failing link closest to the rights holder is the root licence.
    const rootId = (ok.body.chain as { licence: Json }[])[0]!.licence.licenceId;
    expect(rootId).to.not.equal(demo.licenceId.toLowerCase());
    const us = await get(`/v1/licences/${demo.licenceId}/authorization?right=BROADCAST&territory=US`, "label");
    expect(us.body).to.include({ authorized: false, reason: "TERRITORY_NOT_GRANTED", failedAt: rootId });
    expect(String(us.body.summary)).to.match(/^Not authorised/);
    expect(
      (await get(`/v1/licences/${demo.licenceId}/authorization?right=BROADCAST&territory=US`, "stranger")).status,
    ).to.equal(404);

    const asLabel = await get(`/v1/licences`, "label");
    expect((asLabel.body.licences as Json[]).length).to.equal(2);
    const asPlatform = await get(`/v1/licences?party=${chain.account(3).address}`, "de");
    expect((asPlatform.body.licences as Json[]).map((l) => l.licenceId)).to.deep.equal([demo.licenceId.toLowerCase()]);
    expect((await get(`/v1/licences`, "stranger")).body).to.deep.equal({ licences: [] });

    const workId = (asPlatform.body.licences as Json[])[0]!.workId as string;
    const w = await get(`/v1/works/${workId}`, "holder");
    expect(w.status).to.equal(200);
    expect(w.body).to.include({ workId, rightsHolder: chain.account(6).address, originJurisdiction: "ES" });
    expect((w.body.licences as string[]).length).to.equal(2);
    expect((await get(`/v1/works/${workId}`, "label")).status).to.equal(200);
    expect((await get(`/v1/works/${workId}`, "de")).status).to.equal(200);
    expect((await get(`/v1/works/${workId}`, "stranger")).status).to.equal(404);
    expect(((await get(`/v1/works`, "holder")).body.works as Json[]).map((x) => x.workId)).to.deep.equal([workId]);
    expect((await get(`/v1/works`, "stranger")).body).to.deep.equal({ works: [] });
  });

  it("assistance requests: the caller's own, open / due soon / overdue / answered by chain time; others get 404", async function () {
    const ids = async (q: string, who: keyof typeof tokens) =>
      ((await get(`/v1/assistance?${q}`, who)).body.requests as Json[]).map((r) => [r.requestId, r.role, r.stateNow]);
    const answered = demo.assistanceRequestId.toLowerCase();
    expect(await ids("filter=open", "fr")).to.deep.equal([
      [overdue, "requester", "Overdue"],
      [dueSoon, "requester", "Issued"],
    ]);
    expect(await ids("filter=overdue", "fr")).to.deep.equal([[overdue, "requester", "Overdue"]]);
    expect(await ids("filter=due-soon&dueWithin=3600", "fr")).to.deep.equal([]);
    expect(await ids(`filter=due-soon&dueWithin=${4 * 86400}`, "fr")).to.deep.equal([[dueSoon, "requester", "Issued"]]);
    expect(await ids("filter=answered", "fr")).to.deep.equal([[answered, "requester", "Fulfilled"]]);
    expect(await ids("filter=all", "fr")).to.deep.equal([
      [answered, "requester", "Fulfilled"],
      [overdue, "requester", "Overdue"],
      [dueSoon, "requester", "Issued"],
    ]);
    expect(await ids("filter=open&role=addressee", "fr")).to.deep.equal([]);
    expect(await ids("filter=open&role=addressee", "us")).to.deep.equal([
      [overdue, "addressee", "Overdue"],
      [dueSoon, "addressee", "Issued"],
      [deRequest, "addressee", "Issued"],
    ]);
    expect(await ids("filter=open", "de")).to.deep.equal([[deRequest, "requester", "Issued"]]);
    expect(await ids("filter=answered", "de")).to.deep.equal([]);

    const mine = await get(`/v1/assistance/${answered}`, "fr");
    expect(mine.status).to.equal(200);
    expect(mine.body.request).to.include({
      requestId: answered,
      requester: "1",
      addressee: "3",
      kind: "Produce",
      state: "Fulfilled",
      stateNow: "Fulfilled",
      late: false,
      role: "requester",
    });
    expect((mine.body.history as Json[]).map((h) => [h.event, h.state])).to.deep.equal([
      ["Acknowledged", "Acknowledged"],
      ["Answered", "Fulfilled"],
    ]);
    expect(((await get(`/v1/assistance/${answered}`, "us")).body.request as Json).role).to.equal("addressee");
    // Another member (the DE court) and an unknown id get the same 404: existence does not leak.
    const other = await get(`/v1/assistance/${answered}`, "de");
    const none = await get(`/v1/assistance/0x${"ef".repeat(32)}`, "de");
    expect([other.status, problemType(other.body)]).to.deep.equal([404, "not-found"]);
    expect([none.status, problemType(none.body)]).to.deep.equal([404, "not-found"]);
    expect((await get(`/v1/assistance/${answered}`, "holder")).status).to.equal(403);
    expect((await get(`/v1/assistance/${answered}`)).status).to.equal(401);
    expect((await get(`/v1/assistance?filter=open`)).status).to.equal(401);
  });

  it("compliance figures of a member as addressee: the SDK's, from the chain, for members only", async function () {
    const to = (await assistance.chainTime()) + 30 * 86_400;
    const res = await get(`/v1/compliance/3?from=0&to=${to}`, "fr");
    expect(res.status).to.equal(200);
    const figures = res.body as Record<string, unknown>;
    const sdk = await assistance.complianceFigures(3, { from: 0, to, asOf: figures.asOf as number });
    expect(figures).to.deep.equal(JSON.parse(JSON.stringify({ ...sdk, memberId: "3" })));
    // The demo's request answered on time, and the request left overdue above.
    expect(figures.answeredOnTime).to.be.at.least(1);
    expect(figures.overdue).to.be.at.least(1);
    expect((await get(`/v1/compliance/3?from=0&to=${to}`)).status).to.equal(401);
    expect((await get(`/v1/compliance/3?from=10&to=5`, "fr")).status).to.equal(400);
  });

  it("members, their keys and the recognition agreements, for anyone", async function () {
    const members = (await get(`/v1/members`)).body.members as Json[];
    expect(members.map((m) => [m.memberId, m.jurisdiction, m.roles, m.status])).to.deep.equal([
      ["1", "FR", ["AGENCY", "GOVERNOR"], "Active"],
      ["2", "DE", ["COURT", "GOVERNOR"], "Active"],
      ["3", "US", ["PLATFORM"], "Active"],
      ["4", "ES", ["REGISTRY", "GOVERNOR"], "Active"],
      ["5", "NL", ["OPERATOR"], "Active"],
      // The demo story's cast (npm run demo): CN, SG and FR.
      ["6", "CN", ["AGENCY", "GOVERNOR"], "Active"],
      ["7", "SG", ["AGENCY", "GOVERNOR"], "Active"],
      ["8", "SG", ["PLATFORM"], "Active"],
      ["9", "FR", ["COURT"], "Active"],
    ]);
    const fr = await get(`/v1/members/1`);
    expect(fr.status).to.equal(200);
    expect(fr.body.signingKeys).to.have.length(1);
    expect((fr.body.signingKeys as Json[])[0]).to.include({
      address: chain.account(1).address.toLowerCase(),
      validUntil: null,
      live: true,
      validNow: true,
    });
    expect((fr.body.statusHistory as Json[]).map((h) => h.status)).to.deep.equal(["Active"]);
    expect(fr.body.publicKeys).to.deep.equal([]);
    expect((await get(`/v1/members/99`)).status).to.equal(404);

    const agreements = (await get(`/v1/agreements`)).body.agreements as Json[];
    const frDe = agreements.find((a) => a.agreementId === demo.agreementId.toString())!;
    expect(frDe).to.include({ from: "FR", to: "DE", anchorWindow: 604800, suspended: false, expiresAt: null });
    expect(frDe.minAssurance).to.deep.equal(["COMPLETE_CUSTODY", "TIMELY_ANCHOR"]);
    expect(frDe.categories).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await get(`/v1/agreements/${demo.agreementId}`)).body).to.deep.equal(frDe);
    expect((await get(`/v1/agreements/999`)).status).to.equal(404);
  });

  it("least disclosure: a stranger probing a record that is not public learns exactly what a never-anchored hash gives", async function () {
    const probe = async (contentHash: string) => {
      const res = await fetch(`${gw.url}/v1/public/evidence/${contentHash}`);
      return {
        status: res.status,
        contentType: res.headers.get("content-type"),
        cacheControl: res.headers.get("cache-control"),
        body: await res.text(),
      };
    };
    const neverAnchored = await probe(`0x${randomBytes(32).toString("hex")}`);
    expect(neverAnchored).to.deep.equal({
      status: 200,
      contentType: "application/json; charset=utf-8",
      cacheControl: "no-store",
      body: JSON.stringify({ anchored: false }),
    });
    // The demo's evidence (under investigation, shared with the DE court), a record the court disclosed as a later
    // custodian, and one disclosed to a single member: each answer is byte for byte the never-anchored one.
    for (const { contentHash } of [{ contentHash: demo.contentHash }, custodianDisclosed, disclosedToMember]) {
      expect(await probe(contentHash)).to.deep.equal(neverAnchored);
      expect(await probe(contentHash.toUpperCase().replace("0X", "0x"))).to.deep.equal(neverAnchored);
    }
    // Members still see them.
    expect((await get(`/v1/evidence?contentHash=${custodianDisclosed.contentHash}`, "us")).body.records).to.have.length(
      1,
    );
  });

  it("a record its anchoring member disclosed publicly: yes, when, which jurisdiction, and the reduced report", async function () {
    const res = await get(`/v1/public/evidence/${publicRecord.contentHash}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("no-store");
    const record = (await evidence.getEvidence(publicRecord.recordId))!;
    expect(res.body).to.deep.include({
      anchored: true,
      anchoredAt: new Date(record.anchoredAt * 1000).toISOString().replace(".000Z", "Z"),
      jurisdiction: "FR",
    });
    const report = res.body.report as Json;
    expect(report.format).to.equal("crossproof.verification-report.reduced/1");
    expect(report.issuer).to.deep.equal({ jurisdiction: "FR" });
    expect(report.subject).to.deep.equal({ contentHash: publicRecord.contentHash });
    const anchors = report.anchors as Json[];
    expect(anchors).to.have.length(1);
    expect(Object.keys(anchors[0]!).sort()).to.deep.equal(
      ["anchoredAt", "category", "checks", "indication", "jurisdiction", "kind", "recordId"].sort(),
    );
    // Nothing that names the case or the custody parties.
    const text = JSON.stringify(res.body);
    expect(text).to.not.contain(record.caseRef.slice(2));
    expect(text).to.not.contain(record.signer.slice(2).toLowerCase());
    expect(text).to.not.contain(record.packageCid);
    expect(report.indication).to.equal("INDETERMINATE");
    expect((report.checks as Json[]).map((c) => [c.check, c.result])).to.deep.equal([
      ["MANIFEST_HASH", "INDETERMINATE"],
      ["FILE_HASHES", "INDETERMINATE"],
      ["ANCHOR_FOUND", "PASSED"],
    ]);
  });

  it("is in the OpenAPI document", async function () {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).to.include.members([
      "/v1/evidence",
      "/v1/evidence/{recordId}",
      "/v1/evidence/{recordId}/custody",
      "/v1/evidence/{recordId}/endorsements",
      "/v1/batches",
      "/v1/batches/{batchId}",
      "/v1/licences",
      "/v1/licences/{licenceId}",
      "/v1/licences/{licenceId}/authorization",
      "/v1/works",
      "/v1/works/{workId}",
      "/v1/assistance",
      "/v1/assistance/{requestId}",
      "/v1/members",
      "/v1/members/{memberId}",
      "/v1/agreements",
      "/v1/agreements/{agreementId}",
      "/v1/public/evidence/{contentHash}",
    ]);
  });

  // Last: it rolls the chain back to where it started (docs/GATEWAY.md, "Answers from the index").
  it("the index answers a probe's no, never its yes: a disclosure the index lags or the chain lost is answered no", async function () {
    const probe = async (contentHash: string) =>
      ((await (await fetch(`${gw.url}/v1/public/evidence/${contentHash}`)).json()) as { anchored: boolean }).anchored;
    const snapshot = (await chain.provider.send("evm_snapshot", [])) as string;
    const fr = chain.account(1);
    const relayer = chain.account(0);
    const contentHash = `0x${randomBytes(32).toString("hex")}`;
    const signed = await evidence.signAnchorEvidence(fr, {
      contentHash,
      packageCid: await computeCid(new TextEncoder().encode("package disclosed, then rolled back")),
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      caseRef: keccakText("case rolled back"),
      collectedAt: (await evidence.chainTime()) - 60,
    });
    const { recordId } = await (await evidence.anchorEvidence(signed, relayer)).wait();
    for (const eventType of ["Collected", "Disclosed"] as const) {
      await (
        await evidence.submit(await evidence.signCustody(fr, { recordId, eventType, counterparty: 0 }), relayer)
      ).wait();
    }
    // Disclosed on chain, not yet in the index (no poll since): no, until the next poll.
    expect(await probe(contentHash)).to.equal(false);
    await gw.ctx.indexer!.syncOnce();
    expect(await probe(contentHash)).to.equal(true);
    // The chain loses the blocks (a rollback); the index still holds the disclosure until its next poll, and the
    // answer is already no: a yes is given only when the chain has the record and its disclosure now.
    expect(await chain.provider.send("evm_revert", [snapshot])).to.equal(true);
    expect(gw.ctx.indexer!.publicAnchors(contentHash)).to.have.length(1);
    expect(await probe(contentHash)).to.equal(false);
    await gw.ctx.indexer!.syncOnce();
    expect(gw.ctx.indexer!.publicAnchors(contentHash)).to.have.length(0);
    expect(await probe(contentHash)).to.equal(false);
  });
});
