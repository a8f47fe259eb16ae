/**
 * The gateway's command line: `backup`, `restore`, and `purge` (one purge now, for `CROSSPROOF_PURGE_INTERVAL=0`).
 * The configuration comes from the same environment the gateway reads (docs/GATEWAY.md).
 * @example
 * npm run gateway:backup -- --to /backups/gateway-2026-05-01
 * npm run gateway:restore -- --from /backups/gateway-2026-05-01 --expect-sha256 <digest the backup printed>
 */
import { Command } from "commander";
import { pino } from "pino";
import { connect, EmbeddedContentStore, KuboContentStore, type ContentStore } from "../../sdk/src";
import { BackupError, backupGateway, restoreGateway } from "./backup";
import { loadGatewayConfig } from "./config";
import { openDatabase } from "./db";
import { runPurge } from "./retention";

const program = new Command()
  .name("crossproof-gateway")
  .description("Maintenance of a crossproof gateway's data (configured by the CROSSPROOF_* environment variables)");

program
  .command("backup")
  .description("Back up the database (online), the content store, the key files and the deployment record")
  .requiredOption("--to <dir>", "a new or empty folder")
  .option("--wait <seconds>", "how long to wait for a purge in progress", "600")
  .action(async (o: { to: string; wait: string }) => {
    const r = await backupGateway(loadGatewayConfig(), { to: o.to, waitSeconds: Number(o.wait) });
    console.log(`backed up ${r.manifest.files.length} files (${r.bytes} bytes) into ${r.dir}`);
    if (r.manifest.contentStore.kind === "kubo") {
      console.log(
        `the content is on the Kubo node (${r.manifest.contentStore.roots.length} roots kept): back it up with ipfs`,
      );
    }
    console.log(`manifest sha256 ${r.manifestSha256} (keep it apart; restore --expect-sha256 checks it)`);
  });

program
  .command("restore")
  .description("Restore a backup, after checking every hash; refuses while a gateway runs on the data")
  .requiredOption("--from <dir>", "the backup folder")
  .option("--force", "move the data that is there aside instead of refusing")
  .option("--expect-sha256 <hex>", "the manifest's SHA-256, as the backup printed it")
  .action(async (o: { from: string; force?: boolean; expectSha256?: string }) => {
    const r = await restoreGateway(loadGatewayConfig(), {
      from: o.from,
      ...(o.force === true ? { force: true } : {}),
      ...(o.expectSha256 === undefined ? {} : { expectSha256: o.expectSha256 }),
    });
    for (const p of r.movedAside) console.log(`moved aside: ${p}`);
    for (const p of r.restored) console.log(`restored: ${p}`);
    if (r.missingRoots.length > 0) {
      console.log(`the Kubo node lacks ${r.missingRoots.length} kept roots: ${r.missingRoots.join(" ")}`);
      process.exitCode = 2;
    }
  });

program
  .command("purge")
  .description("Purge now the packages past their retention (unless under a legal hold)")
  .action(async () => {
    const config = loadGatewayConfig();
    const log = pino({ level: config.logLevel, base: { service: "crossproof-gateway" } });
    const db = openDatabase(config.database);
    const cp = await connect({ rpcUrl: config.rpcUrl, deployment: config.deploymentFile });
    const store: ContentStore =
      config.contentStore.kind === "kubo"
        ? new KuboContentStore(config.contentStore.url)
        : await EmbeddedContentStore.open(config.contentStore.dir);
    try {
      const run = await runPurge({ db, store, cp, config, log });
      if (run.skipped !== undefined) console.log(`skipped: ${run.skipped}`);
      for (const e of run.purged) console.log(`purged ${e.cid} (member ${e.memberId}, ${e.blocksRemoved} blocks)`);
      for (const e of run.held) console.log(`held ${e.cid} (member ${e.memberId}, legal hold ${e.holdId})`);
    } finally {
      await store.close();
      cp.close();
      db.close();
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof BackupError ? `${err.code}: ${err.message}` : err);
  process.exitCode = 1;
});
