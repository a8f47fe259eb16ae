import { expect } from "chai";
import { Wallet } from "ethers";
import { connect, recordIdOf, type Crossproof } from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";
import { memberTokens, signedAnchor, until } from "../helpers/faults";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import type { DemoResult } from "../../scripts/lib/demo";

interface Problem {
  type: string;
  status: number;
  detail: string;
  code?: string;
}
interface SubmissionDoc {
  id: string;
  status: "pending" | "confirmed" | "failed";
  state: string;
  checkedAtIntake: boolean;
  transaction?: { hash: string; nonce: number };
  result?: Record<string, string>;
  error?: { code: string; error?: string; message: string };
}

/**
 * Fault: the chain node goes away while submissions and verifications arrive (a TCP relay in front of Anvil is closed:
 * "connection refused"), with every module of the gateway running.
 */
describe("fault: the chain is down while submissions and verifications arrive (real chain, full gateway)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let proxy: RpcProxy;
  let gw: RunningGateway;
  let cp: Crossproof;
  let demo: DemoResult;
  let tokens: string[];
  let courtToken: string;
  const relayer = new Wallet(devKey(9)).address;

  before(async () => {
    chain = await startTestChain();
    const setup = await demoWithCourtKeys(chain);
    demo = setup.demo;
    proxy = await startRpcProxy(chain.anvil.url);
    gw = await startTestGateway(chain, gatewayModules, {
      rpcUrl: proxy.url,
      keystoreDir: setup.keystoreDir,
      keystorePassword: setup.keystorePassword,
      contentStore: demo.storeDir,
      rateLimit: "100000",
      indexerPollMs: "100",
    });
    cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.deploymentFile });
    tokens = await memberTokens(gw.ctx.sessions);
    courtToken = tokens[1]!;
  });
  after(async () => {
    cp?.close();
    await gw?.close();
    await proxy?.close();
    await chain?.stop();
  });

  const post = (p: string, body: unknown, token: string) =>
    fetch(`${gw.url}${p}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  const status = async (id: string, token: string) =>
    (await (
      await fetch(`${gw.url}/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as SubmissionDoc;
  const ready = async () => (await fetch(`${gw.url}/readyz`)).status;

  it("fails /readyz, answers verifications 503, accepts submissions unchecked; sends each once when it is back", async function () {
    await until("the gateway to be ready", async () => ((await ready()) === 200 ? true : undefined));
    const nonceBefore = await chain.provider.getTransactionCount(relayer, "latest");
    const startBlock = await chain.provider.getBlockNumber();
    const good = await Promise.all([0, 1, 2, 0, 1].map((by) => signedAnchor(cp, by)));
    // The demo's evidence again, newly signed by its anchoring member: the contract refuses it when it is sent.
    const refusedLater = await signedAnchor(cp, 0, { contentHash: demo.contentHash as `0x${string}` });

    await proxy.down();
    try {
      // Readiness fails, naming the chain; liveness stands.
      const r = await fetch(`${gw.url}/readyz`);
      const notReady = (await r.json()) as Problem;
      expect(r.status).to.equal(503);
      expect(notReady.type).to.equal("urn:crossproof:problem:not-ready");
      expect((await fetch(`${gw.url}/healthz`)).status).to.equal(200);

      // A verification needs the chain: a clear 503 problem, not a 500 and not a hang.
      const v = await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } }, courtToken);
      const vp = (await v.json()) as Problem;
      expect(v.status, JSON.stringify(vp)).to.equal(503);
      expect(v.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(vp.type).to.equal("urn:crossproof:problem:chain-unavailable");
      expect(vp.code).to.equal("CHAIN_UNREACHABLE");
      expect(v.headers.get("retry-after")).to.match(/^[0-9]+$/);
      // A read that needs the chain, too.
      const read = await fetch(`${gw.url}/v1/evidence/${demo.recordId}`, {
        headers: { authorization: `Bearer ${courtToken}` },
      });
      expect(read.status).to.equal(503);
      expect(((await read.json()) as Problem).type).to.equal("urn:crossproof:problem:chain-unavailable");

      // Submissions that pass the chain-free intake checks are accepted into the outbox, unchecked.
      const ids: string[] = [];
      for (const [i, a] of [...good, refusedLater].entries()) {
        const res = await post("/v1/submissions", a.wire, tokens[i % 3]!);
        const body = (await res.json()) as { id: string };
        expect(res.status, JSON.stringify(body)).to.equal(202);
        ids.push(body.id);
      }
      // The same request again while the chain is down: the same submission, not a second row.
      const again = await post("/v1/submissions", good[0]!.wire, tokens[0]!);
      expect(again.status).to.equal(200);
      expect(((await again.json()) as { id: string }).id).to.equal(ids[0]);
      for (const [i, id] of ids.entries()) {
        expect(await status(id, tokens[i % 3]!)).to.deep.include({
          status: "pending",
          state: "accepted",
          checkedAtIntake: false,
        });
      }

      await proxy.up();
      const settled = await Promise.all(
        ids.map((id, i) =>
          until(`submission ${id}`, async () => {
            const s = await status(id, tokens[i % 3]!);
            return s.status === "pending" ? undefined : s;
          }),
        ),
      );
      // Each good one confirmed with its record; the refused one failed with the contract's named error, unsent.
      expect(settled.slice(0, good.length).map((s) => s.status)).to.deep.equal(good.map(() => "confirmed"));
      expect(settled.slice(0, good.length).map((s) => s.result?.recordId)).to.deep.equal(
        good.map((a) => recordIdOf(a.memberId, a.contentHash)),
      );
      const refused = settled[good.length]!;
      expect(refused.status).to.equal("failed");
      expect(refused.error).to.deep.include({ code: "CONTRACT_REVERTED", error: "EvidenceAlreadyAnchored" });
      expect(refused.transaction).to.equal(undefined);

      // Nothing sent twice: one anchor event per record, one relayer transaction per confirmed submission.
      const events = await cp.evidence.registry.queryFilter(
        cp.evidence.registry.filters.EvidenceAnchored(),
        startBlock + 1,
      );
      expect(events.map((e) => e.args.recordId).sort()).to.deep.equal(
        good.map((a) => recordIdOf(a.memberId, a.contentHash)).sort(),
      );
      expect(await chain.provider.getTransactionCount(relayer, "latest")).to.equal(nonceBefore + good.length);
      const nonces = settled.slice(0, good.length).map((s) => s.transaction!.nonce);
      expect([...nonces].sort((a, b) => a - b)).to.deep.equal(good.map((_, i) => nonceBefore + i));

      // Ready again once the index caught up; verifications answer again.
      await until("the gateway to be ready again", async () => ((await ready()) === 200 ? true : undefined));
      const ok = await post("/v1/verifications", { evidence: { contentHash: demo.contentHash } }, courtToken);
      expect(ok.status).to.equal(200);
    } finally {
      await proxy.up().catch(() => {});
    }
  });
});
