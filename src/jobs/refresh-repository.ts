// refresh-repository: re-reads one repository's metadata and its default branch's config and tree (once per commit).
import { and, eq, isNull } from "drizzle-orm";
import type { Task } from "graphile-worker";
import { z } from "zod";
import type { Executor } from "../db/client.ts";
import { installations, repositories } from "../db/schema/index.ts";
import { refreshRepository } from "../evaluator/refresh-repository.ts";
import { createProviderFor } from "../vcs/registry.ts";
import { moduleIndexesOf } from "./process-caches.ts";
import { queueRefresh } from "./queue-refresh.ts";
import type { JobDeps } from "./task-list.ts";

export const RefreshRepositoryPayload = z.object({ repositoryId: z.number().int().positive() });
export type RefreshRepositoryPayload = z.infer<typeof RefreshRepositoryPayload>;

/** Queues a refresh of every repository of live installations; returns how many. */
export async function queueAllRefreshes(executor: Executor): Promise<number> {
  const rows = await executor
    .select({ id: repositories.id })
    .from(repositories)
    .innerJoin(installations, eq(installations.id, repositories.installationId))
    .where(
      and(isNull(repositories.removedAt), isNull(installations.deletedAt), isNull(installations.suspendedAt)),
    );
  for (const row of rows) await queueRefresh(executor, row.id);
  return rows.length;
}

export function createRefreshRepositoryTask(deps: JobDeps): Task {
  const providerFor = createProviderFor(deps);
  const moduleIndexes = moduleIndexesOf(deps);
  return async (rawPayload) => {
    const { repositoryId } = RefreshRepositoryPayload.parse(rawPayload);
    const [row] = await deps.database.db
      .select({ repository: repositories, installation: installations })
      .from(repositories)
      .innerJoin(installations, eq(installations.id, repositories.installationId))
      .where(eq(repositories.id, repositoryId));
    if (!row || row.repository.removedAt !== null || row.installation.deletedAt !== null) return;
    const { repository, installation } = row;
    const provider = await providerFor(
      { vcs: installation.vcs, externalId: installation.externalId },
      repository.owner,
      repository.name,
    );
    const outcome = await refreshRepository({
      db: deps.database.db,
      logger: deps.logger,
      provider,
      repositoryId: repository.id,
      installationId: installation.id,
      moduleIndexes,
    });
    deps.logger.debug({ repo: repository.fullName, outcome }, "repository refreshed");
  };
}

export function createRefreshRepositoriesTask(deps: JobDeps): Task {
  return async () => {
    const queued = await deps.database.db.transaction((tx) => queueAllRefreshes(tx));
    deps.logger.info({ queued }, "daily refresh queued for every repository");
  };
}
