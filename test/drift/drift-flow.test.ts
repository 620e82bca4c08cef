// Drift end to end: a fake clock fires a schedule → drift run dispatched → `terragate run` with real terraform on
// state changed behind terraform's back → the drift issue opened, updated, closed; reconcile refused under a PR's
// lock, then applied; a killed drift run failed by the sweeper without leaving a lock.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/db/queries/api-keys.ts";
import {
  installations,
  locks,
  pullRequests,
  repositories,
  workManifests,
} from "../../src/db/schema/index.ts";
import { scheduleDrift } from "../../src/jobs/drift-schedules.ts";
import { sweepRuns } from "../../src/jobs/sweep-runs.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { createE2eBed, type E2eBed, mirrorCommit, readState, startRunner } from "../e2e/e2e-bed.ts";
import type { FakeDispatch, FakeIssue } from "../fakes/github/state.ts";
import { pushEvent, repoFullName } from "../github/payloads.ts";
import { git, runnerEnv, terraformRoot } from "../runner/runner-fixtures.ts";

let bed: E2eBed;
let root: string;
let home: string;
/** The fake clock: each firing is the next day's 03:00. */
let day = 1;

const driftConfig = (options: { reconcile: boolean; slow?: boolean }) => `version: 1
drift:
  enabled: true
  reconcile: ${options.reconcile}
  schedules:
    nightly: { cron: "0 3 * * *", tag_query: "dir:infra/d" }
access_control:
  policies:
    - { tag_query: "", plan: [role:write], apply: [role:write], reconcile: [app] }
${options.slow ? 'workflows:\n  - tag_query: ""\n    plan: [{ type: run, cmd: ["sleep", "60"] }, { type: init }, { type: plan }]\n' : ""}`;

/** Commits the config on main, mirrors it to the fake GitHub and tells Terragate (push → refresh). */
async function pushMain(config: string): Promise<void> {
  await writeFile(path.join(root, ".terragate/config.yml"), config);
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "config"]);
  const sha = await mirrorCommit(bed.github, repoFullName, root, "main");
  expect(await bed.send("push", pushEvent(sha))).toBe(202);
  await bed.work();
}

/** The fake clock reaches the next 03:00: the schedule fires and its run is dispatched. */
async function fire(): Promise<FakeDispatch> {
  day++;
  const now = new Date(`2026-03-${String(day).padStart(2, "0")}T03:00:20Z`);
  const before = bed.github.state.dispatches.length;
  const result = await scheduleDrift(bed.database.client.db, now, bed.deps.logger);
  expect(result.started).toBe(1);
  await bed.work();
  expect(bed.github.state.dispatches).toHaveLength(before + 1);
  return bed.github.state.dispatches.at(-1)!;
}

async function runDrift(): Promise<{ exitCode: number | undefined; manifestId: string }> {
  const dispatch = await fire();
  const run = await startRunner(root, home, dispatch);
  await bed.work();
  return { exitCode: run.exitCode, manifestId: dispatch.inputs["work-manifest-id"]! };
}

function driftIssues(): FakeIssue[] {
  return [...bed.github.state.repo(repoFullName).issues.values()].filter((issue) =>
    issue.title.startsWith("Terragate: drift in"),
  );
}

async function terraform(args: string[]): Promise<void> {
  await execa("terraform", args, { cwd: path.join(root, "infra/d"), env: runnerEnv(home), extendEnv: false });
}

/** Changes the state behind terraform's back: the named resources are forgotten. */
async function forget(...names: string[]): Promise<void> {
  const file = path.join(root, "infra/d/terraform.tfstate");
  const state = JSON.parse(await readFile(file, "utf8")) as {
    serial: number;
    resources: Array<{ name: string }>;
  };
  state.resources = state.resources.filter((resource) => !names.includes(resource.name));
  state.serial++;
  await writeFile(file, JSON.stringify(state, null, 2));
}

