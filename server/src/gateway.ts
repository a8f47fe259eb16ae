/**
 * A running gateway: the SQLite database, the SDK connection to the chain, the content store, the session issuer,
 * the routes, and the HTTP server. `startGateway` brings them up in that order and `close` takes them down in the
 * reverse order.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pino, type Logger } from "pino";
import { connect, EmbeddedContentStore, KuboContentStore, type ContentStore, type Crossproof } from "../../sdk/src";
import { Api } from "./api";
import { createApp, gatewayMetrics, type GatewayMetrics } from "./app";
import { Sessions } from "./auth/principal";
import type { GatewayConfig } from "./config";
import { openDatabase, type Db } from "./db";
import type { Indexer } from "./indexer";
import { PROBLEM_MEDIA_TYPE, Problem } from "./problems";
import { loadKeystore, type HostedMember } from "./keystore";

/** What every route module gets. */
export interface GatewayContext {
  config: GatewayConfig;
  log: Logger;
  db: Db;
  /** The SDK connection: every client, the verifier, the relayer (when a relayer key is configured). */
  cp: Crossproof;
  store: ContentStore;
  /** The members this gateway serves, with their keys (from the keystore). */
  members: Map<bigint, HostedMember>;
  sessions: Sessions;
  api: Api;
  metrics: GatewayMetrics;
  /** The chain index, when the indexer module is registered (readiness then waits for it to catch up). */
  indexer?: Indexer;
  /** Work to run at close (workers, timers), last registered first. */
  onClose(fn: () => Promise<void> | void): void;
}

/** A route module: declares its routes on `ctx.api` and starts what it needs. */
export type GatewayModule = (ctx: GatewayContext) => Promise<void> | void;

export interface RunningGateway {
  url: string;
  ctx: GatewayContext;
  server: Server;
  close(): Promise<void>;
}

/** The secret session tokens are signed with: made once, kept in the data folder (0600). */
function sessionSecret(dir: string): Uint8Array {
  const file = path.join(dir, "session.key");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return Buffer.from(readFileSync(file, "utf8").trim(), "base64url");
}

/** The answer while the gateway starts: 503, a problem document, try again in a second. */
function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { "content-type": PROBLEM_MEDIA_TYPE, "retry-after": "1" });
  res.end(JSON.stringify(new Problem("not-ready", "the gateway is starting").toJSON()));
}

export async function startGateway(
  config: GatewayConfig,
  modules: readonly GatewayModule[],
  o: {
    log?: Logger; /** The keystore, already opened by the caller (opening it costs a PBKDF2 run per file). */
    members?: Map<bigint, HostedMember>;
  } = {},
): Promise<RunningGateway> {
  const log = o.log ?? pino({ level: config.logLevel, base: { service: "crossproof-gateway" } });
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ err }, "error while closing");
      }
    }
  };
  try {
    // Bind the port first: with port 0 the public URL (the SIWE domain, the token issuer) is known only now.
    // Until the routes are mounted, a request is answered 503 (without a listener it would never be answered).
    const server = createServer(starting);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    let serverClosed: Promise<void> | undefined;
    const stopServer = () =>
      (serverClosed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }));
    closers.push(stopServer);
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host}:${port}`;
    if (config.publicUrl === "") config = { ...config, publicUrl: url };
    const db = openDatabase(config.database);
    closers.push(() => {
      db.close();
    });
    const cp = await connect({
      rpcUrl: config.rpcUrl,
      deployment: config.deploymentFile,
      ...(config.relayerKey === "" ? {} : { relayer: config.relayerKey }),
    });
    closers.push(() => cp.close());
    const store: ContentStore =
      config.contentStore.kind === "kubo"
        ? new KuboContentStore(config.contentStore.url)
        : await EmbeddedContentStore.open(config.contentStore.dir);
    closers.push(() => store.close());
    const members = o.members ?? (await loadKeystore(config.keystoreDir, config.keystorePassword));
    log.info({ members: [...members.keys()].map(String) }, "hosted members");
    const sessions = new Sessions(sessionSecret(path.dirname(config.database)), config.publicUrl, config.tokenTtl);
    const metrics = gatewayMetrics();
    const api = new Api(sessions);
    const ctx: GatewayContext = {
      config,
      log,
      db,
      cp,
      store,
      members,
      sessions,
      api,
      metrics,
      onClose: (fn) => closers.push(fn),
    };
    for (const m of modules) await m(ctx);
    const app = createApp({
      api,
      identify: sessions.identify,
      log,
      bodyLimit: config.bodyLimit,
      rateLimit: config.rateLimit,
      metricsSet: metrics,
      ready: async () => {
        await cp.chainTime();
        const index = ctx.indexer?.status();
        if (index !== undefined && !index.caughtUp) {
          throw new Error(
            `the chain index is at block ${index.indexedBlock} of ${index.headBlock}` +
              (index.lastError === undefined ? "" : ` (${index.lastError})`),
          );
        }
      },
      openapi: { title: "crossproof gateway", version: "1", serverUrl: config.publicUrl },
    });
    server.off("request", starting).on("request", app);
    closers.push(stopServer); // closed first: no request reaches a closed database or store
    log.info({ url }, "gateway listening");
    return { url, ctx, server, close };
  } catch (err) {
    await close();
    throw err;
  }
}
