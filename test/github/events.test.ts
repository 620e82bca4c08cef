// Installation events keep installations and repositories current; check_run re-runs re-plan; CI run events are recorded.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { installations, repositories, webhookDeliveries, workManifests } from "../../src/db/schema/index.ts";
import { example, installationEvent, installationId, pullRequestEvent } from "./payloads.ts";
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

const installationPayload = { id: installationId, account: { login: "acme", type: "Organization" } };

describe("installation events", () => {
  it("creates the installation with its repositories, adds and removes repositories, and marks a deletion", async () => {
    await bed.send(
      "installation",
      installationEvent("created", [
        { id: 1, name: "infra" },
        { id: 2, name: "network" },
      ]),
    );
    await bed.work();
    const db = bed.database.client.db;
    expect((await db.select().from(installations))[0]).toMatchObject({
      externalId: "42",
      accountLogin: "acme",
    });
    expect((await db.select().from(repositories)).map((repo) => repo.fullName).sort()).toEqual([
      "acme/infra",
      "acme/network",
    ]);

    const changed = example("installation_repositories", "added");
    changed["installation"] = installationPayload;
    changed["repositories_added"] = [
      { id: 3, node_id: "R3", name: "dns", full_name: "acme/dns", private: true },
    ];
    changed["repositories_removed"] = [
      { id: 2, node_id: "R2", name: "network", full_name: "acme/network", private: true },
    ];
    await bed.send("installation_repositories", changed);
    await bed.work();
    const repos = await db.select().from(repositories);
    expect(
      repos
        .filter((repo) => repo.removedAt === null)
        .map((repo) => repo.fullName)
        .sort(),
    ).toEqual(["acme/dns", "acme/infra"]);

    await bed.send("installation", installationEvent("deleted", []));
    await bed.work();
    expect((await db.select().from(installations))[0]?.deletedAt).not.toBeNull();
  });
});

describe("check_run rerequested", () => {
  it("plans the check's dirspace again for someone who may plan, and refuses anyone else", async () => {
    const { repo } = seedRepository(bed.github);
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "#", "infra/b/main.tf": "#" },
    });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const payload = example("check_run", "rerequested");
    const checkRun = payload["check_run"] as Record<string, unknown>;
    payload["installation"] = installationPayload;
    payload["repository"] = (pullRequestEvent("opened", pull) as Record<string, unknown>)["repository"];
    // The check run the autoplan created: matched back by its id and external id (the manifest), not its name.
    const created = repo.checkRuns.find((run) => run.name === "terragate plan: infra/b (default)")!;
    payload["check_run"] = {
      ...checkRun,
      id: created.id,
      external_id: created.externalId,
      name: created.name,
      head_sha: pull.head.sha,
      pull_requests: [{ number: 1, id: 1, url: "", head: {}, base: {} }],
    };
    // The example's sender has no access to acme/infra: a re-run is a plan on their behalf.
    payload["sender"] = { ...(payload["sender"] as Record<string, unknown>), login: "outsider" };
    await bed.send("check_run", payload);
    await bed.work();
    expect(await bed.database.client.db.select().from(workManifests)).toHaveLength(1);
    expect(bed.github.state.botComments("acme/infra", 1).at(-1)?.body).toContain(
      "@outsider may not plan `infra/b` (default)",
    );
    payload["sender"] = { ...(payload["sender"] as Record<string, unknown>), login: "alice" };
    await bed.send("check_run", payload);
    await bed.work();
    const manifests = await bed.database.client.db.select().from(workManifests);
    expect(manifests).toHaveLength(2);
    const rerun = manifests.find((manifest) => manifest.tagQuery !== "");
    const dirs = await bed.database.client.sql<{ dir: string }[]>`
      select dir from work_manifest_dirspaces where work_manifest_id = ${rerun!.id}`;
    expect(dirs.map((row) => row.dir)).toEqual(["infra/b"]);
    expect(bed.github.state.dispatches).toHaveLength(2);
  });

  it("ignores a re-run of a check that only looks like ours: the name alone starts nothing", async () => {
    seedRepository(bed.github);
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const payload = example("check_run", "rerequested");
    payload["installation"] = installationPayload;
    payload["repository"] = (pullRequestEvent("opened", pull) as Record<string, unknown>)["repository"];
    payload["check_run"] = {
      ...(payload["check_run"] as Record<string, unknown>),
      id: 999_999,
      external_id: "",
      name: "terragate plan: infra/a (default)",
      head_sha: pull.head.sha,
      pull_requests: [{ number: 1, id: 1, url: "", head: {}, base: {} }],
    };
    payload["sender"] = { ...(payload["sender"] as Record<string, unknown>), login: "alice" };
    await bed.send("check_run", payload);
    await bed.work();
    expect(await bed.database.client.db.select().from(workManifests)).toHaveLength(1);
    expect(bed.github.state.dispatches).toHaveLength(1);
  });
});

describe("CI run events", () => {
  it("hands a failed CI run to the run-died handler, which fails its manifest", async () => {
    seedRepository(bed.github);
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const runId = bed.github.state.dispatches[0]!.runId;
    const payload = example("workflow_job", "completed");
    payload["installation"] = installationPayload;
    payload["repository"] = (pullRequestEvent("opened", pull) as Record<string, unknown>)["repository"];
    payload["workflow_job"] = {
      ...(payload["workflow_job"] as Record<string, unknown>),
      run_id: runId,
      head_sha: pull.head.sha,
      conclusion: "failure",
    };
    expect(await bed.send("workflow_job", payload, { deliveryId: "job-1" })).toBe(202);
    await bed.work();
    const [delivery] = await bed.database.client.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.deliveryId, "job-1"));
    expect(delivery?.processedAt).not.toBeNull();
    expect(delivery?.error).toBeNull();
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    expect(manifest?.state).toBe("failed");
  });

  it.each([
    ["workflow_job", "queued"],
    ["workflow_job", "in_progress"],
    ["workflow_job", "waiting"],
    ["workflow_run", "requested"],
    ["workflow_run", "in_progress"],
  ])("acknowledges a %s %s event and drops it: nothing stored, nothing queued", async (event, action) => {
    // The examples have no workflow_run in_progress: the requested one with its action changed.
    const payload = example(event, event === "workflow_run" ? "requested" : action);
    payload["action"] = action;
    payload["installation"] = installationPayload;
    expect(await bed.send(event, payload, { deliveryId: `${event}-${action}` })).toBe(200);
    expect(await bed.database.client.db.select().from(webhookDeliveries)).toHaveLength(0);
    const jobs = await bed.database.client.sql`select 1 from graphile_worker._private_jobs`;
    expect(jobs).toHaveLength(0);
  });

  it("stores and queues a completed workflow_run", async () => {
    const payload = example("workflow_run", "completed");
    payload["installation"] = installationPayload;
    expect(await bed.send("workflow_run", payload, { deliveryId: "run-done" })).toBe(202);
    expect(await bed.database.client.db.select().from(webhookDeliveries)).toHaveLength(1);
    const jobs = await bed.database.client.sql`select 1 from graphile_worker._private_jobs`;
    expect(jobs).toHaveLength(1);
  });

  it("acknowledges events Terragate does not act on without storing them", async () => {
    const payload = example("pull_request", "labeled");
    payload["installation"] = installationPayload;
    expect(await bed.send("pull_request", payload)).toBe(200);
    expect(await bed.database.client.db.select().from(webhookDeliveries)).toHaveLength(0);
  });
});
