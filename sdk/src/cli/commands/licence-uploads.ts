/**
 * Upload authorisation (issue 15) from the command line: the platform's question (`licence check`, answered and
 * signed by the gateway), account links between a licensee and an account on a platform (`link-account`, confirmed
 * by the platform with `confirm-link`, ended with `unlink-account`), and the rights holder's residence.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  CrossproofError,
  Right,
  parseWireRequest,
  toWireRequest,
  uploaderAccountHash,
  type LinkAccountRequest,
  type RightName,
  type SignedRequest,
} from "../../index";
import type { Context, Io } from "../context";
import { CliError, ExitCode } from "../exit-codes";
import { table } from "../output";
import { action, bytes32, examples, memberId, unixTime } from "../util";

/** The environment variable a platform's account pepper may come from (text, or 0x-hex bytes). */
export const PEPPER_ENV = "CROSSPROOF_ACCOUNT_PEPPER";

/** The most items one `licence check --batch` sends (the gateway's limit per request). */
const MAX_BATCH = 1000;

/** The pepper: --pepper-file (its bytes, one final newline dropped), else CROSSPROOF_ACCOUNT_PEPPER, else none. */
function pepperOf(ctx: Context, o: Record<string, unknown>): Uint8Array | undefined {
  if (o.pepperFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(String(o.pepperFile));
    } catch (cause) {
      throw new CliError("INPUT", `cannot read the pepper file ${String(o.pepperFile)}`, undefined, { cause });
    }
    if (bytes.at(-1) === 0x0a) bytes = bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1);
    if (bytes.length === 0) throw new CliError("INPUT", `the pepper file ${String(o.pepperFile)} is empty`);
    return new Uint8Array(bytes);
  }
  const env = ctx.io.env[PEPPER_ENV];
  if (env === undefined || env === "") return undefined;
  return /^0x([0-9a-fA-F]{2})+$/.test(env) ? Buffer.from(env.slice(2), "hex") : new TextEncoder().encode(env);
}

/** The account hash: --account-hash as given, or --account hashed with the pepper. */
export function accountHashOf(ctx: Context, o: Record<string, unknown>, account?: unknown): string {
  if (o.accountHash !== undefined) return bytes32(String(o.accountHash), "--account-hash");
  const id = account ?? o.account;
  if (id === undefined || String(id) === "") {
    throw new CliError("INPUT", "no account", "give --account <id on the platform> (or --account-hash <0x…>)");
  }
  const pepper = pepperOf(ctx, o);
  return uploaderAccountHash(String(id), pepper === undefined ? {} : { pepper });
}

export function rightOf(value: unknown, where: string): RightName {
  const r = String(value ?? "").toUpperCase();
  if (!(r in Right)) {
    throw new CliError("INPUT", `${where}: not a right: ${String(value)}`, `one of ${Object.keys(Right).join(", ")}`);
  }
  return r as RightName;
}

export function territoryOf(value: unknown, where: string): string {
  const t = String(value ?? "").toUpperCase();
  if (!/^[A-Z]{2}$/.test(t)) throw new CliError("INPUT", `${where}: not an ISO 3166-1 alpha-2 code: ${String(value)}`);
  return t;
}

/** One row of a batch file, before defaults. */
type BatchRow = Record<string, string | number | undefined>;

