// The fake GitLab's CI, membership and connection routes: statuses, pipelines, members, users, tokens, groups, hooks.

import {
  badRequest,
  forbidden,
  G,
  hookJson,
  notFound,
  P,
  paginate,
  pipelineJson,
  projectJson,
  type Route,
  statusJson,
  withProject,
} from "./route-helpers.ts";
import type { FakeRequest, FakeResponse } from "./server.ts";
import type { FakeGitlabState, FakeHook, FakeStatus } from "./state.ts";

const hookEventNames = [
  "push_events",
  "merge_requests_events",
  "note_events",
  "confidential_note_events",
  "pipeline_events",
  "job_events",
  "issues_events",
  "tag_push_events",
];

/** GitLab's commit status state machine: a pending or running status is updated, a finished one replaced. */
function postStatus(state: FakeGitlabState, request: FakeRequest): FakeResponse {
  return withProject((project) => {
    const sha = request.params[1] ?? "";
    if (!state.commits.has(sha)) return notFound("Commit Not Found");
    const target = String(request.body["state"] ?? "");
    if (!["pending", "running", "success", "failed", "canceled", "skipped"].includes(target)) {
      return badRequest("state does not have a valid value");
    }
    const name = String(request.body["name"] ?? request.body["context"] ?? "default");
    let status = project.statuses.findLast(
      (candidate) =>
        candidate.sha === sha && candidate.name === name && ["pending", "running"].includes(candidate.status),
    );
    if (status) {
      const from = status.status;
      if (target === "pending") return badRequest(`Cannot transition status via :enqueue from :${from}`);
      if (target === "running" && from === "running")
        return badRequest("Cannot transition status via :run from :running");
    } else {
      status = {
        id: state.id(),
        authorId: request.user.id,
        sha,
        name,
        status: "created",
        targetUrl: null,
        description: null,
        allowFailure: false,
        createdAt: new Date().toISOString(),
      } satisfies FakeStatus;
      project.statuses.push(status);
    }
    if (typeof request.body["target_url"] === "string") status.targetUrl = request.body["target_url"];
    if (typeof request.body["description"] === "string") status.description = request.body["description"];
    status.status = target;
    return { status: 201, body: statusJson(status) };
  })(state, request);
}

function createPipeline(state: FakeGitlabState, request: FakeRequest): FakeResponse {
  return withProject((project) => {
    const ref = String(request.body["ref"] ?? "");
    const tree = state.tree(project, ref);
    if (!tree) return badRequest({ base: ["Reference not found"] });
    if (!(".gitlab-ci.yml" in tree)) return badRequest({ base: ["Missing CI config file"] });
    const inputs = request.body["inputs"] as Record<string, unknown> | undefined;
    const variables = request.body["variables"] as Array<{ key: string; value: string }> | undefined;
    if (inputs && Object.keys(inputs).length > 0 && !project.declaresInputs) {
      return badRequest({
        base: [
          `Given inputs not defined in the \`spec\` section of the included configuration file: ${Object.keys(inputs).join(", ")}`,
        ],
      });
    }
    const level = state.projectAccess(project, request.user.id) ?? 0;
    const minimum = { no_one_allowed: Number.POSITIVE_INFINITY, developer: 30, maintainer: 40, owner: 50 }[
      project.pipelineVariablesRole
    ];
    if (variables && variables.length > 0 && level < minimum) {
      return badRequest({ base: ["Insufficient permissions to set pipeline variables"] });
    }
    const pipeline = {
      id: state.id(),
      sha: project.branches.get(ref) ?? ref,
      ref,
      status: "created",
      source: "api",
      inputs,
      variables,
      yamlErrors: null,
      createdAt: new Date().toISOString(),
      ...(project.namesPipelines
        ? {
            name: `terragate ${String(inputs?.["terragate_work_manifest_id"] ?? variables?.find((variable) => variable.key === "TERRAGATE_WORK_MANIFEST_ID")?.value)}`,
          }
        : {}),
    };
    project.pipelines.push(pipeline);
    return { status: 201, body: pipelineJson(project, pipeline, request.baseUrl) };
  })(state, request);
}

function member(access: number | undefined, userId: number, state: FakeGitlabState): FakeResponse {
  if (access === undefined) return notFound("Not found");
  const user = state.userById(userId);
  return {
    status: 200,
    body: { id: userId, username: user?.username, access_level: access, state: "active" },
  };
}

function hooksOf(
  state: FakeGitlabState,
  request: FakeRequest,
  kind: "group" | "project",
): FakeHook[] | FakeResponse {
  const id = request.params[0] ?? "";
  if (kind === "group") {
    const group = state.group(id);
    if (!group) return notFound("Group Not Found");
    // Group webhooks need the Owner role.
    return (state.groupAccess(group, request.user.id) ?? 0) >= 50 ? group.hooks : forbidden();
  }
  const project = state.project(id);
  if (!project) return notFound("Project Not Found");
  return (state.projectAccess(project, request.user.id) ?? 0) >= 40 ? project.hooks : forbidden();
}

function applyHook(hook: FakeHook, body: Record<string, unknown>): void {
  if (typeof body["url"] === "string") hook.url = body["url"];
  if (typeof body["token"] === "string") hook.token = body["token"];
  if (typeof body["push_events_branch_filter"] === "string")
    hook.pushEventsBranchFilter = body["push_events_branch_filter"];
  if (typeof body["enable_ssl_verification"] === "boolean")
    hook.enableSslVerification = body["enable_ssl_verification"];
  for (const name of hookEventNames) if (typeof body[name] === "boolean") hook.events[name] = body[name];
}

