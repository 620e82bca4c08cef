// The GitHub VcsProvider: one repository's calls on a probot octokit, answers mapped to Terragate's types.
import type { ProbotOctokit } from "probot";
import {
  type CheckRunInput,
  type CheckRunUpdate,
  type MergeResult,
  type PullRequestInfo,
  type RepoRole,
  type Review,
  type ReviewState,
  type StatusCheck,
  type StatusCheckConclusion,
  VcsError,
  type VcsErrorKind,
  type VcsProvider,
  type WorkflowDispatch,
  type WorkflowDispatchResult,
  type WorkflowRunInfo,
  type WorkflowRunQuery,
} from "../types.ts";
import { createGitTrees, TreeListingCache } from "./git-trees.ts";
import { githubLimits } from "./limits.ts";
import { GithubPullRequest, pullRequestInfo } from "./normalize-event.ts";
import { createRepositoryCalls } from "./repository-calls.ts";

export type GithubOctokit = InstanceType<typeof ProbotOctokit>;

/** Who "this app" is: comments and check runs it created carry this id (`performed_via_github_app`, `app`). */
export interface GithubAppIdentity {
  appId: string;
}

/** What octokit throws for an HTTP error answer (its RequestError), checked by shape. */
interface RequestError extends Error {
  status: number;
  response?: { headers: Record<string, string | number | undefined> };
}

function isRequestError(error: unknown): error is RequestError {
  return error instanceof Error && typeof (error as { status?: unknown }).status === "number";
}

function errorKind(status: number, error: RequestError): VcsErrorKind {
  if (status === 404) return "not_found";
  if (status === 401) return "unauthorized";
  if (status === 429) return "rate_limited";
  if (status === 403) {
    const remaining = error.response?.headers["x-ratelimit-remaining"];
    return String(remaining) === "0" || /rate limit/i.test(error.message) ? "rate_limited" : "forbidden";
  }
  if (status >= 500) return "server";
  return "invalid";
}

/** Runs one GitHub call and turns its failure into a VcsError naming the call and the repository. */
async function call<T>(what: string, repoFullName: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof VcsError) throw error;
    if (isRequestError(error)) {
      const kind = errorKind(error.status, error);
      throw new VcsError(
        `GitHub ${what} on ${repoFullName} failed with ${error.status}: ${error.message}`,
        kind,
        error.status,
        {
          cause: error,
        },
      );
    }
    throw new VcsError(`GitHub ${what} on ${repoFullName} failed: ${String(error)}`, "network", null, {
      cause: error,
    });
  }
}

const roleByName: Record<string, RepoRole> = {
  admin: "admin",
  maintain: "maintain",
  write: "write",
  triage: "triage",
  read: "read",
  none: "none",
};

function reviewState(state: string): ReviewState {
  switch (state.toUpperCase()) {
    case "APPROVED":
      return "approved";
    case "CHANGES_REQUESTED":
      return "changes_requested";
    case "DISMISSED":
      return "dismissed";
    case "PENDING":
      return "pending";
    default:
      return "commented";
  }
}

function checkConclusion(status: string, conclusion: string | null): StatusCheckConclusion {
  if (status !== "completed" || conclusion === null) return "pending";
  if (conclusion === "success") return "success";
  if (conclusion === "neutral") return "neutral";
  if (conclusion === "skipped") return "skipped";
  return "failure";
}

function commitStatusConclusion(state: string): StatusCheckConclusion {
  if (state === "success") return "success";
  if (state === "pending") return "pending";
  return "failure";
}

/**
 * Last guard for GitHub's check run output limits. The renderer already fits its text into the same
 * limits (githubLimits), so rendered output passes through unchanged, closing fence and tail included.
 */
function clip(text: string | undefined, limit: number): string | undefined {
  return text === undefined || text.length <= limit ? text : `${text.slice(0, limit - 20)}\n… (truncated)`;
}

