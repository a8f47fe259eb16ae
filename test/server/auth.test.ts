import { expect } from "chai";
import { Wallet, type Signer } from "ethers";
import type { ProposalParameters } from "../../sdk/src";
import { SiweMessage } from "siwe";
import { z } from "zod";
import { TestContractWallet__factory } from "../../sdk/src/typechain";
import {
  AuditLog,
  auditEntryHash,
  auditModule,
  recordAudit,
  verifyAuditChain,
  verifyAuditEntries,
  type AuditEntry,
} from "../../server/src/audit";
import { NonceStore, authModule } from "../../server/src/auth/siwe";
import { openDatabase } from "../../server/src/db";
import type { GatewayModule, RunningGateway } from "../../server/src/gateway";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

/** The URL the gateway is reached at (behind a proxy): the SIWE domain is its host. */
const PUBLIC_URL = "https://gateway.test";

/** Routes of other modules, as they will use auth and the audit log. */
const probe: GatewayModule = (ctx) => {
  for (const role of ["COURT", "GOVERNOR"] as const) {
    ctx.api.route({
      method: "get",
      path: `/v1/probe/${role.toLowerCase()}`,
      summary: `${role} only`,
      tags: ["test"],
      auth: { anyRole: [role] },
      responses: { 200: { description: "ok" } },
      handler: async () => ({ status: 200, body: { ok: true } }),
    });
  }
  ctx.api.route({
    method: "post",
    path: "/v1/probe/open/:subject",
    summary: "An AGENCY opens something",
    tags: ["test"],
    auth: { anyRole: ["AGENCY"] },
    params: z.object({ subject: z.string() }),
    responses: { 204: { description: "opened" } },
    handler: async ({ params, req }) => {
      recordAudit(ctx, req, "opened", params.subject);
      return { status: 204 };
    },
  });
};

interface ProblemDoc {
  type: string;
  status: number;
  detail: string;
  code?: string;
}
interface SignedIn {
  token: string;
  expiresAt: string;
  principal: Record<string, unknown>;
}

