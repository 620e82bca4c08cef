// End to end: webhook → dispatch → `terragate run` with real terraform → PR comment and check runs → apply → merge.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  locks,
  plans,
  pullRequests,
  workManifestDirspaces,
  workManifests,
} from "../../src/db/schema/index.ts";
import { sweepRuns } from "../../src/jobs/sweep-runs.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import type { FakeDispatch, FakePullRequest } from "../fakes/github/state.ts";
import { commentEvent, pullRequestEvent, repoFullName } from "../github/payloads.ts";
import { git, terraformRoot } from "../runner/runner-fixtures.ts";
import { createE2eBed, type E2eBed, mirrorCommit, readState, startRunner } from "./e2e-bed.ts";

let bed: E2eBed;
let root: string;
let home: string;

/**
 * A root whose plan prints ~1.3 MB: one attribute of 24,000 lines, read from a file next to it. (Building
 * the same string with for-expressions costs terraform ~12 s of CPU per plan; file() costs nothing.)
 */
const bigRoot = `resource "terraform_data" "big" {
  input = file("\${path.module}/lines.txt")
}
`;
const bigLines = Array.from(
  { length: 24_000 },
  (_, n) =>
    `line ${String(Math.floor(n / 24)).padStart(3, "0")}-${String(n % 24).padStart(2, "0")} of a very long attribute value xxxxxxxxxx`,
).join("\n");

async function branch(name: string, files: Record<string, string>): Promise<void> {
  await git(root, ["checkout", "-q", "-f", "-B", name, "main"]);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", `change on ${name}`]);
  await mirrorCommit(bed.github, repoFullName, root, name);
  // CI starts from the default branch; the runner checks out the PR's head itself.
  await git(root, ["checkout", "-q", "main"]);
}

/**
 * Kills the whole process group (the runner, and the git or `sleep` it started), as a cancelled CI job
 * would lose them. A git killed mid-checkout leaves `.git/index.lock` behind; a CI job's workspace is
 * thrown away with it, but these tests reuse the checkout, so the stale lock goes too.
 */
async function killRunner(runner: ReturnType<typeof startRunner>): Promise<void> {
  process.kill(-runner.pid!, "SIGKILL");
  await runner;
  await rm(path.join(root, ".git/index.lock"), { force: true });
}

function openPull(number: number, head: string, files: string[]): FakePullRequest {
  return bed.github.state.openPullRequest(repoFullName, {
    number,
    author: "alice",
    base: "main",
    head,
    files,
  });
}

function comment(number: number, kind: string): string | undefined {
  return bed.github.state
    .botComments(repoFullName, number)
    .find((c) => c.body.startsWith(`<!-- terragate:${kind}:pr-${number} -->`))?.body;
}

function checkRun(name: string) {
  return bed.github.state
    .repo(repoFullName)
    .checkRuns.filter((run) => run.name === name)
    .at(-1);
}

async function sendComment(number: number, body: string): Promise<void> {
  const id = bed.github.state.addUserComment(repoFullName, number, "alice", body);
  expect(await bed.send("issue_comment", commentEvent(number, { id, body, author: "alice" }))).toBe(202);
  await bed.work();
}

function lastDispatch(): FakeDispatch {
  const dispatch = bed.github.state.dispatches.at(-1);
  if (!dispatch) throw new Error("nothing was dispatched");
  return dispatch;
}

async function manifest(id: string) {
  const [row] = await bed.database.client.db.select().from(workManifests).where(eq(workManifests.id, id));
  return row!;
}

beforeAll(async () => {
  bed = await createE2eBed();
  const base = await mkdtemp(path.join(tmpdir(), "terragate-e2e-"));
  root = path.join(base, "repo");
  home = path.join(base, "home");
  await mkdir(root, { recursive: true });
  await mkdir(home, { recursive: true });
  await git(root, ["init", "-q", "-b", "main"]);
  await mkdir(path.join(root, ".github/workflows"), { recursive: true });
  await writeFile(path.join(root, ".github/workflows/terragate.yml"), `${workflowSnippet(bed.url)}\n`);
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "initial"]);
  const fakeRepo = bed.github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
  fakeRepo.permissions.set("alice", "admin");
  await mirrorCommit(bed.github, repoFullName, root, "main");
});

