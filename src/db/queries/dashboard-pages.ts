// Dashboard reads of one installation (run inside its tenant transaction): a repository's dirspaces, a PR and its runs, a run.
import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import {
  auditLog,
  type ChangeSummary,
  type DirspaceState,
  defaultBranchSnapshots,
  locks,
  pullRequests,
  type ResultSlot,
  repositories,
  type StepResult,
  type WorkManifestKind,
  type WorkManifestState,
  workManifestDirspaces,
  workManifests,
} from "../schema/index.ts";
import { type Page, toPage } from "./cursor.ts";
import type { PageRequest } from "./installation-resources.ts";
import { keysetAfter, keysetOrder } from "./keyset.ts";

export interface DashboardRepository {
  id: number;
  externalId: string;
  fullName: string;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  archived: boolean;
}

const repositoryColumns = {
  id: repositories.id,
  externalId: repositories.externalId,
  fullName: repositories.fullName,
  owner: repositories.owner,
  name: repositories.name,
  defaultBranch: repositories.defaultBranch,
  private: repositories.private,
  archived: repositories.archived,
};

export async function getRepositoryByName(
  executor: Executor,
  installationId: number,
  fullName: string,
): Promise<DashboardRepository | undefined> {
  const [row] = await executor
    .select(repositoryColumns)
    .from(repositories)
    .where(
      and(
        eq(repositories.installationId, installationId),
        sql`lower(${repositories.fullName}) = lower(${fullName})`,
        sql`${repositories.removedAt} is null`,
      ),
    );
  return row;
}

export type { ResultSlot };

export interface LatestResult {
  slot: ResultSlot;
  manifestId: string;
  state: DirspaceState;
  hasChanges: boolean | null;
  summary: ChangeSummary | null;
  pullRequest: number | null;
  pullRequestId: number | null;
  createdAt: Date;
}

export interface DirspaceStatus {
  dir: string;
  workspace: string;
  tags: string[];
  latest: Partial<Record<ResultSlot, LatestResult>>;
}

type LatestRow = {
  dir: string;
  workspace: string;
  tags: string[];
  slot: ResultSlot;
  manifest_id: string;
  state: DirspaceState;
  has_changes: boolean | null;
  summary: ChangeSummary | null;
  pull_request: number | null;
  pull_request_id: string | null;
  created_at: string;
} & Record<string, unknown>;

/**
 * The latest plan, apply and drift result of every dirspace seen in the scope (a repository, or one
 * PR), from dirspace_latest_results: one row per dirspace and slot, whatever the scope's history.
 */
async function latestResults(
  executor: Executor,
  installationId: number,
  scope: { repositoryId: number } | { pullRequestId: number },
): Promise<DirspaceStatus[]> {
  const rows = await executor.execute<LatestRow>(
    "pullRequestId" in scope
      ? // A PR's rows come from its own runs only, so each result's PR is the scope's: no run to join,
        // and its number read once (every table read is planned again on each page, with its policy).
        sql`
    select r.dir, r.workspace, d.tags, r.slot, r.work_manifest_id as manifest_id, d.state, d.has_changes,
      d.summary, r.pull_request_id, r.created_at, p.number as pull_request
    from dirspace_latest_results r
    join work_manifest_dirspaces d
      on d.work_manifest_id = r.work_manifest_id and d.dir = r.dir and d.workspace = r.workspace
    join pull_requests p on p.id = r.pull_request_id
    where r.installation_id = ${installationId} and r.pull_request_id = ${scope.pullRequestId}
    order by r.dir, r.workspace, r.slot`
      : // A repository's results link to the PR their run came from, if any (an apply merged from a PR).
        sql`
    select r.dir, r.workspace, d.tags, r.slot, r.work_manifest_id as manifest_id, d.state, d.has_changes,
      d.summary, m.pull_request_id, r.created_at,
      (select p.number from pull_requests p where p.id = m.pull_request_id) as pull_request
    from dirspace_latest_results r
    join work_manifest_dirspaces d
      on d.work_manifest_id = r.work_manifest_id and d.dir = r.dir and d.workspace = r.workspace
    join work_manifests m on m.id = r.work_manifest_id
    where r.installation_id = ${installationId} and r.repository_id = ${scope.repositoryId}
      and r.pull_request_id is null
    order by r.dir, r.workspace, r.slot`,
  );
  const byDirspace = new Map<string, DirspaceStatus>();
  for (const row of rows) {
    const key = `${row.dir}\u0000${row.workspace}`;
    let status = byDirspace.get(key);
    if (!status) {
      status = { dir: row.dir, workspace: row.workspace, tags: row.tags, latest: {} };
      byDirspace.set(key, status);
    }
    status.latest[row.slot] = {
      slot: row.slot,
      manifestId: row.manifest_id,
      state: row.state,
      hasChanges: row.has_changes,
      summary: row.summary,
      pullRequest: row.pull_request === null ? null : Number(row.pull_request),
      pullRequestId: row.pull_request_id === null ? null : Number(row.pull_request_id),
      createdAt: new Date(row.created_at),
    };
  }
  return [...byDirspace.values()];
}

