import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";

const root = path.resolve(__dirname, "..", "..");

/** One run of the `crossproof` CLI as a subprocess. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed (for --json runs); throws with both streams when it is not JSON. */
  json: <T = Record<string, unknown>>() => T;
}

/**
 * The CLI's TypeScript source bundled once with esbuild into one file (dependencies left external, so the very
 * node_modules the SDK uses are loaded), inside the repository so that they resolve (ESM imports ignore NODE_PATH).
 * Running the source through ts-node costs seconds per process; the bundle starts in a fraction of one.
 * Returns its path and a function that removes it.
 */
export function bundleCli(name: string): { bundle: string; remove: () => void } {
  const bundle = path.join(root, "cache", "cli-test", `${name}-${process.pid}.js`);
  buildSync({
    entryPoints: [path.join(root, "sdk", "src", "cli", "main.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    outfile: bundle,
    logLevel: "silent",
  });
  return { bundle, remove: () => rmSync(bundle, { force: true }) };
}

/**
 * Runs the bundled CLI with `argv` in `cwd`, with a clean environment: PATH, HOME and XDG_CONFIG_HOME inside `cwd`
 * (no user configuration leaks in), plus `env`.
 */
export function runCli(
  bundle: string,
  argv: readonly string[],
  o: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...argv], {
      cwd: o.cwd,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: o.cwd,
        XDG_CONFIG_HOME: path.join(o.cwd, "xdg"),
        ...o.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json: <T>() => {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
}
