// A hand-written HCL2 native-syntax parser (Terraform, OpenTofu, Terragrunt files) into the tree in ast.ts.
import type { Attribute, Block, Body, Expression, Offset, TemplatePart } from "./ast.ts";
import { lineColumn } from "./ast.ts";
import { Scanner } from "./scanner.ts";

/** A file that is not valid HCL, with where the parser gave up. */
export class HclSyntaxError extends Error {
  override name = "HclSyntaxError";
  readonly offset: Offset;
  readonly reason: string;

  constructor(reason: string, offset: Offset) {
    super(reason);
    this.reason = reason;
    this.offset = offset;
  }
}

export type HclParseResult =
  | { ok: true; body: Body }
  | { ok: false; line: number; column: number; message: string };

/** Parses a whole file; a syntax error comes back with its 1-based line and column. */
export function parseHcl(text: string): HclParseResult {
  try {
    return { ok: true, body: new Parser(text).parseFile() };
  } catch (error) {
    if (!(error instanceof HclSyntaxError)) throw error;
    return { ok: false, ...lineColumn(text, error.offset), message: error.reason };
  }
}

/** Real configurations nest a few dozen levels at most; this stops hostile input from exhausting the stack. */
const maxDepth = 400;

/** Binary operators by precedence, lowest first (HCL's table). */
const precedence: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  ">": 4,
  "<=": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

/** Char codes the parser compares against. */
const newlineCode = 10;
const quoteCode = 34;
const dollarCode = 36;
const percentCode = 37;
const openParenCode = 40;
const closeParenCode = 41;
const starCode = 42;
const commaCode = 44;
const minusCode = 45;
const dotCode = 46;
const colonCode = 58;
const lessCode = 60;
const equalsCode = 61;
const greaterCode = 62;
const questionCode = 63;
const openBracketCode = 91;
const backslashCode = 92;
const closeBracketCode = 93;
const openBraceCode = 123;
const closeBraceCode = 125;
const tildeCode = 126;
const bangCode = 33;

class Parser extends Scanner {
  private depth = 0;

  parseFile(): Body {
    return this.parseBody(false);
  }

  private fail(reason: string, offset: Offset = this.pos): never {
    throw new HclSyntaxError(reason, offset);
  }

  private enter(): void {
    if (++this.depth > maxDepth) this.fail(`nested more than ${maxDepth} levels deep`);
  }

  private expectChar(code: number, what: string): void {
    if (this.peek() !== code) this.fail(`expected ${what}${this.describeHere()}`);
    this.pos++;
  }

  private describeHere(): string {
    if (this.atEnd()) return " but the file ended";
    const code = this.peek();
    if (code === newlineCode) return " but the line ended";
    return ` but found ${JSON.stringify(this.text[this.pos])}`;
  }

  /** Attributes and blocks until `}` (nested) or the end of the file. */
  private parseBody(nested: boolean): Body {
    const body: Body = { attributes: [], blocks: [] };
    const open = this.pos - 1;
    this.enter();
    for (;;) {
      this.skipSpace(true);
      if (this.atEnd()) {
        if (nested) this.fail("this block is not closed with }", open);
        break;
      }
      if (this.peek() === closeBraceCode) {
        if (!nested) this.fail("unexpected } without a matching {");
        this.pos++;
        break;
      }
      const start = this.pos;
      const name = this.readIdentifier();
      if (name === null) this.fail(`expected an attribute name or block type${this.describeHere()}`);
      this.skipSpace(false);
      if (this.peek() === equalsCode && this.peekAt(1) !== equalsCode) {
        this.pos++;
        this.skipSpace(false);
        const value = this.parseExpression(true);
        body.attributes.push({ name, value, offset: start } satisfies Attribute);
      } else {
        body.blocks.push(this.parseBlock(name, start));
      }
      this.expectLineEnd(nested);
    }
    this.depth--;
    return body;
  }

