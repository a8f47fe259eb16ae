// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Assurance, Jurisdictions} from "./base/Common.sol";

/**
 * @title RecognitionAgreements
 * @notice Bilateral recognition agreements between the consortium's jurisdictions (see {IRecognitionAgreements}).
 */
contract RecognitionAgreements is IRecognitionAgreements, MemberSigned {
    /// @notice The seed policy: windows and retention are the consortium's governance parameters.
    uint32 public constant SEED_PROFILE = 1;
    /// @notice European Production and Preservation Orders, Regulation (EU) 2023/1543 (see docs/ASSISTANCE.md).
    uint32 public constant EU_EVIDENCE_PROFILE = 2;

    /// @dev `IAssistanceDesk.Kind` codes and data category bits, as the profiles' masks use them.
    uint8 private constant _KINDS = (1 << 3) - 1;
    uint8 private constant _PRODUCE = 1 << 1;
    uint8 private constant _CATEGORIES = (1 << 5) - 1;
    uint8 private constant _TRAFFIC = 2;
    uint8 private constant _CONTENT = 4;
    /// @dev `IAssistanceDesk.IssuingAuthorityType` bits 1 to 5.
    uint8 private constant _AUTHORITY_TYPES = 0x3e;
    uint8 private constant _PUBLIC_PROSECUTOR = 1 << 4;
    uint8 private constant _OTHER_COMPETENT_AUTHORITY = 1 << 5;

    bytes32 private constant _TERMS_TYPEHASH = keccak256(
        "AgreementTerms(bytes2 from,bytes2 to,uint64 categories,uint8 minAssurance,uint32 anchorWindow,"
        "uint48 effectiveFrom,uint48 expiresAt,uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _PROPOSE_AGREEMENT_TYPEHASH = keccak256(
        "ProposeAgreement(AgreementTerms terms,uint256 nonce,uint48 deadline)AgreementTerms(bytes2 from,bytes2 to,"
        "uint64 categories,uint8 minAssurance,uint32 anchorWindow,uint48 effectiveFrom,uint48 expiresAt,"
        "uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _PROPOSE_WITH_ASSISTANCE_TYPEHASH = keccak256(
        "ProposeAgreementWithAssistance(AgreementTerms terms,AgreementAssistance assistance,uint256 nonce,"
        "uint48 deadline)AgreementAssistance(uint32 profileId,uint32 retentionPeriod)AgreementTerms(bytes2 from,"
        "bytes2 to,uint64 categories,uint8 minAssurance,uint32 anchorWindow,uint48 effectiveFrom,uint48 expiresAt,"
        "uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _ASSISTANCE_TYPEHASH = keccak256(
        "AgreementAssistance(uint32 profileId,uint32 retentionPeriod)"
    );
    bytes32 private constant _APPROVE_AGREEMENT_TYPEHASH = keccak256(
        "ApproveAgreement(uint256 agreementId,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _SUSPEND_AGREEMENT_TYPEHASH = keccak256(
        "SetAgreementSuspended(uint256 agreementId,bool suspended,uint256 nonce,uint48 deadline)"
    );

    mapping(uint256 agreementId => Agreement) private _agreements;
    mapping(uint256 agreementId => Suspension[]) private _suspensions;
    /// @dev Concluded agreements per ordered pair, in conclusion order (unconcluded proposals are never scanned).
    mapping(bytes4 fromTo => uint256[]) private _concludedByPair;
    uint256 private _agreementCount;
    mapping(uint256 agreementId => AgreementAssistance) private _assistance;
    mapping(uint32 profileId => AssistanceProfile) private _profiles;
    uint32 private _profileCount;

    /// @dev Defines the built-in profiles: {SEED_PROFILE} and {EU_EVIDENCE_PROFILE}.
    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof RecognitionAgreements", consortium_, consortium_.consortiumId()) {
        AssistanceProfile memory seed;
        seed.clarificationPausesDeadline = true;
        seed.textHash = keccak256("crossproof seed policy: 72 hours, 8 hours in emergencies, 90 days retention");
        _defineProfile(seed);
        // Regulation (EU) 2023/1543: Art. 10(3) and (4) (10 days, 8 hours), Art. 11(1) (60 days, 30 more), Art. 12(1)
        // (review in 10 days, 96 hours in emergencies), Art. 8(1) and 4(2) (production orders for traffic data not
        // sought only to identify the user, and content data, are notified and issued or validated by a judge, a
        // court or an investigating judge), Art. 4(1)(b), (3)(b) (other competent authorities are validated).
        _defineProfile(
            AssistanceProfile({
                responseWindow: 10 days,
                emergencyResponseWindow: 8 hours,
                retentionPeriod: 60 days,
                retentionExtension: 30 days,
                reviewWindow: 10 days,
                emergencyReviewWindow: 96 hours,
                sensitiveKinds: _PRODUCE,
                sensitiveCategories: _TRAFFIC | _CONTENT,
                validationRequired: _OTHER_COMPETENT_AUTHORITY,
                sensitiveValidationRequired: _PUBLIC_PROSECUTOR | _OTHER_COMPETENT_AUTHORITY,
                clarificationPausesDeadline: true,
                textHash: keccak256("Regulation (EU) 2023/1543")
            })
        );
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecognitionAgreements
    function proposeAgreement(
        ProposeAgreementRequest calldata r,
        bytes calldata signature
    ) external returns (uint256 agreementId) {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_PROPOSE_AGREEMENT_TYPEHASH, _termsHash(r.terms), r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        agreementId = _propose(s, r.terms);
        emit AgreementApproved(agreementId, s.jurisdiction, s.memberId);
    }

    /// @inheritdoc IRecognitionAgreements
    function proposeAgreementWithAssistance(
        ProposeAgreementWithAssistanceRequest calldata r,
        bytes calldata signature
    ) external returns (uint256 agreementId) {
        AgreementAssistance calldata x = r.assistance;
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _PROPOSE_WITH_ASSISTANCE_TYPEHASH,
                    _termsHash(r.terms),
                    keccak256(abi.encode(_ASSISTANCE_TYPEHASH, x.profileId, x.retentionPeriod)),
                    r.nonce,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        if (x.profileId > _profileCount) revert AgreementUnknownProfile(x.profileId);
        agreementId = _propose(s, r.terms);
        _assistance[agreementId] = x;
        emit AgreementAssistanceProposed(agreementId, x.profileId, x.retentionPeriod);
        emit AgreementApproved(agreementId, s.jurisdiction, s.memberId);
    }

    /// @inheritdoc IRecognitionAgreements
    function approveAgreement(ApproveAgreementRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_APPROVE_AGREEMENT_TYPEHASH, r.agreementId, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        Agreement storage a = _existingAgreement(r.agreementId);
        bytes2 side = s.jurisdiction;
        if (side == a.terms.from) {
            if (a.approvedByFrom != 0) revert AgreementAlreadyApproved(r.agreementId, side);
            a.approvedByFrom = s.memberId;
        } else if (side == a.terms.to) {
            if (a.approvedByTo != 0) revert AgreementAlreadyApproved(r.agreementId, side);
            a.approvedByTo = s.memberId;
        } else {
            revert AgreementNotParty(r.agreementId, side);
        }
        emit AgreementApproved(r.agreementId, side, s.memberId);
        if (a.approvedByFrom != 0 && a.approvedByTo != 0) {
            a.concludedAt = uint48(block.timestamp);
            _concludedByPair[_pair(a.terms.from, a.terms.to)].push(r.agreementId);
            emit AgreementConcluded(r.agreementId, a.concludedAt);
        }
    }

    /// @inheritdoc IRecognitionAgreements
    function setAgreementSuspended(SetAgreementSuspendedRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_SUSPEND_AGREEMENT_TYPEHASH, r.agreementId, r.suspended, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        Agreement storage a = _existingAgreement(r.agreementId);
        bytes2 side = s.jurisdiction;
        if (side != a.terms.from && side != a.terms.to) revert AgreementNotParty(r.agreementId, side);
        if (a.concludedAt == 0 || a.suspended == r.suspended) revert AgreementStateUnchanged(r.agreementId);
        uint48 nowTs = uint48(block.timestamp);
        Suspension[] storage list = _suspensions[r.agreementId];
        if (r.suspended) {
            list.push(Suspension({since: nowTs, until: 0, by: side}));
        } else {
            Suspension storage last = list[list.length - 1];
            if (last.by != side) revert AgreementNotParty(r.agreementId, side);
            last.until = nowTs;
        }
        a.suspended = r.suspended;
        emit AgreementSuspensionChanged(r.agreementId, r.suspended, s.memberId, nowTs);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecognitionAgreements
    function getAgreement(uint256 agreementId) external view returns (Agreement memory) {
        return _agreements[agreementId];
    }

    /// @inheritdoc IRecognitionAgreements
    function suspensionsOf(uint256 agreementId) external view returns (Suspension[] memory) {
        return _suspensions[agreementId];
    }

    /// @inheritdoc IRecognitionAgreements
    function agreementsBetween(bytes2 from, bytes2 to) external view returns (uint256[] memory) {
        return _concludedByPair[_pair(from, to)];
    }

    /// @inheritdoc IRecognitionAgreements
    function agreementCount() external view returns (uint256) {
        return _agreementCount;
    }

    /// @inheritdoc IRecognitionAgreements
    function agreementInForce(uint256 agreementId, uint8 category, uint48 atTime) public view returns (bool) {
        Agreement storage a = _agreements[agreementId];
        if (category >= 64 || (a.terms.categories >> category) & 1 == 0) return false;
        return _inForce(agreementId, atTime);
    }

    /// @inheritdoc IRecognitionAgreements
    function recognition(bytes2 from, bytes2 to, uint8 category, uint48 atTime) external view returns (bool, uint256) {
        return _find(from, to, category, atTime, false);
    }

    /// @inheritdoc IRecognitionAgreements
    function standingRecognition(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime
    ) external view returns (bool, uint256) {
        return _find(from, to, category, atTime, true);
    }

    /// @inheritdoc IRecognitionAgreements
    function assistanceTerms(
        bytes2 a,
        bytes2 b
    ) external view returns (uint256 agreementId, uint32 responseWindow, uint32 emergencyResponseWindow) {
        agreementId = _assistanceAgreement(a, b);
        AgreementTerms storage t = _agreements[agreementId].terms;
        (responseWindow, emergencyResponseWindow) = (t.responseWindow, t.emergencyResponseWindow);
    }

    /// @inheritdoc IRecognitionAgreements
    function assistanceTermsOf(
        bytes2 a,
        bytes2 b,
        uint32 defaultProfileId
    ) external view returns (AssistanceAgreementTerms memory r) {
        r.agreementId = _assistanceAgreement(a, b);
        AgreementTerms storage t = _agreements[r.agreementId].terms;
        AgreementAssistance storage x = _assistance[r.agreementId];
        (r.responseWindow, r.emergencyResponseWindow, r.retentionPeriod) = (
            t.responseWindow,
            t.emergencyResponseWindow,
            x.retentionPeriod
        );
        uint32 id = x.profileId != 0 ? x.profileId : defaultProfileId;
        r.profileId = id == 0 || id > _profileCount ? SEED_PROFILE : id;
        r.profile = _profiles[r.profileId];
    }

    /// @inheritdoc IRecognitionAgreements
    function agreementAssistance(uint256 agreementId) external view returns (AgreementAssistance memory) {
        return _assistance[agreementId];
    }

    /// @inheritdoc IRecognitionAgreements
    function defineAssistanceProfile(AssistanceProfile calldata profile) external returns (uint32) {
        if (msg.sender != consortium().governance()) revert AgreementNotGovernance(msg.sender);
        if (!isValidAssistanceProfile(profile)) revert AgreementInvalidProfile();
        return _defineProfile(profile);
    }

    /// @inheritdoc IRecognitionAgreements
    function assistanceProfile(uint32 profileId) external view returns (AssistanceProfile memory) {
        return _profiles[profileId];
    }

    /// @inheritdoc IRecognitionAgreements
    function assistanceProfileCount() external view returns (uint32) {
        return _profileCount;
    }

    /// @inheritdoc IRecognitionAgreements
    function isValidAssistanceProfile(AssistanceProfile calldata p) public pure returns (bool) {
        if (
            p.textHash == bytes32(0) ||
            p.sensitiveKinds & ~_KINDS != 0 ||
            p.sensitiveCategories & ~_CATEGORIES != 0 ||
            (p.validationRequired | p.sensitiveValidationRequired) & ~_AUTHORITY_TYPES != 0 ||
            (p.reviewWindow == 0) != (p.emergencyReviewWindow == 0)
        ) return false;
        return
            p.reviewWindow == 0 ||
            (p.sensitiveKinds != 0 && p.sensitiveCategories != 0 && p.responseWindow >= p.reviewWindow);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Checks the terms and the proposer's side, stores the agreement with that side's approval.
    function _propose(Signer memory s, AgreementTerms calldata t) private returns (uint256 agreementId) {
        bool timely = t.minAssurance & Assurance.TIMELY_ANCHOR != 0;
        if (
            !Jurisdictions.isValid(t.from) ||
            !Jurisdictions.isValid(t.to) ||
            t.from == t.to ||
            t.categories == 0 ||
            t.minAssurance & ~Assurance.ALL != 0 ||
            timely != (t.anchorWindow != 0) ||
            (t.expiresAt != 0 && (t.expiresAt <= t.effectiveFrom || t.expiresAt <= block.timestamp))
        ) revert AgreementInvalidTerms();
        agreementId = ++_agreementCount;
        if (s.jurisdiction != t.from && s.jurisdiction != t.to) revert AgreementNotParty(agreementId, s.jurisdiction);
        Agreement storage a = _agreements[agreementId];
        a.terms = t;
        if (s.jurisdiction == t.from) a.approvedByFrom = s.memberId;
        else a.approvedByTo = s.memberId;
        emit AgreementProposed(agreementId, t.from, t.to, s.memberId, t);
    }

    /// @dev Concluded, within its term and not suspended at `atTime` (any category).
    function _inForce(uint256 agreementId, uint48 atTime) private view returns (bool) {
        Agreement storage a = _agreements[agreementId];
        AgreementTerms storage t = a.terms;
        if (
            a.concludedAt == 0 ||
            atTime < a.concludedAt ||
            atTime < t.effectiveFrom ||
            (t.expiresAt != 0 && atTime >= t.expiresAt)
        ) return false;
        Suspension[] storage s = _suspensions[agreementId];
        for (uint256 i = s.length; i > 0; --i) {
            if (s[i - 1].since <= atTime && (s[i - 1].until == 0 || atTime < s[i - 1].until)) return false;
        }
        return true;
    }

    /**
     * @dev The agreement whose assistance terms apply between `a` and `b` now (0 = none): among those in force, in
     * either direction, carrying response windows, a profile or a retention period, the most recently concluded.
     */
    function _assistanceAgreement(bytes2 a, bytes2 b) private view returns (uint256 agreementId) {
        uint48 nowTs = uint48(block.timestamp);
        uint48 bestAt = 0;
        for (uint256 dir = 0; dir < 2; ++dir) {
            uint256[] storage ids = dir == 0 ? _concludedByPair[_pair(a, b)] : _concludedByPair[_pair(b, a)];
            // Newest first: the first one that applies is the most recent of this direction.
            for (uint256 i = ids.length; i > 0; --i) {
                uint256 id = ids[i - 1];
                Agreement storage ag = _agreements[id];
                AgreementAssistance storage x = _assistance[id];
                if (
                    ag.terms.responseWindow == 0 &&
                    ag.terms.emergencyResponseWindow == 0 &&
                    x.profileId == 0 &&
                    x.retentionPeriod == 0
                ) continue;
                if (ag.suspended || !_inForce(id, nowTs)) continue;
                if (ag.concludedAt > bestAt || (ag.concludedAt == bestAt && id > agreementId)) {
                    (bestAt, agreementId) = (ag.concludedAt, id);
                }
                break;
            }
        }
    }

    function _defineProfile(AssistanceProfile memory profile) private returns (uint32 profileId) {
        profileId = ++_profileCount;
        _profiles[profileId] = profile;
        emit AssistanceProfileDefined(profileId, profile);
    }

    function _find(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime,
        bool notSuspendedNow
    ) private view returns (bool, uint256) {
        uint256[] storage ids = _concludedByPair[_pair(from, to)];
        for (uint256 i = ids.length; i > 0; --i) {
            uint256 id = ids[i - 1];
            if (notSuspendedNow && _agreements[id].suspended) continue;
            if (agreementInForce(id, category, atTime)) return (true, id);
        }
        return (false, 0);
    }

    function _termsHash(AgreementTerms calldata t) private pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    abi.encode(_TERMS_TYPEHASH, t.from, t.to, t.categories, t.minAssurance, t.anchorWindow),
                    abi.encode(t.effectiveFrom, t.expiresAt, t.responseWindow, t.emergencyResponseWindow, t.textHash)
                )
            );
    }

    function _existingAgreement(uint256 agreementId) private view returns (Agreement storage a) {
        a = _agreements[agreementId];
        if (a.terms.from == bytes2(0)) revert AgreementUnknown(agreementId);
    }

    function _pair(bytes2 from, bytes2 to) private pure returns (bytes4) {
        return bytes4(bytes.concat(from, to));
    }
}
