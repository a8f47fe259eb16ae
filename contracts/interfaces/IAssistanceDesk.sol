// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

/**
 * @title IAssistanceDesk
 * @notice Cross-border assistance requests between members — preserve, produce, take down — with their deadlines
 * and retention periods on record, so that answers, late answers and silence are facts on the ledger. A request may
 * carry the fields of an order under Regulation (EU) 2023/1543 or the Budapest Convention's Second Protocol
 * ({issueOrder}), and go through the steps of those instruments: notification of the enforcing State's authority and
 * its review ({review}), clarification ({requestClarification}, {provideClarification}), impossibility to execute
 * ({reportImpossibility}), partial answers with what is still owed ({answer}). docs/ASSISTANCE.md says where each
 * field and step comes from.
 *
 * Deadlines are not the requester's choice. When a request is issued the desk finds the terms that apply between
 * the requester's and the addressee's jurisdictions, by one rule (`AssistanceOrders.terms`, shown by {termsBetween} and
 * {profileTermsBetween}):
 * - the recognition agreement is the one `RecognitionAgreements.assistanceTermsOf` names: among the agreements in
 *   force now between the two jurisdictions, in either direction, that carry assistance terms (response windows, a
 *   deadline profile, a retention period), the most recently concluded; agreements suspended, expired or not yet
 *   effective are skipped;
 * - the deadline profile is the agreement's, else the governance default ({DEFAULT_PROFILE_KEY}; unset = the seed
 *   policy, profile 1);
 * - each window is the agreement's when not zero, else the profile's when not zero, else the Consortium's governance
 *   parameter: {RESPONSE_WINDOW_KEY} (default 72 hours) or {EMERGENCY_RESPONSE_WINDOW_KEY} (default 8 hours);
 * - the retention period is the agreement's, else the profile's, else {RETENTION_PERIOD_KEY} (default 90 days); it
 *   may be extended up to the profile's extension beyond it, and never beyond {MAX_RETENTION_PERIOD_KEY} (default
 *   365 days) from issue, as governance sets it when extending.
 * The agreement and the profile that applied are stored and emitted with the request.
 *
 * The emergency window is open only to a request that states one of the closed list of {EmergencyReason}s (the
 * grounds of an "emergency situation" in Regulation (EU) 2023/1543, Art. 3(18)) and the hash of its justification;
 * the reason is stored and emitted.
 *
 * Time of an answer. A signed step with a time limit ({answer}, {reportImpossibility}, {requestClarification},
 * {review}) states when it was signed (`signedAt`); the desk records that and the block time, and judges lateness
 * on the signed time — so that a relayer's delay never makes the signer late — but accepts a signed time only
 * within {MAX_RELAY_DELAY_KEY} (default 10 minutes) before the block, and never after it — so that nobody can date
 * an answer back by more than that bound. The legacy {respond} states no time and is judged on the block time.
 *
 * Overdue is derived from time: {stateAt} reads a request that still owes an answer after its deadline as Overdue,
 * without anyone calling anything. An answer after the deadline is accepted and recorded as late.
 *
 * Every transition is an EIP-712 request signed by the acting member's key (see {IMemberSigned}).
 */
interface IAssistanceDesk is IMemberSigned {
    /// @dev PRESERVE: keep the data for the retention period. PRODUCE: hand it over. TAKEDOWN: remove the content.
    enum Kind {
        Preserve,
        Produce,
        Takedown
    }

    /**
     * @dev Why a request is an emergency (8-hour window): the grounds of an "emergency situation" in Regulation
     * (EU) 2023/1543 (e-Evidence), Art. 3(18) — an imminent threat to the life, or to the physical integrity or
     * safety, of a person, or to a critical infrastructure (Directive 2008/114/EC, Art. 2(a)) whose disruption or
     * destruction would result in such a threat. None: not an emergency.
     */
    enum EmergencyReason {
        None,
        ImminentThreatToLife,
        ImminentThreatToPhysicalIntegrityOrSafety,
        CriticalInfrastructure
    }

