// Check runs on GitLab: external commit statuses (one per name and sha), and the statuses + pipeline a sha has.
import { z } from "zod";
import {
  type CheckRunConclusion,
  type CheckRunInput,
  type CheckRunStatus,
  type CheckRunUpdate,
  type StatusCheck,
  type StatusCheckConclusion,
  VcsError,
} from "../types.ts";
import { ApiCommitStatus, ApiPipeline } from "./api-schema.ts";
import { type GitlabClient, gitlabMessage, parseAnswer } from "./client.ts";
import { formatStatusId, parseStatusId } from "./ids.ts";
import { clip, gitlabStatusTextLimit } from "./limits.ts";

/** The states a commit status can be posted with. */
export type GitlabStatusState = "pending" | "running" | "success" | "failed" | "canceled" | "skipped";

const conclusionStates: Record<CheckRunConclusion, GitlabStatusState> = {
  success: "success",
  neutral: "success",
  skipped: "skipped",
  cancelled: "canceled",
  failure: "failed",
  timed_out: "failed",
  action_required: "failed",
};

export function statusState(
  status: CheckRunStatus,
  conclusion: CheckRunConclusion | undefined,
): GitlabStatusState {
  switch (status) {
    case "queued":
      return "pending";
    case "in_progress":
      return "running";
    case "completed":
      return conclusionStates[conclusion ?? "neutral"];
    default: {
      const never: never = status;
      throw new Error(`unknown check run status ${String(never)}`);
    }
  }
}

/** A commit status or pipeline status → what apply requirements see. */
export function statusConclusion(status: string, allowFailure = false): StatusCheckConclusion {
  switch (status) {
    case "success":
      return "success";
    case "skipped":
      return "skipped";
    case "failed":
      return allowFailure ? "neutral" : "failure";
    case "canceled":
    case "canceling":
      return "failure";
    default:
      return "pending";
  }
}

/** The one-line description GitLab shows next to a status: the title, else the first summary line. */
function description(title: string | undefined, summary: string | undefined): string | undefined {
  const text = title || summary?.split("\n")[0];
  return text ? clip(text.replace(/\s+/g, " ").trim(), gitlabStatusTextLimit, "…") : undefined;
}

/** GitLab refuses to post a pending or running status over itself ("Cannot transition status via :run from :running"). */
function isSameStateRefusal(error: unknown): boolean {
  return (
    error instanceof VcsError &&
    error.status === 400 &&
    /cannot transition status/i.test(gitlabMessage(error))
  );
}

async function postStatus(
  client: GitlabClient,
  projectId: string,
  sha: string,
  name: string,
  state: GitlabStatusState,
  fields: { targetUrl?: string | undefined; description?: string | undefined },
): Promise<void> {
  try {
    await client.call(`set the status "${name}" on ${sha.slice(0, 7)}`, (api) =>
      // gitbeaker's type lacks `skipped`, which the statuses API accepts.
      api.commits.editStatus(projectId, sha, state as "pending", {
        name,
        ...(fields.targetUrl ? { targetUrl: fields.targetUrl } : {}),
        ...(fields.description ? { description: fields.description } : {}),
      }),
    );
  } catch (error) {
    if (isSameStateRefusal(error)) return;
    throw error;
  }
}

export async function createCommitStatus(
  client: GitlabClient,
  projectId: string,
  input: CheckRunInput,
): Promise<{ id: string }> {
  const name = clip(input.name, gitlabStatusTextLimit, "…");
  await postStatus(client, projectId, input.headSha, name, statusState(input.status, input.conclusion), {
    targetUrl: input.detailsUrl,
    description: description(input.title, input.summary),
  });
  return { id: formatStatusId(input.headSha, name) };
}

/** Posts the status again under its name; without a new status the current state is kept. */
export async function updateCommitStatus(
  client: GitlabClient,
  projectId: string,
  statusId: string,
  update: CheckRunUpdate,
): Promise<void> {
  const { sha, name: current } = parseStatusId(statusId);
  const name = update.name ? clip(update.name, gitlabStatusTextLimit, "…") : current;
  let state: GitlabStatusState;
  if (update.status) {
    state = statusState(update.status, update.conclusion);
  } else {
    const existing = (await listCommitStatuses(client, projectId, sha)).find(
      (status) => status.name === current,
    );
    state = (existing?.status as GitlabStatusState | undefined) ?? "pending";
  }
  await postStatus(client, projectId, sha, name, state, {
    targetUrl: update.detailsUrl,
    description: description(update.title, update.summary),
  });
}

async function listCommitStatuses(client: GitlabClient, projectId: string, sha: string) {
  const statuses = await client.call(`list the statuses of ${sha.slice(0, 7)}`, (api) =>
    api.commits.allStatuses(projectId, sha, { all: false, perPage: 100 } as never),
  );
  return parseAnswer(z.array(ApiCommitStatus), statuses, `statuses of ${sha}`);
}

/**
 * The latest status per name on a sha: every CI job of the sha's pipelines and every external status.
 * A pipeline that failed before any job existed (a broken .gitlab-ci.yml) has no job to show, so the
 * latest pipeline is added as `gitlab pipeline` when GitLab reports YAML errors for it. (The pipeline's
 * own status is not used otherwise: Terragate's statuses attach to it and would count against themselves.)
 */
export async function listStatusChecks(
  client: GitlabClient,
  projectId: string,
  sha: string,
  botUserId: number,
): Promise<StatusCheck[]> {
  const [statuses, pipelines] = await Promise.all([
    listCommitStatuses(client, projectId, sha),
    client.call(`list the pipelines of ${sha.slice(0, 7)}`, (api) =>
      api.pipelines.all(projectId, { sha, orderBy: "id", sort: "desc", perPage: 1, maxPages: 1 }),
    ),
  ]);
  const checks = new Map<string, StatusCheck>();
  for (const status of statuses) {
    if (!checks.has(status.name)) {
      checks.set(status.name, {
        name: status.name,
        conclusion: statusConclusion(status.status, status.allow_failure ?? false),
        source: "status",
        // Posted by the installation's own bot user: Terragate's own status, by identity, never by name.
        ownCheck: status.author?.id === botUserId,
      });
    }
  }
  const [latest] = parseAnswer(z.array(ApiPipeline), pipelines, `pipelines of ${sha}`);
  if (latest?.status === "failed") {
    const pipeline = parseAnswer(
      ApiPipeline,
      await client.call(`get pipeline ${latest.id}`, (api) => api.pipelines.show(projectId, latest.id)),
      `pipeline ${latest.id}`,
    );
    if (pipeline.yaml_errors) {
      checks.set("gitlab pipeline", {
        name: "gitlab pipeline",
        conclusion: "failure",
        source: "status",
        ownCheck: false,
      });
    }
  }
  return [...checks.values()];
}
