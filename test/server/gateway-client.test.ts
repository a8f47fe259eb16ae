import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import {
  EmbeddedContentStore,
  GatewayClient,
  isCrossproofError,
  openPackage,
  verifyReport,
  type CrossproofErrorCode,
} from "../../sdk/src";
import type { DemoResult } from "../../scripts/lib/demo";
import { freePort } from "../../scripts/lib/anvil";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

async function refusal(p: Promise<unknown>): Promise<{ code: CrossproofErrorCode; status?: number }> {
  try {
    await p;
  } catch (err) {
    if (isCrossproofError(err)) return { code: err.code, status: (err.details as { status?: number })?.status };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("GatewayClient (SDK): sign in with SIWE and verify through a running gateway", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let demo: DemoResult;
  let work: string;

  before(async () => {
    chain = await startTestChain();
    const setup = await demoWithCourtKeys(chain);
    ({ demo, work } = setup);
    gw = await startTestGateway(chain, gatewayModules, {
      keystoreDir: setup.keystoreDir,
      keystorePassword: setup.keystorePassword,
      contentStore: demo.storeDir,
    });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  it("signs the DE court in and verifies the package addressed to it, by CID and uploaded", async function () {
    const client = await GatewayClient.signIn(gw.url, new Wallet(devKey(2)));
    expect(await client.session()).to.include({ kind: "member", memberId: "2", jurisdiction: "DE" });
    const { report, jws, kid } = await client.verify({ packageCid: demo.packageCid }, { anchoredBy: 1 });
    expect(report.indication).to.equal("TOTAL-PASSED");
    expect(await client.verifyReport(jws)).to.include({ valid: true, issuerMemberId: "2", kid });
    const offline = await verifyReport(jws, { keySet: await client.jwks(), issuerMemberId: 2 });
    expect(offline.report.reportId).to.equal(report.reportId);

    // The same evidence as a manifest and its file.
    const store = await EmbeddedContentStore.open(demo.storeDir);
    const opened = await openPackage({
      cid: demo.packageCid,
      store,
      recipientKey: demo.courtRecipientKey,
      outputDir: path.join(work, "opened"),
    });
    await store.close();
    const uploaded = await client.verifyUpload(
      { manifest: opened.manifest, files: [{ path: "capture.webm", source: opened.files[0]!.outputPath }] },
      { anchoredBy: 1 },
    );
    expect(uploaded.report.indication).to.equal("TOTAL-PASSED");
    const tamperedFile = path.join(work, "tampered.webm");
    const bytes = readFileSync(opened.files[0]!.outputPath);
    bytes[0] ^= 1;
    writeFileSync(tamperedFile, bytes);
    const tampered = await client.verifyUpload(
      { manifest: opened.manifest, files: [{ path: "capture.webm", source: tamperedFile }] },
      { anchoredBy: 1 },
    );
    expect(tampered.report.indication).to.equal("TOTAL-FAILED");
  });

  it("turns the gateway's problems into CrossproofErrors with codes", async function () {
    // A plain account (not a member key) signs in, but only members verify.
    const account = await GatewayClient.signIn(gw.url, Wallet.createRandom());
    expect(await account.session()).to.include({ kind: "account" });
    expect(await refusal(account.verify({ contentHash: demo.contentHash }))).to.deep.equal({
      code: "GATEWAY_ERROR",
      status: 403,
    });
    // A member this gateway holds no report key of: 403 as well.
    const fr = await GatewayClient.signIn(gw.url, new Wallet(devKey(1)));
    expect((await refusal(fr.verify({ contentHash: demo.contentHash }))).status).to.equal(403);
    // Not signed in: refused before any request. A forged report: the SDK's own code.
    expect((await refusal(new GatewayClient(gw.url).verify({ contentHash: demo.contentHash }))).code).to.equal(
      "INVALID_ARGUMENT",
    );
    const court = await GatewayClient.signIn(gw.url, new Wallet(devKey(2)));
    const { jws } = await court.verify({ contentHash: demo.contentHash });
    const [h, p, s] = jws.split(".") as [string, string, string];
    const altered = JSON.parse(Buffer.from(p, "base64url").toString()) as { summary: string };
    altered.summary = "nothing to see";
    const forged = `${h}.${Buffer.from(JSON.stringify(altered)).toString("base64url")}.${s}`;
    expect(await refusal(court.verifyReport(forged))).to.deep.equal({ code: "REPORT_SIGNATURE_INVALID", status: 422 });
    // No gateway there.
    const nobody = new GatewayClient(`http://127.0.0.1:${await freePort()}`);
    expect((await refusal(nobody.jwks())).code).to.equal("GATEWAY_UNREACHABLE");
    expect((await refusal(Promise.resolve().then(() => new GatewayClient("ftp://x")))).code).to.equal(
      "INVALID_ARGUMENT",
    );
  });
});
