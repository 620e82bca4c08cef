// The database client: postgres.js under drizzle, one pool per process, built from a URL (never from a global).
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { withSpan } from "../tracing/tracing.ts";
import * as schema from "./schema/index.ts";

export type Database = PostgresJsDatabase<typeof schema>;
/** A drizzle transaction; everything that must commit together takes one of these. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the database or a transaction inside it. */
export type Executor = Database | Transaction;

export interface DatabaseClient {
  sql: postgres.Sql;
  db: Database;
  close: () => Promise<void>;
}

export interface DatabaseOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Connections a process's pool keeps for HTTP requests and short queries, beside its running jobs. */
export const requestConnections = 10;

/**
 * The size of a process's pool: ten connections plus one per job its worker runs at once (0 when
 * it runs no worker). A job holds at most one connection at a time (a dispatch keeps its lock's
 * connection across the call to GitHub), so running jobs never take the connections requests need,
 * whatever TERRAGATE_WORKER_CONCURRENCY is.
 */
export function processPoolSize(workerConcurrency: number): number {
  return requestConnections + workerConcurrency;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): DatabaseClient {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "terragate" },
  });
  const db = drizzle(sql, { schema });
  traceTransactions(db);
  return {
    sql,
    db,
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Every top-level transaction is a span (nested ones are savepoints of it). Wrapping the client's one
 * method here keeps span code out of the many places that open transactions.
 */
export function traceTransactions(db: Database): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((run, config) =>
    withSpan("db transaction", { "db.system.name": "postgresql" }, () => transaction(run, config), {
      kind: "client",
    })) as Database["transaction"];
}

export { schema };
