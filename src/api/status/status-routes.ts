// GET /status: a small page (or JSON) saying what this server runs; `/` leads here until sign-in is set up.
import { and, count, gt, isNull, sql } from "drizzle-orm";
import { Hono } from "hono";
import { terragateVersion } from "../../config/version.ts";
import { installations, workerPools } from "../../db/schema/index.ts";
import type { ServerApp, ServerAppStatus } from "../../vcs/platform.ts";
import { platforms } from "../../vcs/registry.ts";
import type { AppDeps } from "../app.ts";

export interface ServerStatus {
  version: string;
  database: "ok" | "unreachable";
  /** This process's job worker; "absent" when it runs none (a replica with `terragate worker` beside it). */
  worker: string;
  /** Worker pools on this database whose heartbeat is fresh (every replica's). */
  live_worker_pools: number | null;
  app: ServerAppStatus | null;
  installations: number | null;
  /** Why the configured app's credentials cannot be used (a wrong encryption key, an unreadable key file). */
  app_problem?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The server's status; the dashboard's `/` sends a browser here while nobody can sign in yet. */
export function createStatusRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  // The GitHub App is the one server-wide app; GitLab is connected per installation.
  const githubApp = platforms.github.createServerApp(deps);

  app.get("/status", async (c) => {
    const status = await readStatus(deps, githubApp);
    c.header("Cache-Control", "no-store");
    if ((c.req.header("accept") ?? "").includes("application/json")) return c.json(status);
    return c.html(renderStatus(status));
  });

  return app;
}

export async function readStatus(deps: AppDeps, serverApp: ServerApp | null): Promise<ServerStatus> {
  const worker = deps.workerStatus?.() ?? "absent";
  let app: ServerAppStatus | null = null;
  let credentialProblem: string | undefined;
  const counts = Promise.all([
    deps.database.db.select({ value: count() }).from(installations).where(isNull(installations.deletedAt)),
    deps.database.db
      .select({ value: count() })
      .from(workerPools)
      .where(and(gt(workerPools.heartbeatAt, sql`now() - interval '15 seconds'`))),
  ]).catch(() => undefined);
  try {
    app = (await serverApp?.status()) ?? null;
  } catch (error) {
    credentialProblem = (error as Error).message;
  }
  const counted = await counts;
  return {
    version: terragateVersion(),
    database: counted ? "ok" : "unreachable",
    worker,
    live_worker_pools: counted?.[1][0]?.value ?? null,
    app,
    installations: counted?.[0][0]?.value ?? null,
    ...(credentialProblem ? { app_problem: credentialProblem } : {}),
  };
}

function renderStatus(status: ServerStatus): string {
  const rows: Array<[string, string]> = [
    ["Version", status.version],
    ["Database", status.database],
    [
      "Worker",
      `${status.worker} in this process${status.live_worker_pools === null ? "" : `; ${status.live_worker_pools} live worker pool(s) on this database`}`,
    ],
    [
      "GitHub App",
      status.app
        ? `${status.app.name ?? `id ${status.app.id}`} (id ${status.app.id}, from ${status.app.source === "env" ? "APP_ID" : "the setup page"})${status.app.note ? ` — name unavailable: ${status.app.note}` : ""}`
        : (status.app_problem ?? "none: open /setup"),
    ],
    ["Installations", status.installations === null ? "unknown" : String(status.installations)],
  ];
  const table = rows
    .map(([label, value]) => `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Terragate</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}th{text-align:left;padding-right:1.5rem}</style>
</head><body><h1>Terragate</h1><table>${table}</table>
<p><a href="/health">/health</a> · <a href="/metrics">/metrics</a> · <a href="/api/docs">API</a></p></body></html>`;
}
