// Why a dirspace is changed: its own files (file patterns), or a module, Terragrunt source or included file it uses.
import type { ChangeReason } from "./change-reason.ts";
import type { Dirspace } from "./dirspace.ts";
import type { ChangeMatcher } from "./match.ts";
import type { ModuleIndex } from "./module-index/build.ts";
import { dirnameOf } from "./paths.ts";
import { dirPlaceholder } from "./repo-config.ts";

const modulePatternCache = new WeakMap<readonly string[], string[]>();

/**
 * The patterns that say a module's files changed: the dirspace's own patterns that use `${DIR}`
 * (evaluated with the module's dir), and every exclusion. Repo-relative patterns are left out: they
 * already decide for the dirspace itself and say nothing about the module.
 */
function modulePatterns(patterns: readonly string[]): string[] {
  let result = modulePatternCache.get(patterns);
  if (!result) {
    result = patterns.filter((pattern) => pattern.startsWith("!") || pattern.includes(dirPlaceholder));
    modulePatternCache.set(patterns, result);
  }
  return result;
}

/** Who uses each dir as a module or source, and each file by include or read: the index read backwards. */
interface ReverseIndex {
  dirUsers: Map<string, string[]>;
  fileUsers: Map<string, { dir: string; kind: "include" | "read" }[]>;
}

const reverseCache = new WeakMap<ModuleIndex, ReverseIndex>();

function reverseIndex(index: ModuleIndex): ReverseIndex {
  let reverse = reverseCache.get(index);
  if (reverse) return reverse;
  reverse = { dirUsers: new Map(), fileUsers: new Map() };
  for (const [dir, uses] of index.dirs) {
    for (const use of uses) {
      if (use.kind === "module" || use.kind === "source") {
        const users = reverse.dirUsers.get(use.target);
        if (users) users.push(dir);
        else reverse.dirUsers.set(use.target, [dir]);
      } else if (use.kind === "include" || use.kind === "read") {
        const users = reverse.fileUsers.get(use.target);
        if (users) users.push({ dir, kind: use.kind });
        else reverse.fileUsers.set(use.target, [{ dir, kind: use.kind }]);
      }
    }
  }
  reverseCache.set(index, reverse);
  return reverse;
}

/** For one pattern list: the changed modules, and every dir from which a changed module can be reached. */
interface PatternState {
  changedModules: Set<string>;
  reaches: Set<string>;
}

/**
 * Finds the module reasons of dirspaces in time proportional to what changed: the changed modules are
 * found from the changed files' directories, then users are marked by walking the index backwards, and
 * only dirs so marked are searched (breadth first, so each module is named with its shortest chain).
 */
export function createModuleChangeFinder(
  index: ModuleIndex,
  matcher: ChangeMatcher,
  changedFiles: readonly string[],
): (dirspace: Pick<Dirspace, "dir" | "filePatterns">) => ChangeReason[] {
  const reverse = reverseIndex(index);
  const candidates = new Set<string>();
  for (const file of changedFiles) {
    for (let dir = dirnameOf(file); ; dir = dirnameOf(dir)) {
      if (reverse.dirUsers.has(dir)) candidates.add(dir);
      if (dir === ".") break;
    }
  }
  const includeChanges = changedFiles.filter((file) => reverse.fileUsers.has(file));
  const states = new Map<readonly string[], PatternState>();
  const stateFor = (patterns: readonly string[]): PatternState => {
    let state = states.get(patterns);
    if (state) return state;
    // A `${DIR}` in the middle of a pattern can match files outside the module: then every module is a candidate.
    const scattered = patterns.some(
      (pattern) => pattern.includes(dirPlaceholder) && !pattern.replace(/^!/, "").startsWith(dirPlaceholder),
    );
    const pool = scattered ? reverse.dirUsers.keys() : candidates;
    const changedModules = new Set([...pool].filter((module) => matcher.isChanged(module, patterns)));
    const reaches = new Set<string>();
    const queue = [...changedModules];
    for (let i = 0; i < queue.length; i++) {
      for (const user of reverse.dirUsers.get(queue[i]!) ?? []) {
        if (reaches.has(user)) continue;
        reaches.add(user);
        queue.push(user);
      }
    }
    state = { changedModules, reaches };
    states.set(patterns, state);
    return state;
  };
  const fileReasons = new Map<string, ChangeReason[]>();
  for (const file of includeChanges) {
    for (const { dir, kind } of reverse.fileUsers.get(file)!) {
      fileReasons.set(dir, [...(fileReasons.get(dir) ?? []), { kind, file }]);
    }
  }
  return (dirspace) => {
    const state = stateFor(modulePatterns(dirspace.filePatterns));
    const reasons: ChangeReason[] = [];
    if (state.reaches.has(dirspace.dir)) reasons.push(...moduleReasons(index, dirspace.dir, state));
    reasons.push(...(fileReasons.get(dirspace.dir) ?? []));
    return reasons;
  };
}

function moduleReasons(index: ModuleIndex, start: string, state: PatternState): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const via = new Map<string, readonly string[]>([[start, []]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i]!;
    const chain = via.get(dir)!;
    for (const use of index.dirs.get(dir) ?? []) {
      if ((use.kind !== "module" && use.kind !== "source") || via.has(use.target)) continue;
      if (!state.changedModules.has(use.target) && !state.reaches.has(use.target)) continue;
      via.set(use.target, dir === start ? [] : [...chain, dir]);
      queue.push(use.target);
      if (state.changedModules.has(use.target)) {
        reasons.push({ kind: "module", module: use.target, via: via.get(use.target)! });
      }
    }
  }
  return reasons;
}

/** Every reason a dirspace is changed (empty when it is not); `modules` is absent when module tracking is off. */
export function changeReasons(
  dirspace: Pick<Dirspace, "dir" | "filePatterns">,
  matcher: ChangeMatcher,
  modules: ((dirspace: Pick<Dirspace, "dir" | "filePatterns">) => ChangeReason[]) | undefined,
): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const file = matcher.firstChangedFile(dirspace.dir, dirspace.filePatterns);
  if (file !== null) reasons.push({ kind: "file", file });
  if (modules) reasons.push(...modules(dirspace));
  return reasons;
}
