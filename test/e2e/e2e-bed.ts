// End-to-end bed: the real app served over HTTP, the real task list, the fake GitHub mirroring a real git repository.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { serve } from "@hono/node-server";
import { execa } from "execa";
import type { Hono } from "hono";
import type pg from "pg";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import type { DashboardOptions } from "../../src/dashboard/dashboard.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { createTaskList, type JobDeps } from "../../src/jobs/task-list.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { sign, webhookSecret } from "../github/testbed.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { drainJobs } from "../harness/drain-jobs.ts";
import { git, runnerEnv } from "../runner/runner-fixtures.ts";

const projectRoot = path.resolve(import.meta.dirname, "../..");

export interface E2eBed {
  url: string;
  github: FakeGithub;
  database: TestDatabase;
  config: Config;
  deps: JobDeps;
  send(event: string, payload: unknown): Promise<number>;
  work(): Promise<void>;
  close(): Promise<void>;
}

export interface E2eBedOptions {
  /** Environment overrides given the fake GitHub's URL (undefined removes a variable). */
  env?: (githubUrl: string) => Record<string, string | undefined>;
  dashboard?: DashboardOptions;
}

export async function createE2eBed(options: E2eBedOptions = {}): Promise<E2eBed> {
  const github = await startFakeGithub();
  const database = await createTestDatabase();
  const holder: { app?: Hono } = {};
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
    logger: pino({ level: "silent" }),
    encryptionKey: Buffer.alloc(32, 9),
  };
  holder.app = createApp({ ...deps, ...(options.dashboard ? { dashboard: options.dashboard } : {}) });
  const pool: pg.Pool = createPgPool(database.url, { max: 4, applicationName: "terragate-e2e-worker" });
  const taskList = createTaskList(deps);
  return {
    url,
    github,
    database,
    config,
    deps,
    async send(event, payload) {
      const body = JSON.stringify(payload);
      const response = await fetch(`${url}/api/github/v1/events`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": sign(webhookSecret, body),
        },
      });
      return response.status;
    },
    async work() {
      await drainJobs(pool, taskList, database.client.sql);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
      await database.close();
      await github.close();
    },
  };
}

/** Copies the files of a real commit into the fake GitHub under the same sha, and points `branch` at it. */
export async function mirrorCommit(
  github: FakeGithub,
  fullName: string,
  root: string,
  branch: string,
): Promise<string> {
  const sha = await git(root, ["rev-parse", branch]);
  const paths = (await git(root, ["ls-tree", "-r", "--name-only", sha])).split("\n").filter(Boolean);
  const files = new Map<string, string>();
  for (const file of paths) files.set(file, await git(root, ["show", `${sha}:${file}`]));
  github.state.commits.set(sha, files);
  github.state.repo(fullName).branches.set(branch, sha);
  return sha;
}

export interface RunnerProcess {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** `terragate run` as the dispatched CI run would start it: its inputs and run id, cwd = the checkout. */
export function startRunner(
  checkout: string,
  home: string,
  dispatch: { inputs: Record<string, string>; runId: number },
  options: { detached?: boolean; env?: Record<string, string> } = {},
) {
  const { inputs } = dispatch;
  return execa("node", [path.join(projectRoot, "src/main.ts"), "run"], {
    cwd: checkout,
    reject: false,
    extendEnv: false,
    detached: options.detached ?? false,
    env: {
      ...runnerEnv(home),
      TERRAGATE_API_URL: inputs["api-base-url"] ?? "",
      TERRAGATE_WORK_MANIFEST_ID: inputs["work-manifest-id"] ?? "",
      TERRAGATE_WORK_TOKEN: inputs["work-token"] ?? "",
      GITHUB_RUN_ID: String(dispatch.runId),
      ...options.env,
    },
  });
}

export async function readState(root: string, dir: string): Promise<{ resources: Array<{ name: string }> }> {
  return JSON.parse(await readFile(path.join(root, dir, "terraform.tfstate"), "utf8"));
}
