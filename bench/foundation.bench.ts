// Foundation benchmark: start-up time of a full server on a fresh embedded database, /health latency, peak RSS,
// and the resident memory of an idle `npm start`.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config/env.ts";
import { nodeFlags } from "../src/config/node-flags.ts";
import { freePort } from "../src/db/embedded-host.ts";
import { createLogger } from "../src/logging/logger.ts";
import { startRuntime } from "../src/server/runtime.ts";

const SEQUENTIAL = 2_000;
const CONCURRENT_CLIENTS = 20;
const CONCURRENT_REQUESTS = 5_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(label: string, durations: number[], wallMs: number): string {
  const sorted = [...durations].sort((a, b) => a - b);
  return `${label}: ${durations.length} requests, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ${((durations.length / wallMs) * 1000).toFixed(0)} req/s`;
}

async function timedHealth(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
  return performance.now() - started;
}

const IDLE_SECONDS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Current and peak resident memory of process `pid` in MiB (the kernel's VmRSS and VmHWM). */
async function residentMiB(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/**
 * `npm start` as a user runs it (the bin, its V8 flags, an embedded database in `dataDir`): once
 * listening, it idles IDLE_SECONDS, answers one /health, and the resident memory of its Node process
 * (the database's processes apart) is read. Resolves to that reading, then stops the server.
 */
async function idleServe(dataDir: string): Promise<{ now: number; peak: number }> {
  const port = await freePort();
  const bin = fileURLToPath(new URL("../bin/terragate.js", import.meta.url));
  const child = spawn(process.execPath, [...nodeFlags, bin, "serve"], {
    env: { ...process.env, TERRAGATE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`terragate serve exited with ${code} before listening`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.includes('"listening on port')) resolve();
      });
    });
    await sleep(IDLE_SECONDS * 1000);
    await timedHealth(`http://127.0.0.1:${port}/health`);
    await sleep(1000);
    return await residentMiB(child.pid!);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

export async function run(): Promise<void> {
  await idleRss();
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-bench-"));
  try {
    const config = loadConfig({
      TERRAGATE_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: "silent",
    });
    const bootStarted = performance.now();
    const runtime = await startRuntime({ config, logger: createLogger(config), http: true, worker: true });
    const bootMs = performance.now() - bootStarted;
    console.log(
      `start-up on an empty data dir (initdb, migrations, worker, listen): ${bootMs.toFixed(0)} ms`,
    );
    const url = `http://127.0.0.1:${runtime.port}/health`;
    try {
      for (let i = 0; i < 100; i++) await timedHealth(url);

      const sequential: number[] = [];
      let started = performance.now();
      for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await timedHealth(url));
      console.log(summary("GET /health, 1 client", sequential, performance.now() - started));

      const concurrent: number[] = [];
      let next = 0;
      started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENT_CLIENTS }, async () => {
          while (next < CONCURRENT_REQUESTS) {
            next += 1;
            concurrent.push(await timedHealth(url));
          }
        }),
      );
      console.log(
        summary(`GET /health, ${CONCURRENT_CLIENTS} clients`, concurrent, performance.now() - started),
      );
    } finally {
      const stopStarted = performance.now();
      await runtime.stop();
      console.log(
        `graceful stop (HTTP, worker, pools, embedded database): ${(performance.now() - stopStarted).toFixed(0)} ms`,
      );
    }
    console.log(
      `peak RSS (server and client in one process): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function idleRss(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-bench-idle-"));
  try {
    // The first start creates the database (and fills Node's compile cache if empty); a restart is the usual case.
    const first = await idleServe(dataDir);
    const again = await idleServe(dataDir);
    console.log(
      `idle \`npm start\` (Node process, embedded PostgreSQL apart), ${IDLE_SECONDS} s after listening: ` +
        `RSS ${again.now.toFixed(0)} MiB after a restart, ${first.now.toFixed(0)} MiB on the first start (empty data dir) ` +
        `(peak during start-up ${again.peak.toFixed(0)} / ${first.peak.toFixed(0)} MiB; target < 150 MB)`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
