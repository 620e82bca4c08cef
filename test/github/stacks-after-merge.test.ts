// Stack layers of a repository that applies after merge: each applied layer plans the next on the merged PR, in order, exactly once.
import type { Task } from "graphile-worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { finishWithResults } from "../../src/jobs/manifest-lifecycle.ts";
import { createTaskList } from "../../src/jobs/task-list.ts";
import { drainJobs } from "../harness/drain-jobs.ts";
import { pullRequestEvent, repoFullName } from "./payloads.ts";
import { comment, completePlan, manifests, refusal, sendPullRequest } from "./pr-helpers.ts";
import { createTestbed, openPullRequest, seedRepository, type Testbed } from "./testbed.ts";

let bed: Testbed;

beforeAll(async () => {
  bed = await createTestbed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
});

const afterMergeConfig = `version: 1
lock_policy: merge
apply_requirements:
  apply_after_merge: true
stacks:
  network:
    tag_query: "dir:live/vpc"
  apps:
    tag_query: "dir:live/web or dir:live/db"
    depends_on: [network]
  edge:
    tag_query: "dir:live/cdn"
    depends_on: [apps]
`;

const roots = {
  "live/vpc/main.tf": "",
  "live/web/main.tf": "",
  "live/db/main.tf": "",
  "live/cdn/main.tf": "",
};

const touchAll = {
  "live/vpc/main.tf": "# 1",
  "live/web/main.tf": "# 1",
  "live/db/main.tf": "# 1",
  "live/cdn/main.tf": "# 1",
};

async function manifestDirs(manifestId: string): Promise<string[]> {
  const rows = await bed.database.client.sql<{ dir: string }[]>`
    select dir from work_manifest_dirspaces where work_manifest_id = ${manifestId} order by dir`;
  return rows.map((row) => row.dir);
}

/** Finishes a dispatched run as the runner's results do (every dirspace succeeds) without running the report. */
async function finishResults(manifestId: string): Promise<void> {
  const { sql } = bed.database.client;
  await sql`update work_manifest_dirspaces set state = 'success', success = true, has_changes = true
    where work_manifest_id = ${manifestId}`;
  await sql`update work_manifests set state = 'running' where id = ${manifestId}`;
  await bed.database.client.db.transaction((tx) => finishWithResults(tx, manifestId, "completed", null));
}

/** Opens PR 20 touching all four roots, plans layer 1 and merges the PR; returns it and layer 1's plan. */
async function mergedWithLayerOnePlanned() {
  seedRepository(bed.github, { ".terragate/config.yml": afterMergeConfig, ...roots });
  const pull = openPullRequest(bed.github, { number: 20, changed: touchAll });
  await sendPullRequest(bed, "opened", pull);
  const [plan] = await manifests(bed);
  expect(await manifestDirs(plan!.id)).toEqual(["live/vpc"]);
  await completePlan(bed, plan!.id, pull);

  pull.state = "closed";
  pull.merged = true;
  expect(await bed.send("pull_request", pullRequestEvent("closed", pull, { merged: true }))).toBe(202);
  await bed.work();
  return { pull, plan: plan! };
}

