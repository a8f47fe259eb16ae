// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Jurisdictions} from "./Common.sol";

/**
 * @dev Sets of ISO 3166-1 alpha-2 codes as 676-bit sets in three words: code "XY" is bit
 * (X - 'A') * 26 + (Y - 'A'). Subset, intersection and membership are a few word operations.
 */
library Territories {
    /// @dev The code is not two upper-case ASCII letters.
    error TerritoriesInvalidCode(bytes2 code);

    function _index(bytes2 code) private pure returns (uint256) {
        if (!Jurisdictions.isValid(code)) revert TerritoriesInvalidCode(code);
        return (uint256(uint8(code[0])) - 0x41) * 26 + (uint256(uint8(code[1])) - 0x41);
    }

    /// @dev The set of `codes` (duplicates allowed). Reverts on an invalid code.
    function fromCodes(bytes2[] calldata codes) internal pure returns (uint256[3] memory set) {
        for (uint256 i = 0; i < codes.length; ++i) {
            uint256 idx = _index(codes[i]);
            set[idx >> 8] |= 1 << (idx & 0xff);
        }
    }

    /// @dev Whether `set` contains `code` (false for an invalid code).
    function contains(uint256[3] storage set, bytes2 code) internal view returns (bool) {
        if (!Jurisdictions.isValid(code)) return false;
        uint256 idx = _index(code);
        return (set[idx >> 8] >> (idx & 0xff)) & 1 == 1;
    }

    function isEmpty(uint256[3] memory set) internal pure returns (bool) {
        return set[0] | set[1] | set[2] == 0;
    }

    /// @dev Whether every code of `child` is in `parent`.
    function isSubset(uint256[3] memory child, uint256[3] storage parent) internal view returns (bool) {
        return child[0] & ~parent[0] == 0 && child[1] & ~parent[1] == 0 && child[2] & ~parent[2] == 0;
    }

    /// @dev Whether the two sets share a code.
    function intersects(uint256[3] memory a, uint256[3] storage b) internal view returns (bool) {
        return a[0] & b[0] != 0 || a[1] & b[1] != 0 || a[2] & b[2] != 0;
    }
}
