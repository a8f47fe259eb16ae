/**
 * Compiles the contracts only when the compiled ones are not current (`scripts/lib/freshness.ts`): `npm start` on a
 * compiled tree then starts without loading Hardhat. Exits with Hardhat's status when it compiles.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { compiledContractsFreshness } from "./lib/freshness";

const root = path.resolve(__dirname, "..");
const freshness = compiledContractsFreshness(root);
if (!freshness.current) {
  console.log(`compiling the contracts (${freshness.reason})`);
  const hardhat = path.join(path.dirname(require.resolve("hardhat/package.json")), "internal", "cli", "bootstrap.js");
  // `hardhat typechain` compiles and regenerates every binding; `compile` regenerates those of what it rebuilt.
  const task = freshness.bindingsMissing === true ? ["typechain"] : ["compile", "--quiet"];
  const run = spawnSync(process.execPath, [hardhat, ...task], { cwd: root, stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
