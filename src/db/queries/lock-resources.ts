// Tooling API view of dirspace locks: list one installation's locks and release them (audited).
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { TagQuery } from "../../domain/tag-query.ts";
import type { Executor } from "../client.ts";
import { locks, pullRequests, repositories } from "../schema/index.ts";
import { recordAudit } from "./audit-log.ts";
import { toPage } from "./cursor.ts";
import { type PageRequest, repositoryIds } from "./installation-resources.ts";
import { keysetAfter, keysetOrder } from "./keyset.ts";
import { tagQueryCondition } from "./tag-query-sql.ts";

/** Names come from scalar subqueries, not joins, so the planner starts from the installation's locks. */
const lockColumns = {
  repositoryId: locks.repositoryId,
  repo: sql<string>`(select ${repositories.fullName} from ${repositories} where ${repositories.id} = ${locks.repositoryId})`,
  dir: locks.dir,
  workspace: locks.workspace,
  pullRequest: sql<number>`(select ${pullRequests.number} from ${pullRequests} where ${pullRequests.id} = ${locks.pullRequestId})`,
  pullRequestId: locks.pullRequestId,
  workManifestId: locks.workManifestId,
  acquiredAt: locks.acquiredAt,
  cursorTime: sql<string>`${locks.acquiredAt}::text`,
};

export async function listLocks(
  executor: Executor,
  installationId: number,
  page: PageRequest & { repo?: string; tagQuery?: TagQuery },
) {
  const conditions: SQL[] = [eq(locks.installationId, installationId)];
  if (page.tagQuery && page.tagQuery.kind !== "all") {
    // A lock carries no tags of its own: the query matches its implicit dir: and workspace:.
    conditions.push(
      tagQueryCondition(page.tagQuery, {
        dir: locks.dir,
        workspace: locks.workspace,
        tags: sql`'{}'::text[]`,
      }),
    );
  }
  if (page.repo) {
    const ids = repositoryIds(executor, installationId, page.repo);
    conditions.push(inArray(locks.repositoryId, ids));
  }
  const key = [locks.acquiredAt, locks.repositoryId, locks.dir, locks.workspace];
  if (page.after) {
    conditions.push(
      keysetAfter(
        key,
        [
          sql`${page.after[0]}::timestamptz`,
          sql`${page.after[1]}::bigint`,
          sql`${page.after[2]}::text`,
          sql`${page.after[3]}::text`,
        ],
        page.direction,
      ),
    );
  }
  const rows = await executor
    .select(lockColumns)
    .from(locks)
    .where(and(...conditions))
    .orderBy(...keysetOrder(key, page.direction))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.cursorTime, row.repositoryId, row.dir, row.workspace]);
}

export interface UnlockRequest {
  repo: string;
  pullRequest?: number;
  dirspaces?: { dir: string; workspace: string }[];
  actor: string;
}

/** Releases the matching locks of one repository and records who did it; returns the released locks. */
export async function unlock(executor: Executor, installationId: number, request: UnlockRequest) {
  const [repository] = await executor
    .select({ id: repositories.id, fullName: repositories.fullName })
    .from(repositories)
    .where(
      and(
        eq(repositories.installationId, installationId),
        sql`lower(${repositories.fullName}) = lower(${request.repo})`,
      ),
    );
  if (!repository) return undefined;
  const conditions: SQL[] = [eq(locks.installationId, installationId), eq(locks.repositoryId, repository.id)];
  if (request.pullRequest !== undefined) {
    const owners = executor
      .select({ id: pullRequests.id })
      .from(pullRequests)
      .where(and(eq(pullRequests.repositoryId, repository.id), eq(pullRequests.number, request.pullRequest)));
    conditions.push(inArray(locks.pullRequestId, owners));
  }
  if (request.dirspaces && request.dirspaces.length > 0) {
    const pairs = request.dirspaces.map(
      (dirspace) => sql`(${dirspace.dir}::text, ${dirspace.workspace}::text)`,
    );
    conditions.push(sql`(${locks.dir}, ${locks.workspace}) in (${sql.join(pairs, sql`, `)})`);
  }
  const released = await executor
    .delete(locks)
    .where(and(...conditions))
    .returning({
      dir: locks.dir,
      workspace: locks.workspace,
      pullRequestId: locks.pullRequestId,
      acquiredAt: locks.acquiredAt,
    });
  if (released.length > 0) {
    await recordAudit(executor, {
      installationId,
      actor: request.actor,
      action: "lock.unlock",
      target: {
        repo: repository.fullName,
        pull_request: request.pullRequest ?? null,
        dirspaces: released.map((lock) => ({ dir: lock.dir, workspace: lock.workspace })),
      },
    });
  }
  return { repo: repository.fullName, released };
}
