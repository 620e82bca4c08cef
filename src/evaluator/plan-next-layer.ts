// After a run of a layered PR completes: plan the next stack layer if what it depends on is now applied.
import { eq } from "drizzle-orm";
import { installations, pullRequests, repositories, workManifests } from "../db/schema/index.ts";
import { type AutoplanOutcome, autoplan } from "./autoplan.ts";
import type { EvaluatorContext } from "./context.ts";
import { loadRepoState } from "./load-repo-state.ts";

/**
 * Plans, for the PR's author, the changed dirspaces whose dependencies are all applied and that have
 * no plan at the head made after `manifestId` started — on the open PR, or on the merged PR when the
 * repository applies after merge (its layers are applied there). Safe to run again (a retry after a
 * crash finds the plan it started and starts nothing): plans in flight count as planned.
 */
export async function planNextLayer(context: EvaluatorContext, manifestId: string): Promise<AutoplanOutcome> {
  const db = context.database.db;
  const [row] = await db
    .select({
      manifest: workManifests,
      repository: repositories,
      installation: installations,
      pullRequest: pullRequests,
    })
    .from(workManifests)
    .innerJoin(repositories, eq(repositories.id, workManifests.repositoryId))
    .innerJoin(installations, eq(installations.id, workManifests.installationId))
    .innerJoin(pullRequests, eq(pullRequests.id, workManifests.pullRequestId))
    .where(eq(workManifests.id, manifestId));
  if (!row) return { kind: "ignored", reason: "the run is gone" };
  const provider = await context.providerFor(row.installation, row.repository.owner, row.repository.name);
  const pullRequest = await provider.getPullRequest(row.pullRequest.number);
  // A merged PR goes on to the decision: it plans the next layer when the repository applies after merge.
  if (pullRequest.state === "closed") return { kind: "ignored", reason: "the pull request is closed" };
  // A push since then is planned by its own event, from its first layer.
  if (pullRequest.headSha !== row.manifest.headSha) return { kind: "ignored", reason: "the head moved" };
  const state = await loadRepoState(
    provider,
    row.repository.defaultBranch,
    pullRequest,
    context.moduleIndexes,
  );
  if (!state.ok) return { kind: "ignored", reason: "the config does not parse" };
  return autoplan(context, {
    provider,
    repository: row.repository,
    pullRequestRow: row.pullRequest,
    pullRequest,
    defaultBranch: row.repository.defaultBranch,
    state,
    trigger: "next_layer",
    replanBefore: row.manifest.createdAt,
  });
}
