import { expect } from "chai";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import {
  Assurance,
  EmbeddedContentStore,
  EvidenceClient,
  LicenceClient,
  isCrossproofError,
  licenceId,
  toJurisdiction,
  EvidenceBatch,
  generateRecipientKey,
  recordIdOf,
  sealPackage,
  cidFromBytes,
  verifyEvidence,
} from "../../sdk/src";
import { cidOf, evidenceFixture, hashOf } from "../helpers/fixtures";
import * as gov from "../helpers/governance";
import {
  CASE_REF,
  anchorThroughSdk,
  check,
  concludeFrToDe,
  custodyToDeCourt,
  evidenceFlow,
  evidenceOnDisk,
  recentCollection,
  recordCustody,
  results,
  verifierClients,
} from "../helpers/verification";

const CID = cidFromBytes(cidOf("encrypted package"));
const FR = toJurisdiction("FR");
const DE = toJurisdiction("DE");

/** Every check of a good record anchor, in order. */
const ALL_ANCHOR_CHECKS_PASSED = [
  ["ANCHOR_FINAL", "PASSED", undefined],
  ["ANCHOR_STATUS", "PASSED", undefined],
  ["ANCHOR_COMMITMENT", "PASSED", undefined],
  ["ANCHOR_MATCHES_MANIFEST", "PASSED", undefined],
  ["SIGNER_VALID", "PASSED", undefined],
  ["CUSTODY", "PASSED", undefined],
  ["RECOGNITION", "PASSED", undefined],
  ["ASSURANCE", "PASSED", undefined],
  ["ENDORSEMENTS", "PASSED", undefined],
];

