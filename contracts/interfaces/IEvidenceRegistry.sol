// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IEvidenceRegistry
 * @notice Anchors electronic evidence (one record per evidence package, or a Merkle root over many records), keeps
 * its signed chain of custody, and records foreign members' endorsements, retractions and new versions. Nothing is
 * ever deleted.
 *
 * Records are per member: the record id is {recordIdOf}`(memberId, contentHash)`, where the content hash is the
 * SHA-256 of the canonical (RFC 8785) package manifest. No member can take another's content hash first, nor make
 * another's record read as retracted or superseded: several members may anchor the same content, each under its own
 * record id, and the list of every anchor of a content hash is in the {EvidenceAnchored} events (indexed by content
 * hash), not in storage. Batches are per member too ({batchIdOf}`(memberId, root)`) and live in their own id space:
 * a record and a batch never share a mapping, a retraction or a proof, even when their ids are equal.
 *
 * The collecting jurisdiction of a record is always its anchoring member's own (as the Consortium states it), never
 * a field of the request. Storage holds what later writes must check (one packed slot and a commitment to the rest);
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

    /**
     * @dev Custody event types, after ISO/IEC 27037 and common chain-of-custody forms. Every type moves the custody
     * clock (times of the custodian's events never go backwards) except the two sharing events, Accessed and
     * RecipientAdded, which only have to fall between the start of the chain and now.
     */
    enum CustodyEventType {
        // The evidence was collected (the usual first event).
        Collected,
        // The evidence was acquired (imaged, exported, seized; the other possible first event).
        Acquired,
        HashVerified,
        Sealed,
        // Opens a transfer to `counterparty`; completed by its Received.
        Transferred,
        // The recipient of a pending transfer acknowledges it and becomes custodian.
        Received,
        // A member that received the package decrypted it (anchoring member, receiver of a transfer, added recipient).
        Accessed,
        Analyzed,
        Disclosed,
        // Opens a transfer back to `counterparty`, like Transferred.
        Returned,
        // The sender withdraws a pending transfer.
        TransferCanceled,
        // The anchoring member or the custodian shared the package with `counterparty` (envelope re-wrapped; the
        // details hash commits to the new package CID). The recipient may then record Accessed.
        RecipientAdded
    }

    /// @dev A foreign member's position on an evidence record.
    enum Verdict {
        None,
        Recognized,
        Challenged
    }

    /// @dev An evidence record as stored: one packed slot (28 bytes), plus the commitment in a second slot.
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
        // Collecting jurisdiction: the anchoring member's own, ISO 3166-1 alpha-2.
        bytes2 jurisdiction;
        // Where the content was first uploaded (joint-jurisdiction fact; 0x0000 = not stated).
        bytes2 firstUpload;
        // Where it was mainly disseminated (joint-jurisdiction fact; 0x0000 = not stated).
        bytes2 primaryDissemination;
        // keccak256(abi.encode(signer, keccak256(packageCid), caseRef)).
        bytes32 fieldsHash;
    }

    /// @dev A Merkle batch as stored (one slot). The root itself is in the {BatchAnchored} event and in the batch id.
    struct Batch {
        uint48 anchoredAt;
        uint64 memberId;
        // Number of records under the root.
        uint32 count;
        EvidenceStatus status;
        uint8 category;
        // Collecting jurisdiction: the anchoring member's own.
        bytes2 jurisdiction;
    }

    /// @dev Custody state of an evidence record (one slot plus the head). Before the first event the anchoring
    /// member holds the evidence and no custody is recorded.
    struct Custody {
        // Member holding the evidence now.
        uint64 custodian;
        // Member a pending transfer is addressed to (0 = none pending).
        uint64 pendingRecipient;
        // Number of custody events recorded (0 = no custody recorded).
        uint32 count;
        // Time of the last event that moves the custody clock (every type but Accessed and RecipientAdded).
        uint48 lastAt;
        // Time of the first event, the start of the chain (0 = not started).
        uint48 startedAt;
        // Hash of the last event (the record id before the first event).
        bytes32 head;
    }

    /// @dev A member's endorsement of an evidence record (one slot plus the report hash).
    struct Endorsement {
        Verdict verdict;
        uint48 at;
        // The recognition agreement a Recognized verdict was given under (0 for Challenged).
        uint64 agreementId;
        // Hash of the verification report the member relied on.
        bytes32 reportHash;
    }

    /// @dev Signed request to anchor one evidence package. The collecting jurisdiction is the signer's member's own.
    struct AnchorRequest {
        // SHA-256 of the canonical package manifest; with the signer's member id it makes the record id.
        bytes32 contentHash;
        // Binary CID of the encrypted package in the content store.
        bytes packageCid;
        // Evidence category (0-63).
        uint8 category;
        // Where the content was first uploaded (0x0000 = not stated; otherwise an assigned ISO 3166-1 alpha-2 code).
        bytes2 firstUpload;
        // Where it was mainly disseminated (0x0000 = not stated; otherwise an assigned code).
        bytes2 primaryDissemination;
        // Hash of the case reference (never personal data).
        bytes32 caseRef;
        // Claimed collection time (not after the anchoring).
        uint48 collectedAt;
        // Record id of an earlier record of the same member that this one replaces (0 = none).
        bytes32 supersedes;
        uint48 deadline;
    }

    /// @dev Signed request to anchor a Merkle root over many record hashes.
    struct BatchRequest {
        // Root of an OpenZeppelin standard Merkle tree over `bytes32` record hashes.
        bytes32 root;
        // Number of records under the root.
        uint32 count;
        // Binary CID of the batch manifest (the list of record hashes and their metadata).
        bytes manifestCid;
        // Evidence category (0-63).
        uint8 category;
        uint48 deadline;
    }

    /// @dev Signed request to record a custody event.
    struct CustodyRequest {
        bytes32 recordId;
        CustodyEventType eventType;
        // Other member involved: recipient of a transfer or of a share, sender acknowledged by a receipt (0 = none).
        uint64 counterparty;
        uint48 occurredAt;
        // Hash of the event's details document (place, seal numbers, tool output, new package CID, ...).
        bytes32 detailsHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed request to endorse (recognize or challenge) a foreign evidence record.
    struct EndorseRequest {
        bytes32 recordId;
        Verdict verdict;
        // Hash of the verification report the endorsing member relied on.
        bytes32 reportHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed request to retract an evidence record.
    struct RetractEvidenceRequest {
        bytes32 recordId;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed request to retract a batch.
    struct RetractBatchRequest {
        bytes32 batchId;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev An evidence package was anchored. Filtering on `contentHash` lists every member's anchor of a content.
    event EvidenceAnchored(
        bytes32 indexed recordId,
        bytes32 indexed contentHash,
        uint64 indexed memberId,
        address signer,
        bytes packageCid,
        uint8 category,
        bytes2 jurisdiction,
        bytes2 firstUpload,
        bytes2 primaryDissemination,
        bytes32 caseRef,
        uint48 collectedAt,
        bytes32 supersedes
    );
    /// @dev A Merkle batch was anchored.
    event BatchAnchored(
        bytes32 indexed batchId,
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
        bytes32 indexed recordId,
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
    /// @dev A foreign member recognized (under `agreementId`) or challenged (agreement 0) a record.
    event EvidenceEndorsed(
        bytes32 indexed recordId,
        uint64 indexed memberId,
        uint256 indexed agreementId,
        Verdict verdict,
        bytes32 reportHash,
        address signer
    );
    /// @dev A record was retracted by its anchoring member.
    event EvidenceRetracted(bytes32 indexed recordId, uint64 indexed memberId, bytes32 reasonHash, address signer);
    /// @dev A batch was retracted by its anchoring member.
    event BatchRetracted(bytes32 indexed batchId, uint64 indexed memberId, bytes32 reasonHash, address signer);
    /// @dev A record was replaced by a new version of the same member.
    event EvidenceSuperseded(bytes32 indexed oldRecordId, bytes32 indexed newRecordId);

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The member already anchored this content hash (a record is anchored once).
    error EvidenceAlreadyAnchored(bytes32 recordId);
    /// @dev The member already anchored this root.
    error EvidenceBatchAlreadyAnchored(bytes32 batchId);
    /// @dev No record with that id.
    error EvidenceUnknownRecord(bytes32 recordId);
    /// @dev No batch with that id.
    error EvidenceUnknownBatch(bytes32 batchId);
    /// @dev A zero hash or root, an empty CID, or a batch without records.
    error EvidenceInvalidRequest();
    /// @dev The category is not 0-63.
    error EvidenceInvalidCategory(uint8 category);
    /// @dev A joint-jurisdiction fact is neither 0x0000 (not stated) nor an assigned ISO 3166-1 alpha-2 code.
    error EvidenceInvalidJurisdiction(bytes2 jurisdiction);
    /// @dev The claimed collection time is after the anchoring time.
    error EvidenceCollectedInFuture(uint48 collectedAt);
    /// @dev The record or batch is not active (retracted or superseded).
    error EvidenceNotActive(bytes32 id, EvidenceStatus status);
    /// @dev Only the anchoring member may retract or supersede a record, or retract a batch.
    error EvidenceNotAnchoringMember(bytes32 id, uint64 memberId);

    /// @dev The first custody event must be Collected or Acquired (by the anchoring member).
    error CustodyInvalidFirstEvent(bytes32 recordId, CustodyEventType eventType);
    /// @dev Only the current custodian may record this event (the anchoring member before the first event; for
    /// RecipientAdded, the anchoring member too).
    error CustodyNotCustodian(bytes32 recordId, uint64 memberId);
    /// @dev Only a member that received the package (anchoring member, receiver of a transfer, added recipient) may
    /// record Accessed.
    error CustodyAccessNotGranted(bytes32 recordId, uint64 memberId);
    /// @dev A transfer is pending; only its receipt or cancellation (or a sharing event) may be recorded.
    error CustodyTransferPending(bytes32 recordId, uint64 recipient);
    /// @dev There is no pending transfer to receive or cancel.
    error CustodyNoTransferPending(bytes32 recordId);
    /// @dev Only the member the transfer is addressed to may acknowledge it.
    error CustodyNotTransferRecipient(bytes32 recordId, uint64 memberId);
    /// @dev The counterparty is missing, the actor itself, not active, or not the transfer's sender or recipient.
    error CustodyInvalidCounterparty(uint64 counterparty);
    /// @dev The event time is after the current block time.
    error CustodyTimeInFuture(uint48 occurredAt);
    /// @dev No custody event can predate the record's claimed collection time.
    error CustodyBeforeCollection(bytes32 recordId, uint48 occurredAt, uint48 collectedAt);
    /// @dev A sharing event (Accessed, RecipientAdded) cannot predate the first custody event.
    error CustodyBeforeChainStart(bytes32 recordId, uint48 occurredAt, uint48 startedAt);
    /// @dev A custody event cannot predate the previous event that moved the custody clock.
    error CustodyBeforePreviousEvent(bytes32 recordId, uint48 occurredAt, uint48 lastAt);

    /// @dev Verdict None.
    error EndorsementInvalidVerdict(bytes32 recordId, Verdict verdict);
    /// @dev The anchoring member cannot endorse its own record.
    error EndorsementByAnchoringMember(bytes32 recordId, uint64 memberId);
    /// @dev The endorser must sit in another jurisdiction than the one that collected the evidence.
    error EndorsementNotForeign(bytes32 recordId, bytes2 jurisdiction);
    /// @dev No agreement from the collecting to the endorser's jurisdiction covering the record's category was in
    /// force at its anchoring and is not suspended now ({IRecognitionAgreements-standingRecognition}).
    error EndorsementNoAgreement(bytes32 recordId, bytes2 from, bytes2 to, uint8 category);
    /// @dev The record does not meet one of the agreement's minimum-assurance flags (`flag`, see `Assurance`).
    error EndorsementAssuranceNotMet(bytes32 recordId, uint256 agreementId, uint8 flag);

    // ----------------------------------------------------------------------------------------------------------------
    // Writes (each a signed request, relayed by anyone)
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice Anchors an evidence package under the signer's member, in the member's own jurisdiction; with
     * `supersedes` set, it also marks that earlier record of the same member superseded.
     * @dev Requirements:
     * - the signer is an active AGENCY, COURT or PLATFORM member with a key valid now; the deadline has not passed;
     * - the member has not anchored this content hash before (other members' anchors of it do not matter);
     * - category 0-63, non-zero content hash, non-empty CID, collection not in the future;
     * - `firstUpload` and `primaryDissemination` each 0x0000 or an assigned ISO 3166-1 alpha-2 code;
     * - a superseded record is active and the same member's.
     *
     * Returns the new record id ({recordIdOf}`(signer's member id, contentHash)`).
     *
     * Emits an {EvidenceAnchored} event (and an {EvidenceSuperseded} event).
     */
    function anchorEvidence(
        AnchorRequest calldata request,
        bytes calldata signature
    ) external returns (bytes32 recordId);

    /**
     * @notice Anchors a Merkle root over `count` record hashes under the signer's member.
     * @dev Same signer rules as {anchorEvidence}; a member anchors a root once. Returns the new batch id
     * ({batchIdOf}`(signer's member id, root)`).
     *
     * Emits a {BatchAnchored} event.
     */
    function anchorBatch(BatchRequest calldata request, bytes calldata signature) external returns (bytes32 batchId);

    /**
     * @notice Records a custody event, chained to the previous one.
     * @dev Rules:
     * - the first event is Collected or Acquired, by the anchoring member;
     * - no event predates the record's collection time or is in the future; events that move the custody clock
     *   (all but Accessed and RecipientAdded) do not predate the previous such event; Accessed and RecipientAdded
     *   do not predate the first event and never move the clock (a late access cannot block the custodian);
     * - Transferred and Returned open a transfer to `counterparty` (an active member), by the custodian;
     *   Received completes it, signed by that recipient with the sender as counterparty; TransferCanceled
     *   withdraws it, by the sender; while a transfer is pending nothing else but the sharing events is recorded;
     * - RecipientAdded, by the anchoring member or the custodian, records `counterparty` (an active member) as a
     *   recipient of the package;
     * - Accessed only by a member that received the package: the anchoring member, a member that acknowledged a
     *   transfer, or an added recipient;
     * - every other type only by the custodian.
     *
     * Emits a {CustodyRecorded} event.
     */
    function recordCustody(CustodyRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A member of another jurisdiction (AGENCY or COURT) recognizes or challenges a record.
     * @dev Requirements, for both verdicts: the endorser is not the anchoring member and sits in another
     * jurisdiction than the record's. For Recognized, also:
     * - the record is active;
     * - {IRecognitionAgreements-standingRecognition}(record jurisdiction, endorser jurisdiction, category,
     *   anchoredAt) finds an agreement, whose id is recorded;
     * - the agreement's minimum-assurance flags evaluable on chain are met: COMPLETE_CUSTODY (custody recorded —
     *   which always starts with Collected or Acquired — and no transfer pending) and TIMELY_ANCHOR
     *   (`anchoredAt - collectedAt <= anchorWindow`). BATCH_PROOF_ALLOWED concerns records proven only by Merkle
     *   inclusion; an endorsement names a single anchor, so the flag is not evaluated here but by the SDK's verifier.
     *
     * A later endorsement by the same member replaces its earlier one (both stay in the event log).
     *
     * Emits an {EvidenceEndorsed} event.
     */
    function endorse(EndorseRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The anchoring member retracts an active record, giving the hash of its reasons.
     * @dev Emits an {EvidenceRetracted} event.
     */
    function retractEvidence(RetractEvidenceRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The anchoring member retracts an active batch, giving the hash of its reasons.
     * @dev Emits a {BatchRetracted} event.
     */
    function retractBatch(RetractBatchRequest calldata request, bytes calldata signature) external;

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice The record id of `contentHash` anchored by `memberId`: keccak256(abi.encode(memberId, contentHash)).
    function recordIdOf(uint64 memberId, bytes32 contentHash) external pure returns (bytes32);

    /// @notice The batch id of `root` anchored by `memberId`: keccak256(abi.encode(memberId, root)).
    function batchIdOf(uint64 memberId, bytes32 root) external pure returns (bytes32);

    /// @notice The evidence record (status None = not anchored).
    function getEvidence(bytes32 recordId) external view returns (Evidence memory);

    /// @notice The record that replaced `recordId` (0 = none).
    function supersededBy(bytes32 recordId) external view returns (bytes32);

    /// @notice Whether the event fields of a record match the commitment stored with it.
    function recordFieldsMatch(
        bytes32 recordId,
        address signer,
        bytes calldata packageCid,
        bytes32 caseRef
    ) external view returns (bool);

    /// @notice The batch (status None = not anchored).
    function getBatch(bytes32 batchId) external view returns (Batch memory);

    /// @notice The Merkle leaf of a record hash, as `@openzeppelin/merkle-tree` builds it for `["bytes32"]` values.
    function batchLeaf(bytes32 recordHash) external pure returns (bytes32);

    /// @notice Whether `recordHash` is in the active batch `batchId`, given its Merkle proof.
    function verifyInclusion(
        bytes32 batchId,
        bytes32 recordHash,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice The custody state of a record.
    function custodyOf(bytes32 recordId) external view returns (Custody memory);

    /// @notice Whether `memberId` may record Accessed for the record (anchoring member, receiver, added recipient).
    function isRecipient(bytes32 recordId, uint64 memberId) external view returns (bool);

    /// @notice The hash of a custody event, as emitted and chained.
    function custodyEventHash(
        bytes32 previous,
        bytes32 recordId,
        uint32 sequence,
        CustodyEventType eventType,
        uint64 actor,
        uint64 counterparty,
        uint48 occurredAt,
        bytes32 detailsHash
    ) external pure returns (bytes32);

    /// @notice A member's current endorsement of a record.
    function endorsementOf(bytes32 recordId, uint64 memberId) external view returns (Endorsement memory);
}
