/**
 * Alerts from the command line (a gateway's, see docs/ALERTS.md): `alerts list`, `alerts add`, `alerts remove` and
 * `alerts tail` (the subscription's stream, resumed after a given event id, reconnecting by itself).
 */
import type { Command } from "commander";
import { AlertKinds, type AlertKind, type GatewayAlertSubscription } from "../../index";
import type { Context, Io } from "../context";
import { CliError } from "../exit-codes";
import { table } from "../output";
import { action, bytes32, collect, examples, list } from "../util";

function requireGatewayMode(ctx: Context): void {
  if (ctx.mode !== "gateway") {
    throw new CliError("CONFIG", "alerts are a gateway's (it follows the chain for you)", "give --gateway <url>");
  }
}

/** A duration: seconds, or a number with s, m, h or d. */
export function durationSeconds(value: string, what: string): number {
  const m = /^([0-9]+)([smhd]?)$/.exec(value.trim());
  if (m === null) throw new CliError("INPUT", `${what}: not a duration: ${value}`, "e.g. 3600, 90m, 24h or 30d");
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "" | "s" | "m" | "h" | "d"];
}

function kindsOf(values: readonly string[]): AlertKind[] {
  const kinds = values.flatMap((v) => list(v));
  const unknown = kinds.filter((k) => !(AlertKinds as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new CliError(
      "INPUT",
      kinds.length === 0 ? "no alert kind" : `not an alert kind: ${unknown.join(", ")}`,
      `one or more of ${AlertKinds.join(", ")}`,
    );
  }
  return kinds as AlertKind[];
}

const row = (s: GatewayAlertSubscription) => [
  s.id,
  s.kinds.join(","),
  s.webhookUrl ?? "(stream)",
  [...(s.workIds ?? []), ...(s.requestIds ?? [])].map((id) => `${id.slice(0, 10)}…`).join(",") || "all",
];

export function alertCommands(program: Command, io: Io): void {
  const alerts = program
    .command("alerts")
    .description(
      "Alerts from a gateway: subscriptions, webhooks and a live stream (your requests, evidence, licences…)",
    );

  examples(
    alerts
      .command("list")
      .description("Your subscriptions")
      .action(
        action(io, async (ctx) => {
          requireGatewayMode(ctx);
          const subs = await (await ctx.gateway()).alertSubscriptions();
          ctx.out.result({ subscriptions: subs }, () =>
            subs.length === 0
              ? "no subscriptions (crossproof alerts add --kind …)"
              : table(["id", "kinds", "delivery", "only"], subs.map(row)),
          );
        }),
      ),
    ["crossproof alerts list", "crossproof alerts list --json"],
  );

  examples(
    alerts
      .command("add")
      .description("Subscribe to alerts (members: every kind; accounts: licence.* and work.matched)")
      .option("--kind <kinds>", `what to be told of, comma-separated or repeated: ${AlertKinds.join(", ")}`, collect)
      .option("--webhook <url>", "POST each alert here, signed by the gateway (else: read it with `alerts tail`)")
      .option("--due-soon <duration>", "assistance.due-soon this long before the deadline (default 24h)")
      .option("--expiring <duration>", "licence.expiring and key.expiring this long before the end (default 30d)")
      .option("--work <id>", "only about this work of yours (repeatable)", collect)
      .option("--request <id>", "only about this assistance request of yours (repeatable)", collect)
      .action(
        action(io, async (ctx, o) => {
          requireGatewayMode(ctx);
          const works = ((o.work as string[] | undefined) ?? []).map((w) => bytes32(w, "--work"));
          const requests = ((o.request as string[] | undefined) ?? []).map((r) => bytes32(r, "--request"));
          const s = await (
            await ctx.gateway()
          ).subscribeAlerts({
            kinds: kindsOf((o.kind as string[] | undefined) ?? []),
            ...(o.webhook === undefined ? {} : { webhookUrl: String(o.webhook) }),
            ...(o.dueSoon === undefined ? {} : { dueSoonSeconds: durationSeconds(String(o.dueSoon), "--due-soon") }),
            ...(o.expiring === undefined ? {} : { expiringSeconds: durationSeconds(String(o.expiring), "--expiring") }),
            ...(works.length === 0 ? {} : { workIds: works }),
            ...(requests.length === 0 ? {} : { requestIds: requests }),
          });
          ctx.out.result(s, [`subscribed: ${s.id}`, table(["id", "kinds", "delivery", "only"], [row(s)])]);
        }),
      ),
    [
      "crossproof alerts add --kind assistance.received,assistance.due-soon,assistance.overdue --due-soon 12h",
      "crossproof alerts add --kind work.matched,licence.revoked --webhook https://hooks.example.org/crossproof",
    ],
  );

  examples(
    alerts
      .command("remove")
      .description("Remove a subscription (its pending webhooks are dropped)")
      .argument("<id>", "the subscription id")
      .action(
        action(io, async (ctx, _o, id: string) => {
          requireGatewayMode(ctx);
          await (await ctx.gateway()).unsubscribeAlerts(id);
          ctx.out.result({ removed: id }, `removed ${id}`);
        }),
      ),
    ["crossproof alerts remove 1b4e28ba-2fa1-41d2-883f-0016d3cca427"],
  );

  examples(
    alerts
      .command("tail")
      .description("Print a subscription's alerts as they happen (one JSON line each with --json); Ctrl-C to stop")
      .argument("<id>", "the subscription id")
      .option("--after <event-id>", "start after this event id (what the last run printed; default: from the start)")
      .option("--count <n>", "stop after this many alerts")
      .action(
        action(io, async (ctx, o, id: string) => {
          requireGatewayMode(ctx);
          const after = o.after === undefined ? undefined : Number(o.after);
          if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) {
            throw new CliError("INPUT", `--after: not an event id: ${String(o.after)}`);
          }
          const count = o.count === undefined ? undefined : Number(o.count);
          if (count !== undefined && (!Number.isSafeInteger(count) || count < 1)) {
            throw new CliError("INPUT", `--count: not a positive number: ${String(o.count)}`);
          }
          const control = new AbortController();
          const stop = () => control.abort();
          process.once("SIGINT", stop);
          let n = 0;
          try {
            const gw = await ctx.gateway();
            for await (const m of gw.alertStream(id, {
              signal: control.signal,
              ...(after === undefined ? {} : { lastEventId: after }),
            })) {
              // One line per alert, printed as it comes (a stream, not one final document).
              io.stdout.write(
                ctx.out.json
                  ? `${JSON.stringify(m.event)}\n`
                  : `${m.id}  ${m.event.occurredAt}  ${m.event.kind}  ${JSON.stringify(m.event.data)}\n`,
              );
              if (count !== undefined && ++n >= count) break;
            }
          } finally {
            process.off("SIGINT", stop);
            control.abort();
          }
        }),
      ),
    ["crossproof alerts tail 1b4e28ba-2fa1-41d2-883f-0016d3cca427", "crossproof alerts tail <id> --after 41 --json"],
  );
}
