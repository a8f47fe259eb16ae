import { expect } from "chai";
import { Contract, Interface, id } from "ethers";
import { preparedContract } from "../../sdk/src";

describe("preparedContract: ethers' per-call work done once, with the same results", () => {
  const address = `0x${"11".repeat(20)}`;

  it("keeps every event topic and function selector equal to the signature's hash", () => {
    const abi = [
      "event EvidenceAnchored(bytes32 indexed recordId, bytes32 indexed contentHash, uint256 indexed memberId)",
      "event CustodyRecorded(bytes32 indexed recordId, uint8 action, address actor)",
      "function getEvidence(bytes32 recordId) view returns (tuple(bytes32 contentHash, uint64 anchoredAt))",
      "function consortium() view returns (address)",
    ];
    const plain = new Contract(address, abi, null);
    const prepared = preparedContract(new Contract(address, abi, null));
    plain.interface.forEachEvent((f) => {
      const g = prepared.interface.getEvent(f.topicHash)!;
      expect(g.name).to.equal(f.name);
      expect(g.topicHash).to.equal(id(f.format("sighash")));
    });
    plain.interface.forEachFunction((f) => {
      const g = prepared.interface.getFunction(f.selector)!;
      expect(g.format("sighash")).to.equal(f.format("sighash"));
      expect(g.selector).to.equal(id(f.format("sighash")).slice(0, 10));
    });
    expect(prepared.interface.encodeFunctionData("getEvidence", [`0x${"ab".repeat(32)}`])).to.equal(
      plain.interface.encodeFunctionData("getEvidence", [`0x${"ab".repeat(32)}`]),
    );
  });

  it("answers the same method object each time, and leaves overloaded names and the contract's own members to ethers", async () => {
    const abi = [
      "function f(uint256) view returns (uint256)",
      "function g(uint256) view returns (uint256)",
      "function g(bytes32) view returns (uint256)",
      "function connect() view returns (uint256)",
    ];
    const c = preparedContract(new Contract(address, new Interface(abi), null));
    expect(c.f).to.equal(c.f);
    expect(c.f!.fragment.format("sighash")).to.equal("f(uint256)");
    expect(await c.f!.populateTransaction(7)).to.deep.equal({
      to: address,
      data: new Interface(abi).encodeFunctionData("f", [7]),
    });
    // Overloaded: ethers still builds it per access (and asks for the signature when ambiguous).
    expect(c.g).to.not.equal(c.g);
    expect(c.getFunction("g(bytes32)").fragment.format("sighash")).to.equal("g(bytes32)");
    // A member of the contract object keeps its meaning.
    expect(c.connect).to.equal(Contract.prototype.connect);
  });
});
