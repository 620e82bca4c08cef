// Database reads and writes behind the runner endpoints: manifests, tokens, plans and results.
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "../../db/client.ts";
import {
  locks,
  plans,
  pullRequests,
  repositories,
  workManifestDirspaces,
  workManifests,
} from "../../db/schema/index.ts";
import { defaultSteps, type ManifestKind, Workflow, type WorkflowStep } from "../../runner/protocol.ts";
import { platformFor } from "../../vcs/registry.ts";

export type WorkManifestRow = typeof workManifests.$inferSelect;
export type WorkManifestDirspaceRow = typeof workManifestDirspaces.$inferSelect;

/** The part of `work_manifests.run_config` the runner needs; anything else there is ignored. */
export const RunConfig = z.looseObject({
  parallelism: z.number().int().min(1).max(64).default(4),
  secret_env: z.array(z.string()).default([]),
  step_timeout_seconds: z.number().int().positive().max(86_400).default(3600),
});
export type RunConfig = z.infer<typeof RunConfig>;

/** A dirspace's stored workflow: either explicit steps, or the config's `plan`/`apply` lists. */
const StoredWorkflow = z.object({
  engine: Workflow.shape.engine,
  steps: z.array(z.unknown()).optional(),
  plan: z.array(z.unknown()).optional(),
  apply: z.array(z.unknown()).optional(),
  /** Drift only: the scheduler found this dirspace may be reconciled, so its apply steps follow the plan. */
  reconcile: z.boolean().optional(),
});

/** Resolves the steps a dirspace runs for a manifest kind; throws when the stored workflow is malformed. */
export function resolveWorkflow(stored: unknown, kind: ManifestKind): Workflow {
  const workflow = StoredWorkflow.parse(stored ?? {});
  const list = (name: "plan" | "apply") =>
    z.array(Workflow.shape.steps.element).parse(workflow[name] ?? defaultSteps[name]);
  let steps: WorkflowStep[];
  if (workflow.steps !== undefined) steps = Workflow.shape.steps.parse(workflow.steps);
  else if (kind === "plan") steps = list("plan");
  else if (kind === "apply") steps = list("apply");
  else if (kind === "drift") steps = workflow.reconcile ? [...list("plan"), ...list("apply")] : list("plan");
  else steps = [...list("plan"), ...list("apply")];
  return { engine: workflow.engine, steps };
}

/**
 * Why a drift run may not apply (reconcile) a dirspace now, or null when it may: the scheduler must
 * have found the dirspace's access policy allows it, and no pull request may hold its lock (drift
 * never applies under a PR's feet; the PR's apply goes first).
 */
export async function reconcileRefusal(
  db: Executor,
  manifest: WorkManifestRow,
  dir: string,
  workspace: string,
): Promise<string | null> {
  const [row] = await db
    .select({ workflow: workManifestDirspaces.workflow })
    .from(workManifestDirspaces)
    .where(
      and(
        eq(workManifestDirspaces.workManifestId, manifest.id),
        eq(workManifestDirspaces.dir, dir),
        eq(workManifestDirspaces.workspace, workspace),
      ),
    );
  if (!row) return null;
  const stored = StoredWorkflow.safeParse(row.workflow ?? {});
  if (!stored.success || stored.data.reconcile !== true) {
    return `${dir} (${workspace}) is not reconciled by drift runs: its access policy's reconcile list does not name app, or drift.reconcile is off`;
  }
  const [lock] = await db
    .select({ number: pullRequests.number })
    .from(locks)
    .innerJoin(pullRequests, eq(pullRequests.id, locks.pullRequestId))
    .where(
      and(eq(locks.repositoryId, manifest.repositoryId), eq(locks.dir, dir), eq(locks.workspace, workspace)),
    );
  if (lock) {
    const { changeRequest, reference } = platformFor(manifest.vcs).words;
    return `reconcile of ${dir} (${workspace}) refused: ${changeRequest} ${reference(lock.number)} holds its lock, so nothing was applied; a later drift run reconciles it once ${reference(lock.number)} is merged or closed`;
  }
  return null;
}

