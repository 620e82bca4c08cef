// Fake GitHub routes for comments, reactions, check runs, statuses, permissions and teams.
import {
  appOf,
  bodyOf,
  checkRunJson,
  commentJson,
  findComment,
  invalid,
  notFound,
  paginate,
  R,
  type Route,
  type Schemas,
  withRepo,
} from "./route-helpers.ts";
import type { FakeResponse } from "./server.ts";
import type { FakeCheckRun, FakeComment } from "./state.ts";

/** GitHub refuses a check run whose output.summary or output.text exceeds 65535 characters. */
function outputTooLong(output: Record<string, string | undefined>): FakeResponse | undefined {
  for (const field of ["summary", "text"]) {
    const length = output[field]?.length ?? 0;
    if (length > 65_535) {
      return invalid(`Invalid request.\n\nOnly 65535 characters are allowed; ${length} were supplied.`);
    }
  }
  return undefined;
}

/** Comments, reactions, check runs, statuses, permissions and teams. */
export const issueAndCheckRoutes: Route[] = [
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
        appId: appOf(request),
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
      const tooLong = outputTooLong(output);
      if (tooLong) return tooLong;
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
        appId: appOf(request),
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
      const tooLong = output && outputTooLong(output);
      if (tooLong) return tooLong;
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
];
