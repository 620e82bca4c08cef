// Route table of the fake GitHub: each handler reads/writes FakeGithubState and answers like the REST API.
import type { components } from "@octokit/openapi-types";
import type { FakeRequest, FakeResponse } from "./server.ts";
import {
  type FakeCheckRun,
  type FakeComment,
  type FakeGithubState,
  type FakeRepo,
  fakeSha,
} from "./state.ts";

type Schemas = components["schemas"];

interface Route {
  method: string;
  pattern: RegExp;
  handle(state: FakeGithubState, request: FakeRequest): FakeResponse;
}

const R = "/repos/([^/]+)/([^/]+)";

function notFound(): FakeResponse {
  return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
}

function invalid(message: string): FakeResponse {
  return { status: 422, body: { message, documentation_url: "https://docs.github.com/rest" } };
}

function paginate<T>(items: T[], request: FakeRequest): { page: T[]; headers: Record<string, string> } {
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

function findRepo(state: FakeGithubState, request: FakeRequest): FakeRepo | undefined {
  return state.repos.get(`${request.params[0]}/${request.params[1]}`.toLowerCase());
}

function withRepo(handler: (repo: FakeRepo, state: FakeGithubState, request: FakeRequest) => FakeResponse) {
  return (state: FakeGithubState, request: FakeRequest): FakeResponse => {
    const repo = findRepo(state, request);
    return repo ? handler(repo, state, request) : notFound();
  };
}

function commentJson(repo: FakeRepo, comment: FakeComment, number: number) {
  const body: Pick<Schemas["issue-comment"], "id" | "body" | "created_at" | "updated_at" | "html_url"> & {
    user: Pick<Schemas["simple-user"], "login" | "type">;
  } = {
    id: comment.id,
    body: comment.body,
    user: comment.user,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${number}#issuecomment-${comment.id}`,
  };
  return body;
}

function checkRunJson(repo: FakeRepo, run: FakeCheckRun) {
  const body: Pick<
    Schemas["check-run"],
    "id" | "name" | "head_sha" | "status" | "conclusion" | "details_url" | "external_id" | "html_url"
  > & { output: Pick<Schemas["check-run"]["output"], "title" | "summary" | "text"> } = {
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

function findComment(repo: FakeRepo, id: number): { comment: FakeComment; number: number } | undefined {
  for (const pull of repo.pulls.values()) {
    const comment = pull.comments.find((candidate) => candidate.id === id);
    if (comment) return { comment, number: pull.number };
  }
  return undefined;
}

type Body = Record<string, unknown>;
const bodyOf = (request: FakeRequest): Body => (request.body ?? {}) as Body;

export const routes: Route[] = [
  {
    method: "POST",
    pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
    handle: (state, request) => {
      const id = Number(request.params[0]);
      const known = [...state.repos.values()].some((repo) => repo.installationId === id);
      if (!known) return notFound();
      const body: Pick<Schemas["installation-token"], "token" | "expires_at"> = {
        token: `ghs_fake_${id}_${fakeSha(String(Date.now())).slice(0, 12)}`,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      };
      return { status: 201, body };
    },
  },
  {
    method: "POST",
    pattern: /^\/app-manifests\/([^/]+)\/conversions$/,
    handle: (state, request) => {
      const app = state.manifestCodes.get(request.params[0] ?? "");
      if (!app) return notFound();
      state.manifestCodes.delete(request.params[0] ?? "");
      return {
        status: 201,
        body: {
          id: app.id,
          slug: app.slug,
          name: app.slug,
          html_url: `https://github.com/apps/${app.slug}`,
          client_id: `Iv1.${app.slug}`,
          client_secret: "fake-client-secret",
          webhook_secret: app.webhookSecret,
          pem: app.pem,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}$`),
    handle: withRepo((repo) => ({
      status: 200,
      body: {
        id: repo.id,
        name: repo.name,
        full_name: `${repo.owner}/${repo.name}`,
        owner: { login: repo.owner },
        default_branch: repo.defaultBranch,
        private: repo.private,
      },
    })),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/contents/(.+)$`),
    handle: withRepo((repo, state, request) => {
      const files = state.filesAt(repo, request.query.get("ref") ?? repo.defaultBranch);
      const path = request.params[2] ?? "";
      const content = files?.get(path);
      if (content === undefined) return notFound();
      const body: Pick<
        Schemas["content-file"],
        "type" | "encoding" | "size" | "name" | "path" | "content" | "sha"
      > = {
        type: "file",
        encoding: "base64",
        size: Buffer.byteLength(content),
        name: path.split("/").pop() ?? path,
        path,
        content: Buffer.from(content).toString("base64"),
        sha: fakeSha(content),
      };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/git/trees/([^/]+)$`),
    handle: withRepo((repo, state, request) => {
      const files = state.filesAt(repo, request.params[2] ?? "");
      if (!files) return notFound();
      const body: Schemas["git-tree"] = {
        sha: request.params[2] ?? "",
        truncated: false,
        tree: [...files.keys()].map((path) => ({ path, mode: "100644", type: "blob", sha: fakeSha(path) })),
      };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      return {
        status: 200,
        body: {
          number: pull.number,
          state: pull.state,
          merged: pull.merged,
          draft: pull.draft,
          title: pull.title,
          user: { login: pull.user, type: "User" },
          base: { ref: pull.base.ref, sha: pull.base.sha },
          head: { ref: pull.head.ref, sha: pull.head.sha, repo: { full_name: `${repo.owner}/${repo.name}` } },
          mergeable: pull.mergeable,
          mergeable_state: pull.mergeable === false ? "dirty" : "clean",
        } satisfies Partial<Record<keyof Schemas["pull-request"], unknown>>,
      };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/files$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      const entries: Array<
        Pick<Schemas["diff-entry"], "filename" | "status" | "sha" | "additions" | "deletions" | "changes">
      > = pull.files.map((filename) => ({
        filename,
        status: "modified",
        sha: fakeSha(filename),
        additions: 1,
        deletions: 0,
        changes: 1,
      }));
      const { page, headers } = paginate(entries, request);
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/reviews$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      const reviews: Array<
        Pick<Schemas["pull-request-review"], "id" | "state" | "commit_id" | "submitted_at"> & {
          user: { login: string };
        }
      > = pull.reviews.map((review) => ({
        id: review.id,
        user: { login: review.user },
        state: review.state,
        commit_id: review.commitId,
        submitted_at: review.submittedAt,
      }));
      const { page, headers } = paginate(reviews, request);
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "PUT",
    pattern: new RegExp(`^${R}/pulls/(\\d+)/merge$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      if (pull.state !== "open" || pull.mergeable === false) {
        return { status: 405, body: { message: "Pull Request is not mergeable" } };
      }
      pull.state = "closed";
      pull.merged = true;
      pull.mergedWith = { strategy: String(bodyOf(request)["merge_method"] ?? "merge") };
      const body: Schemas["pull-request-merge-result"] = {
        sha: fakeSha(`merge:${pull.number}`),
        merged: true,
        message: "Pull Request successfully merged",
      };
      return { status: 200, body };
    }),
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^${R}/git/refs/heads/(.+)$`),
    handle: withRepo((repo, _state, request) => {
      const branch = request.params[2] ?? "";
      if (!repo.branches.delete(branch)) return invalid("Reference does not exist");
      repo.deletedBranches.push(branch);
      return { status: 204 };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/issues/(\\d+)/comments$`),
    handle: withRepo((repo, _state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      const { page, headers } = paginate(
        pull.comments.map((comment) => commentJson(repo, comment, pull.number)),
        request,
      );
      return { status: 200, body: page, headers };
    }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${R}/issues/(\\d+)/comments$`),
    handle: withRepo((repo, state, request) => {
      const pull = repo.pulls.get(Number(request.params[2]));
      if (!pull) return notFound();
      const text = bodyOf(request)["body"];
      if (typeof text !== "string" || text === "") return invalid("body is missing");
      if (text.length > 65536) return invalid("Body is too long (maximum is 65536 characters)");
      const now = new Date().toISOString();
      const comment: FakeComment = {
        id: state.id(),
        body: text,
        user: { login: state.botLogin, type: "Bot" },
        reactions: [],
        createdAt: now,
        updatedAt: now,
      };
      pull.comments.push(comment);
      return { status: 201, body: commentJson(repo, comment, pull.number) };
    }),
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^${R}/issues/comments/(\\d+)$`),
    handle: withRepo((repo, _state, request) => {
      const found = findComment(repo, Number(request.params[2]));
      if (!found) return notFound();
      const text = bodyOf(request)["body"];
      if (typeof text !== "string" || text === "") return invalid("body is missing");
      if (text.length > 65536) return invalid("Body is too long (maximum is 65536 characters)");
      found.comment.body = text;
      found.comment.updatedAt = new Date().toISOString();
      return { status: 200, body: commentJson(repo, found.comment, found.number) };
    }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`),
    handle: withRepo((repo, state, request) => {
      const found = findComment(repo, Number(request.params[2]));
      if (!found) return notFound();
      const content = String(bodyOf(request)["content"]);
      const existed = found.comment.reactions.includes(content);
      if (!existed) found.comment.reactions.push(content);
      const body: Pick<Schemas["reaction"], "id" | "content"> = {
        id: state.id(),
        content: content as Schemas["reaction"]["content"],
      };
      return { status: existed ? 200 : 201, body };
    }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^${R}/check-runs$`),
    handle: withRepo((repo, state, request) => {
      const body = bodyOf(request);
      if (typeof body["name"] !== "string" || typeof body["head_sha"] !== "string") {
        return invalid("name and head_sha are required");
      }
      const output = (body["output"] ?? {}) as Record<string, string | undefined>;
      const run: FakeCheckRun = {
        id: state.id(),
        name: body["name"],
        headSha: body["head_sha"],
        status: String(body["status"] ?? "queued"),
        conclusion: (body["conclusion"] as string | undefined) ?? null,
        title: output["title"] ?? null,
        summary: output["summary"] ?? null,
        text: output["text"] ?? null,
        detailsUrl: (body["details_url"] as string | undefined) ?? null,
        externalId: (body["external_id"] as string | undefined) ?? null,
      };
      if (run.status === "completed" && !run.conclusion)
        return invalid("conclusion is required when completed");
      repo.checkRuns.push(run);
      return { status: 201, body: checkRunJson(repo, run) };
    }),
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^${R}/check-runs/(\\d+)$`),
    handle: withRepo((repo, _state, request) => {
      const run = repo.checkRuns.find((candidate) => candidate.id === Number(request.params[2]));
      if (!run) return notFound();
      const body = bodyOf(request);
      const output = body["output"] as Record<string, string | undefined> | undefined;
      if (typeof body["name"] === "string") run.name = body["name"];
      if (typeof body["status"] === "string") run.status = body["status"];
      if (typeof body["conclusion"] === "string") {
        run.conclusion = body["conclusion"];
        run.status = "completed";
      }
      if (typeof body["details_url"] === "string") run.detailsUrl = body["details_url"];
      if (output) {
        run.title = output["title"] ?? run.title;
        run.summary = output["summary"] ?? run.summary;
        run.text = output["text"] ?? run.text;
      }
      return { status: 200, body: checkRunJson(repo, run) };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/commits/([^/]+)/check-runs$`),
    handle: withRepo((repo, _state, request) => {
      const sha = repo.branches.get(request.params[2] ?? "") ?? request.params[2];
      const runs = repo.checkRuns.filter((run) => run.headSha === sha).map((run) => checkRunJson(repo, run));
      const { page, headers } = paginate(runs, request);
      return { status: 200, body: { total_count: runs.length, check_runs: page }, headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/commits/([^/]+)/status$`),
    handle: withRepo((repo, _state, request) => {
      const sha = repo.branches.get(request.params[2] ?? "") ?? request.params[2] ?? "";
      const statuses = repo.statuses.get(sha) ?? [];
      const state = statuses.some((status) => status.state === "failure" || status.state === "error")
        ? "failure"
        : statuses.some((status) => status.state === "pending")
          ? "pending"
          : "success";
      const body: Pick<Schemas["combined-commit-status"], "state" | "sha" | "total_count"> & {
        statuses: Array<Pick<Schemas["simple-commit-status"], "context" | "state">>;
      } = { state, sha, total_count: statuses.length, statuses };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${R}/collaborators/([^/]+)/permission$`),
    handle: withRepo((repo, _state, request) => {
      const login = request.params[2] ?? "";
      const role = repo.permissions.get(login) ?? "none";
      if (role === "none") return notFound();
      const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
      const body: Pick<Schemas["repository-collaborator-permission"], "permission" | "role_name"> & {
        user: { login: string };
      } = { permission: legacy, role_name: role, user: { login } };
      return { status: 200, body };
    }),
  },
  {
    method: "GET",
    pattern: /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/,
    handle: (state, request) => {
      const members = state.teams.get(`${request.params[0]}/${request.params[1]}`.toLowerCase());
      if (!members?.has((request.params[2] ?? "").toLowerCase())) return notFound();
      const body: Pick<Schemas["team-membership"], "state" | "role" | "url"> = {
        state: "active",
        role: "member",
        url: `${request.baseUrl}${request.path}`,
      };
      return { status: 200, body };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`^${R}/actions/workflows/([^/]+)/dispatches$`),
    handle: withRepo((repo, state, request) => {
      const workflow = request.params[2] ?? "";
      const body = bodyOf(request);
      const ref = String(body["ref"] ?? "");
      const files = state.filesAt(repo, ref);
      if (!files) return invalid(`No ref found for: ${ref}`);
      if (!files.has(`.github/workflows/${workflow}`)) return notFound();
      const runId = state.id();
      const returnRunDetails = body["return_run_details"] === true;
      state.dispatches.push({
        repo: `${repo.owner}/${repo.name}`,
        workflow,
        ref,
        inputs: (body["inputs"] ?? {}) as Record<string, string>,
        returnRunDetails,
        runId,
        at: Date.now(),
      });
      if (!returnRunDetails) return { status: 204 };
      const result: Schemas["workflow-dispatch-response"] = {
        workflow_run_id: runId,
        run_url: `${request.baseUrl}/repos/${repo.owner}/${repo.name}/actions/runs/${runId}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${runId}`,
      };
      return { status: 200, body: result };
    }),
  },
];
