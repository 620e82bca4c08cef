// Test harness: each test file gets its own database on the run's PostgreSQL server, cloned from the migrated template.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDatabase, type DatabaseClient } from "../../src/db/client.ts";

export interface TestDatabase {
  /** Connection URL of this test file's database. */
  url: string;
  client: DatabaseClient;
  /**
   * Empties every application table and graphile-worker's job tables and restarts their sequences (schema
   * and migrations stay).
   */
  reset: () => Promise<void>;
  /** Closes the client and drops the database. */
  close: () => Promise<void>;
}

export interface TestDatabaseOptions {
  /** Skip migrations: the database starts empty (for tests of the migrator itself). */
  migrate?: boolean;
}

/** Superuser URL of the run's PostgreSQL server (from the global setup). */
export function testServerUrl(): string {
  return inject("testDatabaseServerUrl");
}

/** The URL of database `name` on the same server as `serverUrl`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates a database with a unique name (a copy of `template` when given, else empty) and returns its
 * URL and a function dropping it.
 */
export async function createEmptyDatabase(template?: string): Promise<{
  name: string;
  url: string;
  drop: () => Promise<void>;
}> {
  const serverUrl = testServerUrl();
  const name = `terragate_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  // One connection creates the database and later drops it: each connection is a server process to start
  // (tens of ms of its CPU), and these statements need none of the array types postgres.js looks up first.
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        // FILE_COPY copies the template's files as they are; the default (WAL_LOG) reads each of their pages
        // through shared buffers and writes it to the WAL, several times the server's CPU.
        await admin.unsafe(
          `create database "${name}"${template === undefined ? "" : ` template "${template}"`} strategy file_copy`,
        );
        break;
      } catch (error) {
        // 55006: the template briefly busy when several test files create databases at once.
        if ((error as { code?: string }).code !== "55006" || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } catch (error) {
    await admin.end({ timeout: 5 });
    throw error;
  }
  const drop = async () => {
    try {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
  return { name, url: databaseUrl(serverUrl, name), drop };
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  // The template already has every migration: a copy is much faster than migrating again.
  const { url, drop } = await createEmptyDatabase(
    options.migrate === false ? undefined : inject("testDatabaseTemplate"),
  );
  const client = createDatabase(url, { max: 5, applicationName: "terragate-test" });
  let closed = false;
  return {
    url,
    client,
    reset: async () => {
      const tables = (
        await client.sql<{ name: string }[]>`
          select format('%I.%I', schemaname, tablename) as name
          from pg_tables
          where schemaname not in ('pg_catalog', 'information_schema', 'drizzle', 'graphile_worker')
             or (schemaname = 'graphile_worker' and tablename in ('_private_jobs', '_private_job_queues'))`
      ).map((table) => table.name);
      if (tables.length === 0) return;
      // Deleted rather than truncated: TRUNCATE gives every table, index and sequence new files, and each
      // connection then rebuilds its cache of all of them (some 30 ms of the server's CPU per reset, which
      // many files run before each test). As with TRUNCATE: the same lock waits for any transaction still
      // on the tables, no trigger or foreign-key check runs (the replica role), identity sequences restart.
      await client.sql.begin(async (tx) => {
        await tx.unsafe(`lock table ${tables.join(", ")} in access exclusive mode`);
        await tx`set local session_replication_role = replica`;
        await tx.unsafe(tables.map((table) => `delete from ${table};`).join("\n"));
        await tx`
          select setval(sequence.seqrelid, sequence.seqstart, false)
          from pg_sequence sequence
          join pg_depend owner on owner.classid = 'pg_class'::regclass and owner.objid = sequence.seqrelid
          where owner.refobjid = any(${tables}::regclass[]) and owner.deptype in ('a', 'i')`;
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      await drop();
    },
  };
}
