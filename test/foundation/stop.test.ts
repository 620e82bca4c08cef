// SIGTERM at any point of `terragate serve`'s start-up (embedded database included) stops it within 5 s, leaving no process behind.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { afterAll, expect, test } from "vitest";
import { freePort } from "../../src/db/embedded-host.ts";
import { migrationLockId } from "../../src/db/migrate.ts";
import { terragateBin } from "../harness/cli-entry.ts";
import { createEmptyDatabase } from "../harness/database.ts";

const directories: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const directory of directories) {
    for (const pid of await processesOf(directory)) process.kill(pid, "SIGKILL");
    await rm(directory, { recursive: true, force: true });
  }
});

/** Live (not zombie) processes whose command line mentions `directory`: the database, its watchdog, initdb. */
async function processesOf(directory: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    if (command.includes(directory) && !/^State:\s+Z/m.test(status)) found.push(Number(entry));
  }
  return found;
}

type Trigger =
  | { kind: "time"; ms: number }
  | { kind: "log"; message: RegExp; ms: number }
  | { kind: "healthy"; ms: number }
  | { kind: "when"; condition: () => Promise<boolean> };

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stopMs: number;
  output: string;
  triggered: boolean;
}

/** Starts serve, sends SIGTERM at the trigger (or once it has exited by itself), and measures the stop. */
async function stopAt(dataDir: string, trigger: Trigger, env: Record<string, string> = {}): Promise<Outcome> {
  const port = await freePort();
  const child = spawn(process.execPath, [terragateBin, "serve"], {
    env: {
      PATH: process.env["PATH"],
      TERRAGATE_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolveExit) =>
    child.once("exit", (code, signal) => resolveExit([code, signal])),
  );
  let fire: () => void = () => {};
  const fired = new Promise<void>((resolveFire) => {
    fire = resolveFire;
  });
  const after = (ms: number) => setTimeout(fire, ms);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      output += `${line}\n`;
      if (trigger.kind === "log" && trigger.message.test(line)) after(trigger.ms);
    });
  }
  if (trigger.kind === "time") after(trigger.ms);
  if (trigger.kind === "healthy" || trigger.kind === "when") {
    const condition =
      trigger.kind === "when"
        ? trigger.condition
        : () =>
            fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) }).then(
              (response) => response.status === 200,
              () => false,
            );
    void (async () => {
      while (child.exitCode === null) {
        if (await condition()) return after(trigger.kind === "when" ? 0 : trigger.ms);
        await new Promise((resolveWait) => setTimeout(resolveWait, 20));
      }
    })();
  }
  const first = await Promise.race([
    fired.then(() => "fired" as const),
    exited.then(() => "exited" as const),
  ]);
  const begin = performance.now();
  if (first === "fired") child.kill("SIGTERM");
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code, signal] = await exited;
  clearTimeout(deadline);
  return { code, signal, stopMs: performance.now() - begin, output, triggered: first === "fired" };
}

async function expectPromptCleanStop(
  dataDir: string,
  trigger: Trigger,
  label: string,
  env: Record<string, string> = {},
): Promise<void> {
  const outcome = await stopAt(dataDir, trigger, env);
  const context = `${label}\n${outcome.output}`;
  expect(outcome.triggered, context).toBe(true);
  // Before its modules have loaded, the process has started nothing and Node's default SIGTERM action
  // ends it at once (as a supervisor expects); afterwards Terragate handles the signal and exits 0.
  const endedByDefaultAction = outcome.signal === "SIGTERM" && outcome.output === "";
  if (!endedByDefaultAction) {
    expect({ code: outcome.code, signal: outcome.signal }, context).toEqual({ code: 0, signal: null });
  }
  expect(outcome.stopMs, context).toBeLessThan(5_000);
  expect(await processesOf(dataDir), context).toEqual([]);
  expect(outcome.output, context).not.toMatch(/"level":(50|60)|"level":"(error|fatal)"/);
}

async function dataDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}

/**
 * One start after another, never two at once: the time to stop is what is measured, and a start
 * beside it (module loading, initdb) would slow it on a busy machine.
 */
test("SIGTERM at many points of start-up stops serve within 5 s with nothing left running", {
  timeout: 240_000,
}, async () => {
  // A fresh data dir: the first signals land while modules load and while initdb runs.
  for (const ms of [300, 1_200]) {
    const fresh = await dataDirectory("terragate-stop-fresh-");
    await expectPromptCleanStop(fresh, { kind: "time", ms }, `fresh data dir, SIGTERM after ${ms} ms`);
  }

  const dataDir = await dataDirectory("terragate-stop-");
  const steps: Array<[string, Trigger]> = [
    ["database started", { kind: "log", message: /embedded PostgreSQL keeps its data/, ms: 0 }],
    ["migrations applied", { kind: "log", message: /database schema up to date/, ms: 0 }],
    ["worker started", { kind: "log", message: /job worker started/, ms: 0 }],
    ["port opened", { kind: "log", message: /listening on port/, ms: 0 }],
    ["3 ms after the first healthy answer", { kind: "healthy", ms: 3 }],
    ["1 s after the first healthy answer", { kind: "healthy", ms: 1_000 }],
  ];
  for (const [label, trigger] of steps) await expectPromptCleanStop(dataDir, trigger, label);
  // And blind offsets on the initialised data dir, wherever they fall.
  for (const ms of [600, 1_400]) {
    await expectPromptCleanStop(dataDir, { kind: "time", ms }, `SIGTERM after ${ms} ms`);
  }
});

test("SIGTERM while start-up waits for another replica's migration stops at once", {
  timeout: 60_000,
}, async () => {
  const { url, drop } = await createEmptyDatabase();
  // Another replica is migrating: it holds the migration lock for longer than anyone would wait.
  const replica = postgres(url, { max: 1, onnotice: () => {} });
  await replica`select pg_advisory_lock(${migrationLockId.toString()}::bigint)`;
  const dataDir = await dataDirectory("terragate-stop-replica-");
  // The signal comes once serve has tried the lock and is waiting to try again.
  const waiting = async () => {
    const [row] = await replica<{ tries: number }[]>`
      select count(*)::int as tries from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and query like '%pg_try_advisory_lock%'`;
    return (row?.tries ?? 0) > 0;
  };
  try {
    await expectPromptCleanStop(
      dataDir,
      { kind: "when", condition: waiting },
      "waiting for the migration lock",
      {
        DATABASE_URL: url,
        TERRAGATE_ENCRYPTION_KEY: Buffer.alloc(32, 4).toString("base64"),
      },
    );
  } finally {
    await replica.end();
    await drop();
  }
});
