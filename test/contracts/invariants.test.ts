/**
 * Invariants over random sequences of governance and key actions (fast-check, seeded, Hardhat's in-process chain),
 * checked against a small model after every step: quorum arithmetic (a proposal executes exactly when its yes votes
 * reach numerator/denominator of the eligible governors), no double vote, no vote after execution or expiry, and a
 * key's signatures refused from the block that revokes it while the member's other key goes on working, and a member
 * suspended by a passed proposal unable to anchor from its suspension until a passed reinstatement.
 *
 * Custody: random events by random members on one record; every accepted event links to the one before (the SDK's
 * verifier recomputes the hash chain up to the head on chain and finds it intact), custody moves only by a receipt
 * of the pending recipient, and only the custodian records custodial events.
 *
 * Sublicences staying inside their parents and exclusive scopes never overlapping are the properties of
 * LicenseRegistry.property.test.ts (random chains of grants, widening steps, exclusive grants); random licence and
 * assistance walks (revocation invalidating descendants, the desk's transitions, Overdue and retention) are in
 * invariants-licence-assistance.test.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import * as gov from "../helpers/governance";
import {
  CustodyEventType,
  EvidenceClient,
  encodeProposal,
  recordIdOf,
  signEvidenceRequest,
  verifyCustodyChain,
  type Hex,
} from "../../sdk/src";
import { cidOf, evidenceFixture, hashOf, WEEK, type EvidenceFixture } from "../helpers/fixtures";

const SEED = 0x18_1a7;
const HOUR = 3600;

type Action =
  | { kind: "propose"; by: number; status: boolean }
  | { kind: "platformAnchors" }
  | { kind: "vote"; by: number; proposal: number; support: boolean }
  | { kind: "rotateKey"; member: number }
  | { kind: "useRevokedKey"; member: number; proposal: number }
  | { kind: "wait"; long: boolean };

/** Governors are members 1, 2 and 3 (indexes 0..2). */
const governor = fc.integer({ min: 0, max: 2 });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ by: governor, status: fc.integer({ min: 0, max: 2 }).map((n) => n > 0) })
      .map((r) => ({ kind: "propose" as const, ...r })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "platformAnchors" as const }) },
  {
    weight: 6,
    arbitrary: fc
      .record({ by: governor, proposal: fc.nat(), support: fc.boolean() })
      .map((r) => ({ kind: "vote" as const, ...r })),
  },
  { weight: 1, arbitrary: governor.map((member) => ({ kind: "rotateKey" as const, member })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ member: governor, proposal: fc.nat() })
      .map((r) => ({ kind: "useRevokedKey" as const, ...r })),
  },
  { weight: 1, arbitrary: fc.boolean().map((long) => ({ kind: "wait" as const, long })) },
);

interface ModelProposal {
  id: bigint;
  votes: Map<number, boolean>;
  executed: boolean;
  expiresAt: number;
  /** Suspends (true) or reinstates (false) member 4 when executed; undefined: a plain parameter. */
  suspends?: boolean;
}

/** What the governance walks did, over all runs: the property is not vacuous if each case happened. */
const govSeen = {
  executed: 0,
  doubleVote: 0,
  afterExecution: 0,
  expired: 0,
  revokedKey: 0,
  suspendedRefused: 0,
  reinstatedAnchors: 0,
};

