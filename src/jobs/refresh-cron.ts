// The daily refresh's schedule, apart from the refresh code so that the worker loads that only on its first job.
import type { CronItem } from "graphile-worker";

/** Daily at 04:23: catches what a missed webhook (or a change that sends no event) left stale. */
export const refreshRepositoriesCron: CronItem = {
  task: "refresh-repositories",
  match: "23 4 * * *",
  identifier: "refresh-repositories",
  options: { backfillPeriod: 0, maxAttempts: 3, jobKey: "refresh-repositories" },
};
