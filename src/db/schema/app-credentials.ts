// GitHub App credentials created through the setup flow, sealed with TERRAGATE_ENCRYPTION_KEY.
import { sql } from "drizzle-orm";
import { bigserial, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { bytea } from "./installations.ts";

export const appCredentials = pgTable(
  "app_credentials",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    appId: text("app_id").notNull().unique(),
    slug: text("slug").notNull(),
    htmlUrl: text("html_url").notNull(),
    clientId: text("client_id"),
    /** JSON {pem, webhook_secret, client_secret}, sealed. */
    secretsSealed: bytea("secrets_sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // One app per server: the setup flow cannot add a second one, even two callbacks at once.
  // Replacing it takes `terragate setup reset`.
  () => [uniqueIndex("app_credentials_one_app").on(sql`(true)`)],
);
