// GitHub App benchmark: webhook ack latency under load, event → dispatch latency, GitHub API calls per PR event, peak RSS.

import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nodeFlags } from "../src/config/node-flags.ts";
import { freePort } from "../src/db/embedded.ts";
import { workflowSnippet } from "../src/vcs/github/workflow-snippet.ts";
import { testAppPrivateKey } from "../test/fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../test/fakes/github/server.ts";
import { pullRequestEvent, repoFullName } from "../test/github/payloads.ts";

const ACK_RATE = 200;
const ACK_SECONDS = 30;
const DISPATCH_SAMPLES = 100;
export const secret = "bench-secret";

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function describe(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label}: n=${samples.length}, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${(sorted.at(-1) ?? 0).toFixed(2)} ms`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server runs in a child process (real runtime, embedded PostgreSQL in a fresh data dir). */
export async function startServer(
  github: FakeGithub,
  worker: boolean,
  extraEnv: Record<string, string> = {},
) {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-github-bench-"));
  const env = {
    APP_ID: "1",
    PRIVATE_KEY: testAppPrivateKey(),
    WEBHOOK_SECRET: secret,
    GITHUB_API_URL: github.url,
    TERRAGATE_URL: "https://terragate.bench",
    TERRAGATE_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    LOG_LEVEL: "silent",
    ...extraEnv,
  };
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      new URL("./github-bench-server.ts", import.meta.url).pathname,
      JSON.stringify(env),
      worker ? "worker" : "http-only",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`benchmark server exited with ${code}`)));
    lines.on("line", (line) => {
      if (line.startsWith("listening ")) resolve(Number(line.slice("listening ".length)));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/api/github/v1/events`,
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    /** Stops the server; resolves to its peak RSS in MiB. */
    stop: async (): Promise<number> => {
      const rss = new Promise<number>((resolve) => {
        lines.on("line", (line) => {
          if (line.startsWith("rss ")) resolve(Number(line.slice(4)));
        });
        child.once("exit", () => resolve(Number.NaN));
      });
      child.kill("SIGTERM");
      const peak = await rss;
      await rm(dataDir, { recursive: true, force: true });
      return peak;
    },
  };
}

export async function deliver(url: string, event: string, body: string, signature: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signature,
    },
  });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
  return performance.now() - started;
}

export function seed(github: FakeGithub, roots: number) {
  const repo = github.state.addRepo({ owner: "acme", name: "infra", installationId: 42 });
  // Autoplan acts for the PR's author, who needs push access (the default policy).
  repo.permissions.set("alice", "write");
  const files: Record<string, string> = { ".github/workflows/terragate.yml": workflowSnippet() };
  for (let index = 0; index < roots; index++) files[`stacks/s${index}/main.tf`] = "";
  github.state.commit(repoFullName, "main", files);
  return files;
}

