/**
 * Receives a multipart/form-data upload: text fields in memory (bounded), file parts streamed to disk under
 * numbered names (never a name the client chose), the total bounded. Anything over a limit aborts the upload with
 * `413` and leaves nothing behind (the caller removes the folder).
 */
import { createWriteStream } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Request } from "express";
import { Problem } from "../problems";

export interface ReceivedFile {
  /** The form field name. */
  field: string;
  /** The filename the client gave (for evidence: the file's path in the manifest). */
  filename: string;
  /** Where it was written. */
  source: string;
  size: number;
  /** The bytes, for the `manifest` part only (kept in memory, bounded). */
  bytes?: Uint8Array;
}

export interface ReceivedUpload {
  fields: Map<string, string>;
  files: ReceivedFile[];
}

const MAX_FIELD_BYTES = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * `preservePath`: keep the path a file part's filename gives (`files/0`) instead of its last segment (busboy's
 * default). The filename is only reported, never used to write: the parts are stored under numbered names.
 */
export function receiveMultipart(
  req: Request,
  dir: string,
  o: { maxBytes: number; preservePath?: boolean },
): Promise<ReceivedUpload> {
  if (!req.is("multipart/form-data")) {
    return Promise.reject(new Problem("unsupported-media-type", "send the upload as multipart/form-data"));
  }
  return new Promise<ReceivedUpload>((resolve, reject) => {
    const fields = new Map<string, string>();
    const files: ReceivedFile[] = [];
    const writes: Promise<void>[] = [];
    let total = 0;
    let failed: unknown;
    const fail = (err: unknown) => {
      if (failed !== undefined) return;
      failed = err;
      req.unpipe(bb);
      req.resume();
      reject(err);
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fieldSize: MAX_FIELD_BYTES, parts: MAX_PARTS, files: MAX_PARTS },
        preservePath: o.preservePath ?? false,
      });
    } catch (err) {
      // A Content-Type busboy cannot use (no boundary, an unknown multipart subtype): the client's mistake.
      req.resume();
      reject(new Problem("invalid-request", `the multipart body is not valid: ${(err as Error).message}`));
      return;
    }
    bb.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(new Problem("payload-too-large", `the field ${name} is larger than 16 MiB`));
      else fields.set(name, value);
    });
    bb.on("file", (field, stream, info) => {
      const index = files.length;
      const file: ReceivedFile = {
        field,
        filename: info.filename ?? "",
        source: path.join(dir, `part-${index}`),
        size: 0,
      };
      files.push(file);
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => {
        file.size += chunk.length;
        total += chunk.length;
        if (field === "manifest") {
          if (file.size > MAX_FIELD_BYTES) {
            stream.destroy();
            fail(new Problem("payload-too-large", "the manifest is larger than 16 MiB"));
            return;
          }
          chunks.push(chunk);
        }
        if (total > o.maxBytes) {
          stream.destroy();
          fail(new Problem("payload-too-large", `the upload is larger than ${o.maxBytes} bytes`));
        }
      });
      if (field === "manifest") {
        writes.push(
          new Promise<void>((done, error) => {
            stream.on("end", () => {
              file.bytes = Buffer.concat(chunks);
              done();
            });
            stream.on("error", error);
          }),
        );
      } else {
        writes.push(pipeline(stream, createWriteStream(file.source, { mode: 0o600 })));
      }
    });
    bb.on("partsLimit", () => fail(new Problem("payload-too-large", `more than ${MAX_PARTS} parts`)));
    bb.on("filesLimit", () => fail(new Problem("payload-too-large", `more than ${MAX_PARTS} files`)));
    bb.on("error", (err) =>
      fail(new Problem("invalid-request", `the multipart body is not valid: ${(err as Error).message}`)),
    );
    bb.on("close", () => {
      Promise.all(writes).then(
        () => {
          if (failed === undefined) resolve({ fields, files });
        },
        (err: unknown) => fail(err),
      );
    });
    req.pipe(bb);
  });
}
