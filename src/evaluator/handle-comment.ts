// PR comment commands: react 👀, then plan / apply / unlock / help / repo-config after the checks the repo asks for.

import { locksOfNumbers, releaseLocksOfNumbers } from "../db/queries/dirspace-locks.ts";
import { upsertInstallation, upsertPullRequest, upsertRepository } from "../db/queries/vcs-sync.ts";
import { type Command, parseCommand, type QueryAction } from "../domain/command.ts";
import { type Dirspace, dirspaceKey, implicitTags } from "../domain/dirspace.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import {
  configErrorMarker,
  renderConfigError,
  renderHelp,
  renderNothingMatched,
  renderRepoConfig,
  renderUnlocked,
  replyMarker,
} from "../render/replies.ts";
import type { CommentEvent, VcsProvider } from "../vcs/types.ts";
import { accessDenials } from "./access.ts";
import type { EvaluatorContext } from "./context.ts";
import { startRun } from "./create-manifest.ts";
import { decide } from "./decide.ts";
import { createPersonResolver, gatherApplyFacts } from "./gather-facts.ts";
import { loadRepoState } from "./load-repo-state.ts";

export type CommentOutcome =
  | { kind: "not_a_command" }
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
  const resolvePerson = createPersonResolver(provider, state.config);

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
      dirspaces: state.dirspaces,
      user: await resolvePerson(event.comment.author),
      config: state.config,
      requestedBy: event.comment.author,
      headSha: pullRequest.headSha,
      baseSha: pullRequest.baseSha,
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
    : { approvers: [], statusChecks: [], latestPlans: [], supersessions: [], locksHeldByOthers: [] };
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
    ...facts,
  });

  const refuse = async (
    problems: Parameters<typeof renderRefusal>[0]["problems"],
    dirspaces: Dirspace[] | Array<{ dir: string; workspace: string }>,
  ) => {
    await provider.upsertComment(
      prNumber,
      refusalMarker(prNumber),
      renderRefusal({
        prNumber,
        action: queryCommand.kind,
        dirspaces,
        problems,
        pullRequest,
        requestedBy: event.comment.author,
      }),
    );
    return { kind: "refused" as const };
  };

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
      });
      if (result.kind === "locked") {
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
      return { kind: "started", manifestId: result.manifestId };
    }
    default: {
      const unreachable: never = decision;
      return unreachable;
    }
  }
}

interface UnlockInput {
  prNumber: number;
  numbers: number[];
  repositoryId: number;
  dirspaces: Dirspace[];
  user: Awaited<ReturnType<ReturnType<typeof createPersonResolver>>>;
  config: Parameters<typeof accessDenials>[0];
  requestedBy: string;
  headSha: string;
  baseSha: string;
}

/** Releases the listed PRs' locks if the commenter may unlock every locked dirspace (per access control). */
async function unlock(
  context: EvaluatorContext,
  provider: VcsProvider,
  input: UnlockInput,
): Promise<CommentOutcome> {
  const db = context.database.db;
  const known = new Map(input.dirspaces.map((dirspace) => [dirspaceKey(dirspace), dirspace]));
  const held = (await locksOfNumbers(db, input.repositoryId, input.numbers)).map(
    (lock): Dirspace =>
      known.get(dirspaceKey(lock)) ?? {
        dir: lock.dir,
        workspace: lock.workspace,
        tags: implicitTags(lock),
        autoplan: false,
        autoplanDraftPr: false,
        filePatterns: [],
        workflow: { index: null, engine: { name: "terraform" }, plan: [], apply: [] },
        changed: false,
      },
  );
  const denials = accessDenials(input.config, "unlock", input.user, held);
  if (denials.length > 0) {
    await provider.upsertComment(
      input.prNumber,
      refusalMarker(input.prNumber),
      renderRefusal({
        prNumber: input.prNumber,
        action: "unlock",
        dirspaces: held,
        problems: denials.map((denial) => ({
          rule: "access",
          action: "unlock",
          dirspaces: denial.dirspaces,
          allowed: denial.allowed,
        })),
        pullRequest: { headSha: input.headSha, baseSha: input.baseSha },
        requestedBy: input.requestedBy,
      }),
    );
    return { kind: "refused" };
  }
  const released = await releaseLocksOfNumbers(db, input.repositoryId, input.numbers);
  await provider.upsertComment(
    input.prNumber,
    replyMarker(input.prNumber, "unlock"),
    renderUnlocked(input.prNumber, released, input.numbers),
  );
  return { kind: "unlocked", count: released.length };
}
