// Stored plan files, sealed with AES-256-GCM, kept until the PR closes or 14 days pass.
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { bytea, installations, repositories } from "./installations.ts";
import { pullRequests } from "./pull-requests.ts";
import { workManifests } from "./work-manifests.ts";

export const plans = pgTable(
  "plans",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    pullRequestId: bigint("pull_request_id", { mode: "number" }).references(() => pullRequests.id, {
      onDelete: "cascade",
    }),
    workManifestId: uuid("work_manifest_id")
      .notNull()
      .references(() => workManifests.id, { onDelete: "cascade" }),
    dir: text("dir").notNull(),
    workspace: text("workspace").notNull(),
    baseSha: text("base_sha").notNull(),
    headSha: text("head_sha").notNull(),
    hasChanges: boolean("has_changes").notNull(),
    sealed: bytea("sealed").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    index("plans_pull_request_dirspace_idx").on(
      table.pullRequestId,
      table.dir,
      table.workspace,
      table.createdAt,
    ),
    index("plans_work_manifest_idx").on(table.workManifestId),
    index("plans_expires_at_idx").on(table.expiresAt),
  ],
);
