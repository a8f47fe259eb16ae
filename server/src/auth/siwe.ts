/**
 * Sign-In with Ethereum (EIP-4361, the `siwe` package) exchanged for a session token. A sign-in is a chain of named
 * steps, each refusing with its own code (`code` in the 401 problem):
 *
 * 1. **parse** — an EIP-4361 message (else 400, `MESSAGE_MALFORMED`);
 * 2. **nonce** — one the gateway issued, consumed here whatever follows: `NONCE_UNKNOWN`, `NONCE_USED`,
 *    `NONCE_EXPIRED`;
 * 3. **binding** — to this gateway and this chain: `SCHEME_MISMATCH`, `DOMAIN_MISMATCH` (the host of the public URL),
 *    `URI_MISMATCH` (under the public URL), `CHAIN_MISMATCH` (the deployment's chain id);
 * 4. **time** — by the gateway's clock: `ISSUED_IN_FUTURE` (beyond a minute of skew), `MESSAGE_EXPIRED`,
 *    `MESSAGE_NOT_YET_VALID`;
 * 5. **signature** — by the message's address: `SIGNATURE_INVALID` (an account may be a contract wallet, EIP-1271;
 *    member and staff keys sign with ECDSA, as on chain);
 * 6. **who** — the Consortium's answer now (`signerInfo`): a key of a member → that member if it is active and the
 *    key valid, else `MEMBER_SUSPENDED`, `MEMBER_REMOVED`, `KEY_NOT_YET_VALID`, `KEY_NOT_VALID` (revoked or expired);
 *    else a staff key → its member, `STAFF_REMOVED` or the member's status; else an account.
 *
 * The token (see auth/principal.ts) is checked again on every request of a member: step 6 once more, and
 * `ROLES_CHANGED` when the member lost a role the token names — so a revoked key, a suspended member or a removed
 * staff login stops its tokens at once. One chain read per request (`signerInfo`, or `getMember` for staff).
 */
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { verifyMessage } from "ethers";
import { SiweMessage, generateNonce } from "siwe";
import { z } from "zod";
import { CrossproofError, MemberStatus, fromJurisdiction, roleNames, type RoleName } from "../../../sdk/src";
import { recordAudit } from "../audit";
import { migrate, type Db } from "../db";
import type { GatewayContext, GatewayModule } from "../gateway";
import { ProblemSchema } from "../api";
import { PROBLEM_MEDIA_TYPE, Problem } from "../problems";
import type { Principal } from "./principal";
import { RoleNameSchema, StaffDirectory, declareStaffRoutes, type StaffLogin } from "./staff";

extendZodWithOpenApi(z);

/** How long a nonce can be used after it was issued. */
export const NONCE_TTL_SECONDS = 300;
/** How far in the future a message's `issuedAt` may be (clients' clocks drift). */
export const CLOCK_SKEW_SECONDS = 60;
/** How long used and expired nonces are kept (to answer `NONCE_USED` rather than `NONCE_UNKNOWN`). */
const NONCE_KEEP_SECONDS = 3600;

/**
 * Why a sign-in, or a token on a later request, is refused: the `code` of its problem document, one per check.
 * A token is refused with the codes of step 6 and `ROLES_CHANGED` (see {@link checkStanding}).
 */
export type AuthFailure =
  | "MESSAGE_MALFORMED"
  | "NONCE_UNKNOWN"
  | "NONCE_USED"
  | "NONCE_EXPIRED"
  | "SCHEME_MISMATCH"
  | "DOMAIN_MISMATCH"
  | "URI_MISMATCH"
  | "CHAIN_MISMATCH"
  | "ISSUED_IN_FUTURE"
  | "MESSAGE_EXPIRED"
  | "MESSAGE_NOT_YET_VALID"
  | "SIGNATURE_INVALID"
  | "MEMBER_SUSPENDED"
  | "MEMBER_REMOVED"
  | "MEMBER_NOT_ACTIVE"
  | "KEY_NOT_YET_VALID"
  | "KEY_NOT_VALID"
  | "STAFF_REMOVED"
  | "ROLES_CHANGED";

const refuse = (code: AuthFailure, detail: string, extensions: Record<string, unknown> = {}) =>
  new Problem("unauthenticated", detail, { code, ...extensions });

