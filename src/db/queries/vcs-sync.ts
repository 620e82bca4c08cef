// Keeps installations, repositories and pull requests current from webhook events (upserts by the VCS's ids).
import { and, eq, inArray, sql } from "drizzle-orm";
import type { InstallationRef, PullRequestInfo, RepoRef } from "../../vcs/types.ts";
import type { Executor } from "../client.ts";
import { installations, pullRequests, repositories } from "../schema/index.ts";

export type InstallationRow = typeof installations.$inferSelect;
export type RepositoryRow = typeof repositories.$inferSelect;
export type PullRequestRow = typeof pullRequests.$inferSelect;

export async function upsertInstallation(
  executor: Executor,
  installation: InstallationRef,
): Promise<InstallationRow> {
  const [row] = await executor
    .insert(installations)
    .values({
      vcs: installation.vcs,
      externalId: installation.externalId,
      accountLogin: installation.accountLogin,
      accountType: installation.accountType,
    })
    .onConflictDoUpdate({
      target: [installations.vcs, installations.externalId],
      set: {
        // An event without an account (GitLab hooks, a rare GitHub one) must not blank a known login or type.
        accountLogin: sql`coalesce(nullif(excluded.account_login, ''), ${installations.accountLogin})`,
        accountType: sql`coalesce(nullif(excluded.account_type, ''), ${installations.accountType})`,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!row) throw new Error(`upsert of installation ${installation.externalId} returned no row`);
  return row;
}

export async function setInstallationStatus(
  executor: Executor,
  installationId: number,
  status: { suspended?: boolean; deleted?: boolean },
): Promise<void> {
  await executor
    .update(installations)
    .set({
      ...(status.suspended === undefined ? {} : { suspendedAt: status.suspended ? sql`now()` : null }),
      ...(status.deleted === undefined ? {} : { deletedAt: status.deleted ? sql`now()` : null }),
      updatedAt: sql`now()`,
    })
    .where(eq(installations.id, installationId));
}

type RepoFields = Pick<RepoRef, "externalId" | "owner" | "name" | "fullName" | "private"> & {
  defaultBranch?: string;
};

export async function upsertRepository(
  executor: Executor,
  installation: InstallationRow,
  repo: RepoFields,
): Promise<RepositoryRow> {
  const [row] = await executor
    .insert(repositories)
    .values({
      installationId: installation.id,
      vcs: installation.vcs,
      externalId: repo.externalId,
      owner: repo.owner,
      name: repo.name,
      fullName: repo.fullName,
      private: repo.private,
      ...(repo.defaultBranch ? { defaultBranch: repo.defaultBranch } : {}),
    })
    .onConflictDoUpdate({
      target: [repositories.vcs, repositories.externalId],
      set: {
        installationId: installation.id,
        owner: repo.owner,
        name: repo.name,
        fullName: repo.fullName,
        private: repo.private,
        ...(repo.defaultBranch ? { defaultBranch: repo.defaultBranch } : {}),
        removedAt: null,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!row) throw new Error(`upsert of repository ${repo.fullName} returned no row`);
  return row;
}

export async function markRepositoriesRemoved(
  executor: Executor,
  installation: InstallationRow,
  externalIds: string[],
): Promise<void> {
  if (externalIds.length === 0) return;
  await executor
    .update(repositories)
    .set({ removedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(repositories.installationId, installation.id),
        eq(repositories.vcs, installation.vcs),
        inArray(repositories.externalId, externalIds),
      ),
    );
}

export async function upsertPullRequest(
  executor: Executor,
  repository: RepositoryRow,
  pull: PullRequestInfo,
): Promise<PullRequestRow> {
  const closedAt = pull.state === "open" ? null : sql`coalesce(${pullRequests.closedAt}, now())`;
  const mergedAt = pull.state === "merged" ? sql`coalesce(${pullRequests.mergedAt}, now())` : null;
  const values = {
    installationId: repository.installationId,
    repositoryId: repository.id,
    number: pull.number,
    state: pull.state,
    title: pull.title,
    author: pull.author,
    baseBranch: pull.baseRef,
    baseSha: pull.baseSha,
    headBranch: pull.headRef,
    headSha: pull.headSha,
    draft: pull.draft,
  };
  const [row] = await executor
    .insert(pullRequests)
    .values({
      ...values,
      closedAt: pull.state === "open" ? null : new Date(),
      mergedAt: pull.state === "merged" ? new Date() : null,
    })
    .onConflictDoUpdate({
      target: [pullRequests.repositoryId, pullRequests.number],
      set: { ...values, closedAt, mergedAt, updatedAt: sql`now()` },
    })
    .returning();
  if (!row) throw new Error(`upsert of pull request #${pull.number} returned no row`);
  return row;
}

export async function findPullRequest(
  executor: Executor,
  repositoryId: number,
  number: number,
): Promise<PullRequestRow | null> {
  const rows = await executor
    .select()
    .from(pullRequests)
    .where(and(eq(pullRequests.repositoryId, repositoryId), eq(pullRequests.number, number)))
    .limit(1);
  return rows[0] ?? null;
}
