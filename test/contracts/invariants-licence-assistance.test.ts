/**
 * Invariants over random sequences of licence and assistance actions (fast-check, seeded, Hardhat's in-process
 * chain), checked against the chain's state after every step — whichever actions the contracts accepted:
 *
 * Licences: random grants by the rights holder and by licensees under random parents, with scopes that may stay
 * inside their parent or widen it (rights, territories, term), random revocations, time passing. After each step,
 * every licence on chain lies inside its parent (rights a subset, territories a subset unless the parent is worldwide,
 * term within the parent's), a sublicence was granted by its parent's licensee and under a sublicensable parent, and
 * a licence one of whose ancestors (or itself) is revoked authorises nothing from the revocation on — for every right
 * and territory it was granted — while one with an intact chain inside its term authorises what its whole chain
 * grants. (Exclusive scopes never overlapping is LicenseRegistry.property.test.ts's walk.)
 *
 * Assistance: random issues, acknowledgements, answers (fulfilled, partial with data still owed, refused),
 * clarification asked and given, impossibility reported, withdrawals, retention extensions and time passing. After
 * each step, each request's stored state moved only along the desk's allowed transitions (terminal states never
 * move; Overdue is never stored), acknowledgement, clarification and withdrawal were accepted exactly when their rule
 * allows, the deadline never moved earlier, the state at any time (`stateAt`) is the SDK's `assistanceStateAt` of the
 * stored request — Overdue derived from time alone —, and retention starts at issue + 90 days, never shrinks, never
 * passes issue + the consortium's maximum, and is not extended for a request refused or withdrawn.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AssistanceDefaults,
  AssistanceStates,
  GrantType,
  assistanceStateAt,
  licenceId,
  signLicenceRequest,
  toCrossproofError,
  toJurisdiction,
  type AssistanceStateName,
  type DataCategoryName,
  type Hex,
} from "../../sdk/src";
import { assistanceFixture, cidOf, hashOf, licenceFixture, type AssistanceFixture } from "../helpers/fixtures";

const SEED = 0x18_b13;
/** A CIDv1 (raw) string, as the SDK takes CIDs. */
const RESPONSE_CID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";
const HOUR = 3600;
const DAY = 24 * HOUR;
const ZERO = ethers.ZeroHash as Hex;

// ---- Licences --------------------------------------------------------------------------------------------------------

const WORK = hashOf("invariant walk work");
/** Territories as bits 0..4. */
const TERR = ["FR", "DE", "ES", "NL", "US"];
const RIGHTS = [1, 2, 4, 8, 16, 32];

type LicenceAction =
  | {
      kind: "grant";
      /** Index into the licences granted so far, or -1 (or beyond): a root licence by the holder. */
      parent: number;
      licensee: number;
      rights: number;
      territories: number;
      worldwide: boolean;
      startFrac: number;
      endFrac: number;
      /** Random rights and territories, and the term stretched past the parent's end (a widening step). */
      widen: boolean;
      sublicensable: boolean;
      /** Signed by someone other than the parent's licensee. */
      wrongLicensor: boolean;
    }
  | { kind: "revoke"; pick: number; byLicensor: boolean }
  | { kind: "wait"; seconds: number };

const licenceAction: fc.Arbitrary<LicenceAction> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("grant" as const),
      parent: fc.integer({ min: -2, max: 12 }),
      licensee: fc.nat({ max: 4 }),
      rights: fc.integer({ min: 1, max: 63 }),
      territories: fc.integer({ min: 1, max: 31 }),
      worldwide: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      startFrac: fc.double({ min: 0, max: 0.5, noNaN: true }),
      endFrac: fc.double({ min: 0.5, max: 1, noNaN: true }),
      widen: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      sublicensable: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
      wrongLicensor: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("revoke" as const),
      pick: fc.nat(),
      byLicensor: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 40 * DAY }) }),
  },
);

/** Refusals a random grant or revocation may meet (a widening step, a wrong licensor…); anything else fails. */
const LICENCE_REFUSALS = new Set([
  "LicenceRightsExceedParent",
  "LicenceTerritoryExceedsParent",
  "LicenceTermExceedsParent",
  "LicenceParentNotSublicensable",
  "LicenceParentNotActive",
  "LicenceNotParentLicensee",
  "LicenceNotRightsHolder",
  "LicenceInvalidSignature",
  "LicenceNotRevocable",
  "LicenceInvalidTerm",
  "LicenceStartsBeforeGrant",
  "LicenceChainTooDeep",
]);

