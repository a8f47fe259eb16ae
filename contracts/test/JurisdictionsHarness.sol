// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Jurisdictions} from "../base/Common.sol";

/// @dev Test only: exposes the {Jurisdictions} library, so that its assigned-code bitmap can be checked.
contract JurisdictionsHarness {
    function isValid(bytes2 code) external pure returns (bool) {
        return Jurisdictions.isValid(code);
    }

    function isWellFormed(bytes2 code) external pure returns (bool) {
        return Jurisdictions.isWellFormed(code);
    }

    function isValidOrUnset(bytes2 code) external pure returns (bool) {
        return Jurisdictions.isValidOrUnset(code);
    }
}
