/**
 * One run of the CLI: its settings (flags, then the environment, then the config file), the member's key, the
 * chain connection, the gateway session, the content store, and the one `submit` every write goes through — the
 * gateway's submissions API when a gateway is configured, else the SDK clients with the member's key (or a relayer
 * key) paying gas.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import type { Wallet } from "ethers";
import {
  CrossproofError,
  EmbeddedContentStore,
  GatewayClient,
  KuboContentStore,
  connect,
  fromJurisdiction,
  roleNames,
  type ContentStore,
  type Crossproof,
  type DeploymentRecord,
  type RoleName,
  type SignedRequest,
} from "../index";
import { CliError } from "./exit-codes";
import { openKeystore, openPackageKey, type PasswordSource } from "./keystore";
import { jsonSafe, Output } from "./output";

/** The global options every command takes. */
export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  config?: string;
  gateway?: string;
  direct?: boolean;
  rpc?: string;
  deployment?: string;
  key?: string;
  relayerKey?: string;
  store?: string;
  waitTimeout?: string;
}

/** The config file (`crossproof config` prints where it is looked for). Relative paths are from its folder. */
export interface ConfigFile {
  gateway?: string;
  rpc?: string;
  deployment?: string;
  key?: string;
  relayerKey?: string;
  store?: string;
}

const CONFIG_KEYS = ["gateway", "rpc", "deployment", "key", "relayerKey", "store"] as const;
const PATH_KEYS = new Set(["deployment", "key", "relayerKey", "store"]);

/** Where the config file is looked for when neither --config nor CROSSPROOF_CONFIG names one. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME ?? path.join(homedir(), ".config");
  return path.join(base, "crossproof", "cli.json");
}

/** Reads the config file; a missing default file is an empty config, a missing named one an error. */
export function readConfig(file: string, named: boolean): ConfigFile {
  if (!existsSync(file)) {
    if (named) throw new CliError("CONFIG", `no config file ${file}`, "check --config / CROSSPROOF_CONFIG");
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new CliError("CONFIG", `${file} is not JSON: ${(cause as Error).message}`, undefined, { cause });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CliError("CONFIG", `${file} must hold a JSON object`);
  }
  const config: ConfigFile = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(k)) {
      throw new CliError("CONFIG", `${file}: unknown setting "${k}"`, `the settings are ${CONFIG_KEYS.join(", ")}`);
    }
    if (typeof v !== "string" || v === "") throw new CliError("CONFIG", `${file}: "${k}" must be a non-empty string`);
    const isUrl = /^https?:\/\//.test(v);
    config[k as keyof ConfigFile] = PATH_KEYS.has(k) && !isUrl ? path.resolve(path.dirname(file), v) : v;
  }
  return config;
}

/** The settings in force, and where each came from. */
export interface Settings extends ConfigFile {
  configFile: string;
  sources: Record<string, "flag" | "env" | "config">;
}

export function resolveSettings(o: GlobalOptions, env: NodeJS.ProcessEnv): Settings {
  const named = o.config ?? env.CROSSPROOF_CONFIG;
  const configFile = path.resolve(named ?? defaultConfigPath(env));
  const file = readConfig(configFile, named !== undefined);
  const fromEnv: ConfigFile = {
    ...(env.CROSSPROOF_GATEWAY ? { gateway: env.CROSSPROOF_GATEWAY } : {}),
    ...(env.CROSSPROOF_RPC_URL ? { rpc: env.CROSSPROOF_RPC_URL } : {}),
    ...(env.CROSSPROOF_DEPLOYMENT ? { deployment: env.CROSSPROOF_DEPLOYMENT } : {}),
    ...(env.CROSSPROOF_KEY_FILE ? { key: env.CROSSPROOF_KEY_FILE } : {}),
    ...(env.CROSSPROOF_RELAYER_KEY_FILE ? { relayerKey: env.CROSSPROOF_RELAYER_KEY_FILE } : {}),
    ...(env.CROSSPROOF_CONTENT_STORE ? { store: env.CROSSPROOF_CONTENT_STORE } : {}),
  };
  const settings: Settings = { configFile, sources: {} };
  for (const k of CONFIG_KEYS) {
    const flag = o[k];
    const v = flag ?? fromEnv[k] ?? file[k];
    if (v === undefined) continue;
    settings[k] = v;
    settings.sources[k] = flag !== undefined ? "flag" : fromEnv[k] !== undefined ? "env" : "config";
  }
  if (o.direct === true) delete settings.gateway;
  return settings;
}

