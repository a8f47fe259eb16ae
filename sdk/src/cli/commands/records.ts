/**
 * Acting on records and on a member's own keys: `endorse` a foreign record (Recognized / Challenged, citing the
 * signed report it rests on), `retract` one of your member's records or batches, `keys add` (register a report or
 * encryption public key for your member).
 */
import type { Command } from "commander";
import { checkRecipientPublicKey, reportDigest } from "../../index";
import type { Context, Io } from "../context";
import { CliError } from "../exit-codes";
import { action, bytes32, examples, hashOrText, unixTime } from "../util";

/** The report a verdict rests on: a saved report (its JWS digest), or a 0x hash given as is. */
function reportHashOf(ctx: Context, value: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  const jws = ctx.readText(value, "the report").trim();
  if (jws.split(".").length !== 3) {
    throw new CliError("INPUT", `${value} is not a signed report (a compact JWS) nor a 0x hash`);
  }
  return reportDigest(jws);
}

export function recordCommands(program: Command, io: Io): void {
  examples(
    program
      .command("endorse")
      .description(
        "Endorse a foreign record: Recognized (under a recognition agreement in force) or Challenged, citing the report",
      )
      .argument("<recordId>", "the evidence record")
      .requiredOption("--verdict <verdict>", "Recognized or Challenged")
      .requiredOption("--report <report.jws|hash>", "the signed report the verdict rests on (its digest is recorded)")
      .action(
        action(io, async (ctx, o, recordId: string) => {
          const verdict = String(o.verdict).toLowerCase();
          if (verdict !== "recognized" && verdict !== "challenged") {
            throw new CliError("INPUT", `--verdict: Recognized or Challenged, not ${String(o.verdict)}`);
          }
          const signer = await ctx.signer();
          const cp = await ctx.chain();
          const signed = await cp.evidence.signEndorsement(signer.wallet, {
            recordId: bytes32(recordId, "the record id"),
            verdict: verdict === "recognized" ? "Recognized" : "Challenged",
            reportHash: reportHashOf(ctx, String(o.report)),
          });
          const r = await ctx.submit(cp.evidence, signed);
          ctx.out.result({ ...r, reportHash: signed.request.reportHash }, [
            `${verdict === "recognized" ? "Recognized" : "Challenged"} by member ${signer.memberId}: ${recordId}`,
            `transaction ${String(r.transactionHash)}`,
          ]);
        }),
      ),
    [
      "crossproof endorse 0x<record> --verdict Recognized --report court-report.jws",
      "crossproof endorse 0x<record> --verdict Challenged --report 0x<report hash>",
    ],
  );

  examples(
    program
      .command("retract")
      .description("Retract one of your member's records (or --batch: a Merkle batch), with the reason (hashed)")
      .argument("<id>", "the record id (or, with --batch, the batch id)")
      .requiredOption("--reason <text|hash>", "why (hashed; keep the text in the case file)")
      .option("--batch", "the id is a batch id")
      .action(
        action(io, async (ctx, o, id: string) => {
          const signer = await ctx.signer();
          const cp = await ctx.chain();
          const reasonHash = hashOrText(String(o.reason));
          const r =
            o.batch === true
              ? await ctx.submit(
                  cp.evidence,
                  await cp.evidence.signRetractBatch(signer.wallet, {
                    batchId: bytes32(id, "the batch id"),
                    reasonHash,
                  }),
                )
              : await ctx.submit(
                  cp.evidence,
                  await cp.evidence.signRetractEvidence(signer.wallet, {
                    recordId: bytes32(id, "the record id"),
                    reasonHash,
                  }),
                );
          ctx.out.result({ ...r, reasonHash }, [
            `retracted ${o.batch === true ? "batch" : "record"} ${id}`,
            `transaction ${String(r.transactionHash)}`,
          ]);
        }),
      ),
    [
      'crossproof retract 0x<record> --reason "anchored under the wrong case"',
      "crossproof retract 0x<batch> --batch --reason 0x<hash>",
    ],
  );
}

/** `keys add`: registers a public key (report or encryption) for the signer's member. */
export function keysAddCommand(keys: Command, io: Io): void {
  examples(
    keys
      .command("add")
      .description("Register a report or encryption public key (a public JWK file) for your member")
      .requiredOption("--purpose <purpose>", "Report (signs verification reports) or Encryption (packages)")
      .requiredOption(
        "--jwk <file>",
        "the public key: a JWK, or a file with { kid, jwk } as `key new --package` writes",
      )
      .option("--valid-from <time>", "from when (default: now)")
      .option("--valid-until <time>", "until when (default: open-ended)")
      .action(
        action(io, async (ctx, o) => {
          const purpose = String(o.purpose).toLowerCase();
          if (purpose !== "report" && purpose !== "encryption") {
            throw new CliError("INPUT", `--purpose: Report or Encryption, not ${String(o.purpose)}`);
          }
          const file = ctx.readJson<Record<string, unknown>>(String(o.jwk), "the public key");
          let jwk = (typeof file.jwk === "object" && file.jwk !== null ? file.jwk : file) as Record<string, unknown>;
          if ("d" in jwk) {
            throw new CliError("INPUT", `${String(o.jwk)} holds a private key: give the public half only`);
          }
          if (purpose === "encryption" && typeof file.kid === "string") {
            // A package key's public half ({ kid, jwk }): its kid is checked against the key.
            jwk = (await checkRecipientPublicKey({ kid: file.kid, jwk: jwk as never })).jwk as unknown as Record<
              string,
              unknown
            >;
          }
          const signer = await ctx.signer();
          const cp = await ctx.chain();
          const signed = await cp.consortium.signAddOwnPublicKey(signer.wallet, signer.memberId, {
            purpose: purpose === "report" ? "Report" : "Encryption",
            jwk: jwk as never,
            ...(o.validFrom === undefined ? {} : { validFrom: unixTime(String(o.validFrom), "--valid-from") }),
            ...(o.validUntil === undefined ? {} : { validUntil: unixTime(String(o.validUntil), "--valid-until") }),
          });
          const r = await ctx.submit(cp.consortium, signed);
          ctx.out.result({ memberId: signer.memberId, purpose, ...r }, [
            `${purpose === "report" ? "report" : "encryption"} key registered for member ${signer.memberId}`,
            `transaction ${String(r.transactionHash)}`,
          ]);
        }),
      ),
    [
      "crossproof keys add --purpose Encryption --jwk court.package-key.pub.json",
      "crossproof keys add --purpose Report --jwk report-key.pub.jwk --valid-until 2027-12-31T00:00:00Z",
    ],
  );
}
