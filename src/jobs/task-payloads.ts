// Every graphile-worker task by name, with its payload: addJob and the task list take only these names.
import type { DashboardCommandPayload } from "./dashboard-command.ts";
import type { DispatchRunPayload } from "./dispatch-run.ts";
import type { EvaluateEventPayload } from "./evaluate-event.ts";
import type { PlanNextLayerPayload } from "./plan-next-layer.ts";
import type { RefreshRepositoryPayload } from "./refresh-repository.ts";
import type { ReportResultsPayload } from "./report-results.ts";

/** What graphile-worker's scheduler passes a cron task (`_cron`: when it was due). */
export type CronPayload = Record<string, unknown>;

/**
 * Task name → payload (each task still checks its payload with zod: a job row is data from the
 * database, and older releases may have queued it). Add a task here, then its factory in task-list.ts.
 */
export interface TaskPayloads {
  "evaluate-event": EvaluateEventPayload;
  "dispatch-run": DispatchRunPayload;
  "report-results": ReportResultsPayload;
  "plan-next-layer": PlanNextLayerPayload;
  "refresh-repository": RefreshRepositoryPayload;
  "dashboard-command": DashboardCommandPayload;
  "sweep-runs": CronPayload;
  housekeeping: CronPayload;
  "refresh-repositories": CronPayload;
  "drift-schedules": CronPayload;
}
export type TaskName = keyof TaskPayloads;
