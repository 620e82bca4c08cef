// Hostile input and crashes: deep tag queries, replayed comments, a worker dying at the commit, which plan an apply gets.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { issueManifestToken } from "../../src/crypto/work-token.ts";
import { insertWorkManifest } from "../../src/db/queries/work-manifest-creation.ts";
import { webhookDeliveries } from "../../src/db/schema/index.ts";
import { commentEvent, pullRequestEvent, repoFullName } from "./payloads.ts";
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
  seedRepository(bed.github);
});

const pendingJobs = async () =>
  bed.database.client.sql<{ attempts: number; last_error: string | null }[]>`
    select attempts, last_error from graphile_worker._private_jobs`;

describe("a tag query nested 50,000 deep", () => {
  it("gets a reply naming the limit; the job finishes at once instead of crashing into retries", async () => {
    openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    const query = `${"(".repeat(50_000)}prod${")".repeat(50_000)}`;
    await comment(bed, 1, `terragate plan ${query}`, "alice");
    const reply = bed.github.state.botComments(repoFullName, 1)[0]?.body ?? "";
    expect(reply).toContain(
      "invalid tag query in `terragate plan` at column 65: nested more than 64 levels deep (parentheses and 'not'); simplify the query.",
    );
    expect(reply.length).toBeLessThan(2_000);
    expect(await pendingJobs()).toEqual([]);
    const [delivery] = await bed.database.client.db.select().from(webhookDeliveries);
    expect(delivery).toMatchObject({ error: null });
    expect(delivery?.processedAt).not.toBeNull();
    expect(await manifests(bed)).toEqual([]);
  });
});

describe("one run per comment", () => {
  it("starts nothing for the same comment delivered again under a new delivery id", async () => {
    openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    const id = await comment(bed, 1, "terragate plan", "alice", { deliveryId: "first" });
    expect(await manifests(bed)).toHaveLength(1);
    const requestsBefore = bed.github.state.requests.length;
    const replay = commentEvent(1, { id, body: "terragate plan", author: "alice" });
    expect(await bed.send("issue_comment", replay, { deliveryId: "replayed" })).toBe(202);
    await bed.work();
    expect(await manifests(bed)).toHaveLength(1);
    expect(bed.github.state.dispatches).toHaveLength(1);
    // Not even a 👀 or a comment: the replay is answered without calling GitHub.
    expect(bed.github.state.requests.slice(requestsBefore)).toEqual([]);
    const deliveries = await bed.database.client.db.select().from(webhookDeliveries);
    expect(deliveries.map((delivery) => delivery.processedAt !== null)).toEqual([true, true]);
  });

  it("lets the database refuse a second manifest for one comment, whoever checked first", async () => {
    openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await comment(bed, 1, "terragate plan", "alice");
    const [first] = await manifests(bed);
    const row = {
      installationId: first!.installationId,
      repositoryId: first!.repositoryId,
      pullRequestId: first!.pullRequestId,
      vcs: first!.vcs,
      kind: first!.kind,
      baseRef: first!.baseRef,
      baseSha: first!.baseSha,
      headRef: first!.headRef,
      headSha: first!.headSha,
      requestedBy: "alice",
      tagQuery: "",
      commentId: first!.commentId,
      runConfig: {},
    };
    const again = await insertWorkManifest(bed.database.client.db, { ...row, dirspaces: [] });
    expect(again).toBeNull();
    const otherComment = await insertWorkManifest(bed.database.client.db, {
      ...row,
      commentId: `${row.commentId}0`,
      dirspaces: [],
    });
    expect(otherComment).not.toBeNull();
  });
});

