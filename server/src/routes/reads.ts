/**
 * Reads: evidence records (by id, by content hash, case reference or member), their custody and endorsements,
 * batches; works, licences, their chains and authorisation; a member's assistance requests; members, their keys and
 * the recognition agreements; and the one answer strangers get about evidence — the public check.
 *
 * The index (indexer.ts) only finds ids; every fact answered is read from the chain through the SDK, so an answer
 * is never older than the chain, and the SDK's rules (custody verification, authorisation, request states by chain
 * time, the verifier) are the only rules applied.
 *
 * Who sees what (docs/GATEWAY.md, "Reads"):
 * - evidence, custody, endorsements, batches: members only (401 for strangers, 403 for accounts);
 * - assistance requests: their requester and addressee only; anyone else gets 404, exactly as for an unknown id,
 *   because a request's existence says that a case exists;
 * - works and licences: members, and the accounts named in them (rights holder, licensor, licensee); other accounts
 *   get 404, as for an unknown id;
 * - members, keys, recognition agreements: anyone (what a stranger needs to check a report; nothing about a case);
 * - the public check: anyone, and only for records their anchoring member disclosed publicly; for everything else
 *   the answer is the one for a content hash nobody anchored.
 */
import { ZeroHash } from "ethers";
import {
  Assurance,
  CustodyEventType,
  MAX_CHAIN_DEPTH,
  MemberStatus,
  OPEN_ENDED,
  Right,
  Role,
  Verdict,
  fromJurisdiction,
  reduceReport,
  reportTime,
  type AssistanceRequestView,
  type AssistanceStateName,
  type EvidenceBatchRecord,
  type EvidenceClient,
  type EvidenceRecord,
  type LicenceView,
  type RightName,
  type RoleName,
  assistanceRequestJson,
} from "../../../sdk/src";
import type { Principal } from "../auth/principal";
import type { GatewayContext, GatewayModule } from "../gateway";
import type { Indexer } from "../indexer";
import { enumName, flagNames } from "../names";
import { Problem } from "../problems";
import { z } from "../zod";

// ------------------------------------------------------------------------------------------------------------------
// Schemas
// ------------------------------------------------------------------------------------------------------------------

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex (0x + 64 hex digits)");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x + 40 hex digits)");
const memberIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const time = z.string().openapi({ description: "ISO 8601, UTC", example: "2026-03-01T12:00:00Z" });
const page = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

const EvidenceRecordSchema = z
  .object({
    recordId: bytes32,
    contentHash: bytes32,
    status: z.enum(["Active", "Retracted", "Superseded"]),
    memberId: z.string(),
    jurisdiction: z.string(),
    category: z.number().int(),
    anchoredAt: time,
    collectedAt: time,
    firstUpload: z.string().nullable(),
    primaryDissemination: z.string().nullable(),
    signer: address,
    packageCid: z.string(),
    caseRef: bytes32,
    supersedes: bytes32.nullable(),
    supersededBy: bytes32.nullable(),
    fieldsMatchCommitment: z.boolean(),
    registry: address,
    transactionHash: bytes32,
    blockNumber: z.number().int(),
  })
  .openapi("EvidenceRecord", {
    description: "An evidence record as the chain holds it (the anchoring event's fields)",
  });

const CustodyEventSchema = z
  .object({
    sequence: z.number().int(),
    eventType: z.string(),
    actor: z.string(),
    counterparty: z.string().nullable(),
    occurredAt: time,
    detailsHash: bytes32,
    signer: address,
    previous: bytes32,
    eventHash: bytes32,
    transactionHash: bytes32.optional(),
    blockNumber: z.number().int().optional(),
  })
  .openapi("CustodyEvent");

const CustodySchema = z
  .object({
    recordId: bytes32,
    events: z.array(CustodyEventSchema),
    verification: z.object({
      status: z.enum(["NO_CUSTODY_RECORDED", "BROKEN", "TRANSFER_PENDING", "COMPLETE"]),
      intact: z.boolean(),
      complete: z.boolean(),
      custodian: z.string(),
      pendingRecipient: z.string().nullable(),
      recipients: z.array(z.string()),
      problems: z.array(z.string()),
    }),
  })
  .openapi("CustodyChain", { description: "The chain of custody, verified by the SDK against the head on chain" });

const EndorsementsSchema = z
  .object({
    recordId: bytes32,
    current: z.array(
      z.object({
        memberId: z.string(),
        verdict: z.enum(["Recognized", "Challenged"]),
        at: time,
        agreementId: z.string().nullable(),
        reportHash: bytes32,
      }),
    ),
    history: z.array(
      z.object({
        memberId: z.string(),
        verdict: z.string(),
        agreementId: z.string().nullable(),
        reportHash: bytes32,
        transactionHash: bytes32,
        blockNumber: z.number().int(),
      }),
    ),
  })
  .openapi("Endorsements", {
    description: "Each member's endorsement now (chain), and every endorsement made (index)",
  });

const BatchSchema = z
  .object({
    batchId: bytes32,
    root: bytes32,
    status: z.enum(["Active", "Retracted", "Superseded"]),
    memberId: z.string(),
    jurisdiction: z.string(),
    category: z.number().int(),
    count: z.number().int(),
    anchoredAt: time,
    signer: address,
    manifestCid: z.string(),
    registry: address,
    transactionHash: bytes32,
    blockNumber: z.number().int(),
  })
  .openapi("EvidenceBatch");

