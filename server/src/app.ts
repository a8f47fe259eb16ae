/**
 * The Express application: security headers, request ids and structured logs, body and rate limits, the API routes
 * (declared once, see api.ts), `/openapi.json`, health and metrics, the verification portal's page at `/`, and RFC 9457
 * problems for every error.
 */
import express, { type Express, type RequestHandler } from "express";
import { ipKeyGenerator } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { Api } from "./api";
import type { Principal } from "./auth/principal";
import { Problem, notFoundHandler, problemHandler } from "./problems";
import { rateLimiter } from "./rate-limit";
import { requestLog } from "./request-log";
import { portalRouter } from "./routes/portal";

export interface AppParameters {
  api: Api;
  /** Sets `res.locals.principal` from the session token, if any (see auth/principal.ts). */
  identify: RequestHandler;
  log: Logger;
  bodyLimit: string;
  /** Requests per minute per client. */
  rateLimit: number;
  /** Readiness: resolves when the gateway can serve (chain reachable, indexer caught up), else throws why not. */
  ready: () => Promise<void>;
  openapi: { title: string; version: string; serverUrl: string };
  metrics?: Registry;
}

/** Metrics every gateway exposes (besides the process defaults). */
export function gatewayMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: "crossproof_gateway_" });
  return {
    registry,
    requests: new Counter({
      name: "crossproof_gateway_http_requests_total",
      help: "HTTP requests answered, by route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "crossproof_gateway_http_request_seconds",
      help: "Time to answer, by route",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;

/**
 * A middleware that sets static headers, replayed: `middleware` (helmet, configured with constants only) is run once
 * here against a response that records what it sets and removes, and each request gets the same calls in the same
 * order, without helmet's dozen middleware calls and header values rebuilt per request. Throws if `middleware` does
 * anything but set or remove headers and call `next()` once, at once — then it is not static and cannot be replayed.
 */
export function replayedHeaders(middleware: RequestHandler): RequestHandler {
  const calls: ([name: string, value: string | string[]] | [name: string])[] = [];
  const recorder = {
    setHeader: (name: string, value: string | string[]) => void calls.push([name, value]),
    removeHeader: (name: string) => void calls.push([name]),
  };
  let nexts = 0;
  void middleware({} as never, recorder as never, (err?: unknown) => {
    if (err !== undefined) throw err instanceof Error ? err : new Error(String(err));
    nexts++;
  });
  if (nexts !== 1) throw new Error("the header middleware is not static: it did not call next() once, at once");
  return (_req, res, next) => {
    for (const c of calls) {
      if (c.length === 2) res.setHeader(c[0], c[1]);
      else res.removeHeader(c[0]);
    }
    next();
  };
}

/**
 * Middleware run one after the other as one layer of the app (Express matches and dispatches each layer; a request
 * passes these all). An error, or `next("route")`/`next("router")`, goes on to the app as from the layer itself.
 */
export function inSeries(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined || i === handlers.length) {
        next(err);
        return;
      }
      const handler = handlers[i++]!;
      try {
        const r = handler(req, res, step) as unknown;
        // Express 5 forwards a rejected promise of a handler to the error handlers; so does this.
        if (r instanceof Promise) r.catch((e: unknown) => step(e ?? new Error("rejected")));
      } catch (e) {
        step(e);
      }
    };
    step();
  };
}

export function createApp(p: AppParameters & { metricsSet: GatewayMetrics }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  // Request ids, the request log and the HTTP metrics (request-log.ts).
  // The API's headers (helmet's, computed once); the portal's page sets a Content Security Policy of its own
  // (routes/portal.ts).
  app.use(
    inSeries(
      requestLog(app, { log: p.log, requests: p.metricsSet.requests, duration: p.metricsSet.duration }),
      replayedHeaders(
        helmet({
          contentSecurityPolicy: {
            directives: { "default-src": ["'self'"], "script-src": ["'self'"], "object-src": ["'none'"] },
          },
        }),
      ),
    ),
  );
  // Health and metrics before the rate limit: probes must always get through.
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res, next) => {
    try {
      await p.ready();
      res.json({ status: "ready" });
    } catch (err) {
      next(new Problem("not-ready", (err as Error).message, {}, { cause: err }));
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.type(p.metricsSet.registry.contentType).send(await p.metricsSet.registry.metrics());
  });
  // The portal: `/` and `/portal/*` (static, not part of the API document). Only paths it could answer enter its
  // router (`/`, `/portal/…`; Express matches paths whatever their case).
  const portal = portalRouter({ secure: p.openapi.serverUrl.startsWith("https:"), log: p.log });
  // Who is calling, the rate limit, the portal's pages, the JSON body: one layer, in this order.
  app.use(
    inSeries(
      p.identify,
      rateLimiter({
        windowMs: 60_000,
        limit: p.rateLimit,
        key: (req, res) => {
          const principal = res.locals.principal as Principal | undefined;
          if (principal?.kind === "member") return `member:${principal.memberId}`;
          return `ip:${ipKeyGenerator(req.ip ?? "0.0.0.0")}`;
        },
        refuse: (_req, _res, next) =>
          next(new Problem("too-many-requests", `more than ${p.rateLimit} requests a minute`)),
      }),
      (req, res, next) => {
        const path = req.path;
        if (path === "/" || path === "//" || path.slice(0, 8).toLowerCase() === "/portal/") portal(req, res, next);
        else next();
      },
      express.json({ limit: p.bodyLimit, type: ["application/json", "application/*+json"] }),
    ),
  );
  const openapi = p.api.document(p.openapi);
  app.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });
  app.use(p.api.router);
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
