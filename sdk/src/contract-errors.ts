import type { Interface, ParamType } from "ethers";
import {
  AssistanceStates,
  Assurance,
  AuthorizationReason,
  EmergencyReason,
  GrantType,
  ImpossibilityReason,
  IssuingAuthorityType,
  OrderDefect,
  ReviewGround,
  KeyAlgorithm,
  KeyPurpose,
  MemberStatus,
  OPEN_ENDED,
  ProposalKind,
  Right,
  Role,
} from "./constants";
import { CustodyEventType, EvidenceStatus, Verdict } from "./evidence";
import { CrossproofError } from "./errors";
import { isJurisdictionCode } from "./jurisdiction";
import {
  IAssistanceDesk__factory,
  IConsortiumGovernance__factory,
  IConsortium__factory,
  IEvidenceRegistry__factory,
  ILicenseRegistry__factory,
  IMemberSigned__factory,
  IRecognitionAgreements__factory,
} from "./typechain";

/** Finds revert data in an ethers error (call exceptions nest it in several places). */
function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    for (const k of ["error", "info", "cause", "data"]) stack.push((e as Record<string, unknown>)[k]);
  }
  return undefined;
}

// ---- Custom error arguments in words ------------------------------------------------------------------------------

/** `{ Name: code }` → names by code. */
const namesByCode = (table: Readonly<Record<string, number>>): readonly string[] => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(table)) names[code] = name;
  return names;
};

/** The value names of every Solidity enum a crossproof custom error takes, by its ABI `internalType`. */
export const ContractEnums: Readonly<Record<string, readonly string[]>> = {
  "IAssistanceDesk.State": AssistanceStates,
  "IAssistanceDesk.OrderDefect": namesByCode(OrderDefect),
  "IAssistanceDesk.ReviewGround": namesByCode(ReviewGround),
  "IAssistanceDesk.ImpossibilityReason": namesByCode(ImpossibilityReason),
  "IAssistanceDesk.IssuingAuthorityType": namesByCode(IssuingAuthorityType),
  "IConsortium.KeyAlgorithm": namesByCode(KeyAlgorithm),
  "IConsortium.KeyPurpose": namesByCode(KeyPurpose),
  "IConsortium.MemberStatus": namesByCode(MemberStatus),
  "IConsortiumGovernance.ProposalKind": namesByCode(ProposalKind),
  "IEvidenceRegistry.CustodyEventType": namesByCode(CustodyEventType),
  "IEvidenceRegistry.Verdict": namesByCode(Verdict),
  "IEvidenceRegistry.EvidenceStatus": namesByCode(EvidenceStatus),
  "ILicenseRegistry.GrantType": namesByCode(GrantType),
  "ILicenseRegistry.Reason": AuthorizationReason,
};

/** Bitmask and code arguments, by parameter name: the table that names their values. */
const FLAGS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  roles: Role,
  allowedRoles: Role,
  flag: Assurance,
  rights: Right,
  parentRights: Right,
};
const CODES: Readonly<Record<string, readonly string[]>> = { emergencyReason: namesByCode(EmergencyReason) };

/** uint64 arguments that are member ids. */
const MEMBERS = new Set(["memberId", "addressee", "requester", "counterparty", "recipient", "actor", "filedBy"]);
/** Names of integer arguments that are times (every uint48 is one too). */
const TIME_NAME = /(At|Time|From|Until|Since)$|^(deadline|start|end|horizon|parentStart|parentEnd)$/;

/** The enum type (`IEvidenceRegistry.EvidenceStatus`) of each enum argument of a custom error, by "Error.param". */
let enumArguments: Map<string, string> | undefined;
function enumTypeOf(error: string, param: string): string | undefined {
  if (enumArguments === undefined) {
    enumArguments = new Map();
    for (const abi of [
      IAssistanceDesk__factory.abi,
      IConsortium__factory.abi,
      IConsortiumGovernance__factory.abi,
      IEvidenceRegistry__factory.abi,
      ILicenseRegistry__factory.abi,
      IMemberSigned__factory.abi,
      IRecognitionAgreements__factory.abi,
    ]) {
      for (const item of abi as readonly { type: string; name?: string; inputs?: readonly unknown[] }[]) {
        if (item.type !== "error") continue;
        for (const input of (item.inputs ?? []) as readonly { name: string; internalType?: string }[]) {
          const m = /^enum (\S+)$/.exec(input.internalType ?? "");
          if (m) enumArguments.set(`${item.name}.${input.name}`, m[1]!);
        }
      }
    }
  }
  return enumArguments.get(`${error}.${param}`);
}

