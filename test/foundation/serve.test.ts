// End to end: `terragate serve` with DATABASE_URL unset starts the embedded database, persists across restarts, and leaves nothing behind.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, expect, test } from "vitest";
import { freePort } from "../../src/db/embedded-host.ts";
import { terragateBin } from "../harness/cli-entry.ts";

const children: ChildProcess[] = [];
const directories: string[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const directory of directories) {
    await killPostgresOf(directory);
    await rm(directory, { recursive: true, force: true });
  }
});

interface Serve {
  child: ChildProcess;
  output: () => string;
}

function startServe(dataDir: string, port: number): Serve {
  // An explicit environment: DATABASE_URL and TERRAGATE_ENCRYPTION_KEY are deliberately absent.
  const child = spawn(process.execPath, [terragateBin, "serve"], {
    env: { PATH: process.env["PATH"], TERRAGATE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  return { child, output: () => output };
}

async function waitForHealth(serve: Serve, port: number, timeoutMs = 30_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (serve.child.exitCode !== null) throw new Error(`serve exited early:\n${serve.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return response.json();
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  throw new Error(`no healthy answer within ${timeoutMs} ms:\n${serve.output()}`);
}

async function stopServe(serve: Serve): Promise<number | null> {
  const exited = once(serve.child, "exit");
  serve.child.kill("SIGTERM");
  const [code] = (await Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no exit:\n${serve.output()}`)), 30_000)),
  ])) as [number | null];
  return code;
}

/** Processes whose command line mentions `directory` (the embedded postgres runs with `-D <dir>`). */
async function processesOf(directory: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (command.includes(directory) && command.includes("postgres")) found.push(Number(entry));
  }
  return found;
}

async function killPostgresOf(directory: string): Promise<void> {
  for (const pid of await processesOf(directory)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function embeddedUrl(dataDir: string): Promise<string> {
  const settings = JSON.parse(
    await readFile(join(dataDir, "postgres", "terragate-embedded.json"), "utf8"),
  ) as {
    port: number;
    password: string;
  };
  return `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/postgres`;
}

test("serve starts on an empty data dir, keeps data across restarts, and stops cleanly", {
  timeout: 90_000,
}, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-serve-"));
  directories.push(dataDir);
  const port = await freePort();

  const first = startServe(dataDir, port);
  expect(await waitForHealth(first, port)).toEqual({
    status: "ok",
    database: "ok",
    worker: "running",
    broken_installations: [],
  });
  expect(first.output()).toContain(`embedded PostgreSQL keeps its data in ${join(dataDir, "postgres")}`);
  const keyFile = join(dataDir, "encryption.key");
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  const key = await readFile(keyFile, "utf8");

  const sql = postgres(await embeddedUrl(dataDir), { max: 1, onnotice: () => {} });
  await sql`create table restart_probe (note text)`;
  await sql`insert into restart_probe values ('written before the restart')`;
  await sql.end();

  expect(await stopServe(first)).toBe(0);
  expect(await processesOf(dataDir)).toEqual([]);

  const second = startServe(dataDir, port);
  await waitForHealth(second, port);
  const again = postgres(await embeddedUrl(dataDir), { max: 1, onnotice: () => {} });
  expect(await again`select note from restart_probe`).toEqual([{ note: "written before the restart" }]);
  await again.end();
  expect(await readFile(keyFile, "utf8")).toBe(key);

  // A crash (SIGKILL) leaves no database behind: it shuts down when its starter is gone.
  second.child.kill("SIGKILL");
  await once(second.child, "exit");
  const deadline = Date.now() + 10_000;
  while ((await processesOf(dataDir)).length > 0 && Date.now() < deadline) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  expect(await processesOf(dataDir)).toEqual([]);
  const third = startServe(dataDir, port);
  await waitForHealth(third, port);
  expect(await stopServe(third)).toBe(0);
  expect(await processesOf(dataDir)).toEqual([]);
  expect(third.output()).not.toMatch(/"level":"(error|fatal)"/);
});