export async function findManifest(db: Executor, id: string): Promise<WorkManifestRow | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const [row] = await db.select().from(workManifests).where(eq(workManifests.id, id));
  return row;
}

export async function listManifestDirspaces(
  db: Executor,
  manifestId: string,
): Promise<WorkManifestDirspaceRow[]> {
  return db
    .select()
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, manifestId))
    .orderBy(workManifestDirspaces.dir, workManifestDirspaces.workspace);
}

export async function findRepository(db: Executor, id: number) {
  const [row] = await db.select().from(repositories).where(eq(repositories.id, id));
  return row;
}

export async function findPullRequest(db: Executor, id: number | null) {
  if (id === null) return undefined;
  const [row] = await db.select().from(pullRequests).where(eq(pullRequests.id, id));
  return row;
}

/**
 * Records that the run is about to apply a dirspace, only while the manifest is running: once the
 * server gave up on the run (and maybe released its locks) the runner must not apply.
 */
export async function markApplyStarted(
  db: Executor,
  id: string,
  dir: string,
  workspace: string,
): Promise<"recorded" | "not_running" | "unknown_dirspace"> {
  const rows = await db
    .update(workManifestDirspaces)
    .set({
      applyStartedAt: sql`coalesce(${workManifestDirspaces.applyStartedAt}, now())`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(workManifestDirspaces.workManifestId, id),
        eq(workManifestDirspaces.dir, dir),
        eq(workManifestDirspaces.workspace, workspace),
        sql`exists (select 1 from ${workManifests} m where m.id = ${id} and m.state = 'running')`,
      ),
    )
    .returning({ dir: workManifestDirspaces.dir });
  if (rows.length > 0) return "recorded";
  const known = (await listManifestDirspaces(db, id)).some((d) => d.dir === dir && d.workspace === workspace);
  return known ? "not_running" : "unknown_dirspace";
}

export interface StoredPlan {
  id: number;
  workManifestId: string;
  baseSha: string;
  headSha: string;
  hasChanges: boolean;
  sealed: Buffer;
}

/** The latest plan of a dirspace in a PR whose run succeeded for that dirspace. */
export async function latestSuccessfulPlan(
  db: Executor,
  pullRequestId: number,
  dir: string,
  workspace: string,
): Promise<StoredPlan | undefined> {
  const [row] = await db
    .select({
      id: plans.id,
      workManifestId: plans.workManifestId,
      baseSha: plans.baseSha,
      headSha: plans.headSha,
      hasChanges: plans.hasChanges,
      sealed: plans.sealed,
    })
    .from(plans)
    .innerJoin(
      workManifestDirspaces,
      and(
        eq(workManifestDirspaces.workManifestId, plans.workManifestId),
        eq(workManifestDirspaces.dir, plans.dir),
        eq(workManifestDirspaces.workspace, plans.workspace),
      ),
    )
    .where(
      and(
        eq(plans.pullRequestId, pullRequestId),
        eq(plans.dir, dir),
        eq(plans.workspace, workspace),
        eq(workManifestDirspaces.success, true),
      ),
    )
    .orderBy(desc(plans.createdAt), desc(plans.id))
    .limit(1);
  return row;
}

/** One stored plan by id, if it still exists and belongs to the PR. */
export async function planById(
  db: Executor,
  planId: number,
  pullRequestId: number | null,
): Promise<StoredPlan | undefined> {
  if (pullRequestId === null) return undefined;
  const [row] = await db
    .select({
      id: plans.id,
      workManifestId: plans.workManifestId,
      baseSha: plans.baseSha,
      headSha: plans.headSha,
      hasChanges: plans.hasChanges,
      sealed: plans.sealed,
    })
    .from(plans)
    .where(and(eq(plans.id, planId), eq(plans.pullRequestId, pullRequestId)));
  return row;
}

export function planContext(manifestId: string, dir: string, workspace: string): string {
  return `plan:${manifestId}:${dir}:${workspace}`;
}
