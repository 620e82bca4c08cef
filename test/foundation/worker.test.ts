// The in-process job worker: runs jobs, records their metrics, and stops gracefully within a bound.
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/worker.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createMetrics, type Metrics } from "../../src/server/metrics.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { addProbeJob } from "../harness/probe-job.ts";

let database: TestDatabase;
let pool: pg.Pool;
let metrics: Metrics;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool(database.url, { max: 4, applicationName: "terragate-test-worker" });
});
afterAll(async () => {
  await pool?.end();
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  metrics = createMetrics({ processMetrics: false });
});
afterEach(async () => {
  await worker?.stop(1_000);
  worker = undefined;
});

function deps() {
  return {
    config: loadConfig({}),
    database: database.client,
    logger: createLogger({ LOG_LEVEL: "silent" }),
    encryptionKey: Buffer.alloc(32),
  };
}

async function pendingJobs(): Promise<
  Array<{ task: string; attempts: number; locked: boolean; error: string | null }>
> {
  return database.client.sql`
    select t.identifier as task, j.attempts, j.locked_at is not null as locked, j.last_error as error
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id order by j.id`;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("runs committed jobs and records durations and failures by task", async () => {
  const seen: unknown[] = [];
  worker = await startWorker({
    deps: deps(),
    pool,
    concurrency: 2,
    metrics,
    pollInterval: 200,
    taskList: {
      "probe-ok": async (payload: unknown) => {
        seen.push(payload);
      },
      "probe-fail": async () => {
        throw new Error("probe failure");
      },
    },
  });
  expect(worker.status()).toBe("running");
  await database.client.db.transaction(async (tx) => {
    await addProbeJob(tx, "probe-ok", { n: 1 });
    await addProbeJob(tx, "probe-fail", {}, { maxAttempts: 1 });
  });
  await until(async () => (await pendingJobs()).every((job) => job.attempts >= 1 && !job.locked));
  await until(async () => (await metrics.registry.metrics()).includes('outcome="error"'));

  expect(seen).toEqual([{ n: 1 }]);
  const jobs = await pendingJobs();
  expect(jobs).toEqual([
    { task: "probe-fail", attempts: 1, locked: false, error: expect.stringContaining("probe failure") },
  ]);
  const text = await metrics.registry.metrics();
  expect(text).toContain('terragate_job_duration_seconds_count{task="probe-ok",outcome="success"} 1');
  expect(text).toContain('terragate_job_duration_seconds_count{task="probe-fail",outcome="error"} 1');
  expect(text).toContain('terragate_job_failures_total{task="probe-fail"} 1');
});

test("stop waits for a running job to finish before resolving", async () => {
  let finished = false;
  let started = false;
  worker = await startWorker({
    deps: deps(),
    pool,
    concurrency: 1,
    pollInterval: 200,
    taskList: {
      "probe-slow": async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 700));
        finished = true;
      },
    },
  });
  await addProbeJob(database.client.db, "probe-slow", {});
  await until(async () => started);
  const stopping = worker.stop(10_000);
  expect(worker.status()).toBe("stopping");
  await stopping;
  expect(finished).toBe(true);
  expect(worker.status()).toBe("stopped");
  expect(await pendingJobs()).toEqual([]);
});

test("a job still running at the deadline is returned to the queue and stop resolves in time", async () => {
  let started = false;
  worker = await startWorker({
    deps: deps(),
    pool,
    concurrency: 1,
    pollInterval: 200,
    taskList: {
      "probe-stuck": async () => {
        started = true;
        await new Promise(() => {});
      },
    },
  });
  await addProbeJob(database.client.db, "probe-stuck", {});
  await until(async () => started);
  const begin = Date.now();
  await worker.stop(500);
  expect(Date.now() - begin).toBeLessThan(8_000);
  expect(worker.status()).toBe("stopped");
  expect(await pendingJobs()).toEqual([
    { task: "probe-stuck", attempts: 1, locked: false, error: expect.stringContaining("shutdown deadline") },
  ]);
});
