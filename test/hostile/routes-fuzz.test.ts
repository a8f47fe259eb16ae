/**
 * Property-based fuzzing of every route the gateway documents (its own OpenAPI document drives the generators):
 * random and schema-shaped-but-wrong path parameters, queries and bodies, with no session, a garbage token, and
 * valid member sessions. Whatever arrives, the gateway answers below 500, every error is an RFC 9457 problem with a
 * `urn:crossproof:problem:*` type, and it still answers `/healthz` afterwards. Bounded and seeded: deterministic.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";
import { PUBLIC_URL, expectCleanAnswer, signInToken } from "./helpers";

/** Seed of every property here: the same requests on every run. */
const SEED = 0x18_f022;
/** Requests per route (each with a random session choice). */
const RUNS_PER_ROUTE = 40;

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
};
interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  schema?: JsonSchema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Strings an attacker tries in any text slot. */
const HOSTILE_STRINGS = [
  "",
  " ",
  "../../../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "..\\..\\windows\\win.ini",
  "%00",
  "\u0000",
  "__proto__",
  "constructor",
  "prototype",
  "0",
  "-1",
  "1e309",
  "NaN",
  "Infinity",
  "9".repeat(80),
  "0x",
  "0xzz",
  `0x${"f".repeat(64)}`,
  `0x${"0".repeat(40)}`,
  `0x${"a".repeat(130)}`,
  "bafy" + "a".repeat(55),
  "Qm" + "1".repeat(44),
  "ＦＲ", // fullwidth confusables
  "FR\u200b",
  "рaypal", // Cyrillic 'р'
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "${jndi:ldap://x}",
  "\ud800", // lone surrogate
  "🦄".repeat(20),
  "a".repeat(5000),
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 70 }).map((h) => `0x${h}`),
  },
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, 1e308, 0.5, -0.0),
  fc.double({ noNaN: true }),
);
/** Any JSON value at all (bounded). */
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Percent-encodes every byte of a string's UTF-8 (lone surrogates become U+FFFD, as on the wire). */
const percentEncode = (s: string): string =>
  [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

class Generators {
  constructor(private readonly doc: OpenApiDoc) {}

  resolve(s: JsonSchema | undefined): JsonSchema {
    let schema = s ?? {};
    for (let i = 0; i < 10 && schema.$ref !== undefined; i++) {
      schema = this.doc.components?.schemas?.[schema.$ref.replace("#/components/schemas/", "")] ?? {};
    }
    return schema;
  }

  /** A value shaped like `schema` (types and keys right), with wrong leaves often mixed in. */
  shaped(s: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const schema = this.resolve(s);
    const wrong = depth > 3 ? fc.constant(null) : fc.oneof(anyJson, hostileString, hostileNumber);
    const alternatives = schema.anyOf ?? schema.oneOf ?? schema.allOf;
    if (alternatives !== undefined && alternatives.length > 0 && depth <= 4) {
      return fc.oneof(...alternatives.map((a) => this.shaped(a, depth + 1)), wrong);
    }
    if (schema.const !== undefined) return fc.oneof(fc.constant(schema.const), wrong);
    if (schema.enum !== undefined && schema.enum.length > 0) {
      return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: wrong });
    }
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (depth > 4) return wrong;
    switch (type) {
      case "object": {
        const props = schema.properties ?? {};
        const keys = Object.keys(props);
        if (keys.length === 0) return fc.oneof(fc.dictionary(hostileString, anyJson, { maxKeys: 3 }), wrong);
        const record = fc.record(Object.fromEntries(keys.map((k) => [k, this.shaped(props[k], depth + 1)])), {
          requiredKeys: [],
        });
        return fc.oneof(
          { weight: 4, arbitrary: record },
          {
            weight: 1,
            arbitrary: fc
              .tuple(record, fc.dictionary(hostileString, anyJson, { maxKeys: 2 }))
              .map(([r, extra]) => ({ ...extra, ...(r as object) })),
          },
          { weight: 1, arbitrary: wrong },
        );
      }
      case "array":
        return fc.oneof(
          { weight: 3, arbitrary: fc.array(this.shaped(schema.items, depth + 1), { maxLength: 4 }) },
          { weight: 1, arbitrary: wrong },
        );
      case "string":
        return fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: wrong });
      case "integer":
      case "number":
        return fc.oneof(
          { weight: 2, arbitrary: hostileNumber },
          { weight: 1, arbitrary: hostileNumber.map(String) },
          { weight: 1, arbitrary: wrong },
        );
      case "boolean":
        return fc.oneof(fc.boolean(), wrong);
      default:
        return wrong;
    }
  }

  /** A path parameter: hostile text, URL-encoded so the route still matches (sometimes not encoded at all). */
  pathParam(): fc.Arbitrary<string> {
    return fc.oneof(
      { weight: 4, arbitrary: hostileString.filter((s) => s !== "").map((s) => percentEncode(s.slice(0, 400))) },
      { weight: 1, arbitrary: fc.constantFrom("..", ".", "%2e%2e", "%2F", "%5C", "a/b", "%ZZ", "%") },
      { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map(String) },
    );
  }

  /** A query string: the documented keys with hostile values (some repeated, some missing), and unknown keys. */
  query(params: Parameter[]): fc.Arbitrary<string> {
    const value = fc.oneof(hostileString, hostileNumber.map(String), fc.constantFrom("true", "[]", "{}"));
    const documented = fc.record(
      Object.fromEntries(params.map((p) => [p.name, fc.array(value, { minLength: 1, maxLength: 2 })])),
      { requiredKeys: [] },
    );
    return fc
      .tuple(documented, fc.array(fc.tuple(hostileString, value), { maxLength: 2 }), fc.boolean())
      .map(([doc, extra, bracketed]) => {
        const q = new URLSearchParams();
        for (const [k, vs] of Object.entries(doc)) for (const v of vs as string[]) q.append(k, v.slice(0, 400));
        for (const [k, v] of extra) q.append(k.slice(0, 100), v.slice(0, 400));
        if (bracketed && params.length > 0) q.append(`${params[0]!.name}[a][b]`, "1");
        const s = q.toString();
        return s === "" ? "" : `?${s}`;
      });
  }

  /** A body with its content type: schema-shaped, any JSON, not JSON at all, or the wrong media type. */
  body(op: Operation): fc.Arbitrary<{ contentType?: string; body?: string | Uint8Array }> {
    const content = op.requestBody?.content ?? {};
    const declared = Object.keys(content)[0];
    const json = content["application/json"]?.schema;
    const shapedJson = (json === undefined ? anyJson : this.shaped(json)).map((v) => ({
      contentType: "application/json",
      body: JSON.stringify(v) ?? "null",
    }));
    return fc.oneof(
      { weight: 5, arbitrary: shapedJson },
      { weight: 1, arbitrary: anyJson.map((v) => ({ contentType: "application/json", body: JSON.stringify(v) })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom("{", "[1,", '{"a":}', "\u0000", "nul", '{"__proto__":{"admin":true}}', "[".repeat(5000))
          .map((b) => ({ contentType: "application/json", body: b })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              declared ?? "application/json",
              "multipart/form-data; boundary=x",
              "multipart/form-data",
              "text/plain",
              "application/xml",
              "application/x-www-form-urlencoded",
              "application/octet-stream",
            ),
            fc.uint8Array({ maxLength: 300 }),
          )
          .map(([contentType, body]) => ({ contentType, body })),
      },
      { weight: 1, arbitrary: fc.constant({}) },
    );
  }
}

