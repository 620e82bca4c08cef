// A deliberately simple matcher (every pattern against every file) that the fast one is checked against.
import type { DiscoveredDirspace } from "./discover.ts";
import { compileGlob, globSegments } from "./glob.ts";
import { dirPlaceholder } from "./repo-config.ts";

/** Whether one path segment matches a glob segment with `*` and `?`, by plain backtracking. */
function segmentMatches(pattern: string, text: string): boolean {
  if (pattern === "") return text === "";
  const head = pattern[0]!;
  if (head === "*") {
    for (let i = 0; i <= text.length; i++) if (segmentMatches(pattern.slice(1), text.slice(i))) return true;
    return false;
  }
  if (text === "") return false;
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

/** Whether a normalized path matches a glob, without regular expressions. */
export function referenceGlobMatch(pattern: string, path: string): boolean {
  const patternSegments = globSegments(pattern);
  return segmentsMatch(patternSegments, path === "." ? [] : path.split("/"));
}

/** Whether any changed file matches a positive pattern of the dir and no `!` pattern. */
export function referenceIsChanged(
  dir: string,
  patterns: readonly string[],
  changedFiles: readonly string[],
): boolean {
  const expand = (pattern: string): string => pattern.replaceAll(dirPlaceholder, dir);
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
        (negated ? pattern.slice(1) : pattern).replaceAll(dirPlaceholder, dirspace.dir),
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
