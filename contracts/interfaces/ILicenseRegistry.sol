// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";
import {IWorkDisputes} from "./IWorkDisputes.sol";

/**
 * @title ILicenseRegistry
 * @notice Copyright works, their rights holders (with assignment history), and licensing chains
 * work → licence → sublicence, checked at grant time and verifiable at any time in one call.
 *
 * Rights holders, licensors and licensees are accounts — plain keys or contract wallets (EIP-1271) — that sign for
 * themselves (EIP-712); they need not be consortium members. A REGISTRY member may register a work on a rights
 * holder's behalf. Anyone may relay.
 *
 * Territories are sets of ISO 3166-1 alpha-2 codes, held as a 676-bit set (one bit per two-letter code, bit
 * (c1 - 'A') * 26 + (c2 - 'A')) in three words, or "worldwide".
 *
 * Chains are at most {MAX_CHAIN_DEPTH} licences deep (the root licence, granted by the rights holder, has depth 1).
 *
 * Time. A licence never starts before the block that grants it, unless its licensor signed `backdated` — allowed
 * for root licences only, and never before the licensor held the work. Back-dating is thus a fact the licensor
 * states, stored with the licence and emitted, never a silent default; `start` 0 means "from the grant's block".
 *
 * Exclusivity. A licence's grant type is never stronger than its parent's (Exclusive > Sole > NonExclusive), so
 * every ancestor of an exclusive or sole licence is itself exclusive or sole and contains its scope (rights,
 * territories, term). Two licences in different branches therefore meet, at the top of their branches, in two
 * siblings — two children of the same licence, or two root licences of the same work — and the scope of the branch
 * below each sibling is inside that sibling. So a grant is checked against its **siblings** only: the live exclusive
 * and sole children of its own parent (for a root licence: the work's live exclusive and sole root licences). The
 * grant is refused when it overlaps one of them in rights, territories (worldwide overlaps everything) and time,
 * time meaning the sibling's lock [start, min(end, revokedAt)). Siblings share their licensor, so a sole sibling
 * binds exactly like an exclusive one; at root level a sole licence binds the work's holder, whoever that is after
 * an assignment. A restrictive licence's lock ends when it is revoked or expires, and with it the lock of its whole
 * branch: its descendants are never compared with anything outside it, and nothing can be granted below a revoked
 * or expired licence.
 *
 * Bound. Each parent (each work, for root licences) keeps the list of its live exclusive and sole children; every
 * grant below that parent scans that list only, removing the entries whose lock has ended (swap and pop), and a new
 * exclusive or sole grant is refused once {MAX_RESTRICTIVE_SIBLINGS} live entries are there. A grant therefore reads
 * at most MAX_RESTRICTIVE_SIBLINGS entries whatever anyone else does; only a parent's licensee fills its list (a
 * sublicensee can block only its own further grants) and only the rights holders fill a work's root list. When a
 * root entry is removed its lock end raises the work's {backdatingHorizon}: a back-dated root licence cannot start
 * before it, since the removed entry could no longer be checked against it (sublicences are never back-dated, so
 * their lists need no horizon).
 *
 * Known limitation: an exclusive or sole grant made *after* overlapping non-exclusive grants is not refused (the
 * non-exclusive grants are not listed: their number is unbounded).
 *
 * Disputes over works ({IWorkDisputes}). Anyone may register a work for an account it names, so a registration can
 * be front-run ("squatted"). A REGISTRY member files a dispute naming the claimant and the first contested holding;
 * the consortium's governance resolves it by a `ResolveWorkDispute` proposal: dismissal, or a forced assignment to a
 * new holder. A forced assignment voids every holding from the contested one to the current one (they show as
 * `voided` in {holdersOf}; the new one as `forced`); the root licences granted under a voided holding, and so their
 * whole chains, fail verification with TITLE_VOIDED, at any time asked (a void title never authorised anything), and
 * their exclusivity no longer binds anyone.
 *
 * Uploader accounts. A licensee links the accounts it uploads with on a platform (a platform-side id, hashed) to its
 * key: it signs a {LinkAccountRequest} and a key of the PLATFORM member named in it confirms the same request, so
 * neither can link alone; either ends the link. Platforms then ask about their own users' accounts ({accountLink}),
 * and the SDK and the gateway judge the licensee's licences with {verifyAuthorization}.
 *
 * Residence. The current rights holder may state the country it resides in on the work record ({setResidence});
 * with the primary-dissemination place it makes the joint jurisdiction of a licensing dispute. Assignments clear it.
 */
