import { expect } from "chai";
import { loadFixture } from "../helpers/load-fixture";
import { ethers } from "hardhat";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TypedDataEncoder, Wallet, type TypedDataField } from "ethers";
import {
  AgreementTypes,
  AssistanceDeskTypes,
  ConsortiumTypes,
  DOMAIN_VERSION,
  DomainName,
  EvidenceRegistryTypes,
  GovernanceTypes,
  LicenseRegistryTypes,
  agreementTextHash,
  assistanceRequestId,
  batchIdOf,
  batchLeaf,
  canonicalManifest,
  caseReferenceHash,
  contractDomain,
  custodyDetailsHash,
  custodyEventHash,
  encodeProposal,
  handlerReference,
  licenceId,
  manifestHash,
  parameterKey,
  parseCustodyDetails,
  parseManifest,
  recipientDetailsHash,
  recordFieldsHash,
  recordIdOf,
  recoverTypedRequestSigner,
  signTypedRequest,
  unicodeTextIssues,
  verifyCustodyChain,
  type ContractName,
  type CustodyDetailsInput,
  type EvidenceManifestInput,
  type ProposalParameters,
} from "../../sdk/src";
import { loadCanonicalize } from "../../sdk/src/esm";
import type { EvidenceRegistry, LicenseRegistry } from "../../sdk/src/typechain";
import { consortiumFixture, deployAssistanceDesk } from "../helpers/fixtures";

// Known answers computed by implementations independent of the SDK (viem instead of ethers, json-canonicalize and
// @truestamp/canonify instead of canonicalize, EIP-712 types read from the Solidity sources instead of the SDK's
// tables) by test/vectors/generate/generate.cjs, run outside the project; rfc8785.json is encoded by hand from the
// RFC. Each test recomputes the answers with the SDK.

const VECTORS = path.join(__dirname, "..", "vectors");
const load = <T>(file: string): T => JSON.parse(readFileSync(path.join(VECTORS, file), "utf8")) as T;

interface Rfc8785Vectors {
  documents: { section: string; input: string; canonical: string; utf8Hex?: string }[];
  numbers: { section: string; ieee754: string; canonical: string | null; comment?: string }[];
}
interface ManifestVectors {
  vectors: { name: string; manifest: EvidenceManifestInput; canonical: string; sha256: string }[];
}
interface CustodyVectors {
  handlerReferences: { identity: string; salt: string; reference: string }[];
  documents: { name: string; document: CustodyDetailsInput; canonical: string; detailsHash: string }[];
}
interface Eip712Vector {
  contract: ContractName;
  primaryType: string;
  /** Which message of that type (1, 2, ...). */
  case: number;
  domainLabel: string;
  encodeType: string;
  typeHash: string;
  domain: { name: string; version: string; chainId: string; verifyingContract: string; salt: string };
  message: Record<string, unknown>;
  domainSeparator: string;
  structHash: string;
  digest: string;
  signature: string;
}
interface Eip712Vectors {
  signer: { privateKey: string; address: string };
  vectors: Eip712Vector[];
}
type Row = Record<string, string | number>;
interface IdVectors {
  recordIds: Row[];
  batchIds: Row[];
  batchLeaves: Row[];
  custodyEvents: Row[];
  recordFields: Row[];
  licenceIds: Row[];
  assistanceRequestIds: Row[];
  caseReferences: Row[];
  recipientDetails: Row[];
  textHashes: Row[];
  proposals: { parameters: ProposalParameters; kind: number; payload: string }[];
}

/** The SDK's EIP-712 table of each contract. */
const TABLES: Record<ContractName, Record<string, readonly TypedDataField[]>> = {
  EvidenceRegistry: EvidenceRegistryTypes,
  LicenseRegistry: LicenseRegistryTypes,
  AssistanceDesk: AssistanceDeskTypes,
  Consortium: ConsortiumTypes,
  ConsortiumGovernance: GovernanceTypes,
  RecognitionAgreements: AgreementTypes,
};

/** The types a primary type needs, from an SDK table (ethers wants exactly one root). */
function typesFor(table: Record<string, readonly TypedDataField[]>, primaryType: string) {
  const out: Record<string, TypedDataField[]> = {};
  const visit = (name: string) => {
    const fields = table[name];
    if (fields === undefined || out[name] !== undefined) return;
    out[name] = [...fields];
    for (const f of fields) visit(f.type.replace(/\[\d*\]$/, ""));
  };
  visit(primaryType);
  return out;
}

/** Struct types referenced by another type of the table (AgreementTerms) are not requests. */
function requestTypes(table: Record<string, readonly TypedDataField[]>): string[] {
  const nested = new Set(Object.values(table).flatMap((fields) => fields.map((f) => f.type.replace(/\[\d*\]$/, ""))));
  return Object.keys(table)
    .filter((t) => !nested.has(t))
    .sort();
}

