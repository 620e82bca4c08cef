// Runs tenant-scoped work as the non-owner role terragate_app with the installation set, so row-level security applies.
import { drizzle } from "drizzle-orm/postgres-js";
import type { DatabaseClient, Transaction } from "../client.ts";

/**
 * Settings of every tenant transaction, besides the role and installation.
 *
 * The planner multiplies the policy's `installation_id = …` with the query's own as if they were
 * independent, so it expects a hundredth of the rows an installation has; it would then fetch the
 * whole installation with a bitmap scan and sort it instead of reading one page from the
 * (installation_id, created_at, id) index. Every tenant query is a point lookup or a keyset page
 * with a btree index in its sort order, so these transactions steer the planner to them: no bitmap
 * scans, sorts only where nothing else works (an incremental sort over the index order is still
 * fine), no parallel workers and no JIT compilation for one page (a plan whose sort was penalised
 * looks costly enough to be compiled), and plans made for each statement's actual values.
 */
const plannerSettings = [
  "set local plan_cache_mode = force_custom_plan",
  "set local enable_bitmapscan = off",
  "set local enable_sort = off",
  "set local max_parallel_workers_per_gather = 0",
  "set local jit = off",
];

/** Distinct statement texts a process prepares in tenant transactions, per database. */
export const maxPreparedTexts = 256;

const preparedTextsByDatabase = new WeakMap<DatabaseClient, { admit: (query: string) => boolean }>();

/**
 * The statement texts tenant transactions prepare: the first maxPreparedTexts seen, which are the
 * application's fixed queries, requested on every page. A text past those (each shape of a tag query
 * is a text of its own) runs unprepared, so the statements every connection (and its PostgreSQL
 * backend) holds stay bounded whatever people type.
 */
function preparedTexts(database: DatabaseClient) {
  let texts = preparedTextsByDatabase.get(database);
  if (!texts) {
    const admitted = new Set<string>();
    texts = {
      admit: (query) => {
        if (admitted.has(query)) return true;
        if (admitted.size >= maxPreparedTexts) return false;
        admitted.add(query);
        return true;
      },
    };
    preparedTextsByDatabase.set(database, texts);
  }
  return texts;
}

/**
 * Every API query that touches one installation's rows runs here: the code filters by installation
 * and, as a second wall, PostgreSQL's policies hide every other installation's rows from this role.
 *
 * The transaction runs on a reserved connection and is pipelined: `begin` with the role and
 * settings goes out with the work's first statements, and statements the work starts together
 * (a `Promise.all`) go out together, so a one-statement read costs one round trip besides the
 * `commit`. PostgreSQL runs them in order; if a statement fails, the transaction is aborted and the
 * final `commit` becomes a rollback.
 *
 * That takes prepared statements: drizzle sends a statement with parameters unprepared, and
 * postgres.js then asks the server for its parameter types first and holds back everything queued
 * behind it until the answer comes (two round trips per statement, none overlapped: fifteen for
 * the dashboard's PR page). Prepared, a statement is described once per connection and after that
 * only bound and executed. The plans are unchanged: `force_custom_plan` above still plans every
 * execution for its own values, and a plan that depends on row-level security is redone when the
 * role differs, so a statement prepared for one installation cannot show another's rows (the
 * policies read the installation setting when the statement runs). Each connection keeps what it
 * prepared until it closes, so only the first texts seen are prepared (preparedTexts).
 */
export async function withTenant<T>(
  database: DatabaseClient,
  installationId: number,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  if (!Number.isSafeInteger(installationId) || installationId <= 0) {
    throw new Error(`withTenant needs a positive installation id, got ${installationId}`);
  }
  const connection = await database.sql.reserve();
  try {
    // One simple-protocol message; the id is a checked integer, so inlining it is safe.
    const setup = connection
      .unsafe(
        [
          "begin",
          "set local role terragate_app",
          `select set_config('terragate.installation_id', '${installationId}', true)`,
          ...plannerSettings,
        ].join("; "),
      )
      .execute();
    setup.catch(() => undefined);
    // drizzle reads the pool's type parsers from `options`, which a reserved connection shares but
    // does not expose. Query building only (no relational queries), so no schema is needed here.
    const texts = preparedTexts(database);
    const unprepared = connection.unsafe.bind(connection);
    const prepared: typeof connection.unsafe = (query, parameters, options) =>
      unprepared(
        query,
        parameters,
        parameters?.length && texts.admit(query) ? { ...options, prepare: true } : options,
      );
    const tx = drizzle(
      Object.assign(connection, { options: database.sql.options, unsafe: prepared }),
    ) as unknown as Transaction;
    let result: T;
    try {
      result = await work(tx);
      await setup;
    } catch (error) {
      // When the setup failed, the work failed only because the transaction was aborted: report the cause.
      const setupError: unknown = await setup.then(
        () => undefined,
        (cause: unknown) => cause,
      );
      await connection.unsafe("rollback").catch(() => undefined);
      throw setupError ?? error;
    }
    await connection.unsafe("commit");
    return result;
  } finally {
    connection.release();
  }
}
