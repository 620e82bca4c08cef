// GitLab webhook payload → Terragate's normalized events, through the small schemas in webhook-schema.ts.
import type { z } from "zod";
import {
  type InstallationRef,
  type PrEventAction,
  type PullRequestInfo,
  type PullRequestState,
  type RepoRef,
  UnsupportedEventError,
  type VcsEvent,
  type WorkflowJobEvent,
} from "../types.ts";
import { formatNoteId } from "./ids.ts";
import {
  type HookMergeRequest,
  type HookProject,
  type HookUser,
  JobHook,
  MergeRequestHook,
  NoteHook,
  PipelineHook,
  PushHook,
} from "./webhook-schema.ts";

export class UnsupportedGitlabEventError extends UnsupportedEventError {
  override name = "UnsupportedGitlabEventError";
}

/** What a GitLab delivery normalizes to (a push to the default branch is a repository "pushed" event). */
export type GitlabEvent = VcsEvent;

/** GitLab's visibility_level 20 is public; 0 (private) and 10 (internal) need an account to read. */
const PUBLIC_VISIBILITY = 20;

export function repoRefFromProject(project: HookProject): RepoRef {
  const fullName = project.path_with_namespace;
  const slash = fullName.lastIndexOf("/");
  return {
    externalId: String(project.id),
    owner: slash === -1 ? "" : fullName.slice(0, slash),
    name: slash === -1 ? fullName : fullName.slice(slash + 1),
    fullName,
    defaultBranch: project.default_branch ?? "main",
    private: project.visibility_level !== PUBLIC_VISIBILITY,
  };
}

function mergeRequestState(state: string): PullRequestState {
  if (state === "merged") return "merged";
  return state === "opened" ? "open" : "closed";
}

/**
 * The MR as a hook describes it. Hooks carry neither the base sha nor the author's username (only
 * `author_id`): baseSha is "" and author is the acting user only when they are the author, else "".
 * Core code that needs either reads the MR through the provider (getPullRequest).
 */
export function pullRequestFromHook(
  mergeRequest: HookMergeRequest,
  actor?: z.infer<typeof HookUser>,
): PullRequestInfo {
  const status = mergeRequest.detailed_merge_status ?? null;
  return {
    number: mergeRequest.iid,
    state: mergeRequestState(mergeRequest.state),
    draft: mergeRequest.draft ?? mergeRequest.work_in_progress ?? false,
    title: mergeRequest.title,
    author:
      actor?.id !== undefined && mergeRequest.author_id != null && actor.id === mergeRequest.author_id
        ? actor.username
        : "",
    baseRef: mergeRequest.target_branch,
    baseSha: "",
    headRef: mergeRequest.source_branch,
    headSha: mergeRequest.last_commit?.id ?? "",
    mergeable: status === null ? null : mergeableFromStatus(status, false),
    ...forkInfo(mergeRequest),
  };
}

/** The head's project: another project than the target's (a fork), or none when the fork was deleted. */
function forkInfo(mergeRequest: HookMergeRequest): Pick<PullRequestInfo, "headRepository" | "fromFork"> {
  const sourceId = mergeRequest.source_project_id;
  const source = mergeRequest.source;
  if (sourceId == null || !source) return { headRepository: null, fromFork: true };
  return {
    headRepository: { externalId: String(sourceId), fullName: source.path_with_namespace },
    fromFork: sourceId !== mergeRequest.target_project_id,
  };
}

/** GitLab's detailed_merge_status → "no merge conflicts" (null while GitLab is still checking). */
export function mergeableFromStatus(detailedMergeStatus: string, hasConflicts: boolean): boolean | null {
  switch (detailedMergeStatus) {
    case "unchecked":
    case "checking":
    case "preparing":
    case "approvals_syncing":
      return null;
    case "conflict":
    case "broken_status":
      return false;
    default:
      return !hasConflicts;
  }
}

/** Which PR action a Merge Request Hook is, or null for updates Terragate does not act on. */
export function mergeRequestAction(hook: {
  object_attributes: {
    action?: string | null | undefined;
    oldrev?: string | null | undefined;
    state?: string;
  };
  changes?: { draft?: unknown; work_in_progress?: unknown } | null | undefined;
}): PrEventAction | null {
  const attributes = hook.object_attributes;
  switch (attributes.action) {
    case "open":
      return "opened";
    case "reopen":
      return "reopened";
    case "close":
    case "merge":
      return "closed";
    case "update": {
      if (attributes.oldrev) return "synchronize";
      return becameReady(hook.changes?.draft) || becameReady(hook.changes?.work_in_progress)
        ? "ready_for_review"
        : null;
    }
    default:
      return null;
  }
}

