/** Recognition agreements by governance: propose (one side's approval), approve (the other side's), suspend, resume. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  AssistanceProfileId,
  Assurance,
  EvidenceCategory,
  agreementTextHash,
  type AgreementTermsInput,
  type AssuranceName,
  type BuiltInProfileName,
  type EvidenceCategoryName,
} from "../../index";
import type { Io } from "../context";
import { CliError } from "../exit-codes";
import { fields } from "../output";
import { action, examples, list, unixTime } from "../util";

/** Category names (or indexes 0-63) to the indexes an agreement covers. */
function categories(value: string): number[] {
  return list(value).map((c) => {
    if (/^\d+$/.test(c) && Number(c) <= 63) return Number(c);
    const code = EvidenceCategory[c.toUpperCase() as EvidenceCategoryName];
    if (code === undefined) {
      throw new CliError(
        "INPUT",
        `--categories: ${JSON.stringify(c)} is not an evidence category`,
        `use ${Object.keys(EvidenceCategory).join(", ")} or an index 0-63`,
      );
    }
    return code;
  });
}

function assurance(value: string | undefined): AssuranceName[] {
  if (value === undefined) return [];
  return list(value).map((a) => {
    if (!(a in Assurance)) {
      throw new CliError(
        "INPUT",
        `--min-assurance: ${JSON.stringify(a)} is not an assurance flag`,
        `use ${Object.keys(Assurance).join(", ")}`,
      );
    }
    return a as AssuranceName;
  });
}

const seconds = (v: unknown, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(String(v))) throw new CliError("INPUT", `${flag}: seconds (a whole number), not ${String(v)}`);
  return Number(v);
};

/** A built-in deadline profile's name (any case), or a profile id. */
function assistanceProfileOf(v: unknown): BuiltInProfileName | number | undefined {
  if (v === undefined) return undefined;
  const value = String(v);
  if (/^[1-9][0-9]{0,9}$/.test(value)) return Number(value);
  const name = Object.keys(AssistanceProfileId).find((n) => n.toLowerCase() === value.toLowerCase());
  if (name === undefined) {
    throw new CliError(
      "INPUT",
      `--assistance-profile: ${JSON.stringify(value)} is not a deadline profile`,
      `use ${Object.keys(AssistanceProfileId).join(", ")} or a profile id (a whole number)`,
    );
  }
  return name as BuiltInProfileName;
}

const agreementId = (v: string): bigint => {
  if (!/^[0-9]+$/.test(v)) throw new CliError("INPUT", `an agreement id is a whole number, got ${JSON.stringify(v)}`);
  return BigInt(v);
};

