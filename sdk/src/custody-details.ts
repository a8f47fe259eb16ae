import { z } from "zod";
import type { Hex } from "./eip712";
import { CustodyEventType, type CustodyEventTypeName } from "./evidence";
import { CrossproofError } from "./errors";
import { loadCanonicalize } from "./esm";
import { sha256Hex } from "./hash";
import {
  describeIssues,
  jurisdictionCodeSchema,
  normalizeText,
  sha256HexSchema,
  textSchema,
  timeZoneSchema,
  toManifestIssues,
  unicodeTextIssues,
  type ManifestIssue,
} from "./manifest";

/**
 * The custody details document: what a custody event's on-chain `detailsHash` commits to. ISO/IEC 27037's chain of
 * custody record (clause 6.1) says who handled the evidence, when, where, why, under what authority, and which
 * unavoidable changes were made, by whom and why; the chain holds the who-as-member, the when and the what (event
 * type, counterparty), this document the rest. It stays off chain with the members concerned (in the case file, or
 * shared with a court); the chain proves it was not changed.
 */
export const CUSTODY_DETAILS_FORMAT = "crossproof-custody-details/1";

const text = textSchema;
const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, "32 bytes as 0x and 64 lower-case hex digits");
const eventTypeNames = Object.keys(CustodyEventType) as [CustodyEventTypeName, ...CustodyEventTypeName[]];

/** An individual, named only by a salted hash ({@link handlerReference}): the chain and the document stay free of personal data. */
const personSchema = z
  .object({
    /** {@link handlerReference} of the individual's identity and a secret salt kept by their organisation. */
    reference: bytes32,
    /** Their role in this step: "DEFR", "evidence custodian", "court clerk", "witness", ... */
    role: text.optional(),
    /** The consortium member they act for (the event's actor, or a witness's member). */
    memberId: z.number().int().positive().optional(),
  })
  .strict();

const custodyDetailsSchema = z
  .object({
    format: z.literal(CUSTODY_DETAILS_FORMAT),
    /** The evidence record the event belongs to. */
    recordId: bytes32,
    /** The event's type, by name, as on chain. */
    eventType: z.enum(eventTypeNames),
    /** Why the evidence was handled (which case, what for). Required: ISO/IEC 27037, 6.1. */
    purpose: text,
    /** Where it happened. Required: ISO/IEC 27037, 6.1. */
    location: z
      .object({
        /** "Evidence store, room 2.14, DGSI Levallois", "FR agency gateway (Paris)". */
        description: text,
        facility: text.optional(),
        jurisdiction: jurisdictionCodeSchema.optional(),
        /** The IANA zone there (the event's time is on chain, in UTC). */
        timeZone: timeZoneSchema.optional(),
      })
      .strict(),
    /** The individual who handled it. Required: ISO/IEC 27037, 6.1; hashed, since it is personal. */
    handler: personSchema,
    witnesses: z.array(personSchema).min(1).max(16).optional(),
    /** The legal authority for this step (a disclosure order, a transfer under an agreement), if any. */
    authority: z.object({ reference: text, documentSha256: sha256HexSchema.optional() }).strict().optional(),
    /** Seals applied (Sealed) or found (Received), and whether they were intact. */
    seals: z
      .array(z.object({ identifier: text, intact: z.boolean().optional() }).strict())
      .min(1)
      .max(64)
      .optional(),
    /** How the evidence travelled (Transferred, Returned): "registered courier", "encrypted package over the gateway". */
    transport: z.object({ method: text, reference: text.optional() }).strict().optional(),
    /** A hash check (HashVerified): the digest expected (the anchored one) and the digest computed now. */
    hashVerification: z
      .object({ algorithm: z.literal("sha-256"), expected: sha256HexSchema, computed: sha256HexSchema })
      .strict()
      .optional(),
    /** The package CID a recipient received (RecipientAdded, Accessed). */
    packageCid: text.optional(),
    /** Unavoidable changes made to the evidence in this step, each justified (ISO/IEC 27037, 6.1). */
    changes: z
      .array(z.object({ description: text, justification: text }).strict())
      .min(1)
      .max(64)
      .optional(),
    notes: text.optional(),
  })
  .strict();

/** A validated custody details document. */
export type CustodyDetails = z.infer<typeof custodyDetailsSchema>;
export type CustodyDetailsInput = z.input<typeof custodyDetailsSchema>;

/**
 * The salted reference to an individual: `0x` + SHA-256(salt ‖ UTF-8 of the identity in NFC), where `salt` is 32
 * secret random bytes the individual's organisation keeps with its case file. Without the salt, nobody can test a
 * guess of who handled the evidence; with it, the organisation can show a court who did. Use a fresh salt per
 * document, or the same officer could be followed across records. The identity is text as the organisation writes
 * it (say "FR-DGSI 12345 Hélène Durand"); it is normalised to NFC here, where it is entered.
 * @example handlerReference("FR-DGSI 12345 Hélène Durand", randomSalt)
 */
export function handlerReference(identity: string, salt: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(salt)) throw new CrossproofError("INVALID_ARGUMENT", "the salt must be 32 bytes hex");
  if (identity.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "the identity is empty");
  if (unicodeTextIssues(identity).some((i) => i.code === "not_well_formed")) {
    throw new CrossproofError("INVALID_ARGUMENT", "the identity is not well-formed Unicode");
  }
  return `0x${sha256Hex(Buffer.concat([Buffer.from(salt.slice(2), "hex"), Buffer.from(identity.normalize("NFC"), "utf8")]))}`;
}

