// Pool usage of a postgres.js client, read from pg_stat_activity by the client's unique application name.
import type { PoolUsage } from "../server/metrics.ts";
import type { DatabaseClient } from "./client.ts";

/**
 * postgres.js keeps its pool state private, so the server's own view is asked instead: the
 * connections carrying this process's application name, busy or idle. Gives undefined when the
 * database does not answer within a second (the scrape then simply omits the pool).
 */
export async function readPoolUsage(
  database: DatabaseClient,
  applicationName: string,
): Promise<PoolUsage | undefined> {
  const query = database.sql<{ total: number; idle: number }[]>`
    select count(*)::int as total, count(*) filter (where state = 'idle')::int as idle
    from pg_stat_activity where application_name = ${applicationName}`;
  const timer = setTimeout(() => query.cancel(), 1000);
  try {
    const [row] = await query;
    return { total: row?.total ?? 0, idle: row?.idle ?? 0, waiting: 0, max: database.sql.options.max };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
