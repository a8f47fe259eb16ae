/** The consortium: members, recognition agreements, a member's keys, governance proposals and votes. */
import type { Command } from "commander";
import {
  Assurance,
  MemberStatus,
  ProposalKind,
  fromJurisdiction,
  roleNames,
  type ProposalParameters,
  type RoleName,
} from "../../index";
import type { Context, Io } from "../context";
import { CliError } from "../exit-codes";
import { fields, iso, table } from "../output";
import { action, examples, list, memberId, unixTime } from "../util";
import { keysAddCommand } from "./records";

/** A member in --json, as the gateway's `GET /v1/members` gives it. */
interface MemberJson {
  memberId: string;
  jurisdiction: string;
  roles: string[];
  status: string;
  statusSince: string | null;
  nameHash: string;
}

interface AgreementJson {
  agreementId: string;
  from: string;
  to: string;
  categories: number[];
  minAssurance: string[];
  effectiveFrom: string | null;
  expiresAt: string | null;
  concludedAt: string | null;
  suspended: boolean;
}

interface KeysJson {
  memberId: string;
  signingKeys: {
    address: string;
    validFrom: string | null;
    validUntil: string | null;
    live: boolean;
    validNow: boolean;
  }[];
  publicKeys: {
    kid: string;
    keyId: string;
    purpose: string;
    algorithm: string;
    validFrom: string | null;
    validUntil: string | null;
  }[];
}

const nameOf = (table: Record<string, number>, v: number | bigint) =>
  Object.entries(table).find(([, n]) => n === Number(v))?.[0] ?? String(v);
const flags = (table: Record<string, number>, mask: number | bigint) =>
  Object.entries(table)
    .filter(([, bit]) => (Number(mask) & bit) !== 0)
    .map(([n]) => n);

async function members(ctx: Context): Promise<MemberJson[]> {
  if (ctx.mode === "gateway")
    return (await ctx.http<{ members: MemberJson[] }>("GET", "/v1/members", undefined, false)).members;
  const c = (await ctx.chain()).consortium.consortium;
  const n = Number(await c.memberCount());
  const out: MemberJson[] = [];
  for (let id = 1; id <= n; id++) {
    const m = await c.getMember(id);
    if (Number(m.status) === 0) continue;
    out.push({
      memberId: String(id),
      jurisdiction: fromJurisdiction(m.jurisdiction),
      roles: roleNames(m.roles),
      status: nameOf(MemberStatus, m.status),
      statusSince: iso(m.statusSince),
      nameHash: m.nameHash.toLowerCase(),
    });
  }
  return out;
}

async function agreements(ctx: Context): Promise<AgreementJson[]> {
  const pick = (a: AgreementJson): AgreementJson => ({
    agreementId: a.agreementId,
    from: a.from,
    to: a.to,
    categories: a.categories,
    minAssurance: a.minAssurance,
    effectiveFrom: a.effectiveFrom,
    expiresAt: a.expiresAt,
    concludedAt: a.concludedAt,
    suspended: a.suspended,
  });
  if (ctx.mode === "gateway") {
    return (await ctx.http<{ agreements: AgreementJson[] }>("GET", "/v1/agreements", undefined, false)).agreements.map(
      pick,
    );
  }
  const ra = (await ctx.chain()).consortium.agreements;
  const n = Number(await ra.agreementCount());
  const out: AgreementJson[] = [];
  for (let id = 1; id <= n; id++) {
    const a = await ra.getAgreement(id);
    const t = a.terms;
    if (Number(t.categories) === 0) continue;
    out.push({
      agreementId: String(id),
      from: fromJurisdiction(t.from),
      to: fromJurisdiction(t.to),
      categories: [...Array(64).keys()].filter((c) => ((BigInt(t.categories) >> BigInt(c)) & 1n) === 1n),
      minAssurance: flags(Assurance, t.minAssurance),
      effectiveFrom: iso(t.effectiveFrom),
      expiresAt: iso(t.expiresAt),
      concludedAt: iso(a.concludedAt),
      suspended: a.suspended,
    });
  }
  return out;
}

