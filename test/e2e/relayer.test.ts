import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, Wallet, ZeroHash, keccak256, toUtf8Bytes } from "ethers";
import {
  AssistanceClient,
  ConsortiumClient,
  EvidenceCategory,
  EvidenceClient,
  LicenceClient,
  Relayer,
  computeCid,
  createProvider,
  deadlineFrom,
  encodeCall,
  isCrossproofError,
  loadConsortiumConfig,
  recordIdOf,
  relayedTransaction,
  signEvidenceRequest,
  type AnchorEvidenceParameters,
  type CrossproofProvider,
  type RelayerOptions,
} from "../../sdk/src";
import { ANVIL_MNEMONIC, type RunningAnvil, freePort, startAnvil } from "../../scripts/lib/anvil";
import { deployCrossproof, type DeploymentRecord } from "../../scripts/lib/deploy";

/** Anvil development key `index` (public test keys). */
function anvilKey(index: number): Wallet {
  return new Wallet(
    HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${index}`).privateKey,
  );
}

const RELAYER = 9; // the relaying account: no member, just gas
const FR_AGENCY = 1; // member 1, FR, AGENCY + GOVERNOR
const DE_COURT = 2; // member 2, DE, COURT + GOVERNOR
const US_PLATFORM = 3; // member 3, US, PLATFORM

/** A CIDv1 (raw) string, as an anchor's package CID. */
const CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
let contentCounter = 0;
/** A fresh content hash for each anchor. */
const nextContentHash = () => keccak256(toUtf8Bytes(`relayer test content ${++contentCounter}`));

function expectRevert(err: unknown, name: string): void {
  expect(isCrossproofError(err, "CONTRACT_REVERTED"), String(err)).to.equal(true);
  expect((err as { details: { error: string } }).details.error).to.equal(name);
}

describe("Relayer (real Anvil over JSON-RPC)", function () {
  this.timeout(300_000);
  let anvil: RunningAnvil;
  let dir: string;
  let provider: CrossproofProvider;
  let record: DeploymentRecord;
  let evidence: EvidenceClient;
  const relayers: Relayer[] = [];

  /** A relayer for account 9 (each test its own: one relayer per key at a time). */
  function newRelayer(options: RelayerOptions = {}): Relayer {
    const r = new Relayer(anvilKey(RELAYER).privateKey, provider, options);
    relayers.push(r);
    return r;
  }

  async function anchorParams(over: Partial<AnchorEvidenceParameters> = {}): Promise<AnchorEvidenceParameters> {
    return {
      contentHash: nextContentHash(),
      packageCid: CID,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      caseRef: ZeroHash,
      collectedAt: 1_700_000_000,
      ...over,
    };
  }

  /** An anchor signed with a deadline a minute before chain time (the SDK signs no such request itself). */
  async function expiredAnchor(member: Wallet | HDNodeWallet) {
    const fresh = await evidence.signAnchorEvidence(member, await anchorParams({ validFor: 1 }));
    return signEvidenceRequest(member, evidence.domain, "AnchorEvidence", {
      ...fresh.request,
      deadline: fresh.request.deadline - 61,
    });
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-relayer-"));
    // Without idle blocks: one test holds a transaction in the pool with evm_setAutomine(false).
    anvil = await startAnvil({ port: await freePort(), idleBlocks: false });
    provider = createProvider(anvil.url);
    ({ record } = await deployCrossproof({
      signer: anvilKey(0).connect(provider),
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile: path.join(dir, "deployment.json"),
    }));
    evidence = await EvidenceClient.connect(record.contracts.EvidenceRegistry!.address, provider);
  });
  afterEach(() => {
    for (const r of relayers.splice(0)) r.close();
  });
  after(async () => {
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("many requests in flight from one relayer", () => {
    it("mines every one of 300 anchors fired at once, under contiguous nonces, with one gas estimate", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      const first = await provider.getTransactionCount(relayer.address, "latest");
      const signed = [];
      for (let i = 0; i < 300; i++) signed.push(await evidence.signAnchorEvidence(member, await anchorParams()));

      const submitted = await Promise.all(signed.map((s) => evidence.anchorEvidence(s, relayer)));
      const anchored = await Promise.all(submitted.map((s) => s.wait()));

      expect(anchored.map((a) => a.recordId)).to.deep.equal(signed.map((s) => recordIdOf(1, s.request.contentHash)));
      expect(anchored.every((a) => a.receipt.status === 1)).to.equal(true);
      const nonces = submitted.map((s) => relayedTransaction(s.hash)!.nonce).sort((a, b) => a - b);
      expect(nonces).to.deep.equal(Array.from({ length: 300 }, (_, i) => first + i));
      expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(first + 300);
      expect(relayer.stats).to.include({ sent: 300, mined: 300, reverted: 0, estimates: 1, resyncs: 0, fillers: 0 });
      expect(relayer.pendingCount).to.equal(0);
    });

    it("signs and relays concurrently: requests signed while others are in flight all land", async () => {
      const relayer = newRelayer();
      const members = [anvilKey(FR_AGENCY), anvilKey(DE_COURT), anvilKey(US_PLATFORM)];
      const anchored = await Promise.all(
        Array.from({ length: 90 }, async (_, i) => {
          const signer = members[i % 3]!;
          const signed = await evidence.signAnchorEvidence(signer, await anchorParams());
          return (await evidence.anchorEvidence(signed, relayer)).wait();
        }),
      );
      expect(anchored.map((a) => a.memberId)).to.deep.equal(Array.from({ length: 90 }, (_, i) => BigInt((i % 3) + 1)));
      expect(relayer.stats).to.include({ sent: 90, mined: 90, reverted: 0 });
    });
  });

  describe("requests the contract refuses", () => {
    it("reports a reverted request with its custom error, and the requests around it are mined", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      // One accepted anchor first: the relayer's one estimate for anchors is spent on it.
      const taken = await anchorParams();
      await (await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, taken), relayer)).wait();
      const first = await provider.getTransactionCount(relayer.address, "latest");

      const signed = [];
      for (let i = 0; i < 20; i++) {
        if (i === 5) signed.push(await expiredAnchor(member));
        else if (i === 10) signed.push(await evidence.signAnchorEvidence(member, taken));
        else if (i === 15) signed.push(await evidence.signAnchorEvidence(anvilKey(7), await anchorParams()));
        else signed.push(await evidence.signAnchorEvidence(member, await anchorParams()));
      }
      const outcomes = await Promise.allSettled(
        signed.map(async (s) => (await evidence.anchorEvidence(s, relayer)).wait()),
      );

      expectRevert((outcomes[5] as PromiseRejectedResult).reason, "SignedRequestExpired");
      expectRevert((outcomes[10] as PromiseRejectedResult).reason, "EvidenceAlreadyAnchored");
      expectRevert((outcomes[15] as PromiseRejectedResult).reason, "SignedRequestUnauthorizedSigner");
      const mined = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
      expect(mined).to.deep.equal(Array.from({ length: 20 }, (_, i) => i).filter((i) => ![5, 10, 15].includes(i)));
      // The reverted transactions took their nonces like the others: no gap, nothing left waiting.
      expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(first + 20);
      expect(relayer.stats).to.include({ reverted: 3, fillers: 0, resent: 0 });
      expect(relayer.pendingCount).to.equal(0);
    });

    it("refuses the first request of its kind before sending it, and takes no nonce for it", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      const before = await relayer.getNonce("pending");
      const expired = await expiredAnchor(member);
      await evidence.anchorEvidence(expired, relayer).then(
        () => expect.fail("sent"),
        (err: unknown) => expectRevert(err, "SignedRequestExpired"),
      );
      expect(await relayer.getNonce("pending")).to.equal(before);
      const next = await (
        await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
      ).wait();
      expect(relayedTransaction(next.receipt.hash)!.nonce).to.equal(before);
      expect(relayer.stats).to.include({ estimates: 2, sent: 1 });
    });

    it("sends again, with an estimate, a transaction that ran out of gas", async () => {
      const relayer = newRelayer();
      const signed = await evidence.signAnchorEvidence(anvilKey(FR_AGENCY), await anchorParams());
      const sent = await relayer.relay({
        to: record.contracts.EvidenceRegistry!.address,
        data: encodeCall(evidence.registry.interface, "anchorEvidence", [signed.request, signed.signature]),
        gasLimit: 50_000n,
      });
      const receipt = await sent.wait();
      expect(receipt.status).to.equal(1);
      expect(sent.hashes).to.have.length(2);
      expect(receipt.hash).to.equal(sent.hash);
      expect(receipt.gasUsed).to.be.greaterThan(50_000n);
      expect(relayer.stats).to.include({ reverted: 1, resent: 1, estimates: 1 });
      expect(await evidence.getEvidence(recordIdOf(1, signed.request.contentHash))).to.include({ status: "Active" });
    });
  });

  describe("sends the node refuses for good", () => {
    it("fills the nonce of a refused send with a no-op, so that the sends after it are mined", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      await (
        await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
      ).wait();
      const first = await relayer.getNonce("pending");
      const registry = record.contracts.EvidenceRegistry!.address;
      const calls = [];
      for (let i = 0; i < 5; i++) {
        const s = await evidence.signAnchorEvidence(member, await anchorParams());
        const data = encodeCall(evidence.registry.interface, "anchorEvidence", [s.request, s.signature]);
        // The third asks for more gas than a block holds: the node refuses it outright.
        calls.push(i === 2 ? { to: registry, data, gasLimit: 40_000_000n } : { to: registry, data });
      }
      const sent = await Promise.allSettled(calls.map((c) => relayer.relay(c)));
      const refused = (sent[2] as PromiseRejectedResult).reason as { code: string; details: { failure: string } };
      expect(refused.code).to.equal("CHAIN_ERROR");
      expect(refused.details.failure).to.equal("fatal");
      const receipts = await Promise.all(sent.flatMap((s) => (s.status === "fulfilled" ? [s.value.wait()] : [])));
      expect(receipts.map((r) => r.status)).to.deep.equal([1, 1, 1, 1]);
      expect(relayer.stats.fillers).to.equal(1);
      // The two sent after it were mined, so the filler was: every nonce up to the last one is used.
      expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(first + 5);
      expect(await relayer.getNonce("pending")).to.equal(first + 5);
    });

    it("gives back the nonce of a refused send when nothing was sent after it", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      await (
        await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
      ).wait();
      const first = await relayer.getNonce("pending");
      const s = await evidence.signAnchorEvidence(member, await anchorParams());
      const data = encodeCall(evidence.registry.interface, "anchorEvidence", [s.request, s.signature]);
      await relayer.relay({ to: record.contracts.EvidenceRegistry!.address, data, gasLimit: 40_000_000n }).then(
        () => expect.fail("sent"),
        (err: unknown) => expect(isCrossproofError(err, "CHAIN_ERROR")).to.equal(true),
      );
      expect(await relayer.getNonce("pending")).to.equal(first);
      const next = await (await relayer.relay({ to: record.contracts.EvidenceRegistry!.address, data })).wait();
      expect(relayedTransaction(next.hash)!.nonce).to.equal(first);
      expect(relayer.stats.fillers).to.equal(0);
    });
  });

  describe("nonces used outside the relayer", () => {
    it("resyncs when another sender took its next nonce", async () => {
      const relayer = newRelayer();
      const member = anvilKey(FR_AGENCY);
      await (
        await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
      ).wait();
      const taken = await relayer.getNonce("pending");
      // The same key, outside the relayer, uses the nonce the relayer would use next.
      const outside = anvilKey(RELAYER).connect(provider);
      await (await outside.sendTransaction({ to: outside.address, value: 0n, nonce: taken })).wait();

      const anchored = await Promise.all(
        [0, 1, 2].map(async () =>
          (
            await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
          ).wait(),
        ),
      );
      expect(anchored.every((a) => a.receipt.status === 1)).to.equal(true);
      const nonces = anchored.map((a) => relayedTransaction(a.receipt.hash)!.nonce).sort((a, b) => a - b);
      expect(nonces).to.deep.equal([taken + 1, taken + 2, taken + 3]);
      expect(relayer.stats.resyncs).to.be.greaterThan(0);
      expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(taken + 4);
    });

    it("sends a pending request again when another transaction replaced it in the pool", async () => {
      const relayer = newRelayer({ stallTimeout: 300 });
      const member = anvilKey(FR_AGENCY);
      await (
        await evidence.anchorEvidence(await evidence.signAnchorEvidence(member, await anchorParams()), relayer)
      ).wait();
      await provider.send("evm_setAutomine", [false]);
      let submitted;
      try {
        submitted = await evidence.anchorEvidence(
          await evidence.signAnchorEvidence(member, await anchorParams()),
          relayer,
        );
        const nonce = relayedTransaction(submitted.hash)!.nonce;
        // The same key replaces it in the pool with a higher fee, and that one is mined.
        const outside = anvilKey(RELAYER).connect(provider);
        const fee = await provider.getFeeData();
        await outside.sendTransaction({
          to: outside.address,
          nonce,
          maxFeePerGas: fee.maxFeePerGas! * 10n,
          maxPriorityFeePerGas: fee.maxPriorityFeePerGas! * 10n,
        });
        await provider.send("evm_mine", []);
      } finally {
        await provider.send("evm_setAutomine", [true]);
      }
      const anchored = await submitted.wait();
      expect(anchored.receipt.status).to.equal(1);
      expect(relayedTransaction(anchored.receipt.hash)!.hashes.length).to.be.at.least(2);
      expect(relayer.stats.resent).to.be.greaterThan(0);
    });
  });

  describe("back-to-back requests through every client", () => {
    it("anchors, records custody, concludes an agreement, issues and answers assistance, registers a work", async () => {
      const relayer = newRelayer();
      const fr = anvilKey(FR_AGENCY);
      const de = anvilKey(DE_COURT);
      const us = anvilKey(US_PLATFORM);
      // Custody requests carry nonces read from the chain: each is signed after the previous one is mined.
      const { recordId } = await (
        await evidence.anchorEvidence(
          await evidence.signAnchorEvidence(fr, await anchorParams({ collectedAt: (await evidence.chainTime()) - 60 })),
          relayer,
        )
      ).wait();
      for (const [who, eventType, counterparty] of [
        [fr, "Collected", 0],
        [fr, "Sealed", 0],
        [fr, "Transferred", 2],
        [de, "Received", 1],
      ] as const) {
        const sent = await evidence.submit(
          await evidence.signCustody(who, { recordId, eventType, counterparty }),
          relayer,
        );
        const recorded = await sent.wait();
        expect(recorded).to.deep.include({ recordId, eventType, actor: who === fr ? 1n : 2n });
      }
      const chain = await evidence.custodyChain(recordId);
      expect(chain.events.map((e) => e.eventType)).to.have.length(4);
      expect(chain.verification.intact).to.equal(true);

      const consortium = await ConsortiumClient.connect(record.contracts.Consortium!.address, relayer);
      const proposed = await (
        await consortium.submit(
          await consortium.signProposeAgreement(fr, {
            from: "FR",
            to: "DE",
            categories: [EvidenceCategory.LIVE_STREAM_RECORDING],
            minAssurance: ["COMPLETE_CUSTODY"],
            textHash: `0x${"33".repeat(32)}`,
          }),
          relayer,
        )
      ).wait();
      const { agreementId } = proposed;
      const approved = await (
        await consortium.submit(await consortium.signApproveAgreement(de, agreementId), relayer)
      ).wait();
      expect(approved).to.deep.include({ agreementId, concluded: true });

      const assistance = await AssistanceClient.connect(record.contracts.AssistanceDesk!.address, relayer);
      const issued = await (
        await assistance.submit(
          await assistance.signIssue(fr, {
            addressee: 3,
            kind: "Produce",
            caseRef: ZeroHash,
            evidenceIds: [recordId],
            firstUpload: "US",
            primaryDissemination: "FR",
            legalBasisHash: keccak256(toUtf8Bytes("legal basis")),
          }),
          relayer,
        )
      ).wait();
      const { requestId } = issued;
      expect(issued).to.deep.include({ requester: 1n, addressee: 3n, kind: "Produce", emergencyReason: "None" });
      const acknowledged = await (
        await assistance.submit(await assistance.signAcknowledge(us, { requestId }), relayer)
      ).wait();
      expect(acknowledged).to.deep.include({ requestId, state: "Acknowledged", late: false });
      const answered = await (
        await assistance.submit(
          await assistance.signRespond(us, {
            requestId,
            outcome: "Fulfilled",
            responseHash: keccak256(toUtf8Bytes("response")),
            responseCid: CID,
          }),
          relayer,
        )
      ).wait();
      expect(answered).to.deep.include({ requestId, state: "Fulfilled", late: false });
      expect(await assistance.getRequest(requestId)).to.include({ state: "Fulfilled" });

      // Every client relays through the Relayer's own `relay` (one submit path): the relayer waits for it.
      const licences = await LicenceClient.connect(record.contracts.LicenseRegistry!.address, relayer);
      const holder = anvilKey(6);
      const work = keccak256(toUtf8Bytes("a work"));
      const registered = await (
        await licences.submit(
          await licences.signRegisterWork(holder, {
            contentHash: work,
            rightsHolder: holder.address,
            originJurisdiction: "ES",
            metadataCid: await computeCid(toUtf8Bytes("work metadata")),
          }),
          relayer,
        )
      ).wait();
      expect(registered).to.deep.include({ workId: work, rightsHolder: holder.address, registrarMemberId: 0n });
      expect(relayedTransaction(registered.receipt.hash)).to.not.equal(undefined);

      expect(relayer.stats).to.include({ reverted: 0, resyncs: 0, fillers: 0 });
      expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(await relayer.getNonce("pending"));
    });
  });

  describe("deadlines by the chain clock", () => {
    it("signs many requests with one block read, and reads again after the chain's time was moved", async () => {
      const clocked = createProvider(anvil.url, { clockMaxAge: 600_000 });
      try {
        let blockReads = 0;
        await clocked.on("debug", (e: { action: string; payload?: { method?: string } }) => {
          if (e.action === "sendRpcPayload" && e.payload?.method === "eth_getBlockByNumber") blockReads++;
        });
        const latest = (await clocked.getBlock("latest"))!.timestamp;
        const deadlines = [];
        for (let i = 0; i < 20; i++) deadlines.push(await deadlineFrom(clocked, 3600));
        expect(blockReads - 1).to.equal(1); // getBlock above, then the clock's one reading
        expect(deadlines[0]).to.be.at.least(latest + 3600);

        await clocked.send("evm_increaseTime", [30 * 86400]);
        await clocked.send("evm_mine", []);
        const moved = (await clocked.getBlock("latest"))!.timestamp;
        expect(await deadlineFrom(clocked, 3600)).to.be.at.least(moved + 3600);
        expect(moved - latest).to.be.at.least(30 * 86400);
      } finally {
        clocked.destroy();
      }
    });
  });
});
