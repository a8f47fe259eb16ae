/**
 * The chain index: the gateway follows the crossproof contracts' events into its own SQLite tables, so that it can
 * find records by content hash, member or case reference, licences by work or party, and assistance requests by
 * member — questions the contracts keep no list for. The index only finds ids: every answer about a record, a
 * licence or a request is read from the chain through the SDK (the chain stays the source of truth).
 *
 * - Pages: `eth_getLogs` over every crossproof contract (current and earlier versions from the deployment record)
 *   in pages of `pageSize` blocks, halved while the node refuses a range, grown back after each page it accepts.
 * - Resumable: each page is stored in one transaction with the block it reached, so a restart resumes where the
 *   last page ended.
 * - Reorganised or rolled-back chain: the hash of every block that had an event, and of every page's last block,
 *   is stored. Before each poll the hash of the last indexed block is compared with the chain's; on a mismatch the
 *   indexer finds the last stored block the chain still has (binary search: a matching block means its whole
 *   ancestry matches), deletes everything indexed above it and indexes again from there.
 * - Rebuild: {@link Indexer.rebuild} drops everything and indexes again from the deployment blocks; it also happens
 *   by itself when the database was indexed for another deployment.
 */
import { createHash } from "node:crypto";
import { Gauge } from "prom-client";
import type { Interface, LogDescription } from "ethers";
import type { Logger } from "pino";
import {
  AssistanceKind,
  AssistanceStates,
  CustodyEventType,
  DEPLOYED_CONTRACTS,
  KeyPurpose,
  MAX_LOGS_RANGE,
  MemberStatus,
  Verdict,
  cidFromBytes,
  contractHistory,
  fromJurisdiction,
  type Crossproof,
  type DeployedContractName,
} from "../../sdk/src";
import {
  AssistanceDesk__factory,
  Consortium__factory,
  EvidenceRegistry__factory,
  LicenseRegistry__factory,
  RecognitionAgreements__factory,
} from "../../sdk/src/typechain";
import type Database from "better-sqlite3";
import { migrate, type Db } from "./db";
import type { GatewayModule } from "./gateway";
import { enumName } from "./names";

// ------------------------------------------------------------------------------------------------------------------
// Tables
// ------------------------------------------------------------------------------------------------------------------

/** Columns every event table has: where the event is (its log), and which contract emitted it. */
const LOG_COLUMNS = "block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL, contract TEXT NOT NULL";
const LOG_KEY = "PRIMARY KEY (block, log_index)";

