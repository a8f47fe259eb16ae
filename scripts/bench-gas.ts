/**
 * Gas benchmark (`npm run bench:gas`): what each crossproof write costs on an EVM chain, measured on Hardhat's
 * in-process network (cancun), relayed by an account that is not the signer.
 *
 * Targets (issue 3): a signed, relayed anchorEvidence ≤ 100,000 gas; anchorBatch ≤ 60 gas per item at 1,000 items.
 */
import { ethers } from "hardhat";
import {
  AssistanceClient,
  CustodyEventType,
  assistanceRequestId,
  EvidenceBatch,
  contractDomain,
  consortiumConstructorArgs,
  loadConsortiumConfig,
  licenceId,
  signEvidenceRequest,
  signLicenceRequest,
  toJurisdiction,
  type Hex,
} from "../sdk/src";
import type { AssistanceDesk, Consortium, EvidenceRegistry, LicenseRegistry } from "../typechain-types";

const cid = (seed: string) => ("0x01551220" + ethers.sha256(ethers.toUtf8Bytes(seed)).slice(2)) as Hex;

async function main(): Promise<void> {
  const [relayer, frAgency, deCourt, usPlatform] = await ethers.getSigners();
  const config = loadConsortiumConfig("config/demo-consortium.json");
  const args = consortiumConstructorArgs(config);
  const consortium = (await ethers.deployContract("Consortium", [
    args.founders,
    args.quorumNumerator,
    args.quorumDenominator,
    args.votingPeriod,
  ])) as unknown as Consortium;
  const registry = (await ethers.deployContract("EvidenceRegistry", [
    await consortium.getAddress(),
  ])) as unknown as EvidenceRegistry;
  const domain = contractDomain(
    "EvidenceRegistry",
    (await ethers.provider.getNetwork()).chainId,
    await registry.getAddress(),
  );
  const rows = {
    push([op, gas, note]: [string, bigint, string]) {
      console.log(`| ${op} | ${gas.toLocaleString("en-US")} | ${note} |`);
    },
  };
  console.log("| operation | gas | note |\n| --- | ---: | --- |");
  const now = async () => (await ethers.provider.getBlock("latest"))!.timestamp;

  // Single anchor (measured on the second one, so no first-write-to-contract effects are counted).
  let anchorGas = 0n;
  for (let i = 0; i < 3; ++i) {
    const t = await now();
    const s = await signEvidenceRequest(frAgency!, domain, "AnchorEvidence", {
      contentHash: ethers.sha256(ethers.toUtf8Bytes(`package ${i}`)) as Hex,
      packageCid: cid(`encrypted ${i}`),
      category: 1,
      jurisdiction: toJurisdiction("FR"),
      caseRef: ethers.id(`case ${i}`) as Hex,
      collectedAt: t - 3600,
      supersedes: ethers.ZeroHash as Hex,
      deadline: t + 3600,
    });
    const r = await (await registry.connect(relayer).anchorEvidence(s.request, s.signature)).wait();
    anchorGas = r!.gasUsed;
  }
  rows.push([
    "anchorEvidence (signed, relayed)",
    anchorGas,
    anchorGas <= 100_000n ? "target ≤ 100,000: met" : "target ≤ 100,000: MISSED",
  ]);

  for (const n of [1, 100, 1000, 10_000]) {
    const batch = EvidenceBatch.build(Array.from({ length: n }, (_, i) => ethers.id(`record ${n} ${i}`)));
    const t = await now();
    const s = await signEvidenceRequest(usPlatform!, domain, "AnchorBatch", {
      root: batch.root,
      count: batch.count,
      manifestCid: cid(`manifest ${n}`),
      category: 4,
      jurisdiction: toJurisdiction("US"),
      deadline: t + 3600,
    });
    const r = await (await registry.connect(relayer).anchorBatch(s.request, s.signature)).wait();
    const perItem = Number(r!.gasUsed) / n;
    const note =
      n === 1000
        ? `${perItem.toFixed(1)} gas/item; target ≤ 60: ${perItem <= 60 ? "met" : "MISSED"}`
        : `${perItem.toFixed(1)} gas/item`;
    rows.push([`anchorBatch (${n} items)`, r!.gasUsed, note]);
    if (n === 1000) {
      const leaf = ethers.id(`record ${n} 500`);
      const proofGas = await registry.verifyInclusion.estimateGas(batch.root, leaf, batch.proof(leaf));
      rows.push([
        "verifyInclusion (1,000-item batch, eth_call)",
        proofGas,
        `proof of ${batch.proof(leaf).length} hashes`,
      ]);
    }
  }

  const id = ethers.sha256(ethers.toUtf8Bytes("package 0")) as Hex;
  const custody = async (by: typeof frAgency, type: number, counterparty: number, label: string) => {
    const t = await now();
    const s = await signEvidenceRequest(by!, domain, "RecordCustody", {
      evidenceId: id,
      eventType: type,
      counterparty,
      occurredAt: t,
      detailsHash: ethers.id(label) as Hex,
      nonce: await registry.nonces(by!.address),
      deadline: t + 3600,
    });
    const r = await (await registry.connect(relayer).recordCustody(s.request, s.signature)).wait();
    rows.push([`recordCustody ${label}`, r!.gasUsed, ""]);
  };
  await custody(frAgency, CustodyEventType.Collected, 0, "(first event)");
  await custody(frAgency, CustodyEventType.Sealed, 0, "(next event)");
  await custody(frAgency, CustodyEventType.Transferred, 2, "(transfer)");
  await custody(deCourt, CustodyEventType.Received, 1, "(receipt)");

  const t = await now();
  const e = await signEvidenceRequest(deCourt!, domain, "Endorse", {
    evidenceId: id,
    verdict: 1,
    reportHash: ethers.id("report") as Hex,
    nonce: await registry.nonces(deCourt!.address),
    deadline: t + 3600,
  });
  const er = await (await registry.connect(relayer).endorse(e.request, e.signature)).wait();
  rows.push(["endorse", er!.gasUsed, ""]);

  // Licensing: a chain of 8 licences (the maximum depth), each granted by the previous licensee.
  const licences = (await ethers.deployContract("LicenseRegistry", [
    await consortium.getAddress(),
  ])) as unknown as LicenseRegistry;
  const lDomain = contractDomain(
    "LicenseRegistry",
    (await ethers.provider.getNetwork()).chainId,
    await licences.getAddress(),
  );
  const accounts = (await ethers.getSigners()).slice(8, 17);
  const work = ethers.id("bench work") as Hex;
  const reg = await signLicenceRequest(accounts[0]!, lDomain, "RegisterWork", {
    contentHash: work,
    fingerprintHash: ethers.ZeroHash as Hex,
    rightsHolder: accounts[0]!.address,
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cid("work metadata"),
    deadline: (await now()) + 3600,
  });
  const regR = await (await licences.connect(relayer).registerWork(reg.request, reg.signature)).wait();
  rows.push(["registerWork (signed by the rights holder, relayed)", regR!.gasUsed, ""]);
  const t0 = await now();
  let parent = ethers.ZeroHash as Hex;
  const ids: Hex[] = [];
  for (let depth = 1; depth <= 8; ++depth) {
    const request = {
      workId: work,
      parentId: parent,
      licensor: accounts[depth - 1]!.address,
      licensee: accounts[depth]!.address,
      rights: 0b111,
      grantType: 0,
      sublicensable: true,
      start: t0,
      end: t0 + 365 * 24 * 3600,
      worldwide: false,
      territories: ["FR", "DE", "ES", "IT"].map(toJurisdiction),
      agreementHash: ethers.ZeroHash as Hex,
      salt: ethers.id(`salt ${depth}`) as Hex,
      deadline: t0 + 3600,
    };
    const g = await signLicenceRequest(accounts[depth - 1]!, lDomain, "GrantLicence", request);
    const r = await (await licences.connect(relayer).grantLicence(g.request, g.signature)).wait();
    parent = licenceId(work, parent, request.licensor, request.licensee, request.salt);
    ids.push(parent);
    if (depth === 1 || depth === 4 || depth === 8) {
      rows.push([
        `grantLicence at depth ${depth} (4 territories)`,
        r!.gasUsed,
        depth === 1 ? "root licence" : "sublicence",
      ]);
    }
  }
  for (const depth of [1, 4, 8]) {
    const gas = await licences.verifyAuthorization.estimateGas(ids[depth - 1]!, 2, toJurisdiction("DE"), t0 + 10);
    rows.push([`verifyAuthorization at depth ${depth} (eth_call)`, gas, "includes the 21,000 call base"]);
  }

  // Assistance: FR agency (member 1) asks the US platform (member 3 in the demo consortium).
  const desk = (await ethers.deployContract("AssistanceDesk", [
    await consortium.getAddress(),
  ])) as unknown as AssistanceDesk;
  const assistance = await AssistanceClient.connect(await desk.getAddress(), relayer!);
  const issued = await assistance.signIssue(frAgency!, {
    addressee: 3,
    kind: "Produce",
    caseRef: ethers.id("case") as Hex,
    evidenceIds: [id],
    firstUpload: "US",
    primaryDissemination: "FR",
    dataCategories: ["SUBSCRIBER", "DISSEMINATION_RECORDS"],
    legalBasisHash: ethers.id("legal basis") as Hex,
  });
  const issueR = await (await assistance.submit(issued, relayer!)).wait();
  rows.push(["issue (assistance request, one evidence reference)", issueR.receipt.gasUsed, ""]);
  const requestId = assistanceRequestId(1, 3, issued.request.salt);
  const ackR = await (
    await assistance.submit(await assistance.signAcknowledge(usPlatform!, { requestId }), relayer!)
  ).wait();
  rows.push(["acknowledge", ackR.receipt.gasUsed, ""]);
  const resp = await assistance.signRespond(usPlatform!, {
    requestId,
    outcome: "Fulfilled",
    responseHash: ethers.id("response") as Hex,
    responseCid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
  });
  const respR = await (await assistance.submit(resp, relayer!)).wait();
  rows.push(["respond (fulfilled)", respR.receipt.gasUsed, ""]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