/** Unix seconds as ISO 8601 (`2026-03-01T12:00:00Z`); 0 is "none", the open-ended sentinel "open-ended". */
export function timeInWords(seconds: bigint | number): string {
  const s = BigInt(seconds);
  if (s === 0n) return "none";
  if (s === BigInt(OPEN_ENDED)) return "open-ended";
  const date = new Date(Number(s) * 1000);
  return Number.isNaN(date.getTime()) ? s.toString() : date.toISOString().replace(".000Z", "Z");
}

/** A `bytes2` jurisdiction as its two letters ("FR"); 0x0000 is "none". */
function jurisdictionInWords(hex: string): string {
  if (/^0x0{4}$/.test(hex)) return "none";
  const letters = Buffer.from(hex.slice(2), "hex").toString("latin1");
  if (isJurisdictionCode(letters)) return letters;
  return /^[A-Za-z]{2}$/.test(letters) ? `"${letters}" (not an assigned code)` : hex;
}

/** The names of the bits set in a mask ("AGENCY, COURT"), unknown bits as numbers; 0 is "none". */
function flagsInWords(mask: bigint, table: Readonly<Record<string, number>>): string {
  const names: string[] = [];
  let rest = mask;
  for (const [name, bit] of Object.entries(table)) {
    if ((mask & BigInt(bit)) !== 0n) {
      names.push(name);
      rest &= ~BigInt(bit);
    }
  }
  if (rest !== 0n) names.push(rest.toString());
  return names.length === 0 ? "none" : names.join(", ");
}

/** One custom-error argument in words, from its ABI name and type. */
function argumentInWords(error: string, p: ParamType, value: unknown): string {
  const enumType = enumTypeOf(error, p.name);
  if (enumType !== undefined) return ContractEnums[enumType]?.[Number(value)] ?? String(value);
  if (p.type === "bytes2") return jurisdictionInWords(String(value));
  if (p.type === "bool") return value ? "yes" : "no";
  if (!p.type.startsWith("uint")) return String(value);
  const v = BigInt(value as bigint);
  const flags = FLAGS[p.name];
  if (flags !== undefined) return flagsInWords(v, flags);
  const codes = CODES[p.name];
  if (codes !== undefined) return codes[Number(v)] ?? v.toString();
  if (p.type === "uint48" || (p.type !== "uint8" && TIME_NAME.test(p.name))) return timeInWords(v);
  if (MEMBERS.has(p.name)) return v === 0n ? "none" : `member #${v}`;
  const id = /^(agreement|proposal|dispute)Id$/.exec(p.name);
  if (id) return `${id[1]} #${v}`;
  return v.toString();
}

// ---- Unreachable nodes ----------------------------------------------------------------------------------------------

/** Socket errors that mean "no node answers there", in words. */
const UNREACHABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** The errors in `err` and its causes (ethers nests them in `error`, `info.error`, `cause`; Node in `errors`). */
function* errorChain(err: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0 && seen.size < 32) {
    const e = stack.pop();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const r = e as Record<string, unknown>;
    yield r;
    stack.push(r.error, r.cause, (r.info as Record<string, unknown> | undefined)?.error);
    if (Array.isArray(r.errors)) stack.push(...(r.errors as unknown[]));
  }
}

/**
 * `CHAIN_UNREACHABLE` when `err` says that no JSON-RPC node answers (connection refused, unknown host, ethers'
 * "failed to detect network", a failed `fetch`), naming `url` (or the address the socket tried) and what to check;
 * undefined for any other error.
 */
