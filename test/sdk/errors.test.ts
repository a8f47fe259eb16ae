import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../helpers/load-fixture";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet, ZeroHash, makeError } from "ethers";
import {
  ContractEnums,
  CrossproofError,
  EvidenceClient,
  LicenceClient,
  OPEN_ENDED,
  createProvider,
  encodeProposal,
  loadConsortiumConfig,
  plainMessage,
  signEvidenceRequest,
  timeInWords,
  toCrossproofError,
  toJurisdiction,
  toUnixSeconds,
  type AnchorEvidenceParameters,
  type CrossproofErrorCode,
} from "../../sdk/src";
import * as typechain from "../../sdk/src/typechain";
import { ANVIL_MNEMONIC, freePort, startAnvil, type RunningAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof } from "../../scripts/lib/deploy";
import { evidenceFixture, hashOf, licenceFixture } from "../helpers/fixtures";
import { CATEGORY, anchorThroughSdk, verifierClients } from "../helpers/verification";

const CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
/** 2026-01-01T00:00:00Z in milliseconds: what `Date.now()` gives where seconds are expected. */
const MILLISECONDS = 1_767_225_600_000;
const iso = (seconds: number | bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

/** The error `p` rejects with (it must reject). */
async function rejection(p: Promise<unknown> | (() => unknown)): Promise<CrossproofError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(CrossproofError);
    return err as CrossproofError;
  }
  return expect.fail("accepted");
}

/** `p`'s error, and the JSON-RPC methods Hardhat's chain was asked while it ran. */
async function withoutNetwork(p: () => Promise<unknown>): Promise<{ err: CrossproofError; calls: string[] }> {
  const hardhat = network.provider as unknown as { send: (method: string, params?: unknown[]) => Promise<unknown> };
  const send = hardhat.send;
  const calls: string[] = [];
  hardhat.send = (method, params) => {
    calls.push(method);
    return send.call(hardhat, method, params);
  };
  try {
    return { err: await rejection(p), calls };
  } finally {
    hardhat.send = send;
  }
}

/** The error is `code` with exactly `message`. */
function expectError(err: CrossproofError, code: CrossproofErrorCode, message: string): void {
  expect({ code: err.code, message: err.message }).to.deep.equal({ code, message });
}

