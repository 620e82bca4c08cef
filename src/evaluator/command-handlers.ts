// One handler per PR command, each from the shared PR context: repo-config, unlock, and the query commands.
import type { Command, QueryAction } from "../domain/command.ts";
import type { DirspaceRef } from "../domain/dirspace.ts";
import type { StackLayers } from "../domain/stack-layers.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import { renderNothingMatched, renderRepoConfig, replyMarker } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import { loadLayers, notesFor } from "./autoplan.ts";
import { startRun } from "./create-manifest.ts";
import { type Decision, decide, decideLockRace, type RefusalProblem } from "./decide.ts";
import { gatherApplyFacts } from "./gather-facts.ts";
import type { CommentOutcome } from "./handle-comment.ts";
import { type PrContext, requestVia } from "./pr-context.ts";
import { unlock } from "./unlock.ts";

type QueryCommand = Extract<Command, { kind: QueryAction }>;

/** `terragate repo-config`: the effective config, size-bounded. */
export async function showRepoConfig(pr: PrContext): Promise<CommentOutcome> {
  await pr.provider.upsertComment(
    pr.prNumber,
    replyMarker(pr.prNumber, "repo-config"),
    renderRepoConfig(
      pr.prNumber,
      pr.state.config,
      pr.pullRequest.headRef,
      platformFor(pr.provider.vcs).limits.comment,
      platformFor(pr.provider.vcs).words.changeRequestShort,
    ),
  );
  return { kind: "replied", what: "repo-config" };
}

/** `terragate unlock [PR …]`: this PR's locks, or the named PRs'. */
export async function unlockCommand(
  pr: PrContext,
  command: Extract<Command, { kind: "unlock" }>,
): Promise<CommentOutcome> {
  return unlock(pr.evaluator, pr.provider, {
    prNumber: pr.prNumber,
    numbers: command.pullRequests.length === 0 ? [pr.prNumber] : command.pullRequests,
    repository: pr.repository,
    accessTagsOf: pr.state.accessTagsOf,
    user: await pr.resolvePerson(pr.requester),
    config: pr.state.config,
    pullRequest: pr.pullRequest,
    defaultBranch: pr.repo.defaultBranch,
    via: requestVia(pr),
  });
}

/** plan, apply, apply-force, apply-autoapprove: decide, then run, refuse or say nothing matched. */
export async function runQueryCommand(pr: PrContext, command: QueryCommand): Promise<CommentOutcome> {
  const { decision, layers } = await decideQuery(pr, command);
  switch (decision.kind) {
    case "ignore":
      pr.evaluator.logger.info({ pr: pr.prNumber, reason: decision.reason }, "command ignored");
      return { kind: "replied", what: "ignored" };
    case "nothing_matched":
      await pr.provider.upsertComment(
        pr.prNumber,
        refusalMarker(pr.prNumber),
        renderNothingMatched(
          pr.prNumber,
          decision.action,
          decision.tagQueryText,
          decision.changedCount,
          platformFor(pr.provider.vcs).words.changeRequestShort,
        ),
      );
      return { kind: "replied", what: "nothing_matched" };
    case "refuse":
      return refuse(pr, command.kind, decision.problems, decision.dirspaces);
    case "run":
      return startCommandRun(pr, command, decision, layers);
    default: {
      const unreachable: never = decision;
      return unreachable;
    }
  }
}

async function decideQuery(
  pr: PrContext,
  command: QueryCommand,
): Promise<{ decision: Decision; layers: StackLayers }> {
  const db = pr.evaluator.database.db;
  const user = await pr.resolvePerson(pr.requester);
  const { layers, appliedAt } = await loadLayers(pr.evaluator, pr.pullRequestRow, pr.pullRequest, pr.state);
  const facts =
    command.kind === "plan"
      ? { reviews: [], statusChecks: [], latestPlans: [], supersessions: [], locksHeldByOthers: [] }
      : await gatherApplyFacts({
          executor: db,
          provider: pr.provider,
          config: pr.state.config,
          resolvePerson: pr.resolvePerson,
          pullRequest: pr.pullRequest,
          pullRequestId: pr.pullRequestRow.id,
          repositoryId: pr.repository.id,
          dirspaces: pr.state.dirspaces,
          needRequirements: command.kind !== "apply-force",
        });
  const decision = decide({
    request: {
      kind: "command",
      action: command.kind,
      tagQuery: command.tagQuery,
      tagQueryText: command.tagQueryText,
      user,
    },
    pullRequest: pr.pullRequest,
    config: pr.state.config,
    defaultBranch: pr.repo.defaultBranch,
    dirspaces: pr.state.dirspaces,
    accessTagsOf: pr.state.accessTagsOf,
    configChanges: pr.state.configChanges,
    ...facts,
    layers,
    appliedAt,
  });
  return { decision, layers };
}

async function startCommandRun(
  pr: PrContext,
  command: QueryCommand,
  decision: Extract<Decision, { kind: "run" }>,
  layers: StackLayers,
): Promise<CommentOutcome> {
  const result = await startRun({
    database: pr.evaluator.database.db,
    provider: pr.provider,
    logger: pr.evaluator.logger,
    publicUrl: pr.evaluator.config.publicUrl,
    repository: pr.repository,
    pullRequestRow: pr.pullRequestRow,
    pullRequest: pr.pullRequest,
    config: pr.state.config,
    kind: decision.manifestKind,
    dirspaces: decision.dirspaces,
    lockDirspaces: decision.lockDirspaces,
    requestedBy: pr.requester,
    tagQuery: command.tagQueryText,
    commentId: pr.commentId,
    plans: decision.plans,
    deliveryId: pr.evaluator.deliveryId,
    notes: notesFor(pr.state, layers, decision),
  });
  switch (result.kind) {
    case "started":
      return { kind: "started", manifestId: result.manifestId };
    case "duplicate":
      return { kind: "replied", what: "duplicate" };
    case "locked": {
      // Another PR took a lock between the decision and the run's transaction.
      const refusal = decideLockRace(command.kind, decision, result.holders);
      return refuse(pr, command.kind, refusal.problems, refusal.dirspaces);
    }
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}

async function refuse(
  pr: PrContext,
  action: QueryAction,
  problems: RefusalProblem[],
  dirspaces: DirspaceRef[],
): Promise<CommentOutcome> {
  await pr.provider.upsertComment(
    pr.prNumber,
    refusalMarker(pr.prNumber),
    renderRefusal({
      prNumber: pr.prNumber,
      action,
      problems,
      dirspaces,
      pullRequest: pr.pullRequest,
      requestedBy: pr.requester,
      defaultBranch: pr.repo.defaultBranch,
      words: platformFor(pr.provider.vcs).words,
    }),
  );
  return { kind: "refused" };
}
