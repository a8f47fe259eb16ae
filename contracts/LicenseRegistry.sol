// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {ILicenseRegistry} from "./interfaces/ILicenseRegistry.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";
import {Territories} from "./base/Territories.sol";

/**
 * @title LicenseRegistry
 * @notice Works, rights holders, licences and sublicences; grant-time rules and chain verification.
 */
contract LicenseRegistry is ILicenseRegistry, MemberSigned {
    using Territories for uint256[3];

    uint8 private constant _MAX_DEPTH = 8;
    uint16 private constant _ALL_RIGHTS = (1 << 6) - 1;

    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "RegisterWork(bytes32 contentHash,bytes32 fingerprintHash,address rightsHolder,bytes2 originJurisdiction,"
        "bytes metadataCid,uint48 deadline)"
    );
    bytes32 private constant _ASSIGN_TYPEHASH = keccak256(
        "AssignWork(bytes32 workId,address from,address to,bytes32 agreementHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _GRANT_TYPEHASH = keccak256(
        "GrantLicence(bytes32 workId,bytes32 parentId,address licensor,address licensee,uint16 rights,"
        "uint8 grantType,bool sublicensable,uint48 start,uint48 end,bool worldwide,bytes2[] territories,"
        "bytes32 agreementHash,bytes32 salt,uint48 deadline)"
    );
    bytes32 private constant _REVOKE_TYPEHASH = keccak256(
        "RevokeLicence(bytes32 licenceId,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );

    mapping(bytes32 workId => Work) private _works;
    mapping(bytes32 workId => Holding[]) private _holdings;
    mapping(bytes32 licenceId => Licence) private _licences;
    /// @dev Exclusive and sole grants per work, checked for conflicts at every grant of that work.
    mapping(bytes32 workId => bytes32[]) private _restrictive;

    constructor(IConsortium consortium_) MemberSigned("crossproof LicenseRegistry", consortium_, consortium_.consortiumId()) {}

    // ----------------------------------------------------------------------------------------------------------------
    // Writes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILicenseRegistry
    function registerWork(RegisterWorkRequest calldata r, bytes calldata signature) external {
        _checkDeadline(r.deadline);
        bytes32 digest = _hashTypedData(
            keccak256(
                abi.encode(
                    _REGISTER_TYPEHASH,
                    r.contentHash,
                    r.fingerprintHash,
                    r.rightsHolder,
                    r.originJurisdiction,
                    keccak256(r.metadataCid),
                    r.deadline
                )
            )
        );
        address registeredBy = r.rightsHolder;
        uint64 registrar = 0;
        if (!SignatureChecker.isValidSignatureNowCalldata(r.rightsHolder, digest, signature)) {
            // Not the rights holder's own signature: it must be a REGISTRY member's key.
            (, address key, IConsortium.SignerInfo memory info) = _recoverMember(digest, signature);
            if (!info.authorized || info.roles & Roles.REGISTRY == 0) revert LicenceInvalidSignature(r.rightsHolder);
            registeredBy = key;
            registrar = info.memberId;
        }
        if (r.contentHash == bytes32(0) || r.rightsHolder == address(0) || r.metadataCid.length == 0) {
            revert LicenceInvalidRequest();
        }
        if (!Jurisdictions.isValid(r.originJurisdiction)) revert LicenceInvalidTerritory(r.originJurisdiction);
        Work storage w = _works[r.contentHash];
        if (w.registeredAt != 0) revert LicenceWorkAlreadyRegistered(r.contentHash);
        w.rightsHolder = r.rightsHolder;
        w.registeredAt = uint48(block.timestamp);
        w.originJurisdiction = r.originJurisdiction;
        _holdings[r.contentHash].push(Holding({holder: r.rightsHolder, since: uint48(block.timestamp)}));
        emit WorkRegistered(
            r.contentHash,
            r.rightsHolder,
            registeredBy,
            registrar,
            r.fingerprintHash,
            r.originJurisdiction,
            r.metadataCid
        );
    }

    /// @inheritdoc ILicenseRegistry
    function assignWork(
        AssignWorkRequest calldata r,
        bytes calldata fromSignature,
        bytes calldata toSignature
    ) external {
        _checkDeadline(r.deadline);
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(_ASSIGN_TYPEHASH, r.workId, r.from, r.to, r.agreementHash, r.nonce, r.deadline))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(r.from, digest, fromSignature)) {
            revert LicenceInvalidSignature(r.from);
        }
        if (!SignatureChecker.isValidSignatureNowCalldata(r.to, digest, toSignature)) {
            revert LicenceInvalidSignature(r.to);
        }
        Work storage w = _existingWork(r.workId);
        if (w.rightsHolder != r.from) revert LicenceNotRightsHolder(r.workId, r.from);
        if (r.to == address(0) || r.to == r.from) revert LicenceInvalidRequest();
        _useCheckedNonce(r.from, r.nonce);
        w.rightsHolder = r.to;
        _holdings[r.workId].push(Holding({holder: r.to, since: uint48(block.timestamp)}));
        emit WorkAssigned(r.workId, r.from, r.to, r.agreementHash);
    }

    /// @inheritdoc ILicenseRegistry
    function grantLicence(GrantRequest calldata r, bytes calldata signature) external returns (bytes32 licenceId) {
        _checkDeadline(r.deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(r.licensor, _grantDigest(r), signature)) {
            revert LicenceInvalidSignature(r.licensor);
        }
        licenceId = licenceIdOf(r.workId, r.parentId, r.licensor, r.licensee, r.salt);
        if (_licences[licenceId].licensor != address(0)) revert LicenceAlreadyExists(licenceId);
        Work storage w = _existingWork(r.workId);
        if (r.licensee == address(0)) revert LicenceInvalidRequest();
        if (r.rights == 0 || r.rights & ~_ALL_RIGHTS != 0) revert LicenceInvalidRights(r.rights);
        if (r.start >= r.end) revert LicenceInvalidTerm(r.start, r.end);
        if (r.grantType != GrantType.NonExclusive && r.agreementHash == bytes32(0)) revert LicenceAgreementRequired();
        uint256[3] memory territories = _territorySet(r);

        uint8 depth = 1;
        if (r.parentId == bytes32(0)) {
            if (w.rightsHolder != r.licensor) revert LicenceNotRightsHolder(r.workId, r.licensor);
        } else {
            depth = _checkInsideParent(r, territories);
        }
        _checkExclusivity(r, territories);

        Licence storage lic = _licences[licenceId];
        lic.workId = r.workId;
        lic.parentId = r.parentId;
        lic.licensor = r.licensor;
        lic.start = r.start;
        lic.end = r.end;
        lic.licensee = r.licensee;
        lic.rights = r.rights;
        lic.grantType = r.grantType;
        lic.sublicensable = r.sublicensable;
        lic.worldwide = r.worldwide;
        lic.depth = depth;
        if (!r.worldwide) lic.territories = territories;
        if (r.grantType != GrantType.NonExclusive) _restrictive[r.workId].push(licenceId);
        _emitGranted(licenceId, r);
    }

    /// @inheritdoc ILicenseRegistry
    function revokeLicence(RevokeRequest calldata r, bytes calldata signature) external {
        _checkDeadline(r.deadline);
        Licence storage lic = _licences[r.licenceId];
        if (lic.licensor == address(0)) revert LicenceUnknown(r.licenceId);
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(_REVOKE_TYPEHASH, r.licenceId, r.reasonHash, r.nonce, r.deadline))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(lic.licensor, digest, signature)) {
            revert LicenceInvalidSignature(lic.licensor);
        }
        if (lic.revokedAt != 0) revert LicenceNotRevocable(r.licenceId);
        _useCheckedNonce(lic.licensor, r.nonce);
        lic.revokedAt = uint48(block.timestamp);
        emit LicenceRevoked(r.licenceId, lic.licensor, r.reasonHash, lic.revokedAt);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILicenseRegistry
    // solhint-disable-next-line func-name-mixedcase
    function MAX_CHAIN_DEPTH() external pure returns (uint8) {
        return _MAX_DEPTH;
    }

    /// @inheritdoc ILicenseRegistry
    function getWork(bytes32 workId) external view returns (Work memory) {
        return _works[workId];
    }

    /// @inheritdoc ILicenseRegistry
    function holdersOf(bytes32 workId) external view returns (Holding[] memory) {
        return _holdings[workId];
    }

    /// @inheritdoc ILicenseRegistry
    function rightsHolderAt(bytes32 workId, uint48 atTime) external view returns (address) {
        Holding[] storage h = _holdings[workId];
        for (uint256 i = h.length; i > 0; --i) {
            if (h[i - 1].since <= atTime) return h[i - 1].holder;
        }
        return address(0);
    }

    /// @inheritdoc ILicenseRegistry
    function getLicence(bytes32 licenceId) external view returns (Licence memory) {
        return _licences[licenceId];
    }

    /// @inheritdoc ILicenseRegistry
    function licenceIdOf(
        bytes32 workId,
        bytes32 parentId,
        address licensor,
        address licensee,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(workId, parentId, licensor, licensee, salt));
    }

    /// @inheritdoc ILicenseRegistry
    function coversTerritory(bytes32 licenceId, bytes2 territory) public view returns (bool) {
        Licence storage lic = _licences[licenceId];
        return Jurisdictions.isValid(territory) && (lic.worldwide || lic.territories.contains(territory));
    }

    /// @inheritdoc ILicenseRegistry
    function verifyAuthorization(
        bytes32 licenceId,
        uint16 right,
        bytes2 territory,
        uint48 atTime
    ) external view returns (Reason reason, bytes32 failedAt) {
        (bytes32[] memory path, uint256 n, bool tooDeep) = _pathToRoot(licenceId);
        if (n == 0) return (Reason.UNKNOWN_LICENCE, licenceId);
        if (tooDeep) return (Reason.CHAIN_TOO_DEEP, path[n - 1]);
        // From the rights holder's grant down: the first failure is the root cause.
        for (uint256 i = n; i > 0; --i) {
            Reason r = _judge(path[i - 1], right, territory, atTime);
            if (r != Reason.OK) return (r, path[i - 1]);
        }
        return (Reason.OK, bytes32(0));
    }

    /// @inheritdoc ILicenseRegistry
    function chainAt(
        bytes32 licenceId,
        uint16 right,
        bytes2 territory,
        uint48 atTime
    ) external view returns (ChainLink[] memory links) {
        (bytes32[] memory path, uint256 n, ) = _pathToRoot(licenceId);
        links = new ChainLink[](n);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = path[n - 1 - i];
            Licence storage lic = _licences[id];
            Reason r = _judge(id, right, territory, atTime);
            links[i] = ChainLink({
                licenceId: id,
                licensor: lic.licensor,
                licensee: lic.licensee,
                valid: r == Reason.OK,
                reason: r
            });
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _existingWork(bytes32 workId) private view returns (Work storage w) {
        w = _works[workId];
        if (w.registeredAt == 0) revert LicenceUnknownWork(workId);
    }

    function _grantDigest(GrantRequest calldata r) private view returns (bytes32) {
        bytes memory head = abi.encode(
            _GRANT_TYPEHASH,
            r.workId,
            r.parentId,
            r.licensor,
            r.licensee,
            r.rights,
            r.grantType,
            r.sublicensable,
            r.start
        );
        bytes memory tail = abi.encode(
            r.end,
            r.worldwide,
            keccak256(abi.encodePacked(r.territories)),
            r.agreementHash,
            r.salt,
            r.deadline
        );
        return _hashTypedData(keccak256(bytes.concat(head, tail)));
    }

    function _territorySet(GrantRequest calldata r) private pure returns (uint256[3] memory set) {
        if (r.worldwide) {
            if (r.territories.length != 0) revert LicenceInvalidRequest();
            return set;
        }
        for (uint256 i = 0; i < r.territories.length; ++i) {
            if (!Jurisdictions.isValid(r.territories[i])) revert LicenceInvalidTerritory(r.territories[i]);
        }
        set = Territories.fromCodes(r.territories);
        if (set.isEmpty()) revert LicenceInvalidRequest();
    }

    /// @dev The grant-time rules for a sublicence; returns its depth.
    function _checkInsideParent(GrantRequest calldata r, uint256[3] memory territories) private view returns (uint8) {
        Licence storage p = _licences[r.parentId];
        if (p.licensor == address(0)) revert LicenceUnknown(r.parentId);
        if (p.workId != r.workId) revert LicenceWorkMismatch(r.parentId, r.workId);
        if (p.licensee != r.licensor) revert LicenceNotParentLicensee(r.parentId, r.licensor);
        if (!p.sublicensable) revert LicenceParentNotSublicensable(r.parentId);
        uint48 nowTs = uint48(block.timestamp);
        if (p.revokedAt != 0) revert LicenceParentNotActive(r.parentId, Reason.REVOKED);
        if (nowTs >= p.end) revert LicenceParentNotActive(r.parentId, Reason.EXPIRED);
        // A revoked or expired ancestor makes the parent unusable too.
        (bytes32[] memory path, uint256 n, ) = _pathToRoot(r.parentId);
        for (uint256 i = 1; i < n; ++i) {
            Licence storage a = _licences[path[i]];
            if (a.revokedAt != 0) revert LicenceParentNotActive(path[i], Reason.REVOKED);
            if (nowTs >= a.end) revert LicenceParentNotActive(path[i], Reason.EXPIRED);
        }
        if (r.rights & ~p.rights != 0) revert LicenceRightsExceedParent(r.rights, p.rights);
        if (!p.worldwide && (r.worldwide || !territories.isSubset(p.territories))) {
            revert LicenceTerritoryExceedsParent(r.parentId);
        }
        if (r.start < p.start || r.end > p.end) revert LicenceTermExceedsParent(r.start, r.end, p.start, p.end);
        if (p.depth >= _MAX_DEPTH) revert LicenceChainTooDeep(p.depth + 1);
        return p.depth + 1;
    }

    /// @dev Refuses a grant that overlaps an exclusive grant, or a sole grant by the same licensor, outside its chain.
    function _checkExclusivity(GrantRequest calldata r, uint256[3] memory territories) private view {
        bytes32[] storage restrictive = _restrictive[r.workId];
        if (restrictive.length == 0) return;
        (bytes32[] memory ancestors, uint256 n, ) = r.parentId == bytes32(0)
            ? (new bytes32[](0), uint256(0), false)
            : _pathToRoot(r.parentId);
        for (uint256 i = 0; i < restrictive.length; ++i) {
            bytes32 id = restrictive[i];
            Licence storage e = _licences[id];
            if (e.grantType == GrantType.Sole && e.licensor != r.licensor) continue;
            uint48 effectiveEnd = e.revokedAt != 0 && e.revokedAt < e.end ? e.revokedAt : e.end;
            if (
                e.rights & r.rights == 0 ||
                r.start >= effectiveEnd ||
                e.start >= r.end ||
                !(e.worldwide || r.worldwide || territories.intersects(e.territories))
            ) continue;
            bool ancestor = false;
            for (uint256 j = 0; j < n && !ancestor; ++j) ancestor = ancestors[j] == id;
            if (!ancestor) revert LicenceExclusiveConflict(id);
        }
    }

    /// @dev The chain from `licenceId` up to the root licence (index 0 = `licenceId`).
    function _pathToRoot(bytes32 licenceId) private view returns (bytes32[] memory path, uint256 n, bool tooDeep) {
        path = new bytes32[](_MAX_DEPTH);
        bytes32 id = licenceId;
        while (id != bytes32(0)) {
            Licence storage lic = _licences[id];
            if (lic.licensor == address(0)) return (path, n, false);
            if (n == _MAX_DEPTH) return (path, n, true);
            path[n++] = id;
            id = lic.parentId;
        }
    }

    /// @dev One link on its own, at `atTime`.
    function _judge(bytes32 id, uint16 right, bytes2 territory, uint48 atTime) private view returns (Reason) {
        Licence storage lic = _licences[id];
        if (lic.revokedAt != 0 && atTime >= lic.revokedAt) return Reason.REVOKED;
        if (atTime >= lic.end) return Reason.EXPIRED;
        if (atTime < lic.start) return Reason.NOT_YET_VALID;
        if (right == 0 || right & lic.rights != right) return Reason.RIGHT_NOT_GRANTED;
        if (!coversTerritory(id, territory)) return Reason.TERRITORY_NOT_GRANTED;
        return Reason.OK;
    }

    function _emitGranted(bytes32 licenceId, GrantRequest calldata r) private {
        emit LicenceGranted(
            licenceId,
            r.workId,
            r.parentId,
            r.licensor,
            r.licensee,
            r.rights,
            r.grantType,
            r.sublicensable,
            r.start,
            r.end,
            r.worldwide,
            r.territories,
            r.agreementHash
        );
    }
}
