/**
 * `submission <id>`: a write left pending after --wait-timeout, resumed. Where the gateway's outbox has it (`GET
 * /v1/submissions/{id}`): confirmed — the write's domain result and transaction, exit 0; failed — the write's own
 * error and exit code; still pending — exit 6 (with --wait: after waiting up to --wait-timeout).
 */
import type { Command } from "commander";
import type { Io } from "../context";
import { CliError } from "../exit-codes";
import { fields } from "../output";
import { action, examples } from "../util";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function submissionCommands(program: Command, io: Io): void {
  examples(
    program
      .command("submission")
      .description(
        "Gateway mode: the outcome of a write the gateway accepted (one left pending after --wait-timeout): the same result and exit code the write would have given",
      )
      .argument("<id>", "the submission id (printed by the write that timed out, `submission` in --json)")
      .option("--wait", "wait for it to settle (up to --wait-timeout seconds) instead of one look")
      .action(
        action(io, async (ctx, o, id: string) => {
          if (!UUID.test(id)) throw new CliError("INPUT", `a submission id is a UUID, got ${JSON.stringify(id)}`);
          ctx.requireGateway();
          const r = await ctx.followSubmission(id.toLowerCase(), { once: o.wait !== true });
          const domain = Object.entries(r).filter(
            ([k, v]) => !["transactionHash", "blockNumber", "submission"].includes(k) && typeof v !== "object",
          );
          ctx.out.result(
            r,
            fields([
              ["submission", `${id} confirmed`],
              ...domain.map(([k, v]) => [k, String(v)] as [string, string]),
              ["transaction", String(r.transactionHash)],
              ["block", String(r.blockNumber)],
            ]),
          );
        }),
      ),
    [
      "crossproof submission 7d0f3c1e-5b2a-4c49-9a57-0b6f3d2e8c11",
      "crossproof submission 7d0f3c1e-5b2a-4c49-9a57-0b6f3d2e8c11 --wait --wait-timeout 600 --json",
    ],
  );
}
