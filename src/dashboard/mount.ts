// Mounts the dashboard's paths on the server; its code is imported on the first request, so an idle API-only server stays small.
import type { Handler, Hono as HonoApp } from "hono";
import { Hono } from "hono";
import type { AppDeps } from "../api/app.ts";
import type { DashboardOptions } from "./dashboard.ts";

/** Every path the dashboard answers (its callbacks live under /api/v1, as the issue names them). */
export const dashboardPaths = [
  "/",
  "/assets/*",
  "/auth/*",
  "/i/*",
  "/admin",
  "/admin/*",
  "/api/v1/github/callback",
  "/api/v1/gitlab/callback",
  "/api/v1/gitlab/groups/:id/is-member",
] as const;

export function createDashboardMount(deps: AppDeps, options: DashboardOptions = {}): HonoApp {
  let loading: Promise<{ fetch: (request: Request) => Response | Promise<Response> }> | undefined;
  const handler: Handler = async (c) => {
    loading ??= import("./dashboard.ts").then((module) => module.createDashboard(deps, options));
    const dashboard = await loading.catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return dashboard.fetch(c.req.raw);
  };
  const app = new Hono();
  for (const path of dashboardPaths) app.all(path, handler);
  return app;
}
