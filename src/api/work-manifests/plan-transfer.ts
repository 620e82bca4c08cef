// Plans between runner and server: a plan run's upload stored sealed, an apply's download checked against its shas.
import { sql } from "drizzle-orm";
import { seal, unseal } from "../../crypto/seal.ts";
import { plans } from "../../db/schema/index.ts";
import type { PlanUpload } from "../../runner/protocol.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { AppDeps } from "../app.ts";
import {
  latestSuccessfulPlan,
  listManifestDirspaces,
  planById,
  planContext,
  type StoredPlan,
  type WorkManifestRow,
} from "./manifest-store.ts";
import { RunnerApiError } from "./runner-auth.ts";

const PLAN_RETENTION_DAYS = 14;

/** Stores one dirspace's plan (replacing an earlier upload of the same run); returns its size. */
export async function storeUploadedPlan(
  deps: AppDeps,
  manifest: WorkManifestRow,
  upload: PlanUpload,
): Promise<number> {
  const { db } = deps.database;
  const id = manifest.id;
  const dirspaces = await listManifestDirspaces(db, id);
  if (!dirspaces.some((d) => d.dir === upload.dir && d.workspace === upload.workspace)) {
    throw new RunnerApiError(
      400,
      `${upload.dir} (${upload.workspace}) is not a dirspace of work manifest ${id}`,
      [{ path: "dir", message: "not in this manifest" }],
    );
  }
  const planBytes = Buffer.from(upload.plan, "base64");
  const maxBytes = deps.config.TERRAGATE_PLAN_MAX_BYTES;
  if (planBytes.length > maxBytes) {
    throw new RunnerApiError(
      413,
      `the plan is ${planBytes.length} bytes, over the server's limit of ${maxBytes} (TERRAGATE_PLAN_MAX_BYTES)`,
    );
  }
  const sealed = seal(deps.encryptionKey, planBytes, planContext(id, upload.dir, upload.workspace));
  await db.transaction(async (tx) => {
    await tx
      .delete(plans)
      .where(
        sql`${plans.workManifestId} = ${id} and ${plans.dir} = ${upload.dir} and ${plans.workspace} = ${upload.workspace}`,
      );
    await tx.insert(plans).values({
      installationId: manifest.installationId,
      repositoryId: manifest.repositoryId,
      pullRequestId: manifest.pullRequestId,
      workManifestId: id,
      dir: upload.dir,
      workspace: upload.workspace,
      baseSha: manifest.baseSha,
      headSha: manifest.headSha,
      hasChanges: upload.has_changes,
      sealed,
      sizeBytes: planBytes.length,
      expiresAt: new Date(Date.now() + PLAN_RETENTION_DAYS * 86_400_000),
    });
  });
  return planBytes.length;
}

/** The plan an apply manifest applies in one dirspace, unsealed, refused when its shas are not the apply's. */
export async function planForApply(
  deps: AppDeps,
  manifest: WorkManifestRow,
  dir: string,
  workspace: string,
): Promise<{ plan: StoredPlan; bytes: Buffer }> {
  const { db } = deps.database;
  const dirspace = (await listManifestDirspaces(db, manifest.id)).find(
    (d) => d.dir === dir && d.workspace === workspace,
  );
  if (!dirspace) {
    throw new RunnerApiError(404, `${dir} (${workspace}) is not a dirspace of work manifest ${manifest.id}`);
  }
  // Exactly the plan the evaluator validated for this apply (manifests from before plans were
  // recorded fall back to the latest successful one, still checked against the shas below).
  const plan =
    dirspace.planId !== null
      ? await planById(db, dirspace.planId, manifest.pullRequestId)
      : manifest.pullRequestId === null
        ? undefined
        : await latestSuccessfulPlan(db, manifest.pullRequestId, dir, workspace);
  if (!plan) {
    throw new RunnerApiError(
      404,
      `there is no successful plan of ${dir} (${workspace}) in this ${platformFor(manifest.vcs).words.changeRequestShort}; comment \`terragate plan\``,
    );
  }
  if (plan.headSha !== manifest.headSha || plan.baseSha !== manifest.baseSha) {
    throw new RunnerApiError(
      409,
      `the stored plan of ${dir} (${workspace}) is from ${plan.headSha.slice(0, 7)} (base ${plan.baseSha.slice(0, 7)}), but this apply is for ${manifest.headSha.slice(0, 7)} (base ${manifest.baseSha.slice(0, 7)}); comment \`terragate plan\``,
    );
  }
  return {
    plan,
    bytes: unseal(deps.encryptionKey, plan.sealed, planContext(plan.workManifestId, dir, workspace)),
  };
}