async function keys(ctx: Context, id: bigint): Promise<KeysJson> {
  if (ctx.mode === "gateway") {
    const m = await ctx.http<KeysJson>("GET", `/v1/members/${id}`, undefined, false);
    return {
      memberId: String(m.memberId),
      signingKeys: m.signingKeys.map((k) => ({
        address: k.address,
        validFrom: k.validFrom,
        validUntil: k.validUntil,
        live: k.live,
        validNow: k.validNow,
      })),
      publicKeys: m.publicKeys.map((k) => ({
        kid: k.kid,
        keyId: k.keyId,
        purpose: k.purpose,
        algorithm: k.algorithm,
        validFrom: k.validFrom,
        validUntil: k.validUntil,
      })),
    };
  }
  const cp = await ctx.chain();
  const c = cp.consortium.consortium;
  const m = await c.getMember(id);
  if (Number(m.status) === 0) throw new CliError("NOT_FOUND", `no member ${id}`);
  const now = await cp.chainTime();
  const signingKeys = [];
  for (const address of await c.keysOf(id)) {
    const k = await c.getKey(address);
    signingKeys.push({
      address,
      validFrom: iso(k.validFrom),
      validUntil: iso(k.validUntil),
      live: true,
      validNow: await c.isValidSigner(id, address, now),
    });
  }
  const publicKeys = (await cp.consortium.registeredPublicKeys(id)).map((k) => ({
    kid: k.kid,
    keyId: k.keyId,
    purpose: k.purpose,
    algorithm: k.algorithm,
    validFrom: iso(k.validFrom),
    validUntil: iso(k.validUntil),
  }));
  return { memberId: String(id), signingKeys, publicKeys };
}

