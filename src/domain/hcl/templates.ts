// HCL templates: quoted strings with escapes, heredocs, `${…}` interpolations and `%{…}` directives.
import type { Expression, Offset, TemplatePart } from "./ast.ts";
import { Scanner } from "./scanner.ts";

const newlineCode = 10;
const quoteCode = 34;
const dollarCode = 36;
const percentCode = 37;
const commaCode = 44;
const minusCode = 45;
const backslashCode = 92;
const openBraceCode = 123;
const closeBraceCode = 125;
const tildeCode = 126;

/** Template parsing; expressions inside `${…}` and `%{…}` come from the subclass. */
export abstract class TemplateScanner extends Scanner {
  abstract parseExpression(newlines: boolean): Expression;

  protected parseQuotedTemplate(): Expression & { kind: "template" } {
    const start = this.pos++;
    const parts: TemplatePart[] = [];
    let text = "";
    let chunk = this.pos;
    for (;;) {
      if (this.atEnd()) this.fail('this string is not closed with "', start);
      const code = this.peek();
      if (code === quoteCode) break;
      if (code === newlineCode) this.fail("this string is not closed before the end of the line", start);
      if (code === backslashCode) {
        text += this.text.slice(chunk, this.pos) + this.readEscape();
        chunk = this.pos;
        continue;
      }
      if (
        (code === dollarCode || code === percentCode) &&
        this.peekAt(1) === code &&
        this.peekAt(2) === openBraceCode
      ) {
        text += this.text.slice(chunk, this.pos + 1);
        this.pos += 2;
        chunk = this.pos;
        continue;
      }
      if ((code === dollarCode || code === percentCode) && this.peekAt(1) === openBraceCode) {
        text += this.text.slice(chunk, this.pos);
        if (text !== "") parts.push({ kind: "text", text });
        text = "";
        parts.push(this.parseTemplateSequence(code === dollarCode));
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
    text += this.text.slice(chunk, this.pos);
    if (text !== "" || parts.length === 0) parts.push({ kind: "text", text });
    this.pos++;
    return { kind: "template", parts, offset: start };
  }

  protected readEscape(): string {
    const start = this.pos;
    const code = this.peekAt(1);
    this.pos += 2;
    switch (code) {
      case 110: // n
        return "\n";
      case 114: // r
        return "\r";
      case 116: // t
        return "\t";
      case quoteCode:
        return '"';
      case backslashCode:
        return "\\";
      case 117: // u
      case 85: {
        // U
        const length = code === 117 ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + length);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== length) this.fail("invalid unicode escape", start);
        this.pos += length;
        const point = Number.parseInt(hex, 16);
        if (point > 0x10ffff) this.fail("invalid unicode escape", start);
        return String.fromCodePoint(point);
      }
      default:
        return this.fail("invalid escape sequence; write \\\\ for a backslash", start);
    }
  }

  /** `${ expr }` or `%{ if|else|endif|for|endfor … }` (with optional `~` strip markers). */
  protected parseTemplateSequence(interpolation: boolean): TemplatePart {
    const start = this.pos;
    this.pos += 2;
    if (this.peek() === tildeCode) this.pos++;
    this.skipSpace(true);
    this.enter();
    let part: TemplatePart;
    if (interpolation) {
      part = { kind: "interpolation", expression: this.parseExpression(false) };
    } else {
      part = { kind: "directive", expressions: this.parseDirective(start) };
    }
    this.depth--;
    this.skipSpace(true);
    if (this.peek() === tildeCode) this.pos++;
    this.expectChar(closeBraceCode, interpolation ? "} closing ${" : "} closing %{");
    return part;
  }

  protected parseDirective(start: Offset): Expression[] {
    const keyword = this.readIdentifier();
    this.skipSpace(true);
    switch (keyword) {
      case "if":
        return [this.parseExpression(false)];
      case "else":
      case "endif":
      case "endfor":
        return [];
      case "for": {
        this.readIdentifier();
        this.skipSpace(true);
        if (this.peek() === commaCode) {
          this.pos++;
          this.skipSpace(true);
          this.readIdentifier();
          this.skipSpace(true);
        }
        if (this.readIdentifier() !== "in") this.fail("expected in after the for variables");
        this.skipSpace(true);
        return [this.parseExpression(false)];
      }
      default:
        return this.fail("expected if, else, endif, for or endfor after %{", start);
    }
  }

  /** `<<EOT` or `<<-EOT`, then lines up to one holding only the marker. */
  protected parseHeredoc(): Expression {
    const start = this.pos;
    this.pos += 2;
    if (this.peek() === minusCode) this.pos++;
    const marker = this.readIdentifier();
    if (marker === null) this.fail("expected a heredoc marker such as EOT after <<", start);
    if (this.peek() === 13) this.pos++;
    if (this.peek() !== newlineCode) this.fail("a heredoc marker must end its line", start);
    this.pos++;
    const parts: TemplatePart[] = [];
    let text = "";
    let chunk = this.pos;
    let lineStart = true;
    for (;;) {
      if (lineStart && this.atMarkerLine(marker)) {
        text += this.text.slice(chunk, this.pos);
        this.skipToMarkerEnd(marker);
        break;
      }
      if (this.atEnd()) this.fail(`this heredoc is not closed by a line holding only ${marker}`, start);
      const code = this.peek();
      lineStart = code === newlineCode;
      if (
        (code === dollarCode || code === percentCode) &&
        this.peekAt(1) === code &&
        this.peekAt(2) === openBraceCode
      ) {
        text += this.text.slice(chunk, this.pos + 1);
        this.pos += 2;
        chunk = this.pos;
      } else if ((code === dollarCode || code === percentCode) && this.peekAt(1) === openBraceCode) {
        text += this.text.slice(chunk, this.pos);
        if (text !== "") parts.push({ kind: "text", text });
        text = "";
        parts.push(this.parseTemplateSequence(code === dollarCode));
        chunk = this.pos;
      } else {
        this.pos++;
      }
    }
    if (text !== "" || parts.length === 0) parts.push({ kind: "text", text });
    return { kind: "template", parts, offset: start };
  }

  protected atMarkerLine(marker: string): boolean {
    let i = this.pos;
    while (this.text.charCodeAt(i) === 32 || this.text.charCodeAt(i) === 9) i++;
    if (!this.text.startsWith(marker, i)) return false;
    i += marker.length;
    while (this.text.charCodeAt(i) === 32 || this.text.charCodeAt(i) === 9 || this.text.charCodeAt(i) === 13)
      i++;
    return i >= this.text.length || this.text.charCodeAt(i) === newlineCode;
  }

  protected skipToMarkerEnd(marker: string): void {
    while (this.peek() === 32 || this.peek() === 9) this.pos++;
    this.pos += marker.length;
  }
}

/** The text of a template without interpolations or directives, or null. */
export function templateLiteral(parts: readonly TemplatePart[]): string | null {
  let text = "";
  for (const part of parts) {
    if (part.kind !== "text") return null;
    text += part.text;
  }
  return text;
}
