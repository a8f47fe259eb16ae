import { expect } from "chai";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { ConsortiumClient, generateRecipientKey, generateReportKey, type ReportKeyPair } from "../../sdk/src";
import { runDemo, type DemoResult } from "../../scripts/lib/demo";
import type { RunningGateway } from "../../server/src/gateway";
import { addKeys, loadKeystore, removeKeys } from "../../server/src/keystore";
import { verificationModule } from "../../server/src/routes/verification";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const PASSWORD = "correct horse battery staple";

describe("gateway keystore: encrypted key files and report-key rotation", function () {
  this.timeout(240_000);

  describe("key files", function () {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), "crossproof-keys-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("keeps every key it was given, encrypted at rest, readable only with the password", async function () {
      const a = await generateReportKey();
      const b = await generateReportKey("EdDSA");
      const p = await generateRecipientKey();
      const signer = Wallet.createRandom();
      await addKeys(dir, PASSWORD, {
        memberId: 7,
        signingKeys: [signer.privateKey],
        reportKeys: [{ kid: a.kid, jwk: a.privateJwk }],
      });
      // Rotation adds; it never drops what the file holds (and adding the same key twice keeps one).
      await addKeys(dir, PASSWORD, {
        memberId: 7,
        reportKeys: [
          { kid: b.kid, jwk: b.privateJwk },
          { kid: a.kid, jwk: a.privateJwk },
        ],
        packageKeys: [p.privateKey],
      });
      const file = path.join(dir, "member-7.jwe");
      expect(readdirSync(dir)).to.deep.equal(["member-7.jwe"]);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      const raw = readFileSync(file, "utf8");
      for (const secret of [a.privateJwk.d!, b.privateJwk.d!, p.privateKey.jwk.d!, signer.privateKey.slice(2)]) {
        expect(raw).to.not.contain(secret);
      }
      const members = await loadKeystore(dir, PASSWORD);
      const m = members.get(7n)!;
      expect(m.reportKeys.map((k) => k.kid)).to.deep.equal([a.kid, b.kid]);
      expect(m.packageKeys.map((k) => k.kid)).to.deep.equal([p.privateKey.kid]);
      expect(m.signers.map((w) => w.address)).to.deep.equal([signer.address]);

      let refused: Error | undefined;
      try {
        await loadKeystore(dir, "the wrong password!!");
      } catch (err) {
        refused = err as Error;
      }
      expect(refused?.message).to.match(/wrong CROSSPROOF_KEYSTORE_PASSWORD/);

      expect(await removeKeys(dir, PASSWORD, 7, [a.kid])).to.equal(1);
      expect((await loadKeystore(dir, PASSWORD)).get(7n)!.reportKeys.map((k) => k.kid)).to.deep.equal([b.kid]);
    });

    it("reads a member's key file from the environment too (CROSSPROOF_MEMBER_KEYS_<id>), never the same member twice", async function () {
      const a = await generateReportKey();
      await addKeys(dir, PASSWORD, { memberId: 7, reportKeys: [{ kid: a.kid, jwk: a.privateJwk }] });
      const jwe = readFileSync(path.join(dir, "member-7.jwe"), "utf8");
      const empty = path.join(dir, "none");
      const fromEnv = await loadKeystore(empty, PASSWORD, { CROSSPROOF_MEMBER_KEYS_7: jwe });
      expect(fromEnv.get(7n)!.reportKeys.map((k) => k.kid)).to.deep.equal([a.kid]);
      const refusal = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (err) {
          return (err as Error).message;
        }
        return "accepted";
      };
      expect(await refusal(loadKeystore(dir, PASSWORD, { CROSSPROOF_MEMBER_KEYS_7: jwe }))).to.match(/both in/);
      expect(await refusal(loadKeystore(empty, PASSWORD, { CROSSPROOF_MEMBER_KEYS_8: jwe }))).to.match(
        /CROSSPROOF_MEMBER_KEYS_8 holds the keys of member 7/,
      );
      expect(await refusal(loadKeystore(empty, "the wrong password!!", { CROSSPROOF_MEMBER_KEYS_7: jwe }))).to.match(
        /cannot open CROSSPROOF_MEMBER_KEYS_7: wrong CROSSPROOF_KEYSTORE_PASSWORD/,
      );
    });

    it("refuses a short password", async function () {
      let refused: Error | undefined;
      try {
        await addKeys(dir, "short", { memberId: 1 });
      } catch (err) {
        refused = err as Error;
      }
      expect(refused?.message).to.match(/at least 12 characters/);
    });
  });

  describe("rotating a member's report key (real chain)", function () {
    let chain: TestChain;
    let demo: DemoResult;
    let work: string;
    let consortium: ConsortiumClient;
    const court = () => new Wallet(devKey(2), chain.provider);

    before(async () => {
      chain = await startTestChain();
      work = mkdtempSync(path.join(tmpdir(), "crossproof-rotation-"));
      demo = await runDemo({ provider: chain.provider, deployment: chain.record, workDir: path.join(work, "demo") });
      consortium = await ConsortiumClient.connect(chain.record.contracts.Consortium.address, chain.provider);
    });
    after(async () => {
      await chain?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    const register = async (k: ReportKeyPair) =>
      (
        await consortium.submit(
          await consortium.signAddOwnPublicKey(court(), 2, { purpose: "Report", jwk: k.publicJwk }),
          chain.account(8),
        )
      ).wait();

    async function withGateway<T>(fn: (gw: RunningGateway, token: string) => Promise<T>): Promise<T> {
      const gw = await startTestGateway(chain, [verificationModule], {
        keystoreDir: path.join(work, "keys"),
        keystorePassword: PASSWORD,
        contentStore: demo.storeDir,
      });
      try {
        const { token } = await gw.ctx.sessions.issue({
          kind: "member",
          memberId: 2n,
          roles: ["COURT", "GOVERNOR"],
          jurisdiction: "DE",
          address: court().address,
        });
        return await fn(gw, token);
      } finally {
        await gw.close();
      }
    }

    const verifyOnce = (gw: RunningGateway, token: string) =>
      fetch(`${gw.url}/v1/verifications`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ evidence: { contentHash: demo.contentHash } }),
      }).then((r) => r.json() as Promise<{ jws: string; kid: string }>);

    const recheck = (gw: RunningGateway, jws: string) =>
      fetch(`${gw.url}/v1/reports/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jws }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string; kid?: string } }));

    it("signs with the new key after rotation, and what the old key signed keeps verifying after it is revoked", async function () {
      const oldKey = await generateReportKey();
      await register(oldKey);
      await addKeys(path.join(work, "keys"), PASSWORD, {
        memberId: 2,
        reportKeys: [{ kid: oldKey.kid, jwk: oldKey.privateJwk }],
      });
      const before = await withGateway((gw, token) => verifyOnce(gw, token));
      expect(before.kid).to.equal(oldKey.kid);

      // Rotation: a new key in the file and on chain; the gateway (restarted) signs with the newest valid one.
      const newKey = await generateReportKey("EdDSA");
      await addKeys(path.join(work, "keys"), PASSWORD, {
        memberId: 2,
        reportKeys: [{ kid: newKey.kid, jwk: newKey.privateJwk }],
      });
      await register(newKey);
      const after = await withGateway((gw, token) => verifyOnce(gw, token));
      expect(after.kid).to.equal(newKey.kid);

      // The old key is revoked on chain, later (validity has one-second resolution: a report signed in the very
      // second of the revocation counts as signed after it): the report it signed before still verifies…
      await chain.provider.send("evm_increaseTime", [5]);
      await chain.provider.send("evm_mine", []);
      await (
        await consortium.submit(await consortium.signRevokeOwnPublicKey(court(), 2, oldKey.kid), chain.account(8))
      ).wait();
      await withGateway(async (gw) => {
        const old = await recheck(gw, before.jws);
        expect(old.status, JSON.stringify(old.body)).to.equal(200);
        expect(old.body.kid).to.equal(oldKey.kid);
      });

      // …and if the new key is revoked too, the gateway refuses to sign rather than use a revoked key.
      await (
        await consortium.submit(await consortium.signRevokeOwnPublicKey(court(), 2, newKey.kid), chain.account(8))
      ).wait();
      await withGateway(async (gw, token) => {
        const res = await fetch(`${gw.url}/v1/verifications`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ evidence: { contentHash: demo.contentHash } }),
        });
        expect(res.status).to.equal(403);
        expect(((await res.json()) as { detail: string }).detail).to.match(/none of member 2's report keys/);
      });
    });
  });
});
