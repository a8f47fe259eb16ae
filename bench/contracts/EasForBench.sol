// SPDX-License-Identifier: Apache-2.0
// Only the gas benchmark compiles this folder (hardhat.bench.config.ts): it brings the Ethereum Attestation
// Service's contracts, from their npm package, into the benchmark's build.
pragma solidity 0.8.29;

import {EAS} from "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol";
import {SchemaRegistry} from "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol";