const licenceSeen = {
  roots: 0,
  subs: 0,
  refusedWidening: 0,
  refusedLicensor: 0,
  revoked: 0,
  invalidatedBelow: 0,
  intactAuthorised: 0,
};

async function licenceBase() {
  const f = await licenceFixture();
  const now = await time.latest();
  const signed = await signLicenceRequest(f.holder, f.domain, "RegisterWork", {
    contentHash: WORK,
    fingerprintHash: ZERO,
    rightsHolder: f.holder.address,
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cidOf("invariant walk"),
    deadline: now + HOUR,
  });
  await (await f.licences.registerWork(signed.request, signed.signature)).wait();
  const people = (await ethers.getSigners()).slice(6, 11);
  return { f, people };
}

async function licenceWalk(actions: LicenceAction[]): Promise<void> {
  const { f, people } = await loadFixture(licenceBase);
  /** The licences the chain accepted, with who holds them (the signer a sublicence must come from). */
  const granted: { id: Hex; licensee: HardhatEthersSigner; licensor: HardhatEthersSigner }[] = [];
  let salt = 0;
  const refusal = (err: unknown, expected: Set<string>) => {
    const e = toCrossproofError(err, [f.licences.interface], "licence walk");
    const name = (e.details as { error?: string } | undefined)?.error;
    if (name === undefined || !expected.has(name)) throw err;
    return name;
  };

  for (const [step, a] of actions.entries()) {
    const what = `step ${step}: ${JSON.stringify(a)}`;
    const now = await time.latest();
    if (a.kind === "wait") {
      await time.increase(a.seconds);
    } else if (a.kind === "grant") {
      const parent = a.parent < 0 || granted.length === 0 ? undefined : granted[a.parent % granted.length];
      const p = parent === undefined ? undefined : await f.licences.getLicence(parent.id);
      const parentCovers: string[] = [];
      if (parent !== undefined) {
        for (const t of TERR) if (await f.licences.coversTerritory(parent.id, toJurisdiction(t))) parentCovers.push(t);
      }
      const pStart = p === undefined ? now + 60 : Math.max(Number(p.start), now + 60);
      const pEnd = p === undefined ? now + 400 * DAY : Number(p.end);
      const span = Math.max(pEnd - pStart, 2);
      const start = pStart + Math.floor(span * a.startFrac);
      const end = Math.max(start + 1, pStart + Math.floor(span * a.endFrac)) + (a.widen ? 30 * DAY : 0);
      // Inside the parent unless widening: its rights and territories intersected (never empty).
      let rights = a.rights;
      let territories = a.territories;
      let worldwide = a.worldwide;
      if (p !== undefined && !a.widen) {
        const pr = Number(p.rights);
        rights = pr & a.rights || pr & -pr;
        if (!p.worldwide) {
          const pt = TERR.reduce((m, t, i) => (parentCovers.includes(t) ? m | (1 << i) : m), 0);
          territories = pt & a.territories || pt & -pt;
          worldwide = false;
        }
      }
      const rightful = parent === undefined ? f.holder : parent.licensee;
      const licensor = a.wrongLicensor ? (people.find((x) => x !== rightful) ?? f.outsider) : rightful;
      const licensee = people[a.licensee]!;
      const request = {
        workId: WORK,
        parentId: parent?.id ?? ZERO,
        licensor: licensor.address,
        licensee: licensee.address,
        rights,
        grantType: GrantType.NonExclusive,
        sublicensable: a.sublicensable,
        start,
        backdated: false,
        end,
        worldwide,
        territories: worldwide ? [] : TERR.filter((_, i) => (territories >> i) & 1).map(toJurisdiction),
        agreementHash: ZERO,
        salt: hashOf(`licence walk ${++salt}`),
        deadline: now + HOUR,
      };
      const signed = await signLicenceRequest(licensor, f.domain, "GrantLicence", request);
      try {
        await (await f.licences.grantLicence(signed.request, signed.signature)).wait();
        granted.push({
          id: licenceId(WORK, request.parentId, licensor.address, licensee.address, request.salt),
          licensee,
          licensor,
        });
        if (parent === undefined) licenceSeen.roots++;
        else licenceSeen.subs++;
      } catch (err) {
        const name = refusal(err, LICENCE_REFUSALS);
        if (/Exceed/.test(name)) licenceSeen.refusedWidening++;
        if (/NotParentLicensee|NotRightsHolder/.test(name)) licenceSeen.refusedLicensor++;
      }
    } else if (granted.length > 0) {
      // The older half: licences more likely to have some below them.
      const l = granted[a.pick % Math.ceil(granted.length / 2)]!;
      const by = a.byLicensor ? l.licensor : l.licensee;
      const signed = await signLicenceRequest(by, f.domain, "RevokeLicence", {
        licenceId: l.id,
        reasonHash: hashOf(`revoked at step ${step}`),
        nonce: await f.licences.nonces(by.address),
        deadline: now + HOUR,
      });
      try {
        await (await f.licences.revokeLicence(signed.request, signed.signature)).wait();
        licenceSeen.revoked++;
        expect(by.address, `${what}: revoked by someone else than its licensor`).to.equal(l.licensor.address);
      } catch (err) {
        refusal(err, LICENCE_REFUSALS);
      }
    }

    // The chain's state, whatever was accepted.
    const at = await time.latest();
    const byId = new Map<string, Awaited<ReturnType<typeof f.licences.getLicence>>>();
    const covers = new Map<string, string[]>();
    for (const g of granted) {
      byId.set(g.id, await f.licences.getLicence(g.id));
      const t: string[] = [];
      for (const c of TERR) if (await f.licences.coversTerritory(g.id, toJurisdiction(c))) t.push(c);
      covers.set(g.id, t);
    }
    for (const g of granted) {
      const l = byId.get(g.id)!;
      const ancestors: (typeof l)[] = [];
      for (let q = l; q.parentId !== ZERO;) {
        q = byId.get(q.parentId) ?? (await f.licences.getLicence(q.parentId));
        ancestors.push(q);
      }
      const parent = ancestors[0];
      if (parent !== undefined) {
        expect(Number(l.rights) & ~Number(parent.rights), `${what}: rights inside the parent`).to.equal(0);
        expect(Number(l.start), `${what}: starts inside the parent`).to.be.at.least(Number(parent.start));
        expect(Number(l.end), `${what}: ends inside the parent`).to.be.at.most(Number(parent.end));
        expect(parent.sublicensable, `${what}: parent sublicensable`).to.equal(true);
        expect(l.licensor, `${what}: granted by the parent's licensee`).to.equal(parent.licensee);
        if (!parent.worldwide) {
          expect(l.worldwide, `${what}: not worldwide under a territorial parent`).to.equal(false);
          const inParent = covers.get(l.parentId) ?? [];
          for (const t of covers.get(g.id)!) expect(inParent, `${what}: ${t} in the parent`).to.include(t);
        }
      }
      // Revocation invalidates everything below; an intact chain inside its term authorises its scope.
      const chain = [l, ...ancestors];
      const revoked = chain.some((c) => Number(c.revokedAt) !== 0 && Number(c.revokedAt) <= at);
      const right = RIGHTS.find((r) => (Number(l.rights) & r) !== 0)!;
      const territories = covers.get(g.id)!;
      if (revoked) {
        for (const t of territories) {
          const [reason] = await f.licences.verifyAuthorization(g.id, right, toJurisdiction(t), at);
          expect(Number(reason), `${what}: a revoked chain authorises nothing (${t})`).to.not.equal(0);
        }
        if (Number(l.revokedAt) === 0) licenceSeen.invalidatedBelow++;
      } else if (territories.length > 0 && chain.every((c) => Number(c.start) <= at && at < Number(c.end))) {
        const [reason] = await f.licences.verifyAuthorization(g.id, right, toJurisdiction(territories[0]!), at);
        expect(Number(reason), `${what}: an intact chain authorises its own scope`).to.equal(0);
        licenceSeen.intactAuthorised++;
      }
    }
  }
}

