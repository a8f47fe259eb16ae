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

/**
 * @dev Minimum-assurance flags a recognition agreement can require. Each flag has one rule that evaluates it:
 * COMPLETE_CUSTODY and TIMELY_ANCHOR are evaluated on chain by `EvidenceRegistry.endorse` (and by the SDK's
 * verifier with the same rule); BATCH_PROOF_ALLOWED concerns records proven by Merkle inclusion, which only the
 * verifier sees (endorsements name single anchors).
 */
library Assurance {
    /// Custody recorded (at least the collection) and complete: no transfer waits for its receiver's receipt.
    uint8 internal constant COMPLETE_CUSTODY = 1 << 0;
    /// A record proven only by inclusion in a Merkle batch is acceptable.
    uint8 internal constant BATCH_PROOF_ALLOWED = 1 << 1;
    /// Anchored within the agreement's `anchorWindow` seconds after the claimed collection time.
    uint8 internal constant TIMELY_ANCHOR = 1 << 2;
    uint8 internal constant ALL = (1 << 3) - 1;
}

/// @dev ISO 3166-1 alpha-2 codes as `bytes2`.
library Jurisdictions {
    // The 249 officially assigned ISO 3166-1 alpha-2 codes as a 676-bit set: code "XY" is bit
    // (X - 'A') * 26 + (Y - 'A'). Checked in the tests against the `iso-3166` package's list.
    uint256 private constant _ASSIGNED_0 = 0x0340400f7818068d0015fb9fb0095c000e00d48015843f27deddbdefeedf5978;
    uint256 private constant _ASSIGNED_1 = 0x9fbb3ae7fdf1510040000001538f3c400100084b25d7fffcfd4f8141f42b1d00;
    uint256 private constant _ASSIGNED_2 = 0x000000000000000000000001004004080010000000004002004085570410419a;

    /// @dev Two upper-case ASCII letters (the shape of a code, assigned or not).
    function isWellFormed(bytes2 code) internal pure returns (bool) {
        uint8 a = uint8(code[0]);
        uint8 b = uint8(code[1]);
        return a >= 0x41 && a <= 0x5a && b >= 0x41 && b <= 0x5a;
    }

    /// @dev An officially assigned ISO 3166-1 alpha-2 code ("FR" yes; "XX", "ZZ" or "fr" no).
    function isValid(bytes2 code) internal pure returns (bool) {
        if (!isWellFormed(code)) return false;
        uint256 idx = (uint256(uint8(code[0])) - 0x41) * 26 + (uint256(uint8(code[1])) - 0x41);
        uint256 word =
            idx < 256
                ? _ASSIGNED_0
                : idx < 512
                    ? _ASSIGNED_1
                    : _ASSIGNED_2;
        return (word >> (idx & 0xff)) & 1 == 1;
    }

    /// @dev Valid, or zero for "not stated".
    function isValidOrUnset(bytes2 code) internal pure returns (bool) {
        return code == bytes2(0) || isValid(code);
    }
}
