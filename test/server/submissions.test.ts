import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { SigningKey, Wallet, id as keccakText } from "ethers";
import { pino } from "pino";
import {
  EmbeddedContentStore,
  computeCid,
  connect,
  generateRecipientKey,
  parseWireRequest,
  recordIdOf,
  sealPackage,
  signEvidenceRequest,
  signRelayedTransaction,
  signedRequestCall,
  toWireRequest,
  type Crossproof,
  type Hex,
  type RoleName,
  type WireSignedRequest,
} from "../../sdk/src";
import { freePort } from "../../scripts/lib/anvil";
import { openDatabase } from "../../server/src/db";
import { startGateway, type RunningGateway } from "../../server/src/gateway";
import { Outbox } from "../../server/src/outbox";
import { authModule } from "../../server/src/auth/siwe";
import { packagesModule } from "../../server/src/routes/packages";
import { submissionsModule } from "../../server/src/routes/submissions";
import { devKey, startTestChain, testGatewayConfig, type TestChain } from "../helpers/gateway";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { evidenceOnDisk } from "../helpers/verification";
import { exited, gatewayProcess, pool, until, type GatewayProcess } from "../helpers/faults";

/** The demo members that may anchor, with their keys and roles. */
const MEMBERS = [
  { memberId: 1n, key: devKey(1), roles: ["AGENCY", "GOVERNOR"], jurisdiction: "FR" },
  { memberId: 2n, key: devKey(2), roles: ["COURT", "GOVERNOR"], jurisdiction: "DE" },
  { memberId: 3n, key: devKey(3), roles: ["PLATFORM"], jurisdiction: "US" },
] as const;
const wallets = MEMBERS.map((m) => new Wallet(m.key));

interface ProblemDoc {
  type: string;
  status: number;
  detail: string;
  code?: string;
  error?: string;
  argsInWords?: Record<string, string>;
}
interface Accepted {
  id: string;
  status: string;
  statusUrl: string;
}
interface SubmissionDoc {
  id: string;
  status: "pending" | "confirmed" | "failed";
  state: string;
  checkedAtIntake: boolean;
  transaction?: { hash: string; nonce: number; blockNumber?: number };
  result?: Record<string, string>;
  error?: { code: string; error?: string; message: string; argsInWords?: Record<string, string> };
}

