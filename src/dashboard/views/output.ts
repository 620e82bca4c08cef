// Step output as HTML, whole or chunk by chunk: every line kept, terraform's diff markers (+ - ~ -/+ <=) coloured, ANSI colour codes turned into the same classes.
import { raw } from "hono/html";
import type { Html } from "./layout.ts";

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const escapable = /[&<>"']/;
const escapablePattern = /[&<>"']/g;

function escapeText(text: string): string {
  return escapable.test(text)
    ? text.replace(escapablePattern, (character) => escapes[character] ?? character)
    : text;
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

const nonSpace = /\S/;
const errorLine = /^(Error|│ Error):/;

/** The class of a line by terraform's marker, read on the escaped line (`<=` is `&lt;=` there). */
function lineClass(line: string): string | undefined {
  const at = line.search(nonSpace);
  if (at < 0) return undefined;
  const first = line[at];
  if (first === "+") return line.startsWith("+/-", at) ? "r" : "a";
  if (first === "-") return line.startsWith("-/+", at) ? "r" : "d";
  if (first === "~") return "c";
  if (first === "&") return line.startsWith("&lt;=", at) ? "c" : undefined;
  if (first === "E" || first === "│") return errorLine.test(line.slice(at)) ? "d" : undefined;
  return undefined;
}

/** One escaped line with ANSI colour codes replaced by spans (unknown codes dropped, spans always closed). */
function ansiLine(line: string): string {
  let open = 0;
  let result = "";
  let last = 0;
  for (const match of line.matchAll(ansiPattern)) {
    result += line.slice(last, match.index);
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
  return result + line.slice(last) + "</span>".repeat(open);
}

function renderLine(line: string): string {
  if (line.includes("\u001b[")) return ansiLine(line);
  const cls = lineClass(line);
  return cls ? `<span class="${cls}">${line}</span>` : line;
}

/**
 * Output rendered as it arrives: each `push` answers the HTML of the lines it completed, `end` the
 * rest. Lines are not split into elements otherwise, so a megabyte of plan stays one text node per
 * run of plain lines; the pieces joined are exactly `renderOutput` of the whole text.
 */
export class OutputRenderer {
  #carry = "";
  #started = false;

  /** `<pre>` and the complete lines of `text` (with what was carried before); the last partial line waits. */
  push(text: string): string {
    const joined = this.#carry + text;
    const cut = joined.lastIndexOf("\n");
    if (cut < 0) {
      this.#carry = joined;
      return this.#open();
    }
    this.#carry = joined.slice(cut + 1);
    // Escaping leaves line breaks and ANSI codes alone, so one pass over the chunk does for all its lines.
    const lines = escapeText(joined.slice(0, cut)).split("\n");
    let result = this.#open();
    for (const line of lines) result += `${renderLine(line)}\n`;
    return result;
  }

  /** The last line and `</pre>`. */
  end(): string {
    const last = renderLine(escapeText(this.#carry));
    this.#carry = "";
    return `${this.#open()}${last}</pre>`;
  }

  #open(): string {
    if (this.#started) return "";
    this.#started = true;
    return '<pre class="out">';
  }
}

/** The whole output as one piece of HTML (see OutputRenderer). */
export function renderOutput(output: string): Html {
  const renderer = new OutputRenderer();
  return raw(renderer.push(output) + renderer.end()) as unknown as Html;
}
