// Dashboard sign-in sessions: one row per sign-in (the refresh-token family) and its rotating refresh tokens.
import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, vcsValues } from "./installations.ts";

/** An installation the signed-in person may see; `admin` lets them manage its API keys. */
export interface SessionMembership {
  installationId: number;
  admin: boolean;
}

export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    /** The session family: every refresh token of one sign-in points here; revoking it ends them all. */
    id: uuid("id").primaryKey().defaultRandom(),
    vcs: text("vcs", { enum: vcsValues }).notNull(),
    /** The VCS's numeric user id (logins can be renamed). */
    userExternalId: text("user_external_id").notNull(),
    login: text("login").notNull(),
    name: text("name").notNull().default(""),
    /** Installations this person belongs to, as the VCS said at sign-in or the latest refresh. */
    memberships: jsonb("memberships").$type<SessionMembership[]>().notNull().default(sql`'[]'::jsonb`),
    /** The person's OAuth tokens at the VCS (JSON), sealed with TERRAGATE_ENCRYPTION_KEY. */
    vcsTokensSealed: bytea("vcs_tokens_sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    refreshedAt: timestamp("refreshed_at", { withTimezone: true }).notNull().defaultNow(),
    /** Absolute end of the sign-in, whatever the refreshes. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** Why: sign-out, refresh token reuse, access revoked at the VCS. */
    revokedReason: text("revoked_reason"),
  },
  (table) => [
    index("dashboard_sessions_user_idx").on(table.vcs, table.userExternalId),
    index("dashboard_sessions_expires_at_idx").on(table.expiresAt),
  ],
);

export const dashboardRefreshTokens = pgTable(
  "dashboard_refresh_tokens",
  {
    /** SHA-256 of the token; the browser holds the token itself in an HttpOnly cookie. */
    tokenHash: text("token_hash").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => dashboardSessions.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Set when the token is exchanged; a second exchange is a reuse. */
    usedAt: timestamp("used_at", { withTimezone: true }),
    /** Hash of the token issued in exchange for this one. */
    successorHash: text("successor_hash"),
  },
  (table) => [index("dashboard_refresh_tokens_session_idx").on(table.sessionId)],
);
