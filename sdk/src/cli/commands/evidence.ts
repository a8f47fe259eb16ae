/** Evidence: package, anchor, batch, custody, share. */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  CustodyEventType,
  EvidenceBatch,
  EvidenceCategory,
  buildManifest,
  caseReferenceHash,
  computeCid,
  registeredRecipientKeys,
  rewrapPackage,
  sealPackage,
  type RecipientPublicKey,
} from "../../index";
import type { Context, Io } from "../context";
import { CliError } from "../exit-codes";
import { fields, iso, table } from "../output";
import { action, bytes32, collect, examples, hashOrText, memberId, progress, unixTime } from "../util";

/** An evidence category by number (0-63) or name (`LIVE_STREAM_RECORDING`). */
export function category(value: string): number {
  if (/^[0-9]{1,2}$/.test(value) && Number(value) < 64) return Number(value);
  const n = (EvidenceCategory as Record<string, number>)[value.toUpperCase().replace(/-/g, "_")];
  if (n === undefined) {
    throw new CliError(
      "INPUT",
      `unknown evidence category ${JSON.stringify(value)}`,
      `give 0-63 or one of ${Object.keys(EvidenceCategory).join(", ")}`,
    );
  }
  return n;
}

/** The case reference hash from --case-ref-hash, or --case with its salt (none: the zero hash). */
export function caseRefFrom(ctx: Context, o: Record<string, unknown>): string {
  if (o.caseRefHash !== undefined) return bytes32(String(o.caseRefHash), "--case-ref-hash");
  if (o.case === undefined) return `0x${"0".repeat(64)}`;
  const salt = (o.caseSalt as string | undefined) ?? ctx.io.env.CROSSPROOF_CASE_SALT;
  if (salt === undefined) throw new CliError("USAGE", "--case needs --case-salt (or CROSSPROOF_CASE_SALT)");
  return caseReferenceHash(String(o.case), bytes32(salt, "--case-salt"));
}

/** The files to package: each file as itself, each folder's files under their relative paths. */
function packageFiles(inputs: readonly string[]): { path: string; source: string; size: number }[] {
  const out: { path: string; source: string; size: number }[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full, `${prefix}${e.name}/`);
      else if (e.isFile()) out.push({ path: `${prefix}${e.name}`, source: full, size: statSync(full).size });
    }
  };
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch (cause) {
      throw new CliError("INPUT", `cannot read ${input}`, "check the path", { cause });
    }
    if (st.isDirectory()) walk(input, "");
    else out.push({ path: path.basename(input), source: input, size: st.size });
  }
  if (out.length === 0) throw new CliError("INPUT", "no file to package", "give files or folders that hold files");
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f.path))
      throw new CliError("INPUT", `two files would be named ${f.path} in the package`, "package them from one folder");
    seen.add(f.path);
  }
  return out;
}

/** Recipients: member ids (their encryption keys valid now, read from the chain) or public key files. */
async function recipients(ctx: Context, given: readonly string[]): Promise<RecipientPublicKey[]> {
  const keys: RecipientPublicKey[] = [];
  for (const r of given) {
    if (/^[0-9]+$/.test(r)) {
      const id = memberId(r, "--recipient");
      const cp = await ctx.chain();
      const live = await cp.consortium.publicKeysOf(id, "Encryption");
      const valid = [];
      for (const k of live) if (await cp.consortium.isValidPublicKey(id, k.keyId, "Encryption")) valid.push(k);
      if (valid.length === 0) {
        throw new CliError(
          "NOT_FOUND",
          `member ${id} has no encryption key valid now`,
          "ask the member to register one, or give a key file",
        );
      }
      keys.push(...valid.map((k) => ({ kid: k.kid, jwk: k.jwk })));
    } else {
      const raw = ctx.readJson<{ kid?: string; jwk?: object; publicKey?: RecipientPublicKey }>(
        r,
        "the recipient key file",
      );
      const key = raw.publicKey ?? (raw.jwk !== undefined ? (raw as RecipientPublicKey) : undefined);
      if (key === undefined || typeof key.kid !== "string") {
        throw new CliError(
          "INPUT",
          `${r} is not a recipient public key ({ kid, jwk })`,
          "use the .pub.json that `crossproof key new --package` writes",
        );
      }
      if ("d" in (key.jwk as object)) throw new CliError("INPUT", `${r} holds a private key: give the public one`);
      keys.push(key);
    }
  }
  return keys;
}

