// API keys (installation admins): create with chosen capabilities — the key shown once — list, and revoke; both audited.
import { Hono } from "hono";
import { html } from "hono/html";
import { capabilityDescriptions, capabilityValues, parseCapabilities } from "../../api/auth/capabilities.ts";
import { type ApiKeyRecord, createApiKey, listApiKeys, revokeApiKey } from "../../db/queries/api-keys.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { sessionActor } from "../actions.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { type DashboardInstallation, notFoundPage, requireCsrf, requireInstallation } from "../guards.ts";
import { time } from "../views/format.ts";
import { installationPage } from "../views/installation-frame.ts";
import type { Html } from "../views/layout.ts";
import { actionForm } from "../views/results.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function keysPage(
  c: Parameters<typeof installationPage>[0],
  installation: DashboardInstallation,
  keys: ApiKeyRecord[],
  notice: Html | string,
): Html {
  const tz = c.get("view").timeZone;
  const csrfToken = c.get("view").csrfToken;
  const body = html`<h1>API keys</h1>
${notice}
<h2>Create a key</h2>
<form method="post" action="${installation.base}/api-keys" class="stack">
<input type="hidden" name="_csrf" value="${csrfToken ?? ""}">
<label>Name <input name="name" maxlength="200" required placeholder="what uses it"></label>
<fieldset><legend>Capabilities</legend>
${capabilityValues.map(
  (capability) =>
    html`<label class="check"><input type="checkbox" name="capability" value="${capability}"> <code>${capability}</code> <span class="muted small">${capabilityDescriptions[capability]}</span></label>`,
)}
<label>Unlock repositories <input name="unlock" placeholder="acme/infra acme/network, or *"></label>
</fieldset>
<button type="submit" class="primary">Create key</button>
</form>
<h2>Keys</h2>
${
  keys.length === 0
    ? html`<p class="muted">No keys yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Name</th><th>Capabilities</th><th class="hide-s">Created</th><th class="hide-s">Last used</th><th><span class="sr">Action</span></th></tr></thead><tbody>
${keys.map(
  (
    key,
  ) => html`<tr${key.revokedAt ? html` class="revoked"` : ""}><td>${key.name || html`<span class="muted">(unnamed)</span>`}<div class="muted small">${key.createdBy}</div></td>
<td><code class="small wrap">${key.capabilities.join(" ")}</code></td><td class="hide-s">${time(key.createdAt, tz)}</td><td class="hide-s">${time(key.lastUsedAt, tz)}</td>
<td>${
    key.revokedAt
      ? html`revoked ${time(key.revokedAt, tz)}`
      : actionForm({
          action: `${installation.base}/api-keys/${key.id}/revoke`,
          label: "Revoke",
          csrfToken,
          className: "danger",
          confirm: `Revoke ${key.name || "this key"} and every key it created?`,
        })
  }</td></tr>`,
)}</tbody></table></div>`
}`;
  return installationPage(c, installation, { section: "api-keys", title: "API keys", body });
}

export function apiKeyRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  async function requireAdmin(c: Parameters<typeof requireInstallation>[0]) {
    const installation = await requireInstallation(c, services);
    // Only the installation's admins manage keys; to anyone else the page does not exist.
    if (!installation.admin) notFoundPage(c);
    return installation;
  }

  app.get("/i/:vcs/:installation/api-keys", async (c) => {
    const installation = await requireAdmin(c);
    const keys = await withTenant(deps.database, installation.id, (tx) => listApiKeys(tx, installation.id));
    const revoked = c.req.query("revoked");
    return c.html(
      keysPage(c, installation, keys, revoked ? html`<p class="notice" role="status">Key revoked.</p>` : ""),
    );
  });

  app.post("/i/:vcs/:installation/api-keys", async (c) => {
    const installation = await requireAdmin(c);
    const form = await c.req.parseBody({ all: true });
    const token = typeof form["_csrf"] === "string" ? form["_csrf"] : undefined;
    const session = await requireCsrf(c, services, token);
    const name = typeof form["name"] === "string" ? form["name"].trim().slice(0, 200) : "";
    const chosen = [form["capability"] ?? []]
      .flat()
      .filter((value): value is string => typeof value === "string");
    const unlock = typeof form["unlock"] === "string" ? form["unlock"].split(/[\s,]+/).filter(Boolean) : [];
    let problem: string | undefined;
    let grants: ReturnType<typeof parseCapabilities> = [];
    try {
      grants = parseCapabilities([...chosen, ...unlock.map((repo) => `unlock:${repo}`)]);
      if (grants.length === 0) problem = "choose at least one capability";
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem) {
      const keys = await withTenant(deps.database, installation.id, (tx) => listApiKeys(tx, installation.id));
      return c.html(
        keysPage(
          c,
          installation,
          keys,
          html`<p class="notice error" role="alert">Not created: ${problem}.</p>`,
        ),
        400,
      );
    }
    const { created, keys } = await withTenant(deps.database, installation.id, async (tx) => {
      const made = await createApiKey(tx, {
        installationId: installation.id,
        name,
        capabilities: grants,
        createdBy: sessionActor(session),
      });
      return { created: made, keys: await listApiKeys(tx, installation.id) };
    });
    const notice = html`<div class="notice created" role="status"><p><strong>Key created.</strong> Copy it now: it is shown only once.</p>
<p><code id="new-key" class="wrap">${created.key}</code> <button type="button" data-copy="new-key">Copy</button></p></div>`;
    return c.html(keysPage(c, installation, keys, notice), 201);
  });

  app.post("/i/:vcs/:installation/api-keys/:id/revoke", async (c) => {
    const installation = await requireAdmin(c);
    const form = await c.req.parseBody();
    const session = await requireCsrf(
      c,
      services,
      typeof form["_csrf"] === "string" ? form["_csrf"] : undefined,
    );
    const id = c.req.param("id");
    if (!uuid.test(id)) notFoundPage(c, "This key");
    const revoked = await withTenant(deps.database, installation.id, (tx) =>
      revokeApiKey(tx, { id, installationId: installation.id, actor: sessionActor(session) }),
    );
    if (!revoked) notFoundPage(c, "This key");
    return c.redirect(`${installation.base}/api-keys?revoked=1`, 303);
  });

  return app;
}
