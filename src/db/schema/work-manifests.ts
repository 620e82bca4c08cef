// Work manifests (one run of terraform in the user's CI), their dirspaces, and the single-use tokens that start them.
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { installations, repositories, vcsValues } from "./installations.ts";
import { pullRequests } from "./pull-requests.ts";

/** `drift`: a scheduled plan of the default branch's head, without a PR (and, with reconcile, its apply). */
export const workManifestKinds = ["plan", "apply", "autoapprove", "drift"] as const;
export type WorkManifestKind = (typeof workManifestKinds)[number];

export const workManifestStates = [
  "queued",
  "dispatched",
  "running",
  "completed",
  "failed",
  "aborted",
] as const;
export type WorkManifestState = (typeof workManifestStates)[number];

export const dirspaceStates = ["queued", "running", "success", "failure", "aborted"] as const;
export type DirspaceState = (typeof dirspaceStates)[number];

export interface ChangeSummary {
  add: number;
  change: number;
  destroy: number;
  import: number;
}

export interface StepResult {
  name: string;
  success: boolean;
  exit_code: number | null;
  output: string;
  /** Absent from results of runners that did not time their steps. */
  duration_ms?: number | null;
}

export const workManifests = pgTable(
  "work_manifests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    /** Null for runs not tied to a PR (drift). */
    pullRequestId: bigint("pull_request_id", { mode: "number" }).references(() => pullRequests.id, {
      onDelete: "cascade",
    }),
    vcs: text("vcs", { enum: vcsValues }).notNull(),
    kind: text("kind", { enum: workManifestKinds }).notNull(),
    state: text("state", { enum: workManifestStates }).notNull().default("queued"),
    baseRef: text("base_ref").notNull(),
    baseSha: text("base_sha").notNull(),
    headRef: text("head_ref").notNull(),
    headSha: text("head_sha").notNull(),
    requestedBy: text("requested_by").notNull(),
    /** The tag query of the command, "" for autoplan. */
    tagQuery: text("tag_query").notNull().default(""),
    /** Comment that asked for this run, to react to and reply under; one run per comment (unique). */
    commentId: text("comment_id"),
    /** The effective repo config subset the runner needs (parallelism, workflows per dirspace). */
    runConfig: jsonb("run_config").notNull().default(sql`'{}'::jsonb`),
    /** Above 50 dirspaces one aggregate check run stands for them all (GitHub's secondary rate limits). */
    aggregateCheckRunId: text("aggregate_check_run_id"),
    runId: text("run_id"),
    runUrl: text("run_url"),
    failureReason: text("failure_reason"),
    /** W3C `traceparent` of the span that created the manifest: the runner continues that trace. */
    traceParent: text("trace_parent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (table) => [
    index("work_manifests_installation_created_idx").on(table.installationId, table.createdAt, table.id),
    index("work_manifests_pull_request_idx").on(table.pullRequestId, table.kind, table.createdAt),
    index("work_manifests_state_idx")
      .on(table.state, table.updatedAt)
      .where(sql`${table.state} in ('queued', 'dispatched', 'running')`),
    // At most one drift run of a repository is in flight: the scheduler's insert loses against this.
    uniqueIndex("work_manifests_one_drift_in_flight_key")
      .on(table.repositoryId)
      .where(sql`${table.kind} = 'drift' and ${table.state} in ('queued', 'dispatched', 'running')`),
    // A comment starts at most one run, whatever delivery (or replay of it) carried the comment.
    uniqueIndex("work_manifests_repository_comment_key")
      .on(table.repositoryId, table.commentId)
      .where(sql`${table.commentId} is not null`),
  ],
);

