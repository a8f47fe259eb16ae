/**
 * The verification portal (`server/web/`): built by esbuild from its TypeScript, CSS and HTML when the gateway starts
 * — only when a source (or a bundled dependency) changed since the last build, which is kept in `server/web/dist/`
 * (git-ignored) — and served at `/` with a Content Security Policy of its own. No build step for the user: `npm
 * start` and `npm run gateway` serve a current build. When the install folder is read-only the build is kept in
 * memory only.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "esbuild";
import { Router, type RequestHandler } from "express";
import helmet from "helmet";
import type { Logger } from "pino";

const ROOT = path.resolve(__dirname, "..", "..", "..");
/** The portal's sources. */
export const PORTAL_SOURCE = path.join(ROOT, "server", "web");
/** Where the build is kept. */
export const PORTAL_OUTPUT = path.join(PORTAL_SOURCE, "dist");
const STAMP = "build.json";
const STAMP_VERSION = 2;

export interface PortalBuild {
  /** The page, with its asset names filled in. */
  index: Buffer;
  /** Assets by file name (content-hashed names: cached for ever). */
  assets: Map<string, { body: Buffer; type: string }>;
  /** Whether this build was made now (false: the one on disk was current). */
  built: boolean;
}

interface Stamp {
  version: number;
  esbuild: string;
  /** Every input (relative to the repository) with its modification time and size. */
  inputs: Record<string, [number, number]>;
  assets: { name: string; type: string }[];
}

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

function fingerprint(rel: string): [number, number] | undefined {
  try {
    const s = statSync(path.join(ROOT, rel));
    return [s.mtimeMs, s.size];
  } catch {
    return undefined;
  }
}

/** The build on disk, if every input is as it was when it was made. */
function current(esbuildVersion: string): PortalBuild | undefined {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(PORTAL_OUTPUT, STAMP), "utf8")) as Stamp;
  } catch {
    return undefined;
  }
  if (stamp.version !== STAMP_VERSION || stamp.esbuild !== esbuildVersion) return undefined;
  for (const [rel, [mtime, size]] of Object.entries(stamp.inputs)) {
    const now = fingerprint(rel);
    if (now === undefined || now[0] !== mtime || now[1] !== size) return undefined;
  }
  try {
    const assets = new Map(
      stamp.assets.map((a) => [a.name, { body: readFileSync(path.join(PORTAL_OUTPUT, a.name)), type: a.type }]),
    );
    return { index: readFileSync(path.join(PORTAL_OUTPUT, "index.html")), assets, built: false };
  } catch {
    return undefined;
  }
}

/** Writes a file whole or not at all (aside, then renamed). */
function writeAtomically(file: string, body: Buffer | string): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(aside, body);
  renameSync(aside, file);
}

/**
 * One copy of ethers in the bundle: `siwe` (CommonJS) `require`s it, which would resolve to ethers' CommonJS build
 * beside the ES module build the page imports (twice the size, two sets of classes).
 */
const oneEthers: Plugin = {
  name: "one-ethers",
  setup(build) {
    build.onResolve({ filter: /^ethers$/ }, (args) =>
      args.kind === "require-call"
        ? build.resolve("ethers", { kind: "import-statement", resolveDir: args.resolveDir })
        : undefined,
    );
  },
};

/** Builds the portal with esbuild (bundled, minified, for browsers). */
export async function buildPortal(): Promise<PortalBuild & { inputs: string[] }> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: "server/web/src/main.ts", styles: "server/web/styles.css" },
    bundle: true,
    platform: "browser",
    format: "iife",
    target: ["es2022", "chrome111", "firefox111", "safari16.4"],
    minify: true,
    legalComments: "none",
    tsconfig: "server/web/tsconfig.json",
    outdir: PORTAL_OUTPUT,
    entryNames: "[name]-[hash]",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [oneEthers],
  });
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    assets.set(name, { body: Buffer.from(f.contents), type: TYPES[path.extname(name)] ?? "application/octet-stream" });
  }
  const nameOf = (ext: string) => [...assets.keys()].find((n) => n.endsWith(ext))!;
  const html = readFileSync(path.join(PORTAL_SOURCE, "index.html"), "utf8")
    .replace("%SCRIPT%", nameOf(".js"))
    .replace("%STYLES%", nameOf(".css"));
  // The page's inputs, and this file: a change to how the page is built makes the build stale too.
  const inputs = [...Object.keys(result.metafile.inputs), "server/web/index.html", path.relative(ROOT, __filename)];
  return { index: Buffer.from(html, "utf8"), assets, built: true, inputs };
}

