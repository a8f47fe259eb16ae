/** Small helpers the commands share: actions with a context, argument parsers, the progress bar. */
import { Option, type Command } from "commander";
import { SingleBar } from "cli-progress";
import { id as keccakText } from "ethers";
import { Context, type GlobalOptions, type Io } from "./context";
import { CliError } from "./exit-codes";

/** Opens a context for one command, runs it, always closes it. */
export function action<A extends unknown[]>(
  io: Io,
  fn: (ctx: Context, opts: Record<string, unknown>, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const command = all[all.length - 1] as Command;
    const opts = all[all.length - 2] as Record<string, unknown>;
    const ctx = new Context(command.optsWithGlobals<GlobalOptions>(), io);
    try {
      await fn(ctx, opts, ...(all.slice(0, -2) as A));
    } finally {
      await ctx.close();
    }
  };
}

/** Help text with examples, shown after the options. */
export function examples(cmd: Command, lines: readonly string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

export const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

export function bytes32(value: string, what: string): string {
  if (!BYTES32.test(value))
    throw new CliError("INPUT", `${what} must be 32 bytes of hex (0x + 64 hex digits), got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

export function memberId(value: string, what = "a member id"): bigint {
  if (!/^[1-9][0-9]{0,19}$/.test(value))
    throw new CliError("INPUT", `${what} must be a positive whole number, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

/** A time: ISO 8601 (`2026-05-01T10:00:00Z`) or unix seconds. */
export function unixTime(value: string, what: string): number {
  if (/^[0-9]{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new CliError(
      "INPUT",
      `${what} must be an ISO 8601 time (2026-05-01T10:00:00Z) or unix seconds, got ${JSON.stringify(value)}`,
    );
  }
  return Math.floor(ms / 1000);
}

/** A comma-separated list (`FR,DE`), trimmed, empty items dropped. */
export function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Collects a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A hash for free text typed at the terminal: keccak256 of its NFC UTF-8 (as the SDK hashes agreement texts). */
export function textHash(text: string): string {
  return keccakText(text.normalize("NFC"));
}

/** A 0x-hash given as is, or text hashed with {@link textHash}. */
export function hashOrText(value: string): string {
  return BYTES32.test(value) ? value.toLowerCase() : textHash(value);
}

export function requiredOption(flags: string, description: string): Option {
  return new Option(flags, description).makeOptionMandatory();
}

/** A byte progress bar on stderr, only on a terminal and for inputs worth it (≥ 8 MiB). */
export function progress(ctx: Context, label: string, total: number): { update(n: number): void; stop(): void } {
  if (!ctx.interactive || total < 8 * 1024 * 1024) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream: ctx.io.stderr as NodeJS.WriteStream,
    format: `${label} [{bar}] {percentage}% {value}/{total} MiB`,
    hideCursor: true,
    clearOnComplete: true,
  });
  const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
  bar.start(mib(total), 0);
  return { update: (n) => bar.update(mib(n)), stop: () => bar.stop() };
}
