import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { compiledContractsFreshness } from "../../scripts/lib/freshness";

/** A project tree as Hardhat leaves it after compiling contracts/A.sol (cache, artifact, bindings). */
function compiledTree(): string {
  const root = mkdtempSync(path.join(tmpdir(), "crossproof-freshness-"));
  const source = path.join(root, "contracts", "A.sol");
  mkdirSync(path.dirname(source), { recursive: true });
  writeFileSync(source, "contract A {}\n");
  writeFileSync(path.join(root, "hardhat.config.ts"), "export default {};\n");
  mkdirSync(path.join(root, "artifacts", "contracts", "A.sol"), { recursive: true });
  writeFileSync(path.join(root, "artifacts", "contracts", "A.sol", "A.json"), "{}");
  mkdirSync(path.join(root, "sdk", "src", "typechain"), { recursive: true });
  writeFileSync(path.join(root, "sdk", "src", "typechain", "index.ts"), "export {};\n");
  const solc = (JSON.parse(readFileSync(require.resolve("solc/package.json"), "utf8")) as { version: string }).version;
  mkdirSync(path.join(root, "cache"));
  const cache = {
    _format: "hh-sol-cache-2",
    files: {
      [source]: {
        lastModificationDate: Date.now(),
        contentHash: createHash("md5").update("contract A {}\n").digest("hex"),
        sourceName: "contracts/A.sol",
        solcConfig: { version: solc, settings: {} },
        imports: [],
        versionPragmas: [],
        artifacts: ["A"],
      },
    },
  };
  writeFileSync(path.join(root, "cache", "solidity-files-cache.json"), JSON.stringify(cache));
  // Configured a minute before the compilation, compiled half a minute ago.
  const configured = new Date(Date.now() - 60_000);
  const compiled = new Date(Date.now() - 30_000);
  utimesSync(path.join(root, "hardhat.config.ts"), configured, configured);
  utimesSync(path.join(root, "cache", "solidity-files-cache.json"), compiled, compiled);
  return root;
}

describe("npm start compiles only stale contracts (scripts/lib/freshness.ts)", function () {
  let root: string;
  beforeEach(() => (root = compiledTree()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("finds a compiled tree current, even with a source touched but unchanged", function () {
    expect(compiledContractsFreshness(root)).to.deep.equal({ current: true });
    const now = new Date();
    utimesSync(path.join(root, "contracts", "A.sol"), now, now);
    expect(compiledContractsFreshness(root)).to.deep.equal({ current: true });
  });

  it("finds it stale when a source changed, appeared or disappeared", function () {
    writeFileSync(path.join(root, "contracts", "A.sol"), "contract A { uint x; }\n");
    expect(compiledContractsFreshness(root)).to.deep.equal({ current: false, reason: "contracts/A.sol changed" });
    writeFileSync(path.join(root, "contracts", "A.sol"), "contract A {}\n");
    writeFileSync(path.join(root, "contracts", "B.sol"), "contract B {}\n");
    expect(compiledContractsFreshness(root).reason).to.equal("contracts/B.sol not compiled yet");
    rmSync(path.join(root, "contracts"), { recursive: true });
    expect(compiledContractsFreshness(root).reason).to.equal("contracts/A.sol removed");
  });

  it("finds it stale when an artifact, the bindings or the cache are missing, or the configuration changed", function () {
    rmSync(path.join(root, "artifacts"), { recursive: true });
    expect(compiledContractsFreshness(root).reason).to.equal("artifact contracts/A.sol:A missing");
    rmSync(path.join(root, "sdk", "src", "typechain"), { recursive: true });
    expect(compiledContractsFreshness(root)).to.deep.equal({
      current: false,
      reason: "no typechain bindings",
      bindingsMissing: true,
    });
    const other = compiledTree();
    try {
      writeFileSync(path.join(other, "hardhat.config.ts"), "export default { changed: true };\n");
      expect(compiledContractsFreshness(other).reason).to.equal("hardhat.config.ts changed");
      rmSync(path.join(other, "cache"), { recursive: true });
      expect(compiledContractsFreshness(other).reason).to.equal("never compiled");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
