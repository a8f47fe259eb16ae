/**
 * The verification portal: the page's controller. See docs/PORTAL.md for what leaves the machine in each mode and
 * what the signed report covers.
 */
import { config as zodConfig } from "zod/v4";
import { byId, download, h, replace } from "./dom";
import {
  checkLocally,
  filesForUpload,
  pathOf,
  sortIntake,
  type GivenFile,
  type Intake,
  type LocalCheck,
} from "./evidence";
import { Gateway, GatewayError, type SignedReport, type VerificationOptions } from "./gateway";
import { sha256OfFile } from "./hashing";
import {
  LANGUAGES,
  formatBytes,
  formatTime,
  initialLanguage,
  language,
  setLanguage,
  t,
  translateStatic,
  type Language,
  type MessageKey,
} from "./i18n";
import { checkSignedReport } from "./signature";
import {
  browserWallet,
  keystoreSigner,
  privateKeySigner,
  signIn,
  walletSigner,
  KeyFileError,
  type MessageSigner,
} from "./signin";
import { localBlock, loadContext, renderReport, type ReportViewInput } from "./report-view";

// The page's CSP allows no eval: zod (report schemas) validates without compiling code.
zodConfig({ jitless: true });

const gateway = new Gateway();
let given: GivenFile[] = [];
let intake: Intake | undefined;
/** The last thing shown in the results area, re-rendered when the language changes. */
let shown: (() => Node) | undefined;
let abort: AbortController | undefined;

const HASH = /^0x[0-9a-fA-F]{64}$/;

// ------------------------------------------------------------------------------------------------------------------
// Language
// ------------------------------------------------------------------------------------------------------------------

function applyLanguage(lang: Language): void {
  setLanguage(lang);
  document.title = t("app.title");
  translateStatic();
  renderSignIn();
  renderGiven();
  if (shown !== undefined) replace(byId("results"), shown());
}

function setUpLanguage(): void {
  const select = byId<HTMLSelectElement>("language");
  for (const [code, l] of Object.entries(LANGUAGES)) {
    select.append(h("option", { value: code, lang: code }, l.name));
  }
  const lang = initialLanguage();
  select.value = lang;
  select.addEventListener("change", () => applyLanguage(select.value as Language));
  applyLanguage(lang);
}

// ------------------------------------------------------------------------------------------------------------------
// Messages, progress
// ------------------------------------------------------------------------------------------------------------------

function status(text: string): void {
  byId("check-status").textContent = text;
}

function showError(where: "check-error" | "signin-error", err: unknown): void {
  // A 401 ended the session (expired, key revoked, member suspended): the sign-in panel says so.
  if (err instanceof GatewayError && err.status === 401) renderSignIn();
  let text: string;
  if (err instanceof GatewayError) {
    text = t("error.gateway", {
      status: err.status,
      code: err.code === undefined ? "" : `, ${err.code}`,
      detail: err.message,
    });
  } else if (err instanceof DOMException && err.name === "AbortError") {
    text = t("error.cancelled");
  } else {
    text = t("error.generic", { reason: err instanceof Error ? err.message : String(err) });
  }
  byId(where).textContent = text;
}

function progress(label: string, done: number, total: number): void {
  byId("progress-box").hidden = false;
  byId("progress-label").textContent = label;
  const bar = byId<HTMLProgressElement>("progress");
  bar.max = Math.max(total, 1);
  bar.value = Math.min(done, bar.max);
}

function progressDone(): void {
  byId("progress-box").hidden = true;
}

function show(render: () => Node): void {
  shown = render;
  replace(byId("results"), render());
}

// ------------------------------------------------------------------------------------------------------------------
// Sign-in
// ------------------------------------------------------------------------------------------------------------------

function renderSignIn(): void {
  const p = gateway.principal;
  let text: string;
  if (p === undefined) text = t("signin.stranger");
  else if (p.kind === "account") text = t("signin.account", { address: p.address });
  else if (p.staff !== undefined)
    text = t("signin.staff", {
      staff: p.staff,
      memberId: p.memberId,
      jurisdiction: p.jurisdiction,
      roles: p.roles.join(", "),
    });
  else
    text = t("signin.member", {
      memberId: p.memberId,
      jurisdiction: p.jurisdiction,
      roles: p.roles.join(", "),
      address: p.address,
    });
  byId("signin-status").textContent = text;
  byId("signin-status").dataset.principal = p?.kind ?? "stranger";
  byId("signin-forms").hidden = p !== undefined;
  byId("signout").hidden = p === undefined;
}

