// How a GitLab installation (a connected group or project) is reached: instance, path, bot user, webhook.
import { sql } from "drizzle-orm";
import { bigint, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { bytea, installations } from "./installations.ts";

export const gitlabNamespaceKinds = ["group", "project"] as const;
export type GitlabNamespaceKind = (typeof gitlabNamespaceKinds)[number];

export const gitlabConnections = pgTable(
  "gitlab_connections",
  {
    installationId: bigint("installation_id", { mode: "number" })
      .primaryKey()
      .references(() => installations.id, { onDelete: "cascade" }),
    /** The GitLab instance's base URL, e.g. https://gitlab.com. */
    instanceUrl: text("instance_url").notNull(),
    kind: text("kind", { enum: gitlabNamespaceKinds }).notNull(),
    /** The group's full path or the project's path with namespace, as GitLab spells it. */
    fullPath: text("full_path").notNull(),
    /** The webhook Terragate created on the group or project. */
    hookId: bigint("hook_id", { mode: "number" }),
    /** SHA-256 of the webhook secret GitLab sends as X-Gitlab-Token (the secret itself is not kept). */
    webhookSecretHash: bytea("webhook_secret_hash").notNull(),
    /** The access token's user (a group/project bot): Terragate edits only this user's notes. */
    botUserId: bigint("bot_user_id", { mode: "number" }).notNull(),
    botUsername: text("bot_username").notNull(),
    /** The token's expiry date (YYYY-MM-DD) when GitLab reports one. */
    tokenExpiresAt: text("token_expires_at"),
    /** Set when GitLab refused the token (revoked or expired); cleared by connecting again. */
    brokenAt: timestamp("broken_at", { withTimezone: true }),
    brokenReason: text("broken_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("gitlab_connections_instance_path_key").on(table.instanceUrl, sql`lower(${table.fullPath})`),
  ],
);
