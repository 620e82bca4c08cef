// What every test bed shares: a migrated test database, the real app (optionally served over HTTP for runner
// processes), the real task list and a worker pool to drain jobs with. The VCS beds add their fake and sender.
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { serve } from "@hono/node-server";
import type pg from "pg";
import { createApp } from "../../src/api/app.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import type { DashboardOptions } from "../../src/dashboard/dashboard.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { createTaskList, type JobDeps } from "../../src/jobs/task-list.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { drainJobs } from "./drain-jobs.ts";

export interface AppBedOptions {
  /** Serve the app on a free port of 127.0.0.1 (runner processes call it); TERRAGATE_URL is then that URL. */
  serve?: boolean;
  /** The environment given the database's URL (undefined removes a variable); TERRAGATE_URL is added. */
  env: (databaseUrl: string) => Record<string, string | undefined>;
  dashboard?: DashboardOptions;
  /** Keep the warnings and errors the app and jobs log in `logs` (else nothing is logged). */
  captureLogs?: boolean;
}

export interface AppBed {
  /** The server's URL: where it listens when served, else the URL links are made with. */
  url: string;
  database: TestDatabase;
  config: Config;
  deps: JobDeps;
  pool: pg.Pool;
  /** Warnings and errors logged, parsed (with `captureLogs`); empty it to start afresh. */
  logs: Array<Record<string, unknown>>;
  /** Replaced by renewApp(); read it anew after a renewal. */
  readonly app: ReturnType<typeof createApp>;
  /** A fresh app on the same deps (its caches emptied), served in place of the old one. */
  renewApp(): void;
  /** Runs every runnable job (including ones the jobs add) with the real graphile-worker, then returns. */
  work(): Promise<void>;
  close(): Promise<void>;
}

/** The app on a free port of 127.0.0.1; it answers 503 until `holder.app` is set. */
async function serveApp(holder: { app?: { fetch(request: Request): Response | Promise<Response> } }) {
  let resolveUrl: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const server = serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) => holder.app?.fetch(request) ?? new Response("starting", { status: 503 }),
    },
    (info: AddressInfo) => resolveUrl(`http://127.0.0.1:${info.port}`),
  );
  const url = await ready;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function createAppBed(options: AppBedOptions): Promise<AppBed> {
  const database = await createTestDatabase();
  const holder: { app?: ReturnType<typeof createApp> } = {};
  const served = options.serve ? await serveApp(holder) : undefined;
  const url = served?.url ?? "https://terragate.test";
  const config = loadConfig({ TERRAGATE_URL: url, LOG_LEVEL: "silent", ...options.env(database.url) });
  const logs: Array<Record<string, unknown>> = [];
  const captured = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) logs.push(JSON.parse(line));
      callback();
    },
  });
  const deps: JobDeps = {
    config,
    database: database.client,
    logger: options.captureLogs
      ? createLogger({ LOG_LEVEL: "warn" }, captured)
      : createLogger({ LOG_LEVEL: process.env["TEST_LOG_LEVEL"] === "debug" ? "debug" : "silent" }),
    encryptionKey: Buffer.alloc(32, 7),
  };
  const pool = createPgPool(database.url, { max: 4, applicationName: "terragate-test-worker" });
  const newApp = () => createApp({ ...deps, ...(options.dashboard ? { dashboard: options.dashboard } : {}) });
  const taskList = createTaskList(deps);
  holder.app = newApp();
  return {
    url,
    database,
    config,
    deps,
    pool,
    logs,
    get app() {
      return holder.app!;
    },
    renewApp() {
      holder.app = newApp();
    },
    work: () => drainJobs(pool, taskList, database.client.sql),
    async close() {
      await served?.close();
      await pool.end();
      await database.close();
    },
  };
}
