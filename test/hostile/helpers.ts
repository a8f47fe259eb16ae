/** Shared pieces of the hostile-input tests: signing in over SIWE, and what every error answer must look like. */
import { expect } from "chai";
import type { Wallet } from "ethers";
import { SiweMessage } from "siwe";

/** The URL the gateway is reached at in these tests (behind a proxy): the SIWE domain is its host. */
export const PUBLIC_URL = "https://gateway.test";

export interface ProblemDoc {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
}

/** A SIWE message for `address` bound to the test gateway, unless `over` says otherwise. */
export function siweMessage(address: string, nonce: string, chainId: number, over: Partial<SiweMessage> = {}): string {
  return new SiweMessage({
    domain: new URL(PUBLIC_URL).host,
    address,
    statement: "Sign in to the crossproof gateway.",
    uri: PUBLIC_URL,
    version: "1",
    chainId,
    nonce,
    issuedAt: new Date().toISOString(),
    ...over,
  }).prepareMessage();
}

export async function freshNonce(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/auth/nonce`, { method: "POST" });
  expect(res.status).to.equal(201);
  return ((await res.json()) as { nonce: string }).nonce;
}

/** Signs `wallet` in over SIWE and returns its session token. */
export async function signInToken(url: string, wallet: Wallet, chainId: number): Promise<string> {
  const m = siweMessage(wallet.address, await freshNonce(url), chainId);
  const res = await fetch(`${url}/v1/auth/siwe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: m, signature: await wallet.signMessage(m) }),
  });
  const body = (await res.json()) as { token?: string };
  expect(res.status, JSON.stringify(body)).to.equal(200);
  return body.token!;
}

const PROBLEM_TYPE = /^urn:crossproof:problem:[a-z]+(-[a-z]+)*$/;

/**
 * Checks an answer is not a server error and, if it is an error, that it is an RFC 9457 problem with a crossproof
 * type whose status matches the HTTP status. Returns the problem (or undefined for a success).
 */
export async function expectCleanAnswer(res: Response, what: string): Promise<ProblemDoc | undefined> {
  const text = await res.text();
  expect(res.status, `${what}: ${res.status} ${text.slice(0, 400)}`).to.be.lessThan(500);
  if (res.status < 400) return undefined;
  expect(res.headers.get("content-type"), `${what}: ${text.slice(0, 200)}`).to.match(/^application\/problem\+json/);
  const p = JSON.parse(text) as ProblemDoc;
  expect(p.type, `${what}: ${text.slice(0, 400)}`).to.match(PROBLEM_TYPE);
  expect(p.status, what).to.equal(res.status);
  expect(p.title, what).to.be.a("string").and.not.equal("");
  return p;
}

/** Expects a problem with this status and type slug (and code, when given). */
export async function expectProblem(res: Response, status: number, slug: string, code?: string): Promise<ProblemDoc> {
  const text = await res.text();
  expect(res.status, text).to.equal(status);
  expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
  const p = JSON.parse(text) as ProblemDoc;
  expect(p.type, text).to.equal(`urn:crossproof:problem:${slug}`);
  if (code !== undefined) expect(p.code, text).to.equal(code);
  return p;
}
