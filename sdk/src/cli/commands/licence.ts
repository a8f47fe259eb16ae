/** Works and licences: register, grant, revoke, verify an authorisation, show a licence chain. */
import type { Command } from "commander";
import { type LicenceView, type RightName } from "../../index";
import type { Context, Io } from "../context";
import { CliError, ExitCode } from "../exit-codes";
import { fields, iso, table } from "../output";
import { action, bytes32, examples, hashOrText, list, unixTime } from "../util";
import { licenceUploadCommands } from "./licence-uploads";

/** A licence as the CLI prints it in --json (the gateway's shape: times ISO 8601, null when absent). */
interface LicenceJson {
  licenceId: string;
  workId: string;
  parentId: string | null;
  licensor: string;
  licensee: string;
  rights: string[];
  grantType: string;
  sublicensable: boolean;
  start: string | null;
  end: string | null;
  worldwide: boolean;
  territories: string[];
  revokedAt: string | null;
}

const ZERO = `0x${"0".repeat(64)}`;

function licenceJson(l: LicenceView): LicenceJson {
  return {
    licenceId: l.licenceId,
    workId: l.workId,
    parentId: l.parentId === ZERO ? null : l.parentId,
    licensor: l.licensor,
    licensee: l.licensee,
    rights: l.rights,
    grantType: l.grantType,
    sublicensable: l.sublicensable,
    start: iso(l.start),
    end: iso(l.end),
    worldwide: l.worldwide,
    territories: l.territories,
    revokedAt: iso(l.revokedAt),
  };
}

/** From the rights holder's grant down to `licenceId`, read from the chain. */
async function chainOf(ctx: Context, licenceId: string): Promise<LicenceJson[]> {
  const cp = await ctx.chain();
  const out: LicenceJson[] = [];
  let id: string | undefined = licenceId;
  while (id !== undefined) {
    const l = await cp.licenses.getLicence(id);
    if (l === undefined) throw new CliError("NOT_FOUND", `no licence ${id}`);
    out.unshift(licenceJson(l));
    id = l.parentId === ZERO ? undefined : l.parentId;
  }
  return out;
}