    /**
     * @dev Stored states, plus Overdue, which is only ever derived from time. A request owes an answer while Issued,
     * Acknowledged, PartiallyFulfilled with something still owed, or AwaitingClarification under a profile whose
     * clarification does not stop the clock.
     */
    enum State {
        None,
        Issued,
        Acknowledged,
        Overdue,
        Fulfilled,
        PartiallyFulfilled,
        Refused,
        Withdrawn,
        // The addressee asked for clarification ({requestClarification}); the requester is to answer.
        AwaitingClarification,
        // The addressee reported that it cannot execute the request ({reportImpossibility}).
        ExecutionImpossible,
        // The enforcing authority raised a ground for refusal in time ({review}).
        RefusedByEnforcingAuthority
    }

    /**
     * @dev Who issued an order. Regulation (EU) 2023/1543, Art. 4: a judge, a court, an investigating judge, a public
     * prosecutor, or another competent authority (whose order a validating authority must validate, Art. 4(1)(b),
     * (2)(b), (3)(b)). Which types need validation is the profile's rule.
     */
    enum IssuingAuthorityType {
        None,
        Judge,
        Court,
        InvestigatingJudge,
        PublicProsecutor,
        OtherCompetentAuthority
    }

    /**
     * @dev The grounds for refusal an enforcing authority may raise after notification: Regulation (EU) 2023/1543,
     * Art. 12(1), points (a) to (d), the closed list.
     */
    enum ReviewGround {
        // No ground: the enforcing authority confirms it raises none (Art. 10(2), second sentence).
        None,
        // (a) the data are protected by immunities or privileges under the enforcing State's law, or covered by its
        // rules on criminal liability relating to freedom of the press or of expression in other media.
        ImmunityOrPrivilege,
        // (b) in exceptional situations, substantial grounds to believe, on specific and objective evidence, that
        // execution would entail a manifest breach of a relevant fundamental right (Art. 6 TEU and the Charter).
        ManifestBreachOfFundamentalRight,
        // (c) execution would be contrary to the principle of ne bis in idem.
        NeBisInIdem,
        // (d) the conduct is not an offence under the enforcing State's law, unless it is in a category of Annex IV,
        // as indicated by the issuing authority, punishable in the issuing State by at least three years.
        DualCriminality
    }

    /**
     * @dev Why an addressee cannot execute a request, or not within the deadline: Regulation (EU) 2023/1543, Annex
     * III ("Information on the impossibility to execute an EPOC or EPOC-PR"), Section D, point 1, in its order.
     * The first three are also the reasons to ask for clarification. A report carries a bitmask: bit `1 << reason`.
     */
    enum ImpossibilityReason {
        None,
        // The order is incomplete.
        Incomplete,
        // It contains manifest errors.
        ManifestErrors,
        // It does not contain sufficient information to execute it.
        InsufficientInformation,
        // It does not concern data stored by or on behalf of the service provider when it was received.
        DataNotStored,
        // Other reasons of de facto impossibility due to circumstances not attributable to the addressee.
        DeFactoImpossibility,
        // It was not issued or validated by an issuing authority as specified in Art. 4.
        IssuingAuthorityNotCompetent,
        // A production order for traffic (not to identify the user) or content data issued for an offence not
        // provided for in Art. 5(4).
        OffenceNotCovered,
        // The service is not covered by the Regulation.
        ServiceNotCovered,
        // The data are protected by immunities or privileges, or by rules relating to freedom of the press or of
        // expression, under the enforcing State's law.
        ImmunityOrPrivilege,
        // Compliance would conflict with the applicable law of a third country (Art. 17).
        ThirdCountryLawConflict
    }

    /// @dev Which rule of {issueOrder} an order breaks (see {AssistanceInvalidOrder}).
    enum OrderDefect {
        None,
        // Unknown issuing authority type, or no issuing authority hash.
        IssuingAuthority,
        // A validating authority missing where the profile needs one, of a type that itself needs validation, or
        // half given.
        ValidatingAuthority,
        // No offence hash.
        Offence,
        // No period of data, a period that ends before it starts, or one that ends in the future.
        DataPeriod,
        // No target identifier.
        Targets,
        // Unknown order flags.
        Flags,
        // Not an ISO 639-1 code (two lower-case letters).
        Language,
        // No order document hash or CID.
        OrderDocument,
        // No enforcing authority where notification is required, one where it is not, or not an active AGENCY or
        // COURT member of the addressee's jurisdiction (other than the requester and the addressee).
        EnforcingAuthority
    }