/** The auth module's tables. Append-only list: never edit a released step. */
const MIGRATIONS = [
  `CREATE TABLE auth_nonces (
     nonce TEXT PRIMARY KEY,
     issued_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE INDEX auth_nonces_by_expiry ON auth_nonces (expires_at);
   CREATE TABLE auth_staff (
     address TEXT PRIMARY KEY,
     member_id TEXT NOT NULL,
     name TEXT NOT NULL,
     roles INTEGER,
     added_at INTEGER NOT NULL,
     added_by TEXT NOT NULL,
     removed_at INTEGER,
     removed_by TEXT
   );
   CREATE INDEX auth_staff_by_member ON auth_staff (member_id, added_at);`,
];

/** Single-use sign-in nonces (table `auth_nonces`). Times in milliseconds. */
export class NonceStore {
  constructor(private readonly db: Db) {}

  /** A fresh nonce (96 random bits, alphanumeric, as EIP-4361 wants), valid {@link NONCE_TTL_SECONDS}. */
  issue(now = Date.now()): { nonce: string; expiresAt: number } {
    this.db.prepare("DELETE FROM auth_nonces WHERE expires_at < ?").run(now - NONCE_KEEP_SECONDS * 1000);
    const nonce = generateNonce();
    const expiresAt = now + NONCE_TTL_SECONDS * 1000;
    this.db
      .prepare("INSERT INTO auth_nonces (nonce, issued_at, expires_at) VALUES (?, ?, ?)")
      .run(nonce, now, expiresAt);
    return { nonce, expiresAt };
  }

  /**
   * Uses a nonce up, in one statement (two concurrent sign-ins with one nonce: one wins); refuses one that is
   * unknown, used or expired. An expired nonce is used up too.
   */
  consume(nonce: string, now = Date.now()): void {
    const row = this.db
      .prepare("UPDATE auth_nonces SET used_at = ? WHERE nonce = ? AND used_at IS NULL RETURNING expires_at")
      .get(now, nonce) as { expires_at: number } | undefined;
    if (row === undefined) {
      const known = this.db.prepare("SELECT 1 FROM auth_nonces WHERE nonce = ?").get(nonce) !== undefined;
      throw known
        ? refuse("NONCE_USED", "this nonce was used already: ask for a new one (POST /v1/auth/nonce)")
        : refuse("NONCE_UNKNOWN", "this gateway did not issue this nonce (or long ago): ask for one");
    }
    if (row.expires_at <= now) {
      throw refuse(
        "NONCE_EXPIRED",
        `the nonce expired at ${new Date(row.expires_at).toISOString()}: ask for a new one`,
      );
    }
  }
}

/** A principal as the API answers it. */
export const PrincipalSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("member"),
      memberId: z.string().openapi({ description: "decimal" }),
      roles: z.array(RoleNameSchema),
      jurisdiction: z.string(),
      address: z.string().openapi({ description: "The key that signed in (the staff's own key for a staff login)." }),
      staff: z.string().optional().openapi({ description: "The person of a staff login, as its member named them." }),
    }),
    z.object({ kind: z.literal("account"), address: z.string() }),
  ])
  .openapi("Principal");

export function principalJson(p: Principal): z.infer<typeof PrincipalSchema> {
  return p.kind === "member" ? { ...p, memberId: p.memberId.toString() } : p;
}

/** What a message must be bound to. */
interface Binding {
  scheme: string;
  domain: string;
  uri: string;
  chainId: number;
}

function bindingOf(publicUrl: string, chainId: bigint): Binding {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch (cause) {
    throw new Error(`gateway configuration: CROSSPROOF_GATEWAY_URL: not a URL: ${publicUrl}`, { cause });
  }
  return { scheme: url.protocol.replace(/:$/, ""), domain: url.host, uri: publicUrl, chainId: Number(chainId) };
}

/** Step 1: an EIP-4361 message. */
function parse(message: string): SiweMessage {
  try {
    return new SiweMessage(message);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Problem("invalid-request", `not an EIP-4361 (Sign-In with Ethereum) message: ${why}`, {
      code: "MESSAGE_MALFORMED",
    });
  }
}

