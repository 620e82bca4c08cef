// The HTTP application: one Hono app with a sub-app per resource, mounted with app.route().
import { Hono } from "hono";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DatabaseClient } from "../db/client.ts";
import { createGithubWebhookRoutes } from "./github/webhook-routes.ts";
import { createWorkManifestRoutes } from "./work-manifests/work-manifest-routes.ts";

/** What every route factory receives; built once per process by `terragate serve` (or by a test). */
export interface AppDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  /** 32-byte key sealing plans and credentials (TERRAGATE_ENCRYPTION_KEY or the embedded default's). */
  encryptionKey: Buffer;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  void deps;
  app.route("/api/github/v1", createGithubWebhookRoutes(deps));
  app.route("/api/github/v1/work-manifests", createWorkManifestRoutes(deps, "github"));
  app.route("/api/gitlab/v1/work-manifests", createWorkManifestRoutes(deps, "gitlab"));
  return app;
}
