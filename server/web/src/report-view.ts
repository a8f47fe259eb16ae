/**
 * A verification report as a readable page: the overall indication first in plain words, then what the signature
 * and the report cover, each check with its result and why, each anchor (member, key, custody timeline, agreement,
 * endorsements), the licence chain when asked, and the technical references one click away.
 */
import type { AnyVerificationReport, ChainReference, VerificationReport } from "../../../sdk/src/browser";
import { h } from "./dom";
import type { LocalCheck } from "./evidence";
import type { Gateway } from "./gateway";
import { formatBytes, formatTime, has, t, type MessageKey } from "./i18n";

export type Coverage = "package" | "upload" | "manifest" | "hash" | "hashOnly" | "dropped" | "public";

export type SignatureState =
  | { ok: true; issuer: string; kid: string; signedAt: string; chain: { ok: true } | { ok: false; reason: string } }
  | { ok: false; code: string; reason: string }
  | undefined;

type Awaited2<T> = T extends Promise<infer U> ? U : never;

/** What the page read besides the report (not signed): members, the signer key, custody, agreements. */
export interface ReportContext {
  members: Map<string, Awaited2<ReturnType<Gateway["member"]>>>;
  records: Map<string, Awaited2<ReturnType<Gateway["record"]>>>;
  custody: Map<string, Awaited2<ReturnType<Gateway["custody"]>>>;
  agreements: Map<string, Awaited2<ReturnType<Gateway["agreement"]>>>;
}

export interface ReportViewInput {
  report: AnyVerificationReport;
  jws?: string;
  signature: SignatureState;
  coverage: Coverage;
  local?: LocalCheck;
  context?: ReportContext;
}

const isFull = (r: AnyVerificationReport): r is VerificationReport => r.format === "crossproof.verification-report/1";

type AnyCheck = {
  check: string;
  result: string;
  subCode?: string;
  summary: string;
  refs?: ChainReference[];
  details?: Record<string, unknown>;
};

const RESULT_KEY: Record<string, MessageKey> = {
  PASSED: "report.PASSED",
  FAILED: "report.FAILED",
  INDETERMINATE: "report.INDETERMINATE.result",
};
const SYMBOL: Record<string, string> = { PASSED: "✓", FAILED: "✗", INDETERMINATE: "?" };

function msg(key: string, params: Record<string, string | number> = {}, fallback = ""): string {
  return has(key) ? t(key, params) : fallback;
}

function resultBadge(result: string) {
  return h(
    "span",
    { class: `badge badge-${result}` },
    h("span", { "aria-hidden": "true" }, SYMBOL[result] ?? ""),
    " ",
    t(RESULT_KEY[result] ?? "report.INDETERMINATE.result"),
  );
}

function refLine(r: ChainReference) {
  const parts = [t("report.ref", { contract: r.contract, address: r.address })];
  if (r.transactionHash !== undefined)
    parts.push(t("report.refTx", { tx: r.transactionHash, block: r.blockNumber ?? "?" }));
  if (r.recordId !== undefined) parts.push(t("report.refRecord", { id: r.recordId }));
  if (r.batchId !== undefined) parts.push(t("report.refBatch", { id: r.batchId }));
  if (r.agreementId !== undefined)
    parts.push(t("report.refAgreement", { id: r.agreementId, textHash: r.textHash ?? "—" }));
  if (r.licenseId !== undefined) parts.push(t("report.refLicence", { id: r.licenseId }));
  return h("li", { class: "mono" }, `${parts.join(" · ")} (chain ${r.chainId})`);
}

function technical(refs: readonly ChainReference[], extra: (Node | string)[] = []) {
  if (refs.length === 0 && extra.length === 0) return null;
  return h(
    "details",
    { class: "technical" },
    h("summary", {}, t("report.technical")),
    extra,
    refs.length > 0 ? h("ul", {}, refs.map(refLine)) : null,
  );
}

