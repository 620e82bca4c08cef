// Small markdown helpers: escaping, code fences that cannot be broken out of, terraform plans as diffs.
import { type TruncateOptions, truncateOutput } from "./truncate-output.ts";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes characters that would change a table cell's meaning. */
export function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A fence longer than any backtick run inside `text`, so the output cannot close it early. */
/** Longest backtick run kept as is; longer runs are split so a fence never eats the budget. */
const maxBacktickRun = 31;

/** Splits backtick runs longer than maxBacktickRun with a zero-width space (only absurd output has them). */
function breakLongBacktickRuns(text: string): string {
  if (!text.includes("`".repeat(maxBacktickRun + 1))) return text;
  return text.replace(/`{32,}/g, (run) => run.match(/`{1,31}/g)!.join("\u200b"));
}

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
