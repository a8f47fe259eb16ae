import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet, type JsonRpcProvider } from "ethers";
import {
  ConsortiumClient,
  connect,
  createProvider,
  loadConsortiumConfig,
  MAX_LOGS_RANGE,
  type DeploymentRecord,
} from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import { deployCrossproof } from "../../scripts/lib/deploy";
import {
  devAccount,
  devAccountFor,
  freePort,
  localProvider,
  startAnvil,
  type RunningAnvil,
} from "../../scripts/lib/anvil";
import { castVote, proposeAdmission } from "../../scripts/besu-governance";
import { besuProfile, startRpcGuard, type RpcGuard } from "../helpers/rpc-guard";

const root = path.resolve(__dirname, "..", "..");
const genesisFile = path.join(root, "deploy", "besu", "example", "genesis.json");

/** One JSON-RPC call; resolves to the result or the error object (never throws for a JSON-RPC error). */
async function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

describe("Besu parity profile: Anvil as the genesis, behind a guard that refuses what Besu refuses", function () {
  const profile = besuProfile(genesisFile);
  let anvil: RunningAnvil;
  let guard: RpcGuard;
  let harness: JsonRpcProvider;
  let guarded: JsonRpcProvider;
  let record: DeploymentRecord;
  let dataDir: string;
  /** Accounts made for this test: they hold nothing (as every account on the consortium chain). */
  const deployer = Wallet.createRandom();
  const relayer = Wallet.createRandom();

  before(async function () {
    dataDir = mkdtempSync(path.join(tmpdir(), "crossproof-besu-profile-"));
    anvil = await startAnvil({
      port: await freePort(),
      chainId: profile.chainId,
      extraArgs: profile.anvilArgs,
      idleBlocks: false,
    });
    guard = await startRpcGuard(anvil.url, { chainId: BigInt(profile.chainId) });
    harness = localProvider(guard.harnessUrl);
    guarded = localProvider(guard.url);
  });
  after(async function () {
    harness.destroy();
    guarded.destroy();
    await guard.close();
    await anvil.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs the genesis' chain: its chain id, base fee 0, gas price 0", async function () {
    expect(Number((await guarded.getNetwork()).chainId)).to.equal(profile.chainId);
    const block = (await rpc(guard.url, "eth_getBlockByNumber", ["latest", false])).result as {
      baseFeePerGas: string;
      gasLimit: string;
    };
    expect(block.baseFeePerGas).to.equal("0x0");
    expect(Number(block.gasLimit)).to.equal(profile.gasLimit);
    expect((await rpc(guard.url, "eth_gasPrice")).result).to.equal("0x0");
    expect((await rpc(guard.url, "eth_maxPriorityFeePerGas")).result).to.equal("0x0");
  });

  it("deploys the contracts from a zero-balance account and relays the agreements from another, paying nothing", async function () {
    const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
    ({ record } = await deployCrossproof({
      signer: deployer.connect(guarded),
      config,
      deploymentFile: path.join(dataDir, "deployment.json"),
    }));
    await concludeConfiguredAgreements({
      provider: guarded,
      relayer: relayer.connect(guarded),
      record,
      config,
      keyFor: (a) => devAccountFor(a, guarded),
    });
    expect(await guarded.getBalance(deployer.address)).to.equal(0n);
    expect(await guarded.getBalance(relayer.address)).to.equal(0n);
    expect(await guarded.getTransactionCount(relayer.address)).to.be.greaterThan(0);
    expect(guard.refusals).to.deep.equal([]);
  });

  it("admits a new country's member by governance vote (npm run besu:governance), relayed at gas price 0", async function () {
    const cp = await connect({ rpcUrl: guard.url, deployment: record });
    try {
      const relaying = relayer.connect(cp.provider);
      const newcomer = Wallet.createRandom().address;
      const made = await proposeAdmission(cp, devAccount(1, guarded), relaying, {
        jurisdiction: "IT",
        roles: ["AGENCY", "GOVERNOR"],
        name: "Agenzia nazionale (test)",
        key: newcomer,
      });
      expect(made).to.include({ kind: "AdmitMember", executed: false });
      // Every other governor of the demo consortium votes; the vote that reaches the quorum executes the admission.
      const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
      const governors = config.founders
        .map((f, i) => ({ key: f.key, roles: f.roles as readonly string[], memberId: i + 1 }))
        .filter((f) => f.roles.includes("GOVERNOR") && f.memberId !== 1);
      let vote: Awaited<ReturnType<typeof castVote>> | undefined;
      for (const g of governors) {
        vote = await castVote(cp, devAccountFor(g.key, guarded)!, relaying, made.proposalId, true);
        if (vote.executed) break;
      }
      expect(vote).to.include({ executed: true });
      expect(await guarded.getBalance(relayer.address)).to.equal(0n);
      expect(guard.refusals).to.deep.equal([]);
    } finally {
      cp.close();
    }
  });

  it("attack: development methods from a production path are refused; the harness port lets them through", async function () {
    for (const [method, params] of [
      ["evm_increaseTime", [60]],
      ["evm_snapshot", []],
      ["anvil_setBalance", [relayer.address, "0x1"]],
      ["hardhat_mine", ["0x1"]],
      ["eth_sendTransaction", [{ from: devAccount(0, guarded).address, to: relayer.address }]],
      ["txpool_status", []],
    ] as const) {
      expect((await rpc(guard.url, method, [...params])).error, method).to.include({ code: -32601 });
    }
    const snapshot = await rpc(guard.harnessUrl, "evm_snapshot");
    expect(snapshot.result).to.be.a("string");
    expect((await rpc(guard.harnessUrl, "evm_revert", [snapshot.result])).result).to.equal(true);
  });

  it("attack: finalized and safe block tags, and block numbers that are not hex", async function () {
    expect((await rpc(guard.url, "eth_getBlockByNumber", ["finalized", false])).error).to.include({ code: -39001 });
    expect((await rpc(guard.url, "eth_getBlockByNumber", ["safe", false])).error).to.include({ code: -39001 });
    expect((await rpc(guard.url, "eth_getBalance", [relayer.address, "12"])).error).to.include({ code: -32602 });
    expect((await rpc(guard.url, "eth_getBlockByNumber", [1, false])).error).to.include({ code: -32602 });
    expect((await rpc(guard.url, "eth_getBlockByNumber", ["0x1", false])).result).to.be.an("object");
  });

  it("attack: a transaction that pays a gas price, or moves value, from an account that holds nothing on Besu", async function () {
    const funded = devAccount(3, guarded); // funded on Anvil: only the guard stands where Besu's zero balance would
    const paying = await funded.signTransaction({
      to: relayer.address,
      gasLimit: 21_000,
      gasPrice: 1_000_000_000,
      nonce: await funded.getNonce(),
      chainId: profile.chainId,
    });
    expect((await rpc(guard.url, "eth_sendRawTransaction", [paying])).error).to.include({ code: -32004 });
    const moving = await funded.signTransaction({
      to: relayer.address,
      value: 1,
      gasLimit: 21_000,
      gasPrice: 0,
      nonce: await funded.getNonce(),
      chainId: profile.chainId,
    });
    expect((await rpc(guard.url, "eth_sendRawTransaction", [moving])).error).to.include({ code: -32004 });
    const otherChain = await funded.signTransaction({
      to: relayer.address,
      gasLimit: 21_000,
      gasPrice: 0,
      nonce: await funded.getNonce(),
      chainId: 31337,
    });
    expect((await rpc(guard.url, "eth_sendRawTransaction", [otherChain])).error).to.include({ code: -32000 });
  });

  it("attack: a sender outside the accounts allowlist, when the guard is given one", async function () {
    const strict = await startRpcGuard(anvil.url, {
      chainId: BigInt(profile.chainId),
      allowedSenders: [relayer.address],
    });
    try {
      const stranger = Wallet.createRandom();
      const tx = await stranger.signTransaction({
        to: relayer.address,
        gasLimit: 21_000,
        gasPrice: 0,
        nonce: 0,
        chainId: profile.chainId,
      });
      expect((await rpc(strict.url, "eth_sendRawTransaction", [tx])).error).to.include({ code: -32007 });
    } finally {
      await strict.close();
    }
  });

  describe(`a chain longer than ${MAX_LOGS_RANGE} blocks`, function () {
    before(async function () {
      await rpc(guard.harnessUrl, "anvil_mine", [`0x${(MAX_LOGS_RANGE + 700).toString(16)}`]);
    });

    it("attack: eth_getLogs over more than 5,000 blocks, past the head; state older than 512 blocks", async function () {
      const head = Number((await rpc(guard.url, "eth_blockNumber")).result);
      const logs = (from: number, to: number) =>
        rpc(guard.url, "eth_getLogs", [{ fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }]);
      expect((await logs(0, MAX_LOGS_RANGE + 1)).error).to.include({ code: -32005 });
      expect((await logs(0, MAX_LOGS_RANGE)).result).to.be.an("array");
      expect((await logs(head - 10, head + 1)).error).to.include({ code: -32602 });
      expect((await rpc(guard.url, "eth_getLogs", [{ fromBlock: "0x0" }])).error).to.include({ code: -32005 });
      const old = `0x${(head - 600).toString(16)}`;
      expect((await rpc(guard.url, "eth_getBalance", [relayer.address, old])).error).to.include({ code: -32000 });
      expect((await rpc(guard.url, "eth_getBalance", [relayer.address, "latest"])).result).to.equal("0x0");
    });

    it("the SDK's provider pages its log queries: the founding events are still found", async function () {
      const provider = createProvider(guard.url, { chainId: profile.chainId });
      try {
        const consortium = await ConsortiumClient.connect(record.contracts.Consortium.address, provider);
        const before = guard.refusals.length;
        // Founding wrote the consortium's events in the first blocks, thousands of blocks below the head.
        const all = await provider.getLogs({ address: record.contracts.Consortium.address, fromBlock: 0 });
        expect(all.length).to.be.greaterThan(0);
        expect(all[0]!.blockNumber).to.be.lessThan(100);
        await consortium.registeredPublicKeys();
        expect(guard.refusals.slice(before)).to.deep.equal([]);
        // The same query unpaged is what Besu refuses.
        const unpaged = await rpc(guard.url, "eth_getLogs", [
          { fromBlock: "0x0", toBlock: "latest", address: record.contracts.Consortium.address },
        ]);
        expect(unpaged.error).to.include({ code: -32005 });
      } finally {
        provider.destroy();
      }
    });
  });
});