/** Every dirspace of the repository (its default branch's, and any that ran) with its latest results. */
export async function repositoryDirspaces(
  executor: Executor,
  installationId: number,
  repositoryId: number,
  defaultBranchDirspaces: readonly { dir: string; workspace: string; tags: string[] }[],
): Promise<DirspaceStatus[]> {
  const ran = await latestResults(executor, installationId, { repositoryId });
  const known = new Set(ran.map((status) => `${status.dir}\u0000${status.workspace}`));
  const idle = defaultBranchDirspaces
    .filter((dirspace) => !known.has(`${dirspace.dir}\u0000${dirspace.workspace}`))
    .map((dirspace) => ({
      dir: dirspace.dir,
      workspace: dirspace.workspace,
      tags: dirspace.tags,
      latest: {},
    }));
  return [...ran, ...idle].sort(
    (a, b) => a.dir.localeCompare(b.dir) || a.workspace.localeCompare(b.workspace),
  );
}

/** The dirspaces Terragate last read from the repository's default branch (none before the first refresh). */
export async function defaultBranchDirspaces(
  executor: Executor,
  installationId: number,
  repositoryId: number,
): Promise<{ dir: string; workspace: string; tags: string[] }[]> {
  const [row] = await executor
    .select({ dirspaces: defaultBranchSnapshots.dirspaces })
    .from(defaultBranchSnapshots)
    .where(
      and(
        eq(defaultBranchSnapshots.installationId, installationId),
        eq(defaultBranchSnapshots.repositoryId, repositoryId),
      ),
    );
  return row?.dirspaces ?? [];
}

export interface DashboardPullRequest {
  id: number;
  number: number;
  state: "open" | "closed" | "merged";
  title: string;
  author: string;
  baseBranch: string;
  baseSha: string;
  headBranch: string;
  headSha: string;
  draft: boolean;
  createdAt: Date;
  updatedAt: Date;
  repository: DashboardRepository;
}

export async function getPullRequest(
  executor: Executor,
  installationId: number,
  id: number,
): Promise<DashboardPullRequest | undefined> {
  const [row] = await executor
    .select({
      id: pullRequests.id,
      number: pullRequests.number,
      state: pullRequests.state,
      title: pullRequests.title,
      author: pullRequests.author,
      baseBranch: pullRequests.baseBranch,
      baseSha: pullRequests.baseSha,
      headBranch: pullRequests.headBranch,
      headSha: pullRequests.headSha,
      draft: pullRequests.draft,
      createdAt: pullRequests.createdAt,
      updatedAt: pullRequests.updatedAt,
      repository: repositoryColumns,
    })
    .from(pullRequests)
    .innerJoin(repositories, eq(repositories.id, pullRequests.repositoryId))
    .where(and(eq(pullRequests.installationId, installationId), eq(pullRequests.id, id)));
  return row;
}

/** The PR's dirspaces with their latest plan and apply. */
export function pullRequestDirspaces(
  executor: Executor,
  installationId: number,
  pullRequestId: number,
): Promise<DirspaceStatus[]> {
  return latestResults(executor, installationId, { pullRequestId });
}

export interface RunRow {
  id: string;
  kind: WorkManifestKind;
  state: WorkManifestState;
  requestedBy: string;
  tagQuery: string;
  headSha: string;
  runUrl: string | null;
  createdAt: Date;
  completedAt: Date | null;
  dirspaces: number;
  failed: number;
  cursorTime: string;
}

type RunListRow = {
  id: string;
  kind: WorkManifestKind;
  state: WorkManifestState;
  requested_by: string;
  tag_query: string;
  head_sha: string;
  run_url: string | null;
  created_at: string;
  completed_at: string | null;
  dirspaces: number;
  failed: number;
} & Record<string, unknown>;

