// Cycles in the stack graph (config errors naming the cycle and where it is written) and a topological order.

import { formatCycle } from "./stack-config.ts";
import type {
  EdgeOrigin,
  GraphProblemLocation,
  StackGraph,
  StackGraphProblem,
  StackNode,
} from "./stack-graph.ts";

/** One number for an edge, as a Map key (ids are below `total`, so this is unique and exact). */
export function edgeKey(from: number, to: number, total: number): number {
  return from * total + to;
}

/** Enough to fix a config; a tangled graph could otherwise produce thousands of lines. */
const maxCyclesReported = 20;

function nodeName(node: StackNode): string {
  return node.workspace === "default" ? node.dir : `${node.dir} (${node.workspace})`;
}

function locationOf(origin: EdgeOrigin): GraphProblemLocation {
  switch (origin.kind) {
    case "stack":
      return { kind: "config", path: ["stacks", origin.stack, "depends_on", origin.index] };
    case "dir":
      return { kind: "config", path: ["dirs", origin.key, "depends_on", origin.index] };
    case "terragrunt":
      return { kind: "file", file: origin.file, line: origin.line, column: origin.column };
    default: {
      const unreachable: never = origin;
      return unreachable;
    }
  }
}

type Graph = Pick<StackGraph, "nodes" | "next" | "origins">;

/** The problem for one cycle, given in run order (`runOrder[i]` runs before `runOrder[i + 1]`, last = first). */
function cycleProblem(graph: Graph, runOrder: readonly number[]): StackGraphProblem {
  const total = graph.next.length;
  // The edge that closed the cycle is the last one; prefer it, then any other that config or a file wrote.
  let origin: EdgeOrigin | undefined;
  for (let i = runOrder.length - 2; i >= 0 && !origin; i--) {
    origin = graph.origins.get(edgeKey(runOrder[i]!, runOrder[i + 1]!, total));
  }
  // People read dependencies as "x depends on y": the reverse of run order. Hubs are not named.
  const names = [...runOrder]
    .reverse()
    .filter((id) => id < graph.nodes.length)
    .map((id) => nodeName(graph.nodes[id]!));
  if (names[0] !== names[names.length - 1]) names.push(names[0]!);
  return {
    severity: "error",
    location: origin ? locationOf(origin) : { kind: "config", path: ["stacks"] },
    key: "stacks",
    message: formatCycle(names),
  };
}

/** Every distinct cycle found by a depth-first walk (at most maxCyclesReported), as config errors. */
export function findCycles(graph: Graph): StackGraphProblem[] {
  const total = graph.next.length;
  const state = new Uint8Array(total); // 0 new, 1 on the path, 2 done
  const problems: StackGraphProblem[] = [];
  const seen = new Set<string>();
  for (let root = 0; root < total && problems.length < maxCyclesReported; root++) {
    if (state[root] !== 0) continue;
    const path: number[] = [root];
    const cursor: number[] = [0];
    state[root] = 1;
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const successors = graph.next[node]!;
      if (cursor[top]! >= successors.length) {
        state[node] = 2;
        path.pop();
        cursor.pop();
        continue;
      }
      const successor = successors[cursor[top]!++]!;
      if (state[successor] === 0) {
        state[successor] = 1;
        path.push(successor);
        cursor.push(0);
      } else if (state[successor] === 1 && problems.length < maxCyclesReported) {
        const cycle = [...path.slice(path.indexOf(successor)), successor];
        const identity = [...new Set(cycle)].sort((a, b) => a - b).join(",");
        if (!seen.has(identity)) {
          seen.add(identity);
          problems.push(cycleProblem(graph, cycle));
        }
      }
    }
  }
  return problems;
}

/** Kahn's algorithm over an acyclic graph: every id, each before everything it leads to. */
export function topologicalOrder(next: readonly (readonly number[])[]): number[] {
  const incoming = new Uint32Array(next.length);
  for (const successors of next) for (const successor of successors) incoming[successor]!++;
  const order: number[] = [];
  for (let id = 0; id < next.length; id++) if (incoming[id] === 0) order.push(id);
  for (let i = 0; i < order.length; i++) {
    for (const successor of next[order[i]!]!) {
      if (--incoming[successor]! === 0) order.push(successor);
    }
  }
  return order;
}
