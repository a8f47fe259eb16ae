// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMemberSigned} from "../interfaces/IMemberSigned.sol";

/**
 * @title MemberSigned
 * @notice The signed-request base of every crossproof contract: checks the deadline, recovers the EIP-712 signer,
 * resolves signer → member in one call (member id, roles, jurisdiction, status, key valid now) and checks the role.
 * Nonces are consumed only for requests that are not unique by themselves. The domain carries the consortium id as
 * its salt (see {IMemberSigned}).
 */
abstract contract MemberSigned is IMemberSigned, IERC5267, Nonces {
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)"
    );
    /// @dev Version of every crossproof domain.
    string private constant _VERSION = "2";

    IConsortium private immutable _consortium;
    bytes32 private immutable _salt;
    bytes32 private immutable _hashedName;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;
    string private _name;

    /// @dev The member behind a verified request.
    struct Signer {
        address key;
        uint64 memberId;
        bytes2 jurisdiction;
    }

    /**
     * @param name the EIP-712 domain name ("crossproof EvidenceRegistry", ...).
     * @param consortium_ the Consortium (for the Consortium itself: its own address).
     * @param salt the consortium id.
     */
    constructor(string memory name, IConsortium consortium_, bytes32 salt) {
        _consortium = consortium_;
        _salt = salt;
        _name = name;
        _hashedName = keccak256(bytes(name));
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator(keccak256(bytes(name)), salt);
    }

    /// @inheritdoc IMemberSigned
    function consortium() public view returns (IConsortium) {
        return _consortium;
    }

    /// @inheritdoc IMemberSigned
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc IERC5267
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"1f", _name, _VERSION, block.chainid, address(this), _salt, new uint256[](0));
    }

    function _buildDomainSeparator(bytes32 hashedName, bytes32 salt) private view returns (bytes32) {
        return
            keccak256(
                abi.encode(_DOMAIN_TYPEHASH, hashedName, keccak256(bytes(_VERSION)), block.chainid, address(this), salt)
            );
    }

    function _domainSeparator() internal view returns (bytes32) {
        if (block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator(_hashedName, _salt);
    }

    /// @dev The EIP-712 digest of a request whose struct hash is `structHash`.
    function _hashTypedData(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @dev Who `key` signs for. The Consortium overrides this to read its own storage.
    function _signerInfo(address key) internal view virtual returns (IConsortium.SignerInfo memory) {
        return _consortium.signerInfo(key);
    }

    /**
     * @dev Verifies a signed request whose `structHash` already commits to its nonce (if any) and deadline: the
     * signer must be a key valid now of an active member holding one of `allowedRoles`.
     * Reverts with {SignedRequestExpired}, {SignedRequestInvalidSignature}, {SignedRequestUnauthorizedSigner} or
     * {SignedRequestMissingRole}.
     */
    function _verifySigned(
        bytes32 structHash,
        bytes calldata signature,
        uint48 deadline,
        uint8 allowedRoles
    ) internal view returns (Signer memory s) {
        (address key, IConsortium.SignerInfo memory info) = _recoverSigner(structHash, signature, deadline);
        if (!info.authorized) revert SignedRequestUnauthorizedSigner(key);
        if (info.roles & allowedRoles == 0) revert SignedRequestMissingRole(info.memberId, allowedRoles);
        s = Signer({key: key, memberId: info.memberId, jurisdiction: info.jurisdiction});
    }

    /**
     * @dev Deadline and signature only: returns the key and what the Consortium says of it, for callers with their
     * own authorisation rule (a suspended member revoking its own key). Reverts with {SignedRequestExpired} or
     * {SignedRequestInvalidSignature}.
     */
    function _recoverSigner(
        bytes32 structHash,
        bytes calldata signature,
        uint48 deadline
    ) internal view returns (address key, IConsortium.SignerInfo memory info) {
        _checkDeadline(deadline);
        ECDSA.RecoverError err;
        (key, err, ) = ECDSA.tryRecoverCalldata(_hashTypedData(structHash), signature);
        if (err != ECDSA.RecoverError.NoError) revert SignedRequestInvalidSignature();
        info = _signerInfo(key);
    }

    /**
     * @dev Recovers the key that signed `digest` and asks who it signs for, without reverting (`recovered` false for
     * a malformed signature; `info.authorized` false for a key that may not act now).
     */
    function _recoverMember(
        bytes32 digest,
        bytes calldata signature
    ) internal view returns (bool, address, IConsortium.SignerInfo memory info) {
        (address key, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) return (false, key, info);
        return (true, key, _signerInfo(key));
    }

    /// @dev Reverts with {SignedRequestExpired} once `deadline` has passed (for requests signed by non-members too).
    function _checkDeadline(uint48 deadline) internal view {
        if (block.timestamp > deadline) revert SignedRequestExpired(deadline);
    }

    /// @dev As {_verifySigned}, and consumes the signer's `nonce` (reverts with {InvalidAccountNonce} otherwise).
    function _verifySignedWithNonce(
        bytes32 structHash,
        bytes calldata signature,
        uint48 deadline,
        uint8 allowedRoles,
        uint256 nonce
    ) internal returns (Signer memory s) {
        s = _verifySigned(structHash, signature, deadline, allowedRoles);
        _useCheckedNonce(s.key, nonce);
    }
}
