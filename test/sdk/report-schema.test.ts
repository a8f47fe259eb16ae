import { expect } from "chai";
import { readFileSync, rmSync } from "node:fs";
import {
  REDUCED_REPORT_FORMAT,
  REPORT_FORMAT,
  anyReportSchema,
  overallIndication,
  reduceReport,
  verificationReportJsonSchema,
  type VerificationReport,
} from "../../sdk/src";
import { REPORT_SCHEMA_PATH } from "../../scripts/report-schema";
import { validateJsonSchema } from "../helpers/json-schema";
import { CASE_REF, evidenceFlow } from "../helpers/verification";

const published = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, "utf8")) as Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("verification report format and its JSON Schema", function () {
  let good: VerificationReport;
  let failing: VerificationReport;
  let dirs: string[] = [];

  before(async () => {
    const a = await evidenceFlow();
    good = await a.verify();
    const b = await evidenceFlow({ custody: "pending", anchor: { firstUpload: "NL" } });
    failing = await b.verify({ timePolicy: "now" });
    dirs = [a.disk.dir, b.disk.dir];
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("the committed schema (docs/schemas/verification-report.schema.json) is the one the zod schemas generate", function () {
    expect(published).to.deep.equal(verificationReportJsonSchema());
    expect(published.$schema).to.equal("https://json-schema.org/draft/2020-12/schema");
  });

  it("reports of a good and of a failing case validate against the published schema (and the zod schema)", function () {
    expect(good.format).to.equal(REPORT_FORMAT);
    expect(good.indication).to.equal("TOTAL-PASSED");
    expect(failing.indication).to.equal("TOTAL-FAILED");
    for (const report of [good, failing, reduceReport(good), reduceReport(failing)]) {
      const plain = clone(report);
      expect(validateJsonSchema(published, plain), report.indication).to.deep.equal([]);
      expect(anyReportSchema.safeParse(plain).success).to.equal(true);
    }
  });

  it("refuses malformed reports: the published schema and the zod schema agree on each", function () {
    const cases: [string, (r: Record<string, unknown> & VerificationReport) => void][] = [
      ["no indication", (r) => delete (r as Partial<VerificationReport>).indication],
      ["an unknown indication", (r) => ((r as { indication: string }).indication = "PASSED")],
      ["another format", (r) => ((r as { format: string }).format = "crossproof.verification-report/2")],
      ["an extra property", (r) => (r.extra = true)],
      ["a time with milliseconds", (r) => (r.issuedAt = "2026-01-01T00:00:00.000Z")],
      ["a member id as a number", (r) => ((r.issuer as { memberId: unknown }).memberId = 2)],
      ["an unknown check", (r) => ((r.checks[0] as { check: string }).check = "VIBES")],
      [
        "another check's sub-code",
        (r) => ((r.anchors[0]!.checks[0] as { subCode?: string }).subCode = "TRANSFER_NOT_ACKNOWLEDGED"),
      ],
      ["an upper-case content hash", (r) => (r.subject.contentHash = r.subject.contentHash!.toUpperCase() as never)],
      ["a category above 63", (r) => (r.anchors[0]!.category = 64)],
      [
        "a reference to an unknown contract",
        (r) => ((r.anchors[0]!.checks[0]!.refs[0] as { contract: string }).contract = "X"),
      ],
    ];
    for (const [what, spoil] of cases) {
      const r = clone(good) as Record<string, unknown> & VerificationReport;
      spoil(r);
      expect(validateJsonSchema(published, r), what).to.not.deep.equal([]);
      expect(anyReportSchema.safeParse(r).success, what).to.equal(false);
    }
  });

  it("the reduced report keeps the indication and every check's result, and names no case and no custody party", function () {
    const reduced = reduceReport(failing);
    expect(reduced.format).to.equal(REDUCED_REPORT_FORMAT);
    expect(reduced.indication).to.equal(failing.indication);
    expect(reduced.anchors[0]!.checks.map((c) => [c.check, c.result, c.subCode])).to.deep.equal(
      failing.anchors[0]!.checks.map((c) => [c.check, c.result, c.subCode]),
    );
    const text = JSON.stringify(reduced);
    expect(text).to.not.include(CASE_REF);
    for (const key of ['"caseRef"', '"memberId"', '"details"', '"refs"', '"files"', '"packageCid"']) {
      // The issuer (who signs the report) is named; no anchoring member, custodian or recipient is.
      const occurrences = text.split(key).length - 1;
      expect(occurrences, key).to.equal(key === '"memberId"' ? 1 : 0);
    }
    expect(reduced.issuer).to.deep.equal({ memberId: "2", jurisdiction: "DE" });
    // Summaries never name members (the full report keeps them in `details` only).
    const summaries = [...failing.checks, ...failing.anchors.flatMap((a) => a.checks)].map((c) => c.summary);
    expect(summaries.filter((s) => /member \d/.test(s))).to.deep.equal([]);
  });

  it("the overall indication: one failed evidence check fails all; one anchor that passes every check suffices", function () {
    const P = { result: "PASSED" as const };
    const F = { result: "FAILED" as const };
    const I = { result: "INDETERMINATE" as const };
    const pass = { indication: "TOTAL-PASSED" as const };
    const fail = { indication: "TOTAL-FAILED" as const };
    const open = { indication: "INDETERMINATE" as const };
    expect(overallIndication([P, P, P], [pass, fail])).to.equal("TOTAL-PASSED");
    expect(overallIndication([P, F, P], [pass])).to.equal("TOTAL-FAILED");
    expect(overallIndication([P, P, P], [fail, fail])).to.equal("TOTAL-FAILED");
    expect(overallIndication([P, P, P], [fail, open])).to.equal("INDETERMINATE");
    expect(overallIndication([I, I, P], [pass])).to.equal("INDETERMINATE");
    expect(overallIndication([P, P, F], [])).to.equal("TOTAL-FAILED");
    expect(overallIndication([P, P, I], [])).to.equal("INDETERMINATE");
    // A licence question's answer does not enter it.
    expect(overallIndication([P, P, P, { check: "LICENSE_AUTHORIZATION", result: "FAILED" }], [pass])).to.equal(
      "TOTAL-PASSED",
    );
  });
});
