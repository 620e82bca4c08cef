// The VcsProvider interface and the normalized events core code sees: no GitHub or GitLab type crosses this line.
import { z } from "zod";

/** Every VCS Terragate speaks: the one list the database, the API, tokens and the registry read. */
export const vcsNames = ["github", "gitlab"] as const;
export const Vcs = z.enum(vcsNames);
export type Vcs = z.infer<typeof Vcs>;
/** The same type under its older name. */
export type VcsName = Vcs;

/** A repository's permission level for one user, lowest to highest ("none" when no access). */
export const repoRoles = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type RepoRole = (typeof repoRoles)[number];

export const checkRunStatuses = ["queued", "in_progress", "completed"] as const;
export type CheckRunStatus = (typeof checkRunStatuses)[number];

export const checkRunConclusions = [
  "success",
  "failure",
  "neutral",
  "cancelled",
  "skipped",
  "timed_out",
  "action_required",
] as const;
export type CheckRunConclusion = (typeof checkRunConclusions)[number];

export interface CheckRunInput {
  /** e.g. `terragate plan: infra/a (default)`. */
  name: string;
  headSha: string;
  status: CheckRunStatus;
  /** Required when status is "completed". */
  conclusion?: CheckRunConclusion;
  title: string;
  summary: string;
  text?: string;
  /** Link shown as "Details" (the CI run). */
  detailsUrl?: string;
  /** Our own id for the check run (the work manifest id), echoed back by check_run events. */
  externalId?: string;
}

export type CheckRunUpdate = Partial<Omit<CheckRunInput, "headSha" | "name">> & { name?: string };

export const reactions = ["eyes", "+1", "-1", "rocket", "confused"] as const;
export type Reaction = (typeof reactions)[number];

export const pullRequestStates = ["open", "closed", "merged"] as const;
export type PullRequestState = (typeof pullRequestStates)[number];

export interface PullRequestInfo {
  number: number;
  state: PullRequestState;
  draft: boolean;
  title: string;
  author: string;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  /** null while the VCS is still computing it. */
  mergeable: boolean | null;
  /** The repository the head branch lives in; null when the VCS no longer knows it (a deleted fork). */
  headRepository: { externalId: string; fullName: string } | null;
  /** The head lives in another repository than the base (or in one that is gone): Terragate trusts it less. */
  fromFork: boolean;
}

export const reviewStates = ["approved", "changes_requested", "commented", "dismissed", "pending"] as const;
export type ReviewState = (typeof reviewStates)[number];

export interface Review {
  author: string;
  state: ReviewState;
  /** ISO-8601; reviews come oldest first. */
  submittedAt: string | null;
  /** The head commit the review was given on. */
  commitSha: string | null;
}

export const statusCheckConclusions = ["success", "failure", "pending", "neutral", "skipped"] as const;
export type StatusCheckConclusion = (typeof statusCheckConclusions)[number];

export interface StatusCheck {
  /** Check run name or commit status context. */
  name: string;
  conclusion: StatusCheckConclusion;
  source: "check_run" | "status";
  /** Created by this Terragate app itself (by app identity, never by name): apply requirements skip it. */
  ownCheck: boolean;
}

export interface WorkflowDispatch {
  /** File name under .github/workflows (GitHub) or the pipeline's ref (GitLab), e.g. `terragate.yml`. */
  workflowFile: string;
  ref: string;
  inputs: Record<string, string>;
}

export interface WorkflowDispatchResult {
  /** Present when the VCS returns the run it created. */
  runId: string | null;
  runUrl: string | null;
}

/** Runs of a workflow dispatched on a ref whose title (`run-name:`) is `title`, created at or after `createdAfter`. */
export interface WorkflowRunQuery {
  workflowFile: string;
  ref: string;
  title: string;
  createdAfter: Date;
}

export interface WorkflowRunInfo {
  runId: string;
  runUrl: string | null;
  createdAt: Date;
}

export const mergeStrategies = ["merge", "squash", "rebase"] as const;
export type MergeStrategy = (typeof mergeStrategies)[number];