async function signInWith(getSigner: () => Promise<MessageSigner>): Promise<void> {
  byId("signin-error").textContent = "";
  byId("signin-status").textContent = t("signin.working");
  try {
    await signIn(gateway, await getSigner());
  } catch (err) {
    if (err instanceof KeyFileError)
      byId("signin-error").textContent = t(err.code === "KEY_INVALID" ? "signin.keyInvalid" : "signin.keyUnreadable");
    else if (err instanceof GatewayError)
      byId("signin-error").textContent = t("signin.failed", { reason: `${err.code ?? err.status}: ${err.message}` });
    else showError("signin-error", err);
  }
  renderSignIn();
}

function setUpSignIn(): void {
  byId("signin-wallet").addEventListener("click", () => {
    const wallet = browserWallet();
    if (wallet === undefined) {
      byId("signin-error").textContent = t("signin.noWallet");
      return;
    }
    void signInWith(() => walletSigner(wallet));
  });
  byId("signin-key").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const file = byId<HTMLInputElement>("signin-keyfile").files?.[0];
    const password = byId<HTMLInputElement>("signin-password").value;
    const raw = byId<HTMLInputElement>("signin-privatekey").value;
    if (file === undefined && raw.trim() === "") {
      byId("signin-error").textContent = t("signin.needKey");
      return;
    }
    void signInWith(async () =>
      file !== undefined ? keystoreSigner(await file.text(), password) : privateKeySigner(raw),
    ).then(() => {
      byId<HTMLInputElement>("signin-password").value = "";
      byId<HTMLInputElement>("signin-privatekey").value = "";
    });
  });
  byId("signout").addEventListener("click", () => {
    gateway.signOut();
    renderSignIn();
  });
}

// ------------------------------------------------------------------------------------------------------------------
// What was given: files, folders, drops
// ------------------------------------------------------------------------------------------------------------------

async function filesOfEntry(entry: FileSystemEntry, prefix: string, out: GivenFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const e of batch) await filesOfEntry(e, `${prefix}${entry.name}/`, out);
    }
  }
}

/** Files of a drop: folders walked; a folder dropped alone is the package root (its own name dropped). */
async function filesOfDrop(dt: DataTransfer): Promise<GivenFile[]> {
  const out: GivenFile[] = [];
  const entries = [...dt.items].map((i) => (i.kind === "file" ? i.webkitGetAsEntry() : null));
  if (entries.length > 0 && entries.every((e) => e !== null)) {
    for (const e of entries) await filesOfEntry(e!, "", out);
    const onlyFolder = entries.length === 1 && entries[0]!.isDirectory;
    return onlyFolder ? out.map((g) => ({ ...g, path: g.path.split("/").slice(1).join("/") })) : out;
  }
  for (const f of dt.files) out.push({ path: f.name, file: f });
  return out;
}

async function take(files: GivenFile[]): Promise<void> {
  byId("check-error").textContent = "";
  given = files;
  intake = await sortIntake(given);
  renderGiven();
  // A report alone is verified at once: dropping a downloaded report on the page is how it is checked again.
  if (intake.reportJws !== undefined && intake.manifest === undefined && intake.files.length === 0) {
    await verifyDroppedReport(intake.reportJws.jws);
  }
}

function renderGiven(): void {
  const el = byId("given");
  if (intake === undefined || given.length === 0) {
    el.textContent = "";
    return;
  }
  const parts: string[] = [];
  if (intake.manifest !== undefined) parts.push(t("check.givenManifest", { name: intake.manifest.name }));
  if (intake.files.length > 0) parts.push(t("check.givenFiles", { count: intake.files.length }));
  if (intake.batch !== undefined) parts.push(t("check.givenBatch"));
  if (intake.reportJws !== undefined) parts.push(t("check.givenReport", { name: intake.reportJws.name }));
  el.textContent = t("check.given", { summary: parts.join(", ") });
}

