import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { Signer } from "ethers";
import * as gov from "../helpers/governance";
import {
  Assurance,
  Role,
  agreementTerms,
  isCrossproofError,
  toJurisdiction,
  type AgreementTermsStruct,
  type Hex,
} from "../../sdk/src";
import { consortiumFixture, type ConsortiumFixture } from "../helpers/fixtures";

const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");
const NL = toJurisdiction("NL");
const US = toJurisdiction("US");
const VIDEO = 1;
const WEBPAGE = 2;
const HOUR = 3600;

/** FR → DE terms: videos and category 5, complete custody, from 100 s to 10 000 s from now, 48 h / 6 h windows. */
async function frToDe(overrides: Partial<AgreementTermsStruct> = {}): Promise<AgreementTermsStruct> {
  const now = await time.latest();
  return {
    from: FR,
    to: DE,
    categories: (1n << BigInt(VIDEO)) | (1n << 5n),
    minAssurance: Assurance.COMPLETE_CUSTODY,
    anchorWindow: 0,
    effectiveFrom: now + 100,
    expiresAt: now + 10_000,
    responseWindow: 48 * HOUR,
    emergencyResponseWindow: 6 * HOUR,
    textHash: ethers.id("FR-DE agreement text") as Hex,
    ...overrides,
  };
}

/** Terms in force at once and for ever, for one category, without assistance windows. */
const plain = (from: Hex, to: Hex, extra: Partial<AgreementTermsStruct> = {}): AgreementTermsStruct => ({
  from,
  to,
  categories: 1n << BigInt(VIDEO),
  minAssurance: 0,
  anchorWindow: 0,
  effectiveFrom: 0,
  expiresAt: 0,
  responseWindow: 0,
  emergencyResponseWindow: 0,
  textHash: ethers.id(`${from}-${to}`) as Hex,
  ...extra,
});

/** Fixes the timestamp of the next block (the next transaction) and returns it. */
async function nextBlockAt(secondsFromNow = 5): Promise<number> {
  const t = (await time.latest()) + secondsFromNow;
  await time.setNextBlockTimestamp(t);
  return t;
}

/** Concludes an agreement (proposed by `a`, approved by `b`) and returns its id and conclusion time. */
async function conclude(
  f: ConsortiumFixture,
  terms: AgreementTermsStruct,
  a: Signer = f.frAgency,
  b: Signer = f.deCourt,
): Promise<{ id: bigint; concludedAt: number }> {
  const id = await gov.concludeAgreement(f, a, b, terms);
  return { id, concludedAt: Number((await f.agreements.getAgreement(id)).concludedAt) };
}

