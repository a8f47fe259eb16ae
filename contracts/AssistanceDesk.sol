// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAssistanceDesk} from "./interfaces/IAssistanceDesk.sol";
import {IConsortiumGovernance} from "./interfaces/IConsortiumGovernance.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";

/**
 * @title AssistanceDesk
 * @notice Cross-border assistance requests with deadlines and retention on record. The deadline regime is found by
 * the desk, never named by the requester (see {IAssistanceDesk} for the rule).
 */
contract AssistanceDesk is IAssistanceDesk, MemberSigned {
    /// @notice Consortium parameter keys (keccak256 of the names) and their defaults.
    bytes32 public constant RESPONSE_WINDOW_KEY = keccak256("crossproof.assistance.responseWindow");
    bytes32 public constant EMERGENCY_RESPONSE_WINDOW_KEY = keccak256("crossproof.assistance.emergencyResponseWindow");
    bytes32 public constant RETENTION_PERIOD_KEY = keccak256("crossproof.assistance.retentionPeriod");
    bytes32 public constant MAX_RETENTION_PERIOD_KEY = keccak256("crossproof.assistance.maxRetentionPeriod");
    uint32 public constant DEFAULT_RESPONSE_WINDOW = 72 hours;
    uint32 public constant DEFAULT_EMERGENCY_RESPONSE_WINDOW = 8 hours;
    uint32 public constant DEFAULT_RETENTION_PERIOD = 90 days;
    /**
     * @notice The default longest retention from issue that extensions may reach: 365 days. Statutory preservation
     * periods are shorter (Regulation (EU) 2023/1543 Art. 11: 60 days, plus 30 on request; 18 U.S.C. 2703(f): 90 days,
     * renewable once), but a preservation is kept until the production request behind it is answered, and mutual
     * legal assistance took about ten months on average by the Commission's 2018 impact assessment for the
     * e-Evidence proposal. A year covers that with room for delays; a bound at all keeps a member from obliging
     * another to hold personal data indefinitely (storage limitation: GDPR Art. 5(1)(e), Directive (EU) 2016/680
     * Art. 4(1)(e)). Governance may set another bound ({MAX_RETENTION_PERIOD_KEY}).
     */
    uint32 public constant DEFAULT_MAX_RETENTION_PERIOD = 365 days;

    uint8 private constant _ALL_DATA_CATEGORIES = (1 << 4) - 1;

    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "IssueAssistance(uint64 addressee,uint8 kind,uint8 emergencyReason,bytes32 justificationHash,bytes32 caseRef,"
        "bytes32[] evidenceIds,bytes32 contentRefsHash,uint8 dataCategories,bytes2 firstUpload,"
        "bytes2 primaryDissemination,bytes32 legalBasisHash,bytes32 salt,uint48 deadline)"
    );
    bytes32 private constant _ACK_TYPEHASH = keccak256(
        "AcknowledgeAssistance(bytes32 requestId,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _RESPOND_TYPEHASH = keccak256(
        "RespondAssistance(bytes32 requestId,uint8 outcome,bytes32 responseHash,bytes responseCid,"
        "uint8 refusalGrounds,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _WITHDRAW_TYPEHASH = keccak256(
        "WithdrawAssistance(bytes32 requestId,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _EXTEND_TYPEHASH = keccak256(
        "ExtendRetention(bytes32 requestId,uint48 retentionUntil,uint256 nonce,uint48 deadline)"
    );

    mapping(bytes32 requestId => Request) private _requests;
    mapping(uint64 addressee => mapping(bytes32 responseHash => bytes32 requestId)) private _responses;
    mapping(uint64 memberId => bytes32[]) private _byRequester;
    mapping(uint64 memberId => bytes32[]) private _byAddressee;

    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof AssistanceDesk", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IAssistanceDesk
    function issue(IssueRequest calldata r, bytes calldata signature) external returns (bytes32 requestId) {
        Signer memory s = _verifySigned(_issueStructHash(r), signature, r.deadline, Roles.AGENCY | Roles.COURT);
        requestId = requestIdOf(s.memberId, r.addressee, r.salt);
        if (_requests[requestId].state != State.None) revert AssistanceAlreadyExists(requestId);
        if (r.emergencyReason > uint8(type(EmergencyReason).max)) {
            revert AssistanceInvalidEmergencyReason(r.emergencyReason);
        }
        bool emergency = r.emergencyReason != uint8(EmergencyReason.None);
        if (emergency && r.justificationHash == bytes32(0)) revert AssistanceJustificationRequired();
        if (
            !Jurisdictions.isValid(r.firstUpload) ||
            !Jurisdictions.isValid(r.primaryDissemination) ||
            r.dataCategories & ~_ALL_DATA_CATEGORIES != 0 ||
            r.legalBasisHash == bytes32(0)
        ) revert AssistanceInvalidRequest();
        AssistanceTerms memory t = _terms(
            s.jurisdiction,
            _checkAddressee(r.addressee, s.memberId),
            !emergency,
            emergency
        );
        uint48 nowTs = uint48(block.timestamp);
        Request storage q = _requests[requestId];
        q.requester = s.memberId;
        q.addressee = r.addressee;
        q.kind = r.kind;
        q.emergencyReason = EmergencyReason(r.emergencyReason);
        q.state = State.Issued;
        q.dataCategories = r.dataCategories;
        q.firstUpload = r.firstUpload;
        q.primaryDissemination = r.primaryDissemination;
        q.issuedAt = nowTs;
        q.deadline = nowTs + (emergency ? t.emergencyResponseWindow : t.responseWindow);
        q.retentionUntil = nowTs + t.retentionPeriod;
        q.agreementId = t.agreementId;
        q.referencesHash = keccak256(
            abi.encode(
                r.caseRef,
                keccak256(abi.encodePacked(r.evidenceIds)),
                r.contentRefsHash,
                r.legalBasisHash,
                r.justificationHash
            )
        );
        _byRequester[s.memberId].push(requestId);
        _byAddressee[r.addressee].push(requestId);
        _emitRequested(requestId, r, q);
    }

    /// @inheritdoc IAssistanceDesk
    function acknowledge(AcknowledgeRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_ACK_TYPEHASH, r.requestId, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Request storage q = _ofAddressee(r.requestId, s.memberId);
        if (q.state != State.Issued) revert AssistanceInvalidState(r.requestId, q.state);
        q.state = State.Acknowledged;
        q.acknowledgedAt = uint48(block.timestamp);
        emit AssistanceAcknowledged(r.requestId, s.memberId, block.timestamp > q.deadline);
    }

    /// @inheritdoc IAssistanceDesk
    function respond(RespondRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _RESPOND_TYPEHASH,
                    r.requestId,
                    r.outcome,
                    r.responseHash,
                    keccak256(r.responseCid),
                    r.refusalGrounds,
                    r.nonce,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Request storage q = _ofAddressee(r.requestId, s.memberId);
        _requireOpen(r.requestId, q);
        if (r.outcome == State.Refused) {
            // A refusal answers nothing: it may not take a response hash from anyone, nor point at a package.
            if (r.refusalGrounds == 0 || r.responseHash != bytes32(0) || r.responseCid.length != 0) {
                revert AssistanceInvalidOutcome(r.outcome);
            }
        } else if (r.outcome == State.Fulfilled || r.outcome == State.PartiallyFulfilled) {
            if (r.responseHash == bytes32(0) || r.responseCid.length == 0 || r.refusalGrounds != 0) {
                revert AssistanceInvalidOutcome(r.outcome);
            }
        } else {
            revert AssistanceInvalidOutcome(r.outcome);
        }
        if (r.responseHash != bytes32(0)) {
            // Unique per addressee: one package answers one request of this addressee; another member's hashes
            // are no concern of it (nobody can squat a hash someone else will answer with).
            mapping(bytes32 => bytes32) storage own = _responses[s.memberId];
            if (own[r.responseHash] != bytes32(0)) revert AssistanceResponseReused(s.memberId, r.responseHash);
            own[r.responseHash] = r.requestId;
        }
        uint48 nowTs = uint48(block.timestamp);
        bool late = nowTs > q.deadline;
        if (q.acknowledgedAt == 0) q.acknowledgedAt = nowTs;
        q.state = r.outcome;
        q.respondedAt = nowTs;
        q.late = late;
        q.refusalGrounds = r.refusalGrounds;
        q.responseHash = r.responseHash;
        emit AssistanceAnswered(
            r.requestId,
            s.memberId,
            r.outcome,
            late,
            r.responseHash,
            r.responseCid,
            r.refusalGrounds
        );
    }

    /// @inheritdoc IAssistanceDesk
    function withdraw(WithdrawRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_WITHDRAW_TYPEHASH, r.requestId, r.reasonHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Request storage q = _ofRequester(r.requestId, s.memberId);
        _requireOpen(r.requestId, q);
        q.state = State.Withdrawn;
        emit AssistanceWithdrawn(r.requestId, s.memberId, r.reasonHash);
    }

    /// @inheritdoc IAssistanceDesk
    function extendRetention(ExtendRetentionRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_EXTEND_TYPEHASH, r.requestId, r.retentionUntil, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Request storage q = _ofRequester(r.requestId, s.memberId);
        // Nothing is to be kept for a request that was refused or withdrawn.
        if (q.state == State.Refused || q.state == State.Withdrawn) revert AssistanceInvalidState(r.requestId, q.state);
        if (r.retentionUntil <= q.retentionUntil || block.timestamp >= q.retentionUntil) {
            revert AssistanceInvalidRetention(r.retentionUntil);
        }
        uint48 maxUntil =
            q.issuedAt + _parameter(_governance(), MAX_RETENTION_PERIOD_KEY, DEFAULT_MAX_RETENTION_PERIOD);
        if (r.retentionUntil > maxUntil) revert AssistanceRetentionBeyondMaximum(r.retentionUntil, maxUntil);
        q.retentionUntil = r.retentionUntil;
        emit RetentionExtended(r.requestId, r.retentionUntil);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IAssistanceDesk
    function getRequest(bytes32 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    /// @inheritdoc IAssistanceDesk
    function stateAt(bytes32 requestId, uint48 atTime) public view returns (State) {
        Request storage q = _requests[requestId];
        if (_isOpen(q.state) && atTime > q.deadline) return State.Overdue;
        return q.state;
    }

    /// @inheritdoc IAssistanceDesk
    function requestIdOf(uint64 requester, uint64 addressee, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requester, addressee, salt));
    }

    /// @inheritdoc IAssistanceDesk
    function requestAnsweredWith(uint64 addressee, bytes32 responseHash) external view returns (bytes32) {
        return _responses[addressee][responseHash];
    }

    /// @inheritdoc IAssistanceDesk
    function termsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (AssistanceTerms memory) {
        return _terms(requesterJurisdiction, addresseeJurisdiction, true, true);
    }

    /// @inheritdoc IAssistanceDesk
    function requestCount(uint64 memberId, bool asAddressee) external view returns (uint256) {
        return (asAddressee ? _byAddressee[memberId] : _byRequester[memberId]).length;
    }

    /// @inheritdoc IAssistanceDesk
    function openRequests(
        uint64 memberId,
        bool asAddressee,
        uint8 filter,
        uint48 atTime,
        uint48 dueWithin,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes32[] memory ids) {
        bytes32[] storage list = asAddressee ? _byAddressee[memberId] : _byRequester[memberId];
        uint256 end = offset + limit > list.length ? list.length : offset + limit;
        ids = new bytes32[](end > offset ? end - offset : 0);
        uint256 n = 0;
        for (uint256 i = offset; i < end; ++i) {
            Request storage q = _requests[list[i]];
            if (!_isOpen(q.state)) continue;
            bool overdue = atTime > q.deadline;
            if (
                filter == 0 ||
                (filter == 1 && overdue) ||
                (filter == 2 && !overdue && uint256(q.deadline) <= uint256(atTime) + dueWithin)
            ) ids[n++] = list[i];
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _existing(bytes32 requestId) private view returns (Request storage q) {
        q = _requests[requestId];
        if (q.state == State.None) revert AssistanceUnknown(requestId);
    }

    function _ofAddressee(bytes32 requestId, uint64 memberId) private view returns (Request storage q) {
        q = _existing(requestId);
        if (q.addressee != memberId) revert AssistanceNotAddressee(requestId, memberId);
    }

    function _ofRequester(bytes32 requestId, uint64 memberId) private view returns (Request storage q) {
        q = _existing(requestId);
        if (q.requester != memberId) revert AssistanceNotRequester(requestId, memberId);
    }

    /// @dev Issued or acknowledged: still waiting for an answer.
    function _isOpen(State state) private pure returns (bool) {
        return state == State.Issued || state == State.Acknowledged;
    }

    function _requireOpen(bytes32 requestId, Request storage q) private view {
        if (!_isOpen(q.state)) revert AssistanceInvalidState(requestId, q.state);
    }

    function _issueStructHash(IssueRequest calldata r) private pure returns (bytes32) {
        bytes memory head = abi.encode(
            _ISSUE_TYPEHASH,
            r.addressee,
            r.kind,
            r.emergencyReason,
            r.justificationHash,
            r.caseRef,
            keccak256(abi.encodePacked(r.evidenceIds)),
            r.contentRefsHash
        );
        bytes memory tail = abi.encode(
            r.dataCategories,
            r.firstUpload,
            r.primaryDissemination,
            r.legalBasisHash,
            r.salt,
            r.deadline
        );
        return keccak256(bytes.concat(head, tail));
    }

    function _checkAddressee(uint64 addressee, uint64 requester) private view returns (bytes2) {
        IConsortium.Member memory m = consortium().getMember(addressee);
        if (
            addressee == requester ||
            m.status != IConsortium.MemberStatus.Active ||
            m.roles & (Roles.AGENCY | Roles.PLATFORM) == 0
        ) revert AssistanceInvalidAddressee(addressee);
        return m.jurisdiction;
    }

    /**
     * @dev The one place the deadline regime is decided: the agreement `assistanceTerms` finds between the two
     * jurisdictions now (most recently concluded in force, either direction, carrying windows; 0 = none), its non-zero
     * windows, and the governance parameters (or their defaults) for everything else. Only the windows asked for are
     * resolved (the other stays 0): a request reads no parameter it does not use.
     */
    function _terms(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction,
        bool needResponseWindow,
        bool needEmergencyWindow
    ) private view returns (AssistanceTerms memory t) {
        (uint256 agreementId, uint32 window, uint32 emergencyWindow) = IRecognitionAgreements(consortium().agreements())
            .assistanceTerms(requesterJurisdiction, addresseeJurisdiction);
        IConsortiumGovernance g = _governance();
        t.agreementId = SafeCast.toUint32(agreementId);
        if (needResponseWindow) {
            t.responseWindow = window != 0 ? window : _parameter(g, RESPONSE_WINDOW_KEY, DEFAULT_RESPONSE_WINDOW);
        }
        if (needEmergencyWindow) {
            t.emergencyResponseWindow =
                emergencyWindow != 0
                    ? emergencyWindow
                    : _parameter(g, EMERGENCY_RESPONSE_WINDOW_KEY, DEFAULT_EMERGENCY_RESPONSE_WINDOW);
        }
        t.maxRetentionPeriod = _parameter(g, MAX_RETENTION_PERIOD_KEY, DEFAULT_MAX_RETENTION_PERIOD);
        uint32 retention = _parameter(g, RETENTION_PERIOD_KEY, DEFAULT_RETENTION_PERIOD);
        t.retentionPeriod = retention < t.maxRetentionPeriod ? retention : t.maxRetentionPeriod;
    }

    function _governance() private view returns (IConsortiumGovernance) {
        return IConsortiumGovernance(consortium().governance());
    }

    /// @dev A governance parameter in seconds; unset (0) or beyond uint32 means the default.
    function _parameter(IConsortiumGovernance g, bytes32 key, uint32 fallbackValue) private view returns (uint32) {
        uint256 value = g.parameter(key);
        return value == 0 || value > type(uint32).max ? fallbackValue : uint32(value);
    }

    function _emitRequested(bytes32 requestId, IssueRequest calldata r, Request storage q) private {
        emit AssistanceRequested(
            requestId,
            q.requester,
            r.addressee,
            r.kind,
            q.emergencyReason,
            q.deadline,
            q.retentionUntil,
            q.agreementId,
            r.caseRef,
            r.evidenceIds,
            r.contentRefsHash,
            r.dataCategories,
            r.firstUpload,
            r.primaryDissemination,
            r.legalBasisHash,
            r.justificationHash
        );
    }
}
