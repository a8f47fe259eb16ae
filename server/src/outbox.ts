/**
 * The submission outbox: the signed requests members and accounts hand to the gateway, kept in SQLite from the
 * moment they are accepted until the chain has them, and the one worker per gateway process that sends them.
 *
 * **Intake** ({@link Outbox.intake}) is a chain of named steps, each refusing with its own `code`:
 *
 * 1. **fields** — the request read against its contract's EIP-712 types (`parseWireRequest`): 400
 *    `INVALID_ARGUMENT` naming the field;
 * 2. **domain** — signed for this deployment (name, chain id, contract, consortium salt): 422 `DOMAIN_MISMATCH`;
 * 3. **signature** — recovered offline from the EIP-712 digest, and the named signer's: 422 `SIGNATURE_INVALID`;
 * 4. **once** — the same request (same digest) submitted again answers the first submission, whatever its state;
 * 5. **deadline** — not past, by the chain's clock when the chain answers, else by the local clock less
 *    {@link LOCAL_CLOCK_MARGIN_SECONDS}: 422 `CONTRACT_REVERTED` with `error: "SignedRequestExpired"`, as the
 *    contract would say it;
 * 6. **nonce** — a request carrying an EIP-712 nonce must carry the signer's nonce on chain plus the number of its
 *    nonce-carrying requests to that contract still in the outbox: below the chain's, `InvalidAccountNonce` as the
 *    contract says it; one a queued submission holds, 409 `NONCE_TAKEN`; past the next, 409 `NONCE_GAP`;
 * 7. **contract** — the exact call, from the relayer's address, as a static call (`eth_call`): a revert is 422
 *    `CONTRACT_REVERTED` with the custom error's name and its arguments in words. When the chain does not answer, the
 *    request is accepted unchecked (`checked: false`) and checked when it is sent;
 * 8. **dependencies** — a revert (other than the signed-request base's own) of a request that depends on submissions
 *    still in the outbox — the signer's previous nonce, requests about the same record or batch, the anchor creating
 *    it — is not a refusal: the request is accepted behind them (`waits_for`), sent once they are all confirmed and
 *    checked then, and failed with `DEPENDENCY_FAILED` (naming the dependency) if one of them fails.
 *
 * Then the row is written (one statement) and answered `202`.
 *
 * **Sending** — rows go out in insertion order through one key (`CROSSPROOF_RELAYER_KEY`), each checked again
 * (`eth_estimateGas`, which also sizes its gas limit): a refusal fails the row with the decoded error and takes no
 * nonce. Nonces come from the chain's pending count when the worker starts (and after any chain error), then are
 * assigned locally. A request is never sent twice, across crashes of the gateway or of the node:
 *
 * - **write-ahead**: a row's signed transaction (raw bytes, hash, nonce) is written, in the same transaction that
 *   moves it to `sent`, before it is broadcast. After a crash the worker finds every `sent` row with the exact bytes
 *   it may have broadcast, and broadcasts them again (a node that holds one answers "already known");
 * - a row is signed again **at the same nonce** only (fresher fees, or a no-op that gives up a transaction the node
 *   refuses for good): one nonce is one transaction on chain, so at most one of its versions is ever mined;
 * - a row is signed **at a new nonce** only when its nonce is spent on chain (the relayer's mined count is past it)
 *   and none of its hashes has a receipt, read in that order: then no version of it can ever be mined;
 * - every change of a `sent` row compares its current hash first (compare-and-swap), and a nonce belongs to one row
 *   (a unique index): two workers on one database file cannot sign one row twice.
 *
 * Receipts are looked for at each new block. A row is `confirmed` with its transaction, block and domain result (the
 * new record, licence or request id, decoded by the SDK from the contract's events) once it is
 * `CROSSPROOF_CONFIRMATIONS` blocks deep, or `failed` with the decoded error (a reverted transaction is replayed on
 * its block's state for the custom error). A row without a receipt for `stallTimeout` ms is looked for: broadcast
 * again, signed again under a new nonce as above, or — next in line and priced under what the next block asks —
 * signed again at the same nonce with higher fees (the SDK's `bumpedFees`).
 *
 * **Reorganisations**: at each new head, the blocks of rows confirmed within `reorgWindow` blocks are compared with
 * the chain's; a row whose block is gone goes back to `sent` with its transaction and is looked for at once.
 */
import { randomUUID } from "node:crypto";
import {
  Interface,
  SigningKey,
  Transaction,
  computeAddress,
  getAddress,
  toQuantity,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
} from "ethers";
import type { Logger } from "pino";
import {
  CrossproofError,
  bumpedFees,
  classifySendError,
  jsonRpcLinkOf,
  parseWireRequest,
  plainMessage,
  receiptFromJson,
  recoverRequestSigners,
  signRelayedTransaction,
  signedRequestCall,
  toWireRequest,
  unreachableError,
  type Crossproof,
  type JsonRpcLink,
  type ParsedSignedRequest,
  type RawReceipt,
  type RelayerFees,
  type RequestCall,
} from "../../sdk/src";
import { IMemberSigned__factory } from "../../sdk/src/typechain";
import { migrate, type Db } from "./db";
import { Problem } from "./problems";

/** Where a submission is: waiting to be sent, sent and waiting for its receipt, or settled. */
export const OutboxStates = ["accepted", "sent", "confirmed", "failed"] as const;
export type OutboxState = (typeof OutboxStates)[number];

/** What a client is told: still on its way, or how it ended. */
export type SubmissionStatus = "pending" | "confirmed" | "failed";

/** How much the local clock may run ahead of the chain's (an idle chain mines a block a minute). */
export const LOCAL_CLOCK_MARGIN_SECONDS = 60;
/** How long intake waits for the chain before it accepts a request unchecked. */
const INTAKE_CHAIN_TIMEOUT_MS = 5_000;
/** How long the worker waits for one JSON-RPC exchange. */
const WORKER_RPC_TIMEOUT_MS = 30_000;
/** Most calls in one JSON-RPC batch. */
const RPC_BATCH = 100;
/** How long the worker sleeps with nothing pending (a new submission wakes it at once). */
const IDLE_INTERVAL_MS = 5_000;
/** Longest pause after repeated failures (the chain is down). */
const MAX_BACKOFF_MS = 5_000;
/** Gas of a plain transfer: the no-op that gives up a nonce. */
const TRANSFER_GAS = 21_000n;
/** A node's answer to a call that is about the relayer, not the call: wait, do not fail the submission. */
const RELAYER_TROUBLE = /insufficient funds|nonce too|fee cap|base fee|underpriced/i;
/** How long fee data is used before it is read again. */
const FEE_MAX_AGE_MS = 2_000;

export interface OutboxOptions {
  /** Milliseconds between checks while submissions are pending (default 100). */
  pollInterval?: number;
  /** Milliseconds without a receipt before a sent transaction is looked for (default 10,000). */
  stallTimeout?: number;
  /** Submissions signed and sent per step (default 100: one JSON-RPC batch). */
  batchSize?: number;
  /** Gas limit = the estimate times this (default 1.5). */
  gasMargin?: number;
  /** Blocks a receipt needs before the submission is confirmed (default 1). */
  confirmations?: number;
  /** Times the node may refuse a transaction for good before it is replaced by a no-op (default 5). */
  maxSendRefusals?: number;
  /**
   * How many blocks back a confirmed submission's block is compared with the chain's (default 128): a submission
   * whose block the chain no longer has goes back to pending.
   */
  reorgWindow?: number;
}

