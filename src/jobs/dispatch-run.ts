// dispatch-run: start the repository's terragate workflow for one manifest, once (see dispatch-attempt.ts).
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { revokeWorkTokens } from "../db/queries/work-tokens.ts";
import {
  installations,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../db/schema/index.ts";
import { renderDispatchFailed, renderMissingWorkflow } from "../render/replies.ts";
import { createProviderFor, platformFor } from "../vcs/registry.ts";
import { type CheckRunUpdate, VcsError, type VcsProvider } from "../vcs/types.ts";
import { addJob } from "./add-job.ts";
import { attemptDispatch, type DispatchAttempt } from "./dispatch-attempt.ts";
import { markDispatchFailed } from "./manifest-lifecycle.ts";
import type { JobDeps } from "./task-list.ts";

export const DispatchRunPayload = z.object({ workManifestId: z.uuid() });
export type DispatchRunPayload = z.infer<typeof DispatchRunPayload>;

/** How long an apply waits before looking again when another apply on the same dirspace is in flight. */
const applyWaitMs = 20_000;

async function loadManifest(db: Database, id: string) {
  const [row] = await db
    .select({
      manifest: workManifests,
      repo: repositories,
      installationExternalId: installations.externalId,
      prNumber: pullRequests.number,
    })
    .from(workManifests)
    .innerJoin(repositories, eq(repositories.id, workManifests.repositoryId))
    .innerJoin(installations, eq(installations.id, workManifests.installationId))
    .leftJoin(pullRequests, eq(pullRequests.id, workManifests.pullRequestId))
    .where(eq(workManifests.id, id));
  return row;
}

/** Another apply of the same repository on an overlapping dirspace that has been dispatched and not finished. */
async function applyInFlight(db: Database, manifestId: string, repositoryId: number): Promise<boolean> {
  const mine = db
    .select({ dir: workManifestDirspaces.dir, workspace: workManifestDirspaces.workspace })
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, manifestId));
  const rows = await db
    .select({ id: workManifests.id })
    .from(workManifests)
    .innerJoin(workManifestDirspaces, eq(workManifestDirspaces.workManifestId, workManifests.id))
    .where(
      and(
        eq(workManifests.repositoryId, repositoryId),
        ne(workManifests.id, manifestId),
        inArray(workManifests.kind, ["apply", "autoapprove"]),
        inArray(workManifests.state, ["dispatched", "running"]),
        sql`(${workManifestDirspaces.dir}, ${workManifestDirspaces.workspace}) in (${mine})`,
      ),
    )
    .limit(1);
  return rows.length > 0;
}

async function checkRunIds(db: Database, manifestId: string, aggregate: string | null): Promise<string[]> {
  const rows = await db
    .select({ id: workManifestDirspaces.checkRunId })
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, manifestId));
  const ids = rows.map((row) => row.id).filter((id): id is string => id !== null);
  return aggregate ? [aggregate, ...ids] : ids;
}

async function updateCheckRuns(provider: VcsProvider, ids: string[], update: CheckRunUpdate, logger: Logger) {
  for (const id of ids) {
    try {
      await provider.updateCheckRun(id, update);
    } catch (error) {
      logger.warn({ err: error, checkRunId: id }, "could not update a check run");
    }
  }
}

export function createDispatchRunTask(deps: JobDeps): Task {
  const providerFor = createProviderFor(deps);
  const db = deps.database.db;
  return async (rawPayload, helpers) => {
    const { workManifestId } = DispatchRunPayload.parse(rawPayload);
    const row = await loadManifest(db, workManifestId);
    if (row?.manifest.state !== "queued") return;
    const { manifest, repo } = row;
    const logger = deps.logger.child({ workManifestId, repo: repo.fullName });
    // Runs this job again later without spending one of its attempts.
    const again = (runAt: Date) =>
      addJob(
        db,
        "dispatch-run",
        { workManifestId },
        { jobKey: `dispatch-run:${workManifestId}`, runAt, maxAttempts: helpers.job.max_attempts },
      );
    if (manifest.kind !== "plan" && (await applyInFlight(db, manifest.id, repo.id))) {
      logger.info("another apply on these dirspaces is in flight; waiting");
      await again(new Date(Date.now() + applyWaitMs));
      return;
    }
    const platform = platformFor(manifest.vcs);
    const provider = await providerFor(
      { vcs: manifest.vcs, externalId: row.installationExternalId },
      repo.owner,
      repo.name,
    );
    const giveUp = async (reason: string, comment: string) => {
      if (!(await db.transaction((tx) => markDispatchFailed(tx, workManifestId, reason)))) return;
      await revokeWorkTokens(db, workManifestId, `work manifest ${workManifestId} could not be dispatched`);
      logger.error({ reason }, "dispatch failed for good");
      await updateCheckRuns(
        provider,
        await checkRunIds(db, workManifestId, manifest.aggregateCheckRunId),
        { status: "completed", conclusion: "failure", title: "could not start the run", summary: reason },
        logger,
      );
      if (row.prNumber !== null) {
        try {
          await provider.createComment(row.prNumber, comment);
        } catch (error) {
          logger.warn({ err: error }, "could not comment on the failed dispatch");
        }
      }
    };

    let attempt: DispatchAttempt;
    try {
      attempt = await attemptDispatch(
        deps.database,
        provider,
        {
          manifestId: workManifestId,
          installationId: manifest.installationId,
          defaultBranch: repo.defaultBranch,
          publicUrl: deps.config.publicUrl,
          dispatch: platform.dispatch,
          finalAttempt: helpers.job.attempts >= helpers.job.max_attempts,
        },
        logger,
      );
    } catch (error) {
      if (!(error instanceof VcsError)) throw error;
      const pr = row.prNumber ?? 0;
      if (error.kind === "not_found") {
        await giveUp(
          `${platform.dispatch.workflowPath} is missing on ${repo.defaultBranch}`,
          renderMissingWorkflow(
            pr,
            platform.dispatch.workflowPath,
            repo.defaultBranch,
            platform.dispatch.snippet(deps.config.publicUrl),
            platform.words.changeRequest,
          ),
        );
        return;
      }
      const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
      if (error.retryable && !lastAttempt) throw error;
      await giveUp(error.message, renderDispatchFailed(pr, workManifestId, error.message));
      return;
    }
    switch (attempt.type) {
      case "dispatched":
        logger.info({ runId: attempt.runId, adopted: attempt.adopted }, "run dispatched");
        return;
      case "not_queued":
        return;
      default: {
        const never: never = attempt;
        throw new Error(`unknown dispatch attempt ${JSON.stringify(never)}`);
      }
    }
  };
}
