import { expect } from "chai";
import { JsonRpcProvider, SigningKey, Transaction, Wallet, ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import { EvidenceRegistry__factory } from "../../sdk/src/typechain";
import {
  ChainClock,
  classifySendError,
  unreachableError,
  decodeEvents,
  encodeCall,
  signRelayedTransaction,
  type RelayedTransactionFields,
} from "../../sdk/src";

const key = new SigningKey(keccak256(toUtf8Bytes("relayer test key")));
const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("Relayer, offline", () => {
  describe("signed transactions are the ones ethers makes", () => {
    const cases: [string, RelayedTransactionFields][] = [
      [
        "EIP-1559, calldata over 55 bytes",
        {
          chainId: 31337n,
          nonce: 0,
          to: CONTRACT,
          data: `0x${"ab".repeat(700)}`,
          value: 0n,
          gasLimit: 200_000n,
          fees: { maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
        },
      ],
      [
        "EIP-1559, zero fees (a free-gas consortium chain), large nonce and chain id",
        {
          chainId: 1_999_999_999n,
          nonce: 123_456,
          to: CONTRACT,
          data: "0x01",
          value: 5n,
          gasLimit: 21_000n,
          fees: { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
        },
      ],
      [
        "EIP-1559, empty calldata, one-byte fields under 0x80",
        {
          chainId: 1n,
          nonce: 127,
          to: CONTRACT,
          data: "0x",
          value: 0n,
          gasLimit: 21_000n,
          fees: { maxFeePerGas: 100n, maxPriorityFeePerGas: 1n },
        },
      ],
      [
        "legacy with EIP-155",
        {
          chainId: 31337n,
          nonce: 9,
          to: CONTRACT,
          data: `0x${"cd".repeat(60)}`,
          value: 0n,
          gasLimit: 90_000n,
          fees: { gasPrice: 1_000_000_000n },
        },
      ],
      [
        "legacy, zero gas price",
        {
          chainId: 2018n,
          nonce: 0,
          to: CONTRACT,
          data: "0x",
          value: 0n,
          gasLimit: 21_000n,
          fees: { gasPrice: 0n },
        },
      ],
    ];
    for (const [name, fields] of cases) {
      it(name, async () => {
        const { raw, hash } = signRelayedTransaction(key, fields);
        const expected = await new Wallet(key).signTransaction({
          chainId: fields.chainId,
          nonce: fields.nonce,
          to: fields.to,
          data: fields.data,
          value: fields.value,
          gasLimit: fields.gasLimit,
          ...("gasPrice" in fields.fees ? { type: 0, gasPrice: fields.fees.gasPrice } : { type: 2, ...fields.fees }),
        });
        expect(raw).to.equal(expected);
        const parsed = Transaction.from(raw);
        expect(hash).to.equal(parsed.hash);
        expect(parsed.from).to.equal(new Wallet(key).address);
      });
    }
  });

  describe("refusals of eth_sendRawTransaction are classified from the node's words", () => {
    // Errors as ethers makes them from the JSON-RPC answers of Anvil, Geth, Besu and Nethermind.
    const provider = new JsonRpcProvider("http://127.0.0.1:1", 1, { staticNetwork: true });
    after(() => provider.destroy());
    const refusal = (message: string, code = -32000) =>
      provider.getRpcError(
        { method: "eth_sendRawTransaction", params: ["0x02"], id: 1, jsonrpc: "2.0" },
        { id: 1, error: { code, message } },
      );
    const table: [string, ReturnType<typeof classifySendError>][] = [
      ["already known", "known"], // Geth
      ["transaction already imported", "known"], // Anvil
      ["Known transaction", "known"], // Besu
      ["AlreadyKnown", "known"], // Nethermind
      ["nonce too low", "nonce"], // Anvil, Geth
      ["nonce too low: next nonce 5, tx nonce 4", "nonce"],
      ["Nonce too low", "nonce"], // Besu
      ["OldNonce", "nonce"], // Nethermind
      ["replacement transaction underpriced", "nonce"],
      ["Replacement transaction underpriced", "nonce"],
      ["max fee per gas less than block base fee", "fee"],
      ["transaction underpriced", "fee"],
      ["Gas price below configured minimum gas price", "fee"], // Besu
      ["FeeTooLow", "fee"], // Nethermind
      ["Insufficient funds for gas * price + value", "fatal"],
      ["Upfront cost exceeds account balance", "fatal"], // Besu
      ["intrinsic gas too low", "fatal"],
      ["invalid chain id for signer", "fatal"],
      ["exceeds block gas limit", "fatal"],
      ["txpool is full", "transient"],
      ["nonce too high", "transient"],
      ["Transaction nonce is too distant from current sender nonce", "transient"], // Besu
    ];
    for (const [message, expected] of table) {
      it(`"${message}" → ${expected}`, () => {
        expect(classifySendError(refusal(message))).to.equal(expected);
      });
    }
    it("a refused connection → transient", () => {
      const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" });
      expect(classifySendError(refused)).to.equal("transient");
      // As the SDK's own JSON-RPC link reports it: CHAIN_UNREACHABLE naming the URL.
      expect(classifySendError(unreachableError(refused, "http://127.0.0.1:8545"))).to.equal("transient");
    });
  });

  describe("chain clock", () => {
    /** A clock over scripted block readings and a local time the test moves. */
    function scripted(blocks: { number: number; timestamp: number }[], maxAge = 5_000) {
      let now = 1_000_000;
      let reads = 0;
      const clock = new ChainClock(async () => blocks[Math.min(reads++, blocks.length - 1)]!, {
        maxAge,
        localTime: () => now,
      });
      return {
        clock,
        advance: (ms: number) => (now += ms),
        reads: () => reads,
      };
    }

    it("adds the local time elapsed since the latest block was first seen, reading it once per maxAge", async () => {
      const c = scripted([
        { number: 10, timestamp: 1_800_000_000 },
        { number: 10, timestamp: 1_800_000_000 },
        { number: 12, timestamp: 1_800_000_009 },
      ]);
      expect(await c.clock.now()).to.equal(1_800_000_000);
      c.advance(2_500);
      expect(await c.clock.now()).to.equal(1_800_000_002);
      expect(c.reads()).to.equal(1);
      // Past maxAge: read again. The same block keeps running from when it was first seen.
      c.advance(3_000);
      expect(await c.clock.now()).to.equal(1_800_000_005);
      expect(c.reads()).to.equal(2);
      // A new block restarts from its own timestamp.
      c.advance(6_000);
      expect(await c.clock.now()).to.equal(1_800_000_009);
      expect(c.reads()).to.equal(3);
    });

    it("reads again at once after invalidate (the chain's time was moved)", async () => {
      const c = scripted([
        { number: 1, timestamp: 1_800_000_000 },
        { number: 2, timestamp: 1_900_000_000 },
      ]);
      expect(await c.clock.now()).to.equal(1_800_000_000);
      c.clock.invalidate();
      expect(await c.clock.now()).to.equal(1_900_000_000);
      expect(c.reads()).to.equal(2);
    });

    it("shares one read among concurrent callers", async () => {
      const c = scripted([{ number: 1, timestamp: 1_800_000_000 }]);
      expect(await Promise.all([c.clock.now(), c.clock.now(), c.clock.now()])).to.deep.equal([
        1_800_000_000, 1_800_000_000, 1_800_000_000,
      ]);
      expect(c.reads()).to.equal(1);
    });
  });

  describe("calldata and events, with the selectors and topics computed once", () => {
    const iface = EvidenceRegistry__factory.createInterface();
    const request = {
      recordId: keccak256(toUtf8Bytes("record")),
      reasonHash: ZeroHash,
      nonce: 7n,
      deadline: 1_800_000_000,
    };

    it("encodeCall is encodeFunctionData", () => {
      const signature = `0x${"11".repeat(65)}`;
      expect(encodeCall(iface, "retractEvidence", [request, signature])).to.equal(
        iface.encodeFunctionData("retractEvidence", [request, signature]),
      );
      expect(encodeCall(iface, "retractEvidence", [request, signature])).to.equal(
        iface.encodeFunctionData("retractEvidence", [request, signature]),
      );
    });

    it("decodeEvents is parseLog for the interface's events and skips the others", () => {
      const { data, topics } = iface.encodeEventLog("EvidenceRetracted", [
        request.recordId,
        3n,
        request.reasonHash,
        CONTRACT,
      ]);
      const foreign = { data: "0x", topics: [keccak256(toUtf8Bytes("Other()"))] };
      const logs = [{ data, topics }, foreign, { data, topics }] as unknown as Parameters<typeof decodeEvents>[1];
      const events = decodeEvents(iface, logs);
      expect(events.map((e) => e.name)).to.deep.equal(["EvidenceRetracted", "EvidenceRetracted"]);
      const parsed = iface.parseLog({ data, topics })!;
      expect(events[0]!.args.toArray()).to.deep.equal(parsed.args.toArray());
      expect(events[0]!.topic).to.equal(parsed.topic);
    });
  });
});
