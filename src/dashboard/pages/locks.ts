// Locks: every dirspace lock of the installation, and Unlock (the holding PR's `terragate unlock`, as the signed-in person).
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { html } from "hono/html";
import { listLocks } from "../../db/queries/lock-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { pullRequests, repositories } from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import { queueDashboardAction } from "../actions.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireCsrf, requireInstallation } from "../guards.ts";
import { listQuery, tagQueryParam } from "../list-query.ts";
import { dirspaceLabel, pager, time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import { actionForm, filterForm } from "../views/results.ts";

export function lockRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  app.get("/i/:vcs/:installation/locks", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 4);
    const filter = tagQueryParam(c);
    const repo = c.req.query("repo") || undefined;
    const result = await withTenant(deps.database, installation.id, (tx) =>
      listLocks(tx, installation.id, {
        limit: 50,
        direction: query.direction,
        after: query.after,
        ...(repo ? { repo } : {}),
        ...(filter.query ? { tagQuery: filter.query } : {}),
      }),
    );
    const tz = c.get("view").timeZone;
    const words = platformFor(installation.vcs).words;
    const csrfToken = c.get("view").csrfToken;
    const unlocked = c.req.query("queued") === "unlock";
    const body = html`<h1>Locks</h1>
<p class="muted">A lock keeps other ${words.changeRequest}s from applying a dirspace until its ${words.changeRequest} merges or closes. Unlock runs <code>terragate unlock</code> on the holding ${words.changeRequest} as you, with the same access control.</p>
${unlocked ? html`<p class="notice" role="status">Unlock requested: the ${words.changeRequest} says what happened, and the audit log records it.</p>` : ""}
${filterForm(new URL(c.req.url), { extra: html`<label>Repository <input name="repo" value="${repo ?? ""}" placeholder="owner/name"></label>` })}
${
  result.items.length === 0
    ? html`<p class="notice">No locks${filter.query || repo ? " match" : " are held"}.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Dirspace</th><th>Held by</th><th class="hide-s">Since</th><th><span class="sr">Action</span></th></tr></thead><tbody>
${result.items.map(
  (
    lock,
  ) => html`<tr><td>${dirspaceLabel(lock.dir, lock.workspace)}<div class="muted small">${lock.repo}</div></td>
<td><a href="${installation.base}/pulls/${lock.pullRequestId}">${words.reference(lock.pullRequest)}</a></td><td class="hide-s">${time(lock.acquiredAt, tz)}</td>
<td>${actionForm({
    action: `${installation.base}/locks/unlock`,
    label: "Unlock",
    csrfToken,
    fields: { pull_request_id: String(lock.pullRequestId) },
    confirm: `Release every lock of ${words.reference(lock.pullRequest)} in ${lock.repo}?`,
  })}</td></tr>`,
)}</tbody></table></div>`
}
${pager(new URL(c.req.url), result.nextPage)}`;
    return c.html(installationPage(c, installation, { section: "locks", title: "Locks", body }));
  });

  app.post("/i/:vcs/:installation/locks/unlock", async (c) => {
    const installation = await requireInstallation(c, services);
    const form = await c.req.parseBody();
    const session = await requireCsrf(
      c,
      services,
      typeof form["_csrf"] === "string" ? form["_csrf"] : undefined,
    );
    const id = Number(form["pull_request_id"]);
    if (!Number.isSafeInteger(id) || id <= 0) notFoundPage(c, "This pull request");
    const [pull] = await withTenant(deps.database, installation.id, (tx) =>
      tx
        .select({
          number: pullRequests.number,
          repository: {
            id: repositories.id,
            externalId: repositories.externalId,
            fullName: repositories.fullName,
          },
        })
        .from(pullRequests)
        .innerJoin(repositories, eq(repositories.id, pullRequests.repositoryId))
        .where(and(eq(pullRequests.installationId, installation.id), eq(pullRequests.id, id))),
    );
    if (!pull) notFoundPage(c, "This pull request");
    await queueDashboardAction(services, {
      installation,
      repository: pull.repository,
      prNumber: pull.number,
      kind: "unlock",
      argument: "",
      session,
    });
    return c.redirect(`${installation.base}/locks?queued=unlock`, 303);
  });

  return app;
}
