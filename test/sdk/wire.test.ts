import { expect } from "chai";
import { TypedDataEncoder, Wallet, getAddress, type TypedDataDomain } from "ethers";
import {
  AgreementTypes,
  EvidenceRegistryTypes,
  LicenseRegistryTypes,
  SIGNED_REQUEST_FORMAT,
  contractDomain,
  isCrossproofError,
  parseWireRequest,
  recoverRequestSigners,
  signEvidenceRequest,
  signTypedRequest,
  signedRequestDigest,
  toWireRequest,
  type AnchorEvidenceRequest,
  type CrossproofErrorCode,
  type Hex,
  type WireSignedRequest,
} from "../../sdk/src";

const SALT = `0x${"c0".repeat(32)}` as Hex;
const domainOf = (contract: Parameters<typeof contractDomain>[0]): TypedDataDomain =>
  contractDomain(contract, 31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3", SALT);

const agency = new Wallet(`0x${"11".repeat(32)}`);
const holder = new Wallet(`0x${"22".repeat(32)}`);
const newHolder = new Wallet(`0x${"33".repeat(32)}`);

const anchor: AnchorEvidenceRequest = {
  contentHash: `0x${"ab".repeat(32)}`,
  packageCid: "0x01551220aabbccdd",
  category: 3,
  firstUpload: "0x5553",
  primaryDissemination: "0x0000",
  caseRef: `0x${"cd".repeat(32)}`,
  collectedAt: 1_790_000_000,
  supersedes: `0x${"00".repeat(32)}`,
  deadline: 1_790_003_600,
};

/** JSON as it crosses the wire. */
const overTheWire = (w: WireSignedRequest): unknown => JSON.parse(JSON.stringify(w));

function expectCode(f: () => unknown, code: CrossproofErrorCode, message?: RegExp): void {
  try {
    f();
  } catch (err) {
    expect(isCrossproofError(err, code), `expected ${code}, got ${String(err)}`).to.equal(true);
    if (message !== undefined) expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("signed requests on the wire (toWireRequest, parseWireRequest)", function () {
  it("round-trips an anchor: integers as decimal strings, the same digest, the signer recovered", async function () {
    const domain = domainOf("EvidenceRegistry");
    const signed = await signEvidenceRequest(agency, domain, "AnchorEvidence", anchor);
    const wire = toWireRequest(signed);
    expect(wire).to.include({
      format: SIGNED_REQUEST_FORMAT,
      contract: "EvidenceRegistry",
      primaryType: "AnchorEvidence",
    });
    expect(wire.request.category).to.equal("3");
    expect(wire.request.deadline).to.equal("1790003600");
    expect(wire.domain.chainId).to.equal("31337");
    expect(wire).not.to.have.property("cosignatures");

    const parsed = parseWireRequest(overTheWire(wire));
    expect(parsed.request).to.deep.equal(anchor);
    expect(parsed.contract).to.equal("EvidenceRegistry");
    const digest = TypedDataEncoder.hash(
      domain,
      { AnchorEvidence: [...EvidenceRegistryTypes.AnchorEvidence] },
      anchor as unknown as Record<string, unknown>,
    );
    expect(signedRequestDigest(parsed)).to.equal(digest);
    expect(signedRequestDigest(signed)).to.equal(digest);
    expect(recoverRequestSigners(parsed)).to.deep.equal({ digest, signer: agency.address, cosigners: {} });
    // Written again from what was read: byte for byte the same JSON.
    expect(JSON.stringify(toWireRequest(parsed))).to.equal(JSON.stringify(wire));
  });

  it("carries an assignment's second signature, structs and lists of bytes2, wide integers as bigints", async function () {
    const domain = domainOf("LicenseRegistry");
    const assignment = {
      workId: `0x${"77".repeat(32)}` as Hex,
      from: holder.address,
      to: newHolder.address,
      agreementHash: `0x${"88".repeat(32)}` as Hex,
      nonce: 12345678901234567890n,
      deadline: 1_790_003_600,
    };
    const first = await signTypedRequest(holder, domain, LicenseRegistryTypes, "AssignWork", assignment);
    const second = await signTypedRequest(newHolder, domain, LicenseRegistryTypes, "AssignWork", assignment);
    const wire = toWireRequest({ ...first, newHolderSignature: second.signature } as typeof first);
    expect(wire.cosignatures).to.deep.equal({ newHolderSignature: second.signature });
    expect(wire.request.nonce).to.equal("12345678901234567890");
    const parsed = parseWireRequest(overTheWire(wire));
    expect(parsed.request.nonce).to.equal(12345678901234567890n);
    expect((parsed as unknown as { newHolderSignature: string }).newHolderSignature).to.equal(second.signature);
    expect(recoverRequestSigners(parsed).cosigners).to.deep.equal({ newHolderSignature: newHolder.address });

    const grant = {
      workId: `0x${"77".repeat(32)}` as Hex,
      parentId: `0x${"00".repeat(32)}` as Hex,
      licensor: holder.address,
      licensee: newHolder.address,
      rights: 5,
      grantType: 1,
      sublicensable: true,
      start: 0,
      backdated: false,
      end: 1_800_000_000,
      worldwide: false,
      territories: ["0x4652", "0x4445"] as Hex[],
      agreementHash: `0x${"99".repeat(32)}` as Hex,
      salt: `0x${"aa".repeat(32)}` as Hex,
      deadline: 1_790_003_600,
    };
    const g = parseWireRequest(
      overTheWire(toWireRequest(await signTypedRequest(holder, domain, LicenseRegistryTypes, "GrantLicence", grant))),
    );
    expect(g.request).to.deep.equal(grant);
    expect(recoverRequestSigners(g).signer).to.equal(holder.address);

    const terms = {
      terms: {
        from: "0x4652" as Hex,
        to: "0x4445" as Hex,
        categories: 0x3fen,
        minAssurance: 3,
        anchorWindow: 604800,
        effectiveFrom: 0,
        expiresAt: 0,
        responseWindow: 0,
        emergencyResponseWindow: 0,
        textHash: `0x${"12".repeat(32)}` as Hex,
      },
      nonce: 0n,
      deadline: 1_790_003_600,
    };
    const agreements = domainOf("RecognitionAgreements");
    const p = parseWireRequest(
      overTheWire(toWireRequest(await signTypedRequest(agency, agreements, AgreementTypes, "ProposeAgreement", terms))),
    );
    expect(p.request).to.deep.equal(terms);
    expect(recoverRequestSigners(p).signer).to.equal(agency.address);
  });

  it("refuses what does not fit the contract's types, naming the field", async function () {
    const wire = toWireRequest(
      await signEvidenceRequest(agency, domainOf("EvidenceRegistry"), "AnchorEvidence", anchor),
    );
    const change = (f: (w: Record<string, unknown> & { request: Record<string, unknown> }) => void) => {
      const w = overTheWire(wire) as Record<string, unknown> & { request: Record<string, unknown> };
      f(w);
      return () => parseWireRequest(w);
    };
    expectCode(
      change((w) => (w.request.category = "256")),
      "INVALID_ARGUMENT",
      /request.category must be a uint8/,
    );
    expectCode(
      change((w) => (w.request.category = 3.5)),
      "INVALID_ARGUMENT",
      /request.category/,
    );
    expectCode(
      change((w) => (w.request.deadline = "0x10")),
      "INVALID_ARGUMENT",
      /request.deadline/,
    );
    expectCode(
      change((w) => delete w.request.caseRef),
      "INVALID_ARGUMENT",
      /request.caseRef must be a bytes32/,
    );
    expectCode(
      change((w) => (w.request.jurisdiction = "0x4652")),
      "INVALID_ARGUMENT",
      /request.jurisdiction must be absent/,
    );
    expectCode(
      change((w) => (w.request.firstUpload = "0x455")),
      "INVALID_ARGUMENT",
      /request.firstUpload must be 2 bytes/,
    );
    expectCode(
      change((w) => (w.primaryType = "Vote")),
      "INVALID_ARGUMENT",
      /the EvidenceRegistry takes no Vote requests/,
    );
    expectCode(
      change((w) => (w.contract = "Registry")),
      "INVALID_ARGUMENT",
      /contract must be one of/,
    );
    expectCode(
      change((w) => ((w.domain as Record<string, unknown>).name = "crossproof LicenseRegistry")),
      "INVALID_ARGUMENT",
      /domain.name/,
    );
    expectCode(
      change((w) => (w.signature = "0x1234")),
      "INVALID_ARGUMENT",
      /signature must be a 65-byte signature/,
    );
    // One letter of the checksummed address in the other case: a checksum that does not match.
    const mixed = getAddress(agency.address);
    const at = mixed.slice(2).search(/[a-fA-F]/) + 2;
    const flipped = mixed[at] === mixed[at]!.toLowerCase() ? mixed[at]!.toUpperCase() : mixed[at]!.toLowerCase();
    expectCode(
      change((w) => (w.signer = mixed.slice(0, at) + flipped + mixed.slice(at + 1))),
      "INVALID_ARGUMENT",
      /signer must be an address with a valid checksum/,
    );
    expectCode(
      change((w) => (w.format = "crossproof.signed-request/0")),
      "INVALID_ARGUMENT",
      /format/,
    );
  });

  it("refuses a signature that is not the named signer's (a field changed after signing, a forged signature)", async function () {
    const wire = toWireRequest(
      await signEvidenceRequest(agency, domainOf("EvidenceRegistry"), "AnchorEvidence", anchor),
    );
    const changed = overTheWire(wire) as WireSignedRequest;
    changed.request.category = "4";
    expectCode(() => recoverRequestSigners(parseWireRequest(changed)), "SIGNATURE_INVALID", /is not 0x/);
    const forged = overTheWire(wire) as WireSignedRequest;
    forged.signature = `0x${"00".repeat(64)}1b` as Hex;
    expectCode(() => recoverRequestSigners(parseWireRequest(forged)), "SIGNATURE_INVALID");
    const otherChain = overTheWire(wire) as WireSignedRequest;
    otherChain.domain.chainId = "1";
    expectCode(() => recoverRequestSigners(parseWireRequest(otherChain)), "SIGNATURE_INVALID");
  });
});
