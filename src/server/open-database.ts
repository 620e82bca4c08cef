// Where the data lives: DATABASE_URL when set, else the embedded PostgreSQL under TERRAGATE_DATA_DIR.
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../db/embedded.ts";

export interface DatabaseLocation {
  url: string;
  /** The embedded server when this process started one; it must be stopped on exit. */
  embedded?: EmbeddedPostgres;
}

/** The data dir as an absolute path. */
export function dataDirectory(config: Config): string {
  return resolve(config.TERRAGATE_DATA_DIR);
}

export async function openDatabaseLocation(config: Config, logger: Logger): Promise<DatabaseLocation> {
  if (config.DATABASE_URL !== undefined) return { url: config.DATABASE_URL };
  await mkdir(dataDirectory(config), { recursive: true, mode: 0o700 });
  const directory = resolve(dataDirectory(config), "postgres");
  const postgresLogger = logger.child({ component: "embedded-postgres" });
  const embedded = await startEmbeddedPostgres({
    directory,
    onLog: (line) => postgresLogger.debug(line),
  });
  logger.info(
    { dataDir: dataDirectory(config), port: embedded.port },
    `DATABASE_URL is unset: embedded PostgreSQL keeps its data in ${directory} (listening on 127.0.0.1:${embedded.port})`,
  );
  return { url: embedded.url, embedded };
}
