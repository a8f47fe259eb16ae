import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { Signer } from "ethers";
import {
  LicenceClient,
  isCrossproofError,
  Role,
  contractDomain,
  parseConsortiumConfig,
  signLicenceRequest,
  toJurisdiction,
  uploaderAccountHash,
  type Hex,
  type LinkAccountRequest,
} from "../../sdk/src";
import type { LicenseRegistry } from "../../sdk/src/typechain";
import { cidOf, deployConsortium, hashOf } from "../helpers/fixtures";

const WORK = hashOf("the work");

/** Awaits a promise that must fail with an INVALID_ARGUMENT CrossproofError whose message matches `message`. */
async function refused(p: Promise<unknown>, message: RegExp) {
  await p.then(
    () => expect.fail("accepted"),
    (err: unknown) => {
      expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true);
      expect(String(err)).to.match(message);
    },
  );
}
const ACCOUNT = uploaderAccountHash("user-8841", { pepper: "0x" + "11".repeat(32) });
const OTHER_ACCOUNT = uploaderAccountHash("user-8842", { pepper: "0x" + "11".repeat(32) });
/** Member ids, in founding order. */
const US_PLATFORM = 2n;
const DE_PLATFORM = 3n;
const FR_AGENCY = 1n;

/** Two platforms (so one can try to confirm for the other), an agency, and plain accounts. */
async function fixture() {
  const [deployer, frAgency, usPlatform, dePlatform, holder, licensee, mallory, newHolder] = await ethers.getSigners();
  const config = parseConsortiumConfig({
    name: "accounts test consortium",
    quorum: { numerator: 1, denominator: 1 },
    votingPeriodSeconds: 7 * 24 * 3600,
    founders: [
      { name: "FR agency", jurisdiction: "FR", roles: ["AGENCY", "GOVERNOR"], key: frAgency!.address },
      { name: "US platform", jurisdiction: "US", roles: ["PLATFORM"], key: usPlatform!.address },
      { name: "DE platform", jurisdiction: "DE", roles: ["PLATFORM"], key: dePlatform!.address },
    ],
  });
  const { consortium, consortiumId } = await deployConsortium(deployer!, config);
  const licences = (await ethers.deployContract("LicenseRegistry", [
    await consortium.getAddress(),
  ])) as unknown as LicenseRegistry;
  const { chainId } = await ethers.provider.getNetwork();
  const domain = contractDomain("LicenseRegistry", chainId, await licences.getAddress(), consortiumId);
  const registered = await signLicenceRequest(holder!, domain, "RegisterWork", {
    contentHash: WORK,
    fingerprintHash: hashOf("fingerprint"),
    rightsHolder: holder!.address,
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cidOf("metadata"),
    deadline: (await time.latest()) + 3600,
  });
  await (await licences.registerWork(registered.request, registered.signature)).wait();
  return {
    deployer: deployer!,
    frAgency: frAgency!,
    usPlatform: usPlatform!,
    dePlatform: dePlatform!,
    holder: holder!,
    licensee: licensee!,
    mallory: mallory!,
    newHolder: newHolder!,
    licences,
    domain,
  };
}
type Fixture = Awaited<ReturnType<typeof fixture>>;

async function linkRequest(f: Fixture, o: Partial<LinkAccountRequest> = {}): Promise<LinkAccountRequest> {
  const licensee = o.licensee ?? f.licensee.address;
  return {
    licensee,
    platform: US_PLATFORM,
    accountHash: ACCOUNT,
    nonce: await f.licences.nonces(licensee),
    deadline: (await time.latest()) + 3600,
    ...o,
  };
}

/** The request signed by `licensee` and confirmed by `confirmer`. */
async function signedLink(f: Fixture, request: LinkAccountRequest, licensee: Signer, confirmer: Signer) {
  const a = await signLicenceRequest(licensee, f.domain, "LinkAccount", request);
  const b = await signLicenceRequest(confirmer, f.domain, "LinkAccount", request);
  return { request, licenseeSignature: a.signature, platformSignature: b.signature };
}