const LicenceSchema = z
  .object({
    licenceId: bytes32,
    workId: bytes32,
    parentId: bytes32.nullable(),
    licensor: address,
    licensee: address,
    rights: z.array(z.string()),
    grantType: z.string(),
    sublicensable: z.boolean(),
    start: time,
    backdated: z.boolean(),
    end: time,
    worldwide: z.boolean(),
    territories: z.array(z.string()),
    depth: z.number().int(),
    revokedAt: time.nullable(),
    agreementHash: bytes32,
  })
  .openapi("Licence");

const WorkSchema = z
  .object({
    workId: bytes32,
    rightsHolder: address,
    registeredAt: time,
    originJurisdiction: z.string(),
    holderResidence: z.string().nullable().openapi({
      description: "The country the current rights holder states it resides in (licence disputes), or null",
    }),
    holders: z.array(
      z.object({ index: z.number().int(), holder: address, since: time, forced: z.boolean(), voided: z.boolean() }),
    ),
    licences: z.array(bytes32),
  })
  .openapi("Work");

const AssistanceRequestSchema = z
  .object({
    requestId: bytes32,
    role: z.enum(["requester", "addressee"]),
    requester: z.string(),
    addressee: z.string(),
    kind: z.string(),
    emergencyReason: z.string(),
    state: z.string(),
    stateNow: z.string().openapi({ description: "The state now by chain time (Overdue derived)" }),
    dataCategories: z.array(z.string()),
    firstUpload: z.string(),
    primaryDissemination: z.string(),
    issuedAt: time,
    deadline: time,
    retentionUntil: time,
    acknowledgedAt: time.nullable(),
    respondedAt: time.nullable(),
    late: z.boolean(),
    refusalGrounds: z.string().nullable(),
    agreementId: z.number().int(),
    referencesHash: bytes32,
    responseHash: bytes32.nullable(),
    secondsLeft: z.number().int().nullable(),
  })
  .openapi("AssistanceRequest");

const MemberSchema = z
  .object({
    memberId: z.string(),
    jurisdiction: z.string(),
    roles: z.array(z.string()),
    status: z.string(),
    statusSince: time,
    nameHash: bytes32,
  })
  .openapi("Member");

const MemberDetailSchema = MemberSchema.extend({
  statusHistory: z.array(z.object({ status: z.string(), since: time })),
  signingKeys: z.array(
    z.object({ address, validFrom: time, validUntil: time.nullable(), live: z.boolean(), validNow: z.boolean() }),
  ),
  publicKeys: z.array(
    z.object({
      kid: z.string(),
      keyId: bytes32,
      purpose: z.string(),
      algorithm: z.string(),
      validFrom: time,
      validUntil: time.nullable(),
      jwk: z.record(z.string(), z.unknown()),
    }),
  ),
}).openapi("MemberDetail");

const AgreementSchema = z
  .object({
    agreementId: z.string(),
    from: z.string(),
    to: z.string(),
    categories: z.array(z.number().int()),
    minAssurance: z.array(z.string()),
    anchorWindow: z.number().int(),
    effectiveFrom: time,
    expiresAt: time.nullable(),
    responseWindow: z.number().int(),
    emergencyResponseWindow: z.number().int(),
    textHash: bytes32,
    approvedByFrom: z.string().nullable(),
    approvedByTo: z.string().nullable(),
    concludedAt: time.nullable(),
    suspended: z.boolean(),
    suspensions: z.array(z.object({ since: time, until: time.nullable(), by: z.string() })),
  })
  .openapi("RecognitionAgreement");

const NotAnchored = z.object({ anchored: z.literal(false) });
const PublicAnswer = z
  .union([
    NotAnchored,
    z.object({
      anchored: z.literal(true),
      anchoredAt: time,
      jurisdiction: z.string(),
      report: z
        .object({ format: z.literal("crossproof.verification-report.reduced/1") })
        .passthrough()
        .openapi("ReducedVerificationReport", {
          description:
            "The SDK's reduced report (no case reference, anchoring member, files, CID, details or transactions); " +
            "JSON Schema: docs/schemas/verification-report.schema.json",
        }),
    }),
  ])
  .openapi("PublicEvidenceCheck");

// ------------------------------------------------------------------------------------------------------------------
// Domain values as JSON
// ------------------------------------------------------------------------------------------------------------------

const iso = (t: number | bigint) => reportTime(Number(t));
const isoOrNull = (t: number | bigint) => (Number(t) === 0 ? null : reportTime(Number(t)));
const idOrNull = (v: bigint | number) => (BigInt(v) === 0n ? null : v.toString());
const hashOrNull = (h: string) => (/^0x0{64}$/.test(h) ? null : h.toLowerCase());
/** The end of a validity window: null when open-ended. */
const untilOrNull = (t: number | bigint) => (Number(t) === OPEN_ENDED || Number(t) === 0 ? null : iso(t));