/** Who the key signs for, as the Consortium says now. */
export interface Signer {
  wallet: Wallet;
  memberId: bigint;
  roles: RoleName[];
  jurisdiction: string;
}

/** Folders that may hold plaintext evidence (opened packages): removed at the end, and on Ctrl-C. */
const plaintextDirs = new Set<string>();

/** Removes every folder that may hold plaintext, at once (the SIGINT handler calls it before exiting). */
export function removePlaintextDirs(): void {
  for (const dir of plaintextDirs) rmSync(dir, { recursive: true, force: true });
  plaintextDirs.clear();
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  passwords: PasswordSource;
}

export class Context {
  readonly out: Output;
  readonly settings: Settings;
  #chain: Promise<Crossproof> | undefined;
  #wallet: Promise<Wallet> | undefined;
  #signer: Promise<Signer> | undefined;
  #gateway: Promise<GatewayClient> | undefined;
  #store: Promise<ContentStore> | undefined;
  #cleanups: (() => Promise<void> | void)[] = [];

  constructor(
    readonly options: GlobalOptions,
    readonly io: Io,
  ) {
    this.out = new Output(options.json === true, io.stdout, io.stderr);
    this.settings = resolveSettings(options, io.env);
  }

  /** Through a gateway (writes relayed by it, reads and verification by it) or straight to a chain node. */
  get mode(): "gateway" | "direct" {
    return this.settings.gateway === undefined ? "direct" : "gateway";
  }

  /** Whether progress bars may be drawn (stderr is a terminal, not --json). */
  get interactive(): boolean {
    return this.io.stderr.isTTY === true && !this.out.json;
  }

