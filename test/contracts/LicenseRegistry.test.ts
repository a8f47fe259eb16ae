import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Signer } from "ethers";
import { iso31661 } from "iso-3166";
import {
  GrantType,
  LicenceClient,
  MAX_RESTRICTIVE_SIBLINGS,
  ProposalKind,
  Right,
  Role,
  encodeProposal,
  isCrossproofError,
  licenceId,
  signLicenceRequest,
  toJurisdiction,
  type GrantLicenceRequest,
  type Hex,
} from "../../sdk/src";
import { cidOf, hashOf, licenceFixture, type LicenceFixture } from "../helpers/fixtures";
import { propose, vote } from "../helpers/governance";

const ZERO = ethers.ZeroHash as Hex;
const YEAR = 365 * 24 * 3600;
const DAY = 24 * 3600;
const j = (codes: string[]) => codes.map(toJurisdiction);
const WORK = hashOf("the work");
/** Reason codes, as in ILicenseRegistry.Reason. */
const R = {
  OK: 0n,
  UNKNOWN_LICENCE: 1n,
  REVOKED: 2n,
  EXPIRED: 3n,
  NOT_YET_VALID: 4n,
  RIGHT_NOT_GRANTED: 5n,
  TERRITORY_NOT_GRANTED: 6n,
  CHAIN_TOO_DEEP: 7n,
  TITLE_VOIDED: 8n,
};
/** Dispute status, as in ILicenseRegistry.DisputeStatus. */
const D = { None: 0n, Open: 1n, Dismissed: 2n, Upheld: 3n };
const ALL_RIGHTS = 63;
/** Officially assigned ISO codes, for filling lists with disjoint territories. */
const CODES = iso31661.map((c) => c.alpha2).filter((c) => !["FR", "DE", "ES"].includes(c));

let T0 = 0;

async function register(f: LicenceFixture, holder: { getAddress(): Promise<string> }, signer: Signer, work = WORK) {
  const now = await time.latest();
  const signed = await signLicenceRequest(signer, f.domain, "RegisterWork", {
    contentHash: work,
    fingerprintHash: hashOf("fingerprint"),
    rightsHolder: await holder.getAddress(),
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cidOf("metadata"),
    deadline: now + 3600,
  });
  return f.licences.connect(f.deployer).registerWork(signed.request, signed.signature);
}

async function grantRequest(
  licensor: string,
  licensee: string,
  o: Partial<GrantLicenceRequest> = {},
): Promise<GrantLicenceRequest> {
  return {
    workId: WORK,
    parentId: ZERO,
    licensor,
    licensee,
    rights: Right.REPRODUCE | Right.MAKE_AVAILABLE,
    grantType: GrantType.NonExclusive,
    sublicensable: true,
    start: T0,
    backdated: false,
    end: T0 + 2 * YEAR,
    worldwide: false,
    territories: j(["FR", "DE", "ES"]),
    agreementHash: ZERO,
    salt: hashOf(`salt ${licensor} ${licensee} ${JSON.stringify(o)}`),
    deadline: (await time.latest()) + 3600,
    ...o,
  };
}

/** Signs and submits a grant; returns the transaction and the licence id it will have. */
async function grant(
  f: LicenceFixture,
  by: HardhatEthersSigner,
  licensee: string,
  o: Partial<GrantLicenceRequest> = {},
  signer: Signer = by,
) {
  const request = await grantRequest(o.licensor ?? by.address, licensee, o);
  const signed = await signLicenceRequest(signer, f.domain, "GrantLicence", request);
  const id = licenceId(request.workId, request.parentId, request.licensor, request.licensee, request.salt);
  return {
    id,
    request,
    signed,
    /** Sends the request (on each access). */
    get tx() {
      return f.licences.connect(f.deployer).grantLicence(signed.request, signed.signature);
    },
  };
}

/** Grants and waits; returns the licence id. */
async function granted(
  f: LicenceFixture,
  by: HardhatEthersSigner,
  licensee: string,
  o: Partial<GrantLicenceRequest> = {},
): Promise<Hex> {
  const g = await grant(f, by, licensee, o);
  await (await g.tx).wait();
  return g.id;
}

async function revoke(f: LicenceFixture, by: HardhatEthersSigner, id: Hex) {
  const signed = await signLicenceRequest(by, f.domain, "RevokeLicence", {
    licenceId: id,
    reasonHash: hashOf("breach of contract"),
    nonce: await f.licences.nonces(by.address),
    deadline: (await time.latest()) + 3600,
  });
  return f.licences.revokeLicence(signed.request, signed.signature);
}

async function assign(f: LicenceFixture, from: HardhatEthersSigner, to: HardhatEthersSigner, work = WORK) {
  const request = {
    workId: work,
    from: from.address,
    to: to.address,
    agreementHash: hashOf("deed of assignment"),
    nonce: await f.licences.nonces(from.address),
    deadline: (await time.latest()) + 3600,
  };
  const a = await signLicenceRequest(from, f.domain, "AssignWork", request);
  const b = await signLicenceRequest(to, f.domain, "AssignWork", request);
  return f.licences.assignWork(request, a.signature, b.signature);
}

async function fileDispute(
  f: LicenceFixture,
  by: HardhatEthersSigner,
  claimant: string,
  o: { fromHolding?: number; work?: Hex } = {},
) {
  const signed = await signLicenceRequest(by, f.domain, "FileWorkDispute", {
    workId: o.work ?? WORK,
    claimant,
    fromHolding: o.fromHolding ?? 0,
    evidenceHash: hashOf("evidence of authorship"),
    nonce: await f.licences.nonces(by.address),
    deadline: (await time.latest()) + 3600,
  });
  return f.licences.connect(f.deployer).fileDispute(signed.request, signed.signature);
}

/** FR agency proposes, DE court votes: 2 of 3 governors, the quorum; the second vote executes the resolution. */
async function resolveByGovernance(f: LicenceFixture, disputeId: bigint, newHolder: string, decision = "decision") {
  const p = encodeProposal({
    kind: "ResolveWorkDispute",
    licenseRegistry: await f.licences.getAddress(),
    disputeId,
    newHolder,
    decisionHash: hashOf(decision),
  });
  await (await propose(f, f.frAgency, p.kind, p.payload)).wait();
  return vote(f, f.deCourt, await f.governance.proposalCount(), true);
}

/** Holder → label (sublicensable, FR/DE/ES, reproduce + make available, 2 years) → platform (FR, make available, 1 year). */
async function chainFixture() {
  const f = await licenceFixture();
  T0 = (await time.latest()) + 100;
  await register(f, f.holder, f.holder);
  const root = await grant(f, f.holder, f.label.address);
  await root.tx;
  const leaf = await grant(f, f.label, f.platform.address, {
    parentId: root.id,
    rights: Right.MAKE_AVAILABLE,
    territories: j(["FR"]),
    end: T0 + YEAR,
    sublicensable: false,
  });
  await leaf.tx;
  return { ...f, root: root.id, leaf: leaf.id };
}

/** A registered work and T0 a little ahead of chain time. */
async function workFixture() {
  const f = await licenceFixture();
  T0 = (await time.latest()) + 100;
  await register(f, f.holder, f.holder);
  return f;
}