function checkItem(c: AnyCheck) {
  const why =
    c.result === "PASSED"
      ? msg(`passed.${c.check}`)
      : c.subCode !== undefined
        ? msg(`sub.${c.subCode}`, {}, c.subCode)
        : "";
  return h(
    "li",
    { class: `check result-${c.result}`, "data-check": c.check, "data-result": c.result, "data-subcode": c.subCode },
    h(
      "div",
      { class: "check-head" },
      resultBadge(c.result),
      " ",
      h("strong", {}, msg(`check.${c.check}`, {}, c.check)),
    ),
    why === "" ? null : h("p", { class: "why" }, why),
    c.subCode === undefined ? null : h("p", { class: "code" }, t("report.subCode", { code: c.subCode })),
    h("p", { class: "signed-summary", lang: "en" }, t("report.signedSummary", { summary: c.summary })),
    technical(
      c.refs ?? [],
      c.details === undefined ? [] : [h("pre", { class: "details" }, JSON.stringify(c.details, null, 2))],
    ),
  );
}

function checkList(checks: readonly AnyCheck[]) {
  return h("ul", { class: "checks" }, checks.map(checkItem));
}

function signatureBlock(s: SignatureState) {
  if (s === undefined)
    return h(
      "section",
      { class: "signature unsigned" },
      h("h3", {}, t("signature.heading")),
      h("p", {}, t("signature.unsigned")),
    );
  if (!s.ok) {
    return h(
      "section",
      { class: "signature bad", "data-signature": "invalid", "data-code": s.code },
      h("h3", {}, t("signature.heading")),
      h(
        "p",
        { role: "alert" },
        t("signature.failed", { code: s.code, reason: msg(`reportError.${s.code}`, {}, s.reason) }),
      ),
    );
  }
  return h(
    "section",
    { class: "signature good", "data-signature": "valid" },
    h("h3", {}, t("signature.heading")),
    h("p", {}, t("signature.ok", { issuer: s.issuer, kid: s.kid, signedAt: formatTime(s.signedAt) })),
    s.chain.ok
      ? h("p", { "data-chain": "valid" }, t("signature.chainOk"))
      : h("p", { class: "warning", "data-chain": "invalid" }, t("signature.chainFailed", { reason: s.chain.reason })),
  );
}

export function localBlock(local: LocalCheck) {
  const summary = local.anyMismatch
    ? "local.summary.bad"
    : local.allFilesMatch
      ? "local.summary.ok"
      : "local.summary.partial";
  return h(
    "section",
    { class: "local", "data-local": local.anyMismatch ? "mismatch" : "match" },
    h("h3", {}, t("local.heading")),
    h("p", { class: "hint" }, t("local.note")),
    h("p", { class: "mono" }, t("local.contentHash", { hash: local.contentHash })),
    h("p", { class: local.anyMismatch ? "error" : "" }, t(summary)),
    h(
      "ul",
      { class: "checks" },
      local.files.map((f) => {
        const result = f.outcome === "MATCH" ? "PASSED" : f.outcome === "NOT_GIVEN" ? "INDETERMINATE" : "FAILED";
        return h(
          "li",
          { class: `check result-${result}`, "data-file": f.path, "data-outcome": f.outcome },
          h(
            "div",
            { class: "check-head" },
            resultBadge(result),
            " ",
            h("strong", { class: "mono" }, f.path),
            " — ",
            t(`local.${f.outcome}`),
          ),
          f.expected === undefined
            ? null
            : h(
                "p",
                { class: "mono small" },
                t("local.expected", { size: formatBytes(f.expected.size), sha256: f.expected.sha256 }),
              ),
          f.actual === undefined || f.outcome === "MATCH"
            ? null
            : h(
                "p",
                { class: "mono small" },
                t("local.actual", { size: formatBytes(f.actual.size), sha256: f.actual.sha256 }),
              ),
        );
      }),
    ),
  );
}

