// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IEvidenceRegistry
 * @notice Anchors electronic evidence (one record per evidence package, or a Merkle root over many records), keeps
 * its signed chain of custody, and records foreign members' endorsements, retractions and new versions. Nothing is
 * ever deleted.
 *
 * An evidence record's id is its content hash: the SHA-256 of the canonical (RFC 8785) package manifest. A batch's
 * id is its Merkle root. Storage holds what later writes must check (one packed slot and a commitment to the rest);
 * the full fields are in the events, and {recordFieldsMatch} checks them against the commitment.
 *
 * Every write is an EIP-712 request signed by a member key (see {IMemberSigned}); anchors are unique by themselves
 * and carry no nonce, the other requests do.
 */
interface IEvidenceRegistry is IMemberSigned {
    // ----------------------------------------------------------------------------------------------------------------
    // Types
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Lifecycle of an evidence record or batch.
    enum EvidenceStatus {
        None,
        Active,
        Retracted,
        Superseded
    }

    /// @dev Custody event types, after ISO/IEC 27037 and common chain-of-custody forms.
    enum CustodyEventType {
        Collected,
        Acquired,
        HashVerified,
        Sealed,
        Transferred,
        Received,
        Accessed,
        Analyzed,
        Disclosed,
        Returned,
        TransferCancelled
    }

    /// @dev A foreign member's position on an evidence record.
    enum Verdict {
        None,
        Recognised,
        Challenged
    }

    /// @dev An evidence record as stored (one slot), plus the commitment in a second slot.
    struct Evidence {
        // Block time of anchoring.
        uint48 anchoredAt;
        // Collection time claimed by the anchoring member.
        uint48 collectedAt;
        // The anchoring member.
        uint64 memberId;
        EvidenceStatus status;
        // Evidence category (0-63), the index used in recognition agreements.
        uint8 category;
        // Collecting jurisdiction, ISO 3166-1 alpha-2.
        bytes2 jurisdiction;
        // keccak256(abi.encode(signer, keccak256(packageCid), caseRef)).
        bytes32 fieldsHash;
    }

    /// @dev A Merkle batch as stored (one slot).
    struct Batch {
        uint48 anchoredAt;
        uint64 memberId;
        // Number of records under the root.
        uint32 count;
        EvidenceStatus status;
        uint8 category;
        bytes2 jurisdiction;
    }

    /// @dev Custody state of an evidence record. Before the first event the anchoring member holds it.
    struct Custody {
        // Member holding the evidence now.
        uint64 custodian;
        // Member a pending transfer is addressed to (0 = none pending).
        uint64 pendingRecipient;
        // Number of custody events recorded.
        uint32 count;
        // Time of the last event.
        uint48 lastAt;
        // Hash of the last event (the evidence id before the first event).
        bytes32 head;
    }

    /// @dev A member's endorsement of an evidence record.
    struct Endorsement {
        Verdict verdict;
        uint48 at;
        // Hash of the verification report the member relied on.
        bytes32 reportHash;
    }

    /// @dev Signed request to anchor one evidence package.
    struct AnchorRequest {
        // SHA-256 of the canonical package manifest; becomes the record id.
        bytes32 contentHash;
        // Binary CID of the encrypted package in the content store.
        bytes packageCid;
        uint8 category;
        // Collecting jurisdiction.
        bytes2 jurisdiction;
        // Hash of the case reference (never personal data).
        bytes32 caseRef;
        // Claimed collection time.
        uint48 collectedAt;
        // Earlier record of the same member that this one replaces (0 = none).
        bytes32 supersedes;
        uint48 deadline;
    }

    /// @dev Signed request to anchor a Merkle root over many record hashes.
    struct BatchRequest {
        // Root of an OpenZeppelin standard Merkle tree over `bytes32` record hashes.
        bytes32 root;
        uint32 count;
        // Binary CID of the batch manifest (the list of record hashes and their metadata).
        bytes manifestCid;
        uint8 category;
        bytes2 jurisdiction;
        uint48 deadline;
    }

