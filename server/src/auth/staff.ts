/**
 * Staff logins: a member's administrator (signed in with one of the member's own keys) names the persons who act for
 * the member through the gateway, each with an Ethereum key of their own, and optionally fewer roles than the member
 * has. A staff key signs in like a member key and acts as the member; the audit log names the person.
 *
 * Rules (as for the Consortium's keys): a staff key belongs to one member for ever and is never reused, even after
 * its login was removed — so a token names its login by its address alone; a key of any member is never a staff key.
 * A removed login cannot sign in, and its tokens are refused on their next request (the auth module looks the login
 * up on every request of a staff token).
 */
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { getAddress } from "ethers";
import { z } from "zod";
import { Role, roleMask, roleNames, type RoleName } from "../../../sdk/src";
import { recordAudit } from "../audit";
import type { Db } from "../db";
import type { GatewayContext } from "../gateway";
import { ProblemSchema } from "../api";
import { PROBLEM_MEDIA_TYPE, Problem } from "../problems";
import type { Principal } from "./principal";

extendZodWithOpenApi(z);

/** A role name, as the API takes and answers it. */
export const RoleNameSchema = z.enum(Object.keys(Role) as [RoleName, ...RoleName[]]);

/** An Ethereum address in any case, answered in its EIP-55 form. */
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an Ethereum address (0x and 40 hex digits)")
  .transform((a) => getAddress(a.toLowerCase()))
  .openapi({ type: "string", example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });

/** A staff login as stored. */
export interface StaffLogin {
  /** The staff's own key (EIP-55). */
  address: string;
  memberId: bigint;
  /** The person, as the administrator named them (a name or a personnel id). */
  name: string;
  /** The roles the login is limited to; null = the member's roles, whatever they are at sign-in. */
  roles: RoleName[] | null;
  addedAt: number;
  /** The member key that added it. */
  addedBy: string;
  removedAt: number | null;
  removedBy: string | null;
}

export const StaffLoginSchema = z
  .object({
    address: z.string(),
    name: z.string(),
    roles: z.array(RoleNameSchema).nullable().openapi({ description: "null: the member's roles at each sign-in" }),
    addedAt: z.string().openapi({ description: "ISO 8601" }),
    addedBy: z.string(),
    removedAt: z.string().nullable(),
    removedBy: z.string().nullable(),
  })
  .openapi("StaffLogin");

const staffJson = (s: StaffLogin): z.infer<typeof StaffLoginSchema> => ({
  address: s.address,
  name: s.name,
  roles: s.roles,
  addedAt: new Date(s.addedAt).toISOString(),
  addedBy: s.addedBy,
  removedAt: s.removedAt === null ? null : new Date(s.removedAt).toISOString(),
  removedBy: s.removedBy,
});

interface Row {
  address: string;
  member_id: string;
  name: string;
  roles: number | null;
  added_at: number;
  added_by: string;
  removed_at: number | null;
  removed_by: string | null;
}

const toLogin = (r: Row): StaffLogin => ({
  address: r.address,
  memberId: BigInt(r.member_id),
  name: r.name,
  roles: r.roles === null ? null : roleNames(r.roles),
  addedAt: r.added_at,
  addedBy: r.added_by,
  removedAt: r.removed_at,
  removedBy: r.removed_by,
});

/** The staff logins of every member (table `auth_staff`, migrated by the auth module). */
export class StaffDirectory {
  constructor(private readonly db: Db) {}

  /** The login of a staff key, removed or not. */
  find(address: string): StaffLogin | undefined {
    const row = this.db.prepare("SELECT * FROM auth_staff WHERE address = ?").get(getAddress(address)) as
      Row | undefined;
    return row === undefined ? undefined : toLogin(row);
  }

  /** A member's logins, removed ones included, oldest first. */
  list(memberId: bigint): StaffLogin[] {
    return (
      this.db
        .prepare("SELECT * FROM auth_staff WHERE member_id = ? ORDER BY added_at, address")
        .all(memberId.toString()) as Row[]
    ).map(toLogin);
  }