describe("gateway authentication: SIWE, staff logins, audit log (real HTTP, real chain)", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let gw: RunningGateway;
  const fr = new Wallet(devKey(1)); // member 1: FR AGENCY + GOVERNOR
  const de = new Wallet(devKey(2)); // member 2: DE COURT + GOVERNOR
  const us = new Wallet(devKey(3)); // member 3: US PLATFORM
  const nl = new Wallet(devKey(5)); // member 5: NL OPERATOR
  const holder = new Wallet(devKey(7)); // a rights holder, not a member

  before(async () => {
    chain = await startTestChain();
    gw = await startTestGateway(chain, [authModule, auditModule, probe], { publicUrl: PUBLIC_URL });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, init);
  const post = (path: string, body: unknown, token?: string) =>
    call(path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  const bearer = (token: string, init: RequestInit = {}) => ({
    ...init,
    headers: { authorization: `Bearer ${token}` },
  });

  async function nonce(): Promise<string> {
    const res = await call("/v1/auth/nonce", { method: "POST" });
    expect(res.status).to.equal(201);
    return ((await res.json()) as { nonce: string }).nonce;
  }

  /** A SIWE message for `address`, bound to the gateway unless `over` says otherwise. */
  function message(address: string, n: string, over: Partial<SiweMessage> = {}): string {
    return new SiweMessage({
      domain: "gateway.test",
      address,
      statement: "Sign in to the crossproof gateway.",
      uri: PUBLIC_URL,
      version: "1",
      chainId: chain.record.chainId,
      nonce: n,
      issuedAt: new Date().toISOString(),
      ...over,
    }).prepareMessage();
  }

  async function signIn(wallet: Signer & { address: string }, over: Partial<SiweMessage> = {}, n?: string) {
    const m = message(wallet.address, n ?? (await nonce()), over);
    return post("/v1/auth/siwe", { message: m, signature: await wallet.signMessage(m) });
  }

  async function tokenOf(wallet: Signer & { address: string }): Promise<SignedIn> {
    const res = await signIn(wallet);
    expect(res.status, JSON.stringify(await res.clone().json())).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("no-store");
    return (await res.json()) as SignedIn;
  }

  /** Expects a problem with this status, type slug and code. */
  async function expectProblem(res: Response, status: number, slug: string, code?: string): Promise<ProblemDoc> {
    const p = (await res.json()) as ProblemDoc;
    expect(res.status, JSON.stringify(p)).to.equal(status);
    expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect(p.type).to.equal(`urn:crossproof:problem:${slug}`);
    if (code !== undefined) expect(p.code, p.detail).to.equal(code);
    return p;
  }
  const expect401 = (res: Response, code: string) => expectProblem(res, 401, "unauthenticated", code);

  describe("sign-in", function () {
    it("gives a nonce with what the message must carry", async function () {
      const res = await call("/v1/auth/nonce", { method: "POST" });
      expect(res.status).to.equal(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ domain: "gateway.test", uri: PUBLIC_URL, chainId: chain.record.chainId, version: "1" });
      expect(body.nonce).to.match(/^[A-Za-z0-9]{8,}$/);
      const ttl = Date.parse(body.expiresAt as string) - Date.now();
      expect(ttl).to.be.within(200_000, 300_000);
    });

    it("signs a member key in as its member, with its roles and jurisdiction, and lets it reach member routes", async function () {
      const { token, expiresAt, principal } = await tokenOf(fr);
      expect(principal).to.deep.equal({
        kind: "member",
        memberId: "1",
        roles: ["AGENCY", "GOVERNOR"],
        jurisdiction: "FR",
        address: fr.address,
      });
      expect(Date.parse(expiresAt)).to.be.greaterThan(Date.now());
      const session = await call("/v1/auth/session", bearer(token));
      expect(await session.json()).to.deep.equal({ principal });
      expect((await call("/v1/probe/governor", bearer(token))).status).to.equal(200);
      expect((await call("/v1/members/me/staff", bearer(token))).status).to.equal(200);
    });

    it("signs an address that is no member's key in as an account, which member routes refuse (403)", async function () {
      const { token, principal } = await tokenOf(holder);
      expect(principal).to.deep.equal({ kind: "account", address: holder.address });
      expect((await call("/v1/auth/session", bearer(token))).status).to.equal(200);
      await expectProblem(await call("/v1/members/me/staff", bearer(token)), 403, "forbidden");
      await expectProblem(await call("/v1/probe/court", bearer(token)), 403, "forbidden");
    });

    it("signs a contract wallet (EIP-1271) in as an account", async function () {
      const owner = new Wallet(devKey(8));
      const wallet = await new TestContractWallet__factory(chain.account(0)).deploy(owner.address);
      await wallet.waitForDeployment();
      const address = await wallet.getAddress();
      const m = message(address, await nonce());
      const res = await post("/v1/auth/siwe", { message: m, signature: await owner.signMessage(m) });
      expect(res.status).to.equal(200);
      expect(((await res.json()) as SignedIn).principal).to.deep.equal({ kind: "account", address });
    });

    it("refuses another member's role (403) and lets the role through", async function () {
      const platform = await tokenOf(us);
      const p = await expectProblem(await call("/v1/probe/court", bearer(platform.token)), 403, "forbidden");
      expect(p).to.deep.include({ requiredRoles: ["COURT"], roles: ["PLATFORM"] });
      const court = await tokenOf(de);
      expect((await call("/v1/probe/court", bearer(court.token))).status).to.equal(200);
    });

    it("uses a nonce once: a replayed message is refused (401), and so is a nonce the gateway never issued", async function () {
      const m = message(fr.address, await nonce());
      const body = { message: m, signature: await fr.signMessage(m) };
      expect((await post("/v1/auth/siwe", body)).status).to.equal(200);
      await expect401(await post("/v1/auth/siwe", body), "NONCE_USED");
      await expect401(await signIn(fr, {}, "neverIssued1234"), "NONCE_UNKNOWN");
    });

    it("refuses an expired nonce (401)", async function () {
      const stale = new NonceStore(gw.ctx.db).issue(Date.now() - 301_000);
      await expect401(await signIn(fr, {}, stale.nonce), "NONCE_EXPIRED");
    });

    it("refuses a message for another domain, URI or chain (401), and the nonce is used up all the same", async function () {
      const n = await nonce();
      await expect401(await signIn(fr, { domain: "evil.example" }, n), "DOMAIN_MISMATCH");
      await expect401(await signIn(fr, {}, n), "NONCE_USED");
      await expect401(await signIn(fr, { uri: "https://gateway.test.evil.example/" }), "URI_MISMATCH");
      await expect401(await signIn(fr, { scheme: "http" }), "SCHEME_MISMATCH");
      await expect401(await signIn(fr, { chainId: chain.record.chainId + 1 }), "CHAIN_MISMATCH");
      expect((await signIn(fr, { uri: `${PUBLIC_URL}/login` })).status).to.equal(200);
    });

    it("honours the message's times (401): expired, not yet valid, issued in the future", async function () {
      const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
      await expect401(await signIn(fr, { issuedAt: at(-120), expirationTime: at(-60) }), "MESSAGE_EXPIRED");
      await expect401(await signIn(fr, { notBefore: at(600) }), "MESSAGE_NOT_YET_VALID");
      await expect401(await signIn(fr, { issuedAt: at(600) }), "ISSUED_IN_FUTURE");
      expect((await signIn(fr, { expirationTime: at(60), notBefore: at(-60) })).status).to.equal(200);
    });

    it("refuses a signature by another key (401) and a message that is not EIP-4361 (400)", async function () {
      const m = message(fr.address, await nonce());
      await expect401(
        await post("/v1/auth/siwe", { message: m, signature: await de.signMessage(m) }),
        "SIGNATURE_INVALID",
      );
      const garbage = message(fr.address, await nonce());
      await expect401(await post("/v1/auth/siwe", { message: garbage, signature: "0x00" }), "SIGNATURE_INVALID");
      const bad = await post("/v1/auth/siwe", { message: "let me in", signature: "0x00" });
      expect((await expectProblem(bad, 400, "invalid-request")).code).to.equal("MESSAGE_MALFORMED");
    });

    it("documents its routes in the OpenAPI document", async function () {
      const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(doc.paths)).to.include.members([
        "/v1/auth/nonce",
        "/v1/auth/siwe",
        "/v1/auth/session",
        "/v1/members/me/staff",
        "/v1/members/me/staff/{address}",
        "/v1/audit",
      ]);
      expect(Object.keys(doc.paths["/v1/members/me/staff"]!)).to.have.members(["get", "post"]);
    });

    it("refuses a key its member revoked (401), after signing it in while valid", async function () {
      const cp = gw.ctx.cp;
      const relayer = cp.requireRelayer();
      const key = Wallet.createRandom();
      await (await cp.consortium.submit(await cp.consortium.signAddOwnKey(us, key, 3), relayer)).wait();
      const { principal, token } = await tokenOf(key);
      expect(principal).to.deep.include({ kind: "member", memberId: "3", roles: ["PLATFORM"], address: key.address });
      expect((await call("/v1/auth/session", bearer(token))).status).to.equal(200);
      await (await cp.consortium.submit(await cp.consortium.signRevokeOwnKey(us, 3, key.address), relayer)).wait();
      const p = await expect401(await signIn(key), "KEY_NOT_VALID");
      expect(p.detail).to.match(/revoked or expired/);
      // The token it got while valid stops working at once.
      await expect401(await call("/v1/auth/session", bearer(token)), "KEY_NOT_VALID");
    });
  });

  describe("staff logins and the audit log", function () {
    const inspector = Wallet.createRandom();
    const name = "Insp. A. Durand (badge 4711)";
    let admin: SignedIn;
    let staff: SignedIn;

    before(async () => {
      admin = await tokenOf(fr);
    });

    it("lets the member's administrator add a staff login, refusing member keys, reused keys and roles it lacks", async function () {
      const res = await post(
        "/v1/members/me/staff",
        { name, address: inspector.address, roles: ["AGENCY"] },
        admin.token,
      );
      expect(res.status).to.equal(201);
      expect(await res.json()).to.deep.include({
        address: inspector.address,
        name,
        roles: ["AGENCY"],
        addedBy: fr.address,
        removedAt: null,
      });
      const again = { name: "someone else", address: inspector.address.toLowerCase() };
      await expectProblem(await post("/v1/members/me/staff", again, admin.token), 409, "conflict");
      const memberKey = { name: "x", address: us.address };
      await expectProblem(await post("/v1/members/me/staff", memberKey, admin.token), 409, "conflict");
      const court = { name: "x", address: Wallet.createRandom().address, roles: ["COURT"] };
      await expectProblem(await post("/v1/members/me/staff", court, admin.token), 400, "invalid-argument");
      const list = (await (await call("/v1/members/me/staff", bearer(admin.token))).json()) as { staff: unknown[] };
      expect(list.staff).to.have.length(1);
    });

    it("signs a staff key in as its member, naming the person, with the roles it was given", async function () {
      staff = await tokenOf(inspector);
      expect(staff.principal).to.deep.equal({
        kind: "member",
        memberId: "1",
        roles: ["AGENCY"],
        jurisdiction: "FR",
        address: inspector.address,
        staff: name,
      });
      expect((await call("/v1/probe/open/record-42", { ...bearer(staff.token), method: "POST" })).status).to.equal(204);
      await expectProblem(await call("/v1/probe/governor", bearer(staff.token)), 403, "forbidden");
      // Staff do not administer staff, nor read the audit log.
      await expectProblem(await call("/v1/members/me/staff", bearer(staff.token)), 403, "forbidden");
      await expectProblem(await call("/v1/audit", bearer(staff.token)), 403, "forbidden");
    });

    it("shows the member's administrator its audit log: who did what, each entry chained to the one before", async function () {
      const res = await call("/v1/audit", bearer(admin.token));
      expect(res.status).to.equal(200);
      const { entries, head } = (await res.json()) as { entries: AuditEntry[]; head: string };
      expect(entries.every((e) => e.memberId === "1" && e.chain === "member:1")).to.equal(true);
      const tail = entries
        .slice(-3)
        .map(({ person, address, action, subject }) => ({ person, address, action, subject }));
      expect(tail).to.deep.equal([
        { person: null, address: fr.address, action: "staff-added", subject: inspector.address },
        { person: name, address: inspector.address, action: "signed-in", subject: null },
        { person: name, address: inspector.address, action: "opened", subject: "record-42" },
      ]);
      expect(entries.at(-1)!.requestId).to.be.a("string").and.not.empty;
      expect(head).to.equal(entries.at(-1)!.hash);
      expect(verifyAuditEntries(entries)).to.deep.include({ valid: true, entries: entries.length });
      const page = (await (
        await call(`/v1/audit?after=${entries.at(-3)!.seq}&limit=1`, bearer(admin.token))
      ).json()) as { entries: AuditEntry[]; next: number };
      expect(page.entries.map((e) => e.action)).to.deep.equal(["signed-in"]);
      expect(page.next).to.equal(entries.at(-2)!.seq);
      // Another member sees none of member 1's entries.
      const other = (await (await call("/v1/audit", bearer((await tokenOf(de)).token))).json()) as {
        entries: AuditEntry[];
      };
      expect(other.entries).to.not.be.empty;
      expect(other.entries.every((e) => e.memberId === "2")).to.equal(true);
    });

    it("removes a staff login: it can no longer sign in, and its token is refused at once (401)", async function () {
      const del = await call(`/v1/members/me/staff/${inspector.address}`, { ...bearer(admin.token), method: "DELETE" });
      expect(del.status).to.equal(204);
      await expect401(await call("/v1/auth/session", bearer(staff.token)), "STAFF_REMOVED");
      await expect401(await signIn(inspector), "STAFF_REMOVED");
      const again = await call(`/v1/members/me/staff/${inspector.address}`, {
        ...bearer(admin.token),
        method: "DELETE",
      });
      await expectProblem(again, 404, "not-found");
      const readd = await post("/v1/members/me/staff", { name, address: inspector.address }, admin.token);
      await expectProblem(readd, 409, "conflict");
      const { staff: list } = (await (await call("/v1/members/me/staff", bearer(admin.token))).json()) as {
        staff: { removedAt: string | null; removedBy: string }[];
      };
      expect(list[0]!.removedAt).to.be.a("string");
      expect(list[0]!.removedBy).to.equal(fr.address);
    });

    it("refuses to update or delete audit rows (triggers), and the whole log verifies", async function () {
      expect(() => gw.ctx.db.prepare("UPDATE audit_log SET person = 'nobody'").run()).to.throw(/append-only/);
      expect(() => gw.ctx.db.prepare("DELETE FROM audit_log").run()).to.throw(/append-only/);
      const verdict = verifyAuditChain(gw.ctx.db);
      expect(verdict.valid, JSON.stringify(verdict)).to.equal(true);
    });
  });

  describe("governance decisions take effect on sign-ins and on tokens already issued", function () {
    /**
     * Proposed by FR, voted by DE, ES and CN: 4 of the 5 founding governors (FR, DE, ES, CN, SG), the 2/3 quorum.
     */
    async function pass(p: ProposalParameters) {
      const { consortium } = gw.ctx.cp;
      const relayer = gw.ctx.cp.requireRelayer();
      await (await consortium.submit(await consortium.signPropose(fr, p), relayer)).wait();
      const id = await consortium.governance.proposalCount();
      for (const voter of [de, new Wallet(devKey(4)), new Wallet(devKey(10))]) {
        await (await consortium.submit(await consortium.signVote(voter, id, true), relayer)).wait();
      }
      expect((await consortium.governance.getProposal(id)).executed, `${p.kind} passed`).to.equal(true);
    }

    it("a suspended member signs in neither with its keys nor with its staff logins, and their tokens stop (401)", async function () {
      const nlAdmin = await tokenOf(nl);
      const clerk = Wallet.createRandom();
      const added = await post("/v1/members/me/staff", { name: "clerk 7", address: clerk.address }, nlAdmin.token);
      expect(added.status).to.equal(201);
      const clerkSession = await tokenOf(clerk);
      expect(clerkSession.principal).to.deep.include({ memberId: "5", roles: ["OPERATOR"], staff: "clerk 7" });

      await pass({ kind: "SuspendMember", memberId: 5 });

      await expect401(await signIn(nl), "MEMBER_SUSPENDED");
      await expect401(await signIn(clerk), "MEMBER_SUSPENDED");
      await expect401(await call("/v1/auth/session", bearer(nlAdmin.token)), "MEMBER_SUSPENDED");
      await expect401(await call("/v1/auth/session", bearer(clerkSession.token)), "MEMBER_SUSPENDED");
    });

    it("a token naming a role the member lost is refused (401); signing in again gives the roles it has now", async function () {
      const before = await tokenOf(us);
      await pass({ kind: "SetRoles", memberId: 3, roles: ["REGISTRY"] });
      await expect401(await call("/v1/auth/session", bearer(before.token)), "ROLES_CHANGED");
      expect((await tokenOf(us)).principal).to.deep.include({ memberId: "3", roles: ["REGISTRY"] });
    });
  });
});

