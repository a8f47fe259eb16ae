import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { GrantType, licenceId, signLicenceRequest, toJurisdiction, type Hex } from "../../sdk/src";
import { cidOf, hashOf, licenceFixture, type LicenceFixture } from "../helpers/fixtures";

const ZERO = ethers.ZeroHash as Hex;
const POOL = ["FR", "DE", "ES", "IT", "NL", "BE", "PL", "SE"];
const OUTSIDE = ["US", "JP", "BR"];
const WORK = hashOf("property work");

interface Scope {
  rights: number;
  territories: string[];
  start: number;
  end: number;
}

interface Step {
  rightsMask: number;
  territoryMask: number;
  startFrac: number;
  endFrac: number;
}

/** One allowed step down the chain, driven by random numbers. */
const step: fc.Arbitrary<Step> = fc.record({
  rightsMask: fc.integer({ min: 1, max: 63 }),
  territoryMask: fc.integer({ min: 1, max: 255 }),
  startFrac: fc.double({ min: 0, max: 0.49, noNaN: true }),
  endFrac: fc.double({ min: 0.51, max: 1, noNaN: true }),
});

function narrow(parent: Scope, s: Step): Scope {
  const rights = parent.rights & s.rightsMask || parent.rights & -parent.rights;
  const kept = parent.territories.filter((_, i) => (s.territoryMask >> i) & 1);
  const span = parent.end - parent.start;
  const start = parent.start + Math.floor(span * s.startFrac);
  const end = Math.max(start + 1, parent.start + Math.floor(span * s.endFrac));
  return { rights, territories: kept.length > 0 ? kept : [parent.territories[0]!], start, end };
}

async function base() {
  const f = await licenceFixture();
  const now = await time.latest();
  const signed = await signLicenceRequest(f.holder, f.domain, "RegisterWork", {
    contentHash: WORK,
    fingerprintHash: ZERO,
    rightsHolder: f.holder.address,
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cidOf("m"),
    deadline: now + 3600,
  });
  await f.licences.registerWork(signed.request, signed.signature);
  const accounts = (await ethers.getSigners()).slice(6, 16);
  return { f, accounts, t0: now + 100 };
}

let counter = 0;
async function grantScope(f: LicenceFixture, by: HardhatEthersSigner, to: string, parentId: Hex, s: Scope) {
  const request = {
    workId: WORK,
    parentId,
    licensor: by.address,
    licensee: to,
    rights: s.rights,
    grantType: GrantType.NonExclusive,
    sublicensable: true,
    start: s.start,
    end: s.end,
    worldwide: false,
    territories: s.territories.map(toJurisdiction),
    agreementHash: ZERO,
    salt: hashOf(`salt ${++counter}`),
    deadline: (await time.latest()) + 3600,
  };
  const signed = await signLicenceRequest(by, f.domain, "GrantLicence", request);
  const id = licenceId(WORK, parentId, by.address, to, request.salt);
  return {
    id,
    /** Sends the request (on each access). */
    get tx() {
      return f.licences.grantLicence(signed.request, signed.signature);
    },
  };
}

/** Builds the chain; returns the leaf's id, scope and licensee. */
async function buildChain(steps: Step[]) {
  const { f, accounts, t0 } = await loadFixture(base);
  let scope: Scope = { rights: 63, territories: POOL, start: t0, end: t0 + 10 * 365 * 24 * 3600 };
  let parent = ZERO;
  let licensor = f.holder;
  for (let i = 0; i < steps.length; ++i) {
    scope = i === 0 ? { ...scope, rights: steps[0]!.rightsMask } : narrow(scope, steps[i]!);
    const g = await grantScope(f, licensor, accounts[i]!.address, parent, scope);
    await (await g.tx).wait();
    parent = g.id;
    licensor = accounts[i]!;
  }
  return { f, leaf: parent, scope, leafHolder: licensor, accounts };
}

describe("LicenseRegistry (property-based)", function () {
  this.timeout(600_000);

  it("a chain built only by allowed steps always verifies inside the leaf's scope", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        async (steps, rightPick, territoryPick, timeFrac) => {
          const { f, leaf, scope } = await buildChain(steps);
          const bits = [0, 1, 2, 3, 4, 5].filter((b) => (scope.rights >> b) & 1);
          const right = 1 << bits[rightPick % bits.length]!;
          const territory = scope.territories[territoryPick % scope.territories.length]!;
          const t = scope.start + Math.floor((scope.end - scope.start) * timeFrac);
          const [reason, failedAt] = await f.licences.verifyAuthorization(leaf, right, toJurisdiction(territory), t);
          expect([reason, failedAt]).to.deep.equal([0n, ZERO]);
          // And outside the scope it never verifies.
          const [outside] = await f.licences.verifyAuthorization(leaf, right, toJurisdiction("US"), t);
          expect(outside).to.equal(6n);
          const [late] = await f.licences.verifyAuthorization(leaf, right, toJurisdiction(territory), scope.end);
          expect(late).to.equal(3n);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("any single widening step is refused with its own error", async function () {
    const widening = fc.oneof(
      fc.constant("rights" as const),
      fc.constant("territory" as const),
      fc.constant("start" as const),
      fc.constant("end" as const),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 4 }),
        widening,
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat(),
        async (steps, kind, by, pick) => {
          const { f, leaf, scope, leafHolder, accounts } = await buildChain(steps);
          const missing = [0, 1, 2, 3, 4, 5].filter((b) => !((scope.rights >> b) & 1));
          const child: Scope = { ...scope };
          let error: string;
          if (kind === "rights" && missing.length > 0) {
            child.rights = scope.rights | (1 << missing[pick % missing.length]!);
            error = "LicenceRightsExceedParent";
          } else if (kind === "territory" || kind === "rights") {
            child.territories = [...scope.territories, OUTSIDE[pick % OUTSIDE.length]!];
            error = "LicenceTerritoryExceedsParent";
          } else if (kind === "start") {
            child.start = scope.start - by;
            error = "LicenceTermExceedsParent";
          } else {
            child.end = scope.end + by;
            error = "LicenceTermExceedsParent";
          }
          const g = await grantScope(f, leafHolder, accounts[9]!.address, leaf, child);
          await expect(g.tx).to.be.revertedWithCustomError(f.licences, error);
          // The same step without the widening is accepted.
          const ok = await grantScope(f, leafHolder, accounts[9]!.address, leaf, scope);
          await expect(ok.tx).to.emit(f.licences, "LicenceGranted");
        },
      ),
      { numRuns: 20 },
    );
  });
});
