// /{vcs}/installations/{installation}/locks: list dirspace locks and release them (capability unlock, audited).
import { createRoute, z } from "@hono/zod-openapi";
import { listLocks, unlock } from "../../db/queries/lock-resources.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { authorize } from "../auth/access-token-auth.ts";
import { mayUnlock } from "../auth/capabilities.ts";
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

const Lock = z
  .object({
    repo: z.string(),
    dir: z.string(),
    workspace: z.string(),
    pull_request: z.number().int(),
    work_manifest_id: z.string().uuid().nullable(),
    acquired_at: Timestamp,
  })
  .openapi("Lock");

const UnlockBody = z
  .object({
    repo: z.string().min(1).max(300).openapi({ description: "repository full name", example: "acme/infra" }),
    pull_request: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "release only locks held by this PR" }),
    dirspaces: z
      .array(z.object({ dir: z.string().min(1).max(1000), workspace: z.string().min(1).max(200) }))
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "release only these dirspaces" }),
  })
  .refine((body) => body.pull_request !== undefined || body.dirspaces !== undefined, {
    message: "say which locks to release: pull_request, dirspaces, or both",
    path: ["pull_request"],
  })
  .openapi("UnlockRequest");

const listRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/locks",
  summary: "Dirspace locks held by pull requests",
  tags: ["locks"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({ repo: z.string().max(300).optional(), q: TagQueryParam }),
  },
  responses: {
    200: {
      description: "a page of locks",
      content: { "application/json": { schema: pageOf(Lock, "LockPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const unlockRoute = createRoute({
  method: "post",
  path: "/{vcs}/installations/{installation}/locks/unlock",
  summary: "Release locks of one repository (by pull request and/or dirspaces); audited",
  description:
    "Needs the capability `unlock:OWNER/REPO` for that repository, or `unlock:*`. A key without it gets 403 before the repository is looked up.",
  tags: ["locks"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    body: { content: { "application/json": { schema: UnlockBody } }, required: true },
  },
  responses: {
    200: {
      description: "the released locks",
      content: {
        "application/json": {
          schema: z.object({
            repo: z.string(),
            released: z.array(z.object({ dir: z.string(), workspace: z.string(), acquired_at: Timestamp })),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 413, 429),
  },
});

export function lockRoutes(deps: ApiDeps) {
  return createRouter()
    .openapi(listRoute, async (c) => {
      authorize(c, "installation_read");
      const installationId = c.get("installation").id;
      const query = c.req.valid("query");
      const page = await withTenant(deps.database, installationId, (tx) =>
        listLocks(tx, installationId, {
          limit: query.limit,
          direction: query.d,
          after: cursorFrom(query, 4),
          repo: query.repo,
          tagQuery: parseQuery(query.q),
        }),
      );
      const items = page.items.map((row) => ({
        repo: row.repo,
        dir: row.dir,
        workspace: row.workspace,
        pull_request: row.pullRequest,
        work_manifest_id: row.workManifestId,
        acquired_at: iso(row.acquiredAt, query.tz),
      }));
      return c.json({ items, next_page: page.nextPage }, 200);
    })
    .openapi(unlockRoute, async (c) => {
      const principal = c.get("principal");
      const installationId = c.get("installation").id;
      const body = c.req.valid("json");
      // Checked before the repository is looked up: a key not allowed here learns nothing about it.
      if (!mayUnlock(principal.capabilities, body.repo)) {
        const required = `unlock:${body.repo.toLowerCase()}`;
        throw new ApiError(
          403,
          "forbidden",
          `this key may not release locks in ${body.repo}: it needs the capability ${required} (or unlock:*)`,
          { details: { required, held: principal.capabilities } },
        );
      }
      const result = await withTenant(deps.database, installationId, (tx) =>
        unlock(tx, installationId, {
          repo: body.repo,
          pullRequest: body.pull_request,
          dirspaces: body.dirspaces,
          actor: `api-key:${principal.keyId}`,
        }),
      );
      if (!result)
        throw new ApiError(404, "not_found", `repository ${body.repo} not found in this installation`);
      const released = result.released.map((lock) => ({
        dir: lock.dir,
        workspace: lock.workspace,
        acquired_at: iso(lock.acquiredAt),
      }));
      return c.json({ repo: result.repo, released }, 200);
    });
}
