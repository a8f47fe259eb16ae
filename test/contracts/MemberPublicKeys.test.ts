import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import type { Signer } from "ethers";
import {
  CompactEncrypt,
  CompactSign,
  compactDecrypt,
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";
import * as gov from "../helpers/governance";
import {
  ConsortiumTypes,
  KeyAlgorithm,
  KeyPurpose,
  OPEN_ENDED,
  encodeProposal,
  encodePublicJwk,
  isCrossproofError,
  jwkThumbprint,
  keyIdToKid,
  publicKeyIdOf,
  signTypedRequest,
  toMemberPublicJwk,
  type AddOwnPublicKeyRequest,
  type Hex,
  type KeyAlgorithmName,
  type ProposalParameters,
} from "../../sdk/src";
import { consortiumFixture, type ConsortiumFixture } from "../helpers/fixtures";

type KeyPairAlg = "ES256" | "EdDSA" | "ECDH-ES";
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A fresh key pair: its public JWK, private key, `kid` (thumbprint) and the contract's `bytes32` key id. */
interface MemberKeyPair {
  jwk: JWK;
  privateKey: PrivateKey;
  kid: string;
  keyId: Hex;
  /** The `jwk` bytes the contract takes and emits. */
  bytes: Hex;
}

async function newKey(alg: KeyPairAlg, crv?: "P-256" | "X25519"): Promise<MemberKeyPair> {
  const options = alg === "ECDH-ES" ? { crv: crv ?? "X25519", extractable: true } : { extractable: true };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const jwk = await exportJWK(publicKey);
  const key = toMemberPublicJwk(jwk);
  return { jwk, privateKey, kid: await jwkThumbprint(jwk), keyId: publicKeyIdOf(key), bytes: encodePublicJwk(key) };
}

/** Fixes the timestamp of the next block (the next transaction) and returns it. */
async function nextBlockAt(secondsFromNow = 5): Promise<number> {
  const t = (await time.latest()) + secondsFromNow;
  await time.setNextBlockTimestamp(t);
  return t;
}

/**
 * Signs an AddOwnPublicKey request as given (no SDK checks, so the contract's own refusals show) with `by`, and
 * relays it; returns the contract call for chai's matchers.
 */
async function addRaw(
  f: ConsortiumFixture,
  by: Signer,
  r: Omit<AddOwnPublicKeyRequest, "nonce" | "deadline" | "validFrom" | "validUntil"> &
    Partial<Pick<AddOwnPublicKeyRequest, "validFrom" | "validUntil">>,
) {
  const c = await gov.client(f);
  const request: AddOwnPublicKeyRequest = {
    validFrom: 0,
    validUntil: 0,
    ...r,
    nonce: await f.consortium.nonces(await by.getAddress()),
    deadline: (await time.latest()) + 3600,
  };
  const s = await signTypedRequest(by, c.domains.consortium, ConsortiumTypes, "AddOwnPublicKey", request);
  return f.consortium.connect(f.deployer).addOwnPublicKey(request, s.signature);
}

/** A report key (or an encryption key) added through the SDK client, signed by `by` for `memberId`. */
async function addKey(
  f: ConsortiumFixture,
  by: Signer,
  memberId: number,
  key: MemberKeyPair,
  o: { purpose?: "Report" | "Encryption"; algorithm?: KeyAlgorithmName; validFrom?: number; validUntil?: number } = {},
) {
  const c = await gov.client(f);
  const signed = await c.signAddOwnPublicKey(by, memberId, {
    purpose: o.purpose ?? (key.jwk.crv === "X25519" ? "Encryption" : "Report"),
    jwk: key.jwk,
    ...(o.algorithm === undefined ? {} : { algorithm: o.algorithm }),
    ...(o.validFrom === undefined ? {} : { validFrom: o.validFrom }),
    ...(o.validUntil === undefined ? {} : { validUntil: o.validUntil }),
  });
  return f.consortium.connect(f.deployer).addOwnPublicKey(signed.request, signed.signature);
}

async function revokeKey(f: ConsortiumFixture, by: Signer, memberId: number, key: string) {
  const s = await (await gov.client(f)).signRevokeOwnPublicKey(by, memberId, key);
  return f.consortium.connect(f.deployer).revokeOwnPublicKey(s.request, s.signature);
}

/** FR proposes and DE votes yes: 2 of the 3 founding governors, the quorum. */
async function pass(f: ConsortiumFixture, p: ProposalParameters): Promise<void> {
  const e = encodeProposal(p);
  await gov.propose(f, f.frAgency, e.kind, e.payload);
  const id = await f.governance.proposalCount();
  await gov.vote(f, f.deCourt, id, true);
  expect((await f.governance.getProposal(id)).executed, `${p.kind} passed`).to.equal(true);
}

/** The error `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

/** A compact JWS over `payload`, signed with `key` and naming it by its thumbprint. */
async function jws(key: MemberKeyPair, alg: "ES256" | "EdDSA", payload: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg, kid: key.kid })
    .sign(key.privateKey);
}

