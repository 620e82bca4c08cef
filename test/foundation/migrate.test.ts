// Migrations: applied on an empty database, a no-op the second time, safe to run concurrently, loud when they fail.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterEach, describe, expect, test } from "vitest";
import { MigrationError, migrate, migrationLockId, migrationsFolder } from "../../src/db/migrate.ts";
import { createEmptyDatabase } from "../harness/database.ts";

const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const drop of drops.splice(0)) await drop();
});

async function emptyDatabase() {
  const database = await createEmptyDatabase();
  drops.push(database.drop);
  return database;
}

async function schemaState(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ name: string }[]>`
      select schemaname || '.' || tablename as name from pg_tables
      where schemaname in ('public', 'graphile_worker', 'drizzle') order by 1`;
    const applied = await sql<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations order by id`;
    const worker = await sql<{ id: number }[]>`select id from graphile_worker.migrations order by id`;
    return { tables: tables.map((row) => row.name), applied: applied.length, worker: worker.length };
  } finally {
    await sql.end();
  }
}

describe("migrate", () => {
  test("creates every table on an empty database and changes nothing the second time", async () => {
    const { url } = await emptyDatabase();
    await migrate(url);
    const first = await schemaState(url);
    const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    expect(first.applied).toBe(journal.entries.length);
    expect(first.worker).toBeGreaterThan(0);
    expect(first.tables).toEqual(
      expect.arrayContaining([
        "public.installations",
        "public.webhook_deliveries",
        "public.work_manifests",
        "public.locks",
        "graphile_worker._private_jobs",
      ]),
    );

    await migrate(url);
    expect(await schemaState(url)).toEqual(first);
  });

  test("replicas migrating at the same moment all succeed and apply each migration once", async () => {
    const { url } = await emptyDatabase();
    const results = await Promise.allSettled([migrate(url), migrate(url), migrate(url), migrate(url)]);
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const state = await schemaState(url);
    const sql = postgres(url, { max: 1 });
    const duplicates =
      await sql`select hash from drizzle.__drizzle_migrations group by hash having count(*) > 1`;
    await sql.end();
    expect(duplicates).toHaveLength(0);
    expect(state.tables).toContain("public.installations");
  });

  test("a stop while another replica migrates ends the wait at once and leaves no connection open, whenever it comes", async () => {
    const { url } = await emptyDatabase();
    // Another replica is migrating: it holds the lock for longer than anyone would wait.
    const replica = postgres(url, { max: 1, onnotice: () => {} });
    await replica`select pg_advisory_lock(${migrationLockId.toString()}::bigint)`;
    const sockets = () => process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;
    try {
      const before = sockets();
      // From before the connection is made to well into the wait: a stop while connecting, or before the
      // database began to wait, once left a socket open that kept a stopped `terragate serve` running.
      for (const delayMs of [0, 1, 2, 3, 4, 6, 8, 12, 20, 50, 300]) {
        const controller = new AbortController();
        const migrating = migrate(url, { signal: controller.signal });
        setTimeout(() => controller.abort(new Error("stop requested")), delayMs);
        const started = performance.now();
        await expect(migrating, `stopped after ${delayMs} ms`).rejects.toThrow("stop requested");
        expect(performance.now() - started, `stopped after ${delayMs} ms`).toBeLessThan(5_000);
        expect(sockets(), `open sockets after a stop at ${delayMs} ms`).toBe(before);
      }
    } finally {
      await replica.end();
    }
  });

  test("a failing migration throws with the SQL error and applies nothing of itself", async () => {
    const { url } = await emptyDatabase();
    const folder = await mkdtemp(join(tmpdir(), "terragate-bad-migration-"));
    try {
      await mkdir(join(folder, "meta"));
      await writeFile(
        join(folder, "meta", "_journal.json"),
        JSON.stringify({
          version: "7",
          dialect: "postgresql",
          entries: [{ idx: 0, version: "7", when: 1_700_000_000_000, tag: "0000_bad", breakpoints: true }],
        }),
      );
      await writeFile(
        join(folder, "0000_bad.sql"),
        'CREATE TABLE "half_done" ("id" integer);\n--> statement-breakpoint\nALTER TABLE "no_such_table" ADD COLUMN "x" text;\n',
      );
      const failure = migrate(url, { migrationsFolder: folder });
      await expect(failure).rejects.toBeInstanceOf(MigrationError);
      await expect(failure).rejects.toThrow(/relation "no_such_table" does not exist/);

      const sql = postgres(url, { max: 1 });
      const [row] = await sql<
        { exists: boolean }[]
      >`select to_regclass('public.half_done') is not null as exists`;
      await sql.end();
      expect(row?.exists).toBe(false);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
