// Runs graphile-worker until no job is due: every job the tasks add along the way is run too.
import { runOnce, type TaskList, Logger as WorkerLogger } from "graphile-worker";
import type pg from "pg";
import type postgres from "postgres";

const silentWorkerLogger = new WorkerLogger(() => () => {});

/**
 * runOnce resolves before graphile-worker has written the last job's completion, so this waits for
 * that, then runs again while jobs the tasks added are due (bounded to 20 rounds).
 */
export async function drainJobs(pool: pg.Pool, taskList: TaskList, sql: postgres.Sql): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await runOnce({ pgPool: pool, taskList, noHandleSignals: true, logger: silentWorkerLogger });
    const deadline = Date.now() + 5_000;
    for (;;) {
      const [locked] = await sql<{ count: number }[]>`
        select count(*)::int as count from graphile_worker._private_jobs where locked_at is not null`;
      if (locked?.count === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const [due] = await sql<{ count: number }[]>`
      select count(*)::int as count from graphile_worker._private_jobs
      where run_at <= now() and locked_at is null and attempts < max_attempts`;
    if (due?.count === 0) return;
  }
}
