// Tag queries (`dir:aws/vpc and not prod`, `vpc in dir`): parser to an AST, evaluator, printer.
import { checkPath } from "./paths.ts";

/** A parsed tag query. `all` is the empty query, which matches every dirspace. */
export type TagQuery =
  | { kind: "all" }
  | { kind: "tag"; tag: string }
  | { kind: "in-dir"; segment: string }
  | { kind: "not"; operand: TagQuery }
  | { kind: "and"; operands: TagQuery[] }
  | { kind: "or"; operands: TagQuery[] };

/** A syntax error in a tag query; `column` is 1-based and points into `query`. */
export class TagQueryError extends Error {
  override name = "TagQueryError";
  readonly query: string;
  readonly column: number;
  readonly reason: string;

  constructor(query: string, column: number, reason: string) {
    super(`${reason} (column ${column})`);
    this.query = query;
    this.column = column;
    this.reason = reason;
  }

  /** The query with a caret under the offending column, for a code block in a reply. */
  pointer(): string {
    return `${this.query}\n${" ".repeat(this.column - 1)}^`;
  }
}

type Token =
  | { kind: "open"; column: number }
  | { kind: "close"; column: number }
  | { kind: "word"; value: string; quoted: boolean; column: number }
  | { kind: "end"; column: number };

const keywords = new Set(["and", "or", "not", "in"]);

function isBreak(char: string): boolean {
  return char === "(" || char === ")" || /\s/.test(char);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < query.length) {
    const char = query[index]!;
    if (/\s/.test(char)) {
      index++;
    } else if (char === "(" || char === ")") {
      tokens.push({ kind: char === "(" ? "open" : "close", column: index + 1 });
      index++;
    } else {
      const start = index;
      let value = "";
      let quoted = false;
      while (index < query.length && !isBreak(query[index]!)) {
        const current = query[index]!;
        if (current === '"' || current === "'") {
          quoted = true;
          const quoteColumn = index + 1;
          index++;
          while (index < query.length && query[index] !== current) {
            if (query[index] === "\\" && index + 1 < query.length) index++;
            value += query[index]!;
            index++;
          }
          if (index >= query.length) {
            throw new TagQueryError(query, quoteColumn, `unterminated quote; close it with ${current}`);
          }
          index++;
        } else {
          value += current;
          index++;
        }
      }
      tokens.push({ kind: "word", value, quoted, column: start + 1 });
    }
  }
  tokens.push({ kind: "end", column: query.length + 1 });
  return tokens;
}

function keyword(token: Token): string | undefined {
  if (token.kind !== "word" || token.quoted) return undefined;
  const lowered = token.value.toLowerCase();
  return keywords.has(lowered) ? lowered : undefined;
}

/** `dir:./aws/vpc/` means the dir `aws/vpc`: dir tags compare against normalized dirs. */
function normalizeDirTag(tag: string): string {
  if (!tag.startsWith("dir:")) return tag;
  const checked = checkPath(tag.slice(4));
  return checked.ok ? `dir:${checked.path}` : tag;
}

/**
 * How deeply parentheses and `not` may nest. Far above any real query; it bounds the parser's and
 * the evaluator's recursion so a hostile comment gets an answer instead of a stack overflow.
 */
export const maxTagQueryDepth = 64;

