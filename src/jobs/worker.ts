// Runs graphile-worker in this process over the task list, recording job metrics and stopping gracefully.
import {
  type LogLevel,
  parseCronItems,
  type Runner,
  run,
  type TaskList,
  Logger as WorkerLogger,
} from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import type { Metrics } from "../server/metrics.ts";
import { driftSchedulesCron } from "./drift-cron.ts";
import { housekeepingCron } from "./housekeeping.ts";
import { type JobTracker, trackJobs } from "./job-tracker.ts";
import { refreshRepositoriesCron } from "./refresh-cron.ts";
import { sweepRunsCron } from "./sweep-runs.ts";
import { createTaskList, type JobDeps } from "./task-list.ts";
import {
  defaultLivenessTiming,
  type PoolLiveness,
  type PoolLivenessTiming,
  reclaimJobs,
  startPoolLiveness,
} from "./worker-pools.ts";

/** Closed set of worker states reported by /health. */
export type WorkerStatus = "starting" | "running" | "stopping" | "stopped" | "failed";

export interface WorkerOptions {
  deps: JobDeps;
  /** graphile-worker's connection pool (node-postgres). */
  pool: pg.Pool;
  concurrency: number;
  metrics?: Metrics;
  /** How often to look for jobs scheduled in the future or retried (ms); new jobs arrive by LISTEN at once. */
  pollInterval?: number;
  /** The tasks to run; the registered task list (task-list.ts) when omitted. */
  taskList?: TaskList;
  /**
   * This process is the database's only worker (the embedded database): every job still locked at
   * start-up belongs to a process that is gone, and is returned to the queue at once.
   */
  soleWorker?: boolean;
  /** Heartbeat and sweep intervals (tests shorten them). */
  liveness?: PoolLivenessTiming;
}

export interface WorkerHandle {
  status: () => WorkerStatus;
  /**
   * Stops taking jobs and waits up to `timeoutMs` for running ones to finish; jobs still running
   * then are failed back to the queue (they run again later, as tasks are idempotent).
   */
  stop: (timeoutMs?: number) => Promise<void>;
  /** Settles when the worker has stopped; rejects when it stopped because of an error. */
  done: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const { deps } = options;
  const logger = deps.logger.child({ component: "worker" });
  let status: WorkerStatus = "starting";
  // Read through a function: the status changes in callbacks, which control-flow narrowing cannot see.
  const currentStatus = (): WorkerStatus => status;
  const taskList =
    options.taskList ??
    createTaskList({ ...deps, pgPool: options.pool, metrics: options.metrics ?? deps.metrics });
  if (options.soleWorker) {
    const reclaimed = await reclaimJobs(deps.database.sql, { all: true });
    if (reclaimed.jobIds.length > 0) {
      logger.warn(
        { pools: reclaimed.poolIds, jobs: reclaimed.jobIds },
        `returned ${reclaimed.jobIds.length} job(s) left locked by a previous run to the queue`,
      );
    }
  }
  const liveness = startPoolLiveness(deps.database.sql, logger, options.liveness ?? defaultLivenessTiming);
  let runner: Runner;
  try {
    runner = await startRunner(options, taskList, liveness, logger);
  } catch (error) {
    await liveness.stop();
    throw error;
  }
  status = "running";
  const jobs = trackJobs(runner, logger, options.metrics);

  const done = runner.promise.then(
    () => {
      status = "stopped";
    },
    (error: unknown) => {
      status = "failed";
      logger.error({ err: error }, "worker stopped after an error");
      throw error;
    },
  );
  // `done` is awaited by whoever runs the worker; this keeps an early failure from being unhandled meanwhile.
  done.catch(() => {});

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 25_000): Promise<void> => {
    stopping ??= (async () => {
      if (status === "stopped" || status === "failed") return;
      status = "stopping";
      logger.info({ runningJobs: jobs.running(), timeoutMs }, "worker stopping");
      const outcome = await stopRunner(runner, jobs, logger, timeoutMs);
      await settlesWithin(
        done.catch(() => {}),
        outcome === "graceful" ? 5_000 : 1_000,
      );
      await liveness.stop();
      if (currentStatus() !== "failed") status = "stopped";
    })();
    return stopping;
  };

  return { status: currentStatus, stop, done };
}

