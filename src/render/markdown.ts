// Small markdown helpers: escaping, code that cannot be broken out of, dirspace names and lists, plans as diffs.
import type { DirspaceRef } from "../domain/dirspace.ts";
import { type TruncateOptions, truncateOutput } from "./truncate-output.ts";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes characters that would change a table cell's meaning. */
export function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** Inline code: a backtick inside would close it early, so it becomes a quote. */
export function inlineCode(text: string): string {
  return `\`${text.replaceAll("`", "'")}\``;
}

/** Names shown in one list before "and N more": a comment stays short on a PR touching hundreds. */
export const listedPerLine = 10;

/** `a, b and 3 more`: the first `limit` items, then how many were left out. */
export function shortList(items: readonly string[], separator = ", ", limit = listedPerLine): string {
  const shown = items.slice(0, limit);
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(separator)} and ${more} more` : shown.join(separator);
}

/** `infra/a` (default): how every comment names a dirspace. */
export function dirspaceName(dirspace: DirspaceRef): string {
  return `${inlineCode(dirspace.dir)} (${escapeHtml(dirspace.workspace)})`;
}

/** `infra/a` (default), `infra/b` (prod) — at most `limit` named, then "and N more". */
export function dirspaceList(dirspaces: readonly DirspaceRef[], limit = listedPerLine): string {
  return shortList(dirspaces.map(dirspaceName), ", ", limit);
}

/** Longest backtick run kept as is; longer runs are split so a fence never eats the budget. */
const maxBacktickRun = 31;

/** Splits backtick runs longer than maxBacktickRun with a zero-width space (only absurd output has them). */
function breakLongBacktickRuns(text: string): string {
  if (!text.includes("`".repeat(maxBacktickRun + 1))) return text;
  return text.replace(/`{32,}/g, (run) => run.match(/`{1,31}/g)!.join("\u200b"));
}

/** A fence longer than any backtick run inside `text`, so the output cannot close it early. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

export function codeBlock(text: string, language = ""): string {
  const content = breakLongBacktickRuns(text);
  const fence = fenceFor(content);
  return `${fence}${language}\n${content}\n${fence}`;
}

/**
 * A code block of at most `maxChars` characters, fences included: the content is shortened (head and
 * tail kept, see truncateOutput) by exactly what the fences take, so the closing fence is never cut.
 */
export function fitCodeBlock(
  text: string,
  maxChars: number,
  language: string,
  options: TruncateOptions,
): string {
  const content = breakLongBacktickRuns(text);
  // Shortening only removes backticks, so the fence the whole text (and the note's hint) needs fits the excerpt.
  const fence = fenceFor(`${content}\n${options.fullOutputHint ?? ""}`);
  const overhead = 2 * fence.length + language.length + 2;
  const excerpt = truncateOutput(content, Math.max(0, maxChars - overhead), options);
  return `${fence}${language}\n${excerpt}\n${fence}`;
}

/**
 * Moves terraform's change markers to the start of the line so a `diff` block colours them:
 * `  + resource` → `+   resource`, `  ~ attr` → `!   attr`, `-/+` → `!`.
 */
export function planAsDiff(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const match = /^(\s*)(-\/\+|\+\/-|[-+~])(\s)/.exec(line);
      if (!match) return line;
      const marker = match[2] === "+" ? "+" : match[2] === "-" ? "-" : "!";
      return `${marker}${match[1]}${" ".repeat(match[2]!.length - 1)}${line.slice(match[1]!.length + match[2]!.length)}`;
    })
    .join("\n");
}
