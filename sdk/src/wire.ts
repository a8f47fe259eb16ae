/**
 * Signed requests on the wire: the JSON a client sends to a gateway (`POST /v1/submissions`) — the contract, the
 * EIP-712 primary type and domain, the request's fields, the signature and any second signature — and the
 * functions that write it, read it back and turn it into the contract call.
 *
 * Fields are written as the contract's EIP-712 type table says: integers as decimal strings (a JSON number loses
 * precision past 2^53), `bytes`, `bytesN` and addresses as 0x-hex, booleans as booleans, arrays and structs as JSON
 * arrays and objects. Reading checks every field against the same table (no field missing, none extra, each in its
 * type's range), so what is read hashes exactly as it was signed.
 * @example
 * const wire = toWireRequest(await cp.evidence.signAnchorEvidence(agencyKey, anchor));
 * await fetch(`${gateway}/v1/submissions`, { method: "POST", headers, body: JSON.stringify(wire) });
 * // in the gateway:
 * const signed = parseWireRequest(body);
 * const call = signedRequestCall(cp, signed); // { to, data, error(), result(receipt) }
 */
import { TypedDataEncoder, getAddress, recoverAddress, type TypedDataDomain, type TypedDataField } from "ethers";
import { AssistanceDeskTypes } from "./assistance";
import type { Crossproof } from "./connect";
import { AgreementTypes, ConsortiumTypes, GovernanceTypes } from "./consortium";
import type { ContractClient, RequestCall } from "./contract-client";
import { DOMAIN_VERSION, DomainName, typesFor, type ContractName, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { EvidenceRegistryTypes } from "./evidence";
import { LicenseRegistryTypes } from "./licensing";

/** The format tag of a signed request on the wire. */
export const SIGNED_REQUEST_FORMAT = "crossproof.signed-request/1" as const;

/** The EIP-712 type table of every crossproof contract's requests. */
export const RequestTypes = {
  Consortium: ConsortiumTypes,
  ConsortiumGovernance: GovernanceTypes,
  RecognitionAgreements: AgreementTypes,
  EvidenceRegistry: EvidenceRegistryTypes,
  LicenseRegistry: LicenseRegistryTypes,
  AssistanceDesk: AssistanceDeskTypes,
} as const satisfies Record<ContractName, Record<string, readonly TypedDataField[]>>;

/** A field's value on the wire. */
export type WireValue = string | boolean | WireValue[] | { [field: string]: WireValue };

/** An EIP-712 domain on the wire (the chain id as a decimal string). */
export interface WireDomain {
  name: string;
  version: string;
  chainId: string;
  verifyingContract: string;
  salt: string;
}

/** A signed request as JSON. */
export interface WireSignedRequest {
  format: typeof SIGNED_REQUEST_FORMAT;
  contract: ContractName;
  /** The EIP-712 primary type ("AnchorEvidence"). */
  primaryType: string;
  domain: WireDomain;
  request: Record<string, WireValue>;
  /** The signer's signature (65 bytes). */
  signature: Hex;
  /** The key that signed, as the signer recovered it (checked again by whoever reads the request). */
  signer: string;
  /**
   * Second signatures of the same request, by name: `newHolderSignature` (LicenseRegistry `AssignWork`),
   * `keySignature` (Consortium `AddOwnKey`). Absent when there are none.
   */
  cosignatures?: Record<string, Hex>;
}

/**
 * A signed request read from the wire: a {@link SignedRequest} whose fields have the SDK's types (integers up to 48
 * bits as numbers, wider ones as bigints), with its contract, and its second signatures both in `cosignatures` and
 * as properties of their own name (as `signAssignment` and `signAddOwnKey` return them).
 */
export type ParsedSignedRequest = SignedRequest<Record<string, unknown>> & {
  contract: ContractName;
  cosignatures: Readonly<Record<string, Hex>>;
};

const SIGNED_REQUEST_KEYS = new Set(["primaryType", "domain", "request", "signature", "signer"]);
const MAX_ARRAY_LENGTH = 1024;

/** The contract whose EIP-712 domain has this name. */
function contractOfDomain(name: unknown): ContractName {
  const found = (Object.keys(DomainName) as ContractName[]).find((c) => DomainName[c] === name);
  if (found === undefined) {
    throw new CrossproofError("INVALID_ARGUMENT", `not the domain of a crossproof contract: ${String(name)}`, {
      details: { argument: "domain.name", value: name },
    });
  }
  return found;
}

/** The types a request of `contract` with this primary type is hashed with. */
function tableOf(contract: ContractName, primaryType: string): Record<string, TypedDataField[]> {
  const table = RequestTypes[contract] as Record<string, readonly TypedDataField[]>;
  if (!Object.prototype.hasOwnProperty.call(table, primaryType)) {
    throw new CrossproofError("INVALID_ARGUMENT", `the ${contract} takes no ${primaryType} requests`, {
      details: { argument: "primaryType", value: primaryType, known: Object.keys(table) },
    });
  }
  return typesFor(table, primaryType);
}

const bad = (path: string, value: unknown, expected: string): never => {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : typeof value;
  throw new CrossproofError("INVALID_ARGUMENT", `${path} must be ${expected}, got ${shown}`, {
    details: { argument: path, value: typeof value === "bigint" ? value.toString() : value },
  });
};

/** An integer field's value (a bigint, a safe integer or a decimal string) checked against its type's range. */
function integer(type: string, value: unknown, path: string): bigint {
  const m = /^(u?)int(\d*)$/.exec(type)!;
  const bits = BigInt(m[2] === "" ? 256 : Number(m[2]));
  const signed = m[1] === "";
  let v: bigint | undefined;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === "string" && /^-?(0|[1-9][0-9]{0,77})$/.test(value)) v = BigInt(value);
  if (v === undefined) return bad(path, value, `a ${type} as a decimal string`);
  const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (v < min || v > max) bad(path, value, `a ${type} (${min} to ${max})`);
  return v;
}

