import { expect } from "chai";
import { loadFixture } from "../helpers/load-fixture";
import { ethers } from "hardhat";
import {
  CUSTODY_DETAILS_FORMAT,
  CrossproofError,
  EvidenceClient,
  buildCustodyDetails,
  checkCustodyDetails,
  custodyDetailsHash,
  handlerReference,
  isCrossproofError,
  parseCustodyDetails,
  sha256Hex,
  type CustodyDetails,
  type ManifestIssue,
} from "../../sdk/src";
import { evidenceFixture, hashOf } from "../helpers/fixtures";

const SALT = `0x${"5a".repeat(32)}`;
const WITNESS_SALT = `0x${"a5".repeat(32)}`;
const RECORD = `0x${"ab".repeat(32)}`;

function transfer(recordId = RECORD): CustodyDetails {
  return buildCustodyDetails({
    recordId,
    eventType: "Transferred",
    purpose: "Handover to the DE court for the hearing of case FR-2026-0042",
    location: {
      description: "Evidence store, room 2.14",
      facility: "Agence FR, Paris",
      jurisdiction: "FR",
      timeZone: "Europe/Paris",
    },
    handler: { identity: "FR-DGSI 12345 Hélène Durand", salt: SALT, role: "evidence custodian", memberId: 1 },
    witnesses: [{ identity: "FR-DGSI 67890 Paul Lefèvre", salt: WITNESS_SALT, role: "second officer" }],
    authority: { reference: "Décision d'entraide pénale n° 2026/77", documentSha256: sha256Hex("decision") },
    seals: [{ identifier: "FR-SEAL-000417", intact: true }],
    transport: { method: "encrypted package through the FR gateway" },
  });
}

async function refusedPaths(value: unknown): Promise<string[]> {
  const err = await custodyDetailsHash(value as CustodyDetails).then(
    () => expect.fail("hashed an invalid custody details document"),
    (e: unknown) => e,
  );
  expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true);
  return ((err as CrossproofError).details!.issues as ManifestIssue[]).map((i) => i.path);
}

describe("custody details documents (the detailsHash of a custody event)", function () {
  it("names the handler only by a salted hash of the identity, normalised where it is entered", function () {
    const expected = `0x${sha256Hex(Buffer.concat([Buffer.from("5a".repeat(32), "hex"), Buffer.from("FR-DGSI 12345 Hélène Durand", "utf8")]))}`;
    expect(handlerReference("FR-DGSI 12345 Hélène Durand", SALT)).to.equal(expected);
    expect(handlerReference("FR-DGSI 12345 Hélène Durand".normalize("NFD"), SALT)).to.equal(expected);
    expect(handlerReference("FR-DGSI 12345 Hélène Durand", WITNESS_SALT)).not.to.equal(expected);
    expect(() => handlerReference("x", "0x1234")).to.throw(CrossproofError);
    expect(() => handlerReference("", SALT)).to.throw(CrossproofError);

    const d = transfer();
    expect(d.handler).to.deep.equal({ reference: expected, role: "evidence custodian", memberId: 1 });
    expect(JSON.stringify(d)).not.to.contain("Durand");
    expect(JSON.stringify(d)).not.to.contain("Lefèvre");
    expect(d.format).to.equal(CUSTODY_DETAILS_FORMAT);
  });

  it("hashes to SHA-256 of its RFC 8785 form, exactly as given", async function () {
    const d = transfer();
    expect(parseCustodyDetails(d)).to.deep.equal(d);
    const reordered = Object.fromEntries(Object.entries(d).reverse()) as CustodyDetails;
    expect(await custodyDetailsHash(reordered)).to.equal(await custodyDetailsHash(d));
    const minimal = {
      format: CUSTODY_DETAILS_FORMAT,
      recordId: RECORD,
      eventType: "Collected",
      purpose: "p",
      location: { description: "l" },
      handler: { reference: RECORD },
    } as const;
    const canonical =
      '{"eventType":"Collected","format":"crossproof-custody-details/1","handler":{"reference":"' +
      RECORD +
      '"},"location":{"description":"l"},"purpose":"p","recordId":"' +
      RECORD +
      '"}';
    expect(await custodyDetailsHash(minimal)).to.equal(`0x${sha256Hex(canonical)}`);
  });

  it("requires purpose, location and handler, and refuses text that is not NFC", async function () {
    const d = transfer() as Partial<CustodyDetails>;
    delete d.purpose;
    delete d.location;
    delete d.handler;
    expect(await refusedPaths(d)).to.deep.equal(["purpose", "location", "handler"]);

    const nfd = { ...transfer(), purpose: "Remise au tribunal (procédure pénale)".normalize("NFD") };
    expect(await refusedPaths(nfd)).to.deep.equal(["purpose"]);
    const built = buildCustodyDetails({
      recordId: RECORD,
      eventType: "Transferred",
      purpose: nfd.purpose,
      location: { description: "Greffe".normalize("NFD") },
      handler: { identity: "x", salt: SALT },
    });
    expect(built.purpose).to.equal("Remise au tribunal (procédure pénale)");

    expect(await refusedPaths({ ...transfer(), recordId: RECORD.toUpperCase().replace("0X", "0x") })).to.deep.equal([
      "recordId",
    ]);
    expect(await refusedPaths({ ...transfer(), eventType: "Lost" })).to.deep.equal(["eventType"]);
    expect(await refusedPaths({ ...transfer(), handler: { reference: RECORD, name: "Hélène" } })).to.deep.equal([
      "handler",
    ]);
  });

  it("is the detailsHash of a custody event on chain, and checks against it", async function () {
    const f = await loadFixture(evidenceFixture);
    const [relayer] = await ethers.getSigners();
    const client = await EvidenceClient.connect(await f.registry.getAddress(), relayer!);
    const contentHash = hashOf("custody details package");
    const anchor = await client.signAnchorEvidence(f.frAgency, {
      contentHash,
      packageCid: "bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom",
      category: 1,
      caseRef: hashOf("case"),
      collectedAt: (await client.chainTime()) - 60,
    });
    const { recordId } = await (await client.anchorEvidence(anchor, relayer!)).wait();
    const collected = buildCustodyDetails({
      recordId,
      eventType: "Collected",
      purpose: "Capture of an infringing live stream, case FR-2026-0042",
      location: { description: "FR agency capture workstation 3", jurisdiction: "FR" },
      handler: { identity: "FR-DGSI 12345 Hélène Durand", salt: SALT, role: "DEFR" },
    });
    const signed = await client.signCustody(f.frAgency, {
      recordId,
      eventType: "Collected",
      detailsHash: await custodyDetailsHash(collected),
    });
    await (await client.submit(signed, relayer!)).wait();
    const { events } = await client.custodyChain(recordId);
    expect(events[0]!.detailsHash).to.equal(await custodyDetailsHash(collected));
    expect(await checkCustodyDetails(recordId, events[0]!, collected)).to.deep.equal({ matches: true, problems: [] });

    const altered = { ...collected, purpose: "Something else" };
    const check = await checkCustodyDetails(recordId, events[0]!, altered);
    expect(check.matches).to.equal(false);
    expect(check.problems[0]).to.match(/hashes to 0x[0-9a-f]{64}, not to the event's/);
    const elsewhere = await checkCustodyDetails(recordId, events[0]!, transfer(recordId));
    expect(elsewhere.problems).to.include("the document is for a Transferred event");
  });
});
