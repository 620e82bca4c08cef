// check_run.rerequested: "Re-run" on a Terragate plan check plans that dirspace again (applies need a comment).

import { upsertInstallation, upsertPullRequest, upsertRepository } from "../db/queries/vcs-sync.ts";
import { type StatusTarget, statusTarget } from "../db/queries/work-manifest-creation.ts";
import { parseTagQuery } from "../domain/tag-query.ts";
import { refusalMarker, renderRefusal } from "../render/refusal.ts";
import { platformFor } from "../vcs/registry.ts";
import type { CheckRunRerequestedEvent } from "../vcs/types.ts";
import { loadLayers, notesFor } from "./autoplan.ts";
import type { EvaluatorContext } from "./context.ts";
import { startRun } from "./create-manifest.ts";
import { decide } from "./decide.ts";
import { createPersonResolver } from "./gather-facts.ts";
import { loadRepoState } from "./load-repo-state.ts";

/** The tag query a re-run asks for: the check's own dirspace, or every changed one for an aggregate check. */
export function rerunQuery(target: StatusTarget | null): string | null {
  if (target === null || target.kind !== "plan") return null;
  if (target.scope === "aggregate") return "";
  const quote = (text: string) => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return `${quote(`dir:${target.dirspace.dir}`)} and ${quote(`workspace:${target.dirspace.workspace}`)}`;
}

export async function handleCheckRunRerequested(
  context: EvaluatorContext,
  event: CheckRunRerequestedEvent,
): Promise<void> {
  const db = context.database.db;
  // Matched through the external id (the manifest) and the stored status id, never by parsing the name.
  const target =
    event.externalId === null
      ? null
      : await statusTarget(db, {
          vcs: event.installation.vcs,
          repositoryExternalId: event.repo.externalId,
          manifestId: event.externalId,
          statusId: event.checkRunId,
        });
  const query = rerunQuery(target);
  if (query === null) {
    context.logger.info(
      { check: event.checkRunName },
      "re-run of a check that is not one of our plans ignored; applies need a comment",
    );
    return;
  }
  const provider = await context.providerFor(event.installation, event.repo.owner, event.repo.name);
  const installation = await upsertInstallation(db, event.installation);
  const repository = await upsertRepository(db, installation, event.repo);
  for (const prNumber of event.prNumbers) {
    const pullRequest = await provider.getPullRequest(prNumber);
    const pullRequestRow = await upsertPullRequest(db, repository, pullRequest);
    const state = await loadRepoState(provider, event.repo.defaultBranch, pullRequest, context.moduleIndexes);
    if (!state.ok) continue;
    const user = await createPersonResolver(provider, state.config)(event.sender);
    const { layers, appliedAt } = await loadLayers(context, pullRequestRow, pullRequest, state);
    const decision = decide({
      request: { kind: "command", action: "plan", tagQuery: parseTagQuery(query), tagQueryText: query, user },
      pullRequest,
      config: state.config,
      defaultBranch: event.repo.defaultBranch,
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
    if (decision.kind === "refuse") {
      await provider.upsertComment(
        prNumber,
        refusalMarker(prNumber),
        renderRefusal({
          prNumber,
          action: "plan",
          dirspaces: decision.dirspaces,
          problems: decision.problems,
          pullRequest,
          requestedBy: event.sender,
          defaultBranch: event.repo.defaultBranch,
          words: platformFor(provider.vcs).words,
        }),
      );
      continue;
    }
    if (decision.kind !== "run") continue;
    await startRun({
      database: db,
      provider,
      logger: context.logger,
      publicUrl: context.config.publicUrl,
      repository,
      pullRequestRow,
      pullRequest,
      config: state.config,
      kind: "plan",
      dirspaces: decision.dirspaces,
      lockDirspaces: [],
      requestedBy: event.sender,
      tagQuery: query,
      commentId: null,
      plans: [],
      deliveryId: context.deliveryId,
      notes: notesFor(state, layers, decision),
    });
  }
}
