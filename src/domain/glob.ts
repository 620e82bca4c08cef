// Path globs (`*` within one segment, `**` across segments, `?`, `[a-z]`, `{a,b}`) compiled to fast matchers.
import { classEnd, expandBraces, GlobSyntaxError, isGlobPattern, isWildSegment } from "./glob-syntax.ts";
import { checkPath } from "./paths.ts";

export { escapeGlobLiteral, GlobSyntaxError, isGlobPattern } from "./glob-syntax.ts";

/** Where the matching paths can be: all of them below `prefix`, at the depth `shape` says. */
export type GlobShape = "literal" | "one-segment" | "fixed-depth" | "deep";

/**
 * A compiled glob. `prefix` is the literal directory before the first wildcard segment (`""` if the
 * glob starts with one) and `shape` says what follows it, so callers can look up candidate files by
 * directory instead of testing every file. A glob with braces gets the prefix its alternatives share.
 */
export interface Glob {
  readonly pattern: string;
  readonly prefix: string;
  /** literal: no wildcard at all; one-segment: one segment after prefix; fixed-depth: no `**`. */
  readonly shape: GlobShape;
  test(path: string): boolean;
}

const regexSpecial = /[.+^${}()|[\]\\*?]/g;

/** `[a-z]` / `[!a-z]` as a regular-expression class that never matches `/`. */
function classSource(body: string): string {
  const negated = body.startsWith("!") || body.startsWith("^");
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^[]/g, "\\$&");
  return negated ? `[^${members}/]` : `[${members}]`;
}

function segmentSource(segment: string): string {
  let source = "";
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index]!;
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = classEnd(segment, index);
      source += classSource(segment.slice(index + 1, end));
      index = end;
    } else source += char.replace(regexSpecial, "\\$&");
  }
  return source;
}

/** Regular-expression source (unanchored) matching exactly the paths the glob's segments describe. */
function globSource(segments: readonly string[]): string {
  let source = "";
  let needSlash = false;
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === "**") {
      if (last) source += needSlash ? "(?:/[^/]+)*" : "(?:[^/]+(?:/[^/]+)*)?";
      else {
        source += (needSlash ? "/" : "") + "(?:[^/]+/)*";
        needSlash = false;
        return;
      }
    } else {
      source += (needSlash ? "/" : "") + segmentSource(segment);
    }
    needSlash = true;
  });
  return source;
}

/** The segments of a brace-free glob with `.` and empty segments removed and repeated `**` collapsed. */
export function globSegments(pattern: string, writtenAs: string = pattern): string[] {
  const checked = checkPath(pattern);
  if (!checked.ok) throw new GlobSyntaxError(writtenAs, checked.reason);
  if (checked.path === ".") return [];
  const segments: string[] = [];
  for (const segment of checked.path.split("/")) {
    if (segment === "**" && segments[segments.length - 1] === "**") continue;
    segments.push(segment);
  }
  return segments;
}

/** Where the paths one brace-free alternative matches can be. */
function shapeOf(segments: readonly string[], literalCount: number): GlobShape {
  const rest = segments.slice(literalCount);
  if (rest.length === 0) return "literal";
  if (rest.includes("**")) return "deep";
  return rest.length === 1 ? "one-segment" : "fixed-depth";
}

/**
 * Compiles a glob over normalized repository-relative paths. Throws GlobSyntaxError for `..`,
 * absolute paths and syntax the config's globs do not support (the schema reports those first).
 */
export function compileGlob(pattern: string): Glob {
  // Most globs are plain: skip the syntax pass when no character could start braces, a class or an error.
  const expanded = /[{}[$(]/.test(pattern) ? expandBraces(pattern) : [pattern];
  const alternatives = expanded.map((alternative) => globSegments(alternative, pattern));
  if (alternatives.length === 1) {
    const segments = alternatives[0]!;
    const firstWild = segments.findIndex(isWildSegment);
    const literalCount = firstWild === -1 ? segments.length : firstWild;
    const prefix = segments.slice(0, literalCount).join("/");
    const shape = shapeOf(segments, literalCount);
    if (shape === "literal") {
      const literal = segments.length === 0 ? "." : prefix;
      return { pattern, prefix, shape, test: (path) => path === literal };
    }
    const regex = new RegExp(`^${globSource(segments)}$`);
    return { pattern, prefix, shape, test: (path) => regex.test(path) };
  }
  // Alternatives share the literal segments they all start with; below that, the widest shape wins.
  let common = alternatives[0]!.length;
  for (const segments of alternatives) {
    let index = 0;
    while (index < common && index < segments.length && !isWildSegment(segments[index]!)) {
      if (segments[index] !== alternatives[0]![index]) break;
      index++;
    }
    common = index;
  }
  const shapes = new Set(alternatives.map((segments) => shapeOf(segments, common)));
  // A literal alternative among others is the prefix itself, which only the "deep" lookup also tries.
  const shape: GlobShape =
    shapes.size === 1 && shapes.has("literal")
      ? "literal"
      : shapes.has("deep") || shapes.has("literal")
        ? "deep"
        : shapes.has("fixed-depth")
          ? "fixed-depth"
          : "one-segment";
  const prefix = alternatives[0]!.slice(0, common).join("/");
  const regex = new RegExp(
    `^(?:${alternatives.map((segments) => (segments.length === 0 ? "\\." : globSource(segments))).join("|")})$`,
  );
  return { pattern, prefix, shape, test: (path) => regex.test(path) };
}

/**
 * Why a glob written in the config cannot be used, or undefined when it can. With `placeholder`
 * (file patterns), that placeholder may appear and stands for a dir.
 */
export function globProblem(pattern: string, placeholder?: string): string | undefined {
  try {
    const options = placeholder === undefined ? {} : { placeholder };
    for (const alternative of expandBraces(pattern, options)) {
      const path = placeholder === undefined ? alternative : alternative.replaceAll(placeholder, "dir");
      const checked = checkPath(path);
      if (!checked.ok) return checked.reason;
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof GlobSyntaxError)) throw error;
    return error.column === undefined ? error.reason : `${error.reason} (character ${error.column})`;
  }
}

/** Whether a branch name matches one of the patterns (globs as everywhere in the config: `*` stays within a segment). */
export function matchesBranch(patterns: readonly string[], branch: string): boolean {
  return patterns.some((pattern) =>
    isGlobPattern(pattern) ? compileGlob(pattern).test(branch) : pattern === branch,
  );
}
