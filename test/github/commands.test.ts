// PR comment commands end to end: refusals (plan missing or stale, approvals, locks, access), unlock, close, config errors.
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, locks, plans, pullRequests, workManifests } from "../../src/db/schema/index.ts";
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

function seed(config?: string) {
  const seeded = seedRepository(bed.github, config ? { ".terragate/config.yml": config } : {});
  for (const user of ["alice", "bob"]) seeded.repo.permissions.set(user, "write");
  seeded.repo.permissions.set("carol", "admin");
  return seeded;
}

/** Opens a PR, lets autoplan run, and stores a successful plan for each planned dirspace at the PR's shas. */
async function openAndPlan(number: number, changed: Record<string, string>, author = "alice") {
  const pull = openPullRequest(bed.github, { number, author, changed });
  expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
  await bed.work();
  const db = bed.database.client.db;
  const [row] = await db.select().from(pullRequests).where(eq(pullRequests.number, number));
  const manifests = await db.select().from(workManifests).where(eq(workManifests.pullRequestId, row!.id));
  const manifest = manifests[0]!;
  const dirspaces = await bed.database.client.sql<{ dir: string; workspace: string }[]>`
    select dir, workspace from work_manifest_dirspaces where work_manifest_id = ${manifest.id}`;
  for (const dirspace of dirspaces) {
    await db.insert(plans).values({
      installationId: manifest.installationId,
      repositoryId: manifest.repositoryId,
      pullRequestId: row!.id,
      workManifestId: manifest.id,
      dir: dirspace.dir,
      workspace: dirspace.workspace,
      baseSha: pull.base.sha,
      headSha: pull.head.sha,
      hasChanges: true,
      sealed: Buffer.from("plan"),
      sizeBytes: 4,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
  }
  await db.update(workManifests).set({ state: "completed" }).where(eq(workManifests.id, manifest.id));
  await bed.database.client.sql`
    update work_manifest_dirspaces set state = 'success', success = true where work_manifest_id = ${manifest.id}`;
  return pull;
}

async function comment(number: number, body: string, author = "alice") {
  const id = bed.github.state.addUserComment(repoFullName, number, author, body);
  expect(await bed.send("issue_comment", commentEvent(number, { id, body, author }))).toBe(202);
  await bed.work();
  return bed.github.state.pull(repoFullName, number).comments.find((candidate) => candidate.id === id)!;
}

function refusal(number: number): string | undefined {
  return bed.github.state
    .botComments(repoFullName, number)
    .find((candidate) => candidate.body.includes(`<!-- terragate:refusal:pr-${number} -->`))?.body;
}

const dispatchedKinds = async () =>
  (await bed.database.client.db.select().from(workManifests))
    .filter((manifest) => manifest.state === "dispatched")
    .map((manifest) => manifest.kind);

async function lockOwners(): Promise<string[]> {
  const rows = await bed.database.client.sql<{ dir: string; number: number }[]>`
    select l.dir, p.number from locks l join pull_requests p on p.id = l.pull_request_id order by l.dir`;
  return rows.map((row) => `${row.dir}#${row.number}`);
}

describe("terragate apply refusals", () => {
  it("refuses an apply without a plan, reacts 👀, and dispatches nothing", async () => {
    seed();
    const pull = openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await bed.send("pull_request", pullRequestEvent("reopened", pull));
    await bed.work();
    await bed.database.client.db.delete(workManifests);
    const dispatchesBefore = bed.github.state.dispatches.length;
    const asked = await comment(1, "terragate apply");
    expect(asked.reactions).toContain("eyes");
    expect(refusal(1)).toContain("**Cannot apply** `infra/a` (default)");
    expect(refusal(1)).toContain("no plan for `infra/a` (default) in this PR — comment `terragate plan`");
    expect(bed.github.state.dispatches.length).toBe(dispatchesBefore);
  });

  it("refuses a stale plan, naming both shas", async () => {
    seed();
    const pull = await openAndPlan(1, { "infra/a/main.tf": "#" });
    const oldSha = pull.head.sha;
    const newSha = bed.github.state.commit(repoFullName, pull.head.ref, {
      ...Object.fromEntries(bed.github.state.filesAt(bed.github.state.repo(repoFullName), pull.head.ref)!),
      "infra/a/main.tf": "# moved on",
    });
    pull.head.sha = newSha;
    await comment(1, "terragate apply");
    const body = refusal(1);
    expect(body).toContain(`the plan for \`infra/a\` (default) is from \`${oldSha.slice(0, 7)}\``);
    expect(body).toContain(`but the PR is at \`${newSha.slice(0, 7)}\` — comment \`terragate plan\``);
    expect(await dispatchedKinds()).not.toContain("apply");
  });

  it("refuses until the required approval exists, then applies and takes the lock", async () => {
    seed("apply_requirements:\n  approved: { enabled: true, any_of_count: 1 }\n");
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    await comment(1, "terragate apply");
    expect(refusal(1)).toContain("0 of 1 required approval — get a review");
    expect(await dispatchedKinds()).not.toContain("apply");

    bed.github.state.approve(repoFullName, 1, "bob");
    await comment(1, "terragate apply");
    expect(await dispatchedKinds()).toContain("apply");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    const lastDispatch = bed.github.state.dispatches.at(-1)!;
    const [applyManifest] = await bed.database.client.db
      .select()
      .from(workManifests)
      .where(
        and(eq(workManifests.kind, "apply"), eq(workManifests.id, lastDispatch.inputs["work-manifest-id"]!)),
      );
    expect(applyManifest?.commentId).not.toBeNull();
  });

  it("refuses an apply on a dirspace locked by another PR and says how to unlock it", async () => {
    seed();
    await openAndPlan(1, { "infra/a/main.tf": "# one" });
    await openAndPlan(2, { "infra/a/main.tf": "# two" }, "bob");
    await comment(1, "terragate apply");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    await comment(2, "terragate apply", "bob");
    const body = refusal(2);
    expect(body).toContain(
      "`infra/a` (default) locked by #1 (applied just now) — merge or close #1, or comment `terragate unlock 1`",
    );
    expect((await dispatchedKinds()).filter((kind) => kind === "apply")).toHaveLength(1);
  });

  it("refuses a user the access policy does not allow", async () => {
    seed(
      'access_control:\n  policies:\n    - tag_query: ""\n      plan: ["*"]\n      apply: ["role:maintain"]\n',
    );
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    await comment(1, "terragate apply", "alice");
    expect(refusal(1)).toContain(
      "@alice may not apply `infra/a` (default); allowed: `role:maintain` (`access_control.policies[0]` in `.terragate/config.yml` on `main`)",
    );
    expect(await dispatchedKinds()).not.toContain("apply");
    // An admin is above maintain and may apply.
    await comment(1, "terragate apply", "carol");
    expect(await dispatchedKinds()).toContain("apply");
  });

  it("lets terragate plan run, then refuses an apply whose plan another PR's apply superseded", async () => {
    seed();
    await openAndPlan(1, { "infra/b/main.tf": "# one" });
    await openAndPlan(2, { "infra/b/main.tf": "# two" }, "bob");
    await comment(1, "terragate apply");
    // PR 1's apply succeeds and PR 1 is closed, releasing its lock.
    await bed.database.client.sql`
      update work_manifest_dirspaces set success = true, state = 'success'
      where work_manifest_id in (select id from work_manifests where kind = 'apply')`;
    await bed.database.client
      .sql`update work_manifests set state = 'completed', completed_at = now() where kind = 'apply'`;
    const one = bed.github.state.pull(repoFullName, 1);
    one.state = "closed";
    await bed.send("pull_request", pullRequestEvent("closed", one));
    await bed.work();
    await comment(2, "terragate apply", "bob");
    expect(refusal(2)).toContain("#1 applied `infra/b` (default) after this plan — comment `terragate plan`");
  });
});

describe("concurrent applies", () => {
  it("queues an apply behind another PR's in-flight apply of the same dirspace instead of rejecting it", async () => {
    seed("lock_policy: none\n");
    await openAndPlan(1, { "infra/a/main.tf": "# one" });
    await openAndPlan(2, { "infra/a/main.tf": "# two" }, "bob");
    await comment(1, "terragate apply");
    await comment(2, "terragate apply", "bob");
    const applies = (await bed.database.client.db.select().from(workManifests)).filter(
      (m) => m.kind === "apply",
    );
    expect(applies.map((manifest) => manifest.state).sort()).toEqual(["dispatched", "queued"]);
    const [waiting] = await bed.database.client.sql<{ later: boolean }[]>`
      select run_at > now() as later from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'dispatch-run'`;
    expect(waiting?.later).toBe(true);
    expect(refusal(2)).toBeUndefined();
  });
});

describe("locks", () => {
  it("unlock releases this PR's locks; closing a PR releases them too", async () => {
    seed();
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    await openAndPlan(2, { "infra/c/main.tf": "#" }, "bob");
    await comment(1, "terragate apply");
    await comment(2, "terragate apply", "bob");
    expect(await lockOwners()).toEqual(["infra/a#1", "infra/c#2"]);

    await comment(1, "terragate unlock");
    expect(await lockOwners()).toEqual(["infra/c#2"]);
    expect(
      bed.github.state.botComments(repoFullName, 1).some((c) => c.body.includes(":unlock: **Unlocked**")),
    ).toBe(true);

    const two = bed.github.state.pull(repoFullName, 2);
    two.state = "closed";
    await bed.send("pull_request", pullRequestEvent("closed", two));
    await bed.work();
    expect(await lockOwners()).toEqual([]);
  });

  it("unlock of another PR's locks follows the unlock policy", async () => {
    seed(
      'access_control:\n  policies:\n    - tag_query: ""\n      plan: ["*"]\n      apply: ["*"]\n      unlock: ["role:admin"]\n',
    );
    await openAndPlan(1, { "infra/a/main.tf": "#" });
    await comment(1, "terragate apply");
    await openAndPlan(2, { "infra/b/main.tf": "#" }, "bob");
    await comment(2, "terragate unlock 1", "bob");
    expect(refusal(2)).toContain("**Cannot unlock**");
    expect(await lockOwners()).toEqual(["infra/a#1"]);
    const unlocks = () =>
      bed.database.client.db.select().from(auditLog).where(eq(auditLog.action, "lock.unlock"));
    expect(await unlocks()).toEqual([]);
    await comment(2, "terragate unlock 1", "carol");
    expect(await lockOwners()).toEqual([]);
    // Audited like an unlock through the API: who, from which PR, which locks of which PR.
    expect((await unlocks()).map((entry) => [entry.actor, entry.target])).toEqual([
      [
        "github:carol",
        {
          repo: repoFullName,
          pull_request: 2,
          via: "comment",
          dirspaces: [{ dir: "infra/a", workspace: "default", pull_request: 1 }],
        },
      ],
    ]);
    // Nothing left to release: no entry.
    await comment(2, "terragate unlock 1", "carol");
    expect(await unlocks()).toHaveLength(1);
  });
});

describe("config errors", () => {
  it("answers broken YAML in the PR's config with file, line and column, and runs nothing", async () => {
    seed();
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: {
        "infra/a/main.tf": "#",
        ".terragate/config.yml": "version: 1\ndirs:\n  infra/a: [unclosed\n",
      },
    });
    await bed.send("pull_request", pullRequestEvent("opened", pull));
    await bed.work();
    const comments = bed.github.state.botComments(repoFullName, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/\.terragate\/config\.yml:\d+:\d+: /);
    expect(await bed.database.client.db.select().from(workManifests)).toHaveLength(0);
    expect(bed.github.state.dispatches).toHaveLength(0);
  });
});

describe("other commands", () => {
  it("answers help and an unknown action with a suggestion", async () => {
    seed();
    openPullRequest(bed.github, { number: 1, changed: { "infra/a/main.tf": "#" } });
    await comment(1, "terragate aply");
    const reply = bed.github.state.botComments(repoFullName, 1)[0]?.body ?? "";
    expect(reply).toContain("apply");
    expect(reply).toContain("terragate plan [TAG-QUERY]");
  });

  it("plans only what the tag query selects", async () => {
    seed();
    const pull = openPullRequest(bed.github, {
      number: 1,
      changed: { "infra/a/main.tf": "#", "infra/b/main.tf": "#" },
    });
    void pull;
    await comment(1, "terragate plan dir:infra/b");
    const [manifest] = await bed.database.client.db.select().from(workManifests);
    const dirspaces = await bed.database.client.sql<{ dir: string }[]>`
      select dir from work_manifest_dirspaces where work_manifest_id = ${manifest!.id}`;
    expect(dirspaces.map((row) => row.dir)).toEqual(["infra/b"]);
    expect(manifest?.tagQuery).toBe("dir:infra/b");
  });
});

void locks;