export function createGithubProvider(
  octokit: GithubOctokit,
  owner: string,
  repo: string,
  identity: GithubAppIdentity,
  treeCache: TreeListingCache = new TreeListingCache(),
): VcsProvider {
  const repoFullName = `${owner}/${repo}`;
  const trees = createGitTrees(octokit, owner, repo, treeCache);
  const isThisApp = (app: { id?: number } | null | undefined) => String(app?.id) === identity.appId;
  const base = { owner, repo };
  const run = <T>(what: string, fn: () => Promise<T>) => call(what, repoFullName, fn);

  return {
    vcs: "github",
    repoFullName,
    ...createRepositoryCalls(octokit, base, isThisApp, run),

    getFile: (path, ref) =>
      run(`get file ${path}@${ref}`, async () => {
        try {
          const response = await octokit.rest.repos.getContent({ ...base, path, ref });
          const data = response.data;
          if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
          return Buffer.from(data.content, "base64").toString("utf8");
        } catch (error) {
          if (isRequestError(error) && error.status === 404) return null;
          throw error;
        }
      }),

    listChangedFiles: (prNumber) => run(`list files of #${prNumber}`, () => trees.changedFiles(prNumber)),

    listTree: (sha) => run(`list tree at ${sha}`, () => trees.listFiles(sha)),
    listTreeBlobs: (sha) => run(`list tree at ${sha}`, () => trees.listBlobs(sha)),

    createCheckRun: (input: CheckRunInput) =>
      run(`create check run "${input.name}"`, async () => {
        const response = await octokit.rest.checks.create({
          ...base,
          name: input.name,
          head_sha: input.headSha,
          status: input.status,
          ...(input.conclusion ? { conclusion: input.conclusion } : {}),
          ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
          ...(input.externalId ? { external_id: input.externalId } : {}),
          output: {
            title: input.title,
            summary: clip(input.summary, githubLimits.checkRunSummary) ?? "",
            text: clip(input.text, githubLimits.checkRunText),
          },
        });
        return { id: String(response.data.id) };
      }),

    updateCheckRun: (id: string, update: CheckRunUpdate) =>
      run(`update check run ${id}`, async () => {
        await octokit.rest.checks.update({
          ...base,
          check_run_id: Number(id),
          ...(update.name ? { name: update.name } : {}),
          ...(update.status ? { status: update.status } : {}),
          ...(update.conclusion ? { conclusion: update.conclusion } : {}),
          ...(update.detailsUrl ? { details_url: update.detailsUrl } : {}),
          ...(update.externalId ? { external_id: update.externalId } : {}),
          ...(update.title !== undefined || update.summary !== undefined
            ? {
                output: {
                  title: update.title ?? "",
                  summary: clip(update.summary, githubLimits.checkRunSummary) ?? "",
                  text: clip(update.text, githubLimits.checkRunText),
                },
              }
            : {}),
        });
      }),

    upsertComment: (prNumber, marker, body) =>
      run(`upsert comment on #${prNumber}`, async () => {
        const comments = await octokit.paginate(octokit.rest.issues.listComments, {
          ...base,
          issue_number: prNumber,
          per_page: 100,
        });
        // Only a comment this app wrote: anyone (another app's bot included) can paste our marker.
        const mine = comments.find(
          (comment) => isThisApp(comment.performed_via_github_app) && comment.body?.includes(marker),
        );
        const text = body.includes(marker) ? body : `${marker}\n${body}`;
        if (mine) {
          await octokit.rest.issues.updateComment({ ...base, comment_id: mine.id, body: text });
          return { id: String(mine.id) };
        }
        const created = await octokit.rest.issues.createComment({
          ...base,
          issue_number: prNumber,
          body: text,
        });
        return { id: String(created.data.id) };
      }),

    createComment: (prNumber, body) =>
      run(`comment on #${prNumber}`, async () => {
        const created = await octokit.rest.issues.createComment({ ...base, issue_number: prNumber, body });
        return { id: String(created.data.id) };
      }),

    addReaction: (commentId, reaction) =>
      run(`react to comment ${commentId}`, async () => {
        await octokit.rest.reactions.createForIssueComment({
          ...base,
          comment_id: Number(commentId),
          content: reaction,
        });
      }),

    getPullRequest: (prNumber) =>
      run(`get #${prNumber}`, async (): Promise<PullRequestInfo> => {
        const { data } = await octokit.rest.pulls.get({ ...base, pull_number: prNumber });
        const parsed = GithubPullRequest.safeParse(data);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new VcsError(
            `GitHub answered #${prNumber} of ${repoFullName} without ${issue?.path.join(".") ?? "fields"}: ${issue?.message ?? ""}`,
            "invalid",
            null,
          );
        }
        return pullRequestInfo(parsed.data);
      }),

    listReviews: (prNumber) =>
      run(`list reviews of #${prNumber}`, async (): Promise<Review[]> => {
        const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
          ...base,
          pull_number: prNumber,
          per_page: 100,
        });
        return reviews.map((review) => ({
          author: review.user?.login ?? "",
          state: reviewState(review.state),
          submittedAt: review.submitted_at ?? null,
          commitSha: review.commit_id ?? null,
        }));
      }),

    listStatusChecks: (sha) =>
      run(`list checks of ${sha}`, async (): Promise<StatusCheck[]> => {
        const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
          ...base,
          ref: sha,
          per_page: 100,
        });
        const combined = await octokit.rest.repos.getCombinedStatusForRef({
          ...base,
          ref: sha,
          per_page: 100,
        });
        const checks: StatusCheck[] = runs.map((checkRun) => ({
          name: checkRun.name,
          conclusion: checkConclusion(checkRun.status, checkRun.conclusion),
          source: "check_run",
          ownCheck: isThisApp(checkRun.app),
        }));
        // Terragate reports with check runs only: a commit status is always someone else's.
        for (const status of combined.data.statuses) {
          checks.push({
            name: status.context,
            conclusion: commitStatusConclusion(status.state),
            source: "status",
            ownCheck: false,
          });
        }
        return checks;
      }),

    getUserPermission: (user) =>
      run(`get permission of ${user}`, async () => {
        try {
          const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
            ...base,
            username: user,
          });
          return roleByName[data.role_name] ?? roleByName[data.permission] ?? "none";
        } catch (error) {
          if (isRequestError(error) && error.status === 404) return "none";
          throw error;
        }
      }),

    isTeamMember: (teamSlug, user) =>
      run(`check membership of ${user} in ${owner}/${teamSlug}`, async () => {
        try {
          const { data } = await octokit.rest.teams.getMembershipForUserInOrg({
            org: owner,
            team_slug: teamSlug,
            username: user,
          });
          return data.state === "active";
        } catch (error) {
          if (isRequestError(error) && error.status === 404) return false;
          throw error;
        }
      }),

    dispatchWorkflow: (dispatch: WorkflowDispatch) =>
      run(`dispatch ${dispatch.workflowFile}@${dispatch.ref}`, async (): Promise<WorkflowDispatchResult> => {
        // The dispatch-run job retries with backoff itself; retrying here too would multiply the attempts.
        const response = await octokit.request(
          "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
          {
            ...base,
            workflow_id: dispatch.workflowFile,
            ref: dispatch.ref,
            inputs: dispatch.inputs,
            return_run_details: true,
            // Bounded, so the dispatch lease (dispatch-attempt.ts) outlives the call.
            request: { retries: 0, signal: AbortSignal.timeout(30_000) },
          },
        );
        const data = (response.status === 200 ? response.data : undefined) as
          | { workflow_run_id?: number; html_url?: string }
          | undefined;
        return {
          runId: data?.workflow_run_id === undefined ? null : String(data.workflow_run_id),
          runUrl: data?.html_url ?? null,
        };
      }),

    findWorkflowRuns: (query: WorkflowRunQuery) =>
      run(`list runs of ${query.workflowFile}`, async (): Promise<WorkflowRunInfo[]> => {
        const runs = await octokit.paginate(octokit.rest.actions.listWorkflowRuns, {
          ...base,
          workflow_id: query.workflowFile,
          event: "workflow_dispatch",
          branch: query.ref,
          created: `>=${query.createdAfter.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
          exclude_pull_requests: true,
          per_page: 100,
        });
        return runs
          .filter((candidate) => candidate.display_title === query.title)
          .map((candidate) => ({
            runId: String(candidate.id),
            runUrl: candidate.html_url,
            createdAt: new Date(candidate.created_at),
          }))
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      }),

    mergePullRequest: (prNumber, options) =>
      run(`merge #${prNumber}`, async (): Promise<MergeResult> => {
        try {
          // `sha` makes GitHub refuse (409) when the head moved since the apply: never merge unapplied code.
          const { data } = await octokit.rest.pulls.merge({
            ...base,
            pull_number: prNumber,
            merge_method: options.strategy,
            sha: options.sha,
            // 405/409 (not mergeable, head moved) do not get better by retrying.
            request: { retries: 0 },
          });
          if (data.merged && options.deleteBranch) {
            const pull = await octokit.rest.pulls.get({ ...base, pull_number: prNumber });
            if (pull.data.head.repo?.full_name === repoFullName) {
              await octokit.rest.git.deleteRef({ ...base, ref: `heads/${pull.data.head.ref}` });
            }
          }
          return { merged: data.merged, message: data.message };
        } catch (error) {
          if (isRequestError(error) && (error.status === 405 || error.status === 409)) {
            return { merged: false, message: error.message };
          }
          throw error;
        }
      }),
  };
}
