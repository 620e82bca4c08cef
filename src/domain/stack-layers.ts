// A PR's changed dirspaces in ordered layers: which layer to plan now, and what each later one waits for.
import { compareDirspaces, type DirspaceRef, dirspaceKey } from "./dirspace.ts";
import type { StackGraph } from "./stack-graph.ts";

/** Where a changed dirspace stands in the PR. */
export type DirspaceRunState = "unplanned" | "planned" | "applied";

export interface LayeredDirspace {
  dirspace: DirspaceRef;
  state: DirspaceRunState;
  /** Changed dirspaces this one depends on (directly or through others) that are not applied yet. */
  blockedBy: DirspaceRef[];
  /** Every changed dirspace this one depends on, applied or not (a plan must postdate their applies). */
  dependsOn: DirspaceRef[];
}

export type LayerState = "applied" | "current" | "waiting";

export interface StackLayer {
  /** 0 for the first layer. */
  index: number;
  /** applied: every dirspace applied; current: the first layer that is not; waiting: a later one. */
  state: LayerState;
  dirspaces: LayeredDirspace[];
  /** Earlier layers' unapplied dirspaces that this layer's dirspaces wait for. */
  blockedBy: DirspaceRef[];
}

export interface StackLayers {
  layers: StackLayer[];
  /** The first layer with a dirspace not yet applied, or null when every changed dirspace is applied. */
  current: number | null;
  /** The current layer's dirspaces without a plan: what an autoplan plans now. */
  toPlan: DirspaceRef[];
  /** Dirspaces passed in as changed that the graph does not know (new dirs the graph was not built with). */
  unknown: DirspaceRef[];
}

export interface LayerInput {
  graph: StackGraph;
  /** The PR's changed dirspaces. */
  changed: readonly DirspaceRef[];
  /** States by dirspaceKey; a changed dirspace missing here is unplanned. */
  states: ReadonlyMap<string, DirspaceRunState>;
}

/**
 * Layers of a PR's changed dirspaces. A changed dirspace's layer is one more than the highest layer of
 * the changed dirspaces it depends on, through any path (unchanged dirspaces in between pass the order on).
 * `blockedBy` lists the changed, unapplied dirspaces each depends on (`dependsOn` all of them): one bitset per node, unioned along
 * the topological order, so the cost is linear in the graph's size times (changed dirspaces / 32).
 */
export function computeLayers(input: LayerInput): StackLayers {
  const { graph } = input;
  const total = graph.next.length;
  const changedIds: number[] = [];
  const unknown: DirspaceRef[] = [];
  const isChanged = new Uint8Array(total);
  for (const dirspace of input.changed) {
    const id = graph.idOf.get(dirspaceKey(dirspace));
    if (id === undefined) unknown.push({ dir: dirspace.dir, workspace: dirspace.workspace });
    else if (isChanged[id] === 0) {
      isChanged[id] = 1;
      changedIds.push(id);
    }
  }
  const stateOf = (id: number): DirspaceRunState =>
    input.states.get(dirspaceKey(graph.nodes[id]!)) ?? "unplanned";
  // Bit positions for the changed dirspaces (applied ones too: a plan must come after their apply).
  const tracked = changedIds;
  const bitOf = new Int32Array(total).fill(-1);
  tracked.forEach((id, bit) => {
    bitOf[id] = bit;
  });
  const words = Math.ceil(tracked.length / 32);
  const blockers = words === 0 ? [] : Array.from({ length: total }, () => new Uint32Array(words));
  const depth = new Int32Array(total);
  for (const id of graph.order) {
    const passed = depth[id]! + isChanged[id]!;
    const bit = bitOf[id]!;
    for (const successor of graph.next[id]!) {
      if (passed > depth[successor]!) depth[successor] = passed;
      if (words === 0) continue;
      const into = blockers[successor]!;
      const from = blockers[id]!;
      for (let w = 0; w < words; w++) into[w]! |= from[w]!;
      if (bit >= 0) into[bit >>> 5]! |= 1 << (bit & 31);
    }
  }
  const refOf = (id: number): DirspaceRef => ({
    dir: graph.nodes[id]!.dir,
    workspace: graph.nodes[id]!.workspace,
  });
  const dependencyIdsOf = (id: number): number[] => {
    if (words === 0) return [];
    const bits = blockers[id]!;
    const ids: number[] = [];
    for (let bit = 0; bit < tracked.length; bit++)
      if ((bits[bit >>> 5]! >>> (bit & 31)) & 1) ids.push(tracked[bit]!);
    return ids.sort((a, b) => compareDirspaces(graph.nodes[a]!, graph.nodes[b]!));
  };
  return assemble(changedIds, depth, stateOf, refOf, dependencyIdsOf, unknown);
}

function assemble(
  changedIds: readonly number[],
  depth: Int32Array,
  stateOf: (id: number) => DirspaceRunState,
  refOf: (id: number) => DirspaceRef,
  dependencyIdsOf: (id: number) => number[],
  unknown: DirspaceRef[],
): StackLayers {
  const byDepth = new Map<number, number[]>();
  for (const id of changedIds) {
    const list = byDepth.get(depth[id]!);
    if (list) list.push(id);
    else byDepth.set(depth[id]!, [id]);
  }
  const layers: StackLayer[] = [];
  let current: number | null = null;
  for (const level of [...byDepth.keys()].sort((a, b) => a - b)) {
    const index = layers.length;
    const dirspaces = byDepth
      .get(level)!
      .map((id) => {
        const dependencies = dependencyIdsOf(id);
        const blockedBy = dependencies.filter((dependency) => stateOf(dependency) !== "applied").map(refOf);
        return { dirspace: refOf(id), state: stateOf(id), blockedBy, dependsOn: dependencies.map(refOf) };
      })
      .sort((a, b) => compareDirspaces(a.dirspace, b.dirspace));
    const applied = dirspaces.every((entry) => entry.state === "applied");
    let state: LayerState = "waiting";
    if (applied) state = "applied";
    else if (current === null) {
      state = "current";
      current = index;
    }
    const union = new Map<string, DirspaceRef>();
    for (const entry of dirspaces) for (const ref of entry.blockedBy) union.set(dirspaceKey(ref), ref);
    layers.push({ index, state, dirspaces, blockedBy: [...union.values()].sort(compareDirspaces) });
  }
  const toPlan =
    current === null
      ? []
      : layers[current]!.dirspaces.filter((entry) => entry.state === "unplanned").map(
          (entry) => entry.dirspace,
        );
  return { layers, current, toPlan, unknown };
}