/** The index's tables: one per kind of fact, each row one event (so deleting by block undoes a block exactly). */
const MIGRATIONS = [
  `
  CREATE TABLE idx_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE idx_blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);

  CREATE TABLE idx_anchors (record_id TEXT NOT NULL, content_hash TEXT NOT NULL, member_id INTEGER NOT NULL,
    case_ref TEXT NOT NULL, category INTEGER NOT NULL, jurisdiction TEXT NOT NULL, collected_at INTEGER NOT NULL,
    supersedes TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_anchors_record ON idx_anchors (record_id);
  CREATE INDEX idx_anchors_content ON idx_anchors (content_hash);
  CREATE INDEX idx_anchors_member ON idx_anchors (member_id);
  CREATE INDEX idx_anchors_case ON idx_anchors (case_ref);
  CREATE TABLE idx_retractions (kind TEXT NOT NULL, id TEXT NOT NULL, member_id INTEGER NOT NULL,
    reason_hash TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_retractions_id ON idx_retractions (id);
  CREATE TABLE idx_supersessions (old_record_id TEXT NOT NULL, new_record_id TEXT NOT NULL, ${LOG_COLUMNS},
    ${LOG_KEY});
  CREATE INDEX idx_supersessions_old ON idx_supersessions (old_record_id);
  CREATE TABLE idx_batches (batch_id TEXT NOT NULL, root TEXT NOT NULL, member_id INTEGER NOT NULL,
    count INTEGER NOT NULL, category INTEGER NOT NULL, jurisdiction TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_batches_id ON idx_batches (batch_id);
  CREATE INDEX idx_batches_member ON idx_batches (member_id);
  CREATE TABLE idx_custody (record_id TEXT NOT NULL, sequence INTEGER NOT NULL, actor INTEGER NOT NULL,
    event_type TEXT NOT NULL, counterparty INTEGER NOT NULL, occurred_at INTEGER NOT NULL, details_hash TEXT NOT NULL,
    event_hash TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_custody_record ON idx_custody (record_id);
  CREATE TABLE idx_endorsements (record_id TEXT NOT NULL, member_id INTEGER NOT NULL, agreement_id INTEGER NOT NULL,
    verdict TEXT NOT NULL, report_hash TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_endorsements_record ON idx_endorsements (record_id);

  CREATE TABLE idx_works (work_id TEXT NOT NULL, rights_holder TEXT NOT NULL, registered_by TEXT NOT NULL,
    registrar_member_id INTEGER NOT NULL, origin TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_works_id ON idx_works (work_id);
  CREATE INDEX idx_works_holder ON idx_works (rights_holder);
  CREATE TABLE idx_work_holders (work_id TEXT NOT NULL, from_holder TEXT NOT NULL, to_holder TEXT NOT NULL,
    forced INTEGER NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_work_holders_to ON idx_work_holders (to_holder);
  CREATE TABLE idx_licences (licence_id TEXT NOT NULL, work_id TEXT NOT NULL, parent_id TEXT NOT NULL,
    licensor TEXT NOT NULL, licensee TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_licences_id ON idx_licences (licence_id);
  CREATE INDEX idx_licences_work ON idx_licences (work_id);
  CREATE INDEX idx_licences_licensor ON idx_licences (licensor);
  CREATE INDEX idx_licences_licensee ON idx_licences (licensee);
  CREATE TABLE idx_licence_revocations (licence_id TEXT NOT NULL, licensor TEXT NOT NULL,
    revoked_at INTEGER NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});

  CREATE TABLE idx_assistance (request_id TEXT NOT NULL, requester INTEGER NOT NULL, addressee INTEGER NOT NULL,
    kind TEXT NOT NULL, deadline INTEGER NOT NULL, case_ref TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_assistance_id ON idx_assistance (request_id);
  CREATE INDEX idx_assistance_requester ON idx_assistance (requester);
  CREATE INDEX idx_assistance_addressee ON idx_assistance (addressee);
  CREATE TABLE idx_assistance_events (request_id TEXT NOT NULL, event TEXT NOT NULL, state TEXT,
    late INTEGER, retention_until INTEGER, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_assistance_events_id ON idx_assistance_events (request_id);

  CREATE TABLE idx_member_events (member_id INTEGER NOT NULL, event TEXT NOT NULL, jurisdiction TEXT,
    roles INTEGER, status TEXT, since INTEGER, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE TABLE idx_key_events (member_id INTEGER NOT NULL, key TEXT NOT NULL, event TEXT NOT NULL,
    valid_from INTEGER, valid_until INTEGER, origin TEXT, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_key_events_member ON idx_key_events (member_id);
  CREATE TABLE idx_public_key_events (member_id INTEGER NOT NULL, key_id TEXT NOT NULL, event TEXT NOT NULL,
    purpose TEXT, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE TABLE idx_agreement_events (agreement_id INTEGER NOT NULL, event TEXT NOT NULL, from_jurisdiction TEXT,
    to_jurisdiction TEXT, member_id INTEGER, suspended INTEGER, ${LOG_COLUMNS}, ${LOG_KEY});
  `,
  // Upload authorisation (issue 15): a work's licences by licensee, and uploader accounts linked to licensees.
  `
  CREATE INDEX idx_licences_work_licensee ON idx_licences (work_id, licensee);
  CREATE TABLE idx_account_links (platform INTEGER NOT NULL, account_hash TEXT NOT NULL, licensee TEXT NOT NULL,
    event TEXT NOT NULL, signed_by TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_account_links_account ON idx_account_links (platform, account_hash);
  CREATE INDEX idx_account_links_licensee ON idx_account_links (licensee);
  `,
  // Fingerprints of works (issue 16): each WorkFingerprintSet, the latest per work counting.
  `
  CREATE TABLE idx_work_fingerprints (work_id TEXT NOT NULL, holder TEXT NOT NULL, fingerprint_hash TEXT NOT NULL,
    cid TEXT NOT NULL, ${LOG_COLUMNS}, ${LOG_KEY});
  CREATE INDEX idx_work_fingerprints_work ON idx_work_fingerprints (work_id);
  `,
];

/** The event tables (what a rollback deletes from, what a rebuild empties, what the index consists of). */
export const INDEX_TABLES = [
  "idx_anchors",
  "idx_retractions",
  "idx_supersessions",
  "idx_batches",
  "idx_custody",
  "idx_endorsements",
  "idx_works",
  "idx_work_holders",
  "idx_licences",
  "idx_licence_revocations",
  "idx_account_links",
  "idx_assistance",
  "idx_assistance_events",
  "idx_member_events",
  "idx_key_events",
  "idx_public_key_events",
  "idx_agreement_events",
  "idx_work_fingerprints",
] as const;
export type IndexTable = (typeof INDEX_TABLES)[number];

// ------------------------------------------------------------------------------------------------------------------
// Events → rows
// ------------------------------------------------------------------------------------------------------------------

/** IConsortium.KeyOrigin (the SDK has no table for it). */
const KeyOrigin = { Founding: 0, Admission: 1, Member: 2, Governance: 3 } as const;

const hex = (v: unknown) => String(v).toLowerCase();
const num = (v: unknown) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`index: ${String(v)} is not a safe integer`);
  return n;
};
/** A `bytes2` jurisdiction (0x0000 = not stated, kept as an empty string). */
const jurisdiction = (v: unknown) => (/^0x0{4}$/.test(String(v)) ? "" : fromJurisdiction(String(v)));

type Row = Record<string, string | number | null>;
type Projection = (a: Record<string, unknown>) => [IndexTable, Row];

