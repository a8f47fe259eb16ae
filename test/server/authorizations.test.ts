import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { Wallet, id } from "ethers";
import {
  AUTHORIZATION_ANSWER_FORMAT,
  ConsortiumClient,
  GatewayClient,
  LicenceClient,
  computeCid,
  generateReportKey,
  isCrossproofError,
  uploaderAccountHash,
  verifyAuthorizationAnswer,
  type Hex,
  type WireUploadAuthorization,
} from "../../sdk/src";
import { auditModule } from "../../server/src/audit";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { addKeys } from "../../server/src/keystore";
import { authorizationsModule } from "../../server/src/routes/authorizations";
import { verificationModule } from "../../server/src/routes/verification";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

/** The demo consortium's platform (Streamly, US) and court. */
const PLATFORM = 3n;
const COURT = 2n;
const PEPPER = id("Streamly's account pepper");
const account = (name: string) => uploaderAccountHash(name, { pepper: PEPPER });
const YEAR = 365 * 24 * 3600;

describe("gateway: upload authorisation (real chain, real HTTP)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let licences: LicenceClient;
  let consortium: ConsortiumClient;
  let platformToken: string;
  let courtToken: string;
  const relayer = () => chain.account(8);
  const holder = new Wallet(id("rights holder"));
  const licensee = new Wallet(id("licensee: a broadcaster"));
  const stranger = new Wallet(id("another licensee"));
  const platformKey = new Wallet(devKey(3));
  const WORK = id("work: the film") as Hex;
  const UNLICENSED_WORK = id("work: a song nobody licensed") as Hex;
  const UNKNOWN_WORK = id("work: never registered") as Hex;
  const ACCOUNT = account("broadcaster-official");
  const UNLINKED = account("someone-else");
  let licenceFR: Hex;

  const submit = async (signed: Parameters<LicenceClient["submit"]>[0]) =>
    (await licences.submit(signed, relayer())).wait();

  before(async () => {
    chain = await startTestChain();
    const c = chain.record.contracts;
    licences = await LicenceClient.connect(c.LicenseRegistry.address, chain.provider);
    consortium = await ConsortiumClient.connect(c.Consortium.address, chain.provider);
    // The platform's report key, registered on chain and held by the gateway.
    const reportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(platformKey, PLATFORM, { purpose: "Report", jwk: reportKey.publicJwk }),
        relayer(),
      )
    ).wait();
    const keystoreDir = path.join(mkdtempSync(path.join(chain.dataDir, "work-")), "keys");
    await addKeys(keystoreDir, "correct horse battery staple", {
      memberId: Number(PLATFORM),
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [],
    });

    for (const work of [WORK, UNLICENSED_WORK]) {
      await submit(
        await licences.signRegisterWork(holder, {
          contentHash: work,
          rightsHolder: holder.address,
          originJurisdiction: "FR",
          metadataCid: await computeCid(new TextEncoder().encode(`metadata of ${work}`)),
        }),
      );
    }
    const end = (await licences.chainTime()) + YEAR;
    // The licensee may make the film available in France and Germany; another licensee worldwide.
    ({ licenceId: licenceFR } = await (
      await licences.submit(
        await licences.signGrant(holder, {
          workId: WORK,
          licensee: licensee.address,
          rights: ["MAKE_AVAILABLE"],
          territories: ["FR", "DE"],
          end,
        }),
        relayer(),
      )
    ).wait());
    await submit(
      await licences.signGrant(holder, {
        workId: WORK,
        licensee: stranger.address,
        rights: ["MAKE_AVAILABLE", "BROADCAST"],
        worldwide: true,
        end,
      }),
    );
    // The broadcaster links its account on the platform; the platform confirms.
    const asked = await licences.signLinkAccount(licensee, { platform: PLATFORM, accountHash: ACCOUNT });
    await submit(await licences.confirmAccountLink(platformKey, asked, { platformMemberId: PLATFORM }));

    gw = await startTestGateway(chain, [auditModule, indexerModule, verificationModule, authorizationsModule], {
      indexerPollMs: "0",
      keystoreDir,
      keystorePassword: "correct horse battery staple",
    });
    const issue = async (memberId: bigint, roles: ("PLATFORM" | "COURT" | "GOVERNOR")[], key: number) =>
      (
        await gw.ctx.sessions.issue({
          kind: "member",
          memberId,
          roles,
          jurisdiction: "US",
          address: new Wallet(devKey(key)).address,
        })
      ).token;
    platformToken = await issue(PLATFORM, ["PLATFORM"], 3);
    courtToken = await issue(COURT, ["COURT", "GOVERNOR"], 2);
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const ask = async (body: unknown, token: string | null = platformToken) => {
    const res = await fetch(`${gw.url}/v1/authorizations`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** One query's signed answer, its JWS verified against the chain. */
  const answerOf = async (q: Record<string, unknown>): Promise<WireUploadAuthorization> => {
    const { status, body } = await ask(q);
    expect(status, JSON.stringify(body)).to.equal(200);
    const verified = await verifyAuthorizationAnswer(body.jws as string, { consortium });
    expect(verified.document.answers).to.have.length(1);
    return verified.document.answers[0]!;
  };
  const query = (o: Partial<Record<"workId" | "accountHash" | "territory" | "right", string>> = {}) => ({
    workId: WORK,
    accountHash: ACCOUNT,
    territory: "FR",
    right: "MAKE_AVAILABLE",
    ...o,
  });

  it("ALLOWED: the chain that authorises it, signed by the platform's report key", async function () {
    const { status, body } = await ask(query());
    expect(status).to.equal(200);
    expect(body.format).to.equal(AUTHORIZATION_ANSWER_FORMAT);
    expect(body.issuer).to.deep.equal({ memberId: "3" });
    const verified = await verifyAuthorizationAnswer(body.jws as string, { consortium });
    expect(verified.issuerMemberId).to.equal(PLATFORM);
    expect(verified.digest).to.equal(body.digest);
    const { jws: _jws, kid: _kid, digest: _digest, ...document } = body;
    expect(verified.document).to.deep.equal(document);
    const [a] = verified.document.answers;
    expect(a).to.deep.include({
      answer: "ALLOWED",
      reason: "OK",
      licensee: licensee.address,
      licenceId: licenceFR,
      candidates: 1,
    });
    expect(a!.query).to.deep.include({ workId: WORK, platform: "3", accountHash: ACCOUNT, territory: "FR" });
    expect(a!.query.atTime).to.equal(verified.document.chain.blockTime);
    expect(a!.chain).to.have.length(1);
    expect(a!.chain[0]).to.deep.include({ licenceId: licenceFR, licensor: holder.address, valid: true, reason: "OK" });
    expect(a!.summary).to.match(/^Authorised: .* held MAKE_AVAILABLE for FR/);
    expect(verified.document.chain.licenseRegistry).to.equal(chain.record.contracts.LicenseRegistry.address);
  });

  it("NOT_LICENSED: the closest chain and its reason in words, or NO_LICENCE", async function () {
    const us = await answerOf(query({ territory: "US" }));
    expect(us).to.deep.include({ answer: "NOT_LICENSED", reason: "TERRITORY_NOT_GRANTED", failedAt: licenceFR });
    expect(us.summary).to.match(/covers DE, FR, not US/);
    const broadcast = await answerOf(query({ right: "BROADCAST" }));
    expect(broadcast).to.deep.include({ answer: "NOT_LICENSED", reason: "RIGHT_NOT_GRANTED" });
    // Another licensee holds a worldwide licence: it does not help this account's licensee.
    const none = await answerOf(query({ workId: UNLICENSED_WORK }));
    expect(none).to.deep.include({ answer: "NOT_LICENSED", reason: "NO_LICENCE", licensee: licensee.address });
    expect(none.chain).to.deep.equal([]);
  });

  it("UNKNOWN_WORK and UNKNOWN_ACCOUNT", async function () {
    expect(await answerOf(query({ workId: UNKNOWN_WORK }))).to.deep.include({ answer: "UNKNOWN_WORK", candidates: 0 });
    const unknown = await answerOf(query({ accountHash: UNLINKED }));
    expect(unknown).to.deep.include({ answer: "UNKNOWN_ACCOUNT" });
    expect(unknown).to.not.have.property("licensee");
  });

  it("only PLATFORM members ask, signed in; bad input is a problem document", async function () {
    expect((await ask(query(), null)).status).to.equal(401);
    const court = await ask(query(), courtToken);
    expect(court.status).to.equal(403);
    expect(court.body.type).to.equal("urn:crossproof:problem:forbidden");
    const tooMany = await ask({ items: Array.from({ length: 1001 }, () => query()) });
    expect(tooMany.status).to.equal(400);
    expect((await ask(query({ territory: "France" }))).status).to.equal(400);
    const unassigned = await ask(query({ territory: "XX" }));
    expect(unassigned.status).to.equal(400);
    expect(String(unassigned.body.detail)).to.match(/territory/);
  });

  it("a tampered answer does not verify", async function () {
    const { body } = await ask(query({ territory: "US" }));
    const [h, p, s] = (body.jws as string).split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString("utf8")) as { answers: { answer: string }[] };
    payload.answers[0]!.answer = "ALLOWED";
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
    await verifyAuthorizationAnswer(forged, { consortium }).then(
      () => expect.fail("a forged answer verified"),
      (err: unknown) => expect(isCrossproofError(err, "REPORT_SIGNATURE_INVALID"), String(err)).to.equal(true),
    );
  });

  it("the SDK's GatewayClient asks the same and checks the signature", async function () {
    const client = new GatewayClient(gw.url, { token: platformToken });
    const online = await client.authorizeUploads([query(), query({ territory: "US" })] as never, { consortium });
    expect(online.checkedAgainst).to.equal("chain");
    expect(online.document.answers.map((a) => a.answer)).to.deep.equal(["ALLOWED", "NOT_LICENSED"]);
    const offline = await client.authorizeUploads(query() as never);
    expect(offline.checkedAgainst).to.equal("gateway-jwks");
    expect(offline.document.answers[0]!.answer).to.equal("ALLOWED");
  });

  it("a batch of a thousand items, answered in order", async function () {
    const kinds = [
      { q: query(), answer: "ALLOWED" },
      { q: query({ territory: "US" }), answer: "NOT_LICENSED" },
      { q: query({ workId: UNKNOWN_WORK }), answer: "UNKNOWN_WORK" },
      { q: query({ accountHash: UNLINKED }), answer: "UNKNOWN_ACCOUNT" },
      { q: query({ territory: "DE" }), answer: "ALLOWED" },
    ];
    const items = Array.from({ length: 1000 }, (_, i) => kinds[i % kinds.length]!);
    const { status, body } = await ask({ items: items.map((k) => k.q) });
    expect(status).to.equal(200);
    const verified = await verifyAuthorizationAnswer(body.jws as string, { consortium });
    expect(verified.document.answers.map((a) => a.answer)).to.deep.equal(items.map((k) => k.answer));
    expect(verified.document.answers.map((a) => a.query.territory)).to.deep.equal(items.map((k) => k.q.territory));
  });

  it("a sublicence's chain, and the closest of several failing candidates", async function () {
    const sub = new Wallet(id("sublicensee: a US distributor"));
    const SUB_ACCOUNT = account("us-distributor");
    const now = await licences.chainTime();
    const parent = (
      await (
        await licences.submit(
          await licences.signGrant(holder, {
            workId: WORK,
            licensee: stranger.address,
            rights: ["MAKE_AVAILABLE"],
            worldwide: true,
            sublicensable: true,
            end: now + YEAR,
          }),
          relayer(),
        )
      ).wait()
    ).licenceId;
    const { licenceId: sublicence } = await (
      await licences.submit(
        await licences.signGrant(stranger, {
          workId: WORK,
          parentId: parent,
          licensee: sub.address,
          rights: ["MAKE_AVAILABLE"],
          territories: ["US"],
          end: now + YEAR,
        }),
        relayer(),
      )
    ).wait();
    await submit(
      await licences.confirmAccountLink(
        platformKey,
        await licences.signLinkAccount(sub, { platform: PLATFORM, accountHash: SUB_ACCOUNT }),
      ),
    );
    const us = await answerOf(query({ accountHash: SUB_ACCOUNT, territory: "US" }));
    expect(us).to.deep.include({ answer: "ALLOWED", licenceId: sublicence, licensee: sub.address });
    expect(us.chain.map((l) => [l.licenceId, l.licensor, l.licensee])).to.deep.equal([
      [parent, holder.address, stranger.address],
      [sublicence, stranger.address, sub.address],
    ]);
    const fr = await answerOf(query({ accountHash: SUB_ACCOUNT, territory: "FR" }));
    expect(fr).to.deep.include({ answer: "NOT_LICENSED", reason: "TERRITORY_NOT_GRANTED", failedAt: sublicence });
    expect(fr.chain.map((l) => l.valid)).to.deep.equal([true, false]);
    // A French licence that starts next month is closer than a US-only one: it is the one answered.
    const { licenceId: later } = await (
      await licences.submit(
        await licences.signGrant(holder, {
          workId: WORK,
          licensee: sub.address,
          rights: ["MAKE_AVAILABLE"],
          territories: ["FR"],
          start: now + 30 * 24 * 3600,
          end: now + YEAR,
        }),
        relayer(),
      )
    ).wait();
    const closest = await answerOf(query({ accountHash: SUB_ACCOUNT, territory: "FR" }));
    expect(closest).to.deep.include({
      answer: "NOT_LICENSED",
      reason: "NOT_YET_VALID",
      licenceId: later,
      candidates: 2,
    });
    expect(closest.summary).to.match(/only starts at/);
  });

  it("an account linked then unlinked; a licence revoked between two queries", async function () {
    const other = account("broadcaster-second-channel");
    expect((await answerOf(query({ accountHash: other }))).answer).to.equal("UNKNOWN_ACCOUNT");
    await submit(
      await licences.confirmAccountLink(
        platformKey,
        await licences.signLinkAccount(licensee, { platform: PLATFORM, accountHash: other }),
      ),
    );
    expect((await answerOf(query({ accountHash: other }))).answer).to.equal("ALLOWED");
    // The platform closes the account: the link ends.
    await submit(await licences.signUnlinkAccount(platformKey, { platform: PLATFORM, accountHash: other }));
    expect((await answerOf(query({ accountHash: other }))).answer).to.equal("UNKNOWN_ACCOUNT");
    expect(gw.ctx.indexer!.accountLinkEvents(Number(PLATFORM), other).map((e) => e.event)).to.deep.equal([
      "Linked",
      "Unlinked",
    ]);

    const before = await answerOf(query());
    expect(before.answer).to.equal("ALLOWED");
    // A minute passes on the chain (so that the revocation's second is not the second asked about before).
    await chain.provider.send("evm_increaseTime", [60]);
    await chain.provider.send("evm_mine", []);
    const { revokedAt } = await (
      await licences.submit(
        await licences.signRevoke(holder, { licenceId: licenceFR, reasonHash: id("licence fee unpaid") }),
        relayer(),
      )
    ).wait();
    const after = await answerOf(query());
    expect(after).to.deep.include({ answer: "NOT_LICENSED", reason: "REVOKED", failedAt: licenceFR });
    expect(after.query.atTime).to.be.at.least(revokedAt);
    expect(before.query.atTime).to.be.below(revokedAt);
    // Asked about a time before the revocation, the same licence still authorised it.
    expect((await answerOf({ ...query(), at: before.query.atTime })).answer).to.equal("ALLOWED");

    // The index's part is rebuilt from events to the same rows.
    const indexer = gw.ctx.indexer!;
    const live = indexer.dump();
    await indexer.rebuild();
    const rebuilt = indexer.dump();
    expect(rebuilt.idx_account_links).to.deep.equal(live.idx_account_links);
    expect(rebuilt.idx_licences).to.deep.equal(live.idx_licences);
    expect(rebuilt.idx_account_links.length).to.be.at.least(4);
  });
});
