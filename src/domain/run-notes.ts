// What a run's PR comment says beyond results: why each dirspace is in it, the stack layers, and what could not be indexed.
import { z } from "zod";
import { type ChangeReason, describeChangeReason } from "./change-reason.ts";
import { type DirspaceRef, dirspaceKey } from "./dirspace.ts";
import type { IndexProblem } from "./module-index/build.ts";
import type { StackLayers } from "./stack-layers.ts";

const Ref = z.object({ dir: z.string(), workspace: z.string() });

/** Stored with the manifest (run_config.notes) when the run starts; bounded so a huge PR stays small. */
export const RunNotes = z.object({
  /** Dirspaces of the run changed through something else than their own files, with why. */
  reasons: z.array(Ref.extend({ reasons: z.array(z.string()) })).default([]),
  /** The PR's changed dirspaces in apply order (one layer when nothing orders them). */
  layers: z.array(z.array(Ref)).default([]),
  /** Dirspaces of the run planned before the changed dirspaces they depend on were applied. */
  waits: z.array(z.object({ dirspace: Ref, waitsFor: z.array(Ref) })).default([]),
  /** `path:line:column: message` of files that could not be parsed (the rest was indexed). */
  indexErrors: z.array(z.string()).default([]),
});
export type RunNotes = z.infer<typeof RunNotes>;

/** Bounds on what is stored: the comment shows less still, and says how many more. */
export const runNoteLimits = { reasons: 50, layers: 20, perLayer: 200, waits: 20, indexErrors: 10 } as const;

export interface RunNotesInput {
  dirspaces: readonly DirspaceRef[];
  reasons: ReadonlyMap<string, readonly ChangeReason[]>;
  layers: StackLayers;
  waits: readonly { dirspace: DirspaceRef; waitsFor: readonly DirspaceRef[] }[];
  indexErrors: readonly IndexProblem[];
}

const plain = (dirspace: DirspaceRef): DirspaceRef => ({ dir: dirspace.dir, workspace: dirspace.workspace });

export function buildRunNotes(input: RunNotesInput): RunNotes {
  const reasons = input.dirspaces
    .map((dirspace) => ({
      ...plain(dirspace),
      found: input.reasons.get(dirspaceKey(dirspace)) ?? [],
    }))
    .filter((entry) => entry.found.some((reason) => reason.kind !== "file"))
    .slice(0, runNoteLimits.reasons)
    .map(({ found, ...dirspace }) => ({
      ...dirspace,
      reasons: found.filter((reason) => reason.kind !== "file").map(describeChangeReason),
    }));
  const layers =
    input.layers.layers.length > 1
      ? input.layers.layers
          .slice(0, runNoteLimits.layers)
          .map((layer) =>
            layer.dirspaces.slice(0, runNoteLimits.perLayer).map((entry) => plain(entry.dirspace)),
          )
      : [];
  return {
    reasons,
    layers,
    waits: input.waits.slice(0, runNoteLimits.waits).map((wait) => ({
      dirspace: plain(wait.dirspace),
      waitsFor: wait.waitsFor.slice(0, runNoteLimits.perLayer).map(plain),
    })),
    indexErrors: input.indexErrors
      .slice(0, runNoteLimits.indexErrors)
      .map((problem) => `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`),
  };
}
