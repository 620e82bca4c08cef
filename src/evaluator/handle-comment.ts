// PR comment commands: react 👀, then plan / apply / unlock / help / repo-config after the checks the repo asks for.

import { upsertInstallation, upsertPullRequest, upsertRepository } from "../db/queries/vcs-sync.ts";
import { runOfComment } from "../db/queries/work-manifest-creation.ts";
import { type Command, parseCommand, type QueryAction } from "../domain/command.ts";
import type { DirspaceRef } from "../domain/dirspace.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import {
  configErrorMarker,
  renderConfigError,
  renderHelp,
  renderNothingMatched,
  renderRepoConfig,
  replyMarker,
} from "../render/replies.ts";
import type { CommentEvent, PullRequestInfo, VcsProvider } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";
import { startRun } from "./create-manifest.ts";
import { decide, type RefusalProblem } from "./decide.ts";
import { createPersonResolver, gatherApplyFacts, prefetchRole } from "./gather-facts.ts";
import { loadRepoState } from "./load-repo-state.ts";
import { unlock } from "./unlock.ts";

export type CommentOutcome =
  | { kind: "not_a_command" }
  | { kind: "replayed"; manifestId: string }
  | { kind: "replied"; what: string }
  | { kind: "refused" }
  | { kind: "unlocked"; count: number }
  | { kind: "started"; manifestId: string };

