// Pull requests: the list, one PR's dirspaces, locks and runs, and its Plan and Apply buttons (run as the signed-in person).
import { Hono } from "hono";
import { html } from "hono/html";
import {
  getPullRequest,
  listPullRequestRuns,
  pullRequestDirspaces,
  pullRequestLocks,
  pullRequestVersion,
  recentDashboardActions,
} from "../../db/queries/dashboard-pages.ts";
import { listPullRequests } from "../../db/queries/installation-resources.ts";
import { layersFromNotes, recentRunNotes } from "../../db/queries/pull-request-layers.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { type PullRequestState, pullRequestStates } from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import { queueDashboardAction } from "../actions.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireCsrf, requireInstallation } from "../guards.ts";
import { listQuery } from "../list-query.ts";
import { badge, pager, time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import { pullRequestBody } from "../views/pull-request.ts";
import { filterForm } from "../views/results.ts";

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
      // Two batches: what is read by the PR's id goes with the PR itself (another installation's
      // PR, or none, finds nothing and the page is a 404); what needs its name or head goes next.
      const [pull, dirspaces, runs, held, notes] = await Promise.all([
        getPullRequest(tx, installation.id, id),
        pullRequestDirspaces(tx, installation.id, id),
        listPullRequestRuns(tx, installation.id, id, {
          limit: 20,
          direction: query.direction,
          after: query.after,
        }),
        pullRequestLocks(tx, installation.id, id),
        recentRunNotes(tx, id),
      ]);
      if (!pull) return undefined;
      const [actions, version, layers] = await Promise.all([
        recentDashboardActions(tx, installation.id, pull.repository.fullName, pull.number),
        pullRequestVersion(tx, installation.id, pull),
        layersFromNotes(tx, pull, notes),
      ]);
      return { pull, dirspaces, runs, held, actions, version, layers };
    });
    if (!found) notFoundPage(c, "This pull request");
    const stateUrl = `${installation.base}/pulls/${found.pull.id}/state`;
    return c.html(
      installationPage(c, installation, {
        section: "pulls",
        title: `${platformFor(installation.vcs).words.reference(found.pull.number)} ${found.pull.title}`,
        crumbs: [
          {
            label: found.pull.repository.fullName,
            href: `${installation.base}/repos/${found.pull.repository.fullName}`,
          },
          { label: platformFor(installation.vcs).words.reference(found.pull.number) },
        ],
        body: pullRequestBody({
          installation,
          ...found,
          timeZone: c.get("view").timeZone,
          csrfToken: c.get("view").csrfToken,
          queued: c.req.query("queued"),
          pager: pager(new URL(c.req.url), found.runs.nextPage),
        }),
        ...(found.version.live ? { live: { stateUrl, version: found.version.version } } : {}),
      }),
    );
  });

  /** What an open PR page polls while a run or a press is under way. */
  app.get("/i/:vcs/:installation/pulls/:id{[0-9]+}/state", async (c) => {
    const installation = await requireInstallation(c, services);
    const version = await withTenant(deps.database, installation.id, async (tx) => {
      const pull = await getPullRequest(tx, installation.id, Number(c.req.param("id")));
      return pull ? pullRequestVersion(tx, installation.id, pull) : undefined;
    });
    if (!version) return c.json({ error: { code: "not_found", message: "no such pull request" } }, 404);
    return c.json(version);
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
