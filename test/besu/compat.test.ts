import { expect } from "chai";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { CONTRACT_SIZE_LIMIT, readCompiledContracts } from "../../scripts/besu-network";

const root = path.resolve(__dirname, "..", "..");

/** The TypeScript files of the code paths that run against a consortium's Besu nodes. */
function productionFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      if (name === "typechain" || name === "node_modules") return [];
      return statSync(file).isDirectory() ? walk(file) : file.endsWith(".ts") ? [file] : [];
    });
  return [
    ...walk(path.join(root, "sdk", "src")),
    ...walk(path.join(root, "server", "src")),
    ...["deploy.ts", "lib/deploy.ts", "lib/agreements.ts"].map((f) => path.join(root, "scripts", f)),
  ];
}

/** Occurrences of a pattern in the production files' code (comments left out), as "file: text". */
function occurrences(pattern: RegExp): string[] {
  return productionFiles().flatMap((file) => {
    const code = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    return [...code.matchAll(pattern)].map((m) => `${path.relative(root, file)}: ${m[0]}`);
  });
}

describe("Besu compatibility rules, checked on the code", function () {
  it("every contract is compiled for cancun (solc metadata) and fits Besu's contract size limit", function () {
    const compiled = readCompiledContracts(path.join(root, "artifacts"));
    expect([...compiled.evmVersions]).to.deep.equal(["cancun"]);
    expect(compiled.sizes.length).to.be.greaterThan(5);
    expect(compiled.sizes.filter((s) => s.bytes > CONTRACT_SIZE_LIMIT)).to.deep.equal([]);
  });

  it("no development method (anvil_, evm_, hardhat_) in the SDK, the gateway or the deploy scripts", function () {
    expect(occurrences(/["'`](anvil|evm|hardhat)_\w+["'`]/g)).to.deep.equal([]);
  });

  it('no "finalized" or "safe" block tag: QBFT answers them with "Unknown block"', function () {
    expect(occurrences(/["'`](finalized|safe)["'`]/g)).to.deep.equal([]);
  });

  it("no node-side signing: Besu holds no accounts (eth_sendTransaction, eth_sign…)", function () {
    expect(occurrences(/["'`](eth_sendTransaction|eth_sign\w*|personal_\w+)["'`]/g)).to.deep.equal([]);
  });
});
