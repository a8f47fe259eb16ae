import path from "node:path";
import { z } from "zod";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";
import { loadCanonicalize } from "./esm";
import { sha256Hex, sha256OfFile, type HashOptions } from "./hash";

/** The manifest format this SDK writes and reads. */
export const MANIFEST_FORMAT = "crossproof-evidence-manifest/1";

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

/** All strings are normalised to Unicode NFC, so that the same text always hashes the same. */
const text = z
  .string()
  .min(1)
  .max(4096)
  .transform((s) => s.normalize("NFC"));
const iso2 = z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code (two upper-case letters)");
const timeWithZone = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/,
    "an ISO 8601 date-time with a zone (Z or ±hh:mm)",
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a valid date-time");
const ianaZone = z.string().refine((z) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: z });
    return true;
  } catch {
    return false;
  }
}, "an IANA time zone such as Europe/Paris");
const relativePath = text.refine(
  (p) => !p.startsWith("/") && !p.includes("\\") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."),
  "a relative path with '/' separators and no '.', '..' or empty segments",
);

const fileSchema = z
  .object({
    path: relativePath,
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
    mediaType: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, "a media type"),
  })
  .strict();

const acquisitionSchema = z
  .object({
    tool: z.object({ name: text, version: text }).strict(),
    method: z.enum(AcquisitionMethods),
    methodDescription: text.optional(),
    collector: z
      .object({
        name: text,
        organisation: text.optional(),
        /** Consortium member id of the collecting agency, if it is a member. */
        memberId: z.number().int().positive().optional(),
      })
      .strict(),
    /** When the acquisition happened, with the zone offset in force there. */
    collectedAt: timeWithZone,
    /** The IANA zone of the place of collection. */
    timeZone: ianaZone.optional(),
    source: z
      .object({
        url: z.string().url().optional(),
        location: text.optional(),
        platform: text.optional(),
        account: text.optional(),
      })
      .strict()
      .refine((s) => Object.keys(s).length > 0, "at least one of url, location, platform, account"),
    jurisdiction: z
      .object({
        /** Where the evidence was collected. */
        collecting: iso2,
        /** Where the work was first uploaded (joint jurisdiction, first half). */
        firstUpload: iso2.optional(),
        /** Where it was mainly disseminated (joint jurisdiction, second half). */
        primaryDissemination: iso2.optional(),
      })
      .strict(),
    notes: text.optional(),
  })
  .strict();

/** The manifest schema: what the package hash commits to. */
export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    category: z.number().int().min(0).max(63),
    files: z
      .array(fileSchema)
      .min(1)
      .max(100_000)
      .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, "file paths must be distinct"),
    acquisition: acquisitionSchema,
  })
  .strict();

/** A validated evidence manifest (all strings NFC). */
export type EvidenceManifest = z.infer<typeof manifestSchema>;
/** What a caller gives before validation. */
export type EvidenceManifestInput = z.input<typeof manifestSchema>;
export type AcquisitionRecord = z.input<typeof acquisitionSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;

/** Validates a manifest; throws `INVALID_MANIFEST` listing every problem. */
export function parseManifest(value: unknown): EvidenceManifest {
  const r = manifestSchema.safeParse(value);
  if (!r.success) {
    throw new CrossproofError(
      "INVALID_MANIFEST",
      `invalid evidence manifest: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      { cause: r.error, details: { issues: r.error.issues } },
    );
  }
  return r.data;
}

/** The RFC 8785 canonical JSON of a (validated) manifest. */
export async function canonicalManifest(manifest: EvidenceManifestInput): Promise<string> {
  const canonicalize = await loadCanonicalize();
  const out = canonicalize(parseManifest(manifest));
  if (out === undefined) throw new CrossproofError("INVALID_MANIFEST", "manifest cannot be canonicalised");
  return out;
}

/**
 * The package hash: SHA-256 of the UTF-8 bytes of the canonical manifest, as anchored on chain (`contentHash`).
 * Key order, white space and Unicode normalisation of the input do not change it.
 */
export async function manifestHash(manifest: EvidenceManifestInput): Promise<Hex> {
  return `0x${sha256Hex(Buffer.from(await canonicalManifest(manifest), "utf8"))}`;
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
 * Hashes every file (streaming, constant memory) and builds the validated manifest.
 * @example
 * const manifest = await buildManifest({ files: [{ path: "capture.mp4", source: "/evidence/capture.mp4" }],
 *   category: EvidenceCategory.VIDEO_CAPTURE, acquisition });
 * const contentHash = await manifestHash(manifest);
 */
export async function buildManifest(p: BuildManifestParameters): Promise<EvidenceManifest> {
  const files: ManifestFile[] = [];
  let done = 0;
  for (const f of p.files) {
    const hashOptions: HashOptions = { onProgress: (n) => p.onProgress?.(done + n, f.path) };
    if (p.signal !== undefined) hashOptions.signal = p.signal;
    const { sha256, size } = await sha256OfFile(f.source, hashOptions);
    done += size;
    files.push({ path: f.path, size, sha256, mediaType: f.mediaType ?? mediaTypeOf(f.path) });
  }
  return parseManifest({ format: MANIFEST_FORMAT, category: p.category, files, acquisition: p.acquisition });
}
