/**
 * The verification report: what {@link verifyEvidence} finds, as a versioned JSON document
 * (`crossproof.verification-report/1`), and its reduced form for a verifier outside the consortium.
 *
 * This module is part of the pure core: no Node-only API (no `node:` import, no `Buffer`, no file system), so that
 * it can be bundled for browsers with {@link verifyReport}. The zod schemas below are the source of truth; the
 * published JSON Schema (`docs/schemas/verification-report.schema.json`) is generated from them by
 * `scripts/report-schema.ts`, and a test checks that the committed file is what they generate.
 *
 * Vocabulary (ETSI EN 319 102-1, validation reports): every check ends PASSED, FAILED or INDETERMINATE; the
 * overall indication is TOTAL-PASSED, TOTAL-FAILED or INDETERMINATE. A FAILED or INDETERMINATE check carries a
 * stable sub-code (below) that callers can `switch` on; its summary is for people.
 */
import { z } from "zod/v4";

/** The report format this SDK writes. A change that breaks readers gets a new number. */
export const REPORT_FORMAT = "crossproof.verification-report/1";
/** The reduced report's format (see {@link reduceReport}). */
export const REDUCED_REPORT_FORMAT = "crossproof.verification-report.reduced/1";

/** The result of one check. */
export const CheckResults = ["PASSED", "FAILED", "INDETERMINATE"] as const;
export type CheckResultName = (typeof CheckResults)[number];

/** The overall indication, of the whole report and of each anchor. */
export const Indications = ["TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE"] as const;
export type Indication = (typeof Indications)[number];

/**
 * At which time the recognition agreement must have been in force:
 * - `at-anchoring` (default): the rule `EvidenceRegistry.endorse` applies on chain —
 *   `RecognitionAgreements.standingRecognition`: in force for the category at the anchoring time, and not suspended
 *   now;
 * - `at-collection`: `RecognitionAgreements.recognition` at the collection time the anchoring member claimed;
 * - `now`: `RecognitionAgreements.recognition` at the time of the block the verification read.
 */
export const TimePolicies = ["at-anchoring", "at-collection", "now"] as const;
export type TimePolicy = (typeof TimePolicies)[number];

/**
 * Every check, in the order it runs, with the sub-codes it can end with (FAILED or INDETERMINATE; a PASSED check
 * has none). The first three and the last concern the evidence; the others run once per anchor.
 */
