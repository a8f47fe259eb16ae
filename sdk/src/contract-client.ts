import {
  Contract,
  type ContractRunner,
  type ContractTransactionReceipt,
  type Interface,
  type LogDescription,
  type Provider,
  type TypedDataDomain,
} from "ethers";
import { toCrossproofError } from "./contract-errors";
import { DOMAIN_VERSION, DomainName, contractDomain, type ContractName } from "./eip712";
import { CrossproofError } from "./errors";
import { chainClockOf } from "./provider";

/** A submitted request: the transaction hash, and a way to wait for its receipt and decoded events. */
export interface SubmittedRequest {
  hash: string;
  wait(confirmations?: number): Promise<{ receipt: ContractTransactionReceipt; events: LogDescription[] }>;
}

/** What a contract's write method returns (ethers `ContractTransactionResponse`, narrowed). */
interface SentTransaction {
  hash: string;
  wait(confirmations?: number): Promise<ContractTransactionReceipt | null>;
}

/** The provider behind a runner, and the EIP-712 domain of a deployed crossproof contract (its code must exist). */
export async function resolveContract(
  contract: ContractName,
  address: string,
  runner: ContractRunner & { provider: Provider | null },
): Promise<{ provider: Provider; domain: TypedDataDomain }> {
  const provider = runner.provider ?? (runner as unknown as Provider);
  try {
    const { chainId } = await provider.getNetwork();
    if ((await provider.getCode(address)) === "0x") {
      throw new CrossproofError("DEPLOYMENT_NOT_FOUND", `no ${contract} at ${address}`);
    }
    // ERC-5267: the contract states its own domain; its salt is the consortium id.
    const [, name, version, , , salt] = await new Contract(address, ERC5267_ABI, provider).getFunction(
      "eip712Domain",
    )!();
    if (name !== DomainName[contract] || version !== DOMAIN_VERSION) {
      throw new CrossproofError(
        "DEPLOYMENT_NOT_FOUND",
        `the contract at ${address} is "${String(name)}" version ${String(version)}, not ${DomainName[contract]} version ${DOMAIN_VERSION}`,
      );
    }
    return { provider, domain: contractDomain(contract, chainId, address, salt as string) };
  } catch (err) {
    throw toCrossproofError(err, [], `connecting to the ${contract}`);
  }
}

const ERC5267_ABI = [
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
];

/** Chain time (latest block): the clock that deadlines are checked against. */
export async function chainTimeOf(provider: Provider): Promise<number> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
  return block.timestamp;
}

/** How long a signed request stays valid unless the caller says otherwise: one hour of chain time. */
export const DEFAULT_REQUEST_VALIDITY = 3600;

/**
 * A request deadline `validFor` seconds after chain time (the clock the contracts check). A provider made by
 * `createProvider` answers from its chain clock (no block read per request); any other reads the latest block.
 */
export async function deadlineFrom(provider: Provider, validFor: number = DEFAULT_REQUEST_VALIDITY): Promise<number> {
  const clock = chainClockOf(provider);
  return (clock === undefined ? await chainTimeOf(provider) : await clock.now()) + validFor;
}

/** Unix seconds from a Date or from seconds already. */
export function toUnixSeconds(t: Date | number): number {
  return t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
}

/**
 * Sends a signed request through `send` and returns its hash and a `wait` that decodes the contract's events.
 * A refusal by the contract, when sending or mined, becomes `CONTRACT_REVERTED` naming the custom error.
 */
export async function submitRequest(
  action: string,
  iface: Interface,
  send: () => Promise<SentTransaction>,
): Promise<SubmittedRequest> {
  let tx: SentTransaction;
  try {
    tx = await send();
  } catch (err) {
    throw toCrossproofError(err, [iface], action);
  }
  return {
    hash: tx.hash,
    async wait(confirmations?: number) {
      let receipt: ContractTransactionReceipt | null;
      try {
        receipt = await tx.wait(confirmations);
      } catch (err) {
        throw toCrossproofError(err, [iface], action);
      }
      if (receipt === null) throw new CrossproofError("CHAIN_ERROR", `${action}: no receipt`);
      const events = receipt.logs
        .map((l) => {
          try {
            return iface.parseLog(l);
          } catch {
            return null;
          }
        })
        .filter((e): e is LogDescription => e !== null);
      return { receipt, events };
    },
  };
}
