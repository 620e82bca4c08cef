// Fake GitHub issue routes (create, read, edit, list) and branch refs, as the REST API answers them.
import {
  appOf,
  bodyOf,
  invalid,
  notFound,
  paginate,
  R,
  type Route,
  type Schemas,
  withRepo,
} from "./route-helpers.ts";
import type { FakeIssue, FakeRepo } from "./state.ts";

type IssueJson = Pick<
  Schemas["issue"],
  "number" | "title" | "body" | "state" | "html_url" | "created_at" | "updated_at"
> & { user: { login: string; type: string }; performed_via_github_app: { id: number } | null };

function issueJson(repo: FakeRepo, issue: FakeIssue): IssueJson {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${issue.number}`,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    user: { login: issue.user, type: issue.appId === null ? "User" : "Bot" },
    performed_via_github_app: issue.appId === null ? null : { id: issue.appId },
  };
}

/** The next number in the repository's shared PR and issue sequence. */
function nextNumber(repo: FakeRepo): number {
  return Math.max(0, ...repo.pulls.keys(), ...repo.issues.keys()) + 1;
}

export const issueRoutes: Route[] = [
  {
    method: "POST",
    pattern: new RegExp(`^${R}/issues$`),
    handle: withRepo((repo, state, request) => {
      if (repo.archived)
        return { status: 410, body: { message: "Repository was archived so is read-only." } };
      const { title, body } = bodyOf(request);
      if (typeof title !== "string" || title.trim() === "") return invalid("title is missing");
      if (typeof body === "string" && body.length > 65536) {
        return invalid("Body is too long (maximum is 65536 characters)");
      }
      const now = new Date().toISOString();
      const issue: FakeIssue = {
        number: nextNumber(repo),
        title,
        body: typeof body === "string" ? body : "",
        state: "open",
        user: appOf(request) === null ? "someone" : state.botLogin,
        appId: appOf(request),
        createdAt: now,
        updatedAt: now,
      };
      repo.issues.set(issue.number, issue);
      return { status: 201, body: issueJson(repo, issue) };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/issues$`),
    handle: withRepo((repo, state, request) => {
      const wanted = request.query.get("state") ?? "open";
      const newestFirst = (request.query.get("direction") ?? "desc") === "desc";
      const issues = [...repo.issues.values()]
        .filter((issue) => wanted === "all" || issue.state === wanted)
        .sort((a, b) => (newestFirst ? b.number - a.number : a.number - b.number));
      const { page, headers } = paginate(
        issues.map((issue) => issueJson(repo, issue)),
        request,
      );
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/issues/(\\d+)$`),
    handle: withRepo((repo, state, request) => {
      const issue = repo.issues.get(Number(request.params[2]));
      return issue ? { status: 200, body: issueJson(repo, issue) } : notFound();
    }),
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^${R}/issues/(\\d+)$`),
    handle: withRepo((repo, state, request) => {
      const issue = repo.issues.get(Number(request.params[2]));
      if (!issue) return notFound();
      if (repo.archived)
        return { status: 410, body: { message: "Repository was archived so is read-only." } };
      const { body, state: wanted, title } = bodyOf(request);
      if (wanted !== undefined && wanted !== "open" && wanted !== "closed")
        return invalid("state is not valid");
      if (typeof body === "string" && body.length > 65536) {
        return invalid("Body is too long (maximum is 65536 characters)");
      }
      if (typeof body === "string") issue.body = body;
      if (typeof title === "string") issue.title = title;
      if (wanted === "open" || wanted === "closed") issue.state = wanted;
      issue.updatedAt = new Date().toISOString();
      return { status: 200, body: issueJson(repo, issue) };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/git/ref/heads/(.+)$`),
    handle: withRepo((repo, _state, request) => {
      const branch = request.params[2] ?? "";
      const sha = repo.branches.get(branch);
      if (sha === undefined) return notFound();
      const body: Pick<Schemas["git-ref"], "ref" | "object"> = {
        ref: `refs/heads/${branch}`,
        object: { sha, type: "commit", url: "" },
      };
      return { status: 200, body };
    }),
  },
];
