// A table of runs: kind, state, where, who, when and how long, each linking to its run page.
import { html } from "hono/html";
import type { WorkManifestKind, WorkManifestState } from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { DashboardInstallation } from "../guards.ts";
import { badge, duration, shortSha, time } from "./format.ts";
import type { Html } from "./layout.ts";

export interface RunListRow {
  id: string;
  kind: WorkManifestKind;
  state: WorkManifestState;
  requestedBy: string;
  createdAt: Date;
  completedAt: Date | null;
  headSha: string;
  runUrl: string | null;
  repo?: string;
  pullRequest?: number | null;
  dirspaces?: number;
  failed?: number;
}

export function runsTable(
  installation: DashboardInstallation,
  runs: readonly RunListRow[],
  timeZone: string,
  withRepo: boolean,
): Html {
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Run</th><th>State</th>${withRepo ? html`<th>Where</th>` : ""}<th class="hide-s">By</th><th class="hide-s">Started</th><th class="hide-s">Took</th></tr></thead><tbody>
${runs.map(
  (
    run,
  ) => html`<tr><td><a href="${installation.base}/runs/${run.id}">${run.kind}</a> <code class="muted">${shortSha(run.headSha)}</code>${
    run.dirspaces === undefined
      ? ""
      : html`<div class="muted small">${run.dirspaces} dirspace${run.dirspaces === 1 ? "" : "s"}${run.failed ? html`, ${run.failed} failed` : ""}</div>`
  }</td><td>${badge(run.state)}</td>${withRepo ? html`<td>${run.repo}${run.pullRequest ? html` ${platformFor(installation.vcs).words.reference(run.pullRequest)}` : html` <span class="muted">(no ${platformFor(installation.vcs).words.changeRequestShort})</span>`}</td>` : ""}
<td class="hide-s">${run.requestedBy}</td><td class="hide-s">${time(run.createdAt, timeZone)}</td><td class="hide-s">${run.completedAt ? duration(run.completedAt.getTime() - run.createdAt.getTime()) : "—"}</td></tr>`,
)}</tbody></table></div>`;
}
