// Keys that sign API access tokens, sealed at rest; the newest signs, every unretired one verifies.
import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./installations.ts";

export const apiSigningKeys = pgTable(
  "api_signing_keys",
  {
    /** The JWT `kid`. */
    kid: text("kid").primaryKey(),
    /** 32-byte HMAC secret sealed with TERRAGATE_ENCRYPTION_KEY (context `api-signing-key:<kid>`). */
    secretSealed: bytea("secret_sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** After this instant the key no longer verifies tokens. */
    retiresAt: timestamp("retires_at", { withTimezone: true }).notNull(),
  },
  (table) => [index("api_signing_keys_created_at_idx").on(table.createdAt)],
);
