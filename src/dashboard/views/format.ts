// Small view helpers: times in the viewer's zone, short shas, state badges, change counts, pagination links.
import { html, raw } from "hono/html";
import type { Html } from "./layout.ts";

/** The time zone to show times in: `tz` in the URL, else the browser's (cookie), else UTC; invalid names fall back. */
export function pickTimeZone(...candidates: Array<string | undefined>): string {
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      new Intl.DateTimeFormat("en", { timeZone: candidate });
      return candidate;
    } catch {
      // not a zone name
    }
  }
  return "UTC";
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Rendered times by zone and instant: a PR page shows the same few instants dozens of times (every dirspace of one run). */
const rendered = new Map<string, Html>();

/** `2026-01-31 13:05:09` in the zone, inside <time> carrying the exact instant. */
export function time(date: Date | null, timeZone: string): Html | string {
  if (date === null) return "—";
  const key = `${timeZone} ${date.getTime()}`;
  const cached = rendered.get(key);
  if (cached) return cached;
  if (rendered.size >= 5000) rendered.clear();
  const result = raw(formatTime(date, timeZone).toString()) as unknown as Html;
  rendered.set(key, result);
  return result;
}

function formatTime(date: Date, timeZone: string): Html {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("sv-SE", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    if (formatters.size > 100) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return html`<time datetime="${date.toISOString()}" title="${date.toISOString()}">${formatter.format(date)}</time>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function badge(state: string, label = state): Html {
  return html`<span class="badge s-${state}">${label}</span>`;
}

export interface Summary {
  add: number;
  change: number;
  destroy: number;
}

export function changes(summary: Summary | null | undefined): Html | string {
  if (!summary) return "—";
  return html`<span class="changes mono" title="${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy"><span class="a">+${summary.add}</span> <span class="c">~${summary.change}</span> <span class="d">-${summary.destroy}</span></span>`;
}

export function dirspaceLabel(dir: string, workspace: string): Html {
  return html`<code>${dir}</code> <span class="muted">(${workspace})</span>`;
}

/** A link to the next page, keeping the other query parameters. */
export function pager(current: URL, nextPage: string | null): Html | string {
  const links: Html[] = [];
  if (current.searchParams.has("next_page")) {
    const first = new URL(current);
    first.searchParams.delete("next_page");
    links.push(html`<a class="button" href="${first.pathname}${first.search}">First page</a>`);
  }
  if (nextPage) {
    const next = new URL(current);
    next.searchParams.set("next_page", nextPage);
    links.push(html`<a class="button" href="${next.pathname}${next.search}" rel="next">Next page</a>`);
  }
  return links.length > 0 ? html`<nav class="pager" aria-label="Pages">${links}</nav>` : "";
}
