import { expect } from "chai";
import * as gov from "../helpers/governance";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AssistanceDefaults,
  AssistanceParameters,
  AssistanceStates,
  assistanceRequestId,
  assistanceStateAt,
  cidToBytes,
  computeAssistanceDeadlines,
  encodeProposal,
  isCrossproofError,
  signAssistanceRequest,
  toJurisdiction,
  type AssistanceKindName,
  type Hex,
} from "../../sdk/src";
import { assistanceFixture, hashOf, type AssistanceFixture } from "../helpers/fixtures";

const S = Object.fromEntries(AssistanceStates.map((s, i) => [s, BigInt(i)])) as Record<
  (typeof AssistanceStates)[number],
  bigint
>;
const HOUR = 3600;
const DAY = 24 * HOUR;
/** A real CIDv1 (raw) string for the SDK, which takes CIDs in string form. */
const CID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

let saltCounter = 0;

async function issue(
  f: AssistanceFixture,
  by: HardhatEthersSigner,
  o: {
    addressee?: number;
    kind?: AssistanceKindName;
    emergency?: boolean;
    justificationHash?: string;
    agreementId?: number;
  } = {},
) {
  const signed = await f.client.signIssue(by, {
    addressee: o.addressee ?? 4,
    kind: o.kind ?? "Produce",
    emergency: o.emergency ?? false,
    ...(o.justificationHash === undefined ? {} : { justificationHash: o.justificationHash }),
    caseRef: hashOf("case FR-2026-0042"),
    evidenceIds: [hashOf("evidence 1"), hashOf("evidence 2")],
    contentRefsHash: hashOf("https://streams.example/live/42"),
    dataCategories: ["SUBSCRIBER", "DISSEMINATION_RECORDS"],
    firstUpload: "US",
    primaryDissemination: "FR",
    legalBasisHash: hashOf("art. 7 cooperation agreement"),
    agreementId: o.agreementId ?? 0,
    salt: hashOf(`salt ${++saltCounter}`),
  });
  const member = (await f.consortium.signerInfo(by.address)).memberId;
  const id = assistanceRequestId(member, signed.request.addressee, signed.request.salt);
  return {
    id,
    signed,
    /** Sends the request (on each access). */
    get tx() {
      return f.desk.connect(f.deployer).issue(signed.request, signed.signature);
    },
  };
}

async function respond(
  f: AssistanceFixture,
  by: HardhatEthersSigner,
  id: Hex,
  outcome: "Fulfilled" | "PartiallyFulfilled" | "Refused" = "Fulfilled",
  responseHash: string = hashOf(`response ${id}`),
) {
  const signed = await f.client.signRespond(by, {
    requestId: id,
    outcome,
    ...(outcome === "Refused" ? { refusalGrounds: "DATA_NOT_HELD" as const } : { responseHash, responseCid: CID }),
  });
  return f.desk.respond(signed.request, signed.signature);
}

async function acknowledge(f: AssistanceFixture, by: HardhatEthersSigner, id: Hex) {
  const signed = await f.client.signAcknowledge(by, { requestId: id });
  return f.desk.acknowledge(signed.request, signed.signature);
}

