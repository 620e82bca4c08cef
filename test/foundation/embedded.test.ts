// The embedded database: persistent cluster, stale pid files from crashes, refusing a cluster in use, never outliving its starter, aborted start-ups.
// Each test has clusters of its own, so they run at the same time.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { afterAll, beforeAll, test } from "vitest";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "../../src/db/embedded.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "terragate-embedded-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test.concurrent("a cluster keeps its data and password across restarts, even after a stale postmaster.pid", async ({
  expect,
}) => {
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

test.concurrent("a cluster still run by a live process is refused with what to do", async ({ expect }) => {
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

/** Whether a process with this pid exists (a zombie counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return condition();
}

test.concurrent("the server exits by itself when the process that started it is killed with SIGKILL", {
  timeout: 60_000,
}, async ({ expect }) => {
  const directory = join(root, "orphan");
  const module = new URL("../../src/db/embedded.ts", import.meta.url).href;
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { startEmbeddedPostgres } from ${JSON.stringify(module)};
       const server = await startEmbeddedPostgres({ directory: ${JSON.stringify(directory)}, ephemeral: true });
       process.stdout.write("ready " + server.pid + "\\n");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const pid = Number(line.split(" ")[1]);
  expect(await alive(pid)).toBe(true);
  child.kill("SIGKILL");
  expect(await waitUntil(async () => !(await alive(pid)), 15_000)).toBe(true);
  // It shut down cleanly: the next start needs no takeover and finds the cluster as it was.
  const again = await startEmbeddedPostgres({ directory, ephemeral: true });
  await again.stop();
  expect(await alive(again.pid)).toBe(false);
});

test.concurrent("an aborted start-up rejects and leaves no server behind, at any point", {
  timeout: 90_000,
}, async ({ expect }) => {
  const attempt = async (directory: string, delayMs: number, phase: string) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("stop requested")), delayMs);
    const outcome = await startEmbeddedPostgres({
      directory,
      ephemeral: true,
      signal: controller.signal,
    }).then(
      async (server) => {
        await server.stop();
        return "started";
      },
      (error: unknown) => (error as Error).message,
    );
    clearTimeout(timer);
    expect(["started", "stop requested"], `${phase}, abort after ${delayMs} ms`).toContain(outcome);
    expect(await postgresProcessesOf(directory), `${phase}, abort after ${delayMs} ms`).toEqual([]);
  };
  // Two clusters, one lane each, side by side.
  await Promise.all([
    (async () => {
      const directory = join(root, "aborted-fresh");
      // A fresh cluster: the aborts land in initdb (each one leaves nothing, so the next initialises again).
      for (const delayMs of [0, 30, 150, 400]) await attempt(directory, delayMs, "initdb");
      const server = await startEmbeddedPostgres({ directory, ephemeral: true });
      await server.stop();
    })(),
    (async () => {
      const directory = join(root, "aborted-initialised");
      const server = await startEmbeddedPostgres({ directory, ephemeral: true });
      await server.stop();
      // An initialised cluster: the aborts land while the server starts and before it answers.
      for (const delayMs of [0, 5, 20, 50, 100, 200]) await attempt(directory, delayMs, "server start");
      const again = await startEmbeddedPostgres({ directory, ephemeral: true });
      await again.stop();
    })(),
  ]);
});

async function postgresProcessesOf(directory: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (command.includes(directory) && (await alive(Number(entry)))) found.push(Number(entry));
  }
  return found;
}
