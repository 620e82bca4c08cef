// Shared pieces of the fake GitLab routes: GitLab's error bodies, offset and keyset pagination, JSON shapes.
import type {
  CommitStatusSchema,
  ExpandedHookSchema,
  MergeRequestNoteSchema,
  MergeRequestSchema,
  PipelineSchema,
} from "@gitbeaker/rest";
import type { FakeRequest, FakeResponse } from "./server.ts";
import type {
  FakeGitlabState,
  FakeHook,
  FakeMergeRequest,
  FakeNote,
  FakePipeline,
  FakeProject,
  FakeStatus,
} from "./state.ts";

export interface Route {
  method: string;
  pattern: RegExp;
  handle(state: FakeGitlabState, request: FakeRequest): FakeResponse;
}

/** `/projects/:id` where :id is a number or a URL-encoded path. */
export const P = "/projects/([^/]+)";
export const G = "/groups/([^/]+)";

export function notFound(what = "Not Found"): FakeResponse {
  return { status: 404, body: { message: `404 ${what}` } };
}

export function badRequest(message: unknown): FakeResponse {
  return { status: 400, body: { message } };
}

export function forbidden(message = "403 Forbidden"): FakeResponse {
  return { status: 403, body: { message } };
}

export function withProject(
  handler: (project: FakeProject, state: FakeGitlabState, request: FakeRequest) => FakeResponse,
) {
  return (state: FakeGitlabState, request: FakeRequest): FakeResponse => {
    const project = state.project(request.params[0] ?? "");
    if (!project || state.projectAccess(project, request.user.id) === undefined)
      return notFound("Project Not Found");
    return handler(project, state, request);
  };
}

export function withMergeRequest(
  handler: (
    mergeRequest: FakeMergeRequest,
    project: FakeProject,
    state: FakeGitlabState,
    request: FakeRequest,
  ) => FakeResponse,
) {
  return withProject((project, state, request) => {
    const mergeRequest = project.mergeRequests.get(Number(request.params[1]));
    return mergeRequest
      ? handler(mergeRequest, project, state, request)
      : notFound("Merge Request Not Found");
  });
}

/** GitLab's offset pagination: per_page ≤ 100 (default 20), page from 1, x-* headers and a Link header. */
export function paginate<T>(
  items: T[],
  request: FakeRequest,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(request.query.get("per_page") ?? 20) || 20, 100);
  const pageNumber = Math.max(Number(request.query.get("page") ?? 1) || 1, 1);
  const totalPages = Math.max(Math.ceil(items.length / perPage), 1);
  const page = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set("per_page", String(perPage));
    query.set("page", String(n));
    return `<${request.baseUrl}/api/v4${request.path}?${query}>; rel="${rel}"`;
  };
  const links = [link(1, "first"), link(totalPages, "last")];
  if (pageNumber < totalPages) links.unshift(link(pageNumber + 1, "next"));
  if (pageNumber > 1) links.unshift(link(pageNumber - 1, "prev"));
  return {
    page,
    headers: {
      "x-page": String(pageNumber),
      "x-per-page": String(perPage),
      "x-next-page": pageNumber < totalPages ? String(pageNumber + 1) : "",
      "x-prev-page": pageNumber > 1 ? String(pageNumber - 1) : "",
      "x-total": String(items.length),
      "x-total-pages": String(totalPages),
      link: links.join(", "),
    },
  };
}

/** Keyset pagination (the repository tree): `page_token` is the last path of the previous page. */
export function paginateKeyset<T extends { path: string }>(
  items: T[],
  request: FakeRequest,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(request.query.get("per_page") ?? 20) || 20, 100);
  const after = request.query.get("page_token");
  const start = after === null ? 0 : items.findIndex((item) => item.path > after);
  const page = start === -1 ? [] : items.slice(start, start + perPage);
  const headers: Record<string, string> = {};
  const last = page.at(-1);
  if (last && start + perPage < items.length) {
    const query = new URLSearchParams(request.query);
    query.set("page_token", last.path);
    headers["link"] = `<${request.baseUrl}/api/v4${request.path}?${query}>; rel="next"`;
  }
  return { page, headers };
}

const visibilityLevel = { private: 0, internal: 10, public: 20 } as const;

export function projectJson(project: FakeProject, baseUrl: string) {
  return {
    id: project.id,
    path_with_namespace: project.path,
    name: project.path.split("/").at(-1),
    path: project.path.split("/").at(-1),
    // As GitLab answers: the namespace the project is in (a group or subgroup), by its full path.
    namespace: {
      full_path: project.path.split("/").slice(0, -1).join("/"),
      path: project.path.split("/").at(-2),
      kind: "group",
    },
    archived: false,
    default_branch: project.defaultBranch,
    visibility: project.visibility,
    visibility_level: visibilityLevel[project.visibility],
    web_url: `${baseUrl}/${project.path}`,
  };
}

