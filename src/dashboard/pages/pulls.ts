// Pull requests: the list, one PR's dirspaces, locks and runs, and its Plan and Apply buttons (run as the signed-in person).
import { Hono } from "hono";
import { html } from "hono/html";
import {
  getPullRequest,
  listPullRequestRuns,
  pullRequestDirspaces,
  pullRequestLocks,
  recentDashboardActions,
} from "../../db/queries/dashboard-pages.ts";
import { listPullRequests } from "../../db/queries/installation-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { type PullRequestState, pullRequestStates } from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import { queueDashboardAction } from "../actions.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireCsrf, requireInstallation } from "../guards.ts";
import { listQuery } from "../list-query.ts";
import { badge, dirspaceLabel, pager, shortSha, time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import { actionForm, filterForm, resultCell } from "../views/results.ts";
import { runsTable } from "./runs.ts";

const outcomeWords: Record<string, string> = {
  started: "run started",
  refused: "refused — the PR comment says why",
  unlocked: "unlocked",
  nothing_matched: "nothing matched",
  config_error: "config error — see the PR comment",
};

export function pullRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  app.get("/i/:vcs/:installation/pulls", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 2);
    const stateParam = c.req.query("state") ?? "open";
    const state = (pullRequestStates as readonly string[]).includes(stateParam)
      ? (stateParam as PullRequestState)
      : undefined;
    const repo = c.req.query("repo") || undefined;
    const result = await withTenant(deps.database, installation.id, (tx) =>
      listPullRequests(tx, installation.id, {
        limit: 25,
        direction: query.direction,
        after: query.after,
        ...(state ? { state } : {}),
        ...(repo ? { repo } : {}),
      }),
    );
    const tz = c.get("view").timeZone;
    const words = platformFor(installation.vcs).words;
    const stateSelect = html`<label>State <select name="state">${["open", "merged", "closed", "all"].map(
      (value) =>
        html`<option value="${value}"${value === (state ?? "all") ? " selected" : ""}>${value}</option>`,
    )}</select></label>${repo ? html`<input type="hidden" name="repo" value="${repo}">` : ""}`;
    const body = html`<h1>${words.changeRequest[0]!.toUpperCase()}${words.changeRequest.slice(1)}s</h1>
${filterForm(new URL(c.req.url), { q: false, extra: stateSelect })}
${
  result.items.length === 0
    ? html`<p class="notice">No ${words.changeRequest}s here yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th>${words.changeRequestShort}</th><th>Repository</th><th>State</th><th class="hide-s">Author</th><th class="hide-s">Opened</th></tr></thead><tbody>
${result.items.map(
  (
    pull,
  ) => html`<tr><td><a href="${installation.base}/pulls/${pull.id}">${words.reference(pull.number)} ${pull.title || "(no title)"}</a></td>
<td>${pull.repo}</td><td>${badge(pull.state)}${pull.draft ? html` <span class="muted">draft</span>` : ""}</td><td class="hide-s">${pull.author}</td><td class="hide-s">${time(pull.createdAt, tz)}</td></tr>`,
)}</tbody></table></div>`
}
${pager(new URL(c.req.url), result.nextPage)}`;
    return c.html(
      installationPage(c, installation, { section: "pulls", title: `${words.changeRequest}s`, body }),
    );
  });

  app.get("/i/:vcs/:installation/pulls/:id{[0-9]+}", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 2);
    const id = Number(c.req.param("id"));
    const found = await withTenant(deps.database, installation.id, async (tx) => {
      const pull = await getPullRequest(tx, installation.id, id);
      if (!pull) return undefined;
      const [dirspaces, runs, held, actions] = await Promise.all([
        pullRequestDirspaces(tx, installation.id, pull.id),
        listPullRequestRuns(tx, installation.id, pull.id, {
          limit: 20,
          direction: query.direction,
          after: query.after,
        }),
        pullRequestLocks(tx, installation.id, pull.id),
        recentDashboardActions(tx, installation.id, pull.repository.fullName, pull.number),
      ]);
      return { pull, dirspaces, runs, held, actions };
    });
    if (!found) notFoundPage(c, "This pull request");
    const { pull, dirspaces, runs, held, actions } = found;
    const tz = c.get("view").timeZone;
    const words = platformFor(installation.vcs).words;
    const base = `${installation.base}/pulls/${pull.id}`;
    const csrfToken = c.get("view").csrfToken;
    const queued = c.req.query("queued");
    const queryField = html`<label class="grow">Tag query <input name="q" placeholder="all changed dirspaces"></label>`;
    const body = html`<h1>${words.reference(pull.number)} ${pull.title || "(no title)"}</h1>
<p class="muted">${pull.repository.fullName} · ${badge(pull.state)}${pull.draft ? " · draft" : ""} · by ${pull.author} · <code>${pull.headBranch}</code> → <code>${pull.baseBranch}</code> at <code>${shortSha(pull.headSha)}</code></p>
${queued ? html`<p class="notice" role="status">${queued} requested: Terragate evaluates it as if you had commented <code>terragate ${queued}</code>; the ${words.changeRequest} says what happened.</p>` : ""}
${
  pull.state === "open"
    ? html`<section class="actions" aria-label="Actions">
