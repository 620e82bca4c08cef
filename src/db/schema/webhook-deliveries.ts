// Every webhook delivery, stored before it is acknowledged so that nothing is lost on a crash.
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { vcsValues } from "./installations.ts";

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    vcs: text("vcs", { enum: vcsValues }).notNull(),
    /** `X-GitHub-Delivery` / `X-Gitlab-Event-UUID`: a redelivery of the same id is a no-op. */
    deliveryId: text("delivery_id").notNull(),
    event: text("event").notNull(),
    action: text("action"),
    installationExternalId: text("installation_external_id"),
    payload: jsonb("payload").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
    error: text("error"),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_vcs_delivery_id_key").on(table.vcs, table.deliveryId),
    index("webhook_deliveries_received_at_idx").on(table.receivedAt),
  ],
);
