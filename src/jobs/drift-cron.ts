// The drift scheduler's tick, apart from the scheduler code so that the worker loads that only on its first job.
import type { CronItem } from "graphile-worker";

/**
 * Every minute, one replica (graphile-worker claims each firing in `known_crontabs`) looks for drift
 * schedules that are due; each firing is claimed again in drift_firings, so even two ticks at once
 * start a schedule's run once.
 */
export const driftSchedulesCron: CronItem = {
  task: "drift-schedules",
  match: "* * * * *",
  identifier: "drift-schedules",
  options: { backfillPeriod: 0, maxAttempts: 1, jobKey: "drift-schedules", jobKeyMode: "preserve_run_at" },
};
