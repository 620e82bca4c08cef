// The server admin's view across installations: every installation, broken GitLab connections, worker pools, job queue health.
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";

export interface AdminInstallationRow {
  id: number;
  vcs: string;
  externalId: string;
  accountLogin: string;
  suspendedAt: Date | null;
  deletedAt: Date | null;
  repositories: number;
  brokenAt: Date | null;
  brokenReason: string | null;
}

export interface QueueRow {
  task: string;
  waiting: number;
  running: number;
  failing: number;
  dead: number;
  oldestWaiting: Date | null;
}

export interface PoolRow {
  poolId: string;
  hostname: string;
  pid: number;
  heartbeatAt: Date;
  fresh: boolean;
}

function date(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}

/** At most `limit` installations, broken connections first (they need someone). */
export async function adminInstallations(executor: Executor, limit = 200): Promise<AdminInstallationRow[]> {
  const rows = await executor.execute<Record<string, string | null>>(sql`
    select i.id, i.vcs, i.external_id, i.account_login, i.suspended_at, i.deleted_at,
      (select count(*) from repositories r where r.installation_id = i.id and r.removed_at is null) as repositories,
      g.broken_at, g.broken_reason
    from installations i left join gitlab_connections g on g.installation_id = i.id
    order by (g.broken_at is null), i.deleted_at is not null, lower(i.account_login), i.id
    limit ${limit}`);
  return [...rows].map((row) => ({
    id: Number(row["id"]),
    vcs: String(row["vcs"]),
    externalId: String(row["external_id"]),
    accountLogin: String(row["account_login"]),
    suspendedAt: date(row["suspended_at"] ?? null),
    deletedAt: date(row["deleted_at"] ?? null),
    repositories: Number(row["repositories"]),
    brokenAt: date(row["broken_at"] ?? null),
    brokenReason: row["broken_reason"] ?? null,
  }));
}

/** Jobs per task: waiting, running (locked), retrying after failures, and given up (out of attempts). */
export async function queueHealth(executor: Executor): Promise<QueueRow[]> {
  const rows = await executor.execute<Record<string, string | null>>(sql`
    select task_identifier as task,
      count(*) filter (where locked_at is null and attempts < max_attempts) as waiting,
      count(*) filter (where locked_at is not null) as running,
      count(*) filter (where attempts > 0 and attempts < max_attempts and locked_at is null) as failing,
      count(*) filter (where attempts >= max_attempts) as dead,
      min(run_at) filter (where locked_at is null and attempts < max_attempts) as oldest_waiting
    from graphile_worker.jobs group by task_identifier order by task_identifier`);
  return [...rows].map((row) => ({
    task: String(row["task"]),
    waiting: Number(row["waiting"]),
    running: Number(row["running"]),
    failing: Number(row["failing"]),
    dead: Number(row["dead"]),
    oldestWaiting: date(row["oldest_waiting"] ?? null),
  }));
}

export async function workerPoolRows(executor: Executor): Promise<PoolRow[]> {
  const rows = await executor.execute<Record<string, string | number | boolean>>(sql`
    select pool_id, hostname, pid, heartbeat_at, heartbeat_at > now() - interval '15 seconds' as fresh
    from worker_pools order by heartbeat_at desc limit 50`);
  return [...rows].map((row) => ({
    poolId: String(row["pool_id"]),
    hostname: String(row["hostname"]),
    pid: Number(row["pid"]),
    heartbeatAt: new Date(String(row["heartbeat_at"])),
    fresh: row["fresh"] === true,
  }));
}
