// Drift benchmark: scheduling drift for 1,000 repositories × 10 dirspaces — time to create and to dispatch every
// manifest, against creating the same manifests directly; a tick with nothing due; GitHub API calls per repository.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOnce, Logger as WorkerLogger } from "graphile-worker";
import pino from "pino";
import postgres from "postgres";
import { loadConfig } from "../src/config/env.ts";
import { createDatabase, type Database } from "../src/db/client.ts";
import { startEmbeddedPostgres } from "../src/db/embedded.ts";
import { migrate } from "../src/db/migrate.ts";
import { createPgPool } from "../src/db/pg-pool.ts";
import { insertWorkManifest } from "../src/db/queries/work-manifest-creation.ts";
import { scheduleDrift } from "../src/jobs/drift-schedules.ts";
import { queueDispatch } from "../src/jobs/manifest-lifecycle.ts";
import { createTaskList } from "../src/jobs/task-list.ts";
import { workflowSnippet } from "../src/vcs/github/workflow-snippet.ts";
import { seedDriftRepositories } from "../test/drift/drift-seed.ts";
import { testAppPrivateKey } from "../test/fakes/github/app-key.ts";
import { startFakeGithub } from "../test/fakes/github/server.ts";
import { describe } from "./github.bench.ts";

const REPOSITORIES = Number(process.env["TERRAGATE_BENCH_DRIFT_REPOSITORIES"] ?? 1_000);
const DIRSPACES = 10;
const IDLE_TICKS = 20;

const drift = {
  enabled: true,
  reconcile: false,
  schedules: { nightly: { cron: "0 3 * * *", tag_query: "prod" } },
};

/** The minimum the scheduler must do: the same manifests and dispatch jobs, inserted without looking at schedules. */
async function baseline(db: Database, installationId: number, repositoryIds: number[]): Promise<number> {
  const dirspaces = Array.from({ length: DIRSPACES }, (_, index) => ({
    dir: `stacks/s${index}`,
    workspace: "default",
    tags: ["prod"],
    workflow: { engine: { name: "terraform" } },
    planId: null,
  }));
  const started = performance.now();
  for (const repositoryId of repositoryIds) {
    await db.transaction(async (tx) => {
      const id = await insertWorkManifest(tx, {
        installationId,
        repositoryId,
        pullRequestId: null,
        vcs: "github",
        kind: "drift",
        baseRef: "main",
        baseSha: "b".repeat(40),
        headRef: "main",
        headSha: "b".repeat(40),
        requestedBy: "baseline",
        tagQuery: "prod",
        commentId: null,
        runConfig: { parallelism: 4 },
        dirspaces,
      });
      if (id) await queueDispatch(tx, id);
    });
  }
  return performance.now() - started;
}

