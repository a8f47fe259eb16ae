/**
 * Writes the published JSON Schema of the verification report, generated from the SDK's zod schemas
 * (`sdk/src/report.ts`): `npx ts-node --transpile-only scripts/report-schema.ts`, then `npx prettier --write
 * docs/schemas`. A test fails when the committed file and the zod schemas disagree.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { verificationReportJsonSchema } from "../sdk/src/report";

export const REPORT_SCHEMA_PATH = path.join(__dirname, "..", "docs", "schemas", "verification-report.schema.json");

if (require.main === module) {
  mkdirSync(path.dirname(REPORT_SCHEMA_PATH), { recursive: true });
  writeFileSync(REPORT_SCHEMA_PATH, `${JSON.stringify(verificationReportJsonSchema(), null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), REPORT_SCHEMA_PATH)}`);
}
