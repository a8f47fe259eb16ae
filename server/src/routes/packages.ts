/**
 * Package uploads: a member hands the gateway an evidence package it sealed itself (encrypted by the SDK's
 * `sealPackage` or `rewrapPackage`: `envelope.jwe.json` and `files/0`, `files/1`, …) and gets the CID the gateway
 * computed, the one to anchor. The gateway never sees plaintext; it checks the layout and that the envelope is a
 * crossproof envelope, and, when the client says which CID it expects, refuses a different one before anything is
 * stored. Downloads (`GET /v1/packages/{cid}`, its envelope and files) hand the ciphertext back to a member among the
 * package's recipients only.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CrossproofError,
  MAX_ENVELOPE_BYTES,
  PACKAGE_ENVELOPE_PATH,
  cidToBytes,
  computeDirectoryCid,
  packageHeaderOf,
  readPackageHeader,
  type DirectoryEntry,
} from "../../../sdk/src";
import { recordAudit } from "../audit";
import type { Principal } from "../auth/principal";
import { keepPackage } from "../retention";
import type { GatewayModule } from "../gateway";
import type { Request, Response } from "express";
import { Problem } from "../problems";
import { z } from "../zod";
import { receiveMultipart, type ReceivedFile } from "./multipart";

const FILE_PATH = /^files\/(0|[1-9][0-9]{0,8})$/;
/** A CIDv1 in base32 (what the stores answer) or a CIDv0. */
const PACKAGE_CID = /^(b[a-z2-7]{20,200}|Qm[1-9A-HJ-NP-Za-km-z]{44})$/;

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

  /**
   * The package `cid` for a member that is one of its recipients: one of the member's encryption keys registered on
   * chain (revoked or expired ones too: their holder opens this package anyway) is among the envelope's recipients.
   * Anyone else — or a package the store does not hold — gets the same 404, so that nothing is learnt about packages
   * not addressed to one's member. Everything downloaded is ciphertext.
   */
  const addressedTo = async (cid: string, principal: Principal | undefined) => {
    const memberId = (principal as Extract<Principal, { kind: "member" }>).memberId;
    const notFound = () => new Problem("not-found", `no package ${cid} addressed to member ${memberId} here`);
    if (!PACKAGE_CID.test(cid)) throw notFound();
    try {
      cidToBytes(cid);
    } catch {
      throw notFound();
    }
    if (!(await ctx.store.has(cid))) throw notFound();
    let header;
    try {
      header = await readPackageHeader(ctx.store, cid);
    } catch (err) {
      if (err instanceof CrossproofError && err.code !== "CONTENT_STORE_ERROR") throw notFound();
      throw err;
    }
    const own = await ctx.cp.consortium.registeredPublicKeys(memberId);
    const kids = new Set(own.filter((k) => k.purpose === "Encryption").map((k) => k.kid));
    if (!header.recipients.some((kid) => kids.has(kid))) throw notFound();
    let files = 0;
    for (; ; files++) {
      try {
        await ctx.store.resolve(`${cid}/files/${files}`);
      } catch {
        break;
      }
    }
    return { header, files };
  };

  const Cid = z.object({ cid: z.string().min(1).max(256) });
  ctx.api.route({
    method: "get",
    path: "/v1/packages/:cid",
    summary: "What a package addressed to your member holds: its package hash, recipients and number of files",
    description:
      "For a member one of whose encryption keys (registered on chain) is among the package's recipients; anyone " +
      "else, and a package this gateway does not hold: 404. Download its parts with `GET /v1/packages/{cid}/envelope` " +
      "and `GET /v1/packages/{cid}/files/{index}` (ciphertext; the client recomputes the CID).",
    tags: ["packages"],
    auth: "member",
    params: Cid,
    responses: {
      200: {
        description: "The package",
        schema: z
          .object({
            cid: z.string(),
            contentHash: z.string(),
            recipients: z.array(z.string()),
            files: z.number().int().openapi({ description: "files/0 … files/(n-1)" }),
          })
          .openapi("PackageInfo"),
      },
      404: { description: "No such package addressed to your member here" },
    },
    handler: async ({ params, principal }) => {
      const { header, files } = await addressedTo(params.cid, principal);
      return {
        status: 200,
        headers: { "cache-control": "no-store" },
        body: { cid: params.cid, contentHash: header.contentHash, recipients: header.recipients, files },
      };
    },
  });

  const streamPart = async (cid: string, part: string, req: Request, res: Response) => {
    const bytes = ctx.store.get(`${cid}/${part}`)[Symbol.asyncIterator]();
    const first = await bytes.next(); // a missing part fails here, before anything is sent
    recordAudit(ctx, req, "downloaded", `${cid}/${part}`);
    res.status(200).setHeader("content-type", "application/octet-stream").setHeader("cache-control", "no-store");
    await pipeline(
      Readable.from(
        (async function* () {
          if (first.done !== true) yield first.value;
          for (let n = await bytes.next(); n.done !== true; n = await bytes.next()) yield n.value;
        })(),
      ),
      res,
    );
  };

  ctx.api.route({
    method: "get",
    path: "/v1/packages/:cid/envelope",
    summary: "A package's envelope (envelope.jwe.json), for a member that is one of its recipients",
    description: "The same access rule as `GET /v1/packages/{cid}`.",
    tags: ["packages"],
    auth: "member",
    params: Cid,
    responses: {
      200: {
        description: "The envelope's bytes",
        schema: z.string().openapi({ format: "binary" }),
        contentType: "application/octet-stream",
      },
      404: { description: "No such package addressed to your member here" },
    },
    handler: async ({ params, principal, req, res }) => {
      await addressedTo(params.cid, principal);
      await streamPart(params.cid, PACKAGE_ENVELOPE_PATH, req, res);
      return undefined;
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/packages/:cid/files/:index",
    summary: "One encrypted file of a package (files/{index}), for a member that is one of its recipients",
    description: "The same access rule as `GET /v1/packages/{cid}`; ciphertext, as stored.",
    tags: ["packages"],
    auth: "member",
    params: Cid.extend({ index: z.string().regex(/^(0|[1-9][0-9]{0,8})$/, "a file index") }),
    responses: {
      200: {
        description: "The file's ciphertext",
        schema: z.string().openapi({ format: "binary" }),
        contentType: "application/octet-stream",
      },
      404: { description: "No such package addressed to your member here, or no such file" },
    },
    handler: async ({ params, principal, req, res }) => {
      const { files } = await addressedTo(params.cid, principal);
      if (Number(params.index) >= files) {
        throw new Problem("not-found", `package ${params.cid} has ${files} files (files/0 … files/${files - 1})`);
      }
      await streamPart(params.cid, `files/${params.index}`, req, res);
      return undefined;
    },
  });
};
