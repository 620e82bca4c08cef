// Vitest global setup of the database tests: one PostgreSQL server for the run (TEST_DATABASE_URL, else an
// embedded one in /dev/shm or the temp dir) and one migrated template database that each test file's database is cloned from.
import { randomBytes } from "node:crypto";
import { access, constants, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { migrate } from "../../src/db/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the server on which each test file creates its own database. */
    testDatabaseServerUrl: string;
    /** A database with every migration applied, which test databases are created from (CREATE DATABASE … TEMPLATE). */
    testDatabaseTemplate: string;
  }
}

/**
 * Migrates a uniquely named template once for the run, instead of every test file running every
 * migration; returns the function that drops it. Other runs may share the server, hence the name.
 */
async function createTemplate(project: TestProject, serverUrl: string): Promise<() => Promise<void>> {
  const name = `terragate_template_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const drop = async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  };
  try {
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await migrate(url.toString());
  } catch (error) {
    await drop().catch(() => undefined);
    await admin.end({ timeout: 5 });
    throw error;
  }
  project.provide("testDatabaseTemplate", name);
  return async () => {
    try {
      await drop();
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
}

/**
 * Where the throw-away cluster lives: in memory (Linux's /dev/shm) when there is one. Each test file creates
 * and drops a database of some 1,200 files, and on a disk file system creating that many files (inode
 * allocation, block bitmaps) costs the server about 0.2 CPU-s per database; in memory it is a small fraction.
 */
async function clusterParent(): Promise<string> {
  try {
    await access("/dev/shm", constants.W_OK | constants.X_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

const clusterPrefix = "terragate-test-pg-";

/** A directory is abandoned only once it has not changed for this long: a run beside this one may be in initdb, with no pid file yet. */
const abandonedAfterMs = 10 * 60_000;

/**
 * Removes the clusters that runs killed before their teardown left in `parent` (in /dev/shm they hold
 * memory until removed): those whose server is not running (no postmaster.pid, or its process is gone)
 * and that have not changed for ten minutes. Returns the directories removed.
 */
export async function removeAbandonedClusters(parent: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [])) {
    if (!name.startsWith(clusterPrefix)) continue;
    const directory = join(parent, name);
    const changed = await stat(directory).then(
      (info) => info.mtimeMs,
      () => now,
    );
    if (now - changed < abandonedAfterMs || (await serverRunning(join(directory, "cluster")))) continue;
    await rm(directory, { recursive: true, force: true });
    removed.push(directory);
  }
  return removed;
}

/** Whether the pid in the cluster's postmaster.pid is a live process (another user's counts as live). */
async function serverRunning(cluster: string): Promise<boolean> {
  const pid = Number(
    (await readFile(join(cluster, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0],
  );
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The test run's entry point: the only place tests look at the environment.
  const external = process.env["TEST_DATABASE_URL"]?.trim();
  if (external) {
    project.provide("testDatabaseServerUrl", external);
    return await createTemplate(project, external);
  }
  const parent = await clusterParent();
  await removeAbandonedClusters(parent);
  const directory = await mkdtemp(join(parent, clusterPrefix));
  const recent: string[] = [];
  try {
    const server = await startEmbeddedPostgres({
      directory: join(directory, "cluster"),
      ephemeral: true,
      onLog: (line) => {
        recent.push(line);
        if (recent.length > 50) recent.shift();
      },
    });
    project.provide("testDatabaseServerUrl", server.url);
    const dropTemplate = await createTemplate(project, server.url).catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    return async () => {
      await dropTemplate();
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(
      `Could not start the embedded PostgreSQL for the tests; set TEST_DATABASE_URL to use an existing server.\n${recent.join("\n")}`,
      { cause: error },
    );
  }
}
