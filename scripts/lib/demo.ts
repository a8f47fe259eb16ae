import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { id as keccakText, type Provider, type Wallet } from "ethers";
import {
  AssistanceClient,
  ConsortiumClient,
  EmbeddedContentStore,
  EvidenceCategory,
  EvidenceClient,
  LicenceClient,
  buildManifest,
  caseReferenceHash,
  computeCid,
  generateRecipientKey,
  sealPackage,
  fromJurisdiction,
  sha256Hex,
  toJurisdiction as toJurisdictionHex,
  type RecipientPrivateKey,
} from "../../sdk/src";
import { devAccount } from "./anvil";
import type { DeploymentRecord } from "./deploy";

export interface DemoParameters {
  provider: Provider;
  deployment: DeploymentRecord;
  /** Folder for the demo's files, content store and opened packages. */
  workDir: string;
  log?: (line: string) => void;
}

export interface DemoResult {
  /** The FR agency's evidence record (per-member id: recordIdOf(member, contentHash)). */
  recordId: string;
  contentHash: string;
  /** The recognition agreement FR → DE the DE court's endorsement cites. */
  agreementId: bigint;
  packageCid: string;
  licenceId: string;
  assistanceRequestId: string;
  /** The DE court's package key (the demo makes it; a member keeps its own in a key vault). */
  courtRecipientKey: RecipientPrivateKey;
  /** The content store folder holding the package. */
  storeDir: string;
}

/**
 * A scenario straight on the chain (the SDK's clients and a relayer, no gateway) on the demo consortium's first five
 * members: the FR agency captures and anchors evidence of an infringing live stream and hands it to the DE court,
 * which opens and recognises it; a rights holder's licensing chain is checked for the platform's stream; the FR agency
 * asks the US platform for the uploader's data and the platform answers on the record.
 *
 * It is the fixture the gateway's tests build their chain history on (indexer, reads, verification, keystore). The
 * story `npm run demo` tells, through the gateway, is `runCrossBorderDemo` in `demo-story.ts`.
 */