/** GET under /api/v1/github/installations/42 with a fresh read-only access token. */
async function api<T>(path: string): Promise<T> {
  const [installation] = await bed.database.client.db.select().from(installations);
  const created = await createApiKey(bed.database.client.db, {
    installationId: installation!.id,
    name: "drift reader",
    capabilities: ["installation_read"],
    createdBy: "test",
  });
  const refreshed = await fetch(`${bed.url}/api/v1/access-token/refresh`, {
    method: "POST",
    headers: { authorization: `Bearer ${created.key}` },
  });
  const { access_token } = (await refreshed.json()) as { access_token: string };
  const response = await fetch(`${bed.url}/api/v1/github/installations/42${path}`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function driftApi(q: string): Promise<Array<{ dir: string; status: string; label: string }>> {
  return (
    await api<{ items: Array<{ dir: string; status: string; label: string }> }>(
      `/drift?q=${encodeURIComponent(q)}`,
    )
  ).items;
}

beforeAll(async () => {
  bed = await createE2eBed();
  const base = await mkdtemp(path.join(tmpdir(), "terragate-drift-"));
  root = path.join(base, "repo");
  home = path.join(base, "home");
  await mkdir(path.join(root, ".github/workflows"), { recursive: true });
  await mkdir(path.join(root, ".terragate"), { recursive: true });
  await mkdir(path.join(root, "infra/d"), { recursive: true });
  await mkdir(path.join(root, "infra/other"), { recursive: true });
  await mkdir(home, { recursive: true });
  await git(root, ["init", "-q", "-b", "main"]);
  await writeFile(path.join(root, ".github/workflows/terragate.yml"), `${workflowSnippet(bed.url)}\n`);
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  await writeFile(path.join(root, "infra/d/main.tf"), terraformRoot("d", 3));
  await writeFile(path.join(root, "infra/other/main.tf"), terraformRoot("other", 1));
  const fakeRepo = bed.github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
  fakeRepo.permissions.set("alice", "admin");
  await pushMain(driftConfig({ reconcile: false }));
  // The infrastructure as main describes it.
  await terraform(["init", "-input=false", "-no-color"]);
  await terraform(["apply", "-auto-approve", "-input=false", "-no-color"]);
});

afterAll(async () => {
  await bed?.close();
});

describe("drift detection end to end", { timeout: 180_000 }, () => {
  it("opens one issue for drift, updates it on the next run, and closes it once everything is back in sync", async () => {
    await forget("r1");
    const first = await runDrift();
    expect(first.exitCode).toBe(0);
    expect(
      (
        await bed.database.client.db
          .select()
          .from(workManifests)
          .where(eq(workManifests.id, first.manifestId))
      )[0],
    ).toMatchObject({ kind: "drift", state: "completed", pullRequestId: null });
    let issues = driftIssues();
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toMatchObject({ title: "Terragate: drift in acme/infra", state: "open", appId: 1 });
    expect(issue.body).toContain("| `infra/d` (default) | drifted (+1 ~0 −0) | 1 | 0 | 0 |");
    expect(issue.body).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");
    expect(issue.body).toContain('+   resource "terraform_data" "r1"');
    // Only what the schedule's tag query selects was planned.
    expect(issue.body).not.toContain("infra/other");
    expect(await driftApi("dir:infra/d")).toMatchObject([
      { dir: "infra/d", status: "drifted", label: "drifted (+1 ~0 −0)" },
    ]);
    expect(await driftApi("dir:infra/other")).toEqual([]);
    const runs = await api<{ items: Array<{ id: string; kind: string; pull_request: number | null }> }>(
      "/work-manifests?kind=drift",
    );
    expect(runs.items).toEqual([
      expect.objectContaining({ id: first.manifestId, kind: "drift", pull_request: null }),
    ]);
    expect((await api<{ items: unknown[] }>("/work-manifests?kind=plan")).items).toEqual([]);
    // Drift takes no lock.
    expect(await bed.database.client.db.select().from(locks)).toEqual([]);

    await forget("r2");
    expect((await runDrift()).exitCode).toBe(0);
    issues = driftIssues();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.number).toBe(issue.number);
    expect(issues[0]!.body).toContain("| `infra/d` (default) | drifted (+2 ~0 −0) | 2 | 0 | 0 |");

    // Someone applies main again by hand: back in sync, and the issue closes.
    await terraform(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect((await runDrift()).exitCode).toBe(0);
    issues = driftIssues();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ number: issue.number, state: "closed" });
    expect(issues[0]!.body).toContain("No drift in `acme/infra`");
    expect(await driftApi("")).toMatchObject([{ dir: "infra/d", status: "in_sync", label: "in sync" }]);
  });

  it("reconciles only where allowed, never while a pull request holds the lock", async () => {
    await pushMain(driftConfig({ reconcile: true }));
    await forget("r0");
    // A PR holds infra/d's lock (it applied there and has not merged yet).
    const [repository] = await bed.database.client.db.select().from(repositories);
    const [pull] = await bed.database.client.db
      .insert(pullRequests)
      .values({
        installationId: repository!.installationId,
        repositoryId: repository!.id,
        number: 7,
        author: "alice",
        baseBranch: "main",
        baseSha: "0".repeat(40),
        headBranch: "feature-7",
        headSha: "1".repeat(40),
      })
      .returning();
    await bed.database.client.db.insert(locks).values({
      installationId: repository!.installationId,
      repositoryId: repository!.id,
      dir: "infra/d",
      workspace: "default",
      pullRequestId: pull!.id,
    });
    const refused = await runDrift();
    expect(refused.exitCode).toBe(1);
    expect((await readState(root, "infra/d")).resources.map((r) => r.name).sort()).toEqual(["r1", "r2"]);
    const reopened = driftIssues();
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.state).toBe("open");
    expect(reopened[0]!.body).toMatch(
      /drifted \(\+1 ~0 −0\) — not reconciled: .*pull request #7 holds its lock/,
    );
    // The PR's lock is the PR's: drift neither took nor released it.
    expect(
      await bed.database.client.db.select({ dir: locks.dir, pr: locks.pullRequestId }).from(locks),
    ).toEqual([{ dir: "infra/d", pr: pull!.id }]);

    // The PR merged: its lock is gone, and the next drift run applies the drift plan on main.
    await bed.database.client.db.delete(locks);
    const applied = await runDrift();
    expect(applied.exitCode).toBe(0);
    expect((await readState(root, "infra/d")).resources.map((r) => r.name).sort()).toEqual([
      "r0",
      "r1",
      "r2",
    ]);
    expect(driftIssues()[0]).toMatchObject({ state: "closed" });
    expect(await driftApi("dir:infra/d")).toMatchObject([
      { status: "reconciled", label: "reconciled (+1 ~0 −0)" },
    ]);
    expect(await bed.database.client.db.select().from(locks)).toEqual([]);
  });

  it("fails a drift run whose runner was killed once the sweeper finds it, leaving no lock and the next firing free", async () => {
    await pushMain(driftConfig({ reconcile: false, slow: true }));
    const dispatch = await fire();
    const manifestId = dispatch.inputs["work-manifest-id"]!;
    const runner = startRunner(root, home, dispatch, { detached: true });
    const state = async () =>
      (await bed.database.client.db.select().from(workManifests).where(eq(workManifests.id, manifestId)))[0]!
        .state;
    const deadline = Date.now() + 20_000;
    while ((await state()) !== "running" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await state()).toBe("running");
    process.kill(-runner.pid!, "SIGKILL");
    await runner;
    const swept = await sweepRuns(bed.database.client.db, {
      dispatchTimeoutMinutes: 30,
      runTimeoutMinutes: 0,
    });
    expect(swept.failed).toContain(manifestId);
    await bed.work();
    expect(await state()).toBe("failed");
    expect(await bed.database.client.db.select().from(locks)).toEqual([]);
    // The issue was closed (in sync): a run that died does not open it again.
    expect(driftIssues()[0]).toMatchObject({ state: "closed" });
    // The dead run no longer counts as in flight: the next firing starts a new one.
    const next = await fire();
    expect(next.inputs["work-manifest-id"]).not.toBe(manifestId);
  });
});