/** Splits one CSV line (RFC 4180 quoting). */
function csvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** A batch file: a JSON array (or `{ items: [...] }`), or CSV with a header row (work, account, territory, right, at). */
function readBatch(ctx: Context, file: string): BatchRow[] {
  const text = ctx.readText(file, "the batch file");
  const trimmed = text.trimStart();
  let rows: BatchRow[];
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new CliError("INPUT", `the batch file ${file} is not JSON: ${(cause as Error).message}`, undefined, {
        cause,
      });
    }
    const items = Array.isArray(json) ? json : (json as { items?: unknown }).items;
    if (!Array.isArray(items) || !items.every((i) => typeof i === "object" && i !== null && !Array.isArray(i))) {
      throw new CliError("INPUT", `the batch file ${file} is not an array of objects (nor { "items": [...] })`);
    }
    rows = items as BatchRow[];
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
    if (lines.length < 2) throw new CliError("INPUT", `the batch file ${file} has no header row and items`);
    const header = csvLine(lines[0]!).map((h) => h.toLowerCase());
    rows = lines.slice(1).map((l, n) => {
      const cells = csvLine(l);
      if (cells.length !== header.length) {
        throw new CliError("INPUT", `${file} line ${n + 2}: ${cells.length} columns, the header has ${header.length}`);
      }
      return Object.fromEntries(header.map((h, i) => [h, cells[i] === "" ? undefined : cells[i]]));
    });
  }
  if (rows.length === 0) throw new CliError("INPUT", `the batch file ${file} has no items`);
  if (rows.length > MAX_BATCH) {
    throw new CliError("INPUT", `the batch file ${file} has ${rows.length} items; at most ${MAX_BATCH} per check`);
  }
  return rows;
}

const WORDS: Record<string, string> = {
  ALLOWED: "ALLOWED",
  NOT_LICENSED: "NOT_LICENSED",
  UNKNOWN_WORK: "UNKNOWN_WORK",
  UNKNOWN_ACCOUNT: "UNKNOWN_ACCOUNT",
};

