/**
 * Checks of the arguments callers give the clients, made before any network call: each failure is an
 * `INVALID_ARGUMENT` {@link CrossproofError} naming the argument, what it must be, and (`details`) the argument's
 * name and value. Part of the pure core.
 */
import { ZeroAddress, getAddress } from "ethers";
import { OPEN_ENDED } from "./constants";
import type { Hex } from "./eip712";
import { CrossproofError } from "./errors";
import { NO_JURISDICTION, encodeJurisdiction, type JurisdictionHex } from "./jurisdiction";

/** A value as a message shows it: short, never a dump. */
function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 70 ? `${value.slice(0, 70)}…` : value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid Date" : value.toISOString();
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** Throws `INVALID_ARGUMENT`: "`name` must be `expected`, got `value`" (plus a hint). */
export function invalidArgument(name: string, value: unknown, expected: string, hint?: string): never {
  throw new CrossproofError(
    "INVALID_ARGUMENT",
    `${name} must be ${expected}, got ${shown(value)}${hint === undefined ? "" : `: ${hint}`}`,
    { details: { argument: name, value: typeof value === "bigint" ? value.toString() : value } },
  );
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const ZERO32 = `0x${"00".repeat(32)}`;

/** A `bytes32` (0x + 64 hex digits), lower-cased; `nonZero` refuses the zero hash. */
export function bytes32Arg(name: string, value: unknown, o: { nonZero?: boolean } = {}): Hex {
  if (typeof value !== "string" || !BYTES32.test(value))
    invalidArgument(name, value, "32 bytes of hex (0x + 64 digits)");
  const v = value.toLowerCase() as Hex;
  if (o.nonZero && v === ZERO32) invalidArgument(name, value, "a hash other than zero");
  return v;
}

/** An optional `bytes32`: absent → the zero hash. */
export function optionalBytes32Arg(name: string, value: unknown): Hex {
  return value === undefined ? (ZERO32 as Hex) : bytes32Arg(name, value);
}

/** A list of `bytes32`. */
export function bytes32ListArg(name: string, value: unknown): Hex[] {
  if (!Array.isArray(value)) invalidArgument(name, value, "a list of 32-byte hex values");
  return value.map((v, i) => bytes32Arg(`${name}[${i}]`, v));
}

/**
 * An account address (0x + 40 hex digits), checksummed. A mixed-case address whose checksum is wrong (a mistyped
 * digit) is refused; `nonZero` refuses the zero address.
 */
export function addressArg(name: string, value: unknown, o: { nonZero?: boolean } = {}): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    invalidArgument(name, value, "an address (0x + 40 hex digits)");
  }
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    invalidArgument(name, value, "an address with a valid checksum", "a digit may be mistyped");
  }
  if (o.nonZero && address === ZeroAddress) invalidArgument(name, value, "an address other than zero");
  return address;
}

/** An unsigned integer of `bits` bits (number or bigint). */
export function uintArg(name: string, value: unknown, bits: number, what = `an integer 0 to 2^${bits}-1`): bigint {
  // Decimal strings too: JSON carries large integers so.
  const ok =
    (typeof value === "bigint" ||
      (typeof value === "number" && Number.isSafeInteger(value)) ||
      (typeof value === "string" && /^[0-9]{1,78}$/.test(value))) &&
    BigInt(value) >= 0n &&
    BigInt(value) < 1n << BigInt(bits);
  if (!ok) invalidArgument(name, value, what);
  return BigInt(value as bigint | number | string);
}

/** A member id (uint64); `nonZero` refuses 0 (no member). */
export function memberIdArg(name: string, value: unknown, o: { nonZero?: boolean } = {}): bigint {
  const id = uintArg(name, value, 64, "a member id (a whole number)");
  if (o.nonZero && id === 0n) invalidArgument(name, value, "a member id (members are numbered from 1)");
  return id;
}

/** Above this a time in seconds is past year 5000: it is a time in milliseconds. */
const MILLISECONDS_THRESHOLD = 1e11;

/**
 * Unix seconds from a Date or seconds (uint48, as the contracts store times). A number above 10^11 is refused as
 * milliseconds (`Date.now()` where seconds are expected), except the open-ended sentinel when `openEnded` allows it.
 */
export function unixSecondsArg(name: string, value: unknown, o: { openEnded?: boolean } = {}): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms) || ms < 0) invalidArgument(name, value, "a valid Date after 1970");
    return Math.floor(ms / 1000);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    invalidArgument(name, value, "a Date or unix seconds (a whole number)");
  }
  if (o.openEnded && value === OPEN_ENDED) return value;
  if (value > MILLISECONDS_THRESHOLD) {
    invalidArgument(name, value, "unix seconds", "looks like milliseconds; pass seconds or a Date");
  }
  return value;
}

/** An optional time: absent → 0 (which each request defines: from the grant's block, open-ended…). */
export function optionalUnixSecondsArg(name: string, value: unknown, o: { openEnded?: boolean } = {}): number {
  return value === undefined ? 0 : unixSecondsArg(name, value, o);
}

/**
 * A duration in whole seconds, 1 (0 with `allowZero`) to 2^32-1 (a week is 604800); absent stays absent. A
 * millisecond count (`validFor: 3_600_000` for an hour) is over 41 days: it is accepted, but never silently scaled.
 */
export function secondsArg(name: string, value: unknown, o: { allowZero?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = o.allowZero ? 0 : 1;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > 0xffffffff) {
    invalidArgument(name, value, `a number of seconds (${min} to 2^32-1)`);
  }
  return value;
}

/** An ISO 3166-1 alpha-2 code, encoded as the contracts store it. */
export function jurisdictionArg(name: string, value: unknown): JurisdictionHex {
  return encodeJurisdiction(value, name);
}

/** An optional ISO 3166-1 alpha-2 code: absent → 0x0000 (not stated). */
export function optionalJurisdictionArg(name: string, value: unknown): JurisdictionHex {
  return value === undefined ? NO_JURISDICTION : encodeJurisdiction(value, name);
}

/** A name from an enum table (`{ Name: code }`): its code. */
export function enumArg<N extends string>(name: string, value: unknown, table: Readonly<Record<N, number>>): number {
  if (typeof value !== "string" || !Object.prototype.hasOwnProperty.call(table, value)) {
    invalidArgument(name, value, `one of ${Object.keys(table).join(", ")}`);
  }
  return table[value as N];
}

/** Names from a bitmask table (`{ NAME: bit }`): their OR. */
export function flagsArg<N extends string>(name: string, value: unknown, table: Readonly<Record<N, number>>): number {
  if (!Array.isArray(value)) invalidArgument(name, value, `a list of ${Object.keys(table).join(", ")}`);
  return value.reduce<number>((mask, v, i) => mask | enumArg(`${name}[${i}]`, v, table), 0);
}
