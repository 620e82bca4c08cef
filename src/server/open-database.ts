// Where the data lives: DATABASE_URL when set, else the embedded PostgreSQL under TERRAGATE_DATA_DIR.
import { createHash } from "node:crypto";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/env.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../db/embedded.ts";
import { clusterOwner, isReachableBy } from "../db/embedded-host.ts";

export interface DatabaseLocation {
  url: string;
  /** The embedded server when this process started one; it must be stopped on exit. */
  embedded?: EmbeddedPostgres;
}

/** The data dir as an absolute path. */
export function dataDirectory(config: Config): string {
  return resolve(config.TERRAGATE_DATA_DIR);
}

export interface OpenOptions {
  /** Aborts start-up of the embedded server (a signal during start-up): nothing is left running. */
  signal?: AbortSignal;
}

export async function openDatabaseLocation(
  config: Config,
  logger: Logger,
  options: OpenOptions = {},
): Promise<DatabaseLocation> {
  if (config.DATABASE_URL !== undefined) return { url: config.DATABASE_URL };
  const dataDir = dataDirectory(config);
  const owner = await clusterOwner();
  // As root the database runs as the postgres user, which must be able to pass through the data dir.
  await mkdir(dataDir, { recursive: true, mode: owner ? 0o711 : 0o700 });
  const directory = await clusterDirectory(dataDir, owner, logger);
  const postgresLogger = logger.child({ component: "embedded-postgres" });
  const embedded = await startEmbeddedPostgres({
    directory,
    onLog: (line) => postgresLogger.debug(line),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (embedded.binaries.copiedFrom !== undefined) {
    logger.warn(
      { bundled: embedded.binaries.copiedFrom, programs: dirname(dirname(embedded.binaries.postgres)) },
      `the postgres user cannot reach the bundled PostgreSQL programs in ${embedded.binaries.copiedFrom}; running a root-owned copy in ${dirname(dirname(embedded.binaries.postgres))}`,
    );
  }
  logger.info(
    { dataDir: dataDirectory(config), port: embedded.port },
    `DATABASE_URL is unset: embedded PostgreSQL keeps its data in ${directory} (listening on 127.0.0.1:${embedded.port})`,
  );
  return { url: embedded.url, embedded };
}

/** Where the system-wide fallback keeps clusters whose data dir the postgres user cannot reach. */
export const fallbackClusterRoot = "/var/lib/terragate";

/** The system-wide fallback's cluster directory for a data dir (always the same for the same data dir). */
export function fallbackClusterDirectory(dataDir: string): string {
  const id = createHash("sha256").update(dataDir).digest("hex").slice(0, 16);
  return join(fallbackClusterRoot, id, "postgres");
}

/**
 * The cluster lives in `<data dir>/postgres`, except when running as root and a directory above
 * the data dir does not let the postgres user through (such as /root): then it lives in /var/lib/terragate/<id of the
 * data dir>/postgres, always the same for the same data dir, and a note in the data dir says so.
 */
async function clusterDirectory(
  dataDir: string,
  owner: Awaited<ReturnType<typeof clusterOwner>>,
  logger: Logger,
): Promise<string> {
  const preferred = join(dataDir, "postgres");
  if (!owner) return preferred;
  if (await isReachableBy(dataDir, owner)) {
    // The data dir is ours: let the postgres user pass through it (not list it), whatever mode it was made with.
    const mode = (await stat(dataDir)).mode & 0o777;
    if ((mode & 0o011) !== 0o011) await chmod(dataDir, mode | 0o011);
    return preferred;
  }
  const directory = fallbackClusterDirectory(dataDir);
  await mkdir(dirname(directory), { recursive: true, mode: 0o711 });
  await writeFile(
    join(dataDir, "postgres-location.txt"),
    `The embedded PostgreSQL data for this data dir is in ${directory}\n` +
      "(running as root, and the postgres user cannot enter a directory above this one).\n",
  );
  logger.warn(
    { dataDir, clusterDirectory: directory },
    `the postgres user cannot enter a directory above ${dataDir}; the embedded database lives in ${directory} instead`,
  );
  return directory;
}
