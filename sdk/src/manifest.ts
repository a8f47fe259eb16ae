import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";
import { loadCanonicalize } from "./esm";
import { sha256Hex, sha256OfFile, type HashOptions } from "./hash";

/**
 * The manifest format this SDK writes: version 2, with the complete ISO/IEC 27037 acquisition record (acquisition
 * period, witnesses, devices with their state and source-versus-copy verification, tool validation, method
 * justification, deviations, web-capture context, legal authority).
 */
export const MANIFEST_FORMAT = "crossproof-evidence-manifest/2";
/** The first manifest format: still read and hashed exactly as before (packages anchored with it stay verifiable). */
export const MANIFEST_FORMAT_V1 = "crossproof-evidence-manifest/1";

/** Evidence categories (0-63), the bit indexes used by recognition agreements. */
export const EvidenceCategory = {
  OTHER: 0,
  VIDEO_CAPTURE: 1,
  WEB_PAGE_CAPTURE: 2,
  LIVE_STREAM_RECORDING: 3,
  PLATFORM_RECORDS: 4,
  SUBSCRIBER_DATA: 5,
  TRAFFIC_DATA: 6,
  CONTENT_SAMPLE: 7,
  FORENSIC_IMAGE: 8,
  DOCUMENT: 9,
} as const;
export type EvidenceCategoryName = keyof typeof EvidenceCategory;

/** Acquisition methods, after ISO/IEC 27037 (identification, collection, acquisition, preservation). */
export const AcquisitionMethods = [
  "screen-recording",
  "network-capture",
  "web-archive",
  "download",
  "platform-export",
  "forensic-image",
  "photograph",
  "seizure",
  "other",
] as const;
export type AcquisitionMethod = (typeof AcquisitionMethods)[number];

/** Kinds of device or medium an acquisition reads from (or a seizure takes). */
export const DeviceKinds = [
  "computer",
  "mobile-device",
  "storage-medium",
  "removable-medium",
  "server",
  "network-device",
  "cctv-system",
  "iot-device",
  "cloud-service",
  "other",
] as const;

/** The power state a device was found in (a running device changes while it is examined). */
export const DevicePowerStates = ["on", "off", "standby", "unknown"] as const;

/** Hash algorithms forensic imagers report for source-versus-copy verification, with their hex digest length. */
export const VerificationHashAlgorithms = {
  "sha-256": 64,
  "sha-384": 96,
  "sha-512": 128,
  "sha-1": 40,
  md5: 32,
} as const;
export type VerificationHashAlgorithm = keyof typeof VerificationHashAlgorithms;

/** DNS record types a web capture may document. */
export const DnsRecordTypes = [
  "A",
  "AAAA",
  "CNAME",
  "DNAME",
  "NS",
  "MX",
  "TXT",
  "PTR",
  "SOA",
  "SRV",
  "CAA",
  "HTTPS",
  "SVCB",
  "DS",
  "DNSKEY",
] as const;

// ------------------------------------------------------------------------------------------------------------------
// Unicode: text is normalised where it is entered, never while it is hashed
// ------------------------------------------------------------------------------------------------------------------

/** `not_nfc` and `not_well_formed` for text; otherwise zod's issue code (`custom` for the essentials). */
export type ManifestIssueCode = "not_nfc" | "not_well_formed" | z.ZodIssueCode;

/** A problem with a manifest (or another hashed document), its path written `a.b.0.c`. */
export interface ManifestIssue {
  /** Where: `acquisition.collector.name`, `files.0.path`, or "" for the document itself. */
  path: string;
  code: ManifestIssueCode;
  message: string;
}

const MAX_DEPTH = 32;
/** In `u` mode a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;
const pathText = (p: readonly (string | number)[]) => p.join(".");

/**
 * Every string (object keys included) that is not well-formed Unicode (a lone surrogate, which RFC 8785's I-JSON
 * input excludes) or not in Unicode Normalization Form C. A hashed document must not contain any: the hash is taken
 * over the text exactly as it is, so the same words in another normalisation would give another hash.
 * @example unicodeTextIssues({ name: "He\u0301le\u0300ne" }) // [{ path: "name", code: "not_nfc", ... }]
 */
