// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IWorkDisputes
 * @notice What the consortium governance needs of a licence registry to settle a dispute over who holds a work:
 * a REGISTRY member files the dispute there, and a passed {IConsortiumGovernance} `ResolveWorkDispute` proposal
 * resolves it.
 */
interface IWorkDisputes {
    /// @notice Whether `disputeId` was filed and is not resolved yet.
    function isDisputeOpen(uint256 disputeId) external view returns (bool);

    /**
     * @notice Resolves a dispute, callable only by the consortium's governance contract: `newHolder` zero dismisses
     * it; otherwise the work is assigned by force to `newHolder` (the holder history shows it as forced, and the
     * root licences granted by the holder it displaces fail verification with TITLE_VOIDED).
     */
    function resolveDispute(uint256 disputeId, address newHolder, bytes32 decisionHash) external;
}
