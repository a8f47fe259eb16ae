/**
 * A signed report checked in the browser: its signature with the SDK's `verifyReport` against the issuer's report
 * keys this gateway publishes (its JWKS; for a member it does not host, the keys the ledger registers for the
 * issuer, read through the gateway), the key's validity window at the signing time, and — by the gateway, against
 * the ledger — the key's registration and the issuer's standing when it signed.
 */
import { verifyReport, type AnyVerificationReport } from "../../../sdk/src/browser";
import { GatewayError, type Gateway, type JsonWebKeySet } from "./gateway";
import type { SignatureState } from "./report-view";

interface Header {
  kid?: string;
  iat?: number;
  "crossproof.issuer"?: string;
}

function headerOf(jws: string): Header {
  try {
    const b64 = jws.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="))) as Header;
  } catch {
    return {};
  }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The issuer's report keys: the gateway's JWKS, else (a member hosted elsewhere) those registered on chain. */
async function keysOf(gateway: Gateway, issuer: string): Promise<JsonWebKeySet["keys"]> {
  const published = (await gateway.jwks()).keys.filter((k) => k.crossproof_member === issuer);
  if (published.length > 0) return published;
  try {
    const m = (await gateway.member(issuer)) as unknown as {
      publicKeys?: {
        kid: string;
        purpose: string;
        validFrom: string;
        validUntil: string | null;
        jwk: Record<string, unknown>;
      }[];
    };
    return (m.publicKeys ?? [])
      .filter((k) => k.purpose === "Report")
      .map((k) => ({
        ...k.jwk,
        kid: k.kid,
        crossproof_member: issuer,
        valid_from: k.validFrom,
        ...(k.validUntil === null ? {} : { valid_until: k.validUntil }),
      }));
  } catch {
    return [];
  }
}

export interface CheckedReport {
  report: AnyVerificationReport | undefined;
  signature: SignatureState;
}

export async function checkSignedReport(gateway: Gateway, jws: string): Promise<CheckedReport> {
  const header = headerOf(jws);
  const issuer = header["crossproof.issuer"] ?? "";
  let keys: JsonWebKeySet["keys"] = [];
  if (/^[1-9][0-9]*$/.test(issuer)) keys = await keysOf(gateway, issuer);
  let verified;
  try {
    verified = await verifyReport(jws, {
      keySet: { keys: keys as never },
      issuerMemberId: BigInt(issuer || "0") || undefined,
    });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "REPORT_MALFORMED";
    return { report: undefined, signature: { ok: false, code, reason: (err as Error).message } };
  }
  // The key set states each key's validity window: the signing time must fall inside it.
  const key = keys.find((k) => k.kid === verified.kid);
  const from = key?.valid_from === undefined ? -Infinity : Date.parse(key.valid_from) / 1000;
  const until = key?.valid_until === undefined ? Infinity : Date.parse(key.valid_until) / 1000;
  if (verified.signedAt < from || verified.signedAt >= until) {
    return {
      report: undefined,
      signature: {
        ok: false,
        code: "REPORT_KEY_NOT_VALID_AT_SIGNING",
        reason: `${verified.kid} at ${iso(verified.signedAt)}`,
      },
    };
  }
  let chain: { ok: true } | { ok: false; reason: string };
  try {
    await gateway.verifyReportOnChain(jws);
    chain = { ok: true };
  } catch (err) {
    chain = {
      ok: false,
      reason: err instanceof GatewayError ? `${err.code ?? err.status}: ${err.message}` : String(err),
    };
  }
  return {
    report: verified.report,
    signature: {
      ok: true,
      issuer: verified.issuerMemberId.toString(),
      kid: verified.kid,
      signedAt: iso(verified.signedAt),
      chain,
    },
  };
}