async function link(f: Fixture, s: Awaited<ReturnType<typeof signedLink>>) {
  return f.licences.connect(f.deployer).linkAccount(s.request, s.licenseeSignature, s.platformSignature);
}

async function unlink(f: Fixture, signer: Signer, o: { platform?: bigint; accountHash?: Hex; nonceOf?: string } = {}) {
  const signed = await signLicenceRequest(signer, f.domain, "UnlinkAccount", {
    platform: o.platform ?? US_PLATFORM,
    accountHash: o.accountHash ?? ACCOUNT,
    nonce: await f.licences.nonces(o.nonceOf ?? (await signer.getAddress())),
    deadline: (await time.latest()) + 3600,
  });
  return { signed, tx: () => f.licences.unlinkAccount(signed.request, signed.signature) };
}

describe("LicenseRegistry: uploader accounts", function () {
  describe("linking", function () {
    it("records the link the licensee signed and its platform confirmed, with the confirming key", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform);
      await expect(link(f, s))
        .to.emit(f.licences, "AccountLinked")
        .withArgs(US_PLATFORM, ACCOUNT, f.licensee.address, f.usPlatform.address);
      const stored = await f.licences.accountLink(US_PLATFORM, ACCOUNT);
      expect(stored.licensee).to.equal(f.licensee.address);
      expect(stored.linkedAt).to.equal(BigInt(await time.latest()));
      // The same account id on another platform is another account.
      expect((await f.licences.accountLink(DE_PLATFORM, ACCOUNT)).licensee).to.equal(ethers.ZeroAddress);
    });

    it("through the SDK: the licensee asks, the platform confirms, anyone submits", async function () {
      const f = await loadFixture(fixture);
      const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
      const asked = await client.signLinkAccount(f.licensee, { platform: US_PLATFORM, accountHash: ACCOUNT });
      // The platform confirms only for itself.
      await refused(
        client.confirmAccountLink(f.dePlatform, asked, { platformMemberId: DE_PLATFORM }),
        /names platform 2, not 3/,
      );
      const confirmed = await client.confirmAccountLink(f.usPlatform, asked, { platformMemberId: US_PLATFORM });
      const result = await (await client.submit(confirmed, f.deployer)).wait();
      expect(result).to.deep.include({
        platform: US_PLATFORM,
        accountHash: ACCOUNT,
        licensee: f.licensee.address,
        confirmedBy: f.usPlatform.address,
      });
      expect(await client.getAccountLink(US_PLATFORM, ACCOUNT)).to.deep.include({ licensee: f.licensee.address });
      const unlinked = await (
        await client.submit(
          await client.signUnlinkAccount(f.licensee, { platform: 2, accountHash: ACCOUNT }),
          f.deployer,
        )
      ).wait();
      expect(unlinked).to.deep.include({ licensee: f.licensee.address, unlinkedBy: f.licensee.address });
      expect((await client.getAccountLink(US_PLATFORM, ACCOUNT)).licensee).to.equal(undefined);
    });

    it("accepts a contract wallet (EIP-1271) as the licensee", async function () {
      const f = await loadFixture(fixture);
      const wallet = await ethers.deployContract("TestContractWallet", [f.licensee.address]);
      const s = await signedLink(
        f,
        await linkRequest(f, { licensee: await wallet.getAddress() }),
        f.licensee,
        f.usPlatform,
      );
      await expect(link(f, s)).to.emit(f.licences, "AccountLinked");
    });

    it("attack: Mallory links an account to a licensee who never signed", async function () {
      const f = await loadFixture(fixture);
      // Mallory signs in the licensee's name, and even gets a (careless) platform confirmation.
      const s = await signedLink(f, await linkRequest(f), f.mallory, f.usPlatform);
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.licensee.address);
    });

    it("attack: Mallory claims an account without the platform's confirmation", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f, { licensee: f.mallory.address }), f.mallory, f.mallory);
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "SignedRequestUnauthorizedSigner")
        .withArgs(f.mallory.address);
    });

    it("attack: a confirmation cannot be moved to another account (it signs the account hash)", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f, { licensee: f.mallory.address }), f.mallory, f.usPlatform);
      const moved = await signLicenceRequest(f.mallory, f.domain, "LinkAccount", {
        ...s.request,
        accountHash: OTHER_ACCOUNT,
      });
      // The platform's signature now recovers to some key that is no member's.
      await expect(
        f.licences.linkAccount(moved.request, moved.signature, s.platformSignature),
      ).to.be.revertedWithCustomError(f.licences, "SignedRequestUnauthorizedSigner");
    });

    it("attack: a platform confirms an account on another platform", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f), f.licensee, f.dePlatform);
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "LicenceAccountWrongPlatform")
        .withArgs(US_PLATFORM, DE_PLATFORM);
    });

    it("attack: a member that is not a platform confirms", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f), f.licensee, f.frAgency);
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "SignedRequestMissingRole")
        .withArgs(FR_AGENCY, Role.PLATFORM);
    });

    it("attack: Mallory takes over an account already linked", async function () {
      const f = await loadFixture(fixture);
      await link(f, await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform));
      const s = await signedLink(f, await linkRequest(f, { licensee: f.mallory.address }), f.mallory, f.usPlatform);
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "LicenceAccountAlreadyLinked")
        .withArgs(US_PLATFORM, ACCOUNT, f.licensee.address);
    });

    it("attack: replaying a link after it was ended", async function () {
      const f = await loadFixture(fixture);
      const s = await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform);
      await link(f, s);
      await (await (await unlink(f, f.usPlatform)).tx()).wait();
      await expect(link(f, s))
        .to.be.revertedWithCustomError(f.licences, "InvalidAccountNonce")
        .withArgs(f.licensee.address, 1n);
    });

    it("refuses zero hashes and expired requests", async function () {
      const f = await loadFixture(fixture);
      const zero = await signedLink(
        f,
        await linkRequest(f, { accountHash: ethers.ZeroHash as Hex }),
        f.licensee,
        f.usPlatform,
      );
      await expect(link(f, zero)).to.be.revertedWithCustomError(f.licences, "LicenceInvalidRequest");
      const late = await signedLink(
        f,
        await linkRequest(f, { deadline: (await time.latest()) - 1 }),
        f.licensee,
        f.usPlatform,
      );
      await expect(link(f, late)).to.be.revertedWithCustomError(f.licences, "SignedRequestExpired");
    });
  });

  describe("unlinking", function () {
    async function linked() {
      const f = await fixture();
      await link(f, await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform));
      return f;
    }

    it("by the licensee, or by the platform's key", async function () {
      const f = await loadFixture(linked);
      const byLicensee = await unlink(f, f.licensee);
      await expect(byLicensee.tx())
        .to.emit(f.licences, "AccountUnlinked")
        .withArgs(US_PLATFORM, ACCOUNT, f.licensee.address, f.licensee.address);
      await link(f, await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform));
      await expect((await unlink(f, f.usPlatform)).tx())
        .to.emit(f.licences, "AccountUnlinked")
        .withArgs(US_PLATFORM, ACCOUNT, f.licensee.address, f.usPlatform.address);
      await expect((await unlink(f, f.licensee)).tx())
        .to.be.revertedWithCustomError(f.licences, "LicenceAccountNotLinked")
        .withArgs(US_PLATFORM, ACCOUNT);
    });

    it("attack: a stranger, or another platform, ends someone's link", async function () {
      const f = await loadFixture(linked);
      await expect((await unlink(f, f.mallory)).tx())
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.licensee.address);
      await expect((await unlink(f, f.dePlatform)).tx())
        .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
        .withArgs(f.licensee.address);
      await expect((await unlink(f, f.frAgency)).tx()).to.be.revertedWithCustomError(
        f.licences,
        "LicenceInvalidSignature",
      );
    });

    it("attack: replaying an unlink after the account was linked again", async function () {
      const f = await loadFixture(linked);
      const first = await unlink(f, f.licensee);
      await (await first.tx()).wait();
      await link(f, await signedLink(f, await linkRequest(f), f.licensee, f.usPlatform));
      await expect(first.tx()).to.be.revertedWithCustomError(f.licences, "InvalidAccountNonce");
      expect((await f.licences.accountLink(US_PLATFORM, ACCOUNT)).licensee).to.equal(f.licensee.address);
    });
  });
});

