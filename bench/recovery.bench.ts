// Recovery benchmark: kill -9 mid-storm, then the time until every job the dead process held has finished (restart, or the surviving replica).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { testAppPrivateKey } from "../test/fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../test/fakes/github/server.ts";
import { pullRequestEvent } from "../test/github/payloads.ts";
import { openPullRequest, seedRepository } from "../test/github/testbed.ts";
import {
  deliver,
  embeddedDatabaseUrl,
  killProcess,
  type ServerProcess,
  startServerProcess,
} from "../test/harness/server-process.ts";

const RUNS = 5;
const PULL_REQUESTS = 30;
/** GitHub's answers take this long, so that evaluations and dispatches overlap when the process dies. */
const GITHUB_LATENCY_MS = 60;
const TARGET_MS = 30_000;
const secret = "bench-secret";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function describe(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `${label}: n=${samples.length}, p50 ${seconds(percentile(sorted, 50))}, p99 ${seconds(percentile(sorted, 99))}, max ${seconds(sorted.at(-1) ?? Number.NaN)} (target < ${TARGET_MS / 1000} s)`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

function appEnv(github: FakeGithub): Record<string, string> {
  return {
    APP_ID: "1",
    PRIVATE_KEY: testAppPrivateKey(),
    WEBHOOK_SECRET: secret,
    GITHUB_API_URL: github.url,
    TERRAGATE_URL: "https://terragate.bench",
    LOG_LEVEL: "warn",
  };
}

/** A fresh repository with open PRs, each changing one root. */
function preparePulls(github: FakeGithub) {
  github.state.repos.clear();
  github.state.dispatches.length = 0;
  github.state.latencyMs = GITHUB_LATENCY_MS;
  seedRepository(github);
  return Array.from({ length: PULL_REQUESTS }, (_, index) =>
    openPullRequest(github, {
      number: index + 1,
      changed: { "infra/a/main.tf": `# ${randomBytes(4).toString("hex")}` },
    }),
  );
}

/** Delivers every PR to `targets` in turn, waits until the storm is well under way, and returns the jobs `victim` holds. */
async function stormUntilBusy(
  github: FakeGithub,
  sql: postgres.Sql,
  targets: ServerProcess[],
  victimPid: number | undefined,
): Promise<string[]> {
  const pulls = preparePulls(github);
  for (const [index, pull] of pulls.entries()) {
    const status = await deliver(
      targets[index % targets.length]!.port,
      secret,
      "pull_request",
      pullRequestEvent("opened", pull),
    );
    if (status !== 202) throw new Error(`delivery answered ${status}`);
  }
  let held: string[] = [];
  await until(
    async () => {
      if (github.state.dispatches.length < 5) return false;
      const rows = await sql<{ id: string }[]>`
        select j.id::text from graphile_worker._private_jobs j
        where j.locked_by is not null
          and (${victimPid ?? null}::int is null or j.locked_by in (select pool_id from worker_pools where pid = ${victimPid ?? 0}))`;
      held = rows.map((row) => row.id);
      return held.length > 0;
    },
    60_000,
    "jobs in flight",
  );
  return held;
}

async function jobsGone(sql: postgres.Sql, ids: string[]): Promise<boolean> {
  const [row] = await sql<{ left: number }[]>`
    select count(*)::int as left from graphile_worker._private_jobs where id::text in (select jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))`;
  return row?.left === 0;
}

/** One serve on the embedded database: kill -9, start it again, time until the stranded jobs are done. */
async function restartRun(
  github: FakeGithub,
): Promise<{ recovered: number; allDispatched: number; held: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-recovery-bench-"));
  const servers: ServerProcess[] = [];
  try {
    const first = await startServerProcess({
      command: "serve",
      env: { ...appEnv(github), TERRAGATE_DATA_DIR: dataDir },
    });
    servers.push(first);
    await first.healthy();
    const sql = postgres(await embeddedDatabaseUrl(dataDir), { max: 2, onnotice: () => {} });
    const held = await stormUntilBusy(github, sql, [first], undefined);
    await killProcess(first, "SIGKILL");
    await sql.end();
    const restartedAt = performance.now();
    const second = await startServerProcess({
      command: "serve",
      env: { ...appEnv(github), TERRAGATE_DATA_DIR: dataDir },
    });
    servers.push(second);
    await second.healthy();
    const again = postgres(await embeddedDatabaseUrl(dataDir), { max: 2, onnotice: () => {} });
    try {
      await until(() => jobsGone(again, held), 120_000, "stranded jobs finished");
      const recovered = performance.now() - restartedAt;
      await until(
        () => new Set(github.state.dispatches.map((d) => d.inputs["work-manifest-id"])).size >= PULL_REQUESTS,
        120_000,
        "every PR dispatched",
      );
      return { recovered, allDispatched: performance.now() - restartedAt, held: held.length };
    } finally {
      await again.end();
    }
  } finally {
    for (const server of servers) await killProcess(server, "SIGTERM");
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Two serves on one database: kill -9 one mid-storm, time until the other has finished what it held. */
async function replicaRun(
  github: FakeGithub,
  serverUrl: string,
): Promise<{ recovered: number; held: number }> {
  const name = `terragate_bench_recovery_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const env = {
    ...appEnv(github),
    DATABASE_URL: url.toString(),
    TERRAGATE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  const servers: ServerProcess[] = [];
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  try {
    const doomed = await startServerProcess({ command: "serve", env });
    servers.push(doomed);
    await doomed.healthy();
    const survivor = await startServerProcess({ command: "serve", env });
    servers.push(survivor);
    await survivor.healthy();
    const held = await stormUntilBusy(github, sql, [doomed, survivor], doomed.child.pid);
    await killProcess(doomed, "SIGKILL");
    const killedAt = performance.now();
    await until(() => jobsGone(sql, held), 120_000, "the dead replica's jobs finished");
    return { recovered: performance.now() - killedAt, held: held.length };
  } finally {
    await sql.end();
    for (const server of servers) await killProcess(server, "SIGTERM");
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
  }
}

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  const github = await startFakeGithub();
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  try {
    const restarts: number[] = [];
    const dispatched: number[] = [];
    for (let index = 0; index < RUNS; index++) {
      const result = await restartRun(github);
      restarts.push(result.recovered);
      dispatched.push(result.allDispatched);
      console.log(
        `  restart run ${index + 1}: ${result.held} job(s) stranded, finished ${(result.recovered / 1000).toFixed(1)} s after the restart began`,
      );
    }
    console.log(describe("kill -9 → restart (embedded database) → last stranded job finished", restarts));
    console.log(describe("  … → every PR dispatched", dispatched));

    let serverUrl = env["DATABASE_URL"] ?? env["TEST_DATABASE_URL"];
    if (!serverUrl) {
      embeddedDir = await mkdtemp(join(tmpdir(), "terragate-recovery-bench-pg-"));
      const embedded = await startEmbeddedPostgres({ directory: join(embeddedDir, "pg"), ephemeral: true });
      serverUrl = embedded.url;
      stopEmbedded = embedded.stop;
    }
    const takeovers: number[] = [];
    for (let index = 0; index < RUNS; index++) {
      const result = await replicaRun(github, serverUrl);
      takeovers.push(result.recovered);
      console.log(
        `  replica run ${index + 1}: ${result.held} job(s) held by the killed replica, finished ${(result.recovered / 1000).toFixed(1)} s after the kill`,
      );
    }
    console.log(describe("kill -9 of one of two replicas → its last job finished by the other", takeovers));
  } finally {
    await github.close();
    await stopEmbedded?.();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
