// The audit entry of an apply: who asked, in which PR, which dirspaces with which plan, and how it ended.
import { eq } from "drizzle-orm";
import type { Executor } from "../db/client.ts";
import { recordAudit } from "../db/queries/audit-log.ts";
import { pullRequests, repositories, workManifestDirspaces, workManifests } from "../db/schema/index.ts";

/**
 * Appends the `apply` entry of a finished apply (or auto-approved) manifest, in the transaction that
 * finished it and after its dirspaces were settled; plan manifests are not audited.
 */
export async function recordApplyAudit(tx: Executor, manifestId: string): Promise<void> {
  const [manifest] = await tx
    .select({
      installationId: workManifests.installationId,
      vcs: workManifests.vcs,
      kind: workManifests.kind,
      state: workManifests.state,
      requestedBy: workManifests.requestedBy,
      headSha: workManifests.headSha,
      failureReason: workManifests.failureReason,
      repo: repositories.fullName,
      pullRequest: pullRequests.number,
    })
    .from(workManifests)
    .innerJoin(repositories, eq(repositories.id, workManifests.repositoryId))
    .leftJoin(pullRequests, eq(pullRequests.id, workManifests.pullRequestId))
    .where(eq(workManifests.id, manifestId));
  if (!manifest || manifest.kind === "plan") return;
  const dirspaces = await tx
    .select({
      dir: workManifestDirspaces.dir,
      workspace: workManifestDirspaces.workspace,
      planId: workManifestDirspaces.planId,
      state: workManifestDirspaces.state,
      applyStarted: workManifestDirspaces.applyStartedAt,
    })
    .from(workManifestDirspaces)
    .where(eq(workManifestDirspaces.workManifestId, manifestId))
    .orderBy(workManifestDirspaces.dir, workManifestDirspaces.workspace);
  await recordAudit(tx, {
    installationId: manifest.installationId,
    actor: `${manifest.vcs}:${manifest.requestedBy}`,
    action: "apply",
    target: {
      repo: manifest.repo,
      pull_request: manifest.pullRequest,
      work_manifest: manifestId,
      kind: manifest.kind,
      head_sha: manifest.headSha,
      result: manifest.state,
      reason: manifest.failureReason,
      dirspaces: dirspaces.map((dirspace) => ({
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        plan_id: dirspace.planId,
        result: dirspace.state,
        apply_started: dirspace.applyStarted !== null,
      })),
    },
  });
}
