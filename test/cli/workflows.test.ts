/**
 * The CLI's later commands, as a subprocess against a real chain (Anvil, the demo consortium deployed, its agreements
 * concluded) and a real gateway (SIWE, outbox, index, package uploads, verification signed by the DE court's report
 * key): `verify` of a local encrypted package folder through the gateway, `endorse --verdict Recognized` under the
 * FR→DE agreement (refused while custody is not recorded), `submission <id>` resuming a write left pending,
 * `agreement propose --assistance-profile`, `assist order` and `assist review` (the enforcing authority), and
 * `licence dispute`. The CLI is bundled once with esbuild, as in cli.test.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id as keccakText } from "ethers";
import {
  ConsortiumClient,
  EmbeddedContentStore,
  GatewayClient,
  LicenceClient,
  generateRecipientKey,
  generateReportKey,
  recordIdOf,
  reportDigest,
} from "../../sdk/src";
import { ExitCode } from "../../sdk/src/cli/exit-codes";
import { writePackageKey } from "../../sdk/src/cli/keystore";
import { auditModule } from "../../server/src/audit";
import { authModule } from "../../server/src/auth/siwe";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { addKeys } from "../../server/src/keystore";
import { chainModule } from "../../server/src/routes/chain";
import { packagesModule } from "../../server/src/routes/packages";
import { readsModule } from "../../server/src/routes/reads";
import { submissionsModule } from "../../server/src/routes/submissions";
import { verificationModule } from "../../server/src/routes/verification";
import { bundleCli, runCli, type CliRun } from "../helpers/cli";
import { devKey, startTestGateway, type TestChain } from "../helpers/gateway";
import { startHoldingChain } from "../helpers/holding-chain";

const PASSWORD = "cli workflows test password";
const DAY = 24 * 3600;

interface ErrorJson {
  error: { class: string; exitCode: number; code: string | null; message: string; submission?: string };
}

describe("crossproof CLI: package folders, Recognized, pending writes, orders and reviews, disputes", function () {
  this.timeout(600_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let work: string;
  let bundle: string;
  let removeBundle: (() => void) | undefined;
  /** FR agency (member 1), DE court (2), US platform (3), ES registry (4), SG police (7), SG platform (8), a rights holder. */
  const keys = { fr: "", de: "", us: "", es: "", sgPolice: "", sgPlatform: "", holder: "" };
  let localStore: string;
  let frPackageKey: string;

  function cli(
    args: readonly string[],
    o: { key?: keyof typeof keys; mode?: "gateway" | "direct" } = {},
  ): Promise<CliRun> {
    const conn =
      (o.mode ?? "gateway") === "gateway"
        ? ["--gateway", gw.url]
        : ["--rpc", chain.anvil.url, "--deployment", chain.deploymentFile];
    return runCli(bundle, [...args, ...conn, ...(o.key === undefined ? [] : ["--key", keys[o.key]])], {
      cwd: work,
      env: { CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD },
    });
  }

  async function ok(args: readonly string[], o: Parameters<typeof cli>[1] = {}): Promise<CliRun> {
    const r = await cli(args, o);
    expect(r.code, `crossproof ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).to.equal(0);
    return r;
  }

  async function refused(args: readonly string[], o: Parameters<typeof cli>[1], code: number, error?: RegExp) {
    const r = await cli([...args, "--json"], o);
    expect(r.code, `crossproof ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).to.equal(code);
    if (error !== undefined) expect(r.json<ErrorJson>().error.message).to.match(error);
    expect(r.stderr).to.not.match(/\n\s+at /); // one line, no stack trace
    return r;
  }

  const chainTime = async () => (await chain.provider.getBlock("latest"))!.timestamp;

  before(async () => {
    // A chain that mines only when a transaction arrives or it is asked to: a write can be held pending.
    chain = await startHoldingChain();
    work = mkdtempSync(path.join(chain.dataDir, "cli-workflows-"));
    ({ bundle, remove: removeBundle } = bundleCli("crossproof-workflows"));
    const consortium = await ConsortiumClient.connect(chain.record.contracts.Consortium.address, chain.provider);
    // The DE court's report key and package key: registered on chain, held by the gateway (it opens packages
    // addressed to the court and signs the court's reports).
    // The FR agency's and the US platform's package keys are registered on chain too (FR's also as a key file).
    const reportKey = await generateReportKey();
    const court = await generateRecipientKey();
    const fr = await generateRecipientKey();
    const us = await generateRecipientKey();
    const publicOf = (k: { privateKey: { jwk: object } }) => {
      const { d: _d, ...jwk } = k.privateKey.jwk as Record<string, unknown>;
      return jwk;
    };
    for (const [member, purpose, jwk] of [
      [2, "Report", reportKey.publicJwk],
      [2, "Encryption", publicOf(court)],
      [1, "Encryption", publicOf(fr)],
      [3, "Encryption", publicOf(us)],
    ] as const) {
      await (
        await consortium.submit(
          await consortium.signAddOwnPublicKey(new Wallet(devKey(member)), member, { purpose, jwk }),
          chain.account(8),
        )
      ).wait();
    }
    frPackageKey = path.join(work, "fr.package-key");
    await writePackageKey(frPackageKey, fr.privateKey, PASSWORD, { iterations: 1000 });
    const keystoreDir = path.join(work, "gateway-keys");
    await addKeys(keystoreDir, "correct horse battery staple", {
      memberId: 2,
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [court.privateKey],
    });
    gw = await startTestGateway(
      chain,
      [
        authModule,
        auditModule,
        indexerModule,
        verificationModule,
        readsModule,
        chainModule,
        submissionsModule,
        packagesModule,
      ],
      {
        keystoreDir,
        keystorePassword: "correct horse battery staple",
        contentStore: path.join(work, "gateway-content"),
        indexerPollMs: "200",
      },
    );
    localStore = path.join(work, "content");
    for (const [name, index] of [
      ["fr", 1],
      ["de", 2],
      ["us", 3],
      ["es", 4],
      ["sgPolice", 11],
      ["sgPlatform", 12],
      ["holder", 6],
    ] as const) {
      const raw = path.join(work, `${name}.hex`);
      writeFileSync(raw, devKey(index), { mode: 0o600 });
      keys[name] = path.join(work, `${name}.json`);
      await ok(["key", "import", raw, "--out", keys[name], "--kdf-cost", "1024"], { mode: "direct" });
    }
  });

  after(async () => {
    removeBundle?.();
    await gw?.close();
    await chain?.stop();
  });

  describe("a local encrypted package folder, verified through the gateway; endorsed Recognized", () => {
    let pkg: { contentHash: string; cid: string };
    let recordId: string;
    let copy: string;
    let reportFile: string;

    before(async () => {
      const capture = path.join(work, "capture.webm");
      writeFileSync(capture, randomBytes(200_000));
      const r = await ok(
        [
          "package",
          capture,
          "--category",
          "LIVE_STREAM_RECORDING",
          "--tool",
          "obs@30.1",
          "--method",
          "screen-recording",
          "--collector",
          "Officer Martin",
          "--source-url",
          "https://streams.example/live/42",
          "--first-upload",
          "US",
          "--primary-dissemination",
          "FR",
          "--recipient",
          "1",
          "--recipient",
          "2",
          "--store",
          localStore,
          "--json",
        ],
        { key: "fr" },
      );
      pkg = r.json();
      writeFileSync(path.join(work, "package.json"), r.stdout);
      recordId = (await ok(["anchor", "--package", path.join(work, "package.json"), "--json"], { key: "fr" })).json<{
        recordId: string;
      }>().recordId;
      expect(recordId).to.equal(recordIdOf(1n, pkg.contentHash));
      // A copy of the encrypted package as a folder (what `ipfs get <cid>` writes): envelope.jwe.json, files/0.
      copy = path.join(work, "package-copy");
      mkdirSync(path.join(copy, "files"), { recursive: true });
      const store = await EmbeddedContentStore.open(localStore);
      try {
        for (const part of ["envelope.jwe.json", "files/0"]) {
          writeFileSync(path.join(copy, ...part.split("/")), await store.getBytes(`${pkg.cid}/${part}`));
        }
      } finally {
        await store.close();
      }
    });

    it("endorse Recognized before custody is recorded: refused, the agreement's assurance named (exit 7)", async () => {
      const r = await refused(
        ["endorse", recordId, "--verdict", "Recognized", "--report", keccakText("a report")],
        { key: "de" },
        ExitCode.REFUSED,
        /EndorsementAssuranceNotMet/,
      );
      expect(r.json<ErrorJson>().error.class).to.equal("REFUSED");
    });

    it("verify <package folder> through the gateway: uploaded, verified by its CID, TOTAL-PASSED, signed", async () => {
      await ok(["custody", "event", recordId, "--type", "Collected"], { key: "fr" });
      reportFile = path.join(work, "folder-report.jws");
      const r = await ok(["verify", copy, "--anchored-by", "1", "--out", reportFile, "--json"], { key: "de" });
      const v = r.json<{
        indication: string;
        signed: boolean;
        savedTo: string;
        reportHash: string;
        report: { subject: { contentHash: string; packageCid?: string }; issuer: { memberId: string } };
      }>();
      expect(v).to.deep.include({ indication: "TOTAL-PASSED", signed: true, savedTo: reportFile });
      expect(v.report.subject.contentHash).to.equal(pkg.contentHash);
      expect(v.report.issuer.memberId).to.equal("2");
      expect(v.reportHash).to.equal(reportDigest(readFileSync(reportFile, "utf8").trim()));
      // For people: the indication, then the table.
      const human = await ok(["verify", copy, "--anchored-by", "1", "--out", path.join(work, "again.jws")], {
        key: "de",
      });
      expect(human.stdout.split("\n")[0]).to.match(/^TOTAL-PASSED: /);
      expect(human.stdout).to.match(/evidence\s+MANIFEST_HASH\s+PASSED/);
    });

    it("a copy of the package folder with one byte changed: TOTAL-FAILED, FILE_HASHES FILE_TAMPERED, exit 1", async () => {
      const tampered = path.join(work, "package-tampered");
      mkdirSync(path.join(tampered, "files"), { recursive: true });
      writeFileSync(path.join(tampered, "envelope.jwe.json"), readFileSync(path.join(copy, "envelope.jwe.json")));
      const bytes = readFileSync(path.join(copy, "files", "0"));
      bytes[bytes.length - 100] ^= 0x01;
      writeFileSync(path.join(tampered, "files", "0"), bytes);
      const r = await cli(["verify", tampered, "--anchored-by", "1", "--json", "--out", path.join(work, "t.jws")], {
        key: "de",
      });
      expect(r.code, r.stderr).to.equal(ExitCode.VERIFICATION_FAILED);
      const v = r.json<{
        indication: string;
        report: { checks: { check: string; result: string; subCode?: string }[] };
      }>();
      // The envelope (hence the manifest) is intact; the changed ciphertext does not decrypt: the file is named.
      expect(v.indication).to.equal("TOTAL-FAILED");
      expect(v.report.checks.find((c) => c.check === "MANIFEST_HASH")?.result).to.equal("PASSED");
      expect(v.report.checks.find((c) => c.check === "FILE_HASHES")).to.include({
        result: "FAILED",
        subCode: "FILE_TAMPERED",
      });
    });

    it("a folder with an envelope but no files/0 is not a package folder (exit 3)", async () => {
      const broken = path.join(work, "package-broken");
      mkdirSync(broken, { recursive: true });
      writeFileSync(path.join(broken, "envelope.jwe.json"), readFileSync(path.join(copy, "envelope.jwe.json")));
      await refused(["verify", broken], { key: "de" }, ExitCode.INPUT, /not a package folder: it has no files\/0/);
    });

    it("endorse Recognized once custody is recorded: the FR→DE agreement in force at anchoring is recorded", async () => {
      const agreements = (await ok(["agreements", "--json"], { key: "de" })).json<{
        agreements: { agreementId: string; from: string; to: string }[];
      }>().agreements;
      const frDe = agreements.find((a) => a.from === "FR" && a.to === "DE")!;
      const r = await ok(["endorse", recordId, "--verdict", "Recognized", "--report", reportFile, "--json"], {
        key: "de",
      });
      expect(r.json()).to.deep.include({
        recordId,
        memberId: "2",
        verdict: "Recognized",
        agreementId: frDe.agreementId,
        reportHash: reportDigest(readFileSync(reportFile, "utf8").trim()),
      });
      // The anchoring member cannot endorse its own record.
      await refused(
        ["endorse", recordId, "--verdict", "Recognized", "--report", reportFile],
        { key: "fr" },
        ExitCode.REFUSED,
        /EndorsementByAnchoringMember/,
      );
    });

    it("GET /v1/packages/{cid}: only a member among the package's recipients gets it (others: the same 404)", async () => {
      const as = async (index: number) => GatewayClient.signIn(gw.url, new Wallet(devKey(index)));
      const info = await (
        await as(2)
      ).request<{ contentHash: string; files: number }>("GET", `/v1/packages/${pkg.cid}`);
      expect(info).to.include({ contentHash: pkg.contentHash, files: 1 });
      // The court fetches the ciphertext into its own store: the same CID.
      const courtStore = await EmbeddedContentStore.open(path.join(work, "court-content"));
      try {
        await (await as(2)).downloadPackage(pkg.cid, courtStore);
        expect(await courtStore.has(pkg.cid)).to.be.true;
      } finally {
        await courtStore.close();
      }
      // The US platform (an encryption key, not a recipient) and the ES registry (no key): 404, as an unknown CID.
      for (const index of [3, 4]) {
        for (const route of [
          `/v1/packages/${pkg.cid}`,
          `/v1/packages/${pkg.cid}/envelope`,
          `/v1/packages/${pkg.cid}/files/0`,
        ]) {
          const res = await fetch(`${gw.url}${route}`, {
            headers: { authorization: `Bearer ${(await as(index)).token!}` },
          });
          expect(res.status, route).to.equal(404);
          expect(((await res.json()) as { type: string }).type).to.equal("urn:crossproof:problem:not-found");
        }
      }
      // No session: 401; a file index past the end, and a path-traversal attempt: 404.
      expect((await fetch(`${gw.url}/v1/packages/${pkg.cid}/envelope`)).status).to.equal(401);
      const court = await as(2);
      for (const route of [`/v1/packages/${pkg.cid}/files/1`, `/v1/packages/..%2F..%2Fsession.key/envelope`]) {
        const res = await fetch(`${gw.url}${route}`, { headers: { authorization: `Bearer ${court.token!}` } });
        expect(res.status, route).to.equal(404);
      }
    });

    it("share through the gateway without a local store: fetched, re-wrapped for the US platform, uploaded, recorded", async () => {
      const r = await ok(["share", recordId, "--with", "3", "--package-key", frPackageKey, "--json"], { key: "fr" });
      const s = r.json<{ cid: string; contentHash: string; recipient: string; eventType: string }>();
      expect(s).to.include({ contentHash: pkg.contentHash, recipient: "3", eventType: "RecipientAdded" });
      expect(s.cid).to.not.equal(pkg.cid);
      // The platform now gets the new package (not the old one, which was never addressed to it).
      const us = await GatewayClient.signIn(gw.url, new Wallet(devKey(3)));
      const got = await us.request<{ contentHash: string; recipients: string[] }>("GET", `/v1/packages/${s.cid}`);
      expect(got.contentHash).to.equal(pkg.contentHash);
      expect(got.recipients).to.have.length(3);
      const old = await fetch(`${gw.url}/v1/packages/${pkg.cid}`, {
        headers: { authorization: `Bearer ${us.token!}` },
      });
      expect(old.status).to.equal(404);
      // A member that is not a recipient cannot share through the gateway's copy: the same 404 (exit 5).
      await refused(
        ["share", recordId, "--with", "4", "--package-key", frPackageKey],
        { key: "us" },
        ExitCode.NOT_FOUND,
      );
    });

    it("submission <id>: a write left pending after --wait-timeout, resumed to its result and exit code", async () => {
      await chain.provider.send("evm_setAutomine", [false]);
      let id: string;
      try {
        const pending = await refused(
          ["custody", "event", recordId, "--type", "Sealed", "--wait-timeout", "0"],
          { key: "fr" },
          ExitCode.NETWORK,
          /is still pending/,
        );
        id = pending.json<ErrorJson>().error.submission!;
        expect(id).to.match(/^[0-9a-f-]{36}$/);
        expect(pending.stderr).to.include(`crossproof submission ${id} --wait`);
        // One look: still pending, the same exit code as the write.
        await refused(["submission", id], { key: "fr" }, ExitCode.NETWORK, /is still pending/);
      } finally {
        await chain.provider.send("evm_setAutomine", [true]);
      }
      await chain.provider.send("evm_mine", []);
      const done = (await ok(["submission", id, "--wait", "--json"], { key: "fr" })).json<Record<string, unknown>>();
      expect(done).to.deep.include({ recordId, eventType: "Sealed", actor: "1", submission: id });
      expect(done.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
      const human = await ok(["submission", id], { key: "fr" });
      expect(human.stdout).to.match(new RegExp(`submission: +${id} confirmed`));
      // The custody chain has the event once.
      const c = (await ok(["custody", "show", recordId, "--json"], { key: "fr", mode: "direct" })).json<{
        events: { eventType: string }[];
      }>();
      expect(c.events.filter((e) => e.eventType === "Sealed")).to.have.length(1);
      // Another member's submission is not visible (404 → exit 5); a random one is unknown; a malformed id exit 3.
      await refused(["submission", id], { key: "de" }, ExitCode.NOT_FOUND);
      await refused(["submission", randomUUID()], { key: "fr" }, ExitCode.NOT_FOUND);
      await refused(["submission", "42"], { key: "fr" }, ExitCode.INPUT);
    });
  });

  describe("orders under an agreement with the e-Evidence profile, and the enforcing authority's review", () => {
    let agreementId: string;
    let orderDocument: string;
    const orderArgs = async (extra: readonly string[] = []) => {
      const now = await chainTime();
      return [
        "assist",
        "order",
        "--to",
        "8",
        "--kind",
        "Produce",
        "--data",
        "TRAFFIC",
        "--first-upload",
        "SG",
        "--primary-dissemination",
        "FR",
        "--legal-basis",
        "Regulation (EU) 2023/1543, Art. 5",
        "--case-ref-hash",
        keccakText(`case ${randomUUID()}`),
        "--issuing-authority",
        "Judge:juge d'instruction, tribunal judiciaire de Paris",
        "--offence",
        "art. L335-4 CPI: unauthorised live-stream retransmission",
        "--offence-category",
        "9",
        "--data-from",
        String(now - 30 * DAY),
        "--data-until",
        String(now - DAY),
        "--target",
        "account uploader-77",
        "--language",
        "FR",
        "--order-document",
        orderDocument,
        ...extra,
        "--json",
      ];
    };

    before(() => {
      orderDocument = path.join(work, "epoc.pdf");
      writeFileSync(orderDocument, "EPOC, Annex I: production of traffic data of account uploader-77");
    });

    it("agreement propose --assistance-profile EuEvidence (FR's governor), approved by SG's: concluded", async () => {
      const text = path.join(work, "fr-sg-eevidence.txt");
      writeFileSync(text, "FR-SG arrangement: orders under Regulation (EU) 2023/1543 terms");
      await refused(
        [
          "agreement",
          "propose",
          ...["--from", "FR", "--to", "SG", "--categories", "1", "--text", text],
          ...["--assistance-profile", "Lenient"],
        ],
        { key: "fr" },
        ExitCode.INPUT,
        /not a deadline profile/,
      );
      const p = (
        await ok(
          [
            "agreement",
            "propose",
            ...["--from", "FR", "--to", "SG", "--categories", "1,2,3", "--text", text],
            ...["--assistance-profile", "euevidence", "--retention-period", String(30 * DAY), "--json"],
          ],
          { key: "fr" },
        )
      ).json<{ agreementId: string; from: string; to: string; assistance: object }>();
      expect(p).to.deep.include({ from: "FR", to: "SG", assistance: { profileId: 2, retentionPeriod: 30 * DAY } });
      agreementId = p.agreementId;
      const a = (await ok(["agreement", "approve", agreementId, "--json"], { key: "sgPolice" })).json();
      expect(a).to.deep.include({ agreementId, concluded: true });
    });

    it("assist order with no enforcing authority named is refused by the desk (AssistanceInvalidOrder, exit 7)", async () => {
      await refused(await orderArgs(), { key: "fr" }, ExitCode.REFUSED, /AssistanceInvalidOrder/);
      await refused(
        await orderArgs(["--enforcing-authority", "7", "--issuing-authority", "Sheriff:x"]),
        { key: "fr" },
        ExitCode.INPUT,
        /--issuing-authority: <Type>:<identification>/,
      );
    });

    let orderId: string;
    it("assist order: issued under the new agreement's profile, the SG police notified until its review ends", async () => {
      const r = (await ok(await orderArgs(["--enforcing-authority", "7"]), { key: "fr" })).json<{
        requestId: string;
        agreementId: unknown;
        profileId: number;
        deadline: string;
        notification: { enforcingAuthority: string; reviewUntil: string };
      }>();
      orderId = r.requestId;
      expect(orderId).to.match(/^0x[0-9a-f]{64}$/);
      expect(String(r.agreementId)).to.equal(agreementId);
      expect(r.profileId).to.equal(2);
      expect(r.notification.enforcingAuthority).to.equal("7");
      // The e-Evidence profile: a 10-day review window and a 10-day response window, from the issue.
      expect(Date.parse(r.notification.reviewUntil)).to.equal(Date.parse(r.deadline));
      const human = await ok(["assist", "list", "--filter", "open", "--role", "addressee"], { key: "sgPlatform" });
      expect(human.stdout).to.include(`${orderId.slice(0, 10)}…`);
    });

    it("assist review: only the notified authority (others exit 7), a ground needs its reasons (exit 2), None once", async () => {
      await refused(
        ["assist", "review", orderId, "--ground", "None"],
        { key: "sgPlatform" },
        ExitCode.REFUSED,
        /AssistanceNotEnforcingAuthority/,
      );
      await refused(["assist", "review", orderId, "--ground", "DualCriminality"], { key: "sgPolice" }, ExitCode.USAGE);
      await refused(["assist", "review", orderId, "--ground", "Maybe"], { key: "sgPolice" }, ExitCode.INPUT);
      const r = (await ok(["assist", "review", orderId, "--ground", "none", "--json"], { key: "sgPolice" })).json();
      expect(r).to.deep.include({ requestId: orderId, ground: "None", refused: false });
      await refused(
        ["assist", "review", orderId, "--ground", "None"],
        { key: "sgPolice" },
        ExitCode.REFUSED,
        /AssistanceReviewClosed/,
      );
    });

    it("assist review with a ground ends an order still owed: RefusedByEnforcingAuthority", async () => {
      const id = (await ok(await orderArgs(["--enforcing-authority", "7"]), { key: "fr" })).json<{
        requestId: string;
      }>().requestId;
      const human = await ok(
        ["assist", "review", id, "--ground", "DualCriminality", "--reasons", "not an offence under SG law"],
        { key: "sgPolice" },
      );
      expect(human.stdout).to.match(/ground: +DualCriminality/);
      expect(human.stdout).to.match(/refused: +true/);
      const listed = (
        await ok(["assist", "list", "--filter", "all", "--role", "requester", "--json"], { key: "fr" })
      ).json<{ requests: { requestId: string; state: string }[] }>();
      expect(listed.requests.find((q) => q.requestId === id)?.state).to.equal("RefusedByEnforcingAuthority");
    });
  });

  describe("licence dispute", () => {
    let workId: string;
    before(async () => {
      workId = (
        await ok(
          [
            "licence",
            "register",
            ...["--content-hash", keccakText("the disputed film")],
            ...["--origin", "ES", "--metadata-cid", "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"],
            "--json",
          ],
          { key: "holder" },
        )
      ).json<{ workId: string }>().workId;
    });

    it("a REGISTRY member files a dispute over who holds a work: open on chain, filed by it", async () => {
      const claimant = Wallet.createRandom().address;
      const r = (
        await ok(["licence", "dispute", workId, "--claimant", claimant, "--evidence", "deposit 2019-0412", "--json"], {
          key: "es",
        })
      ).json<{ disputeId: string; workId: string; claimant: string; filedBy: string; evidenceHash: string }>();
      expect(r).to.deep.include({ workId, claimant, filedBy: "4", evidenceHash: keccakText("deposit 2019-0412") });
      const licences = await LicenceClient.connect(chain.record.contracts.LicenseRegistry.address, chain.provider);
      const d = await licences.getDispute(BigInt(r.disputeId));
      expect(d).to.deep.include({ workId, claimant, status: "Open", filedBy: 4n, fromHolding: 0 });
    });

    it("by a member that is not a REGISTRY (exit 7), by a non-member (exit 4), with a bad work id (exit 3)", async () => {
      const claimant = Wallet.createRandom().address;
      const args = ["licence", "dispute", workId, "--claimant", claimant, "--evidence", "x"];
      await refused(args, { key: "fr" }, ExitCode.REFUSED);
      await refused(args, { key: "holder" }, ExitCode.AUTH, /not a signing key of any member/);
      await refused(["licence", "dispute", "0x12", "--claimant", claimant, "--evidence", "x"], { key: "es" }, 3);
    });
  });
});
