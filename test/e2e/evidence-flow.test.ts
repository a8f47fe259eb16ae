import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, type Wallet } from "ethers";
import {
  ConsortiumClient,
  EmbeddedContentStore,
  EvidenceCategory,
  EvidenceClient,
  Verdict,
  buildManifest,
  caseReferenceHash,
  generateRecipientKey,
  isCrossproofError,
  loadConsortiumConfig,
  recordIdOf,
  sealPackage,
} from "../../sdk/src";
import { ANVIL_MNEMONIC, type RunningAnvil, freePort, localProvider, startAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";

function anvilKey(index: number, provider: ReturnType<typeof localProvider>): Wallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${index}`);
  return w.connect(provider) as unknown as Wallet;
}

describe("evidence flow end to end (real Anvil over JSON-RPC, embedded content store)", function () {
  this.timeout(240_000);
  let anvil: RunningAnvil;
  let dir: string;
  let store: EmbeddedContentStore;
  let provider: ReturnType<typeof localProvider>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-flow-"));
    anvil = await startAnvil({ port: await freePort() });
    provider = localProvider(anvil.url);
    store = await EmbeddedContentStore.open(path.join(dir, "content"));
  });
  after(async () => {
    provider.destroy();
    await store.close();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("packages, encrypts, stores, anchors, transfers, opens and endorses evidence under an agreement", async function () {
    const relayer = anvilKey(0, provider);
    const { record } = await deployCrossproof({
      signer: relayer,
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile: path.join(dir, "deployment.json"),
    });
    const frAgency = anvilKey(1, provider); // member 1, FR, AGENCY + GOVERNOR
    const deCourt = anvilKey(2, provider); // member 2, DE, COURT + GOVERNOR
    const usPlatform = anvilKey(3, provider); // member 3, US, PLATFORM
    const client = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);
    const consortium = await ConsortiumClient.connect(record.contracts.Consortium!.address, provider);

    // 0. FR and DE conclude a recognition agreement for live-stream recordings, custody required.
    const proposed = await (
      await consortium.submit(
        await consortium.signProposeAgreement(frAgency, {
          from: "FR",
          to: "DE",
          categories: [EvidenceCategory.LIVE_STREAM_RECORDING],
          minAssurance: ["COMPLETE_CUSTODY"],
          textHash: `0x${"33".repeat(32)}`,
        }),
        relayer,
      )
    ).wait();
    expect(proposed).to.deep.include({ from: "FR", to: "DE" });
    const { agreementId } = proposed;
    const approved = await (
      await consortium.submit(await consortium.signApproveAgreement(deCourt, agreementId), relayer)
    ).wait();
    expect(approved).to.deep.include({ agreementId, concluded: true });

    // 1. The FR agency packages a capture for itself and for the DE court, and stores it encrypted.
    writeFileSync(path.join(dir, "capture.webm"), Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a));
    writeFileSync(path.join(dir, "page.html"), "<html>infringing stream</html>");
    const files = [
      { path: "capture.webm", source: path.join(dir, "capture.webm") },
      { path: "page.html", source: path.join(dir, "page.html") },
    ];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      acquisition: {
        tool: { name: "crossproof-capture", version: "0.1.0" },
        method: "screen-recording",
        collector: { name: "Officer Martin", organisation: "Agence FR (demo)", memberId: 1 },
        collectedAt: "2026-11-28T09:00:00+01:00",
        timeZone: "Europe/Paris",
        source: { url: "https://streams.example/live/42", platform: "Streamly" },
        jurisdiction: { collecting: "FR", firstUpload: "US", primaryDissemination: "DE" },
      },
    });
    const frKeys = await generateRecipientKey("fr-agency-2026");
    const deKeys = await generateRecipientKey("de-court-2026");
    const sealed = await sealPackage({ manifest, files, recipients: [frKeys.publicKey, deKeys.publicKey], store });

    // 2. It signs the anchor (its own jurisdiction is implied; the joint-jurisdiction facts come from the manifest);
    //    the relayer submits it and gets the record id back.
    const salt = `0x${"11".repeat(32)}`;
    const caseRef = caseReferenceHash("FR-2026-0042", salt);
    const collectedAt = (await client.chainTime()) - 600;
    const anchorParams = {
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      firstUpload: "US",
      primaryDissemination: "DE",
      caseRef,
      collectedAt,
    };
    const signed = await client.signAnchorEvidence(frAgency, anchorParams);
    const anchored = await (await client.anchorEvidence(signed, relayer)).wait();
    expect(anchored).to.deep.include({ contentHash: sealed.contentHash, memberId: 1n });
    const recordId = anchored.recordId;
    expect(recordId).to.equal(recordIdOf(1, sealed.contentHash));
    expect(recordId).to.equal(await client.registry.recordIdOf(1, sealed.contentHash));

    const onChain = await client.getEvidence(recordId);
    expect(onChain).to.include({
      recordId,
      contentHash: sealed.contentHash,
      status: "Active",
      memberId: 1n,
      collectedAt,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      jurisdiction: "FR",
      firstUpload: "US",
      primaryDissemination: "DE",
      signer: frAgency.address,
      packageCid: sealed.cid,
      caseRef,
      fieldsMatchCommitment: true,
    });

    // Anchoring the same package again is refused with the contract's own error.
    const again = await client.signAnchorEvidence(frAgency, { ...anchorParams, category: 3 });
    await client.submit(again, relayer).then(
      () => expect.fail("anchored twice"),
      (err: unknown) => {
        expect(isCrossproofError(err, "CONTRACT_REVERTED")).to.equal(true);
        expect((err as { details: { error: string } }).details.error).to.equal("EvidenceAlreadyAnchored");
      },
    );
    // Another member anchoring the same content hash gets its own record and touches nothing of FR's.
    const usCopy = await (
      await client.anchorEvidence(await client.signAnchorEvidence(usPlatform, anchorParams), relayer)
    ).wait();
    expect((await client.recordsOf(sealed.contentHash)).map((r) => [r.recordId, r.jurisdiction])).to.deep.equal([
      [recordId, "FR"],
      [usCopy.recordId, "US"],
    ]);

    // 3. No custody yet: reported as such, and recognition under the agreement is refused.
    let chain = await client.custodyChain(recordId);
    expect(chain.verification).to.include({ status: "NO_CUSTODY_RECORDED", complete: false });
    const tooEarly = await client.signEndorsement(deCourt, {
      recordId,
      verdict: "Recognized",
      reportHash: `0x${"22".repeat(32)}`,
    });
    await client.submit(tooEarly, relayer).then(
      () => expect.fail("recognized without custody"),
      (err: unknown) => {
        expect((err as { details: { error: string; args: unknown[] } }).details).to.deep.equal({
          error: "EndorsementAssuranceNotMet",
          args: [recordId, agreementId.toString(), "1"],
          argsInWords: { recordId, agreementId: `agreement #${agreementId}`, flag: "COMPLETE_CUSTODY" },
        });
        expect((err as Error).message).to.equal(
          `endorsing evidence refused: EndorsementAssuranceNotMet(recordId: ${recordId}, ` +
            `agreementId: agreement #${agreementId}, flag: COMPLETE_CUSTODY)`,
        );
      },
    );

    // Chain of custody: collected, sealed, transferred to the DE court, which acknowledges receipt.
    const submitCustody = async (
      who: Wallet,
      eventType: "Collected" | "Sealed" | "Transferred" | "Received",
      counterparty = 0,
    ) => {
      const s = await client.signCustody(who, { recordId, eventType, counterparty });
      await (await client.submit(s, relayer)).wait();
    };
    await submitCustody(frAgency, "Collected");
    await submitCustody(frAgency, "Sealed");
    await submitCustody(frAgency, "Transferred", 2);
    chain = await client.custodyChain(recordId);
    expect(chain.verification).to.include({ status: "TRANSFER_PENDING", intact: true, pendingRecipient: 2n });
    // Before acknowledging, the DE court may not record an access.
    await client
      .openAndRecordAccess({
        recordId,
        store,
        recipientKey: deKeys.privateKey,
        outputDir: path.join(dir, "too-early"),
        signer: deCourt,
        relayer,
      })
      .then(
        () => expect.fail("opened before receipt"),
        (err: unknown) => expect(isCrossproofError(err, "NOT_A_RECIPIENT"), String(err)).to.equal(true),
      );
    await submitCustody(deCourt, "Received", 1);

    // 4. The DE court opens the package it found through the anchor, checks it against the anchored hash, and
    //    records its access.
    const out = path.join(dir, "de-court");
    const { opened } = await client.openAndRecordAccess({
      recordId,
      store,
      recipientKey: deKeys.privateKey,
      outputDir: out,
      signer: deCourt,
      relayer,
    });
    expect(readFileSync(path.join(out, "page.html"), "utf8")).to.equal("<html>infringing stream</html>");
    expect(opened.files.length).to.equal(2);

    chain = await client.custodyChain(recordId);
    expect(chain.events.length).to.equal(5);
    expect(chain.verification).to.deep.equal({
      status: "COMPLETE",
      intact: true,
      recorded: true,
      complete: true,
      custodian: 2n,
      pendingRecipient: 0n,
      recipients: [1n, 2n],
      problems: [],
    });

    // 5. The DE court recognizes the FR evidence under the agreement, which the endorsement records.
    const endorsement = await client.signEndorsement(deCourt, {
      recordId,
      verdict: "Recognized",
      reportHash: `0x${"22".repeat(32)}`,
    });
    const endorsed = await (await client.submit(endorsement, relayer)).wait();
    expect(endorsed).to.deep.include({
      recordId,
      memberId: 2n,
      verdict: "Recognized",
      agreementId,
      reportHash: `0x${"22".repeat(32)}`,
    });
    const stored = await client.registry.endorsementOf(recordId, 2);
    expect([stored.verdict, stored.agreementId]).to.deep.equal([BigInt(Verdict.Recognized), agreementId]);
  });
});
