import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import * as gov from "../helpers/governance";
import {
  AssistanceDefaults,
  AssistanceDeskTypes,
  AssistanceParameters,
  AssistanceProfileId,
  AssistanceStates,
  BuiltInAssistanceProfiles,
  ImpossibilityReason,
  OrderDefect,
  ReviewGround,
  acceptsSignedTime,
  assistanceProfile,
  assistanceStateAt,
  cidToBytes,
  computeComplianceFigures,
  computeOrderDeadlines,
  deadlineAfterClarification,
  encodeProposal,
  impossibilityReasons,
  isValidAssistanceProfile,
  mayProduceAt,
  parameterKey,
  resolveAssistanceTerms,
  signAssistanceRequest,
  toJurisdiction,
  validationRule,
  type AssistanceOrderInput,
  type AssistanceParameterName,
  type ConsortiumClient,
  type DataCategoryName,
  type Hex,
  type ImpossibilityReasonName,
  type IssueAssistanceOrderRequest,
  type ReviewGroundName,
} from "../../sdk/src";
import { assistanceFixture, hashOf, type AssistanceFixture } from "../helpers/fixtures";

const S = Object.fromEntries(AssistanceStates.map((s, i) => [s, BigInt(i)])) as Record<
  (typeof AssistanceStates)[number],
  bigint
>;
const HOUR = 3600;
const DAY = 24 * HOUR;
const CID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";
/** Signed requests in these tests stay valid while the chain's clock is moved by weeks. */
const LONG = 400 * DAY;

/** Members: FR agency 1, DE court 2, NL operator 3, US platform 4, ES registry 5, DE platform 6. */
const DE_PLATFORM = 6;

interface OrdersFixture extends AssistanceFixture {
  dePlatform: HardhatEthersSigner;
  consortiumClient: ConsortiumClient;
  /** The FR–DE agreement under the Regulation (EU) 2023/1543 profile. */
  euAgreement: bigint;
}

/** The assistance fixture, a DE platform (member 6), and an FR–DE agreement under the e-Evidence profile. */
async function ordersFixture(): Promise<OrdersFixture> {
  const f = await assistanceFixture();
  const dePlatform = f.spare[0]!;
  await gov.pass(
    f,
    { kind: "AdmitMember", jurisdiction: "DE", roles: ["PLATFORM"], name: "DE platform", key: dePlatform.address },
    [f.frAgency, f.deCourt],
  );
  const consortiumClient = await gov.client(f);
  const proposed = await consortiumClient.signProposeAgreementWithAssistance(
    f.frAgency,
    { from: "FR", to: "DE", categories: [1], textHash: hashOf("FR-DE e-evidence arrangement") },
    { profile: "EuEvidence" },
  );
  const { agreementId } = await (await consortiumClient.submit(proposed, f.deployer)).wait();
  await (await gov.approveAgreement(f, f.deCourt, agreementId)).wait();
  return { ...f, dePlatform, consortiumClient, euAgreement: agreementId };
}

let salt = 0;

/** The order fields (a judge's order, subscriber data of one account, the month before now). */
function orderFields(now: number, o: Partial<AssistanceOrderInput> = {}): AssistanceOrderInput {
  return {
    issuingAuthority: { type: "Judge", hash: hashOf("juge d'instruction, tribunal judiciaire de Paris") },
    offence: { hash: hashOf("art. 323-1 code pénal: accès frauduleux"), category: 9 },
    dataPeriod: { from: now - 30 * DAY, until: now - DAY },
    targets: [hashOf("account uploader-77")],
    language: "fr",
    orderDocument: { hash: hashOf("EPOC, Annex I"), cid: CID },
    ...o,
  };
}

interface OrderOptions {
  by?: HardhatEthersSigner;
  addressee?: number;
  kind?: "Preserve" | "Produce" | "Takedown";
  categories?: DataCategoryName[];
  emergency?: boolean;
  order?: Partial<AssistanceOrderInput>;
  /** Block time of the issue (default: the next block). */
  at?: number;
}

async function signOrder(f: OrdersFixture, o: OrderOptions = {}) {
  const now = await time.latest();
  return f.client.signIssueOrder(o.by ?? f.frAgency, {
    addressee: o.addressee ?? DE_PLATFORM,
    kind: o.kind ?? "Produce",
    ...(o.emergency ? { emergency: { reason: "ImminentThreatToLife", justificationHash: hashOf("hostage") } } : {}),
    caseRef: hashOf("case FR-2026-0042"),
    dataCategories: o.categories ?? ["SUBSCRIBER"],
    firstUpload: "DE",
    primaryDissemination: "FR",
    legalBasisHash: hashOf("Regulation (EU) 2023/1543, Art. 5"),
    salt: hashOf(`order ${++salt}`),
    validFor: LONG,
    order: orderFields(now, o.order),
  });
}

/** Sends a signed order (the contract takes the request and the order apart). */
function sendOrder(f: OrdersFixture, signed: { request: IssueAssistanceOrderRequest; signature: Hex }) {
  const { order, ...request } = signed.request;
  return f.desk.connect(f.deployer).issueOrder(request, order, signed.signature);
}

/** Issues an order (at `o.at`) and returns its id, the stored request and the order record. */
async function issuedOrder(f: OrdersFixture, o: OrderOptions = {}) {
  const signed = await signOrder(f, o);
  if (o.at !== undefined) await time.setNextBlockTimestamp(o.at);
  const { requestId, notification } = await (await f.client.submit(signed, f.deployer)).wait();
  return { id: requestId, q: await f.desk.getRequest(requestId), o: await f.desk.getOrder(requestId), notification };
}

/** A legacy request (no order fields) from the FR agency. */
async function issuedRequest(f: OrdersFixture, addressee: number, o: { at?: number; emergency?: boolean } = {}) {
  const signed = await f.client.signIssue(f.frAgency, {
    addressee,
    kind: "Preserve",
    ...(o.emergency ? { emergency: { reason: "CriticalInfrastructure", justificationHash: hashOf("grid") } } : {}),
    caseRef: hashOf("case"),
    firstUpload: "DE",
    primaryDissemination: "FR",
    legalBasisHash: hashOf("legal basis"),
    salt: hashOf(`request ${++salt}`),
    validFor: LONG,
  });
  if (o.at !== undefined) await time.setNextBlockTimestamp(o.at);
  const { requestId } = await (await f.client.submit(signed, f.deployer)).wait();
  return { id: requestId, q: await f.desk.getRequest(requestId) };
}

