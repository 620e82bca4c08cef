// Dead worker pools give their jobs back: heartbeats, the sweep, unregistered pools, the sole worker of an embedded database.
// The tests wait out liveness periods, so they run at the same time, each on a database of its own.
import type pg from "pg";
import postgres from "postgres";
import { type OnTestFinishedHandler, test } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/worker.ts";
import { heartbeat, type PoolLivenessTiming, reclaimJobs } from "../../src/jobs/worker-pools.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { addProbeJob } from "../harness/probe-job.ts";

/** Short intervals so that the tests take seconds; the defaults are 3 s, 15 s, 5 s, 60 s and an hour. */
const timing: PoolLivenessTiming = {
  heartbeatMs: 200,
  staleAfterMs: 1_500,
  sweepMs: 300,
  unregisteredAfterMs: 2_500,
  forgetAfterMs: 60_000,
};

/** One test's database, its workers (stopped when the test ends) and what the tests ask of it. */
async function workerBed(onTestFinished: (handler: OnTestFinishedHandler) => void) {
  const database: TestDatabase = await createTestDatabase();
  const pool: pg.Pool = createPgPool(database.url, { max: 12, applicationName: "terragate-test-pools" });
  const workers: WorkerHandle[] = [];
  onTestFinished(async () => {
    for (const handle of workers.splice(0)) await handle.stop(1_000);
    await pool.end();
    await database.close();
  });

  async function worker(
    taskList: Record<string, () => Promise<void>>,
    soleWorker = false,
    liveness: PoolLivenessTiming = timing,
  ) {
    const handle = await startWorker({
      deps: {
        config: loadConfig({}),
        database: database.client,
        logger: createLogger({ LOG_LEVEL: "silent" }),
        encryptionKey: Buffer.alloc(32),
      },
      pool,
      concurrency: 2,
      pollInterval: 100,
      taskList,
      liveness,
      soleWorker,
    });
    workers.push(handle);
    return handle;
  }

  /** A job locked by `poolId` `secondsAgo` seconds ago, as a process killed while running it leaves it. */
  async function strandedJob(poolId: string, secondsAgo: number): Promise<string> {
    await database.client.db.transaction((tx) => addProbeJob(tx, "probe", {}));
    const [job] = await database.client.sql<{ id: string }[]>`
      update graphile_worker._private_jobs
      set locked_by = ${poolId}, locked_at = now() - make_interval(secs => ${secondsAgo}), attempts = 1
      where locked_by is null
      returning id::text`;
    return job!.id;
  }

  async function jobs() {
    return database.client.sql<{ locked_by: string | null; attempts: number; last_error: string | null }[]>`
      select locked_by, attempts, last_error from graphile_worker._private_jobs`;
  }

  return { database, worker, strandedJob, jobs };
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

test.concurrent("a pool whose heartbeat stopped gives its job back, and a live pool runs it once", async ({
  expect,
  onTestFinished,
}) => {
  const { database, worker, strandedJob, jobs } = await workerBed(onTestFinished);
  await database.client.sql`
    insert into worker_pools (pool_id, hostname, pid, heartbeat_at)
    values ('pool-killed', 'gone-host', 1, now() - interval '1 second')`;
  await strandedJob("pool-killed", 1);
  let runs = 0;
  await worker({
    probe: async () => {
      runs += 1;
    },
  });
  await until(async () => (await jobs()).length === 0, 10_000);
  expect(runs).toBe(1);
  expect(await database.client.sql`select pool_id from worker_pools where pool_id = 'pool-killed'`).toEqual(
    [],
  );
});

test.concurrent("a live pool keeps its running job: another worker never takes it", async ({
  expect,
  onTestFinished,
}) => {
  const { database, worker, jobs } = await workerBed(onTestFinished);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let runs = 0;
  const slow = async () => {
    runs += 1;
    await held;
  };
  await worker({ probe: slow });
  await database.client.db.transaction((tx) => addProbeJob(tx, "probe", {}));
  await until(() => runs === 1, 5_000);
  // A second process sweeping for several stale periods: the first pool's heartbeat is fresh.
  await worker({ probe: slow });
  await new Promise((resolve) => setTimeout(resolve, timing.staleAfterMs * 2));
  expect(runs).toBe(1);
  const [job] = await jobs();
  expect(job?.locked_by).toMatch(/^pool-/);
  release();
  await until(async () => (await jobs()).length === 0, 5_000);
  expect(runs).toBe(1);
});

test.concurrent("a job locked by a pool that never registered is given back only after the longer grace", async ({
  expect,
  onTestFinished,
}) => {
  const { worker, strandedJob, jobs } = await workerBed(onTestFinished);
  // A longer grace than the other tests', so that a slow start of the worker cannot blur the two periods.
  const patient = { ...timing, unregisteredAfterMs: 6_000 };
  // Read before the lock is written: the database stamps locked_at (and times the grace) with its own now(),
  // which can be earlier than a clock read once the update has returned.
  const lockedAt = Date.now();
  await strandedJob("pool-from-an-older-version", 0);
  let runs = 0;
  await worker(
    {
      probe: async () => {
        runs += 1;
      },
    },
    false,
    patient,
  );
  // Several sweeps after a registered pool would have been given up on: still locked.
  await new Promise((resolve) => setTimeout(resolve, patient.staleAfterMs + 2 * patient.sweepMs));
  expect(Date.now() - lockedAt).toBeLessThan(patient.unregisteredAfterMs);
  expect(runs).toBe(0);
  await until(() => runs === 1, patient.unregisteredAfterMs + 3_000);
  expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(patient.unregisteredAfterMs);
  await until(async () => (await jobs()).length === 0, 3_000);
});

test.concurrent("the sole worker of the database takes back every locked job at start-up, at once", async ({
  expect,
  onTestFinished,
}) => {
  const { database, worker, strandedJob } = await workerBed(onTestFinished);
  // Locked a moment ago by a pool with a fresh heartbeat: only the embedded database's sole worker may assume it is dead.
  await database.client.sql`
    insert into worker_pools (pool_id, hostname, pid) values ('pool-previous-run', 'this-host', 1)`;
  await strandedJob("pool-previous-run", 0);
  let runs = 0;
  const started = Date.now();
  await worker(
    {
      probe: async () => {
        runs += 1;
      },
    },
    true,
  );
  await until(() => runs === 1, 3_000);
  expect(Date.now() - started).toBeLessThan(timing.staleAfterMs);
});

test.concurrent("a stranded job is unlocked with the reason recorded, and its pool forgotten", async ({
  expect,
  onTestFinished,
}) => {
  const { database, strandedJob, jobs } = await workerBed(onTestFinished);
  await database.client.sql`
    insert into worker_pools (pool_id, hostname, pid, heartbeat_at)
    values ('pool-lost', 'gone-host', 1, now() - interval '1 hour'), ('pool-alive', 'this-host', 2, now())`;
  const lost = await strandedJob("pool-lost", 5);
  const reclaimed = await reclaimJobs(database.client.sql, { timing });
  expect(reclaimed).toEqual({ poolIds: ["pool-lost"], jobIds: [lost] });
  const [job] = await jobs();
  expect(job).toEqual({
    locked_by: null,
    attempts: 1,
    last_error: "the worker running this job stopped responding (pool-lost); it runs again",
  });
  expect(await database.client.sql`select pool_id from worker_pools`).toEqual([{ pool_id: "pool-alive" }]);
  // A pool killed while idle holds nothing to reclaim; its row is forgotten once it is long stale.
  await database.client.sql`
    insert into worker_pools (pool_id, hostname, pid, heartbeat_at)
    values ('pool-idle-long-ago', 'gone-host', 3, now() - interval '2 minutes'),
           ('pool-idle-just-now', 'gone-host', 4, now() - interval '10 seconds')`;
  // Nothing left to do: a second sweep (another process) changes nothing.
  expect(await reclaimJobs(database.client.sql, { timing })).toEqual({ poolIds: [], jobIds: [] });
  expect(await database.client.sql`select pool_id from worker_pools order by pool_id`).toEqual([
    { pool_id: "pool-alive" },
    { pool_id: "pool-idle-just-now" },
  ]);
});

test.concurrent("a gracefully stopped worker leaves no heartbeat row behind", async ({
  expect,
  onTestFinished,
}) => {
  const { database, worker, jobs } = await workerBed(onTestFinished);
  const handle = await worker({ probe: async () => {} });
  await database.client.db.transaction((tx) => addProbeJob(tx, "probe", {}));
  await until(async () => (await jobs()).length === 0, 5_000);
  expect((await database.client.sql`select pool_id from worker_pools`).length).toBe(1);
  await handle.stop(1_000);
  expect(await database.client.sql`select pool_id from worker_pools`).toEqual([]);
});

test.concurrent("a pool registers even as the very first query of a fresh connection", async ({
  expect,
  onTestFinished,
}) => {
  const { database } = await workerBed(onTestFinished);
  const fresh = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    expect(await heartbeat(fresh, ["pool-first-query", "pool-second"])).toEqual([
      "pool-first-query",
      "pool-second",
    ]);
    expect(await heartbeat(fresh, ["pool-first-query"])).toEqual([]);
  } finally {
    await fresh.end();
  }
});