    /// @dev Signed request to record a custody event.
    struct CustodyRequest {
        bytes32 evidenceId;
        CustodyEventType eventType;
        // Other member involved (recipient of a transfer, sender acknowledged by a receipt; 0 = none).
        uint64 counterparty;
        uint48 occurredAt;
        // Hash of the event's details document (place, seal numbers, tool output, ...).
        bytes32 detailsHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed request to endorse (recognise or challenge) a foreign evidence record.
    struct EndorseRequest {
        bytes32 evidenceId;
        Verdict verdict;
        bytes32 reportHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed request to retract an evidence record or a batch.
    struct RetractRequest {
        bytes32 id;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev An evidence package was anchored.
    event EvidenceAnchored(
        bytes32 indexed contentHash,
        uint64 indexed memberId,
        bytes32 indexed caseRef,
        address signer,
        bytes packageCid,
        uint8 category,
        bytes2 jurisdiction,
        uint48 collectedAt,
        bytes32 supersedes
    );
    /// @dev A Merkle batch was anchored.
    event BatchAnchored(
        bytes32 indexed root,
        uint64 indexed memberId,
        address signer,
        uint32 count,
        bytes manifestCid,
        uint8 category,
        bytes2 jurisdiction
    );
    /// @dev A custody event was recorded; `eventHash` chains it to `previous`.
    event CustodyRecorded(
        bytes32 indexed evidenceId,
        uint32 indexed sequence,
        uint64 indexed actor,
        CustodyEventType eventType,
        uint64 counterparty,
        uint48 occurredAt,
        bytes32 detailsHash,
        address signer,
        bytes32 previous,
        bytes32 eventHash
    );
    /// @dev A foreign member recognised or challenged a record.
    event EvidenceEndorsed(
        bytes32 indexed evidenceId,
        uint64 indexed memberId,
        Verdict verdict,
        bytes32 reportHash,
        address signer
    );
    /// @dev A record or batch was retracted by its anchoring member.
    event EvidenceRetracted(bytes32 indexed id, uint64 indexed memberId, bytes32 reasonHash, address signer);
    /// @dev A record was replaced by a new version.
    event EvidenceSuperseded(bytes32 indexed oldId, bytes32 indexed newId);

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The content hash is already anchored (anchor once).
    error EvidenceAlreadyAnchored(bytes32 contentHash);
    /// @dev No record or batch with that id.
    error EvidenceUnknown(bytes32 id);
    /// @dev A zero hash or root, an empty CID, or a batch without records.
    error EvidenceInvalidRequest();
    /// @dev The category is not 0-63.
    error EvidenceInvalidCategory(uint8 category);
    /// @dev The jurisdiction is not an ISO 3166-1 alpha-2 code.
    error EvidenceInvalidJurisdiction(bytes2 jurisdiction);
    /// @dev The claimed collection time is after the anchoring time.
    error EvidenceCollectedInFuture(uint48 collectedAt);
    /// @dev The record is not active (retracted or superseded).
    error EvidenceNotActive(bytes32 id, EvidenceStatus status);
    /// @dev Only the anchoring member may retract or supersede.
    error EvidenceNotAnchoringMember(bytes32 id, uint64 memberId);
    /// @dev Only the current custodian may record this event.
    error CustodyNotCustodian(bytes32 evidenceId, uint64 memberId);
    /// @dev A transfer is pending; only its receipt or cancellation may be recorded.
    error CustodyTransferPending(bytes32 evidenceId, uint64 recipient);
    /// @dev There is no pending transfer to receive or cancel.
    error CustodyNoTransferPending(bytes32 evidenceId);
    /// @dev Only the member the transfer is addressed to may acknowledge it.
    error CustodyNotRecipient(bytes32 evidenceId, uint64 memberId);
    /// @dev The counterparty is missing, the actor itself, not active, or not the transfer's sender.
    error CustodyInvalidCounterparty(uint64 counterparty);
    /// @dev The event time is in the future or before the previous event.
    error CustodyInvalidTime(uint48 occurredAt);
    /// @dev The endorser must sit in another jurisdiction than the one that collected the evidence.
    error EndorsementNotForeign(bytes32 evidenceId, bytes2 jurisdiction);
    /// @dev Verdict None, or Recognised for a record that is not active.
    error EndorsementInvalidVerdict(bytes32 evidenceId, Verdict verdict);

