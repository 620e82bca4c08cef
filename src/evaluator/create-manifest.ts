// Turns a "run" decision into a work manifest: locks + manifest + dispatch job in one transaction, then queued check runs.
import type { Logger } from "pino";
import type { Database } from "../db/client.ts";
import { acquireLocks, type LockHolder } from "../db/queries/dirspace-locks.ts";
import type { PullRequestRow, RepositoryRow } from "../db/queries/vcs-sync.ts";
import { markDeliveryProcessed } from "../db/queries/webhook-deliveries.ts";
import {
  insertWorkManifest,
  setAggregateCheckRunId,
  setDirspaceCheckRunIds,
} from "../db/queries/work-manifest-creation.ts";
import type { WorkManifestKind } from "../db/schema/index.ts";
import { type Dirspace, type DirspaceRef, dirspaceKey } from "../domain/dirspace.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import type { RunNotes } from "../domain/run-notes.ts";
import { queueDispatch } from "../jobs/manifest-lifecycle.ts";
import { aggregateStatusName, statusName } from "../render/status-names.ts";
import { platformFor } from "../vcs/registry.ts";
import type { PullRequestInfo, VcsProvider } from "../vcs/types.ts";

export interface StartRunInput {
  database: Database;
  provider: VcsProvider;
  logger: Logger;
  repository: RepositoryRow;
  pullRequestRow: PullRequestRow;
  pullRequest: PullRequestInfo;
  config: RepoConfig;
  kind: WorkManifestKind;
  dirspaces: Dirspace[];
  lockDirspaces: DirspaceRef[];
  requestedBy: string;
  tagQuery: string;
  commentId: string | null;
  /** Apply only: the stored plan each dirspace applies (what decide validated). */
  plans: Array<DirspaceRef & { planId: number }>;
  /**
   * The stored delivery (webhook_deliveries.id) this run answers: marked processed in the same
   * transaction that creates the manifest, so a retry after a crash cannot create a second one.
   */
  deliveryId: number | null;
  /** Why dirspaces are included, the stack layers and warnings, shown in the run's comment. */
  notes: RunNotes;
  /** This server's public URL: statuses link to the platform's run link, which redirects to the CI run. */
  publicUrl: string;
}

export type StartRunResult =
  | { kind: "started"; manifestId: string }
  | { kind: "locked"; holders: LockHolder[] }
  /** The comment already started a run (a replay under another delivery id): nothing new. */
  | { kind: "duplicate" };

class LockConflict extends Error {
  readonly holders: LockHolder[];
  constructor(holders: LockHolder[]) {
    super("dirspaces are locked by another pull request");
    this.holders = holders;
  }
}

export async function startRun(input: StartRunInput): Promise<StartRunResult> {
  const planIds = new Map(input.plans.map((plan) => [dirspaceKey(plan), plan.planId]));
  let manifestId: string | null;
  try {
    manifestId = await input.database.transaction(async (tx) => {
      if (input.deliveryId !== null) await markDeliveryProcessed(tx, input.deliveryId);
      const id = await insertWorkManifest(tx, {
        installationId: input.repository.installationId,
        repositoryId: input.repository.id,
        pullRequestId: input.pullRequestRow.id,
        vcs: input.repository.vcs,
        kind: input.kind,
        baseRef: input.pullRequest.baseRef,
        baseSha: input.pullRequest.baseSha,
        headRef: input.pullRequest.headRef,
        headSha: input.pullRequest.headSha,
        requestedBy: input.requestedBy,
        tagQuery: input.tagQuery,
        commentId: input.commentId,
        // Automerge is the default branch's setting when the run was asked for: the report merges by it.
        runConfig: {
          parallelism: input.config.parallelism,
          automerge: input.config.automerge,
          notes: input.notes,
        },
        dirspaces: input.dirspaces.map((dirspace) => ({
          dir: dirspace.dir,
          workspace: dirspace.workspace,
          tags: dirspace.tags,
          workflow: {
            engine: dirspace.workflow.engine,
            plan: dirspace.workflow.plan,
            apply: dirspace.workflow.apply,
          },
          planId: planIds.get(dirspaceKey(dirspace)) ?? null,
        })),
      });
      if (id === null) return null;
      if (input.lockDirspaces.length > 0) {
        const locks = await acquireLocks(tx, {
          installationId: input.repository.installationId,
          repositoryId: input.repository.id,
          pullRequestId: input.pullRequestRow.id,
          workManifestId: id,
          dirspaces: input.lockDirspaces,
          keepMergedLocks: input.config.lock_policy === "merge",
        });
        // Rolls back the manifest too: nothing is dispatched without every lock it needs.
        if (locks.heldByOthers.length > 0) throw new LockConflict(locks.heldByOthers);
      }
      await queueDispatch(tx, id);
      return id;
    });
  } catch (error) {
    if (error instanceof LockConflict) return { kind: "locked", holders: error.holders };
    throw error;
  }
  if (manifestId === null) return { kind: "duplicate" };
  await createQueuedCheckRuns(input, manifestId);
  return { kind: "started", manifestId };
}

/**
 * Check runs are created after the commit (a GitHub call never holds a transaction open). A failure
 * here is logged, not fatal: the run still happens and its results create the check runs later.
 */
async function createQueuedCheckRuns(input: StartRunInput, manifestId: string): Promise<void> {
  const { provider, kind, dirspaces, pullRequest } = input;
  const platform = platformFor(input.repository.vcs);
  try {
    const common = {
      headSha: pullRequest.headSha,
      status: "queued" as const,
      externalId: manifestId,
      detailsUrl: platform.links.runLink(input.publicUrl, manifestId),
    };
    if (dirspaces.length > platform.limits.statusesPerManifest) {
      const { id } = await provider.createCheckRun({
        ...common,
        name: aggregateStatusName(kind, dirspaces.length),
        title: `queued: ${dirspaces.length} dirspaces`,
        summary: dirspaces.map((dirspace) => `- \`${dirspace.dir}\` (${dirspace.workspace})`).join("\n"),
      });
      await setAggregateCheckRunId(input.database, manifestId, id);
      return;
    }
    const created: Array<{ dir: string; workspace: string; checkRunId: string }> = [];
    for (const dirspace of dirspaces) {
      const { id } = await provider.createCheckRun({
        ...common,
        name: statusName(kind, dirspace),
        title: "queued",
        summary: `Waiting for the run to start (requested by @${input.requestedBy}).`,
      });
      created.push({ dir: dirspace.dir, workspace: dirspace.workspace, checkRunId: id });
    }
    await setDirspaceCheckRunIds(input.database, manifestId, created);
  } catch (error) {
    input.logger.warn({ err: error, manifestId }, "could not create the queued check runs; the run goes on");
  }
}