/** Parses a tag query; throws TagQueryError with the column of the first problem. */
export function parseTagQuery(query: string): TagQuery {
  const tokens = tokenize(query);
  let position = 0;
  let depth = 0;
  const peek = (): Token => tokens[position]!;
  const fail = (token: Token, reason: string): never => {
    throw new TagQueryError(query, token.column, reason);
  };
  /** Runs `parse` one nesting level deeper, refusing past maxTagQueryDepth. */
  const nested = (token: Token, parse: () => TagQuery): TagQuery => {
    depth++;
    if (depth > maxTagQueryDepth) {
      fail(
        token,
        `nested more than ${maxTagQueryDepth} levels deep (parentheses and 'not'); simplify the query`,
      );
    }
    const result = parse();
    depth--;
    return result;
  };

  const startsOperand = (token: Token): boolean =>
    token.kind === "open" || (token.kind === "word" && (keyword(token) ?? "not") === "not");

  const requireOperand = (after: string): void => {
    const next = peek();
    if (!startsOperand(next)) {
      const what = next.kind === "end" ? "the end of the query" : describe(next);
      fail(next, `expected a tag after '${after}', found ${what}`);
    }
  };

  const parseOr = (): TagQuery => {
    const operands = [parseAnd()];
    while (keyword(peek()) === "or") {
      position++;
      requireOperand("or");
      operands.push(parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { kind: "or", operands };
  };

  const parseAnd = (): TagQuery => {
    const operands = [parseUnary()];
    for (;;) {
      const next = peek();
      if (keyword(next) === "and") {
        position++;
        requireOperand("and");
      } else if (!startsOperand(next)) {
        break;
      }
      operands.push(parseUnary());
    }
    return operands.length === 1 ? operands[0]! : { kind: "and", operands };
  };

  const parseUnary = (): TagQuery => {
    const token = peek();
    if (keyword(token) === "not") {
      position++;
      requireOperand("not");
      return nested(token, () => ({ kind: "not", operand: parseUnary() }));
    }
    return parsePrimary();
  };

  const parsePrimary = (): TagQuery => {
    const token = peek();
    if (token.kind === "open") {
      position++;
      if (peek().kind === "close") fail(token, "empty parentheses; put a tag inside or remove them");
      const inner = nested(token, parseOr);
      const close = peek();
      if (close.kind === "end") fail(token, "unclosed '('; add a ')'");
      if (close.kind !== "close") fail(close, `expected ')', found ${describe(close)}`);
      position++;
      return inner;
    }
    if (token.kind !== "word") return fail(token, `expected a tag, found ${describe(token)}`);
    const word = keyword(token);
    if (word !== undefined) fail(token, `expected a tag before '${word}'`);
    position++;
    if (keyword(peek()) === "in") {
      position++;
      const target = peek();
      if (target.kind !== "word" || target.quoted || target.value.toLowerCase() !== "dir") {
        fail(target, `expected 'dir' after 'in', as in '${token.value} in dir'`);
      }
      position++;
      return { kind: "in-dir", segment: token.value };
    }
    return { kind: "tag", tag: normalizeDirTag(token.value) };
  };

  if (peek().kind === "end") return { kind: "all" };
  const result = parseOr();
  const rest = peek();
  if (rest.kind === "close") fail(rest, "unexpected ')' without a matching '('");
  if (rest.kind !== "end") {
    fail(rest, `unexpected ${describe(rest)}; 'in dir' follows a single tag, as in 'vpc in dir'`);
  }
  return result;
}

function describe(token: Token): string {
  switch (token.kind) {
    case "open":
      return "'('";
    case "close":
      return "')'";
    case "word":
      return `'${token.value}'`;
    case "end":
      return "the end of the query";
    default: {
      const unreachable: never = token;
      return unreachable;
    }
  }
}

/** The set of tags a dirspace carries; `dir:X` is how `in dir` finds the directory. */
export type TagSet = ReadonlySet<string>;

function dirOf(tags: TagSet): string | undefined {
  for (const tag of tags) if (tag.startsWith("dir:")) return tag.slice(4);
  return undefined;
}

/** Whether a dirspace with these tags matches the query. */
export function evaluateTagQuery(query: TagQuery, tags: TagSet): boolean {
  switch (query.kind) {
    case "all":
      return true;
    case "tag":
      return tags.has(query.tag);
    case "in-dir": {
      const dir = dirOf(tags);
      return dir?.split("/").includes(query.segment) ?? false;
    }
    case "not":
      return !evaluateTagQuery(query.operand, tags);
    case "and":
      return query.operands.every((operand) => evaluateTagQuery(operand, tags));
    case "or":
      return query.operands.some((operand) => evaluateTagQuery(operand, tags));
    default: {
      const unreachable: never = query;
      return unreachable;
    }
  }
}

function quoteIfNeeded(value: string): string {
  const plain = value !== "" && !/[\s()'"\\]/.test(value) && !keywords.has(value.toLowerCase());
  return plain ? value : `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

/** A canonical text form of the query that parses back to the same AST. */
export function formatTagQuery(query: TagQuery): string {
  const wrap = (inner: TagQuery, parent: "and" | "or" | "not"): string => {
    const text = formatTagQuery(inner);
    const needs = (inner.kind === "or" && parent !== "or") || (inner.kind === "and" && parent === "not");
    return needs ? `(${text})` : text;
  };
  switch (query.kind) {
    case "all":
      return "";
    case "tag":
      return quoteIfNeeded(query.tag);
    case "in-dir":
      return `${quoteIfNeeded(query.segment)} in dir`;
    case "not":
      return `not ${wrap(query.operand, "not")}`;
    case "and":
      return query.operands.map((operand) => wrap(operand, "and")).join(" and ");
    case "or":
      return query.operands.map((operand) => wrap(operand, "or")).join(" or ");
    default: {
      const unreachable: never = query;
      return unreachable;
    }
  }
}