function setUpIntake(): void {
  for (const id of ["choose-folder", "choose-files"]) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener("change", () => {
      const files = [...(input.files ?? [])].map((f) => ({ path: pathOf(f), file: f }));
      void take(files).catch((err: unknown) => showError("check-error", err));
      input.value = "";
    });
  }
  const zone = byId("dropzone");
  // The whole page takes drops (a report dropped anywhere is verified); the zone shows where.
  document.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", (ev) => {
    if (ev.relatedTarget === null) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("dragging");
    if (ev.dataTransfer === null) return;
    void filesOfDrop(ev.dataTransfer)
      .then(take)
      .catch((err: unknown) => showError("check-error", err));
  });
}

// ------------------------------------------------------------------------------------------------------------------
// Checking
// ------------------------------------------------------------------------------------------------------------------

function options(): VerificationOptions {
  const o: VerificationOptions = {};
  const by = byId<HTMLInputElement>("anchored-by").value.trim();
  if (by !== "") o.anchoredBy = Number(by);
  const policy = byId<HTMLSelectElement>("time-policy").value as NonNullable<VerificationOptions["timePolicy"]>;
  if (policy !== "at-anchoring") o.timePolicy = policy;
  const batchText = byId<HTMLTextAreaElement>("batch-proof").value.trim();
  if (batchText !== "") {
    let b: unknown;
    try {
      b = JSON.parse(batchText);
    } catch {
      throw new Error(t("check.batchInvalid"));
    }
    const v = b as { batchId?: unknown; proof?: unknown };
    if (
      typeof v.batchId !== "string" ||
      !HASH.test(v.batchId) ||
      !Array.isArray(v.proof) ||
      !v.proof.every((x) => typeof x === "string" && HASH.test(x))
    ) {
      throw new Error(t("check.batchInvalid"));
    }
    o.batch = { batchId: v.batchId, proof: v.proof as string[] };
  } else if (intake?.batch !== undefined) {
    o.batch = intake.batch;
  }
  return o;
}

function mode(): "hash" | "manifest" | "upload" {
  return (document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "hash") as
    "hash" | "manifest" | "upload";
}

function actionsFor(v: ReportViewInput): Node {
  const id = v.report.reportId;
  return h(
    "section",
    { class: "report-actions no-print" },
    h("h3", {}, t("actions.heading")),
    v.jws === undefined
      ? null
      : h(
          "button",
          {
            type: "button",
            id: "download-jws",
            onclick: () => download(`crossproof-report-${id}.jws`, v.jws!, "application/jose"),
          },
          t("actions.downloadJws"),
        ),
    " ",
    h(
      "button",
      {
        type: "button",
        id: "download-json",
        onclick: () => download(`crossproof-report-${id}.json`, JSON.stringify(v.report, null, 2), "application/json"),
      },
      t("actions.downloadJson"),
    ),
    " ",
    h("button", { type: "button", id: "print", onclick: () => window.print() }, t("actions.print")),
  );
}

function showReport(v: ReportViewInput): void {
  show(() => renderReport(v, actionsFor(v)));
  byId("report").focus?.();
}

async function signedReportView(
  answer: SignedReport,
  coverage: ReportViewInput["coverage"],
  local?: LocalCheck,
): Promise<void> {
  status(t("progress.verifying"));
  const checked = await checkSignedReport(gateway, answer.jws);
  const report = checked.report ?? answer.report;
  if (checked.report === undefined) {
    // A report whose signature does not verify is not shown as if it could be relied on.
    show(() => renderReport({ report, signature: checked.signature, coverage, ...(local ? { local } : {}) }, null));
    return;
  }
  const context = await loadContext(gateway, report);
  showReport({ report, jws: answer.jws, signature: checked.signature, coverage, context, ...(local ? { local } : {}) });
}

async function verifyDroppedReport(jws: string): Promise<void> {
  byId("check-error").textContent = "";
  status(t("progress.verifying"));
  try {
    const checked = await checkSignedReport(gateway, jws.trim());
    if (checked.report === undefined) {
      show(() =>
        h(
          "article",
          { class: "report", id: "report", "data-signature": "invalid" },
          h("h2", {}, t("report.heading")),
          h(
            "p",
            { class: "indication indication-TOTAL-FAILED", role: "alert" },
            t("signature.failed", {
              code: (checked.signature as { code: string }).code,
              reason: t(`reportError.${(checked.signature as { code: string }).code}` as MessageKey),
            }),
          ),
        ),
      );
    } else {
      const context = await loadContext(gateway, checked.report);
      showReport({
        report: checked.report,
        jws: jws.trim(),
        signature: checked.signature,
        coverage: "dropped",
        context,
      });
    }
  } catch (err) {
    showError("check-error", err);
  } finally {
    status("");
  }
}

