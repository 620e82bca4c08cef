// Queues the report of a finished manifest; one PR's reports run one at a time, so replicas never race on its comment.
import type { Executor } from "../db/client.ts";
import { addJob } from "./add-job.ts";

/**
 * Adds the `report-results` job in the caller's transaction. Reports of the same PR share a queue:
 * two workers never upsert the same PR comment (find-then-create) at the same moment.
 */
export async function queueReport(
  tx: Executor,
  manifest: { id: string; pullRequestId: number | null },
): Promise<void> {
  await addJob(
    tx,
    "report-results",
    { workManifestId: manifest.id },
    {
      jobKey: `report-results:${manifest.id}`,
      ...(manifest.pullRequestId === null ? {} : { queueName: `report:pr:${manifest.pullRequestId}` }),
    },
  );
}
