// Character-level reading of HCL text: whitespace and comments, identifiers and numbers, errors with offsets.
import type { Offset } from "./ast.ts";

const space = 32;
const tab = 9;
const carriageReturn = 13;
const newline = 10;
const hash = 35;
const slash = 47;
const star = 42;
const dot = 46;
const byteOrderMark = 0xfeff;

function isIdentifierStart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    code === 95 ||
    (code >= 0x80 && code !== byteOrderMark)
  );
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || (code >= 48 && code <= 57) || code === 45;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

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

/** Real configurations nest a few dozen levels at most; this stops hostile input from exhausting the stack. */
const maxDepth = 400;

/** A cursor over the text, with the error and nesting helpers the parsers share. */
export class Scanner {
  protected readonly text: string;
  protected pos: number;
  protected depth = 0;

  constructor(text: string) {
    this.text = text;
    this.pos = text.charCodeAt(0) === byteOrderMark ? 1 : 0;
  }

  protected fail(reason: string, offset: Offset = this.pos): never {
    throw new HclSyntaxError(reason, offset);
  }

  protected enter(): void {
    if (++this.depth > maxDepth) this.fail(`nested more than ${maxDepth} levels deep`);
  }

  protected expectChar(code: number, what: string): void {
    if (this.peek() !== code) this.fail(`expected ${what}${this.describeHere()}`);
    this.pos++;
  }

  protected describeHere(): string {
    if (this.atEnd()) return " but the file ended";
    const code = this.peek();
    if (code === newline) return " but the line ended";
    return ` but found ${JSON.stringify(this.text[this.pos])}`;
  }

  protected atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** The char code at the cursor (NaN at the end, which equals nothing). */
  protected peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  protected peekAt(ahead: number): number {
    return this.text.charCodeAt(this.pos + ahead);
  }

  protected startsWith(literal: string): boolean {
    return this.text.startsWith(literal, this.pos);
  }

  /**
   * Skips spaces, tabs, carriage returns and comments (`#` and `//` to the end of the line, `/* … *\/`),
   * and newlines too when `newlines` is set.
   */
  protected skipSpace(newlines: boolean): void {
    const text = this.text;
    for (;;) {
      const code = text.charCodeAt(this.pos);
      if (code === space || code === tab || code === carriageReturn || (newlines && code === newline)) {
        this.pos++;
      } else if (code === hash || (code === slash && text.charCodeAt(this.pos + 1) === slash)) {
        const end = text.indexOf("\n", this.pos);
        this.pos = end === -1 ? text.length : end;
      } else if (code === slash && text.charCodeAt(this.pos + 1) === star) {
        const end = text.indexOf("*/", this.pos + 2);
        if (end === -1) {
          this.pos = text.length;
          return;
        }
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  /** An identifier (letters, digits, `_` and `-`, not starting with a digit or `-`), or null. */
  protected readIdentifier(): string | null {
    const start = this.pos;
    if (!isIdentifierStart(this.text.charCodeAt(start))) return null;
    let end = start + 1;
    while (isIdentifierPart(this.text.charCodeAt(end))) end++;
    this.pos = end;
    return this.text.slice(start, end);
  }

  /** Decimal digits only (a legacy index such as the `0` in `list.0`), or null. */
  protected readDigits(): string | null {
    const start = this.pos;
    while (isDigit(this.text.charCodeAt(this.pos))) this.pos++;
    return this.pos === start ? null : this.text.slice(start, this.pos);
  }

  /** A number literal: digits, an optional fraction and an optional exponent. */
  protected readNumber(): number {
    const start = this.pos;
    this.readDigits();
    if (this.text.charCodeAt(this.pos) === dot && isDigit(this.text.charCodeAt(this.pos + 1))) {
      this.pos++;
      this.readDigits();
    }
    const e = this.text.charCodeAt(this.pos);
    if (e === 101 || e === 69) {
      let i = this.pos + 1;
      const sign = this.text.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (isDigit(this.text.charCodeAt(i))) {
        this.pos = i;
        this.readDigits();
      }
    }
    return Number(this.text.slice(start, this.pos));
  }
}
