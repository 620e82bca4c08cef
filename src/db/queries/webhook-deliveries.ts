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
