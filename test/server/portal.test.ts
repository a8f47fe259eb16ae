import { expect } from "chai";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet, encryptKeystoreJson, getBytes, id as keccakText } from "ethers";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import {
  EmbeddedContentStore,
  EvidenceBatch,
  EvidenceCategory,
  EvidenceClient,
  buildManifest,
  computeCid,
  manifestHash,
  openPackage,
  reduceReport,
  signReport,
  type ReportKeyPair,
  type VerificationReport,
} from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { PORTAL_SOURCE, portalBuildInputs, portalBuildIsCurrent } from "../../server/src/routes/portal";
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const root = path.resolve(__dirname, "..", "..");
/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots (and the printed report) kept for review; git-ignored. */
const SCREENSHOTS = path.join(root, "test-output", "screenshots");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * The verification portal in a real browser (Debian's Chromium, headless) against a real chain and gateway, with the
 * demo's evidence: the DE court (member 2) checks the FR agency's package.
 */
describe("verification portal (Chromium, real chain and gateway)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let browser: Browser;
  let work: string;
  /** The package as the court holds it after opening it: manifest.json and the files. */
  let good: string;
  /** The same with one byte of the capture flipped. */
  let tampered: string;
  let keyFile: string;
  /** The court's report key (registered on chain, held by the gateway). */
  let reportKey: ReportKeyPair;
  /** The demo's sublicence to the platform (broadcast in FR). */
  let licenceId: string;
  const keyPassword = "portal test password";

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`);
      this.skip();
    }
    chain = await startTestChain();
    const setup = await demoWithCourtKeys(chain);
    work = setup.work;
    reportKey = setup.reportKey;
    licenceId = setup.demo.licenceId;
    const store = await EmbeddedContentStore.open(setup.demo.storeDir);
    good = path.join(work, "package");
    const opened = await openPackage({
      cid: setup.demo.packageCid,
      store,
      recipientKey: setup.demo.courtRecipientKey,
      outputDir: good,
    });
    await store.close();
    writeFileSync(path.join(good, "manifest.json"), JSON.stringify(opened.manifest, null, 2));
    tampered = path.join(work, "tampered");
    mkdirSync(tampered);
    copyFileSync(path.join(good, "manifest.json"), path.join(tampered, "manifest.json"));
    const capture = readFileSync(path.join(good, "capture.webm"));
    capture[1000]! ^= 1;
    writeFileSync(path.join(tampered, "capture.webm"), capture);
    // The court's member key as an encrypted JSON keystore (light scrypt: the browser opens it in the test).
    const court = new Wallet(devKey(2));
    keyFile = path.join(work, "court-key.json");
    writeFileSync(
      keyFile,
      await encryptKeystoreJson({ address: court.address, privateKey: court.privateKey }, keyPassword, {
        scrypt: { N: 1 << 12 },
      }),
    );
    gw = await startTestGateway(chain, gatewayModules, {
      keystoreDir: setup.keystoreDir,
      keystorePassword: setup.keystorePassword,
      contentStore: setup.demo.storeDir,
      uploadLimit: "10000000",
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
    await chain?.stop();
  });

  async function open(o: { lang?: string } = {}): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`${gw.url}/${o.lang === undefined ? "" : `?lang=${o.lang}`}`);
    await page.waitForSelector("html[data-ready]");
    return { page, context, errors };
  }

  async function signInWithKeyFile(page: Page): Promise<void> {
    await page.setInputFiles("#signin-keyfile", keyFile);
    await page.fill("#signin-password", keyPassword);
    await page.click("#signin-key button[type=submit]");
    await page.waitForSelector("#signin-status[data-principal=member]");
    if ((await page.getAttribute("html", "lang")) === "en") {
      expect(await page.textContent("#signin-status")).to.contain("member 2 (DE");
    } else {
      expect(await page.textContent("#signin-status")).to.contain("成员 2（DE");
    }
  }

  async function checkFolder(page: Page, folder: string, mode: "hash" | "manifest" | "upload"): Promise<void> {
    await page.setInputFiles("#choose-folder", folder);
    await page.waitForSelector("#given:has-text('manifest.json')");
    await page.check(`#mode-${mode}`);
    await page.click("#check-submit");
    await page.waitForSelector("#report, #public-answer, #lone-file, #check-error:not(:empty)");
    expect(await page.textContent("#check-error")).to.equal("");
  }

  /** `[check, result, subCode]` of every check the page shows (the report's checks, from its data attributes). */
  const shownChecks = (page: Page) =>
    page.$$eval("#report li[data-check]", (els) =>
      els.map((e) => [e.getAttribute("data-check"), e.getAttribute("data-result"), e.getAttribute("data-subcode")]),
    );

  /** axe-core's serious and critical violations on the page as it is. */
  async function axeViolations(page: Page): Promise<string[]> {
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
      return (await axe.run()).violations as { id: string; impact: string; nodes: { target: string[] }[] }[];
    });
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }

  it("serves the page at / with a CSP of its own; the API keeps its own", async function () {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).to.contain("default-src 'none'").and.contain("script-src 'self'").and.contain("frame-ancestors 'none'");
    expect(csp).not.to.contain("unsafe");
    const html = await res.text();
    const script = /src="\/portal\/(app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script, html).to.be.a("string");
    const js = await fetch(`${gw.url}/portal/${script}`);
    expect(js.status).to.equal(200);
    expect(js.headers.get("cache-control")).to.contain("immutable");
    const api = await fetch(`${gw.url}/openapi.json`);
    expect(api.headers.get("content-security-policy")).to.contain("default-src 'self'");
    const missing = await fetch(`${gw.url}/portal/app-NOPE.js`);
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.include({ type: "urn:crossproof:problem:not-found" });
  });

  it("keeps the build and reuses it until a source or a bundled module changes", async function () {
    expect((await fetch(`${gw.url}/`)).status).to.equal(200); // the build is ready
    const inputs = portalBuildInputs();
    expect(inputs).to.include.members([
      "server/web/src/main.ts",
      "server/web/styles.css",
      "server/web/index.html",
      "server/src/routes/portal.ts",
    ]);
    expect(inputs.some((f) => f.includes("node_modules/ethers/lib.esm/"))).to.equal(true);
    // One copy of ethers: siwe's require() resolves to the ES module build the page imports.
    expect(inputs.some((f) => f.includes("node_modules/ethers/lib.commonjs/"))).to.equal(false);
    expect(inputs.some((f) => f === "sdk/src/verify-report.ts")).to.equal(true);
    expect(await portalBuildIsCurrent()).to.equal(true);
    // A source edited after the build makes it stale (the next gateway start builds again).
    const css = path.join(PORTAL_SOURCE, "styles.css");
    const { atime, mtime } = statSync(css);
    utimesSync(css, atime, new Date(mtime.getTime() + 2000));
    try {
      expect(await portalBuildIsCurrent()).to.equal(false);
    } finally {
      utimesSync(css, atime, mtime);
    }
  });

  it("signs a member in with a browser wallet (EIP-1193: eth_requestAccounts, personal_sign)", async function () {
    const context = await browser.newContext();
    try {
      // The "wallet" is the test's: the page asks it for an account and a signature, as it asks a real one.
      const wallet = new Wallet(devKey(2));
      const asked: string[] = [];
      await context.exposeFunction("testWalletSign", (hex: string, address: string) => {
        asked.push(address);
        return wallet.signMessage(getBytes(hex));
      });
      await context.addInitScript(`window.ethereum = { request: async ({ method, params }) => {
        if (method === "eth_requestAccounts") return ["${wallet.address.toLowerCase()}"];
        if (method === "personal_sign") return window.testWalletSign(params[0], params[1]);
        throw new Error("unsupported " + method);
      } };`);
      const page = await context.newPage();
      await page.goto(`${gw.url}/?lang=en`);
      await page.waitForSelector("html[data-ready]");
      await page.click("#signin-wallet");
      await page.waitForSelector("#signin-status[data-principal=member]");
      expect(await page.textContent("#signin-status")).to.contain(
        `member 2 (DE, COURT, GOVERNOR) with key ${wallet.address}`,
      );
      expect(asked).to.deep.equal([wallet.address]);
      await page.click("#signout");
      await page.waitForSelector("#signin-status[data-principal=stranger]");
    } finally {
      await context.close();
    }
  });

  it("a good package verifies with every check passing (files uploaded), the signature checked in the page", async function () {
    const { page, context, errors } = await open({ lang: "en" });
    try {
      await signInWithKeyFile(page);
      await checkFolder(page, good, "upload");
      await page.waitForSelector("#report[data-indication='TOTAL-PASSED']");
      const checks = await shownChecks(page);
      expect(checks.length).to.be.greaterThan(10);
      expect(checks.filter(([, result]) => result !== "PASSED")).to.deep.equal([]);
      expect(checks.map(([c]) => c)).to.include.members(["MANIFEST_HASH", "FILE_HASHES", "CUSTODY", "RECOGNITION"]);
      // The signature was checked in the browser (JWKS) and by the gateway against the chain.
      expect(await page.getAttribute("#report .signature", "data-signature")).to.equal("valid");
      expect(await page.isVisible("#report [data-chain='valid']")).to.equal(true);
      // Plain words first; the agency, its key, the custody timeline, the agreement and the endorsement.
      expect(await page.textContent("#indication")).to.contain("every check passed");
      const text = (await page.textContent("#report"))!;
      expect(text).to.contain("Anchoring member: 1 (FR, AGENCY");
      expect(text).to.contain(`Signing key at the anchoring: ${new Wallet(devKey(1)).address}`);
      expect(
        await page.$$eval("#report ol.timeline li", (els) => els.map((e) => e.getAttribute("data-event"))),
      ).to.deep.equal(["Collected", "Sealed", "Transferred", "Received", "Accessed"]);
      expect(await page.isVisible("#report [data-agreement='1']")).to.equal(true);
      expect(
        await page.$$eval("#report [data-verdict]", (els) => els.map((e) => e.getAttribute("data-verdict"))),
      ).to.deep.equal(["Recognized"]);
      // Technical references are one click away.
      const technical = page.locator("#report > details.technical");
      expect(await technical.getAttribute("open")).to.equal(null);
      await technical.locator("summary").click();
      expect(await technical.textContent()).to.contain(chain.record.contracts.EvidenceRegistry!.address);
      await page.screenshot({ path: path.join(SCREENSHOTS, "portal-report-en.png"), fullPage: true });
      // Printable: the print stylesheet shows the report alone.
      await page.emulateMedia({ media: "print" });
      expect(await page.isVisible("#check")).to.equal(false);
      expect(await page.isVisible("#report")).to.equal(true);
      // Folded references print open.
      expect(await page.isVisible("#report article.anchor details.technical p.mono")).to.equal(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, "portal-report-en-print.png"), fullPage: true });
      await page.pdf({ path: path.join(SCREENSHOTS, "portal-report-en.pdf"), format: "A4" });
      await page.emulateMedia({ media: "screen" });
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it("sends only the content hash by default: files compared in the page, the report covers the ledger's records", async function () {
    const { page, context } = await open();
    try {
      await signInWithKeyFile(page);
      await checkFolder(page, good, "hash");
      await page.waitForSelector("#report[data-indication='INDETERMINATE']");
      expect(await page.getAttribute("#report .local", "data-local")).to.equal("match");
      expect(await page.getAttribute("#report [data-file='capture.webm']", "data-outcome")).to.equal("MATCH");
      const notPassed = (await shownChecks(page)).filter(([, result]) => result !== "PASSED");
      expect(notPassed).to.deep.equal([
        ["MANIFEST_HASH", "INDETERMINATE", "NO_MANIFEST"],
        ["FILE_HASHES", "INDETERMINATE", "NO_FILES"],
        ["ANCHOR_MATCHES_MANIFEST", "INDETERMINATE", "NO_MANIFEST"],
      ]);
      expect(await page.isVisible("#report [data-combined='ok']")).to.equal(true);
      expect(await page.textContent("#report .coverage")).to.contain("You sent only the content hash");

      // The manifest too: the signed report now covers the manifest; only the files are left to the browser.
      await page.click("#check-clear");
      await checkFolder(page, good, "manifest");
      await page.waitForSelector("#report[data-indication='INDETERMINATE']");
      expect((await shownChecks(page)).filter(([, result]) => result !== "PASSED")).to.deep.equal([
        ["FILE_HASHES", "INDETERMINATE", "NO_FILES"],
      ]);
      expect(await page.textContent("#report .coverage")).to.contain("You sent the manifest");
    } finally {
      await context.close();
    }
  });

  it("hashes a file larger than the Web Crypto limit by streaming it, with progress", async function () {
    // 64 MiB + 3 bytes: past WEB_CRYPTO_LIMIT, so the page streams it through @noble/hashes.
    const dir = path.join(work, "large");
    mkdirSync(dir);
    const big = Buffer.alloc(64 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    writeFileSync(path.join(dir, "image.bin"), big);
    const sha256 = (await import("node:crypto")).createHash("sha256").update(big).digest("hex");
    writeFileSync(
      path.join(dir, "manifest.json"),
      JSON.stringify({
        format: "crossproof-evidence-manifest/2",
        category: 8,
        files: [{ path: "image.bin", size: big.length, sha256, mediaType: "application/octet-stream" }],
        acquisition: { method: "forensic-image" },
      }),
    );
    const { page, context } = await open();
    try {
      // Every change of the progress bar while it is shown, as the page makes it (a MutationObserver misses none).
      await page.evaluate(`(() => {
        const box = document.getElementById("progress-box");
        window.progressSeen = [];
        new MutationObserver(() => {
          if (!box.hidden) window.progressSeen.push(Number(document.getElementById("progress").value));
        }).observe(box, { attributes: true, subtree: true });
      })()`);
      await checkFolder(page, dir, "hash");
      await page.waitForSelector("#public-answer");
      const seen = (await page.evaluate("window.progressSeen")) as number[];
      expect(seen.length).to.be.greaterThan(1);
      expect(Math.max(...seen)).to.equal(big.length);
      expect(await page.getAttribute("#public-answer [data-file='image.bin']", "data-outcome")).to.equal("MATCH");
    } finally {
      await context.close();
    }
  });

  it("a tampered file shows the failed check, in the page and in the signed report", async function () {
    const { page, context } = await open();
    try {
      await signInWithKeyFile(page);
      await checkFolder(page, tampered, "upload");
      await page.waitForSelector("#report[data-indication='TOTAL-FAILED']");
      expect(await page.getAttribute("#report [data-file='capture.webm']", "data-outcome")).to.equal("MISMATCH");
      const failed = (await shownChecks(page)).filter(([, result]) => result === "FAILED");
      expect(failed).to.deep.equal([["FILE_HASHES", "FAILED", "FILE_HASH_MISMATCH"]]);
      expect(await page.textContent("#indication")).to.contain("Do not rely on this evidence");
      expect(await page.isVisible("#report [data-combined='bad']")).to.equal(true);
    } finally {
      await context.close();
    }
  });

  it("a downloaded report verifies again when dropped on the page, and an altered one is refused", async function () {
    const { page, context } = await open();
    let jws: string;
    let reportId: string;
    try {
      await signInWithKeyFile(page);
      await checkFolder(page, good, "upload");
      await page.waitForSelector("#report[data-indication='TOTAL-PASSED']");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-jws")]);
      expect(download.suggestedFilename()).to.match(/^crossproof-report-[0-9a-f-]{36}\.jws$/);
      jws = readFileSync((await download.path())!, "utf8");
      reportId = download.suggestedFilename().slice("crossproof-report-".length, -".jws".length);
    } finally {
      await context.close();
    }
    expect(jws.split(".")).to.have.length(3);

    // Someone else, not signed in, drops the file on the page.
    const drop = (p: Page, text: string) =>
      p.evaluate(
        `(() => {
          const dt = new DataTransfer();
          dt.items.add(new File([${JSON.stringify(text)}], "report.jws", { type: "application/jose" }));
          document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
        })()`,
      );
    const stranger = await open();
    try {
      await drop(stranger.page, jws);
      await stranger.page.waitForSelector("#report[data-indication]");
      expect(await stranger.page.getAttribute("#report", "data-indication")).to.equal("TOTAL-PASSED");
      expect(await stranger.page.getAttribute("#report .signature", "data-signature")).to.equal("valid");
      expect(await stranger.page.textContent("#report")).to.contain(reportId);

      // The court hands a stranger the reduced form of the same report, signed with the same key.
      const full = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8")) as VerificationReport;
      const reduced = await signReport(reduceReport(full), { privateJwk: reportKey.privateJwk, issuerMemberId: 2 });
      await drop(stranger.page, reduced);
      await stranger.page.waitForSelector("#report[data-format='crossproof.verification-report.reduced/1']");
      expect(await stranger.page.getAttribute("#report .signature", "data-signature")).to.equal("valid");
      const reducedText = (await stranger.page.textContent("#report"))!;
      expect(reducedText).to.contain("Reduced report").and.not.contain("capture.webm");
      expect(reducedText).not.to.contain("Anchoring member:");

      const [h, p, s] = jws.split(".") as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { indication: string };
      payload.indication = "TOTAL-FAILED";
      await drop(stranger.page, `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`);
      await stranger.page.waitForSelector("#report[data-signature='invalid']");
      expect(await stranger.page.textContent("#report")).to.contain("REPORT_SIGNATURE_INVALID");
      expect(await stranger.page.isVisible("#report [data-check]")).to.equal(false);
    } finally {
      await stranger.context.close();
    }
  });

  it("explains a single loose file instead of failing it, and answers strangers by least disclosure", async function () {
    const { page, context } = await open();
    try {
      // The attack: a file name that is HTML. It is shown as text; no element comes of it.
      const hostile = path.join(work, "<img src=x onerror=document.title='owned'>.webm");
      copyFileSync(path.join(good, "capture.webm"), hostile);
      await page.setInputFiles("#choose-files", hostile);
      await page.waitForSelector("#given:has-text('1 file')");
      await page.click("#check-submit");
      await page.waitForSelector("#lone-file");
      const sha256 = (await import("node:crypto"))
        .createHash("sha256")
        .update(readFileSync(path.join(good, "capture.webm")))
        .digest("hex");
      const text = (await page.textContent("#lone-file"))!;
      expect(text).to.contain("manifest").and.contain(sha256).and.contain("<img src=x onerror=");
      expect(await page.locator("#results img").count()).to.equal(0);
      expect(await page.title()).not.to.equal("owned");

      // Not signed in: the demo's evidence is not public, so the answer is the one a never-anchored hash gets.
      await page.click("#check-clear");
      await checkFolder(page, good, "hash");
      await page.waitForSelector("#public-answer[data-anchored='false']");
      expect(await page.getAttribute("#public-answer .local", "data-local")).to.equal("match");
      // A stranger who chooses to upload is told that only members can; nothing is sent.
      await page.click("#check-clear");
      const sent: string[] = [];
      page.on("request", (r) => sent.push(`${r.method()} ${new URL(r.url()).pathname}`));
      await checkFolder(page, good, "upload");
      await page.waitForSelector("#public-answer[data-anchored='false']");
      expect(await page.textContent("#public-answer")).to.contain("Signing in as a member is needed");
      expect(sent.filter((r) => r.startsWith("POST"))).to.deep.equal([]);
      const api = sent.filter((r) => r.includes("/v1/"));
      expect(api).to.have.length.greaterThan(0);
      expect(api.every((r) => r.startsWith("GET /v1/public/evidence/0x"))).to.equal(true, api.join(", "));
    } finally {
      await context.close();
    }
  });

  it("shows strangers the reduced report of a record made public, and takes a batch proof dropped with a package", async function () {
    const evidence = await EvidenceClient.connect(chain.record.contracts.EvidenceRegistry!.address, chain.provider);
    const relayer = chain.account(0);
    const fr = chain.account(1);
    /** A package folder (manifest.json and one file) and its content hash. */
    const packageFolder = async (name: string) => {
      const dir = path.join(work, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "notice.html"), `<html>takedown notice ${name}</html>`);
      const manifest = await buildManifest({
        files: [{ path: "notice.html", source: path.join(dir, "notice.html") }],
        category: EvidenceCategory.WEB_PAGE_CAPTURE,
        acquisition: {
          tool: { name: "crossproof-capture", version: "1.0" },
          method: "download",
          collector: { name: "Officer Martin (test)" },
          collectedAt: "2026-11-01T10:00:00Z",
          source: { url: `https://streams.example/${name}` },
          jurisdiction: { collecting: "FR" },
        },
      });
      writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
      return { dir, contentHash: await manifestHash(manifest) };
    };

    // A record the FR agency disclosed publicly (a Disclosed custody event with no counterparty).
    const cited = await packageFolder("cited");
    const signed = await evidence.signAnchorEvidence(fr, {
      contentHash: cited.contentHash,
      packageCid: await computeCid(new TextEncoder().encode("package cited")),
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
      caseRef: keccakText("case cited"),
      collectedAt: Date.parse("2026-11-01T10:00:00Z") / 1000,
    });
    const { recordId } = await (await evidence.anchorEvidence(signed, relayer)).wait();
    for (const eventType of ["Collected", "Disclosed"] as const) {
      await (
        await evidence.submit(await evidence.signCustody(fr, { recordId, eventType, counterparty: 0 }), relayer)
      ).wait();
    }
    // The gateway answers once its index has the disclosure (it polls the chain every second).
    for (let i = 0; i < 60; i++) {
      const answer = (await (await fetch(`${gw.url}/v1/public/evidence/${cited.contentHash}`)).json()) as {
        anchored: boolean;
      };
      if (answer.anchored) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const stranger = await open();
    try {
      await checkFolder(stranger.page, cited.dir, "hash");
      await stranger.page.waitForSelector("#public-answer[data-anchored='true'] #report");
      expect(await stranger.page.getAttribute("#report", "data-format")).to.equal(
        "crossproof.verification-report.reduced/1",
      );
      const text = (await stranger.page.textContent("#public-answer"))!;
      expect(text).to.contain("made public by its anchoring member").and.contain("Not signed");
      expect(text).not.to.contain("Anchoring member:");
      expect(await stranger.page.getAttribute("#report li[data-check='ANCHOR_FOUND']", "data-result")).to.equal(
        "PASSED",
      );
    } finally {
      await stranger.context.close();
    }

    // A package anchored in a Merkle batch: its proof is dropped with it, as a JSON file.
    const inBatch = await packageFolder("batched");
    const batch = EvidenceBatch.build([inBatch.contentHash, keccakText("other 1"), keccakText("other 2")]);
    const signedBatch = await evidence.signAnchorBatch(fr, {
      batch,
      manifestCid: await computeCid(new TextEncoder().encode("batch manifest")),
      category: EvidenceCategory.WEB_PAGE_CAPTURE,
    });
    const { batchId } = await (await evidence.anchorBatch(signedBatch, relayer)).wait();
    writeFileSync(
      path.join(inBatch.dir, "batch-proof.json"),
      JSON.stringify({ batchId, proof: batch.proof(inBatch.contentHash) }),
    );
    const { page, context } = await open();
    try {
      await signInWithKeyFile(page);
      await page.setInputFiles("#choose-folder", inBatch.dir);
      await page.waitForSelector("#given:has-text('batch proof')");
      await page.click("#check-submit");
      await page.waitForSelector("#report");
      expect(await page.getAttribute("#report article.anchor", "data-indication")).to.be.a("string");
      expect(await page.textContent("#report article.anchor h3")).to.contain("batch in FR");
      expect(await page.getAttribute("#report li[data-check='BATCH_INCLUSION']", "data-result")).to.equal("PASSED");
    } finally {
      await context.close();
    }
  });

  it("answers a licence question link by link (members)", async function () {
    const { page, context } = await open({ lang: "en" });
    try {
      await signInWithKeyFile(page);
      const ask = async (territory: string) => {
        await page.fill("#licence-id", licenceId);
        await page.selectOption("#licence-right", "BROADCAST");
        await page.fill("#licence-territory", territory);
        await page.click("#licence-form button[type=submit]");
        await page.waitForSelector(`#licence-result [data-territory='${territory}']`);
        return page.getAttribute(`#licence-result [data-territory='${territory}']`, "data-authorized");
      };
      expect(await ask("FR")).to.equal("true");
      expect(await ask("US")).to.equal("false");
      expect(await page.textContent("#licence-result")).to.contain("TERRITORY_NOT_GRANTED");
      expect(await page.locator("#licence-result ol li").count()).to.be.greaterThan(1);
    } finally {
      await context.close();
    }
  });

  it("can be used with the keyboard alone: every control is reached by Tab, in order, and works", async function () {
    const { page, context } = await open({ lang: "en" });
    try {
      const reached: string[] = [];
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press("Tab");
        reached.push(await page.evaluate(`document.activeElement?.id || document.activeElement?.tagName || ""`));
      }
      const order = ["language", "signin-wallet", "signin-privatekey", "choose-folder", "choose-files", "content-hash"];
      const at = order.map((id) => reached.indexOf(id));
      expect(
        at.every((i) => i >= 0),
        reached.join(" "),
      ).to.equal(true);
      expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
      expect(reached).to.include.members(["mode-hash", "check-submit", "verify-file", "licence-id"]);
      // Sign in from the keyboard: type the demo key, press Enter.
      await page.focus("#signin-privatekey");
      await page.keyboard.type(devKey(2));
      await page.keyboard.press("Enter");
      await page.waitForSelector("#signin-status[data-principal=member]");
      // Paste a content hash and press Enter: the report comes.
      const contentHash = await manifestHash(JSON.parse(readFileSync(path.join(good, "manifest.json"), "utf8")));
      await page.focus("#content-hash");
      await page.keyboard.type(contentHash);
      await page.keyboard.press("Enter");
      await page.waitForSelector("#report[data-indication]");
      expect(await page.textContent("#report .coverage")).to.contain("Only a content hash was given");
      expect(await page.getAttribute("#report li[data-check='ANCHOR_FOUND']", "data-result")).to.equal("PASSED");
    } finally {
      await context.close();
    }
  });

  it("has no serious or critical axe-core violation, in English and in Chinese, before and with a report", async function () {
    const { page, context } = await open({ lang: "en" });
    try {
      expect(await axeViolations(page)).to.deep.equal([]);
      await signInWithKeyFile(page);
      await checkFolder(page, good, "upload");
      await page.waitForSelector("#report[data-indication='TOTAL-PASSED']");
      expect(await axeViolations(page)).to.deep.equal([]);
      await page.selectOption("#language", "zh-CN");
      await page.waitForSelector("html[lang='zh-CN']");
      expect(await axeViolations(page)).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it("renders the Chinese translation with a CJK font (real glyphs), and keeps a screenshot", async function () {
    const { execFileSync } = await import("node:child_process");
    const fonts = (() => {
      try {
        return execFileSync("fc-list", { encoding: "utf8" });
      } catch {
        return "";
      }
    })();
    if (!fonts.includes("Noto Sans CJK")) {
      console.log("      (skipped: no Noto Sans CJK font; apt-get install fonts-noto-cjk)");
      this.skip();
    }
    const { page, context } = await open({ lang: "en" });
    try {
      await page.selectOption("#language", "zh-CN");
      await page.waitForSelector("html[lang='zh-CN']");
      expect(await page.textContent("h1")).to.equal("crossproof 电子证据核验门户");
      expect(await page.title()).to.equal("crossproof 电子证据核验门户");
      await signInWithKeyFile(page);
      await checkFolder(page, good, "upload");
      await page.waitForSelector("#report[data-indication='TOTAL-PASSED']");
      expect(await page.textContent("#indication")).to.contain("证据真实");
      // Which fonts Chromium actually drew the heading and the indication with (DevTools: platform fonts per node).
      const cdp = await context.newCDPSession(page);
      await cdp.send("DOM.enable");
      await cdp.send("CSS.enable");
      const { root: doc } = await cdp.send("DOM.getDocument", { depth: -1 });
      const fontsOf = async (selector: string) => {
        const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: doc.nodeId, selector });
        const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
        return fonts;
      };
      for (const selector of ["h1", "#indication"]) {
        const fonts = await fontsOf(selector);
        const cjk = fonts.filter((f) => /CJK/.test(f.familyName));
        expect(cjk, `${selector}: ${JSON.stringify(fonts)}`).to.have.length.greaterThan(0);
        expect(cjk.reduce((n, f) => n + f.glyphCount, 0)).to.be.greaterThan(5);
      }
      expect(await page.evaluate(`document.fonts.check('16px "Noto Sans CJK SC"', "证据")`)).to.equal(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, "portal-report-zh-CN.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
