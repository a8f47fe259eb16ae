import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ContractRunner, Provider } from "ethers";
import { cidToBytes } from "./cid";
import { ConsortiumClient } from "./consortium-client";
import { Assurance, MemberStatus } from "./constants";
import type { CustodyEvent, CustodyVerification } from "./evidence";
import type { Hex } from "./eip712";
import { CustodyEventType, Verdict } from "./evidence";
import { CrossproofError } from "./errors";
import { EvidenceClient } from "./evidence-client";
import { recipientDetailsHash, type EvidenceBatchRecord, type EvidenceRecord } from "./evidence";
import { sha256OfFile } from "./hash";
import { fromJurisdiction, toJurisdiction } from "./jurisdiction";
import { type RightName } from "./licensing";
import { LicenceClient } from "./licensing-client";
import { manifestHash, parseManifest, type EvidenceManifest, type EvidenceManifestInput } from "./manifest";
import { verifyBatchInclusion } from "./merkle";
import { openPackage, readPackageHeader, type RecipientPrivateKey } from "./package";
import {
  REPORT_FORMAT,
  anchorIndication,
  overallIndication,
  reportTime,
  type AnchorReport,
  type ChainReference,
  type CheckName,
  type CheckResult,
  type Indication,
  type PackageCidReport,
  type SubCode,
  type TimePolicy,
  type VerificationReport,
} from "./report";
import type { ContentStore } from "./store";

// ------------------------------------------------------------------------------------------------------------------
// Parameters
// ------------------------------------------------------------------------------------------------------------------

/** A file the verifier holds: where it is on disk, and its path in the manifest (absent: found by its hash). */
export interface VerifyFileInput {
  source: string;
  path?: string;
}

/**
 * What the verifier has, from most to least:
 * - an evidence **package** — its CID in a content store, or a folder holding a copy of it (`envelope.jwe.json`,
 *   `files/…`) — and a recipient key to open it: the manifest and every file are checked;
 * - a **manifest** (the object, or its bytes) and some or all of its **files**: the manifest is hashed and each file
 *   given is checked against it. A single loose file is verified through the manifest that lists it — the chain
 *   holds manifest hashes, not file hashes — so give the manifest with that one file; the files not given are
 *   listed as not checked;
 * - only a **content hash**: the anchor, custody and recognition are checked, the manifest and the files cannot be,
 *   so the report is at best INDETERMINATE, never TOTAL-PASSED.
 */
export type EvidenceInput =
  | {
      package: { cid: string; store: ContentStore } | { folder: string };
      recipientKey: RecipientPrivateKey;
      /** Where the opened files go (default: a temporary folder, removed afterwards). */
      outputDir?: string;
    }
  | {
      manifest: EvidenceManifestInput | Uint8Array | string;
      files?: readonly VerifyFileInput[];
      /** The content hash the verifier was told; the manifest must hash to it. */
      contentHash?: string;
    }
  | { contentHash: string };

/** Parameters of {@link verifyEvidence}. */
export interface VerifyEvidenceParameters {
  evidence: EvidenceInput;
  /** The member that anchored it. Absent: every anchor of the content hash (`EvidenceClient.recordsOf`). */
  anchoredBy?: bigint | number;
  /** A Merkle batch the content hash is in, and its inclusion proof (the leaf is the content hash). */
  batch?: { batchId: string; proof: readonly string[] };
  /**
   * Who verifies: the issuing member (its jurisdiction is read from the Consortium), or only a jurisdiction (a
   * report without an issuer cannot be signed).
   */
  verifier: { memberId: bigint | number; jurisdiction?: string } | { jurisdiction: string };
  /** When the recognition agreement must have been in force (default `at-anchoring`, the rule `endorse` applies). */
  timePolicy?: TimePolicy;
  /** Blocks (the anchor's included) an anchor needs to count as final (default 1: QBFT blocks are final). */
  confirmations?: number;
  /** A licence question answered with `LicenceClient.explainAuthorization` (needs `clients.licenses`). */
  license?: { licenseId: string; right: RightName; territory: string; at: Date | number };
}

/** The chain clients the verifier reads through. */
export interface VerifierClients {
  evidence: EvidenceClient;
  consortium: ConsortiumClient;
  licenses?: LicenceClient;
  /**
   * The EvidenceRegistries the consortium used before the current one (the deployment record's `previous`, newest
   * first): a record anchored there is read, and checked, where it was anchored.
   */
  earlierEvidence?: readonly EvidenceClient[];
}

// ------------------------------------------------------------------------------------------------------------------
// The rule computed off chain: minimum assurance
// ------------------------------------------------------------------------------------------------------------------

/** The facts a recognition agreement's minimum-assurance flags are evaluated on. */
export interface AssuranceFacts {
  /** A single anchor, or only a Merkle batch inclusion. */
  provenBy: "record" | "batch";
  /** From `custodyOf`: custody events recorded (0 for a batch: custody is recorded per record). */
  custodyCount: number;
  /** From `custodyOf`: the member a transfer waits on (0 = none). */
  pendingRecipient: bigint;
  anchoredAt: number;
  /** The claimed collection time (on chain for records; from the manifest for a batch; absent = unknown). */
  collectedAt: number | undefined;
}

/** One flag's evaluation. `met` undefined: the facts needed are unknown. */
export interface AssuranceEvaluation {
  flag: keyof typeof Assurance;
  met: boolean | undefined;
  reason: string;
}

/**
 * Evaluates an agreement's minimum-assurance flags — the one rule the verifier computes off chain, stated here once
 * and tested against `EvidenceRegistry.endorse` (which evaluates COMPLETE_CUSTODY and TIMELY_ANCHOR on chain for
 * single anchors, with the same formulas):
 * - COMPLETE_CUSTODY: custody recorded (`custodyOf.count > 0`; its first event is always Collected or Acquired) and
 *   no transfer waiting for its receipt (`pendingRecipient == 0`). A batch has no custody: not met;
 * - TIMELY_ANCHOR: `anchoredAt - collectedAt <= anchorWindow`;
 * - BATCH_PROOF_ALLOWED: a record proven only by inclusion in a Merkle batch is acceptable only under an agreement
 *   that carries this flag. Evaluated for batch anchors, whatever the flags (a single anchor does not need it).
 */