  private parseBlock(type: string, start: Offset): Block {
    const labels: string[] = [];
    for (;;) {
      const code = this.peek();
      if (code === openBraceCode) break;
      if (code === quoteCode) {
        const labelStart = this.pos;
        const template = this.parseQuotedTemplate();
        const literal = templateLiteral(template.parts);
        if (literal === null)
          this.fail("a block label must be a plain string, without interpolation or directives", labelStart);
        labels.push(literal);
      } else {
        const label = this.readIdentifier();
        if (label === null) {
          this.fail(`expected = after ${JSON.stringify(type)}, or a block label or {${this.describeHere()}`);
        }
        labels.push(label);
      }
      this.skipSpace(false);
    }
    this.pos++;
    return { type, labels, body: this.parseBody(true), offset: start };
  }

  /** After an attribute or block: a newline, the end of the file, or the `}` of a one-line block. */
  private expectLineEnd(nested: boolean): void {
    this.skipSpace(false);
    const code = this.peek();
    if (this.atEnd() || code === newlineCode || (nested && code === closeBraceCode)) return;
    this.fail(`expected a newline after this attribute or block${this.describeHere()}`);
  }

  /** An expression; with `newlines` set, a newline ends it (bodies and object constructors). */
  parseExpression(newlines: boolean): Expression {
    this.enter();
    const condition = this.parseBinary(0, newlines);
    this.skipSpace(!newlines);
    let result = condition;
    if (this.peek() === questionCode) {
      this.pos++;
      this.skipSpace(true);
      const whenTrue = this.parseExpression(newlines);
      this.skipSpace(!newlines);
      this.expectChar(colonCode, ": of a conditional expression");
      this.skipSpace(true);
      const whenFalse = this.parseExpression(newlines);
      result = {
        kind: "operation",
        operator: "?",
        operands: [condition, whenTrue, whenFalse],
        offset: condition.offset,
      };
    }
    this.depth--;
    return result;
  }

  private readOperator(): string | null {
    const a = this.peek();
    const b = this.peekAt(1);
    switch (a) {
      case 124: // |
        return b === 124 ? "||" : null;
      case 38: // &
        return b === 38 ? "&&" : null;
      case equalsCode:
        return b === equalsCode ? "==" : null;
      case bangCode:
        return b === equalsCode ? "!=" : null;
      case lessCode:
        return b === equalsCode ? "<=" : b === lessCode ? null : "<";
      case greaterCode:
        return b === equalsCode ? ">=" : ">";
      case 43: // +
        return "+";
      case minusCode:
        return "-";
      case starCode:
        return "*";
      case 47: // /
        return "/";
      case percentCode:
        return "%";
      default:
        return null;
    }
  }

  private parseBinary(minimum: number, newlines: boolean): Expression {
    let left = this.parseUnary(newlines);
    for (;;) {
      const save = this.pos;
      this.skipSpace(!newlines);
      const operator = this.readOperator();
      const level = operator === null ? 0 : precedence[operator]!;
      if (operator === null || level <= minimum) {
        this.pos = save;
        return left;
      }
      this.pos += operator.length;
      this.skipSpace(true);
      const right = this.parseBinary(level, newlines);
      left = { kind: "operation", operator, operands: [left, right], offset: left.offset };
    }
  }

  private parseUnary(newlines: boolean): Expression {
    const code = this.peek();
    if (code === minusCode || code === bangCode) {
      const start = this.pos++;
      this.skipSpace(!newlines);
      this.enter();
      const operand = this.parseUnary(newlines);
      this.depth--;
      return {
        kind: "operation",
        operator: code === minusCode ? "neg" : "!",
        operands: [operand],
        offset: start,
      };
    }
    return this.parsePostfix(this.parseTerm(), newlines);
  }

