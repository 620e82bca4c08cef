// The latest drift state of each dirspace: from the newest finished drift run that checked it.
import { type SQL, sql } from "drizzle-orm";
import { type DriftStatus, driftStatus } from "../../domain/drift.ts";
import type { TagQuery } from "../../domain/tag-query.ts";
import type { Executor } from "../client.ts";
import type { ChangeSummary, DirspaceState, StepResult } from "../schema/index.ts";
import { type Page, toPage } from "./cursor.ts";
import type { PageRequest } from "./installation-resources.ts";
import { tagQueryCondition } from "./tag-query-sql.ts";

export interface DriftState {
  repositoryId: number;
  repo: string;
  dir: string;
  workspace: string;
  tags: string[];
  status: DriftStatus;
  summary: ChangeSummary | null;
  steps: StepResult[];
  workManifestId: string;
  schedule: string | null;
  sha: string;
  runUrl: string | null;
  runId: string | null;
  failureReason: string | null;
  checkedAt: Date;
}

interface DriftStateRow extends Record<string, unknown> {
  repository_id: string | number;
  repo: string;
  dir: string;
  workspace: string;
  tags: string[];
  state: DirspaceState;
  has_changes: boolean | null;
  summary: ChangeSummary | null;
  steps: StepResult[] | null;
  work_manifest_id: string;
  schedule: string | null;
  head_sha: string;
  run_url: string | null;
  run_id: string | null;
  failure_reason: string | null;
  checked_at: string | Date;
}

/**
 * `latest`: per (repository, dir, workspace), the dirspace row of the newest finished drift run. The
 * outer query filters it (the filter must not pick an older run of a dirspace).
 */
function latestDrift(where: SQL, filter: SQL, tail: SQL): SQL {
  return sql`
    with latest as (
      select distinct on (m.repository_id, d.dir, d.workspace)
        m.repository_id, r.full_name as repo, d.dir, d.workspace, d.tags, d.state, d.has_changes,
        d.summary, d.steps, m.id as work_manifest_id, m.run_config -> 'drift' ->> 'schedule' as schedule,
        m.head_sha, m.run_url, m.run_id, m.failure_reason,
        coalesce(m.completed_at, m.updated_at) as checked_at
      from work_manifests m
      join work_manifest_dirspaces d on d.work_manifest_id = m.id
      join repositories r on r.id = m.repository_id
      where m.kind = 'drift' and m.state in ('completed', 'failed', 'aborted') and ${where}
      order by m.repository_id, d.dir, d.workspace, coalesce(m.completed_at, m.updated_at) desc, m.created_at desc
    )
    select * from latest where ${filter} ${tail}`;
}

function toState(row: DriftStateRow): DriftState {
  const steps = row.steps ?? [];
  return {
    repositoryId: Number(row.repository_id),
    repo: row.repo,
    dir: row.dir,
    workspace: row.workspace,
    tags: row.tags,
    status: driftStatus({ state: row.state, hasChanges: row.has_changes, summary: row.summary, steps }),
    summary: row.summary,
    steps,
    workManifestId: row.work_manifest_id,
    schedule: row.schedule,
    sha: row.head_sha,
    runUrl: row.run_url,
    runId: row.run_id,
    failureReason: row.failure_reason,
    checkedAt: new Date(row.checked_at),
  };
}

/** Every dirspace of one repository that a drift run checked, with its latest state. */
export async function repositoryDriftStates(executor: Executor, repositoryId: number): Promise<DriftState[]> {
  const rows = await executor.execute<DriftStateRow>(
    latestDrift(sql`m.repository_id = ${repositoryId}`, sql`true`, sql`order by dir, workspace`),
  );
  return [...rows].map(toState);
}

export interface DriftStateFilter {
  repo?: string;
  tagQuery?: TagQuery;
}

/** The API's listing: latest state per dirspace across the installation, by repository, dir, workspace. */
export async function listDriftStates(
  executor: Executor,
  installationId: number,
  page: PageRequest & DriftStateFilter,
): Promise<Page<DriftState>> {
  const where: SQL[] = [sql`m.installation_id = ${installationId}`];
  if (page.repo) where.push(sql`r.full_name = ${page.repo}`);
  const filter: SQL[] = [sql`true`];
  if (page.tagQuery && page.tagQuery.kind !== "all") {
    filter.push(
      tagQueryCondition(page.tagQuery, { dir: sql`dir`, workspace: sql`workspace`, tags: sql`tags` }),
    );
  }
  const op = page.direction === "asc" ? sql`>` : sql`<`;
  const order = page.direction === "asc" ? sql`asc` : sql`desc`;
  if (page.after) {
    filter.push(
      sql`(repo, repository_id, dir, workspace) ${op} (${String(page.after[0])}::text, ${Number(page.after[1])}::bigint, ${String(page.after[2])}::text, ${String(page.after[3])}::text)`,
    );
  }
  const rows = await executor.execute<DriftStateRow>(
    latestDrift(
      sql.join(where, sql` and `),
      sql.join(filter, sql` and `),
      sql`order by repo ${order}, repository_id ${order}, dir ${order}, workspace ${order} limit ${page.limit + 1}`,
    ),
  );
  return toPage([...rows].map(toState), page.limit, (state) => [
    state.repo,
    state.repositoryId,
    state.dir,
    state.workspace,
  ]);
}