interface ILicenseRegistry is IMemberSigned, IWorkDisputes {
    // ----------------------------------------------------------------------------------------------------------------
    // Types
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Exclusive: only the licensee (and its sublicensees) may exercise the rights in scope, not even the
    /// licensor. Sole: the licensee and the licensor only; the licensor grants nobody else in scope. The order is
    /// the strength order: a sublicence is never stronger than its parent.
    enum GrantType {
        NonExclusive,
        Sole,
        Exclusive
    }

    /// @dev Why an authorisation holds or fails.
    enum Reason {
        OK,
        UNKNOWN_LICENCE,
        REVOKED,
        EXPIRED,
        NOT_YET_VALID,
        RIGHT_NOT_GRANTED,
        TERRITORY_NOT_GRANTED,
        CHAIN_TOO_DEEP,
        // The root licence was granted under a holding that a forced assignment voided.
        TITLE_VOIDED
    }

    /// @dev Where a work dispute stands.
    enum DisputeStatus {
        None,
        Open,
        // Resolved without a change of holder.
        Dismissed,
        // Resolved by a forced assignment.
        Upheld
    }

    /// @dev A registered work.
    struct Work {
        // Current rights holder.
        address rightsHolder;
        uint48 registeredAt;
        // ISO 3166-1 alpha-2 code of the country of origin.
        bytes2 originJurisdiction;
        // ISO 3166-1 alpha-2 code of the current rights holder's residence, as the holder states it (0 = not
        // stated); cleared when the work changes hands. With the primary-dissemination place it makes the joint
        // jurisdiction of a licensing dispute.
        bytes2 holderResidence;
    }

    /// @dev An uploader account on a platform, linked to the licensee that uses it.
    struct AccountLink {
        // The licensee account (0 = not linked).
        address licensee;
        // When the link was recorded.
        uint48 linkedAt;
    }

    /// @dev One entry of a work's ownership history.
    struct Holding {
        address holder;
        uint48 since;
        // Assigned by force, by governance resolving a dispute.
        bool forced;
        // Voided by a forced assignment: the root licences granted under it fail with TITLE_VOIDED.
        bool voided;
    }

    /// @dev A licence as stored.
    struct Licence {
        bytes32 workId;
        // Licence this one is a sublicence of (0 = granted by the rights holder).
        bytes32 parentId;
        address licensor;
        // First second it applies (the grant's block time when requested as 0).
        uint48 start;
        // First second it no longer applies.
        uint48 end;
        address licensee;
        // Rights bitmask, see the RIGHT_* constants in the SDK: reproduce 1, distribute 2, make available 4,
        // perform 8, broadcast / live-stream 16, adapt 32.
        uint16 rights;
        GrantType grantType;
        bool sublicensable;
        bool worldwide;
        // 1 for a root licence, parent's depth + 1 below.
        uint8 depth;
        // When it was revoked (0 = not revoked); it fails verification from that second on.
        uint48 revokedAt;
        // The licensor signed a start before the grant's block (root licences only).
        bool backdated;
        // Root licences: index in {holdersOf} of the holding it was granted under (0 for sublicences).
        uint32 grantedUnderHolding;
        // Territory set (ignored when worldwide).
        uint256[3] territories;
    }

    /// @dev One link of a chain as judged at a given time.
    struct ChainLink {
        bytes32 licenceId;
        address licensor;
        address licensee;
        // The link itself (not its ancestors) was valid for the asked right and territory at the asked time.
        bool valid;
        Reason reason;
    }

    /// @dev A dispute over who holds a work.
    struct Dispute {
        bytes32 workId;
        // Who claims the work.
        address claimant;
        uint48 filedAt;
        DisputeStatus status;
        // Index in {holdersOf} of the first contested holding: a forced assignment voids it and every later one.
        uint32 fromHolding;
        // Member id of the REGISTRY member that filed it.
        uint64 filedBy;
        // When governance resolved it (0 while open).
        uint48 resolvedAt;
    }

