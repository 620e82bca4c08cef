// The stack graph as people and tools read it: dirspace-to-dirspace edges with reasons, as JSON or Graphviz dot.
import { compareDirspaces, formatDirspace } from "./dirspace.ts";
import { formatKeyPath } from "./parse-repo-config.ts";
import { edgeKey } from "./stack-cycles.ts";
import type { EdgeOrigin, StackGraph } from "./stack-graph.ts";

export interface GraphJsonNode {
  id: string;
  dir: string;
  workspace: string;
  stack: string | null;
}

/** `from` is applied before `to` (`to` depends on `from`). */
export interface GraphJsonEdge {
  from: string;
  to: string;
  reasons: string[];
}

export interface GraphJson {
  nodes: GraphJsonNode[];
  edges: GraphJsonEdge[];
}

export function describeEdgeOrigin(origin: EdgeOrigin): string {
  switch (origin.kind) {
    case "stack":
      return `stack ${origin.stack} depends on ${origin.dependsOn}`;
    case "dir":
      return formatKeyPath(["dirs", origin.key, "depends_on", origin.index]);
    case "terragrunt":
      return `dependency at ${origin.file}:${origin.line}:${origin.column}`;
    default: {
      const unreachable: never = origin;
      return unreachable;
    }
  }
}

/** Nodes sorted by dir and workspace; edges between dirspaces (stack hubs expanded), sorted, reasons merged. */
export function stackGraphJson(graph: StackGraph): GraphJson {
  const total = graph.next.length;
  const dirspaceCount = graph.nodes.length;
  const reasons = new Map<number, Set<string>>();
  const add = (from: number, to: number, origin: EdgeOrigin | undefined): void => {
    if (from === to) return;
    const key = edgeKey(from, to, total);
    let set = reasons.get(key);
    if (!set) {
      set = new Set();
      reasons.set(key, set);
    }
    if (origin) set.add(describeEdgeOrigin(origin));
  };
  for (let from = 0; from < dirspaceCount; from++) {
    for (const to of graph.next[from]!) {
      if (to < dirspaceCount) {
        add(from, to, graph.origins.get(edgeKey(from, to, total)));
        continue;
      }
      for (const member of graph.next[to]!) add(from, member, graph.origins.get(edgeKey(to, member, total)));
    }
  }
  const ids = graph.nodes.map((node) => formatDirspace(node));
  const order = graph.nodes
    .map((_, id) => id)
    .sort((a, b) => compareDirspaces(graph.nodes[a]!, graph.nodes[b]!));
  const rank = new Int32Array(dirspaceCount);
  order.forEach((id, position) => {
    rank[id] = position;
  });
  const edges = [...reasons.entries()]
    .map(([key, set]) => ({ from: Math.floor(key / total), to: key % total, reasons: [...set].sort() }))
    .sort((a, b) => rank[a.from]! - rank[b.from]! || rank[a.to]! - rank[b.to]!)
    .map((edge) => ({ from: ids[edge.from]!, to: ids[edge.to]!, reasons: edge.reasons }));
  const nodes = order.map((id) => {
    const node = graph.nodes[id]!;
    return { id: ids[id]!, dir: node.dir, workspace: node.workspace, stack: node.stack };
  });
  return { nodes, edges };
}

function quote(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** Graphviz: one cluster per stack, an arrow from each dirspace to those that run after it. */
export function stackGraphDot(json: GraphJson): string {
  const lines = ["digraph terragate {", "  node [shape=box];"];
  const byStack = new Map<string, GraphJsonNode[]>();
  for (const node of json.nodes) {
    if (node.stack === null) lines.push(`  ${quote(node.id)};`);
    else byStack.set(node.stack, [...(byStack.get(node.stack) ?? []), node]);
  }
  for (const [stack, members] of [...byStack.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`  subgraph ${quote(`cluster_${stack}`)} {`, `    label = ${quote(stack)};`);
    for (const node of members) lines.push(`    ${quote(node.id)};`);
    lines.push("  }");
  }
  for (const edge of json.edges) {
    lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [tooltip = ${quote(edge.reasons.join("; "))}];`);
  }
  lines.push("}");
  return lines.join("\n");
}
