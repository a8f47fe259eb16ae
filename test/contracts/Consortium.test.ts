import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Signer } from "ethers";
import * as gov from "../helpers/governance";
import {
  ConsortiumClient,
  ConsortiumTypes,
  GovernanceTypes,
  MemberStatus,
  Role,
  consortiumConstructorArgs,
  contractDomain,
  encodeProposal,
  loadConsortiumConfig,
  memberNameHash,
  parseConsortiumConfig,
  signTypedRequest,
  toJurisdiction,
  type AddOwnKeyRequest,
  type ContractName,
  type Hex,
  type ProposalParameters,
} from "../../sdk/src";
import type { Consortium as TConsortium } from "../../sdk/src/typechain";
import { consortiumFixture, deployConsortium, WEEK, type ConsortiumFixture } from "../helpers/fixtures";

const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");
const US = toJurisdiction("US");
/** `validUntil` of an open-ended key. */
const OPEN_ENDED = 2n ** 48n - 1n;
/** `IConsortium.KeyOrigin`. */
const KeyOrigin = { Founding: 0, Admission: 1, Member: 2, Governance: 3 } as const;

const propose = gov.proposeParameters;
/** FR proposes and DE votes yes: 2 of the 3 founding governors, the quorum. */
const pass = (f: ConsortiumFixture, p: ProposalParameters) => gov.pass(f, p, [f.frAgency, f.deCourt]);
const nextBlockAt = gov.nextBlockAt;

/** Signs an AddOwnKey request with `by` (the member's key) and `prover` (normally the new key itself). */
async function signAddOwnKey(
  f: ConsortiumFixture,
  by: Signer,
  prover: Signer | null,
  request: Omit<AddOwnKeyRequest, "nonce" | "deadline">,
): Promise<{ request: AddOwnKeyRequest; signature: string; keySignature: string }> {
  const c = await gov.client(f);
  const full: AddOwnKeyRequest = {
    ...request,
    nonce: await f.consortium.nonces(await by.getAddress()),
    deadline: (await time.latest()) + 3600,
  };
  const s = await signTypedRequest(by, c.domains.consortium, ConsortiumTypes, "AddOwnKey", full);
  const proof =
    prover === null
      ? "0x"
      : (await signTypedRequest(prover, c.domains.consortium, ConsortiumTypes, "AddOwnKey", full)).signature;
  return { request: full, signature: s.signature, keySignature: proof };
}

/** US (member 4) holds a second key, is suspended, and revokes that key while suspended. */
async function revokedWhileSuspended() {
  const f = await consortiumFixture();
  const compromised = f.spare[0]!;
  await gov.addOwnKey(f, f.usPlatform, compromised, 4);
  await pass(f, { kind: "SuspendMember", memberId: 4 });
  const revokedAt = await nextBlockAt();
  await gov.revokeOwnKey(f, f.usPlatform, 4, compromised.address);
  return { f, compromised, revokedAt };
}

