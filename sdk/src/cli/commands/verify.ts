/** Verification: `verify` (a file, folder, CID or hash) and `report verify` (a signed report). */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  PACKAGE_ENVELOPE_PATH,
  TimePolicies,
  reportDigest,
  verifyReport,
  type EvidenceInput,
  type GatewaySignedReport,
  type GatewayVerificationOptions,
  type TimePolicy,
  type VerificationReport,
} from "../../index";
import type { Context, Io } from "../context";
import { CliError, ExitCode } from "../exit-codes";
import { fields, reportTable } from "../output";
import { BYTES32, action, bytes32, examples, memberId } from "../util";

/** What the target names: a content hash, a package CID, a package folder, files with their manifest. */
type Target =
  | { kind: "hash"; contentHash: string }
  | { kind: "cid"; cid: string }
  | { kind: "package-folder"; folder: string }
  | { kind: "manifest"; manifest: string; files: { path: string; source: string }[] };

function readManifest(file: string): { text: string; files: { path: string }[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new CliError("INPUT", `cannot read the manifest ${file}`, "give --manifest <manifest.json>", { cause });
  }
  let parsed: { files?: { path: string }[] };
  try {
    parsed = JSON.parse(text) as { files?: { path: string }[] };
  } catch (cause) {
    throw new CliError("INPUT", `${file} is not JSON`, "give the package's manifest (`package --manifest-out`)", {
      cause,
    });
  }
  return { text, files: Array.isArray(parsed.files) ? parsed.files : [] };
}

function target(value: string, manifestFlag: string | undefined): Target {
  if (BYTES32.test(value)) return { kind: "hash", contentHash: value.toLowerCase() };
  if (!existsSync(value)) {
    if (/^(b[a-z2-7]{20,}|Qm[1-9A-HJ-NP-Za-km-z]{44})$/.test(value)) return { kind: "cid", cid: value };
    throw new CliError("INPUT", `${value} is not a file, folder, CID or 0x-hash`, "check the argument");
  }
  const st = statSync(value);
  if (st.isDirectory()) {
    if (existsSync(path.join(value, "envelope.jwe.json"))) return { kind: "package-folder", folder: value };
    const manifestFile = manifestFlag ?? path.join(value, "manifest.json");
    const m = readManifest(manifestFile);
    const files = m.files
      .map((f) => ({ path: f.path, source: path.join(value, ...f.path.split("/")) }))
      .filter((f) => existsSync(f.source));
    return { kind: "manifest", manifest: m.text, files };
  }
  if (manifestFlag !== undefined) {
    const m = readManifest(manifestFlag);
    const base = path.basename(value).normalize("NFC");
    const listed = m.files.find((f) => f.path === base || f.path.endsWith(`/${base}`));
    return { kind: "manifest", manifest: m.text, files: [{ path: listed?.path ?? base, source: value }] };
  }
  // A single file without --manifest: the manifest itself?
  try {
    const parsed = JSON.parse(readFileSync(value, "utf8")) as { files?: unknown; acquisition?: unknown };
    if (Array.isArray(parsed.files) && parsed.acquisition !== undefined) {
      return { kind: "manifest", manifest: readFileSync(value, "utf8"), files: [] };
    }
  } catch {
    // not JSON: an evidence file
  }
  throw new CliError(
    "USAGE",
    `${value} is an evidence file: the chain holds manifest hashes, so a loose file is verified with its manifest`,
    "give --manifest <manifest.json> (or verify the package hash, CID or folder)",
  );
}

/**
 * The parts of a local copy of an encrypted package (`envelope.jwe.json`, `files/0`, `files/1`, … numbered from 0
 * without gaps, nothing else): what `ipfs get <cid>` writes, or a copy handed over on a disk.
 */
export function packageFolderParts(folder: string): string[] {
  const parts = [PACKAGE_ENVELOPE_PATH];
  const filesDir = path.join(folder, "files");
  const names = existsSync(filesDir) && statSync(filesDir).isDirectory() ? readdirSync(filesDir) : [];
  for (let i = 0; i < names.length; i++) {
    if (!names.includes(String(i))) {
      throw new CliError(
        "INPUT",
        `${folder} is not a package folder: files/${i} is missing (files/0, files/1, … without gaps)`,
      );
    }
    parts.push(`files/${i}`);
  }
  if (parts.length === 1) throw new CliError("INPUT", `${folder} is not a package folder: it has no files/0`);
  return parts;
}