/** Step 3: bound to this gateway and this chain. */
function checkBinding(m: SiweMessage, b: Binding): void {
  if (m.scheme !== undefined && m.scheme !== b.scheme) {
    throw refuse("SCHEME_MISMATCH", `the message's scheme is ${m.scheme}, this gateway's ${b.scheme}`);
  }
  if (m.domain !== b.domain) {
    throw refuse("DOMAIN_MISMATCH", `the message is for ${m.domain}, this gateway is ${b.domain}`, {
      expected: b.domain,
    });
  }
  if (m.uri !== b.uri && !m.uri.startsWith(`${b.uri}/`)) {
    throw refuse("URI_MISMATCH", `the message's URI ${m.uri} is not under ${b.uri}`, { expected: b.uri });
  }
  if (m.chainId !== b.chainId) {
    throw refuse("CHAIN_MISMATCH", `the message is for chain ${m.chainId}, this consortium is on chain ${b.chainId}`, {
      expected: b.chainId,
    });
  }
}

/** Step 4: issued, not expired, valid already — by the gateway's clock. */
function checkTimes(m: SiweMessage, now: number): void {
  const at = (s: string) => Date.parse(s);
  if (m.issuedAt === undefined || Number.isNaN(at(m.issuedAt))) {
    throw new Problem("invalid-request", "the message has no valid Issued At", { code: "MESSAGE_MALFORMED" });
  }
  if (at(m.issuedAt) > now + CLOCK_SKEW_SECONDS * 1000) {
    throw refuse("ISSUED_IN_FUTURE", `the message was issued at ${m.issuedAt}, in the future: check the clock`);
  }
  if (m.expirationTime !== undefined && at(m.expirationTime) <= now) {
    throw refuse("MESSAGE_EXPIRED", `the message expired at ${m.expirationTime}`);
  }
  if (m.notBefore !== undefined && at(m.notBefore) > now) {
    throw refuse("MESSAGE_NOT_YET_VALID", `the message is not valid before ${m.notBefore}`);
  }
}

/**
 * Step 5: signed by the message's address (the `siwe` package's check: ECDSA, else EIP-1271 for a contract wallet).
 * Answers whether it is an ECDSA signature by the address, the only kind a member or staff key may use.
 */
async function checkSignature(
  m: SiweMessage,
  signature: string,
  b: Binding,
  now: number,
  provider: GatewayContext["cp"]["provider"],
): Promise<{ ecdsa: boolean }> {
  let recovered: string | undefined;
  try {
    recovered = verifyMessage(m.prepareMessage(), signature);
  } catch {
    recovered = undefined;
  }
  if (recovered === undefined && (await read("the address's code", () => provider.getCode(m.address))) === "0x") {
    // Not an ECDSA signature, and no contract wallet to ask (the package would log the recovery error).
    throw refuse("SIGNATURE_INVALID", "the signature is not an ECDSA signature, and the address is no contract wallet");
  }
  const result = await m.verify(
    { signature, domain: b.domain, nonce: m.nonce, time: new Date(now).toISOString() },
    { provider, suppressExceptions: true },
  );
  if (!result.success) {
    const why = result.error?.type ?? "the signature does not verify";
    throw refuse("SIGNATURE_INVALID", `the signature is not the message's address's: ${why}`);
  }
  return { ecdsa: recovered === m.address };
}

/** Reads the chain (the Consortium, the code at an address), failures as `CHAIN_ERROR` (503). */
async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new CrossproofError("CHAIN_ERROR", `cannot read ${what} from the chain`, { cause });
  }
}

function checkStatus(status: number, memberId: bigint): void {
  if (status === MemberStatus.Active) return;
  if (status === MemberStatus.Suspended) {
    throw refuse("MEMBER_SUSPENDED", `member ${memberId} is suspended: its keys and staff cannot sign in`, {
      memberId: memberId.toString(),
    });
  }
  if (status === MemberStatus.Removed) {
    throw refuse("MEMBER_REMOVED", `member ${memberId} was removed from the consortium`, {
      memberId: memberId.toString(),
    });
  }
  throw refuse("MEMBER_NOT_ACTIVE", `member ${memberId} is not active`, { memberId: memberId.toString() });
}

type MemberPrincipal = Extract<Principal, { kind: "member" }>;

/**
 * The member a key signs for, as the Consortium says now (`signerInfo`: the key within its validity window and its
 * member active — `isValidSigner(member, key, now)` in one call); undefined for an address that is no member's key.
 * Refuses a key not valid now and a member not active.
 */