function recordJson(r: EvidenceRecord, registry: string) {
  return {
    recordId: r.recordId.toLowerCase(),
    contentHash: r.contentHash.toLowerCase(),
    status: r.status,
    memberId: r.memberId.toString(),
    jurisdiction: r.jurisdiction,
    category: r.category,
    anchoredAt: iso(r.anchoredAt),
    collectedAt: iso(r.collectedAt),
    firstUpload: r.firstUpload ?? null,
    primaryDissemination: r.primaryDissemination ?? null,
    signer: r.signer,
    packageCid: r.packageCid,
    caseRef: r.caseRef.toLowerCase(),
    supersedes: hashOrNull(r.supersedes),
    supersededBy: hashOrNull(r.supersededBy),
    fieldsMatchCommitment: r.fieldsMatchCommitment,
    registry,
    transactionHash: r.transactionHash.toLowerCase(),
    blockNumber: r.blockNumber,
  };
}

function batchJson(b: EvidenceBatchRecord, registry: string) {
  return {
    batchId: b.batchId.toLowerCase(),
    root: b.root,
    status: b.status,
    memberId: b.memberId.toString(),
    jurisdiction: b.jurisdiction,
    category: b.category,
    count: b.count,
    anchoredAt: iso(b.anchoredAt),
    signer: b.signer,
    manifestCid: b.manifestCid,
    registry,
    transactionHash: b.transactionHash.toLowerCase(),
    blockNumber: b.blockNumber,
  };
}

