/**
 * What the user gave the page, sorted out, and the checks the browser makes itself: the manifest's content hash
 * (RFC 8785 canonical JSON, SHA-256 — the hash anchored on chain) and each file against the manifest's size and
 * SHA-256. The gateway's signed report covers what the gateway itself saw (see PORTAL.md); these local results are
 * shown apart from it.
 */
import canonicalize from "canonicalize";
import { sha256Hex, sha256OfFile } from "./hashing";

/** A file as the user gave it: its path inside the folder dropped (or its name), and the file. */
export interface GivenFile {
  path: string;
  file: File;
}

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
  mediaType?: string;
}

/** The parts of a manifest the page reads (the gateway and the SDK validate the whole of it). */
export interface ManifestView {
  format: string;
  category: number;
  files: ManifestEntry[];
  acquisition?: {
    collectedAt?: string;
    jurisdiction?: { collecting?: string; firstUpload?: string; primaryDissemination?: string };
    method?: string;
  };
}

export interface BatchProof {
  batchId: string;
  proof: string[];
}

/** What was given, sorted: a manifest (and where it sits), evidence files, a signed report, a batch proof. */
export interface Intake {
  manifest?: { bytes: Uint8Array; text: string; value: ManifestView; dir: string; name: string };
  files: GivenFile[];
  reportJws?: { name: string; jws: string };
  batch?: BatchProof;
  /** An encrypted crossproof package (envelope.jwe.json, files/0…): only its recipients can open it. */
  encryptedPackage: boolean;
  /** JSON files that are none of the above. */
  problems: { name: string; code: "MANIFEST_INVALID" | "MANIFEST_NOT_NFC" | "SEVERAL_MANIFESTS" | "NOT_JSON" }[];
}

const MANIFEST_FORMAT = /^crossproof-evidence-manifest\/\d+$/;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
/** JSON documents larger than this are evidence files, not manifests or proofs. */
const SMALL_DOCUMENT = 16 * 1024 * 1024;

/** The path of a file as given: inside the folder chosen (its first segment dropped), else its name. */
export function pathOf(file: File, relative?: string): string {
  const rel = relative ?? (file.webkitRelativePath || file.name);
  const parts = rel.replace(/^\/+/, "").split("/");
  return parts.length > 1 && relative === undefined ? parts.slice(1).join("/") : parts.join("/");
}

function isManifest(v: unknown): v is ManifestView {
  if (v === null || typeof v !== "object") return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.format === "string" &&
    MANIFEST_FORMAT.test(m.format) &&
    typeof m.category === "number" &&
    Array.isArray(m.files) &&
    m.files.every(
      (f: unknown) =>
        f !== null &&
        typeof f === "object" &&
        typeof (f as ManifestEntry).path === "string" &&
        Number.isSafeInteger((f as ManifestEntry).size) &&
        /^[0-9a-f]{64}$/.test(String((f as ManifestEntry).sha256)),
    )
  );
}

/** Strings (keys included) not in Unicode NFC: the SDK refuses such a manifest, since its hash depends on the form. */
function notNfc(v: unknown): boolean {
  if (typeof v === "string") return v !== v.normalize("NFC");
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return v.some(notNfc);
  return Object.entries(v).some(([k, x]) => k !== k.normalize("NFC") || notNfc(x));
}

const dirOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/") + 1) : "");

