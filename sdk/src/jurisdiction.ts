import { CrossproofError } from "./errors";

/** An ISO 3166-1 alpha-2 code, as on chain: `bytes2` hex ("FR" is "0x4652"). */
export type JurisdictionHex = `0x${string}`;

const CODE = /^[A-Z]{2}$/;

/**
 * Encodes an ISO 3166-1 alpha-2 code as the contracts store it.
 * @example toJurisdiction("FR") // "0x4652"
 */
export function toJurisdiction(code: string): JurisdictionHex {
  if (!CODE.test(code)) {
    throw new CrossproofError("INVALID_JURISDICTION", `not an ISO 3166-1 alpha-2 code: ${JSON.stringify(code)}`);
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
  if (!CODE.test(code)) {
    throw new CrossproofError("INVALID_JURISDICTION", `not an encoded ISO 3166-1 alpha-2 code: ${hex}`);
  }
  return code;
}

/** True for two upper-case ASCII letters. */
export function isJurisdictionCode(code: string): boolean {
  return CODE.test(code);
}
