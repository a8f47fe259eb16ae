// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";

/**
 * @title IMemberSigned
 * @notice Every write by a member to a crossproof contract — the Consortium's own governance and agreements
 * included — is a request signed (EIP-712) by a member key and submitted by any relayer. The signer, not the
 * relayer, is the actor. `nonces(signer)` (OpenZeppelin {Nonces}) gives the next nonce.
 *
 * The EIP-712 domain is `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,
 * bytes32 salt)` with `salt` = the consortium id ({IConsortium-consortiumId}), so that two deployments sharing a
 * chain id and contract addresses (two local chains, a staging copy of production) never accept each other's
 * requests. A deadline bounds a request's life; a per-signer nonce (where a request is not unique by itself) stops
 * replay.
 */
interface IMemberSigned {
    /// @dev The request's deadline has passed.
    error SignedRequestExpired(uint48 deadline);
    /// @dev The signature is malformed or does not recover to an address.
    error SignedRequestInvalidSignature();
    /// @dev The recovered signer is not a key, valid now, of an active member.
    error SignedRequestUnauthorizedSigner(address signer);
    /// @dev The signer's member holds none of the roles the action allows.
    error SignedRequestMissingRole(uint64 memberId, uint8 allowedRoles);

    /// @notice The Consortium that says who signers are.
    function consortium() external view returns (IConsortium);

    /// @notice The EIP-712 domain separator of this contract on this chain, for this consortium.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32);
}
