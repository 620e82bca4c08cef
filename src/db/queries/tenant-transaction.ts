// Runs tenant-scoped work as the non-owner role terragate_app with the installation set, so row-level security applies.
import { sql } from "drizzle-orm";
import type { DatabaseClient, Transaction } from "../client.ts";

/**
 * Every API query that touches one installation's rows runs here: the code filters by installation
 * and, as a second wall, PostgreSQL's policies hide every other installation's rows from this role.
 *
 * Plans are made for each statement's actual values: a generic plan misjudges how many rows the
 * policies keep and then sorts a whole installation instead of reading one page from the index.
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
          set_config('plan_cache_mode', 'force_custom_plan', true)`,
      )
      .then(() => undefined);
    const [, result] = await Promise.all([scoped, work(tx)]);
    return result;
  });
}
