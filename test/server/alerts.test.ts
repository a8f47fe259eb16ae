import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Wallet, id as keccakText } from "ethers";
import {
  ALERT_JWS_TYPE,
  AssistanceClient,
  ConsortiumClient,
  CrossproofError,
  EvidenceClient,
  GatewayClient,
  IDEMPOTENCY_HEADER,
  LicenceClient,
  WEBHOOK_SIGNATURE_HEADER,
  detachJws,
  generateReportKey,
  signMemberJws,
  verifyWebhook,
  type AlertEvent,
} from "../../sdk/src";
import type { DemoResult } from "../../scripts/lib/demo";
import { freePort } from "../../scripts/lib/anvil";
import { alertsOf, checkWebhookUrl, guardedLookup, type Alerts } from "../../server/src/alerts";
import { authModule } from "../../server/src/auth/siwe";
import { writeKeystore } from "../../sdk/src/cli/keystore";
import { bundleCli, runCli } from "../helpers/cli";
import type { Principal } from "../../server/src/auth/principal";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { addKeys } from "../../server/src/keystore";
import { Problem } from "../../server/src/problems";
import { alertsModule } from "../../server/src/routes/alerts";
import { authorizationsModule } from "../../server/src/routes/authorizations";
import { verificationModule } from "../../server/src/routes/verification";
import { gatewayProcess } from "../helpers/faults";
import { demoWithCourtKeys, devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

type Json = Record<string, unknown>;

/** What a webhook receiver on loopback got: each request, and the status it answered. */
interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  status: number;
}

