// Tooling API reads of work manifests and their dirspaces, filtered by repo, PR, kind, state and tag query.
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { TagQuery } from "../../domain/tag-query.ts";
import type { Executor } from "../client.ts";
import {
  type DirspaceState,
  pullRequests,
  repositories,
  type WorkManifestKind,
  type WorkManifestState,
  workManifestDirspaces,
  workManifests,
} from "../schema/index.ts";
import { toPage } from "./cursor.ts";
import { type PageRequest, repositoryIds } from "./installation-resources.ts";
import { keysetAfter, keysetOrder } from "./keyset.ts";
import { tagQueryCondition } from "./tag-query-sql.ts";

const dirspaceColumns = {
  dir: workManifestDirspaces.dir,
  workspace: workManifestDirspaces.workspace,
  tags: workManifestDirspaces.tags,
};

/**
 * Repository name and PR number come from scalar subqueries rather than joins: the listing then
 * stays a single-table scan of the (installation, created_at, id) index that stops after one page.
 */
const manifestColumns = {
  id: workManifests.id,
  repo: sql<string>`(select ${repositories.fullName} from ${repositories} where ${repositories.id} = ${workManifests.repositoryId})`,
  pullRequest: sql<
    number | null
  >`(select ${pullRequests.number} from ${pullRequests} where ${pullRequests.id} = ${workManifests.pullRequestId})`,
  kind: workManifests.kind,
  state: workManifests.state,
  baseRef: workManifests.baseRef,
  baseSha: workManifests.baseSha,
  headRef: workManifests.headRef,
  headSha: workManifests.headSha,
  requestedBy: workManifests.requestedBy,
  tagQuery: workManifests.tagQuery,
  runId: workManifests.runId,
  runUrl: workManifests.runUrl,
  failureReason: workManifests.failureReason,
  createdAt: workManifests.createdAt,
  updatedAt: workManifests.updatedAt,
  completedAt: workManifests.completedAt,
  cursorTime: sql<string>`${workManifests.createdAt}::text`,
};

export interface WorkManifestFilter {
  repo?: string;
  pullRequest?: number;
  kind?: WorkManifestKind;
  state?: WorkManifestState;
  /** Manifests with at least one dirspace matching the query. */
  tagQuery?: TagQuery;
}

export async function listWorkManifests(
  executor: Executor,
  installationId: number,
  page: PageRequest & WorkManifestFilter,
) {
  const conditions: SQL[] = [eq(workManifests.installationId, installationId)];
  if (page.repo)
    conditions.push(inArray(workManifests.repositoryId, repositoryIds(executor, installationId, page.repo)));
  if (page.pullRequest !== undefined) {
    const ids = executor
      .select({ id: pullRequests.id })
      .from(pullRequests)
      .where(and(eq(pullRequests.installationId, installationId), eq(pullRequests.number, page.pullRequest)));
    conditions.push(inArray(workManifests.pullRequestId, ids));
  }
  if (page.kind) conditions.push(eq(workManifests.kind, page.kind));
  if (page.state) conditions.push(eq(workManifests.state, page.state));
  if (page.tagQuery && page.tagQuery.kind !== "all") {
    conditions.push(sql`exists (select 1 from ${workManifestDirspaces}
      where ${workManifestDirspaces.workManifestId} = ${workManifests.id}
        and ${tagQueryCondition(page.tagQuery, dirspaceColumns)})`);
  }
  if (page.after) {
    conditions.push(
      keysetAfter(
        [workManifests.createdAt, workManifests.id],
        [sql`${page.after[0]}::timestamptz`, sql`${page.after[1]}::uuid`],
        page.direction,
      ),
    );
  }
  const rows = await executor
    .select(manifestColumns)
    .from(workManifests)
    .where(and(...conditions))
    .orderBy(...keysetOrder([workManifests.createdAt, workManifests.id], page.direction))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.cursorTime, row.id]);
}

export async function getWorkManifest(executor: Executor, installationId: number, id: string) {
  const [manifest] = await executor
    .select(manifestColumns)
    .from(workManifests)
    .where(and(eq(workManifests.installationId, installationId), eq(workManifests.id, id)));
  return manifest;
}

/** The manifest's dirspaces with results; `withOutputs` adds every step's full output and terraform outputs. */
export async function getWorkManifestDirspaces(
  executor: Executor,
  installationId: number,
  id: string,
  withOutputs: boolean,
) {
  return executor
    .select({
      dir: workManifestDirspaces.dir,
      workspace: workManifestDirspaces.workspace,
      tags: workManifestDirspaces.tags,
      state: workManifestDirspaces.state,
      success: workManifestDirspaces.success,
      hasChanges: workManifestDirspaces.hasChanges,
      summary: workManifestDirspaces.summary,
      exitCode: workManifestDirspaces.exitCode,
      steps: withOutputs ? workManifestDirspaces.steps : sql<null>`null`,
      outputs: withOutputs ? workManifestDirspaces.outputs : sql<null>`null`,
      updatedAt: workManifestDirspaces.updatedAt,
    })
    .from(workManifestDirspaces)
    .where(
      and(
        eq(workManifestDirspaces.installationId, installationId),
        eq(workManifestDirspaces.workManifestId, id),
      ),
    )
    .orderBy(workManifestDirspaces.dir, workManifestDirspaces.workspace);
}

export async function listDirspaces(
  executor: Executor,
  installationId: number,
  page: PageRequest & { repo?: string; state?: DirspaceState; tagQuery?: TagQuery },
) {
  const conditions: SQL[] = [
    eq(workManifests.installationId, installationId),
    eq(workManifestDirspaces.installationId, installationId),
  ];
  if (page.repo)
    conditions.push(inArray(workManifests.repositoryId, repositoryIds(executor, installationId, page.repo)));
  if (page.state) conditions.push(eq(workManifestDirspaces.state, page.state));
  if (page.tagQuery && page.tagQuery.kind !== "all") {
    conditions.push(tagQueryCondition(page.tagQuery, dirspaceColumns));
  }
  const key = [
    workManifests.createdAt,
    workManifests.id,
    workManifestDirspaces.dir,
    workManifestDirspaces.workspace,
  ];
  if (page.after) {
    conditions.push(
      keysetAfter(
        key,
        [
          sql`${page.after[0]}::timestamptz`,
          sql`${page.after[1]}::uuid`,
          sql`${page.after[2]}::text`,
          sql`${page.after[3]}::text`,
        ],
        page.direction,
      ),
    );
  }
  const rows = await executor
    .select({
      workManifestId: workManifests.id,
      repo: manifestColumns.repo,
      pullRequest: manifestColumns.pullRequest,
      kind: workManifests.kind,
      dir: workManifestDirspaces.dir,
      workspace: workManifestDirspaces.workspace,
      tags: workManifestDirspaces.tags,
      state: workManifestDirspaces.state,
      success: workManifestDirspaces.success,
      hasChanges: workManifestDirspaces.hasChanges,
      summary: workManifestDirspaces.summary,
      createdAt: workManifests.createdAt,
      updatedAt: workManifestDirspaces.updatedAt,
      cursorTime: sql<string>`${workManifests.createdAt}::text`,
    })
    .from(workManifestDirspaces)
    .innerJoin(workManifests, eq(workManifests.id, workManifestDirspaces.workManifestId))
    .where(and(...conditions))
    .orderBy(...keysetOrder(key, page.direction))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.cursorTime, row.workManifestId, row.dir, row.workspace]);
}
