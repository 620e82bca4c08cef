// Plans on the PR author's behalf: on a push, and when a stack layer was applied and the next can be planned.
import { dirspaceRunStates } from "../db/queries/dirspace-run-states.ts";
import type { PullRequestRow, RepositoryRow } from "../db/queries/vcs-sync.ts";
import type { DirspaceRef } from "../domain/dirspace.ts";
import { buildRunNotes, type RunNotes } from "../domain/run-notes.ts";
import { computeLayers, type DirspaceRunState, type StackLayers } from "../domain/stack-layers.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import { platformFor } from "../vcs/registry.ts";
import type { PullRequestInfo, RepoRole, VcsProvider } from "../vcs/types.ts";
import type { EvaluatorContext } from "./context.ts";
import { startRun } from "./create-manifest.ts";
import { type Decision, decide, type RefusalProblem } from "./decide.ts";
import { createPersonResolver } from "./gather-facts.ts";
import type { RepoState } from "./load-repo-state.ts";

type LoadedState = Extract<RepoState, { ok: true }>;

/**
 * The PR's changed dirspaces in layers, with their states at the head. Plans asked for before
 * `replanBefore` count as unplanned: they were made before a dependency was applied.
 */
export interface LayerFacts {
  layers: StackLayers;
  /** When each dirspace was last applied at the head, by dirspaceKey. */
  appliedAt: Map<string, Date>;
}

export async function loadLayers(
  context: EvaluatorContext,
  pullRequestRow: PullRequestRow,
  pullRequest: PullRequestInfo,
  state: LoadedState,
  replanBefore?: Date,
): Promise<LayerFacts> {
  const facts = await dirspaceRunStates(context.database.db, pullRequestRow.id, pullRequest.headSha);
  const states = new Map<string, DirspaceRunState>();
  const appliedAt = new Map<string, Date>();
  for (const [key, fact] of facts) {
    if (fact.appliedAt) appliedAt.set(key, fact.appliedAt);
    const stale =
      replanBefore !== undefined &&
      fact.state === "planned" &&
      fact.plannedAt !== null &&
      fact.plannedAt < replanBefore;
    states.set(key, stale ? "unplanned" : fact.state);
  }
  const layers = computeLayers({
    graph: state.stackGraph,
    changed: state.dirspaces.filter((dirspace) => dirspace.changed),
    states,
  });
  return { layers, appliedAt };
}

/** The notes a run's comment shows, from the state the decision was made on. */
export function notesFor(
  state: LoadedState,
  layers: StackLayers,
  decision: Extract<Decision, { kind: "run" }>,
): RunNotes {
  return buildRunNotes({
    dirspaces: decision.dirspaces,
    reasons: state.reasons,
    layers,
    waits: decision.unappliedDependencies,
    indexErrors: state.indexErrors,
  });
}

export interface AutoplanInput {
  provider: VcsProvider;
  repository: RepositoryRow;
  pullRequestRow: PullRequestRow;
  pullRequest: PullRequestInfo;
  defaultBranch: string;
  state: LoadedState;
  trigger: "push" | "next_layer";
  /** next_layer: plans made before this moment are made again. */
  replanBefore?: Date;
  /** Role lookups started before the config was read (prefetchRole), so they overlap it. */
  prefetchedRoles?: ReadonlyMap<string, Promise<RepoRole>>;
}

export type AutoplanOutcome =
  | { kind: "refused" }
  | { kind: "ignored"; reason: string }
  | { kind: "started"; manifestId: string };

export async function autoplan(context: EvaluatorContext, input: AutoplanInput): Promise<AutoplanOutcome> {
  const { provider, pullRequest, state } = input;
  const author = await createPersonResolver(
    provider,
    state.config,
    input.prefetchedRoles,
  )(pullRequest.author);
  const { layers, appliedAt } = await loadLayers(
    context,
    input.pullRequestRow,
    pullRequest,
    state,
    input.replanBefore,
  );
  const decision = decide({
    request: { kind: "autoplan", author, trigger: input.trigger },
    pullRequest,
    config: state.config,
    defaultBranch: input.defaultBranch,
    dirspaces: state.dirspaces,
    accessTagsOf: state.accessTagsOf,
    configChanges: state.configChanges,
    reviews: [],
    statusChecks: [],
    latestPlans: [],
    supersessions: [],
    locksHeldByOthers: [],
    layers,
    appliedAt,
  });
  const number = pullRequest.number;
  const explain = (problems: RefusalProblem[], dirspaces: DirspaceRef[]) =>
    provider.upsertComment(
      number,
      refusalMarker(number),
      renderRefusal({
        prNumber: number,
        action: "autoplan",
        dirspaces,
        problems,
        pullRequest,
        requestedBy: pullRequest.author,
        defaultBranch: input.defaultBranch,
        words: platformFor(provider.vcs).words,
      }),
    );
  if (decision.kind === "refuse") {
    await explain(decision.problems, decision.dirspaces);
    return { kind: "refused" };
  }
  if (decision.kind !== "run") {
    return { kind: "ignored", reason: decision.kind === "ignore" ? decision.reason : decision.kind };
  }
  const result = await startRun({
    database: context.database.db,
    provider,
    logger: context.logger,
    publicUrl: context.config.publicUrl,
    repository: input.repository,
    pullRequestRow: input.pullRequestRow,
    pullRequest,
    config: state.config,
    kind: decision.manifestKind,
    dirspaces: decision.dirspaces,
    lockDirspaces: decision.lockDirspaces,
    // Autoplan acts for the PR's author, whoever pushed.
    requestedBy: pullRequest.author,
    tagQuery: "",
    commentId: null,
    plans: [],
    deliveryId: context.deliveryId,
    notes: notesFor(state, layers, decision),
  });
  if (result.kind !== "started") return { kind: "ignored", reason: result.kind };
  if (decision.skipped.length > 0) {
    const skipped = decision.skipped.flatMap((problem) => ("dirspaces" in problem ? problem.dirspaces : []));
    await explain(decision.skipped, skipped);
  }
  return { kind: "started", manifestId: result.manifestId };
}