async function publicAnswer(contentHash: string, local?: LocalCheck, wantedToSend = false): Promise<void> {
  status(t("progress.asking"));
  const answer = await gateway.publicEvidence(contentHash);
  // Strangers cannot send the manifest or files: said, not silently ignored.
  const note = () => (wantedToSend ? h("p", { class: "warning", role: "note" }, t("intake.needMember")) : null);
  if (!answer.anchored || answer.report === undefined) {
    show(() =>
      h(
        "div",
        { id: "public-answer", "data-anchored": "false" },
        note(),
        local === undefined ? null : localBlock(local),
        h(
          "section",
          { class: "panel" },
          h("p", {}, t("public.notFound")),
          gateway.isMember ? null : h("p", {}, t("signin.stranger")),
        ),
      ),
    );
    return;
  }
  const context = await loadContext(gateway, answer.report);
  const view: ReportViewInput = { report: answer.report, signature: undefined, coverage: "public", context };
  if (local !== undefined) view.local = local;
  const found = () =>
    h(
      "p",
      { class: "panel" },
      t("public.found", {
        jurisdiction: answer.jurisdiction ?? "—",
        anchoredAt: answer.anchoredAt === undefined ? "—" : formatTime(answer.anchoredAt),
      }),
    );
  show(() =>
    h("div", { id: "public-answer", "data-anchored": "true" }, note(), found(), renderReport(view, actionsFor(view))),
  );
}

/** A single file (or several) without a manifest: explained, with its SHA-256, not silently failed. */
async function explainLooseFiles(files: GivenFile[]): Promise<void> {
  const hashes: { path: string; sha256: string; size: number }[] = [];
  const total = files.reduce((n, f) => n + f.file.size, 0);
  let before = 0;
  for (const f of files) {
    const sha256 = await sha256OfFile(
      f.file,
      (n) =>
        progress(
          t("progress.hashing", { file: f.path, done: formatBytes(before + n), total: formatBytes(total) }),
          before + n,
          total,
        ),
      abort?.signal,
    );
    before += f.file.size;
    hashes.push({ path: f.path, sha256, size: f.file.size });
  }
  show(() =>
    h(
      "section",
      { class: "panel notice", id: "lone-file", role: "note" },
      h("h2", {}, t("intake.loneFile.title")),
      h("p", {}, t("intake.loneFile")),
      h(
        "ul",
        {},
        hashes.map((x) => h("li", { class: "mono" }, `${x.path}: `, t("intake.loneFileHashes", { sha256: x.sha256 }))),
      ),
    ),
  );
}

async function runCheck(): Promise<void> {
  byId("check-error").textContent = "";
  const hashText = byId<HTMLInputElement>("content-hash").value.trim();
  const cid = byId<HTMLInputElement>("package-cid").value.trim();
  const o = options();
  if (intake?.problems.length) {
    const p = intake.problems[0]!;
    throw new Error(t(`intake.${p.code}` as MessageKey, { name: p.name }));
  }
  if (cid !== "") {
    if (!gateway.isMember) throw new Error(t("intake.needMember"));
    status(t("progress.asking"));
    return signedReportView(await gateway.verifyByPackageCid(cid, o), "package");
  }
  if (intake?.manifest !== undefined) {
    const m = intake.manifest;
    const local = await checkLocally(
      intake,
      (done, total, file) =>
        progress(t("progress.hashing", { file, done: formatBytes(done), total: formatBytes(total) }), done, total),
      abort?.signal,
    );
    progressDone();
    const chosen = mode();
    if (!gateway.isMember) return publicAnswer(local.contentHash, local, chosen !== "hash");
    status(t("progress.asking"));
    if (chosen === "hash") return signedReportView(await gateway.verifyByHash(local.contentHash, o), "hash", local);
    const files = chosen === "upload" ? filesForUpload(local) : [];
    const answer = await gateway.upload(
      m.bytes,
      files,
      o,
      (sent, total) =>
        progress(t("progress.uploading", { done: formatBytes(sent), total: formatBytes(total) }), sent, total),
      abort?.signal,
    );
    progressDone();
    return signedReportView(answer, chosen, local);
  }
  if (intake?.encryptedPackage === true) {
    show(() => h("section", { class: "panel notice", role: "note" }, h("p", {}, t("intake.encrypted"))));
    return;
  }
  if (intake !== undefined && intake.files.length > 0) return explainLooseFiles(intake.files);
  if (intake?.reportJws !== undefined) return verifyDroppedReport(intake.reportJws.jws);
  if (hashText !== "") {
    if (!HASH.test(hashText)) throw new Error(t("check.invalidHash"));
    const contentHash = hashText.toLowerCase();
    if (!gateway.isMember) return publicAnswer(contentHash);
    status(t("progress.asking"));
    return signedReportView(await gateway.verifyByHash(contentHash, o), "hashOnly");
  }
  throw new Error(t("check.nothing"));
}

