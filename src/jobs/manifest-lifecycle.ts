// The work manifest lifecycle: its states, the moves allowed between them, and one function per move.
// Every change of work_manifests.state goes through here (a test greps for any other), and each move
// adds the job that must follow it in the caller's transaction: committed together or not at all.
//
//   queued ──dispatch──▶ dispatched ──start──▶ running ──finish──▶ completed | failed
//     │                      │                    │
//     ├─dispatchFailed─▶ failed                   │
//     └──────────abort (aborted | failed), fail (failed): from any unfinished state
//
// A drift manifest (no PR) takes the same path; nothing here needs a pull request.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Executor } from "../db/client.ts";
import { workManifestDirspaces, workManifests } from "../db/schema/index.ts";
import type { WorkManifestKind, WorkManifestState } from "../db/schema/work-manifests.ts";
import { addJob } from "./add-job.ts";
import { recordApplyAudit } from "./apply-audit.ts";
import { applyingDirspaces, deadRunReason, settleDeadDirspaces } from "./fail-manifest.ts";
import { queueReport } from "./queue-report.ts";

export type ManifestState = WorkManifestState;

export const finishedStates = ["completed", "failed", "aborted"] as const satisfies readonly ManifestState[];
export type FinishedState = (typeof finishedStates)[number];
const unfinished = ["queued", "dispatched", "running"] as const satisfies readonly ManifestState[];

/** Each move: the states it leaves from and the states it may end in. */
export const manifestMoves = {
  dispatch: { from: ["queued"], to: ["dispatched"] },
  dispatchFailed: { from: ["queued"], to: ["failed"] },
  start: { from: ["dispatched"], to: ["running"] },
  finish: { from: unfinished, to: ["completed", "failed"] },
  abort: { from: unfinished, to: ["aborted", "failed"] },
  fail: { from: unfinished, to: ["failed"] },
} as const satisfies Record<string, { from: readonly ManifestState[]; to: readonly ManifestState[] }>;
export type ManifestMove = keyof typeof manifestMoves;

export function isFinished(state: ManifestState): state is FinishedState {
  return (finishedStates as readonly string[]).includes(state);
}

/** graphile-worker attempts for dispatch-run: about half an hour of exponential backoff in all. */
export const dispatchMaxAttempts = 8;

/**
 * The one UPDATE of work_manifests.state: moves the manifest when it is in one of the move's source
 * states; returns the moved row, or undefined when it was elsewhere (someone else moved it first).
 */
async function move<M extends ManifestMove>(
  tx: Executor,
  manifestId: string,
  name: M,
  to: (typeof manifestMoves)[M]["to"][number],
  set: Omit<PgUpdateSetSource<typeof workManifests>, "state" | "updatedAt"> = {},
): Promise<Moved | undefined> {
  const [moved] = await tx
    .update(workManifests)
    .set({ ...set, state: to, updatedAt: sql`now()` })
    .where(
      and(
        eq(workManifests.id, manifestId),
        inArray(workManifests.state, [...manifestMoves[name].from] as ManifestState[]),
      ),
    )
    .returning({
      id: workManifests.id,
      pullRequestId: workManifests.pullRequestId,
      kind: workManifests.kind,
      repositoryId: workManifests.repositoryId,
    });
  return moved;
}

interface Moved {
  id: string;
  pullRequestId: number | null;
  repositoryId: number;
  kind: WorkManifestKind;
}

/** Every finished apply is audited, however it ended; call once its dirspaces are settled. */
async function auditIfApply(tx: Executor, moved: Moved): Promise<void> {
  if (moved.kind !== "plan") await recordApplyAudit(tx, moved.id);
}

/** Marks the dirspaces that had not finished as aborted, without a result. */
async function abortOpenDirspaces(tx: Executor, manifestId: string): Promise<void> {
  await tx
    .update(workManifestDirspaces)
    .set({ state: "aborted", success: false, updatedAt: sql`now()` })
    .where(
      and(
        eq(workManifestDirspaces.workManifestId, manifestId),
        inArray(workManifestDirspaces.state, ["queued", "running"]),
      ),
    );
}