  /** The member's key (the keystore file opened with its password). */
  wallet(): Promise<Wallet> {
    this.#wallet ??= (async () => {
      if (this.settings.key === undefined) {
        throw new CliError(
          "CONFIG",
          "no key file",
          "give --key <keystore.json> (or CROSSPROOF_KEY_FILE, or `key` in the config file); make one with `crossproof key new`",
        );
      }
      return openKeystore(this.settings.key, this.io.passwords);
    })();
    return this.#wallet;
  }

  /** The chain connection (read-only: writes go through {@link submit}). */
  chain(): Promise<Crossproof> {
    this.#chain ??= (async () => {
      const { rpc, deployment } = this.settings;
      if (rpc === undefined && deployment === undefined && this.settings.gateway !== undefined) {
        return this.chainThroughGateway(this.settings.gateway);
      }
      if (rpc === undefined || deployment === undefined) {
        throw new CliError(
          "CONFIG",
          `this command reads the chain: it needs ${rpc === undefined ? "--rpc <url>" : ""}${rpc === undefined && deployment === undefined ? " and " : ""}${deployment === undefined ? "--deployment <file>" : ""}`,
          "give them as flags, environment (CROSSPROOF_RPC_URL, CROSSPROOF_DEPLOYMENT) or in the config file",
        );
      }
      const cp = await connect({ rpcUrl: rpc, deployment }).catch((err: unknown) => {
        if (err instanceof CrossproofError && err.code === "CHAIN_ERROR") {
          throw new CrossproofError("CHAIN_UNREACHABLE", err.message, { cause: err });
        }
        throw err;
      });
      this.#cleanups.push(() => cp.close());
      return cp;
    })();
    return this.#chain;
  }

  /**
   * Gateway mode with neither --rpc nor --deployment: the deployment record and the EIP-712 domains as the gateway
   * states them (`GET /v1/chain`), the chain read through its read-only JSON-RPC endpoint (`POST /v1/chain/rpc`).
   * The gateway is trusted for these (a member who does not trust it gives --rpc and --deployment).
   */
  private async chainThroughGateway(url: string): Promise<Crossproof> {
    const info = await new GatewayClient(url).request<{ deployment: DeploymentRecord }>("GET", "/v1/chain", undefined, {
      auth: false,
    });
    // The read-only JSON-RPC is for members (least disclosure: the chain's records are not for strangers).
    const session = await this.gateway();
    const cp = await connect({
      rpcUrl: `${url.replace(/\/$/, "")}/v1/chain/rpc`,
      deployment: info.deployment,
      providerOptions: { headers: { authorization: `Bearer ${session.token!}` } },
    });
    this.#cleanups.push(() => cp.close());
    return cp;
  }

  /** The member the key signs for; `AUTH` when the Consortium knows no member with this key valid now. */
  signer(): Promise<Signer> {
    this.#signer ??= (async () => {
      const wallet = await this.wallet();
      const cp = await this.chain();
      const info = await cp.consortium.consortium.signerInfo(wallet.address);
      if (info.memberId === 0n) {
        throw new CliError(
          "AUTH",
          `${wallet.address} is not a signing key of any member`,
          "use a member's key file (--key), or have the key added to your member first",
        );
      }
      if (!info.authorized) {
        throw new CliError(
          "AUTH",
          `${wallet.address} signs for member ${info.memberId}, but ${info.keyValid ? "the member is not active" : "the key is not valid now"}`,
        );
      }
      return {
        wallet,
        memberId: info.memberId,
        roles: roleNames(info.roles),
        jurisdiction: fromJurisdiction(info.jurisdiction),
      };
    })();
    return this.#signer;
  }

  /** A gateway session signed in with the member's key (SIWE). */
  gateway(): Promise<GatewayClient> {
    this.#gateway ??= (async () => {
      const url = this.requireGateway();
      return GatewayClient.signIn(url, await this.wallet());
    })();
    return this.#gateway;
  }

  requireGateway(): string {
    if (this.settings.gateway === undefined) {
      throw new CliError("CONFIG", "no gateway", "give --gateway <url> (or CROSSPROOF_GATEWAY, or the config file)");
    }
    return this.settings.gateway;
  }

  /**
   * A gateway route: signed in when `auth`, anonymous otherwise — through the SDK's GatewayClient, so problems
   * become `CrossproofError`s the same way (the SDK code when the problem carries one, else `GATEWAY_ERROR` with
   * the problem).
   */
  async http<T>(method: string, route: string, body?: unknown, auth = true): Promise<T> {
    const client = auth ? await this.gateway() : new GatewayClient(this.requireGateway());
    return client.request<T>(method, route, body === undefined || body instanceof FormData ? body : jsonSafe(body), {
      auth,
    });
  }

  /** The local content store: --store (a folder, or a Kubo RPC URL). */
  store(): Promise<ContentStore> {
    this.#store ??= (async () => {
      const s = this.settings.store;
      if (s === undefined) {
        throw new CliError(
          "CONFIG",
          "no content store",
          "give --store <folder> (embedded store) or --store http://…:5001 (Kubo), or CROSSPROOF_CONTENT_STORE",
        );
      }
      const store: ContentStore = /^https?:\/\//.test(s) ? new KuboContentStore(s) : await EmbeddedContentStore.open(s);
      this.#cleanups.push(() => store.close());
      return store;
    })();
    return this.#store;
  }

  /** The local store if one is configured, else a temporary one removed at the end (gateway mode uploads). */
  async storeOrTemporary(): Promise<ContentStore> {
    if (this.settings.store !== undefined) return this.store();
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-cli-"));
    const store = await EmbeddedContentStore.open(dir);
    this.#cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return store;
  }

  /** A new private temporary folder for opened (plaintext) files, removed at the end and on Ctrl-C. */
  plaintextDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-opened-"));
    plaintextDirs.add(dir);
    this.#cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      plaintextDirs.delete(dir);
    });
    return dir;
  }

  /** A package key file opened with the keystore password. */
  packageKey(file: string) {
    return openPackageKey(file, this.io.passwords);
  }

  /**
   * Sends a signed request and waits for it to be mined: through the gateway's outbox (`POST /v1/submissions`,
   * then its status) in gateway mode, else through the SDK client with the relayer key (default: the member's own
   * key pays). Resolves to the domain result (ids, states) with the transaction, in the same shape either way.
   */
  async submit(
    client: { submit(signed: never, relayer: never): Promise<{ wait(): Promise<object> }> },
    signed: SignedRequest<unknown, string>,
  ): Promise<Record<string, unknown>> {
    if (this.mode === "gateway") {
      const accepted = await (await this.gateway()).submit(signed);
      return this.followSubmission(accepted.id);
    }
    const relayer = await this.relayer();
    const submitted = await (client.submit as (s: unknown, r: unknown) => Promise<{ wait(): Promise<object> }>).call(
      client,
      signed,
      relayer,
    );
    const mined = (await submitted.wait()) as { receipt?: { hash: string; blockNumber: number } } & Record<
      string,
      unknown
    >;
    const { receipt, ...result } = mined;
    return jsonSafe({ ...result, transactionHash: receipt?.hash, blockNumber: receipt?.blockNumber }) as Record<
      string,
      unknown
    >;
  }

  /**
   * Gateway mode: waits (up to --wait-timeout; 0 = one look) for a submission to settle. Resolves to the write's domain
   * result with its transaction, as {@link submit}; a failed one throws the error the write would have (its SDK code,
   * the contract's custom error); one still pending throws NETWORK naming the submission and how to resume.
   */
  async followSubmission(id: string, o: { once?: boolean } = {}): Promise<Record<string, unknown>> {
    const gw = await this.gateway();
    const seconds = o.once === true ? 0 : Number(this.options.waitTimeout ?? 120);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new CliError("USAGE", `--wait-timeout is a number of seconds, not ${String(this.options.waitTimeout)}`);
    }
    try {
      const s = await gw.waitForSubmission(id, { timeoutMs: 1000 * seconds });
      return {
        ...s.result,
        transactionHash: s.transaction.hash,
        blockNumber: s.transaction.blockNumber,
        submission: s.id,
      };
    } catch (err) {
      if (err instanceof CrossproofError && err.details?.pending === true) {
        throw new CliError(
          "NETWORK",
          `submission ${id} is still pending`,
          `resume with \`crossproof submission ${id} --wait\` (it may still be mined), or raise --wait-timeout`,
          { details: { submission: id } },
        );
      }
      throw err;
    }
  }

  #relayer: Promise<Wallet> | undefined;
  /** Direct mode: who pays gas — the relayer key file if given, else the member's own key. */
  relayer(): Promise<Wallet> {
    this.#relayer ??= (async () => {
      const cp = await this.chain();
      const key =
        this.settings.relayerKey === undefined
          ? await this.wallet()
          : await openKeystore(this.settings.relayerKey, this.io.passwords);
      return key.connect(cp.provider);
    })();
    return this.#relayer;
  }

  /** Uploads a package held in `store` to the gateway (`POST /v1/packages`); resolves to the gateway's answer. */
  async uploadPackage(store: ContentStore, cid: string): Promise<{ cid: string; bytes?: number }> {
    return (await this.gateway()).uploadPackage(store, cid);
  }

  /** Writes a file, making its folder. */
  async writeFile(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, content);
  }

  readText(file: string, what: string): string {
    try {
      return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (cause) {
      throw new CliError("INPUT", `cannot read ${what} ${file}`, undefined, { cause });
    }
  }

  /** A JSON file (or stdin, `-`); `INPUT` when it cannot be read or is not JSON. */
  readJson<T = Record<string, unknown>>(file: string, what: string): T {
    const text = this.readText(file, what);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new CliError("INPUT", `${what} ${file} is not JSON: ${(cause as Error).message}`, undefined, { cause });
    }
  }

  /** Runs every cleanup (stores closed, connections stopped, temporary folders removed). */
  async close(): Promise<void> {
    for (const c of this.#cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    this.#cleanups = [];
  }
}