async function measure(databaseUrl: string): Promise<void> {
  const github = await startFakeGithub();
  // Each dispatch holds one connection for its advisory lock and queries on another: room for every worker.
  const database = createDatabase(databaseUrl, { max: 24 });
  const db = database.db;
  try {
    // Baseline repositories (another installation), and the ones the scheduler serves.
    const base = await seedDriftRepositories(db, {
      count: REPOSITORIES,
      dirspaces: DIRSPACES,
      drift: { ...drift, enabled: false },
      externalId: "4241",
      owner: "baseline",
    });
    const seed = await seedDriftRepositories(db, {
      count: REPOSITORIES,
      dirspaces: DIRSPACES,
      drift,
      externalId: "4242",
    });
    for (let index = 0; index < REPOSITORIES; index++) {
      github.state.addRepo({ owner: "acme", name: `infra-${index}`, installationId: 4242 });
      github.state.commit(`acme/infra-${index}`, "main", {
        ".github/workflows/terragate.yml": workflowSnippet(),
      });
    }
    const logger = pino({ level: "silent" });

    const baselineMs = await baseline(db, base.installationId, base.repositoryIds);
    await database.sql`delete from work_manifests where installation_id = ${base.installationId}`;
    await database.sql`delete from graphile_worker._private_jobs`;

    const started = performance.now();
    const result = await scheduleDrift(db, new Date("2026-03-02T03:00:10Z"), logger);
    const createMs = performance.now() - started;
    if (result.started !== REPOSITORIES) {
      throw new Error(`expected ${REPOSITORIES} drift runs, got ${JSON.stringify(result)}`);
    }
    // Every later minute: each repository's latest firing is owed (within the lookback) and already claimed.
    const idle: number[] = [];
    for (let tick = 1; tick <= IDLE_TICKS; tick++) {
      const tickStarted = performance.now();
      const idleResult = await scheduleDrift(
        db,
        new Date(Date.parse("2026-03-02T03:00:10Z") + tick * 60_000),
        logger,
      );
      idle.push(performance.now() - tickStarted);
      if (idleResult.started + idleResult.skipped !== 0) throw new Error("an idle tick fired something");
    }

    const config = loadConfig({
      APP_ID: "1",
      PRIVATE_KEY: testAppPrivateKey(),
      WEBHOOK_SECRET: "bench",
      GITHUB_API_URL: github.url,
      TERRAGATE_URL: "https://terragate.bench",
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "silent",
    });
    const taskList = createTaskList({ config, database, logger, encryptionKey: Buffer.alloc(32, 3) });
    const pool = createPgPool(databaseUrl, { max: 12, applicationName: "drift-bench-worker" });
    const requestsBefore = github.state.requests.length;
    const dispatchStarted = performance.now();
    // Ten workers at once, each taking jobs until none is left (as a deployment's worker would).
    const workerLogger = new WorkerLogger(() => () => {});
    const dispatchTask = { "dispatch-run": taskList["dispatch-run"]! };
    await Promise.all(
      Array.from({ length: 10 }, () =>
        runOnce({ pgPool: pool, taskList: dispatchTask, noHandleSignals: true, logger: workerLogger }),
      ),
    );
    const [left] = await database.sql<{ queued: number }[]>`
      select count(*)::int as queued from work_manifests where kind = 'drift' and state = 'queued'`;
    if (left?.queued !== 0) throw new Error(`${left?.queued} drift runs were not dispatched`);
    const dispatchMs = performance.now() - dispatchStarted;
    await pool.end();
    const calls = github.state.requests.length - requestsBefore;
    const dispatched = github.state.dispatches.length;

    console.log(
      `drift: ${REPOSITORIES.toLocaleString("en")} repositories × ${DIRSPACES} dirspaces, one schedule each`,
    );
    console.log(
      `  ${describe("tick with every firing already claimed (the other 1,439 minutes of a day)", idle)}`,
    );
    console.log(
      `  create ${result.started} drift manifests (${(result.started * DIRSPACES).toLocaleString("en")} dirspaces) + dispatch jobs: ${(createMs / 1000).toFixed(2)} s (${(createMs / REPOSITORIES).toFixed(2)} ms per repository); baseline (same rows, inserted directly) ${(baselineMs / 1000).toFixed(2)} s; ratio ${(createMs / baselineMs).toFixed(2)}×`,
    );
    console.log(
      `  dispatch all ${dispatched} runs (10 workers, fake GitHub): ${(dispatchMs / 1000).toFixed(2)} s (${(dispatched / (dispatchMs / 1000)).toFixed(0)} per second)`,
    );
    console.log(
      `  GitHub API calls: ${calls} in all, ${(calls / REPOSITORIES).toFixed(2)} per repository (scheduling itself makes none)`,
    );
    console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    await database.close();
    await github.close();
  }
}

export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let serverUrl = env["DATABASE_URL"] ?? env["TEST_DATABASE_URL"];
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    embeddedDir = await mkdtemp(join(tmpdir(), "terragate-bench-"));
    const embedded = await startEmbeddedPostgres({ directory: join(embeddedDir, "pg"), ephemeral: true });
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `terragate_bench_drift_${randomBytes(4).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    await migrate(url.toString());
    await measure(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
    await stopEmbedded?.();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
