import { randomBytes } from "node:crypto";
import path from "node:path";
import { expect } from "chai";
import { SigningKey, Wallet, id as keccakText, type JsonRpcProvider } from "ethers";
import { pino } from "pino";
import {
  bumpedFees,
  computeCid,
  connect,
  parseWireRequest,
  recordIdOf,
  signRelayedTransaction,
  signedRequestCall,
  toWireRequest,
  type Hex,
  type RoleName,
} from "../../sdk/src";
import { authModule } from "../../server/src/auth/siwe";
import { openDatabase } from "../../server/src/db";
import { startGateway, type RunningGateway } from "../../server/src/gateway";
import { Outbox, type Submission } from "../../server/src/outbox";
import { submissionsModule } from "../../server/src/routes/submissions";
import { devKey, testGatewayConfig, type TestChain } from "../helpers/gateway";
import { startHoldingChain } from "../helpers/holding-chain";
import { startRpcProxy } from "../helpers/rpc-proxy";

/** Polls until `f` answers something (not a timing assertion: a bail-out for a broken run). */
async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, maxMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - started > maxMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ProblemDoc {
  type: string;
  status: number;
  detail: string;
  code?: string;
  error?: string;
  submission?: string;
  expectedNonce?: string;
}

describe("gateway outbox on a real chain: dependent submissions, reorganisations, fee bumps", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let provider: JsonRpcProvider;
  let gw: RunningGateway;
  const fr = new Wallet(devKey(1));
  let token: string;
  const gatewayLog: string[] = [];
  let n = 0;

  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params);
  const automine = (on: boolean) => rpc("evm_setAutomine", [on]);
  const start = () =>
    startGateway(testGatewayConfig(chain, { rateLimit: "100000" }), [authModule, submissionsModule], {
      log: pino({ level: "debug" }, { write: (line: string) => void gatewayLog.push(line) }),
    });

  async function signIn() {
    token = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 1n,
        roles: ["AGENCY", "GOVERNOR"] as RoleName[],
        jurisdiction: "FR",
        address: fr.address,
      })
    ).token;
  }

  before(async () => {
    chain = await startHoldingChain();
    provider = chain.provider;
    gw = await start();
    await signIn();
  });
  afterEach(async function () {
    await automine(true).catch(() => {});
    if (this.currentTest?.state === "failed") {
      console.log(
        gatewayLog
          .filter((l) => !l.includes('"req":'))
          .slice(-60)
          .join(""),
      );
    }
    gatewayLog.length = 0;
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const cp = () => gw.ctx.cp;
  const submit = (wire: unknown) =>
    fetch(`${gw.url}/v1/submissions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(wire),
    });
  async function accepted(wire: unknown): Promise<string> {
    const res = await submit(wire);
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).to.equal(202);
    return body.id;
  }
  const status = async (id: string) =>
    (await (
      await fetch(`${gw.url}/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Submission;
  const settled = (id: string) =>
    until(`submission ${id}`, async () => {
      const s = await status(id);
      return s.status === "pending" ? undefined : s;
    });
  const sentNow = (id: string) =>
    until(`submission ${id} in the node's pool`, async () => {
      const s = await status(id);
      if (s.state !== "sent") return undefined;
      return (await rpc("eth_getTransactionByHash", [s.transaction!.hash])) === null ? undefined : s;
    });

  /** A fresh anchor by the FR agency (member 1). */
  async function anchor(o: { validFor?: number } = {}) {
    const seed = `outbox chain ${++n} ${randomBytes(8).toString("hex")}`;
    const contentHash = keccakText(seed) as Hex;
    const signed = await cp().evidence.signAnchorEvidence(fr, {
      contentHash,
      packageCid: await computeCid(Buffer.from(seed)),
      category: 3,
      firstUpload: "US",
      caseRef: keccakText(`case ${seed}`),
      collectedAt: (await cp().chainTime()) - 3600,
      ...(o.validFor === undefined ? {} : { validFor: o.validFor }),
    });
    return { signed, wire: toWireRequest(signed), contentHash, recordId: recordIdOf(1n, contentHash) };
  }
  const anchoredEvents = async (recordId: string) =>
    (await cp().evidence.registry.queryFilter(cp().evidence.registry.filters.EvidenceAnchored(recordId))).length;

  describe("a submission that depends on one still in the outbox", function () {
    it("is accepted behind it (custody of a queued anchor, the signer's next nonce), sent after it, each once", async function () {
      await automine(false);
      const a = await anchor();
      const anchorId = await accepted(a.wire);
      await sentNow(anchorId);

      // Custody of the record whose anchor is still in the pool: the chain says EvidenceUnknownRecord today.
      const nonce = await cp().evidence.nonce(fr.address);
      const collected = await cp().evidence.signCustody(fr, { recordId: a.recordId, eventType: "Collected" });
      const collectedId = await accepted(toWireRequest(collected));
      const c1 = await status(collectedId);
      expect(c1).to.deep.include({ status: "pending", state: "accepted", checkedAtIntake: false });
      expect(c1.dependsOn).to.deep.equal([anchorId]);
      expect(c1.waitingFor).to.deep.equal([anchorId]);

      // The signer's next nonce while the previous one is queued.
      const sealed = await cp().evidence.signCustody(fr, {
        recordId: a.recordId,
        eventType: "Sealed",
        nonce: nonce + 1n,
      });
      const sealedId = await accepted(toWireRequest(sealed));
      expect((await status(sealedId)).dependsOn).to.deep.equal([anchorId, collectedId]);

      // The same nonce again (another request): taken. A nonce past the next: a gap. Nothing filed.
      const rows = (gw.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
      const again = await cp().evidence.signCustody(fr, {
        recordId: a.recordId,
        eventType: "Accessed",
        nonce: nonce + 1n,
      });
      const taken = await submit(toWireRequest(again));
      const t = (await taken.json()) as ProblemDoc;
      expect(taken.status, JSON.stringify(t)).to.equal(409);
      expect(t).to.include({ type: "urn:crossproof:problem:conflict", code: "NONCE_TAKEN", submission: sealedId });
      const far = await cp().evidence.signCustody(fr, {
        recordId: a.recordId,
        eventType: "Accessed",
        nonce: nonce + 3n,
      });
      const gap = await submit(toWireRequest(far));
      const g = (await gap.json()) as ProblemDoc;
      expect(gap.status, JSON.stringify(g)).to.equal(409);
      expect(g).to.include({ code: "NONCE_GAP", expectedNonce: (nonce + 2n).toString() });
      expect(g.detail).to.match(/leaves a gap: the next is/);
      expect((gw.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n).to.equal(rows);

      await automine(true);
      await rpc("evm_mine");
      const [sa, s1, s2] = [await settled(anchorId), await settled(collectedId), await settled(sealedId)];
      for (const s of [sa, s1, s2]) expect(s.status, JSON.stringify(s.error)).to.equal("confirmed");
      // In order: the anchor's block, then each custody event after the one before it.
      expect(s1.transaction!.blockNumber!).to.be.greaterThan(sa.transaction!.blockNumber!);
      expect(s2.transaction!.blockNumber!).to.be.greaterThan(s1.transaction!.blockNumber!);
      expect(s1).to.not.have.property("waitingFor");
      const custody = await cp().evidence.registry.queryFilter(
        cp().evidence.registry.filters.CustodyRecorded(a.recordId),
      );
      expect(custody.map((e) => [Number(e.args.sequence), Number(e.args.eventType)])).to.deep.equal([
        [0, 0],
        [1, 3],
      ]);
      expect(custody.map((e) => e.transactionHash)).to.deep.equal([s1.transaction!.hash, s2.transaction!.hash]);
      expect(await anchoredEvents(a.recordId)).to.equal(1);
      expect(await cp().evidence.nonce(fr.address)).to.equal(nonce + 2n);
      // A nonce already used on chain is refused as the contract refuses it.
      const used = await cp().evidence.signCustody(fr, { recordId: a.recordId, eventType: "Accessed", nonce });
      const refused = await submit(toWireRequest(used));
      const u = (await refused.json()) as ProblemDoc;
      expect(refused.status, JSON.stringify(u)).to.equal(422);
      expect(u).to.include({ code: "CONTRACT_REVERTED", error: "InvalidAccountNonce" });
    });

    it("fails, naming the dependency and its decoded error, when the submission it waits for fails", async function () {
      await automine(false);
      const a = await anchor({ validFor: 60 });
      const anchorId = await accepted(a.wire);
      await sentNow(anchorId);
      const custody = await cp().evidence.signCustody(fr, { recordId: a.recordId, eventType: "Collected" });
      const custodyId = await accepted(toWireRequest(custody));
      expect((await status(custodyId)).waitingFor).to.deep.equal([anchorId]);
      // The anchor is mined past its deadline: it reverts on chain.
      await rpc("evm_increaseTime", [600]);
      await rpc("evm_mine");
      await automine(true);
      const failedAnchor = await settled(anchorId);
      expect(failedAnchor.status).to.equal("failed");
      expect(failedAnchor.error).to.deep.include({ code: "CONTRACT_REVERTED", error: "SignedRequestExpired" });
      const dependent = await settled(custodyId);
      expect(dependent.status).to.equal("failed");
      expect(dependent.transaction).to.equal(undefined);
      expect(dependent.error).to.deep.include({ code: "DEPENDENCY_FAILED" });
      expect(dependent.error!.message).to.contain(anchorId).and.to.contain("SignedRequestExpired");
      expect(dependent.error!.dependency).to.deep.include({ id: anchorId, primaryType: "AnchorEvidence" });
      expect(dependent.error!.dependency!.error).to.deep.include({ error: "SignedRequestExpired" });
      expect(await anchoredEvents(a.recordId)).to.equal(0);
    });
  });

  describe("while the chain does not answer", function () {
    it("accepts the signer's next nonce unchecked behind the previous one, and sends them in order", async function () {
      // A record on chain, anchored directly.
      const a = await anchor();
      await (await cp().evidence.submit(a.signed, chain.account(8))).wait();
      const proxy = await startRpcProxy(chain.anvil.url);
      const viaProxy = await connect({ rpcUrl: proxy.url, deployment: chain.deploymentFile });
      const db = openDatabase(":memory:");
      const outbox = new Outbox(db, {
        cp: viaProxy,
        relayerKey: devKey(6),
        log: pino({ level: "silent" }),
        options: { pollInterval: 50 },
      });
      try {
        const nonce = await cp().evidence.nonce(fr.address);
        const first = await cp().evidence.signCustody(fr, { recordId: a.recordId, eventType: "Collected" });
        const second = await cp().evidence.signCustody(fr, {
          recordId: a.recordId,
          eventType: "Sealed",
          nonce: nonce + 1n,
        });
        await proxy.down();
        const submitter = { address: fr.address, memberId: 1n };
        // Unchecked (no chain to ask): each waits behind the signer's queued lower nonces at that contract.
        const ids = [
          (await outbox.intake(submitter, toWireRequest(first))).submission.id,
          (await outbox.intake(submitter, toWireRequest(second))).submission.id,
        ];
        const [s1, s2] = ids.map((id) => outbox.get(id)!.submission);
        expect(s1).to.deep.include({ checkedAtIntake: false });
        expect(s1).to.not.have.property("dependsOn");
        expect(s2).to.deep.include({ checkedAtIntake: false, dependsOn: [ids[0]], waitingFor: [ids[0]] });
        await proxy.up();
        outbox.start();
        const done = await Promise.all(
          ids.map((id) =>
            until(`submission ${id}`, () => {
              const s = outbox.get(id)!.submission;
              return s.status === "pending" ? undefined : s;
            }),
          ),
        );
        expect(done.map((d) => d.status)).to.deep.equal(["confirmed", "confirmed"]);
        expect(done[1]!.transaction!.blockNumber!).to.be.greaterThan(done[0]!.transaction!.blockNumber!);
        const custody = await cp().evidence.registry.queryFilter(
          cp().evidence.registry.filters.CustodyRecorded(a.recordId),
        );
        expect(custody.map((e) => e.transactionHash)).to.deep.equal(done.map((d) => d.transaction!.hash));
      } finally {
        await outbox.close();
        db.close();
        viaProxy.close();
        await proxy.close();
      }
    });
  });

  describe("a confirmed submission whose block leaves the chain", function () {
    it("goes back to pending and is sent again once: its same transaction, one anchor on chain", async function () {
      const relayer = new Wallet(devKey(9)).address;
      const snapshot = (await rpc("evm_snapshot")) as string;
      const nonceBefore = await provider.getTransactionCount(relayer, "latest");
      const a = await anchor();
      const id = await accepted(a.wire);
      const first = await settled(id);
      expect(first.status).to.equal("confirmed");
      const reopened = () =>
        fetch(`${gw.url}/metrics`)
          .then((r) => r.text())
          .then((t) => Number(/crossproof_gateway_outbox_reopened_total (\d+)/.exec(t)?.[1] ?? 0));
      const before = await reopened();

      // The chain goes back to before the anchor (its block is gone, the relayer's nonce with it).
      expect(await rpc("evm_revert", [snapshot])).to.equal(true);
      expect(await provider.getTransactionReceipt(first.transaction!.hash)).to.equal(null);
      await until("the gateway to see the reorganisation", async () =>
        (await reopened()) > before ? true : undefined,
      );
      const again = await until("the anchor on the chain again", async () => {
        const s = await status(id);
        return s.status === "confirmed" && (await provider.getTransactionReceipt(s.transaction!.hash)) !== null
          ? s
          : undefined;
      });
      // The very transaction it had (the same bytes, the same nonce): it could land once only.
      expect(again.transaction!.hash).to.equal(first.transaction!.hash);
      expect(again.transaction!.nonce).to.equal(nonceBefore);
      expect(again.result?.recordId).to.equal(a.recordId);
      const row = gw.ctx.db.prepare("SELECT tx_hashes FROM outbox WHERE id = ?").get(id) as { tx_hashes: string };
      expect(JSON.parse(row.tx_hashes)).to.have.length(1);
      expect(await anchoredEvents(a.recordId)).to.equal(1);
      expect(await provider.getTransactionCount(relayer, "latest")).to.equal(nonceBefore + 1);
      expect(gatewayLog.some((l) => l.includes("no longer on the chain: pending again"))).to.equal(true);
    });

    it("is shown failed with the contract's error when, after a gateway restart, it can no longer land", async function () {
      const snapshot = (await rpc("evm_snapshot")) as string;
      const a = await anchor();
      const id = await accepted(a.wire);
      expect((await settled(id)).status).to.equal("confirmed");
      await gw.close();
      try {
        // While the gateway is down the chain loses the anchor's block, and someone else relays the same request.
        expect(await rpc("evm_revert", [snapshot])).to.equal(true);
        await (await cp().evidence.submit(a.signed, chain.account(8))).wait();
      } finally {
        gw = await start();
      }
      await signIn();
      // Settled again on the chain as it is now (until the worker's first look it still reads as it was).
      const s = await until("the submission settled on the chain as it is", async () => {
        const now = await status(id);
        if (now.status === "failed") return now;
        const landed = now.status === "confirmed" && (await provider.getTransactionReceipt(now.transaction!.hash));
        return landed ? now : undefined;
      });
      expect(s.status).to.equal("failed");
      expect(s.error).to.deep.include({ code: "CONTRACT_REVERTED", error: "EvidenceAlreadyAnchored" });
      expect(s.error!.argsInWords).to.deep.equal({ recordId: a.recordId });
      expect(await anchoredEvents(a.recordId)).to.equal(1);
    });
  });

  describe("a transaction priced under what the chain asks", function () {
    it("held in the node's pool, its tip under the node's, when a gateway starts: replaced at the same nonce, lands once", async function () {
      const key = devKey(7);
      const relayer = new Wallet(key).address;
      const a = await anchor();
      const db = openDatabase(":memory:");
      const outbox = new Outbox(db, {
        cp: cp(),
        relayerKey: key,
        log: pino({ level: "silent" }),
        options: { pollInterval: 50, stallTimeout: 200 },
      });
      await automine(false);
      try {
        const id = (await outbox.intake({ address: fr.address, memberId: 1n }, a.wire)).submission.id;
        // What a gateway stopped a minute after sending it leaves: the row written, its transaction in the pool, with
        // a fee cap over the base fee but no tip (a node that orders by tip leaves it behind).
        const c = await provider.getTransactionCount(relayer, "latest");
        const pending = (await rpc("eth_getBlockByNumber", ["pending", false])) as { baseFeePerGas: string };
        const tip = BigInt((await rpc("eth_maxPriorityFeePerGas")) as string);
        expect(tip > 0n, "the node asks a tip").to.equal(true);
        const call = signedRequestCall(cp(), parseWireRequest(a.wire));
        const tx = signRelayedTransaction(new SigningKey(key), {
          chainId: cp().chainId,
          nonce: c,
          to: call.to,
          data: call.data,
          value: 0n,
          gasLimit: 500_000n,
          fees: { maxFeePerGas: 2n * BigInt(pending.baseFeePerGas) + tip, maxPriorityFeePerGas: 0n },
        });
        const aMinuteAgo = Date.now() - 60_000;
        db.prepare(
          `UPDATE outbox SET state = 'sent', relayer = ?, nonce = ?, gas_limit = '500000', raw_tx = ?, tx_hash = ?,
                             tx_hashes = ?, sent_at = ?, signed_at = ? WHERE id = ?`,
        ).run(
          relayer,
          c,
          tx.raw,
          tx.hash,
          JSON.stringify([{ hash: tx.hash, nonce: c, kind: "call" }]),
          aMinuteAgo,
          aMinuteAgo,
          id,
        );
        expect(await rpc("eth_sendRawTransaction", [tx.raw])).to.equal(tx.hash);

        outbox.start();
        const repriced = await until("the transaction replaced in the pool", async () => {
          const s = outbox.get(id)!.submission;
          if (s.transaction!.hash === tx.hash) return undefined;
          return (await provider.getTransaction(s.transaction!.hash)) === null ? undefined : s;
        });
        expect(repriced.transaction!.nonce).to.equal(c);
        const bumped = (await provider.getTransaction(repriced.transaction!.hash))!;
        expect(bumped.maxPriorityFeePerGas).to.equal(tip);
        expect(await provider.getTransaction(tx.hash)).to.equal(null); // replaced
        await rpc("evm_mine");
        const done = await until("the submission settled", () => {
          const s = outbox.get(id)!.submission;
          return s.status === "pending" ? undefined : s;
        });
        expect(done.status).to.equal("confirmed");
        expect(done.transaction).to.deep.include({ hash: repriced.transaction!.hash, nonce: c });
        expect(await provider.getTransactionReceipt(tx.hash)).to.equal(null);
        expect(await provider.getTransactionCount(relayer, "latest")).to.equal(c + 1);
        expect(await anchoredEvents(a.recordId)).to.equal(1);
      } finally {
        await automine(true);
        await outbox.close();
        db.close();
      }
    });

    it("dropped by the node (Anvil drops what the base fee outgrows): re-priced at the same nonce after a gateway restart, lands once", async function () {
      const key = devKey(7);
      const relayer = new Wallet(key).address;
      const file = path.join(chain.dataDir, "fees.db");
      const log = pino({ level: "silent" });
      const a = await anchor();
      const c = await provider.getTransactionCount(relayer, "latest");
      await automine(false);

      // A first gateway sends it (it waits in the pool), then stops.
      let db = openDatabase(file);
      const first = new Outbox(db, {
        cp: cp(),
        relayerKey: key,
        log,
        options: { pollInterval: 50, stallTimeout: 3_600_000 },
      });
      const id = (await first.intake({ address: fr.address, memberId: 1n }, a.wire)).submission.id;
      first.start();
      const sent = await until("the transaction in the pool", async () => {
        const s = first.get(id)!.submission;
        if (s.state !== "sent") return undefined;
        return (await rpc("eth_getTransactionByHash", [s.transaction!.hash])) === null ? undefined : s;
      });
      await first.close();
      db.close();

      // The base fee jumps over the transaction's fee cap: the next block leaves it out. (Geth and Besu keep it
      // in their pool; Anvil drops it. Either way it can never be mined at its price.)
      const held = (await provider.getTransaction(sent.transaction!.hash))!;
      await rpc("anvil_setNextBlockBaseFeePerGas", [`0x${(held.maxFeePerGas! * 10n).toString(16)}`]);
      await rpc("evm_mine");
      expect(await provider.getTransactionReceipt(sent.transaction!.hash)).to.equal(null);
      expect(await provider.getTransactionCount(relayer, "latest")).to.equal(c);

      // The gateway starts again: the transaction is re-priced at the same nonce, written before it is broadcast.
      db = openDatabase(file);
      const second = new Outbox(db, {
        cp: cp(),
        relayerKey: key,
        log,
        options: { pollInterval: 50, stallTimeout: 200 },
      });
      try {
        second.start();
        const repriced = await until("the transaction re-priced", () => {
          const s = second.get(id)!.submission;
          return s.transaction!.hash !== sent.transaction!.hash ? s : undefined;
        });
        expect(repriced.transaction!.nonce).to.equal(sent.transaction!.nonce);
        // Written first, then broadcast.
        const bumped = await until("the re-priced transaction in the pool", async () => {
          return (await provider.getTransaction(repriced.transaction!.hash)) ?? undefined;
        });
        expect(bumped.maxFeePerGas! > held.maxFeePerGas! * 10n).to.equal(true);
        await rpc("evm_mine");
        const done = await until("the submission settled", () => {
          const s = second.get(id)!.submission;
          return s.status === "pending" ? undefined : s;
        });
        expect(done.status).to.equal("confirmed");
        expect(done.transaction).to.deep.include({ hash: repriced.transaction!.hash, nonce: c });
        expect(await provider.getTransactionReceipt(sent.transaction!.hash)).to.equal(null);
        expect(await provider.getTransactionCount(relayer, "latest")).to.equal(c + 1);
        expect(await anchoredEvents(a.recordId)).to.equal(1);
      } finally {
        await second.close();
        db.close();
      }
    });
  });

  describe("bumpedFees (the SDK's rule, shared with its Relayer)", function () {
    it("raises every fee field to the price asked now, or by more than 1/8 (nodes replace for 10 % more)", function () {
      expect(
        bumpedFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 50n, maxPriorityFeePerGas: 5n }),
      ).to.deep.equal({
        maxFeePerGas: 113n,
        maxPriorityFeePerGas: 12n,
      });
      expect(
        bumpedFees(
          { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n },
          { maxFeePerGas: 1000n, maxPriorityFeePerGas: 20n },
        ),
      ).to.deep.equal({ maxFeePerGas: 1000n, maxPriorityFeePerGas: 20n });
      expect(bumpedFees({ gasPrice: 80n }, { gasPrice: 85n })).to.deep.equal({ gasPrice: 91n });
      expect(bumpedFees({ gasPrice: 80n }, { maxFeePerGas: 300n, maxPriorityFeePerGas: 1n })).to.deep.equal({
        gasPrice: 300n,
      });
    });
  });
});
