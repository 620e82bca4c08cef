// GET /setup and /setup/callback: create the GitHub App from its manifest and store its credentials sealed.
import { Hono } from "hono";
import { z } from "zod";
import { seal } from "../../crypto/seal.ts";
import { appCredentials } from "../../db/schema/index.ts";
import { appSecretsContext, loadGithubCredentials } from "../../vcs/github/credentials.ts";
import type { AppDeps } from "../app.ts";
import { appManifest, newAppUrl } from "./app-manifest.ts";
import { checkSetupState, createSetupState } from "./setup-state.ts";

/** What GitHub answers to the manifest conversion (the fields Terragate keeps). */
export const ManifestConversion = z.looseObject({
  id: z.number(),
  slug: z.string(),
  html_url: z.string(),
  client_id: z.string().nullish(),
  client_secret: z.string().nullish(),
  webhook_secret: z.string().min(1, "GitHub returned no webhook secret"),
  pem: z.string().min(1),
});
export type ManifestConversion = z.infer<typeof ManifestConversion>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const organizationName = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export function createSetupRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const existing = await loadGithubCredentials(deps);
    if (existing) {
      return c.html(
        page(
          "Terragate is set up",
          `<p>This server already uses GitHub App <code>${escapeHtml(existing.appId)}</code> (from ${existing.source === "env" ? "the environment" : "the setup flow"}).</p>`,
        ),
        409,
      );
    }
    const organization = c.req.query("org")?.trim() || undefined;
    if (organization !== undefined && !organizationName.test(organization)) {
      return c.html(page("Set up Terragate", "<p>That is not a valid organization name.</p>"), 400);
    }
    const state = createSetupState(deps.encryptionKey);
    const manifest = JSON.stringify(appManifest(deps.config, "Terragate"));
    const target = newAppUrl(deps.config, organization, state);
    return c.html(
      page(
        "Set up Terragate",
        `<p>Create the GitHub App that lets this server (<code>${escapeHtml(deps.config.publicUrl)}</code>) receive
pull request events and start runs. GitHub shows you the permissions before anything is created.</p>
<form method="get" action="/setup"><label>Organization (leave empty for your personal account)
<input name="org" value="${escapeHtml(organization ?? "")}"></label> <button>Use</button></form>
<form method="post" action="${escapeHtml(target)}">
<input type="hidden" name="manifest" value="${escapeHtml(manifest)}">
<p><button>Create the GitHub App${organization ? ` for ${escapeHtml(organization)}` : ""}</button></p></form>`,
      ),
    );
  });

  app.get("/callback", async (c) => {
    const code = c.req.query("code");
    const state = c.req.query("state");
    if (!code || !/^[A-Za-z0-9_-]+$/.test(code) || !state || !checkSetupState(deps.encryptionKey, state)) {
      return c.html(
        page(
          "Setup link expired",
          `<p>This link is not valid any more. <a href="/setup">Start again</a>.</p>`,
        ),
        400,
      );
    }
    const response = await fetch(`${deps.config.githubApiUrl}/app-manifests/${code}/conversions`, {
      method: "POST",
      headers: { accept: "application/vnd.github+json", "user-agent": "terragate-setup" },
    });
    if (!response.ok) {
      deps.logger.warn({ status: response.status }, "GitHub app manifest conversion failed");
      return c.html(
        page(
          "GitHub did not create the app",
          `<p>GitHub answered ${response.status} when converting the manifest (codes are valid for one hour and one use). <a href="/setup">Start again</a>.</p>`,
        ),
        502,
      );
    }
    const app = ManifestConversion.parse(await response.json());
    const appId = String(app.id);
    const secrets = JSON.stringify({
      pem: app.pem,
      webhook_secret: app.webhook_secret,
      client_secret: app.client_secret ?? null,
    });
    const sealed = seal(deps.encryptionKey, Buffer.from(secrets), appSecretsContext(appId));
    await deps.database.db
      .insert(appCredentials)
      .values({
        appId,
        slug: app.slug,
        htmlUrl: app.html_url,
        clientId: app.client_id ?? null,
        secretsSealed: sealed,
      })
      .onConflictDoUpdate({
        target: appCredentials.appId,
        set: {
          slug: app.slug,
          htmlUrl: app.html_url,
          clientId: app.client_id ?? null,
          secretsSealed: sealed,
        },
      });
    deps.logger.info({ appId, slug: app.slug }, "GitHub App created through the setup flow");
    const install = `${app.html_url}/installations/new`;
    return c.html(
      page(
        "Terragate is ready",
        `<p>GitHub App <code>${escapeHtml(app.slug)}</code> (id ${escapeHtml(appId)}) is created and its credentials are stored
encrypted in the database. This server uses them within a few seconds, without a restart.</p>
<p><a href="${escapeHtml(install)}">Install the app on your repositories</a>, then add
<code>.github/workflows/terragate.yml</code> to each repository's default branch (see the README).</p>`,
      ),
    );
  });

  return app;
}
