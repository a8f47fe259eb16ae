/**
 * What the CLI prints: human text on stdout by default, one JSON document on stdout with `--json` (stable shapes:
 * integers that can exceed 2^53 as decimal strings, times as ISO 8601 UTC, hashes as lower-case 0x-hex). Progress
 * and warnings go to stderr, never into the JSON.
 */
import type { AnyVerificationReport } from "../index";

/** A value as the JSON output writes it: bigints as decimal strings, the rest as JSON does. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && typeof v !== "function")
        .map(([k, v]) => [k, jsonSafe(v)]),
    );
  }
  return value;
}

/** Unix seconds as ISO 8601 UTC without milliseconds; null for 0 / absent. */
export function iso(seconds: number | bigint | undefined | null): string | null {
  if (seconds === undefined || seconds === null) return null;
  const s = Number(seconds);
  if (s === 0 || s >= 2 ** 48 - 1) return null;
  return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A table with a header row, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** `key: value` lines, keys aligned. */
export function fields(entries: readonly (readonly [string, string | number | bigint | boolean | null | undefined])[]) {
  const shown = entries.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v === null ? "-" : String(v)}`).join("\n");
}

/** A verification report as people read it: the indication, then one row per check. */
export function reportTable(report: AnyVerificationReport): string {
  const lines: string[] = [];
  lines.push(`${report.indication}: ${report.summary}`);
  const subject = (report as { subject?: { contentHash?: string; packageCid?: string; evidence?: string } }).subject;
  const header: [string, string | undefined][] = [
    ["report", report.reportId],
    ["issued", report.issuedAt],
    [
      "issuer",
      `${report.issuer.memberId === undefined ? "" : `member ${report.issuer.memberId}, `}${report.issuer.jurisdiction}`,
    ],
    ["content hash", subject?.contentHash],
    ["package", subject?.packageCid],
    ["time policy", report.timePolicy],
  ];
  lines.push(fields(header));
  const rows: string[][] = [];
  const add = (
    scope: string,
    checks: readonly { check: string; result: string; subCode?: string; summary: string }[],
  ) => {
    for (const c of checks) rows.push([scope, c.check, c.result, c.subCode ?? "", c.summary]);
  };
  add("evidence", report.checks);
  for (const [i, a] of report.anchors.entries()) {
    const id = (a as { recordId?: string; batchId?: string }).recordId ?? (a as { batchId?: string }).batchId ?? "";
    add(`anchor ${i + 1}${id === "" ? "" : ` ${id.slice(0, 10)}…`}`, a.checks);
  }
  lines.push("");
  lines.push(table(["scope", "check", "result", "sub-code", "summary"], rows));
  return lines.join("\n");
}

/** Prints for people or for scripts. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
  ) {}

  /** The command's result: `human` (text, or lines) unless --json, where `data` is printed. */
  result(data: unknown, human: string | readonly string[] | (() => string | readonly string[])): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(jsonSafe(data), null, 2)}\n`);
      return;
    }
    const text = typeof human === "function" ? human() : human;
    const s = typeof text === "string" ? text : text.join("\n");
    if (s !== "") this.stdout.write(`${s}\n`);
  }

  /** A note for people (stderr; never in --json output). */
  note(line: string): void {
    if (!this.json) this.stderr.write(`${line}\n`);
  }
}
