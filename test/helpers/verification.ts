import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "./load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  ConsortiumClient,
  EvidenceCategory,
  EvidenceClient,
  buildManifest,
  cidFromBytes,
  caseReferenceHash,
  manifestHash,
  reportTime,
  type AgreementTermsInput,
  type AnchorEvidenceParameters,
  type AnchorReport,
  type CheckName,
  type CheckResult,
  type EvidenceManifest,
  type Hex,
  type PackageFileSource,
  type VerificationReport,
  type VerifierClients,
  verifyEvidence,
} from "../../sdk/src";
import * as gov from "./governance";
import { cidOf, evidenceFixture, type EvidenceFixture } from "./fixtures";

export const CATEGORY = EvidenceCategory.LIVE_STREAM_RECORDING;
export const CASE_SALT = `0x${"11".repeat(32)}`;
export const CASE_REF = caseReferenceHash("FR-2026-0042", CASE_SALT);

/** The SDK clients a verifier uses, over the fixture's contracts. */
export async function verifierClients(f: EvidenceFixture): Promise<VerifierClients> {
  return {
    evidence: await EvidenceClient.connect(await f.registry.getAddress(), f.deployer),
    consortium: await ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer),
  };
}

/** FR → DE recognition of live-stream recordings, custody required, concluded now; returns its id. */
export function concludeFrToDe(f: EvidenceFixture, terms: Partial<AgreementTermsInput> = {}): Promise<bigint> {
  return gov.concludeAgreement(f, f.frAgency, f.deCourt, {
    from: "FR",
    to: "DE",
    categories: [CATEGORY],
    minAssurance: ["COMPLETE_CUSTODY"],
    textHash: `0x${"33".repeat(32)}`,
    ...terms,
  });
}

/** Evidence files on disk and their manifest (collected `collectedAt`, FR, first upload US, disseminated in DE). */
export async function evidenceOnDisk(
  collectedAt: number,
  o: { note?: string; collecting?: string } = {},
): Promise<{ dir: string; files: PackageFileSource[]; manifest: EvidenceManifest; contentHash: Hex }> {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-verify-test-"));
  writeFileSync(path.join(dir, "capture.webm"), Buffer.alloc(70_000, 0x5a));
  writeFileSync(path.join(dir, "page.html"), `<html>infringing stream ${o.note ?? ""}</html>`);
  const files = [
    { path: "capture.webm", source: path.join(dir, "capture.webm") },
    { path: "page.html", source: path.join(dir, "page.html") },
  ];
  const manifest = await buildManifest({
    files,
    category: CATEGORY,
    acquisition: {
      tool: { name: "crossproof-capture", version: "0.1.0" },
      method: "screen-recording",
      collector: { name: "Officer Martin", organisation: "Agence FR (test)", memberId: 1 },
      collectedAt: reportTime(collectedAt),
      timeZone: "Europe/Paris",
      source: { url: "https://streams.example/live/42", platform: "Streamly" },
      jurisdiction: { collecting: o.collecting ?? "FR", firstUpload: "US", primaryDissemination: "DE" },
      ...(o.note === undefined ? {} : { notes: o.note }),
    },
  });
  return { dir, files, manifest, contentHash: await manifestHash(manifest) };
}

/** Anchors through the SDK (signed by `by`, relayed by the deployer); returns the record id. */
export async function anchorThroughSdk(
  f: EvidenceFixture,
  evidence: EvidenceClient,
  by: HardhatEthersSigner,
  p: Omit<AnchorEvidenceParameters, "packageCid" | "category" | "caseRef"> &
    Partial<Pick<AnchorEvidenceParameters, "packageCid" | "category" | "caseRef">>,
): Promise<Hex> {
  const signed = await evidence.signAnchorEvidence(by, {
    packageCid: cidFromBytes(cidOf("encrypted package")),
    category: CATEGORY,
    firstUpload: "US",
    primaryDissemination: "DE",
    caseRef: CASE_REF,
    ...p,
  });
  return (await (await evidence.anchorEvidence(signed, f.deployer)).wait()).recordId;
}

type CustodyStep = "Collected" | "Sealed" | "Transferred" | "Received";

/** Records custody events through the SDK, in order. */
export async function recordCustody(
  f: EvidenceFixture,
  evidence: EvidenceClient,
  recordId: Hex,
  steps: readonly [HardhatEthersSigner, CustodyStep, number?][],
): Promise<void> {
  for (const [who, eventType, counterparty] of steps) {
    const s = await evidence.signCustody(who, { recordId, eventType, counterparty: counterparty ?? 0 });
    await (await evidence.submit(s, f.deployer)).wait();
  }
}

/** Collected and Sealed by FR, transferred to the DE court, which acknowledges it. */
export const custodyToDeCourt = (f: EvidenceFixture): [HardhatEthersSigner, CustodyStep, number?][] => [
  [f.frAgency, "Collected"],
  [f.frAgency, "Sealed"],
  [f.frAgency, "Transferred", 2],
  [f.deCourt, "Received", 1],
];

/** A collection time ten minutes before the chain's clock. */
export async function recentCollection(): Promise<number> {
  return (await time.latest()) - 600;
}

/** The one check of that name (in the evidence checks or the given anchor's). */
export function check<C extends CheckName>(
  where: VerificationReport | AnchorReport,
  name: C,
): CheckResult<C> | undefined {
  return where.checks.find((c) => c.check === name) as CheckResult<C> | undefined;
}

/** `[check, result, subCode]` of every check, for whole-list assertions. */
export function results(where: VerificationReport | AnchorReport): [string, string, string | undefined][] {
  return where.checks.map((c) => [c.check, c.result, c.subCode]);
}

/**
 * The evidence flow on Hardhat's chain: FR and DE conclude a recognition agreement (live-stream recordings, custody
 * required); the FR agency builds the manifest of two files, anchors it, records its custody and transfers it to the
 * DE court, which acknowledges it. Variations change one thing each.
 */
export async function evidenceFlow(
  o: {
    agreement?: boolean;
    custody?: "complete" | "pending" | "none";
    anchor?: { firstUpload?: string; category?: number };
  } = {},
) {
  const f = await loadFixture(evidenceFixture);
  const clients = await verifierClients(f);
  const agreementId = o.agreement === false ? 0n : await concludeFrToDe(f);
  const collectedAt = await recentCollection();
  const disk = await evidenceOnDisk(collectedAt);
  const recordId = await anchorThroughSdk(f, clients.evidence, f.frAgency, {
    contentHash: disk.contentHash,
    collectedAt,
    ...o.anchor,
  });
  const custody = o.custody ?? "complete";
  if (custody !== "none") {
    await recordCustody(f, clients.evidence, recordId, custodyToDeCourt(f).slice(0, custody === "complete" ? 4 : 3));
  }
  const verify = (extra: Partial<Parameters<typeof verifyEvidence>[1]> = {}) =>
    verifyEvidence(clients, {
      evidence: { manifest: disk.manifest, files: disk.files },
      anchoredBy: 1,
      verifier: { memberId: 2 },
      ...extra,
    });
  return { f, clients, agreementId, collectedAt, disk, recordId, verify };
}
