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
import { type DirspaceRef, dirspaceKey } from "../domain/dirspace.ts";
import { locksOnMerge, releasesLocksOn } from "../domain/locks.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import { configErrorMarker, renderConfigError } from "../render/replies.ts";
import type { PrEvent } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";
import { startRun } from "./create-manifest.ts";
import { decide, type RefusalProblem } from "./decide.ts";
import { createPersonResolver, prefetchRole } from "./gather-facts.ts";
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
  const installation = await upsertInstallation(db, event.installation);
  const repository = await upsertRepository(db, installation, event.repo);
  const pullRequestRow = await upsertPullRequest(db, repository, event.pullRequest);

  if (event.action === "closed") return closePullRequest(context, event, repository, pullRequestRow);

  const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
  const authorRole = prefetchRole(provider, event.pullRequest.author);
  const state = await loadRepoState(provider, event.repo.defaultBranch, event.pullRequest);
  if (!state.ok) {
    await provider.upsertComment(
      event.pullRequest.number,
      configErrorMarker(event.pullRequest.number),
      renderConfigError(event.pullRequest.number, state.ref, state.problems),
    );
    return { kind: "config_error" };
  }
  const author = await createPersonResolver(provider, state.config, authorRole)(event.pullRequest.author);
  const decision = decide({
    request: { kind: "autoplan", author },
    pullRequest: event.pullRequest,
    config: state.config,
    defaultBranch: event.repo.defaultBranch,
    dirspaces: state.dirspaces,
    accessTagsOf: state.accessTagsOf,
    configChanges: state.configChanges,
    reviews: [],
    statusChecks: [],
    latestPlans: [],
    supersessions: [],
    locksHeldByOthers: [],
  });
  const number = event.pullRequest.number;
  const explain = (problems: RefusalProblem[], dirspaces: DirspaceRef[]) =>
    provider.upsertComment(
      number,
      refusalMarker(number),
      renderRefusal({
        prNumber: number,
        action: "autoplan",
        dirspaces,
        problems,
        pullRequest: event.pullRequest,
        requestedBy: event.pullRequest.author,
        defaultBranch: event.repo.defaultBranch,
      }),
    );
  if (decision.kind === "refuse") {
    await explain(decision.problems, decision.dirspaces);
    return { kind: "refused" };
  }
  if (decision.kind !== "run") {
    return { kind: "ignored", reason: decision.kind === "ignore" ? decision.reason : decision.kind };
  }
  const result = await startRun({
    database: db,
    provider,
    logger: context.logger,
    publicUrl: context.config.publicUrl,
    repository,
    pullRequestRow,
    pullRequest: event.pullRequest,
    config: state.config,
    kind: decision.manifestKind,
    dirspaces: decision.dirspaces,
    lockDirspaces: decision.lockDirspaces,
    // Autoplan acts for the PR's author, whoever pushed.
    requestedBy: event.pullRequest.author,
    tagQuery: "",
    commentId: null,
    plans: [],
    deliveryId: context.deliveryId,
  });
  if (result.kind !== "started") return { kind: "ignored", reason: result.kind };
  if (decision.skipped.length > 0) {
    const skipped = decision.skipped.flatMap((problem) => ("dirspaces" in problem ? problem.dirspaces : []));
    await explain(decision.skipped, skipped);
  }
  return { kind: "started", manifestId: result.manifestId };
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
    const state = await loadRepoState(provider, event.repo.defaultBranch, event.pullRequest);
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
