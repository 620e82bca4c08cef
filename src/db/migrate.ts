// Applies the drizzle migrations in drizzle/ and graphile-worker's schema, one migrator at a time.
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as applyDrizzleMigrations } from "drizzle-orm/postgres-js/migrator";
import { runMigrations as applyWorkerMigrations, Logger } from "graphile-worker";
import postgres from "postgres";
import { createPgPool } from "./pg-pool.ts";

/** Arbitrary constant naming Terragate's migration lock among the database's advisory locks. */
export const migrationLockId = 7_143_520_914_002n;

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Brings the database at `url` up to date. Replicas starting together take turns on a session-level
 * advisory lock held on a dedicated connection, so exactly one applies each migration and the
 * others find nothing left to do. A failing migration throws a MigrationError with the SQL error.
 */
export async function migrate(
  url: string,
  options: { migrationsFolder?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "terragate-migrate" },
  });
  // An abort (a stop during start-up) while migrating closes the connection, so the unfinished
  // migration rolls back.
  const onAbort = () => {
    void sql.end({ timeout: 0 });
  };
  try {
    await takeMigrationLock(sql, signal);
    signal?.addEventListener("abort", onAbort, { once: true });
    signal?.throwIfAborted();
    try {
      await runStep("drizzle", () =>
        applyDrizzleMigrations(drizzle(sql), {
          migrationsFolder: options.migrationsFolder ?? migrationsFolder,
        }),
      );
      await runStep("graphile-worker", async () => {
        const pool = createPgPool(url, { max: 1, applicationName: "terragate-migrate" });
        try {
          await applyWorkerMigrations({ pgPool: pool, logger: new Logger(() => () => {}) });
        } finally {
          await pool.end();
        }
      });
    } finally {
      await sql`select pg_advisory_unlock(${migrationLockId.toString()}::bigint)`.catch(() => undefined);
    }
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await sql.end({ timeout: 5 });
  }
}

/** How often a replica waiting for another's migration tries the lock again. */
const lockRetryMs = 200;

/**
 * Takes the migration lock, trying again while another replica holds it, until `signal` aborts.
 * Not `pg_advisory_lock`: a backend waiting on a lock reads nothing from its client, so a stop could
 * reach it only by a cancel request, and one that arrived before the wait began was lost — the
 * backend then waited on, and its open connection kept the stopped process alive until the other
 * replica let go. Between tries nothing is in flight, and the connection closes normally.
 */
async function takeMigrationLock(sql: postgres.Sql, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    const [row] = await sql<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${migrationLockId.toString()}::bigint) as locked`;
    if (row?.locked) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, lockRetryMs);
      signal?.addEventListener("abort", done, { once: true });
    });
    signal?.throwIfAborted();
  }
}

async function runStep(what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw new MigrationError(
      `Database migration failed (${what}): ${sqlErrorMessage(error)}. ` +
        "Nothing after the failing migration was applied; fix the cause and start again.",
      { cause: error },
    );
  }
}

/** The innermost database error's message (drizzle wraps it in "Failed query: …"), with its detail when present. */
function sqlErrorMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (!(current instanceof Error)) return String(current);
  const detail = (current as { detail?: string }).detail;
  const code = (current as { code?: string }).code;
  return [current.message, code ? `(SQLSTATE ${code})` : undefined, detail ? `detail: ${detail}` : undefined]
    .filter(Boolean)
    .join(" ");
}
