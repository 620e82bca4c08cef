// withSessionLock: the work runs on the lock's own connection, so a pool of one connection is enough;
// and a process's pool is sized from its worker's concurrency.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { createDatabase, type DatabaseClient, processPoolSize } from "../../src/db/client.ts";
import { withSessionLock } from "../../src/db/session-lock.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

let database: TestDatabase;
/** One connection: work that asked the pool for a second one would wait forever. */
let single: DatabaseClient;

beforeAll(async () => {
  database = await createTestDatabase();
  single = createDatabase(database.url, { max: 1, applicationName: "terragate-test-single" });
  await database.client.sql`create table if not exists session_lock_probe (value text not null)`;
});
afterAll(async () => {
  await single?.sql.end({ timeout: 0 });
  await database?.close();
});
beforeEach(async () => {
  await database.client.sql`truncate session_lock_probe`;
});

/** `work`, or "hung" when it has not settled within 5 s. */
async function bounded<T>(work: Promise<T>): Promise<T | "hung"> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), 5_000);
  });
  return Promise.race([work, hung]).finally(() => clearTimeout(timer));
}

async function values(): Promise<string[]> {
  const rows = await database.client.sql<
    { value: string }[]
  >`select value from session_lock_probe order by value`;
  return rows.map((row) => row.value);
}

test("queries and transactions under the lock run on its connection: a pool of one is enough", async () => {
  const outcome = await bounded(
    withSessionLock(single, "terragate:test:one", async (db) => {
      await db.execute(sql`insert into session_lock_probe values ('plain')`);
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into session_lock_probe values ('committed')`);
        await tx.transaction(async (inner) => {
          await inner.execute(sql`insert into session_lock_probe values ('savepoint')`);
        });
      });
      const [row] = await db.execute<{ held: boolean }>(sql`
        select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()) as held`);
      return row?.held;
    }),
  );
  expect(outcome).toBe(true);
  expect(await values()).toEqual(["committed", "plain", "savepoint"]);
  // Released: the next holder gets it at once.
  expect(await bounded(withSessionLock(single, "terragate:test:one", async () => "again"))).toBe("again");
});

test("a failing transaction rolls back (a failing savepoint only its part) and the lock is let go", async () => {
  const failing = withSessionLock(single, "terragate:test:rollback", async (db) => {
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into session_lock_probe values ('kept')`);
      await tx
        .transaction(async (inner) => {
          await inner.execute(sql`insert into session_lock_probe values ('undone by the savepoint')`);
          throw new Error("inner failure");
        })
        .catch(() => undefined);
    });
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into session_lock_probe values ('undone by the rollback')`);
      throw new Error("the work failed");
    });
  });
  await expect(bounded(failing)).rejects.toThrow("the work failed");
  expect(await values()).toEqual(["kept"]);
  const probe = await database.client.sql.reserve();
  try {
    const [free] = await probe<{ locked: boolean }[]>`
      select pg_try_advisory_lock(hashtextextended('terragate:test:rollback', 0)) as locked`;
    expect(free?.locked).toBe(true);
  } finally {
    await probe`select pg_advisory_unlock_all()`;
    probe.release();
  }
});

test("another session holding the lock: undefined, and the work does not run", async () => {
  const holder = await database.client.sql.reserve();
  try {
    await holder`select pg_advisory_lock(hashtextextended('terragate:test:busy', 0))`;
    let ran = false;
    const outcome = await bounded(
      withSessionLock(single, "terragate:test:busy", async () => {
        ran = true;
      }),
    );
    expect(outcome).toBeUndefined();
    expect(ran).toBe(false);
  } finally {
    await holder`select pg_advisory_unlock(hashtextextended('terragate:test:busy', 0))`;
    holder.release();
  }
});

test("a process's pool has a connection for every job its worker runs at once, and ten for requests", () => {
  // Even with every job holding a connection (a dispatch waiting on GitHub), requests still get one.
  expect(processPoolSize(0)).toBe(10);
  expect(processPoolSize(4)).toBe(14);
  expect(processPoolSize(100)).toBe(110);
});
