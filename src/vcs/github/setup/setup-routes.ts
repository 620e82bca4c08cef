// GET /setup and /setup/callback: create the one GitHub App from its manifest and store its credentials sealed.
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { AppDeps } from "../../../api/app.ts";
import { seal } from "../../../crypto/seal.ts";
import { consumeSetupState, storeFirstApp } from "../../../db/queries/setup.ts";
import { appSecretsContext, loadGithubCredentials } from "../credentials.ts";
import { appManifest, newAppUrl } from "./app-manifest.ts";
import {
  createSetupState,
  type SetupStateProblem,
  setupCookieName,
  setupStateExpiry,
  setupStateHash,
  setupStateLifetimeMs,
  setupStateProblem,
} from "./setup-state.ts";

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

/** Replacing the app is an operator's act on the server, never something a web request can do. */
function alreadySetUp(appId: string, source: "env" | "database"): string {
  return page(
    "Terragate is set up",
    `<p>This server already uses GitHub App <code>${escapeHtml(appId)}</code> (from ${source === "env" ? "the environment" : "the setup flow"}), so it does not create another one.</p>
<p>${
      source === "env"
        ? "It comes from <code>APP_ID</code>; change the environment to use another app."
        : "To replace it, run <code>terragate setup reset</code> on the server, then open this page again."
    }</p>`,
  );
}

const stateProblems: Record<SetupStateProblem, string> = {
  missing: "The link has no setup state.",
  forged: "The link's setup state was not issued by this server.",
  expired: "The link is more than ten minutes old.",
  other_browser: "The setup was started in another browser (or its cookie was cleared).",
};

function setupCookie(c: Context, deps: AppDeps, state: string): void {
  setCookie(c, setupCookieName, state, {
    path: "/setup",
    httpOnly: true,
    sameSite: "Lax",
    secure: deps.config.publicUrl.startsWith("https://"),
    maxAge: setupStateLifetimeMs / 1000,
  });
}

export function createSetupRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const existing = await loadGithubCredentials(deps);
    if (existing) return c.html(alreadySetUp(existing.appId, existing.source), 409);
    const organization = c.req.query("org")?.trim() || undefined;
    if (organization !== undefined && !organizationName.test(organization)) {
      return c.html(page("Set up Terragate", "<p>That is not a valid organization name.</p>"), 400);
    }
    const state = createSetupState(deps.encryptionKey);
    setupCookie(c, deps, state);
    c.header("Cache-Control", "no-store");
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
    c.header("Cache-Control", "no-store");
    // Checked first: once an app exists, no link, however valid, creates another.
    const existing = await loadGithubCredentials(deps);
    if (existing) return c.html(alreadySetUp(existing.appId, existing.source), 409);
    const code = c.req.query("code");
    const state = c.req.query("state");
    const problem = setupStateProblem(deps.encryptionKey, state, getCookie(c, setupCookieName));
    if (!code || !/^[A-Za-z0-9_-]+$/.test(code) || problem !== undefined || state === undefined) {
      return c.html(
        page(
          "Setup link not valid",
          `<p>${problem ? stateProblems[problem] : "The link has no valid code from GitHub."} <a href="/setup">Start again</a> in this browser.</p>`,
        ),
        400,
      );
    }
    // Single use, across replicas: a replayed link (from history, a proxy log) is refused.
    if (!(await consumeSetupState(deps.database.db, setupStateHash(state), setupStateExpiry(state)))) {
      return c.html(
        page(
          "Setup link already used",
          `<p>This link was used before. <a href="/setup">Start again</a>.</p>`,
        ),
        400,
      );
    }
    deleteCookie(c, setupCookieName, { path: "/setup" });
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
    const stored = await storeFirstApp(deps.database.db, {
      appId,
      slug: app.slug,
      htmlUrl: app.html_url,
      clientId: app.client_id ?? null,
      secretsSealed: sealed,
    });
    if (!stored) {
      deps.logger.warn({ appId, slug: app.slug }, "setup callback refused: another app was stored first");
      return c.html(
        page(
          "Terragate is set up",
          `<p>Another GitHub App was stored while this one was being created, so <code>${escapeHtml(app.slug)}</code> is not used. Delete it in GitHub's app settings; to replace the stored app, run <code>terragate setup reset</code> on the server.</p>`,
        ),
        409,
      );
    }
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
