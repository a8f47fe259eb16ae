import { expect } from "chai";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  CompactSign,
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWK,
} from "jose";
import {
  ISSUER_HEADER,
  REPORT_JWS_TYPE,
  isCrossproofError,
  reduceReport,
  reportDigest,
  signReport,
  verifyReport,
  type ConsortiumClient,
  type CrossproofErrorCode,
  type VerificationReport,
} from "../../sdk/src";
import * as gov from "../helpers/governance";
import { evidenceFlow } from "../helpers/verification";

interface ReportKey {
  publicJwk: JWK;
  privateJwk: JWK;
  privateKey: CryptoKey;
  kid: string;
}

async function newReportKey(alg: "ES256" | "EdDSA"): Promise<ReportKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    privateKey,
    kid: await calculateJwkThumbprint(publicJwk),
  };
}

async function register(
  c: ConsortiumClient,
  by: Parameters<ConsortiumClient["submit"]>[1],
  memberId: number,
  k: ReportKey,
) {
  const signed = await c.signAddOwnPublicKey(by, memberId, { purpose: "Report", jwk: k.publicJwk });
  await (await c.submit(signed, by)).wait();
}

async function refusal(p: Promise<unknown>): Promise<CrossproofErrorCode> {
  try {
    await p;
  } catch (err) {
    if (isCrossproofError(err)) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

/** The same JWS with its payload replaced (the signature no longer covers it). */
function withPayload(jws: string, payload: unknown): string {
  const [h, , s] = jws.split(".");
  return `${h}.${base64url.encode(JSON.stringify(payload))}.${s}`;
}

/** A JWS over `payload` with any header, signed by `key`: what a forger can produce. */
function forge(header: Record<string, unknown>, payload: unknown, key: CryptoKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key);
}

describe("signed verification reports (signReport / verifyReport)", function () {
  let flow: Awaited<ReturnType<typeof evidenceFlow>>;
  let report: VerificationReport;
  let consortium: ConsortiumClient;
  let es256: ReportKey;
  let ed25519: ReportKey;

  beforeEach(async () => {
    flow = await evidenceFlow();
    consortium = flow.clients.consortium;
    report = await flow.verify();
    es256 = await newReportKey("ES256");
    ed25519 = await newReportKey("EdDSA");
    // The DE court (member 2) registers both report keys.
    await register(consortium, flow.f.deCourt, 2, es256);
    await register(consortium, flow.f.deCourt, 2, ed25519);
  });
  afterEach(() => rmSync(flow.disk.dir, { recursive: true, force: true }));

  const sign = async (
    o: Partial<Parameters<typeof signReport>[1]> = {},
    r: Parameters<typeof signReport>[0] = report,
  ) => signReport(r, { privateJwk: es256.privateJwk, issuerMemberId: 2, consortium, at: await time.latest(), ...o });

  describe("a good case", function () {
    it("signs a report with every check PASSED (ES256), and verifies it online and offline", async function () {
      expect(report.indication).to.equal("TOTAL-PASSED");
      const at = await time.latest();
      const jws = await sign({ at });
      expect(decodeProtectedHeader(jws)).to.deep.equal({
        alg: "ES256",
        kid: es256.kid,
        typ: REPORT_JWS_TYPE,
        iat: at,
        [ISSUER_HEADER]: "2",
      });
      const online = await verifyReport(jws, { consortium });
      expect(online).to.deep.include({
        issuerMemberId: 2n,
        kid: es256.kid,
        alg: "ES256",
        signedAt: at,
        checkedAgainst: "chain",
      });
      expect(online.report).to.deep.equal(report);
      const keySet = await consortium.reportKeySet([2], { at });
      const offline = await verifyReport(jws, { keySet, issuerMemberId: 2 });
      expect(offline).to.deep.include({ issuerMemberId: 2n, checkedAgainst: "key-set" });
      expect(offline.report).to.deep.equal(report);
    });

    it("the signature verifies with node:crypto too (an independent ES256 implementation), and the kid is the thumbprint", async function () {
      const jws = await sign();
      const [h, p, s] = jws.split(".");
      const ok = nodeVerify(
        "sha256",
        Buffer.from(`${h}.${p}`),
        { key: createPublicKey({ key: es256.publicJwk as never, format: "jwk" }), dsaEncoding: "ieee-p1363" },
        Buffer.from(s!, "base64url"),
      );
      expect(ok).to.equal(true);
      expect(JSON.parse(Buffer.from(p!, "base64url").toString("utf8")).issuer).to.deep.equal({
        memberId: "2",
        jurisdiction: "DE",
      });
    });

    it("signs with EdDSA (Ed25519), with a non-extractable CryptoKey, and signs the reduced report", async function () {
      const ed = await sign({ privateJwk: ed25519.privateJwk });
      expect(decodeProtectedHeader(ed)).to.include({ alg: "EdDSA", kid: ed25519.kid });
      expect((await verifyReport(ed, { consortium })).alg).to.equal("EdDSA");

      // A non-extractable private key (an HSM-like CryptoKey): its kid comes from its public half.
      const pair = await generateKeyPair("ES256", { extractable: false });
      const publicJwk = await exportJWK(pair.publicKey);
      const hidden = {
        publicJwk,
        privateJwk: {},
        privateKey: pair.privateKey,
        kid: await calculateJwkThumbprint(publicJwk),
      };
      await register(consortium, flow.f.deCourt, 2, hidden);
      const viaCryptoKey = await signReport(report, {
        privateKey: pair.privateKey,
        kid: hidden.kid,
        issuerMemberId: 2,
        consortium,
        at: await time.latest(),
      });
      expect((await verifyReport(viaCryptoKey, { consortium })).kid).to.equal(hidden.kid);

      const reduced = await sign({}, reduceReport(report));
      const verified = await verifyReport(reduced, { consortium });
      expect(verified.report.format).to.equal("crossproof.verification-report.reduced/1");
    });

    it("an endorsement can cite the signed report by its digest", async function () {
      const jws = await sign();
      const { f, clients, recordId } = flow;
      const signed = await clients.evidence.signEndorsement(f.deCourt, {
        recordId,
        verdict: "Recognized",
        reportHash: reportDigest(jws),
      });
      await (await clients.evidence.submit(signed, f.deployer)).wait();
      expect((await f.registry.endorsementOf(recordId, 2)).reportHash).to.equal(reportDigest(jws));
      // The next verification lists it.
      const again = await flow.verify();
      const endorsements = again.anchors[0]!.checks.find((c) => c.check === "ENDORSEMENTS")!;
      expect(endorsements.summary).to.equal("Other members' endorsements: 1 recognition, 0 challenges.");
    });
  });

  it("signs with the key a JWK object holds now, even after it was changed since the last signature", async function () {
    const jwk = { ...es256.privateJwk };
    expect(decodeProtectedHeader(await sign({ privateJwk: jwk })).kid).to.equal(es256.kid);
    // The same object now holds the Ed25519 key: the imported ES256 key kept for it must not sign.
    for (const k of Object.keys(jwk)) delete (jwk as Record<string, unknown>)[k];
    Object.assign(jwk, ed25519.privateJwk);
    const jws = await sign({ privateJwk: jwk });
    expect(decodeProtectedHeader(jws)).to.deep.include({ alg: "EdDSA", kid: ed25519.kid });
    expect((await verifyReport(jws, { consortium })).kid).to.equal(ed25519.kid);
  });

  describe("refusals, each with its named reason, offline and online", function () {
    it("an altered report: REPORT_SIGNATURE_INVALID", async function () {
      const jws = await sign({}, { ...report });
      const altered = withPayload(jws, {
        ...JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString()),
        indication: "TOTAL-PASSED",
        summary: "changed",
      });
      expect(await refusal(verifyReport(altered, { consortium }))).to.equal("REPORT_SIGNATURE_INVALID");
      const keySet = await consortium.reportKeySet([2]);
      expect(await refusal(verifyReport(altered, { keySet }))).to.equal("REPORT_SIGNATURE_INVALID");
    });

    it("a forged report under the court's kid, signed with another key: REPORT_SIGNATURE_INVALID", async function () {
      const forger = await newReportKey("ES256");
      const payload = { ...report, issuer: { memberId: "2", jurisdiction: "DE" } };
      const header = {
        alg: "ES256",
        kid: es256.kid,
        typ: REPORT_JWS_TYPE,
        iat: await time.latest(),
        [ISSUER_HEADER]: "2",
      };
      const jws = await forge(header, payload, forger.privateKey);
      expect(await refusal(verifyReport(jws, { consortium }))).to.equal("REPORT_SIGNATURE_INVALID");
      expect(await refusal(verifyReport(jws, { keySet: await consortium.reportKeySet([2]) }))).to.equal(
        "REPORT_SIGNATURE_INVALID",
      );
    });

    it("a report signed with a key the issuer never registered: REPORT_KEY_UNKNOWN", async function () {
      const stranger = await newReportKey("ES256");
      const jws = await sign({ privateJwk: stranger.privateJwk, consortium: undefined });
      expect(await refusal(verifyReport(jws, { consortium }))).to.equal("REPORT_KEY_UNKNOWN");
      expect(await refusal(verifyReport(jws, { keySet: await consortium.reportKeySet([2]) }))).to.equal(
        "REPORT_KEY_UNKNOWN",
      );
      // signReport checks before signing.
      expect(await refusal(sign({ privateJwk: stranger.privateJwk }))).to.equal("REPORT_KEY_UNKNOWN");
    });

    it("a wrong key — another member's report key — for a report naming the court: refused", async function () {
      const usKey = await newReportKey("ES256");
      await register(consortium, flow.f.usPlatform, 4, usKey);
      // Signed with the US platform's registered key, but naming member 2 as the issuer.
      const jws = await sign({ privateJwk: usKey.privateJwk, consortium: undefined });
      expect(await refusal(verifyReport(jws, { consortium }))).to.equal("REPORT_KEY_UNKNOWN");
      expect(await refusal(verifyReport(jws, { keySet: await consortium.reportKeySet([2]) }))).to.equal(
        "REPORT_KEY_UNKNOWN",
      );
      // Offline with the US platform's key set: the signature verifies, but the report names another issuer.
      expect(
        await refusal(verifyReport(jws, { keySet: await consortium.reportKeySet([4]), issuerMemberId: 4 })),
      ).to.equal("REPORT_ISSUER_MISMATCH");
      // And the platform cannot sign a report as the court with its own key while checked.
      expect(await refusal(sign({ privateJwk: usKey.privateJwk }))).to.equal("REPORT_KEY_UNKNOWN");
    });

    it("a report key revoked before signing: REPORT_KEY_NOT_VALID_AT_SIGNING; what it signed before still counts", async function () {
      const before = await sign();
      const revoke = await consortium.signRevokeOwnPublicKey(flow.f.deCourt, 2, es256.kid);
      await (await consortium.submit(revoke, flow.f.deployer)).wait();
      await time.increase(10);
      expect(await refusal(sign())).to.equal("REPORT_KEY_NOT_VALID_AT_SIGNING");
      const after = await sign({ consortium: undefined });
      expect(await refusal(verifyReport(after, { consortium }))).to.equal("REPORT_KEY_NOT_VALID_AT_SIGNING");
      // Offline, the key set of keys valid now no longer holds it.
      expect(await refusal(verifyReport(after, { keySet: await consortium.reportKeySet([2]) }))).to.equal(
        "REPORT_KEY_UNKNOWN",
      );
      expect((await verifyReport(before, { consortium })).kid).to.equal(es256.kid);
    });

    it("an issuer suspended at the signing time: REPORT_ISSUER_NOT_ACTIVE; its earlier reports still count", async function () {
      const before = await sign();
      await gov.pass(flow.f, { kind: "SuspendMember", memberId: 2 }, [flow.f.frAgency, flow.f.nlOperator]);
      await time.increase(10);
      expect(await refusal(sign())).to.equal("REPORT_ISSUER_NOT_ACTIVE");
      const during = await sign({ consortium: undefined });
      expect(await refusal(verifyReport(during, { consortium }))).to.equal("REPORT_ISSUER_NOT_ACTIVE");
      expect((await verifyReport(before, { consortium })).issuerMemberId).to.equal(2n);
    });

    it("malformed: not a JWS, not a report's header, a payload that is not a report, issuers that disagree", async function () {
      const keySet = await consortium.reportKeySet([2]);
      for (const garbage of ["", "a.b", "not.a.jws", "eyJhbGciOiJub25lIn0.e30."]) {
        expect(await refusal(verifyReport(garbage, { consortium })), garbage).to.equal("REPORT_MALFORMED");
      }
      const key = (await import("jose")).importJWK(es256.privateJwk, "ES256") as Promise<CryptoKey>;
      const header = {
        alg: "ES256",
        kid: es256.kid,
        typ: REPORT_JWS_TYPE,
        iat: await time.latest(),
        [ISSUER_HEADER]: "2",
      };
      const payload = { ...report, issuer: { memberId: "2", jurisdiction: "DE" } };
      const cases: [string, string][] = [
        ["no typ", await forge({ ...header, typ: undefined }, payload, await key)],
        ["no issuer", await forge({ ...header, [ISSUER_HEADER]: undefined }, payload, await key)],
        ["not a report", await forge(header, { hello: "world" }, await key)],
        [
          "issuer 4 in the payload",
          await forge(header, { ...payload, issuer: { memberId: "4", jurisdiction: "DE" } }, await key),
        ],
        ["an extra field", await forge(header, { ...payload, verdict: "guilty" }, await key)],
      ];
      for (const [what, jws] of cases) {
        expect(await refusal(verifyReport(jws, { consortium })), what).to.equal("REPORT_MALFORMED");
        expect(await refusal(verifyReport(jws, { keySet })), what).to.equal("REPORT_MALFORMED");
      }
    });

    it("signReport refuses a report of another issuer, a kid that is not the key's, and a malformed report", async function () {
      const issued = { ...report, issuer: { memberId: "4", jurisdiction: "DE" } };
      expect(await refusal(sign({}, issued))).to.equal("INVALID_ARGUMENT");
      expect(await refusal(sign({ kid: ed25519.kid }))).to.equal("INVALID_ARGUMENT");
      expect(await refusal(sign({ privateJwk: es256.publicJwk }))).to.equal("INVALID_ARGUMENT");
      expect(await refusal(sign({}, { ...report, indication: "PASSED" } as never))).to.equal("REPORT_MALFORMED");
    });
  });

  it("verify-report and report use no Node-only API (they are bundled for browsers)", function () {
    const root = path.join(__dirname, "..", "..", "sdk", "src");
    const seen = new Set<string>();
    const offenders: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(path.join(root, `${file}.ts`), "utf8");
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      if (/from\s+"node:|require\(|\bBuffer\b|from\s+"(fs|path|os|crypto|stream)"|\bprocess\./.test(code)) {
        offenders.push(file);
      }
      // Runtime imports only: `import type` is erased.
      for (const m of code.matchAll(/import\s+(?!type\s)[^;]*?from\s+"\.\/([\w-]+)"/g)) walk(m[1]!);
    };
    walk("verify-report");
    expect([...seen].sort()).to.include.members(["verify-report", "report", "errors", "constants"]);
    expect(offenders).to.deep.equal([]);
  });
});
