// /{vcs}/installations/{installation}/work-manifests and /dirspaces: runs, their dirspaces and full outputs.
import { createRoute, z } from "@hono/zod-openapi";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import {
  getWorkManifest,
  getWorkManifestDirspaces,
  listDirspaces,
  listWorkManifests,
} from "../../db/queries/work-manifest-resources.ts";
import { dirspaceStates, workManifestKinds, workManifestStates } from "../../db/schema/index.ts";
import { authorize } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses } from "./api-error.ts";
import {
  bearerSecurity,
  createRouter,
  cursorFrom,
  InstallationParams,
  iso,
  PageQuery,
  pageOf,
  parseQuery,
  TagQueryParam,
  Timestamp,
} from "./schemas.ts";

const Summary = z
  .object({ add: z.number(), change: z.number(), destroy: z.number(), import: z.number() })
  .nullable()
  .openapi("ChangeSummary");

const WorkManifest = z
  .object({
    id: z.string().uuid(),
    repo: z.string(),
    pull_request: z.number().int().nullable(),
    kind: z.enum(workManifestKinds),
    state: z.enum(workManifestStates),
    base_ref: z.string(),
    base_sha: z.string(),
    head_ref: z.string(),
    head_sha: z.string(),
    requested_by: z.string(),
    tag_query: z.string(),
    run_id: z.string().nullable(),
    run_url: z.string().nullable(),
    failure_reason: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .openapi("WorkManifest");

const ManifestDirspace = z
  .object({
    dir: z.string(),
    workspace: z.string(),
    tags: z.array(z.string()),
    state: z.enum(dirspaceStates),
    success: z.boolean().nullable(),
    has_changes: z.boolean().nullable(),
    summary: Summary,
    exit_code: z.number().int().nullable(),
    updated_at: Timestamp,
  })
  .openapi("WorkManifestDirspace");

const WorkManifestDetail = WorkManifest.extend({ dirspaces: z.array(ManifestDirspace) }).openapi(
  "WorkManifestDetail",
);

const Step = z.object({
  name: z.string(),
  success: z.boolean(),
  exit_code: z.number().int().nullable(),
  output: z.string().openapi({ description: "the step's full output, never truncated" }),
});

const DirspaceOutputs = z
  .object({
    dir: z.string(),
    workspace: z.string(),
    state: z.enum(dirspaceStates),
    success: z.boolean().nullable(),
    steps: z.array(Step),
    outputs: z.unknown().openapi({ description: "terraform outputs reported by the run, if any" }),
  })
  .openapi("DirspaceOutputs");

const Dirspace = z
  .object({
    work_manifest_id: z.string().uuid(),
    repo: z.string(),
    pull_request: z.number().int().nullable(),
    kind: z.enum(workManifestKinds),
    dir: z.string(),
    workspace: z.string(),
    tags: z.array(z.string()),
    state: z.enum(dirspaceStates),
    success: z.boolean().nullable(),
    has_changes: z.boolean().nullable(),
    summary: Summary,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Dirspace");

export const RepoFilter = z
  .string()
  .max(300)
  .optional()
  .openapi({ description: "repository full name, e.g. acme/infra" });

const ManifestParams = InstallationParams.extend({
  wm: z
    .string()
    .uuid()
    .openapi({ param: { name: "wm", in: "path" }, description: "work manifest id" }),
});

const listRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/work-manifests",
  summary: "Work manifests (runs), newest first",
  tags: ["work manifests"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({
      repo: RepoFilter,
      pr: z.coerce.number().int().min(1).optional().openapi({ description: "pull request number" }),
      kind: z.enum(workManifestKinds).optional(),
      state: z.enum(workManifestStates).optional(),
      q: TagQueryParam,
    }),
  },
  responses: {
    200: {
      description: "a page of work manifests",
      content: { "application/json": { schema: pageOf(WorkManifest, "WorkManifestPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/work-manifests/{wm}",
  summary: "One work manifest with its dirspaces and results",
  tags: ["work manifests"],
  security: bearerSecurity,
  request: { params: ManifestParams },
  responses: {
    200: {
      description: "the work manifest",
      content: { "application/json": { schema: WorkManifestDetail } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const outputsRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/work-manifests/{wm}/outputs",
  summary: "Full, untruncated step outputs per dirspace",
  tags: ["work manifests"],
  security: bearerSecurity,
  request: { params: ManifestParams },
  responses: {
    200: {
      description: "outputs per dirspace",
      content: { "application/json": { schema: z.object({ items: z.array(DirspaceOutputs) }) } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const dirspacesRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/dirspaces",
  summary: "Dirspace runs across work manifests, newest first",
  tags: ["work manifests"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({ repo: RepoFilter, state: z.enum(dirspaceStates).optional(), q: TagQueryParam }),
  },
  responses: {
    200: {
      description: "a page of dirspaces",
      content: { "application/json": { schema: pageOf(Dirspace, "DirspacePage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

type ManifestRow = NonNullable<Awaited<ReturnType<typeof getWorkManifest>>>;

function toWorkManifest(row: ManifestRow, timeZone = "UTC"): z.infer<typeof WorkManifest> {
  return {
    id: row.id,
    repo: row.repo,
    pull_request: row.pullRequest,
    kind: row.kind,
    state: row.state,
    base_ref: row.baseRef,
    base_sha: row.baseSha,
    head_ref: row.headRef,
    head_sha: row.headSha,
    requested_by: row.requestedBy,
    tag_query: row.tagQuery,
    run_id: row.runId,
    run_url: row.runUrl,
    failure_reason: row.failureReason,
    created_at: iso(row.createdAt, timeZone),
    updated_at: iso(row.updatedAt, timeZone),
    completed_at: iso(row.completedAt, timeZone),
  };
}

function notFound(wm: string): ApiError {
  return new ApiError(404, "not_found", `work manifest ${wm} not found in this installation`);
}

export function workManifestRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(listRoute, async (c) => {
      authorize(c, "installation_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const tagQuery = parseQuery(query.q);
      const page = await withTenant(deps.database, installationId, (tx) =>
        listWorkManifests(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 2),
          repo: query.repo,
          pullRequest: query.pr,
          kind: query.kind,
          state: query.state,
          tagQuery,
        }),
      );
      return c.json(
        { items: page.items.map((row) => toWorkManifest(row, query.tz)), next_page: page.nextPage },
        200,
      );
    })
    .openapi(getRoute, async (c) => {
      authorize(c, "installation_read");
      const { wm } = c.req.valid("param");
      const installationId = c.get("installation").id;
      const found = await withTenant(deps.database, installationId, async (tx) => {
        const manifest = await getWorkManifest(tx, installationId, wm);
        return (
          manifest && { manifest, dirspaces: await getWorkManifestDirspaces(tx, installationId, wm, false) }
        );
      });
      if (!found) throw notFound(wm);
      const dirspaces = found.dirspaces.map((row) => ({
        dir: row.dir,
        workspace: row.workspace,
        tags: row.tags,
        state: row.state,
        success: row.success,
        has_changes: row.hasChanges,
        summary: row.summary,
        exit_code: row.exitCode,
        updated_at: iso(row.updatedAt),
      }));
      return c.json({ ...toWorkManifest(found.manifest), dirspaces }, 200);
    })
    .openapi(outputsRoute, async (c) => {
      authorize(c, "installation_read");
      const { wm } = c.req.valid("param");
      const installationId = c.get("installation").id;
      const found = await withTenant(deps.database, installationId, async (tx) => {
        const manifest = await getWorkManifest(tx, installationId, wm);
        return manifest && getWorkManifestDirspaces(tx, installationId, wm, true);
      });
      if (!found) throw notFound(wm);
      const items = found.map((row) => ({
        dir: row.dir,
        workspace: row.workspace,
        state: row.state,
        success: row.success,
        steps: row.steps ?? [],
        outputs: row.outputs ?? null,
      }));
      return c.json({ items }, 200);
    })
    .openapi(dirspacesRoute, async (c) => {
      authorize(c, "installation_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const tagQuery = parseQuery(query.q);
      const page = await withTenant(deps.database, installationId, (tx) =>
        listDirspaces(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 4),
          repo: query.repo,
          state: query.state,
          tagQuery,
        }),
      );
      const items = page.items.map((row) => ({
        work_manifest_id: row.workManifestId,
        repo: row.repo,
        pull_request: row.pullRequest,
        kind: row.kind,
        dir: row.dir,
        workspace: row.workspace,
        tags: row.tags,
        state: row.state,
        success: row.success,
        has_changes: row.hasChanges,
        summary: row.summary,
        created_at: iso(row.createdAt, query.tz),
        updated_at: iso(row.updatedAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    });
}