function becameReady(change: unknown): boolean {
  if (typeof change !== "object" || change === null) return false;
  const { previous, current } = change as { previous?: unknown; current?: unknown };
  return previous === true && current === false;
}

/** Pipeline / job status → the run event's action and conclusion. */
export function runProgress(status: string): Pick<WorkflowJobEvent, "action" | "conclusion"> {
  switch (status) {
    case "success":
      return { action: "completed", conclusion: "success" };
    case "failed":
      return { action: "completed", conclusion: "failure" };
    case "canceled":
    case "canceling":
      return { action: "completed", conclusion: "cancelled" };
    case "skipped":
      return { action: "completed", conclusion: "skipped" };
    case "running":
      return { action: "in_progress", conclusion: null };
    case "manual":
    case "scheduled":
      return { action: "waiting", conclusion: null };
    default:
      return { action: "queued", conclusion: null };
  }
}

function parse<T extends z.ZodType>(schema: T, payload: unknown, hook: string): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UnsupportedGitlabEventError(
      `GitLab ${hook} payload is missing ${issue ? issue.path.join(".") || "fields" : "fields"}: ${issue?.message ?? ""}`,
    );
  }
  return result.data;
}

function projectUrl(project: HookProject): string {
  return (project.web_url ?? "").replace(/\/+$/, "");
}

/**
 * Maps a stored GitLab delivery (its `X-Gitlab-Event` header and body) to a normalized event for the
 * installation that received it; throws UnsupportedGitlabEventError for what Terragate does not handle.
 */
export function normalizeGitlabEvent(
  hook: string,
  payload: unknown,
  installation: InstallationRef,
): GitlabEvent {
  switch (hook) {
    case "Merge Request Hook": {
      const data = parse(MergeRequestHook, payload, hook);
      const action = mergeRequestAction(data);
      if (action === null) {
        throw new UnsupportedGitlabEventError(
          `GitLab merge request action "${data.object_attributes.action ?? "none"}" without new commits or a draft → ready change is not handled`,
        );
      }
      return {
        type: "pull_request",
        action,
        installation,
        repo: repoRefFromProject(data.project),
        pullRequest: pullRequestFromHook(data.object_attributes, data.user),
        sender: data.user.username,
      };
    }
    case "Note Hook": {
      const data = parse(NoteHook, payload, hook);
      const note = data.object_attributes;
      if (note.noteable_type !== "MergeRequest" || !data.merge_request) {
        throw new UnsupportedGitlabEventError(`GitLab notes on a ${note.noteable_type} are not handled`);
      }
      if (note.system) throw new UnsupportedGitlabEventError("GitLab system notes are not commands");
      if (note.action && note.action !== "create") {
        throw new UnsupportedGitlabEventError(
          `GitLab note action "${note.action}" is not handled (only new notes)`,
        );
      }
      return {
        type: "comment",
        installation,
        repo: repoRefFromProject(data.project),
        prNumber: data.merge_request.iid,
        comment: {
          id: formatNoteId(data.merge_request.iid, note.id),
          body: note.note,
          author: data.user.username,
        },
      };
    }
    case "Pipeline Hook": {
      const data = parse(PipelineHook, payload, hook);
      const pipeline = data.object_attributes;
      return {
        type: "workflow_job",
        source: "workflow_run",
        ...runProgress(pipeline.status),
        installation,
        repo: repoRefFromProject(data.project),
        runId: String(pipeline.id),
        runAttempt: 1,
        runUrl: pipeline.url ?? `${projectUrl(data.project)}/-/pipelines/${pipeline.id}`,
        name: pipeline.name ?? "",
        workflowPath: null,
        headSha: pipeline.sha,
      };
    }
    case "Job Hook": {
      const data = parse(JobHook, payload, hook);
      return {
        type: "workflow_job",
        source: "workflow_job",
        ...runProgress(data.build_status),
        installation,
        repo: repoRefFromProject(data.project),
        runId: String(data.pipeline_id),
        runAttempt: 1,
        runUrl: `${projectUrl(data.project)}/-/jobs/${data.build_id}`,
        name: data.build_name,
        workflowPath: null,
        headSha: data.sha,
      };
    }
    case "Push Hook": {
      const data = parse(PushHook, payload, hook);
      const repo = repoRefFromProject(data.project);
      if (data.ref !== `refs/heads/${repo.defaultBranch}`) {
        throw new UnsupportedGitlabEventError(`GitLab push to ${data.ref} is not to the default branch`);
      }
      if (/^0+$/.test(data.after)) throw new UnsupportedGitlabEventError("GitLab push deleted the branch");
      // The refresh reads the default branch's head itself: the shas are not needed here.
      return { type: "repository", action: "pushed", installation, repo };
    }
    default:
      throw new UnsupportedGitlabEventError(`GitLab event "${hook}" is not handled by Terragate`);
  }
}
