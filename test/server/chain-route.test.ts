import { expect } from "chai";
import { Contract, Wallet } from "ethers";
import { connect, type Crossproof, type DeploymentRecord } from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { RPC_MAX_BATCH, chainModule } from "../../server/src/routes/chain";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

interface ChainInfo {
  chainId: number;
  consortiumId: string;
  head: { number: number; hash: string; timestamp: number };
  chainTime: number;
  contracts: Record<string, { address: string; domain?: Record<string, unknown> }>;
  nonces?: Record<string, string>;
  deployment: DeploymentRecord;
}

describe("GET /v1/chain and the read-only JSON-RPC endpoint (signing without a chain node)", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let cp: Crossproof;
  /** A session of the FR agency (member 1): the JSON-RPC endpoint is for members. */
  let memberToken: string;

  before(async () => {
    chain = await startTestChain();
    gw = await startTestGateway(chain, [chainModule]);
    cp = await connect({ rpcUrl: chain.anvil.url, deployment: chain.deploymentFile });
    memberToken = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: 1n,
        roles: ["AGENCY", "GOVERNOR"],
        jurisdiction: "FR",
        address: new Wallet(devKey(1)).address,
      })
    ).token;
  });
  after(async () => {
    cp?.close();
    await gw?.close();
    await chain?.stop();
  });

  const rpc = async (body: unknown, token: string | null = memberToken) => {
    const res = await fetch(`${gw.url}/v1/chain/rpc`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> | Record<string, unknown>[] };
  };

  it("states the chain, every contract's address and EIP-712 domain, chain time and a signer's nonces", async function () {
    const signer = new Wallet(devKey(1)).address;
    const res = await fetch(`${gw.url}/v1/chain?signer=${signer}`);
    expect(res.status).to.equal(200);
    const info = (await res.json()) as ChainInfo;
    expect(info.chainId).to.equal(chain.record.chainId);
    expect(info.consortiumId).to.equal(chain.record.consortiumId);
    expect(info.deployment.contracts.EvidenceRegistry.address).to.equal(
      chain.record.contracts.EvidenceRegistry.address,
    );
    const block = await chain.provider.getBlock(info.head.number);
    expect(block?.hash).to.equal(info.head.hash);
    expect(info.chainTime).to.equal(block?.timestamp);
    for (const [name, domain] of [
      ["EvidenceRegistry", cp.evidence.domain],
      ["LicenseRegistry", cp.licenses.domain],
      ["AssistanceDesk", cp.assistance.domain],
      ["Consortium", cp.consortium.domains.consortium],
      ["ConsortiumGovernance", cp.consortium.domains.governance],
    ] as const) {
      expect(info.contracts[name]!.address).to.equal(chain.record.contracts[name].address);
      expect(info.contracts[name]!.domain).to.deep.equal({
        name: domain.name,
        version: domain.version,
        chainId: Number(domain.chainId),
        verifyingContract: domain.verifyingContract,
        ...(domain.salt === undefined || domain.salt === null ? {} : { salt: domain.salt }),
      });
    }
    const registry = new Contract(
      chain.record.contracts.EvidenceRegistry.address,
      ["function nonces(address) view returns (uint256)"],
      chain.provider,
    );
    expect(info.nonces!.EvidenceRegistry).to.equal(
      ((await registry.getFunction("nonces")(signer)) as bigint).toString(),
    );
    // Bad input: a 400 problem.
    const bad = await fetch(`${gw.url}/v1/chain?signer=0x1234`);
    expect(bad.status).to.equal(400);
  });

  it("attack: a stranger (no session) reads nothing through the JSON-RPC endpoint, an account nothing of the evidence", async function () {
    const call = {
      jsonrpc: "2.0",
      id: 1,
      method: "eth_call",
      params: [{ to: cp.deployment.contracts.EvidenceRegistry.address, data: "0x" }, "latest"],
    };
    expect((await rpc(call, null)).status).to.equal(401);
    // An account (a licensee) reads what signing its licensing requests needs, and nothing of the evidence.
    const account = (await gw.ctx.sessions.issue({ kind: "account", address: Wallet.createRandom().address })).token;
    const asAccount = (await rpc(call, account)).body as { error?: { code: number } };
    expect(asAccount.error?.code).to.equal(-32601);
    const logs = (
      await rpc(
        {
          jsonrpc: "2.0",
          id: 2,
          method: "eth_getLogs",
          params: [{ address: cp.deployment.contracts.LicenseRegistry.address }],
        },
        account,
      )
    ).body as { error?: { code: number } };
    expect(logs.error?.code).to.equal(-32601);
    const fullBlock = (
      await rpc({ jsonrpc: "2.0", id: 3, method: "eth_getBlockByNumber", params: ["latest", true] }, account)
    ).body as { error?: { code: number } };
    expect(fullBlock.error?.code).to.equal(-32601);
    const chainId = (await rpc({ jsonrpc: "2.0", id: 4, method: "eth_chainId", params: [] }, account)).body as {
      result?: string;
    };
    expect(Number(chainId.result)).to.equal(Number(cp.chainId));
  });

  it("the SDK connects through the gateway alone and reads what the chain node says", async function () {
    const info = (await (await fetch(`${gw.url}/v1/chain`)).json()) as ChainInfo;
    const through = await connect({
      rpcUrl: `${gw.url}/v1/chain/rpc`,
      deployment: info.deployment,
      providerOptions: { headers: { authorization: `Bearer ${memberToken}` } },
    });
    try {
      const viaGateway = await through.consortium.consortium.signerInfo(new Wallet(devKey(1)).address);
      const direct = await cp.consortium.consortium.signerInfo(new Wallet(devKey(1)).address);
      expect(viaGateway.memberId).to.equal(direct.memberId);
      expect(viaGateway.memberId).to.not.equal(0n);
      // The domains the SDK signs with are the ones it reads from the node.
      expect(through.evidence.domain).to.deep.equal(cp.evidence.domain);
    } finally {
      through.close();
    }
  });

  it("answers reads only: no transaction relayed, no call to other contracts, batches bounded", async function () {
    const call = (method: string, params: unknown[] = [], id = 1) => ({ jsonrpc: "2.0", id, method, params });
    const chainId = await rpc(call("eth_chainId"));
    expect(chainId.body).to.deep.include({ id: 1, result: `0x${chain.record.chainId.toString(16)}` });
    // The attacks: a raw transaction, the node's accounts, signing with the node's keys, Anvil's cheat codes.
    const tx = await new Wallet(devKey(3)).signTransaction({
      to: Wallet.createRandom().address,
      value: 1n,
      chainId: chain.record.chainId,
      nonce: 0,
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 1n,
    });
    for (const method of ["eth_sendRawTransaction", "eth_sendTransaction", "eth_accounts", "eth_sign", "anvil_mine"]) {
      const r = await rpc(call(method, method === "eth_sendRawTransaction" ? [tx] : []));
      expect(r.status).to.equal(200);
      expect((r.body as { error?: { code: number } }).error?.code, method).to.equal(-32601);
    }
    // eth_call and eth_getLogs: this consortium's contracts only.
    const elsewhere = await rpc(call("eth_call", [{ to: Wallet.createRandom().address, data: "0x" }, "latest"]));
    expect((elsewhere.body as { error?: { code: number } }).error?.code).to.equal(-32602);
    const allLogs = await rpc(call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest" }]));
    expect((allLogs.body as { error?: { code: number } }).error?.code).to.equal(-32602);
    // A batch: answered in order; too large a batch is refused.
    const batch = await rpc([call("eth_blockNumber", [], 7), call("eth_chainId", [], 8)]);
    expect((batch.body as { id: number }[]).map((a) => a.id)).to.deep.equal([7, 8]);
    const tooMany = await rpc(Array.from({ length: RPC_MAX_BATCH + 1 }, (_, i) => call("eth_chainId", [], i)));
    expect(tooMany.status).to.equal(400);
  });
});
