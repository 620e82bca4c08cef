// A GitLab token that expires soon or was revoked: MR notes say how to reconnect, the installation is marked broken.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { webhookDeliveries } from "../../src/db/schema/index.ts";
import type { FakeProject } from "../fakes/gitlab/state.ts";
import { createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import { project as hookProject, mergeRequestHook } from "./payloads.ts";

let bed: GitlabBed;
let project: FakeProject;
let groupId: number;
let botId: number;
const token = "glpat-bot";

beforeAll(async () => {
  bed = await createGitlabBed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
  const { state } = bed.gitlab;
  const bot = state.addUser("terragate_bot", { bot: true });
  botId = bot.id;
  state.addToken(token, bot.username);
  state.addUser("alice");
  const group = state.addGroup("acme");
  groupId = group.id;
  group.members.set(bot.id, 50);
  group.members.set(state.user("alice").id, 40);
  project = state.addProject("acme/infra", { files: { ".gitlab-ci.yml": "", "main.tf": "" } });
  state.commit(project, "feature", { ".gitlab-ci.yml": "", "main.tf": "# changed" });
  state.openMergeRequest(project, { iid: 1, author: "alice", sourceBranch: "feature" });
});

async function openMergeRequest(): Promise<void> {
  const hook = mergeRequestHook({
    action: "open",
    iid: 1,
    project: hookProject({ id: project.id, path_with_namespace: project.path }),
  });
  expect((await bed.send("Merge Request Hook", hook)).status).toBe(202);
  await bed.work();
}

function tokenNote(): string | undefined {
  return project.mergeRequests
    .get(1)
    ?.notes.find((note) => note.authorId === botId && note.body.includes("terragate:gitlab-token:pr-1"))
    ?.body;
}

describe("a GitLab installation's token", () => {
  it("expiring within two weeks: the MR gets a note saying how to reconnect, and still runs", async () => {
    const soon = new Date(Date.now() + 3 * 24 * 3600_000).toISOString().slice(0, 10);
    await bed.connect({
      kind: "group",
      id: groupId,
      path: "acme",
      secret: "secret",
      token,
      botUserId: botId,
      tokenExpiresAt: soon,
    });
    await openMergeRequest();
    expect(tokenNote()).toContain(`expires on ${soon}`);
    expect(tokenNote()).toContain(
      `terragate gitlab connect --url ${bed.gitlab.url} --group acme --token <token>`,
    );
    expect(project.pipelines).toHaveLength(1);
  });

  it("far from expiry: no note", async () => {
    await bed.connect({
      kind: "group",
      id: groupId,
      path: "acme",
      secret: "secret",
      token,
      botUserId: botId,
      tokenExpiresAt: "2099-01-01",
    });
    await openMergeRequest();
    expect(tokenNote()).toBeUndefined();
    expect(project.pipelines).toHaveLength(1);
  });

  it("revoked: the installation is marked broken, the health endpoint and the log say which and how to reconnect", async () => {
    await bed.connect({
      kind: "group",
      id: groupId,
      path: "acme",
      secret: "secret",
      token,
      botUserId: botId,
    });
    bed.gitlab.state.tokens.get(token)!.revoked = true;
    await openMergeRequest();
    const [delivery] = await bed.database.client.db.select().from(webhookDeliveries);
    expect(delivery?.processedAt).not.toBeNull();
    expect(delivery?.error).toMatch(/401.*terragate gitlab connect/);
    expect(project.pipelines).toHaveLength(0);

    const health = (await (await bed.app.request("/health")).json()) as { broken_installations: unknown[] };
    expect(health.broken_installations).toEqual([
      expect.objectContaining({
        installation: `gitlab:${groupId}`,
        kind: "group",
        path: "acme",
        reason: expect.stringMatching(/refused.*terragate gitlab connect/),
      }),
    ]);
    expect(bed.logs.map((line) => line["msg"])).toContainEqual(
      expect.stringMatching(new RegExp(`installation gitlab:${groupId} is broken; .*--group acme`)),
    );

    // Connecting again (a new token) clears it.
    bed.gitlab.state.addToken("glpat-new", "terragate_bot");
    await bed.connect({
      kind: "group",
      id: groupId,
      path: "acme",
      secret: "secret",
      token: "glpat-new",
      botUserId: botId,
    });
    const after = (await (await bed.app.request("/health")).json()) as { broken_installations: unknown[] };
    expect(after.broken_installations).toEqual([]);
  });
});