/** For each contract, its events and the row each becomes (events not listed are not indexed). */
const PROJECTIONS: Partial<Record<DeployedContractName, Record<string, Projection>>> = {
  EvidenceRegistry: {
    EvidenceAnchored: (a) => [
      "idx_anchors",
      {
        record_id: hex(a.recordId),
        content_hash: hex(a.contentHash),
        member_id: num(a.memberId),
        case_ref: hex(a.caseRef),
        category: num(a.category),
        jurisdiction: jurisdiction(a.jurisdiction),
        collected_at: num(a.collectedAt),
        supersedes: hex(a.supersedes),
      },
    ],
    EvidenceRetracted: (a) => [
      "idx_retractions",
      { kind: "record", id: hex(a.recordId), member_id: num(a.memberId), reason_hash: hex(a.reasonHash) },
    ],
    BatchRetracted: (a) => [
      "idx_retractions",
      { kind: "batch", id: hex(a.batchId), member_id: num(a.memberId), reason_hash: hex(a.reasonHash) },
    ],
    EvidenceSuperseded: (a) => [
      "idx_supersessions",
      { old_record_id: hex(a.oldRecordId), new_record_id: hex(a.newRecordId) },
    ],
    BatchAnchored: (a) => [
      "idx_batches",
      {
        batch_id: hex(a.batchId),
        root: hex(a.root),
        member_id: num(a.memberId),
        count: num(a.count),
        category: num(a.category),
        jurisdiction: jurisdiction(a.jurisdiction),
      },
    ],
    CustodyRecorded: (a) => [
      "idx_custody",
      {
        record_id: hex(a.recordId),
        sequence: num(a.sequence),
        actor: num(a.actor),
        event_type: enumName(CustodyEventType, a.eventType),
        counterparty: num(a.counterparty),
        occurred_at: num(a.occurredAt),
        details_hash: hex(a.detailsHash),
        event_hash: hex(a.eventHash),
      },
    ],
    EvidenceEndorsed: (a) => [
      "idx_endorsements",
      {
        record_id: hex(a.recordId),
        member_id: num(a.memberId),
        agreement_id: num(a.agreementId),
        verdict: enumName(Verdict, a.verdict),
        report_hash: hex(a.reportHash),
      },
    ],
  },
  LicenseRegistry: {
    WorkRegistered: (a) => [
      "idx_works",
      {
        work_id: hex(a.workId),
        rights_holder: hex(a.rightsHolder),
        registered_by: hex(a.registeredBy),
        registrar_member_id: num(a.registrarMemberId),
        origin: jurisdiction(a.originJurisdiction),
      },
    ],
    WorkAssigned: (a) => [
      "idx_work_holders",
      { work_id: hex(a.workId), from_holder: hex(a.from), to_holder: hex(a.to), forced: 0 },
    ],
    WorkAssignmentForced: (a) => [
      "idx_work_holders",
      { work_id: hex(a.workId), from_holder: hex(a.from), to_holder: hex(a.to), forced: 1 },
    ],
    LicenceGranted: (a) => [
      "idx_licences",
      {
        licence_id: hex(a.licenceId),
        work_id: hex(a.workId),
        parent_id: hex(a.parentId),
        licensor: hex(a.licensor),
        licensee: hex(a.licensee),
      },
    ],
    LicenceRevoked: (a) => [
      "idx_licence_revocations",
      { licence_id: hex(a.licenceId), licensor: hex(a.licensor), revoked_at: num(a.revokedAt) },
    ],
    WorkFingerprintSet: (a) => [
      "idx_work_fingerprints",
      {
        work_id: hex(a.workId),
        holder: hex(a.holder),
        fingerprint_hash: hex(a.fingerprintHash),
        cid: /^0x0{64}$/.test(String(a.fingerprintHash)) ? "" : cidFromBytes(String(a.fingerprintCid)),
      },
    ],
    AccountLinked: (a) => [
      "idx_account_links",
      {
        platform: num(a.platform),
        account_hash: hex(a.accountHash),
        licensee: hex(a.licensee),
        event: "Linked",
        signed_by: hex(a.confirmedBy),
      },
    ],
    AccountUnlinked: (a) => [
      "idx_account_links",
      {
        platform: num(a.platform),
        account_hash: hex(a.accountHash),
        licensee: hex(a.licensee),
        event: "Unlinked",
        signed_by: hex(a.unlinkedBy),
      },
    ],
  },
  AssistanceDesk: {
    AssistanceRequested: (a) => [
      "idx_assistance",
      {
        request_id: hex(a.requestId),
        requester: num(a.requester),
        addressee: num(a.addressee),
        kind: enumName(AssistanceKind, a.kind),
        deadline: num(a.deadline),
        case_ref: hex(a.caseRef),
      },
    ],
    AssistanceAcknowledged: (a) => [
      "idx_assistance_events",
      { request_id: hex(a.requestId), event: "Acknowledged", state: "Acknowledged", late: a.late ? 1 : 0 },
    ],
    AssistanceAnswered: (a) => [
      "idx_assistance_events",
      {
        request_id: hex(a.requestId),
        event: "Answered",
        state: enumName(AssistanceStates, a.outcome),
        late: a.late ? 1 : 0,
      },
    ],
    AssistanceWithdrawn: (a) => [
      "idx_assistance_events",
      { request_id: hex(a.requestId), event: "Withdrawn", state: "Withdrawn" },
    ],
    RetentionExtended: (a) => [
      "idx_assistance_events",
      { request_id: hex(a.requestId), event: "RetentionExtended", retention_until: num(a.retentionUntil) },
    ],
    // Clarification (alerts: a request in clarification).
    ClarificationRequested: (a) => [
      "idx_assistance_events",
      { request_id: hex(a.requestId), event: "ClarificationRequested", state: "AwaitingClarification" },
    ],
    ClarificationProvided: (a) => [
      "idx_assistance_events",
      { request_id: hex(a.requestId), event: "ClarificationProvided" },
    ],
  },
  Consortium: {
    MemberAdmitted: (a) => [
      "idx_member_events",
      {
        member_id: num(a.memberId),
        event: "Admitted",
        jurisdiction: jurisdiction(a.jurisdiction),
        roles: num(a.roles),
      },
    ],
    MemberStatusChanged: (a) => [
      "idx_member_events",
      {
        member_id: num(a.memberId),
        event: "StatusChanged",
        status: enumName(MemberStatus, a.status),
        since: num(a.since),
      },
    ],
    MemberRolesChanged: (a) => [
      "idx_member_events",
      { member_id: num(a.memberId), event: "RolesChanged", roles: num(a.roles) },
    ],
    KeyAdded: (a) => [
      "idx_key_events",
      {
        member_id: num(a.memberId),
        key: hex(a.key),
        event: "Added",
        valid_from: num(a.validFrom),
        valid_until: num(a.validUntil),
        origin: enumName(KeyOrigin, a.origin),
      },
    ],
    KeyRevoked: (a) => [
      "idx_key_events",
      { member_id: num(a.memberId), key: hex(a.key), event: "Revoked", valid_until: num(a.revokedAt) },
    ],
    PublicKeyAdded: (a) => [
      "idx_public_key_events",
      { member_id: num(a.memberId), key_id: hex(a.keyId), event: "Added", purpose: enumName(KeyPurpose, a.purpose) },
    ],
    PublicKeyRevoked: (a) => [
      "idx_public_key_events",
      { member_id: num(a.memberId), key_id: hex(a.keyId), event: "Revoked" },
    ],
  },
  RecognitionAgreements: {
    AgreementProposed: (a) => [
      "idx_agreement_events",
      {
        agreement_id: num(a.agreementId),
        event: "Proposed",
        from_jurisdiction: jurisdiction(a.from),
        to_jurisdiction: jurisdiction(a.to),
        member_id: num(a.proposedBy),
      },
    ],
    AgreementApproved: (a) => [
      "idx_agreement_events",
      { agreement_id: num(a.agreementId), event: "Approved", member_id: num(a.memberId) },
    ],
    AgreementConcluded: (a) => ["idx_agreement_events", { agreement_id: num(a.agreementId), event: "Concluded" }],
    AgreementSuspensionChanged: (a) => [
      "idx_agreement_events",
      {
        agreement_id: num(a.agreementId),
        event: "SuspensionChanged",
        member_id: num(a.memberId),
        suspended: a.suspended ? 1 : 0,
      },
    ],
  },
};

