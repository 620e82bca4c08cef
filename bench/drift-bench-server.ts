// The drift benchmark's server side, in its own process: the baseline inserts, the scheduler's ticks and
// ten dispatch workers. The fake GitHub and the seeding stay in the benchmark's process.
import { runOnce, Logger as WorkerLogger } from "graphile-worker";
import pino from "pino";
import { loadConfig } from "../src/config/env.ts";
import { createDatabase, type Database } from "../src/db/client.ts";
import { createPgPool } from "../src/db/pg-pool.ts";
import { insertWorkManifest } from "../src/db/queries/work-manifest-creation.ts";
import { scheduleDrift } from "../src/jobs/drift-schedules.ts";
import { queueDispatch } from "../src/jobs/manifest-lifecycle.ts";
import { createTaskList } from "../src/jobs/task-list.ts";
import { testAppPrivateKey } from "../test/fakes/github/app-key.ts";
import { serveBenchSide } from "./bench-process.ts";

export interface DriftServerInput {
  databaseUrl: string;
  githubUrl: string;
  baseInstallationId: number;
  baseRepositoryIds: number[];
  repositories: number;
  dirspaces: number;
  idleTicks: number;
}

export interface DriftServerResult {
  baselineMs: number;
  createMs: number;
  started: number;
  idle: number[];
  dispatchMs: number;
}

/** The minimum the scheduler must do: the same manifests and dispatch jobs, inserted without looking at schedules. */
async function baseline(db: Database, input: DriftServerInput): Promise<number> {
  const dirspaces = Array.from({ length: input.dirspaces }, (_, index) => ({
    dir: `stacks/s${index}`,
    workspace: "default",
    tags: ["prod"],
    workflow: { engine: { name: "terraform" } },
    planId: null,
  }));
  const started = performance.now();
  for (const repositoryId of input.baseRepositoryIds) {
    await db.transaction(async (tx) => {
      const id = await insertWorkManifest(tx, {
        installationId: input.baseInstallationId,
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

async function serverSide(input: DriftServerInput): Promise<DriftServerResult> {
  // Each dispatch holds one connection for its advisory lock and queries on another: room for every worker.
  const database = createDatabase(input.databaseUrl, { max: 24 });
  const db = database.db;
  try {
    const logger = pino({ level: "silent" });
    const baselineMs = await baseline(db, input);
    await database.sql`delete from work_manifests where installation_id = ${input.baseInstallationId}`;
    await database.sql`delete from graphile_worker._private_jobs`;

    const started = performance.now();
    const result = await scheduleDrift(db, new Date("2026-03-02T03:00:10Z"), logger);
    const createMs = performance.now() - started;
    if (result.started !== input.repositories) {
      throw new Error(`expected ${input.repositories} drift runs, got ${JSON.stringify(result)}`);
    }
    // Every later minute: each repository's latest firing is owed (within the lookback) and already claimed.
    const idle: number[] = [];
    for (let tick = 1; tick <= input.idleTicks; tick++) {
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
      GITHUB_API_URL: input.githubUrl,
      TERRAGATE_URL: "https://terragate.bench",
      DATABASE_URL: input.databaseUrl,
      LOG_LEVEL: "silent",
    });
    const taskList = createTaskList({ config, database, logger, encryptionKey: Buffer.alloc(32, 3) });
    const pool = createPgPool(input.databaseUrl, { max: 12, applicationName: "drift-bench-worker" });
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
    return { baselineMs, createMs, started: result.started, idle, dispatchMs };
  } finally {
    await database.close();
  }
}

if (import.meta.main) serveBenchSide(serverSide);
