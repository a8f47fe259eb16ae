/**
 * Fingerprints (issue 16): `fingerprint <file>` writes a media file's fingerprint file and prints its digest, CID and
 * ISCC code; `match <file>` asks a gateway which registered works a clip comes from, and whether the uploader's
 * licensee may put it online.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  decodeFingerprint,
  computeCid,
  encodeFingerprint,
  CLIP_FRAMES_PER_SECOND,
  extractFingerprint,
  fingerprintDigest,
  isccOfMediaFile,
  type ExtractOptions,
  type Fingerprint,
  type MediaIscc,
} from "../../index";
import type { Context, Io } from "../context";
import { CliError, ExitCode } from "../exit-codes";
import { fields, table } from "../output";
import { action, bytes32, examples, unixTime } from "../util";
import { accountHashOf, rightOf, territoryOf, PEPPER_ENV } from "./licence-uploads";

/** What `--json` shows of a file's ISCC. */
interface IsccOutput {
  code: string;
  /** Meta-, Content-, Data-, Instance-Code, as composed. */
  units: string[];
  /** Which Content-Code: `video` (Video-Code), `audio` (Audio-Code), `null` (none). */
  mode: MediaIscc["mode"];
  /** The Meta-Code's name and metahash (`null` with --no-iscc-meta). */
  meta: { name: string; description?: string; metahash: string } | null;
  videoFrames: number | null;
}

/**
 * The ISCC-CODE of a media file, as iscc-sdk's `code_iscc` composes it: Meta-Code (the title tag, else the file
 * name, or --iscc-name), the Video-Code of a video file or the Audio-Code (from the values just extracted) of an
 * audio file, then the Data- and Instance-Code of its bytes.
 */
async function isccOf(file: string, fp: Fingerprint, o: Record<string, unknown>): Promise<IsccOutput> {
  const name = o.isccName === undefined ? undefined : String(o.isccName);
  const r = await isccOfMediaFile(file, {
    ...(fp.audio === null ? {} : { chromaprint: fp.audio.chromaprint }),
    meta: o.isccMeta === false ? false : name === undefined ? {} : { name },
  });
  const meta =
    r.meta === undefined
      ? null
      : {
          name: r.meta.name,
          ...(r.meta.description === undefined ? {} : { description: r.meta.description }),
          metahash: r.meta.metahash,
        };
  return { code: r.iscc, units: r.units, mode: r.mode, meta, videoFrames: r.videoFrames ?? null };
}

function extractOptions(o: Record<string, unknown>, clip = false): ExtractOptions {
  if (o.fps === undefined) return clip ? { framesPerSecond: CLIP_FRAMES_PER_SECOND } : {};
  const fps = Number(o.fps);
  if (!(fps > 0 && fps <= 30)) throw new CliError("INPUT", `--fps must be a number in (0, 30], got ${String(o.fps)}`);
  return { framesPerSecond: fps };
}

async function fingerprintOf(
  ctx: Context,
  file: string,
  o: Record<string, unknown>,
  clip = false,
): Promise<Fingerprint> {
  ctx.out.note(`fingerprinting ${file} with ffmpeg…`);
  return extractFingerprint(file, extractOptions(o, clip));
}