    /// @dev Signed by the rights holder (or a REGISTRY member key on its behalf).
    struct RegisterWorkRequest {
        // SHA-256 of the work's reference copy; the work id.
        bytes32 contentHash;
        // Digest of the work's fingerprint file (the SDK's `fingerprintDigest`: SHA-256 of its canonical JSON, which
        // names the extractor, its version and parameters); 0 = none. The file's CID reaches the chain with
        // {setFingerprint}.
        bytes32 fingerprintHash;
        address rightsHolder;
        bytes2 originJurisdiction;
        // Binary CID of the work's metadata document.
        bytes metadataCid;
        uint48 deadline;
    }

    /// @dev Signed by the current rights holder `from` and, as acceptance, by `to`.
    struct AssignWorkRequest {
        bytes32 workId;
        address from;
        address to;
        // Hash of the written assignment.
        bytes32 agreementHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the licensor.
    struct GrantRequest {
        bytes32 workId;
        bytes32 parentId;
        address licensor;
        address licensee;
        uint16 rights;
        GrantType grantType;
        bool sublicensable;
        // First second it applies; 0 = from the grant's block. Before the grant's block only when `backdated`.
        uint48 start;
        // The licensor states that `start` lies before the grant's block (root licences only).
        bool backdated;
        uint48 end;
        bool worldwide;
        bytes2[] territories;
        // Hash of the written licence agreement (required for exclusive and sole grants).
        bytes32 agreementHash;
        // Makes the licence id unique; chosen by the licensor.
        bytes32 salt;
        uint48 deadline;
    }

    /// @dev Signed by the licence's licensor.
    struct RevokeRequest {
        bytes32 licenceId;
        bytes32 reasonHash;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the work's current rights holder.
    struct SetResidenceRequest {
        bytes32 workId;
        address holder;
        // ISO 3166-1 alpha-2 code (0 = clear the statement).
        bytes2 residence;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the work's current rights holder: the work's fingerprint file from now on.
    struct SetFingerprintRequest {
        bytes32 workId;
        address holder;
        // Digest of the fingerprint file (the SDK's `fingerprintDigest`); 0 withdraws the work's fingerprint.
        bytes32 fingerprintHash;
        // Binary CID of the fingerprint file in the content store (empty exactly when `fingerprintHash` is 0).
        bytes fingerprintCid;
        uint256 nonce;
        uint48 deadline;
    }

    /**
     * @dev "Account `accountHash` on platform member `platform` is mine": signed by the licensee and, as
     * confirmation, by a key of that PLATFORM member (the same request, two signatures).
     */
    struct LinkAccountRequest {
        address licensee;
        // Member id of the platform the account is on.
        uint64 platform;
        // The platform-side account id, hashed (see the SDK's `uploaderAccountHash`; never the id in clear).
        bytes32 accountHash;
        // The licensee's nonce.
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by the linked licensee, or by a key of the platform member.
    struct UnlinkAccountRequest {
        uint64 platform;
        bytes32 accountHash;
        // The signer's nonce (the licensee's, or the platform key's).
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a key of a REGISTRY member.
    struct FileDisputeRequest {
        bytes32 workId;
        // Who claims the work (not its current holder).
        address claimant;
        // Index in {holdersOf} of the first contested holding (0 = the registration itself was squatted).
        uint32 fromHolding;
        // Hash of the evidence file (kept off chain).
        bytes32 evidenceHash;
        uint256 nonce;
        uint48 deadline;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------------------------