/** An answer signed at `signedAt` and recorded at block time `at` (default: `signedAt`). */
async function answerAt(
  f: OrdersFixture,
  by: HardhatEthersSigner,
  id: Hex,
  signedAt: number,
  o: {
    at?: number;
    outcome?: "Fulfilled" | "PartiallyFulfilled" | "Refused";
    owed?: { categories: DataCategoryName[]; hash: string };
  } = {},
) {
  const outcome = o.outcome ?? "Fulfilled";
  const signed = await f.client.signAnswer(
    by,
    outcome === "Refused"
      ? { requestId: id, outcome, refusalGrounds: "DATA_NOT_HELD", signedAt, validFor: LONG }
      : {
          requestId: id,
          outcome,
          responseHash: hashOf(`response ${id} ${signedAt}`),
          responseCid: CID,
          signedAt,
          validFor: LONG,
          ...(o.owed === undefined ? {} : { owed: o.owed }),
        },
  );
  await time.setNextBlockTimestamp(o.at ?? signedAt);
  return f.desk.answer(signed.request, signed.signature);
}

async function reviewAt(
  f: OrdersFixture,
  by: HardhatEthersSigner,
  id: Hex,
  ground: ReviewGroundName,
  signedAt: number,
  at: number = signedAt,
) {
  const signed = await f.client.signReview(by, {
    requestId: id,
    ground,
    ...(ground === "None" ? {} : { reasonsHash: hashOf(`reasons ${ground}`) }),
    signedAt,
    validFor: LONG,
  });
  await time.setNextBlockTimestamp(at);
  return f.desk.review(signed.request, signed.signature);
}

async function askClarification(f: OrdersFixture, by: HardhatEthersSigner, id: Hex, signedAt: number, reason = 3) {
  const signed = await signAssistanceRequest(by, f.client.domain, "RequestClarification", {
    requestId: id,
    reason,
    questionHash: hashOf("which account?"),
    signedAt,
    nonce: await f.desk.nonces(by.address),
    deadline: signedAt + LONG,
  });
  await time.setNextBlockTimestamp(signedAt);
  return f.desk.requestClarification(signed.request, signed.signature);
}

async function clarify(f: OrdersFixture, by: HardhatEthersSigner, id: Hex, at: number) {
  const signed = await f.client.signProvideClarification(by, {
    requestId: id,
    answerHash: hashOf("the account is uploader-77"),
    answerCid: CID,
    validFor: LONG,
  });
  await time.setNextBlockTimestamp(at);
  return f.desk.provideClarification(signed.request, signed.signature);
}

async function reportAt(
  f: OrdersFixture,
  by: HardhatEthersSigner,
  id: Hex,
  reasons: ImpossibilityReasonName[],
  signedAt: number,
) {
  const signed = await f.client.signReportImpossibility(by, {
    requestId: id,
    reasons,
    detailsHash: hashOf("explanation"),
    signedAt,
    validFor: LONG,
  });
  await time.setNextBlockTimestamp(signedAt);
  return f.desk.reportImpossibility(signed.request, signed.signature);
}

async function setParameter(f: OrdersFixture, name: AssistanceParameterName, value: bigint | number) {
  await gov.pass(f, { kind: "SetParameter", name: AssistanceParameters[name], value }, [f.frAgency, f.deCourt]);
}

/** A consortium profile: 30 days to answer, 2 days in emergencies, 30 days' retention plus 15, no notification. */
const CONSORTIUM_PROFILE = assistanceProfile({
  text: "consortium profile: cross-border platform requests",
  responseWindow: 30 * DAY,
  emergencyResponseWindow: 2 * DAY,
  retentionPeriod: 30 * DAY,
  retentionExtension: 15 * DAY,
  clarificationPausesDeadline: false,
});

async function defineConsortiumProfile(f: OrdersFixture): Promise<number> {
  await gov.pass(f, { kind: "DefineAssistanceProfile", profile: CONSORTIUM_PROFILE }, [f.frAgency, f.deCourt]);
  return Number(await f.agreements.assistanceProfileCount());
}

/** The desk's profile terms and their SDK mirror (what RecognitionAgreements found, governance parameters). */
async function termsBothWays(f: OrdersFixture, a: string, b: string) {
  const onChain = await f.client.profileTermsBetween(a, b);
  const defaultProfile = await f.governance.parameter(parameterKey(AssistanceParameters.defaultProfile));
  const found = await f.agreements.assistanceTermsOf(toJurisdiction(a), toJurisdiction(b), defaultProfile);
  const parameters = Object.fromEntries(
    await Promise.all(
      (Object.keys(AssistanceParameters) as AssistanceParameterName[]).map(async (n) => [
        n,
        await f.governance.parameter(parameterKey(AssistanceParameters[n])),
      ]),
    ),
  ) as Record<AssistanceParameterName, bigint>;
  const profile = (await f.client.assistanceProfile(Number(found.profileId)))!;
  const mirror = resolveAssistanceTerms(
    {
      agreementId: found.agreementId,
      responseWindow: found.responseWindow,
      emergencyResponseWindow: found.emergencyResponseWindow,
      retentionPeriod: found.retentionPeriod,
      profileId: found.profileId,
      profile,
    },
    parameters,
  );
  return { onChain, mirror };
}

