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
 * - {assistanceTermsOf}: among the agreements in force now between two jurisdictions, in either direction, that
 *   carry assistance terms (response windows, a deadline profile or a retention period), the most recently concluded
 *   applies; none → the consortium's default profile. The AssistanceDesk applies it.
 *
 * Deadline profiles ({AssistanceProfile}) are data: the two built in at deployment ({SEED_PROFILE}: the seed policy,
 * whose windows are the consortium's governance parameters; {EU_EVIDENCE_PROFILE}: Regulation (EU) 2023/1543) and
 * those governance adds ({defineAssistanceProfile}, by a `DefineAssistanceProfile` proposal). A profile never changes
 * once defined, and is never removed: a request always reads the profile it was issued under.
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

    /**
     * @dev A deadline profile for assistance requests: what an instrument (a regulation, a treaty, the consortium's own
     * policy) prescribes for answering, keeping the data, notifying the enforcing State and pausing for clarification.
     * Request kinds, data categories and issuing authority types are the codes of `IAssistanceDesk` (`Kind`, the data
     * category bits, `IssuingAuthorityType`); a bit `1 << code` stands for a code in a mask. A zero window or retention
     * reads as the consortium's governance parameter (the seed policy's numbers).
     */
    struct AssistanceProfile {
        // Seconds to answer a request (0 = governance parameter, default 72 hours).
        uint32 responseWindow;
        // Seconds to answer an emergency request (0 = governance parameter, default 8 hours).
        uint32 emergencyResponseWindow;
        // Seconds from issue the data is to be kept (0 = governance parameter, default 90 days).
        uint32 retentionPeriod;
        // Seconds the requester may extend the retention by beyond `retentionPeriod` (0 = up to the consortium's
        // maximum). The consortium's maximum from issue caps every profile.
        uint32 retentionExtension;
        // Seconds the enforcing authority has, from issue, to raise grounds for refusal against a sensitive order
        // (0 = no notification).
        uint32 reviewWindow;
        // The same for emergency requests (both or neither).
        uint32 emergencyReviewWindow;
        // An order is sensitive when its kind is one of these (bit 1 << Kind) and it asks for data of
        // `sensitiveCategories`: it is notified (with a review window) and validated per `sensitiveValidationRequired`.
        uint8 sensitiveKinds;
        uint8 sensitiveCategories;
        // Issuing authority types (bit 1 << type) whose orders need a validating authority.
        uint8 validationRequired;
        // Issuing authority types whose sensitive orders need a validating authority.
        uint8 sensitiveValidationRequired;
        // A request for clarification stops the addressee's clock until the requester answers.
        bool clarificationPausesDeadline;
        // keccak256 of the text the profile implements (the instrument and the provisions it follows).
        bytes32 textHash;
    }

    /// @dev An agreement's assistance terms beyond its response windows.
    struct AgreementAssistance {
        // Deadline profile that applies between the two jurisdictions (0 = the consortium's default profile).
        uint32 profileId;
        // Retention from issue for requests between the two (seconds; 0 = the profile's).
        uint32 retentionPeriod;
    }

    /// @dev What {assistanceTermsOf} finds between two jurisdictions.
    struct AssistanceAgreementTerms {
        // The agreement that applies (0 = none).
        uint256 agreementId;
        // Its response windows (0 = the profile's).
        uint32 responseWindow;
        uint32 emergencyResponseWindow;
        // Its retention period (0 = the profile's).
        uint32 retentionPeriod;
        // The profile that applies: the agreement's, else the default given.
        uint32 profileId;
        AssistanceProfile profile;
    }

    /// @dev Signed by a GOVERNOR of `terms.from` or `terms.to`.
    struct ProposeAgreementRequest {
        AgreementTerms terms;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a GOVERNOR of `terms.from` or `terms.to`: an agreement with assistance terms.
    struct ProposeAgreementWithAssistanceRequest {
        AgreementTerms terms;
        AgreementAssistance assistance;
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
    /// @dev A proposed agreement carries assistance terms (emitted with its {AgreementProposed}).
    event AgreementAssistanceProposed(uint256 indexed agreementId, uint32 indexed profileId, uint32 retentionPeriod);
    /// @dev A deadline profile was defined (at deployment, or by governance).
    event AssistanceProfileDefined(uint32 indexed profileId, AssistanceProfile profile);

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
    /// @dev No deadline profile has this id.
    error AgreementUnknownProfile(uint32 profileId);
    /// @dev The deadline profile breaks a rule of {isValidAssistanceProfile}.
    error AgreementInvalidProfile();
    /// @dev Only the consortium's governance defines deadline profiles.
    error AgreementNotGovernance(address caller);

    /// @notice A GOVERNOR of one of the two jurisdictions proposes an agreement; this counts as its side's approval.
    /// @dev Emits {AgreementProposed} and {AgreementApproved}.
    function proposeAgreement(
        ProposeAgreementRequest calldata request,
        bytes calldata signature
    ) external returns (uint256 agreementId);

    /**
     * @notice As {proposeAgreement}, with assistance terms: the deadline profile that applies between the two
     * jurisdictions and, if not the profile's, the retention period.
     * @dev Requirements: as {proposeAgreement}; the profile is 0 or a defined profile.
     *
     * Emits {AgreementProposed}, {AgreementAssistanceProposed} and {AgreementApproved}.
     */
    function proposeAgreementWithAssistance(
        ProposeAgreementWithAssistanceRequest calldata request,
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
     * @notice The assistance response windows between two jurisdictions now: of the agreement {assistanceTermsOf}
     * finds (0s and agreement 0 when none; a zero window means the profile's, then the consortium's default).
     */
    function assistanceTerms(
        bytes2 a,
        bytes2 b
    ) external view returns (uint256 agreementId, uint32 responseWindow, uint32 emergencyResponseWindow);

    /**
     * @notice The assistance terms between two jurisdictions now: the most recently concluded agreement in force
     * between them, in either direction, that carries assistance terms (response windows, a profile or a retention
     * period), with the profile that applies: the agreement's, else `defaultProfileId`, else (0 or undefined) the
     * {SEED_PROFILE}.
     */
    function assistanceTermsOf(
        bytes2 a,
        bytes2 b,
        uint32 defaultProfileId
    ) external view returns (AssistanceAgreementTerms memory);

    /// @notice An agreement's assistance terms beyond its windows (zeros when it has none).
    function agreementAssistance(uint256 agreementId) external view returns (AgreementAssistance memory);

    /**
     * @notice Defines a deadline profile; only the consortium's governance (a passed `DefineAssistanceProfile`
     * proposal).
     * @dev Requirements: the caller is `consortium().governance()`; {isValidAssistanceProfile}.
     *
     * Emits an {AssistanceProfileDefined} event.
     */
    function defineAssistanceProfile(AssistanceProfile calldata profile) external returns (uint32 profileId);

    /// @notice A deadline profile (all zeros for an id no profile has).
    function assistanceProfile(uint32 profileId) external view returns (AssistanceProfile memory);

    /// @notice Number of deadline profiles (ids run from 1 to this).
    function assistanceProfileCount() external view returns (uint32);

    /**
     * @notice Whether a profile keeps the rules every profile keeps: a text hash; known kinds, categories and
     * authority types in its masks; both review windows or neither; with them, sensitive kinds and categories, and a
     * response window the review window fits in.
     */
    function isValidAssistanceProfile(AssistanceProfile calldata profile) external pure returns (bool);
}
