import { iso31661 } from "iso-3166";
import { CrossproofError } from "./errors";

/** An ISO 3166-1 alpha-2 code, as on chain: `bytes2` hex ("FR" is "0x4652"). */
export type JurisdictionHex = `0x${string}`;

/** The officially assigned ISO 3166-1 alpha-2 codes (the contracts hold the same set; a test checks both agree). */
const ASSIGNED: ReadonlySet<string> = new Set(iso31661.map((c) => c.alpha2));

/** True for an officially assigned ISO 3166-1 alpha-2 code ("FR"; not "XX", "fr" or "FRA"). */
export function isJurisdictionCode(code: string): boolean {
  return ASSIGNED.has(code);
}

/** Why `code` is not a jurisdiction, in words, with the likely fix. */
function notAJurisdiction(code: unknown, what: string): string {
  const shown =
    typeof code === "string" ? JSON.stringify(code.length > 12 ? `${code.slice(0, 12)}…` : code) : String(code);
  const upper = typeof code === "string" ? code.toUpperCase() : "";
  const hint =
    typeof code === "string" && code !== upper && isJurisdictionCode(upper)
      ? ` (codes are upper case: "${upper}")`
      : typeof code === "string" && /^[A-Za-z]{3}$/.test(code)
        ? " (give the two-letter code, not the three-letter one)"
        : "";
  return `${what} ${shown} is not an assigned ISO 3166-1 alpha-2 code${hint}`;
}

/**
 * Encodes an ISO 3166-1 alpha-2 code as the contracts store it; `INVALID_ARGUMENT` for anything else ("XX", "fr",
 * "FRA").
 * @example toJurisdiction("FR") // "0x4652"
 */
export function toJurisdiction(code: string): JurisdictionHex {
  return encodeJurisdiction(code, "the jurisdiction");
}

/** {@link toJurisdiction}, naming the argument `name` in the error ("firstUpload \"fr\" is not…"). */
export function encodeJurisdiction(code: unknown, name: string): JurisdictionHex {
  if (typeof code !== "string" || !isJurisdictionCode(code)) {
    throw new CrossproofError("INVALID_ARGUMENT", notAJurisdiction(code, name), {
      details: { argument: name, value: code },
    });
  }
  return `0x${Buffer.from(code, "ascii").toString("hex")}`;
}

/**
 * Decodes a `bytes2` jurisdiction to its two letters.
 * @example fromJurisdiction("0x4652") // "FR"
 */
export function fromJurisdiction(hex: string): string {
  const m = /^0x([0-9a-fA-F]{4})$/.exec(hex);
  const code = m ? Buffer.from(m[1]!, "hex").toString("ascii") : "";
  if (!isJurisdictionCode(code)) {
    throw new CrossproofError("INVALID_ARGUMENT", `not an encoded ISO 3166-1 alpha-2 code: ${hex}`, {
      details: { value: hex },
    });
  }
  return code;
}

/** The zero `bytes2`: a jurisdiction that is not stated. */
export const NO_JURISDICTION: JurisdictionHex = "0x0000";

/** Encodes an optional code: absent → {@link NO_JURISDICTION}. */
export function toOptionalJurisdiction(code: string | undefined): JurisdictionHex {
  return code === undefined ? NO_JURISDICTION : toJurisdiction(code);
}
