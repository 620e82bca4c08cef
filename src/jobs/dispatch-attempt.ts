// One attempt to start a manifest's workflow run, such that retries, crashes and replicas create one run.
//
// Every attempt first records its intent (a new work token row, stamped by the database) and only then
// calls GitHub. When an earlier attempt's answer was lost (a 5xx after GitHub created the run, a crash),
// the run it may have created is found by its title (`run-name: terragate <manifest id>`) and adopted,
// with the token that attempt sent; otherwise the earlier tokens are revoked and the workflow dispatched
// again. An advisory lock keeps two workers from dispatching the same manifest at the same time; the
// attempt's queries run on the connection holding it, so an attempt needs one connection, never two.
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { createWorkToken } from "../crypto/work-token.ts";
import type { Database, DatabaseClient } from "../db/client.ts";
import { bindWorkToken, insertWorkToken, revokeWorkTokens } from "../db/queries/work-tokens.ts";
import { workManifests, workTokens } from "../db/schema/index.ts";
import { withSessionLock } from "../db/session-lock.ts";
import type { VcsDispatch } from "../vcs/platform.ts";
import { VcsError, type VcsProvider, type WorkflowRunInfo } from "../vcs/types.ts";
import { markDispatched } from "./manifest-lifecycle.ts";

/** How long after an attempt its run may take to show up in GitHub's run listing. */
const settleMs = 10_000;
/** Allowed difference between the database's clock and GitHub's when matching runs to attempts. */
const clockSkewMs = 5_000;
const workTokenLifetimeMs = 60 * 60 * 1000;

export type DispatchAttempt =
  | { type: "dispatched"; runId: string | null; adopted: boolean }
  /** The manifest is no longer waiting for a dispatch (it started, failed or was dispatched meanwhile). */
  | { type: "not_queued" };

/** Another worker is dispatching the manifest right now: this job tries again later (an attempt spent). */
export class DispatchBusyError extends Error {
  override name = "DispatchBusyError";
}

/**
 * The previous attempt may have created a run that GitHub does not list yet: this job looks again
 * later (an attempt spent) rather than risk a second run. The job's last attempt dispatches anyway.
 */
export class DispatchSettlingError extends Error {
  override name = "DispatchSettlingError";
}

export interface DispatchTarget {
  manifestId: string;
  installationId: number;
  defaultBranch: string;
  /** This server's public URL, sent as `api-base-url` (the workflow checks it against its pinned URL). */
  publicUrl: string;
  /** The platform's workflow and the title its runs carry. */
  dispatch: VcsDispatch;
  /** The job's last attempt: dispatch rather than wait for an earlier attempt's run to be listed. */
  finalAttempt?: boolean;
}

async function isQueued(db: Database, manifestId: string): Promise<boolean> {
  const [row] = await db
    .select({ state: workManifests.state })
    .from(workManifests)
    .where(eq(workManifests.id, manifestId));
  return row?.state === "queued";
}

/** Earlier attempts of this manifest (oldest first), with the database's clock for comparison. */
async function earlierAttempts(db: Database, manifestId: string) {
  return db
    .select({
      hash: workTokens.tokenHash,
      createdAt: workTokens.createdAt,
      now: sql<Date>`now()`.mapWith((v) => new Date(v)),
    })
    .from(workTokens)
    .where(eq(workTokens.workManifestId, manifestId))
    .orderBy(asc(workTokens.createdAt));
}

/** The attempt whose dispatch created `run`: the last one recorded before GitHub created the run. */
function attemptOf<T extends { createdAt: Date }>(attempts: T[], run: WorkflowRunInfo): T | undefined {
  const created = run.createdAt.getTime() + clockSkewMs;
  return attempts.filter((attempt) => attempt.createdAt.getTime() <= created).at(-1) ?? attempts[0];
}

async function findEarlierRun(
  provider: VcsProvider,
  target: DispatchTarget,
  since: Date,
): Promise<WorkflowRunInfo | undefined> {
  try {
    const runs = await provider.findWorkflowRuns({
      workflowFile: target.dispatch.workflowFile,
      ref: target.defaultBranch,
      title: target.dispatch.runTitle(target.manifestId),
      createdAfter: new Date(since.getTime() - clockSkewMs),
    });
    return runs[0];
  } catch (error) {
    // No such workflow: there is no run to adopt; the dispatch below says the file is missing.
    if (error instanceof VcsError && error.kind === "not_found") return undefined;
    throw error;
  }
}

