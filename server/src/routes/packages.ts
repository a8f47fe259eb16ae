/**
 * Package uploads: a member hands the gateway an evidence package it sealed itself (encrypted by the SDK's
 * `sealPackage` or `rewrapPackage`: `envelope.jwe.json` and `files/0`, `files/1`, …) and gets the CID the gateway
 * computed, the one to anchor. The gateway never sees plaintext; it checks the layout and that the envelope is a
 * crossproof envelope, and, when the client says which CID it expects, refuses a different one before anything is
 * stored.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CrossproofError,
  MAX_ENVELOPE_BYTES,
  PACKAGE_ENVELOPE_PATH,
  cidToBytes,
  computeDirectoryCid,
  packageHeaderOf,
  type DirectoryEntry,
} from "../../../sdk/src";
import { recordAudit } from "../audit";
import type { Principal } from "../auth/principal";
import { keepPackage } from "../retention";
import type { GatewayModule } from "../gateway";
import { Problem } from "../problems";
import { z } from "../zod";
import { receiveMultipart, type ReceivedFile } from "./multipart";

const FILE_PATH = /^files\/(0|[1-9][0-9]{0,8})$/;

const notAPackage = (detail: string) => new Problem("invalid-request", detail, { code: "NOT_A_PACKAGE" });

/** The upload's files as a package directory: the envelope and files/0…n-1, each once, nothing else. */
function packageLayout(files: readonly ReceivedFile[]): { envelope: ReceivedFile; entries: ReceivedFile[] } {
  let envelope: ReceivedFile | undefined;
  const numbered = new Map<number, ReceivedFile>();
  for (const f of files) {
    if (f.filename === PACKAGE_ENVELOPE_PATH) {
      if (envelope !== undefined) throw notAPackage(`${PACKAGE_ENVELOPE_PATH} is given twice`);
      envelope = f;
      continue;
    }
    const m = FILE_PATH.exec(f.filename);
    if (m === null) {
      throw notAPackage(
        `a package holds ${PACKAGE_ENVELOPE_PATH} and files/0, files/1, …; not ${JSON.stringify(f.filename)} ` +
          "(send each part with its path in the package as its filename)",
      );
    }
    const i = Number(m[1]);
    if (numbered.has(i)) throw notAPackage(`${f.filename} is given twice`);
    numbered.set(i, f);
  }
  if (envelope === undefined) throw notAPackage(`the upload has no ${PACKAGE_ENVELOPE_PATH}`);
  if (numbered.size === 0) throw notAPackage("the upload has no files/0");
  for (let i = 0; i < numbered.size; i++) {
    if (!numbered.has(i)) throw notAPackage(`files/${i} is missing (the files are numbered from 0 without gaps)`);
  }
  const entries = [envelope, ...[...numbered.keys()].sort((a, b) => a - b).map((i) => numbered.get(i)!)];
  return { envelope, entries };
}

const StoredPackage = z
  .object({
    cid: z.string().openapi({ description: "The package's CID (CIDv1), computed by the gateway: the one to anchor" }),
    contentHash: z.string().openapi({ description: "The package hash its envelope states (not checked: encrypted)" }),
    recipients: z.array(z.string()).openapi({ description: "The key ids the envelope is wrapped for" }),
    files: z.number().int(),
    bytes: z.number().int(),
    retainUntil: z.string().openapi({
      description: "Kept until (ISO 8601, chain time): the assistance request's retention, or the member policy",
    }),
  })
  .openapi("StoredPackage");

export const packagesModule: GatewayModule = (ctx) => {
  ctx.api.route({
    method: "post",
    path: "/v1/packages",
    summary: "Store an encrypted evidence package; answers the CID the gateway computed",
    description:
      "multipart/form-data: one part per file of the package directory, its filename being its path in the package " +
      `(${PACKAGE_ENVELOPE_PATH}, files/0, files/1, …), and optionally a field \`cid\`: the CID the client computed ` +
      "(a different one is refused with 422 CID_MISMATCH, before anything is stored), and optionally a field " +
      "`assistanceRequestId`: the package is then kept for that request's retention (else the member policy). " +
      "The parts are streamed to " +
      "temporary storage (CROSSPROOF_UPLOAD_LIMIT bytes in all), imported into the content store with the SDK's " +
      "recipe (the CID Kubo would give), and deleted.",
    tags: ["packages"],
    auth: "member",
    bodyDoc: {
      contentType: "multipart/form-data",
      description: "the package's files (filename = path in the package), optionally `cid`",
      schema: z.object({
        cid: z.string().optional(),
        assistanceRequestId: z.string().optional(),
        files: z.array(z.string().openapi({ format: "binary" })),
      }),
    },
    responses: {
      201: { description: "Stored", schema: StoredPackage },
      413: { description: "Larger than the upload limit" },
      422: { description: "Not the CID the client expected" },
    },
    handler: async ({ req, principal }) => {
      const dir = mkdtempSync(path.join(tmpdir(), "crossproof-package-"));
      try {
        const upload = await receiveMultipart(req, dir, { maxBytes: ctx.config.uploadLimit, preservePath: true });
        const { envelope, entries } = packageLayout(upload.files);
        if (envelope.size > MAX_ENVELOPE_BYTES) throw notAPackage(`the envelope is larger than ${MAX_ENVELOPE_BYTES}`);
        let header;
        try {
          header = packageHeaderOf(readFileSync(envelope.source));
        } catch (err) {
          if (err instanceof CrossproofError) throw notAPackage(`${PACKAGE_ENVELOPE_PATH}: ${err.message}`);
          throw err;
        }
        const directory = (): DirectoryEntry[] =>
          entries.map((f) => ({ path: f.filename, content: createReadStream(f.source) }));
        const expected = upload.fields.get("cid");
        let computed: string | undefined;
        if (expected !== undefined) {
          computed = await computeDirectoryCid(directory());
          if (cidToBytes(expected.trim()) !== cidToBytes(computed)) {
            throw new Problem("hash-mismatch", `the package's CID is ${computed}, not the expected ${expected}`, {
              code: "CID_MISMATCH",
              expected,
              computed,
            });
          }
        }
        // Keeping the package needs the chain (its retention is chain time): a chain that does not answer fails the
        // upload here, before anything is stored, rather than after, leaving blocks no retention row names.
        await ctx.cp.chainTime();
        const cid = await ctx.store.putDirectory(directory());
        if (computed !== undefined && cid !== computed) {
          throw new CrossproofError(
            "CID_MISMATCH",
            `the content store answered ${cid} for a package computed as ${computed}`,
          );
        }
        // Kept for the member's retention: an assistance request's (read again from the chain at each purge) when the
        // upload names one, else the member policy; purged after it unless under a legal hold.
        const requestId = upload.fields.get("assistanceRequestId")?.trim();
        const kept = await keepPackage(ctx, {
          cid,
          memberId: (principal as Extract<Principal, { kind: "member" }>).memberId,
          ...(requestId === undefined || requestId === "" ? {} : { assistanceRequestId: requestId }),
          reason: "uploaded",
        });
        // Audited once it is stored and kept: no entry for an upload that failed.
        recordAudit(ctx, req, "uploaded", cid);
        return {
          status: 201,
          body: {
            cid,
            retainUntil: kept.retainUntil,
            contentHash: header.contentHash,
            recipients: header.recipients,
            files: entries.length - 1,
            bytes: entries.reduce((n, f) => n + f.size, 0),
          },
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
};
