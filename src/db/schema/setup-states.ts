// The setup flow's pending states: single use, bound to the browser that started the flow, short-lived.
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const setupStates = pgTable("setup_states", {
  /** SHA-256 of the state (the browser holds the state itself, in an HttpOnly cookie and the URL). */
  stateHash: text("state_hash").primaryKey(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  consumedAt: timestamp("consumed_at", { withTimezone: true }),
});
