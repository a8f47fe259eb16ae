/**
 * Alerts over HTTP (see docs/ALERTS.md): a signed-in member or account manages its subscriptions, reads its feed as
 * JSON or as a Server-Sent Events stream resumable with `Last-Event-ID`, reads its webhooks' delivery log and
 * redrives its dead letters. Everything is scoped to the caller: another's subscription is 404, whoever asks.
 */
import { Gauge } from "prom-client";
import { AlertKinds } from "../../../sdk/src";
import { Alerts, registerAlerts, type Subscription } from "../alerts";
import type { GatewayModule } from "../gateway";
import { Problem } from "../problems";
import { z } from "../zod";
import type { Principal } from "../auth/principal";

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex (0x + 64 hex digits)")
  .transform((v) => v.toLowerCase());
const KindSchema = z.enum(AlertKinds);
const SubscriptionId = z.object({
  subscriptionId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a subscription id (UUID)"),
});

const SubscriptionSchema = z
  .object({
    id: z.string(),
    owner: z.string().openapi({ description: "member:<id> or account:<address>" }),
    kinds: z.array(KindSchema),
    webhookUrl: z.string().nullable(),
    dueSoonSeconds: z.number().int(),
    expiringSeconds: z.number().int(),
    workIds: z.array(z.string()).nullable(),
    requestIds: z.array(z.string()).nullable(),
    createdAt: z.string(),
  })
  .openapi("AlertSubscription");

const NewSubscription = z
  .object({
    kinds: z.array(KindSchema).min(1).max(AlertKinds.length),
    webhookUrl: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: "Where to POST signed alerts (https; none: read the feed or the stream)" }),
    dueSoonSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(86_400)
      .openapi({ description: "assistance.due-soon fires this long before the deadline (chain time)" }),
    expiringSeconds: z
      .number()
      .int()
      .min(60)
      .max(366 * 86_400)
      .default(30 * 86_400)
      .openapi({ description: "licence.expiring and key.expiring fire this long before the end (chain time)" }),
    workIds: z
      .array(bytes32)
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Only alerts about these works (yours: you hold or held them)" }),
    requestIds: z
      .array(bytes32)
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Only alerts about these assistance requests (yours: you issued or received them)" }),
  })
  .strict()
  .openapi("NewAlertSubscription");

const AlertEventSchema = z
  .object({
    format: z.literal("crossproof.alert/1"),
    id: z.string().openapi({ description: "The event id: the webhook's Idempotency-Key" }),
    kind: KindSchema,
    subscriptionId: z.string(),
    recipient: z.string(),
    sequence: z.number().int().openapi({ description: "Position in the subscription's feed (the SSE event id)" }),
    occurredAt: z.string(),
    chain: z.object({ blockNumber: z.number().int(), transactionHash: z.string() }).nullable(),
    data: z.record(z.unknown()),
  })
  .openapi("AlertEvent");

const DeliverySchema = z
  .object({
    id: z.number().int(),
    eventId: z.string(),
    kind: KindSchema,
    status: z.enum(["pending", "delivered", "dead"]),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
      }),
    ),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("AlertDelivery");

const EventId = z.coerce
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ description: "The last event id seen (SSE `Last-Event-ID`)" });