export function unicodeTextIssues(value: unknown): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  const check = (s: string, at: readonly (string | number)[], what: string) => {
    if (LONE_SURROGATE.test(s)) {
      out.push({
        path: pathText(at),
        code: "not_well_formed",
        message: `${what} is not well-formed Unicode (lone surrogate)`,
      });
    } else if (s !== s.normalize("NFC")) {
      out.push({
        path: pathText(at),
        code: "not_nfc",
        message: `${what} is not in Unicode NFC (normalise text where it is entered, e.g. with normalizeText)`,
      });
    }
  };
  const walk = (v: unknown, at: (string | number)[]) => {
    if (typeof v === "string") return check(v, at, "text");
    if (v === null || typeof v !== "object" || at.length > MAX_DEPTH) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...at, i]));
      return;
    }
    for (const [k, item] of Object.entries(v)) {
      check(k, [...at, k], "the key");
      walk(item, [...at, k]);
    }
  };
  walk(value, []);
  return out;
}

/**
 * A deep copy of `value` with every string (object keys included) in Unicode NFC. This is what the builders
 * ({@link buildManifest}, {@link prepareManifest}, `buildCustodyDetails`) do to the text they are given; hashing
 * functions never do it, they refuse text that is not NFC.
 */
export function normalizeText<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.normalize("NFC");
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k.normalize("NFC"), walk(item)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** Turns zod issues and text issues into one list, paths written `a.b.0.c`. */
export function toManifestIssues(error: z.ZodError | undefined, text: readonly ManifestIssue[] = []): ManifestIssue[] {
  const fromZod = (error?.issues ?? []).map((i) => ({ path: pathText(i.path), code: i.code, message: i.message }));
  return [...text, ...fromZod];
}

/** "path: message; path: message" */
export function describeIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
}

// ------------------------------------------------------------------------------------------------------------------
// Field types
// ------------------------------------------------------------------------------------------------------------------

/** Free text: 1 to 4096 UTF-16 code units (NFC and well-formedness are checked over the whole document). */
export const textSchema = z.string().min(1).max(4096);
const text = textSchema;
/** An officially assigned-looking ISO 3166-1 alpha-2 code (two upper-case letters). */
export const jurisdictionCodeSchema = z
  .string()
  .regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code (two upper-case letters)");
const iso2 = jurisdictionCodeSchema;

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const validDate = (y: number, m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);

/**
 * Nanoseconds since 1970 of an ISO 8601 date-time with a zone (`2026-11-28T10:15:00.5+01:00`), or undefined when
 * it is not one or names a day or time that does not exist (30 February, 24:00, a 60th second, an offset past ±23:59).
 */
export function instantOf(s: string): bigint | undefined {
  const m = TIME.exec(s);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[8] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = BigInt((m[7] ?? "").padEnd(9, "0"));
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) - offsetMinutes * 60_000;
  return BigInt(ms) * 1_000_000n + fraction;
}

const timeWithZone = z
  .string()
  .regex(TIME, "an ISO 8601 date-time with a zone (Z or ±hh:mm)")
  .refine((s) => !TIME.test(s) || instantOf(s) !== undefined, "not a valid date-time");
const dateOnly = z
  .string()
  .regex(DATE, "an ISO 8601 date (YYYY-MM-DD)")
  .refine((s) => {
    const m = DATE.exec(s);
    return m === null || validDate(Number(m[1]), Number(m[2]), Number(m[3]));
  }, "not a valid date");
/** An IANA time zone such as Europe/Paris. */
export const timeZoneSchema = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, "an IANA time zone such as Europe/Paris");
const ianaZone = timeZoneSchema;
/** A SHA-256 digest as manifests write it: 64 lower-case hex digits, no prefix. */
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits");
const sha256 = sha256HexSchema;
const relativePath = text.refine(
  (p) => !p.startsWith("/") && !p.includes("\\") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."),
  "a relative path with '/' separators and no '.', '..' or empty segments",
);
const ipAddress = z
  .string()
  .refine((s) => isIP(s) !== 0 && s === s.toLowerCase(), "an IPv4 or IPv6 address (IPv6 in lower case)");
