import { expect } from "chai";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture } from "../helpers/load-fixture";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import {
  CustodyEventType,
  EmbeddedContentStore,
  openPackage,
  readPackageHeader,
  recipientDetailsHash,
  reduceReport,
  rewrapPackage,
  sealPackage,
  sharePackage,
  verifyEvidence,
  type ConsortiumClient,
  type CrossproofError,
  type Hex,
  type RecipientPrivateKey,
  type RecipientPublicKey,
  type SharePackageParameters,
  type SharedPackage,
  type VerifierClients,
} from "../../sdk/src";
import { REPORT_SCHEMA_PATH } from "../../scripts/report-schema";
import { evidenceFixture, type EvidenceFixture } from "../helpers/fixtures";
import { validateJsonSchema } from "../helpers/json-schema";
import {
  anchorThroughSdk,
  concludeFrToDe,
  evidenceOnDisk,
  recentCollection,
  recordCustody,
  verifierClients,
} from "../helpers/verification";

const M = { FR: 1, DE: 2, NL: 3, US: 4, ES: 5 } as const;

/** A member's package key pair, its key id the RFC 7638 thumbprint (as the Consortium names it). */
interface MemberKey {
  publicKey: RecipientPublicKey;
  privateKey: RecipientPrivateKey;
}

async function memberKey(alg: "ECDH-ES+A256KW" | "EdDSA", crv: "X25519" | "P-256" | "Ed25519"): Promise<MemberKey> {
  const pair = await generateKeyPair(alg, { crv, extractable: true });
  const pub = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(pub);
  return {
    publicKey: { kid, jwk: { ...pub, kid } },
    privateKey: { kid, jwk: { ...(await exportJWK(pair.privateKey)), kid } },
  };
}

async function register(
  consortium: ConsortiumClient,
  f: EvidenceFixture,
  by: HardhatEthersSigner,
  memberId: number,
  purpose: "Encryption" | "Report",
  key: MemberKey,
): Promise<void> {
  const signed = await consortium.signAddOwnPublicKey(by, memberId, { purpose, jwk: key.publicKey.jwk });
  await (await consortium.submit(signed, f.deployer)).wait();
}