/** A vector message as the SDK's request types take it: uint up to 48 bits as numbers, wider ones as bigints. */
function toRequest(
  table: Record<string, readonly TypedDataField[]>,
  type: string,
  message: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of table[type]!) {
    const value = message[f.name];
    const bits = /^uint(\d+)$/.exec(f.type)?.[1];
    if (bits !== undefined) out[f.name] = Number(bits) <= 48 ? Number(value) : BigInt(value as string);
    else if (table[f.type] !== undefined) out[f.name] = toRequest(table, f.type, value as Record<string, unknown>);
    else out[f.name] = value;
  }
  return out;
}

/** The three registries on one consortium, for their pure id functions. */
async function registriesFixture() {
  const { consortium } = await consortiumFixture();
  const at = await consortium.getAddress();
  return {
    evidence: (await ethers.deployContract("EvidenceRegistry", [at])) as unknown as EvidenceRegistry,
    licences: (await ethers.deployContract("LicenseRegistry", [at])) as unknown as LicenseRegistry,
    desk: await deployAssistanceDesk(at),
  };
}

describe("known answers (vectors from independent implementations)", function () {
  describe("RFC 8785, the RFC's own examples (encoded by hand from the RFC)", function () {
    const rfc = load<Rfc8785Vectors>("rfc8785.json");

    for (const c of rfc.documents) {
      it(c.section, async function () {
        const canonicalize = await loadCanonicalize();
        const out = canonicalize(JSON.parse(c.input));
        expect(out).to.equal(c.canonical);
        if (c.utf8Hex !== undefined) {
          expect(Buffer.from(out!, "utf8").toString("hex")).to.equal(c.utf8Hex.replace(/ /g, ""));
        }
      });
    }

    it(`${rfc.numbers[0]!.section}: ${rfc.numbers.length} IEEE 754 values`, async function () {
      const canonicalize = await loadCanonicalize();
      for (const c of rfc.numbers) {
        const n = Buffer.from(c.ieee754, "hex").readDoubleBE(0);
        if (c.canonical === null) expect(() => canonicalize(n), c.ieee754).to.throw();
        else expect(canonicalize(n), `${c.ieee754} ${c.comment ?? ""}`).to.equal(c.canonical);
      }
    });
  });

  describe("manifest hashes: SHA-256 of the RFC 8785 form", function () {
    for (const v of load<ManifestVectors>("manifests.json").vectors) {
      it(v.name, async function () {
        expect(unicodeTextIssues(v.manifest)).to.deep.equal([]);
        expect(parseManifest(v.manifest)).to.deep.equal(v.manifest);
        expect(await canonicalManifest(v.manifest)).to.equal(v.canonical);
        expect(await manifestHash(v.manifest)).to.equal(v.sha256);
      });
    }
  });

  describe("custody details documents and handler references", function () {
    const custody = load<CustodyVectors>("custody.json");

    it("handlerReference: SHA-256(salt ‖ UTF-8 of the NFC identity)", function () {
      for (const r of custody.handlerReferences) {
        expect(handlerReference(r.identity, r.salt)).to.equal(r.reference);
        expect(handlerReference(r.identity.normalize("NFD"), r.salt)).to.equal(r.reference);
      }
    });

    for (const d of custody.documents) {
      it(`custodyDetailsHash: ${d.name}`, async function () {
        expect(parseCustodyDetails(d.document)).to.deep.equal(d.document);
        expect((await loadCanonicalize())(d.document)).to.equal(d.canonical);
        expect(await custodyDetailsHash(d.document)).to.equal(d.detailsHash);
      });
    }
  });

  describe("EIP-712 digests of every request type of every contract", function () {
    const { signer, vectors } = load<Eip712Vectors>("eip712.json");
    const wallet = new Wallet(signer.privateKey);

    for (const contract of Object.keys(TABLES) as ContractName[]) {
      describe(contract, function () {
        const mine = vectors.filter((v) => v.contract === contract);

        it("the SDK's table has exactly the contract's request types, under its domain name and version", function () {
          expect(requestTypes(TABLES[contract])).to.deep.equal([...new Set(mine.map((v) => v.primaryType))].sort());
          for (const v of mine) {
            expect(v.domain.name).to.equal(DomainName[contract]);
            expect(v.domain.version).to.equal(DOMAIN_VERSION);
          }
        });

        for (const v of mine) {
          it(`${v.primaryType} #${v.case}, ${v.domainLabel} domain: type, domain separator, struct hash, digest, signature`, async function () {
            const table = TABLES[contract];
            const domain = contractDomain(
              contract,
              BigInt(v.domain.chainId),
              v.domain.verifyingContract,
              v.domain.salt,
            );
            const types = typesFor(table, v.primaryType);
            const request = toRequest(table, v.primaryType, v.message);
            const encoder = TypedDataEncoder.from(types);
            expect(encoder.encodeType(v.primaryType)).to.equal(v.encodeType);
            expect(TypedDataEncoder.hashDomain(domain)).to.equal(v.domainSeparator);
            expect(encoder.hashStruct(v.primaryType, request)).to.equal(v.structHash);
            expect(TypedDataEncoder.hash(domain, types, request)).to.equal(v.digest);
            const signed = await signTypedRequest(wallet, domain, table, v.primaryType, request);
            expect(signed.signature).to.equal(v.signature);
            expect(signed.signer).to.equal(signer.address);
            expect(recoverTypedRequestSigner(domain, table, v.primaryType, request, v.signature)).to.equal(
              signer.address,
            );
          });
        }
      });
    }
  });

  describe("ids and hashes mirrored from the contracts", function () {
    const ids = load<IdVectors>("ids.json");
    const big = (x: string | number | undefined) => BigInt(x!);

    it("recordIdOf, batchIdOf, batchLeaf", function () {
      for (const r of ids.recordIds) expect(recordIdOf(big(r.memberId), String(r.contentHash))).to.equal(r.recordId);
      for (const r of ids.batchIds) expect(batchIdOf(big(r.memberId), String(r.root))).to.equal(r.batchId);
      for (const r of ids.batchLeaves) expect(batchLeaf(String(r.recordHash))).to.equal(r.leaf);
    });

    it("custodyEventHash, event by event along a chain (verifyCustodyChain finds it intact)", function () {
      for (const e of ids.custodyEvents) {
        expect(
          custodyEventHash({
            previous: String(e.previous),
            recordId: String(e.recordId),
            sequence: Number(e.sequence),
            eventType: Number(e.eventType),
            actor: big(e.actor),
            counterparty: big(e.counterparty),
            occurredAt: Number(e.occurredAt),
            detailsHash: String(e.detailsHash),
          }),
        ).to.equal(e.eventHash);
      }
      const recordId = String(ids.custodyEvents[0]!.recordId);
      const events = ids.custodyEvents.map((e) => ({
        sequence: Number(e.sequence),
        eventType: Number(e.eventType),
        actor: big(e.actor),
        counterparty: big(e.counterparty),
        occurredAt: Number(e.occurredAt),
        detailsHash: String(e.detailsHash),
        signer: "0x0000000000000000000000000000000000000000",
        previous: String(e.previous),
        eventHash: String(e.eventHash),
      }));
      expect(verifyCustodyChain(recordId, 1n, events, String(ids.custodyEvents.at(-1)!.eventHash)).intact).to.equal(
        true,
      );
    });

    it("recordFieldsHash, licenceId, assistanceRequestId", function () {
      for (const r of ids.recordFields) {
        expect(recordFieldsHash(String(r.signer), String(r.packageCid), String(r.caseRef))).to.equal(r.fieldsHash);
      }
      for (const r of ids.licenceIds) {
        expect(
          licenceId(String(r.workId), String(r.parentId), String(r.licensor), String(r.licensee), String(r.salt)),
        ).to.equal(r.licenceId);
      }
      for (const r of ids.assistanceRequestIds) {
        expect(assistanceRequestId(big(r.requester), big(r.addressee), String(r.salt))).to.equal(r.requestId);
      }
    });

    it("caseReferenceHash, recipientDetailsHash, agreement text hashes and parameter keys", function () {
      for (const r of ids.caseReferences) {
        expect(caseReferenceHash(String(r.reference), String(r.salt))).to.equal(r.hash);
      }
      for (const r of ids.recipientDetails) expect(recipientDetailsHash(String(r.cid))).to.equal(r.detailsHash);
      for (const r of ids.textHashes) {
        expect(agreementTextHash(String(r.text))).to.equal(r.keccak256);
        expect(parameterKey(String(r.text).normalize("NFC"))).to.equal(r.keccak256);
      }
    });

    it("the contracts' own id functions give the same answers", async function () {
      const { evidence, licences, desk } = await loadFixture(registriesFixture);
      for (const r of ids.recordIds)
        expect(await evidence.recordIdOf(big(r.memberId), String(r.contentHash))).to.equal(r.recordId);
      for (const r of ids.batchIds)
        expect(await evidence.batchIdOf(big(r.memberId), String(r.root))).to.equal(r.batchId);
      for (const r of ids.batchLeaves) expect(await evidence.batchLeaf(String(r.recordHash))).to.equal(r.leaf);
      for (const e of ids.custodyEvents) {
        expect(
          await evidence.custodyEventHash(
            String(e.previous),
            String(e.recordId),
            Number(e.sequence),
            Number(e.eventType),
            big(e.actor),
            big(e.counterparty),
            Number(e.occurredAt),
            String(e.detailsHash),
          ),
        ).to.equal(e.eventHash);
      }
      for (const r of ids.licenceIds) {
        expect(
          await licences.licenceIdOf(
            String(r.workId),
            String(r.parentId),
            String(r.licensor),
            String(r.licensee),
            String(r.salt),
          ),
        ).to.equal(r.licenceId);
      }
      for (const r of ids.assistanceRequestIds) {
        expect(await desk.requestIdOf(big(r.requester), big(r.addressee), String(r.salt))).to.equal(r.requestId);
      }
    });

    it("governance proposal payloads, as ConsortiumGovernance decodes them", function () {
      for (const p of ids.proposals) {
        expect(encodeProposal(p.parameters), p.parameters.kind).to.deep.equal({ kind: p.kind, payload: p.payload });
      }
    });
  });
});
