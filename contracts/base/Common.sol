// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Member role flags (a member may hold several).
library Roles {
    uint8 internal constant AGENCY = 1 << 0;
    uint8 internal constant COURT = 1 << 1;
    uint8 internal constant PLATFORM = 1 << 2;
    uint8 internal constant REGISTRY = 1 << 3;
    uint8 internal constant OPERATOR = 1 << 4;
    uint8 internal constant GOVERNOR = 1 << 5;
    uint8 internal constant ALL = (1 << 6) - 1;
}

/// @dev Minimum-assurance flags a recognition agreement can require.
library Assurance {
    /// Signed by a member key that was valid at signing time.
    uint8 internal constant SIGNED_BY_VALID_KEY = 1 << 0;
    /// Chain of custody complete: every transfer acknowledged by its receiver.
    uint8 internal constant COMPLETE_CUSTODY = 1 << 1;
    /// Evidence anchored only through a Merkle batch (with an inclusion proof) is acceptable.
    uint8 internal constant BATCH_PROOF_ALLOWED = 1 << 2;
    /// Collection time claimed by the agency is within 24 hours before anchoring.
    uint8 internal constant TIMELY_ANCHOR = 1 << 3;
    uint8 internal constant ALL = (1 << 4) - 1;
}

/// @dev ISO 3166-1 alpha-2 codes as `bytes2`.
library Jurisdictions {
    /// @dev Two upper-case ASCII letters.
    function isValid(bytes2 code) internal pure returns (bool) {
        uint8 a = uint8(code[0]);
        uint8 b = uint8(code[1]);
        return a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;
    }
}
