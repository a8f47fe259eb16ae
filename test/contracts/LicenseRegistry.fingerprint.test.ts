import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import { ZeroHash, type Signer } from "ethers";
import {
  LicenceClient,
  cidFromBytes,
  contractDomain,
  isCrossproofError,
  parseConsortiumConfig,
  signLicenceRequest,
  toJurisdiction,
  type SetFingerprintRequest,
} from "../../sdk/src";
import type { LicenseRegistry } from "../../sdk/src/typechain";
import { cidOf, deployConsortium, hashOf } from "../helpers/fixtures";

const WORK = hashOf("the fingerprinted work");
const DIGEST = hashOf("fingerprint file v1");
const CID = cidOf("fingerprint file v1");

/** A consortium with a REGISTRY member, a registered work, its holder, a later holder and an outsider. */
async function fixture() {
  const [deployer, registry, holder, newHolder, mallory] = await ethers.getSigners();
  const config = parseConsortiumConfig({
    name: "fingerprint test consortium",
    quorum: { numerator: 1, denominator: 1 },
    votingPeriodSeconds: 7 * 24 * 3600,
    founders: [{ name: "FR registry", jurisdiction: "FR", roles: ["REGISTRY", "GOVERNOR"], key: registry!.address }],
  });
  const { consortium, consortiumId } = await deployConsortium(deployer!, config);
  const licences = (await ethers.deployContract("LicenseRegistry", [
    await consortium.getAddress(),
  ])) as unknown as LicenseRegistry;
  const { chainId } = await ethers.provider.getNetwork();
  const domain = contractDomain("LicenseRegistry", chainId, await licences.getAddress(), consortiumId);
  const registered = await signLicenceRequest(holder!, domain, "RegisterWork", {
    contentHash: WORK,
    fingerprintHash: DIGEST,
    rightsHolder: holder!.address,
    originJurisdiction: toJurisdiction("FR"),
    metadataCid: cidOf("metadata"),
    deadline: (await time.latest()) + 3600,
  });
  await (await licences.registerWork(registered.request, registered.signature)).wait();
  return {
    deployer: deployer!,
    registry: registry!,
    holder: holder!,
    newHolder: newHolder!,
    mallory: mallory!,
    licences,
    domain,
  };
}
type Fixture = Awaited<ReturnType<typeof fixture>>;

async function setFingerprint(f: Fixture, signer: Signer, o: Partial<SetFingerprintRequest> = {}) {
  const holder = o.holder ?? f.holder.address;
  const signed = await signLicenceRequest(signer, f.domain, "SetFingerprint", {
    workId: WORK,
    holder,
    fingerprintHash: DIGEST,
    fingerprintCid: CID,
    nonce: await f.licences.nonces(holder),
    deadline: (await time.latest()) + 3600,
    ...o,
  });
  return { signed, tx: () => f.licences.setFingerprint(signed.request, signed.signature) };
}

describe("LicenseRegistry: a work's fingerprint file", function () {
  it("is set, replaced and withdrawn by the holder, each time as an event carrying the digest and the CID", async function () {
    const f = await loadFixture(fixture);
    await expect((await setFingerprint(f, f.holder)).tx())
      .to.emit(f.licences, "WorkFingerprintSet")
      .withArgs(WORK, f.holder.address, DIGEST, CID);
    const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
    const v2 = { digest: hashOf("fingerprint file v2"), cid: cidFromBytes(cidOf("fingerprint file v2")) };
    const replaced = await (
      await client.submit(
        await client.signSetFingerprint(f.holder, { workId: WORK, fingerprintHash: v2.digest, fingerprintCid: v2.cid }),
        f.deployer,
      )
    ).wait();
    expect(replaced).to.deep.include({
      workId: WORK,
      holder: f.holder.address,
      fingerprintHash: v2.digest,
      fingerprintCid: v2.cid,
    });
    const withdrawn = await (
      await client.submit(await client.signSetFingerprint(f.holder, { workId: WORK }), f.deployer)
    ).wait();
    expect(withdrawn).to.deep.include({
      workId: WORK,
      holder: f.holder.address,
      fingerprintHash: undefined,
      fingerprintCid: undefined,
    });
  });

  it("attack: a non-holder sets a work's fingerprint (forging the holder, naming itself, or as a REGISTRY member)", async function () {
    const f = await loadFixture(fixture);
    await expect((await setFingerprint(f, f.mallory)).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
      .withArgs(f.holder.address);
    await expect((await setFingerprint(f, f.mallory, { holder: f.mallory.address })).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
      .withArgs(WORK, f.mallory.address);
    // A REGISTRY member may register a work on a holder's behalf, but not change its fingerprint afterwards.
    await expect((await setFingerprint(f, f.registry)).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidSignature")
      .withArgs(f.holder.address);
  });

  it("attack: the former holder after an assignment, and a replayed statement", async function () {
    const f = await loadFixture(fixture);
    const first = await setFingerprint(f, f.holder);
    await (await first.tx()).wait();
    await expect(first.tx()).to.be.revertedWithCustomError(f.licences, "InvalidAccountNonce");
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
    await expect((await setFingerprint(f, f.holder)).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceNotRightsHolder")
      .withArgs(WORK, f.holder.address);
    await expect((await setFingerprint(f, f.newHolder, { holder: f.newHolder.address })).tx())
      .to.emit(f.licences, "WorkFingerprintSet")
      .withArgs(WORK, f.newHolder.address, DIGEST, CID);
  });

  it("refuses a digest without a CID, a CID without a digest, and an unknown work", async function () {
    const f = await loadFixture(fixture);
    await expect((await setFingerprint(f, f.holder, { fingerprintCid: "0x" })).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidFingerprint")
      .withArgs(DIGEST, 0);
    await expect((await setFingerprint(f, f.holder, { fingerprintHash: ZeroHash as `0x${string}` })).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceInvalidFingerprint")
      .withArgs(ZeroHash, (CID.length - 2) / 2);
    const unknown = hashOf("not registered");
    await expect((await setFingerprint(f, f.holder, { workId: unknown })).tx())
      .to.be.revertedWithCustomError(f.licences, "LicenceUnknownWork")
      .withArgs(unknown);
    const client = await LicenceClient.connect(await f.licences.getAddress(), f.deployer);
    await client.signSetFingerprint(f.holder, { workId: WORK, fingerprintHash: DIGEST }).then(
      () => expect.fail("accepted"),
      (err: unknown) => expect(isCrossproofError(err, "INVALID_ARGUMENT"), String(err)).to.equal(true),
    );
  });
});
