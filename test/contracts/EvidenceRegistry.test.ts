import { expect } from "chai";
import * as gov from "../helpers/governance";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  CustodyEventType,
  EvidenceBatch,
  EvidenceStatus,
  Role,
  Verdict,
  batchLeaf,
  contractDomain,
  custodyEventHash,
  encodeProposal,
  recordFieldsHash,
  signEvidenceRequest,
  toJurisdiction,
  verifyBatchInclusion,
  type AnchorBatchRequest,
  type AnchorEvidenceRequest,
  type Hex,
  type RecordCustodyRequest,
} from "../../sdk/src";
import { cidOf, evidenceFixture, hashOf, type EvidenceFixture } from "../helpers/fixtures";

const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");
const VIDEO = 1;
const ZERO = ethers.ZeroHash as Hex;

async function anchorRequest(overrides: Partial<AnchorEvidenceRequest> = {}): Promise<AnchorEvidenceRequest> {
  const now = await time.latest();
  return {
    contentHash: hashOf("package-1"),
    packageCid: cidOf("encrypted-package-1"),
    category: VIDEO,
    jurisdiction: FR,
    caseRef: hashOf("case FR-2026-0042"),
    collectedAt: now - 3600,
    supersedes: ZERO,
    deadline: now + 3600,
    ...overrides,
  };
}

async function anchor(f: EvidenceFixture, by: HardhatEthersSigner, overrides: Partial<AnchorEvidenceRequest> = {}) {
  const signed = await signEvidenceRequest(by, f.domain, "AnchorEvidence", await anchorRequest(overrides));
  return {
    signed,
    /** Sends the request (on each access). */
    get tx() {
      return f.registry.connect(f.deployer).anchorEvidence(signed.request, signed.signature);
    },
  };
}

async function custody(
  f: EvidenceFixture,
  by: HardhatEthersSigner,
  evidenceId: Hex,
  eventType: number,
  counterparty = 0,
  overrides: Partial<RecordCustodyRequest> = {},
) {
  const now = await time.latest();
  const request: RecordCustodyRequest = {
    evidenceId,
    eventType,
    counterparty,
    occurredAt: now,
    detailsHash: hashOf(`details ${eventType}`),
    nonce: await f.registry.nonces(by.address),
    deadline: now + 3600,
    ...overrides,
  };
  const signed = await signEvidenceRequest(by, f.domain, "RecordCustody", request);
  return {
    signed,
    /** Sends the request (on each access). */
    get tx() {
      return f.registry.connect(f.deployer).recordCustody(signed.request, signed.signature);
    },
  };
}

