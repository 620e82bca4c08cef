// The GitLab test bed: the shared app bed (database, app, task list; served with `http`) with a fake GitLab and hooks sent as GitLab sends them.
import { randomUUID } from "node:crypto";
import { hashWebhookSecret } from "../../src/api/gitlab/connection-cache.ts";
import { seal } from "../../src/crypto/seal.ts";
import { saveGitlabConnection } from "../../src/db/queries/gitlab-connections.ts";
import { gitlabTokenContext } from "../../src/vcs/gitlab/token.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import { FakeGitlabState } from "../fakes/gitlab/state.ts";
import { type AppBed, createAppBed } from "../harness/app-bed.ts";

export const adminToken = "test-admin-token-0123456789abcdef0123456789";

export interface GitlabBed extends AppBed {
  gitlab: FakeGitlab;
  /** Stores a connected group or project whose webhook secret is `secret`; returns the installation id. */
  connect(input: {
    kind: "group" | "project";
    id: number;
    path: string;
    secret: string;
    /** The access token stored for the installation (default glpat-test) and its user (default id 900). */
    token?: string;
    botUserId?: number;
    tokenExpiresAt?: string | null;
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
  reset(): Promise<void>;
}

export async function createGitlabBed(options: { http?: boolean } = {}): Promise<GitlabBed> {
  const gitlab = await startFakeGitlab();
  const core = await createAppBed({
    ...(options.http ? { serve: true } : {}),
    captureLogs: true,
    env: (databaseUrl) => ({
      DATABASE_URL: databaseUrl,
      GITLAB_URL: gitlab.url,
      TERRAGATE_ADMIN_TOKEN: adminToken,
      // Route sweeps send dozens of API requests within a second; the per-key limit has tests of its own.
      TERRAGATE_API_RATE_LIMIT: "10000",
    }),
  });
  const bed: GitlabBed = {
    ...core,
    gitlab,
    get app() {
      return core.app;
    },
    connect: (input) =>
      core.database.client.db.transaction((tx) =>
        saveGitlabConnection(tx, {
          instanceUrl: gitlab.url,
          kind: input.kind,
          namespaceId: String(input.id),
          fullPath: input.path,
          accessTokenSealed: seal(
            core.deps.encryptionKey,
            Buffer.from(input.token ?? "glpat-test"),
            gitlabTokenContext(gitlab.url, input.id),
          ),
          webhookSecretHash: hashWebhookSecret(input.secret),
          hookId: null,
          botUserId: input.botUserId ?? 900,
          botUsername: "group_bot",
          tokenExpiresAt: input.tokenExpiresAt ?? null,
        }),
      ),
    send: (hook, payload, sendOptions = {}) => {
      const headers: Record<string, string> = { "content-type": "application/json", "x-gitlab-event": hook };
      if (sendOptions.token !== null) headers["x-gitlab-token"] = sendOptions.token ?? "secret";
      if (sendOptions.deliveryId !== null)
        headers["idempotency-key"] = sendOptions.deliveryId ?? randomUUID();
      if (sendOptions.uuid) headers["x-gitlab-event-uuid"] = sendOptions.uuid;
      return Promise.resolve(
        core.app.request(sendOptions.path ?? "/api/v1/gitlab/events", {
          method: "POST",
          body: sendOptions.rawBody ?? JSON.stringify(payload),
          headers,
        }),
      );
    },
    async reset() {
      core.logs.length = 0;
      Object.assign(gitlab.state, new FakeGitlabState());
      await core.database.reset();
      // A fresh app: the webhook secrets the last one cached belonged to the rows just emptied.
      core.renewApp();
    },
    async close() {
      await core.close();
      await gitlab.close();
    },
  };
  return bed;
}
