import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Signer } from "ethers";
import {
  GrantType,
  LicenceClient,
  Right,
  licenceId,
  signLicenceRequest,
  toJurisdiction,
  type GrantLicenceRequest,
  type Hex,
} from "../../sdk/src";
import { cidOf, hashOf, licenceFixture, type LicenceFixture } from "../helpers/fixtures";

const ZERO = ethers.ZeroHash as Hex;
const YEAR = 365 * 24 * 3600;
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
};

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
    /** Sends the request (on each access). */
    get tx() {
      return f.licences.connect(f.deployer).grantLicence(signed.request, signed.signature);
    },
  };
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

/** Holder → label (sublicensable, FR/DE/ES, reproduce + make available, 2 years) → platform (FR, make available, 1 year). */
async function chainFixture() {
  const f = await licenceFixture();
  T0 = (await time.latest()) + 10;
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
      T0 = (await time.latest()) + 10;
      await expect(register(f, wallet, f.holder)).to.emit(f.licences, "WorkRegistered");
      await expect(register(f, wallet, f.outsider, hashOf("w2")))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(await wallet.getAddress());
      const g = await grant(f, f.holder, f.label.address, { licensor: await wallet.getAddress() });
      await expect(g.tx).to.emit(f.licences, "LicenceGranted");
      expect((await f.licences.getLicence(g.id)).licensor).to.equal(await wallet.getAddress());
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
      await expect((await grant(f, f.label, f.outsider.address, { parentId: f.root })).tx)
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
      T0 = (await time.latest()) + 10;
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
      T0 = (await time.latest()) + 10;
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

    it("stops conflicting once the exclusive grant is revoked, and binds a sole licensor only", async function () {
      const f = await loadFixture(licenceFixture);
      T0 = (await time.latest()) + 10;
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
});
