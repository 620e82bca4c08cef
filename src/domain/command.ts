// PR comment commands (`terragate plan [TAG-QUERY]`, `terragate unlock 17`, …) parsed into a closed union.
import { didYouMean } from "./suggest.ts";
import { parseTagQuery, type TagQuery, TagQueryError } from "./tag-query.ts";

/** The actions a comment can ask for, in the order `terragate help` lists them. */
export const commandActions = [
  "plan",
  "apply",
  "apply-autoapprove",
  "apply-force",
  "unlock",
  "help",
  "repo-config",
] as const;
export type CommandAction = (typeof commandActions)[number];

/** Actions that take a tag query selecting dirspaces. */
export type QueryAction = "plan" | "apply" | "apply-autoapprove" | "apply-force";

/** What a comment asked for. `not-a-command` is not an error: most comments are not for us. */
export type Command =
  | { kind: QueryAction; tagQuery: TagQuery; tagQueryText: string }
  | { kind: "unlock"; pullRequests: number[] }
  | { kind: "help" }
  | { kind: "repo-config" }
  | { kind: "not-a-command" }
  | { kind: "invalid"; message: string };

const triggerWord = "terragate";

/** One line per action, for `terragate help` and for replies to invalid commands. */
export const commandUsage: Record<CommandAction, string> = {
  plan: "terragate plan [TAG-QUERY]               plan the changed dirspaces that match (all if empty)",
  apply: "terragate apply [TAG-QUERY]              apply the stored plans of matching dirspaces",
  "apply-autoapprove": "terragate apply-autoapprove [TAG-QUERY]  plan and apply in one run",
  "apply-force": "terragate apply-force [TAG-QUERY]        apply ignoring apply requirements (if allowed)",
  unlock: "terragate unlock [PR-NUMBER ...]         release this PR's locks, or those of the listed PRs",
  help: "terragate help                           show this help",
  "repo-config": "terragate repo-config                    show the effective repo config",
};

function isCommandAction(word: string): word is CommandAction {
  return (commandActions as readonly string[]).includes(word);
}

/** The first line of a comment body without surrounding whitespace and backticks. */
function commandLine(body: string): string {
  const firstLine = body.trimStart().split(/\r?\n/, 1)[0] ?? "";
  return firstLine.trim().replace(/^`+/, "").replace(/`+$/, "").trim();
}

/** Parses a PR comment. Only the first line counts; the trigger word is case-insensitive. */
export function parseCommand(body: string): Command {
  const line = commandLine(body);
  const trigger = line.slice(0, triggerWord.length);
  const afterTrigger = line.slice(triggerWord.length);
  if (trigger.toLowerCase() !== triggerWord || (afterTrigger !== "" && !/^\s/.test(afterTrigger))) {
    return { kind: "not-a-command" };
  }
  const rest = afterTrigger.trim();
  if (rest === "") return { kind: "help" };
  const actionWord = rest.split(/\s/, 1)[0]!;
  const argument = rest.slice(actionWord.length).trim();
  const action = actionWord.toLowerCase();
  if (!isCommandAction(action)) {
    const suggestion = didYouMean(action, commandActions);
    const hint = suggestion
      ? `did you mean \`terragate ${suggestion}\`?`
      : `expected one of ${commandActions.join(", ")}; comment \`terragate help\` for usage.`;
    return { kind: "invalid", message: `unknown action \`${actionWord}\`; ${hint}` };
  }
  switch (action) {
    case "plan":
    case "apply":
    case "apply-autoapprove":
    case "apply-force":
      return parseQueryCommand(action, argument);
    case "unlock":
      return parseUnlock(argument);
    case "help":
    case "repo-config":
      return argument === ""
        ? { kind: action }
        : { kind: "invalid", message: `\`terragate ${action}\` takes no arguments, got \`${argument}\`.` };
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

function parseQueryCommand(action: QueryAction, argument: string): Command {
  try {
    return { kind: action, tagQuery: parseTagQuery(argument), tagQueryText: argument };
  } catch (error) {
    if (!(error instanceof TagQueryError)) throw error;
    return {
      kind: "invalid",
      message: `invalid tag query in \`terragate ${action}\` at column ${error.column}: ${error.reason}.`,
    };
  }
}

function parseUnlock(argument: string): Command {
  const pullRequests: number[] = [];
  for (const word of argument === "" ? [] : argument.split(/[\s,]+/).filter((part) => part !== "")) {
    // `#18` as GitHub writes a pull request, `!18` as GitLab writes a merge request.
    const match = /^[#!]?(\d{1,9})$/.exec(word);
    const number = match ? Number(match[1]) : 0;
    if (number < 1) {
      return {
        kind: "invalid",
        message: `\`terragate unlock\` takes the numbers of the requests whose locks to release, such as \`terragate unlock 17 18\`, got \`${word}\`.`,
      };
    }
    if (!pullRequests.includes(number)) pullRequests.push(number);
  }
  return { kind: "unlock", pullRequests };
}
