// Work under a session-level advisory lock, on the one pooled connection that holds the lock.
import { drizzle } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { type Database, type DatabaseClient, schema, traceTransactions } from "./client.ts";

/**
 * Runs `work` holding the session-level advisory lock `key` (hashed with hashtextextended), with a
 * database handle whose every query and transaction runs on the connection that holds the lock.
 * The work therefore needs no second connection: however many run at once on a pool of N
 * connections, N of them make progress, and none waits for a connection a lock holder keeps.
 * A process that dies (kill -9, lost connection) lets go of the lock at once.
 *
 * Returns undefined, without running `work`, when another session holds the lock. The handle is for
 * sequential use (one query or transaction at a time) and only until `work` settles.
 */
export async function withSessionLock<T>(
  database: DatabaseClient,
  key: string,
  work: (db: Database) => Promise<T>,
): Promise<T | undefined> {
  const connection = await database.sql.reserve();
  try {
    const [row] = await connection<{ locked: boolean }[]>`
      select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`;
    if (!row?.locked) return undefined;
    try {
      return await work(databaseOn(connection, database.sql.options));
    } finally {
      await connection`select pg_advisory_unlock(hashtextextended(${key}, 0))`;
    }
  } finally {
    connection.release();
  }
}

/**
 * drizzle over one reserved connection. postgres.js gives a reserved connection no `begin` or
 * `savepoint`, and drizzle reads the pool's type parsers from `options`, which it does not expose:
 * both are added here, so `db.transaction` (and nested transactions) run on this connection too.
 */
function databaseOn(connection: postgres.ReservedSql, options: postgres.Sql["options"]): Database {
  let savepoints = 0;
  const scoped = async <T>(open: string, close: string, undo: string, run: () => Promise<T>) => {
    await connection.unsafe(open);
    let result: T;
    try {
      result = await run();
    } catch (error) {
      // A broken connection fails the undo too; the work's error is the one worth reporting.
      await connection.unsafe(undo).catch(() => undefined);
      throw error;
    }
    await connection.unsafe(close);
    return result;
  };
  type Run = <T>(run: (sql: postgres.ReservedSql) => Promise<T>) => Promise<T>;
  const begin: Run = (run) => scoped("begin", "commit", "rollback", () => run(connection));
  const savepoint: Run = (run) => {
    const name = `terragate_s${savepoints++}`;
    return scoped(`savepoint ${name}`, `release savepoint ${name}`, `rollback to savepoint ${name}`, () =>
      run(connection),
    );
  };
  const client = Object.assign(connection, { options, begin, savepoint });
  const db = drizzle(client as unknown as postgres.Sql, { schema });
  traceTransactions(db);
  return db;
}
