// A button pressed in the dashboard: the same command a comment would carry, run as the signed-in person through the same handlers.
import { type Command, parseCommand } from "../domain/command.ts";
import { replyMarker } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import type { InstallationRef, RepoRef } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";
import { type ActingCommand, actOnCommand, type CommentOutcome } from "./handle-comment.ts";
import { dashboardCommentPrefix, loadPrContext } from "./pr-context.ts";

export const dashboardCommandKinds = ["plan", "apply", "unlock"] as const;
export type DashboardCommandKind = (typeof dashboardCommandKinds)[number];

export interface DashboardCommand {
  installation: InstallationRef;
  repo: RepoRef;
  prNumber: number;
  kind: DashboardCommandKind;
  /** The tag query typed beside the button ("" for every changed dirspace); unlock: the PR numbers. */
  argument: string;
  /** The signed-in person's login on the VCS: access control treats them exactly as a commenter. */
  login: string;
  /** One id per press: a retried job starts at most one run for it. */
  actionId: string;
}

/** `terragate plan prod`, as the comment would read. */
export function dashboardCommandText(command: Pick<DashboardCommand, "kind" | "argument">): string {
  return `terragate ${command.kind}${command.argument.trim() === "" ? "" : ` ${command.argument.trim()}`}`;
}

/** The note on the PR saying who pressed what in the dashboard, edited in place like every Terragate comment. */
export function renderDashboardNote(command: DashboardCommand): string {
  const words = platformFor(command.installation.vcs).words;
  return [
    replyMarker(command.prNumber, "dashboard"),
    `:desktop_computer: @${command.login} pressed **${command.kind}** in the Terragate dashboard: \`${dashboardCommandText(command)}\` on this ${words.changeRequest}.`,
  ].join("\n");
}

export type DashboardOutcome = CommentOutcome | { kind: "invalid"; message: string };

export async function handleDashboardCommand(
  context: EvaluatorContext,
  command: DashboardCommand,
): Promise<DashboardOutcome> {
  const parsed: Command = parseCommand(dashboardCommandText(command));
  if (parsed.kind !== command.kind) {
    return { kind: "invalid", message: parsed.kind === "invalid" ? parsed.message : "not a command" };
  }
  const provider = await context.providerFor(command.installation, command.repo.owner, command.repo.name);
  await provider.upsertComment(
    command.prNumber,
    replyMarker(command.prNumber, "dashboard"),
    renderDashboardNote(command),
  );
  const pr = await loadPrContext(context, provider, {
    installation: command.installation,
    repo: command.repo,
    prNumber: command.prNumber,
    requester: command.login,
    commentId: `${dashboardCommentPrefix}${command.actionId}`,
  });
  if (!pr) return { kind: "replied", what: "config_error" };
  return actOnCommand(pr, parsed as ActingCommand);
}
