// The graphile-worker task list: one small, idempotent task per file, registered here by name.
import type { Task, TaskList } from "graphile-worker";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import type { DatabaseClient } from "../db/client.ts";
import { createDispatchRunTask } from "./dispatch-run.ts";
import { createEvaluateEventTask } from "./evaluate-event.ts";
import { createReportResultsTask } from "./report-results.ts";
import { createSweepRunsTask } from "./sweep-runs.ts";

/** What every task factory receives. */
export interface JobDeps {
  config: Config;
  database: DatabaseClient;
  logger: Logger;
  encryptionKey: Buffer;
}

export type TaskFactory = (deps: JobDeps) => Task;

/** Task name → factory. Add a task by adding its file and one line here. */
const tasks: Record<string, TaskFactory> = {
  "evaluate-event": createEvaluateEventTask,
  "dispatch-run": createDispatchRunTask,
  "report-results": createReportResultsTask,
  "sweep-runs": createSweepRunsTask,
};

export function createTaskList(deps: JobDeps): TaskList {
  return Object.fromEntries(Object.entries(tasks).map(([name, factory]) => [name, factory(deps)]));
}