function agreementBlock(checks: readonly AnyCheck[], context: ReportContext | undefined) {
  const recognition = checks.find((c) => c.check === "RECOGNITION");
  const ref = recognition?.refs?.find((r) => r.agreementId !== undefined);
  const agreementId = ref?.agreementId ?? (recognition?.details?.agreementId as string | undefined);
  const a = agreementId === undefined ? undefined : context?.agreements.get(agreementId);
  return h(
    "section",
    { class: "agreement" },
    h("h4", {}, t("report.agreement")),
    agreementId === undefined
      ? h("p", {}, t("report.noAgreement"))
      : a === undefined
        ? h("p", {}, t("report.refAgreement", { id: agreementId, textHash: ref?.textHash ?? "—" }))
        : [
            h(
              "p",
              { "data-agreement": a.agreementId },
              t("report.agreementText", {
                agreementId: a.agreementId,
                from: a.from,
                to: a.to,
                categories: a.categories.map((c) => msg(`category.${c}`, {}, String(c))).join(", "),
                assurance: a.minAssurance.join(", ") || "—",
                from_time: formatTime(
                  a.concludedAt !== null && a.concludedAt > a.effectiveFrom ? a.concludedAt : a.effectiveFrom,
                ),
                until: a.expiresAt === null ? "" : t("report.agreementUntil", { time: formatTime(a.expiresAt) }),
              }),
            ),
            a.suspended ? h("p", { class: "warning" }, t("report.agreementSuspended")) : null,
            technical(
              [],
              [h("p", { class: "mono" }, t("report.refAgreement", { id: a.agreementId, textHash: a.textHash }))],
            ),
          ],
  );
}

function endorsementsBlock(checks: readonly AnyCheck[]) {
  const c = checks.find((x) => x.check === "ENDORSEMENTS");
  if (c === undefined) return null;
  const list =
    (c.details?.endorsements as
      { memberId: string; verdict: string; agreementId: string | null; at: string }[] | undefined) ?? [];
  return h(
    "section",
    { class: "endorsements" },
    h("h4", {}, t("report.endorsements")),
    list.length === 0
      ? h(
          "p",
          {},
          c.details === undefined ? t("report.signedSummary", { summary: c.summary }) : t("report.noEndorsements"),
        )
      : h(
          "ul",
          {},
          list.map((e) =>
            h(
              "li",
              { "data-verdict": e.verdict },
              t("report.endorsement", {
                memberId: e.memberId,
                verdict: msg(`verdict.${e.verdict}`, {}, e.verdict),
                time: formatTime(e.at),
                agreement:
                  e.agreementId === null ? "" : t("report.endorsementAgreement", { agreementId: e.agreementId }),
              }),
            ),
          ),
        ),
  );
}

function custodyBlock(recordId: string | undefined, checks: readonly AnyCheck[], context: ReportContext | undefined) {
  const c = checks.find((x) => x.check === "CUSTODY");
  if (c === undefined) return null;
  const live = recordId === undefined ? undefined : context?.custody.get(recordId);
  const d = c.details as { status?: string; events?: number; custodian?: string } | undefined;
  return h(
    "section",
    { class: "custody" },
    h("h4", {}, t("report.custody")),
    d === undefined
      ? h("p", {}, t("report.signedSummary", { summary: c.summary }))
      : h(
          "p",
          {},
          t("report.custodyFromReport", {
            status: d.status ?? "—",
            events: d.events ?? 0,
            custodian: d.custodian ?? "—",
          }),
        ),
    live === undefined
      ? null
      : [
          h("p", { class: "hint" }, t("report.custodyLive")),
          h(
            "ol",
            { class: "timeline" },
            live.events.map((e) =>
              h(
                "li",
                { "data-event": e.eventType },
                t("report.custodyEvent", {
                  time: formatTime(e.occurredAt),
                  type: msg(`custody.${e.eventType}`, {}, e.eventType),
                  actor: e.actor,
                }),
                e.counterparty === null || e.counterparty === "0"
                  ? ""
                  : t("report.custodyCounterparty", { counterparty: e.counterparty }),
                e.transactionHash === undefined
                  ? null
                  : technical(
                      [],
                      [
                        h(
                          "p",
                          { class: "mono" },
                          t("report.refTx", { tx: e.transactionHash, block: e.blockNumber ?? "?" }),
                        ),
                        h("p", { class: "mono" }, e.signer),
                      ],
                    ),
              ),
            ),
          ),
        ],
  );
}

function licenceBlock(checks: readonly AnyCheck[]) {
  const c = checks.find((x) => x.check === "LICENSE_AUTHORIZATION");
  if (c === undefined) return null;
  const chain =
    (c.details?.chain as
      { licenseId?: string; valid?: boolean; explanation?: string; reason?: string }[] | undefined) ?? [];
  return h(
    "section",
    { class: "licence" },
    h("h3", {}, t("report.licence")),
    checkList([c]),
    chain.length === 0
      ? null
      : h(
          "ol",
          {},
          chain.map((l) =>
            h(
              "li",
              { class: "mono" },
              t("report.licenceLink", {
                licenceId: l.licenseId ?? "—",
                verdict: t(l.valid === true ? "report.PASSED" : "report.FAILED"),
                explanation: l.explanation ?? l.reason ?? "",
              }),
            ),
          ),
        ),
  );
}