    /// @dev A request as stored (two packed slots and two hashes).
    struct Request {
        uint64 requester;
        uint64 addressee;
        Kind kind;
        // None unless the request took the emergency window.
        EmergencyReason emergencyReason;
        State state;
        // Bitmask: subscriber 1, traffic 2, content 4, dissemination records 8.
        uint8 dataCategories;
        // Joint jurisdiction: where the work was first uploaded, and where it was mainly disseminated.
        bytes2 firstUpload;
        bytes2 primaryDissemination;
        uint48 issuedAt;
        // Last second an answer is on time.
        uint48 deadline;
        // Data must be kept until this second.
        uint48 retentionUntil;
        uint48 acknowledgedAt;
        uint48 respondedAt;
        // Answered after the deadline.
        bool late;
        // Refusal grounds code (0 unless refused).
        uint8 refusalGrounds;
        // Recognition agreement whose windows applied, found by the desk (0 = governance defaults).
        uint32 agreementId;
        // keccak256 of the request's references (see {IssueRequest}).
        bytes32 referencesHash;
        // SHA-256 of the response package (0 until fulfilled; always 0 when refused).
        bytes32 responseHash;
    }

    /// @dev Signed by the requester (an AGENCY or COURT member). The deadline regime is not part of it.
    struct IssueRequest {
        // Member the request is addressed to (an active AGENCY or PLATFORM member).
        uint64 addressee;
        Kind kind;
        // An {EmergencyReason} code (0 = not an emergency). A uint8 rather than the enum, so that a code off the
        // list is refused with {AssistanceInvalidEmergencyReason} instead of an ABI-decoding revert without data.
        uint8 emergencyReason;
        // Hash of the emergency justification (required for an emergency).
        bytes32 justificationHash;
        bytes32 caseRef;
        // Evidence records (content hashes) the request refers to.
        bytes32[] evidenceIds;
        // Hash of the list of content hashes or URLs concerned.
        bytes32 contentRefsHash;
        uint8 dataCategories;
        bytes2 firstUpload;
        bytes2 primaryDissemination;
        // Hash of the legal basis document.
        bytes32 legalBasisHash;
        // Makes the request id unique; chosen by the requester.
        bytes32 salt;
        uint48 deadline;
    }

    /**
     * @dev The fields of an order (Regulation (EU) 2023/1543, EPOC / EPOC-PR, Annexes I and II; Second Protocol to
     * the Budapest Convention, Art. 7 and 8), signed with the request by the requester (see {issueOrder}).
     */
    struct AssistanceOrder {
        // An {IssuingAuthorityType} code (a uint8 so that a code off the list is refused by name).
        uint8 issuingAuthorityType;
        // Hash of the issuing authority's identification (name, file number, contact).
        bytes32 issuingAuthorityHash;
        // The validating authority's {IssuingAuthorityType} code, where the profile needs one (0 = none).
        uint8 validatingAuthorityType;
        // Hash of the validating authority's identification (0 = none).
        bytes32 validatingAuthorityHash;
        // Member to notify as the enforcing State's authority, where the profile requires it (0 = none).
        uint64 enforcingAuthority;
        // Hash of the offence's description and the statutory provision (text).
        bytes32 offenceHash;
        // The offence's category code (e.g. the category of Annex IV of the Regulation; 0 = none).
        uint8 offenceCategory;
        // Period of the data sought (unix seconds, both included).
        uint48 dataFrom;
        uint48 dataUntil;
        // Hashes of the target identifiers (accounts, IP addresses, ...).
        bytes32[] targets;
        // Bitmask: confidential (the user is not to be informed, Art. 13(2)) 1; offence and person in the issuing
        // State (no notification, Art. 8(2)) 2.
        uint8 flags;
        // ISO 639-1 code of the order's language (two lower-case letters).
        bytes2 language;
        // SHA-256 of the order document package.
        bytes32 orderHash;
        // Binary CID of the (encrypted) order document package.
        bytes orderCid;
        // A non-member the addressee (an OPERATOR member) receives and answers for: hash of its identification
        // (0 = the addressee itself).
        bytes32 onBehalfOf;
    }

