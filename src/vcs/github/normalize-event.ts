// GitHub webhook payload → Terragate's normalized VcsEvent, through small zod schemas of the fields used.
import { z } from "zod";
import {
  type InstallationRef,
  type PullRequestInfo,
  type RepoRef,
  UnsupportedEventError,
  type VcsEvent,
} from "../types.ts";

const Account = z.looseObject({ login: z.string(), type: z.string().default("Organization") });
const Installation = z.looseObject({ id: z.number(), account: Account.nullish() });
const Repository = z.looseObject({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  default_branch: z.string().default("main"),
  private: z.boolean().default(true),
});
const User = z.looseObject({ login: z.string() });
const BranchRepo = z.looseObject({ id: z.number(), full_name: z.string() });
/** The fields of a pull request (webhook payload or REST answer) Terragate reads. */
export const GithubPullRequest = z.looseObject({
  number: z.number(),
  state: z.string(),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  draft: z.boolean().nullish(),
  title: z.string().default(""),
  user: User,
  base: z.looseObject({ ref: z.string(), sha: z.string(), repo: BranchRepo }),
  // GitHub sends `repo: null` when the fork the head lives in was deleted.
  head: z.looseObject({ ref: z.string(), sha: z.string(), repo: BranchRepo.nullish() }),
  mergeable: z.boolean().nullish(),
});

const PullRequestPayload = z.looseObject({
  action: z.enum(["opened", "synchronize", "reopened", "ready_for_review", "closed"]),
  installation: Installation,
  repository: Repository,
  pull_request: GithubPullRequest,
  sender: User,
});
const IssueCommentPayload = z.looseObject({
  action: z.literal("created"),
  installation: Installation,
  repository: Repository,
  issue: z.looseObject({ number: z.number(), pull_request: z.unknown() }),
  comment: z.looseObject({ id: z.number(), body: z.string().default(""), user: User }),
});
const RepoSummary = z.looseObject({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  private: z.boolean().default(true),
});
const InstallationPayload = z.looseObject({
  action: z.enum(["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"]),
  installation: Installation,
  repositories: z.array(RepoSummary).nullish(),
});
const InstallationRepositoriesPayload = z.looseObject({
  action: z.enum(["added", "removed"]),
  installation: Installation,
  repositories_added: z.array(RepoSummary).default([]),
  repositories_removed: z.array(RepoSummary).default([]),
});
const WorkflowJobPayload = z.looseObject({
  action: z.enum(["queued", "waiting", "in_progress", "completed"]),
  installation: Installation,
  repository: Repository,
  workflow_job: z.looseObject({
    run_id: z.number(),
    run_attempt: z.number().default(1),
    run_url: z.string(),
    html_url: z.string().nullish(),
    name: z.string(),
    head_sha: z.string(),
    conclusion: z.string().nullish(),
  }),
});
const WorkflowRunPayload = z.looseObject({
  action: z.enum(["requested", "in_progress", "completed"]),
  installation: Installation,
  repository: Repository,
  workflow_run: z.looseObject({
    id: z.number(),
    run_attempt: z.number().default(1),
    html_url: z.string(),
    name: z.string().nullish(),
    path: z.string().nullish(),
    head_sha: z.string(),
    conclusion: z.string().nullish(),
  }),
});
const CheckRunPayload = z.looseObject({
  action: z.literal("rerequested"),
  installation: Installation,
  repository: Repository,
  check_run: z.looseObject({
    id: z.number(),
    name: z.string(),
    external_id: z.string().nullish(),
    head_sha: z.string(),
    pull_requests: z.array(z.looseObject({ number: z.number() })).default([]),
  }),
  sender: User,
});

const PushPayload = z.looseObject({
  ref: z.string(),
  deleted: z.boolean().default(false),
  installation: Installation,
  repository: Repository,
});
const RepositoryPayload = z.looseObject({
  action: z.enum(["renamed", "archived", "unarchived", "edited", "transferred", "deleted"]),
  installation: Installation,
  repository: Repository,
});

export { UnsupportedEventError };

function installationRef(installation: z.infer<typeof Installation>): InstallationRef {
  return {
    vcs: "github",
    externalId: String(installation.id),
    accountLogin: installation.account?.login ?? "",
    accountType: installation.account?.type ?? "Organization",
  };
}

function repoRef(repo: z.infer<typeof Repository>): RepoRef {
  return {
    externalId: String(repo.id),
    owner: repo.owner.login,
    name: repo.name,
    fullName: repo.full_name,
    defaultBranch: repo.default_branch,
    private: repo.private,
  };
}

function repoSummary(repo: z.infer<typeof RepoSummary>) {
  const [owner = "", name = repo.name] = repo.full_name.split("/");
  return { externalId: String(repo.id), owner, name, fullName: repo.full_name, private: repo.private };
}

