// A GitLab test bed: fake GitLab, a migrated test database, the real app and task list, hooks sent as GitLab sends them.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type pg from "pg";
import { createApp } from "../../src/api/app.ts";
import { hashWebhookSecret } from "../../src/api/gitlab/connection-cache.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import { seal } from "../../src/crypto/seal.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { saveGitlabConnection } from "../../src/db/queries/gitlab-connections.ts";
import { createTaskList, type JobDeps } from "../../src/jobs/task-list.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { gitlabTokenContext } from "../../src/vcs/gitlab/token.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import { FakeGitlabState } from "../fakes/gitlab/state.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { drainJobs } from "../harness/drain-jobs.ts";

export const adminToken = "test-admin-token-0123456789abcdef0123456789";

export interface GitlabBed {
  /** Terragate's URL: the app served over HTTP (with `http: true`), else a name only app.request answers. */
  url: string;
  gitlab: FakeGitlab;
  database: TestDatabase;
  config: Config;
  deps: JobDeps;
  app: ReturnType<typeof createApp>;
  /** Stores a connected group or project whose webhook secret is `secret`; returns the installation id. */
  connect(input: {
    kind: "group" | "project";
    id: number;
    path: string;
    secret: string;
    /** The access token stored for the installation (default glpat-test) and its user (default id 900). */
    token?: string;
    botUserId?: number;
  }): Promise<number>;
  /** Sends a hook as GitLab does; returns the response. */
  send(
    hook: string,
    payload: unknown,
    options?: {
      token?: string | null;
      deliveryId?: string | null;
      uuid?: string;
      path?: string;
      rawBody?: string;
    },
  ): Promise<Response>;
  work(): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Serves whatever app `holder` holds on a free local port; resolves to its URL and a stop function. */
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
  return { url, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function createGitlabBed(options: { http?: boolean } = {}): Promise<GitlabBed> {
  const gitlab = await startFakeGitlab();
  const database = await createTestDatabase();
  const holder: { app?: ReturnType<typeof createApp> } = {};
  const served = options.http ? await serveApp(holder) : null;
  const url = served?.url ?? "https://terragate.test";
  const config = loadConfig({
    TERRAGATE_URL: url,
    DATABASE_URL: database.url,
    GITLAB_URL: gitlab.url,
    TERRAGATE_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: "silent",
  });
  const deps: JobDeps = {
    config,
    database: database.client,
    logger: createLogger({ LOG_LEVEL: "silent" }),
    encryptionKey: Buffer.alloc(32, 7),
  };
  const pool: pg.Pool = createPgPool(database.url, { max: 4, applicationName: "terragate-test-worker" });
  const taskList = createTaskList(deps);
  const bed: GitlabBed = {
    url,
    gitlab,
    database,
    config,
    deps,
    app: createApp(deps),
    connect: (input) =>
      database.client.db.transaction((tx) =>
        saveGitlabConnection(tx, {
          instanceUrl: gitlab.url,
          kind: input.kind,
          namespaceId: String(input.id),
          fullPath: input.path,
          accessTokenSealed: seal(
            deps.encryptionKey,
            Buffer.from(input.token ?? "glpat-test"),
            gitlabTokenContext(gitlab.url, input.id),
          ),
          webhookSecretHash: hashWebhookSecret(input.secret),
          hookId: null,
          botUserId: input.botUserId ?? 900,
          botUsername: "group_bot",
          tokenExpiresAt: null,
        }),
      ),
    send: (hook, payload, options = {}) => {
      const headers: Record<string, string> = { "content-type": "application/json", "x-gitlab-event": hook };
      if (options.token !== null) headers["x-gitlab-token"] = options.token ?? "secret";
      if (options.deliveryId !== null) headers["idempotency-key"] = options.deliveryId ?? randomUUID();
      if (options.uuid) headers["x-gitlab-event-uuid"] = options.uuid;
      return Promise.resolve(
        bed.app.request(options.path ?? "/api/v1/gitlab/events", {
          method: "POST",
          body: options.rawBody ?? JSON.stringify(payload),
          headers,
        }),
      );
    },
    work: () => drainJobs(pool, taskList, database.client.sql),
    async reset() {
      const fresh = new FakeGitlabState();
      Object.assign(gitlab.state, fresh);
      await database.reset();
      // A fresh app: the webhook secrets the last one cached belonged to the rows just emptied.
      bed.app = createApp(deps);
      holder.app = bed.app;
    },
    async close() {
      await served?.stop();
      await pool.end();
      await database.close();
      await gitlab.close();
    },
  };
  holder.app = bed.app;
  return bed;
}
