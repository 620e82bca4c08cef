// Storing a run's results: per-dirspace rows, the manifest's final state, and the report job, in one transaction.
// Keyed by manifest and dirspace: a dirspace's result is stored once, and a repeated upload (the runner
// retrying after a lost answer) changes nothing and answers as the first one did.
import { and, eq, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.ts";
import { type WorkManifestState, workManifestDirspaces } from "../../db/schema/index.ts";
import { finishWithResults, isFinished } from "../../jobs/manifest-lifecycle.ts";
import type { DirspaceResult, ResultsBody } from "../../runner/protocol.ts";
import {
  findManifest,
  listManifestDirspaces,
  type WorkManifestDirspaceRow,
  type WorkManifestRow,
} from "./manifest-store.ts";

export type StoreResultsOutcome =
  /** `stored`: dirspace results written by this call (0 for a repeat). */
  | { type: "stored"; state: WorkManifestState; stored: number }
  | { type: "conflict"; reason: string }
  | { type: "invalid"; issues: Array<{ path: string; message: string }> };

class ConflictSignal extends Error {}

function key(dir: string, workspace: string): string {
  return `${dir}\u0000${workspace}`;
}

/** Validates that results name this manifest's dirspaces (once each), then stores them. */
export async function storeResults(
  db: Database,
  manifest: WorkManifestRow,
  dirspaces: WorkManifestDirspaceRow[],
  body: ResultsBody,
): Promise<StoreResultsOutcome> {
  const known = new Set(dirspaces.map((d) => key(d.dir, d.workspace)));
  const seen = new Set<string>();
  const issues: Array<{ path: string; message: string }> = [];
  body.dirspaces.forEach((result, index) => {
    const k = key(result.dir, result.workspace);
    if (!known.has(k)) {
      issues.push({
        path: `dirspaces.${index}`,
        message: `${result.dir} (${result.workspace}) is not in this manifest`,
      });
    } else if (seen.has(k)) {
      issues.push({
        path: `dirspaces.${index}`,
        message: `${result.dir} (${result.workspace}) is reported twice`,
      });
    }
    seen.add(k);
  });
  if (issues.length > 0) return { type: "invalid", issues };
  if (isFinished(manifest.state)) return repeatOrConflict(manifest, dirspaces, body);

  const results = new Map(body.dirspaces.map((result) => [key(result.dir, result.workspace), result]));
  const missing = dirspaces.filter((d) => !results.has(key(d.dir, d.workspace)));
  const failed = [
    ...body.dirspaces.filter((result) => !result.success).map((r) => `${r.dir} (${r.workspace})`),
    ...missing.map((d) => `${d.dir} (${d.workspace})`),
  ];
  const state = failed.length === 0 && body.error === undefined ? "completed" : "failed";
  const reason =
    state === "completed"
      ? null
      : [body.error, failed.length > 0 ? `failed: ${failed.join(", ")}` : undefined]
          .filter(Boolean)
          .join("; ");

  try {
    await db.transaction(async (tx) => {
      const finished = await finishWithResults(tx, manifest.id, state, reason, () =>
        storeDirspaceResults(tx, manifest.id, dirspaces, results, body.error),
      );
      if (!finished) throw new ConflictSignal();
    });
  } catch (error) {
    if (!(error instanceof ConflictSignal)) throw error;
    // Finished meanwhile: by this very upload sent twice at once (a repeat), or by someone else.
    const now = await findManifest(db, manifest.id);
    if (!now) return { type: "conflict", reason: `work manifest ${manifest.id} is gone` };
    return repeatOrConflict(now, await listManifestDirspaces(db, manifest.id), body);
  }
  return { type: "stored", state, stored: body.dirspaces.length };
}

/** A finished manifest: a repeat of results it already holds is a no-op; anything new is refused. */
function repeatOrConflict(
  manifest: WorkManifestRow,
  dirspaces: WorkManifestDirspaceRow[],
  body: ResultsBody,
): StoreResultsOutcome {
  const reported = new Set(
    dirspaces.filter((d) => d.reportedAt !== null).map((d) => key(d.dir, d.workspace)),
  );
  const fresh = body.dirspaces.filter((result) => !reported.has(key(result.dir, result.workspace)));
  if (fresh.length === 0) return { type: "stored", state: manifest.state, stored: 0 };
  const why = manifest.failureReason ? ` (${manifest.failureReason})` : "";
  return {
    type: "conflict",
    reason: `work manifest ${manifest.id} was already ${manifest.state}${why} before these results arrived; results are accepted once`,
  };
}

/** Writes each dirspace's result (or a failure when the run reported none) once. */
async function storeDirspaceResults(
  tx: Executor,
  manifestId: string,
  dirspaces: WorkManifestDirspaceRow[],
  results: Map<string, DirspaceResult>,
  error: string | undefined,
): Promise<void> {
  for (const dirspace of dirspaces) {
    if (dirspace.reportedAt !== null) continue;
    const result: DirspaceResult | undefined = results.get(key(dirspace.dir, dirspace.workspace));
    const failedStep = result?.steps.find((step) => !step.success);
    const lastStep = result?.steps.at(-1);
    await tx
      .update(workManifestDirspaces)
      .set(
        result
          ? {
              state: result.success ? "success" : "failure",
              success: result.success,
              hasChanges: result.has_changes ?? null,
              summary: result.summary ?? null,
              steps: result.steps,
              outputs: result.outputs ?? null,
              exitCode: (failedStep ?? lastStep)?.exit_code ?? null,
              reportedAt: sql`now()`,
              updatedAt: sql`now()`,
            }
          : {
              state: "failure",
              success: false,
              steps: [
                {
                  name: "result",
                  success: false,
                  exit_code: null,
                  output: error ?? "the run reported no result for this dirspace",
                },
              ],
              updatedAt: sql`now()`,
            },
      )
      .where(
        and(
          eq(workManifestDirspaces.workManifestId, manifestId),
          eq(workManifestDirspaces.dir, dirspace.dir),
          eq(workManifestDirspaces.workspace, dirspace.workspace),
        ),
      );
  }
}