/**
 * A PR as Terragate sees it. The head counts as a fork whenever it is not provably the base
 * repository (a deleted fork has no repository at all).
 */
export function pullRequestInfo(pull: z.infer<typeof GithubPullRequest>): PullRequestInfo {
  const headRepo = pull.head.repo ?? null;
  return {
    number: pull.number,
    state: pull.merged || pull.merged_at ? "merged" : pull.state === "open" ? "open" : "closed",
    draft: pull.draft ?? false,
    title: pull.title,
    author: pull.user.login,
    baseRef: pull.base.ref,
    baseSha: pull.base.sha,
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    mergeable: pull.mergeable ?? null,
    headRepository: headRepo && { externalId: String(headRepo.id), fullName: headRepo.full_name },
    fromFork: headRepo === null || headRepo.id !== pull.base.repo.id,
  };
}

function parse<T extends z.ZodType>(schema: T, payload: unknown, event: string): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UnsupportedEventError(
      `GitHub ${event} payload is missing ${issue ? issue.path.join(".") || "fields" : "fields"}: ${issue?.message ?? ""}`,
    );
  }
  return result.data;
}

/** Maps a stored GitHub delivery to a VcsEvent; throws UnsupportedEventError for events Terragate does not handle. */
export function normalizeGithubEvent(event: string, payload: unknown): VcsEvent {
  switch (event) {
    case "pull_request": {
      const data = parse(PullRequestPayload, payload, event);
      return {
        type: "pull_request",
        action: data.action,
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
        pullRequest: pullRequestInfo(data.pull_request),
        sender: data.sender.login,
      };
    }
    case "issue_comment": {
      const data = parse(IssueCommentPayload, payload, event);
      return {
        type: "comment",
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
        prNumber: data.issue.number,
        comment: { id: String(data.comment.id), body: data.comment.body, author: data.comment.user.login },
      };
    }
    case "installation": {
      const data = parse(InstallationPayload, payload, event);
      const repos = (data.repositories ?? []).map(repoSummary);
      return {
        type: "installation",
        action: data.action,
        installation: installationRef(data.installation),
        repositoriesAdded: data.action === "deleted" ? [] : repos,
        repositoriesRemoved: data.action === "deleted" ? repos : [],
      };
    }
    case "installation_repositories": {
      const data = parse(InstallationRepositoriesPayload, payload, event);
      return {
        type: "installation",
        action: data.action,
        installation: installationRef(data.installation),
        repositoriesAdded: data.repositories_added.map(repoSummary),
        repositoriesRemoved: data.repositories_removed.map(repoSummary),
      };
    }
    case "workflow_job": {
      const data = parse(WorkflowJobPayload, payload, event);
      const job = data.workflow_job;
      return {
        type: "workflow_job",
        source: "workflow_job",
        action: data.action,
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
        runId: String(job.run_id),
        runAttempt: job.run_attempt,
        runUrl: job.html_url ?? job.run_url,
        name: job.name,
        workflowPath: null,
        headSha: job.head_sha,
        conclusion: job.conclusion ?? null,
      };
    }
    case "workflow_run": {
      const data = parse(WorkflowRunPayload, payload, event);
      const run = data.workflow_run;
      return {
        type: "workflow_job",
        source: "workflow_run",
        action: data.action,
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
        runId: String(run.id),
        runAttempt: run.run_attempt,
        runUrl: run.html_url,
        name: run.name ?? "",
        workflowPath: run.path ?? null,
        headSha: run.head_sha,
        conclusion: run.conclusion ?? null,
      };
    }
    case "push": {
      const data = parse(PushPayload, payload, event);
      if (data.deleted || data.ref !== `refs/heads/${data.repository.default_branch}`) {
        throw new UnsupportedEventError(
          `a push to ${data.ref}, not to the default branch, changes nothing Terragate keeps`,
        );
      }
      return {
        type: "repository",
        action: "pushed",
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
      };
    }
    case "repository": {
      const data = parse(RepositoryPayload, payload, event);
      return {
        type: "repository",
        action: data.action,
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
      };
    }
    case "check_run": {
      const data = parse(CheckRunPayload, payload, event);
      return {
        type: "check_run_rerequested",
        installation: installationRef(data.installation),
        repo: repoRef(data.repository),
        checkRunId: String(data.check_run.id),
        checkRunName: data.check_run.name,
        externalId: data.check_run.external_id ?? null,
        headSha: data.check_run.head_sha,
        prNumbers: data.check_run.pull_requests.map((pull) => pull.number),
        sender: data.sender.login,
      };
    }
    default:
      throw new UnsupportedEventError(`GitHub event "${event}" is not handled by Terragate`);
  }
}