describe("EvidenceRegistry", function () {
  describe("anchorEvidence", function () {
    it("anchors a signed, relayed request; the signer is the actor", async function () {
      const f = await loadFixture(evidenceFixture);
      const { signed, tx } = await anchor(f, f.frAgency);
      const r = signed.request;
      await expect(tx)
        .to.emit(f.registry, "EvidenceAnchored")
        .withArgs(r.contentHash, 1, r.caseRef, f.frAgency.address, r.packageCid, VIDEO, FR, r.collectedAt, ZERO);
      const e = await f.registry.getEvidence(r.contentHash);
      expect(e.status).to.equal(BigInt(EvidenceStatus.Active));
      expect(e.memberId).to.equal(1n);
      expect(e.anchoredAt).to.equal(BigInt(await time.latest()));
      expect(e.collectedAt).to.equal(BigInt(r.collectedAt));
      expect(e.category).to.equal(BigInt(VIDEO));
      expect(e.jurisdiction).to.equal(FR);
      expect(e.fieldsHash).to.equal(recordFieldsHash(f.frAgency.address, r.packageCid, r.caseRef));
      expect(await f.registry.recordFieldsMatch(r.contentHash, f.frAgency.address, r.packageCid, r.caseRef)).to.equal(
        true,
      );
      expect(await f.registry.recordFieldsMatch(r.contentHash, f.deCourt.address, r.packageCid, r.caseRef)).to.equal(
        false,
      );
      const c = await f.registry.custodyOf(r.contentHash);
      expect([c.custodian, c.count, c.head]).to.deep.equal([1n, 0n, r.contentHash]);
    });

    it("anchors once: the same content hash twice is refused", async function () {
      const f = await loadFixture(evidenceFixture);
      const first = await anchor(f, f.frAgency);
      await first.tx;
      const again = await anchor(f, f.deCourt, { packageCid: cidOf("other") });
      await expect(again.tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored")
        .withArgs(hashOf("package-1"));
      // Replaying the very same signed request is refused the same way: an anchor is its own replay guard.
      await expect(f.registry.anchorEvidence(first.signed.request, first.signed.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored")
        .withArgs(hashOf("package-1"));
      expect((await f.registry.queryFilter(f.registry.filters.EvidenceAnchored())).length).to.equal(1);
    });

    it("refuses an expired request", async function () {
      const f = await loadFixture(evidenceFixture);
      const deadline = (await time.latest()) + 10;
      const signed = await signEvidenceRequest(
        f.frAgency,
        f.domain,
        "AnchorEvidence",
        await anchorRequest({ deadline }),
      );
      await time.increaseTo(deadline + 1);
      await expect(f.registry.anchorEvidence(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "SignedRequestExpired")
        .withArgs(deadline);
    });

    it("refuses a signature for another domain, another contract or a tampered request", async function () {
      const f = await loadFixture(evidenceFixture);
      const request = await anchorRequest();
      const otherChain = contractDomain("EvidenceRegistry", 1, await f.registry.getAddress());
      const otherContract = contractDomain(
        "EvidenceRegistry",
        BigInt(f.domain.chainId!),
        await f.consortium.getAddress(),
      );
      for (const domain of [otherChain, otherContract, { ...f.domain, version: "2" }]) {
        const signed = await signEvidenceRequest(f.frAgency, domain, "AnchorEvidence", request);
        await expect(f.registry.anchorEvidence(request, signed.signature)).to.be.revertedWithCustomError(
          f.registry,
          "SignedRequestUnauthorizedSigner",
        );
      }
      const signed = await signEvidenceRequest(f.frAgency, f.domain, "AnchorEvidence", request);
      await expect(
        f.registry.anchorEvidence({ ...request, jurisdiction: DE }, signed.signature),
      ).to.be.revertedWithCustomError(f.registry, "SignedRequestUnauthorizedSigner");
      await expect(f.registry.anchorEvidence(request, "0x1234")).to.be.revertedWithCustomError(
        f.registry,
        "SignedRequestInvalidSignature",
      );
    });

    it("refuses keys that are not a member's, revoked keys, suspended members and wrong roles", async function () {
      const f = await loadFixture(evidenceFixture);
      const outsider = f.spare[0]!;
      await expect((await anchor(f, outsider)).tx)
        .to.be.revertedWithCustomError(f.registry, "SignedRequestUnauthorizedSigner")
        .withArgs(outsider.address);
      await expect((await anchor(f, f.esRegistry)).tx)
        .to.be.revertedWithCustomError(f.registry, "SignedRequestMissingRole")
        .withArgs(5, Role.AGENCY | Role.COURT | Role.PLATFORM);
      // Signed while the key was valid, submitted after it was revoked: refused.
      const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorEvidence", await anchorRequest());
      await gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address);
      await expect(f.registry.anchorEvidence(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "SignedRequestUnauthorizedSigner")
        .withArgs(f.usPlatform.address);
      // A suspended member cannot anchor.
      const p = encodeProposal({ kind: "SuspendMember", memberId: 2 });
      await gov.propose(f, f.frAgency, p.kind, p.payload);
      await gov.vote(f, f.nlOperator, await f.consortium.proposalCount(), true);
      await expect((await anchor(f, f.deCourt)).tx)
        .to.be.revertedWithCustomError(f.registry, "SignedRequestUnauthorizedSigner")
        .withArgs(f.deCourt.address);
    });

    it("refuses malformed fields", async function () {
      const f = await loadFixture(evidenceFixture);
      await expect((await anchor(f, f.frAgency, { contentHash: ZERO })).tx).to.be.revertedWithCustomError(
        f.registry,
        "EvidenceInvalidRequest",
      );
      await expect((await anchor(f, f.frAgency, { packageCid: "0x" })).tx).to.be.revertedWithCustomError(
        f.registry,
        "EvidenceInvalidRequest",
      );
      await expect((await anchor(f, f.frAgency, { category: 64 })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceInvalidCategory")
        .withArgs(64);
      await expect((await anchor(f, f.frAgency, { jurisdiction: "0x6672" })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceInvalidJurisdiction")
        .withArgs("0x6672");
      const future = (await time.latest()) + 1000;
      await expect((await anchor(f, f.frAgency, { collectedAt: future })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceCollectedInFuture")
        .withArgs(future);
    });

    it("supersedes an earlier record of the same member with a new version", async function () {
      const f = await loadFixture(evidenceFixture);
      await (
        await anchor(f, f.frAgency)
      ).tx;
      const v2 = hashOf("package-1 v2");
      await expect((await anchor(f, f.deCourt, { contentHash: v2, supersedes: hashOf("package-1") })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(hashOf("package-1"), 2);
      await expect((await anchor(f, f.frAgency, { contentHash: v2, supersedes: hashOf("package-1") })).tx)
        .to.emit(f.registry, "EvidenceSuperseded")
        .withArgs(hashOf("package-1"), v2);
      expect((await f.registry.getEvidence(hashOf("package-1"))).status).to.equal(BigInt(EvidenceStatus.Superseded));
      expect(await f.registry.supersededBy(hashOf("package-1"))).to.equal(v2);
      const v3 = hashOf("package-1 v3");
      await expect((await anchor(f, f.frAgency, { contentHash: v3, supersedes: hashOf("package-1") })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(hashOf("package-1"), EvidenceStatus.Superseded);
      await expect((await anchor(f, f.frAgency, { contentHash: v3, supersedes: hashOf("nothing") })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknown")
        .withArgs(hashOf("nothing"));
    });
  });

  describe("anchorBatch", function () {
    async function batchRequest(batch: EvidenceBatch, overrides: Partial<AnchorBatchRequest> = {}) {
      const now = await time.latest();
      return {
        root: batch.root,
        count: batch.count,
        manifestCid: cidOf("batch manifest"),
        category: 4,
        jurisdiction: toJurisdiction("US"),
        deadline: now + 3600,
        ...overrides,
      };
    }

    it("anchors a Merkle root over 1,000 records and proves inclusion on and off chain", async function () {
      const f = await loadFixture(evidenceFixture);
      const hashes = Array.from({ length: 1000 }, (_, i) => hashOf(`dissemination record ${i}`));
      const batch = EvidenceBatch.build(hashes);
      const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorBatch", await batchRequest(batch));
      await expect(f.registry.anchorBatch(signed.request, signed.signature))
        .to.emit(f.registry, "BatchAnchored")
        .withArgs(batch.root, 4, f.usPlatform.address, 1000, cidOf("batch manifest"), 4, toJurisdiction("US"));
      const b = await f.registry.getBatch(batch.root);
      expect([b.memberId, b.count, b.status]).to.deep.equal([4n, 1000n, BigInt(EvidenceStatus.Active)]);
      for (const i of [0, 1, 499, 999]) {
        const proof = batch.proof(hashes[i]!);
        expect(await f.registry.verifyInclusion(batch.root, hashes[i]!, proof)).to.equal(true);
        expect(verifyBatchInclusion(batch.root, hashes[i]!, proof)).to.equal(true);
        expect(await f.registry.batchLeaf(hashes[i]!)).to.equal(batchLeaf(hashes[i]!));
      }
      const outsider = hashOf("not in the batch");
      const wrongProof = batch.proof(hashes[1]!);
      expect(await f.registry.verifyInclusion(batch.root, outsider, wrongProof)).to.equal(false);
      expect(verifyBatchInclusion(batch.root, outsider, wrongProof)).to.equal(false);
      expect(await f.registry.verifyInclusion(hashOf("unknown root"), hashes[1]!, wrongProof)).to.equal(false);
      // A dump restores the same tree (the batch manifest kept beside the records).
      const restored = EvidenceBatch.load(JSON.parse(JSON.stringify(batch.dump())));
      expect(restored.root).to.equal(batch.root);
      expect(restored.proof(hashes[7]!)).to.deep.equal(batch.proof(hashes[7]!));
    });

    it("anchors a root once, refuses empty batches, and stops proving a retracted batch", async function () {
      const f = await loadFixture(evidenceFixture);
      const hashes = [hashOf("a"), hashOf("b"), hashOf("c")];
      const batch = EvidenceBatch.build(hashes);
      const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorBatch", await batchRequest(batch));
      await f.registry.anchorBatch(signed.request, signed.signature);
      await expect(f.registry.anchorBatch(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored")
        .withArgs(batch.root);
      const empty = await signEvidenceRequest(
        f.usPlatform,
        f.domain,
        "AnchorBatch",
        await batchRequest(batch, { root: hashOf("x"), count: 0 }),
      );
      await expect(f.registry.anchorBatch(empty.request, empty.signature)).to.be.revertedWithCustomError(
        f.registry,
        "EvidenceInvalidRequest",
      );
      const now = await time.latest();
      const foreign = await signEvidenceRequest(f.frAgency, f.domain, "Retract", {
        id: batch.root,
        reasonHash: hashOf("reason"),
        nonce: 0,
        deadline: now + 3600,
      });
      await expect(f.registry.retract(foreign.request, foreign.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(batch.root, 1);
      const retract = await signEvidenceRequest(f.usPlatform, f.domain, "Retract", {
        id: batch.root,
        reasonHash: hashOf("reason"),
        nonce: 0,
        deadline: now + 3600,
      });
      await expect(f.registry.retract(retract.request, retract.signature))
        .to.emit(f.registry, "EvidenceRetracted")
        .withArgs(batch.root, 4, hashOf("reason"), f.usPlatform.address);
      expect(await f.registry.verifyInclusion(batch.root, hashes[0]!, batch.proof(hashes[0]!))).to.equal(false);
      expect(() => EvidenceBatch.build([hashes[0]!, hashes[0]!])).to.throw(/duplicate/);
      expect(() => batch.proof(hashOf("z"))).to.throw(/not in batch/);
    });
  });

  describe("chain of custody", function () {
    it("chains every event to the previous one and completes a transfer only on the receiver's signature", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = hashOf("package-1");
      await (
        await anchor(f, f.frAgency)
      ).tx;
      const events: { actor: number; type: number; counterparty: number }[] = [
        { actor: 1, type: CustodyEventType.Collected, counterparty: 0 },
        { actor: 1, type: CustodyEventType.HashVerified, counterparty: 0 },
        { actor: 1, type: CustodyEventType.Sealed, counterparty: 0 },
        { actor: 1, type: CustodyEventType.Transferred, counterparty: 2 },
      ];
      const signers: Record<number, HardhatEthersSigner> = { 1: f.frAgency, 2: f.deCourt };
      for (const e of events) await (await custody(f, signers[e.actor]!, id, e.type, e.counterparty)).tx;
      let c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient, c.count]).to.deep.equal([1n, 2n, 4n]);

      // While the transfer is pending, nothing but its receipt or cancellation.
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Analyzed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyTransferPending")
        .withArgs(id, 2);
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.Received, 1)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotRecipient")
        .withArgs(id, 3);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Received, 3)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
        .withArgs(3);
      await (
        await custody(f, f.deCourt, id, CustodyEventType.Received, 1)
      ).tx;
      events.push({ actor: 2, type: CustodyEventType.Received, counterparty: 1 });
      c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient, c.count]).to.deep.equal([2n, 0n, 5n]);

      // The former custodian can no longer act as one.
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Analyzed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, 1);

      // Recompute the hash chain from the events, as a verifier would, and compare with the head on chain.
      const logs = await f.registry.queryFilter(f.registry.filters.CustodyRecorded(id));
      let previous: string = id;
      logs.forEach((log, i) => {
        const a = log.args;
        expect(a.previous).to.equal(previous);
        expect(Number(a.sequence)).to.equal(i);
        expect(Number(a.actor)).to.equal(events[i]!.actor);
        expect(Number(a.eventType)).to.equal(events[i]!.type);
        previous = custodyEventHash({
          previous,
          evidenceId: id,
          sequence: i,
          eventType: Number(a.eventType),
          actor: a.actor,
          counterparty: a.counterparty,
          occurredAt: Number(a.occurredAt),
          detailsHash: a.detailsHash,
        });
        expect(a.eventHash).to.equal(previous);
      });
      expect(c.head).to.equal(previous);
    });

    it("refuses replayed requests (nonces) and times that go backwards or into the future", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = hashOf("package-1");
      await (
        await anchor(f, f.frAgency)
      ).tx;
      const { signed } = await custody(f, f.frAgency, id, CustodyEventType.Collected);
      await f.registry.recordCustody(signed.request, signed.signature); // sent once
      expect(await f.registry.nonces(f.frAgency.address)).to.equal(1n);
      await expect(f.registry.recordCustody(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "InvalidAccountNonce")
        .withArgs(f.frAgency.address, 1);
      const last = (await f.registry.custodyOf(id)).lastAt;
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Sealed, 0, { occurredAt: Number(last) - 1 })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidTime")
        .withArgs(Number(last) - 1);
      const future = (await time.latest()) + 100;
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Sealed, 0, { occurredAt: future })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidTime")
        .withArgs(future);
      await expect((await custody(f, f.frAgency, hashOf("unknown"), CustodyEventType.Sealed)).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknown")
        .withArgs(hashOf("unknown"));
    });

    it("lets any member record access, the sender cancel a transfer, and refuses bad recipients", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = hashOf("package-1");
      await (
        await anchor(f, f.frAgency)
      ).tx;
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Accessed)).tx).to.emit(
        f.registry,
        "CustodyRecorded",
      );
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Sealed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, 2);
      for (const bad of [0, 1, 99]) {
        await expect((await custody(f, f.frAgency, id, CustodyEventType.Transferred, bad)).tx)
          .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
          .withArgs(bad);
      }
      await expect((await custody(f, f.frAgency, id, CustodyEventType.TransferCancelled, 2)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNoTransferPending")
        .withArgs(id);
      await (
        await custody(f, f.frAgency, id, CustodyEventType.Transferred, 2)
      ).tx;
      await expect((await custody(f, f.frAgency, id, CustodyEventType.TransferCancelled, 3)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
        .withArgs(3);
      await (
        await custody(f, f.frAgency, id, CustodyEventType.TransferCancelled, 2)
      ).tx;
      const c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient]).to.deep.equal([1n, 0n]);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Received, 1)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNoTransferPending")
        .withArgs(id);
    });

    it("computes custody event hashes exactly as the SDK does", async function () {
      const f = await loadFixture(evidenceFixture);
      const e = {
        previous: hashOf("prev"),
        evidenceId: hashOf("id"),
        sequence: 7,
        eventType: CustodyEventType.Disclosed,
        actor: 12n,
        counterparty: 3n,
        occurredAt: 1_790_000_000,
        detailsHash: hashOf("details"),
      };
      expect(
        await f.registry.custodyEventHash(
          e.previous,
          e.evidenceId,
          e.sequence,
          e.eventType,
          e.actor,
          e.counterparty,
          e.occurredAt,
          e.detailsHash,
        ),
      ).to.equal(custodyEventHash(e));
    });
  });

  describe("endorsements and retraction", function () {
    async function endorse(f: EvidenceFixture, by: HardhatEthersSigner, id: Hex, verdict: number) {
      const now = await time.latest();
      const signed = await signEvidenceRequest(by, f.domain, "Endorse", {
        evidenceId: id,
        verdict,
        reportHash: hashOf(`report ${verdict}`),
        nonce: await f.registry.nonces(by.address),
        deadline: now + 3600,
      });
      return f.registry.endorse(signed.request, signed.signature);
    }
    async function retract(f: EvidenceFixture, by: HardhatEthersSigner, id: Hex) {
      const now = await time.latest();
      const signed = await signEvidenceRequest(by, f.domain, "Retract", {
        id,
        reasonHash: hashOf("mistaken capture"),
        nonce: await f.registry.nonces(by.address),
        deadline: now + 3600,
      });
      return f.registry.retract(signed.request, signed.signature);
    }

    it("records a foreign court's recognition or challenge, with the report it relied on", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = hashOf("package-1");
      await (
        await anchor(f, f.frAgency)
      ).tx;
      await expect(endorse(f, f.deCourt, id, Verdict.Recognised))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, 2, Verdict.Recognised, hashOf(`report ${Verdict.Recognised}`), f.deCourt.address);
      let e = await f.registry.endorsementOf(id, 2);
      expect([e.verdict, e.reportHash]).to.deep.equal([
        BigInt(Verdict.Recognised),
        hashOf(`report ${Verdict.Recognised}`),
      ]);
      await endorse(f, f.deCourt, id, Verdict.Challenged);
      e = await f.registry.endorsementOf(id, 2);
      expect(e.verdict).to.equal(BigInt(Verdict.Challenged));
      await expect(endorse(f, f.frAgency, id, Verdict.Recognised))
        .to.be.revertedWithCustomError(f.registry, "EndorsementNotForeign")
        .withArgs(id, FR);
      await expect(endorse(f, f.usPlatform, id, Verdict.Recognised))
        .to.be.revertedWithCustomError(f.registry, "SignedRequestMissingRole")
        .withArgs(4, Role.AGENCY | Role.COURT);
      await expect(endorse(f, f.deCourt, id, Verdict.None))
        .to.be.revertedWithCustomError(f.registry, "EndorsementInvalidVerdict")
        .withArgs(id, Verdict.None);
      await expect(endorse(f, f.deCourt, hashOf("unknown"), Verdict.Recognised))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknown")
        .withArgs(hashOf("unknown"));
    });

    it("lets only the anchoring member retract, once, and keeps the record", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = hashOf("package-1");
      await (
        await anchor(f, f.frAgency)
      ).tx;
      await expect(retract(f, f.deCourt, id))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(id, 2);
      await expect(retract(f, f.frAgency, id))
        .to.emit(f.registry, "EvidenceRetracted")
        .withArgs(id, 1, hashOf("mistaken capture"), f.frAgency.address);
      const e = await f.registry.getEvidence(id);
      expect(e.status).to.equal(BigInt(EvidenceStatus.Retracted));
      expect(e.memberId).to.equal(1n);
      await expect(retract(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(id, EvidenceStatus.Retracted);
      await expect(retract(f, f.frAgency, hashOf("unknown")))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknown")
        .withArgs(hashOf("unknown"));
      // A retracted record can be challenged but no longer recognised.
      await expect(endorse(f, f.deCourt, id, Verdict.Recognised))
        .to.be.revertedWithCustomError(f.registry, "EndorsementInvalidVerdict")
        .withArgs(id, Verdict.Recognised);
      await expect(endorse(f, f.deCourt, id, Verdict.Challenged)).to.emit(f.registry, "EvidenceEndorsed");
      // And the same content can never be anchored again.
      await expect((await anchor(f, f.frAgency)).tx).to.be.revertedWithCustomError(
        f.registry,
        "EvidenceAlreadyAnchored",
      );
    });
  });
});
