/**
 * Message catalogues and the language in use. Adding a language: a catalogue typed `Catalogue` (every key
 * translated, checked by the compiler) and an entry in {@link LANGUAGES}; the layout uses logical CSS properties and
 * `dir`, so right-to-left languages need no other change.
 */
import { en, type MessageKey } from "./messages/en";
import { zhCN } from "./messages/zh-CN";

export type { MessageKey };

export const LANGUAGES = {
  en: { name: "English", dir: "ltr", messages: en as Record<MessageKey, string> },
  "zh-CN": { name: "简体中文", dir: "ltr", messages: zhCN },
} as const;
export type Language = keyof typeof LANGUAGES;

const STORAGE_KEY = "crossproof.language";
let current: Language = "en";

/** The language asked for (the page's ?lang=, else the one chosen before, else the browser's), else English. */
export function initialLanguage(): Language {
  const asked = [
    new URLSearchParams(location.search).get("lang"),
    localStorage.getItem(STORAGE_KEY),
    ...navigator.languages,
  ];
  for (const a of asked) {
    if (a === null || a === undefined) continue;
    if (a in LANGUAGES) return a as Language;
    if (/^zh(-Hans|-CN|-SG)?/i.test(a)) return "zh-CN";
    if (/^en\b/i.test(a)) return "en";
  }
  return "en";
}

export function setLanguage(lang: Language): void {
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = LANGUAGES[lang].dir;
}

export function language(): Language {
  return current;
}

/** The message in the current language, `{name}` replaced by `params.name`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = LANGUAGES[current].messages[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Whether a key exists (sub-codes and names read from a report). */
export function has(key: string): key is MessageKey {
  return key in en;
}

/** A date-time in the current language, with the UTC time as signed. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${new Intl.DateTimeFormat(current, { dateStyle: "long", timeStyle: "medium", timeZone: "UTC" }).format(d)} UTC`;
}

export function formatBytes(n: number): string {
  return new Intl.NumberFormat(current).format(n);
}

/** Fills every element with `data-i18n` (its text) and `data-i18n-attr` (`attr:key` pairs, for labels). */
export function translateStatic(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const key = el.dataset.i18n!;
    if (has(key)) el.textContent = t(key);
  }
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr!.split(",")) {
      const [attr, key] = pair.split(":") as [string, string];
      if (has(key)) el.setAttribute(attr, t(key));
    }
  }
}
