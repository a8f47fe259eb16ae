import { expect } from "chai";
import * as gov from "../helpers/governance";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AssistanceDefaults,
  AssistanceDeskTypes,
  AssistanceParameters,
  AssistanceStates,
  DefaultAssistanceTerms,
  EmergencyReason,
  EmergencyReasonText,
  applicableAssistanceTerms,
  assistanceRequestId,
  assistanceStateAt,
  cidToBytes,
  computeAssistanceDeadlines,
  encodeProposal,
  isCrossproofError,
  parameterKey,
  signAssistanceRequest,
  signTypedRequest,
  toJurisdiction,
  type AgreementTermsInput,
  type AssistanceKindName,
  type AssistanceParameterName,
  type EmergencyReasonName,
  type Hex,
  type IssueAssistanceRequest,
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
const FR = toJurisdiction("FR");
const US = toJurisdiction("US");

let saltCounter = 0;

/** The FR agency (member 1) asks the US platform (member 4) unless told otherwise. */
async function issue(
  f: AssistanceFixture,
  by: HardhatEthersSigner,
  o: {
    addressee?: number;
    kind?: AssistanceKindName;
    emergency?: { reason: Exclude<EmergencyReasonName, "None">; justificationHash: string };
  } = {},
) {
  const signed = await f.client.signIssue(by, {
    addressee: o.addressee ?? 4,
    kind: o.kind ?? "Produce",
    ...(o.emergency === undefined ? {} : { emergency: o.emergency }),
    caseRef: hashOf("case FR-2026-0042"),
    evidenceIds: [hashOf("evidence 1"), hashOf("evidence 2")],
    contentRefsHash: hashOf("https://streams.example/live/42"),
    dataCategories: ["SUBSCRIBER", "DISSEMINATION_RECORDS"],
    firstUpload: "US",
    primaryDissemination: "FR",
    legalBasisHash: hashOf("art. 7 cooperation agreement"),
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

/** Issues and mines; returns the id and the stored request. */
async function issued(f: AssistanceFixture, by: HardhatEthersSigner, o: Parameters<typeof issue>[2] = {}) {
  const r = await issue(f, by, o);
  await (await r.tx).wait();
  return { id: r.id, q: await f.desk.getRequest(r.id) };
}

/**
 * An issue request signed as an attacker would sign it: any field values, the SDK's checks bypassed (the signature
 * is valid, only the contract stands in the way).
 */
async function rawIssue(f: AssistanceFixture, by: HardhatEthersSigner, fields: Partial<IssueAssistanceRequest>) {
  const request: IssueAssistanceRequest = {
    addressee: 4,
    kind: 1,
    emergencyReason: 0,
    justificationHash: ethers.ZeroHash as Hex,
    caseRef: hashOf("case"),
    evidenceIds: [],
    contentRefsHash: ethers.ZeroHash as Hex,
    dataCategories: 1,
    firstUpload: US,
    primaryDissemination: FR,
    legalBasisHash: hashOf("legal basis"),
    salt: hashOf(`raw salt ${++saltCounter}`),
    deadline: (await time.latest()) + HOUR,
    ...fields,
  };
  const signed = await signAssistanceRequest(by, f.client.domain, "IssueAssistance", request);
  return f.desk.connect(f.deployer).issue(signed.request, signed.signature);
}

/** A response signed as an attacker would sign it (the SDK's checks bypassed). */
async function rawRespond(
  f: AssistanceFixture,
  by: HardhatEthersSigner,
  id: Hex,
  fields: { outcome: bigint; responseHash?: string; responseCid?: string; refusalGrounds?: number },
) {
  const signed = await signAssistanceRequest(by, f.client.domain, "RespondAssistance", {
    requestId: id,
    outcome: Number(fields.outcome),
    responseHash: (fields.responseHash ?? ethers.ZeroHash) as Hex,
    responseCid: (fields.responseCid ?? "0x") as Hex,
    refusalGrounds: fields.refusalGrounds ?? 0,
    nonce: await f.desk.nonces(by.address),
    deadline: (await time.latest()) + HOUR,
  });
  return f.desk.connect(f.deployer).respond(signed.request, signed.signature);
}

async function respond(
  f: AssistanceFixture,
  by: HardhatEthersSigner,
  id: Hex,
  outcome: "Fulfilled" | "PartiallyFulfilled" | "Refused" = "Fulfilled",
  responseHash: string = hashOf(`response ${id}`),
) {
  const signed = await f.client.signRespond(
    by,
    outcome === "Refused"
      ? { requestId: id, outcome, refusalGrounds: "DATA_NOT_HELD" }
      : { requestId: id, outcome, responseHash, responseCid: CID },
  );
  return f.desk.respond(signed.request, signed.signature);
}

async function acknowledge(f: AssistanceFixture, by: HardhatEthersSigner, id: Hex) {
  const signed = await f.client.signAcknowledge(by, { requestId: id });
  return f.desk.acknowledge(signed.request, signed.signature);
}

async function extend(f: AssistanceFixture, by: HardhatEthersSigner, id: Hex, retentionUntil: number) {
  const signed = await f.client.signExtendRetention(by, { requestId: id, retentionUntil });
  return f.desk.extendRetention(signed.request, signed.signature);
}

/** Sets a governance parameter: proposed by the FR governor, passed by the DE governor's vote (quorum 2/3). */
async function setParameter(f: AssistanceFixture, name: AssistanceParameterName, value: bigint | number) {
  const p = encodeProposal({ kind: "SetParameter", name: AssistanceParameters[name], value });
  await gov.propose(f, f.frAgency, p.kind, p.payload);
  await gov.vote(f, f.deCourt, await f.governance.proposalCount(), true);
}

/** Concludes an agreement (one governor of each side) carrying the given assistance windows; returns its id. */
async function agreement(
  f: AssistanceFixture,
  sides: [HardhatEthersSigner, HardhatEthersSigner],
  terms: Partial<AgreementTermsInput> & { from: string; to: string },
): Promise<bigint> {
  return gov.concludeAgreement(f, sides[0], sides[1], {
    categories: [1],
    textHash: hashOf(`${terms.from}-${terms.to} ${++saltCounter}`),
    ...terms,
  });
}

/** The desk's view, and its SDK mirror over what RecognitionAgreements found and the governance parameters. */
async function termsBothWays(f: AssistanceFixture, a: string, b: string) {
  const onChain = await f.client.termsBetween(a, b);
  const [agreementId, responseWindow, emergencyResponseWindow] = await f.agreements.assistanceTerms(
    toJurisdiction(a),
    toJurisdiction(b),
  );
  const parameters = Object.fromEntries(
    await Promise.all(
      (Object.keys(AssistanceParameters) as AssistanceParameterName[]).map(async (n) => [
        n,
        await f.governance.parameter(parameterKey(AssistanceParameters[n])),
      ]),
    ),
  ) as Record<AssistanceParameterName, bigint>;
  const mirror = applicableAssistanceTerms({ agreementId, responseWindow, emergencyResponseWindow }, parameters);
  return { onChain, mirror };
}

describe("AssistanceDesk", function () {
  describe("lifecycle", function () {
    it("issues, acknowledges and fulfils a request with the 72-hour and 90-day defaults", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, tx } = await issue(f, f.frAgency);
      const sent = await tx;
      const issuedAt = (await sent.getBlock())!.timestamp;
      const expected = computeAssistanceDeadlines(issuedAt, "None");
      await expect(sent)
        .to.emit(f.desk, "AssistanceRequested")
        .withArgs(
          id,
          1,
          4,
          1,
          EmergencyReason.None,
          expected.deadline,
          expected.retentionUntil,
          0,
          hashOf("case FR-2026-0042"),
          [hashOf("evidence 1"), hashOf("evidence 2")],
          hashOf("https://streams.example/live/42"),
          9,
          US,
          FR,
          hashOf("art. 7 cooperation agreement"),
          ethers.ZeroHash,
        );
      const q = await f.desk.getRequest(id);
      expect([q.requester, q.addressee, q.state, q.emergencyReason, q.agreementId]).to.deep.equal([
        1n,
        4n,
        S.Issued,
        0n,
        0n,
      ]);
      expect(Number(q.deadline) - issuedAt).to.equal(72 * HOUR);
      expect(Number(q.retentionUntil) - issuedAt).to.equal(90 * DAY);
      expect(expected.maxRetentionUntil - issuedAt).to.equal(365 * DAY);
      expect([q.firstUpload, q.primaryDissemination, q.dataCategories]).to.deep.equal([US, FR, 9n]);

      await expect(acknowledge(f, f.usPlatform, id))
        .to.emit(f.desk, "AssistanceAcknowledged")
        .withArgs(id, 4, false);
      await expect(respond(f, f.usPlatform, id))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(id, 4, S.Fulfilled, false, hashOf(`response ${id}`), cidToBytes(CID), 0);
      const done = await f.client.getRequest(id);
      expect(done).to.include({
        state: "Fulfilled",
        stateNow: "Fulfilled",
        late: false,
        kind: "Produce",
        emergencyReason: "None",
        agreementId: 0,
      });
      expect(done!.dataCategories).to.deep.equal(["SUBSCRIBER", "DISSEMINATION_RECORDS"]);
      expect(done!.secondsLeft).to.equal(undefined);
      expect(await f.client.requestAnsweredWith(4, hashOf(`response ${id}`))).to.equal(id);
    });

    it("accepts a partial answer or a refusal with grounds, without a prior acknowledgement", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issued(f, f.frAgency);
      await expect(respond(f, f.usPlatform, a.id, "PartiallyFulfilled")).to.emit(f.desk, "AssistanceAnswered");
      expect((await f.desk.getRequest(a.id)).state).to.equal(S.PartiallyFulfilled);
      const b = await issued(f, f.frAgency);
      await expect(respond(f, f.usPlatform, b.id, "Refused"))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(b.id, 4, S.Refused, false, ethers.ZeroHash, "0x", 2);
      const refused = await f.client.getRequest(b.id);
      expect(refused).to.include({ refusalGrounds: "DATA_NOT_HELD", responseHash: ethers.ZeroHash });
    });

    it("lets the requester withdraw an open request, and nobody answer it afterwards", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id } = await issued(f, f.frAgency);
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

  describe("who may act", function () {
    it("refuses requesters and addressees with the wrong role or status", async function () {
      const f = await loadFixture(assistanceFixture);
      await expect((await issue(f, f.usPlatform, { addressee: 1 })).tx)
        .to.be.revertedWithCustomError(f.desk, "SignedRequestMissingRole")
        .withArgs(4, 3);
      // The DE court is neither an agency nor a platform; the ES registry neither.
      await expect((await issue(f, f.frAgency, { addressee: 2 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(2);
      await expect((await issue(f, f.frAgency, { addressee: 5 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(5);
      await expect((await issue(f, f.frAgency, { addressee: 1 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(1);
      await expect((await issue(f, f.frAgency, { addressee: 99 })).tx)
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(99);
      const p = encodeProposal({ kind: "SuspendMember", memberId: 4 });
      await gov.propose(f, f.frAgency, p.kind, p.payload);
      await gov.vote(f, f.deCourt, await f.governance.proposalCount(), true);
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
      const { id } = await issued(f, f.frAgency);
      await expect(respond(f, f.deCourt, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotAddressee")
        .withArgs(id, 2);
      await expect(acknowledge(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotAddressee")
        .withArgs(id, 1);
      await expect(extend(f, f.usPlatform, id, (await time.latest()) + 200 * DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotRequester")
        .withArgs(id, 4);
    });

    it("checks request fields, outcomes, replays and tampering", async function () {
      const f = await loadFixture(assistanceFixture);
      for (const bad of [
        { firstUpload: "0x5858" as Hex } /* "XX" */,
        { primaryDissemination: "0x0000" as Hex },
        { dataCategories: 16 },
        { legalBasisHash: ethers.ZeroHash as Hex },
      ]) {
        await expect(rawIssue(f, f.frAgency, bad)).to.be.revertedWithCustomError(f.desk, "AssistanceInvalidRequest");
      }
      const a = await issue(f, f.frAgency);
      await a.tx;
      await expect(f.desk.issue(a.signed.request, a.signed.signature))
        .to.be.revertedWithCustomError(f.desk, "AssistanceAlreadyExists")
        .withArgs(a.id);
      // An answer without its package.
      await expect(rawRespond(f, f.usPlatform, a.id, { outcome: S.Fulfilled }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Fulfilled);
      await expect(rawRespond(f, f.usPlatform, a.id, { outcome: S.Fulfilled, responseHash: hashOf("p") }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Fulfilled);
      // An answer with refusal grounds.
      await expect(
        rawRespond(f, f.usPlatform, a.id, {
          outcome: S.Fulfilled,
          responseHash: hashOf("p"),
          responseCid: cidToBytes(CID),
          refusalGrounds: 1,
        }),
      )
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Fulfilled);
      // An outcome that is not an answer.
      for (const outcome of [S.Issued, S.Overdue, S.Withdrawn]) {
        await expect(
          rawRespond(f, f.usPlatform, a.id, { outcome, responseHash: hashOf("p"), responseCid: cidToBytes(CID) }),
        )
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
          .withArgs(outcome);
      }
      // A refusal without grounds.
      await expect(rawRespond(f, f.usPlatform, a.id, { outcome: S.Refused }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Refused);
      // A tampered request no longer matches its signature.
      const refusal = await f.client.signRespond(f.usPlatform, {
        requestId: a.id,
        outcome: "Refused",
        refusalGrounds: "OTHER",
      });
      await expect(
        f.desk.respond({ ...refusal.request, refusalGrounds: 1 }, refusal.signature),
      ).to.be.revertedWithCustomError(f.desk, "SignedRequestUnauthorizedSigner");
      const ack = await f.client.signAcknowledge(f.usPlatform, { requestId: a.id });
      await f.desk.acknowledge(ack.request, ack.signature);
      await expect(f.desk.acknowledge(ack.request, ack.signature)).to.be.revertedWithCustomError(
        f.desk,
        "InvalidAccountNonce",
      );
      await expect(acknowledge(f, f.usPlatform, a.id))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(a.id, S.Acknowledged);
      await expect(acknowledge(f, f.usPlatform, hashOf("nothing")))
        .to.be.revertedWithCustomError(f.desk, "AssistanceUnknown")
        .withArgs(hashOf("nothing"));
    });

    it("has the SDK refuse malformed answers and emergencies locally, with CrossproofError codes", async function () {
      const f = await loadFixture(assistanceFixture);
      const id = hashOf("any");
      const refuses = async (p: Promise<unknown>, message: RegExp) =>
        p.then(
          () => expect.fail("signed"),
          (err: unknown) => {
            expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true);
            expect((err as Error).message).to.match(message);
          },
        );
      const untyped = (p: object) => p as Parameters<typeof f.client.signRespond>[1];
      await refuses(
        f.client.signRespond(
          f.usPlatform,
          untyped({ requestId: id, outcome: "Refused", refusalGrounds: "OTHER", responseHash: hashOf("x") }),
        ),
        /refusal carries no response hash/,
      );
      await refuses(
        f.client.signRespond(f.usPlatform, untyped({ requestId: id, outcome: "Refused", refusalGrounds: "BORED" })),
        /unknown refusal grounds "BORED"/,
      );
      await refuses(
        f.client.signRespond(f.usPlatform, untyped({ requestId: id, outcome: "Fulfilled", responseCid: CID })),
        /hash and CID/,
      );
      const issue = (emergency: object) =>
        f.client.signIssue(f.frAgency, {
          addressee: 4,
          kind: "Preserve",
          emergency: emergency as { reason: "ImminentThreatToLife"; justificationHash: string },
          caseRef: hashOf("c"),
          firstUpload: "US",
          primaryDissemination: "FR",
          legalBasisHash: hashOf("l"),
        });
      await refuses(issue({ reason: "ImminentThreatToLife", justificationHash: ethers.ZeroHash }), /justification/);
      await refuses(issue({ reason: "None", justificationHash: hashOf("j") }), /emergency reasons/);
      await refuses(issue({ reason: "Urgent", justificationHash: hashOf("j") }), /unknown emergency reason "Urgent"/);
      expect(() => computeAssistanceDeadlines(0, "Soon" as EmergencyReasonName)).to.throw(/unknown emergency reason/);
    });
  });

  describe("the deadline regime is the desk's, not the requester's", function () {
    it("takes no agreement from the requester: a request signed naming one does not verify", async function () {
      const f = await loadFixture(assistanceFixture);
      expect(AssistanceDeskTypes.IssueAssistance.map((t) => t.name)).to.not.include("agreementId");
      // The v1 request type, with the requester's choice of agreement in it.
      const v1Types = {
        IssueAssistance: [
          ...AssistanceDeskTypes.IssueAssistance.slice(0, -2),
          { name: "agreementId", type: "uint32" },
          ...AssistanceDeskTypes.IssueAssistance.slice(-2),
        ],
      };
      const honest = await issue(f, f.frAgency);
      const forged = await signTypedRequest(f.frAgency, f.client.domain, v1Types, "IssueAssistance", {
        ...honest.signed.request,
        agreementId: 7,
      });
      await expect(f.desk.issue(honest.signed.request, forged.signature)).to.be.revertedWithCustomError(
        f.desk,
        "SignedRequestUnauthorizedSigner",
      );
    });

    it("applies the most recently concluded agreement in force, either direction, longer or shorter", async function () {
      const f = await loadFixture(assistanceFixture);
      // The DE court asks the FR agency. A short FR→DE agreement first ...
      const short = await agreement(f, [f.frAgency, f.deCourt], {
        from: "FR",
        to: "DE",
        responseWindow: 24 * HOUR,
        emergencyResponseWindow: 2 * HOUR,
      });
      let r = await issued(f, f.deCourt, { addressee: 1 });
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([24 * HOUR, short]);
      // ... then a longer one the other way round, concluded later: it applies, however the requester likes it.
      const long = await agreement(f, [f.deCourt, f.frAgency], {
        from: "DE",
        to: "FR",
        responseWindow: 96 * HOUR,
        emergencyResponseWindow: 12 * HOUR,
      });
      r = await issued(f, f.deCourt, { addressee: 1 });
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([96 * HOUR, long]);
      const e = await issue(f, f.deCourt, {
        addressee: 1,
        emergency: { reason: "ImminentThreatToLife", justificationHash: hashOf("j") },
      });
      const sent = await e.tx;
      const at = (await sent.getBlock())!.timestamp;
      await expect(sent)
        .to.emit(f.desk, "AssistanceRequested")
        .withArgs(
          e.id,
          2,
          1,
          1,
          EmergencyReason.ImminentThreatToLife,
          at + 12 * HOUR,
          at + 90 * DAY,
          long,
          hashOf("case FR-2026-0042"),
          [hashOf("evidence 1"), hashOf("evidence 2")],
          hashOf("https://streams.example/live/42"),
          9,
          US,
          FR,
          hashOf("art. 7 cooperation agreement"),
          hashOf("j"),
        );
      const eq = await f.desk.getRequest(e.id);
      expect([Number(eq.deadline - eq.issuedAt), eq.agreementId]).to.deep.equal([12 * HOUR, long]);
      // And a newer, shorter one in the first direction again takes over.
      const shortest = await agreement(f, [f.frAgency, f.deCourt], {
        from: "FR",
        to: "DE",
        responseWindow: 12 * HOUR,
      });
      r = await issued(f, f.deCourt, { addressee: 1 });
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([12 * HOUR, shortest]);
      expect((await f.client.getRequest(r.id))!.agreementId).to.equal(Number(shortest));
      expect(await f.client.termsBetween("DE", "FR")).to.deep.equal({
        agreementId: Number(shortest),
        responseWindow: 12 * HOUR,
        // The newest agreement sets no emergency window: the governance default, not the older agreement's.
        emergencyResponseWindow: AssistanceDefaults.emergencyResponseWindow,
        retentionPeriod: AssistanceDefaults.retentionPeriod,
        maxRetentionPeriod: AssistanceDefaults.maxRetentionPeriod,
      });
    });

    it("never applies an agreement between other jurisdictions", async function () {
      const f = await loadFixture(assistanceFixture);
      // FR–NL and DE–NL agreements with one-hour windows, and an FR–DE one.
      await agreement(f, [f.frAgency, f.nlOperator], { from: "FR", to: "NL", responseWindow: HOUR });
      await agreement(f, [f.nlOperator, f.deCourt], { from: "NL", to: "DE", responseWindow: HOUR });
      const frDe = await agreement(f, [f.frAgency, f.deCourt], { from: "FR", to: "DE", responseWindow: 48 * HOUR });
      // FR agency → US platform: no agreement between FR and US, whatever FR concluded with others.
      let r = await issued(f, f.frAgency);
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([72 * HOUR, 0n]);
      // DE court → US platform: neither.
      r = await issued(f, f.deCourt);
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([72 * HOUR, 0n]);
      // DE court → FR agency: the FR–DE agreement only, never the NL ones (concluded earlier or not).
      r = await issued(f, f.deCourt, { addressee: 1 });
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([48 * HOUR, frDe]);
      await agreement(f, [f.nlOperator, f.frAgency], { from: "NL", to: "FR", responseWindow: HOUR });
      r = await issued(f, f.deCourt, { addressee: 1 });
      expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([48 * HOUR, frDe]);
      expect((await f.desk.termsBetween(FR, US)).agreementId).to.equal(0n);
    });

    it("skips agreements suspended, expired, not yet effective or without windows", async function () {
      const f = await loadFixture(assistanceFixture);
      const t0 = await time.latest();
      const a = await agreement(f, [f.frAgency, f.deCourt], {
        from: "FR",
        to: "DE",
        responseWindow: 24 * HOUR,
        expiresAt: t0 + 30 * DAY,
      });
      const b = await agreement(f, [f.deCourt, f.frAgency], {
        from: "DE",
        to: "FR",
        responseWindow: 36 * HOUR,
        effectiveFrom: t0 + DAY,
      });
      // Concluded last, but it carries no assistance windows.
      await agreement(f, [f.frAgency, f.deCourt], { from: "FR", to: "DE" });
      const windowNow = async () => {
        const r = await issued(f, f.deCourt, { addressee: 1 });
        const { onChain, mirror } = await termsBothWays(f, "DE", "FR");
        expect(onChain).to.deep.equal(mirror);
        expect([Number(r.q.deadline - r.q.issuedAt), r.q.agreementId]).to.deep.equal([
          onChain.responseWindow,
          BigInt(onChain.agreementId),
        ]);
        return [onChain.responseWindow, r.q.agreementId];
      };
      // b is not yet effective.
      expect(await windowNow()).to.deep.equal([24 * HOUR, a]);
      await time.increaseTo(t0 + DAY);
      expect(await windowNow()).to.deep.equal([36 * HOUR, b]);
      await gov.setAgreementSuspended(f, f.frAgency, b, true);
      expect(await windowNow()).to.deep.equal([24 * HOUR, a]);
      // a has expired, b is still suspended: governance defaults.
      await time.increaseTo(t0 + 30 * DAY);
      expect(await windowNow()).to.deep.equal([72 * HOUR, 0n]);
      await gov.setAgreementSuspended(f, f.frAgency, b, false);
      expect(await windowNow()).to.deep.equal([36 * HOUR, b]);
    });

    it("fills an agreement's zero window from governance, and the SDK mirror agrees with the desk", async function () {
      const f = await loadFixture(assistanceFixture);
      const check = async (a: string, b: string) => {
        const { onChain, mirror } = await termsBothWays(f, a, b);
        expect(onChain).to.deep.equal(mirror);
        return onChain;
      };
      expect(await check("FR", "US")).to.deep.equal(DefaultAssistanceTerms);
      await setParameter(f, "emergencyResponseWindow", 6 * HOUR);
      await setParameter(f, "responseWindow", 2n ** 40n); // beyond uint32: the default
      const id = await agreement(f, [f.frAgency, f.deCourt], { from: "FR", to: "DE", responseWindow: 30 * HOUR });
      expect(await check("DE", "FR")).to.deep.equal({
        agreementId: Number(id),
        responseWindow: 30 * HOUR,
        emergencyResponseWindow: 6 * HOUR,
        retentionPeriod: AssistanceDefaults.retentionPeriod,
        maxRetentionPeriod: AssistanceDefaults.maxRetentionPeriod,
      });
      expect(await check("FR", "US")).to.include({ responseWindow: 72 * HOUR, emergencyResponseWindow: 6 * HOUR });
      // A maximum below the retention period caps the retention itself.
      await setParameter(f, "maxRetentionPeriod", 30 * DAY);
      expect(await check("FR", "US")).to.include({ retentionPeriod: 30 * DAY, maxRetentionPeriod: 30 * DAY });
      const e = await issued(f, f.deCourt, {
        addressee: 1,
        emergency: { reason: "CriticalInfrastructure", justificationHash: hashOf("grid") },
      });
      const expected = computeAssistanceDeadlines(
        Number(e.q.issuedAt),
        "CriticalInfrastructure",
        await check("DE", "FR"),
      );
      expect([Number(e.q.deadline), Number(e.q.retentionUntil)]).to.deep.equal([
        expected.deadline,
        expected.retentionUntil,
      ]);
      expect(expected.deadline - Number(e.q.issuedAt)).to.equal(6 * HOUR);
    });

    it("reads the governance parameters the SDK names, with the same defaults", async function () {
      const f = await loadFixture(assistanceFixture);
      expect(
        await Promise.all([
          f.desk.RESPONSE_WINDOW_KEY(),
          f.desk.EMERGENCY_RESPONSE_WINDOW_KEY(),
          f.desk.RETENTION_PERIOD_KEY(),
          f.desk.MAX_RETENTION_PERIOD_KEY(),
          f.desk.MAX_RELAY_DELAY_KEY(),
          f.desk.DEFAULT_PROFILE_KEY(),
        ]),
      ).to.deep.equal(Object.values(AssistanceParameters).map(parameterKey));
      expect(
        await Promise.all([
          f.desk.DEFAULT_RESPONSE_WINDOW(),
          f.desk.DEFAULT_EMERGENCY_RESPONSE_WINDOW(),
          f.desk.DEFAULT_RETENTION_PERIOD(),
          f.desk.DEFAULT_MAX_RETENTION_PERIOD(),
          f.desk.DEFAULT_MAX_RELAY_DELAY(),
          f.desk.DEFAULT_PROFILE(),
        ]),
      ).to.deep.equal(Object.values(AssistanceDefaults).map(BigInt));
    });

    it("applies deadlines changed by governance", async function () {
      const f = await loadFixture(assistanceFixture);
      await setParameter(f, "responseWindow", 48 * HOUR);
      await setParameter(f, "retentionPeriod", 180 * DAY);
      expect(await f.desk.termsBetween(FR, US)).to.deep.equal([
        0n,
        48n * 3600n,
        8n * 3600n,
        180n * 86400n,
        365n * 86400n,
      ]);
      const { q } = await issued(f, f.frAgency);
      expect(Number(q.deadline - q.issuedAt)).to.equal(48 * HOUR);
      expect(Number(q.retentionUntil - q.issuedAt)).to.equal(180 * DAY);
    });
  });

  describe("emergencies", function () {
    it("opens the 8-hour window only with a reason from the list, stored and emitted as such", async function () {
      const f = await loadFixture(assistanceFixture);
      for (const reason of [
        "ImminentThreatToLife",
        "ImminentThreatToPhysicalIntegrityOrSafety",
        "CriticalInfrastructure",
      ] as const) {
        const e = await issue(f, f.frAgency, { emergency: { reason, justificationHash: hashOf(reason) } });
        const sent = await e.tx;
        const at = (await sent.getBlock())!.timestamp;
        await expect(sent)
          .to.emit(f.desk, "AssistanceRequested")
          .withArgs(
            e.id,
            1,
            4,
            1,
            EmergencyReason[reason],
            at + 8 * HOUR,
            at + 90 * DAY,
            0,
            hashOf("case FR-2026-0042"),
            [hashOf("evidence 1"), hashOf("evidence 2")],
            hashOf("https://streams.example/live/42"),
            9,
            US,
            FR,
            hashOf("art. 7 cooperation agreement"),
            hashOf(reason),
          );
        const q = await f.desk.getRequest(e.id);
        expect([q.emergencyReason, q.deadline - q.issuedAt]).to.deep.equal([
          BigInt(EmergencyReason[reason]),
          BigInt(AssistanceDefaults.emergencyResponseWindow),
        ]);
        const view = await f.client.getRequest(e.id);
        expect(view!.emergencyReason).to.equal(reason);
        expect(EmergencyReasonText[view!.emergencyReason]).to.match(/^an imminent threat to /);
      }
    });

    it("refuses a reason code off the list with a named error", async function () {
      const f = await loadFixture(assistanceFixture);
      for (const code of [4, 5, 255]) {
        await expect(rawIssue(f, f.frAgency, { emergencyReason: code, justificationHash: hashOf("j") }))
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidEmergencyReason")
          .withArgs(code);
      }
    });

    it("refuses an emergency without a justification", async function () {
      const f = await loadFixture(assistanceFixture);
      await expect(rawIssue(f, f.frAgency, { emergencyReason: 1 })).to.be.revertedWithCustomError(
        f.desk,
        "AssistanceJustificationRequired",
      );
    });
  });

  describe("responses", function () {
    it("refuses a refusal that carries a response hash or CID: a refusal cannot reserve a hash", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issued(f, f.frAgency);
      const b = await issued(f, f.frAgency);
      const reserved = hashOf("package the platform will produce later");
      await expect(rawRespond(f, f.usPlatform, a.id, { outcome: S.Refused, refusalGrounds: 2, responseHash: reserved }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Refused);
      await expect(
        rawRespond(f, f.usPlatform, a.id, { outcome: S.Refused, refusalGrounds: 2, responseCid: cidToBytes(CID) }),
      )
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
        .withArgs(S.Refused);
      await expect(rawRespond(f, f.usPlatform, a.id, { outcome: S.Refused, refusalGrounds: 2 }))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(a.id, 4, S.Refused, false, ethers.ZeroHash, "0x", 2);
      expect((await f.desk.getRequest(a.id)).responseHash).to.equal(ethers.ZeroHash);
      // Nothing was reserved: the hash still answers another request.
      expect(await f.desk.requestAnsweredWith(4, reserved)).to.equal(ethers.ZeroHash);
      await expect(respond(f, f.usPlatform, b.id, "Fulfilled", reserved)).to.emit(f.desk, "AssistanceAnswered");
    });

    it("lets another addressee answer with a hash someone else used: no cross-member squatting", async function () {
      const f = await loadFixture(assistanceFixture);
      // The FR agency asks the US platform; the DE court asks the FR agency.
      const toUs = await issued(f, f.frAgency);
      const toFr = await issued(f, f.deCourt, { addressee: 1 });
      const h = hashOf("subscriber record of uploader-77");
      // The FR agency, as addressee, answers first with the hash the US platform is going to use ...
      await respond(f, f.frAgency, toFr.id, "Fulfilled", h);
      // ... which blocks nobody else.
      await expect(respond(f, f.usPlatform, toUs.id, "Fulfilled", h))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(toUs.id, 4, S.Fulfilled, false, h, cidToBytes(CID), 0);
      expect(await f.desk.requestAnsweredWith(1, h)).to.equal(toFr.id);
      expect(await f.desk.requestAnsweredWith(4, h)).to.equal(toUs.id);
    });

    it("refuses an addressee reusing its own response hash", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issued(f, f.frAgency);
      const b = await issued(f, f.frAgency);
      const h = hashOf("package");
      await respond(f, f.usPlatform, a.id, "Fulfilled", h);
      await expect(respond(f, f.usPlatform, b.id, "PartiallyFulfilled", h))
        .to.be.revertedWithCustomError(f.desk, "AssistanceResponseReused")
        .withArgs(4, h);
      expect((await f.desk.getRequest(b.id)).state).to.equal(S.Issued);
    });
  });

  describe("deadlines", function () {
    it("reads overdue after the deadline without anyone calling anything, and records late answers", async function () {
      const f = await loadFixture(assistanceFixture);
      const a = await issued(f, f.frAgency);
      const b = await issued(f, f.frAgency);
      const deadline = Number(a.q.deadline);
      expect(await f.desk.stateAt(a.id, deadline)).to.equal(S.Issued);
      expect(await f.desk.stateAt(a.id, deadline + 1)).to.equal(S.Overdue);
      expect(assistanceStateAt({ state: "Issued", deadline }, deadline + 1)).to.equal("Overdue");
      expect(assistanceStateAt({ state: "Acknowledged", deadline }, deadline)).to.equal("Acknowledged");
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
      const bDeadline = Number(b.q.deadline);
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
  });

  describe("retention", function () {
    it("lets the requester extend retention while it runs, only forwards", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, q } = await issued(f, f.frAgency, { kind: "Preserve" });
      const later = Number(q.retentionUntil) + 30 * DAY;
      await expect(extend(f, f.frAgency, id, later))
        .to.emit(f.desk, "RetentionExtended")
        .withArgs(id, later);
      await expect(extend(f, f.frAgency, id, later - 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidRetention")
        .withArgs(later - 1);
      // Also after the request was fulfilled: preserved data is still to be kept.
      await respond(f, f.usPlatform, id);
      await expect(extend(f, f.frAgency, id, later + DAY)).to.emit(f.desk, "RetentionExtended");
      await time.increaseTo(later + DAY);
      await expect(extend(f, f.frAgency, id, later + 2 * DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidRetention")
        .withArgs(later + 2 * DAY);
    });

    it("refuses extensions beyond the maximum from issue: 365 days by default, then as governance sets it", async function () {
      const f = await loadFixture(assistanceFixture);
      const { id, q } = await issued(f, f.frAgency, { kind: "Preserve" });
      const max = computeAssistanceDeadlines(Number(q.issuedAt), "None").maxRetentionUntil;
      expect(max - Number(q.issuedAt)).to.equal(365 * DAY);
      // One extension far beyond, or many small ones: the bound is from issue, not from the current end.
      await expect(extend(f, f.frAgency, id, max + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceRetentionBeyondMaximum")
        .withArgs(max + 1, max);
      await extend(f, f.frAgency, id, max - DAY);
      await expect(extend(f, f.frAgency, id, max + DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceRetentionBeyondMaximum")
        .withArgs(max + DAY, max);
      await expect(extend(f, f.frAgency, id, max))
        .to.emit(f.desk, "RetentionExtended")
        .withArgs(id, max);
      // Governance raises the bound: extensions may go further.
      await setParameter(f, "maxRetentionPeriod", 400 * DAY);
      const raised = Number(q.issuedAt) + 400 * DAY;
      await expect(extend(f, f.frAgency, id, raised))
        .to.emit(f.desk, "RetentionExtended")
        .withArgs(id, raised);
      await expect(extend(f, f.frAgency, id, raised + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceRetentionBeyondMaximum")
        .withArgs(raised + 1, raised);
    });

    it("refuses extensions after a refusal or a withdrawal", async function () {
      const f = await loadFixture(assistanceFixture);
      const refused = await issued(f, f.frAgency, { kind: "Preserve" });
      await respond(f, f.usPlatform, refused.id, "Refused");
      await expect(extend(f, f.frAgency, refused.id, Number(refused.q.retentionUntil) + DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(refused.id, S.Refused);
      const withdrawn = await issued(f, f.frAgency, { kind: "Preserve" });
      const w = await f.client.signWithdraw(f.frAgency, { requestId: withdrawn.id, reasonHash: hashOf("settled") });
      await f.desk.withdraw(w.request, w.signature);
      await expect(extend(f, f.frAgency, withdrawn.id, Number(withdrawn.q.retentionUntil) + DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(withdrawn.id, S.Withdrawn);
      for (const r of [refused, withdrawn]) {
        expect((await f.desk.getRequest(r.id)).retentionUntil).to.equal(r.q.retentionUntil);
      }
    });
  });

  describe("views", function () {
    it("lists open, overdue and due-soon requests per member, page by page", async function () {
      const f = await loadFixture(assistanceFixture);
      const normal = await issued(f, f.frAgency);
      const urgent = await issued(f, f.frAgency, {
        emergency: { reason: "ImminentThreatToPhysicalIntegrityOrSafety", justificationHash: hashOf("j") },
      });
      const answered = await issued(f, f.frAgency);
      await respond(f, f.usPlatform, answered.id);
      expect(await f.client.openRequests(4)).to.deep.equal([normal.id, urgent.id]);
      expect(await f.client.openRequests(1, { asAddressee: false })).to.deep.equal([normal.id, urgent.id]);
      expect(await f.client.openRequests(4, { filter: "dueSoon", dueWithin: 12 * HOUR })).to.deep.equal([urgent.id]);
      expect(await f.client.openRequests(4, { filter: "overdue" })).to.deep.equal([]);
      await time.increase(9 * HOUR);
      expect(await f.client.openRequests(4, { filter: "overdue" })).to.deep.equal([urgent.id]);
      expect(await f.client.openRequests(4, { filter: "dueSoon", dueWithin: 12 * HOUR })).to.deep.equal([]);
      const now = await time.latest();
      expect(await f.desk.openRequests(4, true, 0, now, 0, 1, 5)).to.deep.equal([urgent.id]);
      expect(await f.desk.openRequests(4, true, 0, now, 0, 0, 1)).to.deep.equal([normal.id]);
      expect(await f.desk.openRequests(4, true, 0, now, 0, 2, 5)).to.deep.equal([]);
      expect(await f.desk.openRequests(4, true, 0, now, 0, 7, 5)).to.deep.equal([]);
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
