/**
 * `npm run test:besu-profile`: the Besu parity profile (docs/BESU.md). Generates a four-country network as an operator
 * would, lints its genesis, then runs the profile's own tests and a representative part of the gateway suites with
 * Anvil configured as that genesis, behind the RPC guard (test/helpers/rpc-guard.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateNetwork, lintGenesis, readCompiledContracts } from "./besu-network";

/** The gateway suites run through the guard: relaying and the outbox, the chain index, verification over HTTP. */
const SUITES = [
  "test/besu/profile.test.ts",
  "test/server/submissions.test.ts",
  "test/server/indexer.test.ts",
  "test/server/verification.test.ts",
];

const root = path.resolve(__dirname, "..");
const out = mkdtempSync(path.join(tmpdir(), "crossproof-besu-profile-"));
let status = 1;
try {
  const manifest = generateNetwork({ out, countries: ["FR", "DE", "US", "ES"], validatorsPerCountry: 2 });
  const genesisFile = path.join(out, "genesis.json");
  const genesis = JSON.parse(readFileSync(genesisFile, "utf8")) as Record<string, unknown>;
  const checks = lintGenesis(genesis, readCompiledContracts(path.join(root, "artifacts")), manifest);
  for (const c of checks) console.log(`${c.ok ? "PASS" : "FAIL"}  genesis ${c.check}: ${c.detail}`);
  if (checks.every((c) => c.ok)) {
    const hardhat = path.join(path.dirname(require.resolve("hardhat/package.json")), "internal", "cli", "bootstrap.js");
    const run = spawnSync(process.execPath, [hardhat, "test", ...SUITES], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, CROSSPROOF_BESU_PROFILE: genesisFile },
    });
    status = run.status ?? 1;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
