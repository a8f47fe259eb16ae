import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, type Wallet } from "ethers";
import {
  EmbeddedContentStore,
  EvidenceCategory,
  EvidenceClient,
  buildManifest,
  caseReferenceHash,
  generateRecipientKey,
  isCrossproofError,
  loadConsortiumConfig,
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

  it("packages, encrypts, stores, anchors, transfers, opens and endorses evidence", async function () {
    const relayer = anvilKey(0, provider);
    const { record } = await deployCrossproof({
      signer: relayer,
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile: path.join(dir, "deployment.json"),
    });
    const frAgency = anvilKey(1, provider); // member 1, FR, AGENCY + GOVERNOR
    const deCourt = anvilKey(2, provider); // member 2, DE, COURT + GOVERNOR
    const client = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);

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

    // 2. It signs the anchor; the relayer submits it.
    const salt = `0x${"11".repeat(32)}`;
    const caseRef = caseReferenceHash("FR-2026-0042", salt);
    const collectedAt = (await client.chainTime()) - 600;
    const signed = await client.signAnchorEvidence(frAgency, {
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      jurisdiction: "FR",
      caseRef,
      collectedAt,
    });
    const { events } = await (await client.submit(signed, relayer)).wait();
    expect(events.map((e) => e.name)).to.deep.equal(["EvidenceAnchored"]);

    const onChain = await client.getEvidence(sealed.contentHash);
    expect(onChain).to.include({
      contentHash: sealed.contentHash,
      status: "Active",
      memberId: 1n,
      collectedAt,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      jurisdiction: "FR",
      signer: frAgency.address,
      packageCid: sealed.cid,
      caseRef,
      fieldsMatchCommitment: true,
    });

    // Anchoring the same package again is refused with the contract's own error.
    const again = await client.signAnchorEvidence(frAgency, {
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      category: 3,
      jurisdiction: "FR",
      caseRef,
      collectedAt,
    });
    await client.submit(again, relayer).then(
      () => expect.fail("anchored twice"),
      (err: unknown) => {
        expect(isCrossproofError(err, "CONTRACT_REVERTED")).to.equal(true);
        expect((err as { details: { error: string } }).details.error).to.equal("EvidenceAlreadyAnchored");
      },
    );

    // 3. Chain of custody: collected, sealed, transferred to the DE court, which acknowledges receipt.
    const submitCustody = async (
      who: Wallet,
      eventType: "Collected" | "Sealed" | "Transferred" | "Received" | "Accessed",
      counterparty = 0,
    ) => {
      const s = await client.signCustody(who, { evidenceId: sealed.contentHash, eventType, counterparty });
      await (await client.submit(s, relayer)).wait();
    };
    await submitCustody(frAgency, "Collected");
    await submitCustody(frAgency, "Sealed");
    await submitCustody(frAgency, "Transferred", 2);
    let chain = await client.custodyChain(sealed.contentHash);
    expect(chain.verification).to.include({ intact: true, complete: false, pendingRecipient: 2n });
    await submitCustody(deCourt, "Received", 1);

    // 4. The DE court opens the package it found through the anchor, checks it against the anchored hash, and
    //    records its access.
    const out = path.join(dir, "de-court");
    const { opened } = await client.openAndRecordAccess({
      evidenceId: sealed.contentHash,
      store,
      recipientKey: deKeys.privateKey,
      outputDir: out,
      signer: deCourt,
      relayer,
    });
    expect(readFileSync(path.join(out, "page.html"), "utf8")).to.equal("<html>infringing stream</html>");
    expect(opened.files.length).to.equal(2);

    chain = await client.custodyChain(sealed.contentHash);
    expect(chain.events.length).to.equal(5);
    expect(chain.verification).to.deep.equal({
      intact: true,
      complete: true,
      custodian: 2n,
      pendingRecipient: 0n,
      problems: [],
    });

    // 5. The DE court recognises the FR evidence.
    const endorsement = await client.signEndorsement(deCourt, {
      evidenceId: sealed.contentHash,
      verdict: "Recognised",
      reportHash: `0x${"22".repeat(32)}`,
    });
    const endorsed = await (await client.submit(endorsement, relayer)).wait();
    expect(endorsed.events[0]!.name).to.equal("EvidenceEndorsed");
    expect((await client.registry.endorsementOf(sealed.contentHash, 2)).verdict).to.equal(1n);
  });
});
