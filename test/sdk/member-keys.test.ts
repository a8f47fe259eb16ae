import { expect } from "chai";
import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import {
  type CrossproofError,
  decodePublicJwk,
  encodePublicJwk,
  isCrossproofError,
  jwkThumbprint,
  jwkThumbprintInput,
  keyAlgorithmFor,
  keyIdToKid,
  kidToKeyId,
  memberJwk,
  publicKeyIdOf,
  toKeyId,
  toMemberPublicJwk,
  validateMemberPublicJwk,
  type MemberPublicJwk,
  type PublicJwkRefusal,
} from "../../sdk/src";

/** A second implementation of the RFC 7638 SHA-256 thumbprint: node:crypto over a canonical JSON written by hand. */
function handThumbprint(canonicalJson: string): { kid: string; keyId: string } {
  const digest = createHash("sha256").update(canonicalJson, "utf8").digest();
  return { kid: digest.toString("base64url"), keyId: `0x${digest.toString("hex")}` };
}

/** Awaits `p` (or calls `f`) and returns the CrossproofError it throws. */
async function refusal(f: () => unknown): Promise<CrossproofError> {
  try {
    await f();
  } catch (err) {
    if (isCrossproofError(err)) return err;
    throw err;
  }
  throw new Error("expected a CrossproofError");
}

async function expectRefused(f: () => unknown, reason: PublicJwkRefusal): Promise<void> {
  const err = await refusal(f);
  expect(err.code).to.equal("INVALID_ARGUMENT");
  expect(err.details?.reason, err.message).to.equal(reason);
}

// RFC 7517 appendix A.1 / RFC 7638 §3.1: the RSA key whose thumbprint RFC 7638 §3.1 gives.
const RFC7638_RSA: JWK = {
  kty: "RSA",
  n:
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhM" +
    "stn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5" +
    "hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  e: "AQAB",
  alg: "RS256",
  kid: "2011-04-29",
};
// RFC 8037 appendix A.1 (private) and A.2 (public): the Ed25519 key whose thumbprint appendix A.3 gives.
const RFC8037_ED25519_PRIVATE: JWK = {
  kty: "OKP",
  crv: "Ed25519",
  d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
  x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
};
const RFC8037_ED25519: MemberPublicJwk = {
  kty: "OKP",
  crv: "Ed25519",
  x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
};
// RFC 7515 appendix A.3: an EC P-256 key (public part), with the members in another order and extra members.
const RFC7515_P256: JWK = {
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  kty: "EC",
  crv: "P-256",
  use: "sig",
  kid: "some label",
};
// RFC 8037 appendix A.6: the ephemeral X25519 public key of the ECDH-ES example.
const RFC8037_X25519: JWK = { kty: "OKP", crv: "X25519", x: "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo" };

