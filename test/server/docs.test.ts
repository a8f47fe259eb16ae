import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { withCurrentTable } from "../../scripts/gateway-config-doc";

describe("docs/GATEWAY.md", function () {
  it("documents every configuration variable the gateway reads (npx ts-node scripts/gateway-config-doc.ts)", function () {
    const doc = readFileSync(path.resolve(__dirname, "..", "..", "docs", "GATEWAY.md"), "utf8");
    expect(doc).to.equal(withCurrentTable(doc));
  });
});
