import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FsBlockstore } from "blockstore-fs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { EmbeddedContentStore, type DirectoryEntry } from "../../sdk/src";
import { loadFsBlockstore } from "../../sdk/src/esm";

const DAG_PB = 0x70;
const multihashOf = (cid: CID) => Buffer.from(cid.multihash.bytes).toString("hex");

/**
 * A test double of a Kubo node's RPC API — only the calls `KuboContentStore` makes (`add`, `cat`, `block/stat`,
 * `block/get`, `block/put`, `resolve`, `pin/ls`, `pin/rm`, `block/rm`),
 * speaking Kubo's wire format (multipart upload, NDJSON answers, `{Message, Code, Type}` errors). No Kubo binary can
 * be installed from the npm registry here, so this stands in for one. It refuses any `add` whose import parameters
 * differ from the IPIP-499 `unixfs-v1-2025` recipe, so a client sending the wrong options fails loudly; storage and
 * CIDs come from the embedded store (whose CIDs are checked against Kubo's published vectors elsewhere). Pins are
 * recursive pins of what `add` and `block/put` were asked to pin, and `block/rm` refuses a block under a pinned root,
 * as Kubo does.
 */
export class KuboRpcDouble {
  readonly addCalls: URLSearchParams[] = [];
  readonly blockPutCalls: URLSearchParams[] = [];
  /** Recursive pins (CIDv1 strings). */
  readonly pins = new Set<string>();
  private server: Server | undefined;

  private constructor(
    private readonly store: EmbeddedContentStore,
    /** The same blocks, read and written one by one (`block/get`, `block/put`). */
    private readonly blocks: FsBlockstore,
  ) {}

  static async start(storeDir: string): Promise<{ double: KuboRpcDouble; url: string }> {
    const store = await EmbeddedContentStore.open(storeDir);
    const blocks = new (await loadFsBlockstore()).FsBlockstore(storeDir);
    await blocks.open();
    const double = new KuboRpcDouble(store, blocks);
    double.server = createServer((req, res) => {
      double.handle(req, res).catch((err: unknown) => double.error(res, 500, String(err)));
    });
    await new Promise<void>((resolve) => double.server!.listen(0, "127.0.0.1", resolve));
    const { port } = double.server.address() as AddressInfo;
    return { double, url: `http://127.0.0.1:${port}` };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    await this.store.close();
    await this.blocks.close();
  }

