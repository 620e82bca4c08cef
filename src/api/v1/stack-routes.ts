// The Stack API: a repository's stacks and graph at the default branch, and a pull request's layers with their states.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { pullRequestLayers } from "../../db/queries/pull-request-layers.ts";
import { findRepository, pullRequestsNumbered, stackSnapshot } from "../../db/queries/stack-queries.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { dirspaceStates } from "../../db/schema/index.ts";
import { formatDirspace } from "../../domain/dirspace.ts";
import { type ApiEnv, authorize, tenantInstallation } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import { bearerSecurity, createRouter, InstallationParams, iso, Timestamp } from "./schemas.ts";

const RepoParams = InstallationParams.extend({
  repo: z
    .string()
    .min(1)
    .max(300)
    .openapi({
      param: { name: "repo", in: "path" },
      description:
        "the repository's full name with its slash encoded (`acme%2Finfra`), or its id (as `…/repos` lists it)",
      example: "acme%2Finfra",
    }),
});

const PullRequestParams = InstallationParams.extend({
  number: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "number", in: "path" }, description: "the pull request's number" }),
});

const Stack = z
  .object({
    name: z.string(),
    tag_query: z.string(),
    depends_on: z.array(z.string()),
    dirspaces: z.array(z.string()).openapi({ description: "member dirspaces, `DIR (WORKSPACE)`" }),
  })
  .openapi("Stack");

const StackConfigResponse = z
  .object({
    repo: z.string(),
    default_branch: z.string(),
    sha: z.string().openapi({ description: "the default branch commit the config was read at" }),
    refreshed_at: Timestamp,
    stacks: z.array(Stack),
    problems: z.array(z.string()).openapi({ description: "config errors and cycles; empty when valid" }),
  })
  .openapi("StackConfig");

const GraphNode = z
  .object({ id: z.string(), dir: z.string(), workspace: z.string(), stack: z.string().nullable() })
  .openapi("StackGraphNode");
const GraphEdge = z
  .object({
    from: z.string().openapi({ description: "applied first" }),
    to: z.string().openapi({ description: "depends on `from`" }),
    reasons: z.array(z.string()),
  })
  .openapi("StackGraphEdge");
const StackGraphResponse = z
  .object({ nodes: z.array(GraphNode), edges: z.array(GraphEdge) })
  .openapi("StackGraph");

const runState = z.enum(dirspaceStates).nullable();
const LayerDirspace = z
  .object({
    id: z.string(),
    dir: z.string(),
    workspace: z.string(),
    state: z.enum(["unplanned", "planned", "applied"]),
    plan: runState.openapi({ description: "its latest plan's state at the head, or null" }),
    apply: runState.openapi({ description: "its latest apply's state at the head, or null" }),
    has_changes: z.boolean().nullable(),
  })
  .openapi("StackLayerDirspace");
const PullRequestStacksResponse = z
  .object({
    repo: z.string(),
    number: z.number().int(),
    head_sha: z.string(),
    recorded_at: Timestamp.nullable().openapi({
      description: "when the layers were computed (the PR's latest run)",
    }),
    current_layer: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "index of the first layer not applied" }),
    layers: z.array(
      z.object({
        index: z.number().int(),
        state: z.enum(["applied", "current", "waiting"]),
        dirspaces: z.array(LayerDirspace),
      }),
    ),
  })
  .openapi("PullRequestStacks");

const stacksRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/repos/{repo}/stacks",
  summary: "The repository's stacks at the default branch: each with its tag query, dependencies and members",
  description:
    "Read from the default branch's `.terragate/config.yml` and tree at its last refresh (a push to the default branch, the daily refresh, or `POST …/repos/refresh`).",
  tags: ["stacks"],
  security: bearerSecurity,
  request: { params: RepoParams },
  responses: {
    200: {
      description: "the stack configuration",
      content: { "application/json": { schema: StackConfigResponse } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const graphRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/repos/{repo}/stacks/graph",
  summary: "The default branch's dependency graph of dirspaces (JSON, or Graphviz with ?format=dot)",
  description:
    "The same graph `terragate config graph` prints for a checkout of the default branch: an edge goes from the dirspace applied first to the one depending on it, with the rules that order them.",
  tags: ["stacks"],
  security: bearerSecurity,
  request: {
    params: RepoParams,
    query: z.object({ format: z.enum(["json", "dot"]).default("json") }),
  },
  responses: {
    200: {
      description: "the graph",
      content: {
        "application/json": { schema: StackGraphResponse },
        "text/vnd.graphviz": { schema: z.string() },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

const pullRequestStacksRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/pull-requests/{number}/stacks",
  summary: "A pull request's changed dirspaces in stack layers, with each one's plan and apply state",
  tags: ["stacks"],
  security: bearerSecurity,
  request: {
    params: PullRequestParams,
    query: z.object({
      repo: z.string().max(300).optional().openapi({
        description:
          "the repository's full name; needed when several repositories have a PR with this number",
      }),
    }),
  },
  responses: {
    200: {
      description: "the layers",
      content: { "application/json": { schema: PullRequestStacksResponse } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

type ReadRepo = { vcs: "github" | "gitlab"; installation: string; repo: string };

async function readSnapshot(deps: ApiDeps, c: Context<ApiEnv>, params: ReadRepo) {
  const principal = authorize(c, "installation_read");
  const installationId = tenantInstallation(principal, params.vcs, params.installation);
  const found = await withTenant(deps.database, installationId, async (tx) => {
    const repository = await findRepository(tx, installationId, params.repo);
    return repository ? { repository, snapshot: await stackSnapshot(tx, repository.id) } : undefined;
  });
  if (!found)
    throw new ApiError(404, "not_found", `repository ${params.repo} not found in this installation`);
  const { repository, snapshot } = found;
  if (!snapshot || (snapshot.stacks === null && snapshot.configProblems.length === 0)) {
    throw new ApiError(
      404,
      "not_found",
      `the default branch of ${repository.fullName} has not been read yet — POST /api/v1/${params.vcs}/installations/${params.installation}/repos/refresh`,
    );
  }
  return { repository, snapshot };
}

async function stacksAnswer(deps: ApiDeps, c: Context<ApiEnv>, params: ReadRepo) {
  const { repository, snapshot } = await readSnapshot(deps, c, params);
  const stacks = snapshot.stacks;
  const members = new Map<string, string[]>();
  for (const node of stacks?.graph.nodes ?? []) {
    if (node.stack !== null) members.set(node.stack, [...(members.get(node.stack) ?? []), node.id]);
  }
  return {
    repo: repository.fullName,
    default_branch: snapshot.branch,
    sha: snapshot.sha,
    refreshed_at: iso(snapshot.refreshedAt),
    stacks: (stacks?.config ?? []).map((stack) => ({
      name: stack.name,
      tag_query: stack.tag_query,
      depends_on: stack.depends_on,
      dirspaces: members.get(stack.name) ?? [],
    })),
    problems: [...snapshot.configProblems, ...(stacks?.problems ?? [])],
  };
}

async function graphAnswer(deps: ApiDeps, c: Context<ApiEnv>, params: ReadRepo) {
  const { repository, snapshot } = await readSnapshot(deps, c, params);
  const problems = [...snapshot.configProblems, ...(snapshot.stacks?.problems ?? [])];
  if (problems.length > 0 || !snapshot.stacks) {
    throw new ApiError(
      409,
      "conflict",
      `the default branch of ${repository.fullName} has no graph: ${problems.join("; ")}`,
    );
  }
  // Keys in the CLI's order (jsonb keeps its own).
  const { nodes, edges } = snapshot.stacks.graph;
  return {
    nodes: nodes.map((node) => ({
      id: node.id,
      dir: node.dir,
      workspace: node.workspace,
      stack: node.stack,
    })),
    edges: edges.map((edge) => ({ from: edge.from, to: edge.to, reasons: edge.reasons })),
  };
}

async function pullRequestStacks(
  deps: ApiDeps,
  c: Context<ApiEnv>,
  params: { vcs: "github" | "gitlab"; installation: string; number: number },
  repo: string | undefined,
) {
  const principal = authorize(c, "installation_read");
  const installationId = tenantInstallation(principal, params.vcs, params.installation);
  return withTenant(deps.database, installationId, async (tx) => {
    const candidates = (await pullRequestsNumbered(tx, installationId, params.number)).filter(
      (row) => repo === undefined || row.repository.fullName.toLowerCase() === repo.toLowerCase(),
    );
    if (candidates.length === 0) {
      throw new ApiError(404, "not_found", `pull request ${params.number} not found in this installation`);
    }
    if (candidates.length > 1) {
      const names = candidates.map((row) => row.repository.fullName).join(", ");
      throw new ApiError(
        400,
        "bad_request",
        `pull request ${params.number} exists in ${names}; pass ?repo=OWNER/NAME`,
      );
    }
    const { pullRequest, repository } = candidates[0]!;
    const recorded = await pullRequestLayers(tx, pullRequest);
    const layers = (recorded?.layers ?? []).map((layer) => ({
      index: layer.index,
      state: layer.state,
      dirspaces: layer.dirspaces.map((dirspace) => ({
        id: formatDirspace(dirspace),
        dir: dirspace.dir,
        workspace: dirspace.workspace,
        state: dirspace.state,
        plan: dirspace.plan,
        apply: dirspace.apply,
        has_changes: dirspace.hasChanges,
      })),
    }));
    return {
      repo: repository.fullName,
      number: pullRequest.number,
      head_sha: pullRequest.headSha,
      recorded_at: recorded ? iso(recorded.recordedAt) : null,
      current_layer: recorded?.current ?? null,
      layers,
    };
  });
}

export function stackRoutes(deps: ApiDeps) {
  const router = createRouter()
    .openapi(stacksRoute, async (c) => c.json(await stacksAnswer(deps, c, c.req.valid("param")), 200))
    .openapi(graphRoute, async (c) => {
      const graph = await graphAnswer(deps, c, c.req.valid("param"));
      if (c.req.valid("query").format === "dot") {
        // Loaded on use: it reaches the config parser (and yaml), which a serving process loads only when needed.
        const { stackGraphDot } = await import("../../domain/stack-graph-format.ts");
        return c.body(`${stackGraphDot(graph)}\n`, 200, {
          "content-type": "text/vnd.graphviz; charset=utf-8",
        });
      }
      return c.json(graph, 200);
    })
    .openapi(pullRequestStacksRoute, async (c) =>
      c.json(await pullRequestStacks(deps, c, c.req.valid("param"), c.req.valid("query").repo), 200),
    );
  return router;
}