describe("gateway submissions: the durable outbox (real HTTP, real chain)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let proxy: RpcProxy;
  let gw: RunningGateway;
  let cp: Crossproof;
  const tokens: string[] = [];
  /** The gateway's log (shown when a test fails), without the request lines. */
  const gatewayLog: string[] = [];
  let n = 0;

  before(async () => {
    chain = await startTestChain();
    proxy = await startRpcProxy(chain.anvil.url);
    gw = await startGateway(
      testGatewayConfig(chain, { rpcUrl: proxy.url, uploadLimit: String(1_000_000), rateLimit: String(100_000) }),
      // The auth module re-checks every member token on chain; while the chain is down the token stands.
      [authModule, submissionsModule, packagesModule],
      { log: pino({ level: "debug" }, { write: (line: string) => void gatewayLog.push(line) }) },
    );
    cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.deploymentFile });
    for (const [i, m] of MEMBERS.entries()) {
      const { token } = await gw.ctx.sessions.issue({
        kind: "member",
        memberId: m.memberId,
        roles: [...m.roles] as RoleName[],
        jurisdiction: m.jurisdiction,
        address: wallets[i]!.address,
      });
      tokens.push(token);
    }
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      console.log(
        gatewayLog
          .filter((l) => !l.includes('"req":'))
          .slice(-80)
          .join(""),
      );
    }
    gatewayLog.length = 0;
  });
  after(async () => {
    cp?.close();
    await gw?.close();
    await proxy?.close();
    await chain?.stop();
  });

  const url = (p: string) => `${gw.url}${p}`;
  const submit = (wire: unknown, token = tokens[0]!) =>
    fetch(url("/v1/submissions"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(wire),
    });
  const status = async (id: string, token = tokens[0]!) => {
    const res = await fetch(url(`/v1/submissions/${id}`), { headers: { authorization: `Bearer ${token}` } });
    return { res, body: (await res.json()) as SubmissionDoc };
  };
  const settled = (id: string, token = tokens[0]!) =>
    until(`submission ${id}`, async () => {
      const { body } = await status(id, token);
      return body.status === "pending" ? undefined : body;
    });
  async function expectProblem(res: Response, httpStatus: number, slug: string, code?: string): Promise<ProblemDoc> {
    const p = (await res.json()) as ProblemDoc;
    expect(res.status, JSON.stringify(p)).to.equal(httpStatus);
    expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect(p.type).to.equal(`urn:crossproof:problem:${slug}`);
    if (code !== undefined) expect(p.code, p.detail).to.equal(code);
    return p;
  }
  const outboxRows = () => (gw.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;

  /** An anchor by member `by` (index in MEMBERS) of fresh content. */
  async function anchor(by = 0, o: { contentHash?: Hex; validFor?: number } = {}) {
    const seed = `evidence ${++n} ${randomBytes(8).toString("hex")}`;
    const contentHash = o.contentHash ?? (keccakText(seed) as Hex);
    const signed = await cp.evidence.signAnchorEvidence(wallets[by]!, {
      contentHash,
      packageCid: await computeCid(Buffer.from(seed)),
      category: 3,
      firstUpload: "US",
      caseRef: keccakText(`case ${seed}`),
      collectedAt: (await cp.chainTime()) - 3600,
      ...(o.validFor === undefined ? {} : { validFor: o.validFor }),
    });
    return { signed, contentHash, wire: toWireRequest(signed), memberId: MEMBERS[by]!.memberId };
  }

  describe("intake and status", function () {
    let first: { id: string; recordId: Hex; wire: WireSignedRequest };

    it("anchors a request signed by member 1: 202, then confirmed with the new record id", async function () {
      const a = await anchor(0);
      const res = await submit(a.wire);
      const body = (await res.json()) as Accepted;
      expect(res.status, JSON.stringify(body)).to.equal(202);
      expect(body.status).to.equal("pending");
      expect(body.statusUrl).to.equal(`/v1/submissions/${body.id}`);
      expect(res.headers.get("location")).to.equal(body.statusUrl);
      const done = await settled(body.id);
      const recordId = recordIdOf(1n, a.contentHash);
      expect(done).to.deep.include({ status: "confirmed", state: "confirmed", checkedAtIntake: true });
      expect(done.result).to.deep.equal({ recordId, contentHash: a.contentHash, memberId: "1" });
      const receipt = await chain.provider.getTransactionReceipt(done.transaction!.hash);
      expect(receipt?.status).to.equal(1);
      expect(receipt?.blockNumber).to.equal(done.transaction!.blockNumber);
      expect(receipt?.from).to.equal(new Wallet(devKey(9)).address);
      expect((await cp.evidence.getEvidence(recordId))?.memberId).to.equal(1n);
      first = { id: body.id, recordId, wire: a.wire };
    });

    it("answers the same signed request with its first submission: one id, one transaction", async function () {
      const rows = outboxRows();
      for (const token of [tokens[0]!, tokens[0]!]) {
        const again = await submit(first.wire, token);
        const body = (await again.json()) as Accepted;
        expect(again.status, JSON.stringify(body)).to.equal(200);
        expect(body).to.deep.equal({ id: first.id, status: "confirmed", statusUrl: `/v1/submissions/${first.id}` });
      }
      expect(outboxRows()).to.equal(rows);
      // Submitted twice while pending too: one row, one transaction.
      const b = await anchor(1);
      const [r1, r2] = await Promise.all([submit(b.wire, tokens[1]), submit(b.wire, tokens[1])]);
      const [b1, b2] = [(await r1.json()) as Accepted, (await r2.json()) as Accepted];
      expect(b1.id).to.equal(b2.id);
      expect([r1.status, r2.status].sort()).to.deep.equal([200, 202]);
      const done = await settled(b1.id, tokens[1]);
      expect(done.status).to.equal("confirmed");
      const events = await cp.evidence.registry.queryFilter(
        cp.evidence.registry.filters.EvidenceAnchored(recordIdOf(2n, b.contentHash)),
      );
      expect(events).to.have.length(1);
      expect(outboxRows()).to.equal(rows + 1);
    });

    it("refuses what the contract would refuse, naming its custom error: nothing is filed", async function () {
      const rows = outboxRows();
      // Custody of member 1's record, recorded by member 2: not its custodian.
      const custody = await cp.evidence.signCustody(wallets[1]!, { recordId: first.recordId, eventType: "Collected" });
      const p = await expectProblem(await submit(toWireRequest(custody), tokens[1]), 422, "contract-refused");
      expect(p).to.deep.include({ code: "CONTRACT_REVERTED", error: "CustodyNotCustodian" });
      expect(p.argsInWords).to.deep.equal({ recordId: first.recordId, memberId: "member #2" });
      expect(p.detail).to.match(/^recording custody refused: CustodyNotCustodian\(/);
      // An expired deadline, by the chain's clock.
      const now = await cp.chainTime();
      const a = await anchor(0);
      const expired = await signEvidenceRequest(wallets[0]!, cp.evidence.domain, "AnchorEvidence", {
        ...a.signed.request,
        deadline: now - 30,
      });
      const q = await expectProblem(await submit(toWireRequest(expired)), 422, "contract-refused");
      expect(q).to.deep.include({ code: "CONTRACT_REVERTED", error: "SignedRequestExpired" });
      expect(q.argsInWords).to.deep.equal({
        deadline: new Date((now - 30) * 1000).toISOString().replace(".000Z", "Z"),
      });
      // A member without an anchoring role (member 5, NL OPERATOR).
      const operator = await cp.evidence.signAnchorEvidence(new Wallet(devKey(5)), {
        ...(await anchorParams()),
      });
      const r = await expectProblem(await submit(toWireRequest(operator)), 422, "contract-refused");
      expect(r.error).to.equal("SignedRequestMissingRole");
      expect(r.argsInWords).to.deep.include({ memberId: "member #5", allowedRoles: "AGENCY, COURT, PLATFORM" });
      expect(outboxRows()).to.equal(rows);
    });

    it("refuses a bad signature, another deployment's domain and malformed requests", async function () {
      const rows = outboxRows();
      const a = await anchor(0);
      const changed = structuredClone(a.wire);
      changed.request.category = "4";
      const p = await expectProblem(await submit(changed), 422, "signature-invalid", "SIGNATURE_INVALID");
      expect(p.detail).to.contain(wallets[0]!.address);
      const forged = { ...a.wire, signature: `0x${"5a".repeat(64)}1c` };
      await expectProblem(await submit(forged), 422, "signature-invalid", "SIGNATURE_INVALID");
      const elsewhere = await signEvidenceRequest(
        wallets[0]!,
        { ...cp.evidence.domain, chainId: 1n },
        "AnchorEvidence",
        a.signed.request,
      );
      await expectProblem(await submit(toWireRequest(elsewhere)), 422, "signature-invalid", "DOMAIN_MISMATCH");
      const wrongField = structuredClone(a.wire);
      wrongField.request.category = "300";
      const w = await expectProblem(await submit(wrongField), 400, "invalid-argument", "INVALID_ARGUMENT");
      expect(w.detail).to.match(/request\.category must be a uint8/);
      const { signer: _signer, ...unsigned } = a.wire;
      await expectProblem(await submit(unsigned), 400, "invalid-request");
      const anonymous = await fetch(url("/v1/submissions"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(a.wire),
      });
      await expectProblem(anonymous, 401, "unauthenticated");
      expect(outboxRows()).to.equal(rows);
    });

    it("shows a submission to its submitter and its member's logins only; the outbox depth in /metrics", async function () {
      // A staff login of member 1, added by its administrator (member 1's own key).
      const staffAddress = Wallet.createRandom().address;
      const added = await fetch(url("/v1/members/me/staff"), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens[0]}` },
        body: JSON.stringify({ name: "Officer Martin", address: staffAddress }),
      });
      expect(added.status, await added.clone().text()).to.be.oneOf([200, 201]);
      const staff = await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 1n,
        roles: ["AGENCY"],
        jurisdiction: "FR",
        address: staffAddress,
        staff: "Officer Martin",
      });
      expect((await status(first.id, staff.token)).res.status).to.equal(200);
      const other = await status(first.id, tokens[1]);
      expect(other.res.status).to.equal(404);
      expect(other.body).to.include({ type: "urn:crossproof:problem:not-found" });
      const account = await gw.ctx.sessions.issue({ kind: "account", address: Wallet.createRandom().address });
      expect((await status(first.id, account.token)).res.status).to.equal(404);
      expect((await status("6f1c3a52-43b4-4c6f-9a51-7f4b8a0d9e21")).res.status).to.equal(404);
      const metrics = await (await fetch(url("/metrics"))).text();
      expect(metrics).to.match(/crossproof_gateway_outbox_depth\{state="accepted"\} 0/);
      expect(metrics).to.match(/crossproof_gateway_outbox_depth\{state="sent"\} 0/);
      expect(metrics).to.match(/crossproof_gateway_outbox_settled_total\{outcome="confirmed"\} [1-9]/);
    });

    it("accepts while the chain is down (unchecked) and sends once it is back: confirmed, or failed with the contract's error", async function () {
      const good = await anchor(0);
      // The content of the first test's anchor again, newly signed: the contract refuses it when it is sent.
      const dup = await anchor(0);
      const dupWire = toWireRequest(
        await cp.evidence.signAnchorEvidence(wallets[0]!, {
          ...(await anchorParams()),
          contentHash: (await cp.evidence.getEvidence(first.recordId))!.contentHash,
        }),
      );
      const past = await signEvidenceRequest(wallets[0]!, cp.evidence.domain, "AnchorEvidence", {
        ...dup.signed.request,
        deadline: Math.floor(Date.now() / 1000) - 3600,
      });
      await proxy.down();
      try {
        const ids: string[] = [];
        for (const wire of [good.wire, dupWire]) {
          const res = await submit(wire);
          const body = (await res.json()) as Accepted;
          expect(res.status, JSON.stringify(body)).to.equal(202);
          ids.push(body.id);
        }
        // Long past even by the local clock: refused without the chain.
        const q = await expectProblem(await submit(toWireRequest(past)), 422, "contract-refused");
        expect(q.error).to.equal("SignedRequestExpired");
        const pending = await status(ids[0]!);
        expect(pending.body).to.deep.include({ status: "pending", state: "accepted", checkedAtIntake: false });
        await proxy.up();
        const [ok, refused] = [await settled(ids[0]!), await settled(ids[1]!)];
        expect(ok.status).to.equal("confirmed");
        expect(ok.result?.recordId).to.equal(recordIdOf(1n, good.contentHash));
        expect(refused.status).to.equal("failed");
        expect(refused.error).to.deep.include({ code: "CONTRACT_REVERTED", error: "EvidenceAlreadyAnchored" });
        expect(refused.error?.argsInWords).to.deep.equal({ recordId: first.recordId });
        expect(refused.transaction).to.equal(undefined);
      } finally {
        await proxy.up().catch(() => {});
      }
    });

    it("lands 100 concurrent submissions from three members, each once (counted on chain), nonces without gaps", async function () {
      const startBlock = await chain.provider.getBlockNumber();
      const anchors = await Promise.all(Array.from({ length: 100 }, (_, i) => anchor(i % 3)));
      const answers = await Promise.all(anchors.map((a, i) => submit(a.wire, tokens[i % 3])));
      const ids: string[] = [];
      for (const res of answers) {
        const body = (await res.json()) as Accepted;
        expect(res.status, JSON.stringify(body)).to.equal(202);
        ids.push(body.id);
      }
      expect(new Set(ids).size).to.equal(100);
      await until("the outbox to drain", async () => {
        const { n } = gw.ctx.db
          .prepare("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('accepted', 'sent')")
          .get() as {
          n: number;
        };
        return n === 0 ? true : undefined;
      });
      const results = await Promise.all(ids.map(async (id, i) => (await status(id, tokens[i % 3])).body));
      const expected = anchors.map((a) => recordIdOf(a.memberId, a.contentHash));
      expect(results.map((r) => r.status)).to.deep.equal(Array(100).fill("confirmed"));
      expect(results.map((r) => r.result?.recordId)).to.deep.equal(expected);
      const events = await cp.evidence.registry.queryFilter(
        cp.evidence.registry.filters.EvidenceAnchored(),
        startBlock + 1,
      );
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.args.recordId, (counts.get(e.args.recordId) ?? 0) + 1);
      for (const r of expected) expect(counts.get(r), r).to.equal(1);
      // Every transaction the relayer ever sent is one submission's: its nonce count is the number of nonces the
      // outbox assigned, and they run from 0 without a gap.
      const nonces = (
        gw.ctx.db.prepare("SELECT nonce FROM outbox WHERE nonce IS NOT NULL ORDER BY nonce").all() as {
          nonce: number;
        }[]
      ).map((r) => r.nonce);
      expect(nonces).to.deep.equal(nonces.map((_, i) => i));
      expect(await chain.provider.getTransactionCount(new Wallet(devKey(9)).address, "latest")).to.equal(nonces.length);
    });
  });

  describe("recovery of rows a crash left in `sent`", function () {
    it("broadcasts the recorded bytes again, and signs anew only a row whose nonce another transaction spent", async function () {
      // A second outbox with its own relayer key (dev account 7) and database, its worker not started yet.
      const key = devKey(7);
      const account = new Wallet(key, chain.provider);
      const db = openDatabase(":memory:");
      const outbox = new Outbox(db, {
        cp: gw.ctx.cp,
        relayerKey: key,
        log: pino({ level: "silent" }),
        options: { pollInterval: 50 },
      });
      try {
        const [a, b] = [await anchor(0), await anchor(1)];
        const submitter = { address: wallets[0]!.address, memberId: 1n };
        const ids = [
          (await outbox.intake(submitter, a.wire)).submission.id,
          (await outbox.intake(submitter, b.wire)).submission.id,
        ];
        // What the worker writes before broadcasting, as a crash would leave it: A at nonce c, B at c + 1.
        const c = await chain.provider.getTransactionCount(account.address, "latest");
        const { gasPrice } = await chain.provider.getFeeData();
        const recorded = [a, b].map((x, i) => {
          const call = signedRequestCall(gw.ctx.cp, parseWireRequest(x.wire));
          const tx = signRelayedTransaction(new SigningKey(key), {
            chainId: gw.ctx.cp.chainId,
            nonce: c + i,
            to: call.to,
            data: call.data,
            value: 0n,
            gasLimit: 500_000n,
            fees: { gasPrice: gasPrice! * 2n },
          });
          db.prepare(
            `UPDATE outbox SET state = 'sent', relayer = ?, nonce = ?, gas_limit = '500000', raw_tx = ?, tx_hash = ?,
                               tx_hashes = ?, sent_at = ? WHERE id = ?`,
          ).run(
            account.address,
            c + i,
            tx.raw,
            tx.hash,
            JSON.stringify([{ hash: tx.hash, nonce: c + i, kind: "call" }]),
            Date.now(),
            ids[i],
          );
          return tx.hash;
        });
        // Meanwhile another transaction of the same key spends nonce c: A's recorded bytes can never be mined.
        await (await account.sendTransaction({ to: account.address, value: 0n, nonce: c })).wait();

        outbox.start();
        const done = await Promise.all(
          ids.map((id) =>
            until(`submission ${id}`, async () => {
              const s = outbox.get(id)!.submission;
              return s.status === "pending" ? undefined : s;
            }),
          ),
        );
        // B: its recorded transaction, broadcast again as it was. A: signed anew, under the next nonce.
        expect(done[1]).to.deep.include({ status: "confirmed" });
        expect(done[1]!.transaction).to.deep.include({ hash: recorded[1], nonce: c + 1 });
        expect(done[0]).to.deep.include({ status: "confirmed" });
        expect(done[0]!.transaction!.nonce).to.equal(c + 2);
        expect(done[0]!.transaction!.hash).to.not.equal(recorded[0]);
        expect(done[0]!.result?.recordId).to.equal(recordIdOf(1n, a.contentHash));
        expect(await chain.provider.getTransactionCount(account.address, "latest")).to.equal(c + 3);
        for (const x of [a, b]) {
          const events = await cp.evidence.registry.queryFilter(
            cp.evidence.registry.filters.EvidenceAnchored(recordIdOf(x.memberId, x.contentHash)),
          );
          expect(events).to.have.length(1);
        }
      } finally {
        await outbox.close();
        db.close();
      }
    });
  });

  describe("package uploads", function () {
    let dir: string;
    let local: EmbeddedContentStore;
    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-upload-test-"));
      local = await EmbeddedContentStore.open(path.join(dir, "store"));
    });
    after(async () => {
      await local?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A package sealed locally, and its files as a multipart body (filename = path in the package). */
    async function sealed(note: string) {
      const evidence = await evidenceOnDisk((await cp.chainTime()) - 600, { note });
      const recipient = await generateRecipientKey(`court-${note}`);
      const p = await sealPackage({
        manifest: evidence.manifest,
        files: evidence.files,
        recipients: [recipient.publicKey],
        store: local,
      });
      rmSync(evidence.dir, { recursive: true, force: true });
      const parts: [string, Uint8Array][] = [["envelope.jwe.json", await local.getBytes(`${p.cid}/envelope.jwe.json`)]];
      for (let i = 0; i < evidence.manifest.files.length; i++) {
        parts.push([`files/${i}`, await local.getBytes(`${p.cid}/files/${i}`, 10_000_000)]);
      }
      return { ...p, parts };
    }
    const upload = (parts: [string, Uint8Array][], fields: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      for (const [name, bytes] of parts) form.append("file", new Blob([Buffer.from(bytes)]), name);
      return fetch(url("/v1/packages"), {
        method: "POST",
        headers: { authorization: `Bearer ${tokens[0]}` },
        body: form,
      });
    };

    it("stores a package directory and answers the CID it computed: the one the SDK computed", async function () {
      const p = await sealed("one");
      expect(await gw.ctx.store.has(p.cid)).to.equal(false);
      const res = await upload(p.parts, { cid: p.cid });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(body)).to.equal(201);
      // Kept for the member policy (90 days of chain time by default), then purged unless under a legal hold.
      const chainNow = await gw.ctx.cp.chainTime();
      const retainUntil = Date.parse(body.retainUntil as string) / 1000;
      expect(retainUntil - chainNow).to.be.within(90 * 86400 - 120, 90 * 86400);
      expect(body).to.deep.equal({
        retainUntil: body.retainUntil,
        cid: p.cid,
        contentHash: p.contentHash,
        recipients: p.recipients,
        files: p.parts.length - 1,
        bytes: p.parts.reduce((s, [, b]) => s + b.byteLength, 0),
      });
      expect(await gw.ctx.store.has(p.cid)).to.equal(true);
      expect(Buffer.from(await gw.ctx.store.getBytes(`${p.cid}/files/0`, 10_000_000))).to.deep.equal(
        Buffer.from(p.parts[1]![1]),
      );
    });

    it("refuses a CID other than the client's, a directory that is no package and an upload over the limit; stores nothing", async function () {
      const p = await sealed("two");
      const other = await sealed("three");
      const q = await expectProblem(await upload(p.parts, { cid: other.cid }), 422, "hash-mismatch", "CID_MISMATCH");
      expect(q).to.deep.include({ expected: other.cid, computed: p.cid });
      expect(await gw.ctx.store.has(p.cid)).to.equal(false);
      await expectProblem(await upload(p.parts.slice(1)), 400, "invalid-request", "NOT_A_PACKAGE");
      await expectProblem(
        await upload([p.parts[0]!, ["files/1", p.parts[1]![1]]]),
        400,
        "invalid-request",
        "NOT_A_PACKAGE",
      );
      await expectProblem(
        await upload([["envelope.jwe.json", Buffer.from("{}")], p.parts[1]!]),
        400,
        "invalid-request",
        "NOT_A_PACKAGE",
      );
      await expectProblem(await upload([...p.parts, ["files/9", Buffer.alloc(1_100_000)]]), 413, "payload-too-large");
      expect(await gw.ctx.store.has(p.cid)).to.equal(false);
    });
  });

  async function anchorParams() {
    const seed = `params ${++n} ${randomBytes(8).toString("hex")}`;
    return {
      contentHash: keccakText(seed) as Hex,
      packageCid: await computeCid(Buffer.from(seed)),
      category: 3,
      caseRef: keccakText(`case ${seed}`),
      collectedAt: (await cp.chainTime()) - 3600,
    };
  }

  describe("a gateway killed (SIGKILL) with submissions pending", function () {
    const N = 240;
    const relayerKey = devKey(8);
    const relayer = new Wallet(relayerKey).address;
    let dataDir: string;
    let gw: GatewayProcess;
    let child: ChildProcess | undefined;
    let publicUrl: string;
    let childTokens: string[];

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-outbox-kill-"));
      // `npm run gateway` (server/src/main.ts) from the environment, with a session secret its tests can issue from.
      gw = await gatewayProcess({
        port: await freePort(),
        dataDir,
        rpcUrl: chain.anvil.url,
        deploymentFile: chain.deploymentFile,
        relayerKey,
        env: { CROSSPROOF_LOG_LEVEL: "info", CROSSPROOF_RATE_LIMIT: "100000" },
      });
      publicUrl = gw.url;
      const sessions = gw.sessions;
      childTokens = [];
      for (const [i, m] of MEMBERS.entries()) {
        const { token } = await sessions.issue({
          kind: "member",
          memberId: m.memberId,
          roles: [...m.roles] as RoleName[],
          jurisdiction: m.jurisdiction,
          address: wallets[i]!.address,
        });
        childTokens.push(token);
      }
    });
    afterEach(function () {
      if (this.currentTest?.state === "failed") console.log(gw.output().split("\n").slice(-60).join("\n"));
    });
    after(async () => {
      await gw.kill();
      rmSync(dataDir, { recursive: true, force: true });
    });

    /** Starts the gateway process; resolves once it answers. */
    async function startChild(): Promise<ChildProcess> {
      const c = await gw.start();
      child = c;
      return c;
    }

    const childSubmit = (wire: WireSignedRequest, token: string) =>
      fetch(`${publicUrl}/v1/submissions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(wire),
      });

    it("lands every accepted submission exactly once after a restart, resubmissions included", async function () {
      const before = await chain.provider.getTransactionCount(relayer, "latest");
      const startBlock = await chain.provider.getBlockNumber();
      const anchors = await Promise.all(Array.from({ length: N }, (_, i) => anchor(i % 3)));
      child = await startChild();

      // Submit 16 at a time; kill the gateway once half of them were answered.
      const answered = new Map<number, string>();
      const unexpected: string[] = [];
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        child!.kill("SIGKILL");
      };
      await pool(
        16,
        anchors.map((a, i) => async () => {
          if (killed) throw new Error("not sent: the gateway was killed");
          const res = await childSubmit(a.wire, childTokens[i % 3]!);
          const body = (await res.json()) as Accepted;
          // (A request cut by the kill fails in fetch: not an answer.)
          if (res.status !== 202) unexpected.push(`${res.status} ${JSON.stringify(body)}`);
          answered.set(i, body.id);
          if (answered.size >= N / 2) kill();
        }),
      );
      kill();
      expect(unexpected).to.deep.equal([]);
      await exited(child!);
      expect(child.signalCode).to.equal("SIGKILL");
      const db = new Database(path.join(dataDir, "gateway", "gateway.db"), { readonly: true });
      try {
        const atKill = db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all();
        console.log(`      at the kill: ${answered.size} answered, outbox ${JSON.stringify(atKill)}`);

        child = await startChild();
        // Everything submitted again: the answered ones are known (200, same id); the others were filed before
        // the kill (200) or are filed now (202).
        const ids = new Array<string>(N);
        const again = await pool(
          16,
          anchors.map((a, i) => async () => {
            const res = await childSubmit(a.wire, childTokens[i % 3]!);
            const body = (await res.json()) as Accepted;
            expect([200, 202], JSON.stringify(body)).to.include(res.status);
            if (answered.has(i)) {
              expect(res.status).to.equal(200);
              expect(body.id).to.equal(answered.get(i));
            }
            ids[i] = body.id;
          }),
        );
        for (const r of again) if (r.status === "rejected") throw r.reason;
        expect(new Set(ids).size).to.equal(N);

        const states = () =>
          Object.fromEntries(
            (
              db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all() as {
                state: string;
                n: number;
              }[]
            ).map((r) => [r.state, r.n]),
          );
        await until("every submission settled", async () => {
          const s = states();
          return (s.accepted ?? 0) + (s.sent ?? 0) === 0 ? true : undefined;
        });
        expect(states()).to.deep.equal({ confirmed: N });

        // Each landed once: one event per record, one transaction per nonce, nonces without a gap.
        const expected = anchors.map((a) => recordIdOf(a.memberId, a.contentHash));
        const events = await cp.evidence.registry.queryFilter(
          cp.evidence.registry.filters.EvidenceAnchored(),
          startBlock + 1,
        );
        const counts = new Map<string, number>();
        for (const e of events) counts.set(e.args.recordId, (counts.get(e.args.recordId) ?? 0) + 1);
        for (const r of expected) expect(counts.get(r), r).to.equal(1);
        const nonces = (db.prepare("SELECT nonce FROM outbox ORDER BY nonce").all() as { nonce: number }[]).map(
          (r) => r.nonce,
        );
        expect(nonces).to.deep.equal(nonces.map((_, i) => before + i));
        expect(await chain.provider.getTransactionCount(relayer, "latest")).to.equal(before + N);

        // The status of each, as its submitter reads it.
        const answers = await pool(
          16,
          ids.map((id, i) => async () => {
            const res = await fetch(`${publicUrl}/v1/submissions/${id}`, {
              headers: { authorization: `Bearer ${childTokens[i % 3]}` },
            });
            const s = (await res.json()) as SubmissionDoc;
            expect(s.status).to.equal("confirmed");
            expect(s.result?.recordId).to.equal(expected[i]);
          }),
        );
        for (const r of answers) if (r.status === "rejected") throw r.reason;
      } finally {
        db.close();
      }
      // A clean stop.
      child.kill("SIGTERM");
      expect(await exited(child), gw.output().slice(-2000)).to.equal(0);
    });
  });
});
