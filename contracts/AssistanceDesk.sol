// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAssistanceDesk} from "./interfaces/IAssistanceDesk.sol";
import {IConsortiumGovernance} from "./interfaces/IConsortiumGovernance.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {AssistanceOrders} from "./AssistanceOrders.sol";
import {Roles} from "./base/Common.sol";

/**
 * @title AssistanceDesk
 * @notice Cross-border assistance requests with deadlines and retention on record. The deadline regime is found by
 * the desk, never named by the requester (see {IAssistanceDesk} for the rule).
 *
 * The desk verifies every signed request (and the time rule of signed steps) and keeps the state; issuing, answers
 * and the steps of the instruments are in the linked library {AssistanceOrders}, which works on the desk's storage.
 */
contract AssistanceDesk is IAssistanceDesk, MemberSigned {
    /// @notice Consortium parameter keys (keccak256 of the names) and their defaults.
    bytes32 public constant RESPONSE_WINDOW_KEY = AssistanceOrders.RESPONSE_WINDOW_KEY;
    bytes32 public constant EMERGENCY_RESPONSE_WINDOW_KEY = AssistanceOrders.EMERGENCY_RESPONSE_WINDOW_KEY;
    bytes32 public constant RETENTION_PERIOD_KEY = AssistanceOrders.RETENTION_PERIOD_KEY;
    bytes32 public constant MAX_RETENTION_PERIOD_KEY = AssistanceOrders.MAX_RETENTION_PERIOD_KEY;
    bytes32 public constant MAX_RELAY_DELAY_KEY = keccak256("crossproof.assistance.maxRelayDelay");
    bytes32 public constant DEFAULT_PROFILE_KEY = AssistanceOrders.DEFAULT_PROFILE_KEY;
    uint32 public constant DEFAULT_RESPONSE_WINDOW = AssistanceOrders.DEFAULT_RESPONSE_WINDOW;
    uint32 public constant DEFAULT_EMERGENCY_RESPONSE_WINDOW = AssistanceOrders.DEFAULT_EMERGENCY_RESPONSE_WINDOW;
    uint32 public constant DEFAULT_RETENTION_PERIOD = AssistanceOrders.DEFAULT_RETENTION_PERIOD;
    /**
     * @notice The default longest retention from issue that extensions may reach: 365 days. Statutory preservation
     * periods are shorter (Regulation (EU) 2023/1543 Art. 11: 60 days, plus 30 on request; 18 U.S.C. 2703(f): 90 days,
     * renewable once), but a preservation is kept until the production request behind it is answered, and mutual
     * legal assistance took about ten months on average by the Commission's 2018 impact assessment for the
     * e-Evidence proposal. A year covers that with room for delays; a bound at all keeps a member from obliging
     * another to hold personal data indefinitely (storage limitation: GDPR Art. 5(1)(e), Directive (EU) 2016/680
     * Art. 4(1)(e)). Governance may set another bound ({MAX_RETENTION_PERIOD_KEY}).
     */
    uint32 public constant DEFAULT_MAX_RETENTION_PERIOD = AssistanceOrders.DEFAULT_MAX_RETENTION_PERIOD;
    /**
     * @notice The default longest delay between a signed time and the block that records it: 10 minutes. A relayer
     * (the gateway) submits within seconds and retries for minutes when a node is unreachable; a longer bound would
     * let an addressee date an answer back by as much. Governance may set another ({MAX_RELAY_DELAY_KEY}).
     */
    uint32 public constant DEFAULT_MAX_RELAY_DELAY = 10 minutes;
    /// @notice The profile when no agreement names one and governance set none: the seed policy.
    uint32 public constant DEFAULT_PROFILE = AssistanceOrders.DEFAULT_PROFILE;

    bytes32 private constant _ISSUE_TYPEHASH = keccak256(
        "IssueAssistance(uint64 addressee,uint8 kind,uint8 emergencyReason,bytes32 justificationHash,bytes32 caseRef,"
        "bytes32[] evidenceIds,bytes32 contentRefsHash,uint8 dataCategories,bytes2 firstUpload,"
        "bytes2 primaryDissemination,bytes32 legalBasisHash,bytes32 salt,uint48 deadline)"
    );
    bytes32 private constant _ISSUE_ORDER_TYPEHASH = keccak256(
        "IssueAssistanceOrder(uint64 addressee,uint8 kind,uint8 emergencyReason,bytes32 justificationHash,"
        "bytes32 caseRef,bytes32[] evidenceIds,bytes32 contentRefsHash,uint8 dataCategories,bytes2 firstUpload,"
        "bytes2 primaryDissemination,bytes32 legalBasisHash,bytes32 salt,uint48 deadline,AssistanceOrder order)"
        "AssistanceOrder(uint8 issuingAuthorityType,bytes32 issuingAuthorityHash,uint8 validatingAuthorityType,"
        "bytes32 validatingAuthorityHash,uint64 enforcingAuthority,bytes32 offenceHash,uint8 offenceCategory,"
        "uint48 dataFrom,uint48 dataUntil,bytes32[] targets,uint8 flags,bytes2 language,bytes32 orderHash,"
        "bytes orderCid,bytes32 onBehalfOf)"
    );
    bytes32 private constant _ANSWER_TYPEHASH = keccak256(
        "AnswerAssistance(bytes32 requestId,uint8 outcome,bytes32 responseHash,bytes responseCid,"
        "uint8 refusalGrounds,uint8 owedCategories,bytes32 owedHash,uint48 signedAt,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _CLARIFICATION_TYPEHASH = keccak256(
        "RequestClarification(bytes32 requestId,uint8 reason,bytes32 questionHash,uint48 signedAt,uint256 nonce,"
        "uint48 deadline)"
    );
    bytes32 private constant _CLARIFY_TYPEHASH = keccak256(
        "ProvideClarification(bytes32 requestId,bytes32 answerHash,bytes answerCid,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _IMPOSSIBILITY_TYPEHASH = keccak256(
        "ReportImpossibility(bytes32 requestId,uint16 reasons,bytes32 detailsHash,uint48 signedAt,uint256 nonce,"
        "uint48 deadline)"
    );
    bytes32 private constant _REVIEW_TYPEHASH = keccak256(
        "ReviewAssistance(bytes32 requestId,uint8 ground,bytes32 reasonsHash,uint48 signedAt,uint256 nonce,"
        "uint48 deadline)"
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

    /// @dev All the desk's requests (see {AssistanceOrders-Store}).
    AssistanceOrders.Store private _store;

    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof AssistanceDesk", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IAssistanceDesk
    function issue(IssueRequest calldata r, bytes calldata signature) external returns (bytes32 requestId) {
        Signer memory s = _verifySigned(
            _issueStructHash(_ISSUE_TYPEHASH, r, ""),
            signature,
            r.deadline,
            Roles.AGENCY | Roles.COURT
        );
        requestId = requestIdOf(s.memberId, r.addressee, r.salt);
        AssistanceOrders.issue(_store, consortium(), requestId, s.memberId, s.jurisdiction, r);
    }

    /// @inheritdoc IAssistanceDesk
    function issueOrder(
        IssueRequest calldata r,
        AssistanceOrder calldata order,
        bytes calldata signature
    ) external returns (bytes32 requestId) {
        bytes32 orderDigest = AssistanceOrders.orderStructHash(order);
        Signer memory s = _verifySigned(
            _issueStructHash(_ISSUE_ORDER_TYPEHASH, r, abi.encode(orderDigest)),
            signature,
            r.deadline,
            Roles.AGENCY | Roles.COURT
        );
        requestId = requestIdOf(s.memberId, r.addressee, r.salt);
        AssistanceOrders.issueOrder(_store, consortium(), requestId, s.memberId, s.jurisdiction, r, order, orderDigest);
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
        Request storage q = AssistanceOrders.ofAddressee(_store, r.requestId, s.memberId);
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
        AssistanceOrders.recordAnswer(
            _store,
            s.memberId,
            AnswerRequest({
                requestId: r.requestId,
                outcome: r.outcome,
                responseHash: r.responseHash,
                responseCid: r.responseCid,
                refusalGrounds: r.refusalGrounds,
                owedCategories: 0,
                owedHash: bytes32(0),
                signedAt: uint48(block.timestamp),
                nonce: r.nonce,
                deadline: r.deadline
            }),
            false
        );
    }

    /// @inheritdoc IAssistanceDesk
    function answer(AnswerRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                bytes.concat(
                    abi.encode(
                        _ANSWER_TYPEHASH,
                        r.requestId,
                        r.outcome,
                        r.responseHash,
                        keccak256(r.responseCid),
                        r.refusalGrounds
                    ),
                    abi.encode(r.owedCategories, r.owedHash, r.signedAt, r.nonce, r.deadline)
                )
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        _checkSignedTime(r.signedAt);
        AssistanceOrders.recordAnswer(_store, s.memberId, r, true);
    }

    /// @inheritdoc IAssistanceDesk
    function requestClarification(ClarificationRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _CLARIFICATION_TYPEHASH,
                    r.requestId,
                    r.reason,
                    r.questionHash,
                    r.signedAt,
                    r.nonce,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        _checkSignedTime(r.signedAt);
        AssistanceOrders.requestClarification(_store, s.memberId, r);
    }

    /// @inheritdoc IAssistanceDesk
    function provideClarification(ClarificationAnswer calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(_CLARIFY_TYPEHASH, r.requestId, r.answerHash, keccak256(r.answerCid), r.nonce, r.deadline)
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        AssistanceOrders.provideClarification(_store, s.memberId, r);
    }

    /// @inheritdoc IAssistanceDesk
    function reportImpossibility(ImpossibilityReport calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _IMPOSSIBILITY_TYPEHASH,
                    r.requestId,
                    r.reasons,
                    r.detailsHash,
                    r.signedAt,
                    r.nonce,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        _checkSignedTime(r.signedAt);
        AssistanceOrders.reportImpossibility(_store, s.memberId, r);
    }

    /// @inheritdoc IAssistanceDesk
    function review(ReviewRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(_REVIEW_TYPEHASH, r.requestId, r.ground, r.reasonsHash, r.signedAt, r.nonce, r.deadline)
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        _checkSignedTime(r.signedAt);
        AssistanceOrders.review(_store, s.memberId, r);
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
        Request storage q = AssistanceOrders.ofRequester(_store, r.requestId, s.memberId);
        OrderRecord storage o = _store.orders[r.requestId];
        if (!AssistanceOrders.owesAnswer(q, o) && q.state != State.AwaitingClarification) {
            revert AssistanceInvalidState(r.requestId, q.state);
        }
        q.state = State.Withdrawn;
        o.pausedSince = 0;
        o.owedCategories = 0;
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
        Request storage q = AssistanceOrders.ofRequester(_store, r.requestId, s.memberId);
        // Nothing is to be kept for a request that was refused or withdrawn.
        if (q.state == State.Refused || q.state == State.Withdrawn) revert AssistanceInvalidState(r.requestId, q.state);
        if (r.retentionUntil <= q.retentionUntil || block.timestamp >= q.retentionUntil) {
            revert AssistanceInvalidRetention(r.retentionUntil);
        }
        // The consortium's maximum as governance sets it now, and the profile's own limit.
        uint48 maxUntil = q.issuedAt + _parameter(MAX_RETENTION_PERIOD_KEY, DEFAULT_MAX_RETENTION_PERIOD);
        uint48 profileMax = _store.orders[r.requestId].maxRetentionUntil;
        if (profileMax != 0 && profileMax < maxUntil) maxUntil = profileMax;
        if (r.retentionUntil > maxUntil) revert AssistanceRetentionBeyondMaximum(r.retentionUntil, maxUntil);
        q.retentionUntil = r.retentionUntil;
        emit RetentionExtended(r.requestId, r.retentionUntil);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IAssistanceDesk
    function getRequest(bytes32 requestId) external view returns (Request memory) {
        return _store.requests[requestId];
    }

    /// @inheritdoc IAssistanceDesk
    function getOrder(bytes32 requestId) external view returns (OrderRecord memory o) {
        o = _store.orders[requestId];
        if (o.profileId == 0 && _store.requests[requestId].state != State.None)
            o.profileId = AssistanceOrders.SEED_PROFILE;
    }

    /// @inheritdoc IAssistanceDesk
    function stateAt(bytes32 requestId, uint48 atTime) external view returns (State) {
        Request storage q = _store.requests[requestId];
        if (atTime > q.deadline && AssistanceOrders.counting(q, _store.orders[requestId])) return State.Overdue;
        return q.state;
    }

    /// @inheritdoc IAssistanceDesk
    function requestIdOf(uint64 requester, uint64 addressee, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(requester, addressee, salt));
    }

    /// @inheritdoc IAssistanceDesk
    function requestAnsweredWith(uint64 addressee, bytes32 responseHash) external view returns (bytes32) {
        return _store.responses[addressee][responseHash];
    }

    /// @inheritdoc IAssistanceDesk
    function termsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (AssistanceTerms memory t) {
        (ProfileTerms memory p, ) = AssistanceOrders.terms(
            address(consortium()),
            requesterJurisdiction,
            addresseeJurisdiction
        );
        (t.agreementId, t.responseWindow, t.emergencyResponseWindow, t.retentionPeriod, t.maxRetentionPeriod) = (
            p.agreementId,
            p.responseWindow,
            p.emergencyResponseWindow,
            p.retentionPeriod,
            p.maxRetentionPeriod
        );
    }

    /// @inheritdoc IAssistanceDesk
    function profileTermsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (ProfileTerms memory p) {
        (p, ) = AssistanceOrders.terms(address(consortium()), requesterJurisdiction, addresseeJurisdiction);
    }

    /// @inheritdoc IAssistanceDesk
    function requestCount(uint64 memberId, bool asAddressee) external view returns (uint256) {
        return (asAddressee ? _store.byAddressee[memberId] : _store.byRequester[memberId]).length;
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
    ) external view returns (bytes32[] memory) {
        return AssistanceOrders.openRequests(_store, memberId, asAddressee, filter, atTime, dueWithin, offset, limit);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @dev The time rule of signed steps: a signed time is accepted from {MAX_RELAY_DELAY_KEY} before the block to the
     * block itself (it is then the time the step is judged on).
     */
    function _checkSignedTime(uint48 signedAt) private view {
        uint48 maxDelay = _parameter(MAX_RELAY_DELAY_KEY, DEFAULT_MAX_RELAY_DELAY);
        uint48 nowTs = uint48(block.timestamp);
        if (signedAt > nowTs || nowTs - signedAt > maxDelay) {
            revert AssistanceSignedTimeOutOfRange(signedAt, nowTs, maxDelay);
        }
    }

    /// @dev The struct hash of an issue request under `typehash`, with `tail` (an order's hash) appended.
    function _issueStructHash(
        bytes32 typehash,
        IssueRequest calldata r,
        bytes memory tail
    ) private pure returns (bytes32) {
        bytes memory head = abi.encode(
            typehash,
            r.addressee,
            r.kind,
            r.emergencyReason,
            r.justificationHash,
            r.caseRef,
            keccak256(abi.encodePacked(r.evidenceIds)),
            r.contentRefsHash
        );
        bytes memory middle = abi.encode(
            r.dataCategories,
            r.firstUpload,
            r.primaryDissemination,
            r.legalBasisHash,
            r.salt,
            r.deadline
        );
        return keccak256(bytes.concat(head, middle, tail));
    }

    /// @dev A governance parameter in seconds; unset (0) or beyond uint32 means the default.
    function _parameter(bytes32 key, uint32 fallbackValue) private view returns (uint32) {
        return AssistanceOrders.parameter(IConsortiumGovernance(consortium().governance()), key, fallbackValue);
    }
}