async function memberOfKey(ctx: GatewayContext, address: string): Promise<MemberPrincipal | undefined> {
  const consortium = ctx.cp.consortium.consortium;
  const info = await read("the signer", () => consortium.signerInfo(address));
  if (info.memberId === 0n) return undefined;
  checkStatus(Number(info.status), info.memberId);
  if (!info.keyValid) {
    const [key, now] = await Promise.all([
      read("the key", () => consortium.getKey(address)),
      read("the time", () => ctx.cp.chainTime()),
    ]);
    const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();
    if (Number(key.validFrom) > now) {
      throw refuse("KEY_NOT_YET_VALID", `${address} is a key of member ${info.memberId} from ${iso(key.validFrom)}`);
    }
    throw refuse(
      "KEY_NOT_VALID",
      `${address} is no longer a valid key of member ${info.memberId}: revoked or expired at ${iso(key.validUntil)}`,
      { memberId: info.memberId.toString() },
    );
  }
  if (!info.authorized) throw refuse("MEMBER_NOT_ACTIVE", `member ${info.memberId} may not act now`);
  return {
    kind: "member",
    memberId: info.memberId,
    roles: roleNames(info.roles),
    jurisdiction: fromJurisdiction(info.jurisdiction),
    address,
  };
}

/**
 * The member a staff login acts for, with the roles it has now (those it was given that the member still holds, or
 * all the member's). Refuses a removed login and a member not active.
 */
async function memberOfStaff(ctx: GatewayContext, login: StaffLogin): Promise<MemberPrincipal> {
  if (login.removedAt !== null) {
    throw refuse("STAFF_REMOVED", `the staff login of ${login.address} was removed by its member's administrator`);
  }
  const member = await read("the member", () => ctx.cp.consortium.consortium.getMember(login.memberId));
  checkStatus(Number(member.status), login.memberId);
  const memberRoles = roleNames(member.roles);
  const roles: RoleName[] = login.roles === null ? memberRoles : login.roles.filter((r) => memberRoles.includes(r));
  return {
    kind: "member",
    memberId: login.memberId,
    roles,
    jurisdiction: fromJurisdiction(member.jurisdiction),
    address: login.address,
    staff: login.name,
  };
}

/** Step 6: who signed — a member key, a staff key, or an account. */
async function identify(
  ctx: GatewayContext,
  staff: StaffDirectory,
  address: string,
  ecdsa: boolean,
): Promise<Principal> {
  const ecdsaOnly = (who: string) =>
    refuse("SIGNATURE_INVALID", `${address} is ${who}: it signs in with an ECDSA signature of its own, as on chain`);
  const member = await memberOfKey(ctx, address);
  if (member !== undefined) {
    if (!ecdsa) throw ecdsaOnly(`a key of member ${member.memberId}`);
    return member;
  }
  const login = staff.find(address);
  if (login !== undefined) {
    if (!ecdsa) throw ecdsaOnly("a staff key");
    return memberOfStaff(ctx, login);
  }
  return { kind: "account", address };
}

/**
 * On every request with a member's token: it still stands now — the key still valid and its member active (for a
 * staff login: the login not removed and its member active), and the roles the token names still held. A revoked
 * key, a suspended member or a removed staff login stops its tokens at once, not when they expire.
 */
async function checkStanding(ctx: GatewayContext, staff: StaffDirectory, p: Principal): Promise<void> {
  if (p.kind !== "member") return;
  let now: MemberPrincipal | undefined;
  try {
    if (p.staff === undefined) {
      now = await memberOfKey(ctx, p.address);
    } else {
      const login = staff.find(p.address);
      if (login === undefined) throw refuse("STAFF_REMOVED", `${p.address} is no staff login`);
      now = await memberOfStaff(ctx, login);
    }
  } catch (err) {
    // The chain cannot be read: the token stands on the full check made when it was issued, at most
    // CROSSPROOF_TOKEN_TTL seconds ago (a removed staff login is still refused: that is this gateway's own record).
    // Members can then still submit while the chain is down; the outbox checks each request when it is sent.
    if (err instanceof CrossproofError && err.code === "CHAIN_ERROR") {
      ctx.log.warn({ memberId: p.memberId.toString(), address: p.address }, "chain unreadable: session accepted");
      return;
    }
    throw err;
  }
  if (now === undefined || now.memberId !== p.memberId) {
    throw refuse("KEY_NOT_VALID", `${p.address} is not a key of member ${p.memberId}`);
  }
  const lost = p.roles.filter((r) => !now.roles.includes(r));
  if (lost.length > 0) {
    throw refuse("ROLES_CHANGED", `member ${p.memberId} no longer holds ${lost.join(", ")} here: sign in again`);
  }
}