describe("audit log: a tampered database file is detected", function () {
  const record = (n: number) => ({
    memberId: BigInt(1 + (n % 2)),
    person: n % 2 === 0 ? "clerk" : null,
    address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    action: "downloaded" as const,
    subject: `cid-${n}`,
    requestId: `req-${n}`,
  });
  function logOf(rows: number) {
    const db = openDatabase(":memory:");
    const log = AuditLog.for(db);
    for (let n = 0; n < rows; n++) log.append(record(n));
    // What someone with the file can do: drop the triggers.
    db.exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
    return db;
  }

  it("finds an altered row, a re-hashed altered row, and a removed row, naming the entry", async function () {
    const intact = logOf(6);
    expect(verifyAuditChain(intact)).to.deep.include({ valid: true, entries: 6 });

    const altered = logOf(6);
    altered.prepare("UPDATE audit_log SET subject = 'cid-other' WHERE seq = 3").run();
    expect(verifyAuditChain(altered)).to.deep.include({ valid: false, seq: 3, code: "HASH_MISMATCH" });

    const rehashed = logOf(6);
    const row = rehashed.prepare("SELECT * FROM audit_log WHERE seq = 3").get() as Record<string, unknown>;
    const forged = {
      seq: 3,
      at: row.at as string,
      chain: row.chain as string,
      memberId: row.member_id as string,
      person: row.person as string | null,
      address: row.address as string,
      action: "downloaded" as const,
      subject: "cid-other",
      requestId: row.request_id as string,
      prevHash: row.prev_hash as string,
    };
    rehashed
      .prepare("UPDATE audit_log SET subject = ?, hash = ? WHERE seq = 3")
      .run(forged.subject, auditEntryHash(forged));
    // seq 5 is the next entry of the same member (members alternate).
    expect(verifyAuditChain(rehashed)).to.deep.include({ valid: false, seq: 5, code: "CHAIN_BROKEN" });

    const removed = logOf(6);
    removed.prepare("DELETE FROM audit_log WHERE seq = 2").run();
    expect(verifyAuditChain(removed)).to.deep.include({ valid: false, seq: 4, code: "CHAIN_BROKEN" });
    for (const db of [intact, altered, rehashed, removed]) db.close();
  });
});
