/**
 * The `crossproof` command line, driven as a subprocess against a real chain (Anvil, the demo consortium deployed,
 * the demo story run) and a real gateway (HTTP, SIWE, outbox, index): each command, its output for people and in
 * --json (exact domain values), its errors and exit codes.
 *
 * How the CLI runs: its TypeScript source is bundled once with esbuild (dependencies left external, so the very
 * node_modules the SDK uses are loaded) into one file, then each test runs `node <bundle> …`. Running the source
 * through ts-node costs ~5 s per process (it transpiles the SDK's ~15,000 lines every time) and building the SDK's
 * dist with tsc tens of seconds; the bundle takes well under a second and starts in a fraction of one.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id as keccakText } from "ethers";
import {
  ConsortiumClient,
  EmbeddedContentStore,
  batchIdOf,
  generateRecipientKey,
  manifestHash,
  parseManifest,
  recordIdOf,
  reportDigest,
  verifyBatchInclusion,
  type RecipientPrivateKey,
} from "../../sdk/src";
import { buildProgram } from "../../sdk/src/cli/main";
import { ExitCode } from "../../sdk/src/cli/exit-codes";
import { writePackageKey } from "../../sdk/src/cli/keystore";
import type { DemoResult } from "../../scripts/lib/demo";
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
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const root = path.resolve(__dirname, "..", "..");
const PASSWORD = "cli test password";

type Run = CliRun;

describe("crossproof CLI (subprocess, real chain and gateway)", function () {
  this.timeout(600_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let demo: DemoResult;
  let work: string;
  let bundle: string;
  let removeBundle: (() => void) | undefined;
  let reportKid: string;
  /**
   * Key files (encrypted keystores) of the FR agency (1), DE court (2), US platform (3), ES registry (4), CN bureau (6,
   * dev account 10), a rights holder.
   */
  const keys = { fr: "", de: "", us: "", es: "", cn: "", holder: "", label: "" };
  let frPackageKey: string;
  let frPublicKeyFile: string;
  let store: string;

  /** Runs the CLI; `mode` adds the connection flags (gateway: gateway + chain for signing; direct: chain only). */
  function cli(
    args: readonly string[],
    o: {
      mode?: "gateway" | "gateway-only" | "direct" | "none";
      env?: Record<string, string>;
      key?: keyof typeof keys;
    } = {},
  ): Promise<Run> {
    const mode = o.mode ?? "gateway";
    const conn =
      mode === "none"
        ? []
        : mode === "gateway-only"
          ? ["--gateway", gw.url]
          : [
              ...(mode === "gateway" ? ["--gateway", gw.url] : []),
              "--rpc",
              chain.anvil.url,
              "--deployment",
              chain.deploymentFile,
            ];
    const key = o.key === undefined ? [] : ["--key", keys[o.key]];
    return runCli(bundle, [...args, ...conn, ...key], {
      cwd: work,
      env: { CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD, ...o.env },
    });
  }

  /** Whether util-linux `script` is there to run the CLI on a pseudo-terminal. */
  const hasScript = () =>
    new Promise<boolean>((resolve) =>
      spawn("script", ["--version"], { stdio: "ignore" })
        .on("error", () => resolve(false))
        .on("close", (code) => resolve(code === 0)),
    );

  /** Runs the CLI on a pseudo-terminal (stdin and stderr are TTYs); types `password` when it is asked for. */
  function inTerminal(
    args: readonly string[],
    o: { password?: string; env?: Record<string, string> } = {},
  ): Promise<{ code: number | null; text: string }> {
    const command = [process.execPath, bundle, ...args].map((a) => `'${a}'`).join(" ");
    return new Promise((resolve, reject) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], {
        cwd: work,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: work,
          XDG_CONFIG_HOME: path.join(work, "xdg"),
          TERM: "dumb",
          ...o.env,
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString();
        if (o.password !== undefined && text.includes("Password for ") && !child.stdin.writableEnded) {
          child.stdin.end(`${o.password}\r`);
        }
      });
      if (o.password === undefined) child.stdin.end();
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, text }));
    });
  }

  /** Runs and expects exit code 0, showing stderr otherwise. */
  async function ok(args: readonly string[], o: Parameters<typeof cli>[1] = {}): Promise<Run> {
    const r = await cli(args, o);
    expect(r.code, `crossproof ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).to.equal(0);
    return r;
  }

  /** Registers an encryption key for a member on chain (signed by its key, relayed by dev account 8). */
  async function registerEncryptionKey(member: number, key: RecipientPrivateKey["jwk"]) {
    const consortium = await ConsortiumClient.connect(chain.record.contracts.Consortium.address, chain.provider);
    const { d: _d, ...publicJwk } = key as Record<string, unknown>;
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(new Wallet(devKey(member)), member, {
          purpose: "Encryption",
          jwk: publicJwk,
        }),
        chain.account(8),
      )
    ).wait();
  }

  before(async () => {
    chain = await startTestChain();
    const setup = await demoWithCourtKeys(chain);
    ({ demo, work } = setup);
    reportKid = setup.reportKey.kid;
    ({ bundle, remove: removeBundle } = bundleCli("crossproof"));
    // Package (encryption) keys registered on chain: the FR agency's (also a key file the CLI opens), the DE
    // court's (also in the gateway's keystore, so that the gateway opens packages addressed to the court), the US
    // platform's.
    const fr = await generateRecipientKey();
    const de = await generateRecipientKey();
    const us = await generateRecipientKey();
    await registerEncryptionKey(1, fr.privateKey.jwk);
    await registerEncryptionKey(2, de.privateKey.jwk);
    await registerEncryptionKey(3, us.privateKey.jwk);
    await addKeys(setup.keystoreDir, setup.keystorePassword, { memberId: 2, packageKeys: [de.privateKey] });
    frPackageKey = path.join(work, "fr.package-key");
    await writePackageKey(frPackageKey, fr.privateKey, PASSWORD, { iterations: 1000 });
    frPublicKeyFile = path.join(work, "fr.package-key.pub.json");
    writeFileSync(frPublicKeyFile, JSON.stringify(fr.publicKey));
    store = path.join(work, "cli-content");
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
        keystoreDir: setup.keystoreDir,
        keystorePassword: setup.keystorePassword,
        contentStore: demo.storeDir,
        indexerPollMs: "200",
      },
    );
    // Keystores made by the CLI itself (`key import`, from key files: never a private key on the command line).
    for (const [name, index] of [
      ["fr", 1],
      ["de", 2],
      ["us", 3],
      ["es", 4],
      ["cn", 10],
      ["holder", 6],
      ["label", 7],
    ] as const) {
      const raw = path.join(work, `${name}.hex`);
      writeFileSync(raw, devKey(index), { mode: 0o600 });
      keys[name] = path.join(work, `${name}.json`);
      await ok(["key", "import", raw, "--out", keys[name], "--kdf-cost", "1024"], { mode: "none" });
    }
  });

  after(async () => {
    removeBundle?.();
    await gw?.close();
    await chain?.stop();
  });

  describe("keys and settings", () => {
    it("key import wrote a keystore for the key given in a file, and key show names its member", async () => {
      const r = await ok(["key", "show", "--json"], { mode: "direct", key: "fr" });
      expect(r.json()).to.deep.equal({
        address: new Wallet(devKey(1)).address,
        member: { memberId: "1", jurisdiction: "FR", roles: ["AGENCY", "GOVERNOR"] },
      });
      const human = await ok(["key", "show"], { mode: "direct", key: "de" });
      expect(human.stdout).to.match(/member:\s+2 \(DE, COURT,GOVERNOR\)/);
    });

    it("key new writes an encrypted keystore whose password opens it, and a package key with its public half", async () => {
      const out = path.join(work, "new-key.json");
      const r = await ok(["key", "new", "--out", out, "--kdf-cost", "1024", "--json"], { mode: "none" });
      const { address } = r.json<{ address: string }>();
      const file = readFileSync(out, "utf8");
      expect(file).to.not.include(address.slice(2).toLowerCase().repeat(2));
      expect(statSync(out).mode & 0o077, "readable by others").to.equal(0);
      const opened = await Wallet.fromEncryptedJson(file, PASSWORD);
      expect(opened.address).to.equal(address);
      const again = await cli(["key", "new", "--out", out, "--kdf-cost", "1024"], { mode: "none" });
      expect(again.code).to.equal(ExitCode.INPUT);
      expect(again.stderr).to.include("exists");

      const pk = path.join(work, "new.package-key");
      const p = (await ok(["key", "new", "--package", "--out", pk, "--json"], { mode: "none" })).json<{
        kid: string;
        publicKeyFile: string;
      }>();
      const pub = JSON.parse(readFileSync(p.publicKeyFile, "utf8")) as { kid: string; jwk: Record<string, unknown> };
      expect(pub.kid).to.equal(p.kid);
      expect(pub.jwk).to.not.have.property("d");
      expect(readFileSync(pk, "utf8")).to.match(/^ey[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(statSync(pk).mode & 0o077, "readable by others").to.equal(0);
    });

    it("a wrong keystore password is an auth error (exit 4), one line, no stack trace", async () => {
      const r = await cli(["key", "show"], { mode: "none", key: "fr", env: { CROSSPROOF_KEYSTORE_PASSWORD: "wrong" } });
      expect(r.code).to.equal(ExitCode.AUTH);
      expect(r.stderr).to.match(/^crossproof: wrong password for .*fr\.json\n/);
      expect(r.stderr).to.not.include("    at ");
      const debug = await cli(["key", "show", "--debug"], {
        mode: "none",
        key: "fr",
        env: { CROSSPROOF_KEYSTORE_PASSWORD: "wrong" },
      });
      expect(debug.code).to.equal(ExitCode.AUTH);
      expect(debug.stderr).to.include("    at ");
    });

    it("no password and no terminal: exit 4, saying to set the variable", async () => {
      const r = await cli(["key", "show"], { mode: "none", key: "fr", env: { CROSSPROOF_KEYSTORE_PASSWORD: "" } });
      expect(r.code).to.equal(ExitCode.AUTH);
      expect(r.stderr).to.include("CROSSPROOF_KEYSTORE_PASSWORD");
    });

    it("on a terminal, the password is asked for and not echoed (a pseudo-terminal through `script`)", async function () {
      if (!(await hasScript())) this.skip();
      const out = await inTerminal(["key", "show", "--key", keys.fr], { password: PASSWORD });
      expect(out.code, out.text).to.equal(0);
      expect(out.text).to.include(`Password for ${keys.fr}: `);
      expect(out.text).to.include(new Wallet(devKey(1)).address);
      expect(out.text, "the password was echoed").to.not.include(PASSWORD);
    });

    it("settings come from flags, then the environment, then the config file", async () => {
      const configFile = path.join(work, "xdg", "crossproof", "cli.json");
      mkdirSync(path.dirname(configFile), { recursive: true });
      writeFileSync(configFile, JSON.stringify({ gateway: "http://config.invalid:1", key: "../../fr.json" }));
      const r = (
        await ok(["config", "--json", "--rpc", "http://flag.invalid:2"], {
          mode: "none",
          env: { CROSSPROOF_GATEWAY: "http://env.invalid:3" },
        })
      ).json();
      expect(r).to.deep.equal({
        configFile,
        mode: "gateway",
        gateway: "http://env.invalid:3",
        rpc: "http://flag.invalid:2",
        deployment: null,
        key: path.join(work, "fr.json"),
        relayerKey: null,
        store: null,
        sources: { gateway: "env", rpc: "flag", key: "config" },
      });
      writeFileSync(configFile, JSON.stringify({ gatway: "typo" }));
      const bad = await cli(["config"], { mode: "none" });
      expect(bad.code).to.equal(ExitCode.CONFIG);
      expect(bad.stderr).to.include('unknown setting "gatway"');
      writeFileSync(configFile, "{}");
    });
  });

  describe("consortium reads", () => {
    /** The demo consortium's founders, in order (members 1…n), as its configuration file lists them. */
    const expectedMembers = (
      JSON.parse(readFileSync(path.join(__dirname, "..", "..", "config", "demo-consortium.json"), "utf8")) as {
        founders: { jurisdiction: string; roles: string[] }[];
      }
    ).founders.map((f, i) => [String(i + 1), f.jurisdiction, f.roles]);

    for (const mode of ["gateway", "direct"] as const) {
      it(`members (${mode}): the same list either way`, async () => {
        const r = await ok(["members", "--json"], { mode });
        const members = r.json<{
          members: { memberId: string; jurisdiction: string; roles: string[]; status: string }[];
        }>().members;
        expect(members.map((m) => [m.memberId, m.jurisdiction, m.roles])).to.deep.equal(expectedMembers);
        expect(members.every((m) => m.status === "Active")).to.be.true;
      });
    }

    it("members for people: a table", async () => {
      const r = await ok(["members"]);
      expect(r.stdout.split("\n")[0]).to.match(/^id\s+jurisdiction\s+roles\s+status\s+since$/);
      expect(r.stdout).to.match(/\n2\s+DE\s+COURT,GOVERNOR\s+Active\s+\d{4}-/);
    });

    it("agreements: the demo's recognition agreements, concluded", async () => {
      for (const mode of ["gateway", "direct"] as const) {
        const list = (await ok(["agreements", "--json"], { mode })).json<{
          agreements: { from: string; to: string; minAssurance: string[]; concludedAt: string | null }[];
        }>().agreements;
        const frDe = list.find((a) => a.from === "FR" && a.to === "DE")!;
        expect(frDe.minAssurance).to.deep.equal(["COMPLETE_CUSTODY", "TIMELY_ANCHOR"]);
        expect(frDe.concludedAt).to.match(/^\d{4}-\d{2}-\d{2}T/);
      }
    });

    it("keys: the court's signing key, report key and encryption key", async () => {
      for (const mode of ["gateway", "direct"] as const) {
        const k = (await ok(["keys", "2", "--json"], { mode })).json<{
          signingKeys: { address: string; validNow: boolean }[];
          publicKeys: { kid: string; purpose: string }[];
        }>();
        expect(k.signingKeys.map((s) => [s.address, s.validNow])).to.deep.equal([
          [new Wallet(devKey(2)).address, true],
        ]);
        expect(k.publicKeys.filter((p) => p.purpose === "Report").map((p) => p.kid)).to.deep.equal([reportKid]);
        expect(k.publicKeys.filter((p) => p.purpose === "Encryption")).to.have.length(1);
      }
    });
  });

  describe("evidence: package, anchor, custody, verify, share", () => {
    let capture: string;
    let pkg: {
      contentHash: string;
      cid: string;
      category: number;
      files: { path: string; size: number; sha256: string }[];
      recipients: string[];
    };
    let recordId: string;
    let batchId: string;
    let manifestFile: string;
    const salt = `0x${"ab".repeat(32)}`;

    before(() => {
      capture = path.join(work, "evidence", "capture.webm");
      mkdirSync(path.dirname(capture), { recursive: true });
      writeFileSync(capture, randomBytes(300_000));
    });

    it("package: hashes, encrypts for the recipients, uploads to the gateway; prints hash and CID", async () => {
      manifestFile = path.join(work, "evidence", "manifest.json");
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
          "Officier He\u0301le\u0300ne", // decomposed accents: the CLI normalises to NFC
          "--source-url",
          "https://streams.example/live/42",
          "--first-upload",
          "US",
          "--primary-dissemination",
          "FR",
          "--recipient",
          frPublicKeyFile,
          "--recipient",
          "2",
          "--store",
          store,
          "--manifest-out",
          manifestFile,
          "--json",
        ],
        { key: "fr" },
      );
      pkg = r.json();
      writeFileSync(path.join(work, "package.json"), r.stdout);
      const manifest = parseManifest(JSON.parse(readFileSync(manifestFile, "utf8")));
      expect(pkg.contentHash).to.equal(await manifestHash(manifest));
      const bytes = readFileSync(capture);
      expect(pkg.files).to.deep.equal([
        { path: "capture.webm", size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") },
      ]);
      expect(pkg.category).to.equal(3);
      expect(pkg.recipients).to.have.length(2);
      const acq = (manifest as { acquisition: { collector: { name: string; memberId: number }; jurisdiction: object } })
        .acquisition;
      expect(acq.collector.name).to.equal("Officier H\u00e9l\u00e8ne");
      expect(acq.collector.memberId).to.equal(1);
      expect(acq.jurisdiction).to.deep.equal({ collecting: "FR", firstUpload: "US", primaryDissemination: "FR" });
      // Stored in the gateway's store (same CID) and in the local store.
      expect(existsSync(store)).to.be.true;
    });

    it("package for people: the hash and CID", async () => {
      const r = await ok(
        [
          "package",
          capture,
          "--category",
          "3",
          "--tool",
          "obs@30.1",
          "--method",
          "screen-recording",
          "--collector",
          "Officer Martin",
          "--source-url",
          "https://streams.example/live/42",
          "--collecting",
          "FR",
          "--recipient",
          frPublicKeyFile,
        ],
        { mode: "none" },
      );
      expect(r.stdout).to.match(/package hash:\s+0x[0-9a-f]{64}\n/);
      expect(r.stdout).to.match(/CID:\s+bafy/);
      expect(r.stderr).to.include("no --store");
    });

    it("package shows a progress bar on a terminal for large inputs, and none when stderr is not a terminal", async function () {
      if (!(await hasScript())) this.skip();
      const big = path.join(work, "evidence", "big.bin");
      writeFileSync(big, randomBytes(9 * 1024 * 1024));
      const flags = ["--category", "3", "--tool", "obs@30.1", "--method", "screen-recording", "--collector", "M"];
      const more = ["--source-url", "https://x.example/1", "--collecting", "FR", "--recipient", frPublicKeyFile];
      const tty = await inTerminal(["package", big, ...flags, ...more], {
        env: { CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD },
      });
      expect(tty.code, tty.text).to.equal(0);
      expect(tty.text).to.match(/hashing +\[[^\]]*\] +\d+%/);
      expect(tty.text).to.match(/encrypting \[[^\]]*\] +\d+%/);
      const piped = await ok(["package", big, ...flags, ...more], { mode: "none" });
      expect(piped.stderr).to.not.include("hashing");
      expect(piped.stdout).to.match(/^package hash: +0x[0-9a-f]{64}$/m);
    });

    it("anchor: the record id is recordIdOf(member, package hash)", async () => {
      const r = await ok(
        [
          "anchor",
          "--package",
          path.join(work, "package.json"),
          "--case",
          "FR-2026-0042",
          "--case-salt",
          salt,
          "--json",
        ],
        { key: "fr" },
      );
      const a = r.json<{
        recordId: string;
        contentHash: string;
        memberId: string;
        packageCid: string;
        transactionHash: string;
      }>();
      recordId = recordIdOf(1n, pkg.contentHash);
      expect(a.recordId).to.equal(recordId);
      expect(a.contentHash).to.equal(pkg.contentHash);
      expect(a.memberId).to.equal("1");
      expect(a.packageCid).to.equal(pkg.cid);
      expect(a.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("the same anchor again is refused by the contract: exit 7, the custom error named", async () => {
      const r = await cli(["anchor", "--package", path.join(work, "package.json")], { key: "fr" });
      expect(r.code).to.equal(ExitCode.REFUSED);
      expect(r.stderr.split("\n")[0]).to.match(/^crossproof: .*Evidence\w*Already\w*/);
    });

    it("custody: collected, transferred, received — complete", async () => {
      await ok(["custody", "event", recordId, "--type", "Collected"], { key: "fr" });
      const t = (
        await ok(["custody", "transfer", recordId, "--to", "2", "--details", "sealed bag 7731", "--json"], {
          key: "fr",
        })
      ).json();
      expect(t).to.include({ recordId, eventType: "Transferred", actor: "1", sequence: 1 });
      const pending = (await ok(["custody", "show", recordId, "--json"], { key: "de" })).json<{ status: string }>();
      expect(pending.status).to.equal("TRANSFER_PENDING");
      await ok(["custody", "receive", recordId, "--from", "1"], { key: "de" });
      for (const mode of ["gateway", "direct"] as const) {
        const c = (await ok(["custody", "show", recordId, "--json"], { key: "de", mode })).json<{
          status: string;
          events: { eventType: string; actor: string; counterparty: string }[];
        }>();
        expect(c.status).to.equal("COMPLETE");
        expect(c.events.map((e) => [e.eventType, e.actor, e.counterparty])).to.deep.equal([
          ["Collected", "1", "0"],
          ["Transferred", "1", "2"],
          ["Received", "2", "1"],
        ]);
      }
    });

    it("--gateway alone (no --rpc, no --deployment): signs with the gateway's domain and nonce", async () => {
      const r = await ok(["custody", "event", recordId, "--type", "Sealed", "--json"], {
        key: "de",
        mode: "gateway-only",
      });
      expect(r.json()).to.include({ recordId, eventType: "Sealed", actor: "2" });
      const c = (await ok(["custody", "show", recordId, "--json"], { key: "de", mode: "direct" })).json<{
        events: { eventType: string }[];
      }>();
      expect(c.events.at(-1)?.eventType).to.equal("Sealed");
    });

    it("custody by a member that does not hold the evidence is refused (exit 7)", async () => {
      const r = await cli(["custody", "event", recordId, "--type", "Sealed"], { key: "us" });
      expect(r.code).to.equal(ExitCode.REFUSED);
    });

    let jwsFile: string;
    it("verify <cid> through the gateway: TOTAL-PASSED, exit 0, the signed report saved", async () => {
      jwsFile = path.join(work, "court-report.jws");
      const r = await ok(["verify", pkg.cid, "--anchored-by", "1", "--out", jwsFile, "--json"], { key: "de" });
      const v = r.json<{
        indication: string;
        signed: boolean;
        savedTo: string;
        report: { subject: { contentHash: string }; issuer: { memberId: string; jurisdiction: string } };
      }>();
      expect(v.indication).to.equal("TOTAL-PASSED");
      expect(v.signed).to.be.true;
      expect(v.savedTo).to.equal(jwsFile);
      expect(v.report.subject.contentHash).to.equal(pkg.contentHash);
      expect(v.report.issuer).to.deep.include({ jurisdiction: "DE" });
      expect(readFileSync(jwsFile, "utf8").trim().split(".")).to.have.length(3);
      // For people: the indication, then the checks as a table.
      const human = await ok(["verify", pkg.cid, "--anchored-by", "1", "--out", path.join(work, "again.jws")], {
        key: "de",
      });
      expect(human.stdout.split("\n")[0]).to.match(/^TOTAL-PASSED: /);
      expect(human.stdout).to.match(/\nscope\s+check\s+result\s+sub-code\s+summary\n/);
      expect(human.stdout).to.match(/evidence\s+MANIFEST_HASH\s+PASSED/);
      expect(human.stdout).to.include("signed report saved to");
    });

    it("report verify: valid, issuer the court, through the gateway and against the chain", async () => {
      for (const mode of ["gateway", "direct"] as const) {
        const r = (await ok(["report", "verify", jwsFile, "--json"], { mode })).json<{
          valid: boolean;
          issuerMemberId: string;
          kid: string;
          indication: string;
        }>();
        expect(r).to.include({ valid: true, issuerMemberId: "2", kid: reportKid, indication: "TOTAL-PASSED" });
      }
    });

    it("report verify of a tampered report: exit 1", async () => {
      const [h, p, s] = readFileSync(jwsFile, "utf8").trim().split(".");
      const payload = JSON.parse(Buffer.from(p!, "base64url").toString()) as { indication: string };
      payload.indication = "TOTAL-FAILED";
      const forged = path.join(work, "forged.jws");
      writeFileSync(forged, [h, Buffer.from(JSON.stringify(payload)).toString("base64url"), s].join("."));
      for (const mode of ["gateway", "direct"] as const) {
        const r = await cli(["report", "verify", forged], { mode });
        expect(r.code, r.stderr).to.equal(ExitCode.VERIFICATION_FAILED);
      }
    });

    it("verify a folder (files + manifest) with a tampered file: TOTAL-FAILED on FILE_HASHES, exit 1", async () => {
      const folder = path.join(work, "tampered");
      mkdirSync(folder, { recursive: true });
      const bytes = readFileSync(capture);
      bytes[1000] ^= 0xff;
      writeFileSync(path.join(folder, "capture.webm"), bytes);
      writeFileSync(path.join(folder, "manifest.json"), readFileSync(manifestFile));
      const r = await cli(["verify", folder, "--anchored-by", "1", "--json"], { key: "de" });
      expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
      const v = r.json<{
        indication: string;
        report: { checks: { check: string; result: string; subCode?: string }[] };
      }>();
      expect(v.indication).to.equal("TOTAL-FAILED");
      expect(v.report.checks.find((c) => c.check === "FILE_HASHES")).to.include({
        result: "FAILED",
        subCode: "FILE_HASH_MISMATCH",
      });
    });

    it("verify the intact file with its manifest: TOTAL-PASSED (gateway upload)", async () => {
      const r = await ok(
        [
          "verify",
          capture,
          "--manifest",
          manifestFile,
          "--anchored-by",
          "1",
          "--json",
          "--out",
          path.join(work, "file.jws"),
        ],
        {
          key: "de",
        },
      );
      expect(r.json<{ indication: string }>().indication).to.equal("TOTAL-PASSED");
    });

    it("verify a package hash alone: at best INDETERMINATE, so exit 1", async () => {
      const r = await cli(
        ["verify", pkg.contentHash, "--anchored-by", "1", "--json", "--out", path.join(work, "h.jws")],
        { key: "de" },
      );
      expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
      expect(r.json<{ indication: string }>().indication).to.equal("INDETERMINATE");
    });

    it("verify directly against the chain (no gateway): the same verdict, unsigned", async () => {
      const r = await ok(["verify", capture, "--manifest", manifestFile, "--anchored-by", "1", "--json"], {
        key: "de",
        mode: "direct",
      });
      const v = r.json<{ indication: string; signed: boolean; savedTo: string | null }>();
      expect(v).to.deep.include({ indication: "TOTAL-PASSED", signed: false, savedTo: null });
    });

    it("verify <cid> directly: opened with a package key from the local store, TOTAL-PASSED unsigned", async () => {
      const r = await ok(
        ["verify", pkg.cid, "--anchored-by", "1", "--package-key", frPackageKey, "--store", store, "--json"],
        { key: "de", mode: "direct" },
      );
      expect(r.json()).to.deep.include({ indication: "TOTAL-PASSED", signed: false });
      // A package key file under another password: refused as an auth error, naming the file.
      const other = path.join(work, "other.package-key");
      await writePackageKey(other, (await generateRecipientKey()).privateKey, "another password", { iterations: 1000 });
      const wrong = await cli(["verify", pkg.cid, "--package-key", other, "--store", store], {
        key: "de",
        mode: "direct",
      });
      expect(wrong.code).to.equal(ExitCode.AUTH);
      expect(wrong.stderr).to.include(`wrong password for ${other}`);
      const noKey = await cli(["verify", pkg.cid, "--store", store], { key: "de", mode: "direct" });
      expect(noKey.code).to.equal(ExitCode.USAGE);
      expect(noKey.stderr).to.include("--package-key");
    });

    it("share (gateway): re-wraps the package for the US platform (same hash, new CID), uploads it, records it", async () => {
      const r = await ok(
        ["share", recordId, "--with", "3", "--package-key", frPackageKey, "--store", store, "--json"],
        {
          key: "fr",
        },
      );
      const s = r.json<{
        cid: string;
        contentHash: string;
        recipient: string;
        eventType: string;
        counterparty: string;
      }>();
      expect(s.contentHash).to.equal(pkg.contentHash);
      expect(s.cid).to.not.equal(pkg.cid);
      expect(s.recipient).to.equal("3");
      expect(s.eventType).to.equal("RecipientAdded");
      // The re-wrapped package is in the gateway's store, and the custody chain records it.
      const gatewayStore = await EmbeddedContentStore.open(demo.storeDir);
      try {
        expect(await gatewayStore.has(s.cid)).to.be.true;
      } finally {
        await gatewayStore.close();
      }
      const c = (await ok(["custody", "show", recordId, "--json"], { key: "fr" })).json<{
        events: { eventType: string; counterparty: string }[];
      }>();
      expect(c.events.at(-1)).to.deep.include({ eventType: "RecipientAdded", counterparty: "3" });
    });

    it("share with a member that already is a recipient: refused (exit 7)", async () => {
      const r = await cli(["share", recordId, "--with", "2", "--package-key", frPackageKey, "--store", store], {
        key: "fr",
        mode: "direct",
      });
      expect(r.code, r.stderr).to.equal(ExitCode.REFUSED);
      expect(r.stderr).to.include("ALREADY_A_RECIPIENT");
    });

    it("batch: one Merkle anchor, a proof per record that the SDK checks", async () => {
      const hashes = [1, 2, 3].map((i) => `0x${createHash("sha256").update(`batch record ${i}`).digest("hex")}`);
      const proofs = path.join(work, "proofs");
      const r = (
        await ok(["batch", ...hashes, "--category", "WEB_PAGE_CAPTURE", "--proofs", proofs, "--json"], { key: "fr" })
      ).json<{
        batchId: string;
        root: string;
        count: number;
        proofs: string[];
      }>();
      expect(r.count).to.equal(3);
      expect(r.batchId).to.equal(batchIdOf(1n, r.root));
      batchId = r.batchId;
      for (const h of hashes) {
        const p = JSON.parse(readFileSync(path.join(proofs, `${h}.json`), "utf8")) as {
          batchId: string;
          proof: string[];
        };
        expect(p.batchId).to.equal(r.batchId);
        expect(verifyBatchInclusion(r.root, h, p.proof)).to.be.true;
      }
      const v = await cli(
        [
          "verify",
          hashes[0]!,
          "--proof",
          path.join(proofs, `${hashes[0]}.json`),
          "--json",
          "--out",
          path.join(work, "b.jws"),
        ],
        {
          key: "de",
        },
      );
      const report = v.json<{
        report: { checks: { check: string; result: string }[]; anchors: { kind: string; batchId: string }[] };
      }>().report;
      expect(report.checks.find((c) => c.check === "ANCHOR_FOUND")?.result).to.equal("PASSED");
      expect(report.anchors.map((a) => [a.kind, a.batchId])).to.deep.equal([["batch", r.batchId]]);
    });

    it("endorse: the DE court endorses FR's record citing its signed report (the report's digest recorded)", async () => {
      const r = await ok(["endorse", recordId, "--verdict", "challenged", "--report", jwsFile, "--json"], {
        key: "de",
        mode: "gateway-only",
      });
      const j = r.json<{ reportHash: string; transactionHash: string }>();
      expect(j.reportHash).to.equal(reportDigest(readFileSync(jwsFile, "utf8").trim()));
      expect(j.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
      const bad = await cli(["endorse", recordId, "--verdict", "maybe", "--report", jwsFile], { key: "de" });
      expect(bad.code).to.equal(ExitCode.INPUT);
      const notAReport = await cli(["endorse", recordId, "--verdict", "Recognized", "--report", manifestFile], {
        key: "de",
      });
      expect(notAReport.code).to.equal(ExitCode.INPUT);
    });

    it("retract: another member cannot retract FR's batch (exit 7); FR can, once (again: exit 7)", async () => {
      const stranger = await cli(["retract", batchId, "--batch", "--reason", "not mine"], { key: "us" });
      expect(stranger.code).to.equal(ExitCode.REFUSED);
      const r = await ok(["retract", batchId, "--batch", "--reason", "wrong case", "--json"], { key: "fr" });
      expect(r.json<{ reasonHash: string }>().reasonHash).to.equal(keccakText("wrong case"));
      const again = await cli(["retract", batchId, "--batch", "--reason", "wrong case"], { key: "fr" });
      expect(again.code).to.equal(ExitCode.REFUSED);
    });
  });

  describe("keys add", () => {
    it("registers an encryption key from `key new --package`'s public half; a private JWK is refused", async () => {
      const pk = path.join(work, "fr-second.package-key");
      const made = (await ok(["key", "new", "--package", "--out", pk, "--json"], { mode: "none" })).json<{
        kid: string;
        publicKeyFile: string;
      }>();
      await ok(["keys", "add", "--purpose", "Encryption", "--jwk", made.publicKeyFile, "--json"], {
        key: "fr",
        mode: "gateway-only",
      });
      const listed = (await ok(["keys", "1", "--json"], { key: "fr", mode: "direct" })).json<{
        publicKeys: { kid: string; purpose: string }[];
      }>();
      expect(listed.publicKeys.filter((k) => k.kid === made.kid).map((k) => k.purpose)).to.deep.equal(["Encryption"]);
      const secret = path.join(work, "private.jwk.json");
      writeFileSync(secret, JSON.stringify((await generateRecipientKey()).privateKey.jwk));
      const refused = await cli(["keys", "add", "--purpose", "Encryption", "--jwk", secret], { key: "fr" });
      expect(refused.code).to.equal(ExitCode.INPUT);
      expect(refused.stderr).to.include("private key");
    });
  });

  describe("licences", () => {
    let workId: string;
    let rootLicence: string;
    let subLicence: string;

    it("register, grant, sublicense: ids on chain", async () => {
      const contentHash = `0x${createHash("sha256").update(`work ${Date.now()}`).digest("hex")}`;
      const w = (
        await ok(
          [
            "licence",
            "register",
            "--content-hash",
            contentHash,
            "--origin",
            "ES",
            "--metadata-cid",
            "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
            "--json",
          ],
          {
            key: "holder",
          },
        )
      ).json<{ workId: string; contentHash: string }>();
      workId = w.workId;
      expect(workId).to.match(/^0x[0-9a-f]{64}$/);
      const end = "2036-01-01T00:00:00Z";
      rootLicence = (
        await ok(
          [
            "licence",
            "grant",
            "--work",
            workId,
            "--licensee",
            new Wallet(devKey(7)).address,
            "--rights",
            "BROADCAST,MAKE_AVAILABLE",
            "--territories",
            "EU",
            "--end",
            end,
            "--sublicensable",
            "--json",
          ],
          { key: "holder" },
        )
      ).json<{ licenceId: string }>().licenceId;
      subLicence = (
        await ok(
          [
            "licence",
            "grant",
            "--work",
            workId,
            "--parent",
            rootLicence,
            "--licensee",
            new Wallet(devKey(3)).address,
            "--rights",
            "BROADCAST",
            "--territories",
            "FR,DE",
            "--end",
            "2035-01-01",
            "--json",
          ],
          { key: "label" },
        )
      ).json<{ licenceId: string }>().licenceId;
      expect(subLicence).to.not.equal(rootLicence);
    });

    it("verify: authorised in FR (exit 0), not in US (exit 1), both modes", async () => {
      for (const mode of ["gateway", "direct"] as const) {
        const yes = (
          await ok(["licence", "verify", subLicence, "--right", "BROADCAST", "--territory", "FR", "--json"], {
            key: "us",
            mode,
          })
        ).json();
        expect(yes).to.include({
          authorized: true,
          reason: "OK",
          licenceId: subLicence,
          right: "BROADCAST",
          territory: "FR",
        });
        const no = await cli(["licence", "verify", subLicence, "--right", "BROADCAST", "--territory", "US", "--json"], {
          key: "us",
          mode,
        });
        expect(no.code).to.equal(ExitCode.VERIFICATION_FAILED);
        // Judged from the rights holder's grant down: the EU licence above it already lacks the US.
        expect(no.json()).to.include({ authorized: false, reason: "TERRITORY_NOT_GRANTED", failedAt: rootLicence });
      }
    });

    it("chain: from the rights holder's grant down", async () => {
      const c = (await ok(["licence", "chain", subLicence, "--json"], { key: "us" })).json<{
        chain: {
          licenceId: string;
          licensor: string;
          licensee: string;
          parentId: string | null;
          territories: string[];
        }[];
      }>().chain;
      expect(c.map((l) => [l.licenceId, l.licensor, l.licensee, l.parentId])).to.deep.equal([
        [rootLicence, new Wallet(devKey(6)).address, new Wallet(devKey(7)).address, null],
        [subLicence, new Wallet(devKey(7)).address, new Wallet(devKey(3)).address, rootLicence],
      ]);
    });

    it("revoke the root licence: the sublicence no longer authorises", async () => {
      await ok(["licence", "revoke", rootLicence, "--reason", "unpaid royalties"], { key: "holder" });
      const r = await cli(["licence", "verify", subLicence, "--right", "BROADCAST", "--territory", "FR", "--json"], {
        key: "us",
        mode: "direct",
      });
      expect(r.code).to.equal(ExitCode.VERIFICATION_FAILED);
      expect(r.json<{ authorized: boolean; failedAt: string }>().failedAt).to.equal(rootLicence);
    });
  });

  describe("assistance", () => {
    let requestId: string;
    it("issue → ack → list → fulfil", async () => {
      const r = (
        await ok(
          [
            "assist",
            "issue",
            "--to",
            "3",
            "--kind",
            "Preserve",
            "--first-upload",
            "US",
            "--primary-dissemination",
            "FR",
            "--legal-basis",
            "CPP art. 60-1",
            "--case",
            "FR-2026-0042",
            "--case-salt",
            `0x${"ab".repeat(32)}`,
            "--json",
          ],
          { key: "fr" },
        )
      ).json<{ requestId: string; deadline: string; state?: string }>();
      requestId = r.requestId;
      expect(requestId).to.match(/^0x[0-9a-f]{64}$/);
      expect(r.deadline).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const ack = (await ok(["assist", "ack", requestId, "--json"], { key: "us" })).json();
      expect(ack).to.include({ requestId, state: "Acknowledged" });
      for (const mode of ["gateway", "direct"] as const) {
        const list = (await ok(["assist", "list", "--role", "addressee", "--json"], { key: "us", mode })).json<{
          requests: { requestId: string; role: string; requester: string; kind: string; stateNow: string }[];
        }>().requests;
        expect(list.find((q) => q.requestId === requestId)).to.include({
          role: "addressee",
          requester: "1",
          kind: "Preserve",
          stateNow: "Acknowledged",
        });
      }
      const response = path.join(work, "response.bin");
      writeFileSync(response, "preservation confirmation");
      const f = (await ok(["assist", "fulfil", requestId, "--response", response, "--json"], { key: "us" })).json();
      expect(f).to.include({ requestId, state: "Fulfilled", late: false });
    });

    it("clarify (asked by the addressee, answered by the requester), then notify: the states on chain", async () => {
      const issued = (
        await ok(
          [
            "assist",
            "issue",
            "--to",
            "3",
            "--kind",
            "produce",
            "--first-upload",
            "US",
            "--primary-dissemination",
            "FR",
            "--legal-basis",
            "CPP art. 60-2",
            "--data",
            "subscriber",
            "--json",
          ],
          { key: "fr" },
        )
      ).json<{ requestId: string }>();
      const id = issued.requestId;
      const asked = (
        await ok(
          ["assist", "clarify", id, "--reason", "InsufficientInformation", "--question", "which account?", "--json"],
          { key: "us" },
        )
      ).json();
      expect(asked).to.include({ requestId: id, state: "AwaitingClarification" });
      const answered = (
        await ok(["assist", "clarify", id, "--answer", "account uploader-77", "--json"], { key: "fr" })
      ).json();
      // Asking for clarification acknowledged the request: answering it resumes from there.
      expect(answered).to.include({ requestId: id, state: "Acknowledged" });
      const both = await cli(["assist", "clarify", id, "--reason", "Incomplete", "--answer", "x"], { key: "fr" });
      expect(both.code).to.equal(ExitCode.USAGE);
      const notified = (
        await ok(
          ["assist", "notify", id, "--reasons", "DataNotStored", "--details", "account purged in March", "--json"],
          {
            key: "us",
          },
        )
      ).json<{ state: string; reasons: string[] }>();
      expect(notified).to.deep.include({ state: "ExecutionImpossible", reasons: ["DataNotStored"] });
      const human = await ok(["assist", "list", "--filter", "all", "--role", "requester"], { key: "fr" });
      expect(human.stdout).to.match(
        new RegExp(`${id.slice(0, 10)}…\\s+requester\\s+Produce\\s+1\\s+3\\s+ExecutionImpossible`),
      );
    });

    it("refusing an answered request is refused by the desk (exit 7)", async () => {
      const r = await cli(["assist", "refuse", requestId, "--grounds", "DATA_NOT_HELD"], { key: "us" });
      expect(r.code).to.equal(ExitCode.REFUSED);
    });

    it("extend-retention (the requester), then withdraw: Withdrawn; nothing to keep after that (exit 7)", async () => {
      const issued = (
        await ok(
          [
            "assist",
            "issue",
            "--to",
            "3",
            "--kind",
            "Preserve",
            "--first-upload",
            "US",
            "--primary-dissemination",
            "FR",
            "--legal-basis",
            "CPP art. 60-1",
            "--json",
          ],
          { key: "fr" },
        )
      ).json<{ requestId: string }>();
      const id = issued.requestId;
      const listed = (await ok(["assist", "list", "--filter", "open", "--json"], { key: "fr", mode: "direct" })).json<{
        requests: { requestId: string; retentionUntil: string | null }[];
      }>();
      const current = listed.requests.find((q) => q.requestId === id)?.retentionUntil;
      expect(current, "the issued request's retention end").to.be.a("string");
      const later = new Date(Date.parse(current!) + 24 * 3600 * 1000).toISOString().replace(".000Z", "Z");
      // Only the requester may extend.
      const stranger = await cli(["assist", "extend-retention", id, "--until", later], { key: "us" });
      expect(stranger.code).to.equal(ExitCode.REFUSED);
      const extended = (
        await ok(["assist", "extend-retention", id, "--until", later, "--json"], { key: "fr", mode: "gateway-only" })
      ).json<{ retentionUntil: string }>();
      expect(extended.retentionUntil).to.equal(later);
      const after = (await ok(["assist", "list", "--filter", "open", "--json"], { key: "fr", mode: "direct" })).json<{
        requests: { requestId: string; retentionUntil: string | null }[];
      }>();
      expect(after.requests.find((q) => q.requestId === id)?.retentionUntil).to.equal(later);
      const withdrawn = (
        await ok(["assist", "withdraw", id, "--reason", "identified domestically", "--json"], { key: "fr" })
      ).json();
      expect(withdrawn).to.include({ requestId: id, state: "Withdrawn" });
      const again = await cli(
        ["assist", "extend-retention", id, "--until", new Date(Date.parse(later) + 3600_000).toISOString()],
        { key: "fr" },
      );
      expect(again.code).to.equal(ExitCode.REFUSED);
    });
  });

  describe("governance", () => {
    it("propose and vote (direct): who pays gas is the member's key, or the --relayer-key", async () => {
      const relayerFile = path.join(work, "relayer.hex");
      writeFileSync(relayerFile, devKey(8), { mode: 0o600 });
      const relayerKey = path.join(work, "relayer.json");
      await ok(["key", "import", relayerFile, "--out", relayerKey, "--kdf-cost", "1024"], { mode: "none" });
      const p = (
        await ok(["propose", "SuspendMember", "--member", "5", "--json"], { key: "fr", mode: "direct" })
      ).json<{
        proposalId: string;
        executed: boolean;
        transactionHash: string;
      }>();
      expect(p.executed).to.be.false;
      expect((await chain.provider.getTransaction(p.transactionHash))?.from).to.equal(new Wallet(devKey(1)).address);
      // Five governors: the proposer's vote and three more reach the 2/3 quorum; the last vote executes it.
      for (const key of ["de", "es"] as const) {
        const early = (await ok(["vote", p.proposalId, "yes", "--json"], { key, mode: "direct" })).json<{
          executed: boolean;
        }>();
        expect(early.executed).to.be.false;
      }
      const v = (
        await ok(["vote", p.proposalId, "yes", "--relayer-key", relayerKey, "--json"], { key: "cn", mode: "direct" })
      ).json<{ executed: boolean; transactionHash: string }>();
      expect(v.executed).to.be.true;
      expect((await chain.provider.getTransaction(v.transactionHash))?.from).to.equal(new Wallet(devKey(8)).address);
      const members = (await ok(["members", "--json"])).json<{ members: { memberId: string; status: string }[] }>()
        .members;
      expect(members.find((m) => m.memberId === "5")?.status).to.equal("Suspended");
    });

    it("propose SetParameter and SetGovernanceParameters: proposals of those kinds; bad values exit 3", async () => {
      const p = (
        await ok(
          [
            "propose",
            "SetParameter",
            "--parameter",
            "crossproof.assistance.responseWindow",
            "--value",
            "1209600",
            "--json",
          ],
          { key: "fr" },
        )
      ).json<{ proposalId: string; kind: string; executed: boolean }>();
      expect(p).to.include({ kind: "SetParameter", executed: false });
      const g = (
        await ok(["propose", "SetGovernanceParameters", "--quorum", "2/3", "--voting-period", "604800", "--json"], {
          key: "fr",
        })
      ).json<{ proposalId: string; kind: string }>();
      expect(g.kind).to.equal("SetGovernanceParameters");
      expect(g.proposalId).to.not.equal(p.proposalId);
      const bad = await cli(["propose", "SetGovernanceParameters", "--quorum", "two thirds", "--voting-period", "1"], {
        key: "fr",
      });
      expect(bad.code).to.equal(ExitCode.INPUT);
    });

    it("agreement propose (FR's governor), approve (ES's), suspend and resume: concluded, then out of force and back", async () => {
      const text = path.join(work, "fr-es-documents.txt");
      writeFileSync(text, "Demo: documents collected in FR are recognised in ES (CLI test).");
      const proposed = (
        await ok(
          [
            "agreement",
            "propose",
            "--from",
            "FR",
            "--to",
            "ES",
            "--categories",
            "DOCUMENT,9",
            "--min-assurance",
            "COMPLETE_CUSTODY",
            "--text",
            text,
            "--json",
          ],
          { key: "fr", mode: "gateway-only" },
        )
      ).json<{ agreementId: string; from: string; to: string; textHash: string }>();
      expect(proposed).to.include({ from: "FR", to: "ES" });
      expect(proposed.textHash).to.equal(
        keccakText("Demo: documents collected in FR are recognised in ES (CLI test)."),
      );
      const approved = (
        await ok(["agreement", "approve", proposed.agreementId, "--json"], { key: "es", mode: "gateway-only" })
      ).json<{ concluded: boolean }>();
      expect(approved.concluded).to.be.true;
      const listed = () =>
        ok(["agreements", "--json"]).then((r) =>
          r
            .json<{ agreements: { agreementId: string; categories: number[]; suspended: boolean }[] }>()
            .agreements.find((a) => a.agreementId === proposed.agreementId)!,
        );
      expect(await listed()).to.deep.include({ categories: [9], suspended: false });
      await ok(["agreement", "suspend", proposed.agreementId, "--json"], { key: "fr", mode: "gateway-only" });
      expect((await listed()).suspended).to.be.true;
      // Only the side that suspended resumes it: ES's governor is refused by the contract's rule.
      const refused = await cli(["agreement", "resume", proposed.agreementId], { key: "es", mode: "gateway-only" });
      expect(refused.code, refused.stderr).to.equal(ExitCode.REFUSED);
      await ok(["agreement", "resume", proposed.agreementId, "--json"], { key: "fr", mode: "gateway-only" });
      expect((await listed()).suspended).to.be.false;
      // Bad input: an unknown category is named before anything is signed.
      const bad = await cli(
        ["agreement", "propose", "--from", "FR", "--to", "ES", "--categories", "PHOTOS", "--text", text],
        { key: "fr", mode: "gateway-only" },
      );
      expect(bad.code).to.equal(ExitCode.INPUT);
      expect(bad.stderr).to.match(/PHOTOS.*not an evidence category/);
    });

    it("a vote by a member without the GOVERNOR role is refused (exit 7)", async () => {
      const r = await cli(["vote", "1", "yes"], { key: "us" });
      expect(r.code, r.stderr).to.equal(ExitCode.REFUSED);
    });
  });

  describe("errors and exit codes", () => {
    it("bad input: exit 3, one line saying what is wrong", async () => {
      const r = await cli(["anchor", "--hash", "0x1234", "--cid", "bafy", "--category", "3", "--collected-at", "0"], {
        key: "fr",
      });
      expect(r.code).to.equal(ExitCode.INPUT);
      expect(r.stderr.split("\n")[0]).to.equal(
        'crossproof: --hash must be 32 bytes of hex (0x + 64 hex digits), got "0x1234"',
      );
    });

    it("a file that is not JSON where JSON is expected: exit 3 naming the file", async () => {
      const notJson = path.join(work, "not.json");
      writeFileSync(notJson, "capture.webm 0x12");
      const r = await cli(["anchor", "--package", notJson], { key: "fr" });
      expect(r.code).to.equal(ExitCode.INPUT);
      expect(r.stderr.split("\n")[0]).to.match(new RegExp(`^crossproof: the package file ${notJson} is not JSON`));
    });

    it("--json errors are a JSON document with the class and exit code", async () => {
      const r = await cli(["custody", "show", "0xzz", "--json"], { key: "fr" });
      expect(r.code).to.equal(ExitCode.INPUT);
      expect(r.json<{ error: { class: string; exitCode: number } }>().error).to.include({
        class: "INPUT",
        exitCode: 3,
      });
    });

    it("unknown command or option: usage, exit 2", async () => {
      expect((await cli(["frobnicate"], { mode: "none" })).code).to.equal(ExitCode.USAGE);
      const r = await cli(["verify"], { mode: "none" });
      expect(r.code).to.equal(ExitCode.USAGE);
      expect(r.stderr).to.include("missing required argument");
    });

    it("gateway unreachable: exit 6, naming the URL", async () => {
      const r = await cli(["members", "--gateway", "http://127.0.0.1:9"], { mode: "none" });
      expect(r.code).to.equal(ExitCode.NETWORK);
      expect(r.stderr).to.include("cannot reach the gateway at http://127.0.0.1:9");
    });

    it("chain node unreachable: exit 6", async () => {
      const r = await cli(["members", "--rpc", "http://127.0.0.1:9", "--deployment", chain.deploymentFile], {
        mode: "none",
      });
      expect(r.code).to.equal(ExitCode.NETWORK);
    });

    it("no deployment configured: exit 8 saying which flag", async () => {
      const r = await cli(["members", "--rpc", chain.anvil.url], { mode: "none" });
      expect(r.code).to.equal(ExitCode.CONFIG);
      expect(r.stderr).to.include("--deployment");
    });

    it("a key that is no member's cannot anchor: exit 4", async () => {
      const r = await cli(["anchor", "--package", path.join(work, "package.json")], { key: "holder" });
      expect(r.code).to.equal(ExitCode.AUTH);
      expect(r.stderr).to.include("is not a signing key of any member");
    });

    it("not found: a custody chain of an unknown record through the gateway (exit 5)", async () => {
      const r = await cli(["custody", "show", `0x${"12".repeat(32)}`], { key: "fr" });
      expect(r.code, r.stderr).to.equal(ExitCode.NOT_FOUND);
    });
  });

  describe("help and completion", () => {
    it("every command's --help has examples", () => {
      let printed = "";
      const sink = { write: (s: string) => ((printed += s), true) } as unknown as NodeJS.WritableStream;
      const program = buildProgram({ stdout: sink, stderr: sink, env: {}, passwords: { env: {}, prompt: undefined } });
      const leaves: string[] = [];
      const walk = (c: typeof program, prefix: string) => {
        for (const s of c.commands) {
          const name = `${prefix}${s.name()}`;
          if (s.commands.length > 0) {
            // A group that is a command too (`keys [member]`, with `keys add`): its own help has examples.
            printed = "";
            s.outputHelp();
            if (/\nExamples:\n/.test(printed)) leaves.push(name);
            walk(s, `${name} `);
            continue;
          }
          leaves.push(name);
          printed = "";
          s.outputHelp();
          expect(printed, name).to.match(/\nExamples:\n {2}\$ .*crossproof /);
        }
      };
      walk(program, "");
      expect(leaves).to.include.members([
        "package",
        "anchor",
        "batch",
        "custody transfer",
        "custody receive",
        "custody event",
        "verify",
        "report verify",
        "licence register",
        "licence grant",
        "licence revoke",
        "licence verify",
        "licence chain",
        "assist issue",
        "assist ack",
        "assist clarify",
        "assist notify",
        "assist fulfil",
        "assist refuse",
        "assist list",
        "assist withdraw",
        "assist extend-retention",
        "licence check",
        "licence link-account",
        "licence confirm-link",
        "licence unlink-account",
        "licence residence",
        "endorse",
        "retract",
        "keys add",
        "members",
        "agreements",
        "keys",
        "share",
        "propose",
        "vote",
        "key new",
        "key import",
        "completion",
      ]);
    });

    it("--help of a command prints its examples (subprocess)", async () => {
      for (const cmd of [["verify"], ["assist", "issue"], ["licence", "grant"]]) {
        const r = await ok([...cmd, "--help"], { mode: "none" });
        expect(r.stdout).to.match(/\nExamples:\n {2}\$ crossproof /);
      }
    });

    it("the package's bin runs the CLI (in this checkout: its source, as `npx crossproof` does)", async () => {
      const version = (JSON.parse(readFileSync(path.join(root, "sdk", "package.json"), "utf8")) as { version: string })
        .version;
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(root, "sdk", "bin", "crossproof.cjs"), "--version"], {
          cwd: work,
          stdio: ["ignore", "pipe", "inherit"],
        });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout }));
      });
      expect(out).to.deep.equal({ code: 0, stdout: `${version}\n` });
    });

    it("completion bash is a valid bash script that completes commands", async () => {
      const r = await ok(["completion", "bash"], { mode: "none" });
      const script = path.join(work, "completion.bash");
      writeFileSync(script, r.stdout);
      const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          "bash",
          [
            "-c",
            `source ${script}; COMP_WORDS=(crossproof assi); COMP_CWORD=1; _crossproof; echo "\${COMPREPLY[*]}"; COMP_WORDS=(crossproof assist f); COMP_CWORD=2; _crossproof; echo "\${COMPREPLY[*]}"`,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
      });
      expect(check.code).to.equal(0);
      expect(check.out.split("\n").slice(0, 2)).to.deep.equal(["assist", "fulfil"]);
      expect((await cli(["completion", "fish"], { mode: "none" })).code).to.equal(ExitCode.USAGE);
    });
  });
});
