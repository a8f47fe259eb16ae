/** Cross-border assistance requests: issue, acknowledge, clarify, notify, fulfil, refuse, withdraw, extend retention, list. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  AssistanceKind,
  IssuingAuthorityType,
  RefusalGrounds,
  ReviewGround,
  type AssistanceOrderInput,
  type IssueAssistanceParameters,
  type IssuingAuthorityTypeName,
  type ReviewGroundName,
  computeCid,
  sha256Hex,
  type DataCategoryName,
  type ImpossibilityReasonName,
  type Crossproof,
  type RefusalGroundsName,
  type SignedRequest,
  assistanceRequestJson,
} from "../../index";
import type { Wallet } from "ethers";
import type { Context, Io } from "../context";
import { CliError } from "../exit-codes";
import { fields, iso, table } from "../output";
import { action, bytes32, collect, examples, hashOrText, list, memberId, unixTime } from "../util";
import { caseRefFrom } from "./evidence";

type RequestJson = ReturnType<typeof assistanceRequestJson>;

async function step(
  ctx: Context,
  sign: (cp: Crossproof, wallet: Wallet) => Promise<SignedRequest<unknown, string>>,
): Promise<Record<string, unknown>> {
  const me = await ctx.signer();
  const cp = await ctx.chain();
  const signed = await sign(cp, me.wallet);
  return ctx.submit(cp.assistance, signed);
}

const printState = (ctx: Context, r: Record<string, unknown>) =>
  ctx.out.result(
    r,
    fields([
      ["request", String(r.requestId)],
      ["state", String(r.state)],
      ...(r.late === undefined ? [] : ([["late", String(r.late)]] as [string, string][])),
      ["transaction", String(r.transactionHash)],
    ]),
  );

const ISSUERS = Object.keys(IssuingAuthorityType)
  .filter((t) => t !== "None")
  .join(", ");

/** The options every issue takes (`issue`, `order`). */
function issueOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--to <member>", "the addressee")
    .requiredOption("--kind <kind>", `${Object.keys(AssistanceKind).join(", ")}`)
    .requiredOption("--first-upload <CC>", "where the content was first uploaded")
    .requiredOption("--primary-dissemination <CC>", "where it was mainly disseminated")
    .requiredOption("--legal-basis <text|hash>", "the legal basis (hashed)")
    .option("--case <reference>", "case reference (with --case-salt or CROSSPROOF_CASE_SALT)")
    .option("--case-salt <hex>", "32-byte salt of the case reference hash")
    .option("--case-ref-hash <hash>", "the case reference hash itself")
    .option("--evidence <recordId>", "an evidence record it concerns; repeat", collect)
    .option(
      "--data <list>",
      "data categories asked for: SUBSCRIBER, TRAFFIC, CONTENT, DISSEMINATION_RECORDS (orders also IDENTIFICATION)",
    )
    .option("--emergency <reason>", "an emergency: its reason (IMMINENT_THREAT_TO_LIFE, …)")
    .option("--justification <text|hash>", "the emergency's justification (hashed)");
}

/** The fields of an issue from its options. */
function issueFields(ctx: Context, o: Record<string, unknown>): IssueAssistanceParameters {
  const kind = String(o.kind);
  return {
    addressee: memberId(String(o.to), "--to"),
    kind: (kind.charAt(0).toUpperCase() + kind.slice(1).toLowerCase()) as never,
    caseRef: caseRefFrom(ctx, o),
    firstUpload: String(o.firstUpload).toUpperCase(),
    primaryDissemination: String(o.primaryDissemination).toUpperCase(),
    legalBasisHash: hashOrText(String(o.legalBasis)),
    ...(o.evidence === undefined ? {} : { evidenceIds: (o.evidence as string[]).map((e) => bytes32(e, "--evidence")) }),
    ...(o.data === undefined
      ? {}
      : { dataCategories: list(String(o.data)).map((d) => d.toUpperCase()) as DataCategoryName[] }),
    ...(o.emergency === undefined
      ? {}
      : {
          emergency: {
            reason: String(o.emergency) as never,
            justificationHash: hashOrText(String(o.justification ?? "")),
          },
        }),
  };
}

