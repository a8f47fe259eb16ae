// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IRecognitionAgreements
 * @notice Bilateral recognition agreements between jurisdictions, after EU trusted lists and the Hague e-Register:
 * evidence of the covered categories collected in `from` is recognised in `to`, under minimum-assurance conditions,
 * from `effectiveFrom` until `expiresAt`. A GOVERNOR of one side proposes (that is its side's approval); a GOVERNOR
 * of the other side approves, which concludes it. Either side may suspend; only the side that suspended resumes.
 * Suspensions are kept as intervals, so the questions below answer truthfully for past times.
 *
 * The rules the rest of crossproof applies, stated once here:
 * - {standingRecognition}: an agreement from the collecting to the recognising jurisdiction that was in force for
 *   the category at the chosen time (by default the record's anchoring time) and is not suspended now. On chain,
 *   `EvidenceRegistry.endorse` accepts a "recognised" endorsement only under such an agreement; the SDK's verifier
 *   applies the same rule by default.
 * - {assistanceTerms}: among the agreements in force now between two jurisdictions, in either direction, that
 *   carry assistance response windows, the most recently concluded applies; none → the consortium's defaults.
 */
interface IRecognitionAgreements is IMemberSigned {
    /// @dev Terms of a recognition agreement: evidence of `categories` collected in `from` is recognised in `to`.
    struct AgreementTerms {
        // Collecting jurisdiction.
        bytes2 from;
        // Recognising jurisdiction.
        bytes2 to;
        // Bitmask of evidence categories covered (bit i = category i).
        uint64 categories;
        // Minimum assurance, see the `Assurance` flags (contracts/base/Common.sol).
        uint8 minAssurance;
        // With TIMELY_ANCHOR: the most seconds between the claimed collection and the anchoring (0 otherwise).
        uint32 anchorWindow;
        // First second the agreement can be in force.
        uint48 effectiveFrom;
        // First second it is no longer in force (0 = no expiry).
        uint48 expiresAt;
        // Deadline to answer an assistance request between the two (seconds; 0 = consortium default).
        uint32 responseWindow;
        // The same for emergency requests (seconds; 0 = consortium default).
        uint32 emergencyResponseWindow;
        // keccak256 of the signed agreement text.
        bytes32 textHash;
    }

    /// @dev A recognition agreement and its approval state.
    struct Agreement {
        AgreementTerms terms;
        // Member of `terms.from` that approved it (0 = not yet).
        uint64 approvedByFrom;
        // Member of `terms.to` that approved it (0 = not yet).
        uint64 approvedByTo;
        // When the second side approved (0 = not yet in force).
        uint48 concludedAt;
        // Suspended now, by either side.
        bool suspended;
    }

    /// @dev A closed or open interval during which an agreement was suspended.
    struct Suspension {
        uint48 since;
        // 0 = still suspended.
        uint48 until;
        // The side that suspended it; only that side can resume it.
        bytes2 by;
    }

    /// @dev Signed by a GOVERNOR of `terms.from` or `terms.to`.
    struct ProposeAgreementRequest {
        AgreementTerms terms;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a GOVERNOR of the other side.
    struct ApproveAgreementRequest {
        uint256 agreementId;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a GOVERNOR of either side.
    struct SetAgreementSuspendedRequest {
        uint256 agreementId;
        bool suspended;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev A recognition agreement was proposed (the proposing side's approval is included).
    event AgreementProposed(
        uint256 indexed agreementId,
        bytes2 indexed from,
        bytes2 indexed to,
        uint64 proposedBy,
        AgreementTerms terms
    );
    /// @dev One side approved an agreement.
    event AgreementApproved(uint256 indexed agreementId, bytes2 indexed side, uint64 indexed memberId);
    /// @dev Both sides approved: the agreement is concluded (in force from `effectiveFrom`).
    event AgreementConcluded(uint256 indexed agreementId, uint48 concludedAt);
    /// @dev An agreement was suspended or resumed by a member of either side.
    event AgreementSuspensionChanged(uint256 indexed agreementId, bool suspended, uint64 indexed memberId, uint48 at);

    /// @dev Agreement terms are invalid (same or unassigned jurisdiction, no category, unknown flag, a TIMELY_ANCHOR
    /// flag without a window or a window without the flag, empty or past term, ...).
    error AgreementInvalidTerms();
    /// @dev No such agreement.
    error AgreementUnknown(uint256 agreementId);
    /// @dev The member's jurisdiction is not a party to the agreement (or not the side that suspended it).
    error AgreementNotParty(uint256 agreementId, bytes2 jurisdiction);
    /// @dev That side already approved the agreement.
    error AgreementAlreadyApproved(uint256 agreementId, bytes2 side);
    /// @dev The agreement is already in the requested suspension state, or not concluded.
    error AgreementStateUnchanged(uint256 agreementId);

    /// @notice A GOVERNOR of one of the two jurisdictions proposes an agreement; this counts as its side's approval.
    /// @dev Emits {AgreementProposed} and {AgreementApproved}.
    function proposeAgreement(
        ProposeAgreementRequest calldata request,
        bytes calldata signature
    ) external returns (uint256 agreementId);

    /// @notice A GOVERNOR of the other jurisdiction approves; the agreement is then concluded.
    /// @dev Emits {AgreementApproved} and {AgreementConcluded}.
    function approveAgreement(ApproveAgreementRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A GOVERNOR of either side suspends a concluded agreement; only a GOVERNOR of the side that suspended
     * it can resume it.
     * @dev Emits {AgreementSuspensionChanged}.
     */
    function setAgreementSuspended(SetAgreementSuspendedRequest calldata request, bytes calldata signature) external;

    /// @notice The agreement.
    function getAgreement(uint256 agreementId) external view returns (Agreement memory);

    /// @notice The agreement's suspension intervals.
    function suspensionsOf(uint256 agreementId) external view returns (Suspension[] memory);

    /// @notice Concluded agreement ids from `from` to `to`, in the order they were concluded.
    function agreementsBetween(bytes2 from, bytes2 to) external view returns (uint256[] memory);

    /// @notice Number of agreements ever proposed.
    function agreementCount() external view returns (uint256);

    /// @notice Whether agreement `agreementId` was in force for `category` at `atTime`.
    function agreementInForce(uint256 agreementId, uint8 category, uint48 atTime) external view returns (bool);

    /**
     * @notice Whether evidence of `category` collected in `from` was recognised in `to` at `atTime`, and under which
     * agreement (the most recently concluded one in force; 0 = none). Different jurisdictions only.
     */
    function recognition(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime
    ) external view returns (bool recognized, uint256 agreementId);

    /**
     * @notice The rule endorsements and the verifier's default time policy apply: an agreement from `from` to `to`
     * in force for `category` at `atTime` and not suspended now (the most recently concluded such; 0 = none).
     */
    function standingRecognition(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime
    ) external view returns (bool recognized, uint256 agreementId);

    /**
     * @notice The assistance deadlines between two jurisdictions now: the most recently concluded agreement in force
     * between them, in either direction, that carries a response window (0s and agreement 0 when none; the caller
     * then applies the consortium's defaults; a zero window in the agreement also means the default).
     */
    function assistanceTerms(
        bytes2 a,
        bytes2 b
    ) external view returns (uint256 agreementId, uint32 responseWindow, uint32 emergencyResponseWindow);
}
