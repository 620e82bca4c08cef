// Shortening an output to a budget by keeping its head and tail and saying how much was cut and where the rest is.

export interface TruncateOptions {
  /** Share of the budget given to the head (the rest goes to the tail); errors favour the tail. */
  headShare: number;
  /** Where the full output can be read, named in the note. */
  fullOutputHint: string | undefined;
}

function cutNote(lines: number, chars: number, hint: string | undefined): string {
  const where = hint ? `; the full output: ${hint}` : "";
  return `… ${lines.toLocaleString("en-US")} lines (${chars.toLocaleString("en-US")} characters) cut here${where} …`;
}

/**
 * Returns `text` unchanged when it fits in `maxChars`; otherwise its first and last lines with a note
 * between them, the whole within `maxChars`. Cuts at line ends so no line is shown half.
 */
export function truncateOutput(text: string, maxChars: number, options: TruncateOptions): string {
  if (text.length <= maxChars) return text;
  const reserve = cutNote(9_999_999, 999_999_999, options.fullOutputHint).length + 2;
  const room = Math.max(0, maxChars - reserve);
  const headBudget = Math.floor(room * options.headShare);
  const tailBudget = room - headBudget;
  let headEnd = text.lastIndexOf("\n", headBudget);
  if (headEnd < 0) headEnd = Math.min(headBudget, text.length);
  let tailStart = text.indexOf("\n", text.length - tailBudget);
  tailStart = tailStart < 0 || tailStart < headEnd ? text.length : tailStart + 1;
  const head = text.slice(0, headEnd);
  const tail = text.slice(tailStart);
  const cut = text.slice(headEnd, tailStart);
  const cutLines = cut.split("\n").length - 1 || 1;
  const note = cutNote(cutLines, cut.length, options.fullOutputHint);
  return [head, note, tail].filter((part) => part.length > 0).join("\n");
}