// ---- Assistance ------------------------------------------------------------------------------------------------------

const S = AssistanceStates;
type State = AssistanceStateName;
const TERMINAL = new Set<State>([
  "Fulfilled",
  "Refused",
  "Withdrawn",
  "ExecutionImpossible",
  "RefusedByEnforcingAuthority",
]);
/** The stored state's allowed moves (PartiallyFulfilled moves only while data are still owed). */
const ALLOWED: Readonly<Record<State, readonly State[]>> = {
  None: ["Issued"],
  Issued: [
    "Acknowledged",
    "Fulfilled",
    "PartiallyFulfilled",
    "Refused",
    "AwaitingClarification",
    "ExecutionImpossible",
    "Withdrawn",
    "RefusedByEnforcingAuthority",
  ],
  Acknowledged: [
    "Fulfilled",
    "PartiallyFulfilled",
    "Refused",
    "AwaitingClarification",
    "ExecutionImpossible",
    "Withdrawn",
  ],
  AwaitingClarification: ["Acknowledged", "Withdrawn", "ExecutionImpossible", "RefusedByEnforcingAuthority"],
  PartiallyFulfilled: [
    "Fulfilled",
    "PartiallyFulfilled",
    "Refused",
    "ExecutionImpossible",
    "Withdrawn",
    "RefusedByEnforcingAuthority",
  ],
  Overdue: [],
  Fulfilled: [],
  Refused: [],
  Withdrawn: [],
  ExecutionImpossible: [],
  RefusedByEnforcingAuthority: [],
};

