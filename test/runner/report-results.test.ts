// Reporting against the fake GitHub: check runs and the PR comment from real runs, dead runs, automerge.
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { locks, workManifests } from "../../src/db/schema/index.ts";
import { type ProviderFor, reportResults } from "../../src/jobs/report-results.ts";
import { handleRunDied } from "../../src/jobs/run-died.ts";
import { sweepRuns } from "../../src/jobs/sweep-runs.ts";
import type { JobDeps } from "../../src/jobs/task-list.ts";
import { runManifest } from "../../src/runner/run-manifest.ts";
import { createGithubClients } from "../../src/vcs/github/clients.ts";
import type { WorkflowJobEvent } from "../../src/vcs/types.ts";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import {
  createTerraformRepo,
  git,
  insertManifest,
  runnerEnv,
  startTestServer,
  type TerraformRepo,
  type TestServer,
  terraformRoot,
} from "./runner-fixtures.ts";

let database: TestDatabase;
let server: TestServer;
let repo: TerraformRepo;
let github: FakeGithub;
let deps: JobDeps;
let providerFor: ProviderFor;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestServer(database.client);
  repo = await createTerraformRepo({
    "infra/a": terraformRoot("a", 3),
    "infra/broken": 'resource "terraform_data" "x" {\n  input = undefined_thing.value\n}\n',
  });
  github = await startFakeGithub();
  const fakeRepo = github.state.addRepo({ owner: "acme", name: "infra-1296269", installationId: 42 });
  github.state.commit("acme/infra-1296269", "main", { "README.md": "" });
  github.state.commit("acme/infra-1296269", "feature", { "infra/a/main.tf": "" });
  github.state.openPullRequest("acme/infra-1296269", {
    number: 7,
    author: "alice",
    base: "main",
    head: "feature",
    files: ["infra/a/main.tf"],
  });
  fakeRepo.permissions.set("alice", "admin");
  const clients = createGithubClients({
    credentials: {
      appId: "1",
      privateKey: testAppPrivateKey(),
      webhookSecret: "s",
      slug: null,
      source: "env",
    },
    apiUrl: github.url,
    logger: pino({ level: "silent" }),
  });
  providerFor = async (installation, owner, name) =>
    clients.providerFor(installation.externalId, owner, name);
  deps = {
    config: loadConfig({ TERRAGATE_URL: "https://terragate.example.com", GITHUB_API_URL: github.url }),
    database: database.client,
    logger: pino({ level: "silent" }),
    encryptionKey: server.encryptionKey,
  };
});

afterAll(async () => {
  await github?.close();
  await server?.close();
  await database?.close();
});

beforeEach(async () => {
  await database.reset();
  await git(repo.root, ["checkout", "-q", "main"]);
  const fake = github.state.repo("acme/infra-1296269");
  fake.checkRuns.length = 0;
  github.state.pull("acme/infra-1296269", 7).comments.length = 0;
});

async function runIt(manifestId: string, workToken: string) {
  return runManifest({
    apiUrl: server.url,
    vcs: "github",
    manifestId,
    credentials: [{ kind: "work-token", token: async () => workToken }],
    runId: "4242",
    repoRoot: repo.root,
    env: runnerEnv(repo.home),
    log: { info: () => {}, dirspace: () => {} },
  });
}

function checkRuns() {
  return github.state.repo("acme/infra-1296269").checkRuns;
}

function comments() {
  return github.state.botComments("acme/infra-1296269", 7);
}

