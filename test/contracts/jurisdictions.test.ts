import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../helpers/load-fixture";
import { iso31661 } from "iso-3166";
import { isJurisdictionCode, toJurisdiction } from "../../sdk/src";
import type { JurisdictionsHarness } from "../../sdk/src/typechain";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** All 676 two-letter codes "AA".."ZZ". */
const ALL_CODES = [...LETTERS].flatMap((a) => [...LETTERS].map((b) => a + b));
/** The officially assigned codes, from an independent implementation (the `iso-3166` package). */
const ASSIGNED = new Set(iso31661.map((c) => c.alpha2));

const asBytes2 = (s: string) => `0x${Buffer.from(s, "latin1").toString("hex")}`;

async function harnessFixture(): Promise<{ harness: JurisdictionsHarness }> {
  return { harness: (await ethers.deployContract("JurisdictionsHarness")) as unknown as JurisdictionsHarness };
}

describe("Jurisdictions (ISO 3166-1 alpha-2)", function () {
  it("the iso-3166 package lists the 249 officially assigned codes", function () {
    expect(iso31661.length).to.equal(249);
    expect(ASSIGNED.size).to.equal(249);
    expect(iso31661.every((c) => c.state === "assigned")).to.equal(true);
  });

  it("the contract's bitmap agrees with the iso-3166 list for all 676 two-letter codes", async function () {
    const { harness } = await loadFixture(harnessFixture);
    const answers = await Promise.all(ALL_CODES.map((c) => harness.isValid(asBytes2(c))));
    const disagreements = ALL_CODES.filter((c, i) => answers[i] !== ASSIGNED.has(c));
    expect(disagreements).to.deep.equal([]);
    expect(answers.filter((a) => a).length).to.equal(249);
  });

  it("the SDK's isJurisdictionCode agrees for all 676 two-letter codes", function () {
    const disagreements = ALL_CODES.filter((c) => isJurisdictionCode(c) !== ASSIGNED.has(c));
    expect(disagreements).to.deep.equal([]);
  });

  it("gives the known answers for codes that are easily confused", async function () {
    const { harness } = await loadFixture(harnessFixture);
    const known: Record<string, boolean> = {
      FR: true,
      DE: true,
      SS: true, // South Sudan (2011)
      BQ: true, // Bonaire, Sint Eustatius and Saba (2010)
      CW: true,
      SX: true,
      AQ: true, // Antarctica
      AX: true,
      XK: false, // Kosovo: user-assigned, not official
      EU: false, // exceptionally reserved
      UK: false, // exceptionally reserved (GB is assigned)
      AN: false, // transitionally reserved (Netherlands Antilles)
      CS: false,
      XX: false,
      ZZ: false,
      AA: false,
    };
    for (const [code, assigned] of Object.entries(known)) {
      expect(await harness.isValid(asBytes2(code)), code).to.equal(assigned);
      expect(isJurisdictionCode(code), code).to.equal(assigned);
    }
  });

  it("rejects lower-case and non-letter codes, on chain and in the SDK", async function () {
    const { harness } = await loadFixture(harnessFixture);
    for (const code of ["fr", "Fr", "fR", "de"]) {
      expect(await harness.isValid(asBytes2(code)), code).to.equal(false);
      expect(await harness.isWellFormed(asBytes2(code)), code).to.equal(false);
      expect(isJurisdictionCode(code), code).to.equal(false);
    }
    // The bytes just outside 'A'..'Z' on both sides, digits, and the zero and all-ones values.
    for (const hex of ["0x4046", "0x5b46", "0x4640", "0x465b", "0x4631", "0x3146", "0x0000", "0xffff", "0x46c0"]) {
      expect(await harness.isValid(hex), hex).to.equal(false);
      expect(await harness.isWellFormed(hex), hex).to.equal(false);
    }
    expect(await harness.isWellFormed(asBytes2("XX"))).to.equal(true);
    expect(await harness.isValidOrUnset("0x0000")).to.equal(true);
    expect(await harness.isValidOrUnset(asBytes2("FR"))).to.equal(true);
    expect(await harness.isValidOrUnset(asBytes2("XX"))).to.equal(false);
    for (const code of ["FRA", "F", "", " FR", "FR "]) expect(isJurisdictionCode(code), code).to.equal(false);
    expect(() => toJurisdiction("fr")).to.throw(/not an assigned ISO 3166-1 alpha-2 code/);
    expect(toJurisdiction("FR")).to.equal("0x4652");
  });
});
