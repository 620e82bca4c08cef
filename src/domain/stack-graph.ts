// The order dirspaces must be applied in: stacks' depends_on, dirs' depends_on and Terragrunt dependencies.

import { type DirspaceRef, dirspaceKey } from "./dirspace.ts";
import { createDirResolver, type DiscoveredDirspace } from "./discover.ts";
import { compileGlob, isGlobPattern } from "./glob.ts";
import type { ModuleIndex } from "./module-index/build.ts";
import { formatKeyPath } from "./parse-repo-config.ts";
import { checkPath } from "./paths.ts";
import type { RepoConfig } from "./repo-config.ts";
import { edgeKey, findCycles, topologicalOrder } from "./stack-cycles.ts";
import { evaluateTagQuery, parseTagQuery } from "./tag-query.ts";

/** Why one dirspace waits for another. */
export type EdgeOrigin =
  | { kind: "stack"; stack: string; dependsOn: string; index: number }
  | { kind: "dir"; key: string; index: number }
  | { kind: "terragrunt"; file: string; line: number; column: number };

/** Where a problem is: a key of the repo config, or a place in a Terragrunt file. */
export type GraphProblemLocation =
  | { kind: "config"; path: (string | number)[] }
  | { kind: "file"; file: string; line: number; column: number };

export interface StackGraphProblem {
  severity: "error" | "warning";
  location: GraphProblemLocation;
  /** The key path shown before the message (`stacks`, `dirs."live/web".depends_on[0]`, `dependency`). */
  key: string;
  message: string;
}

export interface StackNode extends DirspaceRef {
  /** The first stack whose tag query matches the dirspace, or null. */
  stack: string | null;
}

/**
 * Dirspaces (ids 0…nodes.length-1) and one hub per stack (the ids after them), with edges in run
 * order: `next[a]` holds what runs after `a`. A stack's members lead to its hub and the hub leads to
 * the members of every stack depending on it, so stacks cost edges linear in their size.
 */
export interface StackGraph {
  nodes: readonly StackNode[];
  hubs: readonly string[];
  next: readonly (readonly number[])[];
  /** Every id in an order where each edge goes forward. */
  order: readonly number[];
  origins: ReadonlyMap<number, EdgeOrigin>;
  idOf: ReadonlyMap<string, number>;
}

export type StackGraphResult =
  | { ok: true; graph: StackGraph; warnings: StackGraphProblem[] }
  | { ok: false; problems: StackGraphProblem[] };

export interface StackGraphInput {
  dirspaces: readonly Pick<DiscoveredDirspace, "dir" | "workspace" | "tags">[];
  /** The config whose ordering rules apply: for a PR, the default branch's. */
  ordering: Pick<RepoConfig, "stacks" | "dirs">;
  /** For Terragrunt `dependency` and `dependencies` edges. */
  moduleIndex?: ModuleIndex;
}

export function buildStackGraph(input: StackGraphInput): StackGraphResult {
  const nodes = assignStacks(input);
  const hubs = Object.keys(input.ordering.stacks);
  const total = nodes.length + hubs.length;
  const next: number[][] = Array.from({ length: total }, () => []);
  const origins = new Map<number, EdgeOrigin>();
  const problems: StackGraphProblem[] = [];
  const idOf = new Map(nodes.map((node, id) => [dirspaceKey(node), id]));
  const idsByDir = new Map<string, number[]>();
  nodes.forEach((node, id) => {
    const list = idsByDir.get(node.dir);
    if (list) list.push(id);
    else idsByDir.set(node.dir, [id]);
  });
  const addEdge = (from: number, to: number, origin?: EdgeOrigin): void => {
    if (from === to) return;
    const key = edgeKey(from, to, total);
    if (origins.has(key) || (origin === undefined && next[from]!.includes(to))) return;
    next[from]!.push(to);
    if (origin) origins.set(key, origin);
  };
  const dirEdges = (dependent: string, dependency: string, origin: EdgeOrigin): void => {
    for (const from of idsByDir.get(dependency) ?? []) {
      for (const to of idsByDir.get(dependent) ?? []) addEdge(from, to, origin);
    }
  };

  const hubOf = new Map(hubs.map((name, position) => [name, nodes.length + position]));
  nodes.forEach((node, id) => {
    if (node.stack !== null) addEdge(id, hubOf.get(node.stack)!);
  });
  const membersOf = new Map<string, number[]>();
  nodes.forEach((node, id) => {
    if (node.stack === null) return;
    const list = membersOf.get(node.stack);
    if (list) list.push(id);
    else membersOf.set(node.stack, [id]);
  });
  for (const [stack, config] of Object.entries(input.ordering.stacks)) {
    config.depends_on.forEach((dependsOn, index) => {
      const hub = hubOf.get(dependsOn);
      if (hub === undefined) return; // the config check reports unknown stacks
      for (const member of membersOf.get(stack) ?? [])
        addEdge(hub, member, { kind: "stack", stack, dependsOn, index });
    });
  }
  addDirDependsOn(input.ordering, [...idsByDir.keys()], dirEdges, problems);
  if (input.moduleIndex) addTerragruntDependencies(input.moduleIndex, idsByDir, dirEdges, problems);

  const graph = { nodes, hubs, next, order: [] as number[], origins, idOf };
  const cycles = findCycles(graph);
  if (cycles.length > 0) return { ok: false, problems: [...cycles, ...problems] };
  graph.order = topologicalOrder(next);
  return { ok: true, graph, warnings: problems };
}

