// dashboard-command: a Plan, Apply or Unlock pressed in the dashboard, evaluated like the comment it stands for, its outcome audited.
import { and, eq, isNull } from "drizzle-orm";
import type { Task } from "graphile-worker";
import { z } from "zod";
import { recordAudit } from "../db/queries/audit-log.ts";
import { installations, repositories } from "../db/schema/index.ts";
import type { EvaluatorContext } from "../evaluator/context.ts";
import {
  type DashboardOutcome,
  dashboardCommandKinds,
  handleDashboardCommand,
} from "../evaluator/handle-dashboard-command.ts";
import { createProviderFor } from "../vcs/registry.ts";
import { VcsError } from "../vcs/types.ts";
import { moduleIndexesOf } from "./process-caches.ts";
import type { JobDeps } from "./task-list.ts";

export const DashboardCommandPayload = z.object({
  installationId: z.number().int().positive(),
  repositoryId: z.number().int().positive(),
  prNumber: z.number().int().positive(),
  kind: z.enum(dashboardCommandKinds),
  argument: z.string().max(1000),
  /** `github:alice`: the audit log's actor. */
  actor: z.string().min(1),
  login: z.string().min(1),
  actionId: z.string().uuid(),
});
export type DashboardCommandPayload = z.infer<typeof DashboardCommandPayload>;

export function createDashboardCommandTask(deps: JobDeps): Task {
  const context: EvaluatorContext = {
    ...deps,
    deliveryId: null,
    providerFor: createProviderFor(deps),
    moduleIndexes: moduleIndexesOf(deps),
  };
  return async (rawPayload) => {
    const payload = DashboardCommandPayload.parse(rawPayload);
    const db = deps.database.db;
    const [row] = await db
      .select({ installation: installations, repository: repositories })
      .from(repositories)
      .innerJoin(installations, eq(installations.id, repositories.installationId))
      .where(
        and(
          eq(repositories.id, payload.repositoryId),
          eq(repositories.installationId, payload.installationId),
          isNull(installations.deletedAt),
        ),
      );
    const log = deps.logger.child({ actionId: payload.actionId, kind: payload.kind, pr: payload.prNumber });
    if (!row) {
      log.warn("the dashboard command's repository is gone; nothing to do");
      return;
    }
    let outcome: DashboardOutcome;
    try {
      outcome = await handleDashboardCommand(
        { ...context, logger: log },
        {
          installation: {
            vcs: row.installation.vcs,
            externalId: row.installation.externalId,
            accountLogin: row.installation.accountLogin,
            accountType: row.installation.accountType,
          },
          repo: {
            externalId: row.repository.externalId,
            owner: row.repository.owner,
            name: row.repository.name,
            fullName: row.repository.fullName,
            defaultBranch: row.repository.defaultBranch,
            private: row.repository.private,
          },
          prNumber: payload.prNumber,
          kind: payload.kind,
          argument: payload.argument,
          login: payload.login,
          actionId: payload.actionId,
        },
      );
    } catch (error) {
      // A 4xx will not get better by retrying: audit the failure and stop; anything else is retried.
      if (!(error instanceof VcsError) || error.retryable) throw error;
      outcome = { kind: "invalid", message: error.message };
    }
    await recordAudit(db, {
      installationId: payload.installationId,
      actor: payload.actor,
      action: "dashboard.outcome",
      target: {
        action_id: payload.actionId,
        command: payload.kind,
        repo: row.repository.fullName,
        pull_request: payload.prNumber,
        ...outcomeTarget(outcome),
      },
    });
  };
}

function outcomeTarget(outcome: DashboardOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case "started":
      return { outcome: "started", work_manifest_id: outcome.manifestId };
    case "unlocked":
      return { outcome: "unlocked", released: outcome.count };
    case "replied":
      return { outcome: outcome.what };
    case "invalid":
      return { outcome: "failed", message: outcome.message };
    case "refused":
    case "not_a_command":
      return { outcome: outcome.kind };
    case "replayed":
      return { outcome: "replayed", work_manifest_id: outcome.manifestId };
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
