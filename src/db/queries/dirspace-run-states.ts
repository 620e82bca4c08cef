// Where each dirspace of a PR stands at its head commit (unplanned, planned, applied): what stack layers are judged on.
import { sql } from "drizzle-orm";
import { dirspaceKey } from "../../domain/dirspace.ts";
import type { DirspaceRunState } from "../../domain/stack-layers.ts";
import type { Executor } from "../client.ts";
import type { DirspaceState } from "../schema/index.ts";

export interface DirspaceRunFact {
  state: DirspaceRunState;
  /** When its latest plan at the head was asked for (null without one). */
  plannedAt: Date | null;
  /** Its latest plan's and apply's state at the head (queued, running, success, failure, aborted), or null. */
  plan: DirspaceState | null;
  apply: DirspaceState | null;
  /** Whether its latest plan at the head has changes (null: unknown or no plan). */
  hasChanges: boolean | null;
  /** When its latest successful apply at the head finished (null without one). */
  appliedAt: Date | null;
}

/**
 * By dirspaceKey, for the dirspaces this PR ran at `headSha` (the others are unplanned):
 * - applied: an apply or autoapprove at this head succeeded for it, or its latest plan at this head
 *   succeeded with no changes (nothing to apply, so what depends on it may go ahead);
 * - planned: its latest plan at this head is queued, running or succeeded (a plan in flight counts,
 *   so a retried evaluation never plans it twice);
 * - unplanned: otherwise (no plan at this head, or the latest failed or was not run).
 * Only the head counts: a push can change an applied dirspace again, so each head is judged afresh.
 */
export async function dirspaceRunStates(
  executor: Executor,
  pullRequestId: number,
  headSha: string,
): Promise<Map<string, DirspaceRunFact>> {
  const rows = await executor.execute<{
    dir: string;
    workspace: string;
    applied: boolean;
    applied_at: string | Date | null;
    apply_state: DirspaceState | null;
    plan_state: DirspaceState | null;
    plan_has_changes: boolean | null;
    planned_at: string | Date | null;
  }>(sql`
    with runs as (
      select wd.dir, wd.workspace, wm.kind, wd.state, wd.has_changes, wm.created_at,
        coalesce(wm.completed_at, wd.updated_at) as finished_at
      from work_manifest_dirspaces wd
      join work_manifests wm on wm.id = wd.work_manifest_id
      where wm.pull_request_id = ${pullRequestId} and wm.head_sha = ${headSha}
    ),
    latest_plans as (
      select distinct on (dir, workspace) dir, workspace, state, has_changes, created_at
      from runs where kind = 'plan'
      order by dir, workspace, created_at desc
    ),
    applies as (
      select distinct on (dir, workspace) dir, workspace, state,
        bool_or(state = 'success') over (partition by dir, workspace) as applied,
        max(finished_at) filter (where state = 'success') over (partition by dir, workspace) as applied_at
      from runs where kind in ('apply', 'autoapprove')
      order by dir, workspace, created_at desc
    )
    select coalesce(p.dir, a.dir) as dir, coalesce(p.workspace, a.workspace) as workspace,
      coalesce(a.applied, false) as applied, a.state as apply_state, a.applied_at, p.state as plan_state,
      p.has_changes as plan_has_changes, p.created_at as planned_at
    from latest_plans p
    full join applies a on a.dir = p.dir and a.workspace = p.workspace`);
  const facts = new Map<string, DirspaceRunFact>();
  for (const row of rows) {
    const plannedAt = row.planned_at === null ? null : new Date(row.planned_at);
    let state: DirspaceRunState = "unplanned";
    if (row.applied || (row.plan_state === "success" && row.plan_has_changes === false)) state = "applied";
    else if (row.plan_state === "queued" || row.plan_state === "running" || row.plan_state === "success")
      state = "planned";
    facts.set(dirspaceKey(row), {
      state,
      plannedAt,
      plan: row.plan_state,
      apply: row.apply_state,
      hasChanges: row.plan_state === null ? null : row.plan_has_changes,
      appliedAt: row.applied_at === null ? null : new Date(row.applied_at),
    });
  }
  return facts;
}