    event WorkRegistered(
        bytes32 indexed workId,
        address indexed rightsHolder,
        address indexed registeredBy,
        uint64 registrarMemberId,
        bytes32 fingerprintHash,
        bytes2 originJurisdiction,
        bytes metadataCid
    );
    event WorkAssigned(bytes32 indexed workId, address indexed from, address indexed to, bytes32 agreementHash);
    /// @dev `start` as stored (the grant's block time when requested as 0).
    event LicenceGranted(
        bytes32 indexed licenceId,
        bytes32 indexed workId,
        bytes32 indexed parentId,
        address licensor,
        address licensee,
        uint16 rights,
        GrantType grantType,
        bool sublicensable,
        uint48 start,
        bool backdated,
        uint48 end,
        bool worldwide,
        bytes2[] territories,
        bytes32 agreementHash
    );
    event LicenceRevoked(bytes32 indexed licenceId, address indexed licensor, bytes32 reasonHash, uint48 revokedAt);
    /// @dev The rights holder stated (or, with 0, withdrew) its residence.
    event WorkResidenceSet(bytes32 indexed workId, address indexed holder, bytes2 residence);
    /// @dev The rights holder set (or, with 0 and an empty CID, withdrew) the work's fingerprint file: an indexer
    /// fetches it by `fingerprintCid` and checks its digest against `fingerprintHash`. The latest one counts.
    event WorkFingerprintSet(
        bytes32 indexed workId,
        address indexed holder,
        bytes32 fingerprintHash,
        bytes fingerprintCid
    );
    /// @dev The licensee linked an uploader account; `confirmedBy` is the platform member's key that confirmed it.
    event AccountLinked(
        uint64 indexed platform,
        bytes32 indexed accountHash,
        address indexed licensee,
        address confirmedBy
    );
    /// @dev The link ended; `unlinkedBy` is the licensee or the platform member's key that signed.
    event AccountUnlinked(
        uint64 indexed platform,
        bytes32 indexed accountHash,
        address indexed licensee,
        address unlinkedBy
    );
    /// @dev A REGISTRY member (`filedBy`) filed a dispute over a work.
    event WorkDisputeFiled(
        uint256 indexed disputeId,
        bytes32 indexed workId,
        address indexed claimant,
        uint64 filedBy,
        uint32 fromHolding,
        bytes32 evidenceHash
    );
    /// @dev Governance resolved a dispute: `newHolder` 0 = dismissed, otherwise see {WorkAssignmentForced}.
    event WorkDisputeResolved(
        uint256 indexed disputeId,
        bytes32 indexed workId,
        address indexed newHolder,
        bytes32 decisionHash
    );
    /// @dev The work was assigned by force from `from` to `to`; holdings `voidedFrom` to `voidedTo` (indices in
    /// {holdersOf}, inclusive) are void.
    event WorkAssignmentForced(
        bytes32 indexed workId,
        address indexed from,
        address indexed to,
        uint256 disputeId,
        uint32 voidedFrom,
        uint32 voidedTo
    );

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The signature is not the named account's (EOA or EIP-1271), nor an authorised REGISTRY member key.
    error LicenceInvalidSignature(address account);
    /// @dev The work is already registered.
    error LicenceWorkAlreadyRegistered(bytes32 workId);
    /// @dev No such work.
    error LicenceUnknownWork(bytes32 workId);
    /// @dev Zero content hash, zero account, empty CID; a dispute claimant or forced holder that is zero or the
    /// current holder.
    error LicenceInvalidRequest();
    /// @dev The jurisdiction or territory is not an ISO 3166-1 alpha-2 code.
    error LicenceInvalidTerritory(bytes2 code);
    /// @dev The account is not the work's current rights holder.
    error LicenceNotRightsHolder(bytes32 workId, address account);
    /// @dev A licence with this id exists.
    error LicenceAlreadyExists(bytes32 licenceId);
    /// @dev No such licence.
    error LicenceUnknown(bytes32 licenceId);
    /// @dev The parent licence is for another work.
    error LicenceWorkMismatch(bytes32 parentId, bytes32 workId);
    /// @dev The licensor does not hold the parent licence.
    error LicenceNotParentLicensee(bytes32 parentId, address licensor);
    /// @dev The parent licence does not allow sublicensing.
    error LicenceParentNotSublicensable(bytes32 parentId);
    /// @dev The parent licence, or an ancestor (`licenceId`), is revoked, expired or title-voided now.
    error LicenceParentNotActive(bytes32 licenceId, Reason reason);
    /// @dev No rights, or rights outside the defined ones.
    error LicenceInvalidRights(uint16 rights);
    /// @dev The sublicence grants rights its parent does not hold.
    error LicenceRightsExceedParent(uint16 rights, uint16 parentRights);
    /// @dev The sublicence covers territory its parent does not.
    error LicenceTerritoryExceedsParent(bytes32 parentId);
    /// @dev The sublicence's grant type is stronger than its parent's (a non-exclusive licensee cannot grant an
    /// exclusive or sole sublicence, a sole licensee an exclusive one).
    error LicenceGrantTypeExceedsParent(GrantType grantType, GrantType parentGrantType);
    /// @dev The term is empty (`start` as resolved: the grant's block time when requested as 0).
    error LicenceInvalidTerm(uint48 start, uint48 end);
    /// @dev The sublicence's term is not inside its parent's.
    error LicenceTermExceedsParent(uint48 start, uint48 end, uint48 parentStart, uint48 parentEnd);
    /// @dev The licence would start before the grant's block without being signed as back-dated.
    error LicenceStartsBeforeGrant(uint48 start, uint48 grantedAt);
    /// @dev Signed as back-dated, but the start is 0 or not before the grant's block.
    error LicenceInvalidBackdating(uint48 start, uint48 grantedAt);
    /// @dev Sublicences are never back-dated.
    error LicenceSublicenceBackdated(bytes32 parentId);
    /// @dev A root licence would start before its licensor held the work.
    error LicenceStartsBeforeTitle(uint48 start, uint48 holderSince);
    /// @dev A back-dated root licence would start before the work's {backdatingHorizon}.
    error LicenceBackdatedBeforeHorizon(uint48 start, uint48 horizon);
    /// @dev The chain would be deeper than MAX_CHAIN_DEPTH.
    error LicenceChainTooDeep(uint8 depth);
    /// @dev Exclusive and sole grants must carry the hash of the written agreement.
    error LicenceAgreementRequired();
    /// @dev The grant overlaps (rights, territory and time) the lock of a live exclusive or sole sibling.
    error LicenceExclusiveConflict(bytes32 conflictingLicenceId);
    /// @dev The parent (the work, for `parentId` 0) already has MAX_RESTRICTIVE_SIBLINGS live exclusive or sole
    /// children.
    error LicenceTooManyRestrictiveGrants(bytes32 workId, bytes32 parentId, uint256 max);
    /// @dev Only the licensor may revoke; the licence is already revoked.
    error LicenceNotRevocable(bytes32 licenceId);
    /// @dev Only the consortium's governance contract may resolve disputes.
    error LicenceOnlyGovernance(address caller);
    /// @dev No such dispute, or it is resolved.
    error LicenceDisputeNotOpen(uint256 disputeId);
    /// @dev The work already has an open dispute.
    error LicenceDisputeAlreadyOpen(bytes32 workId, uint256 disputeId);
    /// @dev The confirming key is a PLATFORM member's, but not of the platform the request names.
    error LicenceAccountWrongPlatform(uint64 platform, uint64 signerMemberId);
    /// @dev The account is linked already (to `licensee`): unlink it first.
    error LicenceAccountAlreadyLinked(uint64 platform, bytes32 accountHash, address licensee);
    /// @dev The account is not linked.
    error LicenceAccountNotLinked(uint64 platform, bytes32 accountHash);
    /// @dev A fingerprint digest without a CID, or a CID without a digest.
    error LicenceInvalidFingerprint(bytes32 fingerprintHash, uint256 cidLength);
    /// @dev The holding index does not exist or is already void.
    error LicenceHoldingNotContestable(bytes32 workId, uint32 holdingIndex);

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice Registers a work, signed by its rights holder or by a REGISTRY member key on its behalf.
     * @dev Emits {WorkRegistered}.
     */
    function registerWork(RegisterWorkRequest calldata request, bytes calldata signature) external;

