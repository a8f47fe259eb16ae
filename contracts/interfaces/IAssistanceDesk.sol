// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IAssistanceDesk
 * @notice Cross-border assistance requests between members — preserve, produce, take down — with their deadlines
 * and retention periods on record, so that answers, late answers and silence are facts on the ledger.
 *
 * Deadlines: a response window (default 72 hours; emergencies 8 hours) set by Consortium governance through the
 * parameters {RESPONSE_WINDOW_KEY} and {EMERGENCY_RESPONSE_WINDOW_KEY}, and overridden by a recognition agreement
 * between the two members' jurisdictions when the request names one that is in force and sets windows. Retention:
 * 90 days by default ({RETENTION_PERIOD_KEY}), extendable by the requester.
 *
 * Overdue is derived from time: {stateAt} reads a request that is still open after its deadline as Overdue,
 * without anyone calling anything. An answer after the deadline is accepted and recorded as late.
 *
 * Every transition is an EIP-712 request signed by the acting member's key (see {IMemberSigned}).
 */
interface IAssistanceDesk is IMemberSigned {
    /// @dev PRESERVE: keep the data for the retention period. PRODUCE: hand it over. TAKEDOWN: remove the content.
    enum Kind {
        Preserve,
        Produce,
        Takedown
    }

    /// @dev Stored states, plus Overdue, which is only ever derived from time.
    enum State {
        None,
        Issued,
        Acknowledged,
        Overdue,
        Fulfilled,
        PartiallyFulfilled,
        Refused,
        Withdrawn
    }

    /// @dev A request as stored (two packed slots and two hashes).
    struct Request {
        uint64 requester;
        uint64 addressee;
        Kind kind;
        bool emergency;
        State state;
        // Bitmask: subscriber 1, traffic 2, content 4, dissemination records 8.
        uint8 dataCategories;
        // Joint jurisdiction: where the work was first uploaded, and where it was mainly disseminated.
        bytes2 firstUpload;
        bytes2 primaryDissemination;
        uint48 issuedAt;
        // Last second an answer is on time.
        uint48 deadline;
        // Data must be kept until this second.
        uint48 retentionUntil;
        uint48 acknowledgedAt;
        uint48 respondedAt;
        // Answered after the deadline.
        bool late;
        // Refusal grounds code (0 unless refused).
        uint8 refusalGrounds;
        // Recognition agreement whose windows applied (0 = consortium defaults).
        uint32 agreementId;
        // keccak256 of the request's references (see {IssueRequest}).
        bytes32 referencesHash;
        // SHA-256 of the response package (0 until answered).
        bytes32 responseHash;
    }

    /// @dev Signed by the requester (an AGENCY or COURT member).
    struct IssueRequest {
        // Member the request is addressed to (an active AGENCY or PLATFORM member).
        uint64 addressee;
        Kind kind;
        bool emergency;
        // Hash of the emergency justification (required when emergency).
        bytes32 justificationHash;
        bytes32 caseRef;
        // Evidence records (content hashes) the request refers to.
        bytes32[] evidenceIds;
        // Hash of the list of content hashes or URLs concerned.
        bytes32 contentRefsHash;
        uint8 dataCategories;
        bytes2 firstUpload;
        bytes2 primaryDissemination;
        // Hash of the legal basis document.
        bytes32 legalBasisHash;
        // Recognition agreement between the two jurisdictions whose windows apply (0 = none).
        uint32 agreementId;
        // Makes the request id unique; chosen by the requester.
        bytes32 salt;
        uint48 deadline;
    }

    /// @dev Signed by the addressee.
    struct AcknowledgeRequest {
        bytes32 requestId;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the addressee: Fulfilled, PartiallyFulfilled or Refused.
    struct RespondRequest {
        bytes32 requestId;
        State outcome;
        // SHA-256 of the response package (required unless refused).
        bytes32 responseHash;
        // Binary CID of the (encrypted) response package.
        bytes responseCid;
        // Required when refused.
        uint8 refusalGrounds;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the requester.
    struct WithdrawRequest {
        bytes32 requestId;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the requester.
    struct ExtendRetentionRequest {
        bytes32 requestId;
        uint48 retentionUntil;
        uint256 nonce;
        uint48 deadline;
    }