    /**
     * @dev What the desk keeps of a request besides {Request}: what later steps check, and a commitment to the order.
     * The signed times, the Annex III reasons and the order's fields are in the events. Its defaults are zeros, so
     * that a request under the seed policy stores none: {getOrder} reads a stored profile 0 as the seed policy (1).
     */
    struct OrderRecord {
        // Deadline profile the request was issued under.
        uint32 profileId;
        // The enforcing authority notified (0 = none).
        uint64 enforcingAuthority;
        // Last second the enforcing authority may raise a ground (0 = no notification).
        uint48 reviewUntil;
        // Signed time of a pending request for clarification (0 = none pending).
        uint48 pausedSince;
        // The latest retention end the profile allows (0 = none of its own: only the consortium's maximum).
        uint48 maxRetentionUntil;
        // The order's flags.
        uint8 flags;
        // The profile keeps the clock running while clarification is awaited (false: it stops it, as the built-in
        // profiles do).
        bool clockRunsWhileClarifying;
        // The enforcing authority reviewed the order, and the ground it raised (None: confirmed no ground).
        bool reviewed;
        ReviewGround reviewGround;
        // Data categories still owed after a partial answer.
        uint8 owedCategories;
        // See {AssistanceOrder}.
        bytes32 onBehalfOf;
        // EIP-712 struct hash of the {AssistanceOrder} (0 = issued without order fields, by {issue}).
        bytes32 orderDigest;
    }

    /// @dev Signed by the addressee.
    struct AcknowledgeRequest {
        bytes32 requestId;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the addressee: Fulfilled, PartiallyFulfilled or Refused.
    struct RespondRequest {
        bytes32 requestId;
        State outcome;
        // SHA-256 of the response package: required unless refused, zero when refused.
        bytes32 responseHash;
        // Binary CID of the (encrypted) response package: required unless refused, empty when refused.
        bytes responseCid;
        // Required when refused, zero otherwise.
        uint8 refusalGrounds;
        uint256 nonce;
        uint48 deadline;
    }

    /**
     * @dev Signed by the addressee: Fulfilled, PartiallyFulfilled or Refused, with the time it signed (see the time
     * rule above). A partial answer states the data categories still owed and the hash of what else is.
     */
    struct AnswerRequest {
        bytes32 requestId;
        State outcome;
        // SHA-256 of the response package: required unless refused, zero when refused.
        bytes32 responseHash;
        // Binary CID of the (encrypted) response package: required unless refused, empty when refused.
        bytes responseCid;
        // Required when refused, zero otherwise.
        uint8 refusalGrounds;
        // PartiallyFulfilled: data categories of the request still owed (0 = nothing more will come).
        uint8 owedCategories;
        // PartiallyFulfilled: hash of the description of what is still owed (0 with nothing owed).
        bytes32 owedHash;
        uint48 signedAt;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the addressee: the order cannot be executed as it stands.
    struct ClarificationRequest {
        bytes32 requestId;
        // Incomplete, ManifestErrors or InsufficientInformation ({ImpossibilityReason} code).
        uint8 reason;
        // Hash of the question (the Annex III form, Section F).
        bytes32 questionHash;
        uint48 signedAt;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the requester: the answer to a request for clarification.
    struct ClarificationAnswer {
        bytes32 requestId;
        // Hash of the clarification (or of the corrected order).
        bytes32 answerHash;
        // Binary CID of the (encrypted) clarification package (may be empty).
        bytes answerCid;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the addressee: why it cannot execute the request (Annex III, Section D).
    struct ImpossibilityReport {
        bytes32 requestId;
        // Bitmask of {ImpossibilityReason}s (bit 1 << reason).
        uint16 reasons;
        // Hash of the explanation (Annex III, Section D point 2, and Section E for a third country's law).
        bytes32 detailsHash;
        uint48 signedAt;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the notified enforcing authority, within its review window.
    struct ReviewRequest {
        bytes32 requestId;
        // A {ReviewGround} code (0 = it raises none).
        uint8 ground;
        // Hash of its reasons.
        bytes32 reasonsHash;
        uint48 signedAt;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the requester.
    struct WithdrawRequest {
        bytes32 requestId;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the requester.
    struct ExtendRetentionRequest {
        bytes32 requestId;
        uint48 retentionUntil;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev What a request issued now between two jurisdictions gets, with its profile, see {profileTermsBetween}.
    struct ProfileTerms {
        // Recognition agreement whose terms apply (0 = none).
        uint32 agreementId;
        // Deadline profile that applies.
        uint32 profileId;
        // The windows and periods, resolved (seconds).
        uint32 responseWindow;
        uint32 emergencyResponseWindow;
        uint32 retentionPeriod;
        // The longest retention from issue that extensions may reach now.
        uint32 maxRetentionPeriod;
        uint32 reviewWindow;
        uint32 emergencyReviewWindow;
        // The profile's masks and rule (see `IRecognitionAgreements.AssistanceProfile`).
        uint8 sensitiveKinds;
        uint8 sensitiveCategories;
        uint8 validationRequired;
        uint8 sensitiveValidationRequired;
        bool clarificationPausesDeadline;
    }

