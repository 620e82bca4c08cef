// What Terragate last read from each repository's default branch: its config (drift schedules) and dirspaces, per commit.
import { bigint, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { StackSnapshot } from "../../domain/stack-snapshot.ts";
import { installations, repositories } from "./installations.ts";

/** A dirspace of the default branch with its tags (what drift schedules select by tag query). */
export interface SnapshotDirspace {
  dir: string;
  workspace: string;
  tags: string[];
  /** `{ engine, plan, apply }` from the default branch's workflows (absent in snapshots read before drift ran). */
  workflow?: Record<string, unknown>;
  /** Whether the access policy matching this dirspace lets scheduled drift reconcile it (`reconcile: [app]`). */
  reconcile?: boolean;
}

/**
 * One row per repository, replaced by each refresh (a push to the default branch, the refresh API,
 * the daily refresh). `sha` is the commit it was read at: a refresh of the same commit reads nothing.
 */
export const defaultBranchSnapshots = pgTable("default_branch_snapshots", {
  repositoryId: bigint("repository_id", { mode: "number" })
    .primaryKey()
    .references(() => repositories.id, { onDelete: "cascade" }),
  installationId: bigint("installation_id", { mode: "number" })
    .notNull()
    .references(() => installations.id, { onDelete: "cascade" }),
  branch: text("branch").notNull(),
  sha: text("sha").notNull(),
  /** `.terragate/config.yml` problems (FILE:LINE:COL: KEY: MESSAGE); empty when the config is valid. */
  configProblems: text("config_problems").array().notNull(),
  /** The config's `drift` section as parsed (null while the config is broken). */
  drift: jsonb("drift"),
  /** Every dirspace of the tree with its tags (empty while the config is broken). */
  dirspaces: jsonb("dirspaces").$type<SnapshotDirspace[]>().notNull(),
  /** The stack ordering (null in rows read before stacks were kept, and while the config is broken). */
  stacks: jsonb("stacks").$type<StackSnapshot>(),
  /** The config's `parallelism`, for drift runs. */
  parallelism: integer("parallelism").notNull().default(4),
  refreshedAt: timestamp("refreshed_at", { withTimezone: true }).notNull().defaultNow(),
});
