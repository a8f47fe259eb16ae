import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  EmbeddedContentStore,
  EvidenceCategory,
  buildManifest,
  reportTime,
  generateRecipientKey,
  sealPackage,
} from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";
import { memberTokens } from "../helpers/faults";
import { KuboRpcDouble } from "../helpers/kubo-rpc-double";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";

interface Problem {
  type: string;
  status: number;
  detail: string;
  code?: string;
}

/** Every file under `dir` (the blocks of an embedded store), as relative paths. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Mounts a tmpfs of `size` at `dir` (root only); false where mounting is not permitted. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Faults of the content store: a Kubo node that does not answer, and an embedded store whose disk fills up while a
 * package is imported. The gateway answers a clear problem, writes no record of what it did not store, and the
 * upload succeeds when tried again once the store is back.
 */
describe("fault: the content store unavailable or full (real chain, full gateway)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let work: string;
  let local: EmbeddedContentStore;

  before(async () => {
    chain = await startTestChain();
    work = mkdtempSync(path.join(tmpdir(), "crossproof-store-faults-"));
    local = await EmbeddedContentStore.open(path.join(work, "local"));
  });
  after(async () => {
    await local?.close();
    rmSync(work, { recursive: true, force: true });
    await chain?.stop();
  });

  /** A package sealed locally (one file of `bytes` random bytes), and its parts as a multipart form. */
  async function sealed(bytes: number) {
    const dir = mkdtempSync(path.join(work, "evidence-"));
    writeFileSync(path.join(dir, "capture.webm"), randomBytes(bytes));
    const files = [{ path: "capture.webm", source: path.join(dir, "capture.webm") }];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.VIDEO_CAPTURE,
      acquisition: {
        tool: { name: "crossproof-capture", version: "0.1.0" },
        method: "screen-recording",
        collector: { name: "Officer Martin", organisation: "Agence FR (test)", memberId: 1 },
        collectedAt: reportTime(Math.floor(Date.now() / 1000) - 600),
        timeZone: "Europe/Paris",
        source: { url: "https://streams.example/live/42", platform: "Streamly" },
        jurisdiction: { collecting: "FR", firstUpload: "US", primaryDissemination: "DE" },
      },
    });
    const recipient = await generateRecipientKey("court");
    const p = await sealPackage({ manifest, files, recipients: [recipient.publicKey], store: local });
    const parts: [string, Uint8Array][] = [["envelope.jwe.json", await local.getBytes(`${p.cid}/envelope.jwe.json`)]];
    parts.push(["files/0", await local.getBytes(`${p.cid}/files/0`, 100_000_000)]);
    const form = () => {
      const f = new FormData();
      f.append("cid", p.cid);
      for (const [name, b] of parts) f.append("file", new Blob([Buffer.from(b)]), name);
      return f;
    };
    return { cid: p.cid, form };
  }

  async function startGatewayWith(name: string, contentStore: string): Promise<{ gw: RunningGateway; token: string }> {
    const dataDir = path.join(work, name);
    mkdirSync(dataDir, { recursive: true });
    const gw = await startTestGateway(chain, gatewayModules, {
      dataDir,
      deploymentFile: chain.deploymentFile,
      contentStore,
      uploadLimit: "20000000",
      rateLimit: "100000",
    });
    return { gw, token: (await memberTokens(gw.ctx.sessions))[0]! };
  }
  const upload = (gw: RunningGateway, token: string, form: FormData) =>
    fetch(`${gw.url}/v1/packages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
      signal: AbortSignal.timeout(60_000),
    });
  /** What the gateway wrote about packages: retention rows and `uploaded` audit entries. */
  const records = (gw: RunningGateway) => ({
    retained: (gw.ctx.db.prepare("SELECT cid FROM retention_packages ORDER BY cid").all() as { cid: string }[]).map(
      (r) => r.cid,
    ),
    audited: (
      gw.ctx.db.prepare("SELECT subject FROM audit_log WHERE action = 'uploaded' ORDER BY seq").all() as {
        subject: string;
      }[]
    ).map((r) => r.subject),
  });

  it("a Kubo node that does not answer: 503 content-store-unavailable with Retry-After, no record; stored when tried again", async function () {
    const kubo = await KuboRpcDouble.start(path.join(work, "kubo"));
    const proxy: RpcProxy = await startRpcProxy(kubo.url);
    const { gw, token } = await startGatewayWith("kubo-gateway", proxy.url);
    try {
      const p = await sealed(50_000);
      await proxy.down();
      const res = await upload(gw, token, p.form());
      const problem = (await res.json()) as Problem;
      expect(res.status, JSON.stringify(problem)).to.equal(503);
      expect(problem).to.deep.include({
        type: "urn:crossproof:problem:content-store-unavailable",
        code: "CONTENT_STORE_ERROR",
      });
      expect(res.headers.get("retry-after")).to.match(/^[0-9]+$/);
      expect(records(gw)).to.deep.equal({ retained: [], audited: [] });
      await proxy.up();
      const again = await upload(gw, token, p.form());
      const stored = (await again.json()) as { cid: string };
      expect(again.status, JSON.stringify(stored)).to.equal(201);
      expect(stored.cid).to.equal(p.cid);
      expect(kubo.double.pins.has(p.cid)).to.equal(true);
      expect(records(gw)).to.deep.equal({ retained: [p.cid], audited: [p.cid] });
    } finally {
      await gw.close();
      await proxy.close();
      await kubo.double.stop();
    }
  });

  it("a chain that does not answer: the upload fails before anything is stored (no block, no record), stored when tried again", async function () {
    const proxy = await startRpcProxy(chain.anvil.url);
    const store = path.join(work, "chain-down-store");
    const dataDir = path.join(work, "chain-down-gateway");
    mkdirSync(dataDir, { recursive: true });
    const gw = await startTestGateway(chain, gatewayModules, {
      dataDir,
      deploymentFile: chain.deploymentFile,
      rpcUrl: proxy.url,
      contentStore: store,
      uploadLimit: "20000000",
      rateLimit: "100000",
    });
    try {
      const token = (await memberTokens(gw.ctx.sessions))[0]!;
      const p = await sealed(50_000);
      await proxy.down();
      const res = await upload(gw, token, p.form());
      const problem = (await res.json()) as Problem;
      expect(res.status, JSON.stringify(problem)).to.equal(503);
      expect(problem.type).to.equal("urn:crossproof:problem:chain-unavailable");
      expect(filesUnder(store)).to.deep.equal([]);
      expect(records(gw)).to.deep.equal({ retained: [], audited: [] });
      await proxy.up();
      const again = await upload(gw, token, p.form());
      expect(again.status).to.equal(201);
      expect(records(gw)).to.deep.equal({ retained: [p.cid], audited: [p.cid] });
    } finally {
      await gw.close();
      await proxy.close();
    }
  });

  it("a disk that fills up while a package is imported: a clear problem, no block and no record left; a smaller one fits after", async function () {
    const mount = path.join(work, "small-disk");
    mkdirSync(mount);
    // An honest full disk needs a small filesystem: a 2 MiB tmpfs (mounting needs root; elsewhere this is skipped).
    if (!mountTmpfs(mount, "2m")) this.skip();
    let gw: RunningGateway | undefined;
    try {
      let token: string;
      ({ gw, token } = await startGatewayWith("full-disk-gateway", path.join(mount, "content")));
      const store = path.join(mount, "content");
      const before = filesUnder(store);
      const big = await sealed(3_000_000);
      const res = await upload(gw, token, big.form());
      const problem = (await res.json()) as Problem;
      expect(res.status, JSON.stringify(problem)).to.equal(503);
      expect(problem).to.deep.include({
        type: "urn:crossproof:problem:content-store-unavailable",
        code: "CONTENT_STORE_ERROR",
      });
      expect(problem.detail).to.match(/no space left/i);
      // Nothing partial: not one block of the failed import is left, nothing recorded, nothing anchorable.
      expect(filesUnder(store)).to.deep.equal(before);
      expect(records(gw)).to.deep.equal({ retained: [], audited: [] });
      expect(await gw.ctx.store.has(big.cid)).to.equal(false);

      // The space the failed import took is free again: a package that fits is stored.
      const small = await sealed(200_000);
      const ok = await upload(gw, token, small.form());
      const stored = (await ok.json()) as { cid: string };
      expect(ok.status, JSON.stringify(stored)).to.equal(201);
      expect(stored.cid).to.equal(small.cid);
      expect(statSync(store).isDirectory()).to.equal(true);
      expect(records(gw)).to.deep.equal({ retained: [small.cid], audited: [small.cid] });
    } finally {
      await gw?.close();
      execFileSync("umount", [mount]);
    }
  });
});