const hostname = z
  .string()
  .max(254)
  .regex(
    /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/,
    "a DNS name in lower case (internationalised names in their xn-- form)",
  );
const uint31 = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);
const safeCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

// ------------------------------------------------------------------------------------------------------------------
// The manifest, format 1 (unchanged) and format 2
// ------------------------------------------------------------------------------------------------------------------

const fileSchema = z
  .object({
    path: relativePath,
    size: safeCount,
    sha256,
    mediaType: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, "a media type"),
  })
  .strict();

const collectorSchema = z
  .object({
    name: text,
    organisation: text.optional(),
    /** Consortium member id of the collecting agency, if it is a member. */
    memberId: z.number().int().positive().optional(),
  })
  .strict();

const sourceSchema = z
  .object({
    url: z.string().url().optional(),
    location: text.optional(),
    platform: text.optional(),
    account: text.optional(),
  })
  .strict()
  .refine((s) => Object.keys(s).length > 0, "at least one of url, location, platform, account");

const jurisdictionSchema = z
  .object({
    /** Where the evidence was collected. */
    collecting: iso2,
    /** Where the work was first uploaded (joint jurisdiction, first half). */
    firstUpload: iso2.optional(),
    /** Where it was mainly disseminated (joint jurisdiction, second half). */
    primaryDissemination: iso2.optional(),
  })
  .strict();

/** The acquisition record of format 1, as it always was. */
const acquisitionV1Shape = {
  tool: z.object({ name: text, version: text }).strict(),
  method: z.enum(AcquisitionMethods),
  methodDescription: text.optional(),
  collector: collectorSchema,
  /** When the acquisition happened, with the zone offset in force there. */
  collectedAt: timeWithZone,
  /** The IANA zone of the place of collection. */
  timeZone: ianaZone.optional(),
  source: sourceSchema,
  jurisdiction: jurisdictionSchema,
  notes: text.optional(),
};
const acquisitionV1Schema = z.object(acquisitionV1Shape).strict();

const toolValidationSchema = z
  .object({
    /** Where the tool's validation is documented: a test report, an accreditation, a NIST CFTT report number. */
    reference: text,
    /** When the validation was made. */
    date: dateOnly.optional(),
    /** SHA-256 of the validation document. */
    documentSha256: sha256.optional(),
  })
  .strict();

const witnessSchema = z
  .object({
    name: text,
    organisation: text.optional(),
    /** Their role: "second officer", "bailiff", "platform representative", ... */
    role: text.optional(),
  })
  .strict();

const hashPairSchema = z
  .object({
    algorithm: z.enum(
      Object.keys(VerificationHashAlgorithms) as [VerificationHashAlgorithm, ...VerificationHashAlgorithm[]],
    ),
    /** Digest of the source (the device or medium, read through a write blocker), lower-case hex. */
    source: z.string().regex(/^[0-9a-f]+$/, "lower-case hex"),
    /** Digest of the copy (the acquired image), lower-case hex. */
    copy: z.string().regex(/^[0-9a-f]+$/, "lower-case hex"),
  })
  .strict()
  .superRefine((h, ctx) => {
    const length = VerificationHashAlgorithms[h.algorithm];
    for (const side of ["source", "copy"] as const) {
      if (typeof h[side] === "string" && h[side].length !== length) {
        ctx.addIssue({ code: "custom", path: [side], message: `a ${h.algorithm} digest has ${length} hex digits` });
      }
    }
  });

