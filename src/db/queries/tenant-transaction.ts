// Runs tenant-scoped work as the non-owner role terragate_app with the installation set, so row-level security applies.
import { sql } from "drizzle-orm";
import type { DatabaseClient, Transaction } from "../client.ts";

/**
 * Every API query that touches one installation's rows runs here: the code filters by installation
 * and, as a second wall, PostgreSQL's policies hide every other installation's rows from this role.
 *
 * The role and setting are sent first and the work's first query is pipelined right behind them on
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
        sql`select set_config('role', 'terragate_app', true), set_config('terragate.installation_id', ${String(installationId)}, true)`,
      )
      .then(() => undefined);
    const [, result] = await Promise.all([scoped, work(tx)]);
    return result;
  });
}
