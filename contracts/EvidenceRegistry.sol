// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";

/**
 * @title EvidenceRegistry
 * @notice Evidence anchors (single and Merkle-batched), signed chain of custody, endorsements and retractions.
 */
contract EvidenceRegistry is IEvidenceRegistry, MemberSigned {
    /// @dev Roles that may anchor evidence and batches.
    uint8 private constant _ANCHOR_ROLES = Roles.AGENCY | Roles.COURT | Roles.PLATFORM;
    /// @dev Roles that may endorse foreign evidence.
    uint8 private constant _ENDORSE_ROLES = Roles.AGENCY | Roles.COURT;

    bytes32 private constant _ANCHOR_TYPEHASH = keccak256(
        "AnchorEvidence(bytes32 contentHash,bytes packageCid,uint8 category,bytes2 jurisdiction,bytes32 caseRef,"
        "uint48 collectedAt,bytes32 supersedes,uint48 deadline)"
    );
    bytes32 private constant _BATCH_TYPEHASH = keccak256(
        "AnchorBatch(bytes32 root,uint32 count,bytes manifestCid,uint8 category,bytes2 jurisdiction,uint48 deadline)"
    );
    bytes32 private constant _CUSTODY_TYPEHASH = keccak256(
        "RecordCustody(bytes32 evidenceId,uint8 eventType,uint64 counterparty,uint48 occurredAt,"
        "bytes32 detailsHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _ENDORSE_TYPEHASH = keccak256(
        "Endorse(bytes32 evidenceId,uint8 verdict,bytes32 reportHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _RETRACT_TYPEHASH = keccak256(
        "Retract(bytes32 id,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );

    mapping(bytes32 contentHash => Evidence) private _evidence;
    mapping(bytes32 contentHash => bytes32 newContentHash) private _supersededBy;
    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 evidenceId => Custody) private _custody;
    mapping(bytes32 evidenceId => mapping(uint64 memberId => Endorsement)) private _endorsements;

    constructor(IConsortium consortium_) MemberSigned("crossproof EvidenceRegistry", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEvidenceRegistry
    function anchorEvidence(AnchorRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySigned(
            keccak256(
                abi.encode(
                    _ANCHOR_TYPEHASH,
                    r.contentHash,
                    keccak256(r.packageCid),
                    r.category,
                    r.jurisdiction,
                    r.caseRef,
                    r.collectedAt,
                    r.supersedes,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            _ANCHOR_ROLES
        );
        if (r.contentHash == bytes32(0) || r.packageCid.length == 0) revert EvidenceInvalidRequest();
        _checkClassification(r.category, r.jurisdiction);
        if (r.collectedAt > block.timestamp) revert EvidenceCollectedInFuture(r.collectedAt);
        Evidence storage e = _evidence[r.contentHash];
        if (e.status != EvidenceStatus.None) revert EvidenceAlreadyAnchored(r.contentHash);

        if (r.supersedes != bytes32(0)) {
            Evidence storage old = _activeEvidenceOf(r.supersedes, s.memberId);
            old.status = EvidenceStatus.Superseded;
            _supersededBy[r.supersedes] = r.contentHash;
            emit EvidenceSuperseded(r.supersedes, r.contentHash);
        }
        _evidence[r.contentHash] = Evidence({
            anchoredAt: uint48(block.timestamp),
            collectedAt: r.collectedAt,
            memberId: s.memberId,
            status: EvidenceStatus.Active,
            category: r.category,
            jurisdiction: r.jurisdiction,
            fieldsHash: _fieldsHash(s.key, r.packageCid, r.caseRef)
        });
        emit EvidenceAnchored(
            r.contentHash,
            s.memberId,
            r.caseRef,
            s.key,
            r.packageCid,
            r.category,
            r.jurisdiction,
            r.collectedAt,
            r.supersedes
        );
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(BatchRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySigned(
            keccak256(
                abi.encode(
                    _BATCH_TYPEHASH,
                    r.root,
                    r.count,
                    keccak256(r.manifestCid),
                    r.category,
                    r.jurisdiction,
                    r.deadline
                )
            ),
            signature,
            r.deadline,
            _ANCHOR_ROLES
        );
        if (r.root == bytes32(0) || r.count == 0 || r.manifestCid.length == 0) revert EvidenceInvalidRequest();
        _checkClassification(r.category, r.jurisdiction);
        Batch storage b = _batches[r.root];
        if (b.status != EvidenceStatus.None) revert EvidenceAlreadyAnchored(r.root);
        _batches[r.root] = Batch({
            anchoredAt: uint48(block.timestamp),
            memberId: s.memberId,
            count: r.count,
            status: EvidenceStatus.Active,
            category: r.category,
            jurisdiction: r.jurisdiction
        });
        emit BatchAnchored(r.root, s.memberId, s.key, r.count, r.manifestCid, r.category, r.jurisdiction);
    }

    /// @inheritdoc IEvidenceRegistry
    function recordCustody(CustodyRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(
                    _CUSTODY_TYPEHASH,
                    r.evidenceId,
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
        Evidence storage e = _evidence[r.evidenceId];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknown(r.evidenceId);
        Custody storage c = _custody[r.evidenceId];
        if (c.count == 0) {
            c.custodian = e.memberId;
            c.head = r.evidenceId;
        }
        if (r.occurredAt > block.timestamp || r.occurredAt < c.lastAt) revert CustodyInvalidTime(r.occurredAt);
        _applyCustodyRules(r, s.memberId, c);

        _appendCustody(r, s.memberId, s.key, c);
    }

    /// @inheritdoc IEvidenceRegistry
    function endorse(EndorseRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_ENDORSE_TYPEHASH, r.evidenceId, r.verdict, r.reportHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            _ENDORSE_ROLES,
            r.nonce
        );
        Evidence storage e = _evidence[r.evidenceId];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknown(r.evidenceId);
        if (s.jurisdiction == e.jurisdiction) revert EndorsementNotForeign(r.evidenceId, s.jurisdiction);
        if (r.verdict == Verdict.None || (r.verdict == Verdict.Recognised && e.status != EvidenceStatus.Active)) {
            revert EndorsementInvalidVerdict(r.evidenceId, r.verdict);
        }
        _endorsements[r.evidenceId][s.memberId] = Endorsement({
            verdict: r.verdict,
            at: uint48(block.timestamp),
            reportHash: r.reportHash
        });
        emit EvidenceEndorsed(r.evidenceId, s.memberId, r.verdict, r.reportHash, s.key);
    }

    /// @inheritdoc IEvidenceRegistry
    function retract(RetractRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_RETRACT_TYPEHASH, r.id, r.reasonHash, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.ALL,
            r.nonce
        );
        if (_evidence[r.id].status != EvidenceStatus.None) {
            _activeEvidenceOf(r.id, s.memberId).status = EvidenceStatus.Retracted;
        } else {
            Batch storage b = _batches[r.id];
            if (b.status == EvidenceStatus.None) revert EvidenceUnknown(r.id);
            if (b.memberId != s.memberId) revert EvidenceNotAnchoringMember(r.id, s.memberId);
            if (b.status != EvidenceStatus.Active) revert EvidenceNotActive(r.id, b.status);
            b.status = EvidenceStatus.Retracted;
        }
        emit EvidenceRetracted(r.id, s.memberId, r.reasonHash, s.key);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IEvidenceRegistry
    function getEvidence(bytes32 contentHash) external view returns (Evidence memory) {
        return _evidence[contentHash];
    }

    /// @inheritdoc IEvidenceRegistry
    function supersededBy(bytes32 contentHash) external view returns (bytes32) {
        return _supersededBy[contentHash];
    }

    /// @inheritdoc IEvidenceRegistry
    function recordFieldsMatch(
        bytes32 contentHash,
        address signer,
        bytes calldata packageCid,
        bytes32 caseRef
    ) external view returns (bool) {
        Evidence storage e = _evidence[contentHash];
        return e.status != EvidenceStatus.None && e.fieldsHash == _fieldsHash(signer, packageCid, caseRef);
    }

    /// @inheritdoc IEvidenceRegistry
    function getBatch(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc IEvidenceRegistry
    function batchLeaf(bytes32 recordHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(recordHash))));
    }

    /// @inheritdoc IEvidenceRegistry
    function verifyInclusion(bytes32 root, bytes32 recordHash, bytes32[] calldata proof) external view returns (bool) {
        return
            _batches[root].status == EvidenceStatus.Active &&
            MerkleProof.verifyCalldata(proof, root, batchLeaf(recordHash));
    }

    /// @inheritdoc IEvidenceRegistry
    function custodyOf(bytes32 evidenceId) external view returns (Custody memory c) {
        c = _custody[evidenceId];
        if (c.count == 0) {
            Evidence storage e = _evidence[evidenceId];
            if (e.status != EvidenceStatus.None) {
                c.custodian = e.memberId;
                c.head = evidenceId;
            }
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function custodyEventHash(
        bytes32 previous,
        bytes32 evidenceId,
        uint32 sequence,
        CustodyEventType eventType,
        uint64 actor,
        uint64 counterparty,
        uint48 occurredAt,
        bytes32 detailsHash
    ) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(previous, evidenceId, sequence, eventType, actor, counterparty, occurredAt, detailsHash)
            );
    }

    /// @inheritdoc IEvidenceRegistry
    function endorsementOf(bytes32 evidenceId, uint64 memberId) external view returns (Endorsement memory) {
        return _endorsements[evidenceId][memberId];
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _checkClassification(uint8 category, bytes2 jurisdiction) private pure {
        if (category >= 64) revert EvidenceInvalidCategory(category);
        if (!Jurisdictions.isValid(jurisdiction)) revert EvidenceInvalidJurisdiction(jurisdiction);
    }

    function _fieldsHash(address signer, bytes calldata packageCid, bytes32 caseRef) private pure returns (bytes32) {
        return keccak256(abi.encode(signer, keccak256(packageCid), caseRef));
    }

    function _activeEvidenceOf(bytes32 id, uint64 memberId) private view returns (Evidence storage e) {
        e = _evidence[id];
        if (e.status == EvidenceStatus.None) revert EvidenceUnknown(id);
        if (e.memberId != memberId) revert EvidenceNotAnchoringMember(id, memberId);
        if (e.status != EvidenceStatus.Active) revert EvidenceNotActive(id, e.status);
    }

    /// @dev Chains the event to the previous one and emits it.
    function _appendCustody(CustodyRequest calldata r, uint64 actor, address key, Custody storage c) private {
        bytes32 previous = c.head;
        uint32 sequence = c.count;
        bytes32 eventHash = custodyEventHash(
            previous,
            r.evidenceId,
            sequence,
            r.eventType,
            actor,
            r.counterparty,
            r.occurredAt,
            r.detailsHash
        );
        c.count = sequence + 1;
        c.lastAt = r.occurredAt;
        c.head = eventHash;
        emit CustodyRecorded(
            r.evidenceId,
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

    /// @dev Who may record which custody event, and the transfer state it leaves behind.
    function _applyCustodyRules(CustodyRequest calldata r, uint64 actor, Custody storage c) private {
        CustodyEventType t = r.eventType;
        if (t == CustodyEventType.Received) {
            if (c.pendingRecipient == 0) revert CustodyNoTransferPending(r.evidenceId);
            if (actor != c.pendingRecipient) revert CustodyNotRecipient(r.evidenceId, actor);
            if (r.counterparty != c.custodian) revert CustodyInvalidCounterparty(r.counterparty);
            c.custodian = actor;
            c.pendingRecipient = 0;
            return;
        }
        if (t == CustodyEventType.Accessed) return;
        if (actor != c.custodian) revert CustodyNotCustodian(r.evidenceId, actor);
        if (t == CustodyEventType.TransferCancelled) {
            if (c.pendingRecipient == 0) revert CustodyNoTransferPending(r.evidenceId);
            if (r.counterparty != c.pendingRecipient) revert CustodyInvalidCounterparty(r.counterparty);
            c.pendingRecipient = 0;
            return;
        }
        if (c.pendingRecipient != 0) revert CustodyTransferPending(r.evidenceId, c.pendingRecipient);
        if (t == CustodyEventType.Transferred || t == CustodyEventType.Returned) {
            if (
                r.counterparty == 0 ||
                r.counterparty == actor ||
                consortium().getMember(r.counterparty).status != IConsortium.MemberStatus.Active
            ) revert CustodyInvalidCounterparty(r.counterparty);
            c.pendingRecipient = r.counterparty;
        }
    }
}