const verificationSchema = z.discriminatedUnion("performed", [
  z
    .object({
      performed: z.literal(true),
      /** Source and copy digests, one pair per algorithm the imager computed. */
      hashes: z
        .array(hashPairSchema)
        .min(1)
        .max(4)
        .refine((hs) => new Set(hs.map((h) => h.algorithm)).size === hs.length, "one pair per algorithm"),
      /** The package file holding the copy (the image), if it is in the package. */
      copyFile: relativePath.optional(),
    })
    .strict(),
  z
    .object({
      performed: z.literal(false),
      /** Why the copy could not be verified against its source (a running system, a failing medium, ...). */
      reason: text,
    })
    .strict(),
]);

const deviceSchema = z
  .object({
    kind: z.enum(DeviceKinds),
    description: text.optional(),
    make: text.optional(),
    model: text.optional(),
    serialNumber: text.optional(),
    /** Other identifiers: IMEI, ICCID, MAC address, WWN, account id, exhibit label ... */
    identifiers: z
      .array(z.object({ scheme: text, value: text }).strict())
      .min(1)
      .max(16)
      .optional(),
    capacityBytes: safeCount.optional(),
    /** The state it was found in. */
    state: z
      .object({
        power: z.enum(DevicePowerStates),
        /** Screen locked, network connected, battery level, visible damage, ... */
        description: text.optional(),
      })
      .strict(),
    /** Source-versus-copy verification of what was acquired from this device. */
    verification: verificationSchema.optional(),
  })
  .strict()
  .refine(
    (d) => d.serialNumber !== undefined || d.identifiers !== undefined || d.description !== undefined,
    "identify the device: a serial number, identifiers or a description",
  );