describe("hostile input: fuzzing every documented route (fast-check, real gateway, real chain)", function () {
  this.timeout(600_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let doc: OpenApiDoc;
  const tokens: Record<string, string | undefined> = {};

  before(async () => {
    chain = await startTestChain();
    // A high rate limit: the fuzzer sends hundreds of requests a minute from one address.
    gw = await startTestGateway(chain, gatewayModules, { publicUrl: PUBLIC_URL, rateLimit: "1000000" });
    doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as OpenApiDoc;
    tokens.none = undefined;
    tokens.garbage = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA";
    tokens.agencyGovernor = await signInToken(gw.url, new Wallet(devKey(1)), chain.record.chainId); // FR
    tokens.court = await signInToken(gw.url, new Wallet(devKey(2)), chain.record.chainId); // DE
    tokens.account = await signInToken(gw.url, new Wallet(devKey(7)), chain.record.chainId); // not a member
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  it("fuzzes every route: never a 5xx, every error a typed problem, the gateway alive after", async function () {
    const gen = new Generators(doc);
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ path: p, method: m.toUpperCase(), op })),
    );
    expect(operations.length).to.be.greaterThan(20);
    const statuses = new Map<number, number>();
    for (const [i, { path, method, op }] of operations.entries()) {
      const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const queryParams = (op.parameters ?? []).filter((p) => p.in === "query");
      const hasBody = method !== "GET" && method !== "DELETE" && method !== "HEAD";
      const request = fc.record({
        session: fc.constantFrom(...Object.keys(tokens)),
        params: fc.tuple(...pathNames.map(() => gen.pathParam()), fc.constant("")),
        query: gen.query(queryParams),
        body: hasBody ? gen.body(op) : fc.constant({} as { contentType?: string; body?: string | Uint8Array }),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          let k = 0;
          const url = path.replace(/\{[^}]+\}/g, () => r.params[k++]!) + r.query;
          const token = tokens[r.session];
          const headers: Record<string, string> = {};
          if (token !== undefined) headers.authorization = `Bearer ${token}`;
          if (r.body.contentType !== undefined) headers["content-type"] = r.body.contentType;
          const res = await fetch(`${gw.url}${url}`, {
            method,
            headers,
            ...(r.body.body === undefined ? {} : { body: r.body.body }),
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await expectCleanAnswer(res, `${method} ${url} (${r.session})`);
        }),
        { seed: SEED + i, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
    }
    // The fuzzer reached past authentication and validation: not every answer was a 401 or a 400.
    const seen = [...statuses.keys()];
    expect(seen).to.include.members([400, 401]);
    expect(
      seen.some((s) => s !== 400 && s !== 401),
      JSON.stringify([...statuses]),
    ).to.equal(true);
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: "ok" });
  });

  it("answers requests that break HTTP-level expectations with problems, and stays up", async function () {
    const attempts: { what: string; init: RequestInit; path: string }[] = [
      { what: "unknown method", path: "/v1/auth/nonce", init: { method: "PROPFIND" } },
      {
        what: "a malformed Authorization header",
        path: "/v1/auth/session",
        init: { headers: { authorization: "Basic x" } },
      },
      {
        what: "a bearer token full of characters outside base64url",
        path: "/v1/auth/session",
        init: { headers: { authorization: `Bearer ${"%".repeat(50)}` } },
      },
      {
        what: "a 10 kB bearer token",
        path: "/v1/auth/session",
        init: { headers: { authorization: `Bearer ${"a".repeat(10_000)}` } },
      },
      {
        what: "a charset the JSON parser does not know",
        path: "/v1/auth/siwe",
        init: { method: "POST", headers: { "content-type": "application/json; charset=klingon" }, body: "{}" },
      },
      {
        what: "a UTF-16 JSON body",
        path: "/v1/auth/siwe",
        init: {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-16" },
          body: Buffer.from('{"message":"x"}', "utf16le"),
        },
      },
      {
        what: "an unknown content encoding",
        path: "/v1/auth/siwe",
        init: {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "br2" },
          body: "{}",
        },
      },
      {
        what: "a gzip content encoding that is not gzip",
        path: "/v1/auth/siwe",
        init: {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: "{}",
        },
      },
      { what: "encoded slashes in a path parameter", path: "/v1/evidence/..%2f..%2fopenapi.json", init: {} },
      { what: "a malformed percent escape", path: "/v1/members/%E0%A4%A", init: {} },
    ];
    for (const a of attempts) {
      const res = await fetch(`${gw.url}${a.path}`, a.init);
      await expectCleanAnswer(res, a.what);
      expect(res.status, a.what).to.be.at.least(400);
    }
    expect((await fetch(`${gw.url}/healthz`)).status).to.equal(200);
  });
});
