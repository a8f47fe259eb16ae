import { expect } from "chai";
import * as gov from "../helpers/governance";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  Assurance,
  ConsortiumClient,
  isCrossproofError,
  type AssuranceName,
  MemberStatus,
  ProposalKind,
  Role,
  consortiumConstructorArgs,
  encodeProposal,
  loadConsortiumConfig,
  memberNameHash,
  parameterKey,
  parseConsortiumConfig,
  toJurisdiction,
  type ProposalParameters,
} from "../../sdk/src";
import { consortiumFixture, WEEK, type ConsortiumFixture } from "../helpers/fixtures";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");
const NL = toJurisdiction("NL");
const US = toJurisdiction("US");

async function propose(f: ConsortiumFixture, by: HardhatEthersSigner, p: ProposalParameters): Promise<bigint> {
  const e = encodeProposal(p);
  await gov.propose(f, by, e.kind, e.payload);
  return f.consortium.proposalCount();
}

describe("Consortium", function () {
  describe("founding", function () {
    it("admits the founders with their jurisdiction, roles, name hash and one key", async function () {
      const f = await loadFixture(consortiumFixture);
      expect(await f.consortium.memberCount()).to.equal(5n);
      const m1 = await f.consortium.getMember(1);
      expect(m1.jurisdiction).to.equal(FR);
      expect(m1.roles).to.equal(BigInt(Role.AGENCY | Role.GOVERNOR));
      expect(m1.status).to.equal(BigInt(MemberStatus.Active));
      expect(m1.nameHash).to.equal(memberNameHash("FR agency"));
      expect(await f.consortium.keysOf(1)).to.deep.equal([f.frAgency.address]);
      const k = await f.consortium.getKey(f.frAgency.address);
      expect(k.memberId).to.equal(1n);
      expect(k.validUntil).to.equal(2n ** 48n - 1n);
      expect(await f.consortium.activeGovernorCount()).to.equal(3);
      expect(await f.consortium.governanceParameters()).to.deep.equal([2n, 3n, BigInt(WEEK)]);
    });

    it("leaves the deployer without any power", async function () {
      const f = await loadFixture(consortiumFixture);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, f.deployer, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnauthorizedKey")
        .withArgs(f.deployer.address);
      await expect(gov.revokeOwnKey(f, f.deployer, 1, f.frAgency.address)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumUnauthorizedKey",
      );
    });

    it("refuses a founding without a governor, with a bad jurisdiction, a reused key or a bad quorum", async function () {
      const [, a, b] = await ethers.getSigners();
      const Consortium = await ethers.getContractFactory("Consortium");
      const base = { jurisdiction: FR, nameHash: memberNameHash("x"), key: a!.address };
      await expect(Consortium.deploy([{ ...base, roles: Role.AGENCY }], 2, 3, WEEK)).to.be.revertedWithCustomError(
        Consortium,
        "ConsortiumInvalidFounding",
      );
      await expect(Consortium.deploy([], 2, 3, WEEK)).to.be.revertedWithCustomError(
        Consortium,
        "ConsortiumInvalidFounding",
      );
      await expect(Consortium.deploy([{ ...base, jurisdiction: "0x6672", roles: Role.GOVERNOR }], 2, 3, WEEK))
        .to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidJurisdiction")
        .withArgs("0x6672");
      await expect(
        Consortium.deploy(
          [
            { ...base, roles: Role.GOVERNOR },
            { ...base, jurisdiction: DE, roles: Role.COURT },
          ],
          2,
          3,
          WEEK,
        ),
      )
        .to.be.revertedWithCustomError(Consortium, "ConsortiumKeyUnavailable")
        .withArgs(a!.address);
      await expect(Consortium.deploy([{ ...base, roles: 0 }], 2, 3, WEEK)).to.be.revertedWithCustomError(
        Consortium,
        "ConsortiumInvalidRoles",
      );
      await expect(Consortium.deploy([{ ...base, key: b!.address, roles: Role.GOVERNOR }], 4, 3, WEEK))
        .to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidGovernanceParameters")
        .withArgs(4, 3, WEEK);
      await expect(
        Consortium.deploy([{ ...base, key: b!.address, roles: Role.GOVERNOR }], 2, 3, 60),
      ).to.be.revertedWithCustomError(Consortium, "ConsortiumInvalidGovernanceParameters");
    });

    it("builds the constructor arguments from the demo configuration file", async function () {
      const config = loadConsortiumConfig("config/demo-consortium.json");
      const args = consortiumConstructorArgs(config);
      const c = await ethers.deployContract("Consortium", [
        args.founders,
        args.quorumNumerator,
        args.quorumDenominator,
        args.votingPeriod,
      ]);
      expect(await c.memberCount()).to.equal(BigInt(config.founders.length));
      expect(() => parseConsortiumConfig({ ...config, founders: [] })).to.throw(/founders/);
    });
  });

  describe("signers", function () {
    it("tells who a key signs for and whether it may act now", async function () {
      const f = await loadFixture(consortiumFixture);
      const info = await f.consortium.signerInfo(f.deCourt.address);
      expect(info.memberId).to.equal(2n);
      expect(info.roles).to.equal(BigInt(Role.COURT | Role.GOVERNOR));
      expect(info.jurisdiction).to.equal(DE);
      expect(info.authorized).to.equal(true);
      const unknown = await f.consortium.signerInfo(f.spare[0]!.address);
      expect(unknown.memberId).to.equal(0n);
      expect(unknown.authorized).to.equal(false);
    });

    it("never invalidates what a rotated key signed while it was valid", async function () {
      const f = await loadFixture(consortiumFixture);
      const oldKey = f.usPlatform.address;
      const newKey = f.spare[0]!;
      const beforeRotation = await time.latest();
      await time.increase(100);
      const id = await propose(f, f.frAgency, { kind: "AddKey", memberId: 4, key: newKey.address });
      await gov.vote(f, f.deCourt, id, true);
      const added = await time.latest();
      await time.increase(100);
      await gov.revokeOwnKey(f, f.usPlatform, 4, oldKey);
      const revokedAt = await time.latest();
      await time.increase(100);

      expect(await f.consortium.isValidSigner(4, oldKey, beforeRotation)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, oldKey, revokedAt - 1)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, oldKey, revokedAt)).to.equal(false);
      expect(await f.consortium.isValidSigner(4, oldKey, await time.latest())).to.equal(false);
      expect(await f.consortium.isValidSigner(4, newKey.address, beforeRotation)).to.equal(false);
      expect(await f.consortium.isValidSigner(4, newKey.address, added)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, newKey.address, await time.latest())).to.equal(true);
      expect(await f.consortium.isValidSigner(3, newKey.address, added)).to.equal(false);
      expect((await f.consortium.signerInfo(oldKey)).authorized).to.equal(false);
      expect(await f.consortium.keysOf(4)).to.deep.equal([oldKey, newKey.address]);
    });

    it("answers for the member's status at the time, not now", async function () {
      const f = await loadFixture(consortiumFixture);
      const active = await time.latest();
      await time.increase(10);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await gov.vote(f, f.deCourt, id, true);
      const suspended = await time.latest();
      expect(await f.consortium.isValidSigner(4, f.usPlatform.address, active)).to.equal(true);
      expect(await f.consortium.isValidSigner(4, f.usPlatform.address, suspended)).to.equal(false);
      expect(await f.consortium.statusAt(4, active)).to.equal(BigInt(MemberStatus.Active));
      expect(await f.consortium.statusAt(4, suspended)).to.equal(BigInt(MemberStatus.Suspended));
      expect(await f.consortium.statusAt(4, 1)).to.equal(BigInt(MemberStatus.None));
    });

    it("lets a member revoke its own key at once, and only its own", async function () {
      const f = await loadFixture(consortiumFixture);
      await expect(gov.revokeOwnKey(f, f.usPlatform, 1, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(1, f.usPlatform.address);
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.frAgency.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(4, f.frAgency.address);
      const tx = gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address);
      await expect(tx)
        .to.emit(f.consortium, "KeyRevoked")
        .withArgs(4, f.usPlatform.address, (await time.latest()) + 1, true);
      // The revoked key can no longer act, not even to revoke itself again.
      await expect(gov.revokeOwnKey(f, f.usPlatform, 4, f.usPlatform.address)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumUnauthorizedKey",
      );
    });
  });

  describe("signed requests (EIP-712, relayed)", function () {
    it("takes the signer, not the relayer, as the actor, and refuses replays, expired and malformed requests", async function () {
      const f = await loadFixture(consortiumFixture);
      const client = await ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer);
      const signed = await client.signPropose(f.frAgency, { kind: "SuspendMember", memberId: 4 });
      // Relayed by an account that is no member at all.
      const relayer = f.spare[5]!;
      const { events } = await (await client.submit(signed, relayer)).wait();
      expect(events.map((e) => e.name)).to.deep.equal(["ProposalCreated", "VoteCast"]);
      expect((await f.consortium.getProposal(1)).proposer).to.equal(1n);
      expect(await f.consortium.nonces(f.frAgency.address)).to.equal(1n);
      // The same signed request again: its nonce is spent.
      await client.submit(signed, relayer).then(
        () => expect.fail("replayed"),
        (err: unknown) => {
          expect(isCrossproofError(err, "CONTRACT_REVERTED")).to.equal(true);
          expect((err as { details: { error: string } }).details.error).to.equal("InvalidAccountNonce");
        },
      );
      const late = await client.signVote(f.deCourt, 1, true, { validFor: 10 });
      await time.increase(11);
      await expect(
        f.consortium.vote(1, true, {
          nonce: late.request.nonce,
          deadline: late.request.deadline,
          signature: late.signature,
        }),
      )
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumRequestExpired")
        .withArgs(late.request.deadline);
      const fresh = await client.signVote(f.deCourt, 1, true);
      const auth = { nonce: fresh.request.nonce, deadline: fresh.request.deadline, signature: fresh.signature };
      await expect(f.consortium.vote(1, true, { ...auth, signature: "0x1234" })).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumInvalidSignature",
      );
      // A signature over other values recovers another key, which is nobody's.
      await expect(f.consortium.vote(1, false, auth)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumUnauthorizedKey",
      );
      await expect(f.consortium.vote(1, true, auth))
        .to.emit(f.consortium, "ProposalExecuted")
        .withArgs(1);
    });

    it("signs agreement terms as a nested EIP-712 struct", async function () {
      const f = await loadFixture(consortiumFixture);
      const client = await ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer);
      const terms = {
        from: "FR",
        to: "DE",
        categories: [1, 2],
        minAssurance: ["SIGNED_BY_VALID_KEY", "COMPLETE_CUSTODY"] as AssuranceName[],
        textHash: ethers.id("text"),
      };
      await (await client.submit(await client.signProposeAgreement(f.frAgency, terms), f.deployer)).wait();
      await (await client.submit(await client.signApproveAgreement(f.deCourt, 1), f.deployer)).wait();
      const a = await f.consortium.getAgreement(1);
      expect(a.terms.categories).to.equal(0b110n);
      expect(a.terms.minAssurance).to.equal(3n);
      expect(a.concludedAt).to.be.greaterThan(0n);
      expect(await f.consortium.isRecognized(FR, DE, 2, await time.latest())).to.equal(true);
    });
  });

  describe("governance", function () {
    it("admits a member when two thirds of the active governors voted yes", async function () {
      const f = await loadFixture(consortiumFixture);
      const newcomer = f.spare[0]!;
      const e = encodeProposal({
        kind: "AdmitMember",
        jurisdiction: "IT",
        roles: ["COURT"],
        name: "Tribunale di Milano",
        key: newcomer.address,
      });
      await expect(gov.propose(f, f.frAgency, e.kind, e.payload))
        .to.emit(f.consortium, "ProposalCreated")
        .and.to.emit(f.consortium, "VoteCast")
        .withArgs(1, 1, true)
        .and.not.to.emit(f.consortium, "MemberAdmitted");
      expect((await f.consortium.getProposal(1)).yesVotes).to.equal(1);
      await expect(gov.vote(f, f.deCourt, 1, true))
        .to.emit(f.consortium, "MemberAdmitted")
        .withArgs(6, toJurisdiction("IT"), Role.COURT, memberNameHash("Tribunale di Milano"))
        .and.to.emit(f.consortium, "ProposalExecuted")
        .withArgs(1);
      expect((await f.consortium.signerInfo(newcomer.address)).memberId).to.equal(6n);
      expect((await f.consortium.getProposal(1)).executed).to.equal(true);
    });

    it("refuses proposals from non-members, non-governors and malformed payloads", async function () {
      const f = await loadFixture(consortiumFixture);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, f.spare[0]!, e.kind, e.payload)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumUnauthorizedKey",
      );
      await expect(gov.propose(f, f.usPlatform, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
        .withArgs(4, Role.GOVERNOR);
      await expect(gov.propose(f, f.frAgency, ProposalKind.SuspendMember, "0x1234"))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidProposal")
        .withArgs(ProposalKind.SuspendMember);
      const unknown = encodeProposal({ kind: "SuspendMember", memberId: 99 });
      await expect(gov.propose(f, f.frAgency, unknown.kind, unknown.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
        .withArgs(99);
      const reused = encodeProposal({
        kind: "AdmitMember",
        jurisdiction: "IT",
        roles: ["COURT"],
        name: "x",
        key: f.usPlatform.address,
      });
      await expect(gov.propose(f, f.frAgency, reused.kind, reused.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyUnavailable")
        .withArgs(f.usPlatform.address);
      const badQuorum = encodeProposal({
        kind: "SetGovernanceParameters",
        quorumNumerator: 0,
        quorumDenominator: 3,
        votingPeriod: WEEK,
      });
      await expect(gov.propose(f, f.frAgency, badQuorum.kind, badQuorum.payload)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumInvalidGovernanceParameters",
      );
    });

    it("counts one vote per member", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.frAgency, id, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumAlreadyVoted")
        .withArgs(id, 1);
      await gov.vote(f, f.deCourt, id, false);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumAlreadyVoted")
        .withArgs(id, 2);
      expect(await f.consortium.hasVoted(id, 2)).to.equal(true);
      expect(await f.consortium.hasVoted(id, 3)).to.equal(false);
      const p = await f.consortium.getProposal(id);
      expect([p.yesVotes, p.noVotes, p.executed]).to.deep.equal([1n, 1n, false]);
    });

    it("refuses votes on an expired proposal and on an executed one", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      const p = await f.consortium.getProposal(id);
      await time.increaseTo(p.expiresAt);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumProposalExpired")
        .withArgs(id, p.expiresAt);
      const id2 = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await gov.vote(f, f.deCourt, id2, true);
      await expect(gov.vote(f, f.nlOperator, id2, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumProposalAlreadyExecuted")
        .withArgs(id2);
      await expect(gov.vote(f, f.nlOperator, 77, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownProposal")
        .withArgs(77);
    });

    it("does not let a suspended governor vote or propose", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 3 });
      await gov.vote(f, f.deCourt, id, true);
      expect(await f.consortium.activeGovernorCount()).to.equal(2);
      const next = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.nlOperator, next, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnauthorizedKey")
        .withArgs(f.nlOperator.address);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 4 });
      await expect(gov.propose(f, f.nlOperator, e.kind, e.payload)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumUnauthorizedKey",
      );
    });

    it("executes on demand when the quorum is reached because governors left", async function () {
      const f = await loadFixture(consortiumFixture);
      // Quorum 2/3 of 3 governors: one yes vote is not enough.
      const pending = await propose(f, f.frAgency, { kind: "SetRoles", memberId: 4, roles: ["PLATFORM", "AGENCY"] });
      await expect(f.consortium.execute(pending))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumQuorumNotReached")
        .withArgs(pending, 1, 3);
      // Remove NL's governor role: 2 governors left, and 1 of 2 is still below 2/3.
      const demote = await propose(f, f.deCourt, { kind: "SetRoles", memberId: 3, roles: ["OPERATOR"] });
      await gov.vote(f, f.nlOperator, demote, true);
      expect(await f.consortium.activeGovernorCount()).to.equal(2);
      await expect(f.consortium.execute(pending)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumQuorumNotReached",
      );
      // With quorum 1/2 the pending proposal passes.
      const q = await propose(f, f.deCourt, {
        kind: "SetGovernanceParameters",
        quorumNumerator: 1,
        quorumDenominator: 2,
        votingPeriod: WEEK,
      });
      await gov.vote(f, f.frAgency, q, true);
      expect((await f.consortium.getProposal(q)).executed).to.equal(true);
      await expect(f.consortium.execute(pending)).to.emit(f.consortium, "ProposalExecuted").withArgs(pending);
      expect((await f.consortium.getMember(4)).roles).to.equal(BigInt(Role.PLATFORM | Role.AGENCY));
    });

    it("suspends, reinstates and removes members, keeping their status history", async function () {
      const f = await loadFixture(consortiumFixture);
      const pass = async (p: ProposalParameters) => {
        const id = await propose(f, f.frAgency, p);
        await gov.vote(f, f.deCourt, id, true);
      };
      await pass({ kind: "SuspendMember", memberId: 4 });
      // Proposing to suspend a suspended member is accepted, but it cannot pass.
      const failing = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.deCourt, failing, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidMemberStatus")
        .withArgs(4, MemberStatus.Suspended);
      await pass({ kind: "ReinstateMember", memberId: 4 });
      await pass({ kind: "RemoveMember", memberId: 4 });
      const history = await f.consortium.statusHistory(4);
      expect(history.map((h) => Number(h.status))).to.deep.equal([
        MemberStatus.Active,
        MemberStatus.Suspended,
        MemberStatus.Active,
        MemberStatus.Removed,
      ]);
      const reinstate = await propose(f, f.frAgency, { kind: "ReinstateMember", memberId: 4 });
      await expect(gov.vote(f, f.deCourt, reinstate, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidMemberStatus")
        .withArgs(4, MemberStatus.Removed);
    });

    it("never leaves the consortium without an active governor", async function () {
      const f = await loadFixture(consortiumFixture);
      const q = await propose(f, f.frAgency, {
        kind: "SetGovernanceParameters",
        quorumNumerator: 1,
        quorumDenominator: 3,
        votingPeriod: WEEK,
      });
      await gov.vote(f, f.deCourt, q, true);
      await propose(f, f.frAgency, { kind: "RemoveMember", memberId: 2 });
      await propose(f, f.frAgency, { kind: "RemoveMember", memberId: 3 });
      expect(await f.consortium.activeGovernorCount()).to.equal(1);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, f.frAgency, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
        .withArgs(1);
    });

    it("sets named parameters for the registries by vote", async function () {
      const f = await loadFixture(consortiumFixture);
      const name = "crossproof.assistance.responseWindow";
      const id = await propose(f, f.frAgency, { kind: "SetParameter", name, value: 48 * 3600 });
      expect(await f.consortium.parameter(parameterKey(name))).to.equal(0n);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.consortium, "ParameterChanged")
        .withArgs(parameterKey(name), 48 * 3600);
      expect(await f.consortium.parameter(parameterKey(name))).to.equal(BigInt(48 * 3600));
      const zeroKey = ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [ethers.ZeroHash, 1]);
      await expect(gov.propose(f, f.frAgency, ProposalKind.SetParameter, zeroKey))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidProposal")
        .withArgs(ProposalKind.SetParameter);
    });

    it("adds keys with a validity window and revokes them by vote", async function () {
      const f = await loadFixture(consortiumFixture);
      const key = f.spare[1]!;
      const from = (await time.latest()) + 1000;
      const id = await propose(f, f.frAgency, { kind: "AddKey", memberId: 5, key: key.address, validFrom: from });
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.consortium, "KeyAdded")
        .withArgs(5, key.address, from, 2n ** 48n - 1n);
      expect((await f.consortium.signerInfo(key.address)).authorized).to.equal(false);
      await time.increaseTo(from);
      expect((await f.consortium.signerInfo(key.address)).authorized).to.equal(true);
      const revoke = await propose(f, f.frAgency, { kind: "RevokeKey", memberId: 5, key: key.address });
      await expect(gov.vote(f, f.deCourt, revoke, true))
        .to.emit(f.consortium, "KeyRevoked")
        .withArgs(5, key.address, (await time.latest()) + 1, false);
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
      const past = await propose(f, f.frAgency, {
        kind: "AddKey",
        memberId: 4,
        key: f.spare[2]!.address,
        validFrom: 1,
        validUntil: 2,
      });
      await expect(gov.vote(f, f.deCourt, past, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
        .withArgs(1, 2);
    });
  });

  describe("recognition agreements", function () {
    const CATEGORY_VIDEO = 1;
    const CATEGORY_WEBPAGE = 2;

    async function proposeFrToDe(f: ConsortiumFixture, overrides: Partial<Record<string, unknown>> = {}) {
      const now = await time.latest();
      const terms = {
        from: FR,
        to: DE,
        categories: (1n << BigInt(CATEGORY_VIDEO)) | (1n << 5n),
        minAssurance: Assurance.SIGNED_BY_VALID_KEY | Assurance.COMPLETE_CUSTODY,
        effectiveFrom: now + 100,
        expiresAt: now + 10_000,
        responseWindow: 48 * 3600,
        emergencyResponseWindow: 6 * 3600,
        textHash: ethers.id("FR-DE agreement text"),
        ...overrides,
      };
      await gov.proposeAgreement(f, f.frAgency, terms);
      return { id: await f.consortium.agreementCount(), terms };
    }

    it("is in force only when a governor of each side approved it", async function () {
      const f = await loadFixture(consortiumFixture);
      const { id, terms } = await proposeFrToDe(f);
      await time.increaseTo(terms.effectiveFrom);
      // Approved by one side only: not in force.
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, terms.effectiveFrom)).to.equal(false);
      await expect(gov.approveAgreement(f, f.frAgency, id))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementAlreadyApproved")
        .withArgs(id, FR);
      await expect(gov.approveAgreement(f, f.nlOperator, id))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotAgreementParty")
        .withArgs(id, NL);
      await expect(gov.approveAgreement(f, f.deCourt, id))
        .to.emit(f.consortium, "AgreementApproved")
        .withArgs(id, DE, 2)
        .and.to.emit(f.consortium, "AgreementConcluded");
      const concluded = await time.latest();
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, concluded)).to.equal(true);
      expect(await f.consortium.recognition(FR, DE, CATEGORY_VIDEO, concluded)).to.deep.equal([true, id]);
      // Not before conclusion, not for another category, not the other way round, not after expiry.
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, concluded - 1)).to.equal(false);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_WEBPAGE, concluded)).to.equal(false);
      expect(await f.consortium.isRecognized(DE, FR, CATEGORY_VIDEO, concluded)).to.equal(false);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, terms.expiresAt - 1)).to.equal(true);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, terms.expiresAt)).to.equal(false);
      // A jurisdiction always recognises its own evidence.
      expect(await f.consortium.recognition(FR, FR, CATEGORY_WEBPAGE, concluded)).to.deep.equal([true, 0n]);
    });

    it("refuses non-governors, non-parties and invalid terms", async function () {
      const f = await loadFixture(consortiumFixture);
      const now = await time.latest();
      const terms = {
        from: FR,
        to: DE,
        categories: 2n,
        minAssurance: 0,
        effectiveFrom: now,
        expiresAt: 0,
        responseWindow: 0,
        emergencyResponseWindow: 0,
        textHash: ethers.ZeroHash,
      };
      await expect(gov.proposeAgreement(f, f.usPlatform, terms))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
        .withArgs(4, Role.GOVERNOR);
      await expect(gov.proposeAgreement(f, f.nlOperator, terms))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotAgreementParty")
        .withArgs(1, NL);
      for (const bad of [
        { to: FR },
        { categories: 0n },
        { from: "0x0000" },
        { minAssurance: 0xff },
        { expiresAt: now - 1 },
      ]) {
        await expect(gov.proposeAgreement(f, f.frAgency, { ...terms, ...bad })).to.be.revertedWithCustomError(
          f.consortium,
          "ConsortiumInvalidAgreement",
        );
      }
      await expect(gov.approveAgreement(f, f.frAgency, 9))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownAgreement")
        .withArgs(9);
    });

    it("keeps suspension history so earlier times still answer truthfully", async function () {
      const f = await loadFixture(consortiumFixture);
      const { id } = await proposeFrToDe(f, { effectiveFrom: 0, expiresAt: 0 });
      await expect(gov.setAgreementSuspended(f, f.frAgency, id, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementStateUnchanged")
        .withArgs(id);
      await gov.approveAgreement(f, f.deCourt, id);
      const inForce = await time.latest();
      await time.increase(10);
      await gov.setAgreementSuspended(f, f.deCourt, id, true);
      const suspendedAt = await time.latest();
      await time.increase(10);
      // Only the side that suspended may resume.
      await expect(gov.setAgreementSuspended(f, f.frAgency, id, false))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotAgreementParty")
        .withArgs(id, FR);
      await expect(gov.setAgreementSuspended(f, f.usPlatform, id, false)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumMissingRole",
      );
      await gov.setAgreementSuspended(f, f.deCourt, id, false);
      const resumedAt = await time.latest();
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, inForce)).to.equal(true);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, suspendedAt)).to.equal(false);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, resumedAt - 1)).to.equal(false);
      expect(await f.consortium.isRecognized(FR, DE, CATEGORY_VIDEO, resumedAt)).to.equal(true);
      const s = await f.consortium.suspensionsOf(id);
      expect(s.length).to.equal(1);
      expect([s[0]!.since, s[0]!.until, s[0]!.by]).to.deep.equal([BigInt(suspendedAt), BigInt(resumedAt), DE]);
      expect(await f.consortium.agreementsBetween(FR, DE)).to.deep.equal([id]);
      expect(await f.consortium.agreementsBetween(DE, FR)).to.deep.equal([]);
    });

    it("is not in force for a non-party pair or before effectiveFrom", async function () {
      const f = await loadFixture(consortiumFixture);
      const { id, terms } = await proposeFrToDe(f);
      await gov.approveAgreement(f, f.deCourt, id);
      expect(await f.consortium.agreementInForce(id, CATEGORY_VIDEO, terms.effectiveFrom - 1)).to.equal(false);
      expect(await f.consortium.agreementInForce(id, CATEGORY_VIDEO, terms.effectiveFrom)).to.equal(true);
      expect(await f.consortium.agreementInForce(id, 64, terms.effectiveFrom)).to.equal(false);
      expect(await f.consortium.isRecognized(FR, US, CATEGORY_VIDEO, terms.effectiveFrom)).to.equal(false);
    });
  });
});