const webCaptureSchema = z
  .object({
    /** The User-Agent the capturing client sent. */
    userAgent: text,
    /** Addresses the capturing client connected to. */
    resolvedAddresses: z.array(ipAddress).min(1).max(256).optional(),
    /** The DNS answers it received, in presentation format. */
    dnsAnswers: z
      .array(
        z
          .object({
            name: hostname,
            type: z.enum(DnsRecordTypes),
            value: text,
            ttl: uint31.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1024)
      .optional(),
    /** The resolver that answered ("192.0.2.53, agency resolver", "DoH https://dns.example/dns-query"). */
    resolver: text.optional(),
    tls: z
      .object({
        /**
         * SHA-256 of the certificate chain the server presented: its DER certificates concatenated, leaf first, as
         * sent (DER is self-delimiting, so the concatenation is unambiguous). See {@link certificateChainHash}.
         */
        certificateChainSha256: sha256,
        /** "TLSv1.3" */
        protocol: text.optional(),
        cipherSuite: text.optional(),
        /** The SNI name the client sent. */
        serverName: hostname.optional(),
      })
      .strict()
      .optional(),
    /** The public address the capturing system appeared from (a VPN exit changes what a platform shows). */
    egressAddress: ipAddress.optional(),
    /** HTTP status of the captured response. */
    httpStatus: z.number().int().min(100).max(599).optional(),
  })
  .strict();

const legalAuthoritySchema = z
  .object({
    /** The order, warrant or statutory provision: its number or citation. */
    reference: text,
    /** Who issued it (a court, a prosecutor, the statute). */
    issuedBy: text.optional(),
    issuedOn: dateOnly.optional(),
    /** Whose law it is. */
    jurisdiction: iso2.optional(),
    /** SHA-256 of the document itself. */
    documentSha256: sha256.optional(),
  })
  .strict();

const deviationSchema = z
  .object({
    /** What departed from the method, or what unavoidable change was made to the potential evidence. */
    description: text,
    /** Why it was necessary. */
    justification: text,
    /** Who was responsible for it (absent: the collector). */
    responsible: text.optional(),
    at: timeWithZone.optional(),
  })
  .strict();

/** The format 2 acquisition record; the essentials each method needs are in {@link acquisitionEssentials}. */
const acquisitionV2Schema = z
  .object({
    ...acquisitionV1Shape,
    tool: z
      .object({
        name: text,
        version: text,
        /** Where the tool's validation for this use is documented. */
        validation: toolValidationSchema.optional(),
      })
      .strict(),
    /** Why this method was chosen (required for `other`, and for imaging a running device). */
    methodJustification: text.optional(),
    /** When the acquisition began and ended (both or neither; `collectedAt` lies between them). */
    startedAt: timeWithZone.optional(),
    endedAt: timeWithZone.optional(),
    witnesses: z.array(witnessSchema).min(1).max(16).optional(),
    /** The devices or media read or seized, each identified, in the state found, with its verification. */
    devices: z.array(deviceSchema).min(1).max(64).optional(),
    /** The network context of a capture from the web. */
    webCapture: webCaptureSchema.optional(),
    /** The legal authority the acquisition was made under (an order, a warrant, a statutory power). */
    legalAuthority: legalAuthoritySchema.optional(),
    /** Departures from the method and unavoidable changes to the potential evidence, each justified. */
    deviations: z.array(deviationSchema).min(1).max(64).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    for (const problem of acquisitionEssentials(a)) ctx.addIssue({ code: "custom", ...problem });
  });

type AcquisitionV2Shape = z.input<typeof acquisitionV2Schema>;

/**
 * What format 2 requires beyond each field's own rules — ISO/IEC 27037's essentials, which depend on the method:
 * - `forensic-image`: the devices imaged, each with its source-versus-copy verification (or why none was possible);
 *   imaging a device found running needs a method justification (a live acquisition changes the system);
 * - `seizure`: the devices seized;
 * - `web-archive`: the source URL;
 * - `other`: a method description and justification;
 * - the acquisition period: both ends or neither, and `collectedAt` within it;
 * - a copy whose digest differs from its source's is a deviation, which must be documented.
 */
function acquisitionEssentials(a: Partial<AcquisitionV2Shape>): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const devices = Array.isArray(a.devices) ? a.devices : [];
  switch (a.method) {
    case "forensic-image":
      if (devices.length === 0) out.push({ path: ["devices"], message: "a forensic image names the devices imaged" });
      devices.forEach((d, i) => {
        if (d?.verification === undefined) {
          out.push({
            path: ["devices", i, "verification"],
            message: "a forensic image is verified against its source (or says why it could not be)",
          });
        }
      });
      if (devices.some((d) => d?.state?.power === "on") && a.methodJustification === undefined) {
        out.push({ path: ["methodJustification"], message: "imaging a running device needs a justification" });
      }
      break;
    case "seizure":
      if (devices.length === 0) out.push({ path: ["devices"], message: "a seizure names the devices seized" });
      break;
    case "web-archive":
      if (a.source?.url === undefined) out.push({ path: ["source", "url"], message: "a web archive names its URL" });
      break;
    case "other":
      if (a.methodDescription === undefined) {
        out.push({ path: ["methodDescription"], message: "method `other` needs a description" });
      }
      if (a.methodJustification === undefined) {
        out.push({ path: ["methodJustification"], message: "method `other` needs a justification" });
      }
      break;
    default:
      break;
  }
  if ((a.startedAt === undefined) !== (a.endedAt === undefined)) {
    out.push({
      path: [a.startedAt === undefined ? "startedAt" : "endedAt"],
      message: "give both startedAt and endedAt",
    });
  } else if (typeof a.startedAt === "string" && typeof a.endedAt === "string" && typeof a.collectedAt === "string") {
    const [start, end, at] = [instantOf(a.startedAt), instantOf(a.endedAt), instantOf(a.collectedAt)];
    if (start !== undefined && end !== undefined && start > end) {
      out.push({ path: ["endedAt"], message: "the acquisition ends before it starts" });
    } else if (start !== undefined && end !== undefined && at !== undefined && (at < start || at > end)) {
      out.push({ path: ["collectedAt"], message: "collectedAt lies outside startedAt … endedAt" });
    }
  }
  const mismatch = devices.some(
    (d) => d?.verification?.performed === true && (d.verification.hashes ?? []).some((h) => h?.source !== h?.copy),
  );
  if (mismatch && a.deviations === undefined) {
    out.push({ path: ["deviations"], message: "a copy that does not match its source is a deviation: document it" });
  }
  return out;
}

const filesSchema = z
  .array(fileSchema)
  .min(1)
  .max(100_000)
  .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, "file paths must be distinct");

