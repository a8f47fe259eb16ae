// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberSigned} from "./IMemberSigned.sol";

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
 */
interface ILicenseRegistry is IMemberSigned {
    // ----------------------------------------------------------------------------------------------------------------
    // Types
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Exclusive: only the licensee (and its sublicensees) may exercise the rights in scope, not even the
    /// licensor. Sole: the licensee and the licensor only; the licensor grants nobody else in scope.
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
        CHAIN_TOO_DEEP
    }

    /// @dev A registered work.
    struct Work {
        // Current rights holder.
        address rightsHolder;
        uint48 registeredAt;
        // ISO 3166-1 alpha-2 code of the country of origin.
        bytes2 originJurisdiction;
    }

    /// @dev One entry of a work's ownership history.
    struct Holding {
        address holder;
        uint48 since;
    }

    /// @dev A licence as stored.
    struct Licence {
        bytes32 workId;
        // Licence this one is a sublicence of (0 = granted by the rights holder).
        bytes32 parentId;
        address licensor;
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

    /// @dev Signed by the rights holder (or a REGISTRY member key on its behalf).
    struct RegisterWorkRequest {
        // SHA-256 of the work's reference copy; the work id.
        bytes32 contentHash;
        // Perceptual fingerprint hash for later similarity matching (0 = none).
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
        uint48 start;
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
        uint48 end,
        bool worldwide,
        bytes2[] territories,
        bytes32 agreementHash
    );
    event LicenceRevoked(bytes32 indexed licenceId, address indexed licensor, bytes32 reasonHash, uint48 revokedAt);

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The signature is not the named account's (EOA or EIP-1271), nor an authorised REGISTRY member key.
    error LicenceInvalidSignature(address account);
    /// @dev The work is already registered.
    error LicenceWorkAlreadyRegistered(bytes32 workId);
    /// @dev No such work.
    error LicenceUnknownWork(bytes32 workId);
    /// @dev Zero content hash, zero account, empty CID.
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
    /// @dev The parent licence is revoked, expired or not yet valid now.
    error LicenceParentNotActive(bytes32 parentId, Reason reason);
    /// @dev No rights, or rights outside the defined ones.
    error LicenceInvalidRights(uint16 rights);
    /// @dev The sublicence grants rights its parent does not hold.
    error LicenceRightsExceedParent(uint16 rights, uint16 parentRights);
    /// @dev The sublicence covers territory its parent does not.
    error LicenceTerritoryExceedsParent(bytes32 parentId);
    /// @dev The term is empty.
    error LicenceInvalidTerm(uint48 start, uint48 end);
    /// @dev The sublicence's term is not inside its parent's.
    error LicenceTermExceedsParent(uint48 start, uint48 end, uint48 parentStart, uint48 parentEnd);
    /// @dev The chain would be deeper than MAX_CHAIN_DEPTH.
    error LicenceChainTooDeep(uint8 depth);
    /// @dev Exclusive and sole grants must carry the hash of the written agreement.
    error LicenceAgreementRequired();
    /// @dev The grant overlaps (right, territory and time) an exclusive grant, or a sole grant by the same licensor,
    /// that is not its own ancestor.
    error LicenceExclusiveConflict(bytes32 conflictingLicenceId);
    /// @dev Only the licensor may revoke; the licence is already revoked.
    error LicenceNotRevocable(bytes32 licenceId);

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
     * granted before stay in force.
     * @dev Emits {WorkAssigned}.
     */
    function assignWork(
        AssignWorkRequest calldata request,
        bytes calldata fromSignature,
        bytes calldata toSignature
    ) external;

    /**
     * @notice Grants a licence (parent 0: by the rights holder) or a sublicence (by the parent's licensee).
     * @dev Requirements, each with its own error: valid licensor signature; the work exists; a root licence is
     * granted by the current rights holder; a sublicence's parent is of the same work, held by the licensor,
     * sublicensable, valid now, and contains the child's rights, territories and term; the chain stays within
     * MAX_CHAIN_DEPTH; exclusive and sole grants carry an agreement hash; no conflict with an exclusive grant (or a
     * sole grant by the same licensor) outside the new licence's own chain.
     *
     * Emits {LicenceGranted}.
     */
    function grantLicence(GrantRequest calldata request, bytes calldata signature) external returns (bytes32 licenceId);

    /**
     * @notice The licensor revokes a licence; it and every licence below it fail verification from now on.
     * Descendants' storage is not touched.
     * @dev Emits {LicenceRevoked}.
     */
    function revokeLicence(RevokeRequest calldata request, bytes calldata signature) external;

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice Maximum chain length (root licence = 1).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_CHAIN_DEPTH() external view returns (uint8);

    function getWork(bytes32 workId) external view returns (Work memory);

    function holdersOf(bytes32 workId) external view returns (Holding[] memory);

    /// @notice The rights holder at `atTime` (0 before registration).
    function rightsHolderAt(bytes32 workId, uint48 atTime) external view returns (address);

    function getLicence(bytes32 licenceId) external view returns (Licence memory);

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
     * @notice Whether `licenceId` authorised `right` (one RIGHT_* bit) in `territory` at `atTime`, walking the chain
     * to the rights holder. Returns OK, or the reason and the licence at which it failed — the one closest to the
     * rights holder when several fail (a revoked parent fails all its descendants).
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
}
