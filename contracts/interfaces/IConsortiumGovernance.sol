// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IConsortiumGovernance
 * @notice One-member-one-vote governance of a crossproof consortium: GOVERNORs propose and vote on admitting,
 * suspending, reinstating and removing members, their roles and keys, the quorum, named parameters the registries
 * read, deadline profiles for assistance requests, and the resolution of disputes over registered works.
 *
 * Counting, decided once here:
 * - the quorum fraction is fixed when a proposal is made (lowering the quorum later never makes an older proposal
 *   pass);
 * - votes and the denominator are counted when the proposal is executed: a vote counts only while its voter is
 *   still a governor able to act (active, GOVERNOR, with a key valid now — {IConsortium-isEligibleGovernor}), and
 *   the denominator is the number of such governors. A governor suspended, removed or stripped of its keys after
 *   voting no longer counts either way, and stolen keys used to revoke their members' keys shrink the denominator
 *   instead of blocking the honest governors.
 * - the proposer's yes vote counts; the vote that reaches the quorum executes the proposal; one vote per member;
 *   proposals expire after the voting period.
 *
 * Every member action is an EIP-712 request signed by the member's key (see {IMemberSigned}); `execute` is open.
 */
interface IConsortiumGovernance is IMemberSigned {
    /// @dev What a proposal does when it passes. The payload is ABI-encoded as documented per kind.
    enum ProposalKind {
        /// (bytes2 jurisdiction, uint8 roles, bytes32 nameHash, address initialKey)
        AdmitMember,
        /// (uint64 memberId)
        SuspendMember,
        /// (uint64 memberId)
        ReinstateMember,
        /// (uint64 memberId)
        RemoveMember,
        /// (uint64 memberId, uint8 roles)
        SetRoles,
        /// (uint64 memberId, address key, uint48 validFrom, uint48 validUntil): a governance override, shown as
        /// such in the {IConsortium-KeyAdded} event; validFrom 0 or in the past = at execution; validUntil 0 =
        /// open-ended
        AddKey,
        /// (uint64 memberId, address key)
        RevokeKey,
        /// (uint16 numerator, uint16 denominator, uint32 votingPeriod)
        SetGovernanceParameters,
        /// (bytes32 key, uint256 value): a named parameter the registries read (e.g. assistance deadlines)
        SetParameter,
        /// (address licenseRegistry, uint256 disputeId, address newHolder, bytes32 decisionHash): resolves a work
        /// dispute; newHolder 0 dismisses it, otherwise the work is assigned by force to newHolder
        ResolveWorkDispute,
        /// (uint64 memberId, bytes32 keyId): revokes a member's report or encryption key (e.g. a member that lost
        /// every signing key and so cannot revoke it itself)
        RevokePublicKey,
        /// (IRecognitionAgreements.AssistanceProfile profile): defines a deadline profile for assistance requests in
        /// the consortium's RecognitionAgreements (checked with `isValidAssistanceProfile` when proposed)
        DefineAssistanceProfile
    }

    enum VoteValue {
        None,
        Yes,
        No
    }

    /// @dev A governance proposal.
    struct Proposal {
        ProposalKind kind;
        // Member id of the proposer.
        uint64 proposer;
        uint48 createdAt;
        // From this second on, votes and execution are refused: an unexecuted proposal is then expired.
        uint48 expiresAt;
        // The quorum in force when the proposal was made.
        uint16 quorumNumerator;
        uint16 quorumDenominator;
        bool executed;
        // ABI-encoded arguments, see {ProposalKind}.
        bytes payload;
    }

    /// @dev Signed by a GOVERNOR key.
    struct ProposeRequest {
        ProposalKind kind;
        bytes payload;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a GOVERNOR key.
    struct VoteRequest {
        uint256 proposalId;
        bool support;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev A proposal was made (the proposer's yes vote is included).
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind indexed kind,
        uint64 indexed proposer,
        uint48 expiresAt,
        uint16 quorumNumerator,
        uint16 quorumDenominator,
        bytes payload
    );
    /// @dev A governor voted.
    event VoteCast(uint256 indexed proposalId, uint64 indexed memberId, bool support);
    /// @dev A proposal passed and took effect, with the counted yes votes and the denominator.
    event ProposalExecuted(uint256 indexed proposalId, uint32 yesVotes, uint32 eligibleGovernors);
    /// @dev A named parameter changed.
    event ParameterChanged(bytes32 indexed key, uint256 value);
    /// @dev The quorum or voting period changed.
    event GovernanceParametersChanged(uint16 quorumNumerator, uint16 quorumDenominator, uint32 votingPeriod);

    /// @dev Quorum must be a fraction in (0, 1] and the voting period at least one hour.
    error GovernanceInvalidParameters(uint16 numerator, uint16 denominator, uint32 votingPeriod);
    /// @dev The proposal payload does not decode or is invalid for its kind.
    error GovernanceInvalidProposal(ProposalKind kind);
    /// @dev No such proposal.
    error GovernanceUnknownProposal(uint256 proposalId);
    /// @dev The member already voted on this proposal.
    error GovernanceAlreadyVoted(uint256 proposalId, uint64 memberId);
    /// @dev The proposal's voting period is over.
    error GovernanceProposalExpired(uint256 proposalId, uint48 expiredAt);
    /// @dev The proposal was already executed.
    error GovernanceProposalAlreadyExecuted(uint256 proposalId);
    /// @dev The proposal has not reached the quorum (counted now).
    error GovernanceQuorumNotReached(uint256 proposalId, uint32 yesVotes, uint32 eligibleGovernors);

    /// @notice A named parameter set by governance (0 = unset: the reader applies its default).
    function parameter(bytes32 key) external view returns (uint256);

    /// @notice Quorum numerator, denominator and voting period in seconds, for new proposals.
    function governanceParameters() external view returns (uint16 numerator, uint16 denominator, uint32 votingPeriod);

    /**
     * @notice A GOVERNOR proposes a change; the proposal counts the proposer's yes vote and executes at once if
     * that alone reaches the quorum.
     * @dev Requirements: the signer is a valid key of an active GOVERNOR; the payload is valid for `kind`.
     *
     * Emits a {ProposalCreated} and a {VoteCast} event.
     */
    function propose(ProposeRequest calldata request, bytes calldata signature) external returns (uint256 proposalId);

    /**
     * @notice A GOVERNOR votes; the vote that reaches the quorum executes the proposal.
     * @dev Requirements: active GOVERNOR; the proposal exists, is unexecuted and unexpired; one vote per member.
     *
     * Emits a {VoteCast} event, and a {ProposalExecuted} event when it passes.
     */
    function vote(VoteRequest calldata request, bytes calldata signature) external;

    /// @notice Executes a proposal that reaches the quorum now (e.g. after the number of governors fell).
    function execute(uint256 proposalId) external;

    /// @notice The proposal.
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice How `memberId` voted on the proposal.
    function voteOf(uint256 proposalId, uint64 memberId) external view returns (VoteValue);

    /// @notice The tally as it would be counted now: yes and no votes of eligible governors, and their number.
    function tally(uint256 proposalId) external view returns (uint32 yes, uint32 no, uint32 eligibleGovernors);

    /// @notice Number of proposals ever made (ids run from 1 to this).
    function proposalCount() external view returns (uint256);
}
