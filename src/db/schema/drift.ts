// Drift detection's own rows: each schedule firing (claimed once across replicas) and the issue kept per repository.
import { bigint, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { installations, repositories } from "./installations.ts";
import { workManifests } from "./work-manifests.ts";

/**
 * One row per schedule firing: the primary key is the claim, so two replicas (or two ticks) that find
 * the same firing due insert it once, and only the one that inserted creates the drift run.
 */
export const driftFirings = pgTable(
  "drift_firings",
  {
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    schedule: text("schedule").notNull(),
    /** The cron time this firing stands for. */
    slot: timestamp("slot", { withTimezone: true }).notNull(),
    /** The drift run it created; null when it was skipped (see `skipped`). */
    workManifestId: uuid("work_manifest_id").references(() => workManifests.id, { onDelete: "set null" }),
    /** Why no run was created: another drift run of the repository was still in flight, or nothing matched. */
    skipped: text("skipped"),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.repositoryId, table.schedule, table.slot] })],
);

/** The drift issue (GitHub issue, GitLab issue) Terragate keeps for a repository, found again by number. */
export const driftIssues = pgTable("drift_issues", {
  repositoryId: bigint("repository_id", { mode: "number" })
    .primaryKey()
    .references(() => repositories.id, { onDelete: "cascade" }),
  installationId: bigint("installation_id", { mode: "number" })
    .notNull()
    .references(() => installations.id, { onDelete: "cascade" }),
  number: integer("number").notNull(),
  state: text("state", { enum: ["open", "closed"] }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