export function evaluateAssurance(
  minAssurance: number,
  anchorWindow: number,
  facts: AssuranceFacts,
): AssuranceEvaluation[] {
  const out: AssuranceEvaluation[] = [];
  if ((minAssurance & Assurance.COMPLETE_CUSTODY) !== 0) {
    const met = facts.provenBy === "record" && facts.custodyCount > 0 && facts.pendingRecipient === 0n;
    out.push({
      flag: "COMPLETE_CUSTODY",
      met,
      reason:
        facts.provenBy === "batch"
          ? "a batch has no chain of custody"
          : facts.custodyCount === 0
            ? "no custody is recorded"
            : facts.pendingRecipient !== 0n
              ? "a transfer waits for its receipt"
              : "custody recorded and every transfer acknowledged",
    });
  }
  if ((minAssurance & Assurance.TIMELY_ANCHOR) !== 0) {
    const delay = facts.collectedAt === undefined ? undefined : facts.anchoredAt - facts.collectedAt;
    out.push({
      flag: "TIMELY_ANCHOR",
      met: delay === undefined ? undefined : delay <= anchorWindow,
      reason:
        delay === undefined
          ? "the collection time is unknown"
          : `anchored ${delay} s after the claimed collection; the agreement allows ${anchorWindow} s`,
    });
  }
  if (facts.provenBy === "batch") {
    const allowed = (minAssurance & Assurance.BATCH_PROOF_ALLOWED) !== 0;
    out.push({
      flag: "BATCH_PROOF_ALLOWED",
      met: allowed,
      reason: allowed
        ? "the agreement accepts a record proven by batch inclusion"
        : "the agreement does not accept a record proven only by batch inclusion",
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------------
// Steps
// ------------------------------------------------------------------------------------------------------------------

/** What a step concludes (the check name is the step's). */
type Outcome<C extends CheckName> = Omit<CheckResult<C>, "check">;

/** A named step: it reads what earlier steps found and returns its result, or undefined when it does not apply. */
interface Step<C extends CheckName, S> {
  check: C;
  run(state: S): Promise<Outcome<C> | undefined>;
}
const step = <C extends CheckName, S>(check: C, run: Step<C, S>["run"]): Step<C, S> => ({ check, run });

async function runSteps<S>(steps: readonly Step<CheckName, S>[], state: S): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const s of steps) {
    const outcome = await s.run(state);
    if (outcome !== undefined) results.push({ check: s.check, ...outcome } as CheckResult);
  }
  return results;
}

const passed = <C extends CheckName>(summary: string, refs: ChainReference[] = [], details?: object): Outcome<C> => ({
  result: "PASSED",
  summary,
  refs,
  ...(details === undefined ? {} : { details: details as Record<string, unknown> }),
});
const failed = <C extends CheckName>(
  subCode: SubCode<C>,
  summary: string,
  refs: ChainReference[] = [],
  details?: object,
): Outcome<C> => ({
  result: "FAILED",
  subCode,
  summary,
  refs,
  ...(details === undefined ? {} : { details: details as Record<string, unknown> }),
});
const indeterminate = <C extends CheckName>(
  subCode: SubCode<C>,
  summary: string,
  refs: ChainReference[] = [],
  details?: object,
): Outcome<C> => ({ ...failed(subCode, summary, refs, details), result: "INDETERMINATE" });

/** Facts shared by every step of one verification. */
interface Context {
  clients: VerifierClients;
  chainId: string;
  block: { number: number; hash: Hex; timestamp: number };
  confirmations: number;
  timePolicy: TimePolicy;
  /** The verifying jurisdiction. */
  jurisdiction: string;
  addresses: { EvidenceRegistry: string; Consortium: string; RecognitionAgreements: string; LicenseRegistry?: string };
}

const ref = (ctx: Context, contract: ChainReference["contract"], extra: Partial<ChainReference> = {}) =>
  ({ chainId: ctx.chainId, contract, address: ctx.addresses[contract]!, ...extra }) as ChainReference;

/** Strips `undefined` and turns bigints into decimal strings: `details` are JSON. */
function json(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

// --- The evidence itself -------------------------------------------------------------------------------------------

interface EvidenceState {
  ctx: Context;
  input: EvidenceInput;
  p: VerifyEvidenceParameters;
  /** The content hash anchors are looked up by (undefined: none could be established). */
  contentHash?: Hex;
  /** The manifest, when it was read and hashes to `contentHash`. */
  manifest?: EvidenceManifest;
  packageCid?: string;
  files?: { path: string; size: number; sha256: string; checked: boolean }[];
  /** FILE_HASHES concluded while the package was opened. */
  filesOutcome?: Outcome<"FILE_HASHES">;
  anchors: Anchor[];
}

/** A read-only content store over a folder holding a copy of a package (`envelope.jwe.json`, `files/…`). */
function folderStore(folder: string): ContentStore {
  const file = (cidPath: string) => {
    const rest = cidPath.split("/").slice(1).join("/");
    if (rest === "" || rest.split("/").some((s) => s === ".." || s === ".")) {
      throw new CrossproofError("INVALID_ARGUMENT", `not a path inside the package: ${cidPath}`);
    }
    return path.join(folder, rest);
  };
  const missing = (cidPath: string, cause: unknown) =>
    new CrossproofError("CONTENT_NOT_FOUND", `${file(cidPath)} is not in the package folder`, { cause });
  const refuse = () => Promise.reject(new CrossproofError("INVALID_ARGUMENT", "a package folder is read-only"));
  return {
    kind: "embedded",
    put: refuse,
    putDirectory: refuse,
    linkDirectory: refuse,
    deleteBlocks: refuse,
    resolve: () => Promise.reject(new CrossproofError("INVALID_ARGUMENT", "a package folder has no CIDs")),
    blocksOf: () => Promise.reject(new CrossproofError("INVALID_ARGUMENT", "a package folder has no CIDs")),
    async *get(cidPath) {
      try {
        statSync(file(cidPath));
      } catch (cause) {
        throw missing(cidPath, cause);
      }
      yield* createReadStream(file(cidPath), { highWaterMark: 1 << 20 });
    },
    async getBytes(cidPath, maxBytes = 64 * 1024 * 1024) {
      let bytes: Uint8Array;
      try {
        if (statSync(file(cidPath)).size > maxBytes) {
          throw new CrossproofError("CONTENT_STORE_ERROR", `${cidPath} is larger than ${maxBytes} bytes`);
        }
        bytes = readFileSync(file(cidPath));
      } catch (cause) {
        if (cause instanceof CrossproofError) throw cause;
        throw missing(cidPath, cause);
      }
      return bytes;
    },
    has: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}

/**
 * Opens the package with the verifier's key (`openPackage` checks the manifest against the hash in the envelope
 * and every file against the manifest, in constant memory) and concludes MANIFEST_HASH and FILE_HASHES.
 */
async function openForVerification(
  s: EvidenceState,
  input: Extract<EvidenceInput, { package: unknown }>,
): Promise<Outcome<"MANIFEST_HASH">> {
  const { store, cid } =
    "folder" in input.package
      ? { store: folderStore(input.package.folder), cid: "package-folder" }
      : { store: input.package.store, cid: input.package.cid };
  if (!("folder" in input.package)) s.packageCid = cid;
  let header: Awaited<ReturnType<typeof readPackageHeader>>;
  try {
    header = await readPackageHeader(store, cid);
  } catch (err) {
    if (!(err instanceof CrossproofError) || err.code !== "DECRYPTION_FAILED") throw err;
    s.filesOutcome = indeterminate("NO_MANIFEST", "The package could not be read: no file was checked.");
    return indeterminate(
      "PACKAGE_NOT_OPENED",
      "The package has no readable crossproof envelope: neither its manifest nor its content hash could be read.",
      [],
      { message: err.message },
    );
  }
  s.contentHash = header.contentHash.toLowerCase() as Hex;
  const temporary = input.outputDir === undefined;
  const outputDir = input.outputDir ?? mkdtempSync(path.join(tmpdir(), "crossproof-verify-"));
  try {
    const opened = await openPackage({ cid, store, recipientKey: input.recipientKey, outputDir });
    s.manifest = opened.manifest;
    s.files = opened.manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, checked: true }));
    s.filesOutcome = passed(
      `All ${plural(opened.files.length, "file")} of the package decrypted and match the size and SHA-256 the ` +
        "manifest lists.",
      [],
      { checked: opened.files.map((f) => f.path), notProvided: [] },
    );
    return passed(`The manifest in the package hashes to ${s.contentHash}, the hash the package states.`);
  } catch (err) {
    if (!(err instanceof CrossproofError)) throw err;
    switch (err.code) {
      case "NOT_A_RECIPIENT":
        s.filesOutcome = indeterminate("NO_MANIFEST", "The package could not be opened: no file was checked.");
        return indeterminate(
          "PACKAGE_NOT_OPENED",
          "The verifier's key is not a recipient of the package: the manifest could not be read. The content " +
            "hash used is the one the package states.",
          [],
          { recipients: header.recipients },
        );
      case "MANIFEST_HASH_MISMATCH":
        s.filesOutcome = indeterminate("NO_MANIFEST", "The manifest does not match the package: no file was checked.");
        return failed("MANIFEST_HASH_MISMATCH", `The package's manifest does not hash to ${s.contentHash}.`, [], {
          message: err.message,
        });
      case "INVALID_MANIFEST":
        s.filesOutcome = indeterminate("NO_MANIFEST", "The manifest is invalid: no file was checked.");
        return failed("MANIFEST_INVALID", "The package's manifest is not a valid evidence manifest.", [], {
          message: err.message,
        });
      case "FILE_HASH_MISMATCH":
        s.filesOutcome = failed(
          "FILE_HASH_MISMATCH",
          "A file of the package does not match the size and SHA-256 the manifest lists.",
          [],
          { ...(err.details ?? {}) },
        );
        return passed(`The manifest in the package hashes to ${s.contentHash}, the hash the package states.`);
      case "DECRYPTION_FAILED":
        // `openPackage` names the envelope in its message when the envelope (hence the manifest) cannot be read;
        // any other decryption failure is a file stream failing authentication: altered, truncated or reordered.
        if (/envelope/.test(err.message)) {
          s.filesOutcome = indeterminate("NO_MANIFEST", "The package could not be opened: no file was checked.");
          return indeterminate(
            "PACKAGE_NOT_OPENED",
            "The package envelope could not be decrypted with the verifier's key (wrong key, or the envelope " +
              "was altered): the manifest could not be read.",
            [],
            { message: err.message },
          );
        }
        s.filesOutcome = failed(
          "FILE_TAMPERED",
          "An encrypted file of the package fails authentication: it was altered, truncated or reordered.",
          [],
          { message: err.message },
        );
        return passed(`The manifest in the package hashes to ${s.contentHash}, the hash the package states.`);
      default:
        throw err;
    }
  } finally {
    if (temporary) rmSync(outputDir, { recursive: true, force: true });
  }
}

function manifestFromInput(value: EvidenceManifestInput | Uint8Array | string): EvidenceManifest {
  let parsed: unknown = value;
  if (typeof value === "string" || value instanceof Uint8Array) {
    try {
      parsed = JSON.parse(typeof value === "string" ? value : new TextDecoder("utf-8", { fatal: true }).decode(value));
    } catch (cause) {
      throw new CrossproofError("INVALID_MANIFEST", "the manifest is not UTF-8 JSON", { cause });
    }
  }
  return parseManifest(parsed);
}

const EVIDENCE_STEPS = [
  step("MANIFEST_HASH", async (s: EvidenceState) => {
    const input = s.input;
    if ("package" in input) return openForVerification(s, input);
    const given = "contentHash" in input && input.contentHash !== undefined ? bytes32(input.contentHash) : undefined;
    s.contentHash = given;
    if (!("manifest" in input)) {
      return indeterminate(
        "NO_MANIFEST",
        "Only the content hash was given: the manifest and the files could not be checked.",
      );
    }
    let manifest: EvidenceManifest;
    let hash: Hex;
    try {
      manifest = manifestFromInput(input.manifest);
      hash = await manifestHash(manifest);
    } catch (err) {
      if (!(err instanceof CrossproofError) || err.code !== "INVALID_MANIFEST") throw err;
      return failed("MANIFEST_INVALID", "The manifest is not a valid evidence manifest.", [], { message: err.message });
    }
    if (given !== undefined && given !== hash) {
      return failed(
        "MANIFEST_HASH_MISMATCH",
        `The manifest hashes to ${hash}, not to the content hash given (${given}).`,
        [],
        { manifestHash: hash, contentHash: given },
      );
    }
    s.contentHash = hash;
    s.manifest = manifest;
    return passed(`The manifest hashes to ${hash} (SHA-256 of its RFC 8785 canonical form).`);
  }),

  step("FILE_HASHES", async (s: EvidenceState) => {
    if (s.filesOutcome !== undefined) return s.filesOutcome;
    const input = s.input;
    if (!("manifest" in input)) {
      return indeterminate("NO_FILES", "Only the content hash was given: no file could be checked.");
    }
    const manifest = s.manifest;
    if (manifest === undefined) {
      return indeterminate("NO_MANIFEST", "Without a valid manifest matching the content hash, no file was checked.");
    }
    const given = input.files ?? [];
    s.files = manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, checked: false }));
    if (given.length === 0) return indeterminate("NO_FILES", "No file was given: only the manifest was checked.");
    const checked: string[] = [];
    for (const f of given) {
      let actual: { sha256: string; size: number };
      try {
        actual = await sha256OfFile(f.source);
      } catch (err) {
        if (!(err instanceof CrossproofError)) throw err;
        return failed("FILE_UNREADABLE", `A file given cannot be read (${path.basename(f.source)}).`, [], {
          file: path.basename(f.source),
        });
      }
      const entry =
        f.path !== undefined
          ? manifest.files.find((e) => e.path === f.path!.normalize("NFC"))
          : manifest.files.find((e) => e.sha256 === actual.sha256 && e.size === actual.size);
      if (entry === undefined) {
        return failed(
          "FILE_NOT_IN_MANIFEST",
          f.path !== undefined
            ? `The manifest lists no file "${f.path}".`
            : "A file given matches no file the manifest lists: it is not part of this evidence, or it was altered.",
          [],
          { file: path.basename(f.source), ...(f.path === undefined ? {} : { path: f.path }), sha256: actual.sha256 },
        );
      }
      if (entry.sha256 !== actual.sha256 || entry.size !== actual.size) {
        return failed(
          "FILE_HASH_MISMATCH",
          `"${entry.path}" does not match the manifest: ${actual.size} bytes with SHA-256 ${actual.sha256}, the ` +
            `manifest lists ${entry.size} bytes with SHA-256 ${entry.sha256}.`,
          [],
          { path: entry.path, expected: { size: entry.size, sha256: entry.sha256 }, actual },
        );
      }
      checked.push(entry.path);
      s.files.find((x) => x.path === entry.path)!.checked = true;
    }
    const notProvided = s.files.filter((f) => !f.checked).map((f) => f.path);
    return passed(
      notProvided.length === 0
        ? `All ${plural(checked.length, "file")} the manifest lists were given and match their size and SHA-256.`
        : `${checked.length} of the ${plural(s.files.length, "file")} the manifest lists ${checked.length === 1 ? "was" : "were"} ` +
            "given and match their size and SHA-256; the others were not checked.",
      [],
      { checked, notProvided },
    );
  }),

  step("ANCHOR_FOUND", async (s: EvidenceState) => {
    const { ctx, p } = s;
    if (s.contentHash === undefined) {
      return indeterminate("NO_CONTENT_HASH", "No content hash could be established: no anchor was looked up.");
    }
    // Every registry the consortium has used, the current one first: each record is read where it was anchored.
    const registries = [ctx.clients.evidence, ...(ctx.clients.earlierEvidence ?? [])];
    const contentHash = s.contentHash;
    s.anchors = [];
    for (const evidence of registries) {
      const records =
        p.anchoredBy === undefined
          ? await evidence.recordsOf(contentHash)
          : [await evidence.getEvidenceOf(p.anchoredBy, contentHash)].filter(
              (r): r is EvidenceRecord => r !== undefined,
            );
      const registryAddress = await evidence.registry.getAddress();
      s.anchors.push(...records.map((r) => ({ ...recordAnchor(r), source: evidence, registryAddress })));
    }
    let batchNote = "";
    if (p.batch !== undefined) {
      let found: { batch: EvidenceBatchRecord; evidence: EvidenceClient } | undefined;
      for (const evidence of registries) {
        const batch = await evidence.getBatch(p.batch.batchId);
        if (batch !== undefined) {
          found = { batch, evidence };
          break;
        }
      }
      if (found === undefined) batchNote = ` No batch ${p.batch.batchId.toLowerCase()} is anchored.`;
      else if (p.anchoredBy !== undefined && found.batch.memberId !== BigInt(p.anchoredBy)) {
        batchNote = " The batch given was anchored by another member than the one named.";
      } else {
        s.anchors.push({
          ...batchAnchor(found.batch, p.batch.proof, s.manifest),
          source: found.evidence,
          registryAddress: await found.evidence.registry.getAddress(),
        });
      }
    }
    const refs = s.anchors.map((a) =>
      ref(ctx, "EvidenceRegistry", {
        address: a.registryAddress,
        transactionHash: a.transactionHash as Hex,
        blockNumber: a.blockNumber,
        ...(a.kind === "record" ? { recordId: a.id } : { batchId: a.id }),
      }),
    );
    if (s.anchors.length === 0) {
      return failed(
        "NOT_ANCHORED",
        `${s.contentHash} is not anchored${p.anchoredBy === undefined ? "" : " by the member named"}.${batchNote}`,
        [],
        { contentHash: s.contentHash },
      );
    }
    const where = [...new Set(s.anchors.map((a) => a.jurisdiction))].join(", ");
    return passed(
      `${s.contentHash} is anchored ${plural(s.anchors.length, "time")} (collected in ${where}).${batchNote}`,
      refs,
    );
  }),
];

