// One GitLab instance + token as gitbeaker resources, and the call wrapper: retries with backoff, errors as VcsError.
import {
  Commits,
  GitbeakerRequestError,
  GitbeakerRetryError,
  GitbeakerTimeoutError,
  GroupHooks,
  GroupMembers,
  Groups,
  Issues,
  MergeRequestApprovals,
  MergeRequestNoteAwardEmojis,
  MergeRequestNotes,
  MergeRequests,
  PersonalAccessTokens,
  Pipelines,
  ProjectHooks,
  ProjectMembers,
  Projects,
  Repositories,
  RepositoryFiles,
  Users,
} from "@gitbeaker/rest";
import type { z } from "zod";
import { VcsError, type VcsErrorKind } from "../types.ts";

export interface GitlabClientOptions {
  /** The instance's base URL, e.g. https://gitlab.com (the API is under /api/v4). */
  url: string;
  token: string;
  /** Attempts for 5xx, 429 and network errors (default 4), and the first backoff (default 500 ms). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Told when GitLab refuses the token (401): the installation is then broken until connected again. */
  onUnauthorized?: (error: VcsError) => Promise<void>;
}

const resourceClasses = {
  commits: Commits,
  groupHooks: GroupHooks,
  groupMembers: GroupMembers,
  groups: Groups,
  issues: Issues,
  approvals: MergeRequestApprovals,
  noteEmojis: MergeRequestNoteAwardEmojis,
  notes: MergeRequestNotes,
  mergeRequests: MergeRequests,
  accessTokens: PersonalAccessTokens,
  pipelines: Pipelines,
  projectHooks: ProjectHooks,
  projectMembers: ProjectMembers,
  projects: Projects,
  repositories: Repositories,
  files: RepositoryFiles,
  users: Users,
} as const;
type ResourceName = keyof typeof resourceClasses;
type Resources = { [K in ResourceName]: InstanceType<(typeof resourceClasses)[K]> };

export interface GitlabClient {
  readonly url: string;
  /** gitbeaker resources, each built on first use (a full `Gitlab` builds ~200 of them). */
  readonly api: Resources;
  /** Runs one API call: retried on 5xx/429/network errors, failures as VcsError naming `what`. */
  call<T>(what: string, run: (api: Resources) => Promise<T>): Promise<T>;
}

export function normalizeGitlabUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, "")
    .replace(/\/api\/v4$/, "");
}

export function createGitlabClient(options: GitlabClientOptions): GitlabClient {
  const url = normalizeGitlabUrl(options.url);
  const settings = { host: url, token: options.token, queryTimeout: options.timeoutMs ?? 30_000 };
  const built = new Map<ResourceName, unknown>();
  const api = new Proxy({} as Resources, {
    get(_target, name: string) {
      if (!(name in resourceClasses)) return undefined;
      const key = name as ResourceName;
      let resource = built.get(key);
      if (!resource) {
        const Resource = resourceClasses[key] as unknown as new (config: typeof settings) => unknown;
        resource = new Resource(settings);
        built.set(key, resource);
      }
      return resource;
    },
  });
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const baseDelayMs = options.retry?.baseDelayMs ?? 500;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;

  return {
    url,
    api,
    async call(what, run) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await run(api);
        } catch (error) {
          const vcsError = toVcsError(what, url, error);
          if (vcsError.kind === "unauthorized") await options.onUnauthorized?.(vcsError);
          if (!vcsError.retryable || attempt >= attempts) throw vcsError;
          const retryAfter = retryAfterMs(error);
          const backoff = baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
          await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter ?? backoff, maxDelayMs)));
        }
      }
    },
  };
}

interface FailedResponse {
  status: number;
  headers: Headers;
}

function failedResponse(error: unknown): FailedResponse | null {
  if (!(error instanceof GitbeakerRequestError)) return null;
  const response = (error.cause as { response?: Response } | undefined)?.response;
  return response ? { status: response.status, headers: response.headers } : null;
}

function retryAfterMs(error: unknown): number | null {
  const value = failedResponse(error)?.headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

function kindFor(status: number): VcsErrorKind {
  if (status === 404) return "not_found";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  return "invalid";
}

/** gitbeaker's failure → VcsError; a 401 says how to reconnect, since the token was revoked or expired. */
export function toVcsError(what: string, url: string, error: unknown): VcsError {
  if (error instanceof VcsError) return error;
  const response = failedResponse(error);
  if (response) {
    const description = (error as GitbeakerRequestError).message;
    if (response.status === 401) {
      return new VcsError(
        `GitLab ${what} at ${url} failed with 401: the access token was refused (revoked or expired); ` +
          "create a new group or project access token with the api scope and run `terragate gitlab connect` again",
        "unauthorized",
        401,
        { cause: error },
      );
    }
    return new VcsError(
      `GitLab ${what} at ${url} failed with ${response.status}: ${description}`,
      kindFor(response.status),
      response.status,
      { cause: error },
    );
  }
  if (error instanceof GitbeakerRetryError) {
    const rateLimited = /status code: 429/.test(error.message);
    return new VcsError(
      `GitLab ${what} at ${url} failed: ${error.message}`,
      rateLimited ? "rate_limited" : "server",
      rateLimited ? 429 : 502,
      {
        cause: error,
      },
    );
  }
  if (error instanceof GitbeakerTimeoutError) {
    return new VcsError(`GitLab ${what} at ${url} timed out`, "network", null, { cause: error });
  }
  return new VcsError(
    `GitLab ${what} at ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
    "network",
    null,
    {
      cause: error,
    },
  );
}

/** Whether a failed call was a 404 (many reads answer null for it). */
export function isNotFound(error: unknown): boolean {
  return error instanceof VcsError ? error.kind === "not_found" : failedResponse(error)?.status === 404;
}

/** The GitLab message of a failed call (GitLab sends `{"message": …}` or `{"error": …}`). */
export function gitlabMessage(error: unknown): string {
  const cause = error instanceof VcsError ? error.cause : error;
  if (cause instanceof GitbeakerRequestError) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Validates an API answer against the schema of the fields used, naming the call when GitLab sent something else. */
export function parseAnswer<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new VcsError(
      `GitLab ${what}: unexpected answer (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`,
      "invalid",
      null,
    );
  }
  return result.data;
}
