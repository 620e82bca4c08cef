// Cells and forms shared by the repository, pull request and run pages: a latest result, a filter form, a button form.
import { html } from "hono/html";
import type { LatestResult, ResultSlot } from "../../db/queries/dashboard-pages.ts";
import { badge, changes, time } from "./format.ts";
import type { Html } from "./layout.ts";

/** The label of a dirspace result's state, saying "drift" for a drift run that found changes. */
function resultLabel(result: LatestResult): string {
  if (result.slot === "drift" && result.state === "success")
    return result.hasChanges ? "drifted" : "no drift";
  if (result.state === "success" && result.slot === "plan")
    return result.hasChanges ? "changes" : "no changes";
  return result.state;
}

/** One latest result: state, change counts, when, and links to its run and PR. */
export function resultCell(base: string, result: LatestResult | undefined, timeZone: string): Html | string {
  if (!result) return html`<span class="muted">—</span>`;
  const state =
    result.slot === "drift" && result.hasChanges && result.state === "success" ? "failure" : result.state;
  return html`<a href="${base}/runs/${result.manifestId}">${badge(state, resultLabel(result))}</a> ${changes(result.summary)}
<div class="muted small">${time(result.createdAt, timeZone)}${
    result.pullRequest !== null && result.pullRequestId !== null
      ? html` · <a href="${base}/pulls/${result.pullRequestId}">#${result.pullRequest}</a>`
      : ""
  }</div>`;
}

export const slotLabels: Record<ResultSlot, string> = {
  plan: "Latest plan",
  apply: "Latest apply",
  drift: "Drift",
};

/** A GET form filtering a listing: tag query `q`, sort `d`, and any fixed fields kept. */
export function filterForm(
  current: URL,
  options: { q?: boolean; extra?: Html; placeholder?: string } = {},
): Html {
  const q = current.searchParams.get("q") ?? "";
  const d = current.searchParams.get("d") === "asc" ? "asc" : "desc";
  return html`<form class="filters" method="get" action="${current.pathname}" role="search">
${options.q === false ? "" : html`<label>Tag query <input name="q" value="${q}" placeholder="${options.placeholder ?? "dir:infra/prod and workspace:default"}"></label>`}
${options.extra ?? ""}
<label>Order <select name="d"><option value="desc"${d === "desc" ? " selected" : ""}>Newest first</option><option value="asc"${d === "asc" ? " selected" : ""}>Oldest first</option></select></label>
<button type="submit">Filter</button></form>`;
}

/** A POST form with one button and the CSRF token (and hidden fields). */
export function actionForm(input: {
  action: string;
  label: string;
  csrfToken: string | undefined;
  fields?: Record<string, string>;
  confirm?: string;
  className?: string;
  extra?: Html;
}): Html {
  return html`<form class="inline action" method="post" action="${input.action}"${input.confirm ? html` data-confirm="${input.confirm}"` : ""}>
<input type="hidden" name="_csrf" value="${input.csrfToken ?? ""}">
${Object.entries(input.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
${input.extra ?? ""}<button type="submit" class="${input.className ?? ""}">${input.label}</button></form>`;
}
