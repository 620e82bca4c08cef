// Pull requests (GitLab: merge requests) as last seen in a webhook.
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { installations, repositories } from "./installations.ts";

export const pullRequestStates = ["open", "closed", "merged"] as const;
export type PullRequestState = (typeof pullRequestStates)[number];

export const pullRequests = pgTable(
  "pull_requests",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    repositoryId: bigint("repository_id", { mode: "number" })
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    state: text("state", { enum: pullRequestStates }).notNull().default("open"),
    title: text("title").notNull().default(""),
    author: text("author").notNull(),
    baseBranch: text("base_branch").notNull(),
    baseSha: text("base_sha").notNull(),
    headBranch: text("head_branch").notNull(),
    headSha: text("head_sha").notNull(),
    draft: boolean("draft").notNull().default(false),
    mergedAt: timestamp("merged_at", { withTimezone: true }),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("pull_requests_repository_number_key").on(table.repositoryId, table.number),
    index("pull_requests_installation_id_idx").on(table.installationId, table.id),
    index("pull_requests_installation_created_idx").on(table.installationId, table.createdAt, table.id),
  ],
);