  /** `.name`, `.0`, `.*`, `[key]` and `[*]` after a term. */
  private parsePostfix(term: Expression, newlines: boolean): Expression {
    let result = term;
    for (;;) {
      const save = this.pos;
      this.skipSpace(!newlines);
      const code = this.peek();
      if (code === dotCode && this.peekAt(1) !== dotCode) {
        this.pos++;
        if (this.peek() === starCode) {
          this.pos++;
          result = { kind: "splat", object: result, offset: result.offset };
          continue;
        }
        const digits = this.readDigits();
        if (digits !== null) {
          const key: Expression = { kind: "literal", value: Number(digits), offset: this.pos };
          result = { kind: "index", object: result, key, offset: result.offset };
          continue;
        }
        const name = this.readIdentifier();
        if (name === null) this.fail(`expected an attribute name after .${this.describeHere()}`);
        result = { kind: "get-attribute", object: result, name, offset: result.offset };
      } else if (code === openBracketCode) {
        this.pos++;
        this.skipSpace(true);
        if (this.peek() === starCode) {
          this.pos++;
          this.skipSpace(true);
          this.expectChar(closeBracketCode, "] after [*");
          result = { kind: "splat", object: result, offset: result.offset };
          continue;
        }
        const key = this.parseExpression(false);
        this.skipSpace(true);
        this.expectChar(closeBracketCode, "] closing the index");
        result = { kind: "index", object: result, key, offset: result.offset };
      } else {
        this.pos = save;
        return result;
      }
    }
  }

  private parseTerm(): Expression {
    const start = this.pos;
    const code = this.peek();
    if (code >= 48 && code <= 57) return { kind: "literal", value: this.readNumber(), offset: start };
    switch (code) {
      case quoteCode:
        return this.parseQuotedTemplate();
      case lessCode:
        if (this.peekAt(1) === lessCode) return this.parseHeredoc();
        break;
      case openParenCode: {
        this.pos++;
        this.skipSpace(true);
        const inner = this.parseExpression(false);
        this.skipSpace(true);
        this.expectChar(closeParenCode, ") closing the parenthesis");
        return inner;
      }
      case openBracketCode:
        return this.parseTuple();
      case openBraceCode:
        return this.parseObject();
      default:
        break;
    }
    const name = this.readIdentifier();
    if (name === null) this.fail(`expected an expression${this.describeHere()}`);
    if (name === "true" || name === "false")
      return { kind: "literal", value: name === "true", offset: start };
    if (name === "null") return { kind: "literal", value: null, offset: start };
    let callee = name;
    while (this.peek() === colonCode && this.peekAt(1) === colonCode) {
      this.pos += 2;
      const part = this.readIdentifier();
      if (part === null) this.fail(`expected a function name after ::${this.describeHere()}`);
      callee += `::${part}`;
    }
    const save = this.pos;
    this.skipSpace(false);
    if (this.peek() === openParenCode) return this.parseCall(callee, start);
    this.pos = save;
    if (callee !== name) this.fail("expected ( after a namespaced function name");
    return { kind: "variable", name, offset: start };
  }

  private parseCall(name: string, start: Offset): Expression {
    this.pos++;
    const args: Expression[] = [];
    let expandFinal = false;
    for (;;) {
      this.skipSpace(true);
      if (this.peek() === closeParenCode) break;
      if (expandFinal) this.fail("... may only follow the last argument");
      args.push(this.parseExpression(false));
      this.skipSpace(true);
      if (this.startsWith("...")) {
        this.pos += 3;
        expandFinal = true;
        this.skipSpace(true);
      }
      if (this.peek() === commaCode) this.pos++;
      else if (this.peek() !== closeParenCode)
        this.fail(`expected , or ) in the call to ${name}${this.describeHere()}`);
    }
    this.pos++;
    return { kind: "call", name, args, expandFinal, offset: start };
  }

  /** Whether a `for` keyword starts a for expression here (`for x in …`, `for k, v in …`). */
  private atForIntro(): boolean {
    if (!this.startsWith("for")) return false;
    const after = this.peekAt(3);
    return after === 32 || after === 9 || after === newlineCode || after === 13;
  }

