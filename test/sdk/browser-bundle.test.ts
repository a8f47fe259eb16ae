import { expect } from "chai";
import { existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { generateReportKey, reduceReport, signReport, type VerificationReport } from "../../sdk/src";
import type * as BrowserSdk from "../../sdk/src/browser";
import { evidenceFlow } from "../helpers/verification";

const root = path.resolve(__dirname, "..", "..");
/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The browser entry of the SDK (`@crossproof/sdk/report`), bundled for browsers, runs in Chromium: a court's web page
 * verifies a signed report offline with the issuer's key set, and refuses an altered one and a wrong key.
 */
describe("verifyReport in a browser (the SDK's pure core bundled, run in Chromium)", function () {
  this.timeout(180_000);
  let bundle: string;
  let inputs: string[];

  before(async function () {
    const result = await build({
      entryPoints: [path.join(root, "sdk", "src", "browser.ts")],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "crossproof",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    bundle = result.outputFiles[0]!.text;
    inputs = Object.keys(result.metafile.inputs);
  });

  it("bundles for the browser platform with no Node built-in module", function () {
    // esbuild refuses `node:` imports and Node built-ins on the browser platform; nothing of the SDK's Node side is in.
    expect(inputs.filter((f) => /^node:|\/node_modules\/(fs|path|crypto|stream)\//.test(f))).to.deep.equal([]);
    for (const nodeOnly of ["store.ts", "hash.ts", "package.ts", "relayer.ts", "age.ts", "verify.ts"]) {
      expect(inputs.some((f) => f.endsWith(`sdk/src/${nodeOnly}`))).to.equal(false, nodeOnly);
    }
    expect(bundle.length).to.be.greaterThan(10_000);
  });

  describe("in Chromium", function () {
    let browser: Browser;
    let server: Server;
    let url: string;
    let flow: Awaited<ReturnType<typeof evidenceFlow>>;
    let report: VerificationReport;

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`);
        this.skip();
      }
      // A page served over loopback (a secure context: Web Crypto is available), holding only the bundle.
      server = createServer((req, res) => {
        if (req.url === "/crossproof.js") {
          res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
        } else {
          res
            .writeHead(200, { "content-type": "text/html" })
            .end('<!doctype html><html><head><script src="/crossproof.js"></script></head><body></body></html>');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      flow = await evidenceFlow();
      report = await flow.verify();
    });
    after(async () => {
      await browser?.close();
      server?.close();
      if (flow !== undefined) rmSync(flow.disk.dir, { recursive: true, force: true });
    });

    /** Runs verifyReport in the page: the verified report's indication, or the refusal's code. */
    async function verifyInPage(jws: string, keySet: unknown, issuer: number): Promise<string> {
      const page = await browser.newPage();
      try {
        await page.goto(url);
        return await page.evaluate(
          async ({ jws, keySet, issuer }) => {
            const sdk = (globalThis as unknown as { crossproof: typeof BrowserSdk }).crossproof;
            try {
              const v = await sdk.verifyReport(jws, {
                keySet: keySet as Parameters<typeof sdk.verifyReport>[1] extends { keySet: infer K } ? K : never,
                issuerMemberId: issuer,
              });
              return `${v.checkedAgainst}:${v.report.indication}:${v.kid}`;
            } catch (err) {
              return `refused:${(err as { code?: string }).code ?? String(err)}`;
            }
          },
          { jws, keySet, issuer },
        );
      } finally {
        await page.close();
      }
    }

    it("verifies a signed report offline, and refuses an altered report and another key", async function () {
      for (const alg of ["ES256", "EdDSA"] as const) {
        const key = await generateReportKey(alg);
        const keySet = { keys: [{ ...key.publicJwk, kid: key.kid }] };
        const jws = await signReport(report, { privateJwk: key.privateJwk, issuerMemberId: 2 });
        expect(await verifyInPage(jws, keySet, 2)).to.equal(`key-set:${report.indication}:${key.kid}`);

        const [h, p, s] = jws.split(".") as [string, string, string];
        const altered = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as VerificationReport;
        altered.indication = altered.indication === "TOTAL-PASSED" ? "TOTAL-FAILED" : "TOTAL-PASSED";
        const forged = `${h}.${Buffer.from(JSON.stringify(altered)).toString("base64url")}.${s}`;
        expect(await verifyInPage(forged, keySet, 2)).to.equal("refused:REPORT_SIGNATURE_INVALID");

        const other = await generateReportKey(alg);
        expect(await verifyInPage(jws, { keys: [{ ...other.publicJwk, kid: other.kid }] }, 2)).to.equal(
          "refused:REPORT_KEY_UNKNOWN",
        );
        expect(await verifyInPage(jws, keySet, 3)).to.equal("refused:REPORT_ISSUER_MISMATCH");
      }
      // The stranger's (reduced) report verifies the same way.
      const key = await generateReportKey();
      const reduced = await signReport(reduceReport(report), { privateJwk: key.privateJwk, issuerMemberId: 2 });
      expect(await verifyInPage(reduced, { keys: [{ ...key.publicJwk, kid: key.kid }] }, 2)).to.match(/^key-set:/);
    });
  });
});
