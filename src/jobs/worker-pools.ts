// Worker pools prove they are alive (a heartbeat row each); every worker returns the jobs of pools that are gone to the queue.
import { hostname } from "node:os";
import type postgres from "postgres";

/**
 * graphile-worker marks a job it runs with its pool's id (`locked_by`) and, on its own, frees the
 * jobs of a pool that died only after four hours. Here every pool keeps a heartbeat row fresh, and
 * every worker process sweeps: jobs (and job queues) locked by a pool whose heartbeat is older than
 * `staleAfterMs`, or by a pool that never registered and locked them over `unregisteredAfterMs`
 * ago, are unlocked with graphile-worker's `force_unlock_workers` and run again on a live pool.
 * All times are the database's, so hosts whose clocks disagree still agree on who is gone.
 */
export interface PoolLivenessTiming {
  heartbeatMs: number;
  staleAfterMs: number;
  sweepMs: number;
  unregisteredAfterMs: number;
  /** A stale row holding no job is deleted after this long (it belonged to a pool that ended idle). */
  forgetAfterMs: number;
}

/** A dead pool's jobs run again within staleAfterMs + sweepMs (about 20 s; the target is 30 s). */
export const defaultLivenessTiming: PoolLivenessTiming = {
  heartbeatMs: 3_000,
  staleAfterMs: 15_000,
  sweepMs: 5_000,
  unregisteredAfterMs: 60_000,
  forgetAfterMs: 60 * 60_000,
};

export interface ReclaimedPools {
  poolIds: string[];
  jobIds: string[];
}

type Sql = postgres.Sql;

/**
 * A text[] built from one text parameter holding JSON: postgres.js serializes `sql.array` correctly
 * only once the connection has fetched the server's array types, which a process's first query
 * has not; and a parameter cast straight to jsonb is JSON-encoded a second time.
 */
