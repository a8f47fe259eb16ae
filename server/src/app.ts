/**
 * The Express application: security headers, request ids and structured logs, body and rate limits, the API routes
 * (declared once, see api.ts), `/openapi.json`, health and metrics, the verification portal's page at `/`, and RFC 9457
 * problems for every error.
 */
import { randomUUID } from "node:crypto";
import express, { type Express, type RequestHandler } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { Api } from "./api";
import type { Principal } from "./auth/principal";
import { Problem, notFoundHandler, problemHandler } from "./problems";
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

export function createApp(p: AppParameters & { metricsSet: GatewayMetrics }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(
    pinoHttp({
      logger: p.log,
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err !== undefined || res.statusCode >= 500 ? "error" : "info"),
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        // The status is what a request log needs; response headers (security headers, etags) are the same every time.
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // The API's headers; the portal's page sets a Content Security Policy of its own (routes/portal.ts).
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { "default-src": ["'self'"], "script-src": ["'self'"], "object-src": ["'none'"] },
      },
    }),
  );
  app.use((req, res, next) => {
    const end = p.metricsSet.duration.startTimer();
    res.on("finish", () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
      p.metricsSet.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  });
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
  app.use(p.identify);
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: p.rateLimit,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      keyGenerator: (req, res) => {
        const principal = res.locals.principal as Principal | undefined;
        if (principal?.kind === "member") return `member:${principal.memberId}`;
        return `ip:${ipKeyGenerator(req.ip ?? "0.0.0.0")}`;
      },
      handler: (_req, _res, next) =>
        next(new Problem("too-many-requests", `more than ${p.rateLimit} requests a minute`)),
    }),
  );
  // The verification portal: `/` and `/portal/*` (static, not part of the API document).
  app.use(portalRouter({ secure: p.openapi.serverUrl.startsWith("https:"), log: p.log }));
  app.use(express.json({ limit: p.bodyLimit, type: ["application/json", "application/*+json"] }));
  const openapi = p.api.document(p.openapi);
  app.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });
  app.use(p.api.router);
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