export async function handleComment(context: EvaluatorContext, event: CommentEvent): Promise<CommentOutcome> {
  const command = parseCommand(event.comment.body);
  if (command.kind === "not-a-command") return { kind: "not_a_command" };
  // Comments written by a bot (including ours) never trigger commands.
  if (event.comment.author.endsWith("[bot]")) return { kind: "not_a_command" };

  const db = context.database.db;
  // The same comment under another delivery id (a replay) starts nothing new and says nothing.
  const earlier = await runOfComment(db, {
    vcs: event.installation.vcs,
    repositoryExternalId: event.repo.externalId,
    commentId: event.comment.id,
  });
  if (earlier !== null) {
    context.logger.info({ manifestId: earlier, commentId: event.comment.id }, "comment already ran");
    return { kind: "replayed", manifestId: earlier };
  }

  const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
  await provider.addReaction(event.comment.id, "eyes");
  const prNumber = event.prNumber;

  switch (command.kind) {
    case "invalid":
      await provider.upsertComment(
        prNumber,
        replyMarker(prNumber, "help"),
        renderHelp(prNumber, `:grey_question: ${command.message}`),
      );
      return { kind: "replied", what: "invalid" };
    case "help":
      await provider.upsertComment(prNumber, replyMarker(prNumber, "help"), renderHelp(prNumber));
      return { kind: "replied", what: "help" };
    default:
      break;
  }

  const commenterRole = prefetchRole(provider, event.comment.author);
  const pullRequest = await provider.getPullRequest(prNumber);
  const installation = await upsertInstallation(db, event.installation);
  const repository = await upsertRepository(db, installation, event.repo);
  const pullRequestRow = await upsertPullRequest(db, repository, pullRequest);
  const state = await loadRepoState(provider, event.repo.defaultBranch, pullRequest);
  if (!state.ok) {
    await provider.upsertComment(
      prNumber,
      configErrorMarker(prNumber),
      renderConfigError(prNumber, state.ref, state.problems),
    );
    return { kind: "replied", what: "config_error" };
  }
  const resolvePerson = createPersonResolver(provider, state.config, commenterRole);

  if (command.kind === "repo-config") {
    await provider.upsertComment(
      prNumber,
      replyMarker(prNumber, "repo-config"),
      renderRepoConfig(prNumber, state.config, pullRequest.headRef),
    );
    return { kind: "replied", what: "repo-config" };
  }

  if (command.kind === "unlock") {
    return unlock(context, provider, {
      prNumber,
      numbers: command.pullRequests.length === 0 ? [prNumber] : command.pullRequests,
      repositoryId: repository.id,
      accessTagsOf: state.accessTagsOf,
      user: await resolvePerson(event.comment.author),
      config: state.config,
      pullRequest,
      defaultBranch: event.repo.defaultBranch,
    });
  }

  const queryCommand = command as Extract<Command, { kind: QueryAction }>;
  const user = await resolvePerson(event.comment.author);
  const isApply = queryCommand.kind !== "plan";
  const facts = isApply
    ? await gatherApplyFacts({
        executor: db,
        provider,
        config: state.config,
        resolvePerson,
        pullRequest,
        pullRequestId: pullRequestRow.id,
        repositoryId: repository.id,
        dirspaces: state.dirspaces,
        needRequirements: queryCommand.kind !== "apply-force",
      })
    : { reviews: [], statusChecks: [], latestPlans: [], supersessions: [], locksHeldByOthers: [] };
  const decision = decide({
    request: {
      kind: "command",
      action: queryCommand.kind,
      tagQuery: queryCommand.tagQuery,
      tagQueryText: queryCommand.tagQueryText,
      user,
    },
    pullRequest,
    config: state.config,
    defaultBranch: event.repo.defaultBranch,
    dirspaces: state.dirspaces,
    accessTagsOf: state.accessTagsOf,
    configChanges: state.configChanges,
    ...facts,
  });

  const refuse = (problems: RefusalProblem[], dirspaces: DirspaceRef[]) =>
    refuseCommand(provider, {
      prNumber,
      action: queryCommand.kind,
      problems,
      dirspaces,
      pullRequest,
      requestedBy: event.comment.author,
      defaultBranch: event.repo.defaultBranch,
    });

  switch (decision.kind) {
    case "ignore":
      context.logger.info({ pr: prNumber, reason: decision.reason }, "command ignored");
      return { kind: "replied", what: "ignored" };
    case "nothing_matched":
      await provider.upsertComment(
        prNumber,
        refusalMarker(prNumber),
        renderNothingMatched(prNumber, decision.action, decision.tagQueryText, decision.changedCount),
      );
      return { kind: "replied", what: "nothing_matched" };
    case "refuse":
      return refuse(decision.problems, decision.dirspaces);
    case "run": {
      const result = await startRun({
        database: db,
        provider,
        logger: context.logger,
        publicUrl: context.config.publicUrl,
        repository,
        pullRequestRow,
        pullRequest,
        config: state.config,
        kind: decision.manifestKind,
        dirspaces: decision.dirspaces,
        lockDirspaces: decision.lockDirspaces,
        requestedBy: event.comment.author,
        tagQuery: queryCommand.tagQueryText,
        commentId: event.comment.id,
        plans: decision.plans,
        deliveryId: context.deliveryId,
      });
      switch (result.kind) {
        case "started":
          return { kind: "started", manifestId: result.manifestId };
        case "duplicate":
          return { kind: "replied", what: "duplicate" };
        case "locked": {
          const byPr = new Map<number, typeof result.holders>();
          for (const holder of result.holders)
            byPr.set(holder.pullRequestNumber, [...(byPr.get(holder.pullRequestNumber) ?? []), holder]);
          return refuse(
            [...byPr.entries()].map(([pullRequestNumber, holders]) => ({
              rule: "locked" as const,
              pullRequestNumber,
              dirspaces: holders.map(({ dir, workspace }) => ({ dir, workspace })),
              acquiredAt: holders[0]?.acquiredAt ?? new Date(),
            })),
            decision.dirspaces,
          );
        }
        default: {
          const unreachable: never = result;
          return unreachable;
        }
      }
    }
    default: {
      const unreachable: never = decision;
      return unreachable;
    }
  }
}

interface RefuseCommandInput {
  prNumber: number;
  action: QueryAction;
  problems: RefusalProblem[];
  dirspaces: DirspaceRef[];
  pullRequest: PullRequestInfo;
  requestedBy: string;
  defaultBranch: string;
}

async function refuseCommand(provider: VcsProvider, input: RefuseCommandInput): Promise<CommentOutcome> {
  await provider.upsertComment(input.prNumber, refusalMarker(input.prNumber), renderRefusal(input));
  return { kind: "refused" };
}
