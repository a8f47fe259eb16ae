/**
 * `npm run demo`: the cross-border story (scripts/lib/demo-story.ts) through the gateway `npm start` runs. When nothing
 * answers on the chain and gateway ports, it starts `npm start`'s stack itself (same data folder, same settings) and
 * stops it at the end, its state saved.
 *
 * Environment: CROSSPROOF_DATA_DIR (default .crossproof), CROSSPROOF_CHAIN_PORT (default 8545),
 * CROSSPROOF_GATEWAY_PORT (default 8080), CROSSPROOF_KEYSTORE_PASSWORD (when npm start was given one).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { rpcAnswers } from "./lib/anvil";
import { runCrossBorderDemo } from "./lib/demo-story";

/** Whether a gateway answers, and is ready, at `url`. */
async function gatewayReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).ok;
  } catch {
    return false;
  }
}

/** Starts `npm start`'s script with this environment; resolves once it says it is ready. */
function startStack(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "start.ts")],
      // Its request logs would drown the story: warnings only, unless asked otherwise.
      { env: { CROSSPROOF_LOG_LEVEL: "warn", ...process.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`npm start did not get ready within 3 minutes:\n${output}`));
    }, 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("press Ctrl-C to stop")) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stderr.off("data", onData);
        // Keep reading what it prints (a full pipe would stall it); its warnings go to our stderr.
        child.stdout.resume();
        child.stderr.on("data", (c: Buffer) => process.stderr.write(c));
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before it was ready (code ${code}):\n${output}`));
    });
  });
}

/** Stops the stack this script started (Ctrl-C: the gateway first, then the chain, its state saved). */
function stopStack(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
}

// Ctrl-C: exit through process.exit, so that the story's temporary files (the capture's plaintext) are removed. A
// stack this script started is stopped too (from a terminal it gets the same Ctrl-C), saving its state.
let started: ChildProcess | undefined;
process.once("SIGINT", () => {
  console.error("\ninterrupted: the demo's temporary files are removed");
  started?.kill("SIGINT"); // when the Ctrl-C did not come from a terminal (its stop is idempotent)
  process.exit(130);
});

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CROSSPROOF_DATA_DIR ?? ".crossproof");
  const rpcUrl = `http://127.0.0.1:${Number(process.env.CROSSPROOF_CHAIN_PORT ?? 8545)}`;
  const gatewayUrl = `http://127.0.0.1:${Number(process.env.CROSSPROOF_GATEWAY_PORT ?? 8080)}`;
  if (!(await gatewayReady(gatewayUrl))) {
    if (await rpcAnswers(rpcUrl)) {
      throw new Error(
        `a chain answers at ${rpcUrl} but no gateway is ready at ${gatewayUrl}: wait for npm start to say it is ` +
          "ready, or set CROSSPROOF_GATEWAY_PORT to its gateway's port",
      );
    }
    console.log(`no crossproof stack answers at ${gatewayUrl}: starting npm start's stack (data in ${dataDir})`);
    started = await startStack();
    console.log("  ready; it will be stopped at the end, its state saved\n");
  }
  try {
    await runCrossBorderDemo({ gatewayUrl, rpcUrl, dataDir, log: (l) => console.log(l) });
  } finally {
    if (started !== undefined) {
      await stopStack(started);
      console.log("\nthe stack this demo started is stopped (its chain state is saved)");
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