const DEFAULTS: Required<OutboxOptions> = {
  pollInterval: 100,
  stallTimeout: 10_000,
  batchSize: 100,
  gasMargin: 1.5,
  confirmations: 1,
  maxSendRefusals: 5,
  reorgWindow: 128,
};

/** Who submitted: the caller's address, and its member for members and their staff. */
export interface Submitter {
  address: string;
  memberId: bigint | null;
}

/** A decoded failure, as stored and answered. */
export interface SubmissionError {
  /**
   * The SDK's code (`CONTRACT_REVERTED`, `CHAIN_ERROR`…), or `DEPENDENCY_FAILED`: a submission it waited for failed
   * (`dependency`), so it was never sent.
   */
  code: string;
  message: string;
  /** For a revert: the custom error's name, its arguments (integers as decimal strings) and them in words. */
  error?: string;
  args?: unknown[];
  argsInWords?: Record<string, string>;
  /** `DEPENDENCY_FAILED`: the submission it waited for, and how that one failed. */
  dependency?: { id: string; primaryType: string; error: SubmissionError };
}

/** A submission as `GET /v1/submissions/{id}` answers it. */
export interface Submission {
  id: string;
  status: SubmissionStatus;
  state: OutboxState;
  contract: string;
  primaryType: string;
  /** The request's EIP-712 digest: its identity (the same request submitted twice is one submission). */
  digest: string;
  signer: string;
  /**
   * The contract's rules were checked at intake (false: the chain did not answer then, or the request depends on
   * submissions still in the outbox; checked when sent).
   */
  checkedAtIntake: boolean;
  /**
   * The submissions still in the outbox that this one was accepted behind (a record's anchor, the signer's previous
   * nonce…): it is sent only once they are all confirmed, and fails with `DEPENDENCY_FAILED` if one of them fails.
   */
  dependsOn?: string[];
  /** Those of `dependsOn` not settled yet (while this one waits to be sent). */
  waitingFor?: string[];
  acceptedAt: string;
  sentAt?: string;
  settledAt?: string;
  transaction?: { hash: string; nonce: number; blockNumber?: number };
  /** The domain result (`recordId`, `licenceId`, `requestId`…), integers as decimal strings. */
  result?: Record<string, unknown>;
  error?: SubmissionError;
}

/** One transaction signed for a row: the request's call, or the no-op that gives up its nonce. */
interface SignedTx {
  hash: string;
  nonce: number;
  kind: "call" | "no-op";
}

interface Row {
  seq: number;
  id: string;
  submitter: string;
  member_id: string | null;
  contract: string;
  primary_type: string;
  payload: string;
  digest: string;
  signer: string;
  state: OutboxState;
  checked: number;
  relayer: string | null;
  nonce: number | null;
  gas_limit: string | null;
  raw_tx: string | null;
  tx_hash: string | null;
  tx_hashes: string;
  block_number: number | null;
  result: string | null;
  error: string | null;
  send_refusals: number;
  accepted_at: number;
  sent_at: number | null;
  settled_at: number | null;
  /** JSON list of what the request is about, or creates: `record:0x…`, `batch:0x…` (EvidenceRegistry). */
  touches: string;
  /** The request's EIP-712 nonce (decimal), for requests that carry one. */
  request_nonce: string | null;
  /** JSON list of the seqs of the rows it was accepted behind. */
  waits_for: string;
  /** The hash of the block its receipt was in (confirmed rows): compared with the chain's to detect reorgs. */
  block_hash: string | null;
  /** When its current transaction was signed (ms). */
  signed_at: number | null;
}

/** The outbox's tables. Append-only list: never edit a released step. */
const MIGRATIONS = [
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     submitter TEXT NOT NULL,
     member_id TEXT,
     contract TEXT NOT NULL,
     primary_type TEXT NOT NULL,
     payload TEXT NOT NULL,
     digest TEXT NOT NULL UNIQUE,
     signer TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('accepted', 'sent', 'confirmed', 'failed')),
     checked INTEGER NOT NULL,
     relayer TEXT,
     nonce INTEGER,
     gas_limit TEXT,
     raw_tx TEXT,
     tx_hash TEXT,
     tx_hashes TEXT NOT NULL DEFAULT '[]',
     block_number INTEGER,
     result TEXT,
     error TEXT,
     send_refusals INTEGER NOT NULL DEFAULT 0,
     accepted_at INTEGER NOT NULL,
     sent_at INTEGER,
     settled_at INTEGER,
     CHECK (state <> 'sent' OR (raw_tx IS NOT NULL AND tx_hash IS NOT NULL AND nonce IS NOT NULL AND relayer IS NOT NULL))
   );
   CREATE INDEX outbox_by_state ON outbox (state, seq);
   CREATE INDEX outbox_by_member ON outbox (member_id, seq);
   CREATE UNIQUE INDEX outbox_by_nonce ON outbox (relayer, nonce) WHERE nonce IS NOT NULL;`,
  // Dependent submissions, reorganisations, fee bumps.
  `ALTER TABLE outbox ADD COLUMN touches TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE outbox ADD COLUMN request_nonce TEXT;
   ALTER TABLE outbox ADD COLUMN waits_for TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE outbox ADD COLUMN block_hash TEXT;
   ALTER TABLE outbox ADD COLUMN signed_at INTEGER;
   CREATE INDEX outbox_by_signer ON outbox (signer, contract, state);`,
];

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** A value as JSON can carry it: bigints as decimal strings. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** A failure as stored: the SDK's code and words, and a revert's custom error. */
function errorRecord(err: unknown): SubmissionError {
  if (err instanceof CrossproofError) {
    const d = err.details as { error?: string; args?: unknown[]; argsInWords?: Record<string, string> } | undefined;
    return {
      code: err.code,
      message: err.message,
      ...(d?.error === undefined ? {} : { error: d.error }),
      ...(d?.args === undefined ? {} : { args: jsonSafe(d.args) as unknown[] }),
      ...(d?.argsInWords === undefined ? {} : { argsInWords: d.argsInWords }),
    };
  }
  return { code: "CHAIN_ERROR", message: plainMessage(err) };
}

/** Runs an intake step whose SDK refusal is `SIGNATURE_INVALID`: a 422 problem with the step's code. */
function signatureStep<T>(code: "DOMAIN_MISMATCH" | "SIGNATURE_INVALID", step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof CrossproofError && err.code === "SIGNATURE_INVALID") {
      throw new Problem("signature-invalid", err.message, { code, ...err.details }, { cause: err });
    }
    throw err;
  }
}

/** The answer of one call in a JSON-RPC batch. */
type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

/** A timeout as the chain not answering. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CrossproofError("CHAIN_UNREACHABLE", `the chain did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The EIP-712 nonce of a request that carries one. */
function requestNonce(signed: ParsedSignedRequest): bigint | undefined {
  const n = signed.request.nonce;
  return typeof n === "bigint" || typeof n === "number" ? BigInt(n) : undefined;
}