describe("member keys (SDK)", function () {
  describe("RFC 7638 thumbprints: known answers", function () {
    it("the RSA example of RFC 7638 §3.1 (computed by jose)", async function () {
      expect(await jwkThumbprint(RFC7638_RSA)).to.equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    });

    it("the Ed25519 example of RFC 8037 appendix A.3, by jose, by the key id function and by hand", async function () {
      const expected = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
      const hand = handThumbprint('{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}');
      expect(hand.kid).to.equal(expected);
      expect(await jwkThumbprint(RFC8037_ED25519)).to.equal(expected);
      expect(publicKeyIdOf(RFC8037_ED25519)).to.equal(hand.keyId);
      expect(keyIdToKid(publicKeyIdOf(RFC8037_ED25519))).to.equal(expected);
    });

    it("an EC P-256 key (RFC 7515 A.3): jose and the key id agree with node:crypto over the canonical JSON", async function () {
      const hand = handThumbprint(
        '{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",' +
          '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}',
      );
      expect(await jwkThumbprint(RFC7515_P256)).to.equal(hand.kid);
      const key = toMemberPublicJwk(RFC7515_P256);
      expect(publicKeyIdOf(key)).to.equal(hand.keyId);
      expect(kidToKeyId(hand.kid)).to.equal(hand.keyId);
    });

    it("an OKP X25519 key (RFC 8037 A.6): jose and the key id agree with node:crypto over the canonical JSON", async function () {
      const hand = handThumbprint('{"crv":"X25519","kty":"OKP","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}');
      expect(await jwkThumbprint(RFC8037_X25519)).to.equal(hand.kid);
      expect(publicKeyIdOf(toMemberPublicJwk(RFC8037_X25519))).to.equal(hand.keyId);
    });

    it("fresh P-256, Ed25519 and X25519 keys: jose's thumbprint is the base64url of the contract's key id", async function () {
      for (const [alg, crv] of [
        ["ES256", "P-256"],
        ["EdDSA", "Ed25519"],
        ["ECDH-ES", "X25519"],
        ["ECDH-ES", "P-256"],
      ] as const) {
        const { publicKey } = await generateKeyPair(alg, { crv, extractable: true });
        const jwk = await exportJWK(publicKey);
        const key = await validateMemberPublicJwk(jwk);
        expect(keyIdToKid(publicKeyIdOf(key)), crv).to.equal(await jwkThumbprint(jwk));
        expect(handThumbprint(jwkThumbprintInput(key)).keyId, crv).to.equal(publicKeyIdOf(key));
      }
    });
  });

  describe("the encoding the contract takes: the thumbprint input, and nothing else", function () {
    it("drops extra members and orders the required ones; decoding gives the key back", function () {
      const bytes = encodePublicJwk(toMemberPublicJwk(RFC7515_P256));
      const text = Buffer.from(bytes.slice(2), "hex").toString("utf8");
      expect(text).to.equal(
        '{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",' +
          '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}',
      );
      expect(text.length).to.equal(126);
      expect(Buffer.from(encodePublicJwk(RFC8037_ED25519).slice(2), "hex").length).to.equal(79);
      expect(Buffer.from(encodePublicJwk(toMemberPublicJwk(RFC8037_X25519)).slice(2), "hex").length).to.equal(78);
      expect(decodePublicJwk(bytes)).to.deep.equal({
        kty: "EC",
        crv: "P-256",
        x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
      });
    });

    it("refuses to decode any other spelling of the same key (whitespace, order, extra members)", async function () {
      const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
      for (const text of [
        `{"crv": "Ed25519","kty":"OKP","x":"${x}"}`,
        `{"kty":"OKP","crv":"Ed25519","x":"${x}"}`,
        `{"crv":"Ed25519","kid":"k","kty":"OKP","x":"${x}"}`,
        `{"crv":"Ed25519","kty":"OKP","x":"${x}"} `,
      ]) {
        await expectRefused(() => decodePublicJwk(new TextEncoder().encode(text)), "MALFORMED_JWK");
      }
      await expectRefused(() => decodePublicJwk("0xff"), "MALFORMED_JWK");
    });
  });

  describe("attack: private key material is never registered or published", function () {
    it("refuses JWKs with private members, the RFC's own private keys included", async function () {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const p256Private = await exportJWK(privateKey);
      for (const jwk of [
        RFC8037_ED25519_PRIVATE,
        p256Private,
        { ...RFC7638_RSA, d: "AQAB" },
        { kty: "oct", k: "AA" },
      ]) {
        await expectRefused(() => toMemberPublicJwk(jwk), "PRIVATE_KEY_MATERIAL");
        await expectRefused(() => validateMemberPublicJwk(jwk), "PRIVATE_KEY_MATERIAL");
        await expectRefused(() => jwkThumbprint(jwk), "PRIVATE_KEY_MATERIAL");
      }
    });
  });

  describe("only EC P-256, OKP Ed25519 and OKP X25519 public keys", function () {
    it("refuses other key types and curves (secp256k1, P-384, Ed448, RSA)", async function () {
      const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
      for (const jwk of [
        { kty: "EC", crv: "secp256k1", x, y: x },
        { kty: "EC", crv: "P-384", x, y: x },
        { kty: "OKP", crv: "Ed448", x },
        RFC7638_RSA,
      ]) {
        await expectRefused(() => toMemberPublicJwk(jwk), "UNSUPPORTED_KEY_TYPE");
      }
    });

    it("refuses coordinates that are not 32 bytes in canonical base64url", async function () {
      const x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
      for (const bad of [x.slice(1), `${x}=`, `${x.slice(0, 42)}p`, `${x.slice(0, 42)}+`, 42]) {
        await expectRefused(() => toMemberPublicJwk({ kty: "OKP", crv: "Ed25519", x: bad }), "MALFORMED_JWK");
      }
      await expectRefused(() => toMemberPublicJwk({ kty: "EC", crv: "P-256", x }), "MALFORMED_JWK");
      await expectRefused(() => toMemberPublicJwk("not a key"), "MALFORMED_JWK");
    });

    it("refuses a P-256 point off the curve", async function () {
      const offCurve = { ...RFC7515_P256, y: RFC7515_P256.x };
      expect(toMemberPublicJwk(offCurve).kty).to.equal("EC");
      await expectRefused(() => validateMemberPublicJwk(offCurve), "NOT_ON_CURVE");
      expect(await validateMemberPublicJwk(RFC7515_P256)).to.deep.equal(toMemberPublicJwk(RFC7515_P256));
    });
  });

  describe("purposes and algorithms", function () {
    const p256 = toMemberPublicJwk(RFC7515_P256);
    const x25519 = toMemberPublicJwk(RFC8037_X25519);

    it("derives the algorithm from the curve", function () {
      expect(keyAlgorithmFor("Report", p256)).to.equal("ES256");
      expect(keyAlgorithmFor("Report", RFC8037_ED25519)).to.equal("EdDSA");
      expect(keyAlgorithmFor("Encryption", p256)).to.equal("EcdhEs");
      expect(keyAlgorithmFor("Encryption", x25519)).to.equal("EcdhEs");
      expect(keyAlgorithmFor("Report", p256, "ES256")).to.equal("ES256");
    });

    it("refuses the combinations the Consortium refuses", async function () {
      await expectRefused(() => keyAlgorithmFor("Report", x25519), "ALGORITHM_MISMATCH");
      await expectRefused(() => keyAlgorithmFor("Encryption", RFC8037_ED25519), "ALGORITHM_MISMATCH");
      await expectRefused(() => keyAlgorithmFor("Report", RFC8037_ED25519, "ES256"), "ALGORITHM_MISMATCH");
      await expectRefused(() => keyAlgorithmFor("Report", p256, "EcdhEs"), "ALGORITHM_MISMATCH");
      await expectRefused(() => keyAlgorithmFor("Encryption", p256, "ES256"), "ALGORITHM_MISMATCH");
    });

    it("gives JOSE JWKs: kid = thumbprint, use, and alg for report keys only", async function () {
      const kid = await jwkThumbprint(RFC8037_ED25519);
      expect(memberJwk(RFC8037_ED25519, "Report", "EdDSA")).to.deep.equal({
        ...RFC8037_ED25519,
        kid,
        use: "sig",
        alg: "EdDSA",
      });
      expect(memberJwk(x25519, "Encryption", "EcdhEs")).to.deep.equal({
        ...x25519,
        kid: await jwkThumbprint(x25519),
        use: "enc",
      });
    });
  });

  describe("kid ↔ key id", function () {
    it("converts both ways and refuses what is not a SHA-256 thumbprint", async function () {
      const keyId = publicKeyIdOf(RFC8037_ED25519);
      const kid = keyIdToKid(keyId);
      expect(kidToKeyId(kid)).to.equal(keyId);
      expect(toKeyId(kid)).to.equal(keyId);
      expect(toKeyId(keyId.toUpperCase().replace("0X", "0x"))).to.equal(keyId);
      for (const bad of ["2011-04-29", `${kid}A`, `${kid.slice(0, 42)}l`]) {
        expect((await refusal(() => kidToKeyId(bad))).code).to.equal("INVALID_ARGUMENT");
      }
      expect((await refusal(() => keyIdToKid("0x1234"))).code).to.equal("INVALID_ARGUMENT");
    });
  });
});
