// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Assurance, Jurisdictions} from "./base/Common.sol";

/**
 * @title EvidenceRegistry
 * @notice Evidence anchors (single and Merkle-batched) per member, signed chain of custody, endorsements under
 * recognition agreements, and retractions (see {IEvidenceRegistry}).
 */
contract EvidenceRegistry is IEvidenceRegistry, MemberSigned {
    /// @dev Roles that may anchor evidence and batches.
    uint8 private constant _ANCHOR_ROLES = Roles.AGENCY | Roles.COURT | Roles.PLATFORM;
    /// @dev Roles that may endorse foreign evidence.
    uint8 private constant _ENDORSE_ROLES = Roles.AGENCY | Roles.COURT;

    bytes32 private constant _ANCHOR_TYPEHASH = keccak256(
        "AnchorEvidence(bytes32 contentHash,bytes packageCid,uint8 category,bytes2 firstUpload,"
        "bytes2 primaryDissemination,bytes32 caseRef,uint48 collectedAt,bytes32 supersedes,uint48 deadline)"
    );
    bytes32 private constant _BATCH_TYPEHASH = keccak256(
        "AnchorBatch(bytes32 root,uint32 count,bytes manifestCid,uint8 category,uint48 deadline)"
    );
    bytes32 private constant _CUSTODY_TYPEHASH = keccak256(
        "RecordCustody(bytes32 recordId,uint8 eventType,uint64 counterparty,uint48 occurredAt,"
        "bytes32 detailsHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _ENDORSE_TYPEHASH = keccak256(
        "Endorse(bytes32 recordId,uint8 verdict,bytes32 reportHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _RETRACT_EVIDENCE_TYPEHASH = keccak256(
        "RetractEvidence(bytes32 recordId,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _RETRACT_BATCH_TYPEHASH = keccak256(
        "RetractBatch(bytes32 batchId,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );

    mapping(bytes32 recordId => Evidence) private _evidence;
    mapping(bytes32 recordId => bytes32 newRecordId) private _supersededBy;
    mapping(bytes32 batchId => Batch) private _batches;
    mapping(bytes32 recordId => Custody) private _custody;
    /// @dev Members that received a record's package (bit `memberId % 256` of word `memberId / 256`), besides its
    /// anchoring member: receivers of a transfer and added recipients.
    mapping(bytes32 recordId => mapping(uint256 word => uint256 bits)) private _recipients;
    mapping(bytes32 recordId => mapping(uint64 memberId => Endorsement)) private _endorsements;

    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof EvidenceRegistry", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEvidenceRegistry
    function anchorEvidence(AnchorRequest calldata r, bytes calldata signature) external returns (bytes32 recordId) {
        Signer memory s = _verifySigned(_anchorStructHash(r), signature, r.deadline, _ANCHOR_ROLES);
        if (r.contentHash == bytes32(0) || r.packageCid.length == 0) revert EvidenceInvalidRequest();
        _checkCategory(r.category);
        if (!Jurisdictions.isValidOrUnset(r.firstUpload)) revert EvidenceInvalidJurisdiction(r.firstUpload);
        if (!Jurisdictions.isValidOrUnset(r.primaryDissemination)) {
            revert EvidenceInvalidJurisdiction(r.primaryDissemination);
        }
        if (r.collectedAt > block.timestamp) revert EvidenceCollectedInFuture(r.collectedAt);
        recordId = recordIdOf(s.memberId, r.contentHash);
        if (_evidence[recordId].status != EvidenceStatus.None) revert EvidenceAlreadyAnchored(recordId);

        if (r.supersedes != bytes32(0)) {
            _activeEvidenceOf(r.supersedes, s.memberId).status = EvidenceStatus.Superseded;
            _supersededBy[r.supersedes] = recordId;
            emit EvidenceSuperseded(r.supersedes, recordId);
        }
        _evidence[recordId] = Evidence({
            anchoredAt: uint48(block.timestamp),
            collectedAt: r.collectedAt,
            memberId: s.memberId,
            status: EvidenceStatus.Active,
            category: r.category,
            jurisdiction: s.jurisdiction,
            firstUpload: r.firstUpload,
            primaryDissemination: r.primaryDissemination,
            fieldsHash: _fieldsHash(s.key, r.packageCid, r.caseRef)
        });
        emit EvidenceAnchored(
            recordId,
            r.contentHash,
            s.memberId,
            s.key,
            r.packageCid,
            r.category,
            s.jurisdiction,
            r.firstUpload,
            r.primaryDissemination,
            r.caseRef,
            r.collectedAt,
            r.supersedes
        );
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(BatchRequest calldata r, bytes calldata signature) external returns (bytes32 batchId) {
        Signer memory s = _verifySigned(
            keccak256(abi.encode(_BATCH_TYPEHASH, r.root, r.count, keccak256(r.manifestCid), r.category, r.deadline)),
            signature,
            r.deadline,
            _ANCHOR_ROLES
        );
        if (r.root == bytes32(0) || r.count == 0 || r.manifestCid.length == 0) revert EvidenceInvalidRequest();
        _checkCategory(r.category);
        batchId = batchIdOf(s.memberId, r.root);
        if (_batches[batchId].status != EvidenceStatus.None) revert EvidenceBatchAlreadyAnchored(batchId);
        _batches[batchId] = Batch({
            anchoredAt: uint48(block.timestamp),
            memberId: s.memberId,
            count: r.count,
            status: EvidenceStatus.Active,
            category: r.category,
            jurisdiction: s.jurisdiction
        });
        emit BatchAnchored(batchId, r.root, s.memberId, s.key, r.count, r.manifestCid, r.category, s.jurisdiction);
    }

    /// @inheritdoc IEvidenceRegistry
    function recordCustody(CustodyRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _CUSTODY_TYPEHASH,
                    r.recordId,
                    r.eventType,
                    r.counterparty,
                    r.occurredAt,
                    r.detailsHash,
                    r.nonce,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Evidence storage e = _evidence[r.recordId];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknownRecord(r.recordId);
        if (r.occurredAt > block.timestamp) revert CustodyTimeInFuture(r.occurredAt);
        if (r.occurredAt < e.collectedAt) revert CustodyBeforeCollection(r.recordId, r.occurredAt, e.collectedAt);
        Custody storage c = _custody[r.recordId];
        bool movesClock = _applyCustodyRules(r, s.memberId, e.memberId, c);
        _appendCustody(r, s.memberId, s.key, c, movesClock);
    }

    /// @inheritdoc IEvidenceRegistry
    function endorse(EndorseRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_ENDORSE_TYPEHASH, r.recordId, r.verdict, r.reportHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            _ENDORSE_ROLES,
            r.nonce
        );
        Evidence storage e = _evidence[r.recordId];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknownRecord(r.recordId);
        if (r.verdict == Verdict.None) revert EndorsementInvalidVerdict(r.recordId, r.verdict);
        if (s.memberId == e.memberId) revert EndorsementByAnchoringMember(r.recordId, s.memberId);
        if (s.jurisdiction == e.jurisdiction) revert EndorsementNotForeign(r.recordId, s.jurisdiction);
        uint256 agreementId = 0;
        if (r.verdict == Verdict.Recognized) {
            if (e.status != EvidenceStatus.Active) revert EvidenceNotActive(r.recordId, e.status);
            agreementId = _recognizingAgreement(r.recordId, e, s.jurisdiction);
        }
        _endorsements[r.recordId][s.memberId] = Endorsement({
            verdict: r.verdict,
            at: uint48(block.timestamp),
            agreementId: SafeCast.toUint64(agreementId),
            reportHash: r.reportHash
        });
        emit EvidenceEndorsed(r.recordId, s.memberId, agreementId, r.verdict, r.reportHash, s.key);
    }

    /// @inheritdoc IEvidenceRegistry
    function retractEvidence(RetractEvidenceRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_RETRACT_EVIDENCE_TYPEHASH, r.recordId, r.reasonHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        _activeEvidenceOf(r.recordId, s.memberId).status = EvidenceStatus.Retracted;
        emit EvidenceRetracted(r.recordId, s.memberId, r.reasonHash, s.key);
    }

    /// @inheritdoc IEvidenceRegistry
    function retractBatch(RetractBatchRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_RETRACT_BATCH_TYPEHASH, r.batchId, r.reasonHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        Batch storage b = _batches[r.batchId];
        if (b.status == EvidenceStatus.None) revert EvidenceUnknownBatch(r.batchId);
        if (b.memberId != s.memberId) revert EvidenceNotAnchoringMember(r.batchId, s.memberId);
        if (b.status != EvidenceStatus.Active) revert EvidenceNotActive(r.batchId, b.status);
        b.status = EvidenceStatus.Retracted;
        emit BatchRetracted(r.batchId, s.memberId, r.reasonHash, s.key);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEvidenceRegistry
    function recordIdOf(uint64 memberId, bytes32 contentHash) public pure returns (bytes32) {
        return keccak256(abi.encode(memberId, contentHash));
    }

    /// @inheritdoc IEvidenceRegistry
    function batchIdOf(uint64 memberId, bytes32 root) public pure returns (bytes32) {
        return keccak256(abi.encode(memberId, root));
    }

    /// @inheritdoc IEvidenceRegistry
    function getEvidence(bytes32 recordId) external view returns (Evidence memory) {
        return _evidence[recordId];
    }

    /// @inheritdoc IEvidenceRegistry
    function supersededBy(bytes32 recordId) external view returns (bytes32) {
        return _supersededBy[recordId];
    }

    /// @inheritdoc IEvidenceRegistry
    function recordFieldsMatch(
        bytes32 recordId,
        address signer,
        bytes calldata packageCid,
        bytes32 caseRef
    ) external view returns (bool) {
        Evidence storage e = _evidence[recordId];
        return e.status != EvidenceStatus.None && e.fieldsHash == _fieldsHash(signer, packageCid, caseRef);
    }

    /// @inheritdoc IEvidenceRegistry
    function getBatch(bytes32 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @inheritdoc IEvidenceRegistry
    function batchLeaf(bytes32 recordHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(recordHash))));
    }

    /**
     * @inheritdoc IEvidenceRegistry
     * @dev The root is not stored: the proof's root, with the batch's member, must hash to the batch id.
     */
    function verifyInclusion(
        bytes32 batchId,
        bytes32 recordHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        Batch storage b = _batches[batchId];
        return
            b.status == EvidenceStatus.Active &&
            batchIdOf(b.memberId, MerkleProof.processProofCalldata(proof, batchLeaf(recordHash))) == batchId;
    }

    /// @inheritdoc IEvidenceRegistry
    function custodyOf(bytes32 recordId) external view returns (Custody memory c) {
        c = _custody[recordId];
        if (c.count == 0) {
            Evidence storage e = _evidence[recordId];
            if (e.status != EvidenceStatus.None) {
                c.custodian = e.memberId;
                c.head = recordId;
            }
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function isRecipient(bytes32 recordId, uint64 memberId) external view returns (bool) {
        Evidence storage e = _evidence[recordId];
        return e.status != EvidenceStatus.None && _isRecipient(recordId, memberId, e.memberId);
    }

    /// @inheritdoc IEvidenceRegistry
    function custodyEventHash(
        bytes32 previous,
        bytes32 recordId,
        uint32 sequence,
        CustodyEventType eventType,
        uint64 actor,
        uint64 counterparty,
        uint48 occurredAt,
        bytes32 detailsHash
    ) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(previous, recordId, sequence, eventType, actor, counterparty, occurredAt, detailsHash)
            );
    }

    /// @inheritdoc IEvidenceRegistry
    function endorsementOf(bytes32 recordId, uint64 memberId) external view returns (Endorsement memory) {
        return _endorsements[recordId][memberId];
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _anchorStructHash(AnchorRequest calldata r) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _ANCHOR_TYPEHASH,
                    r.contentHash,
                    keccak256(r.packageCid),
                    r.category,
                    r.firstUpload,
                    r.primaryDissemination,
                    r.caseRef,
                    r.collectedAt,
                    r.supersedes,
                    r.deadline
                )
            );
    }

    function _checkCategory(uint8 category) private pure {
        if (category >= 64) revert EvidenceInvalidCategory(category);
    }

    function _fieldsHash(address signer, bytes calldata packageCid, bytes32 caseRef) private pure returns (bytes32) {
        return keccak256(abi.encode(signer, keccak256(packageCid), caseRef));
    }

    function _activeEvidenceOf(bytes32 recordId, uint64 memberId) private view returns (Evidence storage e) {
        e = _evidence[recordId];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknownRecord(recordId);
        if (e.memberId != memberId) revert EvidenceNotAnchoringMember(recordId, memberId);
        if (e.status != EvidenceStatus.Active) revert EvidenceNotActive(recordId, e.status);
    }

    function _isRecipient(bytes32 recordId, uint64 memberId, uint64 anchoringMember) private view returns (bool) {
        return memberId == anchoringMember || (_recipients[recordId][memberId >> 8] >> (memberId & 0xff)) & 1 == 1;
    }

    function _addRecipient(bytes32 recordId, uint64 memberId) private {
        _recipients[recordId][memberId >> 8] |= uint256(1) << (memberId & 0xff);
    }

    /// @dev Reverts unless `counterparty` is an active member other than `actor`.
    function _checkCounterparty(uint64 counterparty, uint64 actor) private view {
        if (
            counterparty == 0 ||
            counterparty == actor ||
            consortium().getMember(counterparty).status != IConsortium.MemberStatus.Active
        ) revert CustodyInvalidCounterparty(counterparty);
    }

    /**
     * @dev Who may record which custody event and when, and the state it leaves behind. Returns whether the event
     * moves the custody clock (`lastAt`).
     */
    function _applyCustodyRules(
        CustodyRequest calldata r,
        uint64 actor,
        uint64 anchoringMember,
        Custody storage c
    ) private returns (bool movesClock) {
        CustodyEventType t = r.eventType;
        if (c.count == 0) {
            // The chain starts: Collected or Acquired, by the anchoring member, not before the collection.
            if (t != CustodyEventType.Collected && t != CustodyEventType.Acquired) {
                revert CustodyInvalidFirstEvent(r.recordId, t);
            }
            if (actor != anchoringMember) revert CustodyNotCustodian(r.recordId, actor);
            c.custodian = actor;
            c.startedAt = r.occurredAt;
            return true;
        }
        // Sharing events: after the start of the chain, never moving the clock, allowed while a transfer is pending.
        if (t == CustodyEventType.Accessed || t == CustodyEventType.RecipientAdded) {
            if (t == CustodyEventType.Accessed) {
                if (!_isRecipient(r.recordId, actor, anchoringMember))
                    revert CustodyAccessNotGranted(r.recordId, actor);
            } else {
                if (actor != anchoringMember && actor != c.custodian) revert CustodyNotCustodian(r.recordId, actor);
                _checkCounterparty(r.counterparty, actor);
                _addRecipient(r.recordId, r.counterparty);
            }
            if (r.occurredAt < c.startedAt) revert CustodyBeforeChainStart(r.recordId, r.occurredAt, c.startedAt);
            return false;
        }
        if (r.occurredAt < c.lastAt) revert CustodyBeforePreviousEvent(r.recordId, r.occurredAt, c.lastAt);
        if (t == CustodyEventType.Received) {
            if (c.pendingRecipient == 0) revert CustodyNoTransferPending(r.recordId);
            if (actor != c.pendingRecipient) revert CustodyNotTransferRecipient(r.recordId, actor);
            if (r.counterparty != c.custodian) revert CustodyInvalidCounterparty(r.counterparty);
            c.custodian = actor;
            c.pendingRecipient = 0;
            _addRecipient(r.recordId, actor);
            return true;
        }
        if (actor != c.custodian) revert CustodyNotCustodian(r.recordId, actor);
        if (t == CustodyEventType.TransferCanceled) {
            if (c.pendingRecipient == 0) revert CustodyNoTransferPending(r.recordId);
            if (r.counterparty != c.pendingRecipient) revert CustodyInvalidCounterparty(r.counterparty);
            c.pendingRecipient = 0;
            return true;
        }
        if (c.pendingRecipient != 0) revert CustodyTransferPending(r.recordId, c.pendingRecipient);
        if (t == CustodyEventType.Transferred || t == CustodyEventType.Returned) {
            _checkCounterparty(r.counterparty, actor);
            c.pendingRecipient = r.counterparty;
        }
        return true;
    }

    /// @dev Chains the event to the previous one (the first to the record id) and emits it.
    function _appendCustody(
        CustodyRequest calldata r,
        uint64 actor,
        address key,
        Custody storage c,
        bool movesClock
    ) private {
        uint32 sequence = c.count;
        bytes32 previous = sequence == 0 ? r.recordId : c.head;
        bytes32 eventHash = custodyEventHash(
            previous,
            r.recordId,
            sequence,
            r.eventType,
            actor,
            r.counterparty,
            r.occurredAt,
            r.detailsHash
        );
        c.count = sequence + 1;
        if (movesClock) c.lastAt = r.occurredAt;
        c.head = eventHash;
        emit CustodyRecorded(
            r.recordId,
            sequence,
            actor,
            r.eventType,
            r.counterparty,
            r.occurredAt,
            r.detailsHash,
            key,
            previous,
            eventHash
        );
    }

    /**
     * @dev The agreement under which the endorser's jurisdiction `to` recognizes the record: found by
     * {IRecognitionAgreements-standingRecognition} at the anchoring time, with its minimum-assurance flags that are
     * evaluable on chain met. BATCH_PROOF_ALLOWED is left to the SDK's verifier (an endorsement names a single
     * anchor, never a batch inclusion).
     */
    function _recognizingAgreement(
        bytes32 recordId,
        Evidence storage e,
        bytes2 to
    ) private view returns (uint256 agreementId) {
        IRecognitionAgreements agreements = IRecognitionAgreements(consortium().agreements());
        bool found = false;
        if (address(agreements) != address(0)) {
            (found, agreementId) = agreements.standingRecognition(e.jurisdiction, to, e.category, e.anchoredAt);
        }
        if (!found) revert EndorsementNoAgreement(recordId, e.jurisdiction, to, e.category);
        IRecognitionAgreements.AgreementTerms memory terms = agreements.getAgreement(agreementId).terms;
        if (terms.minAssurance & Assurance.COMPLETE_CUSTODY != 0) {
            // Custody recorded (its first event is always Collected or Acquired) and no transfer awaiting receipt.
            Custody storage c = _custody[recordId];
            if (c.count == 0 || c.pendingRecipient != 0) {
                revert EndorsementAssuranceNotMet(recordId, agreementId, Assurance.COMPLETE_CUSTODY);
            }
        }
        if (terms.minAssurance & Assurance.TIMELY_ANCHOR != 0 && e.anchoredAt - e.collectedAt > terms.anchorWindow) {
            revert EndorsementAssuranceNotMet(recordId, agreementId, Assurance.TIMELY_ANCHOR);
        }
    }
}
