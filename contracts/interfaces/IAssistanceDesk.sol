// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IAssistanceDesk
 * @notice Cross-border assistance requests between members — preserve, produce, take down — with their deadlines
 * and retention periods on record, so that answers, late answers and silence are facts on the ledger.
 *
 * Deadlines are not the requester's choice. When a request is issued the desk finds the terms that apply between
 * the requester's and the addressee's jurisdictions ({termsBetween}), by one rule:
 * - the recognition agreement is the one `RecognitionAgreements.assistanceTerms` names: among the agreements in
 *   force now between the two jurisdictions, in either direction, that carry assistance response windows, the most
 *   recently concluded; agreements suspended, expired or not yet effective are skipped;
 * - its response window (emergency response window) applies when it is not zero;
 * - otherwise, and when there is no such agreement (agreement 0), the Consortium's governance parameter applies:
 *   {RESPONSE_WINDOW_KEY} (default 72 hours) or {EMERGENCY_RESPONSE_WINDOW_KEY} (default 8 hours).
 * The agreement that applied is stored and emitted with the request.
 *
 * The emergency window is open only to a request that states one of the closed list of {EmergencyReason}s (the
 * grounds of an "emergency situation" in Regulation (EU) 2023/1543, Art. 3(18)) and the hash of its justification;
 * the reason is stored and emitted.
 *
 * Retention: the data is to be kept for {RETENTION_PERIOD_KEY} (default 90 days) from issue. The requester may extend
 * it while it runs, up to {MAX_RETENTION_PERIOD_KEY} (default 365 days) from issue in total, but not once the
 * request was refused or withdrawn.
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

    /**
     * @dev Why a request is an emergency (8-hour window): the grounds of an "emergency situation" in Regulation
     * (EU) 2023/1543 (e-Evidence), Art. 3(18) — an imminent threat to the life, or to the physical integrity or
     * safety, of a person, or to a critical infrastructure (Directive 2008/114/EC, Art. 2(a)) whose disruption or
     * destruction would result in such a threat. None: not an emergency.
     */
    enum EmergencyReason {
        None,
        ImminentThreatToLife,
        ImminentThreatToPhysicalIntegrityOrSafety,
        CriticalInfrastructure
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
        // None unless the request took the emergency window.
        EmergencyReason emergencyReason;
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
        // Recognition agreement whose windows applied, found by the desk (0 = governance defaults).
        uint32 agreementId;
        // keccak256 of the request's references (see {IssueRequest}).
        bytes32 referencesHash;
        // SHA-256 of the response package (0 until fulfilled; always 0 when refused).
        bytes32 responseHash;
    }

    /// @dev Signed by the requester (an AGENCY or COURT member). The deadline regime is not part of it.
    struct IssueRequest {
        // Member the request is addressed to (an active AGENCY or PLATFORM member).
        uint64 addressee;
        Kind kind;
        // An {EmergencyReason} code (0 = not an emergency). A uint8 rather than the enum, so that a code off the
        // list is refused with {AssistanceInvalidEmergencyReason} instead of an ABI-decoding revert without data.
        uint8 emergencyReason;
        // Hash of the emergency justification (required for an emergency).
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
        // SHA-256 of the response package: required unless refused, zero when refused.
        bytes32 responseHash;
        // Binary CID of the (encrypted) response package: required unless refused, empty when refused.
        bytes responseCid;
        // Required when refused, zero otherwise.
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

    /// @dev What a request issued now between two jurisdictions gets (seconds), see {termsBetween}.
    struct AssistanceTerms {
        // Recognition agreement whose windows apply (0 = governance defaults only).
        uint32 agreementId;
        uint32 responseWindow;
        uint32 emergencyResponseWindow;
        // Retention from issue (already capped by `maxRetentionPeriod`).
        uint32 retentionPeriod;
        // The longest retention from issue that extensions may reach.
        uint32 maxRetentionPeriod;
    }

    /// @dev A request was issued, under agreement `agreementId` (0 = governance defaults).
    event AssistanceRequested(
        bytes32 indexed requestId,
        uint64 indexed requester,
        uint64 indexed addressee,
        Kind kind,
        EmergencyReason emergencyReason,
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
    /// @dev The addressee acknowledged receipt (`late`: after the deadline).
    event AssistanceAcknowledged(bytes32 indexed requestId, uint64 indexed addressee, bool late);
    /// @dev The addressee answered.
    event AssistanceAnswered(
        bytes32 indexed requestId,
        uint64 indexed addressee,
        State outcome,
        bool late,
        bytes32 responseHash,
        bytes responseCid,
        uint8 refusalGrounds
    );
    /// @dev The requester withdrew an open request.
    event AssistanceWithdrawn(bytes32 indexed requestId, uint64 indexed requester, bytes32 reasonHash);
    /// @dev The requester extended the retention period.
    event RetentionExtended(bytes32 indexed requestId, uint48 retentionUntil);

    /// @dev The request id is taken.
    error AssistanceAlreadyExists(bytes32 requestId);
    /// @dev No such request.
    error AssistanceUnknown(bytes32 requestId);
    /// @dev The addressee is not an active AGENCY or PLATFORM member, or is the requester.
    error AssistanceInvalidAddressee(uint64 addressee);
    /// @dev The emergency reason code is not on the list of {EmergencyReason}s.
    error AssistanceInvalidEmergencyReason(uint8 emergencyReason);
    /// @dev An emergency request needs a justification hash.
    error AssistanceJustificationRequired();
    /// @dev A jurisdiction is not an ISO 3166-1 alpha-2 code, data categories are out of range, or a hash is missing.
    error AssistanceInvalidRequest();
    /// @dev Only the addressee may acknowledge or answer.
    error AssistanceNotAddressee(bytes32 requestId, uint64 memberId);
    /// @dev Only the requester may withdraw or extend retention.
    error AssistanceNotRequester(bytes32 requestId, uint64 memberId);
    /// @dev The request is not in a state that allows this (answered, refused, withdrawn, already acknowledged).
    error AssistanceInvalidState(bytes32 requestId, State state);
    /**
     * @dev The outcome is not Fulfilled, PartiallyFulfilled or Refused; an answer misses its response hash or CID,
     * or carries refusal grounds; a refusal misses its grounds, or carries a response hash or CID.
     */
    error AssistanceInvalidOutcome(State outcome);
    /// @dev The addressee already answered another request with this response package hash.
    error AssistanceResponseReused(uint64 addressee, bytes32 responseHash);
    /// @dev The new retention end is not later than the current one, or retention has ended.
    error AssistanceInvalidRetention(uint48 retentionUntil);
    /// @dev The new retention end is beyond the maximum retention from issue.
    error AssistanceRetentionBeyondMaximum(uint48 retentionUntil, uint48 maxRetentionUntil);

    /**
     * @notice Issues a request, under the terms that apply between the two members' jurisdictions now (see
     * {termsBetween}); the signer's own jurisdiction is the requester's.
     * @dev Requirements:
     * - signed by a valid key of an active AGENCY or COURT member;
     * - the addressee is another active AGENCY or PLATFORM member;
     * - `emergencyReason` is an {EmergencyReason} code, and a non-zero one comes with a justification hash;
     * - assigned jurisdiction codes, known data categories, a legal basis hash; a request id not taken.
     *
     * Emits an {AssistanceRequested} event.
     */
    function issue(IssueRequest calldata request, bytes calldata signature) external returns (bytes32 requestId);

    /**
     * @notice The addressee acknowledges receipt.
     * @dev Requirements: signed by the addressee (nonce consumed); the request is Issued.
     *
     * Emits an {AssistanceAcknowledged} event.
     */
    function acknowledge(AcknowledgeRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The addressee answers (possibly late, possibly without acknowledging first).
     * @dev Requirements:
     * - signed by the addressee (nonce consumed); the request is open (Issued or Acknowledged, overdue or not);
     * - Fulfilled or PartiallyFulfilled: a response hash the addressee has not used for another request, a CID,
     *   no refusal grounds;
     * - Refused: refusal grounds, and neither a response hash nor a CID (a refusal cannot reserve a hash).
     *
     * Emits an {AssistanceAnswered} event.
     */
    function respond(RespondRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The requester withdraws an open request.
     * @dev Requirements: signed by the requester (nonce consumed); the request is open.
     *
     * Emits an {AssistanceWithdrawn} event.
     */
    function withdraw(WithdrawRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The requester extends the retention period.
     * @dev Requirements:
     * - signed by the requester (nonce consumed); the request was neither refused nor withdrawn;
     * - retention has not ended, and the new end is later than the current one;
     * - the new end is at most `issuedAt` + {MAX_RETENTION_PERIOD_KEY} (as governance sets it now; default 365
     *   days).
     *
     * Emits a {RetentionExtended} event.
     */
    function extendRetention(ExtendRetentionRequest calldata request, bytes calldata signature) external;

    /// @notice The stored request.
    function getRequest(bytes32 requestId) external view returns (Request memory);

    /// @notice The request's state at `atTime`: Overdue when still open after its deadline.
    function stateAt(bytes32 requestId, uint48 atTime) external view returns (State);

    /// @notice The id a request gets: keccak256(abi.encode(requesterMemberId, addressee, salt)).
    function requestIdOf(uint64 requester, uint64 addressee, bytes32 salt) external pure returns (bytes32);

    /// @notice The request that `addressee` answered with the response package `responseHash` (0 = none).
    function requestAnsweredWith(uint64 addressee, bytes32 responseHash) external view returns (bytes32);

    /**
     * @notice The terms a request issued now by a member of `requesterJurisdiction` to a member of
     * `addresseeJurisdiction` gets: the agreement found by the rule stated above (0 = none) with its non-zero windows,
     * governance parameters for the rest. {issue} applies exactly these.
     */
    function termsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (AssistanceTerms memory);

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