/** The blocks an embedded store holds (one file per block). */
function blockCount(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

async function refusal(p: Promise<unknown>): Promise<CrossproofError> {
  return p.then(
    () => expect.fail("expected a refusal"),
    (err: unknown) => err as CrossproofError,
  );
}

describe("sharing an evidence package with a new recipient (sharePackage)", function () {
  let f: EvidenceFixture;
  let clients: VerifierClients;
  let store: EmbeddedContentStore;
  let storeDir: string;
  let disk: Awaited<ReturnType<typeof evidenceOnDisk>>;
  let keys: { fr: MemberKey; nl: MemberKey; de: MemberKey; deReport: MemberKey; usReport: MemberKey };
  let sealed: Awaited<ReturnType<typeof sealPackage>>;
  let recordId: Hex;
  let shared: SharedPackage;
  let newBlocks: number;
  let share: (p: Partial<SharePackageParameters>) => Promise<SharedPackage>;

  // The story: FR and DE conclude a recognition agreement; FR (P-256), NL and the DE court (X25519) register
  // encryption keys, DE and the US platform report keys; the FR agency seals a capture for itself and the NL
  // operator, anchors it and records its custody; then it shares the package with the DE court.
  before(async () => {
    f = await loadFixture(evidenceFixture);
    clients = await verifierClients(f);
    await concludeFrToDe(f);
    keys = {
      fr: await memberKey("ECDH-ES+A256KW", "P-256"),
      nl: await memberKey("ECDH-ES+A256KW", "X25519"),
      de: await memberKey("ECDH-ES+A256KW", "X25519"),
      deReport: await memberKey("EdDSA", "Ed25519"),
      usReport: await memberKey("EdDSA", "Ed25519"),
    };
    await register(clients.consortium, f, f.frAgency, M.FR, "Encryption", keys.fr);
    await register(clients.consortium, f, f.nlOperator, M.NL, "Encryption", keys.nl);
    await register(clients.consortium, f, f.deCourt, M.DE, "Report", keys.deReport);
    await register(clients.consortium, f, f.deCourt, M.DE, "Encryption", keys.de);
    await register(clients.consortium, f, f.usPlatform, M.US, "Report", keys.usReport);

    const collectedAt = await recentCollection();
    disk = await evidenceOnDisk(collectedAt);
    storeDir = path.join(disk.dir, "store");
    store = await EmbeddedContentStore.open(storeDir);
    sealed = await sealPackage({
      manifest: disk.manifest,
      files: disk.files,
      recipients: [keys.fr.publicKey, keys.nl.publicKey],
      store,
    });
    recordId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      collectedAt,
    });
    await recordCustody(f, clients.evidence, recordId, [
      [f.frAgency, "Collected"],
      [f.frAgency, "Sealed"],
    ]);

    share = (p) =>
      sharePackage({
        evidence: clients.evidence,
        consortium: clients.consortium,
        recordId,
        recipientMember: M.DE,
        holderKey: keys.fr.privateKey,
        store,
        signer: f.frAgency,
        submitter: f.deployer,
        ...p,
      });
    const blocksBefore = blockCount(storeDir);
    shared = await share({});
    newBlocks = blockCount(storeDir) - blocksBefore;
  });
  after(async () => {
    await store.close();
    rmSync(disk.dir, { recursive: true, force: true });
  });

  it("FR shares with the DE court: a new CID, the same content hash, the very same file blocks", async function () {
    expect(shared).to.deep.include({
      recordId,
      recipient: BigInt(M.DE),
      recipientKeys: [keys.de.publicKey.kid],
      contentHash: sealed.contentHash,
    });
    expect(shared.cid).to.not.equal(sealed.cid);
    expect(await readPackageHeader(store, shared.cid)).to.deep.equal({
      format: "crossproof-package/1",
      contentHash: disk.contentHash,
      recipients: [keys.fr.publicKey.kid, keys.nl.publicKey.kid, keys.de.publicKey.kid],
    });
    // Files untouched: the same `files` directory and file blocks under both packages; only the envelope differs.
    for (const p of ["files", "files/0", "files/1"]) {
      expect(await store.resolve(`${shared.cid}/${p}`), p).to.equal(await store.resolve(`${sealed.cid}/${p}`));
    }
    expect(await store.resolve(`${shared.cid}/envelope.jwe.json`)).to.not.equal(
      await store.resolve(`${sealed.cid}/envelope.jwe.json`),
    );
    // Two blocks were written: the new envelope (one raw block) and the new directory node. No file was re-sent.
    expect(newBlocks).to.equal(2);
  });

  it("the court opens the new package with its private key (recording its access); the original recipients still can", async function () {
    const out = path.join(disk.dir, "de-court");
    const { opened, accessTransaction } = await clients.evidence.openAndRecordAccess({
      recordId,
      store,
      recipientKey: keys.de.privateKey,
      outputDir: out,
      signer: f.deCourt,
      relayer: f.deployer,
      packageCid: shared.cid,
    });
    expect(accessTransaction).to.match(/^0x[0-9a-f]{64}$/);
    for (const file of disk.files) {
      expect(readFileSync(path.join(out, file.path)).equals(readFileSync(file.source)), file.path).to.equal(true);
    }
    expect(opened.contentHash).to.equal(disk.contentHash);
    for (const [who, key] of [
      ["fr", keys.fr],
      ["nl", keys.nl],
    ] as const) {
      const again = await openPackage({
        cid: shared.cid,
        store,
        recipientKey: key.privateKey,
        outputDir: path.join(disk.dir, who),
        expectedContentHash: disk.contentHash,
      });
      expect(again.manifest, who).to.deep.equal(disk.manifest);
    }
    // The court's key never opened the package as anchored.
    expect((await readPackageHeader(store, sealed.cid)).recipients).to.not.include(keys.de.publicKey.kid);
  });

  it("the chain of custody shows RecipientAdded for the DE court, committing to the new CID", async function () {
    const { events, verification } = await clients.evidence.custodyChain(recordId);
    const added = events.filter((e) => e.eventType === CustodyEventType.RecipientAdded);
    expect(added.length).to.equal(1);
    expect(added[0]).to.deep.include({
      actor: BigInt(M.FR),
      counterparty: BigInt(M.DE),
      detailsHash: recipientDetailsHash(shared.cid),
      transactionHash: shared.transactionHash,
      blockNumber: shared.blockNumber,
    });
    expect(verification.status).to.equal("COMPLETE");
    expect(await clients.evidence.isRecipient(recordId, M.DE)).to.equal(true);
  });

  it("verifyEvidence with the new CID: recorded by the RecipientAdded event, TOTAL-PASSED", async function () {
    const report = await verifyEvidence(clients, {
      evidence: { package: { cid: shared.cid, store }, recipientKey: keys.de.privateKey },
      anchoredBy: M.FR,
      verifier: { memberId: M.DE },
    });
    expect(report.indication).to.equal("TOTAL-PASSED");
    expect(report.subject).to.deep.include({ evidence: "package", packageCid: shared.cid });
    const anchor = report.anchors[0]!;
    expect(anchor.indication).to.equal("TOTAL-PASSED");
    const { chainId } = await f.deployer.provider.getNetwork();
    expect(anchor.packageCid).to.deep.equal({
      cid: shared.cid,
      recordedBy: "recipient-added",
      recipients: [String(M.DE)],
      summary: anchor.packageCid!.summary,
      refs: [
        {
          chainId: chainId.toString(),
          contract: "EvidenceRegistry",
          address: await f.registry.getAddress(),
          recordId,
          transactionHash: shared.transactionHash,
          blockNumber: shared.blockNumber,
        },
      ],
    });
    const published = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, "utf8")) as Record<string, unknown>;
    expect(validateJsonSchema(published, JSON.parse(JSON.stringify(report)))).to.deep.equal([]);
    // The reduced report names no CID.
    expect(JSON.stringify(reduceReport(report))).to.not.include(shared.cid);

    // The anchored CID is reported as the anchor's own.
    const anchored = await verifyEvidence(clients, {
      evidence: { package: { cid: sealed.cid, store }, recipientKey: keys.fr.privateKey },
      anchoredBy: M.FR,
      verifier: { memberId: M.DE },
    });
    expect(anchored.anchors[0]!.packageCid).to.deep.include({ cid: sealed.cid, recordedBy: "anchor" });
  });

  it("a CID never recorded for the record is reported as such, still verified by its content hash", async function () {
    // The NL operator re-wraps the package for a key of its own and records nothing.
    const own = await memberKey("ECDH-ES+A256KW", "X25519");
    const unrecorded = await rewrapPackage({
      cid: shared.cid,
      store,
      holderKey: keys.nl.privateKey,
      recipients: [own.publicKey],
      currentRecipients: [keys.fr.publicKey, keys.de.publicKey],
    });
    expect(unrecorded.contentHash).to.equal(disk.contentHash);
    const report = await verifyEvidence(clients, {
      evidence: { package: { cid: unrecorded.cid, store }, recipientKey: own.privateKey },
      anchoredBy: M.FR,
      verifier: { memberId: M.DE },
    });
    expect(report.anchors[0]!.packageCid).to.deep.include({
      cid: unrecorded.cid,
      recordedBy: "not-recorded",
      refs: [],
    });
    expect(report.anchors[0]!.packageCid!.summary).to.match(/neither the one anchored .* nor recorded/);
    // Informational: the content is the anchored one, so the indication does not change.
    expect(report.indication).to.equal("TOTAL-PASSED");
  });

  describe("refusals", function () {
    it("a key that is not a recipient of the package cannot re-wrap it; nothing is recorded", async function () {
      const before = await clients.evidence.registry.custodyOf(recordId);
      // The DE court holds the shared package, not the anchored one.
      const err = await refusal(share({ holderKey: keys.de.privateKey, signer: f.deCourt }));
      expect([err.code, err.details]).to.deep.equal([
        "NOT_A_RECIPIENT",
        { recipients: [keys.fr.publicKey.kid, keys.nl.publicKey.kid] },
      ]);
      // From the shared package, the NL operator's key is a recipient already.
      const again = await refusal(
        share({ holderKey: keys.de.privateKey, packageCid: shared.cid, recipientMember: M.NL, signer: f.deCourt }),
      );
      expect([again.code, again.details]).to.deep.equal(["ALREADY_A_RECIPIENT", { kids: [keys.nl.publicKey.kid] }]);
      const stranger = await memberKey("ECDH-ES+A256KW", "X25519");
      expect((await refusal(share({ holderKey: stranger.privateKey }))).code).to.equal("NOT_A_RECIPIENT");
      // The stranger's private key presented under FR's key id.
      const impostor = { ...stranger.privateKey, kid: keys.fr.privateKey.kid };
      expect((await refusal(share({ holderKey: impostor, packageCid: sealed.cid }))).code).to.equal(
        "DECRYPTION_FAILED",
      );
      expect((await clients.evidence.registry.custodyOf(recordId)).count).to.equal(before.count);
    });

    it("a member without an encryption key valid now cannot be shared with: report keys do not count", async function () {
      const none = await refusal(share({ recipientMember: M.ES }));
      expect([none.code, none.details]).to.deep.equal(["NO_ENCRYPTION_KEY", { memberId: "5", reportKeys: [] }]);
      const reportOnly = await refusal(share({ recipientMember: M.US }));
      expect([reportOnly.code, reportOnly.details]).to.deep.equal([
        "NO_ENCRYPTION_KEY",
        { memberId: "4", reportKeys: [keys.usReport.publicKey.kid] },
      ]);
      expect(reportOnly.message).to.match(/only report keys/);
      // Naming one of the court's report keys as the key to wrap for.
      const named = await refusal(share({ packageCid: sealed.cid, recipientKeys: [keys.deReport.publicKey.kid] }));
      expect([named.code, named.details]).to.deep.equal([
        "NO_ENCRYPTION_KEY",
        { memberId: "2", kid: keys.deReport.publicKey.kid, purpose: "Report" },
      ]);
      // A revoked encryption key is not used.
      const es = await memberKey("ECDH-ES+A256KW", "P-256");
      await register(clients.consortium, f, f.esRegistry, M.ES, "Encryption", es);
      const revoke = await clients.consortium.signRevokeOwnPublicKey(f.esRegistry, M.ES, es.publicKey.kid);
      await (await clients.consortium.submit(revoke, f.deployer)).wait();
      expect((await refusal(share({ recipientMember: M.ES }))).code).to.equal("NO_ENCRYPTION_KEY");
    });

    it("a member that is neither the anchoring member nor the custodian cannot record RecipientAdded", async function () {
      // The NL operator holds a key of the package, but not the evidence: the contract refuses its event.
      const err = await refusal(
        share({ holderKey: keys.nl.privateKey, packageCid: sealed.cid, signer: f.nlOperator, recipientMember: M.DE }),
      );
      expect(err.code).to.equal("CONTRACT_REVERTED");
      expect(err.details?.error).to.equal("CustodyNotCustodian");
      expect(err.details?.args).to.deep.equal([recordId, String(M.NL)]);
      const { events } = await clients.evidence.custodyChain(recordId);
      expect(events.filter((e) => e.eventType === CustodyEventType.RecipientAdded).length).to.equal(1);
    });
  });
});
