// A deliberately simple matcher (every pattern against every file) that the fast one is checked against.
import type { DiscoveredDirspace } from "./discover.ts";
import { compileGlob, escapeGlobLiteral, globSegments } from "./glob.ts";
import { dirPlaceholder } from "./repo-config.ts";

/** Whether `char` is in a class body such as `a-z_` or `!0-9` (a leading `!` or `^` negates). */
function inClass(body: string, char: string): boolean {
  const negated = body[0] === "!" || body[0] === "^";
  const members = negated ? body.slice(1) : body;
  let found = false;
  for (let i = 0; i < members.length; i++) {
    if (members[i + 1] === "-" && i + 2 < members.length) {
      if (members[i]! <= char && char <= members[i + 2]!) found = true;
      i += 2;
    } else if (members[i] === char) found = true;
  }
  return found !== negated;
}

/** Whether one path segment matches a glob segment with `*`, `?` and classes, by plain backtracking. */
function segmentMatches(pattern: string, text: string): boolean {
  if (pattern === "") return text === "";
  const head = pattern[0]!;
  if (head === "*") {
    for (let i = 0; i <= text.length; i++) if (segmentMatches(pattern.slice(1), text.slice(i))) return true;
    return false;
  }
  if (text === "") return false;
  if (head === "[") {
    // A `]` right after `[` (or `[!`) is a member, not the end.
    const skip = pattern[1] === "!" || pattern[1] === "^" ? 2 : 1;
    const end = pattern.indexOf("]", skip + (pattern[skip] === "]" ? 1 : 0));
    return inClass(pattern.slice(1, end), text[0]!) && segmentMatches(pattern.slice(end + 1), text.slice(1));
  }
  return (head === "?" || head === text[0]) && segmentMatches(pattern.slice(1), text.slice(1));
}

function segmentsMatch(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === "**") {
    for (let i = 0; i <= path.length; i++) if (segmentsMatch(rest, path.slice(i))) return true;
    return false;
  }
  return path.length > 0 && segmentMatches(head!, path[0]!) && segmentsMatch(rest, path.slice(1));
}

/** `a{b,c{d,e}}f` → abf, acdf, acef: the first innermost-last group, expanded recursively (classes skipped). */
function referenceExpand(pattern: string): string[] {
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === "[") {
      const skip = pattern[i + 1] === "!" || pattern[i + 1] === "^" ? 2 : 1;
      i = pattern.indexOf("]", i + skip + (pattern[i + skip] === "]" ? 1 : 0));
      if (i === -1) return [pattern];
    } else if (pattern[i] === "{") {
      open = i;
      break;
    }
  }
  if (open === -1) return [pattern];
  let depth = 0;
  const cuts: number[] = [open];
  let close = open;
  for (let i = open; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "[") {
      const skip = pattern[i + 1] === "!" || pattern[i + 1] === "^" ? 2 : 1;
      i = pattern.indexOf("]", i + skip + (pattern[i + skip] === "]" ? 1 : 0));
      if (i === -1) return [pattern];
    } else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) {
      close = i;
      break;
    } else if (char === "," && depth === 1) cuts.push(i);
  }
  cuts.push(close);
  const before = pattern.slice(0, open);
  const after = pattern.slice(close + 1);
  const results: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    results.push(...referenceExpand(before + pattern.slice(cuts[k]! + 1, cuts[k + 1]) + after));
  }
  return results;
}

/** Whether a normalized path matches a glob, without regular expressions. */
export function referenceGlobMatch(pattern: string, path: string): boolean {
  const pathSegments = path === "." ? [] : path.split("/");
  return referenceExpand(pattern).some((alternative) =>
    segmentsMatch(globSegments(alternative), pathSegments),
  );
}

/** Whether any changed file matches a positive pattern of the dir and no `!` pattern. */
export function referenceIsChanged(
  dir: string,
  patterns: readonly string[],
  changedFiles: readonly string[],
): boolean {
  const expand = (pattern: string): string => pattern.replaceAll(dirPlaceholder, escapeGlobLiteral(dir));
  const positive = patterns.filter((pattern) => !pattern.startsWith("!")).map(expand);
  const negative = patterns
    .filter((pattern) => pattern.startsWith("!"))
    .map((pattern) => expand(pattern.slice(1)));
  return changedFiles.some(
    (file) =>
      positive.some((pattern) => referenceGlobMatch(pattern, file)) &&
      !negative.some((pattern) => referenceGlobMatch(pattern, file)),
  );
}

/** `changed` for every dirspace, the slow and obvious way. */
export function referenceMatch(
  dirspaces: readonly DiscoveredDirspace[],
  changedFiles: readonly string[],
): boolean[] {
  return dirspaces.map((dirspace) => referenceIsChanged(dirspace.dir, dirspace.filePatterns, changedFiles));
}

/**
 * The straightforward implementation a benchmark compares against: for every dirspace, substitute
 * `${DIR}`, compile each pattern, and test it against every changed file (no index, no caching).
 */
export function naiveMatch(
  dirspaces: readonly DiscoveredDirspace[],
  changedFiles: readonly string[],
): boolean[] {
  return dirspaces.map((dirspace) => {
    const compiled = dirspace.filePatterns.map((pattern) => {
      const negated = pattern.startsWith("!");
      const glob = compileGlob(
        (negated ? pattern.slice(1) : pattern).replaceAll(dirPlaceholder, escapeGlobLiteral(dirspace.dir)),
      );
      return { negated, glob };
    });
    return changedFiles.some(
      (file) =>
        compiled.some(({ negated, glob }) => !negated && glob.test(file)) &&
        !compiled.some(({ negated, glob }) => negated && glob.test(file)),
    );
  });
}
