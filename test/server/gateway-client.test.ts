import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Wallet, id as keccakText } from "ethers";
import {
  EmbeddedContentStore,
  computeCid,
  connect,
  GatewayClient,
  isCrossproofError,
  openPackage,
  verifyReport,
  type CrossproofErrorCode,
  type Hex,
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

  it("submits a signed request, follows it to its block, and names the contract's refusal", async function () {
    const cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.deploymentFile });
    try {
      const fr = await GatewayClient.signIn(gw.url, new Wallet(devKey(1)));
      const seed = `gateway client ${randomBytes(8).toString("hex")}`;
      const contentHash = keccakText(seed) as Hex;
      const signed = await cp.evidence.signAnchorEvidence(new Wallet(devKey(1)), {
        contentHash,
        packageCid: await computeCid(Buffer.from(seed)),
        category: 3,
        firstUpload: "US",
        caseRef: keccakText(`case ${seed}`),
        collectedAt: (await cp.chainTime()) - 3600,
      });
      const accepted = await fr.submit(signed);
      expect(accepted.id).to.match(/^[0-9a-f-]{36}$/);
      const done = await fr.waitForSubmission(accepted.id, { pollMs: 100 });
      expect(done.status).to.equal("confirmed");
      expect(done.result).to.include({ contentHash, memberId: "1" });
      const receipt = await chain.provider.getTransactionReceipt(done.transaction.hash);
      expect(receipt?.blockNumber).to.equal(done.transaction.blockNumber);
      expect(receipt?.status).to.equal(1);
      // The same signed request again: its first submission, not a second transaction.
      expect((await fr.submit(signed)).id).to.equal(accepted.id);
      expect((await fr.submission(accepted.id)).status).to.equal("confirmed");
      // Another account may not follow member 1's submission; an unknown id is a 404.
      const court = await GatewayClient.signIn(gw.url, new Wallet(devKey(2)));
      expect((await refusal(court.submission(accepted.id))).status).to.be.oneOf([403, 404]);
      expect((await refusal(fr.submission("00000000-0000-4000-8000-000000000000"))).status).to.equal(404);

      // Custody of member 1's record, recorded by the court: not its custodian — refused with the contract's words.
      const custody = await cp.evidence.signCustody(new Wallet(devKey(2)), {
        recordId: done.result.recordId as string,
        eventType: "Collected",
      });
      let refused: unknown;
      await court.submit(custody).catch((err: unknown) => (refused = err));
      expect(isCrossproofError(refused) && refused.code).to.equal("CONTRACT_REVERTED");
      const details = (refused as { details: { error?: string; argsInWords?: Record<string, string> } }).details;
      expect(details.error).to.equal("CustodyNotCustodian");
      expect(details.argsInWords).to.include({ memberId: "member #2" });
    } finally {
      await cp.close();
    }
  });

  it("uploads a package from a store, and the gateway refuses one whose bytes are not its CID", async function () {
    const client = await GatewayClient.signIn(gw.url, new Wallet(devKey(1)));
    const store = await EmbeddedContentStore.open(demo.storeDir);
    try {
      const stored = await client.uploadPackage(store, demo.packageCid);
      expect(stored.cid).to.equal(demo.packageCid);
      // The attack: a valid envelope, one byte longer, claimed under the package's CID.
      const envelope = await store.getBytes(`${demo.packageCid}/envelope.jwe.json`);
      const tampered = {
        resolve: (p: string) => store.resolve(p),
        get: (p: string): AsyncIterable<Uint8Array> =>
          p.endsWith("envelope.jwe.json")
            ? (async function* () {
                yield Buffer.concat([envelope, Buffer.from("\n")]);
              })()
            : store.get(p),
      };
      const r = await refusal(client.uploadPackage(tampered, demo.packageCid));
      expect(r.code).to.equal("CID_MISMATCH");
    } finally {
      await store.close();
    }
  });
});