export function agreementCommands(program: Command, io: Io): void {
  const group = program
    .command("agreement")
    .description("Recognition agreements between two jurisdictions, concluded when a GOVERNOR of each side approved");

  examples(
    group
      .command("propose")
      .description("Propose an agreement (a GOVERNOR of either side; this is that side's approval)")
      .requiredOption("--from <CC>", "the collecting jurisdiction (ISO 3166-1 alpha-2)")
      .requiredOption("--to <CC>", "the recognising jurisdiction")
      .requiredOption("--categories <list>", "evidence categories covered (names such as VIDEO_CAPTURE, or 0-63)")
      .requiredOption("--text <file>", "the signed agreement text (its keccak-256, after NFC, goes on chain)")
      .option("--min-assurance <list>", `the minimum assurance: ${Object.keys(Assurance).join(", ")}`)
      .option("--anchor-window <seconds>", "with TIMELY_ANCHOR: most seconds between collection and anchoring")
      .option("--effective-from <time>", "from when (ISO date or unix seconds; default at once)")
      .option("--expires <time>", "until when (default: no expiry)")
      .option("--response-window <seconds>", "assistance requests: the answer window (default: consortium's)")
      .option("--emergency-window <seconds>", "assistance requests in an emergency (default: consortium's)")
      .option(
        "--assistance-profile <profile>",
        `the deadline profile of assistance requests between the two: ${Object.keys(AssistanceProfileId).join(", ")} or a profile id (default: the consortium's)`,
      )
      .option(
        "--retention-period <seconds>",
        "assistance requests: how long preserved data are kept (default: the profile's)",
      )
      .action(
        action(io, async (ctx, o) => {
          let text: string;
          try {
            text = readFileSync(String(o.text), "utf8");
          } catch (cause) {
            throw new CliError("INPUT", `cannot read --text ${String(o.text)}: ${(cause as Error).message}`);
          }
          const anchorWindow = seconds(o.anchorWindow, "--anchor-window");
          const responseWindow = seconds(o.responseWindow, "--response-window");
          const emergencyWindow = seconds(o.emergencyWindow, "--emergency-window");
          const terms: AgreementTermsInput = {
            from: String(o.from).toUpperCase(),
            to: String(o.to).toUpperCase(),
            categories: categories(String(o.categories)),
            minAssurance: assurance(o.minAssurance as string | undefined),
            textHash: agreementTextHash(text),
            ...(anchorWindow === undefined ? {} : { anchorWindow }),
            ...(o.effectiveFrom === undefined
              ? {}
              : { effectiveFrom: unixTime(String(o.effectiveFrom), "--effective-from") }),
            ...(o.expires === undefined ? {} : { expiresAt: unixTime(String(o.expires), "--expires") }),
            ...(responseWindow === undefined ? {} : { responseWindow }),
            ...(emergencyWindow === undefined ? {} : { emergencyResponseWindow: emergencyWindow }),
          };
          const profile = assistanceProfileOf(o.assistanceProfile);
          const retentionPeriod = seconds(o.retentionPeriod, "--retention-period");
          const withAssistance = profile !== undefined || retentionPeriod !== undefined;
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const signed = withAssistance
            ? await cp.consortium.signProposeAgreementWithAssistance(me.wallet, terms, {
                ...(profile === undefined ? {} : { profile }),
                ...(retentionPeriod === undefined ? {} : { retentionPeriod }),
              })
            : await cp.consortium.signProposeAgreement(me.wallet, terms);
          const r = await ctx.submit(cp.consortium, signed);
          ctx.out.result(
            {
              ...r,
              textHash: terms.textHash,
              ...(withAssistance
                ? {
                    assistance: {
                      profileId:
                        profile === undefined
                          ? 0
                          : typeof profile === "number"
                            ? profile
                            : AssistanceProfileId[profile],
                      retentionPeriod: retentionPeriod ?? 0,
                    },
                  }
                : {}),
            },
            fields([
              ["agreement", String(r.agreementId)],
              ["from → to", `${String(r.from)} → ${String(r.to)}`],
              ["text hash", terms.textHash],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof agreement propose --from FR --to IT --categories VIDEO_CAPTURE,LIVE_STREAM_RECORDING --min-assurance COMPLETE_CUSTODY --text fr-it.txt",
      "crossproof agreement propose --from FR --to DE --categories 1,2,3 --text fr-de-eevidence.txt --assistance-profile EuEvidence",
    ],
  );

  examples(
    group
      .command("approve")
      .description("Approve an agreement proposed by the other side (a GOVERNOR of this side); it is then concluded")
      .argument("<agreementId>", "the agreement")
      .action(
        action(io, async (ctx, _o, id: string) => {
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const r = await ctx.submit(
            cp.consortium,
            await cp.consortium.signApproveAgreement(me.wallet, agreementId(id)),
          );
          ctx.out.result(
            r,
            fields([
              ["agreement", id],
              ["concluded", String(r.concluded)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    ["crossproof agreement approve 13"],
  );

  for (const [name, suspended] of [
    ["suspend", true],
    ["resume", false],
  ] as const) {
    examples(
      group
        .command(name)
        .description(
          suspended
            ? "Suspend an agreement (a GOVERNOR of either side): not in force until the same side resumes it"
            : "Resume an agreement this side suspended",
        )
        .argument("<agreementId>", "the agreement")
        .action(
          action(io, async (ctx, _o, id: string) => {
            const me = await ctx.signer();
            const cp = await ctx.chain();
            const r = await ctx.submit(
              cp.consortium,
              await cp.consortium.signSetAgreementSuspended(me.wallet, agreementId(id), suspended),
            );
            ctx.out.result(
              r,
              fields([
                ["agreement", id],
                ["suspended", String(r.suspended)],
                ["transaction", String(r.transactionHash)],
              ]),
            );
          }),
        ),
      [`crossproof agreement ${name} 13`],
    );
  }
}
