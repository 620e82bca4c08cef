// Queues the report of a finished manifest; one PR's reports run one at a time, so replicas never race on its comment.
import type { Executor } from "../db/client.ts";
import { addJob } from "./add-job.ts";

/**
 * Adds the `report-results` job in the caller's transaction. Reports of the same PR share a queue:
 * two workers never upsert the same PR comment (find-then-create) at the same moment. Reports of
 * runs without a PR (drift) share one per repository, for the same reason with its drift issue.
 */
export async function queueReport(
  tx: Executor,
  manifest: { id: string; pullRequestId: number | null; repositoryId?: number },
): Promise<void> {
  const queueName =
    manifest.pullRequestId !== null
      ? `report:pr:${manifest.pullRequestId}`
      : manifest.repositoryId !== undefined
        ? `report:repo:${manifest.repositoryId}`
        : undefined;
  await addJob(
    tx,
    "report-results",
    { workManifestId: manifest.id },
    { jobKey: `report-results:${manifest.id}`, ...(queueName ? { queueName } : {}) },
  );
}
