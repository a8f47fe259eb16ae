/**
 * `npm run demo`: the demo scenario against the chain `npm start` runs (start it first, in another terminal).
 *
 * Environment: CROSSPROOF_DATA_DIR (default .crossproof), CROSSPROOF_CHAIN_PORT (default 8545).
 */
import path from "node:path";
import { localProvider } from "./lib/anvil";
import { readDeployment } from "./lib/deploy";
import { runDemo } from "./lib/demo";

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CROSSPROOF_DATA_DIR ?? ".crossproof");
  const url = `http://127.0.0.1:${Number(process.env.CROSSPROOF_CHAIN_PORT ?? 8545)}`;
  const deployment = readDeployment(path.join(dataDir, "deployment.json"));
  if (deployment === undefined) throw new Error(`no deployment in ${dataDir}: run npm start first`);
  const provider = localProvider(url);
  try {
    await runDemo({ provider, deployment, workDir: path.join(dataDir, "demo"), log: (l) => console.log(l) });
    console.log(`done; files in ${path.join(dataDir, "demo")}`);
  } finally {
    provider.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
