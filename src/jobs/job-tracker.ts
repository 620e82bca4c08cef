// Follows the jobs a graphile-worker runner is running: metrics and log lines per attempt, and what is still running at shutdown.
import type { Runner, WorkerPool } from "graphile-worker";
import type { Logger } from "pino";
import type { Metrics } from "../server/metrics.ts";

export interface JobTracker {
  running: () => number;
  /** Resolves once no job is running (at once when none is). */
  drained: () => Promise<void>;
  /** The pools running the jobs still in progress, to fail those back to the queue. */
  poolsRunning: () => Set<WorkerPool>;
  /** Forgets the running jobs (after they were failed back to the queue). */
  forget: () => void;
}

export function trackJobs(runner: Runner, logger: Logger, metrics: Metrics | undefined): JobTracker {
  const started = new Map<string, number>();
  /** Job id → the graphile-worker pool running it. */
  const runningOn = new Map<string, WorkerPool>();
  const drainWaiters: Array<() => void> = [];
  runner.events.on("job:start", ({ job, worker }) => {
    started.set(job.id, performance.now());
    runningOn.set(job.id, worker.workerPool);
  });
  runner.events.on("job:error", ({ job, error }) => {
    metrics?.jobFailures.inc({ task: job.task_identifier });
    logger.warn(
      {
        jobId: job.id,
        task: job.task_identifier,
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
        err: error,
      },
      "job attempt failed",
    );
  });
  runner.events.on("job:failed", ({ job }) => {
    logger.error(
      { jobId: job.id, task: job.task_identifier, attempts: job.attempts },
      "job failed permanently",
    );
  });
  runner.events.on("job:complete", ({ job, error }) => {
    const begin = started.get(job.id);
    started.delete(job.id);
    runningOn.delete(job.id);
    if (started.size === 0) for (const resolve of drainWaiters.splice(0)) resolve();
    if (begin === undefined) return;
    const outcome = error === undefined || error === null ? "success" : "error";
    metrics?.jobDuration.observe({ task: job.task_identifier, outcome }, (performance.now() - begin) / 1000);
  });
  return {
    running: () => started.size,
    drained: () =>
      started.size === 0 ? Promise.resolve() : new Promise((resolve) => drainWaiters.push(resolve)),
    poolsRunning: () => new Set(runningOn.values()),
    forget: () => {
      started.clear();
      runningOn.clear();
      for (const resolve of drainWaiters.splice(0)) resolve();
    },
  };
}
