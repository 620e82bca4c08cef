// Dirspace locks: one row per (repository, dir, workspace); the primary key makes acquisition atomic.
import { bigint, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { installations, repositories } from "./installations.ts";
import { pullRequests } from "./pull-requests.ts";
import { workManifests } from "./work-manifests.ts";

export const locks = pgTable(
  "locks",
  {
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    dir: text("dir").notNull(),
    workspace: text("workspace").notNull(),
    pullRequestId: bigint("pull_request_id", { mode: "number" })
      .notNull()
      .references(() => pullRequests.id, { onDelete: "cascade" }),
    workManifestId: uuid("work_manifest_id").references(() => workManifests.id, { onDelete: "set null" }),
    acquiredAt: timestamp("acquired_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.repositoryId, table.dir, table.workspace] })],
);