describe("errors: the user's mistake → the code and the words", function () {
  async function clients() {
    const f = await loadFixture(evidenceFixture);
    const { evidence } = await verifierClients(f);
    const anchor: AnchorEvidenceParameters = {
      contentHash: hashOf("content"),
      packageCid: CID,
      category: 7,
      caseRef: ZeroHash,
      collectedAt: 1_767_225_600,
    };
    return { f, evidence, anchor };
  }

  describe("bad arguments: INVALID_ARGUMENT before any network call", function () {
    it("bad hex: a short hash, a missing 0x, an address too short or with a mistyped checksum", async function () {
      const { f, evidence, anchor } = await clients();
      let r = await withoutNetwork(() => evidence.signAnchorEvidence(f.frAgency, { ...anchor, contentHash: "0x12" }));
      expectError(r.err, "INVALID_ARGUMENT", 'contentHash must be 32 bytes of hex (0x + 64 digits), got "0x12"');
      expect(r.err.details).to.deep.equal({ argument: "contentHash", value: "0x12" });
      expect(r.calls).to.deep.equal([]);

      const noPrefix = hashOf("record").slice(2);
      r = await withoutNetwork(() => evidence.getEvidence(noPrefix));
      expectError(r.err, "INVALID_ARGUMENT", `recordId must be 32 bytes of hex (0x + 64 digits), got "${noPrefix}"`);
      expect(r.calls).to.deep.equal([]);

      r = await withoutNetwork(() =>
        evidence.signCustody(f.frAgency, { recordId: hashOf("record"), eventType: "Collected", detailsHash: "0x" }),
      );
      expectError(r.err, "INVALID_ARGUMENT", 'detailsHash must be 32 bytes of hex (0x + 64 digits), got "0x"');
      expect(r.calls).to.deep.equal([]);

      const lf = await loadFixture(licenceFixture);
      const licences = await LicenceClient.connect(await lf.licences.getAddress(), lf.deployer);
      const grant = { workId: hashOf("work"), rights: ["BROADCAST" as const], end: 1_900_000_000 };
      r = await withoutNetwork(() => licences.signGrant(lf.holder, { ...grant, licensee: "0x1234" }));
      expectError(r.err, "INVALID_ARGUMENT", 'licensee must be an address (0x + 40 hex digits), got "0x1234"');
      expect(r.calls).to.deep.equal([]);
      // One letter's case changed: the EIP-55 checksum no longer matches (a mistyped digit would do the same).
      const address = lf.platform.address;
      const i = address.search(/[a-fA-F]/);
      const mistyped = address.slice(0, i) + address[i]!.toLowerCase() + address.slice(i + 1);
      const swapped =
        mistyped === address ? address.slice(0, i) + address[i]!.toUpperCase() + address.slice(i + 1) : mistyped;
      r = await withoutNetwork(() => licences.signGrant(lf.holder, { ...grant, licensee: swapped }));
      expectError(
        r.err,
        "INVALID_ARGUMENT",
        `licensee must be an address with a valid checksum, got "${swapped}": a digit may be mistyped`,
      );
      expect(r.calls).to.deep.equal([]);
    });

    it('bad jurisdiction: "XX" is not assigned, "fr" is lower case, "FRA" is alpha-3', async function () {
      const { f, evidence, anchor } = await clients();
      let r = await withoutNetwork(() => evidence.signAnchorEvidence(f.frAgency, { ...anchor, firstUpload: "XX" }));
      expectError(r.err, "INVALID_ARGUMENT", 'firstUpload "XX" is not an assigned ISO 3166-1 alpha-2 code');
      expect(r.err.details).to.deep.equal({ argument: "firstUpload", value: "XX" });
      expect(r.calls).to.deep.equal([]);
      r = await withoutNetwork(() =>
        evidence.signAnchorEvidence(f.frAgency, { ...anchor, primaryDissemination: "fr" }),
      );
      expectError(
        r.err,
        "INVALID_ARGUMENT",
        'primaryDissemination "fr" is not an assigned ISO 3166-1 alpha-2 code (codes are upper case: "FR")',
      );
      expect(r.calls).to.deep.equal([]);
      expectError(
        await rejection(() => toJurisdiction("FRA")),
        "INVALID_ARGUMENT",
        'the jurisdiction "FRA" is not an assigned ISO 3166-1 alpha-2 code (give the two-letter code, not the three-letter one)',
      );
      expectError(
        await rejection(() =>
          encodeProposal({ kind: "AdmitMember", jurisdiction: "XX", roles: [], name: "x", key: ZeroHash }),
        ),
        "INVALID_ARGUMENT",
        'jurisdiction "XX" is not an assigned ISO 3166-1 alpha-2 code',
      );
    });

    it("unix milliseconds where seconds are expected: refused with a hint, a Date and seconds accepted", async function () {
      const { f, evidence, anchor } = await clients();
      const hint = "looks like milliseconds; pass seconds or a Date";
      const r = await withoutNetwork(() =>
        evidence.signAnchorEvidence(f.frAgency, { ...anchor, collectedAt: MILLISECONDS }),
      );
      expectError(r.err, "INVALID_ARGUMENT", `collectedAt must be unix seconds, got ${MILLISECONDS}: ${hint}`);
      expect(r.calls).to.deep.equal([]);
      expectError(
        await rejection(() => toUnixSeconds(MILLISECONDS)),
        "INVALID_ARGUMENT",
        `the time must be unix seconds, got ${MILLISECONDS}: ${hint}`,
      );
      expectError(
        await rejection(() =>
          encodeProposal({ kind: "AddKey", memberId: 3, key: f.spare[0]!.address, validUntil: MILLISECONDS }),
        ),
        "INVALID_ARGUMENT",
        `validUntil must be unix seconds, got ${MILLISECONDS}: ${hint}`,
      );
      // The same instant as a Date or in seconds; the open-ended sentinel where an end may be open.
      expect(toUnixSeconds(new Date(MILLISECONDS))).to.equal(MILLISECONDS / 1000);
      expect(toUnixSeconds(MILLISECONDS / 1000)).to.equal(MILLISECONDS / 1000);
      expect(() =>
        encodeProposal({ kind: "AddKey", memberId: 3, key: f.spare[0]!.address, validUntil: OPEN_ENDED }),
      ).to.not.throw();
      const signed = await evidence.signAnchorEvidence(f.frAgency, { ...anchor, collectedAt: new Date(MILLISECONDS) });
      expect(signed.request.collectedAt).to.equal(MILLISECONDS / 1000);
    });
  });

  describe("an unreachable node: CHAIN_UNREACHABLE naming the URL, at once", function () {
    it("connecting to a closed port fails on the first call with the URL and what to check", async function () {
      const url = `http://127.0.0.1:${await freePort()}`; // free, hence closed
      const expected =
        `cannot reach the chain at ${url} (connection refused): is the node running? ` +
        "Check the JSON-RPC URL (rpcUrl / CROSSPROOF_RPC_URL)";
      const logged: string[] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => void logged.push(a.join(" "));
      try {
        const provider = createProvider(url);
        const started = Date.now();
        const err = await rejection(EvidenceClient.connect(`0x${"11".repeat(20)}`, provider));
        expect(Date.now() - started).to.be.below(2_000);
        expectError(err, "CHAIN_UNREACHABLE", expected);
        expect(err.details).to.deep.equal({ url, reason: "connection refused" });
        expect((err.cause as { code?: string }).code).to.equal("ECONNREFUSED");
        // Any other first call too, and no retry loop behind it (ethers logs "retry in 1s" every second).
        expectError(await rejection(provider.getBlockNumber()), "CHAIN_UNREACHABLE", expected);
        await new Promise((r) => setTimeout(r, 1_200));
        expect(logged.filter((l) => l.includes("failed to detect network"))).to.deep.equal([]);
        provider.destroy();
        // A plain ethers provider: the same error (its own retry loop is ethers', stopped by destroy()).
        const plain = new JsonRpcProvider(url);
        expectError(
          await rejection(EvidenceClient.connect(`0x${"11".repeat(20)}`, plain)),
          "CHAIN_UNREACHABLE",
          expected,
        );
        plain.destroy();
      } finally {
        console.log = log;
      }
    });
  });

  describe("contract refusals: CONTRACT_REVERTED with the arguments in words", function () {
    it("roles by name and member ids as 'member #n'", async function () {
      const { f, evidence } = await clients();
      const recordId = await anchorThroughSdk(f, evidence, f.frAgency, { contentHash: hashOf("a"), collectedAt: 1 });
      const endorsement = await evidence.signEndorsement(f.usPlatform, {
        recordId,
        verdict: "Recognized",
        reportHash: ZeroHash,
      });
      const err = await rejection(evidence.submit(endorsement, f.deployer));
      expectError(
        err,
        "CONTRACT_REVERTED",
        "endorsing evidence refused: SignedRequestMissingRole(memberId: member #4, allowedRoles: AGENCY, COURT)",
      );
      expect(err.details).to.deep.equal({
        error: "SignedRequestMissingRole",
        args: ["4", "3"],
        argsInWords: { memberId: "member #4", allowedRoles: "AGENCY, COURT" },
      });
    });

    it("jurisdictions as their ISO codes", async function () {
      const { f, evidence } = await clients();
      const recordId = await anchorThroughSdk(f, evidence, f.frAgency, { contentHash: hashOf("b"), collectedAt: 1 });
      const recognized = await evidence.signEndorsement(f.deCourt, {
        recordId,
        verdict: "Recognized",
        reportHash: ZeroHash,
      });
      const err = await rejection(evidence.submit(recognized, f.deployer));
      expectError(
        err,
        "CONTRACT_REVERTED",
        `endorsing evidence refused: EndorsementNoAgreement(recordId: ${recordId}, from: FR, to: DE, category: ${CATEGORY})`,
      );
      expect(err.details).to.deep.include({ args: [recordId, "0x4652", "0x4445", String(CATEGORY)] });
    });

    it("times as ISO 8601 dates", async function () {
      const { f, evidence } = await clients();
      const collectedAt = (await time.latest()) - 3600;
      const recordId = await anchorThroughSdk(f, evidence, f.frAgency, { contentHash: hashOf("c"), collectedAt });
      const early = await evidence.signCustody(f.frAgency, {
        recordId,
        eventType: "Collected",
        occurredAt: collectedAt - 60,
      });
      const err = await rejection(evidence.submit(early, f.deployer));
      expectError(
        err,
        "CONTRACT_REVERTED",
        `recording custody refused: CustodyBeforeCollection(recordId: ${recordId}, ` +
          `occurredAt: ${iso(collectedAt - 60)}, collectedAt: ${iso(collectedAt)})`,
      );
      expect(err.details!.args).to.deep.equal([recordId, String(collectedAt - 60), String(collectedAt)]);
      expect(timeInWords(0)).to.equal("none");
      expect(timeInWords(OPEN_ENDED)).to.equal("open-ended");
    });

    it("names the value of every enum a custom error takes", function () {
      const enums = new Set<string>();
      for (const factory of Object.values(typechain)) {
        const abi = (factory as { abi?: readonly { type: string; inputs?: readonly { internalType?: string }[] }[] })
          .abi;
        for (const item of abi ?? []) {
          if (item.type !== "error") continue;
          for (const input of item.inputs ?? []) {
            const m = /^enum (\S+)$/.exec(input.internalType ?? "");
            if (m) enums.add(m[1]!);
          }
        }
      }
      expect([...enums].filter((e) => ContractEnums[e] === undefined)).to.deep.equal([]);
      expect(ContractEnums["IEvidenceRegistry.EvidenceStatus"]).to.deep.equal([
        "None",
        "Active",
        "Retracted",
        "Superseded",
      ]);
    });
  });

  describe("failing transactions on a real node: no transaction, calldata or bytecode in the message", function () {
    this.timeout(60_000);
    let anvil: RunningAnvil;
    let provider: ReturnType<typeof createProvider>;
    let dir: string;
    let evidence: EvidenceClient;
    const key = (i: number) =>
      new Wallet(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey);

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-errors-"));
      anvil = await startAnvil({ port: await freePort(), idleBlocks: false });
      provider = createProvider(anvil.url);
      const { record } = await deployCrossproof({
        signer: key(0).connect(provider),
        config: loadConsortiumConfig("config/demo-consortium.json"),
        deploymentFile: path.join(dir, "deployment.json"),
      });
      evidence = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);
    });
    after(async () => {
      provider.destroy();
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function anchorRequest(seed: string, deadlineShift = 0) {
      const fresh = await evidence.signAnchorEvidence(key(1), {
        contentHash: hashOf(seed),
        packageCid: CID,
        category: 3,
        caseRef: ZeroHash,
        collectedAt: (await evidence.chainTime()) - 60,
      });
      return signEvidenceRequest(key(1), evidence.domain, "AnchorEvidence", {
        ...fresh.request,
        deadline: fresh.request.deadline + deadlineShift,
      });
    }

    it("an expired request: the custom error with its deadline as a date, nothing else", async function () {
      const expired = await anchorRequest("expired", -3600 - 60);
      const err = await rejection(evidence.anchorEvidence(expired, key(0).connect(provider)));
      expectError(
        err,
        "CONTRACT_REVERTED",
        `anchoring evidence refused: SignedRequestExpired(deadline: ${iso(expired.request.deadline)})`,
      );
      expect(err.message).to.not.contain("0x");
      // ethers' own message carried the call data; it stays available as the cause.
      expect(String((err.cause as Error).message)).to.contain('data="0x');
    });

    it("a relaying account without funds: the node's words, not ethers' transaction dump", async function () {
      const signed = await anchorRequest("unfunded");
      const err = await rejection(evidence.anchorEvidence(signed, Wallet.createRandom().connect(provider)));
      expect(err.code).to.equal("CHAIN_ERROR");
      expect(err.message).to.match(/^anchoring evidence failed: insufficient funds/i);
      expect(err.message).to.not.match(/0x|transaction=|info=|data=/);
      expect(err.message.length).to.be.below(200);
      expect(String((err.cause as Error).message)).to.contain("transaction=");
    });

    it("plainMessage strips what ethers appends and shortens long hex", function () {
      const err = makeError("could not coalesce error", "UNKNOWN_ERROR", {
        error: { message: `execution failed with 0x${"ab".repeat(500)}` },
        payload: { method: "eth_call", params: [{ data: `0x${"cd".repeat(500)}` }] },
      } as never);
      expect(err.message).to.contain("payload=");
      expect(plainMessage(err)).to.equal("execution failed with <500 bytes>");
      const wrapped = toCrossproofError(err, [], "reading the record");
      expectError(wrapped, "CHAIN_ERROR", "reading the record failed: execution failed with <500 bytes>");
      expect(wrapped.cause).to.equal(err);
    });
  });
});
