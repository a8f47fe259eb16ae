import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { expect } from "chai";
import { pino } from "pino";
import { z } from "zod";
import { startGateway, type GatewayModule, type RunningGateway } from "../../server/src/gateway";
import { startTestChain, testGatewayConfig, type TestChain } from "../helpers/gateway";

/** A module with one route of each kind, to check the plumbing every route shares. */
const probe: GatewayModule = (ctx) => {
  ctx.api.route({
    method: "post",
    path: "/v1/echo/:name",
    summary: "Echo",
    tags: ["test"],
    auth: "public",
    params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
    body: z.object({ n: z.number().int() }).strict(),
    responses: { 200: { description: "echoed", schema: z.object({ name: z.string(), n: z.number() }) } },
    handler: async ({ params, body }) => ({ status: 200, body: { name: params.name, n: body.n } }),
  });
  ctx.api.route({
    method: "get",
    path: "/v1/members-only",
    summary: "Members only",
    tags: ["test"],
    auth: { anyRole: ["COURT"] },
    responses: { 200: { description: "ok" } },
    handler: async () => ({ status: 200, body: { ok: true } }),
  });
  // Routes are grouped by their first two path segments (api.ts): a route with a pattern there, declared first, must
  // still answer before a literal route declared after it, and for paths of no group.
  ctx.api.route({
    method: "get",
    path: "/v1/:anything/which",
    summary: "Pattern",
    tags: ["test"],
    auth: "public",
    params: z.object({ anything: z.string() }),
    responses: { 200: { description: "which route answered" } },
    handler: async () => ({ status: 200, body: { route: "pattern" } }),
  });
  ctx.api.route({
    method: "get",
    path: "/v1/order/which",
    summary: "Literal, declared after the pattern",
    tags: ["test"],
    auth: "public",
    responses: { 200: { description: "which route answered" } },
    handler: async () => ({ status: 200, body: { route: "literal" } }),
  });
  ctx.api.route({
    method: "get",
    path: "/v1/order/first",
    summary: "Literal only",
    tags: ["test"],
    auth: "public",
    responses: { 200: { description: "which route answered" } },
    handler: async () => ({ status: 200, body: { route: "first" } }),
  });
  ctx.api.route({
    method: "get",
    path: "/v1/boom",
    summary: "Fails",
    tags: ["test"],
    auth: "public",
    responses: { 200: { description: "never" } },
    handler: async () => {
      throw new Error("boom");
    },
  });
};

