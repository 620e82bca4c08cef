// Shared pieces of the fake GitHub routes: error answers, Link pagination, repo lookup, JSON shapes.
import type { components } from "@octokit/openapi-types";
import type { FakeRequest, FakeResponse } from "./server.ts";
import type { FakeCheckRun, FakeComment, FakeGithubState, FakeRepo } from "./state.ts";

export type Schemas = components["schemas"];

export interface Route {
  method: string;
  pattern: RegExp;
  handle(state: FakeGithubState, request: FakeRequest): FakeResponse;
}

export const R = "/repos/([^/]+)/([^/]+)";

export function notFound(): FakeResponse {
  return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
}

export function invalid(message: string): FakeResponse {
  return { status: 422, body: { message, documentation_url: "https://docs.github.com/rest" } };
}

export function paginate<T>(
  items: T[],
  request: FakeRequest,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(request.query.get("per_page") ?? 30) || 30, 100);
  const pageNumber = Math.max(Number(request.query.get("page") ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const page = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set("per_page", String(perPage));
    query.set("page", String(n));
    return `<${request.baseUrl}${request.path}?${query}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber < last) links.push(link(pageNumber + 1, "next"), link(last, "last"));
  if (pageNumber > 1) links.push(link(1, "first"), link(pageNumber - 1, "prev"));
  return { page, headers: links.length > 0 ? { link: links.join(", ") } : {} };
}

export function findRepo(state: FakeGithubState, request: FakeRequest): FakeRepo | undefined {
  return state.repos.get(`${request.params[0]}/${request.params[1]}`.toLowerCase());
}

export function withRepo(
  handler: (repo: FakeRepo, state: FakeGithubState, request: FakeRequest) => FakeResponse,
) {
  return (state: FakeGithubState, request: FakeRequest): FakeResponse => {
    const repo = findRepo(state, request);
    return repo ? handler(repo, state, request) : notFound();
  };
}

/** The GitHub App an installation token belongs to (null for anything else, e.g. a JWT). */
export function appOf(request: FakeRequest): number | null {
  const match = /^(?:token|bearer)\s+ghs_fake_\d+_app(\d+)_/i.exec(request.authorization ?? "");
  return match ? Number(match[1]) : null;
}

/** A GitHub App as `performed_via_github_app` and a check run's `app` show it (the fields we read). */
function appJson(id: number): Pick<NonNullable<Schemas["integration"]>, "id" | "slug" | "name"> {
  return { id, slug: `app-${id}`, name: `app-${id}` };
}

export function commentJson(repo: FakeRepo, comment: FakeComment, number: number) {
  const body: Pick<Schemas["issue-comment"], "id" | "body" | "created_at" | "updated_at" | "html_url"> & {
    user: Pick<Schemas["simple-user"], "login" | "type">;
    performed_via_github_app: ReturnType<typeof appJson> | null;
  } = {
    id: comment.id,
    body: comment.body,
    user: comment.user,
    performed_via_github_app: comment.appId === null ? null : appJson(comment.appId),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${number}#issuecomment-${comment.id}`,
  };
  return body;
}

export function checkRunJson(repo: FakeRepo, run: FakeCheckRun) {
  const body: Pick<
    Schemas["check-run"],
    "id" | "name" | "head_sha" | "status" | "conclusion" | "details_url" | "external_id" | "html_url"
  > & {
    output: Pick<Schemas["check-run"]["output"], "title" | "summary" | "text">;
    app: ReturnType<typeof appJson> | null;
  } = {
    app: run.appId === null ? null : appJson(run.appId),
    id: run.id,
    name: run.name,
    head_sha: run.headSha,
    status: run.status as Schemas["check-run"]["status"],
    conclusion: run.conclusion as Schemas["check-run"]["conclusion"],
    details_url: run.detailsUrl,
    external_id: run.externalId,
    html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${run.id}`,
    output: { title: run.title, summary: run.summary, text: run.text },
  };
  return body;
}

export function findComment(
  repo: FakeRepo,
  id: number,
): { comment: FakeComment; number: number } | undefined {
  for (const pull of repo.pulls.values()) {
    const comment = pull.comments.find((candidate) => candidate.id === id);
    if (comment) return { comment, number: pull.number };
  }
  return undefined;
}

export type Body = Record<string, unknown>;
export const bodyOf = (request: FakeRequest): Body => (request.body ?? {}) as Body;