/** `Type:text|hash` → an authority (its type checked, its identification hashed). */
function authority(value: string, flag: string): { type: IssuingAuthorityTypeName; hash: string } {
  const i = value.indexOf(":");
  const type = Object.keys(IssuingAuthorityType).find(
    (t) => t !== "None" && t.toLowerCase() === value.slice(0, i).toLowerCase(),
  );
  if (i <= 0 || i === value.length - 1 || type === undefined) {
    throw new CliError(
      "INPUT",
      `${flag}: <Type>:<identification>, the type one of ${ISSUERS}, got ${JSON.stringify(value)}`,
      `e.g. ${flag} "Judge:juge d'instruction, tribunal judiciaire de Paris"`,
    );
  }
  return { type: type as IssuingAuthorityTypeName, hash: hashOrText(value.slice(i + 1)) };
}

/** The order's own fields from `assist order`'s options; the order document's hash and CID. */
async function orderFields(ctx: Context, o: Record<string, unknown>): Promise<AssistanceOrderInput> {
  if ((o.orderPackage === undefined) === (o.orderDocument === undefined)) {
    throw new CliError("USAGE", "give the order document: --order-package <package.json> or --order-document <file>");
  }
  let orderDocument: { hash: string; cid: string };
  if (o.orderPackage !== undefined) {
    const p = ctx.readJson<{ contentHash?: unknown; cid?: unknown }>(String(o.orderPackage), "the order package file");
    if (typeof p.contentHash !== "string" || typeof p.cid !== "string") {
      throw new CliError(
        "INPUT",
        `${String(o.orderPackage)} has no contentHash and cid`,
        "use `crossproof package --json`'s output",
      );
    }
    orderDocument = { hash: bytes32(p.contentHash, "the order package's contentHash"), cid: p.cid };
  } else {
    let bytes: Buffer;
    try {
      bytes = readFileSync(String(o.orderDocument));
    } catch (cause) {
      throw new CliError("INPUT", `cannot read ${String(o.orderDocument)}`, undefined, { cause });
    }
    orderDocument = {
      hash: `0x${sha256Hex(bytes)}`,
      cid: ctx.settings.store === undefined ? await computeCid(bytes) : await (await ctx.store()).put(bytes),
    };
  }
  const category = o.offenceCategory === undefined ? undefined : String(o.offenceCategory);
  if (category !== undefined && !/^\d{1,3}$/.test(category)) {
    throw new CliError("INPUT", `--offence-category is a code 0-255, not ${JSON.stringify(category)}`);
  }
  return {
    issuingAuthority: authority(String(o.issuingAuthority), "--issuing-authority"),
    ...(o.validatingAuthority === undefined
      ? {}
      : { validatingAuthority: authority(String(o.validatingAuthority), "--validating-authority") }),
    ...(o.enforcingAuthority === undefined
      ? {}
      : { enforcingAuthority: memberId(String(o.enforcingAuthority), "--enforcing-authority") }),
    offence: { hash: hashOrText(String(o.offence)), ...(category === undefined ? {} : { category: Number(category) }) },
    dataPeriod: {
      from: unixTime(String(o.dataFrom), "--data-from"),
      until: unixTime(String(o.dataUntil), "--data-until"),
    },
    targets: (o.target as string[]).map(hashOrText),
    language: String(o.language).toLowerCase(),
    orderDocument,
    ...(o.confidential === true ? { confidential: true } : {}),
    ...(o.domestic === true ? { domestic: true } : {}),
    ...(o.onBehalfOf === undefined ? {} : { onBehalfOf: hashOrText(String(o.onBehalfOf)) }),
  };
}

const printIssued = (ctx: Context, r: Record<string, unknown>) => {
  const n = r.notification as { enforcingAuthority: unknown; reviewUntil: unknown } | undefined;
  const time = (t: unknown) => (typeof t === "number" ? iso(t) : t);
  ctx.out.result(
    {
      ...r,
      deadline: time(r.deadline),
      ...(n === undefined ? {} : { notification: { ...n, reviewUntil: time(n.reviewUntil) } }),
    },
    fields([
      ["request", String(r.requestId)],
      ["due", String(time(r.deadline) ?? "-")],
      ...(n === undefined
        ? []
        : ([["reviewed by", `member ${String(n.enforcingAuthority)} until ${String(time(n.reviewUntil))}`]] as [
            string,
            string,
          ][])),
      ["transaction", String(r.transactionHash)],
    ]),
  );
};

