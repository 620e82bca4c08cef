// /{vcs}/installations/{installation}/drift: the latest drift state of every dirspace a drift run checked.
import { createRoute, z } from "@hono/zod-openapi";
import { listDriftStates } from "../../db/queries/drift-state.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { driftLabel, driftStatuses } from "../../domain/drift.ts";
import { authorize } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { errorResponses } from "./api-error.ts";
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
import { RepoFilter } from "./work-manifest-routes.ts";

const DriftState = z
  .object({
    repo: z.string(),
    dir: z.string(),
    workspace: z.string(),
    tags: z.array(z.string()),
    status: z.enum(driftStatuses).openapi({
      description:
        "in_sync: the plan found no changes; drifted: it found changes; reconciled: drift found and applied; failed: no plan to judge by",
    }),
    label: z.string().openapi({ example: "drifted (+1 ~0 −2)" }),
    summary: z
      .object({ add: z.number(), change: z.number(), destroy: z.number(), import: z.number() })
      .nullable(),
    schedule: z.string().nullable().openapi({ description: "the drift schedule whose run checked it" }),
    work_manifest_id: z.string().uuid(),
    sha: z.string().openapi({ description: "the default branch's commit that was planned" }),
    run_url: z.string().nullable(),
    checked_at: Timestamp,
  })
  .openapi("DriftState");

const driftRoute = createRoute({
  method: "get",
  path: "/{vcs}/installations/{installation}/drift",
  summary: "Latest drift state per dirspace (from the newest finished drift run that checked it)",
  tags: ["drift"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    query: PageQuery.extend({
      repo: RepoFilter,
      q: TagQueryParam,
      d: z
        .enum(["asc", "desc"])
        .default("asc")
        .openapi({ description: "by repository, dir and workspace: asc (default) or desc" }),
    }),
  },
  responses: {
    200: {
      description: "a page of dirspaces, by repository, dir and workspace",
      content: { "application/json": { schema: pageOf(DriftState, "DriftStatePage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function driftRoutes(deps: ApiDeps) {
  return createRouter().openapi(driftRoute, async (c) => {
    authorize(c, "installation_read");
    const installationId = c.get("installation").id;
    const query = c.req.valid("query");
    const tagQuery = parseQuery(query.q);
    const page = await withTenant(deps.database, installationId, (tx) =>
      listDriftStates(tx, installationId, {
        limit: query.limit,
        direction: query.d,
        after: cursorFrom(query, 4),
        repo: query.repo,
        tagQuery,
      }),
    );
    const items = page.items.map((state) => ({
      repo: state.repo,
      dir: state.dir,
      workspace: state.workspace,
      tags: state.tags,
      status: state.status,
      label: driftLabel(state.status, state.summary),
      summary: state.summary,
      schedule: state.schedule,
      work_manifest_id: state.workManifestId,
      sha: state.sha,
      run_url: state.runUrl,
      checked_at: iso(state.checkedAt),
    }));
    return c.json({ items, next_page: page.nextPage }, 200);
  });
}
