// The syntax tree of an HCL2 (native syntax) file: bodies, blocks, attributes and expressions.

/** Where something starts: an offset into the file text (see `lineColumn` for line and column). */
export type Offset = number;

export interface Attribute {
  name: string;
  value: Expression;
  offset: Offset;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  offset: Offset;
}

/** Attributes and blocks in file order. */
export interface Body {
  attributes: Attribute[];
  blocks: Block[];
}

/** One piece of a template: literal text, an interpolation `${…}`, or a directive `%{…}`. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "interpolation"; expression: Expression }
  | { kind: "directive"; expressions: Expression[] };

export type Expression =
  | { kind: "literal"; value: number | boolean | null; offset: Offset }
  | { kind: "template"; parts: TemplatePart[]; offset: Offset }
  | { kind: "variable"; name: string; offset: Offset }
  | { kind: "get-attribute"; object: Expression; name: string; offset: Offset }
  | { kind: "index"; object: Expression; key: Expression; offset: Offset }
  | { kind: "splat"; object: Expression; offset: Offset }
  | { kind: "call"; name: string; args: Expression[]; expandFinal: boolean; offset: Offset }
  | { kind: "tuple"; items: Expression[]; offset: Offset }
  | { kind: "object"; items: { key: Expression; value: Expression }[]; offset: Offset }
  | { kind: "for"; parts: Expression[]; offset: Offset }
  | { kind: "operation"; operator: string; operands: Expression[]; offset: Offset };

/** The expressions directly inside one, for walks that look for calls or references. */
export function childExpressions(expression: Expression): Expression[] {
  switch (expression.kind) {
    case "literal":
    case "variable":
      return [];
    case "template":
      return expression.parts.flatMap((part) =>
        part.kind === "text" ? [] : part.kind === "interpolation" ? [part.expression] : part.expressions,
      );
    case "get-attribute":
    case "splat":
      return [expression.object];
    case "index":
      return [expression.object, expression.key];
    case "call":
      return expression.args;
    case "tuple":
      return expression.items;
    case "object":
      return expression.items.flatMap((item) => [item.key, item.value]);
    case "for":
      return expression.parts;
    case "operation":
      return expression.operands;
    default: {
      const unreachable: never = expression;
      return unreachable;
    }
  }
}

/** Calls `visit` on the expression and every expression inside it, depth first. */
export function walkExpression(expression: Expression, visit: (expression: Expression) => void): void {
  const stack = [expression];
  while (stack.length > 0) {
    const next = stack.pop()!;
    visit(next);
    stack.push(...childExpressions(next));
  }
}

/** 1-based line and column of an offset (columns count UTF-16 code units, as editors mostly do). */
export function lineColumn(text: string, offset: Offset): { line: number; column: number } {
  return createLineLocator(text)(offset);
}

/** Line and column lookups for many offsets of one text: the line starts are found once, on first use. */
export function createLineLocator(text: string): (offset: Offset) => { line: number; column: number } {
  let lineStarts: number[] | undefined;
  return (offset) => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
    }
    const end = Math.min(offset, text.length);
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (lineStarts[middle]! <= end) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: end - lineStarts[low]! + 1 };
  };
}
