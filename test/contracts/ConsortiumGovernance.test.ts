import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { Signer } from "ethers";
import * as gov from "../helpers/governance";
import {
  LicenceClient,
  MemberStatus,
  ProposalKind,
  Role,
  encodeProposal,
  memberNameHash,
  parameterKey,
  toJurisdiction,
  type ProposalParameters,
} from "../../sdk/src";
import { consortiumFixture, licenceFixture, WEEK, type ConsortiumFixture } from "../helpers/fixtures";

/** `IConsortiumGovernance.VoteValue`. */
const VoteValue = { None: 0n, Yes: 1n, No: 2n } as const;
const coder = ethers.AbiCoder.defaultAbiCoder();

const propose = gov.proposeParameters;
const pass = (f: ConsortiumFixture, p: ProposalParameters, governors: Signer[] = [f.frAgency, f.deCourt]) =>
  gov.pass(f, p, governors);
const nextBlockAt = gov.nextBlockAt;

const aParameter = (value: number): ProposalParameters => ({
  kind: "SetParameter",
  name: "crossproof.test.parameter",
  value,
});

describe("ConsortiumGovernance", function () {
  describe("proposals and votes", function () {
    it("admits a member when two thirds of the eligible governors voted yes", async function () {
      const f = await loadFixture(consortiumFixture);
      const newcomer = f.spare[0]!;
      const e = encodeProposal({
        kind: "AdmitMember",
        jurisdiction: "IT",
        roles: ["COURT"],
        name: "Tribunale di Milano",
        key: newcomer.address,
      });
      const createdAt = await nextBlockAt();
      await expect(gov.propose(f, f.frAgency, e.kind, e.payload))
        .to.emit(f.governance, "ProposalCreated")
        .withArgs(1, ProposalKind.AdmitMember, 1, createdAt + WEEK, 2, 3, e.payload)
        .and.to.emit(f.governance, "VoteCast")
        .withArgs(1, 1, true)
        .and.not.to.emit(f.consortium, "MemberAdmitted");
      const p = await f.governance.getProposal(1);
      expect([
        p.kind,
        p.proposer,
        p.createdAt,
        p.expiresAt,
        p.quorumNumerator,
        p.quorumDenominator,
        p.executed,
      ]).to.deep.equal([
        BigInt(ProposalKind.AdmitMember),
        1n,
        BigInt(createdAt),
        BigInt(createdAt + WEEK),
        2n,
        3n,
        false,
      ]);
      expect(p.payload).to.equal(e.payload);
      expect(await f.governance.tally(1)).to.deep.equal([1n, 0n, 3n]);
      expect(await f.governance.voteOf(1, 1)).to.equal(VoteValue.Yes);
      expect(await f.governance.voteOf(1, 2)).to.equal(VoteValue.None);
      await expect(gov.vote(f, f.deCourt, 1, true))
        .to.emit(f.consortium, "MemberAdmitted")
        .withArgs(6, toJurisdiction("IT"), Role.COURT, memberNameHash("Tribunale di Milano"))
        .and.to.emit(f.governance, "ProposalExecuted")
        .withArgs(1, 2, 3);
      expect((await f.consortium.signerInfo(newcomer.address)).memberId).to.equal(6n);
      expect((await f.governance.getProposal(1)).executed).to.equal(true);
      expect(await f.governance.proposalCount()).to.equal(1n);
    });

    it("refuses proposals from non-members and non-governors, and invalid payloads", async function () {
      const f = await loadFixture(consortiumFixture);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, f.spare[0]!, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(f.spare[0]!.address);
      await expect(gov.propose(f, f.usPlatform, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestMissingRole")
        .withArgs(4, Role.GOVERNOR);
      await expect(gov.propose(f, f.frAgency, ProposalKind.SuspendMember, "0x1234"))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.SuspendMember);
      // One word too many.
      await expect(gov.propose(f, f.frAgency, ProposalKind.SuspendMember, e.payload + "00".repeat(32)))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.SuspendMember);
      const unknown = encodeProposal({ kind: "SuspendMember", memberId: 99 });
      await expect(gov.propose(f, f.frAgency, unknown.kind, unknown.payload))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
        .withArgs(99);
      const admit = (jurisdiction: string, key: string) =>
        coder.encode(["bytes2", "uint8", "bytes32", "address"], [jurisdiction, Role.COURT, memberNameHash("x"), key]);
      await expect(
        gov.propose(f, f.frAgency, ProposalKind.AdmitMember, admit(toJurisdiction("IT"), f.usPlatform.address)),
      )
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyUnavailable")
        .withArgs(f.usPlatform.address);
      await expect(gov.propose(f, f.frAgency, ProposalKind.AdmitMember, admit("0x5858", f.spare[0]!.address)))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidJurisdiction")
        .withArgs("0x5858");
      const badQuorum = encodeProposal({
        kind: "SetGovernanceParameters",
        quorumNumerator: 0,
        quorumDenominator: 3,
        votingPeriod: WEEK,
      });
      await expect(gov.propose(f, f.frAgency, badQuorum.kind, badQuorum.payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidParameters")
        .withArgs(0, 3, WEEK);
      const zeroKey = coder.encode(["bytes32", "uint256"], [ethers.ZeroHash, 1]);
      await expect(gov.propose(f, f.frAgency, ProposalKind.SetParameter, zeroKey))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.SetParameter);
      expect(await f.governance.proposalCount()).to.equal(0n);
    });

    describe("attack: a payload that does not decode is refused before anyone votes on it", function () {
      it("refuses dirty high bits in any word, including those only decoded at execution", async function () {
        const f = await loadFixture(consortiumFixture);
        const word = (hex: string) => ethers.zeroPadValue(hex, 32).slice(2);
        const id4 = word("0x04");
        const key = word(f.spare[0]!.address);
        const dirtyAddress = "ff" + key.slice(2);
        const cases: [number, string][] = [
          // A member id beyond uint64.
          [ProposalKind.SuspendMember, "0x" + word("0x010000000000000004")],
          // A role word beyond uint8: the member id alone would pass, and the deciding vote would revert.
          [ProposalKind.SetRoles, "0x" + id4 + word("0x0104")],
          [ProposalKind.AddKey, "0x" + id4 + dirtyAddress + word("0x00") + word("0x00")],
          [ProposalKind.AddKey, "0x" + id4 + key + word("0x01000000000000") + word("0x00")],
          [ProposalKind.RevokeKey, "0x" + id4 + dirtyAddress],
          // bytes2 with bits set beyond its two bytes.
          [
            ProposalKind.AdmitMember,
            "0x" + "4954" + "00".repeat(29) + "01" + word("0x02") + word(memberNameHash("x")) + key,
          ],
          [ProposalKind.SetGovernanceParameters, "0x" + word("0x010002") + word("0x03") + word("0x093a80")],
          [ProposalKind.ResolveWorkDispute, "0x" + dirtyAddress + word("0x01") + word("0x00") + word("0x00")],
        ];
        for (const [kind, payload] of cases) {
          await expect(gov.propose(f, f.frAgency, kind, payload), `kind ${kind}`)
            .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
            .withArgs(kind);
        }
        expect(await f.governance.proposalCount()).to.equal(0n);
        // The clean encodings of the same proposals are accepted.
        await expect(gov.propose(f, f.frAgency, ProposalKind.SetRoles, "0x" + id4 + word("0x04"))).to.emit(
          f.governance,
          "ProposalCreated",
        );
      });
    });

    it("counts one vote per member, and shows the tally", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.frAgency, id, true))
        .to.be.revertedWithCustomError(f.governance, "GovernanceAlreadyVoted")
        .withArgs(id, 1);
      await expect(gov.vote(f, f.deCourt, id, false))
        .to.emit(f.governance, "VoteCast")
        .withArgs(id, 2, false);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.be.revertedWithCustomError(f.governance, "GovernanceAlreadyVoted")
        .withArgs(id, 2);
      expect(await f.governance.voteOf(id, 2)).to.equal(VoteValue.No);
      expect(await f.governance.voteOf(id, 3)).to.equal(VoteValue.None);
      expect(await f.governance.tally(id)).to.deep.equal([1n, 1n, 3n]);
      expect((await f.governance.getProposal(id)).executed).to.equal(false);
      await expect(f.governance.execute(id))
        .to.be.revertedWithCustomError(f.governance, "GovernanceQuorumNotReached")
        .withArgs(id, 1, 3);
      // The third governor's yes reaches 2 of 3.
      await expect(gov.vote(f, f.nlOperator, id, true))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(id, 2, 3);
    });

    it("refuses votes and execution from the expiry second on, and on executed or unknown proposals", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      const { expiresAt } = await f.governance.getProposal(id);
      // The last second of the voting period (signed requests are dated by the latest block).
      await time.increaseTo(expiresAt - 2n);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(gov.vote(f, f.nlOperator, id, false)).to.emit(f.governance, "VoteCast");
      await time.setNextBlockTimestamp(expiresAt);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.be.revertedWithCustomError(f.governance, "GovernanceProposalExpired")
        .withArgs(id, expiresAt);
      await expect(f.governance.execute(id))
        .to.be.revertedWithCustomError(f.governance, "GovernanceProposalExpired")
        .withArgs(id, expiresAt);
      const id2 = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await gov.vote(f, f.deCourt, id2, true);
      await expect(gov.vote(f, f.nlOperator, id2, true))
        .to.be.revertedWithCustomError(f.governance, "GovernanceProposalAlreadyExecuted")
        .withArgs(id2);
      await expect(f.governance.execute(id2))
        .to.be.revertedWithCustomError(f.governance, "GovernanceProposalAlreadyExecuted")
        .withArgs(id2);
      await expect(gov.vote(f, f.nlOperator, 77, true))
        .to.be.revertedWithCustomError(f.governance, "GovernanceUnknownProposal")
        .withArgs(77);
      await expect(f.governance.execute(77)).to.be.revertedWithCustomError(f.governance, "GovernanceUnknownProposal");
    });

    it("does not let a suspended governor vote or propose", async function () {
      const f = await loadFixture(consortiumFixture);
      await pass(f, { kind: "SuspendMember", memberId: 3 });
      expect(await f.consortium.eligibleGovernorCount()).to.equal(2n);
      const next = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.nlOperator, next, true))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(f.nlOperator.address);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 4 });
      await expect(gov.propose(f, f.nlOperator, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(f.nlOperator.address);
    });

    it("executes on demand once the quorum is reached because governors left", async function () {
      const f = await loadFixture(consortiumFixture);
      // Quorum 2/3 of 3 governors: one yes vote is not enough.
      const pending = await propose(f, f.frAgency, { kind: "SetRoles", memberId: 4, roles: ["PLATFORM", "AGENCY"] });
      await expect(f.governance.execute(pending))
        .to.be.revertedWithCustomError(f.governance, "GovernanceQuorumNotReached")
        .withArgs(pending, 1, 3);
      // NL loses its governor role: 1 of 2 is still below 2/3.
      await pass(f, { kind: "SetRoles", memberId: 3, roles: ["OPERATOR"] }, [f.deCourt, f.nlOperator]);
      await expect(f.governance.execute(pending))
        .to.be.revertedWithCustomError(f.governance, "GovernanceQuorumNotReached")
        .withArgs(pending, 1, 2);
      // DE is suspended (by FR and DE itself): FR's yes is 1 of 1.
      await pass(f, { kind: "SuspendMember", memberId: 2 });
      await expect(f.governance.execute(pending)).to.emit(f.governance, "ProposalExecuted").withArgs(pending, 1, 1);
      expect((await f.consortium.getMember(4)).roles).to.equal(BigInt(Role.PLATFORM | Role.AGENCY));
    });
  });

  describe("changes by vote", function () {
    it("suspends, reinstates and removes members, keeping their status history", async function () {
      const f = await loadFixture(consortiumFixture);
      const times: number[] = [];
      const passAt = async (p: ProposalParameters) => {
        const id = await propose(f, f.frAgency, p);
        const t = await nextBlockAt();
        await expect(gov.vote(f, f.deCourt, id, true))
          .to.emit(f.consortium, "MemberStatusChanged")
          .withArgs(4, p.kind === "SuspendMember" ? 2 : p.kind === "ReinstateMember" ? 1 : 3, t);
        times.push(t);
      };
      await passAt({ kind: "SuspendMember", memberId: 4 });
      // Proposing to suspend a suspended member is accepted, but it cannot pass.
      const failing = await propose(f, f.frAgency, { kind: "SuspendMember", memberId: 4 });
      await expect(gov.vote(f, f.deCourt, failing, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidMemberStatus")
        .withArgs(4, MemberStatus.Suspended);
      await passAt({ kind: "ReinstateMember", memberId: 4 });
      await passAt({ kind: "RemoveMember", memberId: 4 });
      const history = await f.consortium.statusHistory(4);
      expect(history.slice(1).map((h) => [Number(h.status), Number(h.since)])).to.deep.equal([
        [MemberStatus.Suspended, times[0]],
        [MemberStatus.Active, times[1]],
        [MemberStatus.Removed, times[2]],
      ]);
      expect((await f.consortium.signerInfo(f.usPlatform.address)).status).to.equal(BigInt(MemberStatus.Removed));
      for (const kind of ["ReinstateMember", "SuspendMember", "RemoveMember"] as const) {
        const id = await propose(f, f.frAgency, { kind, memberId: 4 });
        await expect(gov.vote(f, f.deCourt, id, true))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidMemberStatus")
          .withArgs(4, MemberStatus.Removed);
      }
    });

    it("changes roles, and the key records follow", async function () {
      const f = await loadFixture(consortiumFixture);
      await gov.addOwnKey(f, f.usPlatform, f.spare[0]!, 4);
      const id = await propose(f, f.frAgency, { kind: "SetRoles", memberId: 4, roles: ["PLATFORM", "GOVERNOR"] });
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.consortium, "MemberRolesChanged")
        .withArgs(4, Role.PLATFORM | Role.GOVERNOR);
      for (const k of [f.usPlatform, f.spare[0]!]) {
        expect((await f.consortium.getKey(k.address)).roles).to.equal(BigInt(Role.PLATFORM | Role.GOVERNOR));
        expect((await f.consortium.signerInfo(k.address)).roles).to.equal(BigInt(Role.PLATFORM | Role.GOVERNOR));
      }
      expect(await f.consortium.eligibleGovernorCount()).to.equal(4n);
      expect(await f.consortium.isEligibleGovernor(4)).to.equal(true);
      // Invalid roles cannot pass.
      const bad = await propose(f, f.frAgency, { kind: "SetRoles", memberId: 5, roles: [] });
      await gov.vote(f, f.deCourt, bad, true);
      await expect(gov.vote(f, f.nlOperator, bad, true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidRoles")
        .withArgs(0);
    });

    it("sets named parameters for the registries", async function () {
      const f = await loadFixture(consortiumFixture);
      const name = "crossproof.assistance.responseWindow";
      const id = await propose(f, f.frAgency, { kind: "SetParameter", name, value: 48 * 3600 });
      expect(await f.governance.parameter(parameterKey(name))).to.equal(0n);
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.governance, "ParameterChanged")
        .withArgs(parameterKey(name), 48 * 3600);
      expect(await f.governance.parameter(parameterKey(name))).to.equal(BigInt(48 * 3600));
    });

    it("changes the quorum and voting period for new proposals", async function () {
      const f = await loadFixture(consortiumFixture);
      const id = await propose(f, f.frAgency, {
        kind: "SetGovernanceParameters",
        quorumNumerator: 1,
        quorumDenominator: 2,
        votingPeriod: 2 * WEEK,
      });
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.governance, "GovernanceParametersChanged")
        .withArgs(1, 2, 2 * WEEK);
      expect(await f.governance.governanceParameters()).to.deep.equal([1n, 2n, BigInt(2 * WEEK)]);
      const t = await nextBlockAt();
      const e = encodeProposal(aParameter(1));
      await expect(gov.propose(f, f.frAgency, e.kind, e.payload))
        .to.emit(f.governance, "ProposalCreated")
        .withArgs(2, ProposalKind.SetParameter, 1, t + 2 * WEEK, 1, 2, e.payload);
    });

    it("resolves a work dispute in a licence registry, only while it is open", async function () {
      // The real LicenseRegistry of the same consortium: a REGISTRY member (ES) files the dispute.
      const f = await loadFixture(licenceFixture);
      const licenses = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      const licenseRegistry = await f.licences.getAddress();
      const work = ethers.id("a squatted work");
      await (
        await licenses.submit(
          await licenses.signRegisterWork(f.outsider, {
            contentHash: work,
            rightsHolder: f.outsider.address,
            originJurisdiction: "ES",
            metadataCid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
          }),
          f.deployer,
        )
      ).wait();
      const decisionHash = ethers.id("decision of the arbitration panel");
      const resolve = (disputeId: number, newHolder?: string) =>
        encodeProposal({
          kind: "ResolveWorkDispute",
          licenseRegistry,
          disputeId,
          decisionHash,
          ...(newHolder === undefined ? {} : { newHolder }),
        });
      const notFiled = resolve(1);
      await expect(gov.propose(f, f.frAgency, notFiled.kind, notFiled.payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.ResolveWorkDispute);
      const notAContract = encodeProposal({
        kind: "ResolveWorkDispute",
        licenseRegistry: f.spare[0]!.address,
        disputeId: 1,
        decisionHash,
      });
      await expect(gov.propose(f, f.frAgency, notAContract.kind, notAContract.payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.ResolveWorkDispute);
      await (
        await licenses.submit(
          await licenses.signFileDispute(f.esRegistry, {
            workId: work,
            claimant: f.holder.address,
            evidenceHash: ethers.id("evidence of authorship"),
          }),
          f.deployer,
        )
      ).wait();
      expect(await f.licences.isDisputeOpen(1)).to.equal(true);
      const id = await propose(f, f.frAgency, {
        kind: "ResolveWorkDispute",
        licenseRegistry,
        disputeId: 1,
        newHolder: f.holder.address,
        decisionHash,
      });
      await expect(gov.vote(f, f.deCourt, id, true))
        .to.emit(f.licences, "WorkDisputeResolved")
        .withArgs(1, work, f.holder.address, decisionHash);
      expect(await f.licences.isDisputeOpen(1)).to.equal(false);
      expect((await f.licences.getWork(work)).rightsHolder).to.equal(f.holder.address);
      // Resolved once: a second resolution cannot even be proposed.
      const again = resolve(1, f.spare[1]!.address);
      await expect(gov.propose(f, f.frAgency, again.kind, again.payload))
        .to.be.revertedWithCustomError(f.governance, "GovernanceInvalidProposal")
        .withArgs(ProposalKind.ResolveWorkDispute);
    });
  });

  describe("attack: a vote counts only while its voter is still an eligible governor", function () {
    it("drops a suspended governor's yes (and no) from the tally", async function () {
      const f = await loadFixture(consortiumFixture);
      // Four governors (US becomes one): 2/3 of 4 needs 3 yes votes.
      await pass(f, { kind: "SetRoles", memberId: 4, roles: ["PLATFORM", "GOVERNOR"] });
      const four = [f.frAgency, f.deCourt, f.nlOperator];
      const p = await propose(f, f.nlOperator, aParameter(1));
      await gov.vote(f, f.usPlatform, p, true);
      const q = await propose(f, f.nlOperator, aParameter(2));
      await gov.vote(f, f.usPlatform, q, false);
      expect(await f.governance.tally(p)).to.deep.equal([2n, 0n, 4n]);
      expect(await f.governance.tally(q)).to.deep.equal([1n, 1n, 4n]);

      await pass(f, { kind: "SuspendMember", memberId: 4 }, four);
      // The votes are still recorded, but no longer counted, either way.
      expect(await f.governance.voteOf(p, 4)).to.equal(VoteValue.Yes);
      expect(await f.governance.tally(p)).to.deep.equal([1n, 0n, 3n]);
      expect(await f.governance.tally(q)).to.deep.equal([1n, 0n, 3n]);
      await expect(f.governance.execute(p))
        .to.be.revertedWithCustomError(f.governance, "GovernanceQuorumNotReached")
        .withArgs(p, 1, 3);
      // DE's yes makes 2 of 3: US's vote is not among them.
      await expect(gov.vote(f, f.deCourt, p, true))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(p, 2, 3);
    });
  });

  describe("attack: lowering the quorum does not make old proposals pass", function () {
    it("keeps the quorum each proposal was made under", async function () {
      const f = await loadFixture(consortiumFixture);
      const old = await propose(f, f.frAgency, aParameter(1));
      expect(await f.governance.tally(old)).to.deep.equal([1n, 0n, 3n]);
      await pass(f, { kind: "SetGovernanceParameters", quorumNumerator: 1, quorumDenominator: 3, votingPeriod: WEEK });
      expect(await f.governance.governanceParameters()).to.deep.equal([1n, 3n, BigInt(WEEK)]);
      // 1 of 3 would pass at 1/3, but the old proposal was made at 2/3.
      const o = await f.governance.getProposal(old);
      expect([o.quorumNumerator, o.quorumDenominator]).to.deep.equal([2n, 3n]);
      await expect(f.governance.execute(old))
        .to.be.revertedWithCustomError(f.governance, "GovernanceQuorumNotReached")
        .withArgs(old, 1, 3);
      expect(await f.governance.parameter(parameterKey("crossproof.test.parameter"))).to.equal(0n);
      // A new proposal, made at 1/3, passes on its proposer's vote.
      const e = encodeProposal(aParameter(2));
      await expect(gov.propose(f, f.frAgency, e.kind, e.payload))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(old + 2n, 1, 3);
      expect(await f.governance.parameter(parameterKey("crossproof.test.parameter"))).to.equal(2n);
    });
  });

  describe("attack: stolen keys revoking their members' keys cannot block the honest governors", function () {
    it("shrinks the denominator; the honest governors pass proposals; the stolen key is dead", async function () {
      const f = await loadFixture(consortiumFixture);
      const stolen = f.deCourt; // the attacker holds DE's key…
      const backup = f.spare[0]!; // …and DE had a second one
      await gov.addOwnKey(f, f.deCourt, backup, 2);
      // Before the theft was noticed, DE had voted no on a pending proposal.
      const pending = await propose(f, f.frAgency, aParameter(1));
      await gov.vote(f, stolen, pending, false);
      // The attacker revokes all of DE's keys, the stolen one last.
      await expect(gov.revokeOwnKey(f, stolen, 2, backup.address)).to.emit(f.consortium, "KeyRevoked");
      const revokedAt = await nextBlockAt();
      await expect(gov.revokeOwnKey(f, stolen, 2, stolen.address))
        .to.emit(f.consortium, "KeyRevoked")
        .withArgs(2, stolen.address, revokedAt, true);
      expect(await f.consortium.keysOf(2)).to.deep.equal([]);
      expect(await f.consortium.isEligibleGovernor(2)).to.equal(false);
      expect((await f.consortium.getMember(2)).status).to.equal(BigInt(MemberStatus.Active));
      expect(await f.consortium.eligibleGovernorCount()).to.equal(2n);
      expect(await f.governance.tally(pending)).to.deep.equal([1n, 0n, 2n]);
      // FR and NL are 2 of 2: the pending proposal and new ones pass.
      await expect(gov.vote(f, f.nlOperator, pending, true))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(pending, 2, 2);
      // The stolen key can do nothing any more, in any of the three contracts.
      await expect(gov.vote(f, stolen, pending + 1n, true))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(stolen.address);
      const e = encodeProposal({ kind: "SuspendMember", memberId: 1 });
      await expect(gov.propose(f, stolen, e.kind, e.payload))
        .to.be.revertedWithCustomError(f.governance, "SignedRequestUnauthorizedSigner")
        .withArgs(stolen.address);
      await expect(gov.addOwnKey(f, stolen, f.spare[1]!, 2))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(stolen.address);
      await expect(gov.revokeOwnKey(f, stolen, 2, stolen.address))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(stolen.address);
      await expect(
        gov.proposeAgreement(f, stolen, { from: "DE", to: "FR", categories: [1], textHash: ethers.ZeroHash }),
      )
        .to.be.revertedWithCustomError(f.agreements, "SignedRequestUnauthorizedSigner")
        .withArgs(stolen.address);
      // The honest governors give DE a fresh key (a governance override) and DE counts again.
      const fresh = f.spare[2]!;
      await pass(f, { kind: "AddKey", memberId: 2, key: fresh.address }, [f.frAgency, f.nlOperator]);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(3n);
      expect(await f.consortium.keysOf(2)).to.deep.equal([fresh.address]);
    });
  });

  describe("a governor without a valid key is not counted in the denominator", function () {
    it("neither after giving up its keys nor before its only key starts", async function () {
      const f = await loadFixture(consortiumFixture);
      await gov.revokeOwnKey(f, f.nlOperator, 3, f.nlOperator.address);
      expect(await f.consortium.isEligibleGovernor(3)).to.equal(false);
      const m = await f.consortium.getMember(3);
      expect([m.status, (m.roles & BigInt(Role.GOVERNOR)) !== 0n]).to.deep.equal([BigInt(MemberStatus.Active), true]);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(2n);
      const p = await propose(f, f.frAgency, aParameter(1));
      expect(await f.governance.tally(p)).to.deep.equal([1n, 0n, 2n]);
      await expect(gov.vote(f, f.deCourt, p, true))
        .to.emit(f.governance, "ProposalExecuted")
        .withArgs(p, 2, 2);
      // A key that starts later: NL counts from then on.
      const from = (await time.latest()) + 1000;
      await pass(f, { kind: "AddKey", memberId: 3, key: f.spare[0]!.address, validFrom: from });
      expect(await f.consortium.eligibleGovernorCount()).to.equal(2n);
      const q = await propose(f, f.frAgency, aParameter(2));
      expect(await f.governance.tally(q)).to.deep.equal([1n, 0n, 2n]);
      await time.increaseTo(from);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(3n);
      expect(await f.governance.tally(q)).to.deep.equal([1n, 0n, 3n]);
    });
  });

  describe("attack: the last eligible governor cannot be suspended, removed or stripped of its role", function () {
    it("refuses with ConsortiumLastGovernor", async function () {
      const f = await loadFixture(consortiumFixture);
      await gov.revokeOwnKey(f, f.deCourt, 2, f.deCourt.address);
      await gov.revokeOwnKey(f, f.nlOperator, 3, f.nlOperator.address);
      expect(await f.consortium.eligibleGovernorCount()).to.equal(1n);
      // FR alone is the whole quorum: each proposal executes as it is made, and fails.
      for (const p of [
        { kind: "SuspendMember", memberId: 1 },
        { kind: "RemoveMember", memberId: 1 },
        { kind: "SetRoles", memberId: 1, roles: ["AGENCY"] },
      ] as ProposalParameters[]) {
        const e = encodeProposal(p);
        await expect(gov.propose(f, f.frAgency, e.kind, e.payload), p.kind)
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastGovernor")
          .withArgs(1);
      }
      // A governor without a valid key is no obstacle: DE can be removed.
      const removeDe = encodeProposal({ kind: "RemoveMember", memberId: 2 });
      const removedAt = await nextBlockAt();
      await expect(gov.propose(f, f.frAgency, removeDe.kind, removeDe.payload))
        .to.emit(f.consortium, "MemberStatusChanged")
        .withArgs(2, MemberStatus.Removed, removedAt);
      expect(await f.consortium.isEligibleGovernor(1)).to.equal(true);
      expect((await f.consortium.getMember(1)).status).to.equal(BigInt(MemberStatus.Active));
    });
  });
});