const LICENSE_STEP = step("LICENSE_AUTHORIZATION", async (s: EvidenceState) => {
  const q = s.p.license;
  if (q === undefined) return undefined;
  const licenses = s.ctx.clients.licenses!;
  const e = await licenses.explainAuthorization(q.licenseId, q.right, q.territory, q.at);
  const refs = [ref(s.ctx, "LicenseRegistry", { licenseId: q.licenseId.toLowerCase() as Hex })];
  const details = json({
    right: e.right,
    territory: e.territory,
    at: reportTime(e.atTime),
    reason: e.reason,
    failedAt: e.failedAt,
    chain: e.chain.map((l) => ({
      licenseId: l.licence.licenceId,
      valid: l.valid,
      reason: l.reason,
      explanation: l.explanation,
    })),
  }) as object;
  return e.reason === "OK"
    ? passed(e.summary, refs, details)
    : failed(e.reason as SubCode<"LICENSE_AUTHORIZATION">, e.summary, refs, details);
});

// --- Each anchor ---------------------------------------------------------------------------------------------------

interface Anchor {
  /** The EvidenceRegistry the anchor is in (the current one, or an earlier one of the consortium). */
  source: EvidenceClient;
  registryAddress: string;
  kind: "record" | "batch";
  id: Hex;
  memberId: bigint;
  signer: string;
  jurisdiction: string;
  category: number;
  anchoredAt: number;
  /** Claimed collection time: on chain for a record; from the manifest for a batch (undefined: unknown). */
  collectedAt: number | undefined;
  transactionHash: string;
  blockNumber: number;
  record?: EvidenceRecord;
  batch?: EvidenceBatchRecord;
  proof?: readonly string[];
}

