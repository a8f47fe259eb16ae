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
    bytes32 private constant _TERMS_TYPEHASH = keccak256(
        "AgreementTerms(bytes2 from,bytes2 to,uint64 categories,uint8 minAssurance,uint32 anchorWindow,"
        "uint48 effectiveFrom,uint48 expiresAt,uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _PROPOSE_AGREEMENT_TYPEHASH = keccak256(
        "ProposeAgreement(AgreementTerms terms,uint256 nonce,uint48 deadline)AgreementTerms(bytes2 from,bytes2 to,"
        "uint64 categories,uint8 minAssurance,uint32 anchorWindow,uint48 effectiveFrom,uint48 expiresAt,"
        "uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
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

    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof RecognitionAgreements", consortium_, consortium_.consortiumId()) {}

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
        AgreementTerms calldata t = r.terms;
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
        uint48 nowTs = uint48(block.timestamp);
        uint48 bestAt = 0;
        for (uint256 dir = 0; dir < 2; ++dir) {
            uint256[] storage ids = dir == 0 ? _concludedByPair[_pair(a, b)] : _concludedByPair[_pair(b, a)];
            // Newest first: the first one that applies is the most recent of this direction.
            for (uint256 i = ids.length; i > 0; --i) {
                uint256 id = ids[i - 1];
                Agreement storage ag = _agreements[id];
                if (ag.terms.responseWindow == 0 && ag.terms.emergencyResponseWindow == 0) continue;
                if (ag.suspended || !_inForce(id, nowTs)) continue;
                if (ag.concludedAt > bestAt || (ag.concludedAt == bestAt && id > agreementId)) {
                    (bestAt, agreementId) = (ag.concludedAt, id);
                    (responseWindow, emergencyResponseWindow) = (
                        ag.terms.responseWindow,
                        ag.terms.emergencyResponseWindow
                    );
                }
                break;
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

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