    /// @dev What a request issued now between two jurisdictions gets (seconds), see {termsBetween}.
    struct AssistanceTerms {
        // Recognition agreement whose windows apply (0 = governance defaults only).
        uint32 agreementId;
        uint32 responseWindow;
        uint32 emergencyResponseWindow;
        // Retention from issue (already capped by `maxRetentionPeriod`).
        uint32 retentionPeriod;
        // The longest retention from issue that extensions may reach.
        uint32 maxRetentionPeriod;
    }

    /// @dev A request was issued, under agreement `agreementId` (0 = governance defaults).
    event AssistanceRequested(
        bytes32 indexed requestId,
        uint64 indexed requester,
        uint64 indexed addressee,
        Kind kind,
        EmergencyReason emergencyReason,
        uint48 deadline,
        uint48 retentionUntil,
        uint32 agreementId,
        bytes32 caseRef,
        bytes32[] evidenceIds,
        bytes32 contentRefsHash,
        uint8 dataCategories,
        bytes2 firstUpload,
        bytes2 primaryDissemination,
        bytes32 legalBasisHash,
        bytes32 justificationHash
    );
    /// @dev The addressee acknowledged receipt (`late`: after the deadline).
    event AssistanceAcknowledged(bytes32 indexed requestId, uint64 indexed addressee, bool late);
    /// @dev The addressee answered.
    event AssistanceAnswered(
        bytes32 indexed requestId,
        uint64 indexed addressee,
        State outcome,
        bool late,
        bytes32 responseHash,
        bytes responseCid,
        uint8 refusalGrounds
    );
    /// @dev The requester withdrew an open request.
    event AssistanceWithdrawn(bytes32 indexed requestId, uint64 indexed requester, bytes32 reasonHash);
    /// @dev The requester extended the retention period.
    event RetentionExtended(bytes32 indexed requestId, uint48 retentionUntil);
    /**
     * @dev A request was issued under deadline profile `profileId` (emitted with every {AssistanceRequested});
     * `maxRetentionUntil` is the profile's own retention limit (0 = only the consortium's maximum).
     */
    event AssistanceProfileApplied(bytes32 indexed requestId, uint32 indexed profileId, uint48 maxRetentionUntil);
    /// @dev A request was issued with order fields; `reviewUntil` is 0 without notification.
    event AssistanceOrderIssued(
        bytes32 indexed requestId,
        uint64 indexed enforcingAuthority,
        bytes32 indexed onBehalfOf,
        uint48 reviewUntil,
        AssistanceOrder order
    );
    /// @dev An answer by {answer}: when it was signed and recorded, and what is still owed (emitted with its
    /// {AssistanceAnswered}).
    event AssistanceAnsweredAt(
        bytes32 indexed requestId,
        uint48 signedAt,
        uint48 recordedAt,
        uint8 owedCategories,
        bytes32 owedHash
    );
    /// @dev The addressee asked for clarification.
    event ClarificationRequested(
        bytes32 indexed requestId,
        uint64 indexed addressee,
        ImpossibilityReason reason,
        bytes32 questionHash,
        uint48 signedAt
    );
    /// @dev The requester answered a request for clarification; `deadline` is the request's deadline now.
    event ClarificationProvided(
        bytes32 indexed requestId,
        uint64 indexed requester,
        bytes32 answerHash,
        bytes answerCid,
        uint48 deadline
    );
    /// @dev The addressee reported that it cannot execute the request.
    event ImpossibilityReported(
        bytes32 indexed requestId,
        uint64 indexed addressee,
        uint16 reasons,
        bytes32 detailsHash,
        bool late,
        uint48 signedAt
    );
    /// @dev The enforcing authority reviewed the order (`ground` None: it raises none). `refused`: the request ended
    /// (it still owed an answer); otherwise a ground objects to the use of data already produced.
    event AssistanceReviewed(
        bytes32 indexed requestId,
        uint64 indexed enforcingAuthority,
        ReviewGround ground,
        bool refused,
        bytes32 reasonsHash,
        uint48 signedAt
    );

