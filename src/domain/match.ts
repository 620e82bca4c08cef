// Changed files → affected dirspaces, using each dirspace's `when_modified.file_patterns` (fast path).
import type { ChangeReason } from "./change-reason.ts";
import { type Dirspace, dirspaceKey } from "./dirspace.ts";
import { buildDirspaces, type ConfigWarning } from "./discover.ts";
import { compileGlob, escapeGlobLiteral, type Glob } from "./glob.ts";
import { expandBraces } from "./glob-syntax.ts";
import { changeReasons, createModuleChangeFinder } from "./module-changes.ts";
import type { ModuleIndex } from "./module-index/build.ts";
import { checkPath, dirnameOf, isNormalPath, joinPath } from "./paths.ts";
import { dirPlaceholder, type RepoConfig } from "./repo-config.ts";
import { evaluateTagQuery, type TagQuery } from "./tag-query.ts";

/**
 * One file pattern. `dir` patterns start with `${DIR}/` and are compiled once for every dir;
 * `repo` patterns have no `${DIR}`; `template` patterns use `${DIR}` elsewhere and are compiled per dir.
 */
type FilePattern =
  | { kind: "dir"; negated: boolean; glob: Glob }
  | { kind: "repo"; negated: boolean; glob: Glob }
  | { kind: "template"; negated: boolean; template: string };

interface CompiledPatterns {
  positive: FilePattern[];
  negative: FilePattern[];
}

/**
 * Parses `!`, braces and `${DIR}` once per pattern list. Braces are expanded first, so each
 * alternative keeps its own literal prefix for the indexed lookup (`${DIR}/*.{tf,tfvars}` is two
 * one-segment globs under the dir, not one scan of everything below it).
 */
export function compileFilePatterns(patterns: readonly string[]): CompiledPatterns {
  const compiled: CompiledPatterns = { positive: [], negative: [] };
  const dirPrefix = `${dirPlaceholder}/`;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const written = negated ? raw.slice(1) : raw;
    const alternatives = written.includes("{")
      ? expandBraces(written, { placeholder: dirPlaceholder })
      : [written];
    for (const text of alternatives) {
      let pattern: FilePattern;
      if (text.startsWith(dirPrefix) && !text.slice(dirPrefix.length).includes(dirPlaceholder)) {
        pattern = { kind: "dir", negated, glob: compileGlob(text.slice(dirPrefix.length)) };
      } else if (text.includes(dirPlaceholder)) {
        pattern = { kind: "template", negated, template: text };
      } else {
        pattern = { kind: "repo", negated, glob: compileGlob(text) };
      }
      (negated ? compiled.negative : compiled.positive).push(pattern);
    }
  }
  return compiled;
}

/** Changed files indexed three ways: a set, by directory, and sorted for prefix ranges. */
interface ChangedFileIndex {
  set: Set<string>;
  byDir: Map<string, string[]>;
  sorted: string[];
}

function indexChangedFiles(files: readonly string[]): ChangedFileIndex {
  const set = new Set(files);
  const byDir = new Map<string, string[]>();
  for (const file of set) {
    const dir = dirnameOf(file);
    const list = byDir.get(dir);
    if (list) list.push(file);
    else byDir.set(dir, [file]);
  }
  return { set, byDir, sorted: [...set].sort() };
}

function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Decides, with caching, whether a dir's changed files match a pattern list. */
export interface ChangeMatcher {
  isChanged(dir: string, patterns: readonly string[]): boolean;
  /** The first changed file (in the order patterns are tried) that makes the dir changed, or null. */
  firstChangedFile(dir: string, patterns: readonly string[]): string | null;
  /** Whether exactly this file changed. */
  hasFile(file: string): boolean;
}

