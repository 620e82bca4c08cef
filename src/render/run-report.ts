// What the renderers need to know about a finished (or dead) run, independent of the database and the VCS.
import type { ChangeSummary, DirspaceState, StepResult, WorkManifestState } from "../db/schema/index.ts";
import type { ManifestKind } from "../runner/protocol.ts";

export interface DirspaceReport {
  dir: string;
  workspace: string;
  state: DirspaceState;
  hasChanges: boolean | null;
  summary: ChangeSummary | null;
  steps: StepResult[];
}

export interface RunReport {
  kind: ManifestKind;
  prNumber: number;
  headSha: string;
  runUrl: string | null;
  requestedBy: string;
  manifestState: WorkManifestState;
  /** Why the run failed or was aborted as a whole (a dead runner, a moved PR), shown above the table. */
  failureReason: string | null;
  /** Absolute URL of the REST endpoint serving every dirspace's full output. */
  outputsUrl: string | null;
  dirspaces: DirspaceReport[];
  /** Markdown shown under the table: why dirspaces are included, stack layers, warnings (bounded). */
  notes?: string;
}