/** A real HTTP receiver on loopback; `answer` decides each request's status (or `"hang"`: never answer). */
async function startReceiver(answer: (n: number) => number | "hang" = () => 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  let onRequest: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = receiver.answer(received.length);
      const body = Buffer.concat(chunks).toString("utf8");
      if (status === "hang") {
        received.push({ headers: req.headers, body, status: 0 });
        hanging.push(res);
      } else {
        received.push({ headers: req.headers, body, status });
        res.writeHead(status).end();
      }
      onRequest?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answer,
    /** Event ids the receiver acknowledged (2xx), in order: a receiver dedupes by these. */
    acknowledged: () => received.filter((r) => r.status >= 200 && r.status < 300).map((r) => idOf(r)),
    waitForRequest: () => new Promise<void>((resolve) => (onRequest = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        hanging.forEach((r) => r.destroy());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
const idOf = (r: Received) => String(r.headers[IDEMPOTENCY_HEADER]);
const eventOf = (r: Received) => JSON.parse(r.body) as AlertEvent;

/** Waits until `check` passes, polling every few milliseconds (bounded). */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("gateway: alerts (real chain, real HTTP receivers)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let alerts: Alerts;
  let demo: DemoResult;
  let assistance: AssistanceClient;
  let workId: string;
  const tokens: Record<"fr" | "de" | "us" | "holder" | "label" | "stranger", string> = {} as never;
  const fr = () => chain.account(1);
  let keystore: { dir: string; password: string };

  /** FR asks the US platform for something; resolves to the request id. */
  const issueToUs = async (note: string) => {
    const signed = await assistance.signIssue(fr(), {
      addressee: 3,
      kind: "Preserve",
      caseRef: keccakText(`case ${note}`),
      firstUpload: "US",
      primaryDissemination: "FR",
      legalBasisHash: keccakText("legal basis"),
    });
    return (await (await assistance.submit(signed, chain.account(0))).wait()).requestId.toLowerCase();
  };
  /** One round of the gateway's worker, driven by the test: index, derive, deliver what is due. */
  const round = async () => {
    await gw.ctx.indexer!.syncOnce();
    await alerts.processOnce();
    await alerts.deliverDue();
  };

  const call = async (method: string, p: string, token?: keyof typeof tokens, body?: unknown) => {
    const res = await fetch(`${gw.url}${p}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${tokens[token]}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? {} : JSON.parse(text)) as Json };
  };
  const subscribe = async (token: keyof typeof tokens, body: Json) => {
    const r = await call("POST", "/v1/alerts/subscriptions", token, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return String(r.body.id);
  };
  const client = (token: keyof typeof tokens) => new GatewayClient(gw.url, { token: tokens[token] });

  before(async () => {
    chain = await startTestChain();
    const d = await demoWithCourtKeys(chain);
    demo = d.demo;
    keystore = { dir: d.keystoreDir, password: d.keystorePassword };
    const c = chain.record.contracts;
    assistance = await AssistanceClient.connect(c.AssistanceDesk.address, chain.provider);
    const licences = await LicenceClient.connect(c.LicenseRegistry.address, chain.provider);
    workId = (await licences.getLicence(demo.licenceId))!.workId.toLowerCase();
    // The US platform's report key (it signs its authorisation answers), registered on chain and held here.
    const consortium = await ConsortiumClient.connect(c.Consortium.address, chain.provider);
    const usReportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(new Wallet(devKey(3)), 3, {
          purpose: "Report",
          jwk: usReportKey.publicJwk,
        }),
        chain.account(8),
      )
    ).wait();
    await addKeys(keystore.dir, keystore.password, {
      memberId: 3,
      reportKeys: [{ kid: usReportKey.kid, jwk: usReportKey.privateJwk }],
    });
    gw = await startTestGateway(
      chain,
      [authModule, indexerModule, verificationModule, authorizationsModule, alertsModule],
      {
        indexerPollMs: "0",
        alertsPollMs: "0",
        alertsRetryBaseMs: "1",
        alertsRetryMaxMs: "5",
        alertsMaxAttempts: "3",
        alertsKeepAliveMs: "200",
        alertsPrivateWebhooks: "true",
        keystoreDir: keystore.dir,
        keystorePassword: keystore.password,
      },
    );
    alerts = alertsOf(gw.ctx)!;
    const issue = async (p: Principal) => (await gw.ctx.sessions.issue(p)).token;
    tokens.fr = await issue({
      kind: "member",
      memberId: 1n,
      roles: ["AGENCY", "GOVERNOR"],
      jurisdiction: "FR",
      address: fr().address,
    });
    tokens.de = await issue({
      kind: "member",
      memberId: 2n,
      roles: ["COURT", "GOVERNOR"],
      jurisdiction: "DE",
      address: chain.account(2).address,
    });
    tokens.us = await issue({
      kind: "member",
      memberId: 3n,
      roles: ["PLATFORM"],
      jurisdiction: "US",
      address: chain.account(3).address,
    });
    tokens.holder = await issue({ kind: "account", address: chain.account(6).address });
    tokens.label = await issue({ kind: "account", address: chain.account(7).address });
    tokens.stranger = await issue({ kind: "account", address: Wallet.createRandom().address });
    await gw.ctx.indexer!.syncOnce();
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  it("the attack: a stranger gets 401; nobody subscribes to another's works, requests or kinds, or sees another's subscription", async function () {
    expect((await call("POST", "/v1/alerts/subscriptions", undefined, { kinds: ["work.matched"] })).status).to.equal(
      401,
    );
    expect((await call("GET", "/v1/alerts/subscriptions")).status).to.equal(401);
    // The label (licensee, not the holder) names the holder's work.
    const foreignWork = await call("POST", "/v1/alerts/subscriptions", "label", {
      kinds: ["work.matched"],
      workIds: [workId],
    });
    expect([foreignWork.status, foreignWork.body.workIds]).to.deep.equal([403, [workId]]);
    // An account asks for members' alerts.
    expect(
      (await call("POST", "/v1/alerts/subscriptions", "stranger", { kinds: ["assistance.received"] })).status,
    ).to.equal(403);
    // The DE court names the FR → US request.
    const foreignRequest = await call("POST", "/v1/alerts/subscriptions", "de", {
      kinds: ["assistance.answered"],
      requestIds: [demo.assistanceRequestId],
    });
    expect(foreignRequest.status).to.equal(403);
    // Its parties may.
    await subscribe("us", { kinds: ["assistance.overdue"], requestIds: [demo.assistanceRequestId] });
    const holders = await subscribe("holder", { kinds: ["work.matched"], workIds: [workId] });
    // Another's subscription is not found, whatever is asked of it.
    for (const [method, suffix] of [
      ["GET", ""],
      ["DELETE", ""],
      ["GET", "/stream"],
      ["GET", "/events"],
      ["GET", "/deliveries"],
    ] as const) {
      expect((await call(method, `/v1/alerts/subscriptions/${holders}${suffix}`, "label")).status).to.equal(404);
    }
    expect((await call("POST", `/v1/alerts/subscriptions/${holders}/redrive`, "us", {})).status).to.equal(404);
    expect(((await call("GET", "/v1/alerts/subscriptions", "label")).body.subscriptions as unknown[]).length).to.equal(
      0,
    );
    expect((await client("holder").alertSubscriptions()).map((s) => s.id)).to.deep.equal([holders]);
    // Webhooks to loopback or private addresses, or over http, only where the operator allows them.
    for (const url of [
      "http://example.org/x",
      "https://127.0.0.1/x",
      "https://10.1.2.3/x",
      "https://localhost/x",
      "https://[::1]/x",
    ]) {
      expect(() => checkWebhookUrl(url, false), url).to.throw(Problem);
    }
    expect(checkWebhookUrl("https://receiver.example.org/hook", false)).to.equal("https://receiver.example.org/hook");
    // A name is checked again at connection time, on the address it resolves to (DNS cannot smuggle one in).
    const resolve = (allow: boolean) =>
      new Promise<string>((ok) =>
        guardedLookup(allow)("localhost", { all: true }, (err, addresses) =>
          ok(err === null ? `resolved ${(addresses as { address: string }[]).length}` : String(err.code)),
        ),
      );
    expect(await resolve(false)).to.equal("EPRIVATE");
    expect(await resolve(true)).to.match(/^resolved [1-9]/);
  });

  it("webhooks: a receiver that fails then recovers gets every event exactly once by idempotency key; only its own", async function () {
    // The first two requests fail (503), then the receiver is back.
    const us = await startReceiver((n) => (n < 2 ? 503 : 200));
    const de = await startReceiver();
    try {
      const sub = await subscribe("us", { kinds: ["assistance.received"], webhookUrl: us.url });
      await subscribe("de", { kinds: ["assistance.received"], webhookUrl: de.url });
      const ids = [await issueToUs("one"), await issueToUs("two"), await issueToUs("three")];
      await until("every event acknowledged", async () => {
        await round();
        return us.acknowledged().length >= 3 ? true : undefined;
      });
      // Each event once by idempotency key, whatever was sent again.
      expect(us.received.length).to.be.greaterThan(3);
      expect(new Set(us.acknowledged()).size).to.equal(3);
      expect(us.acknowledged().length).to.equal(3);
      const events = us.received.filter((r) => r.status === 200).map(eventOf);
      expect(events.map((e) => e.data.requestId).sort()).to.deep.equal([...ids].sort());
      expect(
        events.every((e) => e.kind === "assistance.received" && e.recipient === "member:3" && e.subscriptionId === sub),
      ).to.equal(true);
      // Every attempt carries the same id and a valid signature, checked with the gateway's key set and on chain.
      const keySet = await client("us").jwks();
      for (const r of us.received) {
        const v = await verifyWebhook({ body: r.body, headers: r.headers, keySet });
        expect(v.event.id).to.equal(idOf(r));
        expect(v.issuerMemberId).to.equal(2n);
      }
      await verifyWebhook({
        body: us.received[0]!.body,
        headers: us.received[0]!.headers,
        consortium: gw.ctx.cp.consortium,
      });
      // The DE court is party to none of them.
      expect(de.received).to.deep.equal([]);
      // The delivery log shows the failed attempts.
      const log = await client("us").alertDeliveries(sub);
      expect(log.map((d) => d.status)).to.deep.equal(["delivered", "delivered", "delivered"]);
      expect(log.flatMap((d) => d.attempts).filter((a) => a.status === 503)).to.have.length(2);
      await client("us").unsubscribeAlerts(sub);
    } finally {
      await us.close();
      await de.close();
    }
  });

  it("a forged or altered webhook is refused by the SDK's check", async function () {
    const receiver = await startReceiver();
    try {
      const sub = await subscribe("us", { kinds: ["assistance.received"], webhookUrl: receiver.url });
      await issueToUs("forgery");
      await until("the webhook", async () => {
        await round();
        return receiver.acknowledged().length === 1 ? true : undefined;
      });
      const { body, headers } = receiver.received[0]!;
      const keySet = await client("us").jwks();
      const code = async (p: Parameters<typeof verifyWebhook>[0]) => {
        try {
          await verifyWebhook(p);
        } catch (err) {
          expect(err).to.be.instanceOf(CrossproofError);
          return (err as CrossproofError).code;
        }
        return "ACCEPTED";
      };
      expect(await code({ body, headers, keySet })).to.equal("ACCEPTED");
      // The body altered: another request id.
      const altered = body.replace(/"requestId":"0x[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith("0") ? "1" : "0"}`);
      expect(altered).to.not.equal(body);
      expect(await code({ body: altered, headers, keySet })).to.equal("WEBHOOK_SIGNATURE_INVALID");
      // Forged: the same alert signed by a key that is not the member's.
      const forger = await generateReportKey();
      const forged = detachJws(
        await signMemberJws(JSON.parse(body), ALERT_JWS_TYPE, { privateJwk: forger.privateJwk, issuerMemberId: 2 }),
      );
      expect(await code({ body, headers: { ...headers, [WEBHOOK_SIGNATURE_HEADER]: forged }, keySet })).to.equal(
        "WEBHOOK_SIGNATURE_INVALID",
      );
      expect(
        await code({
          body,
          headers: { ...headers, [WEBHOOK_SIGNATURE_HEADER]: forged },
          consortium: gw.ctx.cp.consortium,
        }),
      ).to.equal("WEBHOOK_SIGNATURE_INVALID");
      // No signature; another event's idempotency key; another issuer than expected; too old.
      expect(await code({ body, headers: {}, keySet })).to.equal("WEBHOOK_MALFORMED");
      expect(await code({ body, headers: { ...headers, [IDEMPOTENCY_HEADER]: "other" }, keySet })).to.equal(
        "WEBHOOK_MALFORMED",
      );
      expect(await code({ body, headers, keySet, issuerMemberId: 3 })).to.equal("WEBHOOK_SIGNATURE_INVALID");
      const signedAt = (await verifyWebhook({ body, headers, keySet })).signedAt;
      expect(await code({ body, headers, keySet, maxAgeSeconds: 60, now: signedAt + 61 })).to.equal("WEBHOOK_STALE");
      await client("us").unsubscribeAlerts(sub);
    } finally {
      await receiver.close();
    }
  });

  it("dead letters: after the last attempt a delivery waits in the dead-letter view until redriven", async function () {
    const receiver = await startReceiver(() => 500);
    try {
      const sub = await subscribe("us", { kinds: ["assistance.received"], webhookUrl: receiver.url });
      await issueToUs("dead letter");
      const gwc = client("us");
      const [dead] = await until("a dead letter", async () => {
        await round();
        const d = await gwc.alertDeliveries(sub, { status: "dead" });
        return d.length === 1 ? d : undefined;
      });
      expect(dead!.attempts.map((a) => a.status)).to.deep.equal([500, 500, 500]);
      expect(receiver.received).to.have.length(3);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).to.match(/crossproof_gateway_alert_deliveries\{status="dead"\} [1-9]/);
      receiver.answer = () => 200;
      expect(await gwc.redriveAlerts(sub)).to.equal(1);
      await until("the redriven delivery", async () => {
        await round();
        return receiver.acknowledged().length === 1 ? true : undefined;
      });
      expect(receiver.acknowledged()).to.deep.equal([dead!.eventId]);
      expect(await gwc.alertDeliveries(sub, { status: "dead" })).to.deep.equal([]);
      await gwc.unsubscribeAlerts(sub);
    } finally {
      await receiver.close();
    }
  });

  it("SSE: a client that reconnects with Last-Event-ID misses nothing; keep-alives while idle", async function () {
    const sub = await subscribe("us", { kinds: ["assistance.received"] });
    const gwc = client("us");
    const first = [await issueToUs("stream 1"), await issueToUs("stream 2")];
    await round();
    const control = new AbortController();
    const seen: { id: number; event: AlertEvent }[] = [];
    for await (const m of gwc.alertStream(sub, { signal: control.signal, reconnect: false })) {
      seen.push(m);
      if (seen.length === 2) break; // the client goes away
    }
    control.abort();
    // Meanwhile, more happens.
    const later = [await issueToUs("stream 3"), await issueToUs("stream 4"), await issueToUs("stream 5")];
    await round();
    const resumed: { id: number; event: AlertEvent }[] = [];
    const control2 = new AbortController();
    for await (const m of gwc.alertStream(sub, { signal: control2.signal, lastEventId: seen[1]!.id })) {
      resumed.push(m);
      if (resumed.length === 3) break;
    }
    control2.abort();
    expect(seen.map((m) => m.event.data.requestId)).to.deep.equal(first);
    expect(resumed.map((m) => m.event.data.requestId)).to.deep.equal(later);
    expect(resumed.every((m, i) => m.id > (i === 0 ? seen[1]!.id : resumed[i - 1]!.id))).to.equal(true);
    // The same feed as JSON.
    expect((await gwc.alertEvents(sub)).map((e) => e.data.requestId)).to.deep.equal([...first, ...later]);
    // Raw: the header, the message format, a keep-alive comment when idle.
    const res = await fetch(`${gw.url}/v1/alerts/subscriptions/${sub}/stream`, {
      headers: { authorization: `Bearer ${tokens.us}`, "last-event-id": String(resumed[2]!.id) },
    });
    expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes(": keep-alive")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).to.not.match(/^data:/m); // nothing after the last event seen
    const bad = await call("GET", `/v1/alerts/subscriptions/${sub}/stream?lastEventId=x`, "us");
    expect(bad.status).to.equal(400);
    await gwc.unsubscribeAlerts(sub);
  });

  it("work.matched: a platform's upload question about a work alerts its holder, and only its holder", async function () {
    const holder = await subscribe("holder", { kinds: ["work.matched"] });
    const label = await subscribe("label", { kinds: ["work.matched"] });
    const asked = await call("POST", "/v1/authorizations", "us", {
      workId,
      accountHash: `0x${randomBytes(32).toString("hex")}`,
      territory: "FR",
      right: "BROADCAST",
    });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(200);
    const events = await client("holder").alertEvents(holder);
    expect(events.map((e) => [e.kind, e.data.workId, e.data.platform, e.data.answerDigest])).to.deep.equal([
      ["work.matched", workId, "3", asked.body.digest],
    ]);
    expect(await client("label").alertEvents(label)).to.deep.equal([]);
  });

  it("chain events reach the members and accounts they concern, and nobody else", async function () {
    const c = chain.record.contracts;
    const evidence = await EvidenceClient.connect(c.EvidenceRegistry.address, chain.provider);
    const licences = await LicenceClient.connect(c.LicenseRegistry.address, chain.provider);
    const relayer = chain.account(0);
    const memberKinds = [
      "evidence.challenged",
      "evidence.endorsed",
      "custody.transfer-pending",
      "assistance.clarification",
      "licence.revoked",
    ];
    const subs = {
      fr: await subscribe("fr", { kinds: memberKinds }),
      de: await subscribe("de", { kinds: memberKinds }),
      us: await subscribe("us", { kinds: memberKinds }),
      label: await subscribe("label", {
        kinds: ["licence.revoked", "licence.expiring"],
        expiringSeconds: 366 * 86_400,
      }),
      holder: await subscribe("holder", { kinds: ["licence.revoked", "licence.expiring"] }),
    };
    const feed = async (who: keyof typeof subs) =>
      (await client(who).alertEvents(subs[who])).map((e) => [
        e.kind,
        e.data.recordId ?? e.data.requestId ?? e.data.licenceId,
      ]);
    // The label's licence from the holder ends within a year (chain time): expiring, at the first round.
    const root = (await licences.getLicence(demo.licenceId))!.parentId.toLowerCase();
    await round();
    expect(await feed("label")).to.deep.equal([["licence.expiring", root]]);
    // The DE court challenges the FR record and hands it back to FR; the platform asks FR to clarify a request;
    // the holder revokes the label's licence (the platform's sublicence falls with it).
    const de = chain.account(2);
    await (
      await evidence.submit(
        await evidence.signEndorsement(de, {
          recordId: demo.recordId,
          verdict: "Challenged",
          reportHash: `0x${randomBytes(32).toString("hex")}`,
        }),
        relayer,
      )
    ).wait();
    await (
      await evidence.submit(
        await evidence.signCustody(de, { recordId: demo.recordId, eventType: "Transferred", counterparty: 1 }),
        relayer,
      )
    ).wait();
    const requestId = await issueToUs("clarify");
    await (
      await assistance.submit(
        await assistance.signRequestClarification(chain.account(3), {
          requestId,
          reason: "InsufficientInformation",
          questionHash: keccakText("which account?"),
        }),
        relayer,
      )
    ).wait();
    await (
      await licences.submit(
        await licences.signRevoke(chain.account(6), { licenceId: root, reasonHash: keccakText("unpaid") }),
        relayer,
      )
    ).wait();
    await round();
    const record = demo.recordId.toLowerCase();
    expect(await feed("fr")).to.deep.equal([
      ["evidence.challenged", record],
      ["custody.transfer-pending", record],
      ["assistance.clarification", requestId],
    ]);
    expect(await feed("us")).to.deep.equal([
      ["assistance.clarification", requestId],
      ["licence.revoked", root],
    ]);
    expect(await feed("label")).to.deep.equal([
      ["licence.expiring", root],
      ["licence.revoked", root],
    ]);
    expect(await feed("de")).to.deep.equal([]);
    expect(await feed("holder")).to.deep.equal([]);
    const challenged = (await client("fr").alertEvents(subs.fr))[0]!;
    expect(challenged.data).to.include({ by: "2", verdict: "Challenged" });
    expect(challenged.chain!.blockNumber).to.be.a("number");
    for (const who of Object.keys(subs) as (keyof typeof subs)[]) await client(who).unsubscribeAlerts(subs[who]);
  });

  it("key.expiring: a member's signing key ending within the threshold (chain time) alerts that member, once", async function () {
    const frSub = await subscribe("fr", { kinds: ["key.expiring"], expiringSeconds: 30 * 86_400 });
    const usSub = await subscribe("us", { kinds: ["key.expiring"], expiringSeconds: 30 * 86_400 });
    const consortium = gw.ctx.cp.consortium;
    const key = Wallet.createRandom();
    const until = (await chain.provider.getBlock("latest"))!.timestamp + 10 * 86_400;
    await (
      await consortium.submit(await consortium.signAddOwnKey(fr(), key, 1, { validUntil: until }), chain.account(0))
    ).wait();
    await round();
    await round();
    const events = await client("fr").alertEvents(frSub);
    expect(events.map((e) => [e.kind, e.data.key, e.data.validUntil])).to.deep.equal([
      ["key.expiring", key.address.toLowerCase(), new Date(until * 1000).toISOString()],
    ]);
    expect(await client("us").alertEvents(usSub)).to.deep.equal([]);
    await client("fr").unsubscribeAlerts(frSub);
    await client("us").unsubscribeAlerts(usSub);
  });

  it("due soon and overdue fire once each, from chain time (not the gateway's clock)", async function () {
    const requestId = await issueToUs("deadline");
    const view = (await assistance.getRequest(requestId))!;
    const usSub = await subscribe("us", {
      kinds: ["assistance.due-soon", "assistance.overdue"],
      dueSoonSeconds: 6 * 3600,
      requestIds: [requestId],
    });
    const frSub = await subscribe("fr", {
      kinds: ["assistance.overdue", "assistance.due-soon"],
      requestIds: [requestId],
    });
    const kinds = async (sub: string, token: "us" | "fr") =>
      (await client(token).alertEvents(sub)).map((e) => [e.kind, e.data.requestId]);
    await round();
    expect(await kinds(usSub, "us")).to.deep.equal([]);
    // Chain time to five hours before the deadline: due soon (the addressee's), once.
    const now = (await chain.provider.getBlock("latest"))!.timestamp;
    await chain.provider.send("evm_increaseTime", [view.deadline - 5 * 3600 - now]);
    await chain.provider.send("evm_mine", []);
    await round();
    await round();
    expect(await kinds(usSub, "us")).to.deep.equal([["assistance.due-soon", requestId]]);
    // Past the deadline: overdue, once, for both parties; the requester never gets due-soon.
    await chain.provider.send("evm_increaseTime", [6 * 3600]);
    await chain.provider.send("evm_mine", []);
    await round();
    await round();
    expect(await kinds(usSub, "us")).to.deep.equal([
      ["assistance.due-soon", requestId],
      ["assistance.overdue", requestId],
    ]);
    expect(await kinds(frSub, "fr")).to.deep.equal([["assistance.overdue", requestId]]);
    const overdue = (await client("us").alertEvents(usSub))[1]!;
    expect(overdue.chain).to.equal(null);
    expect(Date.parse(overdue.occurredAt) / 1000).to.be.greaterThan(view.deadline);
  });
  it("a rolled-back chain: what the chain says after the rollback is alerted, nothing is lost", async function () {
    const sub = await subscribe("us", { kinds: ["assistance.received"] });
    const snapshot = (await chain.provider.send("evm_snapshot", [])) as string;
    const dropped = await issueToUs("rolled back");
    await round();
    expect((await client("us").alertEvents(sub)).map((e) => e.data.requestId)).to.deep.equal([dropped]);
    await chain.provider.send("evm_revert", [snapshot]);
    // Another request takes the dropped one's place (the same block number, another block).
    const kept = await issueToUs("after the rollback");
    await round();
    // What was sent stays sent; what the chain says now is alerted too.
    expect((await client("us").alertEvents(sub)).map((e) => e.data.requestId)).to.deep.equal([dropped, kept]);
    await client("us").unsubscribeAlerts(sub);
  });

  it("CLI: alerts add, list, tail and remove against the gateway; another's work refused", async function () {
    const { bundle, remove } = bundleCli("alerts");
    try {
      const work = mkdtempSync(path.join(chain.dataDir, "alerts-cli-"));
      const key = path.join(work, "us.json");
      await writeKeystore(key, devKey(3), "pw", { scryptN: 1024 });
      const cli = (...args: string[]) =>
        runCli(bundle, [...args, "--gateway", gw.url, "--key", key], {
          cwd: work,
          env: { CROSSPROOF_KEYSTORE_PASSWORD: "pw" },
        });
      const added = await cli("alerts", "add", "--kind", "assistance.received", "--json");
      expect(added.code, added.stderr).to.equal(0);
      const id = String(added.json().id);
      expect(added.json()).to.include({ owner: "member:3", webhookUrl: null });
      expect(
        (await cli("alerts", "list", "--json"))
          .json<{ subscriptions: { id: string }[] }>()
          .subscriptions.map((s) => s.id),
      ).to.include(id);
      const requestId = await issueToUs("cli");
      await round();
      const tail = await cli("alerts", "tail", id, "--count", "1", "--json");
      expect(tail.code, tail.stderr).to.equal(0);
      expect((JSON.parse(tail.stdout) as AlertEvent).data.requestId).to.equal(requestId);
      const human = await cli("alerts", "tail", id, "--count", "1");
      expect(human.stdout).to.match(new RegExp(`^[0-9]+  \\S+  assistance\\.received  .*${requestId}`));
      const refused = await cli("alerts", "add", "--kind", "work.matched", "--work", workId);
      expect(refused.code).to.equal(4);
      expect(refused.stderr).to.include("not your works");
      expect((await cli("alerts", "add", "--kind", "nonsense")).code).to.equal(3);
      expect((await cli("alerts", "remove", id)).code).to.equal(0);
      expect(
        (await cli("alerts", "list", "--json"))
          .json<{ subscriptions: { id: string }[] }>()
          .subscriptions.map((s) => s.id),
      ).to.not.include(id);
    } finally {
      remove();
    }
  });

  it("a gateway killed (SIGKILL) mid-delivery loses nothing: after restart every alert reaches the receiver", async function () {
    // A gateway process of its own (`npm run gateway`), on this chain, with its own database.
    const dataDir = mkdtempSync(path.join(chain.dataDir, "alerts-kill-"));
    const port = await freePort();
    const proc = await gatewayProcess({
      port,
      dataDir,
      rpcUrl: chain.anvil.url,
      deploymentFile: chain.deploymentFile,
      relayerKey: devKey(9),
      readyPath: "/readyz",
      env: {
        CROSSPROOF_KEYSTORE: keystore.dir,
        CROSSPROOF_KEYSTORE_PASSWORD: keystore.password,
        CROSSPROOF_INDEXER_POLL_MS: "100",
        CROSSPROOF_ALERTS_POLL_MS: "100",
        CROSSPROOF_ALERTS_RETRY_BASE_MS: "50",
        CROSSPROOF_ALERTS_WEBHOOK_TIMEOUT_MS: "120000",
        CROSSPROOF_ALERTS_PRIVATE_WEBHOOKS: "true",
      },
    });
    const { token } = await proc.sessions.issue({
      kind: "member",
      memberId: 3n,
      roles: ["PLATFORM"],
      jurisdiction: "US",
      address: chain.account(3).address,
    });
    // The receiver holds the first delivery without answering: the gateway is killed while it waits.
    const receiver = await startReceiver((n) => (n === 0 ? "hang" : 200));
    try {
      await proc.start();
      const gwc = new GatewayClient(proc.url, { token });
      const sub = await gwc.subscribeAlerts({ kinds: ["assistance.received"], webhookUrl: receiver.url });
      const inFlight = receiver.waitForRequest();
      const ids = [await issueToUs("kill 1"), await issueToUs("kill 2"), await issueToUs("kill 3")];
      await inFlight;
      await proc.kill();
      const held = idOf(receiver.received[0]!);
      // Other alerts may have gone through meanwhile (deliveries run side by side); not the held one.
      expect(receiver.acknowledged()).to.not.include(held);

      await proc.start();
      await until("every alert acknowledged after the restart", () => {
        const got = new Set(receiver.received.filter((r) => r.status === 200).map((r) => eventOf(r).data.requestId));
        return ids.every((id) => got.has(id)) ? true : undefined;
      });
      // At least once: an alert acknowledged just before the kill may come again, with the same idempotency key.
      expect(new Set(receiver.acknowledged()).size).to.equal(3);
      expect(receiver.acknowledged()).to.include(held);
      const log = await gwc.alertDeliveries(sub.id);
      expect(log.map((d) => d.status)).to.deep.equal(["delivered", "delivered", "delivered"]);
    } finally {
      await proc.kill();
      await receiver.close();
    }
  });
});