function hookRoutes(kind: "group" | "project"): Route[] {
  const prefix = kind === "group" ? G : P;
  return [
    {
      method: "GET",
      pattern: new RegExp(`^${prefix}/hooks$`),
      handle: (state, request) => {
        const hooks = hooksOf(state, request, kind);
        if (!Array.isArray(hooks)) return hooks;
        const listing = paginate(hooks.map(hookJson), request);
        return { status: 200, body: listing.page, headers: listing.headers };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^${prefix}/hooks$`),
      handle: (state, request) => {
        const hooks = hooksOf(state, request, kind);
        if (!Array.isArray(hooks)) return hooks;
        if (typeof request.body["url"] !== "string")
          return badRequest({ url: ["is blocked: Only allowed schemes are http, https"] });
        const hook: FakeHook = {
          id: state.id(),
          url: "",
          token: undefined,
          events: { push_events: true },
          pushEventsBranchFilter: undefined,
          enableSslVerification: true,
        };
        applyHook(hook, request.body);
        hooks.push(hook);
        return { status: 201, body: hookJson(hook) };
      },
    },
    {
      method: "PUT",
      pattern: new RegExp(`^${prefix}/hooks/(\\d+)$`),
      handle: (state, request) => {
        const hooks = hooksOf(state, request, kind);
        if (!Array.isArray(hooks)) return hooks;
        const hook = hooks.find((candidate) => candidate.id === Number(request.params[1]));
        if (!hook) return notFound("Not found");
        applyHook(hook, request.body);
        return { status: 200, body: hookJson(hook) };
      },
    },
  ];
}

export const ciRoutes: Route[] = [
  { method: "POST", pattern: new RegExp(`^${P}/statuses/([0-9a-f]+)$`), handle: postStatus },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/repository/commits/([0-9a-f]+)/statuses$`),
    handle: withProject((project, state, request) => {
      const sha = request.params[1];
      const all = request.query.get("all") === "true";
      const latest = new Map<string, FakeStatus>();
      for (const status of project.statuses.filter((candidate) => candidate.sha === sha))
        latest.set(status.name, status);
      const statuses = all
        ? project.statuses.filter((candidate) => candidate.sha === sha)
        : [...latest.values()];
      const listing = paginate(
        [...statuses].reverse().map((status) => statusJson(status, state.userById(status.authorId))),
        request,
      );
      return { status: 200, body: listing.page, headers: listing.headers };
    }),
  },
  { method: "POST", pattern: new RegExp(`^${P}/pipeline$`), handle: createPipeline },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/pipelines$`),
    handle: withProject((project, _state, request) => {
      const sha = request.query.get("sha");
      const ref = request.query.get("ref");
      const source = request.query.get("source");
      const after = request.query.get("updated_after");
      const pipelines = project.pipelines
        .filter((pipeline) => ref === null || pipeline.ref === ref)
        .filter((pipeline) => source === null || pipeline.source === source)
        .filter(
          (pipeline) =>
            after === null || Date.parse(pipeline.createdAt ?? new Date().toISOString()) >= Date.parse(after),
        )
        .filter((pipeline) => sha === null || pipeline.sha === sha)
        .sort((a, b) => b.id - a.id);
      const listing = paginate(
        pipelines.map((pipeline) => pipelineJson(project, pipeline, request.baseUrl)),
        request,
      );
      return { status: 200, body: listing.page, headers: listing.headers };
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/pipelines/(\\d+)$`),
    handle: withProject((project, _state, request) => {
      const pipeline = project.pipelines.find((candidate) => candidate.id === Number(request.params[1]));
      return pipeline
        ? { status: 200, body: pipelineJson(project, pipeline, request.baseUrl) }
        : notFound("Not found");
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${P}/members/all/(\\d+)$`),
    handle: withProject((project, state, request) => {
      const userId = Number(request.params[1]);
      return member(state.projectAccess(project, userId), userId, state);
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${G}/members/all/(\\d+)$`),
    handle: (state, request) => {
      const group = state.group(request.params[0] ?? "");
      if (!group) return notFound("Group Not Found");
      const userId = Number(request.params[1]);
      return member(state.groupAccess(group, userId), userId, state);
    },
  },
  {
    method: "GET",
    pattern: /^\/users$/,
    handle: (state, request) => {
      const username = request.query.get("username");
      const users = [...state.users.values()].filter(
        (user) => username === null || user.username.toLowerCase() === username.toLowerCase(),
      );
      return {
        status: 200,
        body: users.map((user) => ({ id: user.id, username: user.username, state: "active", bot: user.bot })),
      };
    },
  },
  {
    method: "GET",
    pattern: /^\/user$/,
    handle: (_state, request) => ({
      status: 200,
      body: { id: request.user.id, username: request.user.username, bot: request.user.bot, state: "active" },
    }),
  },
  {
    method: "GET",
    pattern: /^\/personal_access_tokens\/self$/,
    handle: (_state, request) => ({
      status: 200,
      body: {
        id: request.token.id,
        name: request.token.name,
        scopes: request.token.scopes,
        active: request.token.active,
        revoked: request.token.revoked,
        expires_at: request.token.expiresAt,
        user_id: request.token.userId,
      },
    }),
  },
  {
    method: "GET",
    pattern: new RegExp(`^${G}$`),
    handle: (state, request) => {
      const group = state.group(request.params[0] ?? "");
      if (!group || state.groupAccess(group, request.user.id) === undefined)
        return notFound("Group Not Found");
      return {
        status: 200,
        body: {
          id: group.id,
          full_path: group.fullPath,
          path: group.fullPath.split("/").at(-1),
          web_url: `${request.baseUrl}/groups/${group.fullPath}`,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`^${P}$`),
    handle: withProject((project, _state, request) => ({
      status: 200,
      body: projectJson(project, request.baseUrl),
    })),
  },
  ...hookRoutes("group"),
  ...hookRoutes("project"),
];
