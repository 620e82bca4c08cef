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
 * Brings the database at `url` up to date. Replicas starting together queue on a session-level
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
  // An abort (a stop during start-up) cancels the wait for another replica's migration (a backend
  // waiting on a lock reads nothing else, so only a cancel request reaches it) and closes the
  // connection, so an unfinished migration rolls back.
  const lock = sql`select pg_advisory_lock(${migrationLockId.toString()}::bigint)`;
  const onAbort = () => {
    void Promise.resolve(lock.cancel()).finally(() => sql.end({ timeout: 0 }));
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await lock;
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
