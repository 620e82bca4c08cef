// The fake GitLab's project issue routes (create, edit, show, list): what the drift issue uses.
import { badRequest, notFound, P, paginate, type Route, withProject } from "./route-helpers.ts";
import type { FakeGitlabState, FakeProject } from "./state.ts";

export interface FakeGitlabIssue {
  iid: number;
  title: string;
  description: string;
  state: "opened" | "closed";
  authorId: number;
  createdAt: string;
}

/** Issues per project, kept beside the project so the shared state needs no field for them. */
const issuesOf = new WeakMap<FakeProject, Map<number, FakeGitlabIssue>>();

export function projectIssues(project: FakeProject): Map<number, FakeGitlabIssue> {
  let issues = issuesOf.get(project);
  if (!issues) {
    issues = new Map();
    issuesOf.set(project, issues);
  }
  return issues;
}

function issueJson(state: FakeGitlabState, project: FakeProject, issue: FakeGitlabIssue, baseUrl: string) {
  const author = state.userById(issue.authorId);
  return {
    id: project.id * 100_000 + issue.iid,
    iid: issue.iid,
    project_id: project.id,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    created_at: issue.createdAt,
    web_url: `${baseUrl.replace(/\/api\/v4$/, "")}/${project.path}/-/issues/${issue.iid}`,
    author: { id: author?.id ?? 0, username: author?.username ?? "ghost" },
  };
}

export const issueRoutes: Route[] = [
  {
    method: "POST",
    pattern: new RegExp(`^${P}/issues$`),
    handle: withProject((project, state, request) => {
      const title = request.body["title"];
      if (typeof title !== "string" || title === "") return badRequest("title is missing");
      const issues = projectIssues(project);
      const issue: FakeGitlabIssue = {
        iid: issues.size + 1,
        title,
        description: String(request.body["description"] ?? ""),
        state: "opened",
        authorId: request.user.id,
        createdAt: new Date().toISOString(),
      };
      issues.set(issue.iid, issue);
      return { status: 201, body: issueJson(state, project, issue, request.baseUrl) };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/issues$`),
    handle: withProject((project, state, request) => {
      const wanted = request.query.get("state");
      const author = request.query.get("author_id");
      const words = (request.query.get("search") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const found = [...projectIssues(project).values()]
        .filter((issue) => !wanted || wanted === "all" || issue.state === wanted)
        .filter((issue) => !author || String(issue.authorId) === author)
        .filter((issue) => words.every((word) => issue.title.toLowerCase().includes(word)))
        .sort((a, b) => b.iid - a.iid)
        .map((issue) => issueJson(state, project, issue, request.baseUrl));
      const listing = paginate(found, request);
      return { status: 200, body: listing.page, headers: listing.headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/issues/(\\d+)$`),
    handle: withProject((project, state, request) => {
      const issue = projectIssues(project).get(Number(request.params[1]));
      return issue ? { status: 200, body: issueJson(state, project, issue, request.baseUrl) } : notFound();
    }),
  },
  {
    method: "PUT",
    pattern: new RegExp(`^${P}/issues/(\\d+)$`),
    handle: withProject((project, state, request) => {
      const issue = projectIssues(project).get(Number(request.params[1]));
      if (!issue) return notFound();
      if (typeof request.body["description"] === "string") issue.description = request.body["description"];
      const event = request.body["state_event"];
      if (event === "close") issue.state = "closed";
      else if (event === "reopen") issue.state = "opened";
      else if (event !== undefined) return badRequest("state_event does not have a valid value");
      return { status: 200, body: issueJson(state, project, issue, request.baseUrl) };
    }),
  },
];
