// Queuing a repository's refresh, apart from the refresh itself so that callers (intake, API) load no evaluator code.
import type { Executor } from "../db/client.ts";
import { addJob } from "./add-job.ts";

/**
 * Queues one repository's refresh. Refreshes of one repository run one at a time (a queue per
 * repository) and a pending one absorbs the next request (job key), so a burst of pushes reads once.
 */
export async function queueRefresh(executor: Executor, repositoryId: number): Promise<void> {
  await addJob(
    executor,
    "refresh-repository",
    { repositoryId },
    {
      queueName: `refresh:${repositoryId}`,
      jobKey: `refresh:${repositoryId}`,
      jobKeyMode: "preserve_run_at",
      maxAttempts: 8,
    },
  );
}
