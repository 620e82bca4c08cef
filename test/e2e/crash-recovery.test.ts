// kill -9 in the middle of a webhook storm: after a restart, or on the surviving replica, every PR is dispatched exactly once within 60 s.
// The two cases run at the same time (each with its own fake GitHub and database): the replica case
// waits ~20 s for the dead pool to go stale (production timing), and the restart case fits in that wait.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, type ExpectStatic, inject, test } from "vitest";
import { testAppPrivateKey } from "../fakes/github/app-key.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { pullRequestEvent } from "../github/payloads.ts";
import { openPullRequest, seedRepository } from "../github/testbed.ts";
import { createEmptyDatabase } from "../harness/database.ts";
import {
  deliver,
  embeddedDatabaseUrl,
  killProcess,
  removeDataDir,
  type ServerProcess,
  startServerProcess,
} from "../harness/server-process.ts";

const secret = "crash-test-secret";
const pullRequests = 30;
const servers: ServerProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const server of servers) await killProcess(server, "SIGKILL");
  for (const cleanup of cleanups) await cleanup();
});

function appEnv(github: FakeGithub): Record<string, string> {
  return {
    APP_ID: "1",
    PRIVATE_KEY: testAppPrivateKey(),
    WEBHOOK_SECRET: secret,
    GITHUB_API_URL: github.url,
    TERRAGATE_URL: "https://terragate.test",
  };
}

async function serve(github: FakeGithub, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess({ command: "serve", env: { ...appEnv(github), ...env } });
  servers.push(server);
  await server.healthy();
  return server;
}

/** A fake GitHub of its own with 30 open PRs, each changing one root; it answers slowly so that evaluations overlap. */
async function preparePullRequests() {
  const github = await startFakeGithub();
  cleanups.push(() => github.close());
  github.state.latencyMs = 60;
  seedRepository(github);
  const pulls = Array.from({ length: pullRequests }, (_, index) =>
    openPullRequest(github, { number: index + 1, changed: { "infra/a/main.tf": `# change ${index + 1}` } }),
  );
  return { github, pulls };
}

/** Dispatches per PR number, from the fake's record and the manifests in the database. */
async function dispatchesPerPull(github: FakeGithub, sql: postgres.Sql): Promise<Map<number, number>> {
  const manifests = await sql<{ id: string; number: number }[]>`
    select m.id::text, p.number from work_manifests m join pull_requests p on p.id = m.pull_request_id`;
  const pullOf = new Map(manifests.map((row) => [row.id, row.number]));
  const counts = new Map<number, number>();
  for (const dispatch of github.state.dispatches) {
    const number = pullOf.get(dispatch.inputs["work-manifest-id"] ?? "");
    if (number !== undefined) counts.set(number, (counts.get(number) ?? 0) + 1);
  }
  return counts;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function lockedJobs(sql: postgres.Sql, pid?: number): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from graphile_worker._private_jobs j
    where j.locked_by is not null
      and (${pid ?? null}::int is null or j.locked_by in (select pool_id from worker_pools where pid = ${pid ?? 0}))`;
  return row?.count ?? 0;
}

/** Jobs locked by a pool without a fresh heartbeat: what a dead process left behind (a live one may still be busy). */
async function strandedJobs(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from graphile_worker._private_jobs j
    where j.locked_by is not null
      and j.locked_by not in (select pool_id from worker_pools where heartbeat_at > now() - interval '15 seconds')`;
  return row?.count ?? 0;
}