export function fingerprintCommands(program: Command, io: Io): void {
  examples(
    program
      .command("fingerprint")
      .description(
        "Fingerprint a media file with ffmpeg: write the fingerprint file, print its digest (a work's fingerprintHash), CID and the file's ISCC code",
      )
      .argument("<file>", "a video or audio file ffmpeg decodes")
      .option("--out <file>", "where to write the fingerprint file (default <file>.fingerprint.json; - for stdout)")
      .option("--fps <n>", "frames hashed per second (default 2)")
      .option("--no-iscc", "skip the ISCC code (it reads the whole file once more, and decodes its video again)")
      .option(
        "--iscc-name <title>",
        "the title the ISCC Meta-Code is made from (default: the file's title tag, else its name)",
      )
      .option("--no-iscc-meta", "leave the Meta-Code out of the ISCC-CODE (then it depends on the content alone)")
      .action(
        action(io, async (ctx, o, file: string) => {
          const fp = await fingerprintOf(ctx, file, o);
          const bytes = encodeFingerprint(fp);
          const digest = fingerprintDigest(fp);
          // Stored when a content store is configured (the CID a SetFingerprint names); computed otherwise.
          const cid = ctx.settings.store === undefined ? await computeCid(bytes) : await (await ctx.store()).put(bytes);
          const out = String(o.out ?? `${file}.fingerprint.json`);
          if (out === "-") io.stdout.write(`${Buffer.from(bytes).toString("utf8")}\n`);
          else await ctx.writeFile(out, Buffer.from(bytes).toString("utf8"));
          if (o.iscc !== false) ctx.out.note("computing the ISCC code…");
          const iscc = o.iscc === false ? undefined : await isccOf(file, fp, o);
          const result = {
            file,
            digest,
            cid,
            stored: ctx.settings.store !== undefined,
            savedTo: out === "-" ? null : out,
            durationMs: fp.durationMs,
            frames: fp.video?.hashes.length ?? 0,
            sceneCuts: fp.sceneCutsMs.length,
            audioItems: fp.audio?.chromaprint.length ?? 0,
            extractor: fp.extractor,
            iscc: iscc ?? null,
          };
          if (out === "-" && ctx.out.json) return;
          ctx.out.result(result, () =>
            fields([
              ["digest", digest],
              ["cid", `${cid}${result.stored ? " (stored)" : " (computed; --store to keep it)"}`],
              ["duration", `${(fp.durationMs / 1000).toFixed(1)} s`],
              ["frames", `${result.frames} hashed, ${result.sceneCuts} scene cut(s)`],
              ["audio", fp.audio === null ? "none" : `${result.audioItems} Chromaprint values`],
              [
                "extractor",
                `${fp.extractor.name} ${fp.extractor.version} (${fp.extractor.decoder}, ${fp.extractor.parameters.framesPerSecond} fps)`,
              ],
              ["iscc", iscc?.code],
              ["iscc units", iscc === undefined ? undefined : iscc.units.join(" ")],
              ["iscc meta", iscc === undefined ? undefined : iscc.meta === null ? "none" : `name "${iscc.meta.name}"`],
              ["saved to", result.savedTo ?? undefined],
            ]),
          );
        }),
      ),
    [
      "crossproof fingerprint film.mp4",
      "crossproof fingerprint film.mp4 --store ./store --json",
      "crossproof fingerprint song.flac --out - > song.fingerprint.json",
      'crossproof fingerprint film.mp4 --iscc-name "The Film (2026)" --json',
    ],
  );

  examples(
    program
      .command("match")
      .description(
        "Ask the gateway which registered works a clip comes from (ranges, scores) and whether the uploader's licensee may put it online; exit code 0 only if every work found is ALLOWED",
      )
      .argument("<file>", "the clip")
      .option("--upload", "send the clip itself (the gateway decodes it) instead of its fingerprint computed here")
      .option("--account <id>", "the uploader's account id on your platform (hashed here, never sent)")
      .option("--account-hash <hash>", "the account, already hashed (uploaderAccountHash)")
      .requiredOption("--territory <CC>", "where it would go online")
      .requiredOption("--right <right>", "MAKE_AVAILABLE, BROADCAST, …")
      .option("--at <time>", "when (ISO 8601 or unix seconds; default: the time of the block the chain is read at)")
      .option("--fps <n>", `frames of the clip hashed per second (default ${CLIP_FRAMES_PER_SECOND})`)
      .option("--pepper-file <file>", `your platform's account pepper (else ${PEPPER_ENV}; else no pepper)`)
      .option("--out <file>", "where to save the signed answer (default crossproof-match-<digest>.jws)")
      .action(
        action(io, async (ctx, o, file: string) => {
          if (ctx.mode !== "gateway") {
            throw new CliError(
              "CONFIG",
              "match is answered by a gateway (it holds the index of the works' fingerprints and signs the answer)",
              "give --gateway <url>",
            );
          }
          const question = {
            accountHash: accountHashOf(ctx, o),
            territory: territoryOf(o.territory, "--territory"),
            right: rightOf(o.right, "--right"),
            ...(o.at === undefined ? {} : { at: unixTime(String(o.at), "--at") }),
          };
          const clip = o.upload === true ? { file } : { fingerprint: await fingerprintOf(ctx, file, o, true) };
          const gw = await ctx.gateway();
          const checked = await gw.authorizeClip(
            clip,
            question,
            ctx.settings.rpc === undefined ? {} : { consortium: (await ctx.chain()).consortium },
          );
          const doc = checked.document;
          const matches = doc.clip?.matches ?? [];
          const savedTo = String(o.out ?? `crossproof-match-${checked.digest.slice(2, 14)}.jws`);
          await ctx.writeFile(savedTo, `${checked.jws}\n`);
          const answerOf = (workId: string) => doc.answers.find((a) => a.query.workId === workId);
          const allowed = matches.length > 0 && doc.answers.every((a) => a.answer === "ALLOWED");
          const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}`;
          ctx.out.result(
            {
              matched: matches.length > 0,
              allAllowed: allowed,
              clip: doc.clip ?? null,
              answers: doc.answers.map((a) => ({
                workId: a.query.workId,
                answer: a.answer,
                reason: a.reason ?? null,
                licensee: a.licensee ?? null,
                licenceId: a.licenceId ?? null,
                summary: a.summary,
              })),
              issuer: doc.issuer.memberId,
              kid: checked.kid,
              digest: checked.digest,
              checkedAgainst: checked.checkedAgainst,
              savedTo,
            },
            () => [
              matches.length === 0
                ? `No registered work matched (${doc.clip?.indexedWorks ?? 0} work(s) indexed).`
                : `${matches.length} match(es) in ${new Set(matches.map((m) => m.workId)).size} work(s):`,
              ...(matches.length === 0
                ? []
                : table(
                    ["work", "clip (s)", "work (s)", "speed", "video", "audio", "score", "answer"],
                    matches.map((m) => [
                      `${m.workId.slice(0, 10)}…${m.mirrored ? " (mirrored)" : ""}`,
                      `${seconds(m.clipStartMs)}–${seconds(m.clipEndMs)}`,
                      `${seconds(m.workStartMs)}–${seconds(m.workEndMs)}`,
                      m.speed.toFixed(2),
                      m.videoScore === null ? "-" : m.videoScore.toFixed(2),
                      m.audioScore === null ? "-" : m.audioScore.toFixed(2),
                      m.score.toFixed(2),
                      answerOf(m.workId)?.answer ?? "-",
                    ]),
                  ).split("\n")),
              ...doc.answers.map((a) => `${a.query.workId.slice(0, 10)}…: ${a.summary}`),
              `signed answer (member ${doc.issuer.memberId}) saved to ${savedTo}`,
            ],
          );
          if (!allowed) process.exitCode = ExitCode.VERIFICATION_FAILED;
        }),
      ),
    [
      "crossproof match upload.mp4 --account user-4711 --territory FR --right MAKE_AVAILABLE --pepper-file pepper.bin",
      "crossproof match upload.mp4 --upload --account-hash 0x… --territory DE --right BROADCAST --json",
    ],
  );

  const licence = program.commands.find((c) => c.name() === "licence");
  if (licence === undefined) return;
  examples(
    licence
      .command("set-fingerprint")
      .description(
        "As the rights holder: set or replace a work's fingerprint file (its digest and CID on chain; gateways index it), or --withdraw it",
      )
      .argument("<workId>", "the work")
      .argument("[fingerprint]", "the fingerprint file (`crossproof fingerprint` writes it)")
      .option("--withdraw", "withdraw the work's fingerprint")
      .action(
        action(io, async (ctx, o, workId: string, file: string | undefined) => {
          if ((file === undefined) === (o.withdraw !== true)) {
            throw new CliError("USAGE", "give either a fingerprint file or --withdraw");
          }
          let stored: { digest: string; cid: string; kept: boolean } | undefined;
          if (file !== undefined) {
            let bytes: Buffer;
            try {
              bytes = readFileSync(file);
            } catch (cause) {
              throw new CliError("INPUT", `cannot read ${file}`, undefined, { cause });
            }
            const fp = decodeFingerprint(bytes);
            const canonical = encodeFingerprint(fp);
            // The file goes into the content store the gateways read (--store); without one, only its CID is known.
            const kept = ctx.settings.store !== undefined;
            const cid = kept ? await (await ctx.store()).put(canonical) : await computeCid(canonical);
            if (!kept) {
              ctx.out.note(
                `no --store: put ${file} (canonical form, CID ${cid}) where the gateways' content store has it`,
              );
            }
            stored = { digest: fingerprintDigest(fp), cid, kept };
          }
          const wallet = await ctx.wallet();
          const cp = await ctx.chain();
          const signed = await cp.licenses.signSetFingerprint(wallet, {
            workId: bytes32(workId, "the work id"),
            ...(stored === undefined ? {} : { fingerprintHash: stored.digest, fingerprintCid: stored.cid }),
          });
          const r = await ctx.submit(cp.licenses, signed);
          ctx.out.result({ ...r, stored: stored?.kept ?? false }, [
            stored === undefined
              ? `fingerprint withdrawn for work ${workId}`
              : `fingerprint of work ${workId}: ${stored.digest} at ${stored.cid}${stored.kept ? " (stored)" : ""}`,
          ]);
        }),
      ),
    [
      "crossproof licence set-fingerprint 0x<work> film.mp4.fingerprint.json --store http://127.0.0.1:5001",
      "crossproof licence set-fingerprint 0x<work> --withdraw",
    ],
  );
}
