import { expect } from "chai";
import * as gov from "../helpers/governance";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  Assurance,
  CustodyEventType,
  EvidenceBatch,
  EvidenceClient,
  EvidenceStatus,
  NO_JURISDICTION,
  Role,
  Verdict,
  batchIdOf,
  batchLeaf,
  contractDomain,
  custodyEventHash,
  encodeProposal,
  isCrossproofError,
  recordFieldsHash,
  recordIdOf,
  signEvidenceRequest,
  signTypedRequest,
  toJurisdiction,
  verifyBatchInclusion,
  verifyCustodyChain,
  type AgreementTermsInput,
  type AnchorBatchRequest,
  type AnchorEvidenceRequest,
  type CustodyEvent,
  type Hex,
  type RecordCustodyRequest,
} from "../../sdk/src";
import { cidOf, evidenceFixture, hashOf, type EvidenceFixture } from "../helpers/fixtures";

const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");
const US = toJurisdiction("US");
const VIDEO = 1;
const ZERO = ethers.ZeroHash as Hex;
const CONTENT = hashOf("package-1");
/** Member ids in the fixture. */
const M = { FR: 1n, DE: 2n, NL: 3n, US: 4n, ES: 5n } as const;

async function anchorRequest(overrides: Partial<AnchorEvidenceRequest> = {}): Promise<AnchorEvidenceRequest> {
  const now = await time.latest();
  return {
    contentHash: CONTENT,
    packageCid: cidOf("encrypted-package-1"),
    category: VIDEO,
    firstUpload: US,
    primaryDissemination: DE,
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

/** Anchors and returns the record id of `by`'s member. */
async function anchored(
  f: EvidenceFixture,
  by: HardhatEthersSigner,
  memberId: bigint,
  overrides: Partial<AnchorEvidenceRequest> = {},
): Promise<Hex> {
  const { signed, tx } = await anchor(f, by, overrides);
  await (await tx).wait();
  return recordIdOf(memberId, signed.request.contentHash);
}

async function custody(
  f: EvidenceFixture,
  by: HardhatEthersSigner,
  recordId: Hex,
  eventType: number,
  counterparty: bigint | number = 0,
  overrides: Partial<RecordCustodyRequest> = {},
) {
  const now = await time.latest();
  const request: RecordCustodyRequest = {
    recordId,
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

/** Records a custody event and waits for it. */
async function recordCustody(...args: Parameters<typeof custody>) {
  await (await (await custody(...args)).tx).wait();
}

async function endorse(f: EvidenceFixture, by: HardhatEthersSigner, recordId: Hex, verdict: number) {
  const now = await time.latest();
  const signed = await signEvidenceRequest(by, f.domain, "Endorse", {
    recordId,
    verdict,
    reportHash: hashOf(`report ${verdict}`),
    nonce: await f.registry.nonces(by.address),
    deadline: now + 3600,
  });
  return f.registry.connect(f.deployer).endorse(signed.request, signed.signature);
}

async function retractEvidence(f: EvidenceFixture, by: HardhatEthersSigner, recordId: Hex) {
  const now = await time.latest();
  const signed = await signEvidenceRequest(by, f.domain, "RetractEvidence", {
    recordId,
    reasonHash: hashOf("mistaken capture"),
    nonce: await f.registry.nonces(by.address),
    deadline: now + 3600,
  });
  return f.registry.connect(f.deployer).retractEvidence(signed.request, signed.signature);
}

async function retractBatch(f: EvidenceFixture, by: HardhatEthersSigner, batchId: Hex) {
  const now = await time.latest();
  const signed = await signEvidenceRequest(by, f.domain, "RetractBatch", {
    batchId,
    reasonHash: hashOf("wrong export"),
    nonce: await f.registry.nonces(by.address),
    deadline: now + 3600,
  });
  return f.registry.connect(f.deployer).retractBatch(signed.request, signed.signature);
}

async function batchRequest(batch: EvidenceBatch, overrides: Partial<AnchorBatchRequest> = {}) {
  const now = await time.latest();
  return {
    root: batch.root,
    count: batch.count,
    manifestCid: cidOf("batch manifest"),
    category: 4,
    deadline: now + 3600,
    ...overrides,
  };
}

async function anchorBatch(f: EvidenceFixture, by: HardhatEthersSigner, batch: EvidenceBatch) {
  const signed = await signEvidenceRequest(by, f.domain, "AnchorBatch", await batchRequest(batch));
  return f.registry.connect(f.deployer).anchorBatch(signed.request, signed.signature);
}

/** FR → DE recognition of VIDEO evidence, concluded now (FR governor proposes, DE governor approves). */
function frToDe(f: EvidenceFixture, terms: Partial<AgreementTermsInput> = {}): Promise<bigint> {
  return gov.concludeAgreement(f, f.frAgency, f.deCourt, {
    from: "FR",
    to: "DE",
    categories: [VIDEO],
    textHash: hashOf("FR-DE recognition agreement"),
    ...terms,
  });
}

/** The custody events of a record, as the SDK reads them. */
async function custodyEvents(f: EvidenceFixture, recordId: Hex): Promise<CustodyEvent[]> {
  const client = await EvidenceClient.connect(await f.registry.getAddress(), f.deployer);
  return (await client.custodyChain(recordId)).events;
}

describe("EvidenceRegistry", function () {
  describe("anchorEvidence", function () {
    it("anchors a signed, relayed request under the signer's member, in the member's own jurisdiction", async function () {
      const f = await loadFixture(evidenceFixture);
      const { signed, tx } = await anchor(f, f.frAgency);
      const r = signed.request;
      const recordId = recordIdOf(M.FR, r.contentHash);
      // The contract returns the id the SDK computes.
      expect(await f.registry.anchorEvidence.staticCall(r, signed.signature)).to.equal(recordId);
      await expect(tx)
        .to.emit(f.registry, "EvidenceAnchored")
        .withArgs(
          recordId,
          r.contentHash,
          M.FR,
          f.frAgency.address,
          r.packageCid,
          VIDEO,
          FR,
          US,
          DE,
          r.caseRef,
          r.collectedAt,
          ZERO,
        );
      const e = await f.registry.getEvidence(recordId);
      expect(e.status).to.equal(BigInt(EvidenceStatus.Active));
      expect(e.memberId).to.equal(M.FR);
      expect(e.anchoredAt).to.equal(BigInt(await time.latest()));
      expect(e.collectedAt).to.equal(BigInt(r.collectedAt));
      expect(e.category).to.equal(BigInt(VIDEO));
      expect([e.jurisdiction, e.firstUpload, e.primaryDissemination]).to.deep.equal([FR, US, DE]);
      expect(e.fieldsHash).to.equal(recordFieldsHash(f.frAgency.address, r.packageCid, r.caseRef));
      expect(await f.registry.recordFieldsMatch(recordId, f.frAgency.address, r.packageCid, r.caseRef)).to.equal(true);
      expect(await f.registry.recordFieldsMatch(recordId, f.deCourt.address, r.packageCid, r.caseRef)).to.equal(false);
      // Nothing is stored under the bare content hash.
      expect((await f.registry.getEvidence(r.contentHash)).status).to.equal(0n);
      const c = await f.registry.custodyOf(recordId);
      expect([c.custodian, c.count, c.startedAt, c.head]).to.deep.equal([M.FR, 0n, 0n, recordId]);
    });

    it("leaves joint-jurisdiction facts unstated with 0x0000", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR, {
        firstUpload: NO_JURISDICTION,
        primaryDissemination: NO_JURISDICTION,
      });
      const e = await f.registry.getEvidence(id);
      expect([e.jurisdiction, e.firstUpload, e.primaryDissemination]).to.deep.equal([FR, "0x0000", "0x0000"]);
    });

    it("computes record and batch ids, leaves and custody hashes exactly as the SDK does", async function () {
      const f = await loadFixture(evidenceFixture);
      for (const [member, hash] of [
        [1n, CONTENT],
        [4n, hashOf("other")],
        [2n ** 64n - 1n, ZERO],
      ] as const) {
        expect(await f.registry.recordIdOf(member, hash)).to.equal(recordIdOf(member, hash));
        expect(await f.registry.batchIdOf(member, hash)).to.equal(batchIdOf(member, hash));
        expect(await f.registry.batchLeaf(hash)).to.equal(batchLeaf(hash));
      }
      // Per member: the same content hash gives each member its own record id.
      expect(recordIdOf(1n, CONTENT)).not.to.equal(recordIdOf(2n, CONTENT));
      const e = {
        previous: hashOf("prev"),
        recordId: hashOf("id"),
        sequence: 7,
        eventType: CustodyEventType.RecipientAdded,
        actor: 12n,
        counterparty: 3n,
        occurredAt: 1_790_000_000,
        detailsHash: hashOf("details"),
      };
      expect(
        await f.registry.custodyEventHash(
          e.previous,
          e.recordId,
          e.sequence,
          e.eventType,
          e.actor,
          e.counterparty,
          e.occurredAt,
          e.detailsHash,
        ),
      ).to.equal(custodyEventHash(e));
    });

    it("anchors once per member: the same member's content hash twice is refused, a replay too", async function () {
      const f = await loadFixture(evidenceFixture);
      const first = await anchor(f, f.frAgency);
      await first.tx;
      const id = recordIdOf(M.FR, CONTENT);
      const again = await anchor(f, f.frAgency, { packageCid: cidOf("other") });
      await expect(again.tx).to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored").withArgs(id);
      // Replaying the very same signed request is refused the same way: an anchor is its own replay guard.
      await expect(f.registry.anchorEvidence(first.signed.request, first.signed.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored")
        .withArgs(id);
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

    it("refuses a signature for another chain, contract, consortium or version, or a tampered request", async function () {
      const f = await loadFixture(evidenceFixture);
      const request = await anchorRequest();
      const chainId = BigInt(f.domain.chainId!);
      const registry = await f.registry.getAddress();
      const domains = [
        contractDomain("EvidenceRegistry", 1, registry, f.consortiumId),
        contractDomain("EvidenceRegistry", chainId, await f.consortium.getAddress(), f.consortiumId),
        contractDomain("EvidenceRegistry", chainId, registry, hashOf("another consortium")),
        { ...f.domain, version: "1" },
      ];
      for (const domain of domains) {
        const signed = await signEvidenceRequest(f.frAgency, domain, "AnchorEvidence", request);
        await expect(f.registry.anchorEvidence(request, signed.signature)).to.be.revertedWithCustomError(
          f.registry,
          "SignedRequestUnauthorizedSigner",
        );
      }
      const signed = await signEvidenceRequest(f.frAgency, f.domain, "AnchorEvidence", request);
      await expect(
        f.registry.anchorEvidence({ ...request, firstUpload: FR }, signed.signature),
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
      await gov.vote(f, f.nlOperator, await f.governance.proposalCount(), true);
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
      const future = (await time.latest()) + 1000;
      await expect((await anchor(f, f.frAgency, { collectedAt: future })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceCollectedInFuture")
        .withArgs(future);
    });

    it("supersedes an earlier record of the same member with a new version", async function () {
      const f = await loadFixture(evidenceFixture);
      const v1 = await anchored(f, f.frAgency, M.FR);
      const v2 = recordIdOf(M.FR, hashOf("package-1 v2"));
      await expect((await anchor(f, f.frAgency, { contentHash: hashOf("package-1 v2"), supersedes: v1 })).tx)
        .to.emit(f.registry, "EvidenceSuperseded")
        .withArgs(v1, v2);
      expect((await f.registry.getEvidence(v1)).status).to.equal(BigInt(EvidenceStatus.Superseded));
      expect(await f.registry.supersededBy(v1)).to.equal(v2);
      const v3 = hashOf("package-1 v3");
      await expect((await anchor(f, f.frAgency, { contentHash: v3, supersedes: v1 })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(v1, EvidenceStatus.Superseded);
      await expect((await anchor(f, f.frAgency, { contentHash: v3, supersedes: hashOf("nothing") })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownRecord")
        .withArgs(hashOf("nothing"));
    });
  });

  describe("attack: anchoring as another jurisdiction", function () {
    it("has no jurisdiction field: every record shows its anchoring member's own jurisdiction", async function () {
      const f = await loadFixture(evidenceFixture);
      const inputs = f.registry.interface.getFunction("anchorEvidence")!.inputs[0]!.components!.map((c) => c.name);
      expect(inputs).not.to.include("jurisdiction");
      expect(f.registry.interface.getFunction("anchorBatch")!.inputs[0]!.components!.map((c) => c.name)).not.to.include(
        "jurisdiction",
      );
      // The US platform anchors evidence about FR and DE facts: the record is still a US record.
      const id = await anchored(f, f.usPlatform, M.US, { firstUpload: FR, primaryDissemination: DE });
      expect((await f.registry.getEvidence(id)).jurisdiction).to.equal(US);
      const batch = EvidenceBatch.build([hashOf("a"), hashOf("b")]);
      await anchorBatch(f, f.usPlatform, batch);
      expect((await f.registry.getBatch(batchIdOf(M.US, batch.root))).jurisdiction).to.equal(US);
    });

    it("refuses a request signed with a claimed jurisdiction (the old request type): the signature does not match", async function () {
      const f = await loadFixture(evidenceFixture);
      const now = await time.latest();
      const v1Types = {
        AnchorEvidence: [
          { name: "contentHash", type: "bytes32" },
          { name: "packageCid", type: "bytes" },
          { name: "category", type: "uint8" },
          { name: "jurisdiction", type: "bytes2" },
          { name: "caseRef", type: "bytes32" },
          { name: "collectedAt", type: "uint48" },
          { name: "supersedes", type: "bytes32" },
          { name: "deadline", type: "uint48" },
        ],
      };
      const claimed = {
        contentHash: CONTENT,
        packageCid: cidOf("p"),
        category: VIDEO,
        jurisdiction: DE,
        caseRef: hashOf("case"),
        collectedAt: now - 60,
        supersedes: ZERO,
        deadline: now + 3600,
      };
      const signed = await signTypedRequest(f.usPlatform, f.domain, v1Types, "AnchorEvidence", claimed);
      const { jurisdiction: _dropped, ...rest } = claimed;
      await expect(
        f.registry.anchorEvidence(
          { ...rest, firstUpload: NO_JURISDICTION, primaryDissemination: NO_JURISDICTION },
          signed.signature,
        ),
      ).to.be.revertedWithCustomError(f.registry, "SignedRequestUnauthorizedSigner");
    });

    it("refuses unassigned or malformed joint-jurisdiction codes with a named error", async function () {
      const f = await loadFixture(evidenceFixture);
      for (const bad of ["0x5858" /* XX */, "0x5a5a" /* ZZ */, "0x6672" /* fr */, "0x4600"] as Hex[]) {
        await expect((await anchor(f, f.frAgency, { firstUpload: bad })).tx)
          .to.be.revertedWithCustomError(f.registry, "EvidenceInvalidJurisdiction")
          .withArgs(bad);
        await expect((await anchor(f, f.frAgency, { primaryDissemination: bad })).tx)
          .to.be.revertedWithCustomError(f.registry, "EvidenceInvalidJurisdiction")
          .withArgs(bad);
      }
    });
  });

  describe("attack: content-hash squatting", function () {
    it("a member anchoring another's content hash first does not stop the other's anchor", async function () {
      const f = await loadFixture(evidenceFixture);
      // DE sees FR's pending anchor and anchors the same content hash first, with its own CID.
      const squat = await anchored(f, f.deCourt, M.DE, { packageCid: cidOf("squatter") });
      // FR's anchor still succeeds, under FR's own record id, with FR's own fields.
      const { signed, tx } = await anchor(f, f.frAgency);
      const mine = recordIdOf(M.FR, CONTENT);
      await expect(tx)
        .to.emit(f.registry, "EvidenceAnchored")
        .withArgs(
          mine,
          CONTENT,
          M.FR,
          f.frAgency.address,
          signed.request.packageCid,
          VIDEO,
          FR,
          US,
          DE,
          signed.request.caseRef,
          signed.request.collectedAt,
          ZERO,
        );
      expect(mine).not.to.equal(squat);
      const [a, b] = [await f.registry.getEvidence(mine), await f.registry.getEvidence(squat)];
      expect([a.memberId, a.jurisdiction, b.memberId, b.jurisdiction]).to.deep.equal([M.FR, FR, M.DE, DE]);
      // Every anchor of the content hash is listed from the events, not from storage.
      const logs = await f.registry.queryFilter(f.registry.filters.EvidenceAnchored(undefined, CONTENT));
      expect(logs.map((l) => [l.args.recordId, l.args.memberId])).to.deep.equal([
        [squat, M.DE],
        [mine, M.FR],
      ]);
    });

    it("another member can neither retract nor supersede a record", async function () {
      const f = await loadFixture(evidenceFixture);
      const victim = await anchored(f, f.frAgency, M.FR);
      await expect(retractEvidence(f, f.deCourt, victim))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(victim, M.DE);
      await expect((await anchor(f, f.deCourt, { contentHash: hashOf("v2"), supersedes: victim })).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(victim, M.DE);
      // Even after anchoring the very same content itself, DE's record is a different one.
      const own = await anchored(f, f.deCourt, M.DE);
      await (await retractEvidence(f, f.deCourt, own)).wait();
      expect((await f.registry.getEvidence(own)).status).to.equal(BigInt(EvidenceStatus.Retracted));
      expect((await f.registry.getEvidence(victim)).status).to.equal(BigInt(EvidenceStatus.Active));
      expect(await f.registry.supersededBy(victim)).to.equal(ZERO);
    });
  });

  describe("anchorBatch", function () {
    it("anchors a Merkle root over 1,000 records and proves inclusion on and off chain", async function () {
      const f = await loadFixture(evidenceFixture);
      const hashes = Array.from({ length: 1000 }, (_, i) => hashOf(`dissemination record ${i}`));
      const batch = EvidenceBatch.build(hashes);
      const batchId = batchIdOf(M.US, batch.root);
      const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorBatch", await batchRequest(batch));
      expect(await f.registry.anchorBatch.staticCall(signed.request, signed.signature)).to.equal(batchId);
      await expect(f.registry.anchorBatch(signed.request, signed.signature))
        .to.emit(f.registry, "BatchAnchored")
        .withArgs(batchId, batch.root, M.US, f.usPlatform.address, 1000, cidOf("batch manifest"), 4, US);
      const b = await f.registry.getBatch(batchId);
      expect([b.memberId, b.count, b.status, b.jurisdiction]).to.deep.equal([
        M.US,
        1000n,
        BigInt(EvidenceStatus.Active),
        US,
      ]);
      for (const i of [0, 1, 499, 999]) {
        const proof = batch.proof(hashes[i]!);
        expect(await f.registry.verifyInclusion(batchId, hashes[i]!, proof)).to.equal(true);
        expect(verifyBatchInclusion(batch.root, hashes[i]!, proof)).to.equal(true);
      }
      const outsider = hashOf("not in the batch");
      const wrongProof = batch.proof(hashes[1]!);
      expect(await f.registry.verifyInclusion(batchId, outsider, wrongProof)).to.equal(false);
      expect(verifyBatchInclusion(batch.root, outsider, wrongProof)).to.equal(false);
      // The root alone is not a batch id; nor is another member's id for the same root.
      expect(await f.registry.verifyInclusion(batch.root, hashes[1]!, wrongProof)).to.equal(false);
      expect(await f.registry.verifyInclusion(batchIdOf(M.FR, batch.root), hashes[1]!, wrongProof)).to.equal(false);
      // A dump restores the same tree (the batch manifest kept beside the records).
      const restored = EvidenceBatch.load(JSON.parse(JSON.stringify(batch.dump())));
      expect(restored.root).to.equal(batch.root);
      expect(restored.proof(hashes[7]!)).to.deep.equal(batch.proof(hashes[7]!));
    });

    it("anchors a root once per member, refuses empty batches, and stops proving a retracted batch", async function () {
      const f = await loadFixture(evidenceFixture);
      const hashes = [hashOf("a"), hashOf("b"), hashOf("c")];
      const batch = EvidenceBatch.build(hashes);
      const batchId = batchIdOf(M.US, batch.root);
      const signed = await signEvidenceRequest(f.usPlatform, f.domain, "AnchorBatch", await batchRequest(batch));
      await f.registry.anchorBatch(signed.request, signed.signature);
      await expect(f.registry.anchorBatch(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceBatchAlreadyAnchored")
        .withArgs(batchId);
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
      const badCategory = await signEvidenceRequest(
        f.usPlatform,
        f.domain,
        "AnchorBatch",
        await batchRequest(batch, { category: 64 }),
      );
      await expect(f.registry.anchorBatch(badCategory.request, badCategory.signature))
        .to.be.revertedWithCustomError(f.registry, "EvidenceInvalidCategory")
        .withArgs(64);
      await expect(retractBatch(f, f.frAgency, batchId))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotAnchoringMember")
        .withArgs(batchId, M.FR);
      await expect(retractBatch(f, f.usPlatform, hashOf("nothing")))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownBatch")
        .withArgs(hashOf("nothing"));
      await expect(retractBatch(f, f.usPlatform, batchId))
        .to.emit(f.registry, "BatchRetracted")
        .withArgs(batchId, M.US, hashOf("wrong export"), f.usPlatform.address);
      expect(await f.registry.verifyInclusion(batchId, hashes[0]!, batch.proof(hashes[0]!))).to.equal(false);
      await expect(retractBatch(f, f.usPlatform, batchId))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(batchId, EvidenceStatus.Retracted);
      expect(() => EvidenceBatch.build([hashes[0]!, hashes[0]!])).to.throw(/duplicate/);
      expect(() => batch.proof(hashOf("z"))).to.throw(/not in batch/);
    });
  });

  describe("attack: record and batch id collision", function () {
    it("a record with the same id as a batch blocks neither the batch's retraction nor its proofs", async function () {
      const f = await loadFixture(evidenceFixture);
      const hashes = [hashOf("a"), hashOf("b"), hashOf("c")];
      const batch = EvidenceBatch.build(hashes);
      await anchorBatch(f, f.usPlatform, batch);
      const batchId = batchIdOf(M.US, batch.root);
      // The same member anchors a record whose content hash is the root: its record id equals the batch id.
      const recordId = await anchored(f, f.usPlatform, M.US, { contentHash: batch.root });
      expect(recordId).to.equal(batchId);
      // Another member's record of the root as content hash, too.
      await anchored(f, f.frAgency, M.FR, { contentHash: batch.root });

      // Retracting the record touches the record only; the batch still proves.
      await expect(retractEvidence(f, f.usPlatform, recordId))
        .to.emit(f.registry, "EvidenceRetracted")
        .withArgs(recordId, M.US, hashOf("mistaken capture"), f.usPlatform.address);
      expect((await f.registry.getBatch(batchId)).status).to.equal(BigInt(EvidenceStatus.Active));
      expect(await f.registry.verifyInclusion(batchId, hashes[2]!, batch.proof(hashes[2]!))).to.equal(true);
      // The batch is retracted on its own, whatever the records with that id are doing.
      await expect(retractBatch(f, f.usPlatform, batchId)).to.emit(f.registry, "BatchRetracted");
      expect(await f.registry.verifyInclusion(batchId, hashes[2]!, batch.proof(hashes[2]!))).to.equal(false);
      expect((await f.registry.getEvidence(recordIdOf(M.FR, batch.root))).status).to.equal(
        BigInt(EvidenceStatus.Active),
      );
    });

    it("a batch with the same id as a record does not block the record's retraction", async function () {
      const f = await loadFixture(evidenceFixture);
      const batch = EvidenceBatch.build([hashOf("a"), hashOf("b")]);
      const recordId = await anchored(f, f.usPlatform, M.US, { contentHash: batch.root });
      await anchorBatch(f, f.usPlatform, batch);
      await expect(retractEvidence(f, f.usPlatform, recordId)).to.emit(f.registry, "EvidenceRetracted");
      expect((await f.registry.getBatch(batchIdOf(M.US, batch.root))).status).to.equal(BigInt(EvidenceStatus.Active));
    });
  });

  describe("chain of custody", function () {
    it("chains every event to the previous one and completes a transfer only on the receiver's signature", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      const events: { actor: bigint; type: number; counterparty: bigint }[] = [
        { actor: M.FR, type: CustodyEventType.Collected, counterparty: 0n },
        { actor: M.FR, type: CustodyEventType.HashVerified, counterparty: 0n },
        { actor: M.FR, type: CustodyEventType.Sealed, counterparty: 0n },
        { actor: M.FR, type: CustodyEventType.Transferred, counterparty: M.DE },
      ];
      const signers: Record<string, HardhatEthersSigner> = { "1": f.frAgency, "2": f.deCourt };
      for (const e of events) await recordCustody(f, signers[String(e.actor)]!, id, e.type, e.counterparty);
      let c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient, c.count]).to.deep.equal([M.FR, M.DE, 4n]);

      // While the transfer is pending, nothing but its receipt or cancellation.
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Analyzed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyTransferPending")
        .withArgs(id, M.DE);
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.Received, M.FR)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotTransferRecipient")
        .withArgs(id, M.NL);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Received, M.NL)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
        .withArgs(M.NL);
      await recordCustody(f, f.deCourt, id, CustodyEventType.Received, M.FR);
      events.push({ actor: M.DE, type: CustodyEventType.Received, counterparty: M.FR });
      c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient, c.count]).to.deep.equal([M.DE, 0n, 5n]);

      // The former custodian can no longer act as one.
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Analyzed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.FR);

      // Recompute the hash chain from the events, as a verifier would, and compare with the head on chain.
      const logs = await f.registry.queryFilter(f.registry.filters.CustodyRecorded(id));
      let previous: string = id;
      logs.forEach((log, i) => {
        const a = log.args;
        expect(a.previous).to.equal(previous);
        expect(Number(a.sequence)).to.equal(i);
        expect(a.actor).to.equal(events[i]!.actor);
        expect(Number(a.eventType)).to.equal(events[i]!.type);
        previous = custodyEventHash({
          previous,
          recordId: id,
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
      const v = verifyCustodyChain(id, M.FR, await custodyEvents(f, id), c.head);
      expect(v).to.include({ status: "COMPLETE", custodian: M.DE });
    });

    it("refuses replayed requests (nonces), unknown records and times that go backwards or into the future", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      const { signed } = await custody(f, f.frAgency, id, CustodyEventType.Collected);
      await f.registry.recordCustody(signed.request, signed.signature); // sent once
      expect(await f.registry.nonces(f.frAgency.address)).to.equal(1n);
      await expect(f.registry.recordCustody(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.registry, "InvalidAccountNonce")
        .withArgs(f.frAgency.address, 1);
      const last = Number((await f.registry.custodyOf(id)).lastAt);
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Sealed, 0, { occurredAt: last - 1 })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyBeforePreviousEvent")
        .withArgs(id, last - 1, last);
      const future = (await time.latest()) + 100;
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Sealed, 0, { occurredAt: future })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyTimeInFuture")
        .withArgs(future);
      await expect((await custody(f, f.frAgency, hashOf("unknown"), CustodyEventType.Sealed)).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownRecord")
        .withArgs(hashOf("unknown"));
      // The bare content hash is not a record id.
      await expect((await custody(f, f.frAgency, CONTENT, CustodyEventType.Sealed)).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownRecord")
        .withArgs(CONTENT);
    });

    it("lets the sender cancel a transfer and refuses bad recipients", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Acquired);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Sealed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.DE);
      for (const bad of [0n, M.FR, 99n]) {
        await expect((await custody(f, f.frAgency, id, CustodyEventType.Transferred, bad)).tx)
          .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
          .withArgs(bad);
      }
      await expect((await custody(f, f.frAgency, id, CustodyEventType.TransferCanceled, M.DE)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNoTransferPending")
        .withArgs(id);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Transferred, M.DE);
      await expect((await custody(f, f.frAgency, id, CustodyEventType.TransferCanceled, M.NL)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
        .withArgs(M.NL);
      await recordCustody(f, f.frAgency, id, CustodyEventType.TransferCanceled, M.DE);
      const c = await f.registry.custodyOf(id);
      expect([c.custodian, c.pendingRecipient]).to.deep.equal([M.FR, 0n]);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Received, M.FR)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNoTransferPending")
        .withArgs(id);
      // A canceled transfer's recipient never received the package.
      expect(await f.registry.isRecipient(id, M.DE)).to.equal(false);
    });
  });

  describe("attack: custody that starts anywhere, or before the evidence existed", function () {
    it("the first event must be Collected or Acquired, by the anchoring member", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      for (const t of [CustodyEventType.Sealed, CustodyEventType.Accessed, CustodyEventType.RecipientAdded]) {
        await expect((await custody(f, f.frAgency, id, t, M.DE)).tx)
          .to.be.revertedWithCustomError(f.registry, "CustodyInvalidFirstEvent")
          .withArgs(id, t);
      }
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Transferred, M.DE)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyInvalidFirstEvent")
        .withArgs(id, CustodyEventType.Transferred);
      // Another member cannot start someone else's chain of custody.
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Collected)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.DE);
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Collected)).tx).to.emit(
        f.registry,
        "CustodyRecorded",
      );
    });

    it("refuses any custody event before the record's collection time", async function () {
      const f = await loadFixture(evidenceFixture);
      const now = await time.latest();
      const id = await anchored(f, f.frAgency, M.FR, { collectedAt: now - 3600 });
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Collected, 0, { occurredAt: now - 3601 })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyBeforeCollection")
        .withArgs(id, now - 3601, now - 3600);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected, 0, { occurredAt: now - 3600 });
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Accessed, 0, { occurredAt: now - 7200 })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyBeforeCollection")
        .withArgs(id, now - 7200, now - 3600);
    });

    it("refuses an access dated before the chain of custody started", async function () {
      const f = await loadFixture(evidenceFixture);
      const now = await time.latest();
      const id = await anchored(f, f.frAgency, M.FR, { collectedAt: now - 3600 });
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected, 0, { occurredAt: now - 1800 });
      expect((await f.registry.custodyOf(id)).startedAt).to.equal(BigInt(now - 1800));
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Accessed, 0, { occurredAt: now - 2700 })).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyBeforeChainStart")
        .withArgs(id, now - 2700, now - 1800);
      await expect(
        (await custody(f, f.frAgency, id, CustodyEventType.RecipientAdded, M.DE, { occurredAt: now - 2700 })).tx,
      )
        .to.be.revertedWithCustomError(f.registry, "CustodyBeforeChainStart")
        .withArgs(id, now - 2700, now - 1800);
    });
  });

  describe("attack: access recorded by a member that never received the package", function () {
    it("refuses Accessed from an outsider member with a named error", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.Accessed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyAccessNotGranted")
        .withArgs(id, M.NL);
      expect(await f.registry.isRecipient(id, M.NL)).to.equal(false);
      // The anchoring member holds the package from the start.
      expect(await f.registry.isRecipient(id, M.FR)).to.equal(true);
      await expect((await custody(f, f.frAgency, id, CustodyEventType.Accessed)).tx).to.emit(
        f.registry,
        "CustodyRecorded",
      );
    });

    it("grants access to a transfer's receiver once it acknowledged, not while the transfer is pending", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Transferred, M.DE);
      await expect((await custody(f, f.deCourt, id, CustodyEventType.Accessed)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyAccessNotGranted")
        .withArgs(id, M.DE);
      await recordCustody(f, f.deCourt, id, CustodyEventType.Received, M.FR);
      expect(await f.registry.isRecipient(id, M.DE)).to.equal(true);
      await recordCustody(f, f.deCourt, id, CustodyEventType.Accessed);
      // The former custodian, the anchoring member, keeps its access.
      await recordCustody(f, f.frAgency, id, CustodyEventType.Accessed);
    });

    it("grants access to a recipient added by the anchoring member or the custodian, and to nobody else", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      const rewrapped = ethers.keccak256(cidOf("package re-wrapped for NL")) as Hex;
      // An outsider cannot add itself (or anyone) as a recipient.
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.RecipientAdded, M.NL)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.NL);
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.RecipientAdded, M.US)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.NL);
      for (const bad of [0n, M.FR, 99n]) {
        await expect((await custody(f, f.frAgency, id, CustodyEventType.RecipientAdded, bad)).tx)
          .to.be.revertedWithCustomError(f.registry, "CustodyInvalidCounterparty")
          .withArgs(bad);
      }
      await expect(
        (await custody(f, f.frAgency, id, CustodyEventType.RecipientAdded, M.NL, { detailsHash: rewrapped })).tx,
      ).to.emit(f.registry, "CustodyRecorded");
      expect(await f.registry.isRecipient(id, M.NL)).to.equal(true);
      expect(await f.registry.isRecipient(id, M.US)).to.equal(false);
      await recordCustody(f, f.nlOperator, id, CustodyEventType.Accessed);
      // The current custodian (DE, after a transfer) may add recipients too; the anchoring member still may.
      await recordCustody(f, f.frAgency, id, CustodyEventType.Transferred, M.DE);
      await recordCustody(f, f.deCourt, id, CustodyEventType.Received, M.FR);
      await recordCustody(f, f.deCourt, id, CustodyEventType.RecipientAdded, M.US);
      await recordCustody(f, f.frAgency, id, CustodyEventType.RecipientAdded, M.ES);
      await recordCustody(f, f.usPlatform, id, CustodyEventType.Accessed);
      await recordCustody(f, f.esRegistry, id, CustodyEventType.Accessed);
      // NL, a recipient but not the custodian, cannot share further.
      await expect((await custody(f, f.nlOperator, id, CustodyEventType.RecipientAdded, M.US)).tx)
        .to.be.revertedWithCustomError(f.registry, "CustodyNotCustodian")
        .withArgs(id, M.NL);
      const c = await f.registry.custodyOf(id);
      const v = verifyCustodyChain(id, M.FR, await custodyEvents(f, id), c.head);
      expect(v.status).to.equal("COMPLETE");
      expect(v.recipients).to.have.members([M.FR, M.NL, M.DE, M.US, M.ES]);
    });

    it("keeps recipients as bits of one storage word per 256 members, not a slot per recipient", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      const add = async (member: bigint) =>
        (await (await (await custody(f, f.frAgency, id, CustodyEventType.RecipientAdded, member)).tx).wait())!.gasUsed;
      const first = await add(M.NL); // writes the record's first recipient word (zero → non-zero)
      const second = await add(M.US); // sets a bit in the same word (non-zero → non-zero)
      const third = await add(M.ES);
      // The difference is exactly a fresh slot (20,000) versus rewriting a warm-loaded one (2,900), give or take calldata.
      expect(Number(first - second)).to.be.within(16_900, 17_300);
      expect(Number(second - third)).to.be.within(-200, 200);
      for (const m of [M.NL, M.US, M.ES]) expect(await f.registry.isRecipient(id, m)).to.equal(true);
    });
  });

  describe("attack: a late access blocking the custodian", function () {
    it("a recipient's Accessed dated late does not stop the custodian recording an earlier-dated transfer", async function () {
      const f = await loadFixture(evidenceFixture);
      const now = await time.latest();
      const id = await anchored(f, f.frAgency, M.FR, { collectedAt: now - 3600 });
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected, 0, { occurredAt: now - 1000 });
      await recordCustody(f, f.frAgency, id, CustodyEventType.RecipientAdded, M.DE, { occurredAt: now - 900 });
      // DE records its access with the latest possible time.
      const late = await time.latest();
      await recordCustody(f, f.deCourt, id, CustodyEventType.Accessed, 0, { occurredAt: late });
      let c = await f.registry.custodyOf(id);
      expect(c.lastAt).to.equal(BigInt(now - 1000));
      // The custodian records the transfer it made before that access.
      await expect(
        (await custody(f, f.frAgency, id, CustodyEventType.Transferred, M.NL, { occurredAt: now - 500 })).tx,
      ).to.emit(f.registry, "CustodyRecorded");
      c = await f.registry.custodyOf(id);
      expect([c.lastAt, c.pendingRecipient, c.count]).to.deep.equal([BigInt(now - 500), M.NL, 4n]);
      // A sharing event while the transfer is pending is still possible; it does not move the clock either.
      await recordCustody(f, f.deCourt, id, CustodyEventType.Accessed, 0, { occurredAt: now - 800 });
      expect((await f.registry.custodyOf(id)).lastAt).to.equal(BigInt(now - 500));
      const v = verifyCustodyChain(id, M.FR, await custodyEvents(f, id), (await f.registry.custodyOf(id)).head, {
        collectedAt: now - 3600,
      });
      expect(v).to.include({ status: "TRANSFER_PENDING", intact: true, pendingRecipient: M.NL });
    });
  });

  describe("endorsements", function () {
    it("records a foreign court's recognition under the agreement in force, with the report it relied on", async function () {
      const f = await loadFixture(evidenceFixture);
      const agreementId = await frToDe(f);
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, M.DE, agreementId, Verdict.Recognized, hashOf(`report ${Verdict.Recognized}`), f.deCourt.address);
      let e = await f.registry.endorsementOf(id, M.DE);
      expect([e.verdict, e.agreementId, e.reportHash, e[1] /* `at` (Result.at is the array method) */]).to.deep.equal([
        BigInt(Verdict.Recognized),
        agreementId,
        hashOf(`report ${Verdict.Recognized}`),
        BigInt(await time.latest()),
      ]);
      // A later challenge replaces it; a challenge names no agreement.
      await expect(endorse(f, f.deCourt, id, Verdict.Challenged))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, M.DE, 0, Verdict.Challenged, hashOf(`report ${Verdict.Challenged}`), f.deCourt.address);
      e = await f.registry.endorsementOf(id, M.DE);
      expect([e.verdict, e.agreementId]).to.deep.equal([BigInt(Verdict.Challenged), 0n]);
    });

    it("lets a foreign member challenge without any agreement", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.deCourt, M.DE);
      await expect(endorse(f, f.frAgency, id, Verdict.Challenged))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, M.FR, 0, Verdict.Challenged, hashOf(`report ${Verdict.Challenged}`), f.frAgency.address);
    });

    it("refuses verdict None, unknown records and members without an AGENCY or COURT role", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.None))
        .to.be.revertedWithCustomError(f.registry, "EndorsementInvalidVerdict")
        .withArgs(id, Verdict.None);
      await expect(endorse(f, f.deCourt, hashOf("unknown"), Verdict.Challenged))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownRecord")
        .withArgs(hashOf("unknown"));
      await expect(endorse(f, f.usPlatform, id, Verdict.Challenged))
        .to.be.revertedWithCustomError(f.registry, "SignedRequestMissingRole")
        .withArgs(M.US, Role.AGENCY | Role.COURT);
    });
  });

  describe("attack: self-endorsement", function () {
    it("the anchoring member cannot endorse its own record, whatever the verdict", async function () {
      const f = await loadFixture(evidenceFixture);
      await frToDe(f);
      const id = await anchored(f, f.frAgency, M.FR);
      for (const v of [Verdict.Recognized, Verdict.Challenged]) {
        await expect(endorse(f, f.frAgency, id, v))
          .to.be.revertedWithCustomError(f.registry, "EndorsementByAnchoringMember")
          .withArgs(id, M.FR);
      }
    });

    it("another member of the same jurisdiction cannot endorse it either", async function () {
      const f = await loadFixture(evidenceFixture);
      const frCourt = f.spare[0]!;
      const p = encodeProposal({
        kind: "AdmitMember",
        jurisdiction: "FR",
        roles: ["COURT"],
        name: "FR court",
        key: frCourt.address,
      });
      await gov.propose(f, f.frAgency, p.kind, p.payload);
      await gov.vote(f, f.deCourt, await f.governance.proposalCount(), true);
      expect((await f.consortium.signerInfo(frCourt.address)).memberId).to.equal(6n);
      await frToDe(f);
      const id = await anchored(f, f.frAgency, M.FR);
      for (const v of [Verdict.Recognized, Verdict.Challenged]) {
        await expect(endorse(f, frCourt, id, v))
          .to.be.revertedWithCustomError(f.registry, "EndorsementNotForeign")
          .withArgs(id, FR);
      }
    });
  });

  describe("attack: recognition without a standing agreement", function () {
    it("refuses recognition when no agreement covers the two jurisdictions", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementNoAgreement")
        .withArgs(id, FR, DE, VIDEO);
      expect((await f.registry.endorsementOf(id, M.DE)).verdict).to.equal(0n);
    });

    it("refuses recognition under an agreement in the other direction or for another category", async function () {
      const f = await loadFixture(evidenceFixture);
      await gov.concludeAgreement(f, f.deCourt, f.frAgency, {
        from: "DE",
        to: "FR",
        categories: [VIDEO],
        textHash: hashOf("DE-FR"),
      });
      await frToDe(f, { categories: [VIDEO + 1] });
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementNoAgreement")
        .withArgs(id, FR, DE, VIDEO);
    });

    it("refuses recognition under an agreement concluded only after the anchoring", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await frToDe(f);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementNoAgreement")
        .withArgs(id, FR, DE, VIDEO);
      // A record anchored under it is recognized.
      const later = await anchored(f, f.frAgency, M.FR, { contentHash: hashOf("package-2") });
      await expect(endorse(f, f.deCourt, later, Verdict.Recognized)).to.emit(f.registry, "EvidenceEndorsed");
    });

    it("refuses recognition while the agreement is suspended, although it was in force at the anchoring", async function () {
      const f = await loadFixture(evidenceFixture);
      const agreementId = await frToDe(f);
      const id = await anchored(f, f.frAgency, M.FR);
      await gov.setAgreementSuspended(f, f.deCourt, agreementId, true);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementNoAgreement")
        .withArgs(id, FR, DE, VIDEO);
      await gov.setAgreementSuspended(f, f.deCourt, agreementId, false);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, M.DE, agreementId, Verdict.Recognized, hashOf(`report ${Verdict.Recognized}`), f.deCourt.address);
    });

    it("refuses recognition of a retracted record (a challenge remains possible)", async function () {
      const f = await loadFixture(evidenceFixture);
      await frToDe(f);
      const id = await anchored(f, f.frAgency, M.FR);
      await (await retractEvidence(f, f.frAgency, id)).wait();
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(id, EvidenceStatus.Retracted);
      await expect(endorse(f, f.deCourt, id, Verdict.Challenged)).to.emit(f.registry, "EvidenceEndorsed");
    });
  });

  describe("attack: recognition below the agreement's minimum assurance", function () {
    it("COMPLETE_CUSTODY: refuses a record without custody, or with a transfer awaiting receipt", async function () {
      const f = await loadFixture(evidenceFixture);
      const agreementId = await frToDe(f, { minAssurance: ["COMPLETE_CUSTODY"] });
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
        .withArgs(id, agreementId, Assurance.COMPLETE_CUSTODY);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Transferred, M.DE);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
        .withArgs(id, agreementId, Assurance.COMPLETE_CUSTODY);
      await recordCustody(f, f.deCourt, id, CustodyEventType.Received, M.FR);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.emit(f.registry, "EvidenceEndorsed")
        .withArgs(id, M.DE, agreementId, Verdict.Recognized, hashOf(`report ${Verdict.Recognized}`), f.deCourt.address);
    });

    it("TIMELY_ANCHOR: refuses a record anchored later than the agreement's window after its collection", async function () {
      const f = await loadFixture(evidenceFixture);
      const agreementId = await frToDe(f, { minAssurance: ["TIMELY_ANCHOR"], anchorWindow: 3600 });
      const now = await time.latest();
      const late = await anchored(f, f.frAgency, M.FR, { collectedAt: now - 7200 });
      await expect(endorse(f, f.deCourt, late, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
        .withArgs(late, agreementId, Assurance.TIMELY_ANCHOR);
      const timely = await anchored(f, f.frAgency, M.FR, { contentHash: hashOf("package-2"), collectedAt: now - 60 });
      await expect(endorse(f, f.deCourt, timely, Verdict.Recognized)).to.emit(f.registry, "EvidenceEndorsed");
      // BATCH_PROOF_ALLOWED is for the verifier: it does not stop an endorsement of a single anchor.
    });

    it("evaluates every required flag: custody first, then timeliness", async function () {
      const f = await loadFixture(evidenceFixture);
      const agreementId = await frToDe(f, {
        minAssurance: ["COMPLETE_CUSTODY", "TIMELY_ANCHOR", "BATCH_PROOF_ALLOWED"],
        anchorWindow: 600,
      });
      const now = await time.latest();
      const id = await anchored(f, f.frAgency, M.FR, { collectedAt: now - 3600 });
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
        .withArgs(id, agreementId, Assurance.COMPLETE_CUSTODY);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      await expect(endorse(f, f.deCourt, id, Verdict.Recognized))
        .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
        .withArgs(id, agreementId, Assurance.TIMELY_ANCHOR);
    });
  });

  describe("retraction", function () {
    it("lets only the anchoring member retract, once, and keeps the record", async function () {
      const f = await loadFixture(evidenceFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await expect(retractEvidence(f, f.frAgency, id))
        .to.emit(f.registry, "EvidenceRetracted")
        .withArgs(id, M.FR, hashOf("mistaken capture"), f.frAgency.address);
      const e = await f.registry.getEvidence(id);
      expect([e.status, e.memberId]).to.deep.equal([BigInt(EvidenceStatus.Retracted), M.FR]);
      await expect(retractEvidence(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.registry, "EvidenceNotActive")
        .withArgs(id, EvidenceStatus.Retracted);
      await expect(retractEvidence(f, f.frAgency, hashOf("unknown")))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownRecord")
        .withArgs(hashOf("unknown"));
      // A batch retraction does not reach records.
      await expect(retractBatch(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.registry, "EvidenceUnknownBatch")
        .withArgs(id);
      // The same member can never anchor the same content again.
      await expect((await anchor(f, f.frAgency)).tx)
        .to.be.revertedWithCustomError(f.registry, "EvidenceAlreadyAnchored")
        .withArgs(id);
    });
  });

  describe("gas (signed by a member key, relayed by another account, cancun)", function () {
    it("anchorEvidence stays within 100,000 gas and anchorBatch within 70,000 whatever its size", async function () {
      const f = await loadFixture(evidenceFixture);
      await anchored(f, f.frAgency, M.FR, { contentHash: hashOf("warm-up") });
      const r = await (await (await anchor(f, f.frAgency, { contentHash: hashOf("measured") })).tx).wait();
      expect(Number(r!.gasUsed)).to.be.at.most(100_000);
      for (const n of [1, 1000, 10_000]) {
        const batch = EvidenceBatch.build(Array.from({ length: n }, (_, i) => hashOf(`record ${n} ${i}`)));
        const b = await (await anchorBatch(f, f.usPlatform, batch)).wait();
        expect(Number(b!.gasUsed), `batch of ${n}`).to.be.at.most(70_000);
      }
    });
  });

  describe("SDK EvidenceClient against the contract", function () {
    async function clientFixture() {
      const f = await evidenceFixture();
      const client = await EvidenceClient.connect(await f.registry.getAddress(), f.deployer);
      return { ...f, client };
    }

    it("anchors and resolves to the record id the contract computes; lists every anchor of a content hash", async function () {
      const f = await loadFixture(clientFixture);
      const params = {
        contentHash: CONTENT,
        packageCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        category: VIDEO,
        firstUpload: "US",
        caseRef: hashOf("case"),
        collectedAt: (await time.latest()) - 60,
      };
      const de = await (
        await f.client.anchorEvidence(await f.client.signAnchorEvidence(f.deCourt, params), f.deployer)
      ).wait();
      const fr = await (
        await f.client.anchorEvidence(await f.client.signAnchorEvidence(f.frAgency, params), f.deployer)
      ).wait();
      expect(fr.recordId).to.equal(await f.registry.recordIdOf(M.FR, CONTENT));
      expect(fr.recordId).to.equal(f.client.recordIdOf(1, CONTENT));
      expect([de.memberId, fr.memberId]).to.deep.equal([M.DE, M.FR]);
      const record = await f.client.getEvidence(fr.recordId);
      expect(record).to.include({
        recordId: fr.recordId,
        contentHash: CONTENT,
        status: "Active",
        memberId: M.FR,
        jurisdiction: "FR",
        firstUpload: "US",
        primaryDissemination: undefined,
        packageCid: params.packageCid,
        fieldsMatchCommitment: true,
      });
      expect((await f.client.getEvidenceOf(M.DE, CONTENT))!.jurisdiction).to.equal("DE");
      const all = await f.client.recordsOf(CONTENT);
      expect(all.map((r) => [r.recordId, r.jurisdiction])).to.deep.equal([
        [de.recordId, "DE"],
        [fr.recordId, "FR"],
      ]);
      expect(await f.client.getEvidence(hashOf("nothing"))).to.equal(undefined);

      const custody = await f.client.custodyChain(fr.recordId);
      expect(custody.verification).to.include({ status: "NO_CUSTODY_RECORDED", complete: false, recorded: false });
    });

    it("anchors a batch and resolves to its batch id; retracts records and batches separately", async function () {
      const f = await loadFixture(clientFixture);
      const batch = EvidenceBatch.build([hashOf("a"), hashOf("b"), hashOf("c")]);
      const signed = await f.client.signAnchorBatch(f.usPlatform, {
        batch,
        manifestCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        category: 4,
      });
      const { batchId, root } = await (await f.client.anchorBatch(signed, f.deployer)).wait();
      expect(batchId).to.equal(f.client.batchIdOf(M.US, batch.root));
      expect(root).to.equal(batch.root);
      expect(await f.client.getBatch(batchId)).to.include({
        root: batch.root,
        count: 3,
        status: "Active",
        jurisdiction: "US",
      });
      expect(await f.client.verifyInclusion(batchId, hashOf("b"), batch.proof(hashOf("b")))).to.equal(true);
      const retract = await f.client.signRetractBatch(f.usPlatform, { batchId, reasonHash: hashOf("why") });
      const retracted = await (await f.client.submit(retract, f.deployer)).wait();
      expect(retracted).to.deep.include({ batchId, memberId: BigInt(M.US) });
      expect((await f.client.getBatch(batchId))!.status).to.equal("Retracted");
    });

    it("refuses bad input with INVALID_ARGUMENT before any network call", async function () {
      const f = await loadFixture(clientFixture);
      const provider = (f.client as unknown as { provider: { getBlock: unknown } }).provider;
      const original = provider.getBlock;
      let calls = 0;
      provider.getBlock = () => {
        calls += 1;
        throw new Error("network used");
      };
      const base = {
        contentHash: CONTENT,
        packageCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        category: VIDEO,
        caseRef: hashOf("case"),
        collectedAt: 1_800_000_000,
      };
      const cases: [Promise<unknown>, string][] = [
        [f.client.signAnchorEvidence(f.frAgency, { ...base, firstUpload: "XX" }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, primaryDissemination: "fr" }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, category: 64 }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, contentHash: ZERO }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, contentHash: "0x12" }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, packageCid: "not a cid" }), "INVALID_ARGUMENT"],
        [f.client.signAnchorEvidence(f.frAgency, { ...base, jurisdiction: "DE" } as typeof base), "INVALID_ARGUMENT"],
        [f.client.signCustody(f.frAgency, { recordId: "0x12", eventType: "Collected" }), "INVALID_ARGUMENT"],
        [f.client.signCustody(f.frAgency, { recordId: CONTENT, eventType: "Nope" as "Collected" }), "INVALID_ARGUMENT"],
        [
          f.client.signAddRecipient(f.frAgency, { recordId: CONTENT, recipient: 0, packageCid: base.packageCid }),
          "INVALID_ARGUMENT",
        ],
        [
          f.client.signEndorsement(f.frAgency, {
            recordId: CONTENT,
            verdict: "Recognised" as "Recognized",
            reportHash: ZERO,
          }),
          "INVALID_ARGUMENT",
        ],
        [f.client.signRetractEvidence(f.frAgency, { recordId: CONTENT, reasonHash: "0x" }), "INVALID_ARGUMENT"],
        [f.client.signRetractBatch(f.frAgency, { batchId: ZERO, reasonHash: ZERO }), "INVALID_ARGUMENT"],
      ];
      try {
        for (const [promise, code] of cases) {
          await promise.then(
            () => expect.fail(`accepted, expected ${code}`),
            (err: unknown) => expect(isCrossproofError(err, code as "INVALID_ARGUMENT"), String(err)).to.equal(true),
          );
        }
        expect(calls).to.equal(0);
      } finally {
        provider.getBlock = original;
      }
    });

    it("reports a contract refusal as CONTRACT_REVERTED naming the custom error", async function () {
      const f = await loadFixture(clientFixture);
      const id = await anchored(f, f.frAgency, M.FR);
      await recordCustody(f, f.frAgency, id, CustodyEventType.Collected);
      const signed = await f.client.signCustody(f.nlOperator, { recordId: id, eventType: "Accessed" });
      await f.client.submit(signed, f.deployer).then(
        () => expect.fail("recorded an outsider's access"),
        (err: unknown) => {
          expect(isCrossproofError(err, "CONTRACT_REVERTED")).to.equal(true);
          expect((err as { details: { error: string } }).details.error).to.equal("CustodyAccessNotGranted");
        },
      );
    });
  });
});