export function licenceUploadCommands(licence: Command, io: Io): void {
  examples(
    licence
      .command("check")
      .description(
        "A platform's question: may this account's upload of this work go online here, for this right, now? " +
          "Answered and signed by the gateway; exit code 0 only when every item is ALLOWED",
      )
      .option("--work <id>", "the work id (the content hash it was registered with, 0x…)")
      .option("--account <id>", "the uploader's account id on your platform (hashed here, never sent)")
      .option("--account-hash <hash>", "the account, already hashed (uploaderAccountHash)")
      .option("--territory <CC>", "where it would go online (for a batch: where an item gives none)")
      .option("--right <right>", "MAKE_AVAILABLE, BROADCAST, … (for a batch: where an item gives none)")
      .option("--at <time>", "when (ISO 8601 or unix seconds; default: the time of the block the chain is read at)")
      .option("--batch <file>", "a JSON array or CSV (header: work,account,territory,right,at) of up to 1000 items")
      .option("--pepper-file <file>", `your platform's account pepper (else ${PEPPER_ENV}; else no pepper)`)
      .option("--out <file>", "where to save the signed answer (default crossproof-authorization-<digest>.jws)")
      .action(
        action(io, async (ctx, o) => {
          if (ctx.mode !== "gateway") {
            throw new CliError(
              "CONFIG",
              "licence check is answered by a gateway (it finds the candidate licences in its index and signs the answer)",
              "give --gateway <url>",
            );
          }
          const defaults = {
            territory: o.territory,
            right: o.right,
            at: o.at === undefined ? undefined : unixTime(String(o.at), "--at"),
          };
          const rows: BatchRow[] =
            o.batch === undefined ? [{ work: o.work as string | undefined }] : readBatch(ctx, String(o.batch));
          const queries = rows.map((row, i) => {
            const where = o.batch === undefined ? "" : `item ${i + 1}`;
            const work = row.work ?? row.workid ?? row.workId ?? row.contentHash ?? row.contenthash;
            if (work === undefined) throw new CliError("INPUT", `${where || "check"}: no work`, "give --work <0x…>");
            const at = row.at === undefined ? defaults.at : unixTime(String(row.at), `${where} at`);
            const accountHash =
              o.batch === undefined
                ? accountHashOf(ctx, o)
                : row.accountHash !== undefined || row.accounthash !== undefined
                  ? bytes32(String(row.accountHash ?? row.accounthash), `${where} accountHash`)
                  : accountHashOf(ctx, { ...o, accountHash: undefined }, row.account ?? row.accountId);
            return {
              workId: bytes32(String(work), where === "" ? "--work" : `${where} work`).toLowerCase(),
              accountHash: accountHash.toLowerCase(),
              territory: territoryOf(row.territory ?? defaults.territory, where || "--territory"),
              right: rightOf(row.right ?? defaults.right, where || "--right"),
              ...(at === undefined ? {} : { at }),
            };
          });
          const gw = await ctx.gateway();
          const checked = await gw.authorizeUploads(
            o.batch === undefined ? queries[0]! : queries,
            ctx.settings.rpc === undefined ? {} : { consortium: (await ctx.chain()).consortium },
          );
          const answers = checked.document.answers;
          const savedTo = String(o.out ?? `crossproof-authorization-${checked.digest.slice(2, 14)}.jws`);
          await ctx.writeFile(savedTo, `${checked.jws}\n`);
          const allowed = answers.every((a) => a.answer === "ALLOWED");
          ctx.out.result(
            {
              allAllowed: allowed,
              answers: answers.map((a) => ({
                workId: a.query.workId,
                accountHash: a.query.accountHash,
                territory: a.query.territory,
                right: a.query.right,
                atTime: a.query.atTime,
                answer: a.answer,
                reason: a.reason ?? null,
                licensee: a.licensee ?? null,
                licenceId: a.licenceId ?? null,
                summary: a.summary,
              })),
              issuer: checked.document.issuer.memberId,
              kid: checked.kid,
              digest: checked.digest,
              checkedAgainst: checked.checkedAgainst,
              savedTo,
            },
            () => [
              ...(answers.length === 1
                ? [
                    `${WORDS[answers[0]!.answer]}${answers[0]!.reason === undefined ? "" : ` (${answers[0]!.reason})`}`,
                    answers[0]!.summary,
                  ]
                : table(
                    ["#", "work", "territory", "right", "answer", "why"],
                    answers.map((a, i) => [
                      String(i + 1),
                      `${a.query.workId.slice(0, 10)}…`,
                      a.query.territory,
                      a.query.right,
                      a.answer,
                      a.summary,
                    ]),
                  ).split("\n")),
              `signed answer (member ${checked.document.issuer.memberId}, checked against ${checked.checkedAgainst === "chain" ? "the chain's report keys" : "the gateway's key set"}) saved to ${savedTo}`,
            ],
          );
          if (!allowed) process.exitCode = ExitCode.VERIFICATION_FAILED;
        }),
      ),
    [
      "crossproof licence check --work 0x<work> --account user-4711 --territory FR --right MAKE_AVAILABLE --pepper-file pepper.bin",
      "crossproof licence check --batch uploads.csv --right MAKE_AVAILABLE --json",
    ],
  );

  examples(
    licence
      .command("link-account")
      .description(
        "As a licensee: ask to link your account on a platform to your key (the platform confirms with confirm-link)",
      )
      .requiredOption("--platform <memberId>", "the platform member")
      .option("--account <id>", "your account id on the platform (hashed with --pepper-file / " + PEPPER_ENV + ")")
      .option("--account-hash <hash>", "the account hash the platform gave you")
      .option("--pepper-file <file>", "the platform's account pepper, if it gave you one")
      .option("--valid-for <seconds>", "how long the request may be confirmed and submitted (default 3600)")
      .option("--out <file>", "where to write the signed request for the platform (default: stdout)")
      .action(
        action(io, async (ctx, o) => {
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signLinkAccount(wallet, {
            platform: memberId(String(o.platform), "--platform"),
            accountHash: accountHashOf(ctx, o),
            ...(o.validFor === undefined ? {} : { validFor: Number(o.validFor) }),
          });
          const wire = JSON.stringify(toWireRequest(signed), null, 2);
          if (o.out === undefined) {
            ctx.io.stdout.write(`${wire}\n`);
          } else {
            await ctx.writeFile(String(o.out), `${wire}\n`);
            ctx.out.result({ savedTo: String(o.out), ...signed.request }, [
              `link request for platform ${String(o.platform)} signed by ${wallet.address}, saved to ${String(o.out)}`,
              "hand it to the platform: it confirms with `crossproof licence confirm-link`",
            ]);
          }
        }),
      ),
    [
      "crossproof licence link-account --platform 3 --account-hash 0x<hash> --out link-request.json",
      "crossproof licence link-account --platform 3 --account my-channel --pepper-file pepper.bin",
    ],
  );

  examples(
    licence
      .command("confirm-link")
      .description("As the platform: confirm a licensee's link request (check first that your user asked for it)")
      .argument("<request.json>", "the licensee's signed request (from link-account), or - for stdin")
      .action(
        action(io, async (ctx, _o, file: string) => {
          const signer = await ctx.signer();
          const cp = await ctx.chain();
          let asked: SignedRequest<LinkAccountRequest, "LinkAccount">;
          try {
            const parsed = parseWireRequest(ctx.readJson(file, "the link request"));
            if (parsed.primaryType !== "LinkAccount") {
              throw new CliError("INPUT", `${file} is a ${parsed.primaryType} request, not LinkAccount`);
            }
            asked = parsed as unknown as SignedRequest<LinkAccountRequest, "LinkAccount">;
          } catch (err) {
            if (err instanceof CrossproofError)
              throw new CliError("INPUT", `${file}: ${err.message}`, undefined, { cause: err });
            throw err;
          }
          const d = cp.licenses.domain;
          if (
            String(asked.domain.verifyingContract).toLowerCase() !== String(d.verifyingContract).toLowerCase() ||
            BigInt(asked.domain.chainId ?? 0) !== BigInt(d.chainId ?? 0) ||
            String(asked.domain.salt ?? "").toLowerCase() !== String(d.salt ?? "").toLowerCase()
          ) {
            throw new CliError(
              "INPUT",
              `${file} is signed for another licence registry (${String(asked.domain.verifyingContract)} on chain ${String(asked.domain.chainId)})`,
            );
          }
          const link = await cp.licenses.confirmAccountLink(signer.wallet, asked, {
            platformMemberId: signer.memberId,
          });
          const r = await ctx.submit(cp.licenses, link);
          ctx.out.result(r, [
            `linked: account ${asked.request.accountHash} on platform ${String(asked.request.platform)} → licensee ${asked.request.licensee}`,
            `transaction ${String(r.transactionHash)}`,
          ]);
        }),
      ),
    ["crossproof licence confirm-link link-request.json --key platform.json"],
  );

  examples(
    licence
      .command("unlink-account")
      .description("End an account link (signed by the linked licensee, or by a key of the platform)")
      .requiredOption("--platform <memberId>", "the platform member")
      .option("--account <id>", "the account id on the platform (hashed with the pepper)")
      .option("--account-hash <hash>", "the account hash")
      .option("--pepper-file <file>", `the platform's account pepper (else ${PEPPER_ENV})`)
      .action(
        action(io, async (ctx, o) => {
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signUnlinkAccount(wallet, {
            platform: memberId(String(o.platform), "--platform"),
            accountHash: accountHashOf(ctx, o),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(r, [`unlinked: account ${signed.request.accountHash} on platform ${String(o.platform)}`]);
        }),
      ),
    ["crossproof licence unlink-account --platform 3 --account-hash 0x<hash>"],
  );

  examples(
    licence
      .command("residence")
      .description("As the rights holder: state the country you reside in for a work (or --withdraw the statement)")
      .argument("<workId>", "the work")
      .option("--country <CC>", "your country of residence")
      .option("--withdraw", "withdraw the statement")
      .action(
        action(io, async (ctx, o, workId: string) => {
          if ((o.country === undefined) === (o.withdraw !== true)) {
            throw new CliError("USAGE", "give either --country <CC> or --withdraw");
          }
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signSetResidence(wallet, {
            workId: bytes32(workId, "the work id"),
            ...(o.country === undefined ? {} : { residence: territoryOf(o.country, "--country") }),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(r, [
            o.withdraw === true
              ? `residence statement withdrawn for work ${workId}`
              : `residence of work ${workId}'s rights holder: ${territoryOf(o.country, "--country")}`,
          ]);
        }),
      ),
    ["crossproof licence residence 0x<work> --country FR", "crossproof licence residence 0x<work> --withdraw"],
  );
}
