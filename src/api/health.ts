// GET /health: 200 when the database answers (with the worker's state), 503 when it does not; broken installations listed.
import { Hono } from "hono";
import type { DatabaseClient } from "../db/client.ts";
import {
  type BrokenGitlabInstallation,
  listBrokenGitlabInstallations,
} from "../db/queries/gitlab-connections.ts";
import type { WorkerStatus } from "../jobs/worker.ts";

export interface HealthDeps {
  database: DatabaseClient;
  /** The in-process worker's state; "absent" when this process runs no worker. */
  workerStatus?: () => WorkerStatus;
  /** How long the database may take to answer (default 2 s). */
  timeoutMs?: number;
}

export interface HealthBody {
  status: "ok" | "unavailable";
  database: "ok" | "unreachable";
  worker: WorkerStatus | "absent";
  /**
   * Installations whose VCS token was refused (revoked or expired): the server is healthy, but nothing
   * runs for them until they are connected again. Each names its group or project and how it broke.
   */
  broken_installations: BrokenGitlabInstallation[];
}

export function healthRoutes(deps: HealthDeps): Hono {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const app = new Hono();
  app.get("/health", async (c) => {
    const database = (await databaseAnswers(deps.database, timeoutMs)) ? "ok" : "unreachable";
    const worker = deps.workerStatus?.() ?? "absent";
    const healthy = database === "ok" && worker !== "failed";
    const broken =
      database === "ok" ? await listBrokenGitlabInstallations(deps.database.db).catch(() => []) : [];
    const body: HealthBody = {
      status: healthy ? "ok" : "unavailable",
      database,
      worker,
      broken_installations: broken,
    };
    c.header("Cache-Control", "no-store");
    return c.json(body, healthy ? 200 : 503);
  });
  return app;
}

async function databaseAnswers(database: DatabaseClient, timeoutMs: number): Promise<boolean> {
  const query = database.sql`select 1`;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      query.cancel();
      resolve(false);
    }, timeoutMs);
  });
  try {
    return await Promise.race([query.then(() => true), timedOut]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
