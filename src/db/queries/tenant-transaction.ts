// Runs tenant-scoped work as the non-owner role terragate_app with the installation set, so row-level security applies.
import { sql } from "drizzle-orm";
import type { DatabaseClient, Transaction } from "../client.ts";

/**
 * Every API query that touches one installation's rows runs here: the code filters by installation
 * and, as a second wall, PostgreSQL's policies hide every other installation's rows from this role.
 *
 * The planner multiplies the policy's `installation_id = …` with the query's own as if they were
 * independent, so it expects a hundredth of the rows an installation has; it would then fetch the
 * whole installation with a bitmap scan and sort it instead of reading one page from the
 * (installation_id, created_at, id) index. Every tenant query is a point lookup or a keyset page
 * with a btree index in its sort order, so these transactions steer the planner to them: no bitmap
 * scans, sorts only where nothing else works (an incremental sort over the index order is still
 * fine), no parallel workers and no JIT compilation for one page (a plan whose sort was penalised
 * looks costly enough to be compiled), and plans made for each statement's actual values.
 *
 * The role and settings are sent first and the work's first query is pipelined right behind them on
 * the transaction's connection (PostgreSQL runs them in order), which saves a round trip per request.
 */
export async function withTenant<T>(
  database: DatabaseClient,
  installationId: number,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  if (!Number.isSafeInteger(installationId) || installationId <= 0) {
    throw new Error(`withTenant needs a positive installation id, got ${installationId}`);
  }
  return database.db.transaction(async (tx) => {
    // `.then` starts the statement now, so it is queued before anything `work` sends.
    const scoped = tx
      .execute(
        sql`select set_config('role', 'terragate_app', true),
          set_config('terragate.installation_id', ${String(installationId)}, true),
          set_config('plan_cache_mode', 'force_custom_plan', true),
          set_config('enable_bitmapscan', 'off', true),
          set_config('enable_sort', 'off', true),
          set_config('max_parallel_workers_per_gather', '0', true),
          set_config('jit', 'off', true)`,
      )
      .then(() => undefined);
    const [, result] = await Promise.all([scoped, work(tx)]);
    return result;
  });
}
