// `/i/{vcs}/{installation}`: the installation's repositories, newest first, paginated like the API.
import { Hono } from "hono";
import { html } from "hono/html";
import { listRepositories } from "../../db/queries/installation-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { requireInstallation } from "../guards.ts";
import { listQuery } from "../list-query.ts";
import { pager, time } from "../views/format.ts";
import { installationCrumbs, installationTabs } from "../views/installation-frame.ts";
import { page } from "../views/pages.ts";

export function installationRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();

  app.get("/i/:vcs/:installation", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 2);
    const result = await withTenant(services.deps.database, installation.id, (tx) =>
      listRepositories(tx, installation.id, { limit: 25, direction: query.direction, after: query.after }),
    );
    const tz = c.get("view").timeZone;
    const body = html`<h1>${installation.accountLogin}</h1>
${installation.suspendedAt ? html`<p class="notice error">This installation is suspended: Terragate does not act on its events.</p>` : ""}
${
  result.items.length === 0
    ? html`<p class="notice">No repositories yet: they appear when the app is installed on them.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Repository</th><th>Default branch</th><th class="hide-s">Added</th></tr></thead><tbody>
${result.items.map(
  (
    repo,
  ) => html`<tr><td><a href="${installation.base}/repos/${repo.fullName}">${repo.fullName}</a>${repo.private ? "" : html` <span class="muted">(public)</span>`}</td>
<td><code>${repo.defaultBranch}</code></td><td class="hide-s">${time(repo.createdAt, tz)}</td></tr>`,
)}</tbody></table></div>`
}
${pager(new URL(c.req.url), result.nextPage)}`;
    return c.html(
      page(c, {
        title: installation.accountLogin,
        crumbs: installationCrumbs(installation),
        tabs: installationTabs(installation, "repositories"),
        body,
      }),
    );
  });

  return app;
}
