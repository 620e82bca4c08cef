// The per-installation key-value store for tooling; every key carries a version for compare-and-swap.
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { installations } from "./installations.ts";

export const kvEntries = pgTable(
  "kv_entries",
  {
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: jsonb("value").notNull(),
    version: bigint("version", { mode: "number" }).notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.installationId, table.key] }),
    index("kv_entries_prefix_idx").on(table.installationId, table.key.op("text_pattern_ops")),
  ],
);