export function unreachableError(err: unknown, url?: string): CrossproofError | undefined {
  if (err instanceof CrossproofError) return err.code === "CHAIN_UNREACHABLE" ? err : undefined;
  let reason: string | undefined;
  let where = url;
  for (const e of errorChain(err)) {
    const code = typeof e.code === "string" ? e.code : undefined;
    const message = typeof e.message === "string" ? e.message : "";
    if (code !== undefined && UNREACHABLE[code] !== undefined) {
      reason ??= UNREACHABLE[code];
      if (where === undefined && typeof e.address === "string") {
        where = e.port === undefined ? e.address : `${e.address}:${String(e.port)}`;
      }
      if (where === undefined && typeof e.hostname === "string") where = e.hostname;
    } else if (/failed to detect network|fetch failed|failed to bootstrap network/i.test(message)) {
      reason ??= "no answer";
    }
  }
  if (reason === undefined) return undefined;
  const at = where === undefined ? "" : ` at ${where}`;
  return new CrossproofError(
    "CHAIN_UNREACHABLE",
    `cannot reach the chain${at} (${reason}): is the node running? Check the JSON-RPC URL (rpcUrl / CROSSPROOF_RPC_URL)`,
    { cause: err, details: { ...(where === undefined ? {} : { url: where }), reason } },
  );
}

// ---- Messages without dumps -----------------------------------------------------------------------------------------

/** ethers appends its error's fields to the message: ` (action="…", data="0x…", transaction={…}, …)`. */
const ETHERS_FIELDS =
  /\s*\((?:action|data|reason|transaction|info|code|version|argument|value|operation|request|receipt|error|payload|invocation|revert|shortMessage|event)=[\s\S]*$/;

/**
 * An error's message for people: the node's own words or ethers' short message, without the fields ethers appends
 * (`transaction={…}`, `data="0x…"`, `info={…}`), long hex (calldata, bytecode) replaced by its length, and at most
 * 300 characters. The original error stays available as the `cause`.
 */
export function plainMessage(err: unknown): string {
  const e = (err ?? {}) as {
    shortMessage?: unknown;
    message?: unknown;
    info?: { error?: { message?: unknown } };
    error?: { message?: unknown };
  };
  const node = e.info?.error?.message ?? e.error?.message;
  const raw = [node, e.shortMessage, e.message].find((m): m is string => typeof m === "string" && m !== "");
  let m = (raw ?? String(err)).replace(ETHERS_FIELDS, "");
  m = m.replace(/0x[0-9a-fA-F]{130,}/g, (h) => `<${(h.length - 2) / 2} bytes>`);
  m = m.replace(/\s+/g, " ").trim();
  return m.length > 300 ? `${m.slice(0, 299)}…` : m;
}

/**
 * Turns a failure of a contract call into a {@link CrossproofError}:
 * - a revert → `CONTRACT_REVERTED` naming the custom error, with `details.error` (its name), `details.args` (its
 *   arguments, integers as decimal strings) and `details.argsInWords` (by parameter name: jurisdictions as "FR",
 *   times as ISO 8601, role and right masks and enum values as names, member ids as "member #3"), all in the message;
 * - no node answering → `CHAIN_UNREACHABLE` (see {@link unreachableError});
 * - anything else → `CHAIN_ERROR`.
 * Messages never carry the transaction, its calldata or bytecode; the original error is the `cause`.
 */
export function toCrossproofError(err: unknown, interfaces: readonly Interface[], action: string): CrossproofError {
  if (err instanceof CrossproofError) return err;
  const unreachable = unreachableError(err);
  if (unreachable !== undefined) return unreachable;
  const data = revertData(err);
  if (data !== undefined) {
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed !== null) {
          const values = parsed.args.toArray() as unknown[];
          const args = values.map((a) => (typeof a === "bigint" ? a.toString() : a));
          const inputs = parsed.fragment.inputs;
          const argsInWords: Record<string, string> = {};
          const words = inputs.map((p, i) => {
            const w = argumentInWords(parsed.name, p, values[i]);
            argsInWords[p.name || String(i)] = w;
            return p.name ? `${p.name}: ${w}` : w;
          });
          return new CrossproofError("CONTRACT_REVERTED", `${action} refused: ${parsed.name}(${words.join(", ")})`, {
            cause: err,
            details: { error: parsed.name, args, argsInWords },
          });
        }
      } catch {
        // not this interface's error
      }
    }
    return new CrossproofError(
      "CONTRACT_REVERTED",
      `${action} reverted with an error the SDK does not know (selector ${data.slice(0, 10)})`,
      { cause: err, details: { error: "unknown", data } },
    );
  }
  return new CrossproofError("CHAIN_ERROR", `${action} failed: ${plainMessage(err)}`, { cause: err });
}
