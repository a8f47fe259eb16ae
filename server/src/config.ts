/**
 * The gateway's configuration, from the environment (documented in docs/GATEWAY.md, generated from this table).
 * The defaults serve the embedded setup that `npm start` brings up.
 */
import path from "node:path";
import { z } from "./zod";

/** Every setting: its environment variable, default and meaning. The one source of the documented table. */
export const ConfigTable = {
  host: { env: "CROSSPROOF_GATEWAY_HOST", default: "127.0.0.1", doc: "Address the gateway listens on." },
  port: { env: "CROSSPROOF_GATEWAY_PORT", default: "8080", doc: "Port the gateway listens on (0: any free port)." },
  publicUrl: {
    env: "CROSSPROOF_GATEWAY_URL",
    default: "",
    doc: "The URL clients reach the gateway at (the SIWE domain and URI, the session issuer). Default: http://host:port.",
  },
  rpcUrl: { env: "CROSSPROOF_RPC_URL", default: "http://127.0.0.1:8545", doc: "The chain node's JSON-RPC URL." },
  dataDir: {
    env: "CROSSPROOF_DATA_DIR",
    default: ".crossproof",
    doc: "Data folder: deployment record, gateway database, content store, keystore.",
  },
  deploymentFile: {
    env: "CROSSPROOF_DEPLOYMENT",
    default: "",
    doc: "The deployment record. Default: <dataDir>/deployment.json.",
  },
  database: {
    env: "CROSSPROOF_GATEWAY_DB",
    default: "",
    doc: "SQLite database. Default: <dataDir>/gateway/gateway.db.",
  },
  contentStore: {
    env: "CROSSPROOF_CONTENT_STORE",
    default: "",
    doc: "Content store: a folder (embedded, default <dataDir>/content) or the URL of a Kubo RPC API (http://…:5001).",
  },
  keystoreDir: {
    env: "CROSSPROOF_KEYSTORE",
    default: "",
    doc: "Folder of the hosted members' encrypted key files. Default: <dataDir>/gateway/keys.",
  },
  keystorePassword: {
    env: "CROSSPROOF_KEYSTORE_PASSWORD",
    default: "",
    doc: "Password of the key files (never on the command line).",
  },
  relayerKey: {
    env: "CROSSPROOF_RELAYER_KEY",
    default: "",
    doc: "Private key of the account that sends the hosted members' signed requests (pays gas, is never the actor).",
  },
  confirmations: {
    env: "CROSSPROOF_CONFIRMATIONS",
    default: "1",
    doc: "Blocks an anchor needs to count as final in reports (QBFT blocks are final at 1).",
  },
  bodyLimit: { env: "CROSSPROOF_BODY_LIMIT", default: "1mb", doc: "Largest JSON body." },
  uploadLimit: {
    env: "CROSSPROOF_UPLOAD_LIMIT",
    default: "4294967296",
    doc: "Largest upload (bytes) for packages and evidence files.",
  },
  rateLimit: {
    env: "CROSSPROOF_RATE_LIMIT",
    default: "600",
    doc: "Requests per minute per client (authenticated: per member; else per address).",
  },
  tokenTtl: { env: "CROSSPROOF_TOKEN_TTL", default: "900", doc: "Seconds a session token (JWT) is valid." },
  retentionDays: {
    env: "CROSSPROOF_RETENTION_DAYS",
    default: "90",
    doc: "Member policy: days a package is kept when no assistance request or date sets its retention (chain time).",
  },
  purgeIntervalSeconds: {
    env: "CROSSPROOF_PURGE_INTERVAL",
    default: "3600",
    doc: "Seconds between purges of packages past their retention (0: only when run by hand).",
  },
  logLevel: { env: "CROSSPROOF_LOG_LEVEL", default: "info", doc: "pino log level (silent, error, warn, info, debug)." },
  indexerPollMs: {
    env: "CROSSPROOF_INDEXER_POLL_MS",
    default: "1000",
    doc: "Milliseconds between two polls of the chain by the indexer (0: never polls by itself).",
  },
  indexerPageSize: {
    env: "CROSSPROOF_INDEXER_PAGE",
    default: "2000",
    doc: "Blocks the indexer asks eth_getLogs for at once (halved while the node refuses the range).",
  },
  alertsPollMs: {
    env: "CROSSPROOF_ALERTS_POLL_MS",
    default: "1000",
    doc: "Milliseconds between two rounds of the alerts worker: derive alerts from the index and chain time, send due webhooks (0: never by itself).",
  },
  alertsRetryBaseMs: {
    env: "CROSSPROOF_ALERTS_RETRY_BASE_MS",
    default: "10000",
    doc: "A failed webhook is retried after this many milliseconds, doubling at each failure (±20%).",
  },
  alertsRetryMaxMs: {
    env: "CROSSPROOF_ALERTS_RETRY_MAX_MS",
    default: "3600000",
    doc: "The longest wait between two attempts of a webhook (milliseconds).",
  },
  alertsMaxAttempts: {
    env: "CROSSPROOF_ALERTS_MAX_ATTEMPTS",
    default: "12",
    doc: "Attempts of a webhook before it goes to the dead letters (redrive puts it back).",
  },
  alertsWebhookTimeoutMs: {
    env: "CROSSPROOF_ALERTS_WEBHOOK_TIMEOUT_MS",
    default: "10000",
    doc: "Milliseconds a webhook receiver has to answer before the attempt counts as failed.",
  },
  alertsKeepAliveMs: {
    env: "CROSSPROOF_ALERTS_KEEPALIVE_MS",
    default: "15000",
    doc: "Milliseconds between two keep-alive comments on an idle alert stream (Server-Sent Events).",
  },
  alertsPrivateWebhooks: {
    env: "CROSSPROOF_ALERTS_PRIVATE_WEBHOOKS",
    default: "false",
    doc: "Allow webhooks to http:// URLs and to loopback or private addresses (tests, a receiver on the same host); else https:// to public addresses only.",
  },
  alertsSigner: {
    env: "CROSSPROOF_ALERTS_SIGNER",
    default: "",
    doc: "The hosted member whose report key signs webhooks (JWS). Default: the lowest hosted member id with a report key.",
  },
} as const;
export type ConfigKey = keyof typeof ConfigTable;