function recordAnchor(r: EvidenceRecord): Omit<Anchor, "source" | "registryAddress"> {
  return {
    kind: "record",
    id: r.recordId,
    memberId: r.memberId,
    signer: r.signer,
    jurisdiction: r.jurisdiction,
    category: r.category,
    anchoredAt: r.anchoredAt,
    collectedAt: r.collectedAt,
    transactionHash: r.transactionHash,
    blockNumber: r.blockNumber,
    record: r,
  };
}

function batchAnchor(
  b: EvidenceBatchRecord,
  proof: readonly string[],
  manifest?: EvidenceManifest,
): Omit<Anchor, "source" | "registryAddress"> {
  return {
    kind: "batch",
    id: b.batchId,
    memberId: b.memberId,
    signer: b.signer,
    jurisdiction: b.jurisdiction,
    category: b.category,
    anchoredAt: b.anchoredAt,
    collectedAt: manifest === undefined ? undefined : manifestCollectedAt(manifest),
    transactionHash: b.transactionHash,
    blockNumber: b.blockNumber,
    batch: b,
    proof,
  };
}

/** The manifest's collection time in unix seconds (the anchor's `collectedAt` is whole seconds). */
const manifestCollectedAt = (m: EvidenceManifest) => Math.floor(Date.parse(m.acquisition.collectedAt) / 1000);

interface AnchorState {
  ctx: Context;
  evidence: EvidenceState;
  anchor: Anchor;
  custody?: { count: number; pendingRecipient: bigint };
  /** The record's custody events, as CUSTODY read them. */
  custodyEvents?: CustodyEvent[];
  agreement?: { id: bigint; minAssurance: number; anchorWindow: number; refs: ChainReference[] };
  /** RECOGNITION passed without an agreement: the evidence is the verifier's own jurisdiction's. */
  domestic?: boolean;
}

const anchorRef = (s: AnchorState, extra: Partial<ChainReference> = {}) =>
  ref(s.ctx, "EvidenceRegistry", {
    address: s.anchor.registryAddress,
    ...(s.anchor.kind === "record" ? { recordId: s.anchor.id } : { batchId: s.anchor.id }),
    ...extra,
  });

const POLICY_WORDS: Record<TimePolicy, string> = {
  "at-anchoring": "at the anchoring, and not suspended now",
  "at-collection": "at the claimed collection",
  now: "now",
};

