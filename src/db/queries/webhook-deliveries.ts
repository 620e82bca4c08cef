// Stored webhook deliveries: insert once per delivery id, read back by the evaluator, mark processed.
import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { webhookDeliveries } from "../schema/index.ts";
import type { Vcs } from "../schema/installations.ts";

export interface NewDelivery {
  vcs: Vcs;
  deliveryId: string;
  event: string;
  action: string | null;
  installationExternalId: string | null;
  payload: unknown;
}

export type StoredDelivery = typeof webhookDeliveries.$inferSelect;

export interface EvaluationJob {
  taskIdentifier: string;
  payload: object;
  queueName: string;
  jobKey: string;
  maxAttempts: number;
}

export interface DeliveryWithJob {
  delivery: Omit<NewDelivery, "payload"> & { rawPayload: string };
  job: EvaluationJob;
}

/**
 * Several deliveries and their jobs in one statement and one commit (group commit): rows and jobs
 * exist together or not at all. graphile-worker's NOTIFY serializes committing transactions, so one
 * commit for many deliveries keeps acknowledgements fast under bursts. Returns the delivery ids
 * stored now (redeliveries are absent).
 */
export async function storeDeliveriesWithJobs(
  executor: Executor,
  items: DeliveryWithJob[],
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const column = <T>(pick: (item: DeliveryWithJob) => T) => sql.param(items.map(pick));
  const rows = await executor.execute<{ stored: string[] }>(sql`
    with input as (
      select * from unnest(
        ${column((item) => item.delivery.vcs)}::text[],
        ${column((item) => item.delivery.deliveryId)}::text[],
        ${column((item) => item.delivery.event)}::text[],
        ${column((item) => item.delivery.action)}::text[],
        ${column((item) => item.delivery.installationExternalId)}::text[],
        ${column((item) => item.delivery.rawPayload)}::text[],
        ${column((item) => item.job.taskIdentifier)}::text[],
        ${column((item) => JSON.stringify(item.job.payload))}::text[],
        ${column((item) => item.job.queueName)}::text[],
        ${column((item) => item.job.jobKey)}::text[],
        ${column((item) => item.job.maxAttempts)}::int[]
      ) with ordinality as t(vcs, delivery_id, event, action, installation_external_id, payload,
                             task, job_payload, queue_name, job_key, max_attempts, n)
    ),
    inserted as (
      insert into webhook_deliveries (vcs, delivery_id, event, action, installation_external_id, payload)
      select vcs, delivery_id, event, action, installation_external_id, payload::jsonb from input order by n
      on conflict (vcs, delivery_id) do nothing
      returning vcs, delivery_id
    ),
    jobs as (
      select graphile_worker.add_jobs(array(
        select row(input.task, input.job_payload::json, input.queue_name, null, input.max_attempts,
                   input.job_key, null, null)::graphile_worker.job_spec
        from input join inserted using (vcs, delivery_id)
        order by input.n
      ), false)
    )
    select coalesce((select array_agg(delivery_id) from inserted), '{}') as stored,
           (select count(*) from jobs) as jobs`);
  return new Set([...rows][0]?.stored ?? []);
}

/** Inserts the delivery unless its id was seen before; returns the row id, or null for a redelivery. */
export async function insertDelivery(executor: Executor, delivery: NewDelivery): Promise<number | null> {
  const rows = await executor
    .insert(webhookDeliveries)
    .values({ ...delivery, payload: delivery.payload as object })
    .onConflictDoNothing({ target: [webhookDeliveries.vcs, webhookDeliveries.deliveryId] })
    .returning({ id: webhookDeliveries.id });
  return rows[0]?.id ?? null;
}

export async function getDelivery(
  executor: Executor,
  vcs: Vcs,
  deliveryId: string,
): Promise<StoredDelivery | null> {
  const rows = await executor
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.vcs, vcs), eq(webhookDeliveries.deliveryId, deliveryId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Records that the evaluator finished with a delivery (and the error a person should see, if any). */
export async function markDeliveryProcessed(
  executor: Executor,
  id: number,
  error: string | null = null,
): Promise<void> {
  await executor
    .update(webhookDeliveries)
    .set({ processedAt: sql`now()`, error })
    .where(eq(webhookDeliveries.id, id));
}
