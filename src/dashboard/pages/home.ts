// `/`: sign-in buttons for a signed-out person; the installations they belong to once signed in.
import { Hono } from "hono";
import { html } from "hono/html";
import { listSessionInstallations } from "../../db/queries/dashboard-overview.ts";
import { platformList } from "../../vcs/registry.ts";
import { safeNext } from "../auth/auth-routes.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { page } from "../views/pages.ts";

export function homeRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  app.get("/", async (c) => {
    const session = c.get("session");
    if (!session) {
      const [github, gitlab] = await Promise.all([
        services.providers("github"),
        services.providers("gitlab"),
      ]);
      // Nobody can sign in yet: the setup page until an app exists, then the server's status page.
      if (!github && !gitlab) {
        const app = await serverAppExists(deps);
        return c.redirect(app ? "/status" : "/setup", 302);
      }
      const next = safeNext(c.req.query("next"));
      const query = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
      const body = html`<div class="signin"><h1>Sign in to Terragate</h1>
${next !== "/" ? html`<p class="muted">Sign in to continue to <code>${next}</code>.</p>` : ""}
${github ? html`<a class="button primary" href="/auth/github/sign-in${query}">Sign in with GitHub</a>` : ""}
${gitlab ? html`<a class="button primary" href="/auth/gitlab/sign-in${query}">Sign in with GitLab</a>` : ""}
<p class="muted"><a href="/status">Server status</a></p></div>`;
      return c.html(page(c, { title: "Sign in", body }));
    }
    const rows = await listSessionInstallations(
      deps.database.db,
      session.memberships.map((membership) => membership.installationId),
    );
    const body = html`<h1>Installations</h1>
${
  rows.length === 0
    ? html`<p class="notice">You do not belong to any installation of this server yet. Install the app on an
organization or account you are a member of, or ask an owner to give you access to one of its repositories;
your access is checked again within a few minutes.</p>`
    : html`<div class="grid">${rows.map(
        (
          row,
        ) => html`<div class="card"><h3><a href="/i/${row.vcs}/${encodeURIComponent(row.externalId)}">${row.accountLogin}</a></h3>
<div class="muted">${row.vcs === "github" ? "GitHub" : "GitLab"} ${row.accountType.toLowerCase()} · ${row.externalId}</div>
<div>${row.repositories} repositories · ${row.locks} locks${row.suspendedAt ? html` · <span class="badge s-failure">suspended</span>` : ""}</div></div>`,
      )}</div>`
}`;
    return c.html(page(c, { title: "Installations", crumbs: [{ label: "Installations" }], body }));
  });

  return app;
}

/** Whether some VCS's server-wide app (the GitHub App) is set up; an unreadable one counts as none. */
async function serverAppExists(deps: DashboardServices["deps"]): Promise<boolean> {
  for (const platform of platformList) {
    const configured = await platform
      .createServerApp(deps)
      ?.configured()
      .catch(() => false);
    if (configured) return true;
  }
  return false;
}
