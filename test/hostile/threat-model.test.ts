/** docs/THREAT-MODEL.md names the test behind each control: every file it names exists and holds every test it names. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";

const root = path.resolve(__dirname, "..", "..");

describe("docs/THREAT-MODEL.md: the tests it cites exist", function () {
  it("names only test files that exist and test names those files hold", function () {
    const doc = readFileSync(path.join(root, "docs", "THREAT-MODEL.md"), "utf8");
    const cited: { file: string; name: string }[] = [];
    for (const line of doc.split("\n").filter((l) => l.startsWith("|"))) {
      let file: string | undefined;
      for (const m of line.matchAll(/(test\/[\w/.-]+\.test\.ts)|"([^"]+)"/g)) {
        if (m[1] !== undefined) file = m[1];
        else if (file !== undefined) cited.push({ file, name: m[2]! });
      }
    }
    expect(cited.length).to.be.greaterThan(40);
    for (const { file, name } of cited) {
      expect(existsSync(path.join(root, file)), file).to.equal(true);
      const source = readFileSync(path.join(root, file), "utf8");
      // A name cut short with "…" is a prefix of the test's name.
      const text = name.endsWith("…") ? name.slice(0, -1) : `${name}"`;
      expect(source.includes(`"${text}`), `${file} › "${name}"`).to.equal(true);
    }
  });
});