/** Keeps a build on disk for the next start; a read-only install folder keeps it in memory only. */
function keep(build: PortalBuild & { inputs: string[] }, esbuildVersion: string, log?: Logger): void {
  const inputs: Stamp["inputs"] = {};
  for (const rel of build.inputs) {
    const f = fingerprint(rel);
    if (f !== undefined) inputs[rel] = f;
  }
  const stamp: Stamp = {
    version: STAMP_VERSION,
    esbuild: esbuildVersion,
    inputs,
    assets: [...build.assets].map(([name, a]) => ({ name, type: a.type })),
  };
  try {
    mkdirSync(PORTAL_OUTPUT, { recursive: true });
    for (const [name, a] of build.assets) writeAtomically(path.join(PORTAL_OUTPUT, name), a.body);
    writeAtomically(path.join(PORTAL_OUTPUT, "index.html"), build.index);
    writeAtomically(path.join(PORTAL_OUTPUT, STAMP), JSON.stringify(stamp, null, 1));
    // Assets of earlier builds go (a page loaded before may still ask for them until its next reload: harmless).
    const keepNames = new Set([...build.assets.keys(), "index.html", STAMP]);
    for (const name of readdirSync(PORTAL_OUTPUT)) {
      if (!keepNames.has(name) && !name.endsWith(".tmp")) rmSync(path.join(PORTAL_OUTPUT, name), { force: true });
    }
  } catch (err) {
    log?.warn({ err }, "the portal build could not be written to disk; it is served from memory");
  }
}

let shared: Promise<PortalBuild> | undefined;

/** A current build: the one on disk if its inputs did not change, else a new one (once per process). */
export function portalBuild(log?: Logger): Promise<PortalBuild> {
  shared ??= (async () => {
    const version = ((await import("esbuild")) as { version: string }).version;
    const onDisk = current(version);
    if (onDisk !== undefined) return onDisk;
    const started = Date.now();
    const build = await buildPortal();
    keep(build, version, log);
    log?.info({ ms: Date.now() - started }, "verification portal built");
    return build;
  })();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

/**
 * Whether the build on disk is current: every input esbuild read (the page's sources and the bundled modules) has
 * the modification time and size it had when it was built. False when there is none.
 */
export async function portalBuildIsCurrent(): Promise<boolean> {
  if (!existsSync(path.join(PORTAL_OUTPUT, STAMP))) return false;
  return current(((await import("esbuild")) as { version: string }).version) !== undefined;
}

/** The inputs of the build on disk, relative to the repository (empty when there is none). */
export function portalBuildInputs(): string[] {
  try {
    return Object.keys((JSON.parse(readFileSync(path.join(PORTAL_OUTPUT, STAMP), "utf8")) as Stamp).inputs);
  } catch {
    return [];
  }
}

/**
 * The page's Content Security Policy: only this origin's scripts, styles and API; no inline script or style, no
 * framing, no plugins, no forms posted elsewhere. Upgrading requests to https is asked only of a gateway reached
 * over https (a plain-http gateway on a LAN would otherwise have its own API calls upgraded and refused).
 */
export function portalCsp(secure: boolean): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      "default-src": ["'none'"],
      "script-src": ["'self'"],
      "style-src": ["'self'"],
      "img-src": ["'self'", "data:"],
      "connect-src": ["'self'"],
      "font-src": ["'self'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'none'"],
      "base-uri": ["'none'"],
      "object-src": ["'none'"],
      ...(secure ? { "upgrade-insecure-requests": [] } : {}),
    },
  });
}

/**
 * `GET /` (the page) and `GET /portal/<asset>`. The build starts now, in the background; a request that comes
 * before it is ready waits for it.
 */
export function portalRouter(o: { secure: boolean; log?: Logger }): Router {
  const router = Router();
  const ready = () => portalBuild(o.log);
  ready().catch((err: unknown) => o.log?.error({ err }, "the verification portal could not be built"));
  const csp = portalCsp(o.secure);
  router.get("/", csp, async (_req, res) => {
    const build = await ready();
    res.setHeader("cache-control", "no-cache");
    res.type("html").send(build.index);
  });
  router.get("/portal/:asset", csp, async (req, res, next) => {
    const asset = (await ready()).assets.get(String(req.params.asset));
    if (asset === undefined) return next();
    res.setHeader("cache-control", "public, max-age=31536000, immutable");
    res.type(asset.type).send(asset.body);
  });
  return router;
}
