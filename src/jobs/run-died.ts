// A CI run that ended (failed, cancelled, or finished without reporting): fail its manifest so nothing stays pending.
import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { repositories, workManifests } from "../db/schema/index.ts";
import { platformFor } from "../vcs/registry.ts";
import type { WorkflowJobEvent } from "../vcs/types.ts";
import { failDeadManifest } from "./manifest-lifecycle.ts";

const deadConclusions = new Set(["failure", "cancelled", "timed_out", "startup_failure", "action_required"]);

export interface RunDiedDeps {
  database: { db: Database };
}

/** Why the manifests of an ended run fail, in the VCS's words ("CI run"/"pipeline"); undefined when the run did not die. */
export function runDiedReason(event: WorkflowJobEvent): string | undefined {
  if (event.action !== "completed") return undefined;
  const conclusion = event.conclusion ?? "unknown";
  const words = platformFor(event.installation.vcs).words;
  if (deadConclusions.has(conclusion)) {
    return `the ${words.ciRun} ended with "${conclusion}" before reporting results (${event.runUrl}); see its log, then comment \`terragate plan\` to try again`;
  }
  // A whole run that finished while its manifest still waits never sent results (the step was skipped or crashed).
  if (event.source === "workflow_run") {
    return `the ${words.ciRun} finished (${conclusion}) without reporting results (${event.runUrl}); check ${words.runnerSetup}, then comment \`terragate plan\``;
  }
  return undefined;
}

/** Fails the manifests of the ended run that are still dispatched or running; returns their ids. */
export async function handleRunDied(deps: RunDiedDeps, event: WorkflowJobEvent): Promise<string[]> {
  const reason = runDiedReason(event);
  if (!reason) return [];
  const { db } = deps.database;
  const manifests = await db
    .select({ id: workManifests.id })
    .from(workManifests)
    .innerJoin(repositories, eq(repositories.id, workManifests.repositoryId))
    .where(
      and(
        eq(workManifests.vcs, event.installation.vcs),
        eq(repositories.externalId, event.repo.externalId),
        eq(workManifests.runId, event.runId),
        inArray(workManifests.state, ["dispatched", "running"]),
      ),
    );
  const failed: string[] = [];
  for (const manifest of manifests) {
    if (await db.transaction((tx) => failDeadManifest(tx, manifest.id, reason))) failed.push(manifest.id);
  }
  return failed;
}

/** The evaluator's entry point for workflow_job / workflow_run events (src/evaluator/handle-run-event.ts). */
export async function handleRunEvent(deps: RunDiedDeps, event: WorkflowJobEvent): Promise<void> {
  await handleRunDied(deps, event);
}
