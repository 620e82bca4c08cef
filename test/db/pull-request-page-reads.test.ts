// The PR page's reads, as the page makes them: the PR's own rows, and nothing of a PR of another installation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCursor } from "../../src/db/queries/cursor.ts";
import {
  getPullRequest,
  listPullRequestRuns,
  pullRequestDirspaces,
  pullRequestLocks,
  pullRequestVersion,
  recentDashboardActions,
} from "../../src/db/queries/dashboard-pages.ts";
import { recentRunNotes } from "../../src/db/queries/pull-request-layers.ts";
import { withTenant } from "../../src/db/queries/tenant-transaction.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
type Seeded = { installationId: number; pullRequestId: number; runIds: string[] };
/** Two installations whose repositories, PRs and dirspaces have the same names: only ids tell them apart. */
const seeded = {} as Record<"acme" | "globex", Seeded>;

async function seedInstallation(externalId: string, login: string): Promise<Seeded> {
  const { sql } = database.client;
  const [installation] = await sql<{ id: string }[]>`
    insert into installations (vcs, external_id, account_login) values ('github', ${externalId}, ${login}) returning id`;
  const installationId = Number(installation!.id);
  const [repository] = await sql<{ id: string }[]>`
    insert into repositories (installation_id, vcs, external_id, owner, name, full_name)
    values (${installationId}, 'github', ${`${externalId}0`}, 'acme', 'infra', 'acme/infra') returning id`;
  const [pull] = await sql<{ id: string }[]>`
    insert into pull_requests (installation_id, repository_id, number, title, author, base_branch, base_sha, head_branch, head_sha)
    values (${installationId}, ${repository!.id}, 7, ${`${login} change`}, 'alice', 'main', 'b', 'feature', 'h')
    returning id`;
  const pullRequestId = Number(pull!.id);
  const runIds: string[] = [];
  // Three runs a minute apart, newest last; the newest has one failed dirspace of two and notes.
  for (const [index, kind] of (["plan", "apply", "plan"] as const).entries()) {
    const newest = index === 2;
    const [manifest] = await sql<{ id: string }[]>`
      insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
        base_ref, base_sha, head_ref, head_sha, requested_by, created_at, run_config)
      values (${installationId}, ${repository!.id}, ${pullRequestId}, 'github', ${kind}, ${newest ? "running" : "completed"},
        'main', 'b', 'feature', 'h', ${login}, now() - ${3 - index} * interval '1 minute',
        ${JSON.stringify(newest ? { notes: { layers: [], reasons: [], waits: [] } } : {})}::jsonb)
      returning id`;
    await sql`insert into work_manifest_dirspaces (work_manifest_id, installation_id, dir, workspace, state)
      values (${manifest!.id}, ${installationId}, 'infra/a', 'default', ${newest ? "running" : "success"}),
        (${manifest!.id}, ${installationId}, 'infra/b', 'default', ${newest ? "failure" : "success"})`;
    runIds.push(manifest!.id);
  }
  await sql`insert into locks (installation_id, repository_id, dir, workspace, pull_request_id)
    values (${installationId}, ${repository!.id}, 'infra/a', 'default', ${pullRequestId})`;
  // A press on PR #7 with its outcome, and one on PR #8 that must not show on #7.
  await sql`insert into audit_log (installation_id, actor, action, target, created_at) values
    (${installationId}, ${`github:${login}`}, 'dashboard.plan', ${JSON.stringify({ repo: "acme/infra", pull_request: 7 })}::jsonb, now() - interval '2 minutes'),
    (${installationId}, 'terragate', 'dashboard.outcome', ${JSON.stringify({ repo: "acme/infra", pull_request: 7, command: "plan", outcome: "started" })}::jsonb, now() - interval '1 minute'),
    (${installationId}, ${`github:${login}`}, 'dashboard.apply', ${JSON.stringify({ repo: "acme/infra", pull_request: 8 })}::jsonb, now())`;
  return { installationId, pullRequestId, runIds };
}

