// A repository changed (a push to its default branch, a rename, archiving): record it and queue its refresh.
import { markRepositoriesRemoved, upsertInstallation, upsertRepository } from "../db/queries/vcs-sync.ts";
import { queueRefresh } from "../jobs/queue-refresh.ts";
import type { RepositoryEvent } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";

export async function handleRepositoryEvent(
  context: EvaluatorContext,
  event: RepositoryEvent,
): Promise<void> {
  await context.database.db.transaction(async (tx) => {
    const installation = await upsertInstallation(tx, event.installation);
    if (event.action === "deleted") {
      await markRepositoriesRemoved(tx, installation, [event.repo.externalId]);
      return;
    }
    // Keyed by the VCS's repository id: a renamed or transferred repository keeps its row, under its new name.
    const repository = await upsertRepository(tx, installation, event.repo);
    await queueRefresh(tx, repository.id);
  });
}
