import { expect } from "chai";
import { artifacts } from "hardhat";

/** EIP-170: the most bytes of deployed code a contract may have (mainnet rule, and Besu's default). */
const EIP170_LIMIT = 24_576;

describe("contract size (EIP-170)", function () {
  it(`keeps every compiled contract's deployed bytecode within ${EIP170_LIMIT} bytes`, async function () {
    const names = (await artifacts.getAllFullyQualifiedNames()).filter((n) => n.startsWith("contracts/"));
    const sizes: { contract: string; bytes: number }[] = [];
    for (const name of names) {
      const { deployedBytecode } = await artifacts.readArtifact(name);
      const bytes = (deployedBytecode.length - 2) / 2;
      // Interfaces and abstract contracts have no code.
      if (bytes > 0) sizes.push({ contract: name, bytes });
    }
    sizes.sort((a, b) => b.bytes - a.bytes);
    for (const s of sizes) {
      console.log(
        `      ${s.bytes.toString().padStart(6)} B  ${((100 * s.bytes) / EIP170_LIMIT).toFixed(1).padStart(5)}%  ${s.contract}`,
      );
    }
    expect(sizes.length, "no compiled contracts found").to.be.greaterThan(0);
    for (const name of ["Consortium", "ConsortiumGovernance", "RecognitionAgreements"]) {
      expect(
        sizes.some((s) => s.contract.endsWith(`:${name}`)),
        name,
      ).to.equal(true);
    }
    expect(sizes.filter((s) => s.bytes > EIP170_LIMIT)).to.deep.equal([]);
  });
});