/** US platform (member 4) with an ES256 report key and an X25519 encryption key. */
async function withKeys() {
  const f = await consortiumFixture();
  const report = await newKey("ES256");
  const encryption = await newKey("ECDH-ES", "X25519");
  const reportAddedAt = await nextBlockAt();
  await addKey(f, f.usPlatform, 4, report);
  const encryptionAddedAt = await nextBlockAt();
  await addKey(f, f.usPlatform, 4, encryption);
  return { f, report, encryption, reportAddedAt, encryptionAddedAt };
}

describe("Consortium: member public keys (report and encryption keys)", function () {
  describe("adding", function () {
    it("stores (member, thumbprint) with purpose, algorithm and window, and emits the JWK", async function () {
      const f = await loadFixture(consortiumFixture);
      const key = await newKey("ES256");
      const at = await nextBlockAt();
      await expect(addKey(f, f.usPlatform, 4, key))
        .to.emit(f.consortium, "PublicKeyAdded")
        .withArgs(4, key.keyId, KeyPurpose.Report, KeyAlgorithm.ES256, at, OPEN_ENDED, key.bytes);
      // The key id is the RFC 7638 thumbprint: sha256 of the emitted bytes, the kid jose computes.
      expect(ethers.sha256(key.bytes)).to.equal(key.keyId);
      expect(keyIdToKid(key.keyId)).to.equal(key.kid);
      const record = await f.consortium.publicKeyOf(4, key.keyId);
      expect([record.memberId, record.purpose, record.algorithm, record.validFrom, record.validUntil]).to.deep.equal([
        4n,
        BigInt(KeyPurpose.Report),
        BigInt(KeyAlgorithm.ES256),
        BigInt(at),
        BigInt(OPEN_ENDED),
      ]);
      expect(await f.consortium.publicKeysOf(4, KeyPurpose.Report)).to.deep.equal([key.keyId]);
      expect(await f.consortium.publicKeysOf(4, KeyPurpose.Encryption)).to.deep.equal([]);
      expect(await f.consortium.isValidPublicKey(4, key.keyId, KeyPurpose.Report, at)).to.equal(true);
      expect(await f.consortium.isValidPublicKey(4, key.keyId, KeyPurpose.Report, at - 1)).to.equal(false);
      expect(await f.consortium.isValidPublicKey(4, key.keyId, KeyPurpose.Encryption, at)).to.equal(false);
      expect(await f.consortium.isValidPublicKey(5, key.keyId, KeyPurpose.Report, at)).to.equal(false);
      expect(await f.consortium.isValidPublicKey(0, key.keyId, KeyPurpose.Report, at)).to.equal(false);
      expect(await f.consortium.MAX_LIVE_PUBLIC_KEYS()).to.equal(8n);
    });

    it("takes EdDSA report keys and ECDH-ES encryption keys on X25519 and P-256", async function () {
      const f = await loadFixture(consortiumFixture);
      const cases = [
        [await newKey("EdDSA"), KeyPurpose.Report, KeyAlgorithm.EdDSA],
        [await newKey("ECDH-ES", "X25519"), KeyPurpose.Encryption, KeyAlgorithm.EcdhEs],
        [await newKey("ECDH-ES", "P-256"), KeyPurpose.Encryption, KeyAlgorithm.EcdhEs],
      ] as const;
      for (const [key, purpose, algorithm] of cases) {
        const at = await nextBlockAt();
        await expect(
          addKey(f, f.esRegistry, 5, key, { purpose: purpose === KeyPurpose.Report ? "Report" : "Encryption" }),
        )
          .to.emit(f.consortium, "PublicKeyAdded")
          .withArgs(5, key.keyId, purpose, algorithm, at, OPEN_ENDED, key.bytes);
      }
      expect(await f.consortium.publicKeysOf(5, KeyPurpose.Encryption)).to.deep.equal([
        cases[1][0].keyId,
        cases[2][0].keyId,
      ]);
    });

    it("consumes the signer's nonce and refuses a replay or an expired request", async function () {
      const f = await loadFixture(consortiumFixture);
      const c = await gov.client(f);
      const signed = await c.signAddOwnPublicKey(f.usPlatform, 4, {
        purpose: "Report",
        jwk: (await newKey("EdDSA")).jwk,
      });
      await (await c.submit(signed, f.deployer)).wait();
      await expect(f.consortium.connect(f.deployer).addOwnPublicKey(signed.request, signed.signature))
        .to.be.revertedWithCustomError(f.consortium, "InvalidAccountNonce")
        .withArgs(f.usPlatform.address, 1);
      const late = await c.signAddOwnPublicKey(f.usPlatform, 4, {
        purpose: "Report",
        jwk: (await newKey("EdDSA")).jwk,
        validFor: 60,
      });
      await time.increase(61);
      await expect(f.consortium.connect(f.deployer).addOwnPublicKey(late.request, late.signature))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestExpired")
        .withArgs(late.request.deadline);
    });
  });

  describe("validity windows", function () {
    it("starts later, ends at validUntil, and answers for any past time", async function () {
      const f = await loadFixture(consortiumFixture);
      const key = await newKey("EdDSA");
      const from = (await time.latest()) + 1000;
      const until = from + 1000;
      await expect(addKey(f, f.usPlatform, 4, key, { validFrom: from, validUntil: until }))
        .to.emit(f.consortium, "PublicKeyAdded")
        .withArgs(4, key.keyId, KeyPurpose.Report, KeyAlgorithm.EdDSA, from, until, key.bytes);
      const valid = (t: number) => f.consortium.isValidPublicKey(4, key.keyId, KeyPurpose.Report, t);
      expect([await valid(from - 1), await valid(from), await valid(until - 1), await valid(until)]).to.deep.equal([
        false,
        true,
        true,
        false,
      ]);
    });

    describe("attack: validFrom is never in the past (no back-dated report keys)", function () {
      it("refuses a window that starts in the past, is empty or is already over", async function () {
        const f = await loadFixture(consortiumFixture);
        const key = await newKey("ES256");
        const base = { memberId: 4, purpose: KeyPurpose.Report, algorithm: KeyAlgorithm.ES256, jwk: key.bytes };
        const now = await time.latest();
        for (const [validFrom, validUntil] of [
          [now - 100, 0],
          [now + 500, now + 500],
          [now + 500, now + 100],
          [0, now - 1],
        ]) {
          await expect(addRaw(f, f.usPlatform, { ...base, validFrom: validFrom!, validUntil: validUntil! }))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyWindow")
            .withArgs(validFrom, validUntil);
        }
      });
    });
  });

  describe("rotation and revocation", function () {
    it("rotates: the new key from its start, the old one revoked; past answers do not change", async function () {
      const { f, report: old, reportAddedAt } = await loadFixture(withKeys);
      const next = await newKey("ES256");
      const switchAt = (await time.latest()) + 100;
      await addKey(f, f.usPlatform, 4, next, { validFrom: switchAt });
      expect(await f.consortium.publicKeysOf(4, KeyPurpose.Report)).to.deep.equal([old.keyId, next.keyId]);
      await time.setNextBlockTimestamp(switchAt);
      await expect(revokeKey(f, f.usPlatform, 4, old.kid))
        .to.emit(f.consortium, "PublicKeyRevoked")
        .withArgs(4, old.keyId, switchAt, true);
      expect(await f.consortium.publicKeysOf(4, KeyPurpose.Report)).to.deep.equal([next.keyId]);
      expect((await f.consortium.publicKeyOf(4, old.keyId)).validUntil).to.equal(BigInt(switchAt));
      const valid = (k: MemberKeyPair, t: number) => f.consortium.isValidPublicKey(4, k.keyId, KeyPurpose.Report, t);
      // A report signed with the old key before the switch still verifies against the chain.
      expect(await valid(old, reportAddedAt)).to.equal(true);
      expect(await valid(old, switchAt - 1)).to.equal(true);
      expect(await valid(old, switchAt)).to.equal(false);
      expect(await valid(next, switchAt - 1)).to.equal(false);
      expect(await valid(next, switchAt)).to.equal(true);
    });

    it("refuses to revoke twice, to revoke an unknown key, and to register a revoked key again", async function () {
      const { f, report } = await loadFixture(withKeys);
      await revokeKey(f, f.usPlatform, 4, report.keyId);
      await expect(revokeKey(f, f.usPlatform, 4, report.keyId))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyAlreadyRevoked")
        .withArgs(4, report.keyId);
      const unknown = await newKey("ES256");
      await expect(revokeKey(f, f.usPlatform, 4, unknown.kid))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyNotOfMember")
        .withArgs(4, unknown.keyId);
      // A key id is never reused by its member: a revoked (compromised) key cannot come back with a new window.
      await expect(addKey(f, f.usPlatform, 4, report))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyUnavailable")
        .withArgs(4, report.keyId);
    });

    it("refuses the same key twice while live, and the same key under another purpose", async function () {
      const f = await loadFixture(consortiumFixture);
      const p256 = await newKey("ES256");
      await addKey(f, f.usPlatform, 4, p256);
      await expect(addKey(f, f.usPlatform, 4, p256))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyUnavailable")
        .withArgs(4, p256.keyId);
      // Key separation: a signing key is not also a key-agreement key.
      await expect(addKey(f, f.usPlatform, 4, p256, { purpose: "Encryption" }))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyUnavailable")
        .withArgs(4, p256.keyId);
    });

    it("governance revokes a member's public key at once by a passed proposal; nobody else can call it", async function () {
      const { f, report } = await loadFixture(withKeys);
      await pass(f, { kind: "RevokePublicKey", memberId: 4, keyId: report.keyId });
      const at = await time.latest();
      const revoked = await f.consortium.queryFilter(f.consortium.filters.PublicKeyRevoked(4, report.keyId));
      expect(revoked.map((e) => [e.args.revokedAt, e.args.selfRevoked])).to.deep.equal([[BigInt(at), false]]);
      expect(await f.consortium.isValidPublicKey(4, report.keyId, KeyPurpose.Report, at)).to.equal(false);
      // The SDK's kid form names the same key; a second revocation cannot even execute.
      const again = encodeProposal({ kind: "RevokePublicKey", memberId: 4, keyId: keyIdToKid(report.keyId) });
      await gov.propose(f, f.frAgency, again.kind, again.payload);
      await expect(gov.vote(f, f.deCourt, await f.governance.proposalCount(), true))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyAlreadyRevoked")
        .withArgs(4, report.keyId);
      await expect(f.consortium.connect(f.usPlatform).revokePublicKey(4, report.keyId))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance")
        .withArgs(f.usPlatform.address);
    });
  });

  describe("attack: a member cannot add or revoke another member's keys", function () {
    it("refuses a request for another member id, or by a key that is no member's", async function () {
      const { f, report } = await loadFixture(withKeys);
      const key = await newKey("ES256");
      await expect(addKey(f, f.esRegistry, 4, key))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(4, f.esRegistry.address);
      await expect(revokeKey(f, f.esRegistry, 4, report.keyId))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumKeyNotOfMember")
        .withArgs(4, f.esRegistry.address);
      // Naming its own member id does not reach member 4's record either.
      await expect(revokeKey(f, f.esRegistry, 5, report.keyId))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumPublicKeyNotOfMember")
        .withArgs(5, report.keyId);
      const outsider = f.spare[0]!;
      await expect(addKey(f, outsider, 4, key))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(outsider.address);
      await expect(revokeKey(f, outsider, 4, report.keyId))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(outsider.address);
      expect(await f.consortium.isValidPublicKey(4, report.keyId, KeyPurpose.Report, await time.latest())).to.equal(
        true,
      );
    });
  });

  describe("attack: key-id squatting across members", function () {
    it("another member registering a member's public JWK neither blocks nor claims that member's key", async function () {
      const f = await loadFixture(consortiumFixture);
      // ES's key is public (it is in ES's event, or it signed ES's reports); US registers it first, under US.
      const esKey = await newKey("EdDSA");
      await addKey(f, f.usPlatform, 4, esKey);
      // ES can still register it: the record is per member.
      const at = await nextBlockAt();
      await expect(addKey(f, f.esRegistry, 5, esKey))
        .to.emit(f.consortium, "PublicKeyAdded")
        .withArgs(5, esKey.keyId, KeyPurpose.Report, KeyAlgorithm.EdDSA, at, OPEN_ENDED, esKey.bytes);
      expect((await f.consortium.publicKeyOf(5, esKey.keyId)).memberId).to.equal(5n);
      // US's copy lives and dies on its own.
      await revokeKey(f, f.usPlatform, 4, esKey.kid);
      const now = await time.latest();
      expect(await f.consortium.isValidPublicKey(4, esKey.keyId, KeyPurpose.Report, now)).to.equal(false);
      expect(await f.consortium.isValidPublicKey(5, esKey.keyId, KeyPurpose.Report, now)).to.equal(true);
      // A report ES signed verifies with ES's key set; US's key set no longer holds the key.
      const c = await gov.client(f);
      const report = await jws(esKey, "EdDSA", '{"issuer":5}');
      await compactVerify(report, createLocalJWKSet(await c.reportKeySet([5])));
      expect((await c.reportKeySet([4])).keys).to.deep.equal([]);
    });

    it("the consortium-wide key set lists a key registered by two members once, so jose still picks it", async function () {
      const f = await loadFixture(consortiumFixture);
      const shared = await newKey("ES256");
      await addKey(f, f.usPlatform, 4, shared);
      await addKey(f, f.esRegistry, 5, shared);
      const jwks = await (await gov.client(f)).reportKeySet();
      expect(jwks.keys.map((k) => k.kid)).to.deep.equal([shared.kid]);
      await compactVerify(await jws(shared, "ES256", "{}"), createLocalJWKSet(jwks));
    });
  });

  describe("attack: a suspended member's keys do not count while it is suspended", function () {
    it("is not valid during the suspension, cannot add keys, can still revoke, and comes back reinstated", async function () {
      const { f, report, encryption, reportAddedAt } = await loadFixture(withKeys);
      const compromised = await newKey("EdDSA");
      await addKey(f, f.usPlatform, 4, compromised);
      await pass(f, { kind: "SuspendMember", memberId: 4 });
      const suspendedAt = await time.latest();
      const valid = (k: MemberKeyPair, purpose: number, t: number) =>
        f.consortium.isValidPublicKey(4, k.keyId, purpose, t);
      expect(await valid(report, KeyPurpose.Report, suspendedAt)).to.equal(false);
      expect(await valid(encryption, KeyPurpose.Encryption, suspendedAt)).to.equal(false);
      expect(await valid(report, KeyPurpose.Report, reportAddedAt)).to.equal(true);
      expect((await (await gov.client(f)).reportKeySet([4])).keys).to.deep.equal([]);
      await expect(addKey(f, f.usPlatform, 4, await newKey("ES256")))
        .to.be.revertedWithCustomError(f.consortium, "SignedRequestUnauthorizedSigner")
        .withArgs(f.usPlatform.address);
      const revokedAt = await nextBlockAt();
      await expect(revokeKey(f, f.usPlatform, 4, compromised.kid))
        .to.emit(f.consortium, "PublicKeyRevoked")
        .withArgs(4, compromised.keyId, revokedAt, true);
      await pass(f, { kind: "ReinstateMember", memberId: 4 });
      const back = await time.latest();
      expect(await valid(report, KeyPurpose.Report, back)).to.equal(true);
      expect(await valid(compromised, KeyPurpose.Report, back)).to.equal(false);
      expect(await valid(report, KeyPurpose.Report, suspendedAt)).to.equal(false);
    });

    it("a removed member's keys never count again, and it can no longer revoke", async function () {
      const { f, report } = await loadFixture(withKeys);
      await pass(f, { kind: "RemoveMember", memberId: 4 });
      expect(await f.consortium.isValidPublicKey(4, report.keyId, KeyPurpose.Report, await time.latest())).to.equal(
        false,
      );
      await expect(revokeKey(f, f.usPlatform, 4, report.keyId)).to.be.revertedWithCustomError(
        f.consortium,
        "ConsortiumInvalidMemberStatus",
      );
    });
  });

  describe("attack: wrong purpose, algorithm or key material", function () {
    it("refuses algorithms that do not serve the purpose", async function () {
      const f = await loadFixture(consortiumFixture);
      const p256 = await newKey("ES256");
      for (const [purpose, algorithm] of [
        [KeyPurpose.Report, KeyAlgorithm.EcdhEs],
        [KeyPurpose.Encryption, KeyAlgorithm.ES256],
        [KeyPurpose.Encryption, KeyAlgorithm.EdDSA],
        [KeyPurpose.None, KeyAlgorithm.ES256],
        [KeyPurpose.Report, KeyAlgorithm.None],
      ] as const) {
        await expect(addRaw(f, f.usPlatform, { memberId: 4, purpose, algorithm, jwk: p256.bytes }))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidKeyAlgorithm")
          .withArgs(purpose, algorithm);
      }
    });

    it("refuses a JWK whose curve the algorithm does not take, or that is not the thumbprint input", async function () {
      const f = await loadFixture(consortiumFixture);
      const ed = await newKey("EdDSA");
      const x = await newKey("ECDH-ES", "X25519");
      const p256 = await newKey("ES256");
      const text = (k: MemberKeyPair) => Buffer.from(k.bytes.slice(2), "hex").toString("utf8");
      const hex = (s: string) => ethers.hexlify(ethers.toUtf8Bytes(s)) as Hex;
      const cases: [number, number, Hex][] = [
        [KeyPurpose.Report, KeyAlgorithm.ES256, ed.bytes],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, x.bytes],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, p256.bytes],
        [KeyPurpose.Encryption, KeyAlgorithm.EcdhEs, ed.bytes],
        // The same key, spelled otherwise: a second key id for one key, or a kid no JOSE library computes.
        [KeyPurpose.Report, KeyAlgorithm.ES256, hex(JSON.stringify(p256.jwk))],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, hex(text(ed).replace('"kty"', ' "kty"'))],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, hex(text(ed).replace("}", ',"use":"sig"}'))],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, hex(text(ed).replace("Ed25519", "Ed448!!"))],
        [KeyPurpose.Report, KeyAlgorithm.EdDSA, hex(`${text(ed).slice(0, -1)} `)],
        [KeyPurpose.Report, KeyAlgorithm.ES256, "0x"],
      ];
      for (const [purpose, algorithm, jwk] of cases) {
        await expect(addRaw(f, f.usPlatform, { memberId: 4, purpose, algorithm, jwk }), jwk)
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidJwk")
          .withArgs(algorithm);
      }
    });

    it("the SDK refuses such keys before signing, private key material included", async function () {
      const f = await loadFixture(consortiumFixture);
      const c = await gov.client(f);
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const attempts: [Parameters<typeof c.signAddOwnPublicKey>[2], string][] = [
        [{ purpose: "Report", jwk: await exportJWK(privateKey) }, "PRIVATE_KEY_MATERIAL"],
        [{ purpose: "Report", jwk: (await newKey("ECDH-ES", "X25519")).jwk }, "ALGORITHM_MISMATCH"],
        [{ purpose: "Encryption", jwk: (await newKey("EdDSA")).jwk }, "ALGORITHM_MISMATCH"],
        [{ purpose: "Report", jwk: (await newKey("ES256")).jwk, algorithm: "EdDSA" }, "ALGORITHM_MISMATCH"],
      ];
      for (const [p, reason] of attempts) {
        const err = await rejection(c.signAddOwnPublicKey(f.usPlatform, 4, p));
        expect(isCrossproofError(err, "INVALID_ARGUMENT") && err.details?.reason, reason).to.equal(reason);
      }
    });
  });

  describe("attack: a member cannot make key scans unbounded", function () {
    it("holds at most MAX_LIVE_PUBLIC_KEYS live keys per purpose, pruning expired ones", async function () {
      const f = await loadFixture(consortiumFixture);
      const max = Number(await f.consortium.MAX_LIVE_PUBLIC_KEYS());
      const expiresAt = (await time.latest()) + 1000;
      const shortLived: MemberKeyPair[] = [];
      for (let i = 0; i < max; ++i) {
        shortLived.push(await newKey("EdDSA"));
        await addKey(f, f.usPlatform, 4, shortLived[i]!, { validUntil: expiresAt });
      }
      const extra = await newKey("EdDSA");
      await expect(addKey(f, f.usPlatform, 4, extra))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyPublicKeys")
        .withArgs(4, KeyPurpose.Report);
      // Encryption keys have their own list.
      await addKey(f, f.usPlatform, 4, await newKey("ECDH-ES", "X25519"));
      // Revoking one frees its slot at once; once the others expire, the next addition prunes them.
      await revokeKey(f, f.usPlatform, 4, shortLived[0]!.keyId);
      await addKey(f, f.usPlatform, 4, extra);
      await time.increaseTo(expiresAt);
      const after = await newKey("EdDSA");
      await addKey(f, f.usPlatform, 4, after);
      expect([...(await f.consortium.publicKeysOf(4, KeyPurpose.Report))]).to.have.members([extra.keyId, after.keyId]);
      // Pruning forgets nothing about the past.
      const k = await f.consortium.publicKeyOf(4, shortLived[1]!.keyId);
      expect([k.memberId, k.validUntil]).to.deep.equal([4n, BigInt(expiresAt)]);
      expect(await f.consortium.isValidPublicKey(4, shortLived[1]!.keyId, KeyPurpose.Report, expiresAt - 1)).to.equal(
        true,
      );
    });
  });

  describe("SDK: keys read back from the chain, and reports verified with any JOSE library", function () {
    it("an ES256 and an EdDSA report signed with registered keys verify through reportKeySet", async function () {
      const { f, report: es256 } = await loadFixture(withKeys);
      const eddsa = await newKey("EdDSA");
      await addKey(f, f.esRegistry, 5, eddsa);
      const c = await gov.client(f);
      const jwks = await c.reportKeySet();
      expect(jwks.keys).to.deep.equal([
        { ...toMemberPublicJwk(es256.jwk), kid: es256.kid, use: "sig", alg: "ES256" },
        { ...toMemberPublicJwk(eddsa.jwk), kid: eddsa.kid, use: "sig", alg: "EdDSA" },
      ]);
      const keySet = createLocalJWKSet(jwks);
      for (const [key, alg, issuer] of [
        [es256, "ES256", 4],
        [eddsa, "EdDSA", 5],
      ] as const) {
        const payload = JSON.stringify({ issuer, verdict: "PASSED" });
        const { payload: verified, protectedHeader } = await compactVerify(await jws(key, alg, payload), keySet);
        expect(new TextDecoder().decode(verified)).to.equal(payload);
        expect(protectedHeader).to.deep.equal({ alg, kid: key.kid });
        // The issuer's own key set verifies it too; another member's does not.
        await compactVerify(await jws(key, alg, payload), createLocalJWKSet(await c.reportKeySet([issuer])));
        const other = createLocalJWKSet(await c.reportKeySet([issuer === 4 ? 5 : 4]));
        expect(await rejection(compactVerify(await jws(key, alg, payload), other))).to.have.property(
          "code",
          "ERR_JWKS_NO_MATCHING_KEY",
        );
      }
      // An unregistered key finds no key in the set.
      const stranger = await newKey("ES256");
      expect(await rejection(compactVerify(await jws(stranger, "ES256", "{}"), keySet))).to.have.property(
        "code",
        "ERR_JWKS_NO_MATCHING_KEY",
      );
    });

    it("a report signed before a rotation verifies with the key set at its signing time", async function () {
      const { f, report } = await loadFixture(withKeys);
      const signedAt = await time.latest();
      const signed = await jws(report, "ES256", '{"issuer":4}');
      await revokeKey(f, f.usPlatform, 4, report.kid);
      const c = await gov.client(f);
      expect((await c.reportKeySet([4])).keys).to.deep.equal([]);
      await compactVerify(signed, createLocalJWKSet(await c.reportKeySet([4], { at: signedAt })));
      // The online check of the report's kid, for the issuer it names.
      expect(await c.isValidPublicKey(4, report.kid, "Report", { at: signedAt })).to.equal(true);
      expect(await c.isValidPublicKey(4, report.kid, "Report")).to.equal(false);
      expect(await c.isValidPublicKey(5, report.kid, "Report", { at: signedAt })).to.equal(false);
    });

    it("publicKeysOf returns the live JWKs; encryption keys work as JWE recipients", async function () {
      const { f, report, encryption, encryptionAddedAt } = await loadFixture(withKeys);
      const c = await gov.client(f);
      const [enc] = await c.publicKeysOf(4, "Encryption");
      expect(enc).to.deep.equal({
        memberId: 4n,
        keyId: encryption.keyId,
        kid: encryption.kid,
        purpose: "Encryption",
        algorithm: "EcdhEs",
        validFrom: encryptionAddedAt,
        validUntil: OPEN_ENDED,
        jwk: { ...toMemberPublicJwk(encryption.jwk), kid: encryption.kid, use: "enc" },
      });
      const jwe = await new CompactEncrypt(new TextEncoder().encode("file key"))
        .setProtectedHeader({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: enc!.kid })
        .encrypt(await importJWK(enc!.jwk, "ECDH-ES+A256KW"));
      expect(new TextDecoder().decode((await compactDecrypt(jwe, encryption.privateKey)).plaintext)).to.equal(
        "file key",
      );
      expect((await c.publicKeysOf(4, "Report")).map((k) => k.kid)).to.deep.equal([report.kid]);
      await revokeKey(f, f.usPlatform, 4, encryption.kid);
      expect(await c.publicKeysOf(4, "Encryption")).to.deep.equal([]);
      const all = await c.registeredPublicKeys(4);
      expect(all.map((k) => [k.kid, k.validUntil])).to.deep.equal([
        [report.kid, OPEN_ENDED],
        [encryption.kid, await time.latest()],
      ]);
    });

    it("leaves out a key whose JWK no JOSE library could use (a P-256 point off the curve)", async function () {
      const { f, report } = await loadFixture(withKeys);
      const text = Buffer.from(report.bytes.slice(2), "hex").toString("utf8");
      const { x } = toMemberPublicJwk(report.jwk) as { x: string };
      const offCurve = text.replace(/"y":"[^"]+"/, `"y":"${x}"`);
      await addRaw(f, f.usPlatform, {
        memberId: 4,
        purpose: KeyPurpose.Report,
        algorithm: KeyAlgorithm.ES256,
        jwk: ethers.hexlify(ethers.toUtf8Bytes(offCurve)) as Hex,
      });
      const c = await gov.client(f);
      expect((await f.consortium.publicKeysOf(4, KeyPurpose.Report)).length).to.equal(2);
      expect((await c.publicKeysOf(4, "Report")).map((k) => k.kid)).to.deep.equal([report.kid]);
      expect((await c.reportKeySet([4])).keys.map((k) => k.kid)).to.deep.equal([report.kid]);
    });

    it("attack: a node that returns a JWK other than the one committed to is caught (CHAIN_ERROR)", async function () {
      const { f, report } = await loadFixture(withKeys);
      const c = await gov.client(f);
      const genuine = await c.consortium.queryFilter(c.consortium.filters.PublicKeyAdded(4));
      const substitute = await newKey("ES256");
      // The node swaps the JWK of US's report key for the attacker's.
      const forged = genuine.map((e) =>
        e.args.keyId !== report.keyId
          ? e
          : {
              transactionHash: e.transactionHash,
              args: {
                memberId: e.args.memberId,
                keyId: e.args.keyId,
                purpose: e.args.purpose,
                algorithm: e.args.algorithm,
                validFrom: e.args.validFrom,
                validUntil: e.args.validUntil,
                jwk: substitute.bytes,
              },
            },
      );
      (c.consortium as unknown as { queryFilter: () => Promise<unknown> }).queryFilter = async () => forged;
      const err = await rejection(c.reportKeySet([4]));
      expect(isCrossproofError(err, "CHAIN_ERROR"), String(err)).to.equal(true);
    });
  });
});