function anchorBlock(report: AnyVerificationReport, index: number, context: ReportContext | undefined) {
  const a = report.anchors[index]!;
  const full = isFull(report) ? report.anchors[index]! : undefined;
  const memberId = full?.memberId;
  const member = memberId === undefined ? undefined : context?.members.get(memberId);
  const record = a.recordId === undefined ? undefined : context?.records.get(a.recordId);
  return h(
    "article",
    { class: "anchor", "data-indication": a.indication },
    h(
      "h3",
      {},
      t("report.anchor", {
        n: index + 1,
        kind: t(a.kind === "batch" ? "report.anchor.batch" : "report.anchor.record"),
        jurisdiction: a.jurisdiction,
      }),
      " — ",
      t(`report.${a.indication}` as MessageKey),
    ),
    h(
      "ul",
      { class: "facts" },
      memberId === undefined
        ? null
        : h(
            "li",
            {},
            t("report.agency", {
              memberId,
              jurisdiction: a.jurisdiction,
              roles: member === undefined ? "" : `, ${member.roles.join(", ")}`,
            }),
          ),
      h("li", {}, record === undefined ? t("report.keyUnknown") : t("report.key", { address: record.signer })),
      h("li", {}, t("report.anchoredAt", { time: formatTime(a.anchoredAt) })),
      full?.collectedAt === undefined
        ? null
        : h("li", {}, t("report.collectedAt", { time: formatTime(full.collectedAt) })),
      h("li", {}, t("report.category", { category: msg(`category.${a.category}`, {}, String(a.category)) })),
    ),
    checkList(a.checks as AnyCheck[]),
    custodyBlock(a.recordId, a.checks as AnyCheck[], context),
    agreementBlock(a.checks as AnyCheck[], context),
    endorsementsBlock(a.checks as AnyCheck[]),
    technical(
      [],
      [
        a.recordId === undefined ? "" : h("p", { class: "mono" }, t("report.refRecord", { id: a.recordId })),
        a.batchId === undefined ? "" : h("p", { class: "mono" }, t("report.refBatch", { id: a.batchId })),
      ],
    ),
  );
}

/** Checks the gateway could not make only because it was not sent the manifest or the files. */
const NOT_SENT = new Set(["NO_MANIFEST", "NO_FILES"]);

/** The local results and the signed report read together, in plain words (hash and manifest modes). */
function combinedNote(r: AnyVerificationReport, local: LocalCheck | undefined) {
  if (local === undefined) return null;
  if (local.anyMismatch) return h("p", { class: "error", "data-combined": "bad" }, t("combined.bad"));
  const all = [...r.checks, ...r.anchors.flatMap((a) => a.checks)] as AnyCheck[];
  const open = all.filter((c) => c.result !== "PASSED" && !(c.subCode !== undefined && NOT_SENT.has(c.subCode)));
  if (!local.allFilesMatch || open.length > 0 || r.indication !== "INDETERMINATE") return null;
  return h("p", { class: "combined", "data-combined": "ok" }, t("combined.ok"));
}

