// Deliberately simple references the fast code is checked against: expanded edges, relaxation, one search per dirspace.

import { compareDirspaces, dirspaceKey } from "./dirspace.ts";
import { createDirResolver, type DiscoveredDirspace } from "./discover.ts";
import { compileGlob, isGlobPattern } from "./glob.ts";
import type { RepoConfig } from "./repo-config.ts";
import type { DirspaceRunState } from "./stack-layers.ts";
import { evaluateTagQuery, parseTagQuery } from "./tag-query.ts";

type Node = Pick<DiscoveredDirspace, "dir" | "workspace" | "tags">;

/** Every dependency as a dirspace pair [dependency, dependent] (stacks expanded to all member pairs). */
export function expandedEdges(
  dirspaces: readonly Node[],
  ordering: Pick<RepoConfig, "stacks" | "dirs">,
): [number, number][] {
  const edges: [number, number][] = [];
  const stackNames = Object.keys(ordering.stacks);
  const stackOf = dirspaces.map((dirspace) => {
    const tags = new Set(dirspace.tags);
    return stackNames.find((name) => evaluateTagQuery(parseTagQuery(ordering.stacks[name]!.tag_query), tags));
  });
  dirspaces.forEach((_, to) => {
    const stack = stackOf[to];
    if (stack === undefined) return;
    for (const dependsOn of ordering.stacks[stack]!.depends_on) {
      dirspaces.forEach((__, from) => {
        if (stackOf[from] === dependsOn && from !== to) edges.push([from, to]);
      });
    }
  });
  const resolver = createDirResolver(ordering.dirs);
  dirspaces.forEach((dirspace, to) => {
    for (const target of resolver.resolve(dirspace.dir)?.config.depends_on ?? []) {
      const matches = isGlobPattern(target)
        ? (dir: string) => dir !== dirspace.dir && compileGlob(target).test(dir)
        : (dir: string) => dir === target;
      dirspaces.forEach((other, from) => {
        if (matches(other.dir) && from !== to) edges.push([from, to]);
      });
    }
  });
  return edges;
}

/**
 * Layers as `dir<blockers,…` lines per layer: layers by relaxing every edge until nothing changes,
 * blockers by a backward search from each changed dirspace.
 */
export function naiveLayers(
  dirspaces: readonly Node[],
  ordering: Pick<RepoConfig, "stacks" | "dirs">,
  changed: readonly Pick<Node, "dir" | "workspace">[],
  states: ReadonlyMap<string, DirspaceRunState>,
): string[] {
  const edges = expandedEdges(dirspaces, ordering);
  const changedKeys = new Set(changed.map(dirspaceKey));
  const isChanged = dirspaces.map((dirspace) => changedKeys.has(dirspaceKey(dirspace)));
  const depth = dirspaces.map(() => 0);
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of edges) {
      const candidate = depth[from]! + (isChanged[from] ? 1 : 0);
      if (candidate > depth[to]!) {
        depth[to] = candidate;
        moved = true;
      }
    }
  }
  const blockers = (start: number): number => {
    const seen = new Set([start]);
    const queue = [start];
    let count = 0;
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const [from, to] of edges) {
        if (to !== node || seen.has(from)) continue;
        seen.add(from);
        queue.push(from);
        if (isChanged[from] && states.get(dirspaceKey(dirspaces[from]!)) !== "applied") count++;
      }
    }
    return count;
  };
  const byDepth = new Map<number, number[]>();
  dirspaces.forEach((_, id) => {
    if (isChanged[id]) byDepth.set(depth[id]!, [...(byDepth.get(depth[id]!) ?? []), id]);
  });
  return [...byDepth.keys()]
    .sort((a, b) => a - b)
    .map((level) =>
      byDepth
        .get(level)!
        .sort((a, b) => compareDirspaces(dirspaces[a]!, dirspaces[b]!))
        .map((id) => `${dirspaces[id]!.dir}<${blockers(id)}`)
        .join(","),
    );
}