function assignStacks(input: StackGraphInput): StackNode[] {
  const stacks = Object.entries(input.ordering.stacks).map(([name, config]) => ({
    name,
    query: parseTagQuery(config.tag_query),
  }));
  return input.dirspaces.map((dirspace) => {
    const tags = new Set(dirspace.tags);
    const stack = stacks.find((candidate) => evaluateTagQuery(candidate.query, tags));
    return { dir: dirspace.dir, workspace: dirspace.workspace, stack: stack?.name ?? null };
  });
}

function addDirDependsOn(
  ordering: Pick<RepoConfig, "dirs">,
  dirs: readonly string[],
  dirEdges: (dependent: string, dependency: string, origin: EdgeOrigin) => void,
  problems: StackGraphProblem[],
): void {
  const resolver = createDirResolver(ordering.dirs);
  const dirSet = new Set(dirs);
  const reported = new Set<string>();
  for (const dir of dirs) {
    const entry = resolver.resolve(dir);
    if (!entry) continue;
    entry.config.depends_on.forEach((target, index) => {
      const origin: EdgeOrigin = { kind: "dir", key: entry.key, index };
      const checked = checkPath(target);
      if (!checked.ok) return; // the schema already rejected it
      let matched: string[];
      if (isGlobPattern(checked.path)) {
        const glob = compileGlob(checked.path);
        matched = dirs.filter((candidate) => candidate !== dir && glob.test(candidate));
      } else {
        matched = dirSet.has(checked.path) ? [checked.path] : [];
      }
      for (const dependency of matched) dirEdges(dir, dependency, origin);
      const problemKey = `${entry.key}\0${index}`;
      if (matched.length === 0 && !reported.has(problemKey)) {
        reported.add(problemKey);
        problems.push({
          severity: "warning",
          location: { kind: "config", path: ["dirs", entry.key, "depends_on", index] },
          key: formatKeyPath(["dirs", entry.key, "depends_on", index]),
          message: `${target} matches no dir (a terraform root that is not ignored); it orders nothing`,
        });
      }
    });
  }
}

function addTerragruntDependencies(
  index: ModuleIndex,
  idsByDir: ReadonlyMap<string, number[]>,
  dirEdges: (dependent: string, dependency: string, origin: EdgeOrigin) => void,
  problems: StackGraphProblem[],
): void {
  for (const dir of idsByDir.keys()) {
    for (const use of index.dirs.get(dir) ?? []) {
      if (use.kind !== "dependency" || use.target === dir) continue;
      const origin: EdgeOrigin = { kind: "terragrunt", file: use.file, line: use.line, column: use.column };
      if (idsByDir.has(use.target)) {
        dirEdges(dir, use.target, origin);
        continue;
      }
      problems.push({
        severity: "warning",
        location: { kind: "file", file: use.file, line: use.line, column: use.column },
        key: "dependency",
        message: `${use.target} is not a dir (no terraform root there, or it is ignored); it orders nothing`,
      });
    }
  }
}