describe("report-results", () => {
  it("completes a check run per dirspace and upserts one comment with the failure first", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }, { dir: "infra/broken" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    await runIt(inserted.manifestId, inserted.workToken);
    await reportResults(deps, providerFor, inserted.manifestId);

    const byName = new Map(checkRuns().map((check) => [check.name, check]));
    expect(byName.get("terragate plan: infra/a (default)")).toMatchObject({
      status: "completed",
      conclusion: "success",
      title: "+3 ~0 -0",
      headSha: repo.headSha,
    });
    expect(byName.get("terragate plan: infra/broken (default)")).toMatchObject({
      conclusion: "failure",
      title: "failed at plan",
    });
    expect(byName.get("terragate plan: infra/a (default)")!.text).toContain("Plan: 3 to add");
    const [comment, ...others] = comments();
    expect(others).toEqual([]);
    expect(comment!.body.startsWith("<!-- terragate:plan:pr-7 -->")).toBe(true);
    expect(comment!.body).toContain("Plan: 3 to add, 0 to change, 0 to destroy.");
    expect(comment!.body.indexOf("infra/broken</code>")).toBeLessThan(
      comment!.body.indexOf("<code>infra/a</code>"),
    );
    expect(comment!.body).toContain("[run](https://github.com/acme/infra-1296269/actions/runs/4242)");

    // A retried job edits what it made instead of adding more.
    await reportResults(deps, providerFor, inserted.manifestId);
    expect(checkRuns()).toHaveLength(2);
    expect(comments()).toHaveLength(1);
  });

  it("fails a run that stopped reporting, releases its unused lock, and tells the PR", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "apply",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    await database.client.db
      .update(workManifests)
      .set({ state: "running", startedAt: new Date(Date.now() - 4 * 3600_000), runId: "77" })
      .where(eq(workManifests.id, inserted.manifestId));
    await database.client.db.insert(locks).values({
      installationId: inserted.installationId,
      repositoryId: inserted.repositoryId,
      dir: "infra/a",
      workspace: "default",
      pullRequestId: inserted.pullRequestId,
      workManifestId: inserted.manifestId,
    });
    const swept = await sweepRuns(database.client.db, { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 180 });
    expect(swept.failed).toEqual([inserted.manifestId]);
    const [manifest] = await database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, inserted.manifestId));
    expect(manifest!.state).toBe("failed");
    expect(manifest!.failureReason).toMatch(/never reported results/);
    expect(await database.client.db.select().from(locks)).toEqual([]);

    await reportResults(deps, providerFor, inserted.manifestId);
    expect(checkRuns()[0]).toMatchObject({
      name: "terragate apply: infra/a (default)",
      conclusion: "failure",
    });
    expect(checkRuns()[0]!.summary).toMatch(/never reported results/);
    const body = comments()[0]!.body;
    expect(body.startsWith("<!-- terragate:apply:pr-7 -->")).toBe(true);
    expect(body).toMatch(/never reported results/);
    expect(body).toContain("Comment `terragate plan`, then `terragate apply`, to try again");

    // A second sweep finds nothing more to do.
    expect(
      (await sweepRuns(database.client.db, { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 180 })).failed,
    ).toEqual([]);
  });

  it("fails the manifest of a CI run that was cancelled", async () => {
    const inserted = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    await database.client.db
      .update(workManifests)
      .set({ runId: "555" })
      .where(eq(workManifests.id, inserted.manifestId));
    const event: WorkflowJobEvent = {
      type: "workflow_job",
      source: "workflow_job",
      action: "completed",
      installation: { vcs: "github", externalId: "42", accountLogin: "acme", accountType: "Organization" },
      repo: {
        externalId: "1296269",
        owner: "acme",
        name: "infra-1296269",
        fullName: "acme/infra-1296269",
        defaultBranch: "main",
        private: true,
      },
      runId: "555",
      runAttempt: 1,
      runUrl: "https://github.com/acme/infra-1296269/actions/runs/555",
      name: "terragate",
      workflowPath: ".github/workflows/terragate.yml",
      headSha: repo.baseSha,
      conclusion: "cancelled",
    };
    expect(await handleRunDied(deps, { ...event, conclusion: "success" })).toEqual([]);
    expect(await handleRunDied(deps, { ...event, runId: "556" })).toEqual([]);
    expect(await handleRunDied(deps, event)).toEqual([inserted.manifestId]);
    const [manifest] = await database.client.db
      .select()
      .from(workManifests)
      .where(eq(workManifests.id, inserted.manifestId));
    expect(manifest!.state).toBe("failed");
    expect(manifest!.failureReason).toContain('ended with "cancelled"');
  });

  async function planAndApply(runConfig?: Record<string, unknown>) {
    const planned = await insertManifest(database.client, {
      kind: "plan",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
    });
    await runIt(planned.manifestId, planned.workToken);
    const applying = await insertManifest(database.client, {
      kind: "apply",
      dirspaces: [{ dir: "infra/a" }],
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      ...(runConfig ? { runConfig } : {}),
    });
    await runIt(applying.manifestId, applying.workToken);
    return applying.manifestId;
  }

  it("does not automerge when only the PR's own config turns automerge on", async () => {
    const pull = github.state.pull("acme/infra-1296269", 7);
    pull.head.sha = repo.headSha;
    github.state.commits.set(
      repo.headSha,
      new Map([[".terragate/config.yml", "version: 1\nautomerge:\n  enabled: true\n"]]),
    );
    await reportResults(deps, providerFor, await planAndApply());
    expect(pull.merged).toBe(false);
  });

  it("merges at the applied head when the default branch turns automerge on, and never after a push", async () => {
    github.state.commit("acme/infra-1296269", "main", {
      ".terragate/config.yml": "version: 1\nautomerge:\n  enabled: true\n",
    });
    const pull = github.state.pull("acme/infra-1296269", 7);
    // Someone pushes after the apply: the merge must not take the unapplied commit.
    pull.head.sha = "f".repeat(40);
    const applied = await planAndApply();
    await reportResults(deps, providerFor, applied);
    expect(pull.merged).toBe(false);
    expect(comments().at(-1)?.body).toContain("automerge could not merge this PR: Head branch was modified");

    pull.head.sha = repo.headSha;
    await reportResults(deps, providerFor, applied);
    expect(pull.merged).toBe(true);
    expect(pull.mergedWith).toEqual({ strategy: "squash", sha: repo.headSha });
    expect(comments().find((c) => c.body.startsWith("<!-- terragate:apply:pr-7 -->"))!.body).toMatch(
      /Apply: \d+ added, 0 changed, 0 destroyed\./,
    );
  });

  it("merges by the automerge settings stored with the manifest when the run was asked for", async () => {
    // The default branch has no config now; the apply was asked for while it said rebase-merge.
    const pull = github.state.pull("acme/infra-1296269", 7);
    Object.assign(pull, { state: "open", merged: false, mergedWith: undefined });
    pull.head.sha = repo.headSha;
    const applied = await planAndApply({
      parallelism: 4,
      automerge: { enabled: true, merge_strategy: "rebase", delete_branch: false },
    });
    await reportResults(deps, providerFor, applied);
    expect(pull.merged).toBe(true);
    expect(pull.mergedWith).toEqual({ strategy: "rebase", sha: repo.headSha });
  });
});
