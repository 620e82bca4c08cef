// Runs tenant-scoped work as the non-owner role terragate_app with the installation set, so row-level security applies.
import { sql } from "drizzle-orm";
import type { DatabaseClient, Transaction } from "../client.ts";

/**
 * Every API query that touches one installation's rows runs here: the code filters by installation
 * and, as a second wall, PostgreSQL's policies hide every other installation's rows from this role.
 */
export async function withTenant<T>(
  database: DatabaseClient,
  installationId: number,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return database.db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', 'terragate_app', true), set_config('terragate.installation_id', ${String(installationId)}, true)`,
    );
    return work(tx);
  });
}