const schema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  publicUrl: z.string(),
  rpcUrl: z.string().url(),
  dataDir: z.string().min(1),
  deploymentFile: z.string(),
  database: z.string(),
  contentStore: z.string(),
  keystoreDir: z.string(),
  keystorePassword: z.string(),
  relayerKey: z.union([z.literal(""), z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte hex private key")]),
  confirmations: z.coerce.number().int().min(1),
  bodyLimit: z.string().min(1),
  uploadLimit: z.coerce.number().int().positive(),
  rateLimit: z.coerce.number().int().positive(),
  tokenTtl: z.coerce.number().int().min(30).max(86_400),
  retentionDays: z.coerce.number().int().min(1).max(36_500),
  purgeIntervalSeconds: z.coerce.number().int().min(0).max(2_147_483),
  logLevel: z.enum(["silent", "fatal", "error", "warn", "info", "debug", "trace"]),
  indexerPollMs: z.coerce.number().int().min(0),
  indexerPageSize: z.coerce.number().int().min(1).max(1_000_000),
  alertsPollMs: z.coerce.number().int().min(0),
  alertsRetryBaseMs: z.coerce.number().int().min(1),
  alertsRetryMaxMs: z.coerce.number().int().min(1),
  alertsMaxAttempts: z.coerce.number().int().min(1).max(100),
  alertsWebhookTimeoutMs: z.coerce.number().int().min(100).max(300_000),
  alertsKeepAliveMs: z.coerce.number().int().min(100).max(3_600_000),
  alertsPrivateWebhooks: z.enum(["true", "false"]).transform((v) => v === "true"),
  alertsSigner: z.union([z.literal(""), z.string().regex(/^[1-9][0-9]*$/, "a member id")]),
});

/** The resolved configuration (paths absolute, defaults applied). */
export interface GatewayConfig extends Omit<z.infer<typeof schema>, "contentStore"> {
  contentStore: { kind: "embedded"; dir: string } | { kind: "kubo"; url: string };
}

/**
 * Reads the configuration from the environment (and overrides, for tests and `npm start`). A bad value fails at
 * start with the variable's name.
 */
export function loadGatewayConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<ConfigKey, string>> = {},
): GatewayConfig {
  const raw = Object.fromEntries(
    (Object.keys(ConfigTable) as ConfigKey[]).map((k) => [
      k,
      overrides[k] ?? env[ConfigTable[k].env] ?? ConfigTable[k].default,
    ]),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const key = i.path[0] as ConfigKey;
    throw new Error(`gateway configuration: ${ConfigTable[key]?.env ?? key}: ${i.message}`);
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.dataDir);
  const store = c.contentStore === "" ? path.join(dataDir, "content") : c.contentStore;
  return {
    ...c,
    dataDir,
    // Empty: the gateway sets it to http://host:port once it listens (the port may be 0 until then).
    publicUrl: c.publicUrl.replace(/\/$/, ""),
    deploymentFile: c.deploymentFile === "" ? path.join(dataDir, "deployment.json") : path.resolve(c.deploymentFile),
    database: c.database === "" ? path.join(dataDir, "gateway", "gateway.db") : path.resolve(c.database),
    keystoreDir: c.keystoreDir === "" ? path.join(dataDir, "gateway", "keys") : path.resolve(c.keystoreDir),
    contentStore: /^https?:\/\//.test(store)
      ? { kind: "kubo", url: store }
      : { kind: "embedded", dir: path.resolve(store) },
  };
}

/** The documented table (Markdown), generated from {@link ConfigTable}. */
export function configTableMarkdown(): string {
  const rows = (Object.keys(ConfigTable) as ConfigKey[]).map((k) => {
    const t = ConfigTable[k];
    return `| \`${t.env}\` | ${t.default === "" ? "—" : `\`${t.default}\``} | ${t.doc} |`;
  });
  return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
