// pull_request events: keep the PR row current, release locks when it closes, autoplan when it opens or moves.

import { acquireLocks, releasePullRequestLocks } from "../db/queries/dirspace-locks.ts";
import { appliedDirspaces } from "../db/queries/plan-history.ts";
import {
  type PullRequestRow,
  type RepositoryRow,
  upsertInstallation,
  upsertPullRequest,
  upsertRepository,
} from "../db/queries/vcs-sync.ts";
import { dirspaceKey } from "../domain/dirspace.ts";
import { locksOnMerge, releasesLocksOn } from "../domain/locks.ts";
import { configErrorMarker, renderConfigError } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import type { PrEvent } from "../vcs/types.ts";
import { autoplan } from "./autoplan.ts";
import type { EvaluatorContext } from "./context.ts";
import { prefetchRole } from "./gather-facts.ts";
import { loadRepoState } from "./load-repo-state.ts";

export type PrOutcome =
  | { kind: "refused" }
  | { kind: "released"; count: number }
  | { kind: "locked_on_merge"; count: number }
  | { kind: "ignored"; reason: string }
  | { kind: "config_error" }
  | { kind: "started"; manifestId: string };

export async function handlePullRequest(context: EvaluatorContext, event: PrEvent): Promise<PrOutcome> {
  const db = context.database.db;
  // The VCS reads need none of the rows written below: they start first and overlap them.
  const reading = event.action === "closed" ? null : readForAutoplan(context, event);
  reading?.catch(() => {});
  const installation = await upsertInstallation(db, event.installation);
  const repository = await upsertRepository(db, installation, event.repo);
  const pullRequestRow = await upsertPullRequest(db, repository, event.pullRequest);

  if (reading === null) return closePullRequest(context, event, repository, pullRequestRow);

  const { provider, authorRole, state } = await reading;
  if (!state.ok) {
    await provider.upsertComment(
      event.pullRequest.number,
      configErrorMarker(event.pullRequest.number),
      renderConfigError(
        event.pullRequest.number,
        state.ref,
        state.problems,
        platformFor(provider.vcs).limits.comment,
      ),
    );
    return { kind: "config_error" };
  }
  return autoplan(context, {
    provider,
    repository,
    pullRequestRow,
    pullRequest: event.pullRequest,
    defaultBranch: event.repo.defaultBranch,
    state,
    trigger: "push",
    prefetchedRoles: authorRole,
  });
}

/** The repository's state at the PR head, with the author's role looked up alongside (autoplan needs it). */
async function readForAutoplan(context: EvaluatorContext, event: PrEvent) {
  const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
  const authorRole = prefetchRole(provider, event.pullRequest.author);
  const state = await loadRepoState(
    provider,
    event.repo.defaultBranch,
    event.pullRequest,
    context.moduleIndexes,
  );
  return { provider, authorRole, state };
}

/**
 * A closed PR releases its locks. Under lock_policy `merge` a merged PR instead keeps (and takes)
 * locks on what it changed but did not apply, until someone applies or unlocks them.
 */
async function closePullRequest(
  context: EvaluatorContext,
  event: PrEvent,
  repository: RepositoryRow,
  pullRequestRow: PullRequestRow,
): Promise<PrOutcome> {
  const db = context.database.db;
  const outcome = event.pullRequest.state === "merged" ? "merged" : "closed";
  if (outcome === "merged") {
    const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
    const state = await loadRepoState(
      provider,
      event.repo.defaultBranch,
      event.pullRequest,
      context.moduleIndexes,
    );
    const policy = state.ok ? state.config.lock_policy : "apply";
    if (state.ok && !releasesLocksOn(policy, outcome)) {
      const applied = new Set((await appliedDirspaces(db, pullRequestRow.id)).map(dirspaceKey));
      const unapplied = state.dirspaces.filter(
        (dirspace) => dirspace.changed && !applied.has(dirspaceKey(dirspace)),
      );
      const result = await acquireLocks(db, {
        installationId: repository.installationId,
        repositoryId: repository.id,
        pullRequestId: pullRequestRow.id,
        workManifestId: null,
        dirspaces: locksOnMerge(policy, unapplied),
        keepMergedLocks: true,
      });
      return { kind: "locked_on_merge", count: result.acquired.length };
    }
  }
  const released = await releasePullRequestLocks(db, pullRequestRow.id);
  if (released.length > 0) {
    context.logger.info(
      { repo: event.repo.fullName, pr: event.pullRequest.number, released: released.length },
      "released the locks of a closed pull request",
    );
  }
  return { kind: "released", count: released.length };
}
