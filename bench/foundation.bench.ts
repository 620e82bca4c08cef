// Foundation benchmark: start-up time of a full server on a fresh embedded database, /health latency and peak RSS.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config/env.ts";
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

export async function run(): Promise<void> {
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