function hexBytes(type: string, value: unknown, path: string): Hex {
  const size = type === "bytes" ? undefined : Number(type.slice(5));
  const re = size === undefined ? /^0x(?:[0-9a-fA-F]{2})*$/ : new RegExp(`^0x[0-9a-fA-F]{${size * 2}}$`);
  if (typeof value !== "string" || !re.test(value)) {
    return bad(path, value, size === undefined ? "bytes as 0x-hex" : `${size} bytes as 0x-hex`);
  }
  return value.toLowerCase() as Hex;
}

function address(value: unknown, path: string): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) return bad(path, value, "an address");
  try {
    return getAddress(value);
  } catch {
    return bad(path, value, "an address with a valid checksum (or all lower case)");
  }
}

type Direction = "write" | "read";

/**
 * One value converted by its EIP-712 type: to the wire (`write`), or from it with every check (`read`). Reading
 * gives integers up to 48 bits as numbers and wider ones as bigints, as the SDK's request types have them.
 */
function convert(
  types: Record<string, TypedDataField[]>,
  type: string,
  value: unknown,
  path: string,
  direction: Direction,
): unknown {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array !== null) {
    const length = array[2] === "" ? undefined : Number(array[2]);
    if (!Array.isArray(value)) return bad(path, value, `a list of ${array[1]}`);
    if (length !== undefined && value.length !== length) bad(path, value, `a list of ${length} ${array[1]}`);
    if (value.length > MAX_ARRAY_LENGTH) bad(path, value, `a list of at most ${MAX_ARRAY_LENGTH} items`);
    return value.map((v, i) => convert(types, array[1]!, v, `${path}[${i}]`, direction));
  }
  const struct = types[type];
  if (struct !== undefined) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return bad(path, value, `a ${type}`);
    const record = value as Record<string, unknown>;
    const names = new Set(struct.map((f) => f.name));
    const extra = Object.keys(record).find((k) => !names.has(k));
    if (extra !== undefined) bad(`${path}.${extra}`, record[extra], `absent (${type} has no such field)`);
    const out: Record<string, unknown> = {};
    for (const f of struct) {
      if (!Object.prototype.hasOwnProperty.call(record, f.name)) bad(`${path}.${f.name}`, undefined, `a ${f.type}`);
      out[f.name] = convert(types, f.type, record[f.name], `${path}.${f.name}`, direction);
    }
    return out;
  }
  if (/^u?int\d*$/.test(type)) {
    const v = integer(type, value, path);
    if (direction === "write") return v.toString();
    return Number(type.replace(/^u?int/, "") || 256) <= 48 ? Number(v) : v;
  }
  if (type === "bool") return typeof value === "boolean" ? value : bad(path, value, "true or false");
  if (type === "address") return address(value, path);
  if (type === "string") return typeof value === "string" ? value : bad(path, value, "a string");
  if (/^bytes(\d+)?$/.test(type)) return hexBytes(type, value, path);
  throw new CrossproofError("INVALID_ARGUMENT", `${path}: unsupported EIP-712 type ${type}`);
}

function signatureOf(value: unknown, path: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(value)) {
    return bad(path, value, "a 65-byte signature as 0x-hex");
  }
  return value.toLowerCase() as Hex;
}

