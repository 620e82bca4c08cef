// Transactional outbox: jobs are added with graphile_worker.add_job inside the caller's transaction.
import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { currentTraceparent } from "../tracing/tracing.ts";
import type { TaskName, TaskPayloads } from "./task-payloads.ts";

export interface AddJobOptions {
  /** Jobs with the same queue name run one at a time, in order (e.g. one queue per PR). */
  queueName?: string;
  /** De-duplicates: a second job with the same key replaces the pending one. */
  jobKey?: string;
  jobKeyMode?: "replace" | "preserve_run_at" | "unsafe_dedupe";
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
}

/**
 * Adds a graphile-worker job in the same transaction as the rows it refers to, so the job exists
 * exactly when they do: visible only after commit, gone after rollback.
 */
export async function addJob<Task extends TaskName>(
  executor: Executor,
  taskIdentifier: Task,
  payload: TaskPayloads[Task],
  options: AddJobOptions = {},
): Promise<void> {
  // The job continues the trace that added it (the task wrapper reads `traceparent`).
  const traceparent = currentTraceparent();
  const carried = traceparent === undefined ? payload : { ...payload, traceparent };
  await executor.execute(sql`select graphile_worker.add_job(
    identifier => ${taskIdentifier}::text,
    payload => ${JSON.stringify(carried)}::json,
    queue_name => ${options.queueName ?? null}::text,
    run_at => ${options.runAt?.toISOString() ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? null}::int,
    job_key => ${options.jobKey ?? null}::text,
    priority => ${options.priority ?? null}::int,
    job_key_mode => ${options.jobKeyMode ?? null}::text
  )`);
}
