/**
 * Who is asking, and what a route requires. A request carries a session token (JWT, `Authorization: Bearer`) that
 * the gateway issued after a Sign-In with Ethereum; without one the caller is a stranger.
 */
import type { RequestHandler } from "express";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { type RoleName } from "../../../sdk/src";
import type { RouteAuth } from "../api";
import { Problem } from "../problems";

/** A signed-in caller: a member (through one of its keys, possibly a staff login under it) or a plain account. */
export type Principal =
  | {
      kind: "member";
      memberId: bigint;
      roles: RoleName[];
      jurisdiction: string;
      /** The key the member signed in with. */
      address: string;
      /** A staff login under the member (its administrator issued it); absent for the member's own key. */
      staff?: string;
    }
  | {
      /** A rights holder, licensee or other account that is not a member: acts on its own works and licences. */
      kind: "account";
      address: string;
    };

/**
 * What a route requires: anyone (`public`), any signed-in caller (`signed-in`), a member (`member`: its own key or a
 * staff login under it), the member's administrator (`member-admin`: signed in with one of the member's own keys, not
 * a staff login), or a member with one of the roles listed.
 */
export type Requirement = "public" | "signed-in" | "member" | "member-admin" | { anyRole: readonly RoleName[] };

/**
 * A check run on every token that verified (after its signature and expiry): throws a 401 Problem to refuse it, e.g.
 * a staff login removed since the token was issued. `issuedAt` is the token's `iat` (unix seconds).
 */
export type TokenCheck = (principal: Principal, issuedAt: number) => void | Promise<void>;

/** The claims of a session token. */
interface SessionClaims {
  sub: string;
  kind: "member" | "account";
  memberId?: string;
  roles?: RoleName[];
  jurisdiction?: string;
  staff?: string;
}

/** Issues and checks session tokens (HS256 with the gateway's own secret, short-lived). */
export class Sessions implements RouteAuth {
  readonly #secret: Uint8Array;
  readonly #checks: TokenCheck[] = [];
  constructor(
    secret: Uint8Array,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
  ) {
    if (secret.length < 32) throw new Error("the session secret must be at least 32 bytes");
    this.#secret = secret;
  }

  /** Adds a check every verified token must also pass (see {@link TokenCheck}). */
  addCheck(check: TokenCheck): void {
    this.#checks.push(check);
  }

  /** A session token for a principal, valid `ttlSeconds`. */
  async issue(p: Principal): Promise<{ token: string; expiresAt: number }> {
    const claims: Omit<SessionClaims, "sub"> =
      p.kind === "member"
        ? {
            kind: "member",
            memberId: p.memberId.toString(),
            roles: p.roles,
            jurisdiction: p.jurisdiction,
            ...(p.staff === undefined ? {} : { staff: p.staff }),
          }
        : { kind: "account" };
    const expiresAt = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(p.address)
      .setIssuer(this.issuer)
      .setAudience(this.issuer)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.#secret);
    return { token, expiresAt };
  }

  /** The principal a token names; a 401 Problem for a token that is not valid (expired, forged, another gateway). */
  async verify(token: string): Promise<Principal> {
    let payload: SessionClaims & { iat?: number };
    try {
      ({ payload } = (await jwtVerify(token, this.#secret, {
        issuer: this.issuer,
        audience: this.issuer,
        algorithms: ["HS256"],
        // A token without an expiry would never end; every token the gateway issues carries these.
        requiredClaims: ["exp", "iat", "sub"],
      })) as unknown as { payload: SessionClaims });
    } catch (err) {
      const why =
        err instanceof joseErrors.JWTExpired ? "the session token has expired" : "the session token is not valid";
      throw new Problem("unauthenticated", `${why}: sign in again`, {}, { cause: err });
    }
    const principal: Principal =
      payload.kind === "member"
        ? {
            kind: "member",
            memberId: BigInt(payload.memberId!),
            roles: payload.roles ?? [],
            jurisdiction: payload.jurisdiction ?? "",
            address: payload.sub,
            ...(payload.staff === undefined ? {} : { staff: payload.staff }),
          }
        : { kind: "account", address: payload.sub };
    for (const check of this.#checks) await check(principal, payload.iat ?? 0);
    return principal;
  }

  readonly identify: RequestHandler = (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
    if (m === null) return next(new Problem("unauthenticated", "the Authorization header must be `Bearer <token>`"));
    this.verify(m[1]!).then(
      (principal) => {
        res.locals.principal = principal;
        next();
      },
      (err: unknown) => next(err),
    );
  };

  check(principal: Principal | undefined, requirement: Requirement): void {
    if (requirement === "public") return;
    if (principal === undefined) throw new Problem("unauthenticated", "sign in first (POST /v1/auth/siwe)");
    if (requirement === "signed-in") return;
    if (principal.kind !== "member") throw new Problem("forbidden", "only members of the consortium may do this");
    if (requirement === "member") return;
    if (requirement === "member-admin") {
      if (principal.staff !== undefined) {
        throw new Problem(
          "forbidden",
          "only the member's administrator (one of its own keys) may do this, not a staff login",
        );
      }
      return;
    }
    if (!requirement.anyRole.some((r) => principal.roles.includes(r))) {
      throw new Problem("forbidden", `this needs the role ${requirement.anyRole.join(" or ")}`, {
        requiredRoles: requirement.anyRole,
        roles: principal.roles,
      });
    }
  }
}
