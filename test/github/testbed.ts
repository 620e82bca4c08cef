// The GitHub test bed: the shared app bed (database, app, task list; served over HTTP with `serve`, as the
// end-to-end tests need) with a fake GitHub and webhook deliveries signed as GitHub signs them.
import { createHmac, randomUUID } from "node:crypto";
import type { DashboardOptions } from "../../src/dashboard/dashboard.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { FakeGithubState } from "../fakes/github/state.ts";
import { type AppBed, createAppBed } from "../harness/app-bed.ts";
import { installationId, repoFullName } from "./payloads.ts";

export const webhookSecret = "test-webhook-secret";

export interface Testbed extends AppBed {
  github: FakeGithub;
  /** Sends a delivery signed like GitHub signs it; returns the HTTP status. */
  send(event: string, payload: unknown, options?: { deliveryId?: string; secret?: string }): Promise<number>;
  /** Fresh fake state and empty tables, between tests. */
  reset(): Promise<void>;
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

export async function createTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const github = await startFakeGithub();
  const core = await createAppBed({
    ...(options.serve ? { serve: true } : {}),
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    env: (databaseUrl) => ({
      APP_ID: "1",
      PRIVATE_KEY: testAppPrivateKey(),
      WEBHOOK_SECRET: webhookSecret,
      GITHUB_API_URL: github.url,
      DATABASE_URL: databaseUrl,
      ...options.env?.(github.url),
    }),
  });
  const testbed: Testbed = {
    ...core,
    github,
    get app() {
      return core.app;
    },
    async send(event, payload, sendOptions = {}) {
      const body = JSON.stringify(payload);
      const response = await core.app.request("/api/github/v1/events", {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": sendOptions.deliveryId ?? randomUUID(),
          "x-hub-signature-256": sign(sendOptions.secret ?? webhookSecret, body),
        },
      });
      return response.status;
    },
    async reset() {
      const fresh = new FakeGithubState();
      for (const key of Object.keys(fresh) as Array<keyof FakeGithubState>) {
        (github.state as unknown as Record<string, unknown>)[key] = (
          fresh as unknown as Record<string, unknown>
        )[key];
      }
      await core.database.reset();
    },
    async close() {
      await core.close();
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