export async function runDemo(p: DemoParameters): Promise<DemoResult> {
  const log = p.log ?? (() => {});
  const relayer = devAccount(0, p.provider);
  const frAgency = devAccount(1, p.provider); // member 1, FR, AGENCY + GOVERNOR
  const deCourt = devAccount(2, p.provider); // member 2, DE, COURT + GOVERNOR
  const usPlatform = devAccount(3, p.provider); // member 3, US, PLATFORM
  const rightsHolder = devAccount(6, p.provider); // not a member: a plain account
  const label = devAccount(7, p.provider);
  const c = p.deployment.contracts;
  const evidence = await EvidenceClient.connect(c.EvidenceRegistry!.address, p.provider);
  const licences = await LicenceClient.connect(c.LicenseRegistry!.address, p.provider);
  const assistance = await AssistanceClient.connect(c.AssistanceDesk!.address, p.provider);
  const run = `${Date.now()}`;
  mkdirSync(p.workDir, { recursive: true });
  const storeDir = path.join(p.workDir, "content");
  const store = await EmbeddedContentStore.open(storeDir);
  try {
    // 1. Evidence: capture, package, encrypt for the FR agency and the DE court, store, anchor.
    log("1. The FR agency packages a capture of an infringing live stream");
    const capture = path.join(p.workDir, `capture-${run}.webm`);
    writeFileSync(capture, Buffer.from(`demo capture ${run} `.repeat(50_000)));
    const files = [{ path: "capture.webm", source: capture }];
    // One collection time, in the manifest and in the anchor (the verifier checks that they agree).
    const collectedAt = (await evidence.chainTime()) - 60;
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      acquisition: {
        tool: { name: "crossproof-demo-capture", version: "1.0" },
        method: "screen-recording",
        collector: { name: "Officer Martin (demo)", organisation: "Agence FR (demo)", memberId: 1 },
        collectedAt: new Date(collectedAt * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
        source: { url: "https://streams.example/live/42", platform: "Streamly", account: "uploader-77" },
        jurisdiction: { collecting: "FR", firstUpload: "US", primaryDissemination: "FR" },
      },
    });
    const frKey = await generateRecipientKey("fr-agency");
    const deKey = await generateRecipientKey("de-court");
    const sealed = await sealPackage({ manifest, files, recipients: [frKey.publicKey, deKey.publicKey], store });
    log(`   package hash ${sealed.contentHash}`);
    log(`   encrypted package ${sealed.cid}`);
    const caseRef = caseReferenceHash("FR-2026-0042", keccakText("demo case salt"));
    const anchor = await evidence.signAnchorEvidence(frAgency, {
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      firstUpload: "US",
      primaryDissemination: "FR",
      caseRef,
      collectedAt,
    });
    const anchored = await (await evidence.anchorEvidence(anchor, relayer)).wait();
    const recordId = anchored.recordId;
    log(`   anchored by member 1 (signed by ${frAgency.address}, relayed), tx ${anchored.receipt.hash}`);
    log(`   record ${recordId} (collecting jurisdiction FR: the member's own)`);

    // 2. Custody: collected, sealed, transferred to the DE court, received; the court opens it and records access.
    log("2. Chain of custody FR agency → DE court");
    const custody = async (
      who: Wallet,
      eventType: "Collected" | "Sealed" | "Transferred" | "Received",
      counterparty = 0,
    ) =>
      (await evidence.submit(await evidence.signCustody(who, { recordId, eventType, counterparty }), relayer)).wait();
    await custody(frAgency, "Collected");
    await custody(frAgency, "Sealed");
    await custody(frAgency, "Transferred", 2);
    await custody(deCourt, "Received", 1);
    const { opened } = await evidence.openAndRecordAccess({
      recordId,
      store,
      recipientKey: deKey.privateKey,
      outputDir: path.join(p.workDir, `opened-${run}`),
      signer: deCourt,
      relayer,
    });
    const chain = await evidence.custodyChain(recordId);
    log(`   DE court opened ${opened.files.length} file(s), hashes verified against the anchored manifest`);
    log(`   custody: ${chain.events.length} events, ${chain.verification.status}, intact ${chain.verification.intact}`);
    // Recognition rests on a recognition agreement FR → DE in force for the category at anchoring time and not
    // suspended now; the contract finds it, checks its minimum-assurance flags and records its id.
    const consortium = await ConsortiumClient.connect(await await evidence.registry.consortium(), p.provider);
    const record = await evidence.getEvidence(recordId);
    const [recognized, agreementId] = await consortium.agreements.standingRecognition(
      toJurisdictionHex("FR"),
      toJurisdictionHex("DE"),
      EvidenceCategory.LIVE_STREAM_RECORDING,
      record!.anchoredAt,
    );
    if (!recognized)
      throw new Error("no recognition agreement FR → DE in force: was npm start's configuration changed?");
    const agreement = await consortium.agreements.getAgreement(agreementId);
    const endorsed = await (
      await evidence.submit(
        await evidence.signEndorsement(deCourt, {
          recordId,
          verdict: "Recognized",
          reportHash: `0x${sha256Hex(`verification report ${run}`)}`,
        }),
        relayer,
      )
    ).wait();
    const cited = endorsed.agreementId;
    log(
      `   DE court recognized the FR evidence under recognition agreement #${cited} ` +
        `(${fromJurisdiction(agreement.terms.from)} → ${fromJurisdiction(agreement.terms.to)}, ` +
        `text hash ${agreement.terms.textHash.slice(0, 18)}…, concluded ${new Date(Number(agreement.concludedAt) * 1000).toISOString()})`,
    );

    // 3. Licensing: the rights holder registers the work and licenses a label, which sublicenses the platform.
    log("3. Licensing chain rights holder → label → platform");
    const { workId: work } = await (
      await licences.submit(
        await licences.signRegisterWork(rightsHolder, {
          contentHash: `0x${sha256Hex(`reference copy of the match broadcast ${run}`)}`,
          rightsHolder: rightsHolder.address,
          originJurisdiction: "ES",
          metadataCid: await computeCid(new TextEncoder().encode(`work metadata ${run}`)),
        }),
        relayer,
      )
    ).wait();
    const now = await licences.chainTime();
    const root = await licences.signGrant(rightsHolder, {
      workId: work,
      licensee: label.address,
      rights: ["BROADCAST", "MAKE_AVAILABLE"],
      territories: ["EU"],
      // start omitted: from the grant's block (a past start would be back-dating)
      end: now + 365 * 86400,
      sublicensable: true,
    });
    const { licenceId: rootId } = await (await licences.submit(root, relayer)).wait();
    const sub = await licences.signGrant(label, {
      workId: work,
      parentId: rootId,
      licensee: usPlatform.address,
      rights: ["BROADCAST"],
      territories: ["FR", "DE"],
      // start omitted: from the grant's block
      end: now + 180 * 86400,
    });
    const { licenceId: leaf } = await (await licences.submit(sub, relayer)).wait();
    for (const territory of ["FR", "US"]) {
      const e = await licences.explainAuthorization(leaf, "BROADCAST", territory, now + 10);
      log(`   ${e.summary}`);
    }

    // 4. Assistance: the FR agency asks the US platform for the uploader's data; the platform answers on record.
    log("4. Assistance request FR agency → US platform");
    const issued = await assistance.signIssue(frAgency, {
      addressee: 3,
      kind: "Produce",
      caseRef,
      evidenceIds: [recordId],
      dataCategories: ["SUBSCRIBER", "DISSEMINATION_RECORDS"],
      firstUpload: "US",
      primaryDissemination: "FR",
      legalBasisHash: keccakText("demo legal basis"),
    });
    const { requestId, deadline } = await (await assistance.submit(issued, relayer)).wait();
    log(`   request ${requestId.slice(0, 10)}…: issued, due ${new Date(deadline * 1000).toISOString()}`);
    const { state: acknowledged } = await (
      await assistance.submit(await assistance.signAcknowledge(usPlatform, { requestId }), relayer)
    ).wait();
    log(`   ${acknowledged} by the US platform`);
    const responseFile = new TextEncoder().encode(`subscriber record of uploader-77 ${run}`);
    const answered = await (
      await assistance.submit(
        await assistance.signRespond(usPlatform, {
          requestId,
          outcome: "Fulfilled",
          responseHash: `0x${sha256Hex(responseFile)}`,
          responseCid: await store.put(responseFile),
        }),
        relayer,
      )
    ).wait();
    log(`   answered: ${answered.state}${answered.late ? " (late)" : " (on time)"}`);
    return {
      recordId,
      contentHash: sealed.contentHash,
      agreementId: cited,
      packageCid: sealed.cid,
      licenceId: leaf,
      assistanceRequestId: requestId,
      courtRecipientKey: deKey.privateKey,
      storeDir,
    };
  } finally {
    await store.close();
  }
}
