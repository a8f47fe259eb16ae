// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IConsortium
 * @notice The permissioned core of crossproof: who the members are, where they sit, what they may do, which keys
 * sign for them (and when), how they govern themselves, and which jurisdictions recognise each other's evidence.
 *
 * Every other crossproof contract asks this one "who signed this, and may they do that?".
 *
 * Every write by a member is an EIP-712 request signed by one of its keys (see {Authorization}), with a per-key
 * nonce and a deadline, so that any relayer can submit it. `execute` is open to anyone.
 *
 * Time is `uint48` unix seconds throughout. A jurisdiction is an ISO 3166-1 alpha-2 code as `bytes2` ("FR" is
 * `0x4652`).
 */
interface IConsortium {
    // ----------------------------------------------------------------------------------------------------------------
    // Types
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Lifecycle of a member. `Removed` is final.
    enum MemberStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @dev What a governance proposal does when it passes. The payload is ABI-encoded as documented per kind.
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
        /// (uint64 memberId, address key, uint48 validFrom, uint48 validUntil); validUntil 0 = open-ended
        AddKey,
        /// (uint64 memberId, address key)
        RevokeKey,
        /// (uint16 numerator, uint16 denominator, uint32 votingPeriod)
        SetGovernanceParameters,
        /// (bytes32 key, uint256 value): a named parameter the registries read (e.g. assistance deadlines)
        SetParameter
    }

    /// @dev A member as stored. Packed into one slot (plus the name hash).
    struct Member {
        // ISO 3166-1 alpha-2 code of the member's home jurisdiction.
        bytes2 jurisdiction;
        // Role flags, see the ROLE_* constants.
        uint8 roles;
        // Current status.
        MemberStatus status;
        // When the current status began.
        uint48 statusSince;
        // keccak256 of the member's official name (the name itself stays off chain).
        bytes32 nameHash;
    }

    /// @dev One entry of a member's status history.
    struct StatusChange {
        MemberStatus status;
        uint48 since;
    }

    /// @dev A signing key. A key belongs to one member for ever and is never reused. The key record also carries a
    /// copy of its member's roles, status and jurisdiction, kept in sync on every change, so that a registry learns
    /// everything about a signer from one storage slot (every signed write pays for this read).
    struct SigningKey {
        // The member the key signs for (0 = unknown key).
        uint64 memberId;
        // First second at which signatures by this key count.
        uint48 validFrom;
        // First second at which they no longer count (type(uint48).max = open-ended).
        uint48 validUntil;
        // The member's roles now (copy).
        uint8 roles;
        // The member's status now (copy).
        MemberStatus status;
        // The member's jurisdiction (copy).
        bytes2 jurisdiction;
    }

    /// @dev What a registry needs to know about a signer, in one call.
    struct SignerInfo {
        // The member the key signs for (0 = unknown key).
        uint64 memberId;
        // The member's role flags.
        uint8 roles;
        // The member's jurisdiction.
        bytes2 jurisdiction;
        // True when the key is valid now and the member is active now.
        bool authorized;
    }

    /// @dev The signature part of a member's request (EIP-712, domain "crossproof Consortium" version "1"): any
    /// relayer may submit it; the signer, not the relayer, is the actor.
    struct Authorization {
        // The signer's next nonce (see `nonces`).
        uint256 nonce;
        // Last second the request may be executed.
        uint48 deadline;
        bytes signature;
    }

    /// @dev Founding member, set once by the constructor.
    struct FoundingMember {
        bytes2 jurisdiction;
        uint8 roles;
        bytes32 nameHash;
        address key;
    }

    /// @dev A governance proposal.
    struct Proposal {
        ProposalKind kind;
        // Member id of the proposer.
        uint64 proposer;
        uint48 createdAt;
        // Votes after this second are refused; an unexecuted proposal is then expired.
        uint48 expiresAt;
        uint32 yesVotes;
        uint32 noVotes;
        bool executed;
        // ABI-encoded arguments, see {ProposalKind}.
        bytes payload;
    }

    /// @dev Terms of a recognition agreement: evidence of `categories` collected in `from` is recognised in `to`.
    struct AgreementTerms {
        // Collecting jurisdiction.
        bytes2 from;
        // Recognising jurisdiction.
        bytes2 to;
        // Bitmask of evidence categories covered (bit i = category i).
        uint64 categories;
        // Minimum assurance, see the ASSURANCE_* constants.
        uint8 minAssurance;
        // First second the agreement can be in force.
        uint48 effectiveFrom;
        // First second it is no longer in force (0 = no expiry).
        uint48 expiresAt;
        // Deadline to answer an assistance request between the two (seconds; 0 = consortium default).
        uint32 responseWindow;
        // The same for emergency requests (seconds; 0 = consortium default).
        uint32 emergencyResponseWindow;
        // keccak256 of the signed agreement text.
        bytes32 textHash;
    }

    /// @dev A recognition agreement and its approval state.
    struct Agreement {
        AgreementTerms terms;
        // Member of `terms.from` that approved it (0 = not yet).
        uint64 approvedByFrom;
        // Member of `terms.to` that approved it (0 = not yet).
        uint64 approvedByTo;
        // When the second side approved (0 = not yet in force).
        uint48 concludedAt;
        // Suspended now, by either side.
        bool suspended;
    }

    /// @dev A closed or open interval during which an agreement was suspended.
    struct Suspension {
        uint48 since;
        // 0 = still suspended.
        uint48 until;
        // The side that suspended it; only that side can resume it.
        bytes2 by;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev A member was admitted (by the constructor or a passed proposal).
    event MemberAdmitted(uint64 indexed memberId, bytes2 indexed jurisdiction, uint8 roles, bytes32 nameHash);
    /// @dev A member's status changed.
    event MemberStatusChanged(uint64 indexed memberId, MemberStatus status, uint48 since);
    /// @dev A member's roles changed.
    event MemberRolesChanged(uint64 indexed memberId, uint8 roles);
    /// @dev A signing key was added for a member.
    event KeyAdded(uint64 indexed memberId, address indexed key, uint48 validFrom, uint48 validUntil);
    /// @dev A signing key was revoked; signatures made before `revokedAt` still count.
    event KeyRevoked(uint64 indexed memberId, address indexed key, uint48 revokedAt, bool selfRevoked);
    /// @dev A proposal was made (the proposer's yes vote is included).
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind indexed kind,
        uint64 indexed proposer,
        uint48 expiresAt,
        bytes payload
    );
    /// @dev A governor voted.
    event VoteCast(uint256 indexed proposalId, uint64 indexed memberId, bool support);
    /// @dev A proposal passed and took effect.
    event ProposalExecuted(uint256 indexed proposalId);
    /// @dev A named parameter changed.
    event ParameterChanged(bytes32 indexed key, uint256 value);
    /// @dev The quorum or voting period changed.
    event GovernanceParametersChanged(uint16 quorumNumerator, uint16 quorumDenominator, uint32 votingPeriod);
    /// @dev A recognition agreement was proposed (the proposing side's approval is included).
    event AgreementProposed(
        uint256 indexed agreementId,
        bytes2 indexed from,
        bytes2 indexed to,
        uint64 proposedBy,
        AgreementTerms terms
    );
    /// @dev One side approved an agreement.
    event AgreementApproved(uint256 indexed agreementId, bytes2 indexed side, uint64 indexed memberId);
    /// @dev Both sides approved: the agreement is concluded (in force from `effectiveFrom`).
    event AgreementConcluded(uint256 indexed agreementId, uint48 concludedAt);
    /// @dev An agreement was suspended or resumed by a member of either side.
    event AgreementSuspensionChanged(uint256 indexed agreementId, bool suspended, uint64 indexed memberId, uint48 at);

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The signing key is not a valid key of an active member right now.
    error ConsortiumUnauthorizedKey(address key);
    /// @dev The request's deadline has passed.
    error ConsortiumRequestExpired(uint48 deadline);
    /// @dev The signature is malformed.
    error ConsortiumInvalidSignature();
    /// @dev The member lacks a role the action needs.
    error ConsortiumMissingRole(uint64 memberId, uint8 neededRoles);
    /// @dev No such member.
    error ConsortiumUnknownMember(uint64 memberId);
    /// @dev The member's status does not allow this transition.
    error ConsortiumInvalidMemberStatus(uint64 memberId, MemberStatus status);
    /// @dev The jurisdiction is not an ISO 3166-1 alpha-2 code (two upper-case ASCII letters).
    error ConsortiumInvalidJurisdiction(bytes2 jurisdiction);
    /// @dev Role flags outside the defined ones, or none.
    error ConsortiumInvalidRoles(uint8 roles);
    /// @dev The key is the zero address or already belongs to a member (keys are never reused).
    error ConsortiumKeyUnavailable(address key);
    /// @dev The key is not a key of that member.
    error ConsortiumKeyNotOfMember(uint64 memberId, address key);
    /// @dev The key's validity window is empty or already over.
    error ConsortiumInvalidKeyWindow(uint48 validFrom, uint48 validUntil);
    /// @dev The key is already revoked or expired.
    error ConsortiumKeyAlreadyRevoked(address key);
    /// @dev The change would leave the consortium without an active governor.
    error ConsortiumLastGovernor(uint64 memberId);
    /// @dev Quorum must be a fraction in (0, 1] and the voting period at least one hour.
    error ConsortiumInvalidGovernanceParameters(uint16 numerator, uint16 denominator, uint32 votingPeriod);
    /// @dev Founding members were empty or without a governor.
    error ConsortiumInvalidFounding();
    /// @dev The proposal payload does not decode or is invalid for its kind.
    error ConsortiumInvalidProposal(ProposalKind kind);
    /// @dev No such proposal.
    error ConsortiumUnknownProposal(uint256 proposalId);
    /// @dev The member already voted on this proposal.
    error ConsortiumAlreadyVoted(uint256 proposalId, uint64 memberId);
    /// @dev The proposal's voting period is over.
    error ConsortiumProposalExpired(uint256 proposalId, uint48 expiredAt);
    /// @dev The proposal was already executed.
    error ConsortiumProposalAlreadyExecuted(uint256 proposalId);
    /// @dev The proposal has not reached the quorum.
    error ConsortiumQuorumNotReached(uint256 proposalId, uint32 yesVotes, uint32 activeGovernors);
    /// @dev Agreement terms are invalid (same jurisdiction twice, no category, empty term, ...).
    error ConsortiumInvalidAgreement();
    /// @dev No such agreement.
    error ConsortiumUnknownAgreement(uint256 agreementId);
    /// @dev The member's jurisdiction is not a party to the agreement.
    error ConsortiumNotAgreementParty(uint256 agreementId, bytes2 jurisdiction);
    /// @dev That side already approved the agreement.
    error ConsortiumAgreementAlreadyApproved(uint256 agreementId, bytes2 side);
    /// @dev The agreement is already in the requested suspension state, or not concluded.
    error ConsortiumAgreementStateUnchanged(uint256 agreementId);

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice The member record.
    function getMember(uint64 memberId) external view returns (Member memory);

    /// @notice Number of members ever admitted (ids run from 1 to this).
    function memberCount() external view returns (uint64);

    /// @notice The member's whole status history, oldest first.
    function statusHistory(uint64 memberId) external view returns (StatusChange[] memory);

    /// @notice The member's status at `atTime` (None before admission).
    function statusAt(uint64 memberId, uint48 atTime) external view returns (MemberStatus);

    /// @notice The key record (memberId 0 = unknown key).
    function getKey(address key) external view returns (SigningKey memory);

    /// @notice All keys ever registered for a member.
    function keysOf(uint64 memberId) external view returns (address[] memory);

    /**
     * @notice True when `key` belonged to `memberId`, was within its validity window at `atTime`, and the member
     * was active at `atTime`. Rotating or revoking a key later never changes the answer for an earlier time.
     */
    function isValidSigner(uint64 memberId, address key, uint48 atTime) external view returns (bool);

    /// @notice Who `key` signs for and whether it may act now, in one call (for the registries).
    function signerInfo(address key) external view returns (SignerInfo memory);

    /// @notice Number of active members holding the GOVERNOR role.
    function activeGovernorCount() external view returns (uint32);

    /**
     * @notice A member revokes one of its own keys at once, without a vote (key compromise).
     * @dev Requirements:
     * - the signer is a valid key of `memberId`, active now (it may be `key` itself);
     * - `key` belongs to `memberId` and is not yet revoked.
     *
     * Emits a {KeyRevoked} event.
     */
    function revokeOwnKey(uint64 memberId, address key, Authorization calldata auth) external;

    // ----------------------------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice A named parameter set by governance (0 = unset: the reader applies its default).
    function parameter(bytes32 key) external view returns (uint256);

    /// @notice Quorum numerator, denominator and voting period in seconds.
    function governanceParameters() external view returns (uint16 numerator, uint16 denominator, uint32 votingPeriod);

    /**
     * @notice A GOVERNOR proposes a change; the proposal counts the proposer's yes vote and executes at once if
     * that alone reaches the quorum.
     * @dev Requirements: the signer is a valid key of an active GOVERNOR; the payload is valid for `kind`.
     *
     * Emits a {ProposalCreated} and a {VoteCast} event.
     */
    function propose(
        ProposalKind kind,
        bytes calldata payload,
        Authorization calldata auth
    ) external returns (uint256 proposalId);

    /**
     * @notice A GOVERNOR votes; the vote that reaches the quorum executes the proposal.
     * @dev Requirements: active GOVERNOR; the proposal exists, is unexecuted and unexpired; one vote per member.
     *
     * Emits a {VoteCast} event, and a {ProposalExecuted} event when it passes.
     */
    function vote(uint256 proposalId, bool support, Authorization calldata auth) external;

    /// @notice Executes a proposal that reached the quorum (e.g. after the number of governors fell).
    function execute(uint256 proposalId) external;

    /// @notice The proposal.
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Whether `memberId` voted on the proposal.
    function hasVoted(uint256 proposalId, uint64 memberId) external view returns (bool);

    /// @notice Number of proposals ever made (ids run from 1 to this).
    function proposalCount() external view returns (uint256);

    // ----------------------------------------------------------------------------------------------------------------
    // Recognition agreements
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice A GOVERNOR of one of the two jurisdictions proposes an agreement; this counts as its side's approval.
     * @dev Emits {AgreementProposed} and {AgreementApproved}.
     */
    function proposeAgreement(
        AgreementTerms calldata terms,
        Authorization calldata auth
    ) external returns (uint256 agreementId);

    /**
     * @notice A GOVERNOR of the other jurisdiction approves; the agreement is then concluded.
     * @dev Emits {AgreementApproved} and {AgreementConcluded}.
     */
    function approveAgreement(uint256 agreementId, Authorization calldata auth) external;

    /**
     * @notice A GOVERNOR of either side suspends a concluded agreement; only a GOVERNOR of the side that
     * suspended it can resume it. History is kept, so {isRecognized} still answers for earlier times.
     * @dev Emits {AgreementSuspensionChanged}.
     */
    function setAgreementSuspended(uint256 agreementId, bool suspended, Authorization calldata auth) external;

    /// @notice The agreement.
    function getAgreement(uint256 agreementId) external view returns (Agreement memory);

    /// @notice The agreement's suspension intervals.
    function suspensionsOf(uint256 agreementId) external view returns (Suspension[] memory);

    /// @notice Agreement ids ever proposed from `from` to `to`.
    function agreementsBetween(bytes2 from, bytes2 to) external view returns (uint256[] memory);

    /// @notice Number of agreements ever proposed.
    function agreementCount() external view returns (uint256);

    /// @notice Whether agreement `agreementId` was in force for `category` at `atTime`.
    function agreementInForce(uint256 agreementId, uint8 category, uint48 atTime) external view returns (bool);

    /**
     * @notice Whether evidence of `category` collected in `from` was recognised in `to` at `atTime`, and under which
     * agreement (0 = none). The same jurisdiction always recognises its own evidence (agreement 0).
     */
    function recognition(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime
    ) external view returns (bool recognized, uint256 agreementId);

    /// @notice Shorthand for {recognition}'s first value.
    function isRecognized(bytes2 from, bytes2 to, uint8 category, uint48 atTime) external view returns (bool);
}
