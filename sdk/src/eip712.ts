import { verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { CrossproofError } from "./errors";

/** A hex string (`0x…`). */
export type Hex = `0x${string}`;

/** The EIP-712 domain names of the crossproof contracts. */
export const DomainName = {
  Consortium: "crossproof Consortium",
  ConsortiumGovernance: "crossproof ConsortiumGovernance",
  RecognitionAgreements: "crossproof RecognitionAgreements",
  EvidenceRegistry: "crossproof EvidenceRegistry",
  LicenseRegistry: "crossproof LicenseRegistry",
  AssistanceDesk: "crossproof AssistanceDesk",
} as const;
export type ContractName = keyof typeof DomainName;

/** The version of every crossproof EIP-712 domain. */
export const DOMAIN_VERSION = "2";

/**
 * A contract's EIP-712 domain: name, version, chain id, contract address, and the consortium id as the salt (so a
 * request signed for one deployment never replays on another with the same chain id and addresses).
 */
export function contractDomain(
  contract: ContractName,
  chainId: bigint | number,
  verifyingContract: string,
  consortiumId: string,
): TypedDataDomain {
  return { name: DomainName[contract], version: DOMAIN_VERSION, chainId, verifyingContract, salt: consortiumId };
}

/** A request and its signature, ready for any relayer; `P` is its EIP-712 primary type ("AnchorEvidence"). */
export interface SignedRequest<T, P extends string = string> {
  primaryType: P;
  domain: TypedDataDomain;
  request: T;
  signature: Hex;
  /** The key that signed (as recovered locally). */
  signer: string;
}

/**
 * The type table a primary type needs: itself and every struct type it references, recursively (what
 * `signTypedData` and `TypedDataEncoder` take). `INVALID_ARGUMENT` for a primary type the table does not have.
 */
export function typesFor(
  table: Record<string, readonly TypedDataField[]>,
  primaryType: string,
): Record<string, TypedDataField[]> {
  if (table[primaryType] === undefined) {
    throw new CrossproofError("INVALID_ARGUMENT", `unknown request type ${primaryType}`);
  }
  const out: Record<string, TypedDataField[]> = {};
  const visit = (name: string) => {
    const fields = table[name];
    if (fields === undefined || out[name] !== undefined) return;
    out[name] = [...fields];
    for (const f of fields) visit(f.type.replace(/\[\d*\]$/, ""));
  };
  visit(primaryType);
  return out;
}

/**
 * Signs any request of a crossproof contract with any ethers `Signer` (a wallet, a hardware key, a KMS adapter),
 * given that contract's type table.
 */
export async function signTypedRequest<T, P extends string = string>(
  signer: Signer,
  domain: TypedDataDomain,
  table: Record<string, readonly TypedDataField[]>,
  primaryType: P,
  request: T,
): Promise<SignedRequest<T, P>> {
  const types = typesFor(table, primaryType);
  const value = request as unknown as Record<string, unknown>;
  const signature = (await signer.signTypedData(domain, types, value)) as Hex;
  return { primaryType, domain, request, signature, signer: verifyTypedData(domain, types, value, signature) };
}

/** Recovers, offline, the key that signed a request of a crossproof contract. */
export function recoverTypedRequestSigner(
  domain: TypedDataDomain,
  table: Record<string, readonly TypedDataField[]>,
  primaryType: string,
  request: unknown,
  signature: string,
): string {
  try {
    return verifyTypedData(domain, typesFor(table, primaryType), request as Record<string, unknown>, signature);
  } catch (cause) {
    throw new CrossproofError("SIGNATURE_INVALID", `cannot recover the signer of ${primaryType}`, { cause });
  }
}
