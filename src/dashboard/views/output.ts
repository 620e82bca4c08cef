// Step output as HTML: every line kept, terraform's diff markers (+ - ~ -/+ <=) coloured, ANSI colour codes turned into the same classes.
import { raw } from "hono/html";
import type { Html } from "./layout.ts";

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

/** SGR foreground colours terraform uses: green adds, red destroys, yellow changes, bold headings. */
const ansiClasses: Record<string, string> = {
  "31": "d",
  "32": "a",
  "33": "c",
  "35": "c",
  "36": "c",
  "1": "b",
};

const ansiPattern = /\u001b\[([0-9;]*)m/g;

function lineClass(line: string): string | undefined {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("-/+") || trimmed.startsWith("+/-")) return "r";
  if (trimmed.startsWith("+")) return "a";
  if (trimmed.startsWith("-")) return "d";
  if (trimmed.startsWith("~")) return "c";
  if (trimmed.startsWith("<=")) return "c";
  if (/^(Error|│ Error):/.test(trimmed)) return "d";
  return undefined;
}

/** One line with ANSI colour codes replaced by spans (unknown codes dropped, spans always closed). */
function ansiLine(line: string): string {
  let open = 0;
  let result = "";
  let last = 0;
  for (const match of line.matchAll(ansiPattern)) {
    result += escapeText(line.slice(last, match.index));
    last = match.index + match[0].length;
    const codes = (match[1] ?? "").split(";");
    if (codes.includes("0") || codes[0] === "") {
      result += "</span>".repeat(open);
      open = 0;
      continue;
    }
    const cls = codes.map((code) => ansiClasses[code]).find((name) => name !== undefined);
    if (cls) {
      result += `<span class="${cls}">`;
      open += 1;
    }
  }
  return result + escapeText(line.slice(last)) + "</span>".repeat(open);
}

/**
 * The whole output, escaped, with each changed line in a span of its kind. Lines are not split into
 * elements otherwise, so a megabyte of plan stays one text node per run of plain lines.
 */
export function renderOutput(output: string): Html {
  const hasAnsi = output.includes("\u001b[");
  const parts: string[] = [];
  for (const line of output.split("\n")) {
    if (hasAnsi && line.includes("\u001b[")) {
      parts.push(ansiLine(line));
      continue;
    }
    const cls = lineClass(line);
    parts.push(cls ? `<span class="${cls}">${escapeText(line)}</span>` : escapeText(line));
  }
  return raw(`<pre class="out">${parts.join("\n")}</pre>`) as unknown as Html;
}
