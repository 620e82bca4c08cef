// Small markdown helpers: escaping, code fences that cannot be broken out of, terraform plans as diffs.

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes characters that would change a table cell's meaning. */
export function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A fence longer than any backtick run inside `text`, so the output cannot close it early. */
export function codeBlock(text: string, language = ""): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}\n${fence}`;
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
