// POST /{vcs}/installations/{installation}/repos/refresh: re-read repositories now (capability repos_refresh, audited).
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../../db/queries/audit-log.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { repositories } from "../../db/schema/index.ts";
import { queueRefresh } from "../../jobs/queue-refresh.ts";
import { authorize } from "../auth/access-token-auth.ts";
import type { ApiDeps } from "./api-deps.ts";
import { ApiError, errorResponses, validationDetails } from "./api-error.ts";
import { bearerSecurity, createRouter, InstallationParams } from "./schemas.ts";

const RefreshBody = z
  .object({
    repo: z.string().min(1).max(300).optional().openapi({
      description: "one repository's full name; every repository of the installation when omitted",
    }),
  })
  .openapi("RefreshRequest");

const refreshRoute = createRoute({
  method: "post",
  path: "/{vcs}/installations/{installation}/repos/refresh",
  summary: "Re-read repositories now: metadata, and the default branch's config and dirspaces; audited",
  description:
    "Needs the capability `repos_refresh`. Each repository's refresh is queued (a pending one absorbs a new request) and runs in the background: its name, default branch and archived state are updated, and `.terragate/config.yml` and the tree of the default branch's head are read unless that commit was read already. A broken config fails a `terragate config` check on that commit.",
  tags: ["repos"],
  security: bearerSecurity,
  request: {
    params: InstallationParams,
    body: { content: { "application/json": { schema: RefreshBody } }, required: false },
  },
  responses: {
    202: {
      description: "the repositories whose refresh is queued",
      content: {
        "application/json": {
          schema: z.object({ queued: z.array(z.string()) }).openapi("RefreshQueued"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 413, 429),
  },
});

export function refreshRoutes(deps: ApiDeps) {
  return createRouter().openapi(refreshRoute, async (c) => {
    const principal = authorize(c, "repos_refresh");
    const installationId = c.get("installation").id;
    const body = (await c.req.json().catch(() => ({}))) as unknown;
    const parsed = RefreshBody.safeParse(body ?? {});
    if (!parsed.success) {
      throw new ApiError(400, "validation_failed", 'the body must be {} or {"repo": "OWNER/REPO"}', {
        details: validationDetails(parsed.error),
      });
    }
    const { repo } = parsed.data;
    // Read as the tenant (row-level security as a second wall), queued by the server itself.
    const targets = await withTenant(deps.database, installationId, (tx) =>
      tx
        .select({ id: repositories.id, fullName: repositories.fullName })
        .from(repositories)
        .where(
          and(
            eq(repositories.installationId, installationId),
            isNull(repositories.removedAt),
            repo === undefined ? undefined : sql`lower(${repositories.fullName}) = lower(${repo})`,
          ),
        )
        .orderBy(repositories.fullName),
    );
    if (repo !== undefined && targets.length === 0) {
      throw new ApiError(404, "not_found", `repository ${repo} not found in this installation`);
    }
    await deps.database.db.transaction(async (tx) => {
      for (const target of targets) await queueRefresh(tx, target.id);
      await recordAudit(tx, {
        installationId,
        actor: `api-key:${principal.keyId}`,
        action: "repos.refresh",
        target: repo === undefined ? { repos: "*", count: targets.length } : { repo: targets[0]?.fullName },
      });
    });
    return c.json({ queued: targets.map((target) => target.fullName) }, 202);
  });
}