/** A page of the PR's runs, each with its dirspace count and failures (counted in one pass, not loaded). */
export async function listPullRequestRuns(
  executor: Executor,
  installationId: number,
  pullRequestId: number,
  page: PageRequest,
): Promise<Page<RunRow>> {
  const m = workManifests;
  const after = page.after
    ? sql`and ${keysetAfter([m.createdAt, m.id], [sql`${page.after[0]}::timestamptz`, sql`${page.after[1]}::uuid`], page.direction)}`
    : sql``;
  const rows = await executor.execute<RunListRow>(sql`
    select ${m.id}, ${m.kind}, ${m.state}, ${m.requestedBy}, ${m.tagQuery}, ${m.headSha}, ${m.runUrl},
      ${m.createdAt}::text as created_at, ${m.completedAt}::text as completed_at, counted.dirspaces, counted.failed
    from ${m}
    cross join lateral (
      select count(*)::int as dirspaces, (count(*) filter (where d.state = 'failure'))::int as failed
      from work_manifest_dirspaces d where d.work_manifest_id = ${m.id}
    ) counted
    where ${m.installationId} = ${installationId} and ${m.pullRequestId} = ${pullRequestId} ${after}
    order by ${sql.join(keysetOrder([m.createdAt, m.id], page.direction), sql`, `)}
    limit ${page.limit + 1}`);
  const runs = [...rows].map(
    (row): RunRow => ({
      id: row.id,
      kind: row.kind,
      state: row.state,
      requestedBy: row.requested_by,
      tagQuery: row.tag_query,
      headSha: row.head_sha,
      runUrl: row.run_url,
      createdAt: new Date(row.created_at),
      completedAt: row.completed_at === null ? null : new Date(row.completed_at),
      dirspaces: row.dirspaces,
      failed: row.failed,
      cursorTime: row.created_at,
    }),
  );
  return toPage(runs, page.limit, (row) => [row.cursorTime, row.id]);
}

export async function pullRequestLocks(executor: Executor, installationId: number, pullRequestId: number) {
  return executor
    .select({ dir: locks.dir, workspace: locks.workspace, acquiredAt: locks.acquiredAt })
    .from(locks)
    .where(and(eq(locks.installationId, installationId), eq(locks.pullRequestId, pullRequestId)))
    .orderBy(locks.dir, locks.workspace);
}

export interface RunDetail {
  id: string;
  kind: WorkManifestKind;
  state: WorkManifestState;
  requestedBy: string;
  tagQuery: string;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  runId: string | null;
  runUrl: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  dispatchedAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  pullRequestId: number | null;
  pullRequest: number | null;
  repo: string;
}

export async function getRun(executor: Executor, installationId: number, id: string) {
  const [row] = await executor
    .select({
      id: workManifests.id,
      kind: workManifests.kind,
      state: workManifests.state,
      requestedBy: workManifests.requestedBy,
      tagQuery: workManifests.tagQuery,
      baseRef: workManifests.baseRef,
      baseSha: workManifests.baseSha,
      headRef: workManifests.headRef,
      headSha: workManifests.headSha,
      runId: workManifests.runId,
      runUrl: workManifests.runUrl,
      failureReason: workManifests.failureReason,
      createdAt: workManifests.createdAt,
      updatedAt: workManifests.updatedAt,
      dispatchedAt: workManifests.dispatchedAt,
      startedAt: workManifests.startedAt,
      completedAt: workManifests.completedAt,
      pullRequestId: workManifests.pullRequestId,
      pullRequest: sql<
        number | null
      >`(select ${pullRequests.number} from ${pullRequests} where ${pullRequests.id} = ${workManifests.pullRequestId})`,
      repo: sql<string>`(select ${repositories.fullName} from ${repositories} where ${repositories.id} = ${workManifests.repositoryId})`,
    })
    .from(workManifests)
    .where(and(eq(workManifests.installationId, installationId), eq(workManifests.id, id)));
  return row as RunDetail | undefined;
}

export interface RunDirspace {
  dir: string;
  workspace: string;
  state: DirspaceState;
  success: boolean | null;
  hasChanges: boolean | null;
  summary: ChangeSummary | null;
  exitCode: number | null;
  applyStartedAt: Date | null;
  reportedAt: Date | null;
  updatedAt: Date;
}

/** The run's dirspaces, without their steps: those can hold megabytes of output (see dirspaceSteps). */
export async function getRunDirspaces(
  executor: Executor,
  installationId: number,
  id: string,
): Promise<RunDirspace[]> {
  const d = workManifestDirspaces;
  return executor
    .select({
      dir: d.dir,
      workspace: d.workspace,
      state: d.state,
      success: d.success,
      hasChanges: d.hasChanges,
      summary: d.summary,
      exitCode: d.exitCode,
      applyStartedAt: d.applyStartedAt,
      reportedAt: d.reportedAt,
      updatedAt: d.updatedAt,
    })
    .from(d)
    .where(and(eq(d.installationId, installationId), eq(d.workManifestId, id)))
    .orderBy(d.dir, d.workspace);
}

