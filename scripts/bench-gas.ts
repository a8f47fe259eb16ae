/**
 * Gas benchmark (`npm run bench:gas`): what each crossproof write costs on an EVM chain, measured on Hardhat's
 * in-process network (cancun). The consortium is deployed and founded the way `npm start` does it
 * (scripts/lib/deploy.ts, config/demo-consortium.json with its recognition agreements); every write is signed by a
 * member key through the SDK and relayed by another account.
 *
 * Targets (issue "Contracts v2"): a signed, relayed anchorEvidence ≤ 100,000 gas; anchorBatch ≤ 70,000 gas whatever
 * its size.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import {
  AssistanceClient,
  ConsortiumClient,
  EvidenceBatch,
  EvidenceClient,
  LicenceClient,
  loadConsortiumConfig,
  type Hex,
} from "../sdk/src";
import { concludeConfiguredAgreements } from "./lib/agreements";
import { devAccount, devAccountFor } from "./lib/anvil";
import { deployCrossproof } from "./lib/deploy";

async function main(): Promise<void> {
  const provider = ethers.provider;
  // Hardhat's accounts are Anvil's (the same public development mnemonic): the demo consortium's founder keys.
  const relayer = devAccount(0, provider);
  const frAgency = devAccount(1, provider); // member 1, FR, AGENCY + GOVERNOR
  const deCourt = devAccount(2, provider); // member 2, DE, COURT + GOVERNOR
  const usPlatform = devAccount(3, provider); // member 3, US, PLATFORM
  const config = loadConsortiumConfig("config/demo-consortium.json");
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-gas-"));
  try {
    const { record } = await deployCrossproof({
      signer: relayer,
      config,
      deploymentFile: path.join(dir, "deployment.json"),
    });
    await concludeConfiguredAgreements({
      provider,
      relayer,
      record,
      config,
      keyFor: (a) => devAccountFor(a, provider),
    });
    const c = record.contracts;
    const evidence = await EvidenceClient.connect(c.EvidenceRegistry!.address, provider);
    const licences = await LicenceClient.connect(c.LicenseRegistry!.address, provider);
    const assistance = await AssistanceClient.connect(c.AssistanceDesk!.address, provider);
    const consortium = await ConsortiumClient.connect(c.Consortium!.address, provider);

    console.log("| operation | gas | note |\n| --- | ---: | --- |");
    const row = (op: string, gas: bigint, note = "") =>
      console.log(`| ${op} | ${gas.toLocaleString("en-US")} | ${note} |`);
    const cidText = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

    // Single anchors (the last of three, so no first-write-to-contract effects are counted).
    let anchorGas = 0n;
    let recordId = "" as Hex;
    for (let i = 0; i < 3; ++i) {
      const signed = await evidence.signAnchorEvidence(frAgency, {
        contentHash: ethers.sha256(ethers.toUtf8Bytes(`package ${i}`)),
        packageCid: cidText,
        category: 3,
        firstUpload: "US",
        primaryDissemination: "FR",
        caseRef: ethers.id(`case ${i}`),
        collectedAt: (await evidence.chainTime()) - 3600,
      });
      const anchored = await (await evidence.anchorEvidence(signed, relayer)).wait();
      anchorGas = anchored.receipt.gasUsed;
      if (i === 0) recordId = anchored.recordId;
    }
    row(
      "anchorEvidence (signed, relayed)",
      anchorGas,
      anchorGas <= 100_000n ? "target ≤ 100,000: met" : "target ≤ 100,000: MISSED",
    );

    for (const n of [1, 100, 1000, 10_000]) {
      const batch = EvidenceBatch.build(Array.from({ length: n }, (_, i) => ethers.id(`record ${n} ${i}`)));
      const signed = await evidence.signAnchorBatch(usPlatform, {
        batch,
        manifestCid: cidText,
        category: 4,
      });
      const anchored = await (await evidence.anchorBatch(signed, relayer)).wait();
      const gas = anchored.receipt.gasUsed;
      row(
        `anchorBatch (${n.toLocaleString("en-US")} records)`,
        gas,
        `${(Number(gas) / n).toFixed(1)} gas/record; target ≤ 70,000: ${gas <= 70_000n ? "met" : "MISSED"}`,
      );
      if (n === 1000) {
        const leaf = ethers.id(`record ${n} 500`);
        const proof = batch.proof(leaf);
        const gasCall = await evidence.registry.verifyInclusion.estimateGas(anchored.batchId, leaf, proof);
        row("verifyInclusion (1,000-record batch, eth_call)", gasCall, `proof of ${proof.length} hashes`);
      }
    }

    const custody = async (
      by: typeof frAgency,
      eventType: "Collected" | "Sealed" | "Transferred" | "Received" | "Accessed",
      counterparty: number,
      label: string,
    ) => {
      const s = await evidence.signCustody(by, { recordId, eventType, counterparty, detailsHash: ethers.id(label) });
      const r = await (await evidence.submit(s, relayer)).wait();
      row(`recordCustody ${eventType} ${label}`, r.receipt.gasUsed);
    };
    await custody(frAgency, "Collected", 0, "(first event)");
    await custody(frAgency, "Sealed", 0, "(next event)");
    await custody(frAgency, "Transferred", 2, "(to the DE court)");
    await custody(deCourt, "Received", 1, "(receipt)");
    await custody(deCourt, "Accessed", 0, "(by the receiver)");
    const addRecipient = await evidence.signAddRecipient(deCourt, {
      recordId,
      recipient: 4,
      packageCid: cidText,
    });
    row(
      "recordCustody RecipientAdded (first recipient word)",
      (await (await evidence.submit(addRecipient, relayer)).wait()).receipt.gasUsed,
    );

    const endorse = await evidence.signEndorsement(deCourt, {
      recordId,
      verdict: "Recognized",
      reportHash: ethers.id("report"),
    });
    row(
      "endorse Recognized (agreement found, COMPLETE_CUSTODY + TIMELY_ANCHOR evaluated)",
      (await (await evidence.submit(endorse, relayer)).wait()).receipt.gasUsed,
    );

    // Licensing: a chain of 8 licences (the maximum depth), each granted by the previous licensee.
    const accounts = (await ethers.getSigners()).slice(10, 19);
    const work = ethers.id("bench work");
    const reg = await licences.signRegisterWork(accounts[0]!, {
      contentHash: work,
      rightsHolder: accounts[0]!.address,
      originJurisdiction: "FR",
      metadataCid: cidText,
    });
    row(
      "registerWork (signed by the rights holder, relayed)",
      (await (await licences.submit(reg, relayer)).wait()).receipt.gasUsed,
    );
    const t0 = (await licences.chainTime()) + 60;
    let parent = ethers.ZeroHash as Hex;
    const ids: Hex[] = [];
    for (let depth = 1; depth <= 8; ++depth) {
      const g = await licences.signGrant(accounts[depth - 1]!, {
        workId: work,
        parentId: parent,
        licensee: accounts[depth]!.address,
        rights: ["REPRODUCE", "DISTRIBUTE", "MAKE_AVAILABLE"],
        sublicensable: true,
        start: t0,
        end: t0 + 365 * 24 * 3600,
        territories: ["FR", "DE", "ES", "IT"],
        salt: ethers.id(`salt ${depth}`),
      });
      const r = await (await licences.submit(g, relayer)).wait();
      parent = r.licenceId;
      ids.push(parent);
      if (depth === 1 || depth === 4 || depth === 8) {
        row(`grantLicence at depth ${depth} (4 territories)`, r.receipt.gasUsed, depth === 1 ? "root licence" : "");
      }
    }
    for (const depth of [1, 4, 8]) {
      const gas = await licences.registry.verifyAuthorization.estimateGas(
        ids[depth - 1]!,
        2,
        "0x4445", // DE
        t0 + 10,
      );
      row(`verifyAuthorization at depth ${depth} (eth_call)`, gas, "includes the 21,000 call base");
    }

    // Assistance: the FR agency (member 1) asks the US platform (member 3): governance defaults apply.
    const issued = await assistance.signIssue(frAgency, {
      addressee: 3,
      kind: "Produce",
      caseRef: ethers.id("case"),
      evidenceIds: [recordId],
      firstUpload: "US",
      primaryDissemination: "FR",
      dataCategories: ["SUBSCRIBER", "DISSEMINATION_RECORDS"],
      legalBasisHash: ethers.id("legal basis"),
    });
    const { requestId, receipt: issuedReceipt } = await (await assistance.submit(issued, relayer)).wait();
    row("issue (assistance request FR → US, one evidence reference, defaults)", issuedReceipt.gasUsed);
    row(
      "acknowledge",
      (await (await assistance.submit(await assistance.signAcknowledge(usPlatform, { requestId }), relayer)).wait())
        .receipt.gasUsed,
    );
    const resp = await assistance.signRespond(usPlatform, {
      requestId,
      outcome: "Fulfilled",
      responseHash: ethers.id("response"),
      responseCid: cidText,
    });
    row("respond (fulfilled)", (await (await assistance.submit(resp, relayer)).wait()).receipt.gasUsed);
    // An order (Regulation (EU) 2023/1543 fields: a judge's order, one target, the order document), answered with
    // its signed time.
    const now = await assistance.chainTime();
    const order = await assistance.signIssueOrder(frAgency, {
      addressee: 3,
      kind: "Produce",
      caseRef: ethers.id("case order"),
      evidenceIds: [recordId],
      firstUpload: "US",
      primaryDissemination: "FR",
      dataCategories: ["SUBSCRIBER", "IDENTIFICATION"],
      legalBasisHash: ethers.id("Regulation (EU) 2023/1543"),
      order: {
        issuingAuthority: { type: "Judge", hash: ethers.id("juge d'instruction") },
        offence: { hash: ethers.id("art. 323-1 code pénal"), category: 9 },
        dataPeriod: { from: now - 30 * 86400, until: now - 86400 },
        targets: [ethers.id("account uploader-77")],
        language: "fr",
        orderDocument: { hash: ethers.id("EPOC"), cid: cidText },
      },
    });
    const ordered = await (await assistance.submit(order, relayer)).wait();
    row("issueOrder (FR → US, order fields, one target; no notification)", ordered.receipt.gasUsed);
    const answer = await assistance.signAnswer(usPlatform, {
      requestId: ordered.requestId,
      outcome: "Fulfilled",
      responseHash: ethers.id("order response"),
      responseCid: cidText,
    });
    row("answer (signed time, fulfilled)", (await (await assistance.submit(answer, relayer)).wait()).receipt.gasUsed);
    const toFr = await assistance.signIssue(deCourt, {
      addressee: 1,
      kind: "Preserve",
      caseRef: ethers.id("case de"),
      evidenceIds: [recordId],
      firstUpload: "DE",
      primaryDissemination: "DE",
      dataCategories: ["CONTENT"],
      legalBasisHash: ethers.id("legal basis"),
    });
    row(
      "issue (DE court → FR agency, the recognition agreement's windows found on chain)",
      (await (await assistance.submit(toFr, relayer)).wait()).receipt.gasUsed,
    );

    // Governance: a proposal and the vote that passes it (2 of 3 governors).
    const propose = await consortium.signPropose(frAgency, {
      kind: "SetParameter",
      name: "crossproof.assistance.responseWindow",
      value: 48 * 3600,
    });
    const proposed = await (await consortium.submit(propose, relayer)).wait();
    row("propose (governance, proposer's vote counted)", proposed.receipt.gasUsed);
    const { proposalId } = proposed;
    const voted = await (await consortium.submit(await consortium.signVote(deCourt, proposalId, true), relayer)).wait();
    if (!voted.executed) throw new Error("the vote did not execute the proposal");
    row("vote (reaches the quorum and executes)", voted.receipt.gasUsed, "eligible governors counted now");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