    event AssistanceRequested(
        bytes32 indexed requestId,
        uint64 indexed requester,
        uint64 indexed addressee,
        Kind kind,
        bool emergency,
        uint48 deadline,
        uint48 retentionUntil,
        uint32 agreementId,
        bytes32 caseRef,
        bytes32[] evidenceIds,
        bytes32 contentRefsHash,
        uint8 dataCategories,
        bytes2 firstUpload,
        bytes2 primaryDissemination,
        bytes32 legalBasisHash,
        bytes32 justificationHash
    );
    event AssistanceAcknowledged(bytes32 indexed requestId, uint64 indexed addressee, bool late);
    event AssistanceAnswered(
        bytes32 indexed requestId,
        uint64 indexed addressee,
        State outcome,
        bool late,
        bytes32 responseHash,
        bytes responseCid,
        uint8 refusalGrounds
    );
    event AssistanceWithdrawn(bytes32 indexed requestId, uint64 indexed requester, bytes32 reasonHash);
    event RetentionExtended(bytes32 indexed requestId, uint48 retentionUntil);

    /// @dev The request id is taken.
    error AssistanceAlreadyExists(bytes32 requestId);
    /// @dev No such request.
    error AssistanceUnknown(bytes32 requestId);
    /// @dev The addressee is not an active AGENCY or PLATFORM member, or is the requester.
    error AssistanceInvalidAddressee(uint64 addressee);
    /// @dev An emergency request needs a justification hash.
    error AssistanceJustificationRequired();
    /// @dev A jurisdiction is not an ISO 3166-1 alpha-2 code, data categories are out of range, or a hash is missing.
    error AssistanceInvalidRequest();
    /// @dev The named agreement is not concluded, suspended, expired, or not between the two jurisdictions.
    error AssistanceAgreementNotInForce(uint32 agreementId);
    /// @dev Only the addressee may acknowledge or answer.
    error AssistanceNotAddressee(bytes32 requestId, uint64 memberId);
    /// @dev Only the requester may withdraw or extend retention.
    error AssistanceNotRequester(bytes32 requestId, uint64 memberId);
    /// @dev The request is no longer open (answered or withdrawn), or already acknowledged.
    error AssistanceInvalidState(bytes32 requestId, State state);
    /// @dev The outcome is not Fulfilled, PartiallyFulfilled or Refused, or misses its hash or grounds.
    error AssistanceInvalidOutcome(State outcome);
    /// @dev The response package hash was already used for another answer.
    error AssistanceResponseReused(bytes32 responseHash);
    /// @dev The new retention end is not later than the current one, or retention has ended.
    error AssistanceInvalidRetention(uint48 retentionUntil);

    /// @notice Issues a request. Emits {AssistanceRequested}.
    function issue(IssueRequest calldata request, bytes calldata signature) external returns (bytes32 requestId);

    /// @notice The addressee acknowledges receipt. Emits {AssistanceAcknowledged}.
    function acknowledge(AcknowledgeRequest calldata request, bytes calldata signature) external;

    /// @notice The addressee answers (possibly late, possibly without acknowledging first). Emits {AssistanceAnswered}.
    function respond(RespondRequest calldata request, bytes calldata signature) external;

    /// @notice The requester withdraws an open request. Emits {AssistanceWithdrawn}.
    function withdraw(WithdrawRequest calldata request, bytes calldata signature) external;

    /// @notice The requester extends the retention period. Emits {RetentionExtended}.
    function extendRetention(ExtendRetentionRequest calldata request, bytes calldata signature) external;

    /// @notice The stored request.
    function getRequest(bytes32 requestId) external view returns (Request memory);

    /// @notice The request's state at `atTime`: Overdue when still open after its deadline.
    function stateAt(bytes32 requestId, uint48 atTime) external view returns (State);

    /// @notice The id a request gets: keccak256(abi.encode(requesterMemberId, addressee, salt)).
    function requestIdOf(uint64 requester, uint64 addressee, bytes32 salt) external pure returns (bytes32);

    /// @notice The response windows (normal, emergency) and retention period that apply between two members now,
    /// with agreement `agreementId` (0 = none).
    function windowsFor(
        uint32 agreementId
    ) external view returns (uint32 responseWindow, uint32 emergencyResponseWindow, uint32 retentionPeriod);

    /// @notice Number of requests a member issued (`asAddressee` false) or received (true).
    function requestCount(uint64 memberId, bool asAddressee) external view returns (uint256);

    /**
     * @notice Open requests of a member (addressee or requester) at `atTime`, scanning `limit` entries from
     * `offset` of its list: all open ones, or only those overdue, or only those due within `dueWithin` seconds.
     * @param filter 0 = open, 1 = overdue, 2 = due soon (open, not overdue, deadline ≤ atTime + dueWithin).
     */
    function openRequests(
        uint64 memberId,
        bool asAddressee,
        uint8 filter,
        uint48 atTime,
        uint48 dueWithin,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes32[] memory ids);
}
