// Creating work manifests with their dirspaces, and recording the check runs and the dispatched CI run.
import { and, eq, sql } from "drizzle-orm";
import { currentTraceparent } from "../../tracing/tracing.ts";
import type { Executor } from "../client.ts";
import { type WorkManifestKind, workManifestDirspaces, workManifests } from "../schema/index.ts";
import type { Vcs } from "../schema/installations.ts";

export interface NewManifestDirspace {
  dir: string;
  workspace: string;
  tags: string[];
  /** `{ engine, plan, apply }` as the runner endpoints resolve it. */
  workflow: Record<string, unknown>;
  /** Apply only: the stored plan the evaluator validated. */
  planId: number | null;
}

export interface NewWorkManifest {
  installationId: number;
  repositoryId: number;
  pullRequestId: number | null;
  vcs: Vcs;
  kind: WorkManifestKind;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  requestedBy: string;
  tagQuery: string;
  commentId: string | null;
  runConfig: Record<string, unknown>;
  dirspaces: NewManifestDirspace[];
}

/**
 * Inserts the manifest and its dirspaces; call inside the transaction that also adds its dispatch
 * job. Returns null, inserting nothing, when a unique index says the run exists already: the comment
 * already started one (repository, comment id), so two deliveries of one comment can never both
 * insert; or, for drift, the repository has a drift run in flight.
 */
export async function insertWorkManifest(
  executor: Executor,
  manifest: NewWorkManifest,
): Promise<string | null> {
  const { dirspaces, ...row } = manifest;
  const [inserted] = await executor
    .insert(workManifests)
    .values({ ...row, traceParent: currentTraceparent() ?? null })
    .onConflictDoNothing()
    .returning({ id: workManifests.id });
  if (!inserted) return null;
  if (dirspaces.length > 0) {
    await executor.insert(workManifestDirspaces).values(
      dirspaces.map((dirspace) => ({
        workManifestId: inserted.id,
        installationId: manifest.installationId,
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        tags: dirspace.tags,
        workflow: dirspace.workflow,
        planId: dirspace.planId,
      })),
    );
  }
  return inserted.id;
}

export async function setDirspaceCheckRunIds(
  executor: Executor,
  manifestId: string,
  checkRuns: Array<{ dir: string; workspace: string; checkRunId: string }>,
): Promise<void> {
  for (const checkRun of checkRuns) {
    await executor
      .update(workManifestDirspaces)
      .set({ checkRunId: checkRun.checkRunId })
      .where(
        and(
          eq(workManifestDirspaces.workManifestId, manifestId),
          eq(workManifestDirspaces.dir, checkRun.dir),
          eq(workManifestDirspaces.workspace, checkRun.workspace),
        ),
      );
  }
}

export async function setAggregateCheckRunId(
  executor: Executor,
  manifestId: string,
  checkRunId: string,
): Promise<void> {
  await executor
    .update(workManifests)
    .set({ aggregateCheckRunId: checkRunId, updatedAt: sql`now()` })
    .where(eq(workManifests.id, manifestId));
}

/**
 * The run a comment already started, if any: a replay of the comment under another delivery id is
 * answered with nothing at all. Only a shortcut; insertWorkManifest's unique index is the guarantee.
 */
export async function runOfComment(
  executor: Executor,
  comment: { vcs: Vcs; repositoryExternalId: string; commentId: string },
): Promise<string | null> {
  const rows = await executor.execute<{ id: string }>(sql`
    select m.id from work_manifests m
    join repositories r on r.id = m.repository_id
    where r.vcs = ${comment.vcs} and r.external_id = ${comment.repositoryExternalId}
      and m.comment_id = ${comment.commentId}
    limit 1`);
  return [...rows][0]?.id ?? null;
}

/** What a status of ours stands for, found by its external id (the manifest) and its own id. */
export type StatusTarget =
  | { kind: WorkManifestKind; scope: "dirspace"; dirspace: { dir: string; workspace: string } }
  | { kind: WorkManifestKind; scope: "aggregate" };

/**
 * The manifest and dirspace behind a status, matched by the manifest id the status carries as its
 * external id and the status id stored with the dirspace; null when it is not one of this repository's.
 */
export async function statusTarget(
  executor: Executor,
  status: { vcs: Vcs; repositoryExternalId: string; manifestId: string; statusId: string },
): Promise<StatusTarget | null> {
  if (!/^[0-9a-f-]{36}$/i.test(status.manifestId)) return null;
  const rows = await executor.execute<{
    kind: WorkManifestKind;
    aggregate: boolean;
    dir: string | null;
    workspace: string | null;
  }>(sql`
    select m.kind, m.aggregate_check_run_id = ${status.statusId} as aggregate, d.dir, d.workspace
    from work_manifests m
    join repositories r on r.id = m.repository_id
    left join work_manifest_dirspaces d on d.work_manifest_id = m.id and d.check_run_id = ${status.statusId}
    where m.id = ${status.manifestId} and r.vcs = ${status.vcs} and r.external_id = ${status.repositoryExternalId}
    limit 1`);
  const row = [...rows][0];
  if (!row) return null;
  if (row.aggregate) return { kind: row.kind, scope: "aggregate" };
  if (row.dir === null || row.workspace === null) return null;
  return { kind: row.kind, scope: "dirspace", dirspace: { dir: row.dir, workspace: row.workspace } };
}
