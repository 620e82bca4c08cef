// The default branch's stack ordering as stored and served: the stacks config, the graph as JSON, and what stops it.
import type { DiscoveredDirspace } from "./discover.ts";
import type { ModuleIndex } from "./module-index/build.ts";
import { formatKeyPath } from "./parse-repo-config.ts";
import type { RepoConfig } from "./repo-config.ts";
import { buildStackGraph, type StackGraphProblem } from "./stack-graph.ts";
import { type GraphJson, stackGraphJson } from "./stack-graph-format.ts";

export interface StackSnapshot {
  /** The `stacks` entries in the config's order (the first whose tag query matches a dirspace takes it). */
  config: { name: string; tag_query: string; depends_on: string[] }[];
  /** `{nodes, edges}` as `terragate config graph --format json` prints it; empty when `problems` is not. */
  graph: GraphJson;
  /** Cycles and other errors that stop the graph (`FILE[:LINE:COL]: KEY: MESSAGE`). */
  problems: string[];
}

/** A graph problem as one line, located in the config file or a Terragrunt file. */
export function formatStackProblem(configFile: string, problem: StackGraphProblem): string {
  const { location } = problem;
  const where =
    location.kind === "file"
      ? `${location.file}:${location.line}:${location.column}`
      : `${configFile} (${formatKeyPath(location.path)})`;
  return `${where}: ${problem.key === "" ? "" : `${problem.key}: `}${problem.message}`;
}

export function buildStackSnapshot(
  config: Pick<RepoConfig, "stacks" | "dirs">,
  dirspaces: readonly Pick<DiscoveredDirspace, "dir" | "workspace" | "tags">[],
  moduleIndex: ModuleIndex,
  configFile: string,
): StackSnapshot {
  const stacks = Object.entries(config.stacks).map(([name, stack]) => ({
    name,
    tag_query: stack.tag_query,
    depends_on: [...stack.depends_on],
  }));
  const result = buildStackGraph({ dirspaces, ordering: config, moduleIndex });
  if (!result.ok) {
    const problems = result.problems
      .filter((problem) => problem.severity === "error")
      .map((problem) => formatStackProblem(configFile, problem));
    return { config: stacks, graph: { nodes: [], edges: [] }, problems };
  }
  return { config: stacks, graph: stackGraphJson(result.graph), problems: [] };
}
