import { expect } from "chai";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Wallet } from "ethers";
import { EvidenceCategory, buildManifest, generateRecipientKey, rewrapPackage, sealPackage } from "../../sdk/src";
import { auditModule, verifyAuditChain, type AuditEntry } from "../../server/src/audit";
import { authModule } from "../../server/src/auth/siwe";
import {
  BackupError,
  backupGateway,
  restoreGateway,
  runningMarkModule,
  type BackupManifest,
  type BackupResult,
} from "../../server/src/backup";
import type { GatewayModule, RunningGateway } from "../../server/src/gateway";
import { addKeys } from "../../server/src/keystore";
import { keepPackage, retentionModule, runPurge } from "../../server/src/retention";
import { collect, deterministicStream } from "../helpers/streams";
import { devKey, startTestChain, startTestGateway, testGatewayConfig, type TestChain } from "../helpers/gateway";

const PASSWORD = "correct horse battery staple";
const root = path.resolve(__dirname, "..", "..");
const modules: GatewayModule[] = [authModule, auditModule, retentionModule, runningMarkModule];

describe("gateway backup and restore (real chain, embedded content store)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let work: string;
  const fr = new Wallet(devKey(1)); // member 1: FR AGENCY + GOVERNOR
  const cids: string[] = [];
  let expected: Record<string, unknown>;
  let backup: BackupResult;
  let cliBackup: string;

  const start = () => startTestGateway(chain, modules, { keystorePassword: PASSWORD, purgeIntervalSeconds: "0" });
  const config = () => testGatewayConfig(chain, { keystorePassword: PASSWORD });
  const token = async (g: RunningGateway) =>
    (
      await g.ctx.sessions.issue({
        kind: "member",
        memberId: 1n,
        roles: ["AGENCY", "GOVERNOR"],
        jurisdiction: "FR",
        address: fr.address,
      })
    ).token;
  const get = async (g: RunningGateway, p: string) => {
    const res = await fetch(`${g.url}${p}`, { headers: { authorization: `Bearer ${await token(g)}` } });
    expect(res.status, p).to.equal(200);
    return (await res.json()) as Record<string, unknown>;
  };
  /** What the member sees of its data, and the content of every stored package. */
  async function answers(g: RunningGateway): Promise<Record<string, unknown>> {
    const retention = await get(g, "/v1/retention");
    const content: Record<string, string> = {};
    for (const cid of cids) {
      for (const part of ["envelope.jwe.json", "files/0"]) {
        content[`${cid}/${part}`] = (await collect(g.ctx.store.get(`${cid}/${part}`))).toString("base64");
      }
    }
    return {
      audit: ((await get(g, "/v1/audit?limit=1000")).entries as AuditEntry[]).filter((e) => e.action !== "signed-in"),
      holds: await get(g, "/v1/legal-holds"),
      purges: await get(g, "/v1/purges"),
      packages: retention.packages,
      content,
      hostedMembers: [...g.ctx.members.keys()].map(String),
    };
  }
  async function refused(p: Promise<unknown>, code: string): Promise<BackupError> {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(BackupError);
      expect((err as BackupError).code, String(err)).to.equal(code);
      return err as BackupError;
    }
    return expect.fail(`expected ${code}`);
  }

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-backup-"));
    const packageKey = await generateRecipientKey("fr package key");
    await addKeys(path.join(chain.dataDir, "gateway", "keys"), PASSWORD, {
      memberId: 1,
      packageKeys: [packageKey.privateKey],
    });
    gw = await start();
    // Data to back up: packages (one re-wrapped, sharing blocks), a hold, a purge, their audit entries.
    const file = path.join(work, "capture.bin");
    writeFileSync(file, await collect(deterministicStream(3 * 1_048_576 + 17, "backup")));
    const files = [{ path: "capture.bin", source: file }];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.VIDEO_CAPTURE,
      acquisition: {
        tool: { name: "t", version: "1" },
        method: "download",
        collector: { name: "c" },
        collectedAt: "2026-01-01T00:00:00Z",
        source: { platform: "p" },
        jurisdiction: { collecting: "FR" },
      },
    });
    const sealed = await sealPackage({ manifest, files, recipients: [packageKey.publicKey], store: gw.ctx.store });
    const court = await generateRecipientKey("court");
    const shared = await rewrapPackage({
      cid: sealed.cid,
      store: gw.ctx.store,
      holderKey: packageKey.privateKey,
      recipients: [court.publicKey],
    });
    const short = await sealPackage({ manifest, files, recipients: [court.publicKey], store: gw.ctx.store });
    const now = await gw.ctx.cp.chainTime();
    await keepPackage(gw.ctx, { cid: sealed.cid, memberId: 1, reason: "evidence package" });
    await keepPackage(gw.ctx, { cid: shared.cid, memberId: 1, until: now + 7 * 86_400 });
    await keepPackage(gw.ctx, { cid: short.cid, memberId: 1, until: now + 60 });
    cids.push(sealed.cid, shared.cid);
    const hold = await fetch(`${gw.url}/v1/legal-holds`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await token(gw)}` },
      body: JSON.stringify({ cid: shared.cid, reason: "court order 2026/3" }),
    });
    expect(hold.status).to.equal(201);
    await chain.provider.send("evm_increaseTime", [61]);
    await chain.provider.send("evm_mine", []);
    expect((await runPurge(gw.ctx)).purged.map((e) => e.cid)).to.deep.equal([short.cid]);
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("backs up while the gateway serves: the database online, the blocks, the key files, a manifest of hashes", async function () {
    expected = await answers(gw);
    // Requests keep coming while the backup runs.
    let served = 0;
    let done = false;
    const load = (async () => {
      while (!done) {
        await get(gw, "/v1/retention");
        served++;
      }
    })();
    backup = await backupGateway(gw.ctx.config, { to: path.join(work, "backup") }).finally(() => {
      done = true;
    });
    await load;
    expect(served).to.be.greaterThan(0);
    const paths = backup.manifest.files.map((f) => f.path);
    expect(paths).to.include.members(["gateway.db", "deployment.json", "keys/member-1.jwe"]);
    const blocks = paths.filter((p) => p.startsWith("content/"));
    const kept = new Set([...(await gw.ctx.store.blocksOf(cids[0]!)), ...(await gw.ctx.store.blocksOf(cids[1]!))]);
    expect(blocks).to.have.length(kept.size); // the purged package's own blocks are gone
    expect(backup.manifest).to.include({ format: "crossproof.gateway-backup/1", chainId: chain.record.chainId });
    expect(backup.manifest.contentStore).to.deep.equal({ kind: "embedded" });
    // The key file is copied as it is: still encrypted.
    expect(readFileSync(path.join(backup.dir, "keys", "member-1.jwe"), "utf8")).to.equal(
      readFileSync(path.join(chain.dataDir, "gateway", "keys", "member-1.jwe"), "utf8"),
    );
    // A backup goes into a new folder only.
    await refused(backupGateway(gw.ctx.config, { to: backup.dir }), "TARGET_NOT_EMPTY");
  });

  it("backs up from the command line too (npm run gateway:backup), in another process", async function () {
    cliBackup = path.join(work, "cli-backup");
    const { stdout } = await promisify(execFile)("npm", ["run", "-s", "gateway:backup", "--", "--to", cliBackup], {
      cwd: root,
      env: { ...process.env, CROSSPROOF_DATA_DIR: chain.dataDir, CROSSPROOF_RPC_URL: chain.anvil.url },
    });
    const manifest = JSON.parse(readFileSync(path.join(cliBackup, "manifest.json"), "utf8")) as BackupManifest;
    expect(stdout).to.match(/manifest sha256 [0-9a-f]{64}/);
    expect(manifest.files.map((f) => f.path)).to.deep.equal(backup.manifest.files.map((f) => f.path));
  });

  it("refuses to restore while a gateway runs on the data", async function () {
    const err = await refused(restoreGateway(config(), { from: backup.dir, force: true }), "GATEWAY_RUNNING");
    expect(err.message).to.contain(gw.url);
  });

  it("wipe the data folder, restore, start a new gateway: the same answers (audit, holds, purges, packages, content)", async function () {
    await gw.close();
    for (const entry of readdirSync(chain.dataDir)) rmSync(path.join(chain.dataDir, entry), { recursive: true });
    const restored = await restoreGateway(config(), { from: backup.dir, expectSha256: backup.manifestSha256 });
    expect(restored.movedAside).to.deep.equal([]);
    expect(existsSync(path.join(chain.dataDir, "deployment.json"))).to.equal(true);
    gw = await start();
    expect(verifyAuditChain(gw.ctx.db).valid).to.equal(true);
    expect(await answers(gw)).to.deep.equal(expected);
  });

  it("refuses a tampered backup, naming the file, before writing anything", async function () {
    await gw.close();
    const dbBefore = readFileSync(config().database);
    const copy = (name: string) => {
      const dir = path.join(work, name);
      cpSync(cliBackup, dir, { recursive: true });
      return dir;
    };
    // A block changed.
    const tampered = copy("tampered-block");
    const manifest = JSON.parse(readFileSync(path.join(tampered, "manifest.json"), "utf8")) as BackupManifest;
    const block = manifest.files.find((f) => f.path.startsWith("content/"))!.path;
    const bytes = readFileSync(path.join(tampered, block));
    bytes[0]! ^= 1;
    writeFileSync(path.join(tampered, block), bytes);
    const err = await refused(restoreGateway(config(), { from: tampered, force: true }), "FILE_HASH_MISMATCH");
    expect(err.details).to.include({ path: block });
    // The database changed.
    const db = copy("tampered-db");
    const dbBytes = readFileSync(path.join(db, "gateway.db"));
    dbBytes[dbBytes.length - 1]! ^= 1;
    writeFileSync(path.join(db, "gateway.db"), dbBytes);
    await refused(restoreGateway(config(), { from: db, force: true }), "FILE_HASH_MISMATCH");
    // A file slipped in, a file removed, the manifest not the one the backup printed.
    const extra = copy("extra-file");
    writeFileSync(path.join(extra, "keys", "member-9.jwe"), "not from the backup");
    await refused(restoreGateway(config(), { from: extra, force: true }), "FILE_UNLISTED");
    const missing = copy("missing-file");
    rmSync(path.join(missing, "keys", "member-1.jwe"));
    await refused(restoreGateway(config(), { from: missing, force: true }), "FILE_MISSING");
    await refused(
      restoreGateway(config(), { from: cliBackup, force: true, expectSha256: backup.manifestSha256 }),
      "MANIFEST_DIGEST_MISMATCH",
    );
    expect(readFileSync(config().database).equals(dbBefore)).to.equal(true);
  });

  it("does not replace data without force; with force, moves it aside", async function () {
    await refused(restoreGateway(config(), { from: cliBackup }), "DATA_EXISTS");
    const r = await restoreGateway(config(), { from: cliBackup, force: true });
    expect(r.movedAside.length).to.be.greaterThan(0);
    for (const p of r.movedAside) expect(existsSync(p), p).to.equal(true);
    gw = await start();
    expect(await answers(gw)).to.deep.equal(expected);
  });
});
