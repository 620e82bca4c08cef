// From a signed webhook to a dispatched workflow: storage, idempotency, signatures, crash safety, autoplan.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { hashWorkToken } from "../../src/crypto/work-token.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import {
  webhookDeliveries,
  workManifestDirspaces,
  workManifests,
  workTokens,
} from "../../src/db/schema/index.ts";
import { startWorker } from "../../src/jobs/worker.ts";
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
  seedRepository(bed.github);
});

async function manifests() {
  return bed.database.client.db.select().from(workManifests);
}

describe("webhook → work manifest → dispatch", () => {
  it("plans exactly the two changed roots: one manifest, queued check runs, one dispatch with the three inputs", async () => {
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "# a", "infra/b/main.tf": "# b", "README.md": "docs" },
    });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    await bed.work();

    const [manifest, ...others] = await manifests();
    expect(others).toHaveLength(0);
    expect(manifest).toMatchObject({
      kind: "plan",
      state: "dispatched",
      headSha: pull.head.sha,
      baseSha: pull.base.sha,
    });
    const dirspaces = await bed.database.client.db
      .select()
      .from(workManifestDirspaces)
      .where(eq(workManifestDirspaces.workManifestId, manifest!.id));
    expect(dirspaces.map((d) => `${d.dir}:${d.workspace}`).sort()).toEqual([
      "infra/a:default",
      "infra/b:default",
    ]);
    expect(dirspaces.every((d) => d.checkRunId !== null)).toBe(true);

    const checkRuns = bed.github.state.repo(repoFullName).checkRuns;
    expect(checkRuns.map((run) => run.name).sort()).toEqual([
      "terragate plan: infra/a (default)",
      "terragate plan: infra/b (default)",
    ]);
    expect(checkRuns.every((run) => run.status === "queued" && run.headSha === pull.head.sha)).toBe(true);

    expect(bed.github.state.dispatches).toHaveLength(1);
    const dispatch = bed.github.state.dispatches[0]!;
    expect(dispatch).toMatchObject({ workflow: "terragate.yml", ref: "main", returnRunDetails: true });
    expect(Object.keys(dispatch.inputs).sort()).toEqual(["api-base-url", "work-manifest-id", "work-token"]);
    expect(dispatch.inputs["work-manifest-id"]).toBe(manifest!.id);
    expect(dispatch.inputs["api-base-url"]).toBe("https://terragate.test");
    // The token is stored only as its hash, single use, for an hour.
    const [token] = await bed.database.client.db.select().from(workTokens);
    expect(token?.tokenHash).toBe(hashWorkToken(dispatch.inputs["work-token"]!));
    expect(token!.expiresAt.getTime() - Date.now()).toBeGreaterThan(55 * 60 * 1000);
    expect(token?.usedAt).toBeNull();
    // The run GitHub reported is recorded; the check runs' stable link redirects to it.
    const [after] = await manifests();
    expect(after?.runId).toBe(String(dispatch.runId));
    const link = `https://terragate.test/api/github/v1/runs/${manifest!.id}`;
    expect(checkRuns.every((run) => run.detailsUrl === link)).toBe(true);
    const redirect = await bed.app.request(link.replace("https://terragate.test", ""));
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe(after?.runUrl);
    expect(after?.runUrl).toBe(`https://github.com/acme/infra/actions/runs/${dispatch.runId}`);
  });

  it("treats a redelivery of the same delivery id as a no-op", async () => {
    const pull = openPullRequest(bed.github, { number: 2, changed: { "infra/a/main.tf": "# a" } });
    const payload = pullRequestEvent("opened", pull);
    expect(await bed.send("pull_request", payload, { deliveryId: "delivery-1" })).toBe(202);
    expect(await bed.send("pull_request", payload, { deliveryId: "delivery-1" })).toBe(200);
    await bed.work();
    expect(await manifests()).toHaveLength(1);
    expect(bed.github.state.dispatches).toHaveLength(1);
  });

  it("stores each of many concurrent deliveries exactly once, with exactly one job each", async () => {
    const pull = openPullRequest(bed.github, { number: 7, changed: { "infra/a/main.tf": "# a" } });
    const payload = pullRequestEvent("synchronize", pull);
    const ids = Array.from({ length: 40 }, (_, index) => `burst-${index % 25}`);
    const statuses = await Promise.all(
      ids.map((deliveryId) => bed.send("pull_request", payload, { deliveryId })),
    );
    expect(statuses.filter((status) => status === 202)).toHaveLength(25);
    expect(statuses.filter((status) => status === 200)).toHaveLength(15);
    expect(await bed.database.client.db.select().from(webhookDeliveries)).toHaveLength(25);
    const jobs = await bed.database.client.sql<
      { key: string }[]
    >`select key from graphile_worker._private_jobs`;
    expect(new Set(jobs.map((job) => job.key)).size).toBe(25);
    expect(jobs).toHaveLength(25);
  });

  it("rejects a bad or missing signature with 401 and stores nothing", async () => {
    const pull = openPullRequest(bed.github, { number: 3, changed: { "infra/a/main.tf": "# a" } });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull), { secret: "wrong" })).toBe(401);
    const unsigned = await bed.app.request("/api/github/v1/events", {
      method: "POST",
      body: "{}",
      headers: { "x-github-event": "pull_request", "x-github-delivery": "d" },
    });
    expect(unsigned.status).toBe(401);
    expect(await bed.database.client.db.select().from(webhookDeliveries)).toHaveLength(0);
    const jobs = await bed.database.client.sql`select 1 from graphile_worker._private_jobs`;
    expect(jobs).toHaveLength(0);
  });

  it("refuses bodies over 25 MB with 413", async () => {
    const response = await bed.app.request("/api/github/v1/events", {
      method: "POST",
      body: "x".repeat(25 * 1024 * 1024 + 1),
      headers: {
        "x-github-event": "pull_request",
        "x-github-delivery": "big",
        "x-hub-signature-256": "sha256=00",
      },
    });
    expect(response.status).toBe(413);
  });

  it("evaluates a delivery stored before a crash once a worker starts", async () => {
    const pull = openPullRequest(bed.github, { number: 4, changed: { "infra/c/main.tf": "# c" } });
    expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
    // No worker ran: the delivery and its job are durable, nothing was called on GitHub.
    const [stored] = await bed.database.client.db.select().from(webhookDeliveries);
    expect(stored?.processedAt).toBeNull();
    expect(bed.github.state.requests).toHaveLength(0);
    // "Restart": a fresh worker process (its own deps and pool) picks the job up and evaluates it.
    const pool = createPgPool(bed.database.url, {
      max: 3,
      applicationName: "terragate-test-restarted-worker",
    });
    const worker = await startWorker({
      deps: { ...bed.deps, database: bed.database.client },
      pool,
      concurrency: 2,
      pollInterval: 100,
    });
    try {
      const deadline = Date.now() + 15_000;
      while (bed.github.state.dispatches.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await worker.stop(2_000);
      await pool.end();
    }
    const [processed] = await bed.database.client.db.select().from(webhookDeliveries);
    expect(processed?.processedAt).not.toBeNull();
    expect(bed.github.state.dispatches).toHaveLength(1);
    expect(bed.github.state.dispatches[0]?.inputs["work-manifest-id"]).toBe((await manifests())[0]?.id);
  });

  it("ignores PRs into branches that are not destinations, and drafts when autoplan_draft_pr is off", async () => {
    bed.github.state.commit(
      repoFullName,
      "release",
      Object.fromEntries(bed.github.state.filesAt(bed.github.state.repo(repoFullName), "main")!),
    );
    const intoRelease = openPullRequest(bed.github, {
      number: 5,
      base: "release",
      changed: { "infra/a/main.tf": "#" },
    });
    await bed.send("pull_request", pullRequestEvent("opened", intoRelease));
    bed.github.state.commit(repoFullName, "main", {
      ...Object.fromEntries(bed.github.state.filesAt(bed.github.state.repo(repoFullName), "main")!),
      ".terragate/config.yml": "when_modified:\n  autoplan_draft_pr: false\n",
    });
    const draft = openPullRequest(bed.github, {
      number: 6,
      draft: true,
      changed: { "infra/a/main.tf": "#" },
    });
    await bed.send("pull_request", pullRequestEvent("opened", draft));
    await bed.work();
    expect(await manifests()).toHaveLength(0);
    expect(bed.github.state.dispatches).toHaveLength(0);
    const deliveries = await bed.database.client.db.select().from(webhookDeliveries);
    expect(deliveries.map((delivery) => [delivery.processedAt !== null, delivery.error])).toEqual([
      [true, null],
      [true, null],
    ]);
  });
});

describe("configuration", () => {
  it("refuses to start without WEBHOOK_SECRET when APP_ID is set", () => {
    expect(() => loadConfig({ APP_ID: "1", PRIVATE_KEY: "pem" })).toThrow(/WEBHOOK_SECRET/);
  });
});
