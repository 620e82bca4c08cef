// HCL expressions: operators by precedence, conditionals, calls, tuples, objects, for expressions, splats.
import type { Expression, Offset } from "./ast.ts";
import { TemplateScanner } from "./templates.ts";

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

const newlineCode = 10;
const quoteCode = 34;
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
const closeBracketCode = 93;
const openBraceCode = 123;
const closeBraceCode = 125;
const bangCode = 33;

/** Expressions on top of templates; the body parser builds on it. */
export class ExpressionParser extends TemplateScanner {
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

  protected parseTerm(): Expression {
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
