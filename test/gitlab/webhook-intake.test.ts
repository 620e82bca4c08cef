// GitLab webhook intake: X-Gitlab-Token before anything is stored, idempotent deliveries, stored and queued together.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { installations, webhookDeliveries } from "../../src/db/schema/index.ts";
import { createGitlabBed, type GitlabBed } from "./gitlab-bed.ts";
import {
  jobHook,
  mergeRequestHook,
  noteHook,
  pipelineHook,
  project,
  projectId,
  pushHook,
} from "./payloads.ts";

let bed: GitlabBed;

beforeAll(async () => {
  bed = await createGitlabBed();
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.reset();
  await bed.connect({ kind: "group", id: 7, path: "acme", secret: "secret" });
});

async function stored() {
  const deliveries = await bed.database.client.db.select().from(webhookDeliveries);
  const jobs = await bed.database.client.sql<
    { task: string; queue: string | null; payload: { vcs: string; deliveryId: string } }[]
  >`
    select (select identifier from graphile_worker._private_tasks t where t.id = j.task_id) as task, (select queue_name from graphile_worker._private_job_queues q where q.id = j.job_queue_id) as queue, payload
    from graphile_worker._private_jobs j`;
  return { deliveries, jobs: [...jobs] };
}

describe("authentication", () => {
  it("stores an MR hook with the group's secret and queues its evaluation on the MR's queue", async () => {
    const response = await bed.send("Merge Request Hook", mergeRequestHook({ action: "open", iid: 4 }), {
      deliveryId: "d-1",
    });
    expect(response.status).toBe(202);
    const { deliveries, jobs } = await stored();
    expect(deliveries).toEqual([
      expect.objectContaining({
        vcs: "gitlab",
        deliveryId: "d-1",
        event: "Merge Request Hook",
        action: "opened",
        installationExternalId: "7",
      }),
    ]);
    expect(jobs).toEqual([
      {
        task: "evaluate-event",
        queue: `gitlab:pr:${projectId}:4`,
        payload: { vcs: "gitlab", deliveryId: "d-1" },
      },
    ]);
  });

  it("answers on /api/gitlab/v1/events too", async () => {
    const response = await bed.send("Note Hook", noteHook({ body: "terragate plan", iid: 4 }), {
      path: "/api/gitlab/v1/events",
    });
    expect(response.status).toBe(202);
    expect((await stored()).deliveries).toHaveLength(1);
  });

  it("refuses a wrong or missing token with 401 and stores nothing", async () => {
    const payload = mergeRequestHook({ action: "open" });
    for (const token of ["wrong", "", "SECRET", null]) {
      const response = await bed.send("Merge Request Hook", payload, { token });
      expect(response.status).toBe(401);
      expect(await response.text()).toMatch(/X-Gitlab-Token/);
    }
    expect(await stored()).toEqual({ deliveries: [], jobs: [] });
  });

  it("refuses a token before reading a body that is not even JSON", async () => {
    const response = await bed.send("Merge Request Hook", null, { token: "wrong", rawBody: "{not json" });
    expect(response.status).toBe(401);
  });

  it("refuses, with 403, a hook for a project outside the secret's group", async () => {
    const elsewhere = project({ id: 99, path_with_namespace: "other-group/infra" });
    const response = await bed.send(
      "Merge Request Hook",
      mergeRequestHook({ action: "open", project: elsewhere }),
    );
    expect(response.status).toBe(403);
    expect(await stored()).toEqual({ deliveries: [], jobs: [] });
  });

  it("tells installations apart by secret: a project installation's secret does not open the group's", async () => {
    await bed.connect({ kind: "project", id: 500, path: "solo/infra", secret: "project-secret" });
    const solo = project({ id: 500, path_with_namespace: "solo/infra" });
    expect(
      (
        await bed.send("Merge Request Hook", mergeRequestHook({ action: "open", project: solo }), {
          token: "project-secret",
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await bed.send("Merge Request Hook", mergeRequestHook({ action: "open" }), {
          token: "project-secret",
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await bed.send("Merge Request Hook", mergeRequestHook({ action: "open", project: solo }), {
          token: "secret",
        })
      ).status,
    ).toBe(403);
    const { deliveries } = await stored();
    expect(deliveries.map((delivery) => delivery.installationExternalId)).toEqual(["500"]);
  });

  it("stops accepting a deleted installation's secret", async () => {
    await bed.database.client.db
      .update(installations)
      .set({ deletedAt: new Date() })
      .where(eq(installations.externalId, "7"));
    bed.renewApp();
    expect((await bed.send("Merge Request Hook", mergeRequestHook({ action: "open" }))).status).toBe(401);
  });
});

describe("idempotency", () => {
  it("stores a redelivery of the same Idempotency-Key once", async () => {
    const payload = noteHook({ body: "terragate apply" });
    expect((await bed.send("Note Hook", payload, { deliveryId: "same" })).status).toBe(202);
    const again = await bed.send("Note Hook", payload, { deliveryId: "same" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const { deliveries, jobs } = await stored();
    expect(deliveries).toHaveLength(1);
    expect(jobs).toHaveLength(1);
  });

  it("uses X-Gitlab-Event-UUID when GitLab sends no Idempotency-Key, and needs one of them", async () => {
    const payload = noteHook({ body: "terragate plan" });
    expect((await bed.send("Note Hook", payload, { deliveryId: null, uuid: "uuid-1" })).status).toBe(202);
    expect((await bed.send("Note Hook", payload, { deliveryId: null, uuid: "uuid-1" })).status).toBe(200);
    expect((await bed.send("Note Hook", payload, { deliveryId: null })).status).toBe(400);
    expect((await stored()).deliveries.map((delivery) => delivery.deliveryId)).toEqual(["uuid-1"]);
  });

  it("stores a delivery and its job together, or neither (a payload PostgreSQL refuses)", async () => {
    const poisoned = JSON.stringify(noteHook({ body: "terragate plan" })).replace(
      "terragate plan",
      "terragate plan \\u0000",
    );
    const response = await bed.send("Note Hook", null, { rawBody: poisoned });
    expect(response.status).toBe(500);
    expect(await stored()).toEqual({ deliveries: [], jobs: [] });
    expect((await bed.send("Note Hook", noteHook({ body: "terragate plan" }))).status).toBe(202);
    expect((await stored()).jobs).toHaveLength(1);
  });
});

describe("which hooks are kept", () => {
  it("keeps the events Terragate acts on", async () => {
    const kept: Array<[string, unknown]> = [
      ["Merge Request Hook", mergeRequestHook({ action: "update", oldrev: "abc" })],
      [
        "Merge Request Hook",
        mergeRequestHook({ action: "update", changes: { draft: { previous: true, current: false } } }),
      ],
      ["Merge Request Hook", mergeRequestHook({ action: "merge" })],
      ["Pipeline Hook", pipelineHook({ status: "failed" })],
      ["Job Hook", jobHook({ status: "canceled" })],
      ["Push Hook", pushHook({})],
    ];
    for (const [hook, payload] of kept) expect((await bed.send(hook, payload)).status).toBe(202);
    const actions = (await stored()).deliveries.map((delivery) => delivery.action).sort();
    expect(actions).toEqual(["canceled", "closed", "failed", "push", "ready_for_review", "synchronize"]);
  });

  it("acknowledges and drops the rest without storing them", async () => {
    const dropped: Array<[string, unknown]> = [
      [
        "Merge Request Hook",
        mergeRequestHook({ action: "update", changes: { labels: { previous: [], current: [] } } }),
      ],
      ["Merge Request Hook", mergeRequestHook({ action: "approved" })],
      ["Note Hook", noteHook({ body: "terragate plan", noteableType: "Issue" })],
      ["Note Hook", noteHook({ body: "terragate plan", action: "update" })],
      ["Pipeline Hook", pipelineHook({ status: "running" })],
      ["Pipeline Hook", pipelineHook({ status: "failed", source: "push" })],
      ["Job Hook", jobHook({ status: "success" })],
      ["Push Hook", pushHook({ ref: "refs/heads/feature" })],
      ["Issue Hook", { object_kind: "issue", project: project() }],
    ];
    for (const [hook, payload] of dropped) {
      const response = await bed.send(hook, payload);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ignored: true });
    }
    expect(await stored()).toEqual({ deliveries: [], jobs: [] });
  });
});

describe("evaluation", () => {
  it("evaluates a note that is no command without asking GitLab anything", async () => {
    await bed.send("Note Hook", noteHook({ body: "looks good to me" }), { deliveryId: "n-1" });
    await bed.work();
    const [delivery] = (await stored()).deliveries;
    expect(delivery?.processedAt).not.toBeNull();
    expect(delivery?.error).toBeNull();
    expect(bed.gitlab.state.requests).toEqual([]);
  });

  it("records the project of a push to the default branch and queues its refresh", async () => {
    await bed.send("Push Hook", pushHook({ after: "abc" }), { deliveryId: "p-1" });
    await bed.work();
    const [delivery] = (await stored()).deliveries;
    expect(delivery?.error).toBeNull();
    const rows = await bed.database.client.sql<{ full_name: string; external_id: string }[]>`
      select full_name, external_id from repositories where vcs = 'gitlab'`;
    expect([...rows]).toEqual([{ full_name: "acme/platform/infra", external_id: String(projectId) }]);
  });
});