afterAll(async () => {
  await bed?.close();
});

describe("a pull request end to end", { timeout: 120_000 }, () => {
  it("plans on open, applies on comment, keeps locks per policy, and closes out on merge", async () => {
    await branch("feature-1", {
      "infra/a/main.tf": terraformRoot("a", 3),
      "infra/b/main.tf": terraformRoot("b", 2),
    });
    const pull = openPull(1, "feature-1", ["infra/a/main.tf", "infra/b/main.tf"]);
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    await bed.work();

    const planDispatch = lastDispatch();
    expect(Object.keys(planDispatch.inputs).sort()).toEqual([
      "api-base-url",
      "work-manifest-id",
      "work-token",
    ]);
    expect(planDispatch.inputs["api-base-url"]).toBe(bed.url);
    const planRun = await startRunner(root, home, planDispatch);
    expect(planRun.exitCode, planRun.stderr).toBe(0);
    await bed.work();

    const planComment = comment(1, "plan");
    expect(planComment).toContain("### Terragate plan — 2 dirspaces, 2 with changes");
    expect(planComment).toContain("Plan: 3 to add, 0 to change, 0 to destroy.");
    expect(planComment).toContain("| `infra/a` (default) | ✅ changes | 3 | 0 | 0 |");
    expect(checkRun("terragate plan: infra/a (default)")).toMatchObject({
      status: "completed",
      conclusion: "success",
      title: "+3 ~0 -0",
    });
    expect(checkRun("terragate plan: infra/b (default)")).toMatchObject({
      conclusion: "success",
      title: "+2 ~0 -0",
    });

    await sendComment(1, "terragate apply");
    const applyDispatch = lastDispatch();
    expect(applyDispatch).not.toBe(planDispatch);
    expect((await manifest(applyDispatch.inputs["work-manifest-id"]!)).kind).toBe("apply");
    const applyRun = await startRunner(root, home, applyDispatch);
    expect(applyRun.exitCode, applyRun.stderr).toBe(0);
    await bed.work();

    const applyComment = comment(1, "apply");
    expect(applyComment).toContain("Apply complete! Resources: 3 added, 0 changed, 0 destroyed.");
    expect(applyComment).toContain("Apply: 3 added, 0 changed, 0 destroyed.");
    expect(checkRun("terragate apply: infra/a (default)")).toMatchObject({
      conclusion: "success",
      title: "+3 ~0 -0",
    });
    expect((await readState(root, "infra/a")).resources.map((r) => r.name).sort()).toEqual([
      "r0",
      "r1",
      "r2",
    ]);
    expect((await readState(root, "infra/b")).resources).toHaveLength(2);

    // lock_policy apply (the default): what was applied stays locked to this PR until it merges.
    const held = await bed.database.client.db.select().from(locks);
    expect(held.map((lock) => `${lock.dir}:${lock.workspace}`).sort()).toEqual([
      "infra/a:default",
      "infra/b:default",
    ]);

    pull.state = "closed";
    pull.merged = true;
    expect(await bed.send("pull_request", pullRequestEvent("closed", pull, { merged: true }))).toBe(202);
    await bed.work();
    expect(await bed.database.client.db.select().from(locks)).toEqual([]);
    const [row] = await bed.database.client.db.select().from(pullRequests).where(eq(pullRequests.number, 1));
    expect(row!.state).toBe("merged");
    await sweepRuns(bed.database.client.db, { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 180 });
    expect(await bed.database.client.db.select().from(plans).where(eq(plans.pullRequestId, row!.id))).toEqual(
      [],
    );
  });

  it("refuses to apply a plan made before a new commit, and keeps one manifest's token off another", async () => {
    await branch("feature-2", { "infra/c/main.tf": terraformRoot("c", 1) });
    const pull = openPull(2, "feature-2", ["infra/c/main.tf"]);
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const first = lastDispatch();
    expect((await startRunner(root, home, first)).exitCode).toBe(0);
    await bed.work();

    await git(root, ["checkout", "-q", "feature-2"]);
    await writeFile(path.join(root, "infra/c/main.tf"), terraformRoot("c", 2));
    await git(root, ["commit", "-q", "-am", "second commit"]);
    await git(root, ["checkout", "-q", "main"]);
    pull.head.sha = await mirrorCommit(bed.github, repoFullName, root, "feature-2");
    await bed.send("pull_request", pullRequestEvent("synchronize", pull));
    await bed.work();
    const second = lastDispatch();
    expect(second.inputs["work-manifest-id"]).not.toBe(first.inputs["work-manifest-id"]);

    // Manifest A's (used) token cannot start manifest B.
    const stolen = await fetch(
      `${bed.url}/api/github/v1/work-manifests/${second.inputs["work-manifest-id"]}/initiate`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${first.inputs["work-token"]}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ run_id: "1", sha: pull.head.sha }),
      },
    );
    expect(stolen.status).toBe(403);

    const dispatchesBefore = bed.github.state.dispatches.length;
    await sendComment(2, "terragate apply");
    expect(bed.github.state.dispatches.length).toBe(dispatchesBefore);
    const refusal = bed.github.state
      .botComments(repoFullName, 2)
      .find((c) => c.body.includes("terragate:refusal:pr-2"))?.body;
    expect(refusal).toMatch(/terragate plan/);
  });

  it("shows a failing dirspace's error first while the other succeeds, and a 1 MB plan within GitHub's limit", async () => {
    await branch("feature-3", {
      "infra/broken/main.tf": 'resource "terraform_data" "x" {\n  input = undefined_thing.value\n}\n',
      "infra/big/main.tf": bigRoot,
      "infra/big/lines.txt": bigLines,
    });
    const pull = openPull(3, "feature-3", ["infra/broken/main.tf", "infra/big/main.tf"]);
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const run = await startRunner(root, home, lastDispatch());
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^terragate: failed: infra\/broken \(default\)$/m);
    await bed.work();

    const comments = bed.github.state
      .botComments(repoFullName, 3)
      .filter((c) => c.body.includes("terragate:plan:pr-3"));
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.indexOf("infra/broken</code>")).toBeLessThan(body.indexOf("infra/big</code>"));
    expect(body).toContain("<details open><summary>❌ <code>infra/broken</code>");
    expect(body).toContain("undefined_thing");
    expect(body).toContain("line 000-00 of a very long attribute value");
    expect(body).toContain("line 999-23 of a very long attribute value");
    expect(body).toMatch(
      /… [\d,]+ lines \([\d,]+ characters\) cut here; the full output: `GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/github\/installations\/42\/work-manifests\/[0-9a-f-]+\/outputs`/,
    );
    expect(body).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");
    expect(checkRun("terragate plan: infra/broken (default)")).toMatchObject({ conclusion: "failure" });
    expect(checkRun("terragate plan: infra/big (default)")).toMatchObject({
      conclusion: "success",
      title: "+1 ~0 -0",
    });
    const bigText = checkRun("terragate plan: infra/big (default)")!.text!;
    expect(bigText.length).toBeLessThanOrEqual(65_535);
    expect(bigText).toContain("line 000-00 of a very long attribute value");
    expect(bigText).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy\.\n```$/);
  });

  it("fails the run of a killed runner once the sweeper finds it, and tells the PR", async () => {
    await branch("feature-4", {
      "infra/slow/main.tf": terraformRoot("slow", 1),
      ".terragate/config.yml":
        'version: 1\nworkflows:\n  - tag_query: ""\n    plan: [{ type: run, cmd: ["sleep", "60"] }, { type: init }, { type: plan }]\n',
    });
    const pull = openPull(4, "feature-4", ["infra/slow/main.tf", ".terragate/config.yml"]);
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const dispatch = lastDispatch();
    const manifestId = dispatch.inputs["work-manifest-id"]!;
    const runner = startRunner(root, home, dispatch, { detached: true });
    const deadline = Date.now() + 20_000;
    while ((await manifest(manifestId)).state !== "running" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await manifest(manifestId)).state).toBe("running");
    await killRunner(runner);

    const swept = await sweepRuns(bed.database.client.db, {
      dispatchTimeoutMinutes: 30,
      runTimeoutMinutes: 0,
    });
    expect(swept.failed).toContain(manifestId);
    await bed.work();
    expect((await manifest(manifestId)).state).toBe("failed");
    expect(checkRun("terragate plan: infra/slow (default)")).toMatchObject({ conclusion: "failure" });
    const body = comment(4, "plan");
    expect(body).toMatch(/never reported results/);
    expect(body).toContain("comment `terragate plan` to run again");
  });

  it("a runner killed after its apply started keeps that dirspace's lock and says the apply may have happened", async () => {
    await branch("feature-5", {
      "infra/d1/main.tf": terraformRoot("d1", 1),
      "infra/d2/main.tf": terraformRoot("d2", 1),
      // One dirspace at a time, and a pause after the apply: the runner dies with d1 applied, d2 untouched.
      ".terragate/config.yml":
        'version: 1\nparallelism: 1\nworkflows:\n  - tag_query: ""\n    apply: [{ type: init }, { type: apply }, { type: run, cmd: ["sleep", "60"] }]\n',
    });
    const pull = openPull(5, "feature-5", ["infra/d1/main.tf", "infra/d2/main.tf", ".terragate/config.yml"]);
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    expect((await startRunner(root, home, lastDispatch())).exitCode).toBe(0);
    await bed.work();

    await sendComment(5, "terragate apply");
    const dispatch = lastDispatch();
    const manifestId = dispatch.inputs["work-manifest-id"]!;
    expect((await manifest(manifestId)).kind).toBe("apply");
    const runner = startRunner(root, home, dispatch, { detached: true });
    const state = path.join(root, "infra/d1/terraform.tfstate");
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [row] = await bed.database.client.db
        .select({ applyStartedAt: workManifestDirspaces.applyStartedAt })
        .from(workManifestDirspaces)
        .where(
          and(
            eq(workManifestDirspaces.workManifestId, manifestId),
            eq(workManifestDirspaces.dir, "infra/d1"),
          ),
        );
      if (row?.applyStartedAt && (await readFile(state, "utf8").catch(() => "")).includes("terraform_data"))
        break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await killRunner(runner);

    await sweepRuns(bed.database.client.db, { dispatchTimeoutMinutes: 30, runTimeoutMinutes: 0 });
    await bed.work();
    expect((await manifest(manifestId)).state).toBe("failed");
    const held = await bed.database.client.db
      .select()
      .from(locks)
      .where(eq(locks.workManifestId, manifestId));
    expect(held.map((lock) => lock.dir)).toEqual(["infra/d1"]);
    const body = comment(5, "apply") ?? "";
    expect(body).toContain(
      "The apply had started on infra/d1 (default): it may have happened, so the lock stays.",
    );
    expect(body).toContain("the apply may have happened, fully or in part");
    expect(body).toContain("`terragate unlock`");
    expect(checkRun("terragate apply: infra/d1 (default)")).toMatchObject({
      conclusion: "failure",
      title: "failed at apply",
    });
    expect(checkRun("terragate apply: infra/d2 (default)")).toMatchObject({ conclusion: "failure" });
  });
});
