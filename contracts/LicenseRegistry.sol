// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {ILicenseRegistry} from "./interfaces/ILicenseRegistry.sol";
import {IWorkDisputes} from "./interfaces/IWorkDisputes.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";
import {Territories} from "./base/Territories.sol";

/**
 * @title LicenseRegistry
 * @notice Works, rights holders, licences and sublicences; grant-time rules, bounded exclusivity checks, chain
 * verification, and disputes over works resolved by the consortium's governance. See {ILicenseRegistry}.
 */
contract LicenseRegistry is ILicenseRegistry, MemberSigned {
    using Territories for uint256[3];

    uint8 private constant _MAX_DEPTH = 8;
    /// @dev Live exclusive and sole children per parent (root licences per work). Territory-by-territory exclusive
    /// deals are the largest honest use. Each listed entry costs a grant below that parent about 10,000 gas (17,000
    /// when it overlaps in rights and time and the request names codes in all three set words): a grant reading a
    /// full list costs at most about 1.1 million gas.
    uint256 private constant _MAX_RESTRICTIVE = 64;
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
        "uint8 grantType,bool sublicensable,uint48 start,bool backdated,uint48 end,bool worldwide,bytes2[] territories,"
        "bytes32 agreementHash,bytes32 salt,uint48 deadline)"
    );
    bytes32 private constant _REVOKE_TYPEHASH = keccak256(
        "RevokeLicence(bytes32 licenceId,bytes32 reasonHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _RESIDENCE_TYPEHASH = keccak256(
        "SetResidence(bytes32 workId,address holder,bytes2 residence,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _FINGERPRINT_TYPEHASH = keccak256(
        "SetFingerprint(bytes32 workId,address holder,bytes32 fingerprintHash,bytes fingerprintCid,uint256 nonce,"
        "uint48 deadline)"
    );
    bytes32 private constant _LINK_TYPEHASH = keccak256(
        "LinkAccount(address licensee,uint64 platform,bytes32 accountHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _UNLINK_TYPEHASH = keccak256(
        "UnlinkAccount(uint64 platform,bytes32 accountHash,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _DISPUTE_TYPEHASH = keccak256(
        "FileWorkDispute(bytes32 workId,address claimant,uint32 fromHolding,bytes32 evidenceHash,uint256 nonce,"
        "uint48 deadline)"
    );

    /// @dev A holding as stored; whether it is void follows from the work's voided ranges.
    struct StoredHolding {
        address holder;
        uint48 since;
        bool forced;
    }

    /// @dev Holdings `from` to `to` (inclusive) voided by one forced assignment. `to` grows from range to range.
    struct VoidedRange {
        uint32 from;
        uint32 to;
    }

    mapping(bytes32 workId => Work) private _works;
    mapping(bytes32 workId => StoredHolding[]) private _holdings;
    mapping(bytes32 workId => VoidedRange[]) private _voided;
    mapping(bytes32 licenceId => Licence) private _licences;
    /// @dev Exclusive and sole children per parent; parentId 0 holds the work's root licences. Keyed by work first
    /// so that no work id (a content hash anyone may choose) can name another work's licence list.
    mapping(bytes32 workId => mapping(bytes32 parentId => bytes32[])) private _restrictiveChildren;
    mapping(bytes32 workId => uint48) private _backdatingHorizon;
    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(bytes32 workId => uint256) private _openDispute;
    uint256 private _disputeCount;
    mapping(uint64 platform => mapping(bytes32 accountHash => AccountLink)) private _accountLinks;

    constructor(
        IConsortium consortium_
    ) MemberSigned("crossproof LicenseRegistry", consortium_, consortium_.consortiumId()) {}

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
        _holdings[r.contentHash].push(
            StoredHolding({holder: r.rightsHolder, since: uint48(block.timestamp), forced: false})
        );
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
        w.holderResidence = 0;
        _holdings[r.workId].push(StoredHolding({holder: r.to, since: uint48(block.timestamp), forced: false}));
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
        uint48 start = _resolveStart(r);
        if (start >= r.end) revert LicenceInvalidTerm(start, r.end);
        if (r.grantType != GrantType.NonExclusive && r.agreementHash == bytes32(0)) revert LicenceAgreementRequired();
        uint256[3] memory territories = _territorySet(r);

        uint8 depth = 1;
        uint32 holding = 0;
        if (r.parentId == bytes32(0)) {
            holding = _checkTitle(r, w, start);
        } else {
            depth = _checkInsideParent(r, start, territories);
        }
        _checkSiblings(r, start, territories, licenceId);

        Licence storage lic = _licences[licenceId];
        lic.workId = r.workId;
        lic.parentId = r.parentId;
        lic.licensor = r.licensor;
        lic.start = start;
        lic.end = r.end;
        lic.licensee = r.licensee;
        lic.rights = r.rights;
        lic.grantType = r.grantType;
        lic.sublicensable = r.sublicensable;
        lic.worldwide = r.worldwide;
        lic.depth = depth;
        // Zero in the common case (not back-dated, first holding or a sublicence): no slot written.
        if (r.backdated) lic.backdated = true;
        if (holding != 0) lic.grantedUnderHolding = holding;
        if (!r.worldwide) lic.territories = territories;
        _emitGranted(licenceId, r, start);
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

    /// @inheritdoc ILicenseRegistry
    function setResidence(SetResidenceRequest calldata r, bytes calldata signature) external {
        _checkDeadline(r.deadline);
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(_RESIDENCE_TYPEHASH, r.workId, r.holder, r.residence, r.nonce, r.deadline))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(r.holder, digest, signature)) {
            revert LicenceInvalidSignature(r.holder);
        }
        Work storage w = _existingWork(r.workId);
        if (w.rightsHolder != r.holder) revert LicenceNotRightsHolder(r.workId, r.holder);
        if (r.residence != bytes2(0) && !Jurisdictions.isValid(r.residence))
            revert LicenceInvalidTerritory(r.residence);
        _useCheckedNonce(r.holder, r.nonce);
        w.holderResidence = r.residence;
        emit WorkResidenceSet(r.workId, r.holder, r.residence);
    }

    /// @inheritdoc ILicenseRegistry
    function setFingerprint(SetFingerprintRequest calldata r, bytes calldata signature) external {
        _checkDeadline(r.deadline);
        bytes32 digest = _hashTypedData(
            keccak256(
                abi.encode(
                    _FINGERPRINT_TYPEHASH,
                    r.workId,
                    r.holder,
                    r.fingerprintHash,
                    keccak256(r.fingerprintCid),
                    r.nonce,
                    r.deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(r.holder, digest, signature)) {
            revert LicenceInvalidSignature(r.holder);
        }
        if (_existingWork(r.workId).rightsHolder != r.holder) revert LicenceNotRightsHolder(r.workId, r.holder);
        if ((r.fingerprintHash == bytes32(0)) != (r.fingerprintCid.length == 0)) {
            revert LicenceInvalidFingerprint(r.fingerprintHash, r.fingerprintCid.length);
        }
        _useCheckedNonce(r.holder, r.nonce);
        emit WorkFingerprintSet(r.workId, r.holder, r.fingerprintHash, r.fingerprintCid);
    }

    /// @inheritdoc ILicenseRegistry
    function linkAccount(
        LinkAccountRequest calldata r,
        bytes calldata licenseeSignature,
        bytes calldata platformSignature
    ) external {
        _checkDeadline(r.deadline);
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(_LINK_TYPEHASH, r.licensee, r.platform, r.accountHash, r.nonce, r.deadline))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(r.licensee, digest, licenseeSignature)) {
            revert LicenceInvalidSignature(r.licensee);
        }
        (bool recovered, address key, IConsortium.SignerInfo memory info) = _recoverMember(digest, platformSignature);
        if (!recovered) revert SignedRequestInvalidSignature();
        if (!info.authorized) revert SignedRequestUnauthorizedSigner(key);
        if (info.roles & Roles.PLATFORM == 0) revert SignedRequestMissingRole(info.memberId, Roles.PLATFORM);
        if (info.memberId != r.platform) revert LicenceAccountWrongPlatform(r.platform, info.memberId);
        if (r.licensee == address(0) || r.accountHash == bytes32(0)) revert LicenceInvalidRequest();
        AccountLink storage link = _accountLinks[r.platform][r.accountHash];
        if (link.licensee != address(0)) revert LicenceAccountAlreadyLinked(r.platform, r.accountHash, link.licensee);
        _useCheckedNonce(r.licensee, r.nonce);
        link.licensee = r.licensee;
        link.linkedAt = uint48(block.timestamp);
        emit AccountLinked(r.platform, r.accountHash, r.licensee, key);
    }

    /// @inheritdoc ILicenseRegistry
    function unlinkAccount(UnlinkAccountRequest calldata r, bytes calldata signature) external {
        _checkDeadline(r.deadline);
        AccountLink storage link = _accountLinks[r.platform][r.accountHash];
        address licensee = link.licensee;
        if (licensee == address(0)) revert LicenceAccountNotLinked(r.platform, r.accountHash);
        bytes32 digest = _hashTypedData(
            keccak256(abi.encode(_UNLINK_TYPEHASH, r.platform, r.accountHash, r.nonce, r.deadline))
        );
        address by = licensee;
        if (!SignatureChecker.isValidSignatureNowCalldata(licensee, digest, signature)) {
            (, address key, IConsortium.SignerInfo memory info) = _recoverMember(digest, signature);
            if (!info.authorized || info.roles & Roles.PLATFORM == 0 || info.memberId != r.platform) {
                revert LicenceInvalidSignature(licensee);
            }
            by = key;
        }
        _useCheckedNonce(by, r.nonce);
        delete _accountLinks[r.platform][r.accountHash];
        emit AccountUnlinked(r.platform, r.accountHash, licensee, by);
    }

    /// @inheritdoc ILicenseRegistry
    function fileDispute(FileDisputeRequest calldata r, bytes calldata signature) external returns (uint256 disputeId) {
        Signer memory s = _verifySignedWithNonce(
            keccak256(
                abi.encode(_DISPUTE_TYPEHASH, r.workId, r.claimant, r.fromHolding, r.evidenceHash, r.nonce, r.deadline)
            ),
            signature,
            r.deadline,
            Roles.REGISTRY,
            r.nonce
        );
        Work storage w = _existingWork(r.workId);
        if (r.claimant == address(0) || r.claimant == w.rightsHolder) revert LicenceInvalidRequest();
        uint256 open = _openDispute[r.workId];
        if (open != 0) revert LicenceDisputeAlreadyOpen(r.workId, open);
        if (r.fromHolding >= _holdings[r.workId].length || _holdingVoided(r.workId, r.fromHolding)) {
            revert LicenceHoldingNotContestable(r.workId, r.fromHolding);
        }
        disputeId = ++_disputeCount;
        _disputes[disputeId] = Dispute({
            workId: r.workId,
            claimant: r.claimant,
            filedAt: uint48(block.timestamp),
            status: DisputeStatus.Open,
            fromHolding: r.fromHolding,
            filedBy: s.memberId,
            resolvedAt: 0
        });
        _openDispute[r.workId] = disputeId;
        emit WorkDisputeFiled(disputeId, r.workId, r.claimant, s.memberId, r.fromHolding, r.evidenceHash);
    }

    /**
     * @inheritdoc IWorkDisputes
     * @dev See {ILicenseRegistry-fileDispute} for why governance decides. Requirements: the caller is
     * `consortium().governance()`; the dispute is open; a forced holder is not the current holder.
     *
     * Emits {WorkDisputeResolved}, and {WorkAssignmentForced} for a forced assignment.
     */
    function resolveDispute(uint256 disputeId, address newHolder, bytes32 decisionHash) external {
        if (msg.sender != consortium().governance()) revert LicenceOnlyGovernance(msg.sender);
        Dispute storage d = _disputes[disputeId];
        if (d.status != DisputeStatus.Open) revert LicenceDisputeNotOpen(disputeId);
        bytes32 workId = d.workId;
        Work storage w = _works[workId];
        address displaced = w.rightsHolder;
        if (newHolder == displaced) revert LicenceInvalidRequest();
        delete _openDispute[workId];
        d.resolvedAt = uint48(block.timestamp);
        if (newHolder == address(0)) {
            d.status = DisputeStatus.Dismissed;
            emit WorkDisputeResolved(disputeId, workId, address(0), decisionHash);
            return;
        }
        d.status = DisputeStatus.Upheld;
        StoredHolding[] storage h = _holdings[workId];
        uint32 from = d.fromHolding;
        uint32 to = uint32(h.length - 1);
        _voided[workId].push(VoidedRange({from: from, to: to}));
        _dropVoidedRootLocks(workId, from);
        h.push(StoredHolding({holder: newHolder, since: uint48(block.timestamp), forced: true}));
        w.rightsHolder = newHolder;
        w.holderResidence = 0;
        emit WorkAssignmentForced(workId, displaced, newHolder, disputeId, from, to);
        emit WorkDisputeResolved(disputeId, workId, newHolder, decisionHash);
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
    // solhint-disable-next-line func-name-mixedcase
    function MAX_RESTRICTIVE_SIBLINGS() external pure returns (uint256) {
        return _MAX_RESTRICTIVE;
    }

    /// @inheritdoc ILicenseRegistry
    function getWork(bytes32 workId) external view returns (Work memory) {
        return _works[workId];
    }

    /// @inheritdoc ILicenseRegistry
    function holdersOf(bytes32 workId) external view returns (Holding[] memory holdings) {
        StoredHolding[] storage h = _holdings[workId];
        holdings = new Holding[](h.length);
        for (uint256 i = 0; i < h.length; ++i) {
            holdings[i] = Holding({
                holder: h[i].holder,
                since: h[i].since,
                forced: h[i].forced,
                voided: _holdingVoided(workId, uint32(i))
            });
        }
    }

    /// @inheritdoc ILicenseRegistry
    function rightsHolderAt(bytes32 workId, uint48 atTime) external view returns (address) {
        StoredHolding[] storage h = _holdings[workId];
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
    function accountLink(uint64 platform, bytes32 accountHash) external view returns (AccountLink memory) {
        return _accountLinks[platform][accountHash];
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
    function restrictiveChildrenOf(bytes32 workId, bytes32 parentId) external view returns (bytes32[] memory) {
        return _restrictiveChildren[workId][parentId];
    }

    /// @inheritdoc ILicenseRegistry
    function backdatingHorizon(bytes32 workId) external view returns (uint48) {
        return _backdatingHorizon[workId];
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

    /// @inheritdoc IWorkDisputes
    function isDisputeOpen(uint256 disputeId) external view returns (bool) {
        return _disputes[disputeId].status == DisputeStatus.Open;
    }

    /// @inheritdoc ILicenseRegistry
    function getDispute(uint256 disputeId) external view returns (Dispute memory) {
        return _disputes[disputeId];
    }

    /// @inheritdoc ILicenseRegistry
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    /// @inheritdoc ILicenseRegistry
    function openDisputeOf(bytes32 workId) external view returns (uint256) {
        return _openDispute[workId];
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
            r.start,
            r.backdated
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

    /// @dev The start as stored: 0 = the grant's block; before it only when signed as back-dated, on a root licence.
    function _resolveStart(GrantRequest calldata r) private view returns (uint48) {
        uint48 nowTs = uint48(block.timestamp);
        if (r.backdated) {
            if (r.parentId != bytes32(0)) revert LicenceSublicenceBackdated(r.parentId);
            if (r.start == 0 || r.start >= nowTs) revert LicenceInvalidBackdating(r.start, nowTs);
            return r.start;
        }
        if (r.start == 0) return nowTs;
        if (r.start < nowTs) revert LicenceStartsBeforeGrant(r.start, nowTs);
        return r.start;
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

    /// @dev The grant-time rules for a root licence; returns the index of the licensor's holding.
    function _checkTitle(GrantRequest calldata r, Work storage w, uint48 start) private view returns (uint32 holding) {
        if (w.rightsHolder != r.licensor) revert LicenceNotRightsHolder(r.workId, r.licensor);
        StoredHolding[] storage h = _holdings[r.workId];
        holding = uint32(h.length - 1);
        uint48 since = h[holding].since;
        if (start < since) revert LicenceStartsBeforeTitle(start, since);
        if (r.backdated) {
            uint48 horizon = _backdatingHorizon[r.workId];
            if (start < horizon) revert LicenceBackdatedBeforeHorizon(start, horizon);
        }
    }

    /// @dev The grant-time rules for a sublicence; returns its depth.
    function _checkInsideParent(
        GrantRequest calldata r,
        uint48 start,
        uint256[3] memory territories
    ) private view returns (uint8) {
        Licence storage p = _licences[r.parentId];
        if (p.licensor == address(0)) revert LicenceUnknown(r.parentId);
        if (p.workId != r.workId) revert LicenceWorkMismatch(r.parentId, r.workId);
        if (p.licensee != r.licensor) revert LicenceNotParentLicensee(r.parentId, r.licensor);
        if (!p.sublicensable) revert LicenceParentNotSublicensable(r.parentId);
        // The parent and every ancestor must be in force now; the failure closest to the rights holder is reported.
        uint48 nowTs = uint48(block.timestamp);
        (bytes32[] memory path, uint256 n, ) = _pathToRoot(r.parentId);
        for (uint256 i = n; i > 0; --i) {
            Licence storage a = _licences[path[i - 1]];
            if (a.depth == 1 && _titleVoided(a)) revert LicenceParentNotActive(path[i - 1], Reason.TITLE_VOIDED);
            if (a.revokedAt != 0) revert LicenceParentNotActive(path[i - 1], Reason.REVOKED);
            if (nowTs >= a.end) revert LicenceParentNotActive(path[i - 1], Reason.EXPIRED);
        }
        if (uint8(r.grantType) > uint8(p.grantType)) revert LicenceGrantTypeExceedsParent(r.grantType, p.grantType);
        if (r.rights & ~p.rights != 0) revert LicenceRightsExceedParent(r.rights, p.rights);
        if (!p.worldwide && (r.worldwide || !territories.isSubset(p.territories))) {
            revert LicenceTerritoryExceedsParent(r.parentId);
        }
        if (start < p.start || r.end > p.end) revert LicenceTermExceedsParent(start, r.end, p.start, p.end);
        if (p.depth >= _MAX_DEPTH) revert LicenceChainTooDeep(p.depth + 1);
        return p.depth + 1;
    }

    /**
     * @dev Checks the grant against its live exclusive and sole siblings (see {ILicenseRegistry}), removes those
     * whose lock has ended, and lists the grant if it is exclusive or sole. Reads at most _MAX_RESTRICTIVE entries.
     */
    function _checkSiblings(
        GrantRequest calldata r,
        uint48 start,
        uint256[3] memory territories,
        bytes32 licenceId
    ) private {
        bytes32[] storage list = _restrictiveChildren[r.workId][r.parentId];
        uint256 n = list.length;
        uint48 nowTs = uint48(block.timestamp);
        uint48 removedUntil = 0;
        for (uint256 i = 0; i < n;) {
            bytes32 id = list[i];
            Licence storage e = _licences[id];
            uint48 revokedAt = e.revokedAt;
            uint48 lockEnd = revokedAt != 0 && revokedAt < e.end ? revokedAt : e.end;
            if (
                e.rights & r.rights != 0 &&
                start < lockEnd &&
                e.start < r.end &&
                (r.worldwide || e.worldwide || _intersects(territories, e.territories))
            ) revert LicenceExclusiveConflict(id);
            if (lockEnd <= nowTs) {
                // Ended: no grant from now on can overlap it (see the horizon for back-dated root licences).
                list[i] = list[--n];
                list.pop();
                if (lockEnd > removedUntil) removedUntil = lockEnd;
            } else {
                ++i;
            }
        }
        if (r.parentId == bytes32(0) && removedUntil > _backdatingHorizon[r.workId]) {
            _backdatingHorizon[r.workId] = removedUntil;
        }
        if (r.grantType != GrantType.NonExclusive) {
            if (n >= _MAX_RESTRICTIVE) revert LicenceTooManyRestrictiveGrants(r.workId, r.parentId, _MAX_RESTRICTIVE);
            list.push(licenceId);
        }
    }

    /// @dev Whether two territory sets share a code; reads only the words of `b` where `a` has codes.
    function _intersects(uint256[3] memory a, uint256[3] storage b) private view returns (bool) {
        return (a[0] != 0 && a[0] & b[0] != 0) || (a[1] != 0 && a[1] & b[1] != 0) || (a[2] != 0 && a[2] & b[2] != 0);
    }

    /// @dev Removes from the work's root list the exclusive and sole licences granted under holdings >= `from`.
    function _dropVoidedRootLocks(bytes32 workId, uint32 from) private {
        bytes32[] storage list = _restrictiveChildren[workId][bytes32(0)];
        uint256 n = list.length;
        for (uint256 i = 0; i < n;) {
            if (_licences[list[i]].grantedUnderHolding >= from) {
                list[i] = list[--n];
                list.pop();
            } else {
                ++i;
            }
        }
    }

    /// @dev Whether holding `index` of the work lies in a voided range (ranges' `to` grows, latest last).
    function _holdingVoided(bytes32 workId, uint32 index) private view returns (bool) {
        VoidedRange[] storage v = _voided[workId];
        for (uint256 i = v.length; i > 0; --i) {
            VoidedRange storage x = v[i - 1];
            if (index > x.to) return false;
            if (index >= x.from) return true;
        }
        return false;
    }

    /// @dev Whether a root licence was granted under a voided holding (one read when the work has none).
    function _titleVoided(Licence storage root) private view returns (bool) {
        bytes32 workId = root.workId;
        return _voided[workId].length != 0 && _holdingVoided(workId, root.grantedUnderHolding);
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
        // A void title never authorised anything, whatever the time asked.
        if (lic.depth == 1 && _titleVoided(lic)) return Reason.TITLE_VOIDED;
        if (lic.revokedAt != 0 && atTime >= lic.revokedAt) return Reason.REVOKED;
        if (atTime >= lic.end) return Reason.EXPIRED;
        if (atTime < lic.start) return Reason.NOT_YET_VALID;
        if (right == 0 || right & lic.rights != right) return Reason.RIGHT_NOT_GRANTED;
        if (!coversTerritory(id, territory)) return Reason.TERRITORY_NOT_GRANTED;
        return Reason.OK;
    }

    function _emitGranted(bytes32 licenceId, GrantRequest calldata r, uint48 start) private {
        emit LicenceGranted(
            licenceId,
            r.workId,
            r.parentId,
            r.licensor,
            r.licensee,
            r.rights,
            r.grantType,
            r.sublicensable,
            start,
            r.backdated,
            r.end,
            r.worldwide,
            r.territories,
            r.agreementHash
        );
    }
}
