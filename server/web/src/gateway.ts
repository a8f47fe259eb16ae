/**
 * The gateway's HTTP API, as the page uses it (same origin). Problems (RFC 9457) become {@link GatewayError}s.
 */
import type { AnyVerificationReport, VerificationReport } from "../../../sdk/src/browser";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? `HTTP ${status}`);
  }
  get code(): string | undefined {
    return this.problem?.code ?? this.problem?.type.replace(/^urn:crossproof:problem:/, "");
  }
}

export type Principal =
  | { kind: "member"; memberId: string; roles: string[]; jurisdiction: string; address: string; staff?: string }
  | { kind: "account"; address: string };

export interface VerificationOptions {
  anchoredBy?: number;
  batch?: { batchId: string; proof: string[] };
  timePolicy?: "at-anchoring" | "at-collection" | "now";
}

export interface SignedReport {
  report: VerificationReport;
  jws: string;
  kid: string;
}

export interface PublicAnswer {
  anchored: boolean;
  anchoredAt?: string;
  jurisdiction?: string;
  report?: AnyVerificationReport;
}

export interface JsonWebKeySet {
  keys: (Record<string, unknown> & {
    kid: string;
    crossproof_member?: string;
    valid_from?: string;
    valid_until?: string;
  })[];
}

const TOKEN_KEY = "crossproof.session";

export class Gateway {
  #token: string | undefined;
  principal: Principal | undefined;

  constructor() {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved !== null) {
      try {
        const s = JSON.parse(saved) as { token: string; principal: Principal; expiresAt: number };
        if (s.expiresAt > Date.now()) {
          this.#token = s.token;
          this.principal = s.principal;
        }
      } catch {
        sessionStorage.removeItem(TOKEN_KEY);
      }
    }
  }

  get signedIn(): boolean {
    return this.#token !== undefined;
  }

  get isMember(): boolean {
    return this.principal?.kind === "member";
  }

  signOut(): void {
    this.#token = undefined;
    this.principal = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  async #call<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return this.#answer<T>(res.status, await res.text());
  }

  #answer<T>(status: number, text: string): T {
    let value: unknown;
    try {
      value = text === "" ? undefined : JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (status >= 400) {
      if (status === 401 && this.#token !== undefined) this.signOut();
      throw new GatewayError(status, value as Problem | undefined);
    }
    return value as T;
  }

  nonce() {
    return this.#call<{ nonce: string; domain: string; uri: string; chainId: number; version: "1"; statement: string }>(
      "POST",
      "/v1/auth/nonce",
      undefined,
      false,
    );
  }

  async signIn(message: string, signature: string): Promise<Principal> {
    const s = await this.#call<{ token: string; expiresAt: string | number; principal: Principal }>(
      "POST",
      "/v1/auth/siwe",
      { message, signature },
      false,
    );
    const expiresAt = typeof s.expiresAt === "number" ? s.expiresAt * 1000 : Date.parse(s.expiresAt);
    this.#token = s.token;
    this.principal = s.principal;
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token: s.token, principal: s.principal, expiresAt }));
    return s.principal;
  }

  verifyByHash(contentHash: string, o: VerificationOptions): Promise<SignedReport> {
    return this.#call("POST", "/v1/verifications", { evidence: { contentHash }, ...o });
  }

  verifyByPackageCid(packageCid: string, o: VerificationOptions): Promise<SignedReport> {
    return this.#call("POST", "/v1/verifications", { evidence: { packageCid }, ...o });
  }

  /** The manifest, and the files given (possibly none), as multipart; `onProgress` with the bytes sent. */
  upload(
    manifest: Uint8Array,
    files: readonly { path: string; file: File }[],
    o: VerificationOptions,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<SignedReport> {
    const form = new FormData();
    form.append("options", JSON.stringify(o));
    form.append("manifest", new Blob([manifest.slice()], { type: "application/json" }), "manifest.json");
    for (const f of files) form.append("file", f.file, f.path);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/verifications/upload");
      if (this.#token !== undefined) xhr.setRequestHeader("authorization", `Bearer ${this.#token}`);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
      xhr.onload = () => {
        try {
          resolve(this.#answer<SignedReport>(xhr.status, xhr.responseText));
        } catch (err) {
          reject(err as Error);
        }
      };
      xhr.onerror = () => reject(new GatewayError(0, undefined));
      xhr.onabort = () => reject(new DOMException("upload cancelled", "AbortError"));
      signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }

  publicEvidence(contentHash: string): Promise<PublicAnswer> {
    return this.#call("GET", `/v1/public/evidence/${contentHash}`, undefined, false);
  }

  jwks(): Promise<JsonWebKeySet> {
    return this.#call("GET", "/.well-known/jwks.json", undefined, false);
  }

  /** The gateway's own check of a report against the chain (the key registered and valid at signing). */
  verifyReportOnChain(jws: string) {
    return this.#call<{ valid: true; issuerMemberId: string; kid: string; signedAt: string }>(
      "POST",
      "/v1/reports/verify",
      { jws },
      false,
    );
  }

  member(id: string) {
    return this.#call<{
      memberId: string;
      jurisdiction: string;
      roles: string[];
      status: string;
      signingKeys: { address: string; validFrom: string; validUntil: string | null; validNow: boolean }[];
    }>("GET", `/v1/members/${id}`);
  }

  agreement(id: string) {
    return this.#call<{
      agreementId: string;
      from: string;
      to: string;
      categories: number[];
      minAssurance: string[];
      anchorWindow: number;
      effectiveFrom: string;
      expiresAt: string | null;
      textHash: string;
      concludedAt: string | null;
      suspended: boolean;
    }>("GET", `/v1/agreements/${id}`);
  }

  record(recordId: string) {
    return this.#call<{ signer: string; transactionHash: string; blockNumber: number; status: string }>(
      "GET",
      `/v1/evidence/${recordId}`,
    );
  }

  custody(recordId: string) {
    return this.#call<{
      events: {
        sequence: number;
        eventType: string;
        actor: string;
        counterparty: string | null;
        occurredAt: string;
        signer: string;
        transactionHash?: string;
        blockNumber?: number;
      }[];
      verification: { status: string };
    }>("GET", `/v1/evidence/${recordId}/custody`);
  }

  licenceAuthorization(licenceId: string, right: string, territory: string) {
    const q = new URLSearchParams({ right, territory });
    return this.#call<{
      authorized: boolean;
      reason: string;
      summary: string;
      at: string;
      chain: {
        licence: {
          licenceId: string;
          licensor: string;
          licensee: string;
          rights: string[];
          territories: string[];
          worldwide: boolean;
          start: string;
          end: string;
        };
        valid: boolean;
        reason: string;
        explanation: string;
      }[];
    }>("GET", `/v1/licences/${licenceId}/authorization?${q.toString()}`);
  }
}