const manifestV1Schema = z
  .object({
    format: z.literal(MANIFEST_FORMAT_V1),
    category: z.number().int().min(0).max(63),
    files: filesSchema,
    acquisition: acquisitionV1Schema,
  })
  .strict();

const manifestV2Schema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    category: z.number().int().min(0).max(63),
    files: filesSchema,
    acquisition: acquisitionV2Schema,
  })
  .strict();

/**
 * The manifest schema: what the package hash commits to. Format 1 manifests are read as they always were; format 2
 * adds the complete acquisition record. Parsing never changes a value (no defaults, no normalisation), so a
 * manifest's hash is the hash of exactly what it says.
 */
export const manifestSchema = z
  .discriminatedUnion("format", [manifestV1Schema, manifestV2Schema])
  .superRefine((m, ctx) => {
    if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.acquisition?.devices) || !Array.isArray(m.files)) return;
    const paths = new Set(m.files.map((f) => f.path));
    m.acquisition.devices.forEach((d, i) => {
      const copyFile = d.verification?.performed === true ? d.verification.copyFile : undefined;
      if (copyFile !== undefined && !paths.has(copyFile)) {
        ctx.addIssue({
          code: "custom",
          path: ["acquisition", "devices", i, "verification", "copyFile"],
          message: `${copyFile} is not a file of the manifest`,
        });
      }
    });
  });

/** A validated evidence manifest, format 1 or 2 (all text NFC). */
export type EvidenceManifest = z.infer<typeof manifestSchema>;
/** A format 2 manifest, as this SDK writes them. */
export type EvidenceManifestV2 = z.infer<typeof manifestV2Schema>;
/** A format 1 manifest. */
export type EvidenceManifestV1 = z.infer<typeof manifestV1Schema>;
/** What a caller gives before validation. */
export type EvidenceManifestInput = z.input<typeof manifestSchema>;
/** The acquisition record of a format 2 manifest. */
export type AcquisitionRecord = z.input<typeof acquisitionV2Schema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type DeviceRecord = z.input<typeof deviceSchema>;
export type WebCaptureContext = z.input<typeof webCaptureSchema>;
export type LegalAuthority = z.input<typeof legalAuthoritySchema>;
export type Deviation = z.input<typeof deviationSchema>;

/**
 * Validates a manifest without changing it; throws `INVALID_MANIFEST` listing every problem, with
 * `details.issues` (each `{ path, code, message }`) — text that is not NFC or not well-formed Unicode included
 * (codes `not_nfc`, `not_well_formed`).
 */
export function parseManifest(value: unknown): EvidenceManifest {
  const textIssues = unicodeTextIssues(value);
  const r = manifestSchema.safeParse(value);
  if (!r.success || textIssues.length > 0) {
    const issues = toManifestIssues(r.success ? undefined : r.error, textIssues);
    throw new CrossproofError("INVALID_MANIFEST", `invalid evidence manifest: ${describeIssues(issues)}`, {
      ...(r.success ? {} : { cause: r.error }),
      details: { issues },
    });
  }
  return r.data;
}

/**
 * Builds a manifest from fields already known (the files hashed elsewhere, text typed into a form): normalises
 * every string to NFC — this is where text is entered — then validates.
 */
export function prepareManifest(input: EvidenceManifestInput): EvidenceManifest {
  return parseManifest(normalizeText(input));
}

/**
 * The RFC 8785 canonical JSON of a manifest, exactly as given: a manifest the SDK does not accept (text not in NFC
 * included) is refused with `INVALID_MANIFEST`, never altered.
 */
export async function canonicalManifest(manifest: EvidenceManifestInput): Promise<string> {
  const canonicalize = await loadCanonicalize();
  const out = canonicalize(parseManifest(manifest));
  if (out === undefined) throw new CrossproofError("INVALID_MANIFEST", "manifest cannot be canonicalised");
  return out;
}