const ANCHOR_STEPS = [
  step("ANCHOR_FINAL", async (s: AnchorState) => {
    const { anchor, ctx } = s;
    const confirmations = ctx.block.number - anchor.blockNumber + 1;
    const refs = [anchorRef(s, { transactionHash: anchor.transactionHash as Hex, blockNumber: anchor.blockNumber })];
    const details = { blockNumber: anchor.blockNumber, confirmations, required: ctx.confirmations };
    return confirmations >= ctx.confirmations
      ? passed(`Anchored in block ${anchor.blockNumber} at ${reportTime(anchor.anchoredAt)}, final.`, refs, details)
      : indeterminate(
          "AWAITING_CONFIRMATIONS",
          `Anchored in block ${anchor.blockNumber}: ${confirmations} of the ${ctx.confirmations} confirmations ` +
            "required. Verify again later.",
          refs,
          details,
        );
  }),

  step("ANCHOR_STATUS", async (s: AnchorState) => {
    const { anchor } = s;
    const registry = s.anchor.source.registry;
    const status = anchor.record?.status ?? anchor.batch!.status;
    const what = anchor.kind === "record" ? "record" : "batch";
    if (status === "Active") return passed(`The ${what} is active: neither retracted nor superseded.`, [anchorRef(s)]);
    if (status === "Superseded") {
      const next = anchor.record!.supersededBy;
      const log = (await registry.queryFilter(registry.filters.EvidenceSuperseded(anchor.id)))[0];
      return failed(
        "SUPERSEDED",
        `The record was superseded by a new version of its anchoring member: record ${next}.`,
        [
          anchorRef(
            s,
            log === undefined ? {} : { transactionHash: log.transactionHash as Hex, blockNumber: log.blockNumber },
          ),
        ],
        { supersededBy: next },
      );
    }
    const log = (
      anchor.kind === "record"
        ? await registry.queryFilter(registry.filters.EvidenceRetracted(anchor.id))
        : await registry.queryFilter(registry.filters.BatchRetracted(anchor.id))
    )[0];
    const reasonHash = log?.args.reasonHash as Hex | undefined;
    return failed(
      "RETRACTED",
      `The ${what} was retracted by its anchoring member` +
        (log === undefined ? "." : ` in block ${log.blockNumber} (reason hash ${reasonHash}).`),
      [
        anchorRef(
          s,
          log === undefined ? {} : { transactionHash: log.transactionHash as Hex, blockNumber: log.blockNumber },
        ),
      ],
      reasonHash === undefined ? {} : { reasonHash },
    );
  }),

  step("ANCHOR_COMMITMENT", async (s: AnchorState) => {
    const r = s.anchor.record;
    if (r === undefined) return undefined; // a batch id commits to its root and member by itself
    const registry = s.anchor.source.registry;
    const match = await registry.recordFieldsMatch(r.recordId, r.signer, cidToBytes(r.packageCid), r.caseRef);
    const refs = [anchorRef(s, { transactionHash: r.transactionHash as Hex, blockNumber: r.blockNumber })];
    return match
      ? passed(
          "The anchoring event's signer, package CID and case reference match the commitment stored on chain.",
          refs,
        )
      : failed(
          "FIELDS_MISMATCH",
          "The anchoring event's signer, package CID or case reference does not match the commitment stored on " +
            "chain: the node returned altered event data.",
          refs,
        );
  }),

  step("ANCHOR_MATCHES_MANIFEST", async (s: AnchorState) => {
    const m = s.evidence.manifest;
    const a = s.anchor;
    if (m === undefined) {
      return indeterminate("NO_MANIFEST", "No manifest was read: the anchor's fields could not be compared with it.");
    }
    const j = m.acquisition.jurisdiction;
    type Field = { field: string; subCode: SubCode<"ANCHOR_MATCHES_MANIFEST">; anchor: unknown; manifest: unknown };
    const fields: Field[] = [
      {
        field: "collecting jurisdiction",
        subCode: "JURISDICTION_MISMATCH",
        anchor: a.jurisdiction,
        manifest: j.collecting,
      },
      { field: "category", subCode: "CATEGORY_MISMATCH", anchor: a.category, manifest: m.category },
    ];
    if (a.record !== undefined) {
      fields.push(
        {
          field: "collection time",
          subCode: "COLLECTION_TIME_MISMATCH",
          anchor: reportTime(a.record.collectedAt),
          manifest: reportTime(manifestCollectedAt(m)),
        },
        {
          field: "first upload",
          subCode: "JOINT_JURISDICTION_MISMATCH",
          anchor: a.record.firstUpload ?? null,
          manifest: j.firstUpload ?? null,
        },
        {
          field: "primary dissemination",
          subCode: "JOINT_JURISDICTION_MISMATCH",
          anchor: a.record.primaryDissemination ?? null,
          manifest: j.primaryDissemination ?? null,
        },
      );
    }
    const mismatches = fields.filter((f) => f.anchor !== f.manifest);
    const compared = fields.map((f) => f.field).join(", ");
    const refs = [anchorRef(s, { transactionHash: a.transactionHash as Hex, blockNumber: a.blockNumber })];
    if (mismatches.length === 0) {
      return passed(
        `The anchor agrees with the manifest (${compared})` +
          (a.kind === "batch" ? "; a batch records no collection time or joint-jurisdiction facts." : "."),
        refs,
      );
    }
    return failed(
      mismatches[0]!.subCode,
      "The anchor disagrees with the manifest: " +
        mismatches
          .map((f) => `${f.field} ${JSON.stringify(f.anchor)} on chain, ${JSON.stringify(f.manifest)} in the manifest`)
          .join("; ") +
        ".",
      refs,
      { mismatches: mismatches.map(({ field, anchor, manifest }) => ({ field, anchor, manifest })) },
    );
  }),

  step("BATCH_INCLUSION", async (s: AnchorState) => {
    const b = s.anchor.batch;
    if (b === undefined) return undefined;
    const contentHash = s.evidence.contentHash!;
    const proof = s.anchor.proof ?? [];
    // The contract answers for active batches only; a retracted batch's root (in its event, committed to by the
    // batch id) is checked offline with the same Merkle rule (ANCHOR_STATUS reports the retraction).
    const included =
      b.status === "Active"
        ? await s.anchor.source.verifyInclusion(b.batchId, contentHash, proof)
        : verifyBatchInclusion(b.root, contentHash, proof);
    const refs = [anchorRef(s, { transactionHash: b.transactionHash as Hex, blockNumber: b.blockNumber })];
    return included
      ? passed(`${contentHash} is under the batch's Merkle root ${b.root} (${plural(b.count, "record")}).`, refs, {
          root: b.root,
          proofLength: proof.length,
        })
      : failed("NOT_IN_BATCH", `The proof does not put ${contentHash} under the batch's Merkle root ${b.root}.`, refs, {
          root: b.root,
        });
  }),

  step("SIGNER_VALID", async (s: AnchorState) => {
    const { anchor } = s;
    const consortium = s.ctx.clients.consortium.consortium;
    const at = anchor.anchoredAt;
    const refs = [ref(s.ctx, "Consortium")];
    if (await consortium.isValidSigner(anchor.memberId, anchor.signer, at)) {
      return passed(
        `The anchor's signing key was valid for its member, and the member active, at ${reportTime(at)}.`,
        refs,
      );
    }
    const [status, key] = await Promise.all([
      consortium.statusAt(anchor.memberId, at),
      consortium.getKey(anchor.signer),
    ]);
    const details = json({
      signer: anchor.signer,
      memberStatusAtAnchoring: Object.keys(MemberStatus)[Number(status)],
      keyMember: key.memberId,
      keyValidFrom: Number(key.validFrom),
      keyValidUntil: Number(key.validUntil),
    }) as object;
    return Number(status) !== MemberStatus.Active
      ? failed("MEMBER_NOT_ACTIVE", `The anchoring member was not active at ${reportTime(at)}.`, refs, details)
      : failed(
          "KEY_NOT_VALID",
          `The anchor's signing key was not valid for its member at ${reportTime(at)} (revoked, expired or not yet ` +
            "valid at that second).",
          refs,
          details,
        );
  }),

  step("CUSTODY", async (s: AnchorState) => {
    const { anchor } = s;
    if (anchor.kind === "batch") {
      s.custody = { count: 0, pendingRecipient: 0n };
      return indeterminate(
        "NO_CUSTODY_RECORDED",
        "Custody is recorded per anchored record; a record proven only by batch inclusion has none.",
      );
    }
    const evidence = s.anchor.source;
    const [{ events, verification: v }, state] = await Promise.all([
      evidence.custodyChain(anchor.id),
      evidence.registry.custodyOf(anchor.id),
    ]);
    s.custody = { count: Number(state.count), pendingRecipient: state.pendingRecipient };
    s.custodyEvents = events;
    const refs = events.map((e) =>
      anchorRef(s, {
        transactionHash: e.transactionHash as Hex,
        ...(e.blockNumber === undefined ? {} : { blockNumber: e.blockNumber }),
      }),
    );
    const details = json(custodyDetails(v, events.length)) as object;
    switch (v.status) {
      case "COMPLETE":
        return passed(
          `Custody is complete: ${plural(events.length, "event")}, starting with the collection, intact, every ` +
            "transfer acknowledged.",
          refs,
          details,
        );
      case "TRANSFER_PENDING":
        return failed(
          "TRANSFER_NOT_ACKNOWLEDGED",
          "A transfer of the evidence has not been acknowledged by its receiver: custody is incomplete.",
          refs,
          details,
        );
      case "NO_CUSTODY_RECORDED":
        return indeterminate(
          "NO_CUSTODY_RECORDED",
          "No custody event is recorded: the record is anchored, nothing more is known of its custody.",
          refs,
          details,
        );
      case "BROKEN":
        return failed(
          "CUSTODY_BROKEN",
          `The chain of custody is broken (${plural(v.problems.length, "problem")}): an event is missing, altered, ` +
            "out of order, or by a member that did not hold the evidence.",
          refs,
          details,
        );
    }
  }),

  step("RECOGNITION", async (s: AnchorState) => {
    const { anchor, ctx } = s;
    const from = anchor.jurisdiction;
    const to = ctx.jurisdiction;
    if (from === to) {
      s.domestic = true;
      return passed(`The evidence was collected in ${to}, the verifier's own jurisdiction: no agreement is needed.`);
    }
    const t =
      ctx.timePolicy === "at-anchoring"
        ? anchor.anchoredAt
        : ctx.timePolicy === "now"
          ? ctx.block.timestamp
          : anchor.collectedAt;
    if (t === undefined) {
      return indeterminate(
        "NO_COLLECTION_TIME",
        "The time policy asks for the collection time, which a batch does not record and no manifest gave.",
      );
    }
    const agreements = ctx.clients.consortium.agreements;
    const [fromHex, toHex] = [toJurisdiction(from), toJurisdiction(to)];
    const [found, id] =
      ctx.timePolicy === "at-anchoring"
        ? await agreements.standingRecognition(fromHex, toHex, anchor.category, t)
        : await agreements.recognition(fromHex, toHex, anchor.category, t);
    const when = `${reportTime(t)} (${POLICY_WORDS[ctx.timePolicy]})`;
    const details = { from, to, category: anchor.category, at: reportTime(t), timePolicy: ctx.timePolicy };
    if (found) {
      const a = await agreements.getAgreement(id);
      const refs = [
        ref(ctx, "RecognitionAgreements", { agreementId: id.toString(), textHash: a.terms.textHash as Hex }),
      ];
      s.agreement = {
        id,
        minAssurance: Number(a.terms.minAssurance),
        anchorWindow: Number(a.terms.anchorWindow),
        refs,
      };
      return passed(
        `Recognition agreement ${id} (${from} → ${to}) covers category ${anchor.category} and was in force ${when}.`,
        refs,
        { ...details, agreementId: id.toString() },
      );
    }
    // The verdict is the contract's; what follows only finds out why, to name the sub-code: an agreement for the
    // category that would apply but for a suspension (at the time, or now under the standing rule).
    for (const candidate of [...(await agreements.agreementsBetween(fromHex, toHex))].reverse()) {
      const [a, suspensions, inForce] = await Promise.all([
        agreements.getAgreement(candidate),
        agreements.suspensionsOf(candidate),
        agreements.agreementInForce(candidate, anchor.category, t),
      ]);
      const covers = ((a.terms.categories >> BigInt(anchor.category)) & 1n) === 1n;
      const suspendedAtT = suspensions.some((x) => x.since <= t && (x.until === 0n || t < x.until));
      const withinTerm =
        a.concludedAt !== 0n &&
        t >= a.concludedAt &&
        t >= a.terms.effectiveFrom &&
        (a.terms.expiresAt === 0n || t < a.terms.expiresAt);
      const suspendedNow = ctx.timePolicy === "at-anchoring" && inForce && a.suspended;
      if (covers && (suspendedNow || (!inForce && withinTerm && suspendedAtT))) {
        const refs = [
          ref(ctx, "RecognitionAgreements", { agreementId: candidate.toString(), textHash: a.terms.textHash as Hex }),
        ];
        return failed(
          "AGREEMENT_SUSPENDED",
          `Recognition agreement ${candidate} (${from} → ${to}) covers category ${anchor.category} but ` +
            (suspendedNow ? "is suspended now." : `was suspended at ${reportTime(t)}.`),
          refs,
          { ...details, agreementId: candidate.toString(), suspendedNow },
        );
      }
    }
    return failed(
      "NO_AGREEMENT_IN_FORCE",
      `No recognition agreement from ${from} to ${to} covering category ${anchor.category} was in force ${when}.`,
      [ref(ctx, "RecognitionAgreements")],
      details,
    );
  }),

  step("ASSURANCE", async (s: AnchorState) => {
    if (s.domestic === true) return passed("No agreement applies, hence no minimum assurance.");
    const a = s.agreement;
    if (a === undefined) {
      return indeterminate("NO_AGREEMENT", "Without a recognition agreement, no minimum assurance could be evaluated.");
    }
    const evaluations = evaluateAssurance(a.minAssurance, a.anchorWindow, {
      provenBy: s.anchor.kind,
      custodyCount: s.custody?.count ?? 0,
      pendingRecipient: s.custody?.pendingRecipient ?? 0n,
      anchoredAt: s.anchor.anchoredAt,
      collectedAt: s.anchor.collectedAt,
    });
    const details = { agreementId: a.id.toString(), flags: evaluations };
    const words = (e: AssuranceEvaluation) => `${e.flag}: ${e.reason}`;
    const notMet = evaluations.find((e) => e.met === false);
    if (notMet !== undefined) {
      const subCode =
        `${notMet.flag === "BATCH_PROOF_ALLOWED" ? "BATCH_PROOF_NOT_ALLOWED" : `${notMet.flag}_NOT_MET`}` as SubCode<"ASSURANCE">;
      return failed(subCode, `Agreement ${a.id}'s minimum assurance is not met — ${words(notMet)}.`, a.refs, details);
    }
    const unknown = evaluations.find((e) => e.met === undefined);
    if (unknown !== undefined) {
      return indeterminate("NO_COLLECTION_TIME", `Agreement ${a.id}'s ${words(unknown)}.`, a.refs, details);
    }
    return passed(
      evaluations.length === 0
        ? `Agreement ${a.id} requires no minimum assurance.`
        : `Agreement ${a.id}'s minimum assurance is met — ${evaluations.map(words).join("; ")}.`,
      a.refs,
      details,
    );
  }),

  step("ENDORSEMENTS", async (s: AnchorState) => {
    if (s.anchor.kind === "batch") return undefined; // endorsements name single anchors
    const registry = s.anchor.source.registry;
    const logs = await registry.queryFilter(registry.filters.EvidenceEndorsed(s.anchor.id));
    const members = [...new Set(logs.map((l) => l.args.memberId))];
    const current = await Promise.all(
      members.map(async (m) => {
        // The struct's `at` field is shadowed by Array.prototype.at on an ethers Result: read it by position.
        const [verdict, at, agreementId, reportHash] = await registry.endorsementOf(s.anchor.id, m);
        const e = { verdict, at, agreementId, reportHash };
        const log = logs.filter((l) => l.args.memberId === m).at(-1)!;
        return {
          memberId: m,
          verdict: Number(e.verdict),
          agreementId: e.agreementId,
          reportHash: e.reportHash,
          at: Number(e.at),
          log,
        };
      }),
    );
    const recognized = current.filter((e) => e.verdict === Verdict.Recognized).length;
    const challenged = current.filter((e) => e.verdict === Verdict.Challenged).length;
    const refs = current.map((e) =>
      anchorRef(s, {
        transactionHash: e.log.transactionHash as Hex,
        blockNumber: e.log.blockNumber,
        ...(e.agreementId === 0n ? {} : { agreementId: e.agreementId.toString() }),
      }),
    );
    const details = json({
      endorsements: current.map((e) => ({
        memberId: e.memberId,
        verdict: e.verdict === Verdict.Recognized ? "Recognized" : "Challenged",
        agreementId: e.agreementId,
        reportHash: e.reportHash,
        at: reportTime(e.at),
      })),
    }) as object;
    const counts = `${plural(recognized, "recognition")}, ${plural(challenged, "challenge")}`;
    return challenged > 0
      ? indeterminate(
          "CHALLENGED",
          `Other members' endorsements: ${counts}. A challenge needs a person's review.`,
          refs,
          details,
        )
      : passed(
          current.length === 0
            ? "No member has endorsed or challenged the record."
            : `Other members' endorsements: ${counts}.`,
          refs,
          details,
        );
  }),
];

