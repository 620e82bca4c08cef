// What the Stack API reads: a repository's default-branch stack snapshot, and pull requests by number.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { defaultBranchSnapshots, pullRequests, repositories } from "../schema/index.ts";

/**
 * A repository of the installation by its full name (any case) or its numeric id, as the `{repo}`
 * path segment carries it (`acme%2Finfra`, `acme/infra`, or `12`).
 */
export async function findRepository(executor: Executor, installationId: number, repo: string) {
  const byId = /^\d+$/.test(repo) ? eq(repositories.id, Number(repo)) : undefined;
  const [row] = await executor
    .select()
    .from(repositories)
    .where(
      and(
        eq(repositories.installationId, installationId),
        isNull(repositories.removedAt),
        byId ?? sql`lower(${repositories.fullName}) = lower(${repo})`,
      ),
    );
  return row;
}

export async function stackSnapshot(executor: Executor, repositoryId: number) {
  const [row] = await executor
    .select({
      branch: defaultBranchSnapshots.branch,
      sha: defaultBranchSnapshots.sha,
      stacks: defaultBranchSnapshots.stacks,
      configProblems: defaultBranchSnapshots.configProblems,
      refreshedAt: defaultBranchSnapshots.refreshedAt,
    })
    .from(defaultBranchSnapshots)
    .where(eq(defaultBranchSnapshots.repositoryId, repositoryId));
  return row;
}

/** Pull requests of the installation with this number (one per repository), with their repository. */
export async function pullRequestsNumbered(executor: Executor, installationId: number, number: number) {
  return executor
    .select({ pullRequest: pullRequests, repository: repositories })
    .from(pullRequests)
    .innerJoin(repositories, eq(repositories.id, pullRequests.repositoryId))
    .where(and(eq(pullRequests.installationId, installationId), eq(pullRequests.number, number)))
    .orderBy(repositories.fullName);
}