export function evidenceCommands(program: Command, io: Io): void {
  // ---- package --------------------------------------------------------------------------------------------------
  examples(
    program
      .command("package")
      .description(
        "Build an evidence package: manifest (with the acquisition record), hashes, encryption for its recipients, storage; prints the package hash and CID",
      )
      .argument("<files...>", "evidence files or folders (a folder's files keep their relative paths)")
      .requiredOption(
        "--category <category>",
        "evidence category: 0-63 or a name (LIVE_STREAM_RECORDING, VIDEO_CAPTURE, …)",
      )
      .option(
        "--acquisition <file>",
        "the acquisition record as JSON (ISO/IEC 27037 fields, see docs/EVIDENCE-MANIFEST.md); flags below override it",
      )
      .option("--tool <name@version>", "capture tool and version")
      .option("--method <method>", "acquisition method (screen-recording, network-capture, web-archive, download, …)")
      .option("--collector <name>", "who collected it")
      .option("--organisation <name>", "the collector's organisation")
      .option(
        "--collected-at <time>",
        "when it was collected (ISO 8601 or unix seconds; default now, or the chain's time if earlier)",
      )
      .option("--source-url <url>", "where it was collected from")
      .option("--platform <name>", "the platform it was on")
      .option("--account <name>", "the account that published it")
      .option("--collecting <CC>", "collecting jurisdiction (default: your member's)")
      .option("--first-upload <CC>", "where it was first uploaded")
      .option("--primary-dissemination <CC>", "where it was mainly disseminated")
      .option(
        "--recipient <member|keyfile>",
        "who may open it: a member id (its registered encryption keys) or a public key file; repeat",
        collect,
      )
      .option("--manifest-out <file>", "also write the manifest (plaintext JSON) there")
      .action(
        action(io, async (ctx, o, inputs: string[]) => {
          const files = packageFiles(inputs);
          const cat = category(String(o.category));
          const acquisition: Record<string, unknown> =
            o.acquisition === undefined ? {} : ctx.readJson(String(o.acquisition), "the acquisition record");
          const set = (obj: Record<string, unknown>, key: string, value: unknown) => {
            if (value !== undefined) obj[key] = value;
          };
          if (o.tool !== undefined) {
            const [name, version] = String(o.tool).split("@");
            if (!name || !version) throw new CliError("INPUT", `--tool is name@version, got ${String(o.tool)}`);
            acquisition.tool = { ...(acquisition.tool as object), name, version };
          }
          set(acquisition, "method", o.method);
          const collector = { ...(acquisition.collector as object) } as Record<string, unknown>;
          set(collector, "name", o.collector);
          set(collector, "organisation", o.organisation);
          // The chain is read through --rpc and --deployment, or through the gateway (`--gateway` alone).
          const readsChain =
            (ctx.settings.rpc !== undefined && ctx.settings.deployment !== undefined) || ctx.mode === "gateway";
          const collectedAt =
            o.collectedAt === undefined ? undefined : unixTime(String(o.collectedAt), "--collected-at");
          if (collectedAt !== undefined) acquisition.collectedAt = iso(collectedAt);
          else if (acquisition.collectedAt === undefined) {
            // Now; or the chain's time if it is earlier: a contract refuses a collection time after its latest block.
            let now = Math.floor(Date.now() / 1000);
            if (readsChain) {
              now = Math.min(now, await (await ctx.chain()).chainTime());
            }
            acquisition.collectedAt = iso(now);
            ctx.out.note(`collected at: ${String(acquisition.collectedAt)} (no --collected-at given)`);
          }
          const source = { ...(acquisition.source as object) } as Record<string, unknown>;
          set(source, "url", o.sourceUrl);
          set(source, "platform", o.platform);
          set(source, "account", o.account);
          if (Object.keys(source).length > 0) acquisition.source = source;
          const jurisdiction = { ...(acquisition.jurisdiction as object) } as Record<string, unknown>;
          set(jurisdiction, "collecting", o.collecting);
          set(jurisdiction, "firstUpload", o.firstUpload);
          set(jurisdiction, "primaryDissemination", o.primaryDissemination);
          if (jurisdiction.collecting === undefined || collector.memberId === undefined) {
            if (ctx.settings.key !== undefined && readsChain) {
              const me = await ctx.signer();
              jurisdiction.collecting ??= me.jurisdiction;
              collector.memberId ??= Number(me.memberId);
            }
          }
          if (Object.keys(collector).length > 0) acquisition.collector = collector;
          acquisition.jurisdiction = jurisdiction;
          const given = (o.recipient as string[] | undefined) ?? [];
          if (given.length === 0) {
            throw new CliError(
              "USAGE",
              "a package needs at least one recipient",
              "give --recipient <member id | key file> (your own member first)",
            );
          }
          const keys = await recipients(ctx, given);

          const total = files.reduce((n, f) => n + f.size, 0);
          const hashing = progress(ctx, "hashing   ", total);
          const manifest = await buildManifest({
            files: files.map(({ path: p, source }) => ({ path: p, source })),
            category: cat,
            acquisition: acquisition as never,
            onProgress: (n) => hashing.update(n),
          }).finally(() => hashing.stop());
          const store = await ctx.storeOrTemporary();
          const sealing = progress(ctx, "encrypting", total);
          const sealed = await sealPackage({
            manifest,
            files: files.map(({ path: p, source }) => ({ path: p, source })),
            recipients: keys,
            store,
            onProgress: (n) => sealing.update(n),
          }).finally(() => sealing.stop());
          let uploaded = false;
          if (ctx.mode === "gateway") {
            await ctx.uploadPackage(store, sealed.cid);
            uploaded = true;
          }
          if (o.manifestOut !== undefined)
            await ctx.writeFile(String(o.manifestOut), `${JSON.stringify(sealed.manifest, null, 2)}\n`);
          const m = sealed.manifest as { acquisition: { collectedAt: string; jurisdiction?: Record<string, string> } };
          const result = {
            contentHash: sealed.contentHash,
            cid: sealed.cid,
            category: cat,
            collectedAt: m.acquisition.collectedAt,
            firstUpload: m.acquisition.jurisdiction?.firstUpload ?? null,
            primaryDissemination: m.acquisition.jurisdiction?.primaryDissemination ?? null,
            files: sealed.manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
            recipients: sealed.recipients,
            storedIn: uploaded ? "gateway" : ctx.settings.store === undefined ? "nowhere" : ctx.settings.store,
          };
          if (ctx.mode === "direct" && ctx.settings.store === undefined) {
            ctx.out.note("warning: no --store: the package was encrypted into a temporary store and not kept");
          }
          ctx.out.result(result, [
            fields([
              ["package hash", result.contentHash],
              ["CID", result.cid],
              ["files", String(result.files.length)],
              ["recipients", result.recipients.join(", ")],
              ["stored in", result.storedIn],
            ]),
          ]);
        }),
      ),
    [
      'crossproof package capture.webm --category LIVE_STREAM_RECORDING --tool "obs@30.1" --method screen-recording \\\n      --collector "Officer Martin" --source-url https://streams.example/live/42 --recipient 1 --recipient 2 --store ./content',
      "crossproof package ./seized-folder --category FORENSIC_IMAGE --acquisition acquisition.json --recipient 1 --json > package.json",
    ],
  );

  // ---- anchor ---------------------------------------------------------------------------------------------------
  examples(
    program
      .command("anchor")
      .description("Anchor an evidence package on chain (its hash and CID); prints the record id")
      .option("--package <file>", "the --json output of `crossproof package` (hash, CID, category, times)")
      .option("--hash <contentHash>", "the package hash (SHA-256 of the canonical manifest)")
      .option("--cid <cid>", "the encrypted package's CID")
      .option("--category <category>", "evidence category (0-63 or name)")
      .option("--collected-at <time>", "collection time as in the manifest (ISO 8601 or unix seconds)")
      .option("--first-upload <CC>", "where it was first uploaded")
      .option("--primary-dissemination <CC>", "where it was mainly disseminated")
      .option("--case <reference>", "case reference (hashed with --case-salt; never on chain in clear)")
      .option("--case-salt <hex>", "32-byte salt of the case reference hash (env CROSSPROOF_CASE_SALT)")
      .option("--case-ref-hash <hash>", "the case reference hash itself")
      .option("--supersedes <recordId>", "your earlier record this one replaces")
      .action(
        action(io, async (ctx, o) => {
          const pkg = o.package === undefined ? {} : ctx.readJson(String(o.package), "the package file");
          const need = (v: unknown, flag: string): string => {
            if (v === undefined || v === null)
              throw new CliError("USAGE", `missing ${flag}`, "give it, or --package <package.json>");
            return String(v);
          };
          const contentHash = bytes32(need(o.hash ?? pkg.contentHash, "--hash"), "--hash");
          const cid = need(o.cid ?? pkg.cid, "--cid");
          const cat = category(need(o.category ?? pkg.category, "--category"));
          const collectedAt = unixTime(need(o.collectedAt ?? pkg.collectedAt, "--collected-at"), "--collected-at");
          const caseRef = caseRefFrom(ctx, o);
          const firstUpload = (o.firstUpload ?? pkg.firstUpload ?? undefined) as string | undefined;
          const primary = (o.primaryDissemination ?? pkg.primaryDissemination ?? undefined) as string | undefined;
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const signed = await cp.evidence.signAnchorEvidence(me.wallet, {
            contentHash,
            packageCid: cid,
            category: cat,
            ...(firstUpload === undefined || firstUpload === null ? {} : { firstUpload }),
            ...(primary === undefined || primary === null ? {} : { primaryDissemination: primary }),
            caseRef,
            collectedAt,
            ...(o.supersedes === undefined ? {} : { supersedes: bytes32(String(o.supersedes), "--supersedes") }),
          });
          const r = await ctx.submit(cp.evidence, signed);
          ctx.out.result(
            { ...r, packageCid: cid, category: cat },
            fields([
              ["record", String(r.recordId)],
              ["package hash", String(r.contentHash)],
              ["member", String(r.memberId)],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof anchor --package package.json --case FR-2026-0042 --case-salt 0x…",
      "crossproof anchor --hash 0x… --cid bafy… --category 3 --collected-at 2026-05-01T10:00:00Z --first-upload US",
    ],
  );

  // ---- batch ----------------------------------------------------------------------------------------------------
  examples(
    program
      .command("batch")
      .description("Anchor many package hashes under one Merkle root; writes each hash's inclusion proof to a file")
      .argument("[hashes...]", "package hashes (0x…)")
      .option("--from <file>", "a file of package hashes, one per line (- for stdin)")
      .requiredOption("--category <category>", "evidence category of the batch (0-63 or name)")
      .requiredOption("--proofs <folder>", "where to write the proofs (<hash>.json each) and the batch (batch.json)")
      .action(
        action(io, async (ctx, o, given: string[]) => {
          const hashes = [...given];
          if (o.from !== undefined)
            hashes.push(
              ...ctx
                .readText(String(o.from), "the hash list")
                .split(/\s+/)
                .filter((s) => s !== ""),
            );
          if (hashes.length === 0) throw new CliError("USAGE", "no package hash", "give hashes or --from <file>");
          const records = hashes.map((h, i) => bytes32(h, `hash #${i + 1}`));
          if (new Set(records).size !== records.length) throw new CliError("INPUT", "a package hash is given twice");
          const batch = EvidenceBatch.build(records);
          const dump = `${JSON.stringify(batch.dump(), null, 2)}\n`;
          const bytes = new TextEncoder().encode(dump);
          const manifestCid =
            ctx.settings.store === undefined ? await computeCid(bytes) : await (await ctx.store()).put(bytes);
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const signed = await cp.evidence.signAnchorBatch(me.wallet, {
            batch,
            manifestCid,
            category: category(String(o.category)),
          });
          const r = await ctx.submit(cp.evidence, signed);
          const dir = String(o.proofs);
          await ctx.writeFile(path.join(dir, "batch.json"), dump);
          const proofs: string[] = [];
          for (const h of records) {
            const file = path.join(dir, `${h}.json`);
            await ctx.writeFile(
              file,
              `${JSON.stringify({ format: "crossproof.batch-proof/1", batchId: r.batchId, root: batch.root, contentHash: h, proof: batch.proof(h) }, null, 2)}\n`,
            );
            proofs.push(file);
          }
          ctx.out.result(
            { ...r, count: batch.count, manifestCid, proofs },
            fields([
              ["batch", String(r.batchId)],
              ["root", batch.root],
              ["records", String(batch.count)],
              ["proofs in", dir],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof batch --from hashes.txt --category WEB_PAGE_CAPTURE --proofs ./proofs",
      "crossproof verify 0x… --proof ./proofs/0x….json",
    ],
  );

  // ---- custody --------------------------------------------------------------------------------------------------
  const custody = program
    .command("custody")
    .description("Chain of custody: transfers, receipts, other events, and the chain");
  const recordCustody = async (
    ctx: Context,
    recordId: string,
    eventType: string,
    counterparty: bigint | undefined,
    detailsHash: string | undefined,
  ) => {
    const me = await ctx.signer();
    const cp = await ctx.chain();
    const signed = await cp.evidence.signCustody(me.wallet, {
      recordId: bytes32(recordId, "the record id"),
      eventType: eventType as never,
      ...(counterparty === undefined ? {} : { counterparty }),
      ...(detailsHash === undefined ? {} : { detailsHash }),
    });
    const r = await ctx.submit(cp.evidence, signed);
    ctx.out.result(
      r,
      fields([
        ["record", String(r.recordId)],
        ["event", `#${String(r.sequence)} ${String(r.eventType)}`],
        ["by member", String(r.actor)],
        ["transaction", String(r.transactionHash)],
      ]),
    );
  };
  examples(
    custody
      .command("transfer")
      .description("Hand the evidence to another member (complete once it records `custody receive`)")
      .argument("<recordId>", "the evidence record")
      .requiredOption("--to <member>", "the receiving member's id")
      .option("--details <text|hash>", "what was handed over, how (hashed; the text stays with you)")
      .action(
        action(io, (ctx, o, recordId: string) =>
          recordCustody(
            ctx,
            recordId,
            "Transferred",
            memberId(String(o.to), "--to"),
            o.details === undefined ? undefined : hashOrText(String(o.details)),
          ),
        ),
      ),
    ["crossproof custody transfer 0x<record> --to 2"],
  );
  examples(
    custody
      .command("receive")
      .description("Acknowledge a transfer to your member")
      .argument("<recordId>", "the evidence record")
      .requiredOption("--from <member>", "the member that transferred it")
      .option("--details <text|hash>", "condition on receipt (hashed)")
      .action(
        action(io, (ctx, o, recordId: string) =>
          recordCustody(
            ctx,
            recordId,
            "Received",
            memberId(String(o.from), "--from"),
            o.details === undefined ? undefined : hashOrText(String(o.details)),
          ),
        ),
      ),
    ["crossproof custody receive 0x<record> --from 1"],
  );
  examples(
    custody
      .command("event")
      .description(
        "Record another custody event (Collected, Sealed, HashVerified, Accessed, Analyzed, Disclosed, Returned, …)",
      )
      .argument("<recordId>", "the evidence record")
      .requiredOption("--type <type>", "the event type, as the contract names it (Sealed, Analyzed, Disclosed…)")
      .option("--counterparty <member>", "the other member, if any")
      .option("--details <text|hash>", "the event's details (hashed)")
      .action(
        action(io, (ctx, o, recordId: string) =>
          recordCustody(
            ctx,
            recordId,
            String(o.type),
            o.counterparty === undefined ? undefined : memberId(String(o.counterparty), "--counterparty"),
            o.details === undefined ? undefined : hashOrText(String(o.details)),
          ),
        ),
      ),
    ['crossproof custody event 0x<record> --type Sealed --details "bag 7731, seal 0042"'],
  );
  examples(
    custody
      .command("show")
      .description("The record's chain of custody and whether it is complete")
      .argument("<recordId>", "the evidence record")
      .action(
        action(io, async (ctx, _o, recordId: string) => {
          const id = bytes32(recordId, "the record id");
          let events: {
            sequence: number;
            eventType: string;
            actor: string;
            counterparty: string;
            occurredAt: string | null;
          }[];
          let status: string;
          if (ctx.mode === "gateway") {
            const r = await ctx.http<{ events: Record<string, unknown>[]; verification: { status: string } }>(
              "GET",
              `/v1/evidence/${id}/custody`,
            );
            events = r.events.map((e) => ({
              sequence: Number(e.sequence),
              eventType: String(e.eventType),
              actor: String(e.actor),
              counterparty: e.counterparty === null ? "0" : String(e.counterparty),
              occurredAt: typeof e.occurredAt === "string" ? e.occurredAt : iso(Number(e.occurredAt)),
            }));
            status = r.verification.status;
          } else {
            const cp = await ctx.chain();
            const c = await cp.evidence.custodyChain(id);
            const names = Object.keys(CustodyEventType);
            events = c.events.map((e) => ({
              sequence: e.sequence,
              eventType: names[e.eventType] ?? String(e.eventType),
              actor: e.actor.toString(),
              counterparty: e.counterparty.toString(),
              occurredAt: iso(e.occurredAt),
            }));
            status = c.verification.status;
          }
          ctx.out.result({ recordId: id, status, events }, [
            `custody: ${status}`,
            table(
              ["#", "event", "by", "counterparty", "at"],
              events.map((e) => [
                String(e.sequence),
                e.eventType,
                e.actor,
                e.counterparty === "0" ? "-" : e.counterparty,
                e.occurredAt ?? "-",
              ]),
            ),
          ]);
        }),
      ),
    ["crossproof custody show 0x<record> --json"],
  );

  // ---- share ----------------------------------------------------------------------------------------------------
  examples(
    program
      .command("share")
      .description(
        "Give another member access to a package: re-wrap its envelope for the member's encryption keys (same hash, new CID) and record it on chain",
      )
      .argument("<recordId>", "the evidence record")
      .requiredOption("--with <member>", "the member to share it with")
      .requiredOption("--package-key <file>", "your package key file (one of the package's current recipients)")
      // Through a gateway without --store, the package is fetched from the gateway (GET /v1/packages/{cid}).
      .option("--cid <cid>", "the package to re-wrap (default: the anchored one)")
      .action(
        action(io, async (ctx, o, recordId: string) => {
          const id = bytes32(recordId, "the record id");
          const recipient = memberId(String(o.with), "--with");
          const me = await ctx.signer();
          const cp = await ctx.chain();
          const record = await cp.evidence.getEvidence(id);
          if (record === undefined) throw new CliError("NOT_FOUND", `no evidence record ${id}`);
          const holderKey = await ctx.packageKey(String(o.packageKey));
          const keys = await recipients(ctx, [recipient.toString()]);
          const cid = (o.cid as string | undefined) ?? record.packageCid;
          // Gateway mode without a local store: the package (ciphertext) is fetched from the gateway, which hands it
          // only to a member among its recipients, into a temporary store; its CID is checked on arrival.
          let store;
          if (ctx.mode === "gateway" && ctx.settings.store === undefined) {
            store = await ctx.storeOrTemporary();
            await (await ctx.gateway()).downloadPackage(cid, store);
          } else store = await ctx.store();
          const rewrapped = await rewrapPackage({
            cid,
            store,
            holderKey,
            recipients: keys,
            currentRecipients: registeredRecipientKeys(cp.consortium),
            expectedContentHash: record.contentHash,
          });
          if (ctx.mode === "gateway") await ctx.uploadPackage(store, rewrapped.cid);
          const signed = await cp.evidence.signAddRecipient(me.wallet, {
            recordId: id,
            recipient,
            packageCid: rewrapped.cid,
          });
          const r = await ctx.submit(cp.evidence, signed);
          ctx.out.result(
            { ...r, cid: rewrapped.cid, contentHash: rewrapped.contentHash, recipient, recipientKeys: rewrapped.added },
            fields([
              ["shared with", `member ${recipient}`],
              ["new CID", rewrapped.cid],
              ["package hash", rewrapped.contentHash],
              ["transaction", String(r.transactionHash)],
            ]),
          );
        }),
      ),
    [
      "crossproof share 0x<record> --with 2 --package-key fr-agency.package-key --store ./content",
      "crossproof share 0x<record> --with 2 --package-key fr-agency.package-key --gateway https://gw.example   # fetched from the gateway",
    ],
  );
}
