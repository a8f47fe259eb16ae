/**
 * Checks a Besu genesis against what the compiled contracts need (docs/BESU.md, "Genesis lint"): milestones at or
 * past the EVM version in the artifacts' metadata, zero base fee, the contract size limit, a sane gas limit, QBFT
 * timing, and extraData decoding to the validators (those of network.json beside it, when present).
 *
 *   npm run lint:genesis -- deploy/besu/example/genesis.json
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { lintGenesis, readCompiledContracts, type NetworkManifest } from "./besu-network";

const file = process.argv[2] ?? path.join("deploy", "besu", "example", "genesis.json");
const root = path.resolve(__dirname, "..");
const genesis = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
const manifestFile = path.join(path.dirname(file), "network.json");
const manifest = existsSync(manifestFile)
  ? (JSON.parse(readFileSync(manifestFile, "utf8")) as NetworkManifest)
  : undefined;
const checks = lintGenesis(genesis, readCompiledContracts(path.join(root, "artifacts")), manifest);
for (const c of checks) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.check}: ${c.detail}`);
const failed = checks.filter((c) => !c.ok).length;
console.log(failed === 0 ? `${file}: all ${checks.length} checks pass` : `${file}: ${failed} check(s) failed`);
process.exit(failed === 0 ? 0 : 1);
