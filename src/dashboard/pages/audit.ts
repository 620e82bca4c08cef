// The audit log: who created or revoked keys, pressed Plan, Apply or Unlock, released locks — filtered by action and actor.
import { Hono } from "hono";
import { html } from "hono/html";
import { auditActions, listAudit } from "../../db/queries/audit-log.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { requireInstallation } from "../guards.ts";
import { listQuery } from "../list-query.ts";
import { pager, time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import { filterForm } from "../views/results.ts";

export function auditRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();

  app.get("/i/:vcs/:installation/audit", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 2);
    const action = (auditActions as readonly string[]).includes(c.req.query("action") ?? "")
      ? c.req.query("action")
      : undefined;
    const actor = c.req.query("actor")?.trim() || undefined;
    const result = await withTenant(services.deps.database, installation.id, (tx) =>
      listAudit(tx, installation.id, {
        limit: 50,
        direction: query.direction,
        after: query.after,
        ...(action ? { action } : {}),
        ...(actor ? { actor } : {}),
      }),
    );
    const tz = c.get("view").timeZone;
    const extra = html`<label>Action <select name="action"><option value="">any</option>${auditActions.map(
      (name) => html`<option${name === action ? " selected" : ""}>${name}</option>`,
    )}</select></label><label>Actor <input name="actor" value="${actor ?? ""}" placeholder="github:alice"></label>`;
    const body = html`<h1>Audit log</h1>
${filterForm(new URL(c.req.url), { q: false, extra })}
${
  result.items.length === 0
    ? html`<p class="notice">No entries${action || actor ? " match" : " yet"}.</p>`
    : html`<div class="scroll"><table><thead><tr><th>When</th><th>Who</th><th>What</th><th class="hide-s">Details</th></tr></thead><tbody>
${result.items.map(
  (
    entry,
  ) => html`<tr><td>${time(entry.createdAt, tz)}</td><td>${entry.actor}</td><td><code>${entry.action}</code></td>
<td class="hide-s"><code class="small wrap">${JSON.stringify(entry.target)}</code></td></tr>`,
)}</tbody></table></div>`
}
${pager(new URL(c.req.url), result.nextPage)}`;
    return c.html(installationPage(c, installation, { section: "audit", title: "Audit log", body }));
  });

  return app;
}