export function assistCommands(program: Command, io: Io): void {
  const assist = program
    .command("assist")
    .description("Cross-border assistance requests (preserve, produce, take down)");

  examples(
    issueOptions(
      assist
        .command("issue")
        .description(
          "Ask another member (an agency or a platform) to preserve, produce or take down; its deadline comes from the agreement between your jurisdictions",
        ),
    ).action(
      action(io, async (ctx, o) => {
        const r = await step(ctx, (cp, wallet) => cp.assistance.signIssue(wallet, issueFields(ctx, o)));
        printIssued(ctx, r);
      }),
    ),
    [
      'crossproof assist issue --to 3 --kind Preserve --first-upload US --primary-dissemination FR --legal-basis "CPP art. 60-1" --evidence 0x<record>',
    ],
  );

  examples(
    issueOptions(
      assist
        .command("order")
        .description(
          "Issue an order (Regulation (EU) 2023/1543 / Second Protocol): a request with its issuing and validating authority, offence, data period, targets and order document; under a profile with notification a sensitive order names the enforcing authority, which reviews it (`assist review`)",
        ),
    )
      .requiredOption(
        "--issuing-authority <Type:text|hash>",
        `who issues it: ${ISSUERS} and its identification (hashed), e.g. "Judge:juge d'instruction, TJ Paris"`,
      )
      .option("--validating-authority <Type:text|hash>", "who validated it, where the profile requires it")
      .option(
        "--enforcing-authority <member>",
        "the member notified (an AGENCY or COURT of the addressee's jurisdiction)",
      )
      .requiredOption("--offence <text|hash>", "the offence and its statutory provision (hashed)")
      .option("--offence-category <n>", "the offence's category code (0-255; Annex IV)")
      .requiredOption("--data-from <time>", "start of the period of data sought")
      .requiredOption("--data-until <time>", "end of that period (it has ended: stored data only)")
      .requiredOption("--target <text|hash>", "an identifier targeted (hashed); repeat", collect)
      .requiredOption("--language <code>", "the order's language, ISO 639-1 (fr, de, en)")
      .option("--order-package <package.json>", "the order document as a package (`crossproof package --json`)")
      .option("--order-document <file>", "the order document as a file (its SHA-256 and CID; kept in --store)")
      .option("--confidential", "the user is not to be informed (Art. 13(2))")
      .option("--domestic", "offence and person in the issuing State: no notification (Art. 8(2))")
      .option("--on-behalf-of <text|hash>", "the non-member provider an OPERATOR addressee answers for (hashed)")
      .action(
        action(io, async (ctx, o) => {
          const order = await orderFields(ctx, o);
          const r = await step(ctx, (cp, wallet) =>
            cp.assistance.signIssueOrder(wallet, { ...issueFields(ctx, o), order }),
          );
          printIssued(ctx, r);
        }),
      ),
    [
      'crossproof assist order --to 8 --kind Produce --data TRAFFIC --first-upload SG --primary-dissemination FR --legal-basis "Reg. (EU) 2023/1543 art. 5" --issuing-authority "Judge:juge d\'instruction, TJ Paris" --enforcing-authority 7 --offence "art. L335-4 CPI" --data-from 2026-03-01 --data-until 2026-03-31 --target "account uploader-77" --language fr --order-package order.json',
    ],
  );

  examples(
    assist
      .command("review")
      .description(
        "The notified enforcing authority's review of an order (Art. 10, 12(1)): None (no ground raised) or a ground for refusal, within its review window",
      )
      .argument("<requestId>", "the order")
      .requiredOption("--ground <ground>", `${Object.keys(ReviewGround).join(", ")}`)
      .option("--reasons <text|hash>", "the reasons (hashed); required with a ground")
      .action(
        action(io, async (ctx, o, id: string) => {
          const ground = String(o.ground);
          const name = Object.keys(ReviewGround).find((g) => g.toLowerCase() === ground.toLowerCase());
          if (name === undefined) {
            throw new CliError(
              "INPUT",
              `--ground: ${JSON.stringify(ground)} is not a review ground`,
              `use ${Object.keys(ReviewGround).join(", ")}`,
            );
          }
          if (name !== "None" && o.reasons === undefined) {
            throw new CliError("USAGE", `--ground ${name} states its reasons: give --reasons`);
          }
          const r = await step(ctx, (cp, w) =>
            cp.assistance.signReview(w, {
              requestId: bytes32(id, "the request id"),
              ground: name as ReviewGroundName,
              ...(o.reasons === undefined ? {} : { reasonsHash: hashOrText(String(o.reasons)) }),
            }),
          );
          ctx.out.result(
            r,
            fields([
              ["request", String(r.requestId)],
              ["ground", String(r.ground)],
              ["refused", String(r.refused)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof assist review 0x<request> --ground None",
      'crossproof assist review 0x<request> --ground DualCriminality --reasons "not an offence under SG law"',
    ],
  );

  examples(
    assist
      .command("ack")
      .description("Acknowledge a request addressed to your member")
      .argument("<requestId>", "the request")
      .action(
        action(io, async (ctx, _o, id: string) =>
          printState(
            ctx,
            await step(ctx, (cp, w) => cp.assistance.signAcknowledge(w, { requestId: bytes32(id, "the request id") })),
          ),
        ),
      ),
    ["crossproof assist ack 0x<request>"],
  );

  examples(
    assist
      .command("clarify")
      .description(
        "The addressee asks for clarification (--reason, --question), or the requester answers it (--answer)",
      )
      .argument("<requestId>", "the request")
      .option("--reason <reason>", "addressee: Incomplete, ManifestErrors or InsufficientInformation")
      .option("--question <text|hash>", "addressee: what is unclear (hashed)")
      .option("--answer <text|hash>", "requester: the clarification (hashed)")
      .option("--answer-cid <cid>", "requester: where the clarification or corrected order is")
      .action(
        action(io, async (ctx, o, id: string) => {
          const requestId = bytes32(id, "the request id");
          if ((o.answer === undefined) === (o.reason === undefined)) {
            throw new CliError("USAGE", "give --reason and --question (asking) or --answer (answering)");
          }
          const r =
            o.answer !== undefined
              ? await step(ctx, (cp, w) =>
                  cp.assistance.signProvideClarification(w, {
                    requestId,
                    answerHash: hashOrText(String(o.answer)),
                    ...(o.answerCid === undefined ? {} : { answerCid: String(o.answerCid) }),
                  }),
                )
              : await step(ctx, (cp, w) =>
                  cp.assistance.signRequestClarification(w, {
                    requestId,
                    reason: String(o.reason) as never,
                    questionHash: hashOrText(String(o.question ?? "")),
                  }),
                );
          printState(ctx, r);
        }),
      ),
    [
      'crossproof assist clarify 0x<request> --reason InsufficientInformation --question "which account?"',
      'crossproof assist clarify 0x<request> --answer "account uploader-77"',
    ],
  );

  examples(
    assist
      .command("notify")
      .description("The addressee notifies that it cannot execute the request (Annex III reasons)")
      .argument("<requestId>", "the request")
      .requiredOption(
        "--reasons <list>",
        "Annex III reasons, comma-separated: DataNotStored, DeFactoImpossibility, IssuingAuthorityNotCompetent, OffenceNotCovered, ServiceNotCovered, ImmunityOrPrivilege, ThirdCountryLawConflict",
      )
      .requiredOption("--details <text|hash>", "its account of why (hashed)")
      .action(
        action(io, async (ctx, o, id: string) =>
          printState(
            ctx,
            await step(ctx, (cp, w) =>
              cp.assistance.signReportImpossibility(w, {
                requestId: bytes32(id, "the request id"),
                reasons: list(String(o.reasons)) as ImpossibilityReasonName[],
                detailsHash: hashOrText(String(o.details)),
              }),
            ),
          ),
        ),
      ),
    ['crossproof assist notify 0x<request> --reasons DataNotStored --details "account purged 2026-03-01"'],
  );

  examples(
    assist
      .command("fulfil")
      .alias("fulfill")
      .description(
        "Answer a request with the response (its hash and CID go on chain; the file itself goes to the requester)",
      )
      .argument("<requestId>", "the request")
      .requiredOption("--response <file>", "the response (an encrypted package or document)")
      .option("--partial", "partly fulfilled")
      .action(
        action(io, async (ctx, o, id: string) => {
          let bytes: Buffer;
          try {
            bytes = readFileSync(String(o.response));
          } catch (cause) {
            throw new CliError("INPUT", `cannot read ${String(o.response)}`, undefined, { cause });
          }
          const responseCid =
            ctx.settings.store === undefined ? await computeCid(bytes) : await (await ctx.store()).put(bytes);
          const r = await step(ctx, (cp, w) =>
            cp.assistance.signAnswer(w, {
              requestId: bytes32(id, "the request id"),
              outcome: o.partial === true ? "PartiallyFulfilled" : "Fulfilled",
              responseHash: `0x${sha256Hex(bytes)}`,
              responseCid,
            }),
          );
          printState(ctx, { ...r, responseCid });
        }),
      ),
    ["crossproof assist fulfil 0x<request> --response subscriber-record.pdf --store ./content"],
  );

  examples(
    assist
      .command("refuse")
      .description("Refuse a request, with its grounds")
      .argument("<requestId>", "the request")
      .requiredOption("--grounds <grounds>", Object.keys(RefusalGrounds).join(", "))
      .action(
        action(io, async (ctx, o, id: string) =>
          printState(
            ctx,
            await step(ctx, (cp, w) =>
              cp.assistance.signAnswer(w, {
                requestId: bytes32(id, "the request id"),
                outcome: "Refused",
                refusalGrounds: String(o.grounds).toUpperCase() as RefusalGroundsName,
              }),
            ),
          ),
        ),
      ),
    ["crossproof assist refuse 0x<request> --grounds DATA_NOT_HELD"],
  );

  examples(
    assist
      .command("withdraw")
      .description("Withdraw a request your member issued (while an answer is still owed), with the reason (hashed)")
      .argument("<requestId>", "the request")
      .requiredOption("--reason <text|hash>", "why (hashed; keep the text in the case file)")
      .action(
        action(io, async (ctx, o, id: string) =>
          printState(
            ctx,
            await step(ctx, (cp, w) =>
              cp.assistance.signWithdraw(w, {
                requestId: bytes32(id, "the request id"),
                reasonHash: hashOrText(String(o.reason)),
              }),
            ),
          ),
        ),
      ),
    ['crossproof assist withdraw 0x<request> --reason "the suspect was identified domestically"'],
  );

  examples(
    assist
      .command("extend-retention")
      .description(
        "Keep preserved data longer: move a request's retention end later (your member issued it; within the maximum)",
      )
      .argument("<requestId>", "the request")
      .requiredOption("--until <time>", "the new retention end (after the current one)")
      .action(
        action(io, async (ctx, o, id: string) => {
          const until = unixTime(String(o.until), "--until");
          const r = await step(ctx, (cp, w) =>
            cp.assistance.signExtendRetention(w, { requestId: bytes32(id, "the request id"), retentionUntil: until }),
          );
          ctx.out.result({ ...r, requestId: bytes32(id, "the request id"), retentionUntil: iso(until) }, [
            `retention of ${id} now ends ${iso(until) ?? String(until)}`,
            `transaction ${String(r.transactionHash)}`,
          ]);
        }),
      ),
    ["crossproof assist extend-retention 0x<request> --until 2027-06-30T00:00:00Z"],
  );

  examples(
    assist
      .command("list")
      .description("Your member's requests (issued and received) with their state now")
      .option("--filter <filter>", "open, due-soon, overdue, answered or all", "open")
      .option("--role <role>", "requester, addressee or any", "any")
      .action(
        action(io, async (ctx, o) => {
          const filter = String(o.filter);
          const role = String(o.role);
          if (!["open", "due-soon", "overdue", "answered", "all"].includes(filter))
            throw new CliError("USAGE", "--filter is open, due-soon, overdue, answered or all");
          if (!["requester", "addressee", "any"].includes(role))
            throw new CliError("USAGE", "--role is requester, addressee or any");
          let requests: RequestJson[];
          if (ctx.mode === "gateway") {
            requests = (
              await ctx.http<{ requests: RequestJson[] }>("GET", `/v1/assistance?filter=${filter}&role=${role}`)
            ).requests;
          } else {
            if (filter === "answered" || filter === "all") {
              throw new CliError(
                "USAGE",
                `--filter ${filter} needs the gateway's index`,
                "use a gateway (--gateway), or --filter open|due-soon|overdue",
              );
            }
            const me = await ctx.signer();
            const cp = await ctx.chain();
            const ids: string[] = [];
            for (const asAddressee of role === "any" ? [false, true] : [role === "addressee"]) {
              ids.push(
                ...(await cp.assistance.openRequests(me.memberId, {
                  asAddressee,
                  filter: filter === "due-soon" ? "dueSoon" : (filter as "open" | "overdue"),
                })),
              );
            }
            requests = [];
            for (const id of [...new Set(ids.map((i) => i.toLowerCase()))]) {
              const v = await cp.assistance.getRequest(id);
              if (v !== undefined) requests.push(assistanceRequestJson(v, me.memberId));
            }
          }
          ctx.out.result({ requests }, () =>
            requests.length === 0
              ? "no request"
              : table(
                  ["request", "role", "kind", "from", "to", "state", "due"],
                  requests.map((r) => [
                    `${r.requestId.slice(0, 10)}…`,
                    r.role,
                    r.kind,
                    r.requester,
                    r.addressee,
                    r.stateNow,
                    r.deadline ?? "-",
                  ]),
                ),
          );
        }),
      ),
    ["crossproof assist list --filter overdue", "crossproof assist list --filter all --role addressee --json"],
  );
}