const INTERFACES: Partial<Record<DeployedContractName, Interface>> = {
  EvidenceRegistry: EvidenceRegistry__factory.createInterface() as unknown as Interface,
  LicenseRegistry: LicenseRegistry__factory.createInterface() as unknown as Interface,
  AssistanceDesk: AssistanceDesk__factory.createInterface() as unknown as Interface,
  Consortium: Consortium__factory.createInterface() as unknown as Interface,
  RecognitionAgreements: RecognitionAgreements__factory.createInterface() as unknown as Interface,
};

// ------------------------------------------------------------------------------------------------------------------
// The indexer
// ------------------------------------------------------------------------------------------------------------------

/** An anchor the index found: the record id, and the registry and transaction it is in. */
export interface IndexedAnchor {
  recordId: string;
  /** Derived from the retraction and supersession rows. */
  status: "Active" | "Retracted" | "Superseded";
  contentHash: string;
  memberId: number;
  /** The EvidenceRegistry (current or earlier) the record is in. */
  registry: string;
  blockNumber: number;
  transactionHash: string;
}

interface AnchorRow {
  status: IndexedAnchor["status"];
  record_id: string;
  content_hash: string;
  member_id: number;
  contract: string;
  block: number;
  tx: string;
}

/**
 * A record's status, from the rows (never a column later events update, so that deleting a block's rows undoes it):
 * retracted or superseded by the events of its registry, active otherwise.
 */
const STATUS_OF = (t: string) =>
  `CASE WHEN EXISTS (SELECT 1 FROM idx_retractions r WHERE r.kind = 'record' AND r.id = ${t}.record_id
     AND r.contract = ${t}.contract) THEN 'Retracted'
   WHEN EXISTS (SELECT 1 FROM idx_supersessions s WHERE s.old_record_id = ${t}.record_id
     AND s.contract = ${t}.contract) THEN 'Superseded' ELSE 'Active' END`;

const anchorOf = (r: AnchorRow): IndexedAnchor => ({
  recordId: r.record_id,
  status: r.status,
  contentHash: r.content_hash,
  memberId: r.member_id,
  registry: r.contract,
  blockNumber: r.block,
  transactionHash: r.tx,
});

export interface IndexedEndorsement {
  memberId: number;
  agreementId: number;
  verdict: string;
  reportHash: string;
  blockNumber: number;
  transactionHash: string;
}

export interface IndexedAssistanceEvent {
  event: string;
  state?: string;
  late?: boolean;
  retentionUntil?: number;
  blockNumber: number;
  transactionHash: string;
}

/** A JSON-RPC call (the node's raw answer). */
export type RpcCall = (method: string, params: unknown[]) => Promise<unknown>;

export interface IndexerParameters {
  db: Db;
  cp: Crossproof;
  log: Logger;
  /** Blocks per `eth_getLogs` page (default 2,000; at most {@link MAX_LOGS_RANGE}, what Besu serves). */
  pageSize?: number;
  /** How JSON-RPC calls are made (default: the SDK connection's provider). */
  rpc?: RpcCall;
}

export interface IndexerStatus {
  /** The last block indexed (the deployment block minus one before anything is). */
  indexedBlock: number;
  /** The chain's head at the last poll (-1 before the first). */
  headBlock: number;
  /** The last poll reached the head it saw, without error. */
  caughtUp: boolean;
  /** Rollbacks (reorganised or rolled-back chain) detected since the gateway started. */
  rollbacks: number;
  /** Why the last poll failed, if it did. */
  lastError?: string;
}