/** The runner's first call for the last dispatch, with the work token the dispatch carried. */
async function initiateLastDispatch(sha: string): Promise<Record<string, unknown>> {
  const dispatch = bed.github.state.dispatches.at(-1)!;
  const id = dispatch.inputs["work-manifest-id"]!;
  const response = await bed.app.request(`/api/github/v1/work-manifests/${id}/initiate`, {
    method: "POST",
    headers: { authorization: `Bearer ${dispatch.inputs["work-token"]}`, "content-type": "application/json" },
    body: JSON.stringify({ run_id: String(dispatch.runId), sha }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("stack layers applied after merge", () => {
  it("plans each next layer on the merged PR once the one before is applied there, and refuses skipping", async () => {
    const { pull } = await mergedWithLayerOnePlanned();
    // The merge itself applies nothing, so it plans nothing; it locks what is still to apply.
    expect(await manifests(bed)).toHaveLength(1);
    const locks = await bed.database.client.sql<{ dir: string }[]>`select dir from locks order by dir`;
    expect(locks.map((lock) => lock.dir)).toEqual(["live/cdn", "live/db", "live/vpc", "live/web"]);

    // Hostile: the merged PR cannot skip to layer 2, nor plan it by hand.
    await comment(bed, 20, "terragate apply dir:live/web", "alice");
    expect(refusal(bed, 20)).toContain(
      "apply `live/vpc` (default) first: comment `terragate apply dir:live/vpc`",
    );
    await comment(bed, 20, "terragate plan dir:live/web", "alice");
    expect(refusal(bed, 20)).toContain("the PR is merged");
    expect(await manifests(bed)).toHaveLength(1);

    await comment(bed, 20, "terragate apply dir:live/vpc", "alice");
    const [, apply] = await manifests(bed);
    expect(apply).toMatchObject({ kind: "apply", headSha: pull.head.sha });
    expect(await initiateLastDispatch(pull.head.sha)).toMatchObject({ type: "manifest" });
    await finishResults(apply!.id);
    await bed.work();

    // Layer 2 is planned on the merged PR, at the head that was merged (where layer 1 was planned and applied).
    const [, , second, ...rest] = await manifests(bed);
    expect(rest).toEqual([]);
    expect(second).toMatchObject({ kind: "plan", headSha: pull.head.sha, requestedBy: "alice" });
    expect(await manifestDirs(second!.id)).toEqual(["live/db", "live/web"]);
    // The runner is let in: a run asked of an already merged PR is what the merge waited for.
    expect(await initiateLastDispatch(pull.head.sha)).toMatchObject({ type: "manifest" });
    const comments = bed.github.state.botComments(repoFullName, 20);
    const apply1 = comments.find((candidate) => candidate.body.includes("terragate:apply:pr-20"))!.body;
    expect(apply1).toMatch(/1\. `live\/vpc` \(default\) ✅ applied\n2\. .*`live\/web` \(default\)/);

    // Hostile: layer 3 still waits for layer 2's apply.
    await completePlan(bed, second!.id, pull);
    await comment(bed, 20, "terragate apply dir:live/cdn", "alice");
    expect(refusal(bed, 20)).toContain("`live/cdn` (default) depends on changes of this PR");
    await comment(bed, 20, 'terragate apply "dir:live/web" or "dir:live/db"', "alice");
    const [, , , applyTwo, ...none] = await manifests(bed);
    expect(none).toEqual([]);
    expect(applyTwo).toMatchObject({ kind: "apply" });
    expect(await manifestDirs(applyTwo!.id)).toEqual(["live/db", "live/web"]);
    await finishResults(applyTwo!.id);
    await bed.work();
    const third = (await manifests(bed))[4];
    expect(third).toMatchObject({ kind: "plan", headSha: pull.head.sha });
    expect(await manifestDirs(third!.id)).toEqual(["live/cdn"]);
  });

  it("plans nothing on a merged PR when the repository applies before merge", async () => {
    seedRepository(bed.github, {
      ".terragate/config.yml": afterMergeConfig.replace(
        "  apply_after_merge: true\n",
        "  ready_for_review: true\n",
      ),
      ...roots,
    });
    const pull = openPullRequest(bed.github, { number: 21, changed: touchAll });
    await sendPullRequest(bed, "opened", pull);
    const [plan] = await manifests(bed);
    await completePlan(bed, plan!.id, pull);
    await comment(bed, 21, "terragate apply dir:live/vpc", "alice");
    const [, apply] = await manifests(bed);
    // Merged while the apply runs: the apply's report does not start a plan of the merged PR.
    pull.state = "closed";
    pull.merged = true;
    expect(await bed.send("pull_request", pullRequestEvent("closed", pull, { merged: true }))).toBe(202);
    await bed.work();
    await finishResults(apply!.id);
    await bed.work();
    expect((await manifests(bed)).map((manifest) => manifest.kind)).toEqual(["plan", "apply"]);
  });

  it("still stops a run asked for before the merge when its runner starts after it", async () => {
    seedRepository(bed.github, { ".terragate/config.yml": afterMergeConfig, ...roots });
    const pull = openPullRequest(bed.github, { number: 22, changed: touchAll });
    await sendPullRequest(bed, "opened", pull);
    pull.state = "closed";
    pull.merged = true;
    expect(await bed.send("pull_request", pullRequestEvent("closed", pull, { merged: true }))).toBe(202);
    await bed.work();
    expect(await initiateLastDispatch(pull.head.sha)).toEqual({
      type: "done",
      reason: "PR #22 was merged before this run started",
    });
  });

  it("survives a worker dying before and after the next layer's plan is committed: planned exactly once", async () => {
    await mergedWithLayerOnePlanned();
    await comment(bed, 20, "terragate apply dir:live/vpc", "alice");
    const [, apply] = await manifests(bed);
    await finishResults(apply!.id);
    const dispatchesBefore = bed.github.state.dispatches.length;

    // The real tasks, except that the worker "dies" on plan-next-layer: first as it takes the job,
    // then right after the plan's transaction committed (before the job is marked done).
    const tasks = createTaskList(bed.deps);
    const attempts: string[] = [];
    const planNextLayer = tasks["plan-next-layer"] as Task;
    const dying: Task = async (payload, helpers) => {
      attempts.push(`attempt ${attempts.length + 1}`);
      if (attempts.length === 1) throw new Error("worker killed before planning");
      await planNextLayer(payload, helpers);
      if (attempts.length === 2) throw new Error("worker killed after the plan was committed");
    };
    const retryNow = () =>
      bed.database.client.sql`update graphile_worker._private_jobs set run_at = now() where attempts > 0`;
    for (let round = 0; round < 3; round++) {
      await drainJobs(bed.pool, { ...tasks, "plan-next-layer": dying }, bed.database.client.sql);
      await retryNow();
    }
    expect(attempts).toEqual(["attempt 1", "attempt 2", "attempt 3"]);
    const plans = (await manifests(bed)).filter((manifest) => manifest.kind === "plan");
    expect(plans).toHaveLength(2);
    expect(await manifestDirs(plans[1]!.id)).toEqual(["live/db", "live/web"]);
    expect(bed.github.state.dispatches.length).toBe(dispatchesBefore + 1);
    const [pending] = await bed.database.client.sql<{ count: number }[]>`
      select count(*)::int as count from graphile_worker._private_jobs
      where task_id = (select id from graphile_worker._private_tasks where identifier = 'plan-next-layer')`;
    expect(pending?.count).toBe(0);
  });
});
