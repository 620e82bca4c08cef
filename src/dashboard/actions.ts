// Dashboard actions: a pressed button becomes an audited `dashboard-command` job on the PR's evaluation queue, in one transaction.
import { randomUUID } from "node:crypto";
import { recordAudit } from "../db/queries/audit-log.ts";
import type { DashboardCommandKind } from "../evaluator/handle-dashboard-command.ts";
import { addJob } from "../jobs/add-job.ts";
import type { DashboardCommandPayload } from "../jobs/dashboard-command.ts";
import type { SessionClaims } from "./auth/session-token.ts";
import type { DashboardServices } from "./context.ts";
import type { DashboardInstallation } from "./guards.ts";

export interface DashboardActionRequest {
  installation: DashboardInstallation;
  repository: { id: number; externalId: string; fullName: string };
  prNumber: number;
  kind: DashboardCommandKind;
  argument: string;
  session: SessionClaims;
}

/** The audit log's name for a signed-in person. */
export function sessionActor(session: SessionClaims): string {
  return `${session.vcs}:${session.login}`;
}

/**
 * Records who pressed what and queues the evaluation on the same queue as the PR's webhooks, so the
 * command runs in order with comments and pushes; both commit or neither. Returns the action's id.
 */
export async function queueDashboardAction(
  services: DashboardServices,
  request: DashboardActionRequest,
): Promise<string> {
  const actionId = randomUUID();
  const actor = sessionActor(request.session);
  const payload: DashboardCommandPayload = {
    installationId: request.installation.id,
    repositoryId: request.repository.id,
    prNumber: request.prNumber,
    kind: request.kind,
    argument: request.argument,
    actor,
    login: request.session.login,
    actionId,
  };
  await services.deps.database.db.transaction(async (tx) => {
    await recordAudit(tx, {
      installationId: request.installation.id,
      actor,
      action: `dashboard.${request.kind}`,
      target: {
        action_id: actionId,
        repo: request.repository.fullName,
        pull_request: request.prNumber,
        ...(request.argument === "" ? {} : { argument: request.argument }),
      },
    });
    await addJob(tx, "dashboard-command", payload, {
      queueName: `${request.installation.vcs}:pr:${request.repository.externalId}:${request.prNumber}`,
      jobKey: `dashboard:${actionId}`,
      maxAttempts: 10,
    });
  });
  return actionId;
}
