// The node-postgres pool graphile-worker needs, with the error handlers it asks for (an idle client's error never crashes us).
import pg from "pg";

export interface PgPoolOptions {
  max: number;
  applicationName: string;
  /** Called when an idle or checked-out connection fails, e.g. the server restarted. */
  onError?: (error: Error) => void;
}

export function createPgPool(url: string, options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    application_name: options.applicationName,
  });
  const onError = options.onError ?? (() => {});
  pool.on("error", onError);
  pool.on("connect", (client) => {
    client.on("error", onError);
  });
  return pool;
}