export function mergeRequestJson(
  state: FakeGitlabState,
  project: FakeProject,
  mergeRequest: FakeMergeRequest,
  baseUrl: string,
) {
  const author = state.userById(mergeRequest.authorId);
  const changes = state.changedPaths(mergeRequest).length;
  const body: Pick<
    MergeRequestSchema,
    | "iid"
    | "state"
    | "draft"
    | "title"
    | "target_branch"
    | "source_branch"
    | "sha"
    | "web_url"
    | "detailed_merge_status"
  > &
    Record<string, unknown> = {
    iid: mergeRequest.iid,
    project_id: project.id,
    state: mergeRequest.state,
    draft: mergeRequest.draft,
    work_in_progress: mergeRequest.draft,
    title: mergeRequest.title,
    author: { id: author?.id ?? 0, username: author?.username ?? "ghost" },
    target_branch: mergeRequest.targetBranch,
    source_branch: mergeRequest.sourceBranch,
    source_project_id: mergeRequest.sourceProjectId,
    target_project_id: project.id,
    sha: mergeRequest.headSha,
    has_conflicts: mergeRequest.hasConflicts,
    detailed_merge_status: mergeRequest.detailedMergeStatus as MergeRequestSchema["detailed_merge_status"],
    changes_count: changes > mergeRequest.diffLimit ? `${mergeRequest.diffLimit}+` : String(changes),
    diff_refs: {
      base_sha: mergeRequest.baseSha,
      head_sha: mergeRequest.headSha,
      start_sha: mergeRequest.baseSha,
    },
    web_url: `${baseUrl}/${project.path}/-/merge_requests/${mergeRequest.iid}`,
  };
  return body;
}

export function noteJson(state: FakeGitlabState, note: FakeNote) {
  const author = state.userById(note.authorId);
  const body: Pick<MergeRequestNoteSchema, "id" | "body" | "system" | "created_at"> &
    Record<string, unknown> = {
    id: note.id,
    body: note.body,
    system: note.system,
    created_at: note.createdAt,
    author: { id: author?.id ?? 0, username: author?.username ?? "ghost", bot: author?.bot ?? false },
    noteable_type: "MergeRequest",
  };
  return body;
}

export function statusJson(status: FakeStatus, author?: { id: number; username: string }) {
  const body: Pick<
    CommitStatusSchema,
    | "id"
    | "sha"
    | "name"
    | "status"
    | "target_url"
    | "description"
    | "allow_failure"
    | "created_at"
    | "author"
  > = {
    id: status.id,
    sha: status.sha,
    name: status.name,
    status: status.status as CommitStatusSchema["status"],
    target_url: status.targetUrl ?? "",
    description: status.description ?? "",
    allow_failure: status.allowFailure,
    created_at: status.createdAt,
    author: {
      id: author?.id ?? status.authorId,
      username: author?.username ?? "ghost",
    } as CommitStatusSchema["author"],
  };
  return body;
}

export function pipelineJson(project: FakeProject, pipeline: FakePipeline, baseUrl: string) {
  const body: Pick<PipelineSchema, "id" | "sha" | "ref" | "status" | "source" | "web_url"> &
    Record<string, unknown> = {
    id: pipeline.id,
    project_id: project.id,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: pipeline.status,
    source: pipeline.source,
    web_url: `${baseUrl}/${project.path}/-/pipelines/${pipeline.id}`,
    yaml_errors: pipeline.yamlErrors,
    name: pipeline.name ?? null,
    created_at: pipeline.createdAt ?? new Date().toISOString(),
  };
  return body;
}

export function hookJson(hook: FakeHook) {
  const body: Pick<
    ExpandedHookSchema,
    "id" | "url" | "push_events" | "merge_requests_events" | "note_events"
  > &
    Record<string, unknown> = {
    id: hook.id,
    url: hook.url,
    push_events: hook.events["push_events"] ?? false,
    merge_requests_events: hook.events["merge_requests_events"] ?? false,
    note_events: hook.events["note_events"] ?? false,
    pipeline_events: hook.events["pipeline_events"] ?? false,
    job_events: hook.events["job_events"] ?? false,
    push_events_branch_filter: hook.pushEventsBranchFilter ?? "",
    enable_ssl_verification: hook.enableSslVerification,
  };
  return body;
}