/** A new (queued) manifest: its dispatch job, in the transaction that created it. */
export async function queueDispatch(tx: Executor, manifestId: string): Promise<void> {
  await addJob(
    tx,
    "dispatch-run",
    { workManifestId: manifestId },
    { jobKey: `dispatch-run:${manifestId}`, maxAttempts: dispatchMaxAttempts },
  );
}

/** queued → dispatched, with the CI run when the VCS returned it; false if the manifest already moved on. */
export async function markDispatched(
  tx: Executor,
  manifestId: string,
  run: { runId: string | null; runUrl: string | null },
): Promise<boolean> {
  const moved = await move(tx, manifestId, "dispatch", "dispatched", {
    dispatchedAt: sql`now()`,
    ...(run.runId ? { runId: run.runId } : {}),
    ...(run.runUrl ? { runUrl: run.runUrl } : {}),
  });
  return moved !== undefined;
}

/** queued → failed: the run could not be dispatched (dispatch-run then concludes the statuses itself). */
export async function markDispatchFailed(tx: Executor, manifestId: string, reason: string): Promise<boolean> {
  const moved = await move(tx, manifestId, "dispatchFailed", "failed", {
    failureReason: reason,
    completedAt: sql`now()`,
  });
  if (!moved) return false;
  await abortOpenDirspaces(tx, manifestId);
  await auditIfApply(tx, moved);
  return true;
}

/**
 * dispatched → running for the run that initiated; false when another initiate won (or the manifest
 * finished meanwhile): a manifest starts once.
 */
export async function markRunning(tx: Executor, manifestId: string, runId: string): Promise<boolean> {
  const moved = await move(tx, manifestId, "start", "running", {
    runId,
    startedAt: sql`now()`,
  });
  if (!moved) return false;
  await tx
    .update(workManifestDirspaces)
    .set({ state: "running", updatedAt: sql`now()` })
    .where(
      and(eq(workManifestDirspaces.workManifestId, manifestId), eq(workManifestDirspaces.state, "queued")),
    );
  return true;
}

/**
 * The run reported: → completed or failed, then `storeDirspaces` writes the dirspaces' results (the
 * manifest row is locked first, as every other move does), its report is queued and an apply audited;
 * false when it had already finished (nothing is stored then).
 */
export async function finishWithResults(
  tx: Executor,
  manifestId: string,
  state: "completed" | "failed",
  failureReason: string | null,
  storeDirspaces: () => Promise<void> = async () => {},
): Promise<boolean> {
  const moved = await move(tx, manifestId, "finish", state, {
    failureReason,
    completedAt: sql`now()`,
  });
  if (!moved) return false;
  await storeDirspaces();
  await queueReport(tx, moved);
  await auditIfApply(tx, moved);
  return true;
}

/**
 * A manifest that must not run (PR moved or closed, broken workflow): → aborted (or failed), its
 * dirspaces aborted and its report queued; false when it had already finished.
 */
export async function abortManifest(
  tx: Executor,
  manifestId: string,
  reason: string,
  state: "aborted" | "failed" = "aborted",
): Promise<boolean> {
  const moved = await move(tx, manifestId, "abort", state, {
    failureReason: reason,
    completedAt: sql`now()`,
  });
  if (!moved) return false;
  await tx
    .update(workManifestDirspaces)
    .set({ state: "aborted", updatedAt: sql`now()` })
    .where(eq(workManifestDirspaces.workManifestId, manifestId));
  await queueReport(tx, moved);
  await auditIfApply(tx, moved);
  return true;
}

/**
 * A run that died (CI run ended without results, or the sweeper's timeouts): → failed, its dirspaces
 * settled (an apply that started keeps its lock), its report queued.
 */
export async function failDeadManifest(tx: Executor, manifestId: string, reason: string): Promise<boolean> {
  const applying = await applyingDirspaces(tx, manifestId);
  const moved = await move(tx, manifestId, "fail", "failed", {
    failureReason: deadRunReason(reason, applying),
    completedAt: sql`now()`,
  });
  if (!moved) return false;
  await settleDeadDirspaces(tx, manifestId, applying);
  await queueReport(tx, moved);
  await auditIfApply(tx, moved);
  return true;
}
