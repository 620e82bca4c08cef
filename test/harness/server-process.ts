// A `terragate serve` or `terragate worker` in a child process, for crash tests and benchmarks: start, wait healthy, kill.
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nodeFlags } from "../../src/config/node-flags.ts";
import { freePort } from "../../src/db/embedded-host.ts";
import { terragateBin } from "./cli-entry.ts";

export interface ServerProcess {
  child: ChildProcess;
  /** The HTTP port (serve only). */
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once GET /health answers 200 (serve only). */
  healthy: (timeoutMs?: number) => Promise<void>;
  /** Resolves once a log line matches. */
  logged: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
}

export async function startServerProcess(options: {
  command: "serve" | "worker";
  env: Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, terragateBin, options.command], {
    env: { PATH: process.env["PATH"] ?? "", LOG_LEVEL: "info", PORT: String(port), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const watchers: Array<{ pattern: RegExp; found: (line: string) => void }> = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on("line", (line) => {
      lines.push(line);
      if (lines.length > 2_000) lines.shift();
      for (const watcher of watchers.filter((candidate) => candidate.pattern.test(line))) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.found(line);
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once("exit", (code, signal) => resolveExit({ code, signal })),
  );
  const output = () => lines.join("\n");
  return {
    child,
    port,
    output,
    exited,
    logged: (pattern, timeoutMs = 60_000) =>
      new Promise((resolveLine, reject) => {
        const existing = lines.find((line) => pattern.test(line));
        if (existing !== undefined) return resolveLine(existing);
        const timer = setTimeout(
          () => reject(new Error(`no log line ${pattern} within ${timeoutMs} ms:\n${output()}`)),
          timeoutMs,
        );
        watchers.push({
          pattern,
          found: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
      }),
    healthy: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`exited early:\n${output()}`);
        const ok = await fetch(`http://127.0.0.1:${port}/health`, {
          signal: AbortSignal.timeout(2_000),
        }).then(
          (response) => response.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      throw new Error(`not healthy within ${timeoutMs} ms:\n${output()}`);
    },
  };
}

/** Kills the process and waits for it to be gone. */
export async function killProcess(server: ServerProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  await server.exited;
}

/** POSTs a delivery signed with `secret` as GitHub does; returns the HTTP status. */
export async function deliver(
  port: number,
  secret: string,
  event: string,
  payload: unknown,
): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await fetch(`http://127.0.0.1:${port}/api/github/v1/events`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
  });
  await response.arrayBuffer();
  return response.status;
}

/** The connection URL of the embedded database a serve keeps in `dataDir`. */
export async function embeddedDatabaseUrl(dataDir: string): Promise<string> {
  const settings = JSON.parse(
    await readFile(join(dataDir, "postgres", "terragate-embedded.json"), "utf8"),
  ) as {
    port: number;
    password: string;
  };
  return `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/postgres`;
}

/**
 * Removes a serve's data folder once its embedded PostgreSQL is gone. After `kill -9` of the
 * serve, its database outlives it until the watchdog notices, and keeps writing `pg_wal`; the
 * folder is removed only after the postmaster exited (killed here after 15 s).
 */
export async function removeDataDir(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postgres", "postmaster.pid");
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pid = await readFile(pidFile, "utf8").then(
      (text) => Number.parseInt(text.split("\n")[0] ?? "", 10),
      () => undefined,
    );
    if (pid === undefined || Number.isNaN(pid) || !isAlive(pid)) break;
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 500));
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