/**
 * A signed request as JSON for the wire ({@link WireSignedRequest}). The contract is the one its domain names;
 * second signatures are the request's other `…Signature` properties.
 * @example
 * const body = JSON.stringify(toWireRequest(await licences.signAssignment(holder, newHolder, assignment)));
 */
export function toWireRequest(signed: SignedRequest<unknown>): WireSignedRequest {
  const contract = contractOfDomain(signed.domain.name);
  const types = tableOf(contract, signed.primaryType);
  const cosignatures: Record<string, Hex> = {};
  for (const [k, v] of Object.entries(signed)) {
    if (!SIGNED_REQUEST_KEYS.has(k) && k.endsWith("Signature")) cosignatures[k] = signatureOf(v, k);
  }
  const d = signed.domain;
  return {
    format: SIGNED_REQUEST_FORMAT,
    contract,
    primaryType: signed.primaryType,
    domain: {
      name: String(d.name),
      version: String(d.version),
      chainId: String(d.chainId),
      verifyingContract: address(d.verifyingContract, "domain.verifyingContract"),
      salt: hexBytes("bytes32", d.salt, "domain.salt"),
    },
    request: convert(types, signed.primaryType, signed.request, "request", "write") as Record<string, WireValue>,
    signature: signatureOf(signed.signature, "signature"),
    signer: address(signed.signer, "signer"),
    ...(Object.keys(cosignatures).length === 0 ? {} : { cosignatures }),
  };
}

/**
 * Reads a signed request from the wire, checking every field against the contract's EIP-712 types
 * (`INVALID_ARGUMENT` naming the field otherwise). No signature is checked here: see
 * {@link recoverRequestSigners}, and the contract itself.
 */
export function parseWireRequest(json: unknown): ParsedSignedRequest {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return bad("body", json, "a signed request");
  const w = json as Record<string, unknown>;
  if (w.format !== SIGNED_REQUEST_FORMAT) bad("format", w.format, `"${SIGNED_REQUEST_FORMAT}"`);
  const contract = w.contract;
  if (typeof contract !== "string" || !Object.prototype.hasOwnProperty.call(DomainName, contract)) {
    return bad("contract", contract, `one of ${Object.keys(DomainName).join(", ")}`);
  }
  const name = contract as ContractName;
  if (typeof w.primaryType !== "string") return bad("primaryType", w.primaryType, "an EIP-712 primary type");
  const types = tableOf(name, w.primaryType);
  const d = (w.domain ?? {}) as Record<string, unknown>;
  if (d.name !== DomainName[name]) bad("domain.name", d.name, `"${DomainName[name]}" (the ${name}'s)`);
  if (d.version !== DOMAIN_VERSION) bad("domain.version", d.version, `"${DOMAIN_VERSION}"`);
  const domain: TypedDataDomain = {
    name: DomainName[name],
    version: DOMAIN_VERSION,
    chainId: integer("uint256", d.chainId, "domain.chainId"),
    verifyingContract: address(d.verifyingContract, "domain.verifyingContract"),
    salt: hexBytes("bytes32", d.salt, "domain.salt"),
  };
  const cosignatures: Record<string, Hex> = {};
  if (w.cosignatures !== undefined) {
    if (w.cosignatures === null || typeof w.cosignatures !== "object" || Array.isArray(w.cosignatures)) {
      bad("cosignatures", w.cosignatures, "an object of named signatures");
    }
    for (const [k, v] of Object.entries(w.cosignatures as Record<string, unknown>)) {
      if (!/^[a-z][A-Za-z]*Signature$/.test(k) || SIGNED_REQUEST_KEYS.has(k)) {
        bad(`cosignatures.${k}`, k, "named like newHolderSignature or keySignature");
      }
      cosignatures[k] = signatureOf(v, `cosignatures.${k}`);
    }
  }
  const request = convert(types, w.primaryType, w.request, "request", "read") as Record<string, unknown>;
  return {
    ...cosignatures,
    contract: name,
    primaryType: w.primaryType,
    domain,
    request,
    signature: signatureOf(w.signature, "signature"),
    signer: address(w.signer, "signer"),
    cosignatures,
  };
}

/** The EIP-712 digest of a signed request (what each of its signatures signs): its identity. */
export function signedRequestDigest(signed: SignedRequest<unknown>): Hex {
  const contract = contractOfDomain(signed.domain.name);
  return TypedDataEncoder.hash(
    signed.domain,
    tableOf(contract, signed.primaryType),
    signed.request as Record<string, unknown>,
  ) as Hex;
}

