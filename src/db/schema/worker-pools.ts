// Job worker pools that prove they are alive: a heartbeat row per graphile-worker pool id.
import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * graphile-worker locks a job with its pool's id (`locked_by`). A pool whose heartbeat has stopped
 * (its process was killed, its machine lost) gives its locked jobs back to the queue (see
 * src/jobs/worker-pools.ts) instead of leaving them locked for graphile-worker's four hours.
 */
export const workerPools = pgTable(
  "worker_pools",
  {
    poolId: text("pool_id").primaryKey(),
    hostname: text("hostname").notNull(),
    pid: integer("pid").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    /** Database time of the latest heartbeat (never the process's clock: hosts may disagree). */
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("worker_pools_heartbeat_at_idx").on(table.heartbeatAt)],
);
