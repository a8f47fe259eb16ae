import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { GrantType, licenceId, signLicenceRequest, toCrossproofError, toJurisdiction, type Hex } from "../../sdk/src";
import { cidOf, hashOf, licenceFixture, type LicenceFixture } from "../helpers/fixtures";

const ZERO = ethers.ZeroHash as Hex;
const POOL = ["FR", "DE", "ES", "IT", "NL", "BE", "PL", "SE"];
const OUTSIDE = ["US", "JP", "BR"];
const WORK = hashOf("property work");
const DAY = 24 * 3600;

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
  // Far enough ahead that a start moved back by up to 1,000,000 s is still after the grant's block.
  return { f, accounts, t0: now + 30 * DAY };
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
    backdated: false,
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

  describe("exclusivity", function () {
    /** Licences as the test saw them granted: the oracle's own record, not the contract's lists. */
    interface Granted {
      id: Hex;
      parent: Granted | undefined;
      /** Grant order (a counter over successful grants). */
      order: number;
      licensee: HardhatEthersSigner;
      licensor: HardhatEthersSigner;
      rights: number;
      /** Territory bitmask over TERR, or "world". */
      territories: number | "world";
      start: number;
      end: number;
      grantType: number;
      revokedAt: number | undefined;
    }
    /** Codes in all three words of the on-chain territory set (FR, DE: word 0; NL: word 1; US: word 2). */
    const TERR = ["FR", "DE", "NL", "US"];
    const overlapTerr = (a: Granted["territories"], b: Granted["territories"]) =>
      a === "world" || b === "world" || (a & b) !== 0;
    const chainOf = (l: Granted): Granted[] => (l.parent === undefined ? [l] : [...chainOf(l.parent), l]);
    /** An exclusive or sole licence binds from its start until it, or anything above it, is revoked or expires. */
    const lockEnd = (l: Granted) =>
      Math.min(...chainOf(l).map((a) => Math.min(a.end, a.revokedAt ?? Number.MAX_SAFE_INTEGER)));
    /** Whether `l`'s scope (rights, territories, term) meets `e`'s lock. */
    const meets = (
      e: Granted,
      l: { rights: number; territories: Granted["territories"]; start: number; end: number },
    ) =>
      (e.rights & l.rights) !== 0 &&
      overlapTerr(e.territories, l.territories) &&
      l.start < lockEnd(e) &&
      e.start < l.end;

    type Op =
      | {
          op: "root";
          grantType: number;
          rights: number;
          territories: number;
          worldwide: boolean;
          /** > 0: starts that many seconds after now; < 0: back-dated that far. */
          offset: number;
          duration: number;
          licensee: number;
        }
      | {
          op: "sub";
          parent: number;
          grantType: number;
          rights: number;
          territories: number;
          worldwide: boolean;
          startFrac: number;
          endFrac: number;
          licensee: number;
        }
      | { op: "revoke"; pick: number }
      | { op: "advance"; seconds: number }
      | { op: "assign"; to: number };

    const scopeArbs = {
      grantType: fc.integer({ min: 0, max: 2 }),
      rights: fc.integer({ min: 1, max: 3 }),
      territories: fc.oneof(fc.constantFrom(1, 2, 4, 8), fc.integer({ min: 1, max: 15 })),
      worldwide: fc.boolean().map((b) => b && Math.random() < 0.3),
      licensee: fc.nat({ max: 5 }),
    };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant("root" as const),
          ...scopeArbs,
          offset: fc.oneof(fc.integer({ min: 10, max: 2 * DAY }), fc.integer({ min: -2 * DAY, max: -1 })),
          duration: fc.integer({ min: 3600, max: 10 * DAY }),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant("sub" as const),
          ...scopeArbs,
          parent: fc.nat(),
          startFrac: fc.double({ min: 0, max: 0.6, noNaN: true }),
          endFrac: fc.double({ min: 0.4, max: 1, noNaN: true }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("revoke" as const), pick: fc.nat() }) },
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 2 * DAY }) }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("assign" as const), to: fc.nat({ max: 5 }) }) },
    );

    /** Refusals a random grant may meet; anything else fails the property. */
    const EXPECTED = new Set([
      "LicenceExclusiveConflict",
      "LicenceGrantTypeExceedsParent",
      "LicenceParentNotActive",
      "LicenceTermExceedsParent",
      "LicenceStartsBeforeTitle",
      "LicenceBackdatedBeforeHorizon",
      "LicenceTooManyRestrictiveGrants",
    ]);
    const stats = { granted: 0, restrictive: 0, conflicts: 0, revoked: 0 };

    async function run(ops: Op[]) {
      const { f, accounts } = await loadFixture(base);
      const people = accounts.slice(1, 7);
      let holder = f.holder;
      // Room for back-dated root licences after the registration.
      await time.increase(10 * DAY);
      const all: Granted[] = [];
      let salt = 0;

      async function tryGrant(
        licensor: HardhatEthersSigner,
        parent: Granted | undefined,
        g: Omit<Granted, "id" | "parent" | "order" | "licensor" | "revokedAt">,
        backdated: boolean,
      ) {
        const request = {
          workId: WORK,
          parentId: parent?.id ?? ZERO,
          licensor: licensor.address,
          licensee: g.licensee.address,
          rights: g.rights,
          grantType: g.grantType,
          sublicensable: true,
          start: g.start,
          backdated,
          end: g.end,
          worldwide: g.territories === "world",
          territories:
            g.territories === "world"
              ? []
              : TERR.filter((_, i) => ((g.territories as number) >> i) & 1).map(toJurisdiction),
          agreementHash: g.grantType === GrantType.NonExclusive ? ZERO : hashOf("agreement"),
          salt: hashOf(`exclusivity ${++salt}`),
          deadline: (await time.latest()) + 3600,
        };
        const signed = await signLicenceRequest(licensor, f.domain, "GrantLicence", request);
        try {
          await (await f.licences.grantLicence(signed.request, signed.signature)).wait();
        } catch (err) {
          const refused = toCrossproofError(err, [f.licences.interface], "grant");
          const revert = refused.details as { error: string; args: unknown[] } | undefined;
          if (revert === undefined || !EXPECTED.has(revert.error)) throw err;
          (stats as Record<string, number>)[revert.error] = ((stats as Record<string, number>)[revert.error] ?? 0) + 1;
          if (revert.error === "LicenceExclusiveConflict") {
            // The named licence is exclusive or sole, and the request meets its lock.
            stats.conflicts++;
            const e = all.find((x) => x.id === revert.args[0]);
            expect(e, "conflict names a licence the test granted").to.not.equal(undefined);
            expect(e!.grantType).to.not.equal(GrantType.NonExclusive);
            expect(meets(e!, g), "the request meets the named licence's lock").to.equal(true);
          }
          return;
        }
        const id = licenceId(WORK, request.parentId, licensor.address, g.licensee.address, request.salt);
        all.push({ ...g, id, parent, order: all.length, licensor, revokedAt: undefined });
        stats.granted++;
        if (g.grantType !== GrantType.NonExclusive) stats.restrictive++;
      }

      for (const o of ops) {
        const now = await time.latest();
        if (o.op === "root") {
          const start = o.offset > 0 ? now + o.offset : now + o.offset - 1;
          await tryGrant(
            holder,
            undefined,
            {
              licensee: people[o.licensee]!,
              rights: o.rights,
              territories: o.worldwide ? "world" : o.territories,
              start,
              end: Math.max(start, now + 10) + o.duration,
              grantType: o.grantType,
            },
            o.offset < 0,
          );
        } else if (o.op === "sub") {
          // A parent still in force (its ancestors may not be: then the grant is refused).
          const live = all.filter((l) => l.revokedAt === undefined && l.end > now + 11);
          if (live.length === 0) continue;
          const p = live[o.parent % live.length]!;
          const from = Math.max(p.start, now + 10);
          if (from >= p.end) continue;
          const start = from + Math.floor((p.end - from) * o.startFrac);
          const end = Math.max(start + 1, from + Math.ceil((p.end - from) * o.endFrac));
          if (end > p.end) continue;
          const territories =
            p.territories === "world"
              ? o.worldwide
                ? ("world" as const)
                : o.territories
              : p.territories & o.territories || p.territories;
          await tryGrant(
            p.licensee,
            p,
            {
              licensee: people[o.licensee]!,
              rights: p.rights & o.rights || p.rights,
              territories,
              start,
              end,
              grantType: o.grantType,
            },
            false,
          );
        } else if (o.op === "revoke" && all.length > 0) {
          const l = all[o.pick % all.length]!;
          if (l.revokedAt !== undefined) continue;
          const signed = await signLicenceRequest(l.licensor, f.domain, "RevokeLicence", {
            licenceId: l.id,
            reasonHash: ZERO,
            nonce: await f.licences.nonces(l.licensor.address),
            deadline: now + 3600,
          });
          await (await f.licences.revokeLicence(signed.request, signed.signature)).wait();
          l.revokedAt = Number((await f.licences.getLicence(l.id)).revokedAt);
          stats.revoked++;
        } else if (o.op === "advance") {
          await time.increase(o.seconds);
        } else if (o.op === "assign") {
          const to = people[o.to]!;
          if (to.address === holder.address) continue;
          const request = {
            workId: WORK,
            from: holder.address,
            to: to.address,
            agreementHash: ZERO,
            nonce: await f.licences.nonces(holder.address),
            deadline: now + 3600,
          };
          const a = await signLicenceRequest(holder, f.domain, "AssignWork", request);
          const b = await signLicenceRequest(to, f.domain, "AssignWork", request);
          await (await f.licences.assignWork(request, a.signature, b.signature)).wait();
          holder = to;
        }
      }
      return all;
    }

    it("no exclusive or sole scope is ever met outside its own chain", async function () {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40, size: "max" }), async (ops) => {
          const all = await run(ops);
          for (const l of all) {
            // Grant types only weaken down a chain.
            if (l.parent !== undefined) expect(l.grantType).to.be.at.most(l.parent.grantType);
          }
          for (const e of all) {
            if (e.grantType === GrantType.NonExclusive) continue;
            const chainE = chainOf(e);
            for (const l of all) {
              const chainL = chainOf(l);
              // Same chain (ancestor, descendant or itself): exclusivity is the licensee's own to share.
              if (chainE.includes(l) || chainL.includes(e)) continue;
              // The tops of the two paths below their deepest common ancestor (or the work).
              let k = 0;
              while (chainE[k] === chainL[k]) ++k;
              const topE = chainE[k]!;
              const topL = chainL[k]!;
              // Known limitation, as a precondition: the other path was already there when e's path was granted
              // (an exclusive grant made after overlapping non-exclusive ones is not refused).
              if (topL.order < topE.order) continue;
              expect(
                meets(e, l),
                `licence #${l.order} meets the lock of ${GrantType.Exclusive === e.grantType ? "exclusive" : "sole"} ` +
                  `licence #${e.order} outside its chain`,
              ).to.equal(false);
            }
          }
        }),
        // A failing run is shrunk for at most two minutes, then reported.
        { numRuns: 100, interruptAfterTimeLimit: 120_000 },
      );
      // The runs did exercise the rule.
      expect(stats.restrictive).to.be.greaterThan(20);
      expect(stats.conflicts).to.be.greaterThan(5);
      expect(stats.revoked).to.be.greaterThan(5);
    });
  });
});