  private parseFor(close: number, start: Offset): Expression {
    this.pos += 3;
    const parts: Expression[] = [];
    this.skipSpace(true);
    if (this.readIdentifier() === null) this.fail("expected a variable name after for");
    this.skipSpace(true);
    if (this.peek() === commaCode) {
      this.pos++;
      this.skipSpace(true);
      if (this.readIdentifier() === null) this.fail("expected a second variable name after ,");
      this.skipSpace(true);
    }
    if (this.readIdentifier() !== "in") this.fail("expected in after the for variables");
    this.skipSpace(true);
    parts.push(this.parseExpression(false));
    this.skipSpace(true);
    this.expectChar(colonCode, ": after the for collection");
    this.skipSpace(true);
    parts.push(this.parseExpression(false));
    this.skipSpace(true);
    if (close === closeBraceCode) {
      if (!this.startsWith("=>")) this.fail(`expected => in an object for expression${this.describeHere()}`);
      this.pos += 2;
      this.skipSpace(true);
      parts.push(this.parseExpression(false));
      this.skipSpace(true);
      if (this.startsWith("...")) {
        this.pos += 3;
        this.skipSpace(true);
      }
    }
    if (this.startsWith("if") && !isIdentifierPart(this.peekAt(2))) {
      this.pos += 2;
      this.skipSpace(true);
      parts.push(this.parseExpression(false));
      this.skipSpace(true);
    }
    this.expectChar(
      close,
      close === closeBraceCode ? "} closing the for expression" : "] closing the for expression",
    );
    return { kind: "for", parts, offset: start };
  }

  private parseTuple(): Expression {
    const start = this.pos++;
    this.enter();
    this.skipSpace(true);
    if (this.atForIntro()) {
      const result = this.parseFor(closeBracketCode, start);
      this.depth--;
      return result;
    }
    const items: Expression[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.peek() === closeBracketCode) break;
      items.push(this.parseExpression(false));
      this.skipSpace(true);
      if (this.peek() === commaCode) this.pos++;
      else if (this.peek() !== closeBracketCode) this.fail(`expected , or ] in a list${this.describeHere()}`);
    }
    this.pos++;
    this.depth--;
    return { kind: "tuple", items, offset: start };
  }

  private parseObject(): Expression {
    const start = this.pos++;
    this.enter();
    this.skipSpace(true);
    if (this.atForIntro()) {
      const result = this.parseFor(closeBraceCode, start);
      this.depth--;
      return result;
    }
    const items: { key: Expression; value: Expression }[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.peek() === closeBraceCode) break;
      const key = this.parseExpression(true);
      this.skipSpace(false);
      const separator = this.peek();
      if ((separator !== equalsCode && separator !== colonCode) || this.peekAt(1) === equalsCode) {
        this.fail(`expected = or : after an object key${this.describeHere()}`);
      }
      this.pos++;
      this.skipSpace(true);
      items.push({ key, value: this.parseExpression(true) });
      this.skipSpace(false);
      const next = this.peek();
      if (next === commaCode || next === newlineCode) this.pos++;
      else if (next !== closeBraceCode)
        this.fail(`expected , a newline or } in an object${this.describeHere()}`);
    }
    this.pos++;
    this.depth--;
    return { kind: "object", items, offset: start };
  }

  private parseQuotedTemplate(): Expression & { kind: "template" } {
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

  private readEscape(): string {
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
  private parseTemplateSequence(interpolation: boolean): TemplatePart {
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

  private parseDirective(start: Offset): Expression[] {
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
  private parseHeredoc(): Expression {
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

  private atMarkerLine(marker: string): boolean {
    let i = this.pos;
    while (this.text.charCodeAt(i) === 32 || this.text.charCodeAt(i) === 9) i++;
    if (!this.text.startsWith(marker, i)) return false;
    i += marker.length;
    while (this.text.charCodeAt(i) === 32 || this.text.charCodeAt(i) === 9 || this.text.charCodeAt(i) === 13)
      i++;
    return i >= this.text.length || this.text.charCodeAt(i) === newlineCode;
  }

  private skipToMarkerEnd(marker: string): void {
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

function isIdentifierPart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 45 ||
    code >= 0x80
  );
}
