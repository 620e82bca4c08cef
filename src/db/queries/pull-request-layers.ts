// A pull request's stack layers as its latest run recorded them, each dirspace with its state at the head and why it is in the PR.
import { sql } from "drizzle-orm";
import { type DirspaceRef, dirspaceKey } from "../../domain/dirspace.ts";
import { RunNotes } from "../../domain/run-notes.ts";
import type { DirspaceRunState, LayerState } from "../../domain/stack-layers.ts";
import type { Executor } from "../client.ts";
import type { DirspaceState } from "../schema/index.ts";
import { dirspaceRunStates } from "./dirspace-run-states.ts";

/** Runs whose notes are read for reasons: the newest few, so the cost does not grow with the PR's history. */
const notesRuns = 10;

export interface LayerDirspace extends DirspaceRef {
  state: DirspaceRunState;
  /** Its latest plan's and apply's state at the head, or null. */
  plan: DirspaceState | null;
  apply: DirspaceState | null;
  hasChanges: boolean | null;
  /** Why it is in the PR beyond its own files (a module, an included or read file), newest run first; empty when none was recorded. */
  reasons: string[];
  /** Changed dirspaces it was planned before they were applied (its plan may change once they are). */
  plannedBefore: DirspaceRef[];
}

export interface PullRequestLayers {
  /** The run that recorded the layers, and when. */
  manifestId: string;
  recordedAt: Date;
  /** Index of the first layer not applied, or null when all are. */
  current: number | null;
  layers: Array<{ index: number; state: LayerState; dirspaces: LayerDirspace[] }>;
}

/** Notes of a PR's newest runs, newest first: what its layers are read from. */
export type RecentRunNotes = Array<{ manifestId: string; recordedAt: Date; notes: RunNotes }>;

/** The notes of the PR's newest runs that recorded any, newest first (one ordered index scan per run kind). */
export async function recentRunNotes(executor: Executor, pullRequestId: number): Promise<RecentRunNotes> {
  const rows = await executor.execute<{ id: string; notes: unknown; created_at: string | Date }>(sql`
    select id, notes, created_at from (
      ${sql.join(
        (["plan", "apply", "autoapprove"] as const).map(
          (kind) => sql`(select id, run_config -> 'notes' as notes, created_at from work_manifests
            where pull_request_id = ${pullRequestId} and kind = ${kind} and run_config ? 'notes'
            order by created_at desc limit ${notesRuns})`,
        ),
        sql` union all `,
      )}
    ) recent`);
  return [...rows]
    .map((row) => ({ row, parsed: RunNotes.safeParse(row.notes) }))
    .filter((entry) => entry.parsed.success)
    .map(({ row, parsed }) => ({
      manifestId: row.id,
      recordedAt: new Date(row.created_at),
      notes: parsed.data!,
    }))
    .sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime())
    .slice(0, notesRuns);
}

/**
 * The layers the PR's latest run recorded (null when no run recorded notes; no layers when it had no
 * stacks to order, or everything fell in one layer),
 * with each dirspace's state at the PR's head: what the Stack API and the dashboard's PR page show.
 */
export async function pullRequestLayers(
  executor: Executor,
  pullRequest: { id: number; headSha: string },
): Promise<PullRequestLayers | null> {
  return layersFromNotes(executor, pullRequest, await recentRunNotes(executor, pullRequest.id));
}

/**
 * pullRequestLayers from notes already read with recentRunNotes (the PR page reads them in the same
 * batch as the PR itself); the dirspaces' states are read only when a run recorded notes.
 */
export async function layersFromNotes(
  executor: Executor,
  pullRequest: { id: number; headSha: string },
  recent: RecentRunNotes,
): Promise<PullRequestLayers | null> {
  const latest = recent[0];
  if (!latest) return null;
  const facts = await dirspaceRunStates(executor, pullRequest.id, pullRequest.headSha);
  const reasons = new Map<string, string[]>();
  for (const { notes } of recent)
    for (const entry of notes.reasons)
      if (!reasons.has(dirspaceKey(entry))) reasons.set(dirspaceKey(entry), entry.reasons);
  const waits = new Map(latest.notes.waits.map((wait) => [dirspaceKey(wait.dirspace), wait.waitsFor]));
  let current: number | null = null;
  const layers = latest.notes.layers.map((layer, index) => {
    const dirspaces = layer.map((dirspace): LayerDirspace => {
      const fact = facts.get(dirspaceKey(dirspace));
      return {
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        state: fact?.state ?? "unplanned",
        plan: fact?.plan ?? null,
        apply: fact?.apply ?? null,
        hasChanges: fact?.hasChanges ?? null,
        reasons: reasons.get(dirspaceKey(dirspace)) ?? [],
        plannedBefore: waits.get(dirspaceKey(dirspace)) ?? [],
      };
    });
    let state: LayerState = "waiting";
    if (dirspaces.every((dirspace) => dirspace.state === "applied")) state = "applied";
    else if (current === null) {
      current = index;
      state = "current";
    }
    return { index, state, dirspaces };
  });
  return { manifestId: latest.manifestId, recordedAt: latest.recordedAt, current, layers };
}
