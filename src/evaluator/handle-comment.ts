// PR comment commands: react 👀, then one handler per command on the shared PR context.

import { runOfComment } from "../db/queries/work-manifest-creation.ts";
import { type Command, parseCommand } from "../domain/command.ts";
import { renderHelp, replyMarker } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import type { CommentEvent, VcsProvider } from "../vcs/types.ts";
import { runQueryCommand, showRepoConfig, unlockCommand } from "./command-handlers.ts";
import type { EvaluatorContext } from "./context.ts";
import { loadPrContext, type PrContext } from "./pr-context.ts";

export type CommentOutcome =
  | { kind: "not_a_command" }
  | { kind: "replayed"; manifestId: string }
  | { kind: "replied"; what: string }
  | { kind: "refused" }
  | { kind: "unlocked"; count: number }
  | { kind: "started"; manifestId: string };

/** The commands that act on the PR, each with its handler. */
export type ActingCommand = Exclude<Command, { kind: "not-a-command" | "invalid" | "help" }>;
const handlers: {
  [K in ActingCommand["kind"]]: (
    pr: PrContext,
    command: Extract<ActingCommand, { kind: K }>,
  ) => Promise<CommentOutcome>;
} = {
  "repo-config": showRepoConfig,
  unlock: unlockCommand,
  plan: runQueryCommand,
  apply: runQueryCommand,
  "apply-force": runQueryCommand,
  "apply-autoapprove": runQueryCommand,
};

export async function handleComment(context: EvaluatorContext, event: CommentEvent): Promise<CommentOutcome> {
  const command = parseCommand(event.comment.body);
  if (command.kind === "not-a-command") return { kind: "not_a_command" };
  // Comments written by a bot (including ours) never trigger commands.
  if (event.comment.author.endsWith("[bot]")) return { kind: "not_a_command" };

  // The same comment under another delivery id (a replay) starts nothing new and says nothing.
  const earlier = await runOfComment(context.database.db, {
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
  if (command.kind === "invalid" || command.kind === "help")
    return replyHelp(provider, event.prNumber, command);

  const pr = await loadPrContext(context, provider, {
    installation: event.installation,
    repo: event.repo,
    prNumber: event.prNumber,
    requester: event.comment.author,
    commentId: event.comment.id,
  });
  if (!pr) return { kind: "replied", what: "config_error" };
  return actOnCommand(pr, command);
}

/** Runs a command that acts on the PR through its handler (comments and the dashboard's buttons alike). */
export function actOnCommand(pr: PrContext, command: ActingCommand): Promise<CommentOutcome> {
  const handler = handlers[command.kind] as (
    pr: PrContext,
    command: ActingCommand,
  ) => Promise<CommentOutcome>;
  return handler(pr, command);
}

async function replyHelp(
  provider: VcsProvider,
  prNumber: number,
  command: Extract<Command, { kind: "invalid" | "help" }>,
): Promise<CommentOutcome> {
  const intro = command.kind === "invalid" ? `:grey_question: ${command.message}` : undefined;
  await provider.upsertComment(
    prNumber,
    replyMarker(prNumber, "help"),
    renderHelp(prNumber, intro, platformFor(provider.vcs).words.changeRequestShort),
  );
  return { kind: "replied", what: command.kind };
}