function setUpCheck(): void {
  byId("check-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    abort = new AbortController();
    byId("check-cancel").hidden = false;
    byId<HTMLButtonElement>("check-submit").disabled = true;
    void runCheck()
      .catch((err: unknown) => showError("check-error", err))
      .finally(() => {
        progressDone();
        status("");
        byId("check-cancel").hidden = true;
        byId<HTMLButtonElement>("check-submit").disabled = false;
      });
  });
  byId("check-cancel").addEventListener("click", () => abort?.abort());
  byId("check-clear").addEventListener("click", () => {
    given = [];
    intake = undefined;
    shown = undefined;
    byId<HTMLFormElement>("check-form").reset();
    replace(byId("results"));
    renderGiven();
    byId("check-error").textContent = "";
  });
}

function setUpVerify(): void {
  byId("verify-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const file = byId<HTMLInputElement>("verify-file").files?.[0];
    const pasted = byId<HTMLTextAreaElement>("verify-paste").value;
    void (file !== undefined ? file.text() : Promise.resolve(pasted)).then((jws) => verifyDroppedReport(jws));
  });
}

function setUpLicence(): void {
  byId("licence-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const out = byId("licence-result");
    const id = byId<HTMLInputElement>("licence-id").value.trim();
    const right = byId<HTMLSelectElement>("licence-right").value;
    const territory = byId<HTMLInputElement>("licence-territory").value.trim().toUpperCase();
    void gateway
      .licenceAuthorization(id, right, territory)
      .then((a) =>
        replace(
          out,
          h(
            "p",
            { "data-authorized": String(a.authorized), "data-territory": territory },
            a.authorized
              ? t("licence.authorized", { summary: a.summary })
              : t("licence.notAuthorized", { reason: a.reason, summary: a.summary }),
          ),
          h(
            "ol",
            {},
            a.chain.map((l) =>
              h(
                "li",
                { class: "mono" },
                t("report.licenceLink", {
                  licenceId: l.licence.licenceId,
                  verdict: t(l.valid ? "report.PASSED" : "report.FAILED"),
                  explanation: l.explanation,
                }),
              ),
            ),
          ),
        ),
      )
      .catch((err: unknown) => {
        replace(
          out,
          h(
            "p",
            { class: "error", role: "alert" },
            err instanceof GatewayError
              ? t("error.gateway", {
                  status: err.status,
                  code: err.code === undefined ? "" : `, ${err.code}`,
                  detail: err.message,
                })
              : String(err),
          ),
        );
      });
  });
}

// Printing: the report's folded sections are opened for paper, and folded again after.
window.addEventListener("beforeprint", () => {
  for (const d of document.querySelectorAll<HTMLDetailsElement>("#report details:not([open])")) {
    d.dataset.printOpened = "1";
    d.open = true;
  }
});
window.addEventListener("afterprint", () => {
  for (const d of document.querySelectorAll<HTMLDetailsElement>("#report details[data-print-opened]")) {
    d.open = false;
    delete d.dataset.printOpened;
  }
});

setUpLanguage();
setUpSignIn();
setUpIntake();
setUpCheck();
setUpVerify();
setUpLicence();
document.documentElement.dataset.ready = language();