/**
 * What a request is about (EvidenceRegistry): the record or batch it names (`record:0x…`, `batch:0x…`), and for an
 * anchor superseding a record, that record. A request may wait in the outbox behind queued requests about the same.
 */
function touchedKeys(signed: ParsedSignedRequest): string[] {
  if (signed.contract !== "EvidenceRegistry") return [];
  const r = signed.request;
  const out: string[] = [];
  if (typeof r.recordId === "string") out.push(`record:${r.recordId.toLowerCase()}`);
  if (typeof r.batchId === "string") out.push(`batch:${r.batchId.toLowerCase()}`);
  if (typeof r.supersedes === "string" && /[1-9a-f]/i.test(r.supersedes.slice(2))) {
    out.push(`record:${r.supersedes.toLowerCase()}`);
  }
  return out;
}

/** What an anchor creates, from its static call's return value (the new record or batch id). */
function createdKeys(signed: ParsedSignedRequest, returned: unknown): string[] {
  if (signed.contract !== "EvidenceRegistry" || typeof returned !== "string" || returned.length < 66) return [];
  const id = returned.slice(0, 66).toLowerCase();
  if (signed.primaryType === "AnchorEvidence") return [`record:${id}`];
  if (signed.primaryType === "AnchorBatch") return [`batch:${id}`];
  return [];
}

/** A refusal that no queued submission can change: the signed-request base's own (expired, signer, role). */
const isSignerRefusal = (e: CrossproofError) =>
  typeof e.details?.error === "string" && e.details.error.startsWith("SignedRequest");

export class Outbox {
  /** The relayer's address: the sender of every transaction. */
  readonly relayer: string;
  readonly #db: Db;
  readonly #cp: Crossproof;
  readonly #log: Logger;
  readonly #key: SigningKey;
  readonly #link: JsonRpcLink;
  readonly #o: Required<OutboxOptions>;
  readonly #calls = new Map<number, RequestCall<unknown>>();
  /** When each sent row was last handed to the node (in memory: after a start, every sent row is looked for). */
  readonly #lastBroadcast = new Map<number, number>();
  #nextNonce: number | undefined;
  #lastHead = -1;
  /** The chain head's hash when confirmed rows were last compared with the chain. */
  #lastHeadHash: string | undefined;
  /** Intakes of nonce-carrying requests, one at a time per contract and signer. */
  readonly #sequences = new Map<string, Promise<unknown>>();
  #fees: { fees: RelayerFees; blockGasLimit: bigint; baseFee: bigint | undefined; at: number } | undefined;
  #rpcId = 1;
  #closed = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Called when a submission settles (metrics). */
  onSettled: ((state: "confirmed" | "failed") => void) | undefined;
  /** Called when confirmed submissions go back to pending because their block left the chain (metrics). */
  onReopened: ((count: number) => void) | undefined;

