// The HTTP application: one Hono app with a sub-app per resource, mounted with app.route().
import { Hono } from "hono";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DashboardOptions } from "../dashboard/dashboard.ts";
import { createDashboardMount } from "../dashboard/mount.ts";
import type { DatabaseClient } from "../db/client.ts";
import type { WorkerStatus } from "../jobs/worker.ts";
import { createMetrics, type Metrics } from "../server/metrics.ts";
import { platformList } from "../vcs/registry.ts";
import { healthRoutes } from "./health.ts";
import { mountLazily } from "./lazy-routes.ts";
import { metricsRoutes } from "./metrics.ts";
import { errorHandler, notFoundHandler } from "./middleware/error-handler.ts";
import { requestContext } from "./middleware/request-context.ts";
import { createStatusRoutes } from "./status/status-routes.ts";
import { createApiV1 } from "./v1/api-v1.ts";
import { createWorkManifestRoutes } from "./work-manifests/work-manifest-routes.ts";

/** What every route factory receives; built once per process by `terragate serve` (or by a test). */
export interface AppDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  /** 32-byte key sealing plans and credentials (TERRAGATE_ENCRYPTION_KEY or the embedded default's). */
  encryptionKey: Buffer;
  /** The process's Prometheus instruments (shared with the in-process worker); a fresh set when omitted. */
  metrics?: Metrics;
  /** The in-process worker's state for /health; omitted when this process runs no worker. */
  workerStatus?: () => WorkerStatus;
  /** Dashboard settings tests change (token lifetimes); defaults otherwise. */
  dashboard?: DashboardOptions;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const metrics = deps.metrics ?? createMetrics({ processMetrics: false });
  app.use("*", requestContext({ logger: deps.logger, metrics }));
  app.onError(errorHandler());
  app.notFound(notFoundHandler());
  app.route(
    "/",
    healthRoutes({
      database: deps.database,
      ...(deps.workerStatus ? { workerStatus: deps.workerStatus } : {}),
    }),
  );
  app.route("/", metricsRoutes(metrics));
  // Each VCS's webhook intake and set-up pages (the GitHub App's setup page loads on first use).
  for (const platform of platformList) platform.mountRoutes(app, deps);
  app.route("/", createStatusRoutes(deps));
  for (const platform of platformList) {
    app.route(`/api/${platform.vcs}/v1/work-manifests`, createWorkManifestRoutes(deps, platform.vcs));
  }
  // Before /api/v1: the sign-in callbacks live there but are not tooling API routes.
  app.route("/", createDashboardMount(deps, deps.dashboard));
  app.route("/api/v1", createApiV1(deps));
  // The API docs load their code on first use: most processes never serve them.
  mountLazily(app, "/api/docs", async () => (await import("./v1/api-docs.ts")).createApiDocs());
  return app;
}
