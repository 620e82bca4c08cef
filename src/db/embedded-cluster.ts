// The embedded cluster's files: initdb into place, the settings kept beside the data, and pid files left by crashes.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, chown, mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { commandLine, freePort, type Owner, parentPid } from "./embedded-host.ts";

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

/** Settings kept beside the cluster so that restarts reuse the same password and, when free, the same port. */
export interface ClusterSettings {
  port: number;
  password: string;
}

export const settingsFileName = "terragate-embedded.json";
/** The watchdog shell's name ($0) in its command line: marks it among the postmaster's ancestors. */
export const watchdogName = "terragate-postgres-watchdog";
const staleStopTimeoutMs = 30_000;

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * initdb works in a side directory renamed into place at the end, so a crash or an abort mid-way
 * never leaves a half-made cluster that would look initialised on the next start.
 */
export async function initialise(
  directory: string,
  initdb: string,
  owner: Owner | undefined,
  onLog: ((line: string) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
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
    const { stdout, stderr } = await runInitdb(
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
      owner,
      signal,
    );
    for (const line of `${stdout}${stderr}`.split("\n")) if (line.trim()) onLog?.(line);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    signal?.throwIfAborted();
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

/**
 * initdb in its own process group, so that an abort stops it together with the postgres processes
 * it starts (killing initdb alone would leave them running until they notice).
 */
function runInitdb(
  initdb: string,
  args: string[],
  owner: Owner | undefined,
  signal: AbortSignal | undefined,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(initdb, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { LC_ALL: "C", TZ: "UTC" },
      ...(owner ?? {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const onAbort = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.once("error", rejectRun);
    child.once("close", (code, exitSignal) => {
      signal?.removeEventListener("abort", onAbort);
      if (code === 0) resolveRun({ stdout, stderr });
      else rejectRun(Object.assign(new Error(`initdb exited with ${code ?? exitSignal}`), { stderr }));
    });
  });
}

export async function readSettings(directory: string): Promise<ClusterSettings> {
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

export async function writeSettings(directory: string, settings: ClusterSettings): Promise<void> {
  await writeFile(join(directory, settingsFileName), `${JSON.stringify(settings)}\n`, { mode: 0o600 });
}

/** The postmaster's pid from its pid file, once written. */
export async function postmasterPid(directory: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(directory, "postmaster.pid"), "utf8")).split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmaster.pid left by a crashed run: remove it when its process is gone, stop the server
 * when it is an orphan from a previous run (the Terragate that started it has gone), and refuse
 * when a live Terragate still owns the cluster.
 */
export async function clearStalePostmaster(directory: string): Promise<void> {
  const pidFile = join(directory, "postmaster.pid");
  if (!(await exists(pidFile))) return;
  const pid = await postmasterPid(directory);
  const isOurs = async () => {
    const command = pid === undefined ? "" : await commandLine(pid);
    return command.includes("postgres") && command.includes(directory);
  };
  if (pid === undefined || !(await isOurs())) {
    await unlink(pidFile).catch(() => undefined);
    return;
  }
  const starter = await startingProcess(pid);
  if (starter !== undefined) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${directory} is already running (pid ${pid}, started by process ${starter}). ` +
        "Stop that Terragate first, or point TERRAGATE_DATA_DIR at another directory.",
    );
  }
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + staleStopTimeoutMs;
  while ((await isOurs()) && Date.now() < deadline) await sleep(100);
  if (await isOurs()) process.kill(pid, "SIGKILL");
  await unlink(pidFile).catch(() => undefined);
}

/** The live Node.js process that started the postmaster (through its watchdog shell), if any. */
async function startingProcess(pid: number): Promise<number | undefined> {
  let parent = await parentPid(pid);
  if (parent !== undefined && (await commandLine(parent)).includes(watchdogName)) {
    parent = await parentPid(parent);
  }
  if (parent === undefined || parent <= 1) return undefined;
  return (await commandLine(parent)).includes("node") ? parent : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