describe("AssistanceDesk", function () {
  describe("lifecycle", function () {
    it("issues, acknowledges and fulfils a request with the 72-hour and 90-day defaults", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, tx } = await issue(f, f.frAgency);
      await expect(tx).to.emit(f.desk, "AssistanceRequested");
      const issuedAt = await time.latest();
      const q = await f.desk.getRequest(id);
      const expected = computeAssistanceDeadlines(issuedAt, false);
      expect([q.requester, q.addressee, q.state]).to.deep.equal([1n, 4n, S.Issued]);
      expect([Number(q.deadline), Number(q.retentionUntil)]).to.deep.equal([
        expected.deadline,
        expected.retentionUntil,
      ]);
      expect(Number(q.deadline) - issuedAt).to.equal(72 * HOUR);
      expect(Number(q.retentionUntil) - issuedAt).to.equal(90 * DAY);
      expect([q.firstUpload, q.primaryDissemination, q.dataCategories]).to.deep.equal([
        toJurisdiction("US"),
        toJurisdiction("FR"),
        9n,
      ]);

      await expect(acknowledge(f, f.usPlatform, id))
        .to.emit(f.desk, "AssistanceAcknowledged")
        .withArgs(id, 4, false);
      await expect(respond(f, f.usPlatform, id))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(id, 4, S.Fulfilled, false, hashOf(`response ${id}`), cidToBytes(CID), 0);
      const done = await f.client.getRequest(id);
      expect(done).to.include({ state: "Fulfilled", stateNow: "Fulfilled", late: false, kind: "Produce" });
      expect(done!.dataCategories).to.deep.equal(["SUBSCRIBER", "DISSEMINATION_RECORDS"]);
      expect(done!.secondsLeft).to.equal(undefined);
    });

    it("accepts a partial answer or a refusal with grounds, without a prior acknowledgement", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issue(f, f.frAgency);
      await a.tx;
      await expect(respond(f, f.usPlatform, a.id, "PartiallyFulfilled")).to.emit(f.desk, "AssistanceAnswered");
      expect((await f.desk.getRequest(a.id)).state).to.equal(S.PartiallyFulfilled);
      const b = await issue(f, f.frAgency);
      await b.tx;
      await expect(respond(f, f.usPlatform, b.id, "Refused"))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(b.id, 4, S.Refused, false, ethers.ZeroHash, "0x", 2);
      expect((await f.client.getRequest(b.id))!.refusalGrounds).to.equal("DATA_NOT_HELD");
    });

    it("lets the requester withdraw an open request, and nobody answer it afterwards", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, tx } = await issue(f, f.frAgency);
      await tx;
      const byOther = await f.client.signWithdraw(f.deCourt, { requestId: id, reasonHash: hashOf("settled") });
      await expect(f.desk.withdraw(byOther.request, byOther.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotRequester")
        .withArgs(id, 2);
      const w = await f.client.signWithdraw(f.frAgency, { requestId: id, reasonHash: hashOf("settled") });
      await expect(f.desk.withdraw(w.request, w.signature))
        .to.emit(f.desk, "AssistanceWithdrawn")
        .withArgs(id, 1, hashOf("settled"));
      await expect(respond(f, f.usPlatform, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(id, S.Withdrawn);
      await expect(acknowledge(f, f.usPlatform, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(id, S.Withdrawn);
      const again = await f.client.signWithdraw(f.frAgency, { requestId: id, reasonHash: hashOf("x") });
      await expect(f.desk.withdraw(again.request, again.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(id, S.Withdrawn);
    });
  });

  describe("refusals", function () {
    it("refuses requesters and addressees with the wrong role or status", async function () {
      const f = await loadFixture(assistanceFixture);
      await expect((await issue(f, f.usPlatform, { addressee: 1 })).tx)
        .to.be.revertedWithCustomError(f.desk, "SignedRequestMissingRole")
        .withArgs(4, 3);
      // The DE court is neither an agency nor a platform; the ES registry neither.
      await expect((await issue(f, f.frAgency, { addressee: 2 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(2);
      await expect((await issue(f, f.frAgency, { addressee: 1 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(1);
      await expect((await issue(f, f.frAgency, { addressee: 99 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(99);
      const p = encodeProposal({ kind: "SuspendMember", memberId: 4 });
      await gov.propose(f, f.frAgency, p.kind, p.payload);
      await gov.vote(f, f.deCourt, await f.consortium.proposalCount(), true);
      await expect((await issue(f, f.frAgency)).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(4);
      await expect((await issue(f, f.spare[0]!)).tx).to.be.revertedWithCustomError(
        f.desk,
        "SignedRequestUnauthorizedSigner",
      );
    });

    it("refuses answers by anyone but the addressee, and extensions by anyone but the requester", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, tx } = await issue(f, f.frAgency);
      await tx;
      await expect(respond(f, f.deCourt, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotAddressee")
        .withArgs(id, 2);
      await expect(acknowledge(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotAddressee")
        .withArgs(id, 1);
      const ext = await f.client.signExtendRetention(f.usPlatform, {
        requestId: id,
        retentionUntil: (await time.latest()) + 200 * DAY,
      });
      await expect(f.desk.extendRetention(ext.request, ext.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotRequester")
        .withArgs(id, 4);
    });

    it("checks outcomes, response hashes, justifications and replays", async function () {
      const f = await loadFixture(assistanceFixture);
      await expect((await issue(f, f.frAgency, { emergency: true })).tx).to.be.revertedWithCustomError(
        f.desk,
        "AssistanceJustificationRequired",
      );
      const a = await issue(f, f.frAgency);
      await a.tx;
      await expect(f.desk.issue(a.signed.request, a.signed.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceAlreadyExists")
        .withArgs(a.id);
      const badOutcome = await f.client.signRespond(f.usPlatform, { requestId: a.id, outcome: "Fulfilled" });
      await expect(f.desk.respond(badOutcome.request, badOutcome.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Fulfilled);
      // An outcome that is not an answer.
      const notAnAnswer = await signAssistanceRequest(f.usPlatform, f.client.domain, "RespondAssistance", {
        requestId: a.id,
        outcome: Number(S.Issued),
        responseHash: hashOf("p"),
        responseCid: cidToBytes(CID),
        refusalGrounds: 0,
        nonce: await f.desk.nonces(f.usPlatform.address),
        deadline: (await time.latest()) + 3600,
      });
      await expect(f.desk.respond(notAnAnswer.request, notAnAnswer.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Issued);
      // A tampered request no longer matches its signature.
      const refusal = await f.client.signRespond(f.usPlatform, {
        requestId: a.id,
        outcome: "Refused",
        refusalGrounds: "OTHER",
      });
      await expect(
        f.desk.respond({ ...refusal.request, refusalGrounds: 1 }, refusal.signature),
      ).to.be.revertedWithCustomError(f.desk, "SignedRequestUnauthorizedSigner");
      const noGrounds = await f.client.signRespond(f.usPlatform, { requestId: a.id, outcome: "Refused" });
      await expect(f.desk.respond(noGrounds.request, noGrounds.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Refused);
      await respond(f, f.usPlatform, a.id, "Fulfilled", hashOf("package"));
      const b = await issue(f, f.frAgency);
      await b.tx;
      await expect(respond(f, f.usPlatform, b.id, "Fulfilled", hashOf("package")))
        .to.be.revertedWithCustomError(f.desk, "AssistanceResponseReused")
        .withArgs(hashOf("package"));
      const ack = await f.client.signAcknowledge(f.usPlatform, { requestId: b.id });
      await f.desk.acknowledge(ack.request, ack.signature);
      await expect(f.desk.acknowledge(ack.request, ack.signature)).to.be.revertedWithCustomError(
        f.desk,
        "InvalidAccountNonce",
      );
      await expect(acknowledge(f, f.usPlatform, b.id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(b.id, S.Acknowledged);
      await expect(acknowledge(f, f.usPlatform, hashOf("nothing")))
        .to.be.revertedWithCustomError(f.desk, "AssistanceUnknown")
        .withArgs(hashOf("nothing"));
    });
  });

  describe("deadlines", function () {
    it("reads overdue after the deadline without anyone calling anything, and records late answers", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issue(f, f.frAgency);
      await a.tx;
      const b = await issue(f, f.frAgency);
      await b.tx;
      const deadline = Number((await f.desk.getRequest(a.id)).deadline);
      expect(await f.desk.stateAt(a.id, deadline)).to.equal(S.Issued);
      expect(await f.desk.stateAt(a.id, deadline + 1)).to.equal(S.Overdue);
      expect(assistanceStateAt({ state: "Issued", deadline }, deadline + 1)).to.equal("Overdue");
      expect(assistanceStateAt({ state: "Fulfilled", deadline }, deadline + 1)).to.equal("Fulfilled");

      // An answer in the very last second is on time (signed earlier, valid for days).
      const onTime = await f.client.signRespond(f.usPlatform, {
        requestId: a.id,
        outcome: "Fulfilled",
        responseHash: hashOf("on time"),
        responseCid: CID,
        validFor: 5 * DAY,
      });
      await time.setNextBlockTimestamp(deadline);
      await expect(f.desk.respond(onTime.request, onTime.signature))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(a.id, 4, S.Fulfilled, false, hashOf("on time"), cidToBytes(CID), 0);
      expect((await f.desk.getRequest(a.id)).late).to.equal(false);

      // One second later it is late, and recorded as such.
      const bDeadline = Number((await f.desk.getRequest(b.id)).deadline);
      await time.increaseTo(bDeadline + 1);
      expect((await f.client.getRequest(b.id))!.stateNow).to.equal("Overdue");
      expect(await f.client.openRequests(4, { filter: "overdue" })).to.deep.equal([b.id]);
      await expect(acknowledge(f, f.usPlatform, b.id))
        .to.emit(f.desk, "AssistanceAcknowledged")
        .withArgs(b.id, 4, true);
      await expect(respond(f, f.usPlatform, b.id, "Refused"))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(b.id, 4, S.Refused, true, ethers.ZeroHash, "0x", 2);
      expect((await f.desk.getRequest(b.id)).late).to.equal(true);
      expect(await f.desk.stateAt(b.id, bDeadline + 100)).to.equal(S.Refused);
    });

    it("gives emergencies a shorter deadline", async function () {
      const f = await loadFixture(assistanceFixture);
      const e = await issue(f, f.frAgency, {
        emergency: true,
        justificationHash: hashOf("live stream of a match now"),
      });
      await e.tx;
      const q = await f.desk.getRequest(e.id);
      expect(Number(q.deadline - q.issuedAt)).to.equal(AssistanceDefaults.emergencyResponseWindow);
      expect(q.emergency).to.equal(true);
    });

    it("applies deadlines changed by governance", async function () {
      const f = await loadFixture(assistanceFixture);
      for (const [name, value] of [
        [AssistanceParameters.responseWindow, 48 * HOUR],
        [AssistanceParameters.retentionPeriod, 180 * DAY],
      ] as const) {
        const p = encodeProposal({ kind: "SetParameter", name, value });
        await gov.propose(f, f.frAgency, p.kind, p.payload);
        await gov.vote(f, f.deCourt, await f.consortium.proposalCount(), true);
      }
      expect(await f.desk.windowsFor(0)).to.deep.equal([48n * 3600n, 8n * 3600n, 180n * 86400n]);
      const a = await issue(f, f.frAgency);
      await a.tx;
      const q = await f.desk.getRequest(a.id);
      expect(Number(q.deadline - q.issuedAt)).to.equal(48 * HOUR);
      expect(Number(q.retentionUntil - q.issuedAt)).to.equal(180 * DAY);
    });

    it("applies the windows of a recognition agreement in force between the two jurisdictions", async function () {
      const f = await loadFixture(assistanceFixture);
      const terms = {
        from: toJurisdiction("FR"),
        to: toJurisdiction("DE"),
        categories: 0b10n,
        minAssurance: 0,
        effectiveFrom: 0,
        expiresAt: 0,
        responseWindow: 24 * HOUR,
        emergencyResponseWindow: 2 * HOUR,
        textHash: hashOf("FR-DE"),
      };
      await gov.proposeAgreement(f, f.frAgency, terms);
      const agreementId = Number(await f.consortium.agreementCount());
      // The DE court asks the FR agency, naming an agreement only one side approved: refused.
      await expect((await issue(f, f.deCourt, { addressee: 1, agreementId })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceAgreementNotInForce")
        .withArgs(agreementId);
      await gov.approveAgreement(f, f.deCourt, agreementId);
      const a = await issue(f, f.deCourt, { addressee: 1, agreementId });
      await a.tx;
      let q = await f.desk.getRequest(a.id);
      expect([Number(q.deadline - q.issuedAt), Number(q.agreementId)]).to.deep.equal([24 * HOUR, agreementId]);
      const e = await issue(f, f.deCourt, {
        addressee: 1,
        agreementId,
        emergency: true,
        justificationHash: hashOf("j"),
      });
      await e.tx;
      q = await f.desk.getRequest(e.id);
      expect(Number(q.deadline - q.issuedAt)).to.equal(2 * HOUR);
      // An agreement between other jurisdictions does not apply.
      await expect((await issue(f, f.frAgency, { addressee: 4, agreementId })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceAgreementNotInForce")
        .withArgs(agreementId);
      // A suspended agreement does not either.
      await gov.setAgreementSuspended(f, f.frAgency, agreementId, true);
      await expect((await issue(f, f.deCourt, { addressee: 1, agreementId })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceAgreementNotInForce")
        .withArgs(agreementId);
    });
  });

  describe("retention", function () {
    it("lets the requester extend retention while it runs, only forwards", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, tx } = await issue(f, f.frAgency, { kind: "Preserve" });
      await tx;
      const q = await f.desk.getRequest(id);
      const later = Number(q.retentionUntil) + 30 * DAY;
      const ext = await f.client.signExtendRetention(f.frAgency, { requestId: id, retentionUntil: later });
      await expect(f.desk.extendRetention(ext.request, ext.signature))
        .to.emit(f.desk, "RetentionExtended")
        .withArgs(id, later);
      const back = await f.client.signExtendRetention(f.frAgency, { requestId: id, retentionUntil: later - 1 });
      await expect(f.desk.extendRetention(back.request, back.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidRetention")
        .withArgs(later - 1);
      await time.increaseTo(later);
      const tooLate = await f.client.signExtendRetention(f.frAgency, { requestId: id, retentionUntil: later + DAY });
      await expect(f.desk.extendRetention(tooLate.request, tooLate.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidRetention")
        .withArgs(later + DAY);
    });
  });

  describe("views", function () {
    it("lists open, overdue and due-soon requests per member", async function () {
      const f = await loadFixture(assistanceFixture);
      const normal = await issue(f, f.frAgency);
      await normal.tx;
      const urgent = await issue(f, f.frAgency, { emergency: true, justificationHash: hashOf("j") });
      await urgent.tx;
      const answered = await issue(f, f.frAgency);
      await answered.tx;
      await respond(f, f.usPlatform, answered.id);
      expect(await f.client.openRequests(4)).to.deep.equal([normal.id, urgent.id]);
      expect(await f.client.openRequests(1, { asAddressee: false })).to.deep.equal([normal.id, urgent.id]);
      expect(await f.client.openRequests(4, { filter: "dueSoon", dueWithin: 12 * HOUR })).to.deep.equal([urgent.id]);
      expect(await f.client.openRequests(4, { filter: "overdue" })).to.deep.equal([]);
      await time.increase(9 * HOUR);
      expect(await f.client.openRequests(4, { filter: "overdue" })).to.deep.equal([urgent.id]);
      expect(await f.client.openRequests(4, { filter: "dueSoon", dueWithin: 12 * HOUR })).to.deep.equal([]);
      expect(await f.desk.openRequests(4, true, 0, await time.latest(), 0, 1, 5)).to.deep.equal([urgent.id]);
      expect(await f.desk.requestCount(4, true)).to.equal(3n);
      // The SDK reports contract refusals with the custom error's name.
      const dup = await f.client.signIssue(f.frAgency, {
        addressee: 2,
        kind: "Produce",
        caseRef: hashOf("c"),
        firstUpload: "US",
        primaryDissemination: "FR",
        legalBasisHash: hashOf("l"),
      });
      await f.client.submit(dup, f.deployer).then(
        () => expect.fail("issued to a court"),
        (err: unknown) => {
          expect(isCrossproofError(err, "CONTRACT_REVERTED")).to.equal(true);
          expect((err as { details: { error: string } }).details.error).to.equal("AssistanceInvalidAddressee");
        },
      );
    });
  });
});
