import {
  BaseContract,
  Contract,
  ContractTransactionReceipt,
  LogDescription,
  TransactionReceipt,
  type ContractRunner,
  type EventFragment,
  type FunctionFragment,
  type Interface,
  type Log,
  type Provider,
  type Result,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import { invalidArgument, secondsArg, unixSecondsArg } from "./arguments";
import { toCrossproofError, unreachableError } from "./contract-errors";
import { DOMAIN_VERSION, DomainName, contractDomain, type ContractName, type Hex, type SignedRequest } from "./eip712";
import { CrossproofError } from "./errors";
import { chainClockOf } from "./provider";
import { Relayer, relayedTransaction } from "./relayer";

// ---- Submitted requests -------------------------------------------------------------------------------------------

/** A domain result together with the receipt of the transaction that brought it about. */
export type Mined<T> = T & {
  /** The transaction's receipt (gas used, block, hash), for those who need it. */
  readonly receipt: ContractTransactionReceipt;
};

/**
 * A submitted request: its transaction hash, and `wait()` for what it came to in the domain's words — the new
 * record, licence or request id, decoded from the contract's event — with the receipt alongside (like the EAS SDK's
 * `Transaction<T>`). Relayed by a {@link Relayer}, a request the contract refuses is usually mined and reverts:
 * `wait()` then rejects with `CONTRACT_REVERTED` naming the custom error (by a plain Signer, `eth_estimateGas`
 * refuses it before it is sent, and the submit itself rejects).
 * @example
 * const { recordId } = await (await client.anchorEvidence(signed, relayer)).wait();
 */
export interface Submitted<T> {
  /** The transaction's hash (a relayer that had to send the request again reports the newest). */
  readonly hash: string;
  wait(confirmations?: number): Promise<Mined<T>>;
}

/** The events one contract emitted in a mined transaction: what a request's result is read from. */
export class ReceiptEvents {
  readonly #iface: Interface;
  readonly #address: string;
  readonly #logs: readonly Log[];

  constructor(
    readonly receipt: ContractTransactionReceipt,
    iface: Interface,
    address: string,
    logs: readonly Log[],
  ) {
    this.#iface = iface;
    this.#address = address.toLowerCase();
    this.#logs = logs;
  }

  /** The first log of the contract's event `name`, undecoded (its topics hold the indexed arguments). */
  find(name: string): Log | undefined {
    const topic = eventTable(this.#iface).topicOf.get(name);
    if (topic === undefined) return undefined;
    return this.#logs.find((l) => l.topics[0] === topic && l.address.toLowerCase() === this.#address);
  }

  /** Like {@link find}; `CHAIN_ERROR` when the transaction emitted no such event. */
  get(name: string): Log {
    const log = this.find(name);
    if (log === undefined) throw new CrossproofError("CHAIN_ERROR", `no ${name} event in ${this.receipt.hash}`);
    return log;
  }

  /** The decoded arguments of a log of this contract. */
  args(log: Log): Result {
    const fragment = eventTable(this.#iface).byTopic.get(log.topics[0] ?? "");
    if (fragment === undefined) throw new CrossproofError("CHAIN_ERROR", `not an event of this contract`);
    return this.#iface.decodeEventLog(fragment, log.data, log.topics);
  }

  /** The decoded arguments of the first `name` event (`CHAIN_ERROR` when there is none). */
  argsOf(name: string): Result {
    return this.args(this.get(name));
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

/** A transaction sent by a Relayer (its receipt is the plain ethers one). */
type RelayedSent = Awaited<ReturnType<Relayer["relay"]>>;

/**
 * Sends a request through `send` and returns its hash and a `wait` that reads the result from the events `contract`
 * emitted. A refusal by the contract, when sending or mined, becomes `CONTRACT_REVERTED` naming the custom error
 * (decoded with `interfaces`, the contract's own first). A transaction sent by a `Relayer` is waited for by that
 * relayer.
 */
export async function submitRequest<T>(p: {
  /** What is being done, in words ("anchoring evidence"), for error messages. */
  action: string;
  contract: BaseContract;
  interfaces?: readonly Interface[];
  send: () => Promise<SentTransaction | RelayedSent>;
  result: (events: ReceiptEvents) => T;
}): Promise<Submitted<T>> {
  const iface = p.contract.interface;
  const interfaces = [iface, ...(p.interfaces ?? []).filter((i) => i !== iface)];
  let tx: SentTransaction | RelayedSent;
  try {
    tx = await p.send();
  } catch (err) {
    throw toCrossproofError(err, interfaces, p.action);
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
        throw toCrossproofError(err, interfaces, p.action);
      }
      if (receipt === null) throw new CrossproofError("CHAIN_ERROR", `${p.action}: no receipt`);
      const result = p.result(new ReceiptEvents(receipt, iface, p.contract.target as string, logs));
      return Object.assign(result as object, { receipt }) as Mined<T>;
    },
  };
}

// ---- One client base ----------------------------------------------------------------------------------------------

/** How a client submits one kind of signed request, and how it reads the request's result. */
export interface RequestRoute<R> {
  /** The contract the request goes to. */
  contract: BaseContract;
  /** Its function, called with (request, signature, ...cosignatures), or with `args`. */
  method: string;
  /** What the request does, in words ("anchoring evidence"): error messages start with it. */
  action: string;
  /** The domain result, from the contract's events in the receipt. */
  result(events: ReceiptEvents): R;
  /**
   * Second signatures of the same request, passed after the signer's in this order: each is a property of the
   * signed request (`newHolderSignature` of an assignment, `keySignature` of a key addition), described for the
   * error when it is missing.
   */
  cosignatures?: readonly { name: string; description: string }[];
  /** The function's arguments, when they are not (request, signature, ...cosignatures): a request signed as one struct. */
  args?(signed: SignedRequest<unknown>): unknown[];
}

/**
 * A signed request as the contract call it becomes, with what reads its outcome: where it goes and its calldata,
 * how a refusal is put into words, and how the domain result is read from the mined transaction's receipt. What a
 * relayer that keeps its own records (the gateway's outbox) needs; {@link ContractClient.submit} is the same call
 * sent at once.
 */
export interface RequestCall<R> {
  primaryType: string;
  /** The contract's address. */
  to: string;
  /** The calldata: `method(request, signature, ...cosignatures)`. */
  data: Hex;
  /** What the request does, in words ("anchoring evidence"). */
  action: string;
  /** A failed call or send as a CrossproofError: a revert is `CONTRACT_REVERTED` naming the custom error. */
  error(err: unknown): CrossproofError;
  /** The domain result (the new record, licence or request id…) from the mined transaction's receipt. */
  result(receipt: TransactionReceipt): R;
}

/** The route of every request a client submits, by primary type. */
export type RequestRoutes<Results> = { readonly [K in keyof Results]: RequestRoute<Results[K]> };

/**
 * What every crossproof contract client shares: the contract's EIP-712 domain (read from the contract, ERC-5267),
 * the provider, chain time, request deadlines, nonces, and one `submit` that sends a signed request through any
 * relayer and resolves to its domain result. `Requests` maps each primary type to its request body, `Results` to
 * what its `wait()` resolves to.
 */
export abstract class ContractClient<
  Requests extends { [K in keyof Results]: unknown },
  Results extends { [K in keyof Requests]: unknown },
> {
  readonly #routes: RequestRoutes<Results>;
  readonly #interfaces: readonly Interface[];

  protected constructor(
    /** The EIP-712 domain requests to this client's (main) contract are signed for. */
    readonly domain: TypedDataDomain,
    /** The provider the client reads through. */
    readonly provider: Provider,
    routes: RequestRoutes<Results>,
  ) {
    this.#routes = routes;
    const routeList = Object.values(routes) as RequestRoute<unknown>[];
    this.#interfaces = [...new Set(routeList.map((r) => r.contract.interface))];
  }

  /** Chain time (the latest block's timestamp, unix seconds): the clock deadlines are checked against. */
  chainTime(): Promise<number> {
    return this.read("reading the chain time", () => chainTimeOf(this.provider));
  }

  /** A request deadline `validFor` seconds (default one hour) after chain time. */
  protected deadline(validFor?: number): Promise<number> {
    const seconds = secondsArg("validFor", validFor);
    return this.read("reading the chain time", () => deadlineFrom(this.provider, seconds));
  }

  /** `given`, or the next nonce of the signer (or account) at `contract`. */
  protected async nonceOf(
    contract: { nonces(owner: string): Promise<bigint> },
    owner: Signer | string,
    given?: bigint | number,
  ): Promise<bigint> {
    if (given !== undefined) return BigInt(given);
    const address = typeof owner === "string" ? owner : await owner.getAddress();
    return this.read("reading the signer's nonce", () => contract.nonces(address));
  }

  /** Runs a read; its failure becomes a CrossproofError (a revert decoded with this client's contracts). */
  protected async read<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toCrossproofError(err, this.#interfaces, action);
    }
  }

  /**
   * Submits a signed request through `relayer` — a {@link Relayer} (many requests in flight, no per-request gas
   * estimate or fee query) or any Signer with gas (on a zero-gas consortium chain, any key) — and resolves `wait()`
   * to its domain result. A refusal by the contract becomes `CONTRACT_REVERTED` naming the custom error and its
   * arguments in words: from `submit` when the request is checked before sending (any Signer; a Relayer's first
   * request of each kind), else from `wait()` once it reverted on chain.
   */
  async submit<K extends keyof Requests & keyof Results & string>(
    signed: SignedRequest<Requests[K], K>,
    relayer: Signer | Relayer,
  ): Promise<Submitted<Results[K]>> {
    const route = this.#route<K>(signed);
    const args = this.#arguments(route, signed);
    return submitRequest({
      action: route.action,
      contract: route.contract,
      interfaces: this.#interfaces,
      send: () => sendCall(route.contract, route.method, args, relayer),
      result: (events) => route.result(events),
    });
  }

  /**
   * The contract call a signed request becomes, and how its outcome is read (see {@link RequestCall}); nothing is
   * sent. `INVALID_ARGUMENT` for a request this client does not submit, or one missing a second signature.
   * @example
   * const call = client.requestCall(signed);
   * await provider.call({ from: relayerAddress, to: call.to, data: call.data }).catch((e) => { throw call.error(e); });
   */
  requestCall<K extends keyof Requests & keyof Results & string>(
    signed: SignedRequest<Requests[K], K>,
  ): RequestCall<Results[K]> {
    const route = this.#route<K>(signed);
    const args = this.#arguments(route, signed);
    const iface = route.contract.interface;
    const to = route.contract.target as string;
    return {
      primaryType: signed.primaryType,
      to,
      data: encodeCall(iface, route.method, args) as Hex,
      action: route.action,
      error: (err) => toCrossproofError(err, [iface, ...this.#interfaces.filter((i) => i !== iface)], route.action),
      result: (receipt) => {
        const mined = new ContractTransactionReceipt(iface, receipt.provider, receipt);
        return route.result(new ReceiptEvents(mined, iface, to, plainLogs.call(receipt)));
      },
    };
  }

  #route<K extends keyof Requests & keyof Results & string>(
    signed: SignedRequest<unknown, K>,
  ): RequestRoute<Results[K]> {
    const type = (signed as { primaryType?: unknown } | undefined)?.primaryType;
    if (typeof type === "string" && Object.prototype.hasOwnProperty.call(this.#routes, type)) {
      return this.#routes[type as K] as RequestRoute<Results[K]>;
    }
    throw new CrossproofError("INVALID_ARGUMENT", `this client does not submit ${String(type)} requests`, {
      details: { argument: "signed", value: type, known: Object.keys(this.#routes) },
    });
  }

  /** (request, signature, ...cosignatures), as the contract's function takes them. */
  #arguments(route: RequestRoute<unknown>, signed: SignedRequest<unknown>): unknown[] {
    if (route.args !== undefined) return route.args(signed);
    const cosignatures = (route.cosignatures ?? []).map(({ name, description }) => {
      const value = (signed as unknown as Record<string, unknown>)[name];
      if (value === undefined) invalidArgument(name, value, description);
      return value;
    });
    return [signed.request, signed.signature, ...cosignatures];
  }
}

// ---- Connecting ---------------------------------------------------------------------------------------------------

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
      throw new CrossproofError("DEPLOYMENT_NOT_FOUND", `no ${contract} at ${address} on chain ${chainId}`);
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
    throw unreachableError(err, providerUrl(provider)) ?? toCrossproofError(err, [], `connecting to the ${contract}`);
  }
}

/** The URL of a JSON-RPC provider, when it has one (for messages). */
function providerUrl(provider: Provider): string | undefined {
  try {
    return (provider as { _getConnection?: () => { url: string } })._getConnection?.().url;
  } catch {
    return undefined;
  }
}

const ERC5267_ABI = [
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
];

// ---- Time ---------------------------------------------------------------------------------------------------------

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

/**
 * Unix seconds from a Date or from seconds already. A number above 10^11 is refused (`INVALID_ARGUMENT`, "looks like
 * milliseconds; pass seconds or a Date"): `Date.now()` where seconds are expected.
 */
export function toUnixSeconds(t: Date | number, name = "the time"): number {
  return unixSecondsArg(name, t);
}

// ---- Events and calls ---------------------------------------------------------------------------------------------

/**
 * Has ethers do once per contract what it otherwise does on every call. It computes each event's topic and each
 * function's selector anew (a keccak256 of the signature) on every access — every call it encodes, every log it
 * filters or decodes, every fragment it passes when it looks an event up by topic — and builds a new method object
 * (with its properties defined one by one) each time a method is read off the contract. The fragments are immutable
 * (name and inputs frozen) and the method objects stateless, so the values kept are the ones ethers would make again.
 * A function whose name is overloaded, or shadowed by a property of the contract object, is left to ethers. Returns
 * the contract.
 */
export function preparedContract<T extends BaseContract>(contract: T): T {
  const iface = contract.interface;
  iface.forEachEvent((f) => {
    if (!Object.hasOwn(f, "topicHash")) Object.defineProperty(f, "topicHash", { value: f.topicHash });
  });
  const names = new Map<string, number>();
  iface.forEachFunction((f) => {
    if (!Object.hasOwn(f, "selector")) Object.defineProperty(f, "selector", { value: f.selector });
    names.set(f.name, (names.get(f.name) ?? 0) + 1);
  });
  for (const [name, count] of names) {
    // (`in` would not tell: the proxy answers true for every function of the interface.)
    if (count !== 1 || name === "then" || name in BaseContract.prototype || Object.hasOwn(contract, name)) continue;
    // An own property of the proxied contract: ethers' proxy answers it as it is, instead of building the method.
    Object.defineProperty(contract, name, { value: contract.getFunction(name), enumerable: false });
  }
  return contract;
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