/** A contract the index follows. */
interface Followed {
  name: DeployedContractName;
  address: string;
  iface: Interface;
  projections: Record<string, Projection>;
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

/** A JSON-RPC error answered by the node (it refused the request), as opposed to a transport failure. */
function isRefusal(err: unknown): boolean {
  return typeof (err as { error?: { code?: unknown } } | undefined)?.error?.code === "number";
}

const toQuantity = (n: number) => `0x${n.toString(16)}`;

export class Indexer {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #rpc: RpcCall;
  readonly #maxPage: number;
  readonly #followed: Followed[];
  readonly #byAddress: Map<string, Followed>;
  /** The block before the first deployment block: the cursor of an empty index. */
  readonly #origin: number;
  #page: number;
  #head = -1;
  #caughtUp = false;
  #rollbacks = 0;
  #lastError: string | undefined;
  #running: Promise<IndexerStatus> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The read queries' statements, prepared once per SQL text: a request pays for the query, not its compilation. */
  readonly #statements = new Map<string, Database.Statement>();

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
  /** Called after each poll that reached the head (e.g. to bring the fingerprint index up to date). */
  onSynced: ((status: IndexerStatus) => void | Promise<void>) | undefined;

  constructor(p: IndexerParameters) {
    this.#db = p.db;
    this.#log = p.log;
    this.#rpc = p.rpc ?? ((method, params) => p.cp.provider.send(method, params) as Promise<unknown>);
    this.#maxPage = Math.min(p.pageSize ?? 2000, MAX_LOGS_RANGE);
    if (!Number.isInteger(this.#maxPage) || this.#maxPage < 1) throw new Error("the page size must be at least 1");
    this.#page = this.#maxPage;
    this.#followed = DEPLOYED_CONTRACTS.flatMap((name) => {
      const iface = INTERFACES[name];
      const projections = PROJECTIONS[name];
      if (iface === undefined || projections === undefined) return [];
      return contractHistory(p.cp.deployment, name).map((c) => ({
        name,
        address: c.address.toLowerCase(),
        iface,
        projections,
      }));
    });
    this.#byAddress = new Map(this.#followed.map((f) => [f.address, f]));
    const blocks = DEPLOYED_CONTRACTS.flatMap((name) =>
      contractHistory(p.cp.deployment, name).map((c) => c.blockNumber),
    );
    this.#origin = Math.min(...blocks) - 1;
    migrate(this.#db, "index", MIGRATIONS);
    const deployment = createHash("sha256")
      .update(
        JSON.stringify({
          chainId: p.cp.deployment.chainId,
          consortiumId: p.cp.deployment.consortiumId.toLowerCase(),
          followed: this.#followed.map((f) => [f.name, f.address]),
        }),
      )
      .digest("hex");
    if (this.#state("deployment") !== deployment) {
      if (this.#state("deployment") !== undefined) {
        this.#log.warn("the index was made for another deployment: indexing again from the deployment blocks");
      }
      this.#clear();
      this.#setState("deployment", deployment);
    }
  }

  /** Where the index is, against the chain's head at the last poll. */
  status(): IndexerStatus {
    return {
      indexedBlock: this.#cursor(),
      headBlock: this.#head,
      caughtUp: this.#caughtUp,
      rollbacks: this.#rollbacks,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  /**
   * One poll: checks that the last indexed block is still the chain's (rolling back what is not), then indexes
   * page by page up to the head. Concurrent calls share one poll.
   */
  syncOnce(): Promise<IndexerStatus> {
    this.#running ??= this.#sync().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Drops the whole index and indexes again from the deployment blocks. */
  async rebuild(): Promise<IndexerStatus> {
    await this.#running?.catch(() => undefined);
    this.#clear();
    this.#caughtUp = false;
    this.#log.info("index dropped: indexing again from the deployment blocks");
    return this.syncOnce();
  }

  /** Polls every `intervalMs` (errors are logged and retried at the next poll). */
  start(intervalMs: number): void {
    this.#stopped = false;
    const tick = async () => {
      try {
        await this.syncOnce();
      } catch (err) {
        this.#log.warn({ err }, "indexer poll failed; retrying at the next poll");
      }
      if (!this.#stopped) {
        this.#timer = setTimeout(tick, intervalMs);
        this.#timer.unref();
      }
    };
    this.#timer = setTimeout(tick, 0);
    this.#timer.unref();
  }

  /** Stops polling and waits for a poll under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Every event table's rows in a stable order (rebuilds compare equal to the live index; debugging). */
  dump(): Record<IndexTable, Row[]> {
    return Object.fromEntries(
      INDEX_TABLES.map((t) => [t, this.#db.prepare(`SELECT * FROM ${t} ORDER BY block, log_index`).all() as Row[]]),
    ) as Record<IndexTable, Row[]>;
  }

  /** The database the index lives in (for the read queries). */
  get db(): Db {
    return this.#db;
  }

  // --------------------------------------------------------------------------------------------------------------
  // What the index finds (ids and where they are; the facts themselves are read from the chain)
  // --------------------------------------------------------------------------------------------------------------

  /** Anchors matching every filter given, oldest first. */
  anchors(
    f: { recordId?: string; contentHash?: string; memberId?: number; caseRef?: string },
    page: { limit?: number; offset?: number } = {},
  ): IndexedAnchor[] {
    const filters: [string, string | number | undefined][] = [
      ["record_id", f.recordId?.toLowerCase()],
      ["content_hash", f.contentHash?.toLowerCase()],
      ["member_id", f.memberId],
      ["case_ref", f.caseRef?.toLowerCase()],
    ];
    const given = filters.filter((x): x is [string, string | number] => x[1] !== undefined);
    const where = given.map(([column]) => `${column} = ?`);
    const args = given.map(([, value]) => value);
    return (
      this.#statement(
        `SELECT record_id, content_hash, member_id, contract, block, tx, ${STATUS_OF("idx_anchors")} AS status
           FROM idx_anchors ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
           ORDER BY block, log_index LIMIT ? OFFSET ?`,
      ).all(...args, page.limit ?? -1, page.offset ?? 0) as AnchorRow[]
    ).map(anchorOf);
  }

  /**
   * The anchors of `contentHash` its anchoring member disclosed publicly (a `Disclosed` custody event with no
   * counterparty, recorded by the anchoring member), oldest first. One query, whatever the answer: a content hash
   * that is anchored but not disclosed and one that is not anchored at all take the same path.
   */
  publicAnchors(contentHash: string): IndexedAnchor[] {
    return (
      this.#statement(
        `SELECT a.record_id, a.content_hash, a.member_id, a.contract, a.block, a.tx, ${STATUS_OF("a")} AS status
           FROM idx_anchors a
           WHERE a.content_hash = ? AND EXISTS (SELECT 1 FROM idx_custody c WHERE c.contract = a.contract
             AND c.record_id = a.record_id AND c.event_type = 'Disclosed' AND c.counterparty = 0
             AND c.actor = a.member_id)
           ORDER BY a.block, a.log_index`,
      ).all(contentHash.toLowerCase()) as AnchorRow[]
    ).map(anchorOf);
  }

  /** Batches of a member (or the one batch asked), oldest first. */
  batches(f: { batchId?: string; memberId?: number }): { batchId: string; registry: string }[] {
    const rows = this.#statement(
      `SELECT batch_id, contract FROM idx_batches WHERE (? IS NULL OR batch_id = ?) AND (? IS NULL OR member_id = ?)
         ORDER BY block, log_index`,
    ).all(
      f.batchId?.toLowerCase() ?? null,
      f.batchId?.toLowerCase() ?? null,
      f.memberId ?? null,
      f.memberId ?? null,
    ) as {
      batch_id: string;
      contract: string;
    }[];
    return rows.map((r) => ({ batchId: r.batch_id, registry: r.contract }));
  }

  /** Every endorsement event of a record, oldest first (a member's later one replaces its earlier one on chain). */
  endorsements(recordId: string, registry: string): IndexedEndorsement[] {
    return (
      this.#statement(
        `SELECT member_id, agreement_id, verdict, report_hash, block, tx FROM idx_endorsements
           WHERE record_id = ? AND contract = ? ORDER BY block, log_index`,
      ).all(recordId.toLowerCase(), registry.toLowerCase()) as {
        member_id: number;
        agreement_id: number;
        verdict: string;
        report_hash: string;
        block: number;
        tx: string;
      }[]
    ).map((r) => ({
      memberId: r.member_id,
      agreementId: r.agreement_id,
      verdict: r.verdict,
      reportHash: r.report_hash,
      blockNumber: r.block,
      transactionHash: r.tx,
    }));
  }

  /** Licence ids of a work, or naming an account as licensor or licensee, oldest first. */
  licences(f: { workId?: string; party?: string }): string[] {
    const party = f.party?.toLowerCase() ?? null;
    return (
      this.#statement(
        `SELECT licence_id FROM idx_licences WHERE (? IS NULL OR work_id = ?)
           AND (? IS NULL OR licensor = ? OR licensee = ?) ORDER BY block, log_index`,
      ).all(f.workId?.toLowerCase() ?? null, f.workId?.toLowerCase() ?? null, party, party, party) as {
        licence_id: string;
      }[]
    ).map((r) => r.licence_id);
  }

  /**
   * The licences of a work naming `licensee` as licensee, newest grant first: the candidates an upload question
   * judges on chain (the index finds them; the chain decides).
   */
  licencesOf(workId: string, licensee: string): string[] {
    return (
      this.#statement(
        `SELECT licence_id FROM idx_licences WHERE work_id = ? AND licensee = ? ORDER BY block DESC, log_index DESC`,
      ).all(workId.toLowerCase(), licensee.toLowerCase()) as { licence_id: string }[]
    ).map((r) => r.licence_id);
  }