  /** Adds a login; a 409 Problem when the key was ever a staff key (keys are never reused). */
  add(login: Pick<StaffLogin, "address" | "memberId" | "name" | "roles" | "addedBy">, now = Date.now()): StaffLogin {
    const row = {
      address: login.address,
      member_id: login.memberId.toString(),
      name: login.name,
      roles: login.roles === null ? null : roleMask(login.roles),
      added_at: now,
      added_by: login.addedBy,
    };
    const { changes } = this.db
      .prepare(
        `INSERT INTO auth_staff (address, member_id, name, roles, added_at, added_by)
         VALUES (@address, @member_id, @name, @roles, @added_at, @added_by) ON CONFLICT (address) DO NOTHING`,
      )
      .run(row);
    if (changes === 0) {
      throw new Problem("conflict", `${login.address} is or was a staff key already: a staff key is never reused`);
    }
    return toLogin({ ...row, removed_at: null, removed_by: null });
  }

  /** Removes a member's live login; false when the member has no such live login. */
  remove(memberId: bigint, address: string, by: string, now = Date.now()): boolean {
    const { changes } = this.db
      .prepare(
        `UPDATE auth_staff SET removed_at = ?, removed_by = ?
         WHERE address = ? AND member_id = ? AND removed_at IS NULL`,
      )
      .run(now, by, address, memberId.toString());
    return changes === 1;
  }
}

type MemberPrincipal = Extract<Principal, { kind: "member" }>;
const problem = { schema: ProblemSchema, contentType: PROBLEM_MEDIA_TYPE };

/**
 * The staff routes: `/v1/members/me/staff` for the member's administrator. `isMemberKey` answers whether an address
 * is a signing key of any member (the chain's answer).
 */
export function declareStaffRoutes(
  ctx: GatewayContext,
  staff: StaffDirectory,
  isMemberKey: (address: string) => Promise<boolean>,
): void {
  ctx.api.route({
    method: "post",
    path: "/v1/members/me/staff",
    summary: "Add a staff login",
    description:
      "The member's administrator names a person (`name`: a name or a personnel id, as the audit log should show it) " +
      "and their own Ethereum key. The key signs in with SIWE and acts for the member, with `roles` if given (a " +
      "subset of the member's) or else the member's roles. A key of any member, or a key that was ever a staff key, " +
      "is refused (409).",
    tags: ["auth"],
    auth: "member-admin",
    body: z
      .object({
        name: z.string().trim().min(1).max(200).openapi({ example: "J. Martin (badge 4711)" }),
        address: AddressSchema,
        roles: z.array(RoleNameSchema).min(1).optional(),
      })
      .strict(),
    responses: {
      201: { description: "The login", schema: StaffLoginSchema },
      409: { description: "The key is a member's key or was a staff key", ...problem },
    },
    handler: async ({ body, principal, req }) => {
      const admin = principal as MemberPrincipal;
      if (body.roles !== undefined) {
        const extra = body.roles.filter((r) => !admin.roles.includes(r));
        if (extra.length > 0) {
          throw new Problem("invalid-argument", `the member does not hold ${extra.join(", ")}`, {
            roles: admin.roles,
          });
        }
      }
      if (await isMemberKey(body.address)) {
        throw new Problem(
          "conflict",
          `${body.address} is a member's signing key: a staff login needs a key of its own`,
        );
      }
      const login = staff.add({
        address: body.address,
        memberId: admin.memberId,
        name: body.name.normalize("NFC"),
        roles: body.roles === undefined ? null : [...new Set(body.roles)],
        addedBy: admin.address,
      });
      recordAudit(ctx, req, "staff-added", login.address);
      return { status: 201, body: staffJson(login) };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/members/me/staff",
    summary: "The member's staff logins",
    description: "Every staff login of the member, removed ones included, oldest first.",
    tags: ["auth"],
    auth: "member-admin",
    responses: {
      200: { description: "The logins", schema: z.object({ staff: z.array(StaffLoginSchema) }) },
    },
    handler: async ({ principal }) => ({
      status: 200,
      body: { staff: staff.list((principal as MemberPrincipal).memberId).map(staffJson) },
    }),
  });

  ctx.api.route({
    method: "delete",
    path: "/v1/members/me/staff/:address",
    summary: "Remove a staff login",
    description:
      "The login can no longer sign in and its tokens are refused from the next request. Its key is never reused.",
    tags: ["auth"],
    auth: "member-admin",
    params: z.object({ address: AddressSchema }),
    responses: {
      204: { description: "Removed" },
      404: { description: "The member has no live staff login with this key", ...problem },
    },
    handler: async ({ params, principal, req }) => {
      const admin = principal as MemberPrincipal;
      if (!staff.remove(admin.memberId, params.address, admin.address)) {
        throw new Problem("not-found", `the member has no live staff login with the key ${params.address}`);
      }
      recordAudit(ctx, req, "staff-removed", params.address);
      return { status: 204 };
    },
  });
}