describe("AssistanceDesk orders under deadline profiles", function () {
  describe("deadline profiles as data", function () {
    it("has the seed policy and Regulation (EU) 2023/1543 built in, as the SDK describes them", async function () {
      const f = await loadFixture(ordersFixture);
      expect(await f.agreements.assistanceProfileCount()).to.equal(2n);
      expect(await f.agreements.SEED_PROFILE()).to.equal(BigInt(AssistanceProfileId.SeedPolicy));
      expect(await f.agreements.EU_EVIDENCE_PROFILE()).to.equal(BigInt(AssistanceProfileId.EuEvidence));
      expect(await f.client.assistanceProfile(1)).to.deep.equal(BuiltInAssistanceProfiles.SeedPolicy);
      expect(await f.client.assistanceProfile(2)).to.deep.equal(BuiltInAssistanceProfiles.EuEvidence);
      expect(await f.client.assistanceProfile(3)).to.equal(undefined);
      const defined = await f.agreements.queryFilter(f.agreements.filters.AssistanceProfileDefined());
      expect(defined.map((e) => Number(e.args.profileId))).to.deep.equal([1, 2]);
      // The e-Evidence numbers: 10 days / 8 hours, 60 days + 30, review in 10 days / 96 hours.
      const eu = BuiltInAssistanceProfiles.EuEvidence;
      expect([eu.responseWindow, eu.emergencyResponseWindow, eu.retentionPeriod, eu.retentionExtension]).to.deep.equal([
        10 * DAY,
        8 * HOUR,
        60 * DAY,
        30 * DAY,
      ]);
      expect([eu.reviewWindow, eu.emergencyReviewWindow]).to.deep.equal([10 * DAY, 96 * HOUR]);
    });

    it("lets governance define a consortium profile, checked before anyone votes; nobody else", async function () {
      const f = await loadFixture(ordersFixture);
      // A review window without sensitive kinds and categories cannot execute: refused when proposed.
      const bad = { ...CONSORTIUM_PROFILE, reviewWindow: DAY, emergencyReviewWindow: HOUR };
      expect(isValidAssistanceProfile(bad)).to.equal(false);
      expect(await f.agreements.isValidAssistanceProfile(bad)).to.equal(false);
      const payload = ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(uint32,uint32,uint32,uint32,uint32,uint32,uint8,uint8,uint8,uint8,bool,bytes32)"],
        [Object.values(bad)],
      );
      const kind = encodeProposal({ kind: "DefineAssistanceProfile", profile: CONSORTIUM_PROFILE }).kind;
      await expect(gov.propose(f, f.frAgency, kind, payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(kind);
      // A dirty high bit in a word decoded as a uint8 is refused too.
      const good = encodeProposal({ kind: "DefineAssistanceProfile", profile: CONSORTIUM_PROFILE }).payload;
      const dirty = good.slice(0, 2 + 64 * 6) + "01" + good.slice(2 + 64 * 6 + 2);
      await expect(gov.propose(f, f.frAgency, kind, dirty)).to.be.revertedWithCustomError(
        f.governance,
        "GovernanceInvalidProposal",
      );
      // The SDK refuses it before signing.
      expect(() =>
        assistanceProfile({ text: "x", reviewWindow: DAY, emergencyReviewWindow: HOUR, responseWindow: 2 * DAY }),
      ).to.throw(/review windows/);
      const id = await defineConsortiumProfile(f);
      expect(id).to.equal(3);
      expect(await f.client.assistanceProfile(3)).to.deep.equal(CONSORTIUM_PROFILE);
      // Only governance defines profiles.
      await expect(f.agreements.connect(f.frAgency).defineAssistanceProfile(CONSORTIUM_PROFILE))
        .to.be.revertedWithCustomError(f.agreements, "AgreementNotGovernance")
        .withArgs(f.frAgency.address);
    });

    it("takes the profile and the retention from the agreement, else the governance default", async function () {
      const f = await loadFixture(ordersFixture);
      // FR–DE: the e-Evidence profile of the agreement.
      let { onChain, mirror } = await termsBothWays(f, "FR", "DE");
      expect(onChain).to.deep.include({ agreementId: Number(f.euAgreement), profileId: 2, responseWindow: 10 * DAY });
      expect({ ...mirror, retentionExtension: undefined }).to.deep.equal({ ...onChain, retentionExtension: undefined });
      expect(await f.client.termsBetween("DE", "FR")).to.deep.equal({
        agreementId: Number(f.euAgreement),
        responseWindow: 10 * DAY,
        emergencyResponseWindow: 8 * HOUR,
        retentionPeriod: 60 * DAY,
        maxRetentionPeriod: 90 * DAY,
      });
      // FR–US: no agreement, the seed policy.
      ({ onChain, mirror } = await termsBothWays(f, "FR", "US"));
      expect(onChain).to.deep.include({ agreementId: 0, profileId: 1, responseWindow: 72 * HOUR });
      expect({ ...mirror, retentionExtension: undefined }).to.deep.equal({ ...onChain, retentionExtension: undefined });
      // Governance makes its own profile the default.
      const id = await defineConsortiumProfile(f);
      await setParameter(f, "defaultProfile", id);
      ({ onChain, mirror } = await termsBothWays(f, "FR", "US"));
      expect(onChain).to.deep.include({ profileId: id, responseWindow: 30 * DAY, maxRetentionPeriod: 45 * DAY });
      expect({ ...mirror, retentionExtension: undefined }).to.deep.equal({ ...onChain, retentionExtension: undefined });
      // A newer FR–DE agreement with the seed profile and its own retention of 120 days takes over.
      const signed = await f.consortiumClient.signProposeAgreementWithAssistance(
        f.deCourt,
        { from: "DE", to: "FR", categories: [2], textHash: hashOf("DE-FR, retention") },
        { profile: "SeedPolicy", retentionPeriod: 120 * DAY },
      );
      const { agreementId } = await (await f.consortiumClient.submit(signed, f.deployer)).wait();
      await gov.approveAgreement(f, f.frAgency, agreementId);
      ({ onChain, mirror } = await termsBothWays(f, "FR", "DE"));
      expect(onChain).to.deep.include({
        agreementId: Number(agreementId),
        profileId: 1,
        retentionPeriod: 120 * DAY,
        maxRetentionPeriod: 365 * DAY,
      });
      expect({ ...mirror, retentionExtension: undefined }).to.deep.equal({ ...onChain, retentionExtension: undefined });
      expect(await f.agreements.agreementAssistance(agreementId)).to.deep.equal([1n, BigInt(120 * DAY)]);
      // An agreement cannot name a profile that does not exist.
      const unknown = await f.consortiumClient.signProposeAgreementWithAssistance(
        f.frAgency,
        { from: "FR", to: "DE", categories: [1], textHash: hashOf("bad") },
        { profile: 9 },
      );
      await expect(f.agreements.proposeAgreementWithAssistance(unknown.request, unknown.signature))
        .to.be.revertedWithCustomError(f.agreements, "AgreementUnknownProfile")
        .withArgs(9);
    });
  });

  describe("each profile's deadlines at their exact boundaries", function () {
    const cases = [
      {
        profile: "seed policy",
        addressee: 4,
        window: 72 * HOUR,
        emergency: 8 * HOUR,
        retention: 90 * DAY,
        max: 365 * DAY,
      },
      {
        profile: "Regulation (EU) 2023/1543",
        addressee: 6,
        window: 10 * DAY,
        emergency: 8 * HOUR,
        retention: 60 * DAY,
        max: 90 * DAY,
      },
      {
        profile: "consortium-defined",
        addressee: 4,
        window: 30 * DAY,
        emergency: 2 * DAY,
        retention: 30 * DAY,
        max: 45 * DAY,
      },
    ] as const;
    for (const c of cases) {
      it(`${c.profile}: ${c.window / HOUR} h, ${c.emergency / HOUR} h in emergencies, ${c.retention / DAY} + ${(c.max - c.retention) / DAY} days`, async function () {
        const f = await loadFixture(ordersFixture);
        if (c.profile === "consortium-defined")
          await setParameter(f, "defaultProfile", await defineConsortiumProfile(f));
        const addressee = c.addressee === 6 ? f.dePlatform : f.usPlatform;
        const jurisdiction = c.addressee === 6 ? "DE" : "US";
        const { onChain: terms } = await termsBothWays(f, "FR", jurisdiction);
        const t0 = (await time.latest()) + 100;
        const on = await issuedOrder(f, { addressee: c.addressee, at: t0 });
        const mirror = computeOrderDeadlines(
          t0,
          { kind: "Produce", dataCategories: ["SUBSCRIBER"] },
          { ...terms, retentionExtension: 0 },
        );
        expect([Number(on.q.issuedAt), Number(on.q.deadline), Number(on.q.retentionUntil)]).to.deep.equal([
          t0,
          t0 + c.window,
          t0 + c.retention,
        ]);
        expect([mirror.deadline, mirror.retentionUntil, mirror.maxRetentionUntil, mirror.reviewUntil]).to.deep.equal([
          t0 + c.window,
          t0 + c.retention,
          t0 + c.max,
          0,
        ]);
        const late = await issuedOrder(f, { addressee: c.addressee, at: t0 + 1 });
        const urgent = await issuedOrder(f, { addressee: c.addressee, emergency: true, at: t0 + 2 });
        expect(Number(urgent.q.deadline)).to.equal(t0 + 2 + c.emergency);
        // Retention: extended to the profile's limit, not a second beyond.
        const extend = async (until: number) => {
          const s = await f.client.signExtendRetention(f.frAgency, {
            requestId: on.id,
            retentionUntil: until,
            validFor: LONG,
          });
          return f.desk.extendRetention(s.request, s.signature);
        };
        await expect(extend(t0 + c.max + 1))
          .to.be.revertedWithCustomError(f.desk, "AssistanceRetentionBeyondMaximum")
          .withArgs(t0 + c.max + 1, t0 + c.max);
        await expect(extend(t0 + c.max))
          .to.emit(f.desk, "RetentionExtended")
          .withArgs(on.id, t0 + c.max);
        // The last second is on time; the next is late.
        await expect(answerAt(f, addressee, on.id, t0 + c.window))
          .to.emit(f.desk, "AssistanceAnswered")
          .withArgs(
            on.id,
            c.addressee,
            S.Fulfilled,
            false,
            hashOf(`response ${on.id} ${t0 + c.window}`),
            cidToBytes(CID),
            0,
          );
        await expect(answerAt(f, addressee, late.id, t0 + 1 + c.window + 1))
          .to.emit(f.desk, "AssistanceAnswered")
          .withArgs(
            late.id,
            c.addressee,
            S.Fulfilled,
            true,
            hashOf(`response ${late.id} ${t0 + 2 + c.window}`),
            cidToBytes(CID),
            0,
          );
        expect(await f.desk.stateAt(urgent.id, t0 + 2 + c.emergency)).to.equal(S.Issued);
        expect(await f.desk.stateAt(urgent.id, t0 + 2 + c.emergency + 1)).to.equal(S.Overdue);
      });
    }

    it("Regulation (EU) 2023/1543: the enforcing authority reviews within 10 days, 96 hours in emergencies", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const notified = { categories: ["TRAFFIC"] as DataCategoryName[], order: { enforcingAuthority: 2 } };
      const a = await issuedOrder(f, { ...notified, at: t0 });
      const b = await issuedOrder(f, { ...notified, at: t0 + 1 });
      const e = await issuedOrder(f, { ...notified, emergency: true, at: t0 + 2 });
      expect([a.notification, e.notification]).to.deep.equal([
        { enforcingAuthority: 2n, reviewUntil: t0 + 10 * DAY },
        { enforcingAuthority: 2n, reviewUntil: t0 + 2 + 96 * HOUR },
      ]);
      const terms = await f.client.profileTermsBetween("FR", "DE");
      const mirror = computeOrderDeadlines(
        t0 + 2,
        { kind: "Produce", dataCategories: ["TRAFFIC"], emergencyReason: "ImminentThreatToLife" },
        { ...terms, retentionExtension: 30 * DAY },
      );
      expect([mirror.notified, mirror.reviewUntil, mirror.deadline]).to.deep.equal([
        true,
        t0 + 2 + 96 * HOUR,
        t0 + 2 + 8 * HOUR,
      ]);
      // The last second of the window is in time; the next is not.
      await expect(reviewAt(f, f.deCourt, e.id, "None", t0 + 2 + 96 * HOUR + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceReviewClosed")
        .withArgs(e.id, t0 + 2 + 96 * HOUR);
      await expect(reviewAt(f, f.deCourt, a.id, "None", t0 + 10 * DAY))
        .to.emit(f.desk, "AssistanceReviewed")
        .withArgs(a.id, 2, ReviewGround.None, false, ethers.ZeroHash, t0 + 10 * DAY);
      await expect(reviewAt(f, f.deCourt, b.id, "None", t0 + 1 + 10 * DAY + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceReviewClosed")
        .withArgs(b.id, t0 + 1 + 10 * DAY);
    });
  });

  describe("orders: the fields the instruments ask for", function () {
    it("records the order's fields in an event and its digest on chain", async function () {
      const f = await loadFixture(ordersFixture);
      const signed = await signOrder(f, { order: { confidential: true } });
      const { requestId } = await (await f.client.submit(signed, f.deployer)).wait();
      const view = await f.client.getOrder(requestId);
      expect(view).to.deep.include({ profileId: 2, confidential: true, domestic: false, clarificationPauses: true });
      expect(view.maxRetentionUntil).to.equal(Number((await f.desk.getRequest(requestId)).issuedAt) + 90 * DAY);
      const [event] = await f.desk.queryFilter(f.desk.filters.AssistanceOrderIssued(requestId));
      const o = event!.args.order;
      expect([o.issuingAuthorityType, o.language, o.flags, [...o.targets]]).to.deep.equal([
        1n,
        "0x6672",
        1n,
        [hashOf("account uploader-77")],
      ]);
      expect(o.orderCid).to.equal(cidToBytes(CID));
      // The stored digest is the order's EIP-712 struct hash.
      expect(view.orderDigest).to.equal(
        ethers.TypedDataEncoder.from({ AssistanceOrder: [...AssistanceDeskTypes.AssistanceOrder] }).hashStruct(
          "AssistanceOrder",
          signed.request.order,
        ),
      );
    });

    it("refuses an order that breaks a rule, naming the rule", async function () {
      const f = await loadFixture(ordersFixture);
      const now = await time.latest();
      const cases: [OrderOptions, keyof typeof OrderDefect][] = [
        // Traffic data from a prosecutor needs a judge, a court or an investigating judge to validate it.
        [
          {
            categories: ["TRAFFIC"],
            order: { issuingAuthority: { type: "PublicProsecutor", hash: hashOf("p") }, enforcingAuthority: 2 },
          },
          "ValidatingAuthority",
        ],
        [
          {
            categories: ["TRAFFIC"],
            order: {
              issuingAuthority: { type: "PublicProsecutor", hash: hashOf("p") },
              validatingAuthority: { type: "PublicProsecutor", hash: hashOf("p2") },
              enforcingAuthority: 2,
            },
          },
          "ValidatingAuthority",
        ],
        // Another competent authority always needs one.
        [
          { order: { issuingAuthority: { type: "OtherCompetentAuthority", hash: hashOf("police") } } },
          "ValidatingAuthority",
        ],
        [{ order: { dataPeriod: { from: now - DAY, until: now + DAY } } }, "DataPeriod"],
        // A sensitive order is notified to an authority of the addressee's State.
        [{ categories: ["CONTENT"] }, "EnforcingAuthority"],
        [{ categories: ["CONTENT"], order: { enforcingAuthority: 1 } }, "EnforcingAuthority"],
        [{ categories: ["CONTENT"], order: { enforcingAuthority: 6 } }, "EnforcingAuthority"],
        // Not sensitive: nobody to notify.
        [{ order: { enforcingAuthority: 2 } }, "EnforcingAuthority"],
      ];
      for (const [o, defect] of cases) {
        const signed = await signOrder(f, o);
        await expect(sendOrder(f, signed), defect)
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOrder")
          .withArgs(OrderDefect[defect]);
      }
      // What the SDK's form checks refuse before any signature.
      await signOrder(f, { order: { language: "FR" } }).then(
        () => expect.fail("signed"),
        (err: Error) => expect(err.message).to.match(/ISO 639-1/),
      );
      await signOrder(f, { order: { targets: [] } }).then(
        () => expect.fail("signed"),
        (err: Error) => expect(err.message).to.match(/at least one target/),
      );
      // Raw fields the SDK would refuse: unknown flags, language, authority type, document.
      const base = await signOrder(f);
      for (const [field, value, defect] of [
        ["flags", 4, "Flags"],
        ["language", "0x4652", "Language"],
        ["issuingAuthorityType", 6, "IssuingAuthority"],
        ["orderCid", "0x", "OrderDocument"],
        ["targets", [], "Targets"],
        ["offenceHash", ethers.ZeroHash, "Offence"],
      ] as const) {
        const request = {
          ...base.request,
          salt: hashOf(`raw ${field}`),
          order: { ...base.request.order, [field]: value },
        };
        const signed = await signAssistanceRequest(f.frAgency, f.client.domain, "IssueAssistanceOrder", request);
        await expect(sendOrder(f, signed), field)
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOrder")
          .withArgs(OrderDefect[defect]);
      }
    });

    it("applies Art. 4 and 8 as the profile says: identification data and preservation are not sensitive", async function () {
      const f = await loadFixture(ordersFixture);
      const terms = await f.client.profileTermsBetween("FR", "DE");
      const prosecutor = { issuingAuthority: { type: "PublicProsecutor" as const, hash: hashOf("parquet de Paris") } };
      // A prosecutor's order for data sought only to identify the user: no validation, no notification.
      expect(
        validationRule(terms, "PublicProsecutor", { kind: "Produce", dataCategories: ["IDENTIFICATION"] }).required,
      ).to.equal(false);
      const ident = await issuedOrder(f, { categories: ["IDENTIFICATION"], order: prosecutor });
      expect(ident.notification).to.equal(undefined);
      // Preservation of traffic data by a prosecutor (Art. 4(3)): neither.
      const preserve = await issuedOrder(f, { kind: "Preserve", categories: ["TRAFFIC"], order: prosecutor });
      expect(preserve.notification).to.equal(undefined);
      // Production of traffic data: validated by a judge, notified to the DE court.
      const rule = validationRule(terms, "PublicProsecutor", { kind: "Produce", dataCategories: ["TRAFFIC"] });
      expect(rule).to.deep.equal({ required: true, validators: ["Judge", "Court", "InvestigatingJudge"] });
      const produce = await issuedOrder(f, {
        categories: ["TRAFFIC"],
        order: { ...prosecutor, validatingAuthority: { type: "Judge", hash: hashOf("JLD") }, enforcingAuthority: 2 },
      });
      expect(produce.notification).to.deep.include({ enforcingAuthority: 2n });
      // Offence and person in the issuing State (Art. 8(2)): no notification.
      const domestic = await issuedOrder(f, {
        categories: ["TRAFFIC"],
        order: { ...prosecutor, validatingAuthority: { type: "Court", hash: hashOf("court") }, domestic: true },
      });
      expect(domestic.notification).to.equal(undefined);
      expect((await f.client.getOrder(domestic.id)).domestic).to.equal(true);
      // The legacy request cannot ask for identification data (orders only).
      await f.client
        .signIssue(f.frAgency, {
          addressee: 6,
          kind: "Produce",
          caseRef: hashOf("c"),
          dataCategories: ["IDENTIFICATION"],
          firstUpload: "DE",
          primaryDissemination: "FR",
          legalBasisHash: hashOf("l"),
        })
        .then(
          () => expect.fail("signed"),
          (err: Error) => expect(err.message).to.match(/only orders ask for it/),
        );
    });
  });

  describe("notification of the enforcing authority and its review (Art. 8, 10, 12)", function () {
    it("holds the data until the review ends or the authority confirms no ground", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const sensitive = { categories: ["CONTENT"] as DataCategoryName[], order: { enforcingAuthority: 2 } };
      const a = await issuedOrder(f, { ...sensitive, at: t0 });
      const b = await issuedOrder(f, { ...sensitive, at: t0 + 1 });
      const reviewUntil = t0 + 10 * DAY;
      expect(mayProduceAt({ reviewUntil, reviewed: false, emergency: false }, reviewUntil - 1)).to.equal(false);
      await expect(answerAt(f, f.dePlatform, a.id, t0 + DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceUnderReview")
        .withArgs(a.id, reviewUntil);
      // A refusal or an impossibility report delivers no data: they are not held.
      // The DE court confirms it raises no ground: the platform produces at once, on time.
      await reviewAt(f, f.deCourt, a.id, "None", t0 + 2 * DAY);
      expect((await f.client.getOrder(a.id)).notification).to.deep.equal({
        enforcingAuthority: 2n,
        reviewUntil,
        reviewed: true,
        ground: "None",
      });
      await expect(answerAt(f, f.dePlatform, a.id, t0 + 2 * DAY + 60)).to.emit(f.desk, "AssistanceAnswered");
      // Without a review, at the end of the 10 days (Art. 10(2)): an answer signed just before, recorded at the end,
      // is on time; recorded a second earlier it is held.
      await expect(answerAt(f, f.dePlatform, b.id, t0 + 1 + 10 * DAY - 60, { at: t0 + 1 + 10 * DAY - 1 }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceUnderReview")
        .withArgs(b.id, t0 + 1 + 10 * DAY);
      await expect(answerAt(f, f.dePlatform, b.id, t0 + 1 + 10 * DAY - 60, { at: t0 + 1 + 10 * DAY }))
        .to.emit(f.desk, "AssistanceAnsweredAt")
        .withArgs(b.id, t0 + 1 + 10 * DAY - 60, t0 + 1 + 10 * DAY, 0, ethers.ZeroHash);
      expect((await f.desk.getRequest(b.id)).late).to.equal(false);
    });

    it("ends the request on a ground for refusal; only the notified authority, once, in time", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { categories: ["CONTENT"], order: { enforcingAuthority: 2 }, at: t0 });
      await expect(reviewAt(f, f.frAgency, a.id, "NeBisInIdem", t0 + DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotEnforcingAuthority")
        .withArgs(a.id, 1);
      await expect(reviewAt(f, f.deCourt, a.id, "DualCriminality", t0 + DAY + 1))
        .to.emit(f.desk, "AssistanceReviewed")
        .withArgs(a.id, 2, ReviewGround.DualCriminality, true, hashOf("reasons DualCriminality"), t0 + DAY + 1);
      expect(await f.desk.stateAt(a.id, t0 + 20 * DAY)).to.equal(S.RefusedByEnforcingAuthority);
      await expect(reviewAt(f, f.deCourt, a.id, "None", t0 + DAY + 2))
        .to.be.revertedWithCustomError(f.desk, "AssistanceReviewClosed")
        .withArgs(a.id, t0 + 10 * DAY);
      await expect(answerAt(f, f.dePlatform, a.id, t0 + 2 * DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(a.id, S.RefusedByEnforcingAuthority);
      // A request without notification has no enforcing authority.
      const plain = await issuedOrder(f, { at: t0 + 3 * DAY });
      await expect(reviewAt(f, f.deCourt, plain.id, "None", t0 + 4 * DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotEnforcingAuthority")
        .withArgs(plain.id, 2);
    });

    it("in emergencies, produces at once; a later ground objects to the use of the data", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const e = await issuedOrder(f, {
        categories: ["CONTENT"],
        order: { enforcingAuthority: 2 },
        emergency: true,
        at: t0,
      });
      await expect(answerAt(f, f.dePlatform, e.id, t0 + 2 * HOUR))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(e.id, 6, S.Fulfilled, false, hashOf(`response ${e.id} ${t0 + 2 * HOUR}`), cidToBytes(CID), 0);
      await expect(reviewAt(f, f.deCourt, e.id, "ImmunityOrPrivilege", t0 + 90 * HOUR))
        .to.emit(f.desk, "AssistanceReviewed")
        .withArgs(
          e.id,
          2,
          ReviewGround.ImmunityOrPrivilege,
          false,
          hashOf("reasons ImmunityOrPrivilege"),
          t0 + 90 * HOUR,
        );
      expect((await f.desk.getRequest(e.id)).state).to.equal(S.Fulfilled);
      expect((await f.client.getOrder(e.id)).notification?.ground).to.equal("ImmunityOrPrivilege");
    });
  });

  describe("clarification", function () {
    it("stops the clock while the requester owes the answer (Regulation (EU) 2023/1543), and moves the deadline by the pause", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { at: t0 });
      const deadline = t0 + 10 * DAY;
      await expect(askClarification(f, f.dePlatform, a.id, t0 + DAY))
        .to.emit(f.desk, "ClarificationRequested")
        .withArgs(a.id, 6, ImpossibilityReason.InsufficientInformation, hashOf("which account?"), t0 + DAY);
      // Paused: never overdue, whatever the time.
      expect(await f.desk.stateAt(a.id, deadline + 30 * DAY)).to.equal(S.AwaitingClarification);
      expect(assistanceStateAt({ state: "AwaitingClarification", deadline }, deadline + 30 * DAY)).to.equal(
        "AwaitingClarification",
      );
      // Only the requester answers, and only a pending request.
      await expect(clarify(f, f.dePlatform, a.id, t0 + 2 * DAY))
        .to.be.revertedWithCustomError(f.desk, "AssistanceNotRequester")
        .withArgs(a.id, 6);
      const resumed = t0 + 4 * DAY + 17;
      const moved = deadlineAfterClarification(deadline, t0 + DAY, resumed, true);
      expect(moved).to.equal(deadline + 3 * DAY + 17);
      await expect(clarify(f, f.frAgency, a.id, resumed))
        .to.emit(f.desk, "ClarificationProvided")
        .withArgs(a.id, 1, hashOf("the account is uploader-77"), cidToBytes(CID), moved);
      expect((await f.desk.getRequest(a.id)).state).to.equal(S.Acknowledged);
      await expect(clarify(f, f.frAgency, a.id, resumed + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(a.id, S.Acknowledged);
      expect(await f.desk.stateAt(a.id, moved)).to.equal(S.Acknowledged);
      expect(await f.desk.stateAt(a.id, moved + 1)).to.equal(S.Overdue);
      await expect(answerAt(f, f.dePlatform, a.id, moved)).to.emit(f.desk, "AssistanceAnswered");
      expect((await f.desk.getRequest(a.id)).late).to.equal(false);
    });

    it("keeps the clock running under a profile that says so, and refuses late or off-list requests", async function () {
      const f = await loadFixture(ordersFixture);
      await setParameter(f, "defaultProfile", await defineConsortiumProfile(f));
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { addressee: 4, at: t0 });
      const deadline = t0 + 30 * DAY;
      await askClarification(f, f.usPlatform, a.id, t0 + DAY, ImpossibilityReason.ManifestErrors);
      expect(await f.desk.stateAt(a.id, deadline + 1)).to.equal(S.Overdue);
      expect(
        assistanceStateAt({ state: "AwaitingClarification", deadline, clarificationPauses: false }, deadline + 1),
      ).to.equal("Overdue");
      expect(await f.client.openRequests(4, { filter: "overdue", atTime: deadline + 1 })).to.deep.equal([a.id]);
      await clarify(f, f.frAgency, a.id, t0 + 5 * DAY);
      expect(Number((await f.desk.getRequest(a.id)).deadline)).to.equal(deadline);
      // Asking after the deadline, or for a reason that is not a clarification's, is refused.
      const b = await issuedOrder(f, { addressee: 4, at: t0 + 5 * DAY + 1 });
      await expect(askClarification(f, f.usPlatform, b.id, t0 + 5 * DAY + 2, ImpossibilityReason.DataNotStored))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidReason")
        .withArgs(ImpossibilityReason.DataNotStored);
      await expect(askClarification(f, f.usPlatform, b.id, t0 + 5 * DAY + 1 + 30 * DAY + 1))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidState")
        .withArgs(b.id, S.Overdue);
    });
  });

  describe("impossibility to execute (Annex III)", function () {
    it("ends the request with the reasons given, judged on the signed time with the pause counted", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { at: t0 });
      const b = await issuedOrder(f, { at: t0 + 1 });
      await askClarification(f, f.dePlatform, b.id, t0 + 2 * DAY);
      await expect(reportAt(f, f.dePlatform, a.id, ["DataNotStored", "ThirdCountryLawConflict"], t0 + 10 * DAY))
        .to.emit(f.desk, "ImpossibilityReported")
        .withArgs(a.id, 6, (1 << 4) | (1 << 10), hashOf("explanation"), false, t0 + 10 * DAY);
      expect(await f.client.getRequest(a.id)).to.deep.include({
        state: "ExecutionImpossible",
        stateNow: "ExecutionImpossible",
      });
      const [reported] = await f.desk.queryFilter(f.desk.filters.ImpossibilityReported(a.id));
      expect(impossibilityReasons(reported!.args.reasons)).to.deep.equal(["DataNotStored", "ThirdCountryLawConflict"]);
      // Waiting for clarification since day 2: reported on day 15, still within the 10 days it owed.
      await expect(reportAt(f, f.dePlatform, b.id, ["Incomplete"], t0 + 15 * DAY))
        .to.emit(f.desk, "ImpossibilityReported")
        .withArgs(b.id, 6, 1 << 1, hashOf("explanation"), false, t0 + 15 * DAY);
      // Reason sets off the list: empty, None, beyond the last reason.
      const c = await issuedOrder(f);
      for (const reasons of [0, 1, 1 << 11]) {
        const signed = await signAssistanceRequest(f.dePlatform, f.client.domain, "ReportImpossibility", {
          requestId: c.id,
          reasons,
          detailsHash: hashOf("x"),
          signedAt: await time.latest(),
          nonce: await f.desk.nonces(f.dePlatform.address),
          deadline: (await time.latest()) + HOUR,
        });
        await expect(f.desk.reportImpossibility(signed.request, signed.signature))
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidReason")
          .withArgs(reasons);
      }
    });
  });

  describe("partial fulfilment with what is still owed", function () {
    it("keeps owing what a partial answer leaves out, until answered, and overdue after the deadline", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const both = { categories: ["SUBSCRIBER", "TRAFFIC"] as DataCategoryName[], order: { domestic: true } };
      const a = await issuedOrder(f, { ...both, at: t0 });
      const owed = { categories: ["TRAFFIC"] as DataCategoryName[], hash: hashOf("traffic data from the archive") };
      await expect(answerAt(f, f.dePlatform, a.id, t0 + DAY, { outcome: "PartiallyFulfilled", owed }))
        .to.emit(f.desk, "AssistanceAnsweredAt")
        .withArgs(a.id, t0 + DAY, t0 + DAY, 2, owed.hash);
      const view = await f.client.getRequest(a.id);
      expect(view).to.deep.include({ state: "PartiallyFulfilled", stateNow: "PartiallyFulfilled" });
      expect(view!.order.owedCategories).to.deep.equal(["TRAFFIC"]);
      expect(await f.desk.stateAt(a.id, t0 + 10 * DAY + 1)).to.equal(S.Overdue);
      expect(
        assistanceStateAt(
          { state: "PartiallyFulfilled", deadline: t0 + 10 * DAY, owedCategories: ["TRAFFIC"] },
          t0 + 10 * DAY + 1,
        ),
      ).to.equal("Overdue");
      expect(await f.client.openRequests(6, { atTime: t0 + 2 * DAY })).to.deep.equal([a.id]);
      // The rest, late: recorded as such, nothing owed any more.
      await expect(answerAt(f, f.dePlatform, a.id, t0 + 11 * DAY))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(a.id, 6, S.Fulfilled, true, hashOf(`response ${a.id} ${t0 + 11 * DAY}`), cidToBytes(CID), 0);
      expect(await f.desk.stateAt(a.id, t0 + 20 * DAY)).to.equal(S.Fulfilled);
      // What is owed is among the request's categories, with a hash, and only after a partial answer.
      const b = await issuedOrder(f, both);
      const now = await time.latest();
      for (const o of [
        {
          outcome: "PartiallyFulfilled" as const,
          owed: { categories: ["CONTENT"] as DataCategoryName[], hash: hashOf("x") },
        },
        { outcome: "Fulfilled" as const, owed: { categories: ["TRAFFIC"] as DataCategoryName[], hash: hashOf("x") } },
      ]) {
        const signed = await signAssistanceRequest(f.dePlatform, f.client.domain, "AnswerAssistance", {
          requestId: b.id,
          outcome: Number(S[o.outcome]),
          responseHash: hashOf("p"),
          responseCid: cidToBytes(CID),
          refusalGrounds: 0,
          owedCategories: o.owed.categories.includes("CONTENT") ? 4 : 2,
          owedHash: o.owed.hash,
          signedAt: now,
          nonce: await f.desk.nonces(f.dePlatform.address),
          deadline: now + HOUR,
        });
        await expect(f.desk.answer(signed.request, signed.signature))
          .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidOutcome")
          .withArgs(S[o.outcome]);
      }
    });
  });

  describe("an operator answers for a platform that is not a member", function () {
    it("receives the order and answers on its behalf, recorded as such", async function () {
      const f = await loadFixture(ordersFixture);
      const platform = hashOf("StreamCo Ltd (IE), legal representative: NL operator");
      // The NL operator (member 3) represents the platform; an order says so.
      const signed = await f.client.signIssueOrder(f.frAgency, {
        addressee: 3,
        kind: "Produce",
        caseRef: hashOf("case"),
        dataCategories: ["SUBSCRIBER"],
        firstUpload: "IE",
        primaryDissemination: "FR",
        legalBasisHash: hashOf("Regulation (EU) 2023/1543"),
        order: orderFields(await time.latest(), { onBehalfOf: platform }),
      });
      const issued = await (await f.client.submit(signed, f.deployer)).wait();
      expect(issued).to.deep.include({ addressee: 3n, onBehalfOf: platform, profileId: 1 });
      expect(
        await f.desk.queryFilter(f.desk.filters.AssistanceOrderIssued(undefined, undefined, platform)),
      ).to.have.length(1);
      const answered = await (
        await f.client.submit(
          await f.client.signAnswer(f.nlOperator, {
            requestId: issued.requestId,
            outcome: "Fulfilled",
            responseHash: hashOf("StreamCo subscriber record"),
            responseCid: CID,
          }),
          f.deployer,
        )
      ).wait();
      expect(answered).to.deep.include({ state: "Fulfilled", late: false });
      expect((await f.client.getOrder(issued.requestId)).onBehalfOf).to.equal(platform);
      // Only an operator answers for a non-member; an operator answers only for one.
      const toPlatform = await signOrder(f, { order: { onBehalfOf: platform } });
      await expect(sendOrder(f, toPlatform))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(6);
      const toOperator = await signOrder(f, { addressee: 3 });
      await expect(sendOrder(f, toOperator))
        .to.be.revertedWithCustomError(f.desk, "AssistanceInvalidAddressee")
        .withArgs(3);
      // Its compliance can be read for the platform it answers for.
      const figures = await f.client.complianceFigures(3, { from: 0, to: 4_000_000_000, onBehalfOf: platform });
      expect(figures).to.deep.include({ due: 1, answeredOnTime: 1 });
    });
  });

  describe("the time of an answer: a relayer's delay, an addressee's back-dating", function () {
    it("judges lateness on the signed time when the block comes within the relay bound", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { at: t0 });
      const b = await issuedOrder(f, { at: t0 + 1 });
      const deadline = t0 + 10 * DAY;
      // Signed in the last second, relayed 10 minutes later (the default bound): on time, both times recorded.
      await expect(answerAt(f, f.dePlatform, a.id, deadline, { at: deadline + AssistanceDefaults.maxRelayDelay }))
        .to.emit(f.desk, "AssistanceAnsweredAt")
        .withArgs(a.id, deadline, deadline + 600, 0, ethers.ZeroHash);
      const q = await f.desk.getRequest(a.id);
      expect([q.late, Number(q.respondedAt)]).to.deep.equal([false, deadline + 600]);
      // A second more and the relayer is too late: the signed answer is refused, never recorded as on time.
      expect([acceptsSignedTime(deadline, deadline + 600), acceptsSignedTime(deadline, deadline + 601)]).to.deep.equal([
        true,
        false,
      ]);
      await expect(answerAt(f, f.dePlatform, b.id, deadline + 1, { at: deadline + 1 + 601 }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceSignedTimeOutOfRange")
        .withArgs(deadline + 1, deadline + 602, 600);
    });

    it("refuses an answer dated back beyond the bound, or dated in the future", async function () {
      const f = await loadFixture(ordersFixture);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { at: t0 });
      const deadline = t0 + 10 * DAY;
      // Signed a day after the deadline, claiming the deadline's last second.
      await expect(answerAt(f, f.dePlatform, a.id, deadline, { at: deadline + DAY }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceSignedTimeOutOfRange")
        .withArgs(deadline, deadline + DAY, 600);
      await expect(answerAt(f, f.dePlatform, a.id, deadline + DAY + 10, { at: deadline + DAY + 9 }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceSignedTimeOutOfRange")
        .withArgs(deadline + DAY + 10, deadline + DAY + 9, 600);
      // Within the bound it may claim at most that bound: here it is still late.
      await expect(answerAt(f, f.dePlatform, a.id, deadline + DAY + 20 - 600, { at: deadline + DAY + 20 }))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(
          a.id,
          6,
          S.Fulfilled,
          true,
          hashOf(`response ${a.id} ${deadline + DAY + 20 - 600}`),
          cidToBytes(CID),
          0,
        );
    });

    it("follows the bound governance sets; the legacy answer is judged on the block time", async function () {
      const f = await loadFixture(ordersFixture);
      await setParameter(f, "maxRelayDelay", 60);
      const t0 = (await time.latest()) + 100;
      const a = await issuedOrder(f, { at: t0 });
      const b = await issuedRequest(f, 6, { at: t0 + 1 });
      const c = await issuedOrder(f, { at: t0 + 2 });
      const deadline = t0 + 10 * DAY;
      await expect(answerAt(f, f.dePlatform, a.id, deadline, { at: deadline + 60 }))
        .to.emit(f.desk, "AssistanceAnsweredAt")
        .withArgs(a.id, deadline, deadline + 60, 0, ethers.ZeroHash);
      // `respond` states no time: a relayer's minute makes it late.
      const signed = await f.client.signRespond(f.dePlatform, {
        requestId: b.id,
        outcome: "Fulfilled",
        responseHash: hashOf("legacy"),
        responseCid: CID,
        validFor: LONG,
      });
      await time.setNextBlockTimestamp(Number(b.q.deadline) + 60);
      await expect(f.desk.respond(signed.request, signed.signature))
        .to.emit(f.desk, "AssistanceAnswered")
        .withArgs(b.id, 6, S.Fulfilled, true, hashOf("legacy"), cidToBytes(CID), 0);
      await expect(answerAt(f, f.dePlatform, c.id, deadline + 2, { at: deadline + 2 + 61 }))
        .to.be.revertedWithCustomError(f.desk, "AssistanceSignedTimeOutOfRange")
        .withArgs(deadline + 2, deadline + 63, 60);
    });
  });

  describe("compliance figures over a scripted history", function () {
    it("counts per member and per period what fell due: on time, late, overdue, refused by ground", async function () {
      const f = await loadFixture(ordersFixture);
      const p0 = (await time.latest()) + DAY;
      const at = (d: number) => p0 + d * DAY;
      const issue = (d: number, o: OrderOptions = {}) => issuedOrder(f, { ...o, at: at(d) });
      // In time order. Period A = [day 0, day 30): the deadlines of requests issued on days 1 to 8 (10 days each).
      const r1 = await issue(1);
      const r2 = await issue(2);
      const r3 = await issue(3);
      const r4 = await issue(4);
      await issue(5); // never answered
      await answerAt(f, f.dePlatform, r1.id, at(5) + 1); // on time
      const r6 = await issue(6, { categories: ["CONTENT"], order: { enforcingAuthority: 2 } });
      const r7 = await issue(7);
      const r8 = await issue(8, { categories: ["SUBSCRIBER", "TRAFFIC"], order: { domestic: true } });
      await reviewAt(f, f.deCourt, r6.id, "NeBisInIdem", at(9)); // refused by the enforcing authority
      const w = await f.client.signWithdraw(f.frAgency, {
        requestId: r7.id,
        reasonHash: hashOf("settled"),
        validFor: LONG,
      });
      await time.setNextBlockTimestamp(at(10));
      await f.desk.withdraw(w.request, w.signature); // withdrawn
      await answerAt(f, f.dePlatform, r8.id, at(11), {
        outcome: "PartiallyFulfilled",
        owed: { categories: ["TRAFFIC"], hash: hashOf("archive") },
      }); // on time, the rest never comes
      await answerAt(f, f.dePlatform, r3.id, at(12), { outcome: "Refused" }); // on time (deadline day 13)
      await answerAt(f, f.dePlatform, r2.id, at(13)); // late (deadline day 12)
      await reportAt(f, f.dePlatform, r4.id, ["DataNotStored", "DeFactoImpossibility"], at(14)); // on time, last second
      // Period B = [day 30, day 60).
      const r9 = await issue(25);
      const r10 = await issue(26);
      const other = await issuedRequest(f, 4, { at: at(26) + 1 }); // another member's
      await answerAt(f, f.dePlatform, r9.id, at(30)); // on time
      await askClarification(f, f.dePlatform, r10.id, at(31)); // waiting for the requester
      await time.increaseTo(at(40));

      const periodA = await f.client.complianceFigures(6, { from: at(0), to: at(30) });
      expect(periodA).to.deep.equal({
        memberId: 6n,
        from: at(0),
        to: at(30),
        asOf: at(40),
        due: 8,
        answeredOnTime: 4,
        answeredLate: 1,
        overdue: 1,
        stillOwed: 1,
        pending: 0,
        withdrawn: 1,
        refusedByEnforcingAuthority: { NeBisInIdem: 1 },
        refused: { 2: 1 },
        impossible: { DataNotStored: 1, DeFactoImpossibility: 1 },
      });
      const periodB = await f.client.complianceFigures(6, { from: at(30), to: at(60) });
      expect(periodB).to.deep.include({ due: 2, answeredOnTime: 1, pending: 1, overdue: 0 });
      // The same history, counted offline, as of another time: the request owing clarification stays pending.
      const { history } = await f.client.assistanceHistory(6);
      expect(history.map((e) => e.requestId)).to.not.include(other.id);
      expect(computeComplianceFigures(history, { memberId: 6, from: at(0), to: at(60), asOf: at(40) })).to.deep.include(
        {
          due: 10,
          answeredOnTime: 5,
          pending: 1,
        },
      );
      void r2;
      expect((await f.client.complianceFigures(4, { from: at(0), to: at(60) })).due).to.equal(1);
    });
  });
});
