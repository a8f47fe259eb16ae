import http from "node:http";
import https from "node:https";
import type { JsonRpcApiProvider, JsonRpcError, JsonRpcPayload, JsonRpcResult } from "ethers";
import { unreachableError } from "./contract-errors";

/** Sends JSON-RPC payloads (one, or a batch) and returns every answer, errors included. */
export interface JsonRpcLink {
  exchange(payloads: JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]>;
  close(): void;
}

/** Milliseconds an HTTP request may take before it fails (and is retried by the relayer). */
const REQUEST_TIMEOUT = 60_000;

/**
 * JSON-RPC over HTTP(S) straight on Node's `http` module with a keep-alive agent: no batching timer, no response
 * cache, native UTF-8 and JSON. (ethers' transport encodes and decodes bodies in JavaScript, which costs more than
 * the call itself for a batch of receipts.)
 */
export class HttpJsonRpcLink implements JsonRpcLink {
  readonly #url: URL;
  readonly #urlText: string;
  readonly #headers: Record<string, string>;
  readonly #agent: http.Agent;

  constructor(url: string, headers: Record<string, string> = {}, maxSockets = 16) {
    this.#url = new URL(url);
    this.#urlText = url;
    this.#headers = headers;
    const secure = this.#url.protocol === "https:";
    this.#agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets });
  }

  exchange(payloads: JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const body = JSON.stringify(payloads.length === 1 ? payloads[0] : payloads);
    const send = this.#url.protocol === "https:" ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(
        this.#url,
        {
          method: "POST",
          agent: this.#agent,
          headers: { ...this.#headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode !== 200) {
              reject(new Error(`JSON-RPC server answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
              return;
            }
            try {
              const parsed = JSON.parse(text) as JsonRpcResult | JsonRpcError | (JsonRpcResult | JsonRpcError)[];
              resolve(Array.isArray(parsed) ? parsed : [parsed]);
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT, () =>
        req.destroy(new Error(`JSON-RPC request timeout after ${REQUEST_TIMEOUT} ms`)),
      );
      // A node that does not answer: CHAIN_UNREACHABLE naming the URL (the relayer still retries it as transient).
      req.on("error", (err) => reject(unreachableError(err, this.#urlText) ?? err));
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The provider's own transport (`_send`): for providers that are not plain HTTP (WebSocket, IPC). */
class ProviderLink implements JsonRpcLink {
  constructor(readonly provider: JsonRpcApiProvider) {}
  exchange(payloads: JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    return this.provider._send(payloads.length === 1 ? payloads[0]! : payloads);
  }
  close(): void {}
}

/** A link to the node behind `provider`: direct HTTP when the provider talks HTTP, its own transport otherwise. */
export function jsonRpcLinkOf(provider: JsonRpcApiProvider): JsonRpcLink {
  const connection = (
    provider as { _getConnection?: () => { url: string; headers: Record<string, string> } }
  )._getConnection?.();
  if (connection !== undefined && /^https?:/i.test(connection.url)) {
    // The connection's own headers (authorization…), not those this link sets itself or cannot honour (gzip).
    const headers = Object.fromEntries(
      Object.entries(connection.headers).filter(
        ([k]) => !["accept-encoding", "content-type", "content-length"].includes(k.toLowerCase()),
      ),
    );
    return new HttpJsonRpcLink(connection.url, headers);
  }
  return new ProviderLink(provider);
}
