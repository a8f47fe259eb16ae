import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import {
  EvidenceCategory,
  buildManifest,
  generateRecipientKey,
  sealPackage,
  EmbeddedContentStore,
  openPackage,
  verifyReport,
  type VerificationReport,
} from "../../sdk/src";
import type { DemoResult } from "../../scripts/lib/demo";
import type { RunningGateway } from "../../server/src/gateway";
import { auditModule } from "../../server/src/audit";
import { verificationModule } from "../../server/src/routes/verification";
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

interface SignedAnswer {
  report: VerificationReport;
  jws: string;
  kid: string;
}

describe("gateway: verification over HTTP (real chain, the demo's evidence)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let demo: DemoResult;
  let courtToken: string;
  let reportKid: string;
  let manifestBytes: string;
  let capture: string;
  let work: string;

  before(async () => {
    chain = await startTestChain();
    const setup = await demoWithCourtKeys(chain);
    ({ demo, work } = setup);
    reportKid = setup.reportKey.kid;
    const keystore = setup.keystoreDir;
    // The manifest and the file, as the court has them after opening the package.
    const store = await EmbeddedContentStore.open(demo.storeDir);
    const opened = await openPackage({
      cid: demo.packageCid,
      store,
      recipientKey: demo.courtRecipientKey,
      outputDir: path.join(work, "opened"),
    });
    await store.close();
    manifestBytes = JSON.stringify(opened.manifest);
    capture = opened.files[0]!.outputPath;
    gw = await startTestGateway(chain, [auditModule, verificationModule], {
      keystoreDir: keystore,
      keystorePassword: setup.keystorePassword,
      contentStore: demo.storeDir,
      uploadLimit: "10000000",
    });
    courtToken = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 2n,
        roles: ["COURT", "GOVERNOR"],
        jurisdiction: "DE",
        address: new Wallet(devKey(2)).address,
      })
    ).token;
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const post = (p: string, body: unknown, token: string | null = courtToken) =>
    fetch(`${gw.url}${p}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });

  function upload(files: { name: string; bytes: Uint8Array<ArrayBuffer> }[], options: unknown = { anchoredBy: 1 }) {
    const form = new FormData();
    form.append("options", JSON.stringify(options));
    form.append("manifest", new Blob([manifestBytes], { type: "application/json" }), "manifest.json");
    for (const f of files) form.append("file", new Blob([f.bytes]), f.name);
    return fetch(`${gw.url}/v1/verifications/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${courtToken}` },
      body: form,
    });
  }

  const allChecks = (r: VerificationReport) => [...r.checks, ...r.anchors.flatMap((a) => a.checks)];

  it("verifies the package addressed to the court: every check PASSED, signed by the court's report key", async function () {
    const res = await post("/v1/verifications", { evidence: { packageCid: demo.packageCid }, anchoredBy: 1 });
    expect(res.status).to.equal(200);
    const answer = (await res.json()) as SignedAnswer;
    expect(answer.report.indication).to.equal("TOTAL-PASSED");
    expect(allChecks(answer.report).filter((c) => c.result !== "PASSED")).to.deep.equal([]);
    expect(answer.report.subject.contentHash).to.equal(demo.contentHash);
    expect(answer.kid).to.equal(reportKid);
    // Anyone re-verifies it: the gateway against the chain, the SDK offline with the published JWKS.
    const again = await post("/v1/reports/verify", { jws: answer.jws }, null);
    expect(again.status).to.equal(200);
    expect(await again.json()).to.include({ valid: true, issuerMemberId: "2", kid: reportKid });
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).to.deep.equal([reportKid]);
    expect(jwks.keys[0]).to.include({ crossproof_member: "2" });
    const offline = await verifyReport(answer.jws, { keySet: jwks as never, issuerMemberId: 2 });
    expect(offline.report.indication).to.equal("TOTAL-PASSED");
  });

  it("answers 200 with INDETERMINATE for a content hash alone (manifest and files unchecked)", async function () {
    const res = await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } });
    expect(res.status).to.equal(200);
    const { report } = (await res.json()) as SignedAnswer;
    expect(report.indication).to.equal("INDETERMINATE");
    expect(report.checks.find((c) => c.check === "MANIFEST_HASH")).to.include({ result: "INDETERMINATE" });
  });

  it("verifies a manifest and its file uploaded as multipart, and names the tampered file with 200 + FILE_HASHES FAILED", async function () {
    const good = await upload([{ name: "capture.webm", bytes: new Uint8Array(readFileSync(capture)) }]);
    expect(good.status).to.equal(200);
    expect(((await good.json()) as SignedAnswer).report.indication).to.equal("TOTAL-PASSED");

    const tampered = new Uint8Array(readFileSync(capture));
    tampered[100]! ^= 1;
    const bad = await upload([{ name: "capture.webm", bytes: tampered }]);
    expect(bad.status).to.equal(200);
    const { report } = (await bad.json()) as SignedAnswer;
    expect(report.indication).to.equal("TOTAL-FAILED");
    expect(report.checks.find((c) => c.check === "FILE_HASHES")).to.include({
      result: "FAILED",
      subCode: "FILE_HASH_MISMATCH",
    });
  });

  it("refuses a forged report with a named reason, and what is not a member's or not addressed to it", async function () {
    const { jws } = (await (
      await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } })
    ).json()) as SignedAnswer;
    const [h, p, s] = jws.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as VerificationReport;
    payload.indication = "TOTAL-PASSED";
    const forged = await post("/v1/reports/verify", {
      jws: `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`,
    });
    expect(forged.status).to.equal(422);
    expect(await forged.json()).to.include({
      type: "urn:crossproof:problem:report-invalid",
      code: "REPORT_SIGNATURE_INVALID",
    });

    // A stranger: 401. A member whose keys this gateway does not hold: 403.
    expect((await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } }, null)).status).to.equal(
      401,
    );
    const fr = await gw.ctx.sessions.issue({
      kind: "member",
      memberId: 1n,
      roles: ["AGENCY"],
      jurisdiction: "FR",
      address: chain.account(1).address,
    });
    const notHosted = await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } }, fr.token);
    expect(notHosted.status).to.equal(403);

    // A package that is not addressed to the court (sealed for someone else): 403 not-a-recipient.
    const other = path.join(work, "other.txt");
    writeFileSync(other, "not for the court");
    const store = gw.ctx.store;
    const stranger = await generateRecipientKey("someone-else");
    const sealed = await sealPackage({
      manifest: await buildManifest({
        files: [{ path: "other.txt", source: other }],
        category: EvidenceCategory.WEB_PAGE_CAPTURE,
        acquisition: {
          tool: { name: "t", version: "1" },
          method: "download",
          collector: { name: "c" },
          collectedAt: "2026-01-01T00:00:00Z",
          source: { url: "https://example.org/page" },
          jurisdiction: { collecting: "FR" },
        },
      }),
      files: [{ path: "other.txt", source: other }],
      recipients: [stranger.publicKey],
      store,
    });
    const refused = await post("/v1/verifications", { evidence: { packageCid: sealed.cid } });
    expect(refused.status).to.equal(403);
    expect(await refused.json()).to.include({ type: "urn:crossproof:problem:not-a-recipient" });
  });

  it("refuses an upload over the limit with 413 and bad input with 400", async function () {
    const big = await upload([{ name: "capture.webm", bytes: new Uint8Array(11_000_000) }]);
    expect(big.status).to.equal(413);
    expect(((await big.json()) as { type: string }).type).to.equal("urn:crossproof:problem:payload-too-large");
    const badHash = await post("/v1/verifications", { evidence: { contentHash: "0x1234" } });
    expect(badHash.status).to.equal(400);
    const badPolicy = await post("/v1/verifications", {
      evidence: { contentHash: demo.contentHash },
      timePolicy: "whenever",
    });
    expect(badPolicy.status).to.equal(400);
  });

  it("records in the audit log who verified and opened what", async function () {
    const res = await fetch(`${gw.url}/v1/audit?limit=100`, { headers: { authorization: `Bearer ${courtToken}` } });
    expect(res.status).to.equal(200);
    const { entries } = (await res.json()) as { entries: { action: string; subject: string; memberId: string }[] };
    expect(entries.some((e) => e.action === "opened" && e.subject === demo.packageCid)).to.equal(true);
    const verified = entries.filter((e) => e.action === "verified");
    expect(verified.length).to.be.greaterThan(3);
    expect(verified.every((e) => e.subject.startsWith(`${demo.contentHash} report `))).to.equal(true);
  });

  it("is in the OpenAPI document", async function () {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).to.include.members([
      "/v1/verifications",
      "/v1/verifications/upload",
      "/v1/reports/verify",
      "/.well-known/jwks.json",
    ]);
  });
});