export const workManifestDirspaces = pgTable(
  "work_manifest_dirspaces",
  {
    workManifestId: uuid("work_manifest_id")
      .notNull()
      .references(() => workManifests.id, { onDelete: "cascade" }),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    dir: text("dir").notNull(),
    workspace: text("workspace").notNull(),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /** Workflow for this dirspace: engine and steps, resolved from the repo config at evaluation time. */
    workflow: jsonb("workflow").notNull().default(sql`'{}'::jsonb`),
    state: text("state", { enum: dirspaceStates }).notNull().default("queued"),
    success: boolean("success"),
    hasChanges: boolean("has_changes"),
    summary: jsonb("summary").$type<ChangeSummary>(),
    steps: jsonb("steps").$type<StepResult[]>(),
    outputs: jsonb("outputs"),
    exitCode: integer("exit_code"),
    checkRunId: text("check_run_id"),
    /**
     * Apply only: the stored plan (plans.id) the evaluator validated; the runner's download serves
     * exactly this one. No foreign key: plans are deleted when a PR closes, and then it is simply gone.
     */
    planId: bigint("plan_id", { mode: "number" }),
    /** When the runner said it is about to apply: from then on the infrastructure may have changed. */
    applyStartedAt: timestamp("apply_started_at", { withTimezone: true }),
    /** When the runner's result for this dirspace was stored; a repeated upload of it changes nothing. */
    reportedAt: timestamp("reported_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.workManifestId, table.dir, table.workspace] }),
    index("work_manifest_dirspaces_installation_idx").on(table.installationId, table.dir, table.workspace),
  ],
);

export const workTokens = pgTable(
  "work_tokens",
  {
    /** SHA-256 of the token; the token itself is never stored. */
    tokenHash: text("token_hash").primaryKey(),
    workManifestId: uuid("work_manifest_id")
      .notNull()
      .references(() => workManifests.id, { onDelete: "cascade" }),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The CI run of the dispatch that carried this token, once the VCS said which run it created. */
    runId: text("run_id"),
    /** When the token started its run (initiate); a token starts one run only. */
    usedAt: timestamp("used_at", { withTimezone: true }),
    /** When the token stopped being valid without being used: the manifest started otherwise, or a later dispatch replaced it. */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedReason: text("revoked_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("work_tokens_work_manifest_idx").on(table.workManifestId)],
);

/** Which latest result a dirspace shows: a plan, an apply (a PR's, or a drift reconcile), or a drift check (a plan outside any PR). */
export const resultSlots = ["plan", "apply", "drift"] as const;
export type ResultSlot = (typeof resultSlots)[number];

/**
 * The newest run of each dirspace in each slot, per repository (pull_request_id null) and per PR: what
 * the dashboard's repository and PR pages show, read in one index lookup per dirspace whatever the
 * history. Written only by triggers on work_manifest_dirspaces (migration 0014), in the statement that
 * inserts or deletes result rows: an older run inserted later does not replace a newer one, and a
 * deleted result gives way to the newest one left.
 */
export const dirspaceLatestResults = pgTable(
  "dirspace_latest_results",
  {
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    /** Null: the repository's latest (any PR, drift); set: that PR's latest. */
    pullRequestId: bigint("pull_request_id", { mode: "number" }).references(() => pullRequests.id, {
      onDelete: "cascade",
    }),
    dir: text("dir").notNull(),
    workspace: text("workspace").notNull(),
    slot: text("slot", { enum: resultSlots }).notNull(),
    /** No foreign key: the delete trigger replaces a deleted result by the next newest one. */
    workManifestId: uuid("work_manifest_id").notNull(),
    /** The manifest's created_at: newest (created_at, work_manifest_id) wins, as the run lists order. */
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("dirspace_latest_results_repository_key")
      .on(table.repositoryId, table.dir, table.workspace, table.slot)
      .where(sql`${table.pullRequestId} is null`),
    uniqueIndex("dirspace_latest_results_pull_request_key")
      .on(table.pullRequestId, table.dir, table.workspace, table.slot)
      .where(sql`${table.pullRequestId} is not null`),
    index("dirspace_latest_results_work_manifest_idx").on(table.workManifestId),
  ],
);
