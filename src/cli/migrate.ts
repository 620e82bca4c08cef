// `terragate migrate`: applies pending database migrations and exits (serve and worker also do this at start-up).
import { ConfigError, loadConfig } from "../config/env.ts";
import { migrate } from "../db/migrate.ts";
import { createLogger } from "../logging/logger.ts";
import { openDatabaseLocation } from "../server/open-database.ts";

export const usage = `Usage: terragate migrate

Applies pending migrations (Terragate's tables and the job queue's schema) to DATABASE_URL, or to
the embedded database in TERRAGATE_DATA_DIR when DATABASE_URL is unset. Safe to run while other
replicas start: migrators take turns on a PostgreSQL advisory lock.`;

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`terragate migrate: unexpected argument "${args[0]}"\n\n${usage}\n`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`terragate migrate: ${error.message}\n`);
    return 1;
  }
  const logger = createLogger(config);
  let location: Awaited<ReturnType<typeof openDatabaseLocation>> | undefined;
  try {
    location = await openDatabaseLocation(config, logger);
    await migrate(location.url);
    logger.info("database schema up to date");
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ err: error }, "migration failed");
    process.stderr.write(`terragate migrate: ${message}\n`);
    return 1;
  } finally {
    await location?.embedded?.stop();
  }
}
