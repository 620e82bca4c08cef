// housekeeping (cron, hourly): removes what has outlived its retention, and graphile-worker's own garbage.
import type { CronItem, Task } from "graphile-worker";
import { makeWorkerUtils } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DatabaseClient } from "../db/client.ts";
import {
  clearOldRunOutputs,
  deleteFinishedManifestTokens,
  deleteOldDeliveries,
  deleteOldDriftFirings,
  type RetentionKind,
  type RetentionPolicy,
} from "../db/queries/retention.ts";
import { withSessionLock } from "../db/session-lock.ts";
import type { Metrics } from "../server/metrics.ts";
import type { JobDeps } from "./task-list.ts";

/**
 * Hourly, at minute 7 (away from the top of the hour when other schedules fire). graphile-worker's
 * cron claims each firing in `known_crontabs`, so one replica runs it; the job key and the advisory
 * lock below keep a late duplicate (an operator's manual run) from running beside it.
 */
export const housekeepingCron: CronItem = {
  task: "housekeeping",
  match: "7 * * * *",
  identifier: "housekeeping",
  options: { backfillPeriod: 0, maxAttempts: 3, jobKey: "housekeeping", jobKeyMode: "preserve_run_at" },
};

/** Session advisory lock key: one housekeeping pass at a time across every process on the database. */
const housekeepingLockKey = "terragate:housekeeping";

export type HousekeepingResult = Record<RetentionKind, number>;

export function retentionPolicy(config: Config): RetentionPolicy {
  return {
    deliveriesDays: config.TERRAGATE_RETENTION_DELIVERIES_DAYS,
    outputsDays: config.TERRAGATE_RETENTION_OUTPUTS_DAYS,
    finishedTokensDays: config.TERRAGATE_RETENTION_TOKENS_DAYS,
  };
}

export interface HousekeepingOptions {
  database: DatabaseClient;
  /** graphile-worker's pool, for its own cleanup. */
  pgPool: pg.Pool;
  policy: RetentionPolicy;
  /**
   * Task identifiers this deployment runs: graphile-worker keeps their rows. Undefined: no task
   * identifier is collected (a worker caches the ids of its tasks for its lifetime; deleting one it
   * holds would leave its new jobs unseen).
   */
  taskIdentifiers: readonly string[] | undefined;
  signal?: AbortSignal;
}

/** One pass; undefined when another process holds the pass (it is doing the same work). */
export async function runHousekeeping(options: HousekeepingOptions): Promise<HousekeepingResult | undefined> {
  const { database, policy, signal } = options;
  // The deletions run on the lock's connection: a pass needs one connection of the pool, never two.
  return withSessionLock(database, housekeepingLockKey, async (db) => {
    const webhookDeliveries = await deleteOldDeliveries(db, policy.deliveriesDays, signal);
    const runOutputs = await clearOldRunOutputs(db, policy.outputsDays, signal);
    const workTokens = await deleteFinishedManifestTokens(db, policy.finishedTokensDays, signal);
    const driftFirings = await deleteOldDriftFirings(db, signal);
    const workerGarbage = await collectWorkerGarbage(options.pgPool, options.taskIdentifiers);
    return {
      webhook_deliveries: webhookDeliveries,
      run_outputs: runOutputs,
      work_tokens: workTokens,
      drift_firings: driftFirings,
      ...workerGarbage,
    };
  });
}

/**
 * graphile-worker's cleanup (GC_JOB_QUEUES, GC_TASK_IDENTIFIERS): queues no job uses any more and
 * identifiers of tasks no job refers to and this deployment does not run. It reports no counts, so
 * the tables are counted around it.
 */
async function collectWorkerGarbage(
  pgPool: pg.Pool,
  taskIdentifiers: readonly string[] | undefined,
): Promise<Pick<HousekeepingResult, "job_queues" | "task_identifiers">> {
  const count = async () => {
    const result = await pgPool.query<{ queues: number; tasks: number }>(
      `select (select count(*) from graphile_worker._private_job_queues)::int as queues,
              (select count(*) from graphile_worker._private_tasks)::int as tasks`,
    );
    return result.rows[0] ?? { queues: 0, tasks: 0 };
  };
  const before = await count();
  const utils = await makeWorkerUtils({ pgPool });
  try {
    await utils.cleanup(
      taskIdentifiers === undefined
        ? { tasks: ["GC_JOB_QUEUES"] }
        : { tasks: ["GC_JOB_QUEUES", "GC_TASK_IDENTIFIERS"], taskIdentifiersToKeep: [...taskIdentifiers] },
    );
  } finally {
    await utils.release();
  }
  const after = await count();
  return {
    job_queues: Math.max(0, before.queues - after.queues),
    task_identifiers: Math.max(0, before.tasks - after.tasks),
  };
}

function report(result: HousekeepingResult, metrics: Metrics | undefined, logger: Logger): void {
  for (const [what, removed] of Object.entries(result) as Array<[RetentionKind, number]>) {
    metrics?.housekeepingRowsRemoved.inc({ what }, removed);
  }
  if (Object.values(result).some((removed) => removed > 0)) {
    logger.info({ removed: result }, "housekeeping removed rows past their retention");
  }
}

export function createHousekeepingTask(deps: JobDeps): Task {
  return async () => {
    if (!deps.pgPool) throw new Error("housekeeping needs graphile-worker's pool (run it inside the worker)");
    const result = await runHousekeeping({
      database: deps.database,
      pgPool: deps.pgPool,
      policy: retentionPolicy(deps.config),
      taskIdentifiers: deps.taskIdentifiers,
    });
    if (result === undefined) {
      deps.logger.info("housekeeping skipped: another process is running it");
      return;
    }
    report(result, deps.metrics, deps.logger);
  };
}