export function licenceCommands(program: Command, io: Io): void {
  const licence = program.command("licence").alias("license").description("Works and licence chains");

  examples(
    licence
      .command("register")
      .description("Register a work (its reference copy's hash) with its rights holder — your key's account")
      .requiredOption("--content-hash <hash>", "SHA-256 of the work's reference copy (0x…)")
      .requiredOption("--origin <CC>", "the work's origin jurisdiction")
      .requiredOption("--metadata-cid <cid>", "CID of the work's metadata")
      .option("--fingerprint-hash <hash>", "hash of a perceptual fingerprint")
      .action(
        action(io, async (ctx, o) => {
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signRegisterWork(wallet, {
            contentHash: bytes32(String(o.contentHash), "--content-hash"),
            rightsHolder: wallet.address,
            originJurisdiction: String(o.origin),
            metadataCid: String(o.metadataCid),
            ...(o.fingerprintHash === undefined
              ? {}
              : { fingerprintHash: bytes32(String(o.fingerprintHash), "--fingerprint-hash") }),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(
            r,
            fields([
              ["work", String(r.workId)],
              ["rights holder", wallet.address],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    ["crossproof licence register --content-hash 0x… --origin ES --metadata-cid bafy…"],
  );

  examples(
    licence
      .command("grant")
      .description("Grant a licence on a work you hold, or a sublicence under a licence you hold")
      .requiredOption("--work <workId>", "the work")
      .option("--parent <licenceId>", "the licence this one is granted under (a sublicence)")
      .requiredOption("--licensee <address>", "who receives it")
      .requiredOption(
        "--rights <list>",
        "REPRODUCE, DISTRIBUTE, MAKE_AVAILABLE, PERFORM, BROADCAST, ADAPT (comma-separated)",
      )
      .option("--territories <list>", "ISO codes or groups (FR,DE or EU)")
      .option("--worldwide", "the whole world")
      .requiredOption("--end <time>", "when it ends (ISO 8601 or unix seconds)")
      .option("--start <time>", "when it starts (default: the grant's block)")
      .option("--grant-type <type>", "NonExclusive (default), Sole or Exclusive")
      .option("--sublicensable", "the licensee may sublicense")
      .action(
        action(io, async (ctx, o) => {
          if (o.territories === undefined && o.worldwide !== true)
            throw new CliError("USAGE", "give --territories or --worldwide");
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signGrant(wallet, {
            workId: bytes32(String(o.work), "--work"),
            ...(o.parent === undefined ? {} : { parentId: bytes32(String(o.parent), "--parent") }),
            licensee: String(o.licensee),
            rights: list(String(o.rights)).map((r) => r.toUpperCase()) as RightName[],
            ...(o.territories === undefined
              ? {}
              : { territories: list(String(o.territories)).map((t) => t.toUpperCase()) }),
            ...(o.worldwide === true ? { worldwide: true } : {}),
            end: unixTime(String(o.end), "--end"),
            ...(o.start === undefined ? {} : { start: unixTime(String(o.start), "--start") }),
            ...(o.grantType === undefined ? {} : { grantType: String(o.grantType) as never }),
            ...(o.sublicensable === true ? { sublicensable: true } : {}),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(
            r,
            fields([
              ["licence", String(r.licenceId)],
              ["licensee", String(o.licensee)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof licence grant --work 0x… --licensee 0xLabel… --rights BROADCAST,MAKE_AVAILABLE --territories EU --end 2027-06-30T00:00:00Z --sublicensable",
      "crossproof licence grant --work 0x… --parent 0x<licence> --licensee 0xPlatform… --rights BROADCAST --territories FR,DE --end 2027-01-01",
    ],
  );

  examples(
    licence
      .command("revoke")
      .description("Revoke a licence you granted (everything below it falls with it)")
      .argument("<licenceId>", "the licence")
      .requiredOption("--reason <text|hash>", "why (hashed; the text stays with you)")
      .action(
        action(io, async (ctx, o, licenceId: string) => {
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signRevoke(wallet, {
            licenceId: bytes32(licenceId, "the licence id"),
            reasonHash: hashOrText(String(o.reason)),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(
            r,
            fields([
              ["revoked", String(r.licenceId)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    ['crossproof licence revoke 0x<licence> --reason "unpaid royalties, notice of 2026-04-02"'],
  );

  examples(
    licence
      .command("verify")
      .description(
        "Was the licensee authorised to exercise a right in a territory at a time? Walks the chain (exit code 1 if not)",
      )
      .argument("<licenceId>", "the licence")
      .requiredOption("--right <right>", "BROADCAST, MAKE_AVAILABLE, …")
      .requiredOption("--territory <CC>", "where")
      .option("--at <time>", "when (default now)")
      .action(
        action(io, async (ctx, o, licenceId: string) => {
          const id = bytes32(licenceId, "the licence id");
          const right = String(o.right).toUpperCase() as RightName;
          const territory = String(o.territory).toUpperCase();
          let answer: { authorized: boolean; reason: string; failedAt: string | null; summary: string };
          if (ctx.mode === "gateway") {
            const at =
              o.at === undefined
                ? ""
                : `&at=${encodeURIComponent(new Date(unixTime(String(o.at), "--at") * 1000).toISOString())}`;
            const r = await ctx.http<{
              authorized: boolean;
              reason: string;
              failedAt?: string | null;
              summary: string;
            }>("GET", `/v1/licences/${id}/authorization?right=${right}&territory=${territory}${at}`);
            answer = { authorized: r.authorized, reason: r.reason, failedAt: r.failedAt ?? null, summary: r.summary };
          } else {
            const cp = await ctx.chain();
            const at = o.at === undefined ? await cp.chainTime() : unixTime(String(o.at), "--at");
            const e = await cp.licenses.explainAuthorization(id, right, territory, at);
            answer = { authorized: e.authorized, reason: e.reason, failedAt: e.failedAt ?? null, summary: e.summary };
          }
          ctx.out.result({ licenceId: id, right, territory, ...answer }, [
            `${answer.authorized ? "AUTHORIZED" : "NOT AUTHORIZED"} (${answer.reason})`,
            answer.summary,
          ]);
          if (!answer.authorized) process.exitCode = ExitCode.VERIFICATION_FAILED;
        }),
      ),
    [
      "crossproof licence verify 0x<licence> --right BROADCAST --territory FR",
      "crossproof licence verify 0x<licence> --right BROADCAST --territory US --at 2026-06-01T20:00:00Z",
    ],
  );

  examples(
    licence
      .command("chain")
      .description("The licence and every licence above it, from the rights holder's grant down")
      .argument("<licenceId>", "the licence")
      .action(
        action(io, async (ctx, _o, licenceId: string) => {
          const id = bytes32(licenceId, "the licence id");
          const chain = await chainOf(ctx, id);
          ctx.out.result({ licenceId: id, chain }, () =>
            table(
              ["depth", "licence", "licensor", "licensee", "rights", "territories", "ends", "revoked"],
              chain.map((l, i) => [
                String(i),
                `${l.licenceId.slice(0, 10)}…`,
                l.licensor,
                l.licensee,
                l.rights.join(","),
                l.worldwide ? "world" : l.territories.join(","),
                l.end ?? "-",
                l.revokedAt ?? "-",
              ]),
            ),
          );
        }),
      ),
    ["crossproof licence chain 0x<licence>"],
  );
  examples(
    licence
      .command("dispute")
      .description(
        "A REGISTRY member files a dispute over who holds a work (from its registration, or from a later holding); governance resolves it (a ResolveWorkDispute proposal)",
      )
      .argument("<workId>", "the work")
      .requiredOption("--claimant <address>", "who claims to hold it")
      .requiredOption("--evidence <text|hash>", "what the claim rests on (hashed; keep the file)")
      .option(
        "--from-holding <n>",
        "index in the work's holder history of the first contested holding (0: the registration)",
      )
      .action(
        action(io, async (ctx, o, workId: string) => {
          const fromHolding = o.fromHolding === undefined ? 0 : String(o.fromHolding);
          if (typeof fromHolding === "string" && !/^\d{1,9}$/.test(fromHolding)) {
            throw new CliError("INPUT", `--from-holding is a whole number, not ${JSON.stringify(fromHolding)}`);
          }
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const evidenceHash = hashOrText(String(o.evidence));
          const signed = await cp.licenses.signFileDispute(me.wallet, {
            workId: bytes32(workId, "the work id"),
            claimant: String(o.claimant),
            fromHolding: Number(fromHolding),
            evidenceHash,
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result(
            { ...r, filedBy: me.memberId, fromHolding: Number(fromHolding), evidenceHash },
            fields([
              ["dispute", String(r.disputeId)],
              ["work", String(r.workId)],
              ["claimant", String(r.claimant)],
              ["filed by", `member ${me.memberId}`],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      'crossproof licence dispute 0x<work> --claimant 0xClaimant… --evidence "deposit certificate 2019-0412"',
      "crossproof licence dispute 0x<work> --claimant 0xClaimant… --evidence 0x<hash> --from-holding 2",
    ],
  );

  licenceUploadCommands(licence, io);
}