describe("LicenseRegistry: the rights holder's residence", function () {
  async function setResidence(f: Fixture, signer: Signer, holder: string, residence: string, nonce?: bigint) {
    const signed = await signLicenceRequest(signer, f.domain, "SetResidence", {
      workId: WORK,
      holder,
      residence,
      nonce: nonce ?? (await f.licences.nonces(holder)),
      deadline: (await time.latest()) + 3600,
    } as never);
    return { signed, tx: () => f.licences.setResidence(signed.request, signed.signature) };
  }

  it("is stated, changed and withdrawn by the holder, and shown on the work", async function () {
    const f = await loadFixture(fixture);
    await expect((await setResidence(f, f.holder, f.holder.address, toJurisdiction("BE"))).tx())
      .to.emit(f.licences, "WorkResidenceSet")
      .withArgs(WORK, f.holder.address, toJurisdiction("BE"));
    expect((await f.licences.getWork(WORK)).holderResidence).to.equal(toJurisdiction("BE"));
    const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
    const result = await (
      await client.submit(await client.signSetResidence(f.holder, { workId: WORK, residence: "DE" }), f.deployer)
    ).wait();
    expect(result).to.deep.include({ workId: WORK, holder: f.holder.address, residence: "DE" });
    expect(await client.getWork(WORK)).to.deep.include({ originJurisdiction: "FR", holderResidence: "DE" });
    await (await client.submit(await client.signSetResidence(f.holder, { workId: WORK }), f.deployer)).wait();
    expect((await client.getWork(WORK))!.holderResidence).to.equal(undefined);
    await refused(client.signSetResidence(f.holder, { workId: WORK, residence: "XX" }), /residence/);
  });

  it("attack: someone else states the holder's residence, or names itself holder", async function () {
    const f = await loadFixture(fixture);
    await expect((await setResidence(f, f.mallory, f.holder.address, toJurisdiction("BE"))).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
      .withArgs(f.holder.address);
    await expect((await setResidence(f, f.mallory, f.mallory.address, toJurisdiction("BE"))).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
      .withArgs(WORK, f.mallory.address);
  });

  it("attack: replaying an earlier statement", async function () {
    const f = await loadFixture(fixture);
    const first = await setResidence(f, f.holder, f.holder.address, toJurisdiction("BE"));
    await (await first.tx()).wait();
    await (await (await setResidence(f, f.holder, f.holder.address, toJurisdiction("DE"))).tx()).wait();
    await expect(first.tx()).to.be.revertedWithCustomError(f.licences, "InvalidAccountNonce");
    expect((await f.licences.getWork(WORK)).holderResidence).to.equal(toJurisdiction("DE"));
  });

  it("refuses a code that is not assigned, and is cleared when the work changes hands", async function () {
    const f = await loadFixture(fixture);
    await expect((await setResidence(f, f.holder, f.holder.address, "0x5858")).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidTerritory")
      .withArgs("0x5858");
    await (await (await setResidence(f, f.holder, f.holder.address, toJurisdiction("BE"))).tx()).wait();
    const assignment = {
      workId: WORK,
      from: f.holder.address,
      to: f.newHolder.address,
      agreementHash: hashOf("deed"),
      nonce: await f.licences.nonces(f.holder.address),
      deadline: (await time.latest()) + 3600,
    };
    const a = await signLicenceRequest(f.holder, f.domain, "AssignWork", assignment);
    const b = await signLicenceRequest(f.newHolder, f.domain, "AssignWork", assignment);
    await (await f.licences.assignWork(a.request, a.signature, b.signature)).wait();
    expect((await f.licences.getWork(WORK)).holderResidence).to.equal("0x0000");
    // The former holder can no longer state anything.
    await expect((await setResidence(f, f.holder, f.holder.address, toJurisdiction("BE"))).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
      .withArgs(WORK, f.holder.address);
  });
});
