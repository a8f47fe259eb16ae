/**
 * Attacks on the gateway's session tokens and sign-in that test/server/auth.test.ts does not already make: forged
 * JWTs (`alg: none`, HS256 keyed with public material, an asymmetric token with its own key in the header, a payload
 * edited under a valid signature, another gateway's token), tokens signed with the gateway's real secret that are
 * expired, for another audience or issuer, or without an expiry, and a SIWE message replayed concurrently. Each is
 * refused with a 401 `unauthenticated` problem; a control token forged the same way but valid is accepted, so the
 * forging helper is known to be right.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWTPayload } from "jose";
import type { RunningGateway } from "../../server/src/gateway";
import { authModule } from "../../server/src/auth/siwe";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";
import { PUBLIC_URL, expectProblem, freshNonce, signInToken, siweMessage } from "./helpers";

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("hostile input: attacks on session tokens and sign-in (real HTTP, real chain)", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let secret: Uint8Array;
  const fr = new Wallet(devKey(1)); // member 1: FR AGENCY + GOVERNOR
  const us = new Wallet(devKey(3)); // member 3: US PLATFORM

  before(async () => {
    chain = await startTestChain();
    gw = await startTestGateway(chain, [authModule], { publicUrl: PUBLIC_URL });
    // The gateway's own session secret, read from its data folder: what only the gateway (and this test) holds.
    secret = Buffer.from(
      readFileSync(path.join(path.dirname(gw.ctx.config.database), "session.key"), "utf8").trim(),
      "base64url",
    );
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const session = (token: string) =>
    fetch(`${gw.url}/v1/auth/session`, { headers: { authorization: `Bearer ${token}` } });

  /** The claims a real token for member 3 (US PLATFORM) carries, escalated to GOVERNOR by the attacker. */
  const escalated = (): JWTPayload => ({
    kind: "member",
    memberId: "3",
    roles: ["PLATFORM", "GOVERNOR"],
    jurisdiction: "US",
    sub: us.address,
    iss: PUBLIC_URL,
    aud: PUBLIC_URL,
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  const member3 = (): JWTPayload => ({ ...escalated(), roles: ["PLATFORM"] });

  /** A token signed with the gateway's real secret, with these claims (no defaults added). */
  const withRealSecret = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);

  const expect401 = async (token: string, detail?: RegExp) => {
    const p = await expectProblem(await session(token), 401, "unauthenticated");
    if (detail !== undefined) expect(p.detail).to.match(detail);
  };

  it("accepts the control: a token with the right claims signed with the gateway's secret", async function () {
    const res = await session(await withRealSecret(member3()));
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { principal: { memberId: string } }).principal.memberId).to.equal("3");
  });

  it("refuses `alg: none` tokens (with and without a trailing signature)", async function () {
    for (const alg of ["none", "None", "NONE"]) {
      const unsigned = `${b64url({ alg, typ: "JWT" })}.${b64url(escalated())}`;
      await expect401(`${unsigned}.`);
      await expect401(`${unsigned}.${Buffer.from("x").toString("base64url")}`);
    }
  });

  it("refuses HS256 tokens keyed with public material (algorithm confusion)", async function () {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const publicKeys = [
      new TextEncoder().encode(await exportSPKI(publicKey)),
      new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey))),
      new TextEncoder().encode(PUBLIC_URL.padEnd(32, "\0")),
      new TextEncoder().encode(fr.signingKey.publicKey),
      new Uint8Array(32),
    ];
    for (const key of publicKeys) {
      await expect401(await new SignJWT(escalated()).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key));
    }
  });

  it("refuses asymmetric tokens, even with the signing key embedded in the header (jwk injection)", async function () {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(publicKey);
    await expect401(await new SignJWT(escalated()).setProtectedHeader({ alg: "ES256", jwk }).sign(privateKey));
    await expect401(await new SignJWT(escalated()).setProtectedHeader({ alg: "ES256" }).sign(privateKey));
  });

  it("refuses a real token whose payload was edited (roles escalated) under its original signature", async function () {
    const real = await signInToken(gw.url, us, chain.record.chainId);
    expect((await session(real)).status).to.equal(200);
    const [header, payload, signature] = real.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as JWTPayload & { roles: string[] };
    expect(claims.roles).to.deep.equal(["PLATFORM"]);
    await expect401(`${header}.${b64url({ ...claims, roles: ["PLATFORM", "GOVERNOR"] })}.${signature}`);
    await expect401(`${header}.${b64url({ ...claims, memberId: "1", sub: fr.address })}.${signature}`);
  });

  it("refuses a token another gateway issued (same issuer URL, another secret)", async function () {
    const other = new Uint8Array(32).fill(7);
    await expect401(await new SignJWT(member3()).setProtectedHeader({ alg: "HS256" }).sign(other));
  });

  it("refuses tokens with the real secret but expired, for another audience or issuer, or without an expiry", async function () {
    const now = Math.floor(Date.now() / 1000);
    await expect401(await withRealSecret({ ...member3(), iat: now - 1200, exp: now - 600 }), /expired/);
    await expect401(await withRealSecret({ ...member3(), aud: "https://other-gateway.test" }), /not valid/);
    await expect401(await withRealSecret({ ...member3(), aud: undefined }), /not valid/);
    await expect401(await withRealSecret({ ...member3(), iss: "https://other-gateway.test" }), /not valid/);
    await expect401(await withRealSecret({ ...member3(), iss: undefined }), /not valid/);
    await expect401(await withRealSecret({ ...member3(), exp: undefined }), /not valid/);
    await expect401(await withRealSecret({ ...member3(), nbf: now + 600 }), /not valid/);
  });

  it("refuses a token with the real secret that names a member role the member does not hold", async function () {
    // Defence in depth: even a token the gateway could have signed is checked against the chain's roles.
    await expect401(await withRealSecret(escalated()));
  });

  it("accepts a SIWE message once when the same signed message is raced in parallel", async function () {
    const m = siweMessage(fr.address, await freshNonce(gw.url), chain.record.chainId);
    const body = JSON.stringify({ message: m, signature: await fr.signMessage(m) });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${gw.url}/v1/auth/siwe`, { method: "POST", headers: { "content-type": "application/json" }, body }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([200, 401, 401, 401, 401, 401, 401, 401]);
    for (const r of answers.filter((a) => a.status === 401)) {
      await expectProblem(r, 401, "unauthenticated", "NONCE_USED");
    }
  });

  it("limits requests per client: past the limit a 429 problem, while /healthz stays reachable", async function () {
    // A second gateway on the same chain, its own data folder, a limit of 5 requests a minute.
    const limited = await startTestGateway(chain, [authModule], {
      publicUrl: PUBLIC_URL,
      rateLimit: "5",
      dataDir: path.join(chain.dataDir, "rate-limited"),
      deploymentFile: chain.deploymentFile,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${limited.url}/v1/auth/nonce`, { method: "POST" });
        statuses.push(res.status);
        if (res.status === 429) await expectProblem(res, 429, "too-many-requests");
        else await res.arrayBuffer();
      }
      expect(statuses).to.deep.equal([201, 201, 201, 201, 201, 429, 429]);
      expect((await fetch(`${limited.url}/healthz`)).status).to.equal(200);
    } finally {
      await limited.close();
    }
  });

  it("refuses a SIWE message signed for this gateway but with a nonce issued to another sign-in, once used", async function () {
    // The attacker watches a sign-in go by and signs its own message with the same nonce: the nonce is spent.
    const n = await freshNonce(gw.url);
    const victim = siweMessage(fr.address, n, chain.record.chainId);
    const ok = await fetch(`${gw.url}/v1/auth/siwe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: victim, signature: await fr.signMessage(victim) }),
    });
    expect(ok.status).to.equal(200);
    const attacker = siweMessage(us.address, n, chain.record.chainId);
    const res = await fetch(`${gw.url}/v1/auth/siwe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: attacker, signature: await us.signMessage(attacker) }),
    });
    await expectProblem(res, 401, "unauthenticated", "NONCE_USED");
  });
});
