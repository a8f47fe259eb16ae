#!/usr/bin/env node
/**
 * `crossproof`: the command line of the crossproof SDK. A member's staff package, anchor, hand over, share and verify
 * evidence, manage licences and assistance requests and read the consortium from a terminal, through their gateway
 * or straight against a chain node. docs/CLI.md documents every command, the configuration and the exit codes.
 */
import { Command, CommanderError, Option } from "commander";
import { removePlaintextDirs, type Io } from "./context";
import { CliError, ExitCode, classify } from "./exit-codes";
import { terminalPrompt } from "./keystore";
import { bashCompletion, zshCompletion } from "./completion";
import { assistCommands } from "./commands/assist";
import { agreementCommands } from "./commands/agreement";
import { consortiumCommands } from "./commands/consortium";
import { evidenceCommands } from "./commands/evidence";
import { keyCommands } from "./commands/key";
import { licenceCommands } from "./commands/licence";
import { verifyCommands } from "./commands/verify";
import { examples } from "./util";
import { recordCommands } from "./commands/records";
import { submissionCommands } from "./commands/submission";
import { alertCommands } from "./commands/alerts";
import { fingerprintCommands } from "./commands/fingerprint";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require("../../package.json") as { version: string }).version;

/** The whole command tree. */
export function buildProgram(io: Io): Command {
  const program = new Command("crossproof")
    .description(
      "crossproof: package, anchor, hand over, share and verify cross-border electronic evidence; licences; assistance requests",
    )
    .version(VERSION, "-V, --version")
    .option("--json", "machine-readable output (one JSON document on stdout)")
    .option("--debug", "show stack traces of errors")
    .option("--config <file>", "config file (default $XDG_CONFIG_HOME/crossproof/cli.json; env CROSSPROOF_CONFIG)")
    .option("--gateway <url>", "the gateway to talk to (env CROSSPROOF_GATEWAY)")
    .option("--direct", "talk straight to the chain node even if a gateway is configured")
    .option("--rpc <url>", "the chain node's JSON-RPC URL (env CROSSPROOF_RPC_URL)")
    .option("--deployment <file>", "the consortium's deployment record (env CROSSPROOF_DEPLOYMENT)")
    .option(
      "--key <file>",
      "your encrypted key file (env CROSSPROOF_KEY_FILE; password: CROSSPROOF_KEYSTORE_PASSWORD or a prompt)",
    )
    .option("--relayer-key <file>", "direct mode: the key file of the account that pays gas (default: your own key)")
    .option(
      "--store <folder|url>",
      "content store: a folder (embedded) or a Kubo RPC URL (env CROSSPROOF_CONTENT_STORE)",
    )
    .addOption(
      new Option("--wait-timeout <seconds>", "gateway mode: how long to wait for a submission to be mined").default(
        "120",
      ),
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  evidenceCommands(program, io);
  recordCommands(program, io);
  verifyCommands(program, io);
  licenceCommands(program, io);
  assistCommands(program, io);
  consortiumCommands(program, io);
  agreementCommands(program, io);
  keyCommands(program, io);
  submissionCommands(program, io);
  alertCommands(program, io);
  fingerprintCommands(program, io);

  examples(
    program
      .command("completion")
      .description("Print the shell completion script")
      .argument("<shell>", "bash or zsh")
      .action((shell: string) => {
        if (shell === "bash") io.stdout.write(bashCompletion(program));
        else if (shell === "zsh") io.stdout.write(zshCompletion(program));
        else throw new CliError("USAGE", `no completion for ${JSON.stringify(shell)}`, "bash or zsh");
      }),
    ['eval "$(crossproof completion bash)"', "crossproof completion zsh > ~/.zsh/completions/_crossproof"],
  );

  // Every subcommand reports errors the same way as the program.
  const configure = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    c.showHelpAfterError("(run with --help for usage)");
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  const json = argv.includes("--json");
  const debug = argv.includes("--debug");
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
        return ExitCode.OK;
      }
      // commander printed the message already.
      if (json)
        io.stdout.write(
          `${JSON.stringify({ error: { class: "USAGE", exitCode: ExitCode.USAGE, code: err.code, message: err.message } }, null, 2)}\n`,
        );
      return ExitCode.USAGE;
    }
    const c = classify(err);
    const exitCode = ExitCode[c.exitClass];
    if (json) {
      // The outbox id of a write that failed or is still pending, for `crossproof submission <id>`.
      const details = (err as { details?: { submission?: unknown } } | undefined)?.details;
      const submission = typeof details?.submission === "string" ? { submission: details.submission } : {};
      io.stdout.write(
        `${JSON.stringify({ error: { class: c.exitClass, exitCode, code: c.code ?? null, message: c.message, hint: c.hint || null, ...submission } }, null, 2)}\n`,
      );
    }
    io.stderr.write(`crossproof: ${c.message.split("\n")[0]}${c.code === undefined ? "" : ` [${c.code}]`}\n`);
    if (c.hint !== "") io.stderr.write(`  → ${c.hint}\n`);
    if (debug) {
      let e: unknown = err;
      while (e !== undefined && e !== null) {
        io.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        e = (e as { cause?: unknown }).cause;
        if (e !== undefined) io.stderr.write("caused by: ");
      }
    }
    return exitCode;
  }
}

/** The process's own streams and environment. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    passwords: { env: process.env, prompt: terminalPrompt(process.stdin, process.stderr) },
  };
}

/** Runs the CLI as a process: its arguments, streams and exit code (what the `crossproof` bin calls). */
export function main(): void {
  process.once("SIGINT", () => {
    removePlaintextDirs();
    process.stderr.write("\ncrossproof: interrupted\n");
    process.exit(ExitCode.INTERRUPTED);
  });
  // Exit once stdout is flushed, whatever handles a library left open.
  const exit = (code: number) => process.stdout.write("", () => process.exit(code));
  run(process.argv.slice(2), processIo()).then(exit, (err: unknown) => {
    process.stderr.write(`crossproof: ${String(err)}\n`);
    exit(ExitCode.INTERNAL);
  });
}

if (require.main === module) main();
