// Group commit for webhook deliveries (every VCS): requests arriving while a commit is in flight share the next one.
import type { Database } from "../db/client.ts";
import { type DeliveryWithJob, storeDeliveriesWithJobs } from "../db/queries/webhook-deliveries.ts";
import { currentTraceparent, withSpan } from "../tracing/tracing.ts";

interface Waiting {
  item: DeliveryWithJob;
  resolve: (stored: boolean) => void;
  reject: (error: unknown) => void;
}

export interface DeliveryBatcher {
  /** Resolves after the delivery and its job are committed: true if stored now, false for a redelivery. */
  store(item: DeliveryWithJob): Promise<boolean>;
}

/**
 * The first delivery is written at once; those that arrive while it commits wait for that commit
 * and then go together (no timer, so an idle server adds no latency). A batch that fails is retried
 * one delivery at a time, so one bad payload fails only its own request.
 */
export function createDeliveryBatcher(db: Database, maxBatch = 200): DeliveryBatcher {
  let queue: Waiting[] = [];
  let flushing = false;

  async function write(batch: Waiting[]): Promise<void> {
    const seen = new Set<string>();
    const stored = await storeDeliveriesWithJobs(
      db,
      batch.map((waiting) => waiting.item),
    );
    for (const waiting of batch) {
      const id = waiting.item.delivery.deliveryId;
      // The same delivery twice in one batch: the first request stored it, the second is a redelivery.
      waiting.resolve(stored.has(id) && !seen.has(id));
      seen.add(id);
    }
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          await write(batch);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          for (const waiting of batch) {
            await write([waiting]).catch((single: unknown) => waiting.reject(single));
          }
        }
      }
    } finally {
      flushing = false;
    }
  }

  return {
    store(item) {
      // The evaluation job continues the delivery's trace; the shared commit is a span of its own.
      return withSpan("store delivery", { "terragate.delivery_id": item.delivery.deliveryId }, () => {
        const traceparent = currentTraceparent();
        const traced: DeliveryWithJob =
          traceparent === undefined
            ? item
            : { ...item, job: { ...item.job, payload: { ...item.job.payload, traceparent } } };
        return new Promise<boolean>((resolve, reject) => {
          queue.push({ item: traced, resolve, reject });
          if (!flushing) void flush();
        });
      });
    },
  };
}