    /// @dev The request id is taken.
    error AssistanceAlreadyExists(bytes32 requestId);
    /// @dev No such request.
    error AssistanceUnknown(bytes32 requestId);
    /// @dev The addressee is not an active AGENCY or PLATFORM member, or is the requester.
    error AssistanceInvalidAddressee(uint64 addressee);
    /// @dev The emergency reason code is not on the list of {EmergencyReason}s.
    error AssistanceInvalidEmergencyReason(uint8 emergencyReason);
    /// @dev An emergency request needs a justification hash.
    error AssistanceJustificationRequired();
    /// @dev A jurisdiction is not an ISO 3166-1 alpha-2 code, data categories are out of range, or a hash is missing.
    error AssistanceInvalidRequest();
    /// @dev Only the addressee may acknowledge or answer.
    error AssistanceNotAddressee(bytes32 requestId, uint64 memberId);
    /// @dev Only the requester may withdraw or extend retention.
    error AssistanceNotRequester(bytes32 requestId, uint64 memberId);
    /// @dev The request is not in a state that allows this (answered, refused, withdrawn, already acknowledged).
    error AssistanceInvalidState(bytes32 requestId, State state);
    /**
     * @dev The outcome is not Fulfilled, PartiallyFulfilled or Refused; an answer misses its response hash or CID,
     * or carries refusal grounds; a refusal misses its grounds, or carries a response hash or CID.
     */
    error AssistanceInvalidOutcome(State outcome);
    /// @dev The addressee already answered another request with this response package hash.
    error AssistanceResponseReused(uint64 addressee, bytes32 responseHash);
    /// @dev The new retention end is not later than the current one, or retention has ended.
    error AssistanceInvalidRetention(uint48 retentionUntil);
    /// @dev The new retention end is beyond the maximum retention from issue.
    error AssistanceRetentionBeyondMaximum(uint48 retentionUntil, uint48 maxRetentionUntil);
    /// @dev The order breaks the rule `defect` names (see {OrderDefect}).
    error AssistanceInvalidOrder(OrderDefect defect);
    /// @dev The signed time is after the block, or more than the maximum relay delay before it.
    error AssistanceSignedTimeOutOfRange(uint48 signedAt, uint48 blockTime, uint48 maxRelayDelay);
    /// @dev Data may not be produced before the enforcing authority's review ends or it confirms no ground.
    error AssistanceUnderReview(bytes32 requestId, uint48 reviewUntil);
    /// @dev Only the notified enforcing authority reviews the order.
    error AssistanceNotEnforcingAuthority(bytes32 requestId, uint64 memberId);
    /// @dev The review window has ended, or the order was already reviewed.
    error AssistanceReviewClosed(bytes32 requestId, uint48 reviewUntil);
    /// @dev A reason, reason set or ground code off its list, or not one this step takes.
    error AssistanceInvalidReason(uint16 code);

    /**
     * @notice Issues a request, under the terms that apply between the two members' jurisdictions now (see
     * {termsBetween}); the signer's own jurisdiction is the requester's.
     * @dev Requirements:
     * - signed by a valid key of an active AGENCY or COURT member;
     * - the addressee is another active AGENCY or PLATFORM member;
     * - `emergencyReason` is an {EmergencyReason} code, and a non-zero one comes with a justification hash;
     * - assigned jurisdiction codes, known data categories, a legal basis hash; a request id not taken.
     *
     * Emits an {AssistanceRequested} event.
     */
    function issue(IssueRequest calldata request, bytes calldata signature) external returns (bytes32 requestId);