const sseText = (id: number, kind: string, data: unknown) =>
  `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;

export const alertsModule: GatewayModule = async (ctx) => {
  const alerts = new Alerts({ ctx, log: ctx.log.child({ component: "alerts" }) });
  registerAlerts(ctx, alerts);
  await alerts.initCursor();
  const me = (p: Principal | undefined): Principal => {
    if (p === undefined) throw new Problem("unauthenticated", "sign in first (POST /v1/auth/siwe)");
    return p;
  };
  const tags = ["alerts"];

  ctx.api.route({
    method: "post",
    path: "/v1/alerts/subscriptions",
    summary: "Subscribe to alerts (a member: every kind; an account: its licences and works)",
    description:
      "Alerts go to the subscriber only about what it is party to on chain (least disclosure); `workIds` and " +
      "`requestIds` may only narrow to the subscriber's own. With `webhookUrl`, each alert is POSTed signed (a " +
      "detached JWS in `crossproof-signature`, checked with the gateway's /.well-known/jwks.json), with retries; every " +
      "alert is also in the subscription's feed and stream.",
    tags,
    auth: "signed-in",
    body: NewSubscription,
    responses: { 201: { description: "The subscription", schema: SubscriptionSchema } },
    handler: async ({ body, principal }) => {
      // Works and requests are checked against the index: bring it up to the chain's head first.
      if (body.workIds !== undefined || body.requestIds !== undefined) await ctx.indexer?.syncOnce();
      const s: Subscription = alerts.subscribe(me(principal), body, await ctx.cp.provider.getBlockNumber());
      return { status: 201, body: s };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/alerts/subscriptions",
    summary: "Your subscriptions",
    tags,
    auth: "signed-in",
    responses: {
      200: { description: "Your subscriptions", schema: z.object({ subscriptions: z.array(SubscriptionSchema) }) },
    },
    handler: async ({ principal }) => ({ status: 200, body: { subscriptions: alerts.list(me(principal)) } }),
  });

  ctx.api.route({
    method: "get",
    path: "/v1/alerts/subscriptions/:subscriptionId",
    summary: "One of your subscriptions",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    responses: {
      200: { description: "The subscription", schema: SubscriptionSchema },
      404: { description: "You have no such subscription" },
    },
    handler: async ({ params, principal }) => ({
      status: 200,
      body: alerts.get(me(principal), params.subscriptionId),
    }),
  });

  ctx.api.route({
    method: "delete",
    path: "/v1/alerts/subscriptions/:subscriptionId",
    summary: "Unsubscribe (its pending webhooks are dropped)",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    responses: { 204: { description: "Removed" }, 404: { description: "You have no such subscription" } },
    handler: async ({ params, principal }) => {
      alerts.unsubscribe(me(principal), params.subscriptionId);
      return { status: 204 };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/alerts/subscriptions/:subscriptionId/events",
    summary: "The subscription's alerts after an event id, oldest first (the stream's content, as JSON)",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    query: z.object({ after: EventId.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
    responses: {
      200: { description: "The alerts", schema: z.object({ events: z.array(AlertEventSchema) }) },
      404: { description: "You have no such subscription" },
    },
    handler: async ({ params, query, principal }) => {
      const s = alerts.get(me(principal), params.subscriptionId);
      return {
        status: 200,
        body: { events: alerts.feed(s.id, query.after ?? 0, query.limit ?? 100).map((r) => r.event) },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/alerts/subscriptions/:subscriptionId/stream",
    summary: "The subscription's alerts as Server-Sent Events, resumable with Last-Event-ID",
    description:
      "`text/event-stream`: each alert an event whose `id` is its sequence, `event` its kind and `data` the alert " +
      "(JSON). Reconnect with the `Last-Event-ID` header (or `lastEventId`) to get every alert after it. A comment " +
      "line is sent as keep-alive while idle; the stream ends when the session token would expire (sign in again " +
      "and resume).",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    query: z.object({ lastEventId: EventId.optional() }),
    responses: {
      200: { description: "The stream", schema: z.string(), contentType: "text/event-stream" },
      404: { description: "You have no such subscription" },
    },
    handler: async ({ params, query, principal, req, res }) => {
      const owner = me(principal);
      const s = alerts.get(owner, params.subscriptionId);
      const header = req.headers["last-event-id"];
      let last = query.lastEventId ?? 0;
      if (typeof header === "string" && header !== "") {
        const parsed = EventId.safeParse(header);
        if (!parsed.success) throw new Problem("invalid-request", "Last-Event-ID is not an event id of this stream");
        last = parsed.data;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.flushHeaders();
      res.write("retry: 2000\n\n");
      let closed = false;
      const send = () => {
        if (closed) return;
        try {
          alerts.get(owner, s.id);
        } catch {
          return close(); // unsubscribed meanwhile
        }
        for (;;) {
          const rows = alerts.feed(s.id, last, 200);
          for (const r of rows) {
            res.write(sseText(r.id, r.event.kind, r.event));
            last = r.id;
          }
          if (rows.length < 200) break;
        }
      };
      const keepAlive = setInterval(() => {
        // Also a poll: alerts stored by another gateway process on the same database show within this time.
        send();
        if (!closed) res.write(": keep-alive\n\n");
      }, ctx.config.alertsKeepAliveMs);
      const expiry = setTimeout(() => close(), ctx.config.tokenTtl * 1000);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        clearTimeout(expiry);
        alerts.events.off("feed", send);
        alerts.events.off("close", close);
        res.end();
      };
      alerts.events.on("feed", send);
      alerts.events.on("close", close);
      req.on("close", close);
      send();
      return undefined;
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/alerts/subscriptions/:subscriptionId/deliveries",
    summary: "The webhook delivery log: every attempt; `status=dead` is the dead-letter view",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    query: z.object({
      status: z.enum(["pending", "delivered", "dead"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
    responses: {
      200: { description: "Deliveries, newest first", schema: z.object({ deliveries: z.array(DeliverySchema) }) },
      404: { description: "You have no such subscription" },
    },
    handler: async ({ params, query, principal }) => ({
      status: 200,
      body: {
        deliveries: alerts.deliveries(me(principal), params.subscriptionId, {
          ...(query.status === undefined ? {} : { status: query.status }),
          limit: query.limit ?? 100,
        }),
      },
    }),
  });

  ctx.api.route({
    method: "post",
    path: "/v1/alerts/subscriptions/:subscriptionId/redrive",
    summary: "Send dead letters again (all of the subscription's, or those named)",
    tags,
    auth: "signed-in",
    params: SubscriptionId,
    body: z.object({ deliveryIds: z.array(z.number().int().min(1)).min(1).max(500).optional() }).strict(),
    responses: {
      200: { description: "How many were queued again", schema: z.object({ redriven: z.number().int() }) },
      404: { description: "You have no such subscription" },
    },
    handler: async ({ params, body, principal }) => ({
      status: 200,
      body: { redriven: alerts.redrive(me(principal), params.subscriptionId, body.deliveryIds) },
    }),
  });

  new Gauge({
    name: "crossproof_gateway_alert_deliveries",
    help: "Webhook deliveries by status (pending, delivered, dead)",
    labelNames: ["status"] as const,
    registers: [ctx.metrics.registry],
    collect() {
      for (const [status, n] of Object.entries(alerts.deliveryCounts())) this.set({ status }, n);
    },
  });
  if (ctx.config.alertsPollMs > 0) alerts.start(ctx.config.alertsPollMs);
  ctx.onClose(() => alerts.stop());
};