/**
 * The package hash: SHA-256 of the UTF-8 bytes of the RFC 8785 serialisation of `manifest`, as anchored on chain
 * (`contentHash`). Key order and white space do not change it; nothing else is done to the manifest — text that is
 * not NFC is refused (`INVALID_MANIFEST`, `details.issues[].path` naming where), so the hash any RFC 8785
 * implementation computes over the same manifest is this one.
 * @example
 * const contentHash = await manifestHash(manifest); // 0x…, 32 bytes
 */
export async function manifestHash(manifest: EvidenceManifestInput): Promise<Hex> {
  return `0x${sha256Hex(Buffer.from(await canonicalManifest(manifest), "utf8"))}`;
}

/**
 * The `webCapture.tls.certificateChainSha256` of a chain: SHA-256 of the DER certificates concatenated, leaf first,
 * as the server sent them.
 * @example
 * // Node: from tlsSocket.getPeerCertificate(true), follow issuerCertificate from the leaf up, collecting `.raw`
 * const certificateChainSha256 = certificateChainHash(chain.map((c) => c.raw));
 */
export function certificateChainHash(derCertificates: readonly Uint8Array[]): string {
  if (derCertificates.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "the certificate chain is empty");
  return sha256Hex(Buffer.concat(derCertificates.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
}

const MEDIA_TYPES: Record<string, string> = {
  ".mp4": "video/mp4",
  ".mkv": "video/x-matroska",
  ".webm": "video/webm",
  ".mov": "video/quicktime",
  ".ts": "video/mp2t",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".html": "text/html",
  ".htm": "text/html",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".json": "application/json",
  ".pdf": "application/pdf",
  ".warc": "application/warc",
  ".pcap": "application/vnd.tcpdump.pcap",
  ".pcapng": "application/vnd.tcpdump.pcap",
  ".zip": "application/zip",
  ".e01": "application/x-ewf",
  ".har": "application/json",
};

/** The media type for a file name (by extension), `application/octet-stream` when unknown. */
export function mediaTypeOf(fileName: string): string {
  return MEDIA_TYPES[path.extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/** A file to put in a package: where it is on disk and what it is called inside the package. */
export interface PackageFileSource {
  /** Path inside the package (relative, `/`-separated). */
  path: string;
  /** Path on disk. */
  source: string;
  mediaType?: string;
}

export interface BuildManifestParameters {
  files: readonly PackageFileSource[];
  category: number;
  acquisition: AcquisitionRecord;
  /** Progress across all files: bytes hashed so far, and which file. */
  onProgress?: (bytesDone: number, file: string) => void;
  signal?: AbortSignal;
}

/**
 * Hashes every file (streaming, constant memory) and builds the validated format 2 manifest. This is where text is
 * entered: the acquisition record and the file paths are normalised to Unicode NFC here, once.
 * @example
 * const manifest = await buildManifest({ files: [{ path: "capture.mp4", source: "/evidence/capture.mp4" }],
 *   category: EvidenceCategory.VIDEO_CAPTURE, acquisition });
 * const contentHash = await manifestHash(manifest);
 */
export async function buildManifest(p: BuildManifestParameters): Promise<EvidenceManifestV2> {
  const files: ManifestFile[] = [];
  let done = 0;
  for (const f of p.files) {
    const hashOptions: HashOptions = { onProgress: (n) => p.onProgress?.(done + n, f.path) };
    if (p.signal !== undefined) hashOptions.signal = p.signal;
    const { sha256, size } = await sha256OfFile(f.source, hashOptions);
    done += size;
    files.push({ path: f.path.normalize("NFC"), size, sha256, mediaType: f.mediaType ?? mediaTypeOf(f.path) });
  }
  const manifest = parseManifest({
    format: MANIFEST_FORMAT,
    category: p.category,
    files,
    acquisition: normalizeText(p.acquisition),
  });
  return manifest as EvidenceManifestV2;
}
