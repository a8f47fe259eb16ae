import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { Wallet } from "ethers";
import { connect, recordIdOf, type Crossproof, type WireSignedRequest } from "../../sdk/src";
import { freePort } from "../../scripts/lib/anvil";
import { devKey, type TestChain } from "../helpers/gateway";
import { startHoldingChain } from "../helpers/holding-chain";
import { gatewayProcess, pool, signedAnchor, memberTokens, until, type GatewayProcess } from "../helpers/faults";

const N = 200;

/**
 * Fault: `kill -9` of the gateway (`npm run gateway`, a child process) while a few hundred signed submissions are in
 * flight — some answered, some cut off, some of the answered ones broadcast and waiting in the node's pool — and the
 * chain mining some of those while the gateway is dead. After a restart every accepted submission is confirmed
 * exactly once, checked on chain.
 */
describe("fault: the gateway killed (SIGKILL) with a few hundred submissions in flight (child process, real chain)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let cp: Crossproof;
  let dataDir: string;
  let gateway: GatewayProcess;
  let tokens: string[];
  const relayerKey = devKey(7);
  const relayer = new Wallet(relayerKey).address;

  before(async () => {
    // A chain that mines only when told: what the gateway sends waits in the pool until the test mines it.
    chain = await startHoldingChain();
    cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.deploymentFile });
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-gateway-kill-"));
    gateway = await gatewayProcess({
      port: await freePort(),
      dataDir,
      rpcUrl: chain.anvil.url,
      deploymentFile: chain.deploymentFile,
      relayerKey,
    });
    tokens = await memberTokens(gateway.sessions);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(gateway.output().split("\n").slice(-60).join("\n"));
  });
  after(async () => {
    await gateway?.kill();
    cp?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const submit = (wire: WireSignedRequest, token: string) =>
    fetch(`${gateway.url}/v1/submissions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(wire),
    });

  it("confirms every accepted submission exactly once after a restart: no loss, no duplicate, nonces without a gap", async function () {
    const nonceBefore = await chain.provider.getTransactionCount(relayer, "latest");
    const startBlock = await chain.provider.getBlockNumber();
    const anchors = await Promise.all(Array.from({ length: N }, (_, i) => signedAnchor(cp, i % 3)));
    await chain.provider.send("evm_setAutomine", [false]);
    await gateway.start();

    // 32 in flight; the gateway is killed once half were answered (requests cut by the kill fail in fetch).
    const answered = new Map<number, string>();
    const unexpected: string[] = [];
    let killing: Promise<void> | undefined;
    await pool(
      32,
      anchors.map((a, i) => async () => {
        if (killing !== undefined) throw new Error("not sent: the gateway was killed");
        const res = await submit(a.wire, tokens[i % 3]!);
        const body = (await res.json()) as { id: string };
        if (res.status !== 202) unexpected.push(`${res.status} ${JSON.stringify(body)}`);
        answered.set(i, body.id);
        if (answered.size >= N / 2) killing ??= gateway.kill();
      }),
    );
    await (killing ??= gateway.kill());
    expect(unexpected).to.deep.equal([]);
    expect(gateway.child()!.signalCode).to.equal("SIGKILL");

    const db = new Database(path.join(dataDir, "gateway", "gateway.db"), { readonly: true });
    try {
      const states = () =>
        Object.fromEntries(
          (
            db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all() as { state: string; n: number }[]
          ).map((r) => [r.state, r.n]),
        ) as Record<string, number>;
      // Every answered submission was on disk at the kill; some were broadcast and wait in the pool.
      const atKill = states();
      expect((atKill.accepted ?? 0) + (atKill.sent ?? 0)).to.be.at.least(answered.size);
      const sent = db.prepare("SELECT tx_hash FROM outbox WHERE state = 'sent'").all() as { tx_hash: string }[];
      expect(sent.length, JSON.stringify(atKill)).to.be.greaterThan(0);
      const inPool = await Promise.all(sent.map((s) => chain.provider.getTransaction(s.tx_hash)));
      expect(inPool.every((t) => t !== null && t.blockNumber === null)).to.equal(true);
      // The chain mines what it holds while the gateway is dead: the gateway does not know.
      await chain.provider.send("evm_mine", []);
      expect(await chain.provider.getTransactionCount(relayer, "latest")).to.be.greaterThan(nonceBefore);

      // Back: a block a second. The clients whose request had no answer send it again; a few answered ones too.
      await chain.provider.send("evm_setIntervalMining", [1]);
      await gateway.start();
      const ids = anchors.map((_, i) => answered.get(i));
      const retried = anchors.flatMap((_, i) => (answered.has(i) && i % 20 !== 0 ? [] : [i]));
      const again = await pool(
        32,
        retried.map((i) => async () => {
          const res = await submit(anchors[i]!.wire, tokens[i % 3]!);
          const body = (await res.json()) as { id: string };
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

      await until("every submission settled", async () => {
        const s = states();
        return (s.accepted ?? 0) + (s.sent ?? 0) === 0 ? true : undefined;
      });
      expect(states()).to.deep.equal({ confirmed: N });

      // On chain: one anchor per request; the relayer's transactions are exactly the outbox's, one per nonce.
      const expected = anchors.map((a) => recordIdOf(a.memberId, a.contentHash));
      const events = await cp.evidence.registry.queryFilter(
        cp.evidence.registry.filters.EvidenceAnchored(),
        startBlock + 1,
      );
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.args.recordId, (counts.get(e.args.recordId) ?? 0) + 1);
      expect(expected.filter((r) => counts.get(r) !== 1)).to.deep.equal([]);
      expect(events).to.have.length(N);
      const rows = db.prepare("SELECT nonce, tx_hash FROM outbox ORDER BY nonce").all() as {
        nonce: number;
        tx_hash: string;
      }[];
      expect(rows.map((r) => r.nonce)).to.deep.equal(rows.map((_, i) => nonceBefore + i));
      expect(await chain.provider.getTransactionCount(relayer, "latest")).to.equal(nonceBefore + N);
      const head = await chain.provider.getBlockNumber();
      const mined: string[] = [];
      for (let b = startBlock + 1; b <= head; b++) {
        const block = await chain.provider.getBlock(b, true);
        for (const t of block!.prefetchedTransactions) if (t.from === relayer) mined.push(t.hash);
      }
      expect(mined.sort()).to.deep.equal(rows.map((r) => r.tx_hash).sort());

      // Each submitter reads its submission confirmed with its record.
      const answers = await pool(
        32,
        ids.map((id, i) => async () => {
          const res = await fetch(`${gateway.url}/v1/submissions/${id!}`, {
            headers: { authorization: `Bearer ${tokens[i % 3]}` },
          });
          const s = (await res.json()) as { status: string; result?: { recordId: string } };
          expect(s.status).to.equal("confirmed");
          expect(s.result?.recordId).to.equal(expected[i]);
        }),
      );
      for (const r of answers) if (r.status === "rejected") throw r.reason;
    } finally {
      db.close();
    }
    expect(await gateway.stop()).to.equal(0);
  });
});
