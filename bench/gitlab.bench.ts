// GitLab benchmark: webhook ack latency at 200/s against GitHub's ack on the same server; MR opened → pipeline
// created; GitLab API calls per MR event for 1/10/100 dirspaces; peak RSS.

import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nodeFlags } from "../src/config/node-flags.ts";
import { freePort } from "../src/db/embedded.ts";
import { gitlabCiSnippet } from "../src/vcs/gitlab/ci-snippet.ts";
import { testAppPrivateKey } from "../test/fakes/github/app-key.ts";
import { type FakeGitlab, startFakeGitlab } from "../test/fakes/gitlab/server.ts";
import { example } from "../test/github/payloads.ts";
import { mergeRequestHook, noteHook, project } from "../test/gitlab/payloads.ts";

const ACK_RATE = 200;
const PIPELINE_SAMPLES = 30;
const ACK_SECONDS = 30;
const BASELINE_SECONDS = 10;
const adminToken = "bench-admin-token-0123456789abcdef0123456789";
const githubSecret = "bench-github-secret";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: samples.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

function describe(label: string, samples: number[]): string {
  const { n, p50, p99, max } = stats(samples);
  return `${label}: n=${n}, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real runtime in a child process (embedded PostgreSQL in a fresh data dir), HTTP only or with its worker. */
async function startServer(gitlab: FakeGitlab, mode: "http-only" | "worker" = "http-only") {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-gitlab-bench-"));
  const env = {
    TERRAGATE_URL: "https://terragate.bench",
    TERRAGATE_DATA_DIR: dataDir,
    TERRAGATE_ADMIN_TOKEN: adminToken,
    // A GitHub App too, so GitHub's webhook ack on the same server and database is the baseline.
    APP_ID: "1",
    PRIVATE_KEY: testAppPrivateKey(),
    WEBHOOK_SECRET: githubSecret,
    GITLAB_URL: gitlab.url,
    PORT: String(await freePort()),
    LOG_LEVEL: "silent",
  };
  const child = spawn(
    process.execPath,
    [...nodeFlags, new URL("./github-bench-server.ts", import.meta.url).pathname, JSON.stringify(env), mode],
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
    base: `http://127.0.0.1:${port}`,
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

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  expected: number,
): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  await response.arrayBuffer();
  if (response.status !== expected)
    throw new Error(`webhook answered ${response.status}, expected ${expected}`);
  return performance.now() - started;
}

function deliver(url: string, hook: string, body: string, token: string, expected: number): Promise<number> {
  return post(
    url,
    body,
    { "x-gitlab-event": hook, "x-gitlab-token": token, "idempotency-key": randomUUID() },
    expected,
  );
}

/** Open loop: one delivery every 1/rate s, whatever the latency of the previous ones. */
async function openLoop(
  seconds: number,
  send: () => Promise<number>,
): Promise<{ samples: number[]; rate: number }> {
  const total = ACK_RATE * seconds;
  const samples: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ACK_RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send().then((ms) => void samples.push(ms)));
  }
  await Promise.all(pending);
  return { samples, rate: samples.length / ((performance.now() - started) / 1000) };
}

/** Connects the group through the admin API (the real connect flow), returning the webhook secret GitLab got. */
async function connectGroup(gitlab: FakeGitlab, base: string): Promise<string> {
  const bot = gitlab.state.addUser("group_acme_bot", { bot: true });
  gitlab.state.addToken("glpat-bench", bot.username);
  const group = gitlab.state.addGroup("acme");
  group.members.set(bot.id, 50);
  const response = await fetch(`${base}/api/v1/gitlab/installations`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ group: "acme", token: "glpat-bench" }),
  });
  if (response.status !== 201)
    throw new Error(`connect answered ${response.status}: ${await response.text()}`);
  const secret = group.hooks[0]?.token;
  if (!secret) throw new Error("connect created no webhook");
  return secret;
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the server");
    await sleep(1);
  }
}

/** A GitLab API path with its ids and shas replaced, to count calls by kind. */
function callKind(method: string, path: string): string {
  return `${method} ${path
    .replace(/^\/projects\/[^/]+/, "/projects/{id}")
    .replace(/\/[0-9a-f]{40}/g, "/{sha}")
    .replace(/\/\d+/g, "/{n}")
    .replace(/\/files\/.*\/raw$/, "/files/{path}/raw")}`;
}

