// plan-next-layer: after a run of a PR with stack layers completes, plans the layer that can go next.
import type { Task } from "graphile-worker";
import { z } from "zod";
import type { PullRequestRow, RepositoryRow } from "../db/queries/vcs-sync.ts";
import type { EvaluatorContext } from "../evaluator/context.ts";
import { planNextLayer } from "../evaluator/plan-next-layer.ts";
import { createProviderFor } from "../vcs/registry.ts";
import { VcsError } from "../vcs/types.ts";
import type { AddJobOptions } from "./add-job.ts";
import { moduleIndexesOf } from "./process-caches.ts";
import type { JobDeps } from "./task-list.ts";

export const PlanNextLayerPayload = z.object({ workManifestId: z.uuid() });
export type PlanNextLayerPayload = z.infer<typeof PlanNextLayerPayload>;

/**
 * The job for a finished run, in the PR's evaluation queue (the one its webhooks use), so it never
 * races a push or a comment of the same PR.
 */
export function planNextLayerJob(
  repository: Pick<RepositoryRow, "vcs" | "externalId">,
  pullRequest: Pick<PullRequestRow, "number">,
  workManifestId: string,
): { task: "plan-next-layer"; payload: PlanNextLayerPayload; options: AddJobOptions } {
  return {
    task: "plan-next-layer",
    payload: { workManifestId },
    options: {
      jobKey: `plan-next-layer:${workManifestId}`,
      queueName: `${repository.vcs}:pr:${repository.externalId}:${pullRequest.number}`,
    },
  };
}

export function createPlanNextLayerTask(deps: JobDeps): Task {
  const context: EvaluatorContext = {
    ...deps,
    deliveryId: null,
    providerFor: createProviderFor(deps),
    moduleIndexes: moduleIndexesOf(deps),
  };
  return async (rawPayload) => {
    const { workManifestId } = PlanNextLayerPayload.parse(rawPayload);
    try {
      const outcome = await planNextLayer(context, workManifestId);
      deps.logger.info({ workManifestId, outcome }, "next stack layer evaluated");
    } catch (error) {
      if (error instanceof VcsError && !error.retryable) {
        deps.logger.warn({ err: error, workManifestId }, "the next stack layer could not be planned");
        return;
      }
      throw error;
    }
  };
}