export const Checks = {
  /** The manifest's canonical (RFC 8785) SHA-256 — the content hash — recomputed from the manifest bytes. */
  MANIFEST_HASH: ["MANIFEST_HASH_MISMATCH", "MANIFEST_INVALID", "PACKAGE_NOT_OPENED", "NO_MANIFEST"],
  /** Each file given (or each file of the package) against the size and SHA-256 the manifest lists. */
  FILE_HASHES: [
    "FILE_HASH_MISMATCH",
    "FILE_NOT_IN_MANIFEST",
    "FILE_UNREADABLE",
    "FILE_TAMPERED",
    "NO_FILES",
    "NO_MANIFEST",
  ],
  /** The content hash is anchored (by the member named, or by anyone), as a record or under the batch given. */
  ANCHOR_FOUND: ["NOT_ANCHORED", "NO_CONTENT_HASH"],
  /** The anchoring transaction has the confirmations asked for. */
  ANCHOR_FINAL: ["AWAITING_CONFIRMATIONS"],
  /** The record (or batch) is active: not retracted, not superseded by a new version. */
  ANCHOR_STATUS: ["RETRACTED", "SUPERSEDED"],
  /** The anchoring event's signer, package CID and case reference match the commitment stored on chain. */
  ANCHOR_COMMITMENT: ["FIELDS_MISMATCH"],
  /** The anchor's collecting jurisdiction, category, collection time and joint-jurisdiction facts are the manifest's. */
  ANCHOR_MATCHES_MANIFEST: [
    "JURISDICTION_MISMATCH",
    "CATEGORY_MISMATCH",
    "COLLECTION_TIME_MISMATCH",
    "JOINT_JURISDICTION_MISMATCH",
    "NO_MANIFEST",
  ],
  /** The content hash is under the batch's Merkle root (the contract's `verifyInclusion`). */
  BATCH_INCLUSION: ["NOT_IN_BATCH"],
  /** The anchor's signing key belonged to its member, was valid, and the member active, at the anchoring time. */
  SIGNER_VALID: ["KEY_NOT_VALID", "MEMBER_NOT_ACTIVE"],
  /** Custody recorded, starting with the collection, intact, every transfer acknowledged. */
  CUSTODY: ["CUSTODY_BROKEN", "TRANSFER_NOT_ACKNOWLEDGED", "NO_CUSTODY_RECORDED"],
  /** A recognition agreement from the collecting to the verifying jurisdiction, for the category, at the time. */
  RECOGNITION: ["NO_AGREEMENT_IN_FORCE", "AGREEMENT_SUSPENDED", "NO_COLLECTION_TIME"],
  /** The agreement's minimum-assurance flags, each evaluated. */
  ASSURANCE: [
    "COMPLETE_CUSTODY_NOT_MET",
    "TIMELY_ANCHOR_NOT_MET",
    "BATCH_PROOF_NOT_ALLOWED",
    "NO_COLLECTION_TIME",
    "NO_AGREEMENT",
  ],
  /** Other members' endorsements (recognitions and challenges) of the record. */
  ENDORSEMENTS: ["CHALLENGED"],
  /** The licence question asked: the licence registry's `verifyAuthorization` reason. */
  LICENSE_AUTHORIZATION: [
    "UNKNOWN_LICENCE",
    "REVOKED",
    "EXPIRED",
    "NOT_YET_VALID",
    "RIGHT_NOT_GRANTED",
    "TERRITORY_NOT_GRANTED",
    "CHAIN_TOO_DEEP",
    "TITLE_VOIDED",
  ],
} as const;
export type CheckName = keyof typeof Checks;
/** The sub-codes of one check. */
export type SubCode<C extends CheckName = CheckName> = (typeof Checks)[C][number];
/** Checks in the order they run. */
export const CHECK_ORDER = Object.keys(Checks) as CheckName[];

// ------------------------------------------------------------------------------------------------------------------
// Schema
// ------------------------------------------------------------------------------------------------------------------

/** Names of the shared definitions (`$defs`) in the generated JSON Schema. */
const definitions = z.registry<{ id: string; description?: string }>();
const def = <T extends z.ZodType>(schema: T, id: string, description?: string): T => {
  definitions.add(schema, description === undefined ? { id } : { id, description });
  return schema;
};

const bytes32 = def(z.string().regex(/^0x[0-9a-f]{64}$/), "Bytes32", "32 bytes, lower-case hex");
const address = def(z.string().regex(/^0x[0-9a-fA-F]{40}$/), "Address");
const uint = def(
  z.string().regex(/^(0|[1-9][0-9]*)$/),
  "DecimalInteger",
  "A uint64 or uint256 (member, agreement and chain ids) as a decimal string: JSON numbers stop at 2^53",
);
const time = def(
  z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
  "Time",
  "An ISO 8601 UTC time to the second",
);
const jurisdiction = def(z.string().regex(/^[A-Z]{2}$/), "Jurisdiction", "An ISO 3166-1 alpha-2 code");
const category = def(z.number().int().min(0).max(63), "EvidenceCategory");
const text = def(z.string().min(1).max(4096), "Text");

/** The contracts a check can cite. */
export const ContractNames = ["EvidenceRegistry", "Consortium", "RecognitionAgreements", "LicenseRegistry"] as const;

/** An on-chain fact a check used: which contract, and the transaction, record or agreement. */
export const chainReferenceSchema = def(
  z
    .object({
      chainId: uint,
      contract: z.enum(ContractNames),
      address,
      transactionHash: bytes32.optional(),
      blockNumber: z.number().int().nonnegative().optional(),
      recordId: bytes32.optional(),
      batchId: bytes32.optional(),
      agreementId: uint.optional(),
      /** keccak256 of the agreement's signed text. */
      textHash: bytes32.optional(),
      licenseId: bytes32.optional(),
    })
    .strict(),
  "ChainReference",
  "An on-chain fact a check used",
);
export type ChainReference = z.infer<typeof chainReferenceSchema>;

