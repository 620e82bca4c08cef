// The body of a PR page: its Plan and Apply buttons, the latest dashboard presses, dirspaces with locks, and runs.
import { html } from "hono/html";
import type {
  DashboardActionRow,
  DashboardPullRequest,
  DirspaceStatus,
  RunRow,
} from "../../db/queries/dashboard-pages.ts";
import type { LayerDirspace, PullRequestLayers } from "../../db/queries/pull-request-layers.ts";
import type { VcsWords } from "../../vcs/platform.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { DashboardInstallation } from "../guards.ts";
import { badge, dirspaceLabel, shortSha, time } from "./format.ts";
import type { Html } from "./layout.ts";
import { actionForm, resultCell } from "./results.ts";
import { runsTable } from "./runs-table.ts";

/** What came of a press, in the platform's words (`short`: PR or MR). */
function outcomeWords(short: string): Record<string, string> {
  return {
    started: "run started",
    refused: `refused — the ${short} comment says why`,
    unlocked: "unlocked",
    nothing_matched: "nothing matched",
    config_error: `config error — see the ${short} comment`,
  };
}

export interface PullRequestView {
  installation: DashboardInstallation;
  pull: DashboardPullRequest;
  dirspaces: DirspaceStatus[];
  runs: { items: RunRow[] };
  held: { dir: string; workspace: string; acquiredAt: Date }[];
  /** The stack layers the latest run recorded (null or none: no stacks ordered this PR). */
  layers: PullRequestLayers | null;
  actions: DashboardActionRow[];
  timeZone: string;
  csrfToken: string | undefined;
  /** The command just pressed (`?queued=plan`), to say what happens next. */
  queued: string | undefined;
  pager: Html | string;
}

function actionButtons(view: PullRequestView, words: VcsWords): Html | string {
  if (view.pull.state !== "open") return "";
  const base = `${view.installation.base}/pulls/${view.pull.id}`;
  const queryField = html`<label class="grow">Tag query <input name="q" placeholder="all changed dirspaces"></label>`;
  return html`<section class="actions" aria-label="Actions">
${actionForm({ action: `${base}/plan`, label: "Plan", csrfToken: view.csrfToken, className: "primary", extra: queryField })}
${actionForm({
  action: `${base}/apply`,
  label: "Apply",
  csrfToken: view.csrfToken,
  className: "danger",
  confirm: `Apply the plans of ${words.reference(view.pull.number)}?`,
  extra: queryField,
})}
</section>`;
}

function recentActions(view: PullRequestView, words: VcsWords): Html | string {
  if (view.actions.length === 0) return "";
  const outcomes = outcomeWords(words.changeRequestShort);
  return html`<h2>Dashboard actions</h2><ul class="list">${view.actions.map((entry) => {
    const target = entry.target;
    const manifestId = target["work_manifest_id"];
    const what =
      entry.action === "dashboard.outcome"
        ? html`${String(target["command"])}: ${outcomes[String(target["outcome"])] ?? String(target["outcome"])}${
            typeof manifestId === "string"
              ? html` · <a href="${view.installation.base}/runs/${manifestId}">run</a>`
              : ""
          }`
        : html`${entry.action.slice("dashboard.".length)} pressed by ${entry.actor}`;
    return html`<li>${what} <span class="muted small">${time(entry.createdAt, view.timeZone)}</span></li>`;
  })}</ul>`;
}

function dirspacesTable(view: PullRequestView, words: VcsWords): Html {
  const { installation, timeZone } = view;
  if (view.dirspaces.length === 0) {
    return html`<p class="muted">Nothing has run for this ${words.changeRequest} yet.</p>`;
  }
  return html`<div class="scroll"><table><thead><tr><th>Dirspace</th><th>Latest plan</th><th>Latest apply</th><th class="hide-s">Lock</th></tr></thead><tbody>
${view.dirspaces.map((dirspace) => {
  const lock = view.held.find(
    (candidate) => candidate.dir === dirspace.dir && candidate.workspace === dirspace.workspace,
  );
  return html`<tr><td>${dirspaceLabel(dirspace.dir, dirspace.workspace)}</td><td>${resultCell(installation.base, dirspace.latest.plan, timeZone)}</td><td>${resultCell(installation.base, dirspace.latest.apply, timeZone)}</td><td class="hide-s">${lock ? html`🔒 ${time(lock.acquiredAt, timeZone)}` : "—"}</td></tr>`;
})}</tbody></table></div>`;
}