describe("a worker that dies as it marks the delivery processed", () => {
  it("never leaves a second manifest for the retry to make", async () => {
    // The first attempt dies exactly where the delivery is marked processed (a sequence is not
    // rolled back, so only the first attempt fails); the job is then retried.
    await bed.database.client.sql.unsafe(`
      create sequence crash_once;
      create function die_when_processed() returns trigger language plpgsql as $$
      begin
        if new.processed_at is not null and old.processed_at is null and nextval('crash_once') = 1 then
          raise exception 'worker killed';
        end if;
        return new;
      end $$;
      create trigger die_when_processed before update on webhook_deliveries
        for each row execute function die_when_processed();`);
    try {
      const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
      expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
      await bed.work();
      // The evaluation failed once and waits for its retry.
      expect((await pendingJobs()).map((job) => job.attempts)).toEqual([1]);
      await bed.database.client.sql`update graphile_worker._private_jobs set run_at = now()`;
      await bed.work();
      expect(await pendingJobs()).toEqual([]);
      expect(await manifests(bed)).toHaveLength(1);
      expect(bed.github.state.dispatches).toHaveLength(1);
      expect(bed.github.state.repo(repoFullName).checkRuns.map((run) => run.name)).toEqual([
        "terragate plan: infra/a (default)",
      ]);
    } finally {
      await bed.database.client.sql.unsafe(`
        drop trigger die_when_processed on webhook_deliveries;
        drop function die_when_processed();
        drop sequence crash_once;`);
    }
  });
});

describe("the plan an apply runs", () => {
  async function download(manifestId: string, dir: string) {
    const [manifest] = (await manifests(bed)).filter((candidate) => candidate.id === manifestId);
    const { token } = await issueManifestToken(
      bed.deps.encryptionKey,
      {
        manifestId,
        repositoryId: manifest!.repositoryId,
        installationId: manifest!.installationId,
        operations: ["plans:read"],
      },
      600,
    );
    const response = await bed.app.request(
      `/api/github/v1/work-manifests/${manifestId}/plans?dir=${encodeURIComponent(dir)}&workspace=default`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()).toString() };
  }

  it("is exactly the plan the decision validated, even when a newer plan succeeds before the download", async () => {
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await sendPullRequest(bed, "opened", pull);
    const validated = await completePlan(bed, (await manifests(bed))[0]!.id, pull, "reviewed");
    await comment(bed, 1, "terragate apply", "alice");
    const apply = (await manifests(bed)).find((manifest) => manifest.kind === "apply")!;
    const [recorded] = await bed.database.client.sql<{ plan_id: string }[]>`
      select plan_id from work_manifest_dirspaces where work_manifest_id = ${apply.id}`;
    expect(Number(recorded?.plan_id)).toBe(validated.get("infra/a"));

    // Another plan of the same commit succeeds after the decision (nobody reviewed it).
    await comment(bed, 1, "terragate plan", "bob");
    const later = (await manifests(bed)).filter((manifest) => manifest.kind === "plan").at(-1)!;
    await completePlan(bed, later.id, pull, "unreviewed");
    expect(await download(apply.id, "infra/a")).toEqual({ status: 200, body: "reviewed:infra/a" });
  });

  it("is never a plan whose run failed: the apply is refused up front instead of failing in CI", async () => {
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await sendPullRequest(bed, "opened", pull);
    await completePlan(bed, (await manifests(bed))[0]!.id, pull, "old");
    const oldHead = pull.head.sha;
    bed.github.state.push(repoFullName, 1, { "infra/a/main.tf": "# new" });
    await sendPullRequest(bed, "synchronize", pull);
    // The new commit's plan file was uploaded, but a later step of that run failed.
    const failedRun = (await manifests(bed)).at(-1)!;
    await completePlan(bed, failedRun.id, pull, "failed");
    await bed.database.client.sql`
      update work_manifest_dirspaces set state = 'failure', success = false where work_manifest_id = ${failedRun.id}`;
    await comment(bed, 1, "terragate apply", "alice");
    expect(refusal(bed, 1)).toContain(
      `the plan for \`infra/a\` (default) is from \`${oldHead.slice(0, 7)}\` but the PR is at \`${pull.head.sha.slice(0, 7)}\``,
    );
    expect((await manifests(bed)).filter((manifest) => manifest.kind === "apply")).toEqual([]);
  });
});