describe("verifyEvidence (SDK verifier against the contracts on Hardhat's chain)", function () {
  let dirs: string[] = [];
  afterEach(() => {
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    dirs = [];
  });

  describe("a good case", function () {
    it("passes every check for a manifest and its files anchored by FR, custody with the DE court, FR → DE agreement", async function () {
      const { f, disk, recordId, agreementId, collectedAt, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-PASSED");
      expect(results(report)).to.deep.equal([
        ["MANIFEST_HASH", "PASSED", undefined],
        ["FILE_HASHES", "PASSED", undefined],
        ["ANCHOR_FOUND", "PASSED", undefined],
      ]);
      expect(report.anchors.length).to.equal(1);
      const anchor = report.anchors[0]!;
      expect(anchor).to.include({
        kind: "record",
        recordId,
        memberId: "1",
        jurisdiction: "FR",
        category: 3,
        collectedAt: new Date(collectedAt * 1000).toISOString().replace(".000", ""),
        caseRef: CASE_REF,
        indication: "TOTAL-PASSED",
      });
      expect(results(anchor)).to.deep.equal(ALL_ANCHOR_CHECKS_PASSED);
      expect(report.issuer).to.deep.equal({ memberId: "2", jurisdiction: "DE" });
      expect(report.timePolicy).to.equal("at-anchoring");
      expect(report.subject).to.deep.include({ contentHash: disk.contentHash, evidence: "manifest" });
      expect(report.subject.files!.map((x) => [x.path, x.checked])).to.deep.equal([
        ["capture.webm", true],
        ["page.html", true],
      ]);
      // The chain references: the anchoring transaction, the agreement with its text hash.
      const { chainId } = await f.deployer.provider.getNetwork();
      const recognition = check(anchor, "RECOGNITION")!;
      expect(recognition.refs).to.deep.equal([
        {
          chainId: chainId.toString(),
          contract: "RecognitionAgreements",
          address: await f.agreements.getAddress(),
          agreementId: agreementId.toString(),
          textHash: `0x${"33".repeat(32)}`,
        },
      ]);
      const final = check(anchor, "ANCHOR_FINAL")!;
      const log = (await f.registry.queryFilter(f.registry.filters.EvidenceAnchored(recordId)))[0]!;
      expect(final.refs[0]).to.include({
        contract: "EvidenceRegistry",
        recordId,
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
      });
      expect(check(anchor, "ASSURANCE")!.details).to.deep.equal({
        agreementId: agreementId.toString(),
        flags: [{ flag: "COMPLETE_CUSTODY", met: true, reason: "custody recorded and every transfer acknowledged" }],
      });
    });

    it("passes every check for the sealed package, opened with the DE court's key (CID in a store, or a folder)", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      await concludeFrToDe(f);
      const collectedAt = await recentCollection();
      const disk = await evidenceOnDisk(collectedAt);
      dirs.push(disk.dir);
      const store = await EmbeddedContentStore.open(path.join(disk.dir, "store"));
      try {
        const fr = await generateRecipientKey("fr-agency");
        const de = await generateRecipientKey("de-court");
        const sealed = await sealPackage({
          manifest: disk.manifest,
          files: disk.files,
          recipients: [fr.publicKey, de.publicKey],
          store,
        });
        const recordId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
          contentHash: sealed.contentHash,
          packageCid: sealed.cid,
          collectedAt,
        });
        await recordCustody(f, clients.evidence, recordId, custodyToDeCourt(f));
        const report = await verifyEvidence(clients, {
          evidence: { package: { cid: sealed.cid, store }, recipientKey: de.privateKey },
          verifier: { memberId: 2 },
        });
        expect(report.indication).to.equal("TOTAL-PASSED");
        expect(report.subject).to.deep.include({ evidence: "package", packageCid: sealed.cid });
        expect(results(report).map((r) => r[1])).to.deep.equal(["PASSED", "PASSED", "PASSED"]);
        expect(results(report.anchors[0]!)).to.deep.equal(ALL_ANCHOR_CHECKS_PASSED);
        // The CID given is the one anchored with the record (informational, outside the checks).
        const anchoring = (await f.registry.queryFilter(f.registry.filters.EvidenceAnchored(recordId)))[0]!;
        expect(report.anchors[0]!.packageCid).to.deep.include({ cid: sealed.cid, recordedBy: "anchor" });
        expect(report.anchors[0]!.packageCid!.refs[0]).to.include({
          recordId,
          transactionHash: anchoring.transactionHash,
          blockNumber: anchoring.blockNumber,
        });

        // The same package copied to a folder, one encrypted file altered: the file fails authentication.
        const folder = path.join(disk.dir, "package-copy");
        await exportPackage(store, sealed.cid, folder, ["envelope.jwe.json", "files/0", "files/1"]);
        const good = await verifyEvidence(clients, {
          evidence: { package: { folder }, recipientKey: de.privateKey },
          verifier: { memberId: 2 },
        });
        expect(good.indication).to.equal("TOTAL-PASSED");
        expect(good.anchors[0]!.packageCid, "a folder has no CID").to.equal(undefined);
        const bytes = readFileSync(path.join(folder, "files/0"));
        bytes[bytes.length - 100]! ^= 0x01;
        writeFileSync(path.join(folder, "files/0"), bytes);
        const tampered = await verifyEvidence(clients, {
          evidence: { package: { folder }, recipientKey: de.privateKey },
          verifier: { memberId: 2 },
        });
        expect(tampered.indication).to.equal("TOTAL-FAILED");
        expect(results(tampered).slice(0, 2)).to.deep.equal([
          ["MANIFEST_HASH", "PASSED", undefined],
          ["FILE_HASHES", "FAILED", "FILE_TAMPERED"],
        ]);

        // An envelope that is not JSON any more: nothing can be read, not even the content hash.
        writeFileSync(path.join(folder, "envelope.jwe.json"), "{ garbled");
        const unreadable = await verifyEvidence(clients, {
          evidence: { package: { folder }, recipientKey: de.privateKey },
          verifier: { memberId: 2 },
        });
        expect(unreadable.indication).to.equal("INDETERMINATE");
        expect(results(unreadable)).to.deep.equal([
          ["MANIFEST_HASH", "INDETERMINATE", "PACKAGE_NOT_OPENED"],
          ["FILE_HASHES", "INDETERMINATE", "NO_MANIFEST"],
          ["ANCHOR_FOUND", "INDETERMINATE", "NO_CONTENT_HASH"],
        ]);
        expect(unreadable.subject).to.deep.equal({ evidence: "package" });

        // A key that is not a recipient cannot open it: the manifest and files are INDETERMINATE, not PASSED.
        const outsider = await generateRecipientKey("outsider");
        const closed = await verifyEvidence(clients, {
          evidence: { package: { cid: sealed.cid, store }, recipientKey: outsider.privateKey },
          verifier: { memberId: 2 },
        });
        expect(closed.indication).to.equal("INDETERMINATE");
        expect(results(closed)).to.deep.equal([
          ["MANIFEST_HASH", "INDETERMINATE", "PACKAGE_NOT_OPENED"],
          ["FILE_HASHES", "INDETERMINATE", "NO_MANIFEST"],
          ["ANCHOR_FOUND", "PASSED", undefined],
        ]);
        expect(check(closed.anchors[0]!, "ANCHOR_MATCHES_MANIFEST")).to.include({
          result: "INDETERMINATE",
          subCode: "NO_MANIFEST",
        });
      } finally {
        await store.close();
      }
    });

    it("with only the content hash, fewer checks apply and the indication is INDETERMINATE, not TOTAL-PASSED", async function () {
      const { clients, disk } = await evidenceFlow();
      dirs.push(disk.dir);
      const report = await verifyEvidence(clients, {
        evidence: { contentHash: disk.contentHash },
        verifier: { jurisdiction: "DE" },
      });
      expect(report.indication).to.equal("INDETERMINATE");
      expect(report.issuer).to.deep.equal({ jurisdiction: "DE" });
      expect(results(report)).to.deep.equal([
        ["MANIFEST_HASH", "INDETERMINATE", "NO_MANIFEST"],
        ["FILE_HASHES", "INDETERMINATE", "NO_FILES"],
        ["ANCHOR_FOUND", "PASSED", undefined],
      ]);
      expect(results(report.anchors[0]!)).to.deep.equal(
        ALL_ANCHOR_CHECKS_PASSED.map((r) =>
          r[0] === "ANCHOR_MATCHES_MANIFEST" ? ["ANCHOR_MATCHES_MANIFEST", "INDETERMINATE", "NO_MANIFEST"] : r,
        ),
      );
    });

    it("verifies a single loose file through the manifest that lists it, and says the others were not checked", async function () {
      const { disk, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      // The loose file is found in the manifest by its hash (no path given).
      const report = await verify({
        evidence: { manifest: disk.manifest, files: [{ source: disk.files[1]!.source }] },
      });
      expect(report.indication).to.equal("TOTAL-PASSED");
      expect(check(report, "FILE_HASHES")).to.deep.include({
        result: "PASSED",
        details: { checked: ["page.html"], notProvided: ["capture.webm"] },
      });
      expect(report.subject.files!.map((x) => [x.path, x.checked])).to.deep.equal([
        ["capture.webm", false],
        ["page.html", true],
      ]);
    });

    it("reads the manifest from its bytes (any key order or white space: the canonical form is hashed)", async function () {
      const { disk, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const bytes = new TextEncoder().encode(JSON.stringify(disk.manifest, null, 2));
      const report = await verify({ evidence: { manifest: bytes, contentHash: disk.contentHash } });
      expect(check(report, "MANIFEST_HASH")!.result).to.equal("PASSED");
      const wrong = await verify({ evidence: { manifest: bytes, contentHash: hashOf("another package") } });
      expect(check(wrong, "MANIFEST_HASH")).to.include({ result: "FAILED", subCode: "MANIFEST_HASH_MISMATCH" });
      expect(wrong.indication).to.equal("TOTAL-FAILED");
    });
  });

  describe("a record anchored under an earlier EvidenceRegistry of the consortium", function () {
    it("is read and checked where it was anchored, and cited at that registry's address", async function () {
      const flow = await evidenceFlow();
      dirs.push(flow.disk.dir);
      const earlier = flow.clients.evidence;
      // The consortium replaces its EvidenceRegistry (same Consortium); the record stays in the earlier one.
      const replacement = await ethers.deployContract("EvidenceRegistry", [await flow.f.consortium.getAddress()]);
      const current = await EvidenceClient.connect(await replacement.getAddress(), flow.f.deployer);
      const withoutHistory = await verifyEvidence(
        { ...flow.clients, evidence: current },
        {
          evidence: { manifest: flow.disk.manifest, files: flow.disk.files },
          anchoredBy: 1,
          verifier: { memberId: 2 },
        },
      );
      expect(check(withoutHistory, "ANCHOR_FOUND")).to.include({ result: "FAILED", subCode: "NOT_ANCHORED" });

      const report = await verifyEvidence(
        { ...flow.clients, evidence: current, earlierEvidence: [earlier] },
        {
          evidence: { manifest: flow.disk.manifest, files: flow.disk.files },
          anchoredBy: 1,
          verifier: { memberId: 2 },
        },
      );
      expect(report.indication).to.equal("TOTAL-PASSED");
      expect(report.anchors.map((a) => a.recordId)).to.deep.equal([flow.recordId]);
      expect(results(report.anchors[0]!)).to.deep.equal(ALL_ANCHOR_CHECKS_PASSED);
      const earlierAddress = await earlier.registry.getAddress();
      const cited = [
        ...check(report, "ANCHOR_FOUND")!.refs,
        ...report.anchors[0]!.checks.flatMap((c) => c.refs),
      ].filter((r) => r.contract === "EvidenceRegistry");
      expect(cited.length).to.be.greaterThan(0);
      expect(cited.every((r) => r.address === earlierAddress)).to.equal(true);
    });
  });

  describe("failures, each with its check and sub-code", function () {
    it("a tampered file: FILE_HASHES FAILED FILE_HASH_MISMATCH", async function () {
      const { disk, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      writeFileSync(disk.files[1]!.source, "<html>edited after the capture</html>");
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      expect(check(report, "FILE_HASHES")).to.deep.include({ result: "FAILED", subCode: "FILE_HASH_MISMATCH" });
      expect(check(report, "FILE_HASHES")!.details).to.have.property("path", "page.html");
      // The anchor itself is still good: the failure is the file's.
      expect(report.anchors[0]!.indication).to.equal("TOTAL-PASSED");
    });

    it("a manifest that disagrees with its anchor: ANCHOR_MATCHES_MANIFEST FAILED with the field's sub-code", async function () {
      const { disk, verify } = await evidenceFlow({ anchor: { firstUpload: "NL" } });
      dirs.push(disk.dir);
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      const c = check(report.anchors[0]!, "ANCHOR_MATCHES_MANIFEST")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "JOINT_JURISDICTION_MISMATCH" });
      expect(c.details).to.deep.equal({ mismatches: [{ field: "first upload", anchor: "NL", manifest: "US" }] });
    });

    it("a manifest of another category than its anchor: CATEGORY_MISMATCH", async function () {
      const { disk, verify } = await evidenceFlow({ anchor: { category: 1 }, agreement: false });
      dirs.push(disk.dir);
      const c = check((await verify()).anchors[0]!, "ANCHOR_MATCHES_MANIFEST")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "CATEGORY_MISMATCH" });
    });

    it("a retracted record: ANCHOR_STATUS FAILED RETRACTED, with the reason hash and the retraction's transaction", async function () {
      const { f, clients, disk, recordId, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const reasonHash = hashOf("wrong capture");
      const signed = await clients.evidence.signRetractEvidence(f.frAgency, { recordId, reasonHash });
      const { receipt } = await (await clients.evidence.submit(signed, f.deployer)).wait();
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      const c = check(report.anchors[0]!, "ANCHOR_STATUS")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "RETRACTED", details: { reasonHash } });
      expect(c.refs[0]).to.include({ transactionHash: receipt.hash, recordId });
    });

    it("a superseded record: ANCHOR_STATUS FAILED SUPERSEDED, naming the new version", async function () {
      const { f, clients, disk, recordId, collectedAt, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const v2 = await evidenceOnDisk(collectedAt, { note: "second version" });
      dirs.push(v2.dir);
      const newId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
        contentHash: v2.contentHash,
        collectedAt,
        supersedes: recordId,
      });
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      expect(check(report.anchors[0]!, "ANCHOR_STATUS")).to.deep.include({
        result: "FAILED",
        subCode: "SUPERSEDED",
        details: { supersededBy: newId },
      });
    });

    it("a key revoked at the second it signed the anchor: SIGNER_VALID FAILED KEY_NOT_VALID (the Consortium's view)", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      await concludeFrToDe(f);
      const key = f.spare[0]!;
      await (await gov.addOwnKey(f, f.frAgency, key, 1)).wait();
      const collectedAt = await recentCollection();
      const disk = await evidenceOnDisk(collectedAt);
      dirs.push(disk.dir);
      // The anchor and the revocation of its key in one block: the contract accepted the anchor (the key was valid
      // when it ran), but a key revoked at t signs nothing validly at t.
      const signed = await clients.evidence.signAnchorEvidence(key, {
        contentHash: disk.contentHash,
        packageCid: CID,
        category: 3,
        firstUpload: "US",
        primaryDissemination: "DE",
        caseRef: CASE_REF,
        collectedAt,
      });
      const revoke = await clients.consortium.signRevokeOwnKey(f.frAgency, 1, key.address);
      const recordId = await inOneBlock(async () => {
        const anchored = await clients.evidence.anchorEvidence(signed, f.deployer);
        const revoked = await clients.consortium.submit(revoke, f.deployer);
        return async () => {
          await revoked.wait();
          return (await anchored.wait()).recordId;
        };
      });
      await recordCustody(f, clients.evidence, recordId, custodyToDeCourt(f));
      const report = await verifyEvidence(clients, {
        evidence: { manifest: disk.manifest, files: disk.files },
        verifier: { memberId: 2 },
      });
      const c = check(report.anchors[0]!, "SIGNER_VALID")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "KEY_NOT_VALID" });
      expect(c.details).to.include({ signer: key.address, memberStatusAtAnchoring: "Active" });
      expect(report.indication).to.equal("TOTAL-FAILED");
      // The contract says so itself.
      const record = (await clients.evidence.getEvidence(recordId))!;
      expect(await f.consortium.isValidSigner(1, key.address, record.anchoredAt)).to.equal(false);
      expect(await f.consortium.isValidSigner(1, key.address, record.anchoredAt - 1)).to.equal(true);
    });

    it("a member suspended at the second it anchored: SIGNER_VALID FAILED MEMBER_NOT_ACTIVE", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      await concludeFrToDe(f);
      const collectedAt = await recentCollection();
      const disk = await evidenceOnDisk(collectedAt);
      dirs.push(disk.dir);
      const proposalId = await gov.proposeParameters(f, f.deCourt, { kind: "SuspendMember", memberId: 1 });
      const signed = await clients.evidence.signAnchorEvidence(f.frAgency, {
        contentHash: disk.contentHash,
        packageCid: CID,
        category: 3,
        firstUpload: "US",
        primaryDissemination: "DE",
        caseRef: CASE_REF,
        collectedAt,
      });
      const vote = await clients.consortium.signVote(f.nlOperator, proposalId, true);
      await inOneBlock(async () => {
        const anchored = await clients.evidence.anchorEvidence(signed, f.deployer);
        const voted = await clients.consortium.submit(vote, f.deployer);
        return async () => {
          await voted.wait();
          await anchored.wait();
        };
      });
      expect((await f.consortium.getMember(1)).status).to.equal(2n); // Suspended
      const report = await verifyEvidence(clients, {
        evidence: { manifest: disk.manifest, files: disk.files },
        verifier: { memberId: 2 },
      });
      const c = check(report.anchors[0]!, "SIGNER_VALID")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "MEMBER_NOT_ACTIVE" });
      expect(c.details).to.include({ memberStatusAtAnchoring: "Suspended" });
      expect(report.indication).to.equal("TOTAL-FAILED");
    });

    it("a transfer never acknowledged: CUSTODY FAILED TRANSFER_NOT_ACKNOWLEDGED, and COMPLETE_CUSTODY not met", async function () {
      const { disk, verify, agreementId } = await evidenceFlow({ custody: "pending" });
      dirs.push(disk.dir);
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      const anchor = report.anchors[0]!;
      expect(check(anchor, "CUSTODY")).to.deep.include({ result: "FAILED", subCode: "TRANSFER_NOT_ACKNOWLEDGED" });
      expect(check(anchor, "CUSTODY")!.details).to.include({ status: "TRANSFER_PENDING", pendingRecipient: "2" });
      expect(check(anchor, "ASSURANCE")).to.deep.include({
        result: "FAILED",
        subCode: "COMPLETE_CUSTODY_NOT_MET",
        details: {
          agreementId: agreementId.toString(),
          flags: [{ flag: "COMPLETE_CUSTODY", met: false, reason: "a transfer waits for its receipt" }],
        },
      });
    });

    it("no custody recorded: CUSTODY INDETERMINATE NO_CUSTODY_RECORDED, never PASSED", async function () {
      const { disk, verify } = await evidenceFlow({ custody: "none" });
      dirs.push(disk.dir);
      const report = await verify();
      expect(check(report.anchors[0]!, "CUSTODY")).to.deep.include({
        result: "INDETERMINATE",
        subCode: "NO_CUSTODY_RECORDED",
      });
      // The agreement requires complete custody: that flag fails, so the anchor fails.
      expect(check(report.anchors[0]!, "ASSURANCE")).to.deep.include({
        result: "FAILED",
        subCode: "COMPLETE_CUSTODY_NOT_MET",
      });
      expect(report.indication).to.equal("TOTAL-FAILED");
    });

    it("no agreement in force: RECOGNITION FAILED NO_AGREEMENT_IN_FORCE (and ASSURANCE INDETERMINATE)", async function () {
      const { disk, verify } = await evidenceFlow({ agreement: false });
      dirs.push(disk.dir);
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      const anchor = report.anchors[0]!;
      expect(check(anchor, "RECOGNITION")).to.deep.include({ result: "FAILED", subCode: "NO_AGREEMENT_IN_FORCE" });
      expect(check(anchor, "ASSURANCE")).to.deep.include({ result: "INDETERMINATE", subCode: "NO_AGREEMENT" });
      // A DE verifier needs none for DE evidence... and FR needs none for its own.
      const domestic = await verify({ verifier: { memberId: 1 } });
      expect(check(domestic.anchors[0]!, "RECOGNITION")!.result).to.equal("PASSED");
      expect(domestic.indication).to.equal("TOTAL-PASSED");
    });

    it("an agreement suspended now: RECOGNITION FAILED AGREEMENT_SUSPENDED under the default (standing) policy", async function () {
      const { f, disk, agreementId, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      await (await gov.setAgreementSuspended(f, f.deCourt, agreementId, true)).wait();
      const report = await verify();
      expect(report.indication).to.equal("TOTAL-FAILED");
      const c = check(report.anchors[0]!, "RECOGNITION")!;
      expect(c).to.deep.include({ result: "FAILED", subCode: "AGREEMENT_SUSPENDED" });
      expect(c.details).to.include({ agreementId: agreementId.toString(), suspendedNow: true });
      // The contract agrees: endorse's rule finds no standing agreement, while the agreement was in force then.
      const record = (await f.registry.getEvidence(recordIdOf(1, disk.contentHash)))!;
      const [standing] = await f.agreements.standingRecognition("0x4652", "0x4445", 3, record.anchoredAt);
      const [then] = await f.agreements.recognition("0x4652", "0x4445", 3, record.anchoredAt);
      expect([standing, then]).to.deep.equal([false, true]);
    });

    it("an agreement suspended at the chosen time: AGREEMENT_SUSPENDED at collection, PASSED at anchoring and now", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      const agreementId = await concludeFrToDe(f);
      await (await gov.setAgreementSuspended(f, f.deCourt, agreementId, true)).wait();
      await time.increase(60);
      const collectedAt = await time.latest(); // during the suspension
      await time.increase(60);
      await (await gov.setAgreementSuspended(f, f.deCourt, agreementId, false)).wait();
      const disk = await evidenceOnDisk(collectedAt);
      dirs.push(disk.dir);
      const recordId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
        contentHash: disk.contentHash,
        collectedAt,
      });
      await recordCustody(f, clients.evidence, recordId, custodyToDeCourt(f));
      const verify = (timePolicy: "at-anchoring" | "at-collection" | "now") =>
        verifyEvidence(clients, {
          evidence: { manifest: disk.manifest, files: disk.files },
          verifier: { memberId: 2 },
          timePolicy,
        });
      const atCollection = await verify("at-collection");
      expect(atCollection.timePolicy).to.equal("at-collection");
      expect(check(atCollection.anchors[0]!, "RECOGNITION")).to.deep.include({
        result: "FAILED",
        subCode: "AGREEMENT_SUSPENDED",
      });
      expect(atCollection.indication).to.equal("TOTAL-FAILED");
      for (const policy of ["at-anchoring", "now"] as const) {
        const report = await verify(policy);
        expect(check(report.anchors[0]!, "RECOGNITION")!.result, policy).to.equal("PASSED");
        expect(report.indication, policy).to.equal("TOTAL-PASSED");
      }
    });

    it("a batch proof for another root: BATCH_INCLUSION FAILED NOT_IN_BATCH", async function () {
      const { f, clients, disk, verify } = await evidenceFlow({ custody: "none" });
      dirs.push(disk.dir);
      const others = ["a", "b", "c", "d"].map((s) => hashOf(`other record ${s}`));
      const batchA = EvidenceBatch.build([disk.contentHash, others[0]!, others[1]!]);
      const batchB = EvidenceBatch.build([disk.contentHash, others[2]!, others[3]!, others[0]!]);
      const anchorBatch = async (batch: EvidenceBatch) => {
        const signed = await clients.evidence.signAnchorBatch(f.frAgency, {
          batch,
          manifestCid: CID,
          category: 3,
        });
        return (await (await clients.evidence.anchorBatch(signed, f.deployer)).wait()).batchId;
      };
      const batchIdA = await anchorBatch(batchA);
      await anchorBatch(batchB);
      // The proof of B presented for A.
      const wrong = await verify({ batch: { batchId: batchIdA, proof: batchB.proof(disk.contentHash) } });
      const batchAnchor = wrong.anchors.find((a) => a.kind === "batch")!;
      expect(batchAnchor.batchId).to.equal(batchIdA);
      expect(check(batchAnchor, "BATCH_INCLUSION")).to.deep.include({ result: "FAILED", subCode: "NOT_IN_BATCH" });
      expect(batchAnchor.indication).to.equal("TOTAL-FAILED");
      // A's own proof: included; still, a batch carries no custody, and the agreement does not allow batch proofs.
      const right = await verify({ batch: { batchId: batchIdA, proof: batchA.proof(disk.contentHash) } });
      const proven = right.anchors.find((a) => a.kind === "batch")!;
      expect(results(proven)).to.deep.equal([
        ["ANCHOR_FINAL", "PASSED", undefined],
        ["ANCHOR_STATUS", "PASSED", undefined],
        ["ANCHOR_MATCHES_MANIFEST", "PASSED", undefined],
        ["BATCH_INCLUSION", "PASSED", undefined],
        ["SIGNER_VALID", "PASSED", undefined],
        ["CUSTODY", "INDETERMINATE", "NO_CUSTODY_RECORDED"],
        ["RECOGNITION", "PASSED", undefined],
        ["ASSURANCE", "FAILED", "COMPLETE_CUSTODY_NOT_MET"],
      ]);
    });

    it("a record proven only by a batch, under an agreement without BATCH_PROOF_ALLOWED: BATCH_PROOF_NOT_ALLOWED", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      await concludeFrToDe(f, { minAssurance: [] });
      const disk = await evidenceOnDisk(await recentCollection());
      dirs.push(disk.dir);
      const batch = EvidenceBatch.build([disk.contentHash, hashOf("another record")]);
      const signed = await clients.evidence.signAnchorBatch(f.frAgency, {
        batch,
        manifestCid: CID,
        category: 3,
      });
      const { batchId } = await (await clients.evidence.anchorBatch(signed, f.deployer)).wait();
      const report = await verifyEvidence(clients, {
        evidence: { manifest: disk.manifest, files: disk.files },
        batch: { batchId, proof: batch.proof(disk.contentHash) },
        verifier: { memberId: 2 },
      });
      expect(report.anchors.map((a) => a.kind)).to.deep.equal(["batch"]);
      expect(check(report.anchors[0]!, "ASSURANCE")).to.deep.include({
        result: "FAILED",
        subCode: "BATCH_PROOF_NOT_ALLOWED",
      });
      // A later agreement with the flag accepts batch proofs, but it was not in force at the anchoring: the default
      // policy still applies the first one; judged `now`, the later one applies. Custody stays unknown, so the
      // anchor is INDETERMINATE at best.
      const laterId = await concludeFrToDe(f, { minAssurance: ["BATCH_PROOF_ALLOWED"] });
      const verify = (timePolicy: "at-anchoring" | "now") =>
        verifyEvidence(clients, {
          evidence: { manifest: disk.manifest, files: disk.files },
          batch: { batchId, proof: batch.proof(disk.contentHash) },
          verifier: { memberId: 2 },
          timePolicy,
        });
      expect(check((await verify("at-anchoring")).anchors[0]!, "ASSURANCE")!.subCode).to.equal(
        "BATCH_PROOF_NOT_ALLOWED",
      );
      const now = await verify("now");
      expect(check(now.anchors[0]!, "RECOGNITION")!.details).to.include({ agreementId: laterId.toString() });
      expect(check(now.anchors[0]!, "ASSURANCE")!.result).to.equal("PASSED");
      expect(now.indication).to.equal("INDETERMINATE");
    });

    it("not anchored: ANCHOR_FOUND FAILED NOT_ANCHORED", async function () {
      const { disk, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const report = await verify({ anchoredBy: 4 });
      expect(results(report)).to.deep.equal([
        ["MANIFEST_HASH", "PASSED", undefined],
        ["FILE_HASHES", "PASSED", undefined],
        ["ANCHOR_FOUND", "FAILED", "NOT_ANCHORED"],
      ]);
      expect(report.anchors).to.deep.equal([]);
      expect(report.indication).to.equal("TOTAL-FAILED");
    });
  });

  describe("the rule computed off chain, against the contract's view of the same case", function () {
    it("evaluateAssurance agrees with EvidenceRegistry.endorse on COMPLETE_CUSTODY and TIMELY_ANCHOR", async function () {
      const f = await loadFixture(evidenceFixture);
      const clients = await verifierClients(f);
      const window = 3600;
      const agreementId = await concludeFrToDe(f, {
        minAssurance: ["COMPLETE_CUSTODY", "TIMELY_ANCHOR"],
        anchorWindow: window,
      });
      const cases = [
        { name: "custody complete, anchored in time", custody: 4, late: false, flag: undefined },
        { name: "no custody", custody: 0, late: false, flag: "COMPLETE_CUSTODY" },
        { name: "a transfer pending", custody: 3, late: false, flag: "COMPLETE_CUSTODY" },
        { name: "anchored too late", custody: 4, late: true, flag: "TIMELY_ANCHOR" },
        { name: "late and no custody", custody: 0, late: true, flag: "COMPLETE_CUSTODY" },
        { name: "exactly at the window", custody: 4, late: "edge", flag: undefined },
      ] as const;
      for (const c of cases) {
        const now = await time.latest();
        // The anchor lands in the next block (now + 1): "edge" puts it exactly `window` seconds after collection.
        const collectedAt = c.late === "edge" ? now + 1 - window : c.late ? now - window - 600 : now - 600;
        await time.setNextBlockTimestamp(now + 1);
        const disk = await evidenceOnDisk(collectedAt, { note: c.name });
        dirs.push(disk.dir);
        const recordId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
          contentHash: disk.contentHash,
          collectedAt,
        });
        await recordCustody(f, clients.evidence, recordId, custodyToDeCourt(f).slice(0, c.custody));
        const report = await verifyEvidence(clients, {
          evidence: { manifest: disk.manifest, files: disk.files },
          anchoredBy: 1,
          verifier: { memberId: 2 },
        });
        const assurance = check(report.anchors[0]!, "ASSURANCE")!;
        const endorsement = await clients.evidence.signEndorsement(f.deCourt, {
          recordId,
          verdict: "Recognized",
          reportHash: hashOf(c.name),
        });
        const call = f.registry.connect(f.deployer).endorse.staticCall(endorsement.request, endorsement.signature);
        if (c.flag === undefined) {
          expect(assurance.result, c.name).to.equal("PASSED");
          await call; // the contract accepts the recognition
        } else {
          expect([assurance.result, assurance.subCode], c.name).to.deep.equal(["FAILED", `${c.flag}_NOT_MET`]);
          await expect(call, c.name)
            .to.be.revertedWithCustomError(f.registry, "EndorsementAssuranceNotMet")
            .withArgs(recordId, agreementId, Assurance[c.flag]);
        }
      }
    });

    it("RECOGNITION is the contract's recognition view under each time policy", async function () {
      const { f, clients, disk, collectedAt, agreementId, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const record = (await clients.evidence.getEvidenceOf(1, disk.contentHash))!;
      // The agreement was concluded after the claimed collection (ten minutes before) and before the anchoring.
      const [atCollection] = await f.agreements.recognition(FR, DE, 3, collectedAt);
      const [atAnchoring] = await f.agreements.standingRecognition(FR, DE, 3, record.anchoredAt);
      const [now] = await f.agreements.recognition(FR, DE, 3, await time.latest());
      const expected = { "at-collection": atCollection, "at-anchoring": atAnchoring, now };
      expect(expected).to.deep.equal({ "at-collection": false, "at-anchoring": true, now: true });
      for (const timePolicy of ["at-anchoring", "at-collection", "now"] as const) {
        const report = await verify({ timePolicy });
        const recognition = check(report.anchors[0]!, "RECOGNITION")!;
        expect(recognition.result === "PASSED", timePolicy).to.equal(expected[timePolicy]);
        if (expected[timePolicy]) expect(recognition.details).to.include({ agreementId: agreementId.toString() });
      }
    });
  });

  describe("a licence question", function () {
    it("answers with explainAuthorization's reason: PASSED where licensed, FAILED TERRITORY_NOT_GRANTED elsewhere (outside the indication)", async function () {
      const { f, clients, disk, verify } = await evidenceFlow();
      dirs.push(disk.dir);
      const registry = await ethers.deployContract("LicenseRegistry", [await f.consortium.getAddress()]);
      const licenses = await LicenceClient.connect(await registry.getAddress(), f.deployer);
      const [holder, licensee] = f.spare;
      const work = hashOf("the streamed work");
      await (
        await licenses.submit(
          await licenses.signRegisterWork(holder!, {
            contentHash: work,
            rightsHolder: holder!.address,
            originJurisdiction: "ES",
            metadataCid: CID,
          }),
          f.deployer,
        )
      ).wait();
      const now = await time.latest();
      const grant = await licenses.signGrant(holder!, {
        workId: work,
        licensee: licensee!.address,
        rights: ["BROADCAST"],
        territories: ["FR"],
        end: now + 86400 * 365,
      });
      await (await licenses.submit(grant, f.deployer)).wait();
      const id = licenceId(work, ethers.ZeroHash, holder!.address, licensee!.address, grant.request.salt);
      const ask = (territory: string) =>
        verifyEvidence(
          { ...clients, licenses },
          {
            evidence: { manifest: disk.manifest, files: disk.files },
            anchoredBy: 1,
            verifier: { memberId: 2 },
            license: { licenseId: id, right: "BROADCAST", territory, at: now + 60 },
          },
        );
      const fr = await ask("FR");
      expect(fr.checks.map((c) => c.check)).to.deep.equal([
        "MANIFEST_HASH",
        "FILE_HASHES",
        "ANCHOR_FOUND",
        "LICENSE_AUTHORIZATION",
      ]);
      expect(check(fr, "LICENSE_AUTHORIZATION")).to.deep.include({ result: "PASSED" });
      expect(fr.chain.contracts.LicenseRegistry).to.equal(await registry.getAddress());
      expect(fr.indication).to.equal("TOTAL-PASSED");
      const us = await ask("US");
      const answer = check(us, "LICENSE_AUTHORIZATION")!;
      expect(answer).to.deep.include({ result: "FAILED", subCode: "TERRITORY_NOT_GRANTED" });
      expect(answer.details).to.include({ reason: "TERRITORY_NOT_GRANTED", failedAt: id });
      // The answer is about the licence, not the evidence: good evidence of an unlicensed use stays TOTAL-PASSED.
      expect(us.indication).to.equal("TOTAL-PASSED");
      // Without a licence client the question cannot be asked.
      await verify({ license: { licenseId: id, right: "BROADCAST", territory: "FR", at: now } }).then(
        () => expect.fail("asked without a LicenceClient"),
        (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT")).to.equal(true),
      );
    });
  });
});

/**
 * Sends transactions into one block: `send` submits them (automine off) and returns how to wait for them, which
 * runs once the block is mined.
 */
async function inOneBlock<T>(send: () => Promise<() => Promise<T>>): Promise<T> {
  await network.provider.send("evm_setAutomine", [false]);
  let wait: () => Promise<T>;
  try {
    wait = await send();
    await network.provider.send("evm_mine", []);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  return wait();
}

/** Copies a stored package's files to a folder (what a court receives on a disk). */
async function exportPackage(store: EmbeddedContentStore, cid: string, folder: string, paths: string[]) {
  for (const p of paths) {
    mkdirSync(path.dirname(path.join(folder, p)), { recursive: true });
    writeFileSync(path.join(folder, p), await store.getBytes(`${cid}/${p}`, 1 << 26));
  }
}
