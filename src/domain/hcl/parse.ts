// A hand-written HCL2 native-syntax parser (Terraform, OpenTofu, Terragrunt files) into the tree in ast.ts.
import type { Attribute, Block, Body, Offset } from "./ast.ts";
import { lineColumn } from "./ast.ts";
import { ExpressionParser } from "./expressions.ts";
import { HclSyntaxError } from "./scanner.ts";
import { templateLiteral } from "./templates.ts";

export { HclSyntaxError } from "./scanner.ts";
export { templateLiteral } from "./templates.ts";

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

const newlineCode = 10;
const quoteCode = 34;
const equalsCode = 61;
const openBraceCode = 123;
const closeBraceCode = 125;

/** Files: attributes and blocks, nested bodies, one-line blocks. */
class Parser extends ExpressionParser {
  parseFile(): Body {
    return this.parseBody(false);
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
}