/** The report page; `actions` are the download and print buttons (added by the caller). */
export function renderReport(v: ReportViewInput, actions: Node | null): HTMLElement {
  const r = v.report;
  const full = isFull(r) ? r : undefined;
  const chain = r.chain;
  return h(
    "article",
    {
      class: "report",
      id: "report",
      "data-indication": r.indication,
      "data-format": r.format,
      "aria-labelledby": "report-heading",
    },
    h("h2", { id: "report-heading" }, t("report.heading")),
    h(
      "p",
      { class: `indication indication-${r.indication}`, id: "indication" },
      h(
        "span",
        { "aria-hidden": "true", class: "indication-symbol" },
        r.indication === "TOTAL-PASSED" ? "✓" : r.indication === "TOTAL-FAILED" ? "✗" : "?",
      ),
      " ",
      t(`report.${r.indication}` as MessageKey),
    ),
    h("p", { class: "small" }, t("report.indicationCode", { indication: r.indication })),
    combinedNote(r, v.local),
    full === undefined ? h("p", { class: "hint" }, t("report.reduced")) : null,
    h(
      "p",
      {},
      t("report.issuer", {
        memberId: r.issuer.memberId ?? "—",
        jurisdiction: r.issuer.jurisdiction,
        issuedAt: formatTime(r.issuedAt),
      }),
    ),
    h("p", {}, t("report.timePolicy", { policy: t(`check.timePolicy.${r.timePolicy}` as MessageKey) })),
    h("p", { class: "signed-summary", lang: "en" }, t("report.signedSummary", { summary: r.summary })),
    signatureBlock(v.signature),
    h(
      "section",
      { class: "coverage" },
      h("h3", {}, t("coverage.heading")),
      h("p", {}, t(`coverage.${v.coverage}` as MessageKey)),
    ),
    v.local === undefined ? null : localBlock(v.local),
    h(
      "section",
      {},
      h("h3", {}, t("report.evidenceChecks")),
      checkList((r.checks as AnyCheck[]).filter((c) => c.check !== "LICENSE_AUTHORIZATION")),
    ),
    full?.subject.files === undefined
      ? null
      : h(
          "section",
          {},
          h("h3", {}, t("report.files")),
          h(
            "ul",
            {},
            full.subject.files.map((f) =>
              h(
                "li",
                { class: "mono small" },
                t("report.fileChecked", {
                  path: f.path,
                  size: formatBytes(f.size),
                  sha256: f.sha256,
                  checked: t(f.checked ? "report.checked" : "report.notChecked"),
                }),
              ),
            ),
          ),
        ),
    r.anchors.map((_, i) => anchorBlock(r, i, v.context)),
    licenceBlock(r.checks as AnyCheck[]),
    h(
      "details",
      { class: "technical" },
      h("summary", {}, t("report.technical")),
      h("p", { class: "mono" }, t("report.reportId", { reportId: r.reportId })),
      h(
        "p",
        { class: "mono" },
        t("report.chain", {
          chainId: chain.chainId,
          blockNumber: chain.blockNumber,
          blockHash: chain.blockHash,
          blockTime: formatTime(chain.blockTime),
          confirmations: chain.confirmations,
        }),
      ),
      h(
        "ul",
        {},
        Object.entries(chain.contracts).map(([name, address]) =>
          h("li", { class: "mono" }, t("report.contract", { name, address: String(address) })),
        ),
      ),
      r.subject.contentHash === undefined ? null : h("p", { class: "mono" }, r.subject.contentHash),
      full?.subject.packageCid === undefined ? null : h("p", { class: "mono" }, full.subject.packageCid),
    ),
    actions,
  );
}

/** Reads what the page shows besides the report: members and agreements (public), signer keys and custody (members). */
export async function loadContext(gateway: Gateway, report: AnyVerificationReport): Promise<ReportContext> {
  const ctx: ReportContext = { members: new Map(), records: new Map(), custody: new Map(), agreements: new Map() };
  const quietly = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch {
      return undefined;
    }
  };
  const agreementIds = new Set<string>();
  for (const a of report.anchors) {
    for (const c of a.checks as AnyCheck[]) {
      for (const ref of c.refs ?? []) if (ref.agreementId !== undefined) agreementIds.add(ref.agreementId);
    }
  }
  for (const id of agreementIds) {
    const a = await quietly(() => gateway.agreement(id));
    if (a !== undefined) ctx.agreements.set(id, a);
  }
  if (!isFull(report)) return ctx;
  for (const a of report.anchors) {
    if (!ctx.members.has(a.memberId)) {
      const m = await quietly(() => gateway.member(a.memberId));
      if (m !== undefined) ctx.members.set(a.memberId, m);
    }
    if (a.recordId !== undefined && gateway.isMember) {
      const rec = await quietly(() => gateway.record(a.recordId!));
      if (rec !== undefined) ctx.records.set(a.recordId, rec);
      const cus = await quietly(() => gateway.custody(a.recordId!));
      if (cus !== undefined) ctx.custody.set(a.recordId, cus);
    }
  }
  return ctx;
}
