// Path globs (`*` within one segment, `**` across any number of segments) compiled to fast matchers.
import { checkPath } from "./paths.ts";

/**
 * A compiled glob. `prefix` is the literal directory before the first wildcard segment (`""` if the
 * glob starts with one) and `shape` says what follows it, so callers can look up candidate files by
 * directory instead of testing every file.
 */
export interface Glob {
  readonly pattern: string;
  readonly prefix: string;
  /** literal: no wildcard at all; one-segment: one segment after prefix; fixed-depth: no `**`. */
  readonly shape: "literal" | "one-segment" | "fixed-depth" | "deep";
  test(path: string): boolean;
}

/** Whether a string uses glob syntax (`*` or `?`). */
export function isGlobPattern(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

function segmentSource(segment: string): string {
  let source = "";
  for (const char of segment) {
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return source;
}

/** Regular-expression source matching exactly the paths the glob's segments describe. */
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
  return `^${source}$`;
}

/** The glob's segments with `.` and empty segments removed and repeated `**` collapsed. */
export function globSegments(pattern: string): string[] {
  const checked = checkPath(pattern);
  if (!checked.ok) throw new Error(`invalid glob ${JSON.stringify(pattern)}: ${checked.reason}`);
  if (checked.path === ".") return [];
  const segments: string[] = [];
  for (const segment of checked.path.split("/")) {
    if (segment === "**" && segments[segments.length - 1] === "**") continue;
    segments.push(segment);
  }
  return segments;
}

/** Compiles a glob over normalized repository-relative paths; throws on `..`, absolute paths, etc. */
export function compileGlob(pattern: string): Glob {
  const segments = globSegments(pattern);
  const firstWild = segments.findIndex(isGlobPattern);
  const literalCount = firstWild === -1 ? segments.length : firstWild;
  const rest = segments.slice(literalCount);
  const prefix = segments.slice(0, literalCount).join("/");
  if (rest.length === 0) {
    const literal = segments.length === 0 ? "." : prefix;
    return { pattern, prefix, shape: "literal", test: (path) => path === literal };
  }
  const regex = new RegExp(globSource(segments));
  const shape = rest.includes("**") ? "deep" : rest.length === 1 ? "one-segment" : "fixed-depth";
  return { pattern, prefix, shape, test: (path) => regex.test(path) };
}