function invalidDetails(issues: ManifestIssue[], cause?: unknown): never {
  throw new CrossproofError("INVALID_ARGUMENT", `invalid custody details document: ${describeIssues(issues)}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { document: "custody-details", issues },
  });
}

/**
 * Validates a custody details document without changing it; throws `INVALID_ARGUMENT` with `details.issues`
 * (`{ path, code, message }`), text that is not NFC included (code `not_nfc`).
 */
export function parseCustodyDetails(value: unknown): CustodyDetails {
  const textIssues = unicodeTextIssues(value);
  const r = custodyDetailsSchema.safeParse(value);
  if (!r.success || textIssues.length > 0) {
    invalidDetails(toManifestIssues(r.success ? undefined : r.error, textIssues), r.success ? undefined : r.error);
  }
  return r.data;
}

/** An individual as given to {@link buildCustodyDetails}: their identity and salt, turned into a reference there. */
export interface PersonInput {
  identity: string;
  /** 32 secret random bytes (hex), kept by the organisation. */
  salt: string;
  role?: string;
  memberId?: number;
}

export type BuildCustodyDetailsParameters = Omit<CustodyDetailsInput, "format" | "handler" | "witnesses"> & {
  handler: PersonInput;
  witnesses?: PersonInput[];
};

/**
 * Builds a custody details document: normalises its text to NFC (this is where it is entered), replaces each
 * individual by their salted {@link handlerReference}, and validates. Pass its {@link custodyDetailsHash} as the
 * custody event's `detailsHash`.
 * @example
 * const details = buildCustodyDetails({ recordId, eventType: "Transferred", purpose: "handover to the DE court",
 *   location: { description: "Evidence store, Paris", jurisdiction: "FR" },
 *   handler: { identity: "FR-DGSI 12345 Hélène Durand", salt, role: "evidence custodian" } });
 * await evidence.signCustody(wallet, { recordId, eventType: "Transferred", counterparty: 2n,
 *   detailsHash: await custodyDetailsHash(details) });
 */
export function buildCustodyDetails(p: BuildCustodyDetailsParameters): CustodyDetails {
  const person = (x: PersonInput) => ({
    reference: handlerReference(x.identity, x.salt),
    ...(x.role === undefined ? {} : { role: x.role }),
    ...(x.memberId === undefined ? {} : { memberId: x.memberId }),
  });
  const { handler, witnesses, ...rest } = p;
  return parseCustodyDetails(
    normalizeText({
      format: CUSTODY_DETAILS_FORMAT,
      ...rest,
      recordId: typeof rest.recordId === "string" ? rest.recordId.toLowerCase() : rest.recordId,
      handler: person(handler),
      ...(witnesses === undefined ? {} : { witnesses: witnesses.map(person) }),
    }),
  );
}

/**
 * The `detailsHash` of a custody event: `0x` + SHA-256 of the UTF-8 bytes of the RFC 8785 serialisation of the
 * document, exactly as given — the same rule as the package hash, so any RFC 8785 implementation and any SHA-256
 * tool recompute it. An invalid document, or one whose text is not NFC, is refused (`INVALID_ARGUMENT`), never
 * altered.
 */
export async function custodyDetailsHash(details: CustodyDetailsInput): Promise<Hex> {
  const canonicalize = await loadCanonicalize();
  const out = canonicalize(parseCustodyDetails(details));
  if (out === undefined) invalidDetails([{ path: "", code: "custom", message: "cannot be canonicalised" }]);
  return `0x${sha256Hex(Buffer.from(out, "utf8"))}`;
}

/** What {@link checkCustodyDetails} found. */
export interface CustodyDetailsCheck {
  /** The document hashes to the event's `detailsHash` and names its record and event type. */
  matches: boolean;
  problems: string[];
}

/**
 * Checks a custody details document against the custody event it documents (as read from the chain, e.g. by
 * `EvidenceClient.custodyChain`): its hash is the event's `detailsHash`, and it names the event's record and type.
 * @example
 * const { events } = await evidence.custodyChain(recordId);
 * const { matches, problems } = await checkCustodyDetails(recordId, events[2], details);
 */
export async function checkCustodyDetails(
  recordId: string,
  event: Pick<CustodyEventFields, "eventType" | "detailsHash">,
  details: CustodyDetailsInput,
): Promise<CustodyDetailsCheck> {
  const problems: string[] = [];
  let hash: Hex;
  try {
    hash = await custodyDetailsHash(details);
  } catch (err) {
    return { matches: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
  if (hash !== event.detailsHash.toLowerCase()) problems.push(`the document hashes to ${hash}, not to the event's`);
  if (details.recordId !== recordId.toLowerCase()) problems.push("the document names another record");
  if (CustodyEventType[details.eventType] !== event.eventType) {
    problems.push(`the document is for a ${details.eventType} event`);
  }
  return { matches: problems.length === 0, problems };
}

/** The fields of a custody event the check reads (a `CustodyEvent` has them). */
interface CustodyEventFields {
  eventType: number;
  detailsHash: string;
}