function startRunner(
  options: WorkerOptions,
  taskList: TaskList,
  liveness: PoolLiveness,
  logger: Logger,
): Promise<Runner> {
  return run({
    pgPool: options.pool,
    taskList,
    concurrency: options.concurrency,
    pollInterval: options.pollInterval ?? 2000,
    noHandleSignals: true,
    // Batched (delay 0) completion and failure writes are flushed by graceful shutdown; unbatched
    // ones are fire-and-forget and could land after the pool has closed.
    preset: {
      worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 },
      plugins: [livenessPlugin(liveness)],
    },
    // Scheduled tasks are registered here in code, never read from a crontab file in the working directory.
    // Only with the sweep task present: a custom task list (tests) gets no schedule it cannot run.
    parsedCronItems: parseCronItems(
      [sweepRunsCron, housekeepingCron, refreshRepositoriesCron, driftSchedulesCron].filter(
        (item) => taskList[item.task] !== undefined,
      ),
    ),
    logger: workerLogger(logger),
  });
}

/**
 * Stops taking jobs. Running jobs get up to `timeoutMs`, then are failed back to the queue. Once
 * none is running, graphile-worker's own shutdown gets a short grace only: right after start-up it
 * was seen not to settle, and an idle process must stop promptly.
 */
async function stopRunner(
  runner: Runner,
  jobs: JobTracker,
  logger: Logger,
  timeoutMs: number,
): Promise<"graceful" | "idle" | "deadline"> {
  // Graceful means graphile-worker has shut down AND every running job's result is written back
  // (job:complete), which its stop() does not always wait for.
  const graceful = runner
    .stop("shutting down")
    .catch(() => {})
    .then(() => jobs.drained());
  const outcome = await Promise.race([
    graceful.then(() => "graceful" as const),
    jobs
      .drained()
      .then(() => sleep(idleGraceMs))
      .then(() => "idle" as const),
    sleep(timeoutMs).then(() => "deadline" as const),
  ]);
  if (outcome === "idle") {
    logger.warn("the job queue did not confirm its shutdown with no job running; stopping without it");
  }
  if (outcome === "deadline") {
    logger.warn(
      { runningJobs: jobs.running() },
      "jobs still running at the shutdown deadline; returning them to the queue",
    );
    // Fails the stuck attempts (recording why) so that the jobs are retried on a live worker.
    for (const pool of jobs.poolsRunning()) {
      await settlesWithin(
        Promise.resolve(pool.forcefulShutdown("shutdown deadline passed while the job was running")).catch(
          (error: unknown) => logger.error({ err: error }, "could not return the stuck jobs to the queue"),
        ),
        10_000,
      );
    }
    jobs.forget();
  }
  return outcome;
}

/** How long graphile-worker's shutdown may take once no job is running. */
const idleGraceMs = 1_500;

/** A timer that never keeps the process alive by itself (the races in stop() leave the losers running). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** graphile-worker's hook before a worker's first job: the pool is registered before it locks anything. */
function livenessPlugin(liveness: PoolLiveness): GraphileConfig.Plugin {
  return {
    name: "TerragatePoolLiveness",
    version: "1.0.0",
    worker: {
      hooks: {
        startWorker: (_context, event) => liveness.register(event.worker.workerPool.id),
      },
    },
  };
}

/** Whether `promise` settles within `ms` (it keeps running either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** graphile-worker's log lines through our logger (its "warning" is pino's "warn"). */
function workerLogger(logger: Logger): WorkerLogger {
  const levels: Record<LogLevel, "error" | "warn" | "info" | "debug"> = {
    error: "error",
    warning: "warn",
    info: "info",
    debug: "debug",
  };
  return new WorkerLogger((scope) => (level, message, meta) => {
    logger[levels[level]]({ scope: { label: scope.label, workerId: scope.workerId }, ...meta }, message);
  });
}