export interface MergeResult {
  merged: boolean;
  message: string;
}

/** A repository as the VCS describes it now (refresh keeps Terragate's copy in step). */
export interface RepositoryInfo {
  externalId: string;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  archived: boolean;
  private: boolean;
  /** The default branch's head commit; null for an empty repository. */
  defaultBranchSha: string | null;
}

export const issueStates = ["open", "closed"] as const;
export type IssueState = (typeof issueStates)[number];

/** An issue (GitHub issue, GitLab issue) that Terragate keeps, such as the drift report. */
export interface IssueInfo {
  number: number;
  state: IssueState;
  title: string;
  body: string;
  url: string | null;
}

/**
 * Everything Terragate asks of a VCS, for one repository. An implementation is built per
 * installation and repository (never process-wide); errors are VcsError.
 */
export interface VcsProvider {
  readonly vcs: VcsName;
  /** Owner/name of the repository this provider talks to. */
  readonly repoFullName: string;
  /** Text of a file at a ref or sha; null when the file (or ref) does not exist. */
  getFile(path: string, ref: string): Promise<string | null>;
  /** Every path a PR touches (all pages); a rename contributes both its old and new path. */
  listChangedFiles(prNumber: number): Promise<string[]>;
  /** Paths of every file (blob) in the tree at a commit sha or a branch name. */
  listTree(sha: string): Promise<string[]>;
  /**
   * The same files, each with its blob sha (a hash of its content: an unchanged file keeps its sha,
   * so what was read from it once need not be read again).
   */
  listTreeBlobs(sha: string): Promise<Map<string, string>>;
  createCheckRun(input: CheckRunInput): Promise<{ id: string }>;
  updateCheckRun(id: string, update: CheckRunUpdate): Promise<void>;
  /**
   * Finds the comment containing `marker` that this app wrote (by app identity: another bot's or a
   * person's copy of the marker is never edited) and edits it, or creates one; returns its id.
   */
  upsertComment(prNumber: number, marker: string, body: string): Promise<{ id: string }>;
  createComment(prNumber: number, body: string): Promise<{ id: string }>;
  addReaction(commentId: string, reaction: Reaction): Promise<void>;
  getPullRequest(prNumber: number): Promise<PullRequestInfo>;
  listReviews(prNumber: number): Promise<Review[]>;
  /** Check runs and commit statuses reported on a sha (latest per name). */
  listStatusChecks(sha: string): Promise<StatusCheck[]>;
  getUserPermission(user: string): Promise<RepoRole>;
  /** Whether `user` is an active member of the team `teamSlug` of the repository's owner. */
  isTeamMember(teamSlug: string, user: string): Promise<boolean>;
  /** Throws VcsError with kind "not_found" when the workflow file does not exist on `ref`. */
  dispatchWorkflow(dispatch: WorkflowDispatch): Promise<WorkflowDispatchResult>;
  /** Dispatched runs matching the query, newest first: finds a run whose dispatch answer was lost. */
  findWorkflowRuns(query: WorkflowRunQuery): Promise<WorkflowRunInfo[]>;
  /** The repository's current name, default branch (and its head), visibility and archived state. */
  getRepository(): Promise<RepositoryInfo>;
  /** Opens an issue (GitLab: an issue of the project). */
  createIssue(title: string, body: string): Promise<IssueInfo>;
  /** Changes an issue's body or state (closing, reopening); throws not_found when it is gone. */
  updateIssue(number: number, update: { body?: string; state?: IssueState }): Promise<void>;
  /** An issue by number; null when it does not exist. */
  getIssue(number: number): Promise<IssueInfo | null>;
  /** The most recent open issue with exactly this title that this app opened; null when there is none. */
  findOwnOpenIssue(title: string): Promise<IssueInfo | null>;
  /** Merges only if the PR's head is still `sha` (what was applied); otherwise answers merged: false. */
  mergePullRequest(
    prNumber: number,
    options: { strategy: MergeStrategy; deleteBranch: boolean; sha: string },
  ): Promise<MergeResult>;
}

