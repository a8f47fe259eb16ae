import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TypedDataEncoder } from "ethers";
import { ethers } from "hardhat";
import {
  CustodyEventType,
  EvidenceRegistryTypes,
  batchIdOf,
  recordIdOf,
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
const T0 = 1_800_000_000;

interface Spec {
  type: number;
  actor: bigint;
  counterparty?: bigint;
  /** Seconds after T0 (default: the event's sequence). */
  at?: number;
}

/** Builds a well-formed (hash-linked) chain of custody events, as the registry would emit them. */
function chain(specs: Spec[]): CustodyEvent[] {
  let previous: string = id;
  return specs.map((s, sequence) => {
    const e = {
      sequence,
      eventType: s.type,
      actor: s.actor,
      counterparty: s.counterparty ?? 0n,
      occurredAt: T0 + (s.at ?? sequence),
      detailsHash: ethers.id(`details ${sequence}`),
      signer: ethers.ZeroAddress,
      previous,
    };
    const eventHash = custodyEventHash({ ...e, recordId: id });
    previous = eventHash;
    return { ...e, eventHash };
  });
}

const verify = (events: CustodyEvent[], options = {}) =>
  verifyCustodyChain(id, 1n, events, events.at(-1)?.eventHash ?? id, options);

const transfer: Spec[] = [
  { type: CustodyEventType.Collected, actor: 1n },
  { type: CustodyEventType.Transferred, actor: 1n, counterparty: 2n },
  { type: CustodyEventType.Received, actor: 2n, counterparty: 1n },
];

describe("offline verification (SDK)", function () {
  describe("verifyCustodyChain", function () {
    it("accepts an intact, acknowledged chain and says who holds the evidence and who received it", function () {
      const events = chain(transfer);
      expect(verifyCustodyChain(id, 1n, events, events.at(-1)!.eventHash)).to.deep.equal({
        status: "COMPLETE",
        intact: true,
        recorded: true,
        complete: true,
        custodian: 2n,
        pendingRecipient: 0n,
        recipients: [1n, 2n],
        problems: [],
      });
    });

    it("reports a record without custody events as NO_CUSTODY_RECORDED, never as complete", function () {
      expect(verifyCustodyChain(id, 1n, [], id)).to.deep.equal({
        status: "NO_CUSTODY_RECORDED",
        intact: true,
        recorded: false,
        complete: false,
        custodian: 1n,
        pendingRecipient: 0n,
        recipients: [1n],
        problems: ["no custody is recorded (no Collected or Acquired event)"],
      });
      // Events withheld by an index while the chain has a head: broken, not "no custody".
      expect(verifyCustodyChain(id, 1n, [], ethers.id("a head")).status).to.equal("BROKEN");
    });

    it("finds a changed field, a missing event, a wrong link, a foreign head and an unacknowledged transfer", function () {
      const events = chain(transfer);
      const head = events.at(-1)!.eventHash;

      const changed = events.map((e, i) => (i === 1 ? { ...e, counterparty: 3n } : e));
      const r1 = verifyCustodyChain(id, 1n, changed, head);
      expect(r1).to.include({ status: "BROKEN", intact: false, complete: false });
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

      const r5 = verify(chain(transfer.slice(0, 2)));
      expect(r5).to.include({
        status: "TRANSFER_PENDING",
        intact: true,
        complete: false,
        custodian: 1n,
        pendingRecipient: 2n,
      });
      expect(r5.problems[0]).to.contain("transfer to member 2 (Transferred) is not acknowledged");
    });

    it("requires the chain to start with Collected or Acquired by the anchoring member", function () {
      expect(verify(chain([{ type: CustodyEventType.Acquired, actor: 1n }])).status).to.equal("COMPLETE");
      const sealedFirst = verify(chain([{ type: CustodyEventType.Sealed, actor: 1n }]));
      expect(sealedFirst).to.include({ status: "BROKEN", intact: true, complete: false });
      expect(sealedFirst.problems).to.deep.equal([
        "custody does not start with Collected or Acquired (event 0 (Sealed))",
      ]);
      const byOther = verify(chain([{ type: CustodyEventType.Collected, actor: 2n }]));
      expect(byOther.problems).to.deep.equal(["event 0 (Collected) is not by the anchoring member 1"]);
    });

    it("refuses events before the collection, and sharing events before the chain started", function () {
      const events = chain([
        { type: CustodyEventType.Collected, actor: 1n, at: 100 },
        { type: CustodyEventType.Accessed, actor: 1n, at: 50 },
      ]);
      expect(verify(events).problems).to.deep.equal(["event 1 (Accessed) predates the start of the chain of custody"]);
      expect(verify(events, { collectedAt: T0 + 60 }).problems).to.deep.equal([
        "event 1 (Accessed) predates the collection of the evidence",
        "event 1 (Accessed) predates the start of the chain of custody",
      ]);
    });

    it("accepts Accessed only from members that received the package", function () {
      const outsider = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n },
          { type: CustodyEventType.Accessed, actor: 3n },
        ]),
      );
      expect(outsider.status).to.equal("BROKEN");
      expect(outsider.problems).to.deep.equal(["event 1 (Accessed): member 3 never received the package"]);
      const shared = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n },
          { type: CustodyEventType.RecipientAdded, actor: 1n, counterparty: 3n },
          { type: CustodyEventType.Accessed, actor: 3n },
          ...transfer.slice(1),
          { type: CustodyEventType.Accessed, actor: 2n },
          { type: CustodyEventType.RecipientAdded, actor: 2n, counterparty: 4n },
          { type: CustodyEventType.Accessed, actor: 4n },
        ]),
      );
      expect(shared).to.include({ status: "COMPLETE", custodian: 2n });
      expect(shared.recipients).to.deep.equal([1n, 3n, 2n, 4n]);
      const notCustodian = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n },
          { type: CustodyEventType.RecipientAdded, actor: 3n, counterparty: 3n },
        ]),
      );
      expect(notCustodian.problems).to.deep.equal([
        "event 1 (RecipientAdded): member 3 is neither the anchoring member nor the custodian",
      ]);
    });

    it("lets only the custodian's events move the clock: a late access does not make a later transfer look early", function () {
      const late = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n, at: 0 },
          { type: CustodyEventType.RecipientAdded, actor: 1n, counterparty: 2n, at: 10 },
          { type: CustodyEventType.Accessed, actor: 2n, at: 1000 },
          { type: CustodyEventType.Transferred, actor: 1n, counterparty: 3n, at: 500 },
          { type: CustodyEventType.Received, actor: 3n, counterparty: 1n, at: 600 },
        ]),
      );
      expect(late.status).to.equal("COMPLETE");
      expect(late.problems).to.deep.equal([]);
      const backwards = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n, at: 100 },
          { type: CustodyEventType.Sealed, actor: 1n, at: 50 },
        ]),
      );
      expect(backwards.problems).to.deep.equal(["event 1 (Sealed) is earlier than the custody event before it"]);
      const notHolder = verify(
        chain([
          { type: CustodyEventType.Collected, actor: 1n },
          { type: CustodyEventType.Sealed, actor: 2n },
        ]),
      );
      expect(notHolder.problems).to.deep.equal(["event 1 (Sealed): member 2 is not the custodian"]);
    });
  });

  describe("mirrors of the contract", function () {
    it("EIP-712 types are the type strings EvidenceRegistry.sol hashes", function () {
      const source = readFileSync(path.join(__dirname, "../../contracts/EvidenceRegistry.sol"), "utf8");
      const contractTypes = [...source.matchAll(/_[A-Z_]+_TYPEHASH = keccak256\(\s*((?:"[^"]*"\s*)+)\)/g)].map((m) =>
        [...m[1]!.matchAll(/"([^"]*)"/g)].map((q) => q[1]).join(""),
      );
      const sdkTypes = Object.keys(EvidenceRegistryTypes).map((name) =>
        TypedDataEncoder.from({
          [name]: [...EvidenceRegistryTypes[name as keyof typeof EvidenceRegistryTypes]],
        }).encodeType(name),
      );
      expect(sdkTypes).to.have.members(contractTypes);
      expect(contractTypes.length).to.equal(6);
      expect(contractTypes.join()).not.to.match(/jurisdiction/);
    });

    it("record and batch ids are keccak256 of the 64-byte (memberId, hash) encoding", function () {
      const hash = ethers.id("content");
      for (const member of [1n, 255n, 2n ** 64n - 1n]) {
        const expected = ethers.keccak256(ethers.concat([ethers.toBeHex(member, 32), hash]));
        expect(recordIdOf(member, hash)).to.equal(expected);
        expect(batchIdOf(member, hash)).to.equal(expected);
      }
      expect(recordIdOf(1, hash)).not.to.equal(recordIdOf(2, hash));
    });
  });

  describe("signed requests", function () {
    it("recovers the signer offline, and a different signer for changed values", async function () {
      const [a] = await ethers.getSigners();
      const domain = contractDomain(
        "EvidenceRegistry",
        31337,
        ethers.ZeroAddress.replace(/0$/, "1"),
        ethers.id("a consortium"),
      );
      const request = {
        recordId: id,
        reasonHash: ethers.id("reason") as Hex,
        nonce: 3,
        deadline: 1_900_000_000,
      };
      const signed = await signEvidenceRequest(a!, domain, "RetractEvidence", request);
      expect(signed.signer).to.equal(a!.address);
      expect(recoverEvidenceRequestSigner(domain, "RetractEvidence", request, signed.signature)).to.equal(a!.address);
      expect(
        recoverEvidenceRequestSigner(domain, "RetractEvidence", { ...request, nonce: 4 }, signed.signature),
      ).not.to.equal(a!.address);
      expect(() => recoverEvidenceRequestSigner(domain, "RetractEvidence", request, "0x1234")).to.throw(
        /cannot recover/,
      );
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
