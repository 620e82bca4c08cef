// Short PR replies: config errors, help, effective config, nothing matched, unlock results, missing workflow file.
import { stringify } from "yaml";
import { type CommandAction, commandActions, commandUsage } from "../domain/command.ts";
import type { DirspaceRef } from "../domain/dirspace.ts";
import type { RepoConfig } from "../domain/repo-config.ts";
import { dirspaceList } from "./markdown.ts";

/** Room kept in a comment for the text around a clipped block (heading, fences, hint). */
const frameChars = 500;

export function configErrorMarker(prNumber: number): string {
  return `<!-- terragate:config-error:pr-${prNumber} -->`;
}

export function replyMarker(prNumber: number, kind: string): string {
  return `<!-- terragate:${kind}:pr-${prNumber} -->`;
}

function clip(text: string, budget: number): string {
  return text.length <= budget ? text : `${text.slice(0, budget)}\n… (truncated)`;
}

/** `path:line:col: message` lines in a code block, so they can be pasted into an editor's "go to". */
/** `commentLimit`: the platform's comment limit (VcsPlatform.limits.comment). */
export function renderConfigError(
  prNumber: number,
  ref: string,
  problems: string[],
  commentLimit: number,
): string {
  return [
    configErrorMarker(prNumber),
    `:warning: **Terragate cannot read its config** at ${"`"}${ref}${"`"} — nothing was run.`,
    "",
    "```",
    clip(problems.join("\n"), commentLimit - frameChars),
    "```",
    "",
    "Fix the file and push; the next push or command reads it again.",
  ].join("\n");
}

/** `cr`: the platform's short name for a change request (VcsWords.changeRequestShort): "PR" or "MR". */
export function renderHelp(prNumber: number, intro?: string, cr = "PR"): string {
  const usage = commandActions
    .map((action: CommandAction) => commandUsage[action].replaceAll("PR", cr))
    .join("\n");
  return [
    replyMarker(prNumber, "help"),
    ...(intro ? [intro, ""] : []),
    `**Terragate commands** (comment on this ${cr}; only the first line counts):`,
    "",
    "```",
    usage,
    "```",
    "",
    "TAG-QUERY selects dirspaces: `dir:infra/vpc`, `workspace:prod`, your own tags, `and`, `or`, `not`, parentheses, `vpc in dir`.",
  ].join("\n");
}

export function renderRepoConfig(
  prNumber: number,
  config: RepoConfig,
  ref: string,
  commentLimit: number,
  cr = "PR",
): string {
  const yaml = clip(stringify(config), commentLimit - frameChars);
  return [
    replyMarker(prNumber, "repo-config"),
    `**Effective Terragate config** for this ${cr} (${"`"}${ref}${"`"}; access control and apply requirements from the default branch):`,
    "",
    "```yaml",
    yaml,
    "```",
  ].join("\n");
}

export function renderNothingMatched(
  prNumber: number,
  action: string,
  tagQuery: string,
  changedCount: number,
  cr = "PR",
): string {
  const what = tagQuery === "" ? "" : ` matching ${"`"}${tagQuery}${"`"}`;
  const hint =
    changedCount === 0
      ? `This ${cr} changes no terraform dirspace (check \`when_modified.file_patterns\` in \`.terragate/config.yml\`).`
      : `This ${cr} changes ${changedCount} dirspace${changedCount === 1 ? "" : "s"}; try \`terragate ${action}\` without a query.`;
  return [replyMarker(prNumber, "refusal"), `:information_source: Nothing to ${action}${what}. ${hint}`].join(
    "\n",
  );
}

export function renderUnlocked(
  prNumber: number,
  released: Array<DirspaceRef & { pullRequestNumber: number }>,
  numbers: number[],
  reference: (number: number) => string = (number) => `#${number}`,
): string {
  if (released.length === 0) {
    return `${replyMarker(prNumber, "unlock")}\n:unlock: No locks held by ${numbers.map(reference).join(", ")}.`;
  }
  const lines = numbers
    .map((number) => {
      const mine = released.filter((lock) => lock.pullRequestNumber === number);
      return mine.length === 0 ? null : `- ${reference(number)}: ${dirspaceList(mine)}`;
    })
    .filter((line): line is string => line !== null);
  return [replyMarker(prNumber, "unlock"), ":unlock: **Unlocked**", ...lines].join("\n");
}

export function renderMissingWorkflow(
  prNumber: number,
  workflowPath: string,
  defaultBranch: string,
  snippet: string,
  changeRequest = "pull request",
): string {
  return [
    replyMarker(prNumber, "dispatch"),
    `:warning: **Terragate cannot start the run**: ${"`"}${workflowPath}${"`"} does not exist on ${"`"}${defaultBranch}${"`"}.`,
    "",
    `Add this file to ${"`"}${defaultBranch}${"`"} (runs are always started from the default branch, so a ${changeRequest} cannot change the CI definition that receives secrets), then comment ${"`"}terragate plan${"`"}:`,
    "",
    "```yaml",
    snippet,
    "```",
  ].join("\n");
}

export function renderDispatchFailed(prNumber: number, manifestId: string, reason: string): string {
  return [
    replyMarker(prNumber, "dispatch"),
    `:x: **Terragate could not start run ${"`"}${manifestId}${"`"}** after several attempts: ${reason}`,
    "",
    "Comment `terragate plan` (or the command you ran) to try again.",
  ].join("\n");
}
