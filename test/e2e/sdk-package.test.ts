import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConsortiumConfig } from "../../sdk/src";
import { concludeConfiguredAgreements } from "../../scripts/lib/agreements";
import {
  type RunningAnvil,
  ANVIL_MNEMONIC,
  devAccount,
  devAccountFor,
  freePort,
  localProvider,
  startAnvil,
} from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { runDemo } from "../../scripts/lib/demo";
import { writeOfflineProject } from "../helpers/offline-install";
import { HDNodeWallet, Mnemonic } from "ethers";

const root = path.resolve(__dirname, "..", "..");

/** Builds the SDK and packs it as a partner would receive it (`npm pack`): the tarball's path. */
function packSdk(into: string): string {
  execFileSync("npx", ["tsc", "-p", "sdk/tsconfig.build.json"], { cwd: root, stdio: "pipe" });
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", into], {
    cwd: path.join(root, "sdk"),
    stdio: "pipe",
  });
  const tarball = readdirSync(into).find((f) => /^crossproof-sdk-.*\.tgz$/.test(f));
  if (tarball === undefined) throw new Error("npm pack wrote no tarball");
  return path.join(into, tarball);
}

describe("the packed SDK (@crossproof/sdk), installed in an empty project", function () {
  this.timeout(300_000);
  let dir: string;
  let project: string;
  let tarball: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-sdk-package-"));
    project = path.join(dir, "partner");
    mkdirSync(project);
    tarball = packSdk(dir);
    copyFileSync(tarball, path.join(project, path.basename(tarball)));
    writeOfflineProject({
      dir: project,
      tarball: path.join(project, path.basename(tarball)),
      rootLock: path.join(root, "package-lock.json"),
      name: "partner-agency",
      alsoDependOn: ["ethers"],
      registry: execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim().replace(/\/?$/, "/"),
    });
    // Offline: every package comes from the npm cache this repository's own install filled.
    execFileSync("npm", ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: project, stdio: "pipe" });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("carries built JavaScript, type declarations and the contract bindings, and nothing from outside sdk/", function () {
    const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(listing).to.include("package/dist/public.js");
    expect(listing).to.include("package/dist/public.d.ts");
    expect(listing).to.include("package/README.md");
    expect(listing).to.include("package/dist/browser.js");
    expect(listing).to.include("package/dist/typechain/factories/contracts/EvidenceRegistry__factory.js");
    expect(listing.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
    // Every require of the built code names a dependency of the package or a file inside it.
    const requires = execFileSync(
      "node",
      [
        "-e",
        `const fs=require("fs"),p=require("path");const out=new Set();const walk=d=>{for(const f of fs.readdirSync(d)){const x=p.join(d,f);if(fs.statSync(x).isDirectory())walk(x);else if(x.endsWith(".js"))for(const m of fs.readFileSync(x,"utf8").matchAll(/(?:require|import)\\("([^"]+)"\\)/g))out.add(m[1].startsWith(".")?"relative":m[1]);}};walk("node_modules/@crossproof/sdk/dist");console.log(JSON.stringify([...out].sort()))`,
      ],
      { cwd: project, encoding: "utf8" },
    );
    const pkg = JSON.parse(readFileSync(path.join(root, "sdk", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
    for (const m of JSON.parse(requires) as string[]) {
      if (m === "relative" || m.startsWith("node:")) continue;
      const name = m.startsWith("@") ? m.split("/").slice(0, 2).join("/") : m.split("/")[0]!;
      expect(allowed.has(name), `${m} is required by the built SDK but not a dependency`).to.equal(true);
    }
  });

  it("exports a curated root and sub-paths, from CommonJS and from ES modules", function () {
    const probe = (code: string, type: "commonjs" | "module") =>
      execFileSync("node", ["--input-type", type, "-e", code], { cwd: project, encoding: "utf8" }).trim();
    expect(
      probe(
        `const s = require("@crossproof/sdk"); console.log([typeof s.connect, typeof s.verifyEvidence, typeof s.verifyReport, typeof s.CrossproofError].join())`,
        "commonjs",
      ),
    ).to.equal("function,function,function,function");
    // The root is curated: low-level pieces are sub-path exports.
    expect(
      probe(
        `const s = require("@crossproof/sdk"); const st = require("@crossproof/sdk/store"); console.log([typeof s.computeDirectoryCid, typeof s.decodeEvents, typeof st.computeDirectoryCid].join())`,
        "commonjs",
      ),
    ).to.equal("undefined,undefined,function");
    expect(
      probe(
        `import { connect } from "@crossproof/sdk"; import { verifyReport } from "@crossproof/sdk/report"; import { EvidenceRegistry__factory } from "@crossproof/sdk/contracts"; console.log([typeof connect, typeof verifyReport, EvidenceRegistry__factory.abi.length > 0].join())`,
        "module",
      ),
    ).to.equal("function,function,true");
  });

  describe("against a running chain (Anvil, the demo consortium, the demo's evidence)", function () {
    let anvil: RunningAnvil;
    before(async () => {
      anvil = await startAnvil({ port: await freePort() });
    });
    after(async () => {
      await anvil.stop();
    });

    it("verifies the demo's evidence with every check PASSED and a signed report checked online and offline", async function () {
      const provider = localProvider(anvil.url);
      const config = loadConsortiumConfig(path.join(root, "config", "demo-consortium.json"));
      const deploymentFile = path.join(dir, "deployment.json");
      const { record } = await deployCrossproof({ signer: devAccount(0, provider), config, deploymentFile });
      await concludeConfiguredAgreements({
        provider,
        relayer: devAccount(0, provider),
        record,
        config,
        keyFor: (a) => devAccountFor(a, provider),
      });
      const demo = await runDemo({ provider, deployment: record, workDir: path.join(dir, "demo") });
      provider.destroy();

      const key = (i: number) =>
        HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey;
      const input = path.join(dir, "input.json");
      writeFileSync(
        input,
        JSON.stringify({
          rpcUrl: anvil.url,
          deploymentFile,
          storeDir: demo.storeDir,
          packageCid: demo.packageCid,
          courtRecipientKey: demo.courtRecipientKey,
          courtSigningKey: key(2),
          courtMemberId: 2,
          relayerKey: key(5),
          anchoredBy: 1,
        }),
      );
      copyFileSync(
        path.join(root, "sdk", "examples", "verify-demo-evidence.cjs"),
        path.join(project, "verify-demo.cjs"),
      );
      const out = JSON.parse(
        execFileSync("node", ["verify-demo.cjs", input], { cwd: project, encoding: "utf8", timeout: 120_000 }),
      ) as {
        indication: string;
        contentHash: string;
        checks: [string, string][];
        anchors: { recordId: string; memberId: string; jurisdiction: string }[];
        online: string;
        offline: string;
        forged: string;
      };
      expect(out.contentHash).to.equal(demo.contentHash);
      expect(out.anchors).to.deep.equal([{ recordId: demo.recordId, memberId: "1", jurisdiction: "FR" }]);
      expect(out.checks.filter(([, result]) => result !== "PASSED")).to.deep.equal([]);
      expect(out.checks.map(([check]) => check)).to.include.members([
        "MANIFEST_HASH",
        "FILE_HASHES",
        "ANCHOR_FOUND",
        "SIGNER_VALID",
        "CUSTODY",
        "RECOGNITION",
        "ASSURANCE",
      ]);
      expect(out.indication).to.equal("TOTAL-PASSED");
      expect(out.online).to.equal("chain");
      expect(out.offline).to.equal("key-set");
      expect(out.forged).to.equal("REPORT_SIGNATURE_INVALID");
    });
  });
});
