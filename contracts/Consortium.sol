// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IMemberSigned} from "./interfaces/IMemberSigned.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles, Jurisdictions} from "./base/Common.sol";

/**
 * @title Consortium
 * @notice Members, jurisdictions, roles, signing keys and public keys (report and encryption keys). Changes come from
 * the linked governance contract when a proposal passes, or from a member's own signed key management. The deployer
 * founds the consortium in the constructor, links governance and agreements once, and keeps no power afterwards.
 */
contract Consortium is IConsortium, MemberSigned {
    using EnumerableSet for EnumerableSet.UintSet;

    uint48 private constant _OPEN_ENDED = type(uint48).max;
    uint256 private constant _MAX_LIVE_KEYS = 8;
    uint256 private constant _MAX_LIVE_PUBLIC_KEYS = 8;

    bytes32 private constant _REVOKE_OWN_KEY_TYPEHASH = keccak256(
        "RevokeOwnKey(uint64 memberId,address key,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _ADD_OWN_KEY_TYPEHASH = keccak256(
        "AddOwnKey(uint64 memberId,address key,uint48 validFrom,uint48 validUntil,uint256 nonce,uint48 deadline)"
    );

    bytes32 private constant _ADD_OWN_PUBLIC_KEY_TYPEHASH = keccak256(
        "AddOwnPublicKey(uint64 memberId,uint8 purpose,uint8 algorithm,bytes jwk,uint48 validFrom,uint48 validUntil,"
        "uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _REVOKE_OWN_PUBLIC_KEY_TYPEHASH = keccak256(
        "RevokeOwnPublicKey(uint64 memberId,bytes32 keyId,uint256 nonce,uint48 deadline)"
    );

    // RFC 7638 thumbprint inputs, each coordinate 32 bytes as 43 base64url characters:
    // {"crv":"P-256","kty":"EC","x":"…","y":"…"} (126 bytes), {"crv":"Ed25519","kty":"OKP","x":"…"} (79 bytes),
    // {"crv":"X25519","kty":"OKP","x":"…"} (78 bytes). Single quotes keep the JSON legible.
    /* solhint-disable quotes */
    bytes32 private constant _P256_PREFIX = keccak256('{"crv":"P-256","kty":"EC","x":"');
    bytes32 private constant _P256_MIDDLE = keccak256('","y":"');
    bytes32 private constant _ED25519_PREFIX = keccak256('{"crv":"Ed25519","kty":"OKP","x":"');
    bytes32 private constant _X25519_PREFIX = keccak256('{"crv":"X25519","kty":"OKP","x":"');
    /* solhint-enable quotes */

    bytes32 private immutable _consortiumId;
    address private immutable _deployer;
    address private _governance;
    address private _agreements;

    mapping(uint64 memberId => Member) private _members;
    mapping(uint64 memberId => StatusChange[]) private _history;
    mapping(uint64 memberId => address[]) private _liveKeys;
    mapping(address key => SigningKey) private _keys;
    uint64 private _memberCount;
    /// @dev Active members holding the GOVERNOR role (with or without a valid key).
    EnumerableSet.UintSet private _governors;
    /// @dev Public keys are per member: the same key id under two members is two independent records.
    mapping(uint64 memberId => mapping(bytes32 keyId => PublicKey)) private _publicKeys;
    mapping(uint64 memberId => mapping(KeyPurpose purpose => bytes32[])) private _livePublicKeys;

    modifier onlyGovernance() {
        if (msg.sender != _governance) revert ConsortiumOnlyGovernance(msg.sender);
        _;
    }

    /**
     * @param id the consortium id (non-zero): the salt of every EIP-712 domain of this consortium.
     * @param founders the founding members, each with one initial key; at least one must be a GOVERNOR.
     */
    constructor(
        bytes32 id,
        FoundingMember[] memory founders
    ) MemberSigned("crossproof Consortium", IConsortium(address(this)), id) {
        if (id == bytes32(0) || founders.length == 0) revert ConsortiumInvalidFounding();
        _consortiumId = id;
        _deployer = msg.sender;
        for (uint256 i = 0; i < founders.length; ++i) {
            FoundingMember memory f = founders[i];
            _admit(f.jurisdiction, f.roles, f.nameHash, f.key, KeyOrigin.Founding);
        }
        if (_governors.length() == 0) revert ConsortiumInvalidFounding();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Consortium
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function consortiumId() external view returns (bytes32) {
        return _consortiumId;
    }

    /// @inheritdoc IConsortium
    function governance() external view returns (address) {
        return _governance;
    }

    /// @inheritdoc IConsortium
    function agreements() external view returns (address) {
        return _agreements;
    }

    /// @inheritdoc IConsortium
    function link(address governance_, address agreements_) external {
        if (
            msg.sender != _deployer ||
            _governance != address(0) ||
            governance_ == address(0) ||
            agreements_ == address(0) ||
            address(IMemberSigned(governance_).consortium()) != address(this) ||
            address(IMemberSigned(agreements_).consortium()) != address(this)
        ) revert ConsortiumInvalidLink();
        _governance = governance_;
        _agreements = agreements_;
        emit ConsortiumLinked(governance_, agreements_);
    }

    /// @inheritdoc IConsortium
    // solhint-disable-next-line func-name-mixedcase
    function MAX_LIVE_KEYS() external pure returns (uint256) {
        return _MAX_LIVE_KEYS;
    }

    /// @inheritdoc IConsortium
    // solhint-disable-next-line func-name-mixedcase
    function MAX_LIVE_PUBLIC_KEYS() external pure returns (uint256) {
        return _MAX_LIVE_PUBLIC_KEYS;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function getMember(uint64 memberId) external view returns (Member memory) {
        return _members[memberId];
    }

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint64) {
        return _memberCount;
    }

    /// @inheritdoc IConsortium
    function statusHistory(uint64 memberId) external view returns (StatusChange[] memory) {
        return _history[memberId];
    }

    /// @inheritdoc IConsortium
    function statusAt(uint64 memberId, uint48 atTime) public view returns (MemberStatus) {
        StatusChange[] storage h = _history[memberId];
        for (uint256 i = h.length; i > 0; --i) {
            if (h[i - 1].since <= atTime) return h[i - 1].status;
        }
        return MemberStatus.None;
    }

    /// @inheritdoc IConsortium
    function getKey(address key) external view returns (SigningKey memory) {
        return _keys[key];
    }

    /// @inheritdoc IConsortium
    function keysOf(uint64 memberId) external view returns (address[] memory) {
        return _liveKeys[memberId];
    }

    /// @inheritdoc IConsortium
    function isValidSigner(uint64 memberId, address key, uint48 atTime) external view returns (bool) {
        SigningKey memory k = _keys[key];
        return
            memberId != 0 &&
            k.memberId == memberId &&
            k.validFrom <= atTime &&
            atTime < k.validUntil &&
            statusAt(memberId, atTime) == MemberStatus.Active;
    }

    /// @inheritdoc IConsortium
    function signerInfo(address key) external view returns (SignerInfo memory) {
        return _signerInfo(key);
    }

    /// @inheritdoc IConsortium
    function isEligibleGovernor(uint64 memberId) public view returns (bool) {
        return _governors.contains(memberId) && _hasValidKeyNow(memberId);
    }

    /// @inheritdoc IConsortium
    function eligibleGovernorCount() public view returns (uint32 count) {
        uint256 n = _governors.length();
        for (uint256 i = 0; i < n; ++i) {
            if (_hasValidKeyNow(uint64(_governors.at(i)))) ++count;
        }
    }

    /// @inheritdoc IConsortium
    function publicKeyOf(uint64 memberId, bytes32 keyId) external view returns (PublicKey memory) {
        return _publicKeys[memberId][keyId];
    }

    /// @inheritdoc IConsortium
    function publicKeysOf(uint64 memberId, KeyPurpose purpose) external view returns (bytes32[] memory) {
        return _livePublicKeys[memberId][purpose];
    }

    /// @inheritdoc IConsortium
    function isValidPublicKey(
        uint64 memberId,
        bytes32 keyId,
        KeyPurpose purpose,
        uint48 atTime
    ) external view returns (bool) {
        PublicKey memory k = _publicKeys[memberId][keyId];
        return
            k.memberId != 0 &&
            k.purpose == purpose &&
            k.validFrom <= atTime &&
            atTime < k.validUntil &&
            statusAt(memberId, atTime) == MemberStatus.Active;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: self-service
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function revokeOwnKey(RevokeOwnKeyRequest calldata r, bytes calldata signature) external {
        _authorizeOwnRevocation(
            keccak256(abi.encode(_REVOKE_OWN_KEY_TYPEHASH, r.memberId, r.key, r.nonce, r.deadline)),
            signature,
            r.deadline,
            r.memberId,
            r.nonce
        );
        _revokeKey(r.memberId, r.key, true);
    }

    /// @inheritdoc IConsortium
    function addOwnKey(AddOwnKeyRequest calldata r, bytes calldata signature, bytes calldata keySignature) external {
        bytes32 structHash = keccak256(
            abi.encode(_ADD_OWN_KEY_TYPEHASH, r.memberId, r.key, r.validFrom, r.validUntil, r.nonce, r.deadline)
        );
        Signer memory s = _verifySignedWithNonce(structHash, signature, r.deadline, Roles.ALL, r.nonce);
        if (s.memberId != r.memberId) revert ConsortiumKeyNotOfMember(r.memberId, s.key);
        (address proven, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(_hashTypedData(structHash), keySignature);
        if (err != ECDSA.RecoverError.NoError || proven != r.key) revert ConsortiumKeyNotProven(r.key);
        uint48 nowTs = uint48(block.timestamp);
        uint48 from = r.validFrom == 0 ? nowTs : r.validFrom;
        if (from < nowTs) revert ConsortiumInvalidKeyWindow(r.validFrom, r.validUntil);
        _addKey(r.memberId, r.key, from, r.validUntil == 0 ? _OPEN_ENDED : r.validUntil, KeyOrigin.Member);
    }

    /// @inheritdoc IConsortium
    function addOwnPublicKey(AddOwnPublicKeyRequest calldata r, bytes calldata signature) external {
        bytes32 structHash = keccak256(
            abi.encode(
                _ADD_OWN_PUBLIC_KEY_TYPEHASH,
                r.memberId,
                r.purpose,
                r.algorithm,
                keccak256(r.jwk),
                r.validFrom,
                r.validUntil,
                r.nonce,
                r.deadline
            )
        );
        Signer memory s = _verifySignedWithNonce(structHash, signature, r.deadline, Roles.ALL, r.nonce);
        if (s.memberId != r.memberId) revert ConsortiumKeyNotOfMember(r.memberId, s.key);
        KeyAlgorithm alg = r.algorithm;
        bool signs = alg == KeyAlgorithm.ES256 || alg == KeyAlgorithm.EdDSA;
        if (
            !(r.purpose == KeyPurpose.Report && signs) &&
            !(r.purpose == KeyPurpose.Encryption && alg == KeyAlgorithm.EcdhEs)
        ) revert ConsortiumInvalidKeyAlgorithm(r.purpose, alg);
        if (!_isJwkOf(alg, r.jwk)) revert ConsortiumInvalidJwk(alg);
        bytes32 keyId = sha256(r.jwk);
        uint64 id = r.memberId;
        if (_publicKeys[id][keyId].memberId != 0) revert ConsortiumPublicKeyUnavailable(id, keyId);
        uint48 nowTs = uint48(block.timestamp);
        uint48 from = r.validFrom == 0 ? nowTs : r.validFrom;
        uint48 until = r.validUntil == 0 ? _OPEN_ENDED : r.validUntil;
        if (from < nowTs || from >= until) revert ConsortiumInvalidKeyWindow(r.validFrom, r.validUntil);
        bytes32[] storage live = _livePublicKeys[id][r.purpose];
        // Prune keys whose window is over, so the live list stays bounded.
        for (uint256 i = live.length; i > 0; --i) {
            if (_publicKeys[id][live[i - 1]].validUntil <= nowTs) _removeLivePublicKey(live, i - 1);
        }
        if (live.length >= _MAX_LIVE_PUBLIC_KEYS) revert ConsortiumTooManyPublicKeys(id, r.purpose);
        _publicKeys[id][keyId] = PublicKey({
            memberId: id,
            purpose: r.purpose,
            algorithm: alg,
            validFrom: from,
            validUntil: until
        });
        live.push(keyId);
        emit PublicKeyAdded(id, keyId, r.purpose, alg, from, until, r.jwk);
    }

    /// @inheritdoc IConsortium
    function revokeOwnPublicKey(RevokeOwnPublicKeyRequest calldata r, bytes calldata signature) external {
        _authorizeOwnRevocation(
            keccak256(abi.encode(_REVOKE_OWN_PUBLIC_KEY_TYPEHASH, r.memberId, r.keyId, r.nonce, r.deadline)),
            signature,
            r.deadline,
            r.memberId,
            r.nonce
        );
        _revokePublicKey(r.memberId, r.keyId, true);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Governance-only changes
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function checkAdmission(bytes2 jurisdiction, uint8 roles, address key) public view {
        if (!Jurisdictions.isValid(jurisdiction)) revert ConsortiumInvalidJurisdiction(jurisdiction);
        _checkRoles(roles);
        if (key == address(0) || _keys[key].memberId != 0) revert ConsortiumKeyUnavailable(key);
    }

    /// @inheritdoc IConsortium
    function admitMember(
        bytes2 jurisdiction,
        uint8 roles,
        bytes32 nameHash,
        address key
    ) external onlyGovernance returns (uint64) {
        return _admit(jurisdiction, roles, nameHash, key, KeyOrigin.Admission);
    }

    /// @inheritdoc IConsortium
    function setMemberStatus(uint64 memberId, MemberStatus status) external onlyGovernance {
        Member storage m = _existingMember(memberId);
        MemberStatus old = m.status;
        bool allowed =
            (status == MemberStatus.Suspended && old == MemberStatus.Active) ||
                (status == MemberStatus.Active && old == MemberStatus.Suspended) ||
                (status == MemberStatus.Removed && old != MemberStatus.Removed);
        if (!allowed) revert ConsortiumInvalidMemberStatus(memberId, old);
        _setStatus(memberId, status);
    }

    /// @inheritdoc IConsortium
    function setRoles(uint64 memberId, uint8 roles) external onlyGovernance {
        Member storage m = _existingMember(memberId);
        _checkRoles(roles);
        if (m.status == MemberStatus.Removed) revert ConsortiumInvalidMemberStatus(memberId, m.status);
        if (roles & Roles.GOVERNOR == 0) _leaveGovernors(memberId);
        m.roles = roles;
        if (m.status == MemberStatus.Active && roles & Roles.GOVERNOR != 0) _governors.add(memberId);
        address[] storage keys = _liveKeys[memberId];
        for (uint256 i = 0; i < keys.length; ++i) _keys[keys[i]].roles = roles;
        emit MemberRolesChanged(memberId, roles);
    }

    /// @inheritdoc IConsortium
    function addKey(uint64 memberId, address key, uint48 validFrom, uint48 validUntil) external onlyGovernance {
        Member storage m = _existingMember(memberId);
        if (m.status == MemberStatus.Removed) revert ConsortiumInvalidMemberStatus(memberId, m.status);
        uint48 nowTs = uint48(block.timestamp);
        // Never in the past: a start that passed while the proposal was voted on becomes "now".
        _addKey(
            memberId,
            key,
            validFrom < nowTs ? nowTs : validFrom,
            validUntil == 0 ? _OPEN_ENDED : validUntil,
            KeyOrigin.Governance
        );
    }

    /// @inheritdoc IConsortium
    function revokeKey(uint64 memberId, address key) external onlyGovernance {
        _revokeKey(memberId, key, false);
    }

    /// @inheritdoc IConsortium
    function revokePublicKey(uint64 memberId, bytes32 keyId) external onlyGovernance {
        _revokePublicKey(memberId, keyId, false);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @dev The rule for a member revoking one of its own keys: signed by a key of `memberId` valid now, the member
     * active or suspended (a compromised key must be stoppable while suspended); consumes the signer's nonce.
     */
    function _authorizeOwnRevocation(
        bytes32 structHash,
        bytes calldata signature,
        uint48 deadline,
        uint64 memberId,
        uint256 nonce
    ) private {
        (address signer, SignerInfo memory info) = _recoverSigner(structHash, signature, deadline);
        if (info.memberId == 0 || !info.keyValid) revert SignedRequestUnauthorizedSigner(signer);
        if (info.memberId != memberId) revert ConsortiumKeyNotOfMember(memberId, signer);
        if (info.status != MemberStatus.Active && info.status != MemberStatus.Suspended) {
            revert ConsortiumInvalidMemberStatus(memberId, info.status);
        }
        _useCheckedNonce(signer, nonce);
    }

    /// @dev Reads the key record directly (MemberSigned asks the Consortium; here that is this contract).
    function _signerInfo(address key) internal view override returns (SignerInfo memory info) {
        SigningKey storage k = _keys[key];
        uint48 nowTs = uint48(block.timestamp);
        info.memberId = k.memberId;
        info.roles = k.roles;
        info.jurisdiction = k.jurisdiction;
        info.status = k.status;
        info.keyValid = k.memberId != 0 && k.validFrom <= nowTs && nowTs < k.validUntil;
        info.authorized = info.keyValid && k.status == MemberStatus.Active;
    }

    function _hasValidKeyNow(uint64 memberId) private view returns (bool) {
        address[] storage keys = _liveKeys[memberId];
        uint48 nowTs = uint48(block.timestamp);
        for (uint256 i = keys.length; i > 0; --i) {
            SigningKey storage k = _keys[keys[i - 1]];
            if (k.validFrom <= nowTs && nowTs < k.validUntil) return true;
        }
        return false;
    }

    function _existingMember(uint64 memberId) private view returns (Member storage m) {
        m = _members[memberId];
        if (m.status == MemberStatus.None) revert ConsortiumUnknownMember(memberId);
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert ConsortiumInvalidRoles(roles);
    }

    function _admit(
        bytes2 jurisdiction,
        uint8 roles,
        bytes32 nameHash,
        address key,
        KeyOrigin origin
    ) private returns (uint64 id) {
        checkAdmission(jurisdiction, roles, key);
        id = ++_memberCount;
        _members[id] = Member({
            jurisdiction: jurisdiction,
            roles: roles,
            status: MemberStatus.None,
            statusSince: 0,
            nameHash: nameHash
        });
        emit MemberAdmitted(id, jurisdiction, roles, nameHash);
        _setStatus(id, MemberStatus.Active);
        _addKey(id, key, uint48(block.timestamp), _OPEN_ENDED, origin);
    }

    /// @dev Takes a member out of the governor set, unless it is the last governor able to act.
    function _leaveGovernors(uint64 id) private {
        if (isEligibleGovernor(id) && eligibleGovernorCount() == 1) revert ConsortiumLastGovernor(id);
        _governors.remove(id);
    }

    function _setStatus(uint64 id, MemberStatus status) private {
        Member storage m = _members[id];
        if (status != MemberStatus.Active) _leaveGovernors(id);
        else if (m.roles & Roles.GOVERNOR != 0) _governors.add(id);
        uint48 nowTs = uint48(block.timestamp);
        m.status = status;
        m.statusSince = nowTs;
        _history[id].push(StatusChange({status: status, since: nowTs}));
        address[] storage keys = _liveKeys[id];
        for (uint256 i = 0; i < keys.length; ++i) _keys[keys[i]].status = status;
        emit MemberStatusChanged(id, status, nowTs);
    }

    function _addKey(uint64 id, address key, uint48 validFrom, uint48 validUntil, KeyOrigin origin) private {
        if (key == address(0) || _keys[key].memberId != 0) revert ConsortiumKeyUnavailable(key);
        if (validFrom >= validUntil || validUntil <= block.timestamp) {
            revert ConsortiumInvalidKeyWindow(validFrom, validUntil);
        }
        address[] storage keys = _liveKeys[id];
        // Prune keys whose window is over, so the live list stays bounded.
        for (uint256 i = keys.length; i > 0; --i) {
            if (_keys[keys[i - 1]].validUntil <= block.timestamp) _removeLiveKey(keys, i - 1);
        }
        if (keys.length >= _MAX_LIVE_KEYS) revert ConsortiumTooManyKeys(id);
        Member storage m = _members[id];
        _keys[key] = SigningKey({
            memberId: id,
            validFrom: validFrom,
            validUntil: validUntil,
            roles: m.roles,
            status: m.status,
            jurisdiction: m.jurisdiction
        });
        keys.push(key);
        emit KeyAdded(id, key, validFrom, validUntil, origin);
    }

    function _revokeKey(uint64 id, address key, bool selfRevoked) private {
        SigningKey storage k = _keys[key];
        if (id == 0 || k.memberId != id) revert ConsortiumKeyNotOfMember(id, key);
        uint48 nowTs = uint48(block.timestamp);
        if (k.validUntil <= nowTs) revert ConsortiumKeyAlreadyRevoked(key);
        bool wasEligible = isEligibleGovernor(id);
        k.validUntil = nowTs;
        address[] storage keys = _liveKeys[id];
        for (uint256 i = 0; i < keys.length; ++i) {
            if (keys[i] == key) {
                _removeLiveKey(keys, i);
                break;
            }
        }
        // The last valid key of the last governor able to act stays: without it nobody could govern again.
        if (wasEligible && !_hasValidKeyNow(id) && eligibleGovernorCount() == 0) revert ConsortiumLastGovernor(id);
        emit KeyRevoked(id, key, nowTs, selfRevoked);
    }

    function _revokePublicKey(uint64 id, bytes32 keyId, bool selfRevoked) private {
        PublicKey storage k = _publicKeys[id][keyId];
        if (k.memberId == 0) revert ConsortiumPublicKeyNotOfMember(id, keyId);
        uint48 nowTs = uint48(block.timestamp);
        if (k.validUntil <= nowTs) revert ConsortiumPublicKeyAlreadyRevoked(id, keyId);
        k.validUntil = nowTs;
        bytes32[] storage live = _livePublicKeys[id][k.purpose];
        for (uint256 i = 0; i < live.length; ++i) {
            if (live[i] == keyId) {
                _removeLivePublicKey(live, i);
                break;
            }
        }
        emit PublicKeyRevoked(id, keyId, nowTs, selfRevoked);
    }

    /**
     * @dev Whether `jwk` is the RFC 7638 thumbprint input of a public key on a curve `alg` takes: P-256 for ES256 and
     * EcdhEs, Ed25519 for EdDSA, X25519 for EcdhEs. Checks the layout only (members, order, lengths); that the
     * coordinates are base64url and a point on the curve is for the SDK, which refuses a key that is not.
     */
    function _isJwkOf(KeyAlgorithm alg, bytes calldata jwk) private pure returns (bool) {
        uint256 n = jwk.length;
        bool layout;
        if (alg == KeyAlgorithm.EdDSA) layout = n == 79 && keccak256(jwk[:34]) == _ED25519_PREFIX;
        else if (n == 126) layout = keccak256(jwk[:31]) == _P256_PREFIX && keccak256(jwk[74:81]) == _P256_MIDDLE;
        else layout = alg == KeyAlgorithm.EcdhEs && n == 78 && keccak256(jwk[:33]) == _X25519_PREFIX;
        return layout && jwk[n - 2] == bytes1(0x22) && jwk[n - 1] == bytes1(0x7d); // ends with "}
    }

    function _removeLivePublicKey(bytes32[] storage keys, uint256 i) private {
        keys[i] = keys[keys.length - 1];
        keys.pop();
    }

    function _removeLiveKey(address[] storage keys, uint256 i) private {
        keys[i] = keys[keys.length - 1];
        keys.pop();
    }
}
