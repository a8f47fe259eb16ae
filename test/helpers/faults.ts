import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet, id as keccakText } from "ethers";
import { computeCid, toWireRequest, type Crossproof, type Hex, type RoleName } from "../../sdk/src";
import { Sessions } from "../../server/src/auth/principal";
import { devKey } from "./gateway";

const root = path.resolve(__dirname, "..", "..");

/** The demo members that may anchor, with their keys and roles. */
export const ANCHORING_MEMBERS = [
  { memberId: 1n, key: devKey(1), roles: ["AGENCY", "GOVERNOR"], jurisdiction: "FR" },
  { memberId: 2n, key: devKey(2), roles: ["COURT", "GOVERNOR"], jurisdiction: "DE" },
  { memberId: 3n, key: devKey(3), roles: ["PLATFORM"], jurisdiction: "US" },
] as const;
export const memberWallets = ANCHORING_MEMBERS.map((m) => new Wallet(m.key));

/** Session tokens of the anchoring members, issued by `sessions`. */
export async function memberTokens(sessions: Sessions): Promise<string[]> {
  const out: string[] = [];
  for (const [i, m] of ANCHORING_MEMBERS.entries()) {
    const { token } = await sessions.issue({
      kind: "member",
      memberId: m.memberId,
      roles: [...m.roles] as RoleName[],
      jurisdiction: m.jurisdiction,
      address: memberWallets[i]!.address,
    });
    out.push(token);
  }
  return out;
}

/** Polls until `f` answers something (not a timing assertion: a bail-out for a broken run). */
export async function until<T>(what: string, f: () => Promise<T | undefined>, maxMs = 90_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - started > maxMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `tasks` with at most `n` in flight. */
export async function pool<T>(n: number, tasks: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!().then(
          (value) => ({ status: "fulfilled", value }) as const,
          (reason: unknown) => ({ status: "rejected", reason }) as const,
        );
      }
    }),
  );
  return out;
}

let seq = 0;
/** A signed anchor of fresh content by `ANCHORING_MEMBERS[by]`, with its wire form and the record id it creates. */
export async function signedAnchor(cp: Crossproof, by = 0, o: { contentHash?: Hex } = {}) {
  const seed = `fault ${++seq} ${randomBytes(8).toString("hex")}`;
  const contentHash = o.contentHash ?? (keccakText(seed) as Hex);
  const signed = await cp.evidence.signAnchorEvidence(memberWallets[by]!, {
    contentHash,
    packageCid: await computeCid(Buffer.from(seed)),
    category: 3,
    firstUpload: "US",
    caseRef: keccakText(`case ${seed}`),
    collectedAt: (await cp.chainTime()) - 3600,
  });
  return { signed, contentHash, wire: toWireRequest(signed), memberId: ANCHORING_MEMBERS[by]!.memberId };
}

/** Resolves with a child's exit code (null when a signal ended it), at once if it has exited already. */
export function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
  return new Promise((resolve) => c.once("exit", (code) => resolve(code)));
}

/** `npm run gateway` (server/src/main.ts) as a child process, with a session secret the test holds. */
export interface GatewayProcess {
  url: string;
  sessions: Sessions;
  /** The running child (replaced by each `start`). */
  child(): ChildProcess | undefined;
  /** Everything the children printed. */
  output(): string;
  /** Starts a child; resolves once it answers `readyPath` (default `/healthz`). */
  start(): Promise<ChildProcess>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function gatewayProcess(o: {
  port: number;
  dataDir: string;
  rpcUrl: string;
  deploymentFile: string;
  relayerKey: string;
  env?: Record<string, string>;
  /** What the child must answer before `start` resolves: `/healthz` (up, the default) or `/readyz` (caught up). */
  readyPath?: "/healthz" | "/readyz";
}): Promise<GatewayProcess> {
  const url = `http://127.0.0.1:${o.port}`;
  const secret = randomBytes(32);
  mkdirSync(path.join(o.dataDir, "gateway"), { recursive: true });
  writeFileSync(path.join(o.dataDir, "gateway", "session.key"), secret.toString("base64url"), { mode: 0o600 });
  const sessions = new Sessions(secret, url, 3600);
  let child: ChildProcess | undefined;
  let output = "";
  const start = async () => {
    const c = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/src/main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        CROSSPROOF_GATEWAY_PORT: String(o.port),
        CROSSPROOF_GATEWAY_URL: url,
        CROSSPROOF_RPC_URL: o.rpcUrl,
        CROSSPROOF_DATA_DIR: o.dataDir,
        CROSSPROOF_DEPLOYMENT: o.deploymentFile,
        CROSSPROOF_RELAYER_KEY: o.relayerKey,
        CROSSPROOF_LOG_LEVEL: "warn",
        CROSSPROOF_RATE_LIMIT: "1000000",
        ...o.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    c.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    c.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await until(
      "the gateway to answer",
      async () => {
        if (c.exitCode !== null) throw new Error(`the gateway exited (${c.exitCode}):\n${output.slice(-3000)}`);
        return fetch(`${url}${o.readyPath ?? "/healthz"}`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        );
      },
      120_000,
    );
    return c;
  };
  return {
    url,
    sessions,
    child: () => child,
    output: () => output,
    start,
    async kill() {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      if (child === undefined) return null;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited(child);
    },
  };
}
