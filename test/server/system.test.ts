import { expect } from "chai";
import { z } from "zod";
import type { GatewayModule, RunningGateway } from "../../server/src/gateway";
import { startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

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
};

describe("gateway: the plumbing every route shares (real HTTP, real chain)", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let gw: RunningGateway;

  before(async () => {
    chain = await startTestChain();
    gw = await startTestGateway(chain, [probe]);
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
});
