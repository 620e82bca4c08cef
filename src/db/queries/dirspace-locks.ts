// Dirspace locks: atomic acquisition through the primary key (never read-then-insert), release per PR.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { locks, pullRequests } from "../schema/index.ts";

export interface DirspaceKey {
  dir: string;
  workspace: string;
}

export interface LockHolder extends DirspaceKey {
  pullRequestNumber: number;
  acquiredAt: Date;
}

export interface LockAttempt {
  installationId: number;
  repositoryId: number;
  pullRequestId: number;
  workManifestId: string | null;
  dirspaces: DirspaceKey[];
  /** Under lock_policy `merge` a merged PR keeps its locks until they are applied or unlocked. */
  keepMergedLocks: boolean;
}

export interface LockResult {
  /** Dirspaces this PR now holds (newly or already). */
  acquired: DirspaceKey[];
  /** Dirspaces another open PR holds, with that PR's number. */
  heldByOthers: LockHolder[];
}

const byKey = (a: DirspaceKey, b: DirspaceKey) =>
  a.dir === b.dir ? a.workspace.localeCompare(b.workspace) : a.dir.localeCompare(b.dir);

/**
 * Takes the locks in one statement: a row that exists for another PR makes the conflicting insert
 * return nothing, so two PRs racing for a dirspace end with exactly one owner. Rows are inserted in
 * a fixed order so concurrent attempts on overlapping sets cannot deadlock.
 */
export async function acquireLocks(executor: Executor, attempt: LockAttempt): Promise<LockResult> {
  if (attempt.dirspaces.length === 0) return { acquired: [], heldByOthers: [] };
  const sorted = [...attempt.dirspaces].sort(byKey);
  // Locks whose PR is closed are released first (the `closed` event may have been missed).
  const released = attempt.keepMergedLocks ? ["closed"] : ["closed", "merged"];
  await executor.execute(sql`
    delete from locks using pull_requests
    where locks.pull_request_id = pull_requests.id
      and locks.repository_id = ${attempt.repositoryId}
      and pull_requests.state = any(${sql.param(released)}::text[])`);
  const dirs = sorted.map((dirspace) => dirspace.dir);
  const workspaces = sorted.map((dirspace) => dirspace.workspace);
  const rows = await executor.execute<{ dir: string; workspace: string }>(sql`
    insert into locks (installation_id, repository_id, dir, workspace, pull_request_id, work_manifest_id)
    select ${attempt.installationId}, ${attempt.repositoryId}, d.dir, d.workspace, ${attempt.pullRequestId},
           ${attempt.workManifestId}::uuid
    from unnest(${sql.param(dirs)}::text[], ${sql.param(workspaces)}::text[]) with ordinality as d(dir, workspace, n)
    order by d.n
    on conflict (repository_id, dir, workspace) do update
      set work_manifest_id = coalesce(excluded.work_manifest_id, locks.work_manifest_id)
      where locks.pull_request_id = excluded.pull_request_id
    returning dir, workspace`);
  const acquired = [...rows].map((row) => ({ dir: row.dir, workspace: row.workspace }));
  const mine = new Set(acquired.map((row) => `${row.dir}\u0000${row.workspace}`));
  const missing = sorted.filter((dirspace) => !mine.has(`${dirspace.dir}\u0000${dirspace.workspace}`));
  const heldByOthers = missing.length === 0 ? [] : await lockHolders(executor, attempt.repositoryId, missing);
  return { acquired, heldByOthers };
}

/** Who holds the given dirspaces (only those that are locked appear; closed PRs hold nothing). */
export async function lockHolders(
  executor: Executor,
  repositoryId: number,
  dirspaces: DirspaceKey[],
): Promise<LockHolder[]> {
  if (dirspaces.length === 0) return [];
  const rows = await executor
    .select({
      dir: locks.dir,
      workspace: locks.workspace,
      pullRequestNumber: pullRequests.number,
      acquiredAt: locks.acquiredAt,
      state: pullRequests.state,
    })
    .from(locks)
    .innerJoin(pullRequests, eq(pullRequests.id, locks.pullRequestId))
    .where(
      and(
        eq(locks.repositoryId, repositoryId),
        inArray(
          sql`(${locks.dir}, ${locks.workspace})`,
          dirspaces.map((dirspace) => sql`(${dirspace.dir}, ${dirspace.workspace})`),
        ),
      ),
    );
  return rows
    .filter((row) => row.state !== "closed")
    .map(({ dir, workspace, pullRequestNumber, acquiredAt }) => ({
      dir,
      workspace,
      pullRequestNumber,
      acquiredAt,
    }));
}

/** Releases every lock a PR holds; returns what was released. */
export async function releasePullRequestLocks(
  executor: Executor,
  pullRequestId: number,
): Promise<DirspaceKey[]> {
  return executor
    .delete(locks)
    .where(eq(locks.pullRequestId, pullRequestId))
    .returning({ dir: locks.dir, workspace: locks.workspace });
}

/** Every lock the listed PR numbers of one repository hold, whatever dirspace. */
export async function locksOfNumbers(
  executor: Executor,
  repositoryId: number,
  numbers: number[],
): Promise<Array<DirspaceKey & { pullRequestNumber: number }>> {
  if (numbers.length === 0) return [];
  const rows = await executor.execute<{ dir: string; workspace: string; number: number }>(sql`
    select locks.dir, locks.workspace, pull_requests.number from locks
    join pull_requests on pull_requests.id = locks.pull_request_id
    where locks.repository_id = ${repositoryId}
      and pull_requests.number = any(${sql.param(numbers)}::int[])`);
  return [...rows].map((row) => ({
    dir: row.dir,
    workspace: row.workspace,
    pullRequestNumber: Number(row.number),
  }));
}

/** Releases the locks of the listed PR numbers of one repository; returns what was released per PR. */
export async function releaseLocksOfNumbers(
  executor: Executor,
  repositoryId: number,
  numbers: number[],
): Promise<Array<DirspaceKey & { pullRequestNumber: number }>> {
  if (numbers.length === 0) return [];
  const rows = await executor.execute<{ dir: string; workspace: string; number: number }>(sql`
    delete from locks using pull_requests
    where locks.pull_request_id = pull_requests.id
      and locks.repository_id = ${repositoryId}
      and pull_requests.number = any(${sql.param(numbers)}::int[])
    returning locks.dir, locks.workspace, pull_requests.number`);
  return [...rows].map((row) => ({
    dir: row.dir,
    workspace: row.workspace,
    pullRequestNumber: Number(row.number),
  }));
}
