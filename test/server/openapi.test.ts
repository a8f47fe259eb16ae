import { expect } from "chai";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

type Operation = { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> };

/** A value for a path parameter that passes no validation: the route must answer, not 404 as an unknown route. */
const SAMPLE: Record<string, string> = {};

describe("gateway: the OpenAPI document and the routes are the same set", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };

  before(async () => {
    chain = await startTestChain();
    gw = await startTestGateway(chain, gatewayModules);
    doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as typeof doc;
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  it("documents every declared route, with problem answers for its errors", function () {
    expect(doc.openapi).to.equal("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    const declared = gw.ctx.api.routes.map((r) => `${r.method} ${r.openapiPath}`);
    expect([...documented].sort()).to.deep.equal([...declared].sort());
    expect(declared.length).to.be.greaterThan(20);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses), `${m} ${p}`).to.include.members(["400", "500"]);
      }
    }
  });

  it("answers every documented route (never the unknown-route 404)", async function () {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const m of Object.keys(ops)) {
        const url = p.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE[name] ?? "x");
        const res = await fetch(`${gw.url}${url}`, {
          method: m.toUpperCase(),
          ...(m === "get" || m === "delete" ? {} : { headers: { "content-type": "application/json" }, body: "{}" }),
        });
        const body = (await res.json()) as { type?: string; detail?: string };
        const unknownRoute = res.status === 404 && body.detail?.startsWith("no route ") === true;
        expect(unknownRoute, `${m.toUpperCase()} ${url}: ${res.status} ${JSON.stringify(body)}`).to.equal(false);
      }
    }
  });

  it("answers an undocumented route with the unknown-route 404 problem", async function () {
    const res = await fetch(`${gw.url}/v1/not-a-route`, { method: "POST" });
    expect(res.status).to.equal(404);
    expect(await res.json()).to.include({ type: "urn:crossproof:problem:not-found" });
  });
});
