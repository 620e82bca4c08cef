// The PR context every command handler starts from: the PR, its rows, the repo state and who is asking.
import {
  type PullRequestRow,
  type RepositoryRow,
  upsertInstallation,
  upsertPullRequest,
  upsertRepository,
} from "../db/queries/vcs-sync.ts";
import { configErrorMarker, renderConfigError } from "../render/replies.ts";
import { platformFor } from "../vcs/registry.ts";
import type { InstallationRef, PullRequestInfo, RepoRef, VcsProvider } from "../vcs/types.ts";
import type { PersonFacts } from "./access.ts";
import type { EvaluatorContext } from "./context.ts";
import { createPersonResolver, prefetchRole } from "./gather-facts.ts";
import { loadRepoState, type RepoState } from "./load-repo-state.ts";

export interface PrContext {
  evaluator: EvaluatorContext;
  provider: VcsProvider;
  repo: RepoRef;
  prNumber: number;
  pullRequest: PullRequestInfo;
  repository: RepositoryRow;
  pullRequestRow: PullRequestRow;
  state: Extract<RepoState, { ok: true }>;
  /** The login of the person asking. */
  requester: string;
  /** The comment carrying the command (a comment starts at most one run); null for other requests. */
  commentId: string | null;
  /** A person's role, teams and the policies naming them (the requester's role was asked for first). */
  resolvePerson: (login: string) => Promise<PersonFacts>;
}

export interface PrContextRequest {
  installation: InstallationRef;
  repo: RepoRef;
  prNumber: number;
  requester: string;
  commentId: string | null;
}

/**
 * Loads the PR, keeps its rows current and reads the repo state; a config that does not parse is
 * answered with the config-error comment and no context.
 */
export async function loadPrContext(
  evaluator: EvaluatorContext,
  provider: VcsProvider,
  request: PrContextRequest,
): Promise<PrContext | null> {
  const db = evaluator.database.db;
  const { prNumber } = request;
  const requesterRole = prefetchRole(provider, request.requester);
  const pullRequest = await provider.getPullRequest(prNumber);
  const installation = await upsertInstallation(db, request.installation);
  const repository = await upsertRepository(db, installation, request.repo);
  const pullRequestRow = await upsertPullRequest(db, repository, pullRequest);
  const state = await loadRepoState(
    provider,
    request.repo.defaultBranch,
    pullRequest,
    evaluator.moduleIndexes,
  );
  if (!state.ok) {
    await provider.upsertComment(
      prNumber,
      configErrorMarker(prNumber),
      renderConfigError(prNumber, state.ref, state.problems, platformFor(provider.vcs).limits.comment),
    );
    return null;
  }
  const resolvePerson = createPersonResolver(provider, state.config, requesterRole);
  return {
    evaluator,
    provider,
    repo: request.repo,
    prNumber,
    pullRequest,
    repository,
    pullRequestRow,
    state,
    requester: request.requester,
    commentId: request.commentId,
    resolvePerson,
  };
}

/** A dashboard press stands in for a comment under this id prefix (one run per press, like one per comment). */
export const dashboardCommentPrefix = "dashboard:";

/** Where the request came from, for the audit log: a comment, or a button in the dashboard. */
export function requestVia(pr: Pick<PrContext, "commentId">): "comment" | "dashboard" {
  return pr.commentId?.startsWith(dashboardCommentPrefix) ? "dashboard" : "comment";
}