/**
 * Adopts a run an earlier attempt created, or dispatches a new one. Throws the VcsError of a failed
 * dispatch for the job to retry or give up on, or DispatchBusyError.
 */
export async function attemptDispatch(
  database: DatabaseClient,
  provider: VcsProvider,
  target: DispatchTarget,
  logger: Logger,
): Promise<DispatchAttempt> {
  const id = target.manifestId;
  // Everything under the lock runs on the lock's connection: a dispatch never waits for a second one.
  const lockKey = `terragate:dispatch:${id}`;
  const outcome = await withSessionLock(database, lockKey, async (db): Promise<DispatchAttempt> => {
    // Checked under the lock: the worker that held it before may have dispatched meanwhile.
    if (!(await isQueued(db, id))) return { type: "not_queued" };
    const attempts = await earlierAttempts(db, id);
    const [first] = attempts;
    const last = attempts.at(-1);
    if (first && last) {
      const run = await findEarlierRun(provider, target, first.createdAt);
      const sinceLast = last.now.getTime() - last.createdAt.getTime();
      if (!run && sinceLast < settleMs && !target.finalAttempt) {
        throw new DispatchSettlingError(
          `the previous dispatch attempt of work manifest ${id} was ${Math.round(sinceLast / 1000)} s ago; its run may not be listed yet, so this job looks again before dispatching`,
        );
      }
      if (run) {
        const attempt = attemptOf(attempts, run)!;
        await db.transaction(async (tx) => {
          await revokeWorkTokens(
            tx,
            id,
            `Terragate adopted run ${run.runId}, started by another dispatch attempt`,
            attempt.hash,
          );
          await tx
            .update(workTokens)
            .set({ revokedAt: null, revokedReason: null })
            .where(and(eq(workTokens.tokenHash, attempt.hash), isNull(workTokens.usedAt)));
          await bindWorkToken(tx, attempt.hash, run.runId);
          await markDispatched(tx, id, { runId: run.runId, runUrl: run.runUrl });
        });
        logger.info({ runId: run.runId }, "adopted the run an earlier dispatch attempt created");
        return { type: "dispatched", runId: run.runId, adopted: true };
      }
    }
    return dispatchNew(db, provider, target, attempts.length > 0);
  });
  if (outcome === undefined) {
    throw new DispatchBusyError(`another worker is dispatching work manifest ${id} right now`);
  }
  return outcome;
}

async function dispatchNew(
  db: Database,
  provider: VcsProvider,
  target: DispatchTarget,
  earlierAttempts: boolean,
): Promise<DispatchAttempt> {
  const id = target.manifestId;
  const { token, hash } = createWorkToken();
  const intent = {
    hash,
    workManifestId: id,
    installationId: target.installationId,
    expiresAt: new Date(Date.now() + workTokenLifetimeMs),
  };
  // The intent, committed before GitHub is called: one valid token, this attempt's. Without an
  // earlier attempt (read under the lock) there is no token to revoke, and the insert is all.
  if (earlierAttempts) {
    await db.transaction(async (tx) => {
      await revokeWorkTokens(tx, id, "a later dispatch of this work manifest replaced it");
      await insertWorkToken(tx, intent);
    });
  } else {
    await insertWorkToken(db, intent);
  }
  const run = await provider.dispatchWorkflow({
    workflowFile: target.dispatch.workflowFile,
    ref: target.defaultBranch,
    inputs: { "work-manifest-id": id, "api-base-url": target.publicUrl, "work-token": token },
  });
  // Without run details (older GitHub Enterprise Server) the run is looked up by its title once.
  const found =
    run.runId === null ? await findEarlierRun(provider, target, new Date(Date.now() - 60_000)) : undefined;
  const recorded = found ? { runId: found.runId, runUrl: found.runUrl } : run;
  await db.transaction(async (tx) => {
    await markDispatched(tx, id, recorded);
    if (recorded.runId !== null) await bindWorkToken(tx, hash, recorded.runId);
  });
  return { type: "dispatched", runId: recorded.runId, adopted: false };
}
