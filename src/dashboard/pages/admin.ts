// `/admin` (people named in TERRAGATE_ADMINS): app status, every installation, broken connections, worker pools and job queues.
import { Hono } from "hono";
import { html } from "hono/html";
import { readStatus } from "../../api/status/status-routes.ts";
import { adminInstallations, queueHealth, workerPoolRows } from "../../db/queries/admin-overview.ts";
import { platforms } from "../../vcs/registry.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireSession } from "../guards.ts";
import { badge, time } from "../views/format.ts";
import { page } from "../views/pages.ts";

export function adminRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;
  const githubApp = platforms.github.createServerApp(deps);

  app.get("/admin", async (c) => {
    const session = requireSession(c);
    if (!session.serverAdmin) notFoundPage(c);
    const db = deps.database.db;
    const [status, installs, queues, pools] = await Promise.all([
      readStatus(deps, githubApp),
      adminInstallations(db),
      queueHealth(db),
      workerPoolRows(db),
    ]);
    const tz = c.get("view").timeZone;
    const broken = installs.filter((row) => row.brokenAt !== null);
    const body = html`<h1>Admin</h1>
<h2>Server</h2>
<dl class="facts">
<div><dt>Version</dt><dd>${status.version}</dd></div>
<div><dt>Database</dt><dd>${badge(status.database === "ok" ? "success" : "failure", status.database)}</dd></div>
<div><dt>GitHub App</dt><dd>${status.app ? html`${status.app.name ?? `id ${status.app.id}`} <span class="muted">(from ${status.app.source === "env" ? "APP_ID" : "the setup page"})</span>` : (status.app_problem ?? "not set up")}</dd></div>
<div><dt>Worker here</dt><dd>${status.worker}</dd></div>
<div><dt>Live worker pools</dt><dd>${status.live_worker_pools ?? "unknown"}</dd></div>
<div><dt>Installations</dt><dd>${status.installations ?? "unknown"}</dd></div>
</dl>
<h2>Broken connections</h2>
${
  broken.length === 0
    ? html`<p class="muted">None: every connection works.</p>`
    : html`<ul class="list">${broken.map(
        (row) =>
          html`<li>${badge("failure", "broken")} <strong>${row.accountLogin}</strong> (${row.vcs} ${row.externalId}) since ${time(row.brokenAt, tz)} — ${row.brokenReason ?? "no reason recorded"}. Reconnect with <code>terragate gitlab connect</code>.</li>`,
      )}</ul>`
}
<h2>Job queues</h2>
${
  queues.length === 0
    ? html`<p class="muted">No jobs waiting or running.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Task</th><th>Waiting</th><th>Running</th><th>Retrying</th><th>Given up</th><th class="hide-s">Oldest waiting</th></tr></thead><tbody>
${queues.map(
  (row) =>
    html`<tr><td><code>${row.task}</code></td><td>${row.waiting}</td><td>${row.running}</td><td>${row.failing}</td><td>${row.dead > 0 ? badge("failure", String(row.dead)) : "0"}</td><td class="hide-s">${time(row.oldestWaiting, tz)}</td></tr>`,
)}</tbody></table></div>`
}
<h2>Worker pools</h2>
${
  pools.length === 0
    ? html`<p class="muted">No worker pool has reported.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Pool</th><th>Host</th><th>Heartbeat</th></tr></thead><tbody>
${pools.map(
  (pool) =>
    html`<tr><td><code class="small">${pool.poolId.slice(0, 12)}</code></td><td>${pool.hostname} (pid ${pool.pid})</td><td>${badge(pool.fresh ? "success" : "failure", pool.fresh ? "alive" : "silent")} ${time(pool.heartbeatAt, tz)}</td></tr>`,
)}</tbody></table></div>`
}
<h2>Installations</h2>
<div class="scroll"><table><thead><tr><th>Account</th><th>VCS</th><th>Repositories</th><th>State</th></tr></thead><tbody>
${installs.map(
  (row) =>
    html`<tr><td>${row.accountLogin} <span class="muted small">${row.externalId}</span></td><td>${row.vcs}</td><td>${row.repositories}</td><td>${
      row.deletedAt
        ? badge("aborted", "uninstalled")
        : row.brokenAt
          ? badge("failure", "broken")
          : row.suspendedAt
            ? badge("failure", "suspended")
            : badge("success", "active")
    }</td></tr>`,
)}</tbody></table></div>`;
    return c.html(
      page(c, { title: "Admin", crumbs: [{ label: "Installations", href: "/" }, { label: "Admin" }], body }),
    );
  });

  return app;
}
