// evaluate-event: a stored webhook delivery → normalized event → its handler (autoplan, commands, installs, runs).

import type { Task } from "graphile-worker";
import { z } from "zod";
import { getDelivery, markDeliveryProcessed } from "../db/queries/webhook-deliveries.ts";
import type { EvaluatorContext } from "../evaluator/context.ts";
import { handleCheckRunRerequested } from "../evaluator/handle-check-run.ts";
import { handleComment } from "../evaluator/handle-comment.ts";
import { handleInstallation } from "../evaluator/handle-installation.ts";
import { handlePullRequest } from "../evaluator/handle-pull-request.ts";
import { handleRepositoryEvent } from "../evaluator/handle-repository-event.ts";
import { handleRunEvent } from "../evaluator/handle-run-event.ts";
import { createProviderFor, platformFor } from "../vcs/registry.ts";
import { UnsupportedEventError, Vcs, VcsError, type VcsEvent } from "../vcs/types.ts";
import { moduleIndexesOf } from "./process-caches.ts";
import type { JobDeps } from "./task-list.ts";

export const EvaluateEventPayload = z.object({
  vcs: Vcs,
  deliveryId: z.string().min(1),
});
export type EvaluateEventPayload = z.infer<typeof EvaluateEventPayload>;

/** One handler per normalized event type; the runner side plugs in through handle-run-event.ts. */
export const handlers: {
  [K in VcsEvent["type"]]: (
    context: EvaluatorContext,
    event: Extract<VcsEvent, { type: K }>,
  ) => Promise<unknown>;
} = {
  pull_request: handlePullRequest,
  comment: handleComment,
  installation: handleInstallation,
  workflow_job: handleRunEvent,
  check_run_rerequested: handleCheckRunRerequested,
  repository: handleRepositoryEvent,
};

function runHandler(context: EvaluatorContext, event: VcsEvent): Promise<unknown> {
  const handler = handlers[event.type] as (context: EvaluatorContext, event: VcsEvent) => Promise<unknown>;
  return handler(context, event);
}

export function createEvaluateEventTask(deps: JobDeps): Task {
  const context: EvaluatorContext = {
    ...deps,
    deliveryId: null,
    providerFor: createProviderFor(deps),
    moduleIndexes: moduleIndexesOf(deps),
  };
  return async (rawPayload, helpers) => {
    const payload = EvaluateEventPayload.parse(rawPayload);
    const delivery = await getDelivery(deps.database.db, payload.vcs, payload.deliveryId);
    if (!delivery) {
      helpers.logger.warn(`delivery ${payload.deliveryId} is not stored; nothing to evaluate`);
      return;
    }
    if (delivery.processedAt !== null) return;
    const log = deps.logger.child({
      deliveryId: delivery.deliveryId,
      event: delivery.event,
      action: delivery.action,
    });
    const platform = platformFor(payload.vcs);
    let event: VcsEvent;
    try {
      event = platform.normalizeEvent(delivery.event, delivery.payload, delivery);
    } catch (error) {
      if (!(error instanceof UnsupportedEventError)) throw error;
      log.warn({ err: error }, "delivery not evaluated");
      await markDeliveryProcessed(deps.database.db, delivery.id, error.message);
      return;
    }
    try {
      const complete = await platform.completeEvent(event, context);
      await runHandler({ ...context, logger: log, deliveryId: delivery.id }, complete);
    } catch (error) {
      // Worth another attempt (graphile-worker backs off); a 4xx will not get better by retrying.
      if (error instanceof VcsError && !error.retryable) {
        log.warn({ err: error }, "delivery evaluated with an error");
        await markDeliveryProcessed(deps.database.db, delivery.id, error.message);
        return;
      }
      throw error;
    }
    await markDeliveryProcessed(deps.database.db, delivery.id);
  };
}
