// Housekeeping removes exactly what the retention settings say, in batches, once at a time, and nothing a live PR needs.
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase } from "../../src/db/client.ts";
import { createPgPool } from "../../src/db/pg-pool.ts";
import { removedOutputNote, retentionBatchSize } from "../../src/db/queries/retention.ts";
import { createHousekeepingTask, retentionPolicy, runHousekeeping } from "../../src/jobs/housekeeping.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";
import { addProbeJob } from "../harness/probe-job.ts";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool(database.url, { max: 3, applicationName: "terragate-test-housekeeping" });
});
afterAll(async () => {
  await pool?.end();
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
});

const policy = { deliveriesDays: 30, outputsDays: 90, finishedTokensDays: 1 };
const taskIdentifiers = ["evaluate-event", "dispatch-run", "report-results", "sweep-runs", "housekeeping"];

async function seedRepository(): Promise<{ installationId: number; repositoryId: number; prId: number }> {
  const sql = database.client.sql;
  const [installation] = await sql<{ id: string }[]>`
    insert into installations (vcs, external_id, account_login) values ('github', '1', 'acme') returning id`;
  const installationId = Number(installation?.id);
  const [repository] = await sql<{ id: string }[]>`
    insert into repositories (installation_id, vcs, external_id, owner, name, full_name)
    values (${installationId}, 'github', '10', 'acme', 'infra', 'acme/infra') returning id`;
  const repositoryId = Number(repository?.id);
  const [pr] = await sql<{ id: string }[]>`
    insert into pull_requests (installation_id, repository_id, number, author, base_branch, base_sha, head_branch, head_sha)
    values (${installationId}, ${repositoryId}, 1, 'alice', 'main', 'a', 'feature', 'b') returning id`;
  return { installationId, repositoryId, prId: Number(pr?.id) };
}

/** A manifest in `state`, finished (or last updated) `ageDays` ago, with one dirspace holding output. */
async function seedManifest(
  ids: { installationId: number; repositoryId: number; prId: number },
  state: string,
  ageDays: number,
): Promise<string> {
  const sql = database.client.sql;
  const finished = ["completed", "failed", "aborted"].includes(state);
  const [manifest] = await sql<{ id: string }[]>`
    insert into work_manifests (installation_id, repository_id, pull_request_id, vcs, kind, state,
      base_ref, base_sha, head_ref, head_sha, requested_by, created_at, updated_at, completed_at)
    values (${ids.installationId}, ${ids.repositoryId}, ${ids.prId}, 'github', 'plan', ${state},
      'main', 'a', 'feature', 'b', 'alice', now() - make_interval(days => ${ageDays + 1}),
      now() - make_interval(days => ${ageDays}),
      ${finished ? sql`now() - make_interval(days => ${ageDays})` : null})
    returning id`;
  const id = String(manifest?.id);
  const steps = [
    { name: "init", success: true, exit_code: 0, output: "Initializing..." },
    { name: "plan", success: true, exit_code: 0, output: "Plan: 1 to add" },
  ];
  await sql`
    insert into work_manifest_dirspaces (work_manifest_id, installation_id, dir, workspace, state, success, summary, steps, outputs)
    values (${id}, ${ids.installationId}, 'infra', 'default', ${finished ? "success" : "running"}, true,
      ${JSON.stringify({ add: 1, change: 0, destroy: 0, import: 0 })}::jsonb,
      ${JSON.stringify(steps)}::jsonb, ${JSON.stringify({ url: "x" })}::jsonb)`;
  await sql`
    insert into work_tokens (token_hash, work_manifest_id, installation_id, expires_at)
    values (${`hash-${id}`}, ${id}, ${ids.installationId}, now() + interval '1 hour')`;
  return id;
}

async function seedDelivery(deliveryId: string, ageDays: number, processed: boolean): Promise<void> {
  await database.client.sql`
    insert into webhook_deliveries (vcs, delivery_id, event, payload, received_at, processed_at)
    values ('github', ${deliveryId}, 'issue_comment', '{}'::jsonb, now() - make_interval(days => ${ageDays}),
      ${processed ? database.client.sql`now() - make_interval(days => ${ageDays})` : null})`;
}