/**
 * Gateway mode, a local encrypted package folder: imported into a temporary content store (the CID Kubo would give),
 * uploaded to the gateway (`POST /v1/packages`, which recomputes the CID and refuses another), and verified there by
 * that CID. A copy altered in any byte has another CID, which no anchor or custody event names.
 */
async function uploadFolder(ctx: Context, folder: string): Promise<string> {
  const store = await ctx.storeOrTemporary();
  const cid = await store.putDirectory(
    packageFolderParts(folder).map((p) => ({ path: p, content: createReadStream(path.join(folder, ...p.split("/"))) })),
  );
  await ctx.uploadPackage(store, cid);
  return cid;
}

interface BatchProofFile {
  batchId?: string;
  proof?: string[];
}

export function verifyCommands(program: Command, io: Io): void {
  examples(
    program
      .command("verify")
      .description(
        "Verify evidence — a file (with --manifest), a folder, a package CID or a package hash — and print the report; exit code 0 only if the indication is TOTAL-PASSED",
      )
      .argument(
        "<target>",
        "a file, a folder (evidence files + manifest.json, or an encrypted package), a CID or a 0x package hash",
      )
      .option("--manifest <file>", "the package manifest (for a loose file, or a folder without manifest.json)")
      .option("--proof <file>", "a batch inclusion proof written by `crossproof batch`")
      .option("--anchored-by <member>", "only the anchor of this member")
      .option(
        "--time-policy <policy>",
        `when the recognition agreement must have been in force: ${TimePolicies.join(", ")}`,
      )
      .option("--confirmations <n>", "blocks an anchor needs to count as final")
      .option(
        "--package-key <file>",
        "direct mode, CID or package folder: your package key file, to open the package (a gateway opens it with its member's key)",
      )
      .option("--jurisdiction <CC>", "direct mode without a key: the verifying jurisdiction")
      .option("--out <file>", "where to save the report (gateway: the signed JWS; default crossproof-report-<id>.jws)")
      .action(
        action(io, async (ctx, o, value: string) => {
          const t = target(value, o.manifest as string | undefined);
          const options: GatewayVerificationOptions = {};
          if (o.anchoredBy !== undefined) options.anchoredBy = memberId(String(o.anchoredBy), "--anchored-by");
          if (o.timePolicy !== undefined) {
            if (!(TimePolicies as readonly string[]).includes(String(o.timePolicy))) {
              throw new CliError("USAGE", `--time-policy is one of ${TimePolicies.join(", ")}`);
            }
            options.timePolicy = o.timePolicy as TimePolicy;
          }
          if (o.confirmations !== undefined) options.confirmations = Number(o.confirmations);
          if (o.proof !== undefined) {
            const p = ctx.readJson<BatchProofFile>(String(o.proof), "the proof file");
            if (typeof p.batchId !== "string" || !Array.isArray(p.proof)) {
              throw new CliError(
                "INPUT",
                `${String(o.proof)} is not a batch proof`,
                "use a proof file `crossproof batch` wrote",
              );
            }
            options.batch = {
              batchId: bytes32(p.batchId, "the proof's batchId"),
              proof: p.proof.map((h) => bytes32(h, "a proof node")),
            };
          }

          let report: VerificationReport;
          let jws: string | undefined;
          if (ctx.mode === "gateway") {
            const gw = await ctx.gateway();
            let signed: GatewaySignedReport;
            if (t.kind === "hash") signed = await gw.verify({ contentHash: t.contentHash }, options);
            else if (t.kind === "cid") signed = await gw.verify({ packageCid: t.cid }, options);
            else if (t.kind === "manifest")
              signed = await gw.verifyUpload({ manifest: t.manifest, files: t.files }, options);
            else signed = await gw.verify({ packageCid: await uploadFolder(ctx, t.folder) }, options);
            report = signed.report;
            jws = signed.jws;
          } else {
            const cp = await ctx.chain();
            let evidence: EvidenceInput;
            if (t.kind === "hash") evidence = { contentHash: t.contentHash };
            else if (t.kind === "manifest") evidence = { manifest: t.manifest, files: t.files };
            else {
              if (o.packageKey === undefined)
                throw new CliError("USAGE", "opening a package needs --package-key <file>");
              const recipientKey = await ctx.packageKey(String(o.packageKey));
              const outputDir = ctx.plaintextDir();
              evidence =
                t.kind === "cid"
                  ? { package: { cid: t.cid, store: await ctx.store() }, recipientKey, outputDir }
                  : { package: { folder: t.folder }, recipientKey, outputDir };
            }
            let verifier: { memberId: bigint } | { jurisdiction: string };
            if (ctx.settings.key !== undefined) verifier = { memberId: (await ctx.signer()).memberId };
            else if (o.jurisdiction !== undefined) verifier = { jurisdiction: String(o.jurisdiction) };
            else throw new CliError("USAGE", "who verifies? give --key (your member) or --jurisdiction <CC>");
            report = await cp.verify({
              evidence,
              verifier,
              ...(options.anchoredBy === undefined ? {} : { anchoredBy: options.anchoredBy }),
              ...(options.batch === undefined ? {} : { batch: options.batch }),
              ...(options.timePolicy === undefined ? {} : { timePolicy: options.timePolicy }),
              ...(options.confirmations === undefined ? {} : { confirmations: options.confirmations }),
            });
          }
          let savedTo: string | undefined;
          if (jws !== undefined || o.out !== undefined) {
            savedTo = String(o.out ?? `crossproof-report-${report.reportId}.${jws === undefined ? "json" : "jws"}`);
            await ctx.writeFile(savedTo, jws === undefined ? `${JSON.stringify(report, null, 2)}\n` : `${jws}\n`);
          }
          ctx.out.result(
            {
              indication: report.indication,
              signed: jws !== undefined,
              savedTo: savedTo ?? null,
              ...(jws === undefined ? {} : { reportHash: reportDigest(jws) }),
              report,
            },
            () => [
              reportTable(report),
              ...(savedTo === undefined
                ? []
                : [
                    "",
                    `${jws === undefined ? "report (unsigned: verified locally)" : "signed report"} saved to ${savedTo}`,
                  ]),
            ],
          );
          if (report.indication !== "TOTAL-PASSED") process.exitCode = ExitCode.VERIFICATION_FAILED;
        }),
      ),
    [
      "crossproof verify 0x<package hash>",
      "crossproof verify bafy<package cid> --out court-report.jws",
      "crossproof verify ./evidence-folder            # evidence files and their manifest.json",
      "crossproof verify capture.webm --manifest manifest.json --anchored-by 1",
      "crossproof verify 0x<package hash> --proof ./proofs/0x<hash>.json",
      "crossproof verify ./package-copy               # an encrypted package folder (envelope.jwe.json, files/0, …)",
    ],
  );

  const report = program.command("report").description("Signed verification reports");
  examples(
    report
      .command("verify")
      .description(
        "Check a signed report: its signature, and that its key was the issuer's report key at signing time (exit code 1 if not)",
      )
      .argument("<report.jws>", "the report file (compact JWS), or - for stdin")
      .action(
        action(io, async (ctx, _o, file: string) => {
          const jws = ctx.readText(file, "the report").trim();
          let result: { issuerMemberId: string; kid: string; signedAt: string; report: VerificationReport };
          if (ctx.mode === "gateway") {
            result = await ctx.http("POST", "/v1/reports/verify", { jws }, false);
          } else {
            const cp = await ctx.chain();
            const v = await verifyReport(jws, { consortium: cp.consortium });
            result = {
              issuerMemberId: v.issuerMemberId.toString(),
              kid: v.kid,
              signedAt: new Date(v.signedAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
              report: v.report as VerificationReport,
            };
          }
          ctx.out.result(
            {
              valid: true,
              issuerMemberId: String(result.issuerMemberId),
              kid: result.kid,
              signedAt: result.signedAt,
              indication: result.report.indication,
              reportHash: reportDigest(jws),
              report: result.report,
            },
            () =>
              [
                "VALID: signed by a report key of the issuing member, valid at signing time",
                fields([
                  ["issuer", `member ${result.issuerMemberId}`],
                  ["key", result.kid],
                  ["signed at", result.signedAt],
                  ["report hash", reportDigest(jws)],
                ]),
                "",
                reportTable(result.report),
              ].join("\n"),
          );
        }),
      ),
    [
      "crossproof report verify court-report.jws",
      "crossproof report verify court-report.jws --direct --rpc http://127.0.0.1:8545 --deployment deployment.json",
    ],
  );
}