describe("gateway: the plumbing every route shares (real HTTP, real chain)", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let gw: RunningGateway;
  /** The gateway's log lines (level info, as an operator runs it). */
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    chain = await startTestChain();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
        done();
      },
    });
    gw = await startGateway(testGatewayConfig(chain, { logLevel: "info", rateLimit: "1000" }), [probe], {
      log: pino({ level: "info", base: { service: "crossproof-gateway" } }, sink),
    });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, init);
  const json = (body: unknown) => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  it("answers health, readiness (the chain answers) and Prometheus metrics", async function () {
    expect(await (await call("/healthz")).json()).to.deep.equal({ status: "ok" });
    expect(await (await call("/readyz")).json()).to.deep.equal({ status: "ready" });
    await call("/v1/echo/abc", json({ n: 1 }));
    const metrics = await (await call("/metrics")).text();
    expect(metrics).to.match(
      /crossproof_gateway_http_requests_total\{method="POST",route="\/v1\/echo\/:name",status="200"\} 1/,
    );
    expect(metrics).to.contain("crossproof_gateway_process_resident_memory_bytes");
  });

  it("validates inputs with the declared schemas and answers RFC 9457 problems with stable types", async function () {
    const ok = await call("/v1/echo/abc", json({ n: 7 }));
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ name: "abc", n: 7 });

    const cases: [string, RequestInit, number, string][] = [
      ["/v1/echo/ABC", json({ n: 1 }), 400, "urn:crossproof:problem:invalid-request"],
      ["/v1/echo/abc", json({ n: 1.5 }), 400, "urn:crossproof:problem:invalid-request"],
      ["/v1/echo/abc", json({ n: 1, extra: true }), 400, "urn:crossproof:problem:invalid-request"],
      [
        "/v1/echo/abc",
        { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" },
        400,
        "urn:crossproof:problem:invalid-request",
      ],
      [
        "/v1/echo/abc",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "n=1" },
        415,
        "urn:crossproof:problem:unsupported-media-type",
      ],
      ["/v1/echo/abc", json({ n: 1, pad: "x".repeat(2_000_000) }), 413, "urn:crossproof:problem:payload-too-large"],
      ["/v1/nothing-here", {}, 404, "urn:crossproof:problem:not-found"],
      ["/v1/members-only", {}, 401, "urn:crossproof:problem:unauthenticated"],
      [
        "/v1/members-only",
        { headers: { authorization: "Bearer forged.token.here" } },
        401,
        "urn:crossproof:problem:unauthenticated",
      ],
    ];
    for (const [path, init, status, type] of cases) {
      const res = await call(path, init);
      expect(res.status, `${init.method ?? "GET"} ${path}`).to.equal(status);
      expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
      const problem = (await res.json()) as { type: string; status: number; title: string; detail: string };
      expect(problem.type).to.equal(type);
      expect(problem.status).to.equal(status);
      expect(problem.title).to.be.a("string").and.not.empty;
      expect(problem.detail).to.be.a("string").and.not.empty;
    }
  });

  it("lets a session token through to the role check: 403 for another role, 200 for the right one", async function () {
    const plat = await gw.ctx.sessions.issue({
      kind: "member",
      memberId: 3n,
      roles: ["PLATFORM"],
      jurisdiction: "US",
      address: chain.account(3).address,
    });
    const forbidden = await call("/v1/members-only", { headers: { authorization: `Bearer ${plat.token}` } });
    expect(forbidden.status).to.equal(403);
    expect(((await forbidden.json()) as { type: string }).type).to.equal("urn:crossproof:problem:forbidden");
    const court = await gw.ctx.sessions.issue({
      kind: "member",
      memberId: 2n,
      roles: ["COURT"],
      jurisdiction: "DE",
      address: chain.account(2).address,
    });
    expect((await call("/v1/members-only", { headers: { authorization: `Bearer ${court.token}` } })).status).to.equal(
      200,
    );
  });

  it("sets security headers and a request id, and serves its OpenAPI 3.1 document", async function () {
    const res = await call("/healthz", { headers: { "x-request-id": "abc-123" } });
    expect(res.headers.get("x-request-id")).to.equal("abc-123");
    expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(res.headers.get("x-powered-by")).to.equal(null);
    const doc = (await (await call("/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.equal("3.1.0");
    expect(Object.keys(doc.paths)).to.include.members(["/v1/echo/{name}", "/v1/members-only"]);
  });

  it("logs one line per request with its id, method, URL, status and time; a 5xx at error with the failure", async function () {
    lines.length = 0;
    await call("/healthz?x=1", { headers: { "x-request-id": "log-1" } });
    const boom = await call("/v1/boom", { headers: { "x-request-id": "log-2" } });
    expect(boom.status).to.equal(500);
    const generated = (await call("/healthz", { headers: { "x-request-id": "not a token!" } })).headers.get(
      "x-request-id",
    );
    expect(generated).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await call("/healthz"); // a request after the last one: its line is written by then
    const byId = (id: string) => lines.filter((l) => (l.req as { id?: string } | undefined)?.id === id);

    const [ok] = byId("log-1");
    expect(ok).to.include({ level: 30, service: "crossproof-gateway", msg: "request completed" });
    expect(ok!.req).to.deep.equal({ id: "log-1", method: "GET", url: "/healthz?x=1" });
    expect(ok!.res).to.deep.equal({ statusCode: 200 });
    expect(ok!.responseTime).to.be.a("number");
    expect(Object.keys(ok!)).to.deep.equal(["level", "time", "service", "req", "res", "responseTime", "msg"]);

    const failed = byId("log-2");
    expect(failed.map((l) => [l.level, l.msg])).to.deep.equal([
      [50, "request failed"],
      [50, "request errored"],
    ]);
    expect((failed[0]!.err as { message: string }).message).to.equal("boom");
    expect((failed[1]!.err as { message: string }).message).to.equal("failed with status code 500");
    expect(failed[1]!.res).to.deep.equal({ statusCode: 500 });
    expect(byId(generated!)).to.have.length(1);
  });

  it("sends the rate limit's draft-8 headers, and routes without regard to case or a trailing slash", async function () {
    const res = await call("/V1/Order/First/");
    expect(await res.json()).to.deep.equal({ route: "first" });
    const pk = Buffer.from(createHash("sha256").update("ip:127.0.0.1").digest("hex").slice(0, 12)).toString("base64");
    expect(res.headers.get("ratelimit-policy")).to.equal(`"1000-in-1min"; q=1000; w=60; pk=:${pk}:`);
    // r: requests left in this client's window; t: seconds until it ends (the window began at its first request).
    const limit = /^"1000-in-1min"; r=(\d+); t=(\d+)$/.exec(res.headers.get("ratelimit") ?? "");
    expect(limit, res.headers.get("ratelimit") ?? "no RateLimit header").to.not.equal(null);
    expect(Number(limit![2])).to.be.within(1, 60);
    const before = Number(limit![1]);
    const next = await call("/v1/order/first");
    expect(Number(/r=(\d+)/.exec(next.headers.get("ratelimit")!)![1])).to.equal(before - 1);

    // A route with a pattern in its first segments, declared first, answers before a literal one declared after.
    expect(await (await call("/v1/order/which")).json()).to.deep.equal({ route: "pattern" });
    expect(await (await call("/v1/elsewhere/which")).json()).to.deep.equal({ route: "pattern" });
    expect((await call("/v1/order/nothing")).status).to.equal(404);
    expect((await call("/v1//order/first")).status).to.equal(404);
    // The portal's router sees only the paths it serves: its page (with its own policy) and its assets.
    const page = await call("/");
    expect(page.headers.get("content-type")).to.match(/^text\/html/);
    expect(page.headers.get("content-security-policy")).to.contain("default-src 'none'");
    const missing = await call("/PORTAL/no-such-asset.js");
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("content-security-policy")).to.contain("default-src 'none'");
  });
});
