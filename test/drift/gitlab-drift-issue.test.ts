// The drift issue on GitLab: the same report through the GitLab provider's project issue calls (real gitbeaker, fake GitLab).
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import {
  installations,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../../src/db/schema/index.ts";
import { reportDrift } from "../../src/jobs/report-drift.ts";
import { createGitlabClient } from "../../src/vcs/gitlab/client.ts";
import { createGitlabProvider } from "../../src/vcs/gitlab/provider.ts";
import { platformFor } from "../../src/vcs/registry.ts";
import type { VcsProvider } from "../../src/vcs/types.ts";
import { projectIssues } from "../fakes/gitlab/routes-issues.ts";
import { type FakeGitlab, startFakeGitlab } from "../fakes/gitlab/server.ts";
import type { FakeProject } from "../fakes/gitlab/state.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let gitlab: FakeGitlab;
let project: FakeProject;
let provider: VcsProvider;
let database: TestDatabase;
let target: { repositoryId: number; installationId: number; fullName: string; defaultBranch: string };

beforeAll(async () => {
  gitlab = await startFakeGitlab();
  const bot = gitlab.state.addUser("group_7_bot_drift", { bot: true });
  gitlab.state.addToken("glpat-drift", bot.username);
  project = gitlab.state.addProject("acme/infra", { files: { "live/vpc/main.tf": "" } });
  project.members.set(bot.id, 40);
  const client = createGitlabClient({
    url: gitlab.url,
    token: "glpat-drift",
    retry: { attempts: 2, baseDelayMs: 1 },
  });
  provider = createGitlabProvider({
    client,
    projectId: String(project.id),
    projectPath: project.path,
    botUserId: bot.id,
  });
  database = await createTestDatabase();
  const { db } = database.client;
  const [installation] = await db
    .insert(installations)
    .values({ vcs: "gitlab", externalId: "7", accountLogin: "acme" })
    .returning();
  const [repository] = await db
    .insert(repositories)
    .values({
      installationId: installation!.id,
      vcs: "gitlab",
      externalId: String(project.id),
      owner: "acme",
      name: "infra",
      fullName: "acme/infra",
    })
    .returning();
  target = {
    repositoryId: repository!.id,
    installationId: installation!.id,
    fullName: "acme/infra",
    defaultBranch: "main",
  };
});

afterAll(async () => {
  await database?.close();
  await gitlab?.close();
});

let runs = 0;

/** A finished drift run of live/vpc whose plan found `add` resources to create (0: in sync). */
async function driftRun(add: number): Promise<void> {
  const { db } = database.client;
  const [manifest] = await db
    .insert(workManifests)
    .values({
      installationId: target.installationId,
      repositoryId: target.repositoryId,
      vcs: "gitlab",
      kind: "drift",
      state: "completed",
      baseRef: "main",
      baseSha: "d".repeat(40),
      headRef: "main",
      headSha: "d".repeat(40),
      requestedBy: "schedule:nightly",
      completedAt: new Date(Date.UTC(2026, 2, 1) + ++runs * 60_000),
    })
    .returning();
  await db.insert(workManifestDirspaces).values({
    workManifestId: manifest!.id,
    installationId: target.installationId,
    dir: "live/vpc",
    workspace: "default",
    state: "success",
    success: true,
    hasChanges: add > 0,
    summary: { add, change: 0, destroy: 0, import: 0 },
    steps: [
      {
        name: "plan",
        success: true,
        exit_code: 0,
        output: `Plan: ${add} to add, 0 to change, 0 to destroy.`,
      },
    ],
  });
}

const deps = () => ({
  config: loadConfig({ TERRAGATE_URL: "https://terragate.test", LOG_LEVEL: "silent" }),
  database: database.client,
  logger: pino({ level: "silent" }),
});

describe("the drift issue on GitLab", () => {
  it("opens a project issue, rewrites the same one, and closes it when back in sync", async () => {
    await driftRun(2);
    expect(await reportDrift(deps(), provider, platformFor("gitlab"), target)).toBe("publish");
    let issues = [...projectIssues(project).values()];
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ title: "Terragate: drift in acme/infra", state: "opened" });
    expect(issues[0]!.description).toContain("| `live/vpc` (default) | drifted (+2 ~0 −0) | 2 | 0 | 0 |");

    await driftRun(3);
    await reportDrift(deps(), provider, platformFor("gitlab"), target);
    issues = [...projectIssues(project).values()];
    expect(issues).toHaveLength(1);
    expect(issues[0]!.description).toContain("drifted (+3 ~0 −0)");

    await driftRun(0);
    expect(await reportDrift(deps(), provider, platformFor("gitlab"), target)).toBe("close");
    issues = [...projectIssues(project).values()];
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ state: "closed" });
    expect(issues[0]!.description).toContain("No drift in `acme/infra`");
  });
});
