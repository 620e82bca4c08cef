// sweep-runs (cron): fails manifests whose run stopped reporting, and deletes expired or closed PRs' plans.

import { sql } from "drizzle-orm";
import type { CronItem, Task } from "graphile-worker";
import type { Database } from "../db/client.ts";
import type { Vcs } from "../db/schema/index.ts";
import type { VcsPlatform } from "../vcs/platform.ts";
import { platformFor } from "../vcs/registry.ts";
import { failDeadManifest } from "./manifest-lifecycle.ts";
import type { JobDeps } from "./task-list.ts";

export interface SweepLimits {
  /** A dispatched run that has not called initiate after this long never started. */
  dispatchTimeoutMinutes: number;
  /** A started run that has not reported after this long is dead. */
  runTimeoutMinutes: number;
}

export interface SweepResult {
  failed: string[];
  plansDeleted: number;
}

/** Every minute; a missed minute (worker down) is not caught up, the next sweep covers it. */
export const sweepRunsCron: CronItem = {
  task: "sweep-runs",
  match: "* * * * *",
  identifier: "sweep-runs",
  options: { backfillPeriod: 0, maxAttempts: 1 },
};

/** Why a manifest that stopped moving failed, in its platform's words (a pipeline and .gitlab-ci.yml on GitLab). */
export function staleRunReason(
  row: { state: string; minutes: number },
  limits: SweepLimits,
  platform: Pick<VcsPlatform, "words" | "dispatch">,
): string {
  if (row.state === "running") {
    return `the run started ${row.minutes} minutes ago and never reported results (limit: ${limits.runTimeoutMinutes} minutes, TERRAGATE_RUN_TIMEOUT_MINUTES); it was probably cancelled or its runner died`;
  }
  if (row.state === "dispatched") {
    return `the ${platform.words.ciRun} was requested ${row.minutes} minutes ago but never started (limit: ${limits.dispatchTimeoutMinutes} minutes); check that ${platform.dispatch.workflowPath} exists on the default branch and that runners are available`;
  }
  return `the run could not be dispatched for ${row.minutes} minutes`;
}

export async function sweepRuns(db: Database, limits: SweepLimits): Promise<SweepResult> {
  const stale = await db.execute<{ id: string; state: string; minutes: number; vcs: Vcs }>(sql`
    select id, state, vcs,
           floor(extract(epoch from now() - coalesce(started_at, dispatched_at, created_at)) / 60)::int as minutes
    from work_manifests
    where (state = 'running' and started_at < now() - make_interval(mins => ${limits.runTimeoutMinutes}))
       or (state = 'dispatched' and coalesce(dispatched_at, created_at) < now() - make_interval(mins => ${limits.dispatchTimeoutMinutes}))
       or (state = 'queued' and created_at < now() - make_interval(mins => ${limits.runTimeoutMinutes}))`);
  const failed: string[] = [];
  for (const row of stale) {
    const reason = staleRunReason(row, limits, platformFor(row.vcs));
    const done = await db.transaction((tx) => failDeadManifest(tx, row.id, reason));
    if (done) failed.push(row.id);
  }
  const deleted = await db.execute(sql`
    delete from plans
    where expires_at < now()
       or pull_request_id in (select id from pull_requests where state <> 'open')
    returning id`);
  return { failed, plansDeleted: [...deleted].length };
}

export function createSweepRunsTask(deps: JobDeps): Task {
  return async () => {
    const result = await sweepRuns(deps.database.db, {
      dispatchTimeoutMinutes: deps.config.TERRAGATE_DISPATCH_TIMEOUT_MINUTES,
      runTimeoutMinutes: deps.config.TERRAGATE_RUN_TIMEOUT_MINUTES,
    });
    if (result.failed.length > 0 || result.plansDeleted > 0) {
      deps.logger.info(result, "swept dead runs and old plans");
    }
  };
}
