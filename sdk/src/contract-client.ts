import {
  Contract,
  ContractTransactionReceipt,
  LogDescription,
  TransactionReceipt,
  type BaseContract,
  type ContractRunner,
  type EventFragment,
  type FunctionFragment,
  type Log,
  type Signer,
  type Interface,
  type Provider,
  type TypedDataDomain,
} from "ethers";
import { toCrossproofError } from "./contract-errors";
import { DOMAIN_VERSION, DomainName, contractDomain, type ContractName } from "./eip712";
import { CrossproofError } from "./errors";
import { chainClockOf } from "./provider";
import { Relayer, relayedTransaction } from "./relayer";

/**
 * A submitted request: the transaction hash, and a way to wait for its receipt and decoded events. Relayed by a
 * `Relayer`, a request the contract refuses is usually mined and reverts: `wait()` then rejects with
 * `CONTRACT_REVERTED` naming the custom error (by a plain Signer, `eth_estimateGas` refuses it before it is sent).
 */
export interface SubmittedRequest {
  /** The transaction's hash (a relayer that had to send the request again reports the newest). */
  readonly hash: string;
  wait(confirmations?: number): Promise<RequestOutcome>;
}

/** A mined request: its receipt, and the contract's events in it (decoded when first read). */
export class RequestOutcome {
  readonly #iface: Interface;
  readonly #logs: readonly Log[];
  #events: LogDescription[] | undefined;

  constructor(
    readonly receipt: ContractTransactionReceipt,
    iface: Interface,
    logs: readonly Log[],
  ) {
    this.#iface = iface;
    this.#logs = logs;
  }

  /** The contract's events, decoded. */
  get events(): LogDescription[] {
    return (this.#events ??= decodeEvents(this.#iface, this.#logs));
  }

  /** The first log of the contract's event `name`, undecoded: its topics hold the indexed arguments. */
  logOf(name: string): Log | undefined {
    const topic = eventTable(this.#iface).topicOf.get(name);
    return topic === undefined ? undefined : this.#logs.find((l) => l.topics[0] === topic);
  }
}

/** A receipt's logs as the node gave them (a ContractTransactionReceipt's own `logs` decodes each one). */
const plainLogs = Object.getOwnPropertyDescriptor(TransactionReceipt.prototype, "logs")!.get! as (
  this: TransactionReceipt,
) => readonly Log[];

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

/** Event fragments by topic and topics by name, per interface (ethers hashes a fragment on every lookup). */
const eventTables = new WeakMap<Interface, { byTopic: Map<string, EventFragment>; topicOf: Map<string, string> }>();

function eventTable(iface: Interface) {
  let table = eventTables.get(iface);
  if (table === undefined) {
    const t = { byTopic: new Map<string, EventFragment>(), topicOf: new Map<string, string>() };
    iface.forEachEvent((f) => {
      t.byTopic.set(f.topicHash, f);
      t.topicOf.set(f.name, f.topicHash);
    });
    eventTables.set(iface, t);
    table = t;
  }
  return table;
}

/** The events of `iface` among `logs`, decoded (logs of other events are skipped). */
export function decodeEvents(iface: Interface, logs: readonly Log[]): LogDescription[] {
  const { byTopic } = eventTable(iface);
  const events: LogDescription[] = [];
  for (const log of logs) {
    const fragment = log.topics[0] === undefined ? undefined : byTopic.get(log.topics[0]);
    if (fragment === undefined) continue;
    try {
      events.push(
        new LogDescription(fragment, fragment.topicHash, iface.decodeEventLog(fragment, log.data, log.topics)),
      );
    } catch {
      // a log with this topic that does not decode as this interface's event
    }
  }
  return events;
}

/** Function fragments and selectors by name, per interface (ethers hashes the signature on every encoding). */
const functionTables = new WeakMap<Interface, Map<string, { fragment: FunctionFragment; selector: string }>>();

/** `iface.encodeFunctionData(method, args)`, with the function's selector computed once. */
export function encodeCall(iface: Interface, method: string, args: readonly unknown[]): string {
  let table = functionTables.get(iface);
  if (table === undefined) functionTables.set(iface, (table = new Map()));
  let f = table.get(method);
  if (f === undefined) {
    const fragment = iface.getFunction(method);
    if (fragment === null) throw new CrossproofError("INVALID_ARGUMENT", `no function ${method}`);
    f = { fragment, selector: fragment.selector };
    table.set(method, f);
  }
  return f.selector + iface.getAbiCoder().encode(f.fragment.inputs, args).slice(2);
}

/**
 * Sends `method(...args)` to `contract` through `submitter`: a {@link Relayer} relays the encoded call itself (no
 * ethers contract round), any other Signer sends it through the contract connected to it.
 */
export function sendCall(
  contract: BaseContract,
  method: string,
  args: readonly unknown[],
  submitter: Signer,
): Promise<SentTransaction | RelayedSent> {
  if (submitter instanceof Relayer) {
    return submitter.relay({
      to: contract.target as string,
      data: encodeCall(contract.interface, method, args),
    });
  }
  const connected = contract.connect(submitter) as unknown as Record<
    string,
    (...a: unknown[]) => Promise<SentTransaction>
  >;
  return connected[method]!(...args);
}

/** A transaction sent by a Relayer (its receipt is the plain ethers one). */
type RelayedSent = Awaited<ReturnType<Relayer["relay"]>>;

/**
 * Sends a signed request through `send` and returns its hash and a `wait` that decodes the contract's events.
 * A refusal by the contract, when sending or mined, becomes `CONTRACT_REVERTED` naming the custom error. A
 * transaction sent by a `Relayer` (a contract connected to one) is waited for by that relayer.
 */
export async function submitRequest(
  action: string,
  iface: Interface,
  send: () => Promise<SentTransaction | RelayedSent>,
): Promise<SubmittedRequest> {
  let tx: SentTransaction | RelayedSent;
  try {
    tx = await send();
  } catch (err) {
    throw toCrossproofError(err, [iface], action);
  }
  const relayed = relayedTransaction(tx.hash);
  return {
    get hash() {
      return relayed?.hash ?? tx.hash;
    },
    async wait(confirmations?: number) {
      let receipt: ContractTransactionReceipt | null;
      let logs: readonly Log[];
      try {
        if (relayed === undefined) {
          receipt = (await tx.wait(confirmations)) as ContractTransactionReceipt | null;
          logs = receipt === null ? [] : plainLogs.call(receipt);
        } else {
          const r = await relayed.wait(confirmations);
          receipt = new ContractTransactionReceipt(iface, r.provider, r);
          logs = r.logs;
        }
      } catch (err) {
        throw toCrossproofError(err, [iface], action);
      }
      if (receipt === null) throw new CrossproofError("CHAIN_ERROR", `${action}: no receipt`);
      return new RequestOutcome(receipt, iface, logs);
    },
  };
}