const checkSchemaOf = <C extends CheckName>(check: C) =>
  def(
    z
      .object({
        check: z.literal(check),
        result: z.enum(CheckResults),
        /** Set when the result is FAILED or INDETERMINATE. */
        subCode: z.enum(Checks[check] as unknown as [SubCode<C>, ...SubCode<C>[]]).optional(),
        summary: text,
        refs: z.array(chainReferenceSchema),
        /** Facts behind the result (JSON). Dropped from the reduced report. */
        details: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    `Check${check}`,
  );

/** One check's result, in the full report. */
export const checkResultSchema = def(
  z.discriminatedUnion(
    "check",
    CHECK_ORDER.map(checkSchemaOf) as unknown as [
      ReturnType<typeof checkSchemaOf>,
      ...ReturnType<typeof checkSchemaOf>[],
    ],
  ),
  "CheckResult",
);
export interface CheckResult<C extends CheckName = CheckName> {
  check: C;
  result: CheckResultName;
  subCode?: SubCode<C>;
  summary: string;
  refs: ChainReference[];
  details?: Record<string, unknown>;
}

const anchorKinds = ["record", "batch"] as const;

/**
 * Where the chain records, for one record, the CID of the package the verifier was given:
 * - `anchor`: the record's own `packageCid` (the package anchored);
 * - `recipient-added`: a RecipientAdded custody event of the record whose `detailsHash` is
 *   `recipientDetailsHash(cid)` — the package re-wrapped for an added recipient (same files, same package hash);
 * - `not-recorded`: neither. The package is still verified by its content hash; the CID is only not known to the
 *   record. Informational: it does not enter the indication (see VERIFICATION.md).
 */
export const PackageCidSources = ["anchor", "recipient-added", "not-recorded"] as const;
export type PackageCidSource = (typeof PackageCidSources)[number];

/** Where the package's CID comes from, for one record anchor (full report only). */
export const packageCidReportSchema = def(
  z
    .object({
      /** The CID of the package the verifier was given. */
      cid: z.string().min(1).max(256),
      recordedBy: z.enum(PackageCidSources),
      /** `recipient-added`: the members the events name as recipients. */
      recipients: z.array(uint).optional(),
      summary: text,
      /** The anchoring transaction, or the RecipientAdded events' transactions. */
      refs: z.array(chainReferenceSchema),
    })
    .strict(),
  "PackageCidReport",
  "Where the chain records the CID of the package the verifier was given, for one record",
);
export type PackageCidReport = z.infer<typeof packageCidReportSchema>;

/** What one anchor of the content hash comes to. */
export const anchorReportSchema = def(
  z
    .object({
      /** A single record, or a Merkle batch the content hash is proven to be in. */
      kind: z.enum(anchorKinds),
      recordId: bytes32.optional(),
      batchId: bytes32.optional(),
      /** The anchoring member. */
      memberId: uint,
      /** The collecting jurisdiction: the anchoring member's own. */
      jurisdiction,
      category,
      anchoredAt: time,
      /** The collection time the anchoring member claimed (records only). */
      collectedAt: time.optional(),
      /** The case reference hash (records only). Dropped from the reduced report. */
      caseRef: bytes32.optional(),
      /**
       * Record anchors, when the verifier was given a package by CID: where that CID is recorded for the record.
       * Informational (not a check; no effect on the indication). Dropped from the reduced report.
       */
      packageCid: packageCidReportSchema.optional(),
      indication: z.enum(Indications),
      checks: z.array(checkResultSchema),
    })
    .strict(),
  "AnchorReport",
);
export type AnchorReport = Omit<z.infer<typeof anchorReportSchema>, "checks"> & { checks: CheckResult[] };

const chainSchema = def(
  z
    .object({
      chainId: uint,
      /** The block the verification read (its state, or later). */
      blockNumber: z.number().int().nonnegative(),
      blockHash: bytes32,
      blockTime: time,
      /** Confirmations an anchor needed to count as final. */
      confirmations: z.number().int().min(1),
      contracts: z
        .object({
          EvidenceRegistry: address,
          Consortium: address,
          RecognitionAgreements: address,
          LicenseRegistry: address.optional(),
        })
        .strict(),
    })
    .strict(),
  "Chain",
  "The chain the verification read",
);

const issuerSchema = def(
  z
    .object({
      /** The issuing member (set by `verifyEvidence` or by `signReport`). */
      memberId: uint.optional(),
      /** The verifying jurisdiction: recognition is asked from the collecting jurisdiction to this one. */
      jurisdiction,
    })
    .strict(),
  "Issuer",
);

const header = {
  /** A random UUID (RFC 9562 v4). */
  reportId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
  issuer: issuerSchema,
  /** When the checks ran. */
  issuedAt: time,
  timePolicy: z.enum(TimePolicies),
  chain: chainSchema,
  indication: z.enum(Indications),
  /** The indication in one sentence. */
  summary: text,
};

/** The full report (`crossproof.verification-report/1`), for consortium members. */
export const verificationReportSchema = z
  .object({
    format: z.literal(REPORT_FORMAT),
    ...header,
    subject: z
      .object({
        /** Absent only when no content hash could be read (an unreadable package). */
        contentHash: bytes32.optional(),
        /** What the verifier had: the package, the manifest (and files), or only the content hash. */
        evidence: z.enum(["package", "manifest", "content-hash"]),
        packageCid: z.string().min(1).max(256).optional(),
        /** The manifest's files, and whether each was checked. */
        files: z
          .array(
            z
              .object({
                path: text,
                size: z.number().int().nonnegative(),
                sha256: z.string().regex(/^[0-9a-f]{64}$/),
                checked: z.boolean(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict(),
    /** Checks of the evidence itself: MANIFEST_HASH, FILE_HASHES, ANCHOR_FOUND, and LICENSE_AUTHORIZATION if asked. */
    checks: z.array(checkResultSchema),
    anchors: z.array(anchorReportSchema),
  })
  .strict();
export type VerificationReport = Omit<z.infer<typeof verificationReportSchema>, "checks" | "anchors"> & {
  checks: CheckResult[];
  anchors: AnchorReport[];
};

const reducedCheckSchema = def(
  z
    .object({
      check: z.enum(CHECK_ORDER as [CheckName, ...CheckName[]]),
      result: z.enum(CheckResults),
      subCode: z
        .string()
        .regex(/^[A-Z_]+$/)
        .optional(),
      summary: text,
    })
    .strict(),
  "ReducedCheckResult",
);

/**
 * The reduced report (`crossproof.verification-report.reduced/1`), for a verifier outside the consortium: the
 * indication and every check's result, sub-code and summary — and nothing that names the case or the custody
 * parties: no case reference, no anchoring member id, no file names, no package CID, no check details, no
 * transaction references.
 */
export const reducedReportSchema = z
  .object({
    format: z.literal(REDUCED_REPORT_FORMAT),
    ...header,
    subject: z.object({ contentHash: bytes32.optional() }).strict(),
    checks: z.array(reducedCheckSchema),
    anchors: z.array(
      z
        .object({
          kind: z.enum(anchorKinds),
          recordId: bytes32.optional(),
          batchId: bytes32.optional(),
          jurisdiction,
          category,
          anchoredAt: time,
          indication: z.enum(Indications),
          checks: z.array(reducedCheckSchema),
        })
        .strict(),
    ),
  })
  .strict();
export type ReducedVerificationReport = z.infer<typeof reducedReportSchema>;

/** Either report, as `verifyReport` accepts it. */
export const anyReportSchema = z.discriminatedUnion("format", [verificationReportSchema, reducedReportSchema]);
export type AnyVerificationReport = VerificationReport | ReducedVerificationReport;

/** The JSON Schema (draft 2020-12) of both report formats, generated from the zod schemas. */
export function verificationReportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(anyReportSchema, { target: "draft-2020-12", metadata: definitions }) as Record<
    string,
    unknown
  >;
  // zod copies each definition's registry `id` into it; the name is already its key under `$defs`.
  for (const d of Object.values(schema.$defs as Record<string, Record<string, unknown>>)) delete d.id;
  return {
    $schema: schema.$schema,
    $id: "https://crossproof.example/schemas/verification-report.schema.json",
    title: "crossproof verification report",
    description:
      `A ${REPORT_FORMAT} report (full, for consortium members) or a ${REDUCED_REPORT_FORMAT} report (for ` +
      "verifiers outside the consortium). Check results use the vocabulary of ETSI EN 319 102-1.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Indications
// ------------------------------------------------------------------------------------------------------------------

/** FAILED if any check failed, else INDETERMINATE if any is, else PASSED (no checks: INDETERMINATE). */
function worst(checks: readonly { result: CheckResultName }[]): CheckResultName {
  if (checks.some((c) => c.result === "FAILED")) return "FAILED";
  if (checks.length === 0 || checks.some((c) => c.result === "INDETERMINATE")) return "INDETERMINATE";
  return "PASSED";
}

const INDICATION_OF: Record<CheckResultName, Indication> = {
  PASSED: "TOTAL-PASSED",
  FAILED: "TOTAL-FAILED",
  INDETERMINATE: "INDETERMINATE",
};

/** An anchor's indication: TOTAL-FAILED if one of its checks failed, TOTAL-PASSED if all passed, else INDETERMINATE. */
export function anchorIndication(checks: readonly { result: CheckResultName }[]): Indication {
  return INDICATION_OF[worst(checks)];
}

/**
 * The overall indication, stated once:
 * - TOTAL-FAILED when a check of the evidence itself failed (manifest, files, anchor found), or when every anchor
 *   is TOTAL-FAILED;
 * - TOTAL-PASSED when every check of the evidence passed and at least one anchor is TOTAL-PASSED;
 * - INDETERMINATE otherwise (e.g. only a content hash was given, or no custody is recorded).
 *
 * One passing anchor is enough because anyone may anchor a content hash it has seen: a stranger's anchor (in a
 * jurisdiction without an agreement, say) must not sink a good one, and it cannot make a bad one pass either, since
 * each anchor is judged on its own. Name the anchoring member (`anchoredBy`) to judge one anchor only.
 *
 * LICENSE_AUTHORIZATION does not enter the indication: it answers a question about a licence (PASSED = authorised,
 * FAILED = not, with the registry's reason), and evidence of an unlicensed use is exactly what an infringement case
 * brings — good evidence of it must not read as failed evidence.
 */
export function overallIndication(
  evidenceChecks: readonly { check?: CheckName; result: CheckResultName }[],
  anchors: readonly { indication: Indication }[],
): Indication {
  const evidence = worst(evidenceChecks.filter((c) => c.check !== "LICENSE_AUTHORIZATION"));
  if (evidence === "FAILED") return "TOTAL-FAILED";
  if (anchors.length > 0 && anchors.every((a) => a.indication === "TOTAL-FAILED")) return "TOTAL-FAILED";
  if (evidence === "PASSED" && anchors.some((a) => a.indication === "TOTAL-PASSED")) return "TOTAL-PASSED";
  return "INDETERMINATE";
}

/** The reduced report of a full one (see {@link reducedReportSchema} for what is left out). */
export function reduceReport(report: VerificationReport): ReducedVerificationReport {
  const reduceChecks = (checks: readonly CheckResult[]) =>
    checks.map(({ check, result, subCode, summary }) => ({
      check,
      result,
      ...(subCode === undefined ? {} : { subCode }),
      summary,
    }));
  return {
    format: REDUCED_REPORT_FORMAT,
    reportId: report.reportId,
    issuer: report.issuer,
    issuedAt: report.issuedAt,
    timePolicy: report.timePolicy,
    chain: report.chain,
    indication: report.indication,
    summary: report.summary,
    subject: report.subject.contentHash === undefined ? {} : { contentHash: report.subject.contentHash },
    checks: reduceChecks(report.checks),
    anchors: report.anchors.map((a) => ({
      kind: a.kind,
      ...(a.recordId === undefined ? {} : { recordId: a.recordId }),
      ...(a.batchId === undefined ? {} : { batchId: a.batchId }),
      jurisdiction: a.jurisdiction,
      category: a.category,
      anchoredAt: a.anchoredAt,
      indication: a.indication,
      checks: reduceChecks(a.checks),
    })),
  };
}

/** Unix seconds as the report writes times: ISO 8601 UTC to the second. */
export function reportTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