/**
 * Where the chain records the CID of the package the verifier was given, for a record anchor: the record's own
 * `packageCid` (checked against the stored commitment by ANCHOR_COMMITMENT), or a RecipientAdded custody event whose
 * details hash is `recipientDetailsHash(cid)` (in the chain CUSTODY verified against its head), or neither.
 * Informational: the package was verified by its content hash either way (see VERIFICATION.md).
 */
function packageCidReport(s: AnchorState, cid: string): PackageCidReport {
  const r = s.anchor.record!;
  if (cidToBytes(cid) === cidToBytes(r.packageCid)) {
    return {
      cid,
      recordedBy: "anchor",
      summary: "The package's CID is the one anchored with the record.",
      refs: [anchorRef(s, { transactionHash: r.transactionHash as Hex, blockNumber: r.blockNumber })],
    };
  }
  const detailsHash = recipientDetailsHash(cid);
  const events = (s.custodyEvents ?? []).filter(
    (e) => e.eventType === CustodyEventType.RecipientAdded && e.detailsHash.toLowerCase() === detailsHash,
  );
  if (events.length > 0) {
    return {
      cid,
      recordedBy: "recipient-added",
      recipients: [...new Set(events.map((e) => BigInt(e.counterparty).toString()))],
      summary:
        `The package's CID is recorded for the record by ${events.length === 1 ? "a RecipientAdded custody event" : `${events.length} RecipientAdded custody events`}: ` +
        "the package re-wrapped for an added recipient, with the same files and package hash.",
      refs: events.map((e) =>
        anchorRef(s, {
          ...(e.transactionHash === undefined ? {} : { transactionHash: e.transactionHash as Hex }),
          ...(e.blockNumber === undefined ? {} : { blockNumber: e.blockNumber }),
        }),
      ),
    };
  }
  return {
    cid,
    recordedBy: "not-recorded",
    summary:
      "The package's CID is neither the one anchored with the record nor recorded by a RecipientAdded custody " +
      "event: the package was verified by its content hash alone.",
    refs: [],
  };
}

