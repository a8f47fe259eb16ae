import { expect } from "chai";
import { Role, roleMask, roleNames, type RoleName } from "../../sdk/src";

describe("SDK: role bitmasks", function () {
  it("decodes a bitmask to the role names in Role order, and back", function () {
    expect(roleNames(0x21)).to.deep.equal(["AGENCY", "GOVERNOR"]);
    expect(roleNames(2n)).to.deep.equal(["COURT"]);
    expect(roleNames(0)).to.deep.equal([]);
    expect(roleNames(0xc0 | Role.PLATFORM)).to.deep.equal(["PLATFORM"]);
    const all = Object.keys(Role) as RoleName[];
    for (let mask = 0; mask < 1 << all.length; mask++) expect(roleMask(roleNames(mask))).to.equal(mask);
  });
});
