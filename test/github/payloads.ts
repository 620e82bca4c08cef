// Webhook payloads from @octokit/webhooks-examples, edited only where a test needs it (ids, shas, bodies).
import { createRequire } from "node:module";
import type { FakePullRequest } from "../fakes/github/state.ts";

export const installationId = 42;
export const repoFullName = "acme/infra";
export const repoId = 4242;

interface Example {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as Example[];

/** A deep copy of the first example of `event` with the given action. */
export function example(event: string, action: string): Record<string, unknown> {
  const found = examples
    .find((entry) => entry.name === event)
    ?.examples.find((item) => item["action"] === action);
  if (!found) throw new Error(`no @octokit/webhooks-examples example for ${event}.${action}`);
  return structuredClone(found);
}

type Json = Record<string, unknown>;

function repository(): Json {
  const repo = example("pull_request", "opened")["repository"] as Json;
  return {
    ...repo,
    id: repoId,
    name: "infra",
    full_name: repoFullName,
    default_branch: "main",
    owner: { ...(repo["owner"] as Json), login: "acme", type: "Organization" },
  };
}

const installation = { id: installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };

export function pullRequestEvent(
  action: "opened" | "synchronize" | "reopened" | "ready_for_review" | "closed",
  pull: FakePullRequest,
  options: { merged?: boolean } = {},
): Json {
  const payload = example("pull_request", "opened");
  const original = payload["pull_request"] as Json;
  const base = original["base"] as Json;
  const head = original["head"] as Json;
  payload["action"] = action;
  payload["number"] = pull.number;
  payload["installation"] = installation;
  payload["repository"] = repository();
  payload["sender"] = { ...(payload["sender"] as Json), login: pull.user };
  const baseRepo = repository();
  const headRepo =
    pull.headRepo === undefined
      ? baseRepo
      : pull.headRepo && {
          ...baseRepo,
          id: pull.headRepo.id,
          full_name: pull.headRepo.fullName,
          name: pull.headRepo.fullName.split("/")[1],
          owner: { ...(baseRepo["owner"] as Json), login: pull.headRepo.fullName.split("/")[0] },
          fork: true,
        };
  payload["pull_request"] = {
    ...original,
    number: pull.number,
    state: action === "closed" ? "closed" : "open",
    merged: options.merged ?? false,
    merged_at: options.merged ? new Date().toISOString() : null,
    draft: pull.draft,
    user: { ...(original["user"] as Json), login: pull.user },
    base: { ...base, ref: pull.base.ref, sha: pull.base.sha, repo: baseRepo },
    head: { ...head, ref: pull.head.ref, sha: pull.head.sha, repo: headRepo },
  };
  return payload;
}

export function commentEvent(prNumber: number, comment: { id: number; body: string; author: string }): Json {
  const payload = example("issue_comment", "created");
  const issue = payload["issue"] as Json;
  const original = payload["comment"] as Json;
  payload["installation"] = installation;
  payload["repository"] = repository();
  payload["issue"] = {
    ...issue,
    number: prNumber,
    pull_request: { url: `https://api.github.com/repos/${repoFullName}/pulls/${prNumber}` },
  };
  payload["comment"] = {
    ...original,
    id: comment.id,
    body: comment.body,
    user: { ...(original["user"] as Json), login: comment.author, type: "User" },
  };
  payload["sender"] = { ...(payload["sender"] as Json), login: comment.author };
  return payload;
}

export function installationEvent(
  action: "created" | "deleted",
  repos: Array<{ id: number; name: string }>,
): Json {
  const payload = example("installation", action);
  payload["installation"] = {
    ...(payload["installation"] as Json),
    id: installationId,
    account: { login: "acme", type: "Organization" },
  };
  payload["repositories"] = repos.map((repo) => ({
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `acme/${repo.name}`,
    private: true,
  }));
  return payload;
}

/** The first example of an event that has no action (push). */
function exampleWithoutAction(event: string): Json {
  const found = examples.find((entry) => entry.name === event)?.examples[0];
  if (!found) throw new Error(`no @octokit/webhooks-examples example for ${event}`);
  return structuredClone(found);
}

/** A push of `after` to `ref` (default: the default branch) of the standard repository. */
export function pushEvent(after: string, options: { ref?: string; deleted?: boolean } = {}): Json {
  const push = exampleWithoutAction("push");
  return {
    ...push,
    ref: options.ref ?? "refs/heads/main",
    after,
    deleted: options.deleted ?? false,
    repository: {
      ...repository(),
      owner: { ...((push["repository"] as Json)["owner"] as Json), login: "acme" },
    },
    installation,
  };
}

/** A `repository` event (renamed, archived, edited …) of the standard repository, as it is now. */
export function repositoryEvent(
  action: "renamed" | "archived" | "unarchived" | "edited" | "transferred" | "deleted",
  now: { name?: string; defaultBranch?: string; archived?: boolean } = {},
): Json {
  const renamed = example("repository", "renamed");
  const name = now.name ?? "infra";
  return {
    ...renamed,
    action,
    repository: {
      ...repository(),
      name,
      full_name: `acme/${name}`,
      default_branch: now.defaultBranch ?? "main",
      archived: now.archived ?? false,
    },
    installation,
  };
}