function custodyDetails(v: CustodyVerification, events: number) {
  return {
    status: v.status,
    events,
    custodian: v.custodian,
    pendingRecipient: v.pendingRecipient,
    recipients: v.recipients,
    problems: v.problems,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// verifyEvidence
// ------------------------------------------------------------------------------------------------------------------

function bytes32(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a 32-byte hex content hash: ${value}`);
  }
  return value.toLowerCase() as Hex;
}

async function verifyingJurisdiction(
  clients: VerifierClients,
  verifier: VerifyEvidenceParameters["verifier"],
): Promise<{ memberId?: string; jurisdiction: string }> {
  if (!("memberId" in verifier)) {
    toJurisdiction(verifier.jurisdiction);
    return { jurisdiction: verifier.jurisdiction };
  }
  const member = await clients.consortium.consortium.getMember(verifier.memberId);
  if (Number(member.status) === MemberStatus.None) {
    throw new CrossproofError("INVALID_ARGUMENT", `no member ${verifier.memberId} in the consortium`);
  }
  const own = fromJurisdiction(member.jurisdiction);
  if (verifier.jurisdiction !== undefined && verifier.jurisdiction !== own) {
    throw new CrossproofError(
      "INVALID_ARGUMENT",
      `member ${verifier.memberId} sits in ${own}, not in ${verifier.jurisdiction}`,
    );
  }
  return { memberId: BigInt(verifier.memberId).toString(), jurisdiction: own };
}

function summaryOf(indication: Indication, contentHash: Hex | undefined, anchors: readonly AnchorReport[]): string {
  const subject = contentHash === undefined ? "The evidence" : `Evidence ${contentHash}`;
  const passing = anchors.filter((a) => a.indication === "TOTAL-PASSED");
  switch (indication) {
    case "TOTAL-PASSED":
      return (
        `${subject} passed every check: the manifest and files match, and it is anchored in ` +
        `${[...new Set(passing.map((a) => a.jurisdiction))].join(", ")} with valid keys, complete custody and ` +
        "recognition in the verifying jurisdiction."
      );
    case "TOTAL-FAILED":
      return `${subject} failed at least one check: see the FAILED checks and their sub-codes.`;
    case "INDETERMINATE":
      return `${subject} could not be fully verified: no check failed decisively, but some are INDETERMINATE.`;
  }
}

/**
 * Verifies evidence against the chain, as a chain of named checks in a fixed order (see `Checks` in `report.ts`),
 * each ending PASSED, FAILED or INDETERMINATE with a stable sub-code and the on-chain facts it used, and returns the
 * (unsigned) report; sign it with {@link signReport}.
 *
 * Checks of the evidence: MANIFEST_HASH, FILE_HASHES, ANCHOR_FOUND; then, for every anchor of the content hash (the
 * one of `anchoredBy`, or every member's, plus the batch given): ANCHOR_FINAL, ANCHOR_STATUS, ANCHOR_COMMITMENT,
 * ANCHOR_MATCHES_MANIFEST, BATCH_INCLUSION (batch anchors), SIGNER_VALID, CUSTODY, RECOGNITION, ASSURANCE,
 * ENDORSEMENTS (record anchors); last, LICENSE_AUTHORIZATION when a licence question is asked.
 *
 * The rules are the contracts': recognition is the `RecognitionAgreements` view the time policy names, the signer's
 * validity is `Consortium.isValidSigner` at the anchoring time, inclusion is `verifyInclusion`, the event fields are
 * checked with `recordFieldsMatch`, custody with the registry's rules (`verifyCustodyChain` against the head stored
 * on chain). The one rule computed off chain is the minimum-assurance evaluation ({@link evaluateAssurance}).
 *
 * The evidence may be a package, a manifest with some or all of its files (a single loose file is verified through
 * the manifest that lists it — the chain holds manifest hashes), or only a content hash (then the manifest and files
 * are not checked, and the report is at best INDETERMINATE). See {@link EvidenceInput}.
 *
 * Throws `CrossproofError` for bad arguments (`INVALID_ARGUMENT`) and when the chain or the content store cannot be
 * read (`CHAIN_ERROR`, `CONTENT_NOT_FOUND`, ...): a report is only issued on what could be read.
 * @example
 * const report = await verifyEvidence({ evidence, consortium }, {
 *   evidence: { package: { cid, store }, recipientKey: deCourtKey },
 *   anchoredBy: 1, verifier: { memberId: 2 },
 * });
 * if (report.indication !== "TOTAL-PASSED") console.log(report.anchors[0].checks.filter((c) => c.result !== "PASSED"));
 * const jws = await signReport(report, { privateJwk, issuerMemberId: 2, consortium });
 */
export async function verifyEvidence(
  clients: VerifierClients,
  p: VerifyEvidenceParameters,
): Promise<VerificationReport> {
  if (p.license !== undefined && clients.licenses === undefined) {
    throw new CrossproofError("INVALID_ARGUMENT", "a licence question needs a LicenceClient (clients.licenses)");
  }
  const confirmations = p.confirmations ?? 1;
  if (!Number.isInteger(confirmations) || confirmations < 1) {
    throw new CrossproofError("INVALID_ARGUMENT", `confirmations must be a positive integer, got ${confirmations}`);
  }
  const timePolicy = p.timePolicy ?? "at-anchoring";
  if (!["at-anchoring", "at-collection", "now"].includes(timePolicy)) {
    throw new CrossproofError("INVALID_ARGUMENT", `unknown time policy ${String(timePolicy)}`);
  }
  const provider = clients.evidence.registry.runner?.provider;
  if (provider === null || provider === undefined) {
    throw new CrossproofError("INVALID_ARGUMENT", "the evidence client has no provider");
  }
  const issuer = await verifyingJurisdiction(clients, p.verifier);
  const [network, block] = await Promise.all([provider.getNetwork(), provider.getBlock("latest")]);
  if (block === null || block.hash === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
  const ctx: Context = {
    clients,
    chainId: network.chainId.toString(),
    block: { number: block.number, hash: block.hash.toLowerCase() as Hex, timestamp: block.timestamp },
    confirmations,
    timePolicy,
    jurisdiction: issuer.jurisdiction,
    addresses: {
      EvidenceRegistry: await clients.evidence.registry.getAddress(),
      Consortium: await clients.consortium.consortium.getAddress(),
      RecognitionAgreements: await clients.consortium.agreements.getAddress(),
      ...(clients.licenses === undefined ? {} : { LicenseRegistry: await clients.licenses.registry.getAddress() }),
    },
  };

  const state: EvidenceState = { ctx, input: p.evidence, p, anchors: [] };
  const checks = await runSteps(EVIDENCE_STEPS as Step<CheckName, EvidenceState>[], state);
  const anchors: AnchorReport[] = [];
  for (const anchor of state.anchors) {
    const anchorState: AnchorState = { ctx, evidence: state, anchor };
    const anchorChecks = await runSteps(ANCHOR_STEPS as Step<CheckName, AnchorState>[], anchorState);
    anchors.push({
      kind: anchor.kind,
      ...(anchor.kind === "record" ? { recordId: anchor.id } : { batchId: anchor.id }),
      memberId: anchor.memberId.toString(),
      jurisdiction: anchor.jurisdiction,
      category: anchor.category,
      anchoredAt: reportTime(anchor.anchoredAt),
      ...(anchor.record === undefined
        ? {}
        : { collectedAt: reportTime(anchor.record.collectedAt), caseRef: anchor.record.caseRef.toLowerCase() as Hex }),
      ...(anchor.record === undefined || state.packageCid === undefined
        ? {}
        : { packageCid: packageCidReport(anchorState, state.packageCid) }),
      indication: anchorIndication(anchorChecks),
      checks: anchorChecks,
    });
  }
  const license = await runSteps([LICENSE_STEP] as Step<CheckName, EvidenceState>[], state);
  checks.push(...license);
  const indication = overallIndication(checks, anchors);
  return {
    format: REPORT_FORMAT,
    reportId: globalThis.crypto.randomUUID(),
    issuer,
    issuedAt: reportTime(Math.floor(Date.now() / 1000)),
    timePolicy,
    chain: {
      chainId: ctx.chainId,
      blockNumber: ctx.block.number,
      blockHash: ctx.block.hash,
      blockTime: reportTime(ctx.block.timestamp),
      confirmations,
      contracts: ctx.addresses,
    },
    indication,
    summary: summaryOf(indication, state.contentHash, anchors),
    subject: {
      ...(state.contentHash === undefined ? {} : { contentHash: state.contentHash }),
      evidence: "package" in p.evidence ? "package" : "manifest" in p.evidence ? "manifest" : "content-hash",
      ...(state.packageCid === undefined ? {} : { packageCid: state.packageCid }),
      ...(state.files === undefined ? {} : { files: state.files }),
    },
    checks,
    anchors,
  };
}

/**
 * A verifier connected to a deployment: the EvidenceRegistry, the Consortium it names (and its agreements), and
 * optionally a LicenseRegistry for licence questions.
 * @example
 * const verifier = await EvidenceVerifier.connect({ evidenceRegistry }, provider);
 * const report = await verifier.verify({ evidence: { contentHash }, verifier: { jurisdiction: "DE" } });
 */
export class EvidenceVerifier {
  private constructor(readonly clients: VerifierClients) {}

  static async connect(
    addresses: { evidenceRegistry: string; licenseRegistry?: string },
    runner: ContractRunner & { provider: Provider | null },
  ): Promise<EvidenceVerifier> {
    const evidence = await EvidenceClient.connect(addresses.evidenceRegistry, runner);
    const consortium = await ConsortiumClient.connect(await evidence.registry.consortium(), runner);
    const licenses =
      addresses.licenseRegistry === undefined
        ? undefined
        : await LicenceClient.connect(addresses.licenseRegistry, runner);
    return new EvidenceVerifier({ evidence, consortium, ...(licenses === undefined ? {} : { licenses }) });
  }

  /** A verifier over clients already connected. */
  static fromClients(clients: VerifierClients): EvidenceVerifier {
    return new EvidenceVerifier(clients);
  }

  /** See {@link verifyEvidence}. */
  verify(p: VerifyEvidenceParameters): Promise<VerificationReport> {
    return verifyEvidence(this.clients, p);
  }
}
