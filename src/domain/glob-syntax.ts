// The glob syntax every glob of the config shares: `*`, `?`, `**`, classes `[a-z]`, braces `{a,b}`; the rest is an error.

/**
 * A glob that cannot be read. `column` is the 1-based character of the pattern where the problem
 * starts, so a config error can point at it; `reason` says what is wrong and what to write instead.
 */
export class GlobSyntaxError extends Error {
  override name = "GlobSyntaxError";
  readonly pattern: string;
  readonly column: number | undefined;
  readonly reason: string;

  constructor(pattern: string, reason: string, column?: number) {
    const where = column === undefined ? "" : ` (character ${column})`;
    super(`invalid glob ${JSON.stringify(pattern)}${where}: ${reason}`);
    this.pattern = pattern;
    this.column = column;
    this.reason = reason;
  }
}

/** A pattern expanding to more globs than this is refused: matching would get slow and it is a mistake. */
export const maxBraceExpansions = 256;

export interface GlobSyntaxOptions {
  /** A placeholder passed through untouched (`${DIR}` in file patterns); any other `${…}` is an error. */
  placeholder?: string;
}

const extglobStart = /[@!+*?]\(/y;

/** Index of the `]` closing the class that opens at `start`, or -1. A `]` right after `[` or `[!` is a member. */
export function classEnd(text: string, start: number): number {
  let index = start + 1;
  if (text[index] === "!" || text[index] === "^") index++;
  if (text[index] === "]") index++;
  return text.indexOf("]", index);
}

/** Checks a class body (between `[` and `]`, negation included); returns the reason it is invalid, if it is. */
function classProblem(body: string): string | undefined {
  const members = body.replace(/^[!^]/, "");
  if (members.includes("/")) return "a character class cannot match `/`; use a separate path segment";
  if (/\[[:.=]/.test(members)) {
    return "POSIX classes such as [[:alpha:]] are not supported; write the range instead, e.g. [a-zA-Z]";
  }
  for (let index = 1; index < members.length - 1; index++) {
    if (members[index] !== "-") continue;
    const from = members[index - 1]!;
    const to = members[index + 1]!;
    if (from > to) return `the range ${from}-${to} in a character class is reversed; write ${to}-${from}`;
    index++;
  }
  return undefined;
}

/** Cartesian product of alternatives, refusing a blow-up. */
function product(left: readonly string[], right: readonly string[], fail: () => never): string[] {
  if (left.length * right.length > maxBraceExpansions) fail();
  const result: string[] = [];
  for (const a of left) for (const b of right) result.push(a + b);
  return result;
}

/**
 * Checks a glob's syntax and expands its braces: `a/{b,c}/*.{tf,tfvars}` → four brace-free globs
 * (classes and the placeholder are kept as written). Throws GlobSyntaxError for anything this glob
 * language does not support, so a typo is reported instead of silently matching nothing.
 */
export function expandBraces(pattern: string, options: GlobSyntaxOptions = {}): string[] {
  const fail = (reason: string, index?: number): never => {
    throw new GlobSyntaxError(pattern, reason, index === undefined ? undefined : index + 1);
  };
  const tooMany = () =>
    fail(`expands to more than ${maxBraceExpansions} patterns; use fewer or smaller {…} groups`);
  let position = 0;

  /** Reads a sequence up to the end, or (inside braces) up to the next top-level `,` or `}`. */
  const sequence = (depth: number): string[] => {
    let alternatives = [""];
    let literal = "";
    const flush = () => {
      if (literal === "") return;
      alternatives = alternatives.map((prefix) => prefix + literal);
      literal = "";
    };
    while (position < pattern.length) {
      const char = pattern[position]!;
      if (depth > 0 && (char === "," || char === "}")) break;
      extglobStart.lastIndex = position;
      if (extglobStart.test(pattern)) {
        fail("extended globs such as @(a|b) or !(x) are not supported; use {a,b} for alternatives", position);
      }
      if (char === "$" && pattern[position + 1] === "{") {
        const placeholder = options.placeholder;
        if (placeholder !== undefined && pattern.startsWith(placeholder, position)) {
          literal += placeholder;
          position += placeholder.length;
          continue;
        }
        const end = pattern.indexOf("}", position);
        const name = end === -1 ? pattern.slice(position) : pattern.slice(position, end + 1);
        fail(
          placeholder === undefined
            ? `${name} is not a glob; placeholders exist only in when_modified.file_patterns`
            : `unknown placeholder ${name}; the only one is ${placeholder}`,
          position,
        );
      }
      if (char === "[") {
        const end = classEnd(pattern, position);
        if (end === -1) fail("unclosed `[`; close the character class with `]`", position);
        const problem = classProblem(pattern.slice(position + 1, end));
        if (problem) fail(problem, position);
        literal += pattern.slice(position, end + 1);
        position = end + 1;
        continue;
      }
      if (char === "}") fail("unmatched `}`", position);
      if (char === "{") {
        flush();
        alternatives = product(alternatives, group(), tooMany);
        continue;
      }
      literal += char;
      position++;
    }
    flush();
    return alternatives;
  };

  /** Reads `{a,b,…}` starting at its `{`; returns the union of its alternatives' expansions. */
  const group = (): string[] => {
    const open = position;
    position++;
    const options: string[] = [];
    let parts = 0;
    for (;;) {
      for (const expansion of sequence(1)) options.push(expansion);
      if (options.length > maxBraceExpansions) tooMany();
      parts++;
      const char = pattern[position];
      if (char === undefined) fail("unclosed `{`; close the alternatives with `}`", open);
      position++;
      if (char === "}") break;
    }
    if (parts < 2) {
      const body = pattern.slice(open + 1, position - 1);
      if (/^-?\w+\.\.-?\w+$/.test(body)) {
        fail(`ranges such as {${body}} are not supported; list the values: {a,b,c}`, open);
      }
      fail(
        `{${body}} has one alternative; list at least two separated by commas ({a,b})${body === "DIR" ? `, or write $${"{DIR}"} for the dir` : ""}`,
        open,
      );
    }
    return options;
  };

  return sequence(0);
}

/** Whether a pattern uses any glob syntax (`*`, `?`, `[…]` or `{…}`). */
export function isGlobPattern(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** Whether one path segment (braces already expanded) has a wildcard: `*`, `?` or a class. */
export function isWildSegment(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A literal path written as a glob that matches only itself (`[` → `[[]`), for putting a dir into a pattern. */
export function escapeGlobLiteral(path: string): string {
  return path.replace(/[*?[\]{}(]/g, (char) => `[${char}]`);
}
