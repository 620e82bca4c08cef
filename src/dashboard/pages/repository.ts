// `/i/{vcs}/{installation}/repos/{owner}/{name}`: the repository's dirspaces with their latest plan, apply and drift, and its open PRs.
import { Hono } from "hono";
import { html } from "hono/html";
import {
  defaultBranchDirspaces,
  getRepositoryByName,
  repositoryDirspaces,
} from "../../db/queries/dashboard-pages.ts";
import { listPullRequests } from "../../db/queries/installation-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { evaluateTagQuery } from "../../domain/tag-query.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireInstallation } from "../guards.ts";
import { dirspaceTags, tagQueryParam } from "../list-query.ts";
import { dirspaceLabel, time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import { filterForm, resultCell, slotLabels } from "../views/results.ts";

export function repositoryRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  app.get("/i/:vcs/:installation/repos/:fullName{.+}", async (c) => {
    const installation = await requireInstallation(c, services);
    const filter = tagQueryParam(c);
    const fullName = c.req.param("fullName");
    const found = await withTenant(deps.database, installation.id, async (tx) => {
      const repository = await getRepositoryByName(tx, installation.id, fullName);
      if (!repository) return undefined;
      const [snapshot, pulls] = await Promise.all([
        defaultBranchDirspaces(tx, installation.id, repository.id),
        listPullRequests(tx, installation.id, {
          limit: 50,
          direction: "desc",
          repo: repository.fullName,
          state: "open",
        }),
      ]);
      const dirspaces = await repositoryDirspaces(tx, installation.id, repository.id, snapshot);
      return { repository, dirspaces, pulls };
    });
    if (!found) notFoundPage(c, "This repository");
    const { repository, pulls } = found;
    const dirspaces = filter.query
      ? found.dirspaces.filter((dirspace) => evaluateTagQuery(filter.query!, dirspaceTags(dirspace)))
      : found.dirspaces;
    const tz = c.get("view").timeZone;
    const words = platformFor(installation.vcs).words;
    const hasDrift = found.dirspaces.some((dirspace) => dirspace.latest.drift !== undefined);
    const slots = hasDrift ? (["plan", "apply", "drift"] as const) : (["plan", "apply"] as const);
    const body = html`<h1>${repository.fullName}</h1>
<p class="muted">Default branch <code>${repository.defaultBranch}</code>${repository.archived ? " · archived" : ""} · <a href="${installation.base}/runs?repo=${encodeURIComponent(repository.fullName)}">Runs</a> · <a href="${installation.base}/locks?repo=${encodeURIComponent(repository.fullName)}">Locks</a></p>
<h2>Dirspaces</h2>
${filterForm(new URL(c.req.url))}
${
  dirspaces.length === 0
    ? html`<p class="notice">${filter.query ? "No dirspace matches this tag query." : "No dirspace has run yet, and Terragate has not read this repository's default branch."}</p>`
    : html`<div class="scroll"><table class="dirspaces"><thead><tr><th>Dirspace</th>${slots.map((slot) => html`<th>${slotLabels[slot]}</th>`)}</tr></thead><tbody>
${dirspaces.map(
  (dirspace) =>
    html`<tr><td>${dirspaceLabel(dirspace.dir, dirspace.workspace)}${
      dirspace.tags.length > 0 ? html`<div class="muted small">${dirspace.tags.join(", ")}</div>` : ""
    }</td>${slots.map((slot) => html`<td>${resultCell(installation.base, dirspace.latest[slot], tz)}</td>`)}</tr>`,
)}</tbody></table></div>`
}
<h2>Open ${words.changeRequest}s</h2>
${
  pulls.items.length === 0
    ? html`<p class="muted">None open.</p>`
    : html`<ul class="list">${pulls.items.map(
        (
          pull,
        ) => html`<li><a href="${installation.base}/pulls/${pull.id}">${words.reference(pull.number)} ${pull.title || "(no title)"}</a>
<span class="muted small">by ${pull.author} · ${pull.headBranch} → ${pull.baseBranch} · ${time(pull.createdAt, tz)}</span></li>`,
      )}</ul>${pulls.nextPage ? html`<p><a href="${installation.base}/pulls?repo=${encodeURIComponent(repository.fullName)}">All open ${words.changeRequest}s</a></p>` : ""}`
}`;
    return c.html(
      installationPage(c, installation, {
        section: "repositories",
        title: repository.fullName,
        crumbs: [{ label: repository.fullName }],
        body,
      }),
    );
  });

  return app;
}