function textArray(sql: Sql | postgres.TransactionSql, values: string[]) {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::text::jsonb))`;
}

/** Inserts or refreshes the heartbeat rows of `poolIds`; returns the ids whose row had disappeared. */
export async function heartbeat(sql: Sql, poolIds: string[]): Promise<string[]> {
  if (poolIds.length === 0) return [];
  const rows = await sql<{ pool_id: string; inserted: boolean }[]>`
    insert into worker_pools (pool_id, hostname, pid)
    select id, ${hostname()}, ${process.pid} from unnest(${textArray(sql, poolIds)}) as id
    on conflict (pool_id) do update set heartbeat_at = now()
    returning pool_id, (xmax = 0) as inserted`;
  return rows.filter((row) => row.inserted).map((row) => row.pool_id);
}

/**
 * Unlocks the jobs and job queues held by pools that are gone (or, with `all`, by every pool except
 * `keep`), records why on each job, and forgets those pools. Safe to run in many processes at once.
 */
export async function reclaimJobs(
  sql: Sql,
  options: { timing?: PoolLivenessTiming; all?: boolean; keep?: string[] },
): Promise<ReclaimedPools> {
  const timing = options.timing ?? defaultLivenessTiming;
  const keep = options.keep ?? [];
  return sql.begin(async (tx) => {
    const gone = await tx<{ pool_id: string }[]>`
      with holders as (
        select locked_by as pool_id, min(locked_at) as locked_at
        from graphile_worker._private_jobs where locked_by is not null group by locked_by
        union all
        select locked_by, min(locked_at)
        from graphile_worker._private_job_queues where locked_by is not null group by locked_by
      )
      select distinct h.pool_id
      from holders h left join worker_pools p on p.pool_id = h.pool_id
      where h.pool_id <> all(${textArray(tx, keep)})
        and (
          ${options.all === true}
          or p.heartbeat_at < now() - make_interval(secs => ${timing.staleAfterMs / 1000})
          or (p.pool_id is null and h.locked_at < now() - make_interval(secs => ${timing.unregisteredAfterMs / 1000}))
        )`;
    const poolIds = gone.map((row) => row.pool_id);
    // Rows of pools that ended holding nothing (killed while idle) would otherwise stay forever.
    await tx`
      delete from worker_pools p
      where p.pool_id <> all(${textArray(tx, keep)})
        and (${options.all === true} or p.heartbeat_at < now() - make_interval(secs => ${timing.forgetAfterMs / 1000}))
        and not exists (select 1 from graphile_worker._private_jobs j where j.locked_by = p.pool_id)
        and not exists (select 1 from graphile_worker._private_job_queues q where q.locked_by = p.pool_id)`;
    if (poolIds.length === 0) return { poolIds, jobIds: [] };
    const jobs = await tx<{ id: string }[]>`
      update graphile_worker._private_jobs
      set last_error = 'the worker running this job stopped responding (' || locked_by || '); it runs again'
      where locked_by = any(${textArray(tx, poolIds)})
      returning id::text`;
    await tx`select graphile_worker.force_unlock_workers(${textArray(tx, poolIds)})`;
    await tx`delete from worker_pools where pool_id = any(${textArray(tx, poolIds)})`;
    // Wake the live workers now rather than at their next poll (graphile-worker's own channel).
    if (jobs.length > 0) await tx`select pg_notify('jobs:insert', ${JSON.stringify({ count: jobs.length })})`;
    return { poolIds, jobIds: jobs.map((job) => job.id) };
  });
}

/**
 * Removes a stopped pool's heartbeat row when it holds nothing. A job it still holds (a completion
 * not yet written, a job stuck past the deadline) keeps the row, which then goes stale: the sweep
 * returns that job to the queue later, after any late completion had its chance to land.
 */
export async function retirePools(sql: Sql, poolIds: string[]): Promise<void> {
  if (poolIds.length === 0) return;
  await sql`
    delete from worker_pools p
    where p.pool_id = any(${textArray(sql, poolIds)})
      and not exists (select 1 from graphile_worker._private_jobs j where j.locked_by = p.pool_id)
      and not exists (select 1 from graphile_worker._private_job_queues q where q.locked_by = p.pool_id)`;
}

export interface PoolLiveness {
  /** Registers a pool before it takes its first job (graphile-worker's startWorker hook). */
  register: (poolId: string) => Promise<void>;
  /** Stops the heartbeat and the sweep, then retires this process's pools. */
  stop: () => Promise<void>;
}

interface LivenessLogger {
  warn: (details: object, message: string) => void;
  error: (details: object, message: string) => void;
}

/** Heartbeats for this process's pools and the periodic sweep for everybody else's. */
export function startPoolLiveness(
  sql: Sql,
  logger: LivenessLogger,
  timing: PoolLivenessTiming = defaultLivenessTiming,
): PoolLiveness {
  const pools = new Set<string>();
  const registrations = new Map<string, Promise<void>>();
  let busy: Promise<unknown> = Promise.resolve();
  const serially = (step: () => Promise<unknown>) => {
    busy = busy
      .then(step)
      .catch((error: unknown) => logger.warn({ err: error }, "worker liveness step failed"));
    return busy;
  };
  const beat = async () => {
    const revived = await heartbeat(sql, [...pools]);
    if (revived.length > 0) {
      logger.error(
        { pools: revived },
        "this worker pool was presumed dead (no heartbeat for a while: a stalled process or database?); its jobs may have run again elsewhere",
      );
    }
  };
  const sweep = async () => {
    const reclaimed = await reclaimJobs(sql, { timing, keep: [...pools] });
    if (reclaimed.poolIds.length > 0) {
      logger.warn(
        { pools: reclaimed.poolIds, jobs: reclaimed.jobIds },
        `returned ${reclaimed.jobIds.length} job(s) of ${reclaimed.poolIds.length} stopped worker pool(s) to the queue`,
      );
    }
  };
  const heartbeatTimer = setInterval(() => void serially(beat), timing.heartbeatMs);
  // Jitter: replicas started together do not sweep in step.
  const sweepTimer = setInterval(() => void serially(sweep), timing.sweepMs * (0.8 + Math.random() * 0.4));
  heartbeatTimer.unref();
  sweepTimer.unref();
  void serially(sweep);
  return {
    register: (poolId) => {
      let registration = registrations.get(poolId);
      if (!registration) {
        pools.add(poolId);
        registration = heartbeat(sql, [poolId]).then(
          () => undefined,
          // The next heartbeat registers it; an unregistered pool's jobs are only reclaimed much later.
          (error: unknown) => logger.warn({ err: error, poolId }, "could not register the worker pool yet"),
        );
        registrations.set(poolId, registration);
      }
      return registration;
    },
    stop: async () => {
      clearInterval(heartbeatTimer);
      clearInterval(sweepTimer);
      // Bounded: a database that stopped answering must not hold up the process's shutdown.
      await Promise.race([busy, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await Promise.race([
        retirePools(sql, [...pools]).catch((error: unknown) =>
          logger.warn({ err: error }, "could not retire the worker pool's heartbeat row"),
        ),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
      ]);
      pools.clear();
    },
  };
}