type AssistAction =
  | { kind: "issue"; emergency: boolean }
  | { kind: "ack"; pick: number }
  | { kind: "answer"; pick: number; outcome: "Fulfilled" | "PartiallyFulfilled" | "Refused"; owed: boolean }
  | { kind: "askClarification"; pick: number }
  | { kind: "giveClarification"; pick: number }
  | { kind: "impossible"; pick: number }
  | { kind: "withdraw"; pick: number }
  | { kind: "extend"; pick: number; days: number }
  | { kind: "wait"; seconds: number };

const pick = fc.nat();
const assistAction: fc.Arbitrary<AssistAction> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("issue" as const), emergency: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("ack" as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      pick,
      outcome: fc.constantFrom("Fulfilled" as const, "PartiallyFulfilled" as const, "Refused" as const),
      owed: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("askClarification" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("giveClarification" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("impossible" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("withdraw" as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("extend" as const), pick, days: fc.integer({ min: -5, max: 400 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 5 * DAY }) }),
  },
);

/** Refusals a random step may meet; anything else fails the property. */
const ASSIST_REFUSALS = new Set([
  "AssistanceInvalidState",
  "AssistanceInvalidRetention",
  "AssistanceRetentionBeyondMaximum",
]);

const assistSeen: Record<string, number> = { overdue: 0, extended: 0, clarified: 0, refusedSteps: 0, partialOwed: 0 };

async function assistanceWalk(actions: AssistAction[]): Promise<void> {
  const f: AssistanceFixture = await loadFixture(assistanceFixture);
  // FR agency (member 1) asks the US platform (member 4).
  const requester = f.frAgency;
  const addressee = f.usPlatform;
  const ids: Hex[] = [];
  const last = new Map<Hex, { state: State; deadline: number; retentionUntil: number; issuedAt: number }>();
  let salt = 0;
  const send = async (signed: Promise<{ wait(): Promise<unknown> }>) => {
    try {
      await (await signed).wait();
      return true;
    } catch (err) {
      const e = toCrossproofError(err, [f.desk.interface], "assistance walk");
      const name = (e.details as { error?: string } | undefined)?.error;
      if (name === undefined || !ASSIST_REFUSALS.has(name)) throw err;
      assistSeen.refusedSteps!++;
      assistSeen[name] = (assistSeen[name] ?? 0) + 1;
      return false;
    }
  };
  /** The desk's rule: Issued, Acknowledged, or PartiallyFulfilled with data still owed. */
  const owesAnswer = async (rid: Hex, state: State) =>
    state === "Issued" ||
    state === "Acknowledged" ||
    (state === "PartiallyFulfilled" && Number((await f.desk.getOrder(rid)).owedCategories) !== 0);
  const submit = async <T>(p: Promise<T>) => send(p.then((s) => f.client.submit(s as never, f.deployer)));

  // Every walk starts with a request, so that its other steps have one to act on.
  for (const [step, a] of [{ kind: "issue" as const, emergency: false }, ...actions].entries()) {
    const what = `step ${step}: ${JSON.stringify(a)}`;
    const id = a.kind === "issue" || a.kind === "wait" || ids.length === 0 ? undefined : ids[a.pick % ids.length]!;
    const before = id === undefined ? undefined : last.get(id);
    const now = await time.latest();
    let accepted: boolean | undefined;
    switch (a.kind) {
      case "issue": {
        const signed = await f.client.signIssue(requester, {
          addressee: 4,
          kind: "Produce",
          ...(a.emergency
            ? { emergency: { reason: "ImminentThreatToLife", justificationHash: hashOf("threat") } }
            : {}),
          caseRef: hashOf("case walk"),
          dataCategories: ["SUBSCRIBER", "TRAFFIC"],
          firstUpload: "US",
          primaryDissemination: "FR",
          legalBasisHash: hashOf("legal basis"),
          salt: hashOf(`assist walk ${++salt}`),
        });
        const { requestId } = await (await f.client.submit(signed, f.deployer)).wait();
        ids.push(requestId);
        const q = await f.desk.getRequest(requestId);
        expect(S[Number(q.state)], `${what}: issued`).to.equal("Issued");
        // Retention starts at issue + the retention period (the consortium's default here).
        expect(Number(q.retentionUntil) - Number(q.issuedAt), `${what}: retention at issue`).to.equal(
          AssistanceDefaults.retentionPeriod,
        );
        break;
      }
      case "ack":
        if (id === undefined) break;
        accepted = await submit(f.client.signAcknowledge(addressee, { requestId: id }));
        expect(accepted, `${what}: acknowledged exactly when Issued`).to.equal(before!.state === "Issued");
        break;
      case "answer": {
        if (id === undefined) break;
        const owed: { categories: readonly DataCategoryName[]; hash: string } | undefined =
          a.outcome === "PartiallyFulfilled" && a.owed ? { categories: ["TRAFFIC"], hash: hashOf("owed") } : undefined;
        accepted = await submit(
          f.client.signAnswer(
            addressee,
            a.outcome === "Refused"
              ? { requestId: id, outcome: "Refused", refusalGrounds: "DATA_NOT_HELD" }
              : {
                  requestId: id,
                  outcome: a.outcome,
                  responseHash: hashOf(`response ${step}`),
                  responseCid: RESPONSE_CID,
                  ...(owed === undefined ? {} : { owed }),
                },
          ),
        );
        if (accepted && owed !== undefined) assistSeen.partialOwed!++;
        break;
      }
      case "askClarification":
        if (id === undefined) break;
        accepted = await submit(
          f.client.signRequestClarification(addressee, {
            requestId: id,
            reason: "InsufficientInformation",
            questionHash: hashOf(`question ${step}`),
          }),
        );
        expect(accepted, `${what}: clarification asked exactly while Issued/Acknowledged and on time`).to.equal(
          (before!.state === "Issued" || before!.state === "Acknowledged") && now <= before!.deadline,
        );
        break;
      case "giveClarification":
        if (id === undefined) break;
        accepted = await submit(
          f.client.signProvideClarification(requester, { requestId: id, answerHash: hashOf(`answer ${step}`) }),
        );
        expect(accepted, `${what}: clarification given exactly while awaited`).to.equal(
          before!.state === "AwaitingClarification",
        );
        if (accepted) assistSeen.clarified!++;
        break;
      case "impossible": {
        if (id === undefined) break;
        const owes = await owesAnswer(id, before!.state);
        accepted = await submit(
          f.client.signReportImpossibility(addressee, {
            requestId: id,
            reasons: ["DataNotStored"],
            detailsHash: hashOf(`impossible ${step}`),
          }),
        );
        expect(
          accepted,
          `${what}: impossibility reported exactly while an answer is owed or clarification awaited`,
        ).to.equal(owes || before!.state === "AwaitingClarification");
        break;
      }
      case "withdraw": {
        if (id === undefined) break;
        const owes = await owesAnswer(id, before!.state);
        accepted = await submit(f.client.signWithdraw(requester, { requestId: id, reasonHash: hashOf("withdrawn") }));
        expect(accepted, `${what}: withdrawn exactly while an answer is owed or clarification awaited`).to.equal(
          owes || before!.state === "AwaitingClarification",
        );
        break;
      }
      case "extend": {
        if (id === undefined) break;
        const until = before!.retentionUntil + a.days * DAY;
        accepted = await submit(f.client.signExtendRetention(requester, { requestId: id, retentionUntil: until }));
        const max = before!.issuedAt + AssistanceDefaults.maxRetentionPeriod;
        if (accepted) {
          assistSeen.extended!++;
          expect(["Refused", "Withdrawn"], `${what}: nothing kept for it`).to.not.include(before!.state);
          expect(until, `${what}: within the maximum`).to.be.at.most(max);
          expect(until, `${what}: later`).to.be.above(before!.retentionUntil);
        } else if (a.days > 0 && until <= max && now + 1 < before!.retentionUntil) {
          expect(["Refused", "Withdrawn"], `${what}: refused only for a request refused or withdrawn`).to.include(
            before!.state,
          );
        }
        break;
      }
      case "wait":
        await time.increase(a.seconds);
        break;
    }

    // Every request, whatever was accepted.
    const at = await time.latest();
    for (const rid of ids) {
      const q = await f.desk.getRequest(rid);
      const o = await f.desk.getOrder(rid);
      const state = S[Number(q.state)]!;
      const was = last.get(rid);
      expect(state, `${what}: Overdue is never stored`).to.not.equal("Overdue");
      if (was !== undefined && was.state !== state) {
        expect(ALLOWED[was.state], `${what}: ${was.state} → ${state}`).to.include(state);
        expect(TERMINAL.has(was.state), `${what}: a terminal state moved`).to.equal(false);
      }
      const deadline = Number(q.deadline);
      const retentionUntil = Number(q.retentionUntil);
      if (was !== undefined) {
        expect(deadline, `${what}: the deadline never moves earlier`).to.be.at.least(was.deadline);
        expect(retentionUntil, `${what}: retention never shrinks`).to.be.at.least(was.retentionUntil);
      }
      expect(retentionUntil - Number(q.issuedAt), `${what}: retention within the maximum`).to.be.at.most(
        AssistanceDefaults.maxRetentionPeriod,
      );
      // Overdue is derived from time: the contract's stateAt is the SDK's rule on the stored request, at any time.
      const clock = {
        state,
        deadline,
        owedCategories: Number(o.owedCategories),
        clarificationPauses: !o.clockRunsWhileClarifying,
      };
      for (const t of [at, deadline, deadline + 1, at + 30 * DAY]) {
        const onChain = S[Number(await f.desk.stateAt(rid, t))];
        expect(onChain, `${what}: stateAt(${t - at})`).to.equal(assistanceStateAt(clock, t));
      }
      if (assistanceStateAt(clock, at) === "Overdue") assistSeen.overdue!++;
      last.set(rid, { state, deadline, retentionUntil, issuedAt: Number(q.issuedAt) });
    }
  }
}

describe("Invariants: random licence and assistance walks (seeded)", function () {
  this.timeout(600_000);

  it("licences: sublicences always inside their parents; a revocation invalidates everything below it", async function () {
    await fc.assert(fc.asyncProperty(fc.array(licenceAction, { minLength: 4, maxLength: 14 }), licenceWalk), {
      seed: SEED,
      numRuns: 8,
      endOnFailure: true,
    });
    // The walks met each case (the property is not vacuous).
    expect(licenceSeen.roots, "root licences").to.be.above(0);
    expect(licenceSeen.subs, "sublicences").to.be.above(0);
    expect(licenceSeen.refusedWidening, "widening refused").to.be.above(0);
    expect(licenceSeen.revoked, "revocations").to.be.above(0);
    expect(licenceSeen.invalidatedBelow, "descendants of a revoked licence checked").to.be.above(0);
    expect(licenceSeen.intactAuthorised, "intact chains authorising").to.be.above(0);
    expect(licenceSeen.refusedLicensor, "grants by someone else than the parent's licensee refused").to.be.above(0);
  });

  it("assistance: allowed transitions only, Overdue derived from time, retention bounded", async function () {
    await fc.assert(fc.asyncProperty(fc.array(assistAction, { minLength: 4, maxLength: 20 }), assistanceWalk), {
      seed: SEED,
      numRuns: 10,
      endOnFailure: true,
    });
    expect(assistSeen.overdue, "overdue requests seen").to.be.above(0);
    expect(assistSeen.extended, "retention extended").to.be.above(0);
    expect(assistSeen.clarified, "clarification round trips").to.be.above(0);
    expect(assistSeen.refusedSteps, "steps refused by the desk").to.be.above(0);
    expect(assistSeen.partialOwed, "partial answers with data still owed").to.be.above(0);
  });
});