/** Jobs of any kind still queued, running or waiting to be retried. */
async function pendingJobs(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from graphile_worker._private_jobs`;
  return row?.count ?? 0;
}

/**
 * Every PR dispatched within `withinMs` of `since`, then (once no job is left that could dispatch
 * again: a late duplicate has then shown) the dispatches per PR, and no job left locked by a dead pool.
 */
async function expectEachDispatched(
  expect: ExpectStatic,
  github: FakeGithub,
  sql: postgres.Sql,
  since: number,
  withinMs: number,
) {
  await until(
    async () => (await dispatchesPerPull(github, sql)).size === pullRequests,
    withinMs,
    "every PR dispatched",
  );
  // A dead pool's dispatch whose call reached GitHub counts above while its job is still locked:
  // the work is finished only once that job was returned and ran again (adopting the run).
  await until(
    async () => (await lockedJobs(sql)) === 0,
    Math.max(1, since + withinMs - Date.now()),
    "every job finished",
  );
  const elapsed = Date.now() - since;
  // A delivery and its job are stored in one transaction and a job is deleted only once it ran to
  // the end (a failed one stays, to be retried): with no job left, nothing can dispatch again.
  await until(async () => (await pendingJobs(sql)) === 0, 30_000, "every job gone from the queue");
  const counts = await dispatchesPerPull(github, sql);
  expect([...counts.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: pullRequests }, (_, i) => i + 1),
  );
  // Exactly once: a delivery is marked processed in its manifest's transaction, and a dispatch
  // killed after GitHub created the run adopts that run when its job runs again.
  for (const [pull, count] of counts) expect(count, `dispatches of PR ${pull}`).toBe(1);
  expect(await strandedJobs(sql)).toBe(0);
  return elapsed;
}

test.concurrent("kill -9 of serve mid-storm: after a restart every PR is dispatched exactly once within 60 s", {
  timeout: 180_000,
}, async ({ expect }) => {
  const dataDir = await mkdtemp(join(tmpdir(), "terragate-crash-"));
  cleanups.push(() => removeDataDir(dataDir));
  const { github, pulls } = await preparePullRequests();
  const first = await serve(github, { TERRAGATE_DATA_DIR: dataDir });
  const sql = postgres(await embeddedDatabaseUrl(dataDir), { max: 2, onnotice: () => {} });
  try {
    for (const pull of pulls) {
      expect(await deliver(first.port, secret, "pull_request", pullRequestEvent("opened", pull))).toBe(202);
    }
    await until(() => github.state.dispatches.length >= 5, 60_000, "the first dispatches");
    const inFlight = await lockedJobs(sql);
    await killProcess(first, "SIGKILL");
    await sql.end();
    // Some jobs were mid-evaluation or mid-dispatch when the process died, and work was left.
    expect(inFlight).toBeGreaterThan(0);
    expect(github.state.dispatches.length).toBeLessThan(pullRequests);

    const restartedAt = Date.now();
    await serve(github, { TERRAGATE_DATA_DIR: dataDir });
    const again = postgres(await embeddedDatabaseUrl(dataDir), { max: 2, onnotice: () => {} });
    try {
      const elapsed = await expectEachDispatched(expect, github, again, restartedAt, 60_000);
      expect(elapsed).toBeLessThan(60_000);
    } finally {
      await again.end();
    }
  } finally {
    await sql.end();
  }
});

test.concurrent("two replicas on one database, one killed mid-storm: the other finishes the work within 60 s, once per PR", {
  timeout: 180_000,
}, async ({ expect }) => {
  // Migrated already (concurrent migrations have their own test): the replicas start sooner.
  const { url, drop } = await createEmptyDatabase(inject("testDatabaseTemplate"));
  cleanups.push(drop);
  const { github, pulls } = await preparePullRequests();
  const shared = { DATABASE_URL: url, TERRAGATE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64") };
  const [doomed, survivor] = await Promise.all([serve(github, shared), serve(github, shared)]);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  try {
    // Behind a load balancer: deliveries alternate between the replicas.
    for (const [index, pull] of pulls.entries()) {
      const target = index % 2 === 0 ? doomed! : survivor!;
      expect(await deliver(target.port, secret, "pull_request", pullRequestEvent("opened", pull))).toBe(202);
    }
    await until(
      async () => github.state.dispatches.length >= 5 && (await lockedJobs(sql, doomed!.child.pid)) > 0,
      60_000,
      "the doomed replica running jobs",
    );
    const killedAt = Date.now();
    await killProcess(doomed!, "SIGKILL");
    expect(github.state.dispatches.length).toBeLessThan(pullRequests);
    const elapsed = await expectEachDispatched(expect, github, sql, killedAt, 60_000);
    expect(elapsed).toBeLessThan(60_000);
    expect(survivor!.output()).toMatch(/returned \d+ job\(s\) of 1 stopped worker pool\(s\) to the queue/);
  } finally {
    await sql.end();
  }
});