/** MR opened → pipeline created, with the worker running and the fake GitLab answering at once; calls per event. */
async function pipelineLatencyAndCalls(): Promise<void> {
  const gitlab = await startFakeGitlab();
  const server = await startServer(gitlab, "worker");
  try {
    const secret = await connectGroup(gitlab, server.base);
    const alice = gitlab.state.addUser("alice");
    gitlab.state.group("acme")!.members.set(alice.id, 40);
    const base: Record<string, string> = { ".gitlab-ci.yml": gitlabCiSnippet() };
    for (let index = 0; index < 100; index++) base[`stacks/s${index}/main.tf`] = "";
    const infra = gitlab.state.addProject("acme/infra", { files: base });
    const hookProject = project({ id: infra.id, path_with_namespace: infra.path });
    const url = `${server.base}/api/v1/gitlab/events`;
    let iid = 1;
    const send = async (changedRoots: number) => {
      const number = iid++;
      const changed = { ...base };
      for (let index = 0; index < changedRoots; index++)
        changed[`stacks/s${index}/main.tf`] = `# mr ${number}`;
      gitlab.state.commit(infra, `mr-${number}`, changed);
      gitlab.state.openMergeRequest(infra, { iid: number, author: "alice", sourceBranch: `mr-${number}` });
      const body = JSON.stringify(mergeRequestHook({ action: "open", iid: number, project: hookProject }));
      const pipelinesBefore = infra.pipelines.length;
      const statusesBefore = infra.statuses.length;
      const requestsBefore = gitlab.state.requests.length;
      const started = Date.now();
      await deliver(url, "Merge Request Hook", body, secret, 202);
      await waitFor(() => infra.pipelines.length > pipelinesBefore);
      const createdAt = Date.parse(infra.pipelines.at(-1)?.createdAt ?? "");
      const expectedStatuses = changedRoots > 50 ? 1 : changedRoots;
      await waitFor(() => infra.statuses.length >= statusesBefore + expectedStatuses);
      // Let the dispatch job's status updates (the pipeline's link) land before counting.
      await sleep(150);
      return { latency: createdAt - started, requests: gitlab.state.requests.slice(requestsBefore) };
    };
    for (let i = 0; i < 10; i++) await send(1);
    const latencies: number[] = [];
    for (let i = 0; i < PIPELINE_SAMPLES; i++) latencies.push((await send(1)).latency);
    console.log(describe("MR opened → pipeline created (worker running, fake GitLab instant)", latencies));
    console.log("  target p50 < 100 ms");
    for (const roots of [1, 10, 100]) {
      const { requests } = await send(roots);
      const byKind = new Map<string, number>();
      for (const request of requests) {
        const kind = callKind(request.method, request.path);
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      }
      const detail = [...byKind.entries()].map(([kind, count]) => `${count}× ${kind}`).join(", ");
      console.log(
        `GitLab API calls for one MR event with ${roots} affected dirspace(s): ${requests.length} (${detail})`,
      );
    }
  } finally {
    console.log(`  server process peak RSS (HTTP + worker): ${await server.stop()} MiB`);
    await gitlab.close();
  }
}

export async function run(): Promise<void> {
  await pipelineLatencyAndCalls();
  const gitlab = await startFakeGitlab();
  const server = await startServer(gitlab);
  try {
    const secret = await connectGroup(gitlab, server.base);
    const url = `${server.base}/api/v1/gitlab/events`;
    const infra = project({ id: 4242, path_with_namespace: "acme/infra" });
    const hooks: Array<[string, string]> = [
      ["Merge Request Hook", JSON.stringify(mergeRequestHook({ action: "open", iid: 1, project: infra }))],
      ["Note Hook", JSON.stringify(noteHook({ body: "terragate plan", iid: 1, project: infra }))],
    ];
    let next = 0;
    const stored = () => {
      const [hook, body] = hooks[next++ % hooks.length] as [string, string];
      return deliver(url, hook, body, secret, 202);
    };
    const githubUrl = `${server.base}/api/github/v1/events`;
    const githubBody = JSON.stringify({ ...example("pull_request", "opened"), installation: { id: 42 } });
    const githubSignature = `sha256=${createHmac("sha256", githubSecret).update(githubBody).digest("hex")}`;
    const github = () =>
      post(
        githubUrl,
        githubBody,
        {
          "x-github-event": "pull_request",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": githubSignature,
        },
        202,
      );
    // Warm-up (JIT, connection pool, connection cache): two seconds of each at the same rate, not measured.
    await openLoop(2, stored);
    await openLoop(2, github);
    // GitHub before and after GitLab, so both see the same machine and the same growing tables.
    const githubBefore = await openLoop(BASELINE_SECONDS, github);
    const measured = await openLoop(ACK_SECONDS, stored);
    const githubAfter = await openLoop(BASELINE_SECONDS, github);
    const refused = await openLoop(BASELINE_SECONDS / 2, () =>
      deliver(url, hooks[0]?.[0] ?? "", hooks[0]?.[1] ?? "", "wrong", 401),
    );
    const baseline = [...githubBefore.samples, ...githubAfter.samples];
    console.log(
      describe(
        `baseline: GitHub webhook ack on the same server, ${ACK_RATE}/s for 2 × ${BASELINE_SECONDS} s`,
        baseline,
      ),
    );
    console.log(
      describe(
        `GitLab webhook ack (token check + store + enqueue, ${ACK_RATE}/s offered for ${ACK_SECONDS} s)`,
        measured.samples,
      ),
    );
    const ratio = (key: "p50" | "p99") => (stats(measured.samples)[key] / stats(baseline)[key]).toFixed(2);
    console.log(
      `  achieved ${measured.rate.toFixed(0)} deliveries/s; GitLab/GitHub p50 ×${ratio("p50")}, p99 ×${ratio("p99")}; target p99 < 25 ms`,
    );
    console.log(describe("  refused token (401, nothing read or stored)", refused.samples));
  } finally {
    console.log(`  server process peak RSS (HTTP only): ${await server.stop()} MiB`);
    await gitlab.close();
  }
  console.log(
    `load generator + fake GitLab process peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
}
