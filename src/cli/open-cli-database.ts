// The database a one-shot CLI command uses: DATABASE_URL, the running server's embedded PostgreSQL, or a fresh start of it.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import postgres from "postgres";
import type { Config } from "../config/env.ts";
import { fallbackClusterDirectory, openDatabaseLocation } from "../server/open-database.ts";

export interface CliDatabase {
  url: string;
  /** Stops the embedded server when this command started it; a no-op otherwise. */
  close: () => Promise<void>;
}

/** Where `startEmbeddedPostgres` keeps the cluster's port and password, beside its data. */
const EMBEDDED_SETTINGS_FILE = "terragate-embedded.json";

/**
 * The URL of the embedded PostgreSQL that a `terragate serve` on the same data dir is running, or
 * undefined when none answers. Reading its settings avoids a second server fighting over the cluster.
 */
export async function runningEmbeddedUrl(config: Config): Promise<string | undefined> {
  const dataDir = resolve(config.TERRAGATE_DATA_DIR);
  // The cluster is under the data dir, or (as root, when the postgres user cannot enter it) in the system-wide fallback.
  for (const directory of [join(dataDir, "postgres"), fallbackClusterDirectory(dataDir)]) {
    const url = await answeringCluster(directory);
    if (url) return url;
  }
  return undefined;
}

async function answeringCluster(directory: string): Promise<string | undefined> {
  let settings: { port?: unknown; password?: unknown };
  try {
    await readFile(join(directory, "postmaster.pid"), "utf8");
    settings = JSON.parse(await readFile(join(directory, EMBEDDED_SETTINGS_FILE), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof settings.port !== "number" || typeof settings.password !== "string") return undefined;
  const url = `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/postgres`;
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return url;
  } catch {
    return undefined;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

export async function openCliDatabase(config: Config, logger: Logger): Promise<CliDatabase> {
  if (config.DATABASE_URL !== undefined) return { url: config.DATABASE_URL, close: async () => {} };
  const running = await runningEmbeddedUrl(config);
  if (running) return { url: running, close: async () => {} };
  const location = await openDatabaseLocation(config, logger);
  return { url: location.url, close: async () => location.embedded?.stop() };
}
