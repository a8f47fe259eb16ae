// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAssistanceDesk} from "./interfaces/IAssistanceDesk.sol";
import {IConsortiumGovernance} from "./interfaces/IConsortiumGovernance.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";

/**
 * @title AssistanceDesk
 * @notice Cross-border assistance requests with deadlines and retention on record.
 */
contract AssistanceDesk is IAssistanceDesk, MemberSigned {
    /// @notice Consortium parameter keys (keccak256 of the names) and their defaults.
    bytes32 public constant RESPONSE_WINDOW_KEY = keccak256("crossproof.assistance.responseWindow");
    bytes32 public constant EMERGENCY_RESPONSE_WINDOW_KEY = keccak256("crossproof.assistance.emergencyResponseWindow");
    bytes32 public constant RETENTION_PERIOD_KEY = keccak256("crossproof.assistance.retentionPeriod");
    uint32 public constant DEFAULT_RESPONSE_WINDOW = 72 hours;
    uint32 public constant DEFAULT_EMERGENCY_RESPONSE_WINDOW = 8 hours;
    uint32 public constant DEFAULT_RETENTION_PERIOD = 90 days;

    uint8 private constant _ALL_DATA_CATEGORIES = (1 << 4) - 1;

    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "IssueAssistance(uint64 addressee,uint8 kind,bool emergency,bytes32 justificationHash,bytes32 caseRef,"
        "bytes32[] evidenceIds,bytes32 contentRefsHash,uint8 dataCategories,bytes2 firstUpload,"
        "bytes2 primaryDissemination,bytes32 legalBasisHash,uint32 agreementId,bytes32 salt,uint48 deadline)"
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
    mapping(bytes32 responseHash => bytes32 requestId) private _responses;
    mapping(uint64 memberId => bytes32[]) private _byRequester;
    mapping(uint64 memberId => bytes32[]) private _byAddressee;

    constructor(IConsortium consortium_) MemberSigned("crossproof AssistanceDesk", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IAssistanceDesk
    function issue(IssueRequest calldata r, bytes calldata signature) external returns (bytes32 requestId) {
        Signer memory s = _verifySigned(_issueStructHash(r), signature, r.deadline, Roles.AGENCY | Roles.COURT);
        requestId = requestIdOf(s.memberId, r.addressee, r.salt);
        if (_requests[requestId].state != State.None) revert AssistanceAlreadyExists(requestId);
        if (r.emergency && r.justificationHash == bytes32(0)) revert AssistanceJustificationRequired();
        if (
            !Jurisdictions.isValid(r.firstUpload) ||
            !Jurisdictions.isValid(r.primaryDissemination) ||
            r.dataCategories & ~_ALL_DATA_CATEGORIES != 0 ||
            r.legalBasisHash == bytes32(0)
        ) revert AssistanceInvalidRequest();
        bytes2 addresseeJurisdiction = _checkAddressee(r.addressee, s.memberId);
        (uint32 window, uint32 emergencyWindow, uint32 retention) = _windows(
            r.agreementId,
            s.jurisdiction,
            addresseeJurisdiction
        );
        uint48 nowTs = uint48(block.timestamp);
        Request storage q = _requests[requestId];
        q.requester = s.memberId;
        q.addressee = r.addressee;
        q.kind = r.kind;
        q.emergency = r.emergency;
        q.state = State.Issued;
        q.dataCategories = r.dataCategories;
        q.firstUpload = r.firstUpload;
        q.primaryDissemination = r.primaryDissemination;
        q.issuedAt = nowTs;
        q.deadline = nowTs + (r.emergency ? emergencyWindow : window);
        q.retentionUntil = nowTs + retention;
        q.agreementId = r.agreementId;
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
            if (r.refusalGrounds == 0) revert AssistanceInvalidOutcome(r.outcome);
        } else if (r.outcome == State.Fulfilled || r.outcome == State.PartiallyFulfilled) {
            if (r.responseHash == bytes32(0) || r.responseCid.length == 0 || r.refusalGrounds != 0) {
                revert AssistanceInvalidOutcome(r.outcome);
            }
        } else {
            revert AssistanceInvalidOutcome(r.outcome);
        }
        if (r.responseHash != bytes32(0)) {
            if (_responses[r.responseHash] != bytes32(0)) revert AssistanceResponseReused(r.responseHash);
            _responses[r.responseHash] = r.requestId;
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
        if (q.state == State.Withdrawn) revert AssistanceInvalidState(r.requestId, q.state);
        if (r.retentionUntil <= q.retentionUntil || block.timestamp >= q.retentionUntil) {
            revert AssistanceInvalidRetention(r.retentionUntil);
        }
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
    function windowsFor(uint32 agreementId) external view returns (uint32, uint32, uint32) {
        if (agreementId == 0) return _defaults();
        IRecognitionAgreements.Agreement memory a = _agreementsContract().getAgreement(agreementId);
        return _windows(agreementId, a.terms.from, a.terms.to);
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
            r.emergency,
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
            r.agreementId,
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

    function _defaults() private view returns (uint32 window, uint32 emergencyWindow, uint32 retention) {
        IConsortiumGovernance c = IConsortiumGovernance(consortium().governance());
        window = uint32(_orDefault(c.parameter(RESPONSE_WINDOW_KEY), DEFAULT_RESPONSE_WINDOW));
        emergencyWindow = uint32(
            _orDefault(c.parameter(EMERGENCY_RESPONSE_WINDOW_KEY), DEFAULT_EMERGENCY_RESPONSE_WINDOW)
        );
        retention = uint32(_orDefault(c.parameter(RETENTION_PERIOD_KEY), DEFAULT_RETENTION_PERIOD));
    }

    function _orDefault(uint256 value, uint32 fallbackValue) private pure returns (uint256) {
        return value == 0 || value > type(uint32).max ? fallbackValue : value;
    }

    /// @dev Consortium defaults, overridden by an agreement in force between the two jurisdictions.
    function _windows(
        uint32 agreementId,
        bytes2 a,
        bytes2 b
    ) private view returns (uint32 window, uint32 emergencyWindow, uint32 retention) {
        (window, emergencyWindow, retention) = _defaults();
        if (agreementId == 0) return (window, emergencyWindow, retention);
        IRecognitionAgreements.Agreement memory ag = _agreementsContract().getAgreement(agreementId);
        IRecognitionAgreements.AgreementTerms memory t = ag.terms;
        bool parties = (t.from == a && t.to == b) || (t.from == b && t.to == a);
        if (
            !parties ||
            ag.concludedAt == 0 ||
            ag.suspended ||
            block.timestamp < t.effectiveFrom ||
            (t.expiresAt != 0 && block.timestamp >= t.expiresAt)
        ) revert AssistanceAgreementNotInForce(agreementId);
        if (t.responseWindow != 0) window = t.responseWindow;
        if (t.emergencyResponseWindow != 0) emergencyWindow = t.emergencyResponseWindow;
    }

    function _agreementsContract() private view returns (IRecognitionAgreements) {
        return IRecognitionAgreements(consortium().agreements());
    }

    function _emitRequested(bytes32 requestId, IssueRequest calldata r, Request storage q) private {
        emit AssistanceRequested(
            requestId,
            q.requester,
            r.addressee,
            r.kind,
            r.emergency,
            q.deadline,
            q.retentionUntil,
            r.agreementId,
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