    // ----------------------------------------------------------------------------------------------------------------
    // Writes (each a signed request, relayed by anyone)
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice Anchors an evidence package; with `supersedes` set, it also marks that earlier record superseded.
     * @dev Requirements: signer an active AGENCY, COURT or PLATFORM member with a key valid now; deadline not
     * passed; content hash not anchored before; valid category, jurisdiction and CID; collection not in the future;
     * a superseded record must be active and anchored by the same member.
     *
     * Emits an {EvidenceAnchored} event (and an {EvidenceSuperseded} event).
     */
    function anchorEvidence(AnchorRequest calldata request, bytes calldata signature) external;

    /**
     * @notice Anchors a Merkle root over `count` record hashes.
     * @dev Same signer rules as {anchorEvidence}; a root is anchored once. Emits a {BatchAnchored} event.
     */
    function anchorBatch(BatchRequest calldata request, bytes calldata signature) external;

    /**
     * @notice Records a custody event, chained to the previous one.
     * @dev Rules: Transferred and Returned open a transfer to `counterparty` (an active member), by the custodian;
     * Received completes it, signed by that recipient with the sender as counterparty; TransferCancelled withdraws
     * it, by the sender; Accessed may be recorded by any member (a recipient decrypting the package); every other
     * type only by the custodian, and none while a transfer is pending. Times never go backwards.
     *
     * Emits a {CustodyRecorded} event.
     */
    function recordCustody(CustodyRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A member of another jurisdiction (AGENCY or COURT) recognises or challenges a record.
     * @dev A later endorsement by the same member replaces its earlier one (both stay in the event log).
     *
     * Emits an {EvidenceEndorsed} event.
     */
    function endorse(EndorseRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The anchoring member retracts an active record or batch, giving the hash of its reasons.
     * @dev Emits an {EvidenceRetracted} event.
     */
    function retract(RetractRequest calldata request, bytes calldata signature) external;

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice The evidence record (status None = not anchored).
    function getEvidence(bytes32 contentHash) external view returns (Evidence memory);

    /// @notice The record that replaced `contentHash` (0 = none).
    function supersededBy(bytes32 contentHash) external view returns (bytes32);

    /// @notice Whether the event fields of a record match the commitment stored with it.
    function recordFieldsMatch(
        bytes32 contentHash,
        address signer,
        bytes calldata packageCid,
        bytes32 caseRef
    ) external view returns (bool);

    /// @notice The batch (status None = not anchored).
    function getBatch(bytes32 root) external view returns (Batch memory);

    /// @notice The Merkle leaf of a record hash, as `@openzeppelin/merkle-tree` builds it for `["bytes32"]` values.
    function batchLeaf(bytes32 recordHash) external pure returns (bytes32);

    /// @notice Whether `recordHash` is in the active batch `root`, given its Merkle proof.
    function verifyInclusion(bytes32 root, bytes32 recordHash, bytes32[] calldata proof) external view returns (bool);

    /// @notice The custody state of a record.
    function custodyOf(bytes32 evidenceId) external view returns (Custody memory);

    /// @notice The hash of a custody event, as emitted and chained.
    function custodyEventHash(
        bytes32 previous,
        bytes32 evidenceId,
        uint32 sequence,
        CustodyEventType eventType,
        uint64 actor,
        uint64 counterparty,
        uint48 occurredAt,
        bytes32 detailsHash
    ) external pure returns (bytes32);

    /// @notice A member's current endorsement of a record.
    function endorsementOf(bytes32 evidenceId, uint64 memberId) external view returns (Endorsement memory);
}