export const vcsErrorKinds = [
  "not_found",
  "unauthorized",
  "forbidden",
  "rate_limited",
  "server",
  "invalid",
  "network",
] as const;
export type VcsErrorKind = (typeof vcsErrorKinds)[number];

/** A failed VCS call: what was asked, the HTTP status, and whether retrying later can help. */
export class VcsError extends Error {
  override name = "VcsError";
  readonly kind: VcsErrorKind;
  readonly status: number | null;
  constructor(message: string, kind: VcsErrorKind, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.status = status;
  }
  /** 5xx, rate limits and network errors are worth retrying; 4xx are not. */
  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "server" || this.kind === "network";
  }
}

// ---------------------------------------------------------------- normalized events

/** A delivery Terragate acknowledges but does not act on (an event or action it has no handler for). */
export class UnsupportedEventError extends Error {
  override name = "UnsupportedEventError";
}

export interface InstallationRef {
  vcs: VcsName;
  /** The VCS's own id (GitHub installation id). */
  externalId: string;
  accountLogin: string;
  accountType: string;
}

export interface RepoRef {
  /** The VCS's own repository id. */
  externalId: string;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
}

export const prEventActions = ["opened", "synchronize", "reopened", "ready_for_review", "closed"] as const;
export type PrEventAction = (typeof prEventActions)[number];

export interface PrEvent {
  type: "pull_request";
  action: PrEventAction;
  installation: InstallationRef;
  repo: RepoRef;
  pullRequest: PullRequestInfo;
  sender: string;
}

export interface CommentEvent {
  type: "comment";
  installation: InstallationRef;
  repo: RepoRef;
  prNumber: number;
  comment: { id: string; body: string; author: string };
}

export const installationEventActions = [
  "created",
  "deleted",
  "suspend",
  "unsuspend",
  "new_permissions_accepted",
  "added",
  "removed",
] as const;
export type InstallationEventAction = (typeof installationEventActions)[number];

export interface InstallationEvent {
  type: "installation";
  action: InstallationEventAction;
  installation: InstallationRef;
  /** Repositories now reachable (created / added); owner and default branch may be best-effort. */
  repositoriesAdded: Array<Pick<RepoRef, "externalId" | "owner" | "name" | "fullName" | "private">>;
  repositoriesRemoved: Array<Pick<RepoRef, "externalId" | "fullName">>;
}

export interface WorkflowJobEvent {
  type: "workflow_job";
  /** Which webhook reported it: a single job or the whole run. */
  source: "workflow_job" | "workflow_run";
  action: "requested" | "queued" | "waiting" | "in_progress" | "completed";
  installation: InstallationRef;
  repo: RepoRef;
  runId: string;
  runAttempt: number;
  runUrl: string;
  /** Job name (workflow_job) or workflow name (workflow_run). */
  name: string;
  /** e.g. `.github/workflows/terragate.yml` when known. */
  workflowPath: string | null;
  headSha: string;
  conclusion: string | null;
}

export interface CheckRunRerequestedEvent {
  type: "check_run_rerequested";
  installation: InstallationRef;
  repo: RepoRef;
  checkRunId: string;
  checkRunName: string;
  externalId: string | null;
  headSha: string;
  prNumbers: number[];
  sender: string;
}

export const repositoryEventActions = [
  "pushed",
  "renamed",
  "archived",
  "unarchived",
  "edited",
  "transferred",
  "deleted",
] as const;
export type RepositoryEventAction = (typeof repositoryEventActions)[number];

/** The repository itself changed: a push to its default branch, or its name, default branch or archived state. */
export interface RepositoryEvent {
  type: "repository";
  action: RepositoryEventAction;
  installation: InstallationRef;
  /** As the event describes it now (after a rename, the new name). */
  repo: RepoRef;
}

export type VcsEvent =
  | PrEvent
  | CommentEvent
  | InstallationEvent
  | WorkflowJobEvent
  | CheckRunRerequestedEvent
  | RepositoryEvent;