/** Runs one random sequence against a fresh consortium and checks the model after every step. */
async function run(actions: Action[]): Promise<void> {
  const f: EvidenceFixture = await loadFixture(evidenceFixture);
  /** Member 4 (US platform, not a governor): suspended and reinstated by proposals, anchoring in between. */
  let platformActive = true;
  let everSuspended = false;
  const [numerator, denominator] = [2, 3];
  const eligible = 3;
  /** Each governor's current key and the keys it revoked. */
  const keys: HardhatEthersSigner[] = [f.frAgency, f.deCourt, f.nlOperator];
  const revoked: HardhatEthersSigner[][] = [[], [], []];
  const spare = [...f.spare];
  const proposals: ModelProposal[] = [];
  const quorum = (yes: number) => yes > 0 && yes * denominator >= numerator * eligible;
  const now = async () => (await f.deployer.provider.getBlock("latest"))!.timestamp;

  for (const [step, a] of actions.entries()) {
    const what = `step ${step}: ${JSON.stringify(a)}`;
    switch (a.kind) {
      case "propose": {
        // A status proposal for member 4 only while no other one is open (so each executes against a known status).
        const t = (await now()) + 1;
        const statusOpen = proposals.some((p) => p.suspends !== undefined && !p.executed && t <= p.expiresAt);
        const suspends = a.status && !statusOpen ? platformActive : undefined;
        const e =
          suspends === undefined
            ? encodeProposal({ kind: "SetParameter", name: `crossproof.test.p${step}`, value: step })
            : encodeProposal({ kind: suspends ? "SuspendMember" : "ReinstateMember", memberId: 4 });
        await (await gov.propose(f, keys[a.by]!, e.kind, e.payload)).wait();
        const id = await f.governance.proposalCount();
        const p = await f.governance.getProposal(id);
        // The proposer's yes is its vote; with three governors and 2/3 it alone does not pass.
        proposals.push({
          id,
          votes: new Map([[a.by, true]]),
          executed: quorum(1),
          expiresAt: Number(p.expiresAt),
          ...(suspends === undefined ? {} : { suspends }),
        });
        break;
      }
      case "platformAnchors": {
        // A suspended member's keys sign nothing from the suspension on; reinstated, they sign again.
        const t = await time.latest();
        const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorEvidence", {
          contentHash: hashOf(`platform ${step} ${t}`),
          packageCid: cidOf(`platform ${step}`),
          category: 1,
          firstUpload: "0x5553",
          primaryDissemination: "0x5553",
          caseRef: hashOf("case"),
          collectedAt: t - 3600,
          supersedes: ("0x" + "00".repeat(32)) as Hex,
          deadline: t + 3600,
        });
        const tx = f.registry.connect(f.deployer).anchorEvidence(signed.request, signed.signature);
        if (platformActive) {
          await (await tx).wait();
          if (everSuspended) govSeen.reinstatedAnchors++;
        } else {
          await expect(tx, what).to.be.reverted;
          govSeen.suspendedRefused++;
        }
        break;
      }
      case "vote": {
        if (proposals.length === 0) break;
        const p = proposals[a.proposal % proposals.length]!;
        const expired = (await now()) + 1 > p.expiresAt;
        const tx = gov.vote(f, keys[a.by]!, p.id, a.support);
        if (p.executed) {
          await expect(tx, what).to.be.revertedWithCustomError(f.governance, "GovernanceProposalAlreadyExecuted");
          govSeen.afterExecution++;
        } else if (expired) {
          await expect(tx, what).to.be.revertedWithCustomError(f.governance, "GovernanceProposalExpired");
          govSeen.expired++;
        } else if (p.votes.has(a.by)) {
          await expect(tx, what).to.be.revertedWithCustomError(f.governance, "GovernanceAlreadyVoted");
          govSeen.doubleVote++;
        } else {
          await (await tx).wait();
          p.votes.set(a.by, a.support);
          p.executed = quorum([...p.votes.values()].filter(Boolean).length);
          if (p.executed) govSeen.executed++;
          if (p.executed && p.suspends !== undefined) {
            platformActive = !p.suspends;
            everSuspended ||= p.suspends;
          }
        }
        break;
      }
      case "rotateKey": {
        // The member adds a fresh key, then revokes the old one with it.
        const memberId = a.member + 1;
        const old = keys[a.member]!;
        const next = spare.shift();
        if (next === undefined) break;
        await (await gov.addOwnKey(f, old, next, memberId)).wait();
        await (await gov.revokeOwnKey(f, next, memberId, old.address)).wait();
        keys[a.member] = next;
        revoked[a.member]!.push(old);
        expect((await f.consortium.signerInfo(old.address)).memberId, what).to.equal(BigInt(memberId));
        break;
      }
      case "useRevokedKey": {
        const old = revoked[a.member]!.at(-1);
        if (old === undefined) break;
        // From its revocation on, the old key can neither propose nor vote, whatever the proposal's state.
        const e = encodeProposal({ kind: "SetParameter", name: `crossproof.test.r${step}`, value: step });
        await expect(gov.propose(f, old, e.kind, e.payload), what).to.be.reverted;
        govSeen.revokedKey++;
        if (proposals.length > 0) {
          const p = proposals[a.proposal % proposals.length]!;
          await expect(gov.vote(f, old, p.id, true), what).to.be.reverted;
        }
        break;
      }
      case "wait":
        // An hour, or past every open proposal's voting period (never near an expiry: no boundary to straddle).
        await time.increase(a.long ? WEEK + 24 * HOUR : HOUR);
        break;
    }

    // The chain agrees with the model after every step.
    expect((await f.consortium.getMember(4)).status, what).to.equal(platformActive ? 1n : 2n);
    expect(await f.governance.proposalCount(), what).to.equal(BigInt(proposals.length));
    for (const p of proposals) {
      const [yes, no, eligibleNow] = await f.governance.tally(p.id);
      const modelYes = [...p.votes.values()].filter(Boolean).length;
      expect([yes, no, eligibleNow], `${what}, proposal ${p.id}`).to.deep.equal([
        BigInt(modelYes),
        BigInt(p.votes.size - modelYes),
        BigInt(eligible),
      ]);
      const onChain = await f.governance.getProposal(p.id);
      expect(onChain.executed, `${what}, proposal ${p.id}`).to.equal(p.executed);
      // Quorum arithmetic: executed exactly when yes × denominator ≥ numerator × eligible.
      expect(onChain.executed, `${what}, proposal ${p.id}`).to.equal(quorum(Number(yes)));
      for (const m of [0, 1, 2]) {
        const v = await f.governance.voteOf(p.id, m + 1);
        expect(v, `${what}, proposal ${p.id}, member ${m + 1}`).to.equal(
          p.votes.has(m) ? (p.votes.get(m) ? 1n : 2n) : 0n,
        );
      }
    }
  }
}