describe("Consortium", function () {
  describe("founding", function () {
    it("admits the founders with their jurisdiction, roles, name hash and one open-ended key", async function () {
      const f = await loadFixture(consortiumFixture);
      const deployedAt = (await f.consortium.deploymentTransaction()!.getBlock())!.timestamp;
      expect(await f.consortium.memberCount()).to.equal(5n);
      const m1 = await f.consortium.getMember(1);
      expect([m1.jurisdiction, m1.roles, m1.status, m1.statusSince, m1.nameHash]).to.deep.equal([
        FR,
        BigInt(Role.AGENCY | Role.GOVERNOR),
        BigInt(MemberStatus.Active),
        BigInt(deployedAt),
        memberNameHash("FR agency"),
      ]);
      expect(await f.consortium.keysOf(1)).to.deep.equal([f.frAgency.address]);
      const k = await f.consortium.getKey(f.frAgency.address);
      expect([k.memberId, k.validFrom, k.validUntil, k.roles, k.status, k.jurisdiction]).to.deep.equal([
        1n,
        BigInt(deployedAt),
        OPEN_ENDED,
        BigInt(Role.AGENCY | Role.GOVERNOR),
        BigInt(MemberStatus.Active),
        FR,
      ]);
      expect((await f.consortium.statusHistory(1)).map((h) => [h.status, h.since])).to.deep.equal([
        [BigInt(MemberStatus.Active), BigInt(deployedAt)],
      ]);
      await expect(f.consortium.deploymentTransaction())
        .to.emit(f.consortium, "KeyAdded")
        .withArgs(5, f.esRegistry.address, deployedAt, OPEN_ENDED, KeyOrigin.Founding);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(3n);
      expect(await Promise.all([1, 2, 3, 4, 5].map((id) => f.consortium.isEligibleGovernor(id)))).to.deep.equal([
        true,
        true,
        true,
        false,
        false,
      ]);
      expect(await f.consortium.consortiumId()).to.equal(f.consortiumId);
      expect(await f.consortium.governance()).to.equal(await f.governance.getAddress());
      expect(await f.consortium.agreements()).to.equal(await f.agreements.getAddress());
      expect(await f.consortium.MAX_LIVE_KEYS()).to.equal(8n);
      expect(await f.governance.governanceParameters()).to.deep.equal([2n, 3n, BigInt(WEEK)]);
      for (const c of [f.governance, f.agreements]) {
        expect(await c.consortium()).to.equal(await f.consortium.getAddress());
      }
    });

    it("refuses a founding without a governor or an id, with an unassigned jurisdiction, bad roles or a reused key", async function () {
      const [, a, b] = await ethers.getSigners();
      const Consortium = await ethers.getContractFactory("Consortium");
      const id = ethers.id("founding test");
      const founder = { jurisdiction: FR, nameHash: memberNameHash("x"), key: a!.address, roles: Role.GOVERNOR };
      await expect(Consortium.deploy(id, [{ ...founder, roles: Role.AGENCY }])).to.be.revertedWithCustomError(
        Consortium,
        "ConsortiumInvalidFounding",
      );
      await expect(Consortium.deploy(id, [])).to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidFounding");
      await expect(Consortium.deploy(ethers.ZeroHash, [founder])).to.be.revertedWithCustomError(
        Consortium,
        "ConsortiumInvalidFounding",
      );
      // Lower case, unassigned ("XX") and reserved-but-unassigned ("EU") codes.
      for (const j of ["0x6672", "0x5858", "0x4555", "0x0000"]) {
        await expect(Consortium.deploy(id, [{ ...founder, jurisdiction: j }]))
          .to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidJurisdiction")
          .withArgs(j);
      }
      await expect(Consortium.deploy(id, [founder, { ...founder, jurisdiction: DE, roles: Role.COURT }]))
        .to.be.revertedWithCustomError(Consortium, "ConsortiumKeyUnavailable")
        .withArgs(a!.address);
      await expect(Consortium.deploy(id, [{ ...founder, key: ethers.ZeroAddress }]))
        .to.be.revertedWithCustomError(Consortium, "ConsortiumKeyUnavailable")
        .withArgs(ethers.ZeroAddress);
      for (const roles of [0, 1 << 6]) {
        await expect(Consortium.deploy(id, [{ ...founder, key: b!.address, roles }]))
          .to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidRoles")
          .withArgs(roles);
      }
    });

    it("refuses a governance with a quorum outside (0, 1] or a voting period under one hour", async function () {
      const f = await loadFixture(consortiumFixture);
      const Governance = await ethers.getContractFactory("ConsortiumGovernance");
      const c = await f.consortium.getAddress();
      for (const [n, d, period] of [
        [4, 3, WEEK],
        [0, 3, WEEK],
        [1, 0, WEEK],
        [2, 3, 3599],
      ] as const) {
        await expect(Governance.deploy(c, n, d, period))
          .to.be.revertedWithCustomError(Governance, "GovernanceInvalidParameters")
          .withArgs(n, d, period);
      }
      const unanimous = await Governance.deploy(c, 1, 1, 3600);
      expect(await unanimous.governanceParameters()).to.deep.equal([1n, 1n, 3600n]);
    });

    it("builds the founding from the demo configuration file", async function () {
      const [deployer] = await ethers.getSigners();
      const config = loadConsortiumConfig("config/demo-consortium.json");
      const args = consortiumConstructorArgs(config);
      const { consortium, governance } = await deployConsortium(deployer!, config);
      expect(await consortium.memberCount()).to.equal(BigInt(config.founders.length));
      expect((await consortium.getMember(1)).jurisdiction).to.equal(args.founders[0]!.jurisdiction);
      expect(await consortium.eligibleGovernorCount()).to.equal(
        BigInt(config.founders.filter((m) => m.roles.includes("GOVERNOR")).length),
      );
      expect(await governance.governanceParameters()).to.deep.equal([
        BigInt(config.quorum.numerator),
        BigInt(config.quorum.denominator),
        BigInt(config.votingPeriodSeconds),
      ]);
      expect(() => parseConsortiumConfig({ ...config, founders: [] })).to.throw(/founders/);
      expect(() =>
        parseConsortiumConfig({ ...config, founders: [{ ...config.founders[0]!, jurisdiction: "XX" }] }),
      ).to.throw(/assigned ISO 3166-1/);
      // The key the contract would refuse (ConsortiumKeyUnavailable) is refused before deploying.
      expect(() =>
        parseConsortiumConfig({ ...config, founders: [{ ...config.founders[0]!, key: ethers.ZeroAddress }] }),
      ).to.throw(/zero address/);
    });

    it("is linked once, by the deployer, to a governance and agreements of this consortium", async function () {
      const [deployer, other, key] = await ethers.getSigners();
      const id = ethers.id("link test");
      const founders = [{ jurisdiction: FR, nameHash: memberNameHash("x"), key: key!.address, roles: Role.GOVERNOR }];
      const consortium = (await ethers.deployContract(
        "Consortium",
        [id, founders],
        deployer,
      )) as unknown as TConsortium;
      const stranger = await ethers.deployContract("Consortium", [ethers.id("another"), founders], deployer);
      const c = await consortium.getAddress();
      const g = await ethers.deployContract("ConsortiumGovernance", [c, 2, 3, WEEK], deployer);
      const a = await ethers.deployContract("RecognitionAgreements", [c], deployer);
      const foreignG = await ethers.deployContract("ConsortiumGovernance", [await stranger.getAddress(), 2, 3, WEEK]);
      const [gAddress, aAddress] = [await g.getAddress(), await a.getAddress()];
      expect(await consortium.governance()).to.equal(ethers.ZeroAddress);
      await expect(consortium.connect(other).link(gAddress, aAddress)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumInvalidLink",
      );
      for (const [x, y] of [
        [await foreignG.getAddress(), aAddress],
        [gAddress, ethers.ZeroAddress],
        [ethers.ZeroAddress, aAddress],
      ] as const) {
        await expect(consortium.link(x, y)).to.be.revertedWithCustomError(consortium, "ConsortiumInvalidLink");
      }
      await expect(consortium.link(gAddress, aAddress))
        .to.emit(consortium, "ConsortiumLinked")
        .withArgs(gAddress, aAddress);
      await expect(consortium.link(gAddress, aAddress)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumInvalidLink",
      );
    });
  });

  describe("attack: the deployer keeps no power", function () {
    it("cannot propose, manage keys, call the governance-only setters or re-link", async function () {
      const f = await loadFixture(consortiumFixture);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, f.deployer, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(f.deployer.address);
      await expect(gov.revokeOwnKey(f, f.deployer, 1, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(f.deployer.address);
      const c = f.consortium.connect(f.deployer);
      const only = (p: Promise<unknown>) =>
        expect(p).to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance").withArgs(f.deployer.address);
      await only(c.admitMember(FR, Role.GOVERNOR, memberNameHash("x"), f.spare[0]!.address));
      await only(c.setMemberStatus(1, MemberStatus.Suspended));
      await only(c.setRoles(1, Role.AGENCY));
      await only(c.addKey(1, f.spare[0]!.address, 0, 0));
      await only(c.revokeKey(1, f.frAgency.address));
      await expect(c.link(f.deployer.address, f.deployer.address)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumInvalidLink",
      );
      // Nor can a governor call the setters directly: only a passed proposal can.
      await expect(f.consortium.connect(f.frAgency).setMemberStatus(2, MemberStatus.Suspended))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance")
        .withArgs(f.frAgency.address);
      expect((await f.consortium.getMember(1)).status).to.equal(BigInt(MemberStatus.Active));
    });
  });

  describe("signers", function () {
    it("tells who a key signs for and whether it may act now", async function () {
      const f = await loadFixture(consortiumFixture);
      const info = await f.consortium.signerInfo(f.deCourt.address);
      expect([info.memberId, info.roles, info.jurisdiction, info.status, info.keyValid, info.authorized]).to.deep.equal(
        [2n, BigInt(Role.COURT | Role.GOVERNOR), DE, BigInt(MemberStatus.Active), true, true],
      );
      const unknown = await f.consortium.signerInfo(f.spare[0]!.address);
      expect([unknown.memberId, unknown.keyValid, unknown.authorized]).to.deep.equal([0n, false, false]);
    });

    it("never invalidates what a rotated key signed while it was valid", async function () {
      const f = await loadFixture(consortiumFixture);
      const oldKey = f.usPlatform.address;
      const newKey = f.spare[0]!;
      const beforeRotation = await time.latest();
      await time.increase(100);
      const id = await propose(f, f.frAgency, { kind: "AddKey", memberId: 4, key: newKey.address });
      const added = await nextBlockAt();
      await gov.vote(f, f.deCourt, id, true);
      await time.increase(100);
      const revokedAt = await nextBlockAt();
      await gov.revokeOwnKey(f, f.usPlatform, 4, oldKey);
      await time.increase(100);

      expect(await f.consortium.isValidSigner(4, oldKey, beforeRotation)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, oldKey, revokedAt - 1)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, oldKey, revokedAt)).to.equal(false);
      expect(await f.consortium.isValidSigner(4, oldKey, await time.latest())).to.equal(false);
      expect(await f.consortium.isValidSigner(4, newKey.address, added - 1)).to.equal(false);
      expect(await f.consortium.isValidSigner(4, newKey.address, added)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, newKey.address, await time.latest())).to.equal(true);
      // Another member id, or member 0, never matches.
      expect(await f.consortium.isValidSigner(3, newKey.address, added)).to.equal(false);
      expect(await f.consortium.isValidSigner(0, f.spare[1]!.address, added)).to.equal(false);
      expect((await f.consortium.signerInfo(oldKey)).authorized).to.equal(false);
      expect((await f.consortium.getKey(oldKey)).validUntil).to.equal(BigInt(revokedAt));
      // The live list drops the revoked key; the key record (and the events) keep it.
      expect(await f.consortium.keysOf(4)).to.deep.equal([newKey.address]);
    });

    it("answers for the member's status at the time, not now", async function () {
      const f = await loadFixture(consortiumFixture);
      const active = await time.latest();
      await time.increase(10);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      const suspended = await nextBlockAt();
      await gov.vote(f, f.deCourt, id, true);
      await time.increase(10);
      const reinstate = await propose(f, f.frAgency, { kind: "ReinstateMember", memberId: 4 });
      const reinstated = await nextBlockAt();
      await gov.vote(f, f.deCourt, reinstate, true);
      const isValid = (t: number) => f.consortium.isValidSigner(4, f.usPlatform.address, t);
      expect(await isValid(active)).to.equal(true);
      expect(await isValid(suspended - 1)).to.equal(true);
      expect(await isValid(suspended)).to.equal(false);
      expect(await isValid(reinstated - 1)).to.equal(false);
      expect(await isValid(reinstated)).to.equal(true);
      expect(await f.consortium.statusAt(4, active)).to.equal(BigInt(MemberStatus.Active));
      expect(await f.consortium.statusAt(4, suspended)).to.equal(BigInt(MemberStatus.Suspended));
      expect(await f.consortium.statusAt(4, reinstated)).to.equal(BigInt(MemberStatus.Active));
      expect(await f.consortium.statusAt(4, 1)).to.equal(BigInt(MemberStatus.None));
      expect(await f.consortium.statusAt(99, active)).to.equal(BigInt(MemberStatus.None));
    });
  });

  describe("keys: a member's own", function () {
    it("lets a member revoke its own key at once, and only its own", async function () {
      const f = await loadFixture(consortiumFixture);
      await expect(gov.revokeOwnKey(f, f.usPlatform, 1, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(1, f.usPlatform.address);
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(4, f.frAgency.address);
      const t = await nextBlockAt();
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address))
        .to.emit(f.consortium, "KeyRevoked")
        .withArgs(4, f.usPlatform.address, t, true);
      expect(await f.consortium.keysOf(4)).to.deep.equal([]);
      // The revoked key can no longer act, not even to revoke itself again.
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(f.usPlatform.address);
    });

    it("adds a key signed by one of the member's keys and by the new key, shown as origin Member", async function () {
      const f = await loadFixture(consortiumFixture);
      const newKey = f.spare[0]!;
      const t = await nextBlockAt();
      await expect(gov.addOwnKey(f, f.usPlatform, newKey, 4))
        .to.emit(f.consortium, "KeyAdded")
        .withArgs(4, newKey.address, t, OPEN_ENDED, KeyOrigin.Member);
      expect(await f.consortium.keysOf(4)).to.deep.equal([f.usPlatform.address, newKey.address]);
      expect(await f.consortium.nonces(f.usPlatform.address)).to.equal(1n);
      const info = await f.consortium.signerInfo(newKey.address);
      expect([info.memberId, info.roles, info.jurisdiction, info.authorized]).to.deep.equal([
        4n,
        BigInt(Role.PLATFORM),
        US,
        true,
      ]);

      // A window in the future: valid from its first second until (excluding) its last.
      const later = f.spare[1]!;
      const from = (await time.latest()) + 1000;
      const until = from + 500;
      await expect(gov.addOwnKey(f, newKey, later, 4, { validFrom: from, validUntil: until }))
        .to.emit(f.consortium, "KeyAdded")
        .withArgs(4, later.address, from, until, KeyOrigin.Member);
      expect((await f.consortium.signerInfo(later.address)).authorized).to.equal(false);
      await time.increaseTo(from);
      expect((await f.consortium.signerInfo(later.address)).authorized).to.equal(true);
      await time.increaseTo(until);
      expect((await f.consortium.signerInfo(later.address)).authorized).to.equal(false);
      expect(await f.consortium.isValidSigner(4, later.address, until - 1)).to.equal(true);
    });

    describe("attack: validFrom is never in the past", function () {
      it("refuses a member's key whose window starts before the block that adds it", async function () {
        const f = await loadFixture(consortiumFixture);
        const newKey = f.spare[0]!;
        const past = (await time.latest()) - 3600;
        await expect(gov.addOwnKey(f, f.usPlatform, newKey, 4, { validFrom: past }))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
          .withArgs(past, 0);
        // A start in the future when signed, but past when relayed, is refused too.
        const soon = (await time.latest()) + 10;
        const s = await signAddOwnKey(f, f.usPlatform, newKey, {
          memberId: 4,
          key: newKey.address,
          validFrom: soon,
          validUntil: 0,
        });
        await time.increase(60);
        await expect(f.consortium.addOwnKey(s.request, s.signature, s.keySignature))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
          .withArgs(soon, 0);
        expect((await f.consortium.getKey(newKey.address)).memberId).to.equal(0n);
        // An empty window or one already over is refused as well.
        const now = await time.latest();
        await expect(gov.addOwnKey(f, f.usPlatform, newKey, 4, { validFrom: now + 100, validUntil: now + 100 }))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
          .withArgs(now + 100, now + 100);
      });

      it("clamps a governance AddKey start that passed during the vote to the execution time, as the event shows", async function () {
        const f = await loadFixture(consortiumFixture);
        const key = f.spare[1]!;
        const past = (await time.latest()) - WEEK;
        const id = await propose(f, f.frAgency, { kind: "AddKey", memberId: 5, key: key.address, validFrom: past });
        await time.increase(3600);
        const executedAt = await nextBlockAt();
        await expect(gov.vote(f, f.deCourt, id, true))
          .to.emit(f.consortium, "KeyAdded")
          .withArgs(5, key.address, executedAt, OPEN_ENDED, KeyOrigin.Governance);
        expect((await f.consortium.getKey(key.address)).validFrom).to.equal(BigInt(executedAt));
        expect(await f.consortium.isValidSigner(5, key.address, past)).to.equal(false);
        expect(await f.consortium.isValidSigner(5, key.address, executedAt - 1)).to.equal(false);
        expect(await f.consortium.isValidSigner(5, key.address, executedAt)).to.equal(true);
        // The clamped start still has to precede the end: a window over by execution time is refused.
        const stale = await propose(f, f.frAgency, {
          kind: "AddKey",
          memberId: 5,
          key: f.spare[2]!.address,
          validFrom: 1,
          validUntil: 2,
        });
        const t = await nextBlockAt();
        await expect(gov.vote(f, f.deCourt, stale, true))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
          .withArgs(t, 2);
      });
    });

    describe("attack: adding a key needs the member's own signature and the key's proof of possession", function () {
      it("refuses another member adding a key to member X", async function () {
        const f = await loadFixture(consortiumFixture);
        const key = f.spare[0]!;
        // DE's governor signs for US (member 4), and the key proves possession: still not DE's to do.
        const s = await signAddOwnKey(f, f.deCourt, key, {
          memberId: 4,
          key: key.address,
          validFrom: 0,
          validUntil: 0,
        });
        await expect(f.consortium.addOwnKey(s.request, s.signature, s.keySignature))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
          .withArgs(4, f.deCourt.address);
        // The key, signing for itself, is nobody's key.
        const self = await signAddOwnKey(f, key, key, { memberId: 4, key: key.address, validFrom: 0, validUntil: 0 });
        await expect(f.consortium.addOwnKey(self.request, self.signature, self.keySignature))
          .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
          .withArgs(key.address);
        expect(await f.consortium.keysOf(4)).to.deep.equal([f.usPlatform.address]);
      });

      it("refuses a key the signer does not control (key-address squatting)", async function () {
        const f = await loadFixture(consortiumFixture);
        const victim = f.spare[0]!; // someone else's address, which US would like to squat
        const request = { memberId: 4, key: victim.address, validFrom: 0, validUntil: 0 };
        // No proof at all.
        const none = await signAddOwnKey(f, f.usPlatform, null, request);
        await expect(f.consortium.addOwnKey(none.request, none.signature, none.keySignature))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotProven")
          .withArgs(victim.address);
        // A proof by another key (US's own, or a key US holds).
        for (const prover of [f.usPlatform, f.spare[1]!]) {
          const wrong = await signAddOwnKey(f, f.usPlatform, prover, request);
          await expect(f.consortium.addOwnKey(wrong.request, wrong.signature, wrong.keySignature))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotProven")
            .withArgs(victim.address);
        }
        // A genuine signature of the victim over another request (here, another window) proves nothing for this one.
        const other = await signAddOwnKey(f, f.usPlatform, victim, { ...request, validUntil: 2 ** 40 });
        const mine = await signAddOwnKey(f, f.usPlatform, null, request);
        await expect(f.consortium.addOwnKey(mine.request, mine.signature, other.keySignature))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotProven")
          .withArgs(victim.address);
        // Nothing was taken: the victim's address is free, and its owner's member can still add it.
        expect((await f.consortium.getKey(victim.address)).memberId).to.equal(0n);
        await expect(gov.addOwnKey(f, f.esRegistry, victim, 5)).to.emit(f.consortium, "KeyAdded");
        expect((await f.consortium.getKey(victim.address)).memberId).to.equal(5n);
      });
    });

    describe("attack: a suspended member can still revoke its own compromised keys", function () {
      it("revokes it while suspended, although neither of its keys may act otherwise", async function () {
        const f = await loadFixture(consortiumFixture);
        const compromised = f.spare[0]!;
        await gov.addOwnKey(f, f.usPlatform, compromised, 4);
        await pass(f, { kind: "SuspendMember", memberId: 4 });
        for (const k of [f.usPlatform, compromised]) {
          const info = await f.consortium.signerInfo(k.address);
          expect([info.status, info.keyValid, info.authorized]).to.deep.equal([
            BigInt(MemberStatus.Suspended),
            true,
            false,
          ]);
        }
        await expect(gov.addOwnKey(f, compromised, f.spare[1]!, 4))
          .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
          .withArgs(compromised.address);
        const revokedAt = await nextBlockAt();
        await expect(gov.revokeOwnKey(f, f.usPlatform, 4, compromised.address))
          .to.emit(f.consortium, "KeyRevoked")
          .withArgs(4, compromised.address, revokedAt, true);
        expect(await f.consortium.keysOf(4)).to.deep.equal([f.usPlatform.address]);
      });

      it("but a removed member cannot revoke or add anything", async function () {
        const f = await loadFixture(consortiumFixture);
        await gov.addOwnKey(f, f.usPlatform, f.spare[0]!, 4);
        await pass(f, { kind: "RemoveMember", memberId: 4 });
        await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.spare[0]!.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidMemberStatus")
          .withArgs(4, MemberStatus.Removed);
        await expect(gov.addOwnKey(f, f.usPlatform, f.spare[1]!, 4)).to.be.revertedWithCustomError(
          f.consortium,
          "SignedRequestUnauthorizedSigner",
        );
      });
    });

    describe("attack: a key revoked while suspended stays revoked after reinstatement", function () {
      it("does not come back with its member", async function () {
        const { f, compromised, revokedAt } = await loadFixture(revokedWhileSuspended);
        await pass(f, { kind: "ReinstateMember", memberId: 4 });
        expect((await f.consortium.signerInfo(f.usPlatform.address)).authorized).to.equal(true);
        const info = await f.consortium.signerInfo(compromised.address);
        expect([info.memberId, info.keyValid, info.authorized]).to.deep.equal([4n, false, false]);
        expect((await f.consortium.getKey(compromised.address)).validUntil).to.equal(BigInt(revokedAt));
        expect(await f.consortium.isValidSigner(4, compromised.address, revokedAt - 1)).to.equal(false); // suspended
        expect(await f.consortium.isValidSigner(4, compromised.address, await time.latest())).to.equal(false);
        expect(await f.consortium.keysOf(4)).to.deep.equal([f.usPlatform.address]);
        // The attacker holding it can do nothing with it.
        await expect(gov.revokeOwnKey(f, compromised, 4, f.usPlatform.address))
          .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
          .withArgs(compromised.address);
        await expect(gov.addOwnKey(f, compromised, f.spare[1]!, 4))
          .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
          .withArgs(compromised.address);
      });
    });

    describe("attack: a member cannot make key scans unbounded", function () {
      it("holds at most MAX_LIVE_KEYS live keys, pruning expired ones", async function () {
        const f = await loadFixture(consortiumFixture);
        const max = Number(await f.consortium.MAX_LIVE_KEYS());
        const expiresAt = (await time.latest()) + 1000;
        const shortLived = Array.from({ length: max - 1 }, () => ethers.Wallet.createRandom());
        for (const k of shortLived) await gov.addOwnKey(f, f.usPlatform, k, 4, { validUntil: expiresAt });
        expect((await f.consortium.keysOf(4)).length).to.equal(max);
        const extra = ethers.Wallet.createRandom();
        await expect(gov.addOwnKey(f, f.usPlatform, extra, 4))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyKeys")
          .withArgs(4);
        // Governance overrides are bounded too.
        const override = await propose(f, f.frAgency, { kind: "AddKey", memberId: 4, key: extra.address });
        await expect(gov.vote(f, f.deCourt, override, true))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyKeys")
          .withArgs(4);
        // Revoking one frees its slot at once.
        await gov.revokeOwnKey(f, f.usPlatform, 4, shortLived[0]!.address);
        await gov.addOwnKey(f, f.usPlatform, extra, 4);
        expect((await f.consortium.keysOf(4)).length).to.equal(max);
        // Once the short-lived keys expire, the next addition prunes them.
        await time.increaseTo(expiresAt);
        const after = ethers.Wallet.createRandom();
        await gov.addOwnKey(f, f.usPlatform, after, 4);
        expect([...(await f.consortium.keysOf(4))]).to.have.members([
          f.usPlatform.address,
          extra.address,
          after.address,
        ]);
        // Pruning forgets nothing about the past.
        const k = await f.consortium.getKey(shortLived[1]!.address);
        expect([k.memberId, k.validUntil]).to.deep.equal([4n, BigInt(expiresAt)]);
        expect(await f.consortium.isValidSigner(4, shortLived[1]!.address, expiresAt - 1)).to.equal(true);
      });
    });
  });

  describe("keys: by governance", function () {
    it("adds keys with a validity window (origin Governance) and revokes them by vote", async function () {
      const f = await loadFixture(consortiumFixture);
      const key = f.spare[1]!;
      const from = (await time.latest()) + 1000;
      const id = await propose(f, f.frAgency, { kind: "AddKey", memberId: 5, key: key.address, validFrom: from });
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.consortium, "KeyAdded")
        .withArgs(5, key.address, from, OPEN_ENDED, KeyOrigin.Governance);
      expect((await f.consortium.signerInfo(key.address)).authorized).to.equal(false);
      await time.increaseTo(from);
      expect((await f.consortium.signerInfo(key.address)).authorized).to.equal(true);
      const revoke = await propose(f, f.frAgency, { kind: "RevokeKey", memberId: 5, key: key.address });
      const t = await nextBlockAt();
      await expect(gov.vote(f, f.deCourt, revoke, true))
        .to.emit(f.consortium, "KeyRevoked")
        .withArgs(5, key.address, t, false);
      const again = await propose(f, f.frAgency, { kind: "RevokeKey", memberId: 5, key: key.address });
      await expect(gov.vote(f, f.deCourt, again, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyAlreadyRevoked")
        .withArgs(key.address);
      const wrongMember = await propose(f, f.frAgency, { kind: "RevokeKey", memberId: 4, key: key.address });
      await expect(gov.vote(f, f.deCourt, wrongMember, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(4, key.address);
      // A revoked key is never handed to anyone again.
      const reuse = await propose(f, f.frAgency, { kind: "AddKey", memberId: 4, key: key.address });
      await expect(gov.vote(f, f.deCourt, reuse, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyUnavailable")
        .withArgs(key.address);
    });

    it("admits a member with its initial key shown as origin Admission", async function () {
      const f = await loadFixture(consortiumFixture);
      const key = f.spare[0]!;
      const id = await propose(f, f.frAgency, {
        kind: "AdmitMember",
        jurisdiction: "IT",
        roles: ["COURT"],
        name: "Tribunale di Milano",
        key: key.address,
      });
      const t = await nextBlockAt();
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.consortium, "MemberAdmitted")
        .withArgs(6, toJurisdiction("IT"), Role.COURT, memberNameHash("Tribunale di Milano"))
        .and.to.emit(f.consortium, "MemberStatusChanged")
        .withArgs(6, MemberStatus.Active, t)
        .and.to.emit(f.consortium, "KeyAdded")
        .withArgs(6, key.address, t, OPEN_ENDED, KeyOrigin.Admission);
    });
  });

  describe("attack: the last valid key of the last eligible governor cannot be revoked", function () {
    it("refuses, with ConsortiumLastGovernor, self-revocation and governance revocation alike", async function () {
      const f = await loadFixture(consortiumFixture);
      // DE and NL give up their keys: FR remains the only governor able to act.
      await gov.revokeOwnKey(f, f.deCourt, 2, f.deCourt.address);
      await gov.revokeOwnKey(f, f.nlOperator, 3, f.nlOperator.address);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(1n);
      await expect(gov.revokeOwnKey(f, f.frAgency, 1, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
        .withArgs(1);
      // A key that is not valid yet does not count as a valid key.
      const next = f.spare[0]!;
      const from = (await time.latest()) + 1000;
      await gov.addOwnKey(f, f.frAgency, next, 1, { validFrom: from });
      await expect(gov.revokeOwnKey(f, f.frAgency, 1, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
        .withArgs(1);
      // Once it is valid, the old key can go; then the new one is the last.
      await time.increaseTo(from);
      await expect(gov.revokeOwnKey(f, f.frAgency, 1, f.frAgency.address)).to.emit(f.consortium, "KeyRevoked");
      await expect(gov.revokeOwnKey(f, next, 1, next.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
        .withArgs(1);
      // Governance (FR alone is the whole quorum: the proposal executes as it is made) cannot either.
      const e = encodeProposal({ kind: "RevokeKey", memberId: 1, key: next.address });
      await expect(gov.propose(f, next, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
        .withArgs(1);
      expect(await f.consortium.isEligibleGovernor(1)).to.equal(true);
      // A member that is not a governor may give up its last key.
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address)).to.emit(f.consortium, "KeyRevoked");
    });
  });

  describe("signed requests: EIP-712 domains", function () {
    const contracts = ["Consortium", "ConsortiumGovernance", "RecognitionAgreements"] as const;
    const byName = (f: ConsortiumFixture, name: (typeof contracts)[number]) =>
      name === "Consortium" ? f.consortium : name === "ConsortiumGovernance" ? f.governance : f.agreements;

    it("the SDK's domain is the one the contract states (ERC-5267), with the consortium id as salt", async function () {
      const f = await loadFixture(consortiumFixture);
      const client = await ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer);
      const { chainId } = await ethers.provider.getNetwork();
      const sdkDomains = {
        Consortium: client.domains.consortium,
        ConsortiumGovernance: client.domains.governance,
        RecognitionAgreements: client.domains.agreements,
      };
      const coder = ethers.AbiCoder.defaultAbiCoder();
      for (const name of contracts) {
        const c = byName(f, name);
        const address = await c.getAddress();
        const d = await c.eip712Domain();
        expect([d.fields, d.name, d.version, d.chainId, d.verifyingContract, d.salt, [...d.extensions]]).to.deep.equal([
          "0x1f",
          `crossproof ${name}`,
          "2",
          chainId,
          address,
          f.consortiumId,
          [],
        ]);
        expect(sdkDomains[name]).to.deep.equal(contractDomain(name as ContractName, chainId, address, f.consortiumId));
        // The separator, computed by hand from the EIP-712 definition.
        const expected = ethers.keccak256(
          coder.encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
            [
              ethers.id(
                "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)",
              ),
              ethers.id(`crossproof ${name}`),
              ethers.id("2"),
              chainId,
              address,
              f.consortiumId,
            ],
          ),
        );
        expect(await c.DOMAIN_SEPARATOR()).to.equal(expected);
        expect(ethers.TypedDataEncoder.hashDomain(sdkDomains[name])).to.equal(expected);
      }
    });

    it("takes the signer, not the relayer, as the actor, and refuses replays, expired and malformed requests", async function () {
      const f = await loadFixture(consortiumFixture);
      const client = await gov.client(f);
      const signed = await client.signPropose(f.frAgency, { kind: "SuspendMember", memberId: 4 });
      const relayer = f.spare[5]!; // no member at all
      const made = await (await client.submit(signed, relayer)).wait();
      expect(made).to.deep.include({ proposalId: 1n, kind: "SuspendMember", executed: false });
      expect((await f.governance.getProposal(1)).proposer).to.equal(1n);
      expect(await f.governance.nonces(f.frAgency.address)).to.equal(1n);
      // The same signed request again: its nonce is spent.
      await expect(f.governance.connect(relayer).propose(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.governance, "InvalidAccountNonce")
        .withArgs(f.frAgency.address, 1);
      const late = await client.signVote(f.deCourt, 1, true, { validFor: 10 });
      await time.increase(11);
      await expect(f.governance.vote(late.request, late.signature))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestExpired")
        .withArgs(late.request.deadline);
      const fresh = await client.signVote(f.deCourt, 1, true);
      await expect(f.governance.vote(fresh.request, "0x1234")).to.be.revertedWithCustomError(
        f.governance,
        "SignedRequestInvalidSignature",
      );
      // A signature over other values recovers another key, which is nobody's.
      const tampered = { ...fresh.request, support: false };
      const recovered = ethers.verifyTypedData(
        fresh.domain,
        { Vote: [...GovernanceTypes.Vote] },
        tampered,
        fresh.signature,
      );
      await expect(f.governance.vote(tampered, fresh.signature))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(recovered);
      await expect(f.governance.vote(fresh.request, fresh.signature))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(1, 2, 3);
    });

    describe("attack: a request signed for another chain id, contract or consortium is refused", function () {
      it("recovers another signer, which is nobody's key", async function () {
        const f = await loadFixture(consortiumFixture);
        const client = await gov.client(f);
        const e = encodeProposal({ kind: "SuspendMember", memberId: 4 });
        const request = { ...e, nonce: 0n, deadline: (await time.latest()) + 3600 };
        const real = client.domains.governance;
        const types = { Propose: [...GovernanceTypes.Propose] };
        const wrongDomains = {
          "another chain id": { ...real, chainId: 1n },
          "another contract": { ...real, verifyingContract: await f.agreements.getAddress() },
          "another consortium": { ...real, salt: ethers.id("another consortium") },
          "no salt (a domain without the consortium id)": {
            name: real.name!,
            version: real.version!,
            chainId: real.chainId!,
            verifyingContract: real.verifyingContract!,
          },
        };
        for (const [what, domain] of Object.entries(wrongDomains)) {
          const signature = await f.frAgency.signTypedData(domain, types, request);
          // The contract recovers the signature against its own domain: some other address, nobody's key.
          const recovered = ethers.verifyTypedData(real, types, request, signature);
          expect(recovered, what).not.to.equal(f.frAgency.address);
          await expect(f.governance.propose(request, signature), what)
            .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
            .withArgs(recovered);
        }
        expect(await f.governance.proposalCount()).to.equal(0n);
        // The same request signed for the right domain passes.
        await expect(f.governance.propose(request, await f.frAgency.signTypedData(real, types, request))).to.emit(
          f.governance,
          "ProposalCreated",
        );
      });
    });

    describe("attack: two deployments sharing chain id and addresses must not accept each other's requests", function () {
      it("refuses a request signed for the other deployment (its consortium id is the domain's salt)", async function () {
        const signers = await ethers.getSigners();
        const [deployer, fr, de] = signers as [HardhatEthersSigner, HardhatEthersSigner, HardhatEthersSigner];
        const config = parseConsortiumConfig({
          name: "replay test",
          quorum: { numerator: 2, denominator: 3 },
          votingPeriodSeconds: WEEK,
          founders: [
            { name: "FR", jurisdiction: "FR", roles: ["GOVERNOR"], key: fr.address },
            { name: "DE", jurisdiction: "DE", roles: ["GOVERNOR"], key: de.address },
          ],
        });
        const { chainId } = await ethers.provider.getNetwork();
        const snapshot: string = await network.provider.send("evm_snapshot");
        // Deployment A (say, staging) — a request is signed for it.
        const a = await deployConsortium(deployer, config, ethers.id("consortium A") as Hex);
        const addressesA = await Promise.all([a.consortium, a.governance, a.agreements].map((c) => c.getAddress()));
        const signed = await (
          await ConsortiumClient.connect(addressesA[0]!, deployer)
        ).signPropose(fr, {
          kind: "SuspendMember",
          memberId: 2,
        });
        expect(await a.governance.propose.staticCall(signed.request, signed.signature)).to.equal(1n);
        // Deployment B (say, production) from the same deployer nonce: same chain, same addresses, another id.
        await network.provider.send("evm_revert", [snapshot]);
        const b = await deployConsortium(deployer, config, ethers.id("consortium B") as Hex);
        const addressesB = await Promise.all([b.consortium, b.governance, b.agreements].map((c) => c.getAddress()));
        expect(addressesB).to.deep.equal(addressesA);
        expect((await ethers.provider.getNetwork()).chainId).to.equal(chainId);
        expect(await b.consortium.consortiumId()).not.to.equal(ethers.id("consortium A"));
        expect((await b.consortium.signerInfo(fr.address)).authorized).to.equal(true);

        const domainB = (await ConsortiumClient.connect(addressesB[0]!, deployer)).domains.governance;
        const recovered = ethers.verifyTypedData(
          domainB,
          { Propose: [...GovernanceTypes.Propose] },
          signed.request,
          signed.signature,
        );
        expect(recovered).not.to.equal(fr.address);
        await expect(b.governance.propose(signed.request, signed.signature))
          .to.be.revertedWithCustomError(b.governance, "SignedRequestUnauthorizedSigner")
          .withArgs(recovered);
        expect(await b.governance.proposalCount()).to.equal(0n);
        expect(await b.governance.nonces(fr.address)).to.equal(0n);
      });
    });
  });
});
