// A GitLab test bed: fake GitLab, a migrated test database, the real app and task list, hooks sent as GitLab sends them.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { createApp } from "../../src/api/app.ts";
import { hashWebhookSecret } from "../../src/api/gitlab/connection-cache.ts";
import { type Config, loadConfig } from "../../src/config/env.ts";
import { seal } from "../../src/crypto/seal.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { saveGitlabConnection } from "../../src/db/queries/gitlab-connections.ts";
import { createTaskList, type JobDeps } from "../../src/jobs/task-list.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import { FakeGitlabState } from "../fakes/gitlab/state.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { drainJobs } from "../harness/drain-jobs.ts";

export const adminToken = "test-admin-token-0123456789abcdef0123456789";

export interface GitlabBed {
  gitlab: FakeGitlab;
  database: TestDatabase;
  config: Config;
  deps: JobDeps;
  app: ReturnType<typeof createApp>;
  /** Stores a connected group or project whose webhook secret is `secret`; returns the installation id. */
  connect(input: { kind: "group" | "project"; id: number; path: string; secret: string }): Promise<number>;
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

export async function createGitlabBed(): Promise<GitlabBed> {
  const gitlab = await startFakeGitlab();
  const database = await createTestDatabase();
  const config = loadConfig({
    TERRAGATE_URL: "https://terragate.test",
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
          accessTokenSealed: seal(deps.encryptionKey, Buffer.from("glpat-test"), `gitlab:${input.id}`),
          webhookSecretHash: hashWebhookSecret(input.secret),
          hookId: null,
          botUserId: 900,
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
    },
    async close() {
      await pool.end();
      await database.close();
      await gitlab.close();
    },
  };
  return bed;
}
