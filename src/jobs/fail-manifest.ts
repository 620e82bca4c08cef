// Failing a manifest whose run died: finish it, release the locks it took without applying, queue the report.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { workManifestDirspaces, workManifests } from "../db/schema/index.ts";
import { queueReport } from "./queue-report.ts";

/**
 * Releases the locks this manifest took when nothing was applied under them: a lock stays only where
 * an apply of the same PR actually ran on that dirspace (its infrastructure may have changed).
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
          and d.state in ('success', 'failure')
      )
    returning l.dir`);
  return [...released].length;
}

/** Marks a dispatched or running manifest failed with `reason`; false when it had already finished. */
export async function failDeadManifest(tx: Executor, manifestId: string, reason: string): Promise<boolean> {
  const updated = await tx
    .update(workManifests)
    .set({ state: "failed", failureReason: reason, completedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(workManifests.id, manifestId),
        inArray(workManifests.state, ["queued", "dispatched", "running"]),
      ),
    )
    .returning({ id: workManifests.id, pullRequestId: workManifests.pullRequestId });
  const [failed] = updated;
  if (!failed) return false;
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
  await queueReport(tx, failed);
  return true;
}
