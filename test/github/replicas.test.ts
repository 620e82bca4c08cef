// Several workers on one database: two runs of one PR finishing together still give one PR comment.
import { runOnce, Logger as WorkerLogger } from "graphile-worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTaskList } from "../../src/jobs/task-list.ts";
import { commentEvent, pullRequestEvent, repoFullName } from "./payloads.ts";
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

/** Starts the dispatched run and reports a successful plan of infra/a, as the runner would. */
async function finish(
  dispatch: { inputs: Record<string, string>; runId: number },
  sha: string,
): Promise<void> {
  const id = dispatch.inputs["work-manifest-id"]!;
  const started = await bed.app.request(`/api/github/v1/work-manifests/${id}/initiate`, {
    method: "POST",
    headers: { authorization: `Bearer ${dispatch.inputs["work-token"]}`, "content-type": "application/json" },
    body: JSON.stringify({ run_id: String(dispatch.runId), sha }),
  });
  const { token } = (await started.json()) as { token: string };
  const stored = await bed.app.request(`/api/github/v1/work-manifests/${id}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      dirspaces: [
        {
          dir: "infra/a",
          workspace: "default",
          success: true,
          steps: [{ name: "plan", success: true, exit_code: 0, output: "No changes." }],
          has_changes: false,
        },
      ],
    }),
  });
  expect(stored.status).toBe(200);
}

describe("replicas", () => {
  it("two workers reporting two runs of the same PR at once leave one plan comment", async () => {
    const { repo } = seedRepository(bed.github);
    repo.permissions.set("alice", "admin");
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    const commentId = bed.github.state.addUserComment(repoFullName, 1, "alice", "terragate plan");
    await bed.send(
      "issue_comment",
      commentEvent(1, { id: commentId, body: "terragate plan", author: "alice" }),
    );
    await bed.work();
    expect(bed.github.state.dispatches).toHaveLength(2);
    for (const dispatch of bed.github.state.dispatches) await finish(dispatch, pull.head.sha);

    // Two worker processes' worth of workers, both free when the two report jobs become due.
    const taskList = createTaskList(bed.deps);
    const logger = new WorkerLogger(() => () => {});
    await Promise.all(
      [1, 2].map(() =>
        runOnce({ pgPool: bed.pool, taskList, noHandleSignals: true, concurrency: 2, logger }),
      ),
    );
    await bed.work();
    const planComments = bed.github.state
      .botComments(repoFullName, 1)
      .filter((comment) => comment.body.startsWith("<!-- terragate:plan:pr-1 -->"));
    expect(planComments).toHaveLength(1);
  });
});
