import { expect } from "chai";
import { createHash, createHmac } from "node:crypto";
import {
  AUTHORIZATION_ANSWER_FORMAT,
  AUTHORIZATION_JWS_TYPE,
  authorizationAnswerDigest,
  closestCandidate,
  generateReportKey,
  isCrossproofError,
  signAuthorizationAnswer,
  territoryCodes,
  uploaderAccountHash,
  verifyAuthorizationAnswer,
  type AuthorizationAnswerDocument,
  type AuthorizationReasonName,
  type Hex,
} from "../../sdk/src";

const H = (b: string) => `0x${b.repeat(32)}` as Hex;

function document(): AuthorizationAnswerDocument {
  return {
    format: AUTHORIZATION_ANSWER_FORMAT,
    issuer: { memberId: "3" },
    chain: {
      chainId: "31337",
      licenseRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      blockNumber: 42,
      blockHash: H("ab"),
      blockTime: 1795857300,
    },
    answers: [
      {
        query: {
          workId: H("11"),
          platform: "3",
          accountHash: H("22"),
          right: "MAKE_AVAILABLE",
          territory: "FR",
          atTime: 1795857300,
        },
        answer: "NOT_LICENSED",
        reason: "NO_LICENCE",
        licensee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        chain: [],
        candidates: 0,
        summary: "Not authorised.",
      },
    ],
  };
}

async function refusedWith(p: Promise<unknown>, code: Parameters<typeof isCrossproofError>[1]) {
  await p.then(
    () => expect.fail("accepted"),
    (err: unknown) => expect(isCrossproofError(err, code), String(err)).to.equal(true),
  );
}

describe("upload authorisation: the pure parts", function () {
  it("uploaderAccountHash: SHA-256, or HMAC-SHA256 with the platform's pepper, of the prefixed NFC id", function () {
    const prefix = "crossproof.uploader-account/1\0";
    const id = "Zoë-77";
    expect(uploaderAccountHash(id)).to.equal(
      "0x" +
        createHash("sha256")
          .update(prefix + id.normalize("NFC"), "utf8")
          .digest("hex"),
    );
    const pepper = Buffer.alloc(32, 7);
    expect(uploaderAccountHash(id, { pepper })).to.equal(
      "0x" +
        createHmac("sha256", pepper)
          .update(prefix + id.normalize("NFC"), "utf8")
          .digest("hex"),
    );
    expect(uploaderAccountHash(id.normalize("NFD"))).to.equal(uploaderAccountHash(id));
    expect(() => uploaderAccountHash("")).to.throw(/account id/);
  });

  it("closestCandidate: OK first, then the chain closest to authorising, ties to the first listed", function () {
    const c = (id: string, reason: AuthorizationReasonName) => ({ id, reason });
    expect(closestCandidate([])).to.equal(undefined);
    expect(closestCandidate([c("a", "REVOKED"), c("b", "OK"), c("c", "OK")])!.id).to.equal("b");
    expect(
      closestCandidate([c("a", "EXPIRED"), c("b", "TERRITORY_NOT_GRANTED"), c("c", "NOT_YET_VALID")])!.id,
    ).to.equal("c");
    expect(closestCandidate([c("a", "TITLE_VOIDED"), c("b", "REVOKED")])!.id).to.equal("b");
    expect(closestCandidate([c("a", "RIGHT_NOT_GRANTED"), c("b", "RIGHT_NOT_GRANTED")])!.id).to.equal("a");
  });

  it("territoryCodes decodes the contract's 676-bit set", function () {
    const bit = (code: string) => (code.charCodeAt(0) - 65) * 26 + (code.charCodeAt(1) - 65);
    const words = [0n, 0n, 0n];
    for (const code of ["AD", "FR", "ZW", "US"]) words[bit(code) >> 8]! |= 1n << BigInt(bit(code) & 0xff);
    expect(territoryCodes(words)).to.deep.equal(["AD", "FR", "US", "ZW"]);
    expect(territoryCodes([0n, 0n, 0n])).to.deep.equal([]);
  });

  it("a signed answer verifies with the issuer's key set; altered or another key's answers do not", async function () {
    const key = await generateReportKey();
    const jws = await signAuthorizationAnswer(document(), {
      privateJwk: key.privateJwk,
      issuerMemberId: 3,
      at: 1795857301,
    });
    const v = await verifyAuthorizationAnswer(jws, { keySet: { keys: [{ ...key.publicJwk, kid: key.kid }] } });
    expect(v).to.deep.include({ issuerMemberId: 3n, kid: key.kid, signedAt: 1795857301 });
    expect(v.document).to.deep.equal(document());
    expect(v.digest).to.equal(authorizationAnswerDigest(jws));
    expect(JSON.parse(Buffer.from(jws.split(".")[0]!, "base64url").toString()).typ).to.equal(AUTHORIZATION_JWS_TYPE);

    const other = await generateReportKey();
    await refusedWith(
      verifyAuthorizationAnswer(jws, { keySet: { keys: [{ ...other.publicJwk, kid: other.kid }] } }),
      "REPORT_KEY_UNKNOWN",
    );
    const [h, p, s] = jws.split(".");
    const altered = JSON.parse(Buffer.from(p!, "base64url").toString()) as AuthorizationAnswerDocument;
    altered.answers[0]!.answer = "ALLOWED";
    await refusedWith(
      verifyAuthorizationAnswer(`${h}.${Buffer.from(JSON.stringify(altered)).toString("base64url")}.${s}`, {
        keySet: { keys: [{ ...key.publicJwk, kid: key.kid }] },
      }),
      "REPORT_SIGNATURE_INVALID",
    );
    await refusedWith(
      verifyAuthorizationAnswer("not.a.jws", { keySet: { keys: [{ ...key.publicJwk, kid: key.kid }] } }),
      "REPORT_MALFORMED",
    );
    // An answer names its issuer; signing for another member is refused.
    await refusedWith(
      signAuthorizationAnswer(document(), { privateJwk: key.privateJwk, issuerMemberId: 4 }),
      "INVALID_ARGUMENT",
    );
  });
});
