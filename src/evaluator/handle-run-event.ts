// workflow_job / workflow_run events: handed to the runner side (src/jobs/run-died.ts), which marks dead runs failed.
import type { WorkflowJobEvent } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";

/** What src/jobs/run-died.ts exports for the evaluator to call. */
export interface RunDiedModule {
  handleRunEvent(context: EvaluatorContext, event: WorkflowJobEvent): Promise<void>;
}

/**
 * The runner side owns what a CI run's life means for a manifest. Loaded lazily by path so this
 * dispatch point works before that module exists (the event is then recorded and logged only).
 */
export async function handleRunEvent(context: EvaluatorContext, event: WorkflowJobEvent): Promise<void> {
  const specifier = "../jobs/run-died.ts";
  let module: Partial<RunDiedModule>;
  try {
    module = (await import(specifier)) as Partial<RunDiedModule>;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    module = {};
  }
  if (typeof module.handleRunEvent !== "function") {
    context.logger.info(
      { runId: event.runId, source: event.source, action: event.action },
      "CI run event recorded; no run-died handler is installed",
    );
    return;
  }
  await module.handleRunEvent(context, event);
}
