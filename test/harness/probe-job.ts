// Jobs of tasks that exist only in a test (probes the worker runs), added the way addJob adds real ones.
import type { Executor } from "../../src/db/client.ts";
import { type AddJobOptions, addJob } from "../../src/jobs/add-job.ts";
import type { TaskName } from "../../src/jobs/task-payloads.ts";

/** addJob for a task name the registry does not know: the worker under test registers it itself. */
export function addProbeJob(
  executor: Executor,
  taskIdentifier: string,
  payload: object,
  options?: AddJobOptions,
): Promise<void> {
  return addJob(executor, taskIdentifier as TaskName, payload as never, options);
}