    /**
     * @notice Issues a request with the fields of an order (see {AssistanceOrder}), under the same terms as {issue};
     * notifies the enforcing authority where the profile requires it.
     * @dev Requirements: as {issue} (data categories may include the identification bit 16), and:
     * - an issuing authority of a known type; a validating authority where the profile requires one for that type
     *   (for a sensitive order: of one of the profile's sensitive kinds, asking for data of its sensitive
     *   categories), of a type that needs none;
     * - an offence hash, a period of data that has ended, at least one target, known flags, an ISO 639-1 language,
     *   the order document's hash and CID;
     * - notification is required when the profile has a review window and the order is sensitive and not flagged
     *   domestic (Art. 8(2)); then `enforcingAuthority` is an active AGENCY or
     *   COURT member of the addressee's jurisdiction other than the requester and the addressee, otherwise it is 0;
     * - with `onBehalfOf`, the addressee is an active OPERATOR member (it answers for a non-member; otherwise
     *   {AssistanceInvalidAddressee}).
     * Otherwise reverts with {AssistanceInvalidOrder} naming the rule.
     *
     * Emits {AssistanceRequested}, {AssistanceProfileApplied} and {AssistanceOrderIssued} events.
     */
    function issueOrder(
        IssueRequest calldata request,
        AssistanceOrder calldata order,
        bytes calldata signature
    ) external returns (bytes32 requestId);