interface CustodyStep {
  actor: number;
  type: number;
  counterparty: number;
  /** Send it as the current custodian (or the pending recipient, for a receipt) rather than `actor`. */
  asCustodian: boolean;
}
const custodyStep: fc.Arbitrary<CustodyStep> = fc.record({
  actor: fc.integer({ min: 0, max: 4 }),
  type: fc.oneof(
    fc.integer({ min: 0, max: 11 }),
    fc.constantFrom(CustodyEventType.Transferred, CustodyEventType.Received, CustodyEventType.Returned),
  ),
  counterparty: fc.integer({ min: 0, max: 5 }),
  asCustodian: fc.boolean(),
});

/** Sharing events, which members other than the custodian may record. */
const SHARING = new Set<number>([CustodyEventType.Accessed, CustodyEventType.RecipientAdded]);

/** What the custody walks did, over all runs: the property is not vacuous if transfers were received. */
const custodySeen = { accepted: 0, received: 0, refused: 0 };

async function runCustody(steps: CustodyStep[]): Promise<void> {
  const f: EvidenceFixture = await loadFixture(evidenceFixture);
  const members = [f.frAgency, f.deCourt, f.nlOperator, f.usPlatform, f.esRegistry];
  const now = await time.latest();
  const anchorSigned = await signEvidenceRequest(f.frAgency, f.domain, "AnchorEvidence", {
    contentHash: hashOf("custody walk"),
    packageCid: cidOf("custody walk package"),
    category: 1,
    firstUpload: "0x4652",
    primaryDissemination: "0x4652",
    caseRef: hashOf("case"),
    collectedAt: now - 3600,
    supersedes: ("0x" + "00".repeat(32)) as Hex,
    deadline: now + 3600,
  });
  await (await f.registry.connect(f.deployer).anchorEvidence(anchorSigned.request, anchorSigned.signature)).wait();
  const id: Hex = recordIdOf(1n, anchorSigned.request.contentHash);
  const client = await EvidenceClient.connect(await f.registry.getAddress(), f.deployer);
  let accepted = 0;

  for (const [i, s] of steps.entries()) {
    const before = await f.registry.custodyOf(id);
    const actorIndex = s.asCustodian
      ? Number(
          s.type === CustodyEventType.Received && before.pendingRecipient !== 0n
            ? before.pendingRecipient
            : before.custodian,
        ) - 1
      : s.actor;
    const actor = BigInt(actorIndex + 1);
    const t = await time.latest();
    const signed = await signEvidenceRequest(members[actorIndex]!, f.domain, "RecordCustody", {
      recordId: id,
      eventType: s.type,
      // A receipt sent as the pending recipient names the sender, as a real one does.
      counterparty:
        s.asCustodian && s.type === CustodyEventType.Received && before.pendingRecipient !== 0n
          ? before.custodian
          : s.counterparty,
      occurredAt: t,
      detailsHash: hashOf(`details ${i}`),
      nonce: await f.registry.nonces(members[actorIndex]!.address),
      deadline: t + 3600,
    });
    let ok = true;
    try {
      await (await f.registry.connect(f.deployer).recordCustody(signed.request, signed.signature)).wait();
    } catch {
      ok = false;
    }
    const after = await f.registry.custodyOf(id);
    const what = `step ${i}: ${JSON.stringify({ ...s, actor: Number(actor) })}, accepted ${ok}`;
    if (ok) accepted++;
    custodySeen[ok ? (s.type === CustodyEventType.Received ? "received" : "accepted") : "refused"]++;
    expect(after.count, what).to.equal(BigInt(accepted));
    if (!ok) {
      expect([after.custodian, after.pendingRecipient, after.head], what).to.deep.equal([
        before.custodian,
        before.pendingRecipient,
        before.head,
      ]);
    } else if (s.type === CustodyEventType.Received) {
      // Custody moves only to the member a transfer was waiting on, by its own receipt.
      expect(actor, what).to.equal(before.pendingRecipient);
      expect([after.custodian, after.pendingRecipient], what).to.deep.equal([actor, 0n]);
    } else {
      expect(after.custodian, what).to.equal(before.custodian);
      // Custodial events are the custodian's alone (the anchoring member may also share).
      if (!SHARING.has(s.type)) expect(actor, what).to.equal(before.custodian);
    }
    // The chain is linked: the SDK's verifier recomputes every hash from the events up to the head on chain.
    const v = verifyCustodyChain(id, 1n, (await client.custodyChain(id)).events, after.head);
    expect(v.intact, `${what}: ${v.problems.join("; ")}`).to.equal(true);
    expect([v.custodian, v.pendingRecipient], what).to.deep.equal([after.custodian, after.pendingRecipient]);
    expect(v.status, what).to.be.oneOf(accepted === 0 ? ["NO_CUSTODY_RECORDED"] : ["COMPLETE", "TRANSFER_PENDING"]);
  }
}

describe("contract invariants over random action sequences (property-based)", function () {
  this.timeout(240_000);

  it("governance: quorum arithmetic, no double vote, no vote after execution or expiry, revoked keys and suspended members refused", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 25, maxLength: 45 }), async (actions) => run(actions)),
      { seed: SEED, numRuns: 25, endOnFailure: true },
    );
    for (const [k, n] of Object.entries(govSeen)) expect(n, `${k}: ${JSON.stringify(govSeen)}`).to.be.greaterThan(0);
  });

  it("custody: every accepted event linked to the one before, custody moved only by the pending recipient's receipt", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(custodyStep, { minLength: 15, maxLength: 30 }), async (steps) => runCustody(steps)),
      { seed: SEED + 1, numRuns: 12, endOnFailure: true },
    );
    expect(custodySeen.received, JSON.stringify(custodySeen)).to.be.greaterThan(0);
    expect(custodySeen.accepted, JSON.stringify(custodySeen)).to.be.greaterThan(custodySeen.received);
    expect(custodySeen.refused, JSON.stringify(custodySeen)).to.be.greaterThan(0);
  });
});
