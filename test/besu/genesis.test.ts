import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { decodeQbftExtraData, qbftQuorum } from "../../sdk/src";
import {
  CONTRACT_SIZE_LIMIT,
  generateNetwork,
  lintGenesis,
  readCompiledContracts,
  type NetworkManifest,
} from "../../scripts/besu-network";

const root = path.resolve(__dirname, "..", "..");

describe("Besu deployment kit: generator and genesis lint", function () {
  let out: string;
  let manifest: NetworkManifest;
  let genesis: Record<string, unknown>;
  const compiled = () => readCompiledContracts(path.join(root, "artifacts"));
  const failed = (g: Record<string, unknown>, m: NetworkManifest | undefined = manifest) =>
    lintGenesis(g, compiled(), m)
      .filter((c) => !c.ok)
      .map((c) => c.check);
  const withConfig = (patch: Record<string, unknown>) => ({
    ...genesis,
    config: { ...(genesis.config as object), ...patch },
  });

  before(function () {
    out = mkdtempSync(path.join(tmpdir(), "crossproof-besu-"));
    manifest = generateNetwork({ out, countries: ["FR", "DE", "US", "ES"], validatorsPerCountry: 2 });
    genesis = JSON.parse(readFileSync(path.join(out, "genesis.json"), "utf8")) as Record<string, unknown>;
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("writes eight validators whose keys are theirs, readable by their owner only", function () {
    expect(manifest.validators.map((v) => v.name)).to.deep.equal([
      "fr-1",
      "fr-2",
      "de-1",
      "de-2",
      "us-1",
      "us-2",
      "es-1",
      "es-2",
    ]);
    for (const v of manifest.validators) {
      const keyFile = path.join(out, "nodes", v.name, "key");
      expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
      expect(new Wallet("0x" + readFileSync(keyFile, "utf8").trim()).address).to.equal(v.address);
    }
    expect(qbftQuorum(manifest.validators.length)).to.equal(6);
  });

  it("writes a QBFT genesis whose extraData lists the validators, and the lint passes it", function () {
    const config = genesis.config as Record<string, unknown>;
    expect(config).to.include({ shanghaiTime: 0, cancunTime: 0, zeroBaseFee: true, contractSizeLimit: 24576 });
    expect(config.qbft).to.deep.include({ blockperiodseconds: 2, requesttimeoutseconds: 4 });
    expect(decodeQbftExtraData(genesis.extraData as string).validators).to.deep.equal(
      manifest.validators.map((v) => v.address),
    );
    expect(failed(genesis)).to.deep.equal([]);
  });

  it("gives every node the same allowlists and every other validator as a boot node", function () {
    const perms = readFileSync(path.join(out, "permissions_config.toml"), "utf8");
    for (const v of manifest.validators) expect(perms).to.include(v.enode);
    for (const a of manifest.accounts) expect(perms).to.include(a.address);
    for (const v of manifest.validators) {
      const toml = readFileSync(path.join(out, "nodes", v.name, "config.toml"), "utf8");
      expect(toml).to.include('permissions-accounts-config-file="permissions_config.toml"');
      expect(toml).to.include('profile="ENTERPRISE"').and.include("min-gas-price=0");
      expect(toml.includes('"DEBUG"')).to.equal(v.verifierFacing);
      for (const other of manifest.validators) expect(toml.includes(other.enode)).to.equal(other.name !== v.name);
    }
  });

  it("fails a genesis whose milestones stop before the contracts' EVM version (cancun, from solc's metadata)", function () {
    expect([...compiled().evmVersions]).to.deep.equal(["cancun"]);
    const { cancunTime: _c, ...config } = genesis.config as Record<string, unknown>;
    expect(failed({ ...genesis, config })).to.deep.equal(["milestones ≥ cancun"]);
    expect(failed(withConfig({ cancunTime: 1_800_000_000 }))).to.deep.equal(["milestones ≥ cancun"]);
  });

  it("fails a base fee, another size limit, an insane gas limit, other QBFT timing", function () {
    expect(failed(withConfig({ zeroBaseFee: false }))).to.deep.equal(["zero base fee"]);
    expect(failed(withConfig({ contractSizeLimit: 2 * CONTRACT_SIZE_LIMIT }))).to.deep.equal(["contract size limit"]);
    expect(failed({ ...genesis, gasLimit: "0x47b760" })).to.deep.equal(["gas limit"]);
    expect(failed(withConfig({ qbft: { blockperiodseconds: 5, requesttimeoutseconds: 4 } }))).to.deep.equal([
      "QBFT timing",
    ]);
  });

  it("fails an extraData that is not the validators' (swapped, missing, not QBFT)", function () {
    const other = generateNetwork({
      out: path.join(out, "other"),
      countries: ["FR", "DE", "US", "ES"],
      validatorsPerCountry: 2,
    });
    const otherGenesis = JSON.parse(readFileSync(path.join(out, "other", "genesis.json"), "utf8")) as {
      extraData: string;
    };
    expect(failed({ ...genesis, extraData: otherGenesis.extraData })).to.deep.equal(["extraData validators"]);
    expect(other.validators[0]!.address).to.not.equal(manifest.validators[0]!.address);
    expect(failed({ ...genesis, extraData: "0x" + "00".repeat(32) })).to.include("extraData");
  });

  it("fails a network one country cannot be down in (three validators in one country of six)", function () {
    const lopsided = generateNetwork({
      out: path.join(out, "lopsided"),
      countries: ["FR", "DE"],
      validatorsPerCountry: 3,
    });
    const g = JSON.parse(readFileSync(path.join(out, "lopsided", "genesis.json"), "utf8")) as Record<string, unknown>;
    // Six validators, quorum 4: two may be down, but a country runs three.
    expect(failed(g, lopsided)).to.deep.equal(["one country down"]);
  });
});
