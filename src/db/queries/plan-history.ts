// What plan validity is judged on: a PR's latest stored plans, and later applies or merges of the same dirspaces by other PRs.
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { DirspaceKey } from "./dirspace-locks.ts";

export interface StoredPlanInfo extends DirspaceKey {
  planId: number;
  baseSha: string;
  headSha: string;
  createdAt: Date;
  workManifestId: string;
}

export interface Supersession extends DirspaceKey {
  pullRequestNumber: number;
  kind: "applied" | "merged";
  at: Date;
}

function pairs(dirspaces: DirspaceKey[]) {
  return {
    dirs: sql.param(dirspaces.map((dirspace) => dirspace.dir)),
    workspaces: sql.param(dirspaces.map((dirspace) => dirspace.workspace)),
  };
}

/**
 * The newest plan of each dirspace in this PR whose run succeeded for that dirspace. A plan file is
 * uploaded before its run reports, so a run still going, or one whose later steps failed, has a
 * plan row too: only a success counts. Apply validates this plan and records its id; the runner
 * then downloads exactly that one.
 */
export async function latestPlans(
  executor: Executor,
  pullRequestId: number,
  dirspaces: DirspaceKey[],
): Promise<StoredPlanInfo[]> {
  if (dirspaces.length === 0) return [];
  const { dirs, workspaces } = pairs(dirspaces);
  const rows = await executor.execute<{
    id: string | number;
    dir: string;
    workspace: string;
    base_sha: string;
    head_sha: string;
    created_at: string | Date;
    work_manifest_id: string;
  }>(sql`
    select distinct on (p.dir, p.workspace)
      p.id, p.dir, p.workspace, p.base_sha, p.head_sha, p.created_at, p.work_manifest_id
    from plans p
    join unnest(${dirs}::text[], ${workspaces}::text[]) as d(dir, workspace)
      on d.dir = p.dir and d.workspace = p.workspace
    join work_manifest_dirspaces wd
      on wd.work_manifest_id = p.work_manifest_id and wd.dir = p.dir and wd.workspace = p.workspace
    where p.pull_request_id = ${pullRequestId} and wd.success is true
    order by p.dir, p.workspace, p.created_at desc, p.id desc`);
  return [...rows].map((row) => ({
    planId: Number(row.id),
    dir: row.dir,
    workspace: row.workspace,
    baseSha: row.base_sha,
    headSha: row.head_sha,
    createdAt: new Date(row.created_at),
    workManifestId: row.work_manifest_id,
  }));
}

/**
 * For each dirspace, the latest apply (successful) or merge by another PR of the same repository.
 * A merge counts for a dirspace when the merged PR had a run on it.
 */
export async function latestSupersessions(
  executor: Executor,
  repositoryId: number,
  pullRequestId: number,
  dirspaces: DirspaceKey[],
): Promise<Supersession[]> {
  if (dirspaces.length === 0) return [];
  const { dirs, workspaces } = pairs(dirspaces);
  const rows = await executor.execute<{
    dir: string;
    workspace: string;
    number: number;
    kind: "applied" | "merged";
    at: string | Date;
  }>(sql`
    select distinct on (x.dir, x.workspace) x.dir, x.workspace, x.number, x.kind, x.at
    from (
      select wd.dir, wd.workspace, pr.number, 'applied' as kind, coalesce(wm.completed_at, wd.updated_at) as at
      from work_manifest_dirspaces wd
      join work_manifests wm on wm.id = wd.work_manifest_id
      join pull_requests pr on pr.id = wm.pull_request_id
      where wm.repository_id = ${repositoryId} and wm.pull_request_id <> ${pullRequestId}
        and wm.kind in ('apply', 'autoapprove') and wd.success is true
      union all
      select distinct wd.dir, wd.workspace, pr.number, 'merged' as kind, pr.merged_at as at
      from pull_requests pr
      join work_manifests wm on wm.pull_request_id = pr.id
      join work_manifest_dirspaces wd on wd.work_manifest_id = wm.id
      where pr.repository_id = ${repositoryId} and pr.id <> ${pullRequestId} and pr.merged_at is not null
    ) x
    join unnest(${dirs}::text[], ${workspaces}::text[]) as d(dir, workspace)
      on d.dir = x.dir and d.workspace = x.workspace
    order by x.dir, x.workspace, x.at desc`);
  return [...rows].map((row) => ({
    dir: row.dir,
    workspace: row.workspace,
    pullRequestNumber: Number(row.number),
    kind: row.kind,
    at: new Date(row.at),
  }));
}

/** Dirspaces this PR has applied successfully. */
export async function appliedDirspaces(executor: Executor, pullRequestId: number): Promise<DirspaceKey[]> {
  const rows = await executor.execute<{ dir: string; workspace: string }>(sql`
    select distinct wd.dir, wd.workspace
    from work_manifest_dirspaces wd
    join work_manifests wm on wm.id = wd.work_manifest_id
    where wm.pull_request_id = ${pullRequestId} and wm.kind in ('apply', 'autoapprove') and wd.success is true`);
  return [...rows].map((row) => ({ dir: row.dir, workspace: row.workspace }));
}
