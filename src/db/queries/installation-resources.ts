// Tooling API reads of one installation: the installation itself, its repositories and pull requests.
import { and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import type { PullRequestState } from "../schema/index.ts";
import { installations, pullRequests, repositories } from "../schema/index.ts";
import { type Page, type SortDirection, toPage } from "./cursor.ts";
import { keysetAfter, keysetOrder } from "./keyset.ts";

export interface PageRequest {
  limit: number;
  direction: SortDirection;
  after?: readonly (string | number)[];
}

export async function getInstallation(executor: Executor, installationId: number) {
  const [row] = await executor
    .select({
      externalId: installations.externalId,
      vcs: installations.vcs,
      accountLogin: installations.accountLogin,
      accountType: installations.accountType,
      suspendedAt: installations.suspendedAt,
      createdAt: installations.createdAt,
    })
    .from(installations)
    .where(and(eq(installations.id, installationId), isNull(installations.deletedAt)));
  return row;
}

export async function listRepositories(executor: Executor, installationId: number, page: PageRequest) {
  const conditions: SQL[] = [eq(repositories.installationId, installationId), isNull(repositories.removedAt)];
  if (page.after) {
    conditions.push(
      keysetAfter(
        [repositories.createdAt, repositories.id],
        [sql`${page.after[0]}::timestamptz`, sql`${page.after[1]}::bigint`],
        page.direction,
      ),
    );
  }
  const rows = await executor
    .select({
      id: repositories.id,
      externalId: repositories.externalId,
      fullName: repositories.fullName,
      owner: repositories.owner,
      name: repositories.name,
      defaultBranch: repositories.defaultBranch,
      private: repositories.private,
      createdAt: repositories.createdAt,
      cursorTime: sql<string>`${repositories.createdAt}::text`,
    })
    .from(repositories)
    .where(and(...conditions))
    .orderBy(...keysetOrder([repositories.createdAt, repositories.id], page.direction))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.cursorTime, row.id]);
}

export interface PullRequestRow {
  id: number;
  repo: string;
  number: number;
  state: PullRequestState;
  title: string;
  author: string;
  baseBranch: string;
  baseSha: string;
  headBranch: string;
  headSha: string;
  draft: boolean;
  createdAt: Date;
  updatedAt: Date;
  mergedAt: Date | null;
  closedAt: Date | null;
  cursorTime: string;
}

export async function listPullRequests(
  executor: Executor,
  installationId: number,
  page: PageRequest & { repo?: string; state?: PullRequestState },
): Promise<Page<PullRequestRow>> {
  const conditions: SQL[] = [eq(pullRequests.installationId, installationId)];
  if (page.repo) {
    const ids = repositoryIds(executor, installationId, page.repo);
    conditions.push(inArray(pullRequests.repositoryId, ids));
  }
  if (page.state) conditions.push(eq(pullRequests.state, page.state));
  if (page.after) {
    conditions.push(
      keysetAfter(
        [pullRequests.createdAt, pullRequests.id],
        [sql`${page.after[0]}::timestamptz`, sql`${page.after[1]}::bigint`],
        page.direction,
      ),
    );
  }
  const rows = await executor
    .select({
      id: pullRequests.id,
      // A scalar subquery instead of a join keeps the listing a single ordered index scan.
      repo: sql<string>`(select ${repositories.fullName} from ${repositories} where ${repositories.id} = ${pullRequests.repositoryId})`,
      number: pullRequests.number,
      state: pullRequests.state,
      title: pullRequests.title,
      author: pullRequests.author,
      baseBranch: pullRequests.baseBranch,
      baseSha: pullRequests.baseSha,
      headBranch: pullRequests.headBranch,
      headSha: pullRequests.headSha,
      draft: pullRequests.draft,
      createdAt: pullRequests.createdAt,
      updatedAt: pullRequests.updatedAt,
      mergedAt: pullRequests.mergedAt,
      closedAt: pullRequests.closedAt,
      cursorTime: sql<string>`${pullRequests.createdAt}::text`,
    })
    .from(pullRequests)
    .where(and(...conditions))
    .orderBy(...keysetOrder([pullRequests.createdAt, pullRequests.id], page.direction))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (row) => [row.cursorTime, row.id]);
}

/** Ids of the installation's repositories with this full name (case-insensitive), as a subquery. */
export function repositoryIds(executor: Executor, installationId: number, fullName: string) {
  return executor
    .select({ id: repositories.id })
    .from(repositories)
    .where(
      and(
        eq(repositories.installationId, installationId),
        sql`lower(${repositories.fullName}) = lower(${fullName})`,
      ),
    );
}