/**
 * `POST /v1/auth/nonce`, `POST /v1/auth/siwe`, `GET /v1/auth/session` and the staff logins
 * (`/v1/members/me/staff`). Every sign-in is recorded in the audit log.
 */
export const authModule: GatewayModule = (ctx) => {
  migrate(ctx.db, "auth", MIGRATIONS);
  const nonces = new NonceStore(ctx.db);
  const staff = new StaffDirectory(ctx.db);
  const binding = bindingOf(ctx.config.publicUrl, ctx.cp.chainId);
  ctx.sessions.addCheck((p) => checkStanding(ctx, staff, p));

  ctx.api.route({
    method: "post",
    path: "/v1/auth/nonce",
    summary: "A sign-in nonce",
    description:
      `A single-use nonce for a Sign-In with Ethereum message, valid ${NONCE_TTL_SECONDS} seconds, with the other ` +
      "values the message must carry (domain, URI, chain id, version).",
    tags: ["auth"],
    auth: "public",
    responses: {
      201: {
        description: "A nonce",
        schema: z.object({
          nonce: z.string(),
          expiresAt: z.string().openapi({ description: "ISO 8601" }),
          domain: z.string(),
          uri: z.string(),
          chainId: z.number().int(),
          version: z.literal("1"),
          statement: z.string(),
        }),
      },
    },
    handler: async () => {
      const { nonce, expiresAt } = nonces.issue();
      return {
        status: 201,
        body: {
          nonce,
          expiresAt: new Date(expiresAt).toISOString(),
          domain: binding.domain,
          uri: binding.uri,
          chainId: binding.chainId,
          version: "1",
          statement: "Sign in to the crossproof gateway.",
        },
      };
    },
  });

  ctx.api.route({
    method: "post",
    path: "/v1/auth/siwe",
    summary: "Sign in with Ethereum",
    description:
      "Exchanges a signed EIP-4361 message for a session token (`Authorization: Bearer`). A key of an active member " +
      "signs in as the member with its roles; a staff key as its member, naming the person; any other address as an " +
      "account. Refusals are 401 problems whose `code` says which check failed (see docs/GATEWAY.md).",
    tags: ["auth"],
    auth: "public",
    body: z
      .object({
        message: z.string().min(1).max(8192),
        signature: z
          .string()
          .regex(/^0x[0-9a-fA-F]+$/, "0x and hex digits")
          .max(8192),
      })
      .strict(),
    responses: {
      200: {
        description: "Signed in",
        schema: z.object({
          token: z.string(),
          expiresAt: z.string().openapi({ description: "ISO 8601" }),
          principal: PrincipalSchema,
        }),
      },
      401: {
        description: "Refused: `code` says which check failed",
        schema: ProblemSchema,
        contentType: PROBLEM_MEDIA_TYPE,
      },
    },
    handler: async ({ body, req }) => {
      const now = Date.now();
      const message = parse(body.message);
      nonces.consume(message.nonce, now);
      checkBinding(message, binding);
      checkTimes(message, now);
      const { ecdsa } = await checkSignature(message, body.signature, binding, now, ctx.cp.provider);
      const principal = await identify(ctx, staff, message.address, ecdsa);
      const { token, expiresAt } = await ctx.sessions.issue(principal);
      recordAudit(ctx, req, "signed-in", null, principal);
      return {
        status: 200,
        headers: { "cache-control": "no-store" },
        body: { token, expiresAt: new Date(expiresAt * 1000).toISOString(), principal: principalJson(principal) },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/auth/session",
    summary: "Who is signed in",
    tags: ["auth"],
    auth: "signed-in",
    responses: { 200: { description: "The session's principal", schema: z.object({ principal: PrincipalSchema }) } },
    handler: async ({ principal }) => ({ status: 200, body: { principal: principalJson(principal!) } }),
  });

  declareStaffRoutes(ctx, staff, async (address) => {
    const info = await read("the signer", () => ctx.cp.consortium.consortium.signerInfo(address));
    return info.memberId !== 0n;
  });
};