/** Sorts what was given. Reads only small JSON and text documents; evidence files are not read here. */
export async function sortIntake(given: GivenFile[]): Promise<Intake> {
  const intake: Intake = { files: [], encryptedPackage: false, problems: [] };
  const manifests: NonNullable<Intake["manifest"]>[] = [];
  for (const g of given) {
    const name = g.path.split("/").pop() ?? g.path;
    if (name === "envelope.jwe.json") {
      intake.encryptedPackage = true;
      continue;
    }
    if (/(^|\/)files\/\d+$/.test(g.path) && given.some((x) => x.path.endsWith("envelope.jwe.json"))) continue;
    const lower = name.toLowerCase();
    if (g.file.size <= SMALL_DOCUMENT && (lower.endsWith(".jws") || lower.endsWith(".jwt") || lower.endsWith(".txt"))) {
      const text = (await g.file.text()).trim();
      if (JWS.test(text)) {
        intake.reportJws = { name, jws: text };
        continue;
      }
    }
    if (g.file.size <= SMALL_DOCUMENT && lower.endsWith(".json")) {
      const bytes = new Uint8Array(await g.file.arrayBuffer());
      const text = new TextDecoder().decode(bytes);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        intake.files.push(g);
        continue;
      }
      const v = value as Record<string, unknown> | null;
      if (
        v !== null &&
        typeof v === "object" &&
        typeof v.format === "string" &&
        v.format.startsWith("crossproof-evidence-manifest")
      ) {
        if (!isManifest(v)) intake.problems.push({ name: g.path, code: "MANIFEST_INVALID" });
        else if (notNfc(v)) intake.problems.push({ name: g.path, code: "MANIFEST_NOT_NFC" });
        else manifests.push({ bytes, text, value: v, dir: dirOf(g.path), name: g.path });
        continue;
      }
      if (v !== null && typeof v === "object" && typeof v.batchId === "string" && Array.isArray(v.proof)) {
        const proof = v.proof.filter((x): x is string => typeof x === "string" && BYTES32.test(x));
        if (BYTES32.test(v.batchId) && proof.length === v.proof.length) {
          intake.batch = { batchId: v.batchId, proof };
          continue;
        }
      }
    }
    intake.files.push(g);
  }
  if (manifests.length > 1) {
    intake.problems.push({ name: manifests.map((m) => m.name).join(", "), code: "SEVERAL_MANIFESTS" });
  } else if (manifests.length === 1) {
    intake.manifest = manifests[0]!;
  }
  return intake;
}

/** The content hash: SHA-256 of the RFC 8785 canonical form of the manifest, `0x` + 64 hex digits. */
export async function contentHashOf(manifest: unknown): Promise<string> {
  const canonical = canonicalize(manifest);
  if (canonical === undefined) throw new Error("the manifest cannot be canonicalised");
  return `0x${await sha256Hex(new TextEncoder().encode(canonical))}`;
}

export type FileOutcome = "MATCH" | "MISMATCH" | "NOT_IN_MANIFEST" | "NOT_GIVEN";

export interface LocalFileResult {
  path: string;
  expected?: { size: number; sha256: string };
  actual?: { size: number; sha256: string };
  outcome: FileOutcome;
  /** The file given (absent for a file of the manifest that was not given). */
  source?: File;
}

export interface LocalCheck {
  contentHash: string;
  files: LocalFileResult[];
  /** Every file the manifest lists was given and matches. */
  allFilesMatch: boolean;
  /** A file given does not match, or is not in the manifest. */
  anyMismatch: boolean;
}

/**
 * Hashes the files given and compares them with the manifest: by their path relative to the manifest's folder, else
 * (a loose file) by size and SHA-256.
 */
export async function checkLocally(
  intake: Intake,
  onProgress: (done: number, total: number, file: string) => void,
  signal?: AbortSignal,
): Promise<LocalCheck> {
  const m = intake.manifest!;
  const contentHash = await contentHashOf(m.value);
  const total = intake.files.reduce((n, f) => n + f.file.size, 0);
  let before = 0;
  const results: LocalFileResult[] = [];
  const matched = new Set<string>();
  for (const g of intake.files) {
    const sha256 = await sha256OfFile(g.file, (n) => onProgress(before + n, total, g.path), signal);
    before += g.file.size;
    const actual = { size: g.file.size, sha256 };
    const inManifest = g.path.startsWith(m.dir) ? g.path.slice(m.dir.length) : g.path;
    const entry =
      m.value.files.find((e) => e.path === inManifest) ??
      m.value.files.find((e) => e.sha256 === sha256 && e.size === actual.size);
    if (entry === undefined) {
      results.push({ path: g.path, actual, outcome: "NOT_IN_MANIFEST", source: g.file });
      continue;
    }
    matched.add(entry.path);
    const ok = entry.sha256 === sha256 && entry.size === actual.size;
    results.push({
      path: entry.path,
      expected: { size: entry.size, sha256: entry.sha256 },
      actual,
      outcome: ok ? "MATCH" : "MISMATCH",
      source: g.file,
    });
  }
  for (const e of m.value.files) {
    if (!matched.has(e.path))
      results.push({ path: e.path, expected: { size: e.size, sha256: e.sha256 }, outcome: "NOT_GIVEN" });
  }
  return {
    contentHash,
    files: results,
    allFilesMatch: results.every((r) => r.outcome === "MATCH"),
    anyMismatch: results.some((r) => r.outcome === "MISMATCH" || r.outcome === "NOT_IN_MANIFEST"),
  };
}

/** The files given, each under its path in the manifest (what an upload sends). */
export function filesForUpload(local: LocalCheck): { path: string; file: File }[] {
  return local.files.flatMap((r) => (r.source === undefined ? [] : [{ path: r.path, file: r.source }]));
}
