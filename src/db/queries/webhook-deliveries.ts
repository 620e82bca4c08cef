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

/**
 * The transactional outbox in one statement (one round trip, one implicit transaction): the delivery
 * row and its job exist together or not at all, and a redelivery adds neither. `rawPayload` is the
 * body as received, stored without re-serializing. Returns false for a redelivery.
 */
export async function storeDeliveryWithJob(
  executor: Executor,
  delivery: Omit<NewDelivery, "payload"> & { rawPayload: string },
  job: EvaluationJob,
): Promise<boolean> {
  const rows = await executor.execute<{ id: number }>(sql`
    with inserted as (
      insert into webhook_deliveries (vcs, delivery_id, event, action, installation_external_id, payload)
      values (${delivery.vcs}, ${delivery.deliveryId}, ${delivery.event}, ${delivery.action},
              ${delivery.installationExternalId}, ${delivery.rawPayload}::jsonb)
      on conflict (vcs, delivery_id) do nothing
      returning id
    )
    select inserted.id, (graphile_worker.add_job(
      identifier => ${job.taskIdentifier}::text,
      payload => ${JSON.stringify(job.payload)}::json,
      queue_name => ${job.queueName}::text,
      max_attempts => ${job.maxAttempts}::int,
      job_key => ${job.jobKey}::text
    )).id as job_id
    from inserted`);
  return [...rows].length > 0;
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