  private error(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ Message: message, Code: 0, Type: "error" }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method !== "POST") return this.error(res, 405, "only POST");
    switch (url.pathname) {
      case "/api/v0/add":
        return this.add(req, res, url.searchParams);
      case "/api/v0/cat":
        return this.cat(res, url.searchParams.get("arg") ?? "");
      case "/api/v0/block/stat":
        return this.stat(res, url.searchParams.get("arg") ?? "");
      case "/api/v0/block/get":
        return this.blockGet(res, url.searchParams.get("arg") ?? "");
      case "/api/v0/block/put":
        return this.blockPut(req, res, url.searchParams);
      case "/api/v0/resolve":
        return this.resolve(res, url.searchParams.get("arg") ?? "");
      case "/api/v0/pin/ls":
        return this.pinLs(res, url.searchParams);
      case "/api/v0/pin/rm":
        return this.pinRm(res, url.searchParams);
      case "/api/v0/block/rm":
        return this.blockRm(res, url.searchParams);
      default:
        return this.error(res, 404, `unknown command ${url.pathname}`);
    }
  }

  private async add(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    this.addCalls.push(params);
    const expected: Record<string, string> = {
      "cid-version": "1",
      "raw-leaves": "true",
      chunker: "size-1048576",
      hash: "sha2-256",
      pin: "true",
    };
    for (const [k, v] of Object.entries(expected)) {
      if (params.get(k) !== v) return this.error(res, 400, `add: ${k}=${params.get(k)} (this node imports with ${v})`);
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = await new Response(Buffer.concat(chunks), {
      headers: { "content-type": req.headers["content-type"] ?? "" },
    }).formData();
    const files: DirectoryEntry[] = [];
    for (const [, value] of form.entries()) {
      if (typeof value === "string" || value.type === "application/x-directory") continue;
      files.push({ path: decodeURIComponent(value.name), content: new Uint8Array(await value.arrayBuffer()) });
    }
    const lines: { Name: string; Hash: string; Size: string }[] = [];
    if (params.get("wrap-with-directory") === "true") {
      const root = await this.store.putDirectory(files);
      lines.push({ Name: "", Hash: root, Size: "0" });
    } else {
      for (const f of files) lines.push({ Name: f.path, Hash: await this.store.put(f.content), Size: "0" });
    }
    for (const l of lines) this.pins.add(l.Hash);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  }

  private async cat(res: ServerResponse, path: string): Promise<void> {
    let started = false;
    try {
      for await (const chunk of this.store.get(path)) {
        if (!started) res.writeHead(200, { "content-type": "text/plain" });
        started = true;
        res.write(chunk);
      }
      if (!started) res.writeHead(200, { "content-type": "text/plain" });
      res.end();
    } catch {
      this.error(res, 500, `block was not found locally (offline): ipld: could not find ${path}`);
    }
  }

  private async stat(res: ServerResponse, cid: string): Promise<void> {
    if (!(await this.store.has(cid))) return this.error(res, 500, `block was not found locally (offline): ${cid}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ Key: cid, Size: 1 }));
  }

  private async blockGet(res: ServerResponse, arg: string): Promise<void> {
    let block: Buffer;
    try {
      const chunks: Uint8Array[] = [];
      for await (const c of this.blocks.get(CID.parse(arg))) chunks.push(c);
      block = Buffer.concat(chunks);
    } catch {
      return this.error(res, 500, `block was not found locally (offline): ${arg}`);
    }
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(block);
  }

  /** Kubo's legacy `--format=dag-pb` (what `kubo-rpc-client` sends): a dag-pb block, answered with its CIDv0. */
  private async blockPut(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    this.blockPutCalls.push(params);
    if (params.get("format") !== "dag-pb" || params.get("mhtype") !== "sha2-256" || params.get("pin") !== "true") {
      return this.error(res, 400, `block put: unexpected parameters ${params.toString()}`);
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = await new Response(Buffer.concat(chunks), {
      headers: { "content-type": req.headers["content-type"] ?? "" },
    }).formData();
    const value = [...form.values()][0];
    if (value === undefined || typeof value === "string") return this.error(res, 400, "block put: no data");
    const bytes = new Uint8Array(await value.arrayBuffer());
    const digest = await sha256.digest(bytes);
    await this.blocks.put(CID.createV1(DAG_PB, digest), bytes);
    this.pins.add(CID.createV1(DAG_PB, digest).toString());
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ Key: CID.createV0(digest).toString(), Size: bytes.byteLength }));
  }

  /** `pin/ls?type=…&stream=true`: one `{Cid, Type}` line per pin (only recursive pins exist here). */
  private async pinLs(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const type = params.get("type") ?? "all";
    const pins = type === "recursive" || type === "all" ? [...this.pins] : [];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(pins.map((cid) => JSON.stringify({ Cid: cid, Type: "recursive" }) + "\n").join(""));
  }

  private async pinRm(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const cid = CID.parse(params.get("arg") ?? "")
      .toV1()
      .toString();
    if (params.get("recursive") === "false" || !this.pins.delete(cid)) {
      return this.error(res, 500, `${cid} is not pinned or pinned indirectly`);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ Pins: [cid] }));
  }

  /** Kubo's `block/rm`: a block under a pinned root is refused (`pinned: …`); `force` ignores absent blocks. */
  private async blockRm(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const pinnedBy = new Map<string, string>();
    for (const root of this.pins) {
      for (const b of await this.store.blocksOf(root)) pinnedBy.set(multihashOf(CID.parse(b)), root);
    }
    const lines: object[] = [];
    for (const arg of params.getAll("arg")) {
      const cid = CID.parse(arg);
      const root = pinnedBy.get(multihashOf(cid));
      if (root !== undefined) {
        lines.push({ Hash: arg, Error: root === cid.toV1().toString() ? "pinned: recursive" : `pinned via ${root}` });
      } else if (!(await this.blocks.has(cid)) && params.get("force") !== "true") {
        lines.push({ Hash: arg, Error: `ipld: could not find ${arg}` });
      } else {
        await this.blocks.delete(cid);
        lines.push({ Hash: arg });
      }
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(lines.map((l) => JSON.stringify(l) + "\n").join(""));
  }

  private async resolve(res: ServerResponse, arg: string): Promise<void> {
    let cid: string;
    try {
      cid = await this.store.resolve(arg);
    } catch {
      return this.error(res, 500, `no link named in ${arg}`);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ Path: `/ipfs/${cid}` }));
  }
}
