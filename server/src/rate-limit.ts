/**
 * The per-client request limit: a fixed window per client (`windowMs` from its first request in the window), counted
 * in this process's memory, with the IETF draft-8 headers on every answer that passes through it:
 *
 *   RateLimit: "100-in-1min"; r=99; t=60
 *   RateLimit-Policy: "100-in-1min"; q=100; w=60; pk=:<partition key>:
 *
 * and `Retry-After` (seconds until the window ends) on a refused request. These are the semantics and headers of
 * express-rate-limit 8 with its memory store and `standardHeaders: "draft-8"`, which the gateway used before; this
 * module does the same work synchronously (no promise per step) and computes a client's partition key — the first
 * 12 hex digits of the SHA-256 of its key, base64-encoded — once per client and window instead of once per request
 * (docs/BENCHMARKS.md). Clients not seen for a whole window are forgotten in bulk (two maps, swapped every window).
 */
import { createHash } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";

interface Client {
  hits: number;
  /** When the window ends (ms since the epoch). */
  resetAt: number;
  /** The partition key of the draft-8 policy header (computed on first use). */
  partition?: string;
}

export interface RateLimitOptions {
  windowMs: number;
  /** Requests a client may make per window. */
  limit: number;
  /** Who the client is (requests with the same key share a count). */
  key: (req: Request, res: Response) => string;
  /** Answers a request over the limit (after the headers are set). */
  refuse: (req: Request, res: Response, next: NextFunction) => void;
}

/** The policy's name: `<limit>-in-<window>` (`100-in-1min`), as express-rate-limit names it. */
export function policyName(limit: number, windowMs: number): string {
  const seconds = windowMs / 1000;
  const minutes = seconds / 60;
  const hours = minutes / 60;
  const days = hours / 24;
  const duration =
    seconds < 60
      ? `${seconds}sec`
      : minutes < 60
        ? `${minutes}min`
        : hours < 24
          ? `${hours}hr${hours > 1 ? "s" : ""}`
          : `${days}day${days > 1 ? "s" : ""}`;
  return `${limit}-in-${duration}`;
}

/** The draft-8 partition key of a client key. */
export const partitionKey = (key: string): string =>
  Buffer.from(createHash("sha256").update(key).digest("hex").slice(0, 12)).toString("base64");

export function rateLimiter(o: RateLimitOptions): RequestHandler & { close(): void } {
  let current = new Map<string, Client>();
  let previous = new Map<string, Client>();
  const timer = setInterval(() => {
    previous = current;
    current = new Map();
  }, o.windowMs);
  timer.unref();
  const name = `"${policyName(o.limit, o.windowMs)}"`;
  const windowSeconds = Math.ceil(o.windowMs / 1000);
  const policyStart = `${name}; q=${o.limit}; w=${windowSeconds}; pk=:`;

  const client = (key: string, now: number): Client => {
    let c = current.get(key);
    if (c === undefined) {
      c = previous.get(key);
      if (c === undefined) c = { hits: 0, resetAt: now + o.windowMs };
      else previous.delete(key);
      current.set(key, c);
    }
    if (c.resetAt <= now) {
      c.hits = 0;
      c.resetAt = now + o.windowMs;
    }
    return c;
  };

  const middleware = (req: Request, res: Response, next: NextFunction) => {
    let key: string;
    try {
      key = o.key(req, res);
    } catch (err) {
      next(err);
      return;
    }
    const now = Date.now();
    const c = client(key, now);
    c.hits++;
    const resetSeconds = Math.max(0, Math.ceil((c.resetAt - now) / 1000));
    if (!res.headersSent) {
      res.setHeader("RateLimit", `${name}; r=${Math.max(o.limit - c.hits, 0)}; t=${resetSeconds}`);
      res.setHeader("RateLimit-Policy", `${policyStart}${(c.partition ??= partitionKey(key))}:`);
    }
    if (c.hits > o.limit) {
      if (!res.headersSent) res.setHeader("Retry-After", String(resetSeconds));
      o.refuse(req, res, next);
      return;
    }
    next();
  };
  return Object.assign(middleware, { close: () => clearInterval(timer) });
}
