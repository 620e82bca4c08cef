// The dashboard: sign-in, sessions and pages as one Hono app, built on the first request that needs it.
import { Hono } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import type { AppDeps } from "../api/app.ts";
import { createSigningKeyStore, type SigningKeyStore } from "../api/auth/signing-key-store.ts";
import { loadAssets } from "./assets.ts";
import { authRoutes } from "./auth/auth-routes.ts";
import { cookieNames, readCookie } from "./auth/cookies.ts";
import { createCsrfGuard } from "./auth/csrf.ts";
import { createProviderResolver } from "./auth/providers.ts";
import { sessionMiddleware } from "./auth/session-middleware.ts";
import { SESSION_ACCESS_TTL_SECONDS } from "./auth/session-token.ts";
import { createSessionService } from "./auth/sessions.ts";
import { compressPages } from "./compress-pages.ts";
import type { DashboardEnv, DashboardServices } from "./context.ts";
import { adminRoutes } from "./pages/admin.ts";
import { apiKeyRoutes } from "./pages/api-keys.ts";
import { auditRoutes } from "./pages/audit.ts";
import { homeRoutes } from "./pages/home.ts";
import { installationRoutes } from "./pages/installation.ts";
import { lockRoutes } from "./pages/locks.ts";
import { pullRoutes } from "./pages/pulls.ts";
import { repositoryRoutes } from "./pages/repository.ts";
import { runRoutes } from "./pages/runs.ts";
import { pickTimeZone } from "./views/format.ts";
import { messagePage } from "./views/pages.ts";

export interface DashboardOptions {
  /** Lifetime of the access cookie's token (default 5 minutes); tests shorten it to exercise refreshes. */
  accessTtlSeconds?: number;
  /** Share a key ring with the API (tests); built from the database otherwise. */
  keyStore?: SigningKeyStore;
}

export function createDashboard(deps: AppDeps, options: DashboardOptions = {}): Hono<DashboardEnv> {
  const keyStore =
    options.keyStore ?? createSigningKeyStore({ database: deps.database, encryptionKey: deps.encryptionKey });
  const providers = createProviderResolver(deps);
  const services: DashboardServices = {
    deps,
    keyStore,
    providers,
    cookies: cookieNames(deps.config.publicUrl),
    csrf: createCsrfGuard(deps.encryptionKey, deps.config.publicUrl),
    sessions: createSessionService({
      ...deps,
      keyStore,
      providerFor: providers,
      accessTtlSeconds: options.accessTtlSeconds ?? SESSION_ACCESS_TTL_SECONDS,
    }),
  };
  const assets = loadAssets();
  const app = new Hono<DashboardEnv>();

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    deps.logger.error({ err: error, path: c.req.path }, "dashboard request failed");
    return c.html(
      messagePage(
        c,
        "Something went wrong",
        html`<p>The server could not show this page; its log has the details.</p>`,
      ),
      500,
    );
  });
  app.notFound((c) =>
    c.html(
      messagePage(
        c,
        "Not found",
        html`<p>No page at <code>${c.req.path}</code>.</p><p><a href="/">Home</a></p>`,
      ),
      404,
    ),
  );

  app.use("*", compressPages());
  app.use("*", async (c, next) => {
    c.set("view", {
      assetVersion: assets.version,
      timeZone: pickTimeZone(c.req.query("tz"), readCookie(c, "tg_tz")),
      csrfToken: undefined,
    });
    await next();
  });
  app.route("/", assets.routes);
  app.use("*", sessionMiddleware(services));
  app.use("*", async (c, next) => {
    const session = c.get("session");
    if (session) c.set("view", { ...c.get("view"), csrfToken: services.csrf.tokenFor(session.sessionId) });
    await next();
    // After next(): error pages (set by onError) get the same headers.
    const headers = c.res.headers;
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "same-origin");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    headers.set("Cache-Control", "no-store");
  });
  app.route("/", authRoutes(services));
  app.route("/", homeRoutes(services));
  app.route("/", installationRoutes(services));
  app.route("/", repositoryRoutes(services));
  app.route("/", pullRoutes(services));
  app.route("/", runRoutes(services));
  app.route("/", lockRoutes(services));
  app.route("/", auditRoutes(services));
  app.route("/", apiKeyRoutes(services));
  app.route("/", adminRoutes(services));
  return app;
}