type StepRow = {
  name: string | null;
  success: boolean | null;
  exit_code: number | null;
  duration_ms: number | null;
  output: string | null;
} & Record<string, unknown>;

/**
 * One dirspace's steps in order (none before it reported), each output as text rather than inside the
 * steps' JSON (no parse, no second copy): the run page reads one dirspace at a time.
 */
export async function dirspaceSteps(
  executor: Executor,
  installationId: number,
  where: { id: string; dir: string; workspace: string },
): Promise<StepResult[]> {
  const rows = await executor.execute<StepRow>(sql`
    select s ->> 'name' as name, (s -> 'success') = 'true'::jsonb as success,
      case when jsonb_typeof(s -> 'exit_code') = 'number' then s -> 'exit_code' end as exit_code,
      case when jsonb_typeof(s -> 'duration_ms') = 'number' then s -> 'duration_ms' end as duration_ms,
      s ->> 'output' as output
    from work_manifest_dirspaces d
      cross join lateral jsonb_array_elements(
        case when jsonb_typeof(d.steps) = 'array' then d.steps else '[]'::jsonb end) with ordinality as e(s, i)
    where d.installation_id = ${installationId} and d.work_manifest_id = ${where.id}
      and d.dir = ${where.dir} and d.workspace = ${where.workspace}
    order by e.i`);
  return [...rows].map((row) => ({
    name: row.name ?? "",
    success: row.success === true,
    exit_code: row.exit_code === null ? null : Number(row.exit_code),
    output: row.output ?? "",
    duration_ms: row.duration_ms === null ? null : Number(row.duration_ms),
  }));
}

/** What changes while a run is live: its state and its dirspaces' states (the live page polls this). */
export async function runVersion(executor: Executor, installationId: number, id: string) {
  const rows = await executor.execute<{ version: string | null; state: string }>(sql`
    select m.state,
      m.state || ':' || coalesce((select string_agg(d.state || coalesce(d.reported_at::text, ''), ',' order by d.dir, d.workspace)
        from work_manifest_dirspaces d where d.work_manifest_id = m.id), '') || ':' || m.updated_at::text as version
    from work_manifests m where m.installation_id = ${installationId} and m.id = ${id}`);
  const row = [...rows][0];
  return row ? { state: row.state as WorkManifestState, version: row.version ?? "" } : undefined;
}

export interface DashboardActionRow {
  actor: string;
  action: string;
  target: Record<string, unknown>;
  createdAt: Date;
}

/** The latest dashboard presses on one PR and their outcomes (the audit log is their record). */
export async function recentDashboardActions(
  executor: Executor,
  installationId: number,
  repo: string,
  prNumber: number,
): Promise<DashboardActionRow[]> {
  return executor
    .select({
      actor: auditLog.actor,
      action: auditLog.action,
      target: sql<Record<string, unknown>>`${auditLog.target}`,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.installationId, installationId),
        sql`${auditLog.action} like 'dashboard.%'`,
        sql`${auditLog.target} @> ${JSON.stringify({ repo, pull_request: prNumber })}::jsonb`,
      ),
    )
    .orderBy(sql`${auditLog.createdAt} desc`, sql`${auditLog.id} desc`)
    .limit(8);
}

/**
 * What changes on a PR page while something is under way: its runs (count, latest update), locks and
 * dashboard presses. `live` while a run is queued or running, or a press waits for its outcome.
 */
export async function pullRequestVersion(
  executor: Executor,
  installationId: number,
  pull: { id: number; number: number; repository: { fullName: string } },
) {
  const target = JSON.stringify({ repo: pull.repository.fullName, pull_request: pull.number });
  const rows = await executor.execute<{ version: string; live_runs: number; pending: number }>(sql`
    with runs as (
      select count(*)::int as total,
        count(*) filter (where state in ('queued', 'dispatched', 'running'))::int as live,
        coalesce(max(updated_at)::text, '') as updated
      from work_manifests where installation_id = ${installationId} and pull_request_id = ${pull.id}
    ), presses as (
      select count(*) filter (where action <> 'dashboard.outcome')::int as asked,
        count(*) filter (where action = 'dashboard.outcome')::int as answered
      from audit_log
      where installation_id = ${installationId} and action like 'dashboard.%' and target @> ${target}::jsonb
    )
    select runs.total || ':' || runs.updated || ':' || presses.asked || ':' || presses.answered || ':' ||
        (select count(*) from locks l where l.installation_id = ${installationId} and l.pull_request_id = ${pull.id}) as version,
      runs.live as live_runs, presses.asked - presses.answered as pending
    from runs, presses`);
  const row = [...rows][0];
  return { version: row?.version ?? "", live: (row?.live_runs ?? 0) > 0 || (row?.pending ?? 0) > 0 };
}
