// The embedded database: persistent cluster, stale pid files from crashes, and refusing a cluster another process runs.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "../../src/db/embedded.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "terragate-embedded-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test("a cluster keeps its data and password across restarts, even after a stale postmaster.pid", async () => {
  const directory = join(root, "cluster");
  const first = await startEmbeddedPostgres({ directory, ephemeral: true });
  const sql = postgres(first.url, { max: 1, onnotice: () => {} });
  await sql`create table kept (value int)`;
  await sql`insert into kept values (42)`;
  await sql.end();
  await first.stop();

  // What a crash leaves behind: a pid file naming a process that no longer exists.
  await writeFile(join(directory, "postmaster.pid"), `999999\n${directory}\n0\n${first.port}\n`);
  const second = await startEmbeddedPostgres({ directory, ephemeral: true });
  try {
    expect(second.url).toBe(first.url);
    const again = postgres(second.url, { max: 1, onnotice: () => {} });
    expect(await again`select value from kept`).toEqual([{ value: 42 }]);
    await again.end();
    const pidFile = await readFile(join(directory, "postmaster.pid"), "utf8");
    expect(pidFile.split("\n")[0]).toBe(String(second.pid));
  } finally {
    await second.stop();
  }
});

test("a cluster still run by a live process is refused with what to do", async () => {
  const directory = join(root, "busy");
  const running = await startEmbeddedPostgres({ directory, ephemeral: true });
  try {
    const attempt = startEmbeddedPostgres({ directory, ephemeral: true });
    await expect(attempt).rejects.toBeInstanceOf(EmbeddedPostgresError);
    await expect(attempt).rejects.toThrow(/already running .*TERRAGATE_DATA_DIR/s);
    const sql = postgres(running.url, { max: 1, onnotice: () => {} });
    expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
    await sql.end();
  } finally {
    await running.stop();
  }
});