test("removes deliveries, outputs and tokens past their retention, and keeps everything else", async () => {
  const ids = await seedRepository();
  await seedDelivery("old-processed", 31, true);
  await seedDelivery("new-processed", 29, true);
  await seedDelivery("old-unprocessed-dead", 40, false);
  await seedDelivery("old-unprocessed-queued", 40, false);
  // The queued one's evaluation job is still waiting (e.g. retrying): its delivery must survive.
  await addProbeJob(
    database.client.db,
    "evaluate-event",
    { vcs: "github", deliveryId: "old-unprocessed-queued" },
    {
      jobKey: "evaluate:github:old-unprocessed-queued",
    },
  );
  const oldDone = await seedManifest(ids, "completed", 91);
  const oldFailed = await seedManifest(ids, "failed", 120);
  const recentDone = await seedManifest(ids, "completed", 2);
  const justDone = await seedManifest(ids, "completed", 0);
  // A run of an open PR still going after months (stuck until the sweeper acts) keeps everything.
  const stillRunning = await seedManifest(ids, "running", 200);

  // Drift firings: a week old is gone, six days old stays.
  await database.client.sql`
    insert into drift_firings (repository_id, schedule, slot)
    values (${ids.repositoryId}, 'nightly', now() - interval '8 days'), (${ids.repositoryId}, 'nightly', now() - interval '6 days')`;

  const result = await runHousekeeping({ database: database.client, pgPool: pool, policy, taskIdentifiers });
  expect(result).toMatchObject({ webhook_deliveries: 2, run_outputs: 2, work_tokens: 3, drift_firings: 1 });
  const firings = await database.client.sql<{ age: number }[]>`
    select extract(day from now() - slot)::int as age from drift_firings`;
  expect(firings.map((row) => row.age)).toEqual([6]);

  const deliveries = await database.client.sql<{ delivery_id: string }[]>`
    select delivery_id from webhook_deliveries order by delivery_id`;
  expect(deliveries.map((row) => row.delivery_id)).toEqual(["new-processed", "old-unprocessed-queued"]);

  const dirspaces = await database.client.sql<
    {
      work_manifest_id: string;
      steps: Array<{ name: string; exit_code: number; output: string }>;
      outputs: unknown;
      summary: unknown;
    }[]
  >`select work_manifest_id, steps, outputs, summary from work_manifest_dirspaces`;
  const byManifest = new Map(dirspaces.map((row) => [row.work_manifest_id, row]));
  for (const pruned of [oldDone, oldFailed]) {
    const row = byManifest.get(pruned);
    expect(row?.outputs).toBeNull();
    expect(row?.steps).toEqual([
      { name: "init", success: true, exit_code: 0, output: removedOutputNote(90) },
      { name: "plan", success: true, exit_code: 0, output: removedOutputNote(90) },
    ]);
    // The run's result stays: history and the latest state per dirspace still read it.
    expect(row?.summary).toEqual({ add: 1, change: 0, destroy: 0, import: 0 });
  }
  for (const kept of [recentDone, justDone, stillRunning]) {
    expect(byManifest.get(kept)?.steps[1]?.output).toBe("Plan: 1 to add");
    expect(byManifest.get(kept)?.outputs).toEqual({ url: "x" });
  }

  const tokens = await database.client.sql<{ work_manifest_id: string }[]>`
    select work_manifest_id from work_tokens order by work_manifest_id`;
  expect(tokens.map((row) => row.work_manifest_id).sort()).toEqual([justDone, stillRunning].sort());

  // A second pass finds nothing more: pruned outputs are not pruned again.
  const again = await runHousekeeping({ database: database.client, pgPool: pool, policy, taskIdentifiers });
  expect(again).toMatchObject({ webhook_deliveries: 0, run_outputs: 0, work_tokens: 0, drift_firings: 0 });
});

test("retention settings decide the cut-off; bad values are refused with the variable's name", async () => {
  const config = loadConfig({
    TERRAGATE_RETENTION_DELIVERIES_DAYS: "7",
    TERRAGATE_RETENTION_OUTPUTS_DAYS: "365",
  });
  expect(retentionPolicy(config)).toEqual({ deliveriesDays: 7, outputsDays: 365, finishedTokensDays: 1 });
  expect(retentionPolicy(loadConfig({}))).toEqual(policy);
  expect(() => loadConfig({ TERRAGATE_RETENTION_OUTPUTS_DAYS: "0" })).toThrow(
    /TERRAGATE_RETENTION_OUTPUTS_DAYS \("0"\): expected at least 1 day/,
  );
  expect(() => loadConfig({ TERRAGATE_RETENTION_DELIVERIES_DAYS: "ten" })).toThrow(
    /TERRAGATE_RETENTION_DELIVERIES_DAYS/,
  );

  await seedDelivery("eight-days", 8, true);
  await seedDelivery("six-days", 6, true);
  const result = await runHousekeeping({
    database: database.client,
    pgPool: pool,
    policy: retentionPolicy(config),
    taskIdentifiers,
  });
  expect(result?.webhook_deliveries).toBe(1);
  const left = await database.client.sql<
    { delivery_id: string }[]
  >`select delivery_id from webhook_deliveries`;
  expect(left.map((row) => row.delivery_id)).toEqual(["six-days"]);
});