    /**
     * @notice Records an assignment of a work to a new rights holder, signed by both. History is kept; licences
     * granted before stay in force, and their exclusivity binds the new holder. An assignment while a dispute is
     * open is at the new holder's risk: a forced assignment voids every holding from the contested one on.
     * @dev Emits {WorkAssigned}.
     */
    function assignWork(
        AssignWorkRequest calldata request,
        bytes calldata fromSignature,
        bytes calldata toSignature
    ) external;

    /**
     * @notice Grants a licence (parent 0: by the rights holder) or a sublicence (by the parent's licensee).
     * @dev Requirements, each with its own error: valid licensor signature; the work exists; a start before the
     * grant's block only when signed `backdated`, only on a root licence, and not before the work's
     * {backdatingHorizon}; a root licence is granted by the current rights holder and starts no earlier than its
     * holding; a sublicence's parent is of the same work, held by the licensor, sublicensable, not revoked, expired
     * or title-voided now (nor any ancestor), at least as strong a grant type, and contains the child's rights,
     * territories and term; the chain stays within MAX_CHAIN_DEPTH; exclusive and sole grants carry an agreement
     * hash; no overlap with the lock of a live exclusive or sole sibling; at most MAX_RESTRICTIVE_SIBLINGS live
     * exclusive or sole siblings.
     *
     * Emits {LicenceGranted}.
     */
    function grantLicence(GrantRequest calldata request, bytes calldata signature) external returns (bytes32 licenceId);