function licenceJson(l: LicenceView) {
  return {
    licenceId: l.licenceId,
    workId: l.workId.toLowerCase(),
    parentId: hashOrNull(l.parentId),
    licensor: l.licensor,
    licensee: l.licensee,
    rights: l.rights,
    grantType: l.grantType,
    sublicensable: l.sublicensable,
    start: iso(l.start),
    backdated: l.backdated,
    end: iso(l.end),
    worldwide: l.worldwide,
    territories: l.territories,
    depth: l.depth,
    revokedAt: isoOrNull(l.revokedAt),
    agreementHash: l.agreementHash.toLowerCase(),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// The module
// ------------------------------------------------------------------------------------------------------------------

const ANSWERED: readonly AssistanceStateName[] = ["Fulfilled", "PartiallyFulfilled", "Refused"];
const RIGHTS = Object.keys(Right) as [RightName, ...RightName[]];

/** The member a principal is (the route requirement "member" guarantees it). */
const memberOf = (p: Principal | undefined): bigint => {
  if (p?.kind !== "member") throw new Problem("forbidden", "only members of the consortium may do this");
  return p.memberId;
};

export const readsModule: GatewayModule = async (ctx) => {
  const indexer = ctx.indexer;
  if (indexer === undefined) throw new Error("register the indexer module before the reads module");
  const registries = new Map<string, EvidenceClient>();
  for (const client of [ctx.cp.evidence, ...(ctx.cp.verifier.clients.earlierEvidence ?? [])]) {
    registries.set((await client.registry.getAddress()).toLowerCase(), client);
  }
  const reads = new Reads(ctx, indexer, registries);
  evidenceRoutes(ctx, reads);
  licenceRoutes(ctx, reads);
  assistanceRoutes(ctx, reads);
  consortiumRoutes(ctx);
  publicRoutes(ctx, reads);
};

/** Finding things through the index, and reading them from the chain. */
class Reads {
  constructor(
    readonly ctx: GatewayContext,
    readonly index: Indexer,
    readonly registries: Map<string, EvidenceClient>,
  ) {}

  /** The registries to look in: the one the index names first, then the others (the index may lag the chain). */
  #registryOrder(indexed: string | undefined): [string, EvidenceClient][] {
    const all = [...this.registries.entries()];
    return [...all.filter(([a]) => a === indexed), ...all.filter(([a]) => a !== indexed)];
  }

  async record(recordId: string): Promise<{ record: EvidenceRecord; client: EvidenceClient; registry: string }> {
    const indexed = this.index.anchors({ recordId })[0]?.registry;
    for (const [registry, client] of this.#registryOrder(indexed)) {
      const record = await client.getEvidence(recordId);
      if (record !== undefined) return { record, client, registry };
    }
    throw new Problem("not-found", `no evidence record ${recordId}`);
  }

  async batch(batchId: string): Promise<{ batch: EvidenceBatchRecord; registry: string }> {
    const indexed = this.index.batches({ batchId })[0]?.registry;
    for (const [registry, client] of this.#registryOrder(indexed)) {
      const batch = await client.getBatch(batchId);
      if (batch !== undefined) return { batch, registry };
    }
    throw new Problem("not-found", `no batch ${batchId}`);
  }

  /** The licence and its chain up to the rights holder's grant (root first). */
  async licenceChain(licenceId: string): Promise<LicenceView[] | undefined> {
    const chain: LicenceView[] = [];
    let id: string | undefined = licenceId;
    while (id !== undefined && chain.length <= MAX_CHAIN_DEPTH) {
      const l = await this.ctx.cp.licenses.getLicence(id);
      if (l === undefined) break;
      chain.unshift(l);
      id = l.parentId === ZeroHash ? undefined : l.parentId;
    }
    return chain.length === 0 ? undefined : chain;
  }

  /** Whether an account is named in a licence chain, or holds the work now. */
  async accountMayRead(principal: Principal, chain: readonly LicenceView[]): Promise<boolean> {
    if (principal.kind === "member") return true;
    const me = principal.address.toLowerCase();
    if (chain.some((l) => l.licensor.toLowerCase() === me || l.licensee.toLowerCase() === me)) return true;
    const work = await this.ctx.cp.licenses.registry.getWork(chain[0]!.workId);
    return work.rightsHolder.toLowerCase() === me;
  }

  async request(requestId: string, memberId: bigint): Promise<AssistanceRequestView | undefined> {
    const v = await this.ctx.cp.assistance.getRequest(requestId);
    return v === undefined || (v.requester !== memberId && v.addressee !== memberId) ? undefined : v;
  }
}

function evidenceRoutes(ctx: GatewayContext, reads: Reads): void {
  const tags = ["evidence"];
  const RecordParams = z.object({ recordId: bytes32 });

  ctx.api.route({
    method: "get",
    path: "/v1/evidence",
    summary: "Evidence records by content hash (every anchor of it), case reference hash or anchoring member",
    description:
      "The index finds the records; each is read from the chain. At least one of contentHash, caseRef, memberId.",
    tags,
    auth: "member",
    query: z
      .object({
        contentHash: bytes32.optional(),
        caseRef: bytes32.optional(),
        memberId: memberIdParam.optional(),
        ...page,
      })
      .strict(),
    responses: { 200: { description: "The records", schema: z.object({ records: z.array(EvidenceRecordSchema) }) } },
    handler: async ({ query }) => {
      if (query.contentHash === undefined && query.caseRef === undefined && query.memberId === undefined) {
        throw new Problem("invalid-request", "give contentHash, caseRef or memberId");
      }
      const found = reads.index.anchors(
        {
          ...(query.contentHash === undefined ? {} : { contentHash: query.contentHash }),
          ...(query.caseRef === undefined ? {} : { caseRef: query.caseRef }),
          ...(query.memberId === undefined ? {} : { memberId: query.memberId }),
        },
        { limit: query.limit, offset: query.offset },
      );
      const records = [];
      for (const a of found) {
        const record = await reads.registries.get(a.registry)?.getEvidence(a.recordId);
        if (record !== undefined) records.push(recordJson(record, a.registry));
      }
      return { status: 200, body: { records } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/evidence/:recordId",
    summary: "An evidence record, read from the chain",
    tags,
    auth: "member",
    params: RecordParams,
    responses: {
      200: { description: "The record", schema: EvidenceRecordSchema },
      404: { description: "No such record" },
    },
    handler: async ({ params }) => {
      const { record, registry } = await reads.record(params.recordId);
      return { status: 200, body: recordJson(record, registry) };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/evidence/:recordId/custody",
    summary: "The chain of custody of a record, verified against the chain",
    tags,
    auth: "member",
    params: RecordParams,
    responses: {
      200: { description: "Events and verification", schema: CustodySchema },
      404: { description: "No such record" },
    },
    handler: async ({ params }) => {
      const { record, client } = await reads.record(params.recordId);
      const { events, verification: v } = await client.custodyChain(record.recordId);
      return {
        status: 200,
        body: {
          recordId: record.recordId.toLowerCase(),
          events: events.map((e) => ({
            sequence: e.sequence,
            eventType: enumName(CustodyEventType, e.eventType),
            actor: e.actor.toString(),
            counterparty: idOrNull(e.counterparty),
            occurredAt: iso(e.occurredAt),
            detailsHash: e.detailsHash,
            signer: e.signer,
            previous: e.previous,
            eventHash: e.eventHash,
            ...(e.transactionHash === undefined ? {} : { transactionHash: e.transactionHash.toLowerCase() }),
            ...(e.blockNumber === undefined ? {} : { blockNumber: e.blockNumber }),
          })),
          verification: {
            status: v.status,
            intact: v.intact,
            complete: v.complete,
            custodian: v.custodian.toString(),
            pendingRecipient: idOrNull(v.pendingRecipient),
            recipients: v.recipients.map(String),
            problems: v.problems,
          },
        },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/evidence/:recordId/endorsements",
    summary: "Other members' endorsements of a record: each member's current one (chain) and every one made (index)",
    tags,
    auth: "member",
    params: RecordParams,
    responses: {
      200: { description: "Endorsements", schema: EndorsementsSchema },
      404: { description: "No such record" },
    },
    handler: async ({ params }) => {
      const { record, client, registry } = await reads.record(params.recordId);
      const history = reads.index.endorsements(record.recordId, registry);
      const current = [];
      for (const memberId of [...new Set(history.map((h) => h.memberId))]) {
        const e = await client.registry.endorsementOf(record.recordId, memberId);
        if (Number(e.verdict) === 0) continue;
        current.push({
          memberId: String(memberId),
          verdict: enumName(Verdict, e.verdict),
          // `at` is also Array.prototype.at on an ethers Result: read the field by name.
          at: iso(e[1]),
          agreementId: idOrNull(e.agreementId),
          reportHash: e.reportHash.toLowerCase(),
        });
      }
      return {
        status: 200,
        body: {
          recordId: record.recordId.toLowerCase(),
          current,
          history: history.map((h) => ({
            memberId: String(h.memberId),
            verdict: h.verdict,
            agreementId: idOrNull(h.agreementId),
            reportHash: h.reportHash,
            transactionHash: h.transactionHash,
            blockNumber: h.blockNumber,
          })),
        },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/batches",
    summary: "The Merkle batches a member anchored",
    tags,
    auth: "member",
    query: z.object({ memberId: memberIdParam }).strict(),
    responses: { 200: { description: "The batches", schema: z.object({ batches: z.array(BatchSchema) }) } },
    handler: async ({ query }) => {
      const batches = [];
      for (const b of reads.index.batches({ memberId: query.memberId })) {
        const batch = await reads.registries.get(b.registry)?.getBatch(b.batchId);
        if (batch !== undefined) batches.push(batchJson(batch, b.registry));
      }
      return { status: 200, body: { batches } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/batches/:batchId",
    summary: "A Merkle batch, read from the chain",
    tags,
    auth: "member",
    params: z.object({ batchId: bytes32 }),
    responses: { 200: { description: "The batch", schema: BatchSchema }, 404: { description: "No such batch" } },
    handler: async ({ params }) => {
      const { batch, registry } = await reads.batch(params.batchId);
      return { status: 200, body: batchJson(batch, registry) };
    },
  });
}

function licenceRoutes(ctx: GatewayContext, reads: Reads): void {
  const tags = ["licences"];
  const unknown = (id: string) => new Problem("not-found", `no licence ${id}`);

  /** The licence chain, if the principal may read it (404 otherwise, as for an unknown licence). */
  async function readable(principal: Principal | undefined, licenceId: string): Promise<LicenceView[]> {
    const chain = await reads.licenceChain(licenceId);
    if (chain === undefined || !(await reads.accountMayRead(principal!, chain))) throw unknown(licenceId);
    return chain;
  }

  ctx.api.route({
    method: "get",
    path: "/v1/licences",
    summary: "Licences of a work, or naming an account as licensor or licensee",
    description: "Accounts see only the licences they are named in or whose work they hold.",
    tags,
    auth: "signed-in",
    query: z.object({ workId: bytes32.optional(), party: address.optional(), ...page }).strict(),
    responses: { 200: { description: "The licences", schema: z.object({ licences: z.array(LicenceSchema) }) } },
    handler: async ({ query, principal }) => {
      const party = principal!.kind === "account" && query.workId === undefined ? principal!.address : query.party;
      const ids = reads.index
        .licences({
          ...(query.workId === undefined ? {} : { workId: query.workId }),
          ...(party === undefined ? {} : { party }),
        })
        .slice(query.offset, query.offset + query.limit);
      const licences = [];
      for (const id of ids) {
        const chain = await reads.licenceChain(id);
        if (chain !== undefined && (await reads.accountMayRead(principal!, chain))) {
          licences.push(licenceJson(chain.at(-1)!));
        }
      }
      return { status: 200, body: { licences } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/licences/:licenceId",
    summary: "A licence and its chain up to the rights holder's grant",
    tags,
    auth: "signed-in",
    params: z.object({ licenceId: bytes32 }),
    responses: {
      200: {
        description: "The licence, and its chain (the rights holder's grant first, this licence last)",
        schema: z.object({ licence: LicenceSchema, chain: z.array(LicenceSchema) }),
      },
      404: { description: "No such licence, or not one the account is named in" },
    },
    handler: async ({ params, principal }) => {
      const chain = await readable(principal, params.licenceId);
      return { status: 200, body: { licence: licenceJson(chain.at(-1)!), chain: chain.map(licenceJson) } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/licences/:licenceId/authorization",
    summary: "Whether the licence authorised a right in a territory at a time, with the registry's reason in words",
    description: "The LicenseRegistry's verifyAuthorization, explained link by link by the SDK (explainAuthorization).",
    tags,
    auth: "signed-in",
    params: z.object({ licenceId: bytes32 }),
    query: z
      .object({
        right: z.enum(RIGHTS),
        territory: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code"),
        at: z.string().datetime({ offset: true }).optional().openapi({ description: "Default: now (chain time)" }),
      })
      .strict(),
    responses: {
      200: {
        description: "The verdict",
        schema: z
          .object({
            authorized: z.boolean(),
            reason: z.string(),
            failedAt: bytes32.nullable(),
            right: z.string(),
            territory: z.string(),
            at: time,
            workId: bytes32.nullable(),
            rightsHolderAtTime: address.nullable(),
            chain: z.array(
              z.object({ licence: LicenceSchema, valid: z.boolean(), reason: z.string(), explanation: z.string() }),
            ),
            summary: z.string(),
          })
          .openapi("AuthorizationExplanation"),
      },
      404: { description: "No such licence, or not one the account is named in" },
    },
    handler: async ({ params, query, principal }) => {
      await readable(principal, params.licenceId);
      const at = query.at === undefined ? await ctx.cp.chainTime() : Math.floor(Date.parse(query.at) / 1000);
      const e = await ctx.cp.licenses.explainAuthorization(params.licenceId, query.right, query.territory, at);
      return {
        status: 200,
        body: {
          authorized: e.authorized,
          reason: e.reason,
          failedAt: e.failedAt ?? null,
          right: e.right,
          territory: e.territory,
          at: iso(e.atTime),
          workId: e.workId?.toLowerCase() ?? null,
          rightsHolderAtTime: e.rightsHolderAtTime ?? null,
          chain: e.chain.map((c) => ({
            licence: licenceJson(c.licence),
            valid: c.valid,
            reason: c.reason,
            explanation: c.explanation,
          })),
          summary: e.summary,
        },
      };
    },
  });

  /** The work, if the principal may read it: members; accounts that held it or are named in one of its licences. */
  async function work(principal: Principal, workId: string) {
    const w = await ctx.cp.licenses.registry.getWork(workId);
    if (w.rightsHolder === "0x0000000000000000000000000000000000000000") return undefined;
    const holders = await ctx.cp.licenses.getHolders(workId);
    const licences = reads.index.licences({ workId });
    if (principal.kind === "account") {
      const me = principal.address.toLowerCase();
      let named = holders.some((h) => h.holder.toLowerCase() === me);
      for (const id of licences) {
        if (named) break;
        const l = await ctx.cp.licenses.getLicence(id);
        named = l !== undefined && (l.licensor.toLowerCase() === me || l.licensee.toLowerCase() === me);
      }
      if (!named) return undefined;
    }
    return {
      workId: workId.toLowerCase(),
      rightsHolder: w.rightsHolder,
      registeredAt: iso(w.registeredAt),
      originJurisdiction: fromJurisdiction(w.originJurisdiction),
      holderResidence: /^0x0{4}$/.test(w.holderResidence) ? null : fromJurisdiction(w.holderResidence),
      holders: holders.map((h) => ({ ...h, since: iso(h.since) })),
      licences,
    };
  }

  ctx.api.route({
    method: "get",
    path: "/v1/works",
    summary: "Works registered to or assigned to an account (accounts: their own)",
    tags,
    auth: "signed-in",
    query: z.object({ holder: address.optional(), ...page }).strict(),
    responses: { 200: { description: "The works", schema: z.object({ works: z.array(WorkSchema) }) } },
    handler: async ({ query, principal }) => {
      const holder = principal!.kind === "account" ? principal!.address : query.holder;
      const ids = reads.index
        .works(holder === undefined ? {} : { holder })
        .slice(query.offset, query.offset + query.limit);
      const works = [];
      for (const id of ids) {
        const w = await work(principal!, id);
        if (w !== undefined) works.push(w);
      }
      return { status: 200, body: { works } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/works/:workId",
    summary: "A work: its rights holder, holder history and licences",
    tags,
    auth: "signed-in",
    params: z.object({ workId: bytes32 }),
    responses: {
      200: { description: "The work", schema: WorkSchema },
      404: { description: "No such work, or not one the account holds or is named in a licence of" },
    },
    handler: async ({ params, principal }) => {
      const w = await work(principal!, params.workId);
      if (w === undefined) throw new Problem("not-found", `no work ${params.workId}`);
      return { status: 200, body: w };
    },
  });
}

function assistanceRoutes(ctx: GatewayContext, reads: Reads): void {
  const tags = ["assistance"];
  const Filters = ["open", "due-soon", "overdue", "answered", "all"] as const;
  const Roles = ["requester", "addressee", "any"] as const;

  ctx.api.route({
    method: "get",
    path: "/v1/compliance/:memberId",
    summary:
      "A member's compliance figures as addressee for a period (answered on time, late, overdue, refused by ground)",
    description:
      "For the requests whose deadline falls in [from, to): counted from the AssistanceDesk's events and its `stateAt` " +
      "(AssistanceClient.complianceFigures) as of chain time now; lateness is judged on the signed answer time within " +
      "the consortium's maximum relay delay. Any member may read any member's figures: they are the consortium's " +
      "policy data and every node holds the events they come from. Times are unix seconds.",
    tags,
    auth: "member",
    params: z.object({ memberId: z.coerce.number().int().positive() }),
    query: z
      .object({ from: z.coerce.number().int().nonnegative(), to: z.coerce.number().int().positive() })
      .strict()
      .refine((q) => q.to > q.from, { message: "`to` must be after `from`" }),
    responses: {
      200: {
        description: "The figures",
        schema: z
          .object({
            memberId: z.string(),
            from: z.number(),
            to: z.number(),
            asOf: z.number(),
            due: z.number(),
            answeredOnTime: z.number(),
            answeredLate: z.number(),
            overdue: z.number(),
          })
          .passthrough()
          .openapi("ComplianceFigures"),
      },
    },
    handler: async ({ params, query }) => {
      const f = await ctx.cp.assistance.complianceFigures(params.memberId, { from: query.from, to: query.to });
      return { status: 200, body: { ...f, memberId: f.memberId.toString() } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/assistance",
    summary:
      "The calling member's assistance requests (as requester and/or addressee): open, due soon, overdue, answered",
    description:
      "open / due-soon / overdue are the AssistanceDesk's own lists at chain time (AssistanceClient.openRequests); " +
      "answered and all come from the index, each read from the chain. Due soon: open, not overdue, due within " +
      "`dueWithin` seconds (default 86,400).",
    tags,
    auth: "member",
    query: z
      .object({
        filter: z.enum(Filters).default("open"),
        role: z.enum(Roles).default("any"),
        dueWithin: z.coerce
          .number()
          .int()
          .min(0)
          .max(365 * 86_400)
          .default(86_400),
      })
      .strict(),
    responses: {
      200: { description: "The requests", schema: z.object({ requests: z.array(AssistanceRequestSchema) }) },
    },
    handler: async ({ query, principal }) => {
      const me = memberOf(principal);
      let ids: string[];
      if (query.filter === "answered" || query.filter === "all") {
        ids = reads.index.assistanceRequests(Number(me), query.role, { answered: query.filter === "answered" });
      } else {
        const filter = ({ open: "open", "due-soon": "dueSoon", overdue: "overdue" } as const)[query.filter];
        const at = await ctx.cp.chainTime();
        ids = [];
        for (const asAddressee of query.role === "any" ? [false, true] : [query.role === "addressee"]) {
          ids.push(
            ...(await ctx.cp.assistance.openRequests(me, {
              asAddressee,
              filter,
              dueWithin: query.dueWithin,
              atTime: at,
            })),
          );
        }
      }
      const requests = [];
      for (const id of [...new Set(ids.map((i) => i.toLowerCase()))]) {
        const v = await reads.request(id, me);
        if (v === undefined) continue;
        if (query.filter === "answered" && !ANSWERED.includes(v.state)) continue;
        requests.push(assistanceRequestJson(v, me));
      }
      return { status: 200, body: { requests } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/assistance/:requestId",
    summary: "An assistance request and what happened to it (its requester and addressee only)",
    description:
      "Any other caller gets 404, exactly as for an unknown id: that a request exists tells that a case exists.",
    tags,
    auth: "member",
    params: z.object({ requestId: bytes32 }),
    responses: {
      200: {
        description: "The request, its state now, and its history",
        schema: z.object({
          request: AssistanceRequestSchema,
          history: z.array(
            z.object({
              event: z.string(),
              state: z.string().optional(),
              late: z.boolean().optional(),
              retentionUntil: time.optional(),
              transactionHash: bytes32,
              blockNumber: z.number().int(),
            }),
          ),
        }),
      },
      404: { description: "No such request, or the caller is neither its requester nor its addressee" },
    },
    handler: async ({ params, principal }) => {
      const me = memberOf(principal);
      const v = await reads.request(params.requestId, me);
      if (v === undefined) throw new Problem("not-found", `no assistance request ${params.requestId}`);
      const history = reads.index.assistanceEvents(v.requestId).map((e) => ({
        ...e,
        ...(e.retentionUntil === undefined ? {} : { retentionUntil: iso(e.retentionUntil) }),
      }));
      return { status: 200, body: { request: assistanceRequestJson(v, me), history } };
    },
  });
}

function consortiumRoutes(ctx: GatewayContext): void {
  const tags = ["consortium"];
  const consortium = ctx.cp.consortium.consortium;
  const agreements = ctx.cp.consortium.agreements;

  async function member(memberId: number) {
    const m = await consortium.getMember(memberId);
    if (Number(m.status) === 0) return undefined;
    return {
      memberId: String(memberId),
      jurisdiction: fromJurisdiction(m.jurisdiction),
      roles: flagNames(Role, m.roles) as RoleName[],
      status: enumName(MemberStatus, m.status),
      statusSince: iso(m.statusSince),
      nameHash: m.nameHash.toLowerCase(),
    };
  }

  async function agreement(agreementId: number) {
    const a = await agreements.getAgreement(agreementId);
    if (Number(a.terms.categories) === 0) return undefined;
    const t = a.terms;
    const suspensions = await agreements.suspensionsOf(agreementId);
    return {
      agreementId: String(agreementId),
      from: fromJurisdiction(t.from),
      to: fromJurisdiction(t.to),
      categories: [...Array(64).keys()].filter((c) => ((BigInt(t.categories) >> BigInt(c)) & 1n) === 1n),
      minAssurance: flagNames(Assurance, t.minAssurance),
      anchorWindow: Number(t.anchorWindow),
      effectiveFrom: iso(t.effectiveFrom),
      expiresAt: isoOrNull(t.expiresAt),
      responseWindow: Number(t.responseWindow),
      emergencyResponseWindow: Number(t.emergencyResponseWindow),
      textHash: t.textHash.toLowerCase(),
      approvedByFrom: idOrNull(a.approvedByFrom),
      approvedByTo: idOrNull(a.approvedByTo),
      concludedAt: isoOrNull(a.concludedAt),
      suspended: a.suspended,
      suspensions: suspensions.map((s) => ({
        since: iso(s.since),
        until: isoOrNull(s.until),
        by: fromJurisdiction(s.by),
      })),
    };
  }

  ctx.api.route({
    method: "get",
    path: "/v1/members",
    summary: "The consortium's members: jurisdiction, roles, status",
    tags,
    auth: "public",
    responses: {
      200: { description: "Every member ever admitted", schema: z.object({ members: z.array(MemberSchema) }) },
    },
    handler: async () => {
      const count = Number(await consortium.memberCount());
      const members = [];
      for (let id = 1; id <= count; id++) {
        const m = await member(id);
        if (m !== undefined) members.push(m);
      }
      return { status: 200, body: { members } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/members/:memberId",
    summary: "A member, its status history, its signing keys and its public keys (report, encryption)",
    tags,
    auth: "public",
    params: z.object({ memberId: memberIdParam }),
    responses: {
      200: { description: "The member", schema: MemberDetailSchema },
      404: { description: "No such member" },
    },
    handler: async ({ params }) => {
      const m = await member(params.memberId);
      if (m === undefined) throw new Problem("not-found", `no member ${params.memberId}`);
      const [history, live, now] = await Promise.all([
        consortium.statusHistory(params.memberId),
        consortium.keysOf(params.memberId),
        ctx.cp.chainTime(),
      ]);
      const liveKeys = new Set(live.map((k) => k.toLowerCase()));
      const keyAddresses = [...new Set([...ctx.indexer!.signingKeys(params.memberId), ...liveKeys])];
      const signingKeys = [];
      for (const key of keyAddresses) {
        const k = await consortium.getKey(key);
        if (Number(k.memberId) !== params.memberId) continue;
        signingKeys.push({
          address: key,
          validFrom: iso(k.validFrom),
          validUntil: untilOrNull(k.validUntil),
          live: liveKeys.has(key),
          validNow: await consortium.isValidSigner(params.memberId, key, now),
        });
      }
      const publicKeys = (await ctx.cp.consortium.registeredPublicKeys(params.memberId)).map((k) => ({
        kid: k.kid,
        keyId: k.keyId,
        purpose: k.purpose,
        algorithm: k.algorithm,
        validFrom: iso(k.validFrom),
        validUntil: untilOrNull(k.validUntil),
        jwk: k.jwk as Record<string, unknown>,
      }));
      return {
        status: 200,
        body: {
          ...m,
          statusHistory: history.map((h) => ({
            status: enumName(MemberStatus, h.status),
            since: iso(h.since),
          })),
          signingKeys,
          publicKeys,
        },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/agreements",
    summary: "The recognition agreements, proposed and concluded, with their suspensions",
    tags,
    auth: "public",
    responses: {
      200: { description: "Every agreement", schema: z.object({ agreements: z.array(AgreementSchema) }) },
    },
    handler: async () => {
      const count = Number(await agreements.agreementCount());
      const list = [];
      for (let id = 1; id <= count; id++) {
        const a = await agreement(id);
        if (a !== undefined) list.push(a);
      }
      return { status: 200, body: { agreements: list } };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/agreements/:agreementId",
    summary: "A recognition agreement",
    tags,
    auth: "public",
    params: z.object({ agreementId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
    responses: {
      200: { description: "The agreement", schema: AgreementSchema },
      404: { description: "No such agreement" },
    },
    handler: async ({ params }) => {
      const a = await agreement(params.agreementId);
      if (a === undefined) throw new Problem("not-found", `no recognition agreement ${params.agreementId}`);
      return { status: 200, body: a };
    },
  });
}

function publicRoutes(ctx: GatewayContext, reads: Reads): void {
  const notAnchored = { status: 200, body: { anchored: false }, headers: { "cache-control": "no-store" } };
  const Disclosed = CustodyEventType.Disclosed;

  ctx.api.route({
    method: "get",
    path: "/v1/public/evidence/:contentHash",
    summary: "For anyone: is this evidence anchored and publicly disclosed? When, where, and the reduced report",
    description:
      "Answers only for a record its anchoring member disclosed publicly on chain (a Disclosed custody event with no " +
      "counterparty, recorded by the anchoring member). Everything else — not anchored, or anchored and not " +
      "disclosed — gets the very same answer, `{ anchored: false }`, so that a probe tells nothing about " +
      "evidence under investigation. The report is the SDK's reduced report, unsigned, verified in the collecting " +
      "jurisdiction; members get full, signed reports from POST /v1/verifications.",
    tags: ["public"],
    auth: "public",
    params: z.object({ contentHash: bytes32 }),
    responses: { 200: { description: "The answer", schema: PublicAnswer } },
    handler: async ({ params }) => {
      // One index query, whatever the answer: an undisclosed record and no record take the same path.
      const candidates = reads.index.publicAnchors(params.contentHash);
      for (const a of candidates) {
        // The chain is the source of truth: the record and its disclosure must be there now.
        const client = reads.registries.get(a.registry);
        const record = await client?.getEvidence(a.recordId);
        if (client === undefined || record === undefined) continue;
        const { events } = await client.custodyChain(a.recordId);
        const disclosed = events.some(
          (e) => e.eventType === Disclosed && e.counterparty === 0n && e.actor === record.memberId,
        );
        if (!disclosed) continue;
        const report = await ctx.cp.verify({
          evidence: { contentHash: record.contentHash },
          anchoredBy: record.memberId,
          verifier: { jurisdiction: record.jurisdiction },
          confirmations: ctx.config.confirmations,
        });
        return {
          status: 200,
          body: {
            anchored: true,
            anchoredAt: iso(record.anchoredAt),
            jurisdiction: record.jurisdiction,
            report: reduceReport(report),
          },
          headers: { "cache-control": "no-store" },
        };
      }
      return notAnchored;
    },
  });
}