/** Whoever registers first is the rights holder: here the outsider squats the holder's work. */
async function squatFixture() {
  const f = await licenceFixture();
  T0 = (await time.latest()) + 100;
  await register(f, f.outsider, f.outsider);
  const squatter = f.outsider;
  const accomplice = f.label;
  // The squatter locks the whole work away: exclusive, every right, worldwide, for decades.
  const exclusive = await granted(f, squatter, accomplice.address, {
    grantType: GrantType.Exclusive,
    agreementHash: hashOf("sham deal"),
    rights: ALL_RIGHTS,
    worldwide: true,
    territories: [],
    start: 0,
    end: T0 + 50 * YEAR,
  });
  const sub = await granted(f, accomplice, f.distributor.address, {
    parentId: exclusive,
    grantType: GrantType.NonExclusive,
    rights: Right.BROADCAST,
    worldwide: true,
    territories: [],
    start: T0,
    end: T0 + YEAR,
  });
  return { ...f, squatter, accomplice, exclusive, sub };
}

describe("LicenseRegistry", function () {
  describe("works", function () {
    it("registers a work signed by its rights holder, once", async function () {
      const f = await loadFixture(licenceFixture);
      await expect(register(f, f.holder, f.holder))
        .to.emit(f.licences, "WorkRegistered")
        .withArgs(
          WORK,
          f.holder.address,
          f.holder.address,
          0,
          hashOf("fingerprint"),
          toJurisdiction("FR"),
          cidOf("metadata"),
        );
      const w = await f.licences.getWork(WORK);
      expect([w.rightsHolder, w.originJurisdiction]).to.deep.equal([f.holder.address, toJurisdiction("FR")]);
      await expect(register(f, f.holder, f.holder))
        .to.be.revertedWithCustomError(f.licences, "LicenceWorkAlreadyRegistered")
        .withArgs(WORK);
    });

    it("lets a REGISTRY member register on the holder's behalf, and nobody else", async function () {
      const f = await loadFixture(licenceFixture);
      await expect(register(f, f.holder, f.outsider))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.holder.address);
      await expect(register(f, f.holder, f.frAgency))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.holder.address);
      await expect(register(f, f.holder, f.esRegistry))
        .to.emit(f.licences, "WorkRegistered")
        .withArgs(
          WORK,
          f.holder.address,
          f.esRegistry.address,
          5,
          hashOf("fingerprint"),
          toJurisdiction("FR"),
          cidOf("metadata"),
        );
    });

    it("accepts contract wallets (EIP-1271) as rights holders, licensors and licensees", async function () {
      const f = await loadFixture(licenceFixture);
      const wallet = await ethers.deployContract("TestContractWallet", [f.holder.address]);
      T0 = (await time.latest()) + 100;
      await expect(register(f, wallet, f.holder)).to.emit(f.licences, "WorkRegistered");
      await expect(register(f, wallet, f.outsider, hashOf("w2")))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(await wallet.getAddress());
      const g = await grant(f, f.holder, f.label.address, { licensor: await wallet.getAddress() });
      await expect(g.tx).to.emit(f.licences, "LicenceGranted");
      expect((await f.licences.getLicence(g.id)).licensor).to.equal(await wallet.getAddress());
    });

    it("SDK: an assignment signed by both holders resolves to { workId, from, to }", async function () {
      const f = await loadFixture(chainFixture);
      const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      const signed = await client.signAssignment(f.holder, f.outsider, {
        workId: WORK,
        agreementHash: hashOf("deed of assignment"),
      });
      // Without the new holder's signature it is refused before anything is sent.
      const { newHolderSignature, ...holderOnly } = signed;
      expect(newHolderSignature).to.match(/^0x[0-9a-f]{130}$/);
      await client.submit(holderOnly as typeof signed, f.deployer).then(
        () => expect.fail("submitted"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true),
      );
      const assigned = await (await client.submit(signed, f.deployer)).wait();
      expect(assigned).to.deep.include({ workId: WORK.toLowerCase(), from: f.holder.address, to: f.outsider.address });
      expect((await client.getHolders(WORK)).map((h) => h.holder)).to.deep.equal([
        f.holder.address,
        f.outsider.address,
      ]);
    });

    it("records an assignment signed by both holders, keeps the history and the licences granted before", async function () {
      const f = await loadFixture(chainFixture);
      const assignee = f.outsider;
      const before = await time.latest();
      const request = {
        workId: WORK,
        from: f.holder.address,
        to: assignee.address,
        agreementHash: hashOf("deed of assignment"),
        nonce: 0,
        deadline: before + 3600,
      };
      const fromSig = await signLicenceRequest(f.holder, f.domain, "AssignWork", request);
      const toSig = await signLicenceRequest(assignee, f.domain, "AssignWork", request);
      await expect(f.licences.assignWork(request, fromSig.signature, fromSig.signature))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(assignee.address);
      const wrongFrom = { ...request, from: f.label.address };
      const wrongSig = await signLicenceRequest(f.label, f.domain, "AssignWork", wrongFrom);
      const wrongTo = await signLicenceRequest(assignee, f.domain, "AssignWork", wrongFrom);
      await expect(f.licences.assignWork(wrongFrom, wrongSig.signature, wrongTo.signature))
        .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
        .withArgs(WORK, f.label.address);
      await expect(f.licences.assignWork(request, fromSig.signature, toSig.signature))
        .to.emit(f.licences, "WorkAssigned")
        .withArgs(WORK, f.holder.address, assignee.address, hashOf("deed of assignment"));
      await expect(f.licences.assignWork(request, fromSig.signature, toSig.signature)).to.be.revertedWithCustomError(
        f.licences,
        "LicenceNotRightsHolder",
      );
      const after = await time.latest();
      expect(await f.licences.rightsHolderAt(WORK, before)).to.equal(f.holder.address);
      expect(await f.licences.rightsHolderAt(WORK, after)).to.equal(assignee.address);
      expect((await f.licences.holdersOf(WORK)).length).to.equal(2);
      // Licences granted before the assignment stay in force; only the new holder grants root licences now.
      const [reason] = await f.licences.verifyAuthorization(
        f.leaf,
        Right.MAKE_AVAILABLE,
        toJurisdiction("FR"),
        Math.max(after, T0 + 100),
      );
      expect(reason).to.equal(R.OK);
      await expect((await grant(f, f.holder, f.distributor.address)).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
        .withArgs(WORK, f.holder.address);
      await expect((await grant(f, assignee, f.distributor.address, { territories: j(["IT"]) })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });
  });

  describe("grants", function () {
    it("grants a chain and verifies it in one call", async function () {
      const f = await loadFixture(chainFixture);
      const t = T0 + 100;
      expect(await f.licences.verifyAuthorization(f.leaf, Right.MAKE_AVAILABLE, toJurisdiction("FR"), t)).to.deep.equal(
        [R.OK, ZERO],
      );
      const l = await f.licences.getLicence(f.leaf);
      expect([l.parentId, l.licensor, l.licensee, l.depth]).to.deep.equal([
        f.root,
        f.label.address,
        f.platform.address,
        2n,
      ]);
      const salt = hashOf("any salt");
      expect(await f.licences.licenceIdOf(WORK, f.root, f.label.address, f.platform.address, salt)).to.equal(
        licenceId(WORK, f.root, f.label.address, f.platform.address, salt),
      );
    });

    it("refuses a root licence from anyone but the rights holder", async function () {
      const f = await loadFixture(chainFixture);
      await expect((await grant(f, f.label, f.distributor.address)).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
        .withArgs(WORK, f.label.address);
      await expect((await grant(f, f.holder, f.distributor.address, { workId: hashOf("unknown") })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceUnknownWork")
        .withArgs(hashOf("unknown"));
      // A signature by someone else than the named licensor.
      await expect((await grant(f, f.holder, f.distributor.address, {}, f.outsider)).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.holder.address);
    });

    it("keeps a sublicence inside its parent: rights, territories, term", async function () {
      const f = await loadFixture(chainFixture);
      const sub = (o: Partial<GrantLicenceRequest>) =>
        grant(f, f.label, f.distributor.address, { parentId: f.root, ...o });
      await expect((await sub({ rights: Right.REPRODUCE | Right.BROADCAST })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceRightsExceedParent")
        .withArgs(Right.REPRODUCE | Right.BROADCAST, Right.REPRODUCE | Right.MAKE_AVAILABLE);
      await expect((await sub({ territories: j(["FR", "IT"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceTerritoryExceedsParent")
        .withArgs(f.root);
      await expect((await sub({ territories: [], worldwide: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceTerritoryExceedsParent")
        .withArgs(f.root);
      await expect((await sub({ start: T0 - 1 })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceTermExceedsParent")
        .withArgs(T0 - 1, T0 + 2 * YEAR, T0, T0 + 2 * YEAR);
      await expect((await sub({ end: T0 + 2 * YEAR + 1 })).tx).to.be.revertedWithCustomError(
        f.licences,
        "LicenceTermExceedsParent",
      );
      await expect((await sub({ territories: j(["DE"]), start: T0 + 5, end: T0 + 2 * YEAR })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });

    it("refuses sublicences from a non-sublicensable parent, by a non-licensee, or across works", async function () {
      const f = await loadFixture(chainFixture);
      await expect(
        (
          await grant(f, f.platform, f.distributor.address, {
            parentId: f.leaf,
            territories: j(["FR"]),
            rights: Right.MAKE_AVAILABLE,
            end: T0 + YEAR,
          })
        ).tx,
      )
        .to.be.revertedWithCustomError(f.licences, "LicenceParentNotSublicensable")
        .withArgs(f.leaf);
      await expect((await grant(f, f.distributor, f.outsider.address, { parentId: f.root })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceNotParentLicensee")
        .withArgs(f.root, f.distributor.address);
      await register(f, f.holder, f.holder, hashOf("other work"));
      await expect((await grant(f, f.label, f.outsider.address, { parentId: f.root, workId: hashOf("other work") })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceWorkMismatch")
        .withArgs(f.root, hashOf("other work"));
      await expect((await grant(f, f.label, f.outsider.address, { parentId: hashOf("nothing") })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceUnknown")
        .withArgs(hashOf("nothing"));
    });

    it("refuses sublicences under a revoked or expired parent or ancestor", async function () {
      const f = await loadFixture(chainFixture);
      const mid = await grant(f, f.label, f.distributor.address, { parentId: f.root, territories: j(["DE"]) });
      await mid.tx;
      await revoke(f, f.holder, f.root);
      await expect((await grant(f, f.label, f.outsider.address, { parentId: f.root, territories: j(["ES"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceParentNotActive")
        .withArgs(f.root, R.REVOKED);
      await expect((await grant(f, f.distributor, f.outsider.address, { parentId: mid.id, territories: j(["DE"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceParentNotActive")
        .withArgs(f.root, R.REVOKED);
    });

    it("refuses a sublicence under an expired parent", async function () {
      const f = await loadFixture(chainFixture);
      await time.increaseTo(T0 + 2 * YEAR);
      await expect((await grant(f, f.label, f.outsider.address, { parentId: f.root, start: 0, end: T0 + 3 * YEAR })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceParentNotActive")
        .withArgs(f.root, R.EXPIRED);
    });

    it("validates rights, term, territories, agreement hash and uniqueness", async function () {
      const f = await loadFixture(chainFixture);
      const bad = (o: Partial<GrantLicenceRequest>) => grant(f, f.holder, f.distributor.address, o);
      await expect((await bad({ rights: 0 })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidRights")
        .withArgs(0);
      await expect((await bad({ rights: 64 })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidRights")
        .withArgs(64);
      await expect((await bad({ start: T0 + 5, end: T0 + 5 })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidTerm")
        .withArgs(T0 + 5, T0 + 5);
      await expect((await bad({ territories: ["0x6672"] })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidTerritory")
        .withArgs("0x6672");
      await expect((await bad({ territories: [] })).tx).to.be.revertedWithCustomError(
        f.licences,
        "LicenceInvalidRequest",
      );
      await expect((await bad({ worldwide: true, territories: j(["FR"]) })).tx).to.be.revertedWithCustomError(
        f.licences,
        "LicenceInvalidRequest",
      );
      await expect(
        (await bad({ grantType: GrantType.Exclusive, territories: j(["IT"]) })).tx,
      ).to.be.revertedWithCustomError(f.licences, "LicenceAgreementRequired");
      const ok = await bad({ territories: j(["IT"]), salt: hashOf("fixed") });
      await ok.tx;
      await expect((await bad({ territories: j(["IT"]), salt: hashOf("fixed") })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceAlreadyExists")
        .withArgs(ok.id);
    });

    it("bounds chains at MAX_CHAIN_DEPTH", async function () {
      const f = await loadFixture(licenceFixture);
      T0 = (await time.latest()) + 100;
      await register(f, f.holder, f.holder);
      const accounts = (await ethers.getSigners()).slice(6, 16);
      const max = Number(await f.licences.MAX_CHAIN_DEPTH());
      expect(max).to.equal(8);
      let parent = ZERO;
      let licensor = f.holder;
      for (let depth = 1; depth <= max; ++depth) {
        const g = await grant(f, licensor, accounts[depth]!.address, { parentId: parent });
        await g.tx;
        parent = g.id;
        licensor = accounts[depth]!;
      }
      expect((await f.licences.getLicence(parent)).depth).to.equal(BigInt(max));
      expect((await f.licences.verifyAuthorization(parent, Right.REPRODUCE, toJurisdiction("ES"), T0 + 1))[0]).to.equal(
        R.OK,
      );
      await expect((await grant(f, licensor, accounts[max + 1]!.address, { parentId: parent })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceChainTooDeep")
        .withArgs(max + 1);
    });
  });

  describe("exclusivity", function () {
    it("refuses overlapping exclusive grants but not disjoint ones", async function () {
      const f = await loadFixture(licenceFixture);
      T0 = (await time.latest()) + 100;
      await register(f, f.holder, f.holder);
      const excl = { grantType: GrantType.Exclusive, agreementHash: hashOf("exclusive deal"), territories: j(["FR"]) };
      const a = await grant(f, f.holder, f.label.address, excl);
      await a.tx;
      await expect((await grant(f, f.holder, f.distributor.address, { ...excl, territories: j(["FR", "BE"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(a.id);
      // The rights holder itself gave the exclusivity away: no non-exclusive grant in scope either.
      await expect(
        (await grant(f, f.holder, f.distributor.address, { territories: j(["FR"]), rights: Right.REPRODUCE })).tx,
      )
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(a.id);
      // Other territory, other right, or after the term: fine.
      await expect((await grant(f, f.holder, f.distributor.address, { ...excl, territories: j(["BE"]) })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
      await expect((await grant(f, f.holder, f.distributor.address, { ...excl, rights: Right.PERFORM })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
      await expect(
        (await grant(f, f.holder, f.distributor.address, { ...excl, start: T0 + 2 * YEAR, end: T0 + 3 * YEAR })).tx,
      ).to.emit(f.licences, "LicenceGranted");
      // Worldwide overlaps everything.
      await expect((await grant(f, f.holder, f.platform.address, { ...excl, territories: [], worldwide: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(a.id);
      // The exclusive licensee sublicenses inside its own exclusivity: its chain, no conflict.
      await expect((await grant(f, f.label, f.platform.address, { ...excl, parentId: a.id })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });

    it("stops conflicting once the exclusive grant is revoked; a sole grant binds its licensor, not its licensee", async function () {
      const f = await loadFixture(licenceFixture);
      T0 = (await time.latest()) + 100;
      await register(f, f.holder, f.holder);
      const a = await grant(f, f.holder, f.label.address, {
        grantType: GrantType.Exclusive,
        agreementHash: hashOf("deal"),
        territories: j(["FR"]),
      });
      await a.tx;
      await revoke(f, f.holder, a.id);
      await expect(
        (await grant(f, f.holder, f.distributor.address, { territories: j(["FR"]), start: (await time.latest()) + 5 }))
          .tx,
      ).to.emit(f.licences, "LicenceGranted");
      const sole = await grant(f, f.holder, f.label.address, {
        grantType: GrantType.Sole,
        agreementHash: hashOf("sole deal"),
        territories: j(["DE"]),
      });
      await sole.tx;
      await expect((await grant(f, f.holder, f.platform.address, { territories: j(["DE"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(sole.id);
      // A sole grant binds its licensor, not the sole licensee's own sublicensing.
      await expect(
        (await grant(f, f.label, f.platform.address, { parentId: sole.id, territories: j(["DE"]) })).tx,
      ).to.emit(f.licences, "LicenceGranted");
    });
  });

  describe("revocation and verification", function () {
    it("fails every licence below a revoked parent from the moment of revocation, without touching them", async function () {
      const f = await loadFixture(chainFixture);
      await time.increaseTo(T0 + 1000);
      const leafBefore = await f.licences.getLicence(f.leaf);
      await expect(revoke(f, f.holder, f.root)).to.emit(f.licences, "LicenceRevoked");
      const revokedAt = Number((await f.licences.getLicence(f.root)).revokedAt);
      const fr = toJurisdiction("FR");
      expect(await f.licences.verifyAuthorization(f.leaf, Right.MAKE_AVAILABLE, fr, revokedAt - 1)).to.deep.equal([
        R.OK,
        ZERO,
      ]);
      expect(await f.licences.verifyAuthorization(f.leaf, Right.MAKE_AVAILABLE, fr, revokedAt)).to.deep.equal([
        R.REVOKED,
        f.root,
      ]);
      expect(await f.licences.getLicence(f.leaf)).to.deep.equal(leafBefore);
      const links = await f.licences.chainAt(f.leaf, Right.MAKE_AVAILABLE, fr, revokedAt);
      expect(links.map((l) => [l.licenceId, l.valid, l.reason])).to.deep.equal([
        [f.root, false, R.REVOKED],
        [f.leaf, true, R.OK],
      ]);
      await expect(revoke(f, f.holder, f.root))
        .to.be.revertedWithCustomError(f.licences, "LicenceNotRevocable")
        .withArgs(f.root);
      await expect(revoke(f, f.label, f.root))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.holder.address);
      await expect(revoke(f, f.holder, hashOf("none"))).to.be.revertedWithCustomError(f.licences, "LicenceUnknown");
    });

    it("is exact at term boundaries and says which right or territory is missing", async function () {
      const f = await loadFixture(chainFixture);
      const fr = toJurisdiction("FR");
      const v = (t: number, right: number = Right.MAKE_AVAILABLE, terr = fr) =>
        f.licences.verifyAuthorization(f.leaf, right, terr, t);
      expect(await v(T0 - 1)).to.deep.equal([R.NOT_YET_VALID, f.root]);
      expect(await v(T0)).to.deep.equal([R.OK, ZERO]);
      expect(await v(T0 + YEAR - 1)).to.deep.equal([R.OK, ZERO]);
      expect(await v(T0 + YEAR)).to.deep.equal([R.EXPIRED, f.leaf]);
      expect(await v(T0 + 2 * YEAR)).to.deep.equal([R.EXPIRED, f.root]);
      expect(await v(T0 + 5, Right.REPRODUCE)).to.deep.equal([R.RIGHT_NOT_GRANTED, f.leaf]);
      expect(await v(T0 + 5, Right.BROADCAST)).to.deep.equal([R.RIGHT_NOT_GRANTED, f.root]);
      expect(await v(T0 + 5, Right.MAKE_AVAILABLE, toJurisdiction("DE"))).to.deep.equal([
        R.TERRITORY_NOT_GRANTED,
        f.leaf,
      ]);
      expect(await v(T0 + 5, Right.MAKE_AVAILABLE, toJurisdiction("US"))).to.deep.equal([
        R.TERRITORY_NOT_GRANTED,
        f.root,
      ]);
      expect(await f.licences.verifyAuthorization(hashOf("none"), 1, fr, T0)).to.deep.equal([
        R.UNKNOWN_LICENCE,
        hashOf("none"),
      ]);
    });

    it("explains a verification in plain words (SDK)", async function () {
      const f = await loadFixture(chainFixture);
      const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      const ok = await client.explainAuthorization(f.leaf, "MAKE_AVAILABLE", "FR", T0 + 10);
      expect(ok.authorized).to.equal(true);
      expect(ok.rightsHolderAtTime).to.equal(f.holder.address);
      expect(ok.chain.map((c) => c.licence.territories)).to.deep.equal([["DE", "ES", "FR"], ["FR"]]);
      expect(ok.summary).to.match(/^Authorised: .* held MAKE_AVAILABLE for FR .* chain of 2 licence\(s\)/);
      const no = await client.explainAuthorization(f.leaf, "MAKE_AVAILABLE", "DE", T0 + 10);
      expect(no).to.include({ authorized: false, reason: "TERRITORY_NOT_GRANTED", failedAt: f.leaf });
      expect(no.summary).to.contain("covers FR, not DE");
    });
  });

  describe("attack: a non-exclusive licensee grants an exclusive or sole sublicence", function () {
    it("refuses a sublicence stronger than its parent, allows an equal or weaker one", async function () {
      const f = await loadFixture(chainFixture);
      const deal = { parentId: f.root, agreementHash: hashOf("sub deal"), territories: j(["DE"]) };
      // The label holds a non-exclusive licence.
      await expect((await grant(f, f.label, f.distributor.address, { ...deal, grantType: GrantType.Exclusive })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceGrantTypeExceedsParent")
        .withArgs(GrantType.Exclusive, GrantType.NonExclusive);
      await expect((await grant(f, f.label, f.distributor.address, { ...deal, grantType: GrantType.Sole })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceGrantTypeExceedsParent")
        .withArgs(GrantType.Sole, GrantType.NonExclusive);
      // A sole licensee cannot grant an exclusive sublicence either (its licensor keeps exercising), a sole one yes.
      const soleDeal = { grantType: GrantType.Sole, agreementHash: hashOf("sole deal"), territories: j(["IT"]) };
      const sole = await granted(f, f.holder, f.outsider.address, soleDeal);
      await expect(
        (
          await grant(f, f.outsider, f.distributor.address, {
            ...soleDeal,
            parentId: sole,
            grantType: GrantType.Exclusive,
          })
        ).tx,
      )
        .to.be.revertedWithCustomError(f.licences, "LicenceGrantTypeExceedsParent")
        .withArgs(GrantType.Exclusive, GrantType.Sole);
      await expect((await grant(f, f.outsider, f.distributor.address, { ...soleDeal, parentId: sole })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
      // Below an exclusive licence, any type.
      const exclDeal = { grantType: GrantType.Exclusive, agreementHash: hashOf("excl deal"), territories: j(["PT"]) };
      const excl = await granted(f, f.holder, f.outsider.address, exclDeal);
      await expect((await grant(f, f.outsider, f.platform.address, { ...exclDeal, parentId: excl })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });
  });

  describe("attack: an exclusive lock outlives its revoked or expired parent", function () {
    /** Holder → label (exclusive, FR, 1 year) → distributor (exclusive, FR). */
    async function exclusiveChainFixture() {
      const f = await workFixture();
      const excl = { grantType: GrantType.Exclusive, agreementHash: hashOf("exclusive deal"), territories: j(["FR"]) };
      const parent = await granted(f, f.holder, f.label.address, { ...excl, end: T0 + YEAR });
      const child = await granted(f, f.label, f.distributor.address, { ...excl, parentId: parent, end: T0 + YEAR });
      return { ...f, parent, child, excl };
    }
    const rival = (f: LicenceFixture, end: number) =>
      grant(f, f.holder, f.platform.address, { territories: j(["FR"]), start: 0, end });

    it("a revoked parent frees its scope, whatever exclusive licences its branch holds", async function () {
      const f = await loadFixture(exclusiveChainFixture);
      await expect((await rival(f, T0 + YEAR)).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(f.parent);
      await revoke(f, f.holder, f.parent);
      await expect((await rival(f, T0 + YEAR)).tx).to.emit(f.licences, "LicenceGranted");
      // The branch below authorises nothing from the revocation on.
      const revokedAt = Number((await f.licences.getLicence(f.parent)).revokedAt);
      expect(
        await f.licences.verifyAuthorization(f.child, Right.REPRODUCE, toJurisdiction("FR"), revokedAt),
      ).to.deep.equal([R.REVOKED, f.parent]);
    });

    it("an expired parent frees its scope", async function () {
      const f = await loadFixture(exclusiveChainFixture);
      await expect((await rival(f, T0 + 2 * YEAR)).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(f.parent);
      await time.increaseTo(T0 + YEAR);
      await expect((await rival(f, T0 + 2 * YEAR)).tx).to.emit(f.licences, "LicenceGranted");
      expect(await f.licences.restrictiveChildrenOf(WORK, ZERO)).to.deep.equal([]);
    });

    it("inside a chain: a revoked exclusive sublicence frees the scope for its siblings", async function () {
      const f = await loadFixture(exclusiveChainFixture);
      const sibling = () => grant(f, f.label, f.platform.address, { ...f.excl, parentId: f.parent, end: T0 + YEAR });
      await expect((await sibling()).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(f.child);
      await revoke(f, f.label, f.child);
      await expect((await sibling()).tx).to.emit(f.licences, "LicenceGranted");
    });
  });

  describe("attack: a root licence starts before its licensor held the work", function () {
    it("refuses a start before the registration, or before the assignment to the licensor", async function () {
      const f = await loadFixture(workFixture);
      const registeredAt = Number((await f.licences.getWork(WORK)).registeredAt);
      await time.increase(DAY);
      await expect((await grant(f, f.holder, f.label.address, { start: registeredAt - 1, backdated: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceStartsBeforeTitle")
        .withArgs(registeredAt - 1, registeredAt);
      await assign(f, f.holder, f.outsider);
      const since = Number((await f.licences.holdersOf(WORK))[1]!.since);
      await time.increase(DAY);
      expect(await f.licences.rightsHolderAt(WORK, since - 1)).to.equal(f.holder.address);
      await expect((await grant(f, f.outsider, f.label.address, { start: since - 1, backdated: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceStartsBeforeTitle")
        .withArgs(since - 1, since);
      const g = await grant(f, f.outsider, f.label.address, { start: since, backdated: true });
      await expect(g.tx).to.emit(f.licences, "LicenceGranted");
      expect((await f.licences.getLicence(g.id)).grantedUnderHolding).to.equal(1n);
    });
  });

  describe("attack: silent back-dating", function () {
    it("refuses a start before the grant's block that is not signed as back-dated", async function () {
      const f = await loadFixture(workFixture);
      await time.increase(DAY);
      const now = await time.latest();
      const g = await grant(f, f.holder, f.label.address, { start: now - 100 });
      await time.setNextBlockTimestamp(now + 10);
      await expect(g.tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceStartsBeforeGrant")
        .withArgs(now - 100, now + 10);
    });

    it("accepts an explicitly back-dated root licence and shows it in the event and in storage", async function () {
      const f = await loadFixture(workFixture);
      await time.increase(30 * DAY);
      const start = (await time.latest()) - 7 * DAY;
      const g = await grant(f, f.holder, f.label.address, { start, backdated: true, end: start + YEAR });
      await expect(g.tx)
        .to.emit(f.licences, "LicenceGranted")
        .withArgs(
          g.id,
          WORK,
          ZERO,
          f.holder.address,
          f.label.address,
          g.request.rights,
          GrantType.NonExclusive,
          true,
          start,
          true,
          start + YEAR,
          false,
          g.request.territories,
          ZERO,
        );
      const l = await f.licences.getLicence(g.id);
      expect([l.start, l.backdated]).to.deep.equal([BigInt(start), true]);
      expect((await f.licences.verifyAuthorization(g.id, Right.REPRODUCE, toJurisdiction("FR"), start))[0]).to.equal(
        R.OK,
      );
    });

    it("stores start 0 as the grant's block time, not back-dated", async function () {
      const f = await loadFixture(workFixture);
      const g = await grant(f, f.holder, f.label.address, { start: 0 });
      const at = (await time.latest()) + 5;
      await time.setNextBlockTimestamp(at);
      await expect(g.tx)
        .to.emit(f.licences, "LicenceGranted")
        .withArgs(
          g.id,
          WORK,
          ZERO,
          f.holder.address,
          f.label.address,
          g.request.rights,
          GrantType.NonExclusive,
          true,
          at,
          false,
          g.request.end,
          false,
          g.request.territories,
          ZERO,
        );
      const l = await f.licences.getLicence(g.id);
      expect([l.start, l.backdated]).to.deep.equal([BigInt(at), false]);
    });

    it("never back-dates a sublicence, and the flag must state a fact", async function () {
      const f = await loadFixture(chainFixture);
      await time.increaseTo(T0 + DAY);
      const sub = { parentId: f.root, territories: j(["DE"]), start: T0 + 10 };
      await expect((await grant(f, f.label, f.distributor.address, { ...sub, backdated: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceSublicenceBackdated")
        .withArgs(f.root);
      const silent = await grant(f, f.label, f.distributor.address, sub);
      const at = (await time.latest()) + 5;
      await time.setNextBlockTimestamp(at);
      await expect(silent.tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceStartsBeforeGrant")
        .withArgs(T0 + 10, at);
      // Back-dated, but with no start or a future one.
      const noStart = await grant(f, f.holder, f.distributor.address, { start: 0, backdated: true });
      await time.setNextBlockTimestamp(at + 10);
      await expect(noStart.tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidBackdating")
        .withArgs(0, at + 10);
      const future = await grant(f, f.holder, f.distributor.address, { start: at + 1000, backdated: true });
      await time.setNextBlockTimestamp(at + 20);
      await expect(future.tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidBackdating")
        .withArgs(at + 1000, at + 20);
    });

    it("SDK: start omitted means the grant's block; a past start needs backdated, on root licences only", async function () {
      const f = await loadFixture(chainFixture);
      const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      await time.increase(2 * DAY);
      const now = await client.chainTime();
      const fresh = await client.signGrant(f.holder, {
        workId: WORK,
        licensee: f.outsider.address,
        rights: ["ADAPT"],
        end: now + YEAR,
        territories: ["IT"],
      });
      expect([fresh.request.start, fresh.request.backdated]).to.deep.equal([0, false]);
      await (await client.submit(fresh, f.deployer)).wait();
      const rejects = async (p: Promise<unknown>, pattern: RegExp) =>
        p.then(
          () => expect.fail("accepted"),
          (err: unknown) => {
            expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true);
            expect((err as Error).message).to.match(pattern);
          },
        );
      const base = { workId: WORK, licensee: f.outsider.address, rights: ["ADAPT"] as const, end: now + YEAR };
      await rejects(client.signGrant(f.holder, { ...base, start: now - DAY }), /backdated: true/);
      await rejects(
        client.signGrant(f.label, { ...base, parentId: f.root, start: now - DAY, backdated: true }),
        /never sublicences/,
      );
      await rejects(client.signGrant(f.holder, { ...base, backdated: true }), /start in the past/);
      const back = await client.signGrant(f.holder, {
        ...base,
        territories: ["PT"],
        start: now - DAY,
        backdated: true,
      });
      const granted = await (await client.submit(back, f.deployer)).wait();
      const id = granted.licenceId;
      expect(id).to.equal(licenceId(WORK, ZERO, f.holder.address, f.outsider.address, back.request.salt));
      expect(await client.getLicence(id)).to.include({ backdated: true, start: now - DAY, grantedUnderHolding: 0 });
    });
  });

  describe("attack: a sole grant stops binding once the work is assigned", function () {
    it("binds the work's holder, whoever that is after an assignment", async function () {
      const f = await loadFixture(workFixture);
      const sole = await granted(f, f.holder, f.label.address, {
        grantType: GrantType.Sole,
        agreementHash: hashOf("sole deal"),
        territories: j(["DE"]),
      });
      await expect((await grant(f, f.holder, f.platform.address, { territories: j(["DE"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(sole);
      await assign(f, f.holder, f.outsider);
      await expect((await grant(f, f.outsider, f.platform.address, { territories: j(["DE", "AT"]) })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceExclusiveConflict")
        .withArgs(sole);
      await expect((await grant(f, f.outsider, f.platform.address, { territories: j(["AT"]) })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });
  });

  describe("attack: griefing the list of exclusive and sole grants", function () {
    const MAX = MAX_RESTRICTIVE_SIBLINGS;
    /** MAX exclusive root licences, one territory each, every right, 30 days. */
    async function fullListFixture() {
      const f = await workFixture();
      const ids: Hex[] = [];
      for (let i = 0; i < MAX; ++i) {
        ids.push(
          await granted(f, f.holder, f.label.address, {
            grantType: GrantType.Exclusive,
            agreementHash: hashOf("territory deal"),
            rights: ALL_RIGHTS,
            territories: j([CODES[i]!]),
            start: 0,
            end: T0 + 30 * DAY,
            salt: hashOf(`list ${i}`),
          }),
        );
      }
      return { ...f, ids };
    }
    const exclusiveIn = (f: LicenceFixture, codes: string[], o: Partial<GrantLicenceRequest> = {}) =>
      grant(f, f.holder, f.platform.address, {
        grantType: GrantType.Exclusive,
        agreementHash: hashOf("one more deal"),
        rights: ALL_RIGHTS,
        territories: j(codes),
        start: 0,
        end: T0 + 60 * DAY,
        ...o,
      });

    it("caps the live exclusive and sole licences of one parent, with a named error", async function () {
      const f = await loadFixture(fullListFixture);
      expect(await f.licences.MAX_RESTRICTIVE_SIBLINGS()).to.equal(BigInt(MAX_RESTRICTIVE_SIBLINGS));
      expect((await f.licences.restrictiveChildrenOf(WORK, ZERO)).length).to.equal(MAX);
      await expect((await exclusiveIn(f, [CODES[MAX]!])).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceTooManyRestrictiveGrants")
        .withArgs(WORK, ZERO, MAX);
      // Non-exclusive grants are not listed: they still go through.
      await expect((await exclusiveIn(f, [CODES[MAX]!], { grantType: GrantType.NonExclusive })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });

    it("keeps a grant's gas bounded with a full list", async function () {
      const f = await loadFixture(fullListFixture);
      // Worst case: every entry overlaps in rights and time, and the request has codes in all three set words.
      const g = await exclusiveIn(f, ["IT", "MX", "US"], { grantType: GrantType.NonExclusive });
      const gas = await f.licences.grantLicence.estimateGas(g.signed.request, g.signed.signature);
      // Measured 1,102,115 at 64 entries (about 17,000 per entry here, 10,000 with one set word).
      expect(gas).to.be.lessThan(1_500_000n);
    });

    it("prunes entries whose lock ended (revoked or expired), so new grants go through", async function () {
      const f = await loadFixture(fullListFixture);
      await revoke(f, f.holder, f.ids[7]!);
      await expect((await exclusiveIn(f, [CODES[MAX]!])).tx).to.emit(f.licences, "LicenceGranted");
      const list = await f.licences.restrictiveChildrenOf(WORK, ZERO);
      expect(list.length).to.equal(MAX);
      expect(list).to.not.include(f.ids[7]);
      await time.increaseTo(T0 + 30 * DAY);
      await expect((await exclusiveIn(f, [CODES[MAX + 1]!])).tx).to.emit(f.licences, "LicenceGranted");
      expect((await f.licences.restrictiveChildrenOf(WORK, ZERO)).length).to.equal(2);
      // A pruned lock can no longer be checked: back-dating cannot reach before it.
      expect(await f.licences.backdatingHorizon(WORK)).to.equal(BigInt(T0 + 30 * DAY));
      await time.increase(DAY);
      await expect((await exclusiveIn(f, [CODES[3]!], { start: T0 + 30 * DAY - 1, backdated: true })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceBackdatedBeforeHorizon")
        .withArgs(T0 + 30 * DAY - 1, T0 + 30 * DAY);
      await expect((await exclusiveIn(f, [CODES[3]!], { start: T0 + 30 * DAY, backdated: true })).tx).to.emit(
        f.licences,
        "LicenceGranted",
      );
    });

    it("a licensee's sublicences fill only its own licence's list", async function () {
      const f = await loadFixture(workFixture);
      const deal = { grantType: GrantType.Exclusive, agreementHash: hashOf("deal"), rights: ALL_RIGHTS };
      const parent = await granted(f, f.holder, f.label.address, {
        ...deal,
        territories: j(["FR"]),
        end: T0 + 100 * DAY,
      });
      // The label fills its own list with 64 consecutive one-day exclusive sublicences.
      for (let i = 0; i < MAX; ++i) {
        await granted(f, f.label, f.distributor.address, {
          ...deal,
          parentId: parent,
          territories: j(["FR"]),
          start: T0 + i * DAY,
          end: T0 + (i + 1) * DAY,
          sublicensable: false,
        });
      }
      await expect(
        (
          await grant(f, f.label, f.distributor.address, {
            ...deal,
            parentId: parent,
            territories: j(["FR"]),
            start: T0 + MAX * DAY,
            end: T0 + (MAX + 1) * DAY,
          })
        ).tx,
      )
        .to.be.revertedWithCustomError(f.licences, "LicenceTooManyRestrictiveGrants")
        .withArgs(WORK, parent, MAX);
      // Nobody else is hindered.
      expect((await f.licences.restrictiveChildrenOf(WORK, ZERO)).length).to.equal(1);
      const other = await granted(f, f.holder, f.platform.address, { ...deal, territories: j(["DE"]) });
      await expect(
        (await grant(f, f.platform, f.outsider.address, { ...deal, parentId: other, territories: j(["DE"]) })).tx,
      ).to.emit(f.licences, "LicenceGranted");
    });
  });

  describe("attack: squatting a work", function () {
    it("a REGISTRY member files, governance forces the assignment, the squatter's licences read TITLE_VOIDED", async function () {
      const f = await loadFixture(squatFixture);
      // The author can neither register its work nor license it.
      await expect(register(f, f.holder, f.holder))
        .to.be.revertedWithCustomError(f.licences, "LicenceWorkAlreadyRegistered")
        .withArgs(WORK);
      await expect(fileDispute(f, f.esRegistry, f.holder.address))
        .to.emit(f.licences, "WorkDisputeFiled")
        .withArgs(1, WORK, f.holder.address, 5, 0, hashOf("evidence of authorship"));
      expect(await f.licences.isDisputeOpen(1)).to.equal(true);
      expect(await f.licences.openDisputeOf(WORK)).to.equal(1n);
      const filed = await f.licences.getDispute(1);
      expect([filed.workId, filed.claimant, filed.status, filed.fromHolding, filed.filedBy]).to.deep.equal([
        WORK,
        f.holder.address,
        D.Open,
        0n,
        5n,
      ]);

      await expect(resolveByGovernance(f, 1n, f.holder.address))
        .to.emit(f.licences, "WorkAssignmentForced")
        .withArgs(WORK, f.squatter.address, f.holder.address, 1, 0, 0)
        .and.to.emit(f.licences, "WorkDisputeResolved")
        .withArgs(1, WORK, f.holder.address, hashOf("decision"))
        .and.to.emit(f.governance, "ProposalExecuted");
      const resolvedAt = await time.latest();

      // The history shows the forced assignment and the voided holding.
      const h = await f.licences.holdersOf(WORK);
      expect(h.map((x) => [x.holder, x.since, x.forced, x.voided])).to.deep.equal([
        [f.squatter.address, h[0]!.since, false, true],
        [f.holder.address, BigInt(resolvedAt), true, false],
      ]);
      expect((await f.licences.getWork(WORK)).rightsHolder).to.equal(f.holder.address);
      const resolved = await f.licences.getDispute(1);
      expect([resolved.status, resolved.resolvedAt]).to.deep.equal([D.Upheld, BigInt(resolvedAt)]);
      expect(await f.licences.isDisputeOpen(1)).to.equal(false);
      expect(await f.licences.openDisputeOf(WORK)).to.equal(0n);

      // The squatter's licences, and their chains, authorised nothing — at any time.
      const us = toJurisdiction("US");
      for (const t of [T0 + 10, resolvedAt]) {
        expect(await f.licences.verifyAuthorization(f.exclusive, Right.BROADCAST, us, t)).to.deep.equal([
          R.TITLE_VOIDED,
          f.exclusive,
        ]);
        expect(await f.licences.verifyAuthorization(f.sub, Right.BROADCAST, us, t)).to.deep.equal([
          R.TITLE_VOIDED,
          f.exclusive,
        ]);
      }
      const links = await f.licences.chainAt(f.sub, Right.BROADCAST, us, T0 + 10);
      expect(links.map((l) => [l.licenceId, l.valid, l.reason])).to.deep.equal([
        [f.exclusive, false, R.TITLE_VOIDED],
        [f.sub, true, R.OK],
      ]);

      // Their exclusivity binds no one: the rightful holder licenses the whole world.
      expect(await f.licences.restrictiveChildrenOf(WORK, ZERO)).to.deep.equal([]);
      const mine = await granted(f, f.holder, f.platform.address, {
        grantType: GrantType.Exclusive,
        agreementHash: hashOf("real deal"),
        rights: ALL_RIGHTS,
        worldwide: true,
        territories: [],
        start: 0,
        end: T0 + 10 * YEAR,
      });
      expect(await f.licences.verifyAuthorization(mine, Right.BROADCAST, us, (await time.latest()) + 1)).to.deep.equal([
        R.OK,
        ZERO,
      ]);
      // The squatter grants nothing any more, and its licensees sublicense nothing.
      await expect((await grant(f, f.squatter, f.distributor.address, { territories: j(["IT"]), start: 0 })).tx)
        .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
        .withArgs(WORK, f.squatter.address);
      await expect(
        (
          await grant(f, f.accomplice, f.distributor.address, {
            parentId: f.exclusive,
            territories: j(["IT"]),
            start: 0,
          })
        ).tx,
      )
        .to.be.revertedWithCustomError(f.licences, "LicenceParentNotActive")
        .withArgs(f.exclusive, R.TITLE_VOIDED);
    });

    it("SDK: files the dispute, reads the history and explains TITLE_VOIDED in plain words", async function () {
      const f = await loadFixture(squatFixture);
      const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      const signed = await client.signFileDispute(f.esRegistry, {
        workId: WORK,
        claimant: f.holder.address,
        evidenceHash: hashOf("evidence"),
      });
      const filed = await (await client.submit(signed, f.deployer)).wait();
      expect(filed).to.deep.include({ disputeId: 1n, workId: WORK.toLowerCase(), claimant: f.holder.address });
      const { disputeId } = filed;
      expect(await client.getDispute(disputeId)).to.include({ status: "Open", fromHolding: 0, filedBy: 5n });
      expect(await client.getDispute(99)).to.equal(undefined);
      await (await resolveByGovernance(f, disputeId, f.holder.address)).wait();
      const holders = await client.getHolders(WORK);
      expect(holders.map((h) => [h.index, h.holder, h.forced, h.voided])).to.deep.equal([
        [0, f.squatter.address, false, true],
        [1, f.holder.address, true, false],
      ]);
      const e = await client.explainAuthorization(f.sub, "BROADCAST", "US", T0 + 10);
      expect(e).to.include({ authorized: false, reason: "TITLE_VOIDED", failedAt: f.exclusive.toLowerCase() });
      expect(e.summary).to.contain(
        `was voided when the consortium's governance assigned the work by force to ${f.holder.address}`,
      );
      expect(e.chain[0]!.licence.grantedUnderHolding).to.equal(0);
    });

    it("a squatter cannot launder the title through accomplices, before or during the dispute", async function () {
      const f = await loadFixture(squatFixture);
      await assign(f, f.squatter, f.accomplice);
      await (await fileDispute(f, f.esRegistry, f.holder.address, { fromHolding: 0 })).wait();
      await assign(f, f.accomplice, f.distributor);
      await expect(resolveByGovernance(f, 1n, f.holder.address))
        .to.emit(f.licences, "WorkAssignmentForced")
        .withArgs(WORK, f.distributor.address, f.holder.address, 1, 0, 2);
      const h = await f.licences.holdersOf(WORK);
      expect(h.map((x) => [x.holder, x.forced, x.voided])).to.deep.equal([
        [f.squatter.address, false, true],
        [f.accomplice.address, false, true],
        [f.distributor.address, false, true],
        [f.holder.address, true, false],
      ]);
      expect(
        (await f.licences.verifyAuthorization(f.exclusive, Right.BROADCAST, toJurisdiction("US"), T0 + 10))[0],
      ).to.equal(R.TITLE_VOIDED);
      await expect(
        (
          await grant(f, f.holder, f.platform.address, {
            grantType: GrantType.Exclusive,
            agreementHash: hashOf("real deal"),
            worldwide: true,
            territories: [],
            start: 0,
          })
        ).tx,
      ).to.emit(f.licences, "LicenceGranted");
    });

    it("voids only the contested holdings: an owner's own licences stand", async function () {
      // The holder's key was stolen and used to assign the work to the thief (the outsider).
      const f = await loadFixture(workFixture);
      const own = await granted(f, f.holder, f.label.address, { territories: j(["FR"]) });
      await assign(f, f.holder, f.outsider);
      const thiefs = await granted(f, f.outsider, f.platform.address, {
        grantType: GrantType.Exclusive,
        agreementHash: hashOf("fence"),
        territories: j(["IT"]),
        start: 0,
      });
      await (await fileDispute(f, f.esRegistry, f.holder.address, { fromHolding: 1 })).wait();
      await (await resolveByGovernance(f, 1n, f.holder.address)).wait();
      const h = await f.licences.holdersOf(WORK);
      expect(h.map((x) => [x.holder, x.forced, x.voided])).to.deep.equal([
        [f.holder.address, false, false],
        [f.outsider.address, false, true],
        [f.holder.address, true, false],
      ]);
      const t = (await time.latest()) + 200;
      expect((await f.licences.verifyAuthorization(own, Right.REPRODUCE, toJurisdiction("FR"), t))[0]).to.equal(R.OK);
      expect((await f.licences.verifyAuthorization(thiefs, Right.REPRODUCE, toJurisdiction("IT"), t))[0]).to.equal(
        R.TITLE_VOIDED,
      );
      await expect(
        (
          await grant(f, f.holder, f.distributor.address, {
            grantType: GrantType.Exclusive,
            agreementHash: hashOf("deal"),
            territories: j(["IT"]),
            start: 0,
          })
        ).tx,
      ).to.emit(f.licences, "LicenceGranted");
    });
  });

  describe("attack: filing a dispute without being a REGISTRY member", function () {
    it("refuses members without the REGISTRY role and non-members", async function () {
      const f = await loadFixture(squatFixture);
      await expect(fileDispute(f, f.frAgency, f.holder.address))
        .to.be.revertedWithCustomError(f.licences, "SignedRequestMissingRole")
        .withArgs(1, Role.REGISTRY);
      await expect(fileDispute(f, f.holder, f.holder.address))
        .to.be.revertedWithCustomError(f.licences, "SignedRequestUnauthorizedSigner")
        .withArgs(f.holder.address);
    });

    it("checks the work, the claimant, the contested holding, and one open dispute per work", async function () {
      const f = await loadFixture(squatFixture);
      await expect(fileDispute(f, f.esRegistry, f.holder.address, { work: hashOf("unknown") }))
        .to.be.revertedWithCustomError(f.licences, "LicenceUnknownWork")
        .withArgs(hashOf("unknown"));
      await expect(fileDispute(f, f.esRegistry, f.squatter.address)).to.be.revertedWithCustomError(
        f.licences,
        "LicenceInvalidRequest",
      );
      await expect(fileDispute(f, f.esRegistry, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.licences,
        "LicenceInvalidRequest",
      );
      await expect(fileDispute(f, f.esRegistry, f.holder.address, { fromHolding: 1 }))
        .to.be.revertedWithCustomError(f.licences, "LicenceHoldingNotContestable")
        .withArgs(WORK, 1);
      await (await fileDispute(f, f.esRegistry, f.holder.address)).wait();
      await expect(fileDispute(f, f.esRegistry, f.platform.address))
        .to.be.revertedWithCustomError(f.licences, "LicenceDisputeAlreadyOpen")
        .withArgs(WORK, 1);
      // Once resolved, a voided holding cannot be contested again.
      await (await resolveByGovernance(f, 1n, f.holder.address)).wait();
      await expect(fileDispute(f, f.esRegistry, f.platform.address, { fromHolding: 0 }))
        .to.be.revertedWithCustomError(f.licences, "LicenceHoldingNotContestable")
        .withArgs(WORK, 0);
    });
  });

  describe("attack: resolving a dispute without governance", function () {
    it("only the consortium's governance contract may resolve", async function () {
      const f = await loadFixture(squatFixture);
      await (await fileDispute(f, f.esRegistry, f.holder.address)).wait();
      for (const caller of [f.esRegistry, f.frAgency, f.deployer, f.squatter]) {
        await expect(f.licences.connect(caller).resolveDispute(1, caller.address, hashOf("self-help")))
          .to.be.revertedWithCustomError(f.licences, "LicenceOnlyGovernance")
          .withArgs(caller.address);
      }
      // A single governor's proposal is below the quorum: nothing happens.
      const p = encodeProposal({
        kind: "ResolveWorkDispute",
        licenseRegistry: await f.licences.getAddress(),
        disputeId: 1,
        newHolder: f.holder.address,
        decisionHash: hashOf("decision"),
      });
      await (await propose(f, f.frAgency, p.kind, p.payload)).wait();
      expect(await f.licences.isDisputeOpen(1)).to.equal(true);
      expect((await f.licences.getWork(WORK)).rightsHolder).to.equal(f.squatter.address);
      // Governance refuses a proposal for a dispute that is not open.
      const none = encodeProposal({
        ...p,
        kind: "ResolveWorkDispute",
        licenseRegistry: await f.licences.getAddress(),
        disputeId: 2,
        newHolder: f.holder.address,
        decisionHash: hashOf("x"),
      });
      await expect(propose(f, f.frAgency, none.kind, none.payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.ResolveWorkDispute);
    });

    it("a resolved dispute cannot be resolved again", async function () {
      const f = await loadFixture(squatFixture);
      await (await fileDispute(f, f.esRegistry, f.holder.address)).wait();
      const registry = await f.licences.getAddress();
      for (const newHolder of [f.holder.address, f.platform.address]) {
        const p = encodeProposal({
          kind: "ResolveWorkDispute",
          licenseRegistry: registry,
          disputeId: 1,
          newHolder,
          decisionHash: hashOf(newHolder),
        });
        await (await propose(f, f.frAgency, p.kind, p.payload)).wait();
      }
      await (await vote(f, f.deCourt, 1, true)).wait();
      await expect(vote(f, f.deCourt, 2, true))
        .to.be.revertedWithCustomError(f.licences, "LicenceDisputeNotOpen")
        .withArgs(1);
      expect((await f.licences.getWork(WORK)).rightsHolder).to.equal(f.holder.address);
    });
  });

  describe("dispute dismissal", function () {
    it("dismisses without touching the holder or its licences; a new dispute may then be filed", async function () {
      const f = await loadFixture(squatFixture);
      await (await fileDispute(f, f.esRegistry, f.holder.address)).wait();
      await expect(resolveByGovernance(f, 1n, ethers.ZeroAddress, "dismissed"))
        .to.emit(f.licences, "WorkDisputeResolved")
        .withArgs(1, WORK, ethers.ZeroAddress, hashOf("dismissed"))
        .and.not.to.emit(f.licences, "WorkAssignmentForced");
      expect((await f.licences.getDispute(1)).status).to.equal(D.Dismissed);
      const h = await f.licences.holdersOf(WORK);
      expect(h.map((x) => [x.holder, x.forced, x.voided])).to.deep.equal([[f.squatter.address, false, false]]);
      expect(
        (await f.licences.verifyAuthorization(f.exclusive, Right.BROADCAST, toJurisdiction("US"), T0 + 10))[0],
      ).to.equal(R.OK);
      expect(await f.licences.restrictiveChildrenOf(WORK, ZERO)).to.deep.equal([f.exclusive]);
      await expect(fileDispute(f, f.esRegistry, f.platform.address))
        .to.emit(f.licences, "WorkDisputeFiled")
        .withArgs(2, WORK, f.platform.address, 5, 0, hashOf("evidence of authorship"));
    });
  });
});
