// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IWorkDisputes} from "../interfaces/IWorkDisputes.sol";

/// @dev Test only: a licence registry's dispute desk, reduced to what the consortium governance needs of it.
contract TestWorkDisputes is IWorkDisputes {
    address private immutable _governance;
    mapping(uint256 disputeId => bool) private _open;

    event DisputeResolved(uint256 indexed disputeId, address newHolder, bytes32 decisionHash);

    error TestWorkDisputesRefused(uint256 disputeId, address caller);

    constructor(address governance_) {
        _governance = governance_;
    }

    function fileDispute(uint256 disputeId) external {
        _open[disputeId] = true;
    }

    function isDisputeOpen(uint256 disputeId) external view returns (bool) {
        return _open[disputeId];
    }

    function resolveDispute(uint256 disputeId, address newHolder, bytes32 decisionHash) external {
        if (msg.sender != _governance || !_open[disputeId]) revert TestWorkDisputesRefused(disputeId, msg.sender);
        _open[disputeId] = false;
        emit DisputeResolved(disputeId, newHolder, decisionHash);
    }
}
