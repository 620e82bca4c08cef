// dispatch-run: missing workflow file, retries on 5xx, giving up loudly, and the aggregate check run above 50 dirspaces.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db/client.ts";
import { workManifests } from "../../src/db/schema/index.ts";
import { attemptDispatch } from "../../src/jobs/dispatch-attempt.ts";
import { createGithubProviderSource } from "../../src/vcs/github/provider-source.ts";
import { platforms } from "../../src/vcs/registry.ts";
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
async function fastForwardRetries(toLastAttempt = false, ageAttempts = true) {
  await bed.database.client.sql`
    update graphile_worker._private_jobs
    set run_at = now(), attempts = case when ${toLastAttempt} then max_attempts - 1 else attempts end`;
  // Earlier dispatch attempts long past: their runs would be listed by now.
  if (ageAttempts)
    await bed.database.client.sql`update work_tokens set created_at = created_at - interval '1 minute'`;
}

async function pendingDispatchJobs() {
  return bed.database.client.sql<{ attempts: number; last_error: string | null }[]>`
    select j.attempts, j.last_error from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'dispatch-run'`;
}

function initiate(manifestId: string, token: string, runId: number, sha: string) {
  return bed.app.request(`/api/github/v1/work-manifests/${manifestId}/initiate`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ run_id: String(runId), sha }),
  });
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

  it("adopts the run GitHub created when the dispatch's answer was a 500: one run, one valid token", async () => {
    seedRepository(bed.github);
    // GitHub recorded the dispatch and created the run, then answered 500.
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
    expect((await bed.database.client.db.select().from(workManifests))[0]?.state).toBe("queued");
    await fastForwardRetries();
    await bed.work();

    expect(bed.github.state.dispatches).toHaveLength(1);
    expect(bed.github.state.workflowRuns).toHaveLength(1);
    const [dispatch] = bed.github.state.dispatches;
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    expect(manifest).toMatchObject({ state: "dispatched", runId: String(dispatch!.runId) });
    const valid = await bed.database.client
      .sql`select 1 from work_tokens where used_at is null and revoked_at is null`;
    expect(valid).toHaveLength(1);
    const started = await initiate(
      manifest!.id,
      dispatch!.inputs["work-token"]!,
      dispatch!.runId,
      pull.head.sha,
    );
    expect(started.status).toBe(200);
    expect(await pendingDispatchJobs()).toHaveLength(0);
  });

  it("dispatches again when GitHub created no run, and the earlier attempt's token stops working", async () => {
    seedRepository(bed.github);
    bed.github.state.fail({ method: "POST", pathPattern: /\/dispatches$/, status: 502, times: 1 });
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    // Right after the failed attempt its run could still be on its way into GitHub's listing: wait.
    await fastForwardRetries(false, false);
    await bed.work();
    expect(bed.github.state.dispatches).toHaveLength(0);
    expect((await pendingDispatchJobs())[0]?.last_error).toContain("its run may not be listed yet");
    await fastForwardRetries();
    await bed.work();
    const failed = bed.github.state.requests.find((r) => r.path.endsWith("/dispatches") && r.status === 502);
    const staleToken = (failed!.body as { inputs: Record<string, string> }).inputs["work-token"]!;
    const [dispatch] = bed.github.state.dispatches;
    expect(bed.github.state.dispatches).toHaveLength(1);
    expect(dispatch!.inputs["work-token"]).not.toBe(staleToken);
    const manifestId = dispatch!.inputs["work-manifest-id"]!;
    const stale = await initiate(manifestId, staleToken, dispatch!.runId, pull.head.sha);
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: string }).error).toContain(
      "no longer valid: a later dispatch of this work manifest replaced it",
    );
    expect(
      (await initiate(manifestId, dispatch!.inputs["work-token"]!, dispatch!.runId, pull.head.sha)).status,
    ).toBe(200);
  });

  it("two workers dispatching the same manifest at once start one run", async () => {
    seedRepository(bed.github);
    bed.github.state.fail({ method: "POST", pathPattern: /\/dispatches$/, status: 502, times: 1 });
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    await fastForwardRetries();
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    const provider = await createGithubProviderSource(bed.deps).providerFor("42", "acme", "infra");
    const target = {
      manifestId: manifest!.id,
      installationId: manifest!.installationId,
      defaultBranch: "main",
      publicUrl: bed.config.publicUrl,
      dispatch: platforms.github.dispatch,
    };
    const logger = bed.deps.logger;
    // GitHub answers slowly, so the second worker comes while the first is mid-dispatch (holding the lock).
    bed.github.state.latencyMs = 200;
    const outcomes = await Promise.allSettled([
      attemptDispatch(bed.database.client, provider, target, logger),
      attemptDispatch(bed.database.client, provider, target, logger),
    ]);
    bed.github.state.latencyMs = 0;
    expect(bed.github.state.dispatches).toHaveLength(1);
    const described = outcomes.map((outcome) =>
      outcome.status === "fulfilled" ? outcome.value.type : (outcome.reason as Error).name,
    );
    expect(described.sort()).toEqual(["DispatchBusyError", "dispatched"]);
    // The job that lost finds the manifest dispatched and does nothing.
    await bed.work();
    expect(bed.github.state.dispatches).toHaveLength(1);
  });

  it("ten dispatches at once on a pool of four connections all finish: none waits for a second connection", async () => {
    const roots = Object.fromEntries(
      Array.from({ length: 10 }, (_, index) => [`stacks/s${index}/main.tf`, ""]),
    );
    seedRepository(bed.github, roots);
    // Every first dispatch fails, so each manifest waits queued with an earlier attempt to look for.
    bed.github.state.fail({ method: "POST", pathPattern: /\/dispatches$/, status: 502, times: 10 });
    for (let index = 0; index < 10; index++) {
      const pull = openPullRequest(bed.github, {
        number: index + 1,
        changed: { [`stacks/s${index}/main.tf`]: "# changed" },
      });
      await bed.send("pull_request", pullRequestEvent("opened", pull));
    }
    await bed.work();
    await fastForwardRetries();
    const manifests = await bed.database.client.db.select().from(workManifests);
    expect(manifests.map((manifest) => manifest.state)).toEqual(Array(10).fill("queued"));

    const small = createDatabase(bed.database.url, { max: 4, applicationName: "terragate-test-small-pool" });
    try {
      const provider = await createGithubProviderSource(bed.deps).providerFor("42", "acme", "infra");
      const all = Promise.all(
        manifests.map((manifest) =>
          attemptDispatch(
            small,
            provider,
            {
              manifestId: manifest.id,
              installationId: manifest.installationId,
              defaultBranch: "main",
              publicUrl: bed.config.publicUrl,
              dispatch: platforms.github.dispatch,
            },
            bed.deps.logger,
          ),
        ),
      );
      all.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<"hung">((resolve) => {
        timer = setTimeout(() => resolve("hung"), 10_000);
      });
      const outcomes = await Promise.race([all, hung]).finally(() => clearTimeout(timer));
      expect(outcomes, "the dispatches waited for connections the pool could not give").not.toBe("hung");
      expect(outcomes).toEqual(
        Array(10).fill({ type: "dispatched", runId: expect.any(String), adopted: false }),
      );
    } finally {
      await small.sql.end({ timeout: 0 });
    }
    expect(bed.github.state.dispatches).toHaveLength(10);
    const after = await bed.database.client.db.select().from(workManifests);
    expect(after.map((manifest) => manifest.state)).toEqual(Array(10).fill("dispatched"));
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
