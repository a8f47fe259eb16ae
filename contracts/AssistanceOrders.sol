// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAssistanceDesk} from "./interfaces/IAssistanceDesk.sol";
import {IConsortiumGovernance} from "./interfaces/IConsortiumGovernance.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";

/**
 * @title AssistanceOrders
 * @notice Issuing, the deadline terms, the order fields and the steps of the instruments (answers, clarification,
 * impossibility, the enforcing authority's review) of the {AssistanceDesk}, as an externally linked library: the
 * desk verifies each signed request and the time rule, then hands its storage ({Store}) to these functions
 * (DELEGATECALL), which check the step, change the request and emit the desk's events. Split from the desk to keep it
 * under the EIP-170 size limit; the rules are stated in {IAssistanceDesk}.
 */
library AssistanceOrders {
    /// @dev Consortium parameter keys (keccak256 of the names) and their defaults; the desk states them publicly.
    bytes32 internal constant RESPONSE_WINDOW_KEY = keccak256("crossproof.assistance.responseWindow");
    bytes32 internal constant EMERGENCY_RESPONSE_WINDOW_KEY = keccak256(
        "crossproof.assistance.emergencyResponseWindow"
    );
    bytes32 internal constant RETENTION_PERIOD_KEY = keccak256("crossproof.assistance.retentionPeriod");
    bytes32 internal constant MAX_RETENTION_PERIOD_KEY = keccak256("crossproof.assistance.maxRetentionPeriod");
    bytes32 internal constant DEFAULT_PROFILE_KEY = keccak256("crossproof.assistance.defaultProfile");
    uint32 internal constant DEFAULT_RESPONSE_WINDOW = 72 hours;
    uint32 internal constant DEFAULT_EMERGENCY_RESPONSE_WINDOW = 8 hours;
    uint32 internal constant DEFAULT_RETENTION_PERIOD = 90 days;
    uint32 internal constant DEFAULT_MAX_RETENTION_PERIOD = 365 days;
    uint32 internal constant DEFAULT_PROFILE = 1;
    /// @dev `RecognitionAgreements.SEED_PROFILE`: a request under it keeps no record of its own.
    uint32 internal constant SEED_PROFILE = 1;

    /// @dev Subscriber 1, traffic 2, content 4, dissemination records 8 — and, for orders only, identification 16.
    uint8 private constant _ALL_DATA_CATEGORIES = (1 << 4) - 1;
    uint8 private constant _ALL_ORDER_DATA_CATEGORIES = (1 << 5) - 1;
    uint8 private constant _ORDER_DOMESTIC = 2;
    uint8 private constant _ALL_ORDER_FLAGS = 3;
    uint8 private constant _AUTHORITY_TYPES = uint8(type(IAssistanceDesk.IssuingAuthorityType).max);
    /// @dev Bits of the ImpossibilityReasons 1 to 10.
    uint16 private constant _ALL_REASONS = 0x7fe;

    /// @dev The desk's state.
    struct Store {
        mapping(bytes32 requestId => IAssistanceDesk.Request) requests;
        mapping(bytes32 requestId => IAssistanceDesk.OrderRecord) orders;
        mapping(uint64 addressee => mapping(bytes32 responseHash => bytes32 requestId)) responses;
        mapping(uint64 memberId => bytes32[]) byRequester;
        mapping(uint64 memberId => bytes32[]) byAddressee;
    }

    bytes32 private constant _ORDER_TYPEHASH = keccak256(
        "AssistanceOrder(uint8 issuingAuthorityType,bytes32 issuingAuthorityHash,uint8 validatingAuthorityType,"
        "bytes32 validatingAuthorityHash,uint64 enforcingAuthority,bytes32 offenceHash,uint8 offenceCategory,"
        "uint48 dataFrom,uint48 dataUntil,bytes32[] targets,uint8 flags,bytes2 language,bytes32 orderHash,"
        "bytes orderCid,bytes32 onBehalfOf)"
    );

    // ----------------------------------------------------------------------------------------------------------------
    // The one rule of open requests
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Still owes an answer: Issued, Acknowledged, or PartiallyFulfilled with something owed.
    function owesAnswer(
        IAssistanceDesk.Request storage q,
        IAssistanceDesk.OrderRecord storage o
    ) internal view returns (bool) {
        IAssistanceDesk.State s = q.state;
        return
            s == IAssistanceDesk.State.Issued ||
            s == IAssistanceDesk.State.Acknowledged ||
            (s == IAssistanceDesk.State.PartiallyFulfilled && o.owedCategories != 0);
    }

    /**
     * @dev Its clock runs: it owes an answer, or awaits clarification under a profile that does not stop the clock.
     * Past the deadline, such a request is Overdue.
     */
    function counting(
        IAssistanceDesk.Request storage q,
        IAssistanceDesk.OrderRecord storage o
    ) internal view returns (bool) {
        return
            owesAnswer(q, o) || (q.state == IAssistanceDesk.State.AwaitingClarification && o.clockRunsWhileClarifying);
    }

    function existing(Store storage d, bytes32 requestId) internal view returns (IAssistanceDesk.Request storage q) {
        q = d.requests[requestId];
        if (q.state == IAssistanceDesk.State.None) revert IAssistanceDesk.AssistanceUnknown(requestId);
    }

    function ofAddressee(
        Store storage d,
        bytes32 requestId,
        uint64 memberId
    ) internal view returns (IAssistanceDesk.Request storage q) {
        q = existing(d, requestId);
        if (q.addressee != memberId) revert IAssistanceDesk.AssistanceNotAddressee(requestId, memberId);
    }

    function ofRequester(
        Store storage d,
        bytes32 requestId,
        uint64 memberId
    ) internal view returns (IAssistanceDesk.Request storage q) {
        q = existing(d, requestId);
        if (q.requester != memberId) revert IAssistanceDesk.AssistanceNotRequester(requestId, memberId);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Terms
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @dev The one place the deadline regime is decided: the agreement `assistanceTermsOf` finds between the two
     * jurisdictions now (most recently concluded in force, either direction, carrying assistance terms; 0 = none),
     * its profile or the governance default, and for each window and period the agreement's value, else the
     * profile's, else the governance parameter (or its default). Retention is capped by the consortium's maximum;
     * `retentionExtension` is the profile's (0 = up to that maximum).
     */
    function terms(
        address consortium,
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (IAssistanceDesk.ProfileTerms memory p, uint32 retentionExtension) {
        return _terms(consortium, requesterJurisdiction, addresseeJurisdiction, true, true);
    }

    /// @dev {terms}, resolving only the windows asked for (the other stays 0): a request reads no parameter it does
    /// not use.
    function _terms(
        address consortium,
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction,
        bool needResponseWindow,
        bool needEmergencyWindow
    ) private view returns (IAssistanceDesk.ProfileTerms memory p, uint32 retentionExtension) {
        IConsortiumGovernance g = IConsortiumGovernance(IConsortium(consortium).governance());
        IRecognitionAgreements.AssistanceAgreementTerms memory a = IRecognitionAgreements(
            IConsortium(consortium).agreements()
        ).assistanceTermsOf(
                requesterJurisdiction,
                addresseeJurisdiction,
                parameter(g, DEFAULT_PROFILE_KEY, DEFAULT_PROFILE)
            );
        IRecognitionAgreements.AssistanceProfile memory pr = a.profile;
        p.agreementId = SafeCast.toUint32(a.agreementId);
        p.profileId = a.profileId;
        if (needResponseWindow) {
            p.responseWindow = _first(
                a.responseWindow,
                pr.responseWindow,
                g,
                RESPONSE_WINDOW_KEY,
                DEFAULT_RESPONSE_WINDOW
            );
        }
        if (needEmergencyWindow) {
            p.emergencyResponseWindow = _first(
                a.emergencyResponseWindow,
                pr.emergencyResponseWindow,
                g,
                EMERGENCY_RESPONSE_WINDOW_KEY,
                DEFAULT_EMERGENCY_RESPONSE_WINDOW
            );
        }
        uint32 maxRetention = parameter(g, MAX_RETENTION_PERIOD_KEY, DEFAULT_MAX_RETENTION_PERIOD);
        uint32 retention = _first(
            a.retentionPeriod,
            pr.retentionPeriod,
            g,
            RETENTION_PERIOD_KEY,
            DEFAULT_RETENTION_PERIOD
        );
        p.retentionPeriod = retention < maxRetention ? retention : maxRetention;
        retentionExtension = pr.retentionExtension;
        uint256 profileMax = retentionExtension == 0 ? maxRetention : uint256(p.retentionPeriod) + retentionExtension;
        p.maxRetentionPeriod = profileMax < maxRetention ? uint32(profileMax) : maxRetention;
        p.reviewWindow = pr.reviewWindow;
        p.emergencyReviewWindow = pr.emergencyReviewWindow;
        p.sensitiveKinds = pr.sensitiveKinds;
        p.sensitiveCategories = pr.sensitiveCategories;
        p.validationRequired = pr.validationRequired;
        p.sensitiveValidationRequired = pr.sensitiveValidationRequired;
        p.clarificationPausesDeadline = pr.clarificationPausesDeadline;
    }

    /// @dev A governance parameter in seconds; unset (0) or beyond uint32 means the default.
    function parameter(IConsortiumGovernance g, bytes32 key, uint32 fallbackValue) internal view returns (uint32) {
        uint256 value = g.parameter(key);
        return value == 0 || value > type(uint32).max ? fallbackValue : uint32(value);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Orders
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The EIP-712 struct hash of an order.
    function orderStructHash(IAssistanceDesk.AssistanceOrder calldata o) external pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    abi.encode(
                        _ORDER_TYPEHASH,
                        o.issuingAuthorityType,
                        o.issuingAuthorityHash,
                        o.validatingAuthorityType,
                        o.validatingAuthorityHash,
                        o.enforcingAuthority,
                        o.offenceHash,
                        o.offenceCategory
                    ),
                    abi.encode(
                        o.dataFrom,
                        o.dataUntil,
                        keccak256(abi.encodePacked(o.targets)),
                        o.flags,
                        o.language,
                        o.orderHash,
                        keccak256(o.orderCid),
                        o.onBehalfOf
                    )
                )
            );
    }

    /// @dev See {IAssistanceDesk-issue}; the desk verified the signature of `requester` and computed `requestId`.
    function issue(
        Store storage d,
        IConsortium consortium,
        bytes32 requestId,
        uint64 requester,
        bytes2 requesterJurisdiction,
        IAssistanceDesk.IssueRequest calldata r
    ) external {
        bytes2 addresseeJurisdiction = _checkAddressee(
            consortium,
            r.addressee,
            requester,
            Roles.AGENCY | Roles.PLATFORM
        );
        _open(
            d,
            consortium,
            requestId,
            requester,
            requesterJurisdiction,
            r,
            addresseeJurisdiction,
            _ALL_DATA_CATEGORIES
        );
    }

    /**
     * @dev See {IAssistanceDesk-issueOrder}: opens the request as {issue} does, then checks the order against the
     * profile and records it with the notification it needs.
     */
    function issueOrder(
        Store storage d,
        IConsortium consortium,
        bytes32 requestId,
        uint64 requester,
        bytes2 requesterJurisdiction,
        IAssistanceDesk.IssueRequest calldata r,
        IAssistanceDesk.AssistanceOrder calldata order,
        bytes32 orderDigest
    ) external {
        bytes2 addresseeJurisdiction = _checkAddressee(
            consortium,
            r.addressee,
            requester,
            order.onBehalfOf != bytes32(0) ? Roles.OPERATOR : Roles.AGENCY | Roles.PLATFORM
        );
        IAssistanceDesk.ProfileTerms memory p = _open(
            d,
            consortium,
            requestId,
            requester,
            requesterJurisdiction,
            r,
            addresseeJurisdiction,
            _ALL_ORDER_DATA_CATEGORIES
        );
        IAssistanceDesk.Request storage q = d.requests[requestId];
        IAssistanceDesk.OrderRecord storage o = d.orders[requestId];
        uint8 issuer = order.issuingAuthorityType;
        if (issuer == 0 || issuer > _AUTHORITY_TYPES || order.issuingAuthorityHash == bytes32(0)) {
            _invalid(IAssistanceDesk.OrderDefect.IssuingAuthority);
        }
        // Sensitive (Art. 4(2), Art. 8(1)): a production order for traffic data not sought only to identify the user,
        // or content data — as the profile names kinds and categories.
        bool sensitive = (p.sensitiveKinds >> uint8(r.kind)) & 1 != 0 && r.dataCategories & p.sensitiveCategories != 0;
        uint8 needsValidation = p.validationRequired | (sensitive ? p.sensitiveValidationRequired : 0);
        uint8 validator = order.validatingAuthorityType;
        bool validated = validator != 0;
        if (
            validated != (order.validatingAuthorityHash != bytes32(0)) ||
            validator > _AUTHORITY_TYPES ||
            // The validating authority is one that could have issued the order alone.
            (validated && (needsValidation >> validator) & 1 != 0) ||
            (!validated && (needsValidation >> issuer) & 1 != 0)
        ) _invalid(IAssistanceDesk.OrderDefect.ValidatingAuthority);
        if (order.offenceHash == bytes32(0)) _invalid(IAssistanceDesk.OrderDefect.Offence);
        // Stored data only: the period sought has ended.
        if (order.dataUntil == 0 || order.dataFrom > order.dataUntil || order.dataUntil > block.timestamp) {
            _invalid(IAssistanceDesk.OrderDefect.DataPeriod);
        }
        if (order.targets.length == 0) _invalid(IAssistanceDesk.OrderDefect.Targets);
        if (order.flags & ~_ALL_ORDER_FLAGS != 0) _invalid(IAssistanceDesk.OrderDefect.Flags);
        bytes2 lang = order.language;
        if (!(lang[0] >= 0x61 && lang[0] <= 0x7a && lang[1] >= 0x61 && lang[1] <= 0x7a)) {
            _invalid(IAssistanceDesk.OrderDefect.Language);
        }
        if (order.orderHash == bytes32(0) || order.orderCid.length == 0) {
            _invalid(IAssistanceDesk.OrderDefect.OrderDocument);
        }
        // Notification (Art. 8): a sensitive order, unless offence and person are in the issuing State (Art. 8(2));
        // the enforcing authority is of the State where the addressee is established or represented.
        bool notify = p.reviewWindow != 0 && sensitive && order.flags & _ORDER_DOMESTIC == 0;
        uint64 authority = order.enforcingAuthority;
        if (notify) {
            IConsortium.Member memory m = consortium.getMember(authority);
            if (
                authority == requester ||
                authority == r.addressee ||
                m.status != IConsortium.MemberStatus.Active ||
                m.roles & (Roles.AGENCY | Roles.COURT) == 0 ||
                m.jurisdiction != addresseeJurisdiction
            ) _invalid(IAssistanceDesk.OrderDefect.EnforcingAuthority);
            o.enforcingAuthority = authority;
            o.reviewUntil =
                q.issuedAt +
                (q.emergencyReason != IAssistanceDesk.EmergencyReason.None ? p.emergencyReviewWindow : p.reviewWindow);
        } else if (authority != 0) {
            _invalid(IAssistanceDesk.OrderDefect.EnforcingAuthority);
        }
        o.flags = order.flags;
        o.onBehalfOf = order.onBehalfOf;
        o.orderDigest = orderDigest;
        emit IAssistanceDesk.AssistanceOrderIssued(requestId, authority, order.onBehalfOf, o.reviewUntil, order);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Steps
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @dev Records an answer of the addressee `memberId` judged at `r.signedAt` (the block time for `respond`, the
     * accepted signed time for `answer`), with what is still owed after a partial one. `timed`: by `answer` (the
     * signed time is recorded in {IAssistanceDesk-AssistanceAnsweredAt}).
     */
    function recordAnswer(
        Store storage d,
        uint64 memberId,
        IAssistanceDesk.AnswerRequest calldata r,
        bool timed
    ) external {
        bytes32 requestId = r.requestId;
        IAssistanceDesk.Request storage q = ofAddressee(d, requestId, memberId);
        IAssistanceDesk.OrderRecord storage o = d.orders[requestId];
        IAssistanceDesk.State outcome = r.outcome;
        if (!owesAnswer(q, o)) revert IAssistanceDesk.AssistanceInvalidState(requestId, q.state);
        if (outcome == IAssistanceDesk.State.Refused) {
            // A refusal answers nothing: it may not take a response hash from anyone, nor point at a package.
            if (r.refusalGrounds == 0 || r.responseHash != bytes32(0) || r.responseCid.length != 0) {
                revert IAssistanceDesk.AssistanceInvalidOutcome(outcome);
            }
        } else if (outcome == IAssistanceDesk.State.Fulfilled || outcome == IAssistanceDesk.State.PartiallyFulfilled) {
            if (r.responseHash == bytes32(0) || r.responseCid.length == 0 || r.refusalGrounds != 0) {
                revert IAssistanceDesk.AssistanceInvalidOutcome(outcome);
            }
            // Data leave only once the enforcing authority's review ended or it confirmed no ground (Art. 10(2));
            // in emergencies at once (Art. 10(4)).
            if (
                o.reviewUntil != 0 &&
                !o.reviewed &&
                block.timestamp < o.reviewUntil &&
                q.emergencyReason == IAssistanceDesk.EmergencyReason.None
            ) revert IAssistanceDesk.AssistanceUnderReview(requestId, o.reviewUntil);
        } else {
            revert IAssistanceDesk.AssistanceInvalidOutcome(outcome);
        }
        // What is still owed: only after a partial answer, among the request's categories, described by a hash.
        if (
            (r.owedCategories != 0 || r.owedHash != bytes32(0)) &&
            (outcome != IAssistanceDesk.State.PartiallyFulfilled ||
                r.owedCategories == 0 ||
                r.owedHash == bytes32(0) ||
                r.owedCategories & ~q.dataCategories != 0)
        ) revert IAssistanceDesk.AssistanceInvalidOutcome(outcome);
        if (r.responseHash != bytes32(0)) {
            // Unique per addressee: one package answers one request of this addressee; another member's hashes
            // are no concern of it (nobody can squat a hash someone else will answer with).
            mapping(bytes32 => bytes32) storage own = d.responses[memberId];
            if (own[r.responseHash] != bytes32(0)) {
                revert IAssistanceDesk.AssistanceResponseReused(memberId, r.responseHash);
            }
            own[r.responseHash] = requestId;
        }
        bool late = r.signedAt > q.deadline;
        uint48 nowTs = uint48(block.timestamp);
        if (q.acknowledgedAt == 0) q.acknowledgedAt = nowTs;
        q.state = outcome;
        q.respondedAt = nowTs;
        q.late = late;
        q.refusalGrounds = r.refusalGrounds;
        q.responseHash = r.responseHash;
        o.owedCategories = r.owedCategories;
        emit IAssistanceDesk.AssistanceAnswered(
            requestId,
            memberId,
            outcome,
            late,
            r.responseHash,
            r.responseCid,
            r.refusalGrounds
        );
        if (timed)
            emit IAssistanceDesk.AssistanceAnsweredAt(requestId, r.signedAt, nowTs, r.owedCategories, r.owedHash);
    }

    /// @dev See {IAssistanceDesk-requestClarification}; the desk checked the signature and the signed time.
    function requestClarification(
        Store storage d,
        uint64 memberId,
        IAssistanceDesk.ClarificationRequest calldata r
    ) external {
        IAssistanceDesk.Request storage q = ofAddressee(d, r.requestId, memberId);
        uint48 at = r.signedAt;
        if (q.state != IAssistanceDesk.State.Issued && q.state != IAssistanceDesk.State.Acknowledged) {
            revert IAssistanceDesk.AssistanceInvalidState(r.requestId, q.state);
        }
        // Asking after the deadline does not undo the lateness.
        if (at > q.deadline) revert IAssistanceDesk.AssistanceInvalidState(r.requestId, IAssistanceDesk.State.Overdue);
        if (r.reason == 0 || r.reason > uint8(IAssistanceDesk.ImpossibilityReason.InsufficientInformation)) {
            revert IAssistanceDesk.AssistanceInvalidReason(r.reason);
        }
        if (q.acknowledgedAt == 0) q.acknowledgedAt = uint48(block.timestamp);
        q.state = IAssistanceDesk.State.AwaitingClarification;
        d.orders[r.requestId].pausedSince = at;
        emit IAssistanceDesk.ClarificationRequested(
            r.requestId,
            memberId,
            IAssistanceDesk.ImpossibilityReason(r.reason),
            r.questionHash,
            at
        );
    }

    /// @dev See {IAssistanceDesk-provideClarification}; the desk checked the signature.
    function provideClarification(
        Store storage d,
        uint64 memberId,
        IAssistanceDesk.ClarificationAnswer calldata r
    ) external {
        IAssistanceDesk.Request storage q = ofRequester(d, r.requestId, memberId);
        IAssistanceDesk.OrderRecord storage o = d.orders[r.requestId];
        if (q.state != IAssistanceDesk.State.AwaitingClarification) {
            revert IAssistanceDesk.AssistanceInvalidState(r.requestId, q.state);
        }
        if (r.answerHash == bytes32(0)) revert IAssistanceDesk.AssistanceInvalidRequest();
        // The clock resumes when the answer is on record; the time it stood still is added to the deadline.
        if (!o.clockRunsWhileClarifying) q.deadline += uint48(block.timestamp) - o.pausedSince;
        o.pausedSince = 0;
        q.state = IAssistanceDesk.State.Acknowledged;
        emit IAssistanceDesk.ClarificationProvided(r.requestId, memberId, r.answerHash, r.answerCid, q.deadline);
    }

    /// @dev See {IAssistanceDesk-reportImpossibility}; the desk checked the signature and the signed time.
    function reportImpossibility(
        Store storage d,
        uint64 memberId,
        IAssistanceDesk.ImpossibilityReport calldata r
    ) external {
        IAssistanceDesk.Request storage q = ofAddressee(d, r.requestId, memberId);
        IAssistanceDesk.OrderRecord storage o = d.orders[r.requestId];
        uint48 at = r.signedAt;
        bool paused = q.state == IAssistanceDesk.State.AwaitingClarification;
        if (!paused && !owesAnswer(q, o)) revert IAssistanceDesk.AssistanceInvalidState(r.requestId, q.state);
        if (r.reasons == 0 || r.reasons & ~_ALL_REASONS != 0) revert IAssistanceDesk.AssistanceInvalidReason(r.reasons);
        // While the clock stands still for a clarification, the time since it stopped does not count.
        bool late = at > q.deadline + (paused && !o.clockRunsWhileClarifying ? at - o.pausedSince : 0);
        if (q.acknowledgedAt == 0) q.acknowledgedAt = uint48(block.timestamp);
        q.state = IAssistanceDesk.State.ExecutionImpossible;
        q.respondedAt = uint48(block.timestamp);
        q.late = late;
        o.pausedSince = 0;
        o.owedCategories = 0;
        emit IAssistanceDesk.ImpossibilityReported(r.requestId, memberId, r.reasons, r.detailsHash, late, at);
    }

    /// @dev See {IAssistanceDesk-review}; the desk checked the signature and the signed time.
    function review(Store storage d, uint64 memberId, IAssistanceDesk.ReviewRequest calldata r) external {
        IAssistanceDesk.Request storage q = existing(d, r.requestId);
        IAssistanceDesk.OrderRecord storage o = d.orders[r.requestId];
        uint48 at = r.signedAt;
        if (o.enforcingAuthority == 0 || o.enforcingAuthority != memberId) {
            revert IAssistanceDesk.AssistanceNotEnforcingAuthority(r.requestId, memberId);
        }
        if (o.reviewed || at > o.reviewUntil) revert IAssistanceDesk.AssistanceReviewClosed(r.requestId, o.reviewUntil);
        if (r.ground > uint8(type(IAssistanceDesk.ReviewGround).max))
            revert IAssistanceDesk.AssistanceInvalidReason(r.ground);
        IAssistanceDesk.State s = q.state;
        bool owes = owesAnswer(q, o) || s == IAssistanceDesk.State.AwaitingClarification;
        if (!owes && s != IAssistanceDesk.State.Fulfilled && s != IAssistanceDesk.State.PartiallyFulfilled) {
            revert IAssistanceDesk.AssistanceInvalidState(r.requestId, s);
        }
        o.reviewed = true;
        o.reviewGround = IAssistanceDesk.ReviewGround(r.ground);
        // A ground ends a request that still owes an answer; after data were produced it objects to their use.
        bool refused = owes && r.ground != 0;
        if (refused) {
            q.state = IAssistanceDesk.State.RefusedByEnforcingAuthority;
            o.pausedSince = 0;
            o.owedCategories = 0;
        }
        emit IAssistanceDesk.AssistanceReviewed(
            r.requestId,
            memberId,
            IAssistanceDesk.ReviewGround(r.ground),
            refused,
            r.reasonsHash,
            at
        );
    }

    /// @dev See {IAssistanceDesk-openRequests}.
    function openRequests(
        Store storage d,
        uint64 memberId,
        bool asAddressee,
        uint8 filter,
        uint48 atTime,
        uint48 dueWithin,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes32[] memory ids) {
        bytes32[] storage list = asAddressee ? d.byAddressee[memberId] : d.byRequester[memberId];
        uint256 end = offset + limit > list.length ? list.length : offset + limit;
        ids = new bytes32[](end > offset ? end - offset : 0);
        uint256 n = 0;
        for (uint256 i = offset; i < end; ++i) {
            IAssistanceDesk.Request storage q = d.requests[list[i]];
            if (!counting(q, d.orders[list[i]])) continue;
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

    /**
     * @dev Checks and stores what {issue} and {issueOrder} share: the request's fields, its id, and the terms that
     * apply (the deadline, retention and profile); emits {IAssistanceDesk-AssistanceRequested} and
     * {IAssistanceDesk-AssistanceProfileApplied}.
     */
    function _open(
        Store storage d,
        IConsortium consortium,
        bytes32 requestId,
        uint64 requester,
        bytes2 requesterJurisdiction,
        IAssistanceDesk.IssueRequest calldata r,
        bytes2 addresseeJurisdiction,
        uint8 categoriesAllowed
    ) private returns (IAssistanceDesk.ProfileTerms memory p) {
        IAssistanceDesk.Request storage q = d.requests[requestId];
        if (q.state != IAssistanceDesk.State.None) revert IAssistanceDesk.AssistanceAlreadyExists(requestId);
        if (r.emergencyReason > uint8(type(IAssistanceDesk.EmergencyReason).max)) {
            revert IAssistanceDesk.AssistanceInvalidEmergencyReason(r.emergencyReason);
        }
        bool emergency = r.emergencyReason != uint8(IAssistanceDesk.EmergencyReason.None);
        if (emergency && r.justificationHash == bytes32(0)) revert IAssistanceDesk.AssistanceJustificationRequired();
        if (
            !Jurisdictions.isValid(r.firstUpload) ||
            !Jurisdictions.isValid(r.primaryDissemination) ||
            r.dataCategories & ~categoriesAllowed != 0 ||
            r.legalBasisHash == bytes32(0)
        ) revert IAssistanceDesk.AssistanceInvalidRequest();
        uint32 retentionExtension;
        (p, retentionExtension) = _terms(
            address(consortium),
            requesterJurisdiction,
            addresseeJurisdiction,
            !emergency,
            emergency
        );
        uint48 nowTs = uint48(block.timestamp);
        q.requester = requester;
        q.addressee = r.addressee;
        q.kind = r.kind;
        q.emergencyReason = IAssistanceDesk.EmergencyReason(r.emergencyReason);
        q.state = IAssistanceDesk.State.Issued;
        q.dataCategories = r.dataCategories;
        q.firstUpload = r.firstUpload;
        q.primaryDissemination = r.primaryDissemination;
        q.issuedAt = nowTs;
        q.deadline = nowTs + (emergency ? p.emergencyResponseWindow : p.responseWindow);
        q.retentionUntil = nowTs + p.retentionPeriod;
        q.agreementId = p.agreementId;
        q.referencesHash = keccak256(
            abi.encode(
                r.caseRef,
                keccak256(abi.encodePacked(r.evidenceIds)),
                r.contentRefsHash,
                r.legalBasisHash,
                r.justificationHash
            )
        );
        // The profile's own limit on extensions (0: none of its own, only the consortium's maximum). Under the seed
        // policy nothing is stored: the record's zeros are its rules.
        uint48 maxUntil = retentionExtension == 0 ? 0 : nowTs + p.retentionPeriod + retentionExtension;
        if (p.profileId != SEED_PROFILE || !p.clarificationPausesDeadline || maxUntil != 0) {
            IAssistanceDesk.OrderRecord storage o = d.orders[requestId];
            o.profileId = p.profileId;
            o.clockRunsWhileClarifying = !p.clarificationPausesDeadline;
            o.maxRetentionUntil = maxUntil;
        }
        d.byRequester[requester].push(requestId);
        d.byAddressee[r.addressee].push(requestId);
        emit IAssistanceDesk.AssistanceRequested(
            requestId,
            requester,
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
        emit IAssistanceDesk.AssistanceProfileApplied(requestId, p.profileId, maxUntil);
    }

    function _checkAddressee(
        IConsortium consortium,
        uint64 addressee,
        uint64 requester,
        uint8 roles
    ) private view returns (bytes2) {
        IConsortium.Member memory m = consortium.getMember(addressee);
        if (addressee == requester || m.status != IConsortium.MemberStatus.Active || m.roles & roles == 0) {
            revert IAssistanceDesk.AssistanceInvalidAddressee(addressee);
        }
        return m.jurisdiction;
    }

    /// @dev The agreement's value, else the profile's, else the governance parameter (or its default).
    function _first(
        uint32 agreementValue,
        uint32 profileValue,
        IConsortiumGovernance g,
        bytes32 key,
        uint32 fallbackValue
    ) private view returns (uint32) {
        if (agreementValue != 0) return agreementValue;
        if (profileValue != 0) return profileValue;
        return parameter(g, key, fallbackValue);
    }

    function _invalid(IAssistanceDesk.OrderDefect defect) private pure {
        revert IAssistanceDesk.AssistanceInvalidOrder(defect);
    }
}
