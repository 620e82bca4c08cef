// The embedded default database: a PostgreSQL cluster under the data dir, started and stopped by this process.
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { type Binaries, type BinaryOptions, locateBinaries } from "./embedded-binaries.ts";
import {
  clearStalePostmaster,
  EmbeddedPostgresError,
  exists,
  initialise,
  postmasterPid,
  readSettings,
  sleep,
  watchdogName,
  writeSettings,
} from "./embedded-cluster.ts";
import { clusterOwner, freePort, isPortFree } from "./embedded-host.ts";

export { EmbeddedPostgresError } from "./embedded-cluster.ts";
export { freePort } from "./embedded-host.ts";

export interface EmbeddedPostgresOptions {
  /** The cluster's directory (PGDATA); created on first start, reused afterwards. */
  directory: string;
  /** Trade durability for speed (fsync off): for throw-away test clusters only. */
  ephemeral?: boolean;
  /** Receives PostgreSQL's own log lines. */
  onLog?: (line: string) => void;
  /** Aborts start-up: initdb or the half-started server is stopped and the promise rejects. */
  signal?: AbortSignal;
  /** Where the PostgreSQL programs come from (tests); the installed package otherwise. */
  binaries?: BinaryOptions;
}

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database as the `postgres` superuser. */
  url: string;
  port: number;
  directory: string;
  /** The postmaster's pid. */
  pid: number;
  /** The programs the server runs (a copy when the postgres user could not reach the bundled ones). */
  binaries: Binaries;
  /** Fast shutdown (rolls back open transactions, closes connections); resolves once the server has exited. */
  stop: () => Promise<void>;
}

/**
 * A throw-away cluster's settings: no durability; and, as its databases are small and live seconds, small
 * shared memory and none of the helper processes (I/O workers, autovacuum, the logical replication
 * launcher) that cost each start and stop of the server CPU (about 0.15 s of the 0.4 s on a 2-core machine).
 */
const ephemeralSettings = [
  "fsync=off",
  "synchronous_commit=off",
  "full_page_writes=off",
  "io_method=sync",
  "autovacuum=off",
  "max_logical_replication_workers=0",
  "shared_buffers=32MB",
];

const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;

/**
 * The server runs under a small shell that keeps the read end of a pipe from this process: when
 * this process ends in any way (stop(), a crash, kill -9) the pipe closes and the shell asks the
 * server for a fast shutdown, so an embedded PostgreSQL never outlives the Terragate that started it.
 * `$1` is the postgres program, the rest its arguments; the server exits when the shell is told to.
 */
const watchdogScript = [
  'pg="$1"; shift',
  "exec 3<&0",
  '"$pg" "$@" 3<&- </dev/null &',
  "server=$!",
  '( read -r _ <&3; kill -INT "$server" 2>/dev/null ) &',
  "watch=$!",
  "exec 3<&-",
  `trap 'kill -INT "$server" 2>/dev/null' INT TERM HUP`,
  'while :; do wait "$server"; status=$?; kill -0 "$server" 2>/dev/null || break; done',
  'kill "$watch" 2>/dev/null',
  'exit "$status"',
].join("\n");

/** Starts the cluster in `options.directory`, initialising it first when it does not exist yet. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const directory = resolve(options.directory);
  const { signal } = options;
  const owner = await clusterOwner();
  const binaries = await locateBinaries(owner, options.binaries);
  signal?.throwIfAborted();
  if (!(await exists(join(directory, "PG_VERSION")))) {
    await initialise(directory, binaries.initdb, owner, options.onLog, signal);
  }
  signal?.throwIfAborted();
  await clearStalePostmaster(directory);
  const settings = await readSettings(directory);
  const port = (await isPortFree(settings.port)) ? settings.port : await freePort();
  await writeSettings(directory, { ...settings, port });
  signal?.throwIfAborted();

  const args = [
    "-D",
    directory,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    // The one process it serves opens up to 2 × TERRAGATE_WORKER_CONCURRENCY (at most 100) + 12, CLI commands a few.
    "max_connections=250",
    ...(options.ephemeral ? ephemeralSettings.flatMap((setting) => ["-c", setting]) : []),
  ];
  // Own process group: a Ctrl-C in the terminal reaches only Terragate, which then stops the
  // database after its jobs have finished, instead of the database vanishing under running jobs.
  const child = spawn("/bin/sh", ["-c", watchdogScript, watchdogName, binaries.postgres, ...args], {
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: { LC_ALL: "C", TZ: "UTC", PATH: "/usr/bin:/bin" },
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const recent: string[] = [];
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on("data", onLine);
  child.stderr?.on("data", onLine);
  // Writing to a watchdog that already exited must not crash this process.
  child.stdin?.on("error", () => {});
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));

  const url = `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${port}/postgres`;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopServer(child, exited, directory);
    return stopping;
  };
  try {
    await waitUntilReady(url, child, exited, recent, signal);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = await postmasterPid(directory);
  if (pid === undefined) {
    await stop();
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${directory} answered but wrote no postmaster.pid`,
    );
  }
  return { url, port, directory, pid, binaries, stop };
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  exited: Promise<void>,
  recent: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (hasExited || child.exitCode !== null) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL exited during start-up (code ${child.exitCode}):\n${recent.join("\n")}`,
      );
    }
    const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await probe`select 1`;
      return;
    } catch {
      await sleep(100);
    } finally {
      await probe.end({ timeout: 1 });
    }
  }
  throw new EmbeddedPostgresError(
    `The embedded PostgreSQL did not accept connections within ${startTimeoutMs / 1000} s:\n${recent.join("\n")}`,
  );
}

/** Closes the watchdog's pipe (fast shutdown); kills the server if it has not exited in time. */
async function stopServer(child: ChildProcess, exited: Promise<void>, directory: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(true), stopTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    const pid = await postmasterPid(directory);
    if (pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    child.kill("SIGKILL");
    await exited;
  }
}
