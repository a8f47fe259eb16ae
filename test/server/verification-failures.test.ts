import { randomBytes } from "node:crypto";
import { expect } from "chai";
import path from "node:path";
import { Wallet, getAddress, id as keccakText } from "ethers";
import {
  EvidenceBatch,
  computeCid,
  loadConsortiumConfig,
  recordIdOf,
  type AnchorReport,
  type CheckName,
  type Hex,
  type VerificationReport,
} from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { auditModule } from "../../server/src/audit";
import { verificationModule } from "../../server/src/routes/verification";
import { demoWithCourtKeys, devKey, startTestGateway, type TestChain } from "../helpers/gateway";
import { startHoldingChain } from "../helpers/holding-chain";

const root = path.resolve(__dirname, "..", "..");

interface SignedAnswer {
  report: VerificationReport;
  jws: string;
  kid: string;
}

/**
 * Each failure the verifier names (issue 10), verified over HTTP through the gateway by the DE court (member 2) on a
 * real chain: `200` with the signed report, and the named check FAILED or INDETERMINATE with its sub-code, in the
 * report and in the JWS that carries it. The SDK-level twins are in test/sdk/verify-evidence.test.ts.
 */
describe("gateway: each verification failure over HTTP (real chain, signed reports)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let courtToken: string;
  let reportKid: string;
  /** The demo's platform sublicence: BROADCAST in FR only. */
  let licenceId: string;
  const fr = new Wallet(devKey(1));
  const de = new Wallet(devKey(2));
  let n = 0;

  before(async () => {
    chain = await startHoldingChain();
    const setup = await demoWithCourtKeys(chain);
    reportKid = setup.reportKey.kid;
    licenceId = setup.demo.licenceId;
    gw = await startTestGateway(chain, [auditModule, verificationModule], {
      keystoreDir: setup.keystoreDir,
      keystorePassword: setup.keystorePassword,
      contentStore: setup.demo.storeDir,
    });
    courtToken = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 2n,
        roles: ["COURT", "GOVERNOR"],
        jurisdiction: "DE",
        address: de.address,
      })
    ).token;
  });
  after(async () => {
    await chain?.provider.send("evm_setAutomine", [true]).catch(() => {});
    await gw?.close();
    await chain?.stop();
  });

  const cp = () => gw.ctx.cp;
  const relayer = () => chain.account(8);

  /**
   * `POST /v1/verifications` as the DE court: 200, the report signed by the court's report key (the JWS carries the
   * very report answered, and the gateway re-verifies it against the chain).
   */
  async function verifyOverHttp(body: unknown): Promise<VerificationReport> {
    const res = await fetch(`${gw.url}/v1/verifications`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${courtToken}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as SignedAnswer;
    expect(res.status, JSON.stringify(answer)).to.equal(200);
    expect(answer.kid).to.equal(reportKid);
    const payload = JSON.parse(Buffer.from(answer.jws.split(".")[1]!, "base64url").toString()) as VerificationReport;
    expect(payload).to.deep.equal(answer.report);
    const again = await fetch(`${gw.url}/v1/reports/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jws: answer.jws }),
    });
    expect(again.status).to.equal(200);
    expect(await again.json()).to.include({ valid: true, issuerMemberId: "2", kid: reportKid });
    return answer.report;
  }

  const check = (where: VerificationReport | AnchorReport, name: CheckName) =>
    where.checks.find((c) => c.check === name);

  /** A content hash never anchored before. */
  const freshHash = () => keccakText(`verification failure ${++n} ${randomBytes(8).toString("hex")}`) as Hex;

  /** An anchor by the FR agency (member 1, or one of its keys), relayed by another account. */
  async function anchorFr(o: { key?: Wallet; category?: number; contentHash?: Hex } = {}) {
    const contentHash = o.contentHash ?? freshHash();
    const signed = await cp().evidence.signAnchorEvidence(o.key ?? fr, {
      contentHash,
      packageCid: await computeCid(Buffer.from(contentHash)),
      category: o.category ?? 3,
      firstUpload: "US",
      caseRef: keccakText(`case ${contentHash}`),
      collectedAt: (await cp().chainTime()) - 600,
    });
    return { signed, contentHash, recordId: recordIdOf(1n, contentHash) };
  }
  const relay = async (signed: Parameters<ReturnType<typeof cp>["evidence"]["submit"]>[0]) =>
    (await cp().evidence.submit(signed, relayer())).wait();

  /** Sends each request in turn (the relayer's nonces keep their order) and mines them all in one block. */
  async function inOneBlock(sends: (() => Promise<{ wait(): Promise<unknown> }>)[]): Promise<void> {
    await chain.provider.send("evm_setAutomine", [false]);
    const sent: { wait(): Promise<unknown> }[] = [];
    try {
      for (const send of sends) sent.push(await send());
      await chain.provider.send("evm_mine", []);
    } finally {
      await chain.provider.send("evm_setAutomine", [true]);
    }
    const receipts = await Promise.all(sent.map((t) => t.wait()));
    const blocks = new Set(receipts.map((r) => (r as { receipt: { blockNumber: number } }).receipt.blockNumber));
    expect(blocks.size, "mined in one block").to.equal(1);
  }

  type Step = [Wallet, "Collected" | "Sealed" | "Transferred" | "Received", number?];
  /** Collected and Sealed by FR, transferred to the DE court, acknowledged by it (`complete`) or not. */
  async function custody(recordId: Hex, complete = true) {
    const steps: Step[] = [
      [fr, "Collected"],
      [fr, "Sealed"],
      [fr, "Transferred", 2],
      [de, "Received", 1],
    ];
    for (const [who, eventType, counterparty] of complete ? steps : steps.slice(0, 3)) {
      await relay(await cp().evidence.signCustody(who, { recordId, eventType, counterparty: counterparty ?? 0 }));
    }
  }

  it("passes every anchor check a content hash allows for an FR anchor with complete custody (the case each failure below changes)", async function () {
    const a = await anchorFr();
    await relay(a.signed);
    await custody(a.recordId);
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    expect(report.anchors).to.have.length(1);
    // A content hash alone: the anchor's fields are not compared with a manifest; every other check passes.
    expect(
      report.anchors[0]!.checks.filter((c) => c.result !== "PASSED").map((c) => [c.check, c.subCode]),
    ).to.deep.equal([["ANCHOR_MATCHES_MANIFEST", "NO_MANIFEST"]]);
    expect(report.anchors[0]!.checks.map((c) => c.check)).to.include.members([
      "ANCHOR_STATUS",
      "SIGNER_VALID",
      "CUSTODY",
      "RECOGNITION",
      "ASSURANCE",
    ]);
    expect(report.anchors[0]!.indication).to.equal("INDETERMINATE");
  });

  it("an unknown content hash: ANCHOR_FOUND FAILED NOT_ANCHORED", async function () {
    const report = await verifyOverHttp({ evidence: { contentHash: freshHash() } });
    expect(check(report, "ANCHOR_FOUND")).to.deep.include({ result: "FAILED", subCode: "NOT_ANCHORED" });
    expect(report.anchors).to.deep.equal([]);
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a retracted record: ANCHOR_STATUS FAILED RETRACTED, with the reason hash", async function () {
    const a = await anchorFr();
    await relay(a.signed);
    await custody(a.recordId);
    const reasonHash = keccakText("the capture was of the wrong stream") as Hex;
    await relay(await cp().evidence.signRetractEvidence(fr, { recordId: a.recordId, reasonHash }));
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    expect(check(report.anchors[0]!, "ANCHOR_STATUS")).to.deep.include({
      result: "FAILED",
      subCode: "RETRACTED",
      details: { reasonHash },
    });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a superseded record: ANCHOR_STATUS FAILED SUPERSEDED, naming the new version", async function () {
    const v1 = await anchorFr();
    await relay(v1.signed);
    await custody(v1.recordId);
    const contentHash = freshHash();
    const v2 = await cp().evidence.signAnchorEvidence(fr, {
      contentHash,
      packageCid: await computeCid(Buffer.from(contentHash)),
      category: 3,
      firstUpload: "US",
      caseRef: keccakText(`case ${v1.contentHash}`),
      collectedAt: (await cp().chainTime()) - 600,
      supersedes: v1.recordId,
    });
    await relay(v2);
    const report = await verifyOverHttp({ evidence: { contentHash: v1.contentHash }, anchoredBy: 1 });
    expect(check(report.anchors[0]!, "ANCHOR_STATUS")).to.deep.include({
      result: "FAILED",
      subCode: "SUPERSEDED",
      details: { supersededBy: recordIdOf(1n, contentHash) },
    });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a key revoked in the block that anchored with it: SIGNER_VALID FAILED KEY_NOT_VALID", async function () {
    const key = new Wallet(Wallet.createRandom().privateKey);
    await (await cp().consortium.submit(await cp().consortium.signAddOwnKey(fr, key, 1), relayer())).wait();
    const a = await anchorFr({ key });
    const revoke = await cp().consortium.signRevokeOwnKey(fr, 1, key.address);
    // The anchor and the revocation of its key in one block: the contract took the anchor (the key was valid as it
    // ran), but a key revoked at t signs nothing validly at t.
    await inOneBlock([
      () => cp().evidence.submit(a.signed, relayer()),
      () => cp().consortium.submit(revoke, relayer()),
    ]);
    await custody(a.recordId);
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    const c = check(report.anchors[0]!, "SIGNER_VALID")!;
    expect(c).to.deep.include({ result: "FAILED", subCode: "KEY_NOT_VALID" });
    expect(c.details).to.include({ signer: key.address, memberStatusAtAnchoring: "Active" });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a transfer the DE court never acknowledged: CUSTODY FAILED TRANSFER_NOT_ACKNOWLEDGED, COMPLETE_CUSTODY not met", async function () {
    const a = await anchorFr();
    await relay(a.signed);
    await custody(a.recordId, false);
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    const anchor = report.anchors[0]!;
    expect(check(anchor, "CUSTODY")).to.deep.include({ result: "FAILED", subCode: "TRANSFER_NOT_ACKNOWLEDGED" });
    expect(check(anchor, "CUSTODY")!.details).to.include({ status: "TRANSFER_PENDING", pendingRecipient: "2" });
    expect(check(anchor, "ASSURANCE")).to.deep.include({ result: "FAILED", subCode: "COMPLETE_CUSTODY_NOT_MET" });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("no custody recorded: CUSTODY INDETERMINATE NO_CUSTODY_RECORDED, never PASSED", async function () {
    const a = await anchorFr();
    await relay(a.signed);
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    expect(check(report.anchors[0]!, "CUSTODY")).to.deep.include({
      result: "INDETERMINATE",
      subCode: "NO_CUSTODY_RECORDED",
    });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a category no FR → DE agreement covers: RECOGNITION FAILED NO_AGREEMENT_IN_FORCE for the DE court", async function () {
    // The demo's FR → DE agreement covers categories 1-9; 0 (other) is in none.
    const a = await anchorFr({ category: 0 });
    await relay(a.signed);
    await custody(a.recordId);
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    const anchor = report.anchors[0]!;
    expect(check(anchor, "RECOGNITION")).to.deep.include({ result: "FAILED", subCode: "NO_AGREEMENT_IN_FORCE" });
    expect(check(anchor, "ASSURANCE")).to.deep.include({ result: "INDETERMINATE", subCode: "NO_AGREEMENT" });
    expect(check(anchor, "CUSTODY")!.result).to.equal("PASSED");
    expect(report.indication).to.equal("TOTAL-FAILED");
  });

  it("a batch proof of another batch: BATCH_INCLUSION FAILED NOT_IN_BATCH; the right proof passes that check", async function () {
    const h = freshHash();
    const others = [freshHash(), freshHash(), freshHash(), freshHash()];
    const batchA = EvidenceBatch.build([h, others[0]!, others[1]!]);
    const batchB = EvidenceBatch.build([h, others[2]!, others[3]!, others[0]!]);
    const anchorBatch = async (batch: EvidenceBatch) => {
      const signed = await cp().evidence.signAnchorBatch(fr, {
        batch,
        manifestCid: await computeCid(Buffer.from(batch.root)),
        category: 3,
      });
      return (await (await cp().evidence.anchorBatch(signed, relayer())).wait()).batchId as Hex;
    };
    const batchIdA = await anchorBatch(batchA);
    await anchorBatch(batchB);
    const wrong = await verifyOverHttp({
      evidence: { contentHash: h },
      batch: { batchId: batchIdA, proof: batchB.proof(h) },
    });
    const batchAnchor = wrong.anchors.find((x) => x.kind === "batch")!;
    expect(batchAnchor.batchId).to.equal(batchIdA);
    expect(check(batchAnchor, "BATCH_INCLUSION")).to.deep.include({ result: "FAILED", subCode: "NOT_IN_BATCH" });
    expect(batchAnchor.indication).to.equal("TOTAL-FAILED");
    const right = await verifyOverHttp({
      evidence: { contentHash: h },
      batch: { batchId: batchIdA, proof: batchA.proof(h) },
    });
    expect(
      check(
        right.anchors.find((x) => x.kind === "batch")!,
        "BATCH_INCLUSION",
      )!.result,
    ).to.equal("PASSED");
  });

  it("a licence question over HTTP: LICENSE_AUTHORIZATION PASSED in a granted territory, FAILED TERRITORY_NOT_GRANTED elsewhere", async function () {
    const a = await anchorFr();
    await relay(a.signed);
    await custody(a.recordId);
    const at = await cp().chainTime();
    const ask = (territory: string) =>
      verifyOverHttp({
        evidence: { contentHash: a.contentHash },
        anchoredBy: 1,
        license: { licenseId: licenceId, right: "BROADCAST", territory, at },
      });
    const granted = check(await ask("FR"), "LICENSE_AUTHORIZATION")!;
    expect(granted).to.deep.include({ result: "PASSED" });
    const refused = check(await ask("US"), "LICENSE_AUTHORIZATION")!;
    expect(refused).to.deep.include({ result: "FAILED", subCode: "TERRITORY_NOT_GRANTED" });
    expect(refused.details).to.include({ reason: "TERRITORY_NOT_GRANTED" });
    // A malformed question is refused before any chain read, as a problem.
    const res = await fetch(`${gw.url}/v1/verifications`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${courtToken}` },
      body: JSON.stringify({
        evidence: { contentHash: a.contentHash },
        license: { licenseId: licenceId, right: "SING", territory: "FR", at },
      }),
    });
    expect(res.status).to.equal(400);
    expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
  });

  it("a member suspended in the block it anchored in: SIGNER_VALID FAILED MEMBER_NOT_ACTIVE (last: FR stays suspended)", async function () {
    // The demo consortium's governors other than the FR agency (member id = place among the founders + 1), with
    // their dev keys, and its quorum: yes votes × denominator ≥ numerator × eligible governors.
    const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
    const keyOf = (address: string) => {
      for (let i = 0; i < 20; i++)
        if (new Wallet(devKey(i)).address === getAddress(address)) return new Wallet(devKey(i));
      throw new Error(`no dev key for ${address}`);
    };
    const governors = config.founders.flatMap((f, i) =>
      f.roles.includes("GOVERNOR") ? [{ memberId: i + 1, key: keyOf(f.key) }] : [],
    );
    const [num, den] = [BigInt(config.quorum.numerator), BigInt(config.quorum.denominator)];
    const reaches = (yes: number) => BigInt(yes) * den >= num * BigInt(governors.length);
    // The DE court proposes suspending the FR agency (its own yes vote); the others vote, the one that makes the
    // quorum in the block that anchors.
    const proposed = await (
      await cp().consortium.submit(
        await cp().consortium.signPropose(de, { kind: "SuspendMember", memberId: 1 }),
        relayer(),
      )
    ).wait();
    const a = await anchorFr();
    let yes = 1;
    for (const g of governors.filter((g) => g.memberId !== 1 && g.memberId !== 2)) {
      const vote = await cp().consortium.signVote(g.key, proposed.proposalId, true);
      if (reaches(yes + 1)) {
        await inOneBlock([
          () => cp().evidence.submit(a.signed, relayer()),
          () => cp().consortium.submit(vote, relayer()),
        ]);
        break;
      }
      await (await cp().consortium.submit(vote, relayer())).wait();
      yes++;
    }
    expect((await cp().consortium.consortium.getMember(1)).status).to.equal(2n); // Suspended
    const report = await verifyOverHttp({ evidence: { contentHash: a.contentHash }, anchoredBy: 1 });
    const c = check(report.anchors[0]!, "SIGNER_VALID")!;
    expect(c).to.deep.include({ result: "FAILED", subCode: "MEMBER_NOT_ACTIVE" });
    expect(c.details).to.include({ memberStatusAtAnchoring: "Suspended" });
    expect(report.indication).to.equal("TOTAL-FAILED");
  });
});
