// The test bed: fake GitHub, a migrated test database, the real app and task list, signed webhook deliveries;
// with `serve`, the app also listens on a port so a runner process can reach it (the end-to-end tests).
import { createHmac, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type pg from "pg";
import { createApp } from "../../src/api/app.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import type { DashboardOptions } from "../../src/dashboard/dashboard.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { createTaskList, type JobDeps } from "../../src/jobs/task-list.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { FakeGithubState } from "../fakes/github/state.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { drainJobs } from "../harness/drain-jobs.ts";
import { installationId, repoFullName } from "./payloads.ts";

export const webhookSecret = "test-webhook-secret";

export interface Testbed {
  /** The server's URL: where it listens with `serve`, else the URL links are made with. */
  url: string;
  github: FakeGithub;
  database: TestDatabase;
  config: Config;
  deps: JobDeps;
  pool: pg.Pool;
  app: ReturnType<typeof createApp>;
  /** Sends a delivery signed like GitHub signs it; returns the HTTP status. */
  send(event: string, payload: unknown, options?: { deliveryId?: string; secret?: string }): Promise<number>;
  /** Runs every runnable job (including ones the jobs add) with the real graphile-worker, then returns. */
  work(): Promise<void>;
  /** Fresh fake state and empty tables, between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface TestbedOptions {
  /** Serve the app over HTTP on a free port (runner processes call it); TERRAGATE_URL is then that URL. */
  serve?: boolean;
  /** Environment overrides given the fake GitHub's URL (undefined removes a variable). */
  env?: (githubUrl: string) => Record<string, string | undefined>;
  dashboard?: DashboardOptions;
}

/** The app on a free port of 127.0.0.1; it answers 503 until `holder.app` is set. */
async function serveApp(holder: { app?: Hono }): Promise<{ url: string; close: () => Promise<void> }> {
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

export async function createTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const github = await startFakeGithub();
  const database = await createTestDatabase();
  const holder: { app?: Hono } = {};
  const served = options.serve ? await serveApp(holder) : undefined;
  const url = served?.url ?? "https://terragate.test";
  const config = loadConfig({
    APP_ID: "1",
    PRIVATE_KEY: testAppPrivateKey(),
    WEBHOOK_SECRET: webhookSecret,
    GITHUB_API_URL: github.url,
    TERRAGATE_URL: url,
    DATABASE_URL: database.url,
    LOG_LEVEL: "silent",
    ...options.env?.(github.url),
  });
  const deps: JobDeps = {
    config,
    database: database.client,
    logger: createLogger({ LOG_LEVEL: process.env["TEST_LOG_LEVEL"] === "debug" ? "debug" : "silent" }),
    encryptionKey: Buffer.alloc(32, 7),
  };
  const pool = createPgPool(database.url, { max: 4, applicationName: "terragate-test-worker" });
  const app = createApp({ ...deps, ...(options.dashboard ? { dashboard: options.dashboard } : {}) });
  holder.app = app;
  const taskList = createTaskList(deps);

  const testbed: Testbed = {
    url,
    github,
    database,
    config,
    deps,
    pool,
    app,
    async send(event, payload, options = {}) {
      const body = JSON.stringify(payload);
      const response = await app.request("/api/github/v1/events", {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": options.deliveryId ?? randomUUID(),
          "x-hub-signature-256": sign(options.secret ?? webhookSecret, body),
        },
      });
      return response.status;
    },
    async work() {
      await drainJobs(pool, taskList, database.client.sql);
    },
    async reset() {
      const fresh = new FakeGithubState();
      for (const key of Object.keys(fresh) as Array<keyof FakeGithubState>) {
        (github.state as unknown as Record<string, unknown>)[key] = (
          fresh as unknown as Record<string, unknown>
        )[key];
      }
      await database.reset();
    },
    async close() {
      await served?.close();
      await pool.end();
      await database.close();
      await github.close();
    },
  };
  return testbed;
}

/** People with push access in the standard repository (the default policy asks for `role:write`). */
export const writers = ["alice", "bob"];

/**
 * The standard repository: three terraform roots on main, the workflow file, installation 42;
 * alice and bob can push, carol is an admin, everyone else has no access.
 */
export function seedRepository(github: FakeGithub, mainFiles: Record<string, string> = {}) {
  const repo = github.state.addRepo({ owner: "acme", name: "infra", installationId });
  for (const login of writers) repo.permissions.set(login, "write");
  repo.permissions.set("carol", "admin");
  const main = github.state.commit(repoFullName, "main", {
    ".github/workflows/terragate.yml": workflowSnippet(),
    "infra/a/main.tf": "",
    "infra/b/main.tf": "",
    "infra/c/main.tf": "",
    "modules/x/main.tf": "",
    ...mainFiles,
  });
  return { repo, main };
}

/** A PR branch with the given files changed (added on top of main's files). */
export function openPullRequest(
  github: FakeGithub,
  input: {
    number: number;
    author?: string;
    changed: Record<string, string>;
    draft?: boolean;
    base?: string;
    /** A PR from a fork: the fork's repository (null: a fork since deleted). */
    headRepo?: { id: number; fullName: string } | null;
  },
) {
  const base = input.base ?? "main";
  const baseFiles = Object.fromEntries(github.state.filesAt(github.state.repo(repoFullName), base) ?? []);
  const branch = `feature-${input.number}`;
  github.state.commit(repoFullName, branch, { ...baseFiles, ...input.changed });
  return github.state.openPullRequest(repoFullName, {
    number: input.number,
    author: input.author ?? "alice",
    base,
    head: branch,
    files: Object.keys(input.changed),
    ...(input.draft ? { draft: true } : {}),
    ...(input.headRepo !== undefined ? { headRepo: input.headRepo } : {}),
  });
}