describe("RecognitionAgreements", function () {
  describe("conclusion", function () {
    it("is in force only when a governor of each side approved it", async function () {
      const f = await loadFixture(consortiumFixture);
      const terms = await frToDe();
      await expect(gov.proposeAgreement(f, f.frAgency, terms))
        .to.emit(f.agreements, "AgreementProposed")
        .withArgs(1, FR, DE, 1, anyValue)
        .and.to.emit(f.agreements, "AgreementApproved")
        .withArgs(1, FR, 1);
      const stored = await f.agreements.getAgreement(1);
      const st = stored.terms;
      expect([
        st.from,
        st.to,
        st.categories,
        st.minAssurance,
        st.anchorWindow,
        st.effectiveFrom,
        st.expiresAt,
        st.responseWindow,
        st.emergencyResponseWindow,
        st.textHash,
      ]).to.deep.equal([
        terms.from,
        terms.to,
        terms.categories,
        BigInt(terms.minAssurance),
        BigInt(terms.anchorWindow),
        BigInt(terms.effectiveFrom),
        BigInt(terms.expiresAt),
        BigInt(terms.responseWindow),
        BigInt(terms.emergencyResponseWindow),
        terms.textHash,
      ]);
      expect([stored.approvedByFrom, stored.approvedByTo, stored.concludedAt, stored.suspended]).to.deep.equal([
        1n,
        0n,
        0n,
        false,
      ]);
      await time.increaseTo(terms.effectiveFrom);
      // Approved by one side only: not in force, and not even listed for the pair.
      expect(await f.agreements.recognition(FR, DE, VIDEO, terms.effectiveFrom)).to.deep.equal([false, 0n]);
      expect(await f.agreements.agreementsBetween(FR, DE)).to.deep.equal([]);
      await expect(gov.approveAgreement(f, f.frAgency, 1))
        .to.be.revertedWithCustomError(f.agreements, "AgreementAlreadyApproved")
        .withArgs(1, FR);
      await expect(gov.approveAgreement(f, f.nlOperator, 1))
        .to.be.revertedWithCustomError(f.agreements, "AgreementNotParty")
        .withArgs(1, NL);
      await expect(gov.approveAgreement(f, f.usPlatform, 1))
        .to.be.revertedWithCustomError(f.agreements, "SignedRequestMissingRole")
        .withArgs(4, Role.GOVERNOR);
      const concludedAt = await nextBlockAt();
      await expect(gov.approveAgreement(f, f.deCourt, 1))
        .to.emit(f.agreements, "AgreementApproved")
        .withArgs(1, DE, 2)
        .and.to.emit(f.agreements, "AgreementConcluded")
        .withArgs(1, concludedAt);
      await expect(gov.approveAgreement(f, f.deCourt, 1))
        .to.be.revertedWithCustomError(f.agreements, "AgreementAlreadyApproved")
        .withArgs(1, DE);
      expect(await f.agreements.agreementsBetween(FR, DE)).to.deep.equal([1n]);
      expect(await f.agreements.agreementsBetween(DE, FR)).to.deep.equal([]);
      const at = (cat: number, t: number, from = FR, to = DE) => f.agreements.recognition(from, to, cat, t);
      expect(await at(VIDEO, concludedAt)).to.deep.equal([true, 1n]);
      expect(await at(5, concludedAt)).to.deep.equal([true, 1n]);
      // Not before conclusion (though effective), not for another category, not the other way round, not after
      // expiry, not between a jurisdiction and itself.
      expect(await at(VIDEO, concludedAt - 1)).to.deep.equal([false, 0n]);
      expect(await at(WEBPAGE, concludedAt)).to.deep.equal([false, 0n]);
      expect(await at(VIDEO, concludedAt, DE, FR)).to.deep.equal([false, 0n]);
      expect(await at(VIDEO, terms.expiresAt - 1)).to.deep.equal([true, 1n]);
      expect(await at(VIDEO, terms.expiresAt)).to.deep.equal([false, 0n]);
      expect(await at(VIDEO, concludedAt, FR, FR)).to.deep.equal([false, 0n]);
      expect(await at(VIDEO, concludedAt, FR, US)).to.deep.equal([false, 0n]);
    });

    it("may be proposed by the recognising side and approved by the collecting side", async function () {
      const f = await loadFixture(consortiumFixture);
      await expect(gov.proposeAgreement(f, f.deCourt, plain(FR, DE)))
        .to.emit(f.agreements, "AgreementApproved")
        .withArgs(1, DE, 2);
      await expect(gov.approveAgreement(f, f.frAgency, 1)).to.emit(f.agreements, "AgreementConcluded");
      const a = await f.agreements.getAgreement(1);
      expect([a.approvedByFrom, a.approvedByTo]).to.deep.equal([1n, 2n]);
      expect(await f.agreements.recognition(FR, DE, VIDEO, await time.latest())).to.deep.equal([true, 1n]);
    });

    it("is not in force before effectiveFrom, for a category outside its set or beyond 63", async function () {
      const f = await loadFixture(consortiumFixture);
      const terms = await frToDe({ categories: (1n << 63n) | (1n << BigInt(VIDEO)) });
      const { id } = await conclude(f, terms);
      expect(await f.agreements.agreementInForce(id, VIDEO, terms.effectiveFrom - 1)).to.equal(false);
      expect(await f.agreements.agreementInForce(id, VIDEO, terms.effectiveFrom)).to.equal(true);
      expect(await f.agreements.agreementInForce(id, 63, terms.effectiveFrom)).to.equal(true);
      expect(await f.agreements.agreementInForce(id, 64, terms.effectiveFrom)).to.equal(false);
      expect(await f.agreements.agreementInForce(id, 255, terms.effectiveFrom)).to.equal(false);
      expect(await f.agreements.agreementInForce(id, WEBPAGE, terms.effectiveFrom)).to.equal(false);
      expect(await f.agreements.agreementInForce(99, VIDEO, terms.effectiveFrom)).to.equal(false);
    });
  });

  describe("terms validation", function () {
    it("refuses non-governors and non-parties", async function () {
      const f = await loadFixture(consortiumFixture);
      await expect(gov.proposeAgreement(f, f.usPlatform, plain(FR, DE)))
        .to.be.revertedWithCustomError(f.agreements, "SignedRequestMissingRole")
        .withArgs(4, Role.GOVERNOR);
      await expect(gov.proposeAgreement(f, f.nlOperator, plain(FR, DE)))
        .to.be.revertedWithCustomError(f.agreements, "AgreementNotParty")
        .withArgs(1, NL);
      await expect(gov.approveAgreement(f, f.frAgency, 9))
        .to.be.revertedWithCustomError(f.agreements, "AgreementUnknown")
        .withArgs(9);
      expect(await f.agreements.agreementCount()).to.equal(0n);
    });

    it("refuses unassigned codes, unknown flags, TIMELY_ANCHOR without its window (and vice versa), empty or past terms", async function () {
      const f = await loadFixture(consortiumFixture);
      const now = await time.latest();
      const bad: Record<string, Partial<AgreementTermsStruct>> = {
        "the same jurisdiction twice": { to: FR },
        "no category": { categories: 0n },
        "no jurisdiction": { from: "0x0000" },
        "unassigned XX": { to: "0x5858" },
        "reserved EU": { to: "0x4555" },
        "lower case fr": { from: "0x6672" },
        "an unknown assurance flag": { minAssurance: 8 },
        "all flags set": { minAssurance: 0xff },
        "TIMELY_ANCHOR without a window": { minAssurance: Assurance.TIMELY_ANCHOR },
        "a window without TIMELY_ANCHOR": { anchorWindow: 3600 },
        "an expiry already past": { expiresAt: now - 1 },
        "an expiry at the effective date": { effectiveFrom: now + 500, expiresAt: now + 500 },
      };
      for (const [what, overrides] of Object.entries(bad)) {
        await expect(gov.proposeAgreement(f, f.frAgency, plain(FR, DE, overrides)), what).to.be.revertedWithCustomError(
          f.agreements,
          "AgreementInvalidTerms",
        );
      }
      expect(await f.agreements.agreementCount()).to.equal(0n);
      // The valid neighbours are accepted.
      const good: Partial<AgreementTermsStruct>[] = [
        { minAssurance: Assurance.TIMELY_ANCHOR | Assurance.COMPLETE_CUSTODY, anchorWindow: 24 * HOUR },
        {
          minAssurance: Assurance.COMPLETE_CUSTODY | Assurance.BATCH_PROOF_ALLOWED | Assurance.TIMELY_ANCHOR,
          anchorWindow: 1,
        },
        { effectiveFrom: now + 500, expiresAt: now + 501 },
        { to: toJurisdiction("SS") },
      ];
      for (const overrides of good) await gov.proposeAgreement(f, f.frAgency, plain(FR, DE, overrides));
      expect(await f.agreements.agreementCount()).to.equal(BigInt(good.length));
    });

    it("the SDK builds the terms from the domain's words and refuses what the contract would", async function () {
      const f = await loadFixture(consortiumFixture);
      const client = await gov.client(f);
      const input = {
        from: "FR",
        to: "DE",
        categories: [1, 2],
        minAssurance: ["COMPLETE_CUSTODY", "TIMELY_ANCHOR"] as const,
        anchorWindow: 6 * HOUR,
        responseWindow: 72 * HOUR,
        textHash: ethers.id("text"),
      };
      // A nested EIP-712 struct (ProposeAgreement → AgreementTerms), signed and relayed.
      await (await client.submit(await client.signProposeAgreement(f.frAgency, input), f.spare[5]!)).wait();
      await (await client.submit(await client.signApproveAgreement(f.deCourt, 1), f.spare[5]!)).wait();
      const a = await f.agreements.getAgreement(1);
      expect([a.terms.categories, a.terms.minAssurance, a.terms.anchorWindow, a.terms.responseWindow]).to.deep.equal([
        0b110n,
        BigInt(Assurance.COMPLETE_CUSTODY | Assurance.TIMELY_ANCHOR),
        BigInt(6 * HOUR),
        BigInt(72 * HOUR),
      ]);
      expect(a.concludedAt).to.be.greaterThan(0n);
      const refused = (t: object, code: string) => {
        try {
          agreementTerms({ ...input, ...t });
          expect.fail("accepted");
        } catch (err) {
          expect(isCrossproofError(err), String(err)).to.equal(true);
          expect((err as { code: string }).code).to.equal(code);
        }
      };
      refused({ minAssurance: ["TIMELY_ANCHOR"], anchorWindow: undefined }, "INVALID_ARGUMENT");
      refused({ minAssurance: [], anchorWindow: 60 }, "INVALID_ARGUMENT");
      refused({ categories: [64] }, "INVALID_ARGUMENT");
      refused({ to: "XX" }, "INVALID_ARGUMENT");
      refused({ from: "fr" }, "INVALID_ARGUMENT");
    });
  });

  describe("suspension", function () {
    it("keeps suspension intervals, so earlier times still answer truthfully", async function () {
      const f = await loadFixture(consortiumFixture);
      await gov.proposeAgreement(f, f.frAgency, plain(FR, DE));
      // Not concluded yet: nothing to suspend.
      await expect(gov.setAgreementSuspended(f, f.frAgency, 1, true))
        .to.be.revertedWithCustomError(f.agreements, "AgreementStateUnchanged")
        .withArgs(1);
      await gov.approveAgreement(f, f.deCourt, 1);
      const inForce = await time.latest();
      await expect(gov.setAgreementSuspended(f, f.deCourt, 1, false))
        .to.be.revertedWithCustomError(f.agreements, "AgreementStateUnchanged")
        .withArgs(1);
      await time.increase(10);
      const suspendedAt = await nextBlockAt();
      await expect(gov.setAgreementSuspended(f, f.deCourt, 1, true))
        .to.emit(f.agreements, "AgreementSuspensionChanged")
        .withArgs(1, true, 2, suspendedAt);
      expect((await f.agreements.getAgreement(1)).suspended).to.equal(true);
      await expect(gov.setAgreementSuspended(f, f.frAgency, 1, true))
        .to.be.revertedWithCustomError(f.agreements, "AgreementStateUnchanged")
        .withArgs(1);
      await time.increase(10);
      // Only the side that suspended may resume; other jurisdictions and non-governors not at all.
      await expect(gov.setAgreementSuspended(f, f.frAgency, 1, false))
        .to.be.revertedWithCustomError(f.agreements, "AgreementNotParty")
        .withArgs(1, FR);
      await expect(gov.setAgreementSuspended(f, f.nlOperator, 1, false))
        .to.be.revertedWithCustomError(f.agreements, "AgreementNotParty")
        .withArgs(1, NL);
      await expect(gov.setAgreementSuspended(f, f.usPlatform, 1, false))
        .to.be.revertedWithCustomError(f.agreements, "SignedRequestMissingRole")
        .withArgs(4, Role.GOVERNOR);
      const resumedAt = await nextBlockAt();
      await expect(gov.setAgreementSuspended(f, f.deCourt, 1, false))
        .to.emit(f.agreements, "AgreementSuspensionChanged")
        .withArgs(1, false, 2, resumedAt);
      await time.increase(10);
      // FR suspends in turn: an interval still open.
      const again = await nextBlockAt();
      await gov.setAgreementSuspended(f, f.frAgency, 1, true);
      await time.increase(10);

      const at = async (t: number) => (await f.agreements.recognition(FR, DE, VIDEO, t))[0];
      expect(await at(inForce)).to.equal(true);
      expect(await at(suspendedAt - 1)).to.equal(true);
      expect(await at(suspendedAt)).to.equal(false);
      expect(await at(resumedAt - 1)).to.equal(false);
      expect(await at(resumedAt)).to.equal(true);
      expect(await at(again - 1)).to.equal(true);
      expect(await at(again)).to.equal(false);
      expect(await at(await time.latest())).to.equal(false);
      const s = await f.agreements.suspensionsOf(1);
      expect(s.map((x) => [x.since, x.until, x.by])).to.deep.equal([
        [BigInt(suspendedAt), BigInt(resumedAt), DE],
        [BigInt(again), 0n, FR],
      ]);
    });
  });

  describe("standingRecognition: in force at the given time and not suspended now", function () {
    it("gives the exact agreement, skipping those suspended now, and keeps those expired since", async function () {
      const f = await loadFixture(consortiumFixture);
      const older = await conclude(f, plain(FR, DE));
      await time.increase(100);
      const expiresAt = (await time.latest()) + 5000;
      const newer = await conclude(f, plain(FR, DE, { expiresAt }));
      await time.increase(100);
      const t = await time.latest(); // the record's anchoring time, say
      const standing = (at = t, cat = VIDEO) => f.agreements.standingRecognition(FR, DE, cat, at);
      const recognition = (at = t) => f.agreements.recognition(FR, DE, VIDEO, at);
      expect(await recognition()).to.deep.equal([true, newer.id]);
      expect(await standing()).to.deep.equal([true, newer.id]);
      expect(await standing(older.concludedAt)).to.deep.equal([true, older.id]);
      expect(await standing(older.concludedAt - 1)).to.deep.equal([false, 0n]);
      expect(await standing(t, WEBPAGE)).to.deep.equal([false, 0n]);
      expect(await f.agreements.standingRecognition(DE, FR, VIDEO, t)).to.deep.equal([false, 0n]);

      // DE suspends the newer one: at t it was in force, but it does not stand now.
      await gov.setAgreementSuspended(f, f.deCourt, newer.id, true);
      expect(await recognition()).to.deep.equal([true, newer.id]);
      expect(await standing()).to.deep.equal([true, older.id]);
      expect(await recognition(await time.latest())).to.deep.equal([true, older.id]);
      // FR suspends the older one too: nothing stands.
      await gov.setAgreementSuspended(f, f.frAgency, older.id, true);
      expect(await standing()).to.deep.equal([false, 0n]);
      expect(await recognition()).to.deep.equal([true, newer.id]);
      // DE resumes the newer one: it stands again for t.
      await gov.setAgreementSuspended(f, f.deCourt, newer.id, false);
      expect(await standing()).to.deep.equal([true, newer.id]);
      // Once it has expired, it still stands for a time when it was in force (and only for such a time).
      await time.increaseTo(expiresAt + 10);
      expect(await standing()).to.deep.equal([true, newer.id]);
      expect(await standing(expiresAt)).to.deep.equal([false, 0n]);
      // The suspension interval of the newer one is a time when it was not in force.
      const [interval] = await f.agreements.suspensionsOf(newer.id);
      expect(await standing(Number(interval!.since))).to.deep.equal([false, 0n]);
    });
  });

  describe("assistanceTerms: the most recently concluded agreement in force, either direction, with windows", function () {
    it("gives the exact agreement and windows", async function () {
      const f = await loadFixture(consortiumFixture);
      const terms = (a = FR, b = DE) => f.agreements.assistanceTerms(a, b);
      const both = async (expected: [bigint, bigint, bigint]) => {
        expect(await terms(FR, DE)).to.deep.equal(expected);
        expect(await terms(DE, FR)).to.deep.equal(expected);
      };
      await both([0n, 0n, 0n]);
      const a = await conclude(f, plain(FR, DE, { responseWindow: 48 * HOUR, emergencyResponseWindow: 6 * HOUR }));
      await both([a.id, BigInt(48 * HOUR), BigInt(6 * HOUR)]);
      await time.increase(10);
      // The other direction, concluded later, wins for both orders.
      const b = await conclude(
        f,
        plain(DE, FR, { responseWindow: 24 * HOUR, emergencyResponseWindow: 2 * HOUR }),
        f.deCourt,
        f.frAgency,
      );
      await both([b.id, BigInt(24 * HOUR), BigInt(2 * HOUR)]);
      await time.increase(10);
      // An agreement without windows does not count, however recent.
      await conclude(f, plain(FR, DE));
      await both([b.id, BigInt(24 * HOUR), BigInt(2 * HOUR)]);
      // Nor one not in force yet.
      const startsAt = (await time.latest()) + 1000;
      const future = await conclude(f, plain(FR, DE, { responseWindow: HOUR, effectiveFrom: startsAt }));
      await both([b.id, BigInt(24 * HOUR), BigInt(2 * HOUR)]);
      // One window is enough (the other, 0, means the consortium default).
      const d = await conclude(f, plain(FR, DE, { emergencyResponseWindow: HOUR }));
      await both([d.id, 0n, BigInt(HOUR)]);
      // Suspended ones are skipped: back to the previous ones in turn.
      await gov.setAgreementSuspended(f, f.frAgency, d.id, true);
      await both([b.id, BigInt(24 * HOUR), BigInt(2 * HOUR)]);
      await gov.setAgreementSuspended(f, f.frAgency, b.id, true);
      await both([a.id, BigInt(48 * HOUR), BigInt(6 * HOUR)]);
      // Once effective, the future one applies (it was concluded after a and b).
      await time.increaseTo(startsAt);
      await both([future.id, BigInt(HOUR), 0n]);
      // Other pairs are unaffected.
      expect(await terms(FR, NL)).to.deep.equal([0n, 0n, 0n]);
      expect(await terms(FR, FR)).to.deep.equal([0n, 0n, 0n]);
    });

    it("drops an agreement once it has expired", async function () {
      const f = await loadFixture(consortiumFixture);
      const expiresAt = (await time.latest()) + 1000;
      const a = await conclude(f, plain(FR, DE, { responseWindow: 12 * HOUR, expiresAt }));
      expect(await f.agreements.assistanceTerms(DE, FR)).to.deep.equal([a.id, BigInt(12 * HOUR), 0n]);
      await time.increaseTo(expiresAt);
      expect(await f.agreements.assistanceTerms(DE, FR)).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("attack: unconcluded proposals are never scanned", function () {
    it("a governor spamming proposals on a pair changes neither the answers nor their gas", async function () {
      const f = await loadFixture(consortiumFixture);
      const a = await conclude(f, plain(FR, DE, { responseWindow: 12 * HOUR }));
      const t = await time.latest();
      const ask = async () => ({
        recognition: [...(await f.agreements.recognition(FR, DE, VIDEO, t))],
        standing: [...(await f.agreements.standingRecognition(FR, DE, VIDEO, t))],
        terms: [...(await f.agreements.assistanceTerms(FR, DE))],
        between: [...(await f.agreements.agreementsBetween(FR, DE))],
      });
      const gas = async () =>
        Promise.all([
          f.agreements.recognition.estimateGas(FR, DE, VIDEO, t),
          f.agreements.standingRecognition.estimateGas(FR, DE, VIDEO, t),
          f.agreements.assistanceTerms.estimateGas(FR, DE),
        ]);
      const answersBefore = await ask();
      const gasBefore = await gas();
      // FR's governor floods the pair, both directions, with proposals DE never approves.
      const SPAM = 25;
      for (let i = 0; i < SPAM; i++) {
        const [from, to] = i % 2 === 0 ? [FR, DE] : [DE, FR];
        await gov.proposeAgreement(
          f,
          f.frAgency,
          plain(from, to, { responseWindow: HOUR, textHash: ethers.id(`spam ${i}`) as Hex }),
        );
      }
      expect(await f.agreements.agreementCount()).to.equal(BigInt(SPAM + 1));
      expect(await ask()).to.deep.equal(answersBefore);
      expect(answersBefore.recognition).to.deep.equal([true, a.id]);
      expect(await gas()).to.deep.equal(gasBefore);
      expect(await f.agreements.agreementsBetween(DE, FR)).to.deep.equal([]);
    });
  });
});
