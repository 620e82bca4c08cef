// The graphile-worker task list: one small, idempotent task per file, registered here by name.
import type { Task, TaskList } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DatabaseClient } from "../db/client.ts";
import type { Metrics } from "../server/metrics.ts";
import { withSpan } from "../tracing/tracing.ts";
import type { ProcessCaches } from "./process-caches.ts";
import type { TaskName } from "./task-payloads.ts";

/** What every task factory receives. */
export interface JobDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
  /** This process's instruments (absent in tools that run one task by hand). */
  metrics?: Metrics;
  /** graphile-worker's own pool (inside the worker), for its utilities such as cleanup. */
  pgPool?: pg.Pool;
  /** Every task this deployment runs (set by createTaskList). */
  taskIdentifiers?: readonly string[];
  /** What this process's tasks share (set by createTaskList: one per task list). */
  caches?: ProcessCaches;
}

export type TaskFactory = (deps: JobDeps) => Task;

/**
 * A task whose module (and what it imports: evaluator, renderer, VCS clients) loads on its first
 * job, so an idle process does not hold code it has not needed yet.
 */
function lazyTask(load: () => Promise<TaskFactory>): TaskFactory {
  return (deps) => {
    let task: Promise<Task> | undefined;
    const loaded = (): Promise<Task> => {
      // A module that failed to load is loaded again by the job's retry, not remembered as broken.
      task ??= load()
        .then((factory) => factory(deps))
        .catch((error: unknown) => {
          task = undefined;
          throw error;
        });
      return task;
    };
    return async (payload, helpers) => (await loaded())(payload, helpers);
  };
}

/** Task name → factory: exactly the names of task-payloads.ts. Add a task by adding its file and one line here and there. */
const tasks: Record<TaskName, TaskFactory> = {
  "evaluate-event": lazyTask(async () => (await import("./evaluate-event.ts")).createEvaluateEventTask),
  "dispatch-run": lazyTask(async () => (await import("./dispatch-run.ts")).createDispatchRunTask),
  "report-results": lazyTask(async () => (await import("./report-results.ts")).createReportResultsTask),
  "plan-next-layer": lazyTask(async () => (await import("./plan-next-layer.ts")).createPlanNextLayerTask),
  "sweep-runs": lazyTask(async () => (await import("./sweep-runs.ts")).createSweepRunsTask),
  "drift-schedules": lazyTask(async () => (await import("./drift-schedules.ts")).createDriftSchedulesTask),
  housekeeping: lazyTask(async () => (await import("./housekeeping.ts")).createHousekeepingTask),
  "refresh-repository": lazyTask(
    async () => (await import("./refresh-repository.ts")).createRefreshRepositoryTask,
  ),
  "dashboard-command": lazyTask(
    async () => (await import("./dashboard-command.ts")).createDashboardCommandTask,
  ),
  "refresh-repositories": lazyTask(
    async () => (await import("./refresh-repository.ts")).createRefreshRepositoriesTask,
  ),
};

/**
 * Every job runs in a span: it continues the trace that added it (`traceparent` in the payload, put
 * there by addJob or the webhook intake), or starts one (a scheduled job).
 */
function traced(name: string, task: Task): Task {
  return (payload, helpers) => {
    const parent =
      typeof payload === "object" && payload !== null && "traceparent" in payload
        ? String((payload as { traceparent: unknown }).traceparent)
        : undefined;
    return withSpan(
      `job ${name}`,
      {
        "terragate.task": name,
        "terragate.job_id": helpers?.job?.id,
        "terragate.attempt": helpers?.job?.attempts,
      },
      async () => task(payload, helpers),
      { kind: "consumer", parent, root: true },
    );
  };
}

export function createTaskList(deps: JobDeps): TaskList {
  const withNames: JobDeps = { ...deps, taskIdentifiers: Object.keys(tasks), caches: deps.caches ?? {} };
  return Object.fromEntries(
    Object.entries(tasks).map(([name, factory]) => [name, traced(name, factory(withNames))]),
  );
}
