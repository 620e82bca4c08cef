// Connecting GitLab: `terragate gitlab connect` and POST /api/v1/gitlab/installations against the fake GitLab.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { gitlabTokenContext } from "../../src/api/gitlab/connect-installation.ts";
import { runGitlabCommand } from "../../src/cli/gitlab.ts";
import { loadConfig } from "../../src/config/env.ts";
import { unseal } from "../../src/crypto/seal.ts";
import { gitlabConnections, installations } from "../../src/db/schema/index.ts";
import type { FakeGroup, FakeProject } from "../fakes/gitlab/state.ts";
import { adminToken, createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { project as hookProject, mergeRequestHook } from "./payloads.ts";

let bed: GitlabBed;
let group: FakeGroup;
let infra: FakeProject;

beforeAll(async () => {
  bed = await createGitlabBed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
  const { state } = bed.gitlab;
  const bot = state.addUser("group_acme_bot", { bot: true });
  state.addToken("glpat-good", bot.username, { expiresAt: "2099-01-01" });
  state.addToken("glpat-read", bot.username, { scopes: ["read_api"] });
  state.addToken("glpat-revoked", bot.username, { revoked: true });
  group = state.addGroup("acme");
  group.members.set(bot.id, 50);
  infra = state.addProject("acme/infra");
  const solo = state.addProject("solo/app");
  const soloBot = state.addUser("project_solo_bot", { bot: true });
  state.addToken("glpat-solo", soloBot.username);
  solo.members.set(soloBot.id, 30);
});

function connect(body: unknown, token: string | null = adminToken) {
  return bed.app.request("/api/v1/gitlab/installations", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

async function rows() {
  const db = bed.database.client.db;
  return {
    installations: await db.select().from(installations),
    connections: await db.select().from(gitlabConnections),
  };
}

describe("POST /api/v1/gitlab/installations", () => {
  it("verifies the token, creates the group webhook with a secret, stores the token sealed, and the webhook then delivers", async () => {
    const response = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(body["installation"]).toMatchObject({
      id: String(group.id),
      ref: `gitlab:${group.id}`,
      kind: "group",
      path: "acme",
    });
    expect(body["webhook"]).toMatchObject({
      action: "created",
      url: "https://terragate.test/api/v1/gitlab/events",
    });

    const [hook] = group.hooks;
    expect(hook).toMatchObject({
      url: "https://terragate.test/api/v1/gitlab/events",
      enableSslVerification: true,
    });
    expect(hook?.events).toMatchObject({
      merge_requests_events: true,
      note_events: true,
      pipeline_events: true,
      job_events: true,
      push_events: true,
      issues_events: false,
    });
    expect(hook?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const stored = await rows();
    expect(stored.installations).toEqual([
      expect.objectContaining({
        vcs: "gitlab",
        externalId: String(group.id),
        accountLogin: "acme",
        accountType: "Group",
      }),
    ]);
    const sealed = stored.installations[0]?.accessTokenSealed as Buffer;
    expect(sealed.includes(Buffer.from("glpat-good"))).toBe(false);
    expect(
      unseal(bed.deps.encryptionKey, sealed, gitlabTokenContext(bed.gitlab.url, group.id)).toString(),
    ).toBe("glpat-good");
    expect(stored.connections[0]).toMatchObject({
      kind: "group",
      fullPath: "acme",
      hookId: hook?.id,
      botUsername: "group_acme_bot",
      tokenExpiresAt: "2099-01-01",
    });

    const payload = mergeRequestHook({
      action: "open",
      project: hookProject({ id: infra.id, path_with_namespace: "acme/infra" }),
    });
    expect((await bed.send("Merge Request Hook", payload, { token: hook?.token ?? "" })).status).toBe(202);
  });

  it("updates the same webhook when run again, and the old secret stops working", async () => {
    expect((await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" })).status).toBe(201);
    const oldSecret = group.hooks[0]?.token ?? "";
    const again = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" });
    expect(((await again.json()) as { webhook: { action: string } }).webhook.action).toBe("updated");
    expect(group.hooks).toHaveLength(1);
    expect(group.hooks[0]?.token).not.toBe(oldSecret);
    expect((await rows()).installations).toHaveLength(1);
    bed.renewApp();
    const payload = mergeRequestHook({
      action: "open",
      project: hookProject({ id: infra.id, path_with_namespace: "acme/infra" }),
    });
    expect((await bed.send("Merge Request Hook", payload, { token: oldSecret })).status).toBe(401);
    expect(
      (await bed.send("Merge Request Hook", payload, { token: group.hooks[0]?.token ?? "" })).status,
    ).toBe(202);
  });

  it("is for the server's admin only: no token, a wrong token or an API access token get 401, and nothing happens", async () => {
    for (const token of [null, "wrong", "tgk_notAnAdminToken"]) {
      const response = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" }, token);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
    }
    expect(group.hooks).toEqual([]);
    expect(bed.gitlab.state.requests).toEqual([]);
    expect((await rows()).installations).toEqual([]);
  });

  it("answers 403 with how to turn admin routes on when TERRAGATE_ADMIN_TOKEN is unset", async () => {
    const config = loadConfig({
      TERRAGATE_URL: "https://terragate.test",
      DATABASE_URL: bed.database.url,
      LOG_LEVEL: "silent",
    });
    const app = createApp({ ...bed.deps, config });
    const response = await app.request("/api/v1/gitlab/installations", {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ group: "acme", token: "glpat-good" }),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/TERRAGATE_ADMIN_TOKEN/);
  });

  it("rejects bad bodies naming the field", async () => {
    const both = await connect({ group: "acme", project: "acme/infra", token: "t" });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({
      error: { code: "validation_failed", details: [{ path: "group" }] },
    });
    for (const body of [
      { group: "../etc", token: "t" },
      { group: "acme", token: "t", extra: 1 },
      { project: "a b", token: "t" },
    ]) {
      const response = await connect(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "validation_failed" } });
    }
    expect(bed.gitlab.state.requests).toEqual([]);
  });

  it("refuses a token without the api scope, or a revoked one, before touching the group", async () => {
    const readOnly = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-read" });
    expect(readOnly.status).toBe(400);
    expect(await readOnly.text()).toMatch(/needs the api scope/);
    const revoked = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-revoked" });
    expect(revoked.status).toBe(400);
    expect(await revoked.text()).toMatch(/refused the token/);
    expect(group.hooks).toEqual([]);
    expect((await rows()).installations).toEqual([]);
  });

  it("refuses a project inside a connected group (every event would arrive twice), without creating its hook", async () => {
    expect((await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" })).status).toBe(201);
    const response = await connect({ url: bed.gitlab.url, project: "acme/infra", token: "glpat-good" });
    expect(response.status).toBe(409);
    expect(await response.text()).toMatch(/overlaps the connected group acme/);
    expect(infra.hooks).toEqual([]);
  });

  it("names the role a project token lacks to manage webhooks", async () => {
    const response = await connect({ url: bed.gitlab.url, project: "solo/app", token: "glpat-solo" });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Maintainer role/);
    expect((await rows()).installations).toEqual([]);
  });

  it("stores nothing when GitLab fails while creating the webhook, and a second run succeeds", async () => {
    bed.gitlab.state.fail({ method: "POST", pathPattern: /\/hooks$/, status: 503, times: 10 });
    const failed = await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" });
    expect(failed.status).toBe(502);
    expect((await rows()).installations).toEqual([]);
    bed.gitlab.state.failures = [];
    expect((await connect({ url: bed.gitlab.url, group: "acme", token: "glpat-good" })).status).toBe(201);
    expect(group.hooks).toHaveLength(1);
  });
});

describe("terragate gitlab connect", () => {
  function cliConfig() {
    return loadConfig({
      TERRAGATE_URL: "https://terragate.test",
      DATABASE_URL: bed.database.url,
      TERRAGATE_ENCRYPTION_KEY: bed.deps.encryptionKey.toString("base64"),
      GITLAB_URL: bed.gitlab.url,
      LOG_LEVEL: "silent",
    });
  }

  async function run(args: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runGitlabCommand(args, {
      config: cliConfig(),
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    });
    return { code, stdout, stderr };
  }

  it("connects a project and prints what it did", async () => {
    infra.members.set(bed.gitlab.state.user("group_acme_bot").id, 40);
    group.members.delete(bed.gitlab.state.user("group_acme_bot").id);
    const result = await run(["connect", "--project", "acme/infra", "--token", "glpat-good"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Connected project acme/infra (id ${infra.id})`);
    expect(result.stdout).toContain(`as installation gitlab:${infra.id}`);
    expect(result.stdout).toMatch(
      /Created the project webhook \d+ → https:\/\/terragate.test\/api\/v1\/gitlab\/events/,
    );
    expect(infra.hooks[0]?.pushEventsBranchFilter).toBe("main");
    expect((await rows()).connections[0]).toMatchObject({ kind: "project", fullPath: "acme/infra" });
  });

  it("explains bad arguments with exit code 2 and GitLab's refusals with exit code 1", async () => {
    const neither = await run(["connect", "--token", "x"]);
    expect(neither).toMatchObject({ code: 2 });
    expect(neither.stderr).toMatch(/exactly one of --group PATH or --project PATH/);
    expect((await run(["connect", "--group", "acme"])).stderr).toMatch(/--token is required/);
    const refused = await run(["connect", "--group", "acme", "--token", "glpat-read"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs the api scope/);
    expect((await run(["disconnect"])).code).toBe(2);
    expect(
      (await bed.database.client.db.select().from(installations).where(eq(installations.vcs, "gitlab")))
        .length,
    ).toBe(0);
  });
});