    /**
     * @notice The addressee acknowledges receipt.
     * @dev Requirements: signed by the addressee (nonce consumed); the request is Issued.
     *
     * Emits an {AssistanceAcknowledged} event.
     */
    function acknowledge(AcknowledgeRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The addressee answers (possibly late, possibly without acknowledging first), judged on the block time;
     * {answer} states the signed time instead.
     * @dev Requirements:
     * - signed by the addressee (nonce consumed); the request owes an answer (Issued or Acknowledged, or
     *   PartiallyFulfilled with something owed; overdue or not);
     * - Fulfilled or PartiallyFulfilled: a response hash the addressee has not used for another request, a CID,
     *   no refusal grounds; not while the enforcing authority's review runs ({AssistanceUnderReview});
     * - Refused: refusal grounds, and neither a response hash nor a CID (a refusal cannot reserve a hash).
     *
     * Emits an {AssistanceAnswered} event.
     */
    function respond(RespondRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The addressee answers, stating when it signed: judged on that time within the relay bound (see above).
     * A partial answer may state what is still owed; the request then still owes it, and further answers may follow.
     * @dev Requirements: as {respond}, and:
     * - the signed time is at most the block time and at least the block time less {MAX_RELAY_DELAY_KEY};
     * - the request owes an answer (Issued, Acknowledged, or PartiallyFulfilled with something owed);
     * - PartiallyFulfilled: `owedCategories` among the request's categories, with an `owedHash` exactly when not 0;
     *   otherwise both 0;
     * - data (Fulfilled, PartiallyFulfilled) only once the enforcing authority's review has ended or it confirmed no
     *   ground, except in emergencies ({AssistanceUnderReview}).
     *
     * Emits {AssistanceAnswered} and {AssistanceAnsweredAt} events.
     */
    function answer(AnswerRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The addressee asks the requester for clarification: the order is incomplete, has manifest errors or
     * lacks information. Under a profile that says so, the clock stops until the requester answers.
     * @dev Requirements: signed by the addressee (nonce consumed), signed time within the relay bound and not after
     * the deadline; the request is Issued or Acknowledged; `reason` is Incomplete, ManifestErrors or
     * InsufficientInformation.
     *
     * Emits a {ClarificationRequested} event.
     */
    function requestClarification(ClarificationRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The requester answers a request for clarification; the clock resumes (at this block), the deadline
     * moved by the time it stood still when the profile stops it.
     * @dev Requirements: signed by the requester (nonce consumed); the request is AwaitingClarification; an answer
     * hash.
     *
     * Emits a {ClarificationProvided} event.
     */
    function provideClarification(ClarificationAnswer calldata request, bytes calldata signature) external;

    /**
     * @notice The addressee reports that it cannot execute the request, with the Annex III reasons; the request
     * ends. Judged late or not on the signed time (a pending clarification's pause counted).
     * @dev Requirements: signed by the addressee (nonce consumed), signed time within the relay bound; the request
     * owes an answer or awaits clarification; `reasons` is a non-empty set of {ImpossibilityReason}s.
     *
     * Emits an {ImpossibilityReported} event.
     */
    function reportImpossibility(ImpossibilityReport calldata request, bytes calldata signature) external;

    /**
     * @notice The notified enforcing authority confirms it raises no ground, or raises one of the Art. 12(1)
     * grounds, within its review window. A ground ends a request that still owes an answer
     * (RefusedByEnforcingAuthority); after data was produced (in emergencies) it is recorded as an objection to
     * their use (Art. 10(4)).
     * @dev Requirements: signed by the request's enforcing authority (nonce consumed), signed time within the relay
     * bound and at most `reviewUntil`; not reviewed before; the request owes an answer, awaits clarification or was
     * (partially) fulfilled; `ground` is a {ReviewGround} code.
     *
     * Emits an {AssistanceReviewed} event.
     */
    function review(ReviewRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The requester withdraws an open request.
     * @dev Requirements: signed by the requester (nonce consumed); the request owes an answer or awaits
     * clarification.
     *
     * Emits an {AssistanceWithdrawn} event.
     */
    function withdraw(WithdrawRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The requester extends the retention period.
     * @dev Requirements:
     * - signed by the requester (nonce consumed); the request was neither refused nor withdrawn;
     * - retention has not ended, and the new end is later than the current one;
     * - the new end is at most the profile's limit (retention period plus extension from issue), and at most
     *   `issuedAt` + {MAX_RETENTION_PERIOD_KEY} (as governance sets it now; default 365 days).
     *
     * Emits a {RetentionExtended} event.
     */
    function extendRetention(ExtendRetentionRequest calldata request, bytes calldata signature) external;

    /// @notice The stored request.
    function getRequest(bytes32 requestId) external view returns (Request memory);

    /// @notice What the desk keeps of a request besides {getRequest}: profile, order, steps.
    function getOrder(bytes32 requestId) external view returns (OrderRecord memory);

    /// @notice The request's state at `atTime`: Overdue when it still owes an answer after its deadline.
    function stateAt(bytes32 requestId, uint48 atTime) external view returns (State);

    /// @notice The id a request gets: keccak256(abi.encode(requesterMemberId, addressee, salt)).
    function requestIdOf(uint64 requester, uint64 addressee, bytes32 salt) external pure returns (bytes32);

    /// @notice The request that `addressee` answered with the response package `responseHash` (0 = none).
    function requestAnsweredWith(uint64 addressee, bytes32 responseHash) external view returns (bytes32);

    /**
     * @notice The terms a request issued now by a member of `requesterJurisdiction` to a member of
     * `addresseeJurisdiction` gets: the agreement found by the rule stated above (0 = none) with its non-zero windows,
     * governance parameters for the rest. {issue} applies exactly these.
     */
    function termsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (AssistanceTerms memory);

    /**
     * @notice The terms, with the deadline profile, a request issued now by a member of `requesterJurisdiction` to a
     * member of `addresseeJurisdiction` gets: what {issue} and {issueOrder} apply.
     */
    function profileTermsBetween(
        bytes2 requesterJurisdiction,
        bytes2 addresseeJurisdiction
    ) external view returns (ProfileTerms memory);

    /// @notice Number of requests a member issued (`asAddressee` false) or received (true).
    function requestCount(uint64 memberId, bool asAddressee) external view returns (uint256);

    /**
     * @notice Open requests (owing an answer) of a member (addressee or requester) at `atTime`, scanning `limit`
     * entries from `offset` of its list: all open ones, or only those overdue, or only those due within `dueWithin`
     * seconds.
     * @param filter 0 = open, 1 = overdue, 2 = due soon (open, not overdue, deadline ≤ atTime + dueWithin).
     */
    function openRequests(
        uint64 memberId,
        bool asAddressee,
        uint8 filter,
        uint48 atTime,
        uint48 dueWithin,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes32[] memory ids);
}