test("deletes in batches: more rows than one batch are all removed, none left behind", async () => {
  const total = retentionBatchSize * 2 + 37;
  await database.client.sql`
    insert into webhook_deliveries (vcs, delivery_id, event, payload, received_at, processed_at)
    select 'github', 'bulk-' || n, 'push', '{}'::jsonb, now() - interval '60 days', now() - interval '60 days'
    from generate_series(1, ${total}) n`;
  const result = await runHousekeeping({ database: database.client, pgPool: pool, policy, taskIdentifiers });
  expect(result?.webhook_deliveries).toBe(total);
  const [left] = await database.client.sql<
    { count: number }[]
  >`select count(*)::int as count from webhook_deliveries`;
  expect(left?.count).toBe(0);
});

test("one pass at a time: a second process finds the pass taken and does nothing", async () => {
  const holder = await database.client.sql.reserve();
  try {
    await holder`select pg_advisory_lock(hashtextextended('terragate:housekeeping', 0))`;
    await seedDelivery("old", 45, true);
    const skipped = await runHousekeeping({
      database: database.client,
      pgPool: pool,
      policy,
      taskIdentifiers,
    });
    expect(skipped).toBeUndefined();
    const [left] = await database.client.sql<
      { count: number }[]
    >`select count(*)::int as count from webhook_deliveries`;
    expect(left?.count).toBe(1);
  } finally {
    await holder`select pg_advisory_unlock(hashtextextended('terragate:housekeeping', 0))`;
    holder.release();
  }
  const ran = await runHousekeeping({ database: database.client, pgPool: pool, policy, taskIdentifiers });
  expect(ran?.webhook_deliveries).toBe(1);
});

test("a pass needs one connection of the pool: it finishes on a pool of one", async () => {
  await seedDelivery("old", 45, true);
  const single = createDatabase(database.url, { max: 1, applicationName: "terragate-test-single" });
  try {
    const pass = runHousekeeping({ database: single, pgPool: pool, policy, taskIdentifiers });
    pass.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => {
      timer = setTimeout(() => resolve("hung"), 5_000);
    });
    const result = await Promise.race([pass, hung]).finally(() => clearTimeout(timer));
    expect(result, "the pass waited for a second connection").not.toBe("hung");
    expect(result === "hung" ? undefined : result?.webhook_deliveries).toBe(1);
  } finally {
    await single.sql.end({ timeout: 0 });
  }
});

test("collects graphile-worker's unused queues and task identifiers, keeping this deployment's tasks", async () => {
  // A finished PR's queue and a task an older version ran: both are left behind once their jobs are gone.
  await addProbeJob(database.client.db, "retired-task", {}, { queueName: "pr:github:1:42" });
  await database.client.sql`delete from graphile_worker._private_jobs`;
  await database.client.sql`
    insert into graphile_worker._private_tasks (identifier)
    select unnest(${taskIdentifiers}::text[]) on conflict do nothing`;
  const metrics = createMetrics({ processMetrics: false });
  const task = createHousekeepingTask({
    config: loadConfig({}),
    database: database.client,
    logger: createLogger({ LOG_LEVEL: "silent" }),
    encryptionKey: Buffer.alloc(32),
    metrics,
    pgPool: pool,
    taskIdentifiers,
  });
  await task({}, {} as never);
  const tasks = await database.client.sql<{ identifier: string }[]>`
    select identifier from graphile_worker._private_tasks order by identifier`;
  expect(tasks.map((row) => row.identifier)).toEqual([...taskIdentifiers].sort());
  const [queues] = await database.client.sql<{ count: number }[]>`
    select count(*)::int as count from graphile_worker._private_job_queues`;
  expect(queues?.count).toBe(0);
  const text = await metrics.registry.metrics();
  expect(text).toContain('terragate_housekeeping_rows_removed_total{what="job_queues"} 1');
  expect(text).toContain('terragate_housekeeping_rows_removed_total{what="task_identifiers"} 1');
  expect(text).toContain('terragate_housekeeping_rows_removed_total{what="webhook_deliveries"} 0');
});
