import { CustodyEventType, custodyEventHash } from "./eip712";

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

/** The result of checking a chain of custody. */
export interface CustodyVerification {
  /** Every event links to the one before, its hash is right, sequences have no gap, and the head matches. */
  intact: boolean;
  /** Intact, and no transfer is waiting for its receiver's acknowledgement. */
  complete: boolean;
  /** Member holding the evidence after the last event. */
  custodian: bigint;
  /** Member a transfer is waiting on (0 = none). */
  pendingRecipient: bigint;
  /** What is wrong, in plain words (empty when intact and complete). */
  problems: string[];
}

const typeName = (t: number) =>
  (Object.entries(CustodyEventType).find(([, v]) => v === t)?.[0] ?? `type ${t}`) as string;

/**
 * Verifies a chain of custody from its events, offline: recomputes every event hash from its fields, checks each
 * links to the previous one (the first to the evidence id), that sequences run 0, 1, 2, … and that the last hash
 * equals the `head` stored on chain; replays transfers to find who holds the evidence and whether a transfer is
 * unacknowledged.
 */
export function verifyCustodyChain(
  evidenceId: string,
  anchoringMember: bigint,
  events: readonly CustodyEvent[],
  head: string,
): CustodyVerification {
  const problems: string[] = [];
  let previous = evidenceId.toLowerCase();
  let custodian = anchoringMember;
  let pending = 0n;
  const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
  sorted.forEach((e, i) => {
    if (e.sequence !== i) problems.push(`event ${i} is missing (found sequence ${e.sequence})`);
    if (e.previous.toLowerCase() !== previous) problems.push(`event ${e.sequence} does not link to the event before`);
    const expected = custodyEventHash({
      previous: e.previous,
      evidenceId,
      sequence: e.sequence,
      eventType: e.eventType,
      actor: e.actor,
      counterparty: e.counterparty,
      occurredAt: e.occurredAt,
      detailsHash: e.detailsHash,
    });
    if (expected !== e.eventHash.toLowerCase()) problems.push(`event ${e.sequence} does not hash to its recorded hash`);
    previous = e.eventHash.toLowerCase();
    switch (e.eventType) {
      case CustodyEventType.Transferred:
      case CustodyEventType.Returned:
        pending = e.counterparty;
        break;
      case CustodyEventType.Received:
        custodian = e.actor;
        pending = 0n;
        break;
      case CustodyEventType.TransferCancelled:
        pending = 0n;
        break;
      default:
        break;
    }
  });
  if (previous !== head.toLowerCase()) problems.push("the last event is not the head recorded on chain");
  const intact = problems.length === 0;
  if (pending !== 0n) {
    const last = sorted.filter((e) => e.counterparty === pending).at(-1);
    problems.push(
      `transfer to member ${pending} (${last === undefined ? "?" : typeName(last.eventType)}) is not acknowledged`,
    );
  }
  return { intact, complete: intact && pending === 0n, custodian, pendingRecipient: pending, problems };
}