  /** Every link and unlink of uploader accounts on a platform (of one account when given), oldest first. */
  accountLinkEvents(
    platform: number,
    accountHash?: string,
  ): { accountHash: string; licensee: string; event: "Linked" | "Unlinked"; signedBy: string; blockNumber: number }[] {
    return (
      this.#statement(
        `SELECT account_hash, licensee, event, signed_by, block FROM idx_account_links
           WHERE platform = ? AND (? IS NULL OR account_hash = ?) ORDER BY block, log_index`,
      ).all(platform, accountHash?.toLowerCase() ?? null, accountHash?.toLowerCase() ?? null) as {
        account_hash: string;
        licensee: string;
        event: "Linked" | "Unlinked";
        signed_by: string;
        block: number;
      }[]
    ).map((r) => ({
      accountHash: r.account_hash,
      licensee: r.licensee,
      event: r.event,
      signedBy: r.signed_by,
      blockNumber: r.block,
    }));
  }

  /** Works registered to, or ever assigned to, an account (every work without one), oldest first. */
  works(f: { holder?: string }): string[] {
    const holder = f.holder?.toLowerCase() ?? null;
    return (
      this.#statement(
        `SELECT work_id FROM idx_works WHERE ? IS NULL OR rights_holder = ?
             OR work_id IN (SELECT work_id FROM idx_work_holders WHERE to_holder = ?)
           ORDER BY block, log_index`,
      ).all(holder, holder, holder) as { work_id: string }[]
    ).map((r) => r.work_id);
  }

  /** A member's assistance requests as requester and/or addressee, oldest first; `answered`: only those answered. */
  assistanceRequests(memberId: number, role: "requester" | "addressee" | "any", o: { answered?: boolean } = {}) {
    return (
      this.#statement(
        `SELECT request_id FROM idx_assistance r WHERE (
             (? AND requester = ?) OR (? AND addressee = ?))
           AND (NOT ? OR EXISTS (SELECT 1 FROM idx_assistance_events e WHERE e.request_id = r.request_id
             AND e.contract = r.contract AND e.event = 'Answered'))
           ORDER BY block, log_index`,
      ).all(
        role !== "addressee" ? 1 : 0,
        memberId,
        role !== "requester" ? 1 : 0,
        memberId,
        o.answered === true ? 1 : 0,
      ) as { request_id: string }[]
    ).map((r) => r.request_id);
  }

  /** What happened to a request after it was issued, oldest first. */
  assistanceEvents(requestId: string): IndexedAssistanceEvent[] {
    return (
      this.#statement(
        `SELECT event, state, late, retention_until, block, tx FROM idx_assistance_events WHERE request_id = ?
           ORDER BY block, log_index`,
      ).all(requestId.toLowerCase()) as {
        event: string;
        state: string | null;
        late: number | null;
        retention_until: number | null;
        block: number;
        tx: string;
      }[]
    ).map((r) => ({
      event: r.event,
      ...(r.state === null ? {} : { state: r.state }),
      ...(r.late === null ? {} : { late: r.late === 1 }),
      ...(r.retention_until === null ? {} : { retentionUntil: r.retention_until }),
      blockNumber: r.block,
      transactionHash: r.tx,
    }));
  }

  /** Every signing key a member was ever given, in the order they were added. */
  signingKeys(memberId: number): string[] {
    return (
      this.#statement(
        "SELECT DISTINCT key FROM idx_key_events WHERE member_id = ? AND event = 'Added' ORDER BY block, log_index",
      ).all(memberId) as { key: string }[]
    ).map((r) => r.key);
  }

  /**
   * Every work's current fingerprint file: the latest WorkFingerprintSet of each work, withdrawn ones (digest 0)
   * left out.
   */
  workFingerprints(): { workId: string; digest: string; cid: string; blockNumber: number }[] {
    return (
      this.#db
        .prepare(
          `SELECT f.work_id, f.fingerprint_hash, f.cid, f.block FROM idx_work_fingerprints f
           WHERE NOT EXISTS (SELECT 1 FROM idx_work_fingerprints g WHERE g.work_id = f.work_id
             AND (g.block > f.block OR (g.block = f.block AND g.log_index > f.log_index)))
           AND f.cid != '' ORDER BY f.block, f.log_index`,
        )
        .all() as { work_id: string; fingerprint_hash: string; cid: string; block: number }[]
    ).map((r) => ({ workId: r.work_id, digest: r.fingerprint_hash, cid: r.cid, blockNumber: r.block }));
  }

  // --------------------------------------------------------------------------------------------------------------

  async #sync(): Promise<IndexerStatus> {
    try {
      const head = Number(await this.#rpc("eth_blockNumber", []));
      this.#head = head;
      await this.#checkLastBlock();
      // More than a page behind (a restart, a burst): not caught up until the head is reached.
      if (head - this.#cursor() > this.#maxPage) this.#caughtUp = false;
      while (this.#cursor() < head) {
        const from = this.#cursor() + 1;
        const page = await this.#fetchPage(from, head);
        this.#store(page);
      }
      this.#caughtUp = true;
      this.#lastError = undefined;
      await this.onSynced?.(this.status());
      return this.status();
    } catch (err) {
      this.#caughtUp = false;
      this.#lastError = (err as Error).message;
      throw err;
    }
  }

  async #blockHash(n: number): Promise<string | undefined> {
    const block = (await this.#rpc("eth_getBlockByNumber", [toQuantity(n), false])) as { hash?: string } | null;
    return block?.hash?.toLowerCase();
  }

  /** A reorganised or rolled-back chain: rolls the index back to the last block the chain still has. */
  async #checkLastBlock(): Promise<void> {
    const last = this.#db.prepare("SELECT number, hash FROM idx_blocks ORDER BY number DESC LIMIT 1").get() as
      { number: number; hash: string } | undefined;
    if (last === undefined || (await this.#blockHash(last.number)) === last.hash) return;
    // Matching is monotone (a block that matches has a matching ancestry): binary search the stored blocks.
    const count = (this.#db.prepare("SELECT COUNT(*) AS n FROM idx_blocks").get() as { n: number }).n;
    const at = this.#db.prepare("SELECT number, hash FROM idx_blocks ORDER BY number LIMIT 1 OFFSET ?");
    let lo = -1; // the highest position known to match (-1: none)
    let hi = count - 1; // the lowest position known not to match
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const b = at.get(mid) as { number: number; hash: string };
      if ((await this.#blockHash(b.number)) === b.hash) lo = mid;
      else hi = mid;
    }
    const keep = lo < 0 ? this.#origin : (at.get(lo) as { number: number }).number;
    this.#log.warn(
      { indexedBlock: last.number, keep },
      "the chain no longer has the last indexed block (reorganised or rolled back): indexing again from the last " +
        "block it still has",
    );
    this.#rollbacks++;
    this.#db.transaction(() => {
      for (const t of INDEX_TABLES) this.#db.prepare(`DELETE FROM ${t} WHERE block > ?`).run(keep);
      this.#db.prepare("DELETE FROM idx_blocks WHERE number > ?").run(keep);
      this.#setState("cursor", String(keep));
    })();
  }

  /** The logs of blocks `from`.. (one page, halved while the node refuses the range), read from one chain. */
  async #fetchPage(from: number, head: number): Promise<{ to: number; toHash: string; logs: RpcLog[] }> {
    for (;;) {
      const to = Math.min(from + this.#page - 1, head);
      const before = await this.#blockHash(to);
      if (before === undefined) throw new Error(`the chain has no block ${to} any more (rolled back?)`);
      let logs: RpcLog[];
      try {
        logs = (await this.#rpc("eth_getLogs", [
          { fromBlock: toQuantity(from), toBlock: toQuantity(to), address: this.#followed.map((f) => f.address) },
        ])) as RpcLog[];
      } catch (err) {
        if (!isRefusal(err) || to === from) throw err;
        this.#page = Math.max(1, Math.floor((to - from + 1) / 2));
        this.#log.info({ from, to, page: this.#page, err: (err as Error).message }, "the node refused the range");
        continue;
      }
      // The page's last block did not change while its logs were read: they are all from the chain ending there.
      if ((await this.#blockHash(to)) !== before) throw new Error(`block ${to} changed while it was read`);
      if (logs.some((l) => Number(l.blockNumber) === to && l.blockHash.toLowerCase() !== before)) {
        throw new Error(`logs of block ${to} are from another chain`);
      }
      this.#page = Math.min(this.#maxPage, this.#page * 2);
      return { to, toHash: before, logs };
    }
  }

  /** Stores a page in one transaction: its rows, the blocks' hashes, and the block reached. */
  #store(page: { to: number; toHash: string; logs: RpcLog[] }): void {
    const blocks = this.#db.prepare("INSERT OR REPLACE INTO idx_blocks (number, hash) VALUES (?, ?)");
    this.#db.transaction(() => {
      for (const log of page.logs) {
        if (log.removed === true) continue;
        const followed = this.#byAddress.get(log.address.toLowerCase());
        if (followed === undefined) continue;
        let event: LogDescription | null;
        try {
          event = followed.iface.parseLog({ topics: log.topics, data: log.data });
        } catch {
          event = null;
        }
        const projection = event === null ? undefined : followed.projections[event.name];
        if (event === null || projection === undefined) continue;
        const args: Record<string, unknown> = {};
        event.fragment.inputs.forEach((input, i) => (args[input.name] = event.args[i]));
        const [table, row] = projection(args);
        this.#insert(table, {
          ...row,
          block: Number(log.blockNumber),
          log_index: Number(log.logIndex),
          tx: log.transactionHash.toLowerCase(),
          contract: followed.address,
        });
        blocks.run(Number(log.blockNumber), log.blockHash.toLowerCase());
      }
      blocks.run(page.to, page.toHash);
      this.#setState("cursor", String(page.to));
    })();
  }

  readonly #inserts = new Map<string, ReturnType<Db["prepare"]>>();

  #insert(table: IndexTable, row: Row): void {
    const columns = Object.keys(row).sort();
    const key = `${table}:${columns.join(",")}`;
    let stmt = this.#inserts.get(key);
    if (stmt === undefined) {
      stmt = this.#db.prepare(
        `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`,
      );
      this.#inserts.set(key, stmt);
    }
    stmt.run(row);
  }

  #cursor(): number {
    const v = this.#state("cursor");
    return v === undefined ? this.#origin : Number(v);
  }

  #state(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM idx_state WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  #setState(key: string, value: string): void {
    this.#db
      .prepare("INSERT INTO idx_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, value);
  }

  #clear(): void {
    this.#db.transaction(() => {
      for (const t of INDEX_TABLES) this.#db.prepare(`DELETE FROM ${t}`).run();
      this.#db.prepare("DELETE FROM idx_blocks").run();
      this.#db.prepare("DELETE FROM idx_state WHERE key = 'cursor'").run();
    })();
  }
}

/**
 * Starts the indexer (polling every `indexerPollMs`; not at all with 0, for tests that drive it) and makes
 * readiness wait for it. Register it before the modules that read the index.
 */
export const indexerModule: GatewayModule = (ctx) => {
  const indexer = new Indexer({
    db: ctx.db,
    cp: ctx.cp,
    log: ctx.log.child({ component: "indexer" }),
    pageSize: ctx.config.indexerPageSize,
  });
  ctx.indexer = indexer;
  new Gauge({
    name: "crossproof_gateway_indexed_block",
    help: "The last block the chain index has",
    registers: [ctx.metrics.registry],
    collect() {
      this.set(indexer.status().indexedBlock);
    },
  });
  new Gauge({
    name: "crossproof_gateway_chain_head_block",
    help: "The chain's head at the indexer's last poll",
    registers: [ctx.metrics.registry],
    collect() {
      this.set(indexer.status().headBlock);
    },
  });
  if (ctx.config.indexerPollMs > 0) indexer.start(ctx.config.indexerPollMs);
  ctx.onClose(() => indexer.stop());
};
