// installation / installation_repositories events: keep the installation and its repositories current.
import {
  markRepositoriesRemoved,
  setInstallationStatus,
  upsertInstallation,
  upsertRepository,
} from "../db/queries/vcs-sync.ts";
import type { InstallationEvent } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";

export async function handleInstallation(context: EvaluatorContext, event: InstallationEvent): Promise<void> {
  await context.database.db.transaction(async (tx) => {
    const installation = await upsertInstallation(tx, event.installation);
    switch (event.action) {
      case "deleted":
        await setInstallationStatus(tx, installation.id, { deleted: true });
        break;
      case "suspend":
        await setInstallationStatus(tx, installation.id, { suspended: true });
        break;
      case "unsuspend":
        await setInstallationStatus(tx, installation.id, { suspended: false });
        break;
      case "created":
        await setInstallationStatus(tx, installation.id, { deleted: false, suspended: false });
        break;
      case "new_permissions_accepted":
      case "added":
      case "removed":
        break;
      default: {
        const unreachable: never = event.action;
        throw new Error(`unhandled installation action ${String(unreachable)}`);
      }
    }
    for (const repo of event.repositoriesAdded) await upsertRepository(tx, installation, repo);
    await markRepositoriesRemoved(
      tx,
      installation,
      event.repositoriesRemoved.map((repo) => repo.externalId),
    );
  });
  context.logger.info(
    {
      installation: event.installation.externalId,
      action: event.action,
      added: event.repositoriesAdded.length,
      removed: event.repositoriesRemoved.length,
    },
    "installation updated",
  );
}
