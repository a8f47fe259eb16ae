/**
 * Hostile uploads against a real gateway: bodies over the limits, the wrong media types, deeply nested and huge JSON,
 * decompression bombs (the JSON parser inflates gzip/deflate bodies and bounds the inflated size; multipart uploads
 * are never inflated), confusable and path-like file names, and path traversal through CIDs. Each is refused with a
 * 4xx problem and the content store's folder is left exactly as it was.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { expect } from "chai";
import { Wallet } from "ethers";
import { PACKAGE_ENVELOPE_PATH, generateReportKey } from "../../sdk/src";
import type { RunningGateway } from "../../server/src/gateway";
import { gatewayModules } from "../../server/src/modules";
import { addKeys } from "../../server/src/keystore";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";
import { PUBLIC_URL, expectCleanAnswer, expectProblem, signInToken } from "./helpers";

const UPLOAD_LIMIT = 64 * 1024;
const BODY_LIMIT = 64 * 1024;

interface Part {
  name: string;
  filename?: string;
  data: string | Uint8Array;
}

/** A multipart/form-data body written byte by byte (so file names go on the wire exactly as given). */
function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = "----crossproof-hostile-boundary";
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const filename = p.filename === undefined ? "" : `; filename="${p.filename}"`;
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${p.name}"${filename}\r\n`));
    if (p.filename !== undefined) chunks.push(Buffer.from("content-type: application/octet-stream\r\n"));
    chunks.push(Buffer.from("\r\n"), Buffer.from(p.data), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Every file under `dir` with its size and modification time: what "nothing was written" is checked against. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

describe("hostile input: uploads, bodies, file names and CIDs (real gateway, real chain)", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let gw: RunningGateway;
  let token: string;
  let storeDir: string;
  let before0: string[];

  before(async () => {
    chain = await startTestChain();
    // The gateway hosts member 1's report key: its verification route runs past "not a hosted member".
    const keystoreDir = path.join(chain.dataDir, "keys");
    const keystorePassword = "correct horse battery staple";
    const reportKey = await generateReportKey();
    await addKeys(keystoreDir, keystorePassword, {
      memberId: 1,
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [],
    });
    gw = await startTestGateway(chain, gatewayModules, {
      publicUrl: PUBLIC_URL,
      uploadLimit: String(UPLOAD_LIMIT),
      bodyLimit: String(BODY_LIMIT),
      rateLimit: "100000",
      keystoreDir,
      keystorePassword,
    });
    token = await signInToken(gw.url, new Wallet(devKey(1)), chain.record.chainId);
    const store = gw.ctx.config.contentStore;
    expect(store.kind).to.equal("embedded");
    storeDir = (store as { dir: string }).dir;
    before0 = snapshot(storeDir);
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  afterEach(function () {
    expect(snapshot(storeDir), "the content store's folder changed").to.deep.equal(before0);
  });

  const upload = (body: Buffer | string, contentType: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/packages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType, ...headers },
      body,
    });
  const postJson = (route: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body,
    });

  it("refuses a package upload over the upload limit (413) and keeps nothing", async function () {
    const m = multipart([
      { name: "file", filename: PACKAGE_ENVELOPE_PATH, data: "{}" },
      { name: "file", filename: "files/0", data: new Uint8Array(UPLOAD_LIMIT + 1) },
    ]);
    await expectProblem(await upload(m.body, m.contentType), 413, "payload-too-large");
  });

  it("refuses an upload in the wrong media type (415) and a multipart body without a boundary", async function () {
    await expectProblem(await upload("{}", "application/json"), 415, "unsupported-media-type");
    await expectProblem(await upload("x", "text/plain"), 415, "unsupported-media-type");
    await expectProblem(await upload("x", "application/x-www-form-urlencoded"), 415, "unsupported-media-type");
    const res = await upload("--x\r\n\r\n", "multipart/form-data");
    expect((await expectCleanAnswer(res, "multipart without boundary"))?.status).to.equal(400);
    // A JSON route given a multipart body.
    const m = multipart([{ name: "message", data: "x" }]);
    const siwe = await fetch(`${gw.url}/v1/auth/siwe`, {
      method: "POST",
      headers: { "content-type": m.contentType },
      body: m.body,
    });
    await expectProblem(siwe, 415, "unsupported-media-type");
  });

  it("refuses file names that are not the package's paths: confusables, separators, traversal (400 NOT_A_PACKAGE)", async function () {
    const names = [
      "../files/0",
      "files/../files/0",
      "files/0/../../../session.key",
      "/etc/passwd",
      "files\\0",
      "..\\..\\files\\0",
      "files／0", // fullwidth solidus
      "files∕0", // division slash
      "files/٠", // Arabic-Indic digit zero
      "files/０", // fullwidth digit zero
      "fіles/0", // Cyrillic і
      "files/0\u0000",
      "files/0 ",
      "files/00",
      "files/-0",
      "files/1e3",
      `${PACKAGE_ENVELOPE_PATH}\u200b`,
      "./" + PACKAGE_ENVELOPE_PATH,
      "",
    ];
    for (const name of names) {
      const m = multipart([
        { name: "file", filename: PACKAGE_ENVELOPE_PATH, data: "{}" },
        { name: "file", filename: name, data: "x" },
      ]);
      // Refused by the package layout (NOT_A_PACKAGE) or, for a name no valid part header can carry, by the parser.
      const p = await expectProblem(await upload(m.body, m.contentType), 400, "invalid-request");
      if (p.code !== "NOT_A_PACKAGE") expect(p.detail, JSON.stringify(name)).to.match(/multipart body is not valid/);
    }
  });

  it("refuses an envelope that is not one, and a CID field that is a path, before storing anything", async function () {
    for (const cid of ["../../session.key", "/etc/passwd", "bafy/../../x"]) {
      const m = multipart([
        { name: "cid", data: cid },
        { name: "file", filename: PACKAGE_ENVELOPE_PATH, data: '{"protected":"../../x"}' },
        { name: "file", filename: "files/0", data: "x" },
      ]);
      await expectProblem(await upload(m.body, m.contentType), 400, "invalid-request", "NOT_A_PACKAGE");
    }
  });

  it("refuses path traversal through package CIDs (4xx problems, never a file outside the store)", async function () {
    const cids = [
      "../../session.key",
      "../gateway.db",
      "/etc/passwd",
      "..%2f..%2fsession.key",
      "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/../../../session.key",
      "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi\\..\\..\\session.key",
      "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG/../..",
      "/ipfs/../../session.key",
      "\u0000",
      "ｂａｆｙ",
    ];
    for (const cid of cids) {
      const res = await postJson("/v1/verifications", JSON.stringify({ evidence: { packageCid: cid } }));
      const p = await expectCleanAnswer(res, `packageCid ${JSON.stringify(cid)}`);
      expect(p, `packageCid ${JSON.stringify(cid)} was accepted`).to.not.equal(undefined);
      expect(JSON.stringify(p)).to.not.match(/BEGIN|base64url|PRIVATE/);
    }
    for (const hash of ["..%2f..%2fsession.key", "..%5c..%5csession.key", "0x" + "0".repeat(63) + "/"]) {
      const res = await fetch(`${gw.url}/v1/public/evidence/${hash}`);
      await expectProblem(res, 400, "invalid-request");
    }
  });

  it("refuses JSON over the body limit (413), deeply nested JSON and huge JSON (400)", async function () {
    const big = JSON.stringify({ message: "a".repeat(BODY_LIMIT), signature: "0x" });
    await expectProblem(await postJson("/v1/auth/siwe", big), 413, "payload-too-large");
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    expect(deep.length).to.be.lessThan(BODY_LIMIT);
    await expectProblem(await postJson("/v1/auth/siwe", deep), 400, "invalid-request");
    const deepObject = '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000);
    await expectProblem(await postJson("/v1/verifications", deepObject), 400, "invalid-request");
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`k${i}`, i])));
    expect(wide.length).to.be.lessThan(BODY_LIMIT);
    await expectProblem(await postJson("/v1/verifications", wide), 400, "invalid-request");
    const manyArray = JSON.stringify({ evidence: { packageCid: Array.from({ length: 8000 }, () => 1) } });
    await expectProblem(await postJson("/v1/verifications", manyArray), 400, "invalid-request");
  });

  it("bounds decompression: a gzip or deflate bomb on a JSON route is refused at the limit (413)", async function () {
    const zeros = Buffer.alloc(32 * 1024 * 1024, 0x20); // 32 MiB of spaces: valid JSON whitespace when inflated
    const gz = gzipSync(zeros);
    const df = deflateSync(zeros);
    expect(gz.length).to.be.lessThan(BODY_LIMIT); // it fits under the limit compressed…
    await expectProblem(await postJson("/v1/auth/siwe", gz, { "content-encoding": "gzip" }), 413, "payload-too-large");
    await expectProblem(
      await postJson("/v1/auth/siwe", df, { "content-encoding": "deflate" }),
      413,
      "payload-too-large",
    );
    // A small gzip body is inflated and parsed: the refusal above is the limit, not gzip being unsupported.
    const small = gzipSync(Buffer.from(JSON.stringify({ message: "not siwe", signature: "0x00" })));
    const p = await expectProblem(
      await postJson("/v1/auth/siwe", small, { "content-encoding": "gzip" }),
      400,
      "invalid-request",
    );
    expect(p.code).to.equal("MESSAGE_MALFORMED");
    expect((await fetch(`${gw.url}/healthz`)).status).to.equal(200);
  });

  it("never inflates a multipart upload: a gzip-encoded package is refused and nothing is stored", async function () {
    const m = multipart([
      { name: "file", filename: PACKAGE_ENVELOPE_PATH, data: "{}" },
      { name: "file", filename: "files/0", data: new Uint8Array(16 * 1024 * 1024) },
    ]);
    const gz = gzipSync(m.body);
    expect(gz.length).to.be.lessThan(UPLOAD_LIMIT);
    const res = await upload(gz, m.contentType, { "content-encoding": "gzip" });
    const p = await expectCleanAnswer(res, "gzip multipart");
    expect(p?.status).to.be.oneOf([400, 413, 415]);
  });
});