/**
 * Recovers, offline, the key behind the signature and behind each second signature (ECDSA over the request's
 * EIP-712 digest). `SIGNATURE_INVALID` when a signature recovers no key, or when the signature is not the named
 * signer's. Whether those keys may make the request is the contract's to say (a static call).
 */
export function recoverRequestSigners(signed: ParsedSignedRequest): {
  digest: Hex;
  signer: string;
  cosigners: Record<string, string>;
} {
  const digest = signedRequestDigest(signed);
  const recover = (signature: string, what: string) => {
    try {
      return recoverAddress(digest, signature);
    } catch (cause) {
      throw new CrossproofError("SIGNATURE_INVALID", `the ${what} is not a valid ECDSA signature`, { cause });
    }
  };
  const signer = recover(signed.signature, "signature");
  if (signer !== getAddress(signed.signer)) {
    throw new CrossproofError(
      "SIGNATURE_INVALID",
      `the signature over this ${signed.primaryType} request is not ${signed.signer}'s (it recovers ${signer}): ` +
        "the request was changed after signing, or signed for another domain",
      { details: { claimed: signed.signer, recovered: signer } },
    );
  }
  const cosigners: Record<string, string> = {};
  for (const [name, signature] of Object.entries(signed.cosignatures)) cosigners[name] = recover(signature, name);
  return { digest, signer, cosigners };
}

/** Two EIP-712 domains are the same. */
function sameDomain(a: TypedDataDomain, b: TypedDataDomain): boolean {
  const lower = (v: unknown) => String(v ?? "").toLowerCase();
  return (
    a.name === b.name &&
    a.version === b.version &&
    BigInt(a.chainId ?? -1) === BigInt(b.chainId ?? -2) &&
    lower(a.verifyingContract) === lower(b.verifyingContract) &&
    lower(a.salt) === lower(b.salt)
  );
}

/**
 * The contract call a signed request becomes on this connection's deployment, through the client that submits
 * its kind (each client's own table of requests: contract, function, action, result decoder): where it goes, its
 * calldata, how a refusal reads and how the result is decoded from the receipt. `SIGNATURE_INVALID` when the
 * request was signed for another deployment (its domain is not the contract's here).
 * @example
 * const call = signedRequestCall(cp, parseWireRequest(body));
 * const receipt = await provider.getTransactionReceipt(await send(call.to, call.data));
 * const { recordId } = call.result(receipt);
 */
export function signedRequestCall(cp: Crossproof, signed: ParsedSignedRequest): RequestCall<unknown> {
  const { client, domain } = clientFor(cp, signed.contract);
  if (!sameDomain(signed.domain, domain)) {
    const show = (d: TypedDataDomain) => `${d.name} on chain ${d.chainId} at ${d.verifyingContract} (salt ${d.salt})`;
    const json = (d: TypedDataDomain) => ({ ...d, chainId: String(d.chainId) });
    throw new CrossproofError(
      "SIGNATURE_INVALID",
      `the request is signed for ${show(signed.domain)}, not for this deployment's ${show(domain)}`,
      { details: { expected: json(domain), actual: json(signed.domain) } },
    );
  }
  const call = client.requestCall(signed as unknown as SignedRequest<never, never>);
  if (call.to.toLowerCase() !== String(domain.verifyingContract).toLowerCase()) {
    throw new CrossproofError("INVALID_ARGUMENT", `${signed.primaryType} is not a request of the ${signed.contract}`);
  }
  return call as RequestCall<unknown>;
}

/** The client that submits a contract's requests, and that contract's domain. */
function clientFor(
  cp: Crossproof,
  contract: ContractName,
): { client: ContractClient<Record<string, unknown>, Record<string, unknown>>; domain: TypedDataDomain } {
  type AnyClient = ContractClient<Record<string, unknown>, Record<string, unknown>>;
  switch (contract) {
    case "Consortium":
      return { client: cp.consortium as unknown as AnyClient, domain: cp.consortium.domains.consortium };
    case "ConsortiumGovernance":
      return { client: cp.consortium as unknown as AnyClient, domain: cp.consortium.domains.governance };
    case "RecognitionAgreements":
      return { client: cp.consortium as unknown as AnyClient, domain: cp.consortium.domains.agreements };
    case "EvidenceRegistry":
      return { client: cp.evidence as unknown as AnyClient, domain: cp.evidence.domain };
    case "LicenseRegistry":
      return { client: cp.licenses as unknown as AnyClient, domain: cp.licenses.domain };
    case "AssistanceDesk":
      return { client: cp.assistance as unknown as AnyClient, domain: cp.assistance.domain };
  }
}
