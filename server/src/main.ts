/**
 * The gateway as a program (`npm run gateway`): its configuration from the environment (see config.ts), every
 * module, and a clean stop on SIGINT or SIGTERM (the HTTP server first, then the outbox worker, the chain
 * connection, the content store and the database). What the outbox accepted and did not send yet is sent by the
 * next start, so a stop — or a crash — loses nothing that was answered `202`.
 */
import { loadGatewayConfig } from "./config";
import { startGateway } from "./gateway";
import { gatewayModules } from "./modules";

async function main(): Promise<void> {
  const gateway = await startGateway(loadGatewayConfig(), gatewayModules);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    gateway.ctx.log.info({ signal }, "stopping");
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.ctx.log.error({ err }, "stopping failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`crossproof gateway: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
