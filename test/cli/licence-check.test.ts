/**
 * `crossproof licence check|link-account|confirm-link|unlink-account|residence` (issue 15), as a subprocess against a
 * real chain (Anvil, the demo consortium deployed) and a real gateway (SIWE, outbox, index, upload authorisation),
 * with `--gateway` alone (signing through the gateway's chain routes). The CLI is bundled once with esbuild, as in
 * cli.test.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id } from "ethers";
import {
  ConsortiumClient,
  GatewayClient,
  LicenceClient,
  computeCid,
  generateReportKey,
  uploaderAccountHash,
  verifyAuthorizationAnswer,
  type Hex,
} from "../../sdk/src";
import { ExitCode } from "../../sdk/src/cli/exit-codes";
import { auditModule } from "../../server/src/audit";
import { authModule } from "../../server/src/auth/siwe";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { addKeys } from "../../server/src/keystore";
import { authorizationsModule } from "../../server/src/routes/authorizations";
import { chainModule } from "../../server/src/routes/chain";
import { readsModule } from "../../server/src/routes/reads";
import { submissionsModule } from "../../server/src/routes/submissions";
import { verificationModule } from "../../server/src/routes/verification";
import { bundleCli, runCli, type CliRun } from "../helpers/cli";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const PASSWORD = "cli licence test password";
const PLATFORM = 3n;
const PEPPER = "Streamly's account pepper";
const YEAR = 365 * 24 * 3600;

type Run = CliRun;

interface CheckJson {
  allAllowed: boolean;
  answers: { workId: string; territory: string; answer: string; reason: string | null; summary: string }[];
  issuer: string;
  digest: string;
  checkedAgainst: string;
  savedTo: string;
}

describe("crossproof licence check and account links (subprocess, real chain and gateway)", function () {
  this.timeout(600_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let licences: LicenceClient;
  let work: string;
  let bundle: string;
  let removeBundle: (() => void) | undefined;
  const holder = new Wallet(id("cli: rights holder"));
  const licensee = new Wallet(id("cli: licensee"));
  const WORK = id("cli: the film") as Hex;
  const UNKNOWN_WORK = id("cli: never registered") as Hex;
  const ACCOUNT = "broadcaster-official";
  const keys = { platform: "", court: "", licensee: "", holder: "" };
  let pepperFile: string;

  function cli(
    args: readonly string[],
    o: { mode?: "gateway-only" | "direct"; env?: Record<string, string>; key?: keyof typeof keys } = {},
  ): Promise<Run> {
    const conn =
      (o.mode ?? "gateway-only") === "gateway-only"
        ? ["--gateway", gw.url]
        : ["--rpc", chain.anvil.url, "--deployment", chain.deploymentFile];
    const key = o.key === undefined ? [] : ["--key", keys[o.key]];
    return runCli(bundle, [...args, ...conn, ...key], {
      cwd: work,
      env: { CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD, ...o.env },
    });
  }

  async function ok(args: readonly string[], o: Parameters<typeof cli>[1] = {}): Promise<Run> {
    const r = await cli(args, o);
    expect(r.code, `crossproof ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).to.equal(0);
    return r;
  }

  const check = (args: readonly string[], key: keyof typeof keys = "platform", env: Record<string, string> = {}) =>
    cli(["licence", "check", ...args, "--json"], { key, env });

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(chain.dataDir, "cli-licence-"));
    ({ bundle, remove: removeBundle } = bundleCli("crossproof-licence"));
    const c = chain.record.contracts;
    const relayer = chain.account(8);
    licences = await LicenceClient.connect(c.LicenseRegistry.address, chain.provider);
    const consortium = await ConsortiumClient.connect(c.Consortium.address, chain.provider);
    // The platform's report key: registered on chain, held by the gateway (it signs the answers).
    const reportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(new Wallet(devKey(3)), PLATFORM, {
          purpose: "Report",
          jwk: reportKey.publicJwk,
        }),
        relayer,
      )
    ).wait();
    const keystoreDir = path.join(work, "gateway-keys");
    await addKeys(keystoreDir, "correct horse battery staple", {
      memberId: Number(PLATFORM),
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [],
    });
    // A work licensed to the licensee for FR and DE (MAKE_AVAILABLE), for a year.
    await (
      await licences.submit(
        await licences.signRegisterWork(holder, {
          contentHash: WORK,
          rightsHolder: holder.address,
          originJurisdiction: "FR",
          metadataCid: await computeCid(new TextEncoder().encode("metadata of the film")),
        }),
        relayer,
      )
    ).wait();
    await (
      await licences.submit(
        await licences.signGrant(holder, {
          workId: WORK,
          licensee: licensee.address,
          rights: ["MAKE_AVAILABLE"],
          territories: ["FR", "DE"],
          end: (await licences.chainTime()) + YEAR,
        }),
        relayer,
      )
    ).wait();
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
        authorizationsModule,
      ],
      { keystoreDir, keystorePassword: "correct horse battery staple", indexerPollMs: "200" },
    );
    for (const [name, key] of [
      ["platform", devKey(3)],
      ["court", devKey(2)],
      ["licensee", licensee.privateKey],
      ["holder", holder.privateKey],
    ] as const) {
      const raw = path.join(work, `${name}.hex`);
      writeFileSync(raw, key, { mode: 0o600 });
      keys[name] = path.join(work, `${name}.json`);
      let stderr = "";
      const r = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [bundle, "key", "import", raw, "--out", keys[name], "--kdf-cost", "1024"],
          {
            cwd: work,
            env: { PATH: process.env.PATH ?? "", HOME: work, CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD },
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject).on("close", resolve);
      });
      expect(r, `key import ${name}: ${stderr}`).to.equal(0);
    }
    pepperFile = path.join(work, "pepper.txt");
    writeFileSync(pepperFile, `${PEPPER}\n`, { mode: 0o600 });
  });

  after(async () => {
    removeBundle?.();
    await gw?.close();
    await chain?.stop();
  });

  it("link-account (the licensee) then confirm-link (the platform): the link is on chain", async () => {
    const request = path.join(work, "link-request.json");
    await ok(
      [
        "licence",
        "link-account",
        "--platform",
        "3",
        "--account",
        ACCOUNT,
        "--pepper-file",
        pepperFile,
        "--out",
        request,
      ],
      { key: "licensee" },
    );
    const wire = JSON.parse(readFileSync(request, "utf8")) as { request: { accountHash: string } };
    expect(wire.request.accountHash).to.equal(
      uploaderAccountHash(ACCOUNT, { pepper: new TextEncoder().encode(PEPPER) }),
    );
    // Another platform member's key cannot confirm it (the request names platform 3): a court key is refused.
    const wrong = await cli(["licence", "confirm-link", request, "--json"], { key: "court" });
    expect(wrong.code).to.equal(ExitCode.INPUT);
    expect(wrong.stderr).to.include("names platform 3, not 2");
    const r = await ok(["licence", "confirm-link", request, "--json"], { key: "platform" });
    expect(r.json<{ transactionHash: string }>().transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    const link = await licences.getAccountLink(PLATFORM, wire.request.accountHash);
    expect(link.licensee).to.equal(licensee.address);
  });

  it("check: ALLOWED in FR (exit 0), the signed answer saved and valid against the chain's report keys", async () => {
    const r = await check([
      "--work",
      WORK,
      "--account",
      ACCOUNT,
      "--pepper-file",
      pepperFile,
      "--territory",
      "fr",
      "--right",
      "make_available",
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const j = r.json<CheckJson>();
    expect(j.allAllowed).to.equal(true);
    expect(j.answers).to.have.length(1);
    expect(j.answers[0]).to.include({ workId: WORK, territory: "FR", answer: "ALLOWED", reason: "OK" });
    expect(j.issuer).to.equal("3");
    const saved = path.resolve(work, j.savedTo);
    expect(existsSync(saved)).to.equal(true);
    const consortium = await ConsortiumClient.connect(chain.record.contracts.Consortium.address, chain.provider);
    const verified = await verifyAuthorizationAnswer(readFileSync(saved, "utf8").trim(), { consortium });
    expect(verified.digest).to.equal(j.digest);
    expect(verified.document.answers[0]!.answer).to.equal("ALLOWED");
  });

  it("check: NOT_LICENSED in the US (exit 1), with the reason in words; for people too", async () => {
    const args = ["--work", WORK, "--account", ACCOUNT, "--territory", "US", "--right", "MAKE_AVAILABLE"];
    const env = { CROSSPROOF_ACCOUNT_PEPPER: PEPPER };
    const r = await check(args, "platform", env);
    expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
    const a = r.json<CheckJson>().answers[0]!;
    expect(a.answer).to.equal("NOT_LICENSED");
    expect(a.reason).to.be.a("string").and.not.equal("OK");
    expect(a.summary).to.match(/US/);
    const human = await cli(["licence", "check", ...args], { key: "platform", env });
    expect(human.code).to.equal(ExitCode.VERIFICATION_FAILED);
    expect(human.stdout.split("\n")[0]).to.match(/^NOT_LICENSED \(\w+\)$/);
    expect(human.stdout).to.include("saved to");
  });

  it("check without the platform's pepper: the account hashes to another value, UNKNOWN_ACCOUNT", async () => {
    const r = await check(["--work", WORK, "--account", ACCOUNT, "--territory", "FR", "--right", "MAKE_AVAILABLE"]);
    expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
    expect(r.json<CheckJson>().answers[0]!.answer).to.equal("UNKNOWN_ACCOUNT");
  });

  it("check --batch (CSV and JSON): every answer in order, exit 1 unless all are ALLOWED", async () => {
    const csv = path.join(work, "uploads.csv");
    writeFileSync(
      csv,
      [
        "work,account,territory,right",
        `${WORK},${ACCOUNT},FR,MAKE_AVAILABLE`,
        `${WORK},${ACCOUNT},DE,`,
        `${WORK},${ACCOUNT},US,MAKE_AVAILABLE`,
        `${UNKNOWN_WORK},${ACCOUNT},FR,MAKE_AVAILABLE`,
        `${WORK},someone-else,FR,MAKE_AVAILABLE`,
      ].join("\n"),
    );
    const r = await check(["--batch", csv, "--right", "MAKE_AVAILABLE", "--pepper-file", pepperFile]);
    expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
    const j = r.json<CheckJson>();
    expect(j.allAllowed).to.equal(false);
    expect(j.answers.map((a) => [a.territory, a.answer])).to.deep.equal([
      ["FR", "ALLOWED"],
      ["DE", "ALLOWED"],
      ["US", "NOT_LICENSED"],
      ["FR", "UNKNOWN_WORK"],
      ["FR", "UNKNOWN_ACCOUNT"],
    ]);
    const json = path.join(work, "uploads.json");
    writeFileSync(
      json,
      JSON.stringify([
        { work: WORK, account: ACCOUNT, territory: "FR" },
        { work: WORK, account: ACCOUNT, territory: "DE" },
      ]),
    );
    const all = await check(["--batch", json, "--right", "MAKE_AVAILABLE", "--pepper-file", pepperFile]);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.json<CheckJson>().answers.map((a) => a.answer)).to.deep.equal(["ALLOWED", "ALLOWED"]);
  });

  it("check refuses bad input, a member that is not a platform, and direct mode", async () => {
    const bad = await check(["--work", "0x12", "--account", ACCOUNT, "--territory", "FR", "--right", "MAKE_AVAILABLE"]);
    expect(bad.code).to.equal(ExitCode.INPUT);
    const right = await check(["--work", WORK, "--account", ACCOUNT, "--territory", "FR", "--right", "STEAL"]);
    expect(right.code).to.equal(ExitCode.INPUT);
    const court = await check(
      ["--work", WORK, "--account", ACCOUNT, "--territory", "FR", "--right", "MAKE_AVAILABLE"],
      "court",
    );
    expect(court.code).to.equal(ExitCode.AUTH);
    const direct = await cli(
      ["licence", "check", "--work", WORK, "--account", ACCOUNT, "--territory", "FR", "--right", "MAKE_AVAILABLE"],
      { key: "platform", mode: "direct" },
    );
    expect(direct.code).to.equal(ExitCode.CONFIG);
  });

  it("residence: the rights holder states it, then withdraws it", async () => {
    await ok(["licence", "residence", WORK, "--country", "FR", "--json"], { key: "holder" });
    expect((await licences.getWork(WORK))?.holderResidence).to.equal("FR");
    // The gateway's work read shows it.
    const asHolder = await GatewayClient.signIn(gw.url, holder);
    expect(await asHolder.request(`GET`, `/v1/works/${WORK}`)).to.include({ holderResidence: "FR" });
    // Only the rights holder: the licensee's statement is refused by the contract.
    const stranger = await cli(["licence", "residence", WORK, "--country", "DE"], { key: "licensee" });
    expect(stranger.code).to.equal(ExitCode.REFUSED);
    await ok(["licence", "residence", WORK, "--withdraw"], { key: "holder" });
    expect((await licences.getWork(WORK))?.holderResidence).to.equal(undefined);
    expect(await asHolder.request(`GET`, `/v1/works/${WORK}`)).to.include({ holderResidence: null });
  });

  it("unlink-account (the licensee): the account is unknown again", async () => {
    await ok(["licence", "unlink-account", "--platform", "3", "--account", ACCOUNT, "--pepper-file", pepperFile], {
      key: "licensee",
    });
    const r = await check([
      "--work",
      WORK,
      "--account",
      ACCOUNT,
      "--pepper-file",
      pepperFile,
      "--territory",
      "FR",
      "--right",
      "MAKE_AVAILABLE",
    ]);
    expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
    expect(r.json<CheckJson>().answers[0]!.answer).to.equal("UNKNOWN_ACCOUNT");
  });
});
