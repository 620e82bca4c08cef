// Retention: removes what has outlived its TERRAGATE_RETENTION_* period, in small batches so no lock is held for long.
import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";

/** Rows a single statement removes at most; each batch commits on its own (short row locks, no table lock). */
export const retentionBatchSize = 500;

/** What housekeeping removes, named as /metrics reports it. */
export const retentionKinds = [
  "webhook_deliveries",
  "run_outputs",
  "work_tokens",
  "drift_firings",
  "job_queues",
  "task_identifiers",
] as const;
export type RetentionKind = (typeof retentionKinds)[number];

/** Days each kind is kept (from TERRAGATE_RETENTION_*). */
export interface RetentionPolicy {
  deliveriesDays: number;
  outputsDays: number;
  finishedTokensDays: number;
}

/** The text a step's output is replaced with once the run's outputs have passed their retention. */
export function removedOutputNote(days: number): string {
  return `(output removed: runs keep their step output for ${days} days, TERRAGATE_RETENTION_OUTPUTS_DAYS)`;
}

/** Runs `batch` until it removes fewer than a full batch; returns the total removed. */
async function inBatches(batch: () => Promise<number>, signal?: AbortSignal): Promise<number> {
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const removed = await batch();
    total += removed;
    if (removed < retentionBatchSize) return total;
  }
}

/**
 * Deliveries received before the cutoff. One that was never processed is kept while its evaluation job
 * still exists (queued or retrying): deleting it would make that job find nothing.
 */
export function deleteOldDeliveries(db: Database, days: number, signal?: AbortSignal): Promise<number> {
  return inBatches(async () => {
    const rows = await db.execute(sql`
      with doomed as (
        select d.id from webhook_deliveries d
        where d.received_at < now() - make_interval(days => ${days})
          and (d.processed_at is not null or not exists (
            select 1 from graphile_worker._private_jobs j
            where j.key = 'evaluate:' || d.vcs || ':' || d.delivery_id))
        order by d.received_at
        limit ${retentionBatchSize}
        for update skip locked
      )
      delete from webhook_deliveries w using doomed where w.id = doomed.id
      returning w.id`);
    return [...rows].length;
  }, signal);
}

/**
 * Step output and terraform outputs of runs that finished before the cutoff. The rest of the row
 * (state, exit codes, change summary) stays: run history and the latest state per dirspace keep working.
 */
export function clearOldRunOutputs(db: Database, days: number, signal?: AbortSignal): Promise<number> {
  const note = removedOutputNote(days);
  return inBatches(async () => {
    const rows = await db.execute(sql`
      with doomed as (
        select d.work_manifest_id, d.dir, d.workspace
        from work_manifest_dirspaces d join work_manifests m on m.id = d.work_manifest_id
        where m.state in ('completed', 'failed', 'aborted')
          and coalesce(m.completed_at, m.updated_at) < now() - make_interval(days => ${days})
          and (d.outputs is not null
               or jsonb_path_exists(coalesce(d.steps, '[]'::jsonb), '$[*] ? (@.output != $note)',
                                    jsonb_build_object('note', ${note}::text)))
        limit ${retentionBatchSize}
        for update of d skip locked
      )
      update work_manifest_dirspaces d
      set outputs = null,
          steps = (select coalesce(jsonb_agg(jsonb_set(step, '{output}', to_jsonb(${note}::text))), '[]'::jsonb)
                   from jsonb_array_elements(coalesce(d.steps, '[]'::jsonb)) step)
      from doomed
      where d.work_manifest_id = doomed.work_manifest_id and d.dir = doomed.dir and d.workspace = doomed.workspace
      returning d.work_manifest_id`);
    return [...rows].length;
  }, signal);
}

/**
 * Work tokens of manifests that finished before the cutoff: they start nothing any more (a token starts
 * its manifest once), and a runner retrying `initiate` within the period still gets its answer.
 */
export function deleteFinishedManifestTokens(
  db: Database,
  days: number,
  signal?: AbortSignal,
): Promise<number> {
  return inBatches(async () => {
    const rows = await db.execute(sql`
      with doomed as (
        select t.token_hash from work_tokens t join work_manifests m on m.id = t.work_manifest_id
        where m.state in ('completed', 'failed', 'aborted')
          and coalesce(m.completed_at, m.updated_at) < now() - make_interval(days => ${days})
        limit ${retentionBatchSize}
        for update of t skip locked
      )
      delete from work_tokens t using doomed where t.token_hash = doomed.token_hash
      returning t.token_hash`);
    return [...rows].length;
  }, signal);
}

/**
 * Drift schedule firings older than a week. A tick looks back 25 hours for a firing it owes, so an
 * older claim decides nothing any more; without this, hourly schedules would add 8,760 rows a year each.
 */
export const driftFiringsKeptDays = 7;

export function deleteOldDriftFirings(db: Database, signal?: AbortSignal): Promise<number> {
  return inBatches(async () => {
    const rows = await db.execute(sql`
      with doomed as (
        select repository_id, schedule, slot from drift_firings
        where slot < now() - make_interval(days => ${driftFiringsKeptDays})
        limit ${retentionBatchSize}
        for update skip locked
      )
      delete from drift_firings f using doomed
      where f.repository_id = doomed.repository_id and f.schedule = doomed.schedule and f.slot = doomed.slot
      returning f.slot`);
    return [...rows].length;
  }, signal);
}