    /**
     * @notice The licensor revokes a licence; it and every licence below it fail verification from now on, and its
     * exclusivity (and that of its whole branch) ends now. Descendants' storage is not touched.
     * @dev Emits {LicenceRevoked}.
     */
    function revokeLicence(RevokeRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The work's current rights holder states the country it resides in (0 withdraws the statement).
     * Assignments clear it: it is the holder's, not the work's.
     * @dev Requirements: the holder's signature (EOA or EIP-1271), nonce and deadline; the work exists and `holder` is
     * its current rights holder; `residence` is an assigned ISO 3166-1 alpha-2 code or 0.
     *
     * Emits {WorkResidenceSet}.
     */
    function setResidence(SetResidenceRequest calldata request, bytes calldata signature) external;

    /**
     * @notice The work's current rights holder sets, replaces or (digest 0, empty CID) withdraws the work's
     * fingerprint file — what a gateway matches edited clips against. Nothing is stored: the event is the record,
     * the latest one counts.
     * @dev Requirements: the holder's signature (EOA or EIP-1271), nonce and deadline; the work exists and `holder` is
     * its current rights holder; a digest comes with a CID and a CID with a digest.
     *
     * Emits {WorkFingerprintSet}.
     */
    function setFingerprint(SetFingerprintRequest calldata request, bytes calldata signature) external;

    /**
     * @notice Links an uploader account on a platform to a licensee: the licensee signs "this account is mine" and a
     * key of the platform member confirms it (the platform knows which of its users asked, the licensee's signature
     * proves the key). A platform then asks about its own user's account, never about an address.
     * @dev Requirements: the deadline; the licensee's signature (EOA or EIP-1271); the confirming signature recovers
     * to a key valid now of an active PLATFORM member whose id is `platform` ({LicenceAccountWrongPlatform} for
     * another platform's key); licensee and account hash not zero; the account not linked already; the licensee's
     * nonce (a replay, even after an unlink, fails).
     *
     * Emits {AccountLinked}.
     */
    function linkAccount(
        LinkAccountRequest calldata request,
        bytes calldata licenseeSignature,
        bytes calldata platformSignature
    ) external;

    /**
     * @notice Ends an account link, signed by the linked licensee or by a key of the platform member (an account
     * closed or changing hands).
     * @dev Requirements: the deadline; the account is linked; the signature is the licensee's (EOA or EIP-1271) or
     * a valid key of the platform member with the PLATFORM role; the signer's nonce.
     *
     * Emits {AccountUnlinked}.
     */
    function unlinkAccount(UnlinkAccountRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A REGISTRY member files a dispute over who holds a work, for a claimant, from a contested holding on.
     * The dispute is resolved by the consortium's governance ({resolveDispute}).
     * @dev Why governance and not a vote among REGISTRY members: a forced assignment takes a work from an account
     * and voids the licences granted under it — one of the consortium's weightiest decisions, which should pass
     * under the one quorum rule that already guards admissions and removals (GOVERNORs, eligibility counted at
     * execution, proposals that expire), not under a second, separate rule set. REGISTRY members may be few, even
     * one, and the member that files (and holds the evidence) would otherwise sit in judgement of its own claim:
     * filing and deciding stay with different bodies.
     *
     * Requirements: the signer is a valid key of an active REGISTRY member (signed request, nonce, deadline); the
     * work exists and has no open dispute; the claimant is neither zero nor the current holder; `fromHolding`
     * exists and is not already void.
     *
     * Emits {WorkDisputeFiled}.
     */
    function fileDispute(FileDisputeRequest calldata request, bytes calldata signature) external returns (uint256);

    // {IWorkDisputes-resolveDispute}: callable only by `consortium().governance()` (else {LicenceOnlyGovernance}),
    // for an open dispute (else {LicenceDisputeNotOpen}). A forced holder must not be the current holder. A forced
    // assignment voids the holdings from the dispute's `fromHolding` to the current one, drops the exclusive and sole
    // root licences granted under them from the work's list (they bind no one any more) and records the new holding
    // as forced. Emits {WorkDisputeResolved}, and {WorkAssignmentForced} for a forced assignment.

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice Maximum chain length (root licence = 1).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_CHAIN_DEPTH() external view returns (uint8);

    /// @notice Maximum number of live exclusive and sole children of one parent (root licences of one work).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_RESTRICTIVE_SIBLINGS() external view returns (uint256);

    function getWork(bytes32 workId) external view returns (Work memory);

    /// @notice The work's holdings, oldest first, with the forced and voided flags.
    function holdersOf(bytes32 workId) external view returns (Holding[] memory);

    /// @notice The recorded rights holder at `atTime` (0 before registration), voided holdings included.
    function rightsHolderAt(bytes32 workId, uint48 atTime) external view returns (address);

    function getLicence(bytes32 licenceId) external view returns (Licence memory);

    /// @notice The licensee an uploader account on a platform is linked to now (licensee 0 = not linked).
    function accountLink(uint64 platform, bytes32 accountHash) external view returns (AccountLink memory);

    /// @notice The id a grant will get: keccak256(abi.encode(workId, parentId, licensor, licensee, salt)).
    function licenceIdOf(
        bytes32 workId,
        bytes32 parentId,
        address licensor,
        address licensee,
        bytes32 salt
    ) external pure returns (bytes32);

    /// @notice Whether the licence's territory set contains `territory`.
    function coversTerritory(bytes32 licenceId, bytes2 territory) external view returns (bool);

    /**
     * @notice The exclusive and sole children of `parentId` (0: the work's root licences) that new grants below it
     * are checked against; it may still hold entries whose lock has ended (the next grant removes them).
     */
    function restrictiveChildrenOf(bytes32 workId, bytes32 parentId) external view returns (bytes32[] memory);

    /// @notice No back-dated root licence of the work may start before this time (see the contract notes).
    function backdatingHorizon(bytes32 workId) external view returns (uint48);

    /**
     * @notice Whether `licenceId` authorised `right` (one RIGHT_* bit) in `territory` at `atTime`, walking the chain
     * to the rights holder. Returns OK, or the reason and the licence at which it failed — the one closest to the
     * rights holder when several fail (a revoked parent fails all its descendants; a root licence granted under a
     * voided holding fails with TITLE_VOIDED at any time).
     */
    function verifyAuthorization(
        bytes32 licenceId,
        uint16 right,
        bytes2 territory,
        uint48 atTime
    ) external view returns (Reason reason, bytes32 failedAt);

    /// @notice The chain from the rights holder's grant down to `licenceId`, each link judged at `atTime`.
    function chainAt(
        bytes32 licenceId,
        uint16 right,
        bytes2 territory,
        uint48 atTime
    ) external view returns (ChainLink[] memory links);

    function getDispute(uint256 disputeId) external view returns (Dispute memory);

    /// @notice Number of disputes ever filed (ids run from 1 to this).
    function disputeCount() external view returns (uint256);

    /// @notice The work's open dispute (0 = none).
    function openDisputeOf(bytes32 workId) external view returns (uint256);
}