export function consortiumCommands(program: Command, io: Io): void {
  examples(
    program
      .command("members")
      .description("The consortium's members: jurisdiction, roles, status")
      .action(
        action(io, async (ctx) => {
          const list = await members(ctx);
          ctx.out.result({ members: list }, () =>
            table(
              ["id", "jurisdiction", "roles", "status", "since"],
              list.map((m) => [m.memberId, m.jurisdiction, m.roles.join(","), m.status, m.statusSince ?? "-"]),
            ),
          );
        }),
      ),
    ["crossproof members", "crossproof members --json | jq '.members[] | select(.jurisdiction == \"DE\")'"],
  );

  examples(
    program
      .command("agreements")
      .description("Recognition agreements between jurisdictions: categories, minimum assurance, in force or suspended")
      .action(
        action(io, async (ctx) => {
          const list = await agreements(ctx);
          ctx.out.result({ agreements: list }, () =>
            table(
              ["id", "from", "to", "categories", "min. assurance", "concluded", "suspended"],
              list.map((a) => [
                a.agreementId,
                a.from,
                a.to,
                a.categories.join(","),
                a.minAssurance.join(",") || "-",
                a.concludedAt ?? "not yet",
                a.suspended ? "yes" : "no",
              ]),
            ),
          );
        }),
      ),
    ["crossproof agreements"],
  );

  const keysCommand = examples(
    program
      .command("keys")
      .description(
        "A member's keys: signing keys (addresses), report keys and encryption keys (JWK ids), with their validity",
      )
      .argument("[member]", "the member id (default: your key's member)")
      .action(
        action(io, async (ctx, _o, member?: string) => {
          const id = member === undefined ? (await ctx.signer()).memberId : memberId(member);
          const k = await keys(ctx, id);
          ctx.out.result(k, () => [
            `member ${k.memberId}`,
            "",
            table(
              ["signing key", "valid from", "valid until", "valid now"],
              k.signingKeys.map((s) => [
                s.address,
                s.validFrom ?? "-",
                s.validUntil ?? "open-ended",
                s.validNow ? "yes" : "no",
              ]),
            ),
            "",
            k.publicKeys.length === 0
              ? "no report or encryption key"
              : table(
                  ["purpose", "kid", "algorithm", "valid from", "valid until"],
                  k.publicKeys.map((p) => [
                    p.purpose,
                    p.kid,
                    p.algorithm,
                    p.validFrom ?? "-",
                    p.validUntil ?? "open-ended",
                  ]),
                ),
          ]);
        }),
      ),
    ["crossproof keys 2", "crossproof keys --json"],
  );
  keysAddCommand(keysCommand, io);

  examples(
    program
      .command("propose")
      .description(
        "Propose a governance decision (GOVERNOR members): admit, suspend, reinstate or remove a member; set roles; add or revoke a key; set a parameter or the governance parameters",
      )
      .argument(
        "<kind>",
        `${Object.keys(ProposalKind)
          .filter((k) => k !== "None")
          .join(", ")}`,
      )
      .option("--member <id>", "the member concerned")
      .option("--jurisdiction <CC>", "AdmitMember: its jurisdiction")
      .option("--roles <list>", "AdmitMember, SetRoles: AGENCY,COURT,PLATFORM,REGISTRY,OPERATOR,GOVERNOR")
      .option("--name <name>", "AdmitMember: its official name (hashed on chain)")
      .option("--key <address>", "AdmitMember, AddKey, RevokeKey: the signing key")
      .option("--valid-from <time>", "AddKey: from when")
      .option("--valid-until <time>", "AddKey: until when")
      .option("--parameter <name>", "SetParameter: e.g. crossproof.assistance.responseWindow")
      .option("--value <n>", "SetParameter: the new value (a whole number: seconds for periods)")
      .option("--quorum <n/d>", "SetGovernanceParameters: the quorum as a fraction, e.g. 2/3")
      .option("--voting-period <seconds>", "SetGovernanceParameters: how long a proposal is open")
      .action(
        action(io, async (ctx, o, kind: string) => {
          const need = (v: unknown, flag: string) => {
            if (v === undefined) throw new CliError("USAGE", `${kind} needs ${flag}`);
            return String(v);
          };
          let p: ProposalParameters;
          switch (kind) {
            case "AdmitMember":
              p = {
                kind,
                jurisdiction: need(o.jurisdiction, "--jurisdiction"),
                roles: list(need(o.roles, "--roles")) as RoleName[],
                name: need(o.name, "--name"),
                key: need(o.key, "--key"),
              };
              break;
            case "SuspendMember":
            case "ReinstateMember":
            case "RemoveMember":
              p = { kind, memberId: memberId(need(o.member, "--member")) };
              break;
            case "SetRoles":
              p = {
                kind,
                memberId: memberId(need(o.member, "--member")),
                roles: list(need(o.roles, "--roles")) as RoleName[],
              };
              break;
            case "AddKey":
              p = {
                kind,
                memberId: memberId(need(o.member, "--member")),
                key: need(o.key, "--key"),
                ...(o.validFrom === undefined ? {} : { validFrom: unixTime(String(o.validFrom), "--valid-from") }),
                ...(o.validUntil === undefined ? {} : { validUntil: unixTime(String(o.validUntil), "--valid-until") }),
              };
              break;
            case "RevokeKey":
              p = { kind, memberId: memberId(need(o.member, "--member")), key: need(o.key, "--key") };
              break;
            case "SetParameter": {
              const value = need(o.value, "--value");
              if (!/^\d+$/.test(value)) throw new CliError("INPUT", `--value: a whole number, not ${value}`);
              p = { kind, name: need(o.parameter, "--parameter"), value: BigInt(value) };
              break;
            }
            case "SetGovernanceParameters": {
              const q = /^(\d+)\/(\d+)$/.exec(need(o.quorum, "--quorum"));
              const period = need(o.votingPeriod, "--voting-period");
              if (q === null) throw new CliError("INPUT", `--quorum: a fraction such as 2/3, not ${String(o.quorum)}`);
              if (!/^\d+$/.test(period)) throw new CliError("INPUT", `--voting-period: seconds, not ${period}`);
              p = {
                kind,
                quorumNumerator: Number(q[1]),
                quorumDenominator: Number(q[2]),
                votingPeriod: Number(period),
              };
              break;
            }
            default:
              throw new CliError(
                "USAGE",
                `the CLI proposes AdmitMember, SuspendMember, ReinstateMember, RemoveMember, SetRoles, AddKey, RevokeKey, SetParameter and SetGovernanceParameters; not ${JSON.stringify(kind)}`,
                "other proposals: use the SDK (ConsortiumClient.signPropose)",
              );
          }
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const r = await ctx.submit(cp.consortium, await cp.consortium.signPropose(me.wallet, p));
          ctx.out.result(
            r,
            fields([
              ["proposal", String(r.proposalId)],
              ["expires", typeof r.expiresAt === "number" ? iso(r.expiresAt) : String(r.expiresAt)],
              ["executed", String(r.executed)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof propose SuspendMember --member 4",
      'crossproof propose AdmitMember --jurisdiction IT --roles AGENCY --name "Polizia Postale" --key 0x…',
      "crossproof propose SetParameter --parameter crossproof.assistance.responseWindow --value 1209600",
      "crossproof propose SetGovernanceParameters --quorum 2/3 --voting-period 604800",
    ],
  );

  examples(
    program
      .command("vote")
      .description("Vote on a governance proposal (GOVERNOR members); the vote that reaches the quorum executes it")
      .argument("<proposalId>", "the proposal")
      .argument("<choice>", "yes or no")
      .action(
        action(io, async (ctx, _o, proposalId: string, choice: string) => {
          if (choice !== "yes" && choice !== "no")
            throw new CliError("USAGE", `vote yes or no, not ${JSON.stringify(choice)}`);
          if (!/^[0-9]+$/.test(proposalId))
            throw new CliError("INPUT", `a proposal id is a whole number, got ${JSON.stringify(proposalId)}`);
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const r = await ctx.submit(
            cp.consortium,
            await cp.consortium.signVote(me.wallet, BigInt(proposalId), choice === "yes"),
          );
          ctx.out.result(
            r,
            fields([
              ["proposal", proposalId],
              ["vote", choice],
              ["executed", String(r.executed)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    ["crossproof vote 7 yes"],
  );
}