/** Dirspaces shown per layer before "and N more": the list stays short on a PR touching hundreds. */
const shownPerLayer = 10;

const layerStateWords: Record<string, { badge: string; label: string }> = {
  applied: { badge: "success", label: "applied" },
  current: { badge: "running", label: "current" },
  waiting: { badge: "queued", label: "waiting" },
  planned: { badge: "running", label: "planned" },
  unplanned: { badge: "queued", label: "not planned" },
};

function layerDirspace(entry: LayerDirspace, waiting: boolean): Html {
  const word = layerStateWords[waiting && entry.state !== "applied" ? "waiting" : entry.state]!;
  const why = entry.reasons.length > 0 ? entry.reasons.join("; ") : "its own files changed";
  return html`<li>${dirspaceLabel(entry.dir, entry.workspace)} ${badge(word.badge, word.label)}
<div class="muted small">${why}${
    entry.plannedBefore.length > 0
      ? html` · planned before ${entry.plannedBefore.map((ref, index) => html`${index > 0 ? ", " : ""}<code>${ref.dir}</code> (${ref.workspace})`)} ${entry.plannedBefore.length === 1 ? "was" : "were"} applied: plan it again after that apply`
      : ""
  }</div></li>`;
}

/** The stack layers in apply order, each dirspace with its state at the head and why it is in the PR. */
function layersSection(view: PullRequestView): Html | string {
  const recorded = view.layers;
  if (!recorded || recorded.layers.length === 0) return "";
  return html`<h2>Stack layers</h2>
<p class="muted small">Each layer is applied before the next is planned · as <a href="${view.installation.base}/runs/${recorded.manifestId}">the latest run</a> recorded them ${time(recorded.recordedAt, view.timeZone)}</p>
<ol class="layers">${recorded.layers.map((layer) => {
    const word = layerStateWords[layer.state]!;
    const shown = layer.dirspaces.slice(0, shownPerLayer);
    const more = layer.dirspaces.length - shown.length;
    return html`<li>Layer ${layer.index + 1} ${badge(word.badge, word.label)}<ul class="list">${shown.map(
      (entry) => layerDirspace(entry, layer.state === "waiting"),
    )}${more > 0 ? html`<li class="muted">and ${more} more</li>` : ""}</ul></li>`;
  })}</ol>`;
}

function locksLine(view: PullRequestView, words: VcsWords): Html | string {
  const count = view.held.length;
  if (count === 0) return "";
  return html`<p>${count} dirspace${count === 1 ? " is" : "s are"} locked by this ${words.changeRequest}. ${actionForm(
    {
      action: `${view.installation.base}/locks/unlock`,
      label: "Unlock",
      csrfToken: view.csrfToken,
      fields: { pull_request_id: String(view.pull.id) },
      confirm: `Release the locks of ${words.reference(view.pull.number)}?`,
    },
  )}</p>`;
}

export function pullRequestBody(view: PullRequestView): Html {
  const { pull, queued } = view;
  const words = platformFor(view.installation.vcs).words;
  return html`<h1>${words.reference(pull.number)} ${pull.title || "(no title)"}</h1>
<p class="muted">${pull.repository.fullName} · ${badge(pull.state)}${pull.draft ? " · draft" : ""} · by ${pull.author} · <code>${pull.headBranch}</code> → <code>${pull.baseBranch}</code> at <code>${shortSha(pull.headSha)}</code></p>
${queued ? html`<p class="notice" role="status">${queued} requested: Terragate evaluates it as if you had commented <code>terragate ${queued}</code>; the ${words.changeRequest} says what happened.</p>` : ""}
${actionButtons(view, words)}
${recentActions(view, words)}
<h2>Dirspaces</h2>
${dirspacesTable(view, words)}
${locksLine(view, words)}
${layersSection(view)}
<h2>Runs</h2>
${runsTable(view.installation, view.runs.items, view.timeZone, false)}
${view.pager}`;
}
