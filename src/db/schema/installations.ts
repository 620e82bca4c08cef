// Installations (a GitHub App installation or a registered GitLab group/project) and their repositories.

import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { type Vcs, vcsNames } from "../../vcs/types.ts";

export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/** The VCS names of src/vcs/types.ts, for the schema's text enums. */
export const vcsValues = vcsNames;
export type { Vcs };

export const installations = pgTable(
  "installations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    vcs: text("vcs", { enum: vcsValues }).notNull(),
    /** The VCS's own id: GitHub installation id, GitLab group or project id. */
    externalId: text("external_id").notNull(),
    accountLogin: text("account_login").notNull(),
    accountType: text("account_type").notNull().default("Organization"),
    /** GitLab: the installation's access token, sealed with TERRAGATE_ENCRYPTION_KEY. */
    accessTokenSealed: bytea("access_token_sealed"),
    suspendedAt: timestamp("suspended_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("installations_vcs_external_id_key").on(table.vcs, table.externalId)],
);

export const repositories = pgTable(
  "repositories",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    installationId: bigint("installation_id", { mode: "number" })
      .notNull()
      .references(() => installations.id, { onDelete: "cascade" }),
    vcs: text("vcs", { enum: vcsValues }).notNull(),
    externalId: text("external_id").notNull(),
    owner: text("owner").notNull(),
    name: text("name").notNull(),
    fullName: text("full_name").notNull(),
    defaultBranch: text("default_branch").notNull().default("main"),
    private: boolean("private").notNull().default(true),
    /** Archived on the VCS: read-only, so nothing is planned, applied or reported there. */
    archived: boolean("archived").notNull().default(false),
    removedAt: timestamp("removed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("repositories_vcs_external_id_key").on(table.vcs, table.externalId),
    index("repositories_installation_id_idx").on(table.installationId, table.id),
    index("repositories_installation_created_idx").on(table.installationId, table.createdAt, table.id),
    index("repositories_full_name_idx").on(sql`lower(${table.fullName})`),
  ],
);
