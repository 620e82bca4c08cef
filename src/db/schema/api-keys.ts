// API keys for tooling: only a hash is stored; the key is shown once at creation.
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { installations } from "./installations.ts";

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    name: text("name").notNull().default(""),
    keyHash: text("key_hash").notNull(),
    capabilities: text("capabilities").array().notNull().default(sql`'{}'::text[]`),
    createdBy: text("created_by").notNull(),
    /** The key that created this one through the API; revoking it revokes this one too. */
    parentKeyId: uuid("parent_key_id").references((): AnyPgColumn => apiKeys.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("api_keys_key_hash_key").on(table.keyHash),
    index("api_keys_installation_idx").on(table.installationId, table.createdAt),
    index("api_keys_parent_key_idx").on(table.parentKeyId),
  ],
);