${actionForm({ action: `${base}/plan`, label: "Plan", csrfToken, className: "primary", extra: queryField })}
${actionForm({ action: `${base}/apply`, label: "Apply", csrfToken, className: "danger", confirm: `Apply the plans of ${words.reference(pull.number)}?`, extra: queryField })}
</section>`
    : ""
}
${
  actions.length > 0
    ? html`<h2>Dashboard actions</h2><ul class="list">${actions.map((entry) => {
        const target = entry.target;
        const what =
          entry.action === "dashboard.outcome"
            ? html`${String(target["command"])}: ${outcomeWords[String(target["outcome"])] ?? String(target["outcome"])}${
                typeof target["work_manifest_id"] === "string"
                  ? html` · <a href="${installation.base}/runs/${target["work_manifest_id"]}">run</a>`
                  : ""
              }`
            : html`${entry.action.slice("dashboard.".length)} pressed by ${entry.actor}`;
        return html`<li>${what} <span class="muted small">${time(entry.createdAt, tz)}</span></li>`;
      })}</ul>`
    : ""
}
<h2>Dirspaces</h2>
${
  dirspaces.length === 0
    ? html`<p class="muted">Nothing has run for this ${words.changeRequest} yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Dirspace</th><th>Latest plan</th><th>Latest apply</th><th class="hide-s">Lock</th></tr></thead><tbody>
${dirspaces.map((dirspace) => {
  const lock = held.find(
    (candidate) => candidate.dir === dirspace.dir && candidate.workspace === dirspace.workspace,
  );
  return html`<tr><td>${dirspaceLabel(dirspace.dir, dirspace.workspace)}</td><td>${resultCell(installation.base, dirspace.latest.plan, tz)}</td><td>${resultCell(installation.base, dirspace.latest.apply, tz)}</td><td class="hide-s">${lock ? html`🔒 ${time(lock.acquiredAt, tz)}` : "—"}</td></tr>`;
})}</tbody></table></div>`
}
${
  held.length > 0
    ? html`<p>${held.length} dirspace${held.length === 1 ? " is" : "s are"} locked by this ${words.changeRequest}. ${actionForm(
        {
          action: `${installation.base}/locks/unlock`,
          label: "Unlock",
          csrfToken,
          fields: { pull_request_id: String(pull.id) },
          confirm: `Release the locks of ${words.reference(pull.number)}?`,
        },
      )}</p>`
    : ""
}
<h2>Runs</h2>
${runsTable(installation, runs.items, tz, false)}
${pager(new URL(c.req.url), runs.nextPage)}`;
    return c.html(
      installationPage(c, installation, {
        section: "pulls",
        title: `${words.reference(pull.number)} ${pull.title}`,
        crumbs: [
          { label: pull.repository.fullName, href: `${installation.base}/repos/${pull.repository.fullName}` },
          { label: words.reference(pull.number) },
        ],
        body,
      }),
    );
  });

  app.post("/i/:vcs/:installation/pulls/:id{[0-9]+}/:action{plan|apply}", async (c) => {
    const installation = await requireInstallation(c, services);
    const form = await c.req.parseBody();
    const session = await requireCsrf(
      c,
      services,
      typeof form["_csrf"] === "string" ? form["_csrf"] : undefined,
    );
    const argument = typeof form["q"] === "string" ? form["q"].trim().slice(0, 1000) : "";
    const kind = c.req.param("action") as "plan" | "apply";
    const pull = await withTenant(deps.database, installation.id, (tx) =>
      getPullRequest(tx, installation.id, Number(c.req.param("id"))),
    );
    if (!pull) notFoundPage(c, "This pull request");
    await queueDashboardAction(services, {
      installation,
      repository: pull.repository,
      prNumber: pull.number,
      kind,
      argument,
      session,
    });
    return c.redirect(`${installation.base}/pulls/${pull.id}?queued=${kind}`, 303);
  });

  return app;
}
