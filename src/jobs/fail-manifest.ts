// The dirspaces and locks of a manifest whose run died (the manifest's own move is in manifest-lifecycle.ts).
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { workManifestDirspaces } from "../db/schema/index.ts";

/**
 * Releases the locks this manifest took when nothing was applied under them: a lock stays where an
 * apply of the same PR ran on that dirspace, or started and never said how it ended (its
 * infrastructure may have changed).
 */
export async function releaseUnusedLocks(tx: Executor, manifestId: string): Promise<number> {
  const released = await tx.execute(sql`
    delete from locks l
    where l.work_manifest_id = ${manifestId}
      and not exists (
        select 1
        from work_manifest_dirspaces d
        join work_manifests m on m.id = d.work_manifest_id
        where m.pull_request_id = l.pull_request_id
          and m.kind in ('apply', 'autoapprove')
          and d.dir = l.dir and d.workspace = l.workspace
          and (d.state in ('success', 'failure') or d.apply_started_at is not null)
      )
    returning l.dir`);
  return [...released].length;
}

/** What the PR and the check run say about a dirspace whose run died after its apply started. */
export function applyMayHaveHappened(dir: string, workspace: string): string {
  return [
    `The run stopped after the apply of ${dir} (${workspace}) started, before it reported how the apply ended: the apply may have happened, fully or in part.`,
    `Its lock stays. To check: read the end of the run's log; then comment \`terragate plan\` (a plan without changes means the apply went through).`,
    "Comment `terragate apply` to finish it, or `terragate unlock` once you know the state is what you want.",
  ].join("\n");
}

/** The dirspaces of a manifest whose apply started and never said how it ended. */
export async function applyingDirspaces(
  tx: Executor,
  manifestId: string,
): Promise<Array<{ dir: string; workspace: string }>> {
  return tx
    .select({ dir: workManifestDirspaces.dir, workspace: workManifestDirspaces.workspace })
    .from(workManifestDirspaces)
    .where(
      and(
        eq(workManifestDirspaces.workManifestId, manifestId),
        inArray(workManifestDirspaces.state, ["queued", "running"]),
        isNotNull(workManifestDirspaces.applyStartedAt),
      ),
    );
}

/** The failure reason of a dead run, saying where an apply may have happened. */
export function deadRunReason(reason: string, applying: Array<{ dir: string; workspace: string }>): string {
  return applying.length === 0
    ? reason
    : `${reason}. The apply had started on ${applying.map((d) => `${d.dir} (${d.workspace})`).join(", ")}: it may have happened, so the lock stays.`;
}

/**
 * The dirspaces of a run that died: one whose apply had started is failed (not aborted) and says the
 * apply may have happened, keeping its lock; the others are aborted and their unused locks released.
 */
export async function settleDeadDirspaces(
  tx: Executor,
  manifestId: string,
  applying: Array<{ dir: string; workspace: string }>,
): Promise<void> {
  for (const dirspace of applying) {
    await tx
      .update(workManifestDirspaces)
      .set({
        state: "failure",
        success: false,
        steps: [
          {
            name: "apply",
            success: false,
            exit_code: null,
            output: applyMayHaveHappened(dirspace.dir, dirspace.workspace),
          },
        ],
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(workManifestDirspaces.workManifestId, manifestId),
          eq(workManifestDirspaces.dir, dirspace.dir),
          eq(workManifestDirspaces.workspace, dirspace.workspace),
        ),
      );
  }
  await tx
    .update(workManifestDirspaces)
    .set({ state: "aborted", success: false, updatedAt: sql`now()` })
    .where(
      and(
        eq(workManifestDirspaces.workManifestId, manifestId),
        inArray(workManifestDirspaces.state, ["queued", "running"]),
      ),
    );
  await releaseUnusedLocks(tx, manifestId);
}
