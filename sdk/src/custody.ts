import { CustodyEventType, custodyEventHash } from "./eip712";

// The custody details documents that events' `detailsHash` commit to.
export * from "./custody-details";

/** A custody event as emitted by `EvidenceRegistry.CustodyRecorded`. */
export interface CustodyEvent {
  sequence: number;
  eventType: number;
  actor: bigint;
  counterparty: bigint;
  occurredAt: number;
  detailsHash: string;
  signer: string;
  previous: string;
  eventHash: string;
  transactionHash?: string;
  blockNumber?: number;
}

/**
 * What a chain of custody amounts to:
 * - `NO_CUSTODY_RECORDED`: no custody event at all (the record is anchored, nothing more) — never complete;
 * - `BROKEN`: an event is missing, altered, mislinked, not the head on chain, or breaks a custody rule;
 * - `TRANSFER_PENDING`: intact, but a transfer waits for its receiver's acknowledgement;
 * - `COMPLETE`: intact, starting with the collection (or acquisition), every transfer acknowledged.
 */
export type CustodyStatus = "NO_CUSTODY_RECORDED" | "BROKEN" | "TRANSFER_PENDING" | "COMPLETE";

/** The result of checking a chain of custody. */
export interface CustodyVerification {
  status: CustodyStatus;
  /** Every event links to the one before, its hash is right, sequences have no gap, and the head matches. */
  intact: boolean;
  /** Custody is recorded (at least one event). */
  recorded: boolean;
  /** Status `COMPLETE`: recorded, intact, follows the custody rules, no transfer waiting for its receipt. */
  complete: boolean;
  /** Member holding the evidence after the last event. */
  custodian: bigint;
  /** Member a transfer is waiting on (0 = none). */
  pendingRecipient: bigint;
  /** Members that received the package: the anchoring member, receivers of transfers and added recipients. */
  recipients: bigint[];
  /** What is wrong or missing, in plain words (empty when complete). */
  problems: string[];
}

/** Optional facts the chain is checked against. */
export interface VerifyCustodyChainOptions {
  /** The record's claimed collection time: no custody event may predate it. */
  collectedAt?: number;
}

const typeName = (t: number) =>
  (Object.entries(CustodyEventType).find(([, v]) => v === t)?.[0] ?? `type ${t}`) as string;

/**
 * Verifies a chain of custody from its events, offline, by the EvidenceRegistry's rules: recomputes every event hash
 * from its fields, checks each links to the previous one (the first to the record id), that sequences run 0, 1, 2, …
 * and that the last hash equals the `head` stored on chain; then replays the events — the first must be Collected
 * or Acquired by the anchoring member, Accessed must come from a member that received the package, and only the
 * custodian's events move the clock (an access recorded late never makes a later custodian event look early) — to
 * find who holds the evidence and whether a transfer is unacknowledged.
 *
 * A record without any custody event is reported as `NO_CUSTODY_RECORDED`, never as complete.
 * @example
 * const v = verifyCustodyChain(recordId, 1n, events, custody.head, { collectedAt });
 * if (v.status !== "COMPLETE") console.log(v.problems);
 */
export function verifyCustodyChain(
  recordId: string,
  anchoringMember: bigint,
  events: readonly CustodyEvent[],
  head: string,
  options: VerifyCustodyChainOptions = {},
): CustodyVerification {
  const integrity: string[] = [];
  const rules: string[] = [];
  let previous = recordId.toLowerCase();
  let custodian = anchoringMember;
  let pending = 0n;
  let startedAt = 0;
  let clock = 0;
  const recipients = new Set<bigint>([anchoringMember]);
  const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
  sorted.forEach((e, i) => {
    if (e.sequence !== i) integrity.push(`event ${i} is missing (found sequence ${e.sequence})`);
    if (e.previous.toLowerCase() !== previous) integrity.push(`event ${e.sequence} does not link to the event before`);
    const expected = custodyEventHash({
      previous: e.previous,
      recordId,
      sequence: e.sequence,
      eventType: e.eventType,
      actor: e.actor,
      counterparty: e.counterparty,
      occurredAt: e.occurredAt,
      detailsHash: e.detailsHash,
    });
    if (expected !== e.eventHash.toLowerCase())
      integrity.push(`event ${e.sequence} does not hash to its recorded hash`);
    previous = e.eventHash.toLowerCase();

    const n = `event ${e.sequence} (${typeName(e.eventType)})`;
    if (options.collectedAt !== undefined && e.occurredAt < options.collectedAt) {
      rules.push(`${n} predates the collection of the evidence`);
    }
    if (i === 0) {
      if (e.eventType !== CustodyEventType.Collected && e.eventType !== CustodyEventType.Acquired) {
        rules.push(`custody does not start with Collected or Acquired (${n})`);
      }
      if (e.actor !== anchoringMember) rules.push(`${n} is not by the anchoring member ${anchoringMember}`);
      startedAt = e.occurredAt;
      clock = e.occurredAt;
      return;
    }
    switch (e.eventType) {
      case CustodyEventType.Accessed:
      case CustodyEventType.RecipientAdded:
        // Sharing events: after the start of the chain; they never move the custody clock.
        if (e.occurredAt < startedAt) rules.push(`${n} predates the start of the chain of custody`);
        if (e.eventType === CustodyEventType.Accessed) {
          if (!recipients.has(e.actor)) rules.push(`${n}: member ${e.actor} never received the package`);
        } else {
          if (e.actor !== anchoringMember && e.actor !== custodian) {
            rules.push(`${n}: member ${e.actor} is neither the anchoring member nor the custodian`);
          }
          recipients.add(e.counterparty);
        }
        return;
      default:
        break;
    }
    if (e.occurredAt < clock) rules.push(`${n} is earlier than the custody event before it`);
    clock = e.occurredAt;
    if (e.eventType === CustodyEventType.Received) {
      if (pending === 0n || e.actor !== pending) rules.push(`${n}: no transfer to member ${e.actor} was pending`);
      custodian = e.actor;
      pending = 0n;
      recipients.add(e.actor);
      return;
    }
    if (e.actor !== custodian) rules.push(`${n}: member ${e.actor} is not the custodian`);
    if (e.eventType === CustodyEventType.TransferCanceled) pending = 0n;
    if (e.eventType === CustodyEventType.Transferred || e.eventType === CustodyEventType.Returned) {
      pending = e.counterparty;
    }
  });
  if (previous !== head.toLowerCase()) integrity.push("the last event is not the head recorded on chain");
  const intact = integrity.length === 0;
  const recorded = sorted.length > 0;
  const problems = [...integrity, ...rules];
  let status: CustodyStatus;
  if (problems.length > 0) status = "BROKEN";
  else if (!recorded) status = "NO_CUSTODY_RECORDED";
  else if (pending !== 0n) status = "TRANSFER_PENDING";
  else status = "COMPLETE";
  if (!recorded) problems.push("no custody is recorded (no Collected or Acquired event)");
  if (pending !== 0n) {
    const last = sorted.filter((e) => e.counterparty === pending).at(-1);
    problems.push(
      `transfer to member ${pending} (${last === undefined ? "?" : typeName(last.eventType)}) is not acknowledged`,
    );
  }
  return {
    status,
    intact,
    recorded,
    complete: status === "COMPLETE",
    custodian,
    pendingRecipient: pending,
    recipients: [...recipients],
    problems,
  };
}
