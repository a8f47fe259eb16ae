import { expect } from "chai";
import { ethers } from "hardhat";
import {
  CustodyEventType,
  EvidenceClient,
  caseReferenceHash,
  contractDomain,
  custodyEventHash,
  isCrossproofError,
  recoverEvidenceRequestSigner,
  signEvidenceRequest,
  verifyCustodyChain,
  type CustodyEvent,
  type Hex,
} from "../../sdk/src";

const id = ethers.id("evidence") as Hex;

/** Builds a well-formed chain of custody events, as the registry would emit them. */
function chain(specs: { type: number; actor: bigint; counterparty?: bigint }[]): CustodyEvent[] {
  let previous: string = id;
  return specs.map((s, sequence) => {
    const e = {
      sequence,
      eventType: s.type,
      actor: s.actor,
      counterparty: s.counterparty ?? 0n,
      occurredAt: 1_800_000_000 + sequence,
      detailsHash: ethers.id(`details ${sequence}`),
      signer: ethers.ZeroAddress,
      previous,
    };
    const eventHash = custodyEventHash({ ...e, evidenceId: id });
    previous = eventHash;
    return { ...e, eventHash };
  });
}

const transfer = [
  { type: CustodyEventType.Collected, actor: 1n },
  { type: CustodyEventType.Transferred, actor: 1n, counterparty: 2n },
  { type: CustodyEventType.Received, actor: 2n, counterparty: 1n },
];

describe("offline verification (SDK)", function () {
  describe("verifyCustodyChain", function () {
    it("accepts an intact, acknowledged chain and says who holds the evidence", function () {
      const events = chain(transfer);
      expect(verifyCustodyChain(id, 1n, events, events.at(-1)!.eventHash)).to.deep.equal({
        intact: true,
        complete: true,
        custodian: 2n,
        pendingRecipient: 0n,
        problems: [],
      });
      // No events yet: the anchoring member holds it and the head is the evidence id.
      expect(verifyCustodyChain(id, 1n, [], id)).to.include({ intact: true, complete: true, custodian: 1n });
    });

    it("finds a changed field, a missing event, a wrong link, a foreign head and an unacknowledged transfer", function () {
      const events = chain(transfer);
      const head = events.at(-1)!.eventHash;

      const changed = events.map((e, i) => (i === 1 ? { ...e, counterparty: 3n } : e));
      const r1 = verifyCustodyChain(id, 1n, changed, head);
      expect(r1.intact).to.equal(false);
      expect(r1.problems).to.include("event 1 does not hash to its recorded hash");

      const missing = [events[0]!, events[2]!];
      const r2 = verifyCustodyChain(id, 1n, missing, head);
      expect(r2.intact).to.equal(false);
      expect(r2.problems.join(" ")).to.contain("event 1 is missing");

      const relinked = events.map((e, i) => (i === 2 ? { ...e, previous: ethers.id("elsewhere") } : e));
      expect(verifyCustodyChain(id, 1n, relinked, head).problems).to.include(
        "event 2 does not link to the event before",
      );

      expect(verifyCustodyChain(id, 1n, events, ethers.id("another head")).problems).to.include(
        "the last event is not the head recorded on chain",
      );

      const pending = chain(transfer.slice(0, 2));
      const r5 = verifyCustodyChain(id, 1n, pending, pending.at(-1)!.eventHash);
      expect(r5).to.include({ intact: true, complete: false, custodian: 1n, pendingRecipient: 2n });
      expect(r5.problems[0]).to.contain("transfer to member 2 (Transferred) is not acknowledged");
    });
  });

  describe("signed requests", function () {
    it("recovers the signer offline, and a different signer for changed values", async function () {
      const [a] = await ethers.getSigners();
      const domain = contractDomain("EvidenceRegistry", 31337, ethers.ZeroAddress.replace(/0$/, "1"));
      const request = {
        id,
        reasonHash: ethers.id("reason") as Hex,
        nonce: 3,
        deadline: 1_900_000_000,
      };
      const signed = await signEvidenceRequest(a!, domain, "Retract", request);
      expect(signed.signer).to.equal(a!.address);
      expect(recoverEvidenceRequestSigner(domain, "Retract", request, signed.signature)).to.equal(a!.address);
      expect(recoverEvidenceRequestSigner(domain, "Retract", { ...request, nonce: 4 }, signed.signature)).not.to.equal(
        a!.address,
      );
      expect(() => recoverEvidenceRequestSigner(domain, "Retract", request, "0x1234")).to.throw(/cannot recover/);
    });

    it("salts case references and refuses a malformed salt", function () {
      const salt = ethers.id("agency secret");
      expect(caseReferenceHash("FR-2026-0042", salt)).to.equal(caseReferenceHash("FR-2026-0042", salt));
      expect(caseReferenceHash("FR-2026-0042", salt)).not.to.equal(caseReferenceHash("FR-2026-0042", ethers.id("x")));
      expect(() => caseReferenceHash("FR-2026-0042", "0x12")).to.throw(/32 bytes/);
    });

    it("says DEPLOYMENT_NOT_FOUND for an address without a contract", async function () {
      const [a] = await ethers.getSigners();
      await EvidenceClient.connect(ethers.Wallet.createRandom().address, a!).then(
        () => expect.fail("connected to nothing"),
        (err: unknown) => expect(isCrossproofError(err, "DEPLOYMENT_NOT_FOUND"), String(err)).to.equal(true),
      );
    });
  });
});
