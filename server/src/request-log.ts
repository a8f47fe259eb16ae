/**
 * The request log, request ids and the HTTP metrics, in one middleware with one listener per response.
 *
 * Every request gets an id (the caller's `x-request-id` when it is a plain token of at most 64 characters, else a
 * random UUID), echoed in the `x-request-id` response header; when the response ends, one log line
 * (`request completed`, `request aborted` when the client went away first, or `request errored` at level `error` for
 * a 5xx) with the request's id, method and URL, the status and the time taken in milliseconds — the fields and
 * messages pino-http wrote before this replaced it — and, for a response that was sent, the Prometheus counter and
 * histogram by method, route and status.
 *
 * What it saves over pino-http (measured, docs/BENCHMARKS.md): no child logger per request — `req.log`, which code
 * uses to log about a request (the problem handler's "request failed"), is made on first use only — and the log line
 * is not built at all at a level that drops it; the metrics' label sets are looked up once per route and status.
 */
import { randomUUID } from "node:crypto";
import type { Express, Request, RequestHandler } from "express";
import type { Logger } from "pino";
import type { Counter, Histogram } from "prom-client";

declare module "http" {
  interface IncomingMessage {
    /** The request's id (see {@link requestLog}). */
    id: string;
    /** A logger whose lines carry this request's id, method and URL (made on first use). */
    log: Logger;
  }
}

/** A caller's request id is kept when it is a plain token; anything else is replaced. */
const GIVEN_ID = /^[A-Za-z0-9._-]{1,64}$/;
const LOGGER = Symbol("request logger");

type Labelled<T> = { get(method: string, route: string, status?: string): T };

/** Label children of a metric, looked up once per label set (prom-client hashes the label object on every call). */
function children<T>(make: (labels: string[]) => T): Labelled<T> {
  const cache = new Map<string, T>();
  return {
    get(method, route, status) {
      const key = status === undefined ? `${method} ${route}` : `${method} ${route} ${status}`;
      let child = cache.get(key);
      if (child === undefined) {
        child = make(status === undefined ? [method, route] : [method, route, status]);
        // Bounded: methods and statuses are few, routes are the declared ones plus "unmatched".
        if (cache.size < 10_000) cache.set(key, child);
      }
      return child;
    },
  };
}

/** What `req.log` is bound to: the request's id, method and URL (as the request arrived). */
const requestBindings = (req: Request) => ({ req: { id: req.id, method: req.method, url: req.originalUrl } });

/**
 * The middleware, first in the stack. `app` gets the lazy `req.log` (on its request prototype: nothing per request
 * until a line is logged).
 */
export function requestLog(
  app: Express,
  o: {
    log: Logger;
    requests: Counter<"method" | "route" | "status">;
    duration: Histogram<"method" | "route">;
  },
): RequestHandler {
  Object.defineProperty(app.request, "log", {
    configurable: true,
    get(this: Request & { [LOGGER]?: Logger }) {
      return (this[LOGGER] ??= o.log.child(requestBindings(this)));
    },
    set(this: Request & { [LOGGER]?: Logger }, value: Logger) {
      this[LOGGER] = value;
    },
  });
  const counted = children((l) => o.requests.labels(...(l as [string, string, string])));
  const timed = children((l) => o.duration.labels(...(l as [string, string])));
  return (req, res, next) => {
    const started = Date.now();
    const startedHr = process.hrtime.bigint();
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && GIVEN_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader("x-request-id", id);
    let done = false;
    const complete = (err?: Error) => {
      if (done) return;
      done = true;
      res.removeListener("close", complete);
      res.removeListener("error", complete);
      if (res.writableFinished) {
        const route = (req.route as { path?: string } | undefined)?.path ?? "unmatched";
        counted.get(req.method, route, String(res.statusCode)).inc();
        timed.get(req.method, route).observe(Number(process.hrtime.bigint() - startedHr) / 1e9);
      }
      const failed = err !== undefined || res.statusCode >= 500;
      const level = failed ? "error" : "info";
      if (!o.log.isLevelEnabled(level)) return;
      // The line is the one `req.log` would write; without making that logger when nothing else used it.
      const made = (req as Request & { [LOGGER]?: Logger })[LOGGER];
      const fields = {
        ...(made === undefined ? requestBindings(req) : {}),
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      const log = made ?? o.log;
      if (failed) {
        log.error({ ...fields, err: err ?? new Error(`failed with status code ${res.statusCode}`) }, "request errored");
      } else {
        log.info(fields, !req.readableAborted && res.writableEnded ? "request completed" : "request aborted");
      }
    };
    // `close` follows `finish` for every response, and comes alone when the client went away first.
    res.on("close", complete);
    res.on("error", complete);
    next();
  };
}