export function openPr(
  github: FakeGithub,
  base: Record<string, string>,
  number: number,
  changedRoots: number,
) {
  const changed = Object.fromEntries(
    Array.from({ length: changedRoots }, (_, index) => [`stacks/s${index}/main.tf`, `# pr ${number}`]),
  );
  github.state.commit(repoFullName, `pr-${number}`, { ...base, ...changed });
  return github.state.openPullRequest(repoFullName, {
    number,
    author: "alice",
    base: "main",
    head: `pr-${number}`,
    files: Object.keys(changed),
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the server");
    await sleep(1);
  }
}

/** Share of stored deliveries the server itself answered within 10 and 25 ms (from GET /metrics). */
async function serverShare(metricsUrl: string): Promise<string> {
  const text = await (await fetch(metricsUrl)).text();
  const bucket = (le: string) => {
    const line = text
      .split("\n")
      .find(
        (row) =>
          row.includes('route="/api/github/v1/events"') &&
          row.includes('status="202"') &&
          row.includes(`le="${le}"`),
      );
    return Number(line?.split(" ").at(-1) ?? Number.NaN);
  };
  const total = bucket("+Inf");
  const share = (le: string) => `${((bucket(le) / total) * 100).toFixed(2)}% ≤ ${Number(le) * 1000} ms`;
  return `${share("0.01")}, ${share("0.025")} of ${total} (warm-up included)`;
}

/** Open loop: one signed delivery every 1/rate s, whatever the latency of the previous ones. */
async function ackLatency(): Promise<void> {
  const github = await startFakeGithub();
  const base = seed(github, 1);
  const server = await startServer(github, false);
  try {
    const body = JSON.stringify(pullRequestEvent("opened", openPr(github, base, 1, 1)));
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    // Warm-up (JIT, connection pool): two seconds at the same rate, not measured.
    await Promise.all(
      Array.from({ length: 2 * ACK_RATE }, async (_, index) => {
        await sleep((index * 1000) / ACK_RATE);
        await deliver(server.url, "pull_request", body, signature);
      }),
    );
    const total = ACK_RATE * ACK_SECONDS;
    const samples: number[] = [];
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / ACK_RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(deliver(server.url, "pull_request", body, signature).then((ms) => void samples.push(ms)));
    }
    await Promise.all(pending);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      describe(`webhook ack (verify + store + enqueue, ${ACK_RATE}/s offered for ${ACK_SECONDS} s)`, samples),
    );
    console.log(`  achieved ${(samples.length / seconds).toFixed(0)} deliveries/s; target p99 < 25 ms`);
    console.log(`  server side (its own histogram): ${await serverShare(server.metricsUrl)}`);
  } finally {
    console.log(`  server process peak RSS (HTTP only): ${await server.stop()} MiB`);
    await github.close();
  }
}

async function dispatchLatencyAndCalls(): Promise<void> {
  const github = await startFakeGithub();
  const base = seed(github, 100);
  const server = await startServer(github, true);
  try {
    let number = 1;
    const send = async (changedRoots: number) => {
      const pull = openPr(github, base, number++, changedRoots);
      const body = JSON.stringify(pullRequestEvent("opened", pull));
      const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      const before = github.state.dispatches.length;
      const requestsBefore = github.state.requests.length;
      const checkRunsBefore = github.state.repo(repoFullName).checkRuns.length;
      const started = Date.now();
      await deliver(server.url, "pull_request", body, signature);
      await waitFor(() => github.state.dispatches.length > before);
      const dispatchedAt = github.state.dispatches.at(-1)!.at;
      const expectedChecks = changedRoots > 50 ? 1 : changedRoots;
      await waitFor(
        () => github.state.repo(repoFullName).checkRuns.length >= checkRunsBefore + expectedChecks,
      );
      // Let the dispatch job's check-run updates (details URL) land before counting.
      await sleep(150);
      return { latency: dispatchedAt - started, requests: github.state.requests.slice(requestsBefore) };
    };
    for (let i = 0; i < 10; i++) await send(1);
    const latencies: number[] = [];
    for (let i = 0; i < DISPATCH_SAMPLES; i++) latencies.push((await send(1)).latency);
    console.log(
      describe("PR opened → workflow dispatch call (worker running, fake GitHub instant)", latencies),
    );
    console.log("  target p50 < 100 ms");

    for (const roots of [1, 10, 100]) {
      const { requests } = await send(roots);
      const byKind = new Map<string, number>();
      for (const request of requests) {
        const kind = `${request.method} ${request.path
          .replace(/\/repos\/[^/]+\/[^/]+/, "")
          .replace(/\/[0-9a-f]{40}/g, "/{sha}")
          .replace(/\/\d+/g, "/{n}")
          .replace(/\/contents\/.*/, "/contents/{path}")}`;
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      }
      const detail = [...byKind.entries()].map(([kind, count]) => `${count}× ${kind}`).join(", ");
      console.log(
        `GitHub API calls for one PR event with ${roots} affected dirspace(s): ${requests.length} (${detail})`,
      );
    }
  } finally {
    console.log(`server process peak RSS (HTTP + worker): ${await server.stop()} MiB`);
    await github.close();
  }
}

export async function run(): Promise<void> {
  // Dispatch latency first: on a busy machine the ack load can fail (connections refused) and end the run.
  await dispatchLatencyAndCalls();
  await ackLatency();
  console.log(
    `load generator + fake GitHub process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
}