/** Builds a matcher over a PR's changed files (normalized, repository-relative). */
export function createChangeMatcher(changedFiles: readonly string[]): ChangeMatcher {
  const index = indexChangedFiles(changedFiles);
  // Pattern lists are usually shared arrays from the config: look them up by identity first.
  type ListCache = { compiled: CompiledPatterns; results: Map<string, string | null> };
  const cacheByList = new Map<readonly string[], ListCache>();
  const cacheByKey = new Map<string, ListCache>();
  const repoMatches = new Map<Glob, string[]>();
  const templateGlobs = new Map<string, Glob>();

  /** Calls `visit` with each changed file the glob matches, relative to `base`, until it returns true. */
  const someMatch = (glob: Glob, base: string, visit: (file: string) => boolean): boolean => {
    const root = joinPath(base, glob.prefix);
    const offset = base === "." ? 0 : base.length + 1;
    if (glob.shape === "literal") return index.set.has(root) && visit(root);
    if (glob.shape === "one-segment") {
      for (const file of index.byDir.get(root) ?? [])
        if (glob.test(file.slice(offset)) && visit(file)) return true;
      return false;
    }
    // A trailing `**` also matches nothing, so the prefix itself may be a matching file.
    if (glob.shape === "deep" && root !== "." && index.set.has(root) && glob.test(root.slice(offset))) {
      if (visit(root)) return true;
    }
    const start = root === "." ? 0 : lowerBound(index.sorted, `${root}/`);
    const prefix = root === "." ? "" : `${root}/`;
    for (let i = start; i < index.sorted.length; i++) {
      const file = index.sorted[i]!;
      if (!file.startsWith(prefix)) break;
      if (glob.test(file.slice(offset)) && visit(file)) return true;
    }
    return false;
  };

  const templateGlob = (template: string, dir: string): Glob => {
    // The dir is a literal: a dir named `a[1]` must not turn into a character class.
    const text = template.replaceAll(dirPlaceholder, escapeGlobLiteral(dir));
    let glob = templateGlobs.get(text);
    if (!glob) {
      glob = compileGlob(text);
      templateGlobs.set(text, glob);
    }
    return glob;
  };

  const matchesFile = (pattern: FilePattern, dir: string, file: string): boolean => {
    switch (pattern.kind) {
      case "dir": {
        if (dir === ".") return pattern.glob.test(file);
        return file.startsWith(`${dir}/`) && pattern.glob.test(file.slice(dir.length + 1));
      }
      case "repo":
        return pattern.glob.test(file);
      case "template":
        return templateGlob(pattern.template, dir).test(file);
      default: {
        const unreachable: never = pattern;
        return unreachable;
      }
    }
  };

  const firstMatchUncached = (dir: string, compiled: CompiledPatterns): string | null => {
    const survives = (file: string): boolean =>
      !compiled.negative.some((pattern) => matchesFile(pattern, dir, file));
    let found: string | null = null;
    const keep = (file: string): boolean => {
      if (!survives(file)) return false;
      found = file;
      return true;
    };
    for (const pattern of compiled.positive) {
      if (pattern.kind === "repo") {
        let matches = repoMatches.get(pattern.glob);
        if (!matches) {
          const all: string[] = [];
          someMatch(pattern.glob, ".", (file) => {
            all.push(file);
            return false;
          });
          matches = all;
          repoMatches.set(pattern.glob, matches);
        }
        if (matches.some(keep)) return found;
      } else {
        const glob = pattern.kind === "dir" ? pattern.glob : templateGlob(pattern.template, dir);
        if (someMatch(glob, pattern.kind === "dir" ? dir : ".", keep)) return found;
      }
    }
    return null;
  };

  const firstChangedFile = (dir: string, patterns: readonly string[]): string | null => {
    let cache = cacheByList.get(patterns);
    if (!cache) {
      const listKey = patterns.join("\0");
      cache = cacheByKey.get(listKey);
      if (!cache) {
        cache = { compiled: compileFilePatterns(patterns), results: new Map() };
        cacheByKey.set(listKey, cache);
      }
      cacheByList.set(patterns, cache);
    }
    let result = cache.results.get(dir);
    if (result === undefined) {
      result = firstMatchUncached(dir, cache.compiled);
      cache.results.set(dir, result);
    }
    return result;
  };

  return {
    firstChangedFile,
    isChanged: (dir, patterns) => firstChangedFile(dir, patterns) !== null,
    hasFile: (file) => index.set.has(file),
  };
}

/** What the evaluator needs: the repository's files, its config, and the files the PR changed. */
export interface EvaluateRepoInput {
  files: readonly string[];
  config: RepoConfig;
  changedFiles: readonly string[];
  /**
   * The module index of the same tree. With it, dirs used as local modules are not roots, and a change
   * in a module (or Terragrunt source or included file) changes the dirspaces using it, unless their
   * `when_modified.depends_on_modules` is off.
   */
  moduleIndex?: ModuleIndex;
}

export interface RepoEvaluation {
  /** Every dirspace, sorted by dir then workspace, with `changed` set from the changed files. */
  dirspaces: Dirspace[];
  warnings: ConfigWarning[];
  /** Why each changed dirspace is changed, by dirspaceKey. */
  reasons: Map<string, ChangeReason[]>;
}

/** Normalizes changed file paths; ones that cannot be inside the repository become warnings. */
export function normalizeChangedFiles(files: readonly string[], warnings: ConfigWarning[]): string[] {
  const normalized: string[] = [];
  for (const file of files) {
    if (isNormalPath(file)) {
      normalized.push(file);
      continue;
    }
    const checked = checkPath(file);
    if (checked.ok) normalized.push(checked.path);
    else
      warnings.push({ path: [], message: `skipped changed file ${JSON.stringify(file)}: ${checked.reason}` });
  }
  return normalized;
}

/** Discovers the dirspaces of a tree and marks those the changed files touch. */
export function evaluateRepo(input: EvaluateRepoInput): RepoEvaluation {
  const index = input.moduleIndex;
  const { dirspaces, warnings, dependsOnModules } = buildDirspaces(input.files, input.config, index?.modules);
  const changedFiles = normalizeChangedFiles(input.changedFiles, warnings);
  const matcher = createChangeMatcher(changedFiles);
  const modules = index ? createModuleChangeFinder(index, matcher, changedFiles) : undefined;
  const reasons = new Map<string, ChangeReason[]>();
  dirspaces.forEach((dirspace, position) => {
    const found = changeReasons(dirspace, matcher, dependsOnModules[position] ? modules : undefined);
    dirspace.changed = found.length > 0;
    if (dirspace.changed) reasons.set(dirspaceKey(dirspace), found);
  });
  return { dirspaces, warnings, reasons };
}

/** The dirspaces a tag query selects. */
export function filterDirspaces<T extends { tags: readonly string[] }>(
  dirspaces: readonly T[],
  query: TagQuery,
): T[] {
  if (query.kind === "all") return [...dirspaces];
  return dirspaces.filter((dirspace) => evaluateTagQuery(query, new Set(dirspace.tags)));
}

/** The dirspaces an autoplan should plan: changed, autoplan on, and for drafts autoplan_draft_pr on. */
export function autoplanDirspaces<T extends Pick<Dirspace, "changed" | "autoplan" | "autoplanDraftPr">>(
  dirspaces: readonly T[],
  draft: boolean,
): T[] {
  return dirspaces.filter(
    (dirspace) => dirspace.changed && dirspace.autoplan && (!draft || dirspace.autoplanDraftPr),
  );
}