/** The reads by id, in one batch with the PR itself (as the page sends them). */
function readsById(installationId: number, pullRequestId: number, after?: readonly (string | number)[]) {
  return withTenant(database.client, installationId, async (tx) => {
    const [pull, dirspaces, runs, held, notes] = await Promise.all([
      getPullRequest(tx, installationId, pullRequestId),
      pullRequestDirspaces(tx, installationId, pullRequestId),
      listPullRequestRuns(tx, installationId, pullRequestId, {
        limit: 2,
        direction: "desc",
        ...(after ? { after } : {}),
      }),
      pullRequestLocks(tx, installationId, pullRequestId),
      recentRunNotes(tx, pullRequestId),
    ]);
    return { pull, dirspaces, runs, held, notes };
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  seeded.acme = await seedInstallation("1", "acme");
  seeded.globex = await seedInstallation("2", "globex");
});
afterAll(async () => {
  await database?.close();
});

describe("the PR page's reads", () => {
  it("find the PR, its dirspaces' latest results, its runs page by page with their counts, locks and notes", async () => {
    const { installationId, pullRequestId, runIds } = seeded.acme;
    const read = await readsById(installationId, pullRequestId);
    expect(read.pull).toMatchObject({ id: pullRequestId, number: 7, title: "acme change" });
    expect(
      read.dirspaces.map((dirspace) => [
        dirspace.dir,
        dirspace.latest.plan?.manifestId,
        dirspace.latest.plan?.state,
        dirspace.latest.plan?.pullRequest,
        dirspace.latest.plan?.pullRequestId,
        dirspace.latest.apply?.manifestId,
      ]),
    ).toEqual([
      ["infra/a", runIds[2], "running", 7, pullRequestId, runIds[1]],
      ["infra/b", runIds[2], "failure", 7, pullRequestId, runIds[1]],
    ]);
    expect(read.runs.items.map((run) => [run.id, run.kind, run.dirspaces, run.failed])).toEqual([
      [runIds[2], "plan", 2, 1],
      [runIds[1], "apply", 2, 0],
    ]);
    expect(read.runs.items[0]!.createdAt).toBeInstanceOf(Date);
    expect(read.runs.items[1]!.completedAt).toBeNull();
    const next = await readsById(installationId, pullRequestId, decodeCursor(read.runs.nextPage!, 2));
    expect(next.runs.items.map((run) => run.id)).toEqual([runIds[0]]);
    expect(next.runs.nextPage).toBeNull();
    expect(read.held.map((lock) => lock.dir)).toEqual(["infra/a"]);
    expect(read.notes.map((entry) => entry.manifestId)).toEqual([runIds[2]]);
  });

  it("find nothing of another installation's PR, though its repository, number and dirspaces have the same names", async () => {
    const read = await readsById(seeded.acme.installationId, seeded.globex.pullRequestId);
    expect(read).toEqual({
      pull: undefined,
      dirspaces: [],
      runs: { items: [], nextPage: null },
      held: [],
      notes: [],
    });
  });

  it("count the PR's own presses for its live state, and list them newest first", async () => {
    const { installationId, pullRequestId } = seeded.acme;
    const [actions, version] = await withTenant(database.client, installationId, async (tx) => {
      const pull = (await getPullRequest(tx, installationId, pullRequestId))!;
      return Promise.all([
        recentDashboardActions(tx, installationId, pull.repository.fullName, pull.number),
        pullRequestVersion(tx, installationId, pull),
      ]);
    });
    expect(actions.map((entry) => [entry.actor, entry.action])).toEqual([
      ["terragate", "dashboard.outcome"],
      ["github:acme", "dashboard.plan"],
    ]);
    // Three runs (one running), one press answered, one lock.
    expect(version.version).toMatch(/^3:.+:1:1:1$/);
    expect(version.live).toBe(true);
  });
});
