// dispatch-run: missing workflow file, retries on 5xx, giving up loudly, and the aggregate check run above 50 dirspaces.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workManifests } from "../../src/db/schema/index.ts";
import { pullRequestEvent, repoFullName } from "./payloads.ts";
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

/** Makes the pending retries of dispatch-run due now, as if their backoff had passed. */
async function fastForwardRetries(toLastAttempt = false) {
  await bed.database.client.sql`
    update graphile_worker._private_jobs
    set run_at = now(), attempts = case when ${toLastAttempt} then max_attempts - 1 else attempts end`;
}

async function pendingDispatchJobs() {
  return bed.database.client.sql<{ attempts: number; last_error: string | null }[]>`
    select j.attempts, j.last_error from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'dispatch-run'`;
}

describe("dispatch-run", () => {
  it("says on the PR which workflow file to add when it is missing, and fails the check runs", async () => {
    const { repo } = seedRepository(bed.github);
    const files = Object.fromEntries(bed.github.state.filesAt(repo, "main")!);
    delete files[".github/workflows/terragate.yml"];
    bed.github.state.commit(repoFullName, "main", files);
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();

    const [manifest] = await bed.database.client.db.select().from(workManifests);
    expect(manifest?.state).toBe("failed");
    expect(manifest?.failureReason).toContain(".github/workflows/terragate.yml is missing on main");
    const comment = bed.github.state.botComments(repoFullName, 1).at(-1)?.body ?? "";
    expect(comment).toContain("`.github/workflows/terragate.yml` does not exist on `main`");
    expect(comment).toContain("workflow_dispatch:");
    expect(comment).toContain("id-token: write");
    expect(comment).toContain(`work-token: $${"{{"} inputs.work-token }}`);
    expect(repo.checkRuns.map((run) => [run.status, run.conclusion])).toEqual([["completed", "failure"]]);
    expect(await pendingDispatchJobs()).toHaveLength(0);
  });

  it("retries a 502 with backoff and dispatches once GitHub recovers", async () => {
    seedRepository(bed.github);
    bed.github.state.fail({ method: "POST", pathPattern: /\/dispatches$/, status: 502, times: 1 });
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const [waiting] = await pendingDispatchJobs();
    expect(waiting?.attempts).toBe(1);
    expect(waiting?.last_error).toContain("502");
    expect((await bed.database.client.db.select().from(workManifests))[0]?.state).toBe("queued");

    await fastForwardRetries();
    await bed.work();
    expect(bed.github.state.dispatches).toHaveLength(1);
    expect((await bed.database.client.db.select().from(workManifests))[0]?.state).toBe("dispatched");
  });

  it("a dispatch retry invalidates the token of the attempt before it", async () => {
    seedRepository(bed.github);
    // GitHub created the run but the answer was a 500: the retry dispatches again with a new token.
    bed.github.state.fail({
      method: "POST",
      pathPattern: /\/dispatches$/,
      status: 500,
      times: 1,
      afterRecording: true,
    });
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    await fastForwardRetries();
    await bed.work();
    const [first, second] = bed.github.state.dispatches;
    expect(second?.inputs["work-token"]).toBeDefined();
    const initiate = (token: string, runId: number) =>
      bed.app.request(`/api/github/v1/work-manifests/${first!.inputs["work-manifest-id"]}/initiate`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ run_id: String(runId), sha: pull.head.sha }),
      });
    const stale = await initiate(first!.inputs["work-token"]!, first!.runId);
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: string }).error).toContain(
      "no longer valid: a later dispatch of this work manifest replaced it",
    );
    expect((await initiate(second!.inputs["work-token"]!, second!.runId)).status).toBe(200);
  });

  it("gives up loudly after the last attempt: manifest failed, check runs failed, a comment", async () => {
    const { repo } = seedRepository(bed.github);
    bed.github.state.fail({ method: "POST", pathPattern: /\/dispatches$/, status: 503, times: 1_000 });
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    await fastForwardRetries(true);
    await bed.work();
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    expect(manifest?.state).toBe("failed");
    expect(manifest?.failureReason).toContain("503");
    expect(repo.checkRuns.every((run) => run.conclusion === "failure")).toBe(true);
    expect(bed.github.state.botComments(repoFullName, 1).at(-1)?.body).toContain("could not start run");
    expect(await pendingDispatchJobs()).toHaveLength(0);
  });

  it("creates one aggregate check run instead of one per dirspace above 50 dirspaces", async () => {
    const roots = Object.fromEntries(
      Array.from({ length: 60 }, (_, index) => [`stacks/s${index}/main.tf`, ""]),
    );
    const { repo } = seedRepository(bed.github, roots);
    const changed = Object.fromEntries(Object.keys(roots).map((path) => [path, "# changed"]));
    const pull = openPullRequest(bed.github, { number: 1, changed });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    expect(repo.checkRuns.map((run) => run.name)).toEqual(["terragate plan: 60 dirspaces"]);
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    expect(manifest?.aggregateCheckRunId).toBe(String(repo.checkRuns[0]?.id));
    expect(repo.checkRuns[0]?.detailsUrl).toBe(`https://terragate.test/api/github/v1/runs/${manifest?.id}`);
  });
});