  constructor(db: Db, p: { cp: Crossproof; relayerKey: string; log: Logger; options?: OutboxOptions }) {
    migrate(db, "outbox", MIGRATIONS);
    this.#db = db;
    this.#cp = p.cp;
    this.#log = p.log.child({ component: "outbox" });
    this.#key = new SigningKey(p.relayerKey);
    this.relayer = computeAddress(this.#key.publicKey);
    this.#link = jsonRpcLinkOf(p.cp.provider);
    this.#o = { ...DEFAULTS, ...p.options };
  }

  // ---- Intake --------------------------------------------------------------------------------------------------

  /**
   * Checks a signed request (the steps in this module's comment) and files it: `created` false when the same request
   * was submitted before (its first submission is answered). Refusals are thrown: {@link Problem}s and SDK errors
   * (`INVALID_ARGUMENT`, `CONTRACT_REVERTED`), which the gateway renders as problem documents.
   */
  async intake(submitter: Submitter, body: unknown): Promise<{ submission: Submission; created: boolean }> {
    const signed = parseWireRequest(body);
    const call = signatureStep("DOMAIN_MISMATCH", () => signedRequestCall(this.#cp, signed));
    const recovered = signatureStep("SIGNATURE_INVALID", () => recoverRequestSigners(signed));
    const first = this.#byDigest(recovered.digest);
    if (first !== undefined) return { submission: this.#view(first), created: false };

    const chainTime = await this.#chainTime().catch((err: unknown) => {
      this.#log.info({ err: plainMessage(err) }, "the chain does not answer: checking the deadline by the local clock");
      return undefined;
    });
    const deadline = signed.request.deadline;
    if (typeof deadline === "number") {
      const expired =
        chainTime === undefined
          ? deadline < Math.floor(Date.now() / 1000) - LOCAL_CLOCK_MARGIN_SECONDS
          : deadline < chainTime;
      if (expired) {
        // As the contract says it (MemberSigned, the one signed-request base): SignedRequestExpired(deadline).
        throw call.error({ data: EXPIRED.encodeErrorResult("SignedRequestExpired", [deadline]) });
      }
    }
    const nonce = requestNonce(signed);
    const keys = touchedKeys(signed);
    const sequence = nonce === undefined ? undefined : `${signed.contract} ${recovered.signer}`;
    return this.#inSequence(sequence, async () => {
      const again = this.#byDigest(recovered.digest);
      if (again !== undefined) return { submission: this.#view(again), created: false };
      let checked = false;
      let created: string[] = [];
      let waits: Row[] = [];
      let chainAnswers = chainTime !== undefined;
      let previous: Row | undefined;
      if (chainAnswers && nonce !== undefined) {
        try {
          previous = await this.#nonceStep(signed, call, recovered.signer, nonce);
        } catch (err) {
          if (err instanceof Problem || (err instanceof CrossproofError && err.code === "CONTRACT_REVERTED")) throw err;
          chainAnswers = false;
          this.#log.info({ err: plainMessage(err) }, "the chain does not answer: accepting unchecked");
        }
      }
      if (chainAnswers) {
        try {
          const returned = await this.#rpc(
            "eth_call",
            [{ from: this.relayer, to: call.to, data: call.data }, "latest"],
            { timeout: INTAKE_CHAIN_TIMEOUT_MS },
          );
          checked = true;
          created = createdKeys(signed, returned);
        } catch (err) {
          const refusal = call.error(err);
          if (refusal.code === "CONTRACT_REVERTED") {
            // Refused as the chain is now: accepted behind the queued submissions it may depend on (the signer's
            // previous nonce, requests about the same record or batch), and checked again when they are confirmed.
            const behind = this.#uniqueRows([
              ...(previous === undefined ? [] : [previous]),
              ...this.#queuedAbout(keys),
            ]);
            if (behind.length === 0 || isSignerRefusal(refusal)) throw refusal;
            waits = behind;
            this.#log.info(
              { refusal: refusal.details?.error, waitsFor: behind.map((r) => r.id) },
              "refused by the chain as it is now: accepted behind the queued submissions it depends on",
            );
          } else {
            this.#log.info({ err: refusal.message }, "the chain does not answer: accepting unchecked");
            chainAnswers = false;
          }
        }
      }
      if (!chainAnswers) {
        // Unchecked: sent after the queued submissions about the same things and the signer's lower nonces.
        waits = this.#uniqueRows([
          ...this.#queuedAbout(keys),
          ...this.#queuedLowerNonces(signed, recovered.signer, nonce),
        ]);
      }
      const inserted = this.#insert(submitter, signed, recovered, {
        checked,
        touches: [...keys, ...created],
        nonce,
        waits,
      });
      const row = this.#byDigest(recovered.digest)!;
      if (inserted) this.wake();
      return { submission: this.#view(row), created: inserted };
    });
  }

  /** Runs `fn` after every earlier intake of the same sequence (none: at once). */
  async #inSequence<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    const before = this.#sequences.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#sequences.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#sequences.get(key) === tail) this.#sequences.delete(key);
    }
  }

  /**
   * The nonce step of a request that carries an EIP-712 nonce: the nonce it may carry is the signer's nonce on chain
   * plus the number of its nonce-carrying requests to that contract still in the outbox. Below the chain's: refused
   * as the contract refuses it (`InvalidAccountNonce`); one a queued submission holds: 409 `NONCE_TAKEN`; past the
   * next: 409 `NONCE_GAP`. Answers the queued submission holding the previous nonce, when there is one.
   */
  async #nonceStep(
    signed: ParsedSignedRequest,
    call: RequestCall<unknown>,
    signer: string,
    nonce: bigint,
  ): Promise<Row | undefined> {
    const returned = await this.#rpc(
      "eth_call",
      [{ to: call.to, data: NONCES.encodeFunctionData("nonces", [signer]) }, "latest"],
      { timeout: INTAKE_CHAIN_TIMEOUT_MS },
    );
    const onChain = BigInt(NONCES.decodeFunctionResult("nonces", returned as string)[0] as bigint);
    if (nonce < onChain) {
      throw call.error({ data: NONCES.encodeErrorResult("InvalidAccountNonce", [signer, onChain]) });
    }
    const queued = this.#queuedNonces(signed.contract, signer).filter((q) => q.nonce >= onChain);
    const holder = queued.find((q) => q.nonce === nonce);
    if (holder !== undefined) {
      throw new Problem(
        "conflict",
        `nonce ${nonce} of ${signer} at the ${signed.contract} is already taken by submission ${holder.row.id}, ` +
          "still in the outbox: sign the next nonce",
        { code: "NONCE_TAKEN", nonce: nonce.toString(), submission: holder.row.id },
      );
    }
    const expected = onChain + BigInt(queued.length);
    if (nonce !== expected) {
      throw new Problem(
        "conflict",
        `nonce ${nonce} of ${signer} at the ${signed.contract} leaves a gap: the next is ${expected} ` +
          `(${onChain} on chain, ${queued.length} in the outbox)`,
        { code: "NONCE_GAP", nonce: nonce.toString(), expectedNonce: expected.toString() },
      );
    }
    return queued.find((q) => q.nonce === nonce - 1n)?.row;
  }

  /** The signer's nonce-carrying requests to `contract` still in the outbox, by nonce. */
  #queuedNonces(contract: string, signer: string): { row: Row; nonce: bigint }[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM outbox WHERE signer = ? AND contract = ? AND state IN ('accepted', 'sent')
           AND request_nonce IS NOT NULL ORDER BY seq`,
      )
      .all(signer, contract) as Row[];
    return rows.map((row) => ({ row, nonce: BigInt(row.request_nonce!) })).sort((a, b) => (a.nonce < b.nonce ? -1 : 1));
  }

  #queuedLowerNonces(signed: ParsedSignedRequest, signer: string, nonce: bigint | undefined): Row[] {
    if (nonce === undefined) return [];
    return this.#queuedNonces(signed.contract, signer)
      .filter((q) => q.nonce < nonce)
      .map((q) => q.row);
  }

  /** The submissions still in the outbox about (or creating) any of `keys`. */
  #queuedAbout(keys: string[]): Row[] {
    if (keys.length === 0) return [];
    return this.#db
      .prepare(
        `SELECT * FROM outbox o WHERE state IN ('accepted', 'sent')
           AND EXISTS (SELECT 1 FROM json_each(o.touches) t WHERE t.value IN (SELECT value FROM json_each(?)))
         ORDER BY seq`,
      )
      .all(JSON.stringify(keys)) as Row[];
  }

  #uniqueRows(rows: Row[]): Row[] {
    const seen = new Set<number>();
    return rows.filter((r) => !seen.has(r.seq) && seen.add(r.seq)).sort((a, b) => a.seq - b.seq);
  }

  #insert(
    submitter: Submitter,
    signed: ParsedSignedRequest,
    recovered: { digest: string; signer: string },
    o: { checked: boolean; touches: string[]; nonce: bigint | undefined; waits: Row[] },
  ): boolean {
    const { contract, primaryType } = signed;
    // The request in its wire form, as read: what will be sent, whatever the client's spelling of it was.
    const payload = JSON.stringify(toWireRequest(signed));
    const info = this.#db
      .prepare(
        `INSERT INTO outbox (id, submitter, member_id, contract, primary_type, payload, digest, signer, state, checked,
                             accepted_at, touches, request_nonce, waits_for)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?, ?)
         ON CONFLICT (digest) DO NOTHING`,
      )
      .run(
        randomUUID(),
        getAddress(submitter.address),
        submitter.memberId === null ? null : submitter.memberId.toString(),
        contract,
        primaryType,
        payload,
        recovered.digest,
        recovered.signer,
        o.checked ? 1 : 0,
        Date.now(),
        JSON.stringify([...new Set(o.touches)]),
        o.nonce === undefined ? null : o.nonce.toString(),
        JSON.stringify(o.waits.map((r) => r.seq)),
      );
    return info.changes === 1;
  }

  // ---- Reading -----------------------------------------------------------------------------------------------

  /** A submission with who may see it (the submitter; for a member's submission, the member and its staff). */
  get(id: string): { submission: Submission; submitter: string; memberId: string | null } | undefined {
    const row = this.#db.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as Row | undefined;
    if (row === undefined) return undefined;
    return { submission: this.#view(row), submitter: row.submitter, memberId: row.member_id };
  }

  /** How many submissions are in each state. */
  counts(): Record<OutboxState, number> {
    const out = Object.fromEntries(OutboxStates.map((s) => [s, 0])) as Record<OutboxState, number>;
    const rows = this.#db.prepare("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all() as {
      state: OutboxState;
      n: number;
    }[];
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  #byDigest(digest: string): Row | undefined {
    return this.#db.prepare("SELECT * FROM outbox WHERE digest = ?").get(digest) as Row | undefined;
  }

  #view(r: Row): Submission {
    const status: SubmissionStatus = r.state === "confirmed" || r.state === "failed" ? r.state : "pending";
    const deps = (JSON.parse(r.waits_for) as number[]).flatMap((seq) => {
      const d = this.#db.prepare("SELECT id, state FROM outbox WHERE seq = ?").get(seq) as
        { id: string; state: OutboxState } | undefined;
      return d === undefined ? [] : [d];
    });
    const waiting = r.state === "accepted" ? deps.filter((d) => d.state === "accepted" || d.state === "sent") : [];
    return {
      id: r.id,
      status,
      state: r.state,
      contract: r.contract,
      primaryType: r.primary_type,
      digest: r.digest,
      signer: r.signer,
      checkedAtIntake: r.checked === 1,
      ...(deps.length === 0 ? {} : { dependsOn: deps.map((d) => d.id) }),
      ...(waiting.length === 0 ? {} : { waitingFor: waiting.map((d) => d.id) }),
      acceptedAt: iso(r.accepted_at)!,
      ...(r.sent_at === null ? {} : { sentAt: iso(r.sent_at)! }),
      ...(r.settled_at === null ? {} : { settledAt: iso(r.settled_at)! }),
      ...(r.tx_hash === null || r.nonce === null
        ? {}
        : {
            transaction: {
              hash: r.tx_hash,
              nonce: r.nonce,
              ...(r.block_number === null ? {} : { blockNumber: r.block_number }),
            },
          }),
      ...(r.result === null ? {} : { result: JSON.parse(r.result) as Record<string, unknown> }),
      ...(r.error === null || r.state !== "failed" ? {} : { error: JSON.parse(r.error) as SubmissionError }),
    };
  }

  // ---- The worker --------------------------------------------------------------------------------------------

  /** Starts the worker (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Wakes the worker now (a submission arrived). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops the worker after its current step; what is pending stays in the database for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    this.wake();
    await this.#loop;
    this.#link.close();
  }

  async #run(): Promise<void> {
    let failures = 0;
    let delay = 0;
    while (!this.#closed) {
      await this.#pause(delay);
      if (this.#closed) break;
      try {
        const busy = await this.#step();
        failures = 0;
        delay = busy ? 0 : this.#pendingCount() > 0 ? this.#o.pollInterval : IDLE_INTERVAL_MS;
      } catch (err) {
        failures++;
        // The chain may have restarted: read the nonce again before the next transaction.
        this.#nextNonce = undefined;
        delay = Math.min(MAX_BACKOFF_MS, this.#o.pollInterval * 2 ** Math.min(failures, 8));
        const log = failures === 1 ? "warn" : "debug";
        this.#log[log]({ err: plainMessage(err), retryInMs: delay }, "outbox step failed");
      }
    }
  }

  #pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  #pendingCount(): number {
    return (
      this.#db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('accepted', 'sent')").get() as { n: number }
    ).n;
  }

  /** One round: the nonce (after a start or a failure), receipts and stalls, then the next accepted rows. */
  async #step(): Promise<boolean> {
    if (this.#nextNonce === undefined) await this.#resume();
    await this.#checkConfirmed();
    await this.#checkSent();
    return this.#sendAccepted();
  }

  /**
   * After a start or a chain failure: the next nonce is the chain's pending count, or past the highest nonce a
   * `sent` row holds (a row signed just before a crash may never have reached the node); every `sent` row is then
   * looked for at once.
   */
  async #resume(): Promise<void> {
    const pending = Number(await this.#rpc("eth_getTransactionCount", [this.relayer, "pending"]));
    const held = this.#db
      .prepare("SELECT MAX(nonce) AS n FROM outbox WHERE relayer = ? AND state = 'sent'")
      .get(this.relayer) as { n: number | null };
    const others = this.#db
      .prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'sent' AND relayer <> ?")
      .get(this.relayer) as { n: number };
    if (others.n > 0) {
      this.#log.warn(
        { rows: others.n },
        "submissions in flight under another relayer key are left as they are (the key changed)",
      );
    }
    this.#nextNonce = Math.max(pending, (held.n ?? -1) + 1);
    this.#lastBroadcast.clear();
    this.#lastHead = -1;
    this.#log.info({ relayer: this.relayer, nextNonce: this.#nextNonce }, "outbox worker resumed");
  }

  #sentRows(): Row[] {
    return this.#db
      .prepare("SELECT * FROM outbox WHERE state = 'sent' AND relayer = ? ORDER BY nonce")
      .all(this.relayer) as Row[];
  }

  /** Receipts of sent rows at each new block; stalled rows broadcast again or signed again under a new nonce. */
  async #checkSent(): Promise<void> {
    const sent = this.#sentRows();
    if (sent.length === 0) return;
    const now = Date.now();
    const stalled = sent.filter((r) => now - (this.#lastBroadcast.get(r.seq) ?? 0) >= this.#o.stallTimeout);
    // The mined count first, then the receipts: a transaction mined in between shows its receipt.
    const mined =
      stalled.length === 0 ? undefined : Number(await this.#rpc("eth_getTransactionCount", [this.relayer, "latest"]));
    const head = Number(await this.#rpc("eth_blockNumber", []));
    const settled = new Set<number>();
    const withReceipt = new Set<number>();
    if (head !== this.#lastHead || stalled.length > 0) {
      const hashes = sent.flatMap((r) => (JSON.parse(r.tx_hashes) as SignedTx[]).map((t) => ({ row: r, tx: t })));
      const receipts = await this.#batch(
        "eth_getTransactionReceipt",
        hashes.map((h) => [h.tx.hash]),
      );
      const found = new Map<number, { tx: SignedTx; receipt: RawReceipt }>();
      receipts.forEach((o, i) => {
        if (!o.ok) throw o.error;
        if (o.result !== null) found.set(hashes[i]!.row.seq, { tx: hashes[i]!.tx, receipt: o.result as RawReceipt });
      });
      const deep: Promise<void>[] = [];
      for (const r of sent) {
        const f = found.get(r.seq);
        if (f === undefined) continue;
        withReceipt.add(r.seq);
        if (head - Number(f.receipt.blockNumber) + 1 < this.#o.confirmations) continue;
        deep.push(this.#settle(r, f.tx, f.receipt).then(() => void settled.add(r.seq)));
      }
      // Settled together (each reads its receipt for the result); one failing fails the step, the others stand.
      const outcomes = await Promise.allSettled(deep);
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failure !== undefined) throw failure.reason;
      this.#lastHead = head;
    }
    const again: Row[] = [];
    for (const r of stalled) {
      if (withReceipt.has(r.seq) || settled.has(r.seq)) continue;
      if (mined !== undefined && mined > r.nonce!) {
        // Its nonce is spent and none of its transactions was mined: none of them ever can be. Sign it anew.
        this.#log.warn({ id: r.id, nonce: r.nonce, mined }, "nonce spent by another transaction: signing anew");
        this.#nextNonce = Math.max(this.#nextNonce!, mined);
        const resigned = await this.#resign(r, { nonce: this.#nextNonce, kind: "call" });
        if (resigned !== undefined) {
          this.#nextNonce++;
          again.push(resigned);
        }
      } else if (mined === r.nonce) {
        // Next in line and not mined: priced under what the chain asks now, it is signed again paying more.
        again.push((await this.#repriced(r)) ?? r);
      } else {
        again.push(r);
      }
    }
    if (again.length > 0) await this.#broadcast(again);
  }

  /**
   * Reorganisations: at each new chain head (by hash: a chain rolled back and grown again to the same height counts),
   * the blocks of the submissions confirmed within the last `reorgWindow` blocks are compared with the chain's. A
   * submission whose block the chain no longer has goes back to `sent`, with the transaction it has: looked for at
   * once, it is settled again where the chain has it now, broadcast again as it was (same bytes, same nonce: it can
   * land once), or signed anew if its nonce is spent — and fails with the decoded error if it can no longer land.
   */
  async #checkConfirmed(): Promise<void> {
    const latest = (await this.#rpc("eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      hash: string;
    } | null;
    if (latest === null || latest.hash === this.#lastHeadHash) return;
    const head = Number(latest.number);
    const rows = this.#db
      .prepare(
        `SELECT * FROM outbox WHERE state = 'confirmed' AND relayer = ? AND block_hash IS NOT NULL
           AND block_number > ? ORDER BY block_number`,
      )
      .all(this.relayer, head - this.#o.reorgWindow) as Row[];
    const numbers = [...new Set(rows.map((r) => r.block_number!))];
    const blocks = await this.#batch(
      "eth_getBlockByNumber",
      numbers.map((n) => [toQuantity(n), false]),
    );
    const canonical = new Map<number, string | null>();
    numbers.forEach((n, i) => {
      const o = blocks[i]!;
      if (!o.ok) throw o.error;
      canonical.set(n, (o.result as { hash: string } | null)?.hash ?? null);
    });
    const gone = rows.filter((r) => canonical.get(r.block_number!) !== r.block_hash);
    if (gone.length > 0) {
      let reopened = 0;
      this.#db.transaction(() => {
        for (const r of gone) {
          const info = this.#db
            .prepare(
              `UPDATE outbox SET state = 'sent', block_number = NULL, block_hash = NULL, result = NULL, error = NULL,
                                 settled_at = NULL
               WHERE seq = ? AND state = 'confirmed' AND block_hash = ?`,
            )
            .run(r.seq, r.block_hash);
          reopened += info.changes;
        }
      })();
      for (const r of gone) {
        this.#log.warn(
          { id: r.id, block: r.block_number, blockHash: r.block_hash, tx: r.tx_hash, nonce: r.nonce },
          "the block of a confirmed submission is no longer on the chain: pending again",
        );
      }
      if (reopened > 0) {
        this.onReopened?.(reopened);
        // The relayer's nonce on chain may have gone back too: read it again, and look for every sent row now.
        await this.#resume();
      }
    }
    this.#lastHeadHash = latest.hash;
  }

  /**
   * A sent row next in line (its nonce is the relayer's next on chain) and not mined since it was signed
   * `stallTimeout` ago: if its fees are under what the next block asks (its fee cap under the next base fee, its tip
   * under the node's, or a legacy price under the node's gas price), it is signed again at the same nonce with the
   * fees raised (the SDK's `bumpedFees`, the Relayer's rule) and written before it is broadcast. The row's earlier
   * versions stay looked for: whichever is mined settles it. Rows signed before a restart are re-priced the same way.
   */
  async #repriced(r: Row): Promise<Row | undefined> {
    if (Date.now() - (r.signed_at ?? r.sent_at ?? 0) < this.#o.stallTimeout) return undefined;
    const tx = Transaction.from(r.raw_tx!);
    const old: RelayerFees =
      tx.maxFeePerGas !== null && tx.maxPriorityFeePerGas !== null
        ? { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas }
        : { gasPrice: tx.gasPrice ?? 0n };
    this.#fees = undefined;
    const { fees: now, baseFee } = await this.#currentFees();
    const low =
      "gasPrice" in old
        ? old.gasPrice < ("gasPrice" in now ? now.gasPrice : (baseFee ?? 0n) + now.maxPriorityFeePerGas)
        : old.maxFeePerGas < (baseFee ?? 0n) ||
          ("maxPriorityFeePerGas" in now && old.maxPriorityFeePerGas < now.maxPriorityFeePerGas);
    if (!low) return undefined;
    const fees = bumpedFees(old, now);
    const kind = (JSON.parse(r.tx_hashes) as SignedTx[]).find((t) => t.hash === r.tx_hash)?.kind ?? "call";
    this.#log.info(
      { id: r.id, nonce: r.nonce, from: jsonSafe(old), to: jsonSafe(fees) },
      "transaction not mined and priced under the chain's fee: signed again with higher fees",
    );
    return this.#resign(r, { nonce: r.nonce!, kind, fees });
  }

  /** A receipt found (and deep enough): the row is confirmed with its result, or failed with the decoded error. */
  async #settle(r: Row, tx: SignedTx, raw: RawReceipt): Promise<void> {
    const blockNumber = Number(raw.blockNumber);
    let state: "confirmed" | "failed";
    let result: unknown = null;
    let error: SubmissionError | null = null;
    if (tx.kind === "no-op") {
      state = "failed";
      error =
        r.error === null ? { code: "CHAIN_ERROR", message: "the node refused the transaction" } : JSON.parse(r.error);
    } else if (Number(raw.status) === 1) {
      const call = this.#callOf(r);
      try {
        result = jsonSafe(call.result(receiptFromJson(raw, this.#cp.provider)));
        state = "confirmed";
      } catch (err) {
        // Mined, but its result cannot be read: the transaction happened, the submission is confirmed without one.
        this.#log.error({ id: r.id, err: plainMessage(err) }, "cannot decode the result");
        state = "confirmed";
      }
    } else {
      state = "failed";
      error = errorRecord(await this.#revertOf(r, blockNumber, raw));
    }
    const info = this.#db
      .prepare(
        `UPDATE outbox SET state = ?, tx_hash = ?, nonce = ?, block_number = ?, block_hash = ?, result = ?, error = ?,
                           settled_at = ?
         WHERE seq = ? AND state = 'sent'`,
      )
      .run(
        state,
        tx.hash,
        tx.nonce,
        blockNumber,
        raw.blockHash,
        result === null ? null : JSON.stringify(result),
        error === null ? null : JSON.stringify(error),
        Date.now(),
        r.seq,
      );
    this.#calls.delete(r.seq);
    this.#lastBroadcast.delete(r.seq);
    if (info.changes === 1) {
      // A row confirmed now has not been compared with the chain yet: the next round must, even if the head it sees
      // is the one last seen (a chain reverted to that head has lost this row's block).
      if (state === "confirmed") this.#lastHeadHash = undefined;
      this.#log.info({ id: r.id, state, tx: tx.hash, block: blockNumber }, "submission settled");
      this.onSettled?.(state);
    }
  }

  /** Why a mined transaction reverted: the call replayed on its block's state, decoded by the SDK. */
  async #revertOf(r: Row, blockNumber: number, raw: RawReceipt): Promise<CrossproofError> {
    const call = this.#callOf(r);
    try {
      await this.#rpc("eth_call", [{ from: this.relayer, to: call.to, data: call.data }, toQuantity(blockNumber)]);
    } catch (err) {
      const e = call.error(err);
      if (e.code === "CONTRACT_REVERTED") return e;
      throw e;
    }
    return new CrossproofError(
      "CHAIN_ERROR",
      `${call.action}: the transaction reverted on chain (gas used ${BigInt(raw.gasUsed)} of ${r.gas_limit}) and ` +
        "not when replayed",
    );
  }

  /** The next accepted rows, checked again, signed (written before they are broadcast) and broadcast. */
  async #sendAccepted(): Promise<boolean> {
    // Accepted rows that wait for nothing still in the outbox (the rows they were accepted behind are settled).
    const candidates = this.#db
      .prepare(
        `SELECT * FROM outbox o WHERE state = 'accepted'
           AND NOT EXISTS (SELECT 1 FROM json_each(o.waits_for) d JOIN outbox p ON p.seq = d.value
                           WHERE p.state IN ('accepted', 'sent'))
         ORDER BY seq LIMIT ?`,
      )
      .all(this.#o.batchSize) as Row[];
    if (candidates.length === 0) return false;
    // A row whose dependency failed fails too, naming it; the others are sent once all theirs are confirmed.
    const failed: { row: Row; error: SubmissionError }[] = [];
    const rows: Row[] = [];
    for (const r of candidates) {
      const dependency = this.#failedDependency(r);
      if (dependency === undefined) rows.push(r);
      else failed.push({ row: r, error: dependency });
    }
    const calls: (RequestCall<unknown> | CrossproofError)[] = rows.map((r) => {
      try {
        return this.#callOf(r);
      } catch (err) {
        return err instanceof CrossproofError ? err : new CrossproofError("INVALID_ARGUMENT", plainMessage(err));
      }
    });
    const live = rows.flatMap((r, i) => {
      const c = calls[i]!;
      return c instanceof CrossproofError ? [] : [{ row: r, call: c }];
    });
    // The contract's rules now (what was accepted unchecked is checked here), and the gas each call needs.
    const estimates = await this.#batch(
      "eth_estimateGas",
      live.map(({ call }) => [{ from: this.relayer, to: call.to, data: call.data }]),
    );
    const { fees, blockGasLimit } = await this.#currentFees();
    for (const [i, r] of rows.entries()) {
      const c = calls[i]!;
      if (c instanceof CrossproofError) failed.push({ row: r, error: errorRecord(c) });
    }
    const toSign: { row: Row; call: RequestCall<unknown>; gasLimit: bigint }[] = [];
    for (const [i, { row, call }] of live.entries()) {
      const o = estimates[i]!;
      if (o.ok) {
        const limit = (BigInt(o.result as string) * BigInt(Math.round(this.#o.gasMargin * 1000)) + 999n) / 1000n;
        toSign.push({ row, call, gasLimit: limit > blockGasLimit ? blockGasLimit : limit });
        continue;
      }
      const e = call.error(o.error);
      // The relayer's own trouble (no funds): every row waits for the next step.
      if (RELAYER_TROUBLE.test(plainMessage(o.error))) throw e;
      // A revert, or any other answer of the node about this call (no revert data, more gas than a block holds):
      // this row fails, so that it never holds up the rows after it.
      failed.push({ row, error: errorRecord(e) });
    }
    const signed: Row[] = [];
    let next = this.#nextNonce!;
    this.#db.transaction(() => {
      const now = Date.now();
      for (const f of failed) {
        const info = this.#db
          .prepare(`UPDATE outbox SET state = 'failed', error = ?, settled_at = ? WHERE seq = ? AND state = 'accepted'`)
          .run(JSON.stringify(f.error), now, f.row.seq);
        this.#calls.delete(f.row.seq);
        if (info.changes === 1) this.onSettled?.("failed");
      }
      for (const { row, call, gasLimit } of toSign) {
        const nonce = next;
        const { raw, hash } = this.#sign({ nonce, to: call.to, data: call.data, gasLimit, fees });
        const txs: SignedTx[] = [{ hash, nonce, kind: "call" }];
        const info = this.#db
          .prepare(
            `UPDATE outbox SET state = 'sent', relayer = ?, nonce = ?, gas_limit = ?, raw_tx = ?, tx_hash = ?,
                               tx_hashes = ?, sent_at = ?, signed_at = ?
             WHERE seq = ? AND state = 'accepted'`,
          )
          .run(this.relayer, nonce, gasLimit.toString(), raw, hash, JSON.stringify(txs), now, now, row.seq);
        if (info.changes === 1) {
          next++;
          signed.push({ ...row, state: "sent", relayer: this.relayer, nonce, raw_tx: raw, tx_hash: hash });
        }
      }
    })();
    this.#nextNonce = next;
    for (const f of failed) {
      this.#log.info({ id: f.row.id, error: f.error.error ?? f.error.code }, "submission refused when sent");
    }
    if (signed.length > 0) await this.#broadcast(signed);
    return true;
  }

  /** The failure of a row whose dependency failed (undefined while none did). */
  #failedDependency(r: Row): SubmissionError | undefined {
    for (const seq of JSON.parse(r.waits_for) as number[]) {
      const d = this.#db.prepare("SELECT * FROM outbox WHERE seq = ?").get(seq) as Row | undefined;
      if (d?.state !== "failed") continue;
      const error = (
        d.error === null ? { code: "CHAIN_ERROR", message: "failed" } : JSON.parse(d.error)
      ) as SubmissionError;
      return {
        code: "DEPENDENCY_FAILED",
        message:
          `not sent: it was accepted behind submission ${d.id} (${d.primary_type}), which failed: ` +
          (error.error === undefined ? error.message : `${error.error} — ${error.message}`),
        dependency: { id: d.id, primaryType: d.primary_type, error },
      };
    }
    return undefined;
  }

  /**
   * Hands rows' recorded transactions to the node (one JSON-RPC batch per 100, in nonce order) and acts on each
   * refusal: held already — fine; its nonce taken — looked for at once (next step); its fee too low — signed again
   * at the same nonce; refused for good `maxSendRefusals` times — replaced by a no-op at the same nonce.
   */
  async #broadcast(rows: Row[]): Promise<void> {
    const now = Date.now();
    let outcomes: RpcOutcome[];
    try {
      outcomes = await this.#batch(
        "eth_sendRawTransaction",
        rows.map((r) => [r.raw_tx]),
      );
    } catch (err) {
      // The node is away: every row stays as written, and is broadcast again at the next look.
      for (const r of rows) this.#lastBroadcast.delete(r.seq);
      throw err;
    }
    for (const [i, r] of rows.entries()) {
      this.#lastBroadcast.set(r.seq, now);
      const o = outcomes[i]!;
      if (o.ok) continue;
      const failure = classifySendError(o.error);
      if (failure === "known") continue;
      if (failure === "nonce") {
        // Mined already, or another transaction holds the nonce: the next look settles it or signs it anew.
        this.#lastBroadcast.delete(r.seq);
        await this.#raiseNonce();
      } else if (failure === "fee") {
        this.#fees = undefined;
        const { fees } = await this.#currentFees();
        await this.#resign(r, { nonce: r.nonce!, kind: "call", fees });
        this.#lastBroadcast.delete(r.seq);
      } else if (failure === "transient") {
        this.#lastBroadcast.delete(r.seq);
      } else {
        const refusals = r.send_refusals + 1;
        const message = `the node refused the transaction: ${plainMessage(o.error)}`;
        this.#log.warn({ id: r.id, nonce: r.nonce, refusals, err: message }, "transaction refused");
        if (refusals < this.#o.maxSendRefusals) {
          this.#db.prepare("UPDATE outbox SET send_refusals = ? WHERE seq = ?").run(refusals, r.seq);
        } else {
          // Given up at the same nonce, so that the transactions after it are not stuck behind a gap.
          const error: SubmissionError = { code: "CHAIN_ERROR", message };
          await this.#resign(r, { nonce: r.nonce!, kind: "no-op", error });
          this.#lastBroadcast.delete(r.seq);
        }
      }
    }
  }

  /**
   * Signs a sent row's call again (or a no-op) and records it before it is broadcast, if the row still holds the
   * transaction it was read with (compare-and-swap on its hash). Same nonce: another version of one transaction;
   * a new nonce: only when the old one is spent (see {@link #checkSent}).
   */
  async #resign(
    r: Row,
    o: { nonce: number; kind: SignedTx["kind"]; fees?: RelayerFees; error?: SubmissionError },
  ): Promise<Row | undefined> {
    const fees = o.fees ?? (await this.#currentFees()).fees;
    const call = o.kind === "call" ? this.#callOf(r) : undefined;
    const { raw, hash } = this.#sign({
      nonce: o.nonce,
      to: call?.to ?? this.relayer,
      data: call?.data ?? "0x",
      gasLimit: call === undefined ? TRANSFER_GAS : BigInt(r.gas_limit!),
      fees,
    });
    const current = (this.#db.prepare("SELECT tx_hashes FROM outbox WHERE seq = ?").get(r.seq) as { tx_hashes: string })
      .tx_hashes;
    // A new nonce leaves the old transactions dead: only this one is looked for from now on.
    const previous = (JSON.parse(current) as SignedTx[]).filter((t) => t.nonce === o.nonce);
    const txs: SignedTx[] = [...previous, { hash, nonce: o.nonce, kind: o.kind }];
    const info = this.#db
      .prepare(
        `UPDATE outbox SET nonce = ?, raw_tx = ?, tx_hash = ?, tx_hashes = ?, send_refusals = 0,
                           error = COALESCE(?, error), signed_at = ?
         WHERE seq = ? AND state = 'sent' AND tx_hash = ?`,
      )
      .run(
        o.nonce,
        raw,
        hash,
        JSON.stringify(txs),
        o.error === undefined ? null : JSON.stringify(o.error),
        Date.now(),
        r.seq,
        r.tx_hash,
      );
    if (info.changes !== 1) return undefined;
    return {
      ...r,
      nonce: o.nonce,
      raw_tx: raw,
      tx_hash: hash,
      tx_hashes: JSON.stringify(txs),
      send_refusals: 0,
      signed_at: Date.now(),
    };
  }

  #sign(t: { nonce: number; to: string; data: string; gasLimit: bigint; fees: RelayerFees }) {
    return signRelayedTransaction(this.#key, { chainId: this.#cp.chainId, value: 0n, ...t });
  }

  /** The next nonce is at least the chain's pending count. */
  async #raiseNonce(): Promise<void> {
    const pending = Number(await this.#rpc("eth_getTransactionCount", [this.relayer, "pending"]));
    if (this.#nextNonce === undefined || pending > this.#nextNonce) this.#nextNonce = pending;
  }

  /** The call a row's request becomes (kept while the row is pending). */
  #callOf(r: Row): RequestCall<unknown> {
    let call = this.#calls.get(r.seq);
    if (call === undefined) {
      call = signedRequestCall(this.#cp, parseWireRequest(JSON.parse(r.payload)));
      this.#calls.set(r.seq, call);
    }
    return call;
  }

  /**
   * Fees of every transaction (EIP-1559: twice the next block's base fee plus the node's tip; else its gas price),
   * cached. The next block's base fee is the pending block's where the node has one (Anvil, Geth, Besu), else the
   * latest block's.
   */
  async #currentFees(): Promise<{ fees: RelayerFees; blockGasLimit: bigint; baseFee: bigint | undefined }> {
    if (this.#fees !== undefined && Date.now() - this.#fees.at < FEE_MAX_AGE_MS) return this.#fees;
    type Block = { baseFeePerGas?: string | null; gasLimit: string };
    const pending = (await this.#rpc("eth_getBlockByNumber", ["pending", false]).catch(() => null)) as Block | null;
    const block =
      pending?.gasLimit === undefined
        ? ((await this.#rpc("eth_getBlockByNumber", ["latest", false])) as Block | null)
        : pending;
    if (block === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
    let fees: RelayerFees;
    if (block.baseFeePerGas == null) {
      fees = { gasPrice: BigInt((await this.#rpc("eth_gasPrice", [])) as string) };
    } else {
      const baseFee = BigInt(block.baseFeePerGas);
      const tip = BigInt((await this.#rpc("eth_maxPriorityFeePerGas", [])) as string);
      fees = { maxFeePerGas: 2n * baseFee + tip, maxPriorityFeePerGas: tip };
    }
    const baseFee = block.baseFeePerGas == null ? undefined : BigInt(block.baseFeePerGas);
    this.#fees = { fees, blockGasLimit: BigInt(block.gasLimit), baseFee, at: Date.now() };
    return this.#fees;
  }

  // ---- JSON-RPC ----------------------------------------------------------------------------------------------

  async #chainTime(): Promise<number> {
    const block = (await this.#rpc("eth_getBlockByNumber", ["latest", false], {
      timeout: INTAKE_CHAIN_TIMEOUT_MS,
    })) as {
      timestamp: string;
    } | null;
    if (block === null) throw new CrossproofError("CHAIN_ERROR", "no latest block");
    return Number(block.timestamp);
  }

  /** One call; a JSON-RPC error is thrown as ethers makes it (a revert keeps its data). */
  async #rpc(method: string, params: unknown[], o: { timeout?: number } = {}): Promise<unknown> {
    const [outcome] = await this.#exchange(method, [params], o.timeout ?? WORKER_RPC_TIMEOUT_MS);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.result;
  }

  /** One method with each of `params`, in JSON-RPC batches; each call's outcome in order. A transport failure throws. */
  async #batch(method: string, params: unknown[][]): Promise<RpcOutcome[]> {
    const out: RpcOutcome[] = [];
    for (let i = 0; i < params.length; i += RPC_BATCH) {
      out.push(...(await this.#exchange(method, params.slice(i, i + RPC_BATCH), WORKER_RPC_TIMEOUT_MS)));
    }
    return out;
  }

  async #exchange(method: string, params: unknown[][], timeout: number): Promise<RpcOutcome[]> {
    if (params.length === 0) return [];
    const payloads: JsonRpcPayload[] = params.map((p) => ({ method, params: p, id: this.#rpcId++, jsonrpc: "2.0" }));
    let answers: (JsonRpcResult | JsonRpcError)[];
    try {
      answers = await withTimeout(this.#link.exchange(payloads), timeout, method);
    } catch (err) {
      throw unreachableError(err) ?? err;
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    return payloads.map((payload) => {
      const a = byId.get(payload.id);
      if (a === undefined) return { ok: false, error: new CrossproofError("CHAIN_ERROR", `no answer to ${method}`) };
      if ("error" in a) return { ok: false, error: this.#cp.provider.getRpcError(payload, a) };
      return { ok: true, result: a.result };
    });
  }
}

/** The interface of the signed-request base, for its expiry error. */
const EXPIRED = IMemberSigned__factory.createInterface();
/** OpenZeppelin's `Nonces`, which every signed-request contract inherits. */
const NONCES = new Interface([
  "function nonces(address owner) view returns (uint256)",
  "error InvalidAccountNonce(address account, uint256 currentNonce)",
]);
