// workflow_job / workflow_run events: handed to the runner side (src/jobs/run-died.ts), which fails manifests whose run died.
import { handleRunEvent as handleRunDied } from "../jobs/run-died.ts";
import type { WorkflowJobEvent } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";

/** The evaluator's dispatch point for CI run events; what a run's end means is decided in run-died.ts. */
export async function handleRunEvent(context: EvaluatorContext, event: WorkflowJobEvent): Promise<void> {
  await handleRunDied(context, event);
}
